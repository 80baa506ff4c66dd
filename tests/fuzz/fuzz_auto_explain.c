/* fuzz_auto_explain.c -- libFuzzer harness for hps_auto_explain's parser of a space
 * description (src/samplers/auto_explain.c): JSON from a front end, which may hold any
 * key, value, size or duplicate.
 *
 * Whatever the text: the call returns HPS_OK with an answer or HPS_ERR_INVALID with a
 * message and no answer; a message fits every error buffer size, terminated; an
 * answer is a JSON object with a known strategy, a reason, and -- when present -- a
 * "then" naming another strategy after at least one finished trial. */
#include "fuzz.h"
#include "hpsearch.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int known_strategy(const char *name)
{
    static const char *const names[] = {"grid", "sobol", "gp", "tpe", "cmaes", "random"};
    for (size_t i = 0; name != NULL && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static void check_answer(const char *text)
{
    json_t *answer = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    check(json_is_object(answer));
    const char *strategy = json_string_value(json_object_get(answer, "strategy"));
    check(known_strategy(strategy));
    const char *reason = json_string_value(json_object_get(answer, "reason"));
    check(reason != NULL && reason[0] != '\0');
    const json_t *then = json_object_get(answer, "then");
    if (then != NULL) {
        const char *later = json_string_value(json_object_get(then, "strategy"));
        check(known_strategy(later) && strcmp(later, strategy) != 0);
        check(json_integer_value(json_object_get(then, "after")) > 0);
    }
    json_decref(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = fuzz_cstring(data, size);
    if (text == NULL)
        return 0;
    char err[256];
    char *out = NULL;
    memset(err, 'x', sizeof err);
    hps_status rc = hps_auto_explain(text, &out, err, sizeof err);
    check(rc == HPS_OK || rc == HPS_ERR_INVALID || rc == HPS_ERR_NOMEM);
    check((rc == HPS_OK) == (out != NULL));
    if (rc == HPS_OK)
        check_answer(out);
    else
        check(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
    hps_free(out);
    /* the same call into small error buffers, and none: the same status, terminated */
    for (size_t n = 0; n <= 8; n += 4) {
        char small[8];
        memset(small, 'x', sizeof small);
        check(hps_auto_explain(text, &out, n > 0 ? small : NULL, n) == rc);
        check(n == 0 || rc == HPS_OK || memchr(small, '\0', n) != NULL);
        hps_free(out);
    }
    free(text);
    return 0;
}
