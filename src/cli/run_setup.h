/* run_setup.h -- what `hpsearch run` does with a config before its first trial, shared
 * with `hpsearch plan` so that plan accepts exactly the configs run accepts and rejects
 * the others with the same message:
 *   - the flags that override config keys (-j, -n, --sampler, ..., --set KEY=VALUE);
 *   - loading the file, then applying the overrides in order;
 *   - what the config reader cannot check alone: the command template, the storage's
 *     directory, and every setting the library checks when a study takes it (budget,
 *     retries, repeats, heartbeats, the sampler and its options, the declared space,
 *     the pruner and its options),
 *     tried on a private in-memory study so that a rejected config creates nothing;
 *   - finding the stored study as run would (same direction, same identity), and
 *     configuring a study as run does.
 * Every function prints its error (cli_error) and returns 0 or an exit code, or an
 * hps_status where it says so. */
#ifndef HPS_CLI_RUN_SETUP_H
#define HPS_CLI_RUN_SETUP_H

#include "cli/config.h"
#include "hpsearch.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* The override flags for getopt_long: short options to append to the command's own,
 * and SETUP_N_LONG_OPTIONS long options (getopt values from SETUP_FIRST_FLAG up). */
#define SETUP_SHORT_OPTIONS "j:n:"
#define SETUP_N_LONG_OPTIONS 17
#define SETUP_FIRST_FLAG 0x1000

/* One override from the command line, applied once the config is loaded. */
typedef struct setup_override {
    const char *flag;  /* as the user wrote it, for messages: "--parallel", "--set" */
    const char *key;   /* the config key; NULL for --set, whose value is KEY=VALUE */
    const char *value;
} setup_override;

/* Writes the override flags' long options into out[0 .. SETUP_N_LONG_OPTIONS). */
void setup_long_options(struct option *out);

/* The override flags' lines of a --help text: "  -j, --parallel N" padded to
 * SETUP_HELP_WIDTH characters after the "-j, ", then the help. */
#define SETUP_HELP_WIDTH "19"
void setup_print_flags(FILE *out);

/* If getopt's `opt` is an override flag, appends it with `arg` to list[*n] (room for one
 * per argument) and returns 1; else returns 0. */
int setup_take_flag(int opt, const char *arg, setup_override *list, size_t *n);

/* Where the study's trial logs (and checkpoints) go: `log_dir`, else hpsearch-logs/
 * <study> next to an SQLite database, else next to the config. */
void setup_log_dir(const cfg_config *cfg, char *buf, size_t size);

/* Loads the config and applies the overrides in order (the last one wins). Returns 0
 * with *out, or an exit code after printing the error ("FILE:LINE: key: ..." or
 * "--flag: ..."). */
int setup_load(const char *path, const setup_override *list, size_t n, cfg_config **out);

/* Prints the config's warnings, then checks what run would otherwise find out while
 * setting up its study (see the top of this file), without touching the storage's
 * data. Returns 0 or CLI_EXIT_USAGE. */
int setup_check(const cfg_config *cfg);

/* Opens the config's study in its storage with HPS_OPEN_* `flags` and the config's
 * direction (a stored study with another direction is an error). HPS_ERR_NOTFOUND (only
 * without HPS_OPEN_CREATE) is returned without a message: the caller explains it. */
hps_status setup_open_study(const cfg_config *cfg, unsigned flags, hps_study **out);

/* The stored study as run would find it, read without changing anything: 0 with *out
 * NULL when it does not exist yet; 0 with it open when run would continue it (its
 * direction and identity checked as run checks them, identity.h); else an exit code
 * after printing run's error. */
int setup_find_study(const cfg_config *cfg, int allow_changes, hps_study **out);

/* Gives an open study the config's budget (n_trials, plus the trials a warm start
 * added), retries, repeats, heartbeats, sampler,
 * declared space and pruner; the library checks each. Returns its status after printing the error. */
hps_status setup_configure_study(const cfg_config *cfg, hps_study *study);

/* Seeds a study this process has just created (never one it resumes): adds the
 * `warm_start:` study's trials that fit (warm_start.h), then enqueues the config's
 * `initial:` configurations in order, so they are the first trials asked.
 * Returns 0 or an exit code after printing the error. */
int setup_seed_study(const cfg_config *cfg, hps_study *study);

#endif
