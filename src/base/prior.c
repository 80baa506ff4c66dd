/* prior.c -- priors on parameters: parsing, fitting to a distribution, the inverse CDF
 * and the log density in unit positions (see prior.h). */
#include "base/prior.h"

#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRIOR_MAX_WEIGHTS 100000

static hps_status parse_weights(hps_prior *prior, const char *name, const json_t *arr,
                                hps_errbuf *err)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > PRIOR_MAX_WEIGHTS)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s': weights must be a list of 1 to %d positive numbers",
                              name, PRIOR_MAX_WEIGHTS);
    double *w = hps_mem_calloc(n, sizeof *w);
    if (w == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(arr, i);
        w[i] = json_is_number(item) ? json_number_value(item) : NAN;
        if (!(w[i] > 0) || !isfinite(w[i])) {
            hps_mem_free(w);
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "prior of '%s': weight %zu must be a positive number", name,
                                  i + 1);
        }
        total += w[i];
    }
    if (!isfinite(total)) {
        hps_mem_free(w);
        return hps_errbuf_set(err, HPS_ERR_INVALID, "prior of '%s': the weights overflow", name);
    }
    for (size_t i = 0; i < n; i++)
        w[i] /= total;
    prior->categorical = 1;
    prior->weights = w;
    prior->n_weights = n;
    return HPS_OK;
}

hps_status hps_prior_from_json(hps_prior *prior, const char *name, const json_t *node,
                               hps_errbuf *err)
{
    memset(prior, 0, sizeof *prior);
    if (!json_is_object(node))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s' must be an object: {center, scale} or {weights}", name);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)node, key, value) {
        if (strcmp(key, "center") != 0 && strcmp(key, "scale") != 0 && strcmp(key, "weights") != 0)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "prior of '%s': unknown key '%s' (center, scale or weights)",
                                  name, key);
    }
    const json_t *weights = json_object_get(node, "weights");
    const json_t *center = json_object_get(node, "center");
    const json_t *scale = json_object_get(node, "scale");
    if (weights != NULL) {
        if (center != NULL || scale != NULL)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "prior of '%s': weights go alone, without center or scale", name);
        return parse_weights(prior, name, weights, err);
    }
    if (center == NULL || scale == NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s' needs both center and scale (or weights)", name);
    prior->center = json_is_number(center) ? json_number_value(center) : NAN;
    prior->scale = json_is_number(scale) ? json_number_value(scale) : NAN;
    if (!isfinite(prior->center))
        return hps_errbuf_set(err, HPS_ERR_INVALID, "prior of '%s': center must be a number", name);
    if (!(prior->scale > 0) || !isfinite(prior->scale))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s': scale must be a positive number", name);
    return HPS_OK;
}

void hps_prior_clear(hps_prior *prior)
{
    if (prior == NULL)
        return;
    hps_mem_free(prior->weights);
    memset(prior, 0, sizeof *prior);
}

hps_status hps_prior_check(const hps_prior *prior, const char *name, const hps_dist *dist,
                           hps_errbuf *err)
{
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        if (!prior->categorical)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "prior of '%s': a categorical parameter takes weights, not "
                                  "center and scale", name);
        if (prior->n_weights != dist->n_choices)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "prior of '%s': %zu weights for %zu choices", name,
                                  prior->n_weights, dist->n_choices);
        return HPS_OK;
    }
    if (prior->categorical)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s': weights are for categorical parameters; give "
                              "center and scale", name);
    if (!(prior->center >= dist->low && prior->center <= dist->high))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "prior of '%s': center %.17g is outside [%.17g, %.17g]", name,
                              prior->center, dist->low, dist->high);
    return HPS_OK;
}

/* The prior as a normal in unit positions (before truncation to [0, 1]); -1 when the
 * distribution has a single value. */
static int unit_normal(const hps_prior *prior, const hps_dist *dist, double *mu, double *sigma)
{
    if (!(dist->high > dist->low))
        return -1;
    /* unit positions are affine in x (or log x), so two of them give the map */
    double lo_u = hps_dist_to_unit(dist, dist->low), hi_u = hps_dist_to_unit(dist, dist->high);
    if (dist->flags & HPS_LOG) {
        double slope = (hi_u - lo_u) / (log(dist->high) - log(dist->low));
        *mu = lo_u + slope * (log(prior->center) - log(dist->low));
        *sigma = slope * prior->scale * log(10.0);
    } else {
        double slope = (hi_u - lo_u) / (dist->high - dist->low);
        *mu = lo_u + slope * (prior->center - dist->low);
        *sigma = slope * prior->scale;
    }
    return *sigma > 0 && isfinite(*sigma) && isfinite(*mu) ? 0 : -1;
}

static double normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* A categorical's weight of choice i, mixed with the uniform's share. */
static double mixed_weight(const hps_prior *prior, size_t i)
{
    return (1 - HPS_PRIOR_UNIFORM_SHARE) * prior->weights[i] +
           HPS_PRIOR_UNIFORM_SHARE / (double)prior->n_weights;
}

double hps_prior_unit_quantile(const hps_prior *prior, const hps_dist *dist, double u)
{
    if (!(u >= 0))
        u = 0;
    if (u > 1)
        u = 1;
    if (prior->categorical) {
        size_t n = prior->n_weights;
        double below = 0;
        for (size_t i = 0; i < n; i++) {
            double w = mixed_weight(prior, i);
            if (u < below + w || i + 1 == n) {
                double within = (u - below) / w;
                within = within < 0 ? 0 : (within > 1 ? 1 : within);
                return ((double)i + within) / (double)n;
            }
            below += w;
        }
        return u;
    }
    double mu, sigma;
    if (unit_normal(prior, dist, &mu, &sigma) != 0)
        return u;
    double lo = normal_cdf(-mu / sigma), hi = normal_cdf((1 - mu) / sigma);
    /* Bisection on the mixture's CDF: monotone, and the unit interval is short, so 60
     * halvings reach a double's resolution without an inverse-erf of our own. */
    double a = 0, b = 1;
    for (int i = 0; i < 60; i++) {
        double m = 0.5 * (a + b);
        double cdf = (1 - HPS_PRIOR_UNIFORM_SHARE) * (normal_cdf((m - mu) / sigma) - lo) / (hi - lo) +
                     HPS_PRIOR_UNIFORM_SHARE * m;
        if (cdf < u)
            a = m;
        else
            b = m;
    }
    return 0.5 * (a + b);
}

double hps_prior_log_density(const hps_prior *prior, const hps_dist *dist, double encoded,
                             double *dlog)
{
    if (dlog != NULL)
        *dlog = 0;
    if (prior->categorical) {
        double k = nearbyint(encoded);
        if (!(k >= 0) || k >= (double)prior->n_weights)
            return 0;
        return log(mixed_weight(prior, (size_t)k) * (double)prior->n_weights);
    }
    double mu, sigma;
    if (unit_normal(prior, dist, &mu, &sigma) != 0)
        return 0;
    double u = encoded < 0 ? 0 : (encoded > 1 ? 1 : encoded);
    double z = (u - mu) / sigma;
    double mass = normal_cdf((1 - mu) / sigma) - normal_cdf(-mu / sigma);
    /* the truncated normal's density over the uniform density 1 on [0, 1], mixed */
    double normal = exp(-0.5 * z * z) / (sigma * 2.5066282746310002 /* sqrt(2 pi) */ * mass);
    double density = (1 - HPS_PRIOR_UNIFORM_SHARE) * normal + HPS_PRIOR_UNIFORM_SHARE;
    if (dlog != NULL && encoded == u)
        *dlog = (1 - HPS_PRIOR_UNIFORM_SHARE) * normal * (-z / sigma) / density;
    return log(density);
}

const hps_prior *hps_priors_find(const hps_priors *priors, const char *name)
{
    for (size_t i = 0; priors != NULL && i < priors->n; i++) {
        if (strcmp(priors->names[i], name) == 0)
            return &priors->items[i];
    }
    return NULL;
}

hps_status hps_priors_set(hps_priors *priors, const char *name, hps_prior *prior)
{
    for (size_t i = 0; i < priors->n; i++) {
        if (strcmp(priors->names[i], name) == 0) {
            hps_prior_clear(&priors->items[i]);
            priors->items[i] = *prior;
            memset(prior, 0, sizeof *prior);
            return HPS_OK;
        }
    }
    char *copy = hps_mem_strdup(name);
    char **names = copy != NULL ? hps_mem_realloc_array(priors->names, priors->n + 1, sizeof *names) : NULL;
    if (names != NULL)
        priors->names = names;
    hps_prior *items = names != NULL ? hps_mem_realloc_array(priors->items, priors->n + 1, sizeof *items) : NULL;
    if (items == NULL) {
        hps_mem_free(copy);
        return HPS_ERR_NOMEM;
    }
    priors->items = items;
    priors->names[priors->n] = copy;
    priors->items[priors->n] = *prior;
    priors->n++;
    memset(prior, 0, sizeof *prior);
    return HPS_OK;
}

void hps_priors_clear(hps_priors *priors)
{
    for (size_t i = 0; i < priors->n; i++) {
        hps_mem_free(priors->names[i]);
        hps_prior_clear(&priors->items[i]);
    }
    hps_mem_free(priors->names);
    hps_mem_free(priors->items);
    memset(priors, 0, sizeof *priors);
}

double hps_priors_beta(const hps_priors *priors, uint64_t budget)
{
    if (priors != NULL && priors->beta > 0)
        return priors->beta;
    return budget > 0 ? (double)budget / 10.0 : 10.0;
}
