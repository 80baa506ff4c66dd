/* sobol_seq.c -- stateless Sobol points with hash-based nested uniform scrambling.
 *
 * The unscrambled point is the XOR of the direction numbers selected by the Gray code of
 * the index (Antonov and Saleev, 1979): the same points as the plain binary index, but
 * in the order scipy and most libraries produce them, so the two can be compared.
 *
 * Scrambling follows Owen's definition literally rather than through the Laine-Karras
 * multiply-xor permutation of Burley (2020): that permutation makes the flip of a digit
 * depend on the digits above it only through a few multiplications, so its flips are
 * only approximately independent. Hashing each node of the binary digit tree on its own
 * costs 33 hash evaluations per coordinate instead of one -- still well under a
 * microsecond, nothing next to evaluating a trial -- and makes the flips independent up
 * to the quality of the 64-bit mixer. */
#include "samplers/sobol_seq.h"

/* Digits appended below the 32 scrambled ones: 32 + 21 = 53, a double's mantissa. */
#define SOBOL_LOW_BITS 21

/* Bijective 64-bit finalizer (the splitmix64 output function, Steele et al. 2014): every
 * input bit affects every output bit with probability close to 1/2. */
static uint64_t sobol_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One key per (seed, dim). The odd multiplier keeps (dim -> dim * c) injective, and the
 * mixer is a bijection, so for a fixed seed no two dimensions share a key. */
static uint64_t sobol_scramble_key(uint64_t seed, unsigned dim)
{
    return sobol_mix(sobol_mix(seed) ^ ((uint64_t)dim + 1) * 0x9e3779b97f4a7c15ULL);
}

/* 64 hash bits for the tree node reached after reading `depth` digits whose value is
 * `prefix` (< 2^depth). Marking the node with a leading 1 bit makes (depth, prefix)
 * pairs distinct integers, so distinct nodes hash distinct inputs. */
static uint64_t sobol_node_hash(uint64_t key, unsigned depth, uint64_t prefix)
{
    uint64_t node = ((uint64_t)1 << depth) | prefix;
    return sobol_mix(key ^ node * 0xd6e8feb86659fd93ULL);
}

static uint32_t sobol_unscrambled(uint32_t index, unsigned dim)
{
    const uint32_t *v = sobol_directions[dim];
    uint32_t gray = index ^ (index >> 1);
    uint32_t x = 0;
    for (unsigned k = 0; gray != 0; k++, gray >>= 1) {
        if (gray & 1u)
            x ^= v[k];
    }
    return x;
}

double sobol_coordinate(uint64_t index, unsigned dim, int scramble, uint64_t seed)
{
    if (dim >= SOBOL_MAX_DIMS || index > UINT32_MAX)
        return -1.0;
    uint32_t x = sobol_unscrambled((uint32_t)index, dim);
    if (!scramble)
        return (double)x * 0x1p-32;

    uint64_t key = sobol_scramble_key(seed, dim);
    uint32_t flips = 0;
    for (unsigned depth = 0; depth < SOBOL_BITS; depth++) {
        /* The digit at `depth` (from the most significant) is flipped according to the
         * node its unscrambled ancestors lead to; x >> 32 would be undefined, hence the
         * 64-bit shift. */
        uint64_t prefix = (uint64_t)x >> (SOBOL_BITS - depth);
        uint64_t bit = sobol_node_hash(key, depth, prefix) >> 63;
        flips |= (uint32_t)bit << (SOBOL_BITS - 1 - depth);
    }
    uint64_t high = (uint64_t)(x ^ flips);
    /* The unscrambled point has zeros below digit 32; scrambling them at the node of the
     * full 32-digit prefix gives independent uniform bits, so one hash serves them all. */
    uint64_t low = sobol_node_hash(key, SOBOL_BITS, x) >> (64 - SOBOL_LOW_BITS);
    return (double)((high << SOBOL_LOW_BITS) | low) * 0x1p-53;
}
