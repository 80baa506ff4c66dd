/* module.c -- the hpsearch._core module: its types, its state, the Python classes the
 * package registers, error mapping, and the functions that work on a storage URL
 * rather than on one open study (delete, list). */
#include "hpsearch_py.h"

#include <string.h>

static struct PyModuleDef hpspy_module_def;

/* ---- state ------------------------------------------------------------------------ */

hpspy_state *hpspy_state_of_type(PyTypeObject *type)
{
    for (PyTypeObject *t = type; t != NULL; t = t->tp_base) {
        if (!PyType_HasFeature(t, Py_TPFLAGS_HEAPTYPE))
            continue;
        PyObject *module = ((PyHeapTypeObject *)t)->ht_module;
        if (module != NULL && PyModule_GetDef(module) == &hpspy_module_def)
            return PyModule_GetState(module);
    }
    PyErr_Format(PyExc_TypeError, "%s is not an hpsearch type", type->tp_name);
    return NULL;
}

static hpspy_state *module_state(PyObject *module)
{
    return PyModule_GetState(module);
}

void hpspy_copy_msg(char *dst, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;
    if (n >= HPSPY_MSG_SIZE)
        n = HPSPY_MSG_SIZE - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

PyObject *hpspy_raise(const hpspy_state *st, hps_status status, const char *msg)
{
    PyObject *type;
    switch (status) {
    case HPS_ERR_INVALID:
    case HPS_ERR_MISMATCH:
        type = PyExc_ValueError;
        break;
    case HPS_ERR_NOMEM:
        return PyErr_NoMemory();
    case HPS_ERR_NOTFOUND:
        type = PyExc_KeyError;
        break;
    case HPS_ERR_EXISTS:
        type = st->exc_duplicated;
        break;
    case HPS_ERR_STORAGE:
    case HPS_ERR_IO:
    case HPS_ERR_CORRUPT:
        type = st->exc_storage;
        break;
    case HPS_ERR_UNSUPPORTED:
        type = PyExc_NotImplementedError;
        break;
    default: /* HPS_ERR_STATE, HPS_ABORTED, and any code added later */
        type = PyExc_RuntimeError;
        break;
    }
    if (type == NULL) /* the module is being torn down */
        type = PyExc_RuntimeError;
    if (msg == NULL || msg[0] == '\0')
        msg = hps_strerror(status);
    PyObject *text = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
    if (text != NULL) {
        PyErr_SetObject(type, text);
        Py_DECREF(text);
    }
    return NULL;
}

int hpspy_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames, const char *const *names, int n_names, int n_positional,
                     int n_required, PyObject **out)
{
    for (int i = 0; i < n_names; i++)
        out[i] = NULL;
    if (nargs > n_positional) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional arguments (%zd given)",
                     fname, n_positional, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        out[i] = args[i];
    Py_ssize_t n_kw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < n_kw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int found = -1;
        for (int i = 0; i < n_names && found < 0; i++)
            if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0)
                found = i;
        if (found < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         key);
            return -1;
        }
        if (out[found] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                         names[found]);
            return -1;
        }
        out[found] = args[nargs + k];
    }
    for (int i = 0; i < n_required; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname,
                         names[i]);
            return -1;
        }
    }
    return 0;
}

/* ---- TrialState ---------------------------------------------------------------------
 * Optuna numbers its states RUNNING 0, COMPLETE 1, PRUNED 2, FAIL 3, WAITING 4; the
 * library WAITING 0, RUNNING 1, COMPLETE 2, PRUNED 3, FAIL 4, PAUSED 5. Optuna has no
 * PAUSED: a paused trial is one that will go on, so Python sees it RUNNING (its
 * system_attrs["paused_step"] tells the two apart). */

PyObject *hpspy_state_member(const hpspy_state *st, hps_trial_state state)
{
    if (state == HPS_PAUSED)
        state = HPS_RUNNING;
    unsigned index = (unsigned)state;
    if (index < 5 && st->states[index] != NULL) {
        Py_INCREF(st->states[index]);
        return st->states[index];
    }
    return PyLong_FromLong((long)((index + 4) % 5));
}

int hpspy_state_from_py(PyObject *obj, hps_trial_state *out)
{
    long optuna_code = PyLong_Check(obj) ? PyLong_AsLong(obj) : -1;
    if (optuna_code == -1 && PyErr_Occurred())
        PyErr_Clear();
    if (optuna_code < 0 || optuna_code > 4) {
        PyErr_Format(PyExc_ValueError, "%R is not a TrialState", obj);
        return -1;
    }
    *out = (hps_trial_state)((optuna_code + 1) % 5);
    return 0;
}

/* ---- JSON ----------------------------------------------------------------------------- */

PyObject *hpspy_json_dumps(const hpspy_state *st, PyObject *value)
{
    if (st->json_dumps == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "hpsearch._core is not initialized");
        return NULL;
    }
    PyObject *text = PyObject_CallOneArg(st->json_dumps, value);
    if (text == NULL)
        return NULL;
    PyObject *bytes = PyUnicode_AsUTF8String(text);
    Py_DECREF(text);
    return bytes;
}

PyObject *hpspy_json_loads(const hpspy_state *st, const char *text)
{
    if (text == NULL || strcmp(text, "{}") == 0)
        return PyDict_New();
    if (st->json_loads == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "hpsearch._core is not initialized");
        return NULL;
    }
    PyObject *str = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    if (str == NULL)
        return NULL;
    PyObject *obj = PyObject_CallOneArg(st->json_loads, str);
    Py_DECREF(str);
    return obj;
}

/* ---- module functions ------------------------------------------------------------ */

static PyObject *mod_register(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"trial_class", "frozen_class", "states", "float_dist",
                               "int_dist", "cat_dist", "adjust_float_high", "json_dumps",
                               "json_loads", "storage_error", "duplicated_error", "done_error",
                               NULL};
    PyObject *objs[12];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOOOOOOO:_register", keywords, &objs[0],
                                     &objs[1], &objs[2], &objs[3], &objs[4], &objs[5], &objs[6],
                                     &objs[7], &objs[8], &objs[9], &objs[10], &objs[11]))
        return NULL;
    hpspy_state *st = module_state(module);
    if (!PyType_Check(objs[0]) ||
        !PyType_IsSubtype((PyTypeObject *)objs[0], st->trial_type) || !PyType_Check(objs[1]) ||
        !PyType_IsSubtype((PyTypeObject *)objs[1], st->frozen_type)) {
        PyErr_SetString(PyExc_TypeError,
                        "trial_class and frozen_class must subclass _core.Trial and "
                        "_core.FrozenTrial");
        return NULL;
    }
    /* states: the members for WAITING, RUNNING, COMPLETE, PRUNED, FAIL in this order */
    if (!PyTuple_Check(objs[2]) || PyTuple_GET_SIZE(objs[2]) != 5) {
        PyErr_SetString(PyExc_TypeError, "states must be a tuple of 5 TrialState members");
        return NULL;
    }
    for (int i = 0; i < 12; i++) {
        if (objs[i] == Py_None) {
            PyErr_Format(PyExc_TypeError, "_register: %s must not be None", keywords[i]);
            return NULL;
        }
    }
    Py_XSETREF(st->trial_class, Py_NewRef(objs[0]));
    Py_XSETREF(st->frozen_class, Py_NewRef(objs[1]));
    for (int i = 0; i < 5; i++)
        Py_XSETREF(st->states[i], Py_NewRef(PyTuple_GET_ITEM(objs[2], i)));
    Py_XSETREF(st->float_dist, Py_NewRef(objs[3]));
    Py_XSETREF(st->int_dist, Py_NewRef(objs[4]));
    Py_XSETREF(st->cat_dist, Py_NewRef(objs[5]));
    Py_XSETREF(st->adjust_float_high, Py_NewRef(objs[6]));
    Py_XSETREF(st->json_dumps, Py_NewRef(objs[7]));
    Py_XSETREF(st->json_loads, Py_NewRef(objs[8]));
    Py_XSETREF(st->exc_storage, Py_NewRef(objs[9]));
    Py_XSETREF(st->exc_duplicated, Py_NewRef(objs[10]));
    Py_XSETREF(st->exc_done, Py_NewRef(objs[11]));
    Py_RETURN_NONE;
}

static PyObject *mod_delete_study(PyObject *module, PyObject *args)
{
    const char *url, *name;
    if (!PyArg_ParseTuple(args, "ss:delete_study", &url, &name))
        return NULL;
    char msg[HPSPY_MSG_SIZE] = "";
    hps_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = hps_study_delete(url, name, msg, sizeof msg);
    Py_END_ALLOW_THREADS
    if (rc != HPS_OK)
        return hpspy_raise(module_state(module), rc, msg);
    Py_RETURN_NONE;
}

static PyObject *mod_list_studies(PyObject *module, PyObject *args)
{
    const char *url;
    if (!PyArg_ParseTuple(args, "s:list_studies", &url))
        return NULL;
    char msg[HPSPY_MSG_SIZE] = "";
    char *json = NULL;
    hps_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = hps_storage_list_studies(url, &json, msg, sizeof msg);
    Py_END_ALLOW_THREADS
    if (rc != HPS_OK)
        return hpspy_raise(module_state(module), rc, msg);
    PyObject *text = PyUnicode_DecodeUTF8(json, (Py_ssize_t)strlen(json), "replace");
    hps_free(json);
    return text;
}

/* A sequence of floats as a C array of exactly `want` doubles (PyMem_Free it). */
static double *float_array(PyObject *seq, Py_ssize_t want, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, "a sequence of floats is needed");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    double *out = NULL;
    if (n != want) {
        PyErr_Format(PyExc_ValueError, "%s: %zd numbers expected, got %zd", what, want, n);
    } else {
        out = PyMem_Calloc((size_t)n + 1, sizeof *out);
        if (out == NULL)
            PyErr_NoMemory();
        for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
            out[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
            if (out[i] == -1.0 && PyErr_Occurred()) {
                PyMem_Free(out);
                out = NULL;
            }
        }
    }
    Py_DECREF(fast);
    return out;
}

/* The regret bound (hps_regret_bound) of n trials over d parameters: `internal` holds n
 * rows of d internal values, flattened. */
static PyObject *mod_regret_bound(PyObject *module, PyObject *args)
{
    const char *space;
    PyObject *internal_seq, *values_seq;
    Py_ssize_t n, d, min_n;
    int maximize;
    double ratio;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "snnOOpdnK:regret_bound", &space, &n, &d, &internal_seq,
                          &values_seq, &maximize, &ratio, &min_n, &seed))
        return NULL;
    if (n < 0 || d < 0 || min_n < 0 || (d > 0 && n > PY_SSIZE_T_MAX / d)) {
        PyErr_SetString(PyExc_ValueError, "regret_bound: bad sizes");
        return NULL;
    }
    double *internal = float_array(internal_seq, n * d, "internal values");
    double *values = internal != NULL ? float_array(values_seq, n, "objective values") : NULL;
    if (values == NULL) {
        PyMem_Free(internal);
        return NULL;
    }
    char msg[HPSPY_MSG_SIZE] = "";
    double bound = 0;
    hps_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = hps_regret_bound(space, internal, values, (size_t)n, maximize ? HPS_MAXIMIZE : HPS_MINIMIZE,
                          ratio, (size_t)min_n, (uint64_t)seed, &bound, msg, sizeof msg);
    Py_END_ALLOW_THREADS
    PyMem_Free(internal);
    PyMem_Free(values);
    if (rc != HPS_OK)
        return hpspy_raise(module_state(module), rc, msg);
    return PyFloat_FromDouble(bound);
}

/* The hypervolume (hps_hypervolume, every objective minimized) of n points of m
 * objectives: `points` holds the n rows flattened. */
static PyObject *mod_hypervolume(PyObject *module, PyObject *args)
{
    PyObject *points_seq, *reference_seq;
    Py_ssize_t n, m;
    if (!PyArg_ParseTuple(args, "OnnO:hypervolume", &points_seq, &n, &m, &reference_seq))
        return NULL;
    if (n < 0 || m <= 0 || n > PY_SSIZE_T_MAX / m) {
        PyErr_Format(PyExc_ValueError, "hypervolume: bad sizes (%zd points of %zd objectives)",
                     n, m);
        return NULL;
    }
    double *reference = float_array(reference_seq, m, "reference point");
    double *points = reference != NULL ? float_array(points_seq, n * m, "points") : NULL;
    if (points == NULL) {
        PyMem_Free(reference);
        return NULL;
    }
    double volume = 0;
    hps_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = hps_hypervolume(points, (size_t)n, (size_t)m, reference, &volume);
    Py_END_ALLOW_THREADS
    PyMem_Free(points);
    PyMem_Free(reference);
    if (rc != HPS_OK)
        return hpspy_raise(module_state(module), rc,
                           rc == HPS_ERR_INVALID ? "hypervolume: the reference point must be "
                                                   "finite, with 1 to 64 objectives"
                                                 : "hypervolume");
    return PyFloat_FromDouble(volume);
}

static PyObject *mod_strerror(PyObject *module, PyObject *arg)
{
    (void)module;
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromFormat("%s: %s", hps_status_name((hps_status)code),
                                hps_strerror((hps_status)code));
}

static PyMethodDef module_methods[] = {
    {"_register", (PyCFunction)(void (*)(void))mod_register, METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("_register(**classes): hands the Python package's classes to the extension.")},
    {"delete_study", mod_delete_study, METH_VARARGS,
     PyDoc_STR("delete_study(storage_url, name): deletes a study and all its trials; "
               "KeyError when it does not exist.")},
    {"list_studies", mod_list_studies, METH_VARARGS,
     PyDoc_STR("list_studies(storage_url) -> str: the studies of a storage as JSON text.")},
    {"regret_bound", mod_regret_bound, METH_VARARGS,
     PyDoc_STR("regret_bound(space_json, n, d, internal, values, maximize, top_trials_ratio, "
               "min_n_trials, seed) -> float: hps_regret_bound over n trials of d parameters")},
    {"hypervolume", mod_hypervolume, METH_VARARGS,
     PyDoc_STR("hypervolume(points, n, m, reference) -> float: hps_hypervolume of n points "
               "of m objectives (minimized), `points` flattened row by row")},
    {"strerror", mod_strerror, METH_O,
     PyDoc_STR("strerror(code) -> str: the name and description of a library status.")},
    {NULL, NULL, 0, NULL},
};

/* ---- lifecycle ---------------------------------------------------------------------- */

static int module_traverse(PyObject *module, visitproc visit, void *arg)
{
    hpspy_state *st = module_state(module);
    if (st == NULL)
        return 0;
    Py_VISIT(st->study_type);
    Py_VISIT(st->trial_type);
    Py_VISIT(st->frozen_type);
    Py_VISIT(st->trial_class);
    Py_VISIT(st->frozen_class);
    for (int i = 0; i < 5; i++)
        Py_VISIT(st->states[i]);
    Py_VISIT(st->float_dist);
    Py_VISIT(st->int_dist);
    Py_VISIT(st->cat_dist);
    Py_VISIT(st->adjust_float_high);
    Py_VISIT(st->json_dumps);
    Py_VISIT(st->json_loads);
    Py_VISIT(st->exc_storage);
    Py_VISIT(st->exc_duplicated);
    Py_VISIT(st->exc_done);
    return 0;
}

static int module_clear(PyObject *module)
{
    hpspy_state *st = module_state(module);
    if (st == NULL)
        return 0;
    Py_CLEAR(st->study_type);
    Py_CLEAR(st->trial_type);
    Py_CLEAR(st->frozen_type);
    Py_CLEAR(st->trial_class);
    Py_CLEAR(st->frozen_class);
    for (int i = 0; i < 5; i++)
        Py_CLEAR(st->states[i]);
    Py_CLEAR(st->float_dist);
    Py_CLEAR(st->int_dist);
    Py_CLEAR(st->cat_dist);
    Py_CLEAR(st->adjust_float_high);
    Py_CLEAR(st->json_dumps);
    Py_CLEAR(st->json_loads);
    Py_CLEAR(st->exc_storage);
    Py_CLEAR(st->exc_duplicated);
    Py_CLEAR(st->exc_done);
    return 0;
}

static void module_free(void *module)
{
    module_clear(module);
}

static struct PyModuleDef hpspy_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hpsearch._core",
    .m_doc = PyDoc_STR("The C engine of hpsearch. Use the hpsearch package, not this module."),
    .m_size = sizeof(hpspy_state),
    .m_methods = module_methods,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

static PyTypeObject *add_type(PyObject *module, PyType_Spec *spec, const char *name)
{
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (type == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, name, type) < 0) {
        Py_DECREF(type);
        return NULL;
    }
    return (PyTypeObject *)type;
}

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
    PyObject *module = PyModule_Create(&hpspy_module_def);
    if (module == NULL)
        return NULL;
    hpspy_state *st = module_state(module);
    memset(st, 0, sizeof *st);
    st->study_type = add_type(module, &hpspy_study_spec, "Study");
    if (st->study_type == NULL)
        goto fail;
    st->trial_type = add_type(module, &hpspy_trial_spec, "Trial");
    if (st->trial_type == NULL)
        goto fail;
    st->frozen_type = add_type(module, &hpspy_frozen_spec, "FrozenTrial");
    if (st->frozen_type == NULL)
        goto fail;
    /* Usable on its own (the tests do) until the package registers its classes. */
    st->trial_class = Py_NewRef((PyObject *)st->trial_type);
    st->frozen_class = Py_NewRef((PyObject *)st->frozen_type);
    st->exc_storage = Py_NewRef(PyExc_RuntimeError);
    st->exc_duplicated = Py_NewRef(PyExc_RuntimeError);
    st->exc_done = Py_NewRef(PyExc_RuntimeError);
    if (PyModule_AddStringConstant(module, "ENGINE_VERSION", HPS_VERSION_STRING) < 0)
        goto fail;
    return module;
fail:
    Py_DECREF(module);
    return NULL;
}
