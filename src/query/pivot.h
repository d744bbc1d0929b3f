/* pivot.h — the table of the papers: one row per distinct value of some
 * columns (task, method), one column per distinct value of another (ratio),
 * each cell statistics (mean, std, min, max, n) of one numeric column (the
 * metric) over the points that fall into it — usually the seeds. NaN values
 * (pending or failed points) are skipped, so n counts the values used.
 * std is the sample one (n−1), missing when n < 2.
 *
 * Written as an aligned text table, CSV, JSON (both through table_fmt, one
 * column per pivot value and statistic, "<value>_<stat>"), a Markdown pipe
 * table or a LaTeX booktabs tabular. Pure computation on rows already read. */
#ifndef HS_QUERY_PIVOT_H
#define HS_QUERY_PIVOT_H

#include <stdio.h>

#include "results_view.h"

typedef enum { HS_PST_MEAN, HS_PST_STD, HS_PST_MIN, HS_PST_MAX, HS_PST_N, HS_PST_COUNT } hs_pstat;

typedef enum { HS_PFMT_TABLE, HS_PFMT_CSV, HS_PFMT_JSON, HS_PFMT_MARKDOWN, HS_PFMT_LATEX } hs_pfmt;

typedef struct {
    int rows[HS_QC_COUNT], nrows; /* the row key columns */
    int pivot;                    /* the column whose values become columns */
    int metric;                   /* the numeric column summarised */
    int stats[HS_PST_COUNT], nstats;
    int digits;                   /* decimals of the text formats (CSV/JSON: exact) */
    double scale;                 /* the metric's values are multiplied by it (100: percent) */
} hs_pivot_spec;

typedef struct hs_pivot hs_pivot;

/* "mean,std" etc. into stats (each at most once). An unknown or repeated
 * name is HS_ERR_INPUT naming --stats and listing mean, std, min, max, n. */
hs_status hs_pivot_parse_stats(const char *text, int *stats, int *n);

/* The main metric: metric_finetuned if any selected point has one (a
 * sweep that fine-tunes), else metric_pruned. */
int hs_pivot_default_metric(const hs_rview *v, const long *sel, long nsel);

/* Builds the pivot of the points sel[nsel]. Rows in order of first
 * appearance (sweep order), columns in ascending order of a numeric pivot
 * column, first appearance of a text one. A text metric is HS_ERR_INPUT. */
hs_status hs_pivot_build(const hs_rview *v, const long *sel, long nsel, const hs_pivot_spec *spec, hs_pivot **out);

hs_status hs_pivot_write(const hs_pivot *p, FILE *f, hs_pfmt fmt);

void hs_pivot_destroy(hs_pivot **p);

#endif
