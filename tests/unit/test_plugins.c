/* test_plugins.c -- samplers and pruners written outside the library, through the
 * public registration calls only (hpsearch.h): created by name, given the context and
 * the history the built-in ones get, their errors reported on the study. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a sampler: coordinate descent around the best trial, step halving ------------ */

typedef struct coord_state {
    double step; /* option "step", a fraction of the range */
} coord_state;

static void *coord_create(void *user_data)
{
    coord_state *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->step = *(const double *)user_data;
    return s;
}

static void coord_destroy(void *state)
{
    free(state);
}

static hps_status coord_set_option(void *state, const char *option, const char *value)
{
    if (strcmp(option, "step") != 0)
        return HPS_ERR_NOTFOUND;
    ((coord_state *)state)->step = atof(value);
    return HPS_OK;
}

static hps_status coord_bind(void *state, const hps_context *ctx)
{
    coord_state *s = state;
    assert_null(hps_context_trial(ctx));
    assert_int_equal(hps_context_n_directions(ctx), 1);
    char *stored = NULL;
    ASSERT_OK(hps_context_agree(ctx, "coord_step", "0.25", &stored));
    s->step = atof(stored); /* workers share the first one's step */
    hps_free(stored);
    return HPS_OK;
}

/* Independent values: the middle of the range. */
static hps_status coord_sample(void *state, const hps_context *ctx, const char *name,
                               const hps_dist *dist, double *internal_out)
{
    (void)name, (void)state;
    assert_non_null(hps_context_trial(ctx));
    *internal_out = (hps_dist_low(dist) + hps_dist_high(dist)) / 2;
    return HPS_OK;
}

/* Joint values: the best finished trial, moved by +-step along one coordinate. */
static hps_status coord_relative(void *state, const hps_context *ctx, const hps_history *h,
                                 double *values_out)
{
    coord_state *s = state;
    /* the context tells what a strategy may need beyond the history */
    assert_int_equal(hps_context_direction(ctx, 0), HPS_MINIMIZE);
    assert_int_equal(hps_context_budget(ctx), 40);
    assert_int_equal(hps_context_seed(ctx), 3);
    const hps_frozen *const *all;
    size_t n_all;
    ASSERT_OK(hps_context_trials(ctx, &all, &n_all));
    assert_true(n_all >= hps_history_n_finished(h) + hps_history_n_pending(h));
    for (size_t i = 0; i < hps_history_n_pending(h); i++)
        assert_int_equal(hps_frozen_state(hps_history_pending(h, i)), HPS_RUNNING);
    const hps_frozen *best = NULL;
    for (size_t i = 0; i < hps_history_n_finished(h); i++) {
        const hps_frozen *f = hps_history_finished(h, i);
        if (best == NULL || hps_frozen_value(f, 0) < hps_frozen_value(best, 0))
            best = f;
    }
    int64_t n = hps_frozen_number(hps_context_trial(ctx));
    size_t axis = (size_t)n % hps_history_space_size(h);
    double sign = (n / (int64_t)hps_history_space_size(h)) % 2 == 0 ? 1 : -1;
    for (size_t i = 0; i < hps_history_space_size(h); i++) {
        const hps_dist *d = hps_history_space_dist(h, i);
        long k = hps_frozen_param_index(best, hps_history_space_name(h, i));
        double x = hps_frozen_param_internal(best, (size_t)k);
        if (i == axis)
            x += sign * s->step * (hps_dist_high(d) - hps_dist_low(d));
        values_out[i] = fmin(hps_dist_high(d), fmax(hps_dist_low(d), x));
    }
    if (s->step > 1e-3 && n % 4 == 3)
        s->step /= 2;
    return HPS_OK;
}

static double coord_initial_step = 0.5;
static const hps_sampler_methods coord_methods = {
    .version = HPS_PLUGIN_VERSION,
    .name = "coordinate",
    .user_data = &coord_initial_step,
    .create = coord_create,
    .destroy = coord_destroy,
    .set_option = coord_set_option,
    .bind = coord_bind,
    .sample = coord_sample,
    .sample_relative = coord_relative,
};

static double bowl(double x, double y)
{
    return (x - 0.3) * (x - 0.3) + (y + 0.6) * (y + 0.6);
}

static void test_registered_sampler_tunes(void **state)
{
    (void)state;
    ASSERT_OK(hps_sampler_register(&coord_methods));
    assert_int_equal(hps_sampler_register(&coord_methods), HPS_ERR_EXISTS);
    hps_sampler_methods builtin_name = coord_methods;
    builtin_name.name = "tpe";
    assert_int_equal(hps_sampler_register(&builtin_name), HPS_ERR_EXISTS);
    hps_sampler_methods old = coord_methods;
    old.name = "old";
    old.version = 99;
    assert_int_equal(hps_sampler_register(&old), HPS_ERR_INVALID);

    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "coord", HPS_OPEN_CREATE, &dir, 1, &study, err,
                             sizeof err));
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new("coordinate", &sampler, err, sizeof err));
    assert_string_equal(hps_sampler_name(sampler), "coordinate");
    ASSERT_OK(hps_sampler_set(sampler, "step", "0.4"));
    assert_int_equal(hps_sampler_set(sampler, "nonsense", "1"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(sampler), "nonsense"));
    ASSERT_OK(hps_sampler_set(sampler, "seed", "3"));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    ASSERT_OK(hps_study_set(study, "max_trials", "40"));
    hps_trial *t, *pending;
    ASSERT_OK(hps_study_ask(study, &pending)); /* runs throughout: the history shows it */
    double px, py;
    ASSERT_OK(hps_trial_suggest_float(pending, "x", -2, 2, 0, 0, &px));
    ASSERT_OK(hps_trial_suggest_float(pending, "y", -2, 2, 0, 0, &py));
    while (hps_study_ask(study, &t) == HPS_OK) {
        double x, y;
        ASSERT_OK(hps_trial_suggest_float(t, "x", -2, 2, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", -2, 2, 0, 0, &y));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, bowl(x, y)));
        hps_trial_free(t);
    }
    ASSERT_OK(hps_trial_tell(pending, HPS_COMPLETE, bowl(px, py)));
    hps_trial_free(pending);
    const hps_frozen *best;
    ASSERT_OK(hps_study_best_trial(study, &best));
    /* the first trial is the middle (value 0.45); coordinate steps get far closer */
    assert_true(hps_frozen_value(best, 0) < 0.01);
    hps_study_close(study);
}

/* ---- a sampler whose callbacks fail: the study reports the message ------------------ */

static hps_status failing_sample(void *state, const hps_context *ctx, const char *name,
                                 const hps_dist *dist, double *internal_out)
{
    (void)state, (void)dist, (void)internal_out;
    char message[128];
    snprintf(message, sizeof message, "no value for '%s' in study '%s'", name,
             hps_context_study_name(ctx));
    hps_context_error(ctx, message);
    return HPS_ERR_UNSUPPORTED;
}

static hps_status silent_failure(void *state, const hps_context *ctx, const char *name,
                                 const hps_dist *dist, double *internal_out)
{
    (void)state, (void)ctx, (void)name, (void)dist, (void)internal_out;
    return HPS_ERR_UNSUPPORTED;
}

static void test_registered_sampler_errors(void **state)
{
    (void)state;
    static const hps_sampler_methods failing = {
        .version = HPS_PLUGIN_VERSION, .name = "failing", .sample = failing_sample};
    static const hps_sampler_methods silent = {
        .version = HPS_PLUGIN_VERSION, .name = "silent", .sample = silent_failure};
    static const hps_sampler_methods incomplete = {.version = HPS_PLUGIN_VERSION,
                                                   .name = "incomplete"};
    ASSERT_OK(hps_sampler_register(&failing));
    ASSERT_OK(hps_sampler_register(&silent));
    assert_int_equal(hps_sampler_register(&incomplete), HPS_ERR_INVALID);
    const char *names[] = {"failing", "silent"};
    const char *want[] = {"no value for 'x' in study 'errors'", "sampler 'silent': sample failed"};
    for (int k = 0; k < 2; k++) {
        hps_study *study;
        hps_direction dir = HPS_MINIMIZE;
        ASSERT_OK(hps_study_open(":memory:", "errors", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
        hps_sampler *sampler;
        ASSERT_OK(hps_sampler_new(names[k], &sampler, NULL, 0));
        ASSERT_OK(hps_study_set_sampler(study, sampler));
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x;
        assert_int_equal(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x), HPS_ERR_UNSUPPORTED);
        if (strstr(hps_trial_errmsg(t), want[k]) == NULL)
            fail_msg("message '%s' lacks '%s'", hps_trial_errmsg(t), want[k]);
        hps_trial_free(t);
        hps_study_close(study);
    }
}

/* ---- a pruner: stops a trial whose value at its latest step is above a line ----------- */

typedef struct line_state {
    double limit;
} line_state;

static void *line_create(void *user_data)
{
    (void)user_data;
    line_state *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->limit = INFINITY;
    return s;
}

static hps_status line_set(void *state, const char *option, const char *value)
{
    if (strcmp(option, "limit") != 0)
        return HPS_ERR_NOTFOUND;
    ((line_state *)state)->limit = atof(value);
    return HPS_OK;
}

static hps_status line_should_prune(void *state, const hps_context *ctx, int *prune_out)
{
    const line_state *s = state;
    const hps_frozen *t = hps_context_trial(ctx);
    size_t n = hps_frozen_n_intermediate(t);
    int64_t step;
    double value;
    hps_frozen_intermediate(t, n - 1, &step, &value);
    *prune_out = value > s->limit;
    if (*prune_out) {
        char note[64];
        snprintf(note, sizeof note, "%lld", (long long)step);
        return hps_context_set_trial_attr(ctx, "stopped_at", note);
    }
    return HPS_OK;
}

static void test_registered_pruner(void **state)
{
    (void)state;
    static const hps_pruner_methods line = {
        .version = HPS_PLUGIN_VERSION,
        .name = "line",
        .create = line_create,
        .destroy = free,
        .set_option = line_set,
        .should_prune = line_should_prune,
    };
    ASSERT_OK(hps_pruner_register(&line));
    assert_int_equal(hps_pruner_register(&line), HPS_ERR_EXISTS);
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "pruned", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    hps_pruner *pruner;
    char err[256];
    ASSERT_OK(hps_pruner_new("line", &pruner, err, sizeof err));
    ASSERT_OK(hps_pruner_set(pruner, "limit", "5"));
    assert_int_equal(hps_pruner_set(pruner, "nonsense", "1"), HPS_ERR_INVALID);
    ASSERT_OK(hps_study_set_pruner(study, pruner));
    assert_string_equal(hps_pruner_name(hps_study_pruner(study)), "line");
    /* trial k's curve is k + step: trials 0..4 finish, 5..7 are stopped at once */
    for (int k = 0; k < 8; k++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        int prune = 0;
        for (int64_t step = 0; step < 3 && !prune; step++) {
            ASSERT_OK(hps_trial_report(t, step, k + (double)step * 0.1));
            ASSERT_OK(hps_trial_should_prune(t, &prune));
        }
        ASSERT_OK(hps_trial_tell(t, prune ? HPS_PRUNED : HPS_COMPLETE, (double)k));
        hps_trial_free(t);
    }
    size_t counts[5];
    ASSERT_OK(hps_study_count_states(study, counts));
    assert_int_equal(counts[HPS_COMPLETE], 5);
    assert_int_equal(counts[HPS_PRUNED], 3);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, 6, &f));
    assert_non_null(strstr(hps_frozen_system_attrs(f), "\"stopped_at\": 0"));
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered_sampler_tunes),
        cmocka_unit_test(test_registered_sampler_errors),
        cmocka_unit_test(test_registered_pruner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
