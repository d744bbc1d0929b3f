/* real.h — the scalar type of the core.
 *
 * The core is float32 (hs_real = float, products through cblas_sgemm). The
 * finite-difference test compiles the same sources with -DHS_REAL_DOUBLE so
 * the check runs in double where rounding would otherwise hide errors; no
 * other code path uses double. <tgmath.h> lets exp/tanh/sqrt follow the type. */
#ifndef HS_CORE_REAL_H
#define HS_CORE_REAL_H

#include <cblas.h>

#ifdef HS_REAL_DOUBLE
typedef double hs_real;
#define hs_gemm cblas_dgemm
#else
typedef float hs_real;
#define hs_gemm cblas_sgemm
#endif

#endif
