/*
 * wandb_standin.h -- the `wandb` module hpsearch gives Python trials.
 *
 * Scripts instrumented with Weights & Biases (wandb.init, wandb.config, wandb.log,
 * run.summary) run as trials without a W&B server. The module's source,
 * src/runner/wandb_standin.py, is compiled into the binary (wandb_standin.cmake); a
 * run writes it once as <log_dir>/wandb-standin/wandb/__init__.py and prepends
 * <log_dir>/wandb-standin to its trials' PYTHONPATH. It never shadows a real wandb:
 * when one is installed further along sys.path, the module loads it in its place and
 * gives it the trial's parameters through W&B's sweep contract. What it prints, and
 * why, is described in the .py file and in docs/config.md ("W&B sweep files").
 */
#ifndef HPS_RUNNER_WANDB_STANDIN_H
#define HPS_RUNNER_WANDB_STANDIN_H

#include <stddef.h>

/* The embedded source (NUL-terminated; the NUL is not counted in the length). */
extern const char wandb_standin_source[];
extern const size_t wandb_standin_source_len;

/* Writes the module under log_dir (which must exist) unless an identical copy is
 * already there, and stores the directory to put on PYTHONPATH in dir_out. A changed
 * or missing file is replaced through a rename, so a trial of another run sharing the
 * log directory never imports a half-written file. Returns 0, or -1 with a message
 * naming the path in err (a path too long or holding ':', which PYTHONPATH cannot
 * hold, or a file system error). */
int wandb_standin_install(const char *log_dir, char *dir_out, size_t dir_size, char *err,
                          size_t errlen);

#endif /* HPS_RUNNER_WANDB_STANDIN_H */
