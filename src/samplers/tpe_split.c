/* tpe_split.c -- MOTPE's good group and its weights (see tpe_split.h). */
#include "samplers/tpe_split.h"

#include "base/hypervolume.h"
#include "base/mem.h"
#include "base/pareto.h"

#include <math.h>
#include <string.h>

static int sizes_ok(const double *points, size_t n, size_t m)
{
    return n <= HPS_PARETO_MAX_POINTS && m >= 1 && m <= HPS_PARETO_MAX_OBJECTIVES &&
           (points != NULL || n == 0);
}

/* ---- the reference point --------------------------------------------------------- */

static int all_finite(const double *points, size_t n, size_t m)
{
    for (size_t i = 0; i < n * m; i++)
        if (!isfinite(points[i]))
            return 0;
    return 1;
}

/* Optuna's reference point of the n points into ref; 0 when it would not be finite. */
static int reference_of(const double *points, size_t n, size_t m, double *ref)
{
    if (n == 0 || !all_finite(points, n, m))
        return 0;
    return hps_hypervolume_reference(points, n, m, NULL, ref) == HPS_OK;
}

/* ---- hypervolume subset selection ------------------------------------------------ */

typedef struct lex_ctx {
    const double *points;
    size_t m;
} lex_ctx;

static int cmp_lex(size_t a, size_t b, const void *ctx)
{
    const lex_ctx *c = ctx;
    for (size_t j = 0; j < c->m; j++) {
        int r = hps_pareto_cmp(c->points[a * c->m + j], c->points[b * c->m + j]);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Greedy selection of k of the `count` distinct points idx[] (lexicographic order):
 * each step takes the first of the largest hypervolume gains over those taken. */
static hps_status greedy_hssp(const double *points, size_t m, const size_t *idx, size_t count,
                              size_t k, const double *ref, size_t *chosen)
{
    hps_status rc = HPS_ERR_NOMEM;
    double *taken = hps_mem_calloc(k * m + 1, sizeof *taken);
    unsigned char *used = hps_mem_calloc(count + 1, 1);
    if (taken == NULL || used == NULL)
        goto out;
    for (size_t step = 0; step < k; step++) {
        size_t best = count;
        double best_gain = -INFINITY;
        for (size_t c = 0; c < count; c++) {
            if (used[c])
                continue;
            double gain;
            rc = hps_hypervolume_improvement(taken, step, m, &points[idx[c] * m], ref, &gain);
            if (rc != HPS_OK)
                goto out;
            if (best == count || gain > best_gain) {
                best = c;
                best_gain = gain;
            }
        }
        used[best] = 1;
        chosen[step] = idx[best];
        memcpy(&taken[step * m], &points[idx[best] * m], m * sizeof *taken);
    }
    rc = HPS_OK;
out:
    hps_mem_free(taken);
    hps_mem_free(used);
    return rc;
}

/* Two objectives: the gain of a candidate is the box between it and its corner, the
 * reference point pulled in by the taken points on either side of it in the
 * lexicographic order (those before it bound its second objective, those after it its
 * first). The same products as Optuna's _solve_hssp_2d, so equal gains tie alike. */
static hps_status greedy_hssp_2d(const double *points, const size_t *idx, size_t count,
                                 size_t k, const double *ref, size_t *chosen)
{
    double *corner = hps_mem_calloc(2 * count + 1, sizeof *corner);
    unsigned char *used = hps_mem_calloc(count + 1, 1);
    if (corner == NULL || used == NULL) {
        hps_mem_free(corner);
        hps_mem_free(used);
        return HPS_ERR_NOMEM;
    }
    for (size_t c = 0; c < count; c++) {
        corner[2 * c] = ref[0];
        corner[2 * c + 1] = ref[1];
    }
    for (size_t step = 0; step < k; step++) {
        size_t best = count;
        double best_gain = 0;
        for (size_t c = 0; c < count; c++) {
            if (used[c])
                continue;
            const double *p = &points[idx[c] * 2];
            double gain = (corner[2 * c] - p[0]) * (corner[2 * c + 1] - p[1]);
            if (best == count || gain > best_gain) {
                best = c;
                best_gain = gain;
            }
        }
        used[best] = 1;
        chosen[step] = idx[best];
        const double *taken = &points[idx[best] * 2];
        for (size_t c = 0; c < count; c++) {
            if (c < best)
                corner[2 * c] = fmin(taken[0], corner[2 * c]);
            else
                corner[2 * c + 1] = fmin(taken[1], corner[2 * c + 1]);
        }
    }
    hps_mem_free(corner);
    hps_mem_free(used);
    return HPS_OK;
}

hps_status tpe_hssp(const double *points, size_t n, size_t m, size_t k, size_t *chosen)
{
    if (!sizes_ok(points, n, m) || k > n || (chosen == NULL && k > 0))
        return HPS_ERR_INVALID;
    if (k == n) {
        for (size_t i = 0; i < n; i++)
            chosen[i] = i;
        return HPS_OK;
    }
    hps_status rc = HPS_ERR_NOMEM;
    size_t *order = hps_mem_calloc(n + 1, sizeof *order);
    size_t *tmp = hps_mem_calloc(n + 1, sizeof *tmp);
    size_t *distinct = hps_mem_calloc(n + 1, sizeof *distinct);
    unsigned char *is_first = hps_mem_calloc(n + 1, 1);
    double *ref = hps_mem_calloc(m, sizeof *ref);
    if (order == NULL || tmp == NULL || distinct == NULL || is_first == NULL || ref == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    lex_ctx lc = {points, m};
    /* stable, so the first of equal points is the one with the lowest index */
    hps_sort_indices(order, n, tmp, cmp_lex, &lc);
    size_t n_distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_lex(order[i - 1], order[i], &lc) == 0)
            continue;
        distinct[n_distinct++] = order[i];
        is_first[order[i]] = 1;
    }
    if (n_distinct <= k) {
        /* every distinct point, then copies by index, reported by index */
        size_t copies = k - n_distinct, filled = 0;
        for (size_t i = 0; i < n; i++) {
            if (!is_first[i] && copies > 0) {
                is_first[i] = 1;
                copies--;
            }
            if (is_first[i])
                chosen[filled++] = i;
        }
        rc = HPS_OK;
        goto out;
    }
    if (!reference_of(points, n, m, ref)) {
        memcpy(chosen, distinct, k * sizeof *chosen);
        rc = HPS_OK;
        goto out;
    }
    rc = m == 2 ? greedy_hssp_2d(points, distinct, n_distinct, k, ref, chosen)
                : greedy_hssp(points, m, distinct, n_distinct, k, ref, chosen);
out:
    hps_mem_free(order);
    hps_mem_free(tmp);
    hps_mem_free(distinct);
    hps_mem_free(is_first);
    hps_mem_free(ref);
    return rc;
}

/* ---- the good group -------------------------------------------------------------- */

hps_status tpe_split_pareto(const double *points, size_t n, size_t m, size_t k,
                            unsigned char *below)
{
    if (!sizes_ok(points, n, m) || (below == NULL && n > 0))
        return HPS_ERR_INVALID;
    if (n > 0)
        memset(below, k >= n, n);
    if (k == 0 || k >= n)
        return HPS_OK;
    hps_status rc = HPS_ERR_NOMEM;
    size_t *rank = hps_mem_calloc(n, sizeof *rank);
    size_t *per_rank = hps_mem_calloc(n + 1, sizeof *per_rank);
    size_t *tied = hps_mem_calloc(n, sizeof *tied);
    size_t *chosen = hps_mem_calloc(n, sizeof *chosen);
    double *tied_points = hps_mem_calloc(n * m, sizeof *tied_points);
    if (rank == NULL || per_rank == NULL || tied == NULL || chosen == NULL || tied_points == NULL)
        goto out;
    size_t n_fronts;
    rc = hps_pareto_rank(points, n, m, NULL, 0, rank, &n_fronts);
    if (rc != HPS_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        per_rank[rank[i]]++;
    /* whole fronts while they fit; `cut` is the first front that does not */
    size_t cut = 0, taken = 0;
    while (cut < n_fronts && taken + per_rank[cut] <= k)
        taken += per_rank[cut++];
    size_t n_tied = 0;
    for (size_t i = 0; i < n; i++) {
        if (rank[i] < cut) {
            below[i] = 1;
        } else if (rank[i] == cut) {
            memcpy(&tied_points[n_tied * m], &points[i * m], m * sizeof *tied_points);
            tied[n_tied++] = i;
        }
    }
    if (taken < k) {
        rc = tpe_hssp(tied_points, n_tied, m, k - taken, chosen);
        if (rc != HPS_OK)
            goto out;
        for (size_t j = 0; j < k - taken; j++)
            below[tied[chosen[j]]] = 1;
    }
    rc = HPS_OK;
out:
    hps_mem_free(rank);
    hps_mem_free(per_rank);
    hps_mem_free(tied);
    hps_mem_free(chosen);
    hps_mem_free(tied_points);
    return rc;
}

/* ---- the weights of the good group ----------------------------------------------- */

hps_status tpe_below_weights(const double *points, const unsigned char *feasible, size_t n,
                             size_t m, double *weight)
{
    if (!sizes_ok(points, n, m) || (weight == NULL && n > 0))
        return HPS_ERR_INVALID;
    size_t n_feasible = 0;
    for (size_t i = 0; i < n; i++) {
        int ok = feasible == NULL || feasible[i];
        weight[i] = ok ? 1.0 : HPS_HV_EPS;
        n_feasible += (size_t)ok;
    }
    if (n_feasible <= 1)
        return HPS_OK;
    hps_status rc = HPS_ERR_NOMEM;
    double volume;
    double *sub = hps_mem_calloc(n_feasible * m, sizeof *sub);
    double *front = hps_mem_calloc(n_feasible * m, sizeof *front);
    size_t *rank = hps_mem_calloc(n_feasible, sizeof *rank);
    double *contribution = hps_mem_calloc(n_feasible, sizeof *contribution);
    double *ref = hps_mem_calloc(m, sizeof *ref);
    if (sub == NULL || front == NULL || rank == NULL || contribution == NULL || ref == NULL)
        goto out;
    size_t f = 0;
    for (size_t i = 0; i < n; i++)
        if (feasible == NULL || feasible[i])
            memcpy(&sub[f++ * m], &points[i * m], m * sizeof *sub);
    rc = HPS_OK;
    /* the reference point of every feasible member, dominated ones included */
    if (!reference_of(sub, n_feasible, m, ref))
        goto out;
    /* Contributions among the non-dominated members only (Optuna's leave-one-out over
     * the front): a dominated member's box does not cover any of a front member's. */
    rc = hps_pareto_rank(sub, n_feasible, m, NULL, 0, rank, NULL);
    if (rc != HPS_OK)
        goto out;
    size_t n_front = 0;
    for (f = 0; f < n_feasible; f++)
        if (rank[f] == 0)
            memcpy(&front[n_front++ * m], &sub[f * m], m * sizeof *front);
    rc = hps_hypervolume(front, n_front, m, ref, &volume);
    if (rc != HPS_OK || isinf(volume))
        goto out;
    rc = hps_hypervolume_contributions(front, n_front, m, ref, contribution);
    if (rc != HPS_OK)
        goto out;
    double top = HPS_HV_EPS;
    for (size_t j = 0; j < n_front; j++)
        top = fmax(top, contribution[j]);
    f = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (feasible != NULL && !feasible[i])
            continue;
        double share = rank[f++] == 0 ? contribution[j++] : 0;
        weight[i] = fmax(share / top, HPS_HV_EPS);
    }
out:
    hps_mem_free(sub);
    hps_mem_free(front);
    hps_mem_free(rank);
    hps_mem_free(contribution);
    hps_mem_free(ref);
    return rc;
}
