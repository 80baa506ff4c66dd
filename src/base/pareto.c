/* pareto.c -- non-dominated sorting, crowding distance, constrained domination.
 *
 * The sort is Zhang et al.'s efficient non-dominated sort with binary search (ENS-BS,
 * IEEE TEVC 2015): points are visited in lexicographic order, a linear extension of
 * dominance, so every point that can dominate the current one has already been placed;
 * the current point joins the first front none of whose members dominates it. Whether
 * front f dominates a point is monotone in f (a dominator in front f+1 is itself
 * dominated by a member of front f, which then dominates the point too), hence the
 * binary search. */
#include "base/pareto.h"

#include "base/mem.h"

#include <math.h>
#include <string.h>

int hps_pareto_cmp(double a, double b)
{
    int a_nan = isnan(a);
    int b_nan = isnan(b);
    if (a_nan || b_nan)
        return a_nan - b_nan;
    return (a > b) - (a < b);
}

int hps_pareto_dominates(const double *a, const double *b, size_t m)
{
    int better_somewhere = 0;
    for (size_t j = 0; j < m; j++) {
        int c = hps_pareto_cmp(a[j], b[j]);
        if (c > 0)
            return 0;
        if (c < 0)
            better_somewhere = 1;
    }
    return better_somewhere;
}

int hps_pareto_feasible(const double *c, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        if (!(c[j] <= 0.0)) /* NaN is not <= 0: infeasible */
            return 0;
    }
    return 1;
}

double hps_pareto_violation(const double *c, size_t k)
{
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (isnan(c[j]))
            return INFINITY;
        if (c[j] > 0.0)
            sum += c[j];
    }
    return sum;
}

int hps_pareto_constrained_dominates(const double *a, const double *ca, const double *b,
                                     const double *cb, size_t m, size_t k)
{
    if (k == 0)
        return hps_pareto_dominates(a, b, m);
    int a_feasible = hps_pareto_feasible(ca, k);
    int b_feasible = hps_pareto_feasible(cb, k);
    if (a_feasible && b_feasible)
        return hps_pareto_dominates(a, b, m);
    if (a_feasible || b_feasible)
        return a_feasible;
    return hps_pareto_violation(ca, k) < hps_pareto_violation(cb, k);
}

/* ---- sorting indices ------------------------------------------------------------------ */

enum { SORT_RUN = 8 }; /* runs sorted by insertion before merging */

static void insertion_sort(size_t *idx, size_t n, hps_index_cmp cmp, const void *ctx)
{
    for (size_t i = 1; i < n; i++) {
        size_t item = idx[i];
        size_t j = i;
        while (j > 0 && cmp(item, idx[j - 1], ctx) < 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = item;
    }
}

static void merge_runs(const size_t *src, size_t lo, size_t mid, size_t hi, size_t *dst,
                       hps_index_cmp cmp, const void *ctx)
{
    size_t i = lo, j = mid, out = lo;
    while (i < mid && j < hi) {
        /* ties take the left run first: stability */
        if (cmp(src[j], src[i], ctx) < 0)
            dst[out++] = src[j++];
        else
            dst[out++] = src[i++];
    }
    while (i < mid)
        dst[out++] = src[i++];
    while (j < hi)
        dst[out++] = src[j++];
}

void hps_sort_indices(size_t *idx, size_t n, size_t *tmp, hps_index_cmp cmp, const void *ctx)
{
    for (size_t lo = 0; lo < n; lo += SORT_RUN)
        insertion_sort(idx + lo, n - lo < SORT_RUN ? n - lo : SORT_RUN, cmp, ctx);
    size_t *src = idx;
    size_t *dst = tmp;
    for (size_t width = SORT_RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = n - lo < width ? n : lo + width;
            size_t hi = n - lo < 2 * width ? n : lo + 2 * width;
            merge_runs(src, lo, mid, hi, dst, cmp, ctx);
        }
        size_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != idx)
        memcpy(idx, src, n * sizeof *idx);
}

/* ---- non-dominated sorting ------------------------------------------------------------ */

typedef struct rank_ctx {
    const double *points;
    size_t m;
    const double *violation; /* per point; only read for infeasible points */
} rank_ctx;

static int lexicographic_cmp(size_t a, size_t b, const void *arg)
{
    const rank_ctx *ctx = arg;
    const double *pa = ctx->points + a * ctx->m;
    const double *pb = ctx->points + b * ctx->m;
    for (size_t j = 0; j < ctx->m; j++) {
        int c = hps_pareto_cmp(pa[j], pb[j]);
        if (c != 0)
            return c;
    }
    return 0;
}

static int violation_cmp(size_t a, size_t b, const void *arg)
{
    const rank_ctx *ctx = arg;
    return hps_pareto_cmp(ctx->violation[a], ctx->violation[b]);
}

/* The fronts built so far: each a singly linked list of its members, newest first. */
typedef struct fronts {
    size_t *head; /* head[f]: the newest member of front f */
    size_t *next; /* next[i]: the member placed in i's front before i; SIZE_MAX ends */
    size_t count;
} fronts;

static int front_dominates(const fronts *fr, size_t f, size_t point, const rank_ctx *ctx)
{
    const double *p = ctx->points + point * ctx->m;
    /* With two objectives the newest member is enough: it has the largest first and the
     * smallest second objective of its front, so any member dominating p means it is <= p
     * everywhere (and it is not p's duplicate, since then its dominator would share its
     * front). */
    if (ctx->m <= 2)
        return hps_pareto_dominates(ctx->points + fr->head[f] * ctx->m, p, ctx->m);
    for (size_t q = fr->head[f]; q != SIZE_MAX; q = fr->next[q]) {
        if (hps_pareto_dominates(ctx->points + q * ctx->m, p, ctx->m))
            return 1;
    }
    return 0;
}

/* Ranks the points order[0..count) (already in lexicographic order) by dominance, from
 * first_rank on; returns the number of fronts. */
static size_t rank_by_objectives(const size_t *order, size_t count, const rank_ctx *ctx,
                                 fronts *fr, size_t first_rank, size_t *rank)
{
    fr->count = 0;
    for (size_t i = 0; i < count; i++) {
        size_t point = order[i];
        size_t lo = 0, hi = fr->count; /* the first front not dominating point is in [lo, hi] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (front_dominates(fr, mid, point, ctx))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == fr->count) {
            fr->head[lo] = SIZE_MAX;
            fr->count++;
        }
        fr->next[point] = fr->head[lo];
        fr->head[lo] = point;
        rank[point] = first_rank + lo;
    }
    return fr->count;
}

/* Ranks infeasible points, sorted by violation, in fronts of equal violation. */
static size_t rank_by_violation(const size_t *order, size_t count, const double *violation,
                                size_t first_rank, size_t *rank)
{
    size_t n_fronts = 0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || hps_pareto_cmp(violation[order[i - 1]], violation[order[i]]) != 0)
            n_fronts++;
        rank[order[i]] = first_rank + n_fronts - 1;
    }
    return n_fronts;
}

static int valid_sizes(const void *points, size_t n, size_t m, const void *constraints,
                       size_t k)
{
    if (n > HPS_PARETO_MAX_POINTS || m == 0 || m > HPS_PARETO_MAX_OBJECTIVES ||
        k > HPS_PARETO_MAX_CONSTRAINTS)
        return 0;
    return n == 0 || (points != NULL && (k == 0 || constraints != NULL));
}

hps_status hps_pareto_rank(const double *points, size_t n, size_t m, const double *constraints,
                           size_t k, size_t *rank, size_t *n_fronts)
{
    if (!valid_sizes(points, n, m, constraints, k) || (n > 0 && rank == NULL))
        return HPS_ERR_INVALID;
    if (n_fronts != NULL)
        *n_fronts = 0;
    if (n == 0)
        return HPS_OK;

    /* one block: order, tmp, head, next (n each), then n violations */
    size_t *block = hps_mem_realloc_array(NULL, n, 4 * sizeof(size_t) + sizeof(double));
    if (block == NULL)
        return HPS_ERR_NOMEM;
    size_t *order = block;
    size_t *tmp = block + n;
    fronts fr = {.head = block + 2 * n, .next = block + 3 * n, .count = 0};
    double *violation = (double *)(block + 4 * n);
    rank_ctx ctx = {.points = points, .m = m, .violation = violation};

    /* feasible points at the front of order, infeasible ones from the back */
    size_t n_feasible = 0, back = n;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || hps_pareto_feasible(constraints + i * k, k)) {
            order[n_feasible++] = i;
        } else {
            violation[i] = hps_pareto_violation(constraints + i * k, k);
            order[--back] = i;
        }
    }
    hps_sort_indices(order, n_feasible, tmp, lexicographic_cmp, &ctx);
    size_t total = rank_by_objectives(order, n_feasible, &ctx, &fr, 0, rank);
    hps_sort_indices(order + n_feasible, n - n_feasible, tmp, violation_cmp, &ctx);
    total += rank_by_violation(order + n_feasible, n - n_feasible, violation, total, rank);
    if (n_fronts != NULL)
        *n_fronts = total;
    hps_mem_free(block);
    return HPS_OK;
}

/* ---- crowding distance ---------------------------------------------------------------- */

typedef struct crowding_ctx {
    const double *points;
    size_t m;
    const size_t *members;
    size_t objective;
} crowding_ctx;

static double crowding_value(const crowding_ctx *ctx, size_t member)
{
    double v = ctx->points[ctx->members[member] * ctx->m + ctx->objective];
    return isnan(v) ? INFINITY : v;
}

static int crowding_cmp(size_t a, size_t b, const void *arg)
{
    const crowding_ctx *ctx = arg;
    double va = crowding_value(ctx, a);
    double vb = crowding_value(ctx, b);
    return (va > vb) - (va < vb);
}

/* Adds one objective's share to every member's distance; order holds member positions
 * sorted by that objective. */
static void add_crowding(const crowding_ctx *ctx, const size_t *order, size_t count,
                         double *distance)
{
    double first = crowding_value(ctx, order[0]);
    double last = crowding_value(ctx, order[count - 1]);
    if (first == last)
        return;
    double v_min = INFINITY, v_max = -INFINITY; /* the sentinels when nothing qualifies */
    for (size_t x = 0; x < count; x++) {
        double v = crowding_value(ctx, order[x]);
        if (v != -INFINITY) {
            v_min = v;
            break;
        }
    }
    for (size_t x = count; x-- > 0;) {
        double v = crowding_value(ctx, order[x]);
        if (v != INFINITY) {
            v_max = v;
            break;
        }
    }
    double width = v_max - v_min;
    if (!(width > 0.0))
        width = 1.0;
    for (size_t x = 0; x < count; x++) {
        double prev = x == 0 ? -INFINITY : crowding_value(ctx, order[x - 1]);
        double next = x + 1 == count ? INFINITY : crowding_value(ctx, order[x + 1]);
        double gap = prev == next ? 0.0 : next - prev;
        distance[order[x]] += gap / width;
    }
}

hps_status hps_pareto_crowding(const double *points, size_t n, size_t m, const size_t *members,
                               size_t count, double *distance)
{
    if (!valid_sizes(points, n, m, NULL, 0) || count > HPS_PARETO_MAX_POINTS ||
        (count > 0 && (members == NULL || distance == NULL)))
        return HPS_ERR_INVALID;
    for (size_t j = 0; j < count; j++) {
        if (members[j] >= n)
            return HPS_ERR_INVALID;
        distance[j] = 0.0;
    }
    if (count == 0)
        return HPS_OK;
    size_t *order = hps_mem_realloc_array(NULL, count, 2 * sizeof(size_t));
    if (order == NULL)
        return HPS_ERR_NOMEM;
    size_t *tmp = order + count;
    for (size_t j = 0; j < count; j++)
        order[j] = j;
    crowding_ctx ctx = {.points = points, .m = m, .members = members, .objective = 0};
    for (ctx.objective = 0; ctx.objective < m; ctx.objective++) {
        /* sorting the previous objective's order, as Optuna's in-place sorts do */
        hps_sort_indices(order, count, tmp, crowding_cmp, &ctx);
        add_crowding(&ctx, order, count, distance);
    }
    hps_mem_free(order);
    return HPS_OK;
}
