/* learned.h — the pieces of the learned-gate methods `l0` (l0.c) and
 * `movement` (movement.c) that tests check on their own: the hard-concrete
 * gate, the cubic sparsity schedule (docs/methods.md "l0", "movement") and a top-k
 * mask over double scores — and the training step both methods share. */
#ifndef HS_PRUNE_LEARNED_H
#define HS_PRUNE_LEARNED_H

#include "../core/optim.h"
#include "eval.h"
#include "method.h"

/* Points the learned methods record in ctx->curve: at most this many, the
 * width of the results file's /curves rows (HS_CURVE_WIDTH, which keeps the
 * first 128 of a longer curve), below HS_MAX_CURVE. Steps are sampled every
 * ceil(steps / (HS_LEARNED_CURVE − 1)), then the final value is appended. */
#define HS_LEARNED_CURVE 128

/* Stretch interval of the hard-concrete gate (Louizos et al. 2018). */
#define HS_HC_GAMMA (-0.1)
#define HS_HC_ZETA 1.1
/* Noise u is drawn in [HS_HC_EPS, 1 − HS_HC_EPS] (Voita, CoFi). */
#define HS_HC_EPS 1e-6

/* A training-time gate from log α = a, temperature beta and noise u ∈ (0, 1):
 *   s = sigmoid((log u − log(1−u) + a)/β),  s̄ = s·(ζ−γ) + γ,  z = clip(s̄, 0, 1).
 * Returns z; *dz_da (if not NULL) receives ∂z/∂a = (ζ−γ)·s(1−s)/β inside
 * (0, 1) and 0 where the clip is active. */
double hs_hc_sample(double a, double beta, double u, double *dz_da);

/* P(z > 0) = sigmoid(a − β·log(−γ/ζ)): the expected L0 contribution of a gate. */
double hs_hc_p_open(double a, double beta);

/* P(z ≤ x) of the training-time gate: 0 for x < 0, P(z = 0) = 1 − P_open at
 * x = 0, sigmoid(β·logit((x−γ)/(ζ−γ)) − a) for 0 < x < 1, 1 for x ≥ 1 (so
 * P(z = 1) = sigmoid(a − β·log((1−γ)/(ζ−1)))). */
double hs_hc_cdf(double x, double a, double beta);

/* Deterministic test-time gate clip(sigmoid(a)·(ζ−γ)+γ, 0, 1) (Voita). */
double hs_hc_test_gate(double a);

/* The Lagrangian term of `l0` on the expected kept fraction f = Σ P_open(a_i)/N
 * (docs/methods.md "l0"): returns λ1·(f − target) + λ2·(f − target)² and adds its
 * gradient (λ1 + 2λ2·(f − target))·P_i(1 − P_i)/N to grad[i]; *f_out (if not
 * NULL) receives f. */
double hs_l0_penalty(const double *a, int N, double beta, double target, double lam1, double lam2,
                     double *grad, double *f_out);

/* The cubic schedule of Sanh et al. (docs/methods.md "movement"), as a keep fraction:
 * keep_0 = 1 up to step t_i, keep_f after step total − t_f, and in between
 * keep_f + (1 − keep_f)·(1 − (step − t_i)/(total − t_i − t_f))³.
 * Needs total > t_i + t_f (the callers guarantee it). */
double hs_cubic_keep(long step, long total, long t_i, long t_f, double keep_f);

/* Units removed at `step` when `n` units go down to n − removed_f by the same
 * schedule: lround(n · r_f · (1 − (1 − p)³)) with r_f = removed_f / n and p
 * the schedule's progress in [0, 1] — 0 up to t_i, exactly removed_f after
 * total − t_f, never decreasing. */
long hs_cubic_removed(long step, long total, long t_i, long t_f, long n, long removed_f);

/* The top-k of the scores: hs_topk_mask in method.h. */

/* One forward + backward pass of m on training batch `index` (gradients of
 * the batch-mean loss in m->grads, ∂L/∂gates included; the loss in m->loss)
 * through hs_train_task, so the point's deadline and a non-finite loss are
 * reported as for any training. Every tensor's `trained` flag is cleared for
 * the call, so the step it takes with `scratch` (an optimizer created for m,
 * used for nothing else) changes no parameter; a caller that trains the
 * model applies its own optimizer step afterwards. */
hs_status hs_learned_fwd_bwd(hs_model *m, hs_adamw *scratch, const hs_task *t, hs_batch_buf *bb,
                             long index);

/* One AdamW step of the trained tensors from m->grads (the second half of
 * hs_train_step); a non-finite gradient norm is HS_ERR_NUMERIC. */
hs_status hs_learned_model_step(hs_model *m, hs_adamw *opt);

#endif
