/* test_hypervolume.c -- the hypervolume, contributions, improvement and reference point
 * of src/base/hypervolume.c.
 *
 * Brute force here is exact, not Monte Carlo: the grid of every point's coordinates (and
 * the reference point's) cuts space into cells, each wholly inside or outside every box,
 * so the hypervolume is the sum of the dominated cells' volumes and a point's
 * contribution the sum of the cells it alone dominates -- all positive terms, summed in
 * long double. On integer coordinates every figure is an integer, and the module must
 * agree exactly; on random real fronts of 2 to 5 objectives, to 1e-12 relative. Then the
 * same fronts through Optuna 3.1's own WFG and MOTPE weights (tests/unit/optuna_pareto.py),
 * which also checks the reference point rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hypervolume.h"
#include "base/mem.h"
#include "base/rng.h"

#define MAX_N 240
#define MAX_M 6

/* ---- exact brute force over the grid of coordinates ------------------------------------- */

typedef struct brute {
    long double volume;
    long double exclusive[MAX_N]; /* per point: the cells it alone dominates */
} brute;

static int brute_counts(const double *p, const double *ref, size_t m)
{
    for (size_t j = 0; j < m; j++) {
        if (!(p[j] < ref[j]))
            return 0;
    }
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* skip: a point left out (SIZE_MAX: none) */
static void brute_force(const double *pts, size_t n, size_t m, const double *ref, size_t skip,
                        brute *out)
{
    static double axis[MAX_M][MAX_N + 1];
    size_t len[MAX_M], cell[MAX_M] = {0};
    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < m; j++) {
        len[j] = 0;
        for (size_t i = 0; i < n; i++) {
            if (i != skip && brute_counts(pts + i * m, ref, m))
                axis[j][len[j]++] = pts[i * m + j];
        }
        axis[j][len[j]++] = ref[j];
        qsort(axis[j], len[j], sizeof(double), cmp_double);
    }
    for (;;) {
        long double volume = 1.0L;
        for (size_t j = 0; j < m; j++)
            volume *= (long double)axis[j][cell[j] + 1] - axis[j][cell[j]];
        size_t owners = 0, owner = 0;
        for (size_t i = 0; i < n && volume > 0; i++) {
            if (i == skip || !brute_counts(pts + i * m, ref, m))
                continue;
            int covers = 1;
            for (size_t j = 0; j < m && covers; j++)
                covers = pts[i * m + j] <= axis[j][cell[j]];
            if (covers) {
                owners++;
                owner = i;
            }
        }
        if (owners > 0)
            out->volume += volume;
        if (owners == 1)
            out->exclusive[owner] += volume;
        size_t j = 0; /* the next cell, odometer-wise */
        while (j < m && ++cell[j] + 1 >= len[j])
            cell[j++] = 0;
        if (j == m)
            break;
    }
}

static double hv(const double *pts, size_t n, size_t m, const double *ref)
{
    double v = -1;
    ASSERT_OK(hps_hypervolume(pts, n, m, ref, &v));
    return v;
}

static void assert_close(double got, long double want, double tolerance, const char *what,
                         size_t index)
{
    if (fabsl((long double)got - want) > tolerance)
        fail_msg("%s %zu: %.17g, exact %.17Lg (tolerance %.3g)", what, index, got, want, tolerance);
}

/* ---- hand-worked sets ----------------------------------------------------------------- */

static void test_hand_worked(void **state)
{
    (void)state;
    /* a staircase of three unit steps under (4, 4): 3 + 2 + 1, each owning a unit square */
    const double stairs[] = {1, 3, 2, 2, 3, 1}, ref4[] = {4, 4, 4};
    assert_true(hv(stairs, 3, 2, ref4) == 6.0);
    double c[8];
    ASSERT_OK(hps_hypervolume_contributions(stairs, 3, 2, ref4, c));
    assert_true(c[0] == 1.0 && c[1] == 1.0 && c[2] == 1.0);

    /* the m unit vectors under (2, ..., 2): 2^m - 1, and each owns a unit cube */
    for (size_t m = 1; m <= MAX_M; m++) {
        double pts[MAX_M * MAX_M] = {0}, ref[MAX_M];
        for (size_t i = 0; i < m; i++) {
            pts[i * m + i] = 1.0;
            ref[i] = 2.0;
        }
        assert_true(hv(pts, m, m, ref) == ldexp(1.0, (int)m) - 1.0);
        ASSERT_OK(hps_hypervolume_contributions(pts, m, m, ref, c));
        for (size_t i = 0; i < m; i++) {
            if (c[i] != 1.0)
                fail_msg("m=%zu: contribution %zu is %g", m, i, c[i]);
        }
    }

    /* a duplicate owns nothing; nor does a weakly dominated point, which still bounds */
    const double dup[] = {1, 1, 1, 1}, weak[] = {1, 2, 2, 2}, ref3[] = {3, 3, 3};
    assert_true(hv(dup, 2, 2, ref3) == 4.0);
    ASSERT_OK(hps_hypervolume_contributions(dup, 2, 2, ref3, c));
    assert_true(c[0] == 0.0 && c[1] == 0.0);
    assert_true(hv(weak, 2, 2, ref3) == 2.0);
    ASSERT_OK(hps_hypervolume_contributions(weak, 2, 2, ref3, c));
    assert_true(c[0] == 1.0 && c[1] == 0.0);
    const double dup3[] = {1, 1, 1, 1, 1, 1, 0, 2, 2};
    ASSERT_OK(hps_hypervolume_contributions(dup3, 3, 3, ref3, c));
    /* (0,2,2)'s box, 3, less the 2 that (1,1,1) covers of it */
    assert_true(c[0] == 0.0 && c[1] == 0.0 && c[2] == 1.0);

    /* one objective: the longest box; the best point owns up to the second best */
    const double line[] = {3, 1, 2}, line_dup[] = {3, 1, 1, 2}, ref5[] = {5};
    assert_true(hv(line, 3, 1, ref5) == 4.0);
    ASSERT_OK(hps_hypervolume_contributions(line, 3, 1, ref5, c));
    assert_true(c[0] == 0.0 && c[1] == 1.0 && c[2] == 0.0);
    ASSERT_OK(hps_hypervolume_contributions(line_dup, 4, 1, ref5, c));
    assert_true(c[0] == 0.0 && c[1] == 0.0 && c[2] == 0.0 && c[3] == 0.0);
}

static void test_ignored_points_and_infinities(void **state)
{
    (void)state;
    /* on the reference's boundary, past it, NaN, +inf: ignored, contributing 0 */
    const double pts[] = {1, 1, 3, 0, 0, 4, NAN, 0, 0, INFINITY, 2, 2};
    const double ref[] = {3, 3};
    assert_true(hv(pts, 6, 2, ref) == 4.0);
    double c[6];
    ASSERT_OK(hps_hypervolume_contributions(pts, 6, 2, ref, c));
    const double expected[] = {3.0, 0, 0, 0, 0, 0}; /* (2,2) lies in (1,1)'s box */
    for (size_t i = 0; i < 6; i++)
        assert_true(c[i] == expected[i]);
    assert_true(hv(pts + 2, 4, 2, ref) == 0.0);
    assert_true(hv(NULL, 0, 2, ref) == 0.0);

    /* -inf: an unbounded box; the volume is +inf, contributions undefined */
    const double unbounded[] = {-INFINITY, 1, 1, 1};
    assert_true(hv(unbounded, 2, 2, ref) == INFINITY);
    assert_int_equal(hps_hypervolume_contributions(unbounded, 2, 2, ref, c), HPS_ERR_INVALID);
    double out;
    assert_int_equal(hps_hypervolume_improvement(unbounded, 2, 2, pts, ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_improvement(pts, 1, 2, unbounded, ref, &out), HPS_ERR_INVALID);
    /* -inf outside the reference box is ignored like any such point */
    const double outside[] = {-INFINITY, 5, 1, 1};
    assert_true(hv(outside, 2, 2, ref) == 4.0);

    /* overflowing volumes are +inf, never NaN */
    const double huge[] = {-1e300, -1e300, -1e300, -1e300, -1e300, -1e300, -1e300, -1e300};
    const double big_ref[] = {1e300, 1e300, 1e300, 1e300};
    assert_true(hv(huge, 2, 4, big_ref) == INFINITY);
}

/* ---- random fronts -------------------------------------------------------------------- */

/* n points of m objectives: most on a front (the simplex or the sphere through the unit
 * vectors), some behind it, some duplicated, some just behind another point (so that one
 * point alone dominates them), some outside ref = 1.2 (integer: 10 times all that, floored) */
static void random_front(hps_rng *rng, size_t n, size_t m, double *pts, int integer)
{
    int sphere = hps_rng_below(rng, 2) == 0;
    for (size_t i = 0; i < n; i++) {
        double *p = pts + i * m;
        uint64_t kind = hps_rng_below(rng, 10);
        if (kind <= 1 && i > 0) { /* a duplicate, or a point just behind another one */
            memcpy(p, pts + hps_rng_below(rng, i) * m, m * sizeof *p);
            for (size_t j = 0; j < m && kind == 1; j++)
                p[j] += integer ? (double)hps_rng_below(rng, 2) : 0.05 * hps_rng_uniform(rng);
            continue;
        }
        double norm = 0.0;
        for (size_t j = 0; j < m; j++) {
            p[j] = -log(1.0 - hps_rng_uniform(rng));
            norm += sphere ? p[j] * p[j] : p[j];
        }
        norm = sphere ? sqrt(norm) : norm;
        for (size_t j = 0; j < m; j++) {
            p[j] /= norm;
            if (kind == 2) /* behind the front, or past the reference point */
                p[j] += 0.4 * hps_rng_uniform(rng);
            if (integer)
                p[j] = floor(p[j] * 10.0);
        }
    }
}

static void check_against_brute_force(const double *pts, size_t n, size_t m, const double *ref,
                                      double tolerance)
{
    brute *exact = malloc(sizeof *exact);
    brute *without = malloc(sizeof *without);
    assert_non_null(exact);
    assert_non_null(without);
    brute_force(pts, n, m, ref, SIZE_MAX, exact);
    double volume = hv(pts, n, m, ref);
    assert_close(volume, exact->volume, tolerance * (double)exact->volume, "hypervolume", m);

    double c[MAX_N];
    ASSERT_OK(hps_hypervolume_contributions(pts, n, m, ref, c));
    /* a contribution is a difference of volumes of size HV: the fair tolerance scales
     * with HV, not with the (maybe tiny) contribution */
    double abs_tolerance = tolerance * (double)exact->volume;
    for (size_t i = 0; i < n; i++) {
        assert_close(c[i], exact->exclusive[i], abs_tolerance, "contribution", i);
        brute_force(pts, n, m, ref, i, without); /* the definition: HV(S) - HV(S \ {i}) */
        assert_close(c[i], exact->volume - without->volume, abs_tolerance, "HV(S)-HV(S-p)", i);
        double improvement;
        /* adding i back to S \ {i}: the improvement is the same volume */
        double rest[MAX_N * MAX_M];
        memcpy(rest, pts, i * m * sizeof *rest);
        memcpy(rest + i * m, pts + (i + 1) * m, (n - i - 1) * m * sizeof *rest);
        ASSERT_OK(hps_hypervolume_improvement(rest, n - 1, m, pts + i * m, ref, &improvement));
        assert_close(improvement, exact->volume - without->volume, abs_tolerance, "improvement",
                     i);
    }
    free(exact);
    free(without);
}

/* sizes that keep the grid ((n + 1)^m cells) brute-forceable */
static const size_t brute_sizes[MAX_M + 1] = {0, 60, 60, 24, 11, 8, 6};

static void test_random_real_fronts(void **state)
{
    (void)state;
    hps_rng rng;
    hps_rng_seed(&rng, 2012);
    const double ref[MAX_M] = {1.2, 1.2, 1.2, 1.2, 1.2, 1.2};
    double pts[MAX_N * MAX_M];
    for (size_t m = 1; m <= MAX_M; m++) {
        for (int round = 0; round < 6; round++) {
            size_t n = 1 + hps_rng_below(&rng, brute_sizes[m]);
            random_front(&rng, n, m, pts, 0);
            check_against_brute_force(pts, n, m, ref, 1e-12);
        }
    }
}

static void test_random_integer_fronts_exactly(void **state)
{
    (void)state;
    hps_rng rng;
    hps_rng_seed(&rng, 9);
    const double ref[MAX_M] = {12, 12, 12, 12, 12, 12};
    double pts[MAX_N * MAX_M];
    for (size_t m = 2; m <= MAX_M; m++) {
        for (int round = 0; round < 6; round++) {
            size_t n = 1 + hps_rng_below(&rng, brute_sizes[m]);
            random_front(&rng, n, m, pts, 1); /* coordinates 0..13: ties everywhere */
            check_against_brute_force(pts, n, m, ref, 0.0);
        }
    }
}

/* Larger fronts than brute force reaches: the algorithms against each other. A front
 * lifted into one more dimension by a constant coordinate c has HV * (r - c): the 2-D
 * sweep checks the 3-D sweep, which checks WFG. And the points' order never matters. */
static void test_larger_fronts_consistent(void **state)
{
    (void)state;
    hps_rng rng;
    hps_rng_seed(&rng, 77);
    static double pts[600 * MAX_M], lifted[600 * MAX_M], shuffled[600 * MAX_M];
    const double ref[MAX_M] = {1.2, 1.2, 1.2, 1.2, 1.2, 1.2};
    const size_t sizes[] = {0, 0, 600, 300, 60, 30};
    for (size_t m = 2; m <= 5; m++) {
        size_t n = sizes[m];
        random_front(&rng, n, m, pts, 0);
        double base = hv(pts, n, m, ref);
        for (size_t i = 0; i < n; i++) {
            memcpy(lifted + i * (m + 1), pts + i * m, m * sizeof *pts);
            lifted[i * (m + 1) + m] = 0.7;
        }
        double up = hv(lifted, n, m + 1, ref);
        if (fabs(up - base * (1.2 - 0.7)) > 1e-12 * up)
            fail_msg("m=%zu lifted: %.17g, expected %.17g", m, up, base * 0.5);
        for (size_t i = 0; i < n; i++) { /* reversed */
            memcpy(shuffled + i * m, pts + (n - 1 - i) * m, m * sizeof *pts);
        }
        double again = hv(shuffled, n, m, ref);
        if (fabs(again - base) > 1e-13 * base)
            fail_msg("m=%zu reversed: %.17g vs %.17g", m, again, base);
    }
}

static void test_improvement(void **state)
{
    (void)state;
    const double pts[] = {1, 3, 3, 1}, ref[] = {4, 4};
    const double inside[] = {2, 2}, dominated[] = {3, 3}, on_point[] = {1, 3}, outside[] = {4, 0};
    double out;
    ASSERT_OK(hps_hypervolume_improvement(pts, 2, 2, inside, ref, &out));
    assert_true(out == 1.0);
    ASSERT_OK(hps_hypervolume_improvement(pts, 2, 2, dominated, ref, &out));
    assert_true(out == 0.0);
    ASSERT_OK(hps_hypervolume_improvement(pts, 2, 2, on_point, ref, &out));
    assert_true(out == 0.0);
    ASSERT_OK(hps_hypervolume_improvement(pts, 2, 2, outside, ref, &out));
    assert_true(out == 0.0);
    ASSERT_OK(hps_hypervolume_improvement(NULL, 0, 2, inside, ref, &out));
    assert_true(out == 4.0);
}

/* ---- the reference point -------------------------------------------------------------- */

static void test_reference_point(void **state)
{
    (void)state;
    /* worst (3, -2, 0): 3 * 1.1, -2 * 0.9, and Optuna's EPS for 0; NaN and inf rows skipped */
    const double pts[] = {1, -5, 0, 3, -2, -1, NAN, 100, 100, 50, INFINITY, 50};
    double ref[3];
    ASSERT_OK(hps_hypervolume_reference(pts, 4, 3, NULL, ref));
    assert_true(ref[0] == 1.1 * 3.0);
    assert_true(ref[1] == 0.9 * -2.0);
    assert_true(ref[2] == HPS_HV_EPS);
    /* the caller's reference point takes precedence */
    const double given[] = {7, 8, 9};
    ASSERT_OK(hps_hypervolume_reference(pts, 4, 3, given, ref));
    assert_true(ref[0] == 7 && ref[1] == 8 && ref[2] == 9);
    const double bad_given[] = {7, NAN, 9}, inf_given[] = {INFINITY, 0, 0};
    assert_int_equal(hps_hypervolume_reference(pts, 4, 3, bad_given, ref), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_reference(pts, 4, 3, inf_given, ref), HPS_ERR_INVALID);
    /* nothing finite to take the worst of */
    assert_int_equal(hps_hypervolume_reference(pts + 6, 2, 3, NULL, ref), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_reference(NULL, 0, 3, NULL, ref), HPS_ERR_INVALID);
    /* subnormal worst values: 1.1 w rounds back to w, so the next double above it */
    const double tiny[] = {DBL_TRUE_MIN, -DBL_TRUE_MIN};
    ASSERT_OK(hps_hypervolume_reference(tiny, 1, 2, NULL, ref));
    assert_true(ref[0] > tiny[0] && ref[1] > tiny[1]); /* so the point counts */
    /* 1.1 w overflows */
    const double huge[] = {DBL_MAX};
    assert_int_equal(hps_hypervolume_reference(huge, 1, 1, NULL, ref), HPS_ERR_INVALID);
}

static void test_bad_input(void **state)
{
    (void)state;
    const double pts[] = {1, 2, 3, 4}, ref[] = {5, 5}, nan_ref[] = {5, NAN}, inf_ref[] = {5, INFINITY};
    double out, c[2];
    assert_int_equal(hps_hypervolume(NULL, 2, 2, ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, 2, NULL, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, 2, ref, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, 0, ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, HPS_PARETO_MAX_OBJECTIVES + 1, ref, &out),
                     HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, HPS_PARETO_MAX_POINTS + 1, 1, ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, 2, nan_ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume(pts, 2, 2, inf_ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_contributions(pts, 2, 2, ref, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_contributions(pts, 2, 2, nan_ref, c), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_improvement(pts, 2, 2, NULL, ref, &out), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_improvement(pts, 2, 2, pts, ref, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_reference(pts, 2, 0, NULL, c), HPS_ERR_INVALID);
    assert_int_equal(hps_hypervolume_reference(pts, 2, 2, NULL, NULL), HPS_ERR_INVALID);
    /* out of memory: a status, nothing leaked (ASan) */
    hps_mem_fail_after(1);
    assert_int_equal(hps_hypervolume(pts, 2, 2, ref, &out), HPS_ERR_NOMEM);
    hps_mem_fail_after(1);
    assert_int_equal(hps_hypervolume_contributions(pts, 2, 2, ref, c), HPS_ERR_NOMEM);
    hps_mem_fail_after(1);
    assert_int_equal(hps_hypervolume_improvement(pts, 2, 2, pts, ref, &out), HPS_ERR_NOMEM);
    hps_mem_fail_after(0);
}

/* The public contract's worked case (include/hpsearch.h): accuracy maximized (negated,
 * with its reference coordinate), seconds minimized; the boxes [-0.9, 0] x [10, 20] and
 * [-0.8, 0] x [5, 20] cover 9 + 12 - 8 = 13. A point on the reference adds nothing; no
 * point at all is 0. */
static void test_public_contract(void **state)
{
    (void)state;
    const double pts[] = {-0.9, 10, -0.8, 5, 0, 20}, ref[] = {0, 20};
    double out = -1;
    assert_int_equal(hps_hypervolume(pts, 2, 2, ref, &out), HPS_OK);
    assert_close(out, 13.0L, 1e-12, "worked case", 0);
    assert_int_equal(hps_hypervolume(pts, 3, 2, ref, &out), HPS_OK);
    assert_close(out, 13.0L, 1e-12, "worked case", 0);
    assert_int_equal(hps_hypervolume(NULL, 0, 2, ref, &out), HPS_OK);
    assert_true(out == 0.0);
}

/* ---- against Optuna 3.1 --------------------------------------------------------------- */

typedef struct optuna_case {
    int weights; /* MOTPE's weights, else WFG's hypervolume */
    size_t n, m;
    double pts[MAX_N * MAX_M];
    double ref[MAX_M];
} optuna_case;

static void write_rows(FILE *f, const double *rows, size_t n, size_t m)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < m; j++)
            fprintf(f, "%a ", rows[i * m + j]);
        fputc('\n', f);
    }
}

static void read_line(FILE *f, double *out, size_t expected)
{
    char line[1 << 16];
    assert_non_null(fgets(line, sizeof line, f));
    char *cursor = line;
    for (size_t i = 0; i < expected; i++) {
        char *end;
        out[i] = strtod(cursor, &end);
        assert_true(end != cursor);
        cursor = end;
    }
}

/* MOTPE's weights from our contributions and reference point, with Optuna's formula
 * (samplers/_tpe/sampler.py): (contribution + EPS) / max, clipped to [0, 1]. */
static void motpe_weights(const double *pts, size_t n, size_t m, double *weights)
{
    if (n == 1) {
        weights[0] = 1.0;
        return;
    }
    double ref[MAX_M];
    ASSERT_OK(hps_hypervolume_reference(pts, n, m, NULL, ref));
    ASSERT_OK(hps_hypervolume_contributions(pts, n, m, ref, weights));
    double top = 0.0;
    for (size_t i = 0; i < n; i++) {
        weights[i] += HPS_HV_EPS;
        top = fmax(top, weights[i]);
    }
    for (size_t i = 0; i < n; i++)
        weights[i] = fmin(fmax(weights[i] / top, 0.0), 1.0);
}

enum { N_OPTUNA_CASES = 32 };

static void test_same_as_optuna(void **state)
{
    (void)state;
    static optuna_case cases[N_OPTUNA_CASES];
    static const size_t sizes[] = {0, 0, 60, 30, 14, 9};
    hps_rng rng;
    hps_rng_seed(&rng, 31);
    const char *in_path = testutil_path("hv_cases.txt");
    FILE *f = fopen(in_path, "w");
    assert_non_null(f);
    for (size_t c = 0; c < N_OPTUNA_CASES; c++) {
        optuna_case *oc = &cases[c];
        oc->m = 2 + c % 4;
        oc->weights = (c / 4) % 2;
        oc->n = 1 + hps_rng_below(&rng, sizes[oc->m]);
        random_front(&rng, oc->n, oc->m, oc->pts, 0);
        for (size_t i = 0; i < oc->n * oc->m; i++) {
            /* shift some objectives so that the worst value is negative or 0: the 0.9 and
             * the EPS branches of the reference point rule */
            size_t j = i % oc->m;
            if (c % 3 == 1 && j == 0)
                oc->pts[i] -= 2.0;
            if (c % 3 == 2 && j == 1)
                oc->pts[i] = fmin(oc->pts[i], 1.0) - 1.0;
        }
        if (oc->weights) {
            fprintf(f, "weights %zu %zu\n", oc->m, oc->n);
            write_rows(f, oc->pts, oc->n, oc->m);
        } else {
            /* Optuna 3.1 refuses points past the reference point: take ours from them */
            ASSERT_OK(hps_hypervolume_reference(oc->pts, oc->n, oc->m, NULL, oc->ref));
            fprintf(f, "hv %zu %zu\n", oc->m, oc->n);
            write_rows(f, oc->pts, oc->n, oc->m);
            write_rows(f, oc->ref, 1, oc->m);
        }
    }
    fclose(f);
    const char *out_path = testutil_path("hv_optuna.txt");
    const char *args[] = {in_path, out_path};
    assert_int_equal(testutil_run_python("optuna_pareto.py", args, 2), 0);

    f = fopen(out_path, "r");
    assert_non_null(f);
    for (size_t c = 0; c < N_OPTUNA_CASES; c++) {
        const optuna_case *oc = &cases[c];
        if (!oc->weights) {
            double theirs;
            read_line(f, &theirs, 1);
            double ours = hv(oc->pts, oc->n, oc->m, oc->ref);
            if (fabs(ours - theirs) > 1e-12 * fabs(theirs))
                fail_msg("case %zu (m=%zu, n=%zu): hypervolume %.17g, Optuna's %.17g", c, oc->m,
                         oc->n, ours, theirs);
            continue;
        }
        double theirs[MAX_N], ours[MAX_N];
        read_line(f, theirs, oc->n);
        motpe_weights(oc->pts, oc->n, oc->m, ours);
        for (size_t i = 0; i < oc->n; i++) {
            /* Optuna's contributions are differences HV(S) - HV(S - p): to about 1e-15 of
             * HV, which the division by the largest contribution magnifies */
            if (fabs(ours[i] - theirs[i]) > 1e-9)
                fail_msg("case %zu (m=%zu, n=%zu) point %zu: weight %.17g, Optuna's %.17g", c,
                         oc->m, oc->n, i, ours[i], theirs[i]);
        }
    }
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_ignored_points_and_infinities),
        cmocka_unit_test(test_random_real_fronts),
        cmocka_unit_test(test_random_integer_fronts_exactly),
        cmocka_unit_test(test_larger_fronts_consistent),
        cmocka_unit_test(test_improvement),
        cmocka_unit_test(test_reference_point),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_public_contract),
        cmocka_unit_test(test_same_as_optuna),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
