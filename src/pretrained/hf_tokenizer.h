/* hf_tokenizer.h — the tokenizer of a Hugging Face folder (BERT, DistilBERT:
 * WordPiece; RoBERTa, GPT-2: byte-level BPE) with the family's special
 * tokens, token types and "longest_first" truncation.
 *
 * Which files: tokenizer.json when present (its model.type: "WordPiece" or
 * "BPE" with a ByteLevel pre-tokenizer; normalizer, added_tokens and
 * post_processor read from it), else vocab.txt (WordPiece), else vocab.json
 * + merges.txt (BPE). tokenizer_config.json (optional) gives do_lower_case,
 * strip_accents, tokenize_chinese_chars, add_prefix_space and the special
 * tokens' names. The family comes from config.json's model_type (bert,
 * distilbert, roberta, gpt2), else from tokenizer.json's post_processor,
 * else from the files (vocab.txt: BERT; BPE with <s> and </s>: RoBERTa;
 * other BPE: GPT-2).
 *
 * Layout: BERT/DistilBERT  [CLS] a [SEP] (b [SEP]), types 0 for [CLS] a [SEP], 1 for b [SEP];
 *         RoBERTa           <s> a </s> (</s> b </s>), types all 0 (type_vocab 1);
 *         GPT-2             a (b), nothing added, types all 0.
 * Truncation to max_len as Hugging Face's tokenizers (Rust) "longest_first":
 * with m = max_len - special tokens, a pair that does not fit keeps
 * n_short = min(len_short, …) as: if the shorter fits with the longer cut to
 * m - n_short, that; else m/2 for the first-shorter and m/2 + m%2 for the
 * longer (tokens are dropped from the ends). Not supported: added tokens
 * written literally in the text (e.g. "[SEP]", "<|endoftext|>") are
 * tokenized as ordinary text, where Hugging Face maps them to their ids. */
#ifndef HS_PRETRAINED_HF_TOKENIZER_H
#define HS_PRETRAINED_HF_TOKENIZER_H

#include <stddef.h>

#include "../core/error.h"

typedef enum { HS_TOKFAM_BERT, HS_TOKFAM_ROBERTA, HS_TOKFAM_GPT2 } hs_tok_family;

typedef struct {
    hs_tok_family family;
    int wordpiece;        /* 1: WordPiece, 0: byte-level BPE */
    char source[64];      /* "tokenizer.json", "vocab.txt" or "vocab.json + merges.txt" */
    int vocab_size;       /* ids are 0..vocab_size-1 */
    int pad_id, unk_id;   /* GPT-2: both <|endoftext|> unless tokenizer_config names a pad_token */
    int cls_id, sep_id;   /* BERT: [CLS] [SEP]; RoBERTa: <s> </s>; GPT-2: -1 */
    int type_vocab;       /* 2 for BERT, else 1 */
    int lowercase;        /* WordPiece: lower-cases */
} hs_hf_tok_info;

typedef struct hs_hf_tokenizer hs_hf_tokenizer;

/* Opens the tokenizer of folder dir; info (may be NULL) gets its summary.
 * Malformed files: HS_ERR_INPUT naming the file and line or key. */
hs_status hs_hf_tokenizer_open(hs_hf_tokenizer **tok, const char *dir, hs_hf_tok_info *info);

/* Encodes a (and b, NULL for a single text) into ids[0..k) and, when types
 * is not NULL, types[0..k); returns k (0 only for GPT-2 and an empty text)
 * or -1 with the pending error set (max_len below the special tokens, or
 * out of memory). Nothing is written past k. */
int hs_hf_tokenizer_encode(const hs_hf_tokenizer *tok, const char *a, size_t na, const char *b, size_t nb, int *ids,
                           int *types, int max_len);

/* The id of a token of the vocabulary (as stored: BPE tokens in GPT-2's
 * bytes-to-unicode form), or -1. */
int hs_hf_tokenizer_token_id(const hs_hf_tokenizer *tok, const char *token);

int hs_hf_tokenizer_vocab_size(const hs_hf_tokenizer *tok);
int hs_hf_tokenizer_pad_id(const hs_hf_tokenizer *tok);
int hs_hf_tokenizer_unk_id(const hs_hf_tokenizer *tok);
int hs_hf_tokenizer_cls_id(const hs_hf_tokenizer *tok);
int hs_hf_tokenizer_sep_id(const hs_hf_tokenizer *tok);
int hs_hf_tokenizer_type_vocab(const hs_hf_tokenizer *tok);
const hs_hf_tok_info *hs_hf_tokenizer_info(const hs_hf_tokenizer *tok);

void hs_hf_tokenizer_free(hs_hf_tokenizer *tok);

#endif
