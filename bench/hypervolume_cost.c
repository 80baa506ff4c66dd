/* hypervolume_cost.c -- what the hypervolume and the contributions cost
 * (src/base/hypervolume.c), on fronts that bench/hypervolume.py writes and also gives
 * to Optuna 3.1, which prints both side by side (bench/hypervolume.md).
 *
 *   hypervolume_cost FRONTS
 *   hypervolume_cost --values FRONTS
 *
 * FRONTS holds fronts one after the other: a line "m n", n rows of m hex floats (%a),
 * then the reference point's row. For each front this prints one line
 *   m=M n=N hv_ms=T contrib_ms=T hv=HEX
 * with the CPU time of one hps_hypervolume call and of one
 * hps_hypervolume_contributions call (each the median of 5 timings of as many calls as
 * fill 0.1 s), and the hypervolume, so that the script can check the two agree. With
 * --values nothing is timed: each line is "hv=HEX c=HEX,HEX,..." (the hypervolume and
 * every point's contribution), for the script's correctness check. */
#include "base/hypervolume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_POINTS 100000

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "hypervolume_cost: %s\n", what);
    exit(1);
}

typedef struct front {
    size_t m, n;
    double *points;
    double ref[HPS_PARETO_MAX_OBJECTIVES];
    double *contributions;
} front;

static int read_front(FILE *f, front *fr)
{
    if (fscanf(f, "%zu %zu", &fr->m, &fr->n) != 2)
        return 0;
    if (fr->m == 0 || fr->m > HPS_PARETO_MAX_OBJECTIVES || fr->n == 0 || fr->n > MAX_POINTS)
        die("bad front size");
    fr->points = malloc(fr->n * fr->m * sizeof *fr->points);
    fr->contributions = malloc(fr->n * sizeof *fr->contributions);
    if (fr->points == NULL || fr->contributions == NULL)
        die("out of memory");
    char word[64];
    for (size_t i = 0; i < (fr->n + 1) * fr->m; i++) {
        if (fscanf(f, "%63s", word) != 1)
            die("truncated front");
        double v = strtod(word, NULL);
        if (i < fr->n * fr->m)
            fr->points[i] = v;
        else
            fr->ref[i - fr->n * fr->m] = v;
    }
    return 1;
}

static void run_hypervolume(front *fr, double *out)
{
    if (hps_hypervolume(fr->points, fr->n, fr->m, fr->ref, out) != HPS_OK)
        die("hps_hypervolume failed");
}

static void run_contributions(front *fr, double *out)
{
    (void)out;
    if (hps_hypervolume_contributions(fr->points, fr->n, fr->m, fr->ref, fr->contributions) !=
        HPS_OK)
        die("hps_hypervolume_contributions failed");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU seconds per call: the median of 5 timings of as many calls as fill 0.1 s */
static double time_per_call(void (*run)(front *, double *), front *fr, double *out)
{
    double start = cpu_seconds();
    run(fr, out);
    double once = cpu_seconds() - start;
    long calls = once > 0.1 ? 1 : (long)(0.1 / (once > 1e-7 ? once : 1e-7)) + 1;
    double timings[5];
    for (int k = 0; k < 5; k++) {
        start = cpu_seconds();
        for (long c = 0; c < calls; c++)
            run(fr, out);
        timings[k] = (cpu_seconds() - start) / (double)calls;
    }
    qsort(timings, 5, sizeof *timings, cmp_double);
    return timings[2];
}

static void print_values(front *fr)
{
    double volume;
    run_hypervolume(fr, &volume);
    run_contributions(fr, NULL);
    printf("hv=%a c=", volume);
    for (size_t i = 0; i < fr->n; i++)
        printf("%s%a", i ? "," : "", fr->contributions[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    int values_only = argc == 3 && strcmp(argv[1], "--values") == 0;
    if (argc != 2 && !values_only)
        die("usage: hypervolume_cost [--values] FRONTS");
    FILE *f = fopen(argv[argc - 1], "r");
    if (f == NULL)
        die("cannot open the fronts file");
    front fr;
    while (read_front(f, &fr)) {
        if (values_only) {
            print_values(&fr);
            free(fr.points);
            free(fr.contributions);
            continue;
        }
        double volume, unused;
        double hv_s = time_per_call(run_hypervolume, &fr, &volume);
        double contrib_s = time_per_call(run_contributions, &fr, &unused);
        printf("m=%zu n=%zu hv_ms=%.6f contrib_ms=%.6f hv=%a\n", fr.m, fr.n, hv_s * 1e3,
               contrib_s * 1e3, volume);
        fflush(stdout);
        free(fr.points);
        free(fr.contributions);
    }
    fclose(f);
    return 0;
}
