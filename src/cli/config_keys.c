/*
 * config_keys.c -- the top-level keys of a study file: one table, cfg_keys[], in the
 * spirit of Redis's static_configs[]. A line per key says which formats accept it,
 * whether `--set` may change it, its cfg_config field and type (text, bool, whole number
 * with its range, duration, one of some names), its default, and its documentation;
 * the table drives reading, defaults, freeing, `--set`, writing back (cfg_write_settings,
 * with config_write.c's YAML pieces) and `hpsearch help config`. A simple key is one
 * line; a key with a complex value (sampler, command, parameters, ...) names its own
 * reader, writer and release here, next to the others (the objectives' and constraints'
 * are in config_metrics.c, the pruner's in config_pruner.c).
 *
 * Readers assign fields without freeing what was there: at load every field is set
 * once, and cfg_set works on a copy (see config.c).
 */
#include "cli/cli.h"
#include "config_internal.h"
#include "runner/gpus.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    if (cfg_has_prefix(url, "journal:")) {
        const char *path = url + strlen("journal:");
        if (cfg_has_prefix(path, "///"))
            path += 3; /* as sqlite:///PATH */
        if (path[0] == '\0')
            return cfg_fail(ctx, line,
                            "storage: journal: needs a file path, e.g. journal:hpsearch.journal");
        return cfg_join_path(ctx, "journal:", ctx->base_dir, path, out);
    }
    if (!cfg_has_prefix(url, "sqlite:")) {
        size_t len = strlen(url);
        int looks_like_file = len > 3 && (strcmp(url + len - 3, ".db") == 0 ||
                                          strstr(url, ".sqlite") != NULL);
        return cfg_fail(ctx, line, "storage: '%.200s' is not a storage URL (use sqlite:PATH, "
                        "journal:PATH, :memory: or postgresql://...)%s", url,
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

/* An existing directory, made absolute against base_dir and canonical (the run's cwd,
 * and what `hpsearch narrow` writes paths relative to). */
static int cfg_resolve_dir(cfg_ctx *ctx, const char *key, const char *text, int line,
                           char **out)
{
    char *joined = NULL;
    int rc = cfg_join_path(ctx, "", ctx->base_dir, text, &joined);
    if (rc != 0)
        return rc;
    struct stat st;
    if (stat(joined, &st) != 0) {
        int saved = errno;
        free(joined);
        if (saved == ENOENT || saved == ENOTDIR)
            return cfg_fail(ctx, line, "%s: '%.200s' does not exist", key, text);
        return cfg_fail(ctx, line, "%s: cannot use '%.200s': %s", key, text, strerror(saved));
    }
    if (!S_ISDIR(st.st_mode)) {
        free(joined);
        return cfg_fail(ctx, line, "%s: '%.200s' is not a directory", key, text);
    }
    *out = realpath(joined, NULL);
    int saved = errno;
    free(joined);
    if (*out != NULL)
        return 0;
    return saved == ENOMEM ? cfg_nomem(ctx)
                           : cfg_fail(ctx, line, "%s: cannot use '%.200s': %s", key, text,
                                      strerror(saved));
}

/* ---- top-level keys ----------------------------------------------------------------- */

static int cfg_key_storage(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char *text;
    int rc = cfg_get_text(ctx, v, line, key, &text);
    if (rc == 0)
        rc = cfg_resolve_storage(ctx, text, cfg_node_line(v, line), &ctx->cfg->storage);
    free(text);
    return rc;
}

/* The directory trials run in: an existing one (relative to the file). */
static int cfg_key_workdir(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char *text;
    int rc = cfg_get_text(ctx, v, line, key, &text);
    if (rc == 0)
        rc = cfg_resolve_dir(ctx, key, text, cfg_node_line(v, line), &ctx->cfg->workdir);
    free(text);
    return rc;
}

/* W&B runs a sweep's program where the agent is started (`wandb agent` spawns it in its
 * own current directory); an hpsearch file's command beside the file. */
static int cfg_default_workdir(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    return cfg->is_wandb ? cfg_cwd(ctx, &cfg->workdir)
                         : cfg_strndup(ctx, cfg->dir, strlen(cfg->dir), &cfg->workdir);
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

const char *const cfg_summary_names[4] = {
    [CFG_SUMMARY_LAST] = "last",
    [CFG_SUMMARY_BEST] = "best",
    [CFG_SUMMARY_MIN] = "min",
    [CFG_SUMMARY_MAX] = "max",
};

const cfg_enum_item cfg_summary_items[] = {
    {"last", CFG_SUMMARY_LAST}, {"best", CFG_SUMMARY_BEST},
    {"min", CFG_SUMMARY_MIN},   {"max", CFG_SUMMARY_MAX},   {NULL, 0},
};

const cfg_enum_item cfg_direction_items[] = {
    {"minimize", HPS_MINIMIZE}, {"maximize", HPS_MAXIMIZE}, {NULL, 0},
};

static const cfg_enum_item timeout_state_items[] = {
    {"fail", HPS_FAIL}, {"pruned", HPS_PRUNED}, {NULL, 0},
};

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

/* `seed` and `shuffle` may also be given in the sampler mapping: once, in either place. */
static int cfg_key_seed(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    int64_t seed;
    int vl = cfg_node_line(v, line);
    int *seed_line = cfg_key_line(ctx, "seed");
    if (*seed_line > 0)
        return cfg_fail(ctx, vl, "%s: the seed is given twice (lines %d and %d)", key,
                        *seed_line, vl);
    int rc = cfg_get_int(ctx, v, line, key, 0, INT64_MAX, &seed);
    if (rc != 0)
        return rc;
    ctx->cfg->has_seed = 1;
    ctx->cfg->seed = (uint64_t)seed;
    *seed_line = vl;
    cfg_mark_given(ctx->cfg, "seed");
    return 0;
}

static void cfg_write_seed(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->has_seed)
        fprintf(out, "%s: %llu\n", key, (unsigned long long)cfg->seed);
}

static int cfg_key_shuffle(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    int vl = cfg_node_line(v, line);
    int *shuffle_line = cfg_key_line(ctx, "shuffle");
    if (*shuffle_line > 0)
        return cfg_fail(ctx, vl, "%s: shuffle is given twice (lines %d and %d)", key,
                        *shuffle_line, vl);
    *shuffle_line = vl;
    cfg_mark_given(ctx->cfg, "shuffle");
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
    char names[256];
    if (ctx->cfg->sampler == NULL)
        return cfg_fail(ctx, line, "sampler.name: missing (%s)",
                        cli_strategy_names(CLI_SAMPLERS, NULL, names, sizeof names));
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

static int cfg_default_sampler(cfg_ctx *ctx)
{
    return cfg_set_sampler_name(ctx, CFG_DEFAULT_SAMPLER);
}

/* `sampler: name`, or the mapping with the sampler's options (seed and shuffle are
 * written as top-level keys). */
static void cfg_write_sampler(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    if (!given && cfg->n_sampler_options == 0)
        return;
    fprintf(out, "%s:%s", key, cfg->n_sampler_options > 0 ? "\n  name: " : " ");
    cfg_write_string(out, cfg->sampler);
    fputs("\n", out);
    for (size_t k = 0; k < cfg->n_sampler_options; k++) {
        fprintf(out, "  %s: ", cfg->sampler_keys[k]);
        cfg_write_string(out, cfg->sampler_values[k]);
        fputs("\n", out);
    }
}

const char *cfg_wandb_method(const char *sampler)
{
    return strcmp(sampler, "grid") == 0 || strcmp(sampler, "random") == 0 ? sampler : "bayes";
}

static void cfg_write_method(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    if (given)
        fprintf(out, "%s: %s\n", key, cfg_wandb_method(cfg->sampler));
}

static void cfg_release_sampler(cfg_config *a, const cfg_config *b)
{
    if (a->sampler != b->sampler)
        free(a->sampler);
    if (a->sampler_keys != b->sampler_keys) {
        cfg_free_words(a->sampler_keys, a->n_sampler_options);
        cfg_free_words(a->sampler_values, a->n_sampler_options);
    }
}

static int cfg_add_all_gpus(cfg_ctx *ctx, char ***gpus, size_t *n)
{
    *gpus = calloc(1, sizeof **gpus);
    if (*gpus == NULL)
        return cfg_nomem(ctx);
    int rc = cfg_strndup(ctx, "all", 3, &(*gpus)[0]);
    *n = rc == 0;
    return rc;
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
    if (len == 3 && strncmp(text, "all", 3) == 0)
        return cfg_fail(ctx, line, "gpus: all stands alone (write gpus: all)");
    char why[600];
    if (gpu_id_check(text, len, why, sizeof why) != 0)
        return cfg_fail(ctx, line, "gpus: %s", why);
    for (size_t k = 0; k < *n; k++)
        if (strlen((*gpus)[k]) == len && strncmp((*gpus)[k], text, len) == 0)
            return cfg_fail(ctx, line, "gpus: %.*s is listed twice (to run several trials on "
                            "one GPU, set trials_per_gpu)", (int)len, text);
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

/* gpus: [0, 1], "0,1", GPU-<uuid>..., or all (kept as the one word "all"). */
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
            rc = cfg_fail(ctx, s.line, "gpus: must be all, a list of GPU ids such as [0, 1] or "
                          "text such as \"0,1\"");
        if (rc == 0 && s.len == 3 && strncmp(s.text, "all", 3) == 0)
            rc = cfg_add_all_gpus(ctx, &gpus, &n);
        else
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

static void cfg_write_gpus(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->n_gpus == 1 && strcmp(cfg->gpus[0], "all") == 0)
        fprintf(out, "%s: all\n", key);
    else
        cfg_write_word_list(out, key, cfg->gpus, cfg->n_gpus);
}

static void cfg_release_gpus(cfg_config *a, const cfg_config *b)
{
    if (a->gpus != b->gpus)
        cfg_free_words(a->gpus, a->n_gpus);
}

/* One pattern of `artifacts:`: a file name or glob, with the command's placeholders
 * (checked with them, run_setup.c); ${args} would make several words of it. */
static int cfg_add_artifact(cfg_ctx *ctx, char ***patterns, size_t *n, const cfg_scalar *s)
{
    if (s->type != HPS_VALUE_STRING || s->len == 0)
        return cfg_fail(ctx, s->line, "artifacts: each entry must be a file name or glob "
                        "pattern such as 'best.pt' or 'plots/*.png'");
    int has_args = 0;
    for (size_t i = 0; i + 6 <= s->len && !has_args; i++)
        has_args = memcmp(s->text + i, "${args", 6) == 0;
    if (has_args)
        return cfg_fail(ctx, s->line, "artifacts: '%.*s': ${args...} has no place in a file "
                        "pattern (use {name} for a parameter)", (int)(s->len > 200 ? 200 : s->len),
                        s->text);
    if (*n >= CFG_MAX_ARTIFACT_PATTERNS)
        return cfg_fail(ctx, s->line, "artifacts: more than %u patterns",
                        CFG_MAX_ARTIFACT_PATTERNS);
    return cfg_push_word(ctx, patterns, n, s->text, s->len, s->line);
}

static int cfg_key_artifacts(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    char **patterns = NULL;
    size_t n = 0;
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    int vl = cfg_node_line(node, line);
    cfg_scalar s;
    if (node->kind == CFG_NODE_SEQUENCE) {
        if (node->first == NULL)
            rc = cfg_fail(ctx, vl, "artifacts: the list is empty (leave artifacts out to keep "
                          "no files)");
        for (const cfg_node *item = node->first; rc == 0 && item != NULL; item = item->next) {
            rc = cfg_get_scalar(ctx, item, vl, "artifacts", &s);
            if (rc == 0)
                rc = cfg_add_artifact(ctx, &patterns, &n, &s);
        }
    } else {
        rc = cfg_get_scalar(ctx, node, vl, "artifacts", &s);
        if (rc == 0)
            rc = cfg_add_artifact(ctx, &patterns, &n, &s);
    }
    if (rc != 0) {
        cfg_free_words(patterns, n);
        return rc;
    }
    ctx->cfg->artifacts = patterns;
    ctx->cfg->n_artifacts = n;
    ctx->cfg->artifacts_line = vl;
    return 0;
}

static void cfg_write_artifacts(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    cfg_write_word_list(out, key, cfg->artifacts, cfg->n_artifacts);
}

static void cfg_release_artifacts(cfg_config *a, const cfg_config *b)
{
    if (a->artifacts != b->artifacts)
        cfg_free_words(a->artifacts, a->n_artifacts);
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

/* The command as the file gave it: a string (split, or run by the shell, at load) or a
 * list of words; W&B's default command is not written. */
static void cfg_write_command(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    if (!given)
        return;
    if (cfg->command_string != NULL) {
        fprintf(out, "%s: ", key);
        cfg_write_string(out, cfg->command_string);
        fputs("\n", out);
        return;
    }
    fprintf(out, "%s:\n", key);
    for (size_t k = 0; k < cfg->n_command; k++) {
        fputs("  - ", out);
        cfg_write_string(out, cfg->command[k]);
        fputs("\n", out);
    }
}

static void cfg_release_command(cfg_config *a, const cfg_config *b)
{
    if (a->command != b->command)
        cfg_free_words(a->command, a->n_command);
    if (a->command_string != b->command_string)
        free(a->command_string);
    if (a->shell_command != b->shell_command)
        free(a->shell_command);
}

static int cfg_default_interpreter(cfg_ctx *ctx)
{
    const char *python = getenv("HPSEARCH_PYTHON");
    if (python == NULL || python[0] == '\0')
        python = "python3";
    return cfg_strndup(ctx, python, strlen(python), &ctx->cfg->interpreter);
}

/* The file's name without its extension. */
static int cfg_default_study(cfg_ctx *ctx)
{
    const char *path = ctx->cfg->path;
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    return cfg_strndup(ctx, base, stem, &ctx->cfg->study_name);
}

static int cfg_default_storage(cfg_ctx *ctx)
{
    return cfg_resolve_storage(ctx, "sqlite:hpsearch.db", 0, &ctx->cfg->storage);
}

static int cfg_key_parameters(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    (void)key;
    return cfg_parse_parameters(ctx, v, line);
}

static void cfg_write_parameters_key(FILE *out, const cfg_config *cfg, const char *key,
                                     int given)
{
    (void)key;
    (void)given;
    cfg_write_parameters(out, cfg);
}

/* W&B's service keys, kept as the study's metadata: a scalar's text, or a collection as
 * one line of flow YAML. (Six keys, each at most once: the bits of metadata_flow
 * suffice.) */
static int cfg_key_metadata(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    char *name = NULL, *text = NULL;
    const cfg_node *target;
    int rc = cfg_node_deref(ctx, v, line, key, &target);
    int flow = rc == 0 && target->kind != CFG_NODE_SCALAR;
    if (rc == 0)
        rc = cfg_node_flow_text(ctx, v, line, key, &text);
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
    if (flow && cfg->n_metadata < 8 * sizeof cfg->metadata_flow)
        cfg->metadata_flow |= 1u << cfg->n_metadata;
    cfg->n_metadata++;
    return 0;
}

static void cfg_write_metadata(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    for (size_t k = 0; k < cfg->n_metadata; k++) {
        if (strcmp(cfg->metadata_keys[k], key) != 0)
            continue;
        fprintf(out, "%s: ", key);
        if (k < 8 * sizeof cfg->metadata_flow && (cfg->metadata_flow & (1u << k)))
            fputs(cfg->metadata_values[k], out);
        else
            cfg_write_string(out, cfg->metadata_values[k]);
        fputs("\n", out);
    }
}

static void cfg_release_metadata(cfg_config *a, const cfg_config *b)
{
    if (a->metadata_keys != b->metadata_keys)
        cfg_free_words(a->metadata_keys, a->n_metadata);
    if (a->metadata_values != b->metadata_values)
        cfg_free_words(a->metadata_values, a->n_metadata);
}

static int cfg_key_unsupported(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    (void)v;
    const char *what = strcmp(key, "scheduler") == 0 ? "custom W&B schedulers" : "W&B Launch";
    return cfg_fail(ctx, line, "'%s' (%s) is not supported", key, what);
}

/* ---- the table ---------------------------------------------------------------------- */

#define FIELD(f) .offset = offsetof(cfg_config, f), .size = sizeof(((cfg_config *)0)->f)
#define KEY(name_, flags_) .info.name = name_, .info.flags = (flags_)
#define DOC(type_, default_, example_, help_)                                              \
    .info.type = type_, .info.default_value = default_, .info.example = example_,           \
    .info.help = help_
#define WANDB_EXAMPLE(example_) .info.example_wandb = example_
#define TEXT(f) .type = CFG_T_TEXT, FIELD(f)
#define BOOL(f, default_) .type = CFG_T_BOOL, FIELD(f), .default_number = default_
#define UINT(f, min_, max_, default_)                                                       \
    .type = CFG_T_UINT, FIELD(f), .min = min_, .max = max_, .default_number = default_
#define DURATION(f, default_) .type = CFG_T_DURATION, FIELD(f), .default_number = default_
#define ENUM(f, items_, default_)                                                           \
    .type = CFG_T_ENUM, FIELD(f), .items = items_, .default_number = default_
#define CUSTOM(f) .type = CFG_T_CUSTOM, FIELD(f)
/* metric, direction and metrics: one list of objectives, each key its own setting */
#define OBJECTIVES(key_)                                                                   \
    CUSTOM(objectives), .read = cfg_key_##key_, .write = cfg_write_##key_,                 \
        .release = cfg_release_objectives
#define REFUSED .type = CFG_T_CUSTOM, .offset = CFG_NO_FIELD, .read = cfg_key_unsupported
#define META(name_, example_)                                                              \
    KEY(name_, CFG_WANDB | CFG_PER_NAME), CUSTOM(metadata_keys), .read = cfg_key_metadata, \
        .write = cfg_write_metadata, .release = cfg_release_metadata,                      \
        DOC("any", "none", example_, "W&B metadata, kept with the study")

#define SET CFG_SETTABLE
#define SET_TEXT (CFG_SETTABLE | CFG_LITERAL)

_Static_assert(sizeof(hps_direction) == sizeof(int) && sizeof(hps_trial_state) == sizeof(int)
               && sizeof(cfg_summary) == sizeof(int), "enum fields are read as int");

/* In the order `hpsearch help config` lists the keys and a written config has them. A
 * doc type or default left NULL is derived from the type (CFG_T_UINT's range, ...). */
const cfg_key_def cfg_keys[] = {
    {KEY("study", CFG_NATIVE | SET_TEXT), TEXT(study_name), .fill_default = cfg_default_study,
     .elsewhere = "W&B files use name",
     DOC("text", "file name without its last extension", "mnist-mlp",
         "Study name: runs with the same name and storage share one study")},
    {KEY("name", CFG_WANDB | SET_TEXT), TEXT(study_name), .fill_default = cfg_default_study,
     .elsewhere = "use study",
     DOC("text", "file name without its last extension", "mnist-sweep", "The study's name")},
    {KEY("storage", CFG_BOTH | SET_TEXT), TEXT(storage), .read = cfg_key_storage,
     .fill_default = cfg_default_storage,
     DOC("URL", "sqlite:hpsearch.db next to the config", "sqlite:studies.db",
         "Where trials are kept: sqlite:PATH, :memory: or postgresql://...")},
    {KEY("direction", CFG_NATIVE | CFG_PER_NAME | SET), OBJECTIVES(direction),
     .elsewhere = "W&B files use metric.goal",
     DOC("minimize | maximize", "minimize", "maximize",
         "Whether lower or higher metric values are better")},
    {KEY("metric", CFG_BOTH | CFG_PER_NAME | SET_TEXT), OBJECTIVES(metric),
     DOC("text or mapping", "— (required, or metrics)",
         "{name: val_acc, regex: 'Val Acc: ([0-9.]+)', summary: best}",
         "The value a trial prints, or {name, regex, summary} to read it otherwise"),
     WANDB_EXAMPLE("{name: val_acc, goal: maximize, target: 0.99, regex: 'acc=([0-9.]+)', "
                   "summary: max}")},
    {KEY("metrics", CFG_NATIVE | CFG_PER_NAME), OBJECTIVES(metrics),
     .excludes = (const char *const[]){"metric", "direction", NULL},
     .excludes_why = "metric and direction name one objective, metrics lists each objective "
                     "with its goal: [{name: val_acc, goal: maximize}, ...]",
     .elsewhere = "W&B's own search optimizes one metric; several need a sweep scheduler's "
                  "Optuna or Ax engine, which hpsearch does not run: list them under metrics: "
                  "in an hpsearch config",
     DOC("list", "— (or metric)",
         "[{name: val_acc, goal: maximize, summary: best, reference: 0.5}, {name: "
         "train_seconds, regex: 'took ([0-9.]+)s', reference: 3600}]",
         "Several objectives, each {name, goal, regex, summary, reference}: a Pareto search "
         "(reference: the hypervolume's reference point, a coordinate per objective)")},
    {KEY("constraints", CFG_NATIVE), CUSTOM(constraints), .read = cfg_key_constraints,
     .write = cfg_write_constraints, .release = cfg_release_constraints,
     .elsewhere = "W&B sweeps have no constraints: give them in an hpsearch config",
     DOC("list", "none",
         "[{name: gpu_mem_gb, max: 10, summary: max}, {name: latency_ms, min: 0.5}]",
         "Values a trial prints that must stay <= max or >= min, each {name, max or min, "
         "regex, summary}")},
    {KEY("sampler", CFG_NATIVE | SET), CUSTOM(sampler), .read = cfg_key_sampler,
     .fill_default = cfg_default_sampler, .write = cfg_write_sampler,
     .release = cfg_release_sampler, .elsewhere = "W&B files use method",
     DOC("name or mapping", CFG_DEFAULT_SAMPLER, "{name: tpe, n_startup_trials: 7}",
         "The search strategy, by name or {name, seed, shuffle, its options}")},
    {KEY("method", CFG_WANDB | SET), CUSTOM(sampler), .read = cfg_key_method,
     .write = cfg_write_method,
     DOC("random | grid | bayes", CFG_DEFAULT_SAMPLER, "grid",
         "W&B's search method (bayes: the gp sampler)")},
    {KEY("seed", CFG_BOTH | SET), CUSTOM(seed), .read = cfg_key_seed, .write = cfg_write_seed,
     DOC("int 0…2⁶³−1", "unseeded", "42", "The sampler's seed (here or in sampler, once)")},
    {KEY("shuffle", CFG_BOTH | SET), BOOL(shuffle, 0), .read = cfg_key_shuffle,
     DOC(NULL, NULL, "false", "Grid only: visit the cells in a seeded random order"),
     WANDB_EXAMPLE("true")},
    {KEY("n_trials", CFG_NATIVE | SET), UINT(n_trials, 0, INT64_MAX, 0),
     .elsewhere = "W&B files use run_cap",
     DOC(NULL, "0 (unlimited)", "30", "Total trials the study may hold, across all runs")},
    {KEY("run_cap", CFG_WANDB | SET), UINT(n_trials, 1, INT64_MAX, 0), .elsewhere = "use n_trials",
     DOC(NULL, "unlimited", "30", "W&B's total number of runs")},
    {KEY("repeats", CFG_BOTH | SET), UINT(repeats, 1, CFG_MAX_REPEATS, 1),
     DOC(NULL, NULL, "3", "Runs of each configuration of a finite space (noisy objectives)")},
    {KEY("timeout", CFG_BOTH | SET), DURATION(timeout, 0),
     DOC("duration", "none", "8h", "Stop starting trials after this long")},
    {KEY("parallel", CFG_BOTH | SET), UINT(parallel, 1, CFG_MAX_PARALLEL, 1),
     DOC(NULL, NULL, "4", "Trials run at once by this process")},
    {KEY("trial_timeout", CFG_BOTH | SET), DURATION(trial_timeout, 0),
     DOC("duration", "none", "30m", "A trial running longer is stopped (FAIL, or timeout_state)")},
    {KEY("preempt_grace", CFG_BOTH | SET), DURATION(preempt_grace, CFG_DEFAULT_PREEMPT_GRACE),
     DOC("duration", "25 s", "60",
         "On SIGTERM, how long running trials get to save a checkpoint before SIGKILL")},
    {KEY("timeout_state", CFG_BOTH | SET), ENUM(timeout_state, timeout_state_items, HPS_FAIL),
     DOC(NULL, NULL, "pruned", "What a timed-out trial becomes (pruned: keeps its last value)")},
    {KEY("retries", CFG_BOTH | SET), UINT(retries, 0, CFG_MAX_RETRIES, 0),
     DOC(NULL, NULL, "2", "Re-run a failed or interrupted trial up to N times")},
    {KEY("max_failures", CFG_BOTH | SET), UINT(max_failures, 0, CFG_MAX_MAX_FAILURES,
                                                CFG_DEFAULT_MAX_FAILURES),
     DOC(NULL, NULL, "10", "Stop when the first N trials of a run all failed (0: never)")},
    {KEY("log_limit_mb", CFG_BOTH | SET), UINT(log_limit_mb, 0, CFG_MAX_LOG_LIMIT_MB,
                                                CFG_DEFAULT_LOG_LIMIT_MB),
     DOC(NULL, NULL, "64", "A trial's log file stops growing at this many MiB (0: no limit)")},
    {KEY("gpus", CFG_BOTH | SET), CUSTOM(gpus), .read = cfg_key_gpus, .write = cfg_write_gpus,
     .release = cfg_release_gpus,
     DOC("all, list or text", "none", "all",
         "The GPUs trials get (CUDA_VISIBLE_DEVICES): all detected, or ids such as [0, 1]")},
    {KEY("gpus_per_trial", CFG_BOTH | SET), UINT(gpus_per_trial, 1, CFG_MAX_GPUS_PER_TRIAL, 1),
     DOC(NULL, NULL, "2", "GPUs each trial gets (HPSEARCH_NUM_GPUS tells it how many)")},
    {KEY("trials_per_gpu", CFG_BOTH | SET), UINT(trials_per_gpu, 1, CFG_MAX_PARALLEL, 1),
     DOC(NULL, NULL, "2", "Trials that share one GPU (small models)")},
    {KEY("heartbeat_interval", CFG_BOTH | SET), DURATION(heartbeat_interval, 5),
     DOC("duration", "5 s", "10", "How often a running trial's heartbeat is stored (0: off)")},
    {KEY("heartbeat_grace", CFG_BOTH | SET), DURATION(heartbeat_grace, 60),
     DOC("duration", "60 s", "120", "RUNNING trials silent this long are failed (0: never)")},
    {KEY("command", CFG_BOTH | SET_TEXT), CUSTOM(command), .read = cfg_key_command,
     .write = cfg_write_command, .release = cfg_release_command,
     DOC("text or list", "— (required)", "python3 train.py --lr {lr} --act {act}",
         "The command of one trial"),
     WANDB_EXAMPLE("[\"${env}\", \"${interpreter}\", \"${program}\", --fast, \"${args}\"]")},
    {KEY("shell", CFG_NATIVE | SET), BOOL(shell, 0), .elsewhere = "W&B commands are lists of words",
     DOC(NULL, NULL, "true", "Run a string command through /bin/sh -c")},
    {KEY("program", CFG_WANDB | SET_TEXT), TEXT(program),
     DOC("text", "none", "train.py", "W&B's training script: ${program}")},
    {KEY("interpreter", CFG_BOTH | SET_TEXT), TEXT(interpreter),
     .fill_default = cfg_default_interpreter,
     DOC("text", "$HPSEARCH_PYTHON, else python3", "python3.11", "What ${interpreter} expands to")},
    {KEY("log_dir", CFG_BOTH | SET_TEXT), TEXT(log_dir), .read = cfg_key_log_dir,
     DOC("path", "<database dir>/hpsearch-logs/<study> (the config's dir when not SQLite)",
         "logs", "Directory of the trial logs and params files")},
    {KEY("workdir", CFG_BOTH | SET_TEXT), TEXT(workdir), .read = cfg_key_workdir,
     .fill_default = cfg_default_workdir,
     DOC("path", "the config file's directory (W&B sweep files: the current directory)", ".",
         "The directory trials run in (it must exist)")},
    {KEY("early_terminate", CFG_WANDB), CUSTOM(pruner), .read = cfg_key_early_terminate,
     .write = cfg_write_early_terminate, .release = cfg_release_pruner, .elsewhere = "use pruner",
     DOC("mapping", "none", "{type: hyperband, min_iter: 3, eta: 3}",
         "W&B's early stopping: the hyperband pruner")},
    {KEY("pruner", CFG_BOTH | SET), CUSTOM(pruner), .read = cfg_key_pruner,
     .write = cfg_write_pruner, .release = cfg_release_pruner,
     DOC("name or mapping", CFG_DEFAULT_PRUNER " (auto with a fidelity, for a new study)",
         "{name: asha, min_resource: 1, reduction_factor: 3}",
         "Stop unpromising trials early from their intermediate values")},
    {KEY("fidelity", CFG_BOTH), TEXT(fidelity), .read = cfg_key_fidelity,
     .write = cfg_write_fidelity,
     DOC("name or mapping", "none", "{name: epochs, min: 1, max: 27}",
         "The budget parameter: not searched, every trial gets its maximum")},
    {KEY("terminate", CFG_BOTH | SET), CUSTOM(terminate), .read = cfg_key_terminate,
     .write = cfg_write_terminate,
     DOC("mapping", "none (run the whole budget)",
         "{no_improvement: 20, best_value_stagnation: 30, regret_bound: 0.005, min_trials: 10, "
         "top_trials_ratio: 0.5}",
         "Stop starting trials once improvement is unlikely (any rule that holds)")},
    {KEY("pbt", CFG_NATIVE), CUSTOM(pbt), .read = cfg_key_pbt, .write = cfg_write_pbt,
     .elsewhere = "an hpsearch file's key: W&B sweeps have no population-based training",
     DOC("mapping", "none (no population-based training)",
         "{population: 8, interval: 2, quantile: 0.25, resample_probability: 0.25, "
         "perturb: 0.2}",
         "Population-based training: members train the fidelity in rounds; the worst copy "
         "the best")},
    {KEY("artifacts", CFG_BOTH | SET), CUSTOM(artifacts), .read = cfg_key_artifacts,
     .write = cfg_write_artifacts, .release = cfg_release_artifacts,
     DOC("list or text", "none", "[\"best-{trial_number}.pt\", \"plots/*.png\"]",
         "Files a trial writes (globs, relative to workdir), kept beside its log")},
    {KEY("parameters", CFG_BOTH), CUSTOM(params), .read = cfg_key_parameters,
     .write = cfg_write_parameters_key, .release = cfg_release_parameters,
     DOC("mapping", "— (required)",
         "{lr: {values: [0.001, 0.01]}, wd: {low: 0.0, high: 0.1, step: 0.05}, batch: {type: "
         "int, low: 16, high: 128, log: true}, act: [relu, tanh], warmup: 5, epochs: {type: "
         "int, low: 1, high: 27}}",
         "The search space"),
     WANDB_EXAMPLE("{lr: {values: [0.001, 0.01]}, dropout: {min: 0.0, max: 0.5, grid_points: "
                   "3}, layers: {min: 1, max: 4}, wd: {distribution: q_uniform, min: 0.0, max: "
                   "0.1, q: 0.05}, warmup: 5, epochs: {min: 1, max: 27}}")},
    {KEY("initial", CFG_NATIVE), CUSTOM(initial), .read = cfg_key_initial,
     .write = cfg_write_initial, .release = cfg_release_initial,
     .elsewhere = "an hpsearch file's key: W&B sweep files have no configurations to run first",
     DOC("list of mappings", "none (every trial sampled)", "[{lr: 0.01, act: relu}, {batch: 32}]",
         "Configurations to run first, once (the parameters one leaves out are sampled)")},
    {KEY("warm_start", CFG_NATIVE), CUSTOM(warm_from), .read = cfg_key_warm_start,
     .write = cfg_write_warm_start, .release = cfg_release_warm_start,
     .elsewhere = "an hpsearch file's key: W&B sweep files do not start from another study",
     DOC("mapping", "none", "{from: mlp-v1, storage: sqlite:old.db}",
         "A new study starts with another study's COMPLETE trials that fit its space")},
    {META("entity", "my-team")},
    {META("project", "mnist")},
    {META("description", "learning rate sweep")},
    {META("controller", "{type: local}")},
    {META("apiVersion", "v1")},
    {META("kind", "sweep")},
    {KEY("scheduler", CFG_WANDB), REFUSED, DOC("—", "—", NULL, "Refused: custom W&B schedulers")},
    {KEY("job", CFG_WANDB), REFUSED, DOC("—", "—", NULL, "Refused: W&B Launch")},
    {KEY("image_uri", CFG_WANDB), REFUSED, DOC("—", "—", NULL, "Refused: W&B Launch")},
};

const size_t cfg_n_keys = sizeof cfg_keys / sizeof cfg_keys[0];
_Static_assert(sizeof cfg_keys / sizeof cfg_keys[0] <= CFG_MAX_KEYS, "CFG_MAX_KEYS is too small");

/* ---- what the table drives -------------------------------------------------------------- */

static void *cfg_field(cfg_config *cfg, const cfg_key_def *def)
{
    return (char *)cfg + def->offset;
}

static const void *cfg_field_of(const cfg_config *cfg, const cfg_key_def *def)
{
    return (const char *)cfg + def->offset;
}

static size_t cfg_key_index(const cfg_key_def *def)
{
    return (size_t)(def - cfg_keys);
}

/* Whether an earlier key (of a format in `flags`; 0: any) keeps its value in the same
 * field: then both are one setting (study and name), read, defaulted and freed once. */
static int cfg_field_seen_before(const cfg_key_def *def, unsigned flags)
{
    for (const cfg_key_def *k = cfg_keys; k < def; k++)
        if (k->offset == def->offset && (flags == 0 || (k->info.flags & flags)))
            return 1;
    return 0;
}

/* Keys holding one setting: the same field, unless each is its own (metadata). */
static int cfg_same_setting(const cfg_key_def *a, const cfg_key_def *b)
{
    return a == b || (a->offset != CFG_NO_FIELD && a->offset == b->offset &&
                      !(a->info.flags & CFG_PER_NAME));
}

/* The type and default a key's documentation gives, derived from the table's type where
 * the line leaves them NULL. */
int cfg_key_describe(size_t k, cfg_key_info *out, char *buf, size_t size)
{
    if (k >= cfg_n_keys)
        return -1;
    const cfg_key_def *def = &cfg_keys[k];
    *out = def->info;
    size_t half = size / 2;
    char *type = buf, *dflt = buf + half;
    if (out->type == NULL && def->type == CFG_T_UINT && def->max == INT64_MAX)
        snprintf(type, half, "int ≥ %lld", (long long)def->min);
    else if (out->type == NULL && def->type == CFG_T_UINT)
        snprintf(type, half, "int %lld…%lld", (long long)def->min, (long long)def->max);
    else if (out->type == NULL && def->type == CFG_T_BOOL)
        snprintf(type, half, "bool");
    else if (out->type == NULL && def->type == CFG_T_ENUM) {
        type[0] = '\0';
        for (size_t i = 0; def->items[i].name != NULL; i++)
            snprintf(type + strlen(type), half - strlen(type), "%s%s", i > 0 ? " | " : "",
                     def->items[i].name);
    }
    if (out->type == NULL)
        out->type = type;
    if (out->default_value == NULL && def->type == CFG_T_UINT)
        snprintf(dflt, size - half, "%g", def->default_number);
    else if (out->default_value == NULL && def->type == CFG_T_BOOL)
        snprintf(dflt, size - half, "%s", def->default_number != 0 ? "true" : "false");
    else if (out->default_value == NULL && def->type == CFG_T_ENUM) {
        dflt[0] = '\0';
        for (size_t i = 0; def->items[i].name != NULL; i++)
            if (def->items[i].value == (int)def->default_number)
                snprintf(dflt, size - half, "%s", def->items[i].name);
    }
    if (out->default_value == NULL)
        out->default_value = dflt;
    return 0;
}

int *cfg_key_line(cfg_ctx *ctx, const char *key)
{
    const cfg_key_def *def = cfg_find_key(key, strlen(key));
    assert(def != NULL);
    return &ctx->key_line[cfg_key_index(def)];
}

void cfg_mark_given(cfg_config *cfg, const char *key)
{
    const cfg_key_def *def = cfg_find_key(key, strlen(key));
    assert(def != NULL);
    cfg->given[cfg_key_index(def)] = 1;
}

int cfg_key_given(const cfg_config *cfg, const char *key)
{
    const cfg_key_def *def = cfg_find_key(key, strlen(key));
    if (def == NULL)
        return 0;
    for (size_t k = 0; k < cfg_n_keys; k++)
        if (cfg->given[k] && cfg_same_setting(def, &cfg_keys[k]))
            return 1;
    return 0;
}

/* "a, b or c" */
static void cfg_enum_names(const cfg_enum_item *items, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; items[k].name != NULL && used < size; k++) {
        const char *sep = k == 0 ? "" : items[k + 1].name == NULL ? " or " : ", ";
        int n = snprintf(buf + used, size - used, "%s%s", sep, items[k].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

int cfg_read_enum(cfg_ctx *ctx, const cfg_node *v, int line, const char *key,
                  const cfg_enum_item *items, int *out)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    for (size_t k = 0; items[k].name != NULL; k++) {
        if (s.type == HPS_VALUE_STRING && cfg_key_is(s.text, s.len, items[k].name)) {
            *out = items[k].value;
            return 0;
        }
    }
    char names[256], what[64];
    cfg_enum_names(items, names, sizeof names);
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: must be %s, not %s", key, names, what);
}

static int cfg_read_typed(cfg_ctx *ctx, const cfg_key_def *def, const cfg_node *v, int line)
{
    void *field = cfg_field(ctx->cfg, def);
    const char *key = def->info.name;
    int64_t n;
    int rc;
    switch (def->type) {
    case CFG_T_TEXT:
        return cfg_get_text(ctx, v, line, key, field);
    case CFG_T_BOOL:
        return cfg_get_bool(ctx, v, line, key, field);
    case CFG_T_DURATION:
        return cfg_get_duration(ctx, v, line, key, field);
    case CFG_T_ENUM:
        return cfg_read_enum(ctx, v, line, key, def->items, field);
    case CFG_T_UINT:
        rc = cfg_get_int(ctx, v, line, key, def->min, def->max, &n);
        if (rc == 0 && def->size == sizeof(uint64_t))
            *(uint64_t *)field = (uint64_t)n;
        else if (rc == 0)
            *(unsigned *)field = (unsigned)n;
        return rc;
    case CFG_T_CUSTOM:
    default:
        assert(!"a custom key has a reader");
        return cfg_fail(ctx, line, "%s: cannot be read", key);
    }
}

/* Whether `name` is among the keys `def` excludes. */
static int cfg_excludes(const cfg_key_def *def, const char *name)
{
    for (size_t i = 0; def->excludes != NULL && def->excludes[i] != NULL; i++)
        if (strcmp(def->excludes[i], name) == 0)
            return 1;
    return 0;
}

/* Two keys saying one thing two ways (metric and metrics) cannot both be given. */
static int cfg_check_exclusive(cfg_ctx *ctx, const cfg_key_def *def, int line)
{
    for (const cfg_key_def *other = cfg_keys; other < cfg_keys + cfg_n_keys; other++) {
        size_t k = cfg_key_index(other);
        const char *why = cfg_excludes(def, other->info.name)   ? def->excludes_why
                          : cfg_excludes(other, def->info.name) ? other->excludes_why
                                                                : NULL;
        if (why == NULL || !ctx->cfg->given[k])
            continue;
        if (ctx->key_at[k] > 0)
            return cfg_fail(ctx, line, "%s: cannot be combined with %s (line %d): %s",
                            def->info.name, other->info.name, ctx->key_at[k], why);
        return cfg_fail(ctx, line, "%s: cannot be combined with %s, which the config gives: %s",
                        def->info.name, other->info.name, why);
    }
    return 0;
}

int cfg_read_key(cfg_ctx *ctx, const cfg_key_def *def, const cfg_node *value, int line)
{
    int rc = cfg_check_exclusive(ctx, def, line);
    if (rc != 0)
        return rc;
    rc = def->read != NULL ? def->read(ctx, value, line, def->info.name)
                               : cfg_read_typed(ctx, def, value, line);
    if (rc == 0) {
        ctx->cfg->given[cfg_key_index(def)] = 1;
        ctx->key_line[cfg_key_index(def)] = cfg_node_line(value, line);
        ctx->key_at[cfg_key_index(def)] = line;
    }
    return rc;
}

void cfg_keys_set_defaults(cfg_config *cfg)
{
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        void *field = def->offset != CFG_NO_FIELD ? cfg_field(cfg, def) : NULL;
        if (def->type == CFG_T_BOOL || def->type == CFG_T_ENUM)
            *(int *)field = (int)def->default_number;
        else if (def->type == CFG_T_DURATION)
            *(double *)field = def->default_number;
        else if (def->type == CFG_T_UINT && def->size == sizeof(uint64_t))
            *(uint64_t *)field = (uint64_t)def->default_number;
        else if (def->type == CFG_T_UINT)
            *(unsigned *)field = (unsigned)def->default_number;
    }
}

int cfg_keys_fill_defaults(cfg_ctx *ctx)
{
    /* computed defaults are texts (a NULL field is one not given) */
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        if (def->fill_default == NULL || *(char **)cfg_field(ctx->cfg, def) != NULL)
            continue;
        int rc = def->fill_default(ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void cfg_free_replaced(cfg_config *a, const cfg_config *b)
{
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        if (def->offset == CFG_NO_FIELD || cfg_field_seen_before(def, 0))
            continue; /* freed with the first key holding the field */
        if (def->release != NULL) {
            def->release(a, b);
        } else if (def->type == CFG_T_TEXT) {
            char *mine = *(char **)cfg_field(a, def);
            if (mine != *(char *const *)cfg_field_of(b, def))
                free(mine);
        }
    }
}

/* ---- writing back ------------------------------------------------------------------------ */

static int cfg_differs_from_default(const cfg_config *cfg, const cfg_key_def *def)
{
    const void *field = cfg_field_of(cfg, def);
    switch (def->type) {
    case CFG_T_BOOL:
    case CFG_T_ENUM:
        return *(const int *)field != (int)def->default_number;
    case CFG_T_DURATION:
        return *(const double *)field != def->default_number;
    case CFG_T_UINT:
        return def->size == sizeof(uint64_t)
                   ? *(const uint64_t *)field != (uint64_t)def->default_number
                   : *(const unsigned *)field != (unsigned)def->default_number;
    case CFG_T_TEXT: /* a computed default is only written when given */
        return def->fill_default == NULL && *(char *const *)field != NULL;
    case CFG_T_CUSTOM:
    default:
        return 0;
    }
}

static void cfg_write_typed(FILE *out, const cfg_config *cfg, const cfg_key_def *def)
{
    const void *field = cfg_field_of(cfg, def);
    const char *key = def->info.name;
    switch (def->type) {
    case CFG_T_TEXT:
        if (*(char *const *)field == NULL)
            return;
        fprintf(out, "%s: ", key);
        cfg_write_string(out, *(char *const *)field);
        fputs("\n", out);
        return;
    case CFG_T_BOOL:
        fprintf(out, "%s: %s\n", key, *(const int *)field ? "true" : "false");
        return;
    case CFG_T_DURATION:
        fprintf(out, "%s: %.17g\n", key, *(const double *)field);
        return;
    case CFG_T_UINT:
        fprintf(out, "%s: %llu\n", key,
                def->size == sizeof(uint64_t) ? (unsigned long long)*(const uint64_t *)field
                                              : (unsigned long long)*(const unsigned *)field);
        return;
    case CFG_T_ENUM:
        for (size_t k = 0; def->items[k].name != NULL; k++)
            if (def->items[k].value == *(const int *)field)
                fprintf(out, "%s: %s\n", key, def->items[k].name);
        return;
    case CFG_T_CUSTOM:
    default:
        return;
    }
}

static int cfg_skipped(const char *key, const char *const *skip)
{
    for (size_t k = 0; skip != NULL && skip[k] != NULL; k++)
        if (strcmp(skip[k], key) == 0)
            return 1;
    return 0;
}

void cfg_write_settings(FILE *out, const cfg_config *cfg, const char *const *skip)
{
    unsigned format = cfg->is_wandb ? CFG_WANDB : CFG_NATIVE;
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        if (!(def->info.flags & format) || def->offset == CFG_NO_FIELD ||
            cfg_skipped(def->info.name, skip) ||
            (!(def->info.flags & CFG_PER_NAME) && cfg_field_seen_before(def, format)))
            continue; /* not in this format, or written with an earlier key */
        int given = cfg_key_given(cfg, def->info.name);
        if (def->write != NULL)
            def->write(out, cfg, def->info.name, given);
        else if (given || cfg_differs_from_default(cfg, def))
            cfg_write_typed(out, cfg, def);
    }
}

/* ---- finding keys ------------------------------------------------------------------------ */

const cfg_key_def *cfg_find_key(const char *text, size_t len)
{
    for (size_t k = 0; k < cfg_n_keys; k++)
        if (cfg_key_is(text, len, cfg_keys[k].info.name))
            return &cfg_keys[k];
    return NULL;
}

void cfg_list_keys(unsigned flags, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t k = 0; k < cfg_n_keys; k++) {
        if ((cfg_keys[k].info.flags & flags) != flags)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "",
                         cfg_keys[k].info.name);
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
    for (size_t k = 0; k < cfg_n_keys && len >= 3; k++) {
        if (!(cfg_keys[k].info.flags & mode))
            continue;
        size_t d = cfg_edit_distance(text, len, cfg_keys[k].info.name);
        if (d < best_distance) {
            best_distance = d;
            best = cfg_keys[k].info.name;
        }
    }
    return best;
}
