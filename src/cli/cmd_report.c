/* cmd_report.c — `headsweep report RESULTS.h5 -o report.html`: one
 * self-contained HTML page (no external files: figures are PNGs embedded as
 * base64 data: URIs) with the provenance of a sweep (its sweep file, tool
 * versions, dates, hosts), counts and failures with their messages, and per
 * task the figures of plot.h and a summary table. Everything taken from the
 * data is HTML-escaped. The page is written to FILE.tmp and renamed, so a
 * failure leaves no half page. Size: the PNGs dominate (~50 KB each). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../query/plot.h"
#include "../query/results_view.h"
#include "../query/table_fmt.h"
#include "cli.h"
#include "config.h"

static const char help[] =
    "usage: headsweep report RESULTS.h5 -o report.html [--plots-dir DIR] [--band minmax|std]\n"
    "                        [--no-plots]\n\n"
    "Writes one self-contained HTML page: provenance (the sweep file, tool versions,\n"
    "dates, hosts), counts and failures with their messages, then per task the figures of\n"
    "`headsweep plot` (embedded) and a summary table by method and ratio. Works while the\n"
    "sweep runs. Needs gnuplot (Debian package gnuplot-nox) unless --no-plots.\n\n"
    "  -o, --output FILE  the page to write\n"
    "  --plots-dir DIR    keep the figures, their script and data in DIR (default: a\n"
    "                     temporary folder, removed afterwards)\n"
    "  --band B           band of the trade-off curves: minmax (default) or std\n"
    "  --no-plots         tables only (no gnuplot needed)\n";

/* ---- base64 (RFC 4648, with padding) ------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes n bytes of in to f; 76-character lines are not needed in a URI. */
static void base64_write(FILE *f, const unsigned char *in, size_t n)
{
    char out[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[0] = b64[v >> 18 & 63];
        out[1] = b64[v >> 12 & 63];
        out[2] = b64[v >> 6 & 63];
        out[3] = b64[v & 63];
        fwrite(out, 1, 4, f);
    }
    if (n - i == 1) {
        const unsigned v = (unsigned)in[i] << 16;
        out[0] = b64[v >> 18 & 63];
        out[1] = b64[v >> 12 & 63];
        out[2] = out[3] = '=';
        fwrite(out, 1, 4, f);
    } else if (n - i == 2) {
        const unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[0] = b64[v >> 18 & 63];
        out[1] = b64[v >> 12 & 63];
        out[2] = b64[v >> 6 & 63];
        out[3] = '=';
        fwrite(out, 1, 4, f);
    }
}

/* Embeds the PNG at path as an <img>. */
static hs_status embed_png(FILE *f, const char *path, const char *alt)
{
    FILE *in = fopen(path, "rb");
    if (!in) return hs_error_set(HS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    struct stat st;
    unsigned char *buf = NULL;
    hs_status s = fstat(fileno(in), &st) == 0 && st.st_size > 0
                      ? hs_calloc((void **)&buf, (size_t)st.st_size, 1, "figure")
                      : hs_error_set(HS_ERR_IO, "%s is empty", path);
    if (s == HS_OK && fread(buf, 1, (size_t)st.st_size, in) != (size_t)st.st_size)
        s = hs_error_set(HS_ERR_IO, "cannot read %s", path);
    fclose(in);
    if (s == HS_OK) {
        fputs("<img src=\"data:image/png;base64,", f);
        base64_write(f, buf, (size_t)st.st_size);
        fputs("\" alt=\"", f);
        hs_html_escape(f, alt);
        fputs("\">", f);
    }
    hs_free(buf);
    return s;
}

/* ---- pieces of the page ------------------------------------------------------------ */

static void put_time(FILE *f, double t)
{
    if (!(t > 0) || !isfinite(t)) {
        fputs("&ndash;", f);
        return;
    }
    const time_t tt = (time_t)t;
    struct tm tm;
    char buf[64];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fputs(buf, f);
}

static void put_field(FILE *f, const char *field, size_t width)
{
    char buf[HS_ERROR_LEN + 1];
    const size_t n = strnlen(field, width);
    memcpy(buf, field, n);
    buf[n] = 0;
    hs_html_escape(f, buf);
}

static void kv_row(FILE *f, const char *key, const char *value)
{
    fprintf(f, "<tr><th>%s</th><td>", key);
    hs_html_escape(f, value);
    fputs("</td></tr>\n", f);
}

static void provenance(FILE *f, const hs_rview *v)
{
    double first = INFINITY, last = 0, work = 0;
    for (long i = 0; i < v->np; i++)
        if (v->pts[i].status != HS_STATUS_PENDING) {
            if (v->pts[i].start_time > 0) first = fmin(first, v->pts[i].start_time);
            last = fmax(last, v->pts[i].end_time);
            if (isfinite(v->pts[i].wall_seconds)) work += v->pts[i].wall_seconds;
        }
    for (long i = 0; i < v->nb; i++)
        if (v->bases[i].status != HS_STATUS_PENDING) {
            if (v->bases[i].start_time > 0) first = fmin(first, v->bases[i].start_time);
            last = fmax(last, v->bases[i].end_time);
            if (isfinite(v->bases[i].wall_seconds)) work += v->bases[i].wall_seconds;
        }
    fputs("<h2 id=\"provenance\">Provenance</h2>\n<table class=\"kv\">\n", f);
    kv_row(f, "results file", v->path);
    kv_row(f, "sweep file", v->sweep_path[0] ? v->sweep_path : "(not recorded)");
    kv_row(f, "sweep fingerprint", v->fingerprint);
    fputs("<tr><th>written by</th><td>headsweep ", f);
    hs_html_escape(f, v->tool_version[0] ? v->tool_version : "(version not recorded)");
    fputs("</td></tr>\n<tr><th>this report by</th><td>headsweep ", f);
    hs_html_escape(f, hs_cli_version());
    fputs(", ", f);
    put_time(f, (double)time(NULL));
    fputs("</td></tr>\n", f);
    kv_row(f, "file created", v->created);
    fputs("<tr><th>work</th><td>", f);
    if (last > 0 && isfinite(first)) {
        put_time(f, first);
        fputs(" to ", f);
        put_time(f, last);
        fprintf(f, " (%.0f s; %.0f s of work in jobs)", last - first, work);
    } else {
        fputs("nothing has run yet", f);
    }
    fputs("</td></tr>\n<tr><th>hosts</th><td>", f);
    /* distinct hosts with how many jobs ran on each (points and base jobs) */
    int shown = 0;
    for (long i = 0; i < v->np + v->nb; i++) {
        const char *h = i < v->np ? v->pts[i].host : v->bases[i - v->np].host;
        const int st = i < v->np ? v->pts[i].status : v->bases[i - v->np].status;
        if (st == HS_STATUS_PENDING || !h[0]) continue;
        int seen = 0;
        for (long j = 0; j < i && !seen; j++) {
            const char *g = j < v->np ? v->pts[j].host : v->bases[j - v->np].host;
            const int sj = j < v->np ? v->pts[j].status : v->bases[j - v->np].status;
            seen = sj != HS_STATUS_PENDING && !strncmp(g, h, HS_HOST_LEN);
        }
        if (seen) continue;
        long n = 0;
        for (long j = i; j < v->np + v->nb; j++) {
            const char *g = j < v->np ? v->pts[j].host : v->bases[j - v->np].host;
            const int sj = j < v->np ? v->pts[j].status : v->bases[j - v->np].status;
            n += sj != HS_STATUS_PENDING && !strncmp(g, h, HS_HOST_LEN);
        }
        fputs(shown ? ", " : "", f);
        put_field(f, h, HS_HOST_LEN);
        fprintf(f, " (%ld job%s)", n, n == 1 ? "" : "s");
        if (++shown == 100) break;
    }
    if (!shown) fputs("&ndash;", f);
    fputs("</td></tr>\n</table>\n<details open><summary>The sweep file</summary>\n<pre>", f);
    hs_html_escape(f, hs_results_sweep_text(v->res));
    fputs("</pre>\n</details>\n", f);
}

static void counts(FILE *f, const hs_rview *v)
{
    long b[3] = {0}, p[3] = {0};
    for (long i = 0; i < v->nb; i++) b[v->bases[i].status >= 0 && v->bases[i].status <= 2 ? v->bases[i].status : 0]++;
    for (long i = 0; i < v->np; i++) p[v->pts[i].status >= 0 && v->pts[i].status <= 2 ? v->pts[i].status : 0]++;
    fputs("<h2 id=\"counts\">Counts</h2>\n<table>\n<thead><tr><th></th><th class=\"num\">done</th>"
          "<th class=\"num\">failed</th><th class=\"num\">pending</th><th class=\"num\">total</th></tr></thead>\n",
          f);
    fprintf(f, "<tr><th>base jobs</th><td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
               "<td class=\"num\">%ld</td></tr>\n",
            b[1], b[2], b[0], v->nb);
    fprintf(f, "<tr><th>points</th><td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
               "<td class=\"num\">%ld</td></tr>\n</table>\n",
            p[1], p[2], p[0], v->np);
    fputs("<table>\n<thead><tr><th>task</th><th>metric</th><th class=\"num\">base model (mean)</th>"
          "<th class=\"num\">base min</th><th class=\"num\">base max</th><th class=\"num\">seeds</th>"
          "<th class=\"num\">points done</th><th class=\"num\">failed</th><th class=\"num\">pending</th></tr></thead>\n",
          f);
    for (int t = 0; t < v->n_tasks; t++) {
        long c[3] = {0};
        for (long i = 0; i < v->np; i++)
            if (v->pt_task[i] == t) c[v->pts[i].status >= 0 && v->pts[i].status <= 2 ? v->pts[i].status : 0]++;
        const hs_rview_task *k = &v->tasks[t];
        fputs("<tr><td>", f);
        hs_html_escape(f, k->name);
        fputs("</td><td>", f);
        hs_html_escape(f, k->metric);
        if (k->base_n) fprintf(f, "</td><td class=\"num\">%.4g</td><td class=\"num\">%.4g</td><td class=\"num\">%.4g",
                               k->base_mean, k->base_min, k->base_max);
        else fputs("</td><td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td><td class=\"num\">&ndash;", f);
        fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
                   "<td class=\"num\">%ld</td></tr>\n",
                k->base_n, c[1], c[2], c[0]);
    }
    fputs("</table>\n", f);
}

#define MAX_FAILURES 200

static hs_status failures(FILE *f, hs_rview *v)
{
    long n = 0;
    for (long i = 0; i < v->nb; i++) n += v->bases[i].status == HS_STATUS_FAILED;
    for (long i = 0; i < v->np; i++) n += v->pts[i].status == HS_STATUS_FAILED;
    fprintf(f, "<h2 id=\"failures\">Failures (%ld)</h2>\n", n);
    if (!n) {
        fputs("<p>None.</p>\n", f);
        return HS_OK;
    }
    fputs("<table class=\"failures\">\n<thead><tr><th>job</th><th>task</th><th>method</th><th class=\"num\">ratio</th>"
          "<th class=\"num\">seed</th><th class=\"num\">attempts</th><th>host</th><th>message</th></tr></thead>\n",
          f);
    long shown = 0;
    char err[HS_ERROR_LEN + 1];
    for (long i = 0; i < v->nb && shown < MAX_FAILURES; i++) {
        const hs_base_row *b = &v->bases[i];
        if (b->status != HS_STATUS_FAILED) continue;
        HS_CHECK(hs_rview_error(v, i, 1, err, sizeof err));
        fprintf(f, "<tr><td>base job %ld</td><td>", i);
        put_field(f, b->task, HS_NAME_LEN);
        fprintf(f, "</td><td>(training)</td><td class=\"num\">&ndash;</td><td class=\"num\">%lld</td>"
                   "<td class=\"num\">%d</td><td>",
                (long long)b->seed, b->attempts);
        put_field(f, b->host, HS_HOST_LEN);
        fputs("</td><td>", f);
        hs_html_escape(f, err);
        fputs("</td></tr>\n", f);
        shown++;
    }
    for (long i = 0; i < v->np && shown < MAX_FAILURES; i++) {
        const hs_point_row *p = &v->pts[i];
        if (p->status != HS_STATUS_FAILED) continue;
        HS_CHECK(hs_rview_error(v, i, 0, err, sizeof err));
        fprintf(f, "<tr><td><a href=\"#point-%lld\">point %lld</a></td><td>", (long long)p->id, (long long)p->id);
        put_field(f, p->task, HS_NAME_LEN);
        fputs("</td><td>", f);
        put_field(f, p->method, HS_NAME_LEN);
        fprintf(f, "</td><td class=\"num\">%g</td><td class=\"num\">%lld</td><td class=\"num\">%d</td><td>", p->ratio,
                (long long)p->seed, p->attempts);
        put_field(f, p->host, HS_HOST_LEN);
        fputs("</td><td>", f);
        hs_html_escape(f, err);
        fputs("</td></tr>\n", f);
        shown++;
    }
    fputs("</table>\n", f);
    if (n > shown) fprintf(f, "<p>&hellip; and %ld more (<code>headsweep status</code> lists them).</p>\n", n - shown);
    return HS_OK;
}

/* Summary of task t: one row per (method, ratio) over its done points. */
static hs_status summary(FILE *f, const hs_rview *v, int t)
{
    long *sel = NULL, n = 0;
    HS_CHECK(hs_calloc((void **)&sel, (size_t)v->np + 1, sizeof *sel, "selection"));
    for (long i = 0; i < v->np; i++)
        if (v->pt_task[i] == t && v->pts[i].status == HS_STATUS_DONE) sel[n++] = i;
    const int group[] = {HS_QC_METHOD, HS_QC_RATIO};
    const int cols[] = {HS_QC_METRIC_PRUNED, HS_QC_METRIC_FINETUNED, HS_QC_HEADS_PRUNED_FRAC, HS_QC_FLOPS_RATIO,
                        HS_QC_LATENCY_RATIO};
    hs_table *tab = NULL;
    hs_status s = hs_rview_table(v, sel, n, group, 2, cols, 5, NULL, 0, &tab);
    if (s == HS_OK) {
        /* the spread of the metrics; means only for the costs */
        static const char *const hide[] = {"metric_finetuned_min", "metric_finetuned_max", "heads_pruned_frac_std",
                                           "heads_pruned_frac_min", "heads_pruned_frac_max", "flops_ratio_std",
                                           "flops_ratio_min", "flops_ratio_max", "latency_ratio_min",
                                           "latency_ratio_max"};
        for (size_t k = 0; k < sizeof hide / sizeof *hide; k++) hs_table_hide(tab, hide[k], 1);
        fputs("<h3>Summary by method and ratio</h3>\n<p class=\"note\">Over the done points of each method and "
              "ratio (n: how many; the seeds). metric_pruned: test-split ",
              f);
        hs_html_escape(f, v->tasks[t].metric);
        fputs(" right after pruning; metric_finetuned: after fine-tuning (equal to metric_pruned when the sweep does "
              "not fine-tune); heads_pruned_frac: 1 &minus; heads kept / heads; flops_ratio and latency_ratio: the "
              "pruned model's share of the base model's.</p>\n<div class=\"wide\">\n",
              f);
        s = hs_table_write(tab, f, HS_TFMT_HTML);
        fputs("</div>\n", f);
    }
    hs_table_destroy(&tab);
    hs_free(sel);
    return s;
}

static const char css[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.4}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.8em 0;font-size:.9em}"
    "th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}"
    "thead th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    "table.kv th{background:#f8f8f8;white-space:nowrap}"
    "pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:.85em}"
    "figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:.9em;color:#555}.note{font-size:.9em;color:#555}.wide{overflow-x:auto}"
    "nav ul{columns:2}";

static void task_anchor(char *buf, size_t n, int t) { snprintf(buf, n, "task-%d", t); }
/* A word for a shell command line, HTML-escaped: quoted with '...' unless it
 * is only safe characters (paths as the user typed them). */
static void put_shell_word(FILE *f, const char *w)
{
    int plain = *w != 0;
    for (const char *c = w; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("/._-+,:=@%", *c);
    if (plain) {
        hs_html_escape(f, w);
        return;
    }
    fputs("&#39;", f);
    char one[2] = {0, 0};
    for (const char *c = w; *c; c++) {
        if (*c == '\'') {
            fputs("&#39;\\&#39;&#39;", f);
            continue;
        }
        one[0] = *c;
        hs_html_escape(f, one);
    }
    fputs("&#39;", f);
}

/* Every point of task t, each row with the commands that re-run it (`prune
 * --point`, compared with the row) and export its model (docs/results-format.md
 * "Re-running and exporting one point"); row ids are anchors: #point-N. */
static hs_status points(FILE *f, const hs_rview *v, int t)
{
    long n = 0;
    for (long i = 0; i < v->np; i++) n += v->pt_task[i] == t;
    if (!n) return HS_OK;
    char pre[64];
    int found = 0;
    /* a pretrained model exports as a Hugging Face folder, ours as a checkpoint */
    if (hs_results_task_attr(v->res, v->tasks[t].name, "pretrained", pre, sizeof pre, &found) != HS_OK) {
        hs_error_clear(); /* no /tasks/<name> (a file written by hand): a checkpoint then */
        found = 0;
    }
    fprintf(f, "<details>\n<summary>Points (%ld): each row with the commands that re-run it and export its "
               "model</summary>\n<p class=\"note\"><code>prune --point N</code> re-runs the point with the sweep's "
               "settings and checks it bit for bit against its row; <code>export --point N</code> writes ",
            n);
    fputs(found ? "its pruned model as a Hugging Face folder (the model metric_pruned measured)"
                : "its pruned, fine-tuned model as a headsweep checkpoint, the pruned heads removed (the model "
                  "metric_finetuned measured: <code>headsweep infer OUT --eval</code>)",
          f);
    fputs(".</p>\n<div class=\"wide\">\n<table class=\"points\">\n<thead><tr><th class=\"num\">id</th><th>method</th>"
          "<th class=\"num\">ratio</th><th class=\"num\">seed</th><th>status</th><th class=\"num\">metric_pruned</th>"
          "<th class=\"num\">metric_finetuned</th><th class=\"num\">heads kept</th><th>re-run, export</th></tr></thead>\n",
          f);
    static const char *const status[] = {"pending", "done", "failed"};
    for (long i = 0; i < v->np; i++) {
        if (v->pt_task[i] != t) continue;
        const hs_point_row *p = &v->pts[i];
        const int st = p->status >= 0 && p->status <= 2 ? p->status : 0;
        fprintf(f, "<tr id=\"point-%lld\"><td class=\"num\">%lld</td><td>", (long long)p->id, (long long)p->id);
        put_field(f, p->method, HS_NAME_LEN);
        fprintf(f, "</td><td class=\"num\">%g</td><td class=\"num\">%lld</td><td>%s</td>", p->ratio,
                (long long)p->seed, status[st]);
        if (st == HS_STATUS_DONE)
            fprintf(f, "<td class=\"num\">%.4g</td><td class=\"num\">%.4g</td><td class=\"num\">%d/%d</td>",
                    p->metric_pruned, p->metric_finetuned, p->heads_kept, p->heads_total);
        else
            fputs("<td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td>", f);
        fputs("<td><code>headsweep prune ", f);
        put_shell_word(f, v->path);
        fprintf(f, " --point %lld</code>", (long long)p->id);
        if (st == HS_STATUS_DONE) {
            fputs("<br><code>headsweep export ", f);
            put_shell_word(f, v->path);
            fprintf(f, found ? " --point %lld -o point-%lld/</code>" : " --point %lld -o point-%lld.h5</code>",
                    (long long)p->id, (long long)p->id);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</div>\n</details>\n", f);
    return HS_OK;
}

static hs_status write_page(FILE *f, hs_rview *v, const hs_plot_list *figs, const char *dir)
{
    const char *base = strrchr(v->path, '/') ? strrchr(v->path, '/') + 1 : v->path;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>headsweep report: ", f);
    hs_html_escape(f, base);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>headsweep report: ", css);
    hs_html_escape(f, base);
    fputs("</h1>\n<nav><ul><li><a href=\"#provenance\">Provenance</a></li><li><a href=\"#counts\">Counts</a></li>"
          "<li><a href=\"#failures\">Failures</a></li>",
          f);
    char anchor[32];
    for (int t = 0; t < v->n_tasks; t++) {
        task_anchor(anchor, sizeof anchor, t);
        fprintf(f, "<li><a href=\"#%s\">Task ", anchor);
        hs_html_escape(f, v->tasks[t].name);
        fputs("</a></li>", f);
    }
    fputs("</ul></nav>\n", f);
    provenance(f, v);
    counts(f, v);
    HS_CHECK(failures(f, v));
    for (int t = 0; t < v->n_tasks; t++) {
        const hs_rview_task *k = &v->tasks[t];
        task_anchor(anchor, sizeof anchor, t);
        fprintf(f, "<h2 id=\"%s\">Task ", anchor);
        hs_html_escape(f, k->name);
        fputs("</h2>\n<p>Metric: ", f);
        hs_html_escape(f, k->metric);
        if (k->layers && k->heads) fprintf(f, "; model: %d layers &times; %d heads", k->layers, k->heads);
        if (k->base_n) fprintf(f, "; base model %.4g (mean of %d seed%s, %.4g to %.4g)", k->base_mean, k->base_n,
                               k->base_n == 1 ? "" : "s", k->base_min, k->base_max);
        fputs(".</p>\n", f);
        int drawn = 0;
        /* trade-off first, then the path, then the heads of each method */
        static const int order[] = {HS_FIG_TRADEOFF, HS_FIG_TRADEOFF_FT, HS_FIG_CURVE, HS_FIG_HEADS};
        for (int o = 0; o < 4; o++)
            for (int i = 0; figs && i < figs->n; i++) {
                const hs_plot_fig *g = &figs->figs[i];
                if (g->task != t || g->kind != order[o]) continue;
                char path[4400];
                snprintf(path, sizeof path, "%s/%s.png", dir, g->base);
                fputs("<figure>", f);
                HS_CHECK(embed_png(f, path, g->caption));
                fputs("<figcaption>", f);
                hs_html_escape(f, g->caption);
                fputs("</figcaption></figure>\n", f);
                drawn++;
            }
        if (!drawn && figs) fputs("<p class=\"note\">No figures: no point of this task is done yet.</p>\n", f);
        HS_CHECK(summary(f, v, t));
        HS_CHECK(points(f, v, t));
    }
    fputs("</body>\n</html>\n", f);
    return HS_OK;
}

/* Removes what hs_plot_make wrote into a temporary folder, then the folder. */
static void remove_plots(const char *dir, const hs_plot_list *figs)
{
    char path[4400];
    for (int i = 0; i < figs->n; i++) {
        static const char *const fmt[] = {"%s/%s.png", "%s/%s.svg", "%s/data/%s.dat"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, fmt[k], dir, figs->figs[i].base);
            unlink(path);
        }
    }
    snprintf(path, sizeof path, "%s/plots.gp", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/gnuplot.log", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/data", dir);
    rmdir(path);
    rmdir(dir);
}

int hs_cmd_report(int argc, char **argv)
{
    enum { O_PLOTS = 256, O_BAND, O_NOPLOTS, O_HELP };
    static const struct option opts[] = {{"output", 1, 0, 'o'},   {"plots-dir", 1, 0, O_PLOTS},
                                         {"band", 1, 0, O_BAND},  {"no-plots", 0, 0, O_NOPLOTS},
                                         {"help", 0, 0, O_HELP},  {0, 0, 0, 0}};
    const char *out = NULL, *plots_dir = NULL;
    int band_std = 0, no_plots = 0;
    hs_cli_parser p = {.name = "report", .shortopts = "o:", .longopts = opts, .help = O_HELP, .help_text = help,
                       .arg = "RESULTS.h5", .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_PLOTS: plots_dir = optarg; break;
        case O_NOPLOTS: no_plots = 1; break;
        case O_BAND:
            if (!strcmp(optarg, "minmax")) band_std = 0;
            else if (!strcmp(optarg, "std")) band_std = 1;
            else s = hs_error_set(HS_ERR_INPUT, "--band '%s': expected minmax or std", optarg);
            break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s == HS_OK && !out) s = hs_error_set(HS_ERR_INPUT, "report: -o FILE is required (the HTML page to write)");
    if (s == HS_OK && !no_plots && !hs_plot_have_gnuplot())
        s = hs_error_set(HS_ERR_INPUT, "gnuplot is not installed or not on PATH (install the Debian package "
                                       "gnuplot-nox, or use --no-plots)");
    if (s != HS_OK) return hs_cli_report(s);

    hs_rview *v = NULL;
    hs_plot_list figs = {0, NULL};
    char tmpdir[4096] = "", tmp_out[4200];
    int made_tmp = 0;
    FILE *f = NULL;
    s = hs_rview_open(argv[optind], &v);
    if (s == HS_OK && !no_plots) {
        const char *dir = plots_dir;
        if (!dir) {
            const char *base = getenv("TMPDIR");
            snprintf(tmpdir, sizeof tmpdir, "%s/headsweep-report-XXXXXX", base && *base ? base : "/tmp");
            if (!mkdtemp(tmpdir)) s = hs_error_set(HS_ERR_IO, "cannot create a temporary folder: %s", strerror(errno));
            else made_tmp = 1;
            dir = tmpdir;
        } else {
            snprintf(tmpdir, sizeof tmpdir, "%s", plots_dir);
        }
        const hs_plot_opts po = {dir, band_std, 0, NULL, 0, 1, plots_dir != NULL};
        if (s == HS_OK) s = hs_plot_make(v, &po, &figs);
    }
    if (s == HS_OK) {
        snprintf(tmp_out, sizeof tmp_out, "%s.tmp", out);
        f = fopen(tmp_out, "w");
        if (!f) s = hs_error_set(HS_ERR_IO, "cannot write %s: %s", tmp_out, strerror(errno));
    }
    if (s == HS_OK) s = write_page(f, v, no_plots ? NULL : &figs, tmpdir);
    if (f) {
        const int bad = ferror(f);
        if (fclose(f) != 0 || bad) s = s != HS_OK ? s : hs_error_set(HS_ERR_IO, "cannot write %s (disk full?)", tmp_out);
        if (s == HS_OK && rename(tmp_out, out) != 0)
            s = hs_error_set(HS_ERR_IO, "cannot rename %s to %s: %s", tmp_out, out, strerror(errno));
        if (s != HS_OK) unlink(tmp_out);
    }
    if (made_tmp) remove_plots(tmpdir, &figs);
    if (s == HS_OK)
        printf("wrote %s (%d figure%s, %d task%s)\n", out, figs.n, figs.n == 1 ? "" : "s", v->n_tasks,
               v->n_tasks == 1 ? "" : "s");
    hs_plot_list_free(&figs);
    hs_rview_close(&v);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
