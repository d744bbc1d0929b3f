/* random.c — `random`: k heads chosen uniformly, seeded by the point's key
 * (the baseline every study needs). */
#include "../core/rng.h"
#include "method.h"

static hs_status run(hs_prune_ctx *c)
{
    const int N = c->model->cfg.layers * c->model->cfg.heads;
    hs_rng r;
    hs_rng_seed(&r, hs_key_str(c->key, "random-heads"));
    /* a random score per head; the k lowest go (ties impossible in practice,
     * and broken by index anyway) */
    for (int i = 0; i < N; i++) c->importance[i] = (float)hs_rng_uniform(&r);
    return hs_mask_from_scores(c->mask, c->importance, N, c->k);
}

const hs_method hs_method_random = {
    .name = "random",
    .summary = "uniformly random heads (seeded)",
    .settings = NULL,
    .n_settings = 0,
    .run = run,
    .passes = hs_cost_none,
    .curve_label = NULL,
};
