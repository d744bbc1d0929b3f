/* synthetic.c — kind "synthetic": generated tasks with a known solution.
 *
 *   majority  (classification) CLS x1..xn PAD…: the label is the symbol that
 *             occurs most often (a strict maximum). Solved by a CLS head that
 *             attends uniformly and reads counts. Lengths vary (padding).
 *   copy      (language model) BOS x1..xn SEP x1..xn: predict the second half;
 *             only the copied part is scored. Solved by a head that attends n+1
 *             positions back (an offset/induction pattern).
 *
 * Each split is generated from its own stream keyed by (seed, name, split). */
#include <stdio.h>
#include <string.h>

#include "../core/rng.h"
#include "task.h"

enum { DEFAULT_TRAIN = 20000, DEFAULT_PRUNE = 1000, DEFAULT_TEST = 2000 };

static void fill_majority(const hs_task *t, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = t->shape.seq_len, K = t->spec.symbols;
    int counts[64];
    for (;;) {
        /* between half and all of the positions hold symbols; the rest is padding */
        int n = (T - 1) / 2 + (int)hs_rng_below(r, (uint32_t)(T - 1 - (T - 1) / 2)) + 1;
        memset(counts, 0, sizeof counts);
        tok[0] = HS_TOK_CLS;
        for (int i = 1; i < T; i++) {
            if (i <= n) {
                int s = (int)hs_rng_below(r, (uint32_t)K);
                counts[s]++;
                tok[i] = HS_TOK_FIRST_SYMBOL + s;
            } else {
                tok[i] = HS_TOK_PAD;
            }
        }
        int best = 0, ties = 0;
        for (int s = 1; s < K; s++)
            if (counts[s] > counts[best]) best = s;
        for (int s = 0; s < K; s++) ties += counts[s] == counts[best];
        if (ties == 1) { /* a strict maximum, else draw again */
            *len = n + 1;
            *target = best;
            return;
        }
    }
}

static void fill_copy(const hs_task *t, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = t->shape.seq_len, n = (T - 2) / 2;
    tok[0] = HS_TOK_CLS;
    for (int i = 0; i < n; i++)
        tok[1 + i] = HS_TOK_FIRST_SYMBOL + (int)hs_rng_below(r, (uint32_t)t->spec.symbols);
    tok[1 + n] = HS_TOK_SEP;
    for (int i = 0; i < n; i++) tok[2 + n + i] = tok[1 + i];
    for (int i = 2 + 2 * n; i < T; i++) tok[i] = HS_TOK_PAD;
    *len = 2 + 2 * n;
    /* position p predicts token p+1; only the copied half is scored */
    for (int p = 0; p < T; p++) target[p] = (p >= 1 + n && p < 1 + 2 * n) ? tok[p + 1] : -1;
}

hs_status hs_task_open_synthetic(hs_task *t)
{
    hs_task_spec *sp = &t->spec;
    const char *g = sp->generator ? sp->generator : "";
    int copy = !strcmp(g, "copy");
    if (!copy && strcmp(g, "majority"))
        return hs_error_set(HS_ERR_INPUT, "task %s: unknown generator '%s' (expected majority or copy)",
                            sp->name, g);
    if (!sp->seq_len) sp->seq_len = 16;
    if (!sp->symbols) sp->symbols = 4;
    if (!sp->n_train) sp->n_train = DEFAULT_TRAIN;
    if (!sp->n_prune) sp->n_prune = DEFAULT_PRUNE;
    if (!sp->n_test) sp->n_test = DEFAULT_TEST;
    if (sp->seq_len < 4 || sp->seq_len > 4096)
        return hs_error_set(HS_ERR_INPUT, "task %s: seq_len %d: expected 4..4096", sp->name, sp->seq_len);
    const int max_symbols = copy ? 1 << 16 : 64;
    if (sp->symbols < 2 || sp->symbols > max_symbols)
        return hs_error_set(HS_ERR_INPUT, "task %s: symbols %d: expected 2..%d", sp->name, sp->symbols,
                            max_symbols);
    t->shape.seq_len = sp->seq_len;
    t->shape.vocab = HS_TOK_FIRST_SYMBOL + sp->symbols;
    t->shape.lm = t->shape.causal = copy;
    t->shape.n_out = copy ? t->shape.vocab : sp->symbols;
    t->metric = copy ? HS_METRIC_EXACT_MATCH : HS_METRIC_ACCURACY;
    snprintf(t->description, sizeof t->description, "%s",
             copy ? "copy: BOS x SEP x, solved by a head attending n+1 back"
                  : "majority: most frequent symbol, solved by a uniform CLS head");
    static const char *const split_names[HS_NUM_SPLITS] = {"train", "prune", "test"};
    const long sizes[HS_NUM_SPLITS] = {sp->n_train, sp->n_prune, sp->n_test};
    const int T = sp->seq_len, ts = hs_task_target_stride(t);
    for (int k = 0; k < HS_NUM_SPLITS; k++) {
        hs_split_data *s = &t->split[k];
        HS_CHECK(hs_split_alloc(s, t, sizes[k]));
        hs_rng r;
        hs_rng_seed(&r, hs_key_str(hs_key_str(hs_key_str(sp->seed, sp->name), "data"), split_names[k]));
        for (long e = 0; e < s->n; e++) {
            if (copy)
                fill_copy(t, &r, s->tokens + e * T, s->lengths + e, s->targets + e * ts);
            else
                fill_majority(t, &r, s->tokens + e * T, s->lengths + e, s->targets + e);
        }
    }
    return HS_OK;
}
