/* dist.c -- parameter distributions: validation, encodings, JSON. */
#include "base/dist.h"

#include "base/mem.h"
#include "base/utf8.h"
#include "base/value.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Ints travel as doubles; beyond 2^53 they would silently lose precision. */
#define HPS_INT_LIMIT 9007199254740992.0
/* How far (in units of step) a value may sit off the step grid and still count as on
 * it: absorbs the rounding of low + k * step. */
#define HPS_STEP_TOLERANCE 1e-8

static const char *param_label(const char *name)
{
    return name != NULL ? name : "?";
}

static hps_status check_step_divides(const char *name, double low, double high, double step,
                                     hps_errbuf *err)
{
    double ratio = (high - low) / step;
    if (!isfinite(ratio) || ratio > HPS_INT_LIMIT)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': step %g is too small for the range [%g, %g]",
                              param_label(name), step, low, high);
    if (fabs(ratio - nearbyint(ratio)) > HPS_STEP_TOLERANCE * fmax(1.0, ratio))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': step %g does not divide the range [%g, %g]",
                              param_label(name), step, low, high);
    return HPS_OK;
}

hps_status hps_dist_init_float(hps_dist *dist, const char *name, double low, double high,
                               double step, unsigned flags, hps_errbuf *err)
{
    memset(dist, 0, sizeof *dist);
    if (flags & ~HPS_LOG)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "parameter '%s': unknown flags 0x%x",
                              param_label(name), flags);
    if (!isfinite(low) || !isfinite(high))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': bounds must be finite numbers (low=%g, high=%g)",
                              param_label(name), low, high);
    if (low > high)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': low (%g) is greater than high (%g)",
                              param_label(name), low, high);
    if ((flags & HPS_LOG) && low <= 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': a log distribution needs low > 0 (low=%g)",
                              param_label(name), low);
    if (step != 0) {
        if (!isfinite(step) || step < 0)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "parameter '%s': step must be a positive number (step=%g)",
                                  param_label(name), step);
        hps_status st = check_step_divides(name, low, high, step, err);
        if (st != HPS_OK)
            return st;
    }
    dist->kind = HPS_DIST_FLOAT;
    dist->low = low;
    dist->high = high;
    dist->step = step;
    dist->flags = flags;
    return HPS_OK;
}

hps_status hps_dist_init_int(hps_dist *dist, const char *name, int64_t low, int64_t high,
                             int64_t step, unsigned flags, hps_errbuf *err)
{
    memset(dist, 0, sizeof *dist);
    if (flags & ~HPS_LOG)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "parameter '%s': unknown flags 0x%x",
                              param_label(name), flags);
    if (low > high)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': low (%lld) is greater than high (%lld)",
                              param_label(name), (long long)low, (long long)high);
    if (fabs((double)low) > HPS_INT_LIMIT || fabs((double)high) > HPS_INT_LIMIT)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': integer bounds must lie within +-2^53",
                              param_label(name));
    if ((flags & HPS_LOG) && low <= 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': a log distribution needs low > 0 (low=%lld)",
                              param_label(name), (long long)low);
    if (step < 1)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': step must be an integer >= 1 (step=%lld)",
                              param_label(name), (long long)step);
    if ((high - low) % step != 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "parameter '%s': step %lld does not divide the range [%lld, %lld]",
                              param_label(name), (long long)step, (long long)low,
                              (long long)high);
    dist->kind = HPS_DIST_INT;
    dist->low = (double)low;
    dist->high = (double)high;
    dist->step = (double)step;
    dist->flags = flags;
    return HPS_OK;
}

hps_status hps_dist_init_categorical(hps_dist *dist, const char *name, const hps_value *choices,
                                     size_t n_choices, hps_errbuf *err)
{
    memset(dist, 0, sizeof *dist);
    if (n_choices == 0 || choices == NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "parameter '%s': choices must not be empty",
                              param_label(name));
    for (size_t i = 0; i < n_choices; i++) {
        const hps_value *c = &choices[i];
        if (c->type == HPS_VALUE_NONE || c->type > HPS_VALUE_BOOL)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "parameter '%s': choice %zu has no value", param_label(name), i);
        if (c->type == HPS_VALUE_STRING && c->u.s == NULL)
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "parameter '%s': choice %zu is a NULL string", param_label(name),
                                  i);
        if (c->type == HPS_VALUE_STRING && !hps_utf8_valid(c->u.s))
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "parameter '%s': choice %zu is not valid UTF-8",
                                  param_label(name), i);
        if (c->type == HPS_VALUE_FLOAT && isnan(c->u.f))
            return hps_errbuf_set(err, HPS_ERR_INVALID,
                                  "parameter '%s': choice %zu is NaN, which equals nothing",
                                  param_label(name), i);
    }
    dist->choices = hps_mem_calloc(n_choices, sizeof *dist->choices);
    if (dist->choices == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n_choices; i++) {
        if (hps_value_copy(&dist->choices[i], &choices[i]) != 0) {
            dist->n_choices = i;
            hps_dist_clear(dist);
            return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        }
    }
    dist->kind = HPS_DIST_CATEGORICAL;
    dist->n_choices = n_choices;
    return HPS_OK;
}

void hps_dist_clear(hps_dist *dist)
{
    if (dist == NULL)
        return;
    for (size_t i = 0; i < dist->n_choices; i++)
        hps_value_clear(&dist->choices[i]);
    hps_mem_free(dist->choices);
    memset(dist, 0, sizeof *dist);
}

int hps_dist_copy(hps_dist *dst, const hps_dist *src)
{
    *dst = *src;
    dst->choices = NULL;
    dst->n_choices = 0;
    if (src->kind != HPS_DIST_CATEGORICAL)
        return 0;
    dst->choices = hps_mem_calloc(src->n_choices, sizeof *dst->choices);
    if (dst->choices == NULL)
        return -1;
    for (size_t i = 0; i < src->n_choices; i++) {
        if (hps_value_copy(&dst->choices[i], &src->choices[i]) != 0) {
            dst->n_choices = i;
            hps_dist_clear(dst);
            return -1;
        }
    }
    dst->n_choices = src->n_choices;
    return 0;
}

static int same_choices(const hps_dist *a, const hps_dist *b)
{
    if (a->n_choices != b->n_choices)
        return 0;
    for (size_t i = 0; i < a->n_choices; i++)
        if (!hps_value_equal(&a->choices[i], &b->choices[i]))
            return 0;
    return 1;
}

int hps_dist_equal(const hps_dist *a, const hps_dist *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == HPS_DIST_CATEGORICAL)
        return same_choices(a, b);
    return a->low == b->low && a->high == b->high && a->step == b->step && a->flags == b->flags;
}

int hps_dist_compatible(const hps_dist *a, const hps_dist *b)
{
    if (a->kind != b->kind)
        return 0;
    return a->kind != HPS_DIST_CATEGORICAL || same_choices(a, b);
}

static int on_step_grid(const hps_dist *dist, double x)
{
    if (dist->step == 0)
        return 1;
    double k = (x - dist->low) / dist->step;
    return fabs(k - nearbyint(k)) <= HPS_STEP_TOLERANCE * fmax(1.0, fabs(k));
}

int hps_dist_contains(const hps_dist *dist, double x)
{
    if (!isfinite(x))
        return 0;
    switch (dist->kind) {
    case HPS_DIST_FLOAT:
        return x >= dist->low && x <= dist->high && on_step_grid(dist, x);
    case HPS_DIST_INT:
        return x == nearbyint(x) && x >= dist->low && x <= dist->high &&
               fmod(x - dist->low, dist->step) == 0;
    case HPS_DIST_CATEGORICAL:
        return x == nearbyint(x) && x >= 0 && x < (double)dist->n_choices;
    }
    return 0;
}

int hps_dist_internal_of(const hps_dist *dist, const hps_value *value, double *internal)
{
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        for (size_t i = 0; i < dist->n_choices; i++) {
            if (hps_value_equal(&dist->choices[i], value)) {
                *internal = (double)i;
                return 0;
            }
        }
        /* Python semantics second, so an exact match wins over 1 == True. */
        for (size_t i = 0; i < dist->n_choices; i++) {
            if (hps_value_loosely_equal(&dist->choices[i], value)) {
                *internal = (double)i;
                return 0;
            }
        }
        return -1;
    }
    double x;
    if (value->type == HPS_VALUE_INT)
        x = (double)value->u.i;
    else if (value->type == HPS_VALUE_FLOAT)
        x = value->u.f;
    else
        return -1;
    if (!hps_dist_contains(dist, x))
        return -1;
    *internal = x;
    return 0;
}

uint64_t hps_dist_cardinality(const hps_dist *dist)
{
    switch (dist->kind) {
    case HPS_DIST_CATEGORICAL:
        return dist->n_choices;
    case HPS_DIST_INT:
    case HPS_DIST_FLOAT:
        if (dist->step == 0)
            return dist->low == dist->high ? 1 : 0;
        double n = nearbyint((dist->high - dist->low) / dist->step) + 1.0;
        return n >= 1.8e19 ? UINT64_MAX : (uint64_t)n;
    }
    return 0;
}

double hps_dist_nth_value(const hps_dist *dist, uint64_t i)
{
    if (dist->kind == HPS_DIST_CATEGORICAL)
        return (double)i;
    if (dist->step == 0)
        return dist->low;
    return fmin(dist->high, dist->low + (double)i * dist->step);
}

/* Bounds of the log-space interval that gives each discrete value of a log
 * distribution its share: half a step beyond each end, kept positive. */
static void discrete_log_bounds(const hps_dist *dist, double *lo, double *hi)
{
    double half = dist->step / 2;
    double low = dist->low - half;
    if (low < dist->low / 2)
        low = dist->low / 2;
    *lo = log(low);
    *hi = log(dist->high + half);
}

double hps_dist_snap(const hps_dist *dist, double x)
{
    if (isnan(x))
        x = dist->kind == HPS_DIST_CATEGORICAL ? 0 : dist->low;
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        double idx = nearbyint(x);
        if (idx < 0)
            idx = 0;
        if (idx > (double)dist->n_choices - 1)
            idx = (double)dist->n_choices - 1;
        return idx;
    }
    if (x < dist->low)
        x = dist->low;
    if (x > dist->high)
        x = dist->high;
    if (dist->step == 0)
        return x;
    double k = nearbyint((x - dist->low) / dist->step);
    double snapped = dist->low + k * dist->step;
    if (snapped > dist->high) /* rounding of low + k * step */
        snapped = dist->high;
    return snapped;
}

double hps_dist_from_unit(const hps_dist *dist, double u)
{
    if (!(u >= 0))
        u = 0;
    if (u >= 1)
        u = 0x1.fffffffffffffp-1;
    if (dist->kind == HPS_DIST_CATEGORICAL)
        return floor(u * (double)dist->n_choices);
    if (dist->low == dist->high)
        return dist->low;
    if (dist->flags & HPS_LOG) {
        double lo, hi;
        if (dist->step == 0) {
            lo = log(dist->low);
            hi = log(dist->high);
        } else {
            discrete_log_bounds(dist, &lo, &hi);
        }
        double x = exp(lo + u * (hi - lo));
        /* exp(log(b)) can miss b by an ulp or two: at the ends, the bounds as given */
        if (fabs(x - dist->low) <= 8 * DBL_EPSILON * dist->low)
            x = dist->low;
        else if (fabs(x - dist->high) <= 8 * DBL_EPSILON * dist->high)
            x = dist->high;
        return hps_dist_snap(dist, x);
    }
    if (dist->step == 0)
        return hps_dist_snap(dist, dist->low + u * (dist->high - dist->low));
    uint64_t n = hps_dist_cardinality(dist);
    double k = floor(u * (double)n);
    return hps_dist_snap(dist, dist->low + k * dist->step);
}

double hps_dist_to_unit(const hps_dist *dist, double x)
{
    if (dist->kind == HPS_DIST_CATEGORICAL)
        return (x + 0.5) / (double)dist->n_choices;
    if (dist->low == dist->high)
        return 0.5;
    double u;
    if (dist->flags & HPS_LOG) {
        double lo = log(dist->low), hi = log(dist->high);
        if (dist->step != 0)
            discrete_log_bounds(dist, &lo, &hi);
        u = (log(x) - lo) / (hi - lo);
    } else if (dist->step == 0) {
        u = (x - dist->low) / (dist->high - dist->low);
    } else {
        double n = (double)hps_dist_cardinality(dist);
        u = (nearbyint((x - dist->low) / dist->step) + 0.5) / n;
    }
    return u < 0 ? 0 : (u > 1 ? 1 : u);
}

json_t *hps_dist_to_json_node(const hps_dist *dist)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    int bad = 0;
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        json_t *arr = json_array();
        bad |= json_object_set_new(obj, "type", json_string("categorical"));
        bad |= json_object_set_new(obj, "choices", arr);
        for (size_t i = 0; i < dist->n_choices && !bad; i++)
            bad |= json_array_append_new(arr, hps_value_to_json(&dist->choices[i]));
    } else if (dist->kind == HPS_DIST_INT) {
        bad |= json_object_set_new(obj, "type", json_string("int"));
        bad |= json_object_set_new(obj, "low", json_integer((json_int_t)dist->low));
        bad |= json_object_set_new(obj, "high", json_integer((json_int_t)dist->high));
        bad |= json_object_set_new(obj, "step", json_integer((json_int_t)dist->step));
        bad |= json_object_set_new(obj, "log", json_boolean(dist->flags & HPS_LOG));
    } else {
        bad |= json_object_set_new(obj, "type", json_string("float"));
        bad |= json_object_set_new(obj, "low", json_real(dist->low));
        bad |= json_object_set_new(obj, "high", json_real(dist->high));
        if (dist->step != 0)
            bad |= json_object_set_new(obj, "step", json_real(dist->step));
        bad |= json_object_set_new(obj, "log", json_boolean(dist->flags & HPS_LOG));
    }
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int json_number(const json_t *node, double *out)
{
    if (!json_is_number(node))
        return -1;
    *out = json_number_value(node);
    return 0;
}

/* A stored distribution that does not validate is damaged data, not a caller's mistake:
 * HPS_ERR_INVALID from the constructors becomes HPS_ERR_CORRUPT (the message stays). */
static hps_status as_stored(hps_status st)
{
    return st == HPS_ERR_INVALID ? HPS_ERR_CORRUPT : st;
}

hps_status hps_dist_from_json_node(hps_dist *dist, const char *name, const json_t *node,
                                   hps_errbuf *err)
{
    memset(dist, 0, sizeof *dist);
    const char *type = json_string_value(json_object_get(node, "type"));
    if (type == NULL)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                              "parameter '%s': stored distribution has no type", param_label(name));
    if (strcmp(type, "categorical") == 0) {
        const json_t *arr = json_object_get(node, "choices");
        size_t n = json_array_size(arr);
        if (!json_is_array(arr) || n == 0)
            return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                                  "parameter '%s': stored categorical has no choices",
                                  param_label(name));
        hps_value *tmp = hps_mem_calloc(n, sizeof *tmp);
        if (tmp == NULL)
            return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        hps_status st = HPS_OK;
        for (size_t i = 0; i < n && st == HPS_OK; i++) {
            if (hps_value_from_json(json_array_get(arr, i), &tmp[i]) != 0)
                st = hps_errbuf_set(err, HPS_ERR_CORRUPT,
                                    "parameter '%s': stored categorical choice %zu is not a scalar",
                                    param_label(name), i);
        }
        if (st == HPS_OK)
            st = as_stored(hps_dist_init_categorical(dist, name, tmp, n, err));
        hps_mem_free(tmp);
        return st;
    }
    double low, high, step = 0;
    int is_int = strcmp(type, "int") == 0;
    if ((!is_int && strcmp(type, "float") != 0) ||
        json_number(json_object_get(node, "low"), &low) != 0 ||
        json_number(json_object_get(node, "high"), &high) != 0)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                              "parameter '%s': stored distribution of type '%s' is malformed",
                              param_label(name), type);
    const json_t *step_node = json_object_get(node, "step");
    if (step_node != NULL && json_number(step_node, &step) != 0)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                              "parameter '%s': stored distribution has a non-numeric step",
                              param_label(name));
    unsigned flags = json_is_true(json_object_get(node, "log")) ? HPS_LOG : 0;
    if (!is_int)
        return as_stored(hps_dist_init_float(dist, name, low, high, step, flags, err));
    if (low != nearbyint(low) || high != nearbyint(high) || step != nearbyint(step) ||
        fabs(low) > HPS_INT_LIMIT || fabs(high) > HPS_INT_LIMIT || fabs(step) > HPS_INT_LIMIT)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                              "parameter '%s': stored int distribution has non-integral bounds",
                              param_label(name));
    return as_stored(hps_dist_init_int(dist, name, (int64_t)low, (int64_t)high,
                                       step_node == NULL ? 1 : (int64_t)step, flags, err));
}

/* ---- public read-only accessors ---------------------------------------------- */

hps_dist_kind hps_dist_get_kind(const hps_dist *dist)
{
    return dist->kind;
}
double hps_dist_low(const hps_dist *dist)
{
    return dist->low;
}
double hps_dist_high(const hps_dist *dist)
{
    return dist->high;
}
double hps_dist_step(const hps_dist *dist)
{
    return dist->step;
}
unsigned hps_dist_flags(const hps_dist *dist)
{
    return dist->flags;
}
size_t hps_dist_n_choices(const hps_dist *dist)
{
    return dist->kind == HPS_DIST_CATEGORICAL ? dist->n_choices : 0;
}

hps_value hps_dist_choice(const hps_dist *dist, size_t i)
{
    hps_value none = {.type = HPS_VALUE_NONE};
    if (dist->kind != HPS_DIST_CATEGORICAL || i >= dist->n_choices)
        return none;
    return dist->choices[i];
}

hps_value hps_dist_external(const hps_dist *dist, double internal)
{
    hps_value v = {.type = HPS_VALUE_NONE};
    switch (dist->kind) {
    case HPS_DIST_CATEGORICAL:
        if (internal >= 0 && internal < (double)dist->n_choices)
            v = dist->choices[(size_t)internal];
        break;
    case HPS_DIST_INT:
        v.type = HPS_VALUE_INT;
        v.u.i = (int64_t)internal;
        break;
    case HPS_DIST_FLOAT:
        v.type = HPS_VALUE_FLOAT;
        v.u.f = internal;
        break;
    }
    return v;
}

hps_status hps_dist_to_json(const hps_dist *dist, char **out)
{
    *out = NULL;
    json_t *node = hps_dist_to_json_node(dist);
    if (node == NULL)
        return HPS_ERR_NOMEM;
    *out = json_dumps(node, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(node);
    return *out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}
