/* fuzz_util.h — what the libFuzzer harnesses share (tests/fuzz/README.md).
 *
 * The loaders under test take paths, so each harness writes its input to a
 * scratch file (or folder) made once per process under $TMPDIR (or /tmp)
 * and removed at exit. Helpers are static: each harness is one translation
 * unit linked against the instrumented library. */
#ifndef HS_FUZZ_UTIL_H
#define HS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness must never see an error left pending by the previous input:
 * every loader reports through the one buffer, and the first message wins. */
static void fz_expect_clean(void)
{
    if (hs_error_message()[0]) {
        fprintf(stderr, "fuzz: an error message was left pending: %s\n", hs_error_message());
        abort();
    }
}

/* A failed call must leave a message; a successful one must not. */
static void fz_check_status(hs_status s, const char *what)
{
    if (s != HS_OK && !hs_error_message()[0]) {
        fprintf(stderr, "fuzz: %s failed (%s) without a message\n", what, hs_strerror(s));
        abort();
    }
    if (s == HS_OK && hs_error_message()[0]) {
        fprintf(stderr, "fuzz: %s succeeded but left a message: %s\n", what, hs_error_message());
        abort();
    }
    hs_error_clear();
}

static const char *fz_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Writes data to path (created or truncated); aborts on failure: a harness
 * that cannot write its input tests nothing. */
static void fz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Splits data at each occurrence of sep (nsep bytes) into at most max parts;
 * returns the number of parts found. */
static int fz_split(const uint8_t *data, size_t size, const char *sep, size_t nsep, const uint8_t **part,
                    size_t *len, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; k < max - 1 && i + nsep <= size; i++)
        if (!memcmp(data + i, sep, nsep)) {
            part[k] = data + start;
            len[k++] = i - start;
            start = i + nsep;
            i = start - 1;
        }
    part[k] = data + start;
    len[k++] = size - start;
    return k;
}

#endif
