/* fuzz_tok_check.h — what fuzz_wordpiece.c and fuzz_bpe.c check of every
 * tokenizer they manage to open: encode the text alone and as a pair (split
 * at its first tab) at several max_len; ids inside the vocabulary, types
 * inside type_vocab, at most max_len, the family's special tokens in place,
 * and a shorter max_len never changes what a longer one kept of a single
 * text's head. */
#ifndef HS_FUZZ_TOK_CHECK_H
#define HS_FUZZ_TOK_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "../../src/pretrained/hf_tokenizer.h"
#include "fuzz_util.h"

static void fz_tok_check(const hs_hf_tokenizer *tok, const char *text, size_t n)
{
    const hs_hf_tok_info *in = hs_hf_tokenizer_info(tok);
    static const int lens[] = {1, 2, 3, 4, 7, 64, 4200};
    static int ids[4200], types[4200], full[4200];
    const char *tab = memchr(text, '\t', n);
    int kfull = -1;
    for (int pair = 0; pair < 2; pair++)
        for (int li = (int)(sizeof lens / sizeof *lens) - 1; li >= 0; li--) {
            const int L = lens[li];
            const char *b = pair ? (tab ? tab + 1 : "") : NULL;
            const size_t na = pair && tab ? (size_t)(tab - text) : n, nb = pair && tab ? n - na - 1 : 0;
            int k = hs_hf_tokenizer_encode(tok, text, na, b, nb, ids, types, L);
            const int added = in->family == HS_TOKFAM_BERT ? 2 + pair : in->family == HS_TOKFAM_ROBERTA ? 2 + 2 * pair : 0;
            if (k < 0) {
                if (L >= added && L >= 1 && !strstr(hs_error_message(), "allocat")) {
                    fprintf(stderr, "fuzz: encode failed at max_len %d: %s\n", L, hs_error_message());
                    abort();
                }
                fz_check_status(HS_ERR_INPUT, "encode");
                continue;
            }
            fz_expect_clean();
            if (k > L || k < added) abort();
            for (int i = 0; i < k; i++)
                if (ids[i] < 0 || ids[i] >= in->vocab_size || types[i] < 0 || types[i] >= in->type_vocab) abort();
            if (added && (ids[0] != in->cls_id || ids[k - 1] != in->sep_id)) abort();
            if (!pair) {
                if (kfull < 0) {
                    kfull = k;
                    memcpy(full, ids, (size_t)k * sizeof *ids);
                } else if (added) { /* [CLS] head [SEP]: the head is a prefix of the full one */
                    if (memcmp(full, ids, (size_t)(k - 1) * sizeof *ids)) abort();
                } else if (memcmp(full, ids, (size_t)k * sizeof *ids))
                    abort();
            }
        }
}

#endif
