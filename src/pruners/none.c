/* none.c -- the pruner that never prunes (the default). */
#include "core/mem.h"
#include "pruners/pruner.h"

static hps_status none_should_prune(hps_pruner *pruner, hps_study *study,
                                    const hps_frozen *trial, int *prune_out)
{
    (void)pruner;
    (void)study;
    (void)trial;
    *prune_out = 0;
    return HPS_OK;
}

static const hps_pruner_ops none_ops = {
    .name = "none",
    .destroy = NULL,
    .should_prune = none_should_prune,
};

hps_pruner *hps_pruner_none_new(void)
{
    hps_pruner *p = hps_mem_calloc(1, sizeof *p);
    if (p != NULL)
        p->ops = &none_ops;
    return p;
}

void hps_pruner_free(hps_pruner *pruner)
{
    if (pruner == NULL)
        return;
    if (pruner->ops->destroy != NULL)
        pruner->ops->destroy(pruner);
    hps_mem_free(pruner);
}
