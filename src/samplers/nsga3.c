/* nsga3.c -- NSGA-III ("nsga3"): K. Deb and H. Jain, "An evolutionary many-objective
 * optimization algorithm using reference-point-based nondominated sorting approach",
 * IEEE TEVC 18(4), 2014 (parts I and II), with the semantics of Optuna's NSGAIIISampler.
 *
 * It is NSGA-II (nsga2.c, through nsga.h: the same generations, parents agreed with the
 * study, constrained domination, crossover and mutation, and options) but for the front
 * that does not fit whole into the next parents: instead of by crowding distance, it is
 * cut by niching around reference points, which keeps the parents spread over the front
 * when objectives are many and crowding distance no longer tells them apart.
 *
 * The cut. The values of the parents already kept and of that front (maximized
 * objectives negated) are normalized: infinities clipped, the ideal point subtracted, and
 * each objective divided by its intercept with the hyperplane through the extreme points.
 * Each trial is associated with the reference line (from the origin through a reference
 * point) it is nearest. Then, one at a time, a reference point with members of the front
 * left and the fewest kept neighbours is chosen (at random among equals) and gives one
 * member: the nearest to its line when it has no kept neighbour yet, else one at random.
 *
 * Reference points: the Das-Dennis set of dividing_parameter divisions (by default 3, as
 * Optuna's: every point of the unit simplex whose coordinates are multiples of 1/3), or
 * the user's (reference_points), with one coordinate per objective.
 *
 * Where it differs from Optuna's: Optuna normalizes the values as stored, so a maximized
 * objective's ideal point is its worst value; here they are minimized first, as the
 * paper has it. The niching draws come from (seed, generation), so every worker and a
 * restarted one cut a generation the same way (they agree on its parents anyway). */
#include "samplers/nsga3.h"

#include "base/mem.h"
#include "base/pareto.h"
#include "samplers/nsga.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define NSGA3_MAX_DIVISIONS 1000
/* Optuna's _COEF: infinite values are clipped this many ranges beyond the finite ones. */
#define NSGA3_INF_RANGES 3

typedef struct nsga3_state {
    hps_nsga_state ga; /* first: the entries of HPS_NSGA_OPTIONS are its fields */
    uint64_t dividing_parameter;
    double *given;     /* the reference_points option: n_given rows of given_m; NULL: none */
    size_t n_given, given_m;
    double *refs;      /* in use since bind: the given ones or the Das-Dennis set */
    size_t n_refs;
} nsga3_state;

/* ---- reference points --------------------------------------------------------------- */

size_t hps_nsga3_n_reference_points(size_t m, size_t h)
{
    /* C(h + i, i) for i = 1 .. m - 1, each step exact */
    uint64_t count = 1;
    for (size_t i = 1; i < m; i++) {
        count = count * (h + i) / i;
        if (count > HPS_NSGA3_MAX_REFERENCE_POINTS)
            return SIZE_MAX;
    }
    return (size_t)count;
}

void hps_nsga3_reference_points(size_t m, size_t h, double *out)
{
    /* the axes of one combination, nondecreasing, as itertools' combinations_with_replacement */
    size_t axes[NSGA3_MAX_DIVISIONS] = {0};
    for (size_t row = 0;; row++) {
        double *point = out + row * m;
        for (size_t j = 0; j < m; j++)
            point[j] = 0;
        for (size_t i = 0; i < h; i++)
            point[axes[i]] += 1.0;
        for (size_t j = 0; j < m; j++)
            point[j] /= (double)h;
        size_t i = h;
        while (i > 0 && axes[i - 1] == m - 1)
            i--;
        if (i == 0)
            return;
        axes[i - 1]++;
        for (size_t k = i; k < h; k++)
            axes[k] = axes[i - 1];
    }
}

/* ---- normalization ------------------------------------------------------------------ */

/* Clips column j's infinities (and NaN, as the worst) to NSGA3_INF_RANGES ranges beyond
 * its finite values, then subtracts its minimum. */
static void clip_and_shift(double *v, size_t n, size_t m, size_t j)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        double x = v[i * m + j];
        if (isfinite(x)) {
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
    }
    if (lo > hi)
        lo = hi = 0; /* nothing finite: all become 0 */
    double margin = NSGA3_INF_RANGES * (hi - lo);
    double least = HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        double x = v[i * m + j];
        x = isnan(x) ? hi + margin : fmin(fmax(x, lo - margin), hi + margin);
        v[i * m + j] = x;
        least = fmin(least, x);
    }
    for (size_t i = 0; i < n; i++)
        v[i * m + j] -= least;
}

/* The row that minimizes the achievement scalarizing function of axis d (the weights of
 * the NSGA-III preprint: 1 on the axis, 1e6 elsewhere); the first on a tie. */
static size_t extreme_row(const double *v, size_t n, size_t m, size_t d)
{
    size_t best = 0;
    double best_asf = HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        double asf = -HUGE_VAL;
        for (size_t j = 0; j < m; j++)
            asf = fmax(asf, v[i * m + j] * (j == d ? 1.0 : 1e6));
        if (asf < best_asf) {
            best_asf = asf;
            best = i;
        }
    }
    return best;
}

/* Solves a x = 1 (a: m x m, overwritten) by Gaussian elimination with partial pivoting;
 * -1 when a is not finite or numerically singular (a pivot within m * eps of its largest
 * entry, as numpy's matrix_rank would find it deficient). */
static int solve_ones(double *a, size_t m, double *x)
{
    double largest = 0;
    for (size_t i = 0; i < m * m; i++) {
        if (!isfinite(a[i]))
            return -1;
        largest = fmax(largest, fabs(a[i]));
    }
    double tol = largest * (double)m * DBL_EPSILON;
    for (size_t i = 0; i < m; i++)
        x[i] = 1;
    for (size_t c = 0; c < m; c++) {
        size_t pivot = c;
        for (size_t r = c + 1; r < m; r++)
            if (fabs(a[r * m + c]) > fabs(a[pivot * m + c]))
                pivot = r;
        if (!(fabs(a[pivot * m + c]) > tol))
            return -1;
        if (pivot != c) {
            for (size_t k = 0; k < m; k++) {
                double t = a[c * m + k];
                a[c * m + k] = a[pivot * m + k];
                a[pivot * m + k] = t;
            }
            double t = x[c];
            x[c] = x[pivot];
            x[pivot] = t;
        }
        for (size_t r = c + 1; r < m; r++) {
            double f = a[r * m + c] / a[c * m + c];
            for (size_t k = c; k < m; k++)
                a[r * m + k] -= f * a[c * m + k];
            x[r] -= f * x[c];
        }
    }
    for (size_t c = m; c-- > 0;) {
        for (size_t k = c + 1; k < m; k++)
            x[c] -= a[c * m + k] * x[k];
        x[c] /= a[c * m + c];
    }
    return 0;
}

void hps_nsga3_normalize(double *v, size_t n, size_t m)
{
    double extremes[HPS_PARETO_MAX_OBJECTIVES * HPS_PARETO_MAX_OBJECTIVES];
    double inverse[HPS_PARETO_MAX_OBJECTIVES]; /* 1 / each objective's intercept */
    if (n == 0 || m == 0 || m > HPS_PARETO_MAX_OBJECTIVES)
        return;
    for (size_t j = 0; j < m; j++)
        clip_and_shift(v, n, m, j);
    for (size_t d = 0; d < m; d++)
        memcpy(extremes + d * m, v + extreme_row(v, n, m, d) * m, m * sizeof *v);
    /* degenerate extreme points make no hyperplane; the paper says nothing for them, and
     * Optuna divides by each objective's maximum instead */
    if (solve_ones(extremes, m, inverse) != 0) {
        for (size_t j = 0; j < m; j++) {
            double most = 0;
            for (size_t i = 0; i < n; i++)
                most = fmax(most, v[i * m + j]);
            inverse[j] = 1 / (most == 0 ? 1 : most);
        }
    }
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < n; i++)
            v[i * m + j] *= isfinite(inverse[j]) ? inverse[j] : 1;
}

/* ---- association and niching -------------------------------------------------------- */

void hps_nsga3_associate(const double *v, size_t n, size_t m, const double *refs,
                         size_t n_refs, size_t *closest, double *distance)
{
    for (size_t i = 0; i < n; i++) {
        const double *x = v + i * m;
        closest[i] = 0;
        distance[i] = HUGE_VAL;
        for (size_t r = 0; r < n_refs; r++) {
            const double *w = refs + r * m;
            double xw = 0, ww = 0;
            for (size_t j = 0; j < m; j++) {
                xw += x[j] * w[j];
                ww += w[j] * w[j];
            }
            double squared = 0;
            for (size_t j = 0; j < m; j++) {
                double e = x[j] - xw / ww * w[j];
                squared += e * e;
            }
            double d = sqrt(squared);
            if (d < distance[i]) {
                distance[i] = d;
                closest[i] = r;
            }
        }
    }
}

static void shuffle(size_t *a, size_t n, hps_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = hps_rng_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

typedef struct by_distance {
    const double *distance; /* by position in the front */
} by_distance;

/* Decreasing distance, then decreasing position (Optuna's reverse sort of (distance, i)),
 * so that the last is the nearest. */
static int cmp_farther_first(size_t a, size_t b, const void *ctx)
{
    const double *d = ((const by_distance *)ctx)->distance;
    if (d[a] != d[b])
        return d[a] > d[b] ? -1 : 1;
    return (a < b) - (a > b);
}

int hps_nsga3_niche(const size_t *closest, const double *distance, size_t n_elite,
                    size_t count, size_t room, size_t n_refs, hps_rng *rng, size_t *picked)
{
    size_t *kept = hps_mem_calloc(n_refs + 1, sizeof *kept);       /* kept neighbours */
    size_t *start = hps_mem_calloc(n_refs + 2, sizeof *start);     /* members' range ... */
    size_t *left = hps_mem_calloc(n_refs + 1, sizeof *left);       /* ... and how many left */
    unsigned char *shuffled = hps_mem_calloc(n_refs + 1, 1);
    size_t *members = hps_mem_calloc(count + 1, sizeof *members);  /* by reference point */
    size_t *waiting = hps_mem_calloc(count + 1, sizeof *waiting);  /* points by kept count */
    size_t *current = hps_mem_calloc(count + 1, sizeof *current);
    size_t *next = hps_mem_calloc(count + 1, sizeof *next);
    size_t *tmp = hps_mem_calloc(count + 1, sizeof *tmp);
    int rc = -1;
    if (kept == NULL || start == NULL || left == NULL || shuffled == NULL || members == NULL ||
        waiting == NULL || current == NULL || next == NULL || tmp == NULL)
        goto out;
    for (size_t i = 0; i < n_elite; i++)
        kept[closest[i]]++;
    /* the front's members grouped by reference point, in their order */
    for (size_t i = 0; i < count; i++)
        start[closest[n_elite + i] + 1]++;
    for (size_t r = 0; r < n_refs; r++)
        start[r + 1] += start[r];
    for (size_t i = 0; i < count; i++) {
        size_t r = closest[n_elite + i];
        members[start[r] + left[r]++] = i;
    }
    /* the reference points with members, by increasing kept count */
    size_t n_waiting = 0;
    for (size_t i = 0; i < count; i++)
        if (members[start[closest[n_elite + i]]] == i) /* its first member: listed once */
            waiting[n_waiting++] = closest[n_elite + i];
    for (size_t a = 1; a < n_waiting; a++) /* insertion sort, stable */
        for (size_t b = a; b > 0 && kept[waiting[b - 1]] > kept[waiting[b]]; b--) {
            size_t t = waiting[b];
            waiting[b] = waiting[b - 1];
            waiting[b - 1] = t;
        }
    by_distance front_distance = {.distance = distance + n_elite};
    size_t n_picked = 0, n_current = 0, n_next = 0, w = 0, level = 0;
    int started = 0;
    while (n_picked < room) {
        if (n_current == 0 && n_next == 0 && w == n_waiting)
            break; /* room > count: not for hps_nsga3_niche's callers */
        if (n_current == 0) {
            /* the points of the next kept count: those listed with it, then those that
             * gave a member at the count before and have members left */
            level += started;
            started = 1;
            while (w < n_waiting && kept[waiting[w]] == level)
                current[n_current++] = waiting[w++];
            memcpy(current + n_current, next, n_next * sizeof *next);
            n_current += n_next;
            n_next = 0;
            shuffle(current, n_current, rng);
            continue;
        }
        size_t r = current[--n_current];
        size_t *mine = members + start[r];
        if (level == 0)
            hps_sort_indices(mine, left[r], tmp, cmp_farther_first, &front_distance);
        else if (!shuffled[r]) {
            shuffle(mine, left[r], rng);
            shuffled[r] = 1;
        }
        picked[n_picked++] = mine[--left[r]];
        if (left[r] > 0)
            next[n_next++] = r;
    }
    rc = 0;
out:
    hps_mem_free(kept);
    hps_mem_free(start);
    hps_mem_free(left);
    hps_mem_free(shuffled);
    hps_mem_free(members);
    hps_mem_free(waiting);
    hps_mem_free(current);
    hps_mem_free(next);
    hps_mem_free(tmp);
    return rc;
}

/* ---- the sampler -------------------------------------------------------------------- */

static void forget_given(nsga3_state *s)
{
    hps_mem_free(s->given);
    s->given = NULL;
    s->n_given = s->given_m = 0;
}

/* "none", or a JSON list of reference points, each a list of one number per objective. */
static int parse_reference_points(void *state, const char *value, const char **why)
{
    nsga3_state *s = state;
    if (strcasecmp(value, "none") == 0) {
        forget_given(s);
        return 0;
    }
    json_t *rows = json_loads(value, JSON_DECODE_ANY, NULL);
    double *points = NULL;
    int rc = -1;
    size_t n = json_array_size(rows), m = json_array_size(json_array_get(rows, 0));
    if (!json_is_array(rows) || n == 0 || m == 0) {
        *why = "reference_points must be none or a JSON list of points, each a list of "
               "numbers (one per objective)";
        goto out;
    }
    if (n > HPS_NSGA3_MAX_REFERENCE_POINTS || m > HPS_PARETO_MAX_OBJECTIVES) {
        *why = "reference_points: at most 100000 points of at most 64 coordinates";
        goto out;
    }
    points = hps_mem_calloc(n * m, sizeof *points);
    if (points == NULL) {
        *why = "reference_points: out of memory";
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i);
        double norm = 0;
        if (!json_is_array(row) || json_array_size(row) != m) {
            *why = "reference_points: every point must be a list of as many numbers as "
                   "the first";
            goto out;
        }
        for (size_t j = 0; j < m; j++) {
            const json_t *x = json_array_get(row, j);
            points[i * m + j] = json_is_number(x) ? json_number_value(x) : NAN;
            if (!isfinite(points[i * m + j])) {
                *why = "reference_points: coordinates must be finite numbers";
                goto out;
            }
            norm += fabs(points[i * m + j]);
        }
        if (norm == 0) {
            *why = "reference_points: a point at the origin gives no direction";
            goto out;
        }
    }
    forget_given(s);
    s->given = points;
    s->n_given = n;
    s->given_m = m;
    points = NULL;
    rc = 0;
out:
    hps_mem_free(points);
    json_decref(rows);
    return rc;
}

static const hps_option nsga3_options[] = {
    HPS_NSGA_OPTIONS,
    {.name = "dividing_parameter", .type = HPS_OPTION_UINT,
     HPS_OPTION_FIELD(nsga3_state, dividing_parameter), .def = "3", .min = 1,
     .max = NSGA3_MAX_DIVISIONS,
     .help = "the divisions of each objective's axis between the default reference points "
             "(the Das-Dennis set of C(d + M - 1, M - 1) points for M objectives)"},
    {.name = "reference_points", .type = HPS_OPTION_TEXT, .def = "none",
     .parse = parse_reference_points,
     .rule = "none or a JSON list of points, each a list of one number per objective",
     .help = "the reference points niching spreads the parents around, e.g. "
             "[[1,0,0],[0,1,0],[0,0,1]] (none: the Das-Dennis set of dividing_parameter)"},
    HPS_OPTIONS_END,
};

/* NSGA-III's cut (hps_nsga_cut_fn): niching on the normalized values of the kept parents
 * and the front. */
static int nsga3_cut(const hps_nsga_state *ga, const hps_nsga_pool *p, const size_t *elite,
                     size_t n_elite, size_t *front, size_t count, size_t room, hps_rng *rng)
{
    const nsga3_state *s = (const nsga3_state *)ga;
    size_t n = n_elite + count, m = p->m;
    double *values = hps_mem_calloc(n * m + 1, sizeof *values);
    double *distance = hps_mem_calloc(n + 1, sizeof *distance);
    size_t *closest = hps_mem_calloc(n + 1, sizeof *closest);
    size_t *picked = hps_mem_calloc(room + 1, sizeof *picked);
    size_t *order = hps_mem_calloc(count + 1, sizeof *order);
    unsigned char *taken = hps_mem_calloc(count + 1, 1);
    int rc = -1;
    if (values == NULL || distance == NULL || closest == NULL || picked == NULL ||
        order == NULL || taken == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t row = i < n_elite ? elite[i] : front[i - n_elite];
        memcpy(values + i * m, p->minimized + row * m, m * sizeof *values);
    }
    hps_nsga3_normalize(values, n, m);
    hps_nsga3_associate(values, n, m, s->refs, s->n_refs, closest, distance);
    if (hps_nsga3_niche(closest, distance, n_elite, count, room, s->n_refs, rng, picked) != 0)
        goto out;
    /* the picked members first, in the order picked; the others after */
    size_t k = 0;
    for (size_t i = 0; i < room; i++) {
        order[k++] = front[picked[i]];
        taken[picked[i]] = 1;
    }
    for (size_t i = 0; i < count; i++)
        if (!taken[i])
            order[k++] = front[i];
    memcpy(front, order, count * sizeof *front);
    rc = 0;
out:
    hps_mem_free(values);
    hps_mem_free(distance);
    hps_mem_free(closest);
    hps_mem_free(picked);
    hps_mem_free(order);
    hps_mem_free(taken);
    return rc;
}

static hps_status nsga3_init(hps_sampler *sampler)
{
    nsga3_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    hps_nsga_state_init(&s->ga, "nsga3", nsga3_cut);
    sampler->impl = s;
    return HPS_OK;
}

static void nsga3_destroy(hps_sampler *sampler)
{
    nsga3_state *s = sampler->impl;
    if (s == NULL)
        return;
    hps_nsga_state_free(&s->ga);
    hps_mem_free(s->given);
    hps_mem_free(s->refs);
    hps_mem_free(s);
}

/* The reference points for the study's objectives: the given ones, else Das-Dennis's. */
static hps_status nsga3_bind(hps_sampler *sampler, const hps_context *ctx)
{
    nsga3_state *s = sampler->impl;
    size_t m = ctx->n_directions;
    hps_status rc = hps_nsga_bind(sampler, ctx);
    if (rc != HPS_OK)
        return rc;
    if (s->given != NULL && s->given_m != m)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "the nsga3 sampler's reference_points have %zu coordinates, "
                              "but study '%s' has %zu objectives",
                              s->given_m, ctx->study_name, m);
    size_t n = s->given != NULL ? s->n_given
                                : hps_nsga3_n_reference_points(m, s->dividing_parameter);
    if (n == SIZE_MAX)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "the nsga3 sampler's dividing_parameter %llu makes more than "
                              "%d reference points for the %zu objectives of study '%s'",
                              (unsigned long long)s->dividing_parameter,
                              HPS_NSGA3_MAX_REFERENCE_POINTS, m, ctx->study_name);
    double *refs = hps_mem_calloc(n * m + 1, sizeof *refs);
    if (refs == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    if (s->given != NULL)
        memcpy(refs, s->given, n * m * sizeof *refs);
    else
        hps_nsga3_reference_points(m, s->dividing_parameter, refs);
    hps_mem_free(s->refs);
    s->refs = refs;
    s->n_refs = n;
    return HPS_OK;
}

const hps_sampler_ops hps_nsga3_sampler_ops = {
    .name = "nsga3",
    .help = "NSGA-III, the genetic algorithm for many objectives and constraints: NSGA-II "
            "whose last front is cut by niching around reference points instead of by "
            "crowding distance",
    .learns = 1,
    .options = nsga3_options,
    .init = nsga3_init,
    .destroy = nsga3_destroy,
    .bind = nsga3_bind,
    .sample = hps_nsga_sample,
    .sample_relative = hps_nsga_sample_relative,
};
