/* results_view.h — a results file read once for `query`, `plot` and
 * `report`: every /points and /base_jobs row, the root attributes, the tasks
 * and methods in sweep order (first appearance in /points), each task's
 * metric name and base-model metric; masks, importance, curves and error
 * texts are read on demand. The file is opened read-only and live (SWMR
 * read), so a sweep may still be writing it; nothing here changes it.
 *
 * Also the one place rows become a table: selected rows as they are, or
 * grouped by some columns with mean, std, min, max and n of the others. */
#ifndef HS_QUERY_RESULTS_VIEW_H
#define HS_QUERY_RESULTS_VIEW_H

#include "../store/results.h"
#include "query_expr.h"
#include "table_fmt.h"

typedef struct {
    char name[HS_NAME_LEN + 1];
    char metric[64];  /* the task's metric ("accuracy", ...), or "metric" when unknown */
    int layers, heads; /* model shape (0 when /tasks/<name> does not say) */
    double base_mean, base_min, base_max; /* base-model test metric over seeds (NaN: none) */
    int base_n;
} hs_rview_task;

typedef struct {
    char path[4096];
    hs_results *res;
    long np, nb;
    hs_point_row *pts;   /* [np] */
    hs_base_row *bases;  /* [nb] */
    int lmax, hmax;
    /* root attributes ("" when absent) */
    char tool_version[64], created[64], sweep_path[1024], fingerprint[32];
    int n_tasks, n_methods;
    hs_rview_task *tasks;
    char (*methods)[HS_NAME_LEN + 1];
    int *pt_task, *pt_method; /* [np]: index into tasks / methods */
} hs_rview;

/* Opens path read-only and reads the rows and attributes. Errors (missing,
 * not HDF5, not a results file, damaged) are HS_ERR_INPUT naming the file. */
hs_status hs_rview_open(const char *path, hs_rview **out);

/* Closes the file and frees everything; NULL is fine; sets *v = NULL. */
void hs_rview_close(hs_rview **v);

/* Point i's mask and importance ([lmax][hmax], either may be NULL) and curve
 * ([HS_CURVE_WIDTH] or NULL). */
hs_status hs_rview_arrays(hs_rview *v, long i, uint8_t *mask, float *importance, double *curve);

/* The error text of point i (base = 0) or base job i (base = 1). */
hs_status hs_rview_error(hs_rview *v, long i, int base, char *buf, size_t n);

/* Index of a task / method by name, or -1. */
int hs_rview_task_index(const hs_rview *v, const char *name);
int hs_rview_method_index(const hs_rview *v, const char *name);

/* Builds a table of the points sel[nsel] (indices into v->pts).
 * ngroup == 0: one row per point with columns cols[ncols] and, hidden (for
 * sorting only), hidden[nhidden]. ngroup > 0: one row per distinct value of
 * the group columns group[ngroup], in order of first appearance, then for
 * each numeric column of cols (group columns skipped) its _mean, _std
 * (sample, n−1), _min and _max over the group's rows where it is not NaN,
 * then n = the group's rows. A text column in cols that is not a group
 * column is HS_ERR_INPUT. *out is owned by the caller. */
hs_status hs_rview_table(const hs_rview *v, const long *sel, long nsel, const int *group, int ngroup,
                         const int *cols, int ncols, const int *hidden, int nhidden, hs_table **out);

#endif
