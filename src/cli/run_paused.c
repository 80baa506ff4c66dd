/* run_paused.c -- what a run says about the trials it leaves PAUSED. */
#include "cli/run_paused.h"

#include <stdio.h>
#include <string.h>

/* The study's PAUSED trials (0 when they cannot be counted). */
static size_t run_paused_count(hps_study *study)
{
    size_t n = 0;
    return hps_study_count_paused(study, &n) == HPS_OK ? n : 0;
}

size_t run_paused_explain(hps_study *study, const cfg_config *cfg)
{
    size_t n = run_paused_count(study);
    if (n == 0)
        return 0;
    /* asha promotes only the top of a rung: its paused trials wait for others to join */
    const char *why = cfg->pruner != NULL && strcmp(cfg->pruner->name, "asha") == 0
                          ? "none is in the top 1/reduction_factor of the trials at its rung, "
                            "which asha promotes: more trials must reach those rungs"
                          : "the pruner resumes none of them now";
    fprintf(stderr,
            "hpsearch: %zu trial%s left PAUSED (%s); each one's last value is its result so "
            "far (hpsearch trials)\n  go on: raise n_trials (-n N) and run again: new trials "
            "join the rungs and the paused ones are resumed from their checkpoints\n",
            n, n == 1 ? " is" : "s are", why);
    return n;
}
