/* history.h -- gathering the history a joint sampler learns from (plugin/plugin.h has
 * the view itself): the study's finished trials, those that ended without a value
 * (failed, pruned early) or paused, the trials still running (here and in other
 * processes, with what is planned for this process's own), and the relative search
 * space, kept up to date one finished trial at a time. All in one pass over the
 * study's cache. */
#ifndef HPS_ENGINE_HISTORY_H
#define HPS_ENGINE_HISTORY_H

#include "engine/study.h"
#include "plugin/plugin.h"

/* Syncs the study and fills `h` (arrays owned by `h`, records borrowed from the study,
 * valid until the next call that syncs it). `asking` is the trial being sampled for,
 * left out of pending; may be NULL. */
hps_status hps_history_collect(hps_study *study, const hps_trial *asking, hps_history *h);
void hps_history_clear(hps_history *h);

#endif
