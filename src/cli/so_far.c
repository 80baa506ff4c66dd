/* so_far.c -- a PAUSED trial's result so far (see so_far.h). */
#include "cli/so_far.h"

size_t so_far_values(const hps_frozen *t, int64_t *step, double *values, size_t cap)
{
    size_t n = hps_frozen_n_intermediate(t);
    if (hps_frozen_state(t) != HPS_PAUSED || n == 0 || cap == 0)
        return 0;
    double first;
    hps_frozen_intermediate(t, n - 1, step, &first);
    size_t have = hps_frozen_intermediate_values(t, n - 1, values, cap);
    /* a step reported with hps_trial_report has one value, the first objective's */
    if (have == 0) {
        values[0] = first;
        have = 1;
    }
    return have < cap ? have : cap;
}
