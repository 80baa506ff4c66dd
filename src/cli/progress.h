/* progress.h -- the live progress line of `hpsearch run` on a terminal:
 *   [hpsearch] 12/18 done · 2 running · best val_acc=0.9722 (#7) · 1m32s · ETA 45s
 * Drawn on stderr, at most a few times per second, cleared before other output. */
#ifndef HPS_CLI_PROGRESS_H
#define HPS_CLI_PROGRESS_H

#include "cli/config.h"
#include "cli/run_slot.h"
#include "hpsearch.h"

typedef struct progress {
    int enabled;
    int visible;           /* a line is on the screen */
    hps_study *study;
    const cfg_config *cfg;
    uint64_t total;        /* 0 = unknown */
    size_t done_this_run;
    double last_draw;
} progress;

void progress_init(progress *p, hps_study *study, const cfg_config *cfg, uint64_t total,
                   int enabled);
int progress_enabled(const progress *p);
void progress_trial_done(progress *p, const slot_outcome *outcome);
/* Redraws if enabled and due (at most every 0.25 s). */
void progress_draw(progress *p, double elapsed, unsigned running);
/* Removes the line so other output starts on a clean line. */
void progress_clear(progress *p);

#endif
