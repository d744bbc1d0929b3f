/* point.c — the evaluate / prune / fine-tune / measure framework (see point.h). */
#include "point.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "../core/alloc.h"
#include "../core/quant.h"
#include "shrink.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed forward pass of the shrunk model (ov) or of the full one
 * (ov = NULL: every layer on, every head dynamic). */
static hs_status timed_forward(hs_model *m, const hs_batch *b, const hs_layer_attn *ov,
                               const unsigned char *layer_off, double *t)
{
    const int L = m->cfg.layers;
    hs_real *st = m->static_att;
    if (!ov) {
        memset(m->layer_off, 0, (size_t)L);
        m->static_att = NULL;
    }
    const double t0 = now();
    hs_status s = hs_model_forward_with(m, b, ov);
    *t = now() - t0;
    m->static_att = st;
    memcpy(m->layer_off, layer_off, (size_t)L);
    return s;
}

/* Latency ratio shrunk / full: the two alternate, each pair in a fixed order,
 * and the median of the per-pair ratios resists a noisy, shared machine. */
static hs_status latency_ratio(hs_model *m, const hs_batch *b, const hs_layer_attn *ov, int reps,
                               double *ratio)
{
    double r[64];
    unsigned char keep[1024];
    memcpy(keep, m->layer_off, (size_t)m->cfg.layers);
    if (reps > 64) reps = 64;
    double t1, t2;
    HS_CHECK(timed_forward(m, b, ov, keep, &t1)); /* warm-up */
    HS_CHECK(timed_forward(m, b, NULL, keep, &t2));
    for (int i = 0; i < reps; i++) {
        HS_CHECK(timed_forward(m, b, NULL, keep, &t2));
        HS_CHECK(timed_forward(m, b, ov, keep, &t1));
        r[i] = t1 / t2;
    }
    qsort(r, (size_t)reps, sizeof r[0], cmp_double);
    *ratio = reps % 2 ? r[reps / 2] : (r[reps / 2 - 1] + r[reps / 2]) / 2;
    return HS_OK;
}

/* Shrinks m by mask, checks outputs equal the masked model's on test batch
 * 0, and measures FLOPs and latency. */
static hs_status measure(hs_model *m, const hs_task *t, hs_batch_buf *bb, const hs_point_opts *o,
                         hs_point_result *r)
{
    const hs_config *c = &m->cfg;
    const int L = c->layers, H = c->heads;
    hs_task_batch(t, HS_SPLIT_TEST, 0, bb);
    const hs_batch *b = &bb->batch;
    const size_t nlog = (size_t)(c->lm ? b->B * b->T : b->B) * c->n_out;
    hs_real *masked = NULL;
    hs_shrunk sh = {0};
    HS_CHECK(hs_calloc((void **)&masked, nlog, sizeof(hs_real), "logits copy"));
    hs_status s = hs_model_forward(m, b);
    if (s == HS_OK) {
        memcpy(masked, m->a.logits, nlog * sizeof(hs_real));
        s = hs_shrunk_build(&sh, m, r->mask);
    }
    if (s == HS_OK) s = hs_model_forward_with(m, b, sh.attn);
    if (s == HS_OK) {
        double e = 0;
        for (size_t i = 0; i < nlog; i++) e = fmax(e, fabs((double)m->a.logits[i] - masked[i]));
        r->shrink_max_diff = e;
        /* fp32 sums over fewer terms: ~1e-6 relative; a wrong removal is O(1) */
        if (!(e <= 1e-4))
            s = hs_error_set(HS_ERR_NUMERIC, "physically pruned model differs from the masked one by %g", e);
    }
    int per_layer[1024];
    for (int l = 0; l < L && l < 1024; l++) per_layer[l] = sh.attn ? sh.attn[l].heads : H;
    int full[1024];
    for (int l = 0; l < L && l < 1024; l++) full[l] = H;
    unsigned char keep_off[1024];
    memcpy(keep_off, m->layer_off, (size_t)L);
    if (s == HS_OK) {
        double f_pruned = hs_flops_pruned(m, b->B, b->T, per_layer);
        memset(m->layer_off, 0, (size_t)L);
        double f_full = hs_flops_pruned(m, b->B, b->T, full);
        memcpy(m->layer_off, keep_off, (size_t)L);
        r->flops_ratio = f_pruned / f_full;
    }
    r->latency_ratio = NAN;
    if (s == HS_OK && o->latency_repeats > 0) s = latency_ratio(m, b, sh.attn, o->latency_repeats, &r->latency_ratio);
    hs_shrunk_free(&sh);
    hs_free(masked);
    return s;
}

const char *const hs_ft_params_names[] = {"all", "bias", "gates+output", NULL};
const char *const hs_quant_names[] = {"none", "int8", NULL};

int hs_ft_updates(int params, int id)
{
    switch (params) {
    case HS_FT_BIAS: /* BitFit: every bias (LayerNorm's too) and the task's output head */
        return id == HS_P_BQ || id == HS_P_BK || id == HS_P_BV || id == HS_P_BO || id == HS_P_B1 ||
               id == HS_P_B2 || id == HS_P_LN1_B || id == HS_P_LN2_B || id == HS_P_LNF_B ||
               id == HS_P_EMB_LN_B || id == HS_P_PATCH_B || id == HS_P_POOL_B || id == HS_P_OUT_W ||
               id == HS_P_OUT_B;
    case HS_FT_GATES_OUTPUT: /* MAE's FTG+: gates, the projection after the heads, the output head */
        return id == HS_P_GATES || id == HS_P_WO || id == HS_P_BO || id == HS_P_OUT_W || id == HS_P_OUT_B;
    default: return id != HS_P_GATES;
    }
}

/* Marks the tensors fine-tuning may update (m is the point's own clone:
 * its table is not shared). "all" keeps the table as it is. */
static void ft_select(hs_model *m, int params)
{
    if (params != HS_FT_ALL)
        for (int i = 0; i < HS_NUM_PARAMS; i++) m->info[i].trained = hs_ft_updates(params, i);
}

/* Size in bytes of the int8 model the mask leaves: Wq, Wk, Wv columns and Wo
 * rows of kept heads and W1, W2 of layers left on as 1-byte codes plus one
 * fp32 scale per output channel; every other kept parameter fp32. */
static long int8_bytes(const hs_model *m, const unsigned char *mask, long params_kept)
{
    const hs_config *c = &m->cfg;
    const long L = c->layers, H = c->heads, d = c->d_model, F = c->d_ff, dh = d / H;
    long q = 0, scales = 0;
    for (long l = 0; l < L; l++) {
        if (m->layer_off[l]) continue;
        long h = 0;
        for (long j = 0; j < H; j++) h += mask[l * H + j] != 0;
        q += 4 * h * dh * d + 2 * d * F;
        scales += 3 * h * dh + (h ? d : 0) + F + d;
    }
    return 4 * (params_kept - q) + q + 4 * scales;
}

/* Fine-tuning with knowledge distillation (point.h): for each training batch
 * the teacher — a copy of the unpruned base, every gate 1 — gives its logits,
 * then m takes one step on the distillation loss. hs_train_task takes the
 * steps one at a time (reloading the same batch: batches are a function of
 * their index), so deadlines and divergence are handled as without KD. */
static hs_status finetune_kd(hs_model *m, const hs_model *base, hs_adamw *opt, const hs_task *t,
                             hs_batch_buf *bb, const hs_point_opts *o)
{
    hs_model *teacher = NULL;
    hs_status s = hs_model_clone(&teacher, base);
    if (s == HS_OK) s = hs_model_setup_batch(teacher, bb->B, t->shape.seq_len);
    if (s == HS_OK) {
        for (size_t i = 0; i < teacher->info[HS_P_GATES].count; i++) teacher->p.gates[i] = 1;
        memset(teacher->layer_off, 0, (size_t)teacher->cfg.layers);
        s = hs_model_set_quant(teacher, 0); /* the teacher is the fp32 base */
    }
    m->kd_alpha = o->kd_alpha;
    m->kd_temperature = o->kd_temperature;
    for (long i = 0; i < o->finetune_steps && s == HS_OK; i++) {
        const long index = (1L << 30) + i;
        hs_task_batch(t, HS_SPLIT_TRAIN, index, bb);
        s = hs_model_forward(teacher, &bb->batch);
        m->kd_logits = teacher->a.logits;
        if (s == HS_OK) s = hs_train_task(m, opt, t, bb, 1, index, 0, NULL, NULL);
    }
    m->kd_logits = NULL; /* evaluations report the plain cross-entropy */
    hs_model_destroy(&teacher);
    return s;
}

hs_status hs_point_finetune(hs_model *m, const hs_model *base, const hs_task *t, hs_batch_buf *bb,
                            const unsigned char *mask, const hs_point_opts *o)
{
    if (o->finetune_steps <= 0) return HS_OK;
    hs_adamw *opt = NULL;
    hs_adamw_config oc = hs_adamw_defaults(o->finetune_steps);
    oc.lr = o->finetune_lr;
    oc.warmup = o->finetune_steps / 10;
    ft_select(m, o->finetune_params);
    hs_status s = hs_adamw_create(&opt, m, &oc);
    if (s == HS_OK) opt->gate_keep = mask; /* trained gates: pruned heads stay at 0 */
    /* fine-tuning batches continue the base model's stream from a far offset */
    if (s == HS_OK && o->kd_alpha > 0) s = finetune_kd(m, base, opt, t, bb, o);
    else if (s == HS_OK) s = hs_train_task(m, opt, t, bb, o->finetune_steps, 1L << 30, 0, NULL, NULL);
    hs_adamw_destroy(&opt);
    return s;
}

hs_status hs_point_run(const hs_model *base, const hs_task *t, const hs_method *meth,
                       const hs_settings *set, double ratio, uint64_t key, const hs_point_opts *o,
                       hs_point_result *r)
{
    const double t0 = now();
    const int L = base->cfg.layers, H = base->cfg.heads, N = L * H;
    if (L > 1024 || N > 1024 * 64)
        return hs_error_set(HS_ERR_INPUT, "model too large for the pruning framework (L %d, H %d)", L, H);
    hs_model *m = NULL;
    hs_batch_buf bb = {0};
    hs_prune_ctx *ctx = NULL;
    hs_status s = hs_model_clone(&m, base);
    if (s == HS_OK) s = hs_model_setup_batch(m, o->batch, t->shape.seq_len);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, t, o->batch);
    if (s == HS_OK) s = hs_calloc((void **)&ctx, 1, sizeof *ctx, "pruning context");
    if (s != HS_OK) goto done;
    for (int i = 0; i < N; i++) m->p.gates[i] = 1;

    hs_eval_result ev;
    s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
    if (s != HS_OK) goto done;
    r->metric_base = ev.metric;

    *ctx = (hs_prune_ctx){.model = m, .task = t, .bb = &bb, .ratio = ratio,
                          .k = (int)lround(ratio * N), .key = key, .set = set, .method = meth,
                          .mask = r->mask, .importance = r->importance, .improved = -1};
    memset(r->mask, 1, (size_t)N);
    memset(r->importance, 0, sizeof(float) * N);
    s = meth->run(ctx);
    if (s != HS_OK) goto done;
    /* the method may have evaluated other masks: put the chosen one in place */
    for (int i = 0; i < N; i++) m->p.gates[i] = r->mask[i] ? 1 : 0;
    /* heads made constant (PAPA) stay in the model: recorded as 2 */
    if (m->static_att)
        for (int i = 0; i < N; i++)
            if (r->mask[i] && m->is_static[i]) r->mask[i] = 2;
    r->curve_len = ctx->curve_len;
    r->improved = ctx->improved;
    r->metric_int8 = NAN;
    r->int8_bytes = 0;
    memcpy(r->curve, ctx->curve, sizeof(double) * (size_t)ctx->curve_len);
    r->evals = ctx->evals;

    s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
    if (s != HS_OK) goto done;
    r->metric_pruned = r->metric_finetuned = ev.metric;
    r->loss_pruned = ev.loss;
    if (o->quantize == HS_QUANT_INT8) s = hs_model_set_quant(m, HS_Q8_WEIGHTS | HS_Q8_INPUTS);
    if (s == HS_OK) s = hs_point_finetune(m, base, t, &bb, r->mask, o);
    if (s != HS_OK) goto done;
    if (o->quantize == HS_QUANT_INT8) { /* the int8 model (after QAT, or post-training without steps) */
        s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
        if (s == HS_OK) s = hs_model_set_quant(m, 0); /* the fp32 masters from here on */
        if (s != HS_OK) goto done;
        r->metric_int8 = ev.metric;
    }
    if (o->finetune_steps > 0) {
        s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
        if (s != HS_OK) goto done;
        r->metric_finetuned = ev.metric;
        r->loss_pruned = ev.loss;
    }
    if (!isfinite(r->metric_pruned) || !isfinite(r->metric_finetuned)) {
        s = hs_error_set(HS_ERR_NUMERIC, "metric is not finite after pruning (%g, %g)", r->metric_pruned,
                         r->metric_finetuned);
        goto done;
    }
    r->heads_total = N;
    r->heads_kept = 0;
    for (int i = 0; i < N; i++)
        r->heads_kept += r->mask[i] && !m->layer_off[i / H];
    r->params_total = 0;
    for (int i = 0; i < HS_NUM_PARAMS; i++)
        if (i != HS_P_GATES) r->params_total += (long)m->info[i].count;
    r->params_kept = hs_params_kept(m, r->mask);
    if (o->quantize == HS_QUANT_INT8) r->int8_bytes = int8_bytes(m, r->mask, r->params_kept);
    s = measure(m, t, &bb, o, r);
    if (s == HS_OK && r->keep) {
        r->kept_had_hook = m->gate_hook != NULL;
        m->gate_hook = NULL;
        *r->keep = m;
        m = NULL;
    }
done:
    r->seconds = now() - t0;
    if (ctx && ctx->state_free) ctx->state_free(ctx->state); /* after the model's last use */
    hs_free(ctx);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    return s;
}
