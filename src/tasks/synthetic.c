/* synthetic.c — generators for the built-in synthetic tasks (see synthetic.h). */
#include "synthetic.h"

#include <string.h>

hs_status hs_synth_init(hs_synth *t, const char *name, int seq_len, int symbols)
{
    if (!strcmp(name, "majority"))
        t->kind = HS_SYNTH_MAJORITY;
    else if (!strcmp(name, "copy"))
        t->kind = HS_SYNTH_COPY;
    else
        return hs_error_set(HS_ERR_INPUT, "unknown synthetic task '%s': expected majority or copy",
                            name);
    const int min_len = t->kind == HS_SYNTH_COPY ? 4 : 3;
    if (seq_len < min_len || seq_len > 4096)
        return hs_error_set(HS_ERR_INPUT, "task %s: seq_len %d: expected %d..4096", name, seq_len,
                            min_len);
    const int max_symbols = t->kind == HS_SYNTH_MAJORITY ? 64 : 1 << 16;
    if (symbols < 2 || symbols > max_symbols)
        return hs_error_set(HS_ERR_INPUT, "task %s: symbols %d: expected 2..%d", name, symbols,
                            max_symbols);
    t->seq_len = seq_len;
    t->symbols = symbols;
    return HS_OK;
}

void hs_synth_model_shape(const hs_synth *t, hs_config *cfg)
{
    cfg->seq_len = t->seq_len;
    cfg->vocab = HS_TOK_FIRST_SYMBOL + t->symbols;
    if (t->kind == HS_SYNTH_MAJORITY) {
        cfg->n_out = t->symbols;
        cfg->lm = 0;
        cfg->causal = 0;
    } else {
        cfg->n_out = cfg->vocab;
        cfg->lm = 1;
        cfg->causal = 1;
    }
}

int hs_synth_rows(const hs_synth *t, int B) { return t->kind == HS_SYNTH_COPY ? B * t->seq_len : B; }

static void fill_majority(const hs_synth *t, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = t->seq_len, K = t->symbols;
    int counts[64];
    HS_ASSERT(K <= 64);
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

static void fill_copy(const hs_synth *t, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = t->seq_len, n = (T - 2) / 2;
    tok[0] = HS_TOK_CLS;
    for (int i = 0; i < n; i++) tok[1 + i] = HS_TOK_FIRST_SYMBOL + (int)hs_rng_below(r, (uint32_t)t->symbols);
    tok[1 + n] = HS_TOK_SEP;
    for (int i = 0; i < n; i++) tok[2 + n + i] = tok[1 + i];
    for (int i = 2 + 2 * n; i < T; i++) tok[i] = HS_TOK_PAD;
    *len = 2 + 2 * n;
    /* position p predicts token p+1; only the copied half is scored */
    for (int p = 0; p < T; p++) target[p] = (p >= 1 + n && p < 1 + 2 * n) ? tok[p + 1] : -1;
}

void hs_synth_fill(const hs_synth *t, hs_rng *r, int B, int *tokens, int *lengths, int *targets)
{
    const int T = t->seq_len;
    for (int b = 0; b < B; b++) {
        if (t->kind == HS_SYNTH_MAJORITY)
            fill_majority(t, r, tokens + (size_t)b * T, lengths + b, targets + b);
        else
            fill_copy(t, r, tokens + (size_t)b * T, lengths + b, targets + (size_t)b * T);
    }
}
