/* lm.c — kind "lm": byte-level causal language modelling on any file
 * (docs/tasks.md "lm").
 *
 * Tokens: BOS (= HS_TOK_CLS) then bytes as HS_TOK_FIRST_SYMBOL + byte value
 * (vocab 260). The file of N bytes is cut into three regions: train = bytes
 * [0, ⌊0.90·N⌋), prune = [⌊0.90·N⌋, ⌊0.95·N⌋), test = [⌊0.95·N⌋, N) (the
 * held-out tail). Each region is cut into non-overlapping windows of T-1
 * bytes (T = seq_len positions), from its start; a tail shorter than T-1
 * bytes is dropped. A window is BOS b1 … b(T-1); position p predicts token
 * p+1, so positions 0..T-2 are scored (the first byte of a window is predicted
 * from BOS alone) and the last position is not (target -1): every byte of a
 * window is scored exactly once. n_train / n_prune / n_test, when set, keep
 * only the first that many windows of a region.
 *
 * Sizes: the file is read whole (a few hundred KB to ~100 MB); splits take
 * 2·T ints per window (tokens and targets). */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "task.h"
#include "tokenizer.h"

enum { DEFAULT_SEQ_LEN = 128 };

/* Region boundaries of an n-byte file: b[0]=0 < b[1] ≤ b[2] ≤ b[3]=n. */
static void regions(size_t n, size_t b[4])
{
    b[0] = 0;
    b[1] = n / 100 * 90 + n % 100 * 90 / 100; /* ⌊0.90·n⌋ without overflow */
    b[2] = n / 100 * 95 + n % 100 * 95 / 100;
    b[3] = n;
}

/* The smallest file size whose three regions each hold one window of w bytes. */
static size_t bytes_needed(size_t w)
{
    for (size_t n = w;; n++) {
        size_t b[4];
        regions(n, b);
        if (b[1] - b[0] >= w && b[2] - b[1] >= w && b[3] - b[2] >= w) return n;
    }
}

hs_status hs_task_open_lm(hs_task *t)
{
    hs_task_spec *sp = &t->spec;
    if (!sp->seq_len) sp->seq_len = DEFAULT_SEQ_LEN;
    if (sp->seq_len < 2 || sp->seq_len > 4096)
        return hs_error_set(HS_ERR_INPUT, "task %s: seq_len %d: expected 2..4096", sp->name, sp->seq_len);
    if (sp->n_train < 0 || sp->n_prune < 0 || sp->n_test < 0)
        return hs_error_set(HS_ERR_INPUT, "task %s: window caps (n_train, n_prune, n_test) must not be negative",
                            sp->name);
    if (!sp->path || !*sp->path)
        return hs_error_set(HS_ERR_INPUT, "task %s: path is missing (expected a text file)", sp->name);
    const int T = sp->seq_len;
    t->shape.vocab = HS_TOK_BYTE_VOCAB;
    t->shape.seq_len = T;
    t->shape.n_out = HS_TOK_BYTE_VOCAB;
    t->shape.lm = t->shape.causal = 1;
    t->metric = HS_METRIC_PERPLEXITY;

    char *buf;
    size_t n;
    HS_CHECK(hs_text_read_file(sp->path, &buf, &n));
    const size_t w = (size_t)T - 1; /* bytes per window */
    size_t b[4];
    regions(n, b);
    hs_status s = HS_OK;
    if (n == 0)
        s = hs_error_set(HS_ERR_INPUT, "%s: empty file (expected text; at least %zu bytes for seq_len %d)", sp->path,
                         bytes_needed(w), T);
    else if (b[1] - b[0] < w || b[2] - b[1] < w || b[3] - b[2] < w)
        s = hs_error_set(HS_ERR_INPUT,
                         "%s: %zu bytes is too short for seq_len %d: each split (90%% / 5%% / 5%% of the file) "
                         "needs a window of %zu bytes, so at least %zu bytes are needed",
                         sp->path, n, T, w, bytes_needed(w));
    const long caps[HS_NUM_SPLITS] = {sp->n_train, sp->n_prune, sp->n_test};
    long windows[HS_NUM_SPLITS] = {0};
    for (int k = 0; k < HS_NUM_SPLITS && s == HS_OK; k++) {
        long nw = (long)((b[k + 1] - b[k]) / w);
        if (caps[k] && caps[k] < nw) nw = caps[k];
        windows[k] = nw;
        hs_split_data *sd = &t->split[k];
        s = hs_split_alloc(sd, t, nw);
        for (long e = 0; e < nw && s == HS_OK; e++) {
            const unsigned char *src = (const unsigned char *)buf + b[k] + (size_t)e * w;
            int *tok = sd->tokens + e * T, *tgt = sd->targets + e * T;
            tok[0] = HS_TOK_CLS;
            hs_tok_bytes(src, w, tok + 1, T - 1);
            for (int p = 0; p < T - 1; p++) tgt[p] = tok[p + 1];
            tgt[T - 1] = -1;
            sd->lengths[e] = T;
        }
    }
    if (s == HS_OK)
        snprintf(t->description, sizeof t->description,
                 "lm: bytes of %s (%zu bytes; %ld / %ld / %ld windows of %d bytes)", sp->path, n,
                 windows[HS_SPLIT_TRAIN], windows[HS_SPLIT_PRUNE], windows[HS_SPLIT_TEST], T - 1);
    hs_free(buf);
    return s;
}
