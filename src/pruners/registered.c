/* registered.c -- pruners written outside the library (hps_pruner_register): each
 * registration becomes an hps_pruner_ops whose functions call the user's methods with
 * the same context the built-in pruners get. */
#include "pruners/pruner.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define MAX_REGISTERED 64

typedef struct registered_pruner {
    hps_pruner_ops ops; /* first: a pruner's ops pointer leads back to its registration */
    hps_pruner_methods methods;
} registered_pruner;

static registered_pruner registered[MAX_REGISTERED];
static size_t n_registered;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static const hps_pruner_methods *methods_of(const hps_pruner *pruner)
{
    return &((const registered_pruner *)pruner->ops)->methods;
}

static hps_context user_context(hps_pruner *pruner, const hps_context *ctx)
{
    hps_context copy = *ctx;
    copy.err = &pruner->err;
    hps_errbuf_clear(&pruner->err);
    return copy;
}

static hps_status outcome(hps_pruner *pruner, hps_status rc, const char *what)
{
    if (rc != HPS_OK && pruner->err.text[0] == '\0')
        hps_errbuf_set(&pruner->err, rc, "pruner '%s': %s failed (%s)", pruner->ops->name, what,
                       hps_status_name(rc));
    return rc;
}

static hps_status adapter_init(hps_pruner *pruner)
{
    const hps_pruner_methods *m = methods_of(pruner);
    pruner->impl = m->create != NULL ? m->create(m->user_data) : NULL;
    return HPS_OK;
}

static void adapter_destroy(hps_pruner *pruner)
{
    const hps_pruner_methods *m = methods_of(pruner);
    if (m->destroy != NULL)
        m->destroy(pruner->impl);
}

static hps_status adapter_set_option(hps_pruner *pruner, const char *option, const char *value)
{
    const hps_pruner_methods *m = methods_of(pruner);
    if (m->set_option == NULL)
        return HPS_ERR_NOTFOUND;
    hps_status rc = m->set_option(pruner->impl, option, value);
    return rc == HPS_ERR_NOTFOUND ? rc : outcome(pruner, rc, "set_option");
}

static hps_status adapter_bind(hps_pruner *pruner, const hps_context *ctx)
{
    const hps_pruner_methods *m = methods_of(pruner);
    if (m->bind == NULL)
        return HPS_OK;
    hps_context mine = user_context(pruner, ctx);
    return outcome(pruner, m->bind(pruner->impl, &mine), "bind");
}

static hps_status adapter_should_prune(hps_pruner *pruner, const hps_context *ctx, int *prune_out)
{
    hps_context mine = user_context(pruner, ctx);
    return outcome(pruner, methods_of(pruner)->should_prune(pruner->impl, &mine, prune_out),
                   "should_prune");
}

hps_status hps_pruner_register(const hps_pruner_methods *methods)
{
    if (methods == NULL || methods->version != HPS_PLUGIN_VERSION || methods->name == NULL ||
        methods->name[0] == '\0' || methods->should_prune == NULL)
        return HPS_ERR_INVALID;
    if (hps_pruner_builtin(methods->name) != NULL)
        return HPS_ERR_EXISTS;
    hps_status rc = HPS_OK;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registered && rc == HPS_OK; i++)
        if (strcmp(registered[i].ops.name, methods->name) == 0)
            rc = HPS_ERR_EXISTS;
    if (rc == HPS_OK && n_registered == MAX_REGISTERED)
        rc = HPS_ERR_NOMEM;
    if (rc == HPS_OK) {
        registered_pruner *r = &registered[n_registered];
        r->methods = *methods;
        r->ops = (hps_pruner_ops){
            .name = methods->name,
            .init = adapter_init,
            .destroy = adapter_destroy,
            .set_option = adapter_set_option,
            .bind = adapter_bind,
            .should_prune = adapter_should_prune,
        };
        n_registered++;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

const hps_pruner_ops *hps_pruner_registered(const char *name)
{
    const hps_pruner_ops *ops = NULL;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registered && ops == NULL; i++)
        if (strcmp(registered[i].ops.name, name) == 0)
            ops = &registered[i].ops;
    pthread_mutex_unlock(&registry_lock);
    return ops;
}

const hps_pruner_ops *hps_pruner_registered_at(size_t index)
{
    /* registrations are only ever appended, so the entry stays where it is */
    pthread_mutex_lock(&registry_lock);
    const hps_pruner_ops *ops = index < n_registered ? &registered[index].ops : NULL;
    pthread_mutex_unlock(&registry_lock);
    return ops;
}
