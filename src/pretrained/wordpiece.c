/* wordpiece.c — see wordpiece.h. Text is worked on as code points (int32);
 * Unicode categories, NFD and case mapping come from libutf8proc. */
#include "wordpiece.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

#include "../core/alloc.h"
#include "vocab_map.h"

struct hs_wordpiece {
    hs_wordpiece_opts o;
    hs_vmap *vocab;
    int max_id, unk_id;
};

void hs_wordpiece_opts_default(hs_wordpiece_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lowercase = 1;
    o->strip_accents = -1;
    o->clean_text = 1;
    o->chinese_chars = 1;
    o->max_chars = 100;
    strcpy(o->unk, "[UNK]");
    strcpy(o->prefix, "##");
}

hs_status hs_wordpiece_create(hs_wordpiece **out, const hs_wordpiece_opts *o)
{
    *out = NULL;
    hs_wordpiece *wp;
    HS_CHECK(hs_calloc((void **)&wp, 1, sizeof *wp, "wordpiece tokenizer"));
    wp->o = *o;
    wp->o.unk[sizeof wp->o.unk - 1] = 0;
    wp->o.prefix[sizeof wp->o.prefix - 1] = 0;
    if (wp->o.strip_accents < 0) wp->o.strip_accents = wp->o.lowercase;
    wp->max_id = -1;
    wp->unk_id = -1;
    hs_status s = hs_vmap_create(&wp->vocab);
    if (s != HS_OK) {
        hs_free(wp);
        return s;
    }
    *out = wp;
    return HS_OK;
}

hs_status hs_wordpiece_add(hs_wordpiece *wp, const char *token, size_t n, int id, int *prev)
{
    HS_ASSERT(id >= 0);
    HS_CHECK(hs_vmap_put(wp->vocab, token, n, id, prev));
    if (id > wp->max_id) wp->max_id = id;
    return HS_OK;
}

hs_status hs_wordpiece_finish(hs_wordpiece *wp, const char *file)
{
    wp->unk_id = hs_vmap_get(wp->vocab, wp->o.unk, strlen(wp->o.unk));
    if (wp->unk_id < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: the vocabulary has no unknown token \"%s\" (expected it among the %zu tokens)",
                            file, wp->o.unk, hs_vmap_count(wp->vocab));
    return HS_OK;
}

hs_status hs_wordpiece_read_vocab_txt(hs_wordpiece **out, const char *text, size_t n, const char *file,
                                      const hs_wordpiece_opts *o)
{
    *out = NULL;
    hs_wordpiece *wp;
    HS_CHECK(hs_wordpiece_create(&wp, o));
    hs_status s = HS_OK;
    size_t pos = 0;
    int line = 0;
    while (pos < n && s == HS_OK) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n, len = end - pos;
        while (len > 0 && (text[pos + len - 1] == '\r' || text[pos + len - 1] == ' ' || text[pos + len - 1] == '\t'))
            len--;
        if (line == INT32_MAX) s = hs_error_set(HS_ERR_INPUT, "%s: more than %d lines (expected a vocabulary)", file, INT32_MAX);
        /* tokens must be UTF-8: they are compared with UTF-8 text */
        for (size_t i = pos; s == HS_OK && i < pos + len;) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(pos + len - i), &cp);
            if (k < 0)
                s = hs_error_set(HS_ERR_INPUT, "%s: line %d: byte 0x%02x at column %zu is not UTF-8 (expected one token in UTF-8 per line)",
                                 file, line + 1, (unsigned char)text[i], i - pos + 1);
            i += k > 0 ? (size_t)k : 1;
        }
        if (s == HS_OK) s = hs_wordpiece_add(wp, text + pos, len, line, NULL);
        line++;
        pos = end + 1;
    }
    if (s == HS_OK && line == 0) s = hs_error_set(HS_ERR_INPUT, "%s: empty (expected one token per line)", file);
    if (s == HS_OK) s = hs_wordpiece_finish(wp, file);
    if (s != HS_OK) {
        hs_wordpiece_free(wp);
        return s;
    }
    *out = wp;
    return HS_OK;
}

int hs_wordpiece_id(const hs_wordpiece *wp, const char *token, size_t n) { return hs_vmap_get(wp->vocab, token, n); }
int hs_wordpiece_vocab_size(const hs_wordpiece *wp) { return wp->max_id + 1; }
int hs_wordpiece_unk_id(const hs_wordpiece *wp) { return wp->unk_id; }

void hs_wordpiece_free(hs_wordpiece *wp)
{
    if (!wp) return;
    hs_vmap_free(wp->vocab);
    hs_free(wp);
}

/* --- character classes (Hugging Face's definitions over Unicode categories) -- */

static int is_white(int32_t c) /* Unicode White_Space = Z* + U+0009–000D + U+0085 */
{
    if ((c >= 9 && c <= 13) || c == 0x85) return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

static int is_control(int32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: return 1;
    default: return 0;
    }
}

static int is_punct(int32_t c)
{
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return 1;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO: return 1;
    default: return 0;
    }
}

static int is_cjk(int32_t c) /* BERT's _is_chinese_char blocks (code point ranges, not a category) */
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* --- normalisation ------------------------------------------------------- */

typedef struct {
    int32_t *cp; /* normalised text */
    size_t n;
} cpbuf;

static hs_status normalize(const hs_wordpiece *wp, const char *s, size_t n, cpbuf *out)
{
    /* each byte gives at most one code point; CJK padding triples it and the
     * U+0130 lowercase doubles it */
    int32_t *a;
    size_t na = 0, cap = 6 * n + 1;
    HS_CHECK(hs_calloc((void **)&a, cap, sizeof *a, "normalised text"));
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k < 0) {
            c = 0xFFFD;
            k = 1;
        }
        i += (size_t)k;
        if (wp->o.clean_text) {
            if (c == 0 || c == 0xFFFD || is_control(c)) continue;
            if (is_white(c)) c = ' ';
        }
        if (wp->o.chinese_chars && is_cjk(c)) {
            a[na++] = ' ';
            a[na++] = c;
            a[na++] = ' ';
        } else
            a[na++] = c;
    }
    if (wp->o.strip_accents && na > 0) {
        /* NFD through UTF-8 so that utf8proc also puts marks in canonical order */
        unsigned char *u;
        size_t nu = 0;
        hs_status st = hs_calloc((void **)&u, 4 * na + 1, 1, "normalised text");
        if (st != HS_OK) {
            hs_free(a);
            return st;
        }
        for (size_t i = 0; i < na; i++) nu += (size_t)utf8proc_encode_char(a[i], u + nu);
        utf8proc_ssize_t m = utf8proc_decompose(u, (utf8proc_ssize_t)nu, NULL, 0, UTF8PROC_DECOMPOSE);
        int32_t *d = NULL;
        if (m >= 0) st = hs_calloc((void **)&d, 2 * (size_t)m + 1, sizeof *d, "normalised text");
        if (m >= 0 && st == HS_OK) m = utf8proc_decompose(u, (utf8proc_ssize_t)nu, d, m, UTF8PROC_DECOMPOSE);
        hs_free(u);
        hs_free(a);
        if (st != HS_OK) return st;
        if (m < 0) {
            hs_free(d);
            return hs_error_set(HS_ERR_INTERNAL, "utf8proc_decompose: %s", utf8proc_errmsg(m));
        }
        a = d;
        na = 0;
        for (utf8proc_ssize_t i = 0; i < m; i++)
            if (utf8proc_category(d[i]) != UTF8PROC_CATEGORY_MN) d[na++] = d[i];
        cap = 2 * (size_t)m + 1;
    }
    if (wp->o.lowercase) {
        /* in place, back to front, as U+0130 grows */
        size_t extra = 0;
        for (size_t i = 0; i < na; i++) extra += a[i] == 0x130;
        HS_ASSERT(na + extra <= cap);
        size_t j = na + extra;
        for (size_t i = na; i-- > 0;) {
            if (a[i] == 0x130) {
                a[--j] = 0x307;
                a[--j] = 'i';
            } else
                a[--j] = utf8proc_tolower(a[i]);
        }
        na += extra;
    }
    out->cp = a;
    out->n = na;
    return HS_OK;
}

/* --- WordPiece of one word ---------------------------------------------- */

static void emit(int id, int *ids, size_t cap, size_t *count)
{
    if (*count < cap) ids[*count] = id;
    (*count)++;
}

/* key: scratch of at least plen + 4 * n bytes; off: n + 1 offsets */
static void word_pieces(const hs_wordpiece *wp, const int32_t *w, size_t n, char *utf, size_t *off, char *key,
                        int *ids, size_t cap, size_t *count)
{
    if (n > (size_t)wp->o.max_chars) {
        emit(wp->unk_id, ids, cap, count);
        return;
    }
    off[0] = 0;
    for (size_t i = 0; i < n; i++) off[i + 1] = off[i] + (size_t)utf8proc_encode_char(w[i], (utf8proc_uint8_t *)utf + off[i]);
    const size_t plen = strlen(wp->o.prefix);
    memcpy(key, wp->o.prefix, plen);
    const size_t first = *count;
    for (size_t start = 0; start < n;) {
        int id = -1;
        size_t end = n;
        for (; end > start; end--) {
            const size_t len = off[end] - off[start];
            if (start == 0)
                id = hs_vmap_get(wp->vocab, utf, len);
            else {
                memcpy(key + plen, utf + off[start], len);
                id = hs_vmap_get(wp->vocab, key, plen + len);
            }
            if (id >= 0) break;
        }
        if (id < 0) { /* no cover: the whole word is unknown */
            *count = first;
            emit(wp->unk_id, ids, cap, count);
            return;
        }
        emit(id, ids, cap, count);
        start = end;
    }
}

hs_status hs_wordpiece_encode(const hs_wordpiece *wp, const char *s, size_t n, int *ids, size_t cap, size_t *count)
{
    *count = 0;
    cpbuf t = {0};
    HS_CHECK(normalize(wp, s, n, &t));
    size_t maxw = (size_t)wp->o.max_chars + 1;
    char *utf = NULL, *key = NULL;
    size_t *off = NULL;
    hs_status st = hs_calloc((void **)&utf, 4 * maxw + 1, 1, "word buffer");
    if (st == HS_OK) st = hs_calloc((void **)&key, 4 * maxw + sizeof wp->o.prefix, 1, "word buffer");
    if (st == HS_OK) st = hs_calloc((void **)&off, maxw + 1, sizeof *off, "word buffer");
    for (size_t i = 0; st == HS_OK && i < t.n;) {
        if (is_white(t.cp[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (!is_punct(t.cp[i]))
            while (j < t.n && !is_white(t.cp[j]) && !is_punct(t.cp[j])) j++;
        word_pieces(wp, t.cp + i, j - i, utf, off, key, ids, cap, count);
        i = j;
    }
    hs_free(off);
    hs_free(key);
    hs_free(utf);
    hs_free(t.cp);
    return st;
}
