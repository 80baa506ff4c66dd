/* testutil_sampler.c -- see testutil_sampler.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "testutil_sampler.h"

#include "base/mem.h"
#include "engine/history.h"
#include "testutil.h"

void testutil_sample_relative_under_oom(hps_study *study, hps_trial *asking,
                                        const hps_sampler_ops *ops, double *values,
                                        size_t n, unsigned long max_k)
{
    hps_history h;
    ASSERT_OK(hps_history_collect(study, asking, &h));
    if (h.space.n != n)
        fail_msg("the relative space has %zu parameters, not %zu", h.space.n, n);
    hps_engine_ctx e;
    hps_study_context(study, asking, &e);
    e.histories = 1; /* as the engine's sample_relative: `h` borrows the study's records */
    for (unsigned long k = 1; k <= max_k; k++) {
        for (size_t j = 0; j < n; j++)
            values[j] = NAN;
        hps_mem_fail_after(k);
        hps_status rc = ops->sample_relative(study->sampler, &e.ctx, &h, values);
        hps_mem_fail_after(0);
        if (rc == HPS_OK) {
            hps_history_clear(&h);
            return;
        }
        if (rc != HPS_ERR_NOMEM)
            fail_msg("allocation %lu failing: status %d, not HPS_ERR_NOMEM", k, (int)rc);
    }
    fail_msg("no run succeeded with allocations 1 to %lu failing", max_k);
}
