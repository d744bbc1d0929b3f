/* columns.h — the one list of the columns of /points and /base_jobs
 * (docs/results-format.md). Everything else is derived from it: the row
 * structs (hs_point_row, hs_base_row in results.h), the HDF5 compound types
 * that write and read them (results.c), a pending row's values
 * (hs_point_row_init, hs_base_row_init), the columns of `query`, `plot` and
 * `report` with their kinds and accessors (src/query/query_expr.c), the
 * column list of `query --help`, and what tests/results_cmp compares.
 *
 * X(ID, name, storage, kind, pending, same), one line per column in file order:
 *   ID       upper-case name, for the enum of query columns (HS_QC_ID, ...)
 *   name     member of the row struct and of the HDF5 compound
 *   storage  I8, I32, I64 (integers), F64 (float64), NAME (char[HS_NAME_LEN]),
 *            HOST (char[HS_HOST_LEN]); text is NUL-terminated fixed-length
 *   kind     as `query` sees it: INT, REAL, TIME (unix seconds), TEXT, or
 *            STATUS (int8 stored, shown as pending / done / failed)
 *   pending  its value in a row not yet computed (text columns: "")
 *   same     SAME: bit-identical for the same sweep file whatever the ranks,
 *            hosts and interruptions; RUN: depends on the run (timing, place, tries)
 *
 * The order, names and storage are the file format: old files are read by
 * member name, so a column may be appended (a file written before reads it
 * as its pending value: hs_results_read_points), never renamed or retyped.
 * Adding one: a line here, the code that fills it (src/sweep/jobs.c from
 * src/prune/point.h's result), and the two tables of docs/results-format.md. */
#ifndef HS_STORE_COLUMNS_H
#define HS_STORE_COLUMNS_H

#include <math.h>
#include <stdint.h>

#define HS_POINT_COLUMNS(X)                                           \
    X(ID, id, I64, INT, 0, SAME)                                      \
    X(TASK, task, NAME, TEXT, "", SAME)                               \
    X(METHOD, method, NAME, TEXT, "", SAME) /* the entry's label */  \
    X(RATIO, ratio, F64, REAL, 0, SAME)                               \
    X(SEED, seed, I64, INT, 0, SAME)                                  \
    X(BASE, base, I64, INT, 0, SAME) /* row of /base_jobs */          \
    X(STATUS, status, I8, STATUS, HS_STATUS_PENDING, SAME)            \
    X(ATTEMPTS, attempts, I32, INT, 0, RUN)                           \
    X(RANK, rank, I32, INT, -1, RUN)                                  \
    X(HOST, host, HOST, TEXT, "", RUN)                                \
    X(START_TIME, start_time, F64, TIME, 0, RUN)                      \
    X(END_TIME, end_time, F64, TIME, 0, RUN)                          \
    X(WALL_SECONDS, wall_seconds, F64, REAL, 0, RUN)                  \
    X(METRIC_BASE, metric_base, F64, REAL, NAN, SAME)                 \
    X(METRIC_PRUNED, metric_pruned, F64, REAL, NAN, SAME)             \
    X(METRIC_FINETUNED, metric_finetuned, F64, REAL, NAN, SAME)       \
    X(LOSS, loss, F64, REAL, NAN, SAME)                               \
    X(HEADS_KEPT, heads_kept, I32, INT, 0, SAME)                      \
    X(HEADS_TOTAL, heads_total, I32, INT, 0, SAME)                    \
    X(PARAMS_KEPT, params_kept, I64, INT, 0, SAME)                    \
    X(PARAMS_TOTAL, params_total, I64, INT, 0, SAME)                  \
    X(FLOPS_RATIO, flops_ratio, F64, REAL, NAN, SAME)                 \
    X(LATENCY_RATIO, latency_ratio, F64, REAL, NAN, RUN)              \
    X(SHRINK_MAX_DIFF, shrink_max_diff, F64, REAL, NAN, SAME)         \
    X(EVALS, evals, I64, INT, 0, SAME)                                \
    X(CURVE_LEN, curve_len, I32, INT, 0, SAME)                        \
    X(METRIC_INT8, metric_int8, F64, REAL, NAN, SAME)                 \
    X(INT8_BYTES, int8_bytes, I64, INT, 0, SAME)                      \
    X(IMPROVED, improved, I32, INT, -1, SAME)

#define HS_BASE_COLUMNS(X)                                            \
    X(ID, id, I64, INT, 0, SAME)                                      \
    X(TASK, task, NAME, TEXT, "", SAME)                               \
    X(SEED, seed, I64, INT, 0, SAME)                                  \
    X(STATUS, status, I8, STATUS, HS_STATUS_PENDING, SAME)            \
    X(ATTEMPTS, attempts, I32, INT, 0, RUN)                           \
    X(RANK, rank, I32, INT, -1, RUN)                                  \
    X(HOST, host, HOST, TEXT, "", RUN)                                \
    X(START_TIME, start_time, F64, TIME, 0, RUN)                      \
    X(END_TIME, end_time, F64, TIME, 0, RUN)                          \
    X(WALL_SECONDS, wall_seconds, F64, REAL, 0, RUN)                  \
    X(METRIC, metric, F64, REAL, NAN, SAME) /* test split after training */ \
    X(LOSS, loss, F64, REAL, NAN, SAME)                               \
    X(RANKS, ranks, I32, INT, 0, RUN) /* ranks that trained it (its group's size) */

/* ---- helpers for the users of the lists ---------------------------------- */

/* C type of a storage class, declaring member n */
#define HS_COL_CTYPE_I8(n) int8_t n
#define HS_COL_CTYPE_I32(n) int32_t n
#define HS_COL_CTYPE_I64(n) int64_t n
#define HS_COL_CTYPE_F64(n) double n
#define HS_COL_CTYPE_NAME(n) char n[HS_NAME_LEN]
#define HS_COL_CTYPE_HOST(n) char n[HS_HOST_LEN]
#define HS_COL_MEMBER(ID, name, storage, kind, pending, same) HS_COL_CTYPE_##storage(name);

/* sets member f to a pending value v (text stays "": rows start zeroed) */
#define HS_COL_SET_I8(f, v) (f) = (v);
#define HS_COL_SET_I32(f, v) (f) = (v);
#define HS_COL_SET_I64(f, v) (f) = (v);
#define HS_COL_SET_F64(f, v) (f) = (v);
#define HS_COL_SET_NAME(f, v)
#define HS_COL_SET_HOST(f, v)

/* storage classes as values, for code that walks a row by offset */
enum { HS_COL_I8, HS_COL_I32, HS_COL_I64, HS_COL_F64, HS_COL_NAME, HS_COL_HOST };
/* 1 for SAME columns, 0 for RUN */
#define HS_COL_SAME_SAME 1
#define HS_COL_SAME_RUN 0

#endif
