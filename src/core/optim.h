/* optim.h — AdamW with linear warm-up then linear decay, and global
 * gradient-norm clipping (docs/design.md "The model": betas 0.9/0.999, eps 1e-8, weight decay
 * on the linear-layer matrices only, clip 1.0). State is two buffers laid out
 * like the model's parameter buffer. */
#ifndef HS_CORE_OPTIM_H
#define HS_CORE_OPTIM_H

#include "model.h"

typedef struct {
    double lr;           /* peak learning rate */
    double beta1, beta2, eps;
    double weight_decay; /* decoupled, on tensors with info.decay */
    double clip;         /* global grad-norm bound; <= 0 disables */
    long warmup;         /* steps of linear warm-up */
    long total_steps;    /* decays linearly to 0 at this step */
} hs_adamw_config;

/* The defaults of docs/design.md (lr 1e-3, weight decay 0.01, clip 1.0). */
hs_adamw_config hs_adamw_defaults(long total_steps);

typedef struct {
    hs_adamw_config c;
    hs_real *m, *v; /* moments, NULL until the first update of a trained tensor */
    size_t n;
    long t; /* steps taken */
    /* [count of the gates] or NULL: when the gates are trained, those with
     * keep 0 (pruned heads) get a zero gradient before the norm and the
     * update, so they stay exactly 0. Not owned. */
    const unsigned char *gate_keep;
} hs_adamw;

/* Creates an optimizer for model m; *out owned by the caller. The moments
 * (2 × the parameter buffer: 880 MB at BERT-base) are allocated by the
 * first step that updates a trained tensor, so an optimizer that is only
 * used for forward/backward passes (all tensors untrained: scoring) keeps
 * no state. */
hs_status hs_adamw_create(hs_adamw **out, const hs_model *m, const hs_adamw_config *c);

/* Allocates the moments now (idempotent); HS_ERR_NOMEM naming them. */
hs_status hs_adamw_reserve(hs_adamw *o);

/* Learning rate at step t (0-based): lr·(t+1)/warmup during warm-up, then
 * lr·(total − t)/(total − warmup), never below 0. */
double hs_adamw_lr(const hs_adamw_config *c, long t);

/* Clips and applies one update from m->grads to the trained tensors.
 * Returns the global gradient norm before clipping (for NaN detection;
 * NaN too, with the error pending, if the moments cannot be allocated). */
double hs_adamw_step(hs_adamw *o, hs_model *m);

void hs_adamw_destroy(hs_adamw **o);

/* The coefficients of one Adam(W) update, in hs_real: gradient scale (the
 * clip factor), betas, bias corrections 1 − β^t, eps, rate, decoupled decay. */
typedef struct {
    hs_real gscale, b1, b2, bc1, bc2, eps, lr, wd;
} hs_adam_coef;

/* The coefficients of step t (1-based) at rate lr with gradient scale gscale;
 * wd is the decoupled weight decay (0: plain Adam). */
hs_adam_coef hs_adam_coef_at(double lr, double beta1, double beta2, double eps, double wd, long t,
                             double gscale);

/* The one Adam update of the code base (hs_adamw_step per tensor, the mae
 * gate networks): for each of the n elements, with g' = gscale·g,
 *   m ← β1·m + (1 − β1)·g',  v ← β2·v + (1 − β2)·g'²,
 *   p ← p − lr·((m / bc1) / (√(v / bc2) + eps) + wd·p).
 * The same operations in the same order on every path (bit-identical). */
void hs_adam_update(hs_real *p, const hs_real *g, hs_real *m, hs_real *v, size_t n, const hs_adam_coef *k);

/* One training step on batch b: zero_grad, forward, backward, update.
 * *loss receives the batch loss. A non-finite loss or gradient norm returns
 * HS_ERR_NUMERIC (naming the step) and leaves the parameters as they were. */
hs_status hs_train_step(hs_model *m, hs_adamw *o, const hs_batch *b, double *loss);

#endif
