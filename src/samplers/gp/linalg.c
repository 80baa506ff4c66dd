/* linalg.c -- Cholesky with jitter escalation, solves, inverse, block extension. */
#include "samplers/gp/linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

/* The process's BLAS thread count is one setting for the whole process; these count the
 * GP calls inside gp_blas_serial_begin/end, so that the first saves the host's setting
 * and the last restores it. */
static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned serial_depth;
static int serial_saved = 1;

void gp_blas_serial_begin(void)
{
    pthread_mutex_lock(&serial_lock);
    if (serial_depth++ == 0) {
        serial_saved = openblas_get_num_threads();
        if (serial_saved != 1)
            openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&serial_lock);
}

void gp_blas_serial_end(void)
{
    pthread_mutex_lock(&serial_lock);
    if (serial_depth > 0 && --serial_depth == 0 && serial_saved != 1 &&
        openblas_get_num_threads() == 1)
        openblas_set_num_threads(serial_saved);
    pthread_mutex_unlock(&serial_lock);
}

/* Copies the lower triangle of the n x n matrix `a` into `l` and zeroes the strict
 * upper triangle, which LAPACK leaves untouched but later products would read. */
static void copy_lower(const double *a, size_t n, double *l)
{
    for (size_t j = 0; j < n; j++) {
        memset(l + j * n, 0, j * sizeof *l);
        memcpy(l + j * n + j, a + j * n + j, (n - j) * sizeof *l);
    }
}

static int potrf_lower(double *l, size_t n)
{
    return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, l, (lapack_int)n) == 0 ? 0 : -1;
}

int gp_cholesky(const double *a, size_t n, double *l, double *jitter_out)
{
    if (jitter_out != NULL)
        *jitter_out = 0;
    if (n == 0)
        return 0;
    double diag_mean = 0;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = j; i < n; i++)
            if (!isfinite(a[j * n + i]))
                return -1;
        diag_mean += a[j * n + j];
    }
    diag_mean /= (double)n;
    /* A covariance diagonal is positive; anything else still gets a usable scale. */
    if (!(diag_mean > 0))
        diag_mean = 1;
    copy_lower(a, n, l);
    if (potrf_lower(l, n) == 0)
        return 0;
    for (double rel = GP_JITTER_START; rel <= GP_JITTER_MAX * 1.0001; rel *= 10) {
        double jitter = rel * diag_mean;
        copy_lower(a, n, l);
        for (size_t j = 0; j < n; j++)
            l[j * n + j] += jitter;
        if (potrf_lower(l, n) == 0) {
            if (jitter_out != NULL)
                *jitter_out = jitter;
            return 0;
        }
    }
    return -1;
}

void gp_chol_solve(const double *l, size_t n, double *b, size_t nrhs)
{
    if (n == 0 || nrhs == 0)
        return;
    if (nrhs == 1) {
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, l, (int)n, b, 1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, l, (int)n, b, 1);
        return;
    }
    LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, (lapack_int)nrhs, l, (lapack_int)n, b,
                   (lapack_int)n);
}

void gp_tri_solve_lower(const double *l, size_t n, double *b, size_t nrhs)
{
    if (n == 0 || nrhs == 0)
        return;
    if (nrhs == 1) {
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, l, (int)n, b, 1);
        return;
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                (int)nrhs, 1.0, l, (int)n, b, (int)n);
}

int gp_chol_inverse(double *l, size_t n)
{
    if (n == 0)
        return 0;
    if (LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int)n, l, (lapack_int)n) != 0)
        return -1;
    for (size_t j = 0; j < n; j++)
        for (size_t i = j + 1; i < n; i++)
            l[i * n + j] = l[j * n + i];
    return 0;
}

double gp_chol_logdet(const double *l, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += log(l[i * n + i]);
    return 2 * s;
}

int gp_chol_extend(double *l, size_t n, const double *cross, const double *corner, size_t p,
                   double *work)
{
    size_t m = n + p;
    double *b = work;             /* n x p: L^-1 K(old, new) */
    double *schur = work + n * p; /* p x p: K(new, new) - B^T B; its factor follows */
    double *corner_l = schur + p * p;
    memcpy(b, cross, n * p * sizeof *b);
    if (n > 0)
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)p, 1.0, l, (int)m, b, (int)n);
    memcpy(schur, corner, p * p * sizeof *schur);
    if (n > 0)
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)p, (int)n, -1.0, b, (int)n, 1.0,
                    schur, (int)p);
    if (gp_cholesky(schur, p, corner_l, NULL) != 0)
        return -1;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < p; i++)
            l[j * m + n + i] = b[i * n + j];
    for (size_t j = 0; j < p; j++) {
        memset(l + (n + j) * m, 0, (n + j) * sizeof *l);
        for (size_t i = j; i < p; i++)
            l[(n + j) * m + n + i] = corner_l[j * p + i];
    }
    return 0;
}
