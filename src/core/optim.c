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

hs_adam_coef hs_adam_coef_at(double lr, double beta1, double beta2, double eps, double wd, long t,
                             double gscale)
{
    hs_adam_coef k = {(hs_real)gscale, (hs_real)beta1, (hs_real)beta2, (hs_real)(1 - pow(beta1, (double)t)),
                      (hs_real)(1 - pow(beta2, (double)t)), (hs_real)eps, (hs_real)lr, (hs_real)wd};
    return k;
}

HS_SIMD_CLONES void hs_adam_update(hs_real *restrict p, const hs_real *restrict g, hs_real *restrict mm,
                                   hs_real *restrict vv, size_t n, const hs_adam_coef *k)
{
    /* locals: p may alias k's fields as far as the compiler knows */
    const hs_real gscale = k->gscale, b1 = k->b1, b2 = k->b2, bc1 = k->bc1, bc2 = k->bc2, eps = k->eps,
                  lr_r = k->lr, wd = k->wd;
    for (size_t i = 0; i < n; i++) {
        hs_real gk = g[i] * gscale;
        mm[i] = b1 * mm[i] + (1 - b1) * gk;
        vv[i] = b2 * vv[i] + (1 - b2) * gk * gk;
        hs_real mhat = mm[i] / bc1, vhat = vv[i] / bc2;
        p[i] -= lr_r * (mhat / (sqrt(vhat) + eps) + wd * p[i]);
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
    if (o->gate_keep && m->info[HS_P_GATES].trained)
        for (size_t i = 0; i < m->info[HS_P_GATES].count; i++)
            if (!o->gate_keep[i]) m->g.gates[i] = 0;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        if (!m->info[i].trained || !m->info[i].count) continue;
        sq += sum_sq(m->g.at[i], m->info[i].count);
        any = 1;
    }
    const double norm = sqrt(sq);
    if (!isfinite(norm)) return norm; /* caller reports divergence; parameters untouched */
    if (any && hs_adamw_reserve(o) != HS_OK) return NAN; /* the pending error names the buffer */
    const double gscale = (o->c.clip > 0 && norm > o->c.clip) ? o->c.clip / norm : 1;
    const double lr = hs_adamw_lr(&o->c, o->t);
    o->t++;
    hs_adam_coef k = hs_adam_coef_at(lr, o->c.beta1, o->c.beta2, o->c.eps, 0, o->t, gscale);
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (!ti->trained || !ti->count) continue;
        k.wd = ti->decay ? (hs_real)o->c.weight_decay : 0;
        hs_adam_update(m->p.at[i], m->g.at[i], o->m + ti->offset, o->v + ti->offset, ti->count, &k);
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
