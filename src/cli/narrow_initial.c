/* narrow_initial.c -- what becomes of the config's `initial:` configurations when
 * `hpsearch narrow` writes the next config. They are settings the user trusts, so the
 * narrowed config keeps them -- as long as they still mean something there:
 *   - an entry the narrowed space no longer holds (a value outside a shrunk range, a
 *     dropped choice, a parameter dropped with its condition) is dropped, and said so
 *     with its place in the old file: the new file must load, and moving the point into
 *     the space would run a configuration nobody chose;
 *   - with --warm-start, an entry that an old trial inside the new space already ran is
 *     dropped: that trial is in the new study already, running it again adds nothing;
 *   - entries beyond the new trials' budget are dropped: they would crowd out every
 *     sampled trial (and the file would not load).
 * The kept ones run first in the new study, as in any config. */
#include "cli/cli.h"
#include "cli/narrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Removes the entries marked in drop[], last first so that the indices stay right. */
static void remove_marked(cfg_config *cfg, const unsigned char *drop, size_t n)
{
    for (size_t e = n; e-- > 0;)
        if (drop[e])
            cfg_initial_remove(cfg, e);
}

int narrow_initial_fit(cfg_config *narrowed, char *notes, size_t size)
{
    size_t n = narrowed->n_initial;
    unsigned char *drop = calloc(n + 1, 1);
    if (drop == NULL)
        return -1;
    for (size_t e = 0; e < n; e++) {
        char why[1024];
        int rc = cfg_initial_fits(narrowed, e, why, sizeof why);
        if (rc == -2) {
            free(drop);
            return -1;
        }
        if (rc != 0) {
            drop[e] = 1;
            char at[CFG_WHERE_SIZE];
            cfg_note(notes, size, "%s: dropped, outside the narrowed space: %s",
                     cfg_where(narrowed, narrowed->initial[e].line, at, sizeof at), why);
        }
    }
    size_t dropped = 0;
    for (size_t e = 0; e < n; e++)
        dropped += drop[e];
    remove_marked(narrowed, drop, n);
    free(drop);
    return (int)dropped;
}

/* Whether an old trial's value of a parameter is the entry's: as numbers for numbers
 * (`layers: 2.0` ran as the int 2), else exactly. */
static int same_value(hps_value ran, hps_value given)
{
    int ran_num = ran.type == HPS_VALUE_INT || ran.type == HPS_VALUE_FLOAT;
    int given_num = given.type == HPS_VALUE_INT || given.type == HPS_VALUE_FLOAT;
    if (ran_num && given_num) {
        double a = ran.type == HPS_VALUE_INT ? (double)ran.u.i : ran.u.f;
        double b = given.type == HPS_VALUE_INT ? (double)given.u.i : given.u.f;
        return a == b;
    }
    if (ran.type != given.type)
        return 0;
    if (ran.type == HPS_VALUE_STRING)
        return strcmp(ran.u.s, given.u.s) == 0;
    return ran.type == HPS_VALUE_BOOL && ran.u.b == given.u.b;
}

/* The number of an old trial inside the narrowed space that ran entry `in` (every value
 * it gives), or -1. */
static int64_t ran_by(const cfg_config *narrowed, const cfg_initial *in, const narrow_ranked *all,
                      size_t n, int grid)
{
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t = all[i].trial;
        int same = narrow_fits(narrowed, t, grid);
        for (size_t k = 0; same && k < in->n; k++) {
            long idx = hps_frozen_param_index(t, in->names[k]);
            same = idx >= 0 && same_value(hps_frozen_param_value(t, (size_t)idx), in->values[k]);
        }
        if (same)
            return hps_frozen_number(t);
    }
    return -1;
}

int narrow_initial_trim(cfg_config *narrowed, const narrow_ranked *all, size_t n, int grid,
                        int warm_start, uint64_t new_trials, char *notes, size_t size)
{
    size_t count = narrowed->n_initial, kept = 0;
    unsigned char *drop = calloc(count + 1, 1);
    if (drop == NULL)
        return -1;
    for (size_t e = 0; e < count; e++) {
        const cfg_initial *in = &narrowed->initial[e];
        int64_t number = warm_start ? ran_by(narrowed, in, all, n, grid) : -1;
        char at[CFG_WHERE_SIZE];
        cfg_where(narrowed, in->line, at, sizeof at);
        if (number >= 0) {
            drop[e] = 1;
            cfg_note(notes, size, "%s: dropped, trial %lld of study '%s' ran it and warm-starts "
                     "the new study", at, (long long)number,
                     narrowed->study_name);
        } else if (new_trials > 0 && kept == new_trials) {
            drop[e] = 1;
            cfg_note(notes, size, "%s: dropped, beyond the budget of %llu new trial%s",
                     at, (unsigned long long)new_trials,
                     new_trials == 1 ? "" : "s");
        } else {
            kept++;
        }
    }
    remove_marked(narrowed, drop, count);
    free(drop);
    return (int)(count - kept);
}
