/* run_gpus.c -- the GPUs `hpsearch run` hands to its trials (see run_gpus.h). */
#include "cli/run_gpus.h"

#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static int wants_gpus(const cfg_config *cfg)
{
    return cfg->n_gpus > 0 || cfg_key_given(cfg, "gpus_per_trial") ||
           cfg_key_given(cfg, "trials_per_gpu");
}

static int asks_all(const cfg_config *cfg)
{
    return cfg->n_gpus == 0 || (cfg->n_gpus == 1 && strcmp(cfg->gpus[0], "all") == 0);
}

/* "0, 1, 2" (as much as fits) */
static void join_ids(char *const *ids, size_t n, const char *sep, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s", k > 0 ? sep : "", ids[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The config's ids that are not among the detected GPUs, in "4, 5"; 0 when none. */
static size_t unknown_ids(const cfg_config *cfg, const gpu_inventory *inv, char *buf,
                          size_t size)
{
    enum { NAMED = 16 }; /* the message names this many */
    char *missing[NAMED] = {NULL};
    size_t n = 0, total = 0;
    for (size_t k = 0; k < cfg->n_gpus; k++) {
        if (gpu_inventory_has(inv, cfg->gpus[k]) != 0)
            continue;
        if (n < NAMED)
            missing[n++] = cfg->gpus[k];
        total++;
    }
    join_ids(missing, n, ", ", buf, size);
    return total;
}

/* The GPUs trials get into g->pool; 0 or an exit code. */
static int choose_gpus(const cfg_config *cfg, const gpu_inventory *inv, run_gpus *g)
{
    char list[1024], found[1024];
    if (inv->n_ids == 0) {
        if (asks_all(cfg)) {
            cli_warn("%s: gpus: no GPU found (%s): trials get no CUDA_VISIBLE_DEVICES and may "
                     "train on the CPU", cfg->path, g->source);
            return 0;
        }
        join_ids(cfg->gpus, cfg->n_gpus, ",", list, sizeof list);
        cli_warn("%s: gpus: no GPU found (%s): trials get CUDA_VISIBLE_DEVICES from %s as "
                 "asked, but may train on the CPU", cfg->path, g->source, list);
    } else if (!asks_all(cfg)) {
        size_t n_unknown = unknown_ids(cfg, inv, list, sizeof list);
        if (n_unknown > 0) {
            join_ids(inv->ids, inv->n_ids, ",", found, sizeof found);
            cli_error("%s: gpus: %s %s not among the GPUs found (%s from %s)", cfg->path, list,
                      n_unknown == 1 ? "is" : "are", found, g->source);
            return CLI_EXIT_USAGE;
        }
    }
    char *const *ids = asks_all(cfg) ? inv->ids : cfg->gpus;
    size_t n = asks_all(cfg) ? inv->n_ids : cfg->n_gpus;
    if (cfg->gpus_per_trial > n) {
        join_ids(ids, n, ",", list, sizeof list);
        cli_error("%s: gpus_per_trial: %u, but there %s only %zu GPU%s (%s)", cfg->path,
                  cfg->gpus_per_trial, n == 1 ? "is" : "are", n, n == 1 ? "" : "s", list);
        return CLI_EXIT_USAGE;
    }
    if (gpu_pool_init(&g->pool, ids, n, cfg->gpus_per_trial, cfg->trials_per_gpu) != 0) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    return 0;
}

int run_gpus_setup(const cfg_config *cfg, run_gpus *out)
{
    memset(out, 0, sizeof *out);
    out->parallel = cfg->parallel > 0 ? cfg->parallel : 1;
    if (!wants_gpus(cfg))
        return 0;
    gpu_inventory inv;
    if (gpu_detect(&inv) != 0) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    gpu_source_describe(&inv, out->source, sizeof out->source);
    int rc = choose_gpus(cfg, &inv, out);
    gpu_inventory_free(&inv);
    if (rc != 0) {
        run_gpus_free(out);
        return rc;
    }
    if (out->pool.n == 0)
        return 0;
    unsigned capacity = gpu_pool_capacity(&out->pool);
    if (capacity > CFG_MAX_PARALLEL)
        capacity = CFG_MAX_PARALLEL;
    if (!cfg_key_given(cfg, "parallel")) {
        out->parallel = capacity;
    } else if (out->parallel > capacity) {
        cli_warn("%s: parallel: %u trials at once need more than the %zu GPU%s hold "
                 "(trials_per_gpu %u, gpus_per_trial %u): running %u at once", cfg->path,
                 out->parallel, out->pool.n, out->pool.n == 1 ? "" : "s",
                 out->pool.trials_per_gpu, out->pool.per_trial, capacity);
        out->parallel = capacity;
    }
    return 0;
}

void run_gpus_describe(const run_gpus *g, char *buf, size_t size)
{
    char list[1024];
    buf[0] = '\0';
    if (g->pool.n == 0)
        return;
    join_ids(g->pool.ids, g->pool.n, ",", list, sizeof list);
    snprintf(buf, size, "GPU%s %s (%s), %u per trial%s", g->pool.n == 1 ? "" : "s", list,
             g->source, g->pool.per_trial,
             g->pool.trials_per_gpu > 1 ? ", shared by up to " : "");
    if (g->pool.trials_per_gpu > 1) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%u trials each", g->pool.trials_per_gpu);
    }
}

void run_gpus_free(run_gpus *g)
{
    if (g != NULL)
        gpu_pool_free(&g->pool);
}
