/* hypervolume.h -- the hypervolume of a set of objective vectors, each point's exclusive
 * contribution to it, and the reference point Optuna would choose.
 *
 * Pure computation on caller arrays, with the conventions of base/pareto.h: every
 * objective MINIMIZED (callers negate maximized ones, and their reference coordinates),
 * points row-major (n rows of m doubles), inputs only read, nothing retained. Caps:
 * n <= HPS_PARETO_MAX_POINTS, 1 <= m <= HPS_PARETO_MAX_OBJECTIVES, else HPS_ERR_INVALID;
 * NULL arrays are HPS_ERR_INVALID (points may be NULL when n == 0). Each call allocates
 * its workspace once (O(n m^2) doubles at most); HPS_ERR_NOMEM leaves outputs unspecified.
 *
 * The hypervolume of S w.r.t. the reference point r is the volume of the union of the
 * boxes [p, r] over p in S. A point that is not strictly better than r in every
 * objective (some p_j >= r_j, or a NaN) has an empty box: it is ignored and contributes
 * 0 (Optuna raises for p_j > r_j; its hypervolume history skips such points likewise).
 * The reference point must be finite (HPS_ERR_INVALID otherwise).
 *
 * Exact algorithms, by the number of objectives m:
 *   m = 1    the longest box;
 *   m = 2    sort and sweep, O(n log n);
 *   m = 3    the dimension sweep of Beume, Fonseca, Lopez-Ibanez, Paquete and Vahrenhold
 *            (IEEE TEVC 2009): points in increasing third objective, the 2-D staircase of
 *            those seen kept in order of the first (a Fenwick tree over its ranks), so
 *            O(n log n), and the area only ever grows (no cancellation);
 *   m >= 4   WFG (While, Bradstreet and Barone, IEEE TEVC 2012) with slicing on the last
 *            objective: HV = sum over points p, in increasing last objective, of
 *            (r_last - p_last) times the exclusive (m-1)-D hypervolume of p against the
 *            points before it, which is vol(p) - HV(non-dominated limit set); recursion
 *            down to the 3-D sweep. Exponential in m at worst, fast on real fronts.
 * Results are exact up to floating-point rounding (about 1e-15 relative; the WFG
 * subtractions can lose a few more digits on contributions that are tiny relative to
 * their point's box). Volumes that overflow a double are +inf. */
#ifndef HPS_HYPERVOLUME_H
#define HPS_HYPERVOLUME_H

#include "base/pareto.h"
#include "hpsearch.h"

#include <stddef.h>

/* Optuna's EPS (samplers/_tpe/sampler.py): the reference coordinate used where the rule
 * below would give 0. */
#define HPS_HV_EPS 1e-12

/* hps_hypervolume(points, n, m, ref, out), the hypervolume of the n points w.r.t. ref,
 * is public: its contract is in include/hpsearch.h. */

/* contribution[i] = HV(S) - HV(S without point i), the volume only point i dominates:
 * 0 for an ignored point, a dominated one, or one with a duplicate in S. What MOTPE
 * weights the good group by and what HSSP selects with. m = 2: direct from the sorted
 * staircase, (next x - x) * (previous y - y); otherwise vol(p) minus the hypervolume of
 * the others limited to p's box. A counted point with a -inf coordinate makes the
 * contributions undefined: HPS_ERR_INVALID. contribution has n entries. */
hps_status hps_hypervolume_contributions(const double *points, size_t n, size_t m,
                                         const double *ref, double *contribution);

/* The hypervolume improvement of adding the point p (m values) to the n points:
 * HV(S + p) - HV(S), i.e. vol(p) minus the hypervolume of S limited to p's box (0 when p
 * is ignored or weakly dominated by a counted point of S). What a hypervolume history
 * adds per new trial and what EHVI integrates. -inf in p or in a counted point:
 * HPS_ERR_INVALID. */
hps_status hps_hypervolume_improvement(const double *points, size_t n, size_t m, const double *p,
                                       const double *ref, double *out);

/* The reference point: `given` (m values) when not NULL -- the caller's choice always
 * takes precedence, and must be finite -- else Optuna's rule.
 *
 * Optuna's rule (3.1 on this machine and today's, samplers/_tpe/sampler.py, wherever
 * MOTPE computes a hypervolume: the good group's contribution weights and HSSP): with
 * w the worst (largest) value of each objective over the points given,
 *     r = max(1.1 w, 0.9 w)     (w moved outward by 10% of |w|),
 * and HPS_HV_EPS = 1e-12 where that is 0. Here w is taken over the points whose
 * coordinates are all finite (Optuna never sees NaN or inf there); where rounding would
 * leave r not strictly above w (|w| subnormal) r is the next double above w, as
 * Optuna's GP sampler does (optuna/_gp/acqf.py: nextafter of the same rule), so every
 * such point counts. Optuna's plot_hypervolume_history (3.3 on) has no default: its
 * caller names the reference point, as `given` here.
 * HPS_ERR_INVALID when given is not finite, when there is no point with all coordinates
 * finite, or when r overflows (|w| within 10% of DBL_MAX). ref has m entries. */
hps_status hps_hypervolume_reference(const double *points, size_t n, size_t m,
                                     const double *given, double *ref);

#endif
