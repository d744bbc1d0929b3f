/* cmd_plot.c — `headsweep plot RESULTS.h5 -o DIR`: its options, then the
 * figures of src/query/plot.h, and the list of what was written. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../query/plot.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep plot RESULTS.h5 -o DIR [--band minmax|std] [--x ratio|measured]\n"
    "                      [--ratios R1,R2,...] [--format png,svg]\n\n"
    "Draws, through gnuplot, for every task: the trade-off curve (metric vs fraction of\n"
    "heads pruned, one line per method: mean over seeds with a band, the base model\n"
    "dashed; also after fine-tuning when the sweep fine-tuned), per method a heatmap of\n"
    "how often each head survived at chosen ratios and of its mean importance, and the\n"
    "prune-split metric along the path of methods that record one. Writes DIR/*.png and\n"
    "DIR/*.svg, the script DIR/plots.gp and its data DIR/data/*.dat (redraw: cd DIR &&\n"
    "gnuplot plots.gp). Needs gnuplot (Debian package gnuplot-nox).\n\n"
    "  -o, --output DIR   folder for the figures (created if missing)\n"
    "  --band B           band around the mean: minmax (over seeds, default) or std (+/- 1 std)\n"
    "  --x X              x axis: ratio (the sweep's, default) or measured (1 - heads_kept/heads_total)\n"
    "  --ratios LIST      ratios of the survival heatmaps (at most 6) [up to 6 nonzero ratios]\n"
    "  --format LIST      png, svg or png,svg [png,svg]\n";

int hs_cmd_plot(int argc, char **argv)
{
    enum { O_BAND = 256, O_X, O_RATIOS, O_FORMAT, O_HELP };
    static const struct option opts[] = {{"output", 1, 0, 'o'},    {"band", 1, 0, O_BAND},
                                         {"x", 1, 0, O_X},         {"ratios", 1, 0, O_RATIOS},
                                         {"format", 1, 0, O_FORMAT}, {"help", 0, 0, O_HELP},
                                         {0, 0, 0, 0}};
    hs_plot_opts o = {NULL, 0, 0, NULL, 0, 1, 1};
    double ratios[HS_PLOT_MAX_RATIOS];
    hs_cli_parser p = {.name = "plot", .shortopts = "o:", .longopts = opts, .help = O_HELP, .help_text = help,
                       .arg = "RESULTS.h5", .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case 'o': o.dir = optarg; break;
        case O_BAND:
            if (!strcmp(optarg, "minmax")) o.band_std = 0;
            else if (!strcmp(optarg, "std")) o.band_std = 1;
            else s = hs_error_set(HS_ERR_INPUT, "--band '%s': expected minmax or std", optarg);
            break;
        case O_X:
            if (!strcmp(optarg, "ratio")) o.x_actual = 0;
            else if (!strcmp(optarg, "measured")) o.x_actual = 1;
            else s = hs_error_set(HS_ERR_INPUT, "--x '%s': expected ratio or measured", optarg);
            break;
        case O_RATIOS: {
            o.n_ratios = 0;
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", optarg);
            for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && s == HS_OK;
                 tok = strtok_r(NULL, ",", &save)) {
                if (o.n_ratios == HS_PLOT_MAX_RATIOS) s = hs_error_set(HS_ERR_INPUT, "--ratios: at most %d", HS_PLOT_MAX_RATIOS);
                else s = hs_parse_double("--ratios", tok, 0, 1, &ratios[o.n_ratios++]);
            }
            if (s == HS_OK && !o.n_ratios) s = hs_error_set(HS_ERR_INPUT, "--ratios: expected a list of ratios");
            o.ratios = ratios;
            break;
        }
        case O_FORMAT: s = hs_plot_parse_formats(optarg, &o.png, &o.svg); break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s == HS_OK && !o.dir) s = hs_error_set(HS_ERR_INPUT, "plot: -o DIR is required (the folder for the figures)");
    if (s != HS_OK) return hs_cli_report(s);
    /* a missing gnuplot is reported before the file is even read */
    if (!hs_plot_have_gnuplot())
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "gnuplot is not installed or not on PATH (install the "
                                                        "Debian package gnuplot-nox)"));
    hs_rview *v = NULL;
    hs_plot_list list = {0, NULL};
    s = hs_rview_open(argv[optind], &v);
    if (s == HS_OK) s = hs_plot_make(v, &o, &list);
    if (s == HS_OK) {
        if (!list.n) printf("no figures: %s has no done points yet\n", argv[optind]);
        for (int i = 0; i < list.n; i++)
            printf("wrote %s/%s%s%s\n", o.dir, list.figs[i].base, o.png ? ".png" : "",
                   o.svg ? (o.png ? " and .svg" : ".svg") : "");
        if (list.n) printf("script: %s/plots.gp (redraw: cd %s && gnuplot plots.gp)\n", o.dir, o.dir);
    }
    hs_plot_list_free(&list);
    hs_rview_close(&v);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
