/* test_auto_explain.c -- hps_auto_explain, the public account of what the `auto`
 * sampler picks for a described space and budget: the answers on a table of spaces
 * (strategy, reason, handover) and a clear error for every malformed description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"

#include <jansson.h>
#include <string.h>

/* Runs the call on `description` and returns its answer, parsed (the caller decrefs). */
static json_t *explain(const char *description)
{
    char *text = NULL;
    char err[256] = "";
    hps_status rc = hps_auto_explain(description, &text, err, sizeof err);
    if (rc != HPS_OK)
        fail_msg("hps_auto_explain(%s): %s: %s", description, hps_status_name(rc), err);
    json_error_t jerr;
    json_t *answer = json_loads(text, 0, &jerr);
    if (answer == NULL)
        fail_msg("the answer is not JSON (%s): %s", jerr.text, text);
    hps_free(text);
    return answer;
}

static void test_answers(void **state)
{
    (void)state;
    static const struct {
        const char *description;
        const char *strategy;
        const char *why;       /* a phrase the reason must contain */
        const char *then;      /* the strategy it hands over to, or NULL */
        long long then_after;
    } cases[] = {
        /* a discrete space whose grid fits the budget: run it whole */
        {"{\"categorical\": 3, \"grid_size\": 18, \"budget\": 20}", "grid",
         "(18 combinations) fits the budget of 20 trials", NULL, 0},
        /* no budget, a small grid: run it whole, then stop */
        {"{\"int\": 2, \"grid_size\": 12}", "grid", "no budget is set", NULL, 0},
        /* the same grid when the caller does not run grids (no grid_size): a model */
        {"{\"int\": 2}", "gp", "2 parameters", NULL, 0},
        /* nothing described: spread the first trials */
        {"{}", "sobol", "Sobol", NULL, 0},
        /* a long continuous run: the GP, then CMA-ES after 400 finished trials */
        {"{\"float\": 2, \"int\": 1, \"budget\": 2000}", "gp", "3 parameters", "cmaes", 400},
        /* ... and once those 400 have finished, CMA-ES itself with nothing after it */
        {"{\"float\": 2, \"budget\": 2000, \"finished\": 500}", "cmaes", "A long run (2000 trials)",
         NULL, 0},
        /* a budget that ends before the handover: the GP throughout */
        {"{\"float\": 2, \"budget\": 400}", "gp", "mostly numeric", NULL, 0},
        /* a categorical parameter keeps a long run on the GP (CMA-ES is numeric only) */
        {"{\"float\": 1, \"categorical\": 1, \"budget\": 2000}", "gp", "2 parameters", NULL, 0},
        /* several objectives: the GP, TPE after 100 finished trials -- budget or not */
        {"{\"float\": 2, \"objectives\": 2}", "gp", "Several objectives", "tpe", 100},
        {"{\"float\": 2, \"objectives\": 2, \"budget\": 2000}", "gp", "TPE takes over after 100",
         "tpe", 100},
        {"{\"float\": 2, \"constrained\": true, \"budget\": 50}", "gp", "Constraints", NULL, 0},
        /* a budget the GP covers whole: no handover, and the reason promises none */
        {"{\"float\": 2, \"objectives\": 2, \"budget\": 100}", "gp",
         "at 50 and 100 trials.", NULL, 0},
        /* too wide for a GP */
        {"{\"float\": 21, \"budget\": 100}", "tpe", "21 parameters", NULL, 0},
        /* a conditional space */
        {"{\"float\": 2, \"categorical\": 1, \"conditional\": true, \"budget\": 60}", "gp",
         "conditional space", NULL, 0},
        /* the largest counts it takes */
        {"{\"float\": 1000000, \"int\": 1000000, \"categorical\": 1000000, \"budget\": "
         "9223372036854775807, \"finished\": 9223372036854775807, \"objectives\": 64}",
         "tpe", "the space is too wide for a Gaussian process", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *answer = explain(cases[i].description);
        const char *strategy = json_string_value(json_object_get(answer, "strategy"));
        const char *reason = json_string_value(json_object_get(answer, "reason"));
        const json_t *then = json_object_get(answer, "then");
        if (strategy == NULL || strcmp(strategy, cases[i].strategy) != 0)
            fail_msg("%s: strategy %s, expected %s", cases[i].description,
                     strategy ? strategy : "(none)", cases[i].strategy);
        if (reason == NULL || strstr(reason, cases[i].why) == NULL)
            fail_msg("%s: reason [%s] lacks [%s]", cases[i].description,
                     reason ? reason : "(none)", cases[i].why);
        if (cases[i].then == NULL) {
            if (then != NULL)
                fail_msg("%s: an unexpected \"then\"", cases[i].description);
        } else {
            const char *next = json_string_value(json_object_get(then, "strategy"));
            if (next == NULL || strcmp(next, cases[i].then) != 0)
                fail_msg("%s: then %s, expected %s", cases[i].description,
                         next ? next : "(none)", cases[i].then);
            assert_int_equal(json_integer_value(json_object_get(then, "after")),
                             cases[i].then_after);
        }
        json_decref(answer);
    }
}

static void test_bad_descriptions(void **state)
{
    (void)state;
    static const struct {
        const char *description;
        const char *message; /* what the error must say */
    } cases[] = {
        {"{\"float\": 2", "not JSON (line 1"},
        {"[1, 2]", "must be a JSON object"},
        {"{\"floats\": 2}", "unknown key \"floats\" (the description takes float, int, categorical"},
        {"{\"budget\": -1}", "\"budget\" must be a whole number >= 0"},
        {"{\"float\": 1.5}", "\"float\" must be a whole number >= 0"},
        {"{\"grid_size\": \"12\"}", "\"grid_size\" must be a whole number >= 0"},
        {"{\"finished\": true}", "\"finished\" must be a whole number >= 0"},
        {"{\"objectives\": 0}", "\"objectives\" must be at least 1"},
        {"{\"conditional\": 1}", "\"conditional\" must be true or false"},
        {"{\"constrained\": \"yes\"}", "\"constrained\" must be true or false"},
        {"{\"float\": 1, \"budget\": 10, \"float\": 2}", "a key is given twice (line 1"},
        /* counts whose sum would wrap a size_t */
        {"{\"float\": 9223372036854775807, \"int\": 9223372036854775807, \"categorical\": 2}",
         "\"float\" is 9223372036854775807, more than the 1000000 it can be"},
        {"{\"categorical\": 1000001}", "\"categorical\" is 1000001, more than the 1000000"},
        {"{\"objectives\": 65}", "\"objectives\" is 65, more than the 64 it can be"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = (char *)"untouched";
        char err[256] = "";
        assert_int_equal(hps_auto_explain(cases[i].description, &text, err, sizeof err),
                         HPS_ERR_INVALID);
        assert_null(text);
        if (strstr(err, cases[i].message) == NULL)
            fail_msg("%s: message [%s] lacks [%s]", cases[i].description, err, cases[i].message);
    }
    /* missing arguments, and no error buffer at all */
    char *text = NULL;
    char err[256] = "";
    assert_int_equal(hps_auto_explain(NULL, &text, err, sizeof err), HPS_ERR_INVALID);
    assert_non_null(strstr(err, "the description and json_out are needed"));
    assert_int_equal(hps_auto_explain("{}", NULL, err, sizeof err), HPS_ERR_INVALID);
    assert_int_equal(hps_auto_explain("{\"x\": 1}", &text, NULL, 0), HPS_ERR_INVALID);
    assert_null(text);
}

/* A long unknown key is quoted in part, cut before a character: 63 ASCII bytes then
 * "é" (2 bytes) straddle the 64-byte limit, so the quote stops after the 63. */
static void test_long_key_cut_at_character(void **state)
{
    (void)state;
    char key[128], description[160], err[512] = "";
    memset(key, 'k', 63);
    strcpy(key + 63, "\xc3\xa9tail");
    snprintf(description, sizeof description, "{\"%s\": 1}", key);
    char *text = NULL;
    assert_int_equal(hps_auto_explain(description, &text, err, sizeof err), HPS_ERR_INVALID);
    char want[96];
    snprintf(want, sizeof want, "unknown key \"%.63s\" (the description", key);
    if (strstr(err, want) == NULL)
        fail_msg("message [%s] lacks [%s]", err, want);
    json_t *as_json = json_string(err); /* NULL for text that is not valid UTF-8 */
    assert_non_null(as_json);
    json_decref(as_json);
}

/* A key given twice is named, whatever jansson's words around it: a known key in the
 * "given twice" message, an unknown one (which jansson quotes nowhere when it is long)
 * as unknown, cut before a character; the message is valid UTF-8 either way. */
static void test_duplicate_key_named(void **state)
{
    (void)state;
    char *text = NULL;
    char err[512] = "";
    assert_int_equal(hps_auto_explain("{\"budget\": 1, \"conditional\": true, \"budget\": 2}",
                                      &text, err, sizeof err),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(err, "given twice"));
    assert_non_null(strstr(err, "budget"));

    char key[160], description[400];
    size_t n = 0;
    for (int i = 0; i < 70; i++) /* 140 bytes of two-byte characters */
        n += (size_t)snprintf(key + n, sizeof key - n, "\xc3\xa9");
    snprintf(description, sizeof description, "{\"%s\": 1, \"%s\": 2}", key, key);
    err[0] = '\0';
    assert_int_equal(hps_auto_explain(description, &text, err, sizeof err), HPS_ERR_INVALID);
    assert_null(text);
    char want[96];
    snprintf(want, sizeof want, "unknown key \"%.64s\" (the description", key);
    if (strstr(err, want) == NULL)
        fail_msg("message [%s] lacks [%s]", err, want);
    json_t *as_json = json_string(err);
    assert_non_null(as_json);
    json_decref(as_json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_bad_descriptions),
        cmocka_unit_test(test_long_key_cut_at_character),
        cmocka_unit_test(test_duplicate_key_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
