/* study.c -- Study: one open hps_study handle, its lock, ask and tell.
 *
 * The Python class hpsearch.study.Study derives from this type and adds what is easier
 * in Python (optimize, dataframes, summaries); everything on the path of a trial (ask,
 * suggest, tell) stays here, so that the Python layer adds microseconds, not the
 * engine's cost again. */
#include "hpsearch_py.h"

#include <math.h>
#include <string.h>

/* The library accepts at most this many objectives. */
#define MAX_OBJECTIVES 64
#define MAX_CONSTRAINTS 64 /* hps_trial_set_constraints' limit */

static int check_open(hpspy_study *self)
{
    if (self->study == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the study is not open");
        return -1;
    }
    return 0;
}

PyObject *hpspy_study_directions(hpspy_study *self)
{
    if (check_open(self) < 0)
        return NULL;
    PyObject *tuple = PyTuple_New((Py_ssize_t)self->n_directions);
    for (size_t i = 0; tuple != NULL && i < self->n_directions; i++) {
        PyObject *code = PyLong_FromLong((long)hps_study_direction(self->study, i));
        if (code == NULL)
            Py_CLEAR(tuple);
        else
            PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, code);
    }
    return tuple;
}

/* ---- opening and options ---------------------------------------------------------- */

static PyObject *study_open(PyObject *obj, PyObject *args)
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *url, *name;
    int create, load;
    PyObject *directions = Py_None;
    if (!PyArg_ParseTuple(args, "sspp|O:_open", &url, &name, &create, &load, &directions))
        return NULL;
    if (self->study != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the study is already open");
        return NULL;
    }
    hps_direction dirs[MAX_OBJECTIVES];
    size_t n_dirs = 0;
    if (directions != Py_None) {
        PyObject *seq = PySequence_Fast(directions, "directions must be a sequence");
        if (seq == NULL)
            return NULL;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n > MAX_OBJECTIVES) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_ValueError, "at most %d objectives are supported", MAX_OBJECTIVES);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            long code = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
            if (code == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                return NULL;
            }
            dirs[i] = code == 1 ? HPS_MAXIMIZE : HPS_MINIMIZE;
        }
        n_dirs = (size_t)n;
        Py_DECREF(seq);
    }
    unsigned flags = (create ? HPS_OPEN_CREATE : 0u) | (load ? HPS_OPEN_LOAD : 0u);
    char msg[HPSPY_MSG_SIZE] = "";
    hps_study *study = NULL;
    hps_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = hps_study_open(url, name, flags, n_dirs > 0 ? dirs : NULL, n_dirs, &study, msg,
                        sizeof msg);
    Py_END_ALLOW_THREADS
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    self->study = study;
    self->persistent = strcmp(url, ":memory:") != 0;
    self->n_directions = hps_study_n_directions(study);
    Py_RETURN_NONE;
}

/* A study call taking two strings (an option and its value, a parameter and its
 * prior), under the study's lock, its message raised on failure. */
static PyObject *study_call_with_strings(PyObject *obj, PyObject *args, const char *format,
                                         hps_status (*call)(hps_study *, const char *,
                                                            const char *))
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *first, *second;
    if (!PyArg_ParseTuple(args, format, &first, &second))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = call(self->study, first, second);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    Py_RETURN_NONE;
}

static PyObject *study_set(PyObject *obj, PyObject *args)
{
    return study_call_with_strings(obj, args, "ss:_set", hps_study_set);
}

static PyObject *study_set_prior(PyObject *obj, PyObject *args)
{
    return study_call_with_strings(obj, args, "ss:_set_prior", hps_study_set_prior);
}

/* Adds one grid parameter: `values` is a sequence of str/int/float/bool. */
static int grid_add(hps_sampler *sampler, PyObject *name_obj, PyObject *values)
{
    if (!PyUnicode_Check(name_obj)) {
        PyErr_SetString(PyExc_TypeError, "grid parameter names must be str");
        return -1;
    }
    const char *name = PyUnicode_AsUTF8(name_obj);
    if (name == NULL)
        return -1;
    PyObject *seq = PySequence_Fast(values, "grid values must be a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    hps_value *items = PyMem_New(hps_value, (size_t)(n > 0 ? n : 1));
    int rc = -1;
    if (items == NULL) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hpspy_value_from_py(PySequence_Fast_GET_ITEM(seq, i), &items[i], name, i) < 0)
            goto out;
    }
    hps_status st = hps_sampler_grid_add(sampler, name, items, (size_t)n);
    if (st != HPS_OK) {
        char msg[HPSPY_MSG_SIZE];
        hpspy_copy_msg(msg, hps_sampler_errmsg(sampler));
        PyErr_SetString(st == HPS_ERR_NOMEM ? PyExc_MemoryError : PyExc_ValueError, msg);
        goto out;
    }
    rc = 0;
out:
    PyMem_Free(items);
    Py_DECREF(seq);
    return rc;
}

/* Hands `sampler` to the study, which owns it from here on, even when this fails; its
 * relay when it is a Python sampler's. -1 with an exception set on error. */
static int install_sampler(hpspy_study *self, hps_sampler *sampler, hpspy_relay *relay)
{
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_set_sampler(self->study, sampler);
        if (rc == HPS_OK)
            self->relay = relay;
        else
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK) {
        hpspy_raise(self->st, rc, msg);
        return -1;
    }
    return 0;
}

static PyObject *study_set_sampler(PyObject *obj, PyObject *args)
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *name;
    PyObject *options, *grid = Py_None;
    if (!PyArg_ParseTuple(args, "sO!|O:_set_sampler", &name, &PyDict_Type, &options, &grid))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    char msg[HPSPY_MSG_SIZE] = "";
    hps_sampler *sampler = NULL;
    hps_status rc = hps_sampler_new(name, &sampler, msg, sizeof msg);
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(options, &pos, &key, &value)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        const char *v = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
        if (k == NULL || v == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "sampler options must be str: str");
            goto fail;
        }
        rc = hps_sampler_set(sampler, k, v);
        if (rc != HPS_OK) {
            hpspy_copy_msg(msg, hps_sampler_errmsg(sampler));
            hpspy_raise(self->st, rc, msg);
            goto fail;
        }
    }
    if (grid != Py_None) {
        PyObject *seq = PySequence_Fast(grid, "grid must be a sequence of (name, values)");
        if (seq == NULL)
            goto fail;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "grid entries must be (name, values) tuples");
                Py_DECREF(seq);
                goto fail;
            }
            if (grid_add(sampler, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0) {
                Py_DECREF(seq);
                goto fail;
            }
        }
        Py_DECREF(seq);
    }
    if (install_sampler(self, sampler, NULL) < 0)
        return NULL;
    Py_CLEAR(self->py_sampler);
    Py_RETURN_NONE;
fail:
    hps_sampler_free(sampler);
    return NULL;
}

/* A sampler written in Python: the engine samples through a relay (plugins.c), and
 * ask, suggest and tell call the object's methods. */
static PyObject *study_set_python_sampler(PyObject *obj, PyObject *sampler_obj)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    char msg[HPSPY_MSG_SIZE] = "";
    hps_sampler *sampler = NULL;
    hpspy_relay *relay = NULL;
    hps_status rc = hpspy_relay_sampler_new(&sampler, &relay, msg);
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    /* The object first: a thread that finds the relay asking must find the object too
     * (while the engine still holds its previous sampler, that one draws). */
    PyObject *previous = self->py_sampler;
    self->py_sampler = Py_NewRef(sampler_obj);
    if (install_sampler(self, sampler, relay) < 0) {
        Py_SETREF(self->py_sampler, previous);
        return NULL;
    }
    Py_XDECREF(previous);
    Py_RETURN_NONE;
}

/* The constraints_func of the engine sampler (None: none): tell calls it as Optuna's
 * samplers do after each trial and records its values as the trial's constraints. */
static PyObject *study_set_constraints_func(PyObject *obj, PyObject *func)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (func != Py_None && !PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "constraints_func must be callable, not %s",
                     Py_TYPE(func)->tp_name);
        return NULL;
    }
    Py_XSETREF(self->constraints_func, func != Py_None ? Py_NewRef(func) : NULL);
    Py_RETURN_NONE;
}

/* The hook run after each suggestion the engine sampler drew independently (None: none):
 * how CmaEsSampler(warn_independent_sampling=True) learns of them. */
static PyObject *study_set_independent_hook(PyObject *obj, PyObject *func)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (func != Py_None && !PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "the independent-sampling hook must be callable, not %s",
                     Py_TYPE(func)->tp_name);
        return NULL;
    }
    Py_XSETREF(self->independent_hook, func != Py_None ? Py_NewRef(func) : NULL);
    Py_RETURN_NONE;
}

/* A pruner from its description (name, {option: text}, inner description or None);
 * NULL with an exception set on error. */
static hps_pruner *build_pruner(hpspy_study *self, PyObject *spec, int depth)
{
    const char *name;
    PyObject *options, *inner = Py_None;
    if (depth > 8) {
        PyErr_SetString(PyExc_ValueError, "pruners are nested too deeply");
        return NULL;
    }
    if (!PyTuple_Check(spec) ||
        !PyArg_ParseTuple(spec, "sO!|O:pruner", &name, &PyDict_Type, &options, &inner)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a pruner is described by (name, options, inner)");
        return NULL;
    }
    char msg[HPSPY_MSG_SIZE] = "";
    hps_pruner *pruner = NULL;
    hps_status rc = hps_pruner_new(name, &pruner, msg, sizeof msg);
    if (rc != HPS_OK) {
        hpspy_raise(self->st, rc, msg);
        return NULL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(options, &pos, &key, &value)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        const char *v = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
        if (k == NULL || v == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "pruner options must be str: str");
            goto fail;
        }
        rc = hps_pruner_set(pruner, k, v);
        if (rc != HPS_OK) {
            hpspy_copy_msg(msg, hps_pruner_errmsg(pruner));
            hpspy_raise(self->st, rc, msg);
            goto fail;
        }
    }
    if (inner != Py_None) {
        hps_pruner *wrapped = build_pruner(self, inner, depth + 1);
        if (wrapped == NULL)
            goto fail;
        rc = hps_pruner_wrap(pruner, wrapped); /* takes `wrapped` over, even on error */
        if (rc != HPS_OK) {
            hpspy_copy_msg(msg, hps_pruner_errmsg(pruner));
            hpspy_raise(self->st, rc, msg);
            goto fail;
        }
    }
    return pruner;
fail:
    hps_pruner_free(pruner);
    return NULL;
}

/* Hands `pruner` to the study, which owns it from here on, even when this fails. -1
 * with an exception set on error. */
static int install_pruner(hpspy_study *self, hps_pruner *pruner)
{
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_set_pruner(self->study, pruner);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK) {
        hpspy_raise(self->st, rc, msg);
        return -1;
    }
    return 0;
}

static PyObject *study_set_pruner(PyObject *obj, PyObject *spec)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    hps_pruner *pruner = build_pruner(self, spec, 0);
    if (pruner == NULL || install_pruner(self, pruner) < 0)
        return NULL;
    Py_CLEAR(self->py_pruner);
    /* the engine refuses a pruner of one objective on such a study: any other but
     * "none" ranks them */
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0));
    if (name == NULL)
        return NULL;
    self->ranks_objectives = self->n_directions > 1 && strcmp(name, "none") != 0;
    Py_RETURN_NONE;
}

/* A pruner written in Python: Trial.should_prune asks it, and the engine's own pruner
 * is "none" so that nothing else prunes. */
static PyObject *study_set_python_pruner(PyObject *obj, PyObject *pruner_obj)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    char msg[HPSPY_MSG_SIZE] = "";
    hps_pruner *pruner = NULL;
    hps_status rc = hps_pruner_new("none", &pruner, msg, sizeof msg);
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    if (install_pruner(self, pruner) < 0)
        return NULL;
    Py_XSETREF(self->py_pruner, Py_NewRef(pruner_obj));
    Py_RETURN_NONE;
}

/* ---- ask ---------------------------------------------------------------------------- */

static int apply_pending_attrs(hpspy_study *self, PyObject *trial, int64_t number)
{
    PyObject *key = PyLong_FromLongLong((long long)number);
    if (key == NULL)
        return -1;
    PyObject *attrs = PyDict_GetItemWithError(self->pending_attrs, key);
    if (attrs == NULL) {
        Py_DECREF(key);
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_INCREF(attrs);
    int rc = PyDict_DelItem(self->pending_attrs, key);
    Py_DECREF(key);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (rc == 0 && PyDict_Next(attrs, &pos, &k, &v)) {
        PyObject *done = PyObject_CallMethod(trial, "set_user_attr", "OO", k, v);
        if (done == NULL)
            rc = -1;
        Py_XDECREF(done);
    }
    Py_DECREF(attrs);
    return rc;
}

static int suggest_fixed(PyObject *trial, PyObject *fixed)
{
    PyObject *items = PyMapping_Items(fixed);
    if (items == NULL)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(items); i++) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        PyObject *done = PyObject_CallMethod(trial, "_suggest_distribution", "OO",
                                             PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1));
        if (done == NULL)
            rc = -1;
        Py_XDECREF(done);
    }
    Py_DECREF(items);
    return rc;
}

/* Records a trial whose sampler failed as it started FAIL (interrupted, as the engine
 * does when its own sampling fails), the exception set meanwhile kept as it is. */
static void give_back_trial(hpspy_study *self, hpspy_trial *trial, PyObject *sampler)
{
    hpspy_saved_error error;
    hpspy_error_save(&error);
    PyObject *reason = PyUnicode_FromFormat("the sampler (%s) raised %s: %S when the trial "
                                            "started",
                                            Py_TYPE(sampler)->tp_name,
                                            Py_TYPE(error.value)->tp_name, error.value);
    const char *text = reason != NULL ? PyUnicode_AsUTF8(reason) : NULL;
    PyErr_Clear(); /* a reason that cannot be formatted falls back to a plain one */
    char reason_text[HPSPY_MSG_SIZE];
    hpspy_copy_msg(reason_text, text != NULL ? text : "the sampler raised when the trial started");
    Py_XDECREF(reason);
    /* Best effort: the sampler may have finished the trial itself. */
    HPSPY_LOCKED(self, hps_trial_interrupt(trial->trial, reason_text));
    hpspy_error_restore(&error);
}

/* Optuna's Trial._init_relative_params for a sampler written in Python. */
static int start_python_sampler(hpspy_study *self, hpspy_trial *trial)
{
    PyObject *sampler = Py_NewRef(self->py_sampler);
    PyObject *done = PyObject_CallMethod((PyObject *)trial, "_sampler_start", "O", sampler);
    if (done == NULL)
        give_back_trial(self, trial, sampler);
    Py_XDECREF(done);
    Py_DECREF(sampler);
    return done != NULL ? 0 : -1;
}

static PyObject *study_ask(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    static const char *const names[] = {"fixed_distributions"};
    PyObject *a[1];
    hpspy_study *self = (hpspy_study *)obj;
    if (hpspy_parse_args("ask", args, nargs, kwnames, names, 1, 1, 0, a) < 0)
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    hps_trial *handle = NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_ask(self->study, &handle);
        if (rc != HPS_OK && rc != HPS_DONE)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc == HPS_DONE) {
        PyErr_Format(self->st->exc_done != NULL ? self->st->exc_done : PyExc_RuntimeError,
                     "study '%s' has nothing left to ask: its grid is exhausted or its trial "
                     "budget is spent",
                     hps_study_name(self->study));
        return NULL;
    }
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    PyObject *trial = hpspy_trial_new(self, handle);
    if (trial == NULL)
        return NULL;
    if (self->pending_attrs != NULL && PyDict_GET_SIZE(self->pending_attrs) > 0 &&
        apply_pending_attrs(self, trial, hps_trial_number(handle)) < 0)
        goto fail;
    if (self->py_sampler != NULL && start_python_sampler(self, (hpspy_trial *)trial) < 0)
        goto fail;
    if (a[0] != NULL && a[0] != Py_None) {
        int nonempty = PyObject_IsTrue(a[0]);
        if (nonempty < 0 || (nonempty && suggest_fixed(trial, a[0]) < 0))
            goto fail;
    }
    return trial;
fail:
    Py_DECREF(trial);
    return NULL;
}

/* ---- tell --------------------------------------------------------------------------- */

typedef struct tell_job {
    hps_trial *trial; /* the handle told through, or NULL to tell by number */
    int64_t number;
    hps_trial_state state;
    double values[MAX_OBJECTIVES];
    size_t n_values;
    const char *reason; /* fail reason (FAIL only) */
    int interrupted;
    int refuse;         /* 1: the arguments were bad; only look at the trial's state */
    int peek;           /* 1: only read the trial (snap), whatever its state */
    double constraints[MAX_CONSTRAINTS];
    size_t n_constraints;
    int has_constraints; /* 1: record the constraints before the state */
    /* results */
    int not_running;    /* the trial was not RUNNING: nothing was told */
    hps_trial_state was;
    hps_status rc;
    hpspy_snap *snap;
    char msg[HPSPY_MSG_SIZE];
} tell_job;

static hps_status finish_trial(hps_trial *t, const tell_job *job)
{
    if (job->state == HPS_FAIL && job->interrupted)
        return hps_trial_interrupt(t, job->reason);
    if (job->state == HPS_FAIL && job->reason != NULL)
        return hps_trial_fail(t, job->reason);
    return hps_trial_tell_values(t, job->state, job->values, job->n_values);
}

static void tell_locked(hps_study *study, tell_job *job)
{
    const hps_frozen *rec = NULL;
    if (job->trial != NULL) {
        rec = hps_trial_frozen(job->trial);
    } else {
        job->rc = hps_study_trial(study, job->number, &rec);
        if (job->rc != HPS_OK) {
            hpspy_copy_msg(job->msg, hps_study_errmsg(study));
            return;
        }
    }
    job->was = hps_frozen_state(rec);
    if (job->was != HPS_RUNNING || job->peek) {
        job->not_running = job->was != HPS_RUNNING;
        job->snap = hpspy_snap_take(rec);
        return;
    }
    if (job->refuse)
        return;
    if (job->trial != NULL) {
        hps_trial *t = job->trial;
        if (job->has_constraints)
            job->rc = hps_trial_set_constraints(t, job->constraints, job->n_constraints);
        if (job->rc == HPS_OK)
            job->rc = finish_trial(t, job);
        if (job->rc != HPS_OK) {
            hpspy_copy_msg(job->msg, hps_trial_errmsg(t));
            return;
        }
        job->snap = hpspy_snap_take(hps_trial_frozen(t));
        return;
    }
    job->rc = hps_study_tell_number(study, job->number, job->state, job->values, job->n_values);
    if (job->rc == HPS_OK)
        job->rc = hps_study_trial(study, job->number, &rec);
    if (job->rc != HPS_OK) {
        hpspy_copy_msg(job->msg, hps_study_errmsg(study));
        return;
    }
    job->snap = hpspy_snap_take(rec);
}

/* Optuna's _check_values_are_feasible: NULL when fine, else the message (new ref).
 * Fills job->values. */
static PyObject *feasibility(hpspy_study *self, PyObject *const *items, Py_ssize_t n,
                             tell_job *job)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = PyFloat_AsDouble(items[i]);
        if (v == -1.0 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError) &&
                !PyErr_ExceptionMatches(PyExc_ValueError))
                return NULL;
            PyErr_Clear();
            return PyUnicode_FromFormat("The value %R could not be cast to float.", items[i]);
        }
        if (isnan(v))
            return PyUnicode_FromFormat("The value %S is not acceptable.", items[i]);
        if (i < MAX_OBJECTIVES)
            job->values[i] = v;
    }
    if ((size_t)n != self->n_directions)
        return PyUnicode_FromFormat("The number of the values %zd did not match the number of "
                                    "the objectives %zu.",
                                    n, self->n_directions);
    job->n_values = (size_t)n;
    return NULL;
}

/* The trial `job` tells as stored, into *frozen: 1 when it is RUNNING, 0 (and NULL)
 * when it is not (tell reports that next), -1 with an exception set. */
static int peek_running(hpspy_study *self, const tell_job *job, PyObject **frozen)
{
    tell_job peek = *job;
    peek.peek = 1;
    peek.snap = NULL;
    *frozen = NULL;
    HPSPY_LOCKED(self, tell_locked(self->study, &peek));
    if (peek.rc != HPS_OK || peek.not_running) {
        hpspy_snap_free(peek.snap);
        return 0;
    }
    if (peek.snap == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *frozen = hpspy_frozen_new(self->st, peek.snap);
    return *frozen != NULL ? 1 : -1;
}

/* Constraint values as Optuna's _process_constraints_after_trial takes them: a list or
 * tuple of numbers (another iterable warns first), none NaN. 0 with job filled, else -1
 * with the exception set. (Optuna looks for NaN before warning; here a NaN in, say, a
 * numpy array warns before it raises.) */
static int take_constraints(PyObject *con, tell_job *job)
{
    if (!PyList_Check(con) && !PyTuple_Check(con) &&
        PyErr_WarnFormat(PyExc_UserWarning, 1,
                         "Constraints should be a sequence of floats but got %s.",
                         Py_TYPE(con)->tp_name) < 0)
        return -1;
    PyObject *items = PySequence_Tuple(con);
    if (items == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    if (n > MAX_CONSTRAINTS)
        PyErr_Format(PyExc_ValueError, "constraints_func returned %zd values (at most %d)", n,
                     MAX_CONSTRAINTS);
    for (Py_ssize_t i = 0; i < n && !PyErr_Occurred(); i++) {
        double v = PyFloat_AsDouble(PyTuple_GET_ITEM(items, i));
        if (isnan(v))
            PyErr_SetString(PyExc_ValueError, "Constraint values cannot be NaN.");
        job->constraints[i] = v;
    }
    Py_DECREF(items);
    if (PyErr_Occurred())
        return -1;
    job->n_constraints = (size_t)n;
    job->has_constraints = 1;
    return 0;
}

/* Optuna's _process_constraints_after_trial for an engine sampler given a
 * constraints_func: a trial told COMPLETE or PRUNED is passed to it as stored (still
 * RUNNING), and its values are recorded before the state. 0 when done or nothing to
 * do; -1 with the exception set when the function raised or its values are not
 * constraints: the trial is then told without them, as Optuna stores None, and tell
 * raises afterwards. -2: the trial must not be told (the exception says why). */
static int constraints_after_trial(hpspy_study *self, tell_job *job)
{
    if (job->state != HPS_COMPLETE && job->state != HPS_PRUNED)
        return 0;
    PyObject *frozen = NULL;
    int running = peek_running(self, job, &frozen);
    if (running <= 0)
        return running;
    if (job->trial == NULL) {
        Py_DECREF(frozen);
        PyErr_Format(PyExc_NotImplementedError,
                     "the sampler has a constraints_func: tell trial %lld through its Trial "
                     "object, not its number (hpsearch records constraints only through the "
                     "handle that asked the trial)",
                     (long long)job->number);
        return -2;
    }
    PyObject *func = Py_NewRef(self->constraints_func);
    PyObject *con = PyObject_CallOneArg(func, frozen);
    Py_DECREF(func);
    Py_DECREF(frozen);
    if (con == NULL)
        return -1;
    int rc = take_constraints(con, job);
    Py_DECREF(con);
    return rc;
}

/* Whether a RUNNING trial's record holds set_constraint values (system attributes
 * "constraints:KEY"). Looked for in the attributes' text, so a tell without them, in a
 * study without keys (study_has_constraint_keys), costs no call into Python. */
static int running_with_named(const hps_frozen *rec)
{
    return rec != NULL && hps_frozen_state(rec) == HPS_RUNNING &&
           strstr(hps_frozen_system_attrs(rec), "\"constraints:") != NULL;
}

/* Whether the study has set_constraint keys (its system attribute "constraint_keys"):
 * then a trial that set none is told with 0.0 for each, as one that set some gets for
 * the others. Read from the storage until seen (another process may add the first
 * key), then remembered: keys are only ever appended. Under the lock. */
static int study_has_constraint_keys(hpspy_study *self)
{
    const char *text = NULL;
    if (!self->has_constraint_keys && hps_study_system_attrs(self->study, &text) == HPS_OK)
        self->has_constraint_keys = strstr(text, "\"constraint_keys\"") != NULL;
    return self->has_constraint_keys;
}

/* The trial's set_constraint values laid out in the study's key order
 * (Study._lay_out_constraints, hpsearch/_constraints.py), into *named (a new reference,
 * NULL when it has none and the study has no keys; zeros when only the study has). A trial told by number that has some is refused, as with a
 * constraints_func: the engine records constraints only through the handle. 0, else -1
 * with the exception set. */
static int named_constraints(hpspy_study *self, PyObject *target, const tell_job *job,
                             PyObject **named)
{
    int found = 0;
    *named = NULL;
    if (job->trial != NULL) {
        HPSPY_LOCKED(self, {
            const hps_frozen *rec = hps_trial_frozen(job->trial);
            found = running_with_named(rec) ||
                    (hps_frozen_state(rec) == HPS_RUNNING && study_has_constraint_keys(self));
        });
    } else {
        HPSPY_LOCKED(self, {
            const hps_frozen *rec = NULL;
            found = hps_study_trial(self->study, job->number, &rec) == HPS_OK &&
                    running_with_named(rec);
        });
        if (found) {
            PyErr_Format(PyExc_NotImplementedError,
                         "trial %lld has set_constraint values: tell it through its Trial "
                         "object, not its number (hpsearch records constraints only through "
                         "the handle that asked the trial)",
                         (long long)job->number);
            return -1;
        }
        return 0;
    }
    if (!found)
        return 0;
    PyObject *laid_out = PyObject_CallMethod((PyObject *)self, "_lay_out_constraints", "O",
                                             target);
    if (laid_out == NULL)
        return -1;
    if (laid_out == Py_None)
        Py_DECREF(laid_out);
    else
        *named = laid_out;
    return 0;
}

/* The values of the trial's set_constraint keys in the study's order, appended after
 * what a constraints_func returned, so the engine gets one vector as it does from
 * constraints_func alone. Checked when they were set; a sequence of floats. 0, else -1
 * with the exception set. */
static int append_named_constraints(PyObject *named, tell_job *job)
{
    PyObject *items = PySequence_Tuple(named);
    if (items == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    size_t before = job->has_constraints ? job->n_constraints : 0;
    if ((size_t)n > MAX_CONSTRAINTS - before)
        PyErr_Format(PyExc_ValueError,
                     "trial %lld has %zu constraint values, %zu from constraints_func and %zd "
                     "for the study's set_constraint keys (hpsearch takes at most %d)",
                     (long long)job->number, before + (size_t)n, before, n, MAX_CONSTRAINTS);
    for (Py_ssize_t i = 0; i < n && !PyErr_Occurred(); i++)
        job->constraints[before + (size_t)i] = PyFloat_AsDouble(PyTuple_GET_ITEM(items, i));
    Py_DECREF(items);
    if (PyErr_Occurred())
        return -1;
    job->n_constraints = before + (size_t)n;
    job->has_constraints |= n > 0;
    return 0;
}

/* The trial's set_constraint values could not become one vector the engine takes (the
 * exception set: more than MAX_CONSTRAINTS values, say). Left RUNNING, the trial would
 * meet the same error at every tell, so it is told FAIL with the exception's text as its
 * reason, and tell raises the exception once the trial is stored. The exception goes to
 * *error. 0, else -1 with a new exception set. */
static int fail_unrecordable(tell_job *job, hpspy_saved_error *error, PyObject **reason)
{
    hpspy_error_save(error);
    *reason = PyObject_Str(error->value);
    job->reason = *reason != NULL ? PyUnicode_AsUTF8(*reason) : NULL;
    if (job->reason == NULL)
        return -1;
    job->state = HPS_FAIL;
    job->n_values = 0;
    job->has_constraints = 0;
    job->n_constraints = 0;
    return 0;
}

/* A Python sampler's after_trial, as Optuna's tell calls it: with the trial as stored
 * (still RUNNING), the state it is told and its values -- nothing when the trial is not
 * running, which tell reports next. -1 with the exception set when it raised. */
static int python_after_trial(hpspy_study *self, const tell_job *job)
{
    PyObject *frozen = NULL;
    int running = peek_running(self, job, &frozen);
    if (running <= 0)
        return running;
    PyObject *state = hpspy_state_member(self->st, job->state);
    PyObject *values = Py_NewRef(Py_None);
    if (job->state == HPS_COMPLETE) {
        Py_SETREF(values, PyList_New((Py_ssize_t)job->n_values));
        for (size_t i = 0; values != NULL && i < job->n_values; i++) {
            PyObject *v = PyFloat_FromDouble(job->values[i]);
            if (v == NULL)
                Py_CLEAR(values);
            else
                PyList_SET_ITEM(values, (Py_ssize_t)i, v);
        }
    }
    PyObject *sampler = Py_NewRef(self->py_sampler);
    PyObject *done = NULL;
    if (frozen != NULL && state != NULL && values != NULL)
        done = PyObject_CallMethod((PyObject *)self, "_sampler_after_trial", "OOOO", sampler,
                                   frozen, state, values);
    Py_DECREF(sampler);
    Py_XDECREF(frozen);
    Py_XDECREF(state);
    Py_XDECREF(values);
    Py_XDECREF(done);
    return done != NULL ? 0 : -1;
}

static PyObject *study_tell(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames)
{
    static const char *const names[] = {"trial",        "values",       "state",
                                        "skip_if_finished", "_fail_reason", "_interrupted",
                                        "_warn"};
    PyObject *a[7];
    hpspy_study *self = (hpspy_study *)obj;
    if (hpspy_parse_args("tell", args, nargs, kwnames, names, 7, 4, 1, a) < 0)
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    tell_job job = {.rc = HPS_OK};
    hpspy_saved_error after_error = {NULL, NULL, NULL}; /* after_trial's exception */
    hpspy_saved_error record_error = {NULL, NULL, NULL}; /* constraints not recordable */
    PyObject *record_reason = NULL; /* its text: the trial's fail reason */
    PyObject *arg_error = NULL; /* ValueError message for a running trial */
    PyObject *fail_message = NULL; /* state inferred as FAIL: the reason */
    PyObject *result = NULL;
    PyObject *named = NULL; /* the trial's set_constraint values, laid out */
    int skip = a[3] != NULL ? PyObject_IsTrue(a[3]) : 0;
    int warn = a[6] != NULL ? PyObject_IsTrue(a[6]) : 1;
    job.interrupted = a[5] != NULL ? PyObject_IsTrue(a[5]) : 0;
    if (skip < 0 || warn < 0 || job.interrupted < 0)
        return NULL;

    /* which trial */
    PyObject *target = a[0];
    if (PyObject_TypeCheck(target, self->st->trial_type)) {
        hpspy_trial *t = (hpspy_trial *)target;
        if (t->study != self) {
            PyErr_Format(PyExc_ValueError, "trial %lld belongs to another Study object",
                         (long long)t->number);
            return NULL;
        }
        if (t->trial == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "this trial handle is closed");
            return NULL;
        }
        job.trial = t->trial;
        job.number = t->number;
    } else if (PyLong_Check(target)) {
        long long number = PyLong_AsLongLong(target);
        if (number == -1 && PyErr_Occurred())
            return NULL;
        job.number = (int64_t)number;
    } else {
        PyErr_SetString(PyExc_TypeError, "Trial must be a trial object or trial number.");
        return NULL;
    }

    /* which state */
    int have_state = a[2] != NULL && a[2] != Py_None;
    if (have_state && hpspy_state_from_py(a[2], &job.state) < 0)
        return NULL;
    PyObject *values = a[1] != NULL ? a[1] : Py_None;
    int have_values = values != Py_None;

    /* the values: a list or tuple (or str, as Optuna's Sequence test has it), else one */
    PyObject *seq = NULL;
    PyObject *const *items = &values;
    Py_ssize_t n_items = have_values ? 1 : 0;
    if (PyList_Check(values) || PyTuple_Check(values) || PyUnicode_Check(values)) {
        seq = PySequence_Fast(values, "values");
        if (seq == NULL)
            return NULL;
        items = PySequence_Fast_ITEMS(seq);
        n_items = PySequence_Fast_GET_SIZE(seq);
    }

    if (have_state && job.state == HPS_COMPLETE) {
        if (!have_values)
            arg_error = PyUnicode_FromString("No values were told. Values are required when "
                                             "state is TrialState.COMPLETE.");
        else
            arg_error = feasibility(self, items, n_items, &job);
    } else if (have_state && (job.state == HPS_PRUNED || job.state == HPS_FAIL)) {
        if (have_values)
            arg_error = PyUnicode_FromString("Values were told. Values cannot be specified when "
                                             "state is TrialState.PRUNED or TrialState.FAIL.");
    } else if (have_state) {
        arg_error = PyUnicode_FromFormat("Cannot tell with state %R.", a[2]);
    } else {
        fail_message = have_values ? feasibility(self, items, n_items, &job)
                                   : PyUnicode_FromString("The value None could not be cast "
                                                          "to float.");
        job.state = fail_message == NULL ? HPS_COMPLETE : HPS_FAIL;
    }
    if (PyErr_Occurred())
        goto out;
    if (job.state == HPS_FAIL) {
        job.n_values = 0;
        PyObject *reason = a[4] != NULL && a[4] != Py_None ? a[4] : fail_message;
        if (reason != NULL) {
            if (!PyUnicode_Check(reason)) {
                PyErr_SetString(PyExc_TypeError, "_fail_reason must be a str");
                goto out;
            }
            job.reason = PyUnicode_AsUTF8(reason);
            if (job.reason == NULL)
                goto out;
        }
    }
    job.refuse = arg_error != NULL;
    /* A resumed trial interrupted goes back to PAUSED (hps_trial_interrupt): it has not
     * ended, so the hooks that see a trial end are not called, as for a pause; otherwise
     * a sampler would see it end FAIL now and COMPLETE later. */
    int pauses_again = job.interrupted && job.state == HPS_FAIL && job.trial != NULL &&
                       hps_trial_resume_step(job.trial) >= 0;

    if (!job.refuse && named_constraints(self, target, &job, &named) < 0) {
        if (job.trial == NULL) /* told by number: refused, the trial stays RUNNING */
            goto out;
        if (fail_unrecordable(&job, &record_error, &record_reason) < 0)
            goto out;
    }

    /* Optuna's tell stores the trial even when the sampler's after_trial raises, and
     * raises its exception then. */
    if (self->constraints_func != NULL && !job.refuse && !pauses_again) {
        int rc = constraints_after_trial(self, &job);
        if (rc == -2)
            goto out;
        if (rc < 0)
            hpspy_error_save(&after_error);
    }
    if (named != NULL && record_error.value == NULL &&
        append_named_constraints(named, &job) < 0 &&
        fail_unrecordable(&job, &record_error, &record_reason) < 0)
        goto out;
    if (self->py_sampler != NULL && !job.refuse && !pauses_again &&
        python_after_trial(self, &job) < 0)
        hpspy_error_save(&after_error);

    HPSPY_LOCKED(self, tell_locked(self->study, &job));
    /* The user's exception first (constraints_func's or after_trial's); the trial's fail
     * reason then keeps the record error's text. */
    if (after_error.value != NULL) {
        hpspy_error_restore(&after_error);
        goto out;
    }
    if (record_error.value != NULL && job.rc == HPS_OK && !job.not_running) {
        hpspy_error_restore(&record_error);
        goto out;
    }

    if (job.rc != HPS_OK) {
        if (job.trial == NULL && job.rc == HPS_ERR_NOTFOUND)
            PyErr_Format(PyExc_ValueError,
                         "Cannot tell for trial with number %lld since it has not been created.",
                         (long long)job.number);
        else
            hpspy_raise(self->st, job.rc == HPS_ERR_STATE ? HPS_ERR_INVALID : job.rc, job.msg);
        goto out;
    }
    if (job.not_running) {
        if (skip && job.was != HPS_WAITING) {
            result = job.snap != NULL ? hpspy_frozen_new(self->st, job.snap) : PyErr_NoMemory();
            job.snap = NULL;
            goto out;
        }
        PyErr_Format(PyExc_ValueError, "Cannot tell a %s trial.", hps_trial_state_name(job.was));
        goto out;
    }
    if (arg_error != NULL) {
        PyErr_SetObject(PyExc_ValueError, arg_error);
        goto out;
    }
    if (job.snap == NULL) {
        PyErr_SetString(PyExc_MemoryError, "out of memory reading the told trial back");
        goto out;
    }
    result = hpspy_frozen_new(self->st, job.snap);
    job.snap = NULL;
    if (result != NULL && fail_message != NULL && warn &&
        PyErr_WarnEx(PyExc_UserWarning, PyUnicode_AsUTF8(fail_message), 1) < 0)
        Py_CLEAR(result);
out:
    hpspy_error_discard(&after_error);
    hpspy_error_discard(&record_error);
    Py_XDECREF(record_reason);
    hpspy_snap_free(job.snap);
    Py_XDECREF(named);
    Py_XDECREF(seq);
    Py_XDECREF(arg_error);
    Py_XDECREF(fail_message);
    return result;
}

/* ---- reading trials ---------------------------------------------------------------- */

static PyObject *study_trial(PyObject *obj, PyObject *arg)
{
    hpspy_study *self = (hpspy_study *)obj;
    long long number = PyLong_AsLongLong(arg);
    if (number == -1 && PyErr_Occurred())
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    hpspy_snap *snap = NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        const hps_frozen *rec = NULL;
        rc = hps_study_trial(self->study, (int64_t)number, &rec);
        if (rc == HPS_OK)
            snap = hpspy_snap_take(rec);
        else
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return snap != NULL ? hpspy_frozen_new(self->st, snap) : PyErr_NoMemory();
}

typedef struct list_job {
    unsigned mask; /* bit per hps_trial_state */
    hpspy_snap **snaps;
    size_t n;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE];
} list_job;

static void list_locked(hps_study *study, list_job *job)
{
    size_t total = 0;
    job->rc = hps_study_n_trials(study, &total);
    if (job->rc != HPS_OK)
        goto fail;
    if (total == 0)
        return;
    job->snaps = PyMem_RawCalloc(total, sizeof *job->snaps);
    if (job->snaps == NULL) {
        job->rc = HPS_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < total; i++) {
        const hps_frozen *rec = NULL;
        job->rc = hps_study_trial(study, (int64_t)i, &rec);
        if (job->rc == HPS_ERR_NOTFOUND) { /* a gap while another process writes */
            job->rc = HPS_OK;
            continue;
        }
        if (job->rc != HPS_OK)
            goto fail;
        if (!(job->mask & (1u << (unsigned)hps_frozen_state(rec))))
            continue;
        job->snaps[job->n] = hpspy_snap_take(rec);
        if (job->snaps[job->n] == NULL) {
            job->rc = HPS_ERR_NOMEM;
            return;
        }
        job->n++;
    }
    return;
fail:
    hpspy_copy_msg(job->msg, hps_study_errmsg(study));
}

/* A list of FrozenTrial over `snaps[0..n)` when `wanted` (NULL on error); frees
 * the snapshots it did not take over and the array either way. */
static PyObject *frozen_list(hpspy_state *st, hpspy_snap **snaps, int wanted, size_t n)
{
    PyObject *list = wanted ? PyList_New((Py_ssize_t)n) : NULL;
    size_t used = 0;
    for (; list != NULL && used < n; used++) {
        PyObject *frozen = hpspy_frozen_new(st, snaps[used]);
        if (frozen == NULL) {
            Py_CLEAR(list);
            used++; /* that snapshot was taken over and freed */
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)used, frozen);
    }
    for (size_t i = used; i < n; i++)
        hpspy_snap_free(snaps[i]);
    PyMem_RawFree(snaps);
    return list;
}

static PyObject *study_trials(PyObject *obj, PyObject *args)
{
    hpspy_study *self = (hpspy_study *)obj;
    unsigned mask = 0x3f;
    if (!PyArg_ParseTuple(args, "|I:_trials", &mask))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    list_job job = {.mask = mask, .rc = HPS_OK};
    HPSPY_LOCKED(self, list_locked(self->study, &job));
    if (job.rc != HPS_OK) {
        frozen_list(self->st, job.snaps, 0, job.n);
        return hpspy_raise(self->st, job.rc, job.msg);
    }
    return frozen_list(self->st, job.snaps, 1, job.n);
}

static PyObject *study_best(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    hpspy_snap *snap = NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        const hps_frozen *rec = NULL;
        rc = hps_study_best_trial(self->study, &rec);
        if (rc == HPS_OK)
            snap = hpspy_snap_take(rec);
        else
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc == HPS_ERR_NOTFOUND) {
        PyErr_SetString(PyExc_ValueError, "No trials are completed yet.");
        return NULL;
    }
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return snap != NULL ? hpspy_frozen_new(self->st, snap) : PyErr_NoMemory();
}

static void best_trials_locked(hps_study *study, list_job *job)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    job->rc = hps_study_best_trials(study, &numbers, &n);
    if (job->rc != HPS_OK) {
        hpspy_copy_msg(job->msg, hps_study_errmsg(study));
        return;
    }
    job->snaps = n > 0 ? PyMem_RawCalloc(n, sizeof *job->snaps) : NULL;
    if (n > 0 && job->snaps == NULL)
        job->rc = HPS_ERR_NOMEM;
    for (size_t i = 0; job->rc == HPS_OK && i < n; i++) {
        const hps_frozen *rec = NULL;
        job->rc = hps_study_trial(study, numbers[i], &rec);
        if (job->rc != HPS_OK) {
            hpspy_copy_msg(job->msg, hps_study_errmsg(study));
            break;
        }
        job->snaps[i] = hpspy_snap_take(rec);
        if (job->snaps[i] == NULL)
            job->rc = HPS_ERR_NOMEM;
        else
            job->n++;
    }
    hps_free(numbers);
}

/* The engine's best trials (hps_study_best_trials): the feasible Pareto set, or the
 * trials tied for the best value of one objective. */
static PyObject *study_best_trials(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    list_job job = {.rc = HPS_OK};
    HPSPY_LOCKED(self, best_trials_locked(self->study, &job));
    if (job.rc != HPS_OK) {
        frozen_list(self->st, job.snaps, 0, job.n);
        return hpspy_raise(self->st, job.rc, job.msg);
    }
    return frozen_list(self->st, job.snaps, 1, job.n);
}

static PyObject *study_count_states(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    size_t counts[5] = {0};
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_count_states(self->study, counts);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return Py_BuildValue("(nnnnn)", (Py_ssize_t)counts[0], (Py_ssize_t)counts[1],
                         (Py_ssize_t)counts[2], (Py_ssize_t)counts[3], (Py_ssize_t)counts[4]);
}

static PyObject *study_full_step(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    int64_t step;
    HPSPY_LOCKED(self, { step = hps_pruner_full_step(hps_study_pruner(self->study)); });
    if (step < 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)step);
}

static PyObject *study_n_trials(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    size_t n = 0;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_n_trials(self->study, &n);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return PyLong_FromSize_t(n);
}

/* ---- enqueue, attributes, recovery -------------------------------------------------- */

static PyObject *study_enqueue(PyObject *obj, PyObject *args)
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *params_json;
    PyObject *user_attrs = Py_None;
    if (!PyArg_ParseTuple(args, "s|O:_enqueue", &params_json, &user_attrs))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    int64_t number = -1;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_enqueue(self->study, params_json, &number);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    PyObject *key = PyLong_FromLongLong((long long)number);
    if (key == NULL)
        return NULL;
    /* The library keeps no user attributes on an enqueued trial: this handle applies
     * them when it asks that trial. */
    int keep = user_attrs != Py_None && self->pending_attrs != NULL ? PyObject_IsTrue(user_attrs)
                                                                     : 0;
    if (keep < 0 || (keep && PyDict_SetItem(self->pending_attrs, key, user_attrs) < 0)) {
        Py_DECREF(key);
        return NULL;
    }
    return key;
}

/* A whole trial made elsewhere (study.add_trial): its JSON as hps_study_add_trial reads it. */
static PyObject *study_add_trial(PyObject *obj, PyObject *arg)
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *trial_json = PyUnicode_AsUTF8(arg);
    if (trial_json == NULL)
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    int64_t number = -1;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_add_trial(self->study, trial_json, &number);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return PyLong_FromLongLong((long long)number);
}

/* set_user_attr, or with `system` a study system attribute (Optuna's artifact records
 * of a study). */
static PyObject *study_set_attr(PyObject *obj, PyObject *args, int system)
{
    hpspy_study *self = (hpspy_study *)obj;
    const char *key;
    PyObject *value;
    if (!PyArg_ParseTuple(args, system ? "sO:_set_system_attr" : "sO:set_user_attr", &key,
                          &value))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    PyObject *json = hpspy_json_dumps(self->st, value);
    if (json == NULL)
        return NULL;
    const char *text = PyBytes_AS_STRING(json);
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = system ? hps_study_set_system_attr(self->study, key, text)
                    : hps_study_set_user_attr(self->study, key, text);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    Py_DECREF(json);
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    Py_RETURN_NONE;
}

static PyObject *study_set_user_attr(PyObject *obj, PyObject *args)
{
    return study_set_attr(obj, args, 0);
}

static PyObject *study_set_system_attr(PyObject *obj, PyObject *args)
{
    return study_set_attr(obj, args, 1);
}

/* The study's user attributes, or with `system` its system attributes, as a dict. */
static PyObject *study_attrs(PyObject *obj, int system)
{
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    char *copy = NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        const char *text = NULL;
        rc = system ? hps_study_system_attrs(self->study, &text)
                    : hps_study_user_attrs(self->study, &text);
        if (rc == HPS_OK) {
            size_t n = strlen(text) + 1;
            copy = PyMem_RawMalloc(n);
            if (copy != NULL)
                memcpy(copy, text, n);
            else
                rc = HPS_ERR_NOMEM;
        } else {
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
        }
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    PyObject *attrs = hpspy_json_loads(self->st, copy);
    PyMem_RawFree(copy);
    return attrs;
}

static PyObject *study_user_attrs(PyObject *obj, PyObject *unused)
{
    (void)unused;
    return study_attrs(obj, 0);
}

static PyObject *study_system_attrs(PyObject *obj, PyObject *unused)
{
    (void)unused;
    return study_attrs(obj, 1);
}

/* An importance evaluator of `method` with options from a sequence of (name, text)
 * pairs; NULL with a Python error set. */
static hps_importance *new_evaluator(const hpspy_state *st, const char *method, PyObject *options)
{
    char err[HPSPY_MSG_SIZE] = "";
    hps_importance *evaluator = NULL;
    hps_status rc = hps_importance_new(method, &evaluator, err, sizeof err);
    if (rc != HPS_OK) {
        hpspy_raise(st, rc, err);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(options, "options must be a sequence of (name, value) pairs");
    if (seq == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *name, *value;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "ss:option", &name, &value))
            goto fail;
        rc = hps_importance_set(evaluator, name, value);
        if (rc != HPS_OK) {
            hpspy_raise(st, rc, hps_importance_errmsg(evaluator));
            goto fail;
        }
    }
    Py_DECREF(seq);
    return evaluator;
fail:
    Py_XDECREF(seq);
    hps_importance_free(evaluator);
    return NULL;
}

/* Importances of one objective, computed by the engine with `method` (fanova when
 * None) and its options; the JSON text of {"param": importance} from the most
 * important (hps_study_importances). */
static PyObject *study_param_importances(PyObject *obj, PyObject *args)
{
    hpspy_study *self = (hpspy_study *)obj;
    Py_ssize_t objective = 0;
    const char *method = NULL;
    PyObject *options = NULL;
    if (!PyArg_ParseTuple(args, "|nzO:_param_importances", &objective, &method, &options))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    if (objective < 0) {
        PyErr_SetString(PyExc_ValueError, "objective must be >= 0");
        return NULL;
    }
    hps_importance *evaluator = NULL;
    if (method != NULL || (options != NULL && options != Py_None)) {
        PyObject *empty = PyTuple_New(0);
        if (empty == NULL)
            return NULL;
        evaluator = new_evaluator(self->st, method != NULL ? method : "fanova",
                                  options != NULL && options != Py_None ? options : empty);
        Py_DECREF(empty);
        if (evaluator == NULL)
            return NULL;
    }
    char *json = NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_importances(self->study, evaluator, (size_t)objective, &json);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    hps_importance_free(evaluator);
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    PyObject *text = PyUnicode_FromString(json);
    hps_free(json);
    return text;
}

static PyObject *study_recover_stale(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    size_t n = 0;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self, {
        rc = hps_study_recover_stale(self->study, &n);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_study_errmsg(self->study));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->st, rc, msg);
    return PyLong_FromSize_t(n);
}

/* ---- attributes ------------------------------------------------------------------------ */

static PyObject *study_get_name(PyObject *obj, void *closure)
{
    (void)closure;
    hpspy_study *self = (hpspy_study *)obj;
    if (check_open(self) < 0)
        return NULL;
    return PyUnicode_FromString(hps_study_name(self->study));
}

static PyObject *study_get_directions(PyObject *obj, void *closure)
{
    (void)closure;
    return hpspy_study_directions((hpspy_study *)obj);
}

static PyObject *study_get_persistent(PyObject *obj, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((hpspy_study *)obj)->persistent);
}

/* ---- the type ---------------------------------------------------------------------------- */

static PyObject *study_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)args;
    (void)kwargs;
    hpspy_state *st = hpspy_state_of_type(type);
    if (st == NULL)
        return NULL;
    hpspy_study *self = (hpspy_study *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->st = st;
    self->lock = PyThread_allocate_lock();
    self->pending_attrs = PyDict_New();
    if (self->lock == NULL || self->pending_attrs == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static int study_traverse(PyObject *obj, visitproc visit, void *arg)
{
    hpspy_study *self = (hpspy_study *)obj;
    Py_VISIT(Py_TYPE(obj));
    Py_VISIT(self->pending_attrs);
    Py_VISIT(self->py_sampler);
    Py_VISIT(self->py_pruner);
    Py_VISIT(self->constraints_func);
    Py_VISIT(self->independent_hook);
    return 0;
}

static int study_clear(PyObject *obj)
{
    hpspy_study *self = (hpspy_study *)obj;
    Py_CLEAR(self->pending_attrs);
    Py_CLEAR(self->py_sampler);
    Py_CLEAR(self->py_pruner);
    Py_CLEAR(self->constraints_func);
    Py_CLEAR(self->independent_hook);
    return 0;
}

static void study_dealloc(PyObject *obj)
{
    hpspy_study *self = (hpspy_study *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    study_clear(obj);
    if (self->study != NULL) {
        hps_study *study = self->study;
        self->study = NULL;
        /* closing joins the heartbeat thread, which may be writing */
        Py_BEGIN_ALLOW_THREADS
        hps_study_close(study);
        Py_END_ALLOW_THREADS
    }
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    type->tp_free(obj);
    Py_DECREF(type);
}

#define FASTCALL_KW (METH_FASTCALL | METH_KEYWORDS)

static PyMethodDef study_methods[] = {
    {"_open", study_open, METH_VARARGS,
     PyDoc_STR("_open(url, name, create, load, directions=None): opens the study.")},
    {"_set", study_set, METH_VARARGS, PyDoc_STR("_set(option, value): a study option.")},
    {"_set_prior", study_set_prior, METH_VARARGS,
     PyDoc_STR("_set_prior(name, json): the prior of a parameter (hps_study_set_prior).")},
    {"_set_sampler", study_set_sampler, METH_VARARGS,
     PyDoc_STR("_set_sampler(name, options, grid=None): replaces the sampler.")},
    {"_set_pruner", study_set_pruner, METH_O,
     PyDoc_STR("_set_pruner((name, options, inner)): replaces the pruner.")},
    {"_set_constraints_func", study_set_constraints_func, METH_O,
     PyDoc_STR("_set_constraints_func(func or None): called on each trial told COMPLETE or "
               "PRUNED; its values become the trial's constraints.")},
    {"_set_independent_hook", study_set_independent_hook, METH_O,
     PyDoc_STR("_set_independent_hook(func or None): called (trial, name) after each "
               "suggestion the engine sampler drew independently.")},
    {"_set_python_sampler", study_set_python_sampler, METH_O,
     PyDoc_STR("_set_python_sampler(sampler): samples with a BaseSampler written in Python.")},
    {"_set_python_pruner", study_set_python_pruner, METH_O,
     PyDoc_STR("_set_python_pruner(pruner): prunes with a BasePruner written in Python.")},
    {"ask", (PyCFunction)(void (*)(void))study_ask, FASTCALL_KW,
     PyDoc_STR("ask(fixed_distributions=None) -> Trial\n\n"
               "Starts a trial: the oldest enqueued one, else a new one. Raises StudyDone "
               "when a grid is exhausted.")},
    {"tell", (PyCFunction)(void (*)(void))study_tell, FASTCALL_KW,
     PyDoc_STR("tell(trial, values=None, state=None, skip_if_finished=False) -> FrozenTrial\n\n"
               "Finishes a trial (a Trial or its number) with its value(s) or a state.")},
    {"_trial", study_trial, METH_O, PyDoc_STR("_trial(number) -> FrozenTrial")},
    {"_trials", study_trials, METH_VARARGS,
     PyDoc_STR("_trials(mask=0x3f) -> list of FrozenTrial (mask: a bit per engine state)")},
    {"_best", study_best, METH_NOARGS, PyDoc_STR("_best() -> FrozenTrial")},
    {"_best_trials", study_best_trials, METH_NOARGS,
     PyDoc_STR("_best_trials() -> list of FrozenTrial: the feasible Pareto set")},
    {"_count_states", study_count_states, METH_NOARGS,
     PyDoc_STR("_count_states() -> counts of WAITING, RUNNING, COMPLETE, PRUNED, FAIL")},
    {"_n_trials", study_n_trials, METH_NOARGS, PyDoc_STR("_n_trials() -> int")},
    {"_full_step", study_full_step, METH_NOARGS,
     PyDoc_STR("_full_step() -> int or None: the pruner's full budget when it pauses "
               "trials (hps_pruner_full_step), else None")},
    {"_enqueue", study_enqueue, METH_VARARGS,
     PyDoc_STR("_enqueue(params_json, user_attrs=None) -> number")},
    {"_add_trial", study_add_trial, METH_O,
     PyDoc_STR("_add_trial(trial_json) -> number: a finished (or any) trial made elsewhere")},
    {"set_user_attr", study_set_user_attr, METH_VARARGS,
     PyDoc_STR("set_user_attr(key, value)\n\nStores a JSON-serializable study attribute.")},
    {"_user_attrs", study_user_attrs, METH_NOARGS, PyDoc_STR("_user_attrs() -> dict")},
    {"_set_system_attr", study_set_system_attr, METH_VARARGS,
     PyDoc_STR("_set_system_attr(key, value): stores a study system attribute (artifact "
               "records)")},
    {"_system_attrs", study_system_attrs, METH_NOARGS,
     PyDoc_STR("_system_attrs() -> dict: the study's system attributes (the engine's and "
               "the hpsearch command's too)")},
    {"_param_importances", study_param_importances, METH_VARARGS,
     PyDoc_STR("_param_importances(objective=0, method=None, options=()) -> str: JSON of "
               "importances by the engine's method (fanova, mean_decrease_impurity, ped_anova), most "
               "important first")},
    {"_recover_stale", study_recover_stale, METH_NOARGS,
     PyDoc_STR("_recover_stale() -> int: fails trials whose worker died or stopped beating")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef study_getset[] = {
    {"study_name", study_get_name, NULL, PyDoc_STR("Name of the study."), NULL},
    {"_direction_codes", study_get_directions, NULL,
     PyDoc_STR("Directions as engine codes (0 minimize, 1 maximize)."), NULL},
    {"_persistent", study_get_persistent, NULL,
     PyDoc_STR("Whether the storage outlives the process."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot study_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("The engine's part of hpsearch.study.Study.")},
    {Py_tp_new, (void *)study_tp_new},
    {Py_tp_dealloc, (void *)study_dealloc},
    {Py_tp_traverse, (void *)study_traverse},
    {Py_tp_clear, (void *)study_clear},
    {Py_tp_methods, study_methods},
    {Py_tp_getset, study_getset},
    {0, NULL},
};

PyType_Spec hpspy_study_spec = {
    .name = "hpsearch._core.Study",
    .basicsize = sizeof(hpspy_study),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = study_slots,
};
