/* gp_cost.c -- what one ask of the `gp` sampler costs as a study grows.
 *
 *   gp_cost [--sizes 50,100,...] [--spaces mixed5,cont2,cont10] [--asks N] [--set k=v]...
 *
 * For each space and size n it fills an in-memory study with n - 1 finished trials
 * (random parameters, a smooth test function), switches to the `gp` sampler and times
 * ask + suggest of the following trials, each told at once:
 *   cold    the first ask: no previous fit to start from;
 *   median, mean, max  over the next asks -- by default one refit period, max(3, n/8)
 *           + 1 asks, so that one of them makes the periodic second fit start (each
 *           time the study has grown by an eighth) and the mean is what a long study
 *           pays per trial; --asks N times N asks instead.
 * Times are wall-clock milliseconds (OpenBLAS may use several threads; set
 * OPENBLAS_NUM_THREADS=1 for one core). The 5-D mixed space has a float, a log float,
 * an int, a log int and a categorical of 3, like the reference measurement of
 * Optuna's GPSampler: 160 ms per ask at 50 trials, 300 at 100, 670 at 200, 2000 at 400. */
#include "hpsearch.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETS 16
#define MAX_ASKS 1024

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* What one ask cost: wall clock, and CPU time of the whole process (all threads). On
 * a shared machine the wall clock includes waiting for a core; the CPU time does not. */
typedef struct cost {
    double wall, cpu;
} cost;

/* Declares the space on the trial and returns the objective. */
static double mixed5(hps_trial *t, int *ok)
{
    double x = 0, lr = 1e-3;
    int64_t depth = 0, width = 1;
    size_t act = 0;
    hps_value acts[3] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                         {.type = HPS_VALUE_STRING, .u.s = "tanh"},
                         {.type = HPS_VALUE_STRING, .u.s = "gelu"}};
    *ok = hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x) == HPS_OK &&
          hps_trial_suggest_float(t, "lr", 1e-5, 1e-1, 0, HPS_LOG, &lr) == HPS_OK &&
          hps_trial_suggest_int(t, "depth", 0, 10, 1, 0, &depth) == HPS_OK &&
          hps_trial_suggest_int(t, "width", 1, 256, 1, HPS_LOG, &width) == HPS_OK &&
          hps_trial_suggest_categorical(t, "act", acts, 3, &act) == HPS_OK;
    double l = log10(lr) + 3, w = log2((double)width) - 5;
    return (x - 0.3) * (x - 0.3) + l * l / 4 + w * w / 16 + (double)((depth - 7) * (depth - 7)) / 20 +
           0.1 * (double)act;
}

static double continuous(hps_trial *t, int d, int *ok)
{
    /* a shifted, rotated-ish bowl with ripples: smooth, not separable */
    double f = 0, prev = 0;
    *ok = 1;
    for (int i = 0; i < d; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        double x = 0;
        *ok &= hps_trial_suggest_float(t, name, -2, 2, 0, 0, &x) == HPS_OK;
        f += (x - 0.5 + 0.3 * prev) * (x - 0.5 + 0.3 * prev) + 0.1 * sin(3 * x);
        prev = x;
    }
    return f;
}

static double cont2(hps_trial *t, int *ok)
{
    return continuous(t, 2, ok);
}

static double cont10(hps_trial *t, int *ok)
{
    return continuous(t, 10, ok);
}

typedef struct space {
    const char *name;
    double (*run)(hps_trial *, int *);
} space;

static const space spaces[] = {{"mixed5", mixed5}, {"cont2", cont2}, {"cont10", cont10}};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "gp_cost: %s: %s\n", what, msg);
    exit(1);
}

static cost one_trial(hps_study *study, const space *sp)
{
    hps_trial *t;
    double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (hps_study_ask(study, &t) != HPS_OK)
        die("ask", hps_study_errmsg(study));
    int ok;
    double f = sp->run(t, &ok);
    cost c = {clock_ms(CLOCK_MONOTONIC) - w0, clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0};
    if (!ok)
        die("suggest", hps_trial_errmsg(t));
    if (hps_trial_tell(t, HPS_COMPLETE, f) != HPS_OK)
        die("tell", hps_trial_errmsg(t));
    hps_trial_free(t);
    return c;
}

typedef struct stats {
    cost cold, median, mean, max;
} stats;

static void measure(const space *sp, int n, int asks, const char **sets, int n_sets, stats *st)
{
    hps_direction dir = HPS_MINIMIZE;
    hps_study *study;
    char err[512];
    if (hps_study_open(":memory:", "cost", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        die("open", err);
    hps_sampler *sampler;
    if (hps_sampler_new("random", &sampler, err, sizeof err) != HPS_OK)
        die("sampler", err);
    hps_sampler_set(sampler, "seed", "1");
    hps_study_set_sampler(study, sampler);
    for (int i = 0; i < n - 1; i++)
        one_trial(study, sp);
    if (hps_sampler_new("gp", &sampler, err, sizeof err) != HPS_OK)
        die("sampler", err);
    hps_sampler_set(sampler, "seed", "1");
    for (int i = 0; i < n_sets; i++) {
        char opt[256];
        snprintf(opt, sizeof opt, "%s", sets[i]);
        char *eq = strchr(opt, '=');
        if (eq == NULL)
            die("--set", sets[i]);
        *eq = '\0';
        if (hps_sampler_set(sampler, opt, eq + 1) != HPS_OK)
            die("--set", hps_sampler_errmsg(sampler));
    }
    if (hps_study_set_sampler(study, sampler) != HPS_OK)
        die("set_sampler", hps_study_errmsg(study));
    st->cold = one_trial(study, sp);
    static double wall[MAX_ASKS], cpu[MAX_ASKS];
    st->mean.wall = st->mean.cpu = 0;
    for (int i = 0; i < asks; i++) {
        cost c = one_trial(study, sp);
        wall[i] = c.wall;
        cpu[i] = c.cpu;
        st->mean.wall += c.wall / asks;
        st->mean.cpu += c.cpu / asks;
    }
    qsort(wall, (size_t)asks, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)asks, sizeof *cpu, cmp_double);
    st->median.wall = wall[asks / 2];
    st->median.cpu = cpu[asks / 2];
    st->max.wall = wall[asks - 1];
    st->max.cpu = cpu[asks - 1];
    hps_study_close(study);
}

static double optuna_reference(int n)
{
    switch (n) {
    case 50: return 160;
    case 100: return 300;
    case 200: return 670;
    case 400: return 2000;
    default: return NAN;
    }
}

int main(int argc, char **argv)
{
    const char *sizes = "50,100,200,400,1000", *which = "mixed5,cont2,cont10";
    const char *sets[MAX_SETS];
    int n_sets = 0, asks = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
            sizes = argv[++i];
        else if (strcmp(argv[i], "--spaces") == 0 && i + 1 < argc)
            which = argv[++i];
        else if (strcmp(argv[i], "--asks") == 0 && i + 1 < argc)
            asks = atoi(argv[++i]);
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < MAX_SETS)
            sets[n_sets++] = argv[++i];
        else {
            fprintf(stderr, "usage: gp_cost [--sizes 50,100] [--spaces mixed5,cont2,cont10] "
                            "[--asks N] [--set option=value]...\n");
            return 2;
        }
    }
    if (asks < 0 || asks > MAX_ASKS) {
        fprintf(stderr, "gp_cost: --asks 1..%d (0: one refit period)\n", MAX_ASKS);
        return 2;
    }
    printf("%-7s %6s %5s | %7s %7s %7s %7s | %7s %7s %7s %7s | %7s %6s\n", "space", "trials",
           "asks", "cold", "median", "mean", "max", "cold", "median", "mean", "max", "Optuna",
           "ratio");
    printf("%-7s %6s %5s | %31s | %31s | %7s %6s\n", "", "", "", "wall ms",
           "CPU ms (all threads)", "ms", "mean");
    for (size_t s = 0; s < sizeof spaces / sizeof spaces[0]; s++) {
        char list[256], key[64];
        snprintf(list, sizeof list, ",%s,", which);
        snprintf(key, sizeof key, ",%s,", spaces[s].name);
        if (strstr(list, key) == NULL)
            continue;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", sizes);
        for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
            int n = atoi(tok);
            if (n < 2 || n > 100000)
                continue;
            int k = asks > 0 ? asks : (n / 8 > 3 ? n / 8 : 3) + 1;
            if (k > MAX_ASKS)
                k = MAX_ASKS;
            stats st;
            measure(&spaces[s], n, k, sets, n_sets, &st);
            double ref = strcmp(spaces[s].name, "mixed5") == 0 ? optuna_reference(n) : NAN;
            printf("%-7s %6d %5d | %7.2f %7.2f %7.2f %7.2f | %7.2f %7.2f %7.2f %7.2f |",
                   spaces[s].name, n, k, st.cold.wall, st.median.wall, st.mean.wall,
                   st.max.wall, st.cold.cpu, st.median.cpu, st.mean.cpu, st.max.cpu);
            if (ref == ref)
                printf(" %7.0f %5.0fx\n", ref, ref / st.mean.wall);
            else
                printf(" %7s %6s\n", "-", "-");
            fflush(stdout);
        }
    }
    return 0;
}
