/* none.c -- the pruner that never prunes (the default; Optuna's NopPruner). */
#include "pruners/pruner.h"

static hps_status none_should_prune(hps_pruner *pruner, const hps_context *ctx, int *prune_out)
{
    (void)pruner;
    (void)ctx;
    *prune_out = 0;
    return HPS_OK;
}

const hps_pruner_ops hps_none_pruner_ops = {
    .name = "none",
    .help = "never prunes",
    .should_prune = none_should_prune,
};
