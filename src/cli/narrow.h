/* narrow.h -- the parts of `hpsearch narrow` (cmd_narrow.c):
 *   narrow_space.c   the narrowed space: ranges shrunk around the best trials, a grid
 *                    refined around its best cells (grid_refine.h), choices kept, and
 *                    which old trials lie inside it;
 *   narrow_initial.c the `initial:` configurations the narrowed config keeps;
 *   narrow_write.c   the new config file, with paths that resolve from where it is. */
#ifndef HPS_CLI_NARROW_H
#define HPS_CLI_NARROW_H

#include "cli/config.h"
#include "hpsearch.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* A feasible COMPLETE trial of the old study, with its value turned so that smaller is
 * better (several objectives: the number of trials that dominate it). */
typedef struct narrow_ranked {
    const hps_frozen *trial;
    double value;
} narrow_ranked;

/* ---- narrow_space.c ---------------------------------------------------------------------- */

/* Whether the study ran its space as a grid: the grid sampler, or `auto` choosing it. */
int narrow_ran_as_grid(const cfg_config *cfg);

/* Shrinks every parameter of cfg around the top k trials: with `grid`, a refined grid
 * (numeric axes get new points, an edge value a warning); otherwise ranges shrink to the
 * top values' span plus `margin` times it on each side. Categoricals keep the choices
 * the top trials used. A top trial without a parameter that has a default (it ran before
 * the parameter was added) counts at the default, as narrow_fits and the warm start place
 * it. Returns 0, or -1 when out of memory. */
int narrow_space(cfg_config *cfg, const narrow_ranked *top, size_t k, double margin, int grid);

/* Whether every parameter of `old` lies inside the narrowed space: for a refined grid on
 * one of its cells, otherwise anywhere in the ranges (on their steps); a parameter it
 * lacks counts at its default. */
int narrow_fits(const cfg_config *narrowed, const hps_frozen *old, int grid);

/* How many distinct cells of the narrowed grid the old trials `all` hold. */
size_t narrow_cells_done(const cfg_config *narrowed, const narrow_ranked *all, size_t n);

/* ---- narrow_initial.c -------------------------------------------------------------------- */

/* Drops the `initial:` entries the narrowed space no longer holds, one line of notes each
 * ("FILE:LINE: dropped, outside the narrowed space: initial[2].lr: ..."). Call it after
 * the space is narrowed and before anything re-checks the config. Returns how many went,
 * or -1 when out of memory. */
int narrow_initial_fit(cfg_config *narrowed, char *notes, size_t size);

/* Drops the entries that would repeat or crowd out the new study's trials: with
 * `warm_start`, those an old trial of all[0..n) inside the narrowed space ran (it is in
 * the new study already); then those beyond `new_trials` (0: no budget). One line of
 * notes each. Returns how many went, or -1 when out of memory. */
int narrow_initial_trim(cfg_config *narrowed, const narrow_ranked *all, size_t n, int grid,
                        int warm_start, uint64_t new_trials, char *notes, size_t size);

/* ---- narrow_write.c ---------------------------------------------------------------------- */

/* What the written file says besides the space, worked out before it is written. */
typedef struct narrow_plan {
    const char *path;        /* the new file */
    char dir[PATH_MAX];      /* its directory, canonical */
    const char *study;       /* the new study */
    const char *from_study;
    size_t top, n_complete;
    size_t warm;             /* old trials inside the new space (added with --warm-start) */
    uint64_t new_trials;     /* 0: no budget (runs until stopped) */
    int grid;                /* the space is a refined grid */
    uint64_t grid_cells, grid_new;
    char sampler_said[160];  /* "auto (was random)" */
} narrow_plan;

/* Writes cfg (narrowed) to plan->path: n_trials (W&B run_cap) = warm + new trials, and
 * workdir, storage and log_dir as seen from plan->dir. Returns 0 or an exit code. */
int narrow_write_config(const cfg_config *cfg, const narrow_plan *plan);

/* "12 = 4 warm-started trials + 8 new trials": what n_trials is made of. */
void narrow_describe_budget(const narrow_plan *plan, char *buf, size_t size);

/* `path` made canonical through its directory, which must exist (the file need not).
 * Returns 0, or -1 with errno. */
int narrow_canonical_file(const char *path, char *out, size_t size);

#endif
