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

/* Whether `p` (or a pruner it wraps) is `name` with option mode `mode`. */
static int pruner_is(const cfg_pruner *p, const char *name, const char *mode)
{
    for (; p != NULL; p = p->wrapped) {
        if (strcmp(p->name, name) != 0)
            continue;
        for (size_t i = 0; i < p->n_options; i++)
            if (strcmp(p->keys[i], "mode") == 0 && strcmp(p->values[i], mode) == 0)
                return 1;
    }
    return 0;
}

/* Why none of the paused trials was resumed, and how to go on: each pausing pruner
 * resumes by its own rule, and a pruner that pauses nothing resumes nothing (trials can
 * be paused from Python), so each gets its own words and no promise it cannot keep. */
static void paused_words(const cfg_config *cfg, int finished, const char **why,
                         const char **go_on)
{
    if (pruner_is(cfg->pruner, "asha", "promotion")) {
        *why = finished ? "none is in the top 1/reduction_factor of the trials at its rung, "
                          "which asha promotes: more trials must reach those rungs"
                        : "the run stopped before asha was done promoting";
        *go_on = finished ? "raise n_trials (-n N) and run again: new trials join the rungs "
                            "and the paused ones are resumed from their checkpoints"
                          : "run again without what stopped this run: asha resumes the ones "
                            "it promotes from their checkpoints";
    } else if (pruner_is(cfg->pruner, "hyperband", "promotion")) {
        *why = finished ? "none is in the top 1/reduction_factor of its bracket's trials at its "
                          "rung, which hyperband promotes: more trials must reach those rungs"
                        : "the run stopped before hyperband was done promoting";
        *go_on = finished ? "raise n_trials (-n N) and run again: new trials join the brackets' "
                            "rungs and the paused ones are resumed from their checkpoints"
                          : "run again without what stopped this run: hyperband resumes the "
                            "ones it promotes from their checkpoints";
    } else if (pruner_is(cfg->pruner, "forecast", "freeze-thaw")) {
        *why = finished ? "the forecast gives none of them min_probability chance of beating "
                          "the best COMPLETE trial, or too few of its values are among the best "
                          "at its step: freeze-thaw resumes only trials worth it"
                        : "the run stopped before freeze-thaw was done choosing which to resume";
        *go_on = finished ? "raise n_trials (-n N) and run again for new trials; a paused one "
                            "is resumed, from its checkpoint, only when its forecast gives it "
                            "that chance (a lower min_probability lets more through)"
                          : "run again without what stopped this run: freeze-thaw resumes "
                            "those its forecast finds worth it, from their checkpoints";
    } else {
        *why = "no pruner of this config pauses or resumes trials: something else paused "
               "them, such as Python's API";
        *go_on = "hpsearch run does not resume them with this config; whatever paused them "
                 "can";
    }
}

size_t run_paused_explain(hps_study *study, const cfg_config *cfg, int finished)
{
    size_t n = run_paused_count(study);
    if (n == 0)
        return 0;
    const char *why, *go_on;
    paused_words(cfg, finished, &why, &go_on);
    fprintf(stderr,
            "hpsearch: %zu trial%s left PAUSED (%s); each one's last value is its result so "
            "far (hpsearch trials)\n  go on: %s\n",
            n, n == 1 ? " is" : "s are", why, go_on);
    return n;
}
