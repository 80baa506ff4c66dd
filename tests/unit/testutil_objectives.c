/* testutil_objectives.c -- objective functions the unit tests share (see
 * testutil_objectives.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil_objectives.h"

#include "testutil.h"

size_t testutil_pick_model(hps_trial *t, double *x)
{
    static const hps_value models[] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                                       {.type = HPS_VALUE_STRING, .u.s = "b"},
                                       {.type = HPS_VALUE_STRING, .u.s = "c"}};
    static const char *const names[] = {"xa", "xb", "xc"};
    size_t model;
    ASSERT_OK(hps_trial_suggest_categorical(t, "model", models, 3, &model));
    ASSERT_OK(hps_trial_suggest_float(t, names[model], 0, 1, 0, 0, x));
    return model;
}

testutil_tree_trial testutil_tree(hps_trial *t)
{
    static const hps_value branches[] = {{.type = HPS_VALUE_STRING, .u.s = "flat"},
                                         {.type = HPS_VALUE_STRING, .u.s = "deep"}};
    testutil_tree_trial r = {0};
    size_t branch;
    ASSERT_OK(hps_trial_suggest_categorical(t, "branch", branches, 2, &branch));
    r.n_suggested = 1;
    r.deep = branch == 1;
    if (!r.deep) {
        double u;
        ASSERT_OK(hps_trial_suggest_float(t, "u", 0, 1, 0, 0, &u));
        r.n_suggested++;
        r.value = 0.3 + (u - 0.5) * (u - 0.5);
        return r;
    }
    int64_t layers;
    double z1, z2;
    ASSERT_OK(hps_trial_suggest_int(t, "layers", 1, 2, 1, 0, &layers));
    ASSERT_OK(hps_trial_suggest_float(t, "z1", -1, 1, 0, 0, &z1));
    r.n_suggested += 2;
    r.layers = (int)layers;
    r.value = 0.5 * (z1 - 0.5) * (z1 - 0.5) + 0.2;
    if (layers == 2) {
        ASSERT_OK(hps_trial_suggest_float(t, "z2", -1, 1, 0, 0, &z2));
        r.n_suggested++;
        r.value += 0.5 * (z2 - 0.5) * (z2 - 0.5) - 0.2;
    }
    return r;
}
