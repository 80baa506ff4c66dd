/* test_sobol.c -- the Sobol sequence against scipy, and the scrambled sequence's
 * invariants: range, determinism, seed sensitivity, stratification, uniformity and
 * low discrepancy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/sobol_seq.h"

struct ref_point {
    uint64_t index;
    unsigned dim;
    double value;
};

/* Reference values from scipy 1.10.1 (Debian), printed with %.17g:
 *   ref_first = qmc.Sobol(10, scramble=False).random(64)
 *   ref_far: for n in (1, 2, 3, 7, 63, 100, 1000, 65535, 1000003):
 *                s = qmc.Sobol(1024, scramble=False, bits=32); s.fast_forward(n)
 *                s.random(1)[0][d] for d in (98, 99, 500, 999, 1023)
 *            for n in (2**31 + 5, 2**32 - 1), where fast_forward would take hours:
 *                XOR of qmc.Sobol(1024, scramble=False, bits=32)._sv[d][k] over the set
 *                bits k of n ^ (n >> 1), divided by 2**32 -- scipy's own direction
 *                numbers in scipy's own Gray-code order. */

static const double ref_first[64][10] = {
    {0, 0, 0, 0, 0,
     0, 0, 0, 0, 0},
    {0.5, 0.5, 0.5, 0.5, 0.5,
     0.5, 0.5, 0.5, 0.5, 0.5},
    {0.75, 0.25, 0.25, 0.25, 0.75,
     0.75, 0.25, 0.75, 0.75, 0.75},
    {0.25, 0.75, 0.75, 0.75, 0.25,
     0.25, 0.75, 0.25, 0.25, 0.25},
    {0.375, 0.375, 0.625, 0.875, 0.375,
     0.125, 0.375, 0.875, 0.875, 0.625},
    {0.875, 0.875, 0.125, 0.375, 0.875,
     0.625, 0.875, 0.375, 0.375, 0.125},
    {0.625, 0.125, 0.875, 0.625, 0.625,
     0.875, 0.125, 0.125, 0.125, 0.375},
    {0.125, 0.625, 0.375, 0.125, 0.125,
     0.375, 0.625, 0.625, 0.625, 0.875},
    {0.1875, 0.3125, 0.9375, 0.4375, 0.5625,
     0.3125, 0.4375, 0.9375, 0.9375, 0.3125},
    {0.6875, 0.8125, 0.4375, 0.9375, 0.0625,
     0.8125, 0.9375, 0.4375, 0.4375, 0.8125},
    {0.9375, 0.0625, 0.6875, 0.1875, 0.3125,
     0.5625, 0.1875, 0.1875, 0.1875, 0.5625},
    {0.4375, 0.5625, 0.1875, 0.6875, 0.8125,
     0.0625, 0.6875, 0.6875, 0.6875, 0.0625},
    {0.3125, 0.1875, 0.3125, 0.5625, 0.9375,
     0.4375, 0.0625, 0.0625, 0.0625, 0.9375},
    {0.8125, 0.6875, 0.8125, 0.0625, 0.4375,
     0.9375, 0.5625, 0.5625, 0.5625, 0.4375},
    {0.5625, 0.4375, 0.0625, 0.8125, 0.1875,
     0.6875, 0.3125, 0.8125, 0.8125, 0.1875},
    {0.0625, 0.9375, 0.5625, 0.3125, 0.6875,
     0.1875, 0.8125, 0.3125, 0.3125, 0.6875},
    {0.09375, 0.46875, 0.46875, 0.65625, 0.28125,
     0.96875, 0.53125, 0.84375, 0.46875, 0.15625},
    {0.59375, 0.96875, 0.96875, 0.15625, 0.78125,
     0.46875, 0.03125, 0.34375, 0.96875, 0.65625},
    {0.84375, 0.21875, 0.21875, 0.90625, 0.53125,
     0.21875, 0.78125, 0.09375, 0.71875, 0.90625},
    {0.34375, 0.71875, 0.71875, 0.40625, 0.03125,
     0.71875, 0.28125, 0.59375, 0.21875, 0.40625},
    {0.46875, 0.09375, 0.84375, 0.28125, 0.15625,
     0.84375, 0.90625, 0.21875, 0.59375, 0.53125},
    {0.96875, 0.59375, 0.34375, 0.78125, 0.65625,
     0.34375, 0.40625, 0.71875, 0.09375, 0.03125},
    {0.71875, 0.34375, 0.59375, 0.03125, 0.90625,
     0.09375, 0.65625, 0.96875, 0.34375, 0.28125},
    {0.21875, 0.84375, 0.09375, 0.53125, 0.40625,
     0.59375, 0.15625, 0.46875, 0.84375, 0.78125},
    {0.15625, 0.15625, 0.53125, 0.84375, 0.84375,
     0.65625, 0.96875, 0.15625, 0.53125, 0.46875},
    {0.65625, 0.65625, 0.03125, 0.34375, 0.34375,
     0.15625, 0.46875, 0.65625, 0.03125, 0.96875},
    {0.90625, 0.40625, 0.78125, 0.59375, 0.09375,
     0.40625, 0.71875, 0.90625, 0.28125, 0.71875},
    {0.40625, 0.90625, 0.28125, 0.09375, 0.59375,
     0.90625, 0.21875, 0.40625, 0.78125, 0.21875},
    {0.28125, 0.28125, 0.15625, 0.21875, 0.71875,
     0.53125, 0.59375, 0.78125, 0.40625, 0.84375},
    {0.78125, 0.78125, 0.65625, 0.71875, 0.21875,
     0.03125, 0.09375, 0.28125, 0.90625, 0.34375},
    {0.53125, 0.03125, 0.40625, 0.46875, 0.46875,
     0.28125, 0.84375, 0.03125, 0.65625, 0.09375},
    {0.03125, 0.53125, 0.90625, 0.96875, 0.96875,
     0.78125, 0.34375, 0.53125, 0.15625, 0.59375},
    {0.046875, 0.265625, 0.703125, 0.546875, 0.140625,
     0.921875, 0.796875, 0.671875, 0.984375, 0.046875},
    {0.546875, 0.765625, 0.203125, 0.046875, 0.640625,
     0.421875, 0.296875, 0.171875, 0.484375, 0.546875},
    {0.796875, 0.015625, 0.953125, 0.796875, 0.890625,
     0.171875, 0.546875, 0.421875, 0.234375, 0.796875},
    {0.296875, 0.515625, 0.453125, 0.296875, 0.390625,
     0.671875, 0.046875, 0.921875, 0.734375, 0.296875},
    {0.421875, 0.140625, 0.078125, 0.421875, 0.265625,
     0.796875, 0.671875, 0.296875, 0.109375, 0.671875},
    {0.921875, 0.640625, 0.578125, 0.921875, 0.765625,
     0.296875, 0.171875, 0.796875, 0.609375, 0.171875},
    {0.671875, 0.390625, 0.328125, 0.171875, 0.515625,
     0.046875, 0.921875, 0.546875, 0.859375, 0.421875},
    {0.171875, 0.890625, 0.828125, 0.671875, 0.015625,
     0.546875, 0.421875, 0.046875, 0.359375, 0.921875},
    {0.234375, 0.078125, 0.265625, 0.984375, 0.703125,
     0.734375, 0.734375, 0.359375, 0.046875, 0.359375},
    {0.734375, 0.578125, 0.765625, 0.484375, 0.203125,
     0.234375, 0.234375, 0.859375, 0.546875, 0.859375},
    {0.984375, 0.328125, 0.015625, 0.734375, 0.453125,
     0.484375, 0.984375, 0.609375, 0.796875, 0.609375},
    {0.484375, 0.828125, 0.515625, 0.234375, 0.953125,
     0.984375, 0.484375, 0.109375, 0.296875, 0.109375},
    {0.359375, 0.453125, 0.890625, 0.109375, 0.828125,
     0.609375, 0.859375, 0.734375, 0.921875, 0.984375},
    {0.859375, 0.953125, 0.390625, 0.609375, 0.328125,
     0.109375, 0.359375, 0.234375, 0.421875, 0.484375},
    {0.609375, 0.203125, 0.640625, 0.359375, 0.078125,
     0.359375, 0.609375, 0.484375, 0.171875, 0.234375},
    {0.109375, 0.703125, 0.140625, 0.859375, 0.578125,
     0.859375, 0.109375, 0.984375, 0.671875, 0.734375},
    {0.078125, 0.234375, 0.796875, 0.140625, 0.421875,
     0.078125, 0.265625, 0.453125, 0.515625, 0.140625},
    {0.578125, 0.734375, 0.296875, 0.640625, 0.921875,
     0.578125, 0.765625, 0.953125, 0.015625, 0.640625},
    {0.828125, 0.484375, 0.546875, 0.390625, 0.671875,
     0.828125, 0.015625, 0.703125, 0.265625, 0.890625},
    {0.328125, 0.984375, 0.046875, 0.890625, 0.171875,
     0.328125, 0.515625, 0.203125, 0.765625, 0.390625},
    {0.453125, 0.359375, 0.421875, 0.765625, 0.046875,
     0.203125, 0.140625, 0.578125, 0.390625, 0.515625},
    {0.953125, 0.859375, 0.921875, 0.265625, 0.546875,
     0.703125, 0.640625, 0.078125, 0.890625, 0.015625},
    {0.703125, 0.109375, 0.171875, 0.515625, 0.796875,
     0.953125, 0.390625, 0.328125, 0.640625, 0.265625},
    {0.203125, 0.609375, 0.671875, 0.015625, 0.296875,
     0.453125, 0.890625, 0.828125, 0.140625, 0.765625},
    {0.140625, 0.421875, 0.234375, 0.328125, 0.984375,
     0.265625, 0.203125, 0.515625, 0.453125, 0.453125},
    {0.640625, 0.921875, 0.734375, 0.828125, 0.484375,
     0.765625, 0.703125, 0.015625, 0.953125, 0.953125},
    {0.890625, 0.171875, 0.484375, 0.078125, 0.234375,
     0.515625, 0.453125, 0.265625, 0.703125, 0.703125},
    {0.390625, 0.671875, 0.984375, 0.578125, 0.734375,
     0.015625, 0.953125, 0.765625, 0.203125, 0.203125},
    {0.265625, 0.046875, 0.609375, 0.703125, 0.609375,
     0.390625, 0.328125, 0.390625, 0.578125, 0.828125},
    {0.765625, 0.546875, 0.109375, 0.203125, 0.109375,
     0.890625, 0.828125, 0.890625, 0.078125, 0.328125},
    {0.515625, 0.296875, 0.859375, 0.953125, 0.359375,
     0.640625, 0.078125, 0.640625, 0.328125, 0.078125},
    {0.015625, 0.796875, 0.359375, 0.453125, 0.859375,
     0.140625, 0.578125, 0.140625, 0.828125, 0.578125},
};
static const struct ref_point ref_far[] = {
    {1u, 98, 0.5},
    {1u, 99, 0.5},
    {1u, 500, 0.5},
    {1u, 999, 0.5},
    {1u, 1023, 0.5},
    {2u, 98, 0.25},
    {2u, 99, 0.75},
    {2u, 500, 0.25},
    {2u, 999, 0.75},
    {2u, 1023, 0.75},
    {3u, 98, 0.75},
    {3u, 99, 0.25},
    {3u, 500, 0.75},
    {3u, 999, 0.25},
    {3u, 1023, 0.25},
    {7u, 98, 0.625},
    {7u, 99, 0.625},
    {7u, 500, 0.625},
    {7u, 999, 0.375},
    {7u, 1023, 0.625},
    {63u, 98, 0.671875},
    {63u, 99, 0.078125},
    {63u, 500, 0.640625},
    {63u, 999, 0.046875},
    {63u, 1023, 0.515625},
    {100u, 98, 0.8671875},
    {100u, 99, 0.8828125},
    {100u, 500, 0.1796875},
    {100u, 999, 0.9140625},
    {100u, 1023, 0.9453125},
    {1000u, 98, 0.8154296875},
    {1000u, 99, 0.1865234375},
    {1000u, 500, 0.7255859375},
    {1000u, 999, 0.2001953125},
    {1000u, 1023, 0.7138671875},
    {65535u, 98, 0.8650665283203125},
    {65535u, 99, 0.4727630615234375},
    {65535u, 500, 0.4683380126953125},
    {65535u, 999, 0.6488189697265625},
    {65535u, 1023, 0.4597015380859375},
    {1000003u, 98, 0.86418819427490234},
    {1000003u, 99, 0.049603462219238281},
    {1000003u, 500, 0.28149700164794922},
    {1000003u, 999, 0.039755821228027344},
    {1000003u, 1023, 0.048842430114746094},
    {2147483653u, 98, 0.18650908186100423},
    {2147483653u, 99, 0.97731153550557792},
    {2147483653u, 500, 0.22965122456662357},
    {2147483653u, 999, 0.79390099481679499},
    {2147483653u, 1023, 0.69144022162072361},
    {4294967295u, 98, 0.69319328595884144},
    {4294967295u, 99, 0.3465459041763097},
    {4294967295u, 500, 0.1741497612092644},
    {4294967295u, 999, 0.444544488331303},
    {4294967295u, 1023, 0.39498760108835995},
};

/* Exact comparison that prints both sides and the point on failure. */
#define CHECK_EXACT(got, want, index, dim)                                                \
    do {                                                                                  \
        double got_ = (got), want_ = (want);                                              \
        if (got_ != want_)                                                                \
            fail_msg("index %llu dim %u: got %.17g, want %.17g",                          \
                     (unsigned long long)(index), (unsigned)(dim), got_, want_);          \
    } while (0)

#define CHECK_IN_UNIT(x, index, dim, seed)                                                \
    do {                                                                                  \
        double x_ = (x);                                                                  \
        if (!(x_ >= 0.0 && x_ < 1.0))                                                     \
            fail_msg("index %llu dim %u seed %llu: %.17g outside [0, 1)",                 \
                     (unsigned long long)(index), (unsigned)(dim),                        \
                     (unsigned long long)(seed), x_);                                     \
    } while (0)

static void test_unscrambled_matches_scipy_first_points(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 64; i++)
        for (unsigned d = 0; d < 10; d++)
            CHECK_EXACT(sobol_coordinate(i, d, 0, 0), ref_first[i][d], i, d);
}

static void test_unscrambled_matches_scipy_far_points(void **state)
{
    (void)state;
    size_t n = sizeof ref_far / sizeof ref_far[0];
    assert_int_equal(n, 55);
    for (size_t i = 0; i < n; i++) {
        const struct ref_point *r = &ref_far[i];
        CHECK_EXACT(sobol_coordinate(r->index, r->dim, 0, 0), r->value, r->index, r->dim);
        /* The seed is ignored when not scrambling. */
        CHECK_EXACT(sobol_coordinate(r->index, r->dim, 0, 12345), r->value, r->index,
                    r->dim);
    }
}

/* The generator matrix of every dimension must be upper triangular with a unit diagonal
 * (m_k odd and < 2^k), or the 1-D projections would repeat points; dimension 0 must be
 * the van der Corput sequence. Checks all SOBOL_MAX_DIMS rows, not just the sampled
 * ones above. */
static void test_direction_table_structure(void **state)
{
    (void)state;
    for (unsigned k = 0; k < SOBOL_BITS; k++)
        assert_int_equal(sobol_directions[0][k], (uint32_t)1 << (SOBOL_BITS - 1 - k));
    for (unsigned d = 0; d < SOBOL_MAX_DIMS; d++) {
        for (unsigned k = 0; k < SOBOL_BITS; k++) {
            uint32_t v = sobol_directions[d][k];
            unsigned diag = SOBOL_BITS - 1 - k;
            uint32_t below = (diag == 0) ? 0 : (((uint32_t)1 << diag) - 1);
            if (((v >> diag) & 1u) != 1u || (v & below) != 0)
                fail_msg("dim %u k %u: direction number 0x%08x is malformed", d, k, v);
        }
    }
}

static void test_unscrambled_point_zero_and_net(void **state)
{
    (void)state;
    for (unsigned d = 0; d < SOBOL_MAX_DIMS; d++)
        CHECK_EXACT(sobol_coordinate(0, d, 0, 0), 0.0, 0, d);
    /* The unit diagonal makes the first 2^k points of every dimension hit each interval
     * of width 2^-k once; spot-check a few dimensions at k = 12. */
    static const unsigned dims[] = {0, 1, 2, 250, SOBOL_MAX_DIMS - 1};
    enum { K = 12, N = 1 << K };
    for (size_t j = 0; j < sizeof dims / sizeof dims[0]; j++) {
        unsigned char seen[N];
        memset(seen, 0, sizeof seen);
        for (unsigned i = 0; i < N; i++) {
            double x = sobol_coordinate(i, dims[j], 0, 0);
            unsigned cell = (unsigned)(x * N);
            assert_true(cell < N);
            assert_int_equal(seen[cell], 0);
            seen[cell] = 1;
        }
    }
}

static void test_scrambled_values_in_unit_interval(void **state)
{
    (void)state;
    static const unsigned dims[] = {0, 1, 2, 17, 500, SOBOL_MAX_DIMS - 1};
    static const uint64_t seeds[] = {0, 1, 42, 0x8000000000000000ULL, UINT64_MAX};
    static const uint64_t far[] = {65535, 65536, 0x7fffffffULL, 0x80000000ULL,
                                   0xfffffffeULL, 0xffffffffULL};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (size_t j = 0; j < sizeof dims / sizeof dims[0]; j++) {
            for (uint64_t i = 0; i < 4096; i++) {
                double x = sobol_coordinate(i, dims[j], 1, seeds[s]);
                CHECK_IN_UNIT(x, i, dims[j], seeds[s]);
                /* Exactly 0 has probability 2^-53 per point; seeing it means the
                 * low digits were not filled in. */
                assert_true(x != 0.0);
            }
            for (size_t f = 0; f < sizeof far / sizeof far[0]; f++) {
                double x = sobol_coordinate(far[f], dims[j], 1, seeds[s]);
                CHECK_IN_UNIT(x, far[f], dims[j], seeds[s]);
                assert_true(x != 0.0);
            }
        }
    }
}

/* The 21 digits below 2^-32 are filled in: a scrambled value that is a multiple of
 * 2^-32 has probability 2^-21, so none of these 8192 should be. */
static void test_scrambled_low_digits_filled(void **state)
{
    (void)state;
    unsigned on_grid = 0;
    for (uint64_t i = 0; i < 4096; i++) {
        for (unsigned d = 0; d < 2; d++) {
            double scaled = sobol_coordinate(i, d, 1, 7) * 0x1p32;
            on_grid += scaled == floor(scaled);
        }
    }
    assert_int_equal(on_grid, 0);
}

/* Nested, not merely a digital shift: with a digital shift (one XOR mask per dimension)
 * the top 32 digits of two scrambled points would XOR to the same value as the
 * unscrambled ones for every seed. Points 0 and 1 differ in the first digit, so under
 * Owen scrambling their lower digits are flipped independently and that equality has
 * probability 2^-31 per seed. */
static void test_scrambled_is_nested_not_a_shift(void **state)
{
    (void)state;
    for (unsigned d = 0; d < 4; d++) {
        uint32_t u0 = (uint32_t)(sobol_coordinate(0, d, 0, 0) * 0x1p32);
        uint32_t u1 = (uint32_t)(sobol_coordinate(1, d, 0, 0) * 0x1p32);
        unsigned shift_like = 0;
        for (uint64_t seed = 0; seed < 64; seed++) {
            uint32_t s0 = (uint32_t)(sobol_coordinate(0, d, 1, seed) * 0x1p32);
            uint32_t s1 = (uint32_t)(sobol_coordinate(1, d, 1, seed) * 0x1p32);
            /* The first digit is still opposite: the net property at k = 1. */
            assert_int_equal((s0 ^ s1) >> 31, 1);
            shift_like += (s0 ^ s1) == (u0 ^ u1);
        }
        assert_int_equal(shift_like, 0);
    }
}

/* Same seed, same value -- also when computed in another order and interleaved with
 * other seeds and dimensions, which shows there is no hidden state. */
static void test_scrambled_deterministic_in_any_order(void **state)
{
    (void)state;
    enum { N = 256, D = 8 };
    static double forward[N][D];
    for (unsigned i = 0; i < N; i++)
        for (unsigned d = 0; d < D; d++)
            forward[i][d] = sobol_coordinate(i, d, 1, 2024);
    for (unsigned r = 0; r < N * D; r++) {
        unsigned i = N - 1 - r / D, d = D - 1 - r % D;
        (void)sobol_coordinate(i + 7, d, 1, 99);
        (void)sobol_coordinate(i, d + 1, 1, 2024);
        CHECK_EXACT(sobol_coordinate(i, d, 1, 2024), forward[i][d], i, d);
    }
}

static void test_scrambled_different_seeds_differ(void **state)
{
    (void)state;
    /* Seeds that differ in one low bit, one high bit, or everything. */
    static const uint64_t seeds[] = {0, 1, 2, 0x8000000000000000ULL, UINT64_MAX, 12345};
    enum { NS = sizeof seeds / sizeof seeds[0], N = 256, D = 4 };
    for (size_t a = 0; a < NS; a++) {
        for (size_t b = a + 1; b < NS; b++) {
            for (unsigned i = 0; i < N; i++) {
                for (unsigned d = 0; d < D; d++) {
                    double xa = sobol_coordinate(i, d, 1, seeds[a]);
                    double xb = sobol_coordinate(i, d, 1, seeds[b]);
                    if (xa == xb)
                        fail_msg("seeds %llu and %llu agree at index %u dim %u: %.17g",
                                 (unsigned long long)seeds[a], (unsigned long long)seeds[b],
                                 i, d, xa);
                }
            }
        }
    }
    /* The scrambled sequence differs from the unscrambled one, too. */
    unsigned same = 0;
    for (unsigned i = 1; i < N; i++)
        same += sobol_coordinate(i, 0, 1, 0) == sobol_coordinate(i, 0, 0, 0);
    assert_int_equal(same, 0);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Each dimension has its own scramble. Point 0 is 0 in every unscrambled dimension, so
 * if two dimensions shared a key their scrambled point 0 would be the same number. */
static void test_scrambled_dimensions_keyed_separately(void **state)
{
    (void)state;
    static double first[SOBOL_MAX_DIMS];
    static const uint64_t seeds[] = {0, 5, UINT64_MAX};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (unsigned d = 0; d < SOBOL_MAX_DIMS; d++)
            first[d] = sobol_coordinate(0, d, 1, seeds[s]);
        qsort(first, SOBOL_MAX_DIMS, sizeof first[0], compare_doubles);
        for (unsigned d = 1; d < SOBOL_MAX_DIMS; d++) {
            if (first[d] == first[d - 1])
                fail_msg("seed %llu: two dimensions scramble point 0 to %.17g",
                         (unsigned long long)seeds[s], first[d]);
        }
    }
}

/* Owen scrambling keeps the (0,k,1)-net property: the first 2^k points of any single
 * coordinate fall one into each interval [j/2^k, (j+1)/2^k). */
static void test_scrambled_1d_stratification(void **state)
{
    (void)state;
    static const unsigned dims[] = {0, 1, 5, 98, SOBOL_MAX_DIMS - 1};
    static const uint64_t seeds[] = {0, 1, 0xdeadbeefULL, UINT64_MAX};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (size_t j = 0; j < sizeof dims / sizeof dims[0]; j++) {
            for (unsigned k = 0; k <= 10; k++) {
                unsigned n = 1u << k;
                unsigned char seen[1u << 10];
                memset(seen, 0, sizeof seen);
                for (unsigned i = 0; i < n; i++) {
                    double x = sobol_coordinate(i, dims[j], 1, seeds[s]);
                    unsigned cell = (unsigned)(x * n);
                    assert_true(cell < n);
                    if (seen[cell])
                        fail_msg("seed %llu dim %u k %u: two points in cell %u",
                                 (unsigned long long)seeds[s], dims[j], k, cell);
                    seen[cell] = 1;
                }
            }
        }
    }
}

/* Dimensions 0 and 1 form a (0,2)-sequence, so the first 2^m points put exactly one
 * point in every elementary box of area 2^-m; a nested scramble keyed per dimension
 * must keep that, which a careless scramble (say, a Cranley-Patterson rotation
 * x + u mod 1) would not. */
static void test_scrambled_2d_net(void **state)
{
    (void)state;
    enum { M = 8, N = 1 << M };
    static const uint64_t seeds[] = {3, 77, 0xfeedfaceULL};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (int scramble = 0; scramble <= 1; scramble++) {
            double x[N], y[N];
            for (unsigned i = 0; i < N; i++) {
                x[i] = sobol_coordinate(i, 0, scramble, seeds[s]);
                y[i] = sobol_coordinate(i, 1, scramble, seeds[s]);
            }
            for (unsigned a = 0; a <= M; a++) {
                unsigned nx = 1u << a, ny = 1u << (M - a);
                unsigned char seen[N];
                memset(seen, 0, sizeof seen);
                for (unsigned i = 0; i < N; i++) {
                    unsigned cell = (unsigned)(x[i] * nx) * ny + (unsigned)(y[i] * ny);
                    assert_true(cell < N);
                    if (seen[cell])
                        fail_msg("scramble %d seed %llu: two points in box %u of %ux%u",
                                 scramble, (unsigned long long)seeds[s], cell, nx, ny);
                    seen[cell] = 1;
                }
            }
        }
    }
}

/* Over random seeds, a scrambled point is uniform on [0, 1): chi-square over 16 bins
 * for 4096 seeds. The critical value 37.7 is the 0.999 quantile for 15 degrees of
 * freedom; the seeds are fixed, so this is deterministic. */
static void test_scrambled_point_uniform_over_seeds(void **state)
{
    (void)state;
    static const struct {
        uint64_t index;
        unsigned dim;
    } probes[] = {{0, 0}, {0, 3}, {1, 1}, {5, 7}, {1000, 999}};
    enum { SEEDS = 4096, BINS = 16 };
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
        unsigned count[BINS] = {0};
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            double x = sobol_coordinate(probes[p].index, probes[p].dim, 1, seed);
            count[(unsigned)(x * BINS)]++;
        }
        double expected = (double)SEEDS / BINS, chi2 = 0.0;
        for (unsigned b = 0; b < BINS; b++)
            chi2 += (count[b] - expected) * (count[b] - expected) / expected;
        if (!(chi2 < 37.7))
            fail_msg("index %llu dim %u: chi-square %.2f over seeds",
                     (unsigned long long)probes[p].index, probes[p].dim, chi2);
    }
}

/* L2-star discrepancy by Warnock's formula, for n points of dimension d stored row by
 * row in x:
 *   D^2 = 3^-d - 2^(1-d)/n sum_i prod_k (1 - x_ik^2) + 1/n^2 sum_ij prod_k (1 - max). */
static double l2_star_discrepancy(const double *x, unsigned n, unsigned d)
{
    double single = 0.0, pair = 0.0;
    for (unsigned i = 0; i < n; i++) {
        double p = 1.0;
        for (unsigned k = 0; k < d; k++)
            p *= 1.0 - x[i * d + k] * x[i * d + k];
        single += p;
        for (unsigned j = 0; j < n; j++) {
            double q = 1.0;
            for (unsigned k = 0; k < d; k++)
                q *= 1.0 - fmax(x[i * d + k], x[j * d + k]);
            pair += q;
        }
    }
    double d2 = pow(3.0, -(double)d) - pow(2.0, 1.0 - d) / n * single + pair / ((double)n * n);
    return sqrt(d2);
}

/* The formula itself: n midpoints in 1-D have D = 1 / (sqrt(12) n). */
static void test_discrepancy_formula(void **state)
{
    (void)state;
    double mid[8];
    for (unsigned i = 0; i < 8; i++)
        mid[i] = (i + 0.5) / 8;
    double got = l2_star_discrepancy(mid, 8, 1), want = 1.0 / (sqrt(12.0) * 8);
    if (fabs(got - want) > 1e-12)
        fail_msg("midpoint discrepancy %.17g, want %.17g", got, want);
}

static uint64_t test_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_discrepancy_beats_prng(void **state)
{
    (void)state;
    enum { N = 256, D = 5 };
    static const uint64_t seeds[] = {1, 2, 3, 42, 1234, 99991, 0xdeadbeefULL, UINT64_MAX};
    static double sob[N * D], rnd[N * D];
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        uint64_t prng = seeds[s];
        for (unsigned i = 0; i < N; i++) {
            for (unsigned k = 0; k < D; k++) {
                sob[i * D + k] = sobol_coordinate(i, k, 1, seeds[s]);
                rnd[i * D + k] = (double)(test_splitmix64(&prng) >> 11) * 0x1p-53;
            }
        }
        double ds = l2_star_discrepancy(sob, N, D), dr = l2_star_discrepancy(rnd, N, D);
        print_message("L2-star discrepancy, %d points in %d dims, seed %llu: "
                      "scrambled Sobol %.6f, splitmix64 %.6f\n",
                      N, D, (unsigned long long)seeds[s], ds, dr);
        if (!(ds < dr))
            fail_msg("seed %llu: Sobol %.17g not below PRNG %.17g",
                     (unsigned long long)seeds[s], ds, dr);
    }
}

static void test_out_of_range(void **state)
{
    (void)state;
    for (int scramble = 0; scramble <= 1; scramble++) {
        assert_true(sobol_coordinate(0, SOBOL_MAX_DIMS, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(5, SOBOL_MAX_DIMS + 1, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(5, UINT_MAX, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(0x100000000ULL, 0, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(0x100000001ULL, 3, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(UINT64_MAX, 0, scramble, 1) == -1.0);
        assert_true(sobol_coordinate(UINT64_MAX, UINT_MAX, scramble, 1) == -1.0);
        /* The last valid index and dimension are accepted. */
        double x = sobol_coordinate(0xffffffffULL, SOBOL_MAX_DIMS - 1, scramble, 1);
        CHECK_IN_UNIT(x, 0xffffffffULL, SOBOL_MAX_DIMS - 1, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unscrambled_matches_scipy_first_points),
        cmocka_unit_test(test_unscrambled_matches_scipy_far_points),
        cmocka_unit_test(test_direction_table_structure),
        cmocka_unit_test(test_unscrambled_point_zero_and_net),
        cmocka_unit_test(test_scrambled_values_in_unit_interval),
        cmocka_unit_test(test_scrambled_low_digits_filled),
        cmocka_unit_test(test_scrambled_is_nested_not_a_shift),
        cmocka_unit_test(test_scrambled_deterministic_in_any_order),
        cmocka_unit_test(test_scrambled_different_seeds_differ),
        cmocka_unit_test(test_scrambled_dimensions_keyed_separately),
        cmocka_unit_test(test_scrambled_1d_stratification),
        cmocka_unit_test(test_scrambled_2d_net),
        cmocka_unit_test(test_scrambled_point_uniform_over_seeds),
        cmocka_unit_test(test_discrepancy_formula),
        cmocka_unit_test(test_discrepancy_beats_prng),
        cmocka_unit_test(test_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
