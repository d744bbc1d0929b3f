/* test_ops.c — the optimised paths against their naive references (docs/design.md, "Code conventions")
 * and the small building blocks: sgemm matmul forward/backward vs triple
 * loops on odd shapes, the RNG's determinism and moments, the LR schedule
 * and allocation failure handling; the vectorised GELU erf against double
 * erfc, the gates-only backward against the full one, AdamW's update
 * against its scalar formula and its lazily allocated moments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/alloc.h"
#include "../src/core/model.h"
#include "../src/core/ops.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "tap.h"

static void fill(hs_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)hs_rng_normal(r);
}

static double maxdiff(const float *a, const float *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i]));
    return e;
}

static void test_matmul(void)
{
    enum { N = 13, K = 7, O = 11 };
    hs_rng r;
    hs_rng_seed(&r, 1);
    float x[N * K], w[K * O], b[O], y1[N * O], y2[N * O], dy[N * O];
    fill(&r, x, N * K);
    fill(&r, w, K * O);
    fill(&r, b, O);
    fill(&r, dy, N * O);
    hs_matmul_forward(y1, x, w, b, N, K, O, 0);
    hs_matmul_forward_naive(y2, x, w, b, N, K, O, 0);
    tap_ok(maxdiff(y1, y2, N * O) < 1e-5, "matmul forward (sgemm) equals the naive loop");
    hs_matmul_forward(y1, x, w, NULL, N, K, O, 1);
    hs_matmul_forward_naive(y2, x, w, NULL, N, K, O, 1);
    tap_ok(maxdiff(y1, y2, N * O) < 1e-5, "matmul forward accumulate equals the naive loop");

    float dx[N * K] = {0}, dw[K * O] = {0}, db[O] = {0};
    float rdx[N * K], rdw[K * O], rdb[O];
    hs_matmul_backward(dx, dw, db, dy, x, w, N, K, O, 0);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < K; i++) {
            double a = 0;
            for (int o = 0; o < O; o++) a += (double)dy[n * O + o] * w[i * O + o];
            rdx[n * K + i] = (float)a;
        }
    for (int i = 0; i < K; i++)
        for (int o = 0; o < O; o++) {
            double a = 0;
            for (int n = 0; n < N; n++) a += (double)x[n * K + i] * dy[n * O + o];
            rdw[i * O + o] = (float)a;
        }
    for (int o = 0; o < O; o++) {
        double a = 0;
        for (int n = 0; n < N; n++) a += dy[n * O + o];
        rdb[o] = (float)a;
    }
    tap_ok(maxdiff(dx, rdx, N * K) < 1e-4, "matmul backward dinp equals the naive loop");
    tap_ok(maxdiff(dw, rdw, K * O) < 1e-4, "matmul backward dw equals the naive loop");
    tap_ok(maxdiff(db, rdb, O) < 1e-4, "matmul backward dbias equals the naive loop");
}

static void test_rng(void)
{
    hs_rng a, b;
    hs_rng_seed(&a, hs_key_str(hs_key_u64(0, 3), "init"));
    hs_rng_seed(&b, hs_key_str(hs_key_u64(0, 3), "init"));
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= hs_rng_u64(&a) == hs_rng_u64(&b);
    tap_ok(same, "the same key gives the same stream");
    tap_ok(hs_key_str(1, "train") != hs_key_str(1, "eval") && hs_key_u64(1, 2) != hs_key_u64(2, 1),
           "different names and orders give different keys");
    tap_ok(hs_key_f64(5, 0.0) == hs_key_f64(5, -0.0), "ratio -0.0 and 0.0 are the same key");
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = hs_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    /* mean within 5 standard errors (5/sqrt(n) ≈ 0.011), variance within 2% */
    tap_ok(fabs(s / n) < 0.012 && fabs(s2 / n - 1) < 0.02, "normal draws: mean %.4f, variance %.4f",
           s / n, s2 / n);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) counts[hs_rng_below(&a, 7)]++;
    int ok = 1;
    for (int k = 0; k < 7; k++) ok &= abs(counts[k] - 10000) < 500;
    tap_ok(ok, "hs_rng_below(7) is uniform within 5 sigma");
}

static void test_schedule(void)
{
    hs_adamw_config c = hs_adamw_defaults(100);
    c.warmup = 10;
    tap_ok(fabs(hs_adamw_lr(&c, 0) - 1e-4) < 1e-12 && fabs(hs_adamw_lr(&c, 9) - 1e-3) < 1e-12,
           "warm-up rises linearly to the peak");
    tap_ok(fabs(hs_adamw_lr(&c, 55) - 0.5e-3) < 1e-12 && hs_adamw_lr(&c, 100) == 0,
           "decay falls linearly to 0 at the last step");
}

static void test_alloc(void)
{
    hs_config cfg = {.vocab = 8, .seq_len = 4, .d_model = 8, .heads = 2, .layers = 1, .d_ff = 8,
                     .n_out = 2};
    hs_model *m = NULL;
    hs_alloc_fail_after(2);
    hs_status s = hs_model_create(&m, &cfg);
    tap_ok(s == HS_ERR_NOMEM && m == NULL && strstr(hs_error_message(), "parameters"),
           "a failed allocation is reported with what it was for: %s", hs_error_message());
    hs_error_clear();
    hs_alloc_fail_after(0);
    void *p;
    tap_ok(hs_calloc(&p, (size_t)1 << 62, 16, "huge") == HS_ERR_NOMEM && p == NULL,
           "n*size overflow is refused");
    hs_error_clear();
    cfg.d_model = 9;
    tap_ok(hs_model_create(&m, &cfg) == HS_ERR_INPUT && strstr(hs_error_message(), "d_model"),
           "d_model not divisible by heads is bad input: %s", hs_error_message());
    hs_error_clear();
}


/* float GELU erf (an erfc fit, ops.c) against double erfc: value within a
 * few float ulps of |x·Φ(x)| (relative, also in the far negative tail,
 * where 1 + erff cancels), derivative within a few ulps of 1; the value-only function gives the same
 * bits as the forward's out. */
static void test_gelu_erf(void)
{
    enum { N = 2 * 12 * 256 + 1 };
    static float x[N], out[N], der[N], val[N];
    for (int i = 0; i < N; i++) x[i] = (float)(i - N / 2) / 256; /* -12 .. 12 */
    memcpy(der, x, sizeof x);
    hs_gelu_erf_forward(out, der, N);
    hs_gelu_erf_value(val, x, N);
    double worst = 0, worst_d = 0;
    float at = 0;
    for (int i = 0; i < N; i++) {
        const double xd = x[i], cdf = 0.5 * erfc(-xd / sqrt(2.0)), ref = xd * cdf;
        const double dref = cdf + xd * exp(-0.5 * xd * xd) / sqrt(2 * 3.14159265358979323846);
        if (ref != 0) {
            const double ulp = nextafterf((float)fabs(ref), INFINITY) - (float)fabs(ref);
            const double e = fabs(out[i] - ref) / ulp;
            if (e > worst) worst = e, at = x[i];
        }
        worst_d = fmax(worst_d, fabs(der[i] - dref)); /* |GELU'| <= 1.13: absolute */
    }
    tap_ok(worst <= 8, "gelu erf: values within %.1f float ulps of double x*Phi(x) on [-12, 12] (worst at %g)",
           worst, at);
    tap_ok(worst_d < 5e-7, "gelu erf: derivative within %.2g of Phi + x*phi", worst_d);
    tap_ok(!memcmp(out, val, sizeof out), "gelu erf: the value-only function gives the forward's bits");
    memcpy(der, x, sizeof x);
    hs_gelu_forward(out, der, N);
    hs_gelu_value(val, x, N);
    tap_ok(!memcmp(out, val, sizeof out), "gelu tanh: the value-only function gives the forward's bits");
}

/* gates_only: the same gate gradients (summed and per example) bit for bit
 * as the full backward, no other gradient touched; BERT-style and pre-LN. */
static void test_gates_only(void)
{
    const hs_config cfgs[2] = {
        {.vocab = 50, .seq_len = 9, .d_model = 16, .heads = 4, .layers = 3, .d_ff = 24, .n_out = 3, .post_ln = 1,
         .act = HS_ACT_GELU_ERF, .ln_eps = 1e-12, .type_vocab = 2, .pooler = HS_POOL_TANH},
        {.vocab = 50, .seq_len = 9, .d_model = 16, .heads = 4, .layers = 3, .d_ff = 24, .n_out = 3},
    };
    for (int k = 0; k < 2; k++) {
        hs_model *m;
        if (hs_model_create(&m, &cfgs[k]) || hs_model_setup_batch(m, 3, 9)) {
            tap_ok(0, "model for the gates-only test: %s", hs_error_message());
            return;
        }
        hs_model_init_weights(m, 7);
        int tok[27], len[3] = {9, 5, 7}, tgt[3] = {0, 2, 1};
        for (int i = 0; i < 27; i++) tok[i] = (i * 7 + 3) % 50;
        const hs_batch b = {3, 9, tok, len, tgt, NULL, NULL};
        const size_t ng = m->info[HS_P_GATES].count, ne = (size_t)3 * ng;
        float gates[64], gate_ex[192];
        m->want_gate_ex = 1;
        hs_model_zero_grad(m);
        int ok = hs_model_forward(m, &b) == HS_OK;
        hs_model_backward(m, &b);
        memcpy(gates, m->g.gates, sizeof(float) * ng);
        memcpy(gate_ex, m->a.gate_ex, sizeof(float) * ne);
        for (size_t i = 0; i < m->num_params; i++) m->grads[i] = 7;
        memset(m->g.gates, 0, sizeof(float) * ng);
        m->gates_only = 1;
        ok = ok && hs_model_forward(m, &b) == HS_OK;
        hs_model_backward(m, &b);
        int untouched = 1;
        for (size_t i = 0; i < m->num_params; i++)
            if ((i < m->info[HS_P_GATES].offset || i >= m->info[HS_P_GATES].offset + ng) && m->grads[i] != 7)
                untouched = 0;
        tap_ok(ok && !memcmp(gates, m->g.gates, sizeof(float) * ng) &&
                   !memcmp(gate_ex, m->a.gate_ex, sizeof(float) * ne),
               "%s: gates-only backward gives the full backward's gate gradients bit for bit",
               k ? "pre-LN" : "BERT-style");
        tap_ok(untouched, "%s: gates-only backward touches no weight gradient", k ? "pre-LN" : "BERT-style");
        hs_model_destroy(&m);
    }
}

/* AdamW: moments appear only with the first update of a trained tensor;
 * the vectorised update equals the scalar formula bit for bit. */
static void test_adamw(void)
{
    const hs_config cfg = {.vocab = 20, .seq_len = 4, .d_model = 8, .heads = 2, .layers = 1, .d_ff = 8, .n_out = 2};
    hs_model *m;
    hs_adamw *o;
    const hs_adamw_config oc = hs_adamw_defaults(10);
    if (hs_model_create(&m, &cfg) || hs_adamw_create(&o, m, &oc)) {
        tap_ok(0, "model for the AdamW test: %s", hs_error_message());
        return;
    }
    hs_model_init_weights(m, 3);
    hs_rng r;
    hs_rng_seed(&r, 9);
    for (size_t i = 0; i < m->num_params; i++) m->grads[i] = (float)(1e-3 * hs_rng_normal(&r));
    int keep[HS_NUM_PARAMS];
    for (int i = 0; i < HS_NUM_PARAMS; i++) keep[i] = m->info[i].trained, m->info[i].trained = 0;
    const double n0 = hs_adamw_step(o, m);
    tap_ok(n0 == 0 && o->m == NULL && o->v == NULL,
           "AdamW: a step with no trained tensor allocates no moments (scoring keeps no optimizer state)");
    for (int i = 0; i < HS_NUM_PARAMS; i++) m->info[i].trained = keep[i];
    float *ref = malloc(sizeof(float) * m->num_params);
    memcpy(ref, m->params, sizeof(float) * m->num_params);
    const double norm = hs_adamw_step(o, m); /* the second step: t = 1 */
    const float lr = (float)hs_adamw_lr(&oc, 1), b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float bc1 = (float)(1 - pow(0.9, 2)), bc2 = (float)(1 - pow(0.999, 2));
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (!ti->trained) continue;
        for (size_t k = ti->offset; k < ti->offset + ti->count; k++) {
            const float g = m->grads[k], mm = (1 - b1) * g, vv = (1 - b2) * g * g;
            const float wd = ti->decay ? 0.01f : 0;
            ref[k] -= lr * ((mm / bc1) / (sqrtf(vv / bc2) + eps) + wd * ref[k]);
        }
    }
    tap_ok(o->m && norm > 0 && norm < 1 && !memcmp(ref, m->params, sizeof(float) * m->num_params),
           "AdamW: moments allocated by the first real update, which equals the scalar formula bit for bit");
    free(ref);
    hs_adamw_destroy(&o);
    hs_model_destroy(&m);
}

/* hs_adam_update without decay (the mae gate networks' step), several steps
 * with a clip factor: equals the formula without the decay term bit for bit,
 * m and v included. */
static void test_adam_no_decay(void)
{
    enum { N = 1000, STEPS = 5 };
    static float p[N], g[N], m[N], v[N], rp[N], rm[N], rv[N];
    hs_rng r;
    hs_rng_seed(&r, 17);
    for (int i = 0; i < N; i++) rp[i] = p[i] = (float)hs_rng_normal(&r);
    for (long t = 1; t <= STEPS; t++) {
        for (int i = 0; i < N; i++) g[i] = (float)(0.1 * hs_rng_normal(&r));
        const double lr = 1e-3, gs = 0.37;
        const hs_adam_coef k = hs_adam_coef_at(lr, 0.9, 0.999, 1e-8, 0, t, gs);
        hs_adam_update(p, g, m, v, N, &k);
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        const float bc1 = (float)(1 - pow(0.9, (double)t)), bc2 = (float)(1 - pow(0.999, (double)t));
        for (int i = 0; i < N; i++) {
            const float gk = g[i] * (float)gs;
            rm[i] = b1 * rm[i] + (1 - b1) * gk;
            rv[i] = b2 * rv[i] + (1 - b2) * gk * gk;
            rp[i] -= (float)lr * ((rm[i] / bc1) / (sqrtf(rv[i] / bc2) + eps));
        }
    }
    tap_ok(!memcmp(p, rp, sizeof p) && !memcmp(m, rm, sizeof m) && !memcmp(v, rv, sizeof v) && memcmp(p, g, sizeof p),
           "Adam without decay (%d steps, clip factor): the formula without the decay term bit for bit", STEPS);
}

int main(void)
{
    test_matmul();
    test_rng();
    test_schedule();
    test_alloc();
    test_gelu_erf();
    test_gates_only();
    test_adamw();
    test_adam_no_decay();
    return tap_done();
}
