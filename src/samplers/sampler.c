/* sampler.c -- creating samplers by name, and the options every sampler shares. */
#include "samplers/sampler.h"

#include "base/mem.h"
#include "base/rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const hps_sampler_ops *const registry[] = {
    &hps_random_sampler_ops,
    &hps_grid_sampler_ops,
    &hps_sobol_sampler_ops,
#if HPS_HAVE_LAPACK
    &hps_gp_sampler_ops,
#endif
    &hps_tpe_sampler_ops,
#if HPS_HAVE_LAPACK
    &hps_cmaes_sampler_ops,
#endif
    &hps_auto_sampler_ops,
};

/* Samplers a build can leave out, and the CMake option that brings them back. */
static const char *left_out(const char *name)
{
#if !HPS_HAVE_LAPACK
    if (strcmp(name, "gp") == 0 || strcmp(name, "cmaes") == 0)
        return "HPS_WITH_LAPACK";
#endif
    (void)name;
    return NULL;
}

int hps_parse_bool(const char *text, int *out)
{
    if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcasecmp(text, "yes") == 0) {
        *out = 1;
        return 0;
    }
    if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcasecmp(text, "no") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

int hps_parse_u64(const char *text, uint64_t *out)
{
    if (text[0] == '\0' || text[0] == '-' || text[0] == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

const hps_sampler_ops *hps_sampler_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

hps_status hps_sampler_new(const char *name, hps_sampler **out, char *errbuf, size_t errlen)
{
    if (out == NULL)
        return HPS_ERR_INVALID;
    *out = NULL;
    const hps_sampler_ops *ops = NULL;
    if (name != NULL && (ops = hps_sampler_builtin(name)) == NULL)
        ops = hps_sampler_registered(name);
    if (ops == NULL) {
        char known[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < sizeof registry / sizeof registry[0] && used < sizeof known; i++) {
            int k = snprintf(known + used, sizeof known - used, "%s%s", i > 0 ? ", " : "",
                             registry[i]->name);
            if (k > 0)
                used += (size_t)k;
        }
        hps_errbuf err;
        const char *option = name != NULL ? left_out(name) : NULL;
        if (option != NULL)
            hps_errbuf_set(&err, HPS_ERR_UNSUPPORTED,
                           "sampler '%s' is not in this build of hpsearch (configured with "
                           "-D%s=OFF; this build has: %s)",
                           name, option, known);
        else
            hps_errbuf_set(&err, HPS_ERR_INVALID, "unknown sampler '%.100s' (known: %s)",
                           name != NULL ? name : "(null)", known);
        hps_errbuf_copy_out(err.text, errbuf, errlen);
        return option != NULL ? HPS_ERR_UNSUPPORTED : HPS_ERR_INVALID;
    }
    hps_status rc = hps_sampler_from_ops(ops, out);
    if (rc != HPS_OK)
        hps_errbuf_copy_out(rc == HPS_ERR_NOMEM ? "out of memory" : "sampler initialisation failed",
                            errbuf, errlen);
    return rc;
}

hps_status hps_sampler_from_ops(const hps_sampler_ops *ops, hps_sampler **out)
{
    *out = NULL;
    hps_sampler *sampler = hps_mem_calloc(1, sizeof *sampler);
    if (sampler == NULL)
        return HPS_ERR_NOMEM;
    sampler->ops = ops;
    sampler->seed = hps_rng_os_seed();
    if (ops->init != NULL) {
        hps_status rc = ops->init(sampler);
        if (rc != HPS_OK) {
            hps_mem_free(sampler);
            return rc;
        }
    }
    *out = sampler;
    return HPS_OK;
}

void hps_sampler_free(hps_sampler *sampler)
{
    if (sampler == NULL)
        return;
    if (sampler->ops->destroy != NULL)
        sampler->ops->destroy(sampler);
    hps_mem_free(sampler);
}

const char *hps_sampler_name(const hps_sampler *sampler)
{
    return sampler->ops->name;
}

const char *hps_sampler_errmsg(const hps_sampler *sampler)
{
    return sampler != NULL ? hps_errbuf_text(&sampler->err) : "no sampler handle (NULL)";
}

hps_status hps_sampler_set(hps_sampler *sampler, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID, "option and value must not be NULL");
    if (sampler->bound)
        return hps_errbuf_set(&sampler->err, HPS_ERR_STATE,
                              "sampler options must be set before the sampler joins a study");
    if (strcmp(option, "seed") == 0) {
        if (hps_parse_u64(value, &sampler->seed) != 0)
            return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                                  "seed must be an unsigned integer (got '%.100s')", value);
        sampler->seeded = 1;
        return HPS_OK;
    }
    hps_status rc = HPS_ERR_NOTFOUND;
    if (sampler->ops->set_option != NULL)
        rc = sampler->ops->set_option(sampler, option, value);
    if (rc == HPS_ERR_NOTFOUND)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                              "sampler '%s' has no option '%.100s'", sampler->ops->name, option);
    return rc;
}

uint64_t hps_sampler_grid_size(const hps_sampler *sampler)
{
    return sampler->ops->grid_cells != NULL ? sampler->ops->grid_cells(sampler) : 0;
}
