/* alloc.h — all heap allocation goes through here (docs/design.md, "Code conventions").
 *
 * Sizes are checked for zero and n*size overflow; a failure records the size
 * in the pending error. A test hook fails the Nth allocation so out-of-memory
 * paths can be exercised. */
#ifndef HS_CORE_ALLOC_H
#define HS_CORE_ALLOC_H

#include <stddef.h>

#include "error.h"

/* Allocates n*size zeroed bytes into *out. Fails with HS_ERR_NOMEM (and
 * leaves *out NULL) on overflow, zero size or exhaustion; `what` names the
 * buffer in the message. The caller owns *out and frees it with hs_free. */
hs_status hs_calloc(void **out, size_t n, size_t size, const char *what);

/* Frees p; NULL is fine. */
void hs_free(void *p);

/* As hs_calloc, for the big buffers of a model (parameters, gradients,
 * activations: hundreds of MB at BERT-base): from 8 MiB up they come from an
 * anonymous mapping aligned to 2 MiB and marked for transparent huge pages,
 * so the first touch faults 2 MiB at a time instead of 4 KiB (loading
 * BERT-base's 440 MB: ~110,000 page faults fewer). The contents are zero,
 * the values computed in them the same. Free with hs_free_big. */
hs_status hs_calloc_big(void **out, size_t n, size_t size, const char *what);
void hs_free_big(void *p);

/* Test hook: the nth allocation from now (1-based) fails; 0 disables. */
void hs_alloc_fail_after(long nth);

#endif
