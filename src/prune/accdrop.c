/* accdrop.c — `accdrop`: accuracy-driven pruning (AxFormer, Nagarajan, Sen,
 * Stevens, Raghunathan 2020; docs/methods.md "accdrop", [recon]). Where
 * `greedy` removes the least harmful head until k are gone, accdrop removes
 * what *hinders* the task: in each round it evaluates every candidate removal
 * on the prune split and takes the one that raises the prune-split metric
 * most, and it stops as soon as no candidate raises it (until = no_gain) —
 * or, with until = k, goes on with the best candidate until the budget is
 * spent, counting only the removals that improved. It never removes more
 * than k = round(ratio·N) heads: the ratio is a budget, not a target.
 *
 * Units (unit): head — one head; layer — every kept head of one layer (an
 * attention block; it fits only while the budget has H heads left);
 * layer+head — AxFormer's hierarchy: layer rounds until none improves (or
 * none fits), then head rounds.
 *
 * Order of candidates (best first): metric in the task's direction
 * (higher accuracy, lower perplexity), then lower prune-split loss, then the
 * lowest index (flat l·H + j, or the layer). "Raises" is strict: a removal
 * that leaves the metric equal is not an improvement.
 *
 * Outputs: curve[0] = the full model's prune-split metric, curve[r] = the
 * metric after the r-th removal; ctx->improved = removals that raised it
 * (with no_gain, every removal made); importance[h] = the prune-split loss
 * with h's unit alone removed minus the full model's (the first round of that
 * unit; higher = more important). Workload: per round one evaluation per
 * remaining candidate — at most 1 + k·N − k(k−1)/2 evaluations for heads. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

static const char *const units[] = {"head", "layer", "layer+head", NULL};
static const char *const untils[] = {"no_gain", "k", NULL};

static const hs_setting_def settings[] = {
    {"unit", HS_SET_CHOICE, 0, 0, 2, units,
     "what one removal takes: a head, a layer's attention (all its kept heads), or layers first then heads"},
    {"until", HS_SET_CHOICE, 0, 0, 1, untils,
     "no_gain = stop when no removal raises the prune-split metric; k = go on to the budget k"},
};

/* Metric as a cost (lower wins) in the task's direction; non-finite loses. */
static double mcost(const hs_prune_ctx *c, double metric)
{
    const double v = c->task->higher_is_better ? -metric : metric;
    return isfinite(v) ? v : INFINITY;
}

typedef struct {
    double cost, loss, metric;
} cand;

/* a better than b (ties in both: the caller keeps the lower index) */
static int better(const cand *a, const cand *b) { return a->cost < b->cost || (a->cost == b->cost && a->loss < b->loss); }

/* Rounds of one unit. layer_unit: candidates are layers with kept heads and
 * H ≤ budget left; else kept heads. Updates mask, *removed, *cur (the
 * current prune metric as a cost). Returns with *stop when until = no_gain
 * and nothing improved. */
static hs_status rounds(hs_prune_ctx *c, int layer_unit, int until_k, unsigned char *trial, int *removed,
                        cand *cur, double base_loss, int *first_round)
{
    const int L = c->model->cfg.layers, H = c->model->cfg.heads, N = L * H;
    hs_status s = HS_OK;
    for (;;) {
        int best = -1;
        cand bc = {0, 0, 0};
        const int n_units = layer_unit ? L : N;
        for (int u = 0; u < n_units; u++) {
            int size = 0;
            memcpy(trial, c->mask, (size_t)N);
            if (layer_unit) {
                for (int j = 0; j < H; j++) size += c->mask[u * H + j], trial[u * H + j] = 0;
            } else {
                size = c->mask[u];
                trial[u] = 0;
            }
            if (size == 0 || *removed + size > c->k) continue;
            hs_eval_result ev;
            s = hs_prune_eval_mask(c, trial, &ev);
            if (s != HS_OK) return s;
            const cand cd = {mcost(c, ev.metric), isfinite(ev.loss) ? ev.loss : INFINITY, ev.metric};
            if (*first_round) {
                if (layer_unit)
                    for (int j = 0; j < H; j++) c->importance[u * H + j] = (float)(ev.loss - base_loss);
                else
                    c->importance[u] = (float)(ev.loss - base_loss);
            }
            if (best < 0 || better(&cd, &bc)) best = u, bc = cd;
        }
        *first_round = 0;
        if (best < 0) return HS_OK; /* nothing fits the budget */
        const int gain = bc.cost < cur->cost;
        if (!gain && !until_k) return HS_OK;
        if (layer_unit)
            for (int j = 0; j < H; j++) *removed += c->mask[best * H + j], c->mask[best * H + j] = 0;
        else
            *removed += 1, c->mask[best] = 0;
        c->improved += gain;
        *cur = bc;
        hs_curve_push(c, bc.metric);
    }
}

static hs_status run(hs_prune_ctx *c)
{
    const int N = c->model->cfg.layers * c->model->cfg.heads;
    const int unit = (int)hs_setting(c, "unit"), until_k = hs_setting(c, "until") == 1;
    memset(c->mask, 1, (size_t)N);
    memset(c->importance, 0, sizeof(float) * (size_t)N);
    c->improved = 0;
    if (c->k <= 0) return HS_OK;
    unsigned char *trial = NULL;
    HS_CHECK(hs_calloc((void **)&trial, (size_t)N, 1, "accdrop trial mask"));
    hs_eval_result ev;
    hs_status s = hs_prune_eval_mask(c, c->mask, &ev);
    if (s == HS_OK) {
        hs_curve_push(c, ev.metric);
        cand cur = {mcost(c, ev.metric), ev.loss, ev.metric};
        int removed = 0, first = 1;
        /* layer+head: the layer rounds stop at no gain whatever `until`, so
         * the head rounds still see the budget */
        if (unit >= 1) s = rounds(c, 1, until_k && unit == 1, trial, &removed, &cur, ev.loss, &first);
        first = 1;
        if (s == HS_OK && unit != 1) s = rounds(c, 0, until_k, trial, &removed, &cur, ev.loss, &first);
    }
    hs_free(trial);
    return s;
}

/* Upper bound (every round evaluates every remaining candidate and the
 * budget is spent): heads 1 + k·N − k(k−1)/2; layers Σ_{r < ⌊k/H⌋+1} (L − r),
 * at most L rounds (L unknown: N). */
static double passes(const hs_cost_ctx *c)
{
    const double N = c->N, k = c->k;
    if (k == 0) return 0;
    const int unit = (int)hs_cost_setting(c, "unit");
    const double L = c->layers > 0 ? c->layers : N, H = N / L;
    double p = 1;
    if (unit != 1) p += k * N - k * (k - 1) / 2;
    if (unit != 0) {
        const double r = fmin(L, floor(k / H) + 1); /* the last round finds nothing to take */
        p += r * L - r * (r - 1) / 2;
    }
    return p;
}

const hs_method hs_method_accdrop = {
    .name = "accdrop",
    .summary = "accuracy-driven pruning: remove what raises the prune-split metric, stop when nothing does (AxFormer)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
