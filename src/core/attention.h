/* attention.h — the shared attention core: multi-head self-attention with
 * per-head gates, forward and backward. Every pruning method goes through
 * this one implementation (docs/design.md, "The shared attention core"):
 *
 *   q,k,v = a Wq + bq, a Wk + bk, a Wv + bv      a[B·T][d], W[d][H·dh]
 *                                                (one product with W packed [d][3·H·dh])
 *   P_j   = softmax(q_j k_jᵀ / √dh + mask)         head j = columns j·dh..(j+1)·dh-1
 *   c_j   = P_j v_j
 *   out  += concat_j(g_j · c_j) Wo + bo            Wo [H·dh][d]; accumulates into the residual
 *
 * mask: key positions ≥ lengths[b] (padding) and, when causal, keys after the
 * query. A gate of 0 removes the head's contribution but its context is still
 * computed, so ∂L/∂g_j = Σ_{b,t} <c_j, ∂L/∂(g_j c_j)> is defined (Michel).
 *
 * The head count H may be smaller than d/dh: a physically pruned layer keeps
 * only its surviving heads' columns (and Wo rows); H = 0 adds only bo
 * (docs/methods.md, "Shared conventions"). A head marked static (PAPA) uses a constant attention
 * matrix C_j instead of softmax(q kᵀ): P_j = C_j restricted to the visible keys
 * of each row and renormalised (uniform where C_j's row is zero there).
 */
#ifndef HS_CORE_ATTENTION_H
#define HS_CORE_ATTENTION_H

#include "real.h"

/* One layer's attention weights (or their gradients): Wq, Wk, Wv [d][H·dh],
 * biases [H·dh], Wo [H·dh][d], bo [d], gates [H]. For the forward pass,
 * is_static [H] (or NULL) marks PAPA heads whose constant matrices are
 * static_att [H][Tc][Tc] (Tc ≥ T); both are ignored in gradient structs.
 * gates_ex [B][H] (or NULL): per-example gates (MAE, docs/methods.md "mae") used
 * instead of gates [H] — row b's context of head j is multiplied by
 * gates_ex[b·H + j]; backward's scr->gate_ex is then ∂L/∂gates_ex and
 * g->gates receives nothing (gates [H] are not read). Ignored in gradient
 * structs; NULL is the plain path, bit for bit. */
typedef struct {
    hs_real *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo, *gates;
    const unsigned char *is_static;
    const hs_real *static_att;
    int static_T; /* Tc */
    const hs_real *gates_ex;
} hs_attn_weights;

/* What forward saves for backward: qkv [B·T][3·H·dh] (q | k | v per row),
 * att [B][H][T][T], ctx [B·T][H·dh]. Scratch that forward fills and backward
 * refills (so one buffer serves every layer): the packed projection wqkv
 * [d][3·H·dh] and bqkv [3·H·dh], gctx (gated context) [B·T][H·dh]. */
typedef struct {
    hs_real *qkv, *wqkv, *bqkv, *att, *ctx, *gctx;
} hs_attn_saved;

/* Backward scratch: dqkv [B·T][3·H·dh], dctx [B·T][H·dh], dp [T][T],
 * dwqkv [d][3·H·dh], dbqkv [3·H·dh]; gate_ex [B][H] receives per-example gate
 * gradients when non-NULL (Michel importance takes |·| per example). */
typedef struct {
    hs_real *dqkv, *dctx, *dp, *dwqkv, *dbqkv, *gate_ex;
} hs_attn_scratch;

typedef struct {
    int B, T, d;     /* batch, positions, model width */
    int H, dh;       /* heads present in this layer, width of one head */
    int causal;
    const int *lengths; /* [B], each in 1..T; NULL = no padding */
    int q8_ctx;         /* 1: the gated context (Wo's input) is fake-quantised per
                           tensor to int8 (core/quant.h; straight-through backward) */
} hs_attn_shape;

/* out[B·T][d] += attention(a). Fills *s. */
void hs_attention_forward(hs_real *out, const hs_attn_saved *s, const hs_real *a,
                          const hs_attn_weights *w, const hs_attn_shape *sh);

/* From dout = ∂L/∂out [B·T][d]: writes da = ∂L/∂a; g->* += weight and gate
 * gradients (per example into scr->gate_ex when set). Uses scr; reads a, s and
 * w as left by forward. Static heads pass no gradient to q and k.
 * g->wo = NULL: gate gradients only (no weight gradient is touched; the other
 * weight pointers of g are not read); da = NULL as well: nothing below the
 * gates is computed. */
void hs_attention_backward(hs_real *da, const hs_attn_weights *g, const hs_attn_scratch *scr,
                           const hs_real *dout, const hs_real *a, const hs_attn_saved *s,
                           const hs_attn_weights *w, const hs_attn_shape *sh);

#endif
