/* synthetic.c — kind "synthetic": generated tasks whose solution is a known
 * attention pattern, so head-pruning studies can ask which heads implement it.
 *
 *   copy      (causal LM) BOS x1..xn SEP x1..xn: predict the second half.
 *             Solved by a head attending n+1 positions back.
 *   reverse   (causal LM) BOS x1..xn SEP xn..x1, n varies: a head attending
 *             from output i to input n+1-i, i.e. mirrored about SEP.
 *   sort      (causal LM) BOS x1..xn SEP sorted(x), n varies: a head attending
 *             to the smallest input symbol not yet emitted.
 *   induction (causal LM) BOS k1 v1 … km vm SEP q: predict the value paired
 *             with key q (associative recall). Solved by an induction circuit:
 *             a previous-token head, then a head matching q and copying.
 *   dyck      (classification) CLS and a string over `brackets` kinds: is it
 *             balanced? Negatives are near-misses of balanced strings. Solved
 *             by heads that track nesting depth and match bracket pairs.
 *   majority  (classification) CLS x1..xn PAD…: the symbol occurring most
 *             often (a strict maximum). Solved by a uniform CLS head.
 *
 * The sequence-to-sequence generators score only the predicted output part;
 * positions at and after the length are PAD and never scored. Each split is
 * generated from its own stream keyed by (seed, name, "data", split), so a
 * split does not change when another split's size does. See docs/tasks.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "task.h"

enum { DEFAULT_TRAIN = 20000, DEFAULT_PRUNE = 1000, DEFAULT_TEST = 2000, DEFAULT_SEQ_LEN = 16,
       MAX_SEQ_LEN = 4096, MAX_MAJORITY_SYMBOLS = 64, MAX_SYMBOLS = 1 << 16, MAX_BRACKETS = 16 };

typedef enum { G_COPY, G_REVERSE, G_SORT, G_INDUCTION, G_DYCK, G_MAJORITY, G_COUNT } generator_id;

/* Per generator: name, least seq_len, default symbols (0 = none read). */
static const struct {
    const char *name;
    int min_seq_len;
    int default_symbols;
} generators[G_COUNT] = {
    [G_COPY] = {"copy", 4, 4},          [G_REVERSE] = {"reverse", 4, 4}, [G_SORT] = {"sort", 4, 4},
    [G_INDUCTION] = {"induction", 7, 16}, [G_DYCK] = {"dyck", 3, 0},     [G_MAJORITY] = {"majority", 3, 4},
};

/* What a generator needs besides the spec: scratch that lives for one split
 * pass (a permutation of the keys, a stack). */
typedef struct {
    int T, K;        /* seq_len, symbols */
    int brackets;
    int *perm;       /* induction: a permutation of the key alphabet, reshuffled in part per example */
    int *stack;      /* dyck: open-bracket kinds */
    int *base;       /* dyck: the balanced string being corrupted */
} gen_ctx;

/* Length of an output half for the seq2seq generators: n ∈ [⌈nmax/2⌉, nmax]
 * (fixed for copy, whose model may then use a pure positional offset). */
static int draw_half(const gen_ctx *c, hs_rng *r, int variable)
{
    const int nmax = (c->T - 2) / 2;
    if (!variable) return nmax;
    const int lo = (nmax + 1) / 2;
    return lo + (int)hs_rng_below(r, (uint32_t)(nmax - lo + 1));
}

static int cmp_int(const void *a, const void *b)
{
    const int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* copy / reverse / sort: BOS x SEP y PAD…; position p predicts token p+1 on
 * the output part (p = SEP … second-to-last output token). */
static void fill_seq2seq(const gen_ctx *c, generator_id g, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = c->T, n = draw_half(c, r, g != G_COPY);
    tok[0] = HS_TOK_CLS;
    for (int i = 0; i < n; i++) tok[1 + i] = HS_TOK_FIRST_SYMBOL + (int)hs_rng_below(r, (uint32_t)c->K);
    tok[1 + n] = HS_TOK_SEP;
    int *y = tok + 2 + n;
    if (g == G_COPY) {
        for (int i = 0; i < n; i++) y[i] = tok[1 + i];
    } else if (g == G_REVERSE) {
        for (int i = 0; i < n; i++) y[i] = tok[n - i];
    } else {
        memcpy(y, tok + 1, sizeof(int) * (size_t)n);
        qsort(y, (size_t)n, sizeof(int), cmp_int);
    }
    for (int i = 2 + 2 * n; i < T; i++) tok[i] = HS_TOK_PAD;
    *len = 2 + 2 * n;
    for (int p = 0; p < T; p++) target[p] = (p >= 1 + n && p < 1 + 2 * n) ? tok[p + 1] : -1;
}

/* induction: keys from the first ⌊K/2⌋ symbols (distinct), values from the
 * rest (repeats allowed); m pairs with m ∈ [⌈mmax/2⌉, mmax]; the query is a
 * uniformly chosen key; only the last position (the query) is scored. */
static void fill_induction(gen_ctx *c, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = c->T, nk = c->K / 2, nv = c->K - nk, mmax = (T - 3) / 2, lo = (mmax + 1) / 2;
    const int m = lo + (int)hs_rng_below(r, (uint32_t)(mmax - lo + 1));
    /* partial Fisher–Yates: perm[0..m) becomes a uniform m-subset in random
     * order whatever permutation perm held before */
    for (int i = 0; i < m; i++) {
        const int j = i + (int)hs_rng_below(r, (uint32_t)(nk - i));
        const int tmp = c->perm[i];
        c->perm[i] = c->perm[j];
        c->perm[j] = tmp;
    }
    tok[0] = HS_TOK_CLS;
    for (int i = 0; i < m; i++) {
        tok[1 + 2 * i] = HS_TOK_FIRST_SYMBOL + c->perm[i];
        tok[2 + 2 * i] = HS_TOK_FIRST_SYMBOL + nk + (int)hs_rng_below(r, (uint32_t)nv);
    }
    const int q = (int)hs_rng_below(r, (uint32_t)m);
    tok[1 + 2 * m] = HS_TOK_SEP;
    tok[2 + 2 * m] = tok[1 + 2 * q];
    for (int i = 3 + 2 * m; i < T; i++) tok[i] = HS_TOK_PAD;
    *len = 3 + 2 * m;
    for (int p = 0; p < T; p++) target[p] = -1;
    target[2 + 2 * m] = tok[2 + 2 * q];
}

/* dyck tokens: kind k opens with FIRST_SYMBOL + 2k, closes with +2k+1. */
static int is_open(int tok) { return ((tok - HS_TOK_FIRST_SYMBOL) & 1) == 0; }
static int kind_of(int tok) { return (tok - HS_TOK_FIRST_SYMBOL) >> 1; }

/* 1 if s[0..n) is well nested with every close matching its open's kind. */
static int dyck_balanced(const int *s, int n, int *stack)
{
    int depth = 0;
    for (int i = 0; i < n; i++) {
        if (is_open(s[i])) {
            stack[depth++] = kind_of(s[i]);
        } else {
            if (depth == 0 || stack[depth - 1] != kind_of(s[i])) return 0;
            depth--;
        }
    }
    return depth == 0;
}

/* A uniformly random Dyck path of length n (even), kinds uniform: at height h
 * with r steps left, open with probability (r−h)(h+2) / (2r(h+1)) — the
 * share of the remaining balanced completions that start with an open. */
static void dyck_random_balanced(const gen_ctx *c, hs_rng *r, int *s, int n)
{
    int depth = 0;
    for (int i = 0; i < n; i++) {
        const int rem = n - i;
        const double p_open = (double)(rem - depth) * (depth + 2) / (2.0 * rem * (depth + 1));
        if (hs_rng_uniform(r) < p_open) {
            const int k = (int)hs_rng_below(r, (uint32_t)c->brackets);
            c->stack[depth++] = k;
            s[i] = HS_TOK_FIRST_SYMBOL + 2 * k;
        } else {
            s[i] = HS_TOK_FIRST_SYMBOL + 2 * c->stack[--depth] + 1;
        }
    }
}

/* dyck: CLS s1..sn PAD… with n even in 2..T−1 (uniform). Half the examples
 * are balanced; the other half are corrupted balanced strings of the same
 * length: one bracket's kind changed (30 %; with one kind, a swap instead),
 * one bracket flipped open↔close (20 %), two tokens swapped (40 %), or a
 * uniform random string (10 %). Kind changes and swaps keep the numbers of
 * opens and closes equal, so counting alone does not separate the classes.
 * A corruption that leaves the string balanced is redrawn (same type). */
static void fill_dyck(const gen_ctx *c, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = c->T, B = c->brackets, half_max = (T - 1) / 2;
    const int n = 2 * (1 + (int)hs_rng_below(r, (uint32_t)half_max));
    int *s = tok + 1;
    tok[0] = HS_TOK_CLS;
    for (int i = 1 + n; i < T; i++) tok[i] = HS_TOK_PAD;
    *len = 1 + n;
    const int positive = hs_rng_below(r, 2) == 1;
    *target = positive;
    dyck_random_balanced(c, r, s, n);
    if (positive) return;
    memcpy(c->base, s, sizeof(int) * (size_t)n);
    const double u = hs_rng_uniform(r);
    const int type = u < 0.3 ? (B > 1 ? 0 : 2) : u < 0.5 ? 1 : u < 0.9 ? 2 : 3;
    for (int tries = 1;; tries++) {
        const int i = (int)hs_rng_below(r, (uint32_t)n);
        if (type == 0) { /* another kind, same direction */
            const int k = (kind_of(s[i]) + 1 + (int)hs_rng_below(r, (uint32_t)(B - 1))) % B;
            s[i] = HS_TOK_FIRST_SYMBOL + 2 * k + !is_open(s[i]);
        } else if (type == 1) { /* open ↔ close, same kind */
            s[i] ^= 1;
        } else if (type == 2) { /* swap two tokens */
            const int j = (int)hs_rng_below(r, (uint32_t)n);
            const int tmp = s[i];
            s[i] = s[j];
            s[j] = tmp;
        } else { /* a random string of the same length */
            for (int k = 0; k < n; k++) s[k] = HS_TOK_FIRST_SYMBOL + (int)hs_rng_below(r, (uint32_t)(2 * B));
        }
        if (!dyck_balanced(s, n, c->stack)) return;
        if (tries % 64 == 0) /* this string resists: take another balanced one */
            dyck_random_balanced(c, r, c->base, n);
        memcpy(s, c->base, sizeof(int) * (size_t)n);
    }
}

/* majority: between half and all of the positions after CLS hold symbols, the
 * rest is padding; the label is the strict most frequent symbol (rows with a
 * tie are drawn again). */
static void fill_majority(const gen_ctx *c, hs_rng *r, int *tok, int *len, int *target)
{
    const int T = c->T, K = c->K;
    int counts[MAX_MAJORITY_SYMBOLS];
    for (;;) {
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
        if (ties == 1) {
            *len = n + 1;
            *target = best;
            return;
        }
    }
}

/* Checks and completes the spec for generator g (0 = default). */
static hs_status validate(hs_task_spec *sp, generator_id g)
{
    const char *gn = generators[g].name;
    if (!sp->seq_len) sp->seq_len = DEFAULT_SEQ_LEN;
    if (!sp->symbols) sp->symbols = generators[g].default_symbols;
    if (!sp->brackets && g == G_DYCK) sp->brackets = 2;
    if (!sp->n_train) sp->n_train = DEFAULT_TRAIN;
    if (!sp->n_prune) sp->n_prune = DEFAULT_PRUNE;
    if (!sp->n_test) sp->n_test = DEFAULT_TEST;
    if (sp->seq_len < generators[g].min_seq_len || sp->seq_len > MAX_SEQ_LEN)
        return hs_error_set(HS_ERR_INPUT, "task %s: setting seq_len = %d: expected %d..%d for generator %s",
                            sp->name, sp->seq_len, generators[g].min_seq_len, MAX_SEQ_LEN, gn);
    const struct {
        const char *what;
        long v, def;
    } sizes[] = {{"n_train", sp->n_train, DEFAULT_TRAIN},
                 {"n_prune", sp->n_prune, DEFAULT_PRUNE},
                 {"n_test", sp->n_test, DEFAULT_TEST}};
    for (int i = 0; i < 3; i++)
        if (sizes[i].v < 1)
            return hs_error_set(HS_ERR_INPUT, "task %s: setting %s = %ld: expected at least 1 (0 = default %ld)",
                                sp->name, sizes[i].what, sizes[i].v, sizes[i].def);
    if (g == G_DYCK) {
        if (sp->brackets < 1 || sp->brackets > MAX_BRACKETS)
            return hs_error_set(HS_ERR_INPUT, "task %s: setting brackets = %d: expected 1..%d", sp->name,
                                sp->brackets, MAX_BRACKETS);
        return HS_OK;
    }
    const int max_symbols = g == G_MAJORITY ? MAX_MAJORITY_SYMBOLS : MAX_SYMBOLS;
    if (sp->symbols < 2 || sp->symbols > max_symbols)
        return hs_error_set(HS_ERR_INPUT, "task %s: setting symbols = %d: expected 2..%d for generator %s",
                            sp->name, sp->symbols, max_symbols, gn);
    if (g == G_INDUCTION) {
        const int pairs = (sp->seq_len - 3) / 2;
        if (sp->symbols / 2 < pairs) /* pairs ≥ 2, so values get ≥ 2 symbols too */
            return hs_error_set(HS_ERR_INPUT,
                                "task %s: setting symbols = %d: induction with seq_len %d holds up to %d "
                                "key-value pairs with distinct keys from half the alphabet: expected "
                                "%d..%d (or a shorter seq_len)",
                                sp->name, sp->symbols, sp->seq_len, pairs, 2 * pairs, MAX_SYMBOLS);
    }
    return HS_OK;
}

/* Kind "synthetic" (see task.h): validates the generator's settings, fills
 * in their defaults in t->spec, sets shape, metric and description, and
 * generates the three splits. HS_ERR_INPUT names the bad setting. */
hs_status hs_task_open_synthetic(hs_task *t)
{
    hs_task_spec *sp = &t->spec;
    if (!sp->generator)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: setting generator is missing (expected copy, reverse, sort, induction, "
                            "dyck or majority)",
                            sp->name);
    generator_id g = G_COUNT;
    for (int i = 0; i < G_COUNT; i++)
        if (!strcmp(sp->generator, generators[i].name)) g = (generator_id)i;
    if (g == G_COUNT)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: unknown generator '%s' (expected copy, reverse, sort, induction, dyck "
                            "or majority)",
                            sp->name, sp->generator);
    HS_CHECK(validate(sp, g));

    const int lm = g != G_DYCK && g != G_MAJORITY;
    t->shape.seq_len = sp->seq_len;
    t->shape.vocab = HS_TOK_FIRST_SYMBOL + (g == G_DYCK ? 2 * sp->brackets : sp->symbols);
    t->shape.lm = t->shape.causal = lm;
    t->shape.n_out = g == G_DYCK ? 2 : g == G_MAJORITY ? sp->symbols : t->shape.vocab;
    t->metric = lm && g != G_INDUCTION ? HS_METRIC_EXACT_MATCH : HS_METRIC_ACCURACY;
    static const char *const descriptions[G_COUNT] = {
        [G_COPY] = "copy: BOS x SEP x, solved by a head attending n+1 positions back",
        [G_REVERSE] = "reverse: BOS x SEP reversed x, solved by a head attending to the input mirrored about SEP",
        [G_SORT] = "sort: BOS x SEP sorted x, solved by a head attending to the smallest symbol not yet emitted",
        [G_INDUCTION] = "induction: BOS k1 v1 .. km vm SEP q -> value of q, solved by an induction head "
                        "(previous-token head + matching copy head)",
        [G_DYCK] = "dyck: is the bracket string balanced, solved by heads tracking nesting depth and "
                   "matching bracket pairs",
        [G_MAJORITY] = "majority: most frequent symbol, solved by a uniform CLS head",
    };
    snprintf(t->description, sizeof t->description, "%s", descriptions[g]);

    gen_ctx c = {.T = sp->seq_len, .K = sp->symbols, .brackets = sp->brackets};
    hs_status st = HS_OK;
    if (g == G_INDUCTION) st = hs_calloc((void **)&c.perm, (size_t)(c.K / 2), sizeof(int), "induction keys");
    if (st == HS_OK && g == G_DYCK) st = hs_calloc((void **)&c.stack, (size_t)c.T, sizeof(int), "dyck stack");
    if (st == HS_OK && g == G_DYCK) st = hs_calloc((void **)&c.base, (size_t)c.T, sizeof(int), "dyck string");

    static const char *const split_names[HS_NUM_SPLITS] = {"train", "prune", "test"};
    const long sizes[HS_NUM_SPLITS] = {sp->n_train, sp->n_prune, sp->n_test};
    const int T = sp->seq_len, ts = hs_task_target_stride(t);
    for (int k = 0; st == HS_OK && k < HS_NUM_SPLITS; k++) {
        hs_split_data *s = &t->split[k];
        st = hs_split_alloc(s, t, sizes[k]);
        if (st != HS_OK) break;
        hs_rng r;
        hs_rng_seed(&r, hs_key_str(hs_key_str(hs_key_str(sp->seed, sp->name), "data"), split_names[k]));
        for (int i = 0; c.perm && i < c.K / 2; i++) c.perm[i] = i; /* each split starts afresh */
        for (long e = 0; e < s->n; e++) {
            int *tok = s->tokens + e * T, *len = s->lengths + e, *tgt = s->targets + e * ts;
            switch (g) {
            case G_COPY:
            case G_REVERSE:
            case G_SORT: fill_seq2seq(&c, g, &r, tok, len, tgt); break;
            case G_INDUCTION: fill_induction(&c, &r, tok, len, tgt); break;
            case G_DYCK: fill_dyck(&c, &r, tok, len, tgt); break;
            case G_MAJORITY: fill_majority(&c, &r, tok, len, tgt); break;
            case G_COUNT: break;
            }
        }
    }
    hs_free(c.perm);
    hs_free(c.stack);
    hs_free(c.base);
    return st;
}
