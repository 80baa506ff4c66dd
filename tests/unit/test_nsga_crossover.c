/* test_nsga_crossover.c -- the genetic samplers' crossover operators
 * (src/samplers/nsga_crossover.c), one at a time on fixed parents, against the
 * statistics their formulas imply: spx's children uniform in the parents' simplex
 * expanded by epsilon; undx's normal about the first two parents' midpoint with the
 * standard deviations Optuna 3.1 draws (sigma_xi^2 of their distance along their line,
 * sigma_eta^2 of the third parent's distance from it across); vsbx's children beyond the
 * parents nearer them as eta grows, at the analytic mean distance; sbx's inside the
 * bounds whatever eta. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "samplers/nsga_crossover.h"

#include <math.h>
#include <stdio.h>

#define DRAWS 40000

static hps_nsga_operator operator(hps_nsga_crossover kind)
{
    hps_nsga_operator op = {.kind = kind, .swapping_prob = 0.5, .eta = 2, .blx_alpha = 0.5,
                            .spx_epsilon = NAN, .undx_sigma_xi = 0.5, .undx_sigma_eta = NAN};
    return op;
}

static void assert_near(double got, double want, double tolerance, const char *what)
{
    if (!(fabs(got - want) <= tolerance))
        fail_msg("%s: got %.6f, want %.6f +- %.6f", what, got, want, tolerance);
}

/* ---- spx ------------------------------------------------------------------------------ */

/* The barycentric coordinates of x in the triangle a b c (2-D). */
static void barycentric(const double *a, const double *b, const double *c, const double *x,
                        double *w)
{
    double det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1]);
    w[0] = ((b[1] - c[1]) * (x[0] - c[0]) + (c[0] - b[0]) * (x[1] - c[1])) / det;
    w[1] = ((c[1] - a[1]) * (x[0] - c[0]) + (a[0] - c[0]) * (x[1] - c[1])) / det;
    w[2] = 1 - w[0] - w[1];
}

static int inside(const double *w)
{
    return w[0] >= -1e-9 && w[1] >= -1e-9 && w[2] >= -1e-9;
}

/* Draws DRAWS spx children of the triangle p with expansion epsilon (NAN: the default,
 * sqrt(2 + 2) = 2); every one must lie in the expanded triangle. Returns the share that
 * lies in the parents' own, and the children's mean in mean[2]. */
static double spx_draws(double epsilon, double *mean)
{
    const double p[3][2] = {{0.2, 0.2}, {0.6, 0.3}, {0.3, 0.7}};
    const double *parents[3] = {p[0], p[1], p[2]};
    double g[2], v[3][2];
    double e = isnan(epsilon) ? 2 : epsilon;
    for (size_t j = 0; j < 2; j++)
        g[j] = (p[0][j] + p[1][j] + p[2][j]) / 3;
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < 2; j++)
            v[k][j] = g[j] + e * (p[k][j] - g[j]);
    hps_nsga_operator op = operator(HPS_NSGA_SPX);
    op.spx_epsilon = epsilon;
    hps_rng rng;
    hps_rng_seed(&rng, 11);
    size_t in_parents = 0;
    mean[0] = mean[1] = 0;
    for (int i = 0; i < DRAWS; i++) {
        double child[2], w[3];
        hps_nsga_cross(&op, parents, 2, &rng, child);
        barycentric(v[0], v[1], v[2], child, w);
        if (!inside(w))
            fail_msg("child (%.4f, %.4f) outside the expanded simplex", child[0], child[1]);
        barycentric(p[0], p[1], p[2], child, w);
        in_parents += inside(w);
        mean[0] += child[0] / DRAWS;
        mean[1] += child[1] / DRAWS;
    }
    return (double)in_parents / DRAWS;
}

static void test_spx_uniform_in_expanded_simplex(void **state)
{
    (void)state;
    double mean[2];
    /* uniform in a triangle twice the parents' size: its centroid is theirs, and the
     * parents' triangle holds a quarter of it */
    double share = spx_draws(NAN, mean);
    fprintf(stderr, "spx, epsilon auto (2): mean (%.4f, %.4f), in the parents' triangle %.4f\n",
            mean[0], mean[1], share);
    assert_near(mean[0], 1.1 / 3, 0.005, "mean x");
    assert_near(mean[1], 1.2 / 3, 0.005, "mean y");
    assert_near(share, 0.25, 0.01, "share in the parents' triangle");
    /* epsilon 1: the parents' triangle itself */
    share = spx_draws(1, mean);
    assert_near(share, 1, 1e-12, "share in the parents' triangle, epsilon 1");
    assert_near(mean[0], 1.1 / 3, 0.003, "mean x, epsilon 1");
}

/* ---- undx ----------------------------------------------------------------------------- */

typedef struct moments {
    double mean[3], sd[3];
} moments;

static moments undx_draws(const double p[3][3], size_t d, double sigma_xi, double sigma_eta)
{
    const double *parents[3] = {p[0], p[1], p[2]};
    hps_nsga_operator op = operator(HPS_NSGA_UNDX);
    op.undx_sigma_xi = sigma_xi;
    op.undx_sigma_eta = sigma_eta;
    hps_rng rng;
    hps_rng_seed(&rng, 5);
    double sum[3] = {0}, sum2[3] = {0};
    for (int i = 0; i < DRAWS; i++) {
        double child[3];
        hps_nsga_cross(&op, parents, d, &rng, child);
        for (size_t j = 0; j < d; j++) {
            sum[j] += child[j];
            sum2[j] += child[j] * child[j];
        }
    }
    moments m = {{0}, {0}};
    for (size_t j = 0; j < d; j++) {
        m.mean[j] = sum[j] / DRAWS;
        m.sd[j] = sqrt(sum2[j] / DRAWS - m.mean[j] * m.mean[j]);
    }
    return m;
}

static void test_undx_sigmas(void **state)
{
    (void)state;
    /* p0 and p1 on the x axis, 0.4 apart; p2 0.2 from their line */
    const double p[3][3] = {{0.3, 0.5, 0.5}, {0.7, 0.5, 0.5}, {0.5, 0.7, 0.5}};
    moments m = undx_draws(p, 3, 0.5, NAN);
    /* along: sigma_xi^2 * 0.4 = 0.1; across: 0.2 * (0.35 / sqrt(3))^2 = 0.0081667 */
    double across = 0.2 * (0.35 * 0.35 / 3);
    fprintf(stderr, "undx: mean (%.4f, %.4f, %.4f), sd (%.5f, %.5f, %.5f), want (0.1, %.5f, "
            "%.5f)\n", m.mean[0], m.mean[1], m.mean[2], m.sd[0], m.sd[1], m.sd[2], across,
            across);
    for (size_t j = 0; j < 3; j++)
        assert_near(m.mean[j], 0.5, 0.002, "mean");
    assert_near(m.sd[0], 0.1, 0.003, "sd along the line");
    assert_near(m.sd[1], across, 0.03 * across, "sd across (y)");
    assert_near(m.sd[2], across, 0.03 * across, "sd across (z)");
    /* sigma_eta given */
    m = undx_draws(p, 3, 0.5, 0.3);
    assert_near(m.sd[1], 0.2 * 0.09, 0.03 * 0.018, "sd across, sigma_eta 0.3");
    assert_near(m.sd[0], 0.1, 0.003, "sd along, sigma_eta 0.3");
    /* a third parent on the line: no spread across it */
    const double on_line[3][3] = {{0.3, 0.5, 0.5}, {0.7, 0.5, 0.5}, {0.9, 0.5, 0.5}};
    m = undx_draws(on_line, 3, 0.8, NAN);
    assert_near(m.sd[1], 0, 1e-12, "sd across, p2 on the line");
    assert_near(m.sd[0], 0.64 * 0.4, 0.008, "sd along, sigma_xi 0.8");
    /* a line not along an axis: the spread along it shows in both coordinates */
    const double diagonal[3][3] = {{0.3, 0.3, 0}, {0.5, 0.5, 0}, {0.5, 0.3, 0}};
    m = undx_draws(diagonal, 2, 0.5, NAN);
    /* along (1, 1)/sqrt(2): sd 0.25 * |d| = 0.25 * 0.2 sqrt(2); across: D = 0.1 sqrt(2),
     * sd D * 0.35^2 / 2: each coordinate carries half of both variances */
    double along = 0.25 * 0.2 * sqrt(2), off = 0.1 * sqrt(2) * 0.35 * 0.35 / 2;
    double each = sqrt((along * along + off * off) / 2);
    assert_near(m.sd[0], each, 0.03 * each, "sd x, diagonal line");
    assert_near(m.sd[1], each, 0.03 * each, "sd y, diagonal line");
    /* one dimension: xp + xi d only */
    const double one[3][3] = {{0.4, 0, 0}, {0.6, 0, 0}, {0.9, 0, 0}};
    m = undx_draws(one, 1, 0.5, NAN);
    assert_near(m.mean[0], 0.5, 0.001, "mean, one dimension");
    assert_near(m.sd[0], 0.05, 0.0015, "sd, one dimension");
}

/* ---- vsbx and sbx --------------------------------------------------------------------- */

/* vsbx on x1 = 0.4, x2 = 0.6: the share of children outside [0.4, 0.6] (c2, one child
 * in four) and their mean distance from it. */
static double vsbx_beyond(double eta, double *share)
{
    const double x1 = 0.4, x2 = 0.6;
    const double *parents[2] = {&x1, &x2};
    hps_nsga_operator op = operator(HPS_NSGA_VSBX);
    op.eta = eta;
    hps_rng rng;
    hps_rng_seed(&rng, 3);
    double distance = 0;
    size_t beyond = 0;
    for (int i = 0; i < DRAWS; i++) {
        double child;
        hps_nsga_cross(&op, parents, 1, &rng, &child);
        if (child < x1 || child > x2) {
            beyond++;
            distance += child < x1 ? x1 - child : child - x2;
        }
    }
    *share = (double)beyond / DRAWS;
    return beyond > 0 ? distance / (double)beyond : 0;
}

static void test_vsbx_distribution_index(void **state)
{
    (void)state;
    /* c2 = x1 + (1 - beta2) (x1 - x2) / 2 with beta2 = w^a, w uniform in (0, 1/2],
     * a = 1 / (eta + 1): E[beta2] = 0.5^a / (a + 1), so the mean distance beyond the
     * parents is 0.1 (1 - 0.5^a / (a + 1)) */
    double share2, share20;
    double d2 = vsbx_beyond(2, &share2), d20 = vsbx_beyond(20, &share20);
    double a2 = 1.0 / 3, a20 = 1.0 / 21;
    double want2 = 0.1 * (1 - pow(0.5, a2) / (a2 + 1));
    double want20 = 0.1 * (1 - pow(0.5, a20) / (a20 + 1));
    fprintf(stderr, "vsbx: beyond the parents %.4f of children at mean %.5f (eta 2, want "
            "%.5f), %.4f at %.5f (eta 20, want %.5f)\n", share2, d2, want2, share20, d20,
            want20);
    assert_near(share2, 0.25, 0.01, "share beyond, eta 2");
    assert_near(share20, 0.25, 0.01, "share beyond, eta 20");
    assert_near(d2, want2, 0.03 * want2, "mean distance beyond, eta 2");
    assert_near(d20, want20, 0.03 * want20, "mean distance beyond, eta 20");
}

static void test_sbx_inside_bounds(void **state)
{
    (void)state;
    /* parents by the lower bound: sbx folds its spread back inside [0, 1] */
    const double x1[2] = {0.01, 0.97}, x2[2] = {0.05, 0.999};
    const double *parents[2] = {x1, x2};
    hps_rng rng;
    hps_rng_seed(&rng, 9);
    for (double eta = 0.5; eta <= 40; eta *= 3) {
        hps_nsga_operator op = operator(HPS_NSGA_SBX);
        op.eta = eta;
        for (int i = 0; i < DRAWS / 10; i++) {
            double child[2];
            hps_nsga_cross(&op, parents, 2, &rng, child);
            for (size_t j = 0; j < 2; j++)
                if (!(child[j] >= 0 && child[j] <= 1))
                    fail_msg("eta %g: child %.6f outside [0, 1]", eta, child[j]);
        }
    }
}

static void test_parents(void **state)
{
    (void)state;
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_UNIFORM), 2);
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_SBX), 2);
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_VSBX), 2);
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_BLX_ALPHA), 2);
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_SPX), 3);
    assert_int_equal(hps_nsga_operator_parents(HPS_NSGA_UNDX), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spx_uniform_in_expanded_simplex),
        cmocka_unit_test(test_undx_sigmas),
        cmocka_unit_test(test_vsbx_distribution_index),
        cmocka_unit_test(test_sbx_inside_bounds),
        cmocka_unit_test(test_parents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
