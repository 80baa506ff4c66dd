/* pruner_default.h -- the pruner of a config that names none.
 *
 * A study with a fidelity (a budget in steps) runs `pruner: auto` unless the config says
 * otherwise, as Optuna prunes by default: a new study, and one that ran auto before.
 * A study that already holds trials and never ran auto was started before this default
 * (or with `pruner: none`, since removed): it keeps running without a pruner, so that
 * resuming it never starts pruning half-way. Without a fidelity, with several
 * objectives (auto compares along one direction) or with PBT (which refuses a pruner),
 * the default stays `none`. */
#ifndef HPS_CLI_PRUNER_DEFAULT_H
#define HPS_CLI_PRUNER_DEFAULT_H

#include "cli/config.h"
#include "hpsearch.h"

/* The pruner the config runs when it names none: "auto" or "none", for `study` (NULL:
 * a study that does not exist yet). *why (static text) says which rule chose it.
 * Reading the study can fail: then "none" and its error's status. */
hps_status pruner_default(const cfg_config *cfg, hps_study *study, const char **name,
                          const char **why);

#endif
