/* greedy.c — `greedy` (AxFormer-style accuracy-driven pruning, Nagarajan et
 * al. 2020; docs/methods.md "greedy", [recon]): starting from the full model, remove
 * one head at a time, each time the head whose removal costs least on the
 * prune split, until k heads are gone.
 *
 * Cost of a candidate mask (lower wins; ties: lowest flat index l·H + j):
 *   criterion = loss    the prune-split mean cross-entropy;
 *   criterion = metric  the prune-split metric, in the task's direction
 *                       (−metric when higher is better, e.g. accuracy).
 *
 * Exact greedy (lazy = 0) evaluates every remaining head in every round:
 * 1 + Σ_{r<k} (N − r) evaluations (the 1 is the full model). Lazy greedy
 * (lazy = m > 0) evaluates all N heads in the first round only; in each later
 * round it ranks the remaining heads by their most recent cost (stale for
 * heads not re-evaluated lately; ties lowest index), re-evaluates only the m
 * best and removes the best of those m: 1 + N + (k − 1)·min(m, remaining)
 * evaluations. m ≥ N − 1 is exact greedy. The mask is nested in k (the first
 * k removals for k + 1 are the removals for k).
 *
 * Outputs: importance[h] = prune-split loss with head h alone removed minus
 * the full model's loss (first round; higher = more important) — always the
 * loss, whatever the criterion, since it is the finer signal. curve[0] = the
 * full model's prune-split metric, curve[r] = the metric after the r-th
 * removal (k + 1 points). k = 0: the full mask, no evaluation, importance 0.
 * Workload: O(N·k) evaluations of the prune split, O(N) memory. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

static const char *const criteria[] = {"loss", "metric", NULL};

static const hs_setting_def settings[] = {
    {"criterion", HS_SET_CHOICE, 0, 0, 1, criteria,
     "what a removal costs on the prune split: loss (lower wins) or metric (task direction)"},
    {"lazy", HS_SET_INT, 0, 0, 65536, NULL,
     "0 = exact greedy; m > 0 = after round 1 re-evaluate only the m best candidates of the last ranking"},
};

/* Cost of an evaluation under the criterion; non-finite values lose. */
static double cost(const hs_prune_ctx *c, int use_metric, const hs_eval_result *ev)
{
    double v = use_metric ? (c->task->higher_is_better ? -ev->metric : ev->metric) : ev->loss;
    return isfinite(v) ? v : INFINITY;
}

static hs_status run(hs_prune_ctx *c)
{
    const int N = c->model->cfg.layers * c->model->cfg.heads;
    const int use_metric = hs_setting(c, "criterion") == 1;
    const int lazy = (int)hs_setting(c, "lazy");
    memset(c->mask, 1, (size_t)N);
    memset(c->importance, 0, sizeof(float) * (size_t)N);
    if (c->k <= 0) return HS_OK;

    double *score = NULL;  /* [N] most recent cost of removing h next */
    double *metric = NULL; /* [N] prune metric of that same evaluation */
    int *order = NULL;     /* [N] candidates of this round */
    unsigned char *trial = NULL;
    hs_status s = hs_calloc((void **)&score, (size_t)N, sizeof(double), "greedy scores");
    if (s == HS_OK) s = hs_calloc((void **)&metric, (size_t)N, sizeof(double), "greedy metrics");
    if (s == HS_OK) s = hs_calloc((void **)&order, (size_t)N, sizeof(int), "greedy order");
    if (s == HS_OK) s = hs_calloc((void **)&trial, (size_t)N, 1, "greedy trial mask");
    hs_eval_result ev;
    if (s == HS_OK) s = hs_prune_eval_mask(c, c->mask, &ev);
    if (s != HS_OK) goto done;
    const double base_loss = ev.loss;
    hs_curve_push(c, ev.metric);

    for (int round = 0; round < c->k && s == HS_OK; round++) {
        /* this round's candidates, in flat-index order */
        int n = 0;
        for (int h = 0; h < N; h++)
            if (c->mask[h]) order[n++] = h;
        if (round > 0 && lazy > 0 && lazy < n) {
            /* keep the `lazy` lowest stored costs (ties: lowest index), then
             * restore index order so ties below still go to the lowest index */
            for (int i = 0; i < lazy; i++) {
                int b = i;
                for (int j = i + 1; j < n; j++)
                    if (score[order[j]] < score[order[b]] ||
                        (score[order[j]] == score[order[b]] && order[j] < order[b]))
                        b = j;
                const int t = order[i];
                order[i] = order[b];
                order[b] = t;
            }
            n = lazy;
            for (int i = 1; i < n; i++) /* insertion sort by index */
                for (int j = i; j > 0 && order[j] < order[j - 1]; j--) {
                    const int t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        }
        int best = -1;
        memcpy(trial, c->mask, (size_t)N);
        for (int i = 0; i < n && s == HS_OK; i++) {
            const int h = order[i];
            trial[h] = 0;
            s = hs_prune_eval_mask(c, trial, &ev);
            trial[h] = 1;
            if (s != HS_OK) break;
            score[h] = cost(c, use_metric, &ev);
            metric[h] = ev.metric;
            if (round == 0) c->importance[h] = (float)(ev.loss - base_loss);
            if (best < 0 || score[h] < score[best]) best = h; /* index order: ties keep the lower */
        }
        if (s != HS_OK) break;
        c->mask[best] = 0;
        hs_curve_push(c, metric[best]);
    }
done:
    hs_free(score);
    hs_free(metric);
    hs_free(order);
    hs_free(trial);
    return s;
}

/* Cost: one evaluation per remaining head per round (exact), or the lazy
 * variant's N first then the m best re-evaluated per round. */
static double passes(const hs_cost_ctx *c)
{
    const double N = c->N, k = c->k;
    if (k == 0) return 0;
    const double m = hs_cost_setting(c, "lazy");
    if (m <= 0 || m >= N - 1) return 1 + k * N - k * (k - 1) / 2;
    return 1 + N + (k - 1) * fmin(m, N - k + 1);
}

const hs_method hs_method_greedy = {
    .name = "greedy",
    .summary = "accuracy-driven greedy removal on the prune split (AxFormer-style)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
