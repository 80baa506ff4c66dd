/*
 * hpsearch_py.h -- what the files of the hpsearch._core extension share.
 *
 * The extension is a thin layer over the public C API (include/hpsearch.h): one file per
 * Python type (study.c, trial.c, frozen.c), the module and its state (module.c), and the
 * conversions between hps_value and Python objects (values.c).
 *
 * Threads. One hps_study handle and the trials it produced must not be used from two
 * threads at once, so each Study object carries a lock and every call into the library
 * for that study, together with reading its error message, happens while holding it --
 * with the GIL released, because storage and sampling happen there. No Python code ever
 * runs while the lock is held: whatever a Python object needs from a borrowed hps_frozen
 * is first copied into a private snapshot (hpspy_snap) under the lock and converted
 * after it was released. That rule is what keeps the lock free of deadlocks (a garbage
 * collection can run finalizers at any allocation) and of borrowed pointers going stale.
 *
 * Samplers and pruners written in Python keep that rule too: their methods are called
 * between engine calls, never from inside one (plugins.c), so they may use the study.
 */
#ifndef HPSEARCH_PY_H
#define HPSEARCH_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "hpsearch.h"

#include <stdint.h>

/* Python 3.9 lacks these two 3.10 conveniences. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *hpspy_newref_(PyObject *obj)
{
    Py_INCREF(obj);
    return obj;
}
#define Py_NewRef(obj) hpspy_newref_((PyObject *)(obj))
static inline int PyModule_AddObjectRef(PyObject *module, const char *name, PyObject *value)
{
    Py_INCREF(value);
    int rc = PyModule_AddObject(module, name, value);
    if (rc < 0)
        Py_DECREF(value);
    return rc;
}
#endif

/* The exception set, put aside while other code runs (normalized: `value` is the
 * exception object), and put back. 3.12 deprecates PyErr_Fetch for this. */
typedef struct hpspy_saved_error {
    PyObject *type, *value, *traceback;
} hpspy_saved_error;

static inline void hpspy_error_save(hpspy_saved_error *e)
{
#if PY_VERSION_HEX >= 0x030C0000
    e->type = e->traceback = NULL;
    e->value = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&e->type, &e->value, &e->traceback);
    PyErr_NormalizeException(&e->type, &e->value, &e->traceback);
#endif
}

static inline void hpspy_error_restore(hpspy_saved_error *e)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(e->value);
#else
    PyErr_Restore(e->type, e->value, e->traceback);
#endif
    e->type = e->value = e->traceback = NULL;
}

/* Drops a saved exception that will not be raised (a no-op when none is saved). */
static inline void hpspy_error_discard(hpspy_saved_error *e)
{
    Py_CLEAR(e->type);
    Py_CLEAR(e->value);
    Py_CLEAR(e->traceback);
}

/* Long enough for any library message (the library caps its own at 512 bytes). */
#define HPSPY_MSG_SIZE 640
/* The engine's limit on a study's directions. */
#define HPSPY_MAX_DIRECTIONS 64

/* ---- module state --------------------------------------------------------------- */

/* Everything the C code needs from Python. The Python package registers its classes
 * with _core._register() when it is imported; until then the C base types stand in. */
typedef struct hpspy_state {
    PyTypeObject *study_type;
    PyTypeObject *trial_type;
    PyTypeObject *frozen_type;
    PyObject *trial_class;   /* what ask() instantiates: hpsearch.trial.Trial */
    PyObject *frozen_class;  /* what trials are read into: hpsearch.trial.FrozenTrial */
    PyObject *states[5];     /* TrialState members, indexed by hps_trial_state */
    PyObject *float_dist;    /* distribution classes */
    PyObject *int_dist;
    PyObject *cat_dist;
    PyObject *adjust_float_high; /* Optuna's rounding of high onto a float step grid */
    PyObject *json_dumps;
    PyObject *json_loads;
    PyObject *exc_storage;    /* StorageInternalError */
    PyObject *exc_duplicated; /* DuplicatedStudyError */
    PyObject *exc_done;       /* StudyDone */
} hpspy_state;

/* The state of the module that defined `type` or one of its bases; NULL (with an
 * exception set) when `type` is not derived from one of the module's types. */
hpspy_state *hpspy_state_of_type(PyTypeObject *type);

/* Raises the Python exception that corresponds to a library status, with `msg`:
 * ValueError (INVALID, MISMATCH), MemoryError, KeyError (NOTFOUND),
 * DuplicatedStudyError (EXISTS), StorageInternalError (STORAGE, IO, CORRUPT),
 * RuntimeError (STATE, ABORTED), NotImplementedError (UNSUPPORTED). Returns NULL. */
PyObject *hpspy_raise(const hpspy_state *st, hps_status status, const char *msg);

/* Copies a library message into a caller buffer of HPSPY_MSG_SIZE bytes. */
void hpspy_copy_msg(char *dst, const char *src);

/* Argument parsing for METH_FASTCALL | METH_KEYWORDS methods, cheaper than building the
 * tuple and dict PyArg_ParseTupleAndKeywords needs (suggest_* run in users' inner
 * loops). Fills out[i] (borrowed) for each of the `n_names` parameters given, by
 * position (the first `n_positional` only) or keyword; absent ones stay NULL. The first
 * `n_required` must be given. Returns -1 with TypeError otherwise. */
int hpspy_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames, const char *const *names, int n_names, int n_positional,
                     int n_required, PyObject **out);

/* ---- studies --------------------------------------------------------------------- */

typedef struct hpspy_relay hpspy_relay;

typedef struct hpspy_study {
    PyObject_HEAD
    hpspy_state *st;
    hps_study *study;         /* NULL until _open() succeeded */
    PyThread_type_lock lock;  /* serializes every use of `study` and its trials */
    int persistent;           /* storage outlives the process (not ":memory:") */
    size_t n_directions;
    PyObject *pending_attrs;  /* {number: {key: value}}: user attrs of enqueued trials */
    PyObject *py_sampler;     /* a sampler written in Python, or NULL */
    hpspy_relay *relay;       /* its engine side, owned by the engine; under the lock */
    PyObject *py_pruner;      /* a pruner written in Python, or NULL */
    PyObject *constraints_func; /* the engine sampler's constraints_func, or NULL */
    int has_constraint_keys;  /* the study's "constraint_keys" was seen (it never goes) */
    PyObject *independent_hook; /* called (trial, name) after a suggestion the engine
                                   sampler drew independently (CmaEsSampler's
                                   warn_independent_sampling), or NULL */
    int ranks_objectives;     /* several directions, and the engine's pruner ranks them
                                 (asha, hyperband): report takes a sequence, should_prune
                                 asks it, where Optuna raises NotImplementedError */
} hpspy_study;

/* Runs `stmt` with the GIL released and the study's lock held. `stmt` must not touch
 * Python objects. */
#define HPSPY_LOCKED(s, stmt)                                                            \
    do {                                                                                 \
        PyThreadState *hpspy_ts_ = PyEval_SaveThread();                                 \
        PyThread_acquire_lock((s)->lock, WAIT_LOCK);                                     \
        stmt;                                                                            \
        PyThread_release_lock((s)->lock);                                                \
        PyEval_RestoreThread(hpspy_ts_);                                                 \
    } while (0)

/* The study's directions as a tuple of the library's codes (0 minimize, 1 maximize). */
PyObject *hpspy_study_directions(hpspy_study *self);

extern PyType_Spec hpspy_study_spec;

/* ---- trials ------------------------------------------------------------------------ */

typedef struct hpspy_trial {
    PyObject_HEAD
    hpspy_study *study;  /* strong reference: keeps the handle and its lock alive */
    hps_trial *trial;    /* owned; freed (under the study's lock) with the object */
    int64_t number;
    PyObject *weakrefs;
    PyObject *relative;  /* a Python sampler's (search space, relative sample), or NULL */
    int paused;          /* this handle paused the trial (pause()): optimize tells it not */
} hpspy_trial;

/* A new Trial object (of the registered class) owning `trial`. On failure the trial
 * handle is freed and NULL returned. */
PyObject *hpspy_trial_new(hpspy_study *study, hps_trial *trial);

extern PyType_Spec hpspy_trial_spec;

/* ---- samplers written in Python (plugins.c) ---------------------------------------- */

/* The engine samples a study through a registered sampler ("python") whose only job is
 * to hand over values the Python sampler drew: the relay. A suggestion runs in two
 * engine calls when the engine needs a value: the first finds it wanted (and changes
 * nothing), the binding then calls the Python sampler with no lock held, and the second
 * offers the value. */

/* A new engine sampler relaying values, and its relay (valid while the engine holds
 * the sampler). On error *out is NULL and `msg` (HPSPY_MSG_SIZE) says why. */
hps_status hpspy_relay_sampler_new(hps_sampler **out, hpspy_relay **relay_out, char *msg);

/* Before an engine call under the study's lock: offer `internal` for parameter `name`
 * of trial `number` (offered = 1), or nothing. */
void hpspy_relay_arm(hpspy_relay *relay, int offered, int64_t number, const char *name,
                     double internal);
/* After it: 1 when the engine wanted a value that was not offered. Clears the relay. */
int hpspy_relay_disarm(hpspy_relay *relay);

/* ---- frozen trials ------------------------------------------------------------------ */

/* A private copy of an hps_frozen, taken under the study's lock (no Python involved),
 * read into Python objects later, field by field as they are asked for. */
typedef struct hpspy_snap hpspy_snap;

/* NULL when out of memory. */
hpspy_snap *hpspy_snap_take(const hps_frozen *rec);
void hpspy_snap_free(hpspy_snap *snap);
/* The params dict ({name: external value}) of a snapshot. */
PyObject *hpspy_snap_params(const hpspy_snap *snap);

/* A FrozenTrial (of the registered class) over `snap`, which it takes over even when it
 * fails. */
PyObject *hpspy_frozen_new(hpspy_state *st, hpspy_snap *snap);

extern PyType_Spec hpspy_frozen_spec;

/* ---- values -------------------------------------------------------------------------- */

/* The Python object of an external value: str, int, float or bool. */
PyObject *hpspy_value_to_py(const hps_value *v);

/* Reads a categorical choice or grid value. A string's bytes are borrowed from `obj`,
 * which must outlive `out`. Raises ValueError for None and TypeError for types the
 * engine cannot store; `what` names the value in messages. Returns -1 on error. */
int hpspy_value_from_py(PyObject *obj, hps_value *out, const char *what, Py_ssize_t index);

/* A distribution object (FloatDistribution, IntDistribution, CategoricalDistribution). */
PyObject *hpspy_dist_to_py(const hpspy_state *st, hps_dist_kind kind, double low, double high,
                           double step, unsigned flags, const hps_value *choices,
                           size_t n_choices);

/* JSON text of a Python value (json.dumps) as a new bytes object, or NULL. */
PyObject *hpspy_json_dumps(const hpspy_state *st, PyObject *value);
/* A Python object from JSON text; "{}" becomes a new empty dict without parsing. */
PyObject *hpspy_json_loads(const hpspy_state *st, const char *text);

/* Optuna's TrialState member for a library state (a new reference). */
PyObject *hpspy_state_member(const hpspy_state *st, hps_trial_state state);
/* The library state of a TrialState member or int (Optuna's numbering); -1 with
 * ValueError for anything else. */
int hpspy_state_from_py(PyObject *obj, hps_trial_state *out);

#endif /* HPSEARCH_PY_H */
