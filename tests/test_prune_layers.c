/* test_prune_layers.c — `layerdrop` and `papa` (docs/methods.md "layerdrop", "papa") and the
 * static-head support they rely on (shrink.c, the attention core's static
 * path).
 *
 * layerdrop: K = 0 is the unpruned model bit for bit; the dropped index sets
 * of every fixed strategy for L = 2, 4, 6, 12 and every K match the table
 * derived from the paper (layerdrop.c states the rules); K = round(r·L); a
 * dropped layer is the identity on the residual; `contribution` drops a layer
 * planted to be the identity (Wo, bo, W2, b2 zero) first; the framework's
 * head and parameter counts.
 * papa: C from one input, evaluated on that input, reproduces the unmodified
 * model at its valid positions (and C from another input does not); applied
 * rows sum to 1 over the visible keys; ratio 0 is the identity; exactly
 * round(r·N) static heads and an all-ones mask; determinism; masked ==
 * shrunk with static heads (also with heads removed beside them).
 * Backward through a static head: its Wq/Wk columns and bq/bk get exactly
 * zero gradient (nothing reaches q or k) and its Wv gradient matches central
 * differences. The differences run in float with a loose tolerance: the
 * double-precision gradcheck has no static heads, and what matters here is
 * that Wv's gradient uses the constant matrix (a wrong P gives O(1) errors). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/rng.h"
#include "../src/prune/method.h"
#include "../src/prune/point.h"
#include "../src/prune/shrink.h"
#include "small_models.h"
#include "tap.h"

#define CHECK_OK(x) HS_ASSERT((x) == HS_OK)

static hs_task *open_task(const char *generator, int T) { return fx_task(generator, 7, T, 0, 256, 48, 48); }

/* A model for task t, initialised and then scaled so that attention is far
 * from uniform and layers change the residual noticeably. */
static hs_model *make_model(const hs_task *t, int d, int H, int L, int B, uint64_t seed)
{
    hs_model *m = fx_model(t, d, H, L, 2 * d, B, hs_key_u64(11, seed));
    const struct { int id; float s; } scale[] = {{HS_P_WQ, 40}, {HS_P_WK, 40}, {HS_P_WV, 10}, {HS_P_WO, 10},
                                                  {HS_P_W1, 10}, {HS_P_W2, 10}, {HS_P_TOK_EMB, 20},
                                                  {HS_P_POS_EMB, 20}, {HS_P_OUT_W, 10}};
    for (size_t i = 0; i < sizeof scale / sizeof scale[0]; i++) {
        hs_real *p = m->p.at[scale[i].id];
        for (size_t k = 0; k < m->info[scale[i].id].count; k++) p[k] *= scale[i].s;
    }
    return m;
}

static hs_model *clone(const hs_model *base, int B)
{
    hs_model *m;
    CHECK_OK(hs_model_clone(&m, base));
    CHECK_OK(hs_model_setup_batch(m, B, base->cfg.seq_len));
    return m;
}

/* Runs method `name` on m (gates 1) at ratio with settings "name=value" pairs
 * (choices by index), as point.c does. */
static hs_status run_method(hs_model *m, const hs_task *t, hs_batch_buf *bb, const char *name, double ratio,
                            const char *const *names, const double *values, int nset, unsigned char *mask,
                            float *importance, long *evals)
{
    const hs_method *meth = hs_method_find(name);
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    for (int i = 0; i < nset; i++) {
        int k = hs_setting_index(meth, names[i]);
        HS_ASSERT(k >= 0);
        set.v[k] = values[i];
    }
    const int N = m->cfg.layers * m->cfg.heads;
    for (int i = 0; i < N; i++) m->p.gates[i] = 1;
    hs_prune_ctx ctx = {.model = m, .task = t, .bb = bb, .ratio = ratio, .k = (int)lround(ratio * N),
                        .key = 99, .set = &set, .method = meth, .mask = mask, .importance = importance};
    memset(mask, 1, (size_t)N);
    memset(importance, 0, sizeof(float) * N);
    hs_status s = meth->run(&ctx);
    for (int i = 0; i < N; i++) m->p.gates[i] = mask[i] ? 1 : 0;
    if (evals) *evals = ctx.evals;
    return s;
}

static size_t logits_len(const hs_model *m) { return (size_t)m->R * m->cfg.n_out; }

/* ---- layerdrop ------------------------------------------------------------ */

/* docs/methods.md "layerdrop" as 0-indexed bit strings (char l = '1': layer l dropped), K = 0..L. */
static const struct {
    int L;
    const char *strategy;
    int odd;
    const char *set[13];
} drop_table[] = {
    {2, "top", 0, {"00", "01", "11"}},
    {2, "bottom", 0, {"00", "10", "11"}},
    {2, "alternate", 0, {"00", "01", "11"}},
    {2, "alternate", 1, {"00", "10", "11"}},
    {2, "symmetric", 0, {"00", "10", "11"}},
    {4, "top", 0, {"0000", "0001", "0011", "0111", "1111"}},
    {4, "bottom", 0, {"0000", "1000", "1100", "1110", "1111"}},
    {4, "alternate", 0, {"0000", "0001", "0101", "0111", "1111"}},
    {4, "alternate", 1, {"0000", "0010", "1010", "1011", "1111"}},
    {4, "symmetric", 0, {"0000", "0100", "0110", "1110", "1111"}},
    {6, "top", 0, {"000000", "000001", "000011", "000111", "001111", "011111", "111111"}},
    {6, "bottom", 0, {"000000", "100000", "110000", "111000", "111100", "111110", "111111"}},
    {6, "alternate", 0, {"000000", "000001", "000101", "010101", "010111", "011111", "111111"}},
    {6, "alternate", 1, {"000000", "000010", "001010", "101010", "101011", "101111", "111111"}},
    {6, "symmetric", 0, {"000000", "001000", "001100", "011100", "011110", "111110", "111111"}},
    {12, "top", 0, {"000000000000", "000000000001", "000000000011", "000000000111", "000000001111",
                    "000000011111", "000000111111", "000001111111", "000011111111", "000111111111",
                    "001111111111", "011111111111", "111111111111"}},
    {12, "bottom", 0, {"000000000000", "100000000000", "110000000000", "111000000000", "111100000000",
                       "111110000000", "111111000000", "111111100000", "111111110000", "111111111000",
                       "111111111100", "111111111110", "111111111111"}},
    /* the paper's even variant: K = 4 → 12, 10, 8, 6 (1-indexed) */
    {12, "alternate", 0, {"000000000000", "000000000001", "000000000101", "000000010101", "000001010101",
                          "000101010101", "010101010101", "010101010111", "010101011111", "010101111111",
                          "010111111111", "011111111111", "111111111111"}},
    /* odd variant: K = 4 → 11, 9, 7, 5 */
    {12, "alternate", 1, {"000000000000", "000000000010", "000000001010", "000000101010", "000010101010",
                          "001010101010", "101010101010", "101010101011", "101010101111", "101010111111",
                          "101011111111", "101111111111", "111111111111"}},
    /* K = 4 → 5..8 (1-indexed); odd K adds the layer below the even slice */
    {12, "symmetric", 0, {"000000000000", "000001000000", "000001100000", "000011100000", "000011110000",
                          "000111110000", "000111111000", "001111111000", "001111111100", "011111111100",
                          "011111111110", "111111111110", "111111111111"}},
};

static double strategy_index(const char *s)
{
    static const char *const names[] = {"top", "bottom", "alternate", "symmetric", "contribution"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(names[i], s)) return i;
    HS_ASSERT(0);
    return -1;
}

static void test_layerdrop_tables(const hs_task *t)
{
    const char *names[2] = {"strategy", "odd"};
    for (size_t r = 0; r < sizeof drop_table / sizeof drop_table[0]; r++) {
        const int L = drop_table[r].L, H = 2;
        hs_model *m = make_model(t, 8, H, L, 4, 1);
        hs_batch_buf bb;
        CHECK_OK(hs_batch_buf_create(&bb, t, 4));
        unsigned char mask[64];
        float imp[64];
        int bad = 0, mask_ok = 1, imp_ok = 1;
        char got[16];
        for (int K = 0; K <= L; K++) {
            const double v[2] = {strategy_index(drop_table[r].strategy), drop_table[r].odd};
            memset(m->layer_off, 0, (size_t)L);
            CHECK_OK(run_method(m, t, &bb, "layerdrop", (double)K / L, names, v, 2, mask, imp, NULL));
            for (int l = 0; l < L; l++) got[l] = m->layer_off[l] ? '1' : '0';
            got[L] = 0;
            if (strcmp(got, drop_table[r].set[K])) {
                if (!bad) tap_diag("L %d %s%s K %d: got %s expected %s", L, drop_table[r].strategy,
                                   drop_table[r].odd ? " odd" : "", K, got, drop_table[r].set[K]);
                bad++;
            }
            for (int i = 0; i < L * H; i++) {
                mask_ok &= mask[i] == !m->layer_off[i / H];
                /* fixed strategies: importance = position in the drop order, so the
                 * dropped layers are exactly those with importance < K */
                imp_ok &= imp[i] == imp[(i / H) * H] && ((imp[i] < K) == (m->layer_off[i / H] != 0));
            }
        }
        tap_ok(!bad && mask_ok && imp_ok, "layerdrop %s%s, L = %d: dropped sets for K = 0..%d match the table%s%s",
               drop_table[r].strategy, drop_table[r].odd ? " (odd)" : "", L, L, mask_ok ? "" : " (mask wrong)",
               imp_ok ? "" : " (importance wrong)");
        hs_batch_buf_free(&bb);
        hs_model_destroy(&m);
    }
}

static void test_layerdrop_model(const hs_task *t)
{
    const int B = 8, H = 2, L = 4, N = L * H;
    hs_model *base = make_model(t, 16, H, L, B, 2);
    hs_batch_buf bb;
    CHECK_OK(hs_batch_buf_create(&bb, t, B));
    unsigned char mask[64];
    float imp[64];
    const char *names[1] = {"strategy"};

    /* K = 0: bit-identical to the unpruned model, for every strategy */
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    CHECK_OK(hs_model_forward(base, &bb.batch));
    const size_t nlog = logits_len(base);
    hs_real *ref = malloc(nlog * sizeof(hs_real));
    memcpy(ref, base->a.logits, nlog * sizeof(hs_real));
    int same = 1;
    for (int st = 0; st < 5; st++) {
        hs_model *m = clone(base, B);
        const double v = st;
        CHECK_OK(run_method(m, t, &bb, "layerdrop", 0, names, &v, 1, mask, imp, NULL));
        hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
        CHECK_OK(hs_model_forward(m, &bb.batch));
        same &= !memcmp(m->a.logits, ref, nlog * sizeof(hs_real));
        for (int l = 0; l < L; l++) same &= !m->layer_off[l];
        for (int i = 0; i < N; i++) same &= mask[i] == 1;
        hs_model_destroy(&m);
    }
    tap_ok(same, "layerdrop K = 0: outputs bit-equal to the unpruned model for every strategy");

    /* K = round(r·L) */
    int kok = 1;
    const struct { double r; int K; } kr[] = {{0.1, 0}, {0.2, 1}, {0.3, 1}, {0.375, 2}, {0.6, 2}, {0.7, 3}, {0.9, 4}};
    for (size_t i = 0; i < sizeof kr / sizeof kr[0]; i++) {
        hs_model *m = clone(base, B);
        const double v = 0;
        CHECK_OK(run_method(m, t, &bb, "layerdrop", kr[i].r, names, &v, 1, mask, imp, NULL));
        int K = 0;
        for (int l = 0; l < L; l++) K += m->layer_off[l];
        kok &= K == kr[i].K;
        hs_model_destroy(&m);
    }
    tap_ok(kok, "layerdrop: K = round(ratio * L) layers (L = 4, ratios 0.1 .. 0.9)");

    /* a dropped layer is the identity on the residual stream */
    {
        hs_model *m = clone(base, B);
        const double v = 2; /* alternate, K = 2: layers 1 and 3 (0-indexed) */
        CHECK_OK(run_method(m, t, &bb, "layerdrop", 0.5, names, &v, 1, mask, imp, NULL));
        hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
        CHECK_OK(hs_model_forward(m, &bb.batch));
        const size_t stride = (size_t)m->max_B * m->max_T * m->cfg.d_model;
        const size_t used = (size_t)bb.batch.B * bb.batch.T * m->cfg.d_model;
        int ident = 1, changed = 1;
        for (int l = 0; l < L; l++) {
            const int eq = !memcmp(m->a.res + l * stride, m->a.res + (l + 1) * stride, used * sizeof(hs_real));
            if (m->layer_off[l]) ident &= eq;
            else changed &= !eq;
        }
        tap_ok(ident && changed && m->layer_off[1] && m->layer_off[3],
               "layerdrop: res[l+1] == res[l] exactly for dropped layers (1, 3), not for kept ones");
        hs_model_destroy(&m);
    }

    /* contribution drops a planted identity layer first */
    {
        hs_model *m = clone(base, B);
        const int P = 1, d = m->cfg.d_model, F = m->cfg.d_ff;
        memset(m->p.wo + (size_t)P * d * d, 0, sizeof(hs_real) * d * d);
        memset(m->p.bo + (size_t)P * d, 0, sizeof(hs_real) * d);
        memset(m->p.w2 + (size_t)P * F * d, 0, sizeof(hs_real) * F * d);
        memset(m->p.b2 + (size_t)P * d, 0, sizeof(hs_real) * d);
        hs_model *m2 = clone(m, B);
        const double v = 4;
        CHECK_OK(run_method(m, t, &bb, "layerdrop", 0.25, names, &v, 1, mask, imp, NULL));
        float lo_other = 1e30f;
        for (int l = 0; l < L; l++)
            if (l != P) lo_other = fminf(lo_other, imp[l * H]);
        tap_ok(m->layer_off[P] && m->layer_off[0] + m->layer_off[1] + m->layer_off[2] + m->layer_off[3] == 1 &&
                   fabsf(imp[P * H]) < 1e-9f && lo_other > 1e-6f,
               "layerdrop contribution, K = 1: drops the planted identity layer %d (1 - sim %.2g; others >= %.3g)",
               P, imp[P * H], lo_other);
        CHECK_OK(run_method(m2, t, &bb, "layerdrop", 0.5, names, &v, 1, mask, imp, NULL));
        int others = 0;
        float second = 1e30f;
        for (int l = 0; l < L; l++)
            if (l != P) second = fminf(second, imp[l * H]);
        for (int l = 0; l < L; l++)
            if (l != P && m2->layer_off[l]) others += imp[l * H] == second;
        tap_ok(m2->layer_off[P] && others == 1, "layerdrop contribution, K = 2: the planted layer and the most "
                                                "similar other layer");
        hs_model_destroy(&m);
        hs_model_destroy(&m2);
    }

    /* through the framework: heads and parameters kept, masked == shrunk */
    {
        const hs_method *meth = hs_method_find("layerdrop");
        hs_settings set;
        hs_settings_defaults(meth, &set);
        hs_point_result r = {.mask = mask, .importance = imp};
        const hs_point_opts o = {.finetune_steps = 0, .finetune_lr = 0, .batch = B, .latency_repeats = 0};
        CHECK_OK(hs_point_run(base, t, meth, &set, 0.5, 5, &o, &r));
        const long per_layer = (long)(r.params_total - (base->info[HS_P_TOK_EMB].count +
                                                        base->info[HS_P_POS_EMB].count +
                                                        base->info[HS_P_LNF_G].count + base->info[HS_P_LNF_B].count +
                                                        base->info[HS_P_OUT_W].count + base->info[HS_P_OUT_B].count)) / L;
        tap_ok(r.heads_kept == 2 * H && r.heads_total == N && r.params_kept == r.params_total - 2 * per_layer &&
                   r.shrink_max_diff == 0 && isfinite(r.metric_pruned) && fabs(r.flops_ratio - 0.5) < 0.01,
               "layerdrop via hs_point_run, top K = 2 of 4: heads kept %ld of %ld, params %ld of %ld (a layer = %ld), "
               "flops ratio %.4f, shrunk diff %g",
               r.heads_kept, r.heads_total, r.params_kept, r.params_total, per_layer, r.flops_ratio,
               r.shrink_max_diff);
    }
    free(ref);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&base);
}

/* ---- papa ----------------------------------------------------------------- */

static int keys_visible(int i, int len, int causal) { return causal && i + 1 < len ? i + 1 : len; }

/* max |z_m − z_ref| over the outputs of example e that read only valid positions */
static double example_diff(const hs_model *m, const hs_real *ref, int e, int len)
{
    const int C = m->cfg.n_out, T = m->T;
    double mx = 0;
    const int r0 = m->cfg.lm ? e * T : e, r1 = m->cfg.lm ? e * T + len : e + 1;
    for (int r = r0; r < r1; r++)
        for (int c = 0; c < C; c++) mx = fmax(mx, fabs((double)m->a.logits[(size_t)r * C + c] - ref[(size_t)r * C + c]));
    return mx;
}

static void test_papa_single_input(const hs_task *t, const char *what)
{
    const int B = 4, H = 2, L = 2, N = L * H;
    hs_model *base = make_model(t, 16, H, L, B, 3);
    hs_model *m = clone(base, B);
    hs_batch_buf bb;
    CHECK_OK(hs_batch_buf_create(&bb, t, B));
    unsigned char mask[64];
    float imp[64];
    const char *names[2] = {"split", "max_examples"};
    const double v[2] = {0, 1}; /* train split, one example: C = A(x) for x = training example 0 */
    CHECK_OK(run_method(m, t, &bb, "papa", 1.0, names, v, 2, mask, imp, NULL));
    int all = 1;
    for (int i = 0; i < N; i++) all &= m->is_static[i] && mask[i];
    hs_task_batch(t, HS_SPLIT_TRAIN, 0, &bb); /* the batch the constants came from */
    const hs_batch *b = &bb.batch;
    CHECK_OK(hs_model_forward(base, b));
    const size_t nlog = logits_len(base);
    hs_real *ref = malloc(nlog * sizeof(hs_real));
    memcpy(ref, base->a.logits, nlog * sizeof(hs_real));
    double zmax = 0;
    for (size_t i = 0; i < nlog; i++) zmax = fmax(zmax, fabs((double)ref[i]));
    CHECK_OK(hs_model_forward(m, b));
    const double d0 = example_diff(m, ref, 0, b->lengths[0]);
    double d_other = 0;
    for (int e = 1; e < b->B; e++) d_other = fmax(d_other, example_diff(m, ref, e, b->lengths[e]));
    tap_ok(all && d0 <= 1e-5 * fmax(1, zmax),
           "papa %s, every head constant with C from input x: outputs on x equal the unmodified model's "
           "(max diff %.2e, |logits| up to %.1f, length %d of %d)",
           what, d0, zmax, b->lengths[0], b->T);
    tap_ok(d_other > 1e-3, "papa %s: on the other inputs of the batch they differ (max diff %.3g)", what, d_other);

    /* rows of the applied matrices: sum 1 over the visible keys, 0 elsewhere */
    double worst = 0;
    int zeros = 1;
    const int T = b->T;
    for (int l = 0; l < L; l++)
        for (int e = 0; e < b->B; e++)
            for (int j = 0; j < H; j++) {
                const hs_real *P = m->a.att + (size_t)l * m->max_B * H * m->max_T * m->max_T +
                                   ((size_t)e * H + j) * T * T;
                for (int i = 0; i < T; i++) {
                    const int n = keys_visible(i, b->lengths[e], m->cfg.causal);
                    double s = 0;
                    for (int q = 0; q < n; q++) s += P[(size_t)i * T + q];
                    for (int q = n; q < T; q++) zeros &= P[(size_t)i * T + q] == 0;
                    worst = fmax(worst, fabs(s - 1));
                }
            }
    tap_ok(worst < 1e-5 && zeros, "papa %s: applied rows sum to 1 over visible keys (max error %.1e), 0 beyond",
           what, worst);
    free(ref);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    hs_model_destroy(&base);
}

static void test_papa_framework(const hs_task *t)
{
    const int B = 8, H = 4, L = 2, N = L * H;
    hs_model *base = make_model(t, 16, H, L, B, 4);
    hs_batch_buf bb;
    CHECK_OK(hs_batch_buf_create(&bb, t, B));
    unsigned char mask[64];
    float imp[64];
    const char *names[3] = {"split", "max_examples", "order"};
    const double v[3] = {1, 40, 0};

    /* ratio 0: the unpruned model, bit for bit */
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    CHECK_OK(hs_model_forward(base, &bb.batch));
    const size_t nlog = logits_len(base);
    hs_real *ref = malloc(nlog * sizeof(hs_real));
    memcpy(ref, base->a.logits, nlog * sizeof(hs_real));
    {
        hs_model *m = clone(base, B);
        CHECK_OK(run_method(m, t, &bb, "papa", 0, names, v, 3, mask, imp, NULL));
        hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
        CHECK_OK(hs_model_forward(m, &bb.batch));
        int none = 1;
        for (int i = 0; i < N; i++) none &= !m->is_static[i] && mask[i];
        tap_ok(none && !memcmp(m->a.logits, ref, nlog * sizeof(hs_real)),
               "papa ratio 0: no static head, outputs bit-equal to the unpruned model");
        hs_model_destroy(&m);
    }

    /* exact count of static heads, mask all ones, for both orders */
    for (int order = 0; order < 2; order++) {
        int ok = 1;
        const double rs[] = {0.125, 0.25, 0.5, 0.8, 1.0};
        for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
            hs_model *m = clone(base, B);
            const double vv[3] = {1, 40, order};
            long evals = 0;
            CHECK_OK(run_method(m, t, &bb, "papa", rs[i], names, vv, 3, mask, imp, &evals));
            int n = 0, ones = 1;
            for (int h = 0; h < N; h++) n += m->is_static[h], ones &= mask[h];
            ok &= n == lround(rs[i] * N) && ones && evals == (order ? N + 1 : 0);
            /* the static heads are the lowest scores */
            for (int a = 0; a < N; a++)
                for (int c = 0; c < N; c++)
                    if (m->is_static[a] && !m->is_static[c]) ok &= imp[a] <= imp[c];
            hs_model_destroy(&m);
        }
        tap_ok(ok, "papa order %s: exactly round(r*N) static heads (the lowest scores), mask all ones",
               order ? "static_loss" : "importance");
    }

    /* determinism */
    {
        hs_model *m1 = clone(base, B), *m2 = clone(base, B);
        float imp2[64];
        unsigned char mask2[64];
        CHECK_OK(run_method(m1, t, &bb, "papa", 0.5, names, v, 3, mask, imp, NULL));
        CHECK_OK(run_method(m2, t, &bb, "papa", 0.5, names, v, 3, mask2, imp2, NULL));
        const size_t TT = (size_t)base->cfg.seq_len * base->cfg.seq_len;
        tap_ok(!memcmp(m1->is_static, m2->is_static, N) && !memcmp(imp, imp2, sizeof(float) * N) &&
                   !memcmp(m1->static_att, m2->static_att, sizeof(hs_real) * N * TT),
               "papa: two runs give identical static heads, scores and constant matrices");
        hs_model_destroy(&m1);
        hs_model_destroy(&m2);
    }

    /* the framework: masked == shrunk with static heads present */
    {
        const hs_method *meth = hs_method_find("papa");
        hs_settings set;
        hs_settings_defaults(meth, &set);
        set.v[hs_setting_index(meth, "max_examples")] = 64;
        hs_point_result r = {.mask = mask, .importance = imp};
        const hs_point_opts o = {.finetune_steps = 0, .finetune_lr = 0, .batch = B, .latency_repeats = 0};
        const hs_status s = hs_point_run(base, t, meth, &set, 0.5, 5, &o, &r);
        tap_ok(s == HS_OK && r.heads_kept == N && r.params_kept == r.params_total && r.shrink_max_diff <= 1e-5 &&
                   r.flops_ratio == 1,
               "papa via hs_point_run, ratio 0.5: ok, heads kept %ld of %d, shrunk diff %.2e, metric %.3f -> %.3f",
               r.heads_kept, N, r.shrink_max_diff, r.metric_base, r.metric_pruned);
    }

    /* shrink with static heads beside removed ones: the compact layer carries
     * the constants of its kept static heads at their compact index */
    {
        hs_model *m = clone(base, B);
        CHECK_OK(run_method(m, t, &bb, "papa", 0.5, names, v, 3, mask, imp, NULL));
        /* layer 0: heads 0, 2 static, 1 removed; layer 1: head 3 static, 0 removed */
        memset(m->is_static, 0, N);
        m->is_static[0] = m->is_static[2] = m->is_static[H + 3] = 1;
        unsigned char km[64];
        memset(km, 1, N);
        km[1] = km[H + 0] = 0;
        for (int i = 0; i < N; i++) m->p.gates[i] = km[i];
        hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
        CHECK_OK(hs_model_forward(m, &bb.batch));
        memcpy(ref, m->a.logits, nlog * sizeof(hs_real));
        hs_shrunk sh;
        CHECK_OK(hs_shrunk_build(&sh, m, km));
        CHECK_OK(hs_model_forward_with(m, &bb.batch, sh.attn));
        double diff = 0, dyn = 0;
        for (size_t i = 0; i < nlog; i++) diff = fmax(diff, fabs((double)m->a.logits[i] - ref[i]));
        /* the same without the constants (every head dynamic) is far off */
        hs_real *st = m->static_att;
        m->static_att = NULL;
        CHECK_OK(hs_model_forward(m, &bb.batch));
        m->static_att = st;
        for (size_t i = 0; i < nlog; i++) dyn = fmax(dyn, fabs((double)m->a.logits[i] - ref[i]));
        tap_ok(sh.static_flags && diff <= 1e-5 && dyn > 1e-3,
               "shrink keeps static heads beside removed ones: shrunk vs masked %.2e (vs all-dynamic %.3g)", diff, dyn);
        hs_shrunk_free(&sh);
        /* no static heads: nothing extra is built */
        memset(m->is_static, 0, N);
        CHECK_OK(hs_shrunk_build(&sh, m, km));
        tap_ok(!sh.static_flags && !sh.static_store && sh.attn[0].w.is_static == NULL,
               "shrink without static heads carries no constants");
        hs_shrunk_free(&sh);
        hs_model_destroy(&m);
    }
    free(ref);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&base);
}

/* Backward through a static head. */
static void test_static_backward(const hs_task *t)
{
    const int B = 8, H = 2, L = 2, N = L * H;
    hs_model *m = make_model(t, 16, H, L, B, 5);
    hs_batch_buf bb;
    CHECK_OK(hs_batch_buf_create(&bb, t, B));
    unsigned char mask[64];
    float imp[64];
    const char *names[2] = {"split", "max_examples"};
    const double v[2] = {1, 48};
    CHECK_OK(run_method(m, t, &bb, "papa", 0.25, names, v, 2, mask, imp, NULL)); /* one static head */
    int sh = -1;
    for (int i = 0; i < N; i++)
        if (m->is_static[i]) sh = i;
    HS_ASSERT(sh >= 0);
    const int l = sh / H, j = sh % H, d = m->cfg.d_model, dh = d / H;
    const int jd = (j + 1) % H; /* a dynamic head of the same layer */
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    hs_model_zero_grad(m);
    CHECK_OK(hs_model_forward(m, &bb.batch));
    hs_model_backward(m, &bb.batch);
    const size_t dd = (size_t)d * d;
    double zs = 0, zd = 0;
    for (int r = 0; r < d; r++)
        for (int c = 0; c < dh; c++) {
            zs = fmax(zs, fabs(m->g.wq[l * dd + (size_t)r * d + j * dh + c]));
            zs = fmax(zs, fabs(m->g.wk[l * dd + (size_t)r * d + j * dh + c]));
            zd = fmax(zd, fabs(m->g.wq[l * dd + (size_t)r * d + jd * dh + c]));
        }
    for (int c = 0; c < dh; c++) {
        zs = fmax(zs, fabs(m->g.bq[(size_t)l * d + j * dh + c]));
        zs = fmax(zs, fabs(m->g.bk[(size_t)l * d + j * dh + c]));
    }
    tap_ok(zs == 0 && zd > 0,
           "static head (layer %d, head %d): Wq/Wk columns and bq/bk get exactly zero gradient "
           "(a dynamic head's Wq gets up to %.2g)", l, j, zd);

    /* central differences on the three largest Wv entries of the static head */
    int idx[3] = {-1, -1, -1};
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < d; r++)
            for (int c = 0; c < dh; c++) {
                const int at = r * d + j * dh + c;
                if (at == idx[0] || at == idx[1]) continue;
                if (idx[k] < 0 || fabs(m->g.wv[l * dd + at]) > fabs(m->g.wv[l * dd + idx[k]])) idx[k] = at;
            }
    double worst = 0;
    for (int k = 0; k < 3; k++) {
        hs_real *w = m->p.wv + l * dd + idx[k];
        const hs_real w0 = *w, eps = 1e-2f;
        const double g = m->g.wv[l * dd + idx[k]];
        *w = w0 + eps;
        CHECK_OK(hs_model_forward(m, &bb.batch));
        const double lp = m->loss;
        *w = w0 - eps;
        CHECK_OK(hs_model_forward(m, &bb.batch));
        const double lm = m->loss;
        *w = w0;
        const double fd = (lp - lm) / (2 * (double)eps);
        const double rel = fabs(fd - g) / fmax(fabs(g), 1e-3);
        tap_diag("wv[%d][%d]: analytic %.6g, central difference %.6g", l, idx[k], g, fd);
        worst = fmax(worst, rel);
    }
    tap_ok(worst < 2e-2, "static head: Wv gradient matches central differences (float, worst relative error %.2e)",
           worst);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
}

int main(void)
{
    const double t0 = seconds();
    hs_task *maj = open_task("majority", 12), *rev = open_task("reverse", 12);
    test_layerdrop_tables(maj);
    test_layerdrop_model(maj);
    tap_diag("layerdrop: %.2f s", seconds() - t0);
    const double t1 = seconds();
    test_papa_single_input(maj, "majority (classifier, padded)");
    test_papa_single_input(rev, "reverse (causal LM, padded)");
    test_papa_framework(maj);
    test_static_backward(maj);
    tap_diag("papa and static heads: %.2f s", seconds() - t1);
    hs_task_destroy(&maj);
    hs_task_destroy(&rev);
    return tap_done();
}
