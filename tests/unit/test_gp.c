/* test_gp.c -- the Gaussian-process sampler: its mathematics checked against finite
 * differences and hand-worked cases (kernel, likelihood gradient, posterior, log EI),
 * the linear algebra on singular input, the output transform on hostile values, and the
 * sampler through the public API: options, start-up, validity of every suggestion in
 * mixed spaces, ill-conditioned histories, parallel asks, determinism, out-of-memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/dist.h"
#include "base/mem.h"
#include "hpsearch.h"
#include "testutil.h"
#include "testutil_sampler.h"
#include "testutil_objectives.h"
#include "samplers/gp/acquisition.h"
#include "samplers/gp/kernel.h"
#include "samplers/gp/linalg.h"
#include "samplers/gp/model.h"
#include "samplers/gp/transform.h"
#include "samplers/sampler.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |a - b| <= tol * max(1, |a|, |b|), printing both sides. */
#define ASSERT_CLOSE(a, b, tol)                                                           \
    do {                                                                                  \
        double a_ = (a), b_ = (b);                                                        \
        double s_ = fmax(1.0, fmax(fabs(a_), fabs(b_)));                                  \
        if (!(fabs(a_ - b_) <= (tol) * s_))                                               \
            fail_msg("%s = %.17g but %s = %.17g (tolerance %g)", #a, a_, #b, b_, (double)(tol)); \
    } while (0)

/* ---- kernel --------------------------------------------------------------------------- */

static void test_kernel_values(void **state)
{
    (void)state;
    assert_true(gp_matern52(0) == 1.0);
    double s5 = sqrt(5.0);
    ASSERT_CLOSE(gp_matern52(1), (1 + s5 + 5.0 / 3) * exp(-s5), 1e-15);
    unsigned char cat[3] = {0, 1, 0};
    double inv_ls2[3] = {4.0, 1.0 / 0.25, 1.0};
    gp_kernel k = {.d = 3, .categorical = cat, .inv_ls2 = inv_ls2, .signal = 2.0};
    double x[3] = {0.1, 2, 0.5}, y[3] = {0.4, 2, 0.5}, z[3] = {0.4, 1, 0.5};
    /* same category: only the numeric distance counts */
    ASSERT_CLOSE(gp_kernel_r2(&k, x, y), 0.09 * 4, 1e-15);
    /* another category: Hamming distance 1 scaled by its lengthscale */
    ASSERT_CLOSE(gp_kernel_r2(&k, x, z), 0.09 * 4 + 4.0, 1e-15);
    ASSERT_CLOSE(gp_kernel_eval(&k, x, y), 2.0 * gp_matern52(sqrt(0.36)), 1e-15);
    ASSERT_CLOSE(gp_kernel_eval(&k, x, x), 2.0, 0);
    /* symmetric matrix with the signal on the diagonal */
    double pts[9] = {0.1, 2, 0.5, 0.4, 2, 0.5, 0.4, 1, 0.5}, kmat[9], g[9];
    gp_kernel_matrix(&k, pts, 3, kmat, g);
    for (int i = 0; i < 3; i++) {
        ASSERT_CLOSE(kmat[i * 3 + i], 2.0, 0);
        for (int j = 0; j < 3; j++) {
            ASSERT_CLOSE(kmat[i * 3 + j], kmat[j * 3 + i], 0);
            ASSERT_CLOSE(kmat[i * 3 + j], gp_kernel_eval(&k, pts + 3 * i, pts + 3 * j), 1e-15);
            double r = sqrt(gp_kernel_r2(&k, pts + 3 * i, pts + 3 * j));
            ASSERT_CLOSE(g[i * 3 + j], 2.0 * gp_matern52_g(r), 1e-15);
        }
    }
}

/* Conditional dims (NaN = inactive): the arc embedding's distances, and a covariance
 * over active and inactive points that a Cholesky factorization accepts. */
static void test_conditional_kernel(void **state)
{
    (void)state;
    const double pi = 3.14159265358979323846, radius2 = 4 / (pi * pi);
    /* close active values are (u - u')^2 apart, as in a plain numeric dim */
    ASSERT_CLOSE(gp_kernel_delta2(GP_KERNEL_ARC, 0.30, 0.31), 1e-4, 1e-8);
    ASSERT_CLOSE(gp_kernel_delta2(GP_KERNEL_ARC, 0.0, 1.0), 2 * radius2 * 2 * 0.5, 1e-12);
    /* inactive: the arc's centre, equally far from every active value */
    ASSERT_CLOSE(gp_kernel_delta2(GP_KERNEL_ARC, NAN, 0.1), radius2, 1e-15);
    ASSERT_CLOSE(gp_kernel_delta2(GP_KERNEL_ARC, 0.9, NAN), radius2, 1e-15);
    assert_true(gp_kernel_delta2(GP_KERNEL_ARC, NAN, NAN) == 0);
    /* categorical: inactive is one more choice */
    assert_true(gp_kernel_delta2(GP_KERNEL_CATEGORICAL, NAN, NAN) == 0);
    assert_true(gp_kernel_delta2(GP_KERNEL_CATEGORICAL, NAN, 1) == 1);
    assert_true(gp_kernel_delta2(GP_KERNEL_CATEGORICAL, 2, 2) == 0);
    unsigned char kind[3] = {GP_KERNEL_NUMERIC, GP_KERNEL_CATEGORICAL, GP_KERNEL_ARC};
    double inv_ls2[3] = {25.0, 4.0, 100.0}; /* short lengthscales: a stiff test */
    gp_kernel k = {.d = 3, .categorical = kind, .inv_ls2 = inv_ls2, .signal = 1.0};
    enum { N = 40 };
    double pts[3 * N], kmat[N * N];
    for (int i = 0; i < N; i++) {
        pts[3 * i] = (double)(i % 7) / 6;
        pts[3 * i + 1] = i % 3 == 0 ? NAN : (double)(i % 2);
        pts[3 * i + 2] = i % 4 == 0 ? NAN : (double)((i * 13) % 17) / 16;
    }
    gp_kernel_matrix(&k, pts, N, kmat, NULL);
    for (int i = 0; i < N; i++)
        kmat[i * N + i] += 1e-9;
    double *chol = hps_mem_calloc(N * N, sizeof *chol);
    assert_non_null(chol);
    assert_int_equal(gp_cholesky(kmat, N, chol, NULL), 0);
    hps_mem_free(chol);
}

static void test_kernel_gradient_fd(void **state)
{
    (void)state;
    unsigned char cat[3] = {0, 1, 0};
    double inv_ls2[3] = {1 / 0.09, 1.0, 1 / 0.5};
    gp_kernel k = {.d = 3, .categorical = cat, .inv_ls2 = inv_ls2, .signal = 1.7};
    double data[12] = {0.1, 0, 0.9, 0.35, 1, 0.2, 0.8, 0, 0.55, 0.3, 1, 0.2};
    double w[8] = {0.3, -1.2, 0.7, 2.0, -0.5, 0.25, 1.5, -0.8};
    /* includes a point on top of a data point (r = 0 in the numeric dims) */
    double points[2][3] = {{0.33, 1, 0.41}, {0.35, 1, 0.2}};
    for (int pi = 0; pi < 2; pi++) {
        double *c = points[pi];
        double kv[4], g[4], grad[6];
        gp_kernel_vector(&k, data, 4, c, kv, g);
        gp_kernel_grad_point(&k, data, 4, c, g, w, 2, grad);
        for (int t = 0; t < 2; t++) {
            for (int j = 0; j < 3; j++) {
                if (cat[j]) {
                    assert_true(grad[t * 3 + j] == 0);
                    continue;
                }
                double h = 1e-6, f[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    double cc[3] = {c[0], c[1], c[2]};
                    cc[j] += sgn ? h : -h;
                    double kk[4];
                    gp_kernel_vector(&k, data, 4, cc, kk, NULL);
                    f[sgn] = 0;
                    for (int i = 0; i < 4; i++)
                        f[sgn] += w[t * 4 + i] * kk[i];
                }
                ASSERT_CLOSE(grad[t * 3 + j], (f[1] - f[0]) / (2 * h), 1e-6);
            }
        }
    }
}

/* A model over 12 points of a 3-D mixed space (one categorical dim). */
static void small_model(gp_model *m, size_t n)
{
    unsigned char cat[3] = {0, 0, 1};
    assert_int_equal(gp_model_init(m, 3, cat), 0);
    double x[3 * 40], y[40];
    for (size_t i = 0; i < n; i++) {
        x[3 * i] = fmod(0.37 * (double)i + 0.11, 1.0);
        x[3 * i + 1] = fmod(0.61 * (double)i + 0.05, 1.0);
        x[3 * i + 2] = (double)(i % 3);
        y[i] = sin(4 * x[3 * i]) + x[3 * i + 1] * x[3 * i + 1] + 0.3 * x[3 * i + 2] - 0.5;
    }
    assert_int_equal(gp_model_set_data(m, x, y, n), 0);
}

static void test_likelihood_gradient_fd(void **state)
{
    (void)state;
    gp_model m;
    small_model(&m, 12);
    double theta[5] = {log(0.3), log(0.7), log(1.3), log(0.8), log(0.02)};
    double grad[5];
    for (int fit_noise = 0; fit_noise < 2; fit_noise++) {
        double f0 = gp_model_neg_log_posterior(&m, theta, fit_noise, grad);
        assert_true(isfinite(f0));
        ASSERT_CLOSE(gp_model_neg_log_posterior(&m, theta, fit_noise, NULL), f0, 1e-12);
        for (int j = 0; j < 5; j++) {
            double h = 1e-5, t[5];
            memcpy(t, theta, sizeof t);
            t[j] += h;
            double fp = gp_model_neg_log_posterior(&m, t, fit_noise, NULL);
            t[j] -= 2 * h;
            double fm = gp_model_neg_log_posterior(&m, t, fit_noise, NULL);
            double fd = (fp - fm) / (2 * h);
            if (j == 4 && !fit_noise)
                assert_true(grad[j] == 0); /* the noise is not a variable then */
            else
                ASSERT_CLOSE(grad[j], fd, 1e-5);
        }
    }
    /* the fit lowers the objective from its start and stays inside the bounds */
    double start[5] = {log(0.5), log(0.5), log(0.5), 0, log(1e-3)};
    double before = gp_model_neg_log_posterior(&m, start, 1, NULL);
    gp_fit_options opt = {.fit_noise = 1, .fixed_noise = GP_MIN_NOISE, .max_evals = 60};
    assert_int_equal(gp_model_fit(&m, &opt, start), 0);
    assert_true(gp_model_neg_log_posterior(&m, start, 1, NULL) < before);
    for (int j = 0; j < 3; j++)
        assert_true(start[j] >= log(GP_MIN_LENGTHSCALE) - 1e-12 &&
                    start[j] <= log(GP_MAX_LENGTHSCALE) + 1e-12);
    assert_true(start[4] >= log(GP_MIN_NOISE) - 1e-12 && start[4] <= log(GP_MAX_NOISE) + 1e-12);
    gp_model_clear(&m);
}

/* Input warping: the likelihood's gradient with respect to every entry (the warps'
 * included) and the posterior's gradient with respect to the point match finite
 * differences; appended fantasies agree with a refactorization; the identity warp
 * (a = b = 1) gives the unwarped model's posterior; categorical warps stay at 0. */
static void test_input_warping(void **state)
{
    (void)state;
    gp_model m;
    small_model(&m, 12);
    double xs[36], ys[12];
    memcpy(xs, m.x, sizeof xs);
    memcpy(ys, m.y, sizeof ys);
    assert_int_equal(gp_model_use_warping(&m), 0);
    assert_int_equal(gp_model_theta_len(&m), 11);
    assert_int_equal(gp_model_set_data(&m, xs, ys, 12), 0);
    /* ls (3), signal, noise, (log a, log b) for x0, x1 and the categorical x2 */
    double theta[11] = {log(0.3), log(0.7), log(1.3), log(0.8), log(0.02),
                        0.7, -0.4, -0.9, 1.1, 0, 0};
    double grad[11];
    double f0 = gp_model_neg_log_posterior(&m, theta, 1, grad);
    assert_true(isfinite(f0));
    for (int j = 0; j < 9; j++) {
        double h = 1e-5, t[11];
        memcpy(t, theta, sizeof t);
        t[j] += h;
        double fp = gp_model_neg_log_posterior(&m, t, 1, NULL);
        t[j] -= 2 * h;
        double fm = gp_model_neg_log_posterior(&m, t, 1, NULL);
        ASSERT_CLOSE(grad[j], (fp - fm) / (2 * h), 1e-5);
    }
    /* posterior gradient in the warped model, inside and near the bounds */
    assert_int_equal(gp_model_factor(&m, theta), 0);
    const double points[][3] = {{0.3, 0.6, 1}, {0.02, 0.97, 0}, {0.999, 0.001, 2}};
    for (size_t i = 0; i < 3; i++) {
        double c[3], mean, var, dmean[3], dvar[3];
        memcpy(c, points[i], sizeof c);
        gp_model_predict_grad(&m, c, &mean, &var, dmean, dvar);
        double mean_b, var_b;
        gp_model_predict(&m, c, 1, &mean_b, &var_b);
        ASSERT_CLOSE(mean, mean_b, 1e-12);
        ASSERT_CLOSE(var, var_b, 1e-10);
        for (int j = 0; j < 2; j++) {
            double h = 1e-7, cp[3], cm[3], mp, vp, mm, vm;
            memcpy(cp, c, sizeof cp);
            memcpy(cm, c, sizeof cm);
            cp[j] += h;
            cm[j] -= h;
            gp_model_predict(&m, cp, 1, &mp, &vp);
            gp_model_predict(&m, cm, 1, &mm, &vm);
            ASSERT_CLOSE(dmean[j], (mp - mm) / (2 * h), 1e-5);
            ASSERT_CLOSE(dvar[j], (vp - vm) / (2 * h), 1e-5);
        }
    }
    /* fantasies appended = the same points factored with the rest */
    double extra[6] = {0.5, 0.5, 1, 0.9, 0.1, 0}, extra_y[2] = {0.3, -0.2};
    assert_int_equal(gp_model_append(&m, extra, extra_y, 2), 0);
    gp_model all;
    small_model(&all, 12);
    assert_int_equal(gp_model_use_warping(&all), 0);
    double xa[42], ya[14];
    memcpy(xa, xs, sizeof xs);
    memcpy(xa + 36, extra, sizeof extra);
    memcpy(ya, ys, sizeof ys);
    memcpy(ya + 12, extra_y, sizeof extra_y);
    assert_int_equal(gp_model_set_data(&all, xa, ya, 14), 0);
    assert_int_equal(gp_model_factor(&all, theta), 0);
    double q[3] = {0.45, 0.2, 1}, m1, v1, m2, v2;
    gp_model_predict(&m, q, 1, &m1, &v1);
    gp_model_predict(&all, q, 1, &m2, &v2);
    ASSERT_CLOSE(m1, m2, 1e-9);
    ASSERT_CLOSE(v1, v2, 1e-9);
    gp_model_clear(&all);
    /* the identity warp: the plain model's posterior, up to the [eps, 1 - eps] map */
    gp_model plain;
    small_model(&plain, 12);
    double identity[11] = {log(0.3), log(0.7), log(1.3), log(0.8), log(0.02), 0, 0, 0, 0, 0, 0};
    assert_int_equal(gp_model_set_data(&m, xs, ys, 12), 0);
    assert_int_equal(gp_model_factor(&m, identity), 0);
    assert_int_equal(gp_model_factor(&plain, identity), 0);
    gp_model_predict(&m, q, 1, &m1, &v1);
    gp_model_predict(&plain, q, 1, &m2, &v2);
    ASSERT_CLOSE(m1, m2, 1e-5);
    ASSERT_CLOSE(v1, v2, 1e-5);
    gp_model_clear(&plain);
    /* the fit moves the numeric warps within their bounds, never the categorical one */
    double start[11] = {log(0.5), log(0.5), log(0.5), 0, log(1e-3), 0, 0, 0, 0, 0.3, -0.3};
    double before = gp_model_neg_log_posterior(&m, start, 1, NULL);
    gp_fit_options opt = {.fit_noise = 1, .fixed_noise = GP_MIN_NOISE, .max_evals = 80};
    assert_int_equal(gp_model_fit(&m, &opt, start), 0);
    assert_true(gp_model_neg_log_posterior(&m, start, 1, NULL) < before);
    for (int j = 5; j < 9; j++)
        assert_true(fabs(start[j]) <= GP_MAX_LOG_WARP + 1e-12);
    assert_true(start[9] == 0 && start[10] == 0);
    gp_model_clear(&m);
}

/* Two observations in 1-D, by hand: K = [[s + v, c], [c, s + v]] with c = k(x1, x2),
 * K^-1 = [[a, -c], [-c, a]] / (a^2 - c^2), a = s + v. */
static void test_posterior_hand_worked(void **state)
{
    (void)state;
    unsigned char cat[1] = {0};
    gp_model m;
    assert_int_equal(gp_model_init(&m, 1, cat), 0);
    double x[2] = {0.0, 0.5}, y[2] = {1.0, -1.0};
    assert_int_equal(gp_model_set_data(&m, x, y, 2), 0);
    double ls = 0.3, s = 1.5, v = 0.01;
    double theta[3] = {log(ls), log(s), log(v)};
    assert_int_equal(gp_model_factor(&m, theta), 0);
    double a = s + v, c = s * gp_matern52(0.5 / ls), det = a * a - c * c;
    double xs = 0.2;
    double k1 = s * gp_matern52(0.2 / ls), k2 = s * gp_matern52(0.3 / ls);
    /* alpha = K^-1 y */
    double al1 = (a * y[0] - c * y[1]) / det, al2 = (-c * y[0] + a * y[1]) / det;
    double mean_expected = k1 * al1 + k2 * al2;
    double var_expected = s - (a * k1 * k1 - 2 * c * k1 * k2 + a * k2 * k2) / det;
    double mean, var;
    gp_model_predict(&m, &xs, 1, &mean, &var);
    ASSERT_CLOSE(mean, mean_expected, 1e-12);
    ASSERT_CLOSE(var, var_expected, 1e-12);
    double mean2, var2, dmean, dvar;
    gp_model_predict_grad(&m, &xs, &mean2, &var2, &dmean, &dvar);
    ASSERT_CLOSE(mean2, mean_expected, 1e-12);
    ASSERT_CLOSE(var2, var_expected, 1e-10);
    double h = 1e-6, xp = xs + h, xm = xs - h, mp, vp, mm, vm;
    gp_model_predict(&m, &xp, 1, &mp, &vp);
    gp_model_predict(&m, &xm, 1, &mm, &vm);
    ASSERT_CLOSE(dmean, (mp - mm) / (2 * h), 1e-6);
    ASSERT_CLOSE(dvar, (vp - vm) / (2 * h), 1e-6);
    /* far away: the prior */
    double far = 50;
    gp_model_predict(&m, &far, 1, &mean, &var);
    ASSERT_CLOSE(mean, 0, 1e-12);
    ASSERT_CLOSE(var, s, 1e-12);
    gp_model_clear(&m);
}

/* Why the GP proposes points on the range bounds (bench/gp.md, "Proposals on the range
 * bounds"): not its maximizer, but the acquisition itself, whose maximum sits on the
 * face when the data are inside -- the posterior sd grows away from the data up to the
 * face. Dim 0 is a bowl at 0.4, dim 1 has no effect and its observations are mid-range:
 * log EI over a 101 x 101 grid is largest on the face x1 = 0, and the maximizer returns
 * that face exactly (not 1e-3 inside it), at a value no grid point beats. A change that
 * keeps proposals off the faces makes an optimum on a face unreachable: it has to show
 * up here, and in the bench, as a decision. */
static void test_acquisition_maximum_on_a_face(void **state)
{
    (void)state;
    unsigned char cat[2] = {0, 0};
    gp_model m;
    assert_int_equal(gp_model_init(&m, 2, cat), 0);
    double x[16], y[8];
    for (int i = 0; i < 8; i++) {
        x[2 * i] = (i + 0.5) / 8;
        x[2 * i + 1] = 0.35 + 0.3 * ((i * 5) % 8) / 7.0;
        y[i] = 4 * (x[2 * i] - 0.4) * (x[2 * i] - 0.4) - 0.5;
    }
    assert_int_equal(gp_model_set_data(&m, x, y, 8), 0);
    double theta[4] = {log(0.2), log(2.0), log(1.0), log(1e-4)};
    assert_int_equal(gp_model_factor(&m, theta), 0);
    double best = y[0];
    size_t best_i = 0;
    for (size_t i = 1; i < 8; i++)
        if (y[i] < best) {
            best = y[i];
            best_i = i;
        }
    double grid_max = -HUGE_VAL, grid_x1 = NAN;
    for (int i = 0; i <= 100; i++) {
        for (int k = 0; k <= 100; k++) {
            double pt[2] = {i / 100.0, k / 100.0}, mean, var;
            gp_model_predict(&m, pt, 1, &mean, &var);
            double v = gp_log_ei(mean, var, best);
            if (v > grid_max) {
                grid_max = v;
                grid_x1 = pt[1];
            }
        }
    }
    assert_true(grid_x1 == 0.0);
    gp_dim dims[2] = {{.kind = GP_DIM_CONTINUOUS}, {.kind = GP_DIM_CONTINUOUS}};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        gp_acq_problem p = {.model = &m, .dims = dims, .best = best, .taken = x, .n_taken = 8,
                            .seeds = x + 2 * best_i, .n_seeds = 1, .seed = seed,
                            .n_candidates = 256, .n_local = 4, .local_evals = 100};
        double out[2], value;
        assert_int_equal(gp_acq_optimize(&p, out, &value), 0);
        assert_true(out[1] == 0.0);
        assert_true(out[0] > 0.3 && out[0] < 0.5);
        assert_true(value >= grid_max - 1e-9);
    }
    gp_model_clear(&m);
}

/* Appending fantasies extends the factor; it must agree with factoring everything. */
static void test_append_equals_refactor(void **state)
{
    (void)state;
    gp_model a, b;
    small_model(&a, 12);
    small_model(&b, 16);
    double theta[5] = {log(0.4), log(0.6), log(1.0), 0.0, log(1e-3)};
    assert_int_equal(gp_model_factor(&a, theta), 0);
    assert_int_equal(gp_model_factor(&b, theta), 0);
    assert_int_equal(gp_model_append(&a, b.x + 12 * 3, b.y + 12, 4), 0);
    assert_int_equal(a.n, 16);
    double c[3 * 3] = {0.2, 0.9, 1, 0.75, 0.1, 0, 0.5, 0.5, 2};
    double ma[3], va[3], mb[3], vb[3];
    gp_model_predict(&a, c, 3, ma, va);
    gp_model_predict(&b, c, 3, mb, vb);
    for (int i = 0; i < 3; i++) {
        ASSERT_CLOSE(ma[i], mb[i], 1e-9);
        ASSERT_CLOSE(va[i], vb[i], 1e-9);
    }
    for (int i = 0; i < 16; i++)
        ASSERT_CLOSE(a.alpha[i], b.alpha[i], 1e-8);
    gp_model_clear(&a);
    gp_model_clear(&b);
}

/* ---- log EI --------------------------------------------------------------------------- */

static double direct_h(double z)
{
    double pdf = exp(-0.5 * z * z) / sqrt(2 * M_PI);
    double cdf = 0.5 * erfc(-z / sqrt(2.0));
    return pdf + z * cdf;
}

static void test_log_h(void **state)
{
    (void)state;
    /* against the direct formula where it is stable */
    for (double z = -5; z <= 5; z += 0.125) {
        double r_cdf, r_pdf;
        double lh = gp_log_h(z, &r_cdf, &r_pdf);
        ASSERT_CLOSE(lh, log(direct_h(z)), 1e-10);
        double cdf = 0.5 * erfc(-z / sqrt(2.0));
        ASSERT_CLOSE(r_cdf, cdf / direct_h(z), 1e-9);
        ASSERT_CLOSE(r_pdf, exp(-0.5 * z * z) / sqrt(2 * M_PI) / direct_h(z), 1e-9);
    }
    /* where the direct formula has lost all digits (h underflows to 0 near z = -38),
     * log h is finite, increasing, with a derivative near -z */
    double prev = -HUGE_VAL;
    for (double z = -1e8; z < 10; z = z < -100 ? z / 3 : z + 0.37) {
        double r_cdf, r_pdf;
        double lh = gp_log_h(z, &r_cdf, &r_pdf);
        assert_true(isfinite(lh) && isfinite(r_cdf) && isfinite(r_pdf));
        assert_true(lh > prev);
        assert_true(r_cdf > 0 && r_pdf > 0);
        if (z < -10)
            ASSERT_CLOSE(r_cdf, -z, 0.02);
        prev = lh;
    }
    /* the branches meet: values and derivatives agree on both sides of z = -1 and
     * z = -30 (one ulp apart) */
    double edges[2] = {-1.0, -30.0};
    for (int e = 0; e < 2; e++) {
        double below = nextafter(edges[e], -HUGE_VAL), above = nextafter(edges[e], HUGE_VAL);
        double ra, rb, pa, pb;
        double la = gp_log_h(below, &ra, &pa), lb = gp_log_h(above, &rb, &pb);
        ASSERT_CLOSE(la, lb, 1e-12);
        ASSERT_CLOSE(ra, rb, 1e-10);
        ASSERT_CLOSE(pa, pb, 1e-10);
    }
    ASSERT_CLOSE(gp_log_h(-1.0, NULL, NULL), log(direct_h(-1.0)), 1e-13);
    /* derivative against finite differences in every branch */
    double zs[6] = {3.0, -0.5, -2.5, -12.0, -29.0, -45.0};
    for (int i = 0; i < 6; i++) {
        double h = 1e-6 * fmax(1, fabs(zs[i])), r;
        gp_log_h(zs[i], &r, NULL);
        double fd = (gp_log_h(zs[i] + h, NULL, NULL) - gp_log_h(zs[i] - h, NULL, NULL)) / (2 * h);
        ASSERT_CLOSE(r, fd, 1e-6);
    }
    /* log EI: the log of sigma h(z), minimizing, and its gradient by the chain rule */
    double mean = 0.3, var = 0.04, best = 0.1;
    ASSERT_CLOSE(gp_log_ei(mean, var, best), log(0.2 * direct_h((best - mean) / 0.2)), 1e-12);
    double dmean[2] = {0.7, -1.1}, dvar[2] = {0.02, 0.05}, grad[2];
    double v0 = gp_log_ei_grad(mean, var, dmean, dvar, 2, best, grad);
    ASSERT_CLOSE(v0, gp_log_ei(mean, var, best), 1e-14);
    for (int j = 0; j < 2; j++) {
        double h = 1e-6;
        double fp = gp_log_ei(mean + h * dmean[j], var + h * dvar[j], best);
        double fm = gp_log_ei(mean - h * dmean[j], var - h * dvar[j], best);
        ASSERT_CLOSE(grad[j], (fp - fm) / (2 * h), 1e-6);
    }
}

/* ---- linear algebra and transform ----------------------------------------------------- */

static void test_cholesky_jitter(void **state)
{
    (void)state;
    /* three identical points: rank one */
    double a[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, l[9], jitter;
    assert_int_equal(gp_cholesky(a, 3, l, &jitter), 0);
    assert_true(jitter > 0 && jitter <= GP_JITTER_MAX);
    for (int i = 0; i < 3; i++)
        assert_true(isfinite(l[i * 3 + i]) && l[i * 3 + i] > 0);
    /* positive definite: no jitter, and L L^T = A */
    double b[4] = {4, 2, 2, 3};
    assert_int_equal(gp_cholesky(b, 2, l, &jitter), 0);
    assert_true(jitter == 0);
    ASSERT_CLOSE(l[0] * l[0], 4, 1e-15);
    ASSERT_CLOSE(l[1] * l[1] + l[3] * l[3], 3, 1e-15);
    /* non-finite input is refused, not factored */
    double c[4] = {1, NAN, NAN, 1};
    assert_int_equal(gp_cholesky(c, 2, l, NULL), -1);
    double d[4] = {INFINITY, 0, 0, 1};
    assert_int_equal(gp_cholesky(d, 2, l, NULL), -1);
    /* hopeless even with the largest jitter: strongly negative definite */
    double e[4] = {-1, 0, 0, -1};
    assert_int_equal(gp_cholesky(e, 2, l, NULL), -1);
}

static void test_transform(void **state)
{
    (void)state;
    double y[8], scratch[8];
    double same[4] = {2.5, 2.5, 2.5, 2.5};
    assert_int_equal(gp_transform_losses(same, 4, GP_WARP_ROBUST, y, scratch), 1);
    for (int i = 0; i < 4; i++)
        assert_true(y[i] == 0);
    double inf_only[2] = {INFINITY, -INFINITY};
    assert_int_equal(gp_transform_losses(inf_only, 2, GP_WARP_ROBUST, y, scratch), 1);
    /* a catastrophe among ordinary losses: fenced, the others keep their spread and
     * their order, and +inf/NaN rank worst, -inf best */
    double losses[8] = {0.52, 0.48, 1e12, 0.61, INFINITY, 0.45, NAN, -INFINITY};
    assert_int_equal(gp_transform_losses(losses, 8, GP_WARP_ROBUST, y, scratch), 0);
    for (int i = 0; i < 8; i++)
        assert_true(isfinite(y[i]));
    assert_true(y[1] < y[0] && y[0] < y[3] && y[5] < y[1]);
    assert_true(y[7] <= y[5]);
    assert_true(y[2] >= y[3] && y[4] >= y[3] && y[6] >= y[3]);
    /* the ordinary losses are not squashed together by the outliers (3 of 8 values),
     * as plain standardization squashes them */
    assert_true(y[3] - y[5] > 0.2);
    double plain[8];
    assert_int_equal(gp_transform_losses(losses, 8, GP_WARP_STANDARDIZE, plain, scratch), 0);
    assert_true(plain[3] - plain[5] < 1e-9);
    /* the catastrophes stay within GP_BAD_CAP good-half spreads of the median */
    assert_true((y[2] - y[3]) / (y[3] - y[5]) < GP_BAD_CAP);
    /* huge common offset: differences of units survive */
    double big[4] = {1e12 + 3, 1e12 + 1, 1e12 + 2, 1e12};
    assert_int_equal(gp_transform_losses(big, 4, GP_WARP_STANDARDIZE, y, scratch), 0);
    assert_true(y[3] < y[1] && y[1] < y[2] && y[2] < y[0]);
    ASSERT_CLOSE(y[0] - y[2], y[2] - y[1], 1e-9);
    /* standardized: mean 0, sd 1 */
    double mean = 0, sq = 0;
    for (int i = 0; i < 4; i++) {
        mean += y[i] / 4;
        sq += y[i] * y[i] / 4;
    }
    ASSERT_CLOSE(mean, 0, 1e-12);
    ASSERT_CLOSE(sq, 1, 1e-12);
}

/* The shift puts the q quantile of the targets at 0 (linear between order statistics)
 * and moves nothing else: order and spacing stay. */
static void test_shift_to_quantile(void **state)
{
    (void)state;
    double y[8] = {3, 1, 4, 1, 5, 9, 2, 6}, before[8], scratch[8];
    memcpy(before, y, sizeof y);
    /* sorted 1 1 2 3 4 5 6 9: the 0.75 quantile is 5 + 0.25 (6 - 5), at 5.25 of 7 */
    gp_transform_shift_to_quantile(y, 8, GP_PRIOR_MEAN_QUANTILE, scratch);
    for (int i = 0; i < 8; i++)
        ASSERT_CLOSE(y[i], before[i] - 5.25, 1e-15);
    /* a quantile that falls on an order statistic, and the two ends */
    double z[5] = {0.5, -1, 2, 0, 1};
    gp_transform_shift_to_quantile(z, 5, 0.75, scratch); /* position 3 of 4: 1 */
    ASSERT_CLOSE(z[4], 0, 1e-15);
    ASSERT_CLOSE(z[2], 1, 1e-15);
    gp_transform_shift_to_quantile(z, 5, 1.0, scratch);  /* the largest goes to 0 */
    ASSERT_CLOSE(z[2], 0, 1e-15);
    gp_transform_shift_to_quantile(z, 5, 0.0, scratch);  /* the smallest goes to 0 */
    ASSERT_CLOSE(z[1], 0, 1e-15);
    ASSERT_CLOSE(z[2], 3, 1e-15);
    /* one target: it is its own quantile */
    double one[1] = {-0.7};
    gp_transform_shift_to_quantile(one, 1, 0.75, scratch);
    assert_true(one[0] == 0);
    /* after the robust transform: the upper quartile of the targets sits at 0, three
     * quarters of them at or below it, and the best is still the smallest */
    double losses[8] = {0.52, 0.48, 1e12, 0.61, 0.7, 0.45, 0.9, 0.3}, t[8];
    assert_int_equal(gp_transform_losses(losses, 8, GP_WARP_ROBUST, t, scratch), 0);
    gp_transform_shift_to_quantile(t, 8, GP_PRIOR_MEAN_QUANTILE, scratch);
    int at_or_below = 0;
    for (int i = 0; i < 8; i++) {
        at_or_below += t[i] <= 0;
        if (i != 7)
            assert_true(t[7] < t[i]);
    }
    assert_int_equal(at_or_below, 6); /* 5.25 of 7: six order statistics lie below */
}

/* ---- the sampler through the public API ---------------------------------------------- */

static hps_study *gp_study(const char *seed, const char **options, hps_direction dir)
{
    hps_study *study;
    char err[256];
    if (hps_study_open(":memory:", "gp", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new("gp", &sampler, err, sizeof err));
    if (seed != NULL)
        ASSERT_OK(hps_sampler_set(sampler, "seed", seed));
    for (size_t i = 0; options != NULL && options[i] != NULL; i += 2)
        ASSERT_OK(hps_sampler_set(sampler, options[i], options[i + 1]));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

static void test_options(void **state)
{
    (void)state;
    hps_sampler *s;
    char err[256];
    ASSERT_OK(hps_sampler_new("gp", &s, err, sizeof err));
    assert_string_equal(hps_sampler_name(s), "gp");
    ASSERT_OK(hps_sampler_set(s, "n_startup_trials", "5"));
    ASSERT_OK(hps_sampler_set(s, "n_startup_trials", "auto"));
    ASSERT_OK(hps_sampler_set(s, "n_startup_trials", "0"));
    ASSERT_OK(hps_sampler_set(s, "deterministic_objective", "true"));
    ASSERT_OK(hps_sampler_set(s, "deterministic_objective", "no"));
    ASSERT_OK(hps_sampler_set(s, "input_warping", "false"));
    ASSERT_OK(hps_sampler_set(s, "input_warping", "true"));
    ASSERT_OK(hps_sampler_set(s, "n_candidates", "16"));
    ASSERT_OK(hps_sampler_set(s, "n_local_search", "0"));
    ASSERT_OK(hps_sampler_set(s, "max_observations", "2000"));
    ASSERT_OK(hps_sampler_set(s, "output_transform", "standardize"));
    const char *bad[][2] = {{"n_startup_trials", "-1"}, {"n_startup_trials", "five"},
                            {"n_startup_trials", "99999999999"}, {"n_startup_trials", ""},
                            {"deterministic_objective", "maybe"}, {"input_warping", "2"},
                            {"n_candidates", "0"},
                            {"n_candidates", "15"}, {"n_candidates", "1e3"},
                            {"n_local_search", "65"}, {"max_observations", "15"},
                            {"max_observations", "2001"}, {"output_transform", "rank"},
                            {"no_such_option", "1"}, {"seed", "-3"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hps_sampler_set(s, bad[i][0], bad[i][1]), HPS_ERR_INVALID);
        /* the message names what was wrong */
        assert_non_null(strstr(hps_sampler_errmsg(s), bad[i][0]));
    }
    assert_int_equal(hps_sampler_set(s, NULL, "1"), HPS_ERR_INVALID);
    hps_sampler_free(s);
    hps_sampler_free(NULL);
}

/* The suggestions of two studies, trial by trial, parameter by parameter. */
static double quadratic_2d(hps_trial *t, double *x, double *y)
{
    ASSERT_OK(hps_trial_suggest_float(t, "x", -2, 3, 0, 0, x));
    ASSERT_OK(hps_trial_suggest_float(t, "y", 1e-3, 10, 0, HPS_LOG, y));
    double ly = log10(*y);
    return (*x - 0.7) * (*x - 0.7) + (ly - 0.2) * (ly - 0.2);
}

static void test_startup_is_sobol_and_deterministic(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "4", NULL};
    hps_study *a = gp_study("7", opts, HPS_MINIMIZE), *b = gp_study("7", opts, HPS_MINIMIZE);
    hps_study *sobol;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "s", HPS_OPEN_CREATE, &dir, 1, &sobol, err, sizeof err));
    hps_sampler *ss;
    ASSERT_OK(hps_sampler_new("sobol", &ss, err, sizeof err));
    ASSERT_OK(hps_sampler_set(ss, "seed", "7"));
    ASSERT_OK(hps_study_set_sampler(sobol, ss));
    for (int i = 0; i < 14; i++) {
        hps_trial *ta, *tb, *ts;
        ASSERT_OK(hps_study_ask(a, &ta));
        ASSERT_OK(hps_study_ask(b, &tb));
        ASSERT_OK(hps_study_ask(sobol, &ts));
        double xa, ya, xb, yb, xs, ys;
        double fa = quadratic_2d(ta, &xa, &ya), fb = quadratic_2d(tb, &xb, &yb);
        double fs = quadratic_2d(ts, &xs, &ys);
        /* a fixed seed gives the same study twice */
        assert_true(xa == xb && ya == yb);
        if (i < 4) /* start-up: the Sobol sampler's points */
            assert_true(xa == xs && ya == ys);
        else if (i == 4) /* the model's first point is not the next Sobol point */
            assert_false(xa == xs && ya == ys);
        ASSERT_OK(hps_trial_tell(ta, HPS_COMPLETE, fa));
        ASSERT_OK(hps_trial_tell(tb, HPS_COMPLETE, fb));
        ASSERT_OK(hps_trial_tell(ts, HPS_COMPLETE, fs));
        hps_trial_free(ta);
        hps_trial_free(tb);
        hps_trial_free(ts);
    }
    /* and the model has found the bowl: 14 trials on a 2-D quadratic */
    const hps_frozen *best;
    ASSERT_OK(hps_study_best_trial(a, &best));
    assert_true(hps_frozen_value(best, 0) < 0.05);
    hps_study_close(a);
    hps_study_close(b);
    hps_study_close(sobol);
}

/* Trials the gp sampler with automatic start-up gives before its first point that is
 * not the Sobol sampler's (same seed), on a sphere in d dimensions (at most 16). */
static int sobol_prefix(size_t d)
{
    hps_study *gp = gp_study("3", NULL, HPS_MINIMIZE), *sobol;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "s", HPS_OPEN_CREATE, &dir, 1, &sobol, err, sizeof err));
    hps_sampler *ss;
    ASSERT_OK(hps_sampler_new("sobol", &ss, err, sizeof err));
    ASSERT_OK(hps_sampler_set(ss, "seed", "3"));
    ASSERT_OK(hps_study_set_sampler(sobol, ss));
    int prefix = -1;
    for (int i = 0; i < 16 && prefix < 0; i++) {
        hps_trial *tg, *ts;
        ASSERT_OK(hps_study_ask(gp, &tg));
        ASSERT_OK(hps_study_ask(sobol, &ts));
        double fg = 0, fs = 0;
        for (size_t j = 0; j < d; j++) {
            char name[16];
            double xg, xs;
            snprintf(name, sizeof name, "x%zu", j);
            ASSERT_OK(hps_trial_suggest_float(tg, name, -1, 1, 0, 0, &xg));
            ASSERT_OK(hps_trial_suggest_float(ts, name, -1, 1, 0, 0, &xs));
            fg += (xg - 0.3) * (xg - 0.3);
            fs += (xs - 0.3) * (xs - 0.3);
            if (xg != xs && prefix < 0)
                prefix = i;
        }
        ASSERT_OK(hps_trial_tell(tg, HPS_COMPLETE, fg));
        ASSERT_OK(hps_trial_tell(ts, HPS_COMPLETE, fs));
        hps_trial_free(tg);
        hps_trial_free(ts);
    }
    hps_study_close(gp);
    hps_study_close(sobol);
    return prefix;
}

/* n_startup_trials=auto: 2d + 1 Sobol points, at least 4 and at most 10 (bench/gp.md,
 * "The small-budget start"), then the model. */
static void test_automatic_startup_length(void **state)
{
    (void)state;
    assert_int_equal(sobol_prefix(1), 4);
    assert_int_equal(sobol_prefix(2), 5);
    assert_int_equal(sobol_prefix(6), 10);
}

/* A bowl well inside the unit 4-cube (its minimum at 0.3 or 0.7 of each range): the
 * faces are as bad as it gets, yet a GP whose prior mean sits at the targets' mean
 * expects an average value wherever it has no data, with a large sd there, and its EI
 * rises toward the faces (bench/gp.md, "Proposals on the range bounds"). Returns how
 * many of trials 11-30 have a coordinate within 1e-3 of a face. */
static int bowl_face_trials(const char *seed)
{
    static const double centre[4] = {0.3, 0.3, 0.7, 0.7};
    hps_study *study = gp_study(seed, NULL, HPS_MINIMIZE);
    int on_face = 0;
    for (int n = 0; n < 30; n++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double f = 0;
        int face = 0;
        for (int j = 0; j < 4; j++) {
            char name[8];
            double x;
            snprintf(name, sizeof name, "x%d", j);
            ASSERT_OK(hps_trial_suggest_float(t, name, 0, 1, 0, 0, &x));
            f += (x - centre[j]) * (x - centre[j]);
            face |= x < 1e-3 || x > 1 - 1e-3;
        }
        if (n >= 10)
            on_face += face;
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
        hps_trial_free(t);
    }
    hps_study_close(study);
    return on_face;
}

/* Seeds 1-4: with the prior mean at the targets' mean, 31 of their 80 trials 11-30 were
 * on a face (6-9 per seed); at the targets' upper quartile 16 (3-5 per seed). The bar
 * sits between the two. */
static void test_bowl_trials_stay_off_the_faces(void **state)
{
    (void)state;
    int total = 0;
    const char *seeds[4] = {"1", "2", "3", "4"};
    for (int i = 0; i < 4; i++)
        total += bowl_face_trials(seeds[i]);
    if (total > 23)
        fail_msg("%d of 80 trials on a face of the box around an interior bowl", total);
}

/* Declares a mixed space with every kind of parameter; fails the test on an invalid
 * value; returns a smooth objective. */
static double mixed_space(hps_trial *t)
{
    double f, lf, sf, lsf;
    int64_t i, li, si, big;
    size_t c, c1;
    hps_value choices[4] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                            {.type = HPS_VALUE_INT, .u.i = 3},
                            {.type = HPS_VALUE_FLOAT, .u.f = 0.5},
                            {.type = HPS_VALUE_BOOL, .u.b = 1}};
    ASSERT_OK(hps_trial_suggest_float(t, "f", -1, 1, 0, 0, &f));
    ASSERT_OK(hps_trial_suggest_float(t, "lf", 1e-6, 1e-1, 0, HPS_LOG, &lf));
    ASSERT_OK(hps_trial_suggest_float(t, "sf", 0.1, 0.7, 0.2, 0, &sf));
    ASSERT_OK(hps_trial_suggest_float(t, "lsf", 1, 1000, 0.5, HPS_LOG, &lsf));
    ASSERT_OK(hps_trial_suggest_int(t, "i", -3, 4, 1, 0, &i));
    ASSERT_OK(hps_trial_suggest_int(t, "li", 1, 1024, 1, HPS_LOG, &li));
    ASSERT_OK(hps_trial_suggest_int(t, "si", 0, 100, 10, 0, &si));
    ASSERT_OK(hps_trial_suggest_int(t, "big", 0, 1000000000, 1, 0, &big));
    ASSERT_OK(hps_trial_suggest_categorical(t, "c", choices, 4, &c));
    ASSERT_OK(hps_trial_suggest_categorical(t, "c1", choices, 1, &c1));
    assert_true(f >= -1 && f <= 1);
    assert_true(lf >= 1e-6 && lf <= 1e-1);
    assert_true(sf >= 0.1 - 1e-12 && sf <= 0.7 + 1e-12);
    assert_true(fabs(fmod(sf - 0.1 + 1e-9, 0.2)) < 1e-6);
    assert_true(lsf >= 1 && lsf <= 1000 && fabs(lsf * 2 - nearbyint(lsf * 2)) < 1e-9);
    assert_true(i >= -3 && i <= 4);
    assert_true(li >= 1 && li <= 1024);
    assert_true(si >= 0 && si <= 100 && si % 10 == 0);
    assert_true(big >= 0 && big <= 1000000000);
    assert_true(c < 4 && c1 == 0);
    /* every stored internal value belongs to its distribution */
    const hps_frozen *rec = hps_trial_frozen(t);
    for (size_t k = 0; k < hps_frozen_n_params(rec); k++) {
        const hps_dist *dist = hps_frozen_param_dist(rec, k);
        double v = hps_frozen_param_internal(rec, k);
        assert_true(isfinite(v));
        assert_true(hps_dist_contains(dist, v));
    }
    return f * f + log10(lf / 1e-3) * log10(lf / 1e-3) + sf + (double)((i - 2) * (i - 2)) +
           (double)c * 0.2 + log2((double)li) / 10 + (double)si / 100 + (double)big * 1e-9;
}

static void test_mixed_space_suggestions_valid(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "3", "n_candidates", "256", NULL};
    hps_study *study = gp_study("11", opts, HPS_MINIMIZE);
    for (int n = 0; n < 22; n++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double f = mixed_space(t);
        if (n > 3) /* past start-up the model chose the relative space jointly */
            assert_true(t->n_relative > 0);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

/* On a conditional space the GP models every branch's own parameters: its late trials
 * take the optimum's branch and find the optimum, and no trial stores a parameter it did
 * not suggest. (Before it modelled conditional parameters -- drawn at random -- none of
 * the last 20 trials took two layers.) */
static void test_conditional_tree(void **state)
{
    (void)state;
    enum { TRIALS = 40, LATE = 15 };
    for (int seed = 1; seed <= 3; seed++) {
        char seed_text[16];
        snprintf(seed_text, sizeof seed_text, "%d", seed);
        const char *opts[] = {"n_candidates", "256", NULL};
        hps_study *study = gp_study(seed_text, opts, HPS_MINIMIZE);
        int late = 0;
        double best = 1e9;
        for (int i = 0; i < TRIALS; i++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            testutil_tree_trial r = testutil_tree(t);
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, r.value));
            assert_int_equal(hps_frozen_n_params(hps_trial_frozen(t)), r.n_suggested);
            late += i >= TRIALS - LATE && r.deep && r.layers == 2;
            best = r.value < best ? r.value : best;
            hps_trial_free(t);
        }
        printf("seed %d: %d of the last %d trials on deep/2 layers, best %.5f\n", seed, late,
               LATE, best);
        assert_true(late >= 10);
        assert_true(best < 0.01);
        hps_study_close(study);
    }
}

/* A branch with one trial must not pin its continuous parameters to that trial's
 * values: only discrete dims with one value on every row of a branch are its parents.
 * (Before, a float seen once counted as a parent too, so the acquisition inside that
 * branch could only propose the trial it had, and on a three-way choice whose best
 * branch had one trial every ask from the fourth on repeated trial 2 exactly.) */
static double three_way(hps_trial *t, size_t *branch)
{
    static const hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                                        {.type = HPS_VALUE_STRING, .u.s = "b"},
                                        {.type = HPS_VALUE_STRING, .u.s = "c"}};
    double x, y;
    int64_t layers;
    ASSERT_OK(hps_trial_suggest_categorical(t, "branch", choices, 3, branch));
    ASSERT_OK(hps_trial_suggest_float(t, "shared", 0, 1, 0, 0, &x));
    if (*branch == 0) {
        ASSERT_OK(hps_trial_suggest_float(t, "a1", 0, 1, 0, 0, &y));
        return (x - 0.3) * (x - 0.3) + y;
    }
    if (*branch == 1) {
        ASSERT_OK(hps_trial_suggest_int(t, "layers", 1, 3, 1, 0, &layers));
        ASSERT_OK(hps_trial_suggest_float(t, "b1", -1, 1, 0, 0, &y));
        return x * y + 0.3 * (double)layers;
    }
    return 0.5 + x;
}

static void test_branch_seen_once_is_not_repeated(void **state)
{
    (void)state;
    enum { TRIALS = 12 };
    const char *choices[] = {"acquisition", "thompson", "weighted"};
    for (size_t c = 0; c < sizeof choices / sizeof *choices; c++)
        for (int seed = 1; seed <= 3; seed++) {
            char seed_text[16];
            snprintf(seed_text, sizeof seed_text, "%d", seed);
            const char *opts[] = {"n_startup_trials", "3", "n_candidates", "64",
                                  "branch_choice", choices[c], NULL};
            hps_study *study = gp_study(seed_text, opts, HPS_MINIMIZE);
            double seen[TRIALS][2];
            for (int i = 0; i < TRIALS; i++) {
                hps_trial *t;
                ASSERT_OK(hps_study_ask(study, &t));
                size_t branch;
                double f = three_way(t, &branch);
                const hps_frozen *ft = hps_trial_frozen(t);
                seen[i][0] = (double)branch;
                seen[i][1] = f;
                for (int k = 0; k < i; k++)
                    if (seen[k][0] == seen[i][0] && seen[k][1] == f)
                        fail_msg("%s, seed %d: trial %d repeats trial %d (branch %zu, "
                                 "value %.17g, %zu parameters)", choices[c], seed, i, k,
                                 branch, f, hps_frozen_n_params(ft));
                ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
                hps_trial_free(t);
            }
            hps_study_close(study);
        }
}

/* The GP runs OpenBLAS single-threaded and gives the host process its own setting back
 * (Python's numpy leaves several threads; the command sets none): nested and
 * overlapping sections restore the count of before the first, a count the host changed
 * meanwhile is kept, and asks through the public API leave the host's count as it was. */
static void test_blas_threads_belong_to_the_host(void **state)
{
    (void)state;
    openblas_set_num_threads(3);
    gp_blas_serial_begin();
    assert_int_equal(openblas_get_num_threads(), 1);
    gp_blas_serial_begin();
    gp_blas_serial_end();
    assert_int_equal(openblas_get_num_threads(), 1); /* still inside the outer one */
    gp_blas_serial_end();
    assert_int_equal(openblas_get_num_threads(), 3);

    gp_blas_serial_begin();
    openblas_set_num_threads(2); /* the host's own choice, made meanwhile */
    gp_blas_serial_end();
    assert_int_equal(openblas_get_num_threads(), 2);

    openblas_set_num_threads(3);
    const char *opts[] = {"n_startup_trials", "3", "n_candidates", "64", NULL};
    hps_study *study = gp_study("4", opts, HPS_MINIMIZE);
    for (int n = 0; n < 8; n++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double f = mixed_space(t);
        if (n > 3)
            assert_true(t->n_relative > 0); /* the model ran */
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
        hps_trial_free(t);
        assert_int_equal(openblas_get_num_threads(), 3);
    }
    hps_study_close(study);
    openblas_set_num_threads(1);
}

/* A 6 x 6 grid with one sharp optimum: a converged model keeps pointing at what it has
 * seen, yet the sampler suggests only configurations nobody ran while there are any,
 * so 36 trials cover the grid exactly once (deterministic and noisy settings alike). */
static void test_no_repeats_in_a_discrete_space(void **state)
{
    (void)state;
    for (int deterministic = 0; deterministic <= 1; deterministic++) {
        const char *opts[] = {"n_startup_trials", "4", "n_candidates", "256",
                              "deterministic_objective", deterministic ? "true" : "false", NULL};
        hps_study *study = gp_study("5", opts, HPS_MINIMIZE);
        int seen[6][6] = {{0}};
        for (int n = 0; n < 36; n++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            int64_t a, b;
            ASSERT_OK(hps_trial_suggest_int(t, "a", 0, 5, 1, 0, &a));
            ASSERT_OK(hps_trial_suggest_int(t, "b", 0, 5, 1, 0, &b));
            if (seen[a][b]++)
                fail_msg("trial %d repeats a=%lld b=%lld (deterministic=%d)", n, (long long)a,
                         (long long)b, deterministic);
            double f = (a == 2 && b == 3) ? -10.0 : (double)((a - 2) * (a - 2) + (b - 3) * (b - 3));
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
            hps_trial_free(t);
        }
        hps_study_close(study);
    }
}

/* The same grid with every third trial PAUSED after its first report: a paused trial is
 * to be resumed, so its configuration is not one nobody ran -- the 36 asks still cover
 * the grid exactly once. */
static void test_paused_points_not_repeated(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "4", "n_candidates", "256", NULL};
    for (int seed = 1; seed <= 3; seed++) {
        char seed_text[16];
        snprintf(seed_text, sizeof seed_text, "%d", seed);
        hps_study *study = gp_study(seed_text, opts, HPS_MINIMIZE);
        int seen[6][6] = {{0}};
        for (int n = 0; n < 36; n++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            int64_t a, b;
            ASSERT_OK(hps_trial_suggest_int(t, "a", 0, 5, 1, 0, &a));
            ASSERT_OK(hps_trial_suggest_int(t, "b", 0, 5, 1, 0, &b));
            if (seen[a][b]++)
                fail_msg("seed %d trial %d repeats a=%lld b=%lld", seed, n, (long long)a,
                         (long long)b);
            double f = (double)((a - 2) * (a - 2) + (b - 3) * (b - 3));
            if (n % 3 == 2) {
                ASSERT_OK(hps_trial_report(t, 1, f));
                ASSERT_OK(hps_trial_pause(t, 1));
            } else {
                ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
            }
            hps_trial_free(t);
        }
        hps_study_close(study);
    }
}

/* Asks one trial of the 2-D space and tells it `value` (or FAIL when fail is set). */
static void run_one(hps_study *study, double value, hps_trial_state state_told, double *x,
                    double *y)
{
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double xx, yy;
    quadratic_2d(t, &xx, &yy);
    assert_true(isfinite(xx) && isfinite(yy));
    assert_true(xx >= -2 && xx <= 3 && yy >= 1e-3 && yy <= 10);
    if (x != NULL)
        *x = xx;
    if (y != NULL)
        *y = yy;
    if (state_told == HPS_PRUNED) {
        ASSERT_OK(hps_trial_report(t, 0, value));
        ASSERT_OK(hps_trial_tell_values(t, HPS_PRUNED, NULL, 0));
    } else {
        ASSERT_OK(hps_trial_tell(t, state_told, value));
    }
    hps_trial_free(t);
}

static void test_ill_conditioned_histories(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "2", "n_candidates", "128", NULL};
    const char *det_opts[] = {"n_startup_trials", "2", "n_candidates", "128",
                              "deterministic_objective", "true", NULL};
    /* 1. one distinct point, enqueued five times */
    for (int det = 0; det < 2; det++) {
        hps_study *study = gp_study("1", det ? det_opts : opts, HPS_MINIMIZE);
        for (int i = 0; i < 5; i++) {
            ASSERT_OK(hps_study_enqueue(study, "{\"x\": 0.5, \"y\": 1.0}", NULL));
            run_one(study, 2.0 + 0.01 * i, HPS_COMPLETE, NULL, NULL);
        }
        double x, y;
        run_one(study, 1.0, HPS_COMPLETE, &x, &y);
        /* with nothing else known, the model looks elsewhere */
        assert_false(x == 0.5 && y == 1.0);
        hps_study_close(study);
    }
    /* 2. a constant objective, duplicates included */
    hps_study *study = gp_study("2", opts, HPS_MINIMIZE);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(hps_study_enqueue(study, "{\"x\": 1.5, \"y\": 0.1}", NULL));
        run_one(study, 3.0, HPS_COMPLETE, NULL, NULL);
    }
    for (int i = 0; i < 6; i++)
        run_one(study, 3.0, HPS_COMPLETE, NULL, NULL);
    hps_study_close(study);
    /* 3. values of 1e12 and beyond, +-inf, a pruned NaN */
    study = gp_study("3", opts, HPS_MAXIMIZE);
    const double values[] = {1e12, 1e12 + 1, -1e300, 1e12 + 5, INFINITY, 0.5, -INFINITY,
                             NAN, 1e12 + 2, DBL_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (values[i] != values[i])
            run_one(study, NAN, HPS_PRUNED, NULL, NULL); /* a diverged report, then pruned */
        else
            run_one(study, values[i], i % 4 == 3 ? HPS_PRUNED : HPS_COMPLETE, NULL, NULL);
    }
    for (int i = 0; i < 3; i++)
        run_one(study, 1e12 - i, HPS_COMPLETE, NULL, NULL);
    hps_study_close(study);
    /* 4. tiny differences on a huge offset, deterministic: the model still works */
    study = gp_study("4", det_opts, HPS_MINIMIZE);
    for (int i = 0; i < 10; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x, y;
        double f = quadratic_2d(t, &x, &y);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1e12 + f * 1e-3));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

static void test_pending_trials_spread(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "5", NULL};
    for (int suggest_first = 0; suggest_first < 2; suggest_first++) {
        hps_study *study = gp_study("5", opts, HPS_MINIMIZE);
        for (int i = 0; i < 8; i++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            double x, y;
            double f = quadratic_2d(t, &x, &y);
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
            hps_trial_free(t);
        }
        /* q = 4 asks before any tell: either suggesting right after each ask, or all
         * asks first (the joint values then exist only in the live trials) */
        hps_trial *ts[4];
        double xs[4], ys[4];
        for (int q = 0; q < 4; q++) {
            ASSERT_OK(hps_study_ask(study, &ts[q]));
            if (suggest_first)
                quadratic_2d(ts[q], &xs[q], &ys[q]);
        }
        for (int q = 0; q < 4; q++) {
            if (!suggest_first)
                quadratic_2d(ts[q], &xs[q], &ys[q]);
            assert_true(ts[q]->n_relative > 0);
        }
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++)
                if (fabs(xs[p] - xs[q]) < 1e-3 && fabs(log(ys[p] / ys[q])) < 1e-3)
                    fail_msg("asks %d and %d gave the same point (%g, %g)", p, q, xs[p], ys[p]);
        for (int q = 0; q < 4; q++) {
            ASSERT_OK(hps_trial_tell(ts[q], HPS_COMPLETE, 1.0));
            hps_trial_free(ts[q]);
        }
        hps_study_close(study);
    }
}

/* Rounds of 8 asks before any tell, as 8 workers would make them: each round's points
 * lie apart in the unit square the model sees. Believing running trials at the
 * posterior mean put two asks of seed 1's second round 0.02 apart here; the constant
 * liar keeps a round's points at least a twentieth of the square apart. */
static void test_batch_spreads_over_the_space(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "5", NULL};
    for (const char *seed = "1"; seed != NULL; seed = strcmp(seed, "1") == 0 ? "2" : NULL) {
        hps_study *study = gp_study(seed, opts, HPS_MINIMIZE);
        for (int round = 0; round < 3; round++) {
            hps_trial *ts[8];
            double u[8], v[8], f[8];
            for (int q = 0; q < 8; q++) {
                double x, y;
                ASSERT_OK(hps_study_ask(study, &ts[q]));
                f[q] = quadratic_2d(ts[q], &x, &y);
                u[q] = (x + 2) / 5;              /* the unit square: x in [-2, 3], */
                v[q] = (log10(y) + 3) / 4;       /* y log-scaled in [1e-3, 10] */
            }
            for (int p = 0; round > 0 && p < 8; p++)
                for (int q = p + 1; q < 8; q++)
                    if (hypot(u[p] - u[q], v[p] - v[q]) < 0.05)
                        fail_msg("seed %s round %d: asks %d and %d at (%g, %g) and (%g, %g)",
                                 seed, round, p, q, u[p], v[p], u[q], v[q]);
            for (int q = 0; q < 8; q++) {
                ASSERT_OK(hps_trial_tell(ts[q], HPS_COMPLETE, f[q]));
                hps_trial_free(ts[q]);
            }
        }
        hps_study_close(study);
    }
}

static void test_enqueued_and_multi_objective(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "3", NULL};
    hps_study *study = gp_study("9", opts, HPS_MINIMIZE);
    /* enqueued trials are observations like any other: three of them end start-up */
    const char *seeds[3] = {"{\"x\": 0.0, \"y\": 0.01}", "{\"x\": 2.0, \"y\": 5.0}",
                            "{\"x\": -1.0, \"y\": 0.5}"};
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(hps_study_enqueue(study, seeds[i], NULL));
        run_one(study, (double)i, HPS_COMPLETE, NULL, NULL);
    }
    hps_trial *modelled;
    ASSERT_OK(hps_study_ask(study, &modelled));
    assert_true(modelled->n_relative == 2);
    double mx, my;
    ASSERT_OK(hps_trial_tell(modelled, HPS_COMPLETE, quadratic_2d(modelled, &mx, &my)));
    hps_trial_free(modelled);
    /* a partly enqueued trial: x is fixed, y comes from the model */
    ASSERT_OK(hps_study_enqueue(study, "{\"x\": -1.25}", NULL));
    double x, y;
    run_one(study, 0.1, HPS_COMPLETE, &x, &y);
    assert_true(x == -1.25);
    hps_study_close(study);

    /* two objectives: Sobol during the start-up (2 d + 1 = 5 trials), then the models
     * (test_gp_multi.c tests what they choose) */
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MAXIMIZE};
    hps_study *mo;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "mo", HPS_OPEN_CREATE, dirs, 2, &mo, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new("gp", &s, err, sizeof err));
    ASSERT_OK(hps_study_set_sampler(mo, s));
    for (int i = 0; i < 12; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(mo, &t));
        quadratic_2d(t, &x, &y);
        assert_int_equal(t->n_relative, i < 5 ? 0 : 2);
        double v[2] = {x, y};
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, v, 2));
        hps_trial_free(t);
    }
    hps_study_close(mo);
}

/* Every allocation of a joint sample failing in turn: an error or a result, never a
 * crash, a leak (ASan) or a NaN. */
static void test_out_of_memory(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "3", "n_candidates", "64", "n_local_search", "2",
                          NULL};
    hps_study *study = gp_study("13", opts, HPS_MINIMIZE);
    for (int i = 0; i < 8; i++)
        run_one(study, (double)((i * 7) % 5), HPS_COMPLETE, NULL, NULL);
    hps_trial *pending;
    ASSERT_OK(hps_study_ask(study, &pending)); /* a pending trial to fantasize */
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double values[2];
    testutil_sample_relative_under_oom(study, t, &hps_gp_sampler_ops, values, 2, 400);
    assert_true(isfinite(values[0]) && isfinite(values[1]));
    hps_trial_free(t);
    hps_trial_free(pending);
    hps_study_close(study);
}

/* The conditional path (union space, one acquisition per branch, the plan) under
 * allocation failures: HPS_ERR_NOMEM or a valid value, never a crash or a leak. */
static void out_of_memory_conditional(const char *branch_choice)
{
    const char *opts[] = {"n_startup_trials", "3", "n_candidates", "64", "n_local_search", "2",
                          "branch_choice", branch_choice, NULL};
    hps_study *study = gp_study("14", opts, HPS_MINIMIZE);
    for (int i = 0; i < 8; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, testutil_tree(t).value));
        hps_trial_free(t);
    }
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double value; /* only `branch` is shared */
    testutil_sample_relative_under_oom(study, t, &hps_gp_sampler_ops, &value, 1, 2000);
    assert_true(value == 0 || value == 1);
    hps_trial_free(t);
    hps_study_close(study);
}

/* A model choice among three, each with its own parameter. */
static double pick_model(hps_trial *t)
{
    double x;
    size_t model = testutil_pick_model(t, &x);
    return 0.3 + 0.1 * (double)model + (x - 0.5) * (x - 0.5);
}

/* The same through the search of a level no trial took (unseen_branch in gp.c): the
 * enqueued start-up never takes model c, and a FAILED trial and a running one are
 * among the trials the levels are counted over. */
static void out_of_memory_unseen(const char *branch_choice)
{
    const char *opts[] = {"n_startup_trials", "4", "n_candidates", "64", "n_local_search", "2",
                          "branch_choice", branch_choice, NULL};
    static const char *const start[] = {
        "{\"model\": \"a\", \"xa\": 0.2}", "{\"model\": \"b\", \"xb\": 0.7}",
        "{\"model\": \"a\", \"xa\": 0.9}", "{\"model\": \"b\", \"xb\": 0.4}",
        "{\"model\": \"b\", \"xb\": 0.1}", "{\"model\": \"a\", \"xa\": 0.5}"};
    hps_study *study = gp_study("15", opts, HPS_MINIMIZE);
    for (int i = 0; i < 6; i++)
        ASSERT_OK(hps_study_enqueue(study, start[i], NULL));
    for (int i = 0; i < 5; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double f = pick_model(t);
        ASSERT_OK(hps_trial_tell(t, i == 4 ? HPS_FAIL : HPS_COMPLETE, i == 4 ? NAN : f));
        hps_trial_free(t);
    }
    hps_trial *running, *t;
    ASSERT_OK(hps_study_ask(study, &running));
    pick_model(running);
    ASSERT_OK(hps_study_ask(study, &t));
    double value; /* only `model` is shared */
    testutil_sample_relative_under_oom(study, t, &hps_gp_sampler_ops, &value, 1, 2000);
    assert_true(value == 0 || value == 1 || value == 2);
    hps_trial_free(t);
    hps_trial_free(running);
    hps_study_close(study);
}

/* every way of choosing the branch (gp/branch.h) fails cleanly at every allocation,
 * also where a level no trial took is searched */
static void test_out_of_memory_conditional(void **state)
{
    (void)state;
    out_of_memory_conditional("acquisition");
    out_of_memory_conditional("thompson");
    out_of_memory_conditional("weighted");
    out_of_memory_unseen("acquisition");
    out_of_memory_unseen("weighted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_values),
        cmocka_unit_test(test_kernel_gradient_fd),
        cmocka_unit_test(test_likelihood_gradient_fd),
        cmocka_unit_test(test_posterior_hand_worked),
        cmocka_unit_test(test_input_warping),
        cmocka_unit_test(test_append_equals_refactor),
        cmocka_unit_test(test_acquisition_maximum_on_a_face),
        cmocka_unit_test(test_log_h),
        cmocka_unit_test(test_cholesky_jitter),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_shift_to_quantile),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_startup_is_sobol_and_deterministic),
        cmocka_unit_test(test_automatic_startup_length),
        cmocka_unit_test(test_bowl_trials_stay_off_the_faces),
        cmocka_unit_test(test_mixed_space_suggestions_valid),
        cmocka_unit_test(test_ill_conditioned_histories),
        cmocka_unit_test(test_pending_trials_spread),
        cmocka_unit_test(test_paused_points_not_repeated),
        cmocka_unit_test(test_batch_spreads_over_the_space),
        cmocka_unit_test(test_no_repeats_in_a_discrete_space),
        cmocka_unit_test(test_blas_threads_belong_to_the_host),
        cmocka_unit_test(test_enqueued_and_multi_objective),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_conditional_kernel),
        cmocka_unit_test(test_conditional_tree),
        cmocka_unit_test(test_branch_seen_once_is_not_repeated),
        cmocka_unit_test(test_out_of_memory_conditional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
