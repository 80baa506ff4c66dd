/* run_terminate.h -- `hpsearch run` and `terminate:`: after each finished trial, whether
 * one of the config's rules says further improvement is unlikely (config_terminate.c
 * reads them; docs/config.md §8 describes them), and the sentence that tells the user
 * which rule stopped the run and why. */
#ifndef HPS_CLI_RUN_TERMINATE_H
#define HPS_CLI_RUN_TERMINATE_H

#include "cli/config.h"
#include "hpsearch.h"

#include <stddef.h>

/* What the run remembers between checks. Zero-initialise. */
typedef struct run_terminate {
    int regret_unusable; /* the engine could not compute the bound: warned once, off */
} run_terminate;

/* Whether a rule of cfg->terminate holds for the study's COMPLETE trials now: 1 with
 * the reason in why ("no improvement in the last 20 complete trials (best: trial 7,
 * acc=0.94)"), else 0. A regret bound the engine cannot compute is warned about once on
 * stderr and no longer applied; a storage error is warned about and counts as "go on". */
int run_terminate_check(run_terminate *state, hps_study *study, const cfg_config *cfg,
                        char *why, size_t size);

#endif
