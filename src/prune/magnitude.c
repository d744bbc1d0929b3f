/* magnitude.c — `magnitude`: a head's score is the ℓ2 norm of its slices of
 * Wq, Wk, Wv (columns j·dh…) and Wo (rows j·dh…); the k smallest go. */
#include <math.h>

#include "method.h"

static hs_status run(hs_prune_ctx *c)
{
    const hs_model *m = c->model;
    const int L = m->cfg.layers, H = m->cfg.heads, d = m->cfg.d_model, dh = d / H;
    const size_t dd = (size_t)d * d;
    for (int l = 0; l < L; l++)
        for (int j = 0; j < H; j++) {
            double s = 0;
            const hs_real *w3[3] = {m->p.wq + l * dd, m->p.wk + l * dd, m->p.wv + l * dd};
            for (int t = 0; t < 3; t++)
                for (int r = 0; r < d; r++)
                    for (int i = 0; i < dh; i++) {
                        double x = w3[t][(size_t)r * d + j * dh + i];
                        s += x * x;
                    }
            const hs_real *wo = m->p.wo + l * dd + (size_t)j * dh * d;
            for (size_t i = 0; i < (size_t)dh * d; i++) s += (double)wo[i] * wo[i];
            c->importance[l * H + j] = (float)sqrt(s);
        }
    return hs_mask_from_scores(c->mask, c->importance, L * H, c->k);
}

const hs_method hs_method_magnitude = {
    .name = "magnitude",
    .summary = "per-head norm of its Wq, Wk, Wv columns and Wo rows",
    .settings = NULL,
    .n_settings = 0,
    .run = run,
    .passes = hs_cost_none,
    .curve_label = NULL,
};
