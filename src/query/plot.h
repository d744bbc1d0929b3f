/* plot.h — the figures of a results file, drawn by gnuplot (`plot` writes
 * them to a folder, `report` embeds them in a page). For every task:
 *
 *   tradeoff_<task>            metric after pruning vs fraction of heads
 *                              pruned, one line per method (mean over seeds)
 *                              with a band (min–max or ±std), the base
 *                              model's metric as a dashed reference line
 *   tradeoff_finetuned_<task>  the same after fine-tuning (only when the
 *                              sweep fine-tuned: some metric changed)
 *   heads_<task>_<method>      per method: how often each head (layer ×
 *                              head) survived at chosen ratios, and the mean
 *                              importance of each head
 *   curve_<task>               the prune-split metric after each step of the
 *                              methods that record a path (iterative ones)
 *
 * each as .png and .svg (or only one of them), with the gnuplot script
 * (plots.gp), its data (data/NAME.dat) and gnuplot's messages (gnuplot.log) in
 * the same folder: `cd DIR && gnuplot plots.gp` redraws them. Strings from
 * the data reach gnuplot only as single-quoted strings (no backquote or
 * macro expansion happens there) with control characters replaced, and file
 * names are reduced to [A-Za-z0-9._-]. A method keeps its colour in every
 * figure (its index in sweep order picks it). */
#ifndef HS_QUERY_PLOT_H
#define HS_QUERY_PLOT_H

#include "results_view.h"

#define HS_PLOT_MAX_RATIOS 6 /* survival panels of a heads figure */

enum { HS_FIG_TRADEOFF, HS_FIG_TRADEOFF_FT, HS_FIG_HEADS, HS_FIG_CURVE };

typedef struct {
    const char *dir;       /* output folder (created if missing) */
    int band_std;          /* 0: band from min to max over seeds; 1: mean ± std */
    int x_actual;          /* 0: x = the sweep's ratio; 1: x = heads_pruned_frac as measured */
    const double *ratios;  /* heatmap ratios, or NULL: up to 6 of each method's nonzero ratios */
    int n_ratios;          /* at most HS_PLOT_MAX_RATIOS */
    int png, svg;          /* formats to draw */
} hs_plot_opts;

typedef struct {
    int kind;        /* HS_FIG_* */
    int task;        /* index into the view's tasks */
    int method;      /* index into the view's methods (HS_FIG_HEADS), else -1 */
    char base[160];  /* file name without extension, in dir */
    char caption[512];
} hs_plot_fig;

typedef struct {
    int n;
    hs_plot_fig *figs;
} hs_plot_list;

/* 1 if a gnuplot program is on PATH. */
int hs_plot_have_gnuplot(void);

/* Writes the data and script for every figure into o->dir and runs gnuplot
 * there; *out lists the figures (on failure: those whose files may exist);
 * the caller frees it with hs_plot_list_free in either case. No
 * gnuplot on PATH is HS_ERR_INPUT naming the Debian package (gnuplot-nox);
 * gnuplot failing is HS_ERR_INTERNAL with its last message. */
hs_status hs_plot_make(hs_rview *v, const hs_plot_opts *o, hs_plot_list *out);

void hs_plot_list_free(hs_plot_list *l);

/* Parses a --format list of figure formats ("png", "svg", "png,svg"). */
hs_status hs_plot_parse_formats(const char *text, int *png, int *svg);

#endif
