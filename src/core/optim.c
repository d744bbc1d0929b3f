/* optim.c — AdamW over the model's parameter table (see optim.h). At
 * BERT-base (110M parameters) a step streams p, g, m, v: the norm and the
 * update are each one vectorised pass. */
#include "optim.h"

#include <math.h>
#include <tgmath.h>

#include "alloc.h"
#include "fastmath.h"

hs_adamw_config hs_adamw_defaults(long total_steps)
{
    hs_adamw_config c = {1e-3, 0.9, 0.999, 1e-8, 0.01, 1.0, 0, total_steps};
    return c;
}

hs_status hs_adamw_create(hs_adamw **out, const hs_model *m, const hs_adamw_config *c)
{
    *out = NULL;
    hs_adamw *o;
    HS_CHECK(hs_calloc((void **)&o, 1, sizeof *o, "optimizer"));
    o->c = *c;
    o->n = m->num_params;
    *out = o;
    return HS_OK;
}

hs_status hs_adamw_reserve(hs_adamw *o)
{
    if (o->m) return HS_OK;
    hs_status s = hs_calloc((void **)&o->m, o->n, sizeof(hs_real), "AdamW first moments");
    if (s == HS_OK) s = hs_calloc((void **)&o->v, o->n, sizeof(hs_real), "AdamW second moments");
    if (s != HS_OK) {
        hs_free(o->m);
        o->m = NULL;
    }
    return s;
}

/* Σ g² in double, four interleaved partial sums combined pairwise: a fixed
 * order (the same bits everywhere) that vectorises, where one running sum
 * was bound by the latency of its adds. */
HS_SIMD_CLONES static double sum_sq(const hs_real *g, size_t n)
{
    double a[4] = {0, 0, 0, 0};
    size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (int l = 0; l < 4; l++) a[l] += (double)g[k + l] * g[k + l];
    for (; k < n; k++) a[0] += (double)g[k] * g[k];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

HS_SIMD_CLONES static void update(hs_real *restrict p, const hs_real *restrict g, hs_real *restrict mm,
                                  hs_real *restrict vv, size_t n, hs_real gscale, hs_real b1, hs_real b2,
                                  hs_real bc1, hs_real bc2, hs_real eps, hs_real lr_r, hs_real wd)
{
    for (size_t k = 0; k < n; k++) {
        hs_real gk = g[k] * gscale;
        mm[k] = b1 * mm[k] + (1 - b1) * gk;
        vv[k] = b2 * vv[k] + (1 - b2) * gk * gk;
        hs_real mhat = mm[k] / bc1, vhat = vv[k] / bc2;
        p[k] -= lr_r * (mhat / (sqrt(vhat) + eps) + wd * p[k]);
    }
}

double hs_adamw_lr(const hs_adamw_config *c, long t)
{
    if (t < c->warmup) return c->lr * (double)(t + 1) / (double)c->warmup;
    if (c->total_steps <= c->warmup) return c->lr;
    double f = (double)(c->total_steps - t) / (double)(c->total_steps - c->warmup);
    return f > 0 ? c->lr * f : 0;
}

double hs_adamw_step(hs_adamw *o, hs_model *m)
{
    double sq = 0;
    int any = 0;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        if (!m->info[i].trained || !m->info[i].count) continue;
        sq += sum_sq(m->g.at[i], m->info[i].count);
        any = 1;
    }
    const double norm = sqrt(sq);
    if (!isfinite(norm)) return norm; /* caller reports divergence; parameters untouched */
    if (any && hs_adamw_reserve(o) != HS_OK) return NAN; /* the pending error names the buffer */
    const hs_real gscale = (o->c.clip > 0 && norm > o->c.clip) ? (hs_real)(o->c.clip / norm) : 1;
    const double lr = hs_adamw_lr(&o->c, o->t);
    o->t++;
    const hs_real b1 = (hs_real)o->c.beta1, b2 = (hs_real)o->c.beta2, eps = (hs_real)o->c.eps;
    const hs_real bc1 = (hs_real)(1 - pow(o->c.beta1, (double)o->t));
    const hs_real bc2 = (hs_real)(1 - pow(o->c.beta2, (double)o->t));
    const hs_real lr_r = (hs_real)lr;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (!ti->trained || !ti->count) continue;
        const hs_real wd = ti->decay ? (hs_real)o->c.weight_decay : 0;
        update(m->p.at[i], m->g.at[i], o->m + ti->offset, o->v + ti->offset, ti->count, gscale, b1, b2, bc1,
               bc2, eps, lr_r, wd);
    }
    return norm;
}

void hs_adamw_destroy(hs_adamw **op)
{
    if (!op || !*op) return;
    hs_free((*op)->m);
    hs_free((*op)->v);
    hs_free(*op);
    *op = NULL;
}

hs_status hs_train_step(hs_model *m, hs_adamw *o, const hs_batch *b, double *loss)
{
    hs_model_zero_grad(m);
    HS_CHECK(hs_model_forward(m, b));
    *loss = m->loss;
    if (!isfinite(m->loss))
        return hs_error_set(HS_ERR_NUMERIC, "loss is %g at training step %ld (diverged)", m->loss,
                            o->t);
    hs_model_backward(m, b);
    HS_CHECK(hs_adamw_reserve(o));
    double norm = hs_adamw_step(o, m);
    if (!isfinite(norm))
        return hs_error_set(HS_ERR_NUMERIC, "gradient norm is %g at training step %ld (diverged)",
                            norm, o->t);
    return HS_OK;
}
