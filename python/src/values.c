/* values.c -- parameter values and distributions between the library and Python. */
#include "hpsearch_py.h"

#include <string.h>

PyObject *hpspy_value_to_py(const hps_value *v)
{
    switch (v->type) {
    case HPS_VALUE_STRING:
        return PyUnicode_DecodeUTF8(v->u.s, (Py_ssize_t)strlen(v->u.s), "replace");
    case HPS_VALUE_INT:
        return PyLong_FromLongLong((long long)v->u.i);
    case HPS_VALUE_FLOAT:
        return PyFloat_FromDouble(v->u.f);
    case HPS_VALUE_BOOL:
        return PyBool_FromLong(v->u.b);
    case HPS_VALUE_NONE:
        break;
    }
    Py_RETURN_NONE;
}

/* numpy.bool_ is neither a bool nor (usably) an index; recognize it by name so that it
 * is stored as the boolean it means rather than as 1.0. */
static int is_numpy_bool(PyObject *obj)
{
    const char *name = Py_TYPE(obj)->tp_name;
    return strcmp(name, "numpy.bool_") == 0 || strcmp(name, "numpy.bool") == 0;
}

static int store_int(PyObject *number, hps_value *out, const char *what, Py_ssize_t index)
{
    int overflow = 0;
    long long i = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (i == -1 && PyErr_Occurred())
        return -1;
    if (overflow != 0) {
        PyErr_Format(PyExc_ValueError, "%s: value %zd (%R) does not fit in 64 bits", what, index,
                     number);
        return -1;
    }
    out->type = HPS_VALUE_INT;
    out->u.i = (int64_t)i;
    return 0;
}

int hpspy_value_from_py(PyObject *obj, hps_value *out, const char *what, Py_ssize_t index)
{
    memset(out, 0, sizeof *out);
    if (obj == Py_None) {
        PyErr_Format(PyExc_ValueError,
                     "%s: value %zd is None, which hpsearch cannot store (the engine keeps "
                     "str, int, float and bool values); use a string such as \"none\" instead",
                     what, index);
        return -1;
    }
    if (PyBool_Check(obj) || is_numpy_bool(obj)) {
        int truth = PyObject_IsTrue(obj);
        if (truth < 0)
            return -1;
        out->type = HPS_VALUE_BOOL;
        out->u.b = truth;
        return 0;
    }
    if (PyLong_Check(obj))
        return store_int(obj, out, what, index);
    if (PyFloat_Check(obj)) {
        out->type = HPS_VALUE_FLOAT;
        out->u.f = PyFloat_AS_DOUBLE(obj);
        return 0;
    }
    if (PyUnicode_Check(obj)) {
        Py_ssize_t size;
        const char *text = PyUnicode_AsUTF8AndSize(obj, &size);
        if (text == NULL)
            return -1;
        if ((size_t)size != strlen(text)) {
            PyErr_Format(PyExc_ValueError, "%s: value %zd contains a NUL character", what, index);
            return -1;
        }
        out->type = HPS_VALUE_STRING;
        out->u.s = text;
        return 0;
    }
    /* numpy integers and floats (np.int64, np.float32) are numbers too. */
    if (PyIndex_Check(obj)) {
        PyObject *number = PyNumber_Index(obj);
        if (number != NULL) {
            int rc = store_int(number, out, what, index);
            Py_DECREF(number);
            return rc;
        }
        PyErr_Clear();
    }
    if (Py_TYPE(obj)->tp_as_number != NULL && Py_TYPE(obj)->tp_as_number->nb_float != NULL &&
        !PySequence_Check(obj)) {
        double f = PyFloat_AsDouble(obj);
        if (f == -1.0 && PyErr_Occurred())
            return -1;
        out->type = HPS_VALUE_FLOAT;
        out->u.f = f;
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s: value %zd is %R of type %s; hpsearch stores str, int, float and bool "
                 "values only",
                 what, index, obj, Py_TYPE(obj)->tp_name);
    return -1;
}

PyObject *hpspy_dist_to_py(const hpspy_state *st, hps_dist_kind kind, double low, double high,
                           double step, unsigned flags, const hps_value *choices,
                           size_t n_choices)
{
    if (st->float_dist == NULL || st->int_dist == NULL || st->cat_dist == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "hpsearch._core is not initialized");
        return NULL;
    }
    PyObject *log = (flags & HPS_LOG) ? Py_True : Py_False;
    if (kind == HPS_DIST_FLOAT) {
        if (step > 0)
            return PyObject_CallFunction(st->float_dist, "ddOd", low, high, log, step);
        return PyObject_CallFunction(st->float_dist, "ddOO", low, high, log, Py_None);
    }
    if (kind == HPS_DIST_INT)
        return PyObject_CallFunction(st->int_dist, "LLOL", (long long)low, (long long)high, log,
                                     (long long)(step >= 1 ? step : 1));
    PyObject *tuple = PyTuple_New((Py_ssize_t)n_choices);
    if (tuple == NULL)
        return NULL;
    for (size_t i = 0; i < n_choices; i++) {
        PyObject *item = hpspy_value_to_py(&choices[i]);
        if (item == NULL) {
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, item);
    }
    PyObject *dist = PyObject_CallOneArg(st->cat_dist, tuple);
    Py_DECREF(tuple);
    return dist;
}
