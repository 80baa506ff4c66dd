/* ehvi.c -- log expected hypervolume improvement and log probability of feasibility
 * (see ehvi.h). */
#include "samplers/gp/ehvi.h"

#include "base/hypervolume.h"
#include "base/mem.h"
#include "samplers/gp/acquisition.h"
#include "samplers/gp/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GP_LN2 0.693147180559945309

/* Below this gap between log h at the two ends of an interval, 1 - exp(gap) loses
 * digits to the rounding of the logs: the interval's factor comes from its midpoint
 * (h(z_u) - h(z_l) = Phi(z_m) (z_u - z_l) up to a relative (z_u - z_l)^2 z_m^2). */
#define GP_EHVI_THIN (-1e-6)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) and drops repeats; returns the new length. */
static size_t sort_unique(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

static size_t index_of(const double *v, size_t n, double x)
{
    const double *p = bsearch(&x, v, n, sizeof *v, cmp_double);
    return p != NULL ? (size_t)(p - v) : n - 1;
}

/* The front's points below ref and dominated by no other, at most `cap`: beyond, the
 * largest hypervolume contributors. Writes them row-major into out; returns how many,
 * or SIZE_MAX when out of memory (or when the contributions fail: a -inf coordinate,
 * which the GP's finite targets never have). */
static size_t front_of(const double *points, size_t n, size_t m, const double *ref, size_t cap,
                       double *out)
{
    size_t q = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = points + i * m;
        int on_front = 1;
        for (size_t k = 0; k < m && on_front; k++)
            on_front = p[k] < ref[k];
        for (size_t j = 0; j < n && on_front; j++)
            on_front = !hps_pareto_dominates(points + j * m, p, m);
        for (size_t j = 0; j < q && on_front; j++) /* a repeat adds nothing */
            on_front = memcmp(out + j * m, p, m * sizeof *p) != 0;
        if (on_front)
            memcpy(out + q++ * m, p, m * sizeof *p);
    }
    if (q <= cap)
        return q;
    double *contribution = hps_mem_calloc(q, sizeof *contribution);
    unsigned char *keep = hps_mem_calloc(q, 1);
    if (contribution == NULL || keep == NULL ||
        hps_hypervolume_contributions(out, q, m, ref, contribution) != HPS_OK) {
        hps_mem_free(contribution);
        hps_mem_free(keep);
        return SIZE_MAX;
    }
    /* the cap largest (selection: q is small), then kept in their original order */
    for (size_t t = 0; t < cap; t++) {
        size_t arg = SIZE_MAX;
        for (size_t i = 0; i < q; i++)
            if (!keep[i] && (arg == SIZE_MAX || contribution[i] > contribution[arg]))
                arg = i;
        keep[arg] = 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < q; i++)
        if (keep[i])
            memmove(out + k++ * m, out + i * m, m * sizeof *out);
    hps_mem_free(contribution);
    hps_mem_free(keep);
    return k;
}

/* The largest front whose grid stays within GP_EHVI_MAX_BOXES cells: (q + 1)^(m - 1). */
static size_t front_cap(size_t m)
{
    size_t q = 0;
    for (;;) {
        size_t cells = 1; /* of a front of q + 1 points */
        for (size_t k = 0; k + 1 < m && cells <= GP_EHVI_MAX_BOXES; k++)
            cells *= q + 2;
        if (cells > GP_EHVI_MAX_BOXES)
            return q;
        q++;
    }
}

void gp_ehvi_clear(gp_ehvi *e)
{
    hps_mem_free(e->coord);
    hps_mem_free(e->coord_off);
    hps_mem_free(e->box);
    hps_mem_free(e->log_f);
    hps_mem_free(e->dmu);
    hps_mem_free(e->dsd);
    hps_mem_free(e->weight);
    memset(e, 0, sizeof *e);
}

/* The grid: per objective but the last, -inf, the front's coordinates and ref; on the
 * last, the front's coordinates and ref (the boxes' upper ends). */
static void build_grid(gp_ehvi *e, const double *front, size_t q, const double *ref)
{
    size_t m = e->m, off = 0;
    for (size_t k = 0; k < m; k++) {
        double *g = e->coord + off;
        size_t len = 0;
        if (k + 1 < m)
            g[len++] = -HUGE_VAL;
        for (size_t i = 0; i < q; i++)
            g[len++] = front[i * m + k];
        g[len++] = ref[k];
        len = sort_unique(g, len);
        e->coord_off[k] = off;
        off += len;
    }
    e->coord_off[m] = off;
}

/* One box per grid cell of the first m - 1 objectives (see ehvi.h). */
static void build_boxes(gp_ehvi *e, const double *front, size_t q, const double *ref)
{
    size_t m = e->m, last = m - 1;
    size_t cell[HPS_PARETO_MAX_OBJECTIVES] = {0};
    const double *last_grid = e->coord + e->coord_off[last];
    size_t last_len = e->coord_off[m] - e->coord_off[last];
    for (size_t b = 0; b < e->n_boxes; b++) {
        double upper = ref[last];
        for (size_t i = 0; i < q; i++) {
            const double *p = front + i * m;
            int below = 1;
            for (size_t k = 0; k < last && below; k++)
                below = p[k] <= e->coord[e->coord_off[k] + cell[k]];
            if (below && p[last] < upper)
                upper = p[last];
        }
        size_t *row = e->box + b * m;
        memcpy(row, cell, last * sizeof *row);
        row[last] = index_of(last_grid, last_len, upper);
        /* next cell, odometer order */
        for (size_t k = 0; k < last; k++) {
            size_t intervals = e->coord_off[k + 1] - e->coord_off[k] - 1;
            if (++cell[k] < intervals)
                break;
            cell[k] = 0;
        }
    }
}

int gp_ehvi_init(gp_ehvi *e, const double *points, size_t n, size_t m, const double *ref)
{
    memset(e, 0, sizeof *e);
    if (m < 2 || m > HPS_PARETO_MAX_OBJECTIVES)
        return GP_ERR_NUMERIC;
    e->m = m;
    double *front = hps_mem_realloc_array(NULL, n + 1, m * sizeof *front);
    if (front == NULL)
        return GP_ERR_NOMEM;
    size_t q = front_of(points, n, m, ref, front_cap(m), front);
    if (q == SIZE_MAX) {
        hps_mem_free(front);
        return GP_ERR_NOMEM;
    }
    size_t total = m * (q + 2);
    e->coord = hps_mem_calloc(total, sizeof *e->coord);
    e->coord_off = hps_mem_calloc(m + 1, sizeof *e->coord_off);
    e->log_f = hps_mem_calloc(total, sizeof *e->log_f);
    e->dmu = hps_mem_calloc(total, sizeof *e->dmu);
    e->dsd = hps_mem_calloc(total, sizeof *e->dsd);
    e->weight = hps_mem_calloc(total, sizeof *e->weight);
    if (e->coord == NULL || e->coord_off == NULL || e->log_f == NULL || e->dmu == NULL ||
        e->dsd == NULL || e->weight == NULL)
        goto oom;
    build_grid(e, front, q, ref);
    e->n_boxes = 1;
    for (size_t k = 0; k + 1 < m; k++)
        e->n_boxes *= e->coord_off[k + 1] - e->coord_off[k] - 1;
    e->box = hps_mem_realloc_array(NULL, e->n_boxes, m * sizeof *e->box);
    if (e->box == NULL)
        goto oom;
    build_boxes(e, front, q, ref);
    hps_mem_free(front);
    return 0;
oom:
    hps_mem_free(front);
    gp_ehvi_clear(e);
    return GP_ERR_NOMEM;
}

/* log h at z, with Phi/h and phi/h; z = -inf gives log h = -inf and ratios 0. */
typedef struct h_at {
    double z, log_h, r_cdf, r_pdf;
} h_at;

static h_at h_of(double z)
{
    h_at v = {.z = z, .log_h = -HUGE_VAL, .r_cdf = 0, .r_pdf = 0};
    if (z > -HUGE_VAL)
        v.log_h = gp_log_h(z, &v.r_cdf, &v.r_pdf);
    return v;
}

static double log1mexp(double a)
{
    return a > -GP_LN2 ? log(-expm1(a)) : log1p(-exp(a));
}

/* log of s (h(z_u) - h(z_l)) = E (u - max(l, y))^+, and its partials by mu and s. */
static void interval_factor(h_at lo, h_at hi, double sd, double *log_f, double *dmu, double *dsd)
{
    double a = lo.log_h - hi.log_h; /* <= 0: h increases */
    if (a < GP_EHVI_THIN) {
        double ea = exp(a), one_minus = -expm1(a);
        *log_f = log(sd) + hi.log_h + log1mexp(a);
        *dmu = -(hi.r_cdf - lo.r_cdf * ea) / (sd * one_minus);
        *dsd = (hi.r_pdf - lo.r_pdf * ea) / (sd * one_minus);
        return;
    }
    h_at mid = h_of(lo.z + 0.5 * (hi.z - lo.z));
    double mills = mid.r_pdf / mid.r_cdf; /* phi / Phi */
    *log_f = log(sd * (hi.z - lo.z)) + mid.log_h + log(mid.r_cdf);
    *dmu = -mills / sd;
    *dsd = -mills * mid.z / sd;
}

/* The per-objective factors of every grid interval (last objective: of every upper
 * end, the lower being -inf) into e->log_f, e->dmu, e->dsd. */
static void objective_factors(gp_ehvi *e, size_t k, double mu, double sd)
{
    size_t off = e->coord_off[k], len = e->coord_off[k + 1] - off;
    const double *g = e->coord + off;
    if (k + 1 == e->m) {
        for (size_t j = 0; j < len; j++) {
            h_at hi = h_of((g[j] - mu) / sd);
            e->log_f[off + j] = log(sd) + hi.log_h;
            e->dmu[off + j] = -hi.r_cdf / sd;
            e->dsd[off + j] = hi.r_pdf / sd;
        }
        return;
    }
    h_at lo = h_of((g[0] - mu) / sd);
    for (size_t j = 0; j + 1 < len; j++) {
        h_at hi = h_of((g[j + 1] - mu) / sd);
        interval_factor(lo, hi, sd, e->log_f + off + j, e->dmu + off + j, e->dsd + off + j);
        lo = hi;
    }
}

double gp_ehvi_log(gp_ehvi *e, const double *mu, const double *sd, double *dmu, double *dsd)
{
    size_t m = e->m;
    for (size_t k = 0; k < m; k++)
        objective_factors(e, k, mu[k], sd[k]);
    /* logsumexp over the boxes, two passes: the largest term first */
    double top = -HUGE_VAL;
    for (size_t b = 0; b < e->n_boxes; b++) {
        double v = 0;
        for (size_t k = 0; k < m; k++)
            v += e->log_f[e->coord_off[k] + e->box[b * m + k]];
        top = v > top ? v : top;
    }
    if (!(top > -HUGE_VAL)) {
        for (size_t k = 0; k < m && dmu != NULL; k++)
            dmu[k] = dsd[k] = 0;
        return -HUGE_VAL;
    }
    size_t total = e->coord_off[m];
    memset(e->weight, 0, total * sizeof *e->weight);
    double sum = 0;
    for (size_t b = 0; b < e->n_boxes; b++) {
        double v = 0;
        for (size_t k = 0; k < m; k++)
            v += e->log_f[e->coord_off[k] + e->box[b * m + k]];
        double w = exp(v - top);
        sum += w;
        for (size_t k = 0; k < m; k++)
            e->weight[e->coord_off[k] + e->box[b * m + k]] += w;
    }
    if (dmu != NULL) {
        /* d log sum_b exp(v_b) = sum_b w_b dv_b / sum_b w_b, gathered per interval */
        for (size_t k = 0; k < m; k++) {
            double gm = 0, gs = 0;
            for (size_t j = e->coord_off[k]; j < e->coord_off[k + 1]; j++) {
                gm += e->weight[j] * e->dmu[j];
                gs += e->weight[j] * e->dsd[j];
            }
            dmu[k] = gm / sum;
            dsd[k] = gs / sum;
        }
    }
    return top + log(sum);
}

double gp_log_pof(double mu, double sd, double threshold, double *dmu, double *dsd)
{
    h_at v = h_of((threshold - mu) / sd);
    double mills = v.r_pdf / v.r_cdf; /* phi / Phi */
    if (dmu != NULL) {
        *dmu = -mills / sd;
        *dsd = -mills * v.z / sd;
    }
    return v.log_h + log(v.r_cdf); /* log Phi = log h + log (Phi / h) */
}
