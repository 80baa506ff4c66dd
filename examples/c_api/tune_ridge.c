/* tune_ridge.c -- hpsearch from C: tune a ridge-regression model, for real.
 *
 * The model: ridge regression on polynomial features of a noisy 1-D signal, solved in
 * closed form; hyperparameters are the regularization strength (log scale) and the
 * polynomial degree; the objective is the validation mean squared error. The study
 * lives in an SQLite file, so running the program again continues it (and several
 * copies started at once share the work).
 *
 *   cc tune_ridge.c -I../../include ../../build/libhpsearch.a -lsqlite3 -ljansson -lm -lpthread
 *   ./a.out [sqlite:ridge.db] [sampler: random|sobol|grid] [trials]
 */
#include "hpsearch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TRAIN 60
#define N_VALID 200
#define MAX_DEGREE 12

/* A smooth signal plus noise, from a fixed linear congruential generator so every run
 * sees the same data. */
static void make_data(double *x, double *y, int n, unsigned *state)
{
    for (int i = 0; i < n; i++) {
        *state = *state * 1103515245u + 12345u;
        x[i] = ((*state >> 8) & 0xffff) / 65535.0 * 2 - 1;
        *state = *state * 1103515245u + 12345u;
        double noise = (((*state >> 8) & 0xffff) / 65535.0 - 0.5) * 0.4;
        y[i] = sin(3 * x[i]) + 0.5 * x[i] * x[i] + noise;
    }
}

/* Solves (X'X + alpha I) w = X'y by Gaussian elimination with partial pivoting. */
static void fit_ridge(const double *x, const double *y, int n, int degree, double alpha, double *w)
{
    int d = degree + 1;
    double a[MAX_DEGREE + 1][MAX_DEGREE + 2] = {{0}};
    for (int i = 0; i < n; i++) {
        double phi[MAX_DEGREE + 1];
        phi[0] = 1;
        for (int k = 1; k < d; k++)
            phi[k] = phi[k - 1] * x[i];
        for (int r = 0; r < d; r++) {
            for (int c = 0; c < d; c++)
                a[r][c] += phi[r] * phi[c];
            a[r][d] += phi[r] * y[i];
        }
    }
    for (int r = 1; r < d; r++) /* the intercept is not regularized */
        a[r][r] += alpha;
    for (int col = 0; col < d; col++) {
        int pivot = col;
        for (int r = col + 1; r < d; r++)
            if (fabs(a[r][col]) > fabs(a[pivot][col]))
                pivot = r;
        for (int c = 0; c <= d; c++) {
            double t = a[col][c];
            a[col][c] = a[pivot][c];
            a[pivot][c] = t;
        }
        for (int r = 0; r < d; r++) {
            if (r == col || a[col][col] == 0)
                continue;
            double f = a[r][col] / a[col][col];
            for (int c = col; c <= d; c++)
                a[r][c] -= f * a[col][c];
        }
    }
    for (int r = 0; r < d; r++)
        w[r] = a[r][r] != 0 ? a[r][d] / a[r][r] : 0;
}

static double mse(const double *x, const double *y, int n, int degree, const double *w)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double pred = 0, p = 1;
        for (int k = 0; k <= degree; k++, p *= x[i])
            pred += w[k] * p;
        sum += (pred - y[i]) * (pred - y[i]);
    }
    return sum / n;
}

int main(int argc, char **argv)
{
    const char *storage = argc > 1 ? argv[1] : "sqlite:ridge.db";
    const char *sampler_name = argc > 2 ? argv[2] : "sobol";
    const char *trials = argc > 3 ? argv[3] : "30";
    double xt[N_TRAIN], yt[N_TRAIN], xv[N_VALID], yv[N_VALID];
    unsigned state = 2024;
    make_data(xt, yt, N_TRAIN, &state);
    make_data(xv, yv, N_VALID, &state);

    char err[512];
    hps_study *study = NULL;
    hps_direction direction = HPS_MINIMIZE;
    char study_name[64];
    snprintf(study_name, sizeof study_name, "ridge-%s", sampler_name);
    if (hps_study_open(storage, study_name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &direction, 1,
                       &study, err, sizeof err) != HPS_OK) {
        fprintf(stderr, "tune_ridge: %s\n", err);
        return 1;
    }
    hps_sampler *sampler = NULL;
    if (hps_sampler_new(sampler_name, &sampler, err, sizeof err) != HPS_OK) {
        fprintf(stderr, "tune_ridge: %s\n", err);
        hps_study_close(study);
        return 2;
    }
    hps_sampler_set(sampler, "seed", "7");
    if (strcmp(sampler_name, "grid") == 0) {
        hps_value alphas[6], degrees[4];
        for (int i = 0; i < 6; i++)
            alphas[i] = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = pow(10, i - 5)};
        for (int i = 0; i < 4; i++)
            degrees[i] = (hps_value){.type = HPS_VALUE_INT, .u.i = 3 * (i + 1)};
        hps_sampler_grid_add(sampler, "alpha", alphas, 6);
        hps_sampler_grid_add(sampler, "degree", degrees, 4);
    }
    if (hps_study_set_sampler(study, sampler) != HPS_OK ||
        hps_study_set(study, "max_trials", trials) != HPS_OK) {
        fprintf(stderr, "tune_ridge: %s\n", hps_study_errmsg(study));
        hps_study_close(study);
        return 2;
    }

    hps_trial *trial;
    hps_status rc;
    int ran = 0;
    while ((rc = hps_study_ask(study, &trial)) == HPS_OK) {
        double alpha = 0, w[MAX_DEGREE + 1];
        int64_t degree = 0;
        if (strcmp(sampler_name, "grid") == 0) {
            /* grid cells carry their own values; suggest them as categoricals */
            hps_value alphas[6], degrees[4];
            size_t ia, id;
            for (int i = 0; i < 6; i++)
                alphas[i] = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = pow(10, i - 5)};
            for (int i = 0; i < 4; i++)
                degrees[i] = (hps_value){.type = HPS_VALUE_INT, .u.i = 3 * (i + 1)};
            rc = hps_trial_suggest_categorical(trial, "alpha", alphas, 6, &ia);
            if (rc == HPS_OK)
                rc = hps_trial_suggest_categorical(trial, "degree", degrees, 4, &id);
            alpha = alphas[ia].u.f;
            degree = degrees[id].u.i;
        } else {
            rc = hps_trial_suggest_float(trial, "alpha", 1e-6, 10, 0, HPS_LOG, &alpha);
            if (rc == HPS_OK)
                rc = hps_trial_suggest_int(trial, "degree", 1, MAX_DEGREE, 1, 0, &degree);
        }
        if (rc != HPS_OK) {
            fprintf(stderr, "tune_ridge: %s\n", hps_trial_errmsg(trial));
            hps_trial_fail(trial, hps_trial_errmsg(trial));
            hps_trial_free(trial);
            break;
        }
        fit_ridge(xt, yt, N_TRAIN, (int)degree, alpha, w);
        double loss = mse(xv, yv, N_VALID, (int)degree, w);
        if (hps_trial_tell(trial, HPS_COMPLETE, loss) != HPS_OK)
            fprintf(stderr, "tune_ridge: %s\n", hps_trial_errmsg(trial));
        hps_trial_free(trial);
        ran++;
    }
    if (rc != HPS_OK && rc != HPS_DONE)
        fprintf(stderr, "tune_ridge: %s\n", hps_study_errmsg(study));

    const hps_frozen *best;
    if (hps_study_best_trial(study, &best) == HPS_OK) {
        long ai = hps_frozen_param_index(best, "alpha"), di = hps_frozen_param_index(best, "degree");
        hps_value a = hps_frozen_param_value(best, (size_t)ai), d = hps_frozen_param_value(best, (size_t)di);
        printf("%s: ran %d trials; best validation MSE %.5f with alpha=%.3g degree=%lld (trial %lld)\n",
               study_name, ran, hps_frozen_value(best, 0), a.u.f, (long long)d.u.i,
               (long long)hps_frozen_number(best));
    }
    hps_study_close(study);
    return rc == HPS_DONE || rc == HPS_OK ? 0 : 1;
}
