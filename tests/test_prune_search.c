/* test_prune_search.c — the search-based methods `greedy` and `astar` on two
 * small trained majority models (N = 4 and N = 8 heads), against a table of
 * the prune-split loss and metric of every one of the 2^N masks:
 *   - exact removal counts for every k, determinism, ratio 0 = identity;
 *   - greedy: the first head is the cheapest single removal, and the whole
 *     path equals greedy replayed on the table (loss and metric criteria,
 *     lazy variants), with the evaluation counts it documents;
 *   - astar: with stop = exhaust and a budget above the number of states it
 *     equals the exhaustive optimum for every k (both heuristics); the
 *     classic A* stop (stop = bound) is not exact on these models (see
 *     test_astar_search) and is checked to be a prefix of the exhaust run;
 *     evals <= max_evals and exactly k removals for tight budgets.
 * About 8 s of CPU (mostly the N = 8 model). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "../src/prune/point.h"
#include "small_models.h"
#include "tap.h"

typedef struct {
    hs_task *t;
    hs_model *base; /* trained, gates 1 */
    hs_model *em;   /* clone set up for batch B: methods and the table run on it */
    hs_batch_buf bb;
    int N;
    double *loss, *metric; /* [2^N], bit h set = head h removed */
} fixture;

static void fixture_open(fixture *f, int L, int H)
{
    f->t = fx_task("majority", 3, 12, 4, 4000, 128, 256);
    f->base = fx_model(f->t, 16, H, L, 32, 32, hs_key_str(hs_key_u64(0, (uint64_t)(L * 10 + H)), "init"));
    const long steps = 300;
    fx_train(f->base, f->t, steps, 3e-3, steps / 10, 32);

    f->N = L * H;
    HS_ASSERT(hs_model_clone(&f->em, f->base) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(f->em, 64, f->t->shape.seq_len) == HS_OK);
    HS_ASSERT(hs_batch_buf_create(&f->bb, f->t, 64) == HS_OK);
    const int M = 1 << f->N;
    f->loss = calloc((size_t)M, sizeof(double));
    f->metric = calloc((size_t)M, sizeof(double));
    HS_ASSERT(f->loss && f->metric);
    for (int s = 0; s < M; s++) {
        for (int h = 0; h < f->N; h++) f->em->p.gates[h] = (s >> h & 1) ? 0 : 1;
        hs_eval_result ev;
        HS_ASSERT(hs_eval_split(f->em, f->t, HS_SPLIT_PRUNE, &f->bb, &ev) == HS_OK);
        f->loss[s] = ev.loss;
        f->metric[s] = ev.metric;
    }
}

static void fixture_close(fixture *f)
{
    free(f->loss);
    free(f->metric);
    hs_batch_buf_free(&f->bb);
    hs_model_destroy(&f->em);
    hs_model_destroy(&f->base);
    hs_task_destroy(&f->t);
}

typedef struct {
    const char *name;
    double value; /* choices as indices */
} setting;

typedef struct {
    int removed; /* bit set of removed heads */
    long evals;
    int curve_len;
    double curve[HS_MAX_CURVE];
    float importance[64];
} outcome;

/* Runs method `name` at k with the given settings straight through its run
 * function (the way point.c calls it: gates 1, mask all ones). */
static outcome run(fixture *f, const char *name, int k, const setting *sets, int nsets)
{
    const hs_method *meth = hs_method_find(name);
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    for (int i = 0; i < nsets; i++) {
        const int j = hs_setting_index(meth, sets[i].name);
        HS_ASSERT(j >= 0);
        set.v[j] = sets[i].value;
    }
    unsigned char mask[64];
    hs_prune_ctx *c = calloc(1, sizeof *c);
    HS_ASSERT(c);
    for (int h = 0; h < f->N; h++) f->em->p.gates[h] = 1;
    memset(mask, 1, sizeof mask);
    outcome o = {0};
    *c = (hs_prune_ctx){.model = f->em, .task = f->t, .bb = &f->bb, .ratio = (double)k / f->N, .k = k,
                        .key = 7, .set = &set, .method = meth, .mask = mask, .importance = o.importance};
    HS_ASSERT(meth->run(c) == HS_OK);
    for (int h = 0; h < f->N; h++)
        if (!mask[h]) o.removed |= 1 << h;
        else HS_ASSERT(mask[h] == 1);
    o.evals = c->evals;
    o.curve_len = c->curve_len;
    memcpy(o.curve, c->curve, sizeof(double) * (size_t)c->curve_len);
    free(c);
    return o;
}

static int same(const outcome *a, const outcome *b)
{
    return a->removed == b->removed && a->evals == b->evals && a->curve_len == b->curve_len &&
           !memcmp(a->curve, b->curve, sizeof(double) * (size_t)a->curve_len) &&
           !memcmp(a->importance, b->importance, sizeof a->importance);
}

/* Equal-size sets: a's sorted index list is lexicographically smaller iff
 * the lowest index where they differ belongs to a. */
static int lex_less(int a, int b)
{
    const int d = a ^ b;
    return d && (a & d & -d);
}

/* The exhaustive optimum: least loss over all sets of size k, ties by lex order. */
static int exhaustive(const fixture *f, int k)
{
    int best = -1;
    for (int s = 0; s < 1 << f->N; s++) {
        if (__builtin_popcount((unsigned)s) != k) continue;
        if (best < 0 || f->loss[s] < f->loss[best] || (f->loss[s] == f->loss[best] && lex_less(s, best)))
            best = s;
    }
    return best;
}

/* Greedy replayed on the table; use_metric: the metric in the task's direction. */
static int greedy_table(const fixture *f, int k, int use_metric, double *curve)
{
    int cur = 0;
    curve[0] = f->metric[0];
    for (int r = 0; r < k; r++) {
        int best = -1;
        double bc = 0;
        for (int h = 0; h < f->N; h++) {
            if (cur >> h & 1) continue;
            const int s = cur | 1 << h;
            const double c = use_metric ? (f->t->higher_is_better ? -f->metric[s] : f->metric[s]) : f->loss[s];
            if (best < 0 || c < bc) best = h, bc = c;
        }
        cur |= 1 << best;
        curve[r + 1] = f->metric[cur];
    }
    return cur;
}

static void test_counts_and_determinism(fixture *f)
{
    const char *names[] = {"greedy", "astar"};
    for (int mi = 0; mi < 2; mi++) {
        int count_ok = 1, det_ok = 1, zero_ok = 1;
        for (int k = 0; k <= f->N; k++) {
            outcome a = run(f, names[mi], k, NULL, 0), b = run(f, names[mi], k, NULL, 0);
            count_ok &= __builtin_popcount((unsigned)a.removed) == k;
            det_ok &= same(&a, &b);
            if (k == 0) zero_ok = a.removed == 0 && a.evals == 0 && a.curve_len == 0;
        }
        tap_ok(count_ok, "N=%d %s: exactly k heads removed for every k in 0..%d", f->N, names[mi], f->N);
        tap_ok(det_ok, "N=%d %s: two runs give the same mask, evals, curve and importance", f->N, names[mi]);
        tap_ok(zero_ok, "N=%d %s: k = 0 keeps every head with no evaluation", f->N, names[mi]);

        /* through the framework: ratio 0 is the unpruned model, ratio 0.5 halves */
        const hs_method *meth = hs_method_find(names[mi]);
        hs_settings set;
        hs_settings_defaults(meth, &set);
        unsigned char mask[64];
        float imp[64];
        const hs_point_opts po = {.finetune_steps = 0, .finetune_lr = 1e-3, .batch = 64, .latency_repeats = 0};
        hs_point_result r = {.mask = mask, .importance = imp};
        HS_ASSERT(hs_point_run(f->base, f->t, meth, &set, 0.0, 1, &po, &r) == HS_OK);
        int all = 1;
        for (int h = 0; h < f->N; h++) all &= mask[h] == 1;
        tap_ok(all && r.heads_kept == f->N && r.evals == 0 && r.metric_pruned == r.metric_base,
               "N=%d %s: ratio 0 through hs_point_run keeps all %ld heads, metric %.4f = base", f->N,
               names[mi], r.heads_kept, r.metric_pruned);
        hs_point_result r2 = {.mask = mask, .importance = imp};
        HS_ASSERT(hs_point_run(f->base, f->t, meth, &set, 0.5, 1, &po, &r2) == HS_OK);
        tap_ok(r2.heads_kept == f->N / 2 && r2.shrink_max_diff <= 1e-4,
               "N=%d %s: ratio 0.5 through hs_point_run keeps %ld heads (shrunk == masked, %.1e)", f->N,
               names[mi], r2.heads_kept, r2.shrink_max_diff);
    }
}

static void test_greedy(fixture *f)
{
    const int N = f->N;
    /* the first removal is the cheapest single removal (brute force, lowest index on ties) */
    int first = 0;
    for (int h = 1; h < N; h++)
        if (f->loss[1 << h] < f->loss[1 << first]) first = h;
    outcome one = run(f, "greedy", 1, NULL, 0);
    tap_ok(one.removed == 1 << first, "N=%d greedy: first head removed is %d, the cheapest single removal "
           "(loss %.5f vs full %.5f)", N, first, f->loss[1 << first], f->loss[0]);
    int imp_ok = 1;
    for (int h = 0; h < N; h++) imp_ok &= one.importance[h] == (float)(f->loss[1 << h] - f->loss[0]);
    tap_ok(imp_ok, "N=%d greedy: importance = single-head loss increment over the full model", N);

    for (int crit = 0; crit < 2; crit++) {
        int path_ok = 1, evals_ok = 1, curve_ok = 1;
        for (int k = 0; k <= N; k++) {
            double want_curve[HS_MAX_CURVE];
            const int want = greedy_table(f, k, crit, want_curve);
            const setting s[] = {{"criterion", crit}};
            outcome o = run(f, "greedy", k, s, 1);
            path_ok &= o.removed == want;
            long ev = k ? 1 : 0;
            for (int r = 0; r < k; r++) ev += N - r;
            evals_ok &= o.evals == ev;
            const int len = k ? k + 1 : 0;
            curve_ok &= o.curve_len == len && !memcmp(o.curve, want_curve, sizeof(double) * (size_t)len);
        }
        const char *cn = crit ? "metric" : "loss";
        tap_ok(path_ok, "N=%d greedy criterion=%s: every k equals greedy replayed on the mask table", N, cn);
        tap_ok(evals_ok, "N=%d greedy criterion=%s: 1 + sum_{r<k} (N - r) evaluations", N, cn);
        tap_ok(curve_ok, "N=%d greedy criterion=%s: curve = full-model metric, then the metric after each removal",
               N, cn);
    }

    /* lazy >= N - 1 is exact greedy; lazy = 1 costs 1 + N + (k - 1) */
    int lazy_exact = 1, lazy1 = 1;
    for (int k = 0; k <= N; k++) {
        const setting big[] = {{"lazy", N - 1}}, small[] = {{"lazy", 1}};
        outcome e = run(f, "greedy", k, NULL, 0), l = run(f, "greedy", k, big, 1), o = run(f, "greedy", k, small, 1);
        lazy_exact &= same(&e, &l);
        lazy1 &= __builtin_popcount((unsigned)o.removed) == k && o.evals == (k ? 1 + N + (k - 1) : 0) &&
                 (k == 0 || (o.removed & 1 << first));
    }
    tap_ok(lazy_exact, "N=%d greedy: lazy = N-1 gives exact greedy", N);
    tap_ok(lazy1, "N=%d greedy: lazy = 1 removes k heads in 1 + N + (k-1) evaluations, the exact first one first", N);
}

/* stop = bound (the default) ends when the least f on the open list exceeds
 * the best complete loss. That is exact only if no completion of an open
 * state can fall below its f — false here: on these trained models removing
 * a head sometimes LOWERS the loss (V({1}) > V({1,2}) on N = 4), and with
 * canonical successors {1,2} is reachable only through {1}, so even h = 0
 * (uniform cost) stops before reaching it. Observed when this test was
 * written: the optimum for 4 of 5 k (N = 4) and 7-8 of 9 k (N = 8), the
 * misses up to 2x the optimal loss and sometimes worse than greedy; the
 * diagnostics print every miss. What holds by construction, and is checked:
 * bound evaluates a prefix of exhaust's evaluation sequence (same order,
 * only the stop differs), so its evals are <= exhaust's and its curve (the
 * best complete mask each time it improves) is a prefix of exhaust's. */
static void test_astar_search(fixture *f)
{
    const int N = f->N;
    for (int heur = 0; heur < 2; heur++) {
        const char *hn = heur ? "zero" : "increments";
        int eq = 1, budget_ok = 1, curve_ok = 1, hits = 0, prefix = 1;
        long evals = 0, evals_ex = 0;
        for (int k = 0; k <= N; k++) {
            const setting se[] = {{"heuristic", heur}, {"stop", 1}, {"max_evals", 1 << N}};
            const setting sb[] = {{"heuristic", heur}, {"stop", 0}, {"max_evals", 1 << N}};
            outcome e = run(f, "astar", k, se, 3), o = run(f, "astar", k, sb, 3);
            double gc[HS_MAX_CURVE];
            const int want = exhaustive(f, k), g = greedy_table(f, k, 0, gc);
            /* exhaust with a budget above the state count: the optimum */
            eq &= e.removed == want;
            if (e.removed != want)
                tap_diag("k=%d: astar %#x (loss %.6f) vs exhaustive %#x (loss %.6f)", k, e.removed,
                         f->loss[e.removed], want, f->loss[want]);
            budget_ok &= e.evals <= 1 << N;
            curve_ok &= k == 0 ? e.curve_len == 0 : e.curve_len >= 1 && e.curve[e.curve_len - 1] == f->metric[want];
            /* bound: a prefix of the same run */
            hits += o.removed == want;
            evals += o.evals;
            evals_ex += e.evals;
            prefix &= o.evals <= e.evals && o.curve_len <= e.curve_len &&
                      !memcmp(o.curve, e.curve, sizeof(double) * (size_t)o.curve_len) &&
                      (o.removed == e.removed || o.curve_len < e.curve_len);
            if (o.removed != want)
                tap_diag("N=%d heuristic=%s stop=bound k=%d: astar %#x loss %.6f, optimum %#x loss %.6f, "
                         "greedy %#x loss %.6f", N, hn, k, o.removed, f->loss[o.removed], want, f->loss[want], g,
                         f->loss[g]);
        }
        tap_ok(eq, "N=%d astar heuristic=%s stop=exhaust: equals exhaustive search over all C(N,k) masks, "
               "every k", N, hn);
        tap_ok(budget_ok && curve_ok, "N=%d astar heuristic=%s stop=exhaust: evals <= 2^N, curve ends at the "
               "optimum's metric", N, hn);
        tap_diag("N=%d heuristic=%s stop=bound: optimum for %d of %d k, %ld evaluations in all (exhaust: %ld)", N,
                 hn, hits, N + 1, evals, evals_ex);
        tap_ok(prefix, "N=%d astar heuristic=%s: stop=bound runs a prefix of stop=exhaust (fewer or equal evals, "
               "curve a prefix)", N, hn);
    }
}

static void test_astar_budget(fixture *f)
{
    const int N = f->N;
    const int budgets[] = {1, 2, N, N + 1, N + 2, 3 * N};
    int ok = 1, det = 1;
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++)
        for (int heur = 0; heur < 2; heur++)
            for (int k = 0; k <= N; k++) {
                const setting s[] = {{"heuristic", heur}, {"max_evals", budgets[b]}};
                outcome o = run(f, "astar", k, s, 2);
                const int good = __builtin_popcount((unsigned)o.removed) == k && o.evals <= budgets[b];
                if (!good)
                    tap_diag("max_evals %d heuristic %d k %d: removed %#x, evals %ld", budgets[b], heur, k,
                             o.removed, o.evals);
                ok &= good;
                if (heur == 0 && budgets[b] == N + 2) { /* twice at N + 2: found (k = 2) and completed (k > 2) masks */
                    outcome o2 = run(f, "astar", k, s, 2);
                    det &= same(&o, &o2);
                }
            }
    tap_ok(ok, "N=%d astar: evals <= max_evals and exactly k removed for budgets 1..3N (completion when short)", N);
    tap_ok(det, "N=%d astar: deterministic under tight budgets", N);
    /* with max_evals = N + 1 only the increments are known: k >= 2 is
     * completed from the best single without any further evaluation */
    if (N >= 3) {
        const setting s[] = {{"max_evals", N + 1}};
        outcome o = run(f, "astar", 2, s, 1);
        /* the open list holds {h}, h <= N-2, with f = V({h}) + max(0, min_{j>h} dV_j); the least f
         * (ties: lowest h) is completed with its argmin j (ties: lowest j) */
        int want = 0;
        double best_f = INFINITY;
        for (int h = 0; h <= N - 2; h++) {
            int j = h + 1;
            for (int i = h + 2; i < N; i++)
                if (f->loss[1 << i] - f->loss[0] < f->loss[1 << j] - f->loss[0]) j = i;
            const double fh = f->loss[1 << h] + fmax(0, f->loss[1 << j] - f->loss[0]);
            if (fh < best_f) best_f = fh, want = 1 << h | 1 << j;
        }
        tap_ok(o.evals == N + 1 && o.curve_len == 0 && o.removed == want,
               "N=%d astar: max_evals = N+1, k = 2: the least-f single {h} completed with the smallest-increment "
               "head > h, no evaluation (%#x)", N, o.removed);
    }
}

int main(void)
{
    const double t0 = seconds();
    const int shapes[][2] = {{2, 2}, {2, 4}};
    for (int i = 0; i < 2; i++) {
        fixture f = {0};
        fixture_open(&f, shapes[i][0], shapes[i][1]);
        tap_diag("N=%d: trained in %.1f s; full-model prune loss %.5f, %s %.4f", f.N, seconds() - t0, f.loss[0],
                 hs_metric_name(f.t->metric), f.metric[0]);
        double c0 = (double)clock() / CLOCKS_PER_SEC;
        test_counts_and_determinism(&f);
        double c1 = (double)clock() / CLOCKS_PER_SEC;
        test_greedy(&f);
        double c2 = (double)clock() / CLOCKS_PER_SEC;
        test_astar_search(&f);
        double c3 = (double)clock() / CLOCKS_PER_SEC;
        test_astar_budget(&f);
        double c4 = (double)clock() / CLOCKS_PER_SEC;
        tap_diag("N=%d cpu s: counts %.2f greedy %.2f search %.2f budget %.2f", f.N, c1 - c0, c2 - c1, c3 - c2, c4 - c3);
        fixture_close(&f);
    }
    tap_diag("%.1f s in all", seconds() - t0);
    return tap_done();
}
