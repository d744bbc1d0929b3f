/* query_expr.h — the columns of a results file's /points as `query`, `plot`
 * and `report` see them, and the `--where` expressions that filter them.
 *
 * Columns are every field of hs_point_row, in the order of the list in
 * src/store/columns.h (status as the text pending / done / failed), plus the
 * derived heads_pruned_frac = 1 − heads_kept/heads_total.
 * Each column is text or numeric (integer or real); an expression compares a
 * column with one or more literal values of the column's kind:
 *
 *   COLUMN OP VALUE          OP: = != < <= > >=
 *   COLUMN in V1,V2,...      also: COLUMN not in V1,V2,...
 *
 * A value may be quoted ('...' or "..."; a doubled quote inside stands for
 * itself) to hold commas or spaces. Text compares byte-wise, numbers
 * numerically (= and != on reals with a relative tolerance of 1e-9); a NaN
 * (a metric of a pending or failed point) matches only != and not in.
 * Everything here is pure computation on rows already read. */
#ifndef HS_QUERY_QUERY_EXPR_H
#define HS_QUERY_QUERY_EXPR_H

#include <stddef.h>

#include "../core/error.h"
#include "../store/results.h"

/* Column ids: the columns of /points in file order (src/store/columns.h),
 * then the derived ones; HS_QC_COUNT is the number of columns. */
enum {
#define HS_QC_ENUM_(ID, name, storage, kind, pending, same) HS_QC_##ID,
    HS_POINT_COLUMNS(HS_QC_ENUM_)
#undef HS_QC_ENUM_
    HS_QC_HEADS_PRUNED_FRAC,
    HS_QC_COUNT
};

/* Kind of a column's values. HS_QT_TIME is a real holding unix seconds. */
typedef enum { HS_QT_STR, HS_QT_INT, HS_QT_REAL, HS_QT_TIME } hs_qtype;

/* Name and kind of column c (0 <= c < HS_QC_COUNT). */
const char *hs_qcol_name(int c);
hs_qtype hs_qcol_type(int c);
/* 1 for numeric columns (int, real, time). */
int hs_qcol_numeric(int c);
/* How a derived column is computed ("1 - heads_kept/heads_total"), NULL
 * for the columns of the file. */
const char *hs_qcol_note(int c);

/* The column named `name` (exact), or -1. */
int hs_qcol_find(const char *name);

/* "id, task, method, ..." — every column name (a static string). */
const char *hs_qcol_list(void);

/* Numeric value of column c in row r (NaN for text columns, and for
 * heads_pruned_frac when heads_total is 0). */
double hs_qcol_num(const hs_point_row *r, int c);

/* Text of a text column c in row r into buf (NUL-terminated, truncated to n). */
void hs_qcol_str(const hs_point_row *r, int c, char *buf, size_t n);

/* The text of a status code: pending, done, failed (or "status<N>"). */
const char *hs_status_text(int status);

/* One parsed condition. */
typedef struct hs_qcond hs_qcond;

/* Parses one --where text into *out (owned by the caller; free with
 * hs_qcond_destroy). A bad expression, an unknown column or a value that
 * does not fit the column (a word for a numeric column, an unknown status)
 * is HS_ERR_INPUT naming what was wrong and listing the valid columns. */
hs_status hs_qcond_parse(const char *text, hs_qcond **out);

/* 1 if row r satisfies c. */
int hs_qcond_match(const hs_qcond *c, const hs_point_row *r);

/* Frees c; NULL is fine; sets *c = NULL. */
void hs_qcond_destroy(hs_qcond **c);

/* Parses a comma-separated list of column names (spaces around names are
 * ignored) into cols[max]; *n gets the count. "all" alone means every
 * column. An unknown name is HS_ERR_INPUT naming it (flag names the option)
 * and listing the valid columns; so is an empty list or more than max. */
hs_status hs_qcol_parse_list(const char *flag, const char *text, int *cols, int max, int *n);

#endif
