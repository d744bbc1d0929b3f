/* test_text.c — the shared UTF-8 validator, mkdir -p and growable string
 * buffer (src/core/text.c), which error messages, tables, plots, the runner,
 * the sweep's canonical text and submit use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/core/alloc.h"
#include "../src/core/error.h"
#include "../src/core/text.h"
#include "tap.h"

static void utf8(void)
{
    static const struct {
        const char *s;
        int want;
        const char *what;
    } cases[] = {
        {"a", 1, "ASCII"},
        {"\xc3\xa9", 2, "e-acute (2 bytes)"},
        {"\xe2\x82\xac", 3, "euro sign (3 bytes)"},
        {"\xf0\x9f\x98\x80", 4, "emoji (4 bytes)"},
        {"\xc0\x80", 0, "overlong 2-byte NUL"},
        {"\xe0\x80\x80", 0, "overlong 3-byte"},
        {"\xf0\x80\x80\x80", 0, "overlong 4-byte"},
        {"\xed\xa0\x80", 0, "a surrogate"},
        {"\xf4\x90\x80\x80", 0, "past U+10FFFF"},
        {"\xc3", 0, "cut short by the end of the string"},
        {"\x80", 0, "a lone continuation byte"},
        {"\xff", 0, "0xFF"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int n = hs_utf8_len((const unsigned char *)cases[i].s);
        tap_ok(n == cases[i].want, "utf8: %s -> %d (want %d)", cases[i].what, n, cases[i].want);
    }
    /* error messages go through it: invalid bytes and control characters become '?' */
    hs_error_set(HS_ERR_INPUT, "x\xed\xa0\x80y\tz\xc3\xa9");
    tap_ok(!strcmp(hs_error_message(), "x???y?z\xc3\xa9"), "an error message with a surrogate and a tab: %s",
           hs_error_message());
    hs_error_clear();
}

static void mkdir_p(void)
{
    char base[] = "/tmp/test_text.XXXXXX";
    if (!tap_ok(mkdtemp(base) != NULL, "a scratch folder")) return;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/a/b//c", base);
    struct stat st;
    tap_ok(hs_mkdir_p(dir) == 0 && stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "mkdir -p makes %s", dir);
    tap_ok(hs_mkdir_p(dir) == 0, "and again: it exists, fine");
    char file[256];
    snprintf(file, sizeof file, "%s/f", base);
    FILE *f = fopen(file, "w");
    if (f) fclose(f);
    snprintf(dir, sizeof dir, "%s/f/sub/x", base);
    char want[256];
    snprintf(want, sizeof want, "%s/f/sub", base);
    const int r = hs_mkdir_p(dir);
    tap_ok(r == -1 && errno == ENOTDIR && !strcmp(dir, want), "under a file: -1, ENOTDIR, cut at %s", dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0) tap_ok(0, "cleanup");
}

/* The growable string buffer: exact text across several doublings, and an
 * allocation failure (the fault-injection hook) keeps the text so far, makes
 * later appends no-ops and names the buffer. */
static void strbuf(void)
{
    hs_strbuf b = {.what = "test text"};
    char *want = malloc(20001);
    size_t n = 0;
    for (int i = 0; n < 20000 - 16; i++) {
        hs_strbuf_printf(&b, "%d,", i);
        n += (size_t)sprintf(want + n, "%d,", i);
    }
    tap_ok(b.st == HS_OK && b.len == n && !strcmp(b.s, want) && b.cap == 32768,
           "strbuf: %zu bytes appended exactly, capacity 4096 doubled to %zu", b.len, b.cap);
    hs_strbuf_free(&b);
    tap_ok(b.s == NULL && b.len == 0 && b.cap == 0, "strbuf: free empties it");

    hs_strbuf_printf(&b, "%s", "kept");
    hs_alloc_fail_after(1);
    hs_strbuf_printf(&b, "%5000s", "x"); /* needs a larger buffer: that allocation fails */
    hs_alloc_fail_after(0);
    hs_strbuf_printf(&b, "more");
    tap_ok(b.st == HS_ERR_NOMEM && !strcmp(b.s, "kept") && b.len == 4 && strstr(hs_error_message(), "test text"),
           "strbuf: a failed allocation keeps \"%s\", stops appending, names the buffer: %s", b.s,
           hs_error_message());
    hs_error_clear();
    hs_strbuf_free(&b);
    free(want);
}

int main(void)
{
    utf8();
    mkdir_p();
    strbuf();
    return tap_done();
}
