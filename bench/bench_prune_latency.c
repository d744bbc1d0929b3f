/* bench_prune_latency.c — does physically removing heads buy what the FLOPs
 * promise? At the M configuration (d 128, H 8, L 4, T 64, B 32, d_ff 512,
 * 2 classes), for 0–90 % of the 32 heads removed (a seeded random mask per
 * ratio, spread over the layers), the forward latency of the shrunk model
 * over the full one (median of alternating pairs, single-threaded) against
 * the analytic FLOPs ratio. Target (issue "Pruning methods I"): latency
 * tracks FLOPs within 15 %.
 *
 * usage: bench_prune_latency [pairs per ratio (default 15)]
 * output: one line per ratio: ratio heads_kept flops_ratio latency_ratio rel_gap */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "../src/core/model.h"
#include "../src/core/rng.h"
#include "../src/prune/method.h"
#include "../src/prune/shrink.h"

#include "bench_util.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const int pairs = argc > 1 ? atoi(argv[1]) : 15;
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    const int B = 32, T = 64;
    hs_config cfg = {.vocab = 256, .seq_len = T, .d_model = 128, .heads = 8, .layers = 4, .d_ff = 512,
                     .n_out = 2};
    hs_model *m;
    if (hs_model_create(&m, &cfg) || hs_model_setup_batch(m, B, T)) return 1;
    hs_model_init_weights(m, 1);
    int tok[32 * 64];
    hs_rng r;
    hs_rng_seed(&r, 2);
    for (int i = 0; i < B * T; i++) tok[i] = (int)hs_rng_below(&r, 256);
    const hs_batch b = {B, T, tok, NULL, NULL, NULL, NULL};
    const int N = cfg.layers * cfg.heads;
    printf("ratio heads_kept flops_ratio latency_ratio rel_gap\n");
    double worst = 0;
    for (int step = 0; step <= 9; step++) {
        const double ratio = step / 10.0;
        float score[64];
        for (int i = 0; i < N; i++) score[i] = (float)hs_rng_uniform(&r);
        unsigned char mask[64];
        if (hs_mask_from_scores(mask, score, N, (int)lround(ratio * N))) return 1;
        hs_shrunk sh;
        if (hs_shrunk_build(&sh, m, mask)) return 1;
        int per_layer[8], full[8];
        for (int l = 0; l < cfg.layers; l++) {
            per_layer[l] = sh.attn[l].heads;
            full[l] = cfg.heads;
        }
        const double fr = hs_flops_pruned(m, B, T, per_layer) / hs_flops_pruned(m, B, T, full);
        double rr[64];
        hs_model_forward_with(m, &b, sh.attn); /* warm-up both */
        hs_model_forward(m, &b);
        for (int i = 0; i < pairs && i < 64; i++) {
            double t0 = now();
            hs_model_forward(m, &b);
            double t1 = now();
            hs_model_forward_with(m, &b, sh.attn);
            double t2 = now();
            rr[i] = (t2 - t1) / (t1 - t0);
        }
        qsort(rr, (size_t)pairs, sizeof rr[0], cmp);
        const double lr = rr[pairs / 2], gap = lr / fr - 1;
        if (fabs(gap) > worst) worst = fabs(gap);
        printf("%.1f %ld %.3f %.3f %+.3f\n", ratio, sh.heads_kept, fr, lr, gap);
        fflush(stdout);
        hs_shrunk_free(&sh);
    }
    printf("worst |latency/flops - 1| = %.3f (target <= 0.15)\n", worst);
    hs_model_destroy(&m);
    return 0;
}
