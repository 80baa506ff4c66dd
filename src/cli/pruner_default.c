/* pruner_default.c -- the pruner of a config that names none (pruner_default.h). */
#include "cli/pruner_default.h"

#include <jansson.h>
#include <string.h>

/* Whether the study's system attributes hold HPS_PRUNER_AUTO_STOPPING_ATTR: auto's
 * trace in a study that ran it. */
static hps_status ran_auto(hps_study *study, int *out)
{
    const char *json = NULL;
    *out = 0;
    hps_status rc = hps_study_system_attrs(study, &json);
    if (rc != HPS_OK)
        return rc;
    json_t *attrs = json_loads(json, 0, NULL);
    if (attrs == NULL)
        return HPS_ERR_NOMEM; /* the library wrote it: only memory can fail here */
    *out = json_object_get(attrs, HPS_PRUNER_AUTO_STOPPING_ATTR) != NULL;
    json_decref(attrs);
    return HPS_OK;
}

hps_status pruner_default(const cfg_config *cfg, hps_study *study, const char **name,
                          const char **why)
{
    *name = CFG_DEFAULT_PRUNER;
    if (cfg->fidelity == NULL) {
        *why = "the default without a fidelity";
        return HPS_OK;
    }
    if (cfg->pbt.population > 0) {
        *why = "pbt decides which members go on";
        return HPS_OK;
    }
    if (cfg->n_objectives > 1) {
        *why = "the default with several objectives (auto compares along one)";
        return HPS_OK;
    }
    size_t n = 0;
    int traced = 0;
    hps_status rc = study != NULL ? hps_study_n_trials(study, &n) : HPS_OK;
    if (rc == HPS_OK && study != NULL && n > 0)
        rc = ran_auto(study, &traced);
    if (rc != HPS_OK) {
        *why = "the study could not be read";
        return rc;
    }
    if (study != NULL && n > 0 && !traced) {
        *why = "the study's trials never ran pruner auto: it was started before auto became "
               "the default with a fidelity, or with another pruner named; it goes on "
               "without one, as before (pruner: auto turns it on)";
        return HPS_OK;
    }
    *name = "auto";
    *why = "the default with a fidelity; pruner: none turns it off";
    return HPS_OK;
}
