/* test_train.c — the model learns through the task interface: majority
 * (classification, padded rows) and copy (causal LM, exact match) reach high
 * test metrics in a few seconds, and the same seed gives bit-identical
 * parameters twice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "../src/prune/eval.h"
#include "../src/tasks/task.h"
#include "small_models.h"
#include "tap.h"

typedef struct {
    const char *generator;
    int T, symbols, d, H, L, B;
    long steps;
    double lr;
} run_spec;

/* Trains per spec with seed; returns the test metric; *out keeps the model. */
static double train(const run_spec *sp, long seed, hs_model **out)
{
    hs_task *t = fx_task(sp->generator, (uint64_t)seed, sp->T, sp->symbols, 8000, 256, 512);
    hs_model *m = fx_model(t, sp->d, sp->H, sp->L, 4 * sp->d, sp->B, hs_key_str(hs_key_u64(0, (uint64_t)seed), "init"));
    fx_train(m, t, sp->steps, sp->lr, sp->steps / 10, sp->B);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, sp->B) == HS_OK);
    hs_eval_result ev;
    HS_ASSERT(hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev) == HS_OK);
    hs_batch_buf_free(&bb);
    hs_task_destroy(&t);
    *out = m;
    return ev.metric;
}

int main(void)
{
    const run_spec maj = {"majority", 12, 4, 32, 4, 2, 32, 400, 3e-3};
    double t0 = seconds();
    hs_model *a, *b, *c;
    double acc = train(&maj, 1, &a);
    tap_ok(acc >= 0.9, "majority: test accuracy %.3f >= 0.9 after %ld steps (%.1f s)", acc, maj.steps,
           seconds() - t0);
    double acc2 = train(&maj, 1, &b);
    tap_ok(acc2 == acc && memcmp(a->params, b->params, sizeof(float) * a->num_params) == 0,
           "majority: the same seed gives bit-identical parameters (%zu floats)", a->num_params);
    train(&maj, 2, &c);
    tap_ok(memcmp(a->params, c->params, sizeof(float) * a->num_params) != 0,
           "majority: another seed gives other parameters");
    hs_model_destroy(&a);
    hs_model_destroy(&b);
    hs_model_destroy(&c);

    const run_spec copy = {"copy", 10, 6, 32, 4, 2, 32, 600, 3e-3};
    t0 = seconds();
    acc = train(&copy, 1, &a);
    tap_ok(acc >= 0.9, "copy: test exact match %.3f >= 0.9 after %ld steps (%.1f s)", acc, copy.steps,
           seconds() - t0);
    hs_model_destroy(&a);
    return tap_done();
}
