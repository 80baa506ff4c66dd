/* warm_budget.c -- a worker's budget while a warm start goes in (see warm_budget.h). */
#include "cli/warm_budget.h"

#include "cli/warm_start.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* The study's warm start record: whether it is complete (records of earlier versions,
 * without "complete", are), and from which study (`from`, of size `size`; cfg's when the
 * record does not say). -1 when the study cannot be read; a study without a record has
 * not recorded its warm start yet: not complete. */
static int read_record(const cfg_config *cfg, hps_study *study, int *complete, char *from,
                       size_t size)
{
    const char *text = NULL;
    if (hps_study_system_attrs(study, &text) != HPS_OK)
        return -1;
    json_t *root = text != NULL ? json_loads(text, 0, NULL) : NULL;
    json_t *record = json_object_get(root, "warm_start");
    const char *name = json_string_value(json_object_get(record, "from"));
    *complete = json_is_object(record) && !json_is_false(json_object_get(record, "complete"));
    snprintf(from, size, "%s", name != NULL ? name : cfg->warm_from);
    json_decref(root);
    return 0;
}

/* Sets the study's max_trials from what the study holds now. Returns 1 when it changed
 * it, 0 when not, -1 when the study cannot be read or set. */
static int update(const cfg_config *cfg, hps_study *study, warm_budget *budget)
{
    if (budget->settled)
        return 0;
    if (cfg->warm_from == NULL || cfg->n_trials == 0) {
        budget->settled = 1;
        return 0;
    }
    int complete;
    char from[1024];
    if (read_record(cfg, study, &complete, from, sizeof from) != 0)
        return -1;
    /* the old trials the study holds, not the record's "added": trials added twice
     * (runs of earlier versions resuming a warm start together) count too, so that they
     * never take the place of new trials; once the record is complete and every trial
     * read after it is counted, nothing changes any more */
    int all = warm_count_added_from(study, from, &budget->scanned, &budget->n_old, NULL, 0);
    if (all < 0)
        return -1;
    budget->settled = complete && all;
    uint64_t max_trials = cfg->n_trials + (uint64_t)budget->n_old;
    if (max_trials == budget->max_trials)
        return 0;
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)max_trials);
    if (hps_study_set(study, "max_trials", text) != HPS_OK)
        return -1;
    budget->max_trials = max_trials;
    return 1;
}

hps_status warm_budget_ask(const cfg_config *cfg, hps_study *study, warm_budget *budget,
                           hps_trial **out)
{
    *out = NULL;
    int moved = update(cfg, study, budget);
    hps_status rc = moved < 0 ? HPS_ERR_STORAGE : hps_study_ask(study, out);
    /* asks again only when max_trials changed: until the record is complete the count
     * of old trials only grows, after it nothing changes -- this ends */
    while (rc == HPS_DONE && (moved = update(cfg, study, budget)) > 0)
        rc = hps_study_ask(study, out);
    return moved < 0 ? HPS_ERR_STORAGE : rc;
}
