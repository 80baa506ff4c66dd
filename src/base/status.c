/* status.c -- names and descriptions of status codes and trial states. */
#include "hpsearch.h"

#include <string.h>
#include <strings.h>

const char *hps_status_name(hps_status status)
{
    switch (status) {
#define HPS_STATUS_NAME_(name, code, text) \
    case name:                             \
        return #name;
        HPS_STATUS_MAP(HPS_STATUS_NAME_)
#undef HPS_STATUS_NAME_
    }
    return "HPS_UNKNOWN_STATUS";
}

const char *hps_strerror(hps_status status)
{
    switch (status) {
#define HPS_STATUS_TEXT_(name, code, text) \
    case name:                             \
        return text;
        HPS_STATUS_MAP(HPS_STATUS_TEXT_)
#undef HPS_STATUS_TEXT_
    }
    return "unknown status";
}

static const char *const state_names[] = {"WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL",
                                              "PAUSED"};

const char *hps_trial_state_name(hps_trial_state state)
{
    if ((unsigned)state < sizeof state_names / sizeof state_names[0])
        return state_names[state];
    return "UNKNOWN";
}

hps_status hps_trial_state_parse(const char *name, hps_trial_state *out)
{
    if (name == NULL || out == NULL)
        return HPS_ERR_INVALID;
    for (unsigned i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
        if (strcasecmp(name, state_names[i]) == 0) {
            *out = (hps_trial_state)i;
            return HPS_OK;
        }
    }
    return HPS_ERR_INVALID;
}
