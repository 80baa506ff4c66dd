/* model.h -- Gaussian-process regression: the data, the maximum-a-posteriori fit of the
 * kernel hyperparameters, and the posterior the acquisition reads.
 *
 * Hyperparameters live in log space in one vector theta of d + 2 entries (3 d + 2 with
 * input warping, gp_model_theta_len):
 *   theta[0..d-1]  log lengthscales
 *   theta[d]       log signal variance
 *   theta[d+1]     log noise variance
 *   theta[d+2+2j], theta[d+3+2j]  with input warping: log a_j, log b_j of dimension j's
 *                  Kumaraswamy CDF w(x) = 1 - (1 - x^a)^b (0 for categorical dims)
 *
 * Input warping (Snoek et al. 2014, "Input warping for Bayesian optimization of
 * non-stationary functions"; HEBO uses it on Bayesmark's scikit-learn models): the kernel
 * sees w_j(x_j) instead of x_j, with (a_j, b_j) fitted with the lengthscales. A parameter
 * whose effect is crowded into one end of its range (an L2 penalty that matters only
 * near its upper bound) gets a kernel that is stationary in warped coordinates, where a
 * single lengthscale would be too short at one end or too long at the other. a = b = 1
 * is the identity. Inputs are first mapped into [eps, 1 - eps] so that the warp and its
 * derivatives are finite at the bounds.
 *
 * The targets are expected standardized (mean 0, variance about 1), which is what the
 * priors and bounds below are written for.
 *
 * Priors (weak; they matter with few observations and keep the fit away from
 * degenerate corners):
 *   log l_j ~ N(log 0.5 + log(max(1, d / 6)) / 2, 1): half the unit interval, growing
 *       beyond 6 dimensions like the distance between random points (sqrt(d / 6)), the
 *       idea of Hvarfner et al. 2024 ("Vanilla Bayesian optimization performs great in
 *       high dimensions"). Their wider, longer prior (median sqrt2 + log(d)/2) found the
 *       global basin of Hartmann-6 in 50 trials in 50% of 30 seeds against 63% here
 *       (bench/gp_quality.c), with Branin unchanged;
 *   log s   ~ N(0, 1): standardized targets have unit variance;
 *   noise   ~ Gamma(1.1, 30) shape (density 0.1 log v - 30 v in log space): a small noise
 *       is cheap, a noise comparable to the signal must be earned by the data;
 *   log a_j, log b_j ~ N(0, 0.2): near the identity unless the data insist (a, b
 *       mostly within [0.67, 1.5]). Twelve free warp parameters in 6-D can bend the
 *       space around the wrong basin: with N(0, 0.75), BoTorch's width, Hartmann-6's
 *       median at 50 trials fell from -3.3215 to -3.194 (bench/gp_quality.c, 5 seeds);
 *       with 0.3 Branin's converged precision suffered (0.397929 against 0.397905
 *       without warping); 0.2 keeps both (0.397897, -3.3201). */
#ifndef HPS_GP_MODEL_H
#define HPS_GP_MODEL_H

#include <stddef.h>

#define GP_MIN_NOISE 1e-7
#define GP_MAX_NOISE 1.0
#define GP_MIN_LENGTHSCALE 1e-2
#define GP_MAX_LENGTHSCALE 1e2
#define GP_MIN_SIGNAL 1e-2
#define GP_MAX_SIGNAL 1e2
/* Bounds of log a_j and log b_j: a, b in [0.22, 4.5]. */
#define GP_MAX_LOG_WARP 1.5

/* Errors of the functions below. */
#define GP_ERR_NUMERIC (-1) /* no usable factorization even with the largest jitter */
#define GP_ERR_NOMEM (-2)

/* Candidates per block in gp_model_predict (bounds its scratch to n * this). */
#define GP_PREDICT_BLOCK 256

typedef struct gp_model {
    size_t d;
    unsigned char *categorical; /* d flags (Hamming distance) */
    int warping;                /* input warping (gp_model_use_warping) */
    size_t n, cap;              /* rows of data, and rows the buffers hold */
    double *x;                  /* n x d, row-major */
    double *u;                  /* with warping: the warped x the kernel sees, else NULL */
    double *y;                  /* n */
    /* current hyperparameters (from the last gp_model_factor) */
    double *theta;              /* gp_model_theta_len */
    double *inv_ls2;            /* d */
    double *warp_a, *warp_b;    /* d: the warps' a and b, with warping */
    double signal, noise, jitter;
    /* posterior, valid when `factored` */
    int factored;
    double *chol;               /* n x n: Cholesky factor of K + (noise + jitter) I */
    double *kinv;               /* n x n: its inverse, full symmetric */
    double *alpha;              /* n: K^-1 y */
    /* scratch */
    double *work_g;             /* n x n while fitting: lengthscale derivative factors */
    size_t cap_g;
    double *work_v;             /* n * GP_PREDICT_BLOCK: cross-covariances, vectors */
    double *work_w;             /* with warping: 2 n d warp derivatives while fitting, then
                                   GP_PREDICT_BLOCK d warped candidates */
    double *scratch;            /* 7 theta_len: hyperparameter vectors, point gradients */
    size_t evals;               /* likelihood evaluations since gp_model_init */
} gp_model;

/* Fitting knobs. */
typedef struct gp_fit_options {
    int fit_noise;        /* 0: the noise variance stays at `fixed_noise` */
    double fixed_noise;
    unsigned max_evals;   /* per start */
    int extra_start;      /* 1: also start from the default, not only from theta_inout */
} gp_fit_options;

/* Prepares an empty model for d dimensions (`categorical` is copied). 0 or GP_ERR_NOMEM. */
int gp_model_init(gp_model *m, size_t d, const unsigned char *categorical);
/* Turns input warping on; call right after gp_model_init. 0 or GP_ERR_NOMEM. */
int gp_model_use_warping(gp_model *m);
/* Entries of theta: d + 2, or 3 d + 2 with warping. */
size_t gp_model_theta_len(const gp_model *m);
void gp_model_clear(gp_model *m);

/* Replaces the data (copied). 0 or GP_ERR_NOMEM. Invalidates the posterior. */
int gp_model_set_data(gp_model *m, const double *x, const double *y, size_t n);

/* The default starting point of the fit (also used when nothing better is known). */
void gp_model_default_theta(const gp_model *m, int fit_noise, double fixed_noise, double *theta);
/* Clamps theta into the bounds above; returns 0 when it was finite everywhere. */
int gp_model_clamp_theta(const gp_model *m, double *theta);

/* Negative log posterior (negative log marginal likelihood minus log prior, constants
 * included) at theta, and its gradient into `grad` (theta_len; may be NULL). With
 * fit_noise 0 the noise gradient is 0. Returns +HUGE_VAL when the covariance cannot be
 * factored (or, with a gradient, its n x n scratch cannot be allocated). */
double gp_model_neg_log_posterior(gp_model *m, const double *theta, int fit_noise, double *grad);

/* MAP fit by bounded L-BFGS (NLopt) from theta_inout (the previous fit; clamped into the
 * bounds) and, with extra_start or when theta_inout is not finite, from the default.
 * The best point found is written back. Returns 0: a failed optimizer run (or one NLopt
 * could not allocate) keeps the best point evaluated so far, or the start. */
int gp_model_fit(gp_model *m, const gp_fit_options *opt, double *theta_inout);

/* Factors the covariance at theta and computes the posterior. 0, GP_ERR_NUMERIC or
 * GP_ERR_NOMEM. */
int gp_model_factor(gp_model *m, const double *theta);

/* Appends p observations to a factored model and updates its posterior (a block
 * extension of the Cholesky factor): the fantasies of running trials. 0 or an error;
 * on error the model is no longer factored. */
int gp_model_append(gp_model *m, const double *x, const double *y, size_t p);

/* Posterior mean and variance of the latent function (no noise) at `count` points c
 * (row-major). The variance is floored at a tiny positive value. */
void gp_model_predict(gp_model *m, const double *c, size_t count, double *mean, double *var);

/* The same at one point, with the gradients with respect to c (d values each;
 * categorical coordinates get 0). */
void gp_model_predict_grad(gp_model *m, const double *c, double *mean, double *var, double *dmean,
                           double *dvar);

/* Smallest variance gp_model_predict reports, relative to the signal variance. */
#define GP_VAR_FLOOR 1e-12

#endif
