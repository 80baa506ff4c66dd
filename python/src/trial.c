/* trial.c -- Trial: one running trial, handed to the objective by ask()/optimize().
 *
 * Every call takes the study's lock (see hpsearch_py.h). Suggested parameters are
 * flushed to persistent storage right away, as Optuna writes them: other workers see
 * them, and a retry after the process died re-runs the same values. */
#include "hpsearch_py.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <structmember.h>

/* At most this many categorical choices are converted on the stack. */
#define STACK_CHOICES 16

static PyObject *closed_error(void)
{
    PyErr_SetString(PyExc_RuntimeError, "this trial handle is closed");
    return NULL;
}

/* ---- suggest ------------------------------------------------------------------------ */

typedef enum { KIND_FLOAT, KIND_INT, KIND_CATEGORICAL } suggest_kind;

typedef struct suggest_req {
    suggest_kind kind;
    const char *name;
    double low, high, step; /* float */
    int64_t ilow, ihigh, istep;
    unsigned flags;
    const hps_value *choices;
    size_t n_choices;
    /* a Python sampler's value for it (internal form), when offered */
    int offered;
    double internal;
} suggest_req;

typedef struct suggest_res {
    hps_status rc;
    double f;
    int64_t i;
    size_t index;
    int asked; /* the engine wants a value from the Python sampler: nothing was recorded */
    /* when the name was suggested before with a compatible distribution (same kind and
     * log flag, other bounds): Optuna keeps the first value and only warns */
    int reused;
    int independent; /* drawn by the engine sampler's independent sampling */
    char msg[HPSPY_MSG_SIZE];
} suggest_res;

/* The library refuses a re-suggestion with any other distribution; Optuna refuses only
 * another kind, another log flag or other choices. Looks at the recorded distribution
 * to tell these apart. Runs under the study's lock. */
static void check_reuse(hps_trial *trial, const suggest_req *req, suggest_res *res)
{
    const hps_frozen *rec = hps_trial_frozen(trial);
    long index = hps_frozen_param_index(rec, req->name);
    if (index < 0)
        return;
    const hps_dist *dist = hps_frozen_param_dist(rec, (size_t)index);
    hps_dist_kind want = req->kind == KIND_FLOAT ? HPS_DIST_FLOAT
                         : req->kind == KIND_INT ? HPS_DIST_INT
                                                 : HPS_DIST_CATEGORICAL;
    if (hps_dist_get_kind(dist) != want || want == HPS_DIST_CATEGORICAL ||
        (hps_dist_flags(dist) & HPS_LOG) != (req->flags & HPS_LOG))
        return;
    double internal = hps_frozen_param_internal(rec, (size_t)index);
    res->reused = 1;
    res->rc = HPS_OK;
    res->f = internal;
    res->i = (int64_t)internal;
}

static void engine_suggest(hps_trial *trial, const suggest_req *req, suggest_res *res)
{
    switch (req->kind) {
    case KIND_FLOAT:
        res->rc = hps_trial_suggest_float(trial, req->name, req->low, req->high, req->step,
                                          req->flags, &res->f);
        break;
    case KIND_INT:
        res->rc = hps_trial_suggest_int(trial, req->name, req->ilow, req->ihigh, req->istep,
                                        req->flags, &res->i);
        break;
    case KIND_CATEGORICAL:
        res->rc = hps_trial_suggest_categorical(trial, req->name, req->choices, req->n_choices,
                                                &res->index);
        break;
    }
}

static void suggest_locked(hpspy_trial *self, const suggest_req *req, suggest_res *res)
{
    hps_trial *trial = self->trial;
    hpspy_relay *relay = self->study->relay;
    if (relay != NULL)
        hpspy_relay_arm(relay, req->offered, self->number, req->name, req->internal);
    engine_suggest(trial, req, res);
    res->independent = res->rc == HPS_OK && hps_trial_last_independent(trial);
    res->asked = relay != NULL && hpspy_relay_disarm(relay);
    if (res->asked)
        return;
    if (res->rc == HPS_ERR_MISMATCH) {
        hpspy_copy_msg(res->msg, hps_trial_errmsg(trial));
        check_reuse(trial, req, res);
        return;
    }
    if (res->rc == HPS_OK && self->study->persistent) {
        res->rc = hps_trial_flush(trial);
    }
    if (res->rc != HPS_OK)
        hpspy_copy_msg(res->msg, hps_trial_errmsg(trial));
}

/* The distribution object of a request. */
static PyObject *request_distribution(const hpspy_state *st, const suggest_req *req)
{
    switch (req->kind) {
    case KIND_FLOAT:
        return hpspy_dist_to_py(st, HPS_DIST_FLOAT, req->low, req->high, req->step, req->flags,
                                NULL, 0);
    case KIND_INT:
        return hpspy_dist_to_py(st, HPS_DIST_INT, (double)req->ilow, (double)req->ihigh,
                                (double)req->istep, req->flags, NULL, 0);
    case KIND_CATEGORICAL:
        break;
    }
    return hpspy_dist_to_py(st, HPS_DIST_CATEGORICAL, 0, 0, 0, 0, req->choices, req->n_choices);
}

/* Draws the value the engine asked for with the study's Python sampler (no lock held:
 * the sampler may use the study) and offers it in `req`. A study whose sampler is no
 * longer written in Python meanwhile offers nothing: its own sampler draws. */
static int draw_in_python(hpspy_trial *self, suggest_req *req)
{
    if (self->study->py_sampler == NULL)
        return 0;
    PyObject *sampler = Py_NewRef(self->study->py_sampler);
    PyObject *dist = request_distribution(self->study->st, req);
    PyObject *internal = dist == NULL ? NULL
                                      : PyObject_CallMethod((PyObject *)self, "_sampler_draw",
                                                            "OsO", sampler, req->name, dist);
    Py_DECREF(sampler);
    Py_XDECREF(dist);
    if (internal == NULL)
        return -1;
    req->internal = PyFloat_AsDouble(internal);
    Py_DECREF(internal);
    if (req->internal == -1.0 && PyErr_Occurred())
        return -1;
    req->offered = 1;
    return 0;
}


/* Runs a suggestion; -1 with an exception set on error. */
static int run_suggest(hpspy_trial *self, suggest_req *req, suggest_res *res)
{
    if (self->trial == NULL) {
        closed_error();
        return -1;
    }
    res->reused = 0;
    res->msg[0] = '\0';
    HPSPY_LOCKED(self->study, suggest_locked(self, req, res));
    if (res->asked) { /* a Python sampler draws it; the engine call is made again */
        if (draw_in_python(self, req) < 0)
            return -1;
        HPSPY_LOCKED(self->study, suggest_locked(self, req, res));
        if (res->asked) {
            PyErr_Format(PyExc_RuntimeError, "the engine did not take the value the sampler "
                                             "drew for parameter '%s'",
                         req->name);
            return -1;
        }
    }
    if (res->rc != HPS_OK) {
        hpspy_raise(self->study->st, res->rc, res->msg);
        return -1;
    }
    if (res->independent && self->study->independent_hook != NULL) {
        PyObject *hook = Py_NewRef(self->study->independent_hook);
        PyObject *done = PyObject_CallFunction(hook, "Os", (PyObject *)self, req->name);
        Py_DECREF(hook);
        if (done == NULL)
            return -1;
        Py_DECREF(done);
    }
    if (res->reused &&
        PyErr_WarnFormat(PyExc_RuntimeWarning, 1,
                         "Inconsistent parameter values for distribution with name \"%s\"! "
                         "The first suggestion's value is kept, as Optuna does (%s)",
                         req->name, res->msg) < 0)
        return -1;
    return 0;
}

static const char *name_of(PyObject *obj)
{
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "parameter name must be a str, not %s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8(obj);
}

static int truth_of(PyObject *obj)
{
    return obj == NULL ? 0 : PyObject_IsTrue(obj);
}

static PyObject *trial_suggest_float(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kwnames)
{
    static const char *const names[] = {"name", "low", "high", "step", "log"};
    PyObject *a[5];
    hpspy_trial *self = (hpspy_trial *)obj;
    if (hpspy_parse_args("suggest_float", args, nargs, kwnames, names, 5, 3, 3, a) < 0)
        return NULL;
    suggest_req req = {.kind = KIND_FLOAT};
    int log = truth_of(a[4]);
    if (log < 0 || (req.name = name_of(a[0])) == NULL)
        return NULL;
    req.low = PyFloat_AsDouble(a[1]);
    if (req.low == -1.0 && PyErr_Occurred())
        return NULL;
    req.high = PyFloat_AsDouble(a[2]);
    if (req.high == -1.0 && PyErr_Occurred())
        return NULL;
    if (a[3] != NULL && a[3] != Py_None) {
        if (log) {
            PyErr_SetString(PyExc_ValueError,
                            "The parameter `step` is not supported when `log` is true.");
            return NULL;
        }
        req.step = PyFloat_AsDouble(a[3]);
        if (req.step == -1.0 && PyErr_Occurred())
            return NULL;
        if (req.step <= 0) {
            PyErr_Format(PyExc_ValueError,
                         "The `step` value must be non-zero positive value, but step=%R.", a[3]);
            return NULL;
        }
        /* Optuna lowers high onto the step grid (with a warning) rather than refusing. */
        double ratio = (req.high - req.low) / req.step;
        if (isfinite(ratio) && ratio >= 0 &&
            fabs(ratio - nearbyint(ratio)) > 1e-8 * fmax(1.0, ratio)) {
            PyObject *high = PyObject_CallFunction(self->study->st->adjust_float_high, "ddd",
                                                   req.low, req.high, req.step);
            if (high == NULL)
                return NULL;
            req.high = PyFloat_AsDouble(high);
            Py_DECREF(high);
            if (req.high == -1.0 && PyErr_Occurred())
                return NULL;
        }
    }
    req.flags = log ? HPS_LOG : 0;
    suggest_res res;
    if (run_suggest(self, &req, &res) < 0)
        return NULL;
    return PyFloat_FromDouble(res.f);
}

/* An int argument. Bounds are read the way Optuna reads them, int(obj), so 2.0 and
 * numpy integers work (but not strings); a step must be an integer (`strict`). */
static int int_arg(PyObject *obj, const char *what, int strict, int64_t *out)
{
    PyObject *number;
    if (PyLong_Check(obj)) {
        number = Py_NewRef(obj);
    } else if (strict || PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        if (!PyIndex_Check(obj)) {
            PyErr_Format(PyExc_TypeError, "`%s` must be an int, not %s", what,
                         Py_TYPE(obj)->tp_name);
            return -1;
        }
        number = PyNumber_Index(obj);
    } else {
        number = PyNumber_Long(obj);
    }
    if (number == NULL)
        return -1;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(number, &overflow);
    Py_DECREF(number);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow != 0) {
        PyErr_Format(PyExc_ValueError, "`%s` does not fit in 64 bits", what);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

static PyObject *trial_suggest_int(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                                   PyObject *kwnames)
{
    static const char *const names[] = {"name", "low", "high", "step", "log"};
    PyObject *a[5];
    hpspy_trial *self = (hpspy_trial *)obj;
    if (hpspy_parse_args("suggest_int", args, nargs, kwnames, names, 5, 5, 3, a) < 0)
        return NULL;
    suggest_req req = {.kind = KIND_INT, .istep = 1};
    int log = truth_of(a[4]);
    if (log < 0 || (req.name = name_of(a[0])) == NULL)
        return NULL;
    if (int_arg(a[1], "low", 0, &req.ilow) < 0 || int_arg(a[2], "high", 0, &req.ihigh) < 0)
        return NULL;
    if (a[3] != NULL && int_arg(a[3], "step", 0, &req.istep) < 0)
        return NULL;
    if (log && req.istep != 1) {
        PyErr_SetString(PyExc_ValueError,
                        "Samplers and other components only accept step is 1 when `log` "
                        "argument is True (as in Optuna).");
        return NULL;
    }
    if (req.istep <= 0) {
        PyErr_Format(PyExc_ValueError,
                     "The `step` value must be non-zero positive value, but step=%lld.",
                     (long long)req.istep);
        return NULL;
    }
    if (req.ilow <= req.ihigh && (req.ihigh - req.ilow) % req.istep != 0) {
        int64_t high = (req.ihigh - req.ilow) / req.istep * req.istep + req.ilow;
        if (PyErr_WarnFormat(PyExc_UserWarning, 1,
                             "The distribution is specified by [%lld, %lld] and step=%lld, but "
                             "the range is not divisible by `step`. It will be replaced by "
                             "[%lld, %lld].",
                             (long long)req.ilow, (long long)req.ihigh, (long long)req.istep,
                             (long long)req.ilow, (long long)high) < 0)
            return NULL;
        req.ihigh = high;
    }
    req.flags = log ? HPS_LOG : 0;
    suggest_res res;
    if (run_suggest(self, &req, &res) < 0)
        return NULL;
    return PyLong_FromLongLong((long long)res.i);
}

static PyObject *trial_suggest_categorical(PyObject *obj, PyObject *const *args,
                                           Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"name", "choices"};
    PyObject *a[2];
    hpspy_trial *self = (hpspy_trial *)obj;
    if (hpspy_parse_args("suggest_categorical", args, nargs, kwnames, names, 2, 2, 2, a) < 0)
        return NULL;
    suggest_req req = {.kind = KIND_CATEGORICAL};
    if ((req.name = name_of(a[0])) == NULL)
        return NULL;
    if (PyUnicode_Check(a[1]) || PyBytes_Check(a[1])) {
        PyErr_SetString(PyExc_TypeError, "choices must be a sequence of values, not a string");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(a[1], "choices must be a sequence (list or tuple)");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    hps_value stack[STACK_CHOICES];
    hps_value *choices = stack;
    PyObject *result = NULL;
    if (n > STACK_CHOICES) {
        choices = PyMem_New(hps_value, (size_t)n);
        if (choices == NULL) {
            PyErr_NoMemory();
            goto out;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hpspy_value_from_py(items[i], &choices[i], "suggest_categorical choices", i) < 0)
            goto out;
    }
    req.choices = choices;
    req.n_choices = (size_t)n;
    suggest_res res;
    if (run_suggest(self, &req, &res) < 0)
        goto out;
    if (res.index >= (size_t)n) {
        PyErr_SetString(PyExc_RuntimeError, "the engine returned an invalid choice index");
        goto out;
    }
    /* The caller's own object, as Optuna returns it (an np.int64 stays one). */
    result = Py_NewRef(items[res.index]);
out:
    if (choices != stack)
        PyMem_Free(choices);
    Py_DECREF(seq);
    return result;
}

/* ---- report, prune, attributes ----------------------------------------------------- */

/* Optuna's refusal, unless the study's pruner ranks several objectives. */
static int multi_objective_check(hpspy_trial *self, const char *what)
{
    if (self->study->n_directions > 1 && !self->study->ranks_objectives) {
        /* Optuna's words exactly; docs/python.md says which pruners take it */
        PyErr_Format(PyExc_NotImplementedError,
                     "Trial.%s is not supported for multi-objective optimization.", what);
        return -1;
    }
    return 0;
}

typedef struct report_job {
    int64_t step;
    double values[HPSPY_MAX_DIRECTIONS];
    size_t n;
    int duplicate;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE];
} report_job;

static void report_locked(hps_trial *trial, report_job *job)
{
    const hps_frozen *rec = hps_trial_frozen(trial);
    size_t n = hps_frozen_n_intermediate(rec);
    for (size_t i = 0; i < n; i++) {
        int64_t step;
        double value;
        hps_frozen_intermediate(rec, i, &step, &value);
        if (step == job->step) {
            job->duplicate = 1;
            return;
        }
    }
    job->rc = hps_trial_report_values(trial, job->step, job->values, job->n);
    if (job->rc != HPS_OK)
        hpspy_copy_msg(job->msg, hps_trial_errmsg(trial));
}

/* A study of several objectives reports a sequence of one float per direction. */
static int report_values_arg(PyObject *value, size_t n, double *out)
{
    if (PyUnicode_Check(value) || PyBytes_Check(value) || !PySequence_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "The `value` argument is of type '%s' but the study has %zu directions: "
                     "report a sequence of %zu floats, one per direction.",
                     Py_TYPE(value)->tp_name, n, n);
        return -1;
    }
    Py_ssize_t len = PySequence_Size(value);
    if (len < 0)
        return -1;
    if ((size_t)len != n) {
        PyErr_Format(PyExc_ValueError,
                     "The number of the reported values %zd does not match the number of the "
                     "directions %zu.",
                     len, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(value, (Py_ssize_t)i);
        if (item == NULL)
            return -1;
        out[i] = PyFloat_AsDouble(item);
        if (out[i] == -1.0 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError,
                         "The reported value %zu is of type '%s' but supposed to be a float.", i,
                         Py_TYPE(item)->tp_name);
            Py_DECREF(item);
            return -1;
        }
        Py_DECREF(item);
    }
    return 0;
}

static PyObject *trial_report(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames)
{
    static const char *const names[] = {"value", "step"};
    PyObject *a[2];
    hpspy_trial *self = (hpspy_trial *)obj;
    if (hpspy_parse_args("report", args, nargs, kwnames, names, 2, 2, 2, a) < 0)
        return NULL;
    if (self->trial == NULL)
        return closed_error();
    if (multi_objective_check(self, "report") < 0)
        return NULL;
    report_job job = {.rc = HPS_OK, .n = 1};
    if (self->study->n_directions > 1) {
        if (report_values_arg(a[0], self->study->n_directions, job.values) < 0)
            return NULL;
        job.n = self->study->n_directions;
    } else {
        job.values[0] = PyFloat_AsDouble(a[0]);
        if (job.values[0] == -1.0 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError,
                         "The `value` argument is of type '%s' but supposed to be a float.",
                         Py_TYPE(a[0])->tp_name);
            return NULL;
        }
    }
    if (int_arg(a[1], "step", 1, &job.step) < 0)
        return NULL;
    if (job.step < 0) {
        PyErr_Format(PyExc_ValueError, "The `step` argument is %lld but cannot be negative.",
                     (long long)job.step);
        return NULL;
    }
    HPSPY_LOCKED(self->study, report_locked(self->trial, &job));
    if (job.rc != HPS_OK)
        return hpspy_raise(self->study->st, job.rc, job.msg);
    if (job.duplicate &&
        PyErr_WarnFormat(PyExc_UserWarning, 1,
                         "The reported value is ignored because this `step` %lld is already "
                         "reported.",
                         (long long)job.step) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *trial_record(PyObject *obj, PyObject *unused);

/* Optuna's should_prune with a pruner written in Python: its prune(study, trial) on a
 * fresh FrozenTrial of this trial, whose result it returns as it is. */
static PyObject *python_prune(hpspy_trial *self)
{
    PyObject *pruner = Py_NewRef(self->study->py_pruner);
    PyObject *frozen = trial_record((PyObject *)self, NULL);
    PyObject *result = frozen == NULL ? NULL
                                      : PyObject_CallMethod(pruner, "prune", "OO", self->study,
                                                            frozen);
    Py_DECREF(pruner);
    Py_XDECREF(frozen);
    return result;
}

static PyObject *trial_should_prune(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    if (multi_objective_check(self, "should_prune") < 0)
        return NULL;
    if (self->study->py_pruner != NULL)
        return python_prune(self);
    int prune = 0;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self->study, {
        rc = hps_trial_should_prune(self->trial, &prune);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    return PyBool_FromLong(prune);
}

/* ---- paused trials (no Optuna counterpart) ------------------------------------------ */

static PyObject *step_or_none(int64_t step)
{
    if (step < 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)step);
}

static PyObject *trial_pause(PyObject *obj, PyObject *arg)
{
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    long long step = PyLong_AsLongLong(arg);
    if (step == -1 && PyErr_Occurred())
        return NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    const char *pruner = NULL;
    HPSPY_LOCKED(self->study, {
        /* Python has no study.resume: under a pruner that never resumes a trial (every
         * one but the two schedulers) a paused trial would wait for good, and later asks
         * start new trials. The C API's hps_study_resume is for callers that resume by
         * themselves. */
        const hps_pruner *p = hps_study_pruner(self->study->study);
        if (hps_pruner_full_step(p) < 0) {
            pruner = hps_pruner_name(p);
            rc = HPS_OK;
        } else {
            rc = hps_trial_pause(self->trial, (int64_t)step);
            if (rc != HPS_OK)
                hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
        }
    });
    if (pruner != NULL)
        return PyErr_Format(PyExc_RuntimeError,
                            "trial %lld cannot pause: the study's pruner ('%s') never resumes "
                            "a paused trial, so it would stay paused for good; pause under "
                            "SuccessiveHalvingPruner(mode=\"promotion\"), "
                            "HyperbandPruner(mode=\"promotion\") or "
                            "ForecastPruner(mode=\"freeze-thaw\"), or tell the trial",
                            (long long)self->number, pruner);
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    self->paused = 1;
    Py_RETURN_NONE;
}

/* Whether this handle paused its trial, for optimize (which then does not tell it). */
static PyObject *trial_get_paused(PyObject *obj, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((hpspy_trial *)obj)->paused);
}

/* ---- is it still ours (no Optuna counterpart) ----------------------------------------- */

/* hps_trial_check_running: None while this handle runs the trial, else the error report()
 * would raise (RuntimeError with the engine's message), so a loop between reports can
 * stop a run whose trial was recovered as stale, finished or taken over elsewhere. */
static PyObject *trial_check_running(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self->study, {
        rc = hps_trial_check_running(self->trial);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    Py_RETURN_NONE;
}

static PyObject *trial_get_resume_step(PyObject *obj, void *closure)
{
    (void)closure;
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    int64_t step;
    HPSPY_LOCKED(self->study, { step = hps_trial_resume_step(self->trial); });
    return step_or_none(step);
}

static PyObject *trial_get_max_step(PyObject *obj, void *closure)
{
    (void)closure;
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    int64_t step = -1;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self->study, {
        rc = hps_trial_max_step(self->trial, &step);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    return step_or_none(step);
}

/* set_user_attr, or with `system` the system attribute Optuna's artifacts and
 * terminator record on a trial. */
static PyObject *trial_set_attr(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames, int system)
{
    static const char *const names[] = {"key", "value"};
    PyObject *a[2];
    hpspy_trial *self = (hpspy_trial *)obj;
    if (hpspy_parse_args(system ? "_set_system_attr" : "set_user_attr", args, nargs, kwnames,
                         names, 2, 2, 2, a) < 0)
        return NULL;
    if (self->trial == NULL)
        return closed_error();
    if (!PyUnicode_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "attribute key must be a str, not %s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    const char *key = PyUnicode_AsUTF8(a[0]);
    if (key == NULL)
        return NULL;
    PyObject *json = hpspy_json_dumps(self->study->st, a[1]);
    if (json == NULL)
        return NULL;
    const char *text = PyBytes_AS_STRING(json);
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self->study, {
        rc = system ? hps_trial_set_system_attr(self->trial, key, text)
                    : hps_trial_set_user_attr(self->trial, key, text);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
    });
    Py_DECREF(json);
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    Py_RETURN_NONE;
}

static PyObject *trial_set_user_attr(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kwnames)
{
    return trial_set_attr(obj, args, nargs, kwnames, 0);
}

static PyObject *trial_set_system_attr(PyObject *obj, PyObject *const *args, Py_ssize_t nargs,
                                       PyObject *kwnames)
{
    return trial_set_attr(obj, args, nargs, kwnames, 1);
}

/* PartialFixedSampler over an engine sampler: values its suggest_* return. */
static PyObject *trial_fix_params(PyObject *obj, PyObject *arg)
{
    hpspy_trial *self = (hpspy_trial *)obj;
    if (self->trial == NULL)
        return closed_error();
    const char *params_json = PyUnicode_AsUTF8(arg);
    if (params_json == NULL)
        return NULL;
    hps_status rc;
    char msg[HPSPY_MSG_SIZE] = "";
    HPSPY_LOCKED(self->study, {
        rc = hps_trial_fix_params(self->trial, params_json);
        if (rc != HPS_OK)
            hpspy_copy_msg(msg, hps_trial_errmsg(self->trial));
    });
    if (rc != HPS_OK)
        return hpspy_raise(self->study->st, rc, msg);
    Py_RETURN_NONE;
}

/* ---- reading the trial back -------------------------------------------------------- */

static hpspy_snap *take_snapshot(hpspy_trial *self)
{
    hpspy_snap *snap = NULL;
    if (self->trial == NULL) {
        closed_error();
        return NULL;
    }
    HPSPY_LOCKED(self->study, snap = hpspy_snap_take(hps_trial_frozen(self->trial)));
    if (snap == NULL)
        PyErr_NoMemory();
    return snap;
}

static PyObject *trial_record(PyObject *obj, PyObject *unused)
{
    (void)unused;
    hpspy_trial *self = (hpspy_trial *)obj;
    hpspy_snap *snap = take_snapshot(self);
    return snap != NULL ? hpspy_frozen_new(self->study->st, snap) : NULL;
}

static PyObject *trial_get_params(PyObject *obj, void *closure)
{
    (void)closure;
    hpspy_snap *snap = take_snapshot((hpspy_trial *)obj);
    if (snap == NULL)
        return NULL;
    PyObject *params = hpspy_snap_params(snap);
    hpspy_snap_free(snap);
    return params;
}

static PyObject *trial_get_number(PyObject *obj, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong((long long)((hpspy_trial *)obj)->number);
}

static PyObject *trial_get_study(PyObject *obj, void *closure)
{
    (void)closure;
    return Py_NewRef((PyObject *)((hpspy_trial *)obj)->study);
}

/* ---- the type ------------------------------------------------------------------------- */

PyObject *hpspy_trial_new(hpspy_study *study, hps_trial *trial)
{
    PyTypeObject *cls = (PyTypeObject *)study->st->trial_class;
    hpspy_trial *self = cls != NULL ? (hpspy_trial *)cls->tp_alloc(cls, 0) : NULL;
    if (self == NULL) {
        HPSPY_LOCKED(study, hps_trial_free(trial));
        if (!PyErr_Occurred()) /* the module is being torn down */
            PyErr_SetString(PyExc_RuntimeError, "hpsearch._core is shutting down");
        return NULL;
    }
    self->study = (hpspy_study *)Py_NewRef((PyObject *)study);
    self->trial = trial;
    self->number = hps_trial_number(trial);
    return (PyObject *)self;
}

static PyObject *trial_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    PyErr_SetString(PyExc_TypeError,
                    "Trial objects are created by Study.ask() and Study.optimize()");
    return NULL;
}

static int trial_traverse(PyObject *obj, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(obj));
    Py_VISIT((PyObject *)((hpspy_trial *)obj)->study);
    Py_VISIT(((hpspy_trial *)obj)->relative);
    return 0;
}

/* Releases the handle; a trial still RUNNING stays so in storage (as Optuna's does). */
static void release_handle(hpspy_trial *self)
{
    if (self->trial != NULL && self->study != NULL) {
        hps_trial *trial = self->trial;
        self->trial = NULL;
        HPSPY_LOCKED(self->study, hps_trial_free(trial));
    }
}

static int trial_clear(PyObject *obj)
{
    hpspy_trial *self = (hpspy_trial *)obj;
    release_handle(self);
    Py_CLEAR(self->study);
    Py_CLEAR(self->relative);
    return 0;
}

static void trial_dealloc(PyObject *obj)
{
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    if (((hpspy_trial *)obj)->weakrefs != NULL)
        PyObject_ClearWeakRefs(obj);
    trial_clear(obj);
    type->tp_free(obj);
    Py_DECREF(type);
}

#define FASTCALL_KW (METH_FASTCALL | METH_KEYWORDS)

static PyMethodDef trial_methods[] = {
    {"suggest_float", (PyCFunction)(void (*)(void))trial_suggest_float, FASTCALL_KW,
     PyDoc_STR("suggest_float(name, low, high, *, step=None, log=False) -> float\n\n"
               "Suggests a float in [low, high]: uniformly, on the grid low + k*step, or "
               "log-uniformly (log=True, low > 0).")},
    {"suggest_int", (PyCFunction)(void (*)(void))trial_suggest_int, FASTCALL_KW,
     PyDoc_STR("suggest_int(name, low, high, step=1, log=False) -> int\n\n"
               "Suggests an int in [low, high] on the grid low + k*step, or log-uniformly.")},
    {"suggest_categorical", (PyCFunction)(void (*)(void))trial_suggest_categorical,
     FASTCALL_KW,
     PyDoc_STR("suggest_categorical(name, choices) -> choice\n\n"
               "Suggests one of `choices` (str, int, float or bool values) and returns it.")},
    {"report", (PyCFunction)(void (*)(void))trial_report, FASTCALL_KW,
     PyDoc_STR("report(value, step)\n\nRecords an intermediate value at `step` (>= 0); "
               "a step reported twice keeps its first value.")},
    {"should_prune", trial_should_prune, METH_NOARGS,
     PyDoc_STR("should_prune() -> bool\n\nWhether the study's pruner stops this trial.")},
    {"pause", trial_pause, METH_O,
     PyDoc_STR("pause(step)\n\nEnds this slice of the trial PAUSED at `step` (its checkpoint "
               "holds it): a later study.ask() may resume it (hpsearch only; see max_step). "
               "RuntimeError under a pruner that never resumes a trial; ValueError for a "
               "step at or past the full budget (tell the trial instead).")},
    {"check_running", trial_check_running, METH_NOARGS,
     PyDoc_STR("check_running() -> None\n\nRaises RuntimeError (the engine's message) once this "
               "handle no longer runs the trial: told, or -- with heartbeats -- recovered as "
               "stale, finished or taken over by another process (hpsearch only).")},
    {"_fix_params", trial_fix_params, METH_O,
     PyDoc_STR("_fix_params(params_json): values suggest_* return (PartialFixedSampler)")},
    {"set_user_attr", (PyCFunction)(void (*)(void))trial_set_user_attr, FASTCALL_KW,
     PyDoc_STR("set_user_attr(key, value)\n\nStores a JSON-serializable user attribute.")},
    {"_set_system_attr", (PyCFunction)(void (*)(void))trial_set_system_attr, FASTCALL_KW,
     PyDoc_STR("_set_system_attr(key, value)\n\nStores a JSON-serializable system attribute "
               "(artifact records, cross-validation scores).")},
    {"_record", trial_record, METH_NOARGS,
     PyDoc_STR("_record() -> FrozenTrial: the trial as stored now.")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef trial_getset[] = {
    {"number", trial_get_number, NULL,
     PyDoc_STR("Number of the trial, consecutive and unique in its study."), NULL},
    {"_trial_id", trial_get_number, NULL, PyDoc_STR("Identifier of the trial (its number)."),
     NULL},
    {"params", trial_get_params, NULL,
     PyDoc_STR("Dictionary of the parameters suggested so far."), NULL},
    {"study", trial_get_study, NULL, PyDoc_STR("The Study this trial belongs to."), NULL},
    {"resume_step", trial_get_resume_step, NULL,
     PyDoc_STR("The step a resumed trial's checkpoint holds (go on after it); None for a "
               "trial that starts from scratch (hpsearch only)."),
     NULL},
    {"max_step", trial_get_max_step, NULL,
     PyDoc_STR("The last step of this slice of the trial's budget, where it should save and "
               "pause(); None when the pruner never pauses (hpsearch only)."),
     NULL},
    {"_paused", trial_get_paused, NULL,
     PyDoc_STR("Whether this handle paused the trial (pause() succeeded)."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef trial_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(hpspy_trial, weakrefs), READONLY, NULL},
    {"_relative", T_OBJECT, offsetof(hpspy_trial, relative), 0,
     PyDoc_STR("A Python sampler's (relative search space, relative sample), or None.")},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot trial_slots[] = {
    {Py_tp_members, trial_members},
    {Py_tp_doc, (void *)PyDoc_STR("The engine's part of hpsearch.trial.Trial.")},
    {Py_tp_new, (void *)trial_tp_new},
    {Py_tp_dealloc, (void *)trial_dealloc},
    {Py_tp_traverse, (void *)trial_traverse},
    {Py_tp_clear, (void *)trial_clear},
    {Py_tp_methods, trial_methods},
    {Py_tp_getset, trial_getset},
    {0, NULL},
};

PyType_Spec hpspy_trial_spec = {
    .name = "hpsearch._core.Trial",
    .basicsize = sizeof(hpspy_trial),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = trial_slots,
};
