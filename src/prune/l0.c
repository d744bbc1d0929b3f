/* l0.c — `l0`: a hard-concrete gate per head with an expected-L0 constraint
 * (Voita et al. 2019 on Louizos et al. 2018; docs/methods.md "l0"), driven to an
 * exact head count by the Lagrangian of CoFi (Xia et al. 2022, after Wang et
 * al. 2020), then fixed deterministically.
 *
 * Per head a parameter a = log α (init `init`; P_open = sigmoid(a + β·log 11),
 * 0.99 at the default 3 with β = 2/3). Each step draws one noise value u per
 * head, shared by the whole batch (as Voita and CoFi), sets the gates to
 * z = hs_hc_sample(a, β, u) (learned.h), and runs a forward + backward pass on
 * training batch 2^32 + step (far from the base model's batches); ∂L/∂z from
 * the backward is chained to a through ∂z/∂a. The constraint is on the
 * expected fraction of heads kept f = Σ P_open(a)/N against a target that
 * ramps from 1 to t_f = 1 − k/N:
 *
 *     t(step) = 1 + (t_f − 1)·min(1, (step + 1)/W),  W = ceil(warmup_fraction·steps)
 *     L       = L_task + λ1·(f − t) + λ2·(f − t)²
 *
 * a is minimised by Adam (rate lr, betas 0.9/0.999, eps 1e-8, no decay,
 * constant rate); λ1, λ2 start at 0 and are maximised by Adam with a
 * sign-flipped step (rate lambda_lr, same betas) — what the CoFi code does
 * with a negative learning rate. With train_model the model's weights
 * take an AdamW step on the same task loss every step (peak model_lr, warm-up
 * steps/10 then linear decay, the model defaults otherwise), as in Voita et
 * al.; without it only the gates learn.
 *
 * At the end the N − k heads with the largest a are kept, gates exactly 1,
 * the rest 0 (ties: the lowest flat index goes first) — the deterministic fix
 * of Voita's gates, so exactly k heads go whatever the Lagrangian reached.
 * Outputs: importance = final a (log α; Voita's deterministic test-time gate,
 * hs_hc_test_gate, is 0 for a ≤ −log 11 ≈ −2.398 and 1 for a ≥ log 11, so the
 * heads already closed or open before the fix can be counted from it);
 * curve = the expected sparsity 1 − f, before the update of
 * every ceil(steps/127)-th step and once after the last (≤ 128 points).
 * k = 0 trains nothing (ratio 0 is the unpruned model).
 * Cost: `steps` forward + backward passes of one batch (+ the AdamW step). */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "learned.h"
#include "method.h"

/* --- the hard-concrete gate (learned.h) ------------------------------------ */

static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

double hs_hc_sample(double a, double beta, double u, double *dz_da)
{
    const double s = sigmoid((log(u) - log1p(-u) + a) / beta);
    const double sb = s * (HS_HC_ZETA - HS_HC_GAMMA) + HS_HC_GAMMA;
    const int inside = sb > 0 && sb < 1;
    if (dz_da) *dz_da = inside ? (HS_HC_ZETA - HS_HC_GAMMA) * s * (1 - s) / beta : 0;
    return sb <= 0 ? 0 : sb >= 1 ? 1 : sb;
}

double hs_hc_p_open(double a, double beta) { return sigmoid(a - beta * log(-HS_HC_GAMMA / HS_HC_ZETA)); }

double hs_hc_cdf(double x, double a, double beta)
{
    if (x < 0) return 0;
    if (x >= 1) return 1;
    if (x == 0) return 1 - hs_hc_p_open(a, beta);
    const double c = (x - HS_HC_GAMMA) / (HS_HC_ZETA - HS_HC_GAMMA);
    return sigmoid(beta * log(c / (1 - c)) - a);
}

double hs_hc_test_gate(double a)
{
    const double z = sigmoid(a) * (HS_HC_ZETA - HS_HC_GAMMA) + HS_HC_GAMMA;
    return z <= 0 ? 0 : z >= 1 ? 1 : z;
}

double hs_l0_penalty(const double *a, int N, double beta, double target, double lam1, double lam2,
                     double *grad, double *f_out)
{
    double f = 0;
    for (int i = 0; i < N; i++) f += hs_hc_p_open(a[i], beta);
    f /= N;
    const double v = f - target, coef = (lam1 + 2 * lam2 * v) / N;
    for (int i = 0; i < N; i++) {
        const double P = hs_hc_p_open(a[i], beta);
        grad[i] += coef * P * (1 - P);
    }
    if (f_out) *f_out = f;
    return lam1 * v + lam2 * v * v;
}

/* --- the shared training step (learned.h) ---------------------------------- */

hs_status hs_learned_fwd_bwd(hs_model *m, hs_adamw *scratch, const hs_task *t, hs_batch_buf *bb, long index)
{
    int keep[HS_NUM_PARAMS];
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        keep[i] = m->info[i].trained;
        m->info[i].trained = 0;
    }
    hs_status s = hs_train_task(m, scratch, t, bb, 1, index, 0, NULL, NULL);
    for (int i = 0; i < HS_NUM_PARAMS; i++) m->info[i].trained = keep[i];
    return s;
}

hs_status hs_learned_model_step(hs_model *m, hs_adamw *opt)
{
    const double norm = hs_adamw_step(opt, m);
    if (!isfinite(norm))
        return hs_error_set(HS_ERR_NUMERIC, "gradient norm is %g at training step %ld (diverged)", norm, opt->t);
    return HS_OK;
}

/* --- the method ------------------------------------------------------------- */

static const hs_setting_def settings[] = {
    {"steps", HS_SET_INT, 500, 1, 1e7, NULL, "training steps (one batch of run.batch each)"},
    {"lr", HS_SET_REAL, 0.1, 0, 10, NULL, "Adam rate of the gate parameters log alpha"},
    {"lambda_lr", HS_SET_REAL, 0.05, 0, 10, NULL, "Adam ascent rate of the Lagrange multipliers lambda1, lambda2"},
    {"beta", HS_SET_REAL, 2.0 / 3.0, 0.01, 10, NULL, "hard-concrete temperature (2/3 Louizos/CoFi, 0.33 Voita)"},
    {"train_model", HS_SET_BOOL, 1, 0, 1, NULL, "train the model's weights with the gates (false: gates only)"},
    {"model_lr", HS_SET_REAL, 5e-4, 0, 10, NULL, "AdamW peak rate of the model's weights (train_model)"},
    {"warmup_fraction", HS_SET_REAL, 0.3, 0, 1, NULL,
     "fraction of the steps over which the kept-fraction target ramps from 1 to 1 - k/N"},
    {"init", HS_SET_REAL, 3.0, -10, 10, NULL, "initial log alpha of every gate"},
};

typedef struct {
    double m, v;
} adam_moments;

/* One Adam update of x by gradient g (t = 1-based step); returns the step taken.
 * Not core/optim.h's hs_adam_update: this one is in double, weighs by the
 * literals 0.1/0.001 (not 1 − β, which round differently) and rounds lr·m̂
 * before the division; sharing that kernel would change every l0 result. */
static double adam(adam_moments *s, double g, double lr, long t)
{
    s->m = 0.9 * s->m + 0.1 * g;
    s->v = 0.999 * s->v + 0.001 * g * g;
    const double mh = s->m / (1 - pow(0.9, (double)t)), vh = s->v / (1 - pow(0.999, (double)t));
    return lr * mh / (sqrt(vh) + 1e-8);
}

static double kept_fraction(const double *a, int N, double beta)
{
    double f = 0;
    for (int i = 0; i < N; i++) f += hs_hc_p_open(a[i], beta);
    return f / N;
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    const int N = m->cfg.layers * m->cfg.heads;
    const long steps = (long)hs_setting(c, "steps");
    const double lr = hs_setting(c, "lr"), lam_lr = hs_setting(c, "lambda_lr"), beta = hs_setting(c, "beta");
    const int train = hs_setting(c, "train_model") != 0;
    const double init = hs_setting(c, "init"), wf = hs_setting(c, "warmup_fraction");
    memset(c->mask, 1, (size_t)N);
    for (int i = 0; i < N; i++) c->importance[i] = (float)init;
    if (c->k <= 0) return HS_OK;

    double *a = NULL, *dz = NULL, *grad = NULL;
    adam_moments *ma = NULL, ml[2] = {{0, 0}, {0, 0}};
    hs_adamw *opt = NULL, *scratch = NULL;
    hs_status s = hs_calloc((void **)&a, (size_t)N, sizeof *a, "l0 gate parameters");
    if (s == HS_OK) s = hs_calloc((void **)&dz, (size_t)N, sizeof *dz, "l0 gate derivatives");
    if (s == HS_OK) s = hs_calloc((void **)&ma, (size_t)N, sizeof *ma, "l0 Adam state");
    if (s == HS_OK) s = hs_calloc((void **)&grad, (size_t)N, sizeof *grad, "l0 gradient");
    hs_adamw_config oc = hs_adamw_defaults(steps);
    oc.lr = hs_setting(c, "model_lr");
    oc.warmup = steps / 10;
    if (s == HS_OK) s = hs_adamw_create(&scratch, m, &oc);
    if (s == HS_OK && train) s = hs_adamw_create(&opt, m, &oc);
    if (s != HS_OK) goto done;

    for (int i = 0; i < N; i++) a[i] = init;
    hs_rng r;
    hs_rng_seed(&r, hs_key_str(c->key, "l0-noise"));
    const double t_final = 1 - (double)c->k / N;
    const long W = (long)ceil(wf * (double)steps);
    const long stride = (steps + HS_LEARNED_CURVE - 2) / (HS_LEARNED_CURVE - 1);
    double lam[2] = {0, 0};
    for (long st = 0; st < steps; st++) {
        for (int i = 0; i < N; i++) {
            const double u = HS_HC_EPS + (1 - 2 * HS_HC_EPS) * hs_rng_uniform(&r);
            m->p.gates[i] = (hs_real)hs_hc_sample(a[i], beta, u, &dz[i]);
        }
        s = hs_learned_fwd_bwd(m, scratch, c->task, c->bb, (1L << 32) + st);
        if (s == HS_OK && train) s = hs_learned_model_step(m, opt);
        if (s != HS_OK) break;
        const double target = st + 1 < W ? 1 + (t_final - 1) * (double)(st + 1) / (double)W : t_final;
        /* ∂L/∂a_i = ∂L_task/∂z_i·∂z_i/∂a_i + ∂(λ1·v + λ2·v²)/∂a_i */
        for (int i = 0; i < N; i++) grad[i] = (double)m->g.gates[i] * dz[i];
        double f;
        hs_l0_penalty(a, N, beta, target, lam[0], lam[1], grad, &f);
        const double v = f - target;
        if (st % stride == 0) hs_curve_push(c, 1 - f);
        for (int i = 0; i < N; i++) a[i] -= adam(&ma[i], grad[i], lr, st + 1);
        /* ascent: ∂L/∂λ1 = v, ∂L/∂λ2 = v² */
        lam[0] += adam(&ml[0], v, lam_lr, st + 1);
        lam[1] += adam(&ml[1], v * v, lam_lr, st + 1);
    }
    if (s == HS_OK) {
        hs_curve_push(c, 1 - kept_fraction(a, N, beta));
        s = hs_topk_mask(c->mask, a, N, c->k);
        for (int i = 0; i < N; i++) {
            c->importance[i] = (float)a[i];
            m->p.gates[i] = c->mask[i] ? 1 : 0;
        }
    }
done:
    hs_adamw_destroy(&opt);
    hs_adamw_destroy(&scratch);
    hs_free(a);
    hs_free(dz);
    hs_free(ma);
    hs_free(grad);
    return s;
}

/* Cost: `steps` forward + backward passes of one run.batch of training
 * examples (nothing at k = 0), in prune-split passes. */
static double passes(const hs_cost_ctx *c)
{
    if (c->k == 0 || c->n_prune <= 0) return 0;
    return 3.0 * hs_cost_setting(c, "steps") * c->batch / (double)c->n_prune;
}

const hs_method hs_method_l0 = {
    .name = "l0",
    .summary = "hard-concrete head gates, Lagrangian to the exact count (Voita 2019, CoFi 2022)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = "expected fraction of heads removed along training",
};
