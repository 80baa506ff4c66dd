/* test_options.c -- settings described by tables (base/options.h) and the catalog calls
 * that describe the library's samplers, pruners and study options (hpsearch.h).
 *
 * The module: every type at the edges of its range, refused values with their exact
 * messages (and the field left as it was), keywords, aliases, a parser of an option's
 * own, defaults at init, required options, the JSON description. The catalog: every
 * built-in sampler and pruner with every option, each default accepted by the set call,
 * each range enforced with the message the catalog's "accepts" gives, registered
 * strategies listed after the built-in ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "base/options.h"
#include "hpsearch.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT_STR_EQ(want, got)                                                          \
    do {                                                                                  \
        const char *w_ = (want), *g_ = (got);                                             \
        if (strcmp(w_, g_) != 0)                                                          \
            fail_msg("expected '%s'\n       got '%s'", w_, g_);                           \
    } while (0)

/* ---- a table over a state of every type --------------------------------------------- */

typedef struct demo_state {
    int flag;
    unsigned small;     /* UINT in a 32-bit field */
    uint64_t big;       /* UINT, unbounded */
    size_t sized;       /* UINT in a size_t */
    int64_t level;      /* INT with negatives */
    int64_t budget;     /* INT with a keyword */
    double fraction;    /* (0, 1] */
    double percent;     /* [0, 100] */
    double bound;       /* any number, infinities too */
    int mode;           /* ENUM with an alias */
    char *label;        /* TEXT */
    int even;           /* a parser of its own */
    uint64_t pop;       /* UINT with a numeric keyword below its range */
} demo_state;

static const hps_option_choice modes[] = {
    {"fast", 1},
    {"careful", 2},
    {"cautious", 2},
    {NULL, 0},
};

static int parse_even(void *state, const char *value, const char **why)
{
    uint64_t v;
    if (hps_option_parse_u64(value, &v) != 0 || v > 100)
        return -1;
    if (v % 2 != 0) {
        *why = "even must be even";
        return -1;
    }
    ((demo_state *)state)->even = (int)v;
    return 0;
}

static const hps_option demo_options[] = {
    {.name = "flag", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(demo_state, flag), .def = "true",
     .help = "a flag"},
    {.name = "small", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(demo_state, small), .def = "3",
     .min = 2, .max = 16, .help = "a small count"},
    {.name = "big", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(demo_state, big), .def = "10",
     .help = "a big count"},
    {.name = "sized", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(demo_state, sized), .def = "1024",
     .min = 16, .max = 1u << 16, .help = "a size"},
    {.name = "level", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(demo_state, level), .def = "-1",
     .min = -3, .max = 3, .help = "a level"},
    {.name = "budget", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(demo_state, budget), .def = "auto",
     .min = 1, .keyword = "auto", .keyword_value = 0, .help = "a budget"},
    {.name = "fraction", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(demo_state, fraction),
     .def = "0.5", .dmin = 0, .dmax = 1, .flags = HPS_OPTION_MIN_OPEN, .help = "a fraction"},
    {.name = "percent", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(demo_state, percent),
     .def = "50", .dmin = 0, .dmax = 100, .help = "a percentage"},
    {.name = "bound", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(demo_state, bound),
     .def = "-inf", .dmin = -HUGE_VAL, .dmax = HUGE_VAL, .flags = HPS_OPTION_INFINITE,
     .help = "a bound"},
    {.name = "mode", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(demo_state, mode), .def = "fast",
     .choices = modes, .help = "a mode"},
    {.name = "label", .type = HPS_OPTION_TEXT, HPS_OPTION_FIELD(demo_state, label),
     .def = "x", .min = 1, .max = 8, .help = "a label"},
    {.name = "even", .type = HPS_OPTION_INT, .def = "2", .parse = parse_even,
     .rule = "an even integer in [0, 100]", .help = "an even number"},
    {.name = "pop", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(demo_state, pop), .def = "0",
     .min = 2, .max = 100, .keyword = "0", .keyword_value = 0, .help = "a population"},
    {.name = "needed", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(demo_state, small),
     .flags = HPS_OPTION_REQUIRED, .max = 16, .help = "required"},
    HPS_OPTIONS_END,
};

static hps_status demo_set(demo_state *s, const char *name, const char *value, hps_errbuf *err)
{
    return hps_options_set(demo_options, s, "demo 'x'", name, value, NULL, err);
}

static void test_defaults_applied(void **state)
{
    (void)state;
    demo_state s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(hps_options_init(demo_options, &s));
    assert_int_equal(s.flag, 1);
    assert_int_equal(s.small, 3);
    assert_int_equal(s.big, 10);
    assert_int_equal(s.sized, 1024);
    assert_int_equal(s.level, -1);
    assert_int_equal(s.budget, 0);
    assert_true(s.fraction == 0.5 && s.percent == 50);
    assert_true(isinf(s.bound) && s.bound < 0);
    assert_int_equal(s.mode, 1);
    ASSERT_STR_EQ("x", s.label);
    assert_int_equal(s.even, 2);
    hps_options_free(demo_options, &s);
    assert_null(s.label);
    hps_options_free(demo_options, NULL); /* a state that never was */
}

/* Each value is taken and stores what it says; the other fields stay. */
static void test_accepted_values(void **state)
{
    (void)state;
    demo_state s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(hps_options_init(demo_options, &s));
    hps_errbuf err;
    static const char *const words[][2] = {
        {"true", "1"}, {"YES", "1"}, {"1", "1"}, {"False", "0"}, {"no", "0"}, {"0", "0"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        ASSERT_OK(demo_set(&s, "flag", words[i][0], &err));
        assert_int_equal(s.flag, atoi(words[i][1]));
    }
    /* the range's edges, blanks and signs as C reads integers */
    ASSERT_OK(demo_set(&s, "small", "2", &err));
    assert_int_equal(s.small, 2);
    ASSERT_OK(demo_set(&s, "small", "16", &err));
    assert_int_equal(s.small, 16);
    ASSERT_OK(demo_set(&s, "small", "+5", &err));
    assert_int_equal(s.small, 5);
    ASSERT_OK(demo_set(&s, "small", " 7", &err));
    assert_int_equal(s.small, 7);
    ASSERT_OK(demo_set(&s, "big", "18446744073709551615", &err));
    assert_true(s.big == UINT64_MAX);
    ASSERT_OK(demo_set(&s, "big", "-0", &err));
    assert_true(s.big == 0);
    ASSERT_OK(demo_set(&s, "sized", "65536", &err));
    assert_int_equal(s.sized, 65536);
    ASSERT_OK(demo_set(&s, "level", "-3", &err));
    assert_int_equal(s.level, -3);
    ASSERT_OK(demo_set(&s, "level", "3", &err));
    assert_int_equal(s.level, 3);
    ASSERT_OK(demo_set(&s, "budget", "9223372036854775807", &err));
    assert_true(s.budget == INT64_MAX);
    ASSERT_OK(demo_set(&s, "budget", "AUTO", &err)); /* keywords in any case */
    assert_int_equal(s.budget, 0);
    ASSERT_OK(demo_set(&s, "fraction", "1", &err));
    assert_true(s.fraction == 1);
    ASSERT_OK(demo_set(&s, "fraction", "1e-300", &err));
    assert_true(s.fraction == 1e-300);
    ASSERT_OK(demo_set(&s, "percent", "0", &err));
    assert_true(s.percent == 0);
    ASSERT_OK(demo_set(&s, "percent", "100", &err));
    assert_true(s.percent == 100);
    ASSERT_OK(demo_set(&s, "bound", "inf", &err));
    assert_true(isinf(s.bound) && s.bound > 0);
    ASSERT_OK(demo_set(&s, "bound", "-2.5e3", &err));
    assert_true(s.bound == -2500);
    ASSERT_OK(demo_set(&s, "mode", "CAREFUL", &err));
    assert_int_equal(s.mode, 2);
    ASSERT_OK(demo_set(&s, "mode", "cautious", &err)); /* an alias */
    assert_int_equal(s.mode, 2);
    ASSERT_OK(demo_set(&s, "label", "12345678", &err));
    ASSERT_STR_EQ("12345678", s.label);
    ASSERT_OK(demo_set(&s, "even", "100", &err));
    assert_int_equal(s.even, 100);
    ASSERT_OK(demo_set(&s, "pop", "2", &err));
    ASSERT_OK(demo_set(&s, "pop", "00", &err)); /* the numeric keyword, spelt otherwise */
    assert_true(s.pop == 0);
    assert_int_equal(demo_set(&s, "no_such", "1", &err), HPS_ERR_NOTFOUND);
    hps_options_free(demo_options, &s);
}

/* Refused values: the message names the owner, the option, the rule and the value, and
 * the field keeps what it had. */
static void test_refused_values(void **state)
{
    (void)state;
    demo_state s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(hps_options_init(demo_options, &s));
    static const struct {
        const char *name, *value, *message;
    } bad[] = {
        {"flag", "maybe", "demo 'x': flag must be true or false (got 'maybe')"},
        {"flag", "2", "demo 'x': flag must be true or false (got '2')"},
        {"flag", "", "demo 'x': flag must be true or false (got '')"},
        {"small", "1", "demo 'x': small must be an integer in [2, 16] (got '1')"},
        {"small", "17", "demo 'x': small must be an integer in [2, 16] (got '17')"},
        {"small", "5 ", "demo 'x': small must be an integer in [2, 16] (got '5 ')"},
        {"small", "0x10", "demo 'x': small must be an integer in [2, 16] (got '0x10')"},
        {"small", "3.0", "demo 'x': small must be an integer in [2, 16] (got '3.0')"},
        {"small", "4294967298", "demo 'x': small must be an integer in [2, 16] (got '4294967298')"},
        {"big", "-1", "demo 'x': big must be an integer >= 0 (got '-1')"},
        {"big", " -5", "demo 'x': big must be an integer >= 0 (got ' -5')"},
        {"big", "18446744073709551616", "demo 'x': big must be an integer >= 0 (got "
                                        "'18446744073709551616')"},
        {"big", "", "demo 'x': big must be an integer >= 0 (got '')"},
        {"big", "+", "demo 'x': big must be an integer >= 0 (got '+')"},
        {"sized", "15", "demo 'x': sized must be an integer in [16, 65536] (got '15')"},
        {"level", "-4", "demo 'x': level must be an integer in [-3, 3] (got '-4')"},
        {"level", "4", "demo 'x': level must be an integer in [-3, 3] (got '4')"},
        {"budget", "0", "demo 'x': budget must be auto or an integer >= 1 (got '0')"},
        {"budget", "9223372036854775808", "demo 'x': budget must be auto or an integer >= 1 "
                                          "(got '9223372036854775808')"},
        {"budget", "automatic", "demo 'x': budget must be auto or an integer >= 1 (got "
                                "'automatic')"},
        {"fraction", "0", "demo 'x': fraction must be a number in (0, 1] (got '0')"},
        {"fraction", "1.0000001", "demo 'x': fraction must be a number in (0, 1] (got "
                                  "'1.0000001')"},
        {"fraction", "1e-400", "demo 'x': fraction must be a number in (0, 1] (got '1e-400')"},
        {"fraction", "nan", "demo 'x': fraction must be a number in (0, 1] (got 'nan')"},
        {"percent", "-0.001", "demo 'x': percent must be a number in [0, 100] (got '-0.001')"},
        {"percent", "inf", "demo 'x': percent must be a number in [0, 100] (got 'inf')"},
        {"percent", "50%", "demo 'x': percent must be a number in [0, 100] (got '50%')"},
        {"bound", "NaN", "demo 'x': bound must be a number, inf or -inf (got 'NaN')"},
        {"bound", "", "demo 'x': bound must be a number, inf or -inf (got '')"},
        {"mode", "slow", "demo 'x': mode must be fast or careful (got 'slow')"},
        {"label", "", "demo 'x': label must be a text of 1 to 8 bytes (got '')"},
        {"label", "123456789", "demo 'x': label must be a text of 1 to 8 bytes (got "
                               "'123456789')"},
        {"even", "101", "demo 'x': even must be an even integer in [0, 100] (got '101')"},
        {"even", "7", "demo 'x': even must be even"},
        {"pop", "1", "demo 'x': pop must be 0 or an integer in [2, 100] (got '1')"},
        {"pop", "-1", "demo 'x': pop must be 0 or an integer in [2, 100] (got '-1')"},
    };
    demo_state before = s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hps_errbuf err;
        if (demo_set(&s, bad[i].name, bad[i].value, &err) != HPS_ERR_INVALID)
            fail_msg("%s=%s was accepted", bad[i].name, bad[i].value);
        ASSERT_STR_EQ(bad[i].message, hps_errbuf_text(&err));
    }
    assert_memory_equal(&before, &s, sizeof s);
    hps_options_free(demo_options, &s);
}

static void test_given_and_required(void **state)
{
    (void)state;
    demo_state s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(hps_options_init(demo_options, &s));
    uint64_t given = 0;
    hps_errbuf err;
    const hps_option *missing = hps_options_missing(demo_options, given);
    assert_non_null(missing);
    ASSERT_STR_EQ("needed", missing->name);
    /* a refused value is not given */
    assert_int_equal(hps_options_set(demo_options, &s, "demo", "needed", "99", &given, &err),
                     HPS_ERR_INVALID);
    assert_true(given == 0);
    ASSERT_OK(hps_options_set(demo_options, &s, "demo", "percent", "10", &given, &err));
    assert_true(hps_options_given(demo_options, given, "percent"));
    assert_false(hps_options_given(demo_options, given, "fraction"));
    assert_false(hps_options_given(demo_options, given, "no_such"));
    ASSERT_OK(hps_options_set(demo_options, &s, "demo", "needed", "4", &given, &err));
    assert_null(hps_options_missing(demo_options, given));
    hps_options_free(demo_options, &s);
}

static json_t *option_named(json_t *options, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(options, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
            return o;
    }
    fail_msg("no option '%s' in the description", name);
    return NULL;
}

static void test_description(void **state)
{
    (void)state;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    size_t count = 0;
    hps_strbuf_putc(&sb, '[');
    hps_options_json(&sb, demo_options, &count);
    hps_strbuf_putc(&sb, ']');
    json_error_t jerr;
    json_t *all = json_loads(hps_strbuf_text(&sb), 0, &jerr);
    if (all == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, hps_strbuf_text(&sb));
    assert_int_equal(json_array_size(all), count);
    assert_int_equal(count, sizeof demo_options / sizeof demo_options[0] - 1);
    json_t *o = option_named(all, "small");
    ASSERT_STR_EQ("int", json_string_value(json_object_get(o, "type")));
    ASSERT_STR_EQ("3", json_string_value(json_object_get(o, "default")));
    assert_int_equal(json_integer_value(json_object_get(o, "min")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "max")), 16);
    ASSERT_STR_EQ("an integer in [2, 16]", json_string_value(json_object_get(o, "accepts")));
    ASSERT_STR_EQ("a small count", json_string_value(json_object_get(o, "help")));
    assert_null(json_object_get(option_named(all, "big"), "max")); /* unbounded */
    ASSERT_STR_EQ("auto", json_string_value(json_object_get(option_named(all, "budget"), "keyword")));
    o = option_named(all, "fraction");
    ASSERT_STR_EQ("float", json_string_value(json_object_get(o, "type")));
    assert_true(json_is_true(json_object_get(o, "min_excluded")));
    assert_true(json_real_value(json_object_get(o, "max")) == 1.0 ||
                json_integer_value(json_object_get(o, "max")) == 1);
    o = option_named(all, "bound");
    assert_null(json_object_get(o, "min"));
    ASSERT_STR_EQ("-inf", json_string_value(json_object_get(o, "default")));
    o = option_named(all, "mode");
    ASSERT_STR_EQ("enum", json_string_value(json_object_get(o, "type")));
    assert_int_equal(json_array_size(json_object_get(o, "choices")), 2); /* no alias */
    ASSERT_STR_EQ("fast or careful", json_string_value(json_object_get(o, "accepts")));
    ASSERT_STR_EQ("text", json_string_value(json_object_get(option_named(all, "label"), "type")));
    ASSERT_STR_EQ("an even integer in [0, 100]",
                  json_string_value(json_object_get(option_named(all, "even"), "accepts")));
    o = option_named(all, "needed");
    assert_true(json_is_null(json_object_get(o, "default")));
    assert_true(json_is_true(json_object_get(o, "required")));
    json_decref(all);
    hps_strbuf_free(&sb);
}

/* ---- the catalog -------------------------------------------------------------------- */

static json_t *load_catalog(hps_status (*call)(char **))
{
    char *text = NULL;
    ASSERT_OK(call(&text));
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (doc == NULL || !json_is_array(doc))
        fail_msg("not a JSON array (%s): %s", jerr.text, text);
    hps_free(text);
    return doc;
}

static json_t *entry_named(json_t *catalog, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(catalog, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    return NULL;
}

/* "a b c": the names of a JSON array of named objects */
static void names_of(json_t *array, char *buf, size_t size)
{
    size_t i, used = 0;
    json_t *e;
    buf[0] = '\0';
    json_array_foreach(array, i, e) {
        int w = snprintf(buf + used, size - used, "%s%s", i > 0 ? " " : "",
                         json_string_value(json_object_get(e, "name")));
        used += w > 0 ? (size_t)w : 0;
    }
}

/* What the library's strategies are, option by option: the catalog must say exactly
 * this, so that an option dropped from a table, or added without its line here, shows. */
static const char *const sampler_spec[][2] = {
    {"random", "seed"},
    {"grid", "seed shuffle"},
    {"sobol", "seed scramble"},
    {"gp", "seed n_startup_trials deterministic_objective input_warping n_candidates "
           "n_local_search max_observations output_transform branch_choice"},
    {"tpe", "seed n_startup_trials n_ei_candidates gamma prior_weight consider_prior "
            "consider_magic_clip consider_endpoints multivariate group constant_liar weights "
            "bandwidth"},
    {"cmaes", "seed sigma0 popsize inc_popsize n_startup_trials restart_strategy with_margin source_trials"},
    {"nsga2", "seed population_size mutation_prob crossover crossover_prob swapping_prob "
              "sbx_eta blx_alpha vsbx_eta spx_epsilon undx_sigma_xi undx_sigma_eta"},
    {"nsga3", "seed population_size mutation_prob crossover crossover_prob swapping_prob "
              "sbx_eta blx_alpha vsbx_eta spx_epsilon undx_sigma_xi undx_sigma_eta "
              "dividing_parameter reference_points"},
    {"auto", "seed"},
};

static const char *const pruner_spec[][2] = {
    {"none", ""},
    {"median", "n_startup_trials n_warmup_steps interval_steps n_min_trials"},
    {"percentile", "percentile n_startup_trials n_warmup_steps interval_steps n_min_trials"},
    {"asha", "min_resource reduction_factor min_early_stopping_rate bootstrap_count mode max_resource"},
    {"hyperband", "min_resource max_resource reduction_factor bootstrap_count"},
    {"threshold", "lower upper n_warmup_steps interval_steps"},
    {"patient", "patience min_delta"},
};

/* One step past an integer option's range, for checking that the range holds. */
static int outside(json_t *opt, char *buf, size_t size)
{
    json_t *max = json_object_get(opt, "max"), *min = json_object_get(opt, "min");
    if (strcmp(json_string_value(json_object_get(opt, "type")), "int") != 0)
        return 0;
    if (json_is_integer(max) && json_integer_value(max) < INT64_MAX)
        snprintf(buf, size, "%lld", (long long)json_integer_value(max) + 1);
    else if (json_is_integer(min) && json_integer_value(min) > 0)
        snprintf(buf, size, "%lld", (long long)json_integer_value(min) - 1);
    else
        snprintf(buf, size, "-1");
    /* a keyword can be a number too (cmaes' popsize takes 0 below its range) */
    json_t *kw = json_object_get(opt, "keyword");
    return !(json_is_string(kw) && strcmp(json_string_value(kw), buf) == 0);
}

/* The set call takes every default and refuses a value out of range with the words of
 * the catalog's "accepts". */
static void check_options(const char *owner, json_t *options,
                          hps_status (*set)(void *, const char *, const char *),
                          const char *(*errmsg)(void *), void *handle)
{
    size_t i;
    json_t *opt;
    json_array_foreach(options, i, opt) {
        const char *name = json_string_value(json_object_get(opt, "name"));
        const char *accepts = json_string_value(json_object_get(opt, "accepts"));
        const char *help = json_string_value(json_object_get(opt, "help"));
        if (accepts == NULL || accepts[0] == '\0' || help == NULL || help[0] == '\0')
            fail_msg("%s: option %s has no accepts or help", owner, name);
        json_t *def = json_object_get(opt, "default");
        if (json_is_string(def) && set(handle, name, json_string_value(def)) != HPS_OK)
            fail_msg("%s: the default %s=%s is refused: %s", owner, name,
                     json_string_value(def), errmsg(handle));
        /* only the seed (from the OS) and the worker (host:pid) have computed defaults */
        if (!json_is_string(def) && !json_is_true(json_object_get(opt, "required")) &&
            strcmp(name, "seed") != 0 && strcmp(name, "worker") != 0)
            fail_msg("%s: option %s has neither a default nor is it required", owner, name);
        char value[32], want[300];
        if (!outside(opt, value, sizeof value))
            continue;
        if (set(handle, name, value) != HPS_ERR_INVALID)
            fail_msg("%s: %s=%s is accepted", owner, name, value);
        snprintf(want, sizeof want, "%s: %s must be %s (got '%s')", owner, name, accepts, value);
        ASSERT_STR_EQ(want, errmsg(handle));
    }
}

static hps_status sampler_set(void *h, const char *o, const char *v)
{
    return hps_sampler_set(h, o, v);
}
static const char *sampler_msg(void *h)
{
    return hps_sampler_errmsg(h);
}
static hps_status pruner_set(void *h, const char *o, const char *v)
{
    return hps_pruner_set(h, o, v);
}
static const char *pruner_msg(void *h)
{
    return hps_pruner_errmsg(h);
}
static hps_status study_set(void *h, const char *o, const char *v)
{
    return hps_study_set(h, o, v);
}
static const char *study_msg(void *h)
{
    return hps_study_errmsg(h);
}

static void test_sampler_catalog(void **state)
{
    (void)state;
    json_t *catalog = load_catalog(hps_sampler_catalog);
    size_t n_spec = sizeof sampler_spec / sizeof sampler_spec[0];
    assert_true(json_array_size(catalog) >= n_spec);
    for (size_t k = 0; k < n_spec; k++) {
        json_t *e = json_array_get(catalog, k); /* in the registry's order */
        ASSERT_STR_EQ(sampler_spec[k][0], json_string_value(json_object_get(e, "name")));
        assert_true(json_is_false(json_object_get(e, "registered")));
        const char *help = json_string_value(json_object_get(e, "help"));
        assert_true(help != NULL && strlen(help) > 10);
        char names[512];
        names_of(json_object_get(e, "options"), names, sizeof names);
        ASSERT_STR_EQ(sampler_spec[k][1], names);

        char owner[64], err[256];
        hps_sampler *s;
        ASSERT_OK(hps_sampler_new(sampler_spec[k][0], &s, err, sizeof err));
        snprintf(owner, sizeof owner, "sampler '%s'", sampler_spec[k][0]);
        check_options(owner, json_object_get(e, "options"), sampler_set, sampler_msg, s);
        /* an unknown option's message lists every option */
        assert_int_equal(hps_sampler_set(s, "no_such_option", "1"), HPS_ERR_INVALID);
        char want[600];
        snprintf(want, sizeof want, "sampler '%s' has no option 'no_such_option' (its options: ",
                 sampler_spec[k][0]);
        assert_non_null(strstr(hps_sampler_errmsg(s), want));
        for (char *w = strtok(names, " "); w != NULL; w = strtok(NULL, " "))
            assert_non_null(strstr(hps_sampler_errmsg(s), w));
        hps_sampler_free(s);
    }
    json_decref(catalog);
    assert_int_equal(hps_sampler_catalog(NULL), HPS_ERR_INVALID);
}

static void test_pruner_catalog(void **state)
{
    (void)state;
    json_t *catalog = load_catalog(hps_pruner_catalog);
    size_t n_spec = sizeof pruner_spec / sizeof pruner_spec[0];
    assert_true(json_array_size(catalog) >= n_spec);
    for (size_t k = 0; k < n_spec; k++) {
        json_t *e = json_array_get(catalog, k);
        ASSERT_STR_EQ(pruner_spec[k][0], json_string_value(json_object_get(e, "name")));
        assert_true(json_is_false(json_object_get(e, "registered")));
        char names[512];
        names_of(json_object_get(e, "options"), names, sizeof names);
        ASSERT_STR_EQ(pruner_spec[k][1], names);
        char owner[64], err[256];
        hps_pruner *p;
        ASSERT_OK(hps_pruner_new(pruner_spec[k][0], &p, err, sizeof err));
        snprintf(owner, sizeof owner, "pruner '%s'", pruner_spec[k][0]);
        check_options(owner, json_object_get(e, "options"), pruner_set, pruner_msg, p);
        hps_pruner_free(p);
        /* every alias creates the pruner it names */
        size_t i;
        json_t *alias;
        json_array_foreach(json_object_get(e, "aliases"), i, alias) {
            ASSERT_OK(hps_pruner_new(json_string_value(alias), &p, err, sizeof err));
            ASSERT_STR_EQ(pruner_spec[k][0], hps_pruner_name(p));
            hps_pruner_free(p);
        }
    }
    char *asha_aliases = json_dumps(json_object_get(entry_named(catalog, "asha"), "aliases"), 0);
    assert_non_null(strstr(asha_aliases, "\"successive_halving\""));
    free(asha_aliases);
    json_t *patience = option_named(json_object_get(entry_named(catalog, "patient"), "options"),
                                    "patience");
    assert_true(json_is_true(json_object_get(patience, "required")));
    json_decref(catalog);
    assert_int_equal(hps_pruner_catalog(NULL), HPS_ERR_INVALID);
}

static void test_study_options(void **state)
{
    (void)state;
    json_t *options = load_catalog(hps_study_options);
    char names[256];
    names_of(options, names, sizeof names);
    ASSERT_STR_EQ("max_trials budget_hint retries repeats heartbeat_interval heartbeat_grace prior_beta worker", names);
    hps_study *study;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "opts", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    check_options("study", options, study_set, study_msg, study);
    assert_int_equal(hps_study_set(study, "nonsense", "1"), HPS_ERR_INVALID);
    ASSERT_STR_EQ("unknown study option 'nonsense' (known: max_trials, budget_hint, retries, repeats, "
                  "heartbeat_interval, heartbeat_grace, prior_beta, worker)",
                  hps_study_errmsg(study));
    assert_int_equal(hps_study_set(study, "worker", ""), HPS_ERR_INVALID);
    ASSERT_STR_EQ("study: worker must be a text of 1 to 1024 bytes (got '')", hps_study_errmsg(study));
    assert_int_equal(hps_study_set(study, "heartbeat_grace", "-1"), HPS_ERR_INVALID);
    ASSERT_STR_EQ("study: heartbeat_grace must be a number >= 0 (got '-1')", hps_study_errmsg(study));
    hps_study_close(study);
    json_decref(options);
    assert_int_equal(hps_study_options(NULL), HPS_ERR_INVALID);
}

/* ---- registered strategies are listed after the built-in ones ------------------------ */

static hps_status noop_sample(void *st, const hps_context *ctx, const char *name,
                              const hps_dist *dist, double *out)
{
    (void)st;
    (void)ctx;
    (void)name;
    *out = hps_dist_low(dist);
    return HPS_OK;
}

static hps_status noop_prune(void *st, const hps_context *ctx, int *out)
{
    (void)st;
    (void)ctx;
    *out = 0;
    return HPS_OK;
}

static void test_registered_listed(void **state)
{
    (void)state;
    static const hps_sampler_methods sampler = {
        .version = HPS_PLUGIN_VERSION, .name = "catalog-test-sampler", .sample = noop_sample};
    static const hps_pruner_methods pruner = {
        .version = HPS_PLUGIN_VERSION, .name = "catalog-test-pruner", .should_prune = noop_prune};
    ASSERT_OK(hps_sampler_register(&sampler));
    ASSERT_OK(hps_pruner_register(&pruner));

    json_t *catalog = load_catalog(hps_sampler_catalog);
    json_t *last = json_array_get(catalog, json_array_size(catalog) - 1);
    ASSERT_STR_EQ("catalog-test-sampler", json_string_value(json_object_get(last, "name")));
    assert_true(json_is_true(json_object_get(last, "registered")));
    char names[64];
    names_of(json_object_get(last, "options"), names, sizeof names);
    ASSERT_STR_EQ("seed", names);
    json_decref(catalog);

    catalog = load_catalog(hps_pruner_catalog);
    last = json_array_get(catalog, json_array_size(catalog) - 1);
    ASSERT_STR_EQ("catalog-test-pruner", json_string_value(json_object_get(last, "name")));
    assert_true(json_is_true(json_object_get(last, "registered")));
    assert_int_equal(json_array_size(json_object_get(last, "options")), 0);
    json_decref(catalog);

    /* and named when a name is unknown */
    char err[512];
    hps_sampler *s;
    assert_int_equal(hps_sampler_new("nonesuch", &s, err, sizeof err), HPS_ERR_INVALID);
    assert_non_null(strstr(err, ", catalog-test-sampler)"));
    hps_pruner *p;
    assert_int_equal(hps_pruner_new("nonesuch", &p, err, sizeof err), HPS_ERR_INVALID);
    assert_non_null(strstr(err, ", catalog-test-pruner)"));
}

/* Out of memory at any allocation: HPS_ERR_NOMEM and no text, never a crash. */
static void test_catalog_out_of_memory(void **state)
{
    (void)state;
    hps_status (*calls[])(char **) = {hps_sampler_catalog, hps_pruner_catalog, hps_study_options};
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        for (unsigned long n = 1;; n++) {
            char *text = (char *)&text;
            hps_mem_fail_after(n);
            hps_status rc = calls[c](&text);
            hps_mem_fail_after(0);
            if (rc == HPS_OK) {
                hps_free(text);
                break;
            }
            assert_int_equal(rc, HPS_ERR_NOMEM);
            assert_null(text);
            assert_true(n < 1000);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_applied),
        cmocka_unit_test(test_accepted_values),
        cmocka_unit_test(test_refused_values),
        cmocka_unit_test(test_given_and_required),
        cmocka_unit_test(test_description),
        cmocka_unit_test(test_sampler_catalog),
        cmocka_unit_test(test_pruner_catalog),
        cmocka_unit_test(test_study_options),
        cmocka_unit_test(test_registered_listed),
        cmocka_unit_test(test_catalog_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
