/* fuzz_wordpiece.c — the WordPiece tokenizer (src/pretrained/wordpiece.c)
 * through hs_hf_tokenizer_open on a folder holding the input's vocab.txt
 * (and a tokenizer_config.json chosen by the settings byte), then encoding
 * the input's text (fuzz_tok_check.h). Input: one settings byte (bit 0
 * do_lower_case, bits 1-2 strip_accents true/false/null, bit 3
 * tokenize_chinese_chars), vocab.txt, "\n==text==\n", the text. Without a
 * separator the text is the vocabulary itself. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_tok_check.h"

#define SEP "\n==text==\n"

static char dir[4096], vocab[4200], cfg[4200];

static void cleanup(void)
{
    unlink(vocab);
    unlink(cfg);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/hs-fuzz-wp-XXXXXX", fz_tmpdir());
        if (!mkdtemp(dir)) abort();
        snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
        snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", dir);
        atexit(cleanup);
    }
    if (size < 1) return 0;
    fz_expect_clean();
    const uint8_t opt = data[0];
    const uint8_t *part[2];
    size_t len[2];
    const int n = fz_split(data + 1, size - 1, SEP, sizeof SEP - 1, part, len, 2);
    fz_write_file(vocab, part[0], len[0]);
    static const char *strip[4] = {"true", "false", "null", "null"};
    char c[200];
    int k = snprintf(c, sizeof c, "{\"do_lower_case\": %s, \"strip_accents\": %s, \"tokenize_chinese_chars\": %s}",
                     opt & 1 ? "true" : "false", strip[(opt >> 1) & 3], opt & 8 ? "true" : "false");
    fz_write_file(cfg, (const uint8_t *)c, (size_t)k);
    hs_hf_tokenizer *tok = NULL;
    hs_status s = hs_hf_tokenizer_open(&tok, dir, NULL);
    fz_check_status(s, "hs_hf_tokenizer_open");
    if (s != HS_OK) return 0;
    const uint8_t *t = n == 2 ? part[1] : part[0];
    fz_tok_check(tok, (const char *)t, n == 2 ? len[1] : len[0]);
    hs_hf_tokenizer_free(tok);
    return 0;
}
