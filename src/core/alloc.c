/* alloc.c — checked allocation with a fault-injection hook (see alloc.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/* hs_calloc_big's header, just before the pointer it returns: the mapping
 * to unmap, or base = NULL for a calloc'd block (small sizes) */
typedef struct {
    void *base;
    size_t len;
    char pad[64 - sizeof(void *) - sizeof(size_t)]; /* 64 bytes: the buffer starts 2 MiB aligned (mapped) or as calloc aligns */
} big_header;

enum { HUGE_FROM = 8 << 20, HUGE_PAGE = 2 << 20 };

hs_status hs_calloc_big(void **out, size_t n, size_t size, const char *what)
{
    *out = NULL;
    if (n == 0 || size == 0) return hs_error_set(HS_ERR_NOMEM, "zero-size allocation for %s", what);
    if (n > (SIZE_MAX - 2 * (size_t)HUGE_PAGE) / size)
        return hs_error_set(HS_ERR_NOMEM, "allocation of %zu x %zu bytes for %s overflows", n, size, what);
    if (fail_countdown > 0 && --fail_countdown == 0)
        return hs_error_set(HS_ERR_NOMEM, "cannot allocate %zu bytes for %s (injected)", n * size, what);
    const size_t bytes = n * size;
    big_header *h;
    if (bytes < (size_t)HUGE_FROM) {
        h = calloc(1, sizeof *h + bytes);
        if (!h) return hs_error_set(HS_ERR_NOMEM, "cannot allocate %zu bytes for %s", bytes, what);
        h->base = NULL;
    } else {
        /* room for the header and for rounding the start up to 2 MiB */
        const size_t len = bytes + 2 * (size_t)HUGE_PAGE;
        char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) return hs_error_set(HS_ERR_NOMEM, "cannot allocate %zu bytes for %s", bytes, what);
        const uintptr_t start = ((uintptr_t)base + sizeof *h + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
        (void)madvise((void *)start, bytes & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE); /* a hint: 4 KiB pages work too */
#endif
        h = (big_header *)(start - sizeof *h);
        h->base = base;
        h->len = len;
    }
    *out = h + 1;
    return HS_OK;
}

void hs_free_big(void *p)
{
    if (!p) return;
    big_header *h = (big_header *)p - 1;
    if (h->base) munmap(h->base, h->len);
    else free(h);
}
