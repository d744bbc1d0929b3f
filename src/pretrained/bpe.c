/* bpe.c — see bpe.h. Symbols are vocabulary ids; merges live in a pair
 * table (left id, right id) → (rank, merged id), so each step is a hash
 * lookup per adjacent pair. Categories from libutf8proc. */
#include "bpe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "../core/alloc.h"
#include "vocab_map.h"

typedef struct {
    uint64_t key; /* (left + 1) << 32 | (right + 1); 0: empty */
    int rank, id;
} pslot;

struct hs_bpe {
    hs_vmap *vocab;
    int max_id;
    pslot *pairs;
    size_t pcap, npairs, nmerges;
    int byte_id[256];
    int unk_id; /* -1: drop unknown symbols */
    int prefix_space;
};

int hs_bpe_byte_char(int v)
{
    /* printable Latin-1 bytes stand for themselves; the others, in order,
     * for U+0100.. (GPT-2's bytes_to_unicode) */
    if ((v >= 33 && v <= 126) || (v >= 161 && v <= 172) || (v >= 174 && v <= 255)) return v;
    int k = 0;
    for (int u = 0; u < v; u++)
        if (!((u >= 33 && u <= 126) || (u >= 161 && u <= 172) || (u >= 174 && u <= 255))) k++;
    return 256 + k;
}

hs_status hs_bpe_create(hs_bpe **out)
{
    *out = NULL;
    hs_bpe *b;
    HS_CHECK(hs_calloc((void **)&b, 1, sizeof *b, "BPE tokenizer"));
    b->max_id = -1;
    b->unk_id = -1;
    b->pcap = 1024;
    hs_status s = hs_calloc((void **)&b->pairs, b->pcap, sizeof(pslot), "BPE merges");
    if (s == HS_OK) s = hs_vmap_create(&b->vocab);
    if (s != HS_OK) {
        hs_bpe_free(b);
        return s;
    }
    *out = b;
    return HS_OK;
}

void hs_bpe_free(hs_bpe *b)
{
    if (!b) return;
    hs_vmap_free(b->vocab);
    hs_free(b->pairs);
    hs_free(b);
}

hs_status hs_bpe_add_token(hs_bpe *b, const char *token, size_t n, int id, int *prev)
{
    HS_ASSERT(id >= 0);
    HS_CHECK(hs_vmap_put(b->vocab, token, n, id, prev));
    if (id > b->max_id) b->max_id = id;
    return HS_OK;
}

int hs_bpe_id(const hs_bpe *b, const char *token, size_t n) { return hs_vmap_get(b->vocab, token, n); }
int hs_bpe_vocab_size(const hs_bpe *b) { return b->max_id + 1; }
size_t hs_bpe_merge_count(const hs_bpe *b) { return b->nmerges; }

static uint64_t pkey(int l, int r) { return ((uint64_t)(uint32_t)(l + 1) << 32) | (uint32_t)(r + 1); }

static size_t pfind(const pslot *t, size_t cap, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (cap - 1);
    while (t[i].key && t[i].key != key) i = (i + 1) & (cap - 1);
    return i;
}

static const pslot *pget(const hs_bpe *b, int l, int r)
{
    if (l < 0 || r < 0) return NULL;
    const pslot *p = &b->pairs[pfind(b->pairs, b->pcap, pkey(l, r))];
    return p->key ? p : NULL;
}

hs_status hs_bpe_add_merge(hs_bpe *b, const char *left, size_t nl, const char *right, size_t nr, const char *file,
                           const char *where)
{
    int l = hs_vmap_get(b->vocab, left, nl), r = hs_vmap_get(b->vocab, right, nr);
    if (l < 0 || r < 0) {
        const char *t = l < 0 ? left : right;
        int nt = (int)(l < 0 ? nl : nr);
        return hs_error_set(HS_ERR_INPUT, "%s: %s: merge token \"%.*s\" is not in the vocabulary (expected both tokens of a merge among its tokens)",
                            file, where, nt > 200 ? 200 : nt, t);
    }
    char buf[512], *cat = buf;
    if (nl + nr > sizeof buf) HS_CHECK(hs_calloc((void **)&cat, nl + nr, 1, "merge token"));
    memcpy(cat, left, nl);
    memcpy(cat + nl, right, nr);
    int m = hs_vmap_get(b->vocab, cat, nl + nr);
    if (cat != buf) hs_free(cat);
    if (m < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: %s: the merge of \"%.*s\" and \"%.*s\" is not in the vocabulary (expected their concatenation among its tokens)",
                            file, where, (int)(nl > 200 ? 200 : nl), left, (int)(nr > 200 ? 200 : nr), right);
    if ((b->npairs + 1) * 2 > b->pcap) {
        pslot *nt;
        HS_CHECK(hs_calloc((void **)&nt, b->pcap * 2, sizeof(pslot), "BPE merges"));
        for (size_t i = 0; i < b->pcap; i++)
            if (b->pairs[i].key) nt[pfind(nt, b->pcap * 2, b->pairs[i].key)] = b->pairs[i];
        hs_free(b->pairs);
        b->pairs = nt;
        b->pcap *= 2;
    }
    pslot *p = &b->pairs[pfind(b->pairs, b->pcap, pkey(l, r))];
    if (!p->key) b->npairs++;
    /* a repeated merge takes its later rank, as in GPT-2's dict and Hugging Face's map */
    *p = (pslot){pkey(l, r), (int)b->nmerges, m};
    b->nmerges++;
    return HS_OK;
}

hs_status hs_bpe_read_merges_txt(hs_bpe *b, const char *text, size_t n, const char *file)
{
    size_t pos = 0;
    for (long line = 1; pos < n; line++) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n, len = end - pos;
        const char *s = text + pos;
        pos = end + 1;
        if (len > 0 && s[len - 1] == '\r') len--;
        if (line == 1 && len >= 8 && !memcmp(s, "#version", 8)) continue;
        const char *sp = memchr(s, ' ', len);
        if (!sp || sp == s || sp + 1 == s + len || memchr(sp + 1, ' ', (size_t)(s + len - sp - 1)))
            return hs_error_set(HS_ERR_INPUT, "%s: line %ld: \"%.*s\" is not a merge (expected two tokens separated by one space)",
                                file, line, (int)(len > 200 ? 200 : len), s);
        char where[32];
        snprintf(where, sizeof where, "line %ld", line);
        HS_CHECK(hs_bpe_add_merge(b, s, (size_t)(sp - s), sp + 1, (size_t)(s + len - sp - 1), file, where));
    }
    return HS_OK;
}

hs_status hs_bpe_finish(hs_bpe *b, const char *unk, int add_prefix_space, const char *file)
{
    for (int v = 0; v < 256; v++) {
        unsigned char u[4];
        utf8proc_ssize_t k = utf8proc_encode_char(hs_bpe_byte_char(v), u);
        b->byte_id[v] = hs_vmap_get(b->vocab, (const char *)u, (size_t)k);
    }
    b->unk_id = -1;
    if (unk) {
        b->unk_id = hs_vmap_get(b->vocab, unk, strlen(unk));
        if (b->unk_id < 0)
            return hs_error_set(HS_ERR_INPUT, "%s: the unknown token \"%s\" is not in the vocabulary (expected it among the %zu tokens)",
                                file, unk, hs_vmap_count(b->vocab));
    }
    b->prefix_space = add_prefix_space;
    return HS_OK;
}

/* --- pre-tokenisation ------------------------------------------------------ */

enum { C_L, C_N, C_S, C_O };

static int cls_of(int32_t c)
{
    if (c < 0) return C_O; /* an invalid byte */
    if ((c >= 9 && c <= 13) || c == 0x85) return C_S;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return C_L;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: return C_N;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: return C_S;
    default: return C_O;
    }
}

typedef struct {
    int32_t *cp;
    unsigned char *cls;
    size_t *off; /* n + 1 byte offsets */
    size_t n;
} chars;

/* length in characters of the pattern's match at i (≥ 1) */
static size_t match_at(const chars *c, size_t i)
{
    const size_t n = c->n;
    const int32_t *cp = c->cp;
    if (cp[i] == '\'' && i + 1 < n) {
        int32_t x = cp[i + 1], y = i + 2 < n ? cp[i + 2] : -1;
        if (x == 's' || x == 't') return 2;
        if ((x == 'r' && y == 'e') || (x == 'v' && y == 'e')) return 3;
        if (x == 'm') return 2;
        if (x == 'l' && y == 'l') return 3;
        if (x == 'd') return 2;
    }
    /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+", in this order */
    static const int want[3] = {C_L, C_N, C_O};
    for (int k = 0; k < 3; k++) {
        size_t j = i;
        if (cp[j] == ' ' && j + 1 < n && c->cls[j + 1] == want[k]) j++;
        if (c->cls[j] != want[k]) continue;
        while (j < n && c->cls[j] == want[k]) j++;
        return j - i;
    }
    /* here cls[i] is C_S: "\s+(?!\S)" then "\s+" */
    size_t j = i;
    while (j < n && c->cls[j] == C_S) j++;
    if (j == n || j - i == 1) return j - i;
    return j - i - 1;
}

/* --- merging --------------------------------------------------------------- */

static void emit(int id, int *ids, size_t cap, size_t *count)
{
    if (*count < cap) ids[*count] = id;
    (*count)++;
}

static void bpe_piece(const hs_bpe *b, const unsigned char *s, size_t n, int *sym, int *ids, size_t cap,
                      size_t *count)
{
    size_t m = n;
    for (size_t i = 0; i < n; i++) sym[i] = b->byte_id[s[i]];
    while (m > 1) {
        int best = -1, bl = 0, br = 0, bm = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            const pslot *p = pget(b, sym[i], sym[i + 1]);
            if (p && (best < 0 || p->rank < best)) {
                best = p->rank;
                bl = sym[i];
                br = sym[i + 1];
                bm = p->id;
            }
        }
        if (best < 0) break;
        size_t w = 0;
        for (size_t i = 0; i < m;) {
            if (i + 1 < m && sym[i] == bl && sym[i + 1] == br) {
                sym[w++] = bm;
                i += 2;
            } else
                sym[w++] = sym[i++];
        }
        m = w;
    }
    for (size_t i = 0; i < m; i++) {
        if (sym[i] >= 0) emit(sym[i], ids, cap, count);
        else if (b->unk_id >= 0) emit(b->unk_id, ids, cap, count);
    }
}

hs_status hs_bpe_encode(const hs_bpe *b, const char *s0, size_t n0, int *ids, size_t cap, size_t *count)
{
    *count = 0;
    const int pre = b->prefix_space && !(n0 > 0 && s0[0] == ' ');
    const size_t n = n0 + (size_t)pre;
    if (n == 0) return HS_OK;
    unsigned char *s = NULL;
    chars c = {0};
    int *sym = NULL;
    hs_status st = hs_calloc((void **)&s, n, 1, "text");
    if (st == HS_OK) st = hs_calloc((void **)&c.cp, n, sizeof *c.cp, "text characters");
    if (st == HS_OK) st = hs_calloc((void **)&c.cls, n, 1, "text characters");
    if (st == HS_OK) st = hs_calloc((void **)&c.off, n + 1, sizeof *c.off, "text characters");
    if (st == HS_OK) st = hs_calloc((void **)&sym, n, sizeof *sym, "BPE symbols");
    if (st == HS_OK) {
        if (pre) s[0] = ' ';
        memcpy(s + pre, s0, n0);
        for (size_t i = 0; i < n;) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
            if (k < 0) {
                cp = -1;
                k = 1;
            }
            c.cp[c.n] = cp;
            c.cls[c.n] = (unsigned char)cls_of(cp);
            c.off[c.n++] = i;
            i += (size_t)k;
        }
        c.off[c.n] = n;
        for (size_t i = 0; i < c.n;) {
            size_t k = match_at(&c, i);
            bpe_piece(b, s + c.off[i], c.off[i + k] - c.off[i], sym, ids, cap, count);
            i += k;
        }
    }
    hs_free(sym);
    hs_free(c.off);
    hs_free(c.cls);
    hs_free(c.cp);
    hs_free(s);
    return st;
}
