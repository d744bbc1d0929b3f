/* astar.c — `astar` (after Parnami, Singh, Joshi 2021; docs/methods.md "astar",
 * exact-count variant, [recon] — our design, the paper has no code): a
 * best-first search over sets P of removed heads for a set with |P| = k
 * minimising the prune-split loss V(P).
 *
 * Search. The root is P = ∅. A state's successors are P ∪ {h} for heads h
 * greater than max(P) (canonical order: every set is generated once, no
 * closed list), and only those that can still reach k removals
 * (h ≤ N − 1 − (k − |P| − 1)). A state is evaluated (one pass over the prune
 * split) when it is generated; complete states (|P| = k) update the best
 * mask, partial ones go on the open list ordered by
 *   f(P) = V(P) + h(P),  ties: the earlier generated state first,
 *   h(P) = Σ of the k − |P| smallest max(ΔV_j, 0) over heads j > max(P)
 *          (heuristic = increments), or 0 (heuristic = zero: uniform cost),
 * with ΔV_j = V({j}) − V(∅) measured once on the full model: these N + 1
 * evaluations come first and are also the root's successors.
 * h is not admissible in general (heads interact, removals can even lower
 * the loss), and neither is h = 0 when some removal lowers the loss, so:
 *   stop = bound    stop as soon as the best f on the open list exceeds the
 *                   best complete loss found (classic A*; optimal only when
 *                   no completion can fall below f — e.g. h = 0 and removals
 *                   never lower the loss);
 *   stop = exhaust  keep going until the open list is empty (then the
 *                   result is the exhaustive optimum) or the budget is spent.
 * Ties between complete masks of equal loss go to the lexicographically
 * smallest sorted index list.
 *
 * Budget. At most max_evals evaluations in all (the full model and the
 * single-head ones included). If it runs out before any complete mask was
 * evaluated, the open state with the lowest f (the one being expanded
 * included) is completed without further evaluation by adding, among heads
 * > max(P), the k − |P| with the smallest single-head increments (ties:
 * lowest index; increments never measured, when max_evals < N + 1, go last
 * and count 0 in h) — the completion h(P) assumed. So the method always
 * removes exactly k heads and never exceeds max_evals.
 *
 * Outputs: importance = the single-head increments ΔV_h (0 where not
 * measured); curve = the prune-split metric of the best complete mask each
 * time a better one (lower loss) is found (empty if the result comes from
 * the completion above). k = 0: the full mask, no evaluation.
 * Memory: one small node per generated partial state, at most
 * min(max_evals, Σ_{j<k} C(N, j)) + 1 nodes. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

static const char *const heuristics[] = {"increments", "zero", NULL};
static const char *const stops[] = {"bound", "exhaust", NULL};

static const hs_setting_def settings[] = {
    {"heuristic", HS_SET_CHOICE, 0, 0, 1, heuristics,
     "h(P): sum of the k-|P| smallest single-head loss increments (clipped at 0), or zero"},
    {"max_evals", HS_SET_INT, 200, 1, 1000000, NULL,
     "evaluations of the prune split allowed, the N+1 for the increments included"},
    {"stop", HS_SET_CHOICE, 0, 0, 1, stops,
     "bound: stop when no open f is below the best complete loss; exhaust: search until open is empty"},
};

typedef struct {
    int parent;  /* node index, -1 for the root */
    int head;    /* the head this node added (its max), -1 for the root */
    int depth;   /* |P| */
    double v, f; /* V(P) and f(P) */
} node;

typedef struct {
    hs_prune_ctx *c;
    int N, k, use_h;
    long budget, evals0;
    double *inc;          /* [N] ΔV_h (INFINITY = not measured) */
    int *rank;            /* [N] heads by increment, ties lowest index */
    node *nodes;
    int n_nodes, cap;
    int *heap, n_heap;
    unsigned char *trial; /* [N] */
    int *set_a, *set_b;   /* [k] sorted index lists */
} search;

static int before(const search *s, int a, int b)
{
    const double fa = s->nodes[a].f, fb = s->nodes[b].f;
    return fa < fb || (fa == fb && a < b);
}

static void heap_push(search *s, int id)
{
    int i = s->n_heap++;
    s->heap[i] = id;
    while (i > 0 && before(s, s->heap[i], s->heap[(i - 1) / 2])) {
        const int p = (i - 1) / 2, t = s->heap[p];
        s->heap[p] = s->heap[i];
        s->heap[i] = t;
        i = p;
    }
}

static int heap_pop(search *s)
{
    const int top = s->heap[0];
    s->heap[0] = s->heap[--s->n_heap];
    for (int i = 0;;) {
        int b = i;
        const int l = 2 * i + 1, r = l + 1;
        if (l < s->n_heap && before(s, s->heap[l], s->heap[b])) b = l;
        if (r < s->n_heap && before(s, s->heap[r], s->heap[b])) b = r;
        if (b == i) break;
        const int t = s->heap[b];
        s->heap[b] = s->heap[i];
        s->heap[i] = t;
        i = b;
    }
    return top;
}

/* Sorted removed set of node id plus (if extra >= 0) head extra into out;
 * returns its size. Canonical order makes the parent chain decreasing. */
static int set_of(const search *s, int id, int extra, int *out)
{
    int n = s->nodes[id].depth + (extra >= 0);
    int i = n;
    if (extra >= 0) out[--i] = extra;
    for (int x = id; s->nodes[x].parent >= 0; x = s->nodes[x].parent) out[--i] = s->nodes[x].head;
    return n;
}

static void mask_of_set(const search *s, const int *set, int n, unsigned char *mask)
{
    memset(mask, 1, (size_t)s->N);
    for (int i = 0; i < n; i++) mask[set[i]] = 0;
}

/* h(P) for a state of depth d whose largest head is m. */
static double heuristic(const search *s, int d, int m)
{
    if (!s->use_h) return 0;
    double sum = 0;
    for (int i = 0, need = s->k - d; i < s->N && need > 0; i++)
        if (s->rank[i] > m) {
            const double x = s->inc[s->rank[i]];
            if (isfinite(x) && x > 0) sum += x;
            need--;
        }
    return sum;
}

/* Evaluates the removed set (id's set ∪ {extra}); *ok = 0 when the budget is spent. */
static hs_status evaluate(search *s, int id, int extra, hs_eval_result *ev, int *ok)
{
    *ok = s->c->evals - s->evals0 < s->budget;
    if (!*ok) return HS_OK;
    const int n = set_of(s, id, extra, s->set_a);
    mask_of_set(s, s->set_a, n, s->trial);
    return hs_prune_eval_mask(s->c, s->trial, ev);
}

static double finite_or_inf(double x) { return isfinite(x) ? x : INFINITY; }

/* Saturating Σ_{j<k} C(N, j), capped at cap. */
static long partial_states(int N, int k, long cap)
{
    double total = 0, comb = 1;
    for (int j = 0; j < k && total < (double)cap; j++) {
        total += comb;
        comb = comb * (N - j) / (j + 1);
    }
    return total < (double)cap ? (long)total : cap;
}

static hs_status run(hs_prune_ctx *c)
{
    const int N = c->model->cfg.layers * c->model->cfg.heads, k = c->k;
    memset(c->mask, 1, (size_t)N);
    memset(c->importance, 0, sizeof(float) * (size_t)N);
    if (k <= 0) return HS_OK;
    search s = {.c = c, .N = N, .k = k, .use_h = hs_setting(c, "heuristic") == 0,
                .budget = (long)hs_setting(c, "max_evals"), .evals0 = c->evals};
    const int bound = hs_setting(c, "stop") == 0;
    s.cap = (int)partial_states(N, k, s.budget + 1);
    double *single_v = NULL, *single_m = NULL;
    unsigned char *known = NULL; /* [N] single-head removal measured */
    hs_status st = hs_calloc((void **)&s.inc, (size_t)N, sizeof(double), "astar increments");
    if (st == HS_OK) st = hs_calloc((void **)&single_v, (size_t)N, sizeof(double), "astar single losses");
    if (st == HS_OK) st = hs_calloc((void **)&single_m, (size_t)N, sizeof(double), "astar single metrics");
    if (st == HS_OK) st = hs_calloc((void **)&known, (size_t)N, 1, "astar measured heads");
    if (st == HS_OK) st = hs_calloc((void **)&s.rank, (size_t)N, sizeof(int), "astar ranking");
    if (st == HS_OK) st = hs_calloc((void **)&s.nodes, (size_t)s.cap, sizeof(node), "astar nodes");
    if (st == HS_OK) st = hs_calloc((void **)&s.heap, (size_t)s.cap, sizeof(int), "astar open list");
    if (st == HS_OK) st = hs_calloc((void **)&s.trial, (size_t)N, 1, "astar trial mask");
    if (st == HS_OK) st = hs_calloc((void **)&s.set_a, (size_t)k, sizeof(int), "astar set");
    if (st == HS_OK) st = hs_calloc((void **)&s.set_b, (size_t)k, sizeof(int), "astar set");
    if (st != HS_OK) goto done;

    /* the full model, then every single-head removal (the increments) */
    s.nodes[0] = (node){-1, -1, 0, 0, 0};
    s.n_nodes = 1;
    hs_eval_result ev;
    int ok;
    st = evaluate(&s, 0, -1, &ev, &ok); /* budget >= 1: always ok */
    if (st != HS_OK) goto done;
    const double v0 = finite_or_inf(ev.loss);
    s.nodes[0].v = v0;
    for (int h = 0; h < N; h++) {
        s.inc[h] = INFINITY;
        st = evaluate(&s, 0, h, &ev, &ok);
        if (st != HS_OK) goto done;
        if (!ok) continue;
        single_v[h] = finite_or_inf(ev.loss);
        single_m[h] = ev.metric;
        known[h] = 1;
        s.inc[h] = single_v[h] - v0;
        if (isnan(s.inc[h])) s.inc[h] = INFINITY; /* both infinite */
        c->importance[h] = isfinite(s.inc[h]) ? (float)s.inc[h] : 0;
    }
    for (int h = 0; h < N; h++) s.rank[h] = h;
    for (int i = 1; i < N; i++) /* stable insertion sort by increment */
        for (int j = i; j > 0 && s.inc[s.rank[j]] < s.inc[s.rank[j - 1]]; j--) {
            const int t = s.rank[j];
            s.rank[j] = s.rank[j - 1];
            s.rank[j - 1] = t;
        }
    s.nodes[0].f = v0 + heuristic(&s, 0, -1);
    heap_push(&s, 0);

    double best_v = INFINITY;
    int have_best = 0;
    while (s.n_heap > 0) {
        if (bound && have_best && s.nodes[s.heap[0]].f > best_v) break;
        const int id = heap_pop(&s);
        const node p = s.nodes[id];
        const int last = p.head, left = k - p.depth - 1; /* removals still needed after a child */
        int spent = 0;
        for (int h = last + 1; h <= N - 1 - left; h++) {
            double v, metric;
            if (p.depth == 0) { /* the root's successors were evaluated above */
                if (!known[h]) {
                    spent = 1;
                    break;
                }
                v = single_v[h];
                metric = single_m[h];
            } else {
                st = evaluate(&s, id, h, &ev, &ok);
                if (st != HS_OK) goto done;
                if (!ok) {
                    spent = 1;
                    break;
                }
                v = finite_or_inf(ev.loss);
                metric = ev.metric;
            }
            if (left == 0) { /* complete */
                const int n = set_of(&s, id, h, s.set_a);
                int better = !have_best || v < best_v;
                if (have_best && v == best_v) { /* equal loss: lexicographically smaller set wins */
                    int i = 0;
                    while (i < n && s.set_a[i] == s.set_b[i]) i++;
                    better = i < n && s.set_a[i] < s.set_b[i];
                }
                if (better) {
                    if (!have_best || v < best_v) hs_curve_push(c, metric);
                    memcpy(s.set_b, s.set_a, sizeof(int) * (size_t)n);
                    best_v = v;
                    have_best = 1;
                }
                continue;
            }
            const double f = v + heuristic(&s, p.depth + 1, h);
            if (bound && have_best && f > best_v) continue; /* never popped: best_v only falls */
            HS_ASSERT(s.n_nodes < s.cap);
            s.nodes[s.n_nodes] = (node){id, h, p.depth + 1, v, f};
            heap_push(&s, s.n_nodes++);
        }
        if (spent) {
            heap_push(&s, id); /* unexpanded remainder: still a candidate for completion */
            break;
        }
    }

    if (have_best) {
        mask_of_set(&s, s.set_b, k, c->mask);
    } else {
        /* budget spent first: complete the lowest-f open state without evaluations */
        const int id = s.n_heap > 0 ? s.heap[0] : 0;
        int n = set_of(&s, id, -1, s.set_a);
        const int m = s.nodes[id].head;
        for (int i = 0; i < N && n < k; i++)
            if (s.rank[i] > m) s.set_a[n++] = s.rank[i];
        HS_ASSERT(n == k);
        mask_of_set(&s, s.set_a, k, c->mask);
    }
done:
    hs_free(s.inc);
    hs_free(single_v);
    hs_free(single_m);
    hs_free(known);
    hs_free(s.rank);
    hs_free(s.nodes);
    hs_free(s.heap);
    hs_free(s.trial);
    hs_free(s.set_a);
    hs_free(s.set_b);
    return st;
}

/* Cost: the search stops at its evaluation budget at the latest. */
static double passes(const hs_cost_ctx *c)
{
    return c->k == 0 ? 0 : hs_cost_setting(c, "max_evals");
}

const hs_method hs_method_astar = {
    .name = "astar",
    .summary = "best-first (A*) search for the k-head mask of least prune-split loss",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
