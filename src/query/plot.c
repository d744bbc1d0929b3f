/* plot.c — the figures of plot.h through gnuplot (`plot` and `report`).
 * The data of each figure is computed here (means, bands, survival
 * frequencies) and written as plain columns under DIR/data; the script
 * DIR/plots.gp only draws. Workload: a few figures per task and
 * method; the masks of the points drawn are read once each. */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/text.h"

#define MAX_PANELS HS_PLOT_MAX_RATIOS /* survival panels of a heads figure (plus one of importance) */

/* One colour per method, by its index in sweep order (cycled): matplotlib's
 * "tab10", so examples/read_results.py draws a method in the same colour. */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
static const char *method_colour(int m) { return palette[m % (int)(sizeof palette / sizeof *palette)]; }
/* and a point type (circle, square, triangle, diamond, pentagon, ...): lines that coincide stay visible */
static int method_point(int m) { return (int[]){7, 5, 9, 13, 15, 11}[m % 6]; }

/* ---- strings that reach gnuplot -------------------------------------------- */

/* Writes s as a gnuplot string expression of single-quoted strings: inside
 * those nothing is special but the quote — no backslash escapes, no
 * `command` substitution, no @macro expansion. A quote in s is not written
 * as gnuplot's doubled '' (its scanner misreads '''…' and '…''''…') but
 * concatenated as a separate constant: 'it'."'".'s'. Control characters (a
 * newline would end the command) and invalid UTF-8 become '?'. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '\'') {
            fputs("'.\"'\".'", f);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            fputc('?', f);
            p++;
        } else {
            const int n = hs_utf8_len(p);
            if (!n) {
                fputc('?', f);
                p++;
            } else {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            }
        }
    }
    fputc('\'', f);
}

/* gp_str of a printf-formatted text. */
static void gp_strf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gp_strf(FILE *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gp_str(f, buf);
}

/* A file-name part from a name: [A-Za-z0-9._-] kept, anything else '_', no
 * leading '.' or '-', at most 48 bytes. */
static void slug(char *out, size_t n, const char *name)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < n && k < 48; p++) {
        const char c = *p;
        const int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
        out[k++] = ok ? c : '_';
    }
    out[k] = 0;
    if (k == 0) snprintf(out, n, "_");
    else if (out[0] == '.' || out[0] == '-') out[0] = '_';
}

/* ---- the figure list ---------------------------------------------------------- */

static hs_status add_fig(hs_plot_list *l, int kind, int task, int method, const char *base)
{
    hs_plot_fig *f = NULL;
    HS_CHECK(hs_calloc((void **)&f, (size_t)l->n + 1, sizeof *f, "figure list"));
    if (l->n) memcpy(f, l->figs, sizeof *f * (size_t)l->n);
    hs_free(l->figs);
    l->figs = f;
    hs_plot_fig *g = &l->figs[l->n++];
    g->kind = kind;
    g->task = task;
    g->method = method;
    /* distinct names, even if two names reduce to the same file name */
    snprintf(g->base, sizeof g->base, "%s", base);
    for (int k = 2;; k++) {
        int dup = 0;
        for (int i = 0; i + 1 < l->n && !dup; i++) dup = !strcmp(l->figs[i].base, g->base);
        if (!dup) break;
        snprintf(g->base, sizeof g->base, "%.140s_%d", base, k);
    }
    return HS_OK;
}

void hs_plot_list_free(hs_plot_list *l)
{
    if (!l) return;
    hs_free(l->figs);
    l->figs = NULL;
    l->n = 0;
}

/* ---- statistics ---------------------------------------------------------------- */

typedef struct {
    double sum, sumsq, lo, hi;
    int n;
} acc;

static void acc_add(acc *a, double x)
{
    if (!isfinite(x)) return;
    if (!a->n) a->lo = a->hi = x;
    a->sum += x;
    a->sumsq += x * x;
    a->lo = fmin(a->lo, x);
    a->hi = fmax(a->hi, x);
    a->n++;
}

static double acc_mean(const acc *a) { return a->n ? a->sum / a->n : NAN; }

static double acc_std(const acc *a)
{
    if (a->n < 2) return 0;
    const double m = a->sum / a->n, v = (a->sumsq - a->n * m * m) / (a->n - 1);
    return v > 0 ? sqrt(v) : 0;
}

static int same_ratio(double a, double b) { return fabs(a - b) <= 1e-9; }

/* Distinct ratios of the done points of (task, method) (method -1: any),
 * ascending, into r[] (capacity n); returns the count. */
static int ratios_of(const hs_rview *v, int t, int m, double *r, int cap)
{
    int n = 0;
    for (long i = 0; i < v->np; i++) {
        if (v->pt_task[i] != t || (m >= 0 && v->pt_method[i] != m) || v->pts[i].status != HS_STATUS_DONE) continue;
        const double x = v->pts[i].ratio;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = same_ratio(r[k], x);
        if (seen || n == cap) continue;
        int k = n++;
        while (k > 0 && r[k - 1] > x) {
            r[k] = r[k - 1];
            k--;
        }
        r[k] = x;
    }
    return n;
}

static int count_seeds(const hs_rview *v, int t)
{
    long seeds[256];
    int n = 0;
    for (long i = 0; i < v->np; i++) {
        if (v->pt_task[i] != t || v->pts[i].status != HS_STATUS_DONE) continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = seeds[k] == (long)v->pts[i].seed;
        if (!seen && n < 256) seeds[n++] = (long)v->pts[i].seed;
    }
    return n;
}

/* ---- figure writers ---------------------------------------------------------- */

typedef struct {
    hs_rview *v;
    const hs_plot_opts *o;
    FILE *gp;          /* the script */
    hs_plot_list *list;
} ctx;

static hs_status open_data(const ctx *c, const char *base, FILE **f)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/data/%s.dat", c->o->dir, base);
    *f = fopen(path, "w");
    if (!*f) return hs_error_set(HS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fprintf(*f, "# written by headsweep plot; drawn by plots.gp\n");
    return HS_OK;
}

static hs_status close_data(const ctx *c, const char *base, FILE *f)
{
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return hs_error_set(HS_ERR_IO, "cannot write %s/data/%s.dat (disk full?)", c->o->dir, base);
    return HS_OK;
}

/* The figure's drawing commands `body` once per format. */
static void emit(const ctx *c, const char *base, int w, int h, const char *body)
{
    for (int fmt = 0; fmt < 2; fmt++) {
        if ((fmt == 0 && !c->o->png) || (fmt == 1 && !c->o->svg)) continue;
        fprintf(c->gp, "\n# ---- %s.%s\nreset\n", base, fmt ? "svg" : "png");
        if (fmt == 0) fprintf(c->gp, "set terminal pngcairo size %d,%d font 'sans,10' noenhanced\n", w, h);
        else fprintf(c->gp, "set terminal svg size %d,%d dynamic font 'sans,10' noenhanced background '#ffffff'\n", w, h);
        fprintf(c->gp, "set output ");
        gp_strf(c->gp, "%s.%s", base, fmt ? "svg" : "png");
        fprintf(c->gp, "\n%sunset output\n", body);
    }
}

/* Trade-off curve of task t: metric column `col` against the fraction of heads pruned. */
static hs_status fig_tradeoff(ctx *c, int t, int col, int finetuned)
{
    hs_rview *v = c->v;
    const hs_rview_task *task = &v->tasks[t];
    char name[64], base[160];
    slug(name, sizeof name, task->name);
    snprintf(base, sizeof base, "%s_%s", finetuned ? "tradeoff_finetuned" : "tradeoff", name);
    HS_CHECK(add_fig(c->list, finetuned ? HS_FIG_TRADEOFF_FT : HS_FIG_TRADEOFF, t, -1, base));
    hs_plot_fig *fig = &c->list->figs[c->list->n - 1];
    const char *b = fig->base;
    FILE *d;
    HS_CHECK(open_data(c, b, &d));
    fprintf(d, "# blocks (gnuplot index) = methods; x mean band_low band_high n\n");
    int blocks[1024], nblocks = 0;
    double r[256];
    for (int m = 0; m < v->n_methods && nblocks < 1024; m++) {
        const int nr = ratios_of(v, t, m, r, 256);
        if (!nr) continue;
        fprintf(d, "%s# method %d\n", nblocks ? "\n\n" : "", m);
        int rows = 0;
        for (int k = 0; k < nr; k++) {
            acc y = {0}, x = {0};
            for (long i = 0; i < v->np; i++) {
                const hs_point_row *p = &v->pts[i];
                if (v->pt_task[i] != t || v->pt_method[i] != m || p->status != HS_STATUS_DONE ||
                    !same_ratio(p->ratio, r[k]))
                    continue;
                acc_add(&y, hs_qcol_num(p, col));
                acc_add(&x, c->o->x_actual ? hs_qcol_num(p, HS_QC_HEADS_PRUNED_FRAC) : p->ratio);
            }
            if (!y.n || !x.n) continue;
            const double mean = acc_mean(&y), sd = acc_std(&y);
            fprintf(d, "%.17g %.17g %.17g %.17g %d\n", acc_mean(&x), mean, c->o->band_std ? mean - sd : y.lo,
                    c->o->band_std ? mean + sd : y.hi, y.n);
            rows++;
        }
        if (!rows) fprintf(d, "NaN NaN NaN NaN 0\n"); /* an empty block would shift gnuplot's index */
        blocks[nblocks++] = m;
    }
    HS_CHECK(close_data(c, b, d));

    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f) return hs_error_set(HS_ERR_NOMEM, "out of memory (plot script)");
    const int seeds = count_seeds(v, t);
    const char *band = c->o->band_std ? "band: mean +/- std" : "band: min to max";
    fprintf(f, "set title ");
    gp_strf(f, "%s: %s %s (mean of %d seed%s; %s)", task->name, task->metric,
            finetuned ? "after pruning and fine-tuning" : "after pruning", seeds, seeds == 1 ? "" : "s", band);
    fprintf(f, "\nset xlabel ");
    gp_str(f, c->o->x_actual ? "fraction of heads pruned (measured: 1 - heads_kept/heads_total)"
                             : "fraction of heads pruned (the sweep's ratio)");
    fprintf(f, "\nset ylabel ");
    gp_strf(f, "%s (test split)", task->metric);
    fprintf(f, "\nset key below\nset grid\nset autoscale xfix\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
               "set style fill transparent solid 0.15 noborder\nplot \\\n");
    char dat[200];
    snprintf(dat, sizeof dat, "data/%s.dat", b);
    for (int k = 0; k < nblocks; k++) {
        const int m = blocks[k];
        fprintf(f, "  ");
        gp_str(f, dat);
        fprintf(f, " index %d using 1:3:4 with filledcurves lc rgb '%s' notitle, \\\n  ", k, method_colour(m));
        gp_str(f, dat);
        fprintf(f, " index %d using 1:2 with linespoints lw 2 pt %d ps %g lc rgb '%s' title ", k, method_point(m),
                0.9 + 0.25 * (m % 3), method_colour(m));
        gp_str(f, v->methods[m]);
        fprintf(f, ", \\\n");
    }
    if (isfinite(task->base_mean)) {
        fprintf(f, "  %.17g with lines dt 2 lw 1.5 lc rgb '#000000' title ", task->base_mean);
        gp_strf(f, "base model (%.4g)", task->base_mean);
    } else {
        fprintf(f, "  NaN notitle");
    }
    fprintf(f, "\n");
    fclose(f);
    emit(c, b, 960, 540, body);
    free(body); /* open_memstream's buffer comes from malloc */
    snprintf(fig->caption, sizeof fig->caption,
             "%s %s against the fraction of heads pruned: one line per method (mean of %d seed%s, %s), dashed: "
             "the base model",
             task->metric, finetuned ? "after pruning and fine-tuning" : "after pruning", seeds,
             seeds == 1 ? "" : "s", band);
    return HS_OK;
}

/* Heads of task t under method m: survival at chosen ratios, mean importance. */
static hs_status fig_heads(ctx *c, int t, int m)
{
    hs_rview *v = c->v;
    const int lmax = v->lmax, hmax = v->hmax, lh = lmax * hmax;
    double all[256], chosen[MAX_PANELS];
    const int nall = ratios_of(v, t, m, all, 256);
    int nch = 0;
    if (c->o->ratios) {
        for (int k = 0; k < c->o->n_ratios && nch < MAX_PANELS; k++)
            for (int j = 0; j < nall; j++)
                if (same_ratio(all[j], c->o->ratios[k])) {
                    chosen[nch++] = all[j];
                    break;
                }
    } else {
        double nz[256];
        int nn = 0;
        for (int j = 0; j < nall; j++)
            if (all[j] > 0) nz[nn++] = all[j];
        if (nn <= MAX_PANELS) {
            for (int j = 0; j < nn; j++) chosen[nch++] = nz[j];
        } else { /* evenly spread, the largest included */
            for (int k = 0; k < MAX_PANELS; k++) chosen[nch++] = nz[(k + 1) * nn / MAX_PANELS - 1];
        }
    }
    uint8_t *mask = NULL;
    float *imp = NULL;
    double *kept = NULL, *isum = NULL;
    int *present = NULL, *icount = NULL;
    hs_status s = hs_calloc((void **)&mask, (size_t)lh, 1, "mask");
    if (s == HS_OK) s = hs_calloc((void **)&imp, (size_t)lh, sizeof *imp, "importance");
    if (s == HS_OK) s = hs_calloc((void **)&kept, (size_t)lh * (MAX_PANELS + 1), sizeof *kept, "survival");
    if (s == HS_OK) s = hs_calloc((void **)&present, (size_t)lh * (MAX_PANELS + 1), sizeof *present, "counts");
    if (s == HS_OK) s = hs_calloc((void **)&isum, (size_t)lh, sizeof *isum, "importance sums");
    if (s == HS_OK) s = hs_calloc((void **)&icount, (size_t)lh, sizeof *icount, "counts");
    int L = 0, H = 0, npts[MAX_PANELS] = {0};
    for (long i = 0; i < v->np && s == HS_OK; i++) {
        const hs_point_row *p = &v->pts[i];
        if (v->pt_task[i] != t || v->pt_method[i] != m || p->status != HS_STATUS_DONE) continue;
        int panel = -1;
        for (int k = 0; k < nch && panel < 0; k++)
            if (same_ratio(p->ratio, chosen[k])) panel = k;
        s = hs_rview_arrays(v, i, mask, imp, NULL);
        if (s != HS_OK) break;
        if (panel >= 0) npts[panel]++;
        for (int k = 0; k < lh; k++) {
            if (mask[k] == HS_MASK_ABSENT) continue;
            if (k / hmax + 1 > L) L = k / hmax + 1;
            if (k % hmax + 1 > H) H = k % hmax + 1;
            if (panel >= 0) {
                present[panel * lh + k]++;
                kept[panel * lh + k] += mask[k] != 0; /* 2 = kept as a constant head: kept */
            }
            if (isfinite(imp[k])) {
                isum[k] += imp[k];
                icount[k]++;
            }
        }
    }
    int have_imp = 0;
    double ilo = INFINITY, ihi = -INFINITY;
    for (int k = 0; k < lh; k++)
        if (icount[k]) {
            have_imp = 1;
            ilo = fmin(ilo, isum[k] / icount[k]);
            ihi = fmax(ihi, isum[k] / icount[k]);
        }
    const int npanels = nch + have_imp;
    if (s != HS_OK || L == 0 || npanels == 0) goto done;

    char tname[64], mname[64], base[160];
    slug(tname, sizeof tname, v->tasks[t].name);
    slug(mname, sizeof mname, v->methods[m]);
    snprintf(base, sizeof base, "heads_%s_%s", tname, mname);
    s = add_fig(c->list, HS_FIG_HEADS, t, m, base);
    if (s != HS_OK) goto done;
    hs_plot_fig *fig = &c->list->figs[c->list->n - 1];
    const char *b = fig->base;
    FILE *d;
    s = open_data(c, b, &d);
    if (s != HS_OK) goto done;
    fprintf(d, "# blocks (gnuplot index): survival at each chosen ratio, then mean importance; "
               "rows = layers, columns = heads, NaN = no such head\n");
    for (int pnl = 0; pnl < npanels; pnl++) {
        fprintf(d, "%s", pnl ? "\n\n" : "");
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                const int k = l * hmax + h;
                double x = NAN;
                if (pnl < nch && present[pnl * lh + k]) x = kept[pnl * lh + k] / present[pnl * lh + k];
                if (pnl == nch && icount[k]) x = isum[k] / icount[k];
                fprintf(d, "%s%.9g", h ? " " : "", x);
            }
            fprintf(d, "\n");
        }
    }
    s = close_data(c, b, d);
    if (s != HS_OK) goto done;

    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f) {
        s = hs_error_set(HS_ERR_NOMEM, "out of memory (plot script)");
        goto done;
    }
    char dat[200];
    snprintf(dat, sizeof dat, "data/%s.dat", b);
    const int labels = L * H <= 256;
    fprintf(f, "set multiplot layout %d,1 title ", npanels);
    gp_strf(f, "%s / %s: heads kept (fraction of points), and mean importance", v->tasks[t].name, v->methods[m]);
    fprintf(f, "\nset xrange [-0.5:%g]\nset yrange [%g:-0.5]\nset xtics 1\nset ytics 1\n"
               "set xlabel 'head'\nset ylabel 'layer'\nunset key\nset tics out nomirror\n",
            H - 0.5, L - 0.5);
    for (int pnl = 0; pnl < npanels; pnl++) {
        if (pnl < nch) {
            const int N = (v->tasks[t].layers && v->tasks[t].heads) ? v->tasks[t].layers * v->tasks[t].heads : L * H;
            fprintf(f, "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\nset cbrange [0:1]\nset cbtics 0.25\n"
                       "set cblabel 'kept'\nset title ");
            gp_strf(f, "ratio %g (%ld of %d heads pruned): fraction of %d point%s that kept each head", chosen[pnl],
                    lround(chosen[pnl] * N), N, npts[pnl], npts[pnl] == 1 ? "" : "s");
            fprintf(f, "\nplot ");
            gp_str(f, dat);
            fprintf(f, " index %d matrix with image", pnl);
            if (labels) {
                fprintf(f, ", '' index %d matrix using 1:2:($3==$3 ? sprintf('%%.2f', $3) : ''):"
                           "($3 > 0.55 ? 0xffffff : 0x000000) with labels tc rgb variable font ',8'",
                        pnl);
            }
            fprintf(f, "\n");
        } else {
            const double mid = (ilo + ihi) / 2;
            fprintf(f, "set palette defined (0 '#440154', 0.5 '#21918c', 1 '#fde725')\n");
            if (ihi > ilo) fprintf(f, "set cbrange [%.17g:%.17g]\n", ilo, ihi);
            else fprintf(f, "set cbrange [%.17g:%.17g]\n", ilo - 0.5, ilo + 0.5);
            /* three labelled tics: the palette bar is short */
            if (ihi > ilo) fprintf(f, "set cbtics (%.17g, %.17g, %.17g)\nset format cb '%%.3g'\n", ilo, mid, ihi);
            else fprintf(f, "set cbtics autofreq\n");
            fprintf(f, "set cblabel 'importance'\nset title ");
            gp_strf(f, "mean importance score of each head (all ratios and seeds of %s)", v->methods[m]);
            fprintf(f, "\nplot ");
            gp_str(f, dat);
            fprintf(f, " index %d matrix with image", pnl);
            if (labels)
                fprintf(f, ", '' index %d matrix using 1:2:($3==$3 ? sprintf('%%.2g', $3) : ''):"
                           "($3 < %.17g ? 0xffffff : 0x000000) with labels tc rgb variable font ',8'",
                        pnl, mid);
            fprintf(f, "\n");
        }
    }
    fprintf(f, "unset multiplot\n");
    fclose(f);
    int cell = 560 / L;
    if (cell > 36) cell = 36;
    if (cell < 12) cell = 12;
    emit(c, b, 960, 40 + npanels * (90 + L * cell), body);
    free(body);
    snprintf(fig->caption, sizeof fig->caption,
             "%s: how often each head (row = layer, column = head) was kept at %d ratio%s, and the mean "
             "importance score the method gave each head (each seed is its own model: a position's frequency "
             "over seeds pools different heads)",
             v->methods[m], nch, nch == 1 ? "" : "s");
done:
    hs_free(mask);
    hs_free(imp);
    hs_free(kept);
    hs_free(present);
    hs_free(isum);
    hs_free(icount);
    return s;
}

/* The prune-split metric after each step, for methods that record it. */
static hs_status fig_curve(ctx *c, int t)
{
    hs_rview *v = c->v;
    int blocks[1024], nblocks = 0;
    double at[1024];
    for (int m = 0; m < v->n_methods && nblocks < 1024; m++) {
        double best = -1;
        for (long i = 0; i < v->np; i++)
            if (v->pt_task[i] == t && v->pt_method[i] == m && v->pts[i].status == HS_STATUS_DONE &&
                v->pts[i].curve_len > 1 && v->pts[i].ratio > best)
                best = v->pts[i].ratio;
        if (best >= 0) {
            at[nblocks] = best;
            blocks[nblocks++] = m;
        }
    }
    if (!nblocks) return HS_OK;
    char name[64], base[160];
    slug(name, sizeof name, v->tasks[t].name);
    snprintf(base, sizeof base, "curve_%s", name);
    HS_CHECK(add_fig(c->list, HS_FIG_CURVE, t, -1, base));
    hs_plot_fig *fig = &c->list->figs[c->list->n - 1];
    const char *b = fig->base;
    double *curve = NULL;
    acc *steps = NULL;
    HS_CHECK(hs_calloc((void **)&curve, HS_CURVE_WIDTH, sizeof *curve, "curve"));
    hs_status s = hs_calloc((void **)&steps, HS_CURVE_WIDTH, sizeof *steps, "curve steps");
    FILE *d = NULL;
    if (s == HS_OK) s = open_data(c, b, &d);
    if (s == HS_OK) fprintf(d, "# blocks (gnuplot index) = methods; step mean low high n (over seeds)\n");
    for (int k = 0; k < nblocks && s == HS_OK; k++) {
        memset(steps, 0, sizeof *steps * HS_CURVE_WIDTH);
        for (long i = 0; i < v->np && s == HS_OK; i++) {
            const hs_point_row *p = &v->pts[i];
            if (v->pt_task[i] != t || v->pt_method[i] != blocks[k] || p->status != HS_STATUS_DONE ||
                p->curve_len <= 1 || !same_ratio(p->ratio, at[k]))
                continue;
            s = hs_rview_arrays(v, i, NULL, NULL, curve);
            const int n = p->curve_len < HS_CURVE_WIDTH ? p->curve_len : HS_CURVE_WIDTH;
            for (int j = 0; j < n && s == HS_OK; j++) acc_add(&steps[j], curve[j]);
        }
        fprintf(d, "%s# method %d at ratio %g\n", k ? "\n\n" : "", blocks[k], at[k]);
        int rows = 0;
        for (int j = 0; j < HS_CURVE_WIDTH; j++)
            if (steps[j].n) {
                fprintf(d, "%d %.17g %.17g %.17g %d\n", j, acc_mean(&steps[j]), steps[j].lo, steps[j].hi, steps[j].n);
                rows++;
            }
        if (!rows) fprintf(d, "NaN NaN NaN NaN 0\n"); /* an empty block would shift gnuplot's index */
    }
    if (d) {
        hs_status cs = close_data(c, b, d);
        if (s == HS_OK) s = cs;
    }
    hs_free(curve);
    hs_free(steps);
    if (s != HS_OK) return s;

    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f) return hs_error_set(HS_ERR_NOMEM, "out of memory (plot script)");
    char dat[200];
    snprintf(dat, sizeof dat, "data/%s.dat", b);
    fprintf(f, "set title ");
    gp_strf(f, "%s: %s on the prune split after each pruning step (mean over seeds; band: min to max)",
            v->tasks[t].name, v->tasks[t].metric);
    fprintf(f, "\nset xlabel 'pruning step (0 = before any head is removed)'\nset ylabel ");
    gp_strf(f, "%s (prune split)", v->tasks[t].metric);
    fprintf(f, "\nset key below\nset grid\nset autoscale xfix\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
               "set style fill transparent solid 0.15 noborder\nplot \\\n");
    for (int k = 0; k < nblocks; k++) {
        const int m = blocks[k];
        fprintf(f, "  ");
        gp_str(f, dat);
        fprintf(f, " index %d using 1:3:4 with filledcurves lc rgb '%s' notitle, \\\n  ", k, method_colour(m));
        gp_str(f, dat);
        fprintf(f, " index %d using 1:2 with linespoints lw 2 pt %d ps %g lc rgb '%s' title ", k, method_point(m),
                0.9 + 0.25 * (m % 3), method_colour(m));
        gp_strf(f, "%s (path to ratio %g)", v->methods[m], at[k]);
        fprintf(f, "%s\n", k + 1 < nblocks ? ", \\" : "");
    }
    fclose(f);
    emit(c, b, 960, 540, body);
    free(body);
    snprintf(fig->caption, sizeof fig->caption,
             "%s on the prune split after each step of the methods that record their path, at their largest "
             "ratio (mean over seeds, band min to max)",
             v->tasks[t].metric);
    return HS_OK;
}

/* ---- running gnuplot ----------------------------------------------------------- */

int hs_plot_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path) return 0;
    char dir[4096];
    for (const char *p = path;;) {
        const char *e = strchr(p, ':');
        const size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(dir, sizeof dir, "%.*s/gnuplot", (int)(n ? n : 1), n ? p : ".");
        if (access(dir, X_OK) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static hs_status mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    if (hs_mkdir_p(buf) != 0)
        return hs_error_set(HS_ERR_IO, "cannot create the folder %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return hs_error_set(HS_ERR_INPUT, "%s is not a folder", path);
    return HS_OK;
}

/* Runs `gnuplot plots.gp` in dir, its output into dir/gnuplot.log. */
static hs_status run_gnuplot(const char *dir)
{
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) return hs_error_set(HS_ERR_INTERNAL, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        const int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char *argv[] = {"gnuplot", "plots.gp", NULL};
        execvp("gnuplot", argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return hs_error_set(HS_ERR_INTERNAL, "waiting for gnuplot: %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return HS_OK;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return hs_error_set(HS_ERR_INPUT, "gnuplot is not installed (install the Debian package gnuplot-nox)");
    char log[4400], line[512] = "", last[512] = "";
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    FILE *f = fopen(log, "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (line[strspn(line, " \t\r\n^")]) snprintf(last, sizeof last, "%s", line);
        fclose(f);
    }
    last[strcspn(last, "\r\n")] = 0;
    return hs_error_set(HS_ERR_INTERNAL, "gnuplot failed (%s %d): %s (see %s and %s/plots.gp)",
                        WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last, log,
                        dir);
}

hs_status hs_plot_make(hs_rview *v, const hs_plot_opts *o, hs_plot_list *out)
{
    memset(out, 0, sizeof *out);
    if (!hs_plot_have_gnuplot())
        return hs_error_set(HS_ERR_INPUT, "gnuplot is not installed or not on PATH (install the Debian package "
                                          "gnuplot-nox)");
    char data[4200];
    snprintf(data, sizeof data, "%s/data", o->dir);
    HS_CHECK(mkdirs(o->dir));
    HS_CHECK(mkdirs(data));
    char script[4200];
    snprintf(script, sizeof script, "%s/plots.gp", o->dir);
    ctx c = {v, o, fopen(script, "w"), out};
    if (!c.gp) return hs_error_set(HS_ERR_IO, "cannot write %s: %s", script, strerror(errno));
    fprintf(c.gp, "# plots.gp — written by headsweep plot from ");
    for (const char *p = v->path; *p; p++) fputc((unsigned char)*p < 0x20 ? '?' : *p, c.gp);
    fprintf(c.gp, "\n# redraw: cd into this folder, then: gnuplot plots.gp\nset encoding utf8\n");
    hs_status s = HS_OK;
    for (int t = 0; t < v->n_tasks && s == HS_OK; t++) {
        double r[2];
        if (!ratios_of(v, t, -1, r, 2)) continue; /* nothing done yet */
        s = fig_tradeoff(&c, t, HS_QC_METRIC_PRUNED, 0);
        int finetuned = 0;
        for (long i = 0; i < v->np && !finetuned; i++)
            finetuned = v->pt_task[i] == t && v->pts[i].status == HS_STATUS_DONE &&
                        isfinite(v->pts[i].metric_finetuned) && v->pts[i].metric_finetuned != v->pts[i].metric_pruned;
        if (s == HS_OK && finetuned) s = fig_tradeoff(&c, t, HS_QC_METRIC_FINETUNED, 1);
        for (int m = 0; m < v->n_methods && s == HS_OK; m++) s = fig_heads(&c, t, m);
        if (s == HS_OK) s = fig_curve(&c, t);
    }
    const int bad = ferror(c.gp);
    if (fclose(c.gp) != 0 || bad) s = s != HS_OK ? s : hs_error_set(HS_ERR_IO, "cannot write %s (disk full?)", script);
    if (s == HS_OK && out->n) s = run_gnuplot(o->dir);
    /* every file promised must be there */
    for (int i = 0; i < out->n && s == HS_OK; i++)
        for (int fmt = 0; fmt < 2 && s == HS_OK; fmt++) {
            if ((fmt == 0 && !o->png) || (fmt == 1 && !o->svg)) continue;
            char path[4400];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s.%s", o->dir, out->figs[i].base, fmt ? "svg" : "png");
            if (stat(path, &st) != 0 || st.st_size == 0)
                s = hs_error_set(HS_ERR_INTERNAL, "gnuplot did not write %s (see %s/gnuplot.log)", path, o->dir);
        }
    return s;
}

hs_status hs_plot_parse_formats(const char *text, int *png, int *svg)
{
    *png = *svg = 0;
    if (!strcmp(text, "png")) *png = 1;
    else if (!strcmp(text, "svg")) *svg = 1;
    else if (!strcmp(text, "png,svg") || !strcmp(text, "svg,png")) *png = *svg = 1;
    else return hs_error_set(HS_ERR_INPUT, "--format '%s': expected png, svg or png,svg", text);
    return HS_OK;
}
