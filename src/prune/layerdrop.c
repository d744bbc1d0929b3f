/* layerdrop.c — `layerdrop` (Sajjad, Dalvi, Durrani, Nakov, CSL 2023;
 * docs/methods.md "layerdrop"): whole layers are dropped, K = round(ratio · L) of them, so
 * the heads removed are K·H rather than round(ratio · N) — the documented
 * exception to the head-count rule (ratios that are not multiples of 1/L
 * round to the nearest reachable K). A dropped layer is the identity on the
 * residual stream (pre-LN: nothing else to skip; the final LN stays): the
 * method sets model->layer_off[l] = 1 and the mask of all its heads to 0.
 *
 * Strategies (`strategy`); layers 1-indexed from the input side as in the paper,
 * 0-indexed in brackets. Each fixed strategy is a drop order over all L
 * layers and K takes its first K entries, so the dropped sets are nested:
 *   top        L, L−1, …, 1                 — drops L−K+1 … L   [L−K … L−1]
 *   bottom     1, 2, …, L                   — drops 1 … K       [0 … K−1]
 *   alternate  L, L−2, L−4, … then L−1, L−3, … (the paper's even variant:
 *              K=4, L=12 → 12,10,8,6); with `odd` = true it starts one below:
 *              L−1, L−3, … then L, L−2, … (K=4, L=12 → 11,9,7,5). Past L/2
 *              layers the other parity follows, again from the top.
 *   symmetric  the K middle layers, 0-indexed [lo, lo + K) with
 *              lo = max(0, ⌊L/2⌋ − ⌈K/2⌉): for even K exactly the reference
 *              slice [L/2 − K/2, L/2 + K/2) (K=4, L=12 → 5…8); for odd K the
 *              same slice for K−1 plus the extra layer just below it
 *              (K=3, L=12 → 5…7, 1-indexed). The clamp only acts for K = L
 *              with L odd (then every layer goes).
 *   contribution  s_l = mean over every valid (non-padded) position of every
 *              prune-split example of cos(res_l, res_{l+1}) — the residual
 *              stream entering and leaving layer l, full model, gates 1 — and
 *              the K layers with the highest s_l go (ties: lowest index).
 *
 * importance (every head of a layer gets its layer's score; higher = more
 * important): contribution 1 − s_l; fixed strategies the layer's position in
 * the drop order (0 = dropped first, L−1 = dropped last). No evaluations. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

enum { S_TOP, S_BOTTOM, S_ALTERNATE, S_SYMMETRIC, S_CONTRIBUTION };
static const char *const strategies[] = {"top", "bottom", "alternate", "symmetric", "contribution", NULL};

static const hs_setting_def settings[] = {
    {"strategy", HS_SET_CHOICE, S_TOP, 0, 4, strategies,
     "which K = round(ratio*L) layers go: top, bottom, alternate, symmetric (middle), contribution"},
    {"odd", HS_SET_BOOL, 0, 0, 1, NULL,
     "alternate only: start at layer L-1 (11,9,7,.. for L=12) instead of L (12,10,8,..)"},
};

/* The drop order of a fixed strategy: order[i] = 0-indexed layer dropped
 * (i+1)-th. */
static void drop_order(int strategy, int odd, int L, int *order)
{
    int n = 0;
    switch (strategy) {
    case S_TOP:
        for (int l = L - 1; l >= 0; l--) order[n++] = l;
        break;
    case S_BOTTOM:
        for (int l = 0; l < L; l++) order[n++] = l;
        break;
    case S_ALTERNATE:
        for (int l = L - 1 - odd; l >= 0; l -= 2) order[n++] = l;
        for (int l = L - 1 - !odd; l >= 0; l -= 2) order[n++] = l;
        break;
    case S_SYMMETRIC: {
        /* the set for K is [lo(K), lo(K) + K); successive sets are nested, so
         * the K-th layer dropped is the one the K-th set adds */
        unsigned char in[1024] = {0};
        for (int K = 1; K <= L; K++) {
            int lo = L / 2 - (K + 1) / 2;
            if (lo < 0) lo = 0;
            for (int l = lo; l < lo + K; l++)
                if (!in[l]) {
                    in[l] = 1;
                    order[n++] = l;
                }
        }
        break;
    }
    }
    HS_ASSERT(n == L);
}

/* s[l] = mean cosine similarity of the residual stream before and after
 * layer l over the valid positions of the prune split. */
static hs_status similarity(hs_prune_ctx *c, double *s)
{
    hs_model *m = c->model;
    const int L = m->cfg.layers, d = m->cfg.d_model;
    const long nb = hs_task_num_batches(c->task, HS_SPLIT_PRUNE, c->bb->B);
    long count = 0;
    memset(s, 0, sizeof(double) * L);
    for (long i = 0; i < nb; i++) {
        const int n = hs_task_batch(c->task, HS_SPLIT_PRUNE, i, c->bb);
        if (n == 0) break;
        const hs_batch *b = &c->bb->batch;
        HS_CHECK(hs_model_forward(m, b));
        /* layer l's input: a.res + l·max_B·max_T·d, rows b·T + t (see model.c) */
        const size_t stride = (size_t)m->max_B * m->max_T * d;
        for (int e = 0; e < n; e++) {
            const int len = b->lengths ? b->lengths[e] : b->T;
            for (int t = 0; t < len; t++) {
                const size_t row = ((size_t)e * b->T + t) * d;
                for (int l = 0; l < L; l++) {
                    const hs_real *x = m->a.res + l * stride + row, *y = x + stride;
                    double xy = 0, xx = 0, yy = 0;
                    for (int k = 0; k < d; k++) {
                        xy += (double)x[k] * y[k];
                        xx += (double)x[k] * x[k];
                        yy += (double)y[k] * y[k];
                    }
                    /* two zero vectors are the same vector; one zero vector is unlike anything */
                    s[l] += xx > 0 && yy > 0 ? xy / (sqrt(xx) * sqrt(yy)) : (xx == yy ? 1 : 0);
                }
            }
            count += len;
        }
    }
    for (int l = 0; l < L; l++) s[l] = count ? s[l] / count : 0;
    return HS_OK;
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    const int L = m->cfg.layers, H = m->cfg.heads;
    const int strategy = (int)hs_setting(c, "strategy"), odd = hs_setting(c, "odd") != 0;
    int K = (int)lround(c->ratio * L);
    if (K > L) K = L;
    if (K < 0) K = 0;
    float *layer_score = NULL;
    HS_CHECK(hs_calloc((void **)&layer_score, (size_t)L, sizeof(float), "layer scores"));
    unsigned char *drop = NULL;
    hs_status s = hs_calloc((void **)&drop, (size_t)L, 1, "dropped layers");
    if (s == HS_OK && strategy == S_CONTRIBUTION) {
        double *sim = NULL;
        s = hs_calloc((void **)&sim, (size_t)L, sizeof(double), "layer similarities");
        if (s == HS_OK) s = similarity(c, sim);
        if (s == HS_OK) {
            for (int l = 0; l < L; l++) layer_score[l] = (float)(1 - sim[l]);
            /* the K lowest 1 − s (highest similarity) go, lowest index on ties */
            s = hs_mask_from_scores(drop, layer_score, L, K);
            for (int l = 0; l < L; l++) drop[l] = !drop[l];
        }
        hs_free(sim);
    } else if (s == HS_OK) {
        int order[1024];
        drop_order(strategy, odd, L, order);
        for (int i = 0; i < L; i++) {
            layer_score[order[i]] = (float)i;
            drop[order[i]] = i < K;
        }
    }
    if (s == HS_OK)
        for (int l = 0; l < L; l++) {
            m->layer_off[l] = drop[l];
            for (int j = 0; j < H; j++) {
                c->mask[l * H + j] = !drop[l];
                c->importance[l * H + j] = layer_score[l];
            }
        }
    hs_free(drop);
    hs_free(layer_score);
    return s;
}

/* Cost: contribution is one forward pass; the fixed orders read nothing. */
static double passes(const hs_cost_ctx *c)
{
    return hs_cost_choice_is(c, "strategy", "contribution") ? 1 : 0;
}

const hs_method hs_method_layerdrop = {
    .name = "layerdrop",
    .summary = "drop K = round(ratio*L) whole layers: top, bottom, alternate, symmetric or by contribution "
               "(Sajjad et al. 2023)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
