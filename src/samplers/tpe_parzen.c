/* tpe_parzen.c -- the Parzen estimator of the TPE sampler (see tpe_parzen.h).
 *
 * Semantics follow Optuna's _ParzenEstimator (bandwidths, prior component, magic clip,
 * endpoint rule, categorical kernel, discretized truncated normals). The log density of
 * the "above" estimator is evaluated for every candidate against up to thousands of
 * components, so the inner loops avoid transcendental functions: narrow discrete cells
 * use a short Taylor series of the normal mass around the cell centre, cells of
 * non-log grids with a shared bandwidth are looked up by their grid offset, and
 * components too far away to change the sum are skipped in the log-sum-exp. */
#include "samplers/tpe_parzen.h"

#include "base/mem.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define TPE_EPS 1e-12
#define TPE_SIGMA0_MAGNITUDE 0.2
#define TPE_LOG_SQRT_2PI 0.91893853320467274178
#define TPE_SQRT1_2 0.70710678118654752440
/* Largest memo of cell masses by (sigma class, grid offset), in entries. */
#define TPE_MAX_MEMO 65536
/* Counting sort for discrete centres while the grid has at most this many values. */
#define TPE_MAX_COUNTING_GRID 65536
/* Series for the cell mass while h * (|m| + 1) stays below this (h: half width, m:
 * centre, both in units of sigma); the first omitted term is then below 1e-16. */
#define TPE_SERIES_LIMIT 0.15
/* The log-sum-exp leaves out the components whose log term is more than
 * log(n_comp) + TPE_LSE_SLACK below the largest: together they weigh less than
 * e^-30 (1e-13) of the sum, which is the size of the rounding error that summing a
 * thousand terms may already make. (Each component left out saves a cell mass and an
 * exponential; a slack of 45 nats regardless of n_comp cost 6-10% more time.) */
#define TPE_LSE_SLACK 30.0
/* Hot loops run in blocks of this many with branch-free bodies, a shape compilers
 * vectorise at -O2. */
#define TPE_BLOCK 4

/* ---- normal distribution numerics ------------------------------------------------ */

double tpe_log_ndtr(double x)
{
    if (x > 5)
        return log1p(-0.5 * erfc(x * TPE_SQRT1_2));
    if (x > -35)
        return log(0.5 * erfc(-x * TPE_SQRT1_2));
    if (isinf(x))
        return -INFINITY;
    /* Asymptotic expansion of the Mills ratio; erfc underflows beyond this point. */
    double r = 1.0 / (x * x);
    double series =
        1 + r * (-1 + r * (3 + r * (-15 + r * (105 + r * (-945 + r * (10395 - r * 135135))))));
    return -0.5 * x * x - log(-x) - TPE_LOG_SQRT_2PI + log(series);
}

/* log(1 - e^d) for d <= 0, accurate near both ends. */
static double log1mexp(double d)
{
    return d > -0.6931471805599453 ? log(-expm1(d)) : log1p(-exp(d));
}

double tpe_log_gauss_mass(double a, double b)
{
    if (b <= 0) {
        if (b > -37) {
            /* Both CDFs are normal numbers: subtract them directly. The relative
             * rounding error is eps * Phi(b) / (Phi(b) - Phi(a)), the same as the
             * log-space difference below has. */
            double pb = 0.5 * erfc(-b * TPE_SQRT1_2), pa = 0.5 * erfc(-a * TPE_SQRT1_2);
            return log(pb - pa);
        }
        double lb = tpe_log_ndtr(b);
        return lb + log1mexp(tpe_log_ndtr(a) - lb);
    }
    if (a >= 0)
        return tpe_log_gauss_mass(-b, -a);
    /* a < 0 < b. Beyond 8.3 a tail holds less than 5e-17 of the mass, below the
     * rounding of a mass of at least one half: leave it out. */
    if (b > 8.3)
        return a < -8.3 ? 0.0 : log(0.5 * erfc(a * TPE_SQRT1_2));
    if (a < -8.3)
        return log(0.5 * erfc(-b * TPE_SQRT1_2));
    /* the two erf terms have opposite signs, so nothing cancels */
    return log(0.5 * (erf(b * TPE_SQRT1_2) - erf(a * TPE_SQRT1_2)));
}

double tpe_ndtri(double p)
{
    /* P. J. Acklam's rational approximation (relative error 1.15e-9), then one Halley
     * step against erfc, which brings it to full double precision. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (!(p > 0))
        return -INFINITY;
    if (!(p < 1))
        return INFINITY;
    if (p > 0.5)
        return -tpe_ndtri(1 - p); /* 1 - p is exact here; the lower tail keeps its digits */
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1e-250) {
        double e = 0.5 * erfc(-x * TPE_SQRT1_2) - p;
        double u = e * 2.5066282746310002 * exp(0.5 * x * x);
        x = x - u / (1 + 0.5 * x * u);
    } else {
        /* deep lower tail: Newton on log Phi, whose slope phi/Phi stays representable */
        double log_p = log(p);
        for (int i = 0; i < 2; i++) {
            double lp = tpe_log_ndtr(x);
            double slope = exp(-0.5 * x * x - TPE_LOG_SQRT_2PI - lp);
            x -= (lp - log_p) / slope;
        }
    }
    return x;
}

double tpe_truncnorm_ppf(double u, double a, double b)
{
    if (a > 0)
        return -tpe_truncnorm_ppf(1 - u, -b, -a);
    double x;
    double pa = 0.5 * erfc(-a * TPE_SQRT1_2), pb = 0.5 * erfc(-b * TPE_SQRT1_2);
    if (pb < 1e-300) {
        /* Both ends deep in the lower tail, where the density falls like
         * exp(-|b| t) below b: an exponential truncated to the interval. */
        double rate = -b, width = b - a;
        double t = -log1p(-u * -expm1(-rate * width)) / rate;
        x = b - t;
    } else {
        double p = pa + u * (pb - pa);
        if (p > 0.5) {
            /* upper half: work with upper-tail probabilities, which keep their digits */
            double qa = 0.5 * erfc(a * TPE_SQRT1_2), qb = 0.5 * erfc(b * TPE_SQRT1_2);
            x = -tpe_ndtri(qb + (1 - u) * (qa - qb));
        } else {
            x = tpe_ndtri(p);
        }
    }
    if (!(x >= a))
        x = a;
    if (!(x <= b))
        x = b;
    return x;
}

/* ---- dimensions ------------------------------------------------------------------ */

void tpe_dim_init(tpe_dim *dim, const hps_dist *dist)
{
    memset(dim, 0, sizeof *dim);
    dim->dist = dist;
    dim->log = (dist->flags & HPS_LOG) != 0;
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        dim->kind = TPE_CATEGORICAL;
        dim->n_choices = dist->n_choices;
        return;
    }
    if (dist->kind == HPS_DIST_FLOAT && dist->step == 0) {
        dim->kind = TPE_CONTINUOUS;
        dim->lo = dim->log ? log(dist->low) : dist->low;
        dim->hi = dim->log ? log(dist->high) : dist->high;
        return;
    }
    dim->kind = TPE_DISCRETE;
    dim->cardinality = hps_dist_cardinality(dist);
    double half = dist->step / 2;
    if (dim->log) {
        /* The lowest cell must stay positive; dist.c bounds it the same way. */
        dim->cell_lo_floor = fmax(dist->low - half, dist->low / 2);
        dim->lo = log(dim->cell_lo_floor);
        dim->hi = log(dist->high + half);
    } else {
        dim->lo = dist->low - half;
        dim->hi = dist->high + half;
    }
}

/* Transformed cell [lo, hi] of discrete value v. */
static void cell_of(const tpe_dim *dim, double v, double *lo, double *hi)
{
    double half = dim->dist->step / 2;
    if (dim->log) {
        *lo = log(fmax(v - half, dim->cell_lo_floor));
        *hi = log(v + half);
    } else {
        *lo = v - half;
        *hi = v + half;
    }
}

static double transform(const tpe_dim *dim, double v)
{
    return dim->log ? log(v) : v;
}

/* ---- cell masses across steps ------------------------------------------------------ */

/* 2^TPE_MASS_CACHE_BITS entries of 32 bytes per grid (256 KiB), for at most
 * TPE_MAX_MASS_CACHES grids: enough for the masses a step meets in studies of
 * thousands of trials, small enough to stay in the L2/L3 caches. */
#define TPE_MASS_CACHE_BITS 13
#define TPE_MAX_MASS_CACHES 16

tpe_mass_cache *tpe_mass_cache_for(tpe_mass_caches *caches, const hps_dist *dist)
{
    int log_ = (dist->flags & HPS_LOG) != 0;
    for (size_t i = 0; i < caches->n; i++) {
        tpe_mass_cache *c = &caches->items[i];
        if (c->low == dist->low && c->high == dist->high && c->step == dist->step &&
            c->log == log_)
            return c;
    }
    if (caches->n == TPE_MAX_MASS_CACHES)
        return NULL;
    if (caches->items == NULL) {
        caches->items = hps_mem_calloc(TPE_MAX_MASS_CACHES, sizeof *caches->items);
        if (caches->items == NULL)
            return NULL;
    }
    tpe_mass_entry *entries = hps_mem_calloc((size_t)1 << TPE_MASS_CACHE_BITS, sizeof *entries);
    if (entries == NULL)
        return NULL;
    tpe_mass_cache *c = &caches->items[caches->n++];
    *c = (tpe_mass_cache){.low = dist->low, .high = dist->high, .step = dist->step,
                          .log = log_, .entries = entries, .bits = TPE_MASS_CACHE_BITS};
    return c;
}

void tpe_mass_caches_free(tpe_mass_caches *caches)
{
    for (size_t i = 0; i < caches->n; i++)
        hps_mem_free(caches->items[i].entries);
    hps_mem_free(caches->items);
    memset(caches, 0, sizeof *caches);
}

static tpe_mass_entry *mass_slot(const tpe_mass_cache *c, int64_t value_grid,
                                 int64_t centre_grid, uint64_t sigma_bits)
{
    uint64_t h = (uint64_t)value_grid * 0x9e3779b97f4a7c15ull;
    h ^= (uint64_t)centre_grid * 0xc2b2ae3d27d4eb4full;
    h ^= sigma_bits * 0x165667b19e3779f9ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return &c->entries[h >> (64 - c->bits)];
}

/* ---- scratch arena ------------------------------------------------------------------- */

#define TPE_ARENA_ALIGN 16

void *tpe_arena_calloc(tpe_arena *arena, size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - TPE_ARENA_ALIGN) / size)
        return NULL;
    size_t bytes = (count * size + TPE_ARENA_ALIGN - 1) & ~(size_t)(TPE_ARENA_ALIGN - 1);
    if (bytes == 0)
        bytes = TPE_ARENA_ALIGN;
    if (bytes > SIZE_MAX - arena->wanted)
        return NULL;
    arena->wanted += bytes;
    if (arena->block != NULL && arena->cap - arena->used >= bytes) {
        void *p = arena->block + arena->used;
        arena->used += bytes;
        memset(p, 0, bytes);
        return p;
    }
    void *items = arena->extra;
    if (hps_mem_grow(&items, &arena->cap_extra, arena->n_extra + 1, sizeof *arena->extra) != 0)
        return NULL;
    arena->extra = items;
    void *p = hps_mem_calloc(1, bytes);
    if (p == NULL)
        return NULL;
    arena->extra[arena->n_extra++] = p;
    return p;
}

void tpe_arena_reset(tpe_arena *arena)
{
    for (size_t i = 0; i < arena->n_extra; i++)
        hps_mem_free(arena->extra[i]);
    arena->n_extra = 0;
    if (arena->wanted > arena->cap) {
        /* next time everything fits in one block, with room to grow */
        size_t cap = arena->wanted + arena->wanted / 2;
        unsigned char *block = hps_mem_alloc(cap);
        if (block != NULL) {
            hps_mem_free(arena->block);
            arena->block = block;
            arena->cap = cap;
        }
    }
    arena->used = 0;
    arena->wanted = 0;
}

void tpe_arena_free(tpe_arena *arena)
{
    if (arena == NULL)
        return;
    tpe_arena_reset(arena);
    hps_mem_free(arena->block);
    hps_mem_free(arena->extra);
    memset(arena, 0, sizeof *arena);
}

/* ---- weights ----------------------------------------------------------------------- */

void tpe_default_weights(size_t n, double *out)
{
    if (n < 25) {
        for (size_t i = 0; i < n; i++)
            out[i] = 1;
        return;
    }
    size_t ramp = n - 25;
    double first = 1.0 / (double)n;
    for (size_t i = 0; i < ramp; i++)
        out[i] = ramp == 1 ? first : first + (1 - first) * (double)i / (double)(ramp - 1);
    for (size_t i = ramp; i < n; i++)
        out[i] = 1;
}

/* ---- sorting centres ------------------------------------------------------------------ */

/* Grid index of a discrete value (ints and stepped floats, log or not). */
static int64_t grid_index(const tpe_dim *dim, double v)
{
    /* v >= low, so truncating x + 1/2 rounds to nearest (and is no library call); valid
     * values sit on the grid, far from the halfway points where the two could differ */
    return (int64_t)((v - dim->dist->low) / dim->dist->step + 0.5);
}

/* An unsigned key with the order of the double. */
static uint64_t order_key(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return (bits >> 63) ? ~bits : bits | 0x8000000000000000ull;
}

/* One stable LSD counting pass per byte of the keys from bit `from` up, skipping bytes
 * all keys share; *src holds the order in and out, *dst is scratch. */
static void radix_passes(const uint64_t *keys, size_t n, unsigned from, uint32_t **src,
                         uint32_t **dst)
{
    for (unsigned shift = from; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xff) + 1]++;
        int uniform = 0;
        for (size_t b = 1; b <= 256 && !uniform; b++)
            uniform = count[b] == n;
        if (uniform)
            continue;
        for (size_t b = 1; b <= 256; b++)
            count[b] += count[b - 1];
        for (size_t i = 0; i < n; i++)
            (*dst)[count[(keys[(*src)[i]] >> shift) & 0xff]++] = (*src)[i];
        uint32_t *swap = *src;
        *src = *dst;
        *dst = swap;
    }
}

/* Longest run of equal high key halves that insertion sort finishes cheaply. */
#define TPE_MAX_INSERTION_RUN 8

/* `order` = indices 0..n-1 sorted by values[] (ties by index). The keys' high halves
 * (sign, exponent, 20 mantissa bits) are radix sorted; keys sharing a high half are
 * rare and put in order by insertion, unless a long run of them (values packed within
 * a relative 1e-6) makes sorting the low halves too cheaper. -1 on out-of-memory. */
static int radix_order(tpe_arena *ar, const double *values, size_t n, uint32_t *order)
{
    uint64_t *keys = tpe_arena_calloc(ar, n + 1, sizeof *keys);
    uint32_t *tmp = tpe_arena_calloc(ar, n + 1, sizeof *tmp);
    if (keys == NULL || tmp == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        keys[i] = order_key(values[i]);
        order[i] = (uint32_t)i;
    }
    uint32_t *src = order, *dst = tmp;
    radix_passes(keys, n, 32, &src, &dst);
    size_t run = 0, longest = 0;
    for (size_t r = 1; r < n; r++) {
        run = (keys[src[r]] >> 32) == (keys[src[r - 1]] >> 32) ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    if (longest > TPE_MAX_INSERTION_RUN) {
        for (size_t i = 0; i < n; i++)
            src[i] = (uint32_t)i;
        radix_passes(keys, n, 0, &src, &dst);
    } else if (longest > 0) {
        for (size_t r = 1; r < n; r++) {
            uint32_t item = src[r];
            size_t q = r;
            for (; q > 0 && keys[src[q - 1]] > keys[item]; q--)
                src[q] = src[q - 1];
            src[q] = item;
        }
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
    return 0;
}

/* Counting sort of grid indices in [0, card), stable. */
static int counting_order(tpe_arena *ar, const int64_t *grid, size_t n, uint64_t card,
                          uint32_t *order)
{
    size_t *count = tpe_arena_calloc(ar, (size_t)card + 1, sizeof *count);
    if (count == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        count[grid[i] + 1]++;
    for (size_t b = 1; b <= card; b++)
        count[b] += count[b - 1];
    for (size_t i = 0; i < n; i++)
        order[count[grid[i]]++] = (uint32_t)i;
    return 0;
}

/* ---- building ---------------------------------------------------------------------- */

/* Optuna's neighbour bandwidths: the larger gap to a neighbour among the sorted
 * centres, with the domain ends as outer neighbours; without consider_endpoints the
 * outermost centres use their inner gap instead. The prior's centre is not among the
 * neighbours (Optuna 5 dropped it: it shrank bandwidths near the middle for no
 * reason but hyperopt's history). */
static int neighbour_sigmas(tpe_arena *ar, const tpe_dim *dim, const double *mus,
                            const int64_t *grid, size_t n, const tpe_params *params,
                            double *sigmas)
{
    uint32_t *order = tpe_arena_calloc(ar, n + 1, sizeof *order);
    if (order == NULL)
        return -1;
    int rc;
    if (grid != NULL && dim->cardinality <= TPE_MAX_COUNTING_GRID &&
        dim->cardinality <= 64 * (uint64_t)n + 1024)
        rc = counting_order(ar, grid, n, dim->cardinality, order);
    else
        rc = radix_order(ar, mus, n, order);
    if (rc != 0)
        return -1;
    for (size_t r = 0; r < n; r++) {
        double prev = r > 0 ? mus[order[r - 1]] : dim->lo;
        double next = r + 1 < n ? mus[order[r + 1]] : dim->hi;
        double here = mus[order[r]];
        double s = here - prev > next - here ? here - prev : next - here;
        if (!params->consider_endpoints && n >= 2) {
            if (r == 0)
                s = next - here;
            else if (r == n - 1)
                s = here - prev;
        }
        sigmas[order[r]] = s;
    }
    return 0;
}

/* A small open-addressing map from a 128-bit key to a dense id. */
typedef struct id_map {
    uint64_t *k1, *k2;
    uint32_t *id; /* UINT32_MAX = empty */
    size_t mask;
} id_map;

static int id_map_init(tpe_arena *ar, id_map *m, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    m->k1 = tpe_arena_calloc(ar, cap, sizeof *m->k1);
    m->k2 = tpe_arena_calloc(ar, cap, sizeof *m->k2);
    m->id = tpe_arena_calloc(ar, cap, sizeof *m->id);
    m->mask = cap - 1;
    if (m->k1 == NULL || m->k2 == NULL || m->id == NULL)
        return -1;
    memset(m->id, 0xff, cap * sizeof *m->id);
    return 0;
}

/* The id of (a, b), or `next` (which the caller then counts as used) when new. */
static uint32_t id_map_get(id_map *m, uint64_t a, uint64_t b, uint32_t next)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6));
    h ^= h >> 29;
    for (size_t i = (size_t)h & m->mask;; i = (i + 1) & m->mask) {
        if (m->id[i] == UINT32_MAX) {
            m->k1[i] = a;
            m->k2[i] = b;
            m->id[i] = next;
            return next;
        }
        if (m->k1[i] == a && m->k2[i] == b)
            return m->id[i];
    }
}

static uint64_t double_bits(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

/* Groups the observation components of a discrete dimension by (centre, sigma). Small
 * grids chain the groups of each grid value (few sigmas per value); large ones hash. */
static int build_pairs(tpe_parzen *pe, size_t d, const int64_t *grid)
{
    const tpe_dim *dim = &pe->dims[d];
    tpe_kernel *k = &pe->kernels[d];
    size_t n = pe->n_obs;
    tpe_arena *ar = pe->arena;
    id_map pairs;
    memset(&pairs, 0, sizeof pairs);
    uint32_t *head = NULL, *chain = NULL, *first = NULL;
    int by_grid = dim->cardinality <= TPE_MAX_COUNTING_GRID &&
                  dim->cardinality <= 64 * (uint64_t)n + 1024;
    k->pair_of = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_of);
    k->pair_mu = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_mu);
    k->pair_sigma = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_sigma);
    k->pair_inv_sigma = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_inv_sigma);
    k->pair_log_sigma = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_log_sigma);
    k->pair_grid = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_grid);
    k->pair_class = tpe_arena_calloc(ar, n + 1, sizeof *k->pair_class);
    if (k->pair_of == NULL || k->pair_mu == NULL || k->pair_sigma == NULL ||
        k->pair_inv_sigma == NULL ||
        k->pair_log_sigma == NULL || k->pair_grid == NULL || k->pair_class == NULL)
        return -1;
    if (by_grid) {
        head = tpe_arena_calloc(ar, (size_t)dim->cardinality + 1, sizeof *head);
        chain = tpe_arena_calloc(ar, n + 1, sizeof *chain);
        first = tpe_arena_calloc(ar, n + 1, sizeof *first);
        if (head == NULL || chain == NULL || first == NULL)
            return -1;
        memset(head, 0xff, ((size_t)dim->cardinality + 1) * sizeof *head);
    } else if (id_map_init(ar, &pairs, n) != 0) {
        return -1;
    }
    /* sigma classes: a linear scan over the few distinct values seen so far */
    double classes_seen[8];
    int classes_overflow = 0;
    for (size_t j = 0; j < n; j++) {
        double sigma = k->sigma[j];
        uint32_t u = UINT32_MAX;
        if (by_grid) {
            /* one grid value, one centre: groups differ by sigma only */
            for (uint32_t q = head[grid[j]]; q != UINT32_MAX && u == UINT32_MAX; q = chain[q])
                if (k->sigma[first[q]] == sigma)
                    u = q;
        } else {
            u = id_map_get(&pairs, (uint64_t)grid[j], double_bits(sigma), (uint32_t)k->n_pairs);
            if (u == k->n_pairs)
                u = UINT32_MAX;
        }
        if (u != UINT32_MAX) {
            k->pair_of[j] = u;
            continue;
        }
        u = (uint32_t)k->n_pairs++;
        k->pair_of[j] = u;
        k->pair_mu[u] = k->mu[j];
        k->pair_sigma[u] = sigma;
        k->pair_inv_sigma[u] = k->inv_sigma[j];
        k->pair_log_sigma[u] = k->log_sigma[j];
        k->pair_grid[u] = grid[j];
        if (by_grid) {
            chain[u] = head[grid[j]];
            head[grid[j]] = u;
            first[u] = (uint32_t)j;
        }
        if (!dim->log && !classes_overflow) {
            size_t c = 0;
            while (c < k->n_classes && classes_seen[c] != sigma)
                c++;
            if (c == k->n_classes) {
                if (c == sizeof classes_seen / sizeof classes_seen[0])
                    classes_overflow = 1; /* too many to memoise by offset */
                else
                    classes_seen[k->n_classes++] = sigma;
            }
            k->pair_class[u] = (uint32_t)c;
        }
    }
    if (classes_overflow)
        k->n_classes = 0;
    return 0;
}

static int build_numeric(tpe_parzen *pe, size_t d, const double *obs, const tpe_params *params)
{
    const tpe_dim *dim = &pe->dims[d];
    tpe_kernel *k = &pe->kernels[d];
    size_t n_comp = pe->n_comp, n_dims = pe->n_dims, n_obs = pe->n_obs;
    int has_prior = pe->prior_comp < n_comp;
    tpe_arena *ar = pe->arena;
    int64_t *grid = NULL;
    k->mu = tpe_arena_calloc(ar, n_comp, sizeof *k->mu);
    k->sigma = tpe_arena_calloc(ar, n_comp, sizeof *k->sigma);
    k->inv_sigma = tpe_arena_calloc(ar, n_comp, sizeof *k->inv_sigma);
    k->log_sigma = tpe_arena_calloc(ar, n_comp, sizeof *k->log_sigma);
    if (k->mu == NULL || k->sigma == NULL || k->inv_sigma == NULL || k->log_sigma == NULL)
        return -1;
    if (dim->kind == TPE_DISCRETE) {
        grid = tpe_arena_calloc(ar, n_obs + 1, sizeof *grid);
        if (grid == NULL)
            return -1;
        for (size_t i = 0; i < n_obs; i++)
            grid[i] = grid_index(dim, obs[i * n_dims + d]);
    }
    double width = dim->hi - dim->lo;
    for (size_t i = 0; i < n_obs; i++)
        k->mu[i] = transform(dim, obs[i * n_dims + d]);
    if (has_prior)
        k->mu[pe->prior_comp] = 0.5 * (dim->lo + dim->hi);
    if (params->scott_bandwidth) {
        /* Scott's rule, as in BOHB and Optuna 2.2-4.x's multivariate TPE */
        double n_eff = n_obs > 0 ? (double)n_obs : 1.0;
        double s = TPE_SIGMA0_MAGNITUDE * pow(n_eff, -1.0 / ((double)n_dims + 4)) * width;
        for (size_t i = 0; i < n_obs; i++)
            k->sigma[i] = s;
    } else if (n_obs > 0) {
        if (neighbour_sigmas(ar, dim, k->mu, grid, n_obs, params, k->sigma) != 0)
            return -1;
    }
    double max_sigma = width;
    double min_sigma = params->consider_magic_clip ? width / fmin(100.0, 1.0 + (double)n_comp)
                                                   : TPE_EPS;
    /* comparisons rather than fmin/fmax, which are library calls at -O2 (sigmas are
     * finite, so NaN handling is moot) */
    for (size_t i = 0; i < n_obs; i++) {
        double s = k->sigma[i] < min_sigma ? min_sigma : k->sigma[i];
        k->sigma[i] = s > max_sigma ? max_sigma : s;
    }
    if (has_prior)
        k->sigma[pe->prior_comp] = width;
    /* most bandwidths sit at the clip floor: compute its logarithm once */
    double inv_min = 1.0 / min_sigma, log_min = log(min_sigma);
    for (size_t i = 0; i < n_comp; i++) {
        int floor_ = k->sigma[i] == min_sigma;
        k->inv_sigma[i] = floor_ ? inv_min : 1.0 / k->sigma[i];
        k->log_sigma[i] = floor_ ? log_min : log(k->sigma[i]);
    }
    if (dim->kind == TPE_DISCRETE && n_obs > 0 && build_pairs(pe, d, grid) != 0)
        return -1;
    /* normalising constants: the mass of the domain (once per group when discrete) */
    if (dim->kind == TPE_DISCRETE) {
        double *mass = tpe_arena_calloc(ar, k->n_pairs + 1, sizeof *mass);
        if (mass == NULL)
            return -1;
        for (size_t u = 0; u < k->n_pairs; u++)
            mass[u] = tpe_log_gauss_mass((dim->lo - k->pair_mu[u]) * k->pair_inv_sigma[u],
                                         (dim->hi - k->pair_mu[u]) * k->pair_inv_sigma[u]);
        for (size_t i = 0; i < n_obs; i++)
            pe->base[i] -= mass[k->pair_of[i]];
    }
    for (size_t i = dim->kind == TPE_DISCRETE ? n_obs : 0; i < n_comp; i++) {
        double mass = tpe_log_gauss_mass((dim->lo - k->mu[i]) * k->inv_sigma[i],
                                         (dim->hi - k->mu[i]) * k->inv_sigma[i]);
        pe->base[i] -= mass;
    }
    if (dim->kind == TPE_CONTINUOUS)
        for (size_t i = 0; i < n_comp; i++)
            pe->base[i] -= k->log_sigma[i] + TPE_LOG_SQRT_2PI;
    return 0;
}

static int build_categorical(tpe_parzen *pe, size_t d, const double *obs,
                             const tpe_params *params)
{
    const tpe_dim *dim = &pe->dims[d];
    tpe_kernel *k = &pe->kernels[d];
    size_t n_comp = pe->n_comp, n_obs = pe->n_obs, n_choices = dim->n_choices;
    k->cat_obs = tpe_arena_calloc(pe->arena, n_comp, sizeof *k->cat_obs);
    k->cat_log_delta = tpe_arena_calloc(pe->arena, n_comp, sizeof *k->cat_log_delta);
    k->cat_log_other = tpe_arena_calloc(pe->arena, n_comp, sizeof *k->cat_log_other);
    k->cat_p_hit = tpe_arena_calloc(pe->arena, n_comp, sizeof *k->cat_p_hit);
    k->cat_members = tpe_arena_calloc(pe->arena, n_obs + 1, sizeof *k->cat_members);
    k->cat_start = tpe_arena_calloc(pe->arena, n_choices + 2, sizeof *k->cat_start);
    if (k->cat_obs == NULL || k->cat_log_delta == NULL || k->cat_log_other == NULL ||
        k->cat_p_hit == NULL || k->cat_members == NULL || k->cat_start == NULL)
        return -1;
    /* Each observation's row: prior_weight / n_kernels on every choice, plus one on the
     * observed choice, normalised. */
    double base = params->prior_weight / (double)(n_comp > 0 ? n_comp : 1);
    double row_sum = base * (double)n_choices + 1;
    double log_hit = log((base + 1) / row_sum), log_other = log(base / row_sum);
    for (size_t i = 0; i < n_obs; i++) {
        k->cat_obs[i] = obs[i * pe->n_dims + d];
        k->cat_log_delta[i] = log_hit - log_other;
        k->cat_log_other[i] = log_other;
        k->cat_p_hit[i] = 1.0 / row_sum;
        k->cat_start[(size_t)k->cat_obs[i] + 2]++;
    }
    if (pe->prior_comp < n_comp) {
        size_t p = pe->prior_comp;
        k->cat_obs[p] = -1;
        k->cat_log_delta[p] = 0;
        k->cat_log_other[p] = -log((double)n_choices);
        k->cat_p_hit[p] = 0;
    }
    /* every component gets the "other" probability up front; a point then adds the
     * difference to the components that observed its choice */
    for (size_t i = 0; i < n_comp; i++)
        pe->base[i] += k->cat_log_other[i];
    for (size_t c = 2; c <= n_choices + 1; c++)
        k->cat_start[c] += k->cat_start[c - 1];
    for (size_t i = 0; i < n_obs; i++)
        k->cat_members[k->cat_start[(size_t)k->cat_obs[i] + 1]++] = (uint32_t)i;
    return 0;
}

int tpe_parzen_build(tpe_parzen *pe, tpe_arena *arena, const tpe_dim *dims, size_t n_dims,
                     const double *obs, size_t n_obs, const tpe_params *params)
{
    return tpe_parzen_build_weighted(pe, arena, dims, n_dims, obs, n_obs, params, NULL);
}

int tpe_parzen_build_weighted(tpe_parzen *pe, tpe_arena *arena, const tpe_dim *dims,
                              size_t n_dims, const double *obs, size_t n_obs,
                              const tpe_params *params, const double *weights)
{
    memset(pe, 0, sizeof *pe);
    pe->arena = arena;
    pe->dims = dims;
    pe->n_dims = n_dims;
    int prior = params->consider_prior || n_obs == 0;
    /* components are indexed by uint32_t in the discrete groups */
    if (n_obs >= UINT32_MAX - 1)
        return -1;
    pe->n_obs = n_obs;
    pe->n_comp = n_obs + (prior ? 1 : 0);
    pe->prior_comp = prior ? n_obs : pe->n_comp;
    size_t n_comp = pe->n_comp;
    pe->weights = tpe_arena_calloc(arena, n_comp, sizeof *pe->weights);
    pe->cum_weights = tpe_arena_calloc(arena, n_comp, sizeof *pe->cum_weights);
    pe->base = tpe_arena_calloc(arena, n_comp, sizeof *pe->base);
    pe->kernels = tpe_arena_calloc(arena, n_dims + 1, sizeof *pe->kernels);
    if (pe->weights == NULL || pe->cum_weights == NULL || pe->base == NULL || pe->kernels == NULL)
        return -1;

    if (weights != NULL) {
        memcpy(pe->weights, weights, n_obs * sizeof *pe->weights);
    } else if (params->uniform_weights) {
        for (size_t i = 0; i < n_obs; i++)
            pe->weights[i] = 1;
    } else {
        tpe_default_weights(n_obs, pe->weights);
    }
    if (prior)
        pe->weights[pe->prior_comp] = n_obs > 0 ? params->prior_weight : 1.0;
    double total = 0;
    for (size_t i = 0; i < n_comp; i++)
        total += pe->weights[i];
    double cum = 0;
    for (size_t i = 0; i < n_comp; i++) {
        pe->weights[i] /= total;
        cum += pe->weights[i];
        pe->cum_weights[i] = cum;
        pe->base[i] = log(pe->weights[i]);
    }
    pe->cum_weights[n_comp - 1] = 1.0;

    for (size_t d = 0; d < n_dims; d++) {
        int rc = dims[d].kind == TPE_CATEGORICAL ? build_categorical(pe, d, obs, params)
                                                 : build_numeric(pe, d, obs, params);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- sampling ---------------------------------------------------------------------- */

static size_t pick_component(const tpe_parzen *pe, double u)
{
    size_t lo = 0, hi = pe->n_comp - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pe->cum_weights[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void tpe_parzen_sample(const tpe_parzen *pe, hps_rng *rng, size_t n, double *out)
{
    for (size_t p = 0; p < n; p++) {
        size_t j = pick_component(pe, hps_rng_uniform(rng));
        for (size_t d = 0; d < pe->n_dims; d++) {
            const tpe_dim *dim = &pe->dims[d];
            const tpe_kernel *k = &pe->kernels[d];
            double *slot = &out[p * pe->n_dims + d];
            if (dim->kind == TPE_CATEGORICAL) {
                double u = hps_rng_uniform(rng);
                if (k->cat_obs[j] >= 0 && u < k->cat_p_hit[j]) {
                    *slot = k->cat_obs[j];
                } else {
                    double c = floor(hps_rng_uniform(rng) * (double)dim->n_choices);
                    *slot = fmin(c, (double)dim->n_choices - 1);
                }
                continue;
            }
            double mu = k->mu[j], sigma = k->sigma[j];
            double z = tpe_truncnorm_ppf(hps_rng_uniform(rng), (dim->lo - mu) / sigma,
                                         (dim->hi - mu) / sigma);
            double t = fmin(fmax(mu + sigma * z, dim->lo), dim->hi);
            double v = dim->log ? exp(t) : t;
            /* onto the step grid and into [low, high] (exp may round past high) */
            *slot = hps_dist_snap(dim->dist, v);
        }
    }
}

/* ---- density ----------------------------------------------------------------------- */

/* log of the normal mass of the transformed cell [cl, cr] (log width lw) under the
 * component (mu, 1/sigma, log sigma). */
static double cell_log_mass(double cl, double cr, double lw, double mu, double inv_sigma,
                            double log_sigma)
{
    double zl = (cl - mu) * inv_sigma, zr = (cr - mu) * inv_sigma;
    double h = 0.5 * (zr - zl), m = 0.5 * (zr + zl);
    if (h * (fabs(m) + 1) > TPE_SERIES_LIMIT)
        return tpe_log_gauss_mass(zl, zr);
    /* integral of phi over [m - h, m + h] = 2 h phi(m) (1 + s), with
     * s = sum_k h^2k He_2k(m) / (2k + 1)! (Hermite polynomials He) */
    double m2 = m * m, h2 = h * h;
    double he2 = m2 - 1;
    double he4 = m2 * (m2 - 6) + 3;
    double he6 = m2 * (m2 * (m2 - 15) + 45) - 15;
    double he8 = m2 * (m2 * (m2 * (m2 - 28) + 210) - 420) + 105;
    double he10 = m2 * (m2 * (m2 * (m2 * (m2 - 45) + 630) - 3150) + 4725) - 945;
    double s = h2 * (he2 / 6 +
                     h2 * (he4 / 120 +
                           h2 * (he6 / 5040 + h2 * (he8 / 362880 + h2 * he10 / 39916800))));
    /* |s| < 0.004 here, so log1p(s) to six terms is exact to rounding */
    double l1p = s * (1 + s * (-0.5 + s * (1.0 / 3 + s * (-0.25 + s * (0.2 - s / 6)))));
    return lw - log_sigma - 0.5 * m2 - TPE_LOG_SQRT_2PI + l1p;
}

/* max(z, 0) and min(z, 0) without branches */
#define TPE_POS(z) (0.5 * ((z) + fabs(z)))
#define TPE_NEG(z) (0.5 * ((z) - fabs(z)))

/* An upper bound on a discrete term without transcendental functions: a cell's mass
 * is at most its width times the density at its point nearest the centre (the cell
 * lies on one side of the centre, or holds it), and at most 1. */
static void discrete_bound(size_t n, double cl, double cr, double log_width,
                           const double *restrict mu, const double *restrict inv_sigma,
                           const double *restrict log_sigma, double *restrict ub)
{
    size_t j = 0;
    double c = log_width - TPE_LOG_SQRT_2PI;
    for (; j + TPE_BLOCK <= n; j += TPE_BLOCK)
        for (size_t i = j; i < j + TPE_BLOCK; i++) {
            double zl = (cl - mu[i]) * inv_sigma[i], zr = (mu[i] - cr) * inv_sigma[i];
            double gl = TPE_POS(zl), gr = TPE_POS(zr);
            double b = c - log_sigma[i] - 0.5 * (gl * gl + gr * gr);
            ub[i] = TPE_NEG(b);
        }
    for (; j < n; j++) {
        double zl = (cl - mu[j]) * inv_sigma[j], zr = (mu[j] - cr) * inv_sigma[j];
        double gl = TPE_POS(zl), gr = TPE_POS(zr);
        double b = c - log_sigma[j] - 0.5 * (gl * gl + gr * gr);
        ub[j] = TPE_NEG(b);
    }
}

/* Log cell masses of a discrete dimension for a batch of points, computed on demand:
 * each distinct candidate value meets each (centre, sigma) group at most once, and on
 * a linear grid the mass depends only on the grid offset and the sigma, which is
 * memoised across values too. */
typedef struct disc_eval {
    size_t n_uc;
    size_t *uc_of;    /* point -> distinct value */
    double *cell;     /* per distinct value: transformed cell lo, hi, log width */
    int64_t *grid;    /* per distinct value: grid index */
    double *values;   /* n_uc x n_pairs, NAN until computed */
    double *bounds;   /* n_uc x n_pairs: upper bounds on values, cheap to compute */
    double *memo;     /* linear grids: n_classes x span, NAN until computed */
    size_t span;
    double *prior;    /* point -> log mass under the prior component */
} disc_eval;

static int disc_eval_init(disc_eval *e, const tpe_parzen *pe, size_t d, const double *x, size_t n)
{
    const tpe_dim *dim = &pe->dims[d];
    const tpe_kernel *k = &pe->kernels[d];
    size_t n_pairs = k->n_pairs, nd = pe->n_dims;
    tpe_arena *ar = pe->arena;
    memset(e, 0, sizeof *e);
    size_t *uc_point = tpe_arena_calloc(ar, n + 1, sizeof *uc_point);
    e->uc_of = tpe_arena_calloc(ar, n + 1, sizeof *e->uc_of);
    e->prior = tpe_arena_calloc(ar, n + 1, sizeof *e->prior);
    e->cell = tpe_arena_calloc(ar, 3 * n + 1, sizeof *e->cell);
    e->grid = tpe_arena_calloc(ar, n + 1, sizeof *e->grid);
    if (uc_point == NULL || e->uc_of == NULL || e->prior == NULL || e->cell == NULL ||
        e->grid == NULL)
        return -1;
    for (size_t p = 0; p < n; p++) {
        double v = x[p * nd + d];
        size_t c = 0;
        while (c < e->n_uc && x[uc_point[c] * nd + d] != v)
            c++;
        if (c == e->n_uc) {
            uc_point[e->n_uc++] = p;
            double *cell = &e->cell[3 * c];
            cell_of(dim, v, &cell[0], &cell[1]);
            cell[2] = log(cell[1] - cell[0]);
            e->grid[c] = grid_index(dim, v);
        }
        e->uc_of[p] = c;
        if (pe->prior_comp < pe->n_comp) {
            size_t j = pe->prior_comp;
            const double *cell = &e->cell[3 * c];
            e->prior[p] = cell_log_mass(cell[0], cell[1], cell[2], k->mu[j], k->inv_sigma[j],
                                        k->log_sigma[j]);
        }
    }
    if (n_pairs > 0 && e->n_uc > SIZE_MAX / sizeof(double) / n_pairs)
        return -1;
    e->values = tpe_arena_calloc(ar, e->n_uc * n_pairs + 1, sizeof *e->values);
    e->bounds = tpe_arena_calloc(ar, e->n_uc * n_pairs + 1, sizeof *e->bounds);
    if (e->values == NULL || e->bounds == NULL)
        return -1;
    for (size_t i = 0; i < e->n_uc * n_pairs; i++)
        e->values[i] = NAN;
    for (size_t c = 0; c < e->n_uc; c++) {
        const double *cell = &e->cell[3 * c];
        discrete_bound(n_pairs, cell[0], cell[1], cell[2], k->pair_mu, k->pair_inv_sigma,
                       k->pair_log_sigma, &e->bounds[c * n_pairs]);
    }
    size_t span = dim->cardinality < TPE_MAX_MEMO ? (size_t)(2 * dim->cardinality - 1) : 0;
    if (!dim->log && span > 0 && k->n_classes > 0 && k->n_classes * span <= TPE_MAX_MEMO &&
        k->n_classes * span < e->n_uc * n_pairs) {
        e->span = span;
        e->memo = tpe_arena_calloc(ar, k->n_classes * span, sizeof *e->memo);
        if (e->memo == NULL)
            return -1;
        for (size_t i = 0; i < k->n_classes * span; i++)
            e->memo[i] = NAN;
    }
    return 0;
}

/* The log cell mass of distinct value c under group u the first time a step meets
 * them: from the memo of a linear grid, the cache of earlier steps, or computed. Kept
 * out of line so that disc_value's fast path inlines into the density loop. */
static double __attribute__((noinline))
disc_first(disc_eval *e, const tpe_kernel *k, const tpe_dim *dim, size_t c, size_t u)
{
    double *slot = &e->values[c * k->n_pairs + u];
    double *memo = NULL;
    if (e->memo != NULL) {
        int64_t off = e->grid[c] - k->pair_grid[u] + (int64_t)dim->cardinality - 1;
        if (off >= 0 && (size_t)off < e->span) {
            memo = &e->memo[k->pair_class[u] * e->span + (size_t)off];
            if (!isnan(*memo))
                return *slot = *memo;
        }
    }
    tpe_mass_entry *kept = NULL;
    uint64_t sigma_bits = double_bits(k->pair_sigma[u]);
    if (dim->masses != NULL) {
        kept = mass_slot(dim->masses, e->grid[c], k->pair_grid[u], sigma_bits);
        if (kept->sigma_bits == sigma_bits && kept->value_grid == e->grid[c] &&
            kept->centre_grid == k->pair_grid[u]) {
            *slot = kept->log_mass;
            if (memo != NULL)
                *memo = *slot;
            return *slot;
        }
    }
    const double *cell = &e->cell[3 * c];
    *slot = cell_log_mass(cell[0], cell[1], cell[2], k->pair_mu[u], k->pair_inv_sigma[u],
                          k->pair_log_sigma[u]);
    if (memo != NULL)
        *memo = *slot;
    if (kept != NULL)
        *kept = (tpe_mass_entry){.value_grid = e->grid[c], .centre_grid = k->pair_grid[u],
                                 .sigma_bits = sigma_bits, .log_mass = *slot};
    return *slot;
}

/* The log cell mass of distinct value c under group u. */
static inline double disc_value(disc_eval *e, const tpe_kernel *k, const tpe_dim *dim, size_t c,
                                size_t u)
{
    double v = e->values[c * k->n_pairs + u];
    return isnan(v) ? disc_first(e, k, dim, c, u) : v;
}

/* The terms of one dimension for every component. */

/* out = in - z^2 / 2 for a continuous coordinate t; `in` may be `out`. */
static void add_continuous(size_t n, double t, const double *restrict mu,
                           const double *restrict inv_sigma, const double *in, double *out)
{
    size_t j = 0;
    for (; j + TPE_BLOCK <= n; j += TPE_BLOCK)
        for (size_t i = j; i < j + TPE_BLOCK; i++) {
            double z = (t - mu[i]) * inv_sigma[i];
            out[i] = in[i] - 0.5 * z * z;
        }
    for (; j < n; j++) {
        double z = (t - mu[j]) * inv_sigma[j];
        out[j] = in[j] - 0.5 * z * z;
    }
}

/* The observed-choice bonus of a categorical dimension for choice c ("other" is in
 * base already). */
static void add_categorical(const tpe_kernel *k, size_t c, double *acc)
{
    double delta = k->cat_log_delta[0];
    for (size_t m = k->cat_start[c]; m < k->cat_start[c + 1]; m++)
        acc[k->cat_members[m]] += delta;
}

/* out[j] = in[j] + bound of observation component j's group; `in` may be `out`. */
static void add_bounds(size_t n_obs, const double *restrict row, const uint32_t *restrict pair_of,
                       const double *in, double *out)
{
    for (size_t j = 0; j < n_obs; j++)
        out[j] = in[j] + row[pair_of[j]];
}

/* Chunk of argmax's first pass. */
#define TPE_ARGMAX_CHUNK 64

/* The largest value and its first index. The maxima of chunks come first, so that the
 * index is looked for in one chunk rather than in half the array. */
static size_t argmax(size_t n, const double *restrict a)
{
    double top = -INFINITY;
    size_t top_chunk = 0;
    for (size_t c = 0; c < n; c += TPE_ARGMAX_CHUNK) {
        size_t end = n - c > TPE_ARGMAX_CHUNK ? c + TPE_ARGMAX_CHUNK : n;
        double m[TPE_BLOCK] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        size_t j = c;
        for (; j + TPE_BLOCK <= end; j += TPE_BLOCK)
            for (size_t k = 0; k < TPE_BLOCK; k++)
                m[k] = a[j + k] > m[k] ? a[j + k] : m[k];
        for (; j < end; j++)
            m[0] = a[j] > m[0] ? a[j] : m[0];
        double chunk_top = m[0];
        for (size_t k = 1; k < TPE_BLOCK; k++)
            chunk_top = m[k] > chunk_top ? m[k] : chunk_top;
        if (chunk_top > top) { /* strictly: an earlier chunk keeps a tie */
            top = chunk_top;
            top_chunk = c;
        }
    }
    size_t end = n - top_chunk > TPE_ARGMAX_CHUNK ? top_chunk + TPE_ARGMAX_CHUNK : n;
    for (size_t j = top_chunk; j < end; j++)
        if (a[j] >= top)
            return j;
    return top_chunk;
}

/* Adds the discrete dimensions' terms of component j to its partial sum. */
static double add_discrete_terms(const tpe_parzen *pe, disc_eval *disc, size_t p, size_t j,
                                 double partial)
{
    for (size_t d = 0; d < pe->n_dims; d++) {
        const tpe_dim *dim = &pe->dims[d];
        if (dim->kind != TPE_DISCRETE)
            continue;
        const tpe_kernel *k = &pe->kernels[d];
        if (j == pe->prior_comp)
            partial += disc[d].prior[p];
        else
            partial += disc_value(&disc[d], k, dim, disc[d].uc_of[p], k->pair_of[j]);
    }
    return partial;
}

/* Log density of each point. The continuous and categorical terms of every component
 * are summed first (whole-array loops) and the discrete ones bounded from above; the
 * exact discrete terms (log cell masses, the costly part) are then computed only for
 * components whose bound comes within the cutoff of the exact total of the most
 * promising component -- the others would fall below the log-sum-exp's cutoff anyway.
 * (Pruning earlier, after one continuous dimension, was measured slower: the loops over
 * surviving indices cost more than the whole-array loops they save.) */
int tpe_parzen_log_pdf(const tpe_parzen *pe, const double *x, size_t n, double *out)
{
    size_t n_comp = pe->n_comp, nd = pe->n_dims;
    tpe_arena *ar = pe->arena;
    double cutoff = log((double)n_comp) + TPE_LSE_SLACK;
    double *acc = tpe_arena_calloc(ar, n_comp + 1, sizeof *acc);
    double *ub = tpe_arena_calloc(ar, n_comp + 1, sizeof *ub);
    uint32_t *alive = tpe_arena_calloc(ar, n_comp + 1, sizeof *alive);
    disc_eval *disc = tpe_arena_calloc(ar, nd + 1, sizeof *disc);
    int any_discrete = 0;
    if (acc == NULL || ub == NULL || alive == NULL || disc == NULL)
        return -1;
    for (size_t d = 0; d < nd; d++) {
        if (pe->dims[d].kind != TPE_DISCRETE)
            continue;
        any_discrete = 1;
        if (disc_eval_init(&disc[d], pe, d, x, n) != 0)
            return -1;
    }
    /* The first categorical dimension is folded into the starting sums, once per
     * choice the points use, rather than added per point. */
    size_t fold = nd;
    for (size_t d = 0; d < nd && fold == nd && pe->n_obs > 0; d++)
        if (pe->dims[d].kind == TPE_CATEGORICAL)
            fold = d;
    double **folded = NULL;
    if (fold < nd && (folded = tpe_arena_calloc(ar, pe->dims[fold].n_choices,
                                                sizeof *folded)) == NULL)
        return -1;
    for (size_t p = 0; p < n; p++) {
        const double *start = pe->base;
        if (fold < nd) {
            size_t c = (size_t)x[p * nd + fold];
            if (folded[c] == NULL) {
                if ((folded[c] = tpe_arena_calloc(ar, n_comp, sizeof **folded)) == NULL)
                    return -1;
                memcpy(folded[c], pe->base, n_comp * sizeof *acc);
                add_categorical(&pe->kernels[fold], c, folded[c]);
            }
            start = folded[c];
        }
        int started = 0;
        for (size_t d = 0; d < nd; d++) {
            const tpe_dim *dim = &pe->dims[d];
            const tpe_kernel *k = &pe->kernels[d];
            if (dim->kind != TPE_CONTINUOUS)
                continue;
            double t = transform(dim, x[p * nd + d]);
            add_continuous(n_comp, t, k->mu, k->inv_sigma, started ? acc : start, acc);
            started = 1;
        }
        if (!started)
            memcpy(acc, start, n_comp * sizeof *acc);
        for (size_t d = 0; d < nd; d++)
            if (d != fold && pe->dims[d].kind == TPE_CATEGORICAL && pe->n_obs > 0)
                add_categorical(&pe->kernels[d], (size_t)x[p * nd + d], acc);
        size_t n_alive = 0;
        if (any_discrete) {
            started = 0;
            for (size_t d = 0; d < nd; d++) {
                if (pe->dims[d].kind != TPE_DISCRETE)
                    continue;
                const tpe_kernel *k = &pe->kernels[d];
                const disc_eval *e = &disc[d];
                const double *row = &e->bounds[e->uc_of[p] * k->n_pairs];
                add_bounds(pe->n_obs, row, k->pair_of, started ? ub : acc, ub);
                if (pe->prior_comp < n_comp)
                    ub[pe->prior_comp] = (started ? ub : acc)[pe->prior_comp] + e->prior[p];
                started = 1;
            }
            size_t best = argmax(n_comp, ub);
            double keep = add_discrete_terms(pe, disc, p, best, acc[best]) - cutoff;
            for (size_t j = 0; j < n_comp; j++) {
                alive[n_alive] = (uint32_t)j;
                n_alive += ub[j] >= keep;
            }
            for (size_t d = 0; d < nd; d++) {
                const tpe_dim *dim = &pe->dims[d];
                if (dim->kind != TPE_DISCRETE)
                    continue;
                const tpe_kernel *k = &pe->kernels[d];
                disc_eval *e = &disc[d];
                size_t c = e->uc_of[p];
                for (size_t a = 0; a < n_alive; a++) {
                    size_t j = alive[a];
                    acc[j] += j == pe->prior_comp ? e->prior[p]
                                                  : disc_value(e, k, dim, c, k->pair_of[j]);
                }
            }
        } else {
            for (size_t j = 0; j < n_comp; j++)
                alive[j] = (uint32_t)j;
            n_alive = n_comp;
        }
        double top = -INFINITY;
        for (size_t a = 0; a < n_alive; a++)
            top = acc[alive[a]] > top ? acc[alive[a]] : top;
        if (!isfinite(top)) {
            out[p] = top;
            continue;
        }
        double sum = 0, floor_ = top - cutoff;
        for (size_t a = 0; a < n_alive; a++)
            if (acc[alive[a]] > floor_)
                sum += exp(acc[alive[a]] - top);
        out[p] = top + log(sum);
    }
    return 0;
}
