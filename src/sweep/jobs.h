/* jobs.h — the work of one grid entry, independent of who runs it (the
 * coordinator with -np 1, or a worker): a base job trains the unpruned model
 * of (task, seed); a point prunes that model with one method at one ratio.
 * Results travel as plain structs; nothing here knows MPI or the file. */
#ifndef HS_SWEEP_JOBS_H
#define HS_SWEEP_JOBS_H

#include "../store/results.h"
#include "config.h"

/* Opened tasks, one per (task, seed), kept for the whole run: loading data is
 * the expensive part of a point on real corpora. */
typedef struct {
    const hs_sweep *sw;
    hs_task **tasks; /* [n_tasks · n_seeds] */
} hs_task_cache;

hs_status hs_task_cache_init(hs_task_cache *c, const hs_sweep *sw);
void hs_task_cache_free(hs_task_cache *c);
hs_status hs_task_cache_get(hs_task_cache *c, int task, int seed, hs_task **out);

/* Trains base job b: fills row (metric, loss, timings, status, ranks) and
 * *model (owned by the caller). An error leaves *model NULL and the message
 * in the pending error. g: the group of ranks that trains it together
 * (every member calls this with the same b; src/core/microbatch.h), NULL
 * for this rank alone. With train.micro_batches = 1 and no group it is
 * today's loop (hs_train_task), bit for bit. */
hs_status hs_job_run_base(hs_task_cache *tc, long b, hs_base_row *row, hs_model **model, const hs_mb_group *g);

/* A done point's result columns (the metrics, counts, ratios, curve length,
 * status done) copied into its row: the one place a new column is filled. */
void hs_job_row_from_result(hs_point_row *row, const hs_point_result *r);

/* Runs point p on base model `base`: fills row, mask and importance
 * ([Lmax][Hmax], HS_MASK_ABSENT where the task's model has no head) and curve
 * [HS_CURVE_WIDTH] (NaN-padded). */
hs_status hs_job_run_point(hs_task_cache *tc, long p, const hs_model *base, int lmax, int hmax,
                           hs_point_row *row, uint8_t *mask, float *importance, double *curve);
/* The same, handing the pruned (fine-tuned) model over in *keep on success
 * (hs_point_result.keep; *had_hook: it needed mae's per-example gates). `prune
 * --point` and `export` re-run a point this way, the very code of the sweep. */
hs_status hs_job_run_point_keep(hs_task_cache *tc, long p, const hs_model *base, int lmax, int hmax,
                                hs_point_row *row, uint8_t *mask, float *importance, double *curve,
                                hs_model **keep, int *had_hook);

/* The initial (pending) rows of the grid. */
void hs_job_init_point_row(const hs_sweep *sw, long p, hs_point_row *row);
void hs_job_init_base_row(const hs_sweep *sw, long b, hs_base_row *row);

/* Wall-clock seconds since the epoch. */
double hs_now(void);

#endif
