/* rng.h — seeded random streams derived from named inputs.
 *
 * Every stream in headsweep is keyed by a hash of what it is for, e.g.
 * (sweep seed, task, method, ratio, seed, "init"), never by rank, time or
 * execution order, so results are identical on any number of ranks. Keys are
 * built with hs_key_*; a generator (xoshiro256**) is seeded from a key. */
#ifndef HS_CORE_RNG_H
#define HS_CORE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} hs_rng;

/* Key builders: start from a number, fold in strings / integers / doubles. */
uint64_t hs_key_u64(uint64_t key, uint64_t v);
uint64_t hs_key_str(uint64_t key, const char *s);
uint64_t hs_key_f64(uint64_t key, double v);

/* Seeds r from a key (splitmix64 expansion). */
void hs_rng_seed(hs_rng *r, uint64_t key);

uint64_t hs_rng_u64(hs_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double hs_rng_uniform(hs_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint32_t hs_rng_below(hs_rng *r, uint32_t n);
/* Standard normal (Box–Muller, one value per call, deterministic). */
double hs_rng_normal(hs_rng *r);

#endif
