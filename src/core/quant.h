/* quant.h — symmetric int8 quantisation for quantisation-aware fine-tuning
 * (docs/methods.md "int8 quantisation-aware fine-tuning").
 *
 * A tensor (or one output channel of a matrix) with max |x| = a gets the
 * scale s = a / 127 and the codes q = rint(x / s) ∈ [−127, 127] (−128 is not
 * used, so the range is symmetric); its fake-quantised value is q·s, within
 * s/2 of x. a = 0 gives s = 0 and every code 0. "Fake" quantisation keeps
 * the values in hs_real, so a forward pass with fake-quantised weights and
 * inputs computes, up to the order of the float sums, the int8 product
 * s_x·s_w[o]·Σ q_x q_w + b of an int8 kernel. Workload: one pass per tensor. */
#ifndef HS_CORE_QUANT_H
#define HS_CORE_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

/* a / 127 for a = max |x| (0 for a = 0). */
hs_real hs_q8_scale(hs_real amax);

/* The code of x under scale s: rint(x / s) clamped to ±127; 0 when s is 0. */
int8_t hs_q8_code(hs_real x, hs_real s);

/* Per-tensor fake quantisation of x[n] in place; returns the scale. */
hs_real hs_q8_fake_tensor(hs_real *x, size_t n);

/* Per-output-channel codes of a matrix w[rows][cols] (stored [in][out], so a
 * channel is a column): scale[c] = max_r |w[r][c]| / 127 and q[r][c]. Rows in
 * a group whose gate is 0 (row r is in group r / group_rows; gate NULL = all
 * rows count) are left out of the maximum and get code 0: a head removed by
 * its gate does not widen Wo's channels, so the masked model quantises like
 * the physically pruned one. q or dst may be NULL. dst[rows][cols] receives
 * the fake-quantised values q·scale. */
void hs_q8_cols(int8_t *q, hs_real *scale, hs_real *dst, const hs_real *w, int rows, int cols,
                const hs_real *gate, int group_rows);

#endif
