/* rng.h -- the library's random number generator: xoshiro256** seeded by splitmix64.
 *
 * Every sampler owns its generators; nothing is global. Keyed generators make a
 * suggestion a pure function of (seed, trial number, parameter name), so parallel
 * workers sharing a seed reproduce a sequential run and never repeat each other. */
#ifndef HPS_RNG_H
#define HPS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hps_rng {
    uint64_t s[4];
} hps_rng;

uint64_t hps_splitmix64(uint64_t *state);
/* 64-bit hash of a byte string (FNV-1a followed by a splitmix finalizer). */
uint64_t hps_hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t hps_hash_string(const char *s, uint64_t seed);

void hps_rng_seed(hps_rng *rng, uint64_t seed);
/* Seeds from (seed, number, name): independent streams per trial and parameter. */
void hps_rng_seed_keyed(hps_rng *rng, uint64_t seed, int64_t number, const char *name);
uint64_t hps_rng_next(hps_rng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double hps_rng_uniform(hps_rng *rng);
/* Uniform integer in [0, bound) without modulo bias; bound > 0. */
uint64_t hps_rng_below(hps_rng *rng, uint64_t bound);
/* Standard normal deviate (Box-Muller; one of the pair is discarded for statelessness). */
double hps_rng_normal(hps_rng *rng);
/* A seed from the operating system (getrandom), falling back to time and pid. */
uint64_t hps_rng_os_seed(void);

#endif
