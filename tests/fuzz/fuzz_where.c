/* fuzz_where.c — `query`'s expressions and table options (src/query/:
 * query_expr.c, results_view.c tables, table_fmt.c) on rows in memory.
 * Input: up to four lines — the --where text, the --group-by list, the
 * --columns list, the --sort spec — then any bytes, copied over a fifth
 * point row (so names may fill their fields, numbers may be NaN). The rows
 * every condition accepts become a table (grouped when a group list
 * parses), sorted, and written in the format the input length picks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/query/query_expr.h"
#include "../../src/query/results_view.h"
#include "../../src/query/table_fmt.h"
#include "../../src/core/alloc.h"
#include "fuzz_util.h"

static FILE *devnull;

static hs_point_row row(long id, const char *task, const char *method, double ratio, int status, double metric)
{
    hs_point_row r;
    memset(&r, 0, sizeof r);
    r.id = id;
    snprintf(r.task, sizeof r.task, "%s", task);
    snprintf(r.method, sizeof r.method, "%s", method);
    snprintf(r.host, sizeof r.host, "node%ld", id % 2);
    r.ratio = ratio;
    r.seed = id % 3;
    r.status = (int8_t)status;
    r.metric_pruned = r.metric_finetuned = metric;
    r.heads_total = 16;
    r.heads_kept = (int32_t)(16 * (1 - ratio));
    r.start_time = 1.7e9 + (double)id;
    return r;
}

/* Copies the line at p (up to '\n' or end) into *out, NUL-terminated; returns what follows. */
static const uint8_t *next_line(const uint8_t *p, const uint8_t *end, char **out)
{
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    const size_t n = (size_t)((nl ? nl : end) - p);
    if (hs_calloc((void **)out, n + 1, 1, "line") != HS_OK) abort();
    memcpy(*out, p, n);
    return nl ? nl + 1 : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull && !(devnull = fopen("/dev/null", "w"))) abort();
    fz_expect_clean();
    const uint8_t *p = data, *end = data + size;
    char *line[4] = {0};
    for (int k = 0; k < 4; k++) p = next_line(p, end, &line[k]);

    hs_point_row pts[5] = {row(0, "majority", "michel", 0.0, 1, 0.9), row(1, "majority", "random", 0.5, 1, 0.7),
                           row(2, "copy", "michel", 0.5, 2, NAN), row(3, "copy", "michel-iter", 0.25, 0, NAN)};
    memset(&pts[4], 0, sizeof pts[4]);
    memcpy(&pts[4], p, (size_t)(end - p) < sizeof pts[4] ? (size_t)(end - p) : sizeof pts[4]);

    hs_qcond *c = NULL;
    hs_status s = hs_qcond_parse(line[0], &c);
    fz_check_status(s, "hs_qcond_parse");
    long sel[5], nsel = 0;
    for (long i = 0; i < 5; i++)
        if (!c || hs_qcond_match(c, &pts[i])) sel[nsel++] = i;
    hs_qcond_destroy(&c);

    int group[HS_QC_COUNT], ngroup = 0, cols[4 * HS_QC_COUNT], ncols = 0;
    if (line[1][0]) {
        s = hs_qcol_parse_list("--group-by", line[1], group, HS_QC_COUNT, &ngroup);
        fz_check_status(s, "hs_qcol_parse_list(--group-by)");
        if (s != HS_OK) ngroup = 0;
    }
    s = hs_qcol_parse_list("--columns", line[2][0] ? line[2] : "all", cols, 4 * HS_QC_COUNT, &ncols);
    fz_check_status(s, "hs_qcol_parse_list(--columns)");
    if (s != HS_OK) {
        cols[0] = HS_QC_METRIC_PRUNED;
        ncols = 1;
    }
    for (int k = 0; k < ngroup + ncols; k++) {
        const int col = k < ngroup ? group[k] : cols[k - ngroup];
        if (col < 0 || col >= HS_QC_COUNT) abort();
    }

    hs_rview v;
    memset(&v, 0, sizeof v);
    v.pts = pts;
    v.np = 5;
    hs_table *t = NULL;
    const int hidden[1] = {HS_QC_SEED};
    s = hs_rview_table(&v, sel, nsel, group, ngroup, cols, ncols, hidden, ngroup ? 0 : 1, &t);
    fz_check_status(s, "hs_rview_table");
    if (s == HS_OK) {
        const long want = ngroup ? -1 : nsel;
        if (want >= 0 && hs_table_rows(t) != want) abort();
        if (line[3][0]) {
            s = hs_table_sort(t, line[3]);
            fz_check_status(s, "hs_table_sort");
        }
        static const hs_tfmt fmts[4] = {HS_TFMT_TABLE, HS_TFMT_CSV, HS_TFMT_JSON, HS_TFMT_HTML};
        s = hs_table_write(t, devnull, fmts[size % 4]);
        fz_check_status(s, "hs_table_write");
    }
    hs_table_destroy(&t);
    for (int k = 0; k < 4; k++) hs_free(line[k]);
    return 0;
}
