/* make_hf_bert.c — writes a BERT checkpoint folder in Hugging Face's layout
 * (config.json, vocab.txt, model.safetensors of a BertForMaskedLM-style
 * pretraining checkpoint: "bert." tensors, no classifier) with seeded random
 * weights, for the end-to-end test of a sweep on a pretrained model at
 * BERT-mini size (~4M parameters: too big to commit). The layout itself is
 * checked against Python-written folders in tests/fixtures/pretrained/ by
 * test_pretrained_load; this writer is independent of src/pretrained/.
 *
 *   make_hf_bert DIR LAYERS D_MODEL HEADS D_FF TSV_FOLDER
 *
 * The vocabulary is the special tokens, every lower-cased word of the
 * folder's train.tsv and dev.tsv, and the 26 letters with their ## forms. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_WORDS = 20000, MAX_TENSORS = 256 };

static char *words[MAX_WORDS];
static int n_words;

static void add_word(const char *w, size_t n)
{
    for (int i = 0; i < n_words; i++)
        if (strlen(words[i]) == n && !memcmp(words[i], w, n)) return;
    if (n_words == MAX_WORDS) return;
    words[n_words] = calloc(n + 1, 1);
    memcpy(words[n_words++], w, n);
}

/* Words (letters/digits runs, lower-cased) and punctuation of a TSV's text. */
static void read_words(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "make_hf_bert: cannot open %s\n", path);
        exit(2);
    }
    char line[8192], w[256];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) { first = 0; continue; } /* header */
        size_t n = 0;
        for (char *p = line;; p++) {
            const unsigned char c = (unsigned char)*p;
            if (isalnum(c) && n < sizeof w - 1) {
                w[n++] = (char)tolower(c);
                continue;
            }
            if (n) add_word(w, n);
            n = 0;
            if (ispunct(c)) add_word((const char *)p, 1);
            if (!c) break;
        }
    }
    fclose(f);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}
static float normal(double sd) { return (float)(sd * sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform())); }

typedef struct {
    char name[128];
    int rank;
    long dims[2];
    int kind; /* 0 normal(0.02), 1 ones, 2 zeros */
} tensor;

static tensor T[MAX_TENSORS];
static int nT;

static void add(const char *name, int rank, long d0, long d1, int kind)
{
    tensor *t = &T[nT++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->kind = kind;
}

static long count(const tensor *t) { return t->rank == 1 ? t->dims[0] : t->dims[0] * t->dims[1]; }

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: make_hf_bert DIR LAYERS D_MODEL HEADS D_FF TSV_FOLDER\n");
        return 2;
    }
    const char *dir = argv[1];
    const int L = atoi(argv[2]), d = atoi(argv[3]), H = atoi(argv[4]), F = atoi(argv[5]), P = 512, TV = 2;
    const char *special[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 5; i++) add_word(special[i], strlen(special[i]));
    char path[4096];
    snprintf(path, sizeof path, "%s/train.tsv", argv[6]);
    read_words(path);
    snprintf(path, sizeof path, "%s/dev.tsv", argv[6]);
    read_words(path);
    for (char c = 'a'; c <= 'z'; c++) {
        char w[4] = {'#', '#', c, 0};
        add_word(&c, 1);
        add_word(w, 3);
    }
    const int V = n_words;
    if (mkdir(dir, 0777) != 0) {
        fprintf(stderr, "make_hf_bert: cannot create %s\n", dir);
        return 2;
    }
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < V; i++) fprintf(f, "%s\n", words[i]);
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "w");
    fprintf(f,
            "{\n  \"architectures\": [\"BertForMaskedLM\"],\n  \"attention_probs_dropout_prob\": 0.1,\n"
            "  \"hidden_act\": \"gelu\",\n  \"hidden_dropout_prob\": 0.1,\n  \"hidden_size\": %d,\n"
            "  \"initializer_range\": 0.02,\n  \"intermediate_size\": %d,\n  \"layer_norm_eps\": 1e-12,\n"
            "  \"max_position_embeddings\": %d,\n  \"model_type\": \"bert\",\n  \"num_attention_heads\": %d,\n"
            "  \"num_hidden_layers\": %d,\n  \"pad_token_id\": 0,\n  \"position_embedding_type\": \"absolute\",\n"
            "  \"transformers_version\": \"4.36.2\",\n  \"type_vocab_size\": %d,\n  \"use_cache\": true,\n"
            "  \"vocab_size\": %d\n}\n",
            d, F, P, H, L, TV, V);
    fclose(f);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"do_lower_case\": true, \"model_max_length\": 512, \"tokenizer_class\": \"BertTokenizer\"}\n");
    fclose(f);

    add("bert.embeddings.word_embeddings.weight", 2, V, d, 0);
    add("bert.embeddings.position_embeddings.weight", 2, P, d, 0);
    add("bert.embeddings.token_type_embeddings.weight", 2, TV, d, 0);
    add("bert.embeddings.LayerNorm.weight", 1, d, 0, 1);
    add("bert.embeddings.LayerNorm.bias", 1, d, 0, 2);
    for (int l = 0; l < L; l++) {
        char n[128];
        const char *lin[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                             "attention.output.dense", "intermediate.dense", "output.dense"};
        const long out[] = {d, d, d, d, F, d}, in[] = {d, d, d, d, d, F};
        for (int k = 0; k < 6; k++) {
            snprintf(n, sizeof n, "bert.encoder.layer.%d.%s.weight", l, lin[k]);
            add(n, 2, out[k], in[k], 0);
            snprintf(n, sizeof n, "bert.encoder.layer.%d.%s.bias", l, lin[k]);
            add(n, 1, out[k], 0, 2);
        }
        const char *ln[] = {"attention.output.LayerNorm", "output.LayerNorm"};
        for (int k = 0; k < 2; k++) {
            snprintf(n, sizeof n, "bert.encoder.layer.%d.%s.weight", l, ln[k]);
            add(n, 1, d, 0, 1);
            snprintf(n, sizeof n, "bert.encoder.layer.%d.%s.bias", l, ln[k]);
            add(n, 1, d, 0, 2);
        }
    }
    add("bert.pooler.dense.weight", 2, d, d, 0);
    add("bert.pooler.dense.bias", 1, d, 0, 2);

    /* header: names in this order, F32, contiguous */
    char *hdr = calloc(1 << 20, 1);
    size_t h = 0;
    long off = 0;
    h += (size_t)sprintf(hdr + h, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < nT; i++) {
        const long bytes = count(&T[i]) * 4;
        if (T[i].rank == 1)
            h += (size_t)sprintf(hdr + h, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld],\"data_offsets\":[%ld,%ld]}",
                                 T[i].name, T[i].dims[0], off, off + bytes);
        else
            h += (size_t)sprintf(hdr + h, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld,%ld],\"data_offsets\":[%ld,%ld]}",
                                 T[i].name, T[i].dims[0], T[i].dims[1], off, off + bytes);
        off += bytes;
    }
    h += (size_t)sprintf(hdr + h, "}");
    while (h % 8) hdr[h++] = ' '; /* the data buffer starts 8-aligned, as the reference writer pads */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    uint64_t n = h;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(n >> (8 * i));
    fwrite(le, 1, 8, f);
    fwrite(hdr, 1, h, f);
    for (int i = 0; i < nT; i++) {
        const long c = count(&T[i]);
        for (long k = 0; k < c; k++) {
            const float v = T[i].kind == 0 ? normal(0.02) : T[i].kind == 1 ? 1.0f : 0.0f;
            fwrite(&v, 4, 1, f); /* x86-64 and aarch64: little-endian, as the format wants */
        }
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "make_hf_bert: cannot write %s\n", path);
        return 1;
    }
    printf("%s: BERT L%d d%d H%d F%d, vocab %d\n", dir, L, d, H, F, V);
    return 0;
}
