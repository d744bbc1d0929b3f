/* michel.c — `michel` (Michel, Levy, Neubig 2019; docs/methods.md "michel"): head
 * importance I_h = E_x |∂L_x/∂g_h| over the prune split (per-example
 * absolute value; `abs = batch` takes it per batch instead), optionally ℓ2
 * normalised within each layer, heads removed in ascending order in steps of
 * step_fraction·N. One-shot (scores once on the full model, the published
 * curves) or iterative (`reestimate`: scores again on the masked model before
 * each step, the code's --exact_pruning). The curve holds the prune-split
 * metric after every step. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

static const char *const abs_modes[] = {"example", "batch", NULL};

static const hs_setting_def settings[] = {
    {"normalize", HS_SET_BOOL, 1, 0, 1, NULL, "per-layer l2 normalisation of the scores"},
    {"reestimate", HS_SET_BOOL, 0, 0, 1, NULL, "re-estimate importance on the masked model before each step"},
    {"step_fraction", HS_SET_REAL, 0.1, 0.001, 1, NULL, "fraction of all heads removed per step"},
    {"abs", HS_SET_CHOICE, 0, 0, 1, abs_modes, "where |.| is taken: per example or per batch"},
};

/* Importance of every head with the current gates (masked heads included:
 * their context is still computed, so their gate gradient exists); the loop
 * is shared with `papa` (methods.c). */
static hs_status importance(hs_prune_ctx *c, int per_example, int normalize, float *out)
{
    return hs_gate_importance(c, per_example, normalize, out);
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    const int N = m->cfg.layers * m->cfg.heads;
    const int normalize = hs_setting(c, "normalize") != 0, re = hs_setting(c, "reestimate") != 0;
    const int per_example = hs_setting(c, "abs") == 0;
    int step = (int)lround(hs_setting(c, "step_fraction") * N);
    if (step < 1) step = 1;
    float *score = NULL;
    HS_CHECK(hs_calloc((void **)&score, (size_t)N, sizeof(float), "scores"));
    hs_status s = importance(c, per_example, normalize, c->importance);
    memcpy(score, c->importance, sizeof(float) * N);
    hs_eval_result ev;
    memset(c->mask, 1, (size_t)N);
    if (s == HS_OK) s = hs_prune_eval_mask(c, c->mask, &ev);
    if (s == HS_OK) hs_curve_push(c, ev.metric);
    for (int removed = 0; removed < c->k && s == HS_OK;) {
        const int now = removed + step < c->k ? step : c->k - removed;
        if (re && removed > 0) {
            /* gates = current mask (left by the last evaluation) */
            s = importance(c, per_example, normalize, score);
            if (s != HS_OK) break;
        }
        for (int r = 0; r < now; r++) { /* lowest score among the kept heads, lowest index on ties */
            int best = -1;
            for (int i = 0; i < N; i++)
                if (c->mask[i] && (best < 0 || score[i] < score[best])) best = i;
            c->mask[best] = 0;
        }
        removed += now;
        s = hs_prune_eval_mask(c, c->mask, &ev);
        if (s == HS_OK) hs_curve_push(c, ev.metric);
    }
    hs_free(score);
    return s;
}

/* Cost: importance = forward + backward over the prune split (3 passes),
 * once or before every step; one evaluation before and after each step. */
static double passes(const hs_cost_ctx *c)
{
    double step = lround(hs_cost_setting(c, "step_fraction") * c->N);
    if (step < 1) step = 1;
    const double steps = ceil(c->k / step);
    const int re = hs_cost_setting(c, "reestimate") != 0;
    return 3.0 * (re && steps > 0 ? steps : 1) + (1 + steps);
}

const hs_method hs_method_michel = {
    .name = "michel",
    .summary = "gate-gradient importance E|dL/dg| (Michel et al. 2019)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
