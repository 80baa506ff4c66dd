/*
 * config_prior.c -- a parameter's `prior:` key: what the user believes before the first
 * trial, checked against the parameter (center inside its range, one weight per
 * choice, ...) and kept as the JSON hps_study_set_prior takes.
 *
 *   lr:  {low: 1.0e-5, high: 0.1, log: true, prior: {center: 3.0e-4, scale: 0.5}}
 *   act: {values: [relu, tanh, gelu], prior: {weights: [2, 1, 1]}}
 *   opt: {values: [adam, sgd], prior: {favor: adam, weight: 0.8}}
 *
 * For a log parameter the center is in natural units and the scale in decades.
 */
#include "config_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prior's keys, read once each. */
typedef struct prior_keys {
    const cfg_node *center, *scale, *weights, *favor, *weight;
    int center_line, scale_line, weights_line, favor_line, weight_line;
} prior_keys;

static int collect(cfg_ctx *ctx, const cfg_node *map, int line, const char *where,
                   prior_keys *k)
{
    memset(k, 0, sizeof *k);
    const cfg_node *iter = NULL;
    cfg_entry e;
    int rc = 0;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) {
        struct {
            const char *name;
            const cfg_node **node;
            int *line;
        } known[] = {{"center", &k->center, &k->center_line},
                     {"scale", &k->scale, &k->scale_line},
                     {"weights", &k->weights, &k->weights_line},
                     {"favor", &k->favor, &k->favor_line},
                     {"weight", &k->weight, &k->weight_line}};
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && !cfg_key_is(e.key, e.len, known[i].name))
            i++;
        if (i == sizeof known / sizeof known[0])
            return cfg_fail(ctx, e.line, "%s: unknown key '%.*s' (center and scale for a "
                            "number; weights, or favor and weight, for a categorical)", where,
                            (int)(e.len > 40 ? 40 : e.len), e.key);
        if (*known[i].node != NULL)
            return cfg_fail(ctx, e.line, "%s.%s: given twice", where, known[i].name);
        *known[i].node = e.value;
        *known[i].line = e.line;
    }
    return rc;
}

static int numeric_prior(cfg_ctx *ctx, cfg_param *p, const prior_keys *k, int line,
                         const char *where, json_t *out)
{
    if (k->weights != NULL || k->favor != NULL || k->weight != NULL)
        return cfg_fail(ctx, k->weights != NULL ? k->weights_line
                             : k->favor != NULL ? k->favor_line
                                                : k->weight_line,
                        "%s: weights, favor and weight are for categorical parameters; a "
                        "number takes center and scale", where);
    if (k->center == NULL || k->scale == NULL)
        return cfg_fail(ctx, line, "%s: needs center and scale", where);
    char key[CFG_MAX_NAME + 48];
    double center, scale;
    snprintf(key, sizeof key, "%s.center", where);
    int rc = cfg_get_number(ctx, k->center, k->center_line, key, &center, NULL);
    if (rc != 0)
        return rc;
    snprintf(key, sizeof key, "%s.scale", where);
    rc = cfg_get_number(ctx, k->scale, k->scale_line, key, &scale, NULL);
    if (rc != 0)
        return rc;
    if (!(center >= p->low && center <= p->high))
        return cfg_fail(ctx, k->center_line, "%s.center: %.15g is outside low..high "
                        "(%.15g..%.15g)", where, center, p->low, p->high);
    if (!(scale > 0) || !isfinite(scale))
        return cfg_fail(ctx, k->scale_line, "%s.scale: must be > 0 (got %.15g)%s", where, scale,
                        (p->flags & HPS_LOG) ? "; for a log parameter it is in decades" : "");
    if (json_object_set_new(out, "center", json_real(center)) != 0 ||
        json_object_set_new(out, "scale", json_real(scale)) != 0)
        return cfg_nomem(ctx);
    return 0;
}

/* The index of the choice `node` names, or an error. */
static int favored_choice(cfg_ctx *ctx, const cfg_param *p, const cfg_node *node, int line,
                          const char *key, size_t *index)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    hps_value v = {.type = s.type};
    char *text = NULL;
    if (s.type == HPS_VALUE_STRING) {
        rc = cfg_strndup(ctx, s.text, s.len, &text);
        if (rc != 0)
            return rc;
        v.u.s = text;
    } else if (s.type == HPS_VALUE_INT) {
        v.u.i = s.i;
    } else if (s.type == HPS_VALUE_FLOAT) {
        v.u.f = s.f;
    } else {
        v.u.b = s.b;
    }
    size_t i = 0;
    while (i < p->n_values && (s.type == HPS_VALUE_NONE || cfg_value_compare(&v, &p->values[i]) != 0))
        i++;
    free(text);
    if (i == p->n_values) {
        char what[64];
        cfg_scalar_describe(&s, what, sizeof what);
        return cfg_fail(ctx, s.line, "%s: %s is not one of the values of '%s'", key, what,
                        p->name);
    }
    *index = i;
    return 0;
}

static int categorical_prior(cfg_ctx *ctx, cfg_param *p, const prior_keys *k, int line,
                             const char *where, json_t *out)
{
    if (k->center != NULL || k->scale != NULL)
        return cfg_fail(ctx, k->center != NULL ? k->center_line : k->scale_line,
                        "%s: center and scale are for numbers; a categorical takes weights, "
                        "or favor and weight", where);
    char key[CFG_MAX_NAME + 48];
    json_t *weights = json_array();
    if (weights == NULL || json_object_set_new(out, "weights", weights) != 0)
        return cfg_nomem(ctx);
    size_t n = p->n_values;
    if (k->weights != NULL) {
        if (k->favor != NULL || k->weight != NULL)
            return cfg_fail(ctx, k->weights_line, "%s: give weights, or favor and weight, not "
                            "both", where);
        snprintf(key, sizeof key, "%s.weights", where);
        const cfg_node *seq;
        int rc = cfg_node_sequence(ctx, k->weights, k->weights_line, key, &seq);
        if (rc != 0)
            return rc;
        if (seq->count != n)
            return cfg_fail(ctx, cfg_node_line(seq, k->weights_line), "%s: %zu weights for %zu "
                            "values (one per value, in their order)", key, seq->count, n);
        size_t i = 0;
        for (const cfg_node *item = seq->first; item != NULL; item = item->next, i++) {
            double w;
            int item_line = cfg_node_line(item, k->weights_line);
            rc = cfg_get_number(ctx, item, item_line, key, &w, NULL);
            if (rc != 0)
                return rc;
            if (!(w > 0) || !isfinite(w))
                return cfg_fail(ctx, item_line, "%s: weight %zu must be > 0 (got %.15g); a "
                                "prior weighs choices, it does not remove them", key, i + 1, w);
            if (json_array_append_new(weights, json_real(w)) != 0)
                return cfg_nomem(ctx);
        }
        return 0;
    }
    if (k->favor == NULL || k->weight == NULL)
        return cfg_fail(ctx, line, "%s: needs weights, or favor and weight", where);
    size_t favored = 0;
    snprintf(key, sizeof key, "%s.favor", where);
    int rc = favored_choice(ctx, p, k->favor, k->favor_line, key, &favored);
    if (rc != 0)
        return rc;
    double weight;
    snprintf(key, sizeof key, "%s.weight", where);
    rc = cfg_get_number(ctx, k->weight, k->weight_line, key, &weight, NULL);
    if (rc != 0)
        return rc;
    if (!(weight > 0 && weight < 1) && !(n == 1 && weight == 1))
        return cfg_fail(ctx, k->weight_line, "%s: the favored value's probability must be "
                        "between 0 and 1, exclusive (got %.15g)", key, weight);
    for (size_t i = 0; i < n; i++) {
        double w = i == favored ? weight : (1 - weight) / (double)(n - 1);
        if (json_array_append_new(weights, json_real(w)) != 0)
            return cfg_nomem(ctx);
    }
    return 0;
}

int cfg_read_prior(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line)
{
    char where[CFG_MAX_NAME + 32];
    snprintf(where, sizeof where, "parameters.%s.prior", p->name);
    if (p->kind == CFG_CONSTANT)
        return cfg_fail(ctx, line, "%s: a constant has no prior", where);
    const cfg_node *map;
    int rc = cfg_node_mapping(ctx, node, line, where, &map);
    if (rc != 0)
        return rc;
    prior_keys k;
    rc = collect(ctx, map, line, where, &k);
    if (rc != 0)
        return rc;
    json_t *out = json_object();
    if (out == NULL)
        return cfg_nomem(ctx);
    rc = p->kind == CFG_CATEGORICAL ? categorical_prior(ctx, p, &k, line, where, out)
                                    : numeric_prior(ctx, p, &k, line, where, out);
    char *text = rc == 0 ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(out);
    if (rc != 0)
        return rc;
    if (text == NULL)
        return cfg_nomem(ctx);
    free(p->prior);
    p->prior = strdup(text);
    free(text);
    if (p->prior == NULL)
        return cfg_nomem(ctx);
    p->prior_line = line;
    return 0;
}

int cfg_prior_fits(const cfg_param *p)
{
    if (p->prior == NULL)
        return 0;
    json_t *node = json_loads(p->prior, 0, NULL);
    int fits = 0;
    if (p->kind == CFG_CATEGORICAL) {
        fits = json_array_size(json_object_get(node, "weights")) == p->n_values;
    } else if (p->kind != CFG_CONSTANT) {
        double center = json_number_value(json_object_get(node, "center"));
        fits = center >= p->low && center <= p->high;
    }
    json_decref(node);
    return fits;
}
