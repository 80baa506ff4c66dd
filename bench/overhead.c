/* overhead.c -- what hpsearch's ask + suggest + tell costs per trial, with the trial
 * itself instant: the engine's own overhead, which is all a user pays on top of
 * training. Prints one JSON object per measurement (the driver, overhead.py, puts
 * them beside Optuna's).
 *
 *   overhead STORAGE N [--peak]
 *     STORAGE  ":memory:" or "sqlite:PATH" (the file is recreated)
 *     N        trials; the cost is reported for the whole run and for the last 10%
 *              (a cost that grows with the study shows up there)
 *
 * Each trial suggests what the seed article tunes: a log-uniform float, an int and a
 * categorical, with the random sampler. */
#include "hpsearch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "overhead: %s: %s\n", what, msg);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: overhead STORAGE N\n");
        return 2;
    }
    const char *url = argv[1];
    long n = strtol(argv[2], NULL, 10);
    if (strncmp(url, "sqlite:", 7) == 0) {
        char path[4096];
        const char *suffixes[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s%s", url + 7, suffixes[i]);
            unlink(path);
        }
    }
    hps_study *study;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(url, "overhead", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        die("open", err);
    hps_sampler *sampler;
    hps_sampler_new("random", &sampler, NULL, 0);
    hps_sampler_set(sampler, "seed", "1");
    hps_study_set_sampler(study, sampler);
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                           {.type = HPS_VALUE_STRING, .u.s = "tanh"}};
    long tail_start = n - n / 10;
    double cpu0 = cpu_seconds(), wall0 = wall_seconds(), cpu_tail = cpu0, wall_tail = wall0;
    for (long i = 0; i < n; i++) {
        if (i == tail_start) {
            cpu_tail = cpu_seconds();
            wall_tail = wall_seconds();
        }
        hps_trial *t;
        double lr;
        int64_t hidden;
        size_t act;
        if (hps_study_ask(study, &t) != HPS_OK)
            die("ask", hps_study_errmsg(study));
        if (hps_trial_suggest_float(t, "lr", 1e-4, 1e-1, 0, HPS_LOG, &lr) != HPS_OK ||
            hps_trial_suggest_int(t, "hidden_size", 32, 256, 1, 0, &hidden) != HPS_OK ||
            hps_trial_suggest_categorical(t, "activation", choices, 2, &act) != HPS_OK ||
            hps_trial_tell(t, HPS_COMPLETE, lr * (double)hidden) != HPS_OK)
            die("trial", hps_trial_errmsg(t));
        hps_trial_free(t);
    }
    double cpu1 = cpu_seconds(), wall1 = wall_seconds();
    /* A final read of the whole study, as a report would do. */
    size_t count;
    if (hps_study_n_trials(study, &count) != HPS_OK || count != (size_t)n)
        die("check", "trial count differs");
    hps_study_close(study);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long tail = n - tail_start;
    printf("{\"engine\": \"hpsearch\", \"storage\": \"%s\", \"trials\": %ld, "
           "\"cpu_ms_per_trial\": %.6f, \"wall_ms_per_trial\": %.6f, "
           "\"tail_cpu_ms_per_trial\": %.6f, \"tail_wall_ms_per_trial\": %.6f, "
           "\"peak_rss_mb\": %.1f}\n",
           strncmp(url, "sqlite:", 7) == 0 ? "sqlite" : "memory", n, (cpu1 - cpu0) * 1e3 / n,
           (wall1 - wall0) * 1e3 / n, (cpu1 - cpu_tail) * 1e3 / tail,
           (wall1 - wall_tail) * 1e3 / tail, ru.ru_maxrss / 1024.0);
    return 0;
}
