/* auto_explain.c -- hps_auto_explain: the `auto` policy's choice for a space described in
 * JSON, so a front end (`hpsearch plan`, `run`, `narrow`) can say what auto will do
 * without reaching into auto_policy.h. */
#include "base/errbuf.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "samplers/auto_policy.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

/* The keys a description may give, in the order the error message lists them. */
static const char *const description_keys[] = {
    "float", "int", "categorical", "grid_size", "budget",
    "finished", "objectives", "conditional", "constrained",
};

/* Caps on the counts, so no sum or conversion to size_t wraps: parameters of a kind
 * (far beyond any space a study holds; three of them sum well inside size_t),
 * objectives as hps_study_open takes them, finished trials as a history counts them
 * (size_t). Budgets and grid sizes are 64-bit throughout, as max_trials is. */
#define EXPLAIN_MAX_PARAMS 1000000
#define EXPLAIN_MAX_OBJECTIVES 64

/* Reads count `key` of `desc` into *out (left as is when absent): a JSON integer in
 * [0, max]. */
static hps_status read_count(const json_t *desc, const char *key, uint64_t max, uint64_t *out,
                             hps_errbuf *err)
{
    const json_t *node = json_object_get(desc, key);
    if (node == NULL)
        return HPS_OK;
    if (!json_is_integer(node) || json_integer_value(node) < 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "hps_auto_explain: \"%s\" must be a whole number >= 0", key);
    if ((uint64_t)json_integer_value(node) > max)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "hps_auto_explain: \"%s\" is %lld, more than the %llu it can be",
                              key, (long long)json_integer_value(node), (unsigned long long)max);
    *out = (uint64_t)json_integer_value(node);
    return HPS_OK;
}

static hps_status read_flag(const json_t *desc, const char *key, int *out, hps_errbuf *err)
{
    const json_t *node = json_object_get(desc, key);
    if (node == NULL)
        return HPS_OK;
    if (!json_is_boolean(node))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "hps_auto_explain: \"%s\" must be true or false", key);
    *out = json_is_true(node);
    return HPS_OK;
}

/* How many bytes of `key` (valid UTF-8, as jansson's keys are) the message quotes: at
 * most KEY_SHOWN, cut before a character, never inside one. */
#define KEY_SHOWN 64
static int shown_length(const char *key)
{
    size_t n = strlen(key);
    if (n <= KEY_SHOWN)
        return (int)n;
    n = KEY_SHOWN;
    while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80) /* a continuation byte */
        n--;
    return (int)n;
}

static hps_status unknown_key(const char *key, hps_errbuf *err)
{
    hps_strbuf known;
    hps_strbuf_init(&known, 0);
    for (size_t i = 0; i < sizeof description_keys / sizeof description_keys[0]; i++)
        hps_strbuf_printf(&known, "%s%s", i > 0 ? ", " : "", description_keys[i]);
    const char *list = hps_strbuf_text(&known);
    hps_status rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                                   "hps_auto_explain: unknown key \"%.*s\" (the description "
                                   "takes %s)", shown_length(key), key, list != NULL ? list : "fewer keys");
    hps_strbuf_free(&known);
    return rc;
}

/* How many bytes of jansson's message the error quotes: all of it, or up to a character
 * its fixed-size buffer cut (the message may quote the description's text). */
static int jansson_text_length(const json_error_t *jerr)
{
    return (int)hps_utf8_invalid_at(jerr->text, strnlen(jerr->text, sizeof jerr->text));
}

/* HPS_ERR_INVALID naming the first key of `desc` (an object) that the description does
 * not take, or HPS_OK when it takes them all. */
static hps_status check_keys(const json_t *desc, hps_errbuf *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)desc, key, value) {
        size_t k = 0, n = sizeof description_keys / sizeof description_keys[0];
        while (k < n && strcmp(key, description_keys[k]) != 0)
            k++;
        if (k == n)
            return unknown_key(key, err);
    }
    return HPS_OK;
}

/* The error for a key given twice. An unknown key among them is named as such (jansson
 * quotes a long key in no message); otherwise the repeated key is a known one, short
 * enough for jansson's message to quote. */
static hps_status duplicate_key(const char *text, const json_error_t *dup, hps_errbuf *err)
{
    json_error_t again;
    json_t *desc = json_loads(text, 0, &again);
    hps_status rc = json_is_object(desc) ? check_keys(desc, err) : HPS_OK;
    json_decref(desc);
    if (rc != HPS_OK)
        return rc;
    return hps_errbuf_set(err, HPS_ERR_INVALID,
                          "hps_auto_explain: a key is given twice (line %d, column %d: %.*s)",
                          dup->line, dup->column, jansson_text_length(dup), dup->text);
}

/* The description as auto_decide's inputs. The caller that describes a grid runs it
 * itself (hps_sampler_grid_add), so the grid is a choice exactly when grid_size is given. */
static hps_status parse_description(const char *text, auto_inputs *in, hps_errbuf *err)
{
    json_error_t jerr;
    /* a key given twice would otherwise count only once, silently */
    json_t *desc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (desc == NULL && json_error_code(&jerr) == json_error_duplicate_key)
        return duplicate_key(text, &jerr, err);
    if (desc == NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "hps_auto_explain: the description is not JSON (line %d, column "
                              "%d: %.*s)", jerr.line, jerr.column, jansson_text_length(&jerr),
                              jerr.text);
    hps_status rc = HPS_OK;
    if (!json_is_object(desc)) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "hps_auto_explain: the description must be a JSON object");
        goto out;
    }
    rc = check_keys(desc, err);
    if (rc != HPS_OK)
        goto out;
    uint64_t n_float = 0, n_int = 0, n_categorical = 0, finished = 0, objectives = 1;
    memset(in, 0, sizeof *in);
    in->can_grid = 1;
    rc = read_count(desc, "float", EXPLAIN_MAX_PARAMS, &n_float, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "int", EXPLAIN_MAX_PARAMS, &n_int, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "categorical", EXPLAIN_MAX_PARAMS, &n_categorical, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "grid_size", UINT64_MAX, &in->grid_size, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "budget", UINT64_MAX, &in->budget, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "finished", SIZE_MAX, &finished, err);
    if (rc == HPS_OK)
        rc = read_count(desc, "objectives", EXPLAIN_MAX_OBJECTIVES, &objectives, err);
    if (rc == HPS_OK)
        rc = read_flag(desc, "conditional", &in->conditional, err);
    if (rc == HPS_OK)
        rc = read_flag(desc, "constrained", &in->constrained, err);
    if (rc == HPS_OK && objectives == 0)
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "hps_auto_explain: \"objectives\" must be at least 1");
    if (rc != HPS_OK)
        goto out;
    in->n_float = (size_t)n_float;
    in->n_int = (size_t)n_int;
    in->n_categorical = (size_t)n_categorical;
    in->n_finished = (size_t)finished;
    in->n_objectives = (size_t)objectives;
out:
    json_decref(desc);
    return rc;
}

/* The first point within the budget where the policy, given the same space, switches
 * strategy (GP to CMA-ES on a long continuous run, GP to TPE with several objectives):
 * its trial count into *after and the decision into *later; 0 when it never does. */
static int handover(const auto_inputs *in, const auto_decision *now, uint64_t *after,
                    auto_decision *later)
{
    static const uint64_t switch_points[] = {AUTO_SEVERAL_GP_TRIALS, AUTO_CMAES_AFTER};
    for (size_t i = 0; i < sizeof switch_points / sizeof switch_points[0]; i++) {
        uint64_t k = switch_points[i];
        if (k <= in->n_finished || (in->budget > 0 && k >= in->budget))
            continue;
        auto_inputs probe = *in;
        probe.n_finished = (size_t)k;
        auto_decide(&probe, later);
        if (later->strategy != now->strategy) {
            *after = k;
            return 1;
        }
    }
    return 0;
}

hps_status hps_auto_explain(const char *space_json, char **json_out, char *errbuf,
                            size_t errlen)
{
    hps_errbuf err;
    hps_errbuf_clear(&err);
    auto_inputs in;
    hps_status rc;
    if (json_out != NULL)
        *json_out = NULL;
    if (space_json == NULL || json_out == NULL)
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID,
                            "hps_auto_explain: the description and json_out are needed");
    else
        rc = parse_description(space_json, &in, &err);
    if (rc != HPS_OK) {
        hps_errbuf_copy_out(hps_errbuf_text(&err), errbuf, errlen);
        return rc;
    }
    auto_decision now, later;
    auto_decide(&in, &now);
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_puts(&sb, "{\"strategy\": ");
    hps_jsonw_string(&sb, auto_strategy_name(now.strategy));
    hps_strbuf_puts(&sb, ", \"reason\": ");
    hps_jsonw_string(&sb, now.reason);
    uint64_t after = 0;
    if (handover(&in, &now, &after, &later)) {
        hps_strbuf_printf(&sb, ", \"then\": {\"after\": %llu, \"strategy\": ",
                          (unsigned long long)after);
        hps_jsonw_string(&sb, auto_strategy_name(later.strategy));
        hps_strbuf_putc(&sb, '}');
    }
    hps_strbuf_putc(&sb, '}');
    *json_out = hps_strbuf_take(&sb);
    if (*json_out != NULL)
        return HPS_OK;
    hps_errbuf_copy_out("out of memory", errbuf, errlen);
    return HPS_ERR_NOMEM;
}
