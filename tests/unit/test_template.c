/* test_template.c -- value text, JSON, word splitting, argv and shell expansion. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/template.h"
#include "testutil.h"

/* Python's repr() of each double, generated with /usr/bin/python3:
 *   for v in values: print('{0x%016xULL, "%s"},' % (bits(v), repr(v)))
 * Includes the cases where the shortest round-trip string is not the correctly
 * rounded one at that precision (doubles just above a power of two). */
static const struct {
    uint64_t bits;
    const char *repr;
} repr_table[] = {
    {0x3fb999999999999aULL, "0.1"},
    {0x3ee4f8b588e368f1ULL, "1e-05"},
    {0x3f1a36e2eb1c432dULL, "0.0001"},
    {0x3f50624dd2f1a9fcULL, "0.001"},
    {0x437b69b4ba630f35ULL, "1.2345678901234568e+17"},
    {0x4341c37937e08000ULL, "1e+16"},
    {0x430c6bf526340000ULL, "1000000000000000.0"},
    {0x4341c37937e07fffULL, "9999999999999998.0"},
    {0x4014000000000000ULL, "5.0"},
    {0x8000000000000000ULL, "-0.0"},
    {0x0000000000000000ULL, "0.0"},
    {0x0011fa182c40c60dULL, "2.5e-308"},
    {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
    {0x0000000000000001ULL, "5e-324"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x3ff0000000000000ULL, "1.0"},
    {0xbff0000000000000ULL, "-1.0"},
    {0x3fe0000000000000ULL, "0.5"},
    {0x4340000000000000ULL, "9007199254740992.0"},
    {0x4340000000000001ULL, "9007199254740994.0"},
    {0x3fd5555555555555ULL, "0.3333333333333333"},
    {0x3fe5555555555555ULL, "0.6666666666666666"},
    {0x4059000000000000ULL, "100.0"},
    {0x4480f0cf064dd592ULL, "1e+22"},
    {0x44b52d02c7e14af6ULL, "1e+23"},
    {0x3e7ad7f29abcaf48ULL, "1e-07"},
    {0x3eef75104d551d69ULL, "1.5e-05"},
    {0x3f202e4b6ce5dc68ULL, "0.00012345"},
    {0x400921fb54442d18ULL, "3.141592653589793"},
    {0x4005bf0a8b145769ULL, "2.718281828459045"},
    {0x3f1a36e2eb1c432dULL, "0.0001"},
    {0x3f1a36e2eb1c432cULL, "9.999999999999999e-05"},
    {0x7e37e43c8800759cULL, "1e+300"},
    {0x81a56e1fc2f8f359ULL, "-1e-300"},
    {0x405edd2f1a9fbe77ULL, "123.456"},
    {0x3fd3333333333334ULL, "0.30000000000000004"},
    {0x0060000000000000ULL, "7.120236347223045e-307"},
    {0x0100000000000000ULL, "7.291122019556398e-304"},
    {0x3730000000000000ULL, "7.174648137343064e-43"},
    {0x7ff8000000000000ULL, "nan"},
    {0x7ff0000000000000ULL, "inf"},
    {0xfff0000000000000ULL, "-inf"},
    {0x43e56a95319d63e1ULL, "1.2345678901234567e+19"},
    {0x43118b54f22aeb03ULL, "1234567890123456.8"},
    {0x3fd3333333333334ULL, "0.30000000000000004"},
    {0x0000000000000003ULL, "1.5e-323"},
    {0x40f0000000000000ULL, "65536.0"},
    {0x00000000000007e8ULL, "1e-320"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x20b0000000000000ULL, "3.054936363499605e-151"},
    {0x39b0000000000000ULL, "7.888609052210118e-31"},
    {0x3f50000000000000ULL, "0.0009765625"},
    {0x3fe0000000000000ULL, "0.5"},
    {0x4090000000000000ULL, "1024.0"},
    {0x4330000000000000ULL, "4503599627370496.0"},
    {0x4630000000000000ULL, "1.2676506002282294e+30"},
    {0x5f30000000000000ULL, "3.273390607896142e+150"},
    {0x7fe0000000000000ULL, "8.98846567431158e+307"},
    {0xbf906f1a13fd60a2ULL, "-0.01604881999023234"},
    {0xbc32f7d67f28ba75ULL, "-1.0282636672541894e-18"},
    {0xc323421ad174711fULL, "-2710353754077327.5"},
    {0xc0587a43402d7777ULL, "-97.91035465660194"},
    {0x3e1e931bf05d8f43ULL, "1.779678572446747e-09"},
    {0xbd906807e8ca0948ULL, "-3.7303768037512e-12"},
    {0x402cfa73ed739936ULL, "14.489165706978934"},
    {0xc24a439e85f77150ULL, "-225607224302.88525"},
    {0x4538fe7f184dc1a0ULL, "3.0216045245166074e+25"},
    {0xc053b2d8acd8f591ULL, "-78.79447480380465"},
    {0xc5e6d23c7a1c5562ULL, "-5.650264186177647e+28"},
    {0xc1890a4dc4e4c1ebULL, "-52513208.611697994"},
    {0x3b411366e5662874ULL, "2.824952291146667e-23"},
    {0xc334db212c3edc01ULL, "-5870435056933889.0"},
    {0x3dd370d60340b215ULL, "7.07250931545293e-11"},
    {0xbdc295728c1a560fULL, "-3.380369726571236e-11"},
    {0x3da55a9c4c356dfeULL, "9.710651017251991e-12"},
    {0xc4fa902563ca2173ULL, "-2.007048862727553e+24"},
    {0x3c901109028af7fbULL, "5.574202117479213e-17"},
    {0x430c10f205a6fa8aULL, "987491376357201.2"},
    {0xc5cda00cd8657c9eULL, "-1.8337108152329511e+28"},
    {0xc437876725453c22ULL, "-4.34031921792333e+20"},
    {0xc3539fd677efeb17ULL, "-2.2095072166128732e+16"},
    {0xc15945a83feb9009ULL, "-6624928.998752602"},
    {0x44504fd2bced76aeULL, "1.203599090326171e+21"},
    {0xbca51030e05d752eULL, "-1.4615562784394724e-16"},
    {0x3e42d1468e37e0baULL, "8.762573284145447e-09"},
    {0x3e4cc0b39926d827ULL, "1.3389038132409096e-08"},
    {0xbcf76abdd17eb38cULL, "-5.19960938705289e-15"},
    {0xbde28b025d7f2023ULL, "-1.349181172584126e-10"},
    {0x446fff18560c1d6aULL, "4.721844822193135e+21"},
    {0x3dd648134c48ceccULL, "8.105978654892925e-11"},
    {0x40f1bcdca5dfcdb5ULL, "72653.79049663882"},
    {0x3aed4f02a09603faULL, "7.576104278825875e-25"},
    {0x39c2697a4b51d497ULL, "1.815565573466349e-30"},
    {0x3f2974c04e65ba20ULL, "0.00019421432007101034"},
    {0x3e11defa752ecdc1ULL, "1.0402296426418706e-09"},
    {0xbc243807719a373bULL, "-5.480333955402606e-19"},
    {0xbcb065bc5a1117daULL, "-2.275597109460902e-16"},
    {0xc1334f6e1dcdddbdULL, "-1265518.1164225184"},
    {0x7094898986111badULL, "2.0406054067418683e+234"},
    {0x54f99a1a6f9ed048ULL, "2.23991673721667e+101"},
    {0x351b9941f8d5f553ULL, "7.203587134084123e-53"},
    {0x6bde88e233708700ULL, "4.0154169969664764e+211"},
    {0x26936f9712231373ULL, "7.350322750949159e-123"},
    {0x23a36f904d70bb5eULL, "5.22269068415764e-137"},
    {0x4842d5c522c1a23aULL, "1.2818463510206759e+40"},
    {0x5d9b9928a95ee629ULL, "8.413562526327039e+142"},
    {0x437f078c4001c9e9ULL, "1.3974437165928411e+17"},
    {0x3f63588319c1ad85ULL, "0.002361541801340019"},
    {0x720cb79a37fbd485ULL, "2.3935835458809104e+241"},
    {0x64648029320862d1ULL, "4.056342960194411e+175"},
    {0x168b0986637b38b5ULL, "4.4152440697602234e-200"},
    {0x6cd270f483e89a8aULL, "1.589303399024654e+216"},
    {0x28f410bd39260d7aULL, "2.085879232713438e-111"},
    {0x60042d0a5ac7cd4dULL, "3.3814389781810646e+154"},
    {0x7219be0eb3da03ffULL, "4.2912693426630343e+241"},
    {0x05d689baccbe3f3eULL, "1.5520279974593925e-280"},
    {0x735159c294301443ULL, "3.03285455652842e+247"},
    {0x56c963ebee99c03dULL, "1.1926048972356897e+110"},
    {0x304020fb8b4e09dbULL, "2.785827316098247e-76"},
    {0x5ee6244eefa65685ULL, "1.4156026685162898e+149"},
    {0x79ad8adfb8703835ULL, "1.3092208395205338e+278"},
    {0x09641e11a22845d1ULL, "1.996488785288516e-263"},
    {0x1d61d7571e595520ULL, "3.7819503355401385e-167"},
    {0x42452c620e46b510ULL, "181877873805.41455"},
    {0x78fc332e201f0631ULL, "6.102165451400255e+274"},
    {0x1ae92d70d45d1139ULL, "4.854061149893363e-179"},
    {0x51473695e81b9fccULL, "3.5230945226841397e+83"},
    {0x763f50e49d6d1f17ULL, "3.8519653962198893e+261"},
    {0x3fec1e8e60807358ULL, "0.87873"},
    {0x3ffbcd35a858793eULL, "1.7376"},
    {0x40175c28f5c28f5cULL, "5.84"},
    {0x3ff9eb851eb851ecULL, "1.62"},
    {0x4018b6238da3c212ULL, "6.17787"},
    {0x4016778feef5ec81ULL, "5.61676"},
    {0x401942ac322291fbULL, "6.31511"},
    {0x3ff147ae147ae148ULL, "1.08"},
    {0x4015c5a1cac08312ULL, "5.443"},
    {0x3f747ae147ae147bULL, "0.005"},
    {0x3fd3333333333333ULL, "0.3"},
    {0x3ff09b9b66f9335dULL, "1.03799"},
    {0x401aeb851eb851ecULL, "6.73"},
    {0x401728f5c28f5c29ULL, "5.79"},
    {0x4012706f69446738ULL, "4.6098"},
    {0x400917c1bda5119dULL, "3.1366"},
    {0x40195c28f5c28f5cULL, "6.34"},
    {0x4010020c49ba5e35ULL, "4.002"},
    {0x4021463dc486ad2eULL, "8.63719"},
    {0x401c1eb851eb851fULL, "7.03"},
    {0x3ff9a92a30553261ULL, "1.6038"},
    {0x3fff851eb851eb85ULL, "1.97"},
    {0x400ccccccccccccdULL, "3.6"},
    {0x3ff3333333333333ULL, "1.2"},
    {0x401ee9bf9c62a1b6ULL, "7.72827"},
    {0x4010cccccccccccdULL, "4.2"},
    {0x4001226809d49518ULL, "2.1418"},
    {0x40162e9a2c669058ULL, "5.54551"},
    {0x40201dd97f62b6aeULL, "8.0583"},
    {0x400a90385c67dfe3ULL, "3.32042"},
};

static double from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static hps_value vfloat(double f)
{
    hps_value v = {.type = HPS_VALUE_FLOAT};
    v.u.f = f;
    return v;
}

static hps_value vint(int64_t i)
{
    hps_value v = {.type = HPS_VALUE_INT};
    v.u.i = i;
    return v;
}

static hps_value vstr(const char *s)
{
    hps_value v = {.type = HPS_VALUE_STRING};
    v.u.s = s;
    return v;
}

static hps_value vbool(int b)
{
    hps_value v = {.type = HPS_VALUE_BOOL};
    v.u.b = b;
    return v;
}

/* ---- tmpl_format_value ---------------------------------------------------------------- */

static void test_format_float_like_python(void **state)
{
    (void)state;
    char buf[64];
    for (size_t i = 0; i < sizeof repr_table / sizeof repr_table[0]; i++) {
        double d = from_bits(repr_table[i].bits);
        int n = tmpl_format_value(vfloat(d), buf, sizeof buf);
        if (n < 0 || strcmp(buf, repr_table[i].repr) != 0)
            fail_msg("bits 0x%016llx: got '%s', Python says '%s'",
                     (unsigned long long)repr_table[i].bits, buf, repr_table[i].repr);
        assert_int_equal(n, (int)strlen(repr_table[i].repr));
        /* It reads back to the same double. */
        if (!isnan(d))
            assert_true(strtod(buf, NULL) == d);
    }
}

static void test_format_other_types(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(tmpl_format_value(vint(0), buf, sizeof buf), 1);
    assert_string_equal(buf, "0");
    assert_int_equal(tmpl_format_value(vint(-42), buf, sizeof buf), 3);
    assert_string_equal(buf, "-42");
    assert_int_equal(tmpl_format_value(vint(INT64_MIN), buf, sizeof buf), 20);
    assert_string_equal(buf, "-9223372036854775808");
    assert_int_equal(tmpl_format_value(vbool(1), buf, sizeof buf), 4);
    assert_string_equal(buf, "True");
    assert_int_equal(tmpl_format_value(vbool(0), buf, sizeof buf), 5);
    assert_string_equal(buf, "False");
    assert_int_equal(tmpl_format_value(vstr("relu"), buf, sizeof buf), 4);
    assert_string_equal(buf, "relu");
    assert_int_equal(tmpl_format_value(vstr(NULL), buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    hps_value none = {.type = HPS_VALUE_NONE};
    assert_int_equal(tmpl_format_value(none, buf, sizeof buf), 4);
    assert_string_equal(buf, "None");

    /* Exactly fitting and one byte short. */
    assert_int_equal(tmpl_format_value(vfloat(0.1), buf, 4), 3);
    assert_string_equal(buf, "0.1");
    assert_int_equal(tmpl_format_value(vfloat(0.1), buf, 3), -1);
    assert_int_equal(tmpl_format_value(vstr("abcdef"), buf, 6), -1);
    assert_int_equal(tmpl_format_value(vstr("abcdef"), buf, 7), 6);
    assert_int_equal(tmpl_format_value(vint(5), NULL, 10), -1);
    assert_int_equal(tmpl_format_value(vint(5), buf, 0), -1);

    /* The longest number texts fit in 64 bytes. */
    assert_true(tmpl_format_value(vfloat(-2.2250738585072014e-308), buf, 64) > 0);
    assert_true(tmpl_format_value(vfloat(-1.2345678901234566e-5), buf, 64) == 23);
    assert_string_equal(buf, "-1.2345678901234566e-05");
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void test_params_json(void **state)
{
    (void)state;
    hps_value none = {.type = HPS_VALUE_NONE};
    const tmpl_param params[] = {
        {"lr", vfloat(0.001), 0},   {"act", vstr("relu"), 0},
        {"flag", vbool(1), 0},      {"n", vint(3), 0},
        {"one", vfloat(1.0), 0},    {"q", vstr("a\"b\\c\n\x01\xc3\xa9"), 0},
        {"nan", vfloat(NAN), 0},    {"none", none, 0},
        {"off", vbool(0), 0},       {"big", vfloat(1e16), 0},
        {"neg", vfloat(-INFINITY), 0},
    };
    size_t n = sizeof params / sizeof params[0];
    char *json = tmpl_params_json(params, n);
    assert_non_null(json);
    assert_string_equal(json, "{\"lr\": 0.001, \"act\": \"relu\", \"flag\": true, \"n\": 3, "
                              "\"one\": 1.0, \"q\": \"a\\\"b\\\\c\\n\\u0001\xc3\xa9\", "
                              "\"nan\": null, \"none\": null, \"off\": false, \"big\": 1e+16, "
                              "\"neg\": null}");

    json_error_t jerr;
    json_t *obj = json_loads(json, 0, &jerr);
    if (obj == NULL)
        fail_msg("jansson cannot parse %s: %s", json, jerr.text);
    assert_true(json_is_object(obj));
    assert_int_equal(json_object_size(obj), n);
    assert_true(json_is_real(json_object_get(obj, "lr")));
    assert_true(json_real_value(json_object_get(obj, "lr")) == 0.001);
    assert_string_equal(json_string_value(json_object_get(obj, "act")), "relu");
    assert_true(json_is_true(json_object_get(obj, "flag")));
    assert_true(json_is_integer(json_object_get(obj, "n")));
    assert_int_equal(json_integer_value(json_object_get(obj, "n")), 3);
    assert_true(json_is_real(json_object_get(obj, "one")));
    assert_string_equal(json_string_value(json_object_get(obj, "q")), "a\"b\\c\n\x01\xc3\xa9");
    assert_true(json_is_null(json_object_get(obj, "nan")));
    assert_true(json_is_false(json_object_get(obj, "off")));
    assert_true(json_real_value(json_object_get(obj, "big")) == 1e16);
    json_decref(obj);
    free(json);

    json = tmpl_params_json(NULL, 0);
    assert_string_equal(json, "{}");
    free(json);
    json = tmpl_params_json(params, 0);
    assert_string_equal(json, "{}");
    free(json);
}

/* ---- splitting ------------------------------------------------------------------------- */

/* Splits and renders words as <w1><w2>..., or "ERR: message". */
static void split_render(const char *command, char *out, size_t outlen)
{
    char **words = (char **)1;
    size_t n = 99;
    char err[256] = "";
    int rc = tmpl_split_words(command, &words, &n, err, sizeof err);
    if (rc != 0) {
        assert_int_equal(rc, -1);
        assert_null(words);
        assert_int_equal(n, 0);
        snprintf(out, outlen, "ERR: %s", err);
        return;
    }
    size_t pos = 0;
    out[0] = '\0';
    if (n == 0)
        assert_null(words);
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "<%s>", words[i]);
    tmpl_free_words(words, n);
}

static void check_split(const char *command, const char *expected)
{
    char got[512];
    split_render(command, got, sizeof got);
    if (strcmp(got, expected) != 0)
        fail_msg("split [%s]: got [%s], expected [%s]", command, got, expected);
}

static void test_split_words(void **state)
{
    (void)state;
    check_split("python train.py --lr 0.1", "<python><train.py><--lr><0.1>");
    check_split("  a \t  b\n c  ", "<a><b><c>");
    check_split("'a b' \"c d\"", "<a b><c d>");
    check_split("a'b'\"c\"d", "<abcd>");
    check_split("'' \"\" x''", "<><><x>");
    check_split("a\\ b \\'q\\' \\\\", "<a b><'q'><\\>");
    check_split("\"\\\"q\\\" \\$x \\` \\\\ \\n '\"", "<\"q\" $x ` \\ \\n '>");
    check_split("'\\' \"it's\"", "<\\><it's>");
    check_split("'a\"b'", "<a\"b>");
    check_split("a\\\nb \"c\\\nd\"", "<ab><cd>");
    check_split("x | y ; z > f &", "<x><|><y><;><z><>><f><&>");
    check_split("$HOME ${x} {lr} `id`", "<$HOME><${x}><{lr}><`id`>");
    check_split("trailing\\", "<trailing\\>");
    check_split("'multi\nline'", "<multi\nline>");
    check_split("", "");
    check_split(" \t\n ", "");

    check_split("echo 'abc", "ERR: unterminated single quote starting at column 6");
    check_split("a \"b", "ERR: unterminated double quote starting at column 3");
    check_split("\"a\\\"", "ERR: unterminated double quote starting at column 1");
    check_split("'a' '", "ERR: unterminated single quote starting at column 5");

    char **words = NULL;
    size_t n = 5;
    char err[128];
    assert_int_equal(tmpl_split_words(NULL, &words, &n, err, sizeof err), -1);
    assert_null(words);
    assert_int_equal(n, 0);
    tmpl_free_words(NULL, 0);
    /* err may be NULL. */
    assert_int_equal(tmpl_split_words("'x", &words, &n, NULL, 0), -1);
}

/* ---- argv expansion --------------------------------------------------------------------- */

static const tmpl_param ctx_params[] = {
    {"lr", {.type = HPS_VALUE_FLOAT, .u.f = 0.001}, 0},
    {"act", {.type = HPS_VALUE_STRING, .u.s = "relu"}, 0},
    {"layers", {.type = HPS_VALUE_INT, .u.i = 3}, 0},
    {"flag", {.type = HPS_VALUE_BOOL, .u.b = 1}, 0},
};

static tmpl_context make_ctx(void)
{
    tmpl_context ctx = {
        .params = ctx_params,
        .n_params = sizeof ctx_params / sizeof ctx_params[0],
        .program = "train.py",
        .interpreter = "python3",
        .args_json_file = "/tmp/params.json",
        .study_name = "s1",
        .trial_number = 42,
    };
    return ctx;
}

/* Expands a template given as a NULL-terminated list; renders <w1><w2>... or ERR. */
static void expand_render(const tmpl_context *ctx, const char *const *words, char *out,
                          size_t outlen)
{
    size_t n_words = 0;
    while (words[n_words] != NULL)
        n_words++;
    char **argv = (char **)1;
    size_t argc = 99;
    char err[512] = "";
    int rc = tmpl_expand_argv((char *const *)words, n_words, ctx, &argv, &argc, err, sizeof err);
    if (rc != 0) {
        assert_int_equal(rc, -1);
        assert_null(argv);
        assert_int_equal(argc, 0);
        snprintf(out, outlen, "ERR: %s", err);
        return;
    }
    assert_non_null(argv);
    assert_null(argv[argc]);
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < argc; i++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "<%s>", argv[i]);
    tmpl_free_words(argv, argc);
}

#define CHECK_EXPAND(ctx, expected, ...)                                                \
    do {                                                                                \
        const char *const words_[] = {__VA_ARGS__, NULL};                               \
        char got_[2048];                                                                \
        expand_render((ctx), words_, got_, sizeof got_);                                \
        if (strcmp(got_, (expected)) != 0)                                              \
            fail_msg("expand: got [%s], expected [%s]", got_, (expected));              \
    } while (0)

/* Expected to fail with a message containing `part`. */
#define CHECK_EXPAND_ERR(ctx, part, ...)                                                \
    do {                                                                                \
        const char *const words_[] = {__VA_ARGS__, NULL};                               \
        char got_[2048];                                                                \
        expand_render((ctx), words_, got_, sizeof got_);                                \
        if (strncmp(got_, "ERR: ", 5) != 0 || strstr(got_, (part)) == NULL)             \
            fail_msg("expand: got [%s], expected an error with [%s]", got_, (part));    \
    } while (0)

static void test_expand_macros(void **state)
{
    (void)state;
    tmpl_context ctx = make_ctx();
    CHECK_EXPAND(&ctx, "</usr/bin/env><python3><train.py><--lr=0.001><--act=relu><--layers=3>"
                       "<--flag=True>",
                 "${env}", "${interpreter}", "${program}", "${args}");
    CHECK_EXPAND(&ctx, "<python3><train.py><lr=0.001><act=relu><layers=3><flag=True><--x>",
                 "${interpreter}", "${program}", "${args_no_hyphens}", "--x");
    CHECK_EXPAND(&ctx, "<cmd></tmp/params.json><--cfg=/tmp/params.json>", "cmd",
                 "${args_json_file}", "--cfg=${args_json_file}");
    CHECK_EXPAND(&ctx,
                 "<cmd><{\"lr\": 0.001, \"act\": \"relu\", \"layers\": 3, \"flag\": true}>",
                 "cmd", "${args_json}");
    /* ${args} twice, and zero parameters. */
    CHECK_EXPAND(&ctx, "<a><--lr=0.001><--act=relu><--layers=3><--flag=True><lr=0.001>"
                       "<act=relu><layers=3><flag=True>",
                 "a", "${args}", "${args_no_hyphens}");
    tmpl_context empty = ctx;
    empty.n_params = 0;
    CHECK_EXPAND(&empty, "<run><{}>", "run", "${args}", "${args_json}");
    CHECK_EXPAND_ERR(&empty, "the command is empty", "${args}");
}

static void test_expand_fields(void **state)
{
    (void)state;
    tmpl_context ctx = make_ctx();
    CHECK_EXPAND(&ctx, "<--lr=0.001><relu><3-True><trial-42-s1><{lr}><a}b{c><${HOME}><$x><$>",
                 "--lr={lr}", "{act}", "{layers}-{flag}", "trial-{trial_number}-{study_name}",
                 "{{lr}}", "a}}b{{c", "${{HOME}}", "$x", "$");
    /* A parameter shadows a built-in field of the same name. */
    tmpl_param shadow[] = {{"trial_number", vstr("mine"), 0}};
    tmpl_context sctx = ctx;
    sctx.params = shadow;
    sctx.n_params = 1;
    CHECK_EXPAND(&sctx, "<mine>", "{trial_number}");
    /* {name:default}: the default (as written, possibly empty) when the trial lacks the
     * parameter -- a conditional one inactive in this trial -- else the value */
    CHECK_EXPAND(&ctx, "<--m=0.9><--lr=0.001><><x: y>", "--m={momentum:0.9}", "--lr={lr:5}",
                 "{gone:}", "{gone:x: y}");
    char *const uses[] = {"--a={momentum:0.9}", "{lr}", "{{width}}"};
    assert_int_equal(tmpl_field_use(uses, 3, "momentum"), TMPL_USE_DEFAULT);
    assert_int_equal(tmpl_field_use(uses, 3, "lr"), TMPL_USE_BARE);
    assert_int_equal(tmpl_field_use(uses, 3, "width"), 0);
    /* Long string values are fine up to the limit of one argument. */
    static char long_value[60001];
    memset(long_value, 'v', sizeof long_value - 1);
    tmpl_param big[] = {{"big", vstr(long_value), 0}};
    tmpl_context bctx = ctx;
    bctx.params = big;
    bctx.n_params = 1;
    char **argv = NULL;
    size_t argc = 0;
    char *const words[] = {"{big}{big}"};
    char err[256];
    assert_int_equal(tmpl_expand_argv(words, 1, &bctx, &argv, &argc, err, sizeof err), 0);
    assert_int_equal(argc, 1);
    assert_int_equal(strlen(argv[0]), 120000);
    tmpl_free_words(argv, argc);
}

static void test_expand_envvar(void **state)
{
    (void)state;
    tmpl_context ctx = make_ctx();
    setenv("HPS_TEST_TEMPLATE_VAR", "from env", 1);
    unsetenv("HPS_TEST_TEMPLATE_UNSET");
    CHECK_EXPAND(&ctx, "<from env><x=from env!>", "${envvar:HPS_TEST_TEMPLATE_VAR}",
                 "x=${envvar:HPS_TEST_TEMPLATE_VAR}!");
    CHECK_EXPAND_ERR(&ctx, "environment variable 'HPS_TEST_TEMPLATE_UNSET' is not set",
                     "a", "${envvar:HPS_TEST_TEMPLATE_UNSET}");
    CHECK_EXPAND_ERR(&ctx, "unknown macro '${envvar:}'", "${envvar:}");
    setenv("HPS_TEST_TEMPLATE_VAR", "", 1);
    CHECK_EXPAND(&ctx, "<>", "${envvar:HPS_TEST_TEMPLATE_VAR}");
}

static void test_expand_errors(void **state)
{
    (void)state;
    tmpl_context ctx = make_ctx();
    CHECK_EXPAND_ERR(&ctx, "unknown placeholder '{nope}' in '--x={nope}'", "cmd", "--x={nope}");
    CHECK_EXPAND_ERR(&ctx, "unknown placeholder '{}'", "{}");
    CHECK_EXPAND_ERR(&ctx, "unknown placeholder '{gone}'", "{gone}");
    CHECK_EXPAND_ERR(&ctx, "unknown macro '${nope}'", "${nope}");
    CHECK_EXPAND_ERR(&ctx, "unknown macro '${HOME}'", "cd", "${HOME}");
    CHECK_EXPAND_ERR(&ctx, "single '}' at column 2 in 'a}b'", "a}b");
    CHECK_EXPAND_ERR(&ctx, "unterminated '{' at column 3 in 'ab{lr'", "ab{lr");
    CHECK_EXPAND_ERR(&ctx, "unterminated '${' at column 1", "${args");
    CHECK_EXPAND_ERR(&ctx, "'${args}' must be a word by itself", "x${args}");
    CHECK_EXPAND_ERR(&ctx, "'${args_no_hyphens}' must be a word by itself",
                     "${args_no_hyphens}${args_no_hyphens}");

    tmpl_context nulls = ctx;
    nulls.program = NULL;
    nulls.args_json_file = NULL;
    nulls.study_name = NULL;
    nulls.interpreter = NULL;
    CHECK_EXPAND_ERR(&nulls, "${program} is used but no program is set", "${program}");
    CHECK_EXPAND_ERR(&nulls, "${args_json_file} is used but no JSON file is set", "x",
                     "--f=${args_json_file}");
    CHECK_EXPAND_ERR(&nulls, "{study_name} is used but no study name is set", "{study_name}");
    CHECK_EXPAND_ERR(&nulls, "${interpreter} is used but no interpreter is set",
                     "${interpreter}");
    /* Unused NULL fields are fine. */
    CHECK_EXPAND(&nulls, "<ok><42>", "ok", "{trial_number}");

    /* Missing words and template. */
    char **argv = (char **)1;
    size_t argc = 1;
    char err[256];
    char *const holes[] = {"a", NULL};
    assert_int_equal(tmpl_expand_argv(holes, 2, &ctx, &argv, &argc, err, sizeof err), -1);
    assert_null(argv);
    assert_non_null(strstr(err, "word 1"));
    assert_int_equal(tmpl_expand_argv(NULL, 0, &ctx, &argv, &argc, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(tmpl_expand_argv(holes, 1, NULL, &argv, &argc, NULL, 0), -1);

    /* An argument too long for exec. */
    static char long_value[70000];
    memset(long_value, 'v', sizeof long_value - 1);
    tmpl_param big[] = {{"big", vstr(long_value), 0}};
    tmpl_context bctx = ctx;
    bctx.params = big;
    bctx.n_params = 1;
    CHECK_EXPAND_ERR(&bctx, "longer than 131071 bytes", "{big}{big}");
    CHECK_EXPAND(&bctx, "<ok>", "ok"); /* nothing expanded: fine */
}

/* ---- shell expansion ----------------------------------------------------------------------- */

/* Runs `command` with /bin/sh -c (popen) and returns its output; free() it. */
static char *run_shell(const char *command)
{
    FILE *f = popen(command, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0)
        len += n;
    out[len] = '\0';
    assert_int_equal(pclose(f), 0);
    return out;
}

static char *expand_shell_ok(const char *tmpl, const tmpl_context *ctx)
{
    char *out = (char *)1;
    char err[512] = "";
    int rc = tmpl_expand_shell(tmpl, ctx, &out, err, sizeof err);
    if (rc != 0)
        fail_msg("tmpl_expand_shell(%s): %s", tmpl, err);
    assert_non_null(out);
    return out;
}

static void test_shell_quoting(void **state)
{
    (void)state;
    const char *tricky = "it's \"q\" $HOME `echo x` \\ back\nnew line {x} ${y} * ;|&";
    tmpl_param params[] = {{"name", vstr(tricky), 0}, {"lr", vfloat(1e-05), 0}};
    tmpl_context ctx = make_ctx();
    ctx.params = params;
    ctx.n_params = 2;

    /* The quoting itself. */
    tmpl_param simple[] = {{"v", vstr("it's"), 0}};
    tmpl_context sctx = ctx;
    sctx.params = simple;
    sctx.n_params = 1;
    char *s = expand_shell_ok("echo {v} \"{v}\" '{v}' ${args}", &sctx);
    assert_string_equal(s, "echo 'it'\\''s' \"it's\" 'it'\\''s' '--v=it'\\''s'");
    free(s);
    s = expand_shell_ok("${env} ${interpreter} ${program} {trial_number}", &sctx);
    assert_string_equal(s, "'/usr/bin/env' 'python3' 'train.py' '42'");
    free(s);
    tmpl_param dq[] = {{"v", vstr("a\"b$c`d\\e'"), 0}};
    sctx.params = dq;
    s = expand_shell_ok("x \"{v}\"", &sctx);
    assert_string_equal(s, "x \"a\\\"b\\$c\\`d\\\\e'\"");
    free(s);

    /* What the shell makes of it: every value arrives as exactly one argument. */
    setenv("HPS_TEST_SHELL_VAR", "$(touch /tmp/hps_pwned) it's", 1);
    s = expand_shell_ok("printf '[%s]\\n' {name} \"{name}\" '{name}' ${args} \"${args}\" "
                        "pre{lr}post \\\"{lr}\\\" ${args_json} x${envvar:HPS_TEST_SHELL_VAR}",
                        &ctx);
    char *got = run_shell(s);
    char expected[4096];
    snprintf(expected, sizeof expected,
             "[%s]\n[%s]\n[%s]\n[--name=%s]\n[--lr=1e-05]\n[--name=%s --lr=1e-05]\n"
             "[pre1e-05post]\n[\"1e-05\"]\n[%s]\n[x$(touch /tmp/hps_pwned) it's]\n",
             tricky, tricky, tricky, tricky, tricky,
             "{\"name\": \"it's \\\"q\\\" $HOME `echo x` \\\\ back\\nnew line {x} ${y} * ;|&\", "
             "\"lr\": 1e-05}");
    if (strcmp(got, expected) != 0)
        fail_msg("shell output:\n%s\nexpected:\n%s\ncommand: %s", got, expected, s);
    free(got);
    free(s);

    /* Escaped quotes in the literal text do not confuse the quote tracking. */
    sctx.params = simple;
    s = expand_shell_ok("printf '[%s]\\n' \\'{v} \"a\\\"{v}\" 'b'\"{v}\"", &sctx);
    got = run_shell(s);
    assert_string_equal(got, "['it's]\n[a\"it's]\n[bit's]\n");
    free(got);
    free(s);
}

static void test_shell_errors(void **state)
{
    (void)state;
    tmpl_context ctx = make_ctx();
    char *out = (char *)1;
    char err[512];
    assert_int_equal(tmpl_expand_shell("echo {nope}", &ctx, &out, err, sizeof err), -1);
    assert_null(out);
    assert_non_null(strstr(err, "unknown placeholder '{nope}'"));
    assert_int_equal(tmpl_expand_shell("awk '{print $1}'", &ctx, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "{print $1}"));
    assert_int_equal(tmpl_expand_shell("echo ${HOME}", &ctx, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown macro '${HOME}'"));
    assert_int_equal(tmpl_expand_shell("echo }", &ctx, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "single '}'"));
    assert_int_equal(tmpl_expand_shell(NULL, &ctx, &out, err, sizeof err), -1);
    assert_int_equal(tmpl_expand_shell("x", NULL, &out, NULL, 0), -1);
    tmpl_context nulls = ctx;
    nulls.program = NULL;
    assert_int_equal(tmpl_expand_shell("${program}", &nulls, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "no program"));

    /* Literal braces and dollars. */
    char *s = expand_shell_ok("awk '{{print $1}}' ${{HOME}} $HOME", &ctx);
    assert_string_equal(s, "awk '{print $1}' ${HOME} $HOME");
    free(s);
    s = expand_shell_ok("", &ctx);
    assert_string_equal(s, "");
    free(s);
}

/* ---- validation ------------------------------------------------------------------------------ */

static void test_validate(void **state)
{
    (void)state;
    const char *const names[] = {"lr", "act"};
    char err[512];
    char *const good[] = {"python", "{lr}", "--act={act}", "${args}", "{trial_number}",
                          "${envvar:SURELY_UNSET_VAR_XYZ}", "{{x}}", "${program}",
                          "--f=${args_json_file}", "{study_name}", "${args_no_hyphens}"};
    assert_int_equal(
        tmpl_validate(good, sizeof good / sizeof good[0], names, 2, err, sizeof err), 0);

    struct {
        const char *word;
        const char *part;
    } bad[] = {
        {"{lrr}", "unknown placeholder '{lrr}'"},
        {"${argz}", "unknown macro '${argz}'"},
        {"x${args}", "must be a word by itself"},
        {"${args}x", "must be a word by itself"},
        {"a}", "single '}'"},
        {"{a", "unterminated '{'"},
        {"${envvar:}", "unknown macro"},
        {"{ lr}", "unknown placeholder '{ lr}'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *const words[] = {"cmd", (char *)bad[i].word};
        err[0] = '\0';
        assert_int_equal(tmpl_validate(words, 2, names, 2, err, sizeof err), -1);
        if (strstr(err, bad[i].part) == NULL)
            fail_msg("validate '%s': '%s' lacks '%s'", bad[i].word, err, bad[i].part);
    }
    assert_int_equal(tmpl_validate(NULL, 0, names, 2, err, sizeof err), -1);
    char *const lone[] = {"{lr}"};
    assert_int_equal(tmpl_validate(lone, 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "{lr}"));

    assert_int_equal(tmpl_validate_shell("python t.py ${args} --x={lr} \"${args}\"x", names, 2,
                                         err, sizeof err), 0);
    assert_int_equal(tmpl_validate_shell("python {bad}", names, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "{bad}"));
    assert_int_equal(tmpl_validate_shell(NULL, names, 2, err, sizeof err), -1);
}


/* W&B nested parameters reach the trial as W&B's agent passes them: one word per
 * top-level object, Python's str() of the dict, and nested objects in the JSON. A dotted
 * name that is not nested stays one flat name. */
static void test_nested_params(void **state)
{
    (void)state;
    tmpl_param nested[] = {
        {"a", vint(1), 0},           {"opt.lr", vfloat(0.01), 1},
        {"opt.name", vstr("it's"), 1}, {"opt.deep.x", vbool(1), 1},
        {"opt.deep.y", vstr("q\\'\""), 1}, {"b.c", vint(2), 0},
    };
    tmpl_context ctx = make_ctx();
    ctx.params = nested;
    ctx.n_params = sizeof nested / sizeof nested[0];
    CHECK_EXPAND(&ctx,
                 "<--a=1><--opt={'lr': 0.01, 'name': \"it's\", 'deep': {'x': True, "
                 "'y': 'q\\\\\\'\"'}}><--b.c=2>",
                 "${args}");
    CHECK_EXPAND(&ctx, "<a=1><opt={'lr': 0.01, 'name': \"it's\", 'deep': {'x': True, 'y': "
                       "'q\\\\\\'\"'}}><b.c=2>",
                 "${args_no_hyphens}");
    char *json = tmpl_params_json(nested, sizeof nested / sizeof nested[0]);
    assert_string_equal(json, "{\"a\": 1, \"opt\": {\"lr\": 0.01, \"name\": \"it's\", "
                              "\"deep\": {\"x\": true, \"y\": \"q\\\\'\\\"\"}}, "
                              "\"b.c\": 2}");
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_float_like_python),
        cmocka_unit_test(test_format_other_types),
        cmocka_unit_test(test_params_json),
        cmocka_unit_test(test_split_words),
        cmocka_unit_test(test_expand_macros),
        cmocka_unit_test(test_expand_fields),
        cmocka_unit_test(test_nested_params),
        cmocka_unit_test(test_expand_envvar),
        cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_shell_quoting),
        cmocka_unit_test(test_shell_errors),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
