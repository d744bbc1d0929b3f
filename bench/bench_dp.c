/* bench_dp.c — one base job's training step on a group of ranks
 * (data-parallel micro-batches, src/core/microbatch.h), at BERT-mini shape
 * by default: d 256, H 4, L 4, d_ff 1024, T 128, vocab 30522, post-LN, GELU
 * erf, 2 token types, tanh pooler, 2 classes (11.2M parameters).
 *
 *   mpirun -np R bench_dp [steps (default 6)] [batch (32)] [micro-batches (8)] [d_model (256)] [layers (4)]
 *
 * Every rank of MPI_COMM_WORLD is one member of the group and runs the
 * same steps through the transport `headsweep run` uses (polled
 * point-to-point calls, hs_run_group_transport). Rank 0 prints, one line
 * each (machine-readable):
 *   dp ranks=R batch=B micro=M params=N step_ms=… comm_ms=… compute_ms=… checksum=…
 *     step_ms: median over the timed steps (min_ms: the fastest, the least
 *     disturbed by other users of the cores); comm_ms: time in the tree's sends,
 *     receives and the broadcast per step (waiting for a slower peer included);
 *     checksum: FNV-1a of the parameters after the steps (the same for every R)
 *   base ranks=1 batch=B step_ms=…   (R = 1 only) today's step, hs_train_step, unbatched
 *   parts params=N adamw_ms=… add_ms=…  (R = 1 only) one AdamW update (every member takes it)
 *     and one gradient-sized addition (a tree node): the model of docs/cluster.md
 *   bw ranks=2 mbytes=… ms=… gbytes_per_s=…  (R ≥ 2) one gradient-sized message, rank 1 → 0,
 *     median of 5 (the bandwidth of the model in docs/cluster.md)
 * The speed-up is step_ms at R = 1 over step_ms at R; run each R when the
 * machine is quiet and repeat (bench/compare.sh does not run it). */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "../src/core/microbatch.h"
#include "../src/core/rng.h"
#include "../src/sweep/runner.h"

#include "bench_util.h"

/* Batch `step`: the same on every rank (a function of the index). */
static void fill(int *tok, int *tgt, int *types, int B, int T, int V, long step)
{
    hs_rng r;
    hs_rng_seed(&r, hs_key_u64(5, (uint64_t)step));
    for (int i = 0; i < B * T; i++) tok[i] = (int)hs_rng_below(&r, (uint64_t)V);
    for (int i = 0; i < B; i++) tgt[i] = (int)hs_rng_below(&r, 2);
    for (int i = 0; i < B * T; i++) types[i] = i % T >= T / 2;
}

static hs_model *make(const hs_config *cfg, int B, int T)
{
    hs_model *m;
    if (hs_model_create(&m, cfg) || hs_model_setup_batch(m, B, T)) {
        fprintf(stderr, "bench_dp: %s\n", hs_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    hs_model_init_weights(m, 1);
    return m;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    openblas_set_num_threads(1);
    int rank, R;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &R);
    const int steps = argc > 1 ? atoi(argv[1]) : 6;
    const int B = argc > 2 ? atoi(argv[2]) : 32;
    const int M = argc > 3 ? atoi(argv[3]) : 8;
    const int d = argc > 4 ? atoi(argv[4]) : 256;
    const int L = argc > 5 ? atoi(argv[5]) : 4;
    const int T = 128;
    const hs_config cfg = {.vocab = 30522, .seq_len = 512, .d_model = d, .heads = d / 64, .layers = L,
                           .d_ff = 4 * d, .n_out = 2, .post_ln = 1, .act = HS_ACT_GELU_ERF, .ln_eps = 1e-12,
                           .type_vocab = 2, .pooler = HS_POOL_TANH};
    int *tok = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B), *types = malloc(sizeof(int) * B * T);
    const hs_batch b = {B, T, tok, NULL, tgt, NULL, types};
    hs_adamw_config oc = hs_adamw_defaults(1000000);
    oc.lr = 2e-5;
    double loss;

    hs_model *m = make(&cfg, B, T);
    hs_adamw *o;
    MPI_Comm comm = MPI_COMM_WORLD;
    hs_mb_group g = {.rank = rank, .size = R};
    hs_run_group_transport(&g, &comm);
    hs_mb mb;
    if (hs_adamw_create(&o, m, &oc) || hs_mb_create(&mb, m, M, &g)) {
        fprintf(stderr, "bench_dp: %s\n", hs_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double *times = calloc((size_t)steps + 1, sizeof *times);
    double comm_total = 0;
    for (int s = 0; s <= steps; s++) { /* step 0: warm-up (page faults, the moments) */
        fill(tok, tgt, types, B, T, cfg.vocab, s);
        MPI_Barrier(MPI_COMM_WORLD);
        const double c0 = mb.comm_seconds, t0 = now();
        if (hs_mb_train_step(&mb, m, o, &b, &loss)) {
            fprintf(stderr, "bench_dp: %s\n", hs_error_message());
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (s > 0) {
            times[s - 1] = now() - t0;
            comm_total += mb.comm_seconds - c0;
        }
    }
    qsort(times, (size_t)steps, sizeof *times, cmp_double);
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)m->params;
    for (size_t i = 0; i < m->num_params * sizeof(hs_real); i++) h = (h ^ p[i]) * 1099511628211ull;
    if (rank == 0)
        printf("dp ranks=%d batch=%d micro=%d d=%d layers=%d params=%zu step_ms=%.1f min_ms=%.1f comm_ms=%.1f "
               "compute_ms=%.1f checksum=%016llx\n",
               R, B, M, d, L, m->num_params, times[steps / 2] * 1e3, times[0] * 1e3, comm_total / steps * 1e3,
               (times[steps / 2] - comm_total / steps) * 1e3, (unsigned long long)h);
    fflush(stdout);

    if (R == 1) { /* today's step, unbatched */
        hs_model *u = make(&cfg, B, T);
        hs_adamw *uo;
        hs_adamw_create(&uo, u, &oc);
        for (int s = 0; s <= steps; s++) {
            fill(tok, tgt, types, B, T, cfg.vocab, s);
            const double t0 = now();
            if (hs_train_step(u, uo, &b, &loss)) MPI_Abort(MPI_COMM_WORLD, 1);
            if (s > 0) times[s - 1] = now() - t0;
        }
        qsort(times, (size_t)steps, sizeof *times, cmp_double);
        printf("base ranks=1 batch=%d step_ms=%.1f min_ms=%.1f\n", B, times[steps / 2] * 1e3, times[0] * 1e3);
        /* the parts of a step that do not shrink with the group: the AdamW
         * update every member takes, and one tree node's addition */
        double ot[5], at[5];
        for (int i = 0; i < 5; i++) {
            double t0 = now();
            hs_adamw_step(uo, u);
            ot[i] = now() - t0;
            t0 = now();
            for (size_t j = 0; j < u->num_params; j++) u->grads[j] += u->params[j];
            at[i] = now() - t0;
        }
        qsort(ot, 5, sizeof *ot, cmp_double);
        qsort(at, 5, sizeof *at, cmp_double);
        printf("parts params=%zu adamw_ms=%.1f add_ms=%.1f\n", u->num_params, ot[2] * 1e3, at[2] * 1e3);
        hs_adamw_destroy(&uo);
        hs_model_destroy(&u);
    } else { /* bandwidth: one gradient-sized message */
        double bw[5];
        for (int i = 0; i < 5; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            const double t0 = now();
            if (rank == 1) g.send(g.ctx, 0, mb.slot[0], mb.n);
            if (rank == 0) g.recv(g.ctx, 1, mb.slot[0], mb.n);
            bw[i] = now() - t0;
        }
        qsort(bw, 5, sizeof *bw, cmp_double);
        if (rank == 0)
            printf("bw ranks=2 mbytes=%.1f ms=%.2f gbytes_per_s=%.2f\n", mb.n * 4 / 1e6, bw[2] * 1e3,
                   mb.n * 4 / 1e9 / bw[2]);
    }
    free(times);
    hs_mb_free(&mb);
    hs_adamw_destroy(&o);
    hs_model_destroy(&m);
    free(tok);
    free(tgt);
    free(types);
    MPI_Finalize();
    return 0;
}
