/* attention.c — multi-head attention with gates (see attention.h).
 * Per (batch row, head) the score and context products are small gemms
 * ([T][dh]·[dh][T]); the four projections are one gemm each over all B·T rows. */
#include "attention.h"

#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "fastmath.h"
#include "ops.h"

/* Number of valid keys for query i of a row of length len. */
static int keys_visible(int i, int len, int causal)
{
    int n = len;
    if (causal && i + 1 < n) n = i + 1;
    return n;
}

#ifdef HS_REAL_DOUBLE
static inline hs_real exp_neg(hs_real y) { return exp(y); }
#else
static inline hs_real exp_neg(hs_real y) { return hs_fast_exp_neg(y); }
#endif

/* Softmax of p[0..n) in place, p[n..T) = 0 (masked keys). Separate loops so
 * the exp and scale loops vectorise; the sum has a fixed order (hs_sum). */
static void softmax_row(hs_real *p, int n, int T)
{
    /* the max is subtracted only for numerical stability */
    hs_real mx = p[0];
    for (int t = 1; t < n; t++) mx = p[t] > mx ? p[t] : mx;
    for (int t = 0; t < n; t++) p[t] = exp_neg(p[t] - mx);
    const hs_real inv = 1 / hs_sum(p, n);
    for (int t = 0; t < n; t++) p[t] *= inv;
    for (int t = n; t < T; t++) p[t] = 0;
}

/* Packs Wq|Wk|Wv [d][d] each into W [d][3d] (row r = q row, k row, v row) and
 * the biases into [3d]: one gemm then projects all three (fewer, wider
 * products; `a` is packed by BLAS once instead of three times). */
static void pack_qkv(const hs_attn_saved *s, const hs_attn_weights *w, int d)
{
    const size_t row = sizeof(hs_real) * d;
    for (int r = 0; r < d; r++) {
        hs_real *dst = s->wqkv + (size_t)r * 3 * d;
        memcpy(dst, w->wq + (size_t)r * d, row);
        memcpy(dst + d, w->wk + (size_t)r * d, row);
        memcpy(dst + 2 * d, w->wv + (size_t)r * d, row);
    }
    memcpy(s->bqkv, w->bq, row);
    memcpy(s->bqkv + d, w->bk, row);
    memcpy(s->bqkv + 2 * d, w->bv, row);
}

void hs_attention_forward(hs_real *out, const hs_attn_saved *s, const hs_real *a,
                          const hs_attn_weights *w, const hs_attn_shape *sh)
{
    const int B = sh->B, T = sh->T, d = sh->d, H = sh->H, dh = d / H, BT = B * T, d3 = 3 * d;
    const hs_real scale = 1 / sqrt((hs_real)dh);

    pack_qkv(s, w, d);
    hs_matmul_forward(s->qkv, a, s->wqkv, s->bqkv, BT, d, d3, 0);

    for (int b = 0; b < B; b++) {
        const int len = sh->lengths ? sh->lengths[b] : T;
        const hs_real *q = s->qkv + (size_t)b * T * d3, *k = q + d, *v = q + 2 * d;
        hs_real *ctx = s->ctx + (size_t)b * T * d;
        for (int j = 0; j < H; j++) {
            hs_real *P = s->att + ((size_t)b * H + j) * T * T;
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, scale, q + j * dh, d3,
                    k + j * dh, d3, 0, P, T);
            for (int i = 0; i < T; i++)
                softmax_row(P + (size_t)i * T, keys_visible(i, len, sh->causal), T);
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, 1, P, T, v + j * dh, d3, 0,
                    ctx + j * dh, d);
        }
    }
    for (size_t r = 0; r < (size_t)BT; r++)
        for (int j = 0; j < H; j++) {
            const hs_real gj = w->gates[j];
            const hs_real *c = s->ctx + r * d + j * dh;
            hs_real *gc = s->gctx + r * d + j * dh;
            for (int i = 0; i < dh; i++) gc[i] = gj * c[i];
        }
    hs_matmul_forward(out, s->gctx, w->wo, w->bo, BT, d, d, 1);
}

void hs_attention_backward(hs_real *da, const hs_attn_weights *g, const hs_attn_scratch *scr,
                           const hs_real *dout, const hs_real *a, const hs_attn_saved *s,
                           const hs_attn_weights *w, const hs_attn_shape *sh)
{
    const int B = sh->B, T = sh->T, d = sh->d, H = sh->H, dh = d / H, BT = B * T, d3 = 3 * d;
    const hs_real scale = 1 / sqrt((hs_real)dh);

    /* dctx holds ∂L/∂(g·c) first, then ∂L/∂c */
    hs_matmul_backward(scr->dctx, g->wo, g->bo, dout, s->gctx, w->wo, BT, d, d, 0);
    for (int j = 0; j < H; j++) {
        double acc = 0; /* rows summed in double: B·T terms */
        const hs_real gj = w->gates[j];
        for (size_t r = 0; r < (size_t)BT; r++) {
            hs_real *dc = scr->dctx + r * d + j * dh;
            acc += hs_dot(s->ctx + r * d + j * dh, dc, dh);
            for (int i = 0; i < dh; i++) dc[i] *= gj;
        }
        g->gates[j] += (hs_real)acc;
    }

    for (int b = 0; b < B; b++) {
        const hs_real *q = s->qkv + (size_t)b * T * d3, *k = q + d, *v = q + 2 * d;
        hs_real *dq = scr->dqkv + (size_t)b * T * d3, *dk = dq + d, *dv = dq + 2 * d;
        const hs_real *dctx = scr->dctx + (size_t)b * T * d;
        for (int j = 0; j < H; j++) {
            const hs_real *P = s->att + ((size_t)b * H + j) * T * T;
            const hs_real *dc = dctx + j * dh;
            hs_real *dP = scr->dp;
            /* dP = dc vᵀ ; dv = Pᵀ dc */
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, 1, dc, d, v + j * dh, d3, 0,
                    dP, T);
            hs_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T, 1, P, T, dc, d, 0, dv + j * dh,
                    d3);
            /* softmax backward: dS = P ∘ (dP − Σ_t P·dP); masked entries have P = 0 */
            for (int i = 0; i < T; i++) {
                const hs_real *p = P + (size_t)i * T;
                hs_real *dp = dP + (size_t)i * T;
                const hs_real dot = hs_dot(p, dp, T);
                for (int t = 0; t < T; t++) dp[t] = p[t] * (dp[t] - dot);
            }
            /* S = scale · q kᵀ  ⇒  dq = scale · dS k ; dk = scale · dSᵀ q */
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, scale, dP, T, k + j * dh, d3,
                    0, dq + j * dh, d3);
            hs_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T, scale, dP, T, q + j * dh, d3, 0,
                    dk + j * dh, d3);
        }
    }
    /* one product for all three projections, then the packed gradient is
     * added back into the separate Wq, Wk, Wv gradients */
    memset(scr->dwqkv, 0, sizeof(hs_real) * (size_t)d * d3);
    memset(scr->dbqkv, 0, sizeof(hs_real) * (size_t)d3);
    hs_matmul_backward(da, scr->dwqkv, scr->dbqkv, scr->dqkv, a, s->wqkv, BT, d, d3, 0);
    hs_real *const gw[3] = {g->wq, g->wk, g->wv}, *const gb[3] = {g->bq, g->bk, g->bv};
    for (int m = 0; m < 3; m++) {
        for (int r = 0; r < d; r++) {
            const hs_real *src = scr->dwqkv + (size_t)r * d3 + (size_t)m * d;
            hs_real *dst = gw[m] + (size_t)r * d;
            for (int c = 0; c < d; c++) dst[c] += src[c];
        }
        for (int c = 0; c < d; c++) gb[m][c] += scr->dbqkv[(size_t)m * d + c];
    }
}
