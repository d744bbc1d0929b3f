/* wordpiece.h — BERT's and DistilBERT's tokenizer: Hugging Face's
 * BasicTokenizer / BertNormalizer + BertPreTokenizer, then WordPiece.
 *
 * Normalisation, in the order of Hugging Face's tokenizers (Rust):
 *  - clean_text: drops U+0000, U+FFFD and control characters (categories
 *    Cc, Cf, Cs, Co, Cn, except tab, LF and CR) and turns whitespace (tab,
 *    LF, CR and the Unicode White_Space characters) into a space;
 *  - chinese_chars: puts spaces around each CJK ideograph (the code point
 *    blocks BERT names: U+4E00–9FFF, 3400–4DBF, 20000–2A6DF, 2A700–2B73F,
 *    2B740–2B81F, 2B820–2CEAF, F900–FAFF, 2F800–2FA1F);
 *  - strip_accents: NFD, then marks of category Mn are dropped;
 *  - lowercase: per code point (utf8proc's simple mapping; U+0130 becomes
 *    "i" + U+0307 as in Unicode's SpecialCasing).
 * Words: split at White_Space (removed) and around each punctuation
 * character (category P*, or ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ even
 * where Unicode calls it a symbol), each punctuation character a word.
 * WordPiece: greedy longest match first; pieces after the first carry the
 * continuation prefix ("##"); a word with no full cover, or longer than
 * max_chars code points, is the unknown token. Invalid UTF-8 bytes read as
 * U+FFFD (so clean_text drops them). Unicode data: libutf8proc. */
#ifndef HS_PRETRAINED_WORDPIECE_H
#define HS_PRETRAINED_WORDPIECE_H

#include <stddef.h>

#include "../core/error.h"

typedef struct {
    int lowercase;      /* do_lower_case (default 1, as BertTokenizer) */
    int strip_accents;  /* 1, 0, or -1: the same as lowercase (default) */
    int clean_text;     /* default 1 */
    int chinese_chars;  /* tokenize_chinese_chars / handle_chinese_chars, default 1 */
    int max_chars;      /* max_input_chars_per_word, default 100 */
    char unk[64];       /* unknown token, default "[UNK]" */
    char prefix[16];    /* continuing_subword_prefix, default "##" */
} hs_wordpiece_opts;

typedef struct hs_wordpiece hs_wordpiece;

void hs_wordpiece_opts_default(hs_wordpiece_opts *o);

/* An empty vocabulary with options o (copied). Fill it with
 * hs_wordpiece_add, then hs_wordpiece_finish. */
hs_status hs_wordpiece_create(hs_wordpiece **out, const hs_wordpiece_opts *o);

/* token[0..n) → id (id ≥ 0). *prev (may be NULL) gets the id the token
 * had before, -1 if new; a repeated token keeps the last id. */
hs_status hs_wordpiece_add(hs_wordpiece *wp, const char *token, size_t n, int id, int *prev);

/* Checks the vocabulary holds the unknown token; `file` names the source. */
hs_status hs_wordpiece_finish(hs_wordpiece *wp, const char *file);

/* Reads vocab.txt (one token per line, id = line number from 0, trailing
 * whitespace and CR removed, a later repeat of a token wins as in Hugging
 * Face). Errors name the file and line. */
hs_status hs_wordpiece_read_vocab_txt(hs_wordpiece **out, const char *text, size_t n, const char *file,
                                      const hs_wordpiece_opts *o);

/* Id of token[0..n), or -1. */
int hs_wordpiece_id(const hs_wordpiece *wp, const char *token, size_t n);

/* 1 + the largest id. */
int hs_wordpiece_vocab_size(const hs_wordpiece *wp);
int hs_wordpiece_unk_id(const hs_wordpiece *wp);

/* Tokenizes s[0..n) (no special tokens): writes the first min(total, cap)
 * ids to ids and the total to *count. Fails only for memory. */
hs_status hs_wordpiece_encode(const hs_wordpiece *wp, const char *s, size_t n, int *ids, size_t cap,
                              size_t *count);

void hs_wordpiece_free(hs_wordpiece *wp);

#endif
