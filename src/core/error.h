/* error.h — the one error convention of headsweep (all layers).
 *
 * Fallible functions return an hs_status (0 = ok) and leave a one-line message
 * in a per-process buffer (hs_error_message). Callers propagate with HS_CHECK,
 * which appends nothing but returns the code; the first failure's message wins
 * until hs_error_clear. User-facing reporting (prefix, exit status) lives in
 * the CLI; exit status 2 means "bad input", see hs_status_exit_code.
 *
 * Rule (docs/design.md, "Code conventions"): always-on input checks return HS_ERR_INPUT with a message
 * naming the thing and what was expected; HS_ASSERT is for internal invariants
 * only and aborts. */
#ifndef HS_CORE_ERROR_H
#define HS_CORE_ERROR_H

#include <stdio.h>
#include <stdlib.h>

typedef enum {
    HS_OK = 0,
    HS_ERR_INPUT = 1,    /* bad input: config, data, checkpoint, command line */
    HS_ERR_IO = 2,       /* a file could not be read or written */
    HS_ERR_NOMEM = 3,    /* allocation failed (size in the message) */
    HS_ERR_NUMERIC = 4,  /* NaN/Inf or divergence during training */
    HS_ERR_INTERNAL = 5, /* a library call failed unexpectedly (HDF5, MPI) */
    HS_ERR_CANCELLED = 6 /* stopped on request (a signal): the job stays to do */
} hs_status;

/* Human-readable name of a status code ("bad input", ...). Never NULL. */
const char *hs_strerror(hs_status s);

/* Exit status a command should use for s: 0 ok, 2 bad input, 1 otherwise. */
int hs_status_exit_code(hs_status s);

/* Records a printf-style message for code s unless one is already pending;
 * returns s so callers can `return hs_error_set(...)`. */
hs_status hs_error_set(hs_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The pending message ("" if none). Valid until the next hs_error_clear. */
const char *hs_error_message(void);

/* Forgets the pending message (call after it has been reported). */
void hs_error_clear(void);

/* Propagates a failed status from a call. */
#define HS_CHECK(call)                      \
    do {                                    \
        hs_status hs_check_s_ = (call);     \
        if (hs_check_s_ != HS_OK)           \
            return hs_check_s_;             \
    } while (0)

/* Internal invariant: a failure is a bug, never bad input. */
#define HS_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "headsweep: internal error: %s (%s:%d)\n", #cond,  \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
