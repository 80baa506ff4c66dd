/* tpe_cost.c -- what one ask + suggest + tell costs with a model-based sampler as the
 * study grows: CPU time per trial over the last 10% of N trials, for N = 100, 1 000
 * and 5 000 by default (issue 6's bar: TPE at most 0.2 ms at 1 000 trials, growing no
 * faster than linearly). bench/tpe_optuna.py runs the same loop with Optuna.
 *
 *   tpe_cost [--sampler NAME] [--set OPTION=VALUE]... [N]...
 *
 * The space is 5-D and mixed, as in the issue: a float, a log float, an int, a log int
 * and a categorical; the objective is a cheap smooth function of them. In-memory
 * storage, one process. */
#include "hpsearch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETS 16

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "tpe_cost: %s: %s\n", what, msg);
    exit(1);
}

static void check(hps_status rc, const char *what, const char *msg)
{
    if (rc != HPS_OK)
        die(what, msg);
}

static double run(const char *sampler_name, long n, char **sets, int n_sets)
{
    hps_study *study;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    check(hps_study_open(":memory:", "cost", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err),
          "open", err);
    hps_sampler *sampler;
    check(hps_sampler_new(sampler_name, &sampler, err, sizeof err), "sampler", err);
    check(hps_sampler_set(sampler, "seed", "1"), "seed", hps_sampler_errmsg(sampler));
    for (int i = 0; i < n_sets; i++) {
        char opt[128];
        const char *eq = strchr(sets[i], '=');
        if (eq == NULL || (size_t)(eq - sets[i]) >= sizeof opt)
            die("--set", sets[i]);
        memcpy(opt, sets[i], (size_t)(eq - sets[i]));
        opt[eq - sets[i]] = '\0';
        check(hps_sampler_set(sampler, opt, eq + 1), "--set", hps_sampler_errmsg(sampler));
    }
    check(hps_study_set_sampler(study, sampler), "set_sampler", hps_study_errmsg(study));
    hps_value choices[3] = {{.type = HPS_VALUE_STRING, .u.s = "sgd"},
                            {.type = HPS_VALUE_STRING, .u.s = "momentum"},
                            {.type = HPS_VALUE_STRING, .u.s = "adam"}};
    static const double offset[3] = {0.2, 0.1, 0.0};
    long tail = n - (n / 10 > 0 ? n / 10 : 1);
    double t_tail = 0;
    for (long i = 0; i < n; i++) {
        if (i == tail)
            t_tail = cpu_seconds();
        hps_trial *t;
        check(hps_study_ask(study, &t), "ask", hps_study_errmsg(study));
        double x, lr;
        int64_t k, bs;
        size_t opt;
        check(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x), "x", hps_trial_errmsg(t));
        check(hps_trial_suggest_float(t, "lr", 1e-5, 1, 0, HPS_LOG, &lr), "lr", hps_trial_errmsg(t));
        check(hps_trial_suggest_int(t, "k", 1, 50, 1, 0, &k), "k", hps_trial_errmsg(t));
        check(hps_trial_suggest_int(t, "batch", 16, 1024, 1, HPS_LOG, &bs), "batch",
              hps_trial_errmsg(t));
        check(hps_trial_suggest_categorical(t, "opt", choices, 3, &opt), "opt", hps_trial_errmsg(t));
        double y = (x - 0.3) * (x - 0.3) + pow(log10(lr) + 3, 2) / 16 +
                   (double)((k - 20) * (k - 20)) / 2500 + pow(log2((double)bs) - 6, 2) / 16 +
                   offset[opt];
        check(hps_trial_tell(t, HPS_COMPLETE, y), "tell", hps_trial_errmsg(t));
        hps_trial_free(t);
    }
    double ms = (cpu_seconds() - t_tail) * 1e3 / (double)(n - tail);
    hps_study_close(study);
    return ms;
}

int main(int argc, char **argv)
{
    const char *sampler = "tpe";
    char *sets[MAX_SETS];
    int n_sets = 0;
    long sizes[16];
    int n_sizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sampler") == 0 && i + 1 < argc)
            sampler = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < MAX_SETS)
            sets[n_sets++] = argv[++i];
        else if (argv[i][0] != '-' && n_sizes < 16 && atol(argv[i]) >= 10)
            sizes[n_sizes++] = atol(argv[i]);
        else {
            fprintf(stderr, "usage: tpe_cost [--sampler NAME] [--set OPTION=VALUE]... [N>=10]...\n");
            return 2;
        }
    }
    if (n_sizes == 0) {
        sizes[0] = 100;
        sizes[1] = 1000;
        sizes[2] = 5000;
        n_sizes = 3;
    }
    for (int i = 0; i < n_sizes; i++) {
        double ms = run(sampler, sizes[i], sets, n_sets);
        printf("%-6s trials=%-6ld ms_per_ask_tell(last 10%%)=%.4f\n", sampler, sizes[i], ms);
        fflush(stdout);
    }
    return 0;
}
