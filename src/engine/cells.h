/* cells.h -- a finite search space as numbered cells, and the positions trials hold.
 *
 * When every parameter takes finitely many values (categoricals, ints, floats with a
 * step), a study has finitely many configurations. Numbering them -- mixed radix, the
 * first parameter most significant, as the grid sampler's nested loops do -- lets the
 * storage claim a configuration the way it claims a grid cell: atomically, across all
 * workers. With `repeats` runs per configuration, cell c owns the positions
 * c * repeats + r for r < repeats, and a trial holds one of them.
 *
 * The position map counts, per position, the trials that hold it (a trial holds its
 * position unless it was interrupted); the study keeps it current from its cache. */
#ifndef HPS_CELLS_H
#define HPS_CELLS_H

#include "base/dist.h"
#include "base/errbuf.h"

#include <stdint.h>

/* Beyond this many cells, the nearest free cell is searched among neighbours instead
 * of over every cell. */
#define HPS_CELLS_SCAN_ALL (UINT64_C(1) << 20)

typedef struct hps_cells {
    size_t n;
    char **names;
    hps_dist *dists;
    uint64_t *radix;  /* values of each parameter */
    uint64_t total;   /* configurations; 0 when a parameter is continuous or there are
                         more than 2^53 */
} hps_cells;

/* Reads a declared space: a JSON array of {"name": ..., "distribution": {...}} in the
 * form hps_dist_to_json writes. HPS_ERR_INVALID with a message naming the entry. */
hps_status hps_cells_from_json(hps_cells *cells, const char *json, hps_errbuf *err);
void hps_cells_clear(hps_cells *cells);
/* Index of parameter `name`, or -1. */
long hps_cells_find(const hps_cells *cells, const char *name);

/* The cell of a configuration (internal values in declaration order); -1 when a value
 * is not one of its parameter's values. */
int64_t hps_cells_index(const hps_cells *cells, const double *internal);
/* The internal values of cell `cell`. */
void hps_cells_values(const hps_cells *cells, uint64_t cell, double *internal_out);

/* ---- positions held -------------------------------------------------------------- */

typedef struct hps_posmap {
    int64_t *keys;      /* -1 = empty slot */
    uint32_t *counts;
    size_t cap;         /* slots (a power of two) */
    size_t occupied;    /* slots with a key, some of them counted down to 0 */
    size_t used;        /* keys with a count > 0 */
} hps_posmap;

void hps_posmap_clear(hps_posmap *map);
/* Adds `delta` (+1 or -1) holders of `pos`. -1 on OOM. */
int hps_posmap_add(hps_posmap *map, int64_t pos, int delta);
uint32_t hps_posmap_count(const hps_posmap *map, int64_t pos);

/* Whether every position of `cell` (repeats of them) is held. */
int hps_cells_full(const hps_posmap *held, uint64_t cell, unsigned repeats);

/* The cell nearest to `from` (in the unit distance: ordered parameters by their share
 * of the range, categoricals 0 or 1) that is not full, ties to the lowest number; -1
 * when none is found. `rng` seeds the probes of spaces beyond HPS_CELLS_SCAN_ALL. */
int64_t hps_cells_nearest_free(const hps_cells *cells, uint64_t from, const hps_posmap *held,
                               unsigned repeats, uint64_t rng);

#endif
