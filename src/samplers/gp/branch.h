/* branch.h -- which branch of a conditional space the GP searches next.
 *
 * A branch is a set of active parameters (with the discrete values that select it) that
 * finished trials took; gp.c groups the trials into branches. By default the GP runs its
 * acquisition in every branch and keeps the best value ("acquisition"). The alternatives
 * here use how the trials of each branch rank: "thompson" picks one branch first and
 * leaves the GP to choose the values inside it; "weighted" still runs the acquisition in
 * every branch but weights each branch's best value by a draw of the branch's rate
 * below (its log added to the log acquisition, a prior over branches in the manner of
 * piBO). Why ranks: on the held-out conditional sets the GP won inside branches but lost
 * where the choice of branch was hard (many leaves, deep trees, model choices), where
 * its expected improvement favoured the branches with the most parameters and so the
 * most uncertainty (bench/conditional_heldout.md).
 *
 * The choice is Thompson sampling on a Bernoulli bandit: a trial "succeeds" when it
 * ranks among the best gamma(n) of all trials (TPE's good group, TPE's default gamma),
 * so a branch's success rate is the share of its trials in the good group -- what a TPE
 * density ratio l(b) / g(b) orders branches by. Each branch's rate gets a Beta posterior
 * whose prior has the overall rate as its mean and the weight of GP_BRANCH_PRIOR_TRIALS
 * trials; one draw per branch, and the largest draw wins ("thompson") or weights the
 * branch's acquisition ("weighted"). A branch with few trials keeps a wide posterior and
 * is revisited now and then; one with many bad trials is not. */
#ifndef HPS_GP_BRANCH_H
#define HPS_GP_BRANCH_H

#include "base/rng.h"

#include <stddef.h>

typedef enum gp_branch_choice {
    GP_BRANCH_ACQUISITION = 0, /* the acquisition in every branch, the largest wins */
    GP_BRANCH_THOMPSON = 1,    /* one branch by Thompson sampling, then the acquisition */
    GP_BRANCH_WEIGHTED = 2     /* the acquisition in every branch times a Thompson draw */
} gp_branch_choice;

/* Weight of the prior, in trials. */
#define GP_BRANCH_PRIOR_TRIALS 2.0

/* The good group's size among n trials: TPE's default, ceil(0.1 n) capped at 25, and
 * at least 1 when n > 0. */
size_t gp_branch_n_good(size_t n);

/* A draw from Beta(a, b), a, b > 0. */
double gp_branch_beta(hps_rng *rng, double a, double b);

/* One Thompson draw of a branch's share of good trials: n_good of its n_trials trials
 * are in the good group, n_good_total of n_total trials are. */
double gp_branch_draw(hps_rng *rng, size_t n_trials, size_t n_good, size_t n_good_total,
                      size_t n_total);

/* The branch chosen among `n_branches` (> 0): n_trials[k] trials of branch k, of which
 * n_good[k] are in the good group; n_good_total of n_total trials are. */
size_t gp_branch_thompson(hps_rng *rng, const size_t *n_trials, const size_t *n_good,
                          size_t n_branches, size_t n_good_total, size_t n_total);

#endif
