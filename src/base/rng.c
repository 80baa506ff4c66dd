/* rng.c -- xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64. */
#include "base/rng.h"

#include <math.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint64_t hps_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t hps_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    /* FNV alone mixes the last bytes poorly; one splitmix round fixes that. */
    return hps_splitmix64(&h);
}

uint64_t hps_hash_string(const char *s, uint64_t seed)
{
    return hps_hash_bytes(s, strlen(s), seed);
}

void hps_rng_seed(hps_rng *rng, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = hps_splitmix64(&sm);
}

void hps_rng_seed_keyed(hps_rng *rng, uint64_t seed, int64_t number, const char *name)
{
    uint64_t key = seed;
    uint64_t mixed = hps_splitmix64(&key) ^ ((uint64_t)number * 0xd1342543de82ef95ULL);
    mixed = hps_hash_string(name != NULL ? name : "", mixed);
    hps_rng_seed(rng, mixed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t hps_rng_next(hps_rng *rng)
{
    uint64_t *s = rng->s;
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

double hps_rng_uniform(hps_rng *rng)
{
    return (double)(hps_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t hps_rng_below(hps_rng *rng, uint64_t bound)
{
    /* Lemire's method would need 128-bit multiplies; rejection on the top is simple
     * and exact. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
        x = hps_rng_next(rng);
    } while (x >= limit);
    return x % bound;
}

double hps_rng_normal(hps_rng *rng)
{
    double u1 = hps_rng_uniform(rng);
    double u2 = hps_rng_uniform(rng);
    /* 1 - u1 lies in (0, 1], so the logarithm is finite. */
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

uint64_t hps_rng_os_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t mix = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    return hps_splitmix64(&mix);
}
