/* cmd_narrow.c -- `hpsearch narrow CONFIG.yaml --top K [-o OUT.yaml] [--warm-start]
 * [--trials N] [--sampler NAME]`: the seed article's "start with a broad search, then
 * narrow it, with more targeted trials or Bayesian optimization" as one command.
 *
 * It reads the study a config ran, takes the best K COMPLETE trials, and writes a new
 * config around them:
 *   - a study that ran as a grid gets a finer grid: per numeric parameter the best
 *     values plus a point between each and its neighbours (grid_refine.h), so the new
 *     grid holds cells that never ran, and says how many;
 *   - otherwise numeric ranges shrink to the span of the top values plus a margin (in
 *     log space for log parameters, rounded outward onto ints and steps, never past the
 *     original bounds);
 *   - categoricals keep the choices that did well;
 *   - the sampler becomes `auto` (model-based on a continuous space), unless the study
 *     already used a sampler that learns from its history, or --sampler says otherwise;
 *   - n_trials is the trials added by --warm-start plus a budget of new ones (--trials,
 *     default the original n_trials, or for a grid without one its new cells), so the
 *     narrowed study always runs new trials;
 *   - paths (workdir, storage, log_dir) resolve from wherever the new file is written.
 * Everything else is kept. With --warm-start the new study starts with the old trials
 * that lie inside the new space, so a model-based sampler does not start from nothing. */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/identity.h"
#include "cli/narrow.h"
#include "cli/run_setup.h"
#include "cli/space.h"
#include "cli/warm_start.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct narrow_opts {
    const char *config;
    const char *out;
    const char *study;
    const char *sampler; /* --sampler; NULL: auto unless the study's learns from history */
    long top;
    long long trials;    /* --trials: new trials; -1: the original n_trials */
    double margin;       /* fraction of the top values' span added on each side */
    int warm_start;
} narrow_opts;

/* ---- choosing the top trials ------------------------------------------------------- */

/* Better value first; on a tie the earlier trial, so the choice is reproducible. */
static int by_value_asc(const void *a, const void *b)
{
    const narrow_ranked *x = a, *y = b;
    if (x->value != y->value)
        return (x->value > y->value) - (x->value < y->value);
    int64_t m = hps_frozen_number(x->trial), n = hps_frozen_number(y->trial);
    return (m > n) - (m < n);
}

/* Whether trial a is at least as good as b in every objective and better in one. */
static int dominates(const hps_frozen *a, const hps_frozen *b, const cfg_config *cfg)
{
    int better = 0;
    for (size_t k = 0; k < cfg->n_objectives; k++) {
        double x = hps_frozen_value(a, k), y = hps_frozen_value(b, k);
        if (cfg->objectives[k].direction == HPS_MAXIMIZE) {
            x = -x;
            y = -y;
        }
        if (x > y)
            return 0;
        better |= x < y;
    }
    return better;
}

/* The feasible COMPLETE trials, best first: by value, or with several objectives by how
 * many others dominate them (the Pareto set first). Infeasible trials are no place to
 * narrow around. */
static narrow_ranked *rank_trials(hps_study *study, const cfg_config *cfg, size_t *n_out)
{
    size_t n = 0, count = 0;
    *n_out = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return NULL;
    narrow_ranked *items = calloc(n + 1, sizeof *items);
    if (items == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK ||
            hps_frozen_state(t) != HPS_COMPLETE || !hps_frozen_feasible(t) ||
            hps_frozen_n_values(t) < cfg->n_objectives)
            continue;
        int finite = 1;
        for (size_t k = 0; k < cfg->n_objectives; k++)
            finite &= isfinite(hps_frozen_value(t, k));
        if (!finite)
            continue;
        double v = hps_frozen_value(t, 0);
        items[count].trial = t;
        items[count].value = cfg->objectives[0].direction == HPS_MAXIMIZE ? -v : v;
        count++;
    }
    for (size_t i = 0; cfg->n_objectives > 1 && i < count; i++) {
        size_t beaten_by = 0;
        for (size_t j = 0; j < count; j++)
            beaten_by += dominates(items[j].trial, items[i].trial, cfg);
        items[i].value = (double)beaten_by;
    }
    qsort(items, count, sizeof *items, by_value_asc);
    *n_out = count;
    return items;
}

/* ---- the sampler ---------------------------------------------------------------------------- */

/* Applies --sampler, or `auto` (W&B: bayes) unless the study's sampler learns from the
 * history; a replaced sampler's options go with it. Writes what happened into `said`.
 * Returns 0 or an exit code. */
static int choose_sampler(cfg_config *cfg, const char *requested, char *said, size_t size)
{
    const char *was = cfg->sampler;
    const char *key = cfg->is_wandb ? "method" : "sampler";
    const char *name = requested;
    if (name == NULL && cli_sampler_learns(was)) {
        snprintf(said, size, "%s (kept)", cfg->is_wandb ? cfg_wandb_method(was) : was);
        return 0;
    }
    if (name == NULL)
        name = cfg->is_wandb ? "bayes" : "auto";
    char *old = strdup(was), err[1024];
    if (old == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    if (strcmp(name, "grid") != 0)
        cfg->shuffle = 0; /* only a grid has an order to shuffle */
    int rc = 0;
    if (strcmp(name, was) != 0 && cfg_set(cfg, key, name, err, sizeof err) != 0) {
        cli_error("narrow: --sampler: %s", err);
        rc = CLI_EXIT_USAGE;
    } else if (strcmp(cfg->sampler, old) == 0) {
        snprintf(said, size, "%s (kept)", cfg->is_wandb ? cfg_wandb_method(old) : old);
    } else if (cfg->is_wandb) {
        snprintf(said, size, "%s (was %s)", cfg_wandb_method(cfg->sampler), cfg_wandb_method(old));
    } else {
        snprintf(said, size, "%s (was %s)", cfg->sampler, old);
    }
    free(old);
    return rc;
}

/* ---- warm start ------------------------------------------------------------------------ */

/* Adds the old COMPLETE trials that lie inside the narrowed space to the new study,
 * recorded as `hpsearch run` records its own trials (same sampler, so a grid's cells
 * are suggested from the grid). Returns how many were added, or -1. */
static long warm_start(const cfg_config *narrowed, const narrow_ranked *all, size_t n, const char *from,
                       int grid)
{
    hps_study *study = NULL;
    /* created as run creates a study: its identity recorded, then configured */
    if (setup_open_study(narrowed, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &study) != HPS_OK ||
        identity_check(study, narrowed, 0) != 0 || setup_configure_study(narrowed, study) != HPS_OK) {
        hps_study_close(study);
        return -1;
    }
    long added = 0;
    for (size_t i = 0; added >= 0 && i < n; i++) {
        const hps_frozen *old = all[i].trial;
        json_t *params = NULL;
        size_t which;
        /* mapped as the config's warm start maps them: a trial from before a parameter
         * was added gets its default, the value it ran with */
        if (!narrow_fits(narrowed, old, grid) ||
            warm_map_trial(narrowed, old, &params, &which) != WARM_FITS)
            continue;
        int rc = warm_add_trial(narrowed, study, old, params, from);
        json_decref(params);
        added = rc < 0 ? -1 : added + rc;
    }
    hps_study_close(study);
    return added;
}

/* ---- the command --------------------------------------------------------------------------- */

static void narrow_usage(FILE *out)
{
    fputs("usage: hpsearch narrow CONFIG.yaml --top K [options]\n"
          "\n"
          "Writes a config for the next, narrower search around the best K COMPLETE trials of\n"
          "CONFIG's study: numeric ranges shrink around them (a grid gets new points between\n"
          "and around its best cells), categoricals keep the choices that did well, and the\n"
          "sampler becomes auto -- Bayesian optimization on a continuous space.\n"
          "\n"
          "  -k, --top K           the best K trials define the new space\n"
          "  -o, --output FILE     where to write (default: NEWSTUDY.yaml beside CONFIG);\n"
          "                        paths in it resolve from there\n"
          "      --study NAME      the new study (default: STUDY-narrow)\n"
          "      --margin F        ranges: add F times the top values' span on each side\n"
          "                        (default 0.25)\n"
          "      --warm-start      add the old trials inside the new space to the new study\n"
          "      --trials N        new trials to run (default: CONFIG's n_trials; for a grid\n"
          "                        without one, the new grid's new cells); n_trials is\n"
          "                        written as the warm-started trials plus N\n"
          "      --sampler NAME    the new study's sampler (default: auto, or the old one if\n"
          "                        it learns from the history; `hpsearch samplers` says which\n"
          "                        do)\n",
          out);
}

static int parse_args(int argc, char **argv, narrow_opts *o)
{
    static const struct option longopts[] = {
        {"top", required_argument, NULL, 'k'},      {"output", required_argument, NULL, 'o'},
        {"study", required_argument, NULL, 's'},    {"margin", required_argument, NULL, 'm'},
        {"warm-start", no_argument, NULL, 'w'},     {"trials", required_argument, NULL, 'n'},
        {"sampler", required_argument, NULL, 'S'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->top = -1;
    o->trials = -1;
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
        case 'S':
            o->sampler = optarg;
            break;
        case 'm':
            o->margin = strtod(optarg, &end);
            if (*end != '\0' || !(o->margin >= 0) || o->margin > 10) {
                cli_error("narrow: --margin must be a number in [0, 10] (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'n':
            errno = 0;
            o->trials = strtoll(optarg, &end, 10);
            if (*end != '\0' || errno != 0 || o->trials < 1) {
                cli_error("narrow: --trials must be a whole number >= 1: the new trials to run "
                          "(got '%s')",
                          optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'w':
            o->warm_start = 1;
            break;
        case 'h':
            narrow_usage(stdout);
            return -1;
        default:
            cli_error("narrow: unknown or incomplete option '%s' (see hpsearch narrow --help)",
                      argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || o->top < 1) {
        cli_error("narrow: usage: hpsearch narrow CONFIG.yaml --top K [-o OUT.yaml] [--warm-start] "
                  "[--trials N] [--sampler NAME]");
        return CLI_EXIT_USAGE;
    }
    o->config = argv[optind];
    return 0;
}

/* The narrowed study must not exist yet with trials: its config would resume a search
 * over another space. Returns 0 or an exit code. */
static int check_new_study(const cfg_config *cfg, const char *name)
{
    hps_study *study = NULL;
    char err[1024];
    hps_status rc = hps_study_open(cfg->storage, name, HPS_OPEN_LOAD, NULL, 0, &study, err,
                                   sizeof err);
    if (rc == HPS_ERR_NOTFOUND)
        return 0;
    if (rc != HPS_OK) {
        cli_error("narrow: %s", err);
        return CLI_EXIT_USAGE;
    }
    size_t n = 0;
    hps_study_n_trials(study, &n);
    hps_study_close(study);
    if (n == 0)
        return 0;
    char shown[512];
    cli_shown_url(cfg->storage, shown, sizeof shown);
    cli_error("narrow: study '%s' already exists in %s with %zu trial%s; name the narrowed study "
              "with --study NAME, or delete it first (hpsearch delete %s --storage %s)",
              name, shown, n, n == 1 ? "" : "s", name, shown);
    return CLI_EXIT_USAGE;
}

static void print_space(const cfg_config *narrowed, int grid)
{
    for (size_t i = 0; i < narrowed->n_params; i++) {
        const cfg_param *p = &narrowed->params[i];
        char a[64], b[64];
        printf("  %-20s ", p->name);
        if ((grid && p->n_values > 0) || p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT) {
            printf("%zu value%s:", p->n_values, p->n_values == 1 ? "" : "s");
            for (size_t c = 0; c < p->n_values && c < 12; c++) {
                cli_format_value(p->values[c], a, sizeof a);
                printf(" %s", a);
            }
            printf("%s\n", p->n_values > 12 ? " ..." : "");
            continue;
        }
        hps_value lo = {.type = p->kind == CFG_INT ? HPS_VALUE_INT : HPS_VALUE_FLOAT};
        hps_value hi = lo;
        if (p->kind == CFG_INT) {
            lo.u.i = (int64_t)p->low;
            hi.u.i = (int64_t)p->high;
        } else {
            lo.u.f = p->low;
            hi.u.f = p->high;
        }
        cli_format_value(lo, a, sizeof a);
        cli_format_value(hi, b, sizeof b);
        printf("[%s, %s]%s\n", a, b, (p->flags & HPS_LOG) ? " (log)" : "");
    }
}

/* Where the new file goes and what it holds besides the space. Returns 0 or an exit
 * code. */
static int make_plan(const narrow_opts *o, const cfg_config *cfg, const narrow_ranked *all, size_t n,
                     size_t k, int grid, narrow_plan *plan, char *path, size_t path_size,
                     char *study, size_t study_size)
{
    snprintf(study, study_size, "%s", o->study != NULL ? o->study : "");
    if (o->study == NULL)
        snprintf(study, study_size, "%s-narrow", cfg->study_name);
    /* by default beside the config, named as the user gave the config's directory */
    const char *slash = strrchr(o->config, '/');
    if (o->out != NULL)
        snprintf(path, path_size, "%s", o->out);
    else if (slash != NULL)
        snprintf(path, path_size, "%.*s/%s.yaml", (int)(slash - o->config), o->config, study);
    else
        snprintf(path, path_size, "%s.yaml", study);
    plan->path = path;
    plan->study = study;
    plan->top = k;
    plan->n_complete = n;
    plan->grid = grid;
    char file[PATH_MAX];
    if (narrow_canonical_file(path, file, sizeof file) != 0) {
        cli_error("narrow: cannot write %s: its directory does not exist", path);
        return CLI_EXIT_USAGE;
    }
    snprintf(plan->dir, sizeof plan->dir, "%.*s", (int)(strrchr(file, '/') - file), file);
    if (plan->dir[0] == '\0')
        snprintf(plan->dir, sizeof plan->dir, "/");
    for (size_t i = 0; o->warm_start && i < n; i++)
        plan->warm += narrow_fits(cfg, all[i].trial, grid);
    plan->new_trials = o->trials > 0 ? (uint64_t)o->trials : cfg->n_trials;
    if (grid) {
        plan->grid_cells = space_grid_cells(cfg);
        uint64_t done = narrow_cells_done(cfg, all, n);
        plan->grid_new = plan->grid_cells > done ? plan->grid_cells - done : 0;
        if (plan->grid_new == 0) {
            cli_error("narrow: the refined grid has no new cell: every value between the best "
                      "ones already ran (ints and steps leave no room). Give finer values or a "
                      "smaller step, or narrow with --sampler and a range.");
            return CLI_EXIT_FAILED;
        }
        /* a grid without n_trials ran all its cells: the refined one runs its new cells */
        if (plan->new_trials == 0)
            plan->new_trials = plan->grid_new;
    }
    return check_new_study(cfg, study);
}

int cmd_narrow(int argc, char **argv)
{
    narrow_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cfg_config *cfg = NULL, *narrowed = NULL;
    char err[2048];
    int loaded = cfg_load(o.config, &cfg, err, sizeof err);
    if (loaded != 0) {
        cli_error("%s", err);
        return loaded == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    hps_study *study = NULL;
    narrow_ranked *all = NULL;
    narrow_plan plan = {0};
    char *from = strdup(cfg->study_name);
    hps_status opened = hps_study_open(cfg->storage, cfg->study_name, HPS_OPEN_LOAD, NULL, 0,
                                       &study, err, sizeof err);
    if (opened != HPS_OK) {
        rc = cli_open_failed("narrow", opened, err, cfg->storage);
        goto out;
    }
    plan.from_study = from;
    size_t n = 0;
    all = rank_trials(study, cfg, &n);
    if (n == 0) {
        cli_error("narrow: study '%s' has no %sCOMPLETE trial to narrow around", cfg->study_name,
                  cfg->n_constraints > 0 ? "feasible " : "");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    size_t k = (size_t)o.top < n ? (size_t)o.top : n;
    if ((size_t)o.top > n)
        cli_warn("only %zu trials are COMPLETE: narrowing around all of them", n);
    int grid = narrow_ran_as_grid(cfg);
    if (narrow_space(cfg, all, k, o.margin, grid) != 0) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    /* a parent's dropped value may be the one a child's `when:` names */
    char notes[4096];
    cfg_prune_conditions(cfg, notes, sizeof notes);
    if (rc == 0)
        rc = choose_sampler(cfg, o.sampler, plan.sampler_said, sizeof plan.sampler_said);
    char study_name[1100], out_path[PATH_MAX];
    if (rc == 0)
        rc = make_plan(&o, cfg, all, n, k, grid, &plan, out_path, sizeof out_path, study_name,
                       sizeof study_name);
    if (rc == 0)
        rc = narrow_write_config(cfg, &plan);
    if (rc != 0)
        goto out;
    /* read it back: the written file is what users run, so it must pass run's checks */
    if (cfg_load(out_path, &narrowed, err, sizeof err) != 0) {
        cli_error("narrow: the written config does not load: %s", err);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (setup_check(narrowed) != 0) {
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    printf("wrote %s: study '%s' narrowed around the best %zu of the %zu COMPLETE trials of "
           "study '%s'\n",
           out_path, study_name, k, n, from);
    print_space(narrowed, grid);
    for (const char *line = notes; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        printf("  conditions: %.*s\n", (int)len, line);
        line += len + (end != NULL);
    }
    printf("%s: %s\n", cfg->is_wandb ? "method" : "sampler", plan.sampler_said);
    if (grid)
        printf("grid: %llu cells, %llu new (%llu completed in study '%s')\n",
               (unsigned long long)plan.grid_cells, (unsigned long long)plan.grid_new,
               (unsigned long long)(plan.grid_cells - plan.grid_new), from);
    if (o.warm_start) {
        long added = warm_start(narrowed, all, n, from, grid);
        if (added < 0) {
            rc = CLI_EXIT_FAILED;
            goto out;
        }
        printf("warm start: %ld of the %zu finished trials lie inside the narrowed space and were "
               "added to study '%s'\n",
               added, n, study_name);
        if ((size_t)added != plan.warm)
            cli_warn("warm start added %ld trials, not the %zu the file counts on: the study "
                     "runs %lld new trials instead of %llu",
                     added, plan.warm, (long long)plan.new_trials + (long long)plan.warm - added,
                     (unsigned long long)plan.new_trials);
    }
    char budget[160];
    narrow_describe_budget(&plan, budget, sizeof budget);
    printf("%s: %s\nnext: hpsearch run %s\n", cfg->is_wandb ? "run_cap" : "n_trials", budget,
           out_path);
out:
    free(all);
    free(from);
    hps_study_close(study);
    cfg_free(narrowed);
    cfg_free(cfg);
    return rc;
}
