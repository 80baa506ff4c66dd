/* linalg.h -- the dense linear algebra of the GP sampler, over LAPACKE and OpenBLAS.
 *
 * All matrices are column-major with leading dimension equal to their row count, the
 * layout LAPACK works in natively (a row-major call would make LAPACKE transpose a
 * copy on every call). Covariance matrices are symmetric, so only their lower triangle
 * is read. */
#ifndef HPS_GP_LINALG_H
#define HPS_GP_LINALG_H

#include <stddef.h>

/* Jitter added to the diagonal, relative to the mean diagonal, on the first retry of a
 * failed factorization; each further retry multiplies it by 10, up to GP_JITTER_MAX. */
#define GP_JITTER_START 1e-10
#define GP_JITTER_MAX 1e-1

/* Cholesky factor L (lower) of the n x n matrix `a` (lower triangle read) into `l`. When the matrix is not numerically positive definite,
 * retries with growing jitter on the diagonal. *jitter_out (may be NULL) receives the
 * jitter added in absolute units (0 when none was needed). Returns 0, or -1 when `a`
 * holds non-finite numbers or even the largest jitter does not help; `l` is then
 * unspecified. `l` must not alias `a`: a failed attempt restarts from `a`. */
int gp_cholesky(const double *a, size_t n, double *l, double *jitter_out);

/* Solves (L L^T) x = b in place for `nrhs` right-hand sides (b is n x nrhs). */
void gp_chol_solve(const double *l, size_t n, double *b, size_t nrhs);

/* Solves L x = b in place (b is n x nrhs): the whitened cross-covariances. */
void gp_tri_solve_lower(const double *l, size_t n, double *b, size_t nrhs);

/* Overwrites the factor L (lower) with the lower triangle of (L L^T)^-1, then mirrors
 * it into the upper triangle so the result is a full symmetric matrix. Returns 0 or -1
 * (a zero on the diagonal of L, which gp_cholesky never produces). */
int gp_chol_inverse(double *l, size_t n);

/* log det(L L^T) = 2 sum log L_ii. */
double gp_chol_logdet(const double *l, size_t n);

/* Extends a Cholesky factor by p rows and columns, in place: `l` has leading dimension
 * n + p and holds the n x n factor in its top-left corner; `cross` is the n x p block
 * K(old, new), `corner` the p x p block K(new, new) (lower read). Afterwards `l` is the
 * (n + p) x (n + p) factor. Costs O(n^2 p) instead of a refactorization. Jitter
 * escalation applies to the new corner. Returns 0 or -1 like gp_cholesky. `work`
 * holds at least n * p + 2 * p * p doubles. */
int gp_chol_extend(double *l, size_t n, const double *cross, const double *corner, size_t p,
                   double *work);

/* Runs the BLAS single-threaded between the two calls, whatever the host process set,
 * and gives the process its own thread count back afterwards. The GP's matrices are
 * small: splitting them among OpenBLAS's threads costs more in handing over and
 * spinning than it saves, and on a busy machine an ask then waits for cores. The count
 * is OpenBLAS's, shared by the whole process (numpy, torch): calls nest and overlap
 * across threads, and the count set before the first one comes back after the last --
 * unless the host changed it meanwhile, which is then kept. */
void gp_blas_serial_begin(void);
void gp_blas_serial_end(void);

#endif
