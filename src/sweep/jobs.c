/* jobs.c — base jobs and points (see jobs.h). */
#include "jobs.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "../prune/point.h"

double hs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

hs_status hs_task_cache_init(hs_task_cache *c, const hs_sweep *sw)
{
    c->sw = sw;
    return hs_calloc((void **)&c->tasks, (size_t)sw->n_tasks * sw->n_seeds, sizeof(hs_task *), "task cache");
}

void hs_task_cache_free(hs_task_cache *c)
{
    if (c->tasks)
        for (int i = 0; i < c->sw->n_tasks * c->sw->n_seeds; i++) hs_task_destroy(&c->tasks[i]);
    hs_free(c->tasks);
    c->tasks = NULL;
}

hs_status hs_task_cache_get(hs_task_cache *c, int task, int seed, hs_task **out)
{
    hs_task **slot = &c->tasks[task * c->sw->n_seeds + seed];
    if (!*slot) HS_CHECK(hs_sweep_task_open(c->sw, task, seed, slot));
    *out = *slot;
    return HS_OK;
}

static void host_name(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0) snprintf(buf, n, "?");
    buf[n - 1] = 0;
}

void hs_job_init_base_row(const hs_sweep *sw, long b, hs_base_row *row)
{
    const hs_sweep_base *bj = &sw->bases[b];
    hs_base_row_init(row);
    row->id = b;
    snprintf(row->task, sizeof row->task, "%s", sw->tasks[bj->task].name);
    row->seed = sw->seeds[bj->seed];
}

void hs_job_init_point_row(const hs_sweep *sw, long p, hs_point_row *row)
{
    const hs_sweep_point *pt = &sw->points[p];
    hs_point_row_init(row);
    row->id = p;
    snprintf(row->task, sizeof row->task, "%s", sw->tasks[pt->task].name);
    snprintf(row->method, sizeof row->method, "%s", sw->methods[pt->method].label);
    row->ratio = sw->ratios[pt->ratio];
    row->seed = sw->seeds[pt->seed];
    row->base = pt->base;
}

hs_status hs_job_run_base(hs_task_cache *tc, long b, hs_base_row *row, hs_model **model, const hs_mb_group *g)
{
    const hs_sweep *sw = tc->sw;
    const hs_sweep_base *bj = &sw->bases[b];
    *model = NULL;
    row->start_time = hs_now();
    host_name(row->host, sizeof row->host);
    hs_task *t;
    const int grouped = g && g->size > 1 && g->agree;
    hs_status ts = hs_task_cache_get(tc, bj->task, bj->seed, &t);
    if (ts != HS_OK) {
        if (grouped) (void)g->agree(g->ctx, 0); /* the others wait there: they fail too, cleanly */
        return ts;
    }
    const hs_config cfg = hs_sweep_model_config(sw, bj->task, t);
    const hs_sweep_train *tr = &sw->tasks[bj->task].train;
    hs_model *m = NULL;
    hs_adamw *opt = NULL;
    hs_batch_buf bb = {0};
    const char *pre = sw->tasks[bj->task].pretrained;
    hs_status s = pre ? hs_sweep_pretrained_load(&m, pre, &cfg, t, tr->steps, hs_key_str(bj->key, "init"))
                      : hs_model_create(&m, &cfg);
    if (s == HS_OK) s = hs_model_setup_batch(m, tr->batch > sw->batch ? tr->batch : sw->batch, cfg.seq_len);
    hs_adamw_config oc = hs_sweep_adamw(sw, bj->task);
    /* a checkpoint used as it is (steps = 0) keeps no optimizer state */
    if (s == HS_OK && tr->steps > 0) s = hs_adamw_create(&opt, m, &oc);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, t, tr->batch);
    /* the moments now, not at the first step: a member short of memory then
     * says so here, before the first exchange */
    if (s == HS_OK && grouped && opt) s = hs_adamw_reserve(opt);
    if (grouped) {
        /* every member set up, or none trains: a member that failed alone
         * would leave the others waiting in the first exchange */
        const int all = g->agree(g->ctx, s == HS_OK);
        if (s == HS_OK && !all)
            s = hs_error_set(HS_ERR_INTERNAL, "base job %ld: another rank of its group of %d could not set it up", b,
                             g->size);
    }
    if (s == HS_OK) {
        if (!pre) hs_model_init_weights(m, hs_key_str(bj->key, "init"));
        if (tr->steps > 0 && (tr->micro_batches > 1 || g)) {
            const hs_mb_group one = {.rank = 0, .size = 1};
            hs_mb mb;
            s = hs_mb_create(&mb, m, tr->micro_batches, g ? g : &one);
            if (s == HS_OK) s = hs_train_task_mb(m, opt, t, &bb, tr->steps, 0, &mb);
            hs_mb_free(&mb);
        } else if (tr->steps > 0) {
            s = hs_train_task(m, opt, t, &bb, tr->steps, 0, 0, NULL, NULL);
        }
    }
    row->ranks = g ? g->size : 1;
    hs_batch_buf_free(&bb);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, t, sw->batch);
    hs_eval_result ev;
    if (s == HS_OK) s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
    if (s == HS_OK && !isfinite(ev.metric))
        s = hs_error_set(HS_ERR_NUMERIC, "base model metric is %g (diverged)", ev.metric);
    hs_batch_buf_free(&bb);
    hs_adamw_destroy(&opt);
    row->end_time = hs_now();
    row->wall_seconds = row->end_time - row->start_time;
    row->attempts++;
    if (s != HS_OK) {
        hs_model_destroy(&m);
        row->status = HS_STATUS_FAILED;
        return s;
    }
    row->metric = ev.metric;
    row->loss = ev.loss;
    row->status = HS_STATUS_DONE;
    *model = m;
    return HS_OK;
}

/* See jobs.h. */
void hs_job_row_from_result(hs_point_row *row, const hs_point_result *r)
{
    row->metric_base = r->metric_base;
    row->metric_pruned = r->metric_pruned;
    row->metric_finetuned = r->metric_finetuned;
    row->loss = r->loss_pruned;
    row->heads_kept = (int32_t)r->heads_kept;
    row->heads_total = (int32_t)r->heads_total;
    row->params_kept = r->params_kept;
    row->params_total = r->params_total;
    row->flops_ratio = r->flops_ratio;
    row->latency_ratio = r->latency_ratio;
    row->shrink_max_diff = r->shrink_max_diff;
    row->evals = r->evals;
    row->curve_len = r->curve_len < HS_CURVE_WIDTH ? r->curve_len : HS_CURVE_WIDTH;
    row->metric_int8 = r->metric_int8;
    row->int8_bytes = r->int8_bytes;
    row->improved = (int32_t)r->improved;
    row->status = HS_STATUS_DONE;
}

hs_status hs_job_run_point(hs_task_cache *tc, long p, const hs_model *base, int lmax, int hmax,
                           hs_point_row *row, uint8_t *mask, float *importance, double *curve)
{
    return hs_job_run_point_keep(tc, p, base, lmax, hmax, row, mask, importance, curve, NULL, NULL);
}

hs_status hs_job_run_point_keep(hs_task_cache *tc, long p, const hs_model *base, int lmax, int hmax,
                                hs_point_row *row, uint8_t *mask, float *importance, double *curve,
                                hs_model **keep, int *had_hook)
{
    const hs_sweep *sw = tc->sw;
    const hs_sweep_point *pt = &sw->points[p];
    row->start_time = hs_now();
    host_name(row->host, sizeof row->host);
    memset(mask, HS_MASK_ABSENT, (size_t)lmax * hmax);
    for (int i = 0; i < lmax * hmax; i++) importance[i] = NAN;
    for (int i = 0; i < HS_CURVE_WIDTH; i++) curve[i] = NAN;
    hs_task *t;
    hs_status s = hs_task_cache_get(tc, pt->task, pt->seed, &t);
    const int L = base->cfg.layers, H = base->cfg.heads;
    hs_point_result *r = NULL;
    if (s == HS_OK) s = hs_calloc((void **)&r, 1, sizeof *r, "point result");
    if (s == HS_OK) s = hs_calloc((void **)&r->mask, (size_t)L * H, 1, "mask");
    if (s == HS_OK) s = hs_calloc((void **)&r->importance, (size_t)L * H, sizeof(float), "importance");
    if (s == HS_OK) {
        const hs_sweep_method *me = &sw->methods[pt->method];
        const hs_point_opts o = hs_sweep_point_opts(sw, pt->task);
        r->keep = keep;
        s = hs_point_run(base, t, me->method, &me->set, sw->ratios[pt->ratio], pt->key, &o, r);
        if (had_hook) *had_hook = r->kept_had_hook;
    }
    row->end_time = hs_now();
    row->wall_seconds = row->end_time - row->start_time;
    row->attempts++;
    if (s == HS_OK) {
        for (int l = 0; l < L; l++)
            for (int j = 0; j < H; j++) {
                mask[l * hmax + j] = r->mask[l * H + j];
                importance[l * hmax + j] = r->importance[l * H + j];
            }
        memcpy(curve, r->curve, sizeof(double) * (r->curve_len < HS_CURVE_WIDTH ? r->curve_len : HS_CURVE_WIDTH));
        hs_job_row_from_result(row, r);
    } else {
        row->status = HS_STATUS_FAILED;
    }
    if (r) {
        hs_free(r->mask);
        hs_free(r->importance);
    }
    hs_free(r);
    return s;
}
