/* nsga_crossover.c -- the genetic samplers' crossover operators (nsga_crossover.h).
 *
 *   uniform  each coordinate from either parent, the first with probability
 *            swapping_prob (Syswerda 1989);
 *   sbx      simulated binary crossover (Deb and Agrawal 1995), bounded to [0, 1]: the
 *            spread factor's probability mass beyond a bound folded back inside;
 *   vsbx     Ballester and Carter's vSBX (GECCO 2003): SBX's two children drawn
 *            separately, one between the parents and one beyond the nearer one, so that
 *            no region is excluded; unbounded;
 *   blxalpha uniform in the parents' range widened by alpha times its width each side
 *            (Eshelman and Schaffer 1992);
 *   spx      simplex crossover (Tsutsui, Goldberg and Sastry 2000), three parents:
 *            uniform in their triangle expanded by epsilon about its centroid;
 *   undx     unimodal normal distribution crossover (Ono and Kobayashi 1997; Kita, Ono
 *            and Kobayashi 1999), three parents: normal about the midpoint of the
 *            first two, along their line and, scaled by the third's distance from that
 *            line, across it.
 *
 * sbx and vsbx make a pair of children and keep one: each coordinate takes the crossed
 * pair with probability 1/2 (else the parents' values), in either order with
 * probability 1/2, and one child of the pair is kept for every coordinate. */
#include "samplers/nsga_crossover.h"

#include <math.h>

size_t hps_nsga_operator_parents(hps_nsga_crossover kind)
{
    return kind == HPS_NSGA_SPX || kind == HPS_NSGA_UNDX ? 3 : 2;
}

/* SBX's pair, bounded to [0, 1]: beta1 and beta2 measure the room between the parents
 * and each bound, and alpha rescales u so that the spread never passes it. */
static void sbx_pair(double x1, double x2, double eta, hps_rng *rng, double *c1, double *c2)
{
    double lo = fmin(x1, x2), hi = fmax(x1, x2);
    double diff = fmax(hi - lo, 1e-10);
    double beta1 = 1 + 2 * lo / diff, beta2 = 1 + 2 * (1 - hi) / diff;
    double alpha1 = 2 - pow(beta1, -(eta + 1)), alpha2 = 2 - pow(beta2, -(eta + 1));
    double u = hps_rng_uniform(rng);
    double q1 = u > 1 / alpha1 ? pow(1 / (2 - u * alpha1), 1 / (eta + 1))
                               : pow(u * alpha1, 1 / (eta + 1));
    double q2 = u > 1 / alpha2 ? pow(1 / (2 - u * alpha2), 1 / (eta + 1))
                               : pow(u * alpha2, 1 / (eta + 1));
    *c1 = 0.5 * ((lo + hi) - q1 * diff);
    *c2 = 0.5 * ((lo + hi) + q2 * diff);
}

/* vSBX's pair: c1 between the parents (its spread factor beta1 < 1), c2 beyond one of
 * them (1 - beta2 of half their distance); u decides which parent each leans to. */
static void vsbx_pair(double x1, double x2, double eta, hps_rng *rng, double *c1, double *c2)
{
    double u = hps_rng_uniform(rng);
    double beta1 = pow(0.5 * u, 1 / (eta + 1));
    double beta2 = pow(0.5 * (1 - u), 1 / (eta + 1));
    if (u > 0.5) {
        *c1 = 0.5 * ((1 - beta1) * x1 + (1 + beta1) * x2);
        *c2 = 0.5 * (-(1 - beta2) * x1 + (3 - beta2) * x2);
    } else {
        *c1 = 0.5 * ((1 + beta1) * x1 + (1 - beta1) * x2);
        *c2 = 0.5 * ((3 - beta2) * x1 - (1 - beta2) * x2);
    }
}

/* sbx and vsbx: one child of the pair, coordinate by coordinate. */
static void binary_child(const hps_nsga_operator *op, const double *p1, const double *p2,
                         size_t d, hps_rng *rng, double *child)
{
    int keep_second_child = -1;
    for (size_t j = 0; j < d; j++) {
        double c1, c2;
        if (op->kind == HPS_NSGA_SBX)
            sbx_pair(p1[j], p2[j], op->eta, rng, &c1, &c2);
        else
            vsbx_pair(p1[j], p2[j], op->eta, rng, &c1, &c2);
        int crossed = hps_rng_uniform(rng) < 0.5;
        int swapped = hps_rng_uniform(rng) < 0.5;
        double first = crossed ? c1 : p1[j], second = crossed ? c2 : p2[j];
        if (keep_second_child < 0)
            keep_second_child = hps_rng_uniform(rng) >= 0.5;
        child[j] = keep_second_child != swapped ? second : first;
    }
}

/* SPX with three parents: the vertices x_k = G + epsilon (p_k - G) about the centroid
 * G, and c = r1 (x1 - x2 + r0 (x0 - x1)) with r0 = u0, r1 = sqrt(u1), so that x2 + c is
 * uniform in the triangle x0 x1 x2 (Tsutsui et al.'s recurrence, r_k = u^(1/(k+1))). */
static void spx_child(const hps_nsga_operator *op, const double *const *p, size_t d,
                      hps_rng *rng, double *child)
{
    double r0 = hps_rng_uniform(rng);
    double r1 = sqrt(hps_rng_uniform(rng));
    double epsilon = !isnan(op->spx_epsilon) ? op->spx_epsilon : sqrt((double)d + 2);
    for (size_t j = 0; j < d; j++) {
        double g = (p[0][j] + p[1][j] + p[2][j]) / 3;
        double x0 = g + epsilon * (p[0][j] - g);
        double x1 = g + epsilon * (p[1][j] - g);
        double x2 = g + epsilon * (p[2][j] - g);
        double c = r0 * (x0 - x1);
        c = r1 * (x1 - x2 + c);
        child[j] = x2 + c;
    }
}

/* UNDX: xp + xi d + D (z - (z.e) e), with xp the midpoint of p0 and p1, d = p0 - p1,
 * e the unit vector from p0 to p1 (the first axis when they coincide), D the distance
 * of p2 from their line, xi a normal draw and z a vector of them: the component across
 * the line is isotropic in the d - 1 dimensions orthogonal to e, as Optuna's sum over
 * an orthonormal basis of them is. Optuna 3.1 passes sigma squared to numpy's normal as
 * its standard deviation; so does this, for the same children: xi's standard deviation
 * is sigma_xi^2, z's sigma_eta^2. */
/* Coordinate j of the unit vector from p0 to p1 (norm: their distance), the first axis
 * when they coincide (Optuna's basis is then the identity's). */
static double undx_axis(const double *const *p, double norm, size_t j)
{
    return norm > 0 ? (p[1][j] - p[0][j]) / norm : (j == 0 ? 1.0 : 0.0);
}

static void undx_child(const hps_nsga_operator *op, const double *const *p, size_t d,
                       hps_rng *rng, double *child)
{
    double sigma_eta = !isnan(op->undx_sigma_eta) ? op->undx_sigma_eta : 0.35 / sqrt((double)d);
    double norm = 0;
    for (size_t j = 0; j < d; j++)
        norm += (p[1][j] - p[0][j]) * (p[1][j] - p[0][j]);
    norm = sqrt(norm);
    double along = 0; /* (p2 - p0).e */
    for (size_t j = 0; j < d; j++)
        along += (p[2][j] - p[0][j]) * undx_axis(p, norm, j);
    double distance = 0;
    for (size_t j = 0; j < d; j++) {
        double across = (p[2][j] - p[0][j]) - along * undx_axis(p, norm, j);
        distance += across * across;
    }
    distance = sqrt(distance);
    /* z first, in child[], then its component along e */
    double z_along = 0;
    for (size_t j = 0; j < d; j++) {
        child[j] = sigma_eta * sigma_eta * hps_rng_normal(rng);
        z_along += child[j] * undx_axis(p, norm, j);
    }
    double xi = op->undx_sigma_xi * op->undx_sigma_xi * hps_rng_normal(rng);
    for (size_t j = 0; j < d; j++) {
        double xp = 0.5 * (p[0][j] + p[1][j]);
        double across = child[j] - z_along * undx_axis(p, norm, j);
        child[j] = xp + xi * (p[0][j] - p[1][j]) + distance * across;
    }
}

void hps_nsga_cross(const hps_nsga_operator *op, const double *const *parents, size_t d,
                    hps_rng *rng, double *child)
{
    const double *p1 = parents[0], *p2 = parents[1];
    switch (op->kind) {
    case HPS_NSGA_UNIFORM:
        for (size_t j = 0; j < d; j++)
            child[j] = hps_rng_uniform(rng) < op->swapping_prob ? p1[j] : p2[j];
        break;
    case HPS_NSGA_BLX_ALPHA:
        for (size_t j = 0; j < d; j++) {
            double lo = fmin(p1[j], p2[j]), hi = fmax(p1[j], p2[j]);
            double spread = op->blx_alpha * (hi - lo);
            child[j] = (lo - spread) + hps_rng_uniform(rng) * ((hi + spread) - (lo - spread));
        }
        break;
    case HPS_NSGA_SBX:
    case HPS_NSGA_VSBX:
        binary_child(op, p1, p2, d, rng, child);
        break;
    case HPS_NSGA_SPX:
        spx_child(op, parents, d, rng, child);
        break;
    case HPS_NSGA_UNDX:
        undx_child(op, parents, d, rng, child);
        break;
    }
}
