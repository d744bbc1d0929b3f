/* optim.c — AdamW over the model's parameter table (see optim.h). */
#include "optim.h"

#include <math.h>
#include <tgmath.h>

#include "alloc.h"

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
    hs_status s = hs_calloc((void **)&o->m, o->n, sizeof(hs_real), "AdamW first moments");
    if (s == HS_OK) s = hs_calloc((void **)&o->v, o->n, sizeof(hs_real), "AdamW second moments");
    if (s != HS_OK) {
        hs_adamw_destroy(&o);
        return s;
    }
    *out = o;
    return HS_OK;
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
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        if (!m->info[i].trained) continue;
        const hs_real *g = m->g.at[i];
        for (size_t k = 0; k < m->info[i].count; k++) sq += (double)g[k] * g[k];
    }
    const double norm = sqrt(sq);
    if (!isfinite(norm)) return norm; /* caller reports divergence; parameters untouched */
    const hs_real gscale = (o->c.clip > 0 && norm > o->c.clip) ? (hs_real)(o->c.clip / norm) : 1;
    const double lr = hs_adamw_lr(&o->c, o->t);
    o->t++;
    const hs_real b1 = (hs_real)o->c.beta1, b2 = (hs_real)o->c.beta2, eps = (hs_real)o->c.eps;
    const hs_real bc1 = (hs_real)(1 - pow(o->c.beta1, (double)o->t));
    const hs_real bc2 = (hs_real)(1 - pow(o->c.beta2, (double)o->t));
    const hs_real lr_r = (hs_real)lr;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (!ti->trained) continue;
        hs_real *p = m->p.at[i];
        const hs_real *g = m->g.at[i];
        hs_real *mm = o->m + ti->offset, *vv = o->v + ti->offset;
        const hs_real wd = ti->decay ? (hs_real)o->c.weight_decay : 0;
        for (size_t k = 0; k < ti->count; k++) {
            hs_real gk = g[k] * gscale;
            mm[k] = b1 * mm[k] + (1 - b1) * gk;
            vv[k] = b2 * vv[k] + (1 - b2) * gk * gk;
            hs_real mhat = mm[k] / bc1, vhat = vv[k] / bc2;
            p[k] -= lr_r * (mhat / (sqrt(vhat) + eps) + wd * p[k]);
        }
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
    double norm = hs_adamw_step(o, m);
    if (!isfinite(norm))
        return hs_error_set(HS_ERR_NUMERIC, "gradient norm is %g at training step %ld (diverged)",
                            norm, o->t);
    return HS_OK;
}
