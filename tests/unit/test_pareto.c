/* test_pareto.c -- non-dominated sorting, crowding distance and constrained domination
 * (src/base/pareto.c): hand-worked sets (ties, duplicates, NaN, infinities, a single
 * point, a chain of dominated points), random sets against the definition (peeling off
 * the non-dominated points, with this file's own dominance), and the same sets through
 * Optuna's own code (tests/unit/optuna_pareto.py): MOTPE's ranks, NSGA-II's constrained
 * fronts and crowding distances must come out identical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/pareto.h"
#include "base/rng.h"

#define MAX_N 64
#define MAX_M 6
#define MAX_K 3

/* ---- the definition, written independently of pareto.c --------------------------------- */

/* a <= b in the order where NaN is the worst value */
static int def_le(double a, double b)
{
    if (isnan(b))
        return 1;
    if (isnan(a))
        return 0;
    return a <= b;
}

static int def_dominates(const double *a, const double *b, size_t m)
{
    int strictly = 0;
    for (size_t j = 0; j < m; j++) {
        if (!def_le(a[j], b[j]))
            return 0;
        if (!def_le(b[j], a[j]))
            strictly = 1;
    }
    return strictly;
}

static double def_violation(const double *c, size_t k)
{
    double sum = 0.0;
    for (size_t j = 0; j < k; j++)
        sum += isnan(c[j]) ? INFINITY : c[j] > 0 ? c[j] : 0.0;
    return sum;
}

static int def_constrained_dominates(const double *a, const double *ca, const double *b,
                                     const double *cb, size_t m, size_t k)
{
    double va = def_violation(ca, k), vb = def_violation(cb, k);
    int fa = 1, fb = 1;
    for (size_t j = 0; j < k; j++) {
        fa = fa && ca[j] <= 0;
        fb = fb && cb[j] <= 0;
    }
    if (fa && fb)
        return def_dominates(a, b, m);
    if (fa != fb)
        return fa;
    return va < vb;
}

/* Fronts by peeling: front r = the points left that nothing left dominates. */
static size_t def_ranks(const double *pts, size_t n, size_t m, const double *cons, size_t k,
                        size_t *rank)
{
    int placed[MAX_N] = {0};
    size_t left = n, r = 0;
    while (left > 0) {
        int in_front[MAX_N] = {0};
        for (size_t i = 0; i < n; i++) {
            if (placed[i])
                continue;
            int dominated = 0;
            for (size_t j = 0; j < n && !dominated; j++) {
                if (placed[j] || j == i)
                    continue;
                dominated = k > 0 ? def_constrained_dominates(pts + j * m, cons + j * k,
                                                              pts + i * m, cons + i * k, m, k)
                                  : def_dominates(pts + j * m, pts + i * m, m);
            }
            in_front[i] = !dominated;
        }
        for (size_t i = 0; i < n; i++) {
            if (in_front[i]) {
                placed[i] = 1;
                rank[i] = r;
                left--;
            }
        }
        r++;
    }
    return r;
}

static void assert_ranks(const double *pts, size_t n, size_t m, const double *cons, size_t k,
                         const size_t *expected, size_t expected_fronts)
{
    size_t rank[MAX_N], n_fronts = 99;
    ASSERT_OK(hps_pareto_rank(pts, n, m, cons, k, rank, &n_fronts));
    for (size_t i = 0; i < n; i++) {
        if (rank[i] != expected[i])
            fail_msg("point %zu: rank %zu, expected %zu", i, rank[i], expected[i]);
    }
    assert_int_equal(n_fronts, expected_fronts);
}

/* ---- dominance, feasibility ----------------------------------------------------------- */

static void test_dominance_with_nan(void **state)
{
    (void)state;
    const double a[] = {1, 2}, b[] = {2, 2}, nan_y[] = {1, NAN}, inf_y[] = {1, INFINITY};
    const double both_nan[] = {NAN, NAN};
    assert_true(hps_pareto_dominates(a, b, 2));
    assert_false(hps_pareto_dominates(b, a, 2));
    assert_false(hps_pareto_dominates(a, a, 2));                /* equal: neither */
    assert_true(hps_pareto_dominates(inf_y, nan_y, 2));         /* NaN is worse than +inf */
    assert_false(hps_pareto_dominates(nan_y, inf_y, 2));
    assert_false(hps_pareto_dominates(both_nan, both_nan, 2));  /* NaN equals NaN */
    assert_true(hps_pareto_dominates(nan_y, both_nan, 2));
    assert_true(hps_pareto_dominates(a, nan_y, 2));
    const double minus_inf[] = {-INFINITY, 5}, five[] = {0, 5};
    assert_true(hps_pareto_dominates(minus_inf, five, 2));
}

static void test_feasibility_and_violation(void **state)
{
    (void)state;
    const double ok[] = {0.0, -1.0}, bad[] = {0.5, -1.0, 2.0}, with_nan[] = {-1.0, NAN};
    assert_true(hps_pareto_feasible(ok, 2)); /* <= 0 is feasible, as in Optuna */
    assert_true(hps_pareto_feasible(NULL, 0));
    assert_false(hps_pareto_feasible(bad, 3));
    assert_false(hps_pareto_feasible(with_nan, 2));
    assert_true(hps_pareto_violation(ok, 2) == 0.0);
    assert_true(hps_pareto_violation(bad, 3) == 2.5);
    assert_true(hps_pareto_violation(with_nan, 2) == INFINITY);
}

static void test_constrained_domination(void **state)
{
    (void)state;
    const double good[] = {0, 0}, poor[] = {5, 5};
    const double feasible[] = {-1}, slight[] = {0.5}, heavy[] = {3}, also_slight[] = {0.5};
    const double missing[] = {NAN};
    /* feasible beats infeasible whatever the objectives */
    assert_true(hps_pareto_constrained_dominates(poor, feasible, good, slight, 2, 1));
    assert_false(hps_pareto_constrained_dominates(good, slight, poor, feasible, 2, 1));
    /* both infeasible: the smaller violation, whatever the objectives; equal: neither */
    assert_true(hps_pareto_constrained_dominates(poor, slight, good, heavy, 2, 1));
    assert_false(hps_pareto_constrained_dominates(good, heavy, poor, slight, 2, 1));
    assert_false(hps_pareto_constrained_dominates(good, slight, poor, also_slight, 2, 1));
    assert_false(hps_pareto_constrained_dominates(poor, also_slight, good, slight, 2, 1));
    /* both feasible: dominance */
    assert_true(hps_pareto_constrained_dominates(good, feasible, poor, feasible, 2, 1));
    assert_false(hps_pareto_constrained_dominates(poor, feasible, good, feasible, 2, 1));
    /* a NaN constraint: infeasible with an infinite violation */
    assert_true(hps_pareto_constrained_dominates(poor, heavy, good, missing, 2, 1));
    assert_false(hps_pareto_constrained_dominates(good, missing, poor, heavy, 2, 1));
    /* no constraints: plain dominance */
    assert_true(hps_pareto_constrained_dominates(good, NULL, poor, NULL, 2, 0));
}

/* ---- non-dominated sorting ------------------------------------------------------------- */

static void test_rank_hand_worked(void **state)
{
    (void)state;
    /* A(1,5) B(2,3) C(3,1) D = B's duplicate: the front; E(3,4) behind B; F(4,4) behind E;
     * G(1,6) behind A; H(5,1) behind C */
    const double two[] = {1, 5, 2, 3, 3, 1, 2, 3, 3, 4, 4, 4, 1, 6, 5, 1};
    const size_t expected[] = {0, 0, 0, 0, 1, 2, 1, 1};
    assert_ranks(two, 8, 2, NULL, 0, expected, 3);
    /* the same with a constant third objective goes through the general path */
    double three[8 * 3];
    for (size_t i = 0; i < 8; i++) {
        three[i * 3] = two[i * 2];
        three[i * 3 + 1] = two[i * 2 + 1];
        three[i * 3 + 2] = 7;
    }
    assert_ranks(three, 8, 3, NULL, 0, expected, 3);
    /* a third objective that frees F and H: F(4,4,0) and H(5,1,0) are dominated by nobody */
    three[5 * 3 + 2] = 0;
    three[7 * 3 + 2] = 0;
    const size_t freed[] = {0, 0, 0, 0, 1, 0, 1, 0};
    assert_ranks(three, 8, 3, NULL, 0, freed, 2);
}

static void test_rank_edge_cases(void **state)
{
    (void)state;
    const double single[] = {3, 4, 5};
    const size_t zero[] = {0, 0, 0, 0, 0};
    assert_ranks(single, 1, 3, NULL, 0, zero, 1);
    /* every point dominated by the previous one, given out of order */
    const double chain[] = {3, 3, 0, 0, 4, 4, 1, 1, 2, 2};
    const size_t chain_ranks[] = {3, 0, 4, 1, 2};
    assert_ranks(chain, 5, 2, NULL, 0, chain_ranks, 5);
    const double line[] = {3, 0, 4, 1, 2, 0};
    assert_ranks(line, 6, 1, NULL, 0, (const size_t[]){3, 0, 4, 1, 2, 0}, 5);
    const double equal[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    assert_ranks(equal, 5, 2, NULL, 0, zero, 1);
    /* NaN is the worst value and equal to itself: (1,2) and (0,NaN) lead, then (1,NaN),
     * then (NaN,NaN) */
    const double with_nan[] = {1, NAN, 1, 2, NAN, NAN, 0, NAN};
    assert_ranks(with_nan, 4, 2, NULL, 0, (const size_t[]){1, 0, 2, 0}, 3);
    /* infinities are ordinary values */
    const double infinite[] = {-INFINITY, 1, 0, 0, INFINITY, -1, INFINITY, INFINITY};
    assert_ranks(infinite, 4, 2, NULL, 0, (const size_t[]){0, 0, 0, 1}, 2);
    size_t n_fronts = 7;
    ASSERT_OK(hps_pareto_rank(NULL, 0, 2, NULL, 0, NULL, &n_fronts));
    assert_int_equal(n_fronts, 0);
}

static void test_rank_constrained(void **state)
{
    (void)state;
    /* objectives, then two constraint values per point */
    const double pts[] = {1, 1, 2, 2, 0, 0, 0, 0, 5, 5, 3, 0, 9, 9};
    const double cons[] = {
        -1, -1,   /* 0 feasible */
        0, 0,     /* 1 feasible (0 <= 0), dominated by 0 */
        0.5, -3,  /* 2 violation 0.5 */
        1, 1,     /* 3 violation 2 */
        0.25, 0.25, /* 4 violation 0.5: as bad as 2 despite worse objectives */
        NAN, -1,  /* 5 a NaN: infinite violation, last */
        -2, 0,    /* 6 feasible, dominated by 0 and 1 */
    };
    const size_t expected[] = {0, 1, 3, 4, 3, 5, 2};
    assert_ranks(pts, 7, 2, cons, 2, expected, 6);
    /* the same with constraints that all hold: plain dominance */
    const double hold[14] = {0};
    assert_ranks(pts, 7, 2, hold, 2, (const size_t[]){1, 2, 0, 0, 3, 1, 4}, 5);
}

static double random_value(hps_rng *rng, int with_nan)
{
    /* few distinct values: ties, duplicates and (optionally) NaN are common */
    uint64_t pick = hps_rng_below(rng, with_nan ? 6 : 5);
    if (pick == 5)
        return NAN;
    if (pick == 4)
        return hps_rng_below(rng, 2) ? INFINITY : -1.5;
    return (double)pick;
}

static void test_rank_random_against_definition(void **state)
{
    (void)state;
    hps_rng rng;
    hps_rng_seed(&rng, 18);
    for (int round = 0; round < 400; round++) {
        size_t m = 1 + round % 5;
        size_t n = 1 + hps_rng_below(&rng, MAX_N);
        size_t k = round % 3 == 0 ? 1 + hps_rng_below(&rng, MAX_K) : 0;
        double pts[MAX_N * MAX_M], cons[MAX_N * MAX_K];
        for (size_t i = 0; i < n * m; i++)
            pts[i] = random_value(&rng, 1);
        for (size_t i = 0; i < n * k; i++) /* half feasible, violations that tie */
            cons[i] = hps_rng_below(&rng, 12) == 0 ? NAN : (double)hps_rng_below(&rng, 4) - 2.0;
        size_t expected[MAX_N];
        size_t fronts = def_ranks(pts, n, m, cons, k, expected);
        assert_ranks(pts, n, m, k ? cons : NULL, k, expected, fronts);
    }
}

static void test_rank_bad_input(void **state)
{
    (void)state;
    const double pts[] = {1, 2, 3, 4};
    size_t rank[2];
    assert_int_equal(hps_pareto_rank(pts, 2, 0, NULL, 0, rank, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(pts, 2, HPS_PARETO_MAX_OBJECTIVES + 1, NULL, 0, rank, NULL),
                     HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(NULL, 2, 2, NULL, 0, rank, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(pts, 2, 2, NULL, 1, rank, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(pts, 2, 2, pts, HPS_PARETO_MAX_CONSTRAINTS + 1, rank, NULL),
                     HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(pts, 2, 2, NULL, 0, NULL, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_rank(pts, HPS_PARETO_MAX_POINTS + 1, 1, NULL, 0, rank, NULL),
                     HPS_ERR_INVALID);
    hps_mem_fail_after(1);
    assert_int_equal(hps_pareto_rank(pts, 2, 2, NULL, 0, rank, NULL), HPS_ERR_NOMEM);
    hps_mem_fail_after(0);
}

/* ---- crowding distance ----------------------------------------------------------------- */

static void assert_distances(const double *pts, size_t n, size_t m, const size_t *members,
                             size_t count, const double *expected)
{
    double distance[MAX_N];
    ASSERT_OK(hps_pareto_crowding(pts, n, m, members, count, distance));
    for (size_t j = 0; j < count; j++) {
        if (!(distance[j] == expected[j]) && !(isinf(distance[j]) && isinf(expected[j])))
            fail_msg("member %zu: distance %.17g, expected %.17g", j, distance[j], expected[j]);
    }
}

static void test_crowding_hand_worked(void **state)
{
    (void)state;
    const size_t all[] = {0, 1, 2, 3, 4};
    /* (1,5) (2,3) (4,1): the middle one gets (4-1)/3 + (5-1)/4, the ends +inf */
    const double front[] = {1, 5, 2, 3, 4, 1};
    assert_distances(front, 3, 2, all, 3, (const double[]){INFINITY, 2.0, INFINITY});
    /* ties keep their order: 1 2 2 5 gives the first 2 the gap (2-1)/4, the second (5-2)/4 */
    const double ties[] = {1, 2, 2, 5};
    assert_distances(ties, 4, 1, all, 4, (const double[]){INFINITY, 0.25, 0.75, INFINITY});
    /* an objective where everyone is equal adds nothing */
    const double flat[] = {1, 7, 2, 7, 3, 7};
    assert_distances(flat, 3, 2, all, 3, (const double[]){INFINITY, 1.0, INFINITY});
    const double same[] = {4, 4, 4};
    assert_distances(same, 3, 1, all, 3, (const double[]){0, 0, 0});
    /* -inf -inf 0 1 2: the gap between the two -inf's neighbours (-inf, -inf) is 0; the
     * width is over the finite values, 2 - 0 */
    const double inf_ends[] = {-INFINITY, -INFINITY, 0, 1, 2};
    assert_distances(inf_ends, 5, 1, all, 5, (const double[]){0, INFINITY, INFINITY, 1, INFINITY});
    /* NaN counts as +inf, sorted stably: the second NaN sits between +inf and +inf */
    const double nans[] = {NAN, NAN, 1, 2};
    assert_distances(nans, 4, 1, all, 4, (const double[]){INFINITY, 0, INFINITY, INFINITY});
    /* members: a subset, in the caller's order */
    const double many[] = {0, 10, 1, 8, 50, 50, 3, 4, 6, 0};
    const size_t some[] = {4, 1, 3, 0};
    /* x: 0 1 3 6 (width 6), y: 0 4 8 10 (width 10); point 1 (1,8): (3-0)/6 + (10-4)/10 */
    assert_distances(many, 5, 2, some, 4,
                     (const double[]){INFINITY, 3.0 / 6.0 + 6.0 / 10.0,
                                      5.0 / 6.0 + 8.0 / 10.0, INFINITY});
    double untouched = 5.0;
    ASSERT_OK(hps_pareto_crowding(NULL, 0, 1, NULL, 0, &untouched));
    assert_true(untouched == 5.0);
}

static void test_crowding_bad_input(void **state)
{
    (void)state;
    const double pts[] = {1, 2, 3, 4};
    const size_t members[] = {0, 2};
    double distance[2];
    assert_int_equal(hps_pareto_crowding(pts, 2, 2, members, 2, distance), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_crowding(pts, 2, 2, NULL, 2, distance), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_crowding(pts, 2, 2, members, 1, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_pareto_crowding(pts, 2, 0, members, 1, distance), HPS_ERR_INVALID);
    hps_mem_fail_after(1);
    assert_int_equal(hps_pareto_crowding(pts, 2, 2, members, 1, distance), HPS_ERR_NOMEM);
    hps_mem_fail_after(0);
}

/* ---- the index sort -------------------------------------------------------------------- */

static int by_tens(size_t a, size_t b, const void *ctx)
{
    const int *keys = ctx;
    return (keys[a] / 10 > keys[b] / 10) - (keys[a] / 10 < keys[b] / 10);
}

static void test_sort_indices_is_stable(void **state)
{
    (void)state;
    hps_rng rng;
    hps_rng_seed(&rng, 4);
    for (size_t n = 0; n < 80; n += 1 + n / 4) { /* across the insertion runs' size */
        int keys[80];
        size_t idx[80], tmp[80];
        for (size_t i = 0; i < n; i++) {
            keys[i] = (int)hps_rng_below(&rng, 50);
            idx[i] = i;
        }
        hps_sort_indices(idx, n, tmp, by_tens, keys);
        for (size_t i = 1; i < n; i++) {
            int before = keys[idx[i - 1]] / 10, here = keys[idx[i]] / 10;
            assert_true(before <= here);
            if (before == here)
                assert_true(idx[i - 1] < idx[i]); /* ties in input order */
        }
    }
}

/* ---- against Optuna's own code --------------------------------------------------------- */

typedef struct optuna_case {
    const char *kind;
    size_t n, m, k;
    double pts[MAX_N * MAX_M];
    double cons[MAX_N * MAX_K];
} optuna_case;

static void write_case(FILE *f, const optuna_case *c)
{
    fprintf(f, "%s %zu %zu", c->kind, c->m, c->n);
    if (c->k > 0)
        fprintf(f, " %zu", c->k);
    fputc('\n', f);
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->m; j++)
            fprintf(f, "%a ", c->pts[i * c->m + j]);
        for (size_t j = 0; j < c->k; j++)
            fprintf(f, "%a ", c->cons[i * c->k + j]);
        fputc('\n', f);
    }
}

/* Optuna's answer for one case: its output line's numbers. */
static size_t read_answer(FILE *f, double *out, size_t max)
{
    char line[1 << 16];
    assert_non_null(fgets(line, sizeof line, f));
    size_t count = 0;
    char *cursor = line;
    for (;;) {
        char *end;
        double v = strtod(cursor, &end);
        if (end == cursor)
            break;
        assert_true(count < max);
        out[count++] = v;
        cursor = end;
    }
    return count;
}

enum { N_OPTUNA_CASES = 90 };

static void test_same_as_optuna(void **state)
{
    (void)state;
    static optuna_case cases[N_OPTUNA_CASES];
    static const char *const kinds[] = {"rank", "constrained", "crowding"};
    hps_rng rng;
    hps_rng_seed(&rng, 31);
    const char *in_path = testutil_path("pareto_cases.txt");
    FILE *f = fopen(in_path, "w");
    assert_non_null(f);
    for (size_t c = 0; c < N_OPTUNA_CASES; c++) {
        optuna_case *oc = &cases[c];
        oc->kind = kinds[c % 3];
        oc->m = 1 + (c / 3) % 4;
        oc->n = 1 + hps_rng_below(&rng, 40);
        oc->k = c % 3 == 1 ? 1 + hps_rng_below(&rng, MAX_K) : 0;
        for (size_t i = 0; i < oc->n * oc->m; i++)
            oc->pts[i] = c % 2 ? random_value(&rng, 0) : hps_rng_uniform(&rng) * 4.0 - 1.0;
        for (size_t i = 0; i < oc->n * oc->k; i++)
            oc->cons[i] = (double)hps_rng_below(&rng, 5) - 3.0 + (c % 2 ? 0.0 : 0.25);
        write_case(f, oc);
    }
    fclose(f);
    const char *out_path = testutil_path("pareto_optuna.txt");
    const char *args[] = {in_path, out_path};
    assert_int_equal(testutil_run_python("optuna_pareto.py", args, 2), 0);

    f = fopen(out_path, "r");
    assert_non_null(f);
    for (size_t c = 0; c < N_OPTUNA_CASES; c++) {
        const optuna_case *oc = &cases[c];
        double theirs[MAX_N];
        assert_int_equal(read_answer(f, theirs, MAX_N), oc->n);
        if (oc->kind == kinds[2]) {
            size_t all[MAX_N];
            for (size_t i = 0; i < oc->n; i++)
                all[i] = i;
            assert_distances(oc->pts, oc->n, oc->m, all, oc->n, theirs);
            continue;
        }
        size_t rank[MAX_N];
        ASSERT_OK(hps_pareto_rank(oc->pts, oc->n, oc->m, oc->k ? oc->cons : NULL, oc->k, rank,
                                  NULL));
        for (size_t i = 0; i < oc->n; i++) {
            if ((double)rank[i] != theirs[i])
                fail_msg("case %zu (%s, m=%zu, n=%zu) point %zu: rank %zu, Optuna's %g", c,
                         oc->kind, oc->m, oc->n, i, rank[i], theirs[i]);
        }
    }
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dominance_with_nan),
        cmocka_unit_test(test_feasibility_and_violation),
        cmocka_unit_test(test_constrained_domination),
        cmocka_unit_test(test_rank_hand_worked),
        cmocka_unit_test(test_rank_edge_cases),
        cmocka_unit_test(test_rank_constrained),
        cmocka_unit_test(test_rank_random_against_definition),
        cmocka_unit_test(test_rank_bad_input),
        cmocka_unit_test(test_crowding_hand_worked),
        cmocka_unit_test(test_crowding_bad_input),
        cmocka_unit_test(test_sort_indices_is_stable),
        cmocka_unit_test(test_same_as_optuna),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
