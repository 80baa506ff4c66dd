/* run_setup.c -- what `hpsearch run` does with a config before its first trial, shared
 * with `hpsearch plan` (see run_setup.h). */
#include "cli/run_setup.h"

#include "cli/cli.h"
#include "cli/identity.h"
#include "cli/pruner_default.h"
#include "cli/space.h"
#include "cli/warm_start.h"
#include "runner/template.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- override flags -------------------------------------------------------------------- */

static const struct {
    const char *name;
    int short_name;   /* 0: long only */
    const char *key;  /* NULL: --set KEY=VALUE */
    const char *arg;  /* the argument's name in --help */
    const char *help; /* NULL: an alias, not listed */
} override_flags[] = {
    {"parallel", 'j', "parallel", "N", "trials at once (config: parallel)"},
    {"trials", 'n', "n_trials", "N", "total trials the study may hold (config: n_trials)"},
    {"timeout", 0, "timeout", "T", "stop starting trials after T (e.g. 3600, 90m, 2h)"},
    {"trial-timeout", 0, "trial_timeout", "T",
     "end a trial that runs longer than T: FAIL, or PRUNED with its\n"
     "                          last value (config: trial_timeout, timeout_state)"},
    {"timeout-trial", 0, "trial_timeout", "T", NULL},
    {"gpus", 0, "gpus", "LIST", "all (the GPUs found) or ids, e.g. 0,1: each trial gets its own\n"
     "                          in CUDA_VISIBLE_DEVICES (config: gpus)"},
    {"gpus-per-trial", 0, "gpus_per_trial", "K", "GPUs each trial gets (config: gpus_per_trial)"},
    {"trials-per-gpu", 0, "trials_per_gpu", "K", "trials sharing one GPU (config: trials_per_gpu)"},
    {"retries", 0, "retries", "N", "re-run a failed trial up to N times with the same params"},
    {"preempt-grace", 0, "preempt_grace", "T",
     "on SIGTERM, running trials get T to save a checkpoint before\n"
     "                          SIGKILL, then resume on the next run (default 25 s;\n"
     "                          config: preempt_grace)"},
    {"max-failures", 0, "max_failures", "N",
     "stop when the first N trials of this run all fail (default 5,\n"
     "                          0: never; config: max_failures)"},
    {"storage", 0, "storage", "URL", "e.g. sqlite:tune.db (config: storage)"},
    {"study", 0, "study", "NAME", "study name (config: study)"},
    {"sampler", 0, "sampler", "NAME", ""}, /* the help: the library's samplers */
    {"seed", 0, "seed", "N", "sampler seed"},
    {"heartbeat-grace", 0, "heartbeat_grace", "T",
     "fail RUNNING trials silent for T seconds (default 60)"},
    {"set", 0, NULL, "KEY=VALUE",
     "override a setting of the file (`hpsearch help config` marks\n"
     "                          the keys it can change with *)"},
};
#define N_OVERRIDE_FLAGS (sizeof override_flags / sizeof override_flags[0])
_Static_assert(N_OVERRIDE_FLAGS == SETUP_N_LONG_OPTIONS, "SETUP_N_LONG_OPTIONS is out of date");

static int flag_value(size_t i)
{
    return override_flags[i].short_name != 0 ? override_flags[i].short_name
                                              : SETUP_FIRST_FLAG + (int)i;
}

void setup_long_options(struct option *out)
{
    for (size_t i = 0; i < N_OVERRIDE_FLAGS; i++)
        out[i] = (struct option){override_flags[i].name, required_argument, NULL, flag_value(i)};
}

void setup_print_flags(FILE *out)
{
    for (size_t i = 0; i < N_OVERRIDE_FLAGS; i++) {
        if (override_flags[i].help == NULL)
            continue;
        char shortcut[8] = "   ", usage[64];
        if (override_flags[i].short_name != 0)
            snprintf(shortcut, sizeof shortcut, "-%c,", override_flags[i].short_name);
        snprintf(usage, sizeof usage, "--%s %s", override_flags[i].name, override_flags[i].arg);
        char names[256] = "";
        if (strcmp(override_flags[i].name, "sampler") == 0)
            cli_strategy_names(CLI_SAMPLERS, CFG_DEFAULT_SAMPLER, names, sizeof names);
        fprintf(out, "  %s %-" SETUP_HELP_WIDTH "s %s%s\n", shortcut, usage, override_flags[i].help,
                names);
    }
}

int setup_take_flag(int opt, const char *arg, setup_override *list, size_t *n)
{
    static char flag_names[N_OVERRIDE_FLAGS][32];
    for (size_t i = 0; i < N_OVERRIDE_FLAGS; i++) {
        if (opt != flag_value(i))
            continue;
        snprintf(flag_names[i], sizeof flag_names[i], "--%s", override_flags[i].name);
        list[(*n)++] = (setup_override){flag_names[i], override_flags[i].key, arg};
        return 1;
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

int setup_load(const char *path, const setup_override *list, size_t n, cfg_config **out)
{
    char err[2048];
    int rc = cfg_load(path, out, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        return rc == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        if (list[i].key == NULL)
            rc = cfg_set_pair(*out, list[i].value, err, sizeof err);
        else
            rc = cfg_set(*out, list[i].key, list[i].value, err, sizeof err);
        if (rc == 0)
            continue;
        if (list[i].key == NULL)
            cli_error("--set %s: %s", list[i].value, err);
        else
            cli_error("%s: %s", list[i].flag, err);
        cfg_free(*out);
        *out = NULL;
        return rc == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- checks -------------------------------------------------------------------------------- */

/* "FILE:LINE" for messages, or "FILE" when the setting has no line (an override). */
/* A conditional parameter that the command or an artifact pattern names as {name}: each
 * trial where it is inactive would have no text for it, unless {name:default} gives one.
 * A default on a parameter every trial has would never show, and is most likely a
 * Python format spec ({lr:.3f}), which templates do not have. */
static int check_conditional_fields(const cfg_config *cfg)
{
    char *shell[1] = {cfg->shell_command};
    char *const *command = cfg->shell_command != NULL ? shell : cfg->command;
    size_t n_command = cfg->shell_command != NULL ? 1 : cfg->n_command;
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_condition *why = NULL;
        const char *name = cfg->params[i].name;
        unsigned in_command = tmpl_field_use(command, n_command, name);
        unsigned in_artifacts = tmpl_field_use(cfg->artifacts, cfg->n_artifacts, name);
        char at[4200], condition[512];
        if (cfg_param_always_active(cfg, i, &why)) {
            if (((in_command | in_artifacts) & TMPL_USE_DEFAULT) == 0)
                continue;
            cli_error("%s: %s: {%s:...} gives a default, but every trial has '%s' (defaults "
                      "are for conditional parameters; templates have no format specs)",
                      cfg_where(cfg, in_command & TMPL_USE_DEFAULT ? cfg->command_line
                                                               : cfg->artifacts_line,
                            at, sizeof at),
                      in_command & TMPL_USE_DEFAULT ? "command" : "artifacts", name, name);
            return -1;
        }
        if (((in_command | in_artifacts) & TMPL_USE_BARE) == 0)
            continue;
        in_command &= TMPL_USE_BARE;
        cfg_describe_condition(why, condition, sizeof condition);
        cli_error("%s: %s: {%s} has no value in trials where %s is inactive, which it is "
                  "unless %s (line %d); give a default for those trials, e.g. {%s:none}, "
                  "or pass it with ${args}, which leaves inactive parameters out",
                  cfg_where(cfg, in_command ? cfg->command_line : cfg->artifacts_line, at,
                            sizeof at),
                  in_command ? "command" : "artifacts", name, name, condition, why->line, name);
        return -1;
    }
    return 0;
}

static int check_command(const cfg_config *cfg)
{
    const char **names = calloc(cfg->n_params + 1, sizeof *names);
    if (names == NULL) {
        cli_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_params; i++)
        names[i] = cfg->params[i].name;
    char err[1024], at[4200];
    int rc = cfg->shell_command != NULL
                 ? tmpl_validate_shell(cfg->shell_command, names, cfg->n_params, err, sizeof err)
                 : tmpl_validate(cfg->command, cfg->n_command, names, cfg->n_params, err,
                                 sizeof err);
    if (rc != 0) {
        free(names);
        cli_error("%s: command: %s", cfg_where(cfg, cfg->command_line, at, sizeof at), err);
        return -1;
    }
    /* artifacts: patterns take the command's placeholders */
    if (cfg->n_artifacts > 0)
        rc = tmpl_validate(cfg->artifacts, cfg->n_artifacts, names, cfg->n_params, err,
                           sizeof err);
    free(names);
    if (rc != 0) {
        cli_error("%s: artifacts: %s", cfg_where(cfg, cfg->artifacts_line, at, sizeof at), err);
        return -1;
    }
    if (check_conditional_fields(cfg) != 0)
        return -1;
    if (cfg->program == NULL && cfg->shell_command == NULL) {
        for (size_t i = 0; i < cfg->n_command; i++) {
            if (strstr(cfg->command[i], "${program}") != NULL) {
                cli_error("%s: command uses ${program} but the config has no 'program'", cfg->path);
                return -1;
            }
        }
    }
    return 0;
}

/* SQLite creates the file but not its directory: say so before anything is opened. */
static int check_storage_directory(const cfg_config *cfg)
{
    if (strncmp(cfg->storage, "sqlite:", 7) != 0 || strcmp(cfg->storage, "sqlite::memory:") == 0)
        return 0;
    const char *path = cfg->storage + 7; /* absolute once the config is loaded */
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    cli_error("%s: storage: cannot open sqlite database %s: the directory %s does not exist",
              cfg->path, path, dir);
    return -1;
}

static int command_uses_program(const cfg_config *cfg)
{
    for (size_t i = 0; i < cfg->n_command; i++)
        if (strstr(cfg->command[i], "${program}") != NULL)
            return 1;
    return 0;
}

/* A W&B sweep started away from its script fails every trial the same way: say why up
 * front (the run still starts, as `wandb agent` would). */
static void warn_missing_program(const cfg_config *cfg)
{
    if (cfg->program == NULL || cfg->program[0] == '/' || !command_uses_program(cfg))
        return;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", cfg->workdir, cfg->program) >= (int)sizeof path ||
        access(path, F_OK) == 0)
        return;
    cli_warn("%s: program '%s' is not in %s, where trials run%s", cfg->path, cfg->program,
             cfg->workdir,
             cfg->is_wandb && !cfg_key_given(cfg, "workdir")
                 ? " (like `wandb agent`, a sweep runs its program in the current directory: "
                   "start hpsearch beside the script, or set workdir:)"
                 : "");
}

static hps_status open_study_at(const cfg_config *cfg, const char *url, unsigned flags,
                                hps_study **out)
{
    char err[1024];
    hps_direction dirs[CFG_MAX_OBJECTIVES];
    size_t n = cfg_directions(cfg, dirs);
    hps_status rc = hps_study_open(url, cfg->study_name, flags, dirs, n, out, err, sizeof err);
    if (rc != HPS_OK && !(rc == HPS_ERR_NOTFOUND && !(flags & HPS_OPEN_CREATE)))
        cli_error("%s: study '%s': %s", cfg->path, cfg->study_name, err);
    return rc;
}

int setup_check(const cfg_config *cfg)
{
    for (size_t i = 0; i < cfg->n_warnings; i++)
        cli_warn("%s", cfg->warnings[i]);
    warn_missing_program(cfg);
    if (check_command(cfg) != 0 || check_storage_directory(cfg) != 0)
        return CLI_EXIT_USAGE;
    int warm = warm_check_source(cfg);
    if (warm != 0)
        return warm;
    /* the settings the library checks, tried on a study of our own */
    hps_study *probe = NULL;
    hps_status rc = open_study_at(cfg, ":memory:", HPS_OPEN_CREATE, &probe);
    if (rc == HPS_OK)
        rc = setup_configure_study(cfg, probe);
    hps_study_close(probe);
    if (rc == HPS_OK)
        return 0;
    return rc == HPS_ERR_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
}

/* ---- the study --------------------------------------------------------------------------- */

hps_status setup_open_study(const cfg_config *cfg, unsigned flags, hps_study **out)
{
    return open_study_at(cfg, cfg->storage, flags, out);
}

int setup_find_study(const cfg_config *cfg, int allow_changes, hps_study **out)
{
    char err[1024];
    hps_status rc = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_LOAD, NULL, 0, out,
                                   err, sizeof err);
    if (rc == HPS_ERR_NOTFOUND)
        return 0;
    if (rc != HPS_OK) {
        cli_error("%s: study '%s': %s", cfg->path, cfg->study_name, err);
        return rc == HPS_ERR_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    int bad = identity_check_direction(*out, cfg);
    if (bad == 0)
        bad = identity_verify(*out, cfg, allow_changes);
    if (bad != 0) {
        hps_study_close(*out);
        *out = NULL;
    }
    return bad;
}

static int pruner_option_given(const cfg_config *cfg, const char *option)
{
    for (size_t i = 0; cfg->pruner != NULL && i < cfg->pruner->n_options; i++)
        if (strcmp(cfg->pruner->keys[i], option) == 0)
            return 1;
    return 0;
}

/* Whether the pruner is asha in its promotion form (mode: promotion); hyperband takes
 * max_resource from the fidelity in both its modes. */
static int pruner_promotes(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; cfg->pruner != NULL && i < cfg->pruner->n_options; i++)
        if (strcmp(cfg->pruner->keys[i], "mode") == 0)
            return strcmp(name, "asha") == 0 && strcmp(cfg->pruner->values[i], "promotion") == 0;
    return 0;
}

/* With a fidelity, successive halving counts its rungs in that budget: start at its
 * minimum, and Hyperband's brackets (and promotion mode's top rung) span up to its
 * maximum; the forecast is for its maximum -- unless the config says otherwise. */
static void fit_pruner_to_fidelity(const cfg_config *cfg, hps_pruner *pruner)
{
    const char *name = hps_pruner_name(pruner);
    int auto_pruner = strcmp(name, "auto") == 0;
    char text[32];
    if ((strcmp(name, "asha") == 0 || strcmp(name, "hyperband") == 0 || auto_pruner) &&
        !pruner_option_given(cfg, "min_resource")) {
        snprintf(text, sizeof text, "%.0f", cfg->fidelity_min);
        hps_pruner_set(pruner, "min_resource", text);
    }
    if ((strcmp(name, "hyperband") == 0 || pruner_promotes(cfg, name)) &&
        !pruner_option_given(cfg, "max_resource")) {
        snprintf(text, sizeof text, "%.0f", cfg->fidelity_max);
        hps_pruner_set(pruner, "max_resource", text);
    }
    if ((strcmp(name, "forecast") == 0 || auto_pruner) && !pruner_option_given(cfg, "max_step")) {
        snprintf(text, sizeof text, "%.0f", cfg->fidelity_max);
        hps_pruner_set(pruner, "max_step", text);
    }
}

/* With `warm_start` and `sampler: cmaes`, the old trials seed CMA-ES's first run
 * (option source_trials), unless the config gives that option itself. */
static hps_status seed_cmaes(const cfg_config *cfg, hps_sampler *sampler)
{
    if (cfg->warm_from == NULL || strcmp(cfg->sampler, "cmaes") != 0)
        return HPS_OK;
    for (size_t i = 0; i < cfg->n_sampler_options; i++)
        if (strcmp(cfg->sampler_keys[i], "source_trials") == 0)
            return HPS_OK;
    char *source = NULL;
    int got = warm_cmaes_source(cfg, &source);
    hps_status rc = got < 0 ? HPS_ERR_NOMEM : HPS_OK;
    if (got > 0)
        rc = hps_sampler_set(sampler, "source_trials", source);
    free(source);
    char at[CFG_WHERE_SIZE];
    if (rc != HPS_OK)
        cli_error("%s: warm_start: cmaes: %s", cfg_where(cfg, cfg->warm_line, at, sizeof at),
                  rc == HPS_ERR_NOMEM ? "out of memory" : hps_sampler_errmsg(sampler));
    return rc;
}

hps_status setup_configure_study(const cfg_config *cfg, hps_study *study)
{
    char text[64], err[1024], at[4200];
    hps_status rc = HPS_OK;
    struct {
        const char *option;
        double value;
    } numeric[] = {
        /* trials a warm start added are no part of the budget (while they still go in,
         * the run loop counts those in before each ask: warm_budget.h) */
        {"max_trials", cfg->n_trials > 0 ? (double)(cfg->n_trials + warm_added(study)) : 0},
        {"retries", (double)cfg->retries},
        {"repeats", (double)cfg->repeats},
        {"heartbeat_interval", cfg->heartbeat_interval},
        {"heartbeat_grace", cfg->heartbeat_grace},
    };
    for (size_t i = 0; rc == HPS_OK && i < sizeof numeric / sizeof numeric[0]; i++) {
        snprintf(text, sizeof text, "%.17g", numeric[i].value);
        rc = hps_study_set(study, numeric[i].option, text);
        if (rc != HPS_OK)
            cli_error("%s: %s", cfg->path, hps_study_errmsg(study));
    }
    hps_sampler *sampler = NULL;
    if (rc == HPS_OK && (rc = space_make_sampler(cfg, &sampler, err, sizeof err)) != HPS_OK)
        cli_error("%s", err);
    if (rc == HPS_OK && (rc = seed_cmaes(cfg, sampler)) != HPS_OK)
        hps_sampler_free(sampler);
    if (rc == HPS_OK && (rc = hps_study_set_sampler(study, sampler)) != HPS_OK)
        cli_error("%s: %s", cfg->path, hps_study_errmsg(study));
    if (rc == HPS_OK && (rc = space_declare(cfg, study, err, sizeof err)) != HPS_OK)
        cli_error("%s", err);
    if (rc == HPS_OK && identity_space_version(study) > 1 &&
        (rc = space_map_changed(cfg, study, err, sizeof err)) != HPS_OK)
        cli_error("%s", err);
    for (size_t i = 0; rc == HPS_OK && i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        if (cfg_prior_fits(p) && (rc = hps_study_set_prior(study, p->name, p->prior)) != HPS_OK)
            cli_error("%s: parameters.%s.prior: %s",
                      cfg_where(cfg, p->prior_line, at, sizeof at),
                      p->name, hps_study_errmsg(study));
    }
    int pruner_line = cfg->pruner != NULL ? cfg->pruner->line : 0;
    hps_pruner *pruner = NULL;
    const char *default_name = CFG_DEFAULT_PRUNER, *why = NULL;
    if (rc == HPS_OK && cfg->pruner == NULL &&
        (rc = pruner_default(cfg, study, &default_name, &why)) != HPS_OK)
        cli_error("%s: study '%s': %s", cfg->path, cfg->study_name,
                  rc == HPS_ERR_NOMEM ? "out of memory" : hps_study_errmsg(study));
    if (rc == HPS_OK && cfg->pruner == NULL &&
        hps_pruner_new(default_name, &pruner, err, sizeof err) != HPS_OK) {
        cli_error("%s: pruner %s (%s): %s", cfg->path, default_name, why, err);
        rc = HPS_ERR_NOMEM;
    }
    if (rc == HPS_OK && cfg->pruner != NULL &&
        cfg_make_pruner(cfg->pruner, &pruner, err, sizeof err) != 0) {
        cli_error("%s: pruner: %s", cfg_where(cfg, pruner_line, at, sizeof at), err);
        rc = HPS_ERR_INVALID;
    }
    if (rc == HPS_OK && cfg->fidelity != NULL)
        fit_pruner_to_fidelity(cfg, pruner);
    if (rc == HPS_OK && (rc = hps_study_set_pruner(study, pruner)) != HPS_OK) {
        if (cfg->pruner != NULL)
            cli_error("%s: pruner: %s", cfg_where(cfg, pruner_line, at, sizeof at),
                      hps_study_errmsg(study));
        else /* the user named no pruner: say which one and why, and how to go without */
            cli_error("%s: pruner %s (%s): %s", cfg->path, default_name, why,
                      hps_study_errmsg(study));
    }
    return rc;
}

/* ---- seeding a new study ------------------------------------------------------------- */

static const cfg_param *find_param(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].name, name) == 0)
            return &cfg->params[i];
    return NULL;
}

/* One `initial:` entry as hps_study_enqueue's object (the config checked it). */
static char *initial_json(const cfg_config *cfg, const cfg_initial *in)
{
    json_t *obj = json_object();
    for (size_t k = 0; obj != NULL && k < in->n; k++) {
        const cfg_param *p = find_param(cfg, in->names[k]);
        if (p != NULL)
            json_object_set_new(obj, in->names[k], warm_param_json(p, in->values[k]));
    }
    char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

int setup_seed_study(const cfg_config *cfg, hps_study *study)
{
    char at[4200];
    /* the old trials first: an ask while adding them would take a WAITING initial one */
    int warm = warm_seed(cfg, study);
    if (warm != 0)
        return warm;
    for (size_t e = 0; e < cfg->n_initial; e++) {
        char *params = initial_json(cfg, &cfg->initial[e]);
        if (params == NULL) {
            cli_error("out of memory");
            return CLI_EXIT_FAILED;
        }
        hps_status rc = hps_study_enqueue(study, params, NULL);
        free(params);
        if (rc != HPS_OK) {
            cli_error("%s: initial[%zu]: %s",
                      cfg_where(cfg, cfg->initial[e].line, at, sizeof at),
                      e + 1, hps_study_errmsg(study));
            return rc == HPS_ERR_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
        }
    }
    if (cfg->n_initial > 0)
        fprintf(stderr, "hpsearch: initial: %zu configuration%s enqueued to run first\n",
                cfg->n_initial, cfg->n_initial == 1 ? "" : "s");
    return 0;
}

/* A study name as one path component. */
static void safe_component(const char *name, char *buf, size_t size)
{
    size_t k = 0;
    for (const char *c = name; *c != '\0' && k + 1 < size; c++, k++) {
        unsigned char ch = (unsigned char)*c;
        int unsafe = ch == '/' || ch == '\\' || ch < 0x20 || (k == 0 && ch == '.');
        buf[k] = unsafe ? '_' : (char)ch;
    }
    buf[k] = '\0';
}

void setup_log_dir(const cfg_config *cfg, char *buf, size_t size)
{
    if (cfg->log_dir != NULL) {
        snprintf(buf, size, "%s", cfg->log_dir);
        return;
    }
    char safe[256];
    safe_component(cfg->study_name, safe, sizeof safe);
    hps_storage_kind kind;
    const char *path;
    if (hps_storage_url_kind(cfg->storage, &kind, &path) == HPS_OK &&
        (kind == HPS_STORAGE_SQLITE || kind == HPS_STORAGE_JOURNAL)) {
        const char *slash = strrchr(path, '/');
        if (slash != NULL) {
            snprintf(buf, size, "%.*s/hpsearch-logs/%s", (int)(slash - path), path, safe);
            return;
        }
    }
    snprintf(buf, size, "%s/hpsearch-logs/%s", cfg->dir, safe);
}
