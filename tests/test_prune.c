/* test_prune.c — the pruning framework and the score-based methods:
 * exact counts, determinism, ratio 0 identity, masked == physically pruned
 * (including a layer with every head removed), per-example gate gradients,
 * and Michel importance finding the one head that carries a task where a
 * random choice does not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "../src/prune/point.h"
#include "../src/prune/shrink.h"
#include "small_models.h"
#include "tap.h"

/* A small majority model; carrier >= 0: only that head (layer 0) is on
 * during training, so it alone carries the task. */
static hs_model *trained(hs_task **tp, int L, int H, int carrier, long steps)
{
    *tp = fx_task("majority", 5, 10, 3, 4000, 256, 512);
    hs_model *m = fx_model(*tp, 16, H, L, 32, 32, 11);
    if (carrier >= 0)
        for (int i = 0; i < L * H; i++) m->p.gates[i] = i == carrier;
    fx_train(m, *tp, steps, 3e-3, steps / 10, 32);
    for (int i = 0; i < L * H; i++) m->p.gates[i] = 1;
    return m;
}

static hs_status point(const hs_model *m, const hs_task *t, const char *method, double ratio,
                       uint64_t key, hs_point_result *r, unsigned char *mask, float *imp)
{
    const hs_point_opts o = {.finetune_steps = 0, .finetune_lr = 1e-3, .batch = 64, .latency_repeats = 0};
    return fx_point(m, t, method, ratio, key, &o, r, mask, imp);
}

static void test_counts_and_identity(void)
{
    hs_task *t;
    hs_model *m = trained(&t, 2, 4, -1, 150);
    const int N = 8;
    const char *methods[] = {"random", "magnitude", "michel"};
    for (int mi = 0; mi < 3; mi++) {
        int counts_ok = 1, det_ok = 1;
        for (int k = 0; k <= N; k++) {
            const double ratio = (double)k / N - 1e-9 * (k == N);
            unsigned char mask[8], mask2[8];
            float imp[8], imp2[8];
            hs_point_result r, r2;
            if (k == N) continue; /* ratios live in [0, 1) */
            HS_ASSERT(point(m, t, methods[mi], ratio, 77, &r, mask, imp) == HS_OK);
            HS_ASSERT(point(m, t, methods[mi], ratio, 77, &r2, mask2, imp2) == HS_OK);
            int kept = 0;
            for (int i = 0; i < N; i++) kept += mask[i];
            counts_ok &= kept == N - k && r.heads_kept == N - k;
            det_ok &= !memcmp(mask, mask2, N) && !memcmp(imp, imp2, sizeof imp) &&
                      r.metric_pruned == r2.metric_pruned;
            if (k == 0)
                tap_ok(r.metric_pruned == r.metric_base && r.flops_ratio == 1 && r.params_kept == r.params_total,
                       "%s: ratio 0 is the unpruned model (metric %.4f == %.4f)", methods[mi],
                       r.metric_pruned, r.metric_base);
            counts_ok &= r.shrink_max_diff <= 1e-5;
        }
        tap_ok(counts_ok, "%s: exactly round(r·N) heads removed for k = 0..%d, shrunk == masked", methods[mi], N - 1);
        tap_ok(det_ok, "%s: the same key gives the same mask, scores and metric", methods[mi]);
    }
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

static void test_shrink_equals_mask(void)
{
    hs_task *t;
    hs_model *m = trained(&t, 3, 4, -1, 50);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, 32) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    /* layer 1 loses every head; the others keep some, with non-unit gates */
    const unsigned char mask[12] = {1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1};
    for (int i = 0; i < 12; i++) m->p.gates[i] = mask[i] ? (hs_real)(0.5 + 0.1 * i) : 0;
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    const size_t n = (size_t)bb.batch.B * m->cfg.n_out;
    float *masked = malloc(n * sizeof(float));
    memcpy(masked, m->a.logits, n * sizeof(float));
    hs_shrunk sh;
    HS_ASSERT(hs_shrunk_build(&sh, m, mask) == HS_OK);
    HS_ASSERT(hs_model_forward_with(m, &bb.batch, sh.attn) == HS_OK);
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)masked[i] - m->a.logits[i]));
    tap_ok(e <= 1e-5 && sh.heads_kept == 5 && sh.attn[1].heads == 0,
           "physically pruned heads (one layer emptied) give the masked outputs (max diff %.2e)", e);
    /* the emptied layer adds bo: dropping bo as well must change the output */
    hs_real keep = sh.attn[1].w.bo[0];
    sh.attn[1].w.bo[0] += 1;
    HS_ASSERT(hs_model_forward_with(m, &bb.batch, sh.attn) == HS_OK);
    double e2 = 0;
    for (size_t i = 0; i < n; i++) e2 = fmax(e2, fabs((double)masked[i] - m->a.logits[i]));
    tap_ok(e2 > 1e-3, "an emptied layer still adds its output bias (changing bo moves outputs by %.2e)", e2);
    sh.attn[1].w.bo[0] = keep;
    hs_shrunk_free(&sh);
    free(masked);

    /* per-example gate gradients sum to the batch gradient */
    for (int i = 0; i < 12; i++) m->p.gates[i] = 1;
    m->want_gate_ex = 1;
    hs_model_zero_grad(m);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    hs_model_backward(m, &bb.batch);
    double worst = 0;
    for (int l = 0; l < 3; l++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int b = 0; b < bb.batch.B; b++) s += m->a.gate_ex[((size_t)l * bb.batch.B + b) * 4 + j];
            worst = fmax(worst, fabs(s - m->g.gates[l * 4 + j]) / fmax(1e-6, fabs(m->g.gates[l * 4 + j])));
        }
    tap_ok(worst < 1e-4, "per-example gate gradients sum to the batch gate gradient (rel err %.1e)", worst);
    m->want_gate_ex = 0;
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

static void test_michel_finds_carrier(void)
{
    hs_task *t;
    const int L = 1, H = 4, carrier = 2;
    hs_model *m = trained(&t, L, H, carrier, 400);
    unsigned char mask[4];
    float imp[4];
    hs_point_result r;
    HS_ASSERT(point(m, t, "michel", 0.75, 1, &r, mask, imp) == HS_OK);
    tap_ok(mask[carrier] && r.heads_kept == 1,
           "michel keeps the one head that carries the task (importance %.3g vs %.3g %.3g %.3g)", imp[2],
           imp[0], imp[1], imp[3]);
    const double acc_michel = r.metric_pruned;
    double acc_random = 0;
    const int seeds = 8;
    for (int s = 0; s < seeds; s++) {
        HS_ASSERT(point(m, t, "random", 0.75, 100 + s, &r, mask, imp) == HS_OK);
        acc_random += r.metric_pruned / seeds;
    }
    tap_ok(acc_michel > acc_random + 0.1,
           "michel beats random with 3 of 4 heads removed: accuracy %.3f vs %.3f (mean of %d seeds; base %.3f)",
           acc_michel, acc_random, seeds, r.metric_base);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

int main(void)
{
    test_counts_and_identity();
    test_shrink_equals_mask();
    test_michel_finds_carrier();
    return tap_done();
}
