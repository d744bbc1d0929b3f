/* sweep_point.c — a sweep's base models and points from its results file (see sweep_point.h). */
#include "sweep_point.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../store/h5util.h"
#include "cli.h"
#include "task_attrs.h"

int hs_cli_is_results_file(const char *path)
{
    hid_t f;
    if (hs_h5_open_read(path, &f) != HS_OK) {
        hs_error_clear();
        return 0;
    }
    char fmt[64] = "";
    int yes = 0;
    if (H5Aexists(f, "format") > 0 && hs_h5_attr_read_str(f, "format", fmt, sizeof fmt, path) == HS_OK)
        yes = !strcmp(fmt, HS_RESULTS_FORMAT);
    hs_error_clear();
    H5Fclose(f);
    return yes;
}

hs_status hs_cli_sweep_open(hs_cli_sweep *cs, const char *path)
{
    memset(cs, 0, sizeof *cs);
    cs->path = path;
    HS_CHECK(hs_results_open(&cs->res, path, 0));
    HS_CHECK(hs_sweep_load_text(hs_results_sweep_text(cs->res), path, &cs->sw));
    HS_CHECK(hs_task_cache_init(&cs->tc, &cs->sw));
    cs->n_bases = hs_results_n_base(cs->res);
    cs->n_points = hs_results_n_points(cs->res);
    cs->lmax = hs_results_max_layers(cs->res);
    cs->hmax = hs_results_max_heads(cs->res);
    if (cs->n_bases != cs->sw.n_bases || cs->n_points != cs->sw.n_points)
        return hs_error_set(HS_ERR_INPUT, "%s: /points and /base_jobs do not match the grid of the stored sweep text "
                            "(damaged file?)", path);
    HS_CHECK(hs_calloc((void **)&cs->bases, (size_t)cs->n_bases + 1, sizeof *cs->bases, "rows"));
    return hs_results_read_bases(cs->res, cs->bases);
}

void hs_cli_sweep_close(hs_cli_sweep *cs)
{
    if (cs->tc.tasks) hs_task_cache_free(&cs->tc);
    hs_free(cs->bases);
    hs_sweep_free(&cs->sw);
    if (cs->res) hs_results_close(&cs->res);
    memset(cs, 0, sizeof *cs);
}

int hs_cli_sweep_group_base(const char *group, char *buf, size_t n)
{
    const char *pre = "/checkpoints/";
    if (strncmp(group, pre, strlen(pre))) return 0;
    const char *t = group + strlen(pre), *sl = strstr(t, "/seed_");
    if (!sl || sl == t || !sl[6] || strchr(sl + 6, '/')) return 0;
    snprintf(buf, n, "%.*s/%s", (int)(sl - t), t, sl + 6);
    return 1;
}

hs_status hs_cli_sweep_find_base(hs_cli_sweep *cs, const char *spec, long *b)
{
    const hs_sweep *sw = &cs->sw;
    const char *slash = strrchr(spec, '/');
    if (!slash || slash == spec)
        return hs_error_set(HS_ERR_INPUT, "--base '%s': expected TASK/SEED (e.g. %s/%ld)", spec,
                            sw->n_tasks ? sw->tasks[0].name : "task", sw->n_seeds ? sw->seeds[0] : 1L);
    int task = -1;
    char list[1024] = "";
    for (int i = 0; i < sw->n_tasks; i++) {
        if (strlen(sw->tasks[i].name) == (size_t)(slash - spec) && !strncmp(sw->tasks[i].name, spec, (size_t)(slash - spec)))
            task = i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", sw->tasks[i].name);
    }
    if (task < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: --base %s: the sweep has no task '%.*s' (tasks: %s)", cs->path, spec,
                            (int)(slash - spec), spec, list);
    long seed;
    char *end;
    seed = strtol(slash + 1, &end, 10);
    int si = -1;
    list[0] = 0;
    for (int i = 0; i < sw->n_seeds; i++) {
        if (*slash && end != slash + 1 && !*end && sw->seeds[i] == seed) si = i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%ld", i ? ", " : "", sw->seeds[i]);
    }
    if (si < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: --base %s: the sweep has no seed '%s' (seeds: %s)", cs->path, spec,
                            slash + 1, list);
    *b = (long)task * sw->n_seeds + si;
    return HS_OK;
}

hs_status hs_cli_sweep_check_point(const hs_cli_sweep *cs, long p)
{
    if (p < 0 || p >= cs->n_points)
        return hs_error_set(HS_ERR_INPUT, "%s: --point %ld: expected a row id of /points, 0..%ld", cs->path, p,
                            cs->n_points - 1);
    return HS_OK;
}

hs_status hs_cli_sweep_base_model(hs_cli_sweep *cs, long b, hs_model **m, hs_task **t)
{
    *m = NULL;
    const hs_sweep *sw = &cs->sw;
    const hs_sweep_base *bj = &sw->bases[b];
    const char *name = sw->tasks[bj->task].name;
    const hs_base_row *row = &cs->bases[b];
    if (row->status != HS_STATUS_DONE)
        return hs_error_set(HS_ERR_INPUT, "%s: base job %s/%ld %s: it has no model (see `headsweep status %s`)",
                            cs->path, name, sw->seeds[bj->seed],
                            row->status == HS_STATUS_FAILED ? "failed" : "is not done yet", cs->path);
    /* /tasks/<name>: what the task was when the file was written */
    char kind[64], metric[64];
    int fk = 0, fm = 0;
    HS_CHECK(hs_results_task_attr(cs->res, name, "kind", kind, sizeof kind, &fk));
    HS_CHECK(hs_results_task_attr(cs->res, name, "metric", metric, sizeof metric, &fm));
    HS_CHECK(hs_task_cache_get(&cs->tc, bj->task, bj->seed, t));
    if ((fk && strcmp(kind, (*t)->spec.kind)) || (fm && strcmp(metric, hs_metric_name((*t)->metric))))
        return hs_error_set(HS_ERR_INPUT, "%s: /tasks/%s says kind %s, metric %s; the stored sweep text opens kind %s, "
                            "metric %s (damaged file?)", cs->path, name, kind, metric, (*t)->spec.kind,
                            hs_metric_name((*t)->metric));
    HS_CHECK(hs_results_read_base_model(cs->res, b, m));
    const hs_config want = hs_sweep_model_config(sw, bj->task, *t);
    if ((*m)->cfg.seq_len != want.seq_len || (*m)->cfg.n_out != want.n_out || (*m)->cfg.vocab != want.vocab)
        return hs_error_set(HS_ERR_INPUT, "%s: the task %s opened from the stored sweep text no longer matches its "
                            "base model (seq_len, classes or vocabulary: the data changed?)", cs->path, name);
    return HS_OK;
}

/* A checkpoint written by `headsweep train`: its task from its attributes. */
hs_status hs_cli_checkpoint_task(const char *path, const char *group, hs_model **m, hs_task **task,
                                 hs_text_encoder **enc)
{
    hid_t f;
    HS_CHECK(hs_h5_open_read(path, &f));
    char where[4200];
    /* the spec's strings live here as long as the task (one per process) */
    static char strbuf[4096];
    snprintf(where, sizeof where, "%s:%s", path, group);
    hs_task_spec spec;
    char pre[4096] = "";
    hs_status s = hs_checkpoint_read(f, group, path, m);
    if (s == HS_OK) {
        hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
        s = hs_task_spec_read(g, &spec, strbuf, sizeof strbuf, where);
        /* a model trained with --pretrained: its texts need that folder's tokenizer */
        if (s == HS_OK && H5Aexists(g, "pretrained") > 0) s = hs_h5_attr_read_str(g, "pretrained", pre, sizeof pre, where);
        H5Gclose(g);
    }
    H5Fclose(f);
    if (s == HS_OK && *pre && spec.tokenizer && !strcmp(spec.tokenizer, "pretrained")) {
        s = hs_sweep_pretrained_encoder(pre, enc);
        spec.encoder = *enc;
    }
    if (s == HS_OK) s = hs_task_open(task, &spec);
    if (s == HS_OK && ((*task)->shape.seq_len != (*m)->cfg.seq_len || (*task)->shape.n_out != (*m)->cfg.n_out))
        s = hs_error_set(HS_ERR_INPUT, "%s: the task's shape no longer matches the checkpoint (data changed?)",
                         where);
    return s;
}


/* ---- a re-run row against the stored one ------------------------------------ */

#define SAME_IS_SAME 1
#define SAME_IS_RUN 0
static int eq_mem(const void *a, const void *b, size_t n) { return !memcmp(a, b, n); }
#define EQ_I8 eq_mem
#define EQ_I32 eq_mem
#define EQ_I64 eq_mem
#define EQ_F64 eq_mem
static int eq_text(const void *a, const void *b, size_t n) { return !strncmp(a, b, n); }
#define EQ_NAME eq_text
#define EQ_HOST eq_text
static void txt_I8(char *o, size_t n, const void *v) { snprintf(o, n, "%d", *(const int8_t *)v); }
static void txt_I32(char *o, size_t n, const void *v) { snprintf(o, n, "%d", (int)*(const int32_t *)v); }
static void txt_I64(char *o, size_t n, const void *v) { snprintf(o, n, "%lld", (long long)*(const int64_t *)v); }
static void txt_F64(char *o, size_t n, const void *v) { snprintf(o, n, "%.17g", *(const double *)v); }
static void txt_NAME(char *o, size_t n, const void *v) { snprintf(o, n, "%s", (const char *)v); }
#define txt_HOST txt_NAME

/* Appends "col new (stored old)" to diff for every SAME column (columns.h)
 * of a and b that differs, bit for bit. */
static void diff_rows(const hs_point_row *a, const hs_point_row *b, char *diff, size_t n)
{
    char x[96], y[96];
#define HS_DIFF_COL(ID, name, storage, kind, pending, same)                                                 \
    if (SAME_IS_##same && !EQ_##storage(&a->name, &b->name, sizeof a->name)) {                             \
        txt_##storage(x, sizeof x, &a->name);                                                               \
        txt_##storage(y, sizeof y, &b->name);                                                               \
        snprintf(diff + strlen(diff), n - strlen(diff), "%s%s %s (stored %s)", *diff ? ", " : "", #name, x, y); \
    }
    HS_POINT_COLUMNS(HS_DIFF_COL)
#undef HS_DIFF_COL
}

/* See sweep_point.h. */
void hs_cli_sweep_compare(const hs_point_row *stored, const hs_point_row *row, const uint8_t *smask,
                          const uint8_t *mask, const float *simp, const float *imp, const double *scurve,
                          const double *curve, size_t LH, char *diff, size_t n)
{
    diff[0] = 0;
    diff_rows(row, stored, diff, n);
    if (memcmp(mask, smask, LH)) snprintf(diff + strlen(diff), n - strlen(diff), "%smask", *diff ? ", " : "");
    if (memcmp(imp, simp, LH * sizeof *imp))
        snprintf(diff + strlen(diff), n - strlen(diff), "%simportance", *diff ? ", " : "");
    if (memcmp(curve, scurve, sizeof(double) * HS_CURVE_WIDTH))
        snprintf(diff + strlen(diff), n - strlen(diff), "%scurve", *diff ? ", " : "");
}

/* See sweep_point.h. */
hs_status hs_cli_rerun_open(hs_cli_sweep *cs, long p, hs_cli_rerun *rr)
{
    memset(rr, 0, sizeof *rr);
    rr->p = p;
    rr->LH = (size_t)cs->lmax * cs->hmax;
    hs_job_init_point_row(&cs->sw, p, &rr->row);
    HS_CHECK(hs_calloc((void **)&rr->stored, (size_t)cs->n_points, sizeof *rr->stored, "rows"));
    HS_CHECK(hs_calloc((void **)&rr->mask, rr->LH, 1, "mask"));
    HS_CHECK(hs_calloc((void **)&rr->smask, rr->LH, 1, "mask"));
    HS_CHECK(hs_calloc((void **)&rr->imp, rr->LH, sizeof *rr->imp, "importance"));
    HS_CHECK(hs_calloc((void **)&rr->simp, rr->LH, sizeof *rr->simp, "importance"));
    HS_CHECK(hs_results_read_points(cs->res, rr->stored));
    return hs_results_read_point_arrays(cs->res, p, rr->smask, rr->simp, rr->scurve);
}

void hs_cli_rerun_free(hs_cli_rerun *rr)
{
    hs_free(rr->stored);
    hs_free(rr->mask);
    hs_free(rr->smask);
    hs_free(rr->imp);
    hs_free(rr->simp);
    memset(rr, 0, sizeof *rr);
}

void hs_cli_rerun_diff(const hs_cli_rerun *rr, char *diff, size_t n)
{
    hs_cli_sweep_compare(&rr->stored[rr->p], &rr->row, rr->smask, rr->mask, rr->simp, rr->imp, rr->scurve, rr->curve,
                         rr->LH, diff, n);
}

/* See sweep_point.h. */
hs_status hs_cli_not_results_file(const char *path)
{
    hid_t f;
    HS_CHECK(hs_h5_open_read(path, &f));
    H5Fclose(f);
    return hs_error_set(HS_ERR_INPUT, "%s is not a headsweep results file: --base TASK/SEED names a base model of a "
                        "sweep's results file", path);
}
