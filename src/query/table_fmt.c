/* table_fmt.c — tables of cells written as text, CSV, JSON or HTML (see
 * table_fmt.h). Cells live in one row-major array grown by doubling. */
#include "table_fmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/alloc.h"
#include "../core/text.h"

typedef struct {
    double v;
    char *s;
} cell;

typedef struct {
    char *name;
    hs_qtype type;
    int hidden;
} column;

struct hs_table {
    int ncol, cap_col;
    column *cols;
    long nrow, cap_row;
    cell *cells;
};

hs_status hs_table_create(hs_table **out)
{
    return hs_calloc((void **)out, 1, sizeof **out, "table");
}

void hs_table_destroy(hs_table **tp)
{
    if (!tp || !*tp) return;
    hs_table *t = *tp;
    for (long i = 0; i < t->nrow * t->ncol; i++) hs_free(t->cells[i].s);
    for (int c = 0; c < t->ncol; c++) hs_free(t->cols[c].name);
    hs_free(t->cells);
    hs_free(t->cols);
    hs_free(t);
    *tp = NULL;
}

static hs_status dup_str(char **out, const char *s)
{
    const size_t n = strlen(s) + 1;
    HS_CHECK(hs_calloc((void **)out, n, 1, "table text"));
    memcpy(*out, s, n);
    return HS_OK;
}

hs_status hs_table_add_col(hs_table *t, const char *name, hs_qtype type, int hidden)
{
    HS_ASSERT(t->nrow == 0);
    if (t->ncol == t->cap_col) {
        const int cap = t->cap_col ? 2 * t->cap_col : 16;
        column *c = NULL;
        HS_CHECK(hs_calloc((void **)&c, (size_t)cap, sizeof *c, "table columns"));
        if (t->ncol) memcpy(c, t->cols, sizeof *c * (size_t)t->ncol);
        hs_free(t->cols);
        t->cols = c;
        t->cap_col = cap;
    }
    column *c = &t->cols[t->ncol];
    HS_CHECK(dup_str(&c->name, name));
    c->type = type;
    c->hidden = hidden;
    t->ncol++;
    return HS_OK;
}

int hs_table_hide(hs_table *t, const char *name, int hidden)
{
    for (int c = 0; c < t->ncol; c++)
        if (!strcmp(t->cols[c].name, name)) {
            t->cols[c].hidden = hidden;
            return 1;
        }
    return 0;
}

hs_status hs_table_add_row(hs_table *t, long *row)
{
    if (t->nrow == t->cap_row) {
        const long cap = t->cap_row ? 2 * t->cap_row : 64;
        cell *c = NULL;
        HS_CHECK(hs_calloc((void **)&c, (size_t)cap * (size_t)(t->ncol ? t->ncol : 1), sizeof *c, "table rows"));
        if (t->nrow) memcpy(c, t->cells, sizeof *c * (size_t)(t->nrow * t->ncol));
        hs_free(t->cells);
        t->cells = c;
        t->cap_row = cap;
    }
    for (int c = 0; c < t->ncol; c++) t->cells[t->nrow * t->ncol + c] = (cell){NAN, NULL};
    *row = t->nrow++;
    return HS_OK;
}

void hs_table_set_num(hs_table *t, long row, int col, double v) { t->cells[row * t->ncol + col].v = v; }

hs_status hs_table_set_str(hs_table *t, long row, int col, const char *s)
{
    cell *c = &t->cells[row * t->ncol + col];
    hs_free(c->s);
    c->s = NULL;
    return dup_str(&c->s, s);
}

long hs_table_rows(const hs_table *t) { return t->nrow; }
int hs_table_cols(const hs_table *t) { return t->ncol; }
double hs_table_num(const hs_table *t, long row, int col) { return t->cells[row * t->ncol + col].v; }

const char *hs_table_str(const hs_table *t, long row, int col)
{
    const char *s = t->cells[row * t->ncol + col].s;
    return s ? s : "";
}

/* ---- sorting: a stable merge sort of row indices -------------------------- */

typedef struct {
    int col, desc;
} sort_key;

static int cmp_rows(const hs_table *t, const sort_key *k, int nk, long a, long b)
{
    for (int i = 0; i < nk; i++) {
        const cell *x = &t->cells[a * t->ncol + k[i].col], *y = &t->cells[b * t->ncol + k[i].col];
        int r;
        if (t->cols[k[i].col].type == HS_QT_STR) {
            r = strcmp(x->s ? x->s : "", y->s ? y->s : "");
        } else {
            const int nx = isnan(x->v), ny = isnan(y->v);
            if (nx || ny) { /* missing values last, whatever the direction */
                if (nx != ny) return nx ? 1 : -1;
                continue;
            }
            r = x->v < y->v ? -1 : x->v > y->v;
        }
        if (r) return k[i].desc ? -r : r;
    }
    return 0;
}

static void merge_sort(const hs_table *t, const sort_key *k, int nk, long *idx, long *tmp, long n)
{
    if (n < 2) return;
    const long h = n / 2;
    merge_sort(t, k, nk, idx, tmp, h);
    merge_sort(t, k, nk, idx + h, tmp, n - h);
    long i = 0, j = h, o = 0;
    while (i < h && j < n) tmp[o++] = cmp_rows(t, k, nk, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, sizeof *idx * (size_t)n);
}

static void list_columns(const hs_table *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int c = 0; c < t->ncol && used < n; c++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", c ? ", " : "", t->cols[c].name);
}

hs_status hs_table_sort(hs_table *t, const char *spec)
{
    sort_key keys[64];
    int nk = 0;
    const char *p = spec;
    for (;;) {
        while (*p == ' ') p++;
        int desc = 0;
        if (*p == '-' || *p == '+') desc = *p++ == '-';
        const char *start = p;
        while (*p && *p != ',') p++;
        const char *end = p;
        while (end > start && end[-1] == ' ') end--;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(end - start < 127 ? end - start : 127), start);
        int col = -1;
        for (int c = 0; c < t->ncol && col < 0; c++)
            if (!strcmp(t->cols[c].name, name)) col = c;
        if (col < 0) {
            char list[900];
            list_columns(t, list, sizeof list);
            return hs_error_set(HS_ERR_INPUT, "--sort: no column '%s' to sort by (columns: %s)", name, list);
        }
        if (nk == 64) return hs_error_set(HS_ERR_INPUT, "--sort: too many columns");
        keys[nk++] = (sort_key){col, desc};
        if (!*p) break;
        p++;
    }
    if (t->nrow < 2) return HS_OK;
    long *idx = NULL, *tmp = NULL;
    cell *out = NULL;
    hs_status s = hs_calloc((void **)&idx, (size_t)t->nrow, sizeof *idx, "sort order");
    if (s == HS_OK) s = hs_calloc((void **)&tmp, (size_t)t->nrow, sizeof *tmp, "sort order");
    if (s == HS_OK) s = hs_calloc((void **)&out, (size_t)(t->cap_row * t->ncol), sizeof *out, "table rows");
    if (s == HS_OK) {
        for (long i = 0; i < t->nrow; i++) idx[i] = i;
        merge_sort(t, keys, nk, idx, tmp, t->nrow);
        for (long i = 0; i < t->nrow; i++)
            memcpy(&out[i * t->ncol], &t->cells[idx[i] * t->ncol], sizeof *out * (size_t)t->ncol);
        hs_free(t->cells);
        t->cells = out;
        out = NULL;
    }
    hs_free(out);
    hs_free(idx);
    hs_free(tmp);
    return s;
}

/* ---- formatting ----------------------------------------------------------- */

void hs_fmt_real_exact(char *buf, size_t n, double v)
{
    /* a shorter exact form prints the same digits at 15 (trailing zeros are dropped) */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* The text of a cell for the text and HTML tables. */
static void fmt_display(const column *c, const cell *x, char *buf, size_t n)
{
    if (c->type == HS_QT_STR) {
        snprintf(buf, n, "%s", x->s ? x->s : "");
        return;
    }
    if (isnan(x->v)) {
        snprintf(buf, n, "nan");
        return;
    }
    switch (c->type) {
    case HS_QT_INT: snprintf(buf, n, "%.0f", x->v); break;
    case HS_QT_TIME: {
        if (!(x->v > 0) || x->v > 1e11) {
            snprintf(buf, n, x->v == 0 ? "-" : "%.17g", x->v);
            break;
        }
        const time_t tt = (time_t)x->v;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
        break;
    }
    default: snprintf(buf, n, "%.6g", x->v); break;
    }
}

/* The text of a numeric cell for CSV and JSON ("" when missing). */
static void fmt_exact(const column *c, const cell *x, char *buf, size_t n)
{
    if (isnan(x->v) || isinf(x->v)) buf[0] = 0;
    else if (c->type == HS_QT_INT) snprintf(buf, n, "%.0f", x->v);
    else hs_fmt_real_exact(buf, n, x->v);
}

/* Display width of UTF-8 text (code points; good enough for names). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void put_safe(FILE *f, const char *s)
{
    for (; *s; s++) fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static hs_status write_text(const hs_table *t, FILE *f)
{
    size_t *w = NULL;
    HS_CHECK(hs_calloc((void **)&w, (size_t)t->ncol + 1, sizeof *w, "column widths"));
    char buf[512];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = width(t->cols[c].name);
        for (long r = 0; r < t->nrow; r++) {
            fmt_display(&t->cols[c], &t->cells[r * t->ncol + c], buf, sizeof buf);
            const size_t k = width(buf);
            if (k > w[c]) w[c] = k;
        }
    }
    int lastvis = -1; /* no trailing spaces after the last column */
    for (int c = 0; c < t->ncol; c++)
        if (!t->cols[c].hidden) lastvis = c;
    for (int pass = 0; pass < 2; pass++) { /* header, then the dashes under it */
        int first = 1;
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].hidden) continue;
            const int right = t->cols[c].type != HS_QT_STR;
            const size_t pad = w[c] - width(t->cols[c].name);
            if (!first) fputs("  ", f);
            if (pass == 0) {
                if (right) fprintf(f, "%*s", (int)pad, "");
                put_safe(f, t->cols[c].name);
                if (!right && c != lastvis) fprintf(f, "%*s", (int)pad, "");
            } else {
                for (size_t i = 0; i < w[c]; i++) fputc('-', f);
            }
            first = 0;
        }
        fputc('\n', f);
    }
    for (long r = 0; r < t->nrow; r++) {
        int first = 1;
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].hidden) continue;
            fmt_display(&t->cols[c], &t->cells[r * t->ncol + c], buf, sizeof buf);
            const size_t pad = w[c] - width(buf);
            const int right = t->cols[c].type != HS_QT_STR, last = c == lastvis;
            if (!first) fputs("  ", f);
            if (right) fprintf(f, "%*s", (int)pad, "");
            put_safe(f, buf);
            if (!right && !last) fprintf(f, "%*s", (int)pad, "");
            first = 0;
        }
        fputc('\n', f);
    }
    hs_free(w);
    return HS_OK;
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_csv(const hs_table *t, FILE *f)
{
    char buf[64];
    int first = 1;
    for (int c = 0; c < t->ncol; c++) {
        if (t->cols[c].hidden) continue;
        if (!first) fputc(',', f);
        csv_field(f, t->cols[c].name);
        first = 0;
    }
    fputs("\r\n", f); /* RFC 4180 line ends */
    for (long r = 0; r < t->nrow; r++) {
        first = 1;
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].hidden) continue;
            if (!first) fputc(',', f);
            const cell *x = &t->cells[r * t->ncol + c];
            if (t->cols[c].type == HS_QT_STR) {
                csv_field(f, x->s ? x->s : "");
            } else {
                fmt_exact(&t->cols[c], x, buf, sizeof buf);
                fputs(buf, f);
            }
            first = 0;
        }
        fputs("\r\n", f);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p++, f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            const int n = hs_utf8_len(p);
            if (!n) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            }
        }
    }
    fputc('"', f);
}

static void write_json(const hs_table *t, FILE *f)
{
    char buf[64];
    fputc('[', f);
    for (long r = 0; r < t->nrow; r++) {
        fputs(r ? ",\n {" : "\n {", f);
        int first = 1;
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].hidden) continue;
            if (!first) fputs(", ", f);
            json_str(f, t->cols[c].name);
            fputs(": ", f);
            const cell *x = &t->cells[r * t->ncol + c];
            if (t->cols[c].type == HS_QT_STR) {
                json_str(f, x->s ? x->s : "");
            } else {
                fmt_exact(&t->cols[c], x, buf, sizeof buf);
                fputs(buf[0] ? buf : "null", f);
            }
            first = 0;
        }
        fputc('}', f);
    }
    fputs(t->nrow ? "\n]\n" : "]\n", f);
}

void hs_html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

static void write_html(const hs_table *t, FILE *f)
{
    char buf[512];
    fputs("<table>\n<thead><tr>", f);
    for (int c = 0; c < t->ncol; c++) {
        if (t->cols[c].hidden) continue;
        fputs(t->cols[c].type == HS_QT_STR ? "<th>" : "<th class=\"num\">", f);
        hs_html_escape(f, t->cols[c].name);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (long r = 0; r < t->nrow; r++) {
        fputs("<tr>", f);
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].hidden) continue;
            const cell *x = &t->cells[r * t->ncol + c];
            fmt_display(&t->cols[c], x, buf, sizeof buf);
            fputs(t->cols[c].type == HS_QT_STR ? "<td>" : "<td class=\"num\">", f);
            if (t->cols[c].type != HS_QT_STR && isnan(x->v)) fputs("&ndash;", f);
            else hs_html_escape(f, buf);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

hs_status hs_table_write(const hs_table *t, FILE *f, hs_tfmt fmt)
{
    switch (fmt) {
    case HS_TFMT_TABLE: HS_CHECK(write_text(t, f)); break;
    case HS_TFMT_CSV: write_csv(t, f); break;
    case HS_TFMT_JSON: write_json(t, f); break;
    case HS_TFMT_HTML: write_html(t, f); break;
    }
    if (ferror(f)) return hs_error_set(HS_ERR_IO, "cannot write the output (disk full or a closed pipe?)");
    return HS_OK;
}
