/* cmd_narrow.c -- `hpsearch narrow CONFIG.yaml --top K [-o OUT.yaml] [--warm-start]`:
 * the seed article's "broad random search first, then narrow" as one command.
 *
 * It reads the study a config ran, takes the best K COMPLETE trials, and writes a new
 * config whose ranges shrink around them: numeric ranges to the span of the top
 * values plus a margin (in log space for log parameters, rounded outward onto ints and
 * steps, never past the original bounds), categoricals to the choices that did well.
 * Everything else is kept. With --warm-start the new study starts with the old trials
 * that lie inside the new space, so a model-based sampler does not start from
 * nothing. */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/space.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct narrow_opts {
    const char *config;
    const char *out;
    const char *study;
    long top;
    double margin; /* fraction of the top values' span added on each side */
    int warm_start;
} narrow_opts;

/* ---- choosing the top trials ------------------------------------------------------- */

typedef struct ranked {
    const hps_frozen *trial;
    double value;
} ranked;

static int by_value_asc(const void *a, const void *b)
{
    double x = ((const ranked *)a)->value, y = ((const ranked *)b)->value;
    return (x > y) - (x < y);
}

/* The COMPLETE trials, best first. */
static ranked *rank_trials(hps_study *study, hps_direction dir, size_t *n_out)
{
    size_t n = 0, count = 0;
    *n_out = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return NULL;
    ranked *items = calloc(n + 1, sizeof *items);
    if (items == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK || hps_frozen_state(t) != HPS_COMPLETE ||
            hps_frozen_n_values(t) < 1 || !isfinite(hps_frozen_value(t, 0)))
            continue;
        double v = hps_frozen_value(t, 0);
        items[count].trial = t;
        items[count].value = dir == HPS_MAXIMIZE ? -v : v;
        count++;
    }
    qsort(items, count, sizeof *items, by_value_asc);
    *n_out = count;
    return items;
}

/* The external numeric value of `name` in a trial; 0 when absent or not numeric. */
static int numeric_param(const hps_frozen *t, const char *name, double *out)
{
    long idx = hps_frozen_param_index(t, name);
    if (idx < 0)
        return 0;
    hps_value v = hps_frozen_param_value(t, (size_t)idx);
    if (v.type == HPS_VALUE_INT)
        *out = (double)v.u.i;
    else if (v.type == HPS_VALUE_FLOAT)
        *out = v.u.f;
    else
        return 0;
    return 1;
}

/* ---- narrowing one parameter ----------------------------------------------------------- */

/* Rounds a bound outward onto the parameter's own grid (ints, steps). */
static double align(const cfg_param *p, double x, int up)
{
    double step = p->step > 0 ? p->step : (p->kind == CFG_INT ? 1 : 0);
    if (step <= 0)
        return x;
    double k = (x - p->low) / step;
    k = up ? ceil(k - 1e-9) : floor(k + 1e-9);
    return p->low + k * step;
}

/* x to 4 significant digits, rounded down (or up), as the shortest text prints it. */
static double round_outward(double x, int up)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3e", x);
    double r = strtod(buf, NULL);
    if (up ? r >= x : r <= x)
        return r;
    /* one unit in the 4th digit the other way */
    char *e = strchr(buf, 'e');
    int exponent = e != NULL ? atoi(e + 1) : 0;
    double unit = pow(10, exponent - 3);
    snprintf(buf, sizeof buf, "%.3e", up ? r + unit : r - unit);
    return strtod(buf, NULL);
}

static void narrow_range(cfg_param *p, const ranked *top, size_t k, double margin)
{
    int log_scale = (p->flags & HPS_LOG) && p->low > 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < k; i++) {
        double v;
        if (!numeric_param(top[i].trial, p->name, &v))
            continue;
        double u = log_scale ? log(v) : v;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    if (!(lo <= hi))
        return; /* no top trial has it: keep the original range */
    double full_lo = log_scale ? log(p->low) : p->low, full_hi = log_scale ? log(p->high) : p->high;
    /* A single distinct value still deserves room around it: a tenth of the range. */
    double span = hi > lo ? hi - lo : 0.1 * (full_hi - full_lo);
    lo = fmax(full_lo, lo - margin * span);
    hi = fmin(full_hi, hi + margin * span);
    double new_low = log_scale ? exp(lo) : lo, new_high = log_scale ? exp(hi) : hi;
    new_low = fmax(p->low, align(p, new_low, 0));
    new_high = fmin(p->high, align(p, new_high, 1));
    if (log_scale) { /* exp(log(x)) may miss x by an ulp: keep the original ends */
        if (lo <= full_lo)
            new_low = p->low;
        if (hi >= full_hi)
            new_high = p->high;
    }
    if (p->kind == CFG_FLOAT && p->step == 0) {
        /* 4 significant digits, rounded outward: a config people read */
        double rl = round_outward(new_low, 0), rh = round_outward(new_high, 1);
        if (rl >= p->low && (!log_scale || rl > 0))
            new_low = rl;
        if (rh <= p->high)
            new_high = rh;
    }
    p->low = new_low;
    p->high = new_high;
    /* explicit grid values outside the new range go */
    size_t kept = 0;
    for (size_t i = 0; i < p->n_values; i++) {
        double v = p->values[i].type == HPS_VALUE_INT ? (double)p->values[i].u.i : p->values[i].u.f;
        if (v >= new_low && v <= new_high)
            p->values[kept++] = p->values[i];
    }
    p->n_values = kept;
    p->grid_points = 0;
}

static void narrow_choices(cfg_param *p, const ranked *top, size_t k)
{
    size_t kept = 0;
    for (size_t c = 0; c < p->n_values; c++) {
        int used = 0;
        for (size_t i = 0; i < k && !used; i++) {
            long idx = hps_frozen_param_index(top[i].trial, p->name);
            if (idx < 0)
                continue;
            hps_value v = hps_frozen_param_value(top[i].trial, (size_t)idx);
            char a[256], b[256];
            cli_format_value(v, a, sizeof a);
            cli_format_value(p->values[c], b, sizeof b);
            used = v.type == p->values[c].type && strcmp(a, b) == 0;
        }
        if (used) {
            hps_value keep = p->values[c];
            p->values[c] = p->values[kept]; /* swap, so strings are freed exactly once */
            p->values[kept++] = keep;
        }
    }
    if (kept == 0)
        return;
    for (size_t c = kept; c < p->n_values; c++) /* the config owns its strings */
        if (p->values[c].type == HPS_VALUE_STRING)
            free((char *)p->values[c].u.s);
    p->n_values = kept;
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

static int write_config(const cfg_config *cfg, const char *path, const char *study,
                        const char *from_study, size_t k)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        cli_error("narrow: cannot write %s: %s", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    int wandb = cfg->is_wandb;
    fprintf(f, "# Narrowed by `hpsearch narrow` around the best %zu trial%s of study '%s'.\n", k,
            k == 1 ? "" : "s", from_study);
    fprintf(f, "%s: ", wandb ? "name" : "study");
    yaml_string(f, study);
    fprintf(f, "\nstorage: ");
    yaml_string(f, cfg->storage);
    if (wandb) {
        fprintf(f, "\nmethod: %s\nmetric:\n  name: ",
                strcmp(cfg->sampler, "grid") == 0 ? "grid"
                : strcmp(cfg->sampler, "random") == 0 ? "random" : "bayes");
        yaml_string(f, cfg->metric);
        fprintf(f, "\n  goal: %s\n", cfg->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
        write_metric_reading(f, cfg);
        if (cfg->program != NULL) {
            fprintf(f, "program: ");
            yaml_string(f, cfg->program);
            fprintf(f, "\n");
        }
        if (cfg->n_trials > 0)
            fprintf(f, "run_cap: %llu\n", (unsigned long long)cfg->n_trials);
    } else {
        fprintf(f, "\ndirection: %s\n", cfg->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
        if (cfg->metric_regex != NULL || cfg->metric_summary != CFG_SUMMARY_LAST)
            fprintf(f, "metric:\n  name: ");
        else
            fprintf(f, "metric: ");
        yaml_string(f, cfg->metric);
        fprintf(f, "\n");
        write_metric_reading(f, cfg);
        fprintf(f, "sampler: ");
        yaml_string(f, cfg->sampler);
        fprintf(f, "\n");
        if (cfg->n_trials > 0)
            fprintf(f, "n_trials: %llu\n", (unsigned long long)cfg->n_trials);
    }
    if (cfg->has_seed)
        fprintf(f, "seed: %llu\n", (unsigned long long)cfg->seed);
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
    if (cfg->n_gpus > 0) {
        fprintf(f, "gpus: [");
        for (size_t i = 0; i < cfg->n_gpus; i++) {
            fputs(i > 0 ? ", " : "", f);
            yaml_string(f, cfg->gpus[i]);
        }
        fprintf(f, "]\n");
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
        cli_error("narrow: cannot write %s: %s", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    return 0;
}

/* ---- warm start ------------------------------------------------------------------------ */

/* Whether every parameter of `old` lies inside the narrowed space. */
static int fits(const cfg_config *narrowed, const hps_frozen *old)
{
    for (size_t i = 0; i < narrowed->n_params; i++) {
        const cfg_param *p = &narrowed->params[i];
        long idx = hps_frozen_param_index(old, p->name);
        if (idx < 0)
            return 0;
        hps_value v = hps_frozen_param_value(old, (size_t)idx);
        if (p->kind == CFG_FLOAT || p->kind == CFG_INT) {
            double x;
            if (!numeric_param(old, p->name, &x) || x < p->low || x > p->high)
                return 0;
            continue;
        }
        int found = 0;
        char a[256], b[256];
        cli_format_value(v, a, sizeof a);
        for (size_t c = 0; c < p->n_values && !found; c++) {
            cli_format_value(p->values[c], b, sizeof b);
            found = v.type == p->values[c].type && strcmp(a, b) == 0;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* Adds the old COMPLETE trials that lie inside the narrowed space to the new study. */
static int warm_start(const cfg_config *narrowed, const ranked *all, size_t n, const char *from)
{
    hps_study *study = NULL;
    char err[1024];
    hps_direction dir = narrowed->direction;
    if (hps_study_open(narrowed->storage, narrowed->study_name, HPS_OPEN_CREATE | HPS_OPEN_LOAD,
                       &dir, 1, &study, err, sizeof err) != HPS_OK) {
        cli_error("narrow: %s", err);
        return -1;
    }
    size_t existing = 0;
    hps_study_n_trials(study, &existing);
    if (existing > 0) {
        cli_warn("study '%s' already has trials: not warm-starting it again",
                 narrowed->study_name);
        hps_study_close(study);
        return 0;
    }
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *old = all[i].trial;
        if (!fits(narrowed, old))
            continue;
        /* fixed parameters: the old values */
        char *params = NULL;
        if (hps_frozen_params_json(old, &params) != HPS_OK)
            continue;
        int64_t number;
        hps_trial *t = NULL;
        tmpl_param *values = calloc(narrowed->n_params + 1, sizeof *values);
        int ok = values != NULL && hps_study_enqueue(study, params, &number) == HPS_OK &&
                 hps_study_ask(study, &t) == HPS_OK &&
                 space_suggest_all(narrowed, t, values, err, sizeof err) == HPS_OK;
        hps_free(params);
        free(values);
        if (t == NULL)
            continue;
        if (!ok) { /* outside the new space: give the slot back */
            hps_trial_interrupt(t, "warm start: outside the narrowed space");
            hps_trial_free(t);
            continue;
        }
        char origin[1200];
        snprintf(origin, sizeof origin, "{\"study\": \"%s\", \"number\": %lld}", from,
                 (long long)hps_frozen_number(old));
        hps_trial_set_user_attr(t, "warm_start_from", origin);
        if (hps_trial_tell(t, HPS_COMPLETE, hps_frozen_value(old, 0)) == HPS_OK)
            added++;
        hps_trial_free(t);
    }
    printf("warm start: %zu of the %zu finished trials lie inside the narrowed space and were "
           "added to study '%s'\n",
           added, n, narrowed->study_name);
    hps_study_close(study);
    return 0;
}

/* ---- the command --------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, narrow_opts *o)
{
    static const struct option longopts[] = {
        {"top", required_argument, NULL, 'k'},  {"output", required_argument, NULL, 'o'},
        {"study", required_argument, NULL, 's'}, {"margin", required_argument, NULL, 'm'},
        {"warm-start", no_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->top = -1;
    o->margin = 0.25;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "k:o:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'k':
            o->top = strtol(optarg, &end, 10);
            if (*end != '\0' || o->top < 1) {
                cli_error("narrow: --top must be a whole number >= 1 (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'o':
            o->out = optarg;
            break;
        case 's':
            o->study = optarg;
            break;
        case 'm':
            o->margin = strtod(optarg, &end);
            if (*end != '\0' || !(o->margin >= 0) || o->margin > 10) {
                cli_error("narrow: --margin must be a number in [0, 10] (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'w':
            o->warm_start = 1;
            break;
        case 'h':
            printf("usage: hpsearch narrow CONFIG.yaml --top K [-o OUT.yaml] [--study NAME] "
                   "[--margin F] [--warm-start]\n");
            return -1;
        default:
            cli_error("narrow: unknown or incomplete option '%s'", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || o->top < 1) {
        cli_error("narrow: usage: hpsearch narrow CONFIG.yaml --top K [-o OUT.yaml]");
        return CLI_EXIT_USAGE;
    }
    o->config = argv[optind];
    return 0;
}

int cmd_narrow(int argc, char **argv)
{
    narrow_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cfg_config *cfg = NULL;
    char err[2048];
    int loaded = cfg_load(o.config, &cfg, err, sizeof err);
    if (loaded != 0) {
        cli_error("%s", err);
        return loaded == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    hps_study *study = NULL;
    ranked *all = NULL;
    char *from = strdup(cfg->study_name);
    hps_status opened = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_LOAD, NULL, 0,
                                       &study, err, sizeof err);
    if (opened != HPS_OK) {
        rc = cli_open_failed("narrow", opened, err, cfg->storage);
        goto out;
    }
    size_t n = 0;
    all = rank_trials(study, cfg->direction, &n);
    if (n == 0) {
        cli_error("narrow: study '%s' has no COMPLETE trial to narrow around", cfg->study_name);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    size_t k = (size_t)o.top < n ? (size_t)o.top : n;
    if ((size_t)o.top > n)
        cli_warn("only %zu trials are COMPLETE: narrowing around all of them", n);
    for (size_t i = 0; i < cfg->n_params; i++) {
        cfg_param *p = &cfg->params[i];
        if (p->kind == CFG_CATEGORICAL)
            narrow_choices(p, all, k);
        else if (p->kind == CFG_FLOAT || p->kind == CFG_INT)
            narrow_range(p, all, k, o.margin);
    }
    char study_name[1100], out_path[4200];
    snprintf(study_name, sizeof study_name, "%s", o.study != NULL ? o.study : "");
    if (o.study == NULL)
        snprintf(study_name, sizeof study_name, "%s-narrow", cfg->study_name);
    if (o.out != NULL)
        snprintf(out_path, sizeof out_path, "%s", o.out);
    else
        snprintf(out_path, sizeof out_path, "%s/%s.yaml", cfg->dir, study_name);
    rc = write_config(cfg, out_path, study_name, from, k);
    if (rc != 0)
        goto out;
    printf("wrote %s: study '%s' narrowed around the best %zu of %zu COMPLETE trials\n", out_path,
           study_name, k, n);
    /* read it back: the written file is what users run, so it must load */
    cfg_config *narrowed = NULL;
    if (cfg_load(out_path, &narrowed, err, sizeof err) != 0) {
        cli_error("narrow: the written config does not load: %s", err);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < narrowed->n_params; i++) {
        const cfg_param *p = &narrowed->params[i];
        char a[64], b[64];
        if (p->kind == CFG_FLOAT || p->kind == CFG_INT) {
            cli_format_double(p->low, a, sizeof a);
            cli_format_double(p->high, b, sizeof b);
            printf("  %-20s [%s, %s]%s\n", p->name, a, b, (p->flags & HPS_LOG) ? " (log)" : "");
        } else {
            printf("  %-20s %zu choice%s\n", p->name, p->n_values, p->n_values == 1 ? "" : "s");
        }
    }
    if (o.warm_start && warm_start(narrowed, all, n, from) != 0)
        rc = CLI_EXIT_FAILED;
    cfg_free(narrowed);
out:
    free(all);
    free(from);
    hps_study_close(study);
    cfg_free(cfg);
    return rc;
}
