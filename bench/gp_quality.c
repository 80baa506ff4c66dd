/* gp_quality.c -- how good the `gp` sampler's suggestions are, on test functions with
 * known optima, through the public API (ask, suggest, tell) exactly as a user drives it.
 *
 *   gp_quality [--problems a,b,..] [--seeds N] [--trials N] [--q N] [--sampler NAME]
 *              [--set option=value]...
 *
 * Problems (all minimized):
 *   branin        2-D, optimum 0.397887
 *   hartmann6     6-D, optimum -3.32237
 *   branin_noisy  Branin + N(0, 1) noise; scored by the true value of the trial with
 *                 the best observed value (what a user would pick)
 *   hartmann6_noisy  Hartmann-6 + N(0, 0.05) noise, scored the same way
 *   mixed         5-D mixed space: float, log float, log int, int, categorical(3); optimum 0
 * For each problem and checkpoint (25, 50, 100 trials by default, up to --trials) it
 * prints the median over seeds of the best value so far, and each seed's value.
 * --q N asks N trials before telling any (parallel workers, fantasized pending trials).
 * The Optuna GPSampler references (median of 5 seeds) are printed beside:
 * Branin 0.39792 at 50 trials, Hartmann-6 -3.314 at 50 and -3.3223 at 100. */
#include "hpsearch.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETS 16
#define MAX_SEEDS 64
#define MAX_TRIALS 2000

typedef struct problem {
    const char *name;
    double optimum;
    double noise_sd;
    /* declares the space on the trial and returns the true value */
    double (*run)(hps_trial *trial, int *ok);
} problem;

static double branin_xy(double x1, double x2)
{
    const double pi = 3.14159265358979323846;
    double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
    double u = x2 - b * x1 * x1 + c * x1 - 6;
    return u * u + 10 * (1 - t) * cos(x1) + 10;
}

static double branin(hps_trial *trial, int *ok)
{
    double x1 = 0, x2 = 0;
    *ok = hps_trial_suggest_float(trial, "x1", -5, 10, 0, 0, &x1) == HPS_OK &&
          hps_trial_suggest_float(trial, "x2", 0, 15, 0, 0, &x2) == HPS_OK;
    return branin_xy(x1, x2);
}

static double hartmann6(hps_trial *trial, int *ok)
{
    /* Published constants of the Hartmann-6 function. */
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    static const char *names[6] = {"x0", "x1", "x2", "x3", "x4", "x5"};
    double x[6] = {0};
    *ok = 1;
    for (int i = 0; i < 6; i++)
        *ok &= hps_trial_suggest_float(trial, names[i], 0, 1, 0, 0, &x[i]) == HPS_OK;
    double f = 0;
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 6; j++)
            s += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
        f -= alpha[i] * exp(-s);
    }
    return f;
}

static double mixed(hps_trial *trial, int *ok)
{
    double x = 0, lr = 1e-3;
    int64_t width = 1, depth = 0;
    size_t act = 0;
    hps_value acts[3] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                         {.type = HPS_VALUE_STRING, .u.s = "tanh"},
                         {.type = HPS_VALUE_STRING, .u.s = "gelu"}};
    *ok = hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x) == HPS_OK &&
          hps_trial_suggest_float(trial, "lr", 1e-5, 1e-1, 0, HPS_LOG, &lr) == HPS_OK &&
          hps_trial_suggest_int(trial, "width", 1, 256, 1, HPS_LOG, &width) == HPS_OK &&
          hps_trial_suggest_int(trial, "depth", 0, 10, 1, 0, &depth) == HPS_OK &&
          hps_trial_suggest_categorical(trial, "act", acts, 3, &act) == HPS_OK;
    static const double act_cost[3] = {0.0, 0.3, 0.1};
    double l = log10(lr) + 3, w = log2((double)width) - 5;
    return (x - 0.3) * (x - 0.3) + l * l / 4 + w * w / 16 +
           (double)((depth - 7) * (depth - 7)) / 20 + act_cost[act];
}

static const problem problems[] = {
    {"branin", 0.397887, 0, branin},
    {"hartmann6", -3.32237, 0, hartmann6},
    {"branin_noisy", 0.397887, 1.0, branin},
    {"hartmann6_noisy", -3.32237, 0.05, hartmann6},
    {"mixed", 0.0, 0, mixed},
};

static double normal(uint64_t *state)
{
    /* Box-Muller on a splitmix64 stream: the noise is reproducible per seed */
    uint64_t z;
    double u[2];
    for (int i = 0; i < 2; i++) {
        z = (*state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        u[i] = ((double)(z >> 11) + 0.5) * 0x1p-53;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct config {
    const char *sampler;
    const char *sets[MAX_SETS];
    int n_sets;
    int n_trials;
    int q;
} config;

/* Runs one study; best[t] = the score after t + 1 trials. */
static int run_study(const config *cfg, const problem *pb, uint64_t seed, double *best,
                     double *seconds)
{
    hps_direction dir = HPS_MINIMIZE;
    hps_study *study;
    char err[512];
    if (hps_study_open(":memory:", "q", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    hps_sampler *sampler;
    if (hps_sampler_new(cfg->sampler, &sampler, err, sizeof err) != HPS_OK) {
        fprintf(stderr, "sampler: %s\n", err);
        hps_study_close(study);
        return -1;
    }
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    hps_sampler_set(sampler, "seed", seed_text);
    for (int i = 0; i < cfg->n_sets; i++) {
        char opt[256];
        snprintf(opt, sizeof opt, "%s", cfg->sets[i]);
        char *eq = strchr(opt, '=');
        if (eq == NULL || (*eq = '\0', hps_sampler_set(sampler, opt, eq + 1)) != HPS_OK) {
            fprintf(stderr, "option '%s': %s\n", cfg->sets[i], hps_sampler_errmsg(sampler));
            hps_sampler_free(sampler);
            hps_study_close(study);
            return -1;
        }
    }
    hps_study_set_sampler(study, sampler);
    uint64_t noise_state = seed * 7919 + 17;
    double best_observed = HUGE_VAL, best_score = HUGE_VAL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int done = 0, rc = 0;
    while (done < cfg->n_trials && rc == 0) {
        hps_trial *batch[64];
        double truth[64];
        int q = cfg->q < cfg->n_trials - done ? cfg->q : cfg->n_trials - done;
        for (int i = 0; i < q; i++) {
            int ok;
            if (hps_study_ask(study, &batch[i]) != HPS_OK) {
                fprintf(stderr, "ask: %s\n", hps_study_errmsg(study));
                return -1;
            }
            truth[i] = pb->run(batch[i], &ok);
            if (!ok) {
                fprintf(stderr, "suggest: %s\n", hps_trial_errmsg(batch[i]));
                rc = -1;
            }
        }
        for (int i = 0; i < q; i++) {
            double observed = truth[i] + (pb->noise_sd > 0 ? pb->noise_sd * normal(&noise_state) : 0);
            hps_trial_tell(batch[i], HPS_COMPLETE, observed);
            hps_trial_free(batch[i]);
            if (observed < best_observed) {
                best_observed = observed;
                best_score = truth[i];
            }
            best[done++] = best_score;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    hps_study_close(study);
    return rc;
}

static double reference(const char *problem_name, int trials)
{
    if (strcmp(problem_name, "branin") == 0 && trials == 50)
        return 0.39792;
    if (strcmp(problem_name, "hartmann6") == 0 && trials == 50)
        return -3.314;
    if (strcmp(problem_name, "hartmann6") == 0 && trials == 100)
        return -3.3223;
    return NAN;
}

int main(int argc, char **argv)
{
    config cfg = {.sampler = "gp", .n_trials = 100, .q = 1};
    const char *which = "branin,hartmann6,branin_noisy,hartmann6_noisy,mixed";
    int n_seeds = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--problems") == 0 && i + 1 < argc)
            which = argv[++i];
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            n_seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            cfg.n_trials = atoi(argv[++i]);
        else if (strcmp(argv[i], "--q") == 0 && i + 1 < argc)
            cfg.q = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sampler") == 0 && i + 1 < argc)
            cfg.sampler = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && cfg.n_sets < MAX_SETS)
            cfg.sets[cfg.n_sets++] = argv[++i];
        else {
            fprintf(stderr, "usage: gp_quality [--problems a,b] [--seeds N] [--trials N] [--q N] "
                            "[--sampler NAME] [--set option=value]...\n");
            return 2;
        }
    }
    if (n_seeds < 1 || n_seeds > MAX_SEEDS || cfg.n_trials < 1 || cfg.n_trials > MAX_TRIALS ||
        cfg.q < 1 || cfg.q > 64) {
        fprintf(stderr, "gp_quality: seeds 1..%d, trials 1..%d, q 1..64\n", MAX_SEEDS, MAX_TRIALS);
        return 2;
    }
    static double best[MAX_SEEDS][MAX_TRIALS];
    printf("sampler %s, q=%d, %d seeds; median best value (each seed's in brackets)\n",
           cfg.sampler, cfg.q, n_seeds);
    for (size_t p = 0; p < sizeof problems / sizeof problems[0]; p++) {
        const problem *pb = &problems[p];
        char list[512];
        snprintf(list, sizeof list, ",%s,", which);
        char key[64];
        snprintf(key, sizeof key, ",%s,", pb->name);
        if (strstr(list, key) == NULL)
            continue;
        double total_seconds = 0;
        for (int s = 0; s < n_seeds; s++) {
            double seconds;
            if (run_study(&cfg, pb, (uint64_t)s, best[s], &seconds) != 0)
                return 1;
            total_seconds += seconds;
        }
        static const int checkpoints[] = {10, 25, 50, 100, 200, 400, 1000};
        for (size_t c = 0; c < sizeof checkpoints / sizeof checkpoints[0]; c++) {
            int t = checkpoints[c];
            if (t > cfg.n_trials)
                break;
            double v[MAX_SEEDS];
            for (int s = 0; s < n_seeds; s++)
                v[s] = best[s][t - 1];
            double each[MAX_SEEDS];
            memcpy(each, v, sizeof each);
            double med = median(v, n_seeds);
            printf("%-16s %4d trials  median %.6f  regret %.2e", pb->name, t, med, med - pb->optimum);
            double ref = reference(pb->name, t);
            if (ref == ref)
                printf("  Optuna GP %.5f (regret %.2e)", ref, ref - pb->optimum);
            printf("  [");
            for (int s = 0; s < n_seeds; s++)
                printf("%s%.5f", s ? " " : "", each[s]);
            printf("]\n");
        }
        printf("%-16s %.2f s per study\n", pb->name, total_seconds / n_seeds);
        fflush(stdout);
    }
    return 0;
}
