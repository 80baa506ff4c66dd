/* checkpoints.h -- where a study's trials keep their checkpoints, and their removal.
 *
 * Each trial of `hpsearch run` gets HPSEARCH_CHECKPOINT_DIR, a directory under
 * <log dir>/checkpoints/<study uid>/ (see run_slot.c). The uid belongs to one study:
 * a study created again under a deleted one's name gets another, so it never starts
 * from the old study's checkpoints. The root is recorded in the study (a system
 * attribute), so `hpsearch delete` finds it whatever log directory the runs used. */
#ifndef HPS_CLI_CHECKPOINTS_H
#define HPS_CLI_CHECKPOINTS_H

#include "hpsearch.h"

#include <stddef.h>

/* Records `root` (absolute) among the study's checkpoint roots. 0, or -1 with the
 * message on the study. */
int checkpoints_record(hps_study *study, const char *root);

/* The study's recorded checkpoint roots, as a JSON array text (owned), or NULL. */
char *checkpoints_roots(hps_study *study);

/* Removes the recorded roots of a study whose uid is `uid` (a root whose last part is
 * not the uid is left alone: it was not made by hpsearch). Prints what it removed and
 * warns about what it could not. Returns how many roots were removed. */
size_t checkpoints_remove(const char *roots_json, const char *uid);

#endif
