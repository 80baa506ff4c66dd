/* testutil_sampler.h -- a sampler's joint sample run as the engine runs it, for the unit
 * tests that call it directly to make its allocations fail (after cmocka.h). */
#ifndef HPS_TESTUTIL_SAMPLER_H
#define HPS_TESTUTIL_SAMPLER_H

#include <stddef.h>

#include "engine/study.h"
#include "samplers/sampler.h"

/* Runs `ops`' sample_relative for `asking` (a trial of `study`, whose sampler `ops` is)
 * with the history and context the engine gives it, first with allocation 1 failing,
 * then 2, and so on up to max_k: each run that fails must return HPS_ERR_NOMEM, and the
 * first that does not must return HPS_OK with its sample in values[0..n) (NaN before
 * each run). The relative space must have n parameters. Fails the test otherwise, or
 * when no run up to max_k succeeds. */
void testutil_sample_relative_under_oom(hps_study *study, hps_trial *asking,
                                        const hps_sampler_ops *ops, double *values,
                                        size_t n, unsigned long max_k);

#endif
