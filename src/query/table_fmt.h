/* table_fmt.h — a small table of text and numbers, sorted by named columns
 * and written as an aligned text table, RFC 4180 CSV, JSON or an HTML
 * <table>. `query` prints its answers with it and `report` its summaries.
 *
 * Cells hold a number (NaN = missing) or a text; numbers are formatted when
 * written: integers as integers, reals with 6 significant digits in the text
 * and HTML tables and with the shortest text that reads back exactly in CSV
 * and JSON, times (unix seconds) as UTC dates in the text and HTML tables
 * and as numbers in CSV and JSON. Missing numbers are "nan" in the text
 * table, an empty field in CSV, null in JSON and "–" in HTML. Text from the
 * data is made safe for each format: control characters become '?' in the
 * text table, CSV quotes fields that need it, JSON escapes (invalid UTF-8
 * becomes U+FFFD), HTML escapes & < > " '. Sizes: up to ~10^5 rows. */
#ifndef HS_QUERY_TABLE_FMT_H
#define HS_QUERY_TABLE_FMT_H

#include <stdio.h>

#include "../core/error.h"
#include "query_expr.h"

typedef enum { HS_TFMT_TABLE, HS_TFMT_CSV, HS_TFMT_JSON, HS_TFMT_HTML } hs_tfmt;

typedef struct hs_table hs_table;

/* An empty table (no columns, no rows); destroy with hs_table_destroy. */
hs_status hs_table_create(hs_table **out);
void hs_table_destroy(hs_table **t);

/* Adds a column (only before the first row). hidden columns take part in
 * sorting but are not written. */
hs_status hs_table_add_col(hs_table *t, const char *name, hs_qtype type, int hidden);

/* Hides (1) or shows (0) the column named `name`; 0 if there is none. */
int hs_table_hide(hs_table *t, const char *name, int hidden);

/* Appends a row of missing cells; *row gets its index. */
hs_status hs_table_add_row(hs_table *t, long *row);

/* Sets a cell: a number (numeric columns) or a copy of a text (text columns). */
void hs_table_set_num(hs_table *t, long row, int col, double v);
hs_status hs_table_set_str(hs_table *t, long row, int col, const char *s);

long hs_table_rows(const hs_table *t);
int hs_table_cols(const hs_table *t);
double hs_table_num(const hs_table *t, long row, int col);
const char *hs_table_str(const hs_table *t, long row, int col); /* "" when unset */

/* Sorts the rows, stably, by a comma-separated list of column names, each
 * optionally prefixed with '-' for descending order. Texts compare byte-wise,
 * numbers numerically with missing values last. An unknown name is
 * HS_ERR_INPUT naming it and listing the table's columns. */
hs_status hs_table_sort(hs_table *t, const char *spec);

/* Writes the table (header included) to f in the given format. */
hs_status hs_table_write(const hs_table *t, FILE *f, hs_tfmt fmt);

/* Formats a number the way CSV/JSON do: the shortest %.Ng (N = 1..17) that
 * reads back as the same double. */
void hs_fmt_real_exact(char *buf, size_t n, double v);

/* Writes s to f escaped for HTML text and attribute values. */
void hs_html_escape(FILE *f, const char *s);

#endif
