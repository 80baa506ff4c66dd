/* kernel.c -- Matern-5/2 ARD covariances, their matrices and gradients. */
#include "samplers/gp/kernel.h"

#include <math.h>

#define GP_SQRT5 2.23606797749978969640

#define GP_PI 3.14159265358979323846
/* The arc's angle per unit of the parameter, rho pi, and its radius 1 / (rho pi). */
#define GP_ARC_ANGLE (0.5 * GP_PI)
#define GP_ARC_RADIUS (1 / GP_ARC_ANGLE)

double gp_kernel_delta2(unsigned char kind, double a, double b)
{
    int a_off = a != a, b_off = b != b;
    if (kind == GP_KERNEL_NUMERIC) {
        double delta = a - b;
        return delta * delta;
    }
    if (a_off || b_off)
        return a_off == b_off ? 0.0 : (kind == GP_KERNEL_ARC ? GP_ARC_RADIUS * GP_ARC_RADIUS : 1.0);
    if (kind == GP_KERNEL_CATEGORICAL)
        return a != b ? 1.0 : 0.0;
    double chord = 2 * GP_ARC_RADIUS * sin(GP_ARC_ANGLE * (a - b) / 2);
    return chord * chord;
}

double gp_kernel_r2(const gp_kernel *k, const double *x, const double *y)
{
    double r2 = 0;
    for (size_t j = 0; j < k->d; j++)
        r2 += gp_kernel_delta2(k->categorical[j], x[j], y[j]) * k->inv_ls2[j];
    return r2;
}

double gp_matern52(double r)
{
    double sr = GP_SQRT5 * r;
    return (1 + sr + sr * sr / 3) * exp(-sr);
}

double gp_matern52_g(double r)
{
    double sr = GP_SQRT5 * r;
    return (5.0 / 3.0) * (1 + sr) * exp(-sr);
}

double gp_kernel_eval(const gp_kernel *k, const double *x, const double *y)
{
    return k->signal * gp_matern52(sqrt(gp_kernel_r2(k, x, y)));
}

void gp_kernel_matrix(const gp_kernel *k, const double *x, size_t n, double *kmat, double *g)
{
    size_t d = k->d;
    for (size_t b = 0; b < n; b++) {
        kmat[b * n + b] = k->signal;
        if (g != NULL)
            g[b * n + b] = k->signal * (5.0 / 3.0);
        for (size_t a = b + 1; a < n; a++) {
            double r = sqrt(gp_kernel_r2(k, x + a * d, x + b * d));
            double sr = GP_SQRT5 * r;
            double e = exp(-sr);
            double v = k->signal * (1 + sr + sr * sr / 3) * e;
            kmat[b * n + a] = v;
            kmat[a * n + b] = v;
            if (g != NULL) {
                double gv = k->signal * (5.0 / 3.0) * (1 + sr) * e;
                g[b * n + a] = gv;
                g[a * n + b] = gv;
            }
        }
    }
}

void gp_kernel_vector(const gp_kernel *k, const double *x, size_t n, const double *c,
                      double *kvec, double *g)
{
    size_t d = k->d;
    for (size_t i = 0; i < n; i++) {
        double r = sqrt(gp_kernel_r2(k, x + i * d, c));
        double sr = GP_SQRT5 * r;
        double e = exp(-sr);
        kvec[i] = k->signal * (1 + sr + sr * sr / 3) * e;
        if (g != NULL)
            g[i] = k->signal * (5.0 / 3.0) * (1 + sr) * e;
    }
}

void gp_kernel_cross(const gp_kernel *k, const double *x, size_t n, const double *c, size_t m,
                     double *kc)
{
    for (size_t j = 0; j < m; j++)
        gp_kernel_vector(k, x, n, c + j * k->d, kc + j * n, NULL);
}

void gp_kernel_grad_point(const gp_kernel *k, const double *x, size_t n, const double *c,
                          const double *g, const double *w, size_t nw, double *out)
{
    size_t d = k->d;
    for (size_t t = 0; t < nw * d; t++)
        out[t] = 0;
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * d;
        for (size_t j = 0; j < d; j++) {
            if (k->categorical[j])
                continue;
            double dk = -g[i] * (c[j] - xi[j]) * k->inv_ls2[j];
            for (size_t t = 0; t < nw; t++)
                out[t * d + j] += w[t * n + i] * dk;
        }
    }
}
