/* run_artifacts.h -- `artifacts:`: the files a trial writes (a checkpoint, an exported
 * model, plots) kept with the trial. When a trial ends, the files its patterns match
 * are copied to <log_dir>/trial-NNNNN.artifacts/ (beside trial-NNNNN.log) and their
 * paths recorded as the trial's system attribute "artifacts" (a JSON list), which
 * `hpsearch best --artifacts` and the report show. Copied, not linked: the next trial
 * writing the same file in place must not change what was kept. */
#ifndef HPS_CLI_RUN_ARTIFACTS_H
#define HPS_CLI_RUN_ARTIFACTS_H

#include "cli/config.h"
#include "hpsearch.h"
#include "runner/template.h"

#include <stddef.h>

/* At most this many files are kept of one trial (the rest are named in a warning). */
#define ARTIFACTS_MAX_FILES 1000

/* The config's patterns with the trial's placeholders filled in, into *out (free with
 * tmpl_free_words; NULL and 0 without `artifacts:`). Returns 0, or -1 with a message. */
int artifacts_expand(const cfg_config *cfg, const tmpl_context *ctx, char ***out, size_t *n,
                     char *err, size_t errlen);

/* Keeps the files `patterns` match (relative ones under cfg->workdir) modified at or
 * after `since` (seconds since the epoch) and records them on the trial. Problems (an unreadable file, a full disk) are warnings
 * naming the file: the trial's outcome stands. Returns how many files were kept. */
size_t artifacts_keep(hps_trial *trial, const cfg_config *cfg, const char *log_dir,
                      char *const *patterns, size_t n_patterns, double since);

/* The wall clock, as `since` takes it. */
double artifacts_now(void);

#endif
