/* rng.c — xoshiro256** seeded by splitmix64; keys by FNV-1a + a 64-bit mixer.
 * Algorithms from the public descriptions by Vigna (xoshiro, splitmix64). */
#include "rng.h"

#include <math.h>
#include <string.h>

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t hs_key_u64(uint64_t key, uint64_t v)
{
    return mix64(key ^ mix64(v + 0x9e3779b97f4a7c15ULL));
}

uint64_t hs_key_str(uint64_t key, const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return hs_key_u64(key, h ^ 0x5374724b6579ULL); /* tag: strings differ from ints */
}

uint64_t hs_key_f64(uint64_t key, double v)
{
    uint64_t bits;
    if (v == 0.0) v = 0.0; /* -0.0 and 0.0 are the same ratio */
    memcpy(&bits, &v, sizeof bits);
    return hs_key_u64(key, bits);
}

void hs_rng_seed(hs_rng *r, uint64_t key)
{
    uint64_t x = key;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(x);
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t hs_rng_u64(hs_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double hs_rng_uniform(hs_rng *r) { return (double)(hs_rng_u64(r) >> 11) * 0x1.0p-53; }

uint32_t hs_rng_below(hs_rng *r, uint32_t n)
{
    /* rejection on the top of the range keeps it unbiased */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = hs_rng_u64(r);
    while (x >= limit);
    return (uint32_t)(x % n);
}

double hs_rng_normal(hs_rng *r)
{
    double u1 = hs_rng_uniform(r), u2 = hs_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
