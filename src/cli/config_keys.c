/*
 * config_keys.c -- the top-level keys of a study file, one handler each, and the
 * table that says which format (hpsearch / W&B) accepts which key and which keys
 * `--set` may override. Handlers assign fields without freeing what was there:
 * at load every field is set once, and cfg_set works on a copy (see config.c).
 */
#include "config_internal.h"

#include "runner/metrics.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_MAX_PARALLEL 1024
#define CFG_MAX_RETRIES 1000
#define CFG_MAX_REPEATS 1000
#define CFG_MAX_LOG_LIMIT_MB (1u << 20) /* 1 TiB */
#define CFG_MAX_GPUS 1024u
#define CFG_MAX_MAX_FAILURES 1000000

/* ---- paths -------------------------------------------------------------------------- */

/* prefix + rel made absolute against base ("~/" is the home directory, as in a shell). */
static int cfg_join_path(cfg_ctx *ctx, const char *prefix, const char *base, const char *rel,
                         char **out)
{
    const char *home = getenv("HOME");
    if (rel[0] == '~' && rel[1] == '/' && home != NULL && home[0] == '/') {
        base = home;
        rel += 2;
    }
    size_t need = strlen(prefix) + strlen(base) + strlen(rel) + 2;
    *out = malloc(need);
    if (*out == NULL)
        return cfg_nomem(ctx);
    if (rel[0] == '/')
        snprintf(*out, need, "%s%s", prefix, rel);
    else
        snprintf(*out, need, "%s%s/%s", prefix, base, rel);
    return 0;
}

static int cfg_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int cfg_resolve_storage(cfg_ctx *ctx, const char *url, int line, char **out)
{
    *out = NULL;
    if (strcmp(url, ":memory:") == 0 || cfg_has_prefix(url, "postgresql://") ||
        cfg_has_prefix(url, "postgres://"))
        return cfg_strndup(ctx, url, strlen(url), out);
    if (!cfg_has_prefix(url, "sqlite:")) {
        size_t len = strlen(url);
        int looks_like_file = len > 3 && (strcmp(url + len - 3, ".db") == 0 ||
                                          strstr(url, ".sqlite") != NULL);
        return cfg_fail(ctx, line, "storage: '%.200s' is not a storage URL (use sqlite:PATH, "
                        ":memory: or postgresql://...)%s", url,
                        looks_like_file ? "; did you mean sqlite:<that file>?" : "");
    }
    const char *path = url + strlen("sqlite:");
    if (cfg_has_prefix(path, "///"))
        path += 3; /* SQLAlchemy/Optuna spelling: sqlite:///rel.db, sqlite:////abs.db */
    else if (cfg_has_prefix(path, "//"))
        return cfg_fail(ctx, line, "storage: '%.200s' names a host; write sqlite:PATH (or "
                        "sqlite:///PATH)", url);
    if (path[0] == '\0')
        return cfg_fail(ctx, line, "storage: sqlite: needs a file path, e.g. sqlite:hpsearch.db");
    if (strcmp(path, ":memory:") == 0)
        return cfg_strndup(ctx, url, strlen(url), out);
    return cfg_join_path(ctx, "sqlite:", ctx->base_dir, path, out);
}

/* ---- top-level keys ----------------------------------------------------------------- */

static int cfg_key_study(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    return cfg_get_text(ctx, v, line, key, &ctx->cfg->study_name);
}

static int cfg_key_storage(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char *text;
    int rc = cfg_get_text(ctx, v, line, key, &text);
    if (rc == 0)
        rc = cfg_resolve_storage(ctx, text, cfg_node_line(v, line), &ctx->cfg->storage);
    free(text);
    return rc;
}

static int cfg_key_log_dir(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char *text;
    int rc = cfg_get_text(ctx, v, line, key, &text);
    if (rc == 0)
        rc = cfg_join_path(ctx, "", ctx->base_dir, text, &ctx->cfg->log_dir);
    free(text);
    return rc;
}

static int cfg_read_direction(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    if (cfg_key_is(s.text, s.len, "minimize") || cfg_key_is(s.text, s.len, "maximize")) {
        ctx->cfg->direction = cfg_key_is(s.text, s.len, "maximize") ? HPS_MAXIMIZE
                                                                      : HPS_MINIMIZE;
        return 0;
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: must be minimize or maximize, not %s", key, what);
}

const char *const cfg_summary_names[4] = {
    [CFG_SUMMARY_LAST] = "last",
    [CFG_SUMMARY_BEST] = "best",
    [CFG_SUMMARY_MIN] = "min",
    [CFG_SUMMARY_MAX] = "max",
};

static int cfg_read_summary(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    for (size_t k = 0; k < sizeof cfg_summary_names / sizeof cfg_summary_names[0]; k++) {
        if (s.type == HPS_VALUE_STRING && cfg_key_is(s.text, s.len, cfg_summary_names[k])) {
            ctx->cfg->metric_summary = (cfg_summary)k;
            return 0;
        }
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: must be last, best, min or max, not %s", key, what);
}

static int cfg_read_metric_regex(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char *pattern = NULL, why[300];
    int rc = cfg_get_text(ctx, v, line, key, &pattern);
    if (rc != 0)
        return rc;
    if (metric_regex_check(pattern, why, sizeof why) != 0) {
        free(pattern);
        return cfg_fail(ctx, cfg_node_line(v, line), "%s: %s", key, why);
    }
    ctx->cfg->metric_regex = pattern;
    return 0;
}

static int cfg_key_metric(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    const cfg_node *map;
    int rc = cfg_node_deref(ctx, v, line, key, &map);
    if (rc != 0)
        return rc;
    ctx->metric_line = cfg_node_line(map, line);
    if (map->kind != CFG_NODE_MAPPING) {
        cfg->metric_regex = NULL; /* it was written for the name this one replaces */
        return cfg_get_text(ctx, map, line, key, &cfg->metric);
    }
    /* {name, regex, summary}; W&B adds goal and target, and impute* only steer its bayes
     * method. */
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, "metric", &e, &rc)) {
        if (cfg_key_is(e.key, e.len, "name"))
            rc = cfg_get_text(ctx, e.value, e.line, "metric.name", &cfg->metric);
        else if (cfg_key_is(e.key, e.len, "regex"))
            rc = cfg_read_metric_regex(ctx, e.value, e.line, "metric.regex");
        else if (cfg_key_is(e.key, e.len, "summary"))
            rc = cfg_read_summary(ctx, e.value, e.line, "metric.summary");
        else if (cfg->is_wandb && cfg_key_is(e.key, e.len, "goal"))
            rc = cfg_read_direction(ctx, e.value, e.line, "metric.goal");
        else if (cfg->is_wandb && cfg_key_is(e.key, e.len, "target")) {
            rc = cfg_get_number(ctx, e.value, e.line, "metric.target", &cfg->target, NULL);
            cfg->has_target = rc == 0;
        } else if (cfg->is_wandb && (cfg_key_is(e.key, e.len, "impute") ||
                                     cfg_key_is(e.key, e.len, "impute_while_running")))
            rc = cfg_warn(ctx, e.line, "metric.%.*s: only the bayes method uses it; it has no "
                          "effect here", (int)e.len, e.key);
        else
            rc = cfg_fail(ctx, e.line, "metric: unknown key '%.*s' (metric takes name, %s)",
                          (int)(e.len > 64 ? 64 : e.len), e.key,
                          cfg->is_wandb ? "goal, target, regex and summary" : "regex and summary");
    }
    if (rc != 0)
        return rc;
    if (cfg->metric == NULL)
        return cfg_fail(ctx, line, "metric.name: missing (the metric to optimize)");
    return 0;
}

static int cfg_set_sampler_name(cfg_ctx *ctx, const char *name)
{
    char *copy;
    int rc = cfg_strndup(ctx, name, strlen(name), &copy);
    if (rc == 0)
        ctx->cfg->sampler = copy;
    return rc;
}

/* Whether the engine has a sampler of this name (the library is the authority, so a
 * new sampler needs no change here). */
static int engine_has_sampler(const char *name, char *why, size_t why_len)
{
    hps_sampler *probe = NULL;
    hps_status rc = hps_sampler_new(name, &probe, why, why_len);
    hps_sampler_free(probe);
    return rc == HPS_OK;
}

static int cfg_read_sampler_name(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    char name[64], why[256] = "";
    if (s.type == HPS_VALUE_STRING && s.len < sizeof name) {
        memcpy(name, s.text, s.len);
        name[s.len] = '\0';
        if (engine_has_sampler(name, why, sizeof why))
            return cfg_set_sampler_name(ctx, name);
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    if (why[0] != '\0')
        return cfg_fail(ctx, s.line, "%s: %s", key, why);
    return cfg_fail(ctx, s.line, "%s: unknown sampler %s", key, what);
}

static int cfg_key_seed(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    int64_t seed;
    int vl = cfg_node_line(v, line);
    if (ctx->seed_line > 0)
        return cfg_fail(ctx, vl, "%s: the seed is given twice (lines %d and %d)", key,
                        ctx->seed_line, vl);
    int rc = cfg_get_int(ctx, v, line, key, 0, INT64_MAX, &seed);
    if (rc != 0)
        return rc;
    ctx->cfg->has_seed = 1;
    ctx->cfg->seed = (uint64_t)seed;
    ctx->seed_line = vl;
    return 0;
}

static int cfg_key_shuffle(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    int vl = cfg_node_line(v, line);
    if (ctx->shuffle_line > 0)
        return cfg_fail(ctx, vl, "%s: shuffle is given twice (lines %d and %d)", key,
                        ctx->shuffle_line, vl);
    ctx->shuffle_line = vl;
    return cfg_get_bool(ctx, v, line, key, &ctx->cfg->shuffle);
}

/* Any other key of the sampler mapping is an option of that sampler (gp's
 * n_startup_trials, tpe's gamma, ...): kept as text, checked by cfg_validate. Options
 * gather in `opts` and replace the config's at the end of the mapping: under cfg_set
 * the old arrays still belong to the original config. */
typedef struct sampler_opts {
    char **keys, **values;
    size_t n;
} sampler_opts;

static int cfg_add_sampler_option(cfg_ctx *ctx, sampler_opts *opts, const char *name,
                                  size_t len, const cfg_node *val, int line)
{
    char where[96];
    snprintf(where, sizeof where, "sampler.%.*s", (int)(len > 40 ? 40 : len), name);
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, val, line, where, &s);
    if (rc != 0)
        return rc;
    char **keys = realloc(opts->keys, (opts->n + 1) * sizeof *keys);
    if (keys == NULL)
        return cfg_nomem(ctx);
    opts->keys = keys;
    char **values = realloc(opts->values, (opts->n + 1) * sizeof *values);
    if (values == NULL)
        return cfg_nomem(ctx);
    opts->values = values;
    keys[opts->n] = strndup(name, len);
    values[opts->n] = strndup(s.text, s.len);
    opts->n++;
    if (keys[opts->n - 1] == NULL || values[opts->n - 1] == NULL)
        return cfg_nomem(ctx);
    return 0;
}

static int cfg_key_sampler(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *map;
    int rc = cfg_node_deref(ctx, v, line, key, &map);
    if (rc != 0)
        return rc;
    ctx->sampler_line = cfg_node_line(map, line);
    sampler_opts opts = {0};
    if (map->kind != CFG_NODE_MAPPING) {
        /* options belonged to the sampler this name replaces (under cfg_set the arrays
         * are the original config's: dropped here, freed with it) */
        ctx->cfg->sampler_keys = ctx->cfg->sampler_values = NULL;
        ctx->cfg->n_sampler_options = 0;
        return cfg_read_sampler_name(ctx, map, line, key);
    }
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, "sampler", &e, &rc)) {
        if (cfg_key_is(e.key, e.len, "name"))
            rc = cfg_read_sampler_name(ctx, e.value, e.line, "sampler.name");
        else if (cfg_key_is(e.key, e.len, "seed"))
            rc = cfg_key_seed(ctx, e.value, e.line, "sampler.seed");
        else if (cfg_key_is(e.key, e.len, "shuffle"))
            rc = cfg_key_shuffle(ctx, e.value, e.line, "sampler.shuffle");
        else
            rc = cfg_add_sampler_option(ctx, &opts, e.key, e.len, e.value, e.line);
    }
    if (rc != 0) { /* a bad key or option: the options read so far go */
        cfg_free_words(opts.keys, opts.n);
        cfg_free_words(opts.values, opts.n);
        return rc;
    }
    if (opts.n > 0) {
        ctx->cfg->sampler_keys = opts.keys;
        ctx->cfg->sampler_values = opts.values;
        ctx->cfg->n_sampler_options = opts.n;
    }
    if (ctx->cfg->sampler == NULL)
        return cfg_fail(ctx, line, "sampler.name: missing (auto, tpe, gp, cmaes, random, grid "
                        "or sobol)");
    return 0;
}

static int cfg_key_method(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    if (cfg_key_is(s.text, s.len, "grid") || cfg_key_is(s.text, s.len, "random"))
        return cfg_set_sampler_name(ctx, s.text[0] == 'g' ? "grid" : "random");
    if (cfg_key_is(s.text, s.len, "bayes")) {
        char why[256];
        if (engine_has_sampler("gp", why, sizeof why))
            return cfg_set_sampler_name(ctx, "gp");
        return cfg_fail(ctx, s.line, "method 'bayes' needs the Bayesian (GP) sampler, which "
                        "this version does not have yet; use 'random' or 'grid'");
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: %s is not supported (use random, grid or bayes)", key, what);
}

static int cfg_key_uint(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    int64_t n;
    int rc;
    if (strcmp(key, "parallel") == 0) {
        rc = cfg_get_int(ctx, v, line, key, 1, CFG_MAX_PARALLEL, &n);
        cfg->parallel = (unsigned)n;
    } else if (strcmp(key, "retries") == 0) {
        rc = cfg_get_int(ctx, v, line, key, 0, CFG_MAX_RETRIES, &n);
        cfg->retries = (unsigned)n;
    } else if (strcmp(key, "repeats") == 0) {
        ctx->repeats_line = line;
        rc = cfg_get_int(ctx, v, line, key, 1, CFG_MAX_REPEATS, &n);
        cfg->repeats = (unsigned)n;
    } else if (strcmp(key, "log_limit_mb") == 0) {
        rc = cfg_get_int(ctx, v, line, key, 0, CFG_MAX_LOG_LIMIT_MB, &n);
        cfg->log_limit_mb = (unsigned)n;
    } else if (strcmp(key, "max_failures") == 0) {
        rc = cfg_get_int(ctx, v, line, key, 0, CFG_MAX_MAX_FAILURES, &n);
        cfg->max_failures = (unsigned)n;
    } else { /* n_trials, run_cap (W&B wants at least one run) */
        rc = cfg_get_int(ctx, v, line, key, strcmp(key, "run_cap") == 0, INT64_MAX, &n);
        cfg->n_trials = (uint64_t)n;
    }
    return rc;
}

static int cfg_key_duration(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    if (strcmp(key, "timeout") == 0)
        return cfg_get_duration(ctx, v, line, key, &cfg->timeout);
    if (strcmp(key, "trial_timeout") == 0)
        return cfg_get_duration(ctx, v, line, key, &cfg->trial_timeout);
    if (strcmp(key, "heartbeat_interval") == 0)
        return cfg_get_duration(ctx, v, line, key, &cfg->heartbeat_interval);
    ctx->grace_line = cfg_node_line(v, line);
    return cfg_get_duration(ctx, v, line, key, &cfg->heartbeat_grace);
}

static int cfg_key_timeout_state(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_STRING &&
        (cfg_key_is(s.text, s.len, "fail") || cfg_key_is(s.text, s.len, "pruned"))) {
        ctx->cfg->timeout_state = s.text[0] == 'f' ? HPS_FAIL : HPS_PRUNED;
        return 0;
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: must be fail or pruned, not %s", key, what);
}

static int cfg_add_gpu(cfg_ctx *ctx, char ***gpus, size_t *n, const char *text, size_t len,
                       int line)
{
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0)
        return cfg_fail(ctx, line, "gpus: empty entry (write e.g. gpus: [0, 1] or \"0,1\")");
    for (size_t k = 0; k < len; k++)
        if (isspace((unsigned char)text[k]) || text[k] == ',')
            return cfg_fail(ctx, line, "gpus: '%.*s' is not a GPU id", (int)len, text);
    if (*n >= CFG_MAX_GPUS)
        return cfg_fail(ctx, line, "gpus: too many GPUs (at most %u)", CFG_MAX_GPUS);
    char **grown = realloc(*gpus, (*n + 1) * sizeof *grown);
    if (grown == NULL)
        return cfg_nomem(ctx);
    *gpus = grown;
    int rc = cfg_strndup(ctx, text, len, &grown[*n]);
    if (rc == 0)
        (*n)++;
    return rc;
}

static int cfg_key_gpus(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char **gpus = NULL;
    size_t n = 0;
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    int vl = cfg_node_line(node, line);
    if (node->kind == CFG_NODE_SEQUENCE) {
        if (node->first == NULL)
            rc = cfg_fail(ctx, vl, "gpus: the list is empty (leave gpus out to not assign "
                          "GPUs)");
        for (const cfg_node *item = node->first; rc == 0 && item != NULL; item = item->next) {
            cfg_scalar s;
            rc = cfg_get_scalar(ctx, item, vl, "gpus", &s);
            if (rc == 0 && s.type != HPS_VALUE_INT && s.type != HPS_VALUE_STRING)
                rc = cfg_fail(ctx, s.line, "gpus: each entry must be a GPU id such as 0");
            if (rc == 0)
                rc = cfg_add_gpu(ctx, &gpus, &n, s.text, s.len, s.line);
        }
    } else {
        cfg_scalar s;
        rc = cfg_get_scalar(ctx, node, vl, "gpus", &s);
        if (rc == 0 && s.type != HPS_VALUE_INT && s.type != HPS_VALUE_STRING)
            rc = cfg_fail(ctx, s.line, "gpus: must be a list of GPU ids such as [0, 1] or "
                          "text such as \"0,1\"");
        for (size_t start = 0; rc == 0 && start <= s.len;) { /* "0,1" */
            const char *comma = memchr(s.text + start, ',', s.len - start);
            size_t end = comma != NULL ? (size_t)(comma - s.text) : s.len;
            rc = cfg_add_gpu(ctx, &gpus, &n, s.text + start, end - start, s.line);
            start = end + 1;
        }
    }
    if (rc != 0) {
        cfg_free_words(gpus, n);
        return rc;
    }
    ctx->cfg->gpus = gpus;
    ctx->cfg->n_gpus = n;
    return 0;
}

static int cfg_key_command(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    cfg->command_line = cfg_node_line(node, line);
    if (node->kind != CFG_NODE_SEQUENCE) {
        cfg->command = NULL; /* the string is split once all keys are known (shell) */
        cfg->n_command = 0;
        return cfg_get_text(ctx, node, line, key, &cfg->command_string);
    }
    char **words = NULL;
    size_t n = 0;
    if (node->first == NULL)
        rc = cfg_fail(ctx, cfg->command_line, "command: the list is empty");
    for (const cfg_node *item = node->first; rc == 0 && item != NULL; item = item->next) {
        cfg_scalar s;
        rc = cfg_get_scalar(ctx, item, cfg->command_line, "command", &s);
        if (rc == 0 && s.type == HPS_VALUE_NONE)
            rc = cfg_fail(ctx, s.line, "command: item %zu is null", n + 1);
        if (rc == 0)
            rc = cfg_push_word(ctx, &words, &n, s.text, s.len, s.line);
    }
    if (rc != 0) {
        cfg_free_words(words, n);
        return rc;
    }
    cfg->command = words;
    cfg->n_command = n;
    cfg->command_string = NULL;
    return 0;
}

static int cfg_key_shell(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    return cfg_get_bool(ctx, v, line, key, &ctx->cfg->shell);
}

static int cfg_key_program(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    return cfg_get_text(ctx, v, line, key, &ctx->cfg->program);
}

static int cfg_key_interpreter(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    return cfg_get_text(ctx, v, line, key, &ctx->cfg->interpreter);
}

static int cfg_key_parameters(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    (void)key;
    return cfg_parse_parameters(ctx, v, line);
}

static int cfg_key_metadata(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    char *name = NULL, *text = NULL;
    int rc = cfg_node_flow_text(ctx, v, line, key, &text);
    if (rc == 0)
        rc = cfg_strndup(ctx, key, strlen(key), &name);
    char **keys = NULL, **values = NULL;
    if (rc == 0) {
        keys = realloc(cfg->metadata_keys, (cfg->n_metadata + 1) * sizeof *keys);
        if (keys != NULL)
            cfg->metadata_keys = keys;
        values = realloc(cfg->metadata_values, (cfg->n_metadata + 1) * sizeof *values);
        if (values != NULL)
            cfg->metadata_values = values;
        if (keys == NULL || values == NULL)
            rc = cfg_nomem(ctx);
    }
    if (rc != 0) {
        free(name);
        free(text);
        return rc;
    }
    keys[cfg->n_metadata] = name;
    values[cfg->n_metadata] = text;
    cfg->n_metadata++;
    return 0;
}

static int cfg_key_unsupported(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    (void)v;
    const char *what = strcmp(key, "metrics") == 0     ? "multi-objective optimization"
                       : strcmp(key, "scheduler") == 0 ? "custom W&B schedulers"
                                                       : "W&B Launch";
    return cfg_fail(ctx, line, "'%s' (%s) is not supported", key, what);
}

static const cfg_key_def cfg_keys[] = {
    {"study", CFG_NATIVE | CFG_SETTABLE | CFG_TEXT, cfg_key_study, "W&B files use name"},
    {"name", CFG_WANDB | CFG_SETTABLE | CFG_TEXT, cfg_key_study, "use study"},
    {"storage", CFG_BOTH | CFG_SETTABLE | CFG_TEXT, cfg_key_storage, NULL},
    {"direction", CFG_NATIVE | CFG_SETTABLE, cfg_read_direction, "W&B files use metric.goal"},
    {"metric", CFG_BOTH | CFG_SETTABLE | CFG_TEXT, cfg_key_metric, NULL},
    {"sampler", CFG_NATIVE | CFG_SETTABLE, cfg_key_sampler, "W&B files use method"},
    {"method", CFG_WANDB | CFG_SETTABLE, cfg_key_method, NULL},
    {"seed", CFG_BOTH | CFG_SETTABLE, cfg_key_seed, NULL},
    {"shuffle", CFG_BOTH | CFG_SETTABLE, cfg_key_shuffle, NULL},
    {"n_trials", CFG_NATIVE | CFG_SETTABLE, cfg_key_uint, "W&B files use run_cap"},
    {"run_cap", CFG_WANDB | CFG_SETTABLE, cfg_key_uint, "use n_trials"},
    {"parallel", CFG_BOTH | CFG_SETTABLE, cfg_key_uint, NULL},
    {"retries", CFG_BOTH | CFG_SETTABLE, cfg_key_uint, NULL},
    {"repeats", CFG_BOTH | CFG_SETTABLE, cfg_key_uint, NULL},
    {"max_failures", CFG_BOTH | CFG_SETTABLE, cfg_key_uint, NULL},
    {"log_limit_mb", CFG_BOTH | CFG_SETTABLE, cfg_key_uint, NULL},
    {"timeout", CFG_BOTH | CFG_SETTABLE, cfg_key_duration, NULL},
    {"trial_timeout", CFG_BOTH | CFG_SETTABLE, cfg_key_duration, NULL},
    {"timeout_state", CFG_BOTH | CFG_SETTABLE, cfg_key_timeout_state, NULL},
    {"heartbeat_interval", CFG_BOTH | CFG_SETTABLE, cfg_key_duration, NULL},
    {"heartbeat_grace", CFG_BOTH | CFG_SETTABLE, cfg_key_duration, NULL},
    {"gpus", CFG_BOTH | CFG_SETTABLE, cfg_key_gpus, NULL},
    {"command", CFG_BOTH | CFG_SETTABLE | CFG_TEXT, cfg_key_command, NULL},
    {"shell", CFG_NATIVE | CFG_SETTABLE, cfg_key_shell, "W&B commands are lists of words"},
    {"program", CFG_WANDB | CFG_SETTABLE | CFG_TEXT, cfg_key_program, NULL},
    {"interpreter", CFG_BOTH | CFG_SETTABLE | CFG_TEXT, cfg_key_interpreter, NULL},
    {"log_dir", CFG_BOTH | CFG_SETTABLE | CFG_TEXT, cfg_key_log_dir, NULL},
    {"parameters", CFG_BOTH, cfg_key_parameters, NULL},
    {"early_terminate", CFG_WANDB, cfg_key_early_terminate, "use pruner"},
    {"pruner", CFG_BOTH | CFG_SETTABLE, cfg_key_pruner, NULL},
    {"fidelity", CFG_BOTH, cfg_key_fidelity, NULL},
    {"entity", CFG_WANDB, cfg_key_metadata, NULL},
    {"project", CFG_WANDB, cfg_key_metadata, NULL},
    {"description", CFG_WANDB, cfg_key_metadata, NULL},
    {"controller", CFG_WANDB, cfg_key_metadata, NULL},
    {"apiVersion", CFG_WANDB, cfg_key_metadata, NULL},
    {"kind", CFG_WANDB, cfg_key_metadata, NULL},
    {"metrics", CFG_WANDB, cfg_key_unsupported, NULL},
    {"scheduler", CFG_WANDB, cfg_key_unsupported, NULL},
    {"job", CFG_WANDB, cfg_key_unsupported, NULL},
    {"image_uri", CFG_WANDB, cfg_key_unsupported, NULL},
};

const cfg_key_def *cfg_find_key(const char *text, size_t len)
{
    for (size_t k = 0; k < sizeof cfg_keys / sizeof cfg_keys[0]; k++)
        if (cfg_key_is(text, len, cfg_keys[k].key))
            return &cfg_keys[k];
    return NULL;
}

void cfg_list_keys(unsigned flags, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof cfg_keys / sizeof cfg_keys[0]; k++) {
        if ((cfg_keys[k].flags & flags) != flags)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "", cfg_keys[k].key);
        if (n < 0 || (size_t)n >= size - used) {
            if (size >= 4)
                memcpy(buf + size - 4, "...", 4);
            return;
        }
        used += (size_t)n;
    }
}

/* Edit distance of two short keys, for "did you mean" hints. */
static size_t cfg_edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

const char *cfg_suggest_key(const char *text, size_t len, unsigned mode)
{
    const char *best = NULL;
    size_t best_distance = 3; /* more than two edits away is a different word */
    for (size_t k = 0; k < sizeof cfg_keys / sizeof cfg_keys[0] && len >= 3; k++) {
        if (!(cfg_keys[k].flags & mode))
            continue;
        size_t d = cfg_edit_distance(text, len, cfg_keys[k].key);
        if (d < best_distance) {
            best_distance = d;
            best = cfg_keys[k].key;
        }
    }
    return best;
}
