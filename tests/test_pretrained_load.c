/* test_pretrained_load.c — Hugging Face folders (tests/fixtures/pretrained,
 * made by scripts/gen-checkpoints) read into models and written back.
 *
 * Expected values come from the raw bytes of the safetensors files, found by
 * a separate minimal scan of the header text (strstr + sscanf, not the
 * loader's JSON reader), and converted with an independent F16/BF16 formula
 * (ldexp). Malformed folders are made here in a temp dir, each checked for
 * HS_ERR_INPUT and a message naming the file and the tensor or key. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/core/alloc.h"
#include "../src/core/model.h"
#include "../src/pretrained/hf_model.h"
#include "../src/pretrained/json.h"
#include "../src/pretrained/safetensors.h"
#include "../src/pretrained/sha256.h"
#include "tap.h"

static char FIX[2048], TMP[512];

/* --- files -------------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    if (fread(b, 1, (size_t)sz, fp) != (size_t)sz) sz = 0;
    b[sz] = 0;
    fclose(fp);
    *n = (size_t)sz;
    return b;
}

static void write_all(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(b, 1, n, fp) != n) {
        perror(path);
        exit(99);
    }
    fclose(fp);
}

static void copy(const char *from, const char *to)
{
    size_t n;
    unsigned char *b = read_all(from, &n);
    if (!b) return;
    write_all(to, b, n);
    free(b);
}

static const char *FILES[] = {"config.json", "model.safetensors", "vocab.txt", "vocab.json", "merges.txt",
                              "tokenizer_config.json", "special_tokens_map.json"};

/* a fresh copy of a fixture folder under TMP/name */
static const char *clone(const char *fixture, const char *name)
{
    static char dst[1024];
    snprintf(dst, sizeof dst, "%s/%s", TMP, name);
    mkdir(dst, 0777);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        char a[2600], b[1200];
        snprintf(a, sizeof a, "%s/%s/%s", FIX, fixture, FILES[i]);
        snprintf(b, sizeof b, "%s/%s", dst, FILES[i]);
        unlink(b);
        copy(a, b);
    }
    return dst;
}

/* replaces the first `from` by `to` in a file (binary-safe: headers follow 8 length bytes) */
static void edit(const char *dir, const char *file, const char *from, const char *to)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    size_t n, fl = strlen(from), at = (size_t)-1;
    unsigned char *b = read_all(p, &n);
    for (size_t i = 0; b && i + fl <= n && at == (size_t)-1; i++)
        if (!memcmp(b + i, from, fl)) at = i;
    if (at == (size_t)-1) {
        fprintf(stderr, "edit: %s not in %s\n", from, p);
        exit(99);
    }
    FILE *fp = fopen(p, "wb");
    fwrite(b, 1, at, fp);
    fputs(to, fp);
    fwrite(b + at + fl, 1, n - at - fl, fp);
    fclose(fp);
    free(b);
}

/* --- an independent look at a safetensors file ----------------------------- */

typedef struct {
    char dtype[8];
    size_t begin, end;
    const unsigned char *data; /* start of the tensor's bytes */
} raw_t;

static unsigned char *raw_file;
static size_t raw_len;

static int raw_open(const char *path)
{
    free(raw_file);
    raw_file = read_all(path, &raw_len);
    return raw_file != NULL;
}

static raw_t raw_get(const char *name)
{
    raw_t r;
    memset(&r, 0, sizeof r);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | raw_file[i];
    char key[300];
    snprintf(key, sizeof key, "\"%s\":{", name);
    char *h = malloc(hl + 1);
    memcpy(h, raw_file + 8, hl);
    h[hl] = 0;
    char *at = strstr(h, key);
    if (at) {
        char *dt = strstr(at, "\"dtype\":\""), *off = strstr(at, "\"data_offsets\":[");
        sscanf(dt + 9, "%7[A-Z0-9]", r.dtype);
        sscanf(off + 16, "%zu,%zu", &r.begin, &r.end);
        r.data = raw_file + 8 + hl + r.begin;
    }
    free(h);
    return r;
}

/* element k of a raw tensor as a double, converted independently */
static double raw_elem(const raw_t *r, size_t k)
{
    if (!strcmp(r->dtype, "F32")) {
        const unsigned char *p = r->data + 4 * k;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    const unsigned char *p = r->data + 2 * k;
    unsigned h = p[0] | p[1] << 8;
    if (!strcmp(r->dtype, "BF16")) {
        int e = (h >> 7) & 0xFF;
        double m = h & 0x7F, s = (h >> 15) ? -1 : 1;
        if (e == 0) return s * ldexp(m, -126 - 7);
        return s * ldexp(1 + m / 128, e - 127);
    }
    int e = (h >> 10) & 0x1F;
    double m = h & 0x3FF, s = (h >> 15) ? -1 : 1;
    if (e == 0) return s * ldexp(m, -24);
    if (e == 31) return m ? NAN : s * INFINITY;
    return s * ldexp(1 + m / 1024, e - 15);
}

/* --- helpers ----------------------------------------------------------------- */

static hs_model *load(const char *dir, int n_out, hs_hf_info *info)
{
    hs_model *m = NULL;
    hs_status s = hs_hf_load(&m, info, dir, n_out, 0, 42);
    if (s != HS_OK) {
        tap_diag("load %s: %s", dir, hs_error_message());
        hs_error_clear();
    }
    return m;
}

static const char *fix(const char *name)
{
    static char p[4][2600];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", FIX, name);
    return p[k];
}

/* the load fails with HS_ERR_INPUT and a message holding every given part */
static void expect_fail(const char *dir, const char *what, const char *part1, const char *part2)
{
    hs_model *m = NULL;
    hs_status s = hs_hf_load(&m, NULL, dir, 2, 0, 1);
    const char *msg = hs_error_message();
    int ok = s == HS_ERR_INPUT && m == NULL && strstr(msg, part1) && (!part2 || strstr(msg, part2)) &&
             !strchr(msg, '\n');
    tap_ok(ok, "%s: bad input, message names %s%s%s", what, part1, part2 ? " and " : "", part2 ? part2 : "");
    tap_diag("status %d, message: %s", s, msg);
    hs_error_clear();
    hs_model_destroy(&m);
}

static void expect_st_fail(const char *path, const char *what, const char *part1, const char *part2)
{
    hs_safetensors *f = NULL;
    hs_status s = hs_st_open(&f, path);
    const char *msg = hs_error_message();
    int ok = s == HS_ERR_INPUT && !f && strstr(msg, path) && strstr(msg, part1) && (!part2 || strstr(msg, part2));
    tap_ok(ok, "safetensors %s: bad input, message names the file and %s", what, part1);
    tap_diag("status %d, message: %s", s, msg);
    hs_error_clear();
    hs_st_close(&f);
}

/* writes a safetensors file of the given header text and data bytes */
static void write_st(const char *path, const char *header, size_t data_len)
{
    size_t hl = strlen(header);
    unsigned char *b = calloc(8 + hl + data_len + 1, 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    write_all(path, b, 8 + hl + data_len);
    free(b);
}

static int params_equal(const hs_model *a, const hs_model *b)
{
    return a && b && a->num_params == b->num_params &&
           memcmp(a->params, b->params, a->num_params * sizeof(hs_real)) == 0 &&
           memcmp(&a->cfg, &b->cfg, sizeof a->cfg) == 0;
}

/* logits of a fixed batch (two rows, the second padded) */
static int logits(hs_model *m, hs_real *out)
{
    enum { B = 2, T = 8 };
    int tok[B * T], len[B] = {T, 5};
    for (int i = 0; i < B * T; i++) tok[i] = (i * 7 + 3) % m->cfg.vocab;
    hs_batch b = {B, T, tok, len, NULL, NULL, NULL};
    if (hs_model_setup_batch(m, B, T) != HS_OK || hs_model_forward(m, &b) != HS_OK) {
        tap_diag("forward: %s", hs_error_message());
        hs_error_clear();
        return 0;
    }
    memcpy(out, m->a.logits, sizeof(hs_real) * B * m->cfg.n_out);
    return B * m->cfg.n_out;
}

static int is_dir_empty_or_missing(const char *d)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/config.json", d);
    return access(p, F_OK) != 0;
}

/* --- the tests ---------------------------------------------------------------- */

static void test_shapes(void)
{
    struct { const char *dir; int n_out, L, d, H, F, V, post_ln, act, pooler, pos_off, cls_last, tv, C; } k[] = {
        {"bert-tiny", 0, 2, 32, 4, 64, 64, 1, HS_ACT_GELU_ERF, HS_POOL_TANH, 0, 0, 2, 3},
        {"bert-pruned", 2, 2, 32, 4, 64, 64, 1, HS_ACT_GELU_ERF, HS_POOL_TANH, 0, 0, 2, 2},
        {"bert-tiny-f16", 5, 2, 32, 4, 64, 64, 1, HS_ACT_GELU_ERF, HS_POOL_TANH, 0, 0, 2, 5},
        {"roberta-tiny", 0, 2, 32, 4, 64, 284, 1, HS_ACT_GELU_ERF, HS_POOL_TANH, 2, 0, 1, 2},
        {"distilbert-tiny", 0, 2, 32, 4, 64, 64, 1, HS_ACT_GELU_ERF, HS_POOL_RELU, 0, 0, 0, 2},
        {"gpt2-tiny", 0, 2, 32, 4, 128, 280, 0, HS_ACT_GELU_TANH, HS_POOL_NONE, 0, 1, 0, 3},
        {"gpt2-tiny-bf16", 2, 2, 32, 4, 128, 280, 0, HS_ACT_GELU_TANH, HS_POOL_NONE, 0, 1, 0, 2},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        hs_hf_info info;
        hs_model *m = load(fix(k[i].dir), k[i].n_out, &info);
        if (!tap_ok(m != NULL, "%s loads", k[i].dir)) continue;
        const hs_config *c = &m->cfg;
        tap_ok(c->layers == k[i].L && c->d_model == k[i].d && c->heads == k[i].H && c->d_ff == k[i].F &&
                   c->vocab == k[i].V && c->n_out == k[i].C,
               "%s: L %d d %d H %d F %d V %d C %d", k[i].dir, c->layers, c->d_model, c->heads, c->d_ff, c->vocab,
               c->n_out);
        tap_ok(c->post_ln == k[i].post_ln && c->act == k[i].act && c->pooler == k[i].pooler &&
                   c->pos_offset == k[i].pos_off && c->cls_last == k[i].cls_last && c->type_vocab == k[i].tv &&
                   c->causal == k[i].cls_last && !c->lm,
               "%s: family settings (post_ln %d act %d pooler %d pos_offset %d cls_last %d types %d)", k[i].dir,
               c->post_ln, c->act, c->pooler, c->pos_offset, c->cls_last, c->type_vocab);
        int P = !strncmp(k[i].dir, "gpt2", 4) ? 32 : !strncmp(k[i].dir, "roberta", 7) ? 32 : 64;
        tap_ok(c->seq_len == P && info.max_positions == P, "%s: %d usable positions", k[i].dir, c->seq_len);
        double eps = !strncmp(k[i].dir, "bert", 4) || !strncmp(k[i].dir, "distil", 6) ? 1e-12 : 1e-5;
        tap_ok(c->ln_eps == eps, "%s: LayerNorm eps %g", k[i].dir, c->ln_eps);
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
}

/* a known element of each kind of tensor lands where the core layout wants it */
static void test_transposes(void)
{
    hs_model *m = load(fix("bert-tiny"), 0, NULL);
    if (!m) return;
    const size_t d = 32, F = 64, C = 3;
    raw_open(fix("bert-tiny/model.safetensors"));
    raw_t q = raw_get("bert.encoder.layer.1.attention.self.query.weight");
    raw_t o = raw_get("bert.encoder.layer.1.attention.output.dense.weight");
    raw_t w1 = raw_get("bert.encoder.layer.0.intermediate.dense.weight");
    raw_t w2 = raw_get("bert.encoder.layer.1.output.dense.weight");
    raw_t cw = raw_get("classifier.weight"), pw = raw_get("bert.pooler.dense.weight");
    raw_t te = raw_get("bert.embeddings.token_type_embeddings.weight");
    raw_t bv = raw_get("bert.encoder.layer.1.attention.self.value.bias");
    /* HF query.weight[out 5][in 7] → wq[1][in 7][out 5] */
    tap_ok(m->p.wq[1 * d * d + 7 * d + 5] == raw_elem(&q, 5 * d + 7), "BERT query.weight [5][7] -> wq[1][7][5]");
    tap_ok(m->p.wo[1 * d * d + 9 * d + 2] == raw_elem(&o, 2 * d + 9), "BERT output.dense [2][9] -> wo[1][9][2]");
    tap_ok(m->p.w1[0 * d * F + 3 * F + 60] == raw_elem(&w1, 60 * d + 3), "BERT intermediate [60][3] -> w1[0][3][60]");
    tap_ok(m->p.w2[1 * d * F + 61 * d + 4] == raw_elem(&w2, 4 * F + 61), "BERT output.dense [4][61] -> w2[1][61][4]");
    tap_ok(m->p.out_w[11 * C + 2] == raw_elem(&cw, 2 * d + 11), "BERT classifier [2][11] -> out_w[11][2]");
    tap_ok(m->p.pool_w[1 * d + 30] == raw_elem(&pw, 30 * d + 1), "BERT pooler [30][1] -> pool_w[1][30]");
    tap_ok(m->p.type_emb[1 * d + 3] == raw_elem(&te, 1 * d + 3), "BERT token types [1][3] -> type_emb[1][3]");
    tap_ok(m->p.bv[1 * d + 17] == raw_elem(&bv, 17), "BERT value.bias [17] -> bv[1][17]");
    hs_model_destroy(&m);

    m = load(fix("gpt2-tiny"), 0, NULL);
    if (!m) return;
    raw_open(fix("gpt2-tiny/model.safetensors"));
    raw_t a = raw_get("transformer.h.1.attn.c_attn.weight"), ab = raw_get("transformer.h.1.attn.c_attn.bias");
    raw_t cp = raw_get("transformer.h.0.attn.c_proj.weight"), sc = raw_get("score.weight");
    raw_t fc = raw_get("transformer.h.1.mlp.c_fc.weight");
    const size_t F2 = 128;
    tap_ok(m->p.wq[d * d + 6 * d + 10] == raw_elem(&a, 6 * 3 * d + 10), "GPT-2 c_attn [6][10] -> wq[1][6][10]");
    tap_ok(m->p.wk[d * d + 6 * d + 10] == raw_elem(&a, 6 * 3 * d + d + 10), "GPT-2 c_attn [6][d+10] -> wk[1][6][10]");
    tap_ok(m->p.wv[d * d + 31 * d + 0] == raw_elem(&a, 31 * 3 * d + 2 * d), "GPT-2 c_attn [31][2d] -> wv[1][31][0]");
    tap_ok(m->p.bk[d + 4] == raw_elem(&ab, d + 4), "GPT-2 c_attn.bias [d+4] -> bk[1][4]");
    tap_ok(m->p.wo[3 * d + 8] == raw_elem(&cp, 3 * d + 8), "GPT-2 c_proj [3][8] -> wo[0][3][8] (no transpose)");
    tap_ok(m->p.w1[d * F2 + 2 * F2 + 100] == raw_elem(&fc, 2 * F2 + 100), "GPT-2 c_fc [2][100] -> w1[1][2][100]");
    tap_ok(m->p.out_w[5 * 3 + 1] == raw_elem(&sc, 1 * d + 5) && m->p.out_b[0] == 0 && m->p.out_b[2] == 0,
           "GPT-2 score [1][5] -> out_w[5][1], no bias (0)");
    hs_model_destroy(&m);

    m = load(fix("roberta-tiny"), 0, NULL);
    if (!m) return;
    raw_open(fix("roberta-tiny/model.safetensors"));
    raw_t dn = raw_get("classifier.dense.weight"), op = raw_get("classifier.out_proj.weight");
    raw_t pe = raw_get("roberta.embeddings.position_embeddings.weight");
    tap_ok(m->p.pool_w[4 * d + 9] == raw_elem(&dn, 9 * d + 4), "RoBERTa classifier.dense [9][4] -> pool_w[4][9]");
    tap_ok(m->p.out_w[7 * 2 + 1] == raw_elem(&op, 1 * d + 7), "RoBERTa out_proj [1][7] -> out_w[7][1]");
    tap_ok(m->info[HS_P_POS_EMB].dims[0] == 34 && m->p.pos_emb[33 * d + 1] == raw_elem(&pe, 33 * d + 1),
           "RoBERTa: all 34 position rows (offset 2) kept in place");
    hs_model_destroy(&m);

    m = load(fix("distilbert-tiny"), 0, NULL);
    if (!m) return;
    raw_open(fix("distilbert-tiny/model.safetensors"));
    raw_t kl = raw_get("distilbert.transformer.layer.1.attention.k_lin.weight"), pc = raw_get("pre_classifier.weight");
    raw_t l2 = raw_get("distilbert.transformer.layer.0.ffn.lin2.weight");
    tap_ok(m->p.wk[d * d + 12 * d + 13] == raw_elem(&kl, 13 * d + 12), "DistilBERT k_lin [13][12] -> wk[1][12][13]");
    tap_ok(m->p.pool_w[0 * d + 5] == raw_elem(&pc, 5 * d + 0), "DistilBERT pre_classifier [5][0] -> pool_w[0][5]");
    tap_ok(m->p.w2[50 * d + 7] == raw_elem(&l2, 7 * F + 50), "DistilBERT lin2 [7][50] -> w2[0][50][7]");
    hs_model_destroy(&m);
}

static void test_half(void)
{
    hs_model *m = load(fix("bert-tiny-f16"), 2, NULL);
    if (m) {
        raw_open(fix("bert-tiny-f16/model.safetensors"));
        raw_t w = raw_get("bert.embeddings.word_embeddings.weight"), q = raw_get("bert.encoder.layer.0.attention.self.query.weight");
        size_t bad = 0;
        for (size_t k = 0; k < 64 * 32; k++) bad += m->p.tok_emb[k] != raw_elem(&w, k);
        for (size_t r = 0; r < 32; r++)
            for (size_t c = 0; c < 32; c++) bad += m->p.wq[c * 32 + r] != raw_elem(&q, r * 32 + c);
        tap_ok(!strcmp(w.dtype, "F16") && bad == 0, "F16 -> float exact on %s word embeddings and a query weight "
               "(%zu differ)", w.dtype, bad);
        hs_model_destroy(&m);
    }
    m = load(fix("gpt2-tiny-bf16"), 2, NULL);
    if (m) {
        raw_open(fix("gpt2-tiny-bf16/model.safetensors"));
        raw_t w = raw_get("wte.weight"), fc = raw_get("h.1.mlp.c_fc.weight");
        size_t bad = 0;
        for (size_t k = 0; k < 280 * 32; k++) bad += m->p.tok_emb[k] != raw_elem(&w, k);
        for (size_t k = 0; k < 32 * 128; k++) bad += m->p.w1[32 * 128 + k] != raw_elem(&fc, k);
        tap_ok(!strcmp(w.dtype, "BF16") && bad == 0, "BF16 -> float exact on the bare GPT-2's wte and c_fc (%zu differ)",
               bad);
        hs_model_destroy(&m);
    }
    /* conversion corner cases against the formula */
    unsigned short hs[] = {0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xC000, 0x7BFF, 0x7C00, 0xFC00, 0x3555};
    int ok = 1;
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        unsigned char b[2] = {(unsigned char)hs[i], (unsigned char)(hs[i] >> 8)};
        raw_t r = {"F16", 0, 2, b};
        double want = raw_elem(&r, 0);
        float got = hs_st_f16_to_f32(hs[i]);
        if (got != want || !signbit(got) != !signbit(want)) {
            tap_diag("F16 %04x: %.9g, expected %.9g", hs[i], got, want);
            ok = 0;
        }
    }
    tap_ok(ok && isnan(hs_st_f16_to_f32(0x7E00)) && hs_st_bf16_to_f32(0x3F80) == 1.0f &&
               hs_st_bf16_to_f32(0xC0A0) == -5.0f,
           "F16 subnormals, signed zero, max, inf, nan; BF16 1 and -5");
}

static void test_labels_pruned(void)
{
    hs_hf_info info;
    hs_model *m = load(fix("bert-tiny"), 0, &info);
    if (m) {
        tap_ok(info.n_labels == 3 && info.has_classifier && !strcmp(info.id2label[0], "positive") &&
                   !strcmp(info.id2label[1], "negative") && !strcmp(info.id2label[2], "neutral"),
               "id2label by id (file order 2, 1, 0; not alphabetical)");
        tap_ok(info.family == HS_HF_BERT && !strcmp(info.architecture, "BertForSequenceClassification") &&
                   !strcmp(info.tokenizer, "wordpiece") && info.cls_id == 5 && info.sep_id == 6 && info.pad_id == 0 &&
                   !strcmp(info.transformers_version, "4.40.0"),
               "info: family, architecture, tokenizer, [CLS] 5 [SEP] 6 [PAD] 0, version");
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
    m = load(fix("roberta-tiny"), 0, &info);
    if (m) {
        tap_ok(info.cls_id == 0 && info.sep_id == 2 && info.pad_id == 1 && !strcmp(info.tokenizer, "bpe") &&
                   !strcmp(info.id2label[0], "LABEL_B"),
               "RoBERTa info: <s> 0, </s> 2, <pad> 1, bpe, id2label[0] LABEL_B");
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
    m = load(fix("bert-pruned"), 2, &info);
    if (!m) return;
    const size_t d = 32, dh = 8, H = 4;
    hs_real want_g[8] = {1, 0, 1, 1, 0, 1, 0, 1};
    tap_ok(memcmp(m->p.gates, want_g, sizeof want_g) == 0, "pruned_heads {0: [1], 1: [0, 2]} -> gates 0 there");
    int zero = 1;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < dh; j++)
            zero &= m->p.wq[i * d + 1 * dh + j] == 0 && m->p.wv[d * d + i * d + 2 * dh + j] == 0 &&
                    m->p.wo[(1 * dh + j) * d + i] == 0 && m->p.wk[d * d + i * d + 0 * dh + j] == 0;
    tap_ok(zero && m->p.bq[1 * dh] == 0, "pruned heads load as zero weights");
    raw_open(fix("bert-pruned/model.safetensors"));
    raw_t q = raw_get("encoder.layer.0.attention.self.query.weight"), o = raw_get("encoder.layer.1.attention.output.dense.weight");
    /* layer 0 keeps heads 0, 2, 3: file rows 8..15 are head 2; layer 1 keeps 1, 3: file columns 8..15 are head 3 */
    tap_ok(m->p.wq[5 * d + 2 * dh + 3] == raw_elem(&q, (1 * dh + 3) * d + 5),
           "pruned file: query row of kept head 2 (second kept) -> wq column 2*dh+3");
    tap_ok(m->p.wo[d * d + (3 * dh + 1) * d + 6] == raw_elem(&o, 6 * (2 * dh) + 1 * dh + 1),
           "pruned file: output.dense column of kept head 3 -> wo row 3*dh+1");
    tap_ok(q.end - q.begin == 3 * dh * d * 4, "the fixture is physically pruned (24 x 32 query)");
    (void)H;
    hs_hf_info_free(&info);
    hs_model_destroy(&m);
}

static void test_roundtrip(void)
{
    const char *dirs[] = {"bert-tiny", "roberta-tiny", "distilbert-tiny", "gpt2-tiny", "bert-pruned",
                          "bert-tiny-f16", "gpt2-tiny-bf16"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        int n_out = i < 4 ? 0 : 3;
        hs_hf_info info;
        hs_model *m = load(fix(dirs[i]), n_out, &info), *r = NULL;
        if (!m) continue;
        char out[700];
        snprintf(out, sizeof out, "%s/export-%s", TMP, dirs[i]);
        hs_status s = hs_hf_export(m, &info, fix(dirs[i]), out, NULL);
        if (s != HS_OK) tap_diag("export: %s", hs_error_message());
        hs_error_clear();
        hs_hf_info info2;
        if (s == HS_OK) r = load(out, 0, &info2);
        tap_ok(params_equal(m, r), "%s: export -> reload is bit-exact (every parameter and gate)", dirs[i]);
        if (r) {
            int lab = info.n_labels != m->cfg.n_out ||
                      (info2.n_labels == info.n_labels && !strcmp(info2.id2label[info.n_labels - 1],
                                                                 info.id2label[info.n_labels - 1]));
            tap_ok(lab && info2.has_classifier, "%s: labels kept", dirs[i]);
            hs_hf_info_free(&info2);
        }
        if (i == 0 && r) {
            char p[800];
            snprintf(p, sizeof p, "%s/config.json", out);
            size_t n;
            char *txt = (char *)read_all(p, &n);
            tap_ok(txt && strstr(txt, "\"headsweep_version\"") && strstr(txt, "\"hidden_dropout_prob\": 0.1") &&
                       strstr(txt, "\"_name_or_path\"") && !strstr(txt, "pruned_heads") &&
                       strstr(txt, "\"torch_dtype\": \"float32\""),
                   "exported config.json keeps the source's keys, adds headsweep_version");
            free(txt);
            snprintf(p, sizeof p, "%s/vocab.txt", out);
            tap_ok(access(p, F_OK) == 0, "vocab.txt copied");
            /* exported F32 bytes equal the source's (same names, same layout) */
            raw_open(fix("bert-tiny/model.safetensors"));
            raw_t a = raw_get("bert.encoder.layer.1.attention.self.key.weight");
            unsigned char *src = malloc(a.end - a.begin);
            memcpy(src, a.data, a.end - a.begin);
            snprintf(p, sizeof p, "%s/model.safetensors", out);
            raw_open(p);
            raw_t b = raw_get("bert.encoder.layer.1.attention.self.key.weight");
            tap_ok(b.data && b.end - b.begin == a.end - a.begin && !memcmp(src, b.data, a.end - a.begin),
                   "exported key.weight bytes equal the source file's");
            free(src);
            /* a second export into the now non-empty folder is refused */
            s = hs_hf_export(m, &info, fix(dirs[i]), out, NULL);
            tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "not empty"), "export refuses a non-empty folder");
            hs_error_clear();
        }
        if (i == 4 && r) {
            char p[800];
            snprintf(p, sizeof p, "%s/model.safetensors", out);
            raw_open(p);
            raw_t q = raw_get("bert.encoder.layer.1.attention.self.query.weight");
            snprintf(p, sizeof p, "%s/config.json", out);
            size_t n;
            char *txt = (char *)read_all(p, &n);
            tap_ok(q.end - q.begin == 2 * 8 * 32 * 4 && txt && strstr(txt, "\"pruned_heads\""),
                   "bert-pruned re-exported physically pruned, pruned_heads written");
            free(txt);
        }
        hs_model_destroy(&r);
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
}

/* export with heads pruned (a whole layer too) → reload → same logits */
static void test_pruned_export(void)
{
    const char *dirs[] = {"gpt2-tiny", "bert-tiny", "roberta-tiny", "distilbert-tiny"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        hs_hf_info info;
        hs_model *m = load(fix(dirs[i]), 0, &info), *r = NULL;
        if (!m) continue;
        const int H = m->cfg.heads;
        m->p.gates[0] = 0;
        m->p.gates[3] = 0;
        m->p.gates[2] = (hs_real)0.5; /* folded into the output projection */
        for (int h = 0; h < H; h++) m->p.gates[H + h] = 0; /* layer 1 loses every head */
        hs_real a[64], b[64];
        int n = logits(m, a);
        char out[700];
        snprintf(out, sizeof out, "%s/pruned-%s", TMP, dirs[i]);
        hs_status s = hs_hf_export(m, &info, fix(dirs[i]), out, NULL);
        if (s != HS_OK) tap_diag("export: %s", hs_error_message());
        hs_error_clear();
        if (s == HS_OK) r = load(out, 0, NULL);
        double worst = r ? 0 : INFINITY;
        if (r && n && logits(r, b) == n)
            for (int k = 0; k < n; k++) worst = fmax(worst, fabs((double)a[k] - b[k]));
        else
            worst = INFINITY;
        tap_ok(n && worst <= 1e-5, "%s: heads 0, 3 of layer 0 and all of layer 1 pruned, gate 0.5 folded: "
               "exported model's logits within 1e-5 (%.2g)", dirs[i], worst);
        if (r) {
            hs_real g[8] = {0, 1, 1, 0, 0, 0, 0, 0};
            tap_ok(!memcmp(r->p.gates, g, sizeof g), "%s: reloaded gates (pruned_heads read back)", dirs[i]);
        }
        char p[800];
        snprintf(p, sizeof p, "%s/model.safetensors", out);
        raw_open(p);
        raw_t q = raw_get(i == 0 ? "transformer.h.1.attn.c_attn.weight"
                          : i == 1 ? "bert.encoder.layer.1.attention.self.query.weight"
                          : i == 2 ? "roberta.encoder.layer.1.attention.self.query.weight"
                                   : "distilbert.transformer.layer.1.attention.q_lin.weight");
        raw_t q0 = raw_get(i == 0 ? "transformer.h.0.attn.c_attn.weight"
                           : i == 1 ? "bert.encoder.layer.0.attention.self.query.weight"
                           : i == 2 ? "roberta.encoder.layer.0.attention.self.query.weight"
                                    : "distilbert.transformer.layer.0.attention.q_lin.weight");
        tap_ok(q.data && q.begin == q.end && q0.end - q0.begin == (size_t)(i == 0 ? 3 : 1) * 16 * 32 * 4,
               "%s: layer 1's attention tensors have 0 rows, layer 0's 2 heads", dirs[i]);
        hs_model_destroy(&r);
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
}

static void test_fresh_head(void)
{
    hs_model *a = load(fix("bert-tiny"), 4, NULL), *b = load(fix("bert-tiny-f16"), 4, NULL);
    hs_model *c = load(fix("bert-tiny"), 0, NULL);
    if (!a || !b || !c) goto out;
    hs_model *fresh;
    hs_config cfg = a->cfg;
    if (hs_model_create(&fresh, &cfg) != HS_OK) goto out;
    hs_model_init_weights(fresh, 42);
    const size_t nw = a->info[HS_P_OUT_W].count;
    /* the head is the seeded init's, whatever the checkpoint holds (bert-tiny-f16 has no pooler, bert-tiny a classifier) */
    tap_ok(!memcmp(a->p.out_w, fresh->p.out_w, nw * sizeof(hs_real)) &&
               !memcmp(b->p.out_w, fresh->p.out_w, nw * sizeof(hs_real)),
           "a fresh head is hs_model_init_weights' (same key), independent of the checkpoint");
    tap_ok(!memcmp(a->p.pool_w, c->p.pool_w, 32 * 32 * sizeof(hs_real)) &&
               !memcmp(b->p.pool_w, fresh->p.pool_w, 32 * 32 * sizeof(hs_real)),
           "BERT keeps the checkpoint's pooler under a fresh head; one without a pooler gets the seeded init");
    hs_model_destroy(&fresh);
out:
    hs_model_destroy(&a);
    hs_model_destroy(&b);
    hs_model_destroy(&c);
}

static void test_malformed(void)
{
    char p[1200];
    const char *d;
    d = clone("bert-tiny", "noconfig");
    snprintf(p, sizeof p, "%s/config.json", d);
    unlink(p);
    expect_fail(d, "missing config.json", "noconfig/config.json", "cannot open");

    d = clone("bert-tiny", "noweights");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    unlink(p);
    expect_fail(d, "missing model.safetensors", "noweights/model.safetensors", "missing");

    d = clone("bert-tiny", "t5");
    edit(d, "config.json", "\"model_type\": \"bert\"", "\"model_type\": \"t5\"");
    expect_fail(d, "unsupported architecture", "t5/config.json: key \"model_type\" \"t5\"",
                "expected one of bert, roberta, distilbert, gpt2");

    d = clone("bert-tiny", "silu");
    edit(d, "config.json", "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"silu\"");
    expect_fail(d, "unsupported activation", "silu/config.json: key \"hidden_act\": activation \"silu\"",
                "expected gelu, gelu_new");

    d = clone("gpt2-tiny", "gpt2act");
    edit(d, "config.json", "\"gelu_new\"", "\"swish\"");
    expect_fail(d, "GPT-2 activation", "gpt2act/config.json: key \"activation_function\"", "\"swish\"");

    d = clone("bert-tiny", "bigvocab");
    snprintf(p, sizeof p, "%s/vocab.txt", d);
    FILE *fp = fopen(p, "a");
    fputs("extra1\nextra2\n", fp);
    fclose(fp);
    expect_fail(d, "vocab.txt longer than vocab_size", "bigvocab/vocab.txt: 66 tokens", "vocab_size = 64");

    d = clone("gpt2-tiny", "bigjson");
    edit(d, "vocab.json", "\"<|endoftext|>\": 279", "\"<|endoftext|>\": 300");
    expect_fail(d, "vocab.json ids past vocab_size", "bigjson/vocab.json", "vocab_size = 280");

    d = clone("bert-tiny", "vsize");
    edit(d, "config.json", "\"vocab_size\": 64", "\"vocab_size\": 70");
    expect_fail(d, "vocab_size not matching the tensor", "vsize/model.safetensors: tensor bert.embeddings.word_embeddings.weight has shape [64, 32]",
                "expected [70, 32] (vocab_size");

    d = clone("bert-tiny", "ffsize");
    edit(d, "config.json", "\"intermediate_size\": 64", "\"intermediate_size\": 60");
    expect_fail(d, "a tensor of the wrong shape", "ffsize/model.safetensors: tensor bert.encoder.layer.0.intermediate.dense.weight has shape [64, 32]",
                "expected [60, 32]");

    d = clone("bert-tiny", "missing");
    /* a same-length rename inside the header: the tensor is then missing */
    edit(d, "model.safetensors", "layer.1.attention.self.key.weight", "layer.1.attention.self.kex.weight");
    expect_fail(d, "a missing tensor", "missing/model.safetensors: tensor bert.encoder.layer.1.attention.self.key.weight missing",
                "expected [32, 32]");

    d = clone("bert-tiny", "i64");
    edit(d, "model.safetensors", "\"bert.pooler.dense.bias\":{\"dtype\":\"F32\",\"shape\":[32]",
         "\"bert.pooler.dense.bias\":{\"dtype\":\"I32\",\"shape\":[32]");
    expect_fail(d, "a needed tensor of an integer dtype", "tensor bert.pooler.dense.bias has dtype I32",
                "expected F32, F16 or BF16");

    d = clone("bert-tiny", "pruned");
    edit(d, "config.json", "\"problem_type\"", "\"pruned_heads\": {\"0\": [1, 1]}, \"problem_type\"");
    expect_fail(d, "pruned_heads naming a head twice", "pruned/config.json: key \"pruned_heads\": layer 0",
                "distinct heads 0..3");

    d = clone("bert-tiny", "badjson");
    edit(d, "config.json", "\"hidden_size\": 32,", "\"hidden_size\": 32,,");
    expect_fail(d, "config.json not JSON", "badjson/config.json: line ", "expected a key");

    d = clone("bert-tiny", "labels");
    edit(d, "config.json", "\"2\": \"neutral\",", "");
    expect_fail(d, "id2label not matching the classifier", "classifier.weight has 3 rows", "id2label");

    /* the safetensors reader alone, on files made here */
    snprintf(p, sizeof p, "%s/hdr.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    {
        size_t n;
        unsigned char *b = read_all(p, &n);
        b[0] = 0xFF;
        b[1] = 0xFF;
        write_all(p, b, n);
        free(b);
    }
    expect_st_fail(p, "header length past the file", "header length 65535 past the end of the file", NULL);
    snprintf(p, sizeof p, "%s/hdr2.safetensors", TMP);
    write_all(p, "\x08\0\0", 3);
    expect_st_fail(p, "shorter than 8 bytes", "expected at least the 8-byte header length", NULL);
    snprintf(p, sizeof p, "%s/ovl.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    expect_st_fail(p, "overlapping data_offsets", "tensor b: data_offsets [4, 12] overlap those of a", NULL);
    snprintf(p, sizeof p, "%s/ovl2.safetensors", TMP);
    write_st(p, "{\"big\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16);
    expect_st_fail(p, "overlap hidden behind an empty tensor", "tensor c: data_offsets [8, 12] overlap those of big",
                   NULL);
    snprintf(p, sizeof p, "%s/oob.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12);
    expect_st_fail(p, "out-of-bounds data_offsets", "tensor a: data_offsets [0, 16] out of bounds", "12");
    snprintf(p, sizeof p, "%s/size.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F16\",\"shape\":[3,2],\"data_offsets\":[0,16]}}", 16);
    expect_st_fail(p, "size not matching shape x dtype", "tensor a: data_offsets [0, 16] hold 16 bytes",
                   "[3, 2] x F16 = 12 bytes");
    snprintf(p, sizeof p, "%s/dtype.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F42\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_st_fail(p, "unknown dtype", "tensor a: unknown dtype \"F42\"", NULL);
    snprintf(p, sizeof p, "%s/nodt.safetensors", TMP);
    write_st(p, "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_st_fail(p, "entry without dtype", "tensor a: no dtype", NULL);
    snprintf(p, sizeof p, "%s/nosh.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
    expect_st_fail(p, "entry without shape", "tensor a: no shape", NULL);
    snprintf(p, sizeof p, "%s/nooff.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    expect_st_fail(p, "entry without data_offsets", "tensor a: no data_offsets", NULL);
    snprintf(p, sizeof p, "%s/arr.safetensors", TMP);
    write_st(p, "[1, 2]", 0);
    expect_st_fail(p, "header not an object", "the header is not a JSON object", NULL);
    snprintf(p, sizeof p, "%s/meta.safetensors", TMP);
    write_st(p, "{\"__metadata__\":{\"format\":1}}", 0);
    expect_st_fail(p, "__metadata__ not string -> string", "__metadata__ key \"format\": expected a string", NULL);
    snprintf(p, sizeof p, "%s/trunc.safetensors", TMP);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",", 0);
    expect_st_fail(p, "truncated header JSON", "line 1, column 21: unexpected end", NULL);

    /* nothing is written when the export is refused */
    hs_hf_info info;
    hs_model *m = load(fix("gpt2-tiny"), 0, &info);
    if (m) {
        m->layer_off[1] = 1;
        snprintf(p, sizeof p, "%s/dropped", TMP);
        hs_status s = hs_hf_export(m, &info, fix("gpt2-tiny"), p, NULL);
        tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "layer 1 is dropped") && is_dir_empty_or_missing(p),
               "export of a model with a dropped layer refused, nothing written");
        hs_error_clear();
        hs_hf_info_free(&info);
        hs_model_destroy(&m);
    }
}

/* writer and reader agree; the writer's file is valid for the reader */
static void test_writer(void)
{
    float a[6] = {1, -2, 3.5f, 0, 1e-30f, -0.0f}, e[1] = {0};
    hs_st_out t[2] = {{"zeta", 2, {2, 3}, a}, {"alpha", 1, {0}, e}};
    char p[700];
    snprintf(p, sizeof p, "%s/w.safetensors", TMP);
    hs_status s = hs_st_write(p, t, 2);
    hs_safetensors *f = NULL;
    if (s == HS_OK) s = hs_st_open(&f, p);
    hs_real back[6] = {0};
    const hs_st_tensor *z = f ? hs_st_find(f, "zeta") : NULL;
    if (z) s = hs_st_read_block(f, z, 0, 2, 0, 3, back, 3, 0);
    int ok = s == HS_OK && z && z->shape[0] == 2 && z->shape[1] == 3 && hs_st_find(f, "alpha") &&
             hs_st_find(f, "alpha")->count == 0 && f->n == 2 && hs_st_meta(f, "format") &&
             !strcmp(hs_st_meta(f, "format"), "pt");
    for (int i = 0; i < 6; i++) ok &= back[i] == a[i];
    size_t n;
    unsigned char *raw = read_all(p, &n);
    ok &= raw && ((raw[0] | raw[1] << 8) % 8) == 0 && n == 8 + (size_t)(raw[0] | raw[1] << 8) + 24;
    free(raw);
    tap_ok(ok, "writer: F32, sorted, header padded to 8, __metadata__ format pt, an empty tensor; reader reads it back");
    hs_real tr[6];
    if (z && hs_st_read_block(f, z, 0, 2, 1, 2, tr, 2, 1) == HS_OK)
        tap_ok(tr[0] == -2 && tr[1] == 1e-30f && tr[2] == 3.5f && tr[3] == 0 && signbit(tr[3]),
               "read_block: a transposed column block");
    hs_st_close(&f);
}

static void test_json(void)
{
    const char *txt = "{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"a\": {\"b\": 7}}";
    hs_json *j = NULL;
    hs_status s = hs_json_parse(&j, txt, strlen(txt), "t.json");
    const hs_json *a = hs_json_get(j, "a");
    tap_ok(s == HS_OK && a && a->type == HS_JSON_OBJ && hs_json_get(a, "b")->num == 7, "JSON: the last repeated key wins");
    const hs_json *arr = j ? &j->items[0] : NULL;
    tap_ok(arr && arr->len == 5 && arr->items[1].num == -2500 && arr->items[2].type == HS_JSON_BOOL &&
               arr->items[3].type == HS_JSON_NULL && !strcmp(arr->items[4].str, "x\xc3\xa9\xf0\x9f\x98\x80\n"),
           "JSON: numbers, literals, \\u escapes and a surrogate pair to UTF-8");
    hs_json_free(j);
    struct { const char *t, *msg; } bad[] = {
        {"{\"a\": 01}", "line 1, column 8"},        {"{\"a\": \"\\ud83d\"}", "low surrogate"},
        {"[1,\n 2,\n ]", "line 3, column 2"},        {"{\"a\" 1}", "':' after the key"},
        {"[1] x", "the end of the file"},             {"\"abc", "closing the string"},
        {"{\"a\": nul}", "expected a value"},         {"[0x10]", "',' or ']'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = hs_json_parse(&j, bad[i].t, strlen(bad[i].t), "t.json");
        int ok = s == HS_ERR_INPUT && !j && strstr(hs_error_message(), "t.json: line") &&
                 strstr(hs_error_message(), bad[i].msg);
        char shown[64];
        snprintf(shown, sizeof shown, "%s", bad[i].t);
        for (char *c = shown; *c; c++)
            if (*c == '\n') *c = '~'; /* one TAP line */
        tap_ok(ok, "JSON refuses %s (%s)", shown, bad[i].msg);
        if (!ok) tap_diag("%s", hs_error_message());
        hs_error_clear();
    }
    char deep[1000];
    memset(deep, '[', 600);
    deep[600] = 0;
    s = hs_json_parse(&j, deep, 600, "deep.json");
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "at most 256 nested"), "JSON depth is bounded");
    hs_error_clear();
}

/* a sharded checkpoint (index + two shards, written here) loads as the single file does */
static void test_sharded(void)
{
    const char *d = clone("bert-tiny", "sharded");
    char p[1400];
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    hs_safetensors *f = NULL;
    if (hs_st_open(&f, p) != HS_OK) {
        tap_ok(0, "sharded: open %s", hs_error_message());
        hs_error_clear();
        return;
    }
    hs_st_out *out[2];
    size_t no[2] = {0, 0};
    float **bufs = calloc(f->n, sizeof *bufs);
    out[0] = calloc(f->n, sizeof **out);
    out[1] = calloc(f->n, sizeof **out);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    FILE *ix = fopen(p, "w");
    fputs("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {", ix);
    int first = 1;
    for (size_t i = 0; i < f->n; i++) {
        const hs_st_tensor *t = &f->t[i];
        if (t->dtype == HS_ST_OTHER) continue; /* position_ids: ignored by the loader */
        int k = (int)(i % 2);
        bufs[i] = calloc(t->count + 1, sizeof(float));
        hs_st_read_block(f, t, 0, hs_st_rows(t), 0, hs_st_cols(t), bufs[i], hs_st_cols(t), 0);
        hs_st_out *o = &out[k][no[k]++];
        o->name = t->name;
        o->rank = t->rank;
        memcpy(o->shape, t->shape, sizeof o->shape);
        o->data = bufs[i];
        fprintf(ix, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", first ? "" : ", ", t->name, k + 1);
        first = 0;
    }
    fputs("}}\n", ix);
    fclose(ix);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/model-0000%d-of-00002.safetensors", d, k + 1);
        hs_st_write(p, out[k], no[k]);
    }
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    unlink(p);
    hs_model *a = load(fix("bert-tiny"), 0, NULL), *b = load(d, 0, NULL);
    tap_ok(params_equal(a, b), "sharded checkpoint (index + 2 shards) loads as the single file");
    hs_model_destroy(&b);
    /* a weight_map naming the wrong shard */
    edit(d, "model.safetensors.index.json", "\"classifier.bias\": \"model-00001", "\"classifier.bias\": \"model-00002");
    hs_model *c = NULL;
    hs_status s = hs_hf_load(&c, NULL, d, 0, 0, 1);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "model.safetensors.index.json: tensor classifier.bias"),
           "a weight_map entry naming the wrong shard is refused (%s)", hs_error_message());
    hs_error_clear();
    hs_model_destroy(&c);
    hs_model_destroy(&a);
    for (size_t i = 0; i < f->n; i++) free(bufs[i]);
    free(bufs);
    free(out[0]);
    free(out[1]);
    hs_st_close(&f);
}

/* SHA-256 (the weights' header digest of a results file's provenance): the
 * test vectors of FIPS 180-4's examples, the last fed in uneven pieces */
static void test_sha256(void)
{
    static const struct { const char *in, *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"}};
    char hex[65];
    hs_sha256 c;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hs_sha256_init(&c);
        hs_sha256_update(&c, v[i].in, strlen(v[i].in));
        hs_sha256_final(&c, hex);
        tap_ok(!strcmp(hex, v[i].hex), "sha256(\"%.12s%s\") = %.16s...", v[i].in, strlen(v[i].in) > 12 ? ".." : "", hex);
    }
    static char a[1000];
    memset(a, 'a', sizeof a);
    hs_sha256_init(&c);
    for (size_t done = 0, k = 1; done < 1000000; done += k, k = k % 997 + 1)
        hs_sha256_update(&c, a, done + k <= 1000000 ? k : 1000000 - done);
    hs_sha256_final(&c, hex);
    tap_ok(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
           "sha256 of a million 'a' in pieces of 1..997 bytes");
}

int main(void)
{
    const char *f = getenv("FIXTURES");
    snprintf(FIX, sizeof FIX, "%s/pretrained", f ? f : "tests/fixtures");
    snprintf(TMP, sizeof TMP, "/tmp/hs_pretrained_XXXXXX");
    if (!mkdtemp(TMP)) {
        perror("mkdtemp");
        return 99;
    }
    test_json();
    test_writer();
    test_shapes();
    test_transposes();
    test_half();
    test_labels_pruned();
    test_fresh_head();
    test_roundtrip();
    test_malformed();
    test_sharded();
    test_pruned_export();
    test_sha256();
    free(raw_file);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", TMP);
    if (!getenv("HS_KEEP_TMP") && system(cmd) != 0) tap_diag("could not remove %s", TMP);
    return tap_done();
}
