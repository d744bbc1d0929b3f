/* microbatch.c — micro-batches summed along a fixed tree (see microbatch.h). */
#include "microbatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "fastmath.h"

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int hs_mb_first_leaf(int M, int R, int r) { return (int)((long)r * M / R); }

/* The rank holding leaf k. */
static int owner(int M, int R, int k)
{
    int r = (int)((long)k * R / M); /* a guess, then corrected */
    while (r > 0 && hs_mb_first_leaf(M, R, r) > k) r--;
    while (r + 1 < R && hs_mb_first_leaf(M, R, r + 1) <= k) r++;
    return r;
}

hs_status hs_mb_create(hs_mb *mb, const hs_model *m, int M, const hs_mb_group *g)
{
    memset(mb, 0, sizeof *mb);
    if (M < 1) return hs_error_set(HS_ERR_INPUT, "micro-batches: %d, expected at least 1", M);
    if (g->size < 1 || g->size > M || g->rank < 0 || g->rank >= g->size)
        return hs_error_set(HS_ERR_INPUT, "micro-batches: a group of %d ranks for %d micro-batches, expected 1 to %d",
                            g->size, M, M);
    mb->M = M;
    mb->g = *g;
    mb->n = m->num_params + 1;
    int depth = 1;
    for (int s = 1; s < M; s *= 2) depth++;
    mb->n_slots = depth + 2; /* a left value per tree level, the one received, the broadcast */
    hs_status s = hs_calloc((void **)&mb->slot, (size_t)mb->n_slots, sizeof *mb->slot, "micro-batch buffers");
    if (s == HS_OK) s = hs_calloc((void **)&mb->busy, (size_t)mb->n_slots, 1, "micro-batch buffers");
    if (s != HS_OK) hs_mb_free(mb);
    return s;
}

void hs_mb_free(hs_mb *mb)
{
    for (int i = 0; i < mb->n_slots && mb->slot; i++) hs_free_big(mb->slot[i]);
    hs_free(mb->slot);
    hs_free(mb->busy);
    memset(mb, 0, sizeof *mb);
}

/* A free node buffer (allocated on first use); -1 with the error set. */
static int take(hs_mb *mb)
{
    for (int i = 0; i < mb->n_slots; i++) {
        if (mb->busy[i]) continue;
        if (!mb->slot[i] && hs_calloc_big((void **)&mb->slot[i], mb->n, sizeof(hs_real), "micro-batch gradient") != HS_OK) {
            /* peers would wait forever for this rank's part of the exchange:
             * end the job as a dead rank does (resume trains it again) */
            if (mb->g.size > 1) {
                fprintf(stderr, "headsweep: error: rank %d of a base job's group of %d: %s; ending the job (run again "
                        "to resume)\n", mb->g.rank, mb->g.size, hs_error_message());
                exit(70);
            }
            return -1;
        }
        mb->busy[i] = 1;
        return i;
    }
    hs_error_set(HS_ERR_INTERNAL, "micro-batches: out of node buffers");
    return -1;
}

/* What one step's walk shares. */
typedef struct {
    hs_mb *mb;
    hs_model *m;
    const hs_batch *b;
    int total;            /* counted targets of the whole batch */
    hs_status st;         /* first failure on this rank (the walk goes on: peers wait on it) */
    char err[256];
} walk;

static void fail(walk *w, hs_status s)
{
    if (w->st != HS_OK) return;
    w->st = s;
    snprintf(w->err, sizeof w->err, "%s", hs_error_message());
}

/* Micro-batch k of the batch: a view into its rows. */
static hs_batch slice(const hs_model *m, const hs_batch *b, int M, int k)
{
    const int r0 = (int)((long)k * b->B / M), r1 = (int)((long)(k + 1) * b->B / M);
    const size_t T = (size_t)b->T, tstride = m->cfg.lm ? T : 1;
    hs_batch s = *b;
    s.B = r1 - r0;
    if (b->tokens) s.tokens = b->tokens + r0 * T;
    if (b->lengths) s.lengths = b->lengths + r0;
    if (b->targets) s.targets = b->targets + r0 * tstride;
    if (b->patches) s.patches = b->patches + r0 * T * (size_t)m->cfg.patch_dim;
    if (b->types) s.types = b->types + r0 * T;
    return s;
}

/* Points the model's gradient buffer and its named views at buf. */
static void point_grads(hs_model *m, hs_real *buf)
{
    m->grads = buf;
    for (int i = 0; i < HS_NUM_PARAMS; i++) m->g.at[i] = buf + m->info[i].offset;
}

/* Leaf k: its gradient (scaled by the whole batch's count) and its loss sum
 * in a new node buffer. A failure leaves NaN there, so that peers still get
 * their message and every rank fails at this step. */
static int leaf(walk *w, int k)
{
    hs_mb *mb = w->mb;
    hs_model *m = w->m;
    const int i = take(mb);
    if (i < 0) {
        fail(w, HS_ERR_NOMEM);
        return -1;
    }
    hs_real *buf = mb->slot[i];
    const hs_batch s = slice(m, w->b, mb->M, k);
    /* backward writes straight into the node buffer (no copy of the
     * gradient per micro-batch): the model's gradient views point there */
    hs_real *own = m->grads;
    point_grads(m, buf);
    hs_model_zero_grad(m);
    hs_status st = hs_model_forward(m, &s);
    if (st == HS_OK) {
        m->loss_denom = w->total;
        hs_model_backward(m, &s);
        m->loss_denom = 0;
    }
    point_grads(m, own);
    if (st == HS_OK) {
        buf[mb->n - 1] = (hs_real)(m->loss * m->loss_count);
    } else {
        fail(w, st);
        for (size_t j = 0; j < mb->n; j++) buf[j] = NAN;
    }
    return i;
}

HS_SIMD_CLONES static void add_into(hs_real *restrict a, const hs_real *restrict b, size_t n)
{
    for (size_t j = 0; j < n; j++) a[j] += b[j];
}

/* Node (i, s): returns the slot holding its value on this rank, -1 where
 * another rank holds it (or this rank takes no part in it). Same order of
 * visits on every rank. */
static int visit(walk *w, int i, int s)
{
    hs_mb *mb = w->mb;
    const int M = mb->M, R = mb->g.size, me = mb->g.rank;
    if (s == 1) return owner(M, R, i) == me ? leaf(w, i) : -1;
    const int h = s / 2;
    const int l = visit(w, i, h);
    if (i + h >= M) return l;
    const int r = visit(w, i + h, h);
    const int oi = owner(M, R, i), oj = owner(M, R, i + h);
    if (oi == oj) {
        if (me != oi) return -1;
        if (l >= 0 && r >= 0) add_into(mb->slot[l], mb->slot[r], mb->n);
        if (r >= 0) mb->busy[r] = 0;
        return l;
    }
    if (me == oj) { /* the right child goes to the left child's rank */
        const double t0 = mono_now();
        if (r >= 0 && mb->g.send(mb->g.ctx, oi, mb->slot[r], mb->n) != 0)
            fail(w, hs_error_set(HS_ERR_IO, "micro-batches: sending node (%d, %d) to group rank %d failed", i + h, h, oi));
        mb->comm_seconds += mono_now() - t0;
        if (r >= 0) mb->busy[r] = 0;
        return -1;
    }
    if (me == oi) {
        const int t = take(mb);
        if (t < 0) {
            fail(w, HS_ERR_NOMEM);
            return l;
        }
        const double t0 = mono_now();
        if (mb->g.recv(mb->g.ctx, oj, mb->slot[t], mb->n) != 0)
            fail(w, hs_error_set(HS_ERR_IO, "micro-batches: receiving node (%d, %d) from group rank %d failed", i + h, h, oj));
        mb->comm_seconds += mono_now() - t0;
        if (l >= 0) add_into(mb->slot[l], mb->slot[t], mb->n);
        mb->busy[t] = 0;
        return l;
    }
    return -1;
}

hs_status hs_mb_train_step(hs_mb *mb, hs_model *m, hs_adamw *o, const hs_batch *b, double *loss)
{
    if (mb->M == 1 && mb->g.size == 1) return hs_train_step(m, o, b, loss); /* today's step, bit for bit */
    if (mb->M > b->B)
        return hs_error_set(HS_ERR_INPUT, "micro-batches: %d micro-batches of a batch of %d rows, expected at most %d",
                            mb->M, b->B, b->B);
    if (m->kd_logits) /* slice() does not cut the teacher's logits */
        return hs_error_set(HS_ERR_INPUT, "micro-batches: distillation is not supported on this path");
    walk w = {mb, m, b, 0, HS_OK, ""};
    if (b->targets) {
        const size_t rows = (size_t)b->B * (m->cfg.lm ? (size_t)b->T : 1);
        for (size_t r = 0; r < rows; r++) w.total += b->targets[r] >= 0;
    }
    memset(mb->busy, 0, (size_t)mb->n_slots);
    int S = 1;
    while (S < mb->M) S *= 2;
    int root = visit(&w, 0, S);
    /* the root to every rank of the group */
    if (mb->g.size > 1) {
        if (mb->g.rank != 0) root = take(mb);
        if (root < 0) {
            /* cannot take part in the broadcast: the group is broken */
            return hs_error_set(HS_ERR_NOMEM, "micro-batches: no buffer for the broadcast (%s)", w.err);
        }
        const double t0 = mono_now();
        if (mb->g.bcast(mb->g.ctx, mb->slot[root], mb->n) != 0)
            fail(&w, hs_error_set(HS_ERR_IO, "micro-batches: the broadcast of the gradient failed"));
        mb->comm_seconds += mono_now() - t0;
    }
    if (w.st != HS_OK) return hs_error_set(w.st, "%s", w.err);
    const hs_real *g = mb->slot[root];
    memcpy(m->grads, g, m->num_params * sizeof(hs_real));
    *loss = w.total ? (double)g[mb->n - 1] / w.total : 0;
    m->loss = *loss;
    if (!isfinite(*loss))
        return hs_error_set(HS_ERR_NUMERIC, "loss is %g at training step %ld (diverged)", *loss, o->t);
    HS_CHECK(hs_adamw_reserve(o));
    const double norm = hs_adamw_step(o, m);
    if (!isfinite(norm))
        return hs_error_set(HS_ERR_NUMERIC, "gradient norm is %g at training step %ld (diverged)", norm, o->t);
    return HS_OK;
}
