/* test_prune_learned.c — `l0` and `movement` (docs/methods.md "l0", "movement") and
 * distillation during fine-tuning:
 *
 *  - the hard-concrete sampler against its closed-form CDF (Kolmogorov–Smirnov
 *    distance over 20000 draws, point masses at 0 and 1 included), the
 *    expected-L0 formula against the Monte-Carlo rate of open gates, the
 *    reference values of docs/methods.md "l0", and a KS check that does reject a wrong a;
 *  - finite differences: ∂z/∂a of the reparameterised sample, the Lagrangian
 *    term's gradient, ∂L/∂a through a model, and the straight-through score
 *    increments of movement (head gates, and a block's mask value);
 *  - the Lagrangian run ends at exactly k heads removed for several k, and
 *    ratio 0 is the unpruned model;
 *  - the cubic schedule: docs/methods.md's table, exact counts at every step for many
 *    (n, k, T), and the top-k masks a real run used at every step (curve);
 *  - movement with frozen weights: the scores equal an independent
 *    re-computation of −Σ ∂L/∂g (heads) and −Σ W⊙∂L/∂(W⊙M) (blocks);
 *  - determinism (same key → same mask, scores and metric);
 *  - distillation: kd_alpha 0 is plain fine-tuning bit for bit, kd_alpha > 0
 *    changes it; the sweep file's kd group (defaults, errors, fingerprint). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "../src/prune/learned.h"
#include "../src/prune/point.h"
#include "../src/store/results.h"
#include "../src/sweep/config.h"
#include "small_models.h"
#include "tap.h"

#define B 32

/* A small majority model (d 16, L 2, H 4) trained for `steps`. */
static hs_model *trained(hs_task **tp, long steps)
{
    *tp = fx_task("majority", 9, 10, 3, 4000, 128, 256);
    hs_model *m = fx_model(*tp, 16, 4, 2, 32, B, 13);
    fx_train(m, *tp, steps, 3e-3, steps / 10, B);
    return m;
}

/* hs_point_run of `method` with settings "name=value" pairs. */
static hs_status point(const hs_model *m, const hs_task *t, const char *method, double ratio, uint64_t key,
                       const char *const *sets, const hs_point_opts *opts, hs_point_result *r,
                       unsigned char *mask, float *imp)
{
    const hs_method *meth = hs_method_find(method);
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    for (int i = 0; sets && sets[i]; i += 2) {
        const int at = hs_setting_index(meth, sets[i]);
        HS_ASSERT(at >= 0);
        set.v[at] = atof(sets[i + 1]);
    }
    memset(r, 0, sizeof *r);
    r->mask = mask;
    r->importance = imp;
    const hs_point_opts plain = {.finetune_steps = 0, .finetune_lr = 1e-3, .batch = B, .latency_repeats = 0, .kd_alpha = 0, .kd_temperature = 2};
    return hs_point_run(m, t, meth, &set, ratio, key, opts ? opts : &plain, r);
}

/* --- hard concrete ------------------------------------------------------------ */

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* sup |F_n − F| over a sorted sample of the gate, atoms included: at every
 * distinct value x both F_n(x) vs F(x) and the left limits F_n(x−) vs F(x−). */
static double ks_distance(const double *z, int n, double a, double beta)
{
    double d = 0;
    for (int lo = 0; lo < n;) {
        int hi = lo;
        while (hi < n && z[hi] == z[lo]) hi++;
        const double x = z[lo];
        const double F = hs_hc_cdf(x, a, beta);
        /* left limits: 0 below the atom at 0; below 1: F(1−) = 1 − P(z = 1) */
        const double Fm = x <= 0 ? 0 : x >= 1 ? hs_hc_cdf(nextafter(1.0, 0.0), a, beta) : F;
        d = fmax(d, fmax(fabs((double)hi / n - F), fabs((double)lo / n - Fm)));
        lo = hi;
    }
    return d;
}

static void test_hard_concrete(void)
{
    /* reference values (docs/methods.md "l0") */
    const double l11 = log(11.0);
    tap_ok(fabs(hs_hc_p_open(0, 2.0 / 3) - 0.8318) < 1e-4 && fabs(1 - hs_hc_cdf(0.999999999, 0, 2.0 / 3) - 0.1682) < 1e-4 &&
               fabs(hs_hc_p_open(0, 1.0 / 3) - 0.6898) < 1e-4 && fabs(hs_hc_p_open(-1.5986, 2.0 / 3) - 0.5) < 1e-4,
           "hard concrete: P_open(0) = 0.8318 and P(z=1) = 0.1682 at beta 2/3, P_open(0) = 0.6898 at beta 1/3, "
           "P_open(-1.5986) = 0.5 (docs/methods.md)");
    tap_ok(hs_hc_test_gate(-l11 - 1e-9) == 0 && hs_hc_test_gate(l11 + 1e-9) == 1 && hs_hc_test_gate(-l11 + 1e-3) > 0 &&
               hs_hc_test_gate(l11 - 1e-3) < 1,
           "hard concrete: the test-time gate is 0 exactly for a <= -log 11 and 1 for a >= log 11");

    enum { NS = 20000 };
    static double z[NS];
    const double cases[][2] = {{0, 2.0 / 3}, {-1.5986, 2.0 / 3}, {0, 1.0 / 3}, {2, 0.33}, {-2, 2.0 / 3}, {1, 1.5}};
    const double bound = 1.95 / sqrt(NS); /* KS critical value at 0.1 % */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const double a = cases[c][0], beta = cases[c][1];
        hs_rng r;
        hs_rng_seed(&r, hs_key_u64(123, c));
        long open = 0, zero = 0, one = 0;
        for (int i = 0; i < NS; i++) {
            const double u = HS_HC_EPS + (1 - 2 * HS_HC_EPS) * hs_rng_uniform(&r);
            z[i] = hs_hc_sample(a, beta, u, NULL);
            open += z[i] > 0;
            zero += z[i] == 0;
            one += z[i] == 1;
        }
        qsort(z, NS, sizeof z[0], cmp_double);
        const double D = ks_distance(z, NS, a, beta);
        const double p = hs_hc_p_open(a, beta), sd = sqrt(p * (1 - p) / NS);
        tap_ok(D < bound, "hard concrete a = %g, beta = %.3g: KS distance %.4f < %.4f over %d draws (P(z=0) %.4f vs %.4f, P(z=1) %.4f vs %.4f)",
               a, beta, D, bound, NS, (double)zero / NS, 1 - p, (double)one / NS,
               1 - hs_hc_cdf(nextafter(1.0, 0.0), a, beta));
        tap_ok(fabs((double)open / NS - p) < 4 * sd + 1e-12,
               "hard concrete a = %g, beta = %.3g: expected L0 P_open = %.4f matches the Monte-Carlo rate %.4f (4 sd = %.4f)",
               a, beta, p, (double)open / NS, 4 * sd);
        if (c == 0) { /* the test has power: the same draws against a = 0.15 are rejected */
            const double D2 = ks_distance(z, NS, 0.15, beta);
            tap_ok(D2 > bound, "hard concrete: the KS check rejects a wrong a (distance %.4f > %.4f)", D2, bound);
        }
    }

    /* ∂z/∂a of the reparameterised sample, and 0 where the clip holds */
    double worst = 0;
    int inside = 0, clipped_ok = 1;
    for (int i = 0; i < 200; i++) {
        const double a = -3 + 6 * (i % 20) / 19.0, u = 0.02 + 0.96 * (i / 20) / 9.0, beta = i % 2 ? 2.0 / 3 : 0.33;
        double dz;
        const double zz = hs_hc_sample(a, beta, u, &dz);
        const double h = 1e-6, fd = (hs_hc_sample(a + h, beta, u, NULL) - hs_hc_sample(a - h, beta, u, NULL)) / (2 * h);
        if (zz > 1e-4 && zz < 1 - 1e-4) {
            worst = fmax(worst, fabs(fd - dz) / fmax(1, fabs(dz)));
            inside++;
        } else if (zz == 0 || zz == 1) {
            clipped_ok &= dz == 0;
        }
    }
    tap_ok(worst < 1e-7 && inside > 50 && clipped_ok,
           "hard concrete: dz/da matches finite differences inside (0, 1) (%d points, max err %.1e) and is 0 where clipped",
           inside, worst);

    /* the Lagrangian term's gradient */
    double a[6] = {-2, -0.5, 0, 0.7, 1.5, 3}, g[6] = {0}, fd_err = 0, f;
    const double tgt = 0.4, l1 = 0.8, l2 = 2.5, beta = 2.0 / 3;
    hs_l0_penalty(a, 6, beta, tgt, l1, l2, g, &f);
    for (int i = 0; i < 6; i++) {
        const double keep = a[i], h = 1e-6;
        double dummy[6] = {0};
        a[i] = keep + h;
        const double p = hs_l0_penalty(a, 6, beta, tgt, l1, l2, dummy, NULL);
        a[i] = keep - h;
        const double m = hs_l0_penalty(a, 6, beta, tgt, l1, l2, dummy, NULL);
        a[i] = keep;
        fd_err = fmax(fd_err, fabs((p - m) / (2 * h) - g[i]));
    }
    double fe = 0;
    for (int i = 0; i < 6; i++) fe += hs_hc_p_open(a[i], beta) / 6;
    tap_ok(fd_err < 1e-8 && fabs(f - fe) < 1e-15,
           "l0: the Lagrangian term lambda1 (f - t) + lambda2 (f - t)^2 has the gradient of finite differences (err %.1e)", fd_err);
}

/* ∂L/∂a through a model: gates z(a; u) with u fixed, L the batch loss. */
static void test_l0_chain(const hs_model *base, const hs_task *t)
{
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, B, t->shape.seq_len) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TRAIN, 3, &bb);
    const int N = 8;
    double a[8], u[8], dz[8];
    for (int i = 0; i < N; i++) {
        a[i] = -0.5 + 0.13 * i;
        u[i] = 0.3 + 0.05 * i;
        m->p.gates[i] = (hs_real)hs_hc_sample(a[i], 2.0 / 3, u[i], &dz[i]);
    }
    hs_model_zero_grad(m);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    hs_model_backward(m, &bb.batch);
    double worst = 0, maxg = 0;
    for (int i = 0; i < N; i++) {
        const double an = (double)m->g.gates[i] * dz[i], h = 1e-2;
        double l[2];
        for (int s = 0; s < 2; s++) {
            m->p.gates[i] = (hs_real)hs_hc_sample(a[i] + (s ? -h : h), 2.0 / 3, u[i], NULL);
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            l[s] = m->loss;
        }
        m->p.gates[i] = (hs_real)hs_hc_sample(a[i], 2.0 / 3, u[i], NULL);
        const double fd = (l[0] - l[1]) / (2 * h);
        worst = fmax(worst, fabs(fd - an) / (1e-3 + fabs(an)));
        maxg = fmax(maxg, fabs(an));
    }
    tap_ok(worst < 0.03 && maxg > 1e-4,
           "l0: dL/d(log alpha) = dL/dz * dz/da through the model matches finite differences (fp32, max rel err %.2e, max |g| %.2e)",
           worst, maxg);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
}

static void test_l0_runs(const hs_model *base, const hs_task *t)
{
    const int N = 8;
    const char *const sets[] = {"steps", "150", "lambda_lr", "0.05", NULL};
    int exact = 1, shrink = 1;
    double last[8] = {0};
    for (int k = 1; k <= 7; k += 2) {
        unsigned char mask[8];
        float imp[8];
        hs_point_result r;
        HS_ASSERT(point(base, t, "l0", (double)k / N, 31, sets, NULL, &r, mask, imp) == HS_OK);
        int kept = 0;
        for (int i = 0; i < N; i++) kept += mask[i];
        exact &= kept == N - k && r.heads_kept == N - k;
        shrink &= r.shrink_max_diff <= 1e-5;
        last[k] = r.curve_len ? r.curve[r.curve_len - 1] : NAN;
        /* the kept heads are the N − k largest log alpha */
        float lo_kept = INFINITY, hi_removed = -INFINITY;
        for (int i = 0; i < N; i++) {
            if (mask[i]) lo_kept = fminf(lo_kept, imp[i]);
            else hi_removed = fmaxf(hi_removed, imp[i]);
        }
        /* 150 steps: every 2nd step's expected sparsity (75), then the final one */
        exact &= lo_kept >= hi_removed && r.curve_len == 76;
    }
    tap_ok(exact && shrink,
           "l0: the Lagrangian run removes exactly k heads (the lowest log alpha) for k = 1, 3, 5, 7 of 8; shrunk == masked");
    tap_diag("l0 expected sparsity at the end (target k/8): k=1 %.3f, k=3 %.3f, k=5 %.3f, k=7 %.3f", last[1], last[3],
             last[5], last[7]);
    for (int gm = 0; gm < 2; gm++) { /* gates only: the same exact count */
        const char *const s2[] = {"steps", "100", "train_model", gm ? "1" : "0", NULL};
        unsigned char mask[8], mask2[8];
        float imp[8], imp2[8];
        hs_point_result r, r2;
        HS_ASSERT(point(base, t, "l0", 0.5, 77, s2, NULL, &r, mask, imp) == HS_OK);
        HS_ASSERT(point(base, t, "l0", 0.5, 77, s2, NULL, &r2, mask2, imp2) == HS_OK);
        int kept = 0;
        for (int i = 0; i < N; i++) kept += mask[i];
        tap_ok(kept == 4 && !memcmp(mask, mask2, 8) && !memcmp(imp, imp2, sizeof imp) &&
                   r.metric_pruned == r2.metric_pruned && r.curve_len == r2.curve_len &&
                   !memcmp(r.curve, r2.curve, sizeof(double) * (size_t)r.curve_len),
               "l0 (train_model %s): 4 of 8 heads kept; the same key gives the same mask, log alpha, curve and metric (%.4f)",
               gm ? "true" : "false", r.metric_pruned);
    }
    unsigned char mask[8];
    float imp[8];
    hs_point_result r;
    HS_ASSERT(point(base, t, "l0", 0.0, 5, NULL, NULL, &r, mask, imp) == HS_OK);
    tap_ok(r.metric_pruned == r.metric_base && r.heads_kept == N && r.curve_len == 0,
           "l0: ratio 0 trains nothing and is the unpruned model (metric %.4f == %.4f)", r.metric_pruned, r.metric_base);
}

/* --- movement ------------------------------------------------------------------ */

static void test_schedule(void)
{
    /* docs/methods.md "movement": T = 1000, w = 100 (t_i = 100, t_f = 200), keep 1 → 0.15 */
    const long steps[] = {0, 100, 101, 250, 400, 550, 700, 701, 800, 801, 999};
    const double want[] = {1.0, 1.0, 0.9964, 0.5623, 0.3086, 0.1887, 0.1525, 0.15240, 0.15, 0.15, 0.15};
    double worst = 0;
    for (int i = 0; i < 11; i++) worst = fmax(worst, fabs(hs_cubic_keep(steps[i], 1000, 100, 200, 0.15) - want[i]));
    tap_ok(worst < 6e-5 && hs_cubic_keep(801, 1000, 100, 200, 0.15) == 0.15 && hs_cubic_keep(100, 1000, 100, 200, 0.15) == 1,
           "cubic schedule: the values of docs/methods.md (max err %.1e; keep_f from step T - t_f = 800 on — the "
           "table's '701 -> 0.15' is 0.1524 by its own formula)", worst);

    /* exact counts at every step, for many (n, k, T, t_i, t_f) */
    int ok = 1, cases = 0;
    for (long n = 1; n <= 64; n = n * 2 + 1)
        for (long k = 0; k <= n; k += (n > 8 ? n / 5 : 1))
            for (long T = 10; T <= 400; T = T * 3 + 1)
                for (int wi = 0; wi < 3; wi++) {
                    const long ti = (long)(0.2 * wi * T), tf = (long)(0.45 * (2 - wi) / 2 * T);
                    long prev = 0;
                    for (long st = 0; st < T; st++) {
                        const long r = hs_cubic_removed(st, T, ti, tf, n, k);
                        /* independent: progress p, removed = round(k·(1 − (1 − p)³)) */
                        long double p = st <= ti ? 0 : st > T - tf ? 1 : (long double)(st - ti) / (T - ti - tf);
                        const long want_r = lroundl(k * (1 - (1 - p) * (1 - p) * (1 - p)));
                        const double keep = hs_cubic_keep(st, T, ti, tf, 1 - (double)k / n);
                        ok &= r == want_r && r >= prev && r <= k && (st > ti || r == 0) &&
                              (st <= T - tf || r == k) && fabs(n * (1 - keep) - r) <= 0.5 + 1e-9;
                        prev = r;
                    }
                    ok &= hs_cubic_removed(T, T, ti, tf, n, k) == k;
                    cases++;
                }
    tap_ok(ok, "cubic schedule: removed(step) = round(k (1 - (1 - p)^3)) exactly, 0 up to t_i, k after T - t_f, "
               "never decreasing, within 1/2 of n (1 - keep(step)) (%d schedules)", cases);

    /* top-k: lowest scores go, ties by the lowest index */
    const double sc[6] = {0.5, -1, 0.5, 0.5, -1, 2};
    unsigned char m[6];
    hs_topk_mask(m, sc, 6, 3);
    const unsigned char want_m[6] = {0, 0, 1, 1, 0, 1};
    tap_ok(!memcmp(m, want_m, 6), "top-k: the 3 lowest of {0.5, -1, 0.5, 0.5, -1, 2} go, ties to the lowest index");
}

/* Runs movement's head/block scoring with frozen weights in the test's own
 * words and compares with the method's importance; also checks the counts of
 * the masks the method used (its curve) against the schedule at every step. */
static void test_movement_replay(const hs_model *base, const hs_task *t, int blocks, int by_weights)
{
    const int N = 8, d = 16, L = 2, H = 4, dh = 4, steps = 24, blk = 8;
    const long ti = (long)(0.2 * steps), tf = (long)(0.25 * steps);
    const int k = 3;
    char bs[16];
    snprintf(bs, sizeof bs, "%d", blk);
    const char *const sets[] = {"granularity", blocks ? "1" : "0", "head_score", by_weights ? "1" : "0", "block", bs,
                                "steps", "24", "train_model", "0", "warmup_fraction", "0.2", "cooldown_fraction", "0.25",
                                NULL};
    unsigned char mask[8];
    float imp[8];
    hs_point_result r;
    HS_ASSERT(point(base, t, "movement", (double)k / N, 3, sets, NULL, &r, mask, imp) == HS_OK);

    /* the replay */
    const int nb = d / blk, NB = L * 4 * nb * nb, units = blocks ? NB : N;
    const int kb = blocks ? (int)lround((double)k * NB / N) : k;
    static const int mats[4] = {HS_P_WQ, HS_P_WK, HS_P_WV, HS_P_WO};
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, B, t->shape.seq_len) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    double S[64] = {0}, HSc[8] = {0};
    float dense[4][2 * 16 * 16];
    for (int q = 0; q < 4; q++) memcpy(dense[q], m->p.at[mats[q]], sizeof dense[q]);
    int counts_ok = r.curve_len == steps + 1;
    for (int st = 0; st < steps; st++) {
        const long rm = hs_cubic_removed(st, steps, ti, tf, units, kb);
        unsigned char um[64];
        hs_topk_mask(um, S, units, (int)rm);
        int kept = 0;
        for (int u = 0; u < units; u++) kept += um[u];
        counts_ok &= st >= r.curve_len || fabs(r.curve[st] * units - (units - rm)) < 1e-9;
        counts_ok &= kept == units - rm;
        for (int i = 0; i < N; i++) m->p.gates[i] = blocks ? 1 : um[i];
        for (int q = 0; q < 4; q++)
            for (int l = 0; l < L; l++)
                for (int i = 0; i < d; i++)
                    for (int o = 0; o < d; o++) {
                        const int bi = ((l * 4 + q) * nb + i / blk) * nb + o / blk;
                        const size_t at = ((size_t)l * d + i) * d + o;
                        m->p.at[mats[q]][at] = blocks && !um[bi] ? 0 : dense[q][at];
                    }
        hs_task_batch(t, HS_SPLIT_TRAIN, (1L << 32) + st, &bb);
        hs_model_zero_grad(m);
        HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
        hs_model_backward(m, &bb.batch);
        if (!blocks && !by_weights) {
            for (int i = 0; i < N; i++) S[i] -= m->g.gates[i];
            continue;
        }
        for (int q = 0; q < 4; q++)
            for (int l = 0; l < L; l++)
                for (int i = 0; i < d; i++)
                    for (int o = 0; o < d; o++) {
                        const size_t at = ((size_t)l * d + i) * d + o;
                        const double mv = -(double)dense[q][at] * m->g.at[mats[q]][at];
                        const int h = l * H + (q < 3 ? o : i) / dh;
                        if (blocks) {
                            S[((l * 4 + q) * nb + i / blk) * nb + o / blk] += mv;
                            HSc[h] += mv;
                        } else {
                            S[h] += mv;
                        }
                    }
    }
    const double *hs = blocks ? HSc : S;
    double worst = 0, scale = 0;
    for (int i = 0; i < N; i++) {
        worst = fmax(worst, fabs(imp[i] - hs[i]));
        scale = fmax(scale, fabs(hs[i]));
    }
    unsigned char want[8];
    if (blocks) { /* heads whose blocks are all masked at the end go first */
        unsigned char fm[64];
        double rank[8], lo = INFINITY, hi = -INFINITY;
        hs_topk_mask(fm, S, units, kb);
        for (int h = 0; h < N; h++) lo = fmin(lo, hs[h]), hi = fmax(hi, hs[h]);
        for (int h = 0; h < N; h++) {
            const int l = h / H, j = h % H;
            int alive = 0;
            for (int q = 0; q < 4; q++)
                for (int x = j * dh; x < (j + 1) * dh; x++)
                    for (int y = 0; y < d; y++) {
                        const int i = q < 3 ? y : x, o = q < 3 ? x : y;
                        alive |= fm[((l * 4 + q) * nb + i / blk) * nb + o / blk];
                    }
            rank[h] = alive ? hs[h] : hs[h] - (hi - lo) - 1;
        }
        hs_topk_mask(want, rank, N, k);
    } else {
        hs_topk_mask(want, hs, N, k);
    }
    counts_ok &= fabs(r.curve[steps] * units - (units - kb)) < 1e-9;
    const char *what = blocks ? "blocks (8x8 of 16x16)" : by_weights ? "heads, -sum W dL/dW" : "heads, -dL/dg";
    tap_ok(worst <= 1e-5 * scale && scale > 0 && !memcmp(mask, want, 8) && r.heads_kept == N - k,
           "movement (%s), frozen weights: scores = -sum over steps of the straight-through gradient "
           "(max diff %.1e of %.2e), final mask = the k = %d lowest", what, worst, scale, k);
    tap_ok(counts_ok, "movement (%s): the mask of every step keeps exactly units - removed(step) of %d (%d steps + final)",
           what, units, steps);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
}

/* The straight-through quantities against finite differences of the loss in
 * a continuous mask value: a head's gate, and a block's multiplier. */
static void test_movement_fd(const hs_model *base, const hs_task *t)
{
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, B, t->shape.seq_len) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TRAIN, 11, &bb);
    const unsigned char hm[8] = {1, 0, 1, 1, 1, 1, 0, 1};
    for (int i = 0; i < 8; i++) m->p.gates[i] = hm[i];
    hs_model_zero_grad(m);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    hs_model_backward(m, &bb.batch);
    double worst = 0, maxg = 0;
    for (int i = 0; i < 8; i++) {
        const double an = -(double)m->g.gates[i], h = 1e-2;
        double l[2];
        for (int s = 0; s < 2; s++) {
            m->p.gates[i] = (hs_real)(hm[i] + (s ? -h : h));
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            l[s] = m->loss;
        }
        m->p.gates[i] = hm[i];
        worst = fmax(worst, fabs(-(l[0] - l[1]) / (2 * h) - an) / (1e-3 + fabs(an)));
        maxg = fmax(maxg, fabs(an));
    }
    tap_ok(worst < 0.03 && maxg > 1e-4,
           "movement: a head's score step -dL/dg at the 0/1 mask matches finite differences of the loss in the gate, "
           "masked heads included (max rel err %.2e)", worst);

    /* block (rows 8..15, cols 0..7) of layer 1's Wv (kept) and of Wo (masked) */
    for (int i = 0; i < 8; i++) m->p.gates[i] = 1;
    const int d = 16;
    hs_real *wv = m->p.wv + (size_t)d * d, *wo = m->p.wo + (size_t)d * d;
    static float wo_dense[16 * 16];
    memcpy(wo_dense, wo, sizeof wo_dense);
    for (int i = 8; i < 16; i++)
        for (int o = 0; o < 8; o++) wo[i * d + o] = 0; /* the masked block */
    hs_model_zero_grad(m);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    hs_model_backward(m, &bb.batch);
    double an[2] = {0, 0};
    for (int i = 8; i < 16; i++)
        for (int o = 0; o < 8; o++) {
            an[0] -= (double)wv[i * d + o] * m->g.wv[(size_t)d * d + i * d + o];
            an[1] -= (double)wo_dense[i * d + o] * m->g.wo[(size_t)d * d + i * d + o];
        }
    double err = 0;
    for (int which = 0; which < 2; which++) {
        hs_real *w = which ? wo : wv;
        float keep[64];
        for (int i = 8; i < 16; i++)
            for (int o = 0; o < 8; o++) keep[(i - 8) * 8 + o] = (float)w[i * d + o];
        const double h = 1e-2, m0 = which ? 0 : 1; /* the block multiplier now */
        double l[2];
        for (int s = 0; s < 2; s++) {
            for (int i = 8; i < 16; i++)
                for (int o = 0; o < 8; o++)
                    w[i * d + o] = (hs_real)((m0 + (s ? -h : h)) * (which ? wo_dense[i * d + o] : keep[(i - 8) * 8 + o]));
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            l[s] = m->loss;
        }
        for (int i = 8; i < 16; i++)
            for (int o = 0; o < 8; o++) w[i * d + o] = keep[(i - 8) * 8 + o];
        err = fmax(err, fabs(-(l[0] - l[1]) / (2 * h) - an[which]) / (1e-3 + fabs(an[which])));
    }
    tap_ok(err < 0.03 && fabs(an[0]) > 1e-5 && fabs(an[1]) > 1e-5,
           "movement: a block's score step -sum W*dL/d(W*M) matches finite differences of the loss in the block's "
           "mask value, for a kept and a masked block (max rel err %.2e; %.3g, %.3g)", err, an[0], an[1]);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
}

static void test_movement_runs(const hs_model *base, const hs_task *t)
{
    const char *const variants[][9] = {
        {"steps", "40", NULL},
        {"steps", "40", "granularity", "1", "block", "4", "fill", "1", NULL},
        {"steps", "40", "granularity", "1", "block", "8", "fill", "0", NULL},
    };
    for (int v = 0; v < 3; v++) {
        int ok = 1;
        for (int k = 1; k <= 7; k += 3) {
            unsigned char mask[8], mask2[8];
            float imp[8], imp2[8];
            hs_point_result r, r2;
            HS_ASSERT(point(base, t, "movement", k / 8.0, 19, variants[v], NULL, &r, mask, imp) == HS_OK);
            HS_ASSERT(point(base, t, "movement", k / 8.0, 19, variants[v], NULL, &r2, mask2, imp2) == HS_OK);
            int kept = 0;
            for (int i = 0; i < 8; i++) kept += mask[i];
            ok &= kept == 8 - k && r.heads_kept == 8 - k && r.shrink_max_diff <= 1e-5 && !memcmp(mask, mask2, 8) &&
                  !memcmp(imp, imp2, sizeof imp) && r.metric_pruned == r2.metric_pruned &&
                  isfinite(r.metric_pruned);
        }
        tap_ok(ok, "movement (%s): exactly k heads removed for k = 1, 4, 7 of 8 with fine-tuning; shrunk == masked; "
                   "the same key gives the same mask, scores and metric",
               v == 0 ? "heads" : v == 1 ? "4x4 blocks, filled" : "8x8 blocks, not filled");
    }
    unsigned char mask[8];
    float imp[8];
    hs_point_result r;
    HS_ASSERT(point(base, t, "movement", 0.0, 5, NULL, NULL, &r, mask, imp) == HS_OK);
    tap_ok(r.metric_pruned == r.metric_base && r.heads_kept == 8,
           "movement: ratio 0 trains nothing and is the unpruned model (metric %.4f)", r.metric_pruned);
}

/* --- distillation ---------------------------------------------------------------- */

static void test_kd(const hs_model *base, const hs_task *t)
{
    unsigned char mask[8];
    float imp[8];
    hs_point_result plain, kd0, kd;
    const hs_point_opts o_plain = {.finetune_steps = 30, .finetune_lr = 1e-3, .batch = B, .latency_repeats = 0, .kd_alpha = 0, .kd_temperature = 0};
    const hs_point_opts o_kd0 = {.finetune_steps = 30, .finetune_lr = 1e-3, .batch = B, .latency_repeats = 0, .kd_alpha = 0, .kd_temperature = 4};
    const hs_point_opts o_kd = {.finetune_steps = 30, .finetune_lr = 1e-3, .batch = B, .latency_repeats = 0, .kd_alpha = 0.7,
                               .kd_temperature = 2};
    HS_ASSERT(point(base, t, "random", 0.5, 8, NULL, &o_plain, &plain, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "random", 0.5, 8, NULL, &o_kd0, &kd0, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "random", 0.5, 8, NULL, &o_kd, &kd, mask, imp) == HS_OK);
    tap_ok(plain.metric_finetuned == kd0.metric_finetuned && plain.loss_pruned == kd0.loss_pruned,
           "kd: alpha 0 is plain fine-tuning, bit for bit (test loss %.6f)", plain.loss_pruned);
    tap_ok(isfinite(kd.loss_pruned) && kd.loss_pruned != plain.loss_pruned && kd.metric_pruned == plain.metric_pruned,
           "kd: alpha 0.7, T 2 fine-tunes towards the teacher (test CE %.4f vs %.4f plain, metric %.4f vs %.4f)",
           kd.loss_pruned, plain.loss_pruned, kd.metric_finetuned, plain.metric_finetuned);

    /* the loss itself: with the teacher's own logits and alpha 1 it is T²·H(softmax(z/T)) */
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, B, t->shape.seq_len) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TRAIN, 0, &bb);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    const double ce = m->loss;
    const int C = m->cfg.n_out;
    static float teacher[B * 16];
    memcpy(teacher, m->a.logits, sizeof(float) * (size_t)B * C);
    double ent = 0;
    const double T = 3;
    for (int r = 0; r < B; r++) {
        double mx = -1e30, sum = 0;
        for (int c = 0; c < C; c++) mx = fmax(mx, teacher[r * C + c] / T);
        for (int c = 0; c < C; c++) sum += exp(teacher[r * C + c] / T - mx);
        for (int c = 0; c < C; c++) {
            const double p = exp(teacher[r * C + c] / T - mx) / sum;
            ent -= p * log(p);
        }
    }
    ent /= B;
    m->kd_logits = teacher;
    m->kd_alpha = 1;
    m->kd_temperature = T;
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    const double l1 = m->loss;
    m->kd_alpha = 0.25;
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    const double l2 = m->loss;
    tap_ok(fabs(l1 - T * T * ent) < 1e-5 * T * T * ent && fabs(l2 - (0.75 * ce + 0.25 * T * T * ent)) < 1e-5 * l2,
           "kd: the loss is (1 - alpha) CE + alpha T^2 CE(soft teacher, soft student) (self-distillation: T^2 H = %.5f)",
           T * T * ent);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
}

static void test_kd_sweep_file(void)
{
    const char *head = "name = \"k\"; tasks = ( { name = \"maj\"; kind = \"synthetic\"; generator = \"majority\"; } );\n"
                       "methods = ( { name = \"l0\"; } ); ratios = [0.0, 0.5];\n";
    char text[1024];
    hs_sweep a, b, c;
    snprintf(text, sizeof text, "%sfinetune = { steps = 10; };\n", head);
    HS_ASSERT(hs_sweep_load_text(text, "k.cfg", &a) == HS_OK);
    snprintf(text, sizeof text, "%sfinetune = { steps = 10; };\nkd = { alpha = 0.0; temperature = 5; };\n", head);
    HS_ASSERT(hs_sweep_load_text(text, "k.cfg", &b) == HS_OK);
    snprintf(text, sizeof text, "%sfinetune = { steps = 10; };\nkd = { alpha = 0.5; };\n", head);
    HS_ASSERT(hs_sweep_load_text(text, "k.cfg", &c) == HS_OK);
    const hs_point_opts o = hs_sweep_point_opts(&c, 0);
    char diff[256];
    const int nd = hs_sweep_diff(&a, &c, diff, sizeof diff);
    tap_ok(a.kd_alpha == 0 && a.kd_temperature == 2 && a.fingerprint == b.fingerprint && c.fingerprint != a.fingerprint &&
               o.kd_alpha == 0.5 && o.kd_temperature == 2 && nd == 2,
           "sweep file kd: defaults alpha 0, temperature 2; off leaves the fingerprint alone; on changes it (%s)", diff);
    hs_sweep_free(&a);
    hs_sweep_free(&b);
    hs_sweep_free(&c);
    const char *bad[][2] = {
        {"kd = { alpha = 0.5; };\n", "kd.alpha = 0.5: distillation applies to fine-tuning"},
        {"finetune = { steps = 10; };\nkd = { alpha = 1.5; };\n", "kd.alpha = 1.5: expected a number in [0, 1]"},
        {"finetune = { steps = 10; };\nkd = { temperature = 0; };\n", "kd.temperature = 0: expected a number in [0.01, 100]"},
        {"kd = { beta = 1; };\n", "kd.beta = 1: unknown setting"},
        {"kd = 1;\n", "kd = 1: expected a group"},
    };
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "%s%s", head, bad[i][0]);
        hs_sweep s;
        const hs_status st = hs_sweep_load_text(text, "k.cfg", &s);
        const char *msg = hs_error_message();
        tap_ok(st == HS_ERR_INPUT && strstr(msg, bad[i][1]) != NULL, "sweep file kd: refused with '%s'", msg);
        hs_error_clear();
        hs_sweep_free(&s);
    }
}

int main(void)
{
    tap_ok(HS_LEARNED_CURVE <= HS_CURVE_WIDTH && HS_LEARNED_CURVE <= HS_MAX_CURVE,
           "the learned methods' curves (%d points) fit a results-file row (%d)", HS_LEARNED_CURVE, HS_CURVE_WIDTH);
    test_hard_concrete();
    test_schedule();
    hs_task *t;
    hs_model *base = trained(&t, 250);
    test_l0_chain(base, t);
    test_l0_runs(base, t);
    test_movement_fd(base, t);
    test_movement_replay(base, t, 0, 0);
    test_movement_replay(base, t, 0, 1);
    test_movement_replay(base, t, 1, 0);
    test_movement_runs(base, t);
    test_kd(base, t);
    test_kd_sweep_file();
    hs_model_destroy(&base);
    hs_task_destroy(&t);
    return tap_done();
}
