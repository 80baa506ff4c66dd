/* tpe_quality.c -- best value a sampler reaches on Branin (2-D) and Hartmann-6 within a
 * trial budget, median over seeds: the quick check of issue 6's quality bar, run beside
 * Optuna's TPE on the same functions and seeds (bench/tpe_cmaes.md has the figures).
 *
 *   tpe_quality [--sampler NAME] [--trials N] [--seeds K] [--problem NAME] [--all]
 *               [--set OPTION=VALUE]...
 *
 * Defaults: tpe, 50 trials, seeds 0..4, Branin and Hartmann-6 (--problem also offers
 * sphere5 and rastrigin5 on [-5, 5]^5, for CMA-ES). Prints one line per function with
 * the median and mean best value, and every seed's best value when K <= 10 or --all. Functions and optima as in bench/problems/synthetic.py
 * (Surjanovic & Bingham, Virtual Library of Simulation Experiments). */
#include "hpsearch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 256
#define MAX_SETS 16

static double branin(const double *x)
{
    const double pi = 3.14159265358979323846;
    double a = 1, b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, s = 10, t = 1 / (8 * pi);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * u * u + s * (1 - t) * cos(x[0]) + s;
}

static double hartmann6(const double *x)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double total = 0;
    for (int i = 0; i < 4; i++) {
        double inner = 0;
        for (int j = 0; j < 6; j++) {
            double d = x[j] - 1e-4 * P[i][j];
            inner += A[i][j] * d * d;
        }
        total += alpha[i] * exp(-inner);
    }
    return -total;
}

static double sphere5(const double *x)
{
    double s = 0;
    for (int i = 0; i < 5; i++)
        s += (x[i] - 0.1 * (i + 1)) * (x[i] - 0.1 * (i + 1));
    return s;
}

static double rastrigin5(const double *x)
{
    const double pi = 3.14159265358979323846;
    double s = 50;
    for (int i = 0; i < 5; i++)
        s += x[i] * x[i] - 10 * cos(2 * pi * x[i]);
    return s;
}

typedef struct problem {
    const char *name;
    int dim;
    double low[6], high[6];
    double (*fn)(const double *x);
    double optimum;
} problem;

static const problem problems[] = {
    {"branin", 2, {-5, 0}, {10, 15}, branin, 0.397887357729738},
    {"hartmann6", 6, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, hartmann6, -3.322368011415513},
    {"sphere5", 5, {-5, -5, -5, -5, -5}, {5, 5, 5, 5, 5}, sphere5, 0},
    {"rastrigin5", 5, {-5, -5, -5, -5, -5}, {5, 5, 5, 5, 5}, rastrigin5, 0},
};

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "tpe_quality: %s: %s\n", what, msg);
    exit(1);
}

static double run(const problem *p, const char *sampler_name, unsigned seed, int n_trials,
                  char **sets, int n_sets)
{
    hps_study *study;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(":memory:", "q", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        die("open", err);
    hps_sampler *sampler;
    if (hps_sampler_new(sampler_name, &sampler, err, sizeof err) != HPS_OK)
        die("sampler", err);
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%u", seed);
    if (hps_sampler_set(sampler, "seed", seed_text) != HPS_OK)
        die("seed", hps_sampler_errmsg(sampler));
    for (int i = 0; i < n_sets; i++) {
        char opt[128];
        const char *eq = strchr(sets[i], '=');
        if (eq == NULL || (size_t)(eq - sets[i]) >= sizeof opt)
            die("--set", sets[i]);
        memcpy(opt, sets[i], (size_t)(eq - sets[i]));
        opt[eq - sets[i]] = '\0';
        if (hps_sampler_set(sampler, opt, eq + 1) != HPS_OK)
            die("--set", hps_sampler_errmsg(sampler));
    }
    if (hps_study_set_sampler(study, sampler) != HPS_OK)
        die("set_sampler", hps_study_errmsg(study));
    double best = INFINITY;
    for (int t = 0; t < n_trials; t++) {
        hps_trial *trial;
        if (hps_study_ask(study, &trial) != HPS_OK)
            die("ask", hps_study_errmsg(study));
        double x[6];
        for (int d = 0; d < p->dim; d++) {
            char name[16];
            snprintf(name, sizeof name, "x%d", d + 1);
            if (hps_trial_suggest_float(trial, name, p->low[d], p->high[d], 0, 0, &x[d]) != HPS_OK)
                die("suggest", hps_trial_errmsg(trial));
        }
        double y = p->fn(x);
        if (y < best)
            best = y;
        if (hps_trial_tell(trial, HPS_COMPLETE, y) != HPS_OK)
            die("tell", hps_trial_errmsg(trial));
        hps_trial_free(trial);
    }
    hps_study_close(study);
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

int main(int argc, char **argv)
{
    const char *sampler = "tpe";
    int n_trials = 50, n_seeds = 5, n_sets = 0, all = 0;
    const char *only = NULL;
    char *sets[MAX_SETS];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sampler") == 0 && i + 1 < argc)
            sampler = argv[++i];
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            n_trials = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            n_seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--problem") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--all") == 0)
            all = 1;
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < MAX_SETS)
            sets[n_sets++] = argv[++i];
        else {
            fprintf(stderr, "usage: tpe_quality [--sampler NAME] [--trials N] [--seeds K] "
                            "[--problem NAME] [--all] [--set OPTION=VALUE]...\n");
            return 2;
        }
    }
    if (n_trials < 1 || n_seeds < 1 || n_seeds > MAX_SEEDS)
        die("arguments", "trials >= 1 and 1 <= seeds <= 256");
    for (size_t p = 0; p < sizeof problems / sizeof problems[0]; p++) {
        if (only == NULL ? p >= 2 : strcmp(only, problems[p].name) != 0)
            continue;
        double best[MAX_SEEDS];
        printf("%-10s %-6s trials=%d optimum=%.6f", problems[p].name, sampler, n_trials,
               problems[p].optimum);
        int show = all || n_seeds <= 10;
        if (show)
            printf(" best:");
        for (int s = 0; s < n_seeds; s++) {
            best[s] = run(&problems[p], sampler, (unsigned)s, n_trials, sets, n_sets);
            if (show)
                printf(" %.4g", best[s]);
        }
        qsort(best, (size_t)n_seeds, sizeof best[0], cmp_double);
        double median = n_seeds % 2 ? best[n_seeds / 2]
                                    : 0.5 * (best[n_seeds / 2 - 1] + best[n_seeds / 2]);
        double mean = 0;
        for (int s = 0; s < n_seeds; s++)
            mean += best[s] / n_seeds;
        printf("  median=%.4g mean=%.4g\n", median, mean);
    }
    return 0;
}
