/* curve.h -- forecasting a learning curve's value at a later step from its first values.
 *
 * An ensemble of parametric curve families (Domhan, Springenberg & Hutter 2015), each
 * of the form  y(x) = c + a * g(x; theta)  with g -> 0 as x grows, so that c is the
 * curve's asymptote whatever the family: pow3, pow4, exp3, ilog2, Janoschek (= Weibull)
 * and MMF. Each is fitted by least squares (c and a in closed form for a shape theta,
 * theta by a grid then a compass search), its predictive distribution at the target
 * step is normal with the residual variance plus the parameters' uncertainty (a Laplace
 * approximation: the Gauss-Newton covariance sigma^2 (J'J)^-1 carried to the target by
 * the gradient), and the families are weighted by their BIC. The forecast is the
 * mixture. Works in either direction: a may take either sign. */
#ifndef HPS_CURVE_H
#define HPS_CURVE_H

#include "hpsearch.h"

#include <stddef.h>

#define HPS_CURVE_FAMILIES 6

typedef struct hps_curve_member {
    const char *family; /* "pow3", ... */
    int fitted;         /* 0: too few points for its parameters, or a degenerate fit */
    double weight;      /* its BIC weight; the fitted members' weights sum to 1 */
    double mean, sd;    /* its predictive distribution at the target */
    double asymptote;   /* c */
    double rss;         /* its residual sum of squares */
} hps_curve_member;

typedef struct hps_curve_forecast {
    size_t n_fitted;    /* members with fitted = 1; 0: no forecast */
    double mean, sd;    /* the mixture's moments at the target */
    double asymptote;   /* the weighted asymptote */
    hps_curve_member members[HPS_CURVE_FAMILIES];
} hps_curve_forecast;

/* Fits the curve y[i] at steps x[i] (increasing, at least 1 apart is not needed, but
 * x[0] >= 1: the caller shifts its steps) and forecasts its value at x_target (>= the
 * last x). Points with a NaN or infinite value are left out. HPS_OK with n_fitted = 0
 * when too few points remain for any family; HPS_ERR_NOMEM. Deterministic. */
hps_status hps_curve_forecast_at(const double *x, const double *y, size_t n, double x_target,
                                 hps_curve_forecast *out);

/* The forecast's probability that the value at the target is above `level` (for a
 * curve to be maximised; 1 minus it for one to be minimised). NaN when n_fitted = 0. */
double hps_curve_prob_above(const hps_curve_forecast *f, double level);

/* The expected improvement over `incumbent` of a value distributed N(mean, sd^2):
 * E[max(0, Y - incumbent)] when maximizing, E[max(0, incumbent - Y)] otherwise (sd 0:
 * the plain improvement). */
double hps_normal_expected_improvement(double mean, double sd, double incumbent, int maximize);

/* The same for the forecast's mixture (its members' improvements, weighted); NaN when
 * n_fitted = 0. */
double hps_curve_expected_improvement(const hps_curve_forecast *f, double incumbent,
                                      int maximize);

#endif
