/* eval.h — a model on a task: evaluation of a split and a training loop.
 * Every method's "evaluate, prune, fine-tune, evaluate" goes through these. */
#ifndef HS_PRUNE_EVAL_H
#define HS_PRUNE_EVAL_H

#include "../core/model.h"
#include "../core/microbatch.h"
#include "../core/optim.h"
#include "../tasks/task.h"

typedef struct {
    double metric;  /* the task's metric (accuracy, exact match or perplexity) */
    double loss;    /* mean cross-entropy over counted outputs */
    long outputs;   /* counted outputs */
    long examples;  /* examples evaluated */
} hs_eval_result;

/* Evaluates m on a whole split in batches of bb->B (the model's arena must
 * hold bb->B × T). Deterministic; no allocation. */
hs_status hs_eval_split(hs_model *m, const hs_task *t, hs_split split, hs_batch_buf *bb,
                        hs_eval_result *out);

/* A deadline for long computations (the sweep's point_timeout, or "stop
 * now" after SIGTERM): evaluation and training check it once per batch and
 * fail with HS_ERR_NUMERIC "timed out" once it has passed. 0 = none.
 * hs_cancel_now() makes the next check fail (async-signal-safe). */
void hs_set_deadline(double unix_seconds);
void hs_cancel_now(void);

/* Progress callback of hs_train_task: called after each logged step. */
typedef void (*hs_train_log_fn)(void *ctx, long step, double loss, double lr);

/* `steps` AdamW steps on training batches first_batch, first_batch+1, …
 * (hs_task_batch numbering). log_every 0 = never. Stops with HS_ERR_NUMERIC
 * on a non-finite loss or gradient, naming the step. */
hs_status hs_train_task(hs_model *m, hs_adamw *opt, const hs_task *t, hs_batch_buf *bb, long steps,
                        long first_batch, long log_every, hs_train_log_fn log, void *log_ctx);

/* As hs_train_task (no log), each step through hs_mb_train_step: M
 * micro-batches, on this rank's share of mb's group. Every rank of the group
 * runs it with the same arguments and ends with the same parameters. */
hs_status hs_train_task_mb(hs_model *m, hs_adamw *opt, const hs_task *t, hs_batch_buf *bb, long steps,
                           long first_batch, hs_mb *mb);

#endif
