/* nsga_crossover.h -- the crossover operators of the genetic samplers (nsga2.c): how the
 * numeric parameters of two or three parents make a child's, as Optuna's
 * optuna.samplers.nsgaii crossovers (3.1's formulas; sbx and vsbx keep one child of
 * their pair as the newest Optuna does).
 *
 * Every operator works on the parents' coordinates in the unit cube of the space (each
 * parameter's range mapped to [0, 1], log parameters on their log scale, stepped ones
 * padded half a step each side), where Optuna works in its transformed space (log scale,
 * the same half-step padding, not rescaled). Every operator but undx is equivariant
 * under rescaling an axis, so the two spaces give the same children; undx's spread
 * across the parents' line is isotropic, so it weighs each parameter's range alike here
 * and each parameter's units in Optuna. A child may fall outside the cube: the caller
 * redraws it (nsga2.c). */
#ifndef HPS_NSGA_CROSSOVER_H
#define HPS_NSGA_CROSSOVER_H

#include "base/rng.h"

#include <stddef.h>

/* The largest number of parents an operator takes. */
#define HPS_NSGA_MAX_PARENTS 3

typedef enum hps_nsga_crossover {
    HPS_NSGA_UNIFORM,
    HPS_NSGA_SBX,
    HPS_NSGA_BLX_ALPHA,
    HPS_NSGA_SPX,
    HPS_NSGA_UNDX,
    HPS_NSGA_VSBX,
} hps_nsga_crossover;

/* An operator with its parameters; NAN where the default depends on the dimension
 * (spx_epsilon: sqrt(d + 2); undx_sigma_eta: 0.35 / sqrt(d)). */
typedef struct hps_nsga_operator {
    hps_nsga_crossover kind;
    double swapping_prob; /* uniform: the probability of the first parent's value */
    double eta;           /* sbx, vsbx: the distribution index */
    double blx_alpha;
    double spx_epsilon;
    double undx_sigma_xi;
    double undx_sigma_eta;
} hps_nsga_operator;

/* How many parents the operator crosses: 3 for spx and undx, else 2 (Optuna's
 * n_parents). */
size_t hps_nsga_operator_parents(hps_nsga_crossover kind);

/* One child of parents[0..hps_nsga_operator_parents(op->kind)), each d coordinates of
 * the unit cube, into child[0..d). d >= 1. */
void hps_nsga_cross(const hps_nsga_operator *op, const double *const *parents, size_t d,
                    hps_rng *rng, double *child);

#endif
