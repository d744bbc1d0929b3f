/* text.c — UTF-8 validation and mkdir -p (see text.h). */
#include "text.h"

#include <errno.h>
#include <sys/stat.h>

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
