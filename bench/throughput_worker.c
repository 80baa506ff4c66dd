/* throughput_worker.c -- one worker process of bench/throughput.py: joins a study and
 * runs trials with an instant objective until the study's budget is reached.
 *
 *   bench_throughput_worker STORAGE_URL STUDY MAX_TRIALS [--wait | --create]
 *
 * Each trial is ask, one suggested float, tell COMPLETE: nothing but the storage's own
 * cost. Prints one JSON line: {"finished": N, "seconds": S, "first": T0, "last": T1}
 * (T0/T1: wall-clock seconds of the first ask and the last tell, so the driver can take
 * the span over all workers). Exit status 0 when the study reported HPS_DONE.
 * --wait: after opening the study, print "ready" and wait for a line on stdin, so that
 * all workers start together and start-up is not timed. --create: only create the
 * study (and the storage's schema), then exit. */
#include "hpsearch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int wait_go = argc == 5 && strcmp(argv[4], "--wait") == 0;
    int create_only = argc == 5 && strcmp(argv[4], "--create") == 0;
    if (argc < 4 || argc > 5 || (argc == 5 && !wait_go && !create_only)) {
        fprintf(stderr, "usage: %s STORAGE_URL STUDY MAX_TRIALS [--wait | --create]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    const char *name = argv[2];
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    if (hps_study_set(study, "max_trials", argv[3]) != HPS_OK) {
        fprintf(stderr, "max_trials: %s\n", hps_study_errmsg(study));
        hps_study_close(study);
        return 2;
    }
    if (create_only) {
        hps_study_close(study);
        return 0;
    }
    if (wait_go) {
        char line[16];
        printf("ready\n");
        fflush(stdout);
        if (fgets(line, sizeof line, stdin) == NULL) {
            hps_study_close(study);
            return 1;
        }
    }
    long finished = 0;
    double first = 0, last = 0;
    hps_status rc;
    hps_trial *trial = NULL;
    while ((rc = hps_study_ask(study, &trial)) == HPS_OK) {
        if (first == 0)
            first = wall_now();
        double x;
        rc = hps_trial_suggest_float(trial, "x", -10.0, 10.0, 0, 0, &x);
        if (rc == HPS_OK)
            rc = hps_trial_tell(trial, HPS_COMPLETE, x * x);
        if (rc != HPS_OK) {
            fprintf(stderr, "trial %lld: %s\n", (long long)hps_trial_number(trial),
                    hps_trial_errmsg(trial));
            hps_trial_free(trial);
            break;
        }
        hps_trial_free(trial);
        finished++;
        last = wall_now();
    }
    if (rc != HPS_DONE && rc != HPS_OK)
        fprintf(stderr, "ask: %s\n", hps_study_errmsg(study));
    printf("{\"finished\": %ld, \"seconds\": %.6f, \"first\": %.6f, \"last\": %.6f}\n", finished,
           last > first ? last - first : 0.0, first, last);
    hps_study_close(study);
    return rc == HPS_DONE ? 0 : 1;
}
