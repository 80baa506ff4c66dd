/* grid.c -- exhaustive grid search, each cell exactly once across all workers.
 *
 * The study's storage hands out grid *positions* 0, 1, 2, ... atomically with trial
 * creation (and gives back the position of an interrupted trial), so this sampler only
 * maps a position to a cell: the identity, or a seeded pseudo-random permutation when
 * shuffled. Cells enumerate the parameters like nested loops, the first parameter
 * outermost, as the seed article's grid loop does.
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

typedef struct grid_param {
    char *name;
    hps_value *values;
    size_t n_values;
} grid_param;

typedef struct grid_state {
    grid_param *params;
    size_t n_params, cap_params;
    uint64_t cells;
    int shuffle;
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
    hps_mem_free(g);
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
    uint64_t cells = g->n_params == 0 ? 1 : g->cells;
    if (cells > GRID_MAX_CELLS / n_values)
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
    g->cells = cells * n_values;
    return HPS_OK;
oom:
    free_param(&p);
    return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
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
    hps_strbuf_puts(&sb, "]}");
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
        uint64_t inner = 1;
        for (size_t j = k + 1; j < g->n_params; j++)
            inner *= g->params[j].n_values;
        index = (size_t)((cell / inner) % p->n_values);
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

static int64_t grid_slot(const hps_sampler *sampler, const json_t *fixed)
{
    const grid_state *g = grid_of(sampler);
    uint64_t cell = 0;
    for (size_t k = 0; k < g->n_params; k++) {
        const grid_param *p = &g->params[k];
        hps_value v;
        if (hps_value_from_json(json_object_get(fixed, p->name), &v) != 0)
            return -1;
        size_t index = 0;
        while (index < p->n_values && !hps_value_loosely_equal(&p->values[index], &v))
            index++;
        if (index == p->n_values)
            return -1;
        cell = cell * p->n_values + index;
    }
    return (int64_t)(g->shuffle ? unpermute(cell, g->cells, sampler->seed) : cell);
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
