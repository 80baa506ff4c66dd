/* grid.c -- exhaustive grid search, each cell exactly once across all workers.
 *
 * The study's storage hands out grid *positions* 0, 1, 2, ... atomically with trial
 * creation (and gives back the position of an interrupted trial), so this sampler only
 * maps a position to a cell: the identity, or a seeded pseudo-random permutation when
 * shuffled. Cells enumerate the parameters like nested loops, the first parameter
 * outermost, as the seed article's grid loop does.
 *
 * A conditional grid (hps_sampler_grid_when) holds only the active combinations. Its
 * *branches* are the assignments of the parents (parameters some condition names),
 * enumerated like nested loops in the order the parameters were added, each parent
 * skipped where it is inactive itself; inside a branch the other active parameters are
 * nested loops again. Cells number the branches' combinations one branch after the
 * other, so a cell is found from its number by the branches' running totals. An
 * unconditional grid is the single branch in which every parameter is such a loop.
 *
 * Every process must agree on the grid and on the permutation, so the first worker
 * records both in the study and later ones check against that record. */
#include "base/jsonw.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/value.h"
#include "samplers/sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRID_MAX_VALUES 1000000
#define GRID_MAX_CELLS (UINT64_C(1) << 53)
/* Parent assignments a conditional grid may have: each costs a row of n_params. */
#define GRID_MAX_BRANCHES 1000000

/* A branch's entry for a parameter: the index of a parent's value, or one of these. */
#define GRID_INACTIVE UINT32_MAX
#define GRID_LOOP (UINT32_MAX - 1) /* active, and enumerated inside the branch */

/* Active only while parent `parent` takes a value with allowed[value] set. */
typedef struct grid_condition {
    size_t parent;          /* index into params, below the conditioned parameter's */
    unsigned char *allowed; /* one flag per value of the parent */
} grid_condition;

typedef struct grid_param {
    char *name;
    hps_value *values;
    size_t n_values;
    grid_condition *when;   /* all must hold */
    size_t n_when;
    int is_parent;          /* some condition names it */
} grid_param;

typedef struct grid_branches {
    uint32_t *rows;         /* n rows of n_params entries */
    uint64_t *first_cell;   /* n + 1 running totals: branch b holds the cells
                               first_cell[b] .. first_cell[b + 1] - 1 */
    size_t n, cap_rows, cap_first;
} grid_branches;

typedef struct grid_state {
    grid_param *params;
    size_t n_params, cap_params;
    uint64_t product;       /* combinations of every parameter's values */
    uint64_t cells;         /* active combinations: the sum over the branches */
    int shuffle;
    grid_branches branches;
} grid_state;

static grid_state *grid_of(const hps_sampler *sampler)
{
    return sampler->impl;
}

static hps_status grid_init(hps_sampler *sampler)
{
    sampler->impl = hps_mem_calloc(1, sizeof(grid_state));
    if (sampler->impl == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

static void free_param(grid_param *p)
{
    for (size_t i = 0; i < p->n_values; i++)
        hps_value_clear(&p->values[i]);
    for (size_t c = 0; c < p->n_when; c++)
        hps_mem_free(p->when[c].allowed);
    hps_mem_free(p->when);
    hps_mem_free(p->values);
    hps_mem_free(p->name);
}

static void grid_destroy(hps_sampler *sampler)
{
    grid_state *g = grid_of(sampler);
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n_params; i++)
        free_param(&g->params[i]);
    hps_mem_free(g->params);
    hps_mem_free(g->branches.rows);
    hps_mem_free(g->branches.first_cell);
    hps_mem_free(g);
}

/* ---- branches ---------------------------------------------------------------------- */

static int param_active(const grid_state *g, size_t k, const uint32_t *row)
{
    const grid_param *p = &g->params[k];
    for (size_t c = 0; c < p->n_when; c++) {
        uint32_t parent_value = row[p->when[c].parent];
        if (parent_value == GRID_INACTIVE || !p->when[c].allowed[parent_value])
            return 0;
    }
    return 1;
}

/* Appends the branch `row`: 0, -1 out of memory, -2 too many branches. Its cells cannot
 * overflow: the branches' cells map one-to-one into the product that grid_add bounds. */
static int add_branch(const grid_state *g, grid_branches *out, const uint32_t *row)
{
    if (out->n == GRID_MAX_BRANCHES)
        return -2;
    void *rows = out->rows, *first = out->first_cell;
    if (hps_mem_grow(&rows, &out->cap_rows, out->n + 1, g->n_params * sizeof *row) != 0)
        return -1;
    out->rows = rows;
    if (hps_mem_grow(&first, &out->cap_first, out->n + 2, sizeof *out->first_cell) != 0)
        return -1;
    out->first_cell = first;
    uint64_t cells = 1;
    for (size_t k = 0; k < g->n_params; k++)
        if (row[k] == GRID_LOOP)
            cells *= g->params[k].n_values;
    memcpy(out->rows + out->n * g->n_params, row, g->n_params * sizeof *row);
    if (out->n == 0)
        out->first_cell[0] = 0;
    out->first_cell[out->n + 1] = out->first_cell[out->n] + cells;
    out->n++;
    return 0;
}

/* Every branch below the parameters decided in row[0..k): a parent branches over its
 * values, the others are loops of the branch (or inactive in it). */
static int walk_branches(const grid_state *g, grid_branches *out, uint32_t *row, size_t k)
{
    if (k == g->n_params)
        return add_branch(g, out, row);
    const grid_param *p = &g->params[k];
    int active = param_active(g, k, row);
    if (!active || !p->is_parent) {
        row[k] = active ? GRID_LOOP : GRID_INACTIVE;
        return walk_branches(g, out, row, k + 1);
    }
    for (uint32_t v = 0; v < p->n_values; v++) {
        row[k] = v;
        int rc = walk_branches(g, out, row, k + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Enumerates the branches anew after a parameter or a condition was added; on error
 * the previous branches stay. */
static hps_status rebuild_branches(hps_sampler *sampler)
{
    grid_state *g = grid_of(sampler);
    grid_branches fresh = {0};
    uint32_t *row = hps_mem_calloc(g->n_params, sizeof *row);
    int rc = row != NULL ? walk_branches(g, &fresh, row, 0) : -1;
    hps_mem_free(row);
    if (rc != 0) {
        hps_mem_free(fresh.rows);
        hps_mem_free(fresh.first_cell);
        if (rc == -2)
            return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                  "the conditional grid has more than %d branches (assignments "
                                  "of the parameters that conditions name)", GRID_MAX_BRANCHES);
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    }
    hps_mem_free(g->branches.rows);
    hps_mem_free(g->branches.first_cell);
    g->branches = fresh;
    g->cells = fresh.first_cell[fresh.n];
    return HPS_OK;
}

static const uint32_t *branch_row(const grid_state *g, size_t b)
{
    return g->branches.rows + b * g->n_params;
}

/* The branch that holds `cell`: the last one starting at or before it. */
static size_t branch_of_cell(const grid_state *g, uint64_t cell)
{
    size_t lo = 0, hi = g->branches.n; /* first_cell[lo] <= cell < first_cell[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->branches.first_cell[mid] <= cell)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The value index of parameter k in `cell`; GRID_INACTIVE where it is inactive. */
static uint32_t value_in_cell(const grid_state *g, uint64_t cell, size_t k)
{
    size_t b = branch_of_cell(g, cell);
    const uint32_t *row = branch_row(g, b);
    if (row[k] != GRID_LOOP)
        return row[k];
    uint64_t inner = 1; /* the loops after k turn faster */
    for (size_t j = k + 1; j < g->n_params; j++)
        if (row[j] == GRID_LOOP)
            inner *= g->params[j].n_values;
    uint64_t offset = cell - g->branches.first_cell[b];
    return (uint32_t)((offset / inner) % g->params[k].n_values);
}

static const hps_option grid_options[] = {
    {.name = "shuffle", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(grid_state, shuffle),
     .def = "false", .help = "visit the cells in a seeded random order"},
    HPS_OPTIONS_END,
};

hps_status hps_sampler_grid_add(hps_sampler *sampler, const char *name, const hps_value *values,
                                size_t n_values)
{
    if (sampler->ops != &hps_grid_sampler_ops)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid values can only be added to a grid sampler (this is '%s')",
                              sampler->ops->name);
    if (sampler->bound)
        return hps_errbuf_set(&sampler->err, HPS_ERR_STATE,
                              "the grid cannot change once the sampler joined a study");
    grid_state *g = grid_of(sampler);
    if (name == NULL || name[0] == '\0')
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID, "grid parameter name is empty");
    for (size_t i = 0; i < g->n_params; i++)
        if (strcmp(g->params[i].name, name) == 0)
            return hps_errbuf_set(&sampler->err, HPS_ERR_EXISTS,
                                  "grid parameter '%s' was already added", name);
    if (n_values == 0 || values == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid parameter '%s' has no values", name);
    if (n_values > GRID_MAX_VALUES)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid parameter '%s' has %zu values (at most %d)", name, n_values,
                              GRID_MAX_VALUES);
    uint64_t product = g->n_params == 0 ? 1 : g->product;
    if (product > GRID_MAX_CELLS / n_values)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "the grid would have more than 2^53 cells");
    for (size_t i = 0; i < n_values; i++) {
        if (values[i].type == HPS_VALUE_NONE || values[i].type > HPS_VALUE_BOOL ||
            (values[i].type == HPS_VALUE_STRING && values[i].u.s == NULL))
            return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                  "grid parameter '%s': value %zu is empty", name, i);
    }
    void *items = g->params;
    if (hps_mem_grow(&items, &g->cap_params, g->n_params + 1, sizeof *g->params) != 0)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    g->params = items;
    grid_param p = {0};
    p.name = hps_mem_strdup(name);
    p.values = hps_mem_calloc(n_values, sizeof *p.values);
    if (p.name == NULL || p.values == NULL)
        goto oom;
    for (size_t i = 0; i < n_values; i++) {
        if (hps_value_copy(&p.values[i], &values[i]) != 0)
            goto oom;
        p.n_values = i + 1;
    }
    g->params[g->n_params++] = p;
    hps_status rc = rebuild_branches(sampler);
    if (rc != HPS_OK) {
        free_param(&g->params[--g->n_params]);
        return rc;
    }
    g->product = product * n_values;
    return HPS_OK;
oom:
    free_param(&p);
    return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
}

static long find_grid_param(const grid_state *g, const char *name)
{
    for (size_t k = 0; name != NULL && k < g->n_params; k++)
        if (strcmp(g->params[k].name, name) == 0)
            return (long)k;
    return -1;
}

hps_status hps_sampler_grid_when(hps_sampler *sampler, const char *name, const char *parent,
                                 const hps_value *values, size_t n_values)
{
    if (sampler->ops != &hps_grid_sampler_ops)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid conditions can only be added to a grid sampler (this is "
                              "'%s')", sampler->ops->name);
    if (sampler->bound)
        return hps_errbuf_set(&sampler->err, HPS_ERR_STATE,
                              "the grid cannot change once the sampler joined a study");
    grid_state *g = grid_of(sampler);
    long child = find_grid_param(g, name), from = find_grid_param(g, parent);
    if (child < 0 || from < 0)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid condition: '%s' is not a grid parameter (add it with "
                              "hps_sampler_grid_add first)", child < 0 ? name : parent);
    if (from >= child)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid condition of '%s': its parent '%s' must be added to the grid "
                              "before it", name, parent);
    if (values == NULL || n_values == 0)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "grid condition of '%s' on '%s' has no values (the parameter "
                              "would never be active)", name, parent);
    grid_param *p = &g->params[child];
    const grid_param *q = &g->params[from];
    unsigned char *allowed = hps_mem_calloc(q->n_values, 1);
    void *items = p->when;
    size_t cap = p->n_when;
    if (allowed == NULL || hps_mem_grow(&items, &cap, p->n_when + 1, sizeof *p->when) != 0) {
        hps_mem_free(allowed);
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    }
    p->when = items;
    for (size_t i = 0; i < n_values; i++) {
        size_t v = 0;
        while (v < q->n_values && !hps_value_loosely_equal(&q->values[v], &values[i]))
            v++;
        if (v == q->n_values) {
            hps_mem_free(allowed);
            return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                  "grid condition of '%s': value %zu is not one of the grid "
                                  "values of '%s'", name, i, parent);
        }
        allowed[v] = 1;
    }
    int was_parent = g->params[from].is_parent;
    p->when[p->n_when++] = (grid_condition){.parent = (size_t)from, .allowed = allowed};
    g->params[from].is_parent = 1;
    hps_status rc = rebuild_branches(sampler);
    if (rc != HPS_OK) {
        hps_mem_free(p->when[--p->n_when].allowed);
        g->params[from].is_parent = was_parent;
    }
    return rc;
}

static uint64_t grid_cells(const hps_sampler *sampler)
{
    return grid_of(sampler)->n_params == 0 ? 0 : grid_of(sampler)->cells;
}

/* ---- permutation ------------------------------------------------------------------
 * A balanced Feistel network is a bijection on [0, 2^(2h)); walking the cycle until
 * the result falls below `cells` restricts it to a bijection on [0, cells) with O(1)
 * memory, however large the grid. */
static uint64_t feistel(uint64_t x, unsigned half_bits, uint64_t seed)
{
    uint64_t mask = (UINT64_C(1) << half_bits) - 1;
    uint64_t left = x >> half_bits, right = x & mask;
    for (uint64_t round = 0; round < 4; round++) {
        uint64_t key = seed ^ (round * 0x9e3779b97f4a7c15ULL) ^ right;
        uint64_t f = hps_splitmix64(&key) & mask;
        uint64_t next = left ^ f;
        left = right;
        right = next;
    }
    return (left << half_bits) | right;
}

/* feistel's inverse: the rounds backwards. */
static uint64_t feistel_inverse(uint64_t x, unsigned half_bits, uint64_t seed)
{
    uint64_t mask = (UINT64_C(1) << half_bits) - 1;
    uint64_t left = x >> half_bits, right = x & mask;
    for (uint64_t round = 4; round-- > 0;) {
        uint64_t prev_right = left;
        uint64_t key = seed ^ (round * 0x9e3779b97f4a7c15ULL) ^ prev_right;
        uint64_t f = hps_splitmix64(&key) & mask;
        uint64_t prev_left = right ^ f;
        left = prev_left;
        right = prev_right;
    }
    return (left << half_bits) | right;
}

static unsigned half_bits_for(uint64_t cells)
{
    unsigned bits = 1;
    while (bits < 64 && (UINT64_C(1) << bits) < cells)
        bits++;
    return (bits + 1) / 2;
}

/* The position permute maps to `cell`: walking the same cycle backwards. */
static uint64_t unpermute(uint64_t cell, uint64_t cells, uint64_t seed)
{
    unsigned half = half_bits_for(cells);
    uint64_t x = cell;
    do {
        x = feistel_inverse(x, half, seed);
    } while (x >= cells);
    return x;
}

static uint64_t permute(uint64_t pos, uint64_t cells, uint64_t seed)
{
    unsigned half = half_bits_for(cells);
    uint64_t x = pos;
    do {
        x = feistel(x, half, seed);
    } while (x >= cells);
    return x;
}

/* ---- agreeing on the grid across processes ---------------------------------------- */

/* `, "when": [[child, parent, allowed value, ...], ...]` -- only for a conditional
 * grid, so an unconditional one keeps the signature studies already recorded. */
static void put_conditions(hps_strbuf *sb, const grid_state *g)
{
    int any = 0;
    for (size_t k = 0; k < g->n_params; k++) {
        const grid_param *p = &g->params[k];
        for (size_t c = 0; c < p->n_when; c++) {
            const grid_param *q = &g->params[p->when[c].parent];
            hps_strbuf_puts(sb, any ? ", [" : ", \"when\": [[");
            any = 1;
            hps_jsonw_string(sb, p->name);
            hps_strbuf_puts(sb, ", ");
            hps_jsonw_string(sb, q->name);
            for (size_t v = 0; v < q->n_values; v++) {
                if (!p->when[c].allowed[v])
                    continue;
                hps_strbuf_puts(sb, ", ");
                hps_jsonw_value(sb, &q->values[v]);
            }
            hps_strbuf_putc(sb, ']');
        }
    }
    if (any)
        hps_strbuf_putc(sb, ']');
}

static char *grid_signature(const grid_state *g)
{
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_puts(&sb, "{\"shuffle\": ");
    hps_strbuf_puts(&sb, g->shuffle ? "true" : "false");
    hps_strbuf_puts(&sb, ", \"params\": [");
    for (size_t i = 0; i < g->n_params; i++) {
        hps_strbuf_puts(&sb, i > 0 ? ", [" : "[");
        hps_jsonw_string(&sb, g->params[i].name);
        for (size_t j = 0; j < g->params[i].n_values; j++) {
            hps_strbuf_puts(&sb, ", ");
            hps_jsonw_value(&sb, &g->params[i].values[j]);
        }
        hps_strbuf_putc(&sb, ']');
    }
    hps_strbuf_putc(&sb, ']');
    put_conditions(&sb, g);
    hps_strbuf_putc(&sb, '}');
    return hps_strbuf_take(&sb);
}

static int same_json(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY, NULL);
    json_t *y = json_loads(b, JSON_DECODE_ANY, NULL);
    int same = x != NULL && y != NULL && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

static hps_status grid_bind(hps_sampler *sampler, const hps_context *ctx)
{
    grid_state *g = grid_of(sampler);
    if (g->n_params == 0)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "the grid sampler has no parameters: add them with "
                              "hps_sampler_grid_add before attaching it to a study");
    char *signature = grid_signature(g);
    char *stored = NULL;
    hps_status rc;
    if (signature == NULL) {
        rc = hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = hps_ctx_agree(ctx, "grid", signature, &stored, &sampler->err);
    if (rc != HPS_OK)
        goto out;
    if (!same_json(signature, stored)) {
        rc = hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                            "study '%s' was started with a different grid (parameters, values or "
                            "shuffle differ); run this grid under a new study name",
                            ctx->study_name);
        goto out;
    }
    /* An unseeded worker joins the order the first worker chose; a seed only matters to
     * a shuffled grid. */
    rc = hps_ctx_agree_seed(ctx, "grid_seed", "shuffles its grid with", &sampler->seed,
                            sampler->seeded && g->shuffle, &sampler->err);
out:
    free(signature);
    free(stored);
    return rc;
}

static hps_status grid_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                              const hps_dist *dist, double *internal_out)
{
    grid_state *g = grid_of(sampler);
    size_t k = 0;
    while (k < g->n_params && strcmp(g->params[k].name, name) != 0)
        k++;
    if (k == g->n_params)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "parameter '%s' is not part of the grid", name);
    const grid_param *p = &g->params[k];
    size_t index;
    int64_t pos = ctx->trial->grid_pos;
    if (pos >= 0) {
        /* a cell's repeats hold consecutive positions (finite.c) */
        uint64_t slot = (uint64_t)pos / ctx->repeats;
        uint64_t cell = g->shuffle ? permute(slot, g->cells, sampler->seed) : slot;
        uint32_t value = value_in_cell(g, cell, k);
        if (value == GRID_INACTIVE)
            return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                  "parameter '%s' is inactive in this trial's grid cell (its "
                                  "conditions do not hold)", name);
        index = value;
    } else {
        /* An enqueued trial without a grid cell: any grid value will do. */
        hps_rng rng;
        hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, name);
        index = (size_t)hps_rng_below(&rng, p->n_values);
    }
    if (hps_dist_internal_of(dist, &p->values[index], internal_out) != 0) {
        hps_strbuf sb;
        hps_strbuf_init(&sb, 256);
        hps_jsonw_value(&sb, &p->values[index]);
        const char *text = hps_strbuf_text(&sb);
        hps_status rc = hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                       "grid value %s of parameter '%s' is not a value of the "
                                       "distribution it is suggested from",
                                       text != NULL ? text : "?", name);
        hps_strbuf_free(&sb);
        return rc;
    }
    return HPS_OK;
}

/* The value index of fixed[name] among p's values, or -1. */
static long fixed_index(const grid_param *p, const json_t *fixed)
{
    hps_value v;
    if (hps_value_from_json(json_object_get(fixed, p->name), &v) != 0)
        return -1;
    size_t index = 0;
    while (index < p->n_values && !hps_value_loosely_equal(&p->values[index], &v))
        index++;
    return index < p->n_values ? (long)index : -1;
}

/* The cell of `fixed` within branch b, or -1 when it is not one of the branch's: a value
 * off the grid, another parent value. Parameters inactive in the branch are ignored. */
static int64_t cell_in_branch(const grid_state *g, size_t b, const json_t *fixed)
{
    const uint32_t *row = branch_row(g, b);
    uint64_t offset = 0;
    for (size_t k = 0; k < g->n_params; k++) {
        if (row[k] == GRID_INACTIVE)
            continue;
        long index = fixed_index(&g->params[k], fixed);
        if (index < 0 || (row[k] != GRID_LOOP && (uint32_t)index != row[k]))
            return -1;
        if (row[k] == GRID_LOOP)
            offset = offset * g->params[k].n_values + (uint64_t)index;
    }
    return (int64_t)(g->branches.first_cell[b] + offset);
}

static int64_t grid_slot(const hps_sampler *sampler, const json_t *fixed)
{
    const grid_state *g = grid_of(sampler);
    for (size_t b = 0; b < g->branches.n; b++) {
        int64_t cell = cell_in_branch(g, b, fixed);
        if (cell >= 0)
            return (int64_t)(g->shuffle ? unpermute((uint64_t)cell, g->cells, sampler->seed)
                                        : (uint64_t)cell);
    }
    return -1;
}

const hps_sampler_ops hps_grid_sampler_ops = {
    .name = "grid",
    .help = "every combination of per-parameter value lists, each exactly once across all "
            "workers of a study; the study ends when the grid is exhausted",
    .init = grid_init,
    .destroy = grid_destroy,
    .options = grid_options,
    .grid_cells = grid_cells,
    .grid_slot = grid_slot,
    .bind = grid_bind,
    .sample = grid_sample,
};
