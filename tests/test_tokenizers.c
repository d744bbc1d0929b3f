/* test_tokenizers.c — the pretrained models' tokenizers (src/pretrained/
 * hf_tokenizer.h) against tests/fixtures/tokenizers/expected.json, whose ids
 * come from Hugging Face's tokenizers in JS (@huggingface/transformers) and,
 * for GPT-2's own vocabulary, also from gpt-3-encoder (they agree; see
 * scripts/gen-tokenizer-fixtures). Then malformed vocabularies: one message
 * naming the file and the line or key, HS_ERR_INPUT. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/core/alloc.h"
#include "../src/pretrained/bpe.h"
#include "../src/pretrained/hf_tokenizer.h"
#include "../src/pretrained/json.h"
#include "tap.h"

static char FIX[4096], TMP[4096];

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    fputs(text, f);
    fclose(f);
}

static int gunzip(const char *src, const char *dst)
{
    gzFile g = gzopen(src, "rb");
    FILE *f = fopen(dst, "wb");
    if (!g || !f) return 0;
    char buf[65536];
    int k;
    while ((k = gzread(g, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)k, f);
    gzclose(g);
    fclose(f);
    return k == 0;
}

static void rm_dir(const char *d)
{
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", d);
}

static void tok_dir(const char *name, char *out, size_t cap)
{
    if (!strcmp(name, "gpt2")) snprintf(out, cap, "%s/gpt2", TMP);
    else snprintf(out, cap, "%s/tokenizers/%s", FIX, name);
}

/* --- the fixtures ------------------------------------------------------------- */

static void check_expected(void)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/tokenizers/expected.json", FIX);
    size_t n;
    char *text = slurp(p, &n);
    hs_json *cases = NULL;
    if (!tap_ok(text && hs_json_parse(&cases, text, n, p) == HS_OK && cases->type == HS_JSON_ARR, "read %s", p)) {
        tap_diag("%s", hs_error_message());
        return;
    }
    static const char *names[] = {"bert-uncased", "bert-cased", "roberta", "roberta-json", "gpt2"};
    for (size_t t = 0; t < sizeof names / sizeof *names; t++) {
        char dir[8192];
        tok_dir(names[t], dir, sizeof dir);
        hs_hf_tokenizer *tok = NULL;
        hs_hf_tok_info info;
        if (!tap_ok(hs_hf_tokenizer_open(&tok, dir, &info) == HS_OK, "%s: opened%s%s", names[t], hs_error_message()[0] ? ": " : "", hs_error_message())) {
            hs_error_clear();
            continue;
        }
        int total = 0, bad = 0, pairs = 0, cut = 0;
        for (size_t i = 0; i < cases->len; i++) {
            const hs_json *c = &cases->items[i];
            const hs_json *tn = hs_json_get(c, "tok"), *a = hs_json_get(c, "a"), *b = hs_json_get(c, "b");
            const hs_json *ml = hs_json_get(c, "max_len"), *ids = hs_json_get(c, "ids"), *ty = hs_json_get(c, "types");
            if (strcmp(tn->str, names[t])) continue;
            total++;
            const int max_len = (int)ml->num, pair = b->type == HS_JSON_STR;
            pairs += pair;
            int *got = calloc((size_t)max_len + 1, sizeof *got), *gty = calloc((size_t)max_len + 1, sizeof *gty);
            int k = hs_hf_tokenizer_encode(tok, a->str, a->len, pair ? b->str : NULL, pair ? b->len : 0, got, gty, max_len);
            int same = k == (int)ids->len;
            for (int j = 0; same && j < k; j++) same = got[j] == (int)ids->items[j].num && gty[j] == (int)ty->items[j].num;
            cut += (int)ids->len == max_len;
            if (!same && ++bad <= 5) {
                char g[2048] = "", e[2048] = "";
                for (int j = 0; j < k && strlen(g) < 1900; j++) snprintf(g + strlen(g), sizeof g - strlen(g), "%d/%d ", got[j], gty[j]);
                for (size_t j = 0; j < ids->len && strlen(e) < 1900; j++)
                    snprintf(e + strlen(e), sizeof e - strlen(e), "%d/%d ", (int)ids->items[j].num, (int)ty->items[j].num);
                tap_diag("%s: case %zu a=\"%.80s\"%s max_len %d:\n#   got      %s\n#   expected %s", names[t], i, a->str,
                         pair ? " (pair)" : "", max_len, g, e);
            }
            free(got);
            free(gty);
        }
        tap_ok(total > 50 && bad == 0, "%s: %d/%d cases give Hugging Face's ids and types (%d pairs, %d cut to max_len)",
               names[t], total - bad, total, pairs, cut);
        /* the special tokens of the family */
        if (!strcmp(names[t], "gpt2"))
            tap_ok(info.family == HS_TOKFAM_GPT2 && info.vocab_size == 50257 && info.pad_id == 50256 &&
                       info.unk_id == 50256 && info.cls_id == -1 && info.type_vocab == 1 && !info.wordpiece,
                   "gpt2: family GPT-2, vocab 50257, pad = unk = <|endoftext|> 50256, one token type");
        else if (!strncmp(names[t], "roberta", 7))
            tap_ok(info.family == HS_TOKFAM_ROBERTA && info.cls_id == 0 && info.pad_id == 1 && info.sep_id == 2 &&
                       hs_hf_tokenizer_token_id(tok, "<mask>") == info.vocab_size - 1 && info.type_vocab == 1,
                   "%s: family RoBERTa (<s> 0, <pad> 1, </s> 2, <mask> last of %d) from %s", names[t], info.vocab_size,
                   info.source);
        else
            tap_ok(info.family == HS_TOKFAM_BERT && info.pad_id == 0 && info.unk_id == 1 && info.cls_id == 2 &&
                       info.sep_id == 3 && info.type_vocab == 2 && info.wordpiece &&
                       info.lowercase == !strcmp(names[t], "bert-uncased"),
                   "%s: family BERT ([PAD] 0 [UNK] 1 [CLS] 2 [SEP] 3, lowercase %d) from %s", names[t], info.lowercase,
                   info.source);
        hs_hf_tokenizer_free(tok);
    }
    hs_json_free(cases);
    free(text);
}

/* --- edges of encode ---------------------------------------------------------- */

static void check_encode_edges(void)
{
    char dir[8192];
    tok_dir("bert-uncased", dir, sizeof dir);
    hs_hf_tokenizer *tok;
    if (hs_hf_tokenizer_open(&tok, dir, NULL) != HS_OK) return;
    int ids[8] = {0}, ty[8] = {0};
    hs_error_clear();
    int k = hs_hf_tokenizer_encode(tok, "a b", 3, "c", 1, ids, ty, 2);
    tap_ok(k == -1 && strstr(hs_error_message(), "max_len 2"), "a pair in max_len 2 (3 special tokens) is refused: %s",
           hs_error_message());
    hs_error_clear();
    k = hs_hf_tokenizer_encode(tok, "the film", 8, NULL, 0, ids, ty, 2);
    tap_ok(k == 2 && ids[0] == 2 && ids[1] == 3, "max_len 2: [CLS] [SEP] only");
    k = hs_hf_tokenizer_encode(tok, "", 0, "", 0, ids, ty, 8);
    tap_ok(k == 3 && ids[0] == 2 && ids[1] == 3 && ids[2] == 3 && ty[0] == 0 && ty[1] == 0 && ty[2] == 1,
           "an empty pair: [CLS] [SEP] [SEP], types 0 0 1");
    /* out of memory on the way gives -1 with a message, never a crash */
    int oom_ok = 1;
    for (long f = 1; f <= 6; f++) {
        hs_error_clear();
        hs_alloc_fail_after(f);
        k = hs_hf_tokenizer_encode(tok, "Naïve café", 11, "x", 1, ids, ty, 8);
        hs_alloc_fail_after(0);
        if (k != -1 && k != 8 && k < 4) oom_ok = 0;
        if (k == -1 && !hs_error_message()[0]) oom_ok = 0;
    }
    hs_error_clear();
    tap_ok(oom_ok, "failing allocations during encode give -1 and a message");
    hs_hf_tokenizer_free(tok);
}

/* --- malformed vocabularies --------------------------------------------------- */

static int n_bad;

static void refused(const char *files[][2], const char *want1, const char *want2, const char *what)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s/bad%d", TMP, ++n_bad);
    mkdir(dir, 0700);
    for (int i = 0; files[i][0]; i++) put_file(dir, files[i][0], files[i][1]);
    hs_hf_tokenizer *tok = NULL;
    hs_error_clear();
    hs_status s = hs_hf_tokenizer_open(&tok, dir, NULL);
    const char *m = hs_error_message();
    tap_ok(s == HS_ERR_INPUT && !tok && strstr(m, want1) && (!want2 || strstr(m, want2)), "%s: %s", what, m);
    hs_error_clear();
    hs_hf_tokenizer_free(tok);
}

#define V "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<|endoftext|>\": 3}"

static void check_malformed(void)
{
    refused((const char *[][2]){{"vocab.json", V}, {"merges.txt", "#version: 0.2\na b\na b c\n"}, {NULL, NULL}},
            "merges.txt: line 3", "expected two tokens separated by one space", "a merges.txt line of three tokens");
    refused((const char *[][2]){{"vocab.json", V}, {"merges.txt", "a b\nab\n"}, {NULL, NULL}}, "merges.txt: line 2",
            "\"ab\" is not a merge", "a merges.txt line of one token");
    refused((const char *[][2]){{"vocab.json", V}, {"merges.txt", "a c\n"}, {NULL, NULL}}, "merges.txt: line 1",
            "merge token \"c\" is not in the vocabulary", "a merge of a token outside the vocabulary");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0, \"b\": 1}"}, {"merges.txt", "a b\n"}, {NULL, NULL}},
            "merges.txt: line 1", "the merge of \"a\" and \"b\" is not in the vocabulary", "a merge whose result is missing");
    refused((const char *[][2]){{"vocab.json", "[\"a\", \"b\"]"}, {"merges.txt", ""}, {NULL, NULL}}, "vocab.json",
            "not an object of token to id", "vocab.json an array");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0,\n \"b\": \"1\"}"}, {"merges.txt", ""}, {NULL, NULL}},
            "vocab.json: line 2: key \"b\"", "expected an integer id", "vocab.json with a string id");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0, \"b\": 1.5}"}, {"merges.txt", ""}, {NULL, NULL}},
            "key \"b\"", "expected an integer id", "vocab.json with a fractional id");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0,\n\"b\": 1,\n\"c\": 1}"}, {"merges.txt", ""}, {NULL, NULL}},
            "vocab.json: line 3: key \"c\" has id 1, already the id of \"b\"", NULL, "vocab.json with a duplicate id");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0, \"a\": 1}"}, {"merges.txt", ""}, {NULL, NULL}},
            "key \"a\" appears twice", NULL, "vocab.json with a repeated key");
    refused((const char *[][2]){{"vocab.json", "{\"a\": 0, \"b\": 1}"}, {"merges.txt", ""}, {NULL, NULL}},
            "\"<|endoftext|>\" is not in the vocabulary", NULL, "a GPT-2 vocabulary without <|endoftext|>");
    refused((const char *[][2]){{"vocab.txt", "[PAD]\n[CLS]\n[SEP]\nthe\n"}, {NULL, NULL}}, "vocab.txt",
            "no unknown token \"[UNK]\"", "a vocab.txt without [UNK]");
    refused((const char *[][2]){{"vocab.txt", "[PAD]\n[UNK]\n[CLS]\nthe\n"}, {NULL, NULL}}, "vocab.txt",
            "the sep token \"[SEP]\" is not in the vocabulary", "a vocab.txt without [SEP]");
    refused((const char *[][2]){{"vocab.txt", "[PAD]\n[UNK]\n\xff\xfe\n"}, {NULL, NULL}}, "vocab.txt: line 3",
            "not UTF-8", "a vocab.txt line that is not UTF-8");
    refused((const char *[][2]){{"tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"}, {NULL, NULL}},
            "tokenizer.json", "model.type \"Unigram\" is not supported", "a Unigram tokenizer.json");
    refused((const char *[][2]){{"tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, "
                                                   "\"pre_tokenizer\": {\"type\": \"Metaspace\"}}"},
                                {NULL, NULL}},
            "tokenizer.json", "without a ByteLevel pre_tokenizer", "a BPE tokenizer.json that is not byte-level");
    refused((const char *[][2]){{"tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": " V ", \"merges\": [\"a b\", 7]},"
                                                   " \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}"},
                                {NULL, NULL}},
            "tokenizer.json: line 1: model.merges[1]", "expected a merge", "a tokenizer.json merge that is a number");
    refused((const char *[][2]){{"tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": "
                                                   "{\"[UNK]\": 0, \"x\": -1}}, \"normalizer\": null}"},
                                {NULL, NULL}},
            "tokenizer.json: line 1: key \"x\"", "expected an integer id", "a tokenizer.json vocabulary with a negative id");
    refused((const char *[][2]){{"tokenizer.json", "{\"model\": "}, {NULL, NULL}}, "tokenizer.json: line 1",
            "unexpected end", "a truncated tokenizer.json");
    refused((const char *[][2]){{"config.json", "{}"}, {NULL, NULL}}, "no tokenizer",
            "expected tokenizer.json, vocab.txt, or vocab.json with merges.txt", "a folder without tokenizer files");
}

int main(void)
{
    const char *f = getenv("FIXTURES");
    snprintf(FIX, sizeof FIX, "%s", f ? f : "tests/fixtures");
    snprintf(TMP, sizeof TMP, "%s/hs-tok-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(TMP)) {
        perror("mkdtemp");
        return 1;
    }
    /* GPT-2's own files are committed gzip'd */
    char src[8192], dst[8192];
    snprintf(dst, sizeof dst, "%s/gpt2", TMP);
    mkdir(dst, 0700);
    snprintf(src, sizeof src, "%s/tokenizers/gpt2/vocab.json.gz", FIX);
    snprintf(dst, sizeof dst, "%s/gpt2/vocab.json", TMP);
    int ok = gunzip(src, dst);
    snprintf(src, sizeof src, "%s/tokenizers/gpt2/merges.txt.gz", FIX);
    snprintf(dst, sizeof dst, "%s/gpt2/merges.txt", TMP);
    ok = ok && gunzip(src, dst);
    tap_ok(ok, "GPT-2's vocab.json and merges.txt unpacked from %s/tokenizers/gpt2", FIX);
    /* the bytes-to-unicode map: 256 distinct code points, printable bytes themselves */
    int distinct = 1;
    for (int i = 0; i < 256; i++)
        for (int j = 0; j < i; j++) distinct &= hs_bpe_byte_char(i) != hs_bpe_byte_char(j);
    tap_ok(distinct && hs_bpe_byte_char(' ') == 0x120 && hs_bpe_byte_char('!') == '!' && hs_bpe_byte_char(0) == 0x100 &&
               hs_bpe_byte_char(0xad) == 0x143,
           "bytes-to-unicode: 256 distinct symbols, ' ' -> U+0120, 0x00 -> U+0100, 0xAD -> U+0143");
    check_expected();
    check_encode_edges();
    check_malformed();
    rm_dir(TMP);
    return tap_done();
}
