/* small_models.h — the synthetic tasks and small models that several C tests
 * build (one copy each): a task, a model of a given shape on it, a short
 * AdamW training, one pruning point, a monotonic clock. Header-only like tap.h, so that
 * test_prune_mae compiles it in double precision with the rest of its stack.
 * Failures abort (HS_ASSERT): a fixture that cannot be built is not a check. */
#ifndef HS_TESTS_SMALL_MODELS_H
#define HS_TESTS_SMALL_MODELS_H

#include <string.h>
#include <time.h>

#include "../src/prune/eval.h"
#include "../src/prune/point.h"
#include "tap.h"

TAP_UNUSED static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The synthetic task of generator gen (named gen too); symbols 0: the
 * generator's default alphabet. */
TAP_UNUSED static hs_task *fx_task(const char *gen, uint64_t seed, int seq_len, int symbols, long n_train,
                                   long n_prune, long n_test)
{
    hs_task_spec ts = {.name = gen, .kind = "synthetic", .generator = gen, .seed = seed, .seq_len = seq_len,
                       .symbols = symbols, .n_train = n_train, .n_prune = n_prune, .n_test = n_test};
    hs_task *t;
    HS_ASSERT(hs_task_open(&t, &ts) == HS_OK);
    return t;
}

/* A model of t's shape with d_model d, H heads, L layers and d_ff ff, set up
 * for batches of B, its weights initialised from key. */
TAP_UNUSED static hs_model *fx_model(const hs_task *t, int d, int H, int L, int ff, int B, uint64_t key)
{
    hs_config cfg = t->shape;
    cfg.d_model = d;
    cfg.heads = H;
    cfg.layers = L;
    cfg.d_ff = ff;
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, &cfg) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(m, B, cfg.seq_len) == HS_OK);
    hs_model_init_weights(m, key);
    return m;
}

/* `steps` AdamW steps on t's training split in batches of B: peak rate lr,
 * `warmup` steps of warm-up, the defaults of hs_adamw_defaults otherwise. */
TAP_UNUSED static void fx_train(hs_model *m, const hs_task *t, long steps, double lr, long warmup, int B)
{
    hs_adamw_config oc = hs_adamw_defaults(steps);
    oc.lr = lr;
    oc.warmup = warmup;
    hs_adamw *o;
    hs_batch_buf bb;
    HS_ASSERT(hs_adamw_create(&o, m, &oc) == HS_OK && hs_batch_buf_create(&bb, t, B) == HS_OK);
    HS_ASSERT(hs_train_task(m, o, t, &bb, steps, 0, 0, NULL, NULL) == HS_OK);
    hs_batch_buf_free(&bb);
    hs_adamw_destroy(&o);
}

/* Point (method at its defaults, ratio, key, options o) on m: r's mask and
 * importance are mask and imp ([L·H]). */
TAP_UNUSED static hs_status fx_point(const hs_model *m, const hs_task *t, const char *method, double ratio,
                                     uint64_t key, const hs_point_opts *o, hs_point_result *r, unsigned char *mask,
                                     float *imp)
{
    const hs_method *meth = hs_method_find(method);
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    memset(r, 0, sizeof *r);
    r->mask = mask;
    r->importance = imp;
    return hs_point_run(m, t, meth, &set, ratio, key, o, r);
}

#endif
