/* results_view.c — a results file read for the reader commands (see
 * results_view.h). Rows: ~10^5 at most, a few hundred bytes each; grouping
 * goes through a hash of each row's group key, so it is linear. */
#include "results_view.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../store/h5util.h"

/* Root attributes and /tasks/<name> attributes that results.h does not
 * expose. A second read-only handle on the file; anything missing stays "". */
static void read_str_attr(hid_t obj, const char *name, char *buf, size_t n)
{
    buf[0] = 0;
    if (H5Aexists(obj, name) <= 0) return;
    if (hs_h5_attr_read_str(obj, name, buf, n, "results") != HS_OK) buf[0] = 0;
    hs_error_clear();
}

static void read_meta(hs_rview *v)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    H5Pset_metadata_read_attempts(fapl, HS_RESULTS_READ_ATTEMPTS);
    hid_t f = H5Fopen(v->path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    if (f < 0) f = H5Fopen(v->path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) return;
    read_str_attr(f, "tool_version", v->tool_version, sizeof v->tool_version);
    read_str_attr(f, "created", v->created, sizeof v->created);
    read_str_attr(f, "sweep_path", v->sweep_path, sizeof v->sweep_path);
    read_str_attr(f, "fingerprint", v->fingerprint, sizeof v->fingerprint);
    for (int t = 0; t < v->n_tasks; t++) {
        hs_rview_task *k = &v->tasks[t];
        char grp[HS_NAME_LEN + 16];
        snprintf(grp, sizeof grp, "/tasks/%s", k->name);
        /* a name that is not a plain link name (a crafted file) has no group */
        if (strchr(k->name, '/') || !k->name[0] || !hs_h5_exists(f, grp)) continue;
        hid_t g = H5Gopen2(f, grp, H5P_DEFAULT);
        if (g < 0) continue;
        read_str_attr(g, "metric", k->metric, sizeof k->metric);
        long x;
        if (H5Aexists(g, "layers") > 0 && hs_h5_attr_read_long(g, "layers", &x, grp) == HS_OK) k->layers = (int)x;
        if (H5Aexists(g, "heads") > 0 && hs_h5_attr_read_long(g, "heads", &x, grp) == HS_OK) k->heads = (int)x;
        hs_error_clear();
        H5Gclose(g);
    }
    H5Fclose(f);
    for (int t = 0; t < v->n_tasks; t++)
        if (!v->tasks[t].metric[0]) snprintf(v->tasks[t].metric, sizeof v->tasks[t].metric, "metric");
}

int hs_rview_task_index(const hs_rview *v, const char *name)
{
    for (int t = 0; t < v->n_tasks; t++)
        if (!strcmp(v->tasks[t].name, name)) return t;
    return -1;
}

int hs_rview_method_index(const hs_rview *v, const char *name)
{
    for (int m = 0; m < v->n_methods; m++)
        if (!strcmp(v->methods[m], name)) return m;
    return -1;
}

/* Tasks and methods in order of first appearance; base-model metrics. */
static hs_status index_names(hs_rview *v)
{
    const size_t cap = (size_t)v->np + 1;
    HS_CHECK(hs_calloc((void **)&v->tasks, cap, sizeof *v->tasks, "task list"));
    HS_CHECK(hs_calloc((void **)&v->methods, cap, sizeof *v->methods, "method list"));
    HS_CHECK(hs_calloc((void **)&v->pt_task, cap, sizeof *v->pt_task, "task index"));
    HS_CHECK(hs_calloc((void **)&v->pt_method, cap, sizeof *v->pt_method, "method index"));
    char name[HS_NAME_LEN + 1];
    for (long i = 0; i < v->np; i++) {
        hs_qcol_str(&v->pts[i], HS_QC_TASK, name, sizeof name);
        /* rows of one task are adjacent in sweep order: check the last first */
        int t = v->n_tasks && !strcmp(v->tasks[v->n_tasks - 1].name, name) ? v->n_tasks - 1
                                                                          : hs_rview_task_index(v, name);
        if (t < 0) {
            t = v->n_tasks++;
            memcpy(v->tasks[t].name, name, sizeof name);
        }
        v->pt_task[i] = t;
        hs_qcol_str(&v->pts[i], HS_QC_METHOD, name, sizeof name);
        int m = hs_rview_method_index(v, name);
        if (m < 0) {
            m = v->n_methods++;
            memcpy(v->methods[m], name, sizeof name);
        }
        v->pt_method[i] = m;
    }
    for (int t = 0; t < v->n_tasks; t++) {
        hs_rview_task *k = &v->tasks[t];
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        int n = 0;
        for (long b = 0; b < v->nb; b++) {
            char bt[HS_NAME_LEN + 1];
            const size_t len = strnlen(v->bases[b].task, HS_NAME_LEN);
            memcpy(bt, v->bases[b].task, len);
            bt[len] = 0;
            if (v->bases[b].status != HS_STATUS_DONE || strcmp(bt, k->name) || !isfinite(v->bases[b].metric))
                continue;
            sum += v->bases[b].metric;
            lo = fmin(lo, v->bases[b].metric);
            hi = fmax(hi, v->bases[b].metric);
            n++;
        }
        if (n == 0) /* no base job rows (a crafted file): the points' own measure */
            for (long i = 0; i < v->np; i++)
                if (v->pt_task[i] == t && v->pts[i].status == HS_STATUS_DONE && isfinite(v->pts[i].metric_base)) {
                    sum += v->pts[i].metric_base;
                    lo = fmin(lo, v->pts[i].metric_base);
                    hi = fmax(hi, v->pts[i].metric_base);
                    n++;
                }
        k->base_n = n;
        k->base_mean = n ? sum / n : NAN;
        k->base_min = n ? lo : NAN;
        k->base_max = n ? hi : NAN;
    }
    return HS_OK;
}

hs_status hs_rview_open(const char *path, hs_rview **out)
{
    *out = NULL;
    hs_rview *v = NULL;
    HS_CHECK(hs_calloc((void **)&v, 1, sizeof *v, "results view"));
    snprintf(v->path, sizeof v->path, "%s", path);
    hs_status s = hs_results_open(&v->res, path, 0);
    if (s == HS_OK) {
        v->np = hs_results_n_points(v->res);
        v->nb = hs_results_n_base(v->res);
        v->lmax = hs_results_max_layers(v->res);
        v->hmax = hs_results_max_heads(v->res);
        /* a model has at most 1024 layers and 1024 heads (hs_config_validate); the
         * readers size [lmax][hmax] buffers in int (cmd_query.c), so a file may not claim more */
        if (v->lmax < 1 || v->hmax < 1 || v->lmax > 1024 || v->hmax > 1024)
            s = hs_error_set(HS_ERR_INPUT, "%s: max_layers %d / max_heads %d out of range (damaged?)", path, v->lmax,
                             v->hmax);
    }
    if (s == HS_OK) s = hs_calloc((void **)&v->pts, (size_t)v->np + 1, sizeof *v->pts, "points");
    if (s == HS_OK) s = hs_calloc((void **)&v->bases, (size_t)v->nb + 1, sizeof *v->bases, "base jobs");
    if (s == HS_OK) s = hs_results_read_points(v->res, v->pts);
    if (s == HS_OK) s = hs_results_read_bases(v->res, v->bases);
    if (s == HS_OK) s = index_names(v);
    if (s != HS_OK) {
        hs_rview_close(&v);
        return s;
    }
    read_meta(v);
    *out = v;
    return HS_OK;
}

void hs_rview_close(hs_rview **vp)
{
    if (!vp || !*vp) return;
    hs_rview *v = *vp;
    /* read-only: nothing to flush, and a pending message (the caller's error) must survive */
    if (v->res) (void)hs_results_close(&v->res);
    hs_free(v->pts);
    hs_free(v->bases);
    hs_free(v->tasks);
    hs_free(v->methods);
    hs_free(v->pt_task);
    hs_free(v->pt_method);
    hs_free(v);
    *vp = NULL;
}

hs_status hs_rview_arrays(hs_rview *v, long i, uint8_t *mask, float *importance, double *curve)
{
    return hs_results_read_point_arrays(v->res, i, mask, importance, curve);
}

hs_status hs_rview_error(hs_rview *v, long i, int base, char *buf, size_t n)
{
    return hs_results_read_error(v->res, i, base, buf, n);
}

/* ---- tables ---------------------------------------------------------------- */

static hs_status set_cell(hs_table *t, long row, int tc, const hs_point_row *r, int c)
{
    if (hs_qcol_numeric(c)) {
        hs_table_set_num(t, row, tc, hs_qcol_num(r, c));
        return HS_OK;
    }
    char buf[HS_HOST_LEN + 1];
    hs_qcol_str(r, c, buf, sizeof buf);
    return hs_table_set_str(t, row, tc, buf);
}

static hs_status plain_table(const hs_point_row *pts, const long *sel, long nsel, const int *cols, int ncols,
                             const int *hidden, int nhidden, hs_table *t)
{
    for (int k = 0; k < ncols; k++) HS_CHECK(hs_table_add_col(t, hs_qcol_name(cols[k]), hs_qcol_type(cols[k]), 0));
    for (int k = 0; k < nhidden; k++)
        HS_CHECK(hs_table_add_col(t, hs_qcol_name(hidden[k]), hs_qcol_type(hidden[k]), 1));
    for (long i = 0; i < nsel; i++) {
        long row;
        HS_CHECK(hs_table_add_row(t, &row));
        for (int k = 0; k < ncols; k++) HS_CHECK(set_cell(t, row, k, &pts[sel[i]], cols[k]));
        for (int k = 0; k < nhidden; k++) HS_CHECK(set_cell(t, row, ncols + k, &pts[sel[i]], hidden[k]));
    }
    return HS_OK;
}

/* The group key of a row: its group columns' values, unit-separated. */
static void group_key(const hs_point_row *r, const int *group, int ngroup, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int g = 0; g < ngroup && used < n; g++) {
        char val[HS_HOST_LEN + 1];
        if (hs_qcol_numeric(group[g])) snprintf(val, sizeof val, "%.17g", hs_qcol_num(r, group[g]));
        else hs_qcol_str(r, group[g], val, sizeof val);
        used += (size_t)snprintf(buf + used, n - used, "%s\x1f", val);
    }
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

typedef struct {
    double mean, m2, lo, hi;
    long n;
} stat;

static hs_status grouped_table(const hs_point_row *pts, const long *sel, long nsel, const int *group, int ngroup,
                               const int *cols, int ncols, hs_table *t)
{
    int vals[HS_QC_COUNT], nv = 0;
    for (int k = 0; k < ncols; k++) {
        int in_group = 0;
        for (int g = 0; g < ngroup; g++) in_group |= group[g] == cols[k];
        if (in_group) continue;
        if (!hs_qcol_numeric(cols[k]))
            return hs_error_set(HS_ERR_INPUT,
                                "column %s is text: with --group-by it must be one of the group columns (or "
                                "left out of --columns)",
                                hs_qcol_name(cols[k]));
        int dup = 0;
        for (int j = 0; j < nv; j++) dup |= vals[j] == cols[k];
        if (!dup && nv < HS_QC_COUNT) vals[nv++] = cols[k];
    }
    for (int g = 0; g < ngroup; g++) HS_CHECK(hs_table_add_col(t, hs_qcol_name(group[g]), hs_qcol_type(group[g]), 0));
    static const char *const suffix[4] = {"mean", "std", "min", "max"};
    for (int j = 0; j < nv; j++)
        for (int a = 0; a < 4; a++) {
            char name[96];
            snprintf(name, sizeof name, "%s_%s", hs_qcol_name(vals[j]), suffix[a]);
            hs_qtype ty = hs_qcol_type(vals[j]);
            if (a < 2 && ty == HS_QT_INT) ty = HS_QT_REAL;
            if (a == 1 && ty == HS_QT_TIME) ty = HS_QT_REAL;
            HS_CHECK(hs_table_add_col(t, name, ty, 0));
        }
    HS_CHECK(hs_table_add_col(t, "n", HS_QT_INT, 0));

    /* open addressing: slot -> group number + 1 */
    size_t cap = 64;
    while (cap < 2 * (size_t)nsel + 2) cap *= 2;
    long *slot = NULL, *first = NULL, ngr = 0;
    char (*keys)[512] = NULL;
    stat *st = NULL;
    long *count = NULL;
    hs_status s = hs_calloc((void **)&slot, cap, sizeof *slot, "group table");
    if (s == HS_OK) s = hs_calloc((void **)&first, (size_t)nsel + 1, sizeof *first, "groups");
    if (s == HS_OK) s = hs_calloc((void **)&keys, (size_t)nsel + 1, sizeof *keys, "group keys");
    if (s == HS_OK) s = hs_calloc((void **)&count, (size_t)nsel + 1, sizeof *count, "group sizes");
    if (s == HS_OK) s = hs_calloc((void **)&st, ((size_t)nsel + 1) * (size_t)(nv ? nv : 1), sizeof *st, "group stats");
    if (s != HS_OK) goto done;
    for (long i = 0; i < nsel; i++) {
        char key[512];
        group_key(&pts[sel[i]], group, ngroup, key, sizeof key);
        size_t h = (size_t)hash_str(key) & (cap - 1);
        while (slot[h] && strcmp(keys[slot[h] - 1], key)) h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            slot[h] = ++ngr;
            memcpy(keys[ngr - 1], key, sizeof key);
            first[ngr - 1] = sel[i];
            for (int j = 0; j < nv; j++) st[(ngr - 1) * nv + j] = (stat){0, 0, INFINITY, -INFINITY, 0};
        }
        const long g = slot[h] - 1;
        count[g]++;
        for (int j = 0; j < nv; j++) {
            const double x = hs_qcol_num(&pts[sel[i]], vals[j]);
            if (isnan(x)) continue;
            stat *a = &st[g * nv + j]; /* Welford: stable for times near 1.7e9 */
            a->n++;
            const double d = x - a->mean;
            a->mean += d / a->n;
            a->m2 += d * (x - a->mean);
            a->lo = fmin(a->lo, x);
            a->hi = fmax(a->hi, x);
        }
    }
    for (long g = 0; g < ngr && s == HS_OK; g++) {
        long row;
        s = hs_table_add_row(t, &row);
        for (int k = 0; k < ngroup && s == HS_OK; k++) s = set_cell(t, row, k, &pts[first[g]], group[k]);
        for (int j = 0; j < nv; j++) {
            const stat *a = &st[g * nv + j];
            const int c = ngroup + 4 * j;
            hs_table_set_num(t, row, c, a->n ? a->mean : NAN);
            hs_table_set_num(t, row, c + 1, a->n > 1 ? sqrt(a->m2 / (a->n - 1)) : NAN);
            hs_table_set_num(t, row, c + 2, a->n ? a->lo : NAN);
            hs_table_set_num(t, row, c + 3, a->n ? a->hi : NAN);
        }
        hs_table_set_num(t, row, ngroup + 4 * nv, (double)count[g]);
    }
done:
    hs_free(slot);
    hs_free(first);
    hs_free(keys);
    hs_free(count);
    hs_free(st);
    return s;
}

hs_status hs_rview_table(const hs_rview *v, const long *sel, long nsel, const int *group, int ngroup,
                         const int *cols, int ncols, const int *hidden, int nhidden, hs_table **out)
{
    *out = NULL;
    hs_table *t = NULL;
    HS_CHECK(hs_table_create(&t));
    hs_status s = ngroup ? grouped_table(v->pts, sel, nsel, group, ngroup, cols, ncols, t)
                         : plain_table(v->pts, sel, nsel, cols, ncols, hidden, nhidden, t);
    if (s != HS_OK) {
        hs_table_destroy(&t);
        return s;
    }
    *out = t;
    return HS_OK;
}
