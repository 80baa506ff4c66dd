/* cmd_plan.c -- `hpsearch plan CONFIG.yaml [--trials N | --hours H --trial-minutes M]`:
 * before spending GPU hours, what the search will do and cost: the size of the space
 * (or that it is continuous), how much of it the budget covers, the strategy `auto`
 * takes and why, and the expected wall time. */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/space.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_space(const cfg_config *cfg)
{
    size_t n_float = 0, n_int = 0, n_cat = 0, n_const = 0, n_log = 0;
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        n_log += (p->flags & HPS_LOG) != 0;
        if (p->kind == CFG_CONSTANT || (p->kind == CFG_CATEGORICAL && p->n_values <= 1))
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
            printf("%s\n", p->n_values > 8 ? " ..." : "");
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
        printf("\n");
    }
}

int cmd_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"trials", required_argument, NULL, 'n'},
        {"hours", required_argument, NULL, 'H'},
        {"trial-minutes", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double hours = 0, minutes = 0;
    long long trials = -1;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'n':
            trials = strtoll(optarg, &end, 10);
            if (*end != '\0' || trials < 1) {
                cli_error("plan: --trials must be a whole number >= 1 (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'H':
        case 'm': {
            double v = strtod(optarg, &end);
            if (*end != '\0' || !(v > 0) || !isfinite(v)) {
                cli_error("plan: --%s must be a positive number (got '%s')",
                          opt == 'H' ? "hours" : "trial-minutes", optarg);
                return CLI_EXIT_USAGE;
            }
            *(opt == 'H' ? &hours : &minutes) = v;
            break;
        }
        case 'h':
            printf("usage: hpsearch plan CONFIG.yaml [--trials N | --hours H --trial-minutes M]\n");
            return CLI_EXIT_OK;
        default:
            cli_error("plan: unknown or incomplete option '%s'", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error("plan: usage: hpsearch plan CONFIG.yaml [--trials N | --hours H --trial-minutes M]");
        return CLI_EXIT_USAGE;
    }
    if ((hours > 0) != (minutes > 0)) {
        cli_error("plan: --hours and --trial-minutes go together");
        return CLI_EXIT_USAGE;
    }
    if (hours > 0 && trials > 0) {
        cli_error("plan: give --trials or --hours with --trial-minutes, not both");
        return CLI_EXIT_USAGE;
    }
    cfg_config *cfg = NULL;
    char err[2048];
    int loaded = cfg_load(argv[optind], &cfg, err, sizeof err);
    if (loaded != 0) {
        cli_error("%s", err);
        return loaded == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    unsigned parallel = cfg->parallel > 0 ? cfg->parallel : 1;
    uint64_t budget = cfg->n_trials;
    const char *budget_from = "n_trials in the config";
    if (trials > 0) {
        budget = (uint64_t)trials;
        budget_from = "--trials";
    } else if (hours > 0) {
        budget = (uint64_t)floor(hours * 60.0 / minutes) * parallel;
        budget_from = "--hours / --trial-minutes";
    }
    print_space(cfg);
    uint64_t grid = cfg_grid_size(cfg);
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
    const char *strategy = cfg->sampler;
    if (strcmp(cfg->sampler, "auto") == 0) {
        auto_decision decision;
        space_auto_decision(cfg, budget, &decision);
        strategy = auto_strategy_name(decision.strategy);
        printf("strategy: auto -> %s. %s\n", strategy, decision.reason);
        if (decision.strategy == AUTO_GP && budget >= AUTO_LONG_RUN)
            printf("          Past %d trials of a long continuous run it hands over to CMA-ES.\n",
                   AUTO_CMAES_AFTER);
    } else {
        printf("strategy: %s (set in the config; `sampler: auto` lets hpsearch choose)\n",
               strategy);
    }
    int grid_run = grid > 0 && strcmp(strategy, "grid") == 0;
    if (budget > 0 || grid_run) {
        uint64_t runs = grid_run && (budget == 0 || grid < budget) ? grid : budget;
        if (minutes > 0) {
            char wall[32];
            double rounds = ceil((double)runs / (double)parallel);
            cli_format_duration(rounds * minutes * 60.0, wall, sizeof wall);
            printf("expected cost: %llu trials x %g min / %u parallel = about %s of wall time "
                   "(%g GPU-hours if each trial holds one GPU)\n",
                   (unsigned long long)runs, minutes, parallel, wall,
                   (double)runs * minutes / 60.0);
        } else {
            printf("expected cost: %llu trials; give --trial-minutes M (with --hours) for wall "
                   "time\n",
                   (unsigned long long)runs);
        }
    }
    cfg_free(cfg);
    return CLI_EXIT_OK;
}
