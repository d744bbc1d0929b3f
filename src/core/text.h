/* text.h — small helpers on bytes and paths that several layers share (one
 * copy each): UTF-8 validation, mkdir -p. */
#ifndef HS_CORE_TEXT_H
#define HS_CORE_TEXT_H

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid).
 * Reads no further than the first byte that is not a continuation. */
int hs_utf8_len(const unsigned char *s);

/* mkdir -p dir (mode 0777 before the umask): every missing folder of the
 * path, in turn. Returns 0, or -1 with errno set and dir cut short at the
 * folder that could not be made (so the caller's message can name it). */
int hs_mkdir_p(char *dir);

#endif
