/* attention.h — the shared attention core: multi-head self-attention with
 * per-head gates, forward and backward. Every pruning method goes through
 * this one implementation (DESIGN.md, "The model"):
 *
 *   q,k,v = a Wq + bq, a Wk + bk, a Wv + bv          a[B·T][d], W[d][d]
 *                                                    (one product with W packed [d][3d])
 *   P_j   = softmax(q_j k_jᵀ / √dh + mask)             head j = columns j·dh..(j+1)·dh-1
 *   c_j   = P_j v_j
 *   out  += concat_j(g_j · c_j) Wo + bo                (accumulates into the residual)
 *
 * mask: key positions ≥ lengths[b] (padding) and, when causal, keys after the
 * query. A gate of 0 removes the head's contribution but its context is still
 * computed, so ∂L/∂g_j = Σ_{b,t} <c_j, ∂L/∂(g_j c_j)> is defined (Michel).
 */
#ifndef HS_CORE_ATTENTION_H
#define HS_CORE_ATTENTION_H

#include "real.h"

/* One layer's attention weights (or their gradients): Wq..Wo [d][d], biases [d], gates [H]. */
typedef struct {
    hs_real *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo, *gates;
} hs_attn_weights;

/* What forward saves for backward: qkv [B·T][3d] (q | k | v per row), the
 * packed projection wqkv [d][3d] and bqkv [3d], att [B][H][T][T], ctx and
 * gctx (gated context) [B·T][d]. */
typedef struct {
    hs_real *qkv, *wqkv, *bqkv, *att, *ctx, *gctx;
} hs_attn_saved;

/* Backward scratch: dqkv [B·T][3d], dctx [B·T][d], dp [T][T], dwqkv [d][3d], dbqkv [3d]. */
typedef struct {
    hs_real *dqkv, *dctx, *dp, *dwqkv, *dbqkv;
} hs_attn_scratch;

typedef struct {
    int B, T, d, H;
    int causal;
    const int *lengths; /* [B], each in 1..T; NULL = no padding */
} hs_attn_shape;

/* out[B·T][d] += attention(a). Fills *s. */
void hs_attention_forward(hs_real *out, const hs_attn_saved *s, const hs_real *a,
                          const hs_attn_weights *w, const hs_attn_shape *sh);

/* From dout = ∂L/∂out [B·T][d]: writes da = ∂L/∂a; g->* += weight and gate gradients.
 * Uses scr; reads a, s and w as left by forward. */
void hs_attention_backward(hs_real *da, const hs_attn_weights *g, const hs_attn_scratch *scr,
                           const hs_real *dout, const hs_real *a, const hs_attn_saved *s,
                           const hs_attn_weights *w, const hs_attn_shape *sh);

#endif
