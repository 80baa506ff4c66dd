/* cells.c -- a finite search space as numbered cells, and the positions trials hold. */
#include "engine/cells.h"

#include "base/mem.h"
#include "base/rng.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#define CELLS_MAX_TOTAL (UINT64_C(1) << 53)
/* Spaces beyond HPS_CELLS_SCAN_ALL: how far along one parameter, and how many random
 * cells, the search for a free cell looks. */
#define CELLS_AXIS_REACH 1024
#define CELLS_PROBES 65536

void hps_cells_clear(hps_cells *cells)
{
    for (size_t i = 0; i < cells->n; i++) {
        hps_mem_free(cells->names[i]);
        hps_dist_clear(&cells->dists[i]);
    }
    hps_mem_free(cells->names);
    hps_mem_free(cells->dists);
    hps_mem_free(cells->radix);
    memset(cells, 0, sizeof *cells);
}

long hps_cells_find(const hps_cells *cells, const char *name)
{
    for (size_t i = 0; i < cells->n; i++)
        if (strcmp(cells->names[i], name) == 0)
            return (long)i;
    return -1;
}

static hps_status read_entry(hps_cells *cells, const json_t *entry, size_t index, hps_errbuf *err)
{
    const char *name = json_string_value(json_object_get(entry, "name"));
    const json_t *dist = json_object_get(entry, "distribution");
    if (!json_is_object(entry) || name == NULL || name[0] == '\0' || !json_is_object(dist))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "space entry %zu is not {\"name\": ..., \"distribution\": {...}}",
                              index);
    if (hps_cells_find(cells, name) >= 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "space: parameter '%s' is declared twice",
                              name);
    cells->names[cells->n] = hps_mem_strdup(name);
    if (cells->names[cells->n] == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = hps_dist_from_json_node(&cells->dists[cells->n], name, dist, err);
    if (rc != HPS_OK) {
        hps_mem_free(cells->names[cells->n]);
        return rc == HPS_ERR_CORRUPT ? hps_errbuf_set(err, HPS_ERR_INVALID, "space: %s",
                                                      hps_errbuf_text(err))
                                     : rc;
    }
    cells->radix[cells->n] = hps_dist_cardinality(&cells->dists[cells->n]);
    cells->n++;
    return HPS_OK;
}

hps_status hps_cells_from_json(hps_cells *cells, const char *json, hps_errbuf *err)
{
    memset(cells, 0, sizeof *cells);
    json_t *root = json != NULL ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_array(root) || json_array_size(root) == 0) {
        json_decref(root);
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "the space must be a non-empty JSON array of parameters");
    }
    size_t n = json_array_size(root);
    cells->names = hps_mem_calloc(n, sizeof *cells->names);
    cells->dists = hps_mem_calloc(n, sizeof *cells->dists);
    cells->radix = hps_mem_calloc(n, sizeof *cells->radix);
    hps_status rc = HPS_OK;
    if (cells->names == NULL || cells->dists == NULL || cells->radix == NULL)
        rc = hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == HPS_OK && i < n; i++)
        rc = read_entry(cells, json_array_get(root, i), i, err);
    json_decref(root);
    if (rc != HPS_OK) {
        hps_cells_clear(cells);
        return rc;
    }
    uint64_t total = 1;
    for (size_t i = 0; i < cells->n && total != 0; i++) {
        uint64_t r = cells->radix[i];
        total = r == 0 || total > CELLS_MAX_TOTAL / r ? 0 : total * r;
    }
    cells->total = total;
    return HPS_OK;
}

/* Which value of parameter i the internal value x is; -1 if none. */
static int64_t digit_of(const hps_cells *cells, size_t i, double x)
{
    const hps_dist *d = &cells->dists[i];
    if (!isfinite(x) || !hps_dist_contains(d, x))
        return -1;
    if (d->kind == HPS_DIST_CATEGORICAL)
        return (int64_t)x;
    if (d->step == 0)
        return 0; /* low == high: the one value */
    double k = nearbyint((x - d->low) / d->step);
    if (k < 0 || k >= (double)cells->radix[i])
        return -1;
    return (int64_t)k;
}

static double value_of(const hps_cells *cells, size_t i, uint64_t digit)
{
    const hps_dist *d = &cells->dists[i];
    if (d->kind == HPS_DIST_CATEGORICAL)
        return (double)digit;
    return hps_dist_snap(d, d->low + (double)digit * d->step);
}

int64_t hps_cells_index(const hps_cells *cells, const double *internal)
{
    if (cells->total == 0)
        return -1;
    uint64_t cell = 0;
    for (size_t i = 0; i < cells->n; i++) {
        int64_t digit = digit_of(cells, i, internal[i]);
        if (digit < 0)
            return -1;
        cell = cell * cells->radix[i] + (uint64_t)digit;
    }
    return (int64_t)cell;
}

static void digits_of(const hps_cells *cells, uint64_t cell, uint64_t *digits)
{
    for (size_t i = cells->n; i-- > 0;) {
        digits[i] = cell % cells->radix[i];
        cell /= cells->radix[i];
    }
}

void hps_cells_values(const hps_cells *cells, uint64_t cell, double *internal_out)
{
    for (size_t i = cells->n; i-- > 0;) {
        internal_out[i] = value_of(cells, i, cell % cells->radix[i]);
        cell /= cells->radix[i];
    }
}

/* ---- positions held ---------------------------------------------------------------- */

void hps_posmap_clear(hps_posmap *map)
{
    hps_mem_free(map->keys);
    hps_mem_free(map->counts);
    memset(map, 0, sizeof *map);
}

static size_t slot_of(const hps_posmap *map, int64_t pos)
{
    uint64_t h = (uint64_t)pos * UINT64_C(0x9e3779b97f4a7c15);
    size_t i = (size_t)(h >> 17) & (map->cap - 1);
    while (map->keys[i] != -1 && map->keys[i] != pos)
        i = (i + 1) & (map->cap - 1);
    return i;
}

static int grow(hps_posmap *map)
{
    size_t cap = map->cap == 0 ? 64 : map->cap * 2;
    int64_t *keys = hps_mem_realloc_array(NULL, cap, sizeof *keys);
    uint32_t *counts = hps_mem_calloc(cap, sizeof *counts);
    if (keys == NULL || counts == NULL) {
        hps_mem_free(keys);
        hps_mem_free(counts);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        keys[i] = -1;
    hps_posmap old = *map;
    map->keys = keys;
    map->counts = counts;
    map->cap = cap;
    map->occupied = 0;
    /* Keys whose count fell to 0 are dropped here: the table never fills with them. */
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] != -1 && old.counts[i] > 0) {
            size_t j = slot_of(map, old.keys[i]);
            map->keys[j] = old.keys[i];
            map->counts[j] = old.counts[i];
            map->occupied++;
        }
    }
    hps_mem_free(old.keys);
    hps_mem_free(old.counts);
    return 0;
}

int hps_posmap_add(hps_posmap *map, int64_t pos, int delta)
{
    if (pos < 0)
        return 0;
    if (map->cap > 0) {
        size_t i = slot_of(map, pos);
        if (map->keys[i] == pos) {
            if (delta < 0 && map->counts[i] > 0) {
                map->counts[i]--;
                map->used -= map->counts[i] == 0;
            } else if (delta > 0) {
                map->used += map->counts[i] == 0;
                map->counts[i]++;
            }
            return 0;
        }
    }
    if (delta < 0)
        return 0;
    if (2 * (map->occupied + 1) > map->cap && grow(map) != 0)
        return -1;
    size_t i = slot_of(map, pos);
    map->keys[i] = pos;
    map->counts[i] = 1;
    map->occupied++;
    map->used++;
    return 0;
}

uint32_t hps_posmap_count(const hps_posmap *map, int64_t pos)
{
    if (map->cap == 0 || pos < 0)
        return 0;
    size_t i = slot_of(map, pos);
    return map->keys[i] == pos ? map->counts[i] : 0;
}

int hps_cells_full(const hps_posmap *held, uint64_t cell, unsigned repeats)
{
    for (unsigned r = 0; r < repeats; r++)
        if (hps_posmap_count(held, (int64_t)(cell * repeats + r)) == 0)
            return 0;
    return 1;
}

/* ---- the nearest free cell ------------------------------------------------------------ */

static double axis_distance(const hps_cells *cells, size_t i, uint64_t a, uint64_t b)
{
    if (a == b)
        return 0;
    if (cells->dists[i].kind == HPS_DIST_CATEGORICAL || cells->radix[i] < 2)
        return 1;
    double span = (double)(cells->radix[i] - 1);
    return fabs((double)a - (double)b) / span;
}

static double distance(const hps_cells *cells, const uint64_t *a, uint64_t cell,
                       uint64_t *scratch)
{
    digits_of(cells, cell, scratch);
    double sum = 0;
    for (size_t i = 0; i < cells->n; i++)
        sum += axis_distance(cells, i, a[i], scratch[i]);
    return sum;
}

typedef struct best_cell {
    int64_t cell;
    double dist;
} best_cell;

static void consider(best_cell *best, uint64_t cell, double dist)
{
    if (best->cell < 0 || dist < best->dist || (dist == best->dist && (int64_t)cell < best->cell)) {
        best->cell = (int64_t)cell;
        best->dist = dist;
    }
}

/* Small spaces: every cell. */
static void scan_all(const hps_cells *cells, const uint64_t *from, const hps_posmap *held,
                     unsigned repeats, uint64_t *scratch, best_cell *best)
{
    for (uint64_t cell = 0; cell < cells->total; cell++)
        if (!hps_cells_full(held, cell, repeats))
            consider(best, cell, distance(cells, from, cell, scratch));
}

/* Large spaces: the cells that differ from `from` in one parameter, near it. */
static void scan_axes(const hps_cells *cells, const uint64_t *from, const hps_posmap *held,
                      unsigned repeats, uint64_t *scratch, best_cell *best)
{
    uint64_t place = 1;
    for (size_t i = cells->n; i-- > 0;) {
        uint64_t radix = cells->radix[i];
        uint64_t base = 0;
        for (size_t j = 0; j < cells->n; j++)
            base = base * cells->radix[j] + (j == i ? 0 : from[j]);
        for (uint64_t off = 1; off <= CELLS_AXIS_REACH && off < radix; off++) {
            for (int side = -1; side <= 1; side += 2) {
                if (side < 0 ? from[i] < off : from[i] + off >= radix)
                    continue;
                uint64_t digit = side < 0 ? from[i] - off : from[i] + off;
                uint64_t cell = base + digit * place;
                if (!hps_cells_full(held, cell, repeats))
                    consider(best, cell, distance(cells, from, cell, scratch));
            }
        }
        place *= radix;
    }
}

static void probe_random(const hps_cells *cells, const uint64_t *from, const hps_posmap *held,
                         unsigned repeats, uint64_t rng, uint64_t *scratch, best_cell *best)
{
    for (int k = 0; k < CELLS_PROBES; k++) {
        uint64_t cell = hps_splitmix64(&rng) % cells->total;
        if (!hps_cells_full(held, cell, repeats))
            consider(best, cell, distance(cells, from, cell, scratch));
    }
}

int64_t hps_cells_nearest_free(const hps_cells *cells, uint64_t from, const hps_posmap *held,
                               unsigned repeats, uint64_t rng)
{
    if (cells->total == 0 || from >= cells->total)
        return -1;
    if (!hps_cells_full(held, from, repeats))
        return (int64_t)from;
    uint64_t *digits = hps_mem_calloc(2 * cells->n, sizeof *digits);
    if (digits == NULL)
        return -1;
    digits_of(cells, from, digits);
    best_cell best = {.cell = -1, .dist = 0};
    if (cells->total <= HPS_CELLS_SCAN_ALL) {
        scan_all(cells, digits, held, repeats, digits + cells->n, &best);
    } else {
        scan_axes(cells, digits, held, repeats, digits + cells->n, &best);
        if (best.cell < 0)
            probe_random(cells, digits, held, repeats, rng, digits + cells->n, &best);
    }
    hps_mem_free(digits);
    return best.cell;
}
