/* registered.c -- samplers written outside the library (hps_sampler_register): each
 * registration becomes an hps_sampler_ops whose functions call the user's methods
 * with the same context and history the built-in samplers get. */
#include "base/mem.h"
#include "samplers/sampler.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define MAX_REGISTERED 64

/* The ops first: a sampler's ops pointer leads back to its registration. */
typedef struct registered_sampler {
    hps_sampler_ops ops;
    hps_sampler_methods methods;
} registered_sampler;

static registered_sampler registered[MAX_REGISTERED];
static size_t n_registered;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static const hps_sampler_methods *methods_of(const hps_sampler *sampler)
{
    return &((const registered_sampler *)sampler->ops)->methods;
}

/* The context as the user's callback sees it: the sampler's seed, and its error
 * buffer for hps_context_error and the services. */
static hps_context user_context(hps_sampler *sampler, const hps_context *ctx)
{
    hps_context copy = *ctx;
    copy.seed = sampler->seed;
    copy.err = &sampler->err;
    hps_errbuf_clear(&sampler->err);
    return copy;
}

/* A failing callback that left no message gets one naming it. */
static hps_status outcome(hps_sampler *sampler, hps_status rc, const char *what)
{
    if (rc != HPS_OK && sampler->err.text[0] == '\0')
        hps_errbuf_set(&sampler->err, rc, "sampler '%s': %s failed (%s)", sampler->ops->name,
                       what, hps_status_name(rc));
    return rc;
}

static hps_status adapter_init(hps_sampler *sampler)
{
    const hps_sampler_methods *m = methods_of(sampler);
    sampler->impl = m->create != NULL ? m->create(m->user_data) : NULL;
    return HPS_OK;
}

static void adapter_destroy(hps_sampler *sampler)
{
    const hps_sampler_methods *m = methods_of(sampler);
    if (m->destroy != NULL)
        m->destroy(sampler->impl);
}

static hps_status adapter_set_option(hps_sampler *sampler, const char *option, const char *value)
{
    const hps_sampler_methods *m = methods_of(sampler);
    if (m->set_option == NULL)
        return HPS_ERR_NOTFOUND;
    hps_status rc = m->set_option(sampler->impl, option, value);
    return rc == HPS_ERR_NOTFOUND ? rc : outcome(sampler, rc, "set_option");
}

static hps_status adapter_bind(hps_sampler *sampler, const hps_context *ctx)
{
    const hps_sampler_methods *m = methods_of(sampler);
    if (m->bind == NULL)
        return HPS_OK;
    hps_context mine = user_context(sampler, ctx);
    return outcome(sampler, m->bind(sampler->impl, &mine), "bind");
}

static hps_status adapter_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                                 const hps_dist *dist, double *internal_out)
{
    hps_context mine = user_context(sampler, ctx);
    return outcome(sampler, methods_of(sampler)->sample(sampler->impl, &mine, name, dist,
                                                        internal_out),
                   "sample");
}

static hps_status adapter_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                          const hps_history *history, double *values_out)
{
    hps_context mine = user_context(sampler, ctx);
    return outcome(sampler, methods_of(sampler)->sample_relative(sampler->impl, &mine, history,
                                                                 values_out),
                   "sample_relative");
}

hps_status hps_sampler_register(const hps_sampler_methods *methods)
{
    if (methods == NULL || methods->version != HPS_PLUGIN_VERSION || methods->name == NULL ||
        methods->name[0] == '\0' || methods->sample == NULL)
        return HPS_ERR_INVALID;
    if (hps_sampler_builtin(methods->name) != NULL)
        return HPS_ERR_EXISTS;
    hps_status rc = HPS_OK;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registered && rc == HPS_OK; i++)
        if (strcmp(registered[i].ops.name, methods->name) == 0)
            rc = HPS_ERR_EXISTS;
    if (rc == HPS_OK && n_registered == MAX_REGISTERED)
        rc = HPS_ERR_NOMEM;
    if (rc == HPS_OK) {
        registered_sampler *r = &registered[n_registered];
        r->methods = *methods;
        r->ops = (hps_sampler_ops){
            .name = methods->name,
            .init = adapter_init,
            .destroy = adapter_destroy,
            .set_option = adapter_set_option,
            .bind = adapter_bind,
            .sample = adapter_sample,
            .sample_relative = methods->sample_relative != NULL ? adapter_sample_relative : NULL,
        };
        n_registered++;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

const hps_sampler_ops *hps_sampler_registered(const char *name)
{
    const hps_sampler_ops *ops = NULL;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registered && ops == NULL; i++)
        if (strcmp(registered[i].ops.name, name) == 0)
            ops = &registered[i].ops;
    pthread_mutex_unlock(&registry_lock);
    return ops;
}

const hps_sampler_ops *hps_sampler_registered_at(size_t index)
{
    /* registrations are only ever appended, so the entry stays where it is */
    pthread_mutex_lock(&registry_lock);
    const hps_sampler_ops *ops = index < n_registered ? &registered[index].ops : NULL;
    pthread_mutex_unlock(&registry_lock);
    return ops;
}
