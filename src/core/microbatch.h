/* microbatch.h — a training step over a fixed number of micro-batches whose
 * gradients are summed along a fixed binary tree, optionally spread over a
 * group of ranks (docs/design.md "Base jobs on groups of ranks").
 *
 * The batch of B rows is cut into M micro-batches (M ≤ B): micro-batch k
 * holds rows [k·B/M, (k+1)·B/M). Each one's backward divides by the whole
 * batch's counted targets (hs_model.loss_denom), so its gradient is its
 * share of the batch's mean-loss gradient and the M gradients add up to it:
 * M micro-batches differ from the unbatched step only in the order of the
 * sums (over rows inside each matrix product, then across micro-batches).
 *
 * The tree: node (i, s) covers leaves [i, i+s) ∩ [0, M), s a power of 2;
 * node(i, 2s) = node(i, s) + node(i+s, s) (just node(i, s) when i+s ≥ M).
 * It depends on M only. Leaf k is computed by rank owner(k) = the r with
 * ⌊r·M/R⌋ ≤ k < ⌊(r+1)·M/R⌋ (contiguous shares, R ≤ M); a node lives on the
 * owner of its first leaf, and where the two children of a node live on
 * different ranks the right one is sent to the left one's. Float addition
 * is commutative, so every node has the same bits on 1, 2 or R ranks: the
 * root (on group rank 0) is broadcast, and every rank takes the same AdamW
 * step. Ranks walk the tree in the same depth-first order, so blocking
 * sends cannot deadlock (the earliest pending exchange always has both
 * sides waiting on it).
 *
 * The core calls no MPI: the group is a set of callbacks (the sweep runner
 * implements them with MPI point-to-point calls, the tests with pipes). */
#ifndef HS_CORE_MICROBATCH_H
#define HS_CORE_MICROBATCH_H

#include "optim.h"

/* A group of ranks. rank 0 is its leader (holds the root). send/recv move n
 * hs_real exactly (no arithmetic); bcast copies group rank 0's buffer to
 * every rank. size 1 needs no callbacks. A callback returns non-zero if the
 * transfer failed (then the step fails on that rank). */
typedef struct {
    int rank, size;
    void *ctx;
    int (*send)(void *ctx, int to, const hs_real *buf, size_t n);
    int (*recv)(void *ctx, int from, hs_real *buf, size_t n);
    int (*bcast)(void *ctx, hs_real *buf, size_t n);
    int (*agree)(void *ctx, int ok); /* 1 if every rank passed ok ≠ 0 (optional; the sweep's set-up check) */
} hs_mb_group;

/* Buffers of one micro-batched trainer (node values; reused every step). */
typedef struct {
    int M;
    hs_mb_group g;
    size_t n;          /* floats per node: the gradient buffer + 1 (the loss sum) */
    hs_real **slot;    /* [n_slots] node buffers, allocated on first use */
    char *busy;
    int n_slots;
    double comm_seconds; /* time in send/recv/bcast so far (the benchmark prints it) */
} hs_mb;

/* M micro-batches over group g (a copy is kept). HS_ERR_INPUT if M < 1, or
 * the group is larger than M. */
hs_status hs_mb_create(hs_mb *mb, const hs_model *m, int M, const hs_mb_group *g);
void hs_mb_free(hs_mb *mb);

/* First leaf of rank r: ⌊r·M/R⌋. */
int hs_mb_first_leaf(int M, int R, int r);

/* One training step on batch b (M ≤ b->B): the micro-batches of this rank,
 * the tree sum, the broadcast, clipping and AdamW — on every rank of the
 * group, with the same bits. *loss receives the batch's mean loss. Errors
 * as hs_train_step (the same texts; every rank of the group fails at the
 * same step), HS_ERR_IO if a transfer failed. With M = 1 on one rank this
 * is hs_train_step itself. */
hs_status hs_mb_train_step(hs_mb *mb, hs_model *m, hs_adamw *o, const hs_batch *b, double *loss);

#endif
