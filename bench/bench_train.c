/* bench_train.c — training-step and importance-pass throughput of the core.
 *
 * Configurations: S = d 64, H 4, L 2, T 32, B 64 and M = d 128, H 8, L 4,
 * T 64, B 32 (headsweep's own pre-LN model, GELU tanh, vocab 256, 2 classes);
 * B = BERT-base fine-tuning: d 768, H 12, L 12, d_ff 3072, T 128, batch 8,
 * post-LN, GELU erf, LayerNorm eps 1e-12, vocab 30522, 512 positions, 2 token
 * types, tanh pooler and a 2-class classifier (BertForSequenceClassification
 * without dropout: the core has none). All rows are full length.
 *
 * step: zero_grad, forward, backward, AdamW with global-norm clipping (what
 *       hs_train_step does).
 * imp:  the importance pass of Michel et al.: zero the gate gradients,
 *       forward, backward to the head gates only (m->gates_only: data
 *       gradients and ∂L/∂g, no weight gradients, no optimizer), per-example
 *       gate gradients kept (want_gate_ex) as hs_gate_importance asks.
 *
 * FLOPs (multiply-add = 2) are those of the matrix products only,
 * F = hs_model_forward_flops: per layer 8·BT·d² (q, k, v, o) + 4·B·T²·d
 * (scores, contexts) + 4·BT·d·d_ff (FFN), plus pooler 2·B·d² and head
 * 2·B·d·C. A step counts 3F (backward = data and weight gradients, 2F), the
 * importance pass 2F (forward + data gradients). Element-wise work
 * (softmax, LayerNorm, GELU, AdamW, embeddings) is not counted, so the
 * fraction of the sgemm ceiling is what that overhead costs. The ceiling is
 * cblas_sgemm at 1024³ with the same thread count, best of a ~2 s run, in
 * the same process.
 *
 * Memory: bytes the model accounts (parameters, gradients, activation
 * arena), the optimizer (AdamW moments; none for imp) and getrusage's peak
 * resident set of the process.
 *
 * usage: bench_train [S|M|B|all] [seconds per config (default 5)] [step|imp|both] [threads]
 *   threads: OpenBLAS threads (default 1, or OPENBLAS_NUM_THREADS).
 * output (one line each, machine-readable):
 *   c config=S mode=step threads=1 tokens_per_s=… step_ms=… cpu_ms=… gflops=… sgemm_gflops=… fraction=…
 *     model_mb=… arena_mb=… optim_mb=… maxrss_mb=… */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cblas.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"

#include "bench_util.h"

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

static double maxrss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

typedef struct {
    const char *name;
    hs_config cfg;
    int B, T;
} bench_config;

static const bench_config configs[] = {
    {"S", {.vocab = 256, .seq_len = 32, .d_model = 64, .heads = 4, .layers = 2, .d_ff = 256, .n_out = 2}, 64, 32},
    {"M", {.vocab = 256, .seq_len = 64, .d_model = 128, .heads = 8, .layers = 4, .d_ff = 512, .n_out = 2}, 32, 64},
    {"B",
     {.vocab = 30522, .seq_len = 512, .d_model = 768, .heads = 12, .layers = 12, .d_ff = 3072, .n_out = 2,
      .post_ln = 1, .act = HS_ACT_GELU_ERF, .ln_eps = 1e-12, .type_vocab = 2, .pooler = HS_POOL_TANH},
     8, 128},
};

static void bench(const bench_config *bc, int imp, int threads, double secs, double ceiling)
{
    const hs_config *cfg = &bc->cfg;
    const int B = bc->B, T = bc->T;
    hs_model *m;
    hs_adamw *o = NULL;
    if (hs_model_create(&m, cfg) || hs_model_setup_batch(m, B, T)) {
        fprintf(stderr, "bench: %s\n", hs_error_message());
        exit(1);
    }
    hs_model_init_weights(m, 1);
    hs_adamw_config oc = hs_adamw_defaults(1000000);
    oc.lr = 2e-5;
    if (!imp && hs_adamw_create(&o, m, &oc)) exit(1);
    int *tok = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B), *types = malloc(sizeof(int) * B * T);
    hs_rng r;
    hs_rng_seed(&r, 5);
    for (int i = 0; i < B * T; i++) tok[i] = (int)hs_rng_below(&r, (uint64_t)cfg->vocab);
    for (int i = 0; i < B; i++) tgt[i] = (int)hs_rng_below(&r, 2);
    for (int i = 0; i < B * T; i++) types[i] = cfg->type_vocab ? (i % T >= T / 2) : 0; /* a sentence pair */
    hs_batch b = {B, T, tok, NULL, tgt, NULL, cfg->type_vocab ? types : NULL};
    double loss;
    const size_t n_gates = m->info[HS_P_GATES].count;
    if (imp) {
        m->want_gate_ex = 1;
        m->gates_only = 1;
    }
#define ONE_PASS()                                                                        \
    do {                                                                                  \
        if (imp) {                                                                        \
            memset(m->g.gates, 0, sizeof(hs_real) * n_gates);                             \
            if (hs_model_forward(m, &b)) exit(1);                                         \
            hs_model_backward(m, &b);                                                     \
        } else if (hs_train_step(m, o, &b, &loss)) {                                      \
            fprintf(stderr, "bench: %s\n", hs_error_message());                           \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)
    const double f1 = hs_model_forward_flops(cfg, B, T);
    /* warm-up, and blocks of about 1 s: the median block resists machine noise */
    double t0 = now();
    ONE_PASS();
    const double first = now() - t0;
    ONE_PASS();
    const int steps = first > 0.5 ? 1 : (int)(0.5 / first) + 1;
    double times[64], cpus[64];
    int nb = 0;
    double t_end = now() + secs;
    while ((now() < t_end || nb < 3) && nb < 64) {
        t0 = now();
        const double c0 = cpu_now();
        for (int i = 0; i < steps; i++) ONE_PASS();
        cpus[nb] = (cpu_now() - c0) / steps;
        times[nb++] = (now() - t0) / steps;
    }
#undef ONE_PASS
    qsort(times, nb, sizeof times[0], cmp_double);
    qsort(cpus, nb, sizeof cpus[0], cmp_double);
    const double step = times[nb / 2], cpu = cpus[nb / 2];
    const double gflops = (imp ? 2 : 3) * f1 / step / 1e9;
    const double MB = 1e6;
    printf("c config=%s mode=%s threads=%d tokens_per_s=%.1f step_ms=%.3f cpu_ms=%.3f gflops=%.2f sgemm_gflops=%.2f "
           "fraction=%.3f model_mb=%.1f arena_mb=%.1f optim_mb=%.1f maxrss_mb=%.1f\n",
           bc->name, imp ? "imp" : "step", threads, B * T / step, step * 1e3, cpu * 1e3, gflops, ceiling, gflops / ceiling,
           2.0 * m->num_params * sizeof(hs_real) / MB, m->arena_len * sizeof(hs_real) / MB,
           o ? 2.0 * o->n * sizeof(hs_real) / MB : 0.0, maxrss_mb());
    fflush(stdout);
    free(tok);
    free(tgt);
    free(types);
    hs_adamw_destroy(&o);
    hs_model_destroy(&m);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    const double secs = argc > 2 ? atof(argv[2]) : 5;
    const char *mode = argc > 3 ? argv[3] : "step";
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    if (threads <= 0) threads = getenv("OPENBLAS_NUM_THREADS") ? atoi(getenv("OPENBLAS_NUM_THREADS")) : 1;
    if (threads <= 0) threads = 1;
    openblas_set_num_threads(threads);
    const double ceiling = sgemm_gflops(2);
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        if (strcmp(which, "all") && strcmp(which, configs[i].name)) continue;
        if (strcmp(mode, "imp")) bench(&configs[i], 0, threads, secs, ceiling);
        if (strcmp(mode, "step")) bench(&configs[i], 1, threads, secs, ceiling);
    }
    return 0;
}
