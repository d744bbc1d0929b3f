/* ops.h — the elementwise and matrix operations of the transformer.
 *
 * Each op is a _forward/_backward pair of plain functions over raw pointers
 * with explicit dims (docs/design.md, "Code conventions"). Row-major; y = x W + b with W stored [in][out].
 * Backward functions ACCUMULATE (+=) into weight and bias gradients and into
 * dinp, except where a comment says "writes". Shapes are in brackets. */
#ifndef HS_CORE_OPS_H
#define HS_CORE_OPS_H

#include <stddef.h>

#include "real.h"

/* out[N][O] (=, or += when accumulate) inp[N][K] · w[K][O] + bias[O] (bias may be NULL). */
void hs_matmul_forward(hs_real *out, const hs_real *inp, const hs_real *w, const hs_real *bias,
                       int N, int K, int O, int accumulate);
/* Reference triple loop with the same contract, for tests (docs/design.md, "Code conventions"). */
void hs_matmul_forward_naive(hs_real *out, const hs_real *inp, const hs_real *w,
                             const hs_real *bias, int N, int K, int O, int accumulate);
/* dinp[N][K] (+= when dinp_accumulate, else =) dout·wᵀ (dinp may be NULL),
 * dw[K][O] += inpᵀ·dout (dw may be NULL), dbias[O] += Σ_n dout (dbias may be NULL). */
void hs_matmul_backward(hs_real *dinp, hs_real *dw, hs_real *dbias, const hs_real *dout,
                        const hs_real *inp, const hs_real *w, int N, int K, int O,
                        int dinp_accumulate);

/* Σ x[i] and Σ x[i]·y[i] over n elements in a fixed order (eight
 * interleaved partial sums): the same bits on every build and CPU. */
hs_real hs_sum(const hs_real *x, int n);
hs_real hs_dot(const hs_real *x, const hs_real *y, int n);

/* LayerNorm over the last dim, eps 1e-5. Writes out[N][C], mean[N], rstd[N]. */
void hs_layernorm_forward(hs_real *out, hs_real *mean, hs_real *rstd, const hs_real *inp,
                          const hs_real *g, const hs_real *b, int N, int C);
/* The same with epsilon eps (> 0); eps = (hs_real)1e-5 gives hs_layernorm_forward's bits.
 * Backward is hs_layernorm_backward for any eps (it reads rstd). */
void hs_layernorm_forward_eps(hs_real *out, hs_real *mean, hs_real *rstd, const hs_real *inp,
                              const hs_real *g, const hs_real *b, int N, int C, hs_real eps);
/* dinp[N][C] +=, dg[C] +=, db[C] += from dout[N][C]; dg = db = NULL skips the parameter gradients. */
void hs_layernorm_backward(hs_real *dinp, hs_real *dg, hs_real *db, const hs_real *dout,
                           const hs_real *inp, const hs_real *g, const hs_real *mean,
                           const hs_real *rstd, int N, int C);

/* GELU, tanh approximation, in place: reads the pre-activation x_deriv[n],
 * writes out[n] = GELU(x) and x_deriv[n] = GELU'(x) (backward needs only that). */
void hs_gelu_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n);
/* Writes dinp[n] = deriv · dout (dinp may alias dout). The backward of every
 * activation below, which leave their derivative in x_deriv the same way. */
void hs_gelu_backward(hs_real *dinp, const hs_real *deriv, const hs_real *dout, size_t n);

/* GELU, exact: 0.5·x·(1 + erf(x/√2)) (BERT's "gelu"); x_deriv as hs_gelu_forward.
 * Φ comes from a vectorisable erfc fit (relative error ~1e-7; ops.c). */
void hs_gelu_erf_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n);
/* ReLU: max(x, 0); x_deriv becomes 1 where x > 0, else 0. */
void hs_relu_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n);
/* The values alone, out[n] = act(x[n]) with x unchanged: the same bits as the
 * out of the _forward functions above (a forward that keeps the
 * pre-activation and recomputes act and act' in backward). */
void hs_gelu_value(hs_real *restrict out, const hs_real *restrict x, size_t n);
void hs_gelu_erf_value(hs_real *restrict out, const hs_real *restrict x, size_t n);
void hs_relu_value(hs_real *restrict out, const hs_real *restrict x, size_t n);
/* tanh: out = tanh(x) (libm, exact to float rounding), x_deriv = 1 − out². */
void hs_tanh_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n);

/* Softmax cross-entropy over rows of logits[R][C] with targets[R] (-1 = ignored row).
 * Writes probs[R][C]; returns the summed loss (double) and the number of counted rows. */
double hs_xent_forward(hs_real *probs, const hs_real *logits, const int *targets, int R, int C,
                       int *count);
/* Writes dlogits[R][C] = (probs - onehot) · scale for counted rows, 0 for ignored ones. */
void hs_xent_backward(hs_real *dlogits, const hs_real *probs, const int *targets, int R, int C,
                      hs_real scale);

/* Soft-target cross-entropy for knowledge distillation, over the rows with
 * targets[r] >= 0: returns Σ_r −Σ_c softmax(teacher_r/T)_c · log softmax(logits_r/T)_c
 * (double; rows with targets −1 are skipped). T > 0. */
double hs_soft_xent_forward(const hs_real *logits, const hs_real *teacher, const int *targets, int R,
                            int C, double T);
/* ACCUMULATES dlogits[R][C] += scale · (softmax(logits/T) − softmax(teacher/T)) on the counted rows
 * (∂ of the forward's summed loss is that with scale = 1/T). */
void hs_soft_xent_backward(hs_real *dlogits, const hs_real *logits, const hs_real *teacher,
                           const int *targets, int R, int C, double T, double scale);

#endif
