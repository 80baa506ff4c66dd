/*
 * config.c -- reads a study file (hpsearch's YAML or a W&B sweep file) into a
 * cfg_config: the file, defaults, and the checks that need the whole config (required
 * keys, grid size). The YAML document is config_doc.c, typed node access config_yaml.c,
 * the top-level keys config_keys.c, the parameter space config_param.c and
 * config_wandb.c, `--set` overrides config_set.c.
 */
#include "config_internal.h"
#include "cli/space.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- word splitting ----------------------------------------------------------------- */

int cfg_push_word(cfg_ctx *ctx, char ***words, size_t *n, const char *text, size_t len,
                         int line)
{
    if (*n >= CFG_MAX_WORDS)
        return cfg_fail(ctx, line, "command: too many words (at most %u)", CFG_MAX_WORDS);
    char **grown = realloc(*words, (*n + 1) * sizeof *grown);
    if (grown == NULL)
        return cfg_nomem(ctx);
    *words = grown;
    int rc = cfg_strndup(ctx, text, len, &grown[*n]);
    if (rc == 0)
        (*n)++;
    return rc;
}

void cfg_free_words(char **words, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(words[k]);
    free(words);
}

/* Splits a command line into words as /bin/sh would, but without any expansion:
 * '...' is literal, "..." honours \" \\ \$ \` and line continuations, a backslash
 * outside quotes escapes the next character. */
static int cfg_split_words(cfg_ctx *ctx, const char *text, int line, char ***out, size_t *n_out)
{
    char **words = NULL;
    size_t n = 0;
    int rc = 0, meta = 0;
    char *buf = malloc(strlen(text) + 1); /* no word is longer than the text */
    if (buf == NULL)
        return cfg_nomem(ctx);
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (*p == '\0')
            break;
        size_t len = 0;
        int started = 0;
        while (*p != '\0' && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
            if (*p == '\\' && p[1] == '\n') {
                p += 2;
            } else if (*p == '\\') {
                if (p[1] == '\0') {
                    rc = cfg_fail(ctx, line, "command: ends with a lone backslash");
                    goto out;
                }
                buf[len++] = p[1];
                p += 2;
                started = 1;
            } else if (*p == '\'' || *p == '"') {
                char quote = *p++;
                while (*p != '\0' && *p != quote) {
                    if (quote == '"' && *p == '\\' && p[1] == '\n') {
                        p += 2;
                        continue;
                    }
                    if (quote == '"' && *p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]))
                        p++;
                    buf[len++] = *p++;
                }
                if (*p == '\0') {
                    rc = cfg_fail(ctx, line, "command: unterminated %s quote",
                                  quote == '"' ? "double" : "single");
                    goto out;
                }
                p++;
                started = 1;
            } else {
                if (meta == 0 && (strchr("|&;<>()`", *p) != NULL ||
                                  (*p == '$' && (p[1] == '(' || p[1] == '_' ||
                                                 isalpha((unsigned char)p[1])))))
                    meta = *p;
                buf[len++] = *p++;
                started = 1;
            }
        }
        if (started) {
            rc = cfg_push_word(ctx, &words, &n, buf, len, line);
            if (rc != 0)
                goto out;
        }
    }
    if (n == 0) {
        rc = cfg_fail(ctx, line, "command: is empty");
        goto out;
    }
    if (meta == '$')
        rc = cfg_warn(ctx, line, "command: $VARIABLES are passed literally because no shell "
                      "runs the command; write `shell: true` to run it through /bin/sh");
    else if (meta != 0)
        rc = cfg_warn(ctx, line, "command: '%c' is passed literally because no shell runs the "
                      "command; write `shell: true` to run it through /bin/sh", meta);
out:
    free(buf);
    if (rc != 0) {
        cfg_free_words(words, n);
        return rc;
    }
    *out = words;
    *n_out = n;
    return 0;
}

/* ---- whole-config checks ------------------------------------------------------------ */

/* Builds command / shell_command from a string command. Idempotent, so overrides
 * can rerun it. */
int cfg_finish_command(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    if (cfg->shell && cfg->command_string == NULL)
        return cfg_fail(ctx, cfg->command_line, "shell: true needs command to be one string, "
                        "not a list");
    cfg->shell_command = NULL;
    if (cfg->command_string == NULL)
        return 0;
    if (cfg->shell) {
        cfg->command = NULL;
        cfg->n_command = 0;
        return cfg_strndup(ctx, cfg->command_string, strlen(cfg->command_string),
                           &cfg->shell_command);
    }
    return cfg_split_words(ctx, cfg->command_string, cfg->command_line, &cfg->command,
                           &cfg->n_command);
}

uint64_t cfg_grid_size(const cfg_config *cfg)
{
    uint64_t total = 1;
    for (size_t k = 0; k < cfg->n_params; k++) {
        uint64_t n = cfg_param_grid_count(&cfg->params[k]);
        if (n == 0)
            return 0;
        total = total > UINT64_MAX / n ? UINT64_MAX : total * n;
    }
    return total;
}

/* The key syntax the metric reader (src/runner/metrics.c) recognises. */
int cfg_metric_name_ok(const char *name)
{
    if (name == NULL || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (const char *c = name + 1; *c != '\0'; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '.' || *c == '/' || *c == '-'))
            return 0;
    return 1;
}

/* Checks that depend on several keys; reruns after every override. Messages about the
 * parameters name their place in the file even for an override. */
const char *cfg_where(const cfg_config *cfg, int line, char *buf, size_t size)
{
    if (line > 0)
        snprintf(buf, size, "%s:%d", cfg->path, line);
    else
        snprintf(buf, size, "%s", cfg->path);
    return buf;
}

int cfg_space_finite(const cfg_config *cfg)
{
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        if (p->kind == CFG_FLOAT && p->step <= 0 && p->low != p->high)
            return 0;
    }
    return 1;
}

/* On a grid a condition must hold for some grid value of its parent -- a parent's
 * grid_points or step need not hit a value the condition names -- or its parameter
 * would never run. */
static int check_grid_conditions(cfg_ctx *ctx)
{
    const cfg_config *cfg = ctx->cfg;
    int rc = 0;
    for (size_t i = 0; i < cfg->n_params && rc == 0; i++) {
        const cfg_param *p = &cfg->params[i];
        for (size_t c = 0; c < p->n_when && rc == 0; c++) {
            const cfg_condition *cond = &p->when[c];
            hps_value *values;
            size_t n, held = 0;
            if (space_grid_values(&cfg->params[cond->parent_index], &values, &n) != 0)
                return 0; /* the parent's own error comes first */
            for (size_t v = 0; v < n; v++)
                held += cfg_condition_holds(cond, &values[v]);
            space_free_values(values, n);
            if (held == 0) {
                char text[256];
                cfg_describe_condition(cond, text, sizeof text);
                rc = cfg_fail(ctx, cond->line, "parameters.%s.when.%s: no grid value of '%s' "
                              "satisfies the condition (%s), so the grid would never run '%s'; "
                              "give '%s' such a value (values, step or grid_points)", p->name,
                              cond->parent, cond->parent, text, p->name, cond->parent);
            }
        }
    }
    return rc;
}

/* Some of a sampler's limits depend on the study it serves -- cmaes optimizes one
 * objective, nsga3's reference_points have a coordinate per objective -- and the library
 * checks them when the sampler joins a study. The sampler `run` would build joins a
 * throwaway in-memory study of the config's objectives here, so these errors name the
 * file and line like every other. A grid is left out: its sampler's checks are about
 * the study's stored grid, and the grid's size is checked from the parameters below. */
static int check_sampler_joins(cfg_ctx *ctx)
{
    const cfg_config *cfg = ctx->cfg;
    if (space_on_grid(cfg))
        return 0;
    hps_direction dirs[CFG_MAX_OBJECTIVES];
    for (size_t k = 0; k < cfg->n_objectives; k++)
        dirs[k] = cfg->objectives[k].direction;
    char why[1024];
    hps_sampler *sampler = NULL;
    hps_study *study = NULL;
    if (space_make_sampler(cfg, &sampler, why, sizeof why) != HPS_OK)
        return 0; /* the options were checked above; nothing more to say here */
    hps_status rc = hps_study_open(":memory:", cfg->study_name, HPS_OPEN_CREATE, dirs,
                                   cfg->n_objectives, &study, why, sizeof why);
    if (rc != HPS_OK) {
        hps_sampler_free(sampler);
        return rc == HPS_ERR_NOMEM ? cfg_nomem(ctx) : 0; /* the name's own error comes later */
    }
    rc = hps_study_set_sampler(study, sampler); /* takes the sampler, even on failure */
    if (rc != HPS_OK)
        snprintf(why, sizeof why, "%s", hps_study_errmsg(study));
    hps_study_close(study);
    if (rc == HPS_ERR_NOMEM)
        return cfg_nomem(ctx);
    if (rc != HPS_OK)
        return cfg_fail(ctx, *cfg_key_line(ctx, "sampler"), "sampler: %s", why);
    return 0;
}

int cfg_validate(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    int fidelity_rc = cfg_apply_fidelity(ctx);
    if (fidelity_rc != 0)
        return fidelity_rc;
    if (cfg->heartbeat_interval > 0 && cfg->heartbeat_grace > 0 &&
        cfg->heartbeat_grace <= cfg->heartbeat_interval)
        return cfg_fail(ctx, *cfg_key_line(ctx, "heartbeat_grace"), "heartbeat_grace (%gs) "
                        "must be longer than heartbeat_interval (%gs)", cfg->heartbeat_grace,
                        cfg->heartbeat_interval);
    if (cfg->shuffle && strcmp(cfg->sampler, "grid") != 0)
        return cfg_fail(ctx, *cfg_key_line(ctx, "shuffle"), "shuffle: only the grid sampler "
                        "has an order to shuffle (the sampler is %s)", cfg->sampler);
    if (cfg->n_sampler_options > 0) {
        /* the library knows each sampler's options: build one to check them now */
        hps_sampler *probe = NULL;
        char why[512];
        int rc = hps_sampler_new(cfg->sampler, &probe, why, sizeof why) == HPS_OK ? 0 : -1;
        for (size_t k = 0; rc == 0 && k < cfg->n_sampler_options; k++) {
            if (hps_sampler_set(probe, cfg->sampler_keys[k], cfg->sampler_values[k]) != HPS_OK) {
                snprintf(why, sizeof why, "%s", hps_sampler_errmsg(probe));
                rc = -1;
            }
        }
        hps_sampler_free(probe);
        if (rc != 0)
            return cfg_fail(ctx, *cfg_key_line(ctx, "sampler"), "sampler: %s", why);
    }
    if (cfg_is_conditional(cfg) && cfg->repeats > 1 && strcmp(cfg->sampler, "grid") != 0)
        return cfg_fail(ctx, *cfg_key_line(ctx, "repeats"), "repeats: the configurations of a "
                        "conditional space (when:) are counted by the grid sampler only; use "
                        "sampler: grid (the sampler is %s)", cfg->sampler);
    if (cfg->repeats > 1 && !cfg_space_finite(cfg) && strcmp(cfg->sampler, "grid") != 0)
        return cfg_fail(ctx, *cfg_key_line(ctx, "repeats"), "repeats: %u runs per "
                        "configuration need a finite space, but some parameter is a continuous "
                        "range (give it a step or values)", cfg->repeats);
    int rc = cfg_check_objectives(ctx);
    if (rc == 0)
        rc = cfg_check_initial(ctx);
    if (rc == 0)
        rc = cfg_check_pbt(ctx);
    if (rc != 0)
        return rc;
    if (CFG_TERMINATE_ON(&cfg->terminate) && cfg->n_objectives > 1)
        return cfg_fail(ctx, cfg->terminate.line, "terminate: its rules follow one objective's "
                        "best value, and this study has %zu (metrics); stop it with n_trials "
                        "or timeout instead", cfg->n_objectives);
    rc = check_sampler_joins(ctx);
    if (rc != 0)
        return rc;
    if (strcmp(cfg->sampler, "grid") != 0)
        return 0;
    const char *saved = ctx->file;
    ctx->file = cfg->path;
    size_t widest = 0;
    uint64_t widest_n = 0;
    for (size_t k = 0; k < cfg->n_params && rc == 0; k++) {
        uint64_t n = cfg_param_grid_count(&cfg->params[k]);
        if (n == 0)
            rc = cfg_fail(ctx, cfg->params[k].line, "parameter '%s': the grid sampler needs a "
                          "finite set of values: give values, %s or grid_points",
                          cfg->params[k].name, cfg->is_wandb ? "a q_ distribution" : "step");
        if (n > widest_n) {
            widest_n = n;
            widest = k;
        }
    }
    if (rc == 0)
        rc = check_grid_conditions(ctx);
    uint64_t total = rc == 0 ? space_grid_cells(cfg) : 0;
    if (rc == 0 && total > CFG_MAX_GRID_CELLS) {
        char size[40];
        if (total == UINT64_MAX)
            snprintf(size, sizeof size, "more than %" PRIu64, UINT64_MAX - 1);
        else
            snprintf(size, sizeof size, "%" PRIu64, total);
        rc = cfg_fail(ctx, cfg->parameters_line, "the grid has %s cells, more than the %u "
                      "allowed; parameter '%s' alone has %" PRIu64 " values (line %d): give a "
                      "larger step or fewer values", size, CFG_MAX_GRID_CELLS,
                      cfg->params[widest].name, widest_n, cfg->params[widest].line);
    }
    ctx->file = saved;
    return rc;
}

/* Required keys, defaults and whole-config checks after all keys were read. */
static int cfg_finish(cfg_ctx *ctx, int root_line)
{
    cfg_config *cfg = ctx->cfg;
    int rc;
    if (cfg->n_objectives == 0 || cfg->objectives[0].name == NULL)
        return cfg_fail(ctx, root_line, cfg->is_wandb
                        ? "missing metric: add metric: {name: ..., goal: minimize|maximize}"
                        : "missing metric: name the value to optimize, e.g. metric: val_loss");
    if (cfg->n_params == 0)
        return cfg_fail(ctx, root_line, "missing parameters: declare the search space under "
                        "parameters:");
    if (cfg->is_wandb && cfg->command == NULL && cfg->command_string == NULL) {
        static const char *const default_command[] = {"${env}", "${interpreter}",
                                                      "${program}", "${args}"};
        if (cfg->program == NULL)
            return cfg_fail(ctx, root_line, "missing program (the training script) or command");
        for (size_t k = 0; k < 4; k++) {
            rc = cfg_push_word(ctx, &cfg->command, &cfg->n_command, default_command[k],
                               strlen(default_command[k]), root_line);
            if (rc != 0)
                return rc;
        }
    }
    if (cfg->command == NULL && cfg->command_string == NULL)
        return cfg_fail(ctx, root_line, "missing command: the command that runs one trial, "
                        "e.g. command: python3 train.py --lr {lr}");
    rc = cfg_finish_command(ctx);
    if (rc != 0)
        return rc;
    for (size_t k = 0; k < cfg->n_command && cfg->program == NULL; k++)
        if (strstr(cfg->command[k], "${program}") != NULL)
            return cfg_fail(ctx, cfg->command_line, "command: uses ${program} but no program "
                            "is given");

    rc = cfg_keys_fill_defaults(ctx);
    if (rc != 0)
        return rc;
    return cfg_validate(ctx);
}

/* ---- loading ------------------------------------------------------------------------ */

static cfg_config *cfg_new(void)
{
    cfg_config *cfg = calloc(1, sizeof *cfg);
    if (cfg != NULL)
        cfg_keys_set_defaults(cfg);
    return cfg;
}

/* A metric mapping in W&B's form: hpsearch's own {name, regex, summary} has no goal,
 * target or impute. */
static int cfg_metric_is_wandb(const cfg_node *metric)
{
    static const char *const wandb_only[] = {"goal", "target", "impute", "impute_while_running"};
    if (metric != NULL && metric->kind == CFG_NODE_ALIAS)
        metric = metric->target;
    if (metric == NULL || metric->kind != CFG_NODE_MAPPING)
        return 0;
    for (size_t k = 0; k < sizeof wandb_only / sizeof wandb_only[0]; k++)
        if (cfg_map_lookup(metric, wandb_only[k]) != NULL)
            return 1;
    return 0;
}

static int cfg_load_text(const char *text, size_t len, const char *name, char *dir,
                         cfg_config **out, char *err, size_t errlen)
{
    cfg_yaml y;
    cfg_ctx ctx;
    memset(&y, 0, sizeof y);
    memset(&ctx, 0, sizeof ctx);
    ctx.file = name;
    ctx.err = err;
    ctx.errlen = errlen;
    *out = NULL;
    int rc;
    cfg_config *cfg = cfg_new();
    if (cfg == NULL) {
        free(dir);
        return cfg_nomem(&ctx);
    }
    cfg->dir = dir;
    ctx.cfg = cfg;
    ctx.base_dir = dir;
    rc = cfg_strndup(&ctx, name, strlen(name), &cfg->path);
    if (rc != 0)
        goto out;
    if (len > CFG_MAX_FILE_BYTES) {
        rc = cfg_fail(&ctx, 0, "the file is too large (%zu bytes; at most %u)", len,
                      CFG_MAX_FILE_BYTES);
        goto out;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) { /* a clearer word than the parser's about a control character */
        int line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        rc = cfg_fail(&ctx, line, "the file contains a NUL byte; is it a text file?");
        goto out;
    }
    rc = cfg_yaml_open(&ctx, text, len, &y);
    if (rc != 0)
        goto out;
    const cfg_node *root = y.root;
    int root_line = cfg_node_line(root, 1);
    if (root != NULL) {
        rc = cfg_node_deref(&ctx, root, root_line, "top level", &root);
        if (rc != 0)
            goto out;
    }
    if (root == NULL || (root->kind == CFG_NODE_SCALAR && root->len == 0)) {
        rc = cfg_fail(&ctx, 1, "the file is empty; expected settings such as metric, command "
                      "and parameters");
        goto out;
    }
    if (root->kind != CFG_NODE_MAPPING) {
        rc = cfg_fail(&ctx, root_line, "the top level must be a mapping of settings (key: "
                      "value lines), not %s", root->kind == CFG_NODE_SEQUENCE ? "a list"
                                                                               : "a value");
        goto out;
    }
    cfg->is_wandb = cfg_map_lookup(root, "program") != NULL ||
                    cfg_map_lookup(root, "method") != NULL ||
                    cfg_metric_is_wandb(cfg_map_lookup(root, "metric"));

    const cfg_node *iter = NULL;
    cfg_entry e;
    unsigned mode = cfg->is_wandb ? CFG_WANDB : CFG_NATIVE;
    while (rc == 0 && cfg_map_next(&ctx, root, &iter, root_line, "top level", &e, &rc)) {
        const char *key = e.key;
        size_t klen = e.len;
        int line = e.line;
        const cfg_key_def *def = cfg_find_key(key, klen);
        if (def != NULL && (def->info.flags & mode)) {
            rc = cfg_read_key(&ctx, def, e.value, line);
        } else if (def != NULL) {
            rc = cfg_fail(&ctx, line, "unknown key '%s' in a%s file (%s)", def->info.name,
                          cfg->is_wandb ? " W&B sweep" : "n hpsearch",
                          def->elsewhere != NULL ? def->elsewhere
                          : "it belongs to W&B sweep files, which have `program` or `method` "
                            "at the top level");
        } else {
            const char *hint = cfg_suggest_key(key, klen, mode);
            rc = cfg_fail(&ctx, line, "unknown key '%.*s'%s%s%s", (int)(klen > 64 ? 64 : klen),
                          key, hint != NULL ? " (did you mean '" : "", hint != NULL ? hint : "",
                          hint != NULL ? "'?)" : "");
        }
    }
    if (rc == 0)
        rc = cfg_finish(&ctx, root_line);
out:
    cfg_yaml_close(&y);
    if (rc != 0) {
        cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int cfg_cwd(cfg_ctx *ctx, char **out)
{
    *out = getcwd(NULL, 0);
    if (*out != NULL)
        return 0;
    if (errno == ENOMEM)
        return cfg_nomem(ctx);
    char why[128];
    if (strerror_r(errno, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", errno);
    return cfg_fail(ctx, 0, "cannot determine the current directory: %s", why);
}

int cfg_load_string(const char *text, size_t len, const char *name, cfg_config **out,
                    char *err, size_t errlen)
{
    cfg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.err = err;
    ctx.errlen = errlen;
    ctx.file = name != NULL ? name : "<string>";
    *out = NULL;
    char *dir;
    int rc = cfg_cwd(&ctx, &dir);
    if (rc != 0)
        return rc;
    return cfg_load_text(text != NULL ? text : "", text != NULL ? len : 0, ctx.file, dir, out,
                         err, errlen);
}

static int cfg_io_error(cfg_ctx *ctx, const char *verb, const char *path)
{
    int saved = errno;
    char why[128];
    if (strerror_r(saved, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", saved);
    ctx->file = NULL;
    return saved == ENOMEM ? cfg_nomem(ctx) : cfg_fail(ctx, 0, "cannot %s %s: %s", verb, path, why);
}

int cfg_load(const char *path, cfg_config **out, char *err, size_t errlen)
{
    cfg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.err = err;
    ctx.errlen = errlen;
    ctx.file = path;
    *out = NULL;
    char *buf = NULL, *dir_part = NULL, *dir = NULL;
    size_t len = 0;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cfg_io_error(&ctx, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = cfg_io_error(&ctx, "read", path);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        rc = cfg_io_error(&ctx, "read", path);
        goto out;
    }
    /* Read at most one byte past the cap: enough to know it is too large, also for
     * pipes whose size fstat cannot tell. */
    buf = malloc(CFG_MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        rc = cfg_nomem(&ctx);
        goto out;
    }
    while (len <= CFG_MAX_FILE_BYTES) {
        ssize_t got = read(fd, buf + len, CFG_MAX_FILE_BYTES + 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = cfg_io_error(&ctx, "read", path);
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len > CFG_MAX_FILE_BYTES) {
        rc = cfg_fail(&ctx, 0, "the file is too large (more than %u bytes)", CFG_MAX_FILE_BYTES);
        goto out;
    }
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        rc = cfg_strndup(&ctx, ".", 1, &dir_part);
    else if (slash == path)
        rc = cfg_strndup(&ctx, "/", 1, &dir_part);
    else
        rc = cfg_strndup(&ctx, path, (size_t)(slash - path), &dir_part);
    if (rc != 0)
        goto out;
    dir = realpath(dir_part, NULL);
    if (dir == NULL) {
        rc = cfg_io_error(&ctx, "resolve the directory of", path);
        goto out;
    }
    rc = cfg_load_text(buf, len, path, dir, out, err, errlen);
    dir = NULL; /* owned by the config (or freed) now */
out:
    close(fd);
    free(buf);
    free(dir_part);
    free(dir);
    return rc;
}

/* ---- freeing ---------------------------------------------------------- */

void cfg_free(cfg_config *cfg)
{
    if (cfg == NULL)
        return;
    cfg_config none;
    memset(&none, 0, sizeof none);
    cfg_free_replaced(cfg, &none); /* every key's fields */
    free(cfg->path);
    free(cfg->dir);
    cfg_free_words(cfg->warnings, cfg->n_warnings);
    free(cfg);
}
