/* nsga2.c -- NSGA-II ("nsga2"), and the genetic algorithm it shares with NSGA-III
 * (nsga.h, nsga3.c): the elitist genetic algorithm of K. Deb, A. Pratap,
 * S. Agarwal, T. Meyarivan, "A fast and elitist multiobjective genetic algorithm:
 * NSGA-II", IEEE TEVC 6(2), 2002, with the semantics of Optuna's NSGAIISampler.
 *
 * Generations. A trial belongs to the generation it was asked in, recorded in its system
 * attribute "nsga2:generation" (nsga3's "nsga3:generation", and so on for every key
 * below) when it is first sampled: the largest generation among the COMPLETE trials, or
 * the next one once population_size COMPLETE trials carry that largest. The parents of
 * generation g (g >= 1) are the elite of the COMPLETE trials of generation g - 1
 * together with the parents of g - 1: the first population_size of them by
 * non-dominated rank (Deb's constrained domination when any of them has constraint
 * values: feasible trials first, then the infeasible by their total violation; a value
 * a trial does not have, or all of them, counts as satisfied, as in Optuna 5), the last
 * front admitted cut by decreasing crowding distance (NSGA-III's cut, by niching around
 * reference points, is nsga3.c's: hps_nsga_state.cut). The first worker to select them
 * stores their trial numbers in the study attribute "nsga2:parents:G"; every other
 * worker, and this one after a restart, takes that list, so all agree on one population
 * per generation whatever the order results arrive in.
 *
 * A child. With probability crossover_prob, parents are drawn by binary tournament (of
 * two trials taken at random from the parents not yet drawn, the one that
 * (constrained-)dominates the other, else the second), as many as the operator crosses
 * (three for spx and undx, else two), and crossed: categorical parameters by uniform
 * crossover of the first and last parent, numeric ones by the chosen operator
 * (nsga_crossover.c) in the unit cube of the space (log parameters on their log scale);
 * a child outside the cube is drawn again, parents and all, up to NSGA2_MAX_RETRIES
 * times, then clipped. (Optuna redraws without limit; its transform clips stepped and
 * integer parameters and floats above their high end, so only a float below its low end
 * is redrawn there.) Otherwise the child copies one parent taken at random. Each
 * parameter then mutates with probability mutation_prob (by default 1 / the number of
 * parameters): a mutated parameter is drawn uniformly at random, as Optuna does without
 * a mutation operator (never from a prior: see mutated). Parameters outside the relative
 * search space (new ones, conditional ones, or ones whose distribution varies),
 * parameters with a single value and the whole first generation are drawn at random,
 * from the parameter's prior when it has one (as the random sampler draws), else
 * uniformly.
 *
 * Crossover operators (Optuna's, with its defaults; nsga_crossover.c has the formulas):
 * uniform, sbx (bounded simulated binary; eta "auto" is 20 for several objectives, 2
 * for one), vsbx (unbounded vSBX, the same eta), blxalpha (blend), spx (simplex, three
 * parents, epsilon "auto" sqrt(n + 2) for n numeric parameters) and undx (unimodal
 * normal, three parents, sigma_eta "auto" 0.35 / sqrt(n)).
 *
 * Randomness: every draw for trial n comes from (seed, n), so a trial's values do not
 * depend on which process asks for it. */
#include "base/mem.h"
#include "base/pareto.h"
#include "base/rng.h"
#include "base/strbuf.h"
#include "samplers/nsga.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NSGA2_MAX_RETRIES 100

/* ---- options ------------------------------------------------------------------------ */

/* "auto" (stored as NAN) or a number in [lo, hi]. */
static int parse_auto_number(const char *value, double lo, double hi, double *out)
{
    if (strcasecmp(value, "auto") == 0) {
        *out = NAN;
        return 0;
    }
    double x;
    if (hps_option_parse_double(value, &x) != 0 || !(x >= lo && x <= hi))
        return -1;
    *out = x;
    return 0;
}

int hps_nsga_parse_mutation_prob(void *state, const char *value, const char **why)
{
    (void)why;
    return parse_auto_number(value, 0, 1, &((hps_nsga_state *)state)->mutation_prob);
}

int hps_nsga_parse_sbx_eta(void *state, const char *value, const char **why)
{
    (void)why;
    return parse_auto_number(value, 0, HUGE_VAL, &((hps_nsga_state *)state)->sbx_eta);
}

int hps_nsga_parse_vsbx_eta(void *state, const char *value, const char **why)
{
    (void)why;
    return parse_auto_number(value, 0, HUGE_VAL, &((hps_nsga_state *)state)->vsbx_eta);
}

int hps_nsga_parse_spx_epsilon(void *state, const char *value, const char **why)
{
    (void)why;
    return parse_auto_number(value, 0, HUGE_VAL, &((hps_nsga_state *)state)->spx_epsilon);
}

int hps_nsga_parse_undx_sigma_eta(void *state, const char *value, const char **why)
{
    (void)why;
    return parse_auto_number(value, 0, HUGE_VAL, &((hps_nsga_state *)state)->undx_sigma_eta);
}

const hps_option_choice hps_nsga_crossovers[] = {
    {"uniform", HPS_NSGA_UNIFORM},
    {"sbx", HPS_NSGA_SBX},
    {"blxalpha", HPS_NSGA_BLX_ALPHA},
    {"spx", HPS_NSGA_SPX},
    {"undx", HPS_NSGA_UNDX},
    {"vsbx", HPS_NSGA_VSBX},
    {NULL, 0},
};

static const char *crossover_name(hps_nsga_crossover kind)
{
    for (const hps_option_choice *c = hps_nsga_crossovers; c->name != NULL; c++)
        if (c->value == (int)kind)
            return c->name;
    return "?";
}

static const hps_option nsga2_options[] = {
    HPS_NSGA_OPTIONS,
    HPS_OPTIONS_END,
};

void hps_nsga_state_init(hps_nsga_state *s, const char *name, hps_nsga_cut_fn cut)
{
    s->mutation_prob = NAN;
    s->sbx_eta = NAN;
    s->vsbx_eta = NAN;
    s->spx_epsilon = NAN;
    s->undx_sigma_eta = NAN;
    s->cut = cut;
    snprintf(s->generation_attr, sizeof s->generation_attr, "%s:generation", name);
    snprintf(s->parents_key, sizeof s->parents_key, "%s:parents:", name);
    snprintf(s->draw_key, sizeof s->draw_key, "\x01%s", name);
}

void hps_nsga_state_free(hps_nsga_state *s)
{
    for (size_t g = 0; g < s->n_generations; g++)
        hps_mem_free(s->parents[g].numbers);
    hps_mem_free(s->parents);
}

/* ---- generations -------------------------------------------------------------------- */

/* The generation recorded in a trial, or -1. */
static int64_t generation_of(const hps_nsga_state *s, const hps_frozen *t)
{
    const json_t *g = t->system_attrs != NULL
                          ? json_object_get(t->system_attrs, s->generation_attr)
                          : NULL;
    return json_is_integer(g) && json_integer_value(g) >= 0 ? json_integer_value(g) : -1;
}

/* The generation a new trial joins: the largest among the COMPLETE trials, or the next
 * one when that one is full. */
static int64_t current_generation(const hps_nsga_state *s, const hps_frozen *const *all, size_t n)
{
    int64_t largest = 0;
    uint64_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i] == NULL || all[i]->state != HPS_COMPLETE)
            continue;
        int64_t g = generation_of(s, all[i]);
        if (g > largest) {
            largest = g;
            count = 1;
        } else if (g == largest) {
            count++;
        }
    }
    return count < s->population_size ? largest : largest + 1;
}

/* The trial's generation, recorded when first asked. */
static hps_status trial_generation(hps_nsga_state *s, hps_sampler *sampler, const hps_context *ctx,
                                   int64_t *out)
{
    *out = generation_of(s, ctx->trial);
    if (*out >= 0)
        return HPS_OK;
    const hps_frozen *const *all;
    size_t n;
    hps_errbuf why;
    hps_status rc = hps_ctx_trials(ctx, &all, &n, &why);
    if (rc != HPS_OK)
        return hps_errbuf_set(&sampler->err, rc, "reading the trials: %s", hps_errbuf_text(&why));
    *out = current_generation(s, all, n);
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)*out);
    rc = hps_ctx_set_trial_attr(ctx, s->generation_attr, text, &why);
    if (rc != HPS_OK)
        return hps_errbuf_set(&sampler->err, rc, "recording the trial's generation: %s",
                              hps_errbuf_text(&why));
    return HPS_OK;
}

/* ---- elite selection ------------------------------------------------------------------ */

typedef hps_nsga_pool pool;

static void pool_free(pool *p)
{
    hps_mem_free(p->trials);
    hps_mem_free(p->minimized);
    hps_mem_free(p->raw);
    hps_mem_free(p->constraints);
}

static int pool_fill(pool *p, const hps_context *ctx)
{
    p->m = ctx->n_directions;
    p->k = 0;
    for (size_t i = 0; i < p->n; i++)
        if (hps_frozen_n_constraints(p->trials[i]) > p->k)
            p->k = hps_frozen_n_constraints(p->trials[i]);
    if (p->k > HPS_PARETO_MAX_CONSTRAINTS)
        p->k = HPS_PARETO_MAX_CONSTRAINTS;
    p->minimized = hps_mem_calloc(p->n * p->m + 1, sizeof *p->minimized);
    p->raw = hps_mem_calloc(p->n * p->m + 1, sizeof *p->raw);
    p->constraints = p->k > 0 ? hps_mem_calloc(p->n * p->k, sizeof *p->constraints) : NULL;
    if (p->minimized == NULL || p->raw == NULL || (p->k > 0 && p->constraints == NULL))
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        const hps_frozen *t = p->trials[i];
        for (size_t j = 0; j < p->m; j++) {
            double v = j < t->n_values ? t->values[j] : NAN;
            p->raw[i * p->m + j] = v;
            p->minimized[i * p->m + j] = ctx->directions[j] == HPS_MAXIMIZE ? -v : v;
        }
        /* a value a trial does not have is satisfied (0.0), as Optuna 5 ignores a key a
         * trial did not set: a trial told before a constraint appeared, or with none */
        for (size_t c = 0; c < p->k; c++)
            p->constraints[i * p->k + c] =
                c < hps_frozen_n_constraints(t) ? hps_frozen_constraint(t, c) : 0.0;
    }
    return 0;
}

typedef struct by_value {
    const double *values;
    size_t m, j;
} by_value;

static int cmp_by_value(size_t a, size_t b, const void *ctx)
{
    const by_value *c = ctx;
    /* NaN last: Python's sort leaves it wherever, so any fixed order will do */
    return hps_pareto_cmp(c->values[a * c->m + c->j], c->values[b * c->m + c->j]);
}

typedef struct by_distance {
    const double *distance; /* by pool index */
} by_distance;

static int cmp_by_distance(size_t a, size_t b, const void *ctx)
{
    const double *d = ((const by_distance *)ctx)->distance;
    return (d[a] > d[b]) - (d[a] < d[b]);
}

/* Orders the members of the front that overflows the population by decreasing crowding
 * distance, as Optuna does: its distance computation leaves them sorted by each
 * objective in turn, then a stable increasing sort by distance is reversed (so ties
 * keep the reverse of the objective order). NSGA-II's cut (hps_nsga_cut_fn). */
static int crowding_order(const hps_nsga_state *s, const pool *p, const size_t *elite,
                          size_t n_elite, size_t *members, size_t count, size_t room,
                          hps_rng *rng)
{
    (void)s, (void)elite, (void)n_elite, (void)room, (void)rng;
    double *distance = hps_mem_calloc(count, sizeof *distance);
    double *by_index = hps_mem_calloc(p->n, sizeof *by_index);
    size_t *tmp = hps_mem_calloc(count, sizeof *tmp);
    int rc = -1;
    if (distance == NULL || by_index == NULL || tmp == NULL)
        goto out;
    if (hps_pareto_crowding(p->raw, p->n, p->m, members, count, distance) != HPS_OK)
        goto out;
    for (size_t i = 0; i < count; i++)
        by_index[members[i]] = distance[i];
    for (size_t j = 0; j < p->m; j++) {
        by_value c = {.values = p->raw, .m = p->m, .j = j};
        hps_sort_indices(members, count, tmp, cmp_by_value, &c);
    }
    by_distance c = {.distance = by_index};
    hps_sort_indices(members, count, tmp, cmp_by_distance, &c);
    for (size_t i = 0; i < count / 2; i++) {
        size_t t = members[i];
        members[i] = members[count - 1 - i];
        members[count - 1 - i] = t;
    }
    rc = 0;
out:
    hps_mem_free(distance);
    hps_mem_free(by_index);
    hps_mem_free(tmp);
    return rc;
}

/* The elite of the pool: up to population_size trial numbers into `chosen`. */
static int select_elite(const hps_nsga_state *s, const pool *p, hps_rng *rng, int64_t *chosen,
                        size_t *n_chosen)
{
    size_t *rank = hps_mem_calloc(p->n + 1, sizeof *rank);
    size_t *front = hps_mem_calloc(p->n + 1, sizeof *front);
    size_t *elite = hps_mem_calloc(p->n + 1, sizeof *elite);
    size_t n_fronts = 0;
    int rc = -1;
    *n_chosen = 0;
    if (rank == NULL || front == NULL || elite == NULL)
        goto out;
    if (hps_pareto_rank(p->minimized, p->n, p->m, p->constraints, p->k, rank, &n_fronts) !=
        HPS_OK)
        goto out;
    for (size_t r = 0; r < n_fronts && *n_chosen < s->population_size; r++) {
        size_t count = 0;
        for (size_t i = 0; i < p->n; i++)
            if (rank[i] == r)
                front[count++] = i;
        size_t room = (size_t)s->population_size - *n_chosen;
        if (count >= room && s->cut(s, p, elite, *n_chosen, front, count, room, rng) != 0)
            goto out;
        for (size_t i = 0; i < count && i < room; i++) {
            elite[*n_chosen] = front[i];
            chosen[(*n_chosen)++] = p->trials[front[i]]->number;
        }
    }
    rc = 0;
out:
    hps_mem_free(rank);
    hps_mem_free(front);
    hps_mem_free(elite);
    return rc;
}

/* ---- parents, agreed per generation ------------------------------------------------- */

static const hps_frozen *trial_numbered(const hps_frozen *const *all, size_t n, int64_t number)
{
    return number >= 0 && (uint64_t)number < n ? all[number] : NULL;
}

/* Reads the stored list of parent numbers: HPS_ERR_CORRUPT when the text is not a list
 * of the study's trial numbers. */
static hps_status parse_parents(const char *text, const hps_frozen *const *all, size_t n_all,
                                hps_nsga_parents *out)
{
    json_t *list = json_loads(text, 0, NULL);
    hps_status rc = HPS_ERR_CORRUPT;
    if (!json_is_array(list))
        goto out;
    out->n = json_array_size(list);
    out->numbers = hps_mem_calloc(out->n + 1, sizeof *out->numbers);
    if (out->numbers == NULL) {
        rc = HPS_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < out->n; i++) {
        const json_t *v = json_array_get(list, i);
        if (!json_is_integer(v) || trial_numbered(all, n_all, json_integer_value(v)) == NULL)
            goto out;
        out->numbers[i] = json_integer_value(v);
    }
    out->known = 1;
    rc = HPS_OK;
out:
    json_decref(list);
    return rc;
}

static hps_status parents_of(hps_nsga_state *s, hps_sampler *sampler, const hps_context *ctx,
                             const hps_frozen *const *all, size_t n_all, int64_t generation,
                             const hps_nsga_parents **out);

/* Selects the parents of generation g from the COMPLETE trials of g - 1 and the parents
 * of g - 1, and agrees on them with the study. */
static hps_status agree_parents(hps_nsga_state *s, hps_sampler *sampler, const hps_context *ctx,
                                const hps_frozen *const *all, size_t n_all, int64_t g,
                                hps_nsga_parents *out)
{
    const hps_nsga_parents *previous;
    hps_status rc = parents_of(s, sampler, ctx, all, n_all, g - 1, &previous);
    if (rc != HPS_OK)
        return rc;
    /* a stored list is only checked for known trials: room for duplicates too */
    pool p = {.trials = hps_mem_calloc(n_all + previous->n + 1, sizeof *p.trials)};
    int64_t *chosen = hps_mem_calloc(s->population_size, sizeof *chosen);
    hps_strbuf text;
    hps_strbuf_init(&text, 0);
    char *stored = NULL;
    if (p.trials == NULL || chosen == NULL)
        goto oom;
    for (size_t i = 0; i < n_all; i++)
        if (all[i] != NULL && all[i]->state == HPS_COMPLETE && generation_of(s, all[i]) == g - 1)
            p.trials[p.n++] = all[i];
    for (size_t i = 0; i < previous->n; i++)
        p.trials[p.n++] = trial_numbered(all, n_all, previous->numbers[i]);
    size_t n_chosen;
    /* the cut's draws (NSGA-III's niching) depend on the generation alone */
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, g, s->parents_key);
    if (pool_fill(&p, ctx) != 0 || select_elite(s, &p, &rng, chosen, &n_chosen) != 0)
        goto oom;
    hps_strbuf_putc(&text, '[');
    for (size_t i = 0; i < n_chosen; i++)
        hps_strbuf_printf(&text, "%s%lld", i > 0 ? "," : "", (long long)chosen[i]);
    hps_strbuf_putc(&text, ']');
    if (hps_strbuf_text(&text) == NULL)
        goto oom;
    char key[64];
    snprintf(key, sizeof key, "%s%lld", s->parents_key, (long long)g);
    hps_errbuf why;
    rc = hps_ctx_agree(ctx, key, hps_strbuf_text(&text), &stored, &why);
    if (rc != HPS_OK) {
        rc = hps_errbuf_set(&sampler->err, rc, "agreeing on the parents of generation %lld: %s",
                            (long long)g, hps_errbuf_text(&why));
        goto out;
    }
    rc = parse_parents(stored, all, n_all, out);
    if (rc != HPS_OK) {
        hps_mem_free(out->numbers);
        out->numbers = NULL;
        if (rc == HPS_ERR_NOMEM)
            rc = hps_errbuf_set(&sampler->err, rc, "out of memory");
        else
            rc = hps_errbuf_set(&sampler->err, rc, "the study attribute '%s' is not a list of "
                                "trial numbers", key);
    }
    goto out;
oom:
    rc = hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
out:
    pool_free(&p);
    hps_mem_free(chosen);
    hps_strbuf_free(&text);
    free(stored);
    return rc;
}

/* The parents of generation g (none for generation 0), selected once per study. */
static hps_status parents_of(hps_nsga_state *s, hps_sampler *sampler, const hps_context *ctx,
                             const hps_frozen *const *all, size_t n_all, int64_t generation,
                             const hps_nsga_parents **out)
{
    static const hps_nsga_parents none = {.known = 1};
    if (generation <= 0) {
        *out = &none;
        return HPS_OK;
    }
    /* generation g needs population_size COMPLETE trials in each generation before it:
     * a recorded generation beyond that was not written by this sampler */
    if ((uint64_t)generation > n_all / s->population_size + 1)
        return hps_errbuf_set(&sampler->err, HPS_ERR_CORRUPT, "a trial's attribute '%s' is "
                              "%lld, more generations than %zu trials of %zu can make",
                              s->generation_attr, (long long)generation, n_all,
                              (size_t)s->population_size);
    size_t g = (size_t)generation;
    if (g >= s->n_generations) {
        hps_nsga_parents *grown = hps_mem_realloc_array(s->parents, g + 1, sizeof *grown);
        if (grown == NULL)
            return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
        memset(grown + s->n_generations, 0, (g + 1 - s->n_generations) * sizeof *grown);
        s->parents = grown;
        s->n_generations = g + 1;
    }
    /* upward from generation 1, so that agreeing on h finds h - 1 known (asking for g
     * directly would recurse g deep after a restart) */
    for (size_t h = 1; h <= g; h++) {
        if (s->parents[h].known)
            continue;
        hps_nsga_parents found = {0};
        hps_status rc = agree_parents(s, sampler, ctx, all, n_all, (int64_t)h, &found);
        if (rc != HPS_OK)
            return rc;
        s->parents[h] = found;
    }
    *out = &s->parents[g];
    return HPS_OK;
}

/* ---- the child ---------------------------------------------------------------------- */

/* What a child is made from: the parents' trials, and for each space entry its kind. */
typedef struct breeding {
    const hps_frozen **parents; /* the population to draw from */
    size_t n_parents;
    int constrained;
    const hps_history *h;
    const unsigned char *numeric; /* per space entry: 1 numeric, 0 categorical */
    const unsigned char *bred;    /* per space entry: 1 when crossover decides it */
    size_t *scratch;              /* n_parents entries */
    size_t *coords;               /* the bred numeric entries, in space order */
    size_t n_coords;
    double *units; /* (HPS_NSGA_MAX_PARENTS + 1) x n_coords: the operator's parents, child */
} breeding;

/* A trial's total constraint violation as Deb's rule compares it (hps_pareto_violation:
 * the sum of its positive values, +inf with a NaN one). */
static double violation_of(const hps_frozen *t)
{
    double c[HPS_PARETO_MAX_CONSTRAINTS];
    size_t k = hps_frozen_n_constraints(t);
    if (k > HPS_PARETO_MAX_CONSTRAINTS)
        k = HPS_PARETO_MAX_CONSTRAINTS;
    for (size_t i = 0; i < k; i++)
        c[i] = hps_frozen_constraint(t, i);
    return hps_pareto_violation(c, k);
}

/* Whether x dominates y: Deb's constrained domination when the population has
 * constraints (the violation standing for all of a trial's constraint values). */
static int trial_dominates(const hps_context *ctx, const breeding *b, const hps_frozen *x,
                           const hps_frozen *y)
{
    size_t m = ctx->n_directions; /* at most HPS_PARETO_MAX_OBJECTIVES: nsga2_bind */
    double vx[HPS_PARETO_MAX_OBJECTIVES], vy[HPS_PARETO_MAX_OBJECTIVES];
    for (size_t j = 0; j < m; j++) {
        double sign = ctx->directions[j] == HPS_MAXIMIZE ? -1 : 1;
        vx[j] = j < x->n_values ? sign * x->values[j] : NAN;
        vy[j] = j < y->n_values ? sign * y->values[j] : NAN;
    }
    /* as Optuna 5's constrained domination: a trial's missing values (all of them when
     * it has none) are satisfied, so its violation is that of the values it has */
    if (!b->constrained)
        return hps_pareto_dominates(vx, vy, m);
    double cx = violation_of(x), cy = violation_of(y);
    return hps_pareto_constrained_dominates(vx, &cx, vy, &cy, m, 1);
}

/* Binary tournament among the parents not yet taken (free_idx: n_parents entries). */
static size_t tournament(const hps_context *ctx, const breeding *b, hps_rng *rng,
                         const size_t *taken, size_t n_taken, size_t *free_idx)
{
    size_t n_free = 0;
    for (size_t i = 0; i < b->n_parents; i++) {
        int used = 0;
        for (size_t t = 0; t < n_taken; t++)
            used |= taken[t] == i;
        if (!used)
            free_idx[n_free++] = i;
    }
    size_t first = free_idx[hps_rng_below(rng, n_free)];
    size_t second = free_idx[hps_rng_below(rng, n_free)];
    return trial_dominates(ctx, b, b->parents[first], b->parents[second]) ? first : second;
}

static double param_of(const hps_frozen *t, const hps_history *h, size_t i)
{
    const hps_param_rec *p = hps_rec_find_param(t, h->space.names[i]);
    return p != NULL ? p->internal : NAN;
}

static double unit_of(const hps_frozen *t, const hps_history *h, size_t i)
{
    double x = param_of(t, h, i);
    return isnan(x) ? NAN : hps_dist_to_unit(h->space.dists[i], x);
}

/* The operator the options set, for a study of n_directions objectives. */
static hps_nsga_operator operator_of(const hps_nsga_state *s, size_t n_directions)
{
    double eta = s->crossover == HPS_NSGA_VSBX ? s->vsbx_eta : s->sbx_eta;
    hps_nsga_operator op = {
        .kind = s->crossover,
        .swapping_prob = s->swapping_prob,
        .eta = !isnan(eta) ? eta : (n_directions > 1 ? 20.0 : 2.0),
        .blx_alpha = s->blx_alpha,
        .spx_epsilon = s->spx_epsilon,
        .undx_sigma_xi = s->undx_sigma_xi,
        .undx_sigma_eta = s->undx_sigma_eta,
    };
    return op;
}

/* The numeric coordinates of a child of the parents taken (unit cube, maybe outside).
 * The operator sees the bred numeric entries alone, in the space's order, as Optuna's
 * sees its numerical search space. */
static void cross_numeric(const hps_nsga_operator *op, const breeding *b,
                          const hps_frozen *const *taken, size_t n_taken, hps_rng *rng,
                          double *child)
{
    size_t d = b->n_coords;
    if (d == 0)
        return;
    const double *rows[HPS_NSGA_MAX_PARENTS];
    for (size_t k = 0; k < n_taken; k++) {
        double *row = b->units + k * d;
        for (size_t j = 0; j < d; j++)
            row[j] = unit_of(taken[k], b->h, b->coords[j]);
        rows[k] = row;
    }
    double *crossed = b->units + HPS_NSGA_MAX_PARENTS * d;
    hps_nsga_cross(op, rows, d, rng, crossed);
    for (size_t j = 0; j < d; j++)
        child[b->coords[j]] = crossed[j];
}

static int inside_unit_cube(const breeding *b, const double *child)
{
    for (size_t j = 0; j < b->n_coords; j++)
        if (!(child[b->coords[j]] >= 0 && child[b->coords[j]] <= 1))
            return 0;
    return 1;
}

/* A crossover child into values_out (internal values; NAN where it decides nothing):
 * the operator's parents by binary tournament, categorical parameters by uniform
 * crossover of the first and the last of them. */
static void crossover_child(const hps_nsga_state *s, const hps_context *ctx, const breeding *b,
                            const hps_nsga_operator *op, hps_rng *rng, double *unit,
                            double *values_out)
{
    const hps_history *h = b->h;
    size_t n_taken = hps_nsga_operator_parents(op->kind);
    size_t taken[HPS_NSGA_MAX_PARENTS] = {0};
    const hps_frozen *chosen[HPS_NSGA_MAX_PARENTS] = {NULL};
    for (int attempt = 0;; attempt++) {
        for (size_t k = 0; k < n_taken; k++) {
            taken[k] = tournament(ctx, b, rng, taken, k, b->scratch);
            chosen[k] = b->parents[taken[k]];
        }
        const hps_frozen *first = chosen[0], *last = chosen[n_taken - 1];
        cross_numeric(op, b, chosen, n_taken, rng, unit);
        if (inside_unit_cube(b, unit) || attempt + 1 >= NSGA2_MAX_RETRIES) {
            for (size_t i = 0; i < h->space.n; i++) {
                if (!b->bred[i])
                    continue;
                if (b->numeric[i])
                    values_out[i] =
                        hps_dist_from_unit(h->space.dists[i], fmin(fmax(unit[i], 0), 1));
                else
                    values_out[i] = param_of(
                        hps_rng_uniform(rng) < s->swapping_prob ? first : last, h, i);
            }
            return;
        }
    }
}

/* Space entries crossover decides: every parent has them and they have several values. */
static size_t mark_bred(const breeding *b, unsigned char *numeric, unsigned char *bred)
{
    const hps_history *h = b->h;
    size_t n = 0;
    for (size_t i = 0; i < h->space.n; i++) {
        const hps_dist *d = h->space.dists[i];
        numeric[i] = d->kind != HPS_DIST_CATEGORICAL;
        bred[i] = hps_dist_cardinality(d) != 1;
        for (size_t p = 0; p < b->n_parents && bred[i]; p++) {
            const hps_param_rec *r = hps_rec_find_param(b->parents[p], h->space.names[i]);
            bred[i] = r != NULL && hps_dist_equal(&r->dist, d);
        }
        n += bred[i];
    }
    return n;
}

/* A mutated parameter: drawn uniformly, never from its prior. Mutation is what lets the
 * population reach values its parents lack; drawn from the prior it would pull every
 * generation back towards the prior for as long as the study runs, where the other
 * samplers let a prior fade as trials accumulate (piBO). The draw is keyed as
 * hps_nsga_sample's by (seed, trial, name). */
static double mutated(const hps_sampler *sampler, const hps_context *ctx, const hps_history *h,
                      size_t i)
{
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, h->space.names[i]);
    return hps_dist_from_unit(h->space.dists[i], hps_rng_uniform(&rng));
}

static hps_status breed(const hps_nsga_state *s, hps_sampler *sampler, const hps_context *ctx,
                        breeding *b, double *values_out)
{
    const hps_history *h = b->h;
    unsigned char *flags = hps_mem_calloc(2 * h->space.n, 1);
    double *unit = hps_mem_calloc(h->space.n, sizeof *unit);
    b->scratch = hps_mem_calloc(b->n_parents, sizeof *b->scratch);
    b->coords = hps_mem_calloc(h->space.n + 1, sizeof *b->coords);
    b->units = hps_mem_calloc((HPS_NSGA_MAX_PARENTS + 1) * h->space.n + 1, sizeof *b->units);
    hps_status rc = HPS_OK;
    if (flags == NULL || unit == NULL || b->scratch == NULL || b->coords == NULL ||
        b->units == NULL) {
        rc = hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    b->numeric = flags;
    b->bred = flags + h->space.n;
    size_t n_bred = mark_bred(b, flags, flags + h->space.n);
    b->n_coords = 0;
    for (size_t i = 0; i < h->space.n; i++)
        if (b->bred[i] && b->numeric[i])
            b->coords[b->n_coords++] = i;
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, s->draw_key);
    if (n_bred > 0 && hps_rng_uniform(&rng) < s->crossover_prob) {
        hps_nsga_operator op = operator_of(s, ctx->n_directions);
        crossover_child(s, ctx, b, &op, &rng, unit, values_out);
    } else if (n_bred > 0) {
        const hps_frozen *parent = b->parents[hps_rng_below(&rng, b->n_parents)];
        for (size_t i = 0; i < h->space.n; i++)
            if (b->bred[i])
                values_out[i] = param_of(parent, h, i);
    }
    double mutation = !isnan(s->mutation_prob) ? s->mutation_prob
                                                : 1.0 / (double)(n_bred > 0 ? n_bred : 1);
    for (size_t i = 0; i < h->space.n; i++)
        if (b->bred[i] && hps_rng_uniform(&rng) < mutation)
            values_out[i] = mutated(sampler, ctx, h, i);
out:
    hps_mem_free(flags);
    hps_mem_free(unit);
    hps_mem_free(b->scratch);
    hps_mem_free(b->coords);
    hps_mem_free(b->units);
    return rc;
}

hps_status hps_nsga_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                    const hps_history *h, double *values_out)
{
    hps_nsga_state *s = sampler->impl;
    int64_t generation;
    hps_status rc = trial_generation(s, sampler, ctx, &generation);
    if (rc != HPS_OK || generation == 0)
        return rc;
    const hps_frozen *const *all;
    size_t n_all;
    hps_errbuf why;
    rc = hps_ctx_trials(ctx, &all, &n_all, &why);
    if (rc != HPS_OK)
        return hps_errbuf_set(&sampler->err, rc, "reading the trials: %s", hps_errbuf_text(&why));
    const hps_nsga_parents *parents;
    rc = parents_of(s, sampler, ctx, all, n_all, generation, &parents);
    /* fewer parents than the operator crosses (hps_nsga_bind keeps the population at
     * least that large): every parameter at random */
    if (rc != HPS_OK || parents->n < hps_nsga_operator_parents(s->crossover))
        return rc;
    breeding b = {.h = h, .n_parents = parents->n};
    b.parents = hps_mem_calloc(parents->n, sizeof *b.parents);
    if (b.parents == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < parents->n; i++) {
        b.parents[i] = trial_numbered(all, n_all, parents->numbers[i]);
        b.constrained |= hps_frozen_n_constraints(b.parents[i]) > 0;
    }
    rc = breed(s, sampler, ctx, &b, values_out);
    hps_mem_free(b.parents);
    return rc;
}

/* The first generation, and parameters crossover does not reach (outside the relative
 * space, or with one value): from the parameter's prior when it has one, as the random
 * sampler draws, else uniformly. The first generation is where the prior counts: it
 * seeds the population every later one descends from. (Mutations: mutated above.) */
hps_status hps_nsga_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                           const hps_dist *dist, double *internal_out)
{
    int64_t generation;
    hps_status rc = trial_generation(sampler->impl, sampler, ctx, &generation);
    if (rc != HPS_OK)
        return rc;
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, name);
    *internal_out =
        hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, hps_rng_uniform(&rng)));
    return HPS_OK;
}

hps_status hps_nsga_bind(hps_sampler *sampler, const hps_context *ctx)
{
    if (ctx->n_directions > HPS_PARETO_MAX_OBJECTIVES)
        return hps_errbuf_set(&sampler->err, HPS_ERR_UNSUPPORTED,
                              "the %s sampler takes at most %d objectives (study '%s' has "
                              "%zu)",
                              sampler->ops->name, HPS_PARETO_MAX_OBJECTIVES, ctx->study_name,
                              ctx->n_directions);
    /* a tournament takes each parent from those not yet taken */
    const hps_nsga_state *s = sampler->impl;
    size_t needed = hps_nsga_operator_parents(s->crossover);
    if (s->population_size < needed)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "the %s sampler's crossover %s takes %zu parents: "
                              "population_size must be at least %zu (it is %llu)",
                              sampler->ops->name, crossover_name(s->crossover), needed, needed,
                              (unsigned long long)s->population_size);
    return HPS_OK;
}

static hps_status nsga2_init(hps_sampler *sampler)
{
    hps_nsga_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    hps_nsga_state_init(s, "nsga2", crowding_order);
    sampler->impl = s;
    return HPS_OK;
}

static void nsga2_destroy(hps_sampler *sampler)
{
    hps_nsga_state *s = sampler->impl;
    if (s == NULL)
        return;
    hps_nsga_state_free(s);
    hps_mem_free(s);
}

const hps_sampler_ops hps_nsga2_sampler_ops = {
    .name = "nsga2",
    .help = "NSGA-II, the genetic algorithm for one or several objectives and constraints: "
            "elite by non-dominated rank and crowding distance, children by crossover and "
            "mutation",
    .learns = 1,
    .options = nsga2_options,
    .init = nsga2_init,
    .destroy = nsga2_destroy,
    .bind = hps_nsga_bind,
    .sample = hps_nsga_sample,
    .sample_relative = hps_nsga_sample_relative,
};
