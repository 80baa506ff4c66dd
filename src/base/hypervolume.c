/* hypervolume.c -- exact hypervolume: the 2-D sweep, the 3-D dimension sweep, WFG beyond.
 *
 * Every public call copies the points that count (strictly inside the reference box)
 * into one workspace, allocated once, with a scratch level per dimension d = 1..m: the
 * WFG recursion at dimension d builds its limit sets in level d-1, and the sweeps sort
 * with their level's index arrays, so nothing is allocated while computing. From there
 * on every coordinate is finite or -inf (the public functions handle -inf up front), so
 * plain comparisons order them. */
#include "base/hypervolume.h"

#include "base/mem.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct hv_level {
    double *rows; /* a limit set at this dimension: up to `cap` rows of d doubles */
    size_t *order;
    size_t *tmp; /* sort scratch */
} hv_level;

typedef struct hv_work {
    const double *ref;
    size_t m;
    double *input;   /* the points that count, rows of m */
    size_t *origin;  /* input row -> index in the caller's array */
    size_t count;    /* rows in input */
    int has_neg_inf; /* some input row has a -inf coordinate */
    hv_level level[HPS_PARETO_MAX_OBJECTIVES + 1]; /* [d], d = 1..m */
    size_t *xorder;  /* the 3-D sweep: rows by (x, y); */
    size_t *xrank;   /*   each row's position in xorder; */
    size_t *tree;    /*   Fenwick tree of the staircase's positions */
    void *block;
} hv_work;

/* ---- small helpers -------------------------------------------------------------------- */

static int counts(const double *p, const double *ref, size_t m)
{
    for (size_t j = 0; j < m; j++) {
        if (!(p[j] < ref[j])) /* NaN too */
            return 0;
    }
    return 1;
}

static double box_volume(const double *p, const double *ref, size_t d)
{
    double volume = 1.0;
    for (size_t j = 0; j < d; j++)
        volume *= ref[j] - p[j];
    return volume;
}

/* a <= b in every coordinate (equal rows included) */
static int weakly_dominates(const double *a, const double *b, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        if (a[j] > b[j])
            return 0;
    }
    return 1;
}

/* inf - inf inside a sum of overflowing volumes; the true value is unbounded too
 * (hypervolume is monotone), as newest Optuna reasons. */
static double nan_to_inf(double v)
{
    return isnan(v) ? INFINITY : v;
}

typedef struct row_ctx {
    const double *rows;
    size_t stride;
    size_t coord;
} row_ctx;

static int coord_cmp(size_t a, size_t b, const void *arg)
{
    const row_ctx *ctx = arg;
    double va = ctx->rows[a * ctx->stride + ctx->coord];
    double vb = ctx->rows[b * ctx->stride + ctx->coord];
    return (va > vb) - (va < vb);
}

static int xy_cmp(size_t a, size_t b, const void *arg)
{
    const row_ctx *ctx = arg;
    const double *pa = ctx->rows + a * ctx->stride;
    const double *pb = ctx->rows + b * ctx->stride;
    if (pa[0] != pb[0])
        return pa[0] < pb[0] ? -1 : 1;
    return (pa[1] > pb[1]) - (pa[1] < pb[1]);
}

static void sort_rows(size_t *order, size_t *tmp, const double *rows, size_t count, size_t stride,
                      hps_index_cmp cmp, size_t coord)
{
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    row_ctx ctx = {.rows = rows, .stride = stride, .coord = coord};
    hps_sort_indices(order, count, tmp, cmp, &ctx);
}

/* Adds the row l to the antichain rows[0..*k) unless a row there weakly dominates it;
 * drops the rows it weakly dominates. l may point into rows at or past *k. */
static void append_nondominated(double *rows, size_t *k, size_t d, const double *l)
{
    for (size_t j = 0; j < *k;) {
        double *r = rows + j * d;
        if (weakly_dominates(r, l, d))
            return;
        if (weakly_dominates(l, r, d)) {
            (*k)--;
            memmove(r, rows + *k * d, d * sizeof *r);
            continue;
        }
        j++;
    }
    memmove(rows + *k * d, l, d * sizeof *rows);
    (*k)++;
}

/* ---- the staircase of the 3-D sweep: a Fenwick tree over positions in xorder ------------ */

typedef struct fenwick {
    size_t *tree; /* 1-based, n + 1 entries */
    size_t n;
    size_t top;   /* the highest power of two <= n */
    size_t total; /* positions present */
} fenwick;

static void fenwick_init(fenwick *f, size_t *tree, size_t n)
{
    memset(tree, 0, (n + 1) * sizeof *tree);
    f->tree = tree;
    f->n = n;
    f->top = 1;
    while (f->top <= n / 2)
        f->top *= 2;
    f->total = 0;
}

static void fenwick_update(fenwick *f, size_t pos, int add)
{
    for (size_t i = pos + 1; i <= f->n; i += i & (~i + 1)) {
        if (add)
            f->tree[i]++;
        else
            f->tree[i]--;
    }
    if (add)
        f->total++;
    else
        f->total--;
}

/* how many positions below pos are present */
static size_t fenwick_count_below(const fenwick *f, size_t pos)
{
    size_t count = 0;
    for (size_t i = pos; i > 0; i -= i & (~i + 1))
        count += f->tree[i];
    return count;
}

/* the position of the k-th present one, 1 <= k <= total */
static size_t fenwick_kth(const fenwick *f, size_t k)
{
    size_t pos = 0;
    for (size_t step = f->top; step > 0; step /= 2) {
        if (pos + step <= f->n && f->tree[pos + step] < k) {
            pos += step;
            k -= f->tree[pos];
        }
    }
    return pos;
}

/* Inserts row p of rows (stride 3) into the staircase of the rows seen so far and
 * returns the area it adds (0 when the staircase dominates it), dropping the rows it
 * dominates. The staircase's rows, by increasing x, have decreasing y; p covers
 * [x_p, next x) x [y_p, height of the staircase) piece by piece. */
static double staircase_insert(const hv_work *w, fenwick *f, const double *rows, size_t p)
{
    const double *ref = w->ref;
    double x = rows[p * 3], y = rows[p * 3 + 1];
    size_t below = fenwick_count_below(f, w->xrank[p]);
    double top = ref[1];
    if (below > 0) {
        /* the row left of p: the lowest among those with x <= x_p */
        size_t left = w->xorder[fenwick_kth(f, below)];
        if (rows[left * 3 + 1] <= y)
            return 0.0;
        top = rows[left * 3 + 1];
    }
    double cur_x = x, next_x = ref[0], added = 0.0;
    while (f->total > below) {
        size_t right = w->xorder[fenwick_kth(f, below + 1)];
        const double *r = rows + right * 3;
        if (r[1] < y) {
            next_x = r[0];
            break;
        }
        added += (r[0] - cur_x) * (top - y); /* p dominates `right`: it leaves */
        top = r[1];
        cur_x = r[0];
        fenwick_update(f, w->xrank[right], 0);
    }
    added += (next_x - cur_x) * (top - y);
    fenwick_update(f, w->xrank[p], 1);
    return added;
}

/* ---- the hypervolume of rows of d doubles -------------------------------------------- */

static double hv_rows(hv_work *w, size_t d, const double *rows, size_t count);

static double hv_1d(const hv_work *w, const double *rows, size_t count)
{
    double best = rows[0];
    for (size_t i = 1; i < count; i++)
        best = rows[i] < best ? rows[i] : best;
    return w->ref[0] - best;
}

/* Horizontal strips: by increasing x, each row lowering the front adds
 * (r_x - x) * (previous lowest y - y). */
static double hv_2d(hv_work *w, const double *rows, size_t count)
{
    hv_level *lvl = &w->level[2];
    sort_rows(lvl->order, lvl->tmp, rows, count, 2, xy_cmp, 0);
    double volume = 0.0, lowest = w->ref[1];
    for (size_t t = 0; t < count; t++) {
        const double *p = rows + lvl->order[t] * 2;
        if (p[1] < lowest) {
            volume += (w->ref[0] - p[0]) * (lowest - p[1]);
            lowest = p[1];
        }
    }
    return volume;
}

/* Slabs between consecutive z: the area of the staircase of the rows below times the
 * slab's height. */
static double hv_3d(hv_work *w, const double *rows, size_t count)
{
    hv_level *lvl = &w->level[3];
    sort_rows(w->xorder, lvl->tmp, rows, count, 3, xy_cmp, 0);
    for (size_t k = 0; k < count; k++)
        w->xrank[w->xorder[k]] = k;
    sort_rows(lvl->order, lvl->tmp, rows, count, 3, coord_cmp, 2);
    fenwick f;
    fenwick_init(&f, w->tree, count);
    double volume = 0.0, area = 0.0;
    double z = rows[lvl->order[0] * 3 + 2];
    for (size_t t = 0; t < count; t++) {
        size_t p = lvl->order[t];
        volume += area * (rows[p * 3 + 2] - z);
        z = rows[p * 3 + 2];
        area += staircase_insert(w, &f, rows, p);
    }
    return volume + area * (w->ref[2] - z);
}

/* The volume of p's box (dims coordinates) that no row of src (stride, the `count` rows
 * listed in idx, or 0..count-1 when idx is NULL, skipping row `skip`) dominates:
 * vol(p) - HV({max(q, p)}). The limit set is built in level dims. */
static double exclusive_volume(hv_work *w, size_t dims, const double *p, const double *src,
                               size_t stride, const size_t *idx, size_t count, size_t skip)
{
    hv_level *lim = &w->level[dims];
    double limited[HPS_PARETO_MAX_OBJECTIVES];
    size_t k = 0;
    for (size_t s = 0; s < count; s++) {
        size_t row = idx != NULL ? idx[s] : s;
        if (row == skip)
            continue;
        const double *q = src + row * stride;
        int covers_p = 1;
        for (size_t j = 0; j < dims; j++) {
            if (q[j] > p[j]) {
                limited[j] = q[j];
                covers_p = 0;
            } else {
                limited[j] = p[j];
            }
        }
        if (covers_p)
            return 0.0;
        /* the sweeps take dominated rows in their stride; WFG's recursion would pay for
         * them at every level */
        if (dims >= 4) {
            append_nondominated(lim->rows, &k, dims, limited);
        } else {
            memcpy(lim->rows + k * dims, limited, dims * sizeof *limited);
            k++;
        }
    }
    double volume = box_volume(p, w->ref, dims);
    if (k == 0)
        return volume;
    return volume - hv_rows(w, dims, lim->rows, k);
}

/* WFG with slicing on the last objective: rows by increasing last coordinate, each
 * adding its slab (r_last - p_last) times its exclusive (d-1)-D volume against the rows
 * before it. */
static double hv_wfg(hv_work *w, size_t d, const double *rows, size_t count)
{
    hv_level *lvl = &w->level[d];
    sort_rows(lvl->order, lvl->tmp, rows, count, d, coord_cmp, d - 1);
    double volume = 0.0;
    for (size_t t = 0; t < count; t++) {
        const double *p = rows + lvl->order[t] * d;
        double slab = w->ref[d - 1] - p[d - 1];
        volume += slab * exclusive_volume(w, d - 1, p, rows, d, lvl->order, t, SIZE_MAX);
    }
    return volume;
}

static double hv_rows(hv_work *w, size_t d, const double *rows, size_t count)
{
    if (count == 0)
        return 0.0;
    if (count == 1)
        return box_volume(rows, w->ref, d);
    switch (d) {
    case 1:
        return hv_1d(w, rows, count);
    case 2:
        return hv_2d(w, rows, count);
    case 3:
        return hv_3d(w, rows, count);
    default:
        return hv_wfg(w, d, rows, count);
    }
}

/* ---- the workspace -------------------------------------------------------------------- */

/* *total += count * size; 0 on overflow */
static int size_add(size_t *total, size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - *total) / size)
        return 0;
    *total += count * size;
    return 1;
}

static int valid_input(const double *points, size_t n, size_t m, const double *ref)
{
    if (n > HPS_PARETO_MAX_POINTS || m == 0 || m > HPS_PARETO_MAX_OBJECTIVES || ref == NULL ||
        (n > 0 && points == NULL))
        return 0;
    for (size_t j = 0; j < m; j++) {
        if (!isfinite(ref[j]))
            return 0;
    }
    return 1;
}

/* Copies the points that count into a fresh workspace. */
static hps_status work_init(hv_work *w, const double *points, size_t n, size_t m,
                            const double *ref)
{
    memset(w, 0, sizeof *w);
    w->ref = ref;
    w->m = m;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (size_t)counts(points + i * m, ref, m);
    size_t cap = count > 0 ? count : 1;

    /* doubles: input (cap * m) and level d (cap * d); then size_t's: origin, the levels'
     * order and tmp, xorder, xrank, and the tree (cap + 1) */
    size_t n_doubles = 0, n_sizes = 0;
    int ok = size_add(&n_doubles, cap, m);
    for (size_t d = 1; d <= m && ok; d++)
        ok = size_add(&n_doubles, cap, d);
    ok = ok && size_add(&n_sizes, cap, 2 * m + 4) && size_add(&n_sizes, 1, 1);
    size_t bytes = 0;
    ok = ok && size_add(&bytes, n_doubles, sizeof(double)) &&
         size_add(&bytes, n_sizes, sizeof(size_t));
    if (!ok)
        return HPS_ERR_NOMEM;
    w->block = hps_mem_alloc(bytes);
    if (w->block == NULL)
        return HPS_ERR_NOMEM;

    double *dbl = w->block;
    w->input = dbl;
    dbl += cap * m;
    for (size_t d = 1; d <= m; d++) {
        w->level[d].rows = dbl;
        dbl += cap * d;
    }
    size_t *sz = (size_t *)dbl;
    w->origin = sz;
    sz += cap;
    for (size_t d = 1; d <= m; d++) {
        w->level[d].order = sz;
        w->level[d].tmp = sz + cap;
        sz += 2 * cap;
    }
    w->xorder = sz;
    w->xrank = sz + cap;
    w->tree = sz + 2 * cap;

    for (size_t i = 0; i < n; i++) {
        const double *p = points + i * m;
        if (!counts(p, ref, m))
            continue;
        memcpy(w->input + w->count * m, p, m * sizeof *p);
        w->origin[w->count++] = i;
        for (size_t j = 0; j < m; j++)
            w->has_neg_inf |= p[j] == -INFINITY;
    }
    return HPS_OK;
}

static void work_free(hv_work *w)
{
    hps_mem_free(w->block);
    w->block = NULL;
}

/* ---- the API -------------------------------------------------------------------------- */

hps_status hps_hypervolume(const double *points, size_t n, size_t m, const double *ref,
                           double *out)
{
    if (!valid_input(points, n, m, ref) || out == NULL)
        return HPS_ERR_INVALID;
    hv_work w;
    hps_status rc = work_init(&w, points, n, m, ref);
    if (rc != HPS_OK)
        return rc;
    if (w.has_neg_inf) {
        *out = INFINITY;
    } else {
        size_t count = w.count;
        if (m >= 4) { /* WFG gains from a front without dominated rows or duplicates */
            count = 0;
            for (size_t i = 0; i < w.count; i++)
                append_nondominated(w.input, &count, m, w.input + i * m);
        }
        *out = nan_to_inf(hv_rows(&w, m, w.input, count));
    }
    work_free(&w);
    return HPS_OK;
}

/* Two objectives. Sorted by (x, y), the rows that lower the front are the staircase;
 * staircase row i owns at most the rectangle [x_i, X) x [y_i, Y) up to the next
 * staircase row's x and the previous one's y, less what the rows dominated by it alone
 * cover of that rectangle: exactly the rows sorted between it and the next staircase
 * row, lower than Y (a duplicate of it among them covers everything). */
static void contributions_2d(hv_work *w, double *contribution)
{
    hv_level *lvl = &w->level[2];
    const double *ref = w->ref;
    sort_rows(lvl->order, lvl->tmp, w->input, w->count, 2, xy_cmp, 0);
    size_t *stair = lvl->tmp; /* positions in order of the staircase rows */
    size_t n_stairs = 0;
    double lowest = ref[1];
    for (size_t t = 0; t < w->count; t++) {
        double y = w->input[lvl->order[t] * 2 + 1];
        if (y < lowest) {
            stair[n_stairs++] = t;
            lowest = y;
        }
    }
    for (size_t s = 0; s < n_stairs; s++) {
        const double *p = w->input + lvl->order[stair[s]] * 2;
        size_t end = s + 1 < n_stairs ? stair[s + 1] : w->count;
        double right = s + 1 < n_stairs ? w->input[lvl->order[end] * 2] : ref[0];
        double top = s > 0 ? w->input[lvl->order[stair[s - 1]] * 2 + 1] : ref[1];
        double covered = 0.0, low = top;
        for (size_t t = stair[s] + 1; t < end; t++) {
            const double *q = w->input + lvl->order[t] * 2;
            if (q[1] < low) {
                covered += (right - q[0]) * (low - q[1]);
                low = q[1];
            }
        }
        double owned = (right - p[0]) * (top - p[1]) - covered;
        contribution[w->origin[lvl->order[stair[s]]]] = owned;
    }
}

hps_status hps_hypervolume_contributions(const double *points, size_t n, size_t m,
                                         const double *ref, double *contribution)
{
    if (!valid_input(points, n, m, ref) || (n > 0 && contribution == NULL))
        return HPS_ERR_INVALID;
    hv_work w;
    hps_status rc = work_init(&w, points, n, m, ref);
    if (rc != HPS_OK)
        return rc;
    if (w.has_neg_inf) {
        work_free(&w);
        return HPS_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        contribution[i] = 0.0;
    if (m == 2) {
        contributions_2d(&w, contribution);
    } else {
        for (size_t i = 0; i < w.count; i++) {
            double c = exclusive_volume(&w, m, w.input + i * m, w.input, m, NULL, w.count, i);
            contribution[w.origin[i]] = nan_to_inf(c);
        }
    }
    work_free(&w);
    return HPS_OK;
}

hps_status hps_hypervolume_improvement(const double *points, size_t n, size_t m, const double *p,
                                       const double *ref, double *out)
{
    if (!valid_input(points, n, m, ref) || p == NULL || out == NULL)
        return HPS_ERR_INVALID;
    if (!counts(p, ref, m)) {
        *out = 0.0;
        return HPS_OK;
    }
    for (size_t j = 0; j < m; j++) {
        if (p[j] == -INFINITY)
            return HPS_ERR_INVALID;
    }
    hv_work w;
    hps_status rc = work_init(&w, points, n, m, ref);
    if (rc != HPS_OK)
        return rc;
    if (w.has_neg_inf) {
        work_free(&w);
        return HPS_ERR_INVALID;
    }
    *out = nan_to_inf(exclusive_volume(&w, m, p, w.input, m, NULL, w.count, SIZE_MAX));
    work_free(&w);
    return HPS_OK;
}

/* Optuna's rule (see the header): the worst value moved out by 10% of its magnitude. */
static double reference_coordinate(double worst)
{
    double r = fmax(1.1 * worst, 0.9 * worst);
    if (r == 0.0)
        return HPS_HV_EPS;
    if (!(r > worst) && isfinite(worst))
        r = nextafter(worst, INFINITY);
    return r;
}

hps_status hps_hypervolume_reference(const double *points, size_t n, size_t m,
                                     const double *given, double *ref)
{
    if (n > HPS_PARETO_MAX_POINTS || m == 0 || m > HPS_PARETO_MAX_OBJECTIVES || ref == NULL ||
        (given == NULL && n > 0 && points == NULL))
        return HPS_ERR_INVALID;
    if (given != NULL) {
        for (size_t j = 0; j < m; j++) {
            if (!isfinite(given[j]))
                return HPS_ERR_INVALID;
        }
        memmove(ref, given, m * sizeof *ref);
        return HPS_OK;
    }
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = points + i * m;
        int finite = 1;
        for (size_t j = 0; j < m && finite; j++)
            finite = isfinite(p[j]);
        if (!finite)
            continue;
        for (size_t j = 0; j < m; j++)
            ref[j] = !found || p[j] > ref[j] ? p[j] : ref[j];
        found = 1;
    }
    if (!found)
        return HPS_ERR_INVALID;
    for (size_t j = 0; j < m; j++) {
        ref[j] = reference_coordinate(ref[j]);
        if (!isfinite(ref[j]))
            return HPS_ERR_INVALID;
    }
    return HPS_OK;
}
