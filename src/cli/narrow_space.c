/* narrow_space.c -- the narrowed space of `hpsearch narrow` (see narrow.h): ranges
 * shrunk around the best trials, a grid refined around its best cells, categoricals
 * reduced to the choices that did well, and which old trials lie inside the result. */
#include "cli/cli.h"
#include "cli/grid_refine.h"
#include "cli/narrow.h"
#include "cli/space.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the trials' values ---------------------------------------------------------------- */

static int value_number(hps_value v, double *out)
{
    if (v.type == HPS_VALUE_INT)
        *out = (double)v.u.i;
    else if (v.type == HPS_VALUE_FLOAT)
        *out = v.u.f;
    else
        return 0;
    return 1;
}

/* Fills values[] and state[] (n_params each) with what trial t ran with, in cfg's terms:
 * CFG_ACTIVE with its own value or, where it has none (it ran before the parameter was
 * added), the parameter's default, as the warm start maps it; CFG_INACTIVE where the
 * parameter's conditions fail; CFG_UNDECIDED where neither is known. Returns 0, or -1
 * when out of memory. */
static int trial_values(const cfg_config *cfg, const hps_frozen *t, hps_value *values,
                        unsigned char *state)
{
    size_t *order = calloc(cfg->n_params + 1, sizeof *order);
    if (order == NULL)
        return -1;
    cfg_condition_order(cfg, order);
    memset(state, CFG_UNDECIDED, cfg->n_params);
    for (size_t k = 0; k < cfg->n_params; k++) {
        size_t i = order[k];
        int active = cfg_param_active(cfg, i, values, state);
        long idx = hps_frozen_param_index(t, cfg->params[i].name);
        if (active == 0)
            state[i] = CFG_INACTIVE;
        if (active != 1 || (idx < 0 && !cfg->params[i].has_default))
            continue;
        values[i] = idx >= 0 ? hps_frozen_param_value(t, (size_t)idx) : cfg->params[i].dflt;
        state[i] = CFG_ACTIVE;
    }
    free(order);
    return 0;
}

/* The top trials' values (trial_values), taken before narrowing changes the config. */
typedef struct {
    hps_value *values; /* k rows of n_params */
    unsigned char *state;
    size_t n_params, k;
} top_values;

/* Top trial r's value of parameter i: 1, or 0 when it has none (inactive, unknown). */
static int top_value(const top_values *top, size_t r, size_t i, hps_value *out)
{
    if (top->state[r * top->n_params + i] != CFG_ACTIVE)
        return 0;
    *out = top->values[r * top->n_params + i];
    return 1;
}

static int top_number(const top_values *top, size_t r, size_t i, double *out)
{
    hps_value v;
    return top_value(top, r, i, &v) && value_number(v, out);
}

static int same_value(hps_value a, hps_value b)
{
    char x[256], y[256];
    cli_format_value(a, x, sizeof x);
    cli_format_value(b, y, sizeof y);
    return a.type == b.type && strcmp(x, y) == 0;
}

/* ---- narrowing a range ------------------------------------------------------------------ */

/* Rounds a bound outward onto the parameter's own grid (ints, steps). */
static double align(const cfg_param *p, double x, int up)
{
    double step = p->step > 0 ? p->step : (p->kind == CFG_INT ? 1 : 0);
    if (step <= 0)
        return x;
    double k = (x - p->low) / step;
    k = up ? ceil(k - 1e-9) : floor(k + 1e-9);
    return p->low + k * step;
}

/* x to 4 significant digits, rounded down (or up), as the shortest text prints it. */
static double round_outward(double x, int up)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3e", x);
    double r = strtod(buf, NULL);
    if (up ? r >= x : r <= x)
        return r;
    /* one unit in the 4th digit the other way */
    char *e = strchr(buf, 'e');
    int exponent = e != NULL ? atoi(e + 1) : 0;
    double unit = pow(10, exponent - 3);
    snprintf(buf, sizeof buf, "%.3e", up ? r + unit : r - unit);
    return strtod(buf, NULL);
}

static void narrow_range(cfg_param *p, const top_values *top, size_t param, double margin)
{
    int log_scale = (p->flags & HPS_LOG) && p->low > 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < top->k; r++) {
        double v;
        if (!top_number(top, r, param, &v))
            continue;
        double u = log_scale ? log(v) : v;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    if (!(lo <= hi))
        return; /* no top trial has it: keep the original range */
    double full_lo = log_scale ? log(p->low) : p->low, full_hi = log_scale ? log(p->high) : p->high;
    /* A single distinct value still deserves room around it: a tenth of the range. */
    double span = hi > lo ? hi - lo : 0.1 * (full_hi - full_lo);
    lo = fmax(full_lo, lo - margin * span);
    hi = fmin(full_hi, hi + margin * span);
    double new_low = log_scale ? exp(lo) : lo, new_high = log_scale ? exp(hi) : hi;
    new_low = fmax(p->low, align(p, new_low, 0));
    new_high = fmin(p->high, align(p, new_high, 1));
    if (log_scale) { /* exp(log(x)) may miss x by an ulp: keep the original ends */
        if (lo <= full_lo)
            new_low = p->low;
        if (hi >= full_hi)
            new_high = p->high;
    }
    if (p->kind == CFG_FLOAT && p->step == 0) {
        /* 4 significant digits, rounded outward: a config people read */
        double rl = round_outward(new_low, 0), rh = round_outward(new_high, 1);
        if (rl >= p->low && (!log_scale || rl > 0))
            new_low = rl;
        if (rh <= p->high)
            new_high = rh;
    }
    p->low = new_low;
    p->high = new_high;
    /* explicit grid values outside the new range go */
    size_t kept = 0;
    for (size_t i = 0; i < p->n_values; i++) {
        double v = p->values[i].type == HPS_VALUE_INT ? (double)p->values[i].u.i : p->values[i].u.f;
        if (v >= new_low && v <= new_high)
            p->values[kept++] = p->values[i];
    }
    p->n_values = kept;
    p->grid_points = 0;
}

static void narrow_choices(cfg_param *p, const top_values *top, size_t param)
{
    size_t kept = 0;
    for (size_t c = 0; c < p->n_values; c++) {
        int used = 0;
        for (size_t r = 0; r < top->k && !used; r++) {
            hps_value v;
            used = top_value(top, r, param, &v) && same_value(v, p->values[c]);
        }
        if (used) {
            hps_value keep = p->values[c];
            p->values[c] = p->values[kept]; /* swap, so strings are freed exactly once */
            p->values[kept++] = keep;
        }
    }
    if (kept == 0)
        return;
    for (size_t c = kept; c < p->n_values; c++) /* the config owns its strings */
        if (p->values[c].type == HPS_VALUE_STRING)
            free((char *)p->values[c].u.s);
    p->n_values = kept;
}

/* ---- refining a grid ------------------------------------------------------------------- */

int narrow_ran_as_grid(const cfg_config *cfg)
{
    if (strcmp(cfg->sampler, "grid") == 0)
        return 1;
    if (strcmp(cfg->sampler, "auto") != 0)
        return 0;
    space_auto_choice choice;
    space_auto_choose(cfg, cfg->n_trials, &choice); /* out of memory: not a grid */
    return strcmp(choice.strategy, "grid") == 0;
}

/* A categorical whose choices are all numbers (not bools): a numeric axis of the grid. */
static int numeric_choices(const cfg_param *p, int *all_ints)
{
    *all_ints = 1;
    for (size_t i = 0; i < p->n_values; i++) {
        if (p->values[i].type != HPS_VALUE_INT && p->values[i].type != HPS_VALUE_FLOAT)
            return 0;
        *all_ints &= p->values[i].type == HPS_VALUE_INT;
    }
    return p->n_values > 0;
}

/* A numeric parameter whose grid is every point of its lattice (an int range, or a range
 * with a step): nothing lies between its values. */
static int full_lattice(const cfg_param *p)
{
    return (p->kind == CFG_INT || p->kind == CFG_FLOAT) && p->n_values == 0 &&
           p->grid_points == 0 && (p->kind == CFG_INT || p->step > 0);
}

static void warn_at_edge(const cfg_param *p, const double *axis, size_t n_axis, const double *best,
                         size_t n_best)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n_axis; i++) {
        lo = fmin(lo, axis[i]);
        hi = fmax(hi, axis[i]);
    }
    for (size_t i = 0; i < n_best && lo < hi; i++) {
        if (best[i] != lo && best[i] != hi)
            continue;
        char text[64];
        cli_format_double(best[i], text, sizeof text);
        if (p->kind == CFG_INT || (p->kind == CFG_CATEGORICAL && floor(best[i]) == best[i] &&
                                   fabs(best[i]) < 1e15))
            snprintf(text, sizeof text, "%lld", (long long)best[i]);
        cli_warn("parameter '%s': the best value %s is the %s the grid tried; better values may "
                 "lie beyond it (narrow stays inside the grid's bounds: widen them by hand to "
                 "look there)",
                 p->name, text, best[i] == lo ? "smallest" : "largest");
        return;
    }
}

/* Refines one parameter of a grid study around the top trials' values. Returns 0, or -1
 * when out of memory. */
static int refine_param(cfg_param *p, const top_values *top, size_t param)
{
    size_t k = top->k;
    int all_ints = 0;
    if (p->kind == CFG_CONSTANT)
        return 0;
    if (p->kind == CFG_CATEGORICAL && !numeric_choices(p, &all_ints)) {
        narrow_choices(p, top, param);
        return 0;
    }
    hps_value *grid = NULL;
    size_t n_axis = 0;
    if (space_grid_values(p, &grid, &n_axis) != 0)
        return -1;
    double *axis = calloc(n_axis + 1, sizeof *axis), *best = calloc(k + 1, sizeof *best);
    double *refined = calloc(3 * k + 1, sizeof *refined);
    hps_value *values = calloc(3 * k + 1, sizeof *values);
    int rc = axis != NULL && best != NULL && refined != NULL && values != NULL ? 0 : -1;
    size_t n_best = 0;
    for (size_t i = 0; rc == 0 && i < n_axis; i++)
        value_number(grid[i], &axis[i]);
    for (size_t i = 0; rc == 0 && i < k; i++)
        n_best += top_number(top, i, param, &best[n_best]);
    if (rc != 0 || n_best == 0)
        goto out;
    warn_at_edge(p, axis, n_axis, best, n_best);
    if (full_lattice(p)) {
        /* every lattice point ran: the range shrinks to the best values, step kept */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n_best; i++) {
            lo = fmin(lo, best[i]);
            hi = fmax(hi, best[i]);
        }
        p->low = lo;
        p->high = hi;
        goto out;
    }
    int is_int = p->kind == CFG_INT || (p->kind == CFG_CATEGORICAL && all_ints);
    int log_scale = (p->flags & HPS_LOG) ||
                    ((p->n_values > 0) && grid_values_geometric(axis, n_axis));
    size_t n = grid_refine_axis(axis, n_axis, best, n_best, log_scale, is_int ? 1 : 0,
                                p->kind == CFG_INT ? p->low : 0, refined);
    for (size_t i = 0; i < n; i++) {
        /* a value the old grid had keeps its form (1 stays an int among floats) */
        size_t old = 0;
        while (old < n_axis && axis[old] != refined[i])
            old++;
        if (old < n_axis)
            values[i] = grid[old];
        else if (is_int)
            values[i] = (hps_value){.type = HPS_VALUE_INT, .u.i = llround(refined[i])};
        else
            values[i] = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = refined[i]};
    }
    free(p->values); /* numbers only: nothing inside to free */
    p->values = values;
    p->n_values = n;
    values = NULL;
    p->grid_points = 0;
    if (p->kind != CFG_CATEGORICAL) { /* the range other samplers draw from */
        p->low = refined[0];
        p->high = refined[n - 1];
        p->step = 0;
    }
out:
    space_free_values(grid, n_axis);
    free(axis);
    free(best);
    free(refined);
    free(values);
    return rc;
}

/* ---- the narrowed space's members ------------------------------------------------------- */

/* Whether value v is a point of p: for a refined grid its cells' values, for a range any
 * point in it (on its step), whatever grid values it lists. */
static int param_holds(const cfg_param *p, hps_value v, int grid)
{
    if (grid || p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT)
        return cfg_param_holds(p, v);
    cfg_param range = *p;
    range.n_values = 0;
    return cfg_param_holds(&range, v);
}

int narrow_fits(const cfg_config *narrowed, const hps_frozen *old, int grid)
{
    /* a parameter must be there exactly where its conditions hold; a trial from before
     * it was added ran with its default */
    size_t n = narrowed->n_params;
    hps_value *values = calloc(n + 1, sizeof *values);
    unsigned char *state = calloc(n + 1, 1);
    int fits = values != NULL && state != NULL && trial_values(narrowed, old, values, state) == 0;
    for (size_t i = 0; fits && i < n; i++) {
        if (state[i] == CFG_ACTIVE)
            fits = param_holds(&narrowed->params[i], values[i], grid);
        else
            fits = state[i] == CFG_INACTIVE &&
                   hps_frozen_param_index(old, narrowed->params[i].name) < 0;
    }
    free(values);
    free(state);
    return fits;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t narrow_cells_done(const cfg_config *narrowed, const narrow_ranked *all, size_t n)
{
    char **keys = calloc(n + 1, sizeof *keys);
    size_t n_keys = 0, distinct = 0;
    if (keys == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!narrow_fits(narrowed, all[i].trial, 1))
            continue;
        char key[4096] = "", text[256];
        for (size_t j = 0; j < narrowed->n_params; j++) {
            long idx = hps_frozen_param_index(all[i].trial, narrowed->params[j].name);
            if (idx >= 0) /* an inactive parameter is absent */
                cli_format_value(hps_frozen_param_value(all[i].trial, (size_t)idx), text,
                                 sizeof text);
            else
                snprintf(text, sizeof text, "-");
            snprintf(key + strlen(key), sizeof key - strlen(key), "%s\x1f", text);
        }
        keys[n_keys] = strdup(key);
        n_keys += keys[n_keys] != NULL;
    }
    qsort(keys, n_keys, sizeof *keys, by_text);
    for (size_t i = 0; i < n_keys; i++)
        distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
    for (size_t i = 0; i < n_keys; i++)
        free(keys[i]);
    free(keys);
    return distinct;
}

/* A default the narrowed parameter no longer takes goes (the file would not load with
 * it): the trials that ran with it lie outside the narrowed space anyway. */
static void keep_default_inside(cfg_param *p)
{
    if (!p->has_default || cfg_param_holds(p, p->dflt))
        return;
    if (p->dflt.type == HPS_VALUE_STRING)
        free((char *)p->dflt.u.s);
    memset(&p->dflt, 0, sizeof p->dflt);
    p->has_default = 0;
}

int narrow_space(cfg_config *cfg, const narrow_ranked *ranked, size_t k, double margin, int grid)
{
    size_t n = cfg->n_params;
    top_values top = {.values = calloc(k * n + 1, sizeof *top.values),
                      .state = calloc(k * n + 1, 1), .n_params = n, .k = k};
    int rc = top.values != NULL && top.state != NULL ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < k; r++)
        rc = trial_values(cfg, ranked[r].trial, top.values + r * n, top.state + r * n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cfg_param *p = &cfg->params[i];
        if (grid) {
            rc = refine_param(p, &top, i);
        } else if (p->kind == CFG_CATEGORICAL) {
            narrow_choices(p, &top, i);
        } else if (p->kind == CFG_FLOAT || p->kind == CFG_INT) {
            narrow_range(p, &top, i, margin);
        }
        if (rc == 0)
            keep_default_inside(p);
    }
    free(top.values);
    free(top.state);
    return rc;
}
