/* kernel.h -- the GP's covariance: Matern-5/2 with one lengthscale per dimension (ARD).
 *
 * Inputs are the sampler's encoded points, row-major n x d. A numeric dimension is a
 * position in [0, 1] (the distribution's unit encoding: log-scaled where the parameter
 * is, grid-centred for ints and steps). A categorical dimension holds the choice index
 * and contributes the Hamming distance -- 0 for the same choice, 1 otherwise -- scaled
 * by its lengthscale, so no order between choices is implied.
 *
 *   r^2 = sum_j delta_j^2 / l_j^2,   k = s (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)
 *
 * A conditional dimension (a parameter only some trials have) holds NaN where the
 * parameter is inactive. A categorical one treats "inactive" as one more choice; a
 * numeric one uses the arc embedding of Swersky et al. 2014 ("Raiders of the lost
 * architecture: kernels for Bayesian optimization in conditional parameter spaces")
 * with fixed radius and angle: an active u maps to omega (sin(pi rho u), cos(pi rho u)),
 * an inactive one to the origin, rho = 1/2, omega = 1 / (pi rho) (so that close active
 * values are (u - u')^2 apart, as in a plain dimension). Its delta^2 is the squared
 * distance of the embedded points: 4 omega^2 sin^2(pi rho (u - u') / 2) when both are
 * active, omega^2 when one is, 0 when neither -- a Euclidean distance, so the kernel
 * stays positive definite, and it keeps the form delta_j^2 / l_j^2 of the lengthscale
 * derivatives. Arc dimensions are not warped and their point gradient is 0 (the
 * acquisition moves them through its candidates, not by L-BFGS).
 *
 * Derivatives are written so that r = 0 is never a special case: the factor
 * g(r) = s 5/3 (1 + sqrt5 r) exp(-sqrt5 r) gives dk/dlog(l_j) = g delta_j^2 / l_j^2 and
 * dk/dx_j = -g (x_j - y_j) / l_j^2. */
#ifndef HPS_GP_KERNEL_H
#define HPS_GP_KERNEL_H

#include <stddef.h>

/* Kinds of dimension in gp_kernel.categorical (and gp_model.categorical). */
#define GP_KERNEL_NUMERIC 0
#define GP_KERNEL_CATEGORICAL 1 /* Hamming distance; NaN (inactive) is one more choice */
#define GP_KERNEL_ARC 2         /* numeric and conditional: the arc embedding, NaN inactive */

typedef struct gp_kernel {
    size_t d;
    const unsigned char *categorical; /* d kinds (GP_KERNEL_*): nonzero = not warped and
                                         no point gradient */
    const double *inv_ls2;            /* d values: 1 / lengthscale^2 */
    double signal;                    /* signal variance s */
} gp_kernel;

/* delta^2 of one dimension of that kind between values a and b (see above). */
double gp_kernel_delta2(unsigned char kind, double a, double b);
/* Squared scaled distance r^2 between two points. */
double gp_kernel_r2(const gp_kernel *k, const double *x, const double *y);
/* Correlation m(r) = (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r), and g(r) / s. */
double gp_matern52(double r);
double gp_matern52_g(double r);
double gp_kernel_eval(const gp_kernel *k, const double *x, const double *y);

/* The n x n covariance of the rows of x (column-major; both triangles written). When
 * `g` is not NULL it receives g(r_ab) for each pair, the factor of the lengthscale
 * derivatives. The diagonal is s (no noise). */
void gp_kernel_matrix(const gp_kernel *k, const double *x, size_t n, double *kmat, double *g);

/* Cross-covariances k(x_i, c_j): n x m column-major, column j for candidate j. */
void gp_kernel_cross(const gp_kernel *k, const double *x, size_t n, const double *c, size_t m,
                     double *kc);

/* k(x_i, c) for one point c, and (when `g` is not NULL) g(r_i) for the gradient. */
void gp_kernel_vector(const gp_kernel *k, const double *x, size_t n, const double *c,
                      double *kvec, double *g);

/* Gradient with respect to c of sum_i w_i k(x_i, c), for each of the `nw` weight
 * vectors w (w[t * n + i]) at once: out[t * d + j]. `g` comes from gp_kernel_vector.
 * Categorical coordinates get 0 (they are not differentiable). */
void gp_kernel_grad_point(const gp_kernel *k, const double *x, size_t n, const double *c,
                          const double *g, const double *w, size_t nw, double *out);

#endif
