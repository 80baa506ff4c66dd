/*
 * test_config.c -- the study file reader (src/cli/config*.c): hpsearch's YAML and W&B
 * sweep files, every validation error with its FILE:LINE, overrides, caps.
 *
 * Data-driven part: tests/unit/configs/bad/ holds one broken file per error, its first
 * line "# expect: <text the message must contain>"; tests/unit/configs/good/ holds
 * files that must load (with "# warns: <text>" when a warning is expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config.h"
#include <jansson.h>
#include "cli/config_internal.h"
#include "runner/metrics.h"
#include "testutil.h"

static char err[1024];

/* ---- helpers ------------------------------------------------------------------------ */

static cfg_config *load_ok(const char *text)
{
    cfg_config *cfg = NULL;
    int rc = cfg_load_string(text, strlen(text), "t.yaml", &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("expected the config to load, got %d: %s\n--- config ---\n%s", rc, err, text);
    assert_non_null(cfg);
    return cfg;
}

static void expect_fail(const char *text, const char *needle)
{
    cfg_config *cfg = (cfg_config *)1;
    err[0] = '\0';
    int rc = cfg_load_string(text, strlen(text), "t.yaml", &cfg, err, sizeof err);
    if (rc != -1)
        fail_msg("expected -1 with '%s', got %d\n--- config ---\n%s", needle, rc, text);
    assert_null(cfg);
    if (strstr(err, needle) == NULL)
        fail_msg("expected the message to contain\n  '%s'\nbut it is\n  '%s'", needle, err);
}

static const cfg_param *param(const cfg_config *cfg, const char *name)
{
    for (size_t k = 0; k < cfg->n_params; k++)
        if (strcmp(cfg->params[k].name, name) == 0)
            return &cfg->params[k];
    fail_msg("no parameter '%s'", name);
    return NULL;
}

static void assert_words(char **words, size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t k = 0; k < n; k++)
        if (strcmp(words[k], want[k]) != 0)
            fail_msg("word %zu: expected '%s', got '%s'", k, want[k], words[k]);
}

static int has_warning(const cfg_config *cfg, const char *needle)
{
    for (size_t k = 0; k < cfg->n_warnings; k++)
        if (strstr(cfg->warnings[k], needle) != NULL)
            return 1;
    return 0;
}

/* The fixture folder next to this source file (absolute under CMake). */
static const char *fixture_path(const char *sub, const char *name)
{
    static char buf[2][4096];
    static int next;
    char *out = buf[next++ % 2];
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int dir_len = slash != NULL ? (int)(slash - file) : 1;
    snprintf(out, sizeof buf[0], "%.*s/configs/%s%s%s", dir_len, slash != NULL ? file : ".",
             sub, name != NULL ? "/" : "", name != NULL ? name : "");
    return out;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted *.yaml names of a fixture folder; returns the count. */
static size_t list_fixtures(const char *sub, char ***out)
{
    DIR *dir = opendir(fixture_path(sub, NULL));
    if (dir == NULL)
        fail_msg("cannot open fixture folder %s", fixture_path(sub, NULL));
    char **names = NULL;
    size_t n = 0;
    struct dirent *entry;
    for (entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        size_t len = strlen(entry->d_name);
        if (len < 6 || strcmp(entry->d_name + len - 5, ".yaml") != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        assert_non_null(names);
        names[n] = strdup(entry->d_name);
        assert_non_null(names[n++]);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, compare_names);
    *out = names;
    return n;
}

/* The text after `tag` on the first line that starts with it ("" if none). */
static void fixture_tag(const char *path, const char *tag, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    out[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, tag, strlen(tag)) == 0) {
            snprintf(out, len, "%s", line + strlen(tag));
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

/* ---- fixtures ----------------------------------------------------------------------- */

static void test_bad_fixtures(void **state)
{
    (void)state;
    char **names;
    size_t n = list_fixtures("bad", &names);
    assert_true(n >= 80);
    size_t failures = 0;
    for (size_t k = 0; k < n; k++) {
        const char *path = fixture_path("bad", names[k]);
        char want[1024];
        fixture_tag(path, "# expect: ", want, sizeof want);
        if (want[0] == '\0')
            fail_msg("%s has no '# expect:' line", names[k]);
        cfg_config *cfg = (cfg_config *)1;
        err[0] = '\0';
        int rc = cfg_load(path, &cfg, err, sizeof err);
        /* Messages name the file as given, so "bad/x.yaml:5:" ends with "x.yaml:5:". */
        if (rc != -1 || cfg != NULL || strstr(err, want) == NULL || strstr(err, path) != err) {
            print_error("%s: rc %d\n  expected: %s\n  got:      %s\n", names[k], rc, want, err);
            failures++;
        }
        cfg_free(rc == 0 ? cfg : NULL);
        free(names[k]);
    }
    free(names);
    assert_int_equal(failures, 0);
}

static void test_good_fixtures(void **state)
{
    (void)state;
    char **names;
    size_t n = list_fixtures("good", &names);
    assert_true(n >= 6);
    for (size_t k = 0; k < n; k++) {
        const char *path = fixture_path("good", names[k]);
        cfg_config *cfg = NULL;
        if (cfg_load(path, &cfg, err, sizeof err) != 0)
            fail_msg("%s: %s", names[k], err);
        char warns[256];
        fixture_tag(path, "# warns: ", warns, sizeof warns);
        if (warns[0] != '\0' && !has_warning(cfg, warns))
            fail_msg("%s: expected a warning containing '%s'", names[k], warns);
        if (warns[0] == '\0' && cfg->n_warnings != 0)
            fail_msg("%s: unexpected warning: %s", names[k], cfg->warnings[0]);
        assert_true(cfg->n_params > 0);
        assert_true(cfg->n_command > 0 || cfg->shell_command != NULL);
        cfg_free(cfg);
        free(names[k]);
    }
    free(names);
}

/* Loads text that may be anything: it must load, or fail with a message naming the file. */
static void load_any(const char *text, size_t len, const char *what, size_t at)
{
    cfg_config *cfg = NULL;
    err[0] = '\0';
    int rc = cfg_load_string(text, len, "cut.yaml", &cfg, err, sizeof err);
    if (rc == 0) {
        assert_non_null(cfg);
        cfg_free(cfg);
        return;
    }
    if (rc != -1 || cfg != NULL || strncmp(err, "cut.yaml", 8) != 0)
        fail_msg("%s at %zu: rc %d, message without the file: %s", what, at, rc, err);
}

static size_t read_fixture(const char *sub, const char *name, char *text, size_t cap)
{
    FILE *f = fopen(fixture_path(sub, name), "r");
    assert_non_null(f);
    size_t len = fread(text, 1, cap, f);
    fclose(f);
    return len;
}

/* Every prefix of every fixture (a file cut anywhere) loads or fails cleanly. */
static void test_truncated_inputs(void **state)
{
    (void)state;
    const char *subs[] = {"good", "bad"};
    for (size_t s = 0; s < 2; s++) {
        char **names;
        size_t n = list_fixtures(subs[s], &names);
        for (size_t k = 0; k < n; k++) {
            char text[8192];
            size_t len = read_fixture(subs[s], names[k], text, sizeof text);
            for (size_t cut = 0; cut <= len; cut += s == 0 ? 1 : 5)
                load_any(text, cut, names[k], cut);
            free(names[k]);
        }
        free(names);
    }
}

/* Random byte edits of the good fixtures (a fixed-seed xorshift, so failures repeat). */
static void test_mutated_inputs(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[],:-#&*!|>'\"\\ \n\t0123456789.eE+abc~$%@`?";
    uint64_t rng = 0x9e3779b97f4a7c15u;
    char **names;
    size_t n = list_fixtures("good", &names);
    for (size_t k = 0; k < n; k++) {
        char original[8192], text[8300];
        size_t len = read_fixture("good", names[k], original, sizeof original);
        for (int round = 0; round < 300; round++) {
            memcpy(text, original, len);
            size_t cur = len;
            for (int edit = 0; edit < 1 + round % 4; edit++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                size_t at = (size_t)(rng % (cur + 1));
                char c = alphabet[(rng >> 32) % (sizeof alphabet - 1)];
                if ((rng >> 40) % 3 == 0 && cur + 1 < sizeof text) { /* insert */
                    memmove(text + at + 1, text + at, cur - at);
                    text[at] = c;
                    cur++;
                } else if ((rng >> 40) % 3 == 1 && at < cur) { /* delete */
                    memmove(text + at, text + at + 1, cur - at - 1);
                    cur--;
                } else if (at < cur) { /* replace */
                    text[at] = c;
                }
            }
            load_any(text, cur, names[k], (size_t)round);
        }
        free(names[k]);
    }
    free(names);
}

/* ---- the native format -------------------------------------------------------------- */

/* A prior becomes hps_study_set_prior's JSON; favor/weight becomes weights; it is
 * written back (and read again the same) while it fits, and left out once a narrowed
 * range no longer holds its center. */
static void test_priors(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok("metric: loss\ncommand: train {lr}\nparameters:\n"
                              "  lr: {low: 1.0e-5, high: 0.1, log: true, prior: {center: 3.0e-4, scale: 0.5}}\n"
                              "  act: {values: [relu, tanh, gelu], prior: {favor: tanh, weight: 0.6}}\n"
                              "  opt: {values: [adam, sgd], prior: {weights: [3, 1]}}\n"
                              "  n: {low: 1, high: 9}\n");
    json_t *lr = json_loads(param(cfg, "lr")->prior, 0, NULL);
    assert_true(json_number_value(json_object_get(lr, "center")) == 3.0e-4);
    assert_true(json_number_value(json_object_get(lr, "scale")) == 0.5);
    json_decref(lr);
    json_t *act_prior = json_loads(param(cfg, "act")->prior, 0, NULL);
    json_t *act = json_object_get(act_prior, "weights");
    assert_int_equal(json_array_size(act), 3);
    assert_true(fabs(json_number_value(json_array_get(act, 0)) - 0.2) < 1e-12);
    assert_true(fabs(json_number_value(json_array_get(act, 1)) - 0.6) < 1e-12);
    json_decref(act_prior);
    assert_null(param(cfg, "n")->prior);
    assert_true(cfg_prior_fits(param(cfg, "opt")));

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cfg_write_parameters(out, cfg);
    fclose(out);
    size_t size = len + 64;
    char *again = malloc(size);
    assert_non_null(again);
    snprintf(again, size, "metric: loss\ncommand: train {lr}\n%s", text);
    cfg_config *reread = load_ok(again);
    assert_string_equal(param(reread, "lr")->prior, param(cfg, "lr")->prior);
    assert_string_equal(param(reread, "opt")->prior, param(cfg, "opt")->prior);
    cfg_free(reread);
    free(again);
    free(text);

    cfg_param *narrowed = (cfg_param *)param(cfg, "lr");
    narrowed->low = 1e-2; /* as narrow does: the center is no longer inside */
    assert_false(cfg_prior_fits(narrowed));
    out = open_memstream(&text, &len);
    cfg_write_parameters(out, cfg);
    fclose(out);
    assert_null(strstr(text, "\"center\""));
    assert_non_null(strstr(text, "prior: {\"weights\""));
    free(text);
    cfg_free(cfg);
}

static void test_native_example(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    const char *path = fixture_path("good", "native_grid.yaml");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->path, path);
    char *dir = realpath(fixture_path("good", NULL), NULL);
    assert_non_null(dir);
    assert_string_equal(cfg->dir, dir);
    char storage[4200];
    snprintf(storage, sizeof storage, "sqlite:%s/hpsearch.db", dir);
    assert_string_equal(cfg->storage, storage);
    free(dir);
    assert_string_equal(cfg->study_name, "mlp-grid");
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_string_equal(cfg->objectives[0].name, "val_acc");
    assert_string_equal(cfg->sampler, "grid");
    assert_true(cfg->has_seed);
    assert_int_equal(cfg->seed, 42);
    assert_int_equal(cfg->n_trials, 18);
    assert_int_equal(cfg->parallel, 2);
    assert_true(cfg->timeout == 3600.0 && cfg->trial_timeout == 600.0);
    assert_int_equal(cfg->retries, 1);
    const char *const gpus[] = {"0", "1"};
    assert_words(cfg->gpus, cfg->n_gpus, gpus, 2);
    assert_true(cfg->heartbeat_interval == 5.0 && cfg->heartbeat_grace == 60.0);
    assert_true(cfg->preempt_grace == CFG_DEFAULT_PREEMPT_GRACE);
    const char *const words[] = {"${interpreter}", "train.py", "--lr", "{lr}", "--hidden-size",
                                 "{hidden_size}", "--epochs", "{epochs}"};
    assert_words(cfg->command, cfg->n_command, words, 8);
    assert_null(cfg->shell_command);
    assert_false(cfg->is_wandb);
    assert_int_equal(cfg->n_params, 7);
    assert_string_equal(cfg->params[0].name, "lr"); /* file order */
    assert_string_equal(cfg->params[6].name, "seed");

    const cfg_param *p = param(cfg, "lr");
    assert_int_equal(p->kind, CFG_CATEGORICAL);
    assert_int_equal(p->line, 19);
    assert_int_equal(p->n_values, 3);
    assert_int_equal(p->values[1].type, HPS_VALUE_FLOAT);
    assert_true(p->values[1].u.f == 0.01);
    p = param(cfg, "hidden_size");
    assert_int_equal(p->kind, CFG_INT);
    assert_true(p->low == 32 && p->high == 256 && p->step == 0 && p->flags == 0);
    p = param(cfg, "epochs");
    assert_true(p->kind == CFG_INT && p->step == 5);
    p = param(cfg, "wd");
    assert_int_equal(p->kind, CFG_FLOAT);
    assert_true(p->low == 1.0e-6 && p->high == 1.0e-2);
    assert_int_equal(p->flags, HPS_LOG);
    assert_int_equal(p->grid_points, 4);
    assert_null(p->values);
    p = param(cfg, "act");
    assert_int_equal(p->values[0].type, HPS_VALUE_STRING);
    assert_string_equal(p->values[1].u.s, "tanh");
    p = param(cfg, "dropout");
    assert_int_equal(p->kind, CFG_CONSTANT);
    assert_int_equal(p->n_values, 1);
    assert_true(p->values[0].type == HPS_VALUE_FLOAT && p->values[0].u.f == 0.1);
    p = param(cfg, "seed");
    assert_true(p->kind == CFG_CONSTANT && p->values[0].type == HPS_VALUE_INT &&
                p->values[0].u.i == 7);
    /* 3 lr x 225 hidden x 5 epochs x 4 wd x 2 act x 1 x 1 */
    assert_int_equal(cfg_grid_size(cfg), 3u * 225u * 5u * 4u * 2u);
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);
}

/* `choices` (Optuna's name) reads as `values` for a categorical, with or without type,
 * and narrow's writer gives it back as `values`. */
static void test_native_choices(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    if (cfg_load(fixture_path("good", "native_choices.yaml"), &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    const cfg_param *p = param(cfg, "optimizer");
    assert_true(p->kind == CFG_CATEGORICAL && p->n_values == 2);
    assert_string_equal(p->values[0].u.s, "adam");
    assert_string_equal(p->values[1].u.s, "sgd");
    p = param(cfg, "activation"); /* no type: choices make it categorical */
    assert_true(p->kind == CFG_CATEGORICAL && p->n_values == 2);
    assert_string_equal(p->values[1].u.s, "tanh");
    assert_non_null(p->prior);
    cfg_free(cfg);
    /* a mistake inside choices is reported under the key the file used */
    expect_fail("metric: loss\ncommand: x\nparameters:\n  o: {choices: [a, b, a]}\n",
                "t.yaml:4: parameters.o.choices: 'a' appears more than once");
}

static void test_native_other_forms(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    assert_int_equal(cfg_load(fixture_path("good", "native_random.yaml"), &cfg, err, sizeof err),
                     0);
    assert_string_equal(cfg->study_name, "native_random"); /* file name without extension */
    assert_int_equal(cfg->objectives[0].direction, HPS_MINIMIZE);
    assert_string_equal(cfg->sampler, "random");
    assert_true(cfg->has_seed && cfg->seed == 1);
    assert_true(cfg->timeout == 7200.0 && cfg->trial_timeout == 5400.0);
    const char *const gpus[] = {"0", "1", "2"};
    assert_words(cfg->gpus, cfg->n_gpus, gpus, 3);
    assert_string_equal(cfg->interpreter, "/usr/bin/python3.11");
    assert_non_null(strstr(cfg->log_dir, "/configs/good/logs/run1"));
    assert_true(cfg->log_dir[0] == '/');
    assert_int_equal(cfg->n_command, 8);
    const cfg_param *p = param(cfg, "lr"); /* 1e-5 is a float in YAML 1.2 */
    assert_true(p->kind == CFG_FLOAT && p->low == 1e-5 && p->high == 1e-1 && p->flags == HPS_LOG);
    p = param(cfg, "layers");
    assert_true(p->kind == CFG_INT && p->low == 1 && p->high == 4);
    p = param(cfg, "optimizer"); /* a bare list */
    assert_true(p->kind == CFG_CATEGORICAL && p->n_values == 3);
    assert_string_equal(p->values[2].u.s, "adamw");
    p = param(cfg, "use_bn");
    assert_true(p->values[0].type == HPS_VALUE_BOOL && p->values[0].u.b == 1);
    assert_true(p->values[1].type == HPS_VALUE_BOOL && p->values[1].u.b == 0);
    p = param(cfg, "momentum"); /* float with explicit grid values: bounds from the values */
    assert_true(p->kind == CFG_FLOAT && p->n_values == 3 && p->low == 0.8 && p->high == 0.99);
    p = param(cfg, "width");
    assert_true(p->kind == CFG_INT && p->flags == HPS_LOG && p->step == 16);
    assert_int_equal(cfg_grid_size(cfg), 0); /* lr has no finite grid */
    cfg_free(cfg);

    assert_int_equal(cfg_load(fixture_path("good", "native_shell.yaml"), &cfg, err, sizeof err),
                     0);
    assert_true(cfg->shell);
    assert_string_equal(cfg->shell_command,
                        "python3 train.py --lr {lr} 2>&1 | tee \"run-{lr}.log\"");
    assert_null(cfg->command);
    assert_true(cfg->shuffle && cfg->has_seed && cfg->seed == 3);
    assert_string_equal(cfg->sampler, "grid");
    cfg_free(cfg);
}

static void test_scalar_types(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok(
        "metric: m\ncommand: run\nparameters:\n"
        "  v: {values: [1, 1.0, 1e-3, '1', \"2\", true, False, yes, no, on, off, 0x10, 0o17,\n"
        "               1.5e3, -.5, +3, 007, !!str 5, !!float 6, text with spaces, ~x]}\n");
    const cfg_param *p = param(cfg, "v");
    assert_int_equal(p->n_values, 21);
    const hps_value *v = p->values;
    assert_true(v[0].type == HPS_VALUE_INT && v[0].u.i == 1);
    assert_true(v[1].type == HPS_VALUE_FLOAT && v[1].u.f == 1.0);
    assert_true(v[2].type == HPS_VALUE_FLOAT && v[2].u.f == 1e-3);
    assert_true(v[3].type == HPS_VALUE_STRING && strcmp(v[3].u.s, "1") == 0);
    assert_true(v[4].type == HPS_VALUE_STRING && strcmp(v[4].u.s, "2") == 0);
    assert_true(v[5].type == HPS_VALUE_BOOL && v[5].u.b == 1);
    assert_true(v[6].type == HPS_VALUE_BOOL && v[6].u.b == 0);
    for (int k = 7; k <= 10; k++) /* YAML 1.1 booleans are text under YAML 1.2 */
        assert_int_equal(v[k].type, HPS_VALUE_STRING);
    assert_string_equal(v[9].u.s, "on");
    assert_true(v[11].type == HPS_VALUE_INT && v[11].u.i == 16);
    assert_true(v[12].type == HPS_VALUE_INT && v[12].u.i == 15);
    assert_true(v[13].type == HPS_VALUE_FLOAT && v[13].u.f == 1500.0);
    assert_true(v[14].type == HPS_VALUE_FLOAT && v[14].u.f == -0.5);
    assert_true(v[15].type == HPS_VALUE_INT && v[15].u.i == 3);
    assert_true(v[16].type == HPS_VALUE_INT && v[16].u.i == 7);
    assert_true(v[17].type == HPS_VALUE_STRING && strcmp(v[17].u.s, "5") == 0);
    assert_true(v[18].type == HPS_VALUE_FLOAT && v[18].u.f == 6.0);
    assert_string_equal(v[19].u.s, "text with spaces");
    assert_string_equal(v[20].u.s, "~x");
    cfg_free(cfg);

    expect_fail("metric: m\ncommand: run\nparameters:\n  n: {values: [99999999999999999999]}\n",
                "t.yaml:4: parameters.n.values: the integer 99999999999999999999 is out of range");
    expect_fail("metric: m\ncommand: run\nparameters:\n  n: {values: [!!int 1.5]}\n",
                "t.yaml:4: parameters.n.values: '1.5' is not an integer");
}

static void test_native_inference(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok(
        "metric: m\ncommand: run\nparameters:\n"
        "  a: {low: 0, high: 10}\n"            /* ints -> int */
        "  b: {low: 0, high: 1.0}\n"           /* a float -> float */
        "  c: {low: 0, high: 1, step: 0.25}\n" /* a float step -> float */
        "  d: {low: 3, high: 3}\n"             /* low == high: a fixed value */
        "  e: {type: int, values: [4, 2.0, 8]}\n"
        "  f: {type: constant, value: hello}\n"
        "  g: {type: categorical, values: [x]}\n"
        "  h: {low: 1, high: 1000, log: true, grid_points: 4}\n");
    assert_int_equal(param(cfg, "a")->kind, CFG_INT);
    assert_int_equal(param(cfg, "b")->kind, CFG_FLOAT);
    assert_int_equal(param(cfg, "c")->kind, CFG_FLOAT);
    assert_true(param(cfg, "d")->low == 3 && param(cfg, "d")->high == 3);
    const cfg_param *e = param(cfg, "e");
    assert_true(e->kind == CFG_INT && e->low == 2 && e->high == 8);
    assert_true(e->values[1].type == HPS_VALUE_INT && e->values[1].u.i == 2);
    assert_string_equal(param(cfg, "f")->values[0].u.s, "hello");
    assert_int_equal(param(cfg, "g")->kind, CFG_CATEGORICAL);
    assert_true(param(cfg, "h")->kind == CFG_INT && param(cfg, "h")->grid_points == 4);
    cfg_free(cfg);

    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {log: true}\n",
                "t.yaml:4: parameters.x: needs values (or choices), value, or low and high");
    expect_fail("metric: m\ncommand: run\nparameters:\n  x:\n",
                "t.yaml:4: parameters.x: needs a value");
    expect_fail("metric: m\ncommand: run\nparameters:\n  e: {type: int, values: [1, 2.5]}\n",
                "t.yaml:4: parameters.e.values: 2.5 is not a whole number (parameter 'e' is "
                "an int)");
    expect_fail("metric: m\ncommand: run\nparameters:\n  e: {type: float, values: [1, x]}\n",
                "t.yaml:4: parameters.e.values: 'x' is not a number (parameter 'e' is a float)");
    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {low: 1, high: 3, grid_points: 5}\n",
                "t.yaml:4: parameters.x.grid_points: 5 points are more than the 3 whole numbers");
    expect_fail("metric: m\ncommand: run\nparameters:\n"
                "  x: {low: 0.0, high: 1.0, grid_points: 1}\n",
                "t.yaml:4: parameters.x.grid_points: needs at least 2 points");
    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {low: 0.0, high: .inf}\n",
                "t.yaml:4: parameters.x.high: must be a finite number");
    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {low: 0.1, high: 1, log: 1}\n",
                "t.yaml:4: parameters.x.log: must be true or false, not 1");
    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {value: 1, low: 0}\n",
                "t.yaml:4: parameters.x.low: cannot be used with a constant (value)");
}

static void test_grid_sampler(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok("metric: m\ncommand: run\nsampler: grid\nparameters:\n"
                              "  a: {low: 0.0, high: 1.0, step: 0.1}\n"
                              "  b: {low: 1.0e-4, high: 1.0, log: true, grid_points: 5}\n"
                              "  c: {low: 1, high: 100}\n"
                              "  d: [x, y]\n  e: 3\n");
    assert_int_equal(cfg_grid_size(cfg), 11u * 5u * 100u * 2u);
    cfg_free(cfg);
    /* exactly at the cap is allowed, one more cell is not */
    cfg = load_ok("metric: m\ncommand: run\nsampler: grid\nparameters:\n"
                  "  a: {low: 1, high: 10000}\n  b: {low: 1, high: 1000}\n");
    assert_int_equal(cfg_grid_size(cfg), CFG_MAX_GRID_CELLS);
    cfg_free(cfg);
    expect_fail("metric: m\ncommand: run\nsampler: grid\nparameters:\n"
                "  a: {low: 1, high: 10000}\n  b: {low: 1, high: 1000}\n  c: [p, q]\n",
                "t.yaml:4: the grid has 20000000 cells, more than the 10000000 allowed; "
                "parameter 'a' alone has 10000 values (line 5)");
    expect_fail("metric: m\ncommand: run\nsampler: grid\nparameters:\n"
                "  a: {low: 0, high: 1000000000000000}\n  b: {low: 0, high: 1000000000000000}\n"
                "  c: {low: 0, high: 1000000000000000}\n  d: {low: 0, high: 1000000000000000}\n"
                "  e: {low: 0, high: 1000000000000000}\n",
                "the grid has more than 18446744073709551614 cells");
}

static void test_commands(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok("metric: m\nparameters: {x: 1}\n"
                              "command: >-\n  python3 \"a b\" 'c \"d\"' e\\ f \"g\\\"h\\\\i\"\n"
                              "  '' \"\" x'y'z --lr={lr}\n");
    const char *const words[] = {"python3", "a b", "c \"d\"", "e f", "g\"h\\i", "", "", "xyz",
                                 "--lr={lr}"};
    assert_words(cfg->command, cfg->n_command, words, 9);
    assert_string_equal(cfg->command_string,
                        "python3 \"a b\" 'c \"d\"' e\\ f \"g\\\"h\\\\i\" '' \"\" x'y'z --lr={lr}");
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);

    cfg = load_ok("metric: m\nparameters: {x: 1}\ncommand: python3 t.py > out.txt\n");
    assert_true(has_warning(cfg, "t.yaml:3: command: '>' is passed literally because no shell "
                                 "runs the command; write `shell: true`"));
    cfg_free(cfg);
    cfg = load_ok("metric: m\nparameters: {x: 1}\ncommand: python3 t.py --data $DATA\n");
    assert_true(has_warning(cfg, "t.yaml:3: command: $VARIABLES are passed literally"));
    cfg_free(cfg);
    cfg = load_ok("metric: m\nparameters: {x: 1}\ncommand: [python3, t.py, 3, '|']\n");
    const char *const list[] = {"python3", "t.py", "3", "|"};
    assert_words(cfg->command, cfg->n_command, list, 4);
    assert_null(cfg->command_string);
    assert_int_equal(cfg->n_warnings, 0); /* a list is never split, nothing to warn about */
    cfg_free(cfg);

    expect_fail("metric: m\nparameters: {x: 1}\ncommand: 'python3 \"unclosed'\n",
                "t.yaml:3: command: unterminated double quote");
    expect_fail("metric: m\nparameters: {x: 1}\ncommand: 'python3 x\\'\n",
                "t.yaml:3: command: ends with a lone backslash");
    expect_fail("metric: m\nparameters: {x: 1}\ncommand: '   '\n", "t.yaml:3: command: is empty");
    expect_fail("metric: m\nparameters: {x: 1}\ncommand: [python3, ~]\n",
                "t.yaml:3: command: item 2 is null");
    expect_fail("metric: m\nparameters: {x: 1}\ncommand: [python3, [a]]\n",
                "t.yaml:3: command: must be a single value, not a list");
}

static void test_storage_and_paths(void **state)
{
    (void)state;
    char cwd[PATH_MAX], want[PATH_MAX + 64];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *body = "metric: m\ncommand: run\nparameters: {x: 1}\n";
    char text[512];
    struct { const char *storage, *want_suffix; int relative; } cases[] = {
        {"sqlite:hp.db", "/hp.db", 1},
        {"sqlite:sub/hp.db", "/sub/hp.db", 1},
        {"sqlite:///rel.db", "/rel.db", 1},
        {"sqlite:////abs/x.db", "sqlite:/abs/x.db", 0},
        {"sqlite:/abs/y.db", "sqlite:/abs/y.db", 0},
        {":memory:", ":memory:", 0},
        {"sqlite::memory:", "sqlite::memory:", 0},
        {"postgresql://u@h/db", "postgresql://u@h/db", 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(text, sizeof text, "%sstorage: \"%s\"\n", body, cases[k].storage);
        cfg_config *cfg = load_ok(text);
        if (cases[k].relative)
            snprintf(want, sizeof want, "sqlite:%s%s", cwd, cases[k].want_suffix);
        else
            snprintf(want, sizeof want, "%s", cases[k].want_suffix);
        assert_string_equal(cfg->storage, want);
        assert_string_equal(cfg->dir, cwd);
        cfg_free(cfg);
    }
    cfg_config *cfg = load_ok(body);
    snprintf(want, sizeof want, "sqlite:%s/hpsearch.db", cwd);
    assert_string_equal(cfg->storage, want);
    assert_null(cfg->log_dir);
    assert_string_equal(cfg->study_name, "t");
    cfg_free(cfg);
    const char *home = getenv("HOME");
    if (home != NULL && home[0] == '/') {
        snprintf(text, sizeof text, "%sstorage: sqlite:~/exp/hp.db\nlog_dir: ~/logs\n", body);
        cfg = load_ok(text);
        snprintf(want, sizeof want, "sqlite:%s/exp/hp.db", home);
        assert_string_equal(cfg->storage, want);
        snprintf(want, sizeof want, "%s/logs", home);
        assert_string_equal(cfg->log_dir, want);
        cfg_free(cfg);
    }
    snprintf(text, sizeof text, "%sstorage: sqlite://host/db\n", body);
    expect_fail(text, "t.yaml:4: storage: 'sqlite://host/db' names a host");
    snprintf(text, sizeof text, "%sstorage: 'sqlite:'\n", body);
    expect_fail(text, "t.yaml:4: storage: sqlite: needs a file path");
    snprintf(text, sizeof text, "%sstorage: mysql://x\n", body);
    expect_fail(text, "t.yaml:4: storage: 'mysql://x' is not a storage URL");

    /* A real file: trials run in its directory, relative paths resolve there. */
    const char *path = testutil_write_file("exp.v2.yaml", "metric: m\ncommand: run\n"
                                           "parameters: {x: 1}\nlog_dir: logs\n");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    char *dir = realpath(testutil_tmpdir(), NULL);
    assert_string_equal(cfg->dir, dir);
    snprintf(want, sizeof want, "%s/logs", dir);
    assert_string_equal(cfg->log_dir, want);
    snprintf(want, sizeof want, "sqlite:%s/hpsearch.db", dir);
    assert_string_equal(cfg->storage, want);
    assert_string_equal(cfg->study_name, "exp.v2");
    free(dir);
    cfg_free(cfg);
}

/* `workdir`: where trials run. Relative to the file; the file's directory by default, but
 * for W&B sweep files the current directory (where `wandb agent` would run them). */
static void test_workdir(void **state)
{
    (void)state;
    char cwd[PATH_MAX], want[PATH_MAX + 64];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *dir = realpath(testutil_tmpdir(), NULL);
    assert_non_null(dir);
    assert_int_equal(mkdir(testutil_path("code"), 0700), 0);
    assert_int_equal(mkdir(testutil_path("conf"), 0700), 0);
    cfg_config *cfg = NULL;

    const char *path = testutil_write_file("conf/native.yaml", "metric: m\ncommand: run\n"
                                           "parameters: {x: 1}\n");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/conf", dir);
    assert_string_equal(cfg->workdir, want); /* default: the file's directory */
    assert_false(cfg_key_given(cfg, "workdir"));
    cfg_free(cfg);

    path = testutil_write_file("conf/moved.yaml", "metric: m\ncommand: run\nworkdir: ../code\n"
                               "parameters: {x: 1}\n");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/code", dir);
    assert_string_equal(cfg->workdir, want); /* relative to the file, not the cwd */
    assert_true(cfg_key_given(cfg, "workdir"));
    /* --set: relative to the current directory, as on any command line */
    assert_int_equal(cfg_set(cfg, "workdir", ".", err, sizeof err), 0);
    assert_string_equal(cfg->workdir, cwd);
    err[0] = '\0';
    assert_int_equal(cfg_set(cfg, "workdir", "no-such-dir-here", err, sizeof err), -1);
    assert_non_null(strstr(err, "workdir: 'no-such-dir-here' does not exist"));
    assert_string_equal(cfg->workdir, cwd); /* unchanged */
    snprintf(want, sizeof want, "workdir=%s", dir);
    assert_int_equal(cfg_set_pair(cfg, want, err, sizeof err), 0);
    assert_string_equal(cfg->workdir, dir);
    cfg_free(cfg);

    /* W&B: trials run where the sweep is started, unless the file says otherwise */
    path = testutil_write_file("conf/sweep.yaml", "program: train.py\nmethod: random\n"
                               "metric: {name: m}\nparameters: {x: {min: 0, max: 1}}\n");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->workdir, cwd);
    assert_false(cfg_key_given(cfg, "workdir"));
    cfg_free(cfg);
    path = testutil_write_file("conf/sweep2.yaml", "program: train.py\nmethod: random\n"
                               "workdir: ../code\nmetric: {name: m}\n"
                               "parameters: {x: {min: 0, max: 1}}\n");
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/code", dir);
    assert_string_equal(cfg->workdir, want);
    cfg_free(cfg);

    /* an absolute path is taken as it is; errors name file, line and key */
    const char *body = "metric: m\ncommand: run\nparameters: {x: 1}\n";
    char text[PATH_MAX + 128];
    snprintf(text, sizeof text, "%sworkdir: %s\n", body, dir);
    cfg = load_ok(text);
    assert_string_equal(cfg->workdir, dir);
    cfg_free(cfg);
    snprintf(text, sizeof text, "%sworkdir: %s/conf/native.yaml\n", body, dir);
    expect_fail(text, "t.yaml:4: workdir: ");
    expect_fail(text, "native.yaml' is not a directory");
    snprintf(text, sizeof text, "%sworkdir: [a, b]\n", body);
    expect_fail(text, "t.yaml:4: workdir: ");
    free(dir);
}

static void test_interpreter_default(void **state)
{
    (void)state;
    const char *text = "metric: m\ncommand: run\nparameters: {x: 1}\n";
    unsetenv("HPSEARCH_PYTHON");
    cfg_config *cfg = load_ok(text);
    assert_string_equal(cfg->interpreter, "python3");
    cfg_free(cfg);
    setenv("HPSEARCH_PYTHON", "/opt/venv/bin/python", 1);
    cfg = load_ok(text);
    assert_string_equal(cfg->interpreter, "/opt/venv/bin/python");
    cfg_free(cfg);
    unsetenv("HPSEARCH_PYTHON");
}

static void test_durations(void **state)
{
    (void)state;
    struct { const char *text; double seconds; } ok[] = {
        {"30s", 30}, {"90m", 5400}, {"2h", 7200}, {"1h30m", 5400}, {"1.5h", 5400},
        {"1d", 86400}, {"250ms", 0.25}, {"3600", 3600}, {" 2 min ", 120}, {"1h 1m 1s", 3661},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        double s = -1;
        if (cfg_parse_duration(ok[k].text, &s) != 0 || fabs(s - ok[k].seconds) > 1e-9)
            fail_msg("'%s': expected %g s, got %g", ok[k].text, ok[k].seconds, s);
    }
    const char *bad[] = {"", "s", "soon", "5x", "-5s", "1h30", "5 5", "1e3s", ".s", "2..5h",
                         "99999999999d"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        double s;
        if (cfg_parse_duration(bad[k], &s) == 0)
            fail_msg("'%s' should not parse (got %g)", bad[k], s);
    }
    cfg_config *cfg = load_ok("metric: m\ncommand: run\nparameters: {x: 1}\ntimeout: 1.5\n"
                              "trial_timeout: \"45s\"\nheartbeat_interval: 2\n"
                              "heartbeat_grace: 1m\npreempt_grace: 2m\n");
    assert_true(cfg->timeout == 1.5 && cfg->trial_timeout == 45 && cfg->heartbeat_grace == 60 &&
                cfg->heartbeat_interval == 2 && cfg->preempt_grace == 120);
    cfg_free(cfg);
}

/* ---- W&B sweep files ---------------------------------------------------------------- */

static void test_wandb_random(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    assert_int_equal(cfg_load(fixture_path("good", "wandb_random.yaml"), &cfg, err, sizeof err),
                     0);
    assert_true(cfg->is_wandb);
    assert_string_equal(cfg->program, "train.py");
    assert_string_equal(cfg->sampler, "random");
    assert_int_equal(cfg->n_trials, 20);
    assert_string_equal(cfg->objectives[0].name, "val_acc");
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_true(cfg->has_target && cfg->target == 0.99);
    const char *const words[] = {"${env}", "${interpreter}", "${program}", "--config",
                                 "your-training-config.json", "${args}"};
    assert_words(cfg->command, cfg->n_command, words, 6);
    const cfg_param *p = param(cfg, "learning_rate"); /* min 0 (int), max 0.1 -> uniform */
    assert_true(p->kind == CFG_FLOAT && p->low == 0 && p->high == 0.1 && p->flags == 0);
    p = param(cfg, "batch_size"); /* q_log_uniform_values with int q -> int, log, step q */
    assert_true(p->kind == CFG_INT && p->low == 32 && p->high == 256 && p->step == 8);
    assert_int_equal(p->flags, HPS_LOG);
    p = param(cfg, "weight_decay");
    assert_true(p->kind == CFG_FLOAT && p->flags == HPS_LOG && p->low == 1e-5);
    p = param(cfg, "layers"); /* int min/max -> int_uniform */
    assert_true(p->kind == CFG_INT && p->low == 1 && p->high == 4 && p->step == 0);
    assert_int_equal(param(cfg, "optimizer")->kind, CFG_CATEGORICAL);
    p = param(cfg, "epochs");
    assert_true(p->kind == CFG_CONSTANT && p->values[0].u.i == 5);
    assert_int_equal(cfg->n_metadata, 1);
    assert_string_equal(cfg->metadata_keys[0], "description");
    assert_string_equal(cfg->metadata_values[0], "learning rate and batch size");
    assert_false(cfg->early_terminate);
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);
}

static void test_wandb_grid_and_defaults(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    assert_int_equal(cfg_load(fixture_path("good", "wandb_grid.yaml"), &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->sampler, "grid");
    assert_string_equal(cfg->study_name, "grid-sweep");
    assert_int_equal(cfg->objectives[0].direction, HPS_MINIMIZE);
    assert_int_equal(cfg->n_trials, 0);
    const char *const words[] = {"${env}", "${interpreter}", "${program}", "${args}"};
    assert_words(cfg->command, cfg->n_command, words, 4);
    assert_int_equal(cfg_grid_size(cfg), 2 * 3 * 3 * 1);
    assert_int_equal(cfg->n_metadata, 2);
    assert_string_equal(cfg->metadata_keys[0], "project");
    assert_string_equal(cfg->metadata_values[1], "my-team");
    cfg_free(cfg);

    assert_int_equal(cfg_load(fixture_path("good", "wandb_hydra.yaml"), &cfg, err, sizeof err),
                     0);
    /* early_terminate becomes the Hyperband pruner (min_iter -> min_resource, eta) */
    assert_true(cfg->early_terminate);
    assert_non_null(cfg->pruner);
    assert_string_equal(cfg->pruner->name, "hyperband");
    assert_int_equal(cfg->n_warnings, 0);
    const cfg_param *p = param(cfg, "params.beta"); /* log_uniform: exponents */
    assert_true(p->kind == CFG_FLOAT && p->flags == HPS_LOG);
    assert_true(fabs(p->low - 0.01) < 1e-12 && fabs(p->high - 10.0) < 1e-12);
    p = param(cfg, "params.n_units");
    assert_true(p->kind == CFG_INT && p->step == 16 && p->low == 16 && p->high == 128);
    assert_string_equal(cfg->metadata_keys[0], "controller");
    assert_string_equal(cfg->metadata_values[0], "{type: local}");
    assert_string_equal(cfg->command[3], "+experiment=MNIST_VAE");
    cfg_free(cfg);
}

static void test_wandb_q_distributions(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok(
        "program: p.py\nmethod: random\nmetric: {name: m}\nparameters:\n"
        "  a: {distribution: q_uniform, min: 0.0, max: 1.0, q: 0.1}\n"     /* float q -> float */
        "  b: {distribution: q_uniform, min: 0, max: 10, q: 2}\n"          /* int q -> int */
        "  c: {distribution: q_log_uniform_values, min: 9.5, max: 3000.5}\n" /* q defaults 1 */
        "  d: {distribution: q_log_uniform_values, min: 300.0, max: 3000.0, q: 32}\n"
        "  e: {distribution: q_log_uniform, min: 3.4657359027997265, max: 5.545177444479562}\n"
        "  f: {distribution: q_log_uniform_values, min: 1, max: 100, q: 8}\n"
        "  g: {distribution: q_uniform, min: 0, max: 1, q: 1.0}\n");       /* 1.0: float */
    const cfg_param *p = param(cfg, "a");
    assert_true(p->kind == CFG_FLOAT && p->step == 0.1 && p->low == 0.0 && p->high == 1.0);
    p = param(cfg, "b");
    assert_true(p->kind == CFG_INT && p->step == 2 && p->low == 0 && p->high == 10);
    p = param(cfg, "c"); /* W&B rounds: round(9.5) = 10, round(3000.5) = 3000 */
    assert_true(p->kind == CFG_INT && p->step == 1 && p->low == 10 && p->high == 3000);
    p = param(cfg, "d"); /* multiples of 32 from round(300/32) = 9 to round(3000/32) = 94 */
    assert_true(p->kind == CFG_INT && p->low == 288 && p->high == 3008 && p->flags == HPS_LOG);
    p = param(cfg, "e"); /* exp(log 32) .. exp(log 256), rounding noise snapped away */
    assert_true(p->kind == CFG_INT && p->low == 32 && p->high == 256);
    p = param(cfg, "f"); /* log cannot start at round(1/8)*8 = 0 */
    assert_true(p->low == 8 && p->high == 96);
    p = param(cfg, "g");
    assert_true(p->kind == CFG_FLOAT && p->step == 1.0);
    assert_true(has_warning(cfg, "t.yaml:7: parameters.c: min and max moved to multiples of q (1)"
                                 ", as W&B rounds: 10..3000"));
    assert_true(has_warning(cfg, "t.yaml:8: parameters.d: min and max moved"));
    assert_false(has_warning(cfg, "parameters.e:"));
    assert_false(has_warning(cfg, "parameters.b:"));
    cfg_free(cfg);

    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n"
                "  a: {distribution: q_log_uniform_values, min: 1, max: 3, q: 8}\n",
                "t.yaml:4: parameters.a: no multiple of q (8) lies between min (1) and max (3)");
    cfg = load_ok("program: p.py\nmetric: {name: m}\nparameters:\n" /* W&B: always 0 */
                  "  a: {distribution: q_uniform, min: 0.1, max: 0.2, q: 1}\n");
    assert_true(cfg->params[0].kind == CFG_INT && cfg->params[0].low == 0 &&
                cfg->params[0].high == 0);
    cfg_free(cfg);
    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n"
                "  a: {distribution: q_uniform, min: 0, max: 1, q: 0}\n",
                "t.yaml:4: parameters.a.q: must be greater than 0");
    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n"
                "  a: {distribution: log_uniform, min: 0, max: 800}\n",
                "t.yaml:4: parameters.a: exp(min)..exp(max) is out of the range of doubles");
    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n  a: {distribution: uniform}\n",
                "t.yaml:4: parameters.a: distribution 'uniform' needs min and max");
    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n  a: {distribution: categorical}\n",
                "t.yaml:4: parameters.a: distribution 'categorical' needs values");
    expect_fail("program: p.py\nmetric: {name: m}\nparameters:\n"
                "  a: {distribution: int_uniform, values: [1, 2]}\n",
                "t.yaml:4: parameters.a.values: cannot be used with distribution 'int_uniform'");
}

static void test_wandb_unsupported(void **state)
{
    (void)state;
    const char *dists[] = {"normal", "q_normal", "log_normal", "q_log_normal", "inv_log_uniform",
                           "inv_log_uniform_values", "beta", "q_beta"};
    for (size_t k = 0; k < sizeof dists / sizeof dists[0]; k++) {
        char text[512], want[256];
        snprintf(text, sizeof text, "program: train.py\nmethod: random\nmetric:\n  name: loss\n"
                 "parameters:\n  lr:\n    distribution: %s\n", dists[k]);
        snprintf(want, sizeof want, "t.yaml:7: distribution '%s' is not supported (parameter "
                 "'lr')", dists[k]);
        expect_fail(text, want);
    }
    const char *keys[] = {"mu", "sigma", "a", "b"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char text[512], want[256];
        snprintf(text, sizeof text, "program: t.py\nmetric: {name: m}\nparameters:\n"
                 "  x: {min: 0, max: 1, %s: 1}\n", keys[k]);
        snprintf(want, sizeof want, "t.yaml:4: parameters.x.%s: not supported (parameter 'x')",
                 keys[k]);
        expect_fail(text, want);
    }
    expect_fail("program: t.py\nmethod: custom\nmetric: {name: m}\nparameters: {x: {value: 1}}\n",
                "t.yaml:2: method: 'custom' is not supported");
    expect_fail("program: t.py\nmetric: {name: m}\nscheduler: {engine: optuna}\n"
                "parameters: {x: {value: 1}}\n",
                "t.yaml:3: 'scheduler' (custom W&B schedulers) is not supported");
    expect_fail("program: t.py\nmetric: {name: m}\njob: a/b:v1\nparameters: {x: {value: 1}}\n",
                "t.yaml:3: 'job' (W&B Launch) is not supported");
    expect_fail("program: t.py\nmetric: {name: m}\nstudy: s\nparameters: {x: {value: 1}}\n",
                "t.yaml:3: unknown key 'study' in a W&B sweep file (W&B files use name)");
    expect_fail("program: t.py\nmetric: {name: m}\nn_trials: 3\nparameters: {x: {value: 1}}\n",
                "t.yaml:3: unknown key 'n_trials' in a W&B sweep file (W&B files use run_cap)");
    expect_fail("metric: m\ncommand: run\nearly_terminate: {type: hyperband}\n"
                "parameters: {x: 1}\n",
                "t.yaml:3: unknown key 'early_terminate' in an hpsearch file (use pruner)");
    /* Recognised by `metric` being a mapping even without program/method. */
    cfg_config *cfg = load_ok("metric: {name: acc, goal: maximize, impute: worst}\n"
                              "command: [python3, t.py, '${args}']\n"
                              "parallel: 3\nparameters: {x: {values: [1, 2]}}\n");
    assert_true(cfg->is_wandb && cfg->parallel == 3 && cfg->objectives[0].direction == HPS_MAXIMIZE);
    assert_true(has_warning(cfg, "t.yaml:1: metric.impute: only the bayes method uses it"));
    cfg_free(cfg);
}

/* ---- the trial-process contract: metric regex and summary, max_failures, timeout_state ---- */

static void test_metric_regex_and_summary(void **state)
{
    (void)state;
    /* Defaults: name=value pairs, the last value, stop after 5 failures, timeouts FAIL. */
    cfg_config *cfg = load_ok("metric: m\ncommand: run\nparameters: {x: 1}\n");
    assert_null(cfg->objectives[0].regex);
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_LAST);
    assert_int_equal(cfg->max_failures, CFG_DEFAULT_MAX_FAILURES);
    assert_int_equal(cfg->max_failures, 5);
    assert_int_equal(cfg->timeout_state, HPS_FAIL);
    cfg_free(cfg);

    /* A mapping without W&B's goal/target is hpsearch's own form. */
    cfg = load_ok("metric: {name: val_acc, regex: 'Val Acc: ([0-9.]+)', summary: best}\n"
                  "direction: maximize\nstudy: s\ncommand: run\nparameters: {x: 1}\n");
    assert_false(cfg->is_wandb);
    assert_string_equal(cfg->objectives[0].name, "val_acc");
    assert_string_equal(cfg->objectives[0].regex, "Val Acc: ([0-9.]+)");
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_BEST);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    cfg_free(cfg);
    cfg = load_ok("metric: {name: loss}\nn_trials: 2\ncommand: run\nparameters: {x: 1}\n");
    assert_false(cfg->is_wandb);
    assert_int_equal(cfg->n_trials, 2);
    cfg_free(cfg);
    const char *names[] = {"last", "best", "min", "max"};
    const cfg_summary want[] = {CFG_SUMMARY_LAST, CFG_SUMMARY_BEST, CFG_SUMMARY_MIN,
                                CFG_SUMMARY_MAX};
    for (size_t k = 0; k < 4; k++) {
        char text[200];
        snprintf(text, sizeof text, "metric:\n  name: m\n  summary: %s\ncommand: run\n"
                 "parameters: {x: 1}\n", names[k]);
        cfg = load_ok(text);
        assert_int_equal(cfg->objectives[0].summary, want[k]);
        assert_string_equal(cfg_summary_names[cfg->objectives[0].summary], names[k]);
        cfg_free(cfg);
    }
    /* With a regex the name is only a label: it need not be readable as a key. */
    cfg = load_ok("metric: {name: Val Acc, regex: 'Val Acc: ([0-9.]+)'}\ncommand: run\n"
                  "parameters: {x: 1}\n");
    assert_string_equal(cfg->objectives[0].name, "Val Acc");
    cfg_free(cfg);
    expect_fail("metric: Val Acc\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: metric: 'Val Acc' cannot be read from output lines: a metric name is "
                "a letter or _ followed by letters, digits, _ . / -; or read it with a regex: "
                "metric: {name: ..., regex: ...}");

    /* W&B files take the same two keys beside goal and target. */
    cfg = load_ok("program: t.py\nmethod: random\nmetric:\n  name: acc\n  goal: maximize\n"
                  "  regex: 'acc ([0-9.]+)'\n  summary: max\nparameters: {x: 1}\n");
    assert_true(cfg->is_wandb);
    assert_string_equal(cfg->objectives[0].regex, "acc ([0-9.]+)");
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_MAX);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    cfg_free(cfg);

    /* Errors name the file, line and key. */
    expect_fail("metric: {name: m, regex: 'Val Acc: [0-9.]+'}\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: metric.regex: the regular expression has no group: put parentheses "
                "around the number, e.g. 'Val Acc: ([0-9.]+)'");
    expect_fail("metric:\n  name: m\n  regex: 'Val Acc: ([0-9.]+'\ncommand: run\n"
                "parameters: {x: 1}\n",
                "t.yaml:3: metric.regex: not a valid regular expression (Unmatched ( or \\()");
    expect_fail("metric:\n  name: m\n  regex: ''\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:3: metric.regex: needs a value");
    expect_fail("metric:\n  name: m\n  regex: [a]\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:3: metric.regex:");
    expect_fail("metric:\n  name: m\n  summary: mean\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:3: metric.summary: must be last, best, min or max, not 'mean'");
    expect_fail("metric: {name: m, regexp: 'a(b)'}\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: metric: unknown key 'regexp' (metric takes name, regex and summary)");
    expect_fail("program: t.py\nmetric: {name: m, mode: max}\nparameters: {x: 1}\n",
                "t.yaml:2: metric: unknown key 'mode' (metric takes name, goal, target, regex "
                "and summary)");
    expect_fail("metric: {regex: 'a(b)'}\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: metric.name: missing");
    char *big = malloc(METRIC_MAX_REGEX + 200);
    assert_non_null(big);
    int n = snprintf(big, METRIC_MAX_REGEX + 200, "metric: {name: m, regex: '(x)");
    memset(big + n, 'a', METRIC_MAX_REGEX);
    snprintf(big + n + METRIC_MAX_REGEX, 100, "'}\ncommand: run\nparameters: {x: 1}\n");
    expect_fail(big, "t.yaml:1: metric.regex: the regular expression is too long (at most 1024");
    free(big);
}

static void test_failures_and_timeouts(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok("metric: m\ncommand: run\nparameters: {x: 1}\nmax_failures: 0\n"
                              "timeout_state: pruned\ntrial_timeout: 10m\n");
    assert_int_equal(cfg->max_failures, 0);
    assert_int_equal(cfg->timeout_state, HPS_PRUNED);
    cfg_free(cfg);
    cfg = load_ok("program: t.py\nmethod: grid\nmetric: {name: m}\nparameters: {x: 1}\n"
                  "max_failures: 12\ntimeout_state: fail\n");
    assert_int_equal(cfg->max_failures, 12);
    assert_int_equal(cfg->timeout_state, HPS_FAIL);
    cfg_free(cfg);
    expect_fail("metric: m\ncommand: run\nparameters: {x: 1}\nmax_failures: -1\n",
                "t.yaml:4: max_failures: must not be negative (got -1)");
    expect_fail("metric: m\ncommand: run\nparameters: {x: 1}\nmax_failures: many\n",
                "t.yaml:4: max_failures: must be a whole number, not 'many'");
    expect_fail("metric: m\ncommand: run\nparameters: {x: 1}\ntimeout_state: prune\n",
                "t.yaml:4: timeout_state: must be fail or pruned, not 'prune'");

    /* Overrides. */
    cfg = load_ok("metric: {name: acc, regex: 'Acc: ([0-9.]+)', summary: best}\n"
                  "command: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg_set(cfg, "max_failures", "2", err, sizeof err), 0);
    assert_int_equal(cfg->max_failures, 2);
    assert_int_equal(cfg_set(cfg, "timeout_state", "pruned", err, sizeof err), 0);
    assert_int_equal(cfg->timeout_state, HPS_PRUNED);
    assert_int_equal(cfg_set(cfg, "timeout_state", "killed", err, sizeof err), -1);
    assert_non_null(strstr(err, "timeout_state: must be fail or pruned, not 'killed'"));
    assert_int_equal(cfg->timeout_state, HPS_PRUNED);
    /* A new name drops the regex written for the old one; the summary stays. */
    assert_int_equal(cfg_set(cfg, "metric", "loss", err, sizeof err), 0);
    assert_string_equal(cfg->objectives[0].name, "loss");
    assert_null(cfg->objectives[0].regex);
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_BEST);
    cfg_free(cfg);
}

/* ---- several objectives and constraints ------------------------------------------- */

static void test_objectives_and_constraints(void **state)
{
    (void)state;
    /* One objective: `metric` and `direction`, as always. */
    cfg_config *cfg = load_ok("metric: loss\ncommand: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg->n_objectives, 1);
    assert_string_equal(cfg->objectives[0].name, "loss");
    assert_int_equal(cfg->objectives[0].direction, HPS_MINIMIZE);
    assert_int_equal(cfg->objectives[0].line, 1);
    assert_int_equal(cfg->n_constraints, 0);
    assert_null(cfg->constraints);
    cfg_free(cfg);
    /* direction may come first */
    cfg = load_ok("direction: maximize\nmetric: {name: acc, summary: best}\ncommand: run\n"
                  "parameters: {x: 1}\n");
    assert_int_equal(cfg->n_objectives, 1);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_BEST);
    cfg_free(cfg);

    /* Several: each read as `metric` is, with its goal (default minimize). */
    cfg = load_ok("metrics:\n"
                  "  - {name: val_acc, goal: maximize, summary: best}\n"
                  "  - train_seconds\n"
                  "  - name: Model Size\n"
                  "    regex: 'params: ([0-9]+)'\n"
                  "    goal: minimize\n"
                  "command: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg->n_objectives, 3);
    assert_string_equal(cfg->objectives[0].name, "val_acc");
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_int_equal(cfg->objectives[0].summary, CFG_SUMMARY_BEST);
    assert_null(cfg->objectives[0].regex);
    assert_int_equal(cfg->objectives[0].line, 2);
    assert_string_equal(cfg->objectives[1].name, "train_seconds");
    assert_int_equal(cfg->objectives[1].direction, HPS_MINIMIZE);
    assert_int_equal(cfg->objectives[1].summary, CFG_SUMMARY_LAST);
    assert_int_equal(cfg->objectives[1].line, 3);
    assert_string_equal(cfg->objectives[2].name, "Model Size");
    assert_string_equal(cfg->objectives[2].regex, "params: ([0-9]+)");
    assert_int_equal(cfg->objectives[2].line, 4);
    assert_true(cfg_key_given(cfg, "metrics"));
    assert_false(cfg_key_given(cfg, "metric"));
    assert_false(cfg_key_given(cfg, "direction"));
    cfg_free(cfg);

    /* Constraints: a bound each, read from the output like a metric. */
    cfg = load_ok("metric: acc\ndirection: maximize\nconstraints:\n"
                  "  - {name: gpu_mem_gb, max: 10, summary: max}\n"
                  "  - {name: latency_ms, max: 5}\n"
                  "  - {name: latency_ms, min: 0.5}\n"
                  "  - {name: Peak, regex: 'peak ([0-9.]+)', min: -3}\n"
                  "command: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg->n_constraints, 4);
    assert_string_equal(cfg->constraints[0].name, "gpu_mem_gb");
    assert_true(cfg->constraints[0].upper);
    assert_true(cfg->constraints[0].bound == 10);
    assert_int_equal(cfg->constraints[0].summary, CFG_SUMMARY_MAX);
    assert_int_equal(cfg->constraints[0].line, 4);
    assert_true(cfg->constraints[1].upper && cfg->constraints[1].bound == 5);
    assert_false(cfg->constraints[2].upper);
    assert_true(cfg->constraints[2].bound == 0.5);
    assert_string_equal(cfg->constraints[3].regex, "peak ([0-9.]+)");
    assert_true(cfg->constraints[3].bound == -3);
    cfg_free(cfg);

    /* The errors not in tests/unit/configs/bad (which hold one file per message). */
    expect_fail("metrics: [a, {name: a, summary: max}]\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: metrics[1].name: 'a' is already metrics[0] (line 1)");
    expect_fail("metric: a\nconstraints: []\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:2: constraints: the list is empty");
    expect_fail("metric: a\nconstraints: [mem]\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:2: constraints[0]: a constraint is a mapping {name, max or min, regex, "
                "summary}, not 'mem'");
    expect_fail("metric: a\nconstraints: [{max: 3}]\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:2: constraints[0].name: missing (the value to bound)");
    expect_fail("metric: a\nconstraints: [{name: m, max: 1, summary: mean}]\ncommand: run\n"
                "parameters: {x: 1}\n",
                "t.yaml:2: constraints[0].summary: must be last, best, min or max, not 'mean'");
    /* a minimum and a maximum of one value are two constraints */
    cfg = load_ok("metric: a\nconstraints: [{name: m, max: 1}, {name: m, min: 0}]\ncommand: run\n"
                  "parameters: {x: 1}\n");
    assert_int_equal(cfg->n_constraints, 2);
    cfg_free(cfg);
    char many[2048];
    int used = snprintf(many, sizeof many, "metric: a\nconstraints:\n");
    for (unsigned k = 0; k <= CFG_MAX_CONSTRAINTS; k++)
        used += snprintf(many + used, sizeof many - (size_t)used, "  - {name: c%u, max: 1}\n", k);
    snprintf(many + used, sizeof many - (size_t)used, "command: run\nparameters: {x: 1}\n");
    expect_fail(many, "t.yaml:3: constraints: at most 64 constraints (got 65)");

    /* Overrides: metric and direction change the one objective; a config listing its
     * objectives keeps them (metrics and constraints are the file's). */
    cfg = load_ok("metric: {name: acc, regex: 'acc ([0-9.]+)'}\ncommand: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg_set(cfg, "direction", "maximize", err, sizeof err), 0);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_string_equal(cfg->objectives[0].regex, "acc ([0-9.]+)");
    assert_int_equal(cfg_set(cfg, "direction", "upward", err, sizeof err), -1);
    assert_non_null(strstr(err, "direction: must be minimize or maximize, not 'upward'"));
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_int_equal(cfg_set(cfg, "metric", "Bad Name", err, sizeof err), -1);
    assert_string_equal(cfg->objectives[0].name, "acc"); /* unchanged by a refused override */
    assert_string_equal(cfg->objectives[0].regex, "acc ([0-9.]+)");
    cfg_free(cfg);
    cfg = load_ok("metrics: [{name: a, goal: maximize}, b]\ncommand: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg_set(cfg, "metric", "c", err, sizeof err), -1);
    assert_non_null(strstr(err, "metric: cannot be combined with metrics, which the config "
                                "gives: metric and direction name one objective"));
    assert_int_equal(cfg_set(cfg, "direction", "maximize", err, sizeof err), -1);
    assert_non_null(strstr(err, "direction: cannot be combined with metrics"));
    assert_int_equal(cfg->n_objectives, 2);
    assert_int_equal(cfg->objectives[1].direction, HPS_MINIMIZE);
    assert_int_equal(cfg_set(cfg, "metrics", "[x]", err, sizeof err), -1);
    assert_non_null(strstr(err, "metrics: not a setting that can be overridden"));
    assert_int_equal(cfg_set(cfg, "constraints", "[{name: m, max: 1}]", err, sizeof err), -1);
    assert_non_null(strstr(err, "constraints: not a setting that can be overridden"));
    assert_int_equal(cfg_set(cfg, "parallel", "2", err, sizeof err), 0); /* others still can */
    assert_int_equal(cfg->n_objectives, 2);
    cfg_free(cfg);

    /* W&B files keep W&B's one metric. */
    cfg = load_ok("program: t.py\nmetric: {name: acc, goal: maximize, target: 0.9}\n"
                  "parameters: {x: 1}\n");
    assert_int_equal(cfg->n_objectives, 1);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_true(cfg->has_target && cfg->target == 0.9);
    cfg_free(cfg);
}

/* ---- overrides ---------------------------------------------------------------------- */

/* Messages point at "path:line", and at the path alone for a --set override, which has
 * no line: run_terminate's warning under --set terminate=... once printed "t.yaml:0". */
static void test_where_without_line(void **state)
{
    (void)state;
    char at[CFG_WHERE_SIZE];
    cfg_config *cfg = load_ok("metric: m\ncommand: python3 t.py {lr}\n"
                              "terminate: {regret_bound: 0.1}\nparameters:\n"
                              "  lr: {low: 0.001, high: 0.1, log: true}\n");
    assert_string_equal(cfg_where(cfg, cfg->terminate.line, at, sizeof at), "t.yaml:3");
    assert_int_equal(cfg_set(cfg, "terminate", "{regret_bound: 0.2}", err, sizeof err), 0);
    assert_int_equal(cfg->terminate.line, 0);
    assert_string_equal(cfg_where(cfg, cfg->terminate.line, at, sizeof at), "t.yaml");
    cfg_free(cfg);
}

static void test_set_overrides(void **state)
{
    (void)state;
    char cwd[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(getcwd(cwd, sizeof cwd));
    cfg_config *cfg = load_ok("metric: m\ncommand: python3 t.py {lr}\nseed: 5\nparameters:\n"
                              "  lr: {low: 0.001, high: 0.1, log: true}\n  act: [a, b]\n");
    assert_int_equal(cfg_set(cfg, "n_trials", "5", err, sizeof err), 0);
    assert_int_equal(cfg->n_trials, 5);
    assert_int_equal(cfg_set_pair(cfg, "parallel=4", err, sizeof err), 0);
    assert_int_equal(cfg->parallel, 4);
    assert_int_equal(cfg_set(cfg, "seed", "9", err, sizeof err), 0); /* replaces, no conflict */
    assert_int_equal(cfg->seed, 9);
    assert_int_equal(cfg_set(cfg, "storage", "sqlite:x.db", err, sizeof err), 0);
    snprintf(want, sizeof want, "sqlite:%s/x.db", cwd);
    assert_string_equal(cfg->storage, want);
    assert_int_equal(cfg_set(cfg, "gpus", "[2, 3]", err, sizeof err), 0);
    const char *const gpus[] = {"2", "3"};
    assert_words(cfg->gpus, cfg->n_gpus, gpus, 2);
    assert_int_equal(cfg_set(cfg, "gpus", "4,5,6", err, sizeof err), 0);
    assert_int_equal(cfg->n_gpus, 3);
    assert_int_equal(cfg_set(cfg, "gpus", "all", err, sizeof err), 0);
    assert_words(cfg->gpus, cfg->n_gpus, (const char *const[]){"all"}, 1);
    assert_int_equal(cfg_set(cfg, "gpus", "GPU-5f8b2c3a, MIG-GPU-5f8b2c3a/1/0, MIG-77a1", err,
                             sizeof err), 0);
    assert_words(cfg->gpus, cfg->n_gpus,
                 (const char *const[]){"GPU-5f8b2c3a", "MIG-GPU-5f8b2c3a/1/0", "MIG-77a1"}, 3);
    assert_int_equal(cfg->gpus_per_trial, 1);
    assert_int_equal(cfg->trials_per_gpu, 1);
    assert_int_equal(cfg_set(cfg, "gpus_per_trial", "2", err, sizeof err), 0);
    assert_int_equal(cfg->gpus_per_trial, 2);
    assert_int_equal(cfg_set(cfg, "timeout", "2h", err, sizeof err), 0);
    assert_true(cfg->timeout == 7200);
    /* literal text, but it must be a name output lines can carry */
    assert_int_equal(cfg_set(cfg, "metric", "{odd: name}", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot be read from output lines"));
    assert_int_equal(cfg_set(cfg, "metric", "val/acc-top1", err, sizeof err), 0);
    assert_string_equal(cfg->objectives[0].name, "val/acc-top1");
    assert_int_equal(cfg_set(cfg, "direction", "maximize", err, sizeof err), 0);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_int_equal(cfg_set(cfg, "command", "python3 'u v.py' {lr}", err, sizeof err), 0);
    const char *const words[] = {"python3", "u v.py", "{lr}"};
    assert_words(cfg->command, cfg->n_command, words, 3);
    assert_int_equal(cfg_set(cfg, "shell", "true", err, sizeof err), 0);
    assert_null(cfg->command);
    assert_string_equal(cfg->shell_command, "python3 'u v.py' {lr}");
    assert_int_equal(cfg_set(cfg, "shell", "false", err, sizeof err), 0);
    assert_int_equal(cfg->n_command, 3);
    assert_null(cfg->shell_command);
    assert_int_equal(cfg_set(cfg, "sampler", "{name: sobol, seed: 2}", err, sizeof err), 0);
    assert_string_equal(cfg->sampler, "sobol");
    assert_int_equal(cfg->seed, 2);
    assert_int_equal(cfg_set(cfg, "run_cap", "7", err, sizeof err), 0);
    assert_int_equal(cfg->n_trials, 7);

    /* Errors name the key and leave the config as it was. */
    struct { const char *key, *value, *message; } bad[] = {
        {"n_trials", "-1", "n_trials: must not be negative (got -1)"},
        {"parallel", "two", "parallel: must be a whole number, not 'two'"},
        {"sampler", "grid", "sampler=grid: t.yaml:5: parameter 'lr': the grid sampler needs a "
                            "finite set of values: give values, step or grid_points"},
        {"sampler", "annealing", "sampler: unknown sampler 'annealing'"},
        {"method", "annealing", "method: 'annealing' is not supported"},
        {"timeout", "soon", "timeout: cannot read 'soon' as a duration"},
        {"storage", "x.db", "storage: 'x.db' is not a storage URL"},
        {"gpus", "[]", "gpus: the list is empty"},
        {"gpus", "cuda:1", "gpus: 'cuda:1' is not a GPU id: CUDA_VISIBLE_DEVICES takes device "
                           "indices, write 1"},
        {"gpus", "0;1", "gpus: '0;1' is not a GPU id: separate GPU ids with commas: 0,1"},
        {"gpus", "[all]", "gpus: all stands alone (write gpus: all)"},
        {"gpus_per_trial", "65", "gpus_per_trial"},
        {"trials_per_gpu", "0", "trials_per_gpu"},
        {"command", "python3 'open", "command: unterminated single quote"},
        {"direction", "up", "direction: must be minimize or maximize, not 'up'"},
        {"heartbeat_grace", "1", "heartbeat_grace=1: heartbeat_grace (1s) must be longer than "
                                 "heartbeat_interval (5s)"},
        {"n_trials", "", "n_trials: needs a value"},
        {"n_trials", "[1", "YAML syntax error"},
        {"parameters", "{}", "parameters: not a setting that can be overridden"},
        {"bogus", "1", "bogus: not a setting that can be overridden (these can: study, name, "
                       "storage, "},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        int rc = cfg_set(cfg, bad[k].key, bad[k].value, err, sizeof err);
        if (rc != -1 || strstr(err, bad[k].message) == NULL)
            fail_msg("%s=%s: rc %d, expected '%s', got '%s'", bad[k].key, bad[k].value, rc,
                     bad[k].message, err);
    }
    assert_int_equal(cfg->n_trials, 7);
    assert_int_equal(cfg->parallel, 4);
    assert_string_equal(cfg->sampler, "sobol");
    assert_true(cfg->timeout == 7200);
    assert_int_equal(cfg->n_gpus, 3);
    assert_int_equal(cfg->n_command, 3);
    assert_int_equal(cfg->objectives[0].direction, HPS_MAXIMIZE);
    assert_true(cfg->heartbeat_grace == 60);
    assert_int_equal(cfg_set_pair(cfg, "no-equals-sign", err, sizeof err), -1);
    assert_non_null(strstr(err, "expected key=value"));
    assert_int_equal(cfg_set_pair(cfg, "=5", err, sizeof err), -1);
    cfg_free(cfg);

    /* A grid that becomes valid by dropping the float range: the override works. */
    cfg = load_ok("metric: m\ncommand: run\nparameters:\n  a: [1, 2, 3]\n  b: {low: 1, high: 4}\n");
    assert_int_equal(cfg_set_pair(cfg, "sampler=grid", err, sizeof err), 0);
    assert_int_equal(cfg_grid_size(cfg), 12);
    assert_int_equal(cfg_set_pair(cfg, "shuffle=true", err, sizeof err), 0);
    assert_true(cfg->shuffle);
    cfg_free(cfg);
}

/* ---- files and caps ----------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    cfg_config *cfg = (cfg_config *)1;
    assert_int_equal(cfg_load("/nonexistent/dir/sweep.yaml", &cfg, err, sizeof err), -1);
    assert_null(cfg);
    assert_string_equal(err, "cannot open /nonexistent/dir/sweep.yaml: No such file or directory");
    assert_int_equal(cfg_load(testutil_tmpdir(), &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, ": Is a directory"));
    cfg_free(NULL);
}

static char *repeat_params(size_t n_params, size_t n_values, size_t string_len)
{
    size_t cap = 128 + n_params * (40 + n_values * 12) + string_len;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, cap, "metric: m\ncommand: run\nparameters:\n");
    for (size_t p = 0; p < n_params; p++) {
        used += (size_t)snprintf(text + used, cap - used, "  p%zu: {values: [", p);
        for (size_t v = 0; v < n_values; v++)
            used += (size_t)snprintf(text + used, cap - used, "%s%zu", v ? "," : "", v);
        used += (size_t)snprintf(text + used, cap - used, "]}\n");
    }
    if (string_len > 0) {
        used += (size_t)snprintf(text + used, cap - used, "  s: {value: ");
        memset(text + used, 'x', string_len);
        used += string_len;
        used += (size_t)snprintf(text + used, cap - used, "}\n");
    }
    assert_true(used < cap);
    return text;
}

static void test_caps(void **state)
{
    (void)state;
    char *text = repeat_params(CFG_MAX_PARAMS, 1, 0);
    cfg_config *cfg = load_ok(text);
    assert_int_equal(cfg->n_params, CFG_MAX_PARAMS);
    cfg_free(cfg);
    free(text);
    text = repeat_params(CFG_MAX_PARAMS + 1, 1, 0);
    expect_fail(text, "t.yaml:3: parameters: too many parameters (1001; at most 1000)");
    free(text);

    text = repeat_params(1, CFG_MAX_VALUES, 0);
    cfg = load_ok(text);
    assert_int_equal(cfg->params[0].n_values, CFG_MAX_VALUES);
    cfg_free(cfg);
    free(text);
    text = repeat_params(1, CFG_MAX_VALUES + 1, 0);
    expect_fail(text, "t.yaml:4: parameters.p0.values: too many values (10001; at most 10000)");
    free(text);

    text = repeat_params(1, 1, CFG_MAX_STRING);
    cfg = load_ok(text);
    assert_int_equal(strlen(cfg->params[1].values[0].u.s), CFG_MAX_STRING);
    cfg_free(cfg);
    free(text);
    text = repeat_params(1, 1, CFG_MAX_STRING + 1);
    expect_fail(text, "t.yaml:5: parameters.s.value: text too long (4097 bytes; at most 4096)");
    free(text);

    size_t big = CFG_MAX_FILE_BYTES + 1;
    text = malloc(big + 1);
    assert_non_null(text);
    memset(text, '#', big);
    text[big] = '\0';
    expect_fail(text, "t.yaml: the file is too large (1048577 bytes; at most 1048576)");
    const char *path = testutil_write_file("big.yaml", text);
    cfg = (cfg_config *)1;
    assert_int_equal(cfg_load(path, &cfg, err, sizeof err), -1);
    assert_null(cfg);
    assert_non_null(strstr(err, "big.yaml: the file is too large (more than 1048576 bytes)"));
    free(text);

    /* One list aliased into every parameter: small file, huge config. */
    size_t cap = 300000;
    text = malloc(cap);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, cap, "metric: m\ncommand: run\nparameters:\n"
                                   "  p: {values: &v [");
    for (size_t v = 0; v < CFG_MAX_VALUES; v++)
        used += (size_t)snprintf(text + used, cap - used, "%s%zu", v ? "," : "", v);
    used += (size_t)snprintf(text + used, cap - used, "]}\n");
    for (size_t p = 0; p < CFG_MAX_PARAMS - 1; p++)
        used += (size_t)snprintf(text + used, cap - used, "  p%zu: {values: *v}\n", p);
    expect_fail(text, "the configuration has more than 1000000 values in all (through aliases?)");
    free(text);
}

static void test_odd_bytes(void **state)
{
    (void)state;
    static const char nul[] = "metric: m\ncommand: run\0x\nparameters: {x: 1}\n";
    cfg_config *cfg = (cfg_config *)1;
    assert_int_equal(cfg_load_string(nul, sizeof nul - 1, "t.yaml", &cfg, err, sizeof err), -1);
    assert_null(cfg);
    assert_string_equal(err, "t.yaml:2: the file contains a NUL byte; is it a text file?");
    cfg = load_ok("\xef\xbb\xbfmetric: m\r\ncommand: run {x}\r\nparameters: {x: 1}\r\n");
    const char *const words[] = {"run", "{x}"};
    assert_words(cfg->command, cfg->n_command, words, 2);
    cfg_free(cfg);
    expect_fail("metric: m\xff\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: not UTF-8 text (YAML must be UTF-8); is it a text file?");
    /* The reader names the encoding instead of letting the parser complain about a byte
     * (libfyaml, the reader's earlier parser, looped forever on the first). */
    expect_fail("%\xf2", "t.yaml:1: not UTF-8 text");
    expect_fail("metric: m # caf\xe9\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: not UTF-8 text");
    cfg = load_ok("metric: m # caf\xc3\xa9\ncommand: run\nparameters: {x: 1}\n");
    cfg_free(cfg);
    /* libfyaml 0.7.12 crashed freeing its parser after this one */
    expect_fail("? : : ?: \t : :", "t.yaml:1: YAML syntax error: did not find expected key "
                "(column 3)");
    expect_fail("metric: m\ncommand: run\nparameters:\n\tx: 1\n",
                "t.yaml:4: YAML syntax error: tab character may not be used as indentation "
                "(column 1)");
    expect_fail("metric: m\x01\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: YAML syntax error: control characters are not allowed (character "
                "U+0001, column 10)");
    /* Where the file ends inside a quoted string, the line is where the string starts. */
    expect_fail("metric: \"m\ncommand: run\nparameters: {x: 1}\n",
                "t.yaml:1: YAML syntax error: found unexpected end of stream while scanning a "
                "quoted scalar (column 9)");
    expect_fail("metric: m\ncommand: [run,\n  x\nparameters: {x: 1}\n",
                "t.yaml:4: YAML syntax error: did not find expected ',' or ']' (column 11) while "
                "parsing a flow sequence that starts at line 2");
    enum { DEPTH = 100000 };
    static char deep[2 * DEPTH + 16] = "metric: ";
    size_t used = strlen(deep);
    memset(deep + used, '[', DEPTH);
    memset(deep + used + DEPTH, ']', DEPTH);
    deep[used + 2 * DEPTH] = '\n';
    expect_fail(deep, "t.yaml:1: YAML syntax error: nested more than 64 levels deep (column 72)");
    /* 64 levels (the top-level mapping is one) are fine as far as YAML goes */
    char nested[256];
    snprintf(nested, sizeof nested, "metric: m\ncommand: run\nparameters: {x: 1}\n"
             "entity: %.63s%.63s\n", deep + used, deep + used + DEPTH);
    expect_fail(nested, "t.yaml:4: unknown key 'entity' in an hpsearch file");

    char *words_text = malloc(20 * (CFG_MAX_WORDS + 1) + 64);
    assert_non_null(words_text);
    used = (size_t)sprintf(words_text, "metric: m\nparameters: {x: 1}\ncommand: [");
    for (size_t k = 0; k <= CFG_MAX_WORDS; k++)
        used += (size_t)sprintf(words_text + used, "%sw%zu", k ? "," : "", k);
    strcpy(words_text + used, "]\n");
    expect_fail(words_text, "t.yaml:3: command: too many words (at most 4096)");
    free(words_text);
}

static void test_aliases(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok("metric: m\ncommand: run\nparameters:\n"
                              "  a: &acts {values: [relu, tanh]}\n  b: *acts\n"
                              "  c: {values: &nums [1, 2]}\n  d: {type: int, values: *nums}\n");
    assert_int_equal(param(cfg, "b")->n_values, 2);
    assert_string_equal(param(cfg, "b")->values[1].u.s, "tanh");
    assert_int_equal(param(cfg, "d")->kind, CFG_INT);
    cfg_free(cfg);
    /* a message about an aliased value names the place of the alias */
    expect_fail("metric: m\ncommand: run\nparameters:\n  a: &v {values: [relu]}\n"
                "  b: {type: int, values: [1]}\n  c: {type: int, values: *w}\n",
                "t.yaml:6: parameters.c.values: unknown alias '*w'");
    /* an alias inside the node it names would make the config infinite */
    expect_fail("metric: m\ncommand: run\nparameters:\n  a: &a {values: [*a]}\n",
                "t.yaml:4: parameters.a.values: the alias '*a' is inside the node it names");
    expect_fail("metric: m\ncommand: run\n<<: {a: 1}\nparameters: {x: 1}\n",
                "t.yaml:3: top level: YAML merge keys (<<) are not supported");
    /* YAML forbids a key twice in a mapping; libyaml does not check it, the reader does,
     * in every mapping, also through aliases and quoting */
    expect_fail("metric: m\ncommand: run\nparameters:\n  x: {values: [1], values: [2]}\n",
                "t.yaml:4: YAML syntax error: duplicate key 'values' (column 20; first given "
                "at line 4)");
    expect_fail("metric: &k m\ncommand: run\nparameters: {x: 1}\nm: 1\n*k : 2\n",
                "t.yaml:5: YAML syntax error: duplicate key 'm' (column 1; first given at line 4)");
    expect_fail("metric: m\ncommand: run\n'metric': n\nparameters: {x: 1}\n",
                "t.yaml:3: YAML syntax error: duplicate key 'metric'");
    expect_fail("metric: m\ncommand: run\nparameters: {x: 1}\n---\nmetric: n\n",
                "t.yaml:5: only one YAML document is allowed; remove the second '---' section");
    expect_fail("metric: m\ncommand: run\nparameters: {x: 1}\n---\nmetric: [n\n",
                "t.yaml:6: YAML syntax error: ");
}

/* W&B's service keys are kept as one line of flow YAML each: aliases expanded, scalars
 * in their own style where flow allows it. */
static void test_wandb_metadata_text(void **state)
{
    (void)state;
    cfg_config *cfg = load_ok(
        "program: t.py\nmethod: grid\nmetric: {name: m, goal: minimize}\n"
        "entity: {a: 1, \"b c\": [x, \"y\", 'z'], d: !!str 3, e: \"a\\tb\", f: null, h: }\n"
        "project: &p [1, 2]\ndescription: *p\n"
        "controller:\n  type: local\n  x: |\n    hello\n    world\n  y: >-\n    it's\n"
        "    folded\n  z: a, b\n  ?k: :v\n"
        "kind: [a, {b: c}, [], {}]\nparameters: {x: {values: [1]}}\n");
    static const char *const want[][2] = {
        {"entity", "{a: 1, \"b c\": [x, \"y\", 'z'], d: !!str 3, e: \"a\\tb\", f: null, h: null}"},
        {"project", "[1, 2]"},
        {"description", "[1, 2]"},
        {"controller", "{type: local, x: \"hello\\nworld\\n\", y: 'it''s folded', z: \"a, b\", "
                       "\"?k\": \":v\"}"},
        {"kind", "[a, {b: c}, [], {}]"},
    };
    assert_int_equal(cfg->n_metadata, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(cfg->metadata_keys[k], want[k][0]);
        assert_string_equal(cfg->metadata_values[k], want[k][1]);
    }
    cfg_free(cfg);
    /* the text is YAML again: it loads back to itself */
    char text[512];
    snprintf(text, sizeof text, "program: t.py\nmethod: grid\nmetric: {name: m}\n"
             "controller: %s\nparameters: {x: 1}\n", want[3][1]);
    cfg = load_ok(text);
    assert_string_equal(cfg->metadata_values[0], want[3][1]);
    cfg_free(cfg);

    /* tags: the core ones short, any other verbatim, escaped where a byte could end it */
    cfg = load_ok("program: t.py\nmetric: {name: m}\nparameters: {x: 1}\n"
                  "kind: [!local x, !<tag:example.com,2000:a/b> y, !meic:%11z%3E u, !!int 3]\n");
    assert_string_equal(cfg->metadata_values[0], "[!<!local> x, !<tag:example.com%2C2000:a/b> y, "
                                                 "!<!meic:%11z%3E> u, !!int 3]");
    snprintf(text, sizeof text, "program: t.py\nmetric: {name: m}\nparameters: {x: 1}\n"
             "kind: %s\n", cfg->metadata_values[0]);
    cfg_free(cfg);
    cfg = load_ok(text);
    assert_string_equal(cfg->metadata_values[0], "[!<!local> x, !<tag:example.com%2C2000:a/b> y, "
                                                 "!<!meic:%11z%3E> u, !!int 3]");
    cfg_free(cfg);

    expect_fail("program: t.py\nmetric: {name: m}\nparameters: {x: 1}\n"
                "entity: {a: [1, *nowhere]}\n", "t.yaml:4: entity: unknown alias '*nowhere'");
    /* a billion laughs stop at the length cap, not after a billion */
    char laughs[1024];
    int used = snprintf(laughs, sizeof laughs, "program: t.py\nmetric: {name: m}\n"
                        "parameters: {x: 1}\nentity:\n  - &l0 [lol, lol, lol, lol, lol]\n");
    for (int k = 1; k < 10; k++)
        used += snprintf(laughs + used, sizeof laughs - (size_t)used,
                         "  - &l%d [*l%d, *l%d, *l%d, *l%d, *l%d]\n", k, k - 1, k - 1, k - 1,
                         k - 1, k - 1);
    assert_true(used < (int)sizeof laughs - 1);
    expect_fail(laughs, "t.yaml:4: entity: text too long (more than 4096 bytes as one line)");
}

/* ---- one table for every key: written back whole, documented --------------------------- */

/* Whether an earlier key of the format holds the same setting (W&B's early_terminate and
 * pruner): a file gives it once. */
static int setting_given_before(const cfg_key_def *def, unsigned format)
{
    for (const cfg_key_def *k = cfg_keys; k < def; k++)
        if ((k->info.flags & format) && k->offset == def->offset &&
            def->offset != CFG_NO_FIELD && !(def->info.flags & CFG_PER_NAME))
            return 1;
    return 0;
}

static const char *example_of(const cfg_key_def *def, unsigned format)
{
    if (format == CFG_WANDB && def->info.example_wandb != NULL)
        return def->info.example_wandb;
    return def->info.example;
}

/* Whether `def` is one of the keys another key of `format` replaces (metric and
 * direction, which metrics replaces in hpsearch's files). */
static int replaced_by_another(const cfg_key_def *def, unsigned format)
{
    for (const cfg_key_def *k = cfg_keys; k < cfg_keys + cfg_n_keys; k++)
        for (size_t i = 0; (k->info.flags & format) && k->excludes != NULL &&
                           k->excludes[i] != NULL; i++)
            if (strcmp(k->excludes[i], def->info.name) == 0)
                return 1;
    return 0;
}

/* terminate's rules follow one objective's best value, and the example of metrics (a key
 * replacing metric and direction) lists two objectives: terminate is written back in the
 * file of the replaced keys only. */
static int left_out_when_replacing(const cfg_key_def *def)
{
    return strcmp(def->info.name, "terminate") == 0;
}

/* pbt takes over the sampler, n_trials and pruner and ranks by one objective, all of which
 * the other examples set: test_pbt_write_back writes it back instead. */
static int left_out_always(const cfg_key_def *def)
{
    return strcmp(def->info.name, "pbt") == 0;
}

/* A file of `format` setting every key the table has, each to the table's example. Keys
 * that say the same as others another way cannot be in one file: `replacing` 0 writes
 * the keys that are replaced, 1 the keys replacing them. */
static char *every_key_file(unsigned format, int replacing)
{
    size_t cap = 16384, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    text[0] = '\0';
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        const char *example = example_of(def, format);
        if (!(def->info.flags & format) || setting_given_before(def, format) ||
            left_out_always(def))
            continue;
        if (replacing ? replaced_by_another(def, format) || left_out_when_replacing(def)
                      : def->excludes != NULL)
            continue;
        if (example == NULL && def->offset != CFG_NO_FIELD)
            fail_msg("key '%s' has no example, so no test writes it back", def->info.name);
        if (example != NULL)
            used += (size_t)snprintf(text + used, cap - used, "%s: %s\n", def->info.name,
                                     example);
        assert_true(used < cap);
    }
    return text;
}

static void assert_same_text(const char *what, const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
        fail_msg("%s: '%s' before, '%s' after writing back", what, a ? a : "(null)",
                 b ? b : "(null)");
}

static void assert_same_words(const char *what, char *const *a, size_t na, char *const *b,
                              size_t nb)
{
    if (na != nb)
        fail_msg("%s: %zu words before, %zu after writing back", what, na, nb);
    for (size_t k = 0; k < na; k++)
        assert_same_text(what, a[k], b[k]);
}

static void assert_same_terminate(const cfg_terminate *a, const cfg_terminate *b)
{
    assert_int_equal(a->no_improvement, b->no_improvement);
    assert_int_equal(a->has_stagnation, b->has_stagnation);
    assert_int_equal(a->stagnation, b->stagnation);
    assert_true(a->regret_bound == b->regret_bound);
    assert_int_equal(a->min_trials, b->min_trials);
    assert_true(a->top_trials_ratio == b->top_trials_ratio);
}

static void assert_same_pruner(const cfg_pruner *a, const cfg_pruner *b)
{
    assert_int_equal(a == NULL, b == NULL);
    if (a == NULL)
        return;
    assert_same_text("pruner", a->name, b->name);
    assert_same_words("pruner keys", a->keys, a->n_options, b->keys, b->n_options);
    assert_same_words("pruner values", a->values, a->n_options, b->values, b->n_options);
    assert_same_pruner(a->wrapped, b->wrapped);
}

static void assert_same_params(const cfg_config *a, const cfg_config *b)
{
    assert_int_equal(a->n_params, b->n_params);
    for (size_t k = 0; k < a->n_params; k++) {
        const cfg_param *p = &a->params[k], *q = &b->params[k];
        assert_same_text("parameter", p->name, q->name);
        if (p->kind != q->kind || p->low != q->low || p->high != q->high || p->step != q->step ||
            p->flags != q->flags || p->grid_points != q->grid_points || p->n_values != q->n_values)
            fail_msg("parameter '%s' changed: kind %d/%d low %g/%g high %g/%g step %g/%g flags "
                     "%u/%u grid_points %zu/%zu values %zu/%zu", p->name, p->kind, q->kind,
                     p->low, q->low, p->high, q->high, p->step, q->step, p->flags, q->flags,
                     p->grid_points, q->grid_points, p->n_values, q->n_values);
        for (size_t v = 0; v < p->n_values; v++)
            if (cfg_value_compare(&p->values[v], &q->values[v]) != 0)
                fail_msg("parameter '%s': value %zu changed", p->name, v);
    }
}

static void assert_same_metrics(const char *what, const cfg_metric *a, size_t na,
                                const cfg_metric *b, size_t nb)
{
    if (na != nb)
        fail_msg("%s: %zu entries before, %zu after writing back", what, na, nb);
    for (size_t k = 0; k < na; k++) {
        assert_same_text(what, a[k].name, b[k].name);
        assert_same_text(what, a[k].regex, b[k].regex);
        if (a[k].summary != b[k].summary || a[k].direction != b[k].direction ||
            a[k].upper != b[k].upper || a[k].bound != b[k].bound ||
            a[k].has_reference != b[k].has_reference || a[k].reference != b[k].reference)
            fail_msg("%s: entry %zu ('%s') changed by writing back", what, k, a[k].name);
    }
}

static void assert_same_initial(const cfg_config *a, const cfg_config *b)
{
    assert_int_equal(a->n_initial, b->n_initial);
    for (size_t e = 0; e < a->n_initial; e++) {
        const cfg_initial *x = &a->initial[e], *y = &b->initial[e];
        assert_same_words("initial names", x->names, x->n, y->names, y->n);
        for (size_t k = 0; k < x->n; k++)
            if (cfg_value_compare(&x->values[k], &y->values[k]) != 0)
                fail_msg("initial[%zu].%s changed by writing back", e + 1, x->names[k]);
    }
}

/* Every setting of two configs, key by key from the table: by type, and by hand for the
 * keys with values of their own (a new one fails here until it is compared). */
static void assert_same_config(const cfg_config *a, const cfg_config *b)
{
    assert_int_equal(a->is_wandb, b->is_wandb);
    for (const cfg_key_def *def = cfg_keys; def < cfg_keys + cfg_n_keys; def++) {
        const char *name = def->info.name;
        if (def->offset == CFG_NO_FIELD)
            continue;
        const char *fa = (const char *)a + def->offset, *fb = (const char *)b + def->offset;
        if (a->given[def - cfg_keys] != b->given[def - cfg_keys])
            fail_msg("key '%s': given %d before, %d after writing back", name,
                     a->given[def - cfg_keys], b->given[def - cfg_keys]);
        switch (def->type) {
        case CFG_T_TEXT:
            assert_same_text(name, *(char *const *)fa, *(char *const *)fb);
            break;
        case CFG_T_BOOL:
        case CFG_T_ENUM:
        case CFG_T_DURATION:
        case CFG_T_UINT:
            if (memcmp(fa, fb, def->size) != 0)
                fail_msg("key '%s' changed by writing back", name);
            break;
        case CFG_T_CUSTOM:
            if (strcmp(name, "metric") == 0 || strcmp(name, "metrics") == 0 ||
                strcmp(name, "direction") == 0) {
                assert_same_metrics(name, a->objectives, a->n_objectives, b->objectives,
                                    b->n_objectives);
                assert_int_equal(a->has_target, b->has_target);
                assert_true(a->target == b->target);
            } else if (strcmp(name, "constraints") == 0) {
                assert_same_metrics(name, a->constraints, a->n_constraints, b->constraints,
                                    b->n_constraints);
            } else if (strcmp(name, "sampler") == 0 || strcmp(name, "method") == 0) {
                assert_same_text(name, a->sampler, b->sampler);
                assert_same_words("sampler options", a->sampler_keys, a->n_sampler_options,
                                  b->sampler_keys, b->n_sampler_options);
                assert_same_words("sampler values", a->sampler_values, a->n_sampler_options,
                                  b->sampler_values, b->n_sampler_options);
            } else if (strcmp(name, "seed") == 0) {
                assert_int_equal(a->has_seed, b->has_seed);
                assert_int_equal(a->seed, b->seed);
            } else if (strcmp(name, "gpus") == 0) {
                assert_same_words("gpus", a->gpus, a->n_gpus, b->gpus, b->n_gpus);
            } else if (strcmp(name, "command") == 0) {
                assert_same_words("command", a->command, a->n_command, b->command, b->n_command);
                assert_same_text("command string", a->command_string, b->command_string);
                assert_same_text("shell command", a->shell_command, b->shell_command);
            } else if (strcmp(name, "pruner") == 0 || strcmp(name, "early_terminate") == 0) {
                assert_same_pruner(a->pruner, b->pruner);
                assert_int_equal(a->early_terminate, b->early_terminate);
            } else if (strcmp(name, "artifacts") == 0) {
                assert_same_words("artifacts", a->artifacts, a->n_artifacts, b->artifacts,
                                  b->n_artifacts);
            } else if (strcmp(name, "terminate") == 0) {
                assert_same_terminate(&a->terminate, &b->terminate);
            } else if (strcmp(name, "pbt") == 0) {
                        } else if (strcmp(name, "parameters") == 0) {
                assert_same_params(a, b);
            } else if (strcmp(name, "initial") == 0) {
                assert_same_initial(a, b);
            } else if (strcmp(name, "warm_start") == 0) {
                assert_same_text("warm_start.from", a->warm_from, b->warm_from);
                assert_same_text("warm_start.storage", a->warm_storage, b->warm_storage);
            } else if (def->info.flags & CFG_PER_NAME) { /* W&B metadata */
                assert_same_words("metadata keys", a->metadata_keys, a->n_metadata,
                                  b->metadata_keys, b->n_metadata);
                assert_same_words("metadata", a->metadata_values, a->n_metadata,
                                  b->metadata_values, b->n_metadata);
                assert_int_equal(a->metadata_flow, b->metadata_flow);
            } else {
                fail_msg("key '%s' has a value of its own: compare it here", name);
            }
            break;
        }
    }
    assert_true(a->fidelity_min == b->fidelity_min && a->fidelity_max == b->fidelity_max);
    assert_memory_equal(&a->pbt, &b->pbt, offsetof(cfg_pbt, line));
}

/* Loads `text`, writes it back with the writer `hpsearch narrow` uses, loads that: the
 * same config, with the same keys given (with every_key: all the table has). */
static void round_trip(const char *text, unsigned format, int every_key, int replacing)
{
    cfg_config *before = load_ok(text);
    assert_int_equal(before->is_wandb, format == CFG_WANDB);
    char *written = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&written, &len);
    assert_non_null(out);
    cfg_write_settings(out, before, NULL);
    assert_int_equal(fclose(out), 0);
    cfg_config *after = NULL;
    if (cfg_load_string(written, len, "t.yaml", &after, err, sizeof err) != 0)
        fail_msg("the written config does not load: %s\n--- written ---\n%s", err, written);
    for (const cfg_key_def *def = cfg_keys; every_key && def < cfg_keys + cfg_n_keys; def++)
        if ((def->info.flags & format) && example_of(def, format) != NULL &&
            !setting_given_before(def, format) && !cfg_key_given(after, def->info.name) &&
            !left_out_always(def) &&
            !(replacing ? replaced_by_another(def, format) || left_out_when_replacing(def)
                        : def->excludes != NULL))
            fail_msg("key '%s' was not written back:\n%s", def->info.name, written);
    assert_same_config(before, after);
    cfg_free(before);
    cfg_free(after);
    free(written);
}

static void test_pbt_write_back(void **state)
{
    (void)state;
    const char *text = "metric: m\npbt: {population: 6, interval: 3, quantile: 0.5, "
                       "resample_probability: 0, perturb: 0.25}\nfidelity: epochs\n"
                       "command: run {lr} {epochs}\nparameters:\n  lr: {low: 0.1, high: 1.0}\n"
                       "  epochs: {type: int, low: 1, high: 9}\n";
    round_trip(text, CFG_NATIVE, 0, 0);
    cfg_config *cfg = load_ok(text);
    assert_int_equal(cfg->pbt.population, 6);
    assert_int_equal(cfg->pbt.interval, 3);
    assert_true(cfg->pbt.quantile == 0.5 && cfg->pbt.resample_probability == 0 &&
                cfg->pbt.perturb == 0.25);
    cfg_free(cfg);
    /* Ray Tune's defaults */
    cfg = load_ok("metric: m\npbt: {population: 4, interval: 1}\nfidelity: epochs\n"
                  "command: run {lr} {epochs}\nparameters:\n  lr: {low: 0.1, high: 1.0}\n"
                  "  epochs: {type: int, low: 1, high: 9}\n");
    assert_true(cfg->pbt.quantile == 0.25 && cfg->pbt.resample_probability == 0.25 &&
                cfg->pbt.perturb == 0.2);
    cfg_free(cfg);
}

static void test_every_key_written_back(void **state)
{
    (void)state;
    for (int replacing = 0; replacing <= 1; replacing++) {
        char *native = every_key_file(CFG_NATIVE, replacing);
        char *wandb = every_key_file(CFG_WANDB, replacing);
        round_trip(native, CFG_NATIVE, 1, replacing);
        round_trip(wandb, CFG_WANDB, 1, replacing);
        free(native);
        free(wandb);
    }
    /* a file with only what is required writes back to itself, nothing added */
    cfg_config *cfg = load_ok("metric: m\ncommand: run {x}\nparameters: {x: [1, 2]}\n");
    char *written = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&written, &len);
    cfg_write_settings(out, cfg, NULL);
    fclose(out);
    assert_string_equal(written, "metric: \"m\"\ncommand: \"run {x}\"\nparameters:\n  x:\n"
                                 "    values: [1, 2]\n");
    free(written);
    cfg_free(cfg);
    /* every W&B distribution writes back as one W&B reads the same way (an int q once
     * came back as int_uniform with a q, which W&B refuses) */
    round_trip("program: p.py\nmetric: {name: m}\nparameters:\n"
               "  a: {distribution: q_uniform, min: 16, max: 128, q: 16}\n"
               "  b: {distribution: q_log_uniform_values, min: 2, max: 64, q: 2}\n"
               "  c: {distribution: q_log_uniform_values, min: 0.5, max: 8.0, q: 0.5}\n"
               "  d: {distribution: log_uniform, min: -2, max: 1}\n"
               "  e: {distribution: int_uniform, min: 1, max: 9}\n"
               "  f: {distribution: q_uniform, min: 0, max: 1, q: 0.25}\n"
               "  g: {min: 0.0, max: 1.0, grid_points: 5}\n", CFG_WANDB, 0, 0);
    /* `--set` counts as given: written back even when it says the default */
    round_trip("metric: m\ncommand: run\nparameters: {x: 1}\nshuffle: false\n", CFG_NATIVE, 0,
               0);
    /* several objectives and constraints, in every form an entry takes */
    round_trip("metrics:\n  - {name: a, goal: maximize, summary: best}\n  - b\n"
               "  - {name: Took, regex: 'took ([0-9.]+)s', summary: min}\n"
               "constraints:\n  - {name: mem, max: 8.5}\n  - {name: lat, min: -2, summary: best}\n"
               "command: run\nparameters: {x: 1}\n", CFG_NATIVE, 0, 0);
    /* a one-entry list stays a list; direction given as its default is written back */
    round_trip("metrics: [{name: a, goal: maximize}]\ncommand: run\nparameters: {x: 1}\n",
               CFG_NATIVE, 0, 0);
    round_trip("metric: a\ndirection: minimize\ncommand: run\nparameters: {x: 1}\n",
               CFG_NATIVE, 0, 0);
    cfg = load_ok("metric: m\ncommand: run\nparameters: {x: 1}\n");
    assert_int_equal(cfg_set(cfg, "parallel", "1", err, sizeof err), 0);
    assert_true(cfg_key_given(cfg, "parallel"));
    assert_false(cfg_key_given(cfg, "retries"));
    cfg_free(cfg);
}

/* docs/config.md's table of keys is the reader's: the same keys, in the same order, with
 * the same type and default. */
static char *normalized_cell(const char *start, size_t len)
{
    char *out = malloc(len + 1);
    assert_non_null(out);
    size_t n = 0;
    for (size_t k = 0; k < len; k++) {
        if (start[k] == '`' || (start[k] == '\\' && k + 1 < len && start[k + 1] == '|'))
            continue;
        out[n++] = start[k];
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    size_t skip = 0;
    while (skip < n && out[skip] == ' ')
        skip++;
    memmove(out, out + skip, n - skip);
    out[n - skip] = '\0';
    return out;
}

/* The cells of a markdown table row ("| a | b \| c | d |"), up to max. */
static size_t row_cells(const char *line, char **cells, size_t max)
{
    size_t n = 0;
    const char *p = strchr(line, '|');
    while (p != NULL && n < max) {
        const char *end = p + 1;
        while (*end != '\0' && *end != '\n' && !(*end == '|' && end[-1] != '\\'))
            end++;
        if (*end != '|')
            break;
        cells[n++] = normalized_cell(p + 1, (size_t)(end - p - 1));
        p = end;
    }
    return n;
}

static void test_docs_key_table(void **state)
{
    (void)state;
    char path[4096];
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    snprintf(path, sizeof path, "%.*s/../../docs/config.md", (int)(slash - file), file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char line[4096];
    int in_table = 0;
    size_t k = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "| key | type | default | meaning |", 34) == 0) {
            in_table = 1;
            continue;
        }
        if (!in_table || strncmp(line, "|---", 4) == 0)
            continue;
        if (line[0] != '|')
            break;
        char *cells[4] = {0};
        assert_int_equal(row_cells(line, cells, 4), 4);
        cfg_key_info info;
        char derived[128];
        while (cfg_key_describe(k, &info, derived, sizeof derived) == 0 &&
               !(info.flags & CFG_NATIVE))
            k++;
        if (cfg_key_describe(k, &info, derived, sizeof derived) != 0)
            fail_msg("docs/config.md has key '%s' after the reader's last", cells[0]);
        if (strcmp(cells[0], info.name) != 0)
            fail_msg("docs/config.md has '%s' where the reader's table has '%s'", cells[0],
                     info.name);
        if (strcmp(cells[1], info.type) != 0)
            fail_msg("docs/config.md: %s's type is '%s', the reader's table says '%s'",
                     info.name, cells[1], info.type);
        if (strcmp(cells[2], info.default_value) != 0)
            fail_msg("docs/config.md: %s's default is '%s', the reader's table says '%s'",
                     info.name, cells[2], info.default_value);
        for (size_t c = 0; c < 4; c++)
            free(cells[c]);
        k++;
    }
    cfg_key_info info;
    char derived[128];
    for (; cfg_key_describe(k, &info, derived, sizeof derived) == 0; k++)
        if (info.flags & CFG_NATIVE)
            fail_msg("key '%s' is missing from docs/config.md's table", info.name);

    /* "Text keys (`study`, `name`, ...) take the value literally" under --set */
    char text[2 * sizeof line] = "";
    while (strchr(text, ')') == NULL && fgets(line, sizeof line, f) != NULL)
        if (text[0] != '\0' || strncmp(line, "- Text keys (", 13) == 0)
            strncat(text, line, sizeof text - strlen(text) - 1);
    fclose(f);
    char *close = strchr(text, ')');
    if (close == NULL)
        fail_msg("docs/config.md: no \"- Text keys (...)\" list under --set");
    *close = '\0';
    char listed[512] = "", literal[512] = "";
    for (char *tick = strchr(text, '`'); tick != NULL; tick = strchr(tick + 1, '`')) {
        char *end = strchr(tick + 1, '`');
        if (end == NULL)
            break;
        snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s%.*s",
                 listed[0] ? ", " : "", (int)(end - tick - 1), tick + 1);
        tick = end;
    }
    for (size_t i = 0; cfg_key_describe(i, &info, derived, sizeof derived) == 0; i++)
        if (info.flags & CFG_LITERAL)
            snprintf(literal + strlen(literal), sizeof literal - strlen(literal), "%s%s",
                     literal[0] ? ", " : "", info.name);
    assert_string_equal(listed, literal);
}

/* Every key a W&B sweep file takes is named in docs/config.md's section on them. */
static void test_docs_wandb_keys(void **state)
{
    (void)state;
    char path[4096];
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    snprintf(path, sizeof path, "%.*s/../../docs/config.md", (int)(slash - file), file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    size_t cap = 1 << 20, len = 0;
    char *section = malloc(cap), line[4096];
    assert_non_null(section);
    int inside = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "## ", 3) == 0)
            inside = strncmp(line, "## 6. W&B sweep files", 21) == 0;
        if (inside && len + strlen(line) < cap) {
            memcpy(section + len, line, strlen(line));
            len += strlen(line);
        }
    }
    section[len] = '\0';
    fclose(f);
    assert_true(len > 0);
    cfg_key_info info;
    char derived[128];
    for (size_t k = 0; cfg_key_describe(k, &info, derived, sizeof derived) == 0; k++) {
        if (!(info.flags & CFG_WANDB))
            continue;
        char quoted[80], family[80];
        snprintf(quoted, sizeof quoted, "`%s`", info.name);
        const char *underscore = strchr(info.name, '_');
        snprintf(family, sizeof family, "`%.*s_*`",
                 underscore != NULL ? (int)(underscore - info.name) : 0, info.name);
        if (strstr(section, quoted) == NULL && (underscore == NULL || strstr(section, family) == NULL))
            fail_msg("docs/config.md's section on W&B sweep files does not name '%s'", info.name);
    }
    free(section);
}


/* `when:` as read, and what it makes active: all conditions hold and every parent is
 * active itself; parents come before their children in the order values are decided. */
static void test_conditions(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    if (cfg_load(fixture_path("good", "native_conditional.yaml"), &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(cfg_is_conditional(cfg));
    const cfg_param *width_3 = param(cfg, "width_3");
    assert_int_equal(width_3->n_when, 2);
    assert_string_equal(width_3->when[0].parent, "layers");
    assert_int_equal(width_3->when[0].n_values, 1);
    assert_int_equal(width_3->when[0].values[0].u.i, 3);
    const cfg_param *width_2 = param(cfg, "width_2");
    assert_null(width_2->when[0].values);
    assert_true(width_2->when[0].has_min && !width_2->when[0].has_max);

    enum { OPT, MOM, NES, BETA, LAYERS, W2, W3, N };
    assert_int_equal(cfg->n_params, N);
    hps_value values[N];
    unsigned char st[N];
    memset(values, 0, sizeof values);
    memset(st, CFG_UNDECIDED, sizeof st);
    assert_int_equal(cfg_param_active(cfg, MOM, values, st), -1); /* optimizer undecided */
    assert_int_equal(cfg_param_active(cfg, LAYERS, values, st), 1);
    st[OPT] = CFG_ACTIVE;
    values[OPT] = cfg->params[OPT].values[0]; /* adam */
    assert_int_equal(cfg_param_active(cfg, MOM, values, st), 0);
    assert_int_equal(cfg_param_active(cfg, BETA, values, st), 1);
    st[MOM] = CFG_INACTIVE; /* so its child is inactive whatever else holds */
    assert_int_equal(cfg_param_active(cfg, NES, values, st), 0);
    values[OPT] = cfg->params[OPT].values[1]; /* sgd */
    st[MOM] = CFG_ACTIVE;
    values[MOM] = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = 0.95};
    assert_int_equal(cfg_param_active(cfg, NES, values, st), 1);
    values[MOM].u.f = 0.6;
    assert_int_equal(cfg_param_active(cfg, NES, values, st), 0);
    st[LAYERS] = CFG_ACTIVE;
    values[LAYERS] = (hps_value){.type = HPS_VALUE_INT, .u.i = 2};
    assert_int_equal(cfg_param_active(cfg, W2, values, st), 1);
    assert_int_equal(cfg_param_active(cfg, W3, values, st), 0);
    values[LAYERS].u.i = 3;
    assert_int_equal(cfg_param_active(cfg, W3, values, st), 1);

    size_t order[N], position[N];
    cfg_condition_order(cfg, order);
    for (size_t k = 0; k < N; k++)
        position[order[k]] = k;
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < cfg->params[i].n_when; c++)
            assert_true(position[cfg->params[i].when[c].parent_index] < position[i]);

    const cfg_condition *why = NULL;
    assert_true(cfg_param_always_active(cfg, LAYERS, &why));
    assert_false(cfg_param_always_active(cfg, NES, &why));
    assert_string_equal(why->parent, "momentum");
    char text[128];
    cfg_describe_condition(why, text, sizeof text);
    assert_string_equal(text, "momentum >= 0.9");

    /* written back, the conditions read the same */
    char *written = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&written, &len);
    cfg_write_settings(out, cfg, NULL);
    fclose(out);
    cfg_config *again = load_ok(written);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(again->params[i].n_when, cfg->params[i].n_when);
        for (size_t c = 0; c < cfg->params[i].n_when; c++) {
            const cfg_condition *a = &cfg->params[i].when[c], *b = &again->params[i].when[c];
            assert_string_equal(a->parent, b->parent);
            assert_int_equal(a->n_values, b->n_values);
            assert_int_equal(a->has_min, b->has_min);
            assert_true(a->min == b->min);
        }
    }
    free(written);
    cfg_free(again);
    cfg_free(cfg);

    /* a condition on a value the parent takes through a step, or on a float grid value */
    cfg = load_ok("metric: m\ncommand: run ${args}\nparameters:\n"
                  "  a: {type: int, low: 0, high: 10, step: 5}\n"
                  "  b: {values: [x], when: {a: [0, 10]}}\n");
    cfg_free(cfg);
    expect_fail("metric: m\ncommand: run ${args}\nparameters:\n"
                "  a: {type: int, low: 0, high: 10, step: 5}\n"
                "  b: {values: [x], when: {a: 3}}\n",
                "t.yaml:5: parameters.b.when.a: 3 is not a value 'a' takes");
    expect_fail("metric: m\ncommand: run ${args}\nparameters:\n"
                "  a: {type: int, low: 0, high: 10}\n"
                "  b: {values: [x], when: {a: {min: 3, max: 2}}}\n",
                "t.yaml:5: parameters.b.when.a: min (3) is greater than max (2)");
    /* a range over a list of numbers: some value must lie in it */
    cfg = load_ok("metric: m\ncommand: run ${args}\nparameters:\n"
                  "  a: [0.5, 0.9]\n  b: {values: [x], when: {a: {min: 0.8}}}\n");
    cfg_free(cfg);
    expect_fail("metric: m\ncommand: run ${args}\nparameters:\n"
                "  a: [0.5, 0.9]\n  b: {values: [x], when: {a: {min: 1}}}\n",
                "t.yaml:5: parameters.b.when.a: never holds: no value of 'a' lies in the range");
}


/* W&B nested groups: members named group.member, marked nested (a flat dotted name is
 * not), and written back as the same groups. */
static void test_wandb_nested(void **state)
{
    (void)state;
    cfg_config *cfg = NULL;
    if (cfg_load(fixture_path("good", "wandb_nested.yaml"), &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    static const char *const names[] = {"epochs", "optimizer.name", "optimizer.lr",
                                        "optimizer.schedule.warmup", "model.width"};
    static const int nested[] = {0, 1, 1, 1, 0};
    assert_int_equal(cfg->n_params, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(cfg->params[k].name, names[k]);
        assert_int_equal(cfg->params[k].nested, nested[k]);
    }
    assert_true(param(cfg, "optimizer.lr")->flags & HPS_LOG);
    char *written = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&written, &len);
    cfg_write_settings(out, cfg, NULL);
    fclose(out);
    assert_non_null(strstr(written, "  optimizer:\n    parameters:\n      name:\n"
                                    "        values: [\"adam\", \"sgd\"]\n      lr:\n"));
    assert_non_null(strstr(written, "      schedule:\n        parameters:\n          warmup:\n"
                                    "            values: [0, 100]\n  model.width:\n"));
    cfg_config *again = load_ok(written);
    assert_int_equal(again->n_params, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(again->params[k].name, names[k]);
        assert_int_equal(again->params[k].nested, nested[k]);
    }
    cfg_free(again);
    free(written);
    cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_fixtures),
        cmocka_unit_test(test_good_fixtures),
        cmocka_unit_test(test_truncated_inputs),
        cmocka_unit_test(test_mutated_inputs),
        cmocka_unit_test(test_native_example),
        cmocka_unit_test(test_priors),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_wandb_nested),
        cmocka_unit_test(test_native_other_forms),
        cmocka_unit_test(test_native_choices),
        cmocka_unit_test(test_scalar_types),
        cmocka_unit_test(test_native_inference),
        cmocka_unit_test(test_grid_sampler),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_storage_and_paths),
        cmocka_unit_test(test_workdir),
        cmocka_unit_test(test_interpreter_default),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_wandb_random),
        cmocka_unit_test(test_wandb_grid_and_defaults),
        cmocka_unit_test(test_wandb_q_distributions),
        cmocka_unit_test(test_wandb_unsupported),
        cmocka_unit_test(test_metric_regex_and_summary),
        cmocka_unit_test(test_failures_and_timeouts),
        cmocka_unit_test(test_objectives_and_constraints),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_where_without_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_odd_bytes),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_wandb_metadata_text),
        cmocka_unit_test(test_every_key_written_back),
        cmocka_unit_test(test_pbt_write_back),
        cmocka_unit_test(test_docs_key_table),
        cmocka_unit_test(test_docs_wandb_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
