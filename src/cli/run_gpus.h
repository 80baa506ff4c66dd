/* run_gpus.h -- the GPUs `hpsearch run` hands to its trials.
 *
 * The config's gpus (ids, or all), gpus_per_trial and trials_per_gpu are checked
 * against the GPUs detected (runner/gpus.h): an id that is not among them is an error
 * naming it; asking for GPUs where none is found is a warning (the trials would train
 * on the CPU), and the run goes on without assigning any when `all` found none (ids
 * given are passed on as given). gpus_per_trial or trials_per_gpu without gpus mean
 * gpus: all.
 *
 * Trials at once: parallel when given, but never more than the GPUs hold
 * (GPUs * trials_per_gpu / gpus_per_trial; a larger parallel is lowered to that, with
 * a warning); without parallel, as many as they hold. */
#ifndef HPS_CLI_RUN_GPUS_H
#define HPS_CLI_RUN_GPUS_H

#include "cli/config.h"
#include "runner/gpus.h"

typedef struct run_gpus {
    gpu_pool pool;         /* pool.n == 0: trials get no CUDA_VISIBLE_DEVICES */
    unsigned parallel;     /* trials at once */
    char source[512];      /* where the GPUs were found, for messages */
} run_gpus;

/* Fills *out for `cfg`. Prints errors ("FILE: gpus: ...") and warnings; returns 0, or
 * an exit code (out freed). */
int run_gpus_setup(const cfg_config *cfg, run_gpus *out);

/* "GPUs 0,1,2,3 (the NVIDIA driver (/proc/driver/nvidia/gpus)), 2 per trial", or ""
 * when trials get none. */
void run_gpus_describe(const run_gpus *g, char *buf, size_t size);

void run_gpus_free(run_gpus *g);

#endif
