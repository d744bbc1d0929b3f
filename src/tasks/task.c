/* task.c — the task interface: dispatch on kind, split storage, batches
 * (see task.h). Splits are small enough to live in memory (≤ ~100 MB). */
#include "task.h"

#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"

const char *hs_metric_name(hs_metric m)
{
    switch (m) {
    case HS_METRIC_ACCURACY: return "accuracy";
    case HS_METRIC_EXACT_MATCH: return "exact_match";
    case HS_METRIC_PERPLEXITY: return "perplexity";
    }
    return "?";
}

int hs_task_target_stride(const hs_task *t) { return t->shape.lm ? t->shape.seq_len : 1; }

static void split_free(hs_split_data *s)
{
    hs_free(s->tokens);
    hs_free(s->patches);
    hs_free(s->lengths);
    hs_free(s->targets);
    hs_free(s->types);
    memset(s, 0, sizeof *s);
}

hs_status hs_split_alloc(hs_split_data *s, const hs_task *t, long n)
{
    split_free(s);
    if (n < 1)
        return hs_error_set(HS_ERR_INPUT, "task %s: a split has no examples (check the sizes and files)",
                            t->spec.name);
    const size_t T = (size_t)t->shape.seq_len, P = (size_t)t->shape.patch_dim;
    hs_status st = HS_OK;
    if (P)
        st = hs_calloc((void **)&s->patches, (size_t)n * T, P * sizeof(float), "task patches");
    else
        st = hs_calloc((void **)&s->tokens, (size_t)n * T, sizeof(int), "task tokens");
    if (st == HS_OK) st = hs_calloc((void **)&s->lengths, (size_t)n, sizeof(int), "task lengths");
    if (st == HS_OK)
        st = hs_calloc((void **)&s->targets, (size_t)n * hs_task_target_stride(t), sizeof(int),
                       "task targets");
    if (st == HS_OK && t->has_types) st = hs_calloc((void **)&s->types, (size_t)n * T, sizeof(int), "task types");
    if (st != HS_OK) {
        split_free(s);
        return st;
    }
    s->n = n;
    return HS_OK;
}

hs_status hs_task_open(hs_task **out, const hs_task_spec *spec)
{
    *out = NULL;
    if (!spec->name || !*spec->name) return hs_error_set(HS_ERR_INPUT, "a task needs a name");
    const hs_task_kind *k = hs_task_kind_find(spec->kind);
    if (!spec->kind)
        return hs_error_set(HS_ERR_INPUT, "task %s: kind is missing (expected one of %s)", spec->name,
                            hs_task_kind_list());
    if (!k)
        return hs_error_set(HS_ERR_INPUT, "task %s: unknown kind '%s' (expected one of %s)", spec->name,
                            spec->kind, hs_task_kind_list());
    hs_task *t;
    HS_CHECK(hs_calloc((void **)&t, 1, sizeof *t, "task"));
    t->spec = *spec;
    hs_status s = k->open(t);
    t->higher_is_better = t->metric != HS_METRIC_PERPLEXITY;
    if (s != HS_OK) {
        hs_task_destroy(&t);
        return s;
    }
    *out = t;
    return HS_OK;
}

void hs_task_destroy(hs_task **tp)
{
    if (!tp || !*tp) return;
    hs_task *t = *tp;
    for (int i = 0; i < HS_NUM_SPLITS; i++) split_free(&t->split[i]);
    if (t->priv && t->priv_free) t->priv_free(t->priv);
    if (t->class_names)
        for (int c = 0; c < t->shape.n_out; c++) hs_free(t->class_names[c]);
    hs_free(t->class_names);
    hs_free(t);
    *tp = NULL;
}

hs_status hs_batch_buf_create(hs_batch_buf *bb, const hs_task *t, int B)
{
    memset(bb, 0, sizeof *bb);
    const size_t T = (size_t)t->shape.seq_len, P = (size_t)t->shape.patch_dim;
    hs_status s = HS_OK;
    if (P)
        s = hs_calloc((void **)&bb->patches, (size_t)B * T, P * sizeof(float), "batch patches");
    else
        s = hs_calloc((void **)&bb->tokens, (size_t)B * T, sizeof(int), "batch tokens");
    if (s == HS_OK) s = hs_calloc((void **)&bb->lengths, (size_t)B, sizeof(int), "batch lengths");
    if (s == HS_OK)
        s = hs_calloc((void **)&bb->targets, (size_t)B * hs_task_target_stride(t), sizeof(int),
                      "batch targets");
    if (s == HS_OK && t->has_types) s = hs_calloc((void **)&bb->types, (size_t)B * T, sizeof(int), "batch types");
    if (s != HS_OK) {
        hs_batch_buf_free(bb);
        return s;
    }
    bb->B = B;
    bb->batch = (hs_batch){0, (int)T, bb->tokens, bb->lengths, bb->targets, bb->patches, bb->types};
    return HS_OK;
}

void hs_batch_buf_free(hs_batch_buf *bb)
{
    hs_free(bb->tokens);
    hs_free(bb->patches);
    hs_free(bb->lengths);
    hs_free(bb->targets);
    hs_free(bb->types);
    memset(bb, 0, sizeof *bb);
}

/* Copies example e of split s into slot i of the batch buffer. */
static void copy_example(const hs_task *t, const hs_split_data *s, long e, hs_batch_buf *bb, int i)
{
    const size_t T = (size_t)t->shape.seq_len, P = (size_t)t->shape.patch_dim;
    const size_t ts = (size_t)hs_task_target_stride(t);
    if (P)
        memcpy(bb->patches + i * T * P, s->patches + e * T * P, sizeof(float) * T * P);
    else
        memcpy(bb->tokens + i * T, s->tokens + e * T, sizeof(int) * T);
    bb->lengths[i] = s->lengths[e];
    memcpy(bb->targets + i * ts, s->targets + e * ts, sizeof(int) * ts);
    if (bb->types) memcpy(bb->types + i * T, s->types + e * T, sizeof(int) * T);
}

/* Position `k` of the shuffle of epoch e: a Fisher–Yates permutation keyed
 * by the epoch, recomputed on demand (O(n) per call; batches of one epoch in
 * a row reuse the cached permutation). */
typedef struct {
    const hs_task *t;
    uint64_t key;
    long epoch, n;
    long *perm;
} perm_cache;

static _Thread_local perm_cache cache;

static long shuffled(const hs_task *t, long epoch, long k)
{
    const long n = t->split[HS_SPLIT_TRAIN].n;
    const uint64_t key = hs_key_str(hs_key_str(t->spec.seed, t->spec.name), "train-order");
    if (cache.t != t || cache.key != key || cache.epoch != epoch || cache.n != n || !cache.perm) {
        hs_free(cache.perm);
        cache.perm = NULL;
        if (hs_calloc((void **)&cache.perm, (size_t)n, sizeof(long), "shuffle") != HS_OK) {
            hs_error_clear();
            return k % n; /* out of memory: fall back to file order (still deterministic) */
        }
        hs_rng r;
        hs_rng_seed(&r, hs_key_u64(key, (uint64_t)epoch));
        for (long i = 0; i < n; i++) cache.perm[i] = i;
        for (long i = n - 1; i > 0; i--) {
            long j = (long)(hs_rng_u64(&r) % (uint64_t)(i + 1));
            long tmp = cache.perm[i];
            cache.perm[i] = cache.perm[j];
            cache.perm[j] = tmp;
        }
        cache.t = t;
        cache.key = key;
        cache.epoch = epoch;
        cache.n = n;
    }
    return cache.perm[k];
}

int hs_task_batch(const hs_task *t, hs_split split, long index, hs_batch_buf *bb)
{
    const hs_split_data *s = &t->split[split];
    int filled = 0;
    if (split == HS_SPLIT_TRAIN) {
        for (int i = 0; i < bb->B; i++) {
            long g = index * bb->B + i; /* global position in the stream of epochs */
            copy_example(t, s, shuffled(t, g / s->n, g % s->n), bb, i);
        }
        filled = bb->B;
    } else {
        for (long e = index * bb->B; e < s->n && filled < bb->B; e++) copy_example(t, s, e, bb, filled++);
    }
    bb->batch.B = filled;
    return filled;
}

long hs_task_num_batches(const hs_task *t, hs_split split, int B)
{
    return (t->split[split].n + B - 1) / B;
}
