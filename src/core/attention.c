/* attention.c — multi-head attention with gates (see attention.h).
 * Per (batch row, head) the score and context products are small gemms
 * ([T][dh]·[dh][T]); the four projections are one gemm each over all B·T rows. */
#include "attention.h"

#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "fastmath.h"
#include "ops.h"
#include "quant.h"

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

/* Fills row p[0..T) of a static head from the constant row c: the visible
 * keys' entries renormalised, zero elsewhere; uniform if they sum to 0. */
static void static_row(hs_real *p, const hs_real *c, int n, int T)
{
    hs_real sum = 0;
    for (int t = 0; t < n; t++) sum += c[t];
    if (sum > 0) {
        const hs_real inv = 1 / sum;
        for (int t = 0; t < n; t++) p[t] = c[t] * inv;
    } else {
        for (int t = 0; t < n; t++) p[t] = (hs_real)1 / n;
    }
    for (int t = n; t < T; t++) p[t] = 0;
}

/* Packs Wq|Wk|Wv [d][di] each into W [d][3·di] (row r = q row, k row, v row)
 * and the biases into [3·di]: one gemm then projects all three (fewer, wider
 * products; `a` is packed by BLAS once instead of three times). */
static void pack_qkv(const hs_attn_saved *s, const hs_attn_weights *w, int d, int di)
{
    const size_t row = sizeof(hs_real) * di;
    for (int r = 0; r < d; r++) {
        hs_real *dst = s->wqkv + (size_t)r * 3 * di;
        memcpy(dst, w->wq + (size_t)r * di, row);
        memcpy(dst + di, w->wk + (size_t)r * di, row);
        memcpy(dst + 2 * di, w->wv + (size_t)r * di, row);
    }
    memcpy(s->bqkv, w->bq, row);
    memcpy(s->bqkv + di, w->bk, row);
    memcpy(s->bqkv + 2 * di, w->bv, row);
}

/* gctx = g ∘ ctx per head (per-example gates (MAE) or the layer's). */
static void gate_contexts(const hs_attn_saved *s, const hs_attn_weights *w, int BT, int T, int H, int dh)
{
    const int di = H * dh;
    for (size_t r = 0; r < (size_t)BT; r++) {
        const hs_real *gr = w->gates_ex ? w->gates_ex + (r / (size_t)T) * H : w->gates;
        for (int j = 0; j < H; j++) {
            const hs_real gj = gr[j];
            const hs_real *c = s->ctx + r * di + j * dh;
            hs_real *gc = s->gctx + r * di + j * dh;
            for (int i = 0; i < dh; i++) gc[i] = gj * c[i];
        }
    }
}

void hs_attention_forward(hs_real *out, const hs_attn_saved *s, const hs_real *a,
                          const hs_attn_weights *w, const hs_attn_shape *sh)
{
    const int B = sh->B, T = sh->T, d = sh->d, H = sh->H, dh = sh->dh, BT = B * T;
    const int di = H * dh, d3 = 3 * di;
    const hs_real scale = 1 / sqrt((hs_real)dh);

    if (H == 0) { /* every head removed: the block adds only its output bias */
        for (size_t r = 0; r < (size_t)BT; r++)
            for (int o = 0; o < d; o++) out[r * d + o] += w->bo[o];
        return;
    }
    pack_qkv(s, w, d, di);
    hs_matmul_forward(s->qkv, a, s->wqkv, s->bqkv, BT, d, d3, 0);

    for (int b = 0; b < B; b++) {
        const int len = sh->lengths ? sh->lengths[b] : T;
        const hs_real *q = s->qkv + (size_t)b * T * d3, *k = q + di, *v = q + 2 * di;
        hs_real *ctx = s->ctx + (size_t)b * T * di;
        for (int j = 0; j < H; j++) {
            hs_real *P = s->att + ((size_t)b * H + j) * T * T;
            if (w->is_static && w->is_static[j]) {
                const size_t Tc = (size_t)w->static_T;
                const hs_real *C = w->static_att + (size_t)j * Tc * Tc;
                for (int i = 0; i < T; i++)
                    static_row(P + (size_t)i * T, C + i * Tc, keys_visible(i, len, sh->causal), T);
            } else {
                hs_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, scale, q + j * dh, d3,
                        k + j * dh, d3, 0, P, T);
                for (int i = 0; i < T; i++)
                    softmax_row(P + (size_t)i * T, keys_visible(i, len, sh->causal), T);
            }
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, 1, P, T, v + j * dh, d3, 0,
                    ctx + j * dh, di);
        }
    }
    gate_contexts(s, w, BT, T, H, dh);
    if (sh->q8_ctx) hs_q8_fake_tensor(s->gctx, (size_t)BT * di);
    hs_matmul_forward(out, s->gctx, w->wo, w->bo, BT, di, d, 1);
}

void hs_attention_backward(hs_real *da, const hs_attn_weights *g, const hs_attn_scratch *scr,
                           const hs_real *dout, const hs_real *a, const hs_attn_saved *s,
                           const hs_attn_weights *w, const hs_attn_shape *sh)
{
    const int B = sh->B, T = sh->T, d = sh->d, H = sh->H, dh = sh->dh, BT = B * T;
    const int di = H * dh, d3 = 3 * di;
    const hs_real scale = 1 / sqrt((hs_real)dh);

    const int weights = g->wo != NULL; /* NULL: gate gradients only */
    if (H == 0) { /* only bo is left */
        if (weights)
            for (size_t r = 0; r < (size_t)BT; r++)
                for (int o = 0; o < d; o++) g->bo[o] += dout[r * d + o];
        if (da) memset(da, 0, sizeof(hs_real) * (size_t)BT * d);
        return;
    }
    /* dctx holds ∂L/∂(g·c) first, then ∂L/∂c; gctx is scratch shared by the
     * layers, so it is rebuilt here for Wo's gradient */
    if (weights) gate_contexts(s, w, BT, T, H, dh);
    if (weights && sh->q8_ctx) hs_q8_fake_tensor(s->gctx, (size_t)BT * di); /* as forward saw it */
    hs_matmul_backward(scr->dctx, g->wo, g->bo, dout, s->gctx, w->wo, BT, di, d, 0);
    for (int j = 0; j < H; j++) {
        double acc = 0; /* rows summed in double: B·T terms */
        for (int b = 0; b < B; b++) {
            const hs_real gj = w->gates_ex ? w->gates_ex[(size_t)b * H + j] : w->gates[j];
            double ex = 0;
            for (size_t r = (size_t)b * T; r < (size_t)(b + 1) * T; r++) {
                hs_real *dc = scr->dctx + r * di + j * dh;
                ex += hs_dot(s->ctx + r * di + j * dh, dc, dh);
                for (int i = 0; i < dh; i++) dc[i] *= gj;
            }
            if (scr->gate_ex) scr->gate_ex[(size_t)b * H + j] = (hs_real)ex;
            acc += ex;
        }
        if (!w->gates_ex) g->gates[j] += (hs_real)acc;
    }
    if (!da && !weights) return; /* nothing below the gates is wanted */

    for (int b = 0; b < B; b++) {
        const hs_real *q = s->qkv + (size_t)b * T * d3, *k = q + di, *v = q + 2 * di;
        hs_real *dq = scr->dqkv + (size_t)b * T * d3, *dk = dq + di, *dv = dq + 2 * di;
        const hs_real *dctx = scr->dctx + (size_t)b * T * di;
        for (int j = 0; j < H; j++) {
            const hs_real *P = s->att + ((size_t)b * H + j) * T * T;
            const hs_real *dc = dctx + j * dh;
            hs_real *dP = scr->dp;
            /* dv = Pᵀ dc */
            hs_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T, 1, P, T, dc, di, 0, dv + j * dh,
                    d3);
            if (w->is_static && w->is_static[j]) { /* constant P: nothing reaches q or k */
                for (int i = 0; i < T; i++) {
                    memset(dq + (size_t)i * d3 + j * dh, 0, sizeof(hs_real) * dh);
                    memset(dk + (size_t)i * d3 + j * dh, 0, sizeof(hs_real) * dh);
                }
                continue;
            }
            /* dP = dc vᵀ */
            hs_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, 1, dc, di, v + j * dh, d3, 0,
                    dP, T);
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
    pack_qkv(s, w, d, di); /* the packed copy is scratch shared by the layers */
    if (!weights) {
        hs_matmul_backward(da, NULL, NULL, scr->dqkv, a, s->wqkv, BT, d, d3, 0);
        return;
    }
    memset(scr->dwqkv, 0, sizeof(hs_real) * (size_t)d * d3);
    memset(scr->dbqkv, 0, sizeof(hs_real) * (size_t)d3);
    hs_matmul_backward(da, scr->dwqkv, scr->dbqkv, scr->dqkv, a, s->wqkv, BT, d, d3, 0);
    hs_real *const gw[3] = {g->wq, g->wk, g->wv}, *const gb[3] = {g->bq, g->bk, g->bv};
    for (int m = 0; m < 3; m++) {
        for (int r = 0; r < d; r++) {
            const hs_real *src = scr->dwqkv + (size_t)r * d3 + (size_t)m * di;
            hs_real *dst = gw[m] + (size_t)r * di;
            for (int c = 0; c < di; c++) dst[c] += src[c];
        }
        for (int c = 0; c < di; c++) gb[m][c] += scr->dbqkv[(size_t)m * di + c];
    }
}
