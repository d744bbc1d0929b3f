/* vocab_map.c — see vocab_map.h. Linear probing at load ≤ 1/2; keys live in
 * 64 KiB arena blocks (one allocation per block, not per token). */
#include "vocab_map.h"

#include <string.h>

#include "../core/alloc.h"

typedef struct {
    const char *key; /* NULL: empty slot */
    size_t n;
    uint64_t h;
    int id;
} slot;

typedef struct block {
    struct block *next;
    size_t used, cap;
    char data[];
} block;

struct hs_vmap {
    slot *slots;
    size_t cap, count; /* cap: a power of two */
    block *blocks;
};

uint64_t hs_vmap_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

hs_status hs_vmap_create(hs_vmap **out)
{
    *out = NULL;
    hs_vmap *m;
    HS_CHECK(hs_calloc((void **)&m, 1, sizeof *m, "vocabulary table"));
    m->cap = 1024;
    hs_status s = hs_calloc((void **)&m->slots, m->cap, sizeof(slot), "vocabulary table");
    if (s != HS_OK) {
        hs_free(m);
        return s;
    }
    *out = m;
    return HS_OK;
}

static size_t find(const slot *slots, size_t cap, const char *key, size_t n, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i].key && !(slots[i].h == h && slots[i].n == n && !memcmp(slots[i].key, key, n)))
        i = (i + 1) & (cap - 1);
    return i;
}

static hs_status grow(hs_vmap *m)
{
    slot *ns;
    HS_CHECK(hs_calloc((void **)&ns, m->cap * 2, sizeof(slot), "vocabulary table"));
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) ns[find(ns, m->cap * 2, m->slots[i].key, m->slots[i].n, m->slots[i].h)] = m->slots[i];
    hs_free(m->slots);
    m->slots = ns;
    m->cap *= 2;
    return HS_OK;
}

static hs_status copy_key(hs_vmap *m, const char *key, size_t n, const char **out)
{
    block *b = m->blocks;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > 65536 ? n + 1 : 65536;
        HS_CHECK(hs_calloc((void **)&b, 1, sizeof(block) + cap, "vocabulary tokens"));
        b->cap = cap;
        b->next = m->blocks;
        m->blocks = b;
    }
    char *d = b->data + b->used;
    if (n) memcpy(d, key, n);
    d[n] = 0;
    b->used += n + 1;
    *out = d;
    return HS_OK;
}

hs_status hs_vmap_put(hs_vmap *m, const char *key, size_t n, int id, int *prev)
{
    if ((m->count + 1) * 2 > m->cap) HS_CHECK(grow(m));
    const uint64_t h = hs_vmap_hash(key, n);
    size_t i = find(m->slots, m->cap, key, n, h);
    if (m->slots[i].key) {
        if (prev) *prev = m->slots[i].id;
        m->slots[i].id = id;
        return HS_OK;
    }
    if (prev) *prev = -1;
    const char *k;
    HS_CHECK(copy_key(m, key, n, &k));
    m->slots[i] = (slot){k, n, h, id};
    m->count++;
    return HS_OK;
}

int hs_vmap_get(const hs_vmap *m, const char *key, size_t n)
{
    size_t i = find(m->slots, m->cap, key, n, hs_vmap_hash(key, n));
    return m->slots[i].key ? m->slots[i].id : -1;
}

size_t hs_vmap_count(const hs_vmap *m) { return m->count; }

void hs_vmap_free(hs_vmap *m)
{
    if (!m) return;
    for (block *b = m->blocks, *nx; b; b = nx) {
        nx = b->next;
        hs_free(b);
    }
    hs_free(m->slots);
    hs_free(m);
}
