/* cmd_query.c — `headsweep query RESULTS.h5`: the points of a results file
 * as a table — filtered (--where), grouped with mean/std/min/max/n over the
 * remaining rows (--group-by), projected (--columns), sorted (--sort) — as
 * an aligned text table, CSV or JSON; or (--masks) the head masks and
 * importance of one point, or the mean survival of each head over a group.
 * Reads only; works while a sweep is writing the file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../query/pivot.h"
#include "../query/query_expr.h"
#include "../query/results_view.h"
#include "../query/table_fmt.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep query RESULTS.h5 [--where EXPR]... [--group-by COLS] [--columns COLS]\n"
    "                       [--sort [-]COL[,...]] [--format table|csv|json] [--masks]\n"
    "       headsweep query RESULTS.h5 --pivot COL [--where EXPR]... [--group-by COLS]\n"
    "                       [--metric COL] [--stats LIST] [--digits N] [--scale X]\n"
    "                       [--format table|csv|json|markdown|latex]\n\n"
    "Prints the points of a results file (also while the sweep runs).\n\n"
    "  --where EXPR     keep rows where EXPR holds (repeatable; all must hold):\n"
    "                   COL OP VALUE with OP one of = != < <= > >=, or COL in V1,V2,...\n"
    "                   (COL not in ...); e.g. task=spam, ratio<=0.5, 'method in michel,l0',\n"
    "                   status=failed. Text columns compare as text, the others as numbers.\n"
    "  --group-by COLS  one row per distinct value of COLS (comma-separated) with the mean,\n"
    "                   std, min and max of the other numeric columns over the group's rows\n"
    "                   (NaN values skipped) and n, the group's rows\n"
    "  --columns COLS   columns to show (comma-separated, or 'all'); with --group-by, the\n"
    "                   numeric columns to aggregate [table: id,task,method,ratio,seed,status,\n"
    "                   metric_pruned,metric_finetuned,heads_pruned_frac,wall_seconds;\n"
    "                   csv, json: all; grouped: metric_pruned,metric_finetuned]\n"
    "  --sort SPEC      sort by columns (comma-separated; '-' before a name: descending);\n"
    "                   with --group-by, by output columns (task, metric_pruned_mean, n, ...)\n"
    "  --format F       table (aligned text, the default), csv (RFC 4180) or json\n"
    "  --masks          the mask and importance of each head (layer x head) of the one\n"
    "                   selected point, or the mean survival and importance of each head over\n"
    "                   each group (--group-by) or over all selected points\n\n"
    "The papers' table (--pivot): one row per distinct value of the --group-by columns\n"
    "[task,method], one column per distinct value of COL (e.g. ratio), each cell the\n"
    "statistics of the metric over the cell's points (the seeds; NaN values skipped,\n"
    "std the sample one); the number of values per cell (n) is printed with the table.\n"
    "  --pivot COL      the column whose values become the table's columns\n"
    "  --metric COL     the numeric column summarised [metric_finetuned when the sweep\n"
    "                   fine-tunes (a point has one), else metric_pruned]\n"
    "  --stats LIST     of mean, std, min, max, n (comma-separated) [mean,std]\n"
    "  --digits N       decimals in the text formats (0-17) [3]; csv and json are exact,\n"
    "                   one column per value and statistic (0.5_mean, 0.5_std, 0.5_n)\n"
    "  --scale X        multiply the metric's values by X (100: accuracy in percent) [1]\n"
    "  --format F       also markdown (a pipe table) and latex (a booktabs tabular)\n\n";

/* The column list of --help, wrapped at 90 characters. */
static void print_columns(FILE *f)
{
    int used = fprintf(f, "columns:");
    for (int c = 0; c < HS_QC_COUNT; c++) {
        char word[128];
        const char *note = hs_qcol_note(c);
        const int len = note ? snprintf(word, sizeof word, "%s (= %s)", hs_qcol_name(c), note)
                             : snprintf(word, sizeof word, "%s", hs_qcol_name(c));
        if (used + 1 + len > 90) used = fprintf(f, "\n ");
        used += fprintf(f, " %s", word);
    }
    fprintf(f, "\n");
}

static void print_help(void)
{
    fputs(help, stdout);
    print_columns(stdout);
}

#define MAX_WHERE 64

typedef struct {
    const char *path;
    hs_qcond *where[MAX_WHERE];
    int n_where;
    int group[HS_QC_COUNT], ngroup;
    int cols[4 * HS_QC_COUNT], ncols, cols_given;
    const char *sort;
    hs_tfmt fmt;
    int masks;
    int pivot, metric, stats[HS_PST_COUNT], nstats, digits;
    double scale; /* pivot, metric: -1 unless given */
    int pfmt;
} query_opts;

/* The rows every condition accepts. */
static hs_status select_rows(const hs_rview *v, const query_opts *o, long **sel, long *nsel)
{
    HS_CHECK(hs_calloc((void **)sel, (size_t)v->np + 1, sizeof **sel, "selection"));
    *nsel = 0;
    for (long i = 0; i < v->np; i++) {
        int ok = 1;
        for (int k = 0; k < o->n_where && ok; k++) ok = hs_qcond_match(o->where[k], &v->pts[i]);
        if (ok) (*sel)[(*nsel)++] = i;
    }
    return HS_OK;
}

static void default_columns(query_opts *o)
{
    static const int table_cols[] = {HS_QC_ID,       HS_QC_TASK,          HS_QC_METHOD,           HS_QC_RATIO,
                                     HS_QC_SEED,     HS_QC_STATUS,        HS_QC_METRIC_PRUNED,    HS_QC_METRIC_FINETUNED,
                                     HS_QC_HEADS_PRUNED_FRAC, HS_QC_WALL_SECONDS};
    static const int group_cols[] = {HS_QC_METRIC_PRUNED, HS_QC_METRIC_FINETUNED};
    o->ncols = 0;
    if (o->ngroup) {
        for (size_t i = 0; i < sizeof group_cols / sizeof *group_cols; i++) o->cols[o->ncols++] = group_cols[i];
    } else if (o->fmt == HS_TFMT_TABLE) {
        for (size_t i = 0; i < sizeof table_cols / sizeof *table_cols; i++) o->cols[o->ncols++] = table_cols[i];
    } else {
        for (int c = 0; c < HS_QC_COUNT; c++) o->cols[o->ncols++] = c;
    }
}

/* Ungrouped: columns named in --sort that are not shown are added hidden. */
static hs_status sort_hidden(const query_opts *o, int *hidden, int *nhidden)
{
    *nhidden = 0;
    if (!o->sort || o->ngroup) return HS_OK;
    const char *p = o->sort;
    while (*p) {
        while (*p == ' ' || *p == '-' || *p == '+') p++;
        const char *start = p;
        while (*p && *p != ',') p++;
        const char *end = p;
        while (end > start && end[-1] == ' ') end--;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - start < 63 ? end - start : 63), start);
        const int c = hs_qcol_find(name);
        int shown = 0;
        for (int k = 0; k < o->ncols; k++) shown |= o->cols[k] == c;
        for (int k = 0; k < *nhidden; k++) shown |= hidden[k] == c;
        if (c >= 0 && !shown && *nhidden < HS_QC_COUNT) hidden[(*nhidden)++] = c;
        if (c < 0)
            return hs_error_set(HS_ERR_INPUT, "--sort: no column '%s' (columns: %s)", name, hs_qcol_list());
        if (*p == ',') p++;
    }
    return HS_OK;
}

/* ---- --masks ---------------------------------------------------------------- */

/* Layers and heads present (mask != absent) in any of the given masks. */
static void present_shape(const uint8_t *masks, long n, int lmax, int hmax, int *L, int *H)
{
    *L = *H = 0;
    for (long k = 0; k < n; k++)
        for (int l = 0; l < lmax; l++)
            for (int h = 0; h < hmax; h++)
                if (masks[(k * lmax + l) * hmax + h] != HS_MASK_ABSENT) {
                    if (l + 1 > *L) *L = l + 1;
                    if (h + 1 > *H) *H = h + 1;
                }
}

static void grid_header(int H)
{
    printf("         ");
    for (int h = 0; h < H; h++) printf(" %6s%d", "h", h);
    printf("\n");
}

static hs_status masks_point(hs_rview *v, long i, hs_tfmt fmt)
{
    const int lmax = v->lmax, hmax = v->hmax;
    uint8_t *mask = NULL;
    float *imp = NULL;
    HS_CHECK(hs_calloc((void **)&mask, (size_t)lmax * hmax, 1, "mask"));
    hs_status s = hs_calloc((void **)&imp, (size_t)lmax * hmax, sizeof *imp, "importance");
    if (s == HS_OK) s = hs_rview_arrays(v, i, mask, imp, NULL);
    const hs_point_row *r = &v->pts[i];
    char task[HS_NAME_LEN + 1], method[HS_NAME_LEN + 1];
    hs_qcol_str(r, HS_QC_TASK, task, sizeof task);
    hs_qcol_str(r, HS_QC_METHOD, method, sizeof method);
    int L = 0, H = 0;
    if (s == HS_OK) present_shape(mask, 1, lmax, hmax, &L, &H);
    if (s == HS_OK && fmt == HS_TFMT_TABLE) {
        for (char *p = task; *p; p++)
            if ((unsigned char)*p < 0x20) *p = '?';
        for (char *p = method; *p; p++)
            if ((unsigned char)*p < 0x20) *p = '?';
        printf("point %lld: task %s, method %s, ratio %g, seed %lld, status %s\n", (long long)r->id, task, method,
               r->ratio, (long long)r->seed, hs_status_text(r->status));
        if (L == 0) {
            printf("no mask (the point is not done)\n");
        } else {
            printf("mask (1 kept, 0 removed, c kept as a constant head, . absent)\n");
            grid_header(H);
            for (int l = 0; l < L; l++) {
                printf("layer %-3d", l);
                for (int h = 0; h < H; h++) {
                    const uint8_t m = mask[l * hmax + h];
                    printf(" %7s", m == HS_MASK_ABSENT ? "." : m == 2 ? "c" : m ? "1" : "0");
                }
                printf("\n");
            }
            printf("importance\n");
            grid_header(H);
            for (int l = 0; l < L; l++) {
                printf("layer %-3d", l);
                for (int h = 0; h < H; h++) {
                    const float x = imp[l * hmax + h];
                    if (mask[l * hmax + h] == HS_MASK_ABSENT || isnan(x)) printf(" %7s", ".");
                    else printf(" %7.3g", x);
                }
                printf("\n");
            }
        }
    } else if (s == HS_OK) {
        hs_table *t = NULL;
        s = hs_table_create(&t);
        const char *names[] = {"id", "task", "method", "ratio", "seed", "layer", "head", "mask", "importance"};
        const hs_qtype types[] = {HS_QT_INT, HS_QT_STR, HS_QT_STR, HS_QT_REAL, HS_QT_INT,
                                  HS_QT_INT, HS_QT_INT, HS_QT_INT, HS_QT_REAL};
        for (int c = 0; c < 9 && s == HS_OK; c++) s = hs_table_add_col(t, names[c], types[c], 0);
        for (int l = 0; l < L && s == HS_OK; l++)
            for (int h = 0; h < H && s == HS_OK; h++) {
                const uint8_t m = mask[l * hmax + h];
                if (m == HS_MASK_ABSENT) continue;
                long row;
                s = hs_table_add_row(t, &row);
                if (s != HS_OK) break;
                hs_table_set_num(t, row, 0, (double)r->id);
                s = hs_table_set_str(t, row, 1, task);
                if (s == HS_OK) s = hs_table_set_str(t, row, 2, method);
                hs_table_set_num(t, row, 3, r->ratio);
                hs_table_set_num(t, row, 4, (double)r->seed);
                hs_table_set_num(t, row, 5, l);
                hs_table_set_num(t, row, 6, h);
                hs_table_set_num(t, row, 7, m);
                hs_table_set_num(t, row, 8, imp[l * hmax + h]);
            }
        if (s == HS_OK) s = hs_table_write(t, stdout, fmt);
        hs_table_destroy(&t);
    }
    hs_free(mask);
    hs_free(imp);
    return s;
}

/* Does point r belong to group row g of table t (its first ngroup columns)? */
static int in_group(const hs_table *t, long g, const hs_point_row *r, const int *group, int ngroup)
{
    for (int k = 0; k < ngroup; k++) {
        if (hs_qcol_numeric(group[k])) {
            const double a = hs_table_num(t, g, k), b = hs_qcol_num(r, group[k]);
            if (!(a == b || (isnan(a) && isnan(b)))) return 0;
        } else {
            char buf[HS_HOST_LEN + 1];
            hs_qcol_str(r, group[k], buf, sizeof buf);
            if (strcmp(buf, hs_table_str(t, g, k))) return 0;
        }
    }
    return 1;
}

static hs_status masks_groups(hs_rview *v, const long *sel, long nsel, const query_opts *o)
{
    const int lmax = v->lmax, hmax = v->hmax, lh = lmax * hmax;
    hs_table *groups = NULL, *out = NULL;
    /* the groups, in order of first appearance (or --sort over group columns and n) */
    if (o->ngroup) {
        HS_CHECK(hs_rview_table(v, sel, nsel, o->group, o->ngroup, NULL, 0, NULL, 0, &groups));
    } else { /* one group: every selected point */
        long row;
        HS_CHECK(hs_table_create(&groups));
        hs_status s0 = hs_table_add_row(groups, &row);
        if (s0 != HS_OK) {
            hs_table_destroy(&groups);
            return s0;
        }
    }
    uint8_t *mask = NULL;
    float *imp = NULL;
    double *kept = NULL, *isum = NULL;
    long *present = NULL, *icount = NULL;
    hs_status s = o->sort && o->ngroup ? hs_table_sort(groups, o->sort) : HS_OK;
    if (s == HS_OK) s = hs_calloc((void **)&mask, (size_t)lh, 1, "mask");
    if (s == HS_OK) s = hs_calloc((void **)&imp, (size_t)lh, sizeof *imp, "importance");
    if (s == HS_OK) s = hs_calloc((void **)&kept, (size_t)lh, sizeof *kept, "survival");
    if (s == HS_OK) s = hs_calloc((void **)&isum, (size_t)lh, sizeof *isum, "importance sums");
    if (s == HS_OK) s = hs_calloc((void **)&present, (size_t)lh, sizeof *present, "head counts");
    if (s == HS_OK) s = hs_calloc((void **)&icount, (size_t)lh, sizeof *icount, "head counts");
    if (s == HS_OK && o->fmt != HS_TFMT_TABLE) {
        s = hs_table_create(&out);
        for (int k = 0; k < o->ngroup && s == HS_OK; k++)
            s = hs_table_add_col(out, hs_qcol_name(o->group[k]), hs_qcol_type(o->group[k]), 0);
        const char *names[] = {"layer", "head", "survival", "importance_mean", "n"};
        const hs_qtype types[] = {HS_QT_INT, HS_QT_INT, HS_QT_REAL, HS_QT_REAL, HS_QT_INT};
        for (int c = 0; c < 5 && s == HS_OK; c++) s = hs_table_add_col(out, names[c], types[c], 0);
    }
    for (long g = 0; g < hs_table_rows(groups) && s == HS_OK; g++) {
        memset(present, 0, sizeof *present * (size_t)lh);
        memset(icount, 0, sizeof *icount * (size_t)lh);
        for (int k = 0; k < lh; k++) kept[k] = isum[k] = 0;
        long n_done = 0;
        for (long i = 0; i < nsel && s == HS_OK; i++) {
            const hs_point_row *r = &v->pts[sel[i]];
            if (r->status != HS_STATUS_DONE || !in_group(groups, g, r, o->group, o->ngroup)) continue;
            s = hs_rview_arrays(v, sel[i], mask, imp, NULL);
            n_done++;
            for (int k = 0; k < lh && s == HS_OK; k++) {
                if (mask[k] == HS_MASK_ABSENT) continue;
                present[k]++;
                kept[k] += mask[k] != 0;
                if (!isnan(imp[k])) {
                    isum[k] += imp[k];
                    icount[k]++;
                }
            }
        }
        if (s != HS_OK) break;
        int L = 0, H = 0;
        for (int l = 0; l < lmax; l++)
            for (int h = 0; h < hmax; h++)
                if (present[l * hmax + h]) {
                    if (l + 1 > L) L = l + 1;
                    if (h + 1 > H) H = h + 1;
                }
        if (o->fmt == HS_TFMT_TABLE) {
            printf("%s", g ? "\n" : "");
            if (o->ngroup) {
                printf("group");
                for (int k = 0; k < o->ngroup; k++) {
                    char buf[HS_HOST_LEN + 1];
                    if (hs_qcol_numeric(o->group[k])) snprintf(buf, sizeof buf, "%g", hs_table_num(groups, g, k));
                    else snprintf(buf, sizeof buf, "%s", hs_table_str(groups, g, k));
                    for (char *p = buf; *p; p++)
                        if ((unsigned char)*p < 0x20) *p = '?';
                    printf(" %s=%s", hs_qcol_name(o->group[k]), buf);
                }
                printf(": ");
            } else {
                printf("all %ld selected points: ", nsel);
            }
            printf("%ld done points\n", n_done);
            if (!n_done) continue;
            printf("survival (fraction of the points that kept each head; . absent)\n");
            grid_header(H);
            for (int l = 0; l < L; l++) {
                printf("layer %-3d", l);
                for (int h = 0; h < H; h++) {
                    const int k = l * hmax + h;
                    if (!present[k]) printf(" %7s", ".");
                    else printf(" %7.3f", kept[k] / present[k]);
                }
                printf("\n");
            }
            printf("mean importance\n");
            grid_header(H);
            for (int l = 0; l < L; l++) {
                printf("layer %-3d", l);
                for (int h = 0; h < H; h++) {
                    const int k = l * hmax + h;
                    if (!icount[k]) printf(" %7s", ".");
                    else printf(" %7.3g", isum[k] / icount[k]);
                }
                printf("\n");
            }
        } else {
            for (int l = 0; l < L && s == HS_OK; l++)
                for (int h = 0; h < H && s == HS_OK; h++) {
                    const int k = l * hmax + h;
                    if (!present[k]) continue;
                    long row;
                    s = hs_table_add_row(out, &row);
                    for (int c = 0; c < o->ngroup && s == HS_OK; c++) {
                        if (hs_qcol_numeric(o->group[c])) hs_table_set_num(out, row, c, hs_table_num(groups, g, c));
                        else s = hs_table_set_str(out, row, c, hs_table_str(groups, g, c));
                    }
                    if (s != HS_OK) break;
                    hs_table_set_num(out, row, o->ngroup, l);
                    hs_table_set_num(out, row, o->ngroup + 1, h);
                    hs_table_set_num(out, row, o->ngroup + 2, kept[k] / present[k]);
                    hs_table_set_num(out, row, o->ngroup + 3, icount[k] ? isum[k] / icount[k] : NAN);
                    hs_table_set_num(out, row, o->ngroup + 4, (double)present[k]);
                }
        }
    }
    if (s == HS_OK && out) s = hs_table_write(out, stdout, o->fmt);
    hs_table_destroy(&groups);
    hs_table_destroy(&out);
    hs_free(mask);
    hs_free(imp);
    hs_free(kept);
    hs_free(isum);
    hs_free(present);
    hs_free(icount);
    return s;
}

/* ---- the command ---------------------------------------------------------- */

static hs_status run_query(query_opts *o)
{
    hs_rview *v = NULL;
    HS_CHECK(hs_rview_open(o->path, &v));
    long *sel = NULL, nsel = 0;
    hs_table *t = NULL;
    hs_status s = select_rows(v, o, &sel, &nsel);
    if (s == HS_OK && o->pivot >= 0) {
        hs_pivot_spec spec;
        memset(&spec, 0, sizeof spec);
        static const int default_rows[] = {HS_QC_TASK, HS_QC_METHOD};
        spec.nrows = o->ngroup ? o->ngroup : 2;
        memcpy(spec.rows, o->ngroup ? o->group : default_rows, sizeof *spec.rows * (size_t)spec.nrows);
        spec.pivot = o->pivot;
        spec.metric = o->metric >= 0 ? o->metric : hs_pivot_default_metric(v, sel, nsel);
        spec.nstats = o->nstats;
        memcpy(spec.stats, o->stats, sizeof spec.stats);
        if (!spec.nstats) {
            spec.stats[0] = HS_PST_MEAN;
            spec.stats[1] = HS_PST_STD;
            spec.nstats = 2;
        }
        spec.digits = o->digits;
        spec.scale = o->scale;
        hs_pivot *p = NULL;
        s = hs_pivot_build(v, sel, nsel, &spec, &p);
        if (s == HS_OK) s = hs_pivot_write(p, stdout, (hs_pfmt)o->pfmt);
        hs_pivot_destroy(&p);
    } else if (s == HS_OK && o->masks) {
        if (nsel == 0) s = hs_error_set(HS_ERR_INPUT, "--masks: no point matches the --where conditions");
        else if (nsel == 1 && !o->ngroup) s = masks_point(v, sel[0], o->fmt);
        else s = masks_groups(v, sel, nsel, o);
    } else if (s == HS_OK) {
        int hidden[HS_QC_COUNT], nhidden = 0;
        if (!o->cols_given) default_columns(o);
        s = sort_hidden(o, hidden, &nhidden);
        if (s == HS_OK) s = hs_rview_table(v, sel, nsel, o->group, o->ngroup, o->cols, o->ncols, hidden, nhidden, &t);
        if (s == HS_OK && o->sort) s = hs_table_sort(t, o->sort);
        if (s == HS_OK) s = hs_table_write(t, stdout, o->fmt);
    }
    if (s == HS_OK && fflush(stdout) != 0)
        s = hs_error_set(HS_ERR_IO, "cannot write the output (disk full or a closed pipe?)");
    hs_table_destroy(&t);
    hs_free(sel);
    hs_rview_close(&v);
    return s;
}

int hs_cmd_query(int argc, char **argv)
{
    enum { O_WHERE = 256, O_GROUP, O_COLUMNS, O_SORT, O_FORMAT, O_MASKS, O_HELP, O_PIVOT, O_METRIC, O_STATS, O_DIGITS, O_SCALE };
    static const struct option opts[] = {{"where", 1, 0, O_WHERE},   {"group-by", 1, 0, O_GROUP},
                                         {"columns", 1, 0, O_COLUMNS}, {"sort", 1, 0, O_SORT},
                                         {"format", 1, 0, O_FORMAT}, {"masks", 0, 0, O_MASKS},
                                         {"help", 0, 0, O_HELP},     {"pivot", 1, 0, O_PIVOT},
                                         {"metric", 1, 0, O_METRIC}, {"stats", 1, 0, O_STATS},
                                         {"digits", 1, 0, O_DIGITS}, {"scale", 1, 0, O_SCALE},
                                         {0, 0, 0, 0}};
    query_opts o;
    memset(&o, 0, sizeof o);
    o.fmt = HS_TFMT_TABLE;
    o.pfmt = HS_PFMT_TABLE;
    o.pivot = o.metric = -1;
    o.digits = 3;
    o.scale = 1;
    int n1, md_latex = 0;
    char *end;
    hs_cli_parser p = {.name = "query", .longopts = opts, .help = O_HELP, .print_help = print_help,
                       .arg = "RESULTS.h5", .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_WHERE:
            if (o.n_where == MAX_WHERE) s = hs_error_set(HS_ERR_INPUT, "query: at most %d --where", MAX_WHERE);
            else s = hs_qcond_parse(optarg, &o.where[o.n_where]);
            if (s == HS_OK) o.n_where++;
            break;
        case O_GROUP: s = hs_qcol_parse_list("--group-by", optarg, o.group, HS_QC_COUNT, &o.ngroup); break;
        case O_COLUMNS:
            s = hs_qcol_parse_list("--columns", optarg, o.cols, 4 * HS_QC_COUNT, &o.ncols);
            o.cols_given = 1;
            break;
        case O_SORT: o.sort = optarg; break;
        case O_FORMAT:
            if (!strcmp(optarg, "table")) o.fmt = HS_TFMT_TABLE;
            else if (!strcmp(optarg, "csv")) o.fmt = HS_TFMT_CSV;
            else if (!strcmp(optarg, "json")) o.fmt = HS_TFMT_JSON;
            else if (!strcmp(optarg, "markdown")) md_latex = 1;
            else if (!strcmp(optarg, "latex")) md_latex = 2;
            else s = hs_error_set(HS_ERR_INPUT, "--format '%s': expected table, csv, json, markdown or latex", optarg);
            if (s == HS_OK) {
                if (strcmp(optarg, "markdown") && strcmp(optarg, "latex")) md_latex = 0;
                o.pfmt = md_latex == 1 ? HS_PFMT_MARKDOWN : md_latex == 2 ? HS_PFMT_LATEX
                         : o.fmt == HS_TFMT_CSV ? HS_PFMT_CSV : o.fmt == HS_TFMT_JSON ? HS_PFMT_JSON : HS_PFMT_TABLE;
            }
            break;
        case O_PIVOT:
            s = hs_qcol_parse_list("--pivot", optarg, &o.pivot, 1, &n1);
            break;
        case O_METRIC:
            s = hs_qcol_parse_list("--metric", optarg, &o.metric, 1, &n1);
            if (s == HS_OK && !hs_qcol_numeric(o.metric))
                s = hs_error_set(HS_ERR_INPUT, "--metric '%s': a text column, expected a numeric one", optarg);
            break;
        case O_SCALE:
            o.scale = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(o.scale) || o.scale == 0)
                s = hs_error_set(HS_ERR_INPUT, "--scale '%s': expected a non-zero number", optarg);
            break;
        case O_STATS: s = hs_pivot_parse_stats(optarg, o.stats, &o.nstats); break;
        case O_DIGITS:
            o.digits = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || o.digits < 0 || o.digits > 17)
                s = hs_error_set(HS_ERR_INPUT, "--digits '%s': expected a whole number from 0 to 17", optarg);
            break;
        case O_MASKS: o.masks = 1; break;
        }
    }
    if (c == HS_CLI_HELP) {
        for (int k = 0; k < o.n_where; k++) hs_qcond_destroy(&o.where[k]);
        return 0;
    }
    if (s == HS_OK && o.pivot < 0 && (md_latex || o.metric >= 0 || o.nstats || o.scale != 1 || o.digits != 3))
        s = hs_error_set(HS_ERR_INPUT, "query: --metric, --stats, --digits, --scale and --format markdown|latex need --pivot");
    if (s == HS_OK && o.pivot >= 0 && (o.masks || o.cols_given || o.sort))
        s = hs_error_set(HS_ERR_INPUT, "query: --pivot prints the metric by --group-by rows: leave out --masks, --columns and --sort");
    if (s == HS_OK && o.masks && o.cols_given)
        s = hs_error_set(HS_ERR_INPUT, "query: --masks prints heads, not columns: leave out --columns");
    if (s == HS_OK) {
        o.path = argv[optind];
        s = run_query(&o);
    }
    for (int k = 0; k < o.n_where; k++) hs_qcond_destroy(&o.where[k]);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
