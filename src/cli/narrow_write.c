/* narrow_write.c -- the config `hpsearch narrow` writes (see narrow.h): the old config
 * with the narrowed space, the new budget and sampler, and its paths (workdir, storage,
 * log_dir) rewritten to resolve from the new file's directory. */
#include "cli/cli.h"
#include "cli/narrow.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *narrow_wandb_method(const char *sampler)
{
    return strcmp(sampler, "grid") == 0 || strcmp(sampler, "random") == 0 ? sampler : "bayes";
}

/* ---- paths ------------------------------------------------------------------------------ */

/* `path` (absolute) as written in a file in directory `from` (absolute, canonical):
 * relative when both lie under one top directory (a project moved or copied whole keeps
 * working), else absolute. */
static void path_from(const char *from, const char *path, char *out, size_t size)
{
    const char *f = from, *p = path;
    const char *common_f = from, *common_p = path; /* ends of the shared components */
    for (;;) {
        while (*f == '/')
            f++;
        while (*p == '/')
            p++;
        size_t lf = strcspn(f, "/"), lp = strcspn(p, "/");
        if (lf == 0 || lf != lp || strncmp(f, p, lf) != 0)
            break;
        f += lf;
        p += lp;
        common_f = f;
        common_p = p;
    }
    if (common_p == path) { /* nothing shared below the root */
        snprintf(out, size, "%s", path);
        return;
    }
    out[0] = '\0';
    for (const char *c = common_f; *c != '\0';) {
        while (*c == '/')
            c++;
        if (*c == '\0')
            break;
        snprintf(out + strlen(out), size - strlen(out), "../");
        c += strcspn(c, "/");
    }
    while (*common_p == '/')
        common_p++;
    snprintf(out + strlen(out), size - strlen(out), "%s", common_p);
    size_t len = strlen(out);
    if (len == 0)
        snprintf(out, size, ".");
    else if (out[len - 1] == '/')
        out[len - 1] = '\0';
}

int narrow_canonical_file(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash == NULL ? 1 : (int)(slash - path),
             slash == NULL ? "." : slash == path ? "/" : path);
    char *real = realpath(dir, NULL);
    if (real == NULL)
        return -1;
    snprintf(out, size, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
             slash == NULL ? path : slash + 1);
    free(real);
    return 0;
}

/* A study name as a file-name part (as `hpsearch run` names its log directory). */
static void safe_name(const char *name, char *buf, size_t size)
{
    size_t k = 0;
    for (const char *c = name; *c != '\0' && k + 1 < size; c++, k++) {
        unsigned char ch = (unsigned char)*c;
        buf[k] = ch == '/' || ch == '\\' || ch < 0x20 || (k == 0 && ch == '.') ? '_' : (char)ch;
    }
    buf[k] = '\0';
}

/* ---- writing the new config ------------------------------------------------------------ */

static void yaml_string(FILE *f, const char *s)
{
    json_t *str = json_string(s);
    char *text = str != NULL ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
    fputs(text != NULL ? text : "\"\"", f);
    free(text);
    json_decref(str);
}

static void yaml_value(FILE *f, hps_value v)
{
    if (v.type == HPS_VALUE_STRING) {
        yaml_string(f, v.u.s);
        return;
    }
    char buf[64];
    cli_format_value(v, buf, sizeof buf);
    if (v.type == HPS_VALUE_BOOL)
        fputs(v.u.b ? "true" : "false", f);
    else
        fputs(buf, f);
}

static void yaml_number(FILE *f, const cfg_param *p, double x)
{
    hps_value v = {.type = p->kind == CFG_INT ? HPS_VALUE_INT : HPS_VALUE_FLOAT};
    if (p->kind == CFG_INT)
        v.u.i = (int64_t)llround(x);
    else
        v.u.f = x;
    yaml_value(f, v);
}

static void write_param(FILE *f, const cfg_param *p, int wandb)
{
    fprintf(f, "  %s:\n", p->name);
    if (p->kind == CFG_CONSTANT) {
        fprintf(f, "    value: ");
        yaml_value(f, p->values[0]);
        fprintf(f, "\n");
        return;
    }
    if (p->kind == CFG_CATEGORICAL || (p->n_values > 0 && wandb)) {
        fprintf(f, "    values: [");
        for (size_t i = 0; i < p->n_values; i++) {
            fputs(i > 0 ? ", " : "", f);
            yaml_value(f, p->values[i]);
        }
        fprintf(f, "]\n");
        return;
    }
    int log_scale = (p->flags & HPS_LOG) != 0;
    if (wandb) {
        const char *dist = p->kind == CFG_INT ? (log_scale ? "q_log_uniform_values" : "int_uniform")
                           : p->step > 0     ? (log_scale ? "q_log_uniform_values" : "q_uniform")
                           : log_scale       ? "log_uniform_values"
                                             : "uniform";
        fprintf(f, "    distribution: %s\n    min: ", dist);
        yaml_number(f, p, p->low);
        fprintf(f, "\n    max: ");
        yaml_number(f, p, p->high);
        fprintf(f, "\n");
        if (p->step > 0 || (p->kind == CFG_INT && log_scale)) {
            fprintf(f, "    q: ");
            yaml_number(f, p, p->step > 0 ? p->step : 1);
            fprintf(f, "\n");
        }
        return;
    }
    fprintf(f, "    type: %s\n    low: ", p->kind == CFG_INT ? "int" : "float");
    yaml_number(f, p, p->low);
    fprintf(f, "\n    high: ");
    yaml_number(f, p, p->high);
    fprintf(f, "\n");
    if (p->step > 0 && !(p->kind == CFG_INT && p->step == 1)) {
        fprintf(f, "    step: ");
        yaml_number(f, p, p->step);
        fprintf(f, "\n");
    }
    if (log_scale)
        fprintf(f, "    log: true\n");
    if (p->n_values > 0) {
        fprintf(f, "    values: [");
        for (size_t i = 0; i < p->n_values; i++) {
            fputs(i > 0 ? ", " : "", f);
            yaml_value(f, p->values[i]);
        }
        fprintf(f, "]\n");
    }
}

/* metric.regex and metric.summary as lines of a metric mapping, when given. */
static void write_metric_reading(FILE *f, const cfg_config *cfg)
{
    if (cfg->metric_regex != NULL) {
        fprintf(f, "  regex: ");
        yaml_string(f, cfg->metric_regex);
        fprintf(f, "\n");
    }
    if (cfg->metric_summary != CFG_SUMMARY_LAST)
        fprintf(f, "  summary: %s\n", cfg_summary_names[cfg->metric_summary]);
}

static void write_pruner(FILE *f, const cfg_pruner *p)
{
    fprintf(f, "{name: ");
    yaml_string(f, p->name);
    for (size_t i = 0; i < p->n_options; i++) {
        fprintf(f, ", %s: ", p->keys[i]);
        yaml_string(f, p->values[i]);
    }
    if (p->wrapped != NULL) {
        fprintf(f, ", wraps: ");
        write_pruner(f, p->wrapped);
    }
    fprintf(f, "}");
}

void narrow_describe_budget(const narrow_plan *plan, char *buf, size_t size)
{
    if (plan->new_trials == 0)
        snprintf(buf, size, "none (runs until stopped%s)", plan->grid ? " or the grid is done" : "");
    else if (plan->warm > 0)
        snprintf(buf, size, "%llu = %zu warm-started trial%s + %llu new trial%s",
                 (unsigned long long)(plan->warm + plan->new_trials), plan->warm,
                 plan->warm == 1 ? "" : "s", (unsigned long long)plan->new_trials,
                 plan->new_trials == 1 ? "" : "s");
    else
        snprintf(buf, size, "%llu new trial%s", (unsigned long long)plan->new_trials,
                 plan->new_trials == 1 ? "" : "s");
}

/* Paths as seen from the new file's directory (plan->dir). */
static void write_paths(FILE *f, const cfg_config *cfg, const narrow_plan *plan)
{
    char path[PATH_MAX + 16], shown[PATH_MAX];
    if (strncmp(cfg->storage, "sqlite:", 7) == 0 && strcmp(cfg->storage, "sqlite::memory:") != 0 &&
        narrow_canonical_file(cfg->storage + 7, path, sizeof path) == 0) {
        path_from(plan->dir, path, shown, sizeof shown);
        snprintf(path, sizeof path, "sqlite:%s", shown);
        fprintf(f, "storage: ");
        yaml_string(f, path);
    } else {
        fprintf(f, "storage: ");
        yaml_string(f, cfg->storage);
    }
    fprintf(f, "\n");
    /* trials run where the old ones did (W&B: where the sweep is started, unless given) */
    if ((cfg->is_wandb && cfg_key_given(cfg, "workdir")) ||
        (!cfg->is_wandb && strcmp(cfg->workdir, plan->dir) != 0)) {
        path_from(plan->dir, cfg->workdir, shown, sizeof shown);
        fprintf(f, "workdir: ");
        yaml_string(f, shown);
        fprintf(f, "\n");
    }
    /* a log directory of the user's gets a folder for the new study, so its trial logs
     * do not mix with the old study's */
    if (cfg->log_dir != NULL) {
        char safe[256];
        safe_name(plan->study, safe, sizeof safe);
        snprintf(path, sizeof path, "%s/%s", cfg->log_dir, safe);
        path_from(plan->dir, path, shown, sizeof shown);
        fprintf(f, "log_dir: ");
        yaml_string(f, shown);
        fprintf(f, "\n");
    }
}

static void write_sampler(FILE *f, const cfg_config *cfg)
{
    if (cfg->is_wandb) {
        fprintf(f, "method: %s\n", narrow_wandb_method(cfg->sampler));
        return;
    }
    if (cfg->n_sampler_options == 0) {
        fprintf(f, "sampler: ");
        yaml_string(f, cfg->sampler);
        fprintf(f, "\n");
        return;
    }
    fprintf(f, "sampler:\n  name: ");
    yaml_string(f, cfg->sampler);
    fprintf(f, "\n");
    for (size_t i = 0; i < cfg->n_sampler_options; i++) {
        fprintf(f, "  %s: ", cfg->sampler_keys[i]);
        yaml_string(f, cfg->sampler_values[i]);
        fprintf(f, "\n");
    }
}

int narrow_write_config(const cfg_config *cfg, const narrow_plan *plan)
{
    FILE *f = fopen(plan->path, "w");
    if (f == NULL) {
        cli_error("narrow: cannot write %s: %s", plan->path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    int wandb = cfg->is_wandb;
    char budget[160];
    narrow_describe_budget(plan, budget, sizeof budget);
    fprintf(f, "# Narrowed by `hpsearch narrow` around the best %zu of the %zu COMPLETE trials of "
               "study '%s'.\n",
            plan->top, plan->n_complete, plan->from_study);
    if (plan->grid)
        fprintf(f, "# The grid is refined around the best cells: %llu cells, %llu new.\n",
                (unsigned long long)plan->grid_cells, (unsigned long long)plan->grid_new);
    fprintf(f, "# %s: %s.\n# %s: %s.\n", wandb ? "run_cap" : "n_trials", budget,
            wandb ? "method" : "sampler", plan->sampler_said);
    fprintf(f, "%s: ", wandb ? "name" : "study");
    yaml_string(f, plan->study);
    fprintf(f, "\n");
    write_paths(f, cfg, plan);
    if (wandb) {
        write_sampler(f, cfg);
        fprintf(f, "metric:\n  name: ");
        yaml_string(f, cfg->metric);
        fprintf(f, "\n  goal: %s\n", cfg->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
        write_metric_reading(f, cfg);
        if (cfg->has_target)
            fprintf(f, "  target: %.17g\n", cfg->target);
        if (cfg->program != NULL) {
            fprintf(f, "program: ");
            yaml_string(f, cfg->program);
            fprintf(f, "\n");
        }
        if (plan->new_trials > 0)
            fprintf(f, "run_cap: %llu\n", (unsigned long long)(plan->warm + plan->new_trials));
    } else {
        fprintf(f, "direction: %s\n", cfg->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
        if (cfg->metric_regex != NULL || cfg->metric_summary != CFG_SUMMARY_LAST)
            fprintf(f, "metric:\n  name: ");
        else
            fprintf(f, "metric: ");
        yaml_string(f, cfg->metric);
        fprintf(f, "\n");
        write_metric_reading(f, cfg);
        write_sampler(f, cfg);
        if (plan->new_trials > 0)
            fprintf(f, "n_trials: %llu\n", (unsigned long long)(plan->warm + plan->new_trials));
    }
    if (cfg->has_seed)
        fprintf(f, "seed: %llu\n", (unsigned long long)cfg->seed);
    if (cfg->shuffle)
        fprintf(f, "shuffle: true\n");
    if (cfg->parallel > 1)
        fprintf(f, "parallel: %u\n", cfg->parallel);
    if (cfg->timeout > 0)
        fprintf(f, "timeout: %g\n", cfg->timeout);
    if (cfg->trial_timeout > 0)
        fprintf(f, "trial_timeout: %g\n", cfg->trial_timeout);
    if (cfg->timeout_state == HPS_PRUNED)
        fprintf(f, "timeout_state: pruned\n");
    if (cfg->retries > 0)
        fprintf(f, "retries: %u\n", cfg->retries);
    if (cfg->repeats > 1)
        fprintf(f, "repeats: %u\n", cfg->repeats);
    if (cfg->max_failures != CFG_DEFAULT_MAX_FAILURES)
        fprintf(f, "max_failures: %u\n", cfg->max_failures);
    if (cfg->log_limit_mb != CFG_DEFAULT_LOG_LIMIT_MB)
        fprintf(f, "log_limit_mb: %u\n", cfg->log_limit_mb);
    if (cfg->heartbeat_interval != 5.0 || cfg->heartbeat_grace != 60.0)
        fprintf(f, "heartbeat_interval: %.17g\nheartbeat_grace: %.17g\n", cfg->heartbeat_interval,
                cfg->heartbeat_grace);
    if (cfg->n_gpus > 0) {
        fprintf(f, "gpus: [");
        for (size_t i = 0; i < cfg->n_gpus; i++) {
            fputs(i > 0 ? ", " : "", f);
            yaml_string(f, cfg->gpus[i]);
        }
        fprintf(f, "]\n");
    }
    if (cfg->pruner != NULL) {
        fprintf(f, "pruner: ");
        write_pruner(f, cfg->pruner);
        fprintf(f, "\n");
    }
    if (cfg->fidelity != NULL) { /* its parameter is written as the constant it became */
        fprintf(f, "fidelity: {name: ");
        yaml_string(f, cfg->fidelity);
        fprintf(f, ", min: %.17g, max: %.17g}\n", cfg->fidelity_min, cfg->fidelity_max);
    }
    if (cfg->shell_command != NULL) {
        fprintf(f, "shell: true\ncommand: ");
        yaml_string(f, cfg->shell_command);
        fprintf(f, "\n");
    } else {
        fprintf(f, "command:\n");
        for (size_t i = 0; i < cfg->n_command; i++) {
            fprintf(f, "  - ");
            yaml_string(f, cfg->command[i]);
            fprintf(f, "\n");
        }
    }
    fprintf(f, "parameters:\n");
    for (size_t i = 0; i < cfg->n_params; i++)
        write_param(f, &cfg->params[i], wandb);
    if (fclose(f) != 0) {
        cli_error("narrow: cannot write %s: %s", plan->path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    return 0;
}
