/* pivot.c — the papers' table (see pivot.h). Rows and columns are found by
 * linear search: a sweep has tens of (task, method) rows and ratios, so the
 * cost is rows x points at worst, far below reading the file. */
#include "pivot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"

#define KEY_LEN 1024

typedef struct {
    long n;
    double mean, m2, min, max; /* Welford's running mean and sum of squares */
} cell;

struct hs_pivot {
    hs_pivot_spec spec;
    const hs_rview *v;
    long nrows, ncols;
    long *row_point;      /* [nrows]: a point of the row (its key values) */
    char (*row_key)[KEY_LEN];
    double *col_num;      /* [ncols] numeric pivot values */
    char (*col_label)[KEY_LEN];
    cell *cells;          /* [nrows][ncols] */
};

static const char *const stat_names[HS_PST_COUNT] = {"mean", "std", "min", "max", "n"};

hs_status hs_pivot_parse_stats(const char *text, int *stats, int *n)
{
    *n = 0;
    int seen[HS_PST_COUNT] = {0};
    const char *p = text;
    for (;;) {
        while (*p == ' ') p++;
        const char *start = p;
        while (*p && *p != ',') p++;
        const char *end = p;
        while (end > start && end[-1] == ' ') end--;
        int k = 0;
        while (k < HS_PST_COUNT &&
               !((size_t)(end - start) == strlen(stat_names[k]) && !strncmp(start, stat_names[k], (size_t)(end - start))))
            k++;
        if (k == HS_PST_COUNT || seen[k])
            return hs_error_set(HS_ERR_INPUT, "--stats: %s '%.*s' (expected a comma-separated list of mean, std, min, max, n)",
                                k == HS_PST_COUNT ? "no statistic" : "repeated statistic", (int)(end - start), start);
        seen[k] = 1;
        stats[(*n)++] = k;
        if (!*p) break;
        p++;
    }
    return HS_OK;
}

int hs_pivot_default_metric(const hs_rview *v, const long *sel, long nsel)
{
    for (long i = 0; i < nsel; i++)
        if (!isnan(hs_qcol_num(&v->pts[sel[i]], HS_QC_METRIC_FINETUNED))) return HS_QC_METRIC_FINETUNED;
    return HS_QC_METRIC_PRUNED;
}

/* A value as text: text columns as they are, numbers exactly. */
static void value_text(const hs_point_row *r, int c, char *buf, size_t n)
{
    if (hs_qcol_numeric(c)) hs_fmt_real_exact(buf, n, hs_qcol_num(r, c));
    else hs_qcol_str(r, c, buf, n);
}

static void row_key(const hs_point_row *r, const hs_pivot_spec *s, char *key)
{
    size_t used = 0;
    key[0] = 0;
    for (int k = 0; k < s->nrows; k++) {
        char buf[HS_HOST_LEN + 64];
        value_text(r, s->rows[k], buf, sizeof buf);
        used += (size_t)snprintf(key + used, used < KEY_LEN ? KEY_LEN - used : 0, "%s\x1f", buf);
        if (used >= KEY_LEN) used = KEY_LEN - 1;
    }
}

static int same_num(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int cmp_num(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

void hs_pivot_destroy(hs_pivot **p)
{
    if (!p || !*p) return;
    hs_free((*p)->row_point);
    hs_free((*p)->row_key);
    hs_free((*p)->col_num);
    hs_free((*p)->col_label);
    hs_free((*p)->cells);
    hs_free(*p);
    *p = NULL;
}

static long col_index(const hs_pivot *p, const hs_point_row *r)
{
    const int c = p->spec.pivot;
    if (hs_qcol_numeric(c)) {
        const double x = hs_qcol_num(r, c);
        for (long k = 0; k < p->ncols; k++)
            if (same_num(p->col_num[k], x)) return k;
    } else {
        char buf[KEY_LEN];
        hs_qcol_str(r, c, buf, sizeof buf);
        for (long k = 0; k < p->ncols; k++)
            if (!strcmp(p->col_label[k], buf)) return k;
    }
    return -1;
}

hs_status hs_pivot_build(const hs_rview *v, const long *sel, long nsel, const hs_pivot_spec *spec, hs_pivot **out)
{
    *out = NULL;
    if (!hs_qcol_numeric(spec->metric))
        return hs_error_set(HS_ERR_INPUT, "--metric: column '%s' is text, expected a numeric column",
                            hs_qcol_name(spec->metric));
    hs_pivot *p = NULL;
    HS_CHECK(hs_calloc((void **)&p, 1, sizeof *p, "pivot"));
    p->spec = *spec;
    p->v = v;
    const size_t m = (size_t)nsel + 1;
    hs_status s = hs_calloc((void **)&p->row_point, m, sizeof *p->row_point, "pivot rows");
    if (s == HS_OK) s = hs_calloc((void **)&p->row_key, m, sizeof *p->row_key, "pivot rows");
    if (s == HS_OK) s = hs_calloc((void **)&p->col_num, m, sizeof *p->col_num, "pivot columns");
    if (s == HS_OK) s = hs_calloc((void **)&p->col_label, m, sizeof *p->col_label, "pivot columns");
    long *row_of = NULL, *col_of = NULL;
    if (s == HS_OK) s = hs_calloc((void **)&row_of, m, sizeof *row_of, "pivot rows");
    if (s == HS_OK) s = hs_calloc((void **)&col_of, m, sizeof *col_of, "pivot columns");
    char key[KEY_LEN];
    /* the rows and the pivot values */
    for (long i = 0; i < nsel && s == HS_OK; i++) {
        const hs_point_row *r = &v->pts[sel[i]];
        row_key(r, spec, key);
        long k = 0;
        while (k < p->nrows && strcmp(p->row_key[k], key)) k++;
        if (k == p->nrows) {
            memcpy(p->row_key[k], key, KEY_LEN);
            p->row_point[k] = sel[i];
            p->nrows++;
        }
        row_of[i] = k;
        if (col_index(p, r) < 0) {
            p->col_num[p->ncols] = hs_qcol_numeric(spec->pivot) ? hs_qcol_num(r, spec->pivot) : NAN;
            value_text(r, spec->pivot, p->col_label[p->ncols], KEY_LEN);
            p->ncols++;
        }
    }
    if (s == HS_OK && hs_qcol_numeric(spec->pivot)) {
        qsort(p->col_num, (size_t)p->ncols, sizeof *p->col_num, cmp_num);
        for (long k = 0; k < p->ncols; k++) {
            hs_fmt_real_exact(p->col_label[k], KEY_LEN, p->col_num[k]);
            if (hs_qcol_type(spec->pivot) == HS_QT_INT) snprintf(p->col_label[k], KEY_LEN, "%.0f", p->col_num[k]);
        }
    }
    if (s == HS_OK) s = hs_calloc((void **)&p->cells, (size_t)(p->nrows * p->ncols) + 1, sizeof *p->cells, "pivot cells");
    for (long i = 0; i < nsel && s == HS_OK; i++) {
        const hs_point_row *r = &v->pts[sel[i]];
        const double x = hs_qcol_num(r, spec->metric) * spec->scale;
        if (isnan(x)) continue;
        cell *c = &p->cells[row_of[i] * p->ncols + col_index(p, r)];
        c->n++;
        const double d = x - c->mean;
        c->mean += d / (double)c->n;
        c->m2 += d * (x - c->mean);
        if (c->n == 1 || x < c->min) c->min = x;
        if (c->n == 1 || x > c->max) c->max = x;
    }
    hs_free(row_of);
    hs_free(col_of);
    if (s != HS_OK) hs_pivot_destroy(&p);
    *out = p;
    return s;
}

/* ---- writing ------------------------------------------------------------- */

static double stat_value(const cell *c, int k)
{
    switch (k) {
    case HS_PST_MEAN: return c->n ? c->mean : NAN;
    case HS_PST_STD: return c->n > 1 ? sqrt(c->m2 / (double)(c->n - 1)) : NAN;
    case HS_PST_MIN: return c->n ? c->min : NAN;
    case HS_PST_MAX: return c->n ? c->max : NAN;
    default: return (double)c->n;
    }
}

/* The n of every cell that has values, or -1 when they differ. */
static long common_n(const hs_pivot *p)
{
    long n = 0;
    for (long k = 0; k < p->nrows * p->ncols; k++) {
        const long x = p->cells[k].n;
        if (!x) continue;
        if (n && x != n) return -1;
        n = x;
    }
    return n;
}

static int has_stat(const hs_pivot *p, int k)
{
    for (int i = 0; i < p->spec.nstats; i++)
        if (p->spec.stats[i] == k) return 1;
    return 0;
}

/* One cell as text in a text format; per_cell_n appends "(n)". */
static void cell_text(const hs_pivot *p, const cell *c, hs_pfmt fmt, int per_cell_n, char *buf, size_t n)
{
    const int d = p->spec.digits;
    const char *pm = fmt == HS_PFMT_TABLE ? "±" : fmt == HS_PFMT_LATEX ? " \\pm " : " ± ";
    size_t used = 0;
    buf[0] = 0;
    if (!c->n) {
        snprintf(buf, n, "%s", fmt == HS_PFMT_LATEX ? "--" : "–");
        return;
    }
    if (fmt == HS_PFMT_LATEX) used += (size_t)snprintf(buf + used, n - used, "$");
    int prev = -1;
    for (int i = 0; i < p->spec.nstats && used < n; i++) {
        const int k = p->spec.stats[i];
        const double x = stat_value(c, k);
        const char *sep = i == 0 ? "" : " ";
        if (k == HS_PST_STD) {
            if (isnan(x)) continue; /* one value: no spread to show */
            if (prev == HS_PST_MEAN) used += (size_t)snprintf(buf + used, n - used, "%s%.*f", pm, d, x);
            else used += (size_t)snprintf(buf + used, n - used, "%s%s%.*f", sep, fmt == HS_PFMT_LATEX ? "\\pm " : "±", d, x);
        } else if (k == HS_PST_N) {
            used += (size_t)snprintf(buf + used, n - used, "%sn=%ld", fmt == HS_PFMT_LATEX && i ? "\\; " : sep, c->n);
        } else {
            used += (size_t)snprintf(buf + used, n - used, "%s%s%.*f", sep,
                                     k == HS_PST_MIN ? "min " : k == HS_PST_MAX ? "max " : "", d, x);
        }
        prev = k;
    }
    if (per_cell_n && used < n) used += (size_t)snprintf(buf + used, n - used, "%s(%ld)", fmt == HS_PFMT_LATEX ? "\\;" : " ", c->n);
    if (fmt == HS_PFMT_LATEX && used < n) snprintf(buf + used, n - used, "$");
}

/* Display width of UTF-8 text: bytes that do not continue a character. */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void put_padded(FILE *f, const char *s, int w, int right)
{
    const int pad = w - width(s);
    if (right) fprintf(f, "%*s%s", pad > 0 ? pad : 0, "", s);
    else fprintf(f, "%s%*s", s, pad > 0 ? pad : 0, "");
}

static void key_value(const hs_pivot *p, long row, int k, char *buf, size_t n)
{
    value_text(&p->v->pts[p->row_point[row]], p->spec.rows[k], buf, n);
    for (char *q = buf; *q; q++)
        if ((unsigned char)*q < 0x20) *q = '?';
}

static void latex_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\textbackslash{}", f); break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '&': case '%': case '$': case '#': case '_': case '{': case '}': fprintf(f, "\\%c", *s); break;
        default: fputc(*s, f);
        }
    }
}

static void md_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
}

/* "metric_finetuned by ratio: mean ± std, n = 2 per cell" */
static void caption(const hs_pivot *p, long n, FILE *f, hs_pfmt fmt)
{
    fprintf(f, "%s%s", fmt == HS_PFMT_LATEX ? "% " : "", hs_qcol_name(p->spec.metric));
    if (p->spec.scale != 1) fprintf(f, " x %g", p->spec.scale);
    fprintf(f, " by %s: ", hs_qcol_name(p->spec.pivot));
    for (int i = 0; i < p->spec.nstats; i++) {
        const int k = p->spec.stats[i];
        const int joined = k == HS_PST_STD && i > 0 && p->spec.stats[i - 1] == HS_PST_MEAN;
        fprintf(f, "%s%s", i == 0 ? "" : joined ? " ± " : ", ", stat_names[k]);
    }
    if (has_stat(p, HS_PST_N)) fprintf(f, "\n");
    else if (n >= 0) fprintf(f, ", n = %ld per cell\n", n);
    else fprintf(f, ", (n) after each cell\n");
}

static hs_status write_table(const hs_pivot *p, FILE *f, hs_pfmt fmt)
{
    hs_table *t = NULL;
    HS_CHECK(hs_table_create(&t));
    hs_status s = HS_OK;
    for (int k = 0; k < p->spec.nrows && s == HS_OK; k++)
        s = hs_table_add_col(t, hs_qcol_name(p->spec.rows[k]), hs_qcol_type(p->spec.rows[k]), 0);
    const int with_n = !has_stat(p, HS_PST_N);
    for (long c = 0; c < p->ncols && s == HS_OK; c++) {
        char name[KEY_LEN + 8];
        for (int i = 0; i < p->spec.nstats + with_n && s == HS_OK; i++) {
            const int k = i < p->spec.nstats ? p->spec.stats[i] : HS_PST_N;
            snprintf(name, sizeof name, "%s_%s", p->col_label[c], stat_names[k]);
            s = hs_table_add_col(t, name, k == HS_PST_N ? HS_QT_INT : HS_QT_REAL, 0);
        }
    }
    for (long r = 0; r < p->nrows && s == HS_OK; r++) {
        long row;
        s = hs_table_add_row(t, &row);
        const hs_point_row *pt = &p->v->pts[p->row_point[r]];
        for (int k = 0; k < p->spec.nrows && s == HS_OK; k++) {
            const int c = p->spec.rows[k];
            if (hs_qcol_numeric(c)) {
                hs_table_set_num(t, row, k, hs_qcol_num(pt, c));
            } else {
                char buf[HS_HOST_LEN + 1];
                hs_qcol_str(pt, c, buf, sizeof buf);
                s = hs_table_set_str(t, row, k, buf);
            }
        }
        int col = p->spec.nrows;
        for (long c = 0; c < p->ncols; c++)
            for (int i = 0; i < p->spec.nstats + with_n; i++) {
                const int k = i < p->spec.nstats ? p->spec.stats[i] : HS_PST_N;
                hs_table_set_num(t, row, col++, stat_value(&p->cells[r * p->ncols + c], k));
            }
    }
    if (s == HS_OK) s = hs_table_write(t, f, fmt == HS_PFMT_CSV ? HS_TFMT_CSV : HS_TFMT_JSON);
    hs_table_destroy(&t);
    return s;
}

hs_status hs_pivot_write(const hs_pivot *p, FILE *f, hs_pfmt fmt)
{
    if (fmt == HS_PFMT_CSV || fmt == HS_PFMT_JSON) return write_table(p, f, fmt);
    const long n = common_n(p);
    const int per_cell_n = n < 0 && !has_stat(p, HS_PST_N);
    const int nk = p->spec.nrows;
    const long nc = p->ncols;
    /* every text first, to size the columns */
    char *txt = NULL;
    const size_t tl = 192;
    HS_CHECK(hs_calloc((void **)&txt, (size_t)((p->nrows + 1) * (nk + nc)) + 1, tl, "pivot text"));
#define TXT(r, c) (txt + ((size_t)(r) * (size_t)(nk + nc) + (size_t)(c)) * tl)
    for (int k = 0; k < nk; k++) snprintf(TXT(0, k), tl, "%s", hs_qcol_name(p->spec.rows[k]));
    for (long c = 0; c < nc; c++) {
        snprintf(TXT(0, nk + c), tl, "%s", p->col_label[c]);
        for (char *q = TXT(0, nk + c); *q; q++)
            if ((unsigned char)*q < 0x20) *q = '?';
    }
    for (long r = 0; r < p->nrows; r++) {
        for (int k = 0; k < nk; k++) key_value(p, r, k, TXT(r + 1, k), tl);
        for (long c = 0; c < nc; c++) cell_text(p, &p->cells[r * nc + c], fmt, per_cell_n, TXT(r + 1, nk + c), tl);
    }
    caption(p, n, f, fmt);
    if (fmt == HS_PFMT_TABLE) {
        int *w = NULL;
        hs_status s = hs_calloc((void **)&w, (size_t)(nk + nc) + 1, sizeof *w, "pivot widths");
        if (s != HS_OK) {
            hs_free(txt);
            return s;
        }
        for (long r = 0; r <= p->nrows; r++)
            for (long c = 0; c < nk + nc; c++)
                if (width(TXT(r, c)) > w[c]) w[c] = width(TXT(r, c));
        for (long r = 0; r <= p->nrows; r++) {
            /* the first key is written once per block of rows that share it */
            const int repeat = r > 1 && nk > 1 && !strcmp(TXT(r, 0), TXT(r - 1, 0));
            for (long c = 0; c < nk + nc; c++) {
                if (c) fputs("  ", f);
                const char *s0 = c == 0 && repeat ? "" : TXT(r, c);
                if (c == nk + nc - 1 && c < nk) fputs(s0, f);
                else put_padded(f, s0, w[c], c >= nk);
            }
            fputc('\n', f);
        }
        hs_free(w);
    } else if (fmt == HS_PFMT_MARKDOWN) {
        fputc('\n', f);
        for (long r = 0; r <= p->nrows; r++) {
            for (long c = 0; c < nk + nc; c++) {
                fputs("| ", f);
                md_escape(f, TXT(r, c));
                fputc(' ', f);
            }
            fputs("|\n", f);
            if (r == 0) {
                for (long c = 0; c < nk + nc; c++) fputs(c < nk ? "| --- " : "| ---: ", f);
                fputs("|\n", f);
            }
        }
    } else { /* LaTeX: booktabs */
        fputs("\\begin{tabular}{", f);
        for (long c = 0; c < nk + nc; c++) fputc(c < nk ? 'l' : 'r', f);
        fputs("}\n\\toprule\n", f);
        for (int k = 0; k < nk; k++) fputs(" & ", f);
        fprintf(f, "\\multicolumn{%ld}{c}{", nc);
        latex_escape(f, hs_qcol_name(p->spec.pivot));
        fprintf(f, "} \\\\\n\\cmidrule(lr){%d-%ld}\n", nk + 1, nk + nc);
        for (long r = 0; r <= p->nrows; r++) {
            for (long c = 0; c < nk + nc; c++) {
                if (c) fputs(" & ", f);
                if (r > 0 && c >= nk) fputs(TXT(r, c), f); /* cells are math, already safe */
                else latex_escape(f, TXT(r, c));
            }
            fputs(" \\\\\n", f);
            if (r == 0) fputs("\\midrule\n", f);
        }
        fputs("\\bottomrule\n\\end{tabular}\n", f);
    }
#undef TXT
    hs_free(txt);
    return HS_OK;
}
