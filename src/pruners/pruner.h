/* pruner.h -- the pruner interface. The foundation has only "none"; median,
 * successive halving and Hyperband plug in here as one file each. */
#ifndef HPS_PRUNER_H
#define HPS_PRUNER_H

#include "core/trial_rec.h"
#include "hpsearch.h"

typedef struct hps_pruner hps_pruner;

typedef struct hps_pruner_ops {
    const char *name;
    void (*destroy)(hps_pruner *pruner);
    /* Decides whether `trial` (its record with intermediate values) should stop. */
    hps_status (*should_prune)(hps_pruner *pruner, hps_study *study, const hps_frozen *trial,
                               int *prune_out);
} hps_pruner_ops;

struct hps_pruner {
    const hps_pruner_ops *ops;
    void *impl;
};

/* The pruner that never prunes. */
hps_pruner *hps_pruner_none_new(void);
void hps_pruner_free(hps_pruner *pruner);

#endif
