/* identity.h -- what makes a study the same study: its metric and direction (or
 * metrics), constraints and search space, recorded at its first run and checked at every later one.
 *
 * Re-running a config whose metric or space changed would mix values of different
 * things under one name (val_loss values stored as "val_acc", a best "val_acc" of
 * 2.35) or mix spaces without a word. So a difference is an error naming it and the
 * ways forward. `--allow-changes` continues a study whose space changed -- a range
 * widened or narrowed, a choice added or removed, a parameter removed, or added with a
 * `default:` for the earlier trials -- and records the change as a new space version
 * (system attribute "space_versions": [{"version", "at", "changes", "before"}], version
 * 1 being the space the study was created with; "before" is the identity the study had
 * until then); a changed metric, metrics, constraints or parameter type stays an error. */
#ifndef HPS_CLI_IDENTITY_H
#define HPS_CLI_IDENTITY_H

#include "cli/config.h"
#include "hpsearch.h"

#include <jansson.h>

/* Checks the direction of an existing study against the config: 0, or an exit code
 * after printing the error. */
int identity_check_direction(hps_study *study, const cfg_config *cfg);

/* Compares the config with the identity the study recorded (or, for studies of older
 * versions, its recorded metric). Records the config's identity when the study has
 * none, or -- with allow_changes -- when it differs, recording the change as a new
 * space version. Returns 0, or an exit code after printing the error. */
int identity_check(hps_study *study, const cfg_config *cfg, int allow_changes);

/* The study's space versions after the first, oldest first, from its system attributes
 * `attrs`: "space_versions", or, for a study that recorded its accepted changes before
 * space versions existed, its "config_changes" ({"at", "differences", "before"}) read
 * as versions. A new reference, or NULL when the space never changed. */
json_t *identity_space_versions(const json_t *attrs);

/* The study's current space version: 1 until a change was accepted. */
int identity_space_version(hps_study *study);

/* The same comparison for a command that only reads (`hpsearch plan`): the same
 * errors, and nothing recorded. Returns 0 or an exit code. */
int identity_verify(hps_study *study, const cfg_config *cfg, int allow_changes);

#endif
