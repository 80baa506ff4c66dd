/* cmd_plan.c -- `hpsearch plan CONFIG.yaml [--hours H --trial-minutes M] [run's options]`:
 * before spending GPU hours, what the search will do and cost: the size of the space
 * (or that it is continuous), how much of it the budget covers, the strategy `auto`
 * takes and why, the expected wall time, and whether the study exists. The config and
 * run's options go through run's own loading and checks (run_setup.h), so plan rejects
 * exactly what run rejects. */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/pbt.h"
#include "cli/pruner_default.h"
#include "cli/run_gpus.h"
#include "cli/run_setup.h"
#include "cli/space.h"
#include "cli/warm_start.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ", prior ..." after a parameter's line: its center and scale (in decades for a log
 * parameter), or its weights as shares of 1. */
static void print_prior(const cfg_param *p)
{
    json_t *prior = p->prior != NULL ? json_loads(p->prior, 0, NULL) : NULL;
    if (prior == NULL)
        return;
    const json_t *weights = json_object_get(prior, "weights");
    char a[64], b[64];
    if (weights != NULL) {
        double total = 0;
        for (size_t k = 0; k < json_array_size(weights); k++)
            total += json_number_value(json_array_get(weights, k));
        printf(", prior weights");
        for (size_t k = 0; k < json_array_size(weights) && k < 8; k++) {
            snprintf(a, sizeof a, "%.2f", json_number_value(json_array_get(weights, k)) / total);
            printf(" %s", a);
        }
    } else {
        double center = json_number_value(json_object_get(prior, "center"));
        if (p->kind == CFG_INT)
            snprintf(a, sizeof a, "%.0f", center);
        else
            cli_format_double(center, a, sizeof a);
        cli_format_double(json_number_value(json_object_get(prior, "scale")), b, sizeof b);
        printf(", prior around %s (scale %s%s)", a, b, (p->flags & HPS_LOG) ? " decades" : "");
    }
    json_decref(prior);
}

/* Ends a parameter's line: " -- only when optimizer is 'sgd' and layers >= 2". */
static void print_when(const cfg_param *p)
{
    for (size_t c = 0; c < p->n_when; c++) {
        char text[512];
        cfg_describe_condition(&p->when[c], text, sizeof text);
        printf("%s%s", c == 0 ? " -- only when " : " and ", text);
    }
    printf("\n");
}

static void print_space(const cfg_config *cfg)
{
    size_t n_float = 0, n_int = 0, n_cat = 0, n_const = 0, n_log = 0;
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        n_log += (p->flags & HPS_LOG) != 0;
        if (!space_param_searched(p))
            n_const++;
        else if (p->kind == CFG_CATEGORICAL)
            n_cat++;
        else if (p->kind == CFG_INT)
            n_int++;
        else
            n_float++;
    }
    printf("search space: %zu parameter%s to tune (%zu float, %zu int, %zu categorical",
           cfg->n_params - n_const, cfg->n_params - n_const == 1 ? "" : "s", n_float, n_int, n_cat);
    if (n_log > 0)
        printf("; %zu on a log scale", n_log);
    printf(")");
    if (n_const > 0)
        printf(", %zu fixed", n_const);
    printf("\n");
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        char lo[64], hi[64];
        printf("  %-20s ", p->name);
        if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT) {
            printf("%s of %zu:", p->kind == CFG_CONSTANT ? "fixed" : "one", p->n_values);
            for (size_t k = 0; k < p->n_values && k < 8; k++) {
                char v[64];
                cli_format_value(p->values[k], v, sizeof v);
                printf(" %s", v);
            }
            printf("%s", p->n_values > 8 ? " ..." : "");
            print_prior(p);
            print_when(p);
            continue;
        }
        hps_value vlo = {.type = p->kind == CFG_INT ? HPS_VALUE_INT : HPS_VALUE_FLOAT};
        hps_value vhi = vlo;
        if (p->kind == CFG_INT) {
            vlo.u.i = (int64_t)p->low;
            vhi.u.i = (int64_t)p->high;
        } else {
            vlo.u.f = p->low;
            vhi.u.f = p->high;
        }
        cli_format_value(vlo, lo, sizeof lo);
        cli_format_value(vhi, hi, sizeof hi);
        printf("%s in [%s, %s]%s", p->kind == CFG_INT ? "int" : "float", lo, hi,
               (p->flags & HPS_LOG) ? " (log)" : "");
        if (p->step > 0 && !(p->kind == CFG_INT && p->step == 1)) {
            char st[64];
            cli_format_double(p->step, st, sizeof st);
            printf(" step %s", st);
        }
        print_prior(p);
        print_when(p);
    }
}

/* What a stored study brings to the plan: its trials besides the warm start's, and for
 * the auto strategy's account (space_auto_choose_stored) the warm start's trials and the
 * finished ones (counted for `sampler: auto` only). A new study with a warm start
 * brings the warm trials it will be created with (new_study_warm). */
typedef struct stored_study {
    int exists;
    size_t n_trials, warm_added;
    uint64_t finished;
    const char *pruner, *pruner_why; /* without `pruner:` in the config: what the stored
                                        study runs and why (pruner_default.h); NULL: new */
} stored_study;

/* A study run creates brings the warm start's trials (COMPLETE ones, finished for the
 * sampler) before its first trial, and counts them in its max_trials: the auto sampler
 * decides with them, as for a stored study. */
static void new_study_warm(const cfg_config *cfg, stored_study *stored)
{
    size_t fit = 0, n_complete = 0;
    if (cfg->warm_from != NULL && warm_count(cfg, &fit, &n_complete) == 0)
        stored->warm_added = stored->finished = fit;
}

/* What the storage holds for this study, read as run would find it but without
 * creating or recording anything: a SQLite file that does not exist yet is left for run
 * to create. Writes a line for the plan into `line`; returns 0 or an exit code (a stored
 * study run would refuse: another direction, a changed metric or space). */
static int read_study_state(const cfg_config *cfg, int allow_changes, char *line, size_t size,
                            stored_study *stored)
{
    memset(stored, 0, sizeof *stored);
    char shown[512];
    cli_shown_url(cfg->storage, shown, sizeof shown);
    if (strcmp(cfg->storage, ":memory:") == 0 || strcmp(cfg->storage, "sqlite::memory:") == 0) {
        snprintf(line, size, "storage: %s -- the study lives only as long as the run", shown);
        return 0;
    }
    struct stat st;
    if (strncmp(cfg->storage, "sqlite:", 7) == 0 && stat(cfg->storage + 7, &st) != 0) {
        snprintf(line, size, "storage: %s does not exist yet; run creates it with study '%s'",
                 shown, cfg->study_name);
        new_study_warm(cfg, stored);
        return 0;
    }
    hps_study *study = NULL;
    int rc = setup_find_study(cfg, allow_changes, &study);
    if (rc != 0)
        return rc;
    if (study == NULL) {
        snprintf(line, size, "storage: %s; study '%s' is new: run creates it", shown,
                 cfg->study_name);
        new_study_warm(cfg, stored);
        return 0;
    }
    size_t counts[5] = {0};
    hps_study_count_states(study, counts);
    size_t total = counts[0] + counts[1] + counts[2] + counts[3] + counts[4];
    size_t warm = warm_added(study); /* no part of the budget */
    *stored = (stored_study){.exists = 1, .n_trials = total > warm ? total - warm : 0,
                             .warm_added = warm};
    hps_status got = cfg->pruner == NULL
                         ? pruner_default(cfg, study, &stored->pruner, &stored->pruner_why)
                         : HPS_OK;
    if (got != HPS_OK) {
        cli_error("%s: study '%s': %s", cfg->path, cfg->study_name,
                  got == HPS_ERR_NOMEM ? "out of memory" : hps_study_errmsg(study));
        hps_study_close(study);
        return CLI_EXIT_FAILED;
    }
    if (strcmp(cfg->sampler, "auto") == 0) { /* only auto's account needs it: a read a trial */
        space_trial_counts held;
        space_count_trials(study, &held);
        stored->finished = held.finished;
    }
    char warm_text[64] = "";
    if (warm > 0)
        snprintf(warm_text, sizeof warm_text, ", %zu of them warm-started", warm);
    snprintf(line, size, "storage: %s; study '%s' exists with %zu trial%s (%zu complete%s): run "
             "resumes it, and n_trials counts %s",
             shown, cfg->study_name, total, total == 1 ? "" : "s", counts[HPS_COMPLETE],
             warm_text, warm > 0 ? "the others" : "them");
    hps_study_close(study);
    return 0;
}

/* What run starts a new study with: `warm_start:` and `initial:`. */
static void print_seed(const cfg_config *cfg)
{
    size_t fit = 0, n_complete = 0;
    if (cfg->warm_from != NULL && warm_count(cfg, &fit, &n_complete) == 0)
        printf("warm start: %zu of the %zu COMPLETE trials of study '%s' fit the space; run adds "
               "them when it creates the study, outside the budget\n",
               fit, n_complete, cfg->warm_from);
    if (cfg->n_initial > 0)
        printf("initial: %zu configuration%s run first, within the budget\n", cfg->n_initial,
               cfg->n_initial == 1 ? "" : "s");
}

/* The plan itself, for a config that passed run's checks. */
/* The `terminate:` rules in words: the run may end before its budget. */
static void print_terminate(const cfg_terminate *t)
{
    if (!CFG_TERMINATE_ON(t))
        return;
    unsigned min_trials = t->min_trials > 0 ? t->min_trials : CFG_DEFAULT_TERMINATE_MIN_TRIALS;
    const char *sep = "";
    printf("terminate: the run ends before its budget once ");
    if (t->no_improvement > 0) {
        printf("%u complete trials in a row bring no improvement", t->no_improvement);
        sep = "; or ";
    }
    if (t->has_stagnation) {
        printf("%smore than %u complete trials follow the best (from %u complete trials on)", sep,
               t->stagnation, min_trials);
        sep = "; or ";
    }
    if (t->regret_bound > 0)
        printf("%sthe regret bound falls below %g (from %u complete trials on)", sep,
               t->regret_bound, min_trials);
    printf("\n");
}

/* Population-based training sets its own budget and strategy (cli/pbt.h). */
static void print_pbt_plan(const cfg_config *cfg, unsigned parallel, size_t already)
{
    const cfg_pbt *p = &cfg->pbt;
    unsigned rounds = pbt_rounds(cfg);
    unsigned long long trials = (unsigned long long)p->population * rounds;
    printf("budget: pbt: %u members x %u rounds of %u steps (%s to %g) = %llu trials, %u at "
           "a time (the members of a round run side by side)\n", p->population, rounds,
           p->interval, cfg->fidelity, cfg->fidelity_max, trials, parallel);
    printf("strategy: pbt: after each round the bottom %g%% continue from a top member's "
           "checkpoint, each number x%g or x%g or drawn anew (p=%g); seed %llu\n",
           100 * p->quantile, 1 - p->perturb, 1 + p->perturb, p->resample_probability,
           cfg->has_seed ? (unsigned long long)cfg->seed : 0ULL);
    if (already > 0)
        printf("already in the study: %zu trials; run continues the population\n", already);
}

/* The pruner run gives the study, named or by default (pruner_default.h). */
static void print_pruner(const cfg_config *cfg, const stored_study *stored)
{
    if (cfg->pbt.population > 0)
        return; /* pbt's line says how members stop */
    if (cfg->pruner != NULL) {
        printf("pruner: %s (set in the config)\n", cfg->pruner->name);
        return;
    }
    const char *name = stored->pruner, *why = stored->pruner_why;
    if (name == NULL && pruner_default(cfg, NULL, &name, &why) != HPS_OK)
        return; /* a new study is not read: no error */
    printf("pruner: %s (%s)\n", name, why);
}

static void print_plan(const cfg_config *cfg, const run_gpus *gpus, double hours,
                       double minutes, const stored_study *stored)
{
    size_t already = stored->n_trials;
    unsigned parallel = gpus->parallel;
    char gpu_text[2048];
    run_gpus_describe(gpus, gpu_text, sizeof gpu_text);
    if (gpu_text[0] != '\0')
        printf("gpus: %s\n", gpu_text);
    uint64_t budget = cfg->n_trials;
    const char *budget_from = "n_trials";
    if (hours > 0) {
        budget = (uint64_t)floor(hours * 60.0 / minutes) * parallel;
        budget_from = "--hours / --trial-minutes";
    }
    print_space(cfg);
    if (cfg->pbt.population > 0) {
        print_pbt_plan(cfg, parallel, already);
        return;
    }
    uint64_t grid = space_grid_cells(cfg);
    if (grid > 0)
        printf("grid: %llu combinations\n", (unsigned long long)grid);
    else
        printf("grid: none -- the space is continuous (a float range without values, step or "
               "grid_points), so no budget covers it exhaustively\n");
    if (budget > 0) {
        printf("budget: %llu trials (%s), %u at a time\n", (unsigned long long)budget, budget_from,
               parallel);
        if (grid > 0)
            printf("coverage: %.1f%% of the grid%s\n",
                   100.0 * (double)(budget < grid ? budget : grid) / (double)grid,
                   budget >= grid ? " -- all of it" : "");
    } else if (grid > 0 && strcmp(cfg->sampler, "grid") == 0) {
        printf("budget: none given -- the grid sampler stops after its %llu combinations\n",
               (unsigned long long)grid);
    } else {
        printf("budget: none given -- trials run until stopped (set n_trials, or pass --trials "
               "or --hours with --trial-minutes)\n");
    }
    print_terminate(&cfg->terminate);
    print_pruner(cfg, stored);
    const char *strategy = cfg->sampler;
    space_auto_choice choice; /* strategy points into it below */
    if (strcmp(cfg->sampler, "auto") == 0) {
        /* a stored study, or a new one with a warm start: what its auto sampler
         * decides, with the trials it holds */
        /* n_trials counts the study's trials so far, an --hours budget new ones only: the
         * sampler's max_trials is then the trials held (besides the warm start's) plus
         * those */
        uint64_t held = hours > 0 && budget > 0 ? already : 0;
        uint64_t auto_budget = held > UINT64_MAX - budget ? UINT64_MAX : budget + held;
        hps_status got = stored->exists || stored->warm_added > 0
                             ? space_auto_choose_stored(cfg, auto_budget, stored->warm_added,
                                                        stored->finished, &choice)
                             : space_auto_choose(cfg, budget, &choice);
        if (got == HPS_OK) {
            strategy = choice.strategy;
            printf("strategy: auto -> %s. %s\n", strategy, choice.reason);
        } else {
            printf("strategy: auto (the library could not explain its choice: %s)\n",
                   choice.reason);
        }
        /* a handover to TPE is in the reason already; the one to CMA-ES is not */
        if (strcmp(choice.then_strategy, "cmaes") == 0)
            printf("          Past %llu trials of a long continuous run it hands over to CMA-ES.\n",
                   (unsigned long long)choice.then_after);
    } else {
        printf("strategy: %s (set in the config; `sampler: auto` lets hpsearch choose)\n",
               strategy);
        fflush(stdout); /* the warning follows the line it is about */
        space_warn_cmaes(cfg);
    }
    int grid_run = grid > 0 && strcmp(strategy, "grid") == 0;
    if (budget > 0 || grid_run) {
        uint64_t runs = grid_run && (budget == 0 || grid < budget) ? grid : budget;
        /* n_trials and the grid count the study's trials so far; an --hours budget does not */
        uint64_t done = hours > 0 ? 0 : already < runs ? already : runs;
        runs -= done;
        if (done > 0)
            printf("already in the study: %llu of these trials; run adds the rest\n",
                   (unsigned long long)done);
        if (runs == 0) {
            printf("expected cost: nothing left to run (raise n_trials, e.g. with --trials, to "
                   "add trials)\n");
            return;
        }
        if (minutes > 0) {
            char wall[32];
            double rounds = ceil((double)runs / (double)parallel);
            cli_format_duration(rounds * minutes * 60.0, wall, sizeof wall);
            unsigned per_trial = gpus->pool.n > 0 ? gpus->pool.per_trial : 1;
            printf("expected cost: %llu trials x %g min / %u parallel = about %s of wall time "
                   "(%g GPU-hours if each trial holds %u GPU%s)\n",
                   (unsigned long long)runs, minutes, parallel, wall,
                   (double)runs * minutes / 60.0 * per_trial, per_trial,
                   per_trial == 1 ? "" : "s");
        } else {
            printf("expected cost: %llu trials; give --trial-minutes M (with --hours) for wall "
                   "time\n",
                   (unsigned long long)runs);
        }
    }
}

static void plan_usage(FILE *out)
{
    fputs("usage: hpsearch plan CONFIG.yaml [--hours H --trial-minutes M] [run's options]\n"
          "\n"
          "What `hpsearch run` with the same config and options would do, before it starts:\n"
          "the space, the budget and how much of the grid it covers, the strategy `auto`\n"
          "picks and why, the expected cost, and whether the study exists. It checks the\n"
          "config exactly as run does (same errors, exit 2) and writes nothing.\n"
          "\n"
          "      --hours H           a budget of wall time (with --trial-minutes)\n"
          "      --trial-minutes M   how long one trial takes: the expected wall time\n",
          out);
    setup_print_flags(out);
    fputs("      --allow-changes     as run: a stored study whose space the config changed\n"
          "                          is planned as continued, not refused\n",
          out);
}

int cmd_plan(int argc, char **argv)
{
    struct option longopts[SETUP_N_LONG_OPTIONS + 5] = {
        {"hours", required_argument, NULL, 'H'},
        {"trial-minutes", required_argument, NULL, 'm'},
        {"allow-changes", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
    };
    setup_long_options(&longopts[4]); /* the last entry stays zero: the end */
    setup_override *overrides = calloc((size_t)argc + 1, sizeof *overrides);
    size_t n_overrides = 0;
    double hours = 0, minutes = 0;
    int trials_flag = 0, allow_changes = 0, opt, rc = CLI_EXIT_USAGE;
    cfg_config *cfg = NULL;
    run_gpus gpus = {0};
    if (overrides == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, SETUP_SHORT_OPTIONS "h", longopts, NULL)) != -1) {
        if (setup_take_flag(opt, optarg, overrides, &n_overrides)) {
            trials_flag |= opt == 'n';
            continue;
        }
        char *end = NULL;
        switch (opt) {
        case 'H':
        case 'm': {
            double v = strtod(optarg, &end);
            if (*end != '\0' || !(v > 0) || !isfinite(v)) {
                cli_error("plan: --%s must be a positive number (got '%s')",
                          opt == 'H' ? "hours" : "trial-minutes", optarg);
                goto out;
            }
            *(opt == 'H' ? &hours : &minutes) = v;
            break;
        }
        case 'a':
            allow_changes = 1;
            break;
        case 'h':
            plan_usage(stdout);
            rc = CLI_EXIT_OK;
            goto out;
        default:
            cli_error("plan: unknown or incomplete option '%s' (see hpsearch plan --help)",
                      argv[optind - 1]);
            goto out;
        }
    }
    if (optind + 1 != argc) {
        cli_error("plan: usage: hpsearch plan CONFIG.yaml [--hours H --trial-minutes M] "
                  "[run's options]");
        goto out;
    }
    if ((hours > 0) != (minutes > 0)) {
        cli_error("plan: --hours and --trial-minutes go together");
        goto out;
    }
    if (hours > 0 && trials_flag) {
        cli_error("plan: give --trials or --hours with --trial-minutes, not both");
        goto out;
    }
    rc = setup_load(argv[optind], overrides, n_overrides, &cfg);
    if (rc == 0)
        rc = setup_check(cfg);
    if (rc == 0)
        rc = run_gpus_setup(cfg, &gpus);
    char study_state[1024];
    stored_study stored = {0};
    if (rc == 0)
        rc = read_study_state(cfg, allow_changes, study_state, sizeof study_state, &stored);
    if (rc == 0) {
        print_plan(cfg, &gpus, hours, minutes, &stored);
        if (!stored.exists)
            print_seed(cfg);
        printf("workdir: trials run in %s\n%s\n", cfg->workdir, study_state);
    }
out:
    free(overrides);
    run_gpus_free(&gpus);
    cfg_free(cfg);
    return rc;
}
