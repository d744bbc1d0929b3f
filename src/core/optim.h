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
    hs_real *m, *v;
    size_t n;
    long t; /* steps taken */
} hs_adamw;

/* Allocates optimizer state for model m; *out owned by the caller. */
hs_status hs_adamw_create(hs_adamw **out, const hs_model *m, const hs_adamw_config *c);

/* Learning rate at step t (0-based): lr·(t+1)/warmup during warm-up, then
 * lr·(total − t)/(total − warmup), never below 0. */
double hs_adamw_lr(const hs_adamw_config *c, long t);

/* Clips and applies one update from m->grads to the trained tensors.
 * Returns the global gradient norm before clipping (for NaN detection). */
double hs_adamw_step(hs_adamw *o, hs_model *m);

void hs_adamw_destroy(hs_adamw **o);

/* One training step on batch b: zero_grad, forward, backward, update.
 * *loss receives the batch loss. A non-finite loss or gradient norm returns
 * HS_ERR_NUMERIC (naming the step) and leaves the parameters as they were. */
hs_status hs_train_step(hs_model *m, hs_adamw *o, const hs_batch *b, double *loss);

#endif
