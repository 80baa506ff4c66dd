/* value.c -- external parameter values (hps_value): copies, equality, JSON. */
#include "base/value.h"

#include "base/mem.h"

#include <string.h>

int hps_value_copy(hps_value *dst, const hps_value *src)
{
    *dst = *src;
    if (src->type == HPS_VALUE_STRING) {
        dst->u.s = hps_mem_strdup(src->u.s != NULL ? src->u.s : "");
        if (dst->u.s == NULL) {
            dst->type = HPS_VALUE_NONE;
            return -1;
        }
    }
    return 0;
}

void hps_value_clear(hps_value *v)
{
    if (v->type == HPS_VALUE_STRING)
        hps_mem_free((void *)v->u.s);
    v->type = HPS_VALUE_NONE;
    v->u.i = 0;
}

int hps_value_equal(const hps_value *a, const hps_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case HPS_VALUE_NONE:
        return 1;
    case HPS_VALUE_STRING:
        return strcmp(a->u.s, b->u.s) == 0;
    case HPS_VALUE_INT:
        return a->u.i == b->u.i;
    case HPS_VALUE_FLOAT:
        return a->u.f == b->u.f;
    case HPS_VALUE_BOOL:
        return (a->u.b != 0) == (b->u.b != 0);
    }
    return 0;
}

static int numeric(const hps_value *v, double *out)
{
    switch (v->type) {
    case HPS_VALUE_INT:
        *out = (double)v->u.i;
        return 1;
    case HPS_VALUE_FLOAT:
        *out = v->u.f;
        return 1;
    case HPS_VALUE_BOOL:
        *out = v->u.b ? 1.0 : 0.0;
        return 1;
    default:
        return 0;
    }
}

int hps_value_loosely_equal(const hps_value *a, const hps_value *b)
{
    double x, y;
    if (numeric(a, &x) && numeric(b, &y))
        return x == y;
    return hps_value_equal(a, b);
}

json_t *hps_value_to_json(const hps_value *v)
{
    switch (v->type) {
    case HPS_VALUE_STRING:
        return json_string(v->u.s);
    case HPS_VALUE_INT:
        return json_integer((json_int_t)v->u.i);
    case HPS_VALUE_FLOAT:
        return json_real(v->u.f);
    case HPS_VALUE_BOOL:
        return json_boolean(v->u.b);
    case HPS_VALUE_NONE:
        break;
    }
    return json_null();
}

int hps_value_from_json(const json_t *node, hps_value *out)
{
    switch (json_typeof(node)) {
    case JSON_STRING:
        out->type = HPS_VALUE_STRING;
        out->u.s = json_string_value(node);
        return 0;
    case JSON_INTEGER:
        out->type = HPS_VALUE_INT;
        out->u.i = (int64_t)json_integer_value(node);
        return 0;
    case JSON_REAL:
        out->type = HPS_VALUE_FLOAT;
        out->u.f = json_real_value(node);
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        out->type = HPS_VALUE_BOOL;
        out->u.b = json_is_true(node);
        return 0;
    default:
        return -1;
    }
}
