/* cmd_run.c -- `hpsearch run CONFIG.yaml [flags]`: run a study's trials as processes.
 *
 * The loop: keep every slot busy with an asked trial until the budget, the grid or
 * the time runs out; follow the trials' output; record each outcome as it happens (so
 * a crash of hpsearch loses nothing finished); stop cleanly on Ctrl-C. Re-running the
 * same command resumes the study where it stopped. */
#include "cli/checkpoints.h"
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/identity.h"
#include "cli/pbt.h"
#include "cli/progress.h"
#include "cli/run_failures.h"
#include "cli/run_paused.h"
#include "cli/run_gpus.h"
#include "cli/run_setup.h"
#include "cli/run_slot.h"
#include "cli/run_terminate.h"
#include "cli/space.h"
#include "cli/value_names.h"
#include "cli/warm_budget.h"
#include "cli/warm_start.h"
#include "runner/wandb_standin.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- signals: counted, and written to a pipe so poll() wakes up ---------------- */

static volatile sig_atomic_t signal_count;
static volatile sig_atomic_t last_signal;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    signal_count++;
    last_signal = sig;
    if (signal_pipe[1] >= 0) {
        char byte = 1;
        ssize_t ignored = write(signal_pipe[1], &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

static int install_signals(void)
{
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(signal_pipe[i], F_SETFL, fcntl(signal_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void drain_signal_pipe(void)
{
    char buf[64];
    while (read(signal_pipe[0], buf, sizeof buf) > 0) {
    }
}

/* ---- options ------------------------------------------------------------------- */

typedef struct run_options {
    const char *config_path;
    int allow_changes;
    int quiet;
    int no_progress;
} run_options;

static void run_usage(FILE *out)
{
    fputs("usage: hpsearch run CONFIG.yaml [options]\n"
          "\n"
          "Runs the study described by CONFIG.yaml (hpsearch format or a W&B sweep file).\n"
          "Re-running the same command resumes the study. A trial's result is the last\n"
          "METRIC=value (or METRIC: value) it prints; config metric: {name, regex, summary}\n"
          "reads other shapes (e.g. 'Val Acc: 0.93') and can take the best value instead.\n"
          "Trials get their parameters through the command, HPSEARCH_PARAMS and a JSON file,\n"
          "and PYTHONUNBUFFERED=1; a script using the wandb module (init, config, log,\n"
          "summary) needs no W&B server (docs/config.md, \"What every trial gets\").\n"
          "\n",
          out);
    setup_print_flags(out);
    fputs("      --allow-changes     continue a study whose search space the config changed\n"
          "                          (a range, choices, parameters added with a default or\n"
          "                          removed), recorded as a new space version\n"
          "  -q, --quiet             no line per finished trial\n"
          "      --no-progress       no live progress line\n",
          out);
}

/* Parses flags and loads the config with the overrides applied. Returns 0, or an exit
 * code (-1 after --help). */
static int parse_run_args(int argc, char **argv, run_options *opts, cfg_config **cfg_out)
{
    struct option longopts[SETUP_N_LONG_OPTIONS + 5] = {
        {"no-progress", no_argument, NULL, 1},
        {"allow-changes", no_argument, NULL, 2},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
    };
    setup_long_options(&longopts[4]); /* the last entry stays zero: the end */
    /* First pass finds the config path; overrides apply after loading it. */
    setup_override *todo = calloc((size_t)argc + 1, sizeof *todo);
    size_t n_todo = 0;
    int opt;
    if (todo == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, SETUP_SHORT_OPTIONS "qh", longopts, NULL)) != -1) {
        if (setup_take_flag(opt, optarg, todo, &n_todo))
            continue;
        switch (opt) {
        case 1:
            opts->no_progress = 1;
            break;
        case 2:
            opts->allow_changes = 1;
            break;
        case 'q':
            opts->quiet = 1;
            break;
        case 'h':
            run_usage(stdout);
            free(todo);
            return -1;
        default:
            cli_error("run: unknown or incomplete option '%s' (see hpsearch run --help)",
                      argv[optind - 1]);
            free(todo);
            return CLI_EXIT_USAGE;
        }
    }
    /* GNU getopt moves positional arguments after the options */
    if (optind < argc)
        opts->config_path = argv[optind++];
    if (optind < argc) {
        cli_error("run: unexpected argument '%s'", argv[optind]);
        free(todo);
        return CLI_EXIT_USAGE;
    }
    if (opts->config_path == NULL) {
        cli_error("run: which config? usage: hpsearch run CONFIG.yaml [options]");
        free(todo);
        return CLI_EXIT_USAGE;
    }
    int rc = setup_load(opts->config_path, todo, n_todo, cfg_out);
    free(todo);
    return rc;
}

/* ---- setup ----------------------------------------------------------------------- */


static void set_attr_json(hps_study *study, const char *key, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    if (text != NULL)
        hps_study_set_user_attr(study, key, text);
    free(text);
    json_decref(value);
}

/* "metric": the first objective's name (what one objective has always recorded);
 * "metrics": every objective's name, when there are several, and "reference_point": the
 * hypervolume's reference point the config names (`reference:`), else null -- the
 * latest run's config says which point the reports measure against, so taking the
 * key out of the config goes back to Optuna's rule; "constraints": each as {name, max}
 * or {name, min}. */
static void record_value_names(hps_study *study, const cfg_config *cfg)
{
    set_attr_json(study, "metric", json_string(cfg->objectives[0].name));
    if (cfg->n_objectives > 1) {
        json_t *names = json_array();
        for (size_t k = 0; names != NULL && k < cfg->n_objectives; k++)
            json_array_append_new(names, json_string(cfg->objectives[k].name));
        set_attr_json(study, "metrics", names);
        json_t *ref = cfg->objectives[0].has_reference ? json_array() : json_null();
        for (size_t k = 0; json_is_array(ref) && k < cfg->n_objectives; k++)
            json_array_append_new(ref, json_real(cfg->objectives[k].reference));
        set_attr_json(study, "reference_point", ref);
    }
    if (cfg->n_constraints > 0) {
        json_t *list = json_array();
        for (size_t k = 0; list != NULL && k < cfg->n_constraints; k++) {
            const cfg_metric *c = &cfg->constraints[k];
            json_array_append_new(list, json_pack("{s:s, s:f}", "name", c->name,
                                                  c->upper ? "max" : "min", c->bound));
        }
        set_attr_json(study, "constraints", list);
    }
}

/* Closes the run's study, first clearing its population's driver record (this run's:
 * open_run_study claimed it). */
static void close_run_study(const cfg_config *cfg, hps_study *study)
{
    if (study != NULL && cfg->pbt.population > 0)
        pbt_release_driver(study);
    hps_study_close(study);
}

/* Records this run as the population's driver, or prints why not: 0 or an exit code. */
static int claim_population(const cfg_config *cfg, hps_study *study)
{
    char err[1024];
    int claimed = pbt_claim_driver(study, err, sizeof err);
    if (claimed != 0)
        cli_error("%s: study '%s': %s", cfg->path, cfg->study_name, err);
    return claimed == 0 ? 0 : claimed > 0 ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
}

/* Opens the config's study, creating it if needed; an existing one must be the same
 * study (identity.h). *created says whether this process created it: creating is one
 * transaction of the storage, so of several workers starting at once (-j in several
 * shells, Slurm array tasks) exactly one creates the study, and only that one seeds it
 * (setup_seed_study). Returns 0 or an exit code after printing the error. */
static int open_run_study(const cfg_config *cfg, int allow_changes, hps_study **out, int *created)
{
    char err[1024];
    hps_direction dirs[CFG_MAX_OBJECTIVES];
    size_t n_dirs = cfg_directions(cfg, dirs);
    *created = 0;
    hps_status rc = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_LOAD, NULL, 0, out,
                                   err, sizeof err);
    if (rc == HPS_ERR_NOTFOUND) {
        rc = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_CREATE, dirs, n_dirs, out,
                            err, sizeof err);
        *created = rc == HPS_OK;
        if (rc == HPS_OK && warm_reserve(cfg, *out) != 0)
            rc = HPS_ERR_STORAGE;
        else if (rc == HPS_OK && identity_check(*out, cfg, allow_changes) != 0)
            rc = HPS_ERR_STORAGE;
        else if (rc == HPS_ERR_EXISTS) /* another worker created it just now */
            rc = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_LOAD, NULL, 0, out, err,
                                sizeof err);
    }
    /* a population's driver is claimed before anything is written: a refused run leaves
     * the study as it found it (its identity and space versions too) */
    if (rc == HPS_OK && cfg->pbt.population > 0) {
        int refused = claim_population(cfg, *out);
        if (refused != 0) {
            hps_study_close(*out);
            *out = NULL;
            return refused;
        }
    }
    if (rc == HPS_OK && !*created) {
        int bad = identity_check_direction(*out, cfg);
        if (bad == 0)
            bad = identity_check(*out, cfg, allow_changes);
        if (bad != 0) {
            close_run_study(cfg, *out);
            *out = NULL;
            return bad;
        }
    }
    if (rc != HPS_OK) {
        if (*out == NULL)
            cli_error("%s: study '%s': %s", cfg->path, cfg->study_name, err);
        hps_study_close(*out);
        *out = NULL;
        return rc == HPS_ERR_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    /* Remember which metrics the values are and what the constraints bound (for `hpsearch
     * best`, `trials`, `show` and reports), and a W&B sweep's service keys (entity,
     * project, ...) as the study's metadata. */
    record_value_names(*out, cfg);
    if (cfg->n_metadata > 0) {
        json_t *meta = json_object();
        for (size_t i = 0; meta != NULL && i < cfg->n_metadata; i++)
            json_object_set_new(meta, cfg->metadata_keys[i], json_string(cfg->metadata_values[i]));
        char *meta_json = meta != NULL ? json_dumps(meta, JSON_COMPACT) : NULL;
        if (meta_json != NULL)
            hps_study_set_user_attr(*out, "wandb", meta_json);
        free(meta_json);
        json_decref(meta);
    }
    if (setup_configure_study(cfg, *out) != HPS_OK) {
        close_run_study(cfg, *out);
        *out = NULL;
        return CLI_EXIT_USAGE;
    }
    /* a warm start cut short (a crash, a storage error) is finished by the next run */
    int seeded = *created || warm_resume_needed(cfg, *out) ? setup_seed_study(cfg, *out) : 0;
    if (seeded != 0) {
        close_run_study(cfg, *out);
        *out = NULL;
    }
    return seeded;
}

/* ---- reporting ---------------------------------------------------------------------- */

/* "val_acc=0.91 train_seconds=12.3" */
static void print_values(const cfg_config *cfg, const double *values, size_t n)
{
    for (size_t k = 0; k < n; k++)
        printf("%s%s=%.6g", k > 0 ? " " : "", cfg->objectives[k].name, values[k]);
}

/* "  infeasible: gpu_mem_gb=12 > 10" when a constraint is not met, else nothing. */
static void print_infeasible(const cfg_config *cfg, const double *constraints, size_t n)
{
    const char *sep = "  infeasible: ";
    for (size_t k = 0; k < n; k++) {
        const cfg_metric *c = &cfg->constraints[k];
        if (c->upper ? constraints[k] <= c->bound : constraints[k] >= c->bound)
            continue;
        printf("%s%s=%.6g %s %.6g", sep, c->name, constraints[k], c->upper ? ">" : "<",
               c->bound);
        sep = ", ";
    }
}

static void print_outcome(const cfg_config *cfg, const slot_outcome *o, progress *prog)
{
    char took[32], value[64];
    cli_format_duration(o->seconds, took, sizeof took);
    progress_clear(prog);
    switch (o->state) {
    case HPS_COMPLETE:
        printf("trial %-4lld COMPLETE  ", (long long)o->number);
        print_values(cfg, o->values, o->n_values);
        printf("  %s  (%s)", o->params_text, took);
        print_infeasible(cfg, o->constraints, o->n_constraints);
        printf("\n");
        break;
    case HPS_PRUNED: /* by the pruner, or timed out with timeout_state: pruned */
        snprintf(value, sizeof value, "%.6g", o->value);
        printf("trial %-4lld PRUNED    %s=%s  %s  (%s%s%s)\n", (long long)o->number,
               cfg->objectives[0].name, value, o->params_text, took,
               strcmp(o->reason, "pruned") != 0 ? "; " : "",
               strcmp(o->reason, "pruned") != 0 ? o->reason : "");
        break;
    case HPS_PAUSED: /* at the end of its slice (the pruner's promotion mode) */
        snprintf(value, sizeof value, "%.6g", o->value);
        printf("trial %-4lld PAUSED    %s=%s  %s  (%s; at step %lld)\n", (long long)o->number,
               cfg->objectives[0].name, value, o->params_text, took, (long long)o->paused_step);
        break;
    default:
        printf("trial %-4lld FAIL      %s  %s  (%s; log: %s)\n", (long long)o->number, o->reason,
               o->params_text, took, o->log_path);
        break;
    }
    fflush(stdout);
}

static void print_params(const hps_frozen *t)
{
    for (size_t i = 0; i < hps_frozen_n_params(t); i++) {
        char value[128];
        cli_format_value(hps_frozen_param_value(t, i), value, sizeof value);
        printf("%s%s=%s", i == 0 ? "  " : " ", hps_frozen_param_name(t, i), value);
    }
    printf("\n");
}

/* Several objectives: the Pareto set (the feasible trials no other feasible one beats in
 * every objective), one line each. */
static void print_pareto_set(hps_study *study, const cfg_config *cfg)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    hps_status rc = hps_study_best_trials(study, &numbers, &n);
    if (rc != HPS_OK || n == 0) {
        /* a storage that failed now must not read as a study without results */
        if (rc != HPS_OK)
            printf("best trials: unknown (%s)\n", hps_study_errmsg(study));
        else
            printf("%s\n", value_names_no_best(cfg->n_constraints));
        hps_free(numbers);
        return;
    }
    value_names_print_pareto_heading(n, cfg->n_constraints);
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *t;
        if (hps_study_trial(study, numbers[k], &t) != HPS_OK)
            continue;
        double values[CFG_MAX_OBJECTIVES];
        for (size_t i = 0; i < cfg->n_objectives && i < hps_frozen_n_values(t); i++)
            values[i] = hps_frozen_value(t, i);
        printf("  trial %lld: ", (long long)numbers[k]);
        print_values(cfg, values, hps_frozen_n_values(t) < cfg->n_objectives
                                      ? hps_frozen_n_values(t) : cfg->n_objectives);
        print_params(t);
    }
    hps_free(numbers);
}

static void print_best(hps_study *study, const cfg_config *cfg)
{
    const hps_frozen *best;
    if (cfg->n_objectives > 1) {
        print_pareto_set(study, cfg);
        return;
    }
    hps_status rc = hps_study_best_trial(study, &best);
    if (rc != HPS_OK) {
        if (rc != HPS_ERR_NOTFOUND)
            printf("best trial: unknown (%s)\n", hps_study_errmsg(study));
        else
            printf("%s\n", value_names_no_best(cfg->n_constraints));
        return;
    }
    printf("best trial %lld: %s=%.6g", (long long)hps_frozen_number(best),
           cfg->objectives[0].name, hps_frozen_value(best, 0));
    print_params(best);
    char round[512];
    pbt_describe_round(study, best, round, sizeof round);
    if (round[0] != '\0')
        printf("  pbt: %s\n", round);
}

/* Whether the study has a best trial (several objectives: a Pareto set), feasible when
 * there are constraints: the run's exit status says so. */
static int has_result(hps_study *study)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    hps_status rc = hps_study_best_trials(study, &numbers, &n);
    hps_free(numbers);
    return rc == HPS_OK && n > 0;
}

static int target_reached(const cfg_config *cfg, const slot_outcome *o)
{
    if (!cfg->has_target || o->state != HPS_COMPLETE)
        return 0;
    return cfg->objectives[0].direction == HPS_MAXIMIZE ? o->value >= cfg->target
                                                         : o->value <= cfg->target;
}

/* ---- the loop --------------------------------------------------------------------- */

typedef struct run_state {
    int stop_launching;   /* time, target or an error: let running trials finish */
    int preempted;        /* SIGTERM: running trials get preempt_grace to checkpoint */
    int exhausted;        /* the last ask found nothing to do (budget or grid); a failed
                             trial may re-queue a retry, which clears it */
    char done_reason[256]; /* why, as the library words it */
    int interrupted;      /* a signal: end running trials now */
    int exit_code;
    size_t launched, finished, completed;
    run_failures failures; /* max_failures */
    run_terminate terminate; /* terminate: */
    pbt_pulse pulse;      /* pbt: the driver's heartbeat, beaten by the loop and copies */
    warm_budget warm;     /* the budget while a warm start's old trials go in */
} run_state;

/* Population-based training decides what runs next; ask only gives it a trial. A trial
 * the storage hands back queued (an interrupted round of a preempted run) continues its
 * round, whatever was planned. Returns 1 with *trial and *round to start, 0 when nothing
 * is to start now (state says why), -1 after an error. */
static int ask_pbt(const run_settings *run, run_state *state, hps_trial **trial,
                   pbt_round *round)
{
    const cfg_config *cfg = run->cfg;
    pbt_next_kind kind;
    char *params = NULL, *lineage = NULL, err[1500];
    int rc = pbt_plan_next(cfg, run->study, run->checkpoint_root, &kind, round, &params,
                           &lineage, err, sizeof err);
    if (rc == 0 && kind == PBT_DONE) {
        state->exhausted = 1;
        snprintf(state->done_reason, sizeof state->done_reason, "pbt: every round of the "
                 "%u members ran (%u rounds of %u steps)", cfg->pbt.population,
                 pbt_rounds(cfg), cfg->pbt.interval);
    }
    if (rc != 0 || kind == PBT_DONE || kind == PBT_WAIT) {
        free(params);
        free(lineage);
        return rc;
    }
    hps_status asked = hps_study_ask(run->study, trial);
    if (asked != HPS_OK) {
        snprintf(err, sizeof err, "%s", hps_study_errmsg(run->study));
        rc = -1;
    }
    int queued = rc == 0 ? pbt_adopt(cfg, run->study, *trial, run->checkpoint_root, round, err,
                                     sizeof err)
                         : -1;
    if (queued == 0 && kind == PBT_START)
        queued = pbt_assign(*trial, round, params, lineage, &state->pulse, err, sizeof err) == 0
                     ? 1
                     : -1;
    free(params);
    free(lineage);
    if (queued == 0) { /* the queued round went to another worker before this ask */
        hps_trial_interrupt(*trial, "not run: the round it was asked for had started elsewhere");
        hps_trial_free(*trial);
        *trial = NULL;
        return 0;
    }
    if (queued < 0 && *trial != NULL) {
        hps_trial_interrupt(*trial, err);
        hps_trial_free(*trial);
        *trial = NULL;
    }
    if (queued < 0)
        cli_error("cannot start a member's round: %s", err);
    return queued;
}

/* The next trial the study's sampler proposes. Returns 1 with *trial, 0 when the study
 * has nothing left (state says why), -1 after an error. */
static int ask_sampled(const run_settings *run, run_state *state, hps_trial **trial)
{
    /* while a warm start goes in, the budget allows for the old trials in the study now
     * (warm_budget.h) */
    hps_status rc = warm_budget_ask(run->cfg, run->study, &state->warm, trial);
    if (rc == HPS_DONE) {
        state->exhausted = 1;
        snprintf(state->done_reason, sizeof state->done_reason, "%s",
                 hps_study_errmsg(run->study));
        return 0;
    }
    if (rc != HPS_OK) {
        cli_error("cannot start a trial: %s", hps_study_errmsg(run->study));
        return -1;
    }
    return 1;
}

static void launch_trials(run_slot *slots, unsigned n_slots, const run_settings *run,
                          run_state *state)
{
    for (unsigned i = 0; i < n_slots && !state->stop_launching && !state->exhausted; i++) {
        if (slots[i].busy)
            continue;
        pbt_round round;
        hps_trial *trial = NULL;
        int pbt = run->cfg->pbt.population > 0;
        int got = pbt ? ask_pbt(run, state, &trial, &round) : ask_sampled(run, state, &trial);
        if (got < 0) {
            state->stop_launching = 1;
            /* a copy that found the population taken over: as the loop's beat would */
            state->exit_code = state->pulse.taken_over ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
        }
        if (got <= 0)
            break;
        /* A trial that carries out the run a busy slot still runs (its retry, or the
         * same trial resumed after storage took it from this worker, before the slot
         * learnt so): that slot's process would write into the checkpoint directory
         * the new one starts from. It is killed, and gone, first. */
        for (unsigned j = 0; !pbt && j < n_slots; j++)
            if (slot_runs(&slots[j], hps_trial_run_key(trial)))
                slot_yield_run(&slots[j], hps_trial_number(trial), cli_monotonic());
        char err[1500];
        long long number = (long long)hps_trial_number(trial);
        if (slot_start(&slots[i], run, trial, pbt ? &round : NULL, err, sizeof err) != 0) {
            /* slot_start freed the trial */
            cli_error("%s: trial %lld could not start: %s", run->cfg->path, number, err);
            state->stop_launching = 1;
            state->exit_code = CLI_EXIT_USAGE;
            break;
        }
        state->launched++;
    }
}

static int wait_for_events(run_slot *slots, unsigned n_slots, double now, int progress_on)
{
    struct pollfd *pfds = calloc(n_slots + 1, sizeof *pfds);
    if (pfds == NULL)
        return -1;
    nfds_t n = 0;
    pfds[n++] = (struct pollfd){.fd = signal_pipe[0], .events = POLLIN};
    double next = now + (progress_on ? 1.0 : 5.0);
    for (unsigned i = 0; i < n_slots; i++) {
        int fd = slot_fd(&slots[i]);
        if (fd >= 0)
            pfds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        double event = slot_next_event(&slots[i]);
        if (event > 0 && event < next)
            next = event;
        /* an exited child whose pipe is still open is noticed by polling its status */
        if (slots[i].busy && fd < 0 && next > now + 0.05)
            next = now + 0.05;
    }
    int timeout_ms = (int)ceil((next - now) * 1000);
    if (timeout_ms < 0)
        timeout_ms = 0;
    /* Children that exit without closing output are found by the periodic wake-up;
     * most close their pipe on exit and wake us at once. */
    if (timeout_ms > 200)
        timeout_ms = 200;
    int rc = poll(pfds, n, timeout_ms);
    free(pfds);
    return rc < 0 && errno != EINTR ? -1 : 0;
}

/* SIGTERM is how schedulers preempt (Slurm, Kubernetes, spot instances): the running
 * trials get preempt_grace to save a checkpoint, then are queued again to continue on
 * the next worker. A scheduler may send it more than once, so only SIGINT or SIGHUP
 * hurry their end. Ctrl-C (SIGINT) and SIGHUP end the trials and record them as
 * interrupted; a second signal kills them at once. */
static void handle_signals(run_slot *slots, unsigned n_slots, const cfg_config *cfg,
                           int n_new, double now, progress *prog, run_state *state)
{
    int sig = last_signal;
    if (sig == SIGTERM && !state->interrupted) {
        progress_clear(prog);
        fprintf(stderr,
                "\nhpsearch: %s: preempted; running trials get %gs to save a checkpoint "
                "(preempt_grace), then are recorded as interrupted and queued again to "
                "continue on the next run (SIGINT to kill them at once)\n",
                strsignal(sig), cfg->preempt_grace);
        state->preempted = 1;
        state->interrupted = 1;
        state->stop_launching = 1;
        for (unsigned i = 0; i < n_slots; i++)
            slot_preempt(&slots[i], now, cfg->preempt_grace);
        return;
    }
    if (sig == SIGTERM)
        return; /* preempting already, or stopping for a Ctrl-C: the timers stand */
    int force = state->interrupted || n_new > 1;
    if (!state->interrupted) {
        progress_clear(prog);
        fprintf(stderr,
                "\nhpsearch: %s: stopping; running trials are ended and recorded as "
                "interrupted (again to kill at once)\n",
                strsignal(sig));
    }
    state->interrupted = 1;
    state->stop_launching = 1;
    for (unsigned i = 0; i < n_slots; i++)
        slot_end(&slots[i], SLOT_ENDING_INTERRUPT, now, force);
}

static int run_loop(const run_settings *run, unsigned n_slots, int quiet, progress *prog,
                    run_state *state)
{
    const cfg_config *cfg = run->cfg;
    run_slot *slots = calloc(n_slots, sizeof *slots);
    if (slots == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    for (unsigned i = 0; i < n_slots; i++)
        slot_init(&slots[i], i);
    double started = cli_monotonic();
    state->pulse = (pbt_pulse){.study = run->study, .last = started};
    int handled_signals = 0;
    for (;;) {
        double now = cli_monotonic();
        if (cfg->pbt.population > 0 && pbt_pulse_beat(&state->pulse, now) > 0 &&
            !state->stop_launching) {
            state->stop_launching = 1;
            state->exit_code = CLI_EXIT_USAGE;
            progress_clear(prog);
            cli_error("%s: study '%s': another hpsearch run took this study's population "
                      "over; starting no more rounds", cfg->path, cfg->study_name);
        }
        if (cfg->timeout > 0 && now - started >= cfg->timeout && !state->stop_launching) {
            state->stop_launching = 1;
            progress_clear(prog);
            fprintf(stderr, "hpsearch: timeout of %gs reached; waiting for running trials\n",
                    cfg->timeout);
        }
        /* trials storage took from this worker are stopped before a free slot asks for
         * work (it may be given their runs), and no trial starts until they are gone */
        int dying = 0;
        for (unsigned i = 0; i < n_slots; i++)
            dying |= slot_stop_taken_over(&slots[i], now);
        if (!state->interrupted && !dying)
            launch_trials(slots, n_slots, run, state);
        unsigned busy = 0;
        for (unsigned i = 0; i < n_slots; i++)
            busy += slots[i].busy != 0;
        if (busy == 0 && (state->stop_launching || state->exhausted || state->interrupted))
            break;
        progress_draw(prog, now - started, busy);
        if (wait_for_events(slots, n_slots, now, progress_enabled(prog)) != 0) {
            cli_error("poll: %s", strerror(errno));
            state->interrupted = 1;
        }
        drain_signal_pipe();
        now = cli_monotonic();
        if (signal_count > handled_signals) {
            handle_signals(slots, n_slots, cfg, signal_count - handled_signals, now, prog,
                           state);
            handled_signals = signal_count;
        }
        for (unsigned i = 0; i < n_slots; i++) {
            if (!slots[i].busy)
                continue;
            slot_pump(&slots[i], run, now);
            slot_outcome outcome;
            if (!slot_poll(&slots[i], run, now, &outcome))
                continue;
            if (outcome.taken_over) { /* not this run's trial any more: say so, go on */
                progress_clear(prog);
                cli_warn("trial %lld: %s", (long long)outcome.number, outcome.reason);
                continue;
            }
            state->finished++;
            if (outcome.state == HPS_COMPLETE)
                state->completed++;
            if ((outcome.state == HPS_FAIL && !outcome.interrupted) ||
                outcome.state == HPS_PAUSED)
                state->exhausted = 0; /* a retry may be waiting, or a promotion be due */
            if (outcome.record_error) {
                cli_error("trial %lld: %s", (long long)outcome.number, outcome.reason);
                state->exit_code = CLI_EXIT_FAILED;
                state->stop_launching = 1;
            }
            progress_trial_done(prog, &outcome);
            if (!quiet && !(state->interrupted && outcome.interrupted))
                print_outcome(cfg, &outcome, prog);
            if (run_failures_count(&state->failures, cfg, &outcome, prog)) {
                state->stop_launching = 1;
                if (state->exit_code == 0)
                    state->exit_code = CLI_EXIT_FAILED;
            }
            if (target_reached(cfg, &outcome) && !state->stop_launching) {
                state->stop_launching = 1;
                progress_clear(prog);
                fprintf(stderr, "hpsearch: %s reached the target %g; not starting more trials\n",
                        cfg->objectives[0].name, cfg->target);
            }
            char why[512];
            if (!state->stop_launching &&
                run_terminate_check(&state->terminate, run->study, cfg, why, sizeof why)) {
                state->stop_launching = 1;
                progress_clear(prog);
                fprintf(stderr, "hpsearch: terminate: %s; not starting more trials\n", why);
            }
        }
    }
    progress_clear(prog);
    free(slots);
    return 0;
}

static void print_summary(hps_study *study, const cfg_config *cfg, const run_state *state,
                          double seconds)
{
    size_t counts[5] = {0}, n_paused = 0;
    char took[32], paused[48] = "";
    cli_format_duration(seconds, took, sizeof took);
    if (hps_study_count_states(study, counts) != HPS_OK ||
        hps_study_count_paused(study, &n_paused) != HPS_OK)
        return;
    size_t total = counts[0] + counts[1] + counts[2] + counts[3] + counts[4] + n_paused;
    if (n_paused > 0)
        snprintf(paused, sizeof paused, ", %zu paused", n_paused);
    printf("study '%s': %zu trials (%zu complete, %zu pruned, %zu failed, %zu running, %zu "
           "waiting%s); this run: %zu in %s\n",
           cfg->study_name, total, counts[HPS_COMPLETE], counts[HPS_PRUNED], counts[HPS_FAIL],
           counts[HPS_RUNNING], counts[HPS_WAITING], paused, state->finished, took);
    print_best(study, cfg);
}

int cmd_run(int argc, char **argv)
{
    run_options opts = {0};
    cfg_config *cfg = NULL;
    hps_study *study = NULL;
    run_gpus gpus = {0};
    int rc = parse_run_args(argc, argv, &opts, &cfg);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    rc = setup_check(cfg); /* what `hpsearch plan` checks too */
    if (rc == 0)
        rc = run_gpus_setup(cfg, &gpus); /* and this */
    if (rc != 0)
        goto out;
    int created = 0;
    rc = open_run_study(cfg, opts.allow_changes, &study, &created);
    if (rc != 0)
        goto out;
    char log_dir[4096];
    setup_log_dir(cfg, log_dir, sizeof log_dir);
    if (cli_make_dirs(log_dir) != 0) {
        cli_error("cannot create the log directory %s: %s", log_dir, strerror(errno));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    char checkpoint_root[4200];
    snprintf(checkpoint_root, sizeof checkpoint_root, "%s/checkpoints/%s", log_dir,
             hps_study_uid(study));
    if (cli_make_dirs(checkpoint_root) != 0) {
        cli_error("cannot create the checkpoint directory %s: %s", checkpoint_root,
                  strerror(errno));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (checkpoints_record(study, checkpoint_root) != 0) {
        cli_error("%s: cannot record the checkpoint directory: %s", cfg->path,
                  hps_study_errmsg(study));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (install_signals() != 0) {
        cli_error("cannot set up signal handling: %s", strerror(errno));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    uint64_t grid = hps_sampler_grid_size(hps_study_sampler(study));
    /* a finite space ends the study once each configuration has run `repeats` times */
    uint64_t configurations = grid > 0                    ? grid
                              : cfg_is_conditional(cfg)   ? 0 /* not declared: space_declare */
                              : cfg_space_finite(cfg)     ? cfg_grid_size(cfg)
                                                          : 0;
    uint64_t runs = configurations > UINT64_MAX / cfg->repeats ? UINT64_MAX
                                                               : configurations * cfg->repeats;
    uint64_t total = cfg->n_trials > 0 ? cfg->n_trials + warm_added(study) : 0;
    if (runs > 0 && (total == 0 || runs < total))
        total = runs;
    if (cfg->pbt.population > 0) /* a trial per member and round */
        total = (uint64_t)cfg->pbt.population * pbt_rounds(cfg);
    if (total == 0 && cfg->timeout <= 0 && !cfg->has_target && !CFG_TERMINATE_ON(&cfg->terminate))
        cli_warn("no n_trials, timeout, target or terminate: trials run until you stop them (Ctrl-C)");
    unsigned n_slots = gpus.parallel;
    size_t counts[5] = {0};
    hps_study_count_states(study, counts);
    char shown[512];
    fprintf(stderr, "hpsearch: study '%s' (%s)", cfg->study_name,
            cli_shown_url(cfg->storage, shown, sizeof shown));
    if (cfg->pbt.population > 0)
        fprintf(stderr, " · pbt: %u members, %u rounds of %u steps", cfg->pbt.population,
                pbt_rounds(cfg), cfg->pbt.interval);
    else
        fprintf(stderr, " · %s sampler", cfg->sampler);
    if (grid > 0)
        fprintf(stderr, ", %llu grid cells", (unsigned long long)grid);
    const char *pruner = hps_pruner_name(hps_study_pruner(study));
    if (cfg->pruner != NULL)
        fprintf(stderr, " · %s pruner", cfg->pruner->name);
    else if (strcmp(pruner, CFG_DEFAULT_PRUNER) != 0) /* pruner_default.h chose it */
        fprintf(stderr, " · %s pruner (the default with a fidelity)", pruner);
    else if (cfg->fidelity != NULL && cfg->pbt.population == 0 && cfg->n_objectives == 1)
        fprintf(stderr, " · no pruner (the study's trials ran without one)");
    fprintf(stderr, " · %u parallel · logs in %s\n", n_slots, log_dir);
    char gpu_text[2048];
    run_gpus_describe(&gpus, gpu_text, sizeof gpu_text);
    if (gpu_text[0] != '\0')
        fprintf(stderr, "hpsearch: %s\n", gpu_text);
    space_trial_counts held;
    space_count_trials(study, &held);
    if (strcmp(cfg->sampler, "auto") == 0 && cfg->pbt.population == 0) {
        space_auto_choice choice;
        /* as the sampler decides: with the trials the study holds and its max_trials */
        if (space_auto_choose_stored(cfg, cfg->n_trials, warm_added(study), held.finished,
                                     &choice) == HPS_OK)
            fprintf(stderr, "hpsearch: auto chose %s: %s\n", choice.strategy, choice.reason);
    }
    space_warn_cmaes(cfg);
    /* an interrupted run is not a finished trial: it does not count against the budget,
     * and a preempted one is queued to run again */
    size_t interrupted = held.interrupted;
    size_t already = counts[HPS_COMPLETE] + counts[HPS_PRUNED] + counts[HPS_FAIL] - interrupted;
    /* a warm start's trials are finished ones the study was given, not a run of its own
     * being resumed: a new warm-started study says so rather than "resuming" */
    size_t warm = warm_trials_in(study);
    if (warm > already)
        warm = already;
    size_t own = already - warm;
    char besides[96] = "";
    if (warm > 0)
        snprintf(besides, sizeof besides, " (besides %zu from warm start)", warm);
    if (warm > 0 && own == 0 && interrupted == 0)
        fprintf(stderr, "hpsearch: %zu trial%s from warm start fit the space and count as "
                "finished; none of this study's own has run yet\n", warm, warm == 1 ? "" : "s");
    else if (interrupted > 0)
        fprintf(stderr, "hpsearch: resuming: %zu trial%s already finished%s (and %zu "
                "interrupted run%s, not counted)\n", own, own == 1 ? "" : "s", besides,
                interrupted, interrupted == 1 ? "" : "s");
    else if (own > 0)
        fprintf(stderr, "hpsearch: resuming: %zu trial%s already finished%s\n", own,
                own == 1 ? "" : "s", besides);
    run_failures_explain_study(study, cfg, counts, log_dir);

    const hps_frozen *best_so_far;
    if (cfg->has_target && hps_study_best_trial(study, &best_so_far) == HPS_OK) {
        slot_outcome probe = {.state = HPS_COMPLETE, .value = hps_frozen_value(best_so_far, 0)};
        if (target_reached(cfg, &probe)) {
            fprintf(stderr, "hpsearch: trial %lld already reached the target %g; nothing to run\n",
                    (long long)hps_frozen_number(best_so_far), cfg->target);
            print_best(study, cfg);
            rc = CLI_EXIT_OK;
            goto out;
        }
    }
    run_state state = {0};
    char why[512];
    if (run_terminate_check(&state.terminate, study, cfg, why, sizeof why)) {
        fprintf(stderr, "hpsearch: terminate: %s; nothing to run\n", why);
        print_best(study, cfg);
        rc = CLI_EXIT_OK;
        goto out;
    }
    char standin_dir[4200], standin_err[4400];
    const char *python_path = standin_dir;
    if (wandb_standin_install(log_dir, standin_dir, sizeof standin_dir, standin_err,
                              sizeof standin_err) != 0) {
        cli_warn("trials get no stand-in for wandb (scripts importing it need wandb "
                 "installed): %s", standin_err);
        python_path = NULL;
    }
    run_settings run = {.cfg = cfg, .study = study, .log_dir = log_dir,
                        .checkpoint_root = checkpoint_root, .storage_url = cfg->storage,
                        .python_path = python_path, .gpus = &gpus.pool,
                        .space_version = identity_space_version(study)};
    progress prog;
    progress_init(&prog, study, cfg, total, !opts.no_progress && isatty(STDERR_FILENO));
    double started = cli_monotonic();
    rc = run_loop(&run, n_slots, opts.quiet, &prog, &state);
    if (rc != 0)
        goto out;
    int finished = state.exhausted && !state.interrupted;
    if (finished && state.done_reason[0] != '\0')
        fprintf(stderr, "hpsearch: nothing left to run: %s\n", state.done_reason);
    /* trials left paused: the run did all the pruner would resume (asha's docs promise
     * no more), or timeout, target or terminate stopped it as asked; either way it says
     * what is left and how to go on, and succeeds. Only the user's interrupt fails. */
    size_t left_paused = state.interrupted ? 0 : run_paused_explain(study, cfg, finished);
    if (state.launched == 0 && finished && left_paused == 0)
        run_failures_explain_idle(study, cfg);
    print_summary(study, cfg, &state, cli_monotonic() - started);
    if (state.interrupted)
        rc = 128 + (last_signal > 0 ? last_signal : SIGINT); /* the shell's convention */
    else if (state.exit_code != 0)
        rc = state.exit_code;
    else
        rc = has_result(study) || left_paused > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    close_run_study(cfg, study); /* the population's driver record too */
    run_gpus_free(&gpus);
    cfg_free(cfg);
    return rc;
}
