/* run_paused.h -- `hpsearch run` and the trials it leaves PAUSED: a pruner that pauses
 * trials (asha mode promotion, forecast mode freeze-thaw) resumes them while it has one
 * to promote, budget or not; when a run ends with trials still paused, it has done what
 * it was asked, and the user is told what is left and how to go on. */
#ifndef HPS_CLI_RUN_PAUSED_H
#define HPS_CLI_RUN_PAUSED_H

#include "cli/config.h"
#include "hpsearch.h"

/* After a run that was not interrupted (`finished`: it ended because nothing was left
 * to run; else timeout, target or terminate stopped it): when trials are left PAUSED,
 * says on stderr how many, why none was resumed, and how to go on. Returns their
 * number. */
size_t run_paused_explain(hps_study *study, const cfg_config *cfg, int finished);

#endif
