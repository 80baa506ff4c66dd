/* space.c -- the declared search space of a config, applied to the library. */
#include "cli/space.h"

#include "base/dist.h"
#include "cli/cli.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void space_free_values(hps_value *values, size_t n)
{
    (void)n; /* strings are borrowed from the config */
    free(values);
}

static hps_value numeric_value(const cfg_param *p, double x)
{
    hps_value v;
    if (p->kind == CFG_INT) {
        v.type = HPS_VALUE_INT;
        v.u.i = (int64_t)llround(x);
    } else {
        v.type = HPS_VALUE_FLOAT;
        v.u.f = x;
    }
    return v;
}

static int same_number(const hps_value *a, const hps_value *b)
{
    return a->type == HPS_VALUE_INT ? a->u.i == b->u.i : a->u.f == b->u.f;
}

int space_grid_values(const cfg_param *p, hps_value **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT || p->n_values > 0) {
        hps_value *values = calloc(p->n_values, sizeof *values);
        if (values == NULL)
            return -1;
        memcpy(values, p->values, p->n_values * sizeof *values);
        *out = values;
        *n_out = p->n_values;
        return 0;
    }
    double step = p->step;
    if (p->kind == CFG_INT && step == 0)
        step = 1;
    size_t n;
    if (p->grid_points > 0)
        n = p->grid_points;
    else if (step > 0)
        n = (size_t)llround((p->high - p->low) / step) + 1;
    else if (p->low == p->high)
        n = 1;
    else
        return -1;
    if (n == 0 || n > CFG_MAX_GRID_CELLS)
        return -1;
    hps_value *values = calloc(n, sizeof *values);
    if (values == NULL)
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        double x;
        if (p->grid_points > 0) {
            double t = n == 1 ? 0.5 : (double)i / (double)(n - 1);
            if (p->flags & HPS_LOG)
                x = exp(log(p->low) + t * (log(p->high) - log(p->low)));
            else
                x = p->low + t * (p->high - p->low);
            if (step > 0) /* keep grid points on the parameter's own step */
                x = p->low + nearbyint((x - p->low) / step) * step;
            x = fmin(p->high, fmax(p->low, x));
            if (i == 0) /* exp(log(x)) is not always x: the ends are the bounds as written */
                x = p->low;
            else if (i + 1 == n)
                x = p->high;
        } else {
            x = i + 1 == n ? p->high : p->low + (double)i * step;
        }
        hps_value v = numeric_value(p, x);
        /* rounding to a step or to integers can merge neighbouring points */
        if (kept > 0 && same_number(&values[kept - 1], &v))
            continue;
        values[kept++] = v;
    }
    *out = values;
    *n_out = kept;
    return 0;
}

/* Copies the JSON string `key` of `obj` into buf (empty when absent). */
static void copy_text(const json_t *obj, const char *key, char *buf, size_t size)
{
    const char *text = json_string_value(json_object_get(obj, key));
    snprintf(buf, size, "%s", text != NULL ? text : "");
}

/* A count as a JSON integer, which is signed: one past its range is as good as
 * infinite for a grid or a budget. */
static json_int_t json_count(uint64_t n)
{
    return n > (uint64_t)LLONG_MAX ? (json_int_t)LLONG_MAX : (json_int_t)n;
}

int space_param_searched(const cfg_param *p)
{
    /* the distribution suggest_one asks for off the grid, judged by the library's own
     * rule (hps_dist_cardinality), so plan and the auto sampler count the same ones */
    hps_dist dist;
    hps_errbuf err = {{0}};
    hps_status rc;
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT)
        return p->n_values > 1; /* a categorical's cardinality is its number of choices */
    if (p->kind == CFG_INT)
        rc = hps_dist_init_int(&dist, p->name, (int64_t)p->low, (int64_t)p->high,
                               p->step > 0 ? (int64_t)p->step : 1, p->flags, &err);
    else
        rc = hps_dist_init_float(&dist, p->name, p->low, p->high, p->step, p->flags, &err);
    /* a range the library refuses fails the run at its first trial: count it */
    int searched = rc != HPS_OK || hps_dist_cardinality(&dist) != 1;
    hps_dist_clear(&dist);
    return searched;
}

/* hps_auto_explain's answer for the config's space with the grid, budget and finished
 * trials given (grid 0: the CLI does not run a grid). */
static hps_status explain(const cfg_config *cfg, uint64_t grid_cells, uint64_t budget,
                          uint64_t finished, space_auto_choice *out)
{
    json_int_t n_float = 0, n_int = 0, n_categorical = 0;
    int conditional = cfg_is_conditional(cfg);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        if (!space_param_searched(p))
            continue; /* nothing to search */
        /* the auto sampler counts the parameters every finished trial shares (its
         * relative space); on a conditional space, once the trials have taken each
         * branch, those are the parameters without `when:` */
        if (conditional && p->n_when > 0)
            continue;
        if (p->kind == CFG_CATEGORICAL)
            n_categorical++;
        else if (p->kind == CFG_INT)
            n_int++;
        else
            n_float++;
    }
    json_int_t grid = json_count(grid_cells), trials = json_count(budget);
    json_t *desc = json_pack("{sIsIsIsIsIsIsIsbsb}", "float", n_float, "int", n_int,
                             "categorical", n_categorical, "grid_size", grid, "budget", trials,
                             "finished", json_count(finished),
                             "objectives", (json_int_t)(cfg->n_objectives > 0 ? cfg->n_objectives : 1),
                             "conditional", conditional,
                             "constrained", cfg->n_constraints > 0);
    char *desc_text = desc != NULL ? json_dumps(desc, JSON_COMPACT) : NULL;
    json_decref(desc);
    if (desc_text == NULL) {
        snprintf(out->reason, sizeof out->reason, "out of memory");
        return HPS_ERR_NOMEM;
    }
    char *answer_text = NULL;
    hps_status rc = hps_auto_explain(desc_text, &answer_text, out->reason, sizeof out->reason);
    free(desc_text);
    if (rc != HPS_OK)
        return rc;
    json_t *answer = json_loads(answer_text, 0, NULL);
    hps_free(answer_text);
    if (answer == NULL) {
        snprintf(out->reason, sizeof out->reason, "out of memory");
        return HPS_ERR_NOMEM;
    }
    copy_text(answer, "strategy", out->strategy, sizeof out->strategy);
    copy_text(answer, "reason", out->reason, sizeof out->reason);
    const json_t *then = json_object_get(answer, "then");
    if (then != NULL) {
        out->then_after = (uint64_t)json_integer_value(json_object_get(then, "after"));
        copy_text(then, "strategy", out->then_strategy, sizeof out->then_strategy);
    }
    json_decref(answer);
    return HPS_OK;
}

hps_status space_auto_choose(const cfg_config *cfg, uint64_t budget, space_auto_choice *out)
{
    /* a conditional grid's size is the sum over its branches */
    return explain(cfg, space_grid_cells(cfg), budget, 0, out);
}

hps_status space_auto_choose_stored(const cfg_config *cfg, uint64_t budget, uint64_t warm_added,
                                    uint64_t finished, space_auto_choice *out)
{
    hps_status rc = space_auto_choose(cfg, budget, out);
    if (rc != HPS_OK || strcmp(out->strategy, "grid") == 0)
        return rc; /* the CLI runs the grid, whatever the study holds */
    uint64_t max_trials = budget == 0                          ? 0
                          : warm_added > UINT64_MAX - budget ? UINT64_MAX
                                                             : budget + warm_added;
    return explain(cfg, 0, max_trials, finished, out);
}

void space_count_trials(hps_study *study, space_trial_counts *out)
{
    size_t n = 0;
    memset(out, 0, sizeof *out);
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK)
            continue;
        hps_trial_state state = hps_frozen_state(t);
        out->finished += state == HPS_COMPLETE || (state == HPS_PRUNED && hps_frozen_n_values(t) > 0);
        out->interrupted += state == HPS_FAIL && hps_frozen_interrupted(t);
    }
}

/* The grid values of the parent of `cond` that satisfy it, into *out (freed with
 * space_free_values): the values hps_sampler_grid_when takes. Every parameter of a
 * config that reached the grid has grid values (cfg_validate), so -1 is out of memory. */
static int condition_grid_values(const cfg_config *cfg, const cfg_condition *cond,
                                 hps_value **out, size_t *n_out)
{
    hps_value *values;
    size_t n, kept = 0;
    if (space_grid_values(&cfg->params[cond->parent_index], &values, &n) != 0)
        return -1;
    for (size_t v = 0; v < n; v++)
        if (cfg_condition_holds(cond, &values[v]))
            values[kept++] = values[v];
    *out = values;
    *n_out = kept;
    return 0;
}

/* Adds every parameter's grid values to the grid sampler, parents before their
 * children, then the conditions; on error writes a message naming the parameter. */
static hps_status fill_grid(const cfg_config *cfg, hps_sampler *sampler, char *err,
                            size_t errlen)
{
    size_t *order = calloc(cfg->n_params, sizeof *order);
    if (order == NULL) {
        snprintf(err, errlen, "out of memory");
        return HPS_ERR_NOMEM;
    }
    cfg_condition_order(cfg, order);
    hps_status rc = HPS_OK;
    for (size_t k = 0; rc == HPS_OK && k < cfg->n_params; k++) {
        const cfg_param *p = &cfg->params[order[k]];
        hps_value *values = NULL;
        size_t n = 0;
        if (space_grid_values(p, &values, &n) != 0) {
            char at[CFG_WHERE_SIZE];
            snprintf(err, errlen, "%s: parameter '%s': the grid sampler needs a finite set of "
                     "values", cfg_where(cfg, p->line, at, sizeof at), p->name);
            free(order);
            return HPS_ERR_INVALID;
        }
        rc = hps_sampler_grid_add(sampler, p->name, values, n);
        space_free_values(values, n);
    }
    for (size_t k = 0; rc == HPS_OK && k < cfg->n_params; k++) {
        const cfg_param *p = &cfg->params[order[k]];
        for (size_t c = 0; rc == HPS_OK && c < p->n_when; c++) {
            hps_value *values = NULL;
            size_t n = 0;
            if (condition_grid_values(cfg, &p->when[c], &values, &n) != 0) {
                snprintf(err, errlen, "out of memory");
                free(order);
                return HPS_ERR_NOMEM;
            }
            rc = hps_sampler_grid_when(sampler, p->name, p->when[c].parent, values, n);
            space_free_values(values, n);
        }
    }
    if (rc != HPS_OK)
        snprintf(err, errlen, "%s: %s", cfg->path, hps_sampler_errmsg(sampler));
    free(order);
    return rc;
}

int space_on_grid(const cfg_config *cfg)
{
    /* pbt fixes every parameter itself: a model-based sampler would only cost time */
    if (cfg->pbt.population > 0)
        return 0;
    if (strcmp(cfg->sampler, "auto") == 0) {
        space_auto_choice choice;
        /* out of memory leaves the strategy empty: the auto sampler, which never grids */
        space_auto_choose(cfg, cfg->n_trials, &choice);
        return strcmp(choice.strategy, "grid") == 0;
    }
    return strcmp(cfg->sampler, "grid") == 0;
}

hps_status space_make_sampler(const cfg_config *cfg, hps_sampler **out, char *err, size_t errlen)
{
    hps_sampler *sampler = NULL;
    *out = NULL;
    int on_grid = space_on_grid(cfg);
    const char *name = on_grid ? "grid" : cfg->pbt.population > 0 ? "random" : cfg->sampler;
    hps_status rc = hps_sampler_new(name, &sampler, err, errlen);
    if (rc != HPS_OK)
        return rc;
    if (cfg->has_seed) {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
        rc = hps_sampler_set(sampler, "seed", seed);
    }
    for (size_t i = 0; rc == HPS_OK && !(on_grid && strcmp(cfg->sampler, "auto") == 0) &&
                       i < cfg->n_sampler_options;
         i++)
        rc = hps_sampler_set(sampler, cfg->sampler_keys[i], cfg->sampler_values[i]);
    if (rc == HPS_OK && on_grid) {
        if (cfg->shuffle)
            rc = hps_sampler_set(sampler, "shuffle", "true");
        if (rc == HPS_OK) {
            rc = fill_grid(cfg, sampler, err, errlen);
            if (rc != HPS_OK) {
                hps_sampler_free(sampler);
                return rc;
            }
        }
    }
    if (rc != HPS_OK) {
        snprintf(err, errlen, "%s: %s", cfg->path, hps_sampler_errmsg(sampler));
        hps_sampler_free(sampler);
        return rc;
    }
    *out = sampler;
    return HPS_OK;
}

/* On a grid every parameter is suggested as a categorical over its grid values, so a
 * trial gets exactly the values the grid enumerates (0.1 as written, not a float
 * rounded through a step). */
static hps_status suggest_one(int on_grid, const cfg_param *p,
                              hps_trial *trial, hps_value *out)
{
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT || (on_grid && p->n_values > 0)) {
        size_t index;
        hps_status rc = hps_trial_suggest_categorical(trial, p->name, p->values, p->n_values,
                                                      &index);
        if (rc == HPS_OK)
            *out = p->values[index];
        return rc;
    }
    if (on_grid) {
        hps_value *values;
        size_t n, index;
        if (space_grid_values(p, &values, &n) != 0)
            return HPS_ERR_INVALID;
        hps_status rc = hps_trial_suggest_categorical(trial, p->name, values, n, &index);
        if (rc == HPS_OK)
            *out = values[index];
        space_free_values(values, n);
        return rc;
    }
    if (p->kind == CFG_INT) {
        int64_t v = 0;
        hps_status rc = hps_trial_suggest_int(trial, p->name, (int64_t)p->low, (int64_t)p->high,
                                              p->step > 0 ? (int64_t)p->step : 1, p->flags, &v);
        out->type = HPS_VALUE_INT;
        out->u.i = v;
        return rc;
    }
    double x = 0;
    hps_status rc = hps_trial_suggest_float(trial, p->name, p->low, p->high, p->step, p->flags, &x);
    out->type = HPS_VALUE_FLOAT;
    out->u.f = x;
    return rc;
}

/* The order to suggest in: the parameters without `when:` first, in file order, then
 * the conditional ones, parents before children. A position-based sampler (Sobol: the
 * k-th parameter a trial suggests takes dimension k) so gives every parameter all
 * trials have one dimension in every branch, and each branch's own parameters the
 * dimensions after them. */
static void suggest_order(const cfg_config *cfg, size_t *order)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_params; i++)
        if (cfg->params[i].n_when == 0)
            order[n++] = i;
    if (n == cfg->n_params)
        return;
    size_t *parents_first = calloc(cfg->n_params, sizeof *parents_first);
    if (parents_first == NULL) { /* callers re-check activity: parents first is enough */
        cfg_condition_order(cfg, order);
        return;
    }
    cfg_condition_order(cfg, parents_first);
    for (size_t k = 0; k < cfg->n_params; k++)
        if (cfg->params[parents_first[k]].n_when > 0)
            order[n++] = parents_first[k];
    free(parents_first);
}

hps_status space_suggest_all(const cfg_config *cfg, hps_trial *trial, tmpl_param *params,
                             size_t *n_active, char *err, size_t errlen)
{
    /* the study's sampler decides: `auto` may have become a grid */
    int on_grid = hps_sampler_grid_size(hps_study_sampler(hps_trial_study(trial))) > 0;
    size_t n = cfg->n_params;
    size_t *order = calloc(n, sizeof *order);
    hps_value *values = calloc(n, sizeof *values);
    unsigned char *state = calloc(n, 1);
    hps_status rc = HPS_OK;
    *n_active = 0;
    if (order == NULL || values == NULL || state == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = HPS_ERR_NOMEM;
        goto out;
    }
    /* parents first, so each parameter's conditions can be read off its parents' values;
     * an inactive one is never suggested, so the study stores nothing for it */
    suggest_order(cfg, order);
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        const cfg_param *p = &cfg->params[i];
        if (cfg_param_active(cfg, i, values, state) != 1) {
            state[i] = CFG_INACTIVE;
            continue;
        }
        rc = suggest_one(on_grid, p, trial, &values[i]);
        if (rc != HPS_OK) {
            char at[CFG_WHERE_SIZE];
            snprintf(err, errlen, "%s: parameter '%s': %s", cfg_where(cfg, p->line, at, sizeof at),
                     p->name, hps_trial_errmsg(trial));
            goto out;
        }
        state[i] = CFG_ACTIVE;
    }
    for (size_t i = 0; i < n; i++) /* the trial's command lists them in file order */
        if (state[i] == CFG_ACTIVE) {
            params[*n_active].name = cfg->params[i].name;
            params[*n_active].value = values[i];
            params[*n_active].nested = cfg->params[i].nested;
            ++*n_active;
        }
out:
    free(order);
    free(values);
    free(state);
    return rc;
}

/* Cells below parameter order[k] onwards, given the decided ones; branches over the
 * values of every parameter some other depends on, multiplies the rest. *budget bounds
 * the work: 0 when it runs out. */
typedef struct branch_walk {
    const cfg_config *cfg;
    const size_t *order;
    hps_value **grid;
    size_t *n_grid;
    unsigned char *is_parent, *state;
    hps_value *values;
    uint64_t budget;
} branch_walk;

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t saturating_mul(uint64_t a, uint64_t b)
{
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t count_branches(branch_walk *w, size_t k)
{
    if (k == w->cfg->n_params)
        return 1;
    if (w->budget == 0)
        return 0;
    w->budget--;
    size_t i = w->order[k];
    uint64_t total = 0;
    if (cfg_param_active(w->cfg, i, w->values, w->state) != 1) {
        w->state[i] = CFG_INACTIVE;
        total = count_branches(w, k + 1);
    } else if (!w->is_parent[i]) {
        w->state[i] = CFG_ACTIVE;
        total = saturating_mul(w->n_grid[i], count_branches(w, k + 1));
    } else {
        w->state[i] = CFG_ACTIVE;
        for (size_t v = 0; v < w->n_grid[i] && w->budget > 0; v++) {
            w->values[i] = w->grid[i][v];
            total = saturating_add(total, count_branches(w, k + 1));
        }
    }
    w->state[i] = CFG_UNDECIDED;
    return total;
}

/* Walks the branches one by one: enough for the spaces people write (a few parents
 * with a few values each), bounded for the rest. */
#define SPACE_BRANCH_WORK 10000000u

uint64_t space_grid_cells(const cfg_config *cfg)
{
    if (!cfg_is_conditional(cfg))
        return cfg_grid_size(cfg);
    size_t n = cfg->n_params;
    branch_walk w = {.cfg = cfg, .budget = SPACE_BRANCH_WORK};
    size_t *order = calloc(n, sizeof *order);
    w.grid = calloc(n, sizeof *w.grid);
    w.n_grid = calloc(n, sizeof *w.n_grid);
    w.is_parent = calloc(n, 1);
    w.state = calloc(n, 1);
    w.values = calloc(n, sizeof *w.values);
    uint64_t total = 0;
    int ok = order != NULL && w.grid != NULL && w.n_grid != NULL && w.is_parent != NULL &&
             w.state != NULL && w.values != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = space_grid_values(&cfg->params[i], &w.grid[i], &w.n_grid[i]) == 0;
        for (size_t c = 0; c < cfg->params[i].n_when; c++)
            w.is_parent[cfg->params[i].when[c].parent_index] = 1;
    }
    if (ok) {
        cfg_condition_order(cfg, order);
        w.order = order;
        total = count_branches(&w, 0);
        if (w.budget == 0)
            total = UINT64_MAX; /* too many branches to count: more than any grid holds */
    }
    for (size_t i = 0; w.grid != NULL && i < n; i++)
        space_free_values(w.grid[i], w.n_grid != NULL ? w.n_grid[i] : 0);
    free(order);
    free(w.grid);
    free(w.n_grid);
    free(w.is_parent);
    free(w.state);
    free(w.values);
    return total;
}

/* ---- the declared space -------------------------------------------------------------- */

/* {"type": "categorical", "choices": [...]} (NULL: out of memory). */
static json_t *categorical_json(const hps_value *values, size_t n)
{
    json_t *choices = json_array();
    for (size_t i = 0; choices != NULL && i < n; i++)
        if (json_array_append_new(choices, cli_value_json(&values[i])) != 0) {
            json_decref(choices);
            choices = NULL;
        }
    return choices != NULL ? json_pack("{s:s, s:o}", "type", "categorical", "choices", choices)
                           : NULL;
}

/* The distribution suggest_one uses off the grid, in hps_dist_to_json's form. */
static json_t *param_distribution(const cfg_param *p)
{
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT)
        return categorical_json(p->values, p->n_values);
    int log_scale = (p->flags & HPS_LOG) != 0;
    if (p->kind == CFG_INT)
        return json_pack("{s:s, s:I, s:I, s:I, s:b}", "type", "int", "low", (json_int_t)p->low,
                         "high", (json_int_t)p->high, "step",
                         (json_int_t)(p->step > 0 ? p->step : 1), "log", log_scale);
    if (p->step > 0)
        return json_pack("{s:s, s:f, s:f, s:f, s:b}", "type", "float", "low", p->low, "high",
                         p->high, "step", p->step, "log", log_scale);
    return json_pack("{s:s, s:f, s:f, s:b}", "type", "float", "low", p->low, "high", p->high,
                     "log", log_scale);
}

/* The distribution suggest_one uses, on the grid or off it (it and this must agree: a
 * trial added with another distribution would be another parameter to the samplers). */
static json_t *suggested_distribution(const cfg_param *p, int on_grid)
{
    if (!on_grid || p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT)
        return param_distribution(p);
    if (p->n_values > 0)
        return categorical_json(p->values, p->n_values);
    hps_value *values;
    size_t n;
    if (space_grid_values(p, &values, &n) != 0)
        return NULL;
    json_t *dist = categorical_json(values, n);
    space_free_values(values, n);
    return dist;
}

json_t *space_added_params(const cfg_config *cfg, hps_study *study, const json_t *values)
{
    int on_grid = hps_sampler_grid_size(hps_study_sampler(study)) > 0;
    size_t *order = calloc(cfg->n_params + 1, sizeof *order);
    json_t *params = order != NULL ? json_array() : NULL;
    if (params != NULL)
        suggest_order(cfg, order);
    for (size_t k = 0; params != NULL && k < cfg->n_params; k++) {
        const cfg_param *p = &cfg->params[order[k]];
        json_t *value = json_object_get(values, p->name);
        if (value == NULL)
            continue; /* inactive: a trial has no value for it */
        json_t *dist = suggested_distribution(p, on_grid);
        json_t *entry = dist != NULL ? json_pack("{s:s, s:o, s:O}", "name", p->name,
                                                 "distribution", dist, "value", value)
                                     : NULL;
        if (entry == NULL || json_array_append_new(params, entry) != 0) {
            json_decref(params);
            params = NULL;
        }
    }
    free(order);
    return params;
}

/* The config's parameters as the library's space text (NULL: out of memory), with each
 * parameter's `default:` when `with_defaults` (what old trials map to after a change). */
static char *space_text(const cfg_config *cfg, int with_defaults)
{
    json_t *space = json_array();
    for (size_t i = 0; space != NULL && i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        json_t *dist = param_distribution(p);
        json_t *entry = dist != NULL ? json_pack("{s:s, s:o}", "name", p->name, "distribution",
                                                 dist)
                                     : NULL;
        if (entry != NULL && with_defaults && p->has_default &&
            json_object_set_new(entry, "default", cli_value_json(&p->dflt)) != 0) {
            json_decref(entry);
            entry = NULL;
        }
        if (entry == NULL || json_array_append_new(space, entry) != 0) {
            json_decref(space);
            space = NULL;
        }
    }
    char *text = space != NULL ? json_dumps(space, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(space);
    return text;
}

hps_status space_declare(const cfg_config *cfg, hps_study *study, char *err, size_t errlen)
{
    if (hps_sampler_grid_size(hps_study_sampler(study)) > 0)
        return HPS_OK; /* a grid is its own declaration */
    if (cfg_is_conditional(cfg))
        return HPS_OK; /* the library numbers the product of every parameter's values, and
                          a conditional trial holds only some of them: left undeclared */
    if (cfg->pbt.population > 0)
        return HPS_OK; /* PBT's members keep their values round after round: a finite
                          space would end the study once each configuration had run */
    char *text = space_text(cfg, 0);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return HPS_ERR_NOMEM;
    }
    hps_status rc = hps_study_declare_space(study, text);
    free(text);
    if (rc != HPS_OK)
        snprintf(err, errlen, "%s: %s", cfg->path, hps_study_errmsg(study));
    return rc;
}

hps_status space_map_changed(const cfg_config *cfg, hps_study *study, char *err, size_t errlen)
{
    char *text = space_text(cfg, 1);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return HPS_ERR_NOMEM;
    }
    hps_status rc = hps_study_map_space(study, text);
    free(text);
    if (rc != HPS_OK)
        snprintf(err, errlen, "%s: %s", cfg->path, hps_study_errmsg(study));
    return rc;
}

/* Appends ", name" (or "name" first) to a list of `size` bytes; past its end, ", ..."
 * once. */
static void append_name(char *list, size_t size, size_t *n, const char *name)
{
    size_t used = strlen(list);
    const char *sep = *n > 0 ? ", " : "";
    if (used + strlen(sep) + strlen(name) + sizeof ", ..." < size)
        snprintf(list + used, size - used, "%s%s", sep, name);
    else if (used + sizeof ", ..." <= size && (used < 3 || strcmp(list + used - 3, "...") != 0))
        snprintf(list + used, size - used, "%s...", sep);
    (*n)++;
}

/* CMA-ES models the numeric parameters of the relative search space -- those every
 * finished trial has (samplers/cmaes.c) -- so a categorical parameter and a conditional
 * one (`when:`) are drawn at random in every trial, as random search would: the study
 * runs, but those are not optimized. Said once per run, before anything is spent. */
void space_warn_cmaes(const cfg_config *cfg)
{
    if (strcmp(cfg->sampler, "cmaes") != 0 || cfg->pbt.population > 0)
        return;
    char conditional[512] = "", categorical[512] = "";
    size_t n_cond = 0, n_cat = 0;
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        if (!space_param_searched(p))
            continue;
        if (p->n_when > 0)
            append_name(conditional, sizeof conditional, &n_cond, p->name);
        else if (p->kind == CFG_CATEGORICAL)
            append_name(categorical, sizeof categorical, &n_cat, p->name);
    }
    if (n_cond + n_cat == 0)
        return;
    cli_warn("sampler cmaes models only the numeric parameters every trial has; it draws "
             "%s%s%s%s%s at random in every trial (from the prior, if one is given), as "
             "random search would, so %s not optimized. For this space use `sampler: auto` "
             "(a Gaussian process modelling each branch) or `sampler: tpe`",
             conditional, n_cond > 0 ? " (conditional: only some trials have them)" : "",
             n_cond > 0 && n_cat > 0 ? " and " : "", categorical,
             n_cat > 0 ? " (categorical)" : "", n_cond + n_cat == 1 ? "it is" : "they are");
}
