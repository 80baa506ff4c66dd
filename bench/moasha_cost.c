/* moasha_cost.c -- what ordering one rung costs with several objectives (MOASHA,
 * asha_rung_order in src/pruners/asha.c): the work each rung does at each ask of the
 * promotion form (and at each report that reaches a rung in mode stop), for a rung of
 * n trials.
 *
 *   moasha_cost [N ...]        (default: 100 1000 5000)
 *
 * For each rung shape and size it prints one line
 *   shape=S m=M n=N ms=T
 * with the CPU time of one asha_rung_order call (the median of 5 timings of as many
 * calls as fill 0.1 s). Shapes: "uniform" (random values, two and three objectives, a
 * few dozen fronts), "chain" (two objectives, each entry dominating the next: n fronts
 * of one entry, the worst case for anything done per front) and "front" (two objectives,
 * all entries on one front: the crowding distances decide). bench/moasha_cost.py runs
 * two builds of it -- before and after a change -- and prints their ratios
 * (bench/moasha_cost.md). */
#include "pruners/asha.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "moasha_cost: %s\n", what);
    exit(1);
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static double uniform(uint64_t *s)
{
    return (double)(next_random(s) >> 11) * 0x1p-53;
}

/* n rows of m values of the shape, all objectives minimized. */
static void fill(const char *shape, size_t n, size_t m, double *values)
{
    uint64_t seed = 0x2545f4914f6cdd1dULL + n;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / (double)(n > 1 ? n - 1 : 1);
        for (size_t j = 0; j < m; j++) {
            if (strcmp(shape, "chain") == 0)
                values[i * m + j] = t + 0.001 * (double)j;
            else if (strcmp(shape, "front") == 0)
                values[i * m + j] = j == 0 ? t : 1.0 - t * t;
            else
                values[i * m + j] = uniform(&seed);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of 5 timings, in ms per call, each of as many calls as fill 0.1 s. */
static double ms_per_call(const double *values, size_t n, size_t m, const hps_direction *dirs,
                          size_t *ahead)
{
    size_t calls = 1;
    for (;;) {
        double start = cpu_seconds();
        for (size_t c = 0; c < calls; c++)
            if (asha_rung_order(values, NULL, n, dirs, m, 0, ahead) != HPS_OK)
                die("asha_rung_order failed");
        if (cpu_seconds() - start >= 0.1 || calls >= ((size_t)1 << 20))
            break;
        calls *= 2;
    }
    double times[5];
    for (int r = 0; r < 5; r++) {
        double start = cpu_seconds();
        for (size_t c = 0; c < calls; c++)
            if (asha_rung_order(values, NULL, n, dirs, m, 0, ahead) != HPS_OK)
                die("asha_rung_order failed");
        times[r] = (cpu_seconds() - start) * 1e3 / (double)calls;
    }
    qsort(times, 5, sizeof *times, cmp_double);
    return times[2];
}

int main(int argc, char **argv)
{
    static const size_t default_sizes[] = {100, 1000, 5000};
    size_t sizes[64], n_sizes = 0;
    for (int a = 1; a < argc && n_sizes < 64; a++) {
        char *end;
        unsigned long long n = strtoull(argv[a], &end, 10);
        if (*end != '\0' || n == 0 || n > 10000000)
            die("each argument is a rung size, an integer in [1, 10000000]");
        sizes[n_sizes++] = (size_t)n;
    }
    if (n_sizes == 0) {
        memcpy(sizes, default_sizes, sizeof default_sizes);
        n_sizes = sizeof default_sizes / sizeof *default_sizes;
    }
    static const struct {
        const char *shape;
        size_t m;
    } cases[] = {{"uniform", 2}, {"uniform", 3}, {"chain", 2}, {"front", 2}};
    static const hps_direction dirs[3] = {HPS_MINIMIZE, HPS_MINIMIZE, HPS_MINIMIZE};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (size_t s = 0; s < n_sizes; s++) {
            size_t n = sizes[s], m = cases[c].m;
            double *values = malloc(n * m * sizeof *values);
            size_t *ahead = malloc(n * sizeof *ahead);
            if (values == NULL || ahead == NULL)
                die("out of memory");
            fill(cases[c].shape, n, m, values);
            double ms = ms_per_call(values, n, m, dirs, ahead);
            printf("shape=%s m=%zu n=%zu ms=%.6g\n", cases[c].shape, m, n, ms);
            fflush(stdout);
            free(values);
            free(ahead);
        }
    }
    return 0;
}
