/* tokenizer.h — text helpers shared by the text kinds (tsv.c, lm.c): reading
 * a whole file, the byte tokenizer, the word splitter and a word vocabulary.
 *
 * Byte tokens: id = HS_TOK_FIRST_SYMBOL + byte value (vocab 4 + 256); every
 * byte is a token, UTF-8 or not.
 *
 * Words: text is split on ASCII whitespace and control bytes (0x00–0x20,
 * 0x7f), which are dropped; each ASCII punctuation byte (!"#$%&'()*+,-./:;<=>?@
 * [\]^_`{|}~) is a word of its own; every other run of bytes (ASCII letters and
 * digits, and any byte ≥ 0x80, so UTF-8 or Latin-1 letters stay inside words)
 * is one word. ASCII A–Z are lowercased; other bytes are kept as they are.
 * A vocabulary counts words, then keeps the most frequent ones (ties broken
 * by byte-wise lexicographic order) as ids HS_TOK_FIRST_SYMBOL.. in rank
 * order; any other word is HS_TOK_UNK. Sizes: a few hundred thousand
 * distinct words at most (one hash-table slot and one allocation each). */
#ifndef HS_TASKS_TOKENIZER_H
#define HS_TASKS_TOKENIZER_H

#include <stddef.h>

#include "../core/error.h"

enum { HS_TOK_BYTE_VOCAB = 4 + 256 }; /* HS_TOK_FIRST_SYMBOL + 256 */

/* Reads the whole file at `path` into *buf (NUL-terminated; the caller frees
 * it with hs_free) and its size into *len. HS_ERR_INPUT naming the file when
 * it cannot be opened or is not a regular file; HS_ERR_IO when reading fails.
 * An empty file is returned (len 0): the caller says what was expected. */
hs_status hs_text_read_file(const char *path, char **buf, size_t *len);

/* Byte tokenizer: writes min(n, cap) ids of s[0..n) to out; returns the count. */
int hs_tok_bytes(const unsigned char *s, size_t n, int *out, int cap);

/* Word splitter: finds the next word of s[0..n) at or after *pos; sets
 * *start and returns its length (0 when there are no more words), and moves
 * *pos past it. */
size_t hs_word_next(const unsigned char *s, size_t n, size_t *pos, size_t *start);

/* A pretrained model's tokenizer as the text kinds see it (the sweep layer
 * builds it from a Hugging Face folder: src/pretrained/hf_tokenizer.h): it
 * encodes one text or a pair with the model's own special tokens and token
 * types, truncated to max_len ids as Hugging Face's "longest_first" does.
 * encode returns the count (1..max_len) or -1 with the pending error set. */
typedef struct {
    void *ctx;
    int (*encode)(void *ctx, const char *a, size_t na, const char *b, size_t nb, int *ids, int *types,
                  int max_len);
    int vocab;       /* ids are 0..vocab-1 */
    int pad_id;      /* written at positions past the length */
    int type_vocab;  /* token types are 0..type_vocab-1 (1: all 0) */
    const char *name; /* for messages and descriptions ("wordpiece /models/bert") */
} hs_text_encoder;

typedef struct hs_vocab hs_vocab;

/* An empty vocabulary in counting mode. *out is owned by the caller
 * (hs_vocab_destroy). */
hs_status hs_vocab_create(hs_vocab **out);

/* Counting mode: adds one to the count of every word of s[0..n). */
hs_status hs_vocab_count(hs_vocab *v, const unsigned char *s, size_t n);

/* Ends counting: keeps the `vocab_size` most frequent words whose count is at
 * least `min_count` (ties: lexicographic), numbered from HS_TOK_FIRST_SYMBOL
 * in that order; forgets the rest. */
hs_status hs_vocab_finish(hs_vocab *v, int vocab_size, int min_count);

/* Words kept by hs_vocab_finish (the model vocabulary is 4 + this). */
int hs_vocab_size(const hs_vocab *v);

/* Id of a word (bytes w[0..n), compared after ASCII lowercasing), or
 * HS_TOK_UNK when it was not kept. */
int hs_vocab_id(const hs_vocab *v, const char *w, size_t n);

/* The word of a kept id (NUL-terminated, lowercase), NULL for other ids. */
const char *hs_vocab_word(const hs_vocab *v, int id);

/* Word tokenizer: writes the ids of the first min(words, cap) words of
 * s[0..n) to out; returns the count. */
int hs_tok_words(const hs_vocab *v, const unsigned char *s, size_t n, int *out, int cap);

/* Frees a vocabulary (NULL is fine); the signature fits hs_task.priv_free. */
void hs_vocab_destroy(void *v);

#endif
