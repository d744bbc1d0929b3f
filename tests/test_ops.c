/* test_ops.c — the optimised paths against their naive references (docs/design.md, "Code conventions")
 * and the small building blocks: sgemm matmul forward/backward vs triple
 * loops on odd shapes, the RNG's determinism and moments, the LR schedule
 * and allocation failure handling. */
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

int main(void)
{
    test_matmul();
    test_rng();
    test_schedule();
    test_alloc();
    return tap_done();
}
