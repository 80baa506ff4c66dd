/*
 * test_grid_refine.c -- refining a grid around its best cells (src/cli/grid_refine.c),
 * the "then narrow" step of `hpsearch narrow` on a grid study: new points between the
 * best values and their neighbours, log-aware, on ints and steps, never past the ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cli/grid_refine.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Refines and compares with `want`, printing both sides on a difference. */
static void expect_axis(const char *what, const double *axis, size_t n_axis, const double *best,
                        size_t n_best, int log_scale, double step, double origin,
                        const double *want, size_t n_want)
{
    double out[64];
    assert_true(3 * n_best <= N(out));
    size_t n = grid_refine_axis(axis, n_axis, best, n_best, log_scale, step, origin, out);
    int same = n == n_want;
    for (size_t i = 0; same && i < n; i++)
        same = out[i] == want[i];
    if (!same) {
        char got[512] = "", expected[512] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), " %.17g", out[i]);
        for (size_t i = 0; i < n_want; i++)
            snprintf(expected + strlen(expected), sizeof expected - strlen(expected), " %.17g",
                     want[i]);
        fail_msg("%s:\n  expected%s\n  got     %s", what, expected, got);
    }
}

static void test_geometric_lists(void **state)
{
    (void)state;
    const double lr[] = {0.001, 0.01, 0.1}, shuffled[] = {0.1, 0.001, 0.01};
    const double hidden[] = {32, 64, 128}, even[] = {1, 2, 3, 4}, unit[] = {0, 0.5, 1};
    const double signs[] = {-1, 1, 3}, epochs[] = {5, 10}, decade[] = {0.001, 0.01};
    const double one[] = {7};
    assert_true(grid_values_geometric(lr, N(lr)));
    assert_true(grid_values_geometric(shuffled, N(shuffled)));
    assert_true(grid_values_geometric(hidden, N(hidden)));
    assert_true(grid_values_geometric(decade, N(decade)));
    assert_false(grid_values_geometric(even, N(even)));
    assert_false(grid_values_geometric(unit, N(unit)));   /* zero: no ratios */
    assert_false(grid_values_geometric(signs, N(signs)));
    assert_false(grid_values_geometric(epochs, N(epochs))); /* two values, a factor 2 */
    assert_false(grid_values_geometric(one, N(one)));
}

/* The seed article's grid: the best learning rate gets a point on each side, on the
 * log scale its list is written in. */
static void test_log_axis(void **state)
{
    (void)state;
    const double lr[] = {0.001, 0.01, 0.1};
    const double mid[] = {0.01}, want_mid[] = {0.00316, 0.01, 0.0316};
    expect_axis("best in the middle", lr, 3, mid, 1, 1, 0, 0, want_mid, 3);
    const double top[] = {0.1}, want_top[] = {0.0316, 0.1};
    expect_axis("best at the top end: nothing beyond it", lr, 3, top, 1, 1, 0, 0, want_top, 2);
    const double low[] = {0.001}, want_low[] = {0.001, 0.00316};
    expect_axis("best at the low end", lr, 3, low, 1, 1, 0, 0, want_low, 2);
    const double same[] = {0.01, 0.01, 0.01};
    expect_axis("repeated best values count once", lr, 3, same, 3, 1, 0, 0, want_mid, 3);
    /* log_scale with a value <= 0 cannot take a geometric mean: midpoints instead */
    const double zero[] = {0, 1, 2}, best[] = {1}, want_zero[] = {0.5, 1, 1.5};
    expect_axis("log with zero falls back", zero, 3, best, 1, 1, 0, 0, want_zero, 3);
}

static void test_linear_axis(void **state)
{
    (void)state;
    const double unit[] = {1, 0, 0.5}; /* any order */
    const double best[] = {0.5}, want[] = {0.25, 0.5, 0.75};
    expect_axis("midpoints", unit, 3, best, 1, 0, 0, 0, want, 3);
    const double two[] = {0, 0.5}, want_two[] = {0, 0.25, 0.5, 0.75};
    expect_axis("neighbouring best values share the point between them", unit, 3, two, 2, 0, 0,
                0, want_two, 4);
    const double close[] = {1.0001, 1.0002}, best_close[] = {1.0001};
    const double want_close[] = {1.0001, 1.00015};
    expect_axis("as many digits as it takes to fall strictly between", close, 2, best_close, 1,
                0, 0, 0, want_close, 2);
    const double single[] = {5}, want_single[] = {5};
    expect_axis("a one-value axis stays", single, 1, single, 1, 0, 0, 0, want_single, 1);
}

static void test_lattice_axis(void **state)
{
    (void)state;
    const double hidden[] = {32, 64, 128}, best[] = {64};
    const double want_hidden[] = {45, 64, 91}; /* sqrt(32*64) = 45.25, sqrt(64*128) = 90.51 */
    expect_axis("ints on a log scale", hidden, 3, best, 1, 1, 1, 0, want_hidden, 3);
    const double epochs[] = {5, 10}, ten[] = {10}, want_epochs[] = {8, 10};
    expect_axis("ints: 7.5 is a tie, broken toward the best value", epochs, 2, ten, 1, 0, 1, 0, want_epochs, 2);
    const double both[] = {5, 10}, want_both[] = {5, 8, 10};
    expect_axis("two best neighbours share one point", epochs, 2, both, 2, 0, 1, 0, want_both, 3);
    const double dense[] = {1, 2, 3, 4}, three[] = {3}, want_dense[] = {3};
    expect_axis("no int strictly between neighbours: no new point", dense, 4, three, 1, 0, 1, 0,
                want_dense, 1);
    const double coarse[] = {0, 0.5, 1}, half[] = {0.5}, want_coarse[] = {0.25, 0.5, 0.75};
    expect_axis("a float step finer than the grid", coarse, 3, half, 1, 0, 0.125, 0, want_coarse,
                3);
    const double stepped[] = {0, 0.25, 0.5, 0.75, 1}, want_stepped[] = {0.5};
    expect_axis("every step already on the grid", stepped, 5, half, 1, 0, 0.25, 0, want_stepped,
                1);
    /* 3 + 2k: the midpoints 6 and 12 are ties, broken toward the best value */
    const double odd[] = {3, 9, 15}, nine[] = {9}, want_odd[] = {7, 9, 11};
    expect_axis("a step's origin is the range's low end", odd, 3, nine, 1, 0, 2, 3, want_odd, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometric_lists),
        cmocka_unit_test(test_log_axis),
        cmocka_unit_test(test_linear_axis),
        cmocka_unit_test(test_lattice_axis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
