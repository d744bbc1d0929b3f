/* query_expr.c — columns of /points and `--where` conditions (see
 * query_expr.h). A condition is parsed once and matched against every row;
 * sweeps have up to ~10^5 rows, so matching is a switch and a compare. */
#include "query_expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"

/* the kinds of columns.h as query types (status: text) */
#define QKIND_INT HS_QT_INT
#define QKIND_REAL HS_QT_REAL
#define QKIND_TIME HS_QT_TIME
#define QKIND_TEXT HS_QT_STR
#define QKIND_STATUS HS_QT_STR
#define QSTATUS_INT 0
#define QSTATUS_REAL 0
#define QSTATUS_TIME 0
#define QSTATUS_TEXT 0
#define QSTATUS_STATUS 1
enum { DERIVED = -1 };

static const struct {
    const char *name;
    hs_qtype type;
    int storage; /* HS_COL_*, or DERIVED */
    int status;  /* an int8 status code shown as its text */
    size_t offset, width;
    const char *note; /* how a derived column is computed */
} columns[HS_QC_COUNT] = {
#define COL(ID, field, storage, kind, pending, same) \
    {#field, QKIND_##kind, HS_COL_##storage, QSTATUS_##kind, offsetof(hs_point_row, field), \
     sizeof(((hs_point_row *)0)->field), NULL},
    HS_POINT_COLUMNS(COL)
#undef COL
    [HS_QC_HEADS_PRUNED_FRAC] = {"heads_pruned_frac", HS_QT_REAL, DERIVED, 0, 0, 0, "1 - heads_kept/heads_total"},
};

const char *hs_qcol_name(int c) { return c >= 0 && c < HS_QC_COUNT ? columns[c].name : "?"; }
hs_qtype hs_qcol_type(int c) { return c >= 0 && c < HS_QC_COUNT ? columns[c].type : HS_QT_STR; }
int hs_qcol_numeric(int c) { return hs_qcol_type(c) != HS_QT_STR; }
const char *hs_qcol_note(int c) { return c >= 0 && c < HS_QC_COUNT ? columns[c].note : NULL; }

int hs_qcol_find(const char *name)
{
    for (int c = 0; c < HS_QC_COUNT; c++)
        if (!strcmp(columns[c].name, name)) return c;
    return -1;
}

const char *hs_qcol_list(void)
{
    static char list[1024];
    if (!list[0]) {
        size_t used = 0;
        for (int c = 0; c < HS_QC_COUNT; c++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", c ? ", " : "", columns[c].name);
    }
    return list;
}

const char *hs_status_text(int status)
{
    static char other[32];
    switch (status) {
    case HS_STATUS_PENDING: return "pending";
    case HS_STATUS_DONE: return "done";
    case HS_STATUS_FAILED: return "failed";
    }
    snprintf(other, sizeof other, "status%d", status);
    return other;
}

double hs_qcol_num(const hs_point_row *r, int c)
{
    if (c < 0 || c >= HS_QC_COUNT || columns[c].type == HS_QT_STR) return NAN;
    if (c == HS_QC_HEADS_PRUNED_FRAC)
        return r->heads_total > 0 ? 1.0 - (double)r->heads_kept / r->heads_total : NAN;
    const char *f = (const char *)r + columns[c].offset;
    switch (columns[c].storage) {
    case HS_COL_I8: return *(const int8_t *)f;
    case HS_COL_I32: return *(const int32_t *)f;
    case HS_COL_I64: return (double)*(const int64_t *)f;
    case HS_COL_F64: return *(const double *)f;
    }
    return NAN;
}

/* Fixed-length fields are NUL-terminated by HDF5, but a file written by
 * another tool may fill them: never read past the field. */
static void copy_field(char *buf, size_t n, const char *field, size_t width)
{
    size_t len = strnlen(field, width);
    if (len >= n) len = n - 1;
    memcpy(buf, field, len);
    buf[len] = 0;
}

void hs_qcol_str(const hs_point_row *r, int c, char *buf, size_t n)
{
    if (!n) return;
    buf[0] = 0;
    if (c < 0 || c >= HS_QC_COUNT || columns[c].type != HS_QT_STR) return;
    const char *f = (const char *)r + columns[c].offset;
    if (columns[c].status) snprintf(buf, n, "%s", hs_status_text(*(const int8_t *)f));
    else copy_field(buf, n, f, columns[c].width);
}

/* ---- conditions --------------------------------------------------------- */

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN };

struct hs_qcond {
    int col, op, n;
    char **s;  /* text values (text columns) */
    double *v; /* numeric values (numeric columns) */
};

#define QCOND_MAX_VALUES 4096

static hs_status bad(const char *text, const char *what)
{
    return hs_error_set(HS_ERR_INPUT, "--where '%s': %s (columns: %s)", text, what, hs_qcol_list());
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Reads one value starting at *pp, up to `stop` (',' for in-lists, 0 for the
 * rest of the text) into out (n bytes); trims spaces around an unquoted value. */
static hs_status read_value(const char *text, const char **pp, int stop, char *out, size_t n)
{
    const char *p = skip_space(*pp);
    size_t len = 0;
    if (*p == '\'' || *p == '"') {
        const char q = *p++;
        for (;;) {
            if (!*p) return bad(text, "a quoted value is not closed");
            if (*p == q) {
                if (p[1] == q) p++; /* doubled quote: the quote itself */
                else break;
            }
            if (len + 1 >= n) return bad(text, "a value is too long");
            out[len++] = *p++;
        }
        p = skip_space(p + 1);
        if (*p && *p != stop)
            return bad(text, stop ? "expected ',' or the end after a quoted value" : "text after a quoted value");
    } else {
        const char *start = p;
        while (*p && *p != stop) p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
        if (end == start) return bad(text, stop ? "an empty value in the list" : "expected a value after the operator");
        if ((size_t)(end - start) >= n) return bad(text, "a value is too long");
        len = (size_t)(end - start);
        memcpy(out, start, len);
    }
    out[len] = 0;
    *pp = p;
    return HS_OK;
}

static hs_status add_value(const char *text, hs_qcond *c, const char *val)
{
    if (c->n >= QCOND_MAX_VALUES) return bad(text, "too many values");
    char msg[512];
    if (hs_qcol_numeric(c->col)) {
        char *end;
        errno = 0;
        double v = strtod(val, &end);
        if (end == val || *end || errno || !isfinite(v)) {
            snprintf(msg, sizeof msg, "'%s' is not a number (column %s is numeric)", val, hs_qcol_name(c->col));
            return bad(text, msg);
        }
        c->v[c->n++] = v;
        return HS_OK;
    }
    if (columns[c->col].status && strcmp(val, "pending") && strcmp(val, "done") && strcmp(val, "failed")) {
        snprintf(msg, sizeof msg, "status '%s': expected pending, done or failed", val);
        return bad(text, msg);
    }
    const size_t len = strlen(val) + 1;
    HS_CHECK(hs_calloc((void **)&c->s[c->n], len, 1, "--where value"));
    memcpy(c->s[c->n++], val, len);
    return HS_OK;
}

static hs_status parse_impl(const char *text, hs_qcond *c)
{
    const char *p = skip_space(text);
    const char *name = p;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    if (p == name) return bad(text, "expected a column name at the start");
    char col[64];
    if ((size_t)(p - name) >= sizeof col) return bad(text, "the column name is too long");
    memcpy(col, name, (size_t)(p - name));
    col[p - name] = 0;
    c->col = hs_qcol_find(col);
    char msg[512];
    if (c->col < 0) {
        snprintf(msg, sizeof msg, "no column '%s'", col);
        return bad(text, msg);
    }
    p = skip_space(p);
    int op;
    if (!strncmp(p, "<=", 2)) op = OP_LE, p += 2;
    else if (!strncmp(p, ">=", 2)) op = OP_GE, p += 2;
    else if (!strncmp(p, "!=", 2)) op = OP_NE, p += 2;
    else if (!strncmp(p, "==", 2)) op = OP_EQ, p += 2;
    else if (*p == '=') op = OP_EQ, p++;
    else if (*p == '<') op = OP_LT, p++;
    else if (*p == '>') op = OP_GT, p++;
    else if (!strncmp(p, "in", 2) && (p[2] == ' ' || p[2] == '\t')) op = OP_IN, p += 2;
    else if (!strncmp(p, "not", 3) && (p[3] == ' ' || p[3] == '\t') && !strncmp(skip_space(p + 3), "in", 2) &&
             (skip_space(p + 3)[2] == ' ' || skip_space(p + 3)[2] == '\t'))
        op = OP_NOT_IN, p = skip_space(p + 3) + 2;
    else {
        snprintf(msg, sizeof msg, "expected an operator (= != < <= > >= in, not in) after '%s'", col);
        return bad(text, msg);
    }
    c->op = op;
    const size_t cap = strlen(text) + 2;
    HS_CHECK(hs_calloc((void **)&c->s, QCOND_MAX_VALUES, sizeof *c->s, "--where values"));
    HS_CHECK(hs_calloc((void **)&c->v, QCOND_MAX_VALUES, sizeof *c->v, "--where values"));
    char *val = NULL;
    HS_CHECK(hs_calloc((void **)&val, cap, 1, "--where value"));
    hs_status s = HS_OK;
    if (op == OP_IN || op == OP_NOT_IN) {
        for (;;) {
            s = read_value(text, &p, ',', val, cap);
            if (s == HS_OK) s = add_value(text, c, val);
            if (s != HS_OK || *p != ',') break;
            p++;
        }
    } else {
        s = read_value(text, &p, 0, val, cap);
        if (s == HS_OK) s = add_value(text, c, val);
    }
    hs_free(val);
    return s;
}

hs_status hs_qcond_parse(const char *text, hs_qcond **out)
{
    *out = NULL;
    hs_qcond *c = NULL;
    HS_CHECK(hs_calloc((void **)&c, 1, sizeof *c, "--where condition"));
    hs_status s = parse_impl(text, c);
    if (s != HS_OK) {
        hs_qcond_destroy(&c);
        return s;
    }
    *out = c;
    return HS_OK;
}

static int num_eq(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

int hs_qcond_match(const hs_qcond *c, const hs_point_row *r)
{
    if (hs_qcol_numeric(c->col)) {
        const double x = hs_qcol_num(r, c->col);
        if (isnan(x)) return c->op == OP_NE || c->op == OP_NOT_IN;
        switch (c->op) {
        case OP_EQ: return num_eq(x, c->v[0]);
        case OP_NE: return !num_eq(x, c->v[0]);
        case OP_LT: return x < c->v[0] && !num_eq(x, c->v[0]);
        case OP_LE: return x <= c->v[0] || num_eq(x, c->v[0]);
        case OP_GT: return x > c->v[0] && !num_eq(x, c->v[0]);
        case OP_GE: return x >= c->v[0] || num_eq(x, c->v[0]);
        default: {
            int hit = 0;
            for (int i = 0; i < c->n && !hit; i++) hit = num_eq(x, c->v[i]);
            return c->op == OP_IN ? hit : !hit;
        }
        }
    }
    char buf[HS_HOST_LEN + 1];
    hs_qcol_str(r, c->col, buf, sizeof buf);
    switch (c->op) {
    case OP_EQ: return strcmp(buf, c->s[0]) == 0;
    case OP_NE: return strcmp(buf, c->s[0]) != 0;
    case OP_LT: return strcmp(buf, c->s[0]) < 0;
    case OP_LE: return strcmp(buf, c->s[0]) <= 0;
    case OP_GT: return strcmp(buf, c->s[0]) > 0;
    case OP_GE: return strcmp(buf, c->s[0]) >= 0;
    default: {
        int hit = 0;
        for (int i = 0; i < c->n && !hit; i++) hit = strcmp(buf, c->s[i]) == 0;
        return c->op == OP_IN ? hit : !hit;
    }
    }
}

void hs_qcond_destroy(hs_qcond **cp)
{
    if (!cp || !*cp) return;
    hs_qcond *c = *cp;
    if (c->s)
        for (int i = 0; i < c->n; i++) hs_free(c->s[i]);
    hs_free(c->s);
    hs_free(c->v);
    hs_free(c);
    *cp = NULL;
}

hs_status hs_qcol_parse_list(const char *flag, const char *text, int *cols, int max, int *n)
{
    *n = 0;
    const char *p = skip_space(text);
    if (!strcmp(p, "all")) {
        for (int c = 0; c < HS_QC_COUNT && c < max; c++) cols[(*n)++] = c;
        return HS_OK;
    }
    for (;;) {
        const char *start = skip_space(p);
        p = start;
        while (*p && *p != ',') p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
        char name[64];
        const size_t len = (size_t)(end - start);
        if (len == 0)
            return hs_error_set(HS_ERR_INPUT, "%s '%s': an empty column name (columns: %s)", flag, text,
                                hs_qcol_list());
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), start);
        const int c = len < sizeof name ? hs_qcol_find(name) : -1;
        if (c < 0)
            return hs_error_set(HS_ERR_INPUT, "%s: no column '%s' (columns: %s)", flag, name, hs_qcol_list());
        if (*n >= max) return hs_error_set(HS_ERR_INPUT, "%s '%s': too many columns", flag, text);
        cols[(*n)++] = c;
        if (!*p) break;
        p++;
    }
    return HS_OK;
}
