/* error.c — pending-error buffer behind hs_error_set (see error.h). */
#include "error.h"
#include "text.h"

#include <stdarg.h>
#include <string.h>

static char pending[1024];
static int has_pending;

/* Quoted file contents may be binary: control characters and bytes that are
 * not part of valid UTF-8 become '?', so the message stays one printable line. */
static void sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        const int n = hs_utf8_len(p);
        if (!n) {
            *p++ = '?';
            continue;
        }
        if (n == 1 && (*p < 0x20 || *p == 0x7f)) *p = '?';
        p += n;
    }
}

const char *hs_strerror(hs_status s)
{
    switch (s) {
    case HS_OK: return "ok";
    case HS_ERR_INPUT: return "bad input";
    case HS_ERR_IO: return "i/o error";
    case HS_ERR_NOMEM: return "out of memory";
    case HS_ERR_NUMERIC: return "numerical failure";
    case HS_ERR_INTERNAL: return "internal error";
    case HS_ERR_CANCELLED: return "cancelled";
    }
    return "unknown error";
}

int hs_status_exit_code(hs_status s)
{
    if (s == HS_OK) return 0;
    return s == HS_ERR_INPUT ? 2 : 1;
}

hs_status hs_error_set(hs_status s, const char *fmt, ...)
{
    if (has_pending) return s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending, sizeof pending, fmt, ap);
    va_end(ap);
    /* one line: messages may quote file contents */
    for (char *p = pending; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    sanitize(pending);
    has_pending = 1;
    return s;
}

const char *hs_error_message(void) { return has_pending ? pending : ""; }

void hs_error_clear(void)
{
    has_pending = 0;
    pending[0] = 0;
}
