/* fastmath.h — exp and tanh for the elementwise loops of the core, written
 * so the compiler vectorises the loops that call them (libm's expf/tanhf are
 * one call per element: tanhf alone was a quarter of a training step).
 *
 * exp: range reduction y = k·ln2 + r, r ∈ [−ln2/2, ln2/2] (ln2 split in a
 * high part exact in float and a low part), then the Taylor series of e^r to
 * r⁷ (remainder < 2e-9 relative, below float resolution), times 2^k built
 * from its bits. Valid for y ∈ [−87, 0] (what softmax and tanh need); the
 * caller clamps. The double build (-DHS_REAL_DOUBLE, finite-difference test)
 * uses libm instead. Branch-free: comparisons are written as arithmetic so
 * GCC if-converts them for vectors. */
#ifndef HS_CORE_FASTMATH_H
#define HS_CORE_FASTMATH_H

#include <math.h>
#include <string.h>

#include "real.h"

/* AVX2 and baseline clones: the same IEEE operations in the same order (no
 * FMA contraction under -std=c11), so both give the same bits. GCC only:
 * clang 14 (the fuzz build) leaves the cloned symbols undefined. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(HS_REAL_DOUBLE)
#define HS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HS_SIMD_CLONES
#endif

/* e^y for y ≤ 0; y below −87 gives ~0 (clamped). */
static inline float hs_fast_exp_neg(float y)
{
    y = (y > -87.0f) * y + (y <= -87.0f) * -87.0f; /* select without a branch */
    float kf = y * 1.44269504f;                     /* y / ln2 */
    int k = (int)(kf - 0.5f);                       /* round to nearest, kf ≤ 0 */
    float r = y - (float)k * 0.693145751953125f - (float)k * 1.428606765330187e-6f;
    float p = 1.0f + r * (1.0f + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 +
              r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int bits = (k + 127) << 23; /* 2^k, k ∈ [−126, 0] */
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    return p * two_k;
}

/* e^(hi + lo) for hi + lo ≤ 0, |lo| small, hi exact: the reduction takes hi
 * and lo apart, so a large |hi| (e^(−x²/2) at |x| ≈ 12) keeps the relative
 * accuracy that rounding hi + lo to one float would lose (~|hi|·2⁻²⁴). */
static inline float hs_fast_exp_neg2(float hi, float lo)
{
    float y = hi + lo;
    const float big = (y <= -87.0f);
    hi = (1 - big) * hi + big * -87.0f;
    lo = (1 - big) * lo;
    y = hi + lo;
    int k = (int)(y * 1.44269504f - 0.5f);
    float r = (hi - (float)k * 0.693145751953125f) + (lo - (float)k * 1.428606765330187e-6f);
    float p = 1.0f + r * (1.0f + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 +
              r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int bits = (k + 127) << 23;
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    return p * two_k;
}

/* tanh(u) = sign(u)·(1 − e)/(1 + e), e = e^{−2|u|}. Absolute error ~1e-7
 * (relative accuracy is lost only where |tanh| is tiny; GELU uses 1 ± t). */
static inline float hs_fast_tanh(float u)
{
    float e = hs_fast_exp_neg(-2.0f * fabsf(u));
    return copysignf((1.0f - e) / (1.0f + e), u);
}

#endif
