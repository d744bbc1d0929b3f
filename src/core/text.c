/* text.c — UTF-8 validation, mkdir -p and the growable string buffer (see text.h). */
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

int hs_utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) n = 2, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0) n = 3, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0) n = 4, cp = s[0] & 0x07;
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

int hs_mkdir_p(char *dir)
{
    if (!dir[0]) return 0;
    for (char *p = dir + 1;; p++) {
        const char c = *p;
        if (c == '/' || c == 0) {
            *p = 0;
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
            *p = c;
        }
        if (!c) return 0;
    }
}

void hs_strbuf_printf(hs_strbuf *b, const char *fmt, ...)
{
    if (b->st != HS_OK) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + (size_t)n + 1 > cap) cap *= 2;
        char *s;
        b->st = hs_calloc((void **)&s, cap, 1, b->what ? b->what : "text buffer");
        if (b->st != HS_OK) return;
        if (b->len) memcpy(s, b->s, b->len);
        hs_free(b->s);
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void hs_strbuf_free(hs_strbuf *b)
{
    hs_free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->st = HS_OK;
}
