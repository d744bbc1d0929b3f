/* sha256.h — SHA-256 (FIPS 180-4), for the identity of a checkpoint's
 * weights in a results file's provenance (docs/results-format.md): the
 * digest sha256sum prints, and that the Hugging Face Hub lists for a file. */
#ifndef HS_PRETRAINED_SHA256_H
#define HS_PRETRAINED_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char buf[64];
    size_t nbuf;
} hs_sha256;

void hs_sha256_init(hs_sha256 *c);
void hs_sha256_update(hs_sha256 *c, const void *data, size_t n);
/* hex: 64 lowercase hex digits and a NUL */
void hs_sha256_final(hs_sha256 *c, char hex[65]);

#endif
