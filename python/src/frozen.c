/* frozen.c -- FrozenTrial: a read-out of a stored trial.
 *
 * A trial is copied out of the library in one allocation (hpspy_snap) while the study's
 * lock is held, and turned into Python objects only when a field is first read: telling
 * a trial or listing ten thousand of them costs a memcpy each, not a dozen dicts and
 * datetimes nobody looks at. Fields can be assigned, as Optuna's can. */
#include "hpsearch_py.h"

#include <datetime.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---- snapshots ---------------------------------------------------------------------- */

typedef struct snap_param {
    const char *name;
    double internal;
    hps_dist_kind kind;
    unsigned flags;
    double low, high, step;
    size_t n_choices;
    hps_value *choices;
} snap_param;

struct hpspy_snap {
    int64_t number;
    hps_trial_state state;
    double start, complete; /* seconds since the epoch, 0 when unset */
    size_t n_values;
    double *values;
    size_t n_params;
    snap_param *params;
    size_t n_inter;
    int64_t *steps;
    double *inter;
    const char *user_attrs;
    const char *system_attrs;
};

/* Sizes below are multiples of 8, so every array placed after the header is aligned. */
static int add_bytes(size_t *total, size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - *total) / size)
        return -1;
    *total += count * size;
    return 0;
}

static int add_text(size_t *total, const char *text)
{
    return add_bytes(total, strlen(text != NULL ? text : "") + 1, 1);
}

static char *put_text(char **cursor, const char *text)
{
    size_t n = strlen(text != NULL ? text : "") + 1;
    char *dst = *cursor;
    memcpy(dst, text != NULL ? text : "", n);
    *cursor += n;
    return dst;
}

hpspy_snap *hpspy_snap_take(const hps_frozen *rec)
{
    size_t n_values = hps_frozen_n_values(rec);
    size_t n_params = hps_frozen_n_params(rec);
    size_t n_inter = hps_frozen_n_intermediate(rec);
    const char *user = hps_frozen_user_attrs(rec);
    const char *system = hps_frozen_system_attrs(rec);
    size_t n_choices = 0;
    size_t total = sizeof(hpspy_snap);
    int bad = add_bytes(&total, n_values, sizeof(double)) ||
              add_bytes(&total, n_params, sizeof(snap_param)) ||
              add_bytes(&total, n_inter, sizeof(int64_t) + sizeof(double));
    for (size_t i = 0; i < n_params && !bad; i++) {
        const hps_dist *dist = hps_frozen_param_dist(rec, i);
        size_t n = hps_dist_n_choices(dist);
        bad |= add_bytes(&n_choices, n, 1) || add_text(&total, hps_frozen_param_name(rec, i));
        for (size_t j = 0; j < n && !bad; j++) {
            hps_value choice = hps_dist_choice(dist, j);
            if (choice.type == HPS_VALUE_STRING)
                bad |= add_text(&total, choice.u.s);
        }
    }
    bad = bad || add_bytes(&total, n_choices, sizeof(hps_value)) || add_text(&total, user) ||
          add_text(&total, system);
    if (bad)
        return NULL;

    char *block = PyMem_RawMalloc(total);
    if (block == NULL)
        return NULL;
    hpspy_snap *snap = (hpspy_snap *)block;
    char *cursor = block + sizeof *snap;
    snap->number = hps_frozen_number(rec);
    snap->state = hps_frozen_state(rec);
    snap->start = hps_frozen_datetime_start(rec);
    snap->complete = hps_frozen_datetime_complete(rec);
    snap->n_values = n_values;
    snap->values = (double *)cursor;
    cursor += n_values * sizeof(double);
    for (size_t i = 0; i < n_values; i++)
        snap->values[i] = hps_frozen_value(rec, i);
    snap->n_params = n_params;
    snap->params = (snap_param *)cursor;
    cursor += n_params * sizeof(snap_param);
    snap->n_inter = n_inter;
    snap->steps = (int64_t *)cursor;
    cursor += n_inter * sizeof(int64_t);
    snap->inter = (double *)cursor;
    cursor += n_inter * sizeof(double);
    for (size_t i = 0; i < n_inter; i++)
        hps_frozen_intermediate(rec, i, &snap->steps[i], &snap->inter[i]);
    hps_value *choices = (hps_value *)cursor;
    cursor += n_choices * sizeof(hps_value);
    /* strings last: they have no alignment */
    for (size_t i = 0; i < n_params; i++) {
        const hps_dist *dist = hps_frozen_param_dist(rec, i);
        snap_param *p = &snap->params[i];
        p->name = put_text(&cursor, hps_frozen_param_name(rec, i));
        p->internal = hps_frozen_param_internal(rec, i);
        p->kind = hps_dist_get_kind(dist);
        p->flags = hps_dist_flags(dist);
        p->low = hps_dist_low(dist);
        p->high = hps_dist_high(dist);
        p->step = hps_dist_step(dist);
        p->n_choices = hps_dist_n_choices(dist);
        p->choices = choices;
        for (size_t j = 0; j < p->n_choices; j++) {
            choices[j] = hps_dist_choice(dist, j);
            if (choices[j].type == HPS_VALUE_STRING)
                choices[j].u.s = put_text(&cursor, choices[j].u.s);
        }
        choices += p->n_choices;
    }
    snap->user_attrs = put_text(&cursor, user);
    snap->system_attrs = put_text(&cursor, system);
    return snap;
}

void hpspy_snap_free(hpspy_snap *snap)
{
    PyMem_RawFree(snap);
}

static PyObject *param_value(const snap_param *p)
{
    switch (p->kind) {
    case HPS_DIST_CATEGORICAL:
        if (p->internal >= 0 && p->internal < (double)p->n_choices)
            return hpspy_value_to_py(&p->choices[(size_t)p->internal]);
        Py_RETURN_NONE;
    case HPS_DIST_INT:
        return PyLong_FromLongLong((long long)p->internal);
    case HPS_DIST_FLOAT:
        break;
    }
    return PyFloat_FromDouble(p->internal);
}

PyObject *hpspy_snap_params(const hpspy_snap *snap)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL)
        return NULL;
    for (size_t i = 0; i < snap->n_params; i++) {
        PyObject *value = param_value(&snap->params[i]);
        if (value == NULL || PyDict_SetItemString(dict, snap->params[i].name, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(dict);
            return NULL;
        }
        Py_DECREF(value);
    }
    return dict;
}

static PyObject *snap_distributions(const hpspy_state *st, const hpspy_snap *snap)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL)
        return NULL;
    for (size_t i = 0; i < snap->n_params; i++) {
        const snap_param *p = &snap->params[i];
        PyObject *dist = hpspy_dist_to_py(st, p->kind, p->low, p->high, p->step, p->flags,
                                          p->choices, p->n_choices);
        if (dist == NULL || PyDict_SetItemString(dict, p->name, dist) < 0) {
            Py_XDECREF(dist);
            Py_DECREF(dict);
            return NULL;
        }
        Py_DECREF(dist);
    }
    return dict;
}

static PyObject *snap_intermediate(const hpspy_snap *snap)
{
    PyObject *dict = PyDict_New();
    for (size_t i = 0; dict != NULL && i < snap->n_inter; i++) {
        PyObject *step = PyLong_FromLongLong((long long)snap->steps[i]);
        PyObject *value = PyFloat_FromDouble(snap->inter[i]);
        if (step == NULL || value == NULL || PyDict_SetItem(dict, step, value) < 0)
            Py_CLEAR(dict);
        Py_XDECREF(step);
        Py_XDECREF(value);
    }
    return dict;
}

static PyObject *snap_values(const hpspy_snap *snap)
{
    if (snap->n_values == 0)
        Py_RETURN_NONE;
    /* The engine gives a pruned trial its last intermediate value even when that is
     * NaN; Optuna leaves such a trial without a value. */
    if (snap->state == HPS_PRUNED && isnan(snap->values[0]))
        Py_RETURN_NONE;
    PyObject *list = PyList_New((Py_ssize_t)snap->n_values);
    for (size_t i = 0; list != NULL && i < snap->n_values; i++) {
        PyObject *v = PyFloat_FromDouble(snap->values[i]);
        if (v == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, v);
    }
    return list;
}

static PyObject *datetime_of(double seconds)
{
    if (seconds <= 0)
        Py_RETURN_NONE;
    /* datetime.h keeps the capsule's function table in a per-file static; importing it
     * is the documented way, and the table never changes once set. */
    if (PyDateTimeAPI == NULL) {
        PyDateTime_IMPORT;
        if (PyDateTimeAPI == NULL)
            return NULL;
    }
    PyObject *args = Py_BuildValue("(d)", seconds);
    if (args == NULL)
        return NULL;
    PyObject *dt = PyDateTime_FromTimestamp(args);
    Py_DECREF(args);
    return dt;
}

/* ---- the FrozenTrial type ---------------------------------------------------------- */

enum {
    F_NUMBER,
    F_STATE,
    F_VALUES,
    F_DATETIME_START,
    F_DATETIME_COMPLETE,
    F_PARAMS,
    F_DISTRIBUTIONS,
    F_USER_ATTRS,
    F_SYSTEM_ATTRS,
    F_INTERMEDIATE,
    F_TRIAL_ID,
    N_FIELDS
};

typedef struct hpspy_frozen {
    PyObject_HEAD
    hpspy_state *st;
    hpspy_snap *snap;          /* NULL for objects built from Python */
    PyObject *fields[N_FIELDS]; /* NULL: not read out yet */
} hpspy_frozen;

static PyObject *build_field(hpspy_frozen *self, int field)
{
    const hpspy_snap *snap = self->snap;
    if (snap == NULL)
        Py_RETURN_NONE;
    switch (field) {
    case F_NUMBER:
    case F_TRIAL_ID: /* numbers are unique within a study: the trial's id there */
        return PyLong_FromLongLong((long long)snap->number);
    case F_STATE:
        return hpspy_state_member(self->st, snap->state);
    case F_VALUES:
        return snap_values(snap);
    case F_DATETIME_START:
        return datetime_of(snap->start);
    case F_DATETIME_COMPLETE:
        return datetime_of(snap->complete);
    case F_PARAMS:
        return hpspy_snap_params(snap);
    case F_DISTRIBUTIONS:
        return snap_distributions(self->st, snap);
    case F_USER_ATTRS:
        return hpspy_json_loads(self->st, snap->user_attrs);
    case F_SYSTEM_ATTRS:
        return hpspy_json_loads(self->st, snap->system_attrs);
    case F_INTERMEDIATE:
        return snap_intermediate(snap);
    default:
        break;
    }
    Py_RETURN_NONE;
}

static PyObject *frozen_get(PyObject *obj, void *closure)
{
    hpspy_frozen *self = (hpspy_frozen *)obj;
    int field = (int)(intptr_t)closure;
    if (self->fields[field] == NULL) {
        if (self->snap == NULL)
            Py_RETURN_NONE;
        PyObject *value = build_field(self, field);
        if (value == NULL)
            return NULL;
        /* A collection during build_field may have run code that read it meanwhile. */
        if (self->fields[field] == NULL)
            self->fields[field] = value;
        else
            Py_DECREF(value);
    }
    return Py_NewRef(self->fields[field]);
}

static int frozen_set(PyObject *obj, PyObject *value, void *closure)
{
    hpspy_frozen *self = (hpspy_frozen *)obj;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "FrozenTrial fields cannot be deleted");
        return -1;
    }
    Py_XSETREF(self->fields[(int)(intptr_t)closure], Py_NewRef(value));
    return 0;
}

#define FIELD(name, index, doc)                                                          \
    {name, frozen_get, frozen_set, PyDoc_STR(doc), (void *)(intptr_t)(index)}

static PyGetSetDef frozen_getset[] = {
    FIELD("number", F_NUMBER, "Number of the trial, consecutive and unique in its study."),
    FIELD("_number", F_NUMBER, NULL),
    FIELD("state", F_STATE, "TrialState of the trial."),
    FIELD("_values", F_VALUES, "Objective values (a list), or None."),
    FIELD("datetime_start", F_DATETIME_START, "When the trial started (None while WAITING)."),
    FIELD("_datetime_start", F_DATETIME_START, NULL),
    FIELD("datetime_complete", F_DATETIME_COMPLETE, "When the trial finished, or None."),
    FIELD("params", F_PARAMS, "Dictionary of the suggested parameters."),
    FIELD("_params", F_PARAMS, NULL),
    FIELD("distributions", F_DISTRIBUTIONS, "Dictionary of the parameters' distributions."),
    FIELD("_distributions", F_DISTRIBUTIONS, NULL),
    FIELD("user_attrs", F_USER_ATTRS, "Dictionary of user attributes."),
    FIELD("_user_attrs", F_USER_ATTRS, NULL),
    FIELD("system_attrs", F_SYSTEM_ATTRS, "Dictionary of attributes the engine set."),
    FIELD("_system_attrs", F_SYSTEM_ATTRS, NULL),
    FIELD("intermediate_values", F_INTERMEDIATE, "Dictionary {step: reported value}."),
    FIELD("_trial_id", F_TRIAL_ID, "Identifier of the trial (its number)."),
    FIELD("trial_id", F_TRIAL_ID, "Identifier of the trial (its number)."),
    {NULL, NULL, NULL, NULL, NULL},
};

PyObject *hpspy_frozen_new(hpspy_state *st, hpspy_snap *snap)
{
    PyTypeObject *cls = (PyTypeObject *)st->frozen_class;
    if (cls == NULL) { /* the module is being torn down */
        hpspy_snap_free(snap);
        PyErr_SetString(PyExc_RuntimeError, "hpsearch._core is shutting down");
        return NULL;
    }
    hpspy_frozen *self = (hpspy_frozen *)cls->tp_alloc(cls, 0);
    if (self == NULL) {
        hpspy_snap_free(snap);
        return NULL;
    }
    self->st = st;
    self->snap = snap;
    return (PyObject *)self;
}

static PyObject *frozen_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)args;
    (void)kwargs;
    hpspy_state *st = hpspy_state_of_type(type);
    if (st == NULL)
        return NULL;
    hpspy_frozen *self = (hpspy_frozen *)type->tp_alloc(type, 0);
    if (self != NULL)
        self->st = st;
    return (PyObject *)self;
}

static int frozen_traverse(PyObject *obj, visitproc visit, void *arg)
{
    hpspy_frozen *self = (hpspy_frozen *)obj;
    Py_VISIT(Py_TYPE(obj));
    for (int i = 0; i < N_FIELDS; i++)
        Py_VISIT(self->fields[i]);
    return 0;
}

static int frozen_clear(PyObject *obj)
{
    hpspy_frozen *self = (hpspy_frozen *)obj;
    for (int i = 0; i < N_FIELDS; i++)
        Py_CLEAR(self->fields[i]);
    return 0;
}

static void frozen_dealloc(PyObject *obj)
{
    hpspy_frozen *self = (hpspy_frozen *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    frozen_clear(obj);
    hpspy_snap_free(self->snap);
    self->snap = NULL;
    type->tp_free(obj);
    Py_DECREF(type);
}

static PyType_Slot frozen_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("The engine's part of hpsearch.trial.FrozenTrial.")},
    {Py_tp_new, (void *)frozen_tp_new},
    {Py_tp_dealloc, (void *)frozen_dealloc},
    {Py_tp_traverse, (void *)frozen_traverse},
    {Py_tp_clear, (void *)frozen_clear},
    {Py_tp_getset, frozen_getset},
    {0, NULL},
};

PyType_Spec hpspy_frozen_spec = {
    .name = "hpsearch._core.FrozenTrial",
    .basicsize = sizeof(hpspy_frozen),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = frozen_slots,
};
