/* text.h — small helpers on bytes and paths that several layers share (one
 * copy each): UTF-8 validation, mkdir -p, a growable string buffer. */
#ifndef HS_CORE_TEXT_H
#define HS_CORE_TEXT_H

#include <stddef.h>

#include "error.h"

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid).
 * Reads no further than the first byte that is not a continuation. */
int hs_utf8_len(const unsigned char *s);

/* mkdir -p dir (mode 0777 before the umask): every missing folder of the
 * path, in turn. Returns 0, or -1 with errno set and dir cut short at the
 * folder that could not be made (so the caller's message can name it). */
int hs_mkdir_p(char *dir);

/* A NUL-terminated string that grows as text is appended (4 KiB, then
 * doubling, through hs_calloc). Start it as {.what = "..."} (what names it in
 * an out-of-memory message); s is NULL until the first append. After a
 * failed allocation st holds the error, the text so far stays, and further
 * appends do nothing, so a writer checks st once at the end. */
typedef struct {
    char *s;
    size_t len, cap;
    hs_status st;
    const char *what;
} hs_strbuf;

/* Appends printf-formatted text. */
void hs_strbuf_printf(hs_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees the text and empties b (what is kept). */
void hs_strbuf_free(hs_strbuf *b);

#endif
