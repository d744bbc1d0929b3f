/* tokenizer.c — file reading, byte and word tokenizers, and the word
 * vocabulary (see tokenizer.h). The vocabulary is an open-addressing hash
 * table (FNV-1a of the lowercased bytes, linear probing, at most half full);
 * a few hundred thousand words cost a few tens of MB while counting, and only
 * the kept words remain afterwards. */
#include "tokenizer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/alloc.h"
#include "task.h"

hs_status hs_text_read_file(const char *path, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return hs_error_set(HS_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return hs_error_set(HS_ERR_INPUT, "%s: not a regular file (expected a text file)", path);
    FILE *f = fopen(path, "rb");
    if (!f) return hs_error_set(HS_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    const size_t size = (size_t)st.st_size;
    char *b;
    hs_status s = hs_calloc((void **)&b, size + 1, 1, path);
    if (s != HS_OK) {
        fclose(f);
        return s;
    }
    size_t got = size ? fread(b, 1, size, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        hs_free(b);
        return hs_error_set(HS_ERR_IO, "%s: read %zu of %zu bytes (%s)", path, got, size,
                            err ? "read error" : "file changed while reading");
    }
    b[size] = 0;
    *buf = b;
    *len = size;
    return HS_OK;
}

int hs_tok_bytes(const unsigned char *s, size_t n, int *out, int cap)
{
    int k = 0;
    for (size_t i = 0; i < n && k < cap; i++) out[k++] = HS_TOK_FIRST_SYMBOL + s[i];
    return k;
}

/* 0: separator (dropped), 1: punctuation (a word of its own), 2: word byte. */
static int byte_class(unsigned char c)
{
    if (c <= 0x20 || c == 0x7f) return 0;
    if ((c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
        (c >= 0x7b && c <= 0x7e))
        return 1;
    return 2;
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

size_t hs_word_next(const unsigned char *s, size_t n, size_t *pos, size_t *start)
{
    size_t i = *pos;
    while (i < n && byte_class(s[i]) == 0) i++;
    if (i >= n) {
        *pos = n;
        *start = n;
        return 0;
    }
    *start = i;
    if (byte_class(s[i]) == 1) {
        *pos = i + 1;
        return 1;
    }
    while (i < n && byte_class(s[i]) == 2) i++;
    *pos = i;
    return i - *start;
}

typedef struct {
    char *word; /* lowercased, NUL-terminated; NULL = empty slot */
    size_t len;
    uint64_t hash;
    long count;
    int id;
} vocab_entry;

struct hs_vocab {
    vocab_entry *slots;
    size_t cap, used; /* cap is a power of two */
    char **words;     /* kept words by rank (after finish) */
    int n_words;
    int finished;
};

static uint64_t word_hash(const unsigned char *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= lower(w[i]);
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int word_equal(const char *stored, size_t len, const unsigned char *w, size_t n)
{
    if (len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)stored[i] != lower(w[i])) return 0;
    return 1;
}

/* The slot holding w, or the empty slot where it would go. */
static vocab_entry *find_slot(const hs_vocab *v, const unsigned char *w, size_t n, uint64_t h)
{
    size_t i = (size_t)h & (v->cap - 1);
    for (;;) {
        vocab_entry *e = &v->slots[i];
        if (!e->word || (e->hash == h && word_equal(e->word, e->len, w, n))) return e;
        i = (i + 1) & (v->cap - 1);
    }
}

static hs_status table_alloc(hs_vocab *v, size_t cap)
{
    vocab_entry *slots; /* v keeps its old table when this fails */
    HS_CHECK(hs_calloc((void **)&slots, cap, sizeof(vocab_entry), "vocabulary table"));
    v->slots = slots;
    v->cap = cap;
    v->used = 0;
    return HS_OK;
}

/* Moves the entries of old (cap entries) into v's table (which has room). */
static void table_move(hs_vocab *v, vocab_entry *old, size_t cap)
{
    for (size_t i = 0; i < cap; i++) {
        if (!old[i].word) continue;
        vocab_entry *e = find_slot(v, (const unsigned char *)old[i].word, old[i].len, old[i].hash);
        *e = old[i];
        v->used++;
    }
}

hs_status hs_vocab_create(hs_vocab **out)
{
    hs_vocab *v;
    HS_CHECK(hs_calloc((void **)&v, 1, sizeof *v, "vocabulary"));
    hs_status s = table_alloc(v, 1024);
    if (s != HS_OK) {
        hs_free(v);
        return s;
    }
    *out = v;
    return HS_OK;
}

static hs_status add_word(hs_vocab *v, const unsigned char *w, size_t n)
{
    if (2 * (v->used + 1) > v->cap) {
        vocab_entry *old = v->slots;
        const size_t old_cap = v->cap;
        HS_CHECK(table_alloc(v, old_cap * 2));
        table_move(v, old, old_cap);
        hs_free(old);
    }
    const uint64_t h = word_hash(w, n);
    vocab_entry *e = find_slot(v, w, n, h);
    if (!e->word) {
        HS_CHECK(hs_calloc((void **)&e->word, n + 1, 1, "vocabulary word"));
        for (size_t i = 0; i < n; i++) e->word[i] = (char)lower(w[i]);
        e->len = n;
        e->hash = h;
        v->used++;
    }
    e->count++;
    return HS_OK;
}

hs_status hs_vocab_count(hs_vocab *v, const unsigned char *s, size_t n)
{
    HS_ASSERT(!v->finished);
    size_t pos = 0, start, len;
    while ((len = hs_word_next(s, n, &pos, &start)) > 0) HS_CHECK(add_word(v, s + start, len));
    return HS_OK;
}

/* Rank order: count descending, then bytes ascending (a prefix first). */
static int rank_cmp(const void *pa, const void *pb)
{
    const vocab_entry *a = *(vocab_entry *const *)pa, *b = *(vocab_entry *const *)pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    const size_t n = a->len < b->len ? a->len : b->len;
    const int c = memcmp(a->word, b->word, n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

hs_status hs_vocab_finish(hs_vocab *v, int vocab_size, int min_count)
{
    HS_ASSERT(!v->finished);
    size_t n = 0;
    vocab_entry **all = NULL;
    if (v->used) HS_CHECK(hs_calloc((void **)&all, v->used, sizeof *all, "vocabulary ranking"));
    for (size_t i = 0; i < v->cap; i++)
        if (v->slots[i].word) all[n++] = &v->slots[i];
    if (n) qsort(all, n, sizeof *all, rank_cmp);
    size_t keep = 0;
    while (keep < n && keep < (size_t)vocab_size && all[keep]->count >= min_count) keep++;
    hs_status s = HS_OK;
    if (keep) s = hs_calloc((void **)&v->words, keep, sizeof(char *), "vocabulary words");
    vocab_entry *old = v->slots;
    const size_t old_cap = v->cap;
    size_t cap = 16;
    while (cap < 2 * keep + 2) cap *= 2;
    if (s == HS_OK) s = table_alloc(v, cap);
    if (s != HS_OK) {
        hs_free(all);
        hs_free(v->words);
        v->words = NULL;
        v->slots = old; /* unchanged: hs_vocab_destroy frees it */
        v->cap = old_cap;
        return s;
    }
    for (size_t r = 0; r < keep; r++) {
        vocab_entry *e = find_slot(v, (const unsigned char *)all[r]->word, all[r]->len, all[r]->hash);
        *e = *all[r];
        e->id = HS_TOK_FIRST_SYMBOL + (int)r;
        v->words[r] = e->word;
        v->used++;
        all[r]->word = NULL; /* moved */
    }
    for (size_t i = 0; i < old_cap; i++) hs_free(old[i].word);
    hs_free(old);
    hs_free(all);
    v->n_words = (int)keep;
    v->finished = 1;
    return HS_OK;
}

int hs_vocab_size(const hs_vocab *v) { return v->n_words; }

int hs_vocab_id(const hs_vocab *v, const char *w, size_t n)
{
    if (!v->finished) return HS_TOK_UNK;
    const unsigned char *u = (const unsigned char *)w;
    const vocab_entry *e = find_slot(v, u, n, word_hash(u, n));
    return e->word ? e->id : HS_TOK_UNK;
}

const char *hs_vocab_word(const hs_vocab *v, int id)
{
    const int r = id - HS_TOK_FIRST_SYMBOL;
    return v->finished && r >= 0 && r < v->n_words ? v->words[r] : NULL;
}

int hs_tok_words(const hs_vocab *v, const unsigned char *s, size_t n, int *out, int cap)
{
    HS_ASSERT(v->finished);
    size_t pos = 0, start, len;
    int k = 0;
    while (k < cap && (len = hs_word_next(s, n, &pos, &start)) > 0)
        out[k++] = hs_vocab_id(v, (const char *)s + start, len);
    return k;
}

void hs_vocab_destroy(void *p)
{
    hs_vocab *v = p;
    if (!v) return;
    for (size_t i = 0; i < v->cap; i++) hs_free(v->slots[i].word);
    hs_free(v->slots);
    hs_free(v->words);
    hs_free(v);
}
