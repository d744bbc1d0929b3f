/* quant.c — symmetric int8 quantisation (see quant.h). */
#include "quant.h"

#include <math.h>
#include <tgmath.h>

hs_real hs_q8_scale(hs_real amax) { return amax > 0 ? amax / 127 : 0; }

int8_t hs_q8_code(hs_real x, hs_real s)
{
    if (!(s > 0)) return 0;
    /* rint: ties to even, the same bits everywhere under the default rounding mode */
    hs_real q = rint(x / s);
    if (q > 127) q = 127;
    if (q < -127) q = -127;
    return (int8_t)q;
}

hs_real hs_q8_fake_tensor(hs_real *x, size_t n)
{
    hs_real a = 0;
    for (size_t i = 0; i < n; i++) a = fmax(a, fabs(x[i]));
    const hs_real s = hs_q8_scale(a);
    for (size_t i = 0; i < n; i++) x[i] = (hs_real)hs_q8_code(x[i], s) * s;
    return s;
}

void hs_q8_cols(int8_t *q, hs_real *scale, hs_real *dst, const hs_real *w, int rows, int cols,
                const hs_real *gate, int group_rows)
{
    for (int c = 0; c < cols; c++) {
        hs_real a = 0;
        for (int r = 0; r < rows; r++)
            if (!gate || gate[r / group_rows] != 0) a = fmax(a, fabs(w[(size_t)r * cols + c]));
        const hs_real s = hs_q8_scale(a);
        if (scale) scale[c] = s;
        for (int r = 0; r < rows; r++) {
            const int8_t k = (!gate || gate[r / group_rows] != 0) ? hs_q8_code(w[(size_t)r * cols + c], s) : 0;
            if (q) q[(size_t)r * cols + c] = k;
            if (dst) dst[(size_t)r * cols + c] = (hs_real)k * s;
        }
    }
}
