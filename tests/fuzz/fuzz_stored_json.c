/* fuzz_stored_json.c -- libFuzzer harness for JSON that comes back from storage, where
 * another process, another version or a damaged database may have written anything:
 * distributions (hps_dist_from_json_node), parameter values (hps_value_from_json),
 * trial attribute objects (hps_rec_load_attrs, hps_rec_set_attr), a study's stored
 * directions (hps_sql_parse_directions), and enqueued parameters (hps_study_enqueue),
 * which are stored as the trial's fixed_params and read back when it is asked.
 *
 * A distribution that parses must write back to JSON that parses to an equal one: the
 * storage writes what it read when it copies trials. */
#include "fuzz.h"
#include "base/dist.h"
#include "base/mem.h"
#include "base/trial_rec.h"
#include "base/value.h"
#include "storage/sql_shared.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* A new :memory: study per input: one kept across inputs would be faster to get, but
 * its growing allocations make libFuzzer run a leak scan after every input. */
static hps_study *open_study(void)
{
    char err[256];
    hps_study *study = NULL;
    hps_sampler *sampler = NULL;
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(":memory:", "fuzz", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) !=
            HPS_OK ||
        hps_sampler_new("random", &sampler, err, sizeof err) != HPS_OK ||
        hps_sampler_set(sampler, "seed", "1") != HPS_OK ||
        hps_study_set_sampler(study, sampler) != HPS_OK)
        abort();
    return study;
}

static void use_dist(const hps_dist *dist)
{
    uint64_t n = hps_dist_cardinality(dist);
    if (n > 0) {
        (void)hps_dist_nth_value(dist, 0);
        (void)hps_dist_nth_value(dist, n - 1);
    }
    static const double units[] = {0.0, 0.25, 0.5, 0.999999};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double x = hps_dist_from_unit(dist, units[i]);
        check(hps_dist_contains(dist, x));
        (void)hps_dist_to_unit(dist, x);
        (void)hps_dist_snap(dist, x);
    }

    json_t *back = hps_dist_to_json_node(dist);
    check(back != NULL);
    char *text = json_dumps(back, JSON_COMPACT);
    json_decref(back);
    check(text != NULL);
    json_t *again = json_loads(text, 0, NULL);
    check(again != NULL);
    hps_dist copy;
    hps_errbuf err;
    check(hps_dist_from_json_node(&copy, "x", again, &err) == 0);
    check(hps_dist_equal(dist, &copy));
    hps_dist_clear(&copy);
    json_decref(again);
    free(text);
}

static void use_attrs(const char *text)
{
    hps_frozen *rec = hps_rec_new();
    check(rec != NULL);
    if (hps_rec_load_attrs(rec, 0, text) == 0) {
        /* what the storage writes back must load again */
        char *back = hps_rec_attrs_text(rec->user_attrs);
        check(back != NULL);
        check(hps_rec_load_attrs(rec, 1, back) == 0);
        hps_mem_free(back);
        (void)hps_frozen_user_attrs(rec);
        (void)hps_frozen_system_attrs(rec);
    }
    if (hps_rec_set_attr(rec, 1, "fuzz", text) == 0)
        (void)hps_frozen_system_attrs(rec);
    hps_rec_free(rec);
}

/* Enqueues the text as parameters and asks for the trial, whose suggestions then read
 * the stored values back for each of its keys. */
static void use_enqueue(const char *text)
{
    json_t *params = json_loads(text, 0, NULL);
    if (!json_is_object(params)) {
        json_decref(params);
        return;
    }
    hps_study *s = open_study();
    int64_t number = -1;
    if (hps_study_enqueue(s, text, &number) != HPS_OK) {
        json_decref(params);
        hps_study_close(s);
        return;
    }
    hps_trial *trial = NULL;
    check(hps_study_ask(s, &trial) == HPS_OK && hps_trial_number(trial) == number);

    const char *key;
    json_t *value;
    static const hps_value choices[] = {
        {.type = HPS_VALUE_STRING, .u.s = "relu"}, {.type = HPS_VALUE_INT, .u.i = 1},
        {.type = HPS_VALUE_FLOAT, .u.f = 0.5},     {.type = HPS_VALUE_BOOL, .u.b = 1},
    };
    size_t k = 0;
    json_object_foreach(params, key, value) {
        /* each key as another kind, so every conversion of a stored value is tried */
        double f;
        int64_t i;
        size_t index;
        switch (k++ % 4) {
        case 0:
            (void)hps_trial_suggest_float(trial, key, 1e-5, 1.0, 0, HPS_LOG, &f);
            break;
        case 1:
            (void)hps_trial_suggest_int(trial, key, -10, 10, 2, 0, &i);
            break;
        case 2:
            (void)hps_trial_suggest_categorical(trial, key, choices, 4, &index);
            break;
        default:
            (void)hps_trial_suggest_float(trial, key, -1.0, 1.0, 0.25, 0, &f);
            break;
        }
        if (k >= 16)
            break;
    }
    json_decref(params);
    (void)hps_trial_fail(trial, "fuzz");
    hps_trial_free(trial);
    hps_study_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_cstring(data, size);
    if (text == NULL)
        return 0;

    json_error_t jerr;
    json_t *node = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (node != NULL) {
        hps_dist dist;
        hps_errbuf err;
        hps_errbuf_clear(&err);
        if (hps_dist_from_json_node(&dist, "x", node, &err) == 0) {
            use_dist(&dist);
            hps_dist_clear(&dist);
        } else {
            check(hps_errbuf_text(&err)[0] != '\0');
        }

        hps_value v;
        if (hps_value_from_json(node, &v) == 0) {
            json_t *back = hps_value_to_json(&v);
            check(back != NULL);
            json_decref(back);
        }
        for (size_t i = 0; i < json_array_size(node) && i < 64; i++)
            if (hps_value_from_json(json_array_get(node, i), &v) == 0)
                json_decref(hps_value_to_json(&v));
        json_decref(node);
    }

    use_attrs(text);

    hps_direction *dirs = NULL;
    size_t n_dirs = 0;
    if (hps_sql_parse_directions(text, &dirs, &n_dirs) == 0) {
        check(n_dirs > 0);
        hps_mem_free(dirs);
    }

    use_enqueue(text);
    free(text);
    return 0;
}
