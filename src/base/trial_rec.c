/* trial_rec.c -- the stored record of a trial and its public read-only accessors. */
#include "base/trial_rec.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/value.h"

#include <assert.h>
#include <math.h>
#include <string.h>

hps_frozen *hps_rec_new(void)
{
    hps_frozen *rec = hps_mem_calloc(1, sizeof *rec);
    if (rec == NULL)
        return NULL;
    rec->grid_pos = -1;
    rec->state = HPS_WAITING;
    return rec;
}

void hps_rec_free(hps_frozen *rec)
{
    if (rec == NULL)
        return;
    for (size_t i = 0; i < rec->n_params; i++) {
        hps_mem_free(rec->params[i].name);
        hps_dist_clear(&rec->params[i].dist);
    }
    hps_mem_free(rec->params);
    for (size_t i = 0; i < rec->n_inter; i++)
        hps_mem_free(rec->inter[i].more);
    hps_mem_free(rec->inter);
    hps_mem_free(rec->values);
    json_decref(rec->user_attrs);
    json_decref(rec->system_attrs);
    hps_mem_free(rec->worker);
    hps_mem_free(rec->user_attrs_text);
    hps_mem_free(rec->system_attrs_text);
    hps_mem_free(rec);
}

hps_frozen *hps_rec_clone(const hps_frozen *src)
{
    hps_frozen *rec = hps_rec_new();
    if (rec == NULL)
        return NULL;
    rec->user_attrs = src->user_attrs != NULL ? json_deep_copy(src->user_attrs) : NULL;
    rec->system_attrs = src->system_attrs != NULL ? json_deep_copy(src->system_attrs) : NULL;
    rec->id = src->id;
    rec->number = src->number;
    rec->state = src->state;
    rec->interrupted = src->interrupted;
    rec->grid_pos = src->grid_pos;
    rec->datetime_start = src->datetime_start;
    rec->datetime_complete = src->datetime_complete;
    rec->heartbeat = src->heartbeat;
    rec->change_seq = src->change_seq;
    if ((src->user_attrs != NULL && rec->user_attrs == NULL) ||
        (src->system_attrs != NULL && rec->system_attrs == NULL))
        goto fail;
    if (src->worker != NULL && (rec->worker = hps_mem_strdup(src->worker)) == NULL)
        goto fail;
    if (hps_rec_set_values(rec, src->values, src->n_values) != 0)
        goto fail;
    for (size_t i = 0; i < src->n_params; i++) {
        const hps_param_rec *p = &src->params[i];
        if (hps_rec_add_param(rec, p->name, &p->dist, p->internal) != 0)
            goto fail;
    }
    for (size_t i = 0; i < src->n_inter; i++) {
        const hps_inter_rec *r = &src->inter[i];
        double values[HPS_REC_MAX_INTER_VALUES];
        size_t n = hps_rec_inter_values(r, values);
        if (hps_rec_add_intermediate_values(rec, r->step, values, n) < 0)
            goto fail;
    }
    return rec;
fail:
    hps_rec_free(rec);
    return NULL;
}

int hps_rec_add_param(hps_frozen *rec, const char *name, const hps_dist *dist, double internal)
{
    void *items = rec->params;
    if (hps_mem_grow(&items, &rec->cap_params, rec->n_params + 1, sizeof *rec->params) != 0)
        return -1;
    rec->params = items;
    hps_param_rec *p = &rec->params[rec->n_params];
    p->name = hps_mem_strdup(name);
    if (p->name == NULL)
        return -1;
    if (hps_dist_copy(&p->dist, dist) != 0) {
        hps_mem_free(p->name);
        return -1;
    }
    p->internal = internal;
    rec->n_params++;
    return 0;
}

const hps_param_rec *hps_rec_find_param(const hps_frozen *rec, const char *name)
{
    for (size_t i = 0; i < rec->n_params; i++)
        if (strcmp(rec->params[i].name, name) == 0)
            return &rec->params[i];
    return NULL;
}

int hps_rec_add_intermediate_values(hps_frozen *rec, int64_t step, const double *values, size_t n)
{
    assert(n >= 1 && n <= HPS_REC_MAX_INTER_VALUES);
    /* Reports nearly always come in increasing step order: search from the end. */
    size_t pos = rec->n_inter;
    while (pos > 0 && rec->inter[pos - 1].step > step)
        pos--;
    if (pos > 0 && rec->inter[pos - 1].step == step)
        return 0;
    double *more = NULL;
    if (n > 1) {
        more = hps_mem_realloc_array(NULL, n - 1, sizeof *more);
        if (more == NULL)
            return -1;
        memcpy(more, &values[1], (n - 1) * sizeof *more);
    }
    void *items = rec->inter;
    if (hps_mem_grow(&items, &rec->cap_inter, rec->n_inter + 1, sizeof *rec->inter) != 0) {
        hps_mem_free(more);
        return -1;
    }
    rec->inter = items;
    memmove(&rec->inter[pos + 1], &rec->inter[pos], (rec->n_inter - pos) * sizeof *rec->inter);
    rec->inter[pos] = (hps_inter_rec){.step = step, .value = values[0], .more = more,
                                      .n_more = n - 1};
    rec->n_inter++;
    return 1;
}

size_t hps_rec_inter_values(const hps_inter_rec *r, double *out)
{
    out[0] = r->value;
    if (r->n_more > 0)
        memcpy(&out[1], r->more, r->n_more * sizeof *r->more);
    return 1 + r->n_more;
}

int hps_rec_set_values(hps_frozen *rec, const double *values, size_t n)
{
    double *copy = NULL;
    if (n > 0) {
        copy = hps_mem_realloc_array(NULL, n, sizeof *copy);
        if (copy == NULL)
            return -1;
        memcpy(copy, values, n * sizeof *copy);
    }
    hps_mem_free(rec->values);
    rec->values = copy;
    rec->n_values = n;
    return 0;
}

static void forget_attrs_text(hps_frozen *rec, int system)
{
    char **cache = system ? &rec->system_attrs_text : &rec->user_attrs_text;
    hps_mem_free(*cache);
    *cache = NULL;
}

int hps_rec_set_attr(hps_frozen *rec, int system, const char *key, const char *json_text)
{
    json_t *value = json_loads(json_text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (value == NULL)
        return -1;
    json_t **slot = system ? &rec->system_attrs : &rec->user_attrs;
    forget_attrs_text(rec, system);
    if (*slot == NULL && (*slot = json_object()) == NULL) {
        json_decref(value);
        return -1;
    }
    if (json_object_set_new(*slot, key, value) != 0)
        return -1;
    return 0;
}

int hps_rec_load_attrs(hps_frozen *rec, int system, const char *json_text)
{
    json_t **slot = system ? &rec->system_attrs : &rec->user_attrs;
    forget_attrs_text(rec, system);
    json_decref(*slot);
    *slot = NULL;
    /* Most trials have no attributes: keep no object for them (a study of 100 000
     * trials saves tens of megabytes). */
    if (json_text == NULL || strcmp(json_text, "{}") == 0)
        return 0;
    json_t *obj = json_loads(json_text, 0, NULL);
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        return -1;
    }
    if (json_object_size(obj) == 0) {
        json_decref(obj);
        return 0;
    }
    *slot = obj;
    return 0;
}

char *hps_rec_attrs_text(const json_t *attrs)
{
    if (attrs == NULL)
        return hps_mem_strdup("{}");
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_jsonw_node(&sb, attrs);
    return hps_strbuf_take(&sb);
}

/* ---- public accessors ---------------------------------------------------------- */

int64_t hps_frozen_number(const hps_frozen *t)
{
    return t->number;
}
hps_trial_state hps_frozen_state(const hps_frozen *t)
{
    return t->state;
}
int hps_frozen_interrupted(const hps_frozen *t)
{
    return t->state == HPS_FAIL && t->interrupted;
}
size_t hps_frozen_n_values(const hps_frozen *t)
{
    return t->n_values;
}
double hps_frozen_value(const hps_frozen *t, size_t i)
{
    return i < t->n_values ? t->values[i] : NAN;
}
size_t hps_frozen_n_params(const hps_frozen *t)
{
    return t->n_params;
}
const char *hps_frozen_param_name(const hps_frozen *t, size_t i)
{
    return i < t->n_params ? t->params[i].name : NULL;
}
double hps_frozen_param_internal(const hps_frozen *t, size_t i)
{
    return i < t->n_params ? t->params[i].internal : NAN;
}
hps_value hps_frozen_param_value(const hps_frozen *t, size_t i)
{
    hps_value none = {.type = HPS_VALUE_NONE};
    if (i >= t->n_params)
        return none;
    return hps_dist_external(&t->params[i].dist, t->params[i].internal);
}
const hps_dist *hps_frozen_param_dist(const hps_frozen *t, size_t i)
{
    return i < t->n_params ? &t->params[i].dist : NULL;
}
long hps_frozen_param_index(const hps_frozen *t, const char *name)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return (long)i;
    return -1;
}
size_t hps_frozen_n_intermediate(const hps_frozen *t)
{
    return t->n_inter;
}
void hps_frozen_intermediate(const hps_frozen *t, size_t i, int64_t *step, double *value)
{
    if (i >= t->n_inter) {
        *step = -1;
        *value = NAN;
        return;
    }
    *step = t->inter[i].step;
    *value = t->inter[i].value;
}

size_t hps_frozen_intermediate_values(const hps_frozen *t, size_t i, double *values, size_t cap)
{
    if (i >= t->n_inter)
        return 0;
    double all[HPS_REC_MAX_INTER_VALUES];
    size_t n = hps_rec_inter_values(&t->inter[i], all);
    for (size_t k = 0; k < n && k < cap; k++)
        values[k] = all[k];
    return n;
}

/* Rendered once and kept until the attributes change (hps_rec_set_attr,
 * hps_rec_load_attrs): a pointer returned earlier stays valid as the header promises. */
static const char *attrs_text(const json_t *attrs, char **cache)
{
    if (*cache == NULL)
        *cache = hps_rec_attrs_text(attrs);
    return *cache != NULL ? *cache : "{}";
}


const char *hps_frozen_user_attrs(const hps_frozen *t)
{
    hps_frozen *mut = (hps_frozen *)t; /* the text cache is not part of the value */
    return attrs_text(t->user_attrs, &mut->user_attrs_text);
}
const char *hps_frozen_system_attrs(const hps_frozen *t)
{
    hps_frozen *mut = (hps_frozen *)t;
    return attrs_text(t->system_attrs, &mut->system_attrs_text);
}
double hps_frozen_datetime_start(const hps_frozen *t)
{
    return t->datetime_start;
}
double hps_frozen_datetime_complete(const hps_frozen *t)
{
    return t->datetime_complete;
}

static void write_params(hps_strbuf *sb, const hps_frozen *t)
{
    hps_strbuf_putc(sb, '{');
    for (size_t i = 0; i < t->n_params; i++) {
        if (i > 0)
            hps_strbuf_puts(sb, ", ");
        hps_jsonw_string(sb, t->params[i].name);
        hps_strbuf_puts(sb, ": ");
        hps_value v = hps_frozen_param_value(t, i);
        hps_jsonw_value(sb, &v);
    }
    hps_strbuf_putc(sb, '}');
}

hps_status hps_frozen_params_json(const hps_frozen *t, char **out)
{
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    write_params(&sb, t);
    *out = hps_strbuf_take(&sb);
    return *out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}

hps_status hps_frozen_to_json(const hps_frozen *t, char **out)
{
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_printf(&sb, "{\"number\": %lld, \"state\": \"%s\", \"values\": [",
                      (long long)t->number, hps_trial_state_name(t->state));
    for (size_t i = 0; i < t->n_values; i++) {
        if (i > 0)
            hps_strbuf_puts(&sb, ", ");
        hps_jsonw_double(&sb, t->values[i]);
    }
    hps_strbuf_puts(&sb, "], \"params\": ");
    write_params(&sb, t);
    hps_strbuf_puts(&sb, ", \"intermediate_values\": {");
    for (size_t i = 0; i < t->n_inter; i++) {
        hps_strbuf_printf(&sb, "%s\"%lld\": ", i > 0 ? ", " : "", (long long)t->inter[i].step);
        hps_jsonw_double(&sb, t->inter[i].value);
    }
    hps_strbuf_puts(&sb, "}, \"user_attrs\": ");
    if (t->user_attrs != NULL)
        hps_jsonw_node(&sb, t->user_attrs);
    else
        hps_strbuf_puts(&sb, "{}");
    hps_strbuf_puts(&sb, ", \"system_attrs\": ");
    if (t->system_attrs != NULL)
        hps_jsonw_node(&sb, t->system_attrs);
    else
        hps_strbuf_puts(&sb, "{}");
    hps_strbuf_puts(&sb, ", \"datetime_start\": ");
    hps_jsonw_double(&sb, t->datetime_start);
    hps_strbuf_puts(&sb, ", \"datetime_complete\": ");
    hps_jsonw_double(&sb, t->datetime_complete);
    hps_strbuf_puts(&sb, "}");
    *out = hps_strbuf_take(&sb);
    return *out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}

/* ---- constraints (system attribute "constraints", a JSON array of numbers) --------- */

static const json_t *constraints_of(const hps_frozen *t)
{
    const json_t *c = t->system_attrs != NULL ? json_object_get(t->system_attrs, "constraints")
                                              : NULL;
    return json_is_array(c) ? c : NULL;
}

size_t hps_frozen_n_constraints(const hps_frozen *t)
{
    const json_t *c = constraints_of(t);
    return c != NULL ? json_array_size(c) : 0;
}

double hps_frozen_constraint(const hps_frozen *t, size_t index)
{
    const json_t *c = constraints_of(t);
    const json_t *v = c != NULL ? json_array_get(c, index) : NULL;
    /* a value another writer stored as something else counts as violated */
    return json_is_number(v) ? json_number_value(v) : (v != NULL ? INFINITY : NAN);
}

int hps_frozen_feasible(const hps_frozen *t)
{
    size_t n = hps_frozen_n_constraints(t);
    for (size_t i = 0; i < n; i++)
        if (!(hps_frozen_constraint(t, i) <= 0))
            return 0;
    return 1;
}

int64_t hps_rec_paused_step(const hps_frozen *rec)
{
    const json_t *step = json_object_get(rec->system_attrs, HPS_REC_PAUSED_STEP);
    return json_is_integer(step) && json_integer_value(step) >= 0 ? json_integer_value(step) : -1;
}

int64_t hps_rec_run_of(const hps_frozen *rec)
{
    const json_t *origin = json_object_get(rec->system_attrs, HPS_REC_RETRY_OF);
    return json_is_integer(origin) ? (int64_t)json_integer_value(origin) : rec->number;
}

int64_t hps_rec_first_pause_from(const hps_frozen *rec, int64_t from)
{
    const json_t *steps = json_object_get(rec->system_attrs, HPS_REC_PAUSE_STEPS);
    if (!json_is_array(steps)) {
        int64_t paused = hps_rec_paused_step(rec);
        return paused >= from ? paused : -1;
    }
    size_t i;
    const json_t *step;
    json_array_foreach(steps, i, step) {
        if (json_is_integer(step) && json_integer_value(step) >= from)
            return json_integer_value(step);
    }
    return -1;
}

char *hps_rec_pause_steps_with(const hps_frozen *rec, int64_t step)
{
    const json_t *steps = json_object_get(rec->system_attrs, HPS_REC_PAUSE_STEPS);
    json_t *list = json_is_array(steps) ? json_copy((json_t *)steps) : json_array();
    if (list == NULL)
        return NULL;
    /* a trial paused before the list was kept starts it with the pause it knows */
    int64_t last = -1;
    if (!json_is_array(steps) && hps_rec_paused_step(rec) >= 0) {
        last = hps_rec_paused_step(rec);
        json_array_append_new(list, json_integer(last));
    } else if (json_array_size(list) > 0) {
        const json_t *tail = json_array_get(list, json_array_size(list) - 1);
        last = json_is_integer(tail) ? json_integer_value(tail) : -1;
    }
    if (step > last)
        json_array_append_new(list, json_integer(step));
    char *text = hps_rec_attrs_text(list);
    json_decref(list);
    return text;
}
