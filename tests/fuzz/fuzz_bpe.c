/* fuzz_bpe.c — the byte-level BPE tokenizer (src/pretrained/bpe.c) through
 * hs_hf_tokenizer_open on a folder holding the input's vocab.json and
 * merges.txt (vocab.json through the JSON reader, json.c), then encoding the
 * input's text (fuzz_tok_check.h). Input: vocab.json, "\n==merges==\n",
 * merges.txt, "\n==text==\n", the text (missing parts are empty; without a
 * text the merges are encoded). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_tok_check.h"

#define SEP1 "\n==merges==\n"
#define SEP2 "\n==text==\n"

static char dir[4096], vocab[4200], merges[4200];

static void cleanup(void)
{
    unlink(vocab);
    unlink(merges);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/hs-fuzz-bpe-XXXXXX", fz_tmpdir());
        if (!mkdtemp(dir)) abort();
        snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
        snprintf(merges, sizeof merges, "%s/merges.txt", dir);
        atexit(cleanup);
    }
    fz_expect_clean();
    const uint8_t *p1[2], *p2[2];
    size_t l1[2], l2[2];
    const int n1 = fz_split(data, size, SEP1, sizeof SEP1 - 1, p1, l1, 2);
    int n2 = 0;
    if (n1 == 2) n2 = fz_split(p1[1], l1[1], SEP2, sizeof SEP2 - 1, p2, l2, 2);
    fz_write_file(vocab, p1[0], l1[0]);
    fz_write_file(merges, n1 == 2 ? p2[0] : (const uint8_t *)"", n1 == 2 ? l2[0] : 0);
    hs_hf_tokenizer *tok = NULL;
    hs_status s = hs_hf_tokenizer_open(&tok, dir, NULL);
    fz_check_status(s, "hs_hf_tokenizer_open");
    if (s != HS_OK) return 0;
    if (n2 == 2) fz_tok_check(tok, (const char *)p2[1], l2[1]);
    else if (n1 == 2) fz_tok_check(tok, (const char *)p2[0], l2[0]);
    else fz_tok_check(tok, (const char *)p1[0], l1[0]);
    hs_hf_tokenizer_free(tok);
    return 0;
}
