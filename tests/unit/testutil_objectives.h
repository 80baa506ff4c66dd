/* testutil_objectives.h -- objective functions several unit tests run a sampler on
 * (after cmocka.h: a failed suggest fails the test). */
#ifndef HPS_TESTUTIL_OBJECTIVES_H
#define HPS_TESTUTIL_OBJECTIVES_H

#include <stddef.h>

#include "hpsearch.h"

/* One trial of testutil_tree: its value, how many parameters it suggested, and where
 * it went. */
typedef struct testutil_tree_trial {
    double value;
    size_t n_suggested;
    int deep;   /* took the `deep` branch */
    int layers; /* on `deep`: 1 or 2, else 0 */
} testutil_tree_trial;

/* A conditional space whose optimum 0 is in the `deep` branch with two layers and both
 * offsets z1, z2 at 0.5 (each weighs 0.5 (z - 0.5)^2); one layer costs 0.2 more, and
 * the `flat` branch has its floor at 0.3, so its random settings look better than
 * deep's. A sampler that models only the shared parameter (`branch`) and draws the
 * others at random never settles on two layers. */
testutil_tree_trial testutil_tree(hps_trial *t);

/* A model choice among "a", "b" and "c", each with its own parameter in [0, 1] ("xa",
 * "xb", "xc"): suggests both and returns the model's index, its parameter in *x. */
size_t testutil_pick_model(hps_trial *t, double *x);

#endif
