/* plugins.c -- the engine's side of samplers written in Python: the relay.
 *
 * A Python sampler (a subclass of hpsearch.samplers.BaseSampler) cannot be called from
 * inside the engine: the study's lock is held there and the engine is in the middle of
 * a suggestion, so a sampler reading the study (study.trials, study.best_trial) would
 * deadlock or read state being changed. Instead the engine gets a registered sampler,
 * "python", that never draws anything itself: when it must sample a parameter it
 * notes that it was asked and fails (the engine then records nothing), the binding
 * calls the Python sampler with no lock held, and repeats the suggestion offering the
 * value, which the relay hands over. The engine keeps deciding what needs a sample at
 * all (a parameter suggested before, an enqueued value), as for its own samplers.
 *
 * Pruners written in Python need nothing in the engine: Trial.should_prune calls them
 * (trial.c), and the engine's pruner is "none". */
#include "hpsearch_py.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_NAME "python"

struct hpspy_relay {
    int offered;      /* a value is offered for the next sample: */
    int64_t number;   /* of this trial */
    const char *name; /* and parameter (borrowed for the engine call) */
    double internal;
    int asked;        /* the engine wanted a value that was not offered */
};

/* hps_sampler_new calls create right away, in the thread that calls it with the GIL
 * held: the relay the binding made for the new sampler is handed over through here. */
static hpspy_relay *relay_handed_over;

static void *relay_create(void *user_data)
{
    (void)user_data;
    hpspy_relay *relay = relay_handed_over;
    relay_handed_over = NULL;
    return relay;
}

static void relay_destroy(void *state)
{
    free(state);
}

static hps_status relay_sample(void *state, const hps_context *ctx, const char *name,
                               const hps_dist *dist, double *internal_out)
{
    (void)dist;
    hpspy_relay *relay = state;
    const hps_frozen *trial = hps_context_trial(ctx);
    if (relay == NULL) {
        hps_context_error(ctx, "the \"" RELAY_NAME "\" sampler only relays the values of a "
                               "sampler written in Python, through hpsearch's Python binding");
        return HPS_ERR_STATE;
    }
    if (relay->offered && trial != NULL && hps_frozen_number(trial) == relay->number &&
        strcmp(name, relay->name) == 0) {
        relay->offered = 0;
        *internal_out = relay->internal;
        return HPS_OK;
    }
    relay->asked = 1;
    hps_context_error(ctx, "the Python sampler has not drawn this value yet");
    return HPS_ERR_UNSUPPORTED;
}

static const hps_sampler_methods relay_methods = {
    .version = HPS_PLUGIN_VERSION,
    .name = RELAY_NAME,
    .create = relay_create,
    .destroy = relay_destroy,
    .sample = relay_sample,
};

/* Registration is process-wide and once; the GIL orders the callers. */
static hps_status register_relay(char *msg)
{
    static int registered;
    if (registered)
        return HPS_OK;
    hps_status rc = hps_sampler_register(&relay_methods);
    if (rc != HPS_OK) {
        snprintf(msg, HPSPY_MSG_SIZE,
                 "cannot register the engine's sampler for Python samplers (\"" RELAY_NAME
                 "\"): %s",
                 hps_strerror(rc));
        return rc;
    }
    registered = 1;
    return HPS_OK;
}

hps_status hpspy_relay_sampler_new(hps_sampler **out, hpspy_relay **relay_out, char *msg)
{
    *out = NULL;
    *relay_out = NULL;
    hps_status rc = register_relay(msg);
    if (rc != HPS_OK)
        return rc;
    hpspy_relay *relay = calloc(1, sizeof *relay);
    if (relay == NULL)
        return HPS_ERR_NOMEM;
    relay_handed_over = relay;
    rc = hps_sampler_new(RELAY_NAME, out, msg, HPSPY_MSG_SIZE);
    if (relay_handed_over != NULL) { /* create never ran: the relay is still ours */
        relay_handed_over = NULL;
        free(relay);
        if (rc == HPS_OK) {
            hps_sampler_free(*out);
            *out = NULL;
            snprintf(msg, HPSPY_MSG_SIZE, "the \"" RELAY_NAME "\" sampler was not created");
            rc = HPS_ERR_STATE;
        }
        return rc;
    }
    if (rc == HPS_OK)
        *relay_out = relay;
    return rc; /* on failure the sampler, and the relay with it, are freed */
}

void hpspy_relay_arm(hpspy_relay *relay, int offered, int64_t number, const char *name,
                     double internal)
{
    relay->offered = offered;
    relay->number = number;
    relay->name = name;
    relay->internal = internal;
    relay->asked = 0;
}

int hpspy_relay_disarm(hpspy_relay *relay)
{
    int asked = relay->asked;
    relay->offered = 0;
    relay->name = NULL;
    relay->asked = 0;
    return asked;
}
