/* ops.c — transformer ops (see ops.h). Matrix products go through
 * cblas_sgemm (dgemm in the double test build); everything else is a plain
 * loop the compiler can vectorise. Workload: called a few dozen times per
 * training step on [B·T][d]-sized buffers. */
#include "ops.h"

#include "fastmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <tgmath.h>

static void bias_rows(hs_real *out, const hs_real *bias, int N, int O, int accumulate)
{
    if (!accumulate) {
        if (bias)
            for (int n = 0; n < N; n++) memcpy(out + (size_t)n * O, bias, sizeof(hs_real) * O);
        else
            memset(out, 0, sizeof(hs_real) * (size_t)N * O);
    } else if (bias) {
        for (int n = 0; n < N; n++) {
            hs_real *o = out + (size_t)n * O;
            for (int j = 0; j < O; j++) o[j] += bias[j];
        }
    }
}

void hs_matmul_forward(hs_real *out, const hs_real *inp, const hs_real *w, const hs_real *bias,
                       int N, int K, int O, int accumulate)
{
    /* bias first, then one gemm with beta = 1: no temporary */
    bias_rows(out, bias, N, O, accumulate);
    hs_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, O, K, 1, inp, K, w, O, 1, out, O);
}

void hs_matmul_forward_naive(hs_real *out, const hs_real *inp, const hs_real *w,
                             const hs_real *bias, int N, int K, int O, int accumulate)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            double acc = bias ? bias[o] : 0;
            for (int i = 0; i < K; i++) acc += (double)inp[(size_t)n * K + i] * w[(size_t)i * O + o];
            if (accumulate)
                out[(size_t)n * O + o] += (hs_real)acc;
            else
                out[(size_t)n * O + o] = (hs_real)acc;
        }
}

void hs_matmul_backward(hs_real *dinp, hs_real *dw, hs_real *dbias, const hs_real *dout,
                        const hs_real *inp, const hs_real *w, int N, int K, int O,
                        int dinp_accumulate)
{
    if (dinp)
        hs_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, K, O, 1, dout, O, w, O,
                dinp_accumulate ? 1 : 0, dinp, K);
    if (dw) hs_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, O, N, 1, inp, K, dout, O, 1, dw, O);
    if (dbias)
        for (int n = 0; n < N; n++) {
            const hs_real *d = dout + (size_t)n * O;
            for (int o = 0; o < O; o++) dbias[o] += d[o];
        }
}

/* Fixed-order sums (docs/design.md, "Determinism"). Eight interleaved
 * partial sums, the tail into lane 0, then the lanes pairwise: the order is
 * written in the source, so every build and CPU gives the same bits, and the
 * compiler may still run the lanes as one SIMD register. */
#define LANES 8
static inline hs_real combine_lanes(const hs_real *a)
{
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

hs_real hs_sum(const hs_real *x, int n)
{
    hs_real a[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) a[l] += x[i + l];
    for (; i < n; i++) a[0] += x[i];
    return combine_lanes(a);
}

hs_real hs_dot(const hs_real *x, const hs_real *y, int n)
{
    hs_real a[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) a[l] += x[i + l] * y[i + l];
    for (; i < n; i++) a[0] += x[i] * y[i];
    return combine_lanes(a);
}

void hs_layernorm_forward(hs_real *out, hs_real *mean, hs_real *rstd, const hs_real *inp,
                          const hs_real *g, const hs_real *b, int N, int C)
{
    hs_layernorm_forward_eps(out, mean, rstd, inp, g, b, N, C, (hs_real)1e-5);
}

void hs_layernorm_forward_eps(hs_real *out, hs_real *mean, hs_real *rstd, const hs_real *inp,
                              const hs_real *g, const hs_real *b, int N, int C, hs_real eps)
{
    for (int n = 0; n < N; n++) {
        const hs_real *x = inp + (size_t)n * C;
        hs_real *y = out + (size_t)n * C;
        const hs_real m = hs_sum(x, C) / C;
        hs_real a[LANES] = {0};
        int i = 0;
        for (; i + LANES <= C; i += LANES)
            for (int l = 0; l < LANES; l++) a[l] += (x[i + l] - m) * (x[i + l] - m);
        for (; i < C; i++) a[0] += (x[i] - m) * (x[i] - m);
        const hs_real v = combine_lanes(a) / C;
        const hs_real s = 1 / sqrt(v + eps);
        for (i = 0; i < C; i++) y[i] = (x[i] - m) * s * g[i] + b[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

void hs_layernorm_backward(hs_real *dinp, hs_real *dg, hs_real *db, const hs_real *dout,
                           const hs_real *inp, const hs_real *g, const hs_real *mean,
                           const hs_real *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const hs_real *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        hs_real *dx = dinp + (size_t)n * C;
        const hs_real m = mean[n], s = rstd[n];
        /* two reductions: mean of dnorm and of dnorm·norm */
        hs_real a1[LANES] = {0}, a2[LANES] = {0};
        int i = 0;
        for (; i + LANES <= C; i += LANES)
            for (int l = 0; l < LANES; l++) {
                hs_real norm = (x[i + l] - m) * s, dnorm = g[i + l] * dy[i + l];
                a1[l] += dnorm;
                a2[l] += dnorm * norm;
            }
        for (; i < C; i++) {
            hs_real norm = (x[i] - m) * s, dnorm = g[i] * dy[i];
            a1[0] += dnorm;
            a2[0] += dnorm * norm;
        }
        const hs_real dmean = combine_lanes(a1) / C, dnmean = combine_lanes(a2) / C;
        if (dg)
            for (i = 0; i < C; i++) {
                hs_real norm = (x[i] - m) * s;
                db[i] += dy[i];
                dg[i] += norm * dy[i];
            }
        for (i = 0; i < C; i++) {
            hs_real norm = (x[i] - m) * s, dnorm = g[i] * dy[i];
            dx[i] += (dnorm - dmean - norm * dnmean) * s;
        }
    }
}

#define GELU_S ((hs_real)0.7978845608028654) /* sqrt(2/pi) */
#define GELU_C ((hs_real)0.044715)

#ifdef HS_REAL_DOUBLE
static inline hs_real gelu_tanh(hs_real u) { return tanh(u); }
#else
static inline hs_real gelu_tanh(hs_real u) { return hs_fast_tanh(u); }
#endif

static inline hs_real gelu_t(hs_real x) { return gelu_tanh(GELU_S * (x + GELU_C * x * x * x)); }

HS_SIMD_CLONES void hs_gelu_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_real x = x_deriv[i];
        hs_real t = gelu_t(x);
        out[i] = (hs_real)0.5 * x * (1 + t);
        /* the derivative now, while t is at hand: backward is then one multiply */
        x_deriv[i] = (hs_real)0.5 * (1 + t) +
                   (hs_real)0.5 * x * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * x * x);
    }
}

HS_SIMD_CLONES void hs_gelu_value(hs_real *restrict out, const hs_real *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (hs_real)0.5 * x[i] * (1 + gelu_t(x[i]));
}

HS_SIMD_CLONES void hs_gelu_backward(hs_real *dinp, const hs_real *deriv, const hs_real *dout, size_t n)
{
    for (size_t i = 0; i < n; i++) dinp[i] = deriv[i] * dout[i];
}

#define GELU_ISQRT2 ((hs_real)0.7071067811865476)  /* 1/sqrt(2) */
#define GELU_ISQRT2PI ((hs_real)0.3989422804014327) /* 1/sqrt(2 pi) */

#ifdef HS_REAL_DOUBLE
/* Φ(x) and φ(x) */
static inline __attribute__((always_inline)) hs_real norm_cdf_pdf(hs_real x, hs_real *pdf)
{
    *pdf = GELU_ISQRT2PI * exp((hs_real)-0.5 * x * x);
    return (hs_real)0.5 * (1 + erf(x * GELU_ISQRT2));
}
#else
/* Φ(x) and φ(x). Φ = 1 − ½erfc(x/√2) for x ≥ 0, ½erfc(|x|/√2) below, with
 * erfc(z) = t·e^(−z²)·e^(P(t)), t = 1/(1 + z/2), P the Chebyshev fit of
 * Numerical Recipes (erfcc: relative error < 1.2e-7 for all z ≥ 0; P ≤ 3e-8).
 * e^(−z²) = e^(−x²/2) = √(2π)·φ(x) is computed from x split into 12 high
 * bits and the rest, so x²/2 is carried exactly as hi + lo: the tail keeps
 * its relative accuracy, where 1 + erff(x/√2) cancels to 0 below x ≈ −5.5.
 * Branch-free, so the loops vectorise (libm's erff is one call per element).
 * test_ops: within a few float ulps of double erfc on [−12, 12]. */
static inline __attribute__((always_inline)) hs_real norm_cdf_pdf(hs_real x, hs_real *pdf)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= 0xfffff000u; /* xh: 12 significant bits, xh² exact */
    float xh;
    memcpy(&xh, &bits, sizeof xh);
    const float xl = x - xh;
    const float e0 = hs_fast_exp_neg2(-0.5f * xh * xh, -0.5f * xl * (x + xh)); /* e^(−x²/2) */
    *pdf = GELU_ISQRT2PI * e0;
    const float z = fabsf(x) * GELU_ISQRT2, t = 1 / (1 + 0.5f * z);
    const float p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
                    t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
                    t * (-0.82215223f + t * 0.17087277f))))))));
    const float half_erfc = 0.5f * t * e0 * hs_fast_exp_neg(p < 0 ? p : 0);
    return x >= 0 ? 1 - half_erfc : half_erfc;
}
#endif

HS_SIMD_CLONES void hs_gelu_erf_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_real x = x_deriv[i], pdf;
        hs_real cdf = norm_cdf_pdf(x, &pdf);
        out[i] = x * cdf;
        /* d/dx x·Φ(x) = Φ(x) + x·φ(x) */
        x_deriv[i] = cdf + x * pdf;
    }
}

HS_SIMD_CLONES void hs_gelu_erf_value(hs_real *restrict out, const hs_real *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_real pdf;
        out[i] = x[i] * norm_cdf_pdf(x[i], &pdf);
    }
}

HS_SIMD_CLONES void hs_relu_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_real x = x_deriv[i], pos = x > 0;
        out[i] = pos * x;
        x_deriv[i] = pos;
    }
}

HS_SIMD_CLONES void hs_relu_value(hs_real *restrict out, const hs_real *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (x[i] > 0) * x[i];
}

void hs_tanh_forward(hs_real *restrict out, hs_real *restrict x_deriv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_real t = tanh(x_deriv[i]);
        out[i] = t;
        x_deriv[i] = 1 - t * t;
    }
}

double hs_xent_forward(hs_real *probs, const hs_real *logits, const int *targets, int R, int C,
                       int *count)
{
    double loss = 0;
    int cnt = 0;
    for (int r = 0; r < R; r++) {
        const hs_real *z = logits + (size_t)r * C;
        hs_real *p = probs + (size_t)r * C;
        /* the max is subtracted only for numerical stability */
        hs_real mx = z[0];
        for (int c = 1; c < C; c++)
            if (z[c] > mx) mx = z[c];
        hs_real sum = 0;
        for (int c = 0; c < C; c++) {
            p[c] = exp(z[c] - mx);
            sum += p[c];
        }
        for (int c = 0; c < C; c++) p[c] /= sum;
        if (targets[r] >= 0) {
            loss += -((double)(z[targets[r]] - mx) - log((double)sum));
            cnt++;
        }
    }
    *count = cnt;
    return loss;
}

void hs_xent_backward(hs_real *dlogits, const hs_real *probs, const int *targets, int R, int C,
                      hs_real scale)
{
    for (int r = 0; r < R; r++) {
        hs_real *d = dlogits + (size_t)r * C;
        const hs_real *p = probs + (size_t)r * C;
        if (targets[r] < 0) {
            memset(d, 0, sizeof(hs_real) * C);
            continue;
        }
        for (int c = 0; c < C; c++) d[c] = p[c] * scale;
        d[targets[r]] -= scale;
    }
}

/* log Σ_c exp(z_c / T) and the max of z/T, in double (the tempered softmax of
 * one row: p_c = exp(z_c/T − mx − lse)). */
static double tempered_lse(const hs_real *z, int C, double T, double *mx)
{
    double m = (double)z[0] / T;
    for (int c = 1; c < C; c++)
        if ((double)z[c] / T > m) m = (double)z[c] / T;
    double sum = 0;
    for (int c = 0; c < C; c++) sum += exp((double)z[c] / T - m);
    *mx = m;
    return log(sum);
}

double hs_soft_xent_forward(const hs_real *logits, const hs_real *teacher, const int *targets, int R,
                            int C, double T)
{
    double loss = 0;
    for (int r = 0; r < R; r++) {
        if (targets[r] < 0) continue;
        const hs_real *z = logits + (size_t)r * C, *t = teacher + (size_t)r * C;
        double mz, mt;
        const double lz = tempered_lse(z, C, T, &mz), lt = tempered_lse(t, C, T, &mt);
        for (int c = 0; c < C; c++) {
            const double q = exp((double)t[c] / T - mt - lt);
            loss -= q * ((double)z[c] / T - mz - lz);
        }
    }
    return loss;
}

void hs_soft_xent_backward(hs_real *dlogits, const hs_real *logits, const hs_real *teacher,
                           const int *targets, int R, int C, double T, double scale)
{
    for (int r = 0; r < R; r++) {
        if (targets[r] < 0) continue;
        const hs_real *z = logits + (size_t)r * C, *t = teacher + (size_t)r * C;
        hs_real *d = dlogits + (size_t)r * C;
        double mz, mt;
        const double lz = tempered_lse(z, C, T, &mz), lt = tempered_lse(t, C, T, &mt);
        for (int c = 0; c < C; c++) {
            const double p = exp((double)z[c] / T - mz - lz), q = exp((double)t[c] / T - mt - lt);
            d[c] += (hs_real)(scale * (p - q));
        }
    }
}
