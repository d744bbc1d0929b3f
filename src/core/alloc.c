/* alloc.c — checked allocation with a fault-injection hook (see alloc.h). */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>

static long fail_countdown;

void hs_alloc_fail_after(long nth) { fail_countdown = nth; }

hs_status hs_calloc(void **out, size_t n, size_t size, const char *what)
{
    *out = NULL;
    if (n == 0 || size == 0)
        return hs_error_set(HS_ERR_NOMEM, "zero-size allocation for %s", what);
    if (n > SIZE_MAX / size)
        return hs_error_set(HS_ERR_NOMEM, "allocation of %zu x %zu bytes for %s overflows",
                            n, size, what);
    if (fail_countdown > 0 && --fail_countdown == 0)
        return hs_error_set(HS_ERR_NOMEM, "cannot allocate %zu bytes for %s (injected)",
                            n * size, what);
    void *p = calloc(n, size);
    if (!p)
        return hs_error_set(HS_ERR_NOMEM, "cannot allocate %zu bytes for %s", n * size, what);
    *out = p;
    return HS_OK;
}

void hs_free(void *p) { free(p); }
