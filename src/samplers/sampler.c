/* sampler.c -- creating samplers by name, and the options every sampler shares. */
#include "samplers/sampler.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>

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
    &hps_nsga2_sampler_ops,
    &hps_nsga3_sampler_ops,
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

/* The options every sampler takes, fields of the sampler itself. */
static const hps_option common_options[] = {
    {.name = "seed", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(hps_sampler, seed),
     .help = "the seed of every random draw (when not given: one from the OS, or the one "
             "the study's first worker agreed on)"},
    HPS_OPTIONS_END,
};

/* "random, grid, ...": the built-in and registered samplers. */
static void known_names(hps_strbuf *sb)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        hps_strbuf_printf(sb, "%s%s", i > 0 ? ", " : "", registry[i]->name);
    for (size_t i = 0; hps_sampler_registered_at(i) != NULL; i++)
        hps_strbuf_printf(sb, ", %s", hps_sampler_registered_at(i)->name);
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
        hps_strbuf known;
        hps_strbuf_init(&known, 0);
        known_names(&known);
        const char *names = hps_strbuf_text(&known) != NULL ? hps_strbuf_text(&known) : "";
        hps_errbuf err;
        const char *option = name != NULL ? left_out(name) : NULL;
        if (option != NULL)
            hps_errbuf_set(&err, HPS_ERR_UNSUPPORTED,
                           "sampler '%s' is not in this build of hpsearch (configured with "
                           "-D%s=OFF; this build has: %s)",
                           name, option, names);
        else
            hps_errbuf_set(&err, HPS_ERR_INVALID, "unknown sampler '%.100s' (known: %s)",
                           name != NULL ? name : "(null)", names);
        hps_strbuf_free(&known);
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
    hps_status rc = ops->init != NULL ? ops->init(sampler) : HPS_OK;
    if (rc != HPS_OK) {
        hps_mem_free(sampler);
        return rc;
    }
    rc = hps_options_init(ops->options, sampler->impl);
    if (rc != HPS_OK) {
        hps_sampler_free(sampler);
        return rc;
    }
    *out = sampler;
    return HPS_OK;
}

void hps_sampler_free(hps_sampler *sampler)
{
    if (sampler == NULL)
        return;
    hps_options_free(sampler->ops->options, sampler->impl);
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

/* The message for an option the sampler does not have, naming the ones it has (a
 * registered sampler's own options are known only to its set_option). */
static hps_status unknown_option(hps_sampler *sampler, const char *option)
{
    if (sampler->ops->set_option != NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID, "sampler '%s' has no option '%.100s'",
                              sampler->ops->name, option);
    hps_strbuf names;
    hps_strbuf_init(&names, 0);
    hps_options_names(&names, common_options);
    if (sampler->ops->options != NULL) {
        hps_strbuf_puts(&names, ", ");
        hps_options_names(&names, sampler->ops->options);
    }
    const char *text = hps_strbuf_text(&names);
    hps_errbuf_set(&sampler->err, HPS_ERR_INVALID,
                   "sampler '%s' has no option '%.100s' (its options: %s)", sampler->ops->name,
                   option, text != NULL ? text : "?");
    hps_strbuf_free(&names);
    return HPS_ERR_INVALID;
}

hps_status hps_sampler_set(hps_sampler *sampler, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_INVALID, "option and value must not be NULL");
    if (sampler->bound)
        return hps_errbuf_set(&sampler->err, HPS_ERR_STATE,
                              "sampler options must be set before the sampler joins a study");
    char owner[128];
    snprintf(owner, sizeof owner, "sampler '%.100s'", sampler->ops->name);
    uint64_t common_given = 0;
    hps_status rc = hps_options_set(common_options, sampler, owner, option, value,
                                    &common_given, &sampler->err);
    if (rc == HPS_OK)
        sampler->seeded |= hps_options_given(common_options, common_given, "seed");
    if (rc == HPS_ERR_NOTFOUND)
        rc = hps_options_set(sampler->ops->options, sampler->impl, owner, option, value,
                             &sampler->given, &sampler->err);
    if (rc == HPS_ERR_NOTFOUND && sampler->ops->set_option != NULL)
        rc = sampler->ops->set_option(sampler, option, value);
    if (rc == HPS_ERR_NOTFOUND)
        return unknown_option(sampler, option);
    return rc;
}

uint64_t hps_sampler_grid_size(const hps_sampler *sampler)
{
    return sampler->ops->grid_cells != NULL ? sampler->ops->grid_cells(sampler) : 0;
}

/* ---- the catalog ------------------------------------------------------------------ */

static void write_strategy(hps_strbuf *sb, const hps_sampler_ops *ops, int registered)
{
    hps_strbuf_puts(sb, "{\"name\": ");
    hps_jsonw_string(sb, ops->name);
    hps_strbuf_puts(sb, ", \"help\": ");
    hps_jsonw_string(sb, ops->help != NULL ? ops->help : "");
    hps_strbuf_printf(sb, ", \"learns\": %s, \"registered\": %s, \"options\": [",
                      ops->learns || registered ? "true" : "false", registered ? "true" : "false");
    size_t count = 0;
    hps_options_json(sb, common_options, &count);
    hps_options_json(sb, ops->options, &count);
    hps_strbuf_puts(sb, "]}");
}

hps_status hps_sampler_catalog(char **json_out)
{
    if (json_out == NULL)
        return HPS_ERR_INVALID;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        hps_strbuf_puts(&sb, i > 0 ? ", " : "");
        write_strategy(&sb, registry[i], 0);
    }
    for (size_t i = 0; hps_sampler_registered_at(i) != NULL; i++) {
        hps_strbuf_puts(&sb, ", ");
        write_strategy(&sb, hps_sampler_registered_at(i), 1);
    }
    hps_strbuf_putc(&sb, ']');
    *json_out = hps_strbuf_take(&sb);
    return *json_out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}
