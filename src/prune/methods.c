/* methods.c — the method registry and the helpers methods share (see
 * method.h). Each method lives in its own file; this table is the one place
 * that lists them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

extern const hs_method hs_method_random, hs_method_magnitude, hs_method_michel, hs_method_greedy,
    hs_method_astar, hs_method_layerdrop, hs_method_papa, hs_method_mae, hs_method_l0, hs_method_movement, hs_method_accdrop;

static const hs_method *const registry[] = {
    &hs_method_random, &hs_method_magnitude, &hs_method_michel, &hs_method_greedy,
    &hs_method_astar,  &hs_method_layerdrop, &hs_method_papa,  &hs_method_mae,
    &hs_method_l0,     &hs_method_movement, &hs_method_accdrop,
};

const hs_method *const *hs_methods(int *n)
{
    *n = (int)(sizeof registry / sizeof registry[0]);
    return registry;
}

const hs_method *hs_method_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (!strcmp(registry[i]->name, name)) return registry[i];
    return NULL;
}

const char *hs_method_names(void)
{
    static char buf[512];
    if (!buf[0])
        for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
            if (i) strcat(buf, ", ");
            strcat(buf, registry[i]->name);
        }
    return buf;
}

void hs_settings_defaults(const hs_method *m, hs_settings *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < m->n_settings; i++) s->v[i] = m->settings[i].def;
}

int hs_setting_index(const hs_method *m, const char *name)
{
    for (int i = 0; i < m->n_settings; i++)
        if (!strcmp(m->settings[i].name, name)) return i;
    return -1;
}

double hs_setting(const hs_prune_ctx *ctx, const char *name)
{
    int i = hs_setting_index(ctx->method, name);
    HS_ASSERT(i >= 0);
    return ctx->set->v[i];
}

double hs_cost_setting(const hs_cost_ctx *c, const char *name)
{
    int i = hs_setting_index(c->method, name);
    HS_ASSERT(i >= 0);
    return c->set->v[i];
}

int hs_cost_choice_is(const hs_cost_ctx *c, const char *name, const char *choice)
{
    const int i = hs_setting_index(c->method, name);
    HS_ASSERT(i >= 0 && c->method->settings[i].type == HS_SET_CHOICE);
    const char *const *ch = c->method->settings[i].choices;
    int known = 0;
    for (int j = 0; ch[j]; j++) known |= !strcmp(ch[j], choice);
    HS_ASSERT(known);
    return !strcmp(ch[(int)c->set->v[i]], choice);
}

double hs_cost_none(const hs_cost_ctx *c)
{
    (void)c;
    return 0;
}

/* The one top-k of the methods: the `remove` lowest scores go, ties to the
 * lowest index (sorted by (score, index), so O(n log n) for the many units
 * of block movement). Float scores convert to double exactly, so both entry
 * points order alike. */
typedef struct {
    double s;
    int i;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->s != b->s) return a->s < b->s ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static hs_status topk(unsigned char *mask, const float *fs, const double *ds, int n, int remove)
{
    memset(mask, 1, (size_t)n);
    if (remove <= 0) return HS_OK;
    ranked *r = NULL;
    HS_CHECK(hs_calloc((void **)&r, (size_t)n, sizeof *r, "top-k order"));
    for (int i = 0; i < n; i++) r[i] = (ranked){fs ? (double)fs[i] : ds[i], i};
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    for (int i = 0; i < remove && i < n; i++) mask[r[i].i] = 0;
    hs_free(r);
    return HS_OK;
}

hs_status hs_mask_from_scores(unsigned char *mask, const float *scores, int n, int k)
{
    return topk(mask, scores, NULL, n, k);
}

hs_status hs_topk_mask(unsigned char *mask, const double *score, int n, int remove)
{
    return topk(mask, NULL, score, n, remove);
}

hs_status hs_prune_eval_mask(hs_prune_ctx *ctx, const unsigned char *mask, hs_eval_result *out)
{
    hs_model *m = ctx->model;
    const int N = m->cfg.layers * m->cfg.heads;
    for (int i = 0; i < N; i++) m->p.gates[i] = mask[i] ? 1 : 0;
    ctx->evals++;
    return hs_eval_split(m, ctx->task, HS_SPLIT_PRUNE, ctx->bb, out);
}

void hs_curve_push(hs_prune_ctx *ctx, double v)
{
    if (ctx->curve_len < HS_MAX_CURVE) ctx->curve[ctx->curve_len++] = v;
}

hs_status hs_gate_importance(hs_prune_ctx *c, int per_example, int normalize, float *out)
{
    hs_model *m = c->model;
    const hs_task *t = c->task;
    const int L = m->cfg.layers, H = m->cfg.heads, N = L * H;
    double *acc = NULL;
    HS_CHECK(hs_calloc((void **)&acc, (size_t)N, sizeof(double), "importance"));
    const long nb = hs_task_num_batches(t, HS_SPLIT_PRUNE, c->bb->B);
    long examples = 0;
    m->want_gate_ex = 1;
    m->gates_only = 1; /* only ∂L/∂g is read: backward skips every weight gradient (same gate bits) */
    hs_status s = HS_OK;
    for (long i = 0; i < nb && s == HS_OK; i++) {
        const int n = hs_task_batch(t, HS_SPLIT_PRUNE, i, c->bb);
        hs_model_zero_grad(m);
        s = hs_model_forward(m, &c->bb->batch);
        if (s != HS_OK || m->loss_count == 0) continue;
        hs_model_backward(m, &c->bb->batch);
        /* gradients are of the batch mean; × count gives the summed loss's */
        const double scale = m->loss_count;
        for (int l = 0; l < L; l++)
            for (int j = 0; j < H; j++) {
                if (per_example) {
                    for (int e = 0; e < n; e++)
                        acc[l * H + j] += fabs(scale * m->a.gate_ex[((size_t)l * n + e) * H + j]);
                } else {
                    acc[l * H + j] += fabs(scale * m->g.gates[l * H + j]);
                }
            }
        examples += n;
    }
    m->want_gate_ex = 0;
    m->gates_only = 0;
    for (int i = 0; i < N; i++) out[i] = (float)(examples ? acc[i] / examples : 0);
    if (normalize)
        for (int l = 0; l < L; l++) {
            double sq = 0;
            for (int j = 0; j < H; j++) sq += (double)out[l * H + j] * out[l * H + j];
            const double norm = sqrt(sq) + 1e-20;
            for (int j = 0; j < H; j++) out[l * H + j] = (float)(out[l * H + j] / norm);
        }
    hs_free(acc);
    return s;
}
