/* vocab_map.h — the token → id table the tokenizers share (wordpiece.c,
 * bpe.c): byte-string keys (any bytes, NUL included), open addressing,
 * keys copied into the table's own arena. Sized for real vocabularies
 * (GPT-2: 50257 keys, BERT: 30522). */
#ifndef HS_PRETRAINED_VOCAB_MAP_H
#define HS_PRETRAINED_VOCAB_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

typedef struct hs_vmap hs_vmap;

/* An empty table. *out is owned by the caller (hs_vmap_free). */
hs_status hs_vmap_create(hs_vmap **out);

/* Sets key[0..n) → id. *prev (may be NULL) gets the id key held before, or
 * -1 when it is new. */
hs_status hs_vmap_put(hs_vmap *m, const char *key, size_t n, int id, int *prev);

/* The id of key[0..n), or -1. */
int hs_vmap_get(const hs_vmap *m, const char *key, size_t n);

/* Number of distinct keys. */
size_t hs_vmap_count(const hs_vmap *m);

void hs_vmap_free(hs_vmap *m);

/* FNV-1a, shared with the pair table of bpe.c. */
uint64_t hs_vmap_hash(const void *p, size_t n);

#endif
