/* sweep_point.h — one base model or one point of a sweep, taken from its
 * results file by `prune`, `infer` and `export` (docs/results-format.md
 * "Re-running and exporting one point"): the stored sweep text gives the task
 * definitions, the grid and every setting, /tasks/<name> what each task was
 * when the file was written, /checkpoints the base models. */
#ifndef HS_CLI_SWEEP_POINT_H
#define HS_CLI_SWEEP_POINT_H

#include "../store/results.h"
#include "../sweep/config.h"
#include "../sweep/jobs.h"

typedef struct {
    const char *path;
    hs_results *res;
    hs_sweep sw;
    hs_task_cache tc;
    hs_base_row *bases; /* [n_bases] rows of /base_jobs */
    long n_bases, n_points;
    int lmax, hmax;
} hs_cli_sweep;

/* 1 when path is an HDF5 file whose root says format = "headsweep-results"
 * (nothing reported: any failure is 0). */
int hs_cli_is_results_file(const char *path);

/* The error for --base on a file that is not a results file: the file's own
 * (missing, not HDF5), else that it is not one. */
hs_status hs_cli_not_results_file(const char *path);

/* Opens the results file read-only and parses its stored sweep text. *cs
 * is zeroed first; hs_cli_sweep_close frees it, also after a failure. */
hs_status hs_cli_sweep_open(hs_cli_sweep *cs, const char *path);
void hs_cli_sweep_close(hs_cli_sweep *cs);

/* The base job named TASK/SEED (a task name and a seed value of the sweep),
 * done, with its model; errors name the task or seed and list the valid ones. */
hs_status hs_cli_sweep_find_base(hs_cli_sweep *cs, const char *spec, long *b);

/* "/checkpoints/TASK/seed_S" → "TASK/S" in buf (1), or 0 for another group. */
int hs_cli_sweep_group_base(const char *group, char *buf, size_t n);

/* Point p must be a row of /points (0..n_points-1). */
hs_status hs_cli_sweep_check_point(const hs_cli_sweep *cs, long p);

/* Base job b's model (from /checkpoints) and its task opened from the sweep
 * text (owned by cs's task cache), checked against /tasks/<name>: a file
 * without /tasks, or whose task's kind or metric differ, is refused. */
hs_status hs_cli_sweep_base_model(hs_cli_sweep *cs, long b, hs_model **m, hs_task **t);

/* What differs, bit for bit, between a re-run point (row, mask, imp, curve)
 * and its stored row: every column columns.h marks SAME, the mask and
 * importance [LH] and the curve [HS_CURVE_WIDTH], as "col new (stored old),
 * ..., mask" in diff (size n); "" when they agree. */
void hs_cli_sweep_compare(const hs_point_row *stored, const hs_point_row *row, const uint8_t *smask,
                          const uint8_t *mask, const float *simp, const float *imp, const double *scurve,
                          const double *curve, size_t LH, char *diff, size_t n);

/* Point p re-run and compared: the row the re-run fills (initialised as
 * hs_job_run_point expects), its mask, importance and curve, and the stored
 * rows of /points with point p's arrays. */
typedef struct {
    long p;
    size_t LH; /* lmax x hmax */
    hs_point_row row, *stored;
    uint8_t *mask, *smask;
    float *imp, *simp;
    double curve[HS_CURVE_WIDTH], scurve[HS_CURVE_WIDTH];
} hs_cli_rerun;

/* Allocates *rr for point p of cs and reads the stored rows and p's arrays;
 * hs_cli_rerun_free frees it, also after a failure. */
hs_status hs_cli_rerun_open(hs_cli_sweep *cs, long p, hs_cli_rerun *rr);
void hs_cli_rerun_free(hs_cli_rerun *rr);
/* hs_cli_sweep_compare of the re-run against point p's stored row. */
void hs_cli_rerun_diff(const hs_cli_rerun *rr, char *diff, size_t n);

/* A checkpoint written by `headsweep train` or `export` (group in path) and
 * its task, reopened from the group's task attributes (E-CKPT-17 when it has
 * none); *enc: the tokenizer of a --pretrained model's folder, or NULL. The
 * caller frees all three. */
hs_status hs_cli_checkpoint_task(const char *path, const char *group, hs_model **m, hs_task **task,
                                 hs_text_encoder **enc);

#endif
