/* bpe.h — GPT-2's and RoBERTa's byte-level BPE.
 *
 * Text is split by GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (matched by hand: \p{L}, \p{N} are Unicode categories L*, N*; \s is the
 * Unicode White_Space property; " ?" is U+0020; invalid UTF-8 bytes count as
 * one character each, neither letter, number nor space). Each piece's bytes
 * become the printable characters of GPT-2's bytes-to-unicode map, then the
 * lowest-ranked merge among adjacent pairs is applied (all its occurrences,
 * left to right) until none applies. A symbol that is not in the vocabulary
 * (only a lone byte can be one: merges are checked at load) becomes the
 * unknown token, or is dropped when there is none, as Hugging Face does. */
#ifndef HS_PRETRAINED_BPE_H
#define HS_PRETRAINED_BPE_H

#include <stddef.h>

#include "../core/error.h"

typedef struct hs_bpe hs_bpe;

hs_status hs_bpe_create(hs_bpe **out);

/* Vocabulary: token[0..n) (in the bytes-to-unicode form, UTF-8) → id ≥ 0.
 * *prev (may be NULL) gets the id the token had before, -1 if new. */
hs_status hs_bpe_add_token(hs_bpe *b, const char *token, size_t n, int id, int *prev);

/* The next merge (rank = number of merges added before): left + right.
 * Both and their concatenation must be tokens of the vocabulary (add it
 * first); `file` and `where` ("line 7", "merges[6]") name it in messages. */
hs_status hs_bpe_add_merge(hs_bpe *b, const char *left, size_t nl, const char *right, size_t nr, const char *file,
                           const char *where);

/* merges.txt: an optional first line "#version..." then one merge per line,
 * two tokens separated by one space (a final newline is fine, CR dropped). */
hs_status hs_bpe_read_merges_txt(hs_bpe *b, const char *text, size_t n, const char *file);

/* After the vocabulary and merges: unk (NULL or a token of the vocabulary)
 * for symbols missing from it; add_prefix_space puts a space before a text
 * that does not begin with one (ByteLevel's add_prefix_space). */
hs_status hs_bpe_finish(hs_bpe *b, const char *unk, int add_prefix_space, const char *file);

int hs_bpe_id(const hs_bpe *b, const char *token, size_t n);
int hs_bpe_vocab_size(const hs_bpe *b); /* 1 + the largest id */
size_t hs_bpe_merge_count(const hs_bpe *b);

/* Tokenizes s[0..n) (no special tokens): writes the first min(total, cap)
 * ids and the total to *count. Fails only for memory. */
hs_status hs_bpe_encode(const hs_bpe *b, const char *s, size_t n, int *ids, size_t cap, size_t *count);

void hs_bpe_free(hs_bpe *b);

/* GPT-2's bytes-to-unicode map: the code point standing for byte v. */
int hs_bpe_byte_char(int v);

#endif
