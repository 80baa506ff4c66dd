/* progress.c -- the live progress line of `hpsearch run` on a terminal. */
#include "cli/progress.h"

#include "cli/cli.h"

#include <stdio.h>

void progress_init(progress *p, hps_study *study, const cfg_config *cfg, uint64_t total,
                   int enabled)
{
    p->enabled = enabled;
    p->visible = 0;
    p->study = study;
    p->cfg = cfg;
    p->total = total;
    p->done_this_run = 0;
    p->last_draw = -1;
}

int progress_enabled(const progress *p)
{
    return p->enabled;
}

void progress_trial_done(progress *p, const slot_outcome *outcome)
{
    if (!outcome->interrupted)
        p->done_this_run++;
}

void progress_draw(progress *p, double elapsed, unsigned running)
{
    if (!p->enabled || (p->last_draw >= 0 && elapsed - p->last_draw < 0.25))
        return;
    p->last_draw = elapsed;
    size_t counts[5] = {0};
    if (hps_study_count_states(p->study, counts) != HPS_OK)
        return;
    size_t done = counts[HPS_COMPLETE] + counts[HPS_PRUNED] + counts[HPS_FAIL];
    char line[512], took[32];
    int n = 0;
    if (p->total > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, "[hpsearch] %zu/%llu done", done,
                      (unsigned long long)p->total);
    else
        n += snprintf(line + n, sizeof line - (size_t)n, "[hpsearch] %zu done", done);
    n += snprintf(line + n, sizeof line - (size_t)n, " · %u running", running);
    const hps_frozen *best;
    if (hps_study_best_trial(p->study, &best) == HPS_OK)
        n += snprintf(line + n, sizeof line - (size_t)n, " · best %s=%.6g (#%lld)",
                      p->cfg->objectives[0].name,
                      hps_frozen_value(best, 0), (long long)hps_frozen_number(best));
    cli_format_duration(elapsed, took, sizeof took);
    n += snprintf(line + n, sizeof line - (size_t)n, " · %s", took);
    if (p->total > done && p->done_this_run > 0 && elapsed > 0) {
        double rate = (double)p->done_this_run / elapsed;
        char eta[32];
        cli_format_duration((double)(p->total - done) / rate, eta, sizeof eta);
        snprintf(line + n, sizeof line - (size_t)n, " · ETA %s", eta);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->visible = 1;
}

void progress_clear(progress *p)
{
    if (!p->enabled || !p->visible)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    p->visible = 0;
    p->last_draw = -1;
}
