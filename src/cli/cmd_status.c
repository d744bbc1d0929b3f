/* cmd_status.c — `headsweep status RESULTS.h5`: progress of a sweep, live
 * (SWMR read) or after it ended: counts by status, per-task progress,
 * failures with their messages, throughput and ETA. Reads only. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../store/results.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep status RESULTS.h5 [--failures N]\n\n"
    "Counts of pending/done/failed base jobs and points, progress per task, the\n"
    "failures with their messages, throughput and ETA. Works while the sweep runs.\n\n"
    "  --failures N   list at most N failures [20]\n";

/* Mean measured wall time of the done jobs of one group. */
typedef struct {
    const char *task, *method; /* method NULL: base jobs of the task */
    double sum;
    long n;
} time_group;

static time_group *group_of(time_group *g, long *ng, long cap, const char *task, const char *method)
{
    for (long i = 0; i < *ng; i++)
        if (!strcmp(g[i].task, task) && (method ? g[i].method && !strcmp(g[i].method, method) : !g[i].method))
            return &g[i];
    if (*ng >= cap) return NULL;
    g[*ng] = (time_group){task, method, 0, 0};
    return &g[(*ng)++];
}

/* The time left from the measured times: each pending point takes the mean
 * wall time of the done points of its (task, method), else of all done
 * points; each pending base job that of its task's done base jobs, else of
 * all done base jobs; the sum is spread over the parallelism the sweep has
 * had (its jobs' wall time over the time they spanned). -1 while no point
 * is done: the cost of points is unknown (`headsweep check` estimates it). */
static double eta_measured(const hs_point_row *pts, long np, const hs_base_row *bas, long nb, double span)
{
    const long cap = np + nb + 1;
    time_group *g = NULL;
    if (hs_calloc((void **)&g, (size_t)cap, sizeof *g, "ETA") != HS_OK) {
        hs_error_clear();
        return -1;
    }
    long ng = 0;
    double all_p = 0, all_b = 0, work = 0;
    long n_p = 0, n_b = 0;
    for (long i = 0; i < np; i++)
        if (pts[i].status == HS_STATUS_DONE) {
            time_group *t = group_of(g, &ng, cap, pts[i].task, pts[i].method);
            t->sum += pts[i].wall_seconds;
            t->n++;
            all_p += pts[i].wall_seconds;
            n_p++;
        }
    for (long i = 0; i < nb; i++)
        if (bas[i].status == HS_STATUS_DONE) {
            time_group *t = group_of(g, &ng, cap, bas[i].task, NULL);
            t->sum += bas[i].wall_seconds;
            t->n++;
            all_b += bas[i].wall_seconds;
            n_b++;
        }
    for (long i = 0; i < np; i++)
        if (pts[i].status != HS_STATUS_PENDING) work += pts[i].wall_seconds;
    for (long i = 0; i < nb; i++)
        if (bas[i].status != HS_STATUS_PENDING) work += bas[i].wall_seconds;
    double left = -1;
    if (n_p > 0) {
        left = 0;
        for (long i = 0; i < np; i++) {
            if (pts[i].status != HS_STATUS_PENDING) continue;
            const time_group *t = group_of(g, &ng, cap, pts[i].task, pts[i].method);
            left += t && t->n ? t->sum / t->n : all_p / n_p;
        }
        for (long i = 0; i < nb; i++) {
            if (bas[i].status != HS_STATUS_PENDING) continue;
            const time_group *t = group_of(g, &ng, cap, bas[i].task, NULL);
            left += t && t->n ? t->sum / t->n : n_b ? all_b / n_b : all_p / n_p;
        }
        const double parallel = span > 0 && work > span ? work / span : 1;
        left /= parallel;
    }
    hs_free(g);
    return left;
}

static hs_status show(const char *path, long max_fail)
{
    hs_results *r = NULL;
    HS_CHECK(hs_results_open(&r, path, 0));
    const long np = hs_results_n_points(r), nb = hs_results_n_base(r);
    hs_point_row *pts = NULL;
    hs_base_row *bas = NULL;
    hs_status s = hs_calloc((void **)&pts, (size_t)np + 1, sizeof *pts, "rows");
    if (s == HS_OK) s = hs_calloc((void **)&bas, (size_t)nb + 1, sizeof *bas, "rows");
    if (s == HS_OK) s = hs_results_read_bases(r, bas);
    if (s == HS_OK) s = hs_results_read_points(r, pts);
    if (s != HS_OK) goto done;
    long bc[3] = {0}, pc[3] = {0};
    for (long i = 0; i < nb; i++) bc[bas[i].status >= 0 && bas[i].status <= 2 ? bas[i].status : 0]++;
    double first = INFINITY, last = 0, work = 0;
    for (long i = 0; i < np; i++) {
        pc[pts[i].status >= 0 && pts[i].status <= 2 ? pts[i].status : 0]++;
        if (pts[i].status != HS_STATUS_PENDING) {
            if (pts[i].start_time > 0 && pts[i].start_time < first) first = pts[i].start_time;
            if (pts[i].end_time > last) last = pts[i].end_time;
            work += pts[i].wall_seconds;
        }
    }
    for (long i = 0; i < nb; i++)
        if (bas[i].status != HS_STATUS_PENDING && bas[i].start_time > 0 && bas[i].start_time < first)
            first = bas[i].start_time;
    printf("%s\n", path);
    printf("  base jobs: %ld done, %ld failed, %ld pending (of %ld)\n", bc[1], bc[2], bc[0], nb);
    /* the group sizes of the base jobs that ran (ranks: 0 pending, or a file
     * written before the column existed) */
    int maxr = 0;
    for (long i = 0; i < nb; i++)
        if (bas[i].status != HS_STATUS_PENDING && bas[i].ranks > maxr) maxr = bas[i].ranks;
    if (maxr > 1) {
        printf("  base job groups:");
        const char *sep = " ";
        for (int g = 1; g <= maxr; g++) {
            long c = 0;
            for (long i = 0; i < nb; i++) c += bas[i].status != HS_STATUS_PENDING && bas[i].ranks == g;
            if (c) printf("%s%ld on %d rank%s", sep, c, g, g > 1 ? "s" : "");
            if (c) sep = ", ";
        }
        printf("\n");
    }
    printf("  points:    %ld done, %ld failed, %ld pending (of %ld)\n", pc[1], pc[2], pc[0], np);
    /* per task: tasks in order of first appearance */
    printf("  per task:\n");
    for (long i = 0; i < np; i++) {
        int seen = 0;
        for (long j = 0; j < i && !seen; j++) seen = !strcmp(pts[j].task, pts[i].task);
        if (seen) continue;
        long n = 0, d = 0, f = 0;
        for (long j = i; j < np; j++)
            if (!strcmp(pts[j].task, pts[i].task)) {
                n++;
                d += pts[j].status == HS_STATUS_DONE;
                f += pts[j].status == HS_STATUS_FAILED;
            }
        printf("    %-20s %5ld/%ld done, %ld failed\n", pts[i].task, d, n, f);
    }
    const long finished = pc[1] + pc[2];
    if (finished > 0 && last > first) {
        const double span = last - first, rate = finished / span;
        printf("  throughput: %.3g points/s over %.0f s (%.2f s of work per point)\n", rate, span, work / finished);
        const double eta = pc[0] > 0 || bc[0] > 0 ? eta_measured(pts, np, bas, nb, span) : 0;
        if (eta > 0) printf("  ETA: %.0f s (measured times per task and method)\n", eta);
    }
    long shown = 0;
    for (long i = 0; i < nb; i++)
        if (bas[i].status == HS_STATUS_FAILED && shown < max_fail) {
            char err[HS_ERROR_LEN + 1];
            if (hs_results_read_error(r, i, 1, err, sizeof err) != HS_OK) break;
            printf("  FAILED base job %ld (%s, seed %lld, %d attempts): %s\n", i, bas[i].task,
                   (long long)bas[i].seed, bas[i].attempts, err);
            shown++;
        }
    for (long i = 0; i < np; i++)
        if (pts[i].status == HS_STATUS_FAILED && shown < max_fail) {
            char err[HS_ERROR_LEN + 1];
            if (hs_results_read_error(r, i, 0, err, sizeof err) != HS_OK) break;
            printf("  FAILED point %ld (%s, %s, ratio %g, seed %lld, %d attempts): %s\n", i, pts[i].task,
                   pts[i].method, pts[i].ratio, (long long)pts[i].seed, pts[i].attempts, err);
            shown++;
        }
    hs_error_clear();
done:
    hs_free(pts);
    hs_free(bas);
    hs_status cs = hs_results_close(&r);
    return s != HS_OK ? s : cs;
}

int hs_cmd_status(int argc, char **argv)
{
    enum { O_FAIL = 256, O_HELP };
    static const struct option opts[] = {{"failures", 1, 0, O_FAIL}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    long max_fail = 20;
    hs_cli_parser p = {.name = "status", .longopts = opts, .help = O_HELP, .help_text = help, .arg = "RESULTS.h5",
                       .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0)
        if (c == O_FAIL) s = hs_parse_long("--failures", optarg, 0, 1000000, &max_fail);
    if (c == HS_CLI_HELP) return 0;
    if (s == HS_OK) s = show(argv[optind], max_fail);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
