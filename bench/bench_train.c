/* bench_train.c — training-step throughput of the core, single-threaded.
 *
 * Configurations (issue 2): S = d 64, H 4, L 2, T 32, B 64 and
 * M = d 128, H 8, L 4, T 64, B 32; d_ff = 4d, vocab 256, 2 classes, full
 * length rows. A step is forward + backward + AdamW (with clipping). FLOPs
 * are counted as 3 × forward FLOPs (hs_model_forward_flops: projections,
 * attention scores and contexts, FFN, output head; multiply-add = 2). In the
 * same run, single-core cblas_sgemm at 1024³ gives the ceiling.
 *
 * usage: bench_train [S|M|all] [seconds per config (default 5)]
 * output (one line each, machine-readable):
 *   c config=S tokens_per_s=… step_ms=… gflops=… sgemm_gflops=… fraction=… */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double sgemm_gflops(double secs)
{
    const int n = 1024;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double best = 1e30, t_end = now() + secs;
    int reps = 0;
    while (now() < t_end || reps < 3) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double t = now() - t0;
        if (t < best) best = t;
        reps++;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / best / 1e9;
}

static void bench(const char *name, int d, int H, int L, int T, int B, double secs, double ceiling)
{
    hs_config cfg = {.vocab = 256, .seq_len = T, .d_model = d, .heads = H, .layers = L,
                     .d_ff = 4 * d, .n_out = 2, .lm = 0, .causal = 0};
    hs_model *m;
    hs_adamw *o;
    if (hs_model_create(&m, &cfg) || hs_model_setup_batch(m, B, T)) {
        fprintf(stderr, "bench: %s\n", hs_error_message());
        exit(1);
    }
    hs_model_init_weights(m, 1);
    hs_adamw_config oc = hs_adamw_defaults(1000000);
    if (hs_adamw_create(&o, m, &oc)) exit(1);
    int *tok = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B);
    hs_rng r;
    hs_rng_seed(&r, 5);
    for (int i = 0; i < B * T; i++) tok[i] = (int)hs_rng_below(&r, 256);
    for (int i = 0; i < B; i++) tgt[i] = (int)hs_rng_below(&r, 2);
    hs_batch b = {B, T, tok, NULL, tgt, NULL};
    double loss;
    for (int i = 0; i < 3; i++) hs_train_step(m, o, &b, &loss); /* warm-up */
    /* blocks of steps; the median block time per step resists machine noise */
    double times[64];
    int nb = 0;
    double t_end = now() + secs;
    while ((now() < t_end || nb < 5) && nb < 64) {
        const int steps = 5;
        double t0 = now();
        for (int i = 0; i < steps; i++) hs_train_step(m, o, &b, &loss);
        times[nb++] = (now() - t0) / steps;
    }
    qsort(times, nb, sizeof times[0], cmp_double);
    const double step = times[nb / 2];
    const double gflops = 3 * hs_model_forward_flops(&cfg, B, T) / step / 1e9;
    printf("c config=%s tokens_per_s=%.1f step_ms=%.3f gflops=%.2f sgemm_gflops=%.2f fraction=%.3f\n",
           name, B * T / step, step * 1e3, gflops, ceiling, gflops / ceiling);
    fflush(stdout);
    free(tok);
    free(tgt);
    hs_adamw_destroy(&o);
    hs_model_destroy(&m);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    double secs = argc > 2 ? atof(argv[2]) : 5;
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    double ceiling = sgemm_gflops(2);
    if (!strcmp(which, "S") || !strcmp(which, "all")) bench("S", 64, 4, 2, 32, 64, secs, ceiling);
    if (!strcmp(which, "M") || !strcmp(which, "all")) bench("M", 128, 8, 4, 64, 32, secs, ceiling);
    return 0;
}
