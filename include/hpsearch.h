/*
 * hpsearch.h -- the public interface of libhpsearch, a hyperparameter-search engine.
 *
 * This header is the specification: anything not declared here is not API.
 *
 * Model
 *   A *study* is a named optimization stored in a *storage* (":memory:", "sqlite:PATH").
 *   Each evaluation of the objective is a *trial*: the caller asks the study for a trial,
 *   asks the trial for parameter values (suggest), runs its training, optionally reports
 *   intermediate values, and tells the study the outcome. Many processes may open the
 *   same study in the same persistent storage at once; trial numbers and grid cells are
 *   claimed atomically, so no work is duplicated or lost.
 *
 *   A complete program (the test suite compiles it from this comment and runs it):
 *
 *      #include <hpsearch.h>
 *      #include <stdio.h>
 *
 *      static double train(double lr) { return (lr - 0.01) * (lr - 0.01); }
 *
 *      int main(void)
 *      {
 *          hps_study *study;
 *          char err[256];
 *          hps_direction dir = HPS_MINIMIZE;
 *          if (hps_study_open("sqlite:tune.db", "mlp", HPS_OPEN_CREATE | HPS_OPEN_LOAD,
 *                             &dir, 1, &study, err, sizeof err) != HPS_OK) {
 *              fprintf(stderr, "%s\n", err);
 *              return 1;
 *          }
 *          hps_study_set(study, "max_trials", "20");
 *          hps_trial *trial;
 *          while (hps_study_ask(study, &trial) == HPS_OK) {
 *              double lr;
 *              hps_trial_suggest_float(trial, "lr", 1e-4, 1e-1, 0, HPS_LOG, &lr);
 *              hps_trial_tell(trial, HPS_COMPLETE, train(lr));
 *              hps_trial_free(trial);
 *          }
 *          const hps_frozen *best;
 *          if (hps_study_best_trial(study, &best) == HPS_OK)
 *              printf("best lr %g\n", hps_frozen_param_value(best, 0).u.f);
 *          hps_study_close(study);
 *          return 0;
 *      }
 *
 *   Link it with `cc prog.c $(pkg-config --cflags --libs hpsearch)`.
 *
 * Conventions
 *   - Functions return hps_status: HPS_OK (0), a negative error, or a positive normal
 *     outcome such as HPS_DONE. The text of the last error is on the handle the failing
 *     call was made on: hps_study_errmsg(), hps_trial_errmsg(), hps_sampler_errmsg().
 *     These never return NULL. The library never prints, exits or aborts on bad input.
 *   - Text: study, parameter and attribute names and string choices are UTF-8 (1 to
 *     1024 bytes for names); attribute values are JSON text of at most 1 MiB. Anything
 *     else is HPS_ERR_INVALID. All of it is stored through bound SQL parameters, so
 *     quotes, semicolons and newlines are plain characters.
 *   - Ownership: inputs are copied. A returned `const char *` or `const hps_frozen *` is
 *     borrowed and valid until the next call that takes the same study (or its trials).
 *     Every *_free / *_close accepts NULL.
 *   - Threads: handles carry no global state, so different studies may be used from
 *     different threads freely. One study handle and the trials it produced must not be
 *     used from two threads at the same time; serialize such calls yourself (the Python
 *     binding does). The library's own heartbeat thread is internal and needs no care.
 *   - Values have an *internal* form, a double: floats and ints are themselves, a
 *     categorical parameter is the index of its choice. External forms (hps_value)
 *     appear only where the caller hands over or reads a parameter.
 */
#ifndef HPSEARCH_H
#define HPSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HPS_VERSION_STRING "0.1.0"

/* Marks the library's API: the shared library exports these names and nothing else
 * (it is built with hidden visibility), as libuv's UV_EXTERN does. */
#if defined(__GNUC__) || defined(__clang__)
#define HPS_API __attribute__((visibility("default")))
#else
#define HPS_API
#endif

/* ---- status codes -------------------------------------------------------------
 * One list gives the enum, the names and the descriptions. Codes are never renumbered. */
#define HPS_STATUS_MAP(X)                                                            \
    X(HPS_OK, 0, "ok")                                                               \
    X(HPS_DONE, 1, "nothing left to do (budget reached or grid exhausted)")          \
    X(HPS_ERR_INVALID, -1, "invalid argument")                                       \
    X(HPS_ERR_NOMEM, -2, "out of memory")                                            \
    X(HPS_ERR_NOTFOUND, -3, "not found")                                             \
    X(HPS_ERR_EXISTS, -4, "already exists")                                          \
    X(HPS_ERR_STORAGE, -5, "storage error")                                          \
    X(HPS_ERR_STATE, -6, "operation not allowed in the current state")              \
    X(HPS_ERR_MISMATCH, -7, "parameter re-suggested with a different distribution")  \
    X(HPS_ERR_IO, -8, "input/output error")                                          \
    X(HPS_ABORTED, -9, "aborted by a callback")                                      \
    X(HPS_ERR_UNSUPPORTED, -10, "not supported")                                     \
    X(HPS_ERR_CORRUPT, -11, "stored data is malformed")

typedef enum hps_status {
#define HPS_STATUS_ENUM_(name, code, text) name = code,
    HPS_STATUS_MAP(HPS_STATUS_ENUM_)
#undef HPS_STATUS_ENUM_
} hps_status;

/* The symbolic name ("HPS_ERR_INVALID") and a description of a status. Never NULL. */
HPS_API const char *hps_status_name(hps_status status);
HPS_API const char *hps_strerror(hps_status status);

/* ---- basic types -------------------------------------------------------------- */
typedef enum hps_direction { HPS_MINIMIZE = 0, HPS_MAXIMIZE = 1 } hps_direction;

typedef enum hps_trial_state {
    HPS_WAITING = 0,  /* enqueued, not started */
    HPS_RUNNING = 1,
    HPS_COMPLETE = 2,
    HPS_PRUNED = 3,
    HPS_FAIL = 4,
    /* stopped at a step with its checkpoint kept (hps_trial_pause), to be resumed: a
     * later ask may hand it back RUNNING, same number, params and intermediate values */
    HPS_PAUSED = 5
} hps_trial_state;

/* Name of a state ("COMPLETE"), or "UNKNOWN". Parse with hps_trial_state_parse. */
HPS_API const char *hps_trial_state_name(hps_trial_state state);
HPS_API hps_status hps_trial_state_parse(const char *name, hps_trial_state *out);

/* Flags of float and int distributions. */
#define HPS_LOG 1u /* sample uniformly in log space; requires low > 0 */

typedef enum hps_value_type {
    HPS_VALUE_NONE = 0,
    HPS_VALUE_STRING,
    HPS_VALUE_INT,
    HPS_VALUE_FLOAT,
    HPS_VALUE_BOOL
} hps_value_type;

/* A parameter value in its external form; also a categorical choice. When the library
 * returns one, `s` is borrowed like any returned string. */
typedef struct hps_value {
    hps_value_type type;
    union {
        const char *s;
        int64_t i;
        double f;
        int b;
    } u;
} hps_value;

/* Distributions, read-only views. Obtained from hps_frozen_param_dist. */
typedef struct hps_dist hps_dist;
typedef enum hps_dist_kind { HPS_DIST_FLOAT = 0, HPS_DIST_INT = 1, HPS_DIST_CATEGORICAL = 2 } hps_dist_kind;

HPS_API hps_dist_kind hps_dist_get_kind(const hps_dist *dist);
/* Float and int: bounds, step (0 when none) and HPS_LOG flag. */
HPS_API double hps_dist_low(const hps_dist *dist);
HPS_API double hps_dist_high(const hps_dist *dist);
HPS_API double hps_dist_step(const hps_dist *dist);
HPS_API unsigned hps_dist_flags(const hps_dist *dist);
/* Categorical: number of choices and the i-th choice. */
HPS_API size_t hps_dist_n_choices(const hps_dist *dist);
HPS_API hps_value hps_dist_choice(const hps_dist *dist, size_t i);
/* The external value of an internal one (a categorical index becomes its choice). */
HPS_API hps_value hps_dist_external(const hps_dist *dist, double internal);
/* Writes the distribution as JSON ({"type":"float","low":..}); free with hps_free. */
HPS_API hps_status hps_dist_to_json(const hps_dist *dist, char **out);

/* Frees memory the library returned through a `char **` output. */
HPS_API void hps_free(void *ptr);

/* ---- samplers -------------------------------------------------------------------
 * A sampler decides parameter values. Create one by name, set options by name, then
 * hand it to a study (which takes ownership); a study samples with "random" until it is
 * given another. The built-in samplers:
 *   "random"  independent uniform / log-uniform sampling.
 *   "grid"    every combination of per-parameter value lists (hps_sampler_grid_add),
 *             or every active one of a conditional grid (hps_sampler_grid_when),
 *             each exactly once across all workers of a study; the study ends
 *             (HPS_DONE) when the grid is exhausted.
 *   "sobol"   a scrambled Sobol low-discrepancy sequence.
 *   "gp"      Bayesian optimization with a Gaussian process and log expected
 *             improvement; running trials are fantasized; a FAIL trial (not one
 *             failed as interrupted) enters the model at the worst value observed.
 *   "tpe"     the tree-structured Parzen estimator, with Optuna's semantics and options.
 *   "cmaes"   CMA-ES over the numeric parameters, with restarts.
 *   "nsga2"   NSGA-II, the genetic algorithm for one or several objectives, with
 *             constraints (hps_trial_set_constraints) by Deb's constrained domination.
 *   "nsga3"   NSGA-III, the same with the last front kept by niching around reference
 *             points instead of by crowding distance, for three or more objectives.
 *   "auto"    picks one of the above for each trial from the space, the budget and the
 *             history, and records it in the trial's system attribute "sampler".
 * Their options -- `seed` for every sampler, and each one's own -- with type, default,
 * accepted values and meaning: hps_sampler_catalog.
 * Random, grid and Sobol suggestions depend only on the seed, the trial number and the
 * parameter, so parallel workers with one seed reproduce a sequential run; the model-
 * based samplers are deterministic for a seed and a given order of results. */
typedef struct hps_sampler hps_sampler;

HPS_API hps_status hps_sampler_new(const char *name, hps_sampler **out, char *errbuf, size_t errlen);
HPS_API void hps_sampler_free(hps_sampler *sampler);
HPS_API const char *hps_sampler_name(const hps_sampler *sampler);
/* Sets an option from its text form (as hps_sampler_catalog describes it). A value the
 * option does not take is HPS_ERR_INVALID with a message naming the option, the value
 * and what it takes ("sampler 'tpe': n_ei_candidates must be an integer in [1, 100000]
 * (got '0')"); an unknown option is HPS_ERR_INVALID with a message listing the
 * sampler's options. Options cannot change once the sampler joined a study
 * (HPS_ERR_STATE). */
HPS_API hps_status hps_sampler_set(hps_sampler *sampler, const char *option, const char *value);
/* Grid sampler: the values parameter `name` takes, in order. Values are copied. */
HPS_API hps_status hps_sampler_grid_add(hps_sampler *sampler, const char *name,
                                const hps_value *values, size_t n_values);
/* Grid sampler: makes parameter `name` conditional -- active only in the cells where
 * `parent` takes one of `values` (copied; each must be one of the parent's grid values,
 * compared as Python does: 1 == 1.0 == True) and `parent` is active itself. Several
 * conditions of one parameter must all hold. Both parameters must have been added, the
 * parent first, so conditions nest but never form a cycle. The grid then holds only the
 * active combinations: its cells are the sum over the branches (assignments of the
 * parameters that conditions name) of the product of the other active parameters'
 * value counts, each run once (or `repeats` times) across all workers, and a trial
 * suggests only its cell's active parameters (suggesting an inactive one is
 * HPS_ERR_INVALID). Cells are numbered branch after branch, the branches in the order of
 * nested loops over the parents' values in the order they were added, and inside a
 * branch as nested loops over its other parameters. HPS_ERR_INVALID for an unknown
 * parameter, a parent added after the child, no values or a value that is not the
 * parent's, or more than a million branches; HPS_ERR_STATE once the sampler joined a
 * study. */
HPS_API hps_status hps_sampler_grid_when(hps_sampler *sampler, const char *name,
                                         const char *parent, const hps_value *values,
                                         size_t n_values);
/* Grid sampler: number of cells (product of the value counts, or for a conditional grid
 * the active combinations); 0 when empty. */
HPS_API uint64_t hps_sampler_grid_size(const hps_sampler *sampler);
HPS_API const char *hps_sampler_errmsg(const hps_sampler *sampler);

/* The samplers this build has -- the built-in ones, then the registered ones in the
 * order of registration -- as a JSON array; free with hps_free:
 *   [{"name": "tpe", "help": "...", "learns": true, "registered": false,
 *     "options": [{"name": "n_ei_candidates", "type": "int", "default": "24", "min": 1,
 *                  "max": 100000, "accepts": "an integer in [1, 100000]",
 *                  "help": "..."}, ...]}, ...]
 * "learns" is false for a sampler whose suggestions ignore the results (random, grid,
 * sobol), true otherwise (a registered one may learn). An option's "type" is bool, int, float, enum or text; "default" is its text as the
 * set call takes it, or null when it has none; "accepts" says what it takes in the
 * words of the error messages. When they apply: "min" and "max" (absent: unbounded),
 * "min_excluded": true, "keyword" (a word taken besides the range, such as "auto"),
 * "choices" (enum), "required": true. A registered sampler lists `seed` only: its own
 * options are its set_option's. HPS_ERR_INVALID for a NULL json_out; HPS_ERR_NOMEM. */
HPS_API hps_status hps_sampler_catalog(char **json_out);

/* What the "auto" sampler picks for a space and a budget, and why -- for a front end to
 * explain the choice before a run (`hpsearch plan`) -- from `space_json`, a JSON object
 * describing them (every key optional):
 *   {"float": 2, "int": 1, "categorical": 0,   parameters of each kind that take more
 *                                               than one value (default 0)
 *    "grid_size": 12,   combinations when every parameter takes finitely many values
 *                       and the caller runs them as a grid itself (the "grid" sampler,
 *                       as the hpsearch command does for a declared space); 0 or absent
 *                       when not: the auto sampler inside a study never grids
 *    "budget": 50,      trials the study is to hold; 0 or absent: unknown
 *    "finished": 0,     trials finished so far (default 0)
 *    "objectives": 1,   at least 1 (default 1)
 *    "conditional": false, "constrained": false}  some parameters exist only in some
 *                       trials; trials carry constraint values (hps_trial_set_constraints)
 * Counts are JSON integers >= 0: at most 1000000 parameters of each kind, at most 64
 * objectives (as hps_study_open), "finished" at most SIZE_MAX. Into *json_out (free
 * with hps_free):
 *   {"strategy": "gp", "reason": "2 parameters, mostly numeric: ...",
 *    "then": {"after": 400, "strategy": "cmaes"}}
 * "strategy" is a sampler name (grid, sobol, gp, tpe, cmaes, random) and "reason"
 * plain sentences for people; "then", present only when the strategy changes within the
 * budget (or, without one, at all) as trials finish, says after how many finished trials
 * and to what. The answer depends on this build (without LAPACK, no gp or cmaes).
 * Inputs are only read and nothing is retained; thread safe. HPS_ERR_INVALID, with the
 * reason in errbuf and *json_out NULL, for a NULL space_json or json_out, text that is
 * not a JSON object, a key given twice (the message names it), an unknown key (the
 * message lists the known ones), a count that is not an integer >= 0 or is above its cap
 * (the message names the key), objectives 0 or a flag that is not true or false;
 * HPS_ERR_NOMEM. */
HPS_API hps_status hps_auto_explain(const char *space_json, char **json_out, char *errbuf,
                                    size_t errlen);

/* ---- pruners --------------------------------------------------------------------
 * A pruner stops unpromising trials early from their intermediate values
 * (hps_trial_report, hps_trial_should_prune). Names, options and decisions follow
 * Optuna's pruners. A study has "none" until it is given another. The built-in ones,
 * by when they prune:
 *   "none"        never (the default).
 *   "median"      the trial's best value so far is worse than the median of the
 *                 COMPLETE trials' values at the same step.
 *   "percentile"  the same against a percentile.
 *   "asha"        asynchronous successive halving: at steps min_resource * rf^k, the
 *                 value is not in the top 1/rf of the values seen at that rung. With
 *                 several objectives (MOASHA) the rung ranks the trials' values of every
 *                 objective (hps_trial_report_values) by non-dominated sorting, then
 *                 crowding distance, infeasible trials (hps_trial_set_constraints, as
 *                 set when the trial reaches the rung) after the feasible ones. With
 *                 option mode "promotion" (min_resource and max_resource needed) it
 *                 stops nothing: trials pause at the rungs (hps_trial_max_step,
 *                 hps_trial_pause) and ask resumes the best paused trial of the
 *                 highest rung that is in its top 1/rf (several objectives: in the
 *                 order above, with each trial's constraints as last set), once per
 *                 pause across all workers, before anything new (Li et al.'s
 *                 promotion form). Both modes take a trial's value at a rung from its
 *                 first report at or past the rung's step (a trial that reports every
 *                 few steps is ranked at 3 by its value at 4), and a slice ends at that
 *                 report. A trial paused off its rungs waits at the highest rung it
 *                 reached by its pause and is promoted from there -- the step it
 *                 paused at counts as reached, and at a rung past its last report it
 *                 stands with that report (paused at 3 after reporting 2: at rung 3
 *                 with its value at 2, for good: its first pause at or past a rung
 *                 decides, so a value that promoted it never changes when it runs
 *                 on); one that reached none is resumed after the promotions, before
 *                 anything new.
 *   "hyperband"   successive halving within the trial's bracket (several objectives
 *                 as "asha"). With option mode "promotion" (max_resource needed, above
 *                 min_resource) each bracket is asha's promotion form: a trial pauses
 *                 at the rungs of its bracket (the bracket mode stop gives it: the same
 *                 hash of study name and number), and ask resumes the best paused trial
 *                 of a bracket's top 1/rf, the rungs searched by step, the highest
 *                 first, and at one step the lower bracket first (the trial nearest
 *                 its budget finishes first; at one step, the one that came through
 *                 more rungs), once per pause across all workers, before anything new.
 *   "threshold"   the latest value is below `lower`, above `upper` or NaN.
 *   "patient"     no improvement for `patience` steps -- and, when it wraps another
 *                 pruner (hps_pruner_wrap), that one agrees.
 *   "forecast"    the trial's learning curve, extrapolated to `max_step` (an ensemble
 *                 of parametric curves with their uncertainty), has less than
 *                 `min_probability` chance of beating the best COMPLETE trial. With
 *                 option mode "freeze-thaw" (max_step needed) it stops nothing: trials
 *                 pause after each slice (a new one at step first_slice_steps, by
 *                 default min_points; a resumed one slice_steps later) and ask resumes
 *                 the paused trial with the most expected improvement per step left,
 *                 unless a new trial promises more (Swersky et al.'s freeze-thaw; a new
 *                 trial's final is normal, fitted to the final values known, all or
 *                 with new_trial_estimate "upper-half" the better half); one
 *                 forecast to miss the best COMPLETE trial stays PAUSED, and one
 *                 paused with fewer than min_points values (no forecast yet) is
 *                 resumed first -- with a first_slice_steps below min_points, only
 *                 from the best third of the values at its step.
 *   "auto"        the strategy for a study with a budget (chosen on the pruning
 *                 benchmark): "asha" (reduction factor 3) or "forecast" says so.
 * median, percentile, patient, forecast and auto compare along one direction: joining
 * a study of several objectives is HPS_ERR_UNSUPPORTED, naming those that do.
 * Their options, aliases (Optuna's class names) and defaults: hps_pruner_catalog.
 * Options are checked one by one when set, and together when the pruner joins a study
 * (a required option missing, bounds that contradict each other); threshold judges the
 * reported values as they are, whatever the number of objectives. */
typedef struct hps_pruner hps_pruner;

HPS_API hps_status hps_pruner_new(const char *name, hps_pruner **out, char *errbuf, size_t errlen);
HPS_API void hps_pruner_free(hps_pruner *pruner);
HPS_API const char *hps_pruner_name(const hps_pruner *pruner);
/* Sets an option from its text form; errors as for hps_sampler_set. */
HPS_API hps_status hps_pruner_set(hps_pruner *pruner, const char *option, const char *value);
/* The patient pruner defers to `inner`, which it takes ownership of (even on error). */
HPS_API hps_status hps_pruner_wrap(hps_pruner *pruner, hps_pruner *inner);
HPS_API const char *hps_pruner_errmsg(const hps_pruner *pruner);
/* The full budget of a pruner that pauses trials (see "paused trials" below): the last
 * step of a trial's last slice, where it finishes instead of pausing -- asha's and
 * hyperband's max_resource in mode "promotion", forecast's max_step in mode "freeze-thaw", what the
 * pruner a patient one wraps says. -1 for a pruner that never pauses a trial, and so
 * never resumes one (every other, and a NULL pruner). */
HPS_API int64_t hps_pruner_full_step(const hps_pruner *pruner);
/* The study system attribute pruner "auto" agrees its stopping strategy in when it
 * first joins a study: a study that holds it has run auto (the CLI's default pruner
 * keeps such a study on auto). */
#define HPS_PRUNER_AUTO_STOPPING_ATTR "pruner_auto_stopping"

/* The pruners this build has, built-in then registered, as a JSON array like
 * hps_sampler_catalog's, each with its "aliases" (other names hps_pruner_new takes); a
 * registered pruner lists no options. Free with hps_free. HPS_ERR_INVALID for a NULL
 * json_out; HPS_ERR_NOMEM. */
HPS_API hps_status hps_pruner_catalog(char **json_out);

/* ---- studies ------------------------------------------------------------------- */
typedef struct hps_study hps_study;
typedef struct hps_trial hps_trial;
typedef struct hps_frozen hps_frozen;

#define HPS_OPEN_CREATE 1u /* create the study if it does not exist */
#define HPS_OPEN_LOAD 2u   /* open the study if it exists */

/* Opens or creates study `name` in `storage_url`:
 *   ":memory:"       private to this handle, gone when it closes (also SQLite's
 *                    spellings "sqlite::memory:" and "sqlite:///:memory:");
 *   "sqlite:PATH"    an SQLite file shared by any process on the machine (also Optuna's
 *                    "sqlite:///relative.db"), created (owner and group only) when a
 *                    study is created in it;
 *   "postgresql://user:password@host:port/db"   a PostgreSQL database shared by workers
 *                    on many machines (its hps_* tables are created with the first
 *                    study; a lost connection is retried; the password never appears
 *                    in messages).
 * flags: HPS_OPEN_CREATE, HPS_OPEN_LOAD, or both (load if exists, else create).
 * Loading only (no HPS_OPEN_CREATE) never creates anything: a storage that holds no
 * hpsearch database -- no file, an empty file, an SQLite database without tables, a
 * PostgreSQL database without hpsearch's tables -- is HPS_ERR_NOTFOUND naming it, like a
 * missing study. A file that is not an hpsearch database is refused by every open and
 * left exactly as it was (its bytes, its journal mode, no -wal or -shm file left): not
 * SQLite, or another program's tables (Optuna's storage too), is HPS_ERR_INVALID; a
 * newer hpsearch's schema is HPS_ERR_UNSUPPORTED.
 * `directions` has `n_directions` entries (1 for single-objective); when loading, pass
 * NULL/0 to accept the stored directions, otherwise they must match.
 * On failure *out is NULL and errbuf (if given) holds the reason. The default sampler
 * is "random" (unseeded); replace it with hps_study_set_sampler. */
HPS_API hps_status hps_study_open(const char *storage_url, const char *name, unsigned flags,
                          const hps_direction *directions, size_t n_directions,
                          hps_study **out, char *errbuf, size_t errlen);
/* Closes the handle. Trial handles still alive keep working -- the study's resources
 * are released when the last of them is freed (hps_trial_free) -- but the study handle
 * must not be used again. Trials still RUNNING stay RUNNING in storage (another process
 * may tell them; or stale-trial recovery fails them once their heartbeat stops). */
HPS_API void hps_study_close(hps_study *study);
HPS_API const char *hps_study_errmsg(const hps_study *study);
HPS_API const char *hps_study_name(const hps_study *study);
HPS_API size_t hps_study_n_directions(const hps_study *study);
HPS_API hps_direction hps_study_direction(const hps_study *study, size_t index);

/* Storage URLs as hps_study_open reads them: the backend a URL names and, for SQLite
 * and the journal, the file path in it (a pointer into `url`; NULL for the others). HPS_ERR_INVALID for
 * anything else (an empty sqlite: path, an unknown scheme). A kind this build left out
 * (PostgreSQL) is still recognised; opening it then says so. */
typedef enum hps_storage_kind {
    HPS_STORAGE_MEMORY = 0,
    HPS_STORAGE_SQLITE = 1,
    HPS_STORAGE_POSTGRES = 2,
    HPS_STORAGE_JOURNAL = 3 /* journal:PATH, an append-only log shared through the filesystem */
} hps_storage_kind;
HPS_API hps_status hps_storage_url_kind(const char *url, hps_storage_kind *kind,
                                        const char **sqlite_path);
/* Writes `url` into `out` (always NUL-terminated, cut to `size`) with every password
 * replaced by "***" -- in the user info (user:***@host) and in password=... query
 * parameters, found as libpq finds them. Other text is copied unchanged, so any storage
 * URL may go through it before it is shown or logged. */
HPS_API void hps_storage_url_redact(const char *url, char *out, size_t size);

/* Deletes a study and all its trials. HPS_ERR_NOTFOUND if it, or the storage's
 * database, does not exist (none is created); other errors as for hps_study_open. */
HPS_API hps_status hps_study_delete(const char *storage_url, const char *name, char *errbuf, size_t errlen);

/* All studies of a storage, as a JSON array of objects, one per study in creation order:
 *   {"name": text, "directions": ["minimize"|"maximize", ...], "created": Unix time,
 *    "n_trials", "n_complete", "n_running", "n_pruned", "n_fail", "n_waiting", "n_paused": counts
 *    by state (n_trials is their sum), "best_value": the best trial's first value
 *    (hps_study_best_trial), or null with several objectives, without a COMPLETE
 *    trial, or when it is infinite (JSON has no infinity)}.
 * Free with hps_free. A storage without an hpsearch database is HPS_ERR_NOTFOUND (none
 * is created); other errors as for hps_study_open. */
HPS_API hps_status hps_storage_list_studies(const char *storage_url, char **json_out, char *errbuf,
                                    size_t errlen);

/* Replaces the study's sampler; the study takes ownership of `sampler` even on error. */
HPS_API hps_status hps_study_set_sampler(hps_study *study, hps_sampler *sampler);

/* Declares the study's search space up front, as a JSON array of parameters in the
 * order trials suggest them:
 *     [{"name": "lr", "distribution": {"type": "float", "low": 1e-4, "high": 0.1,
 *       "log": true}}, {"name": "act", "distribution": {"type": "categorical",
 *       "choices": ["relu", "tanh"]}}]
 * (distributions in hps_dist_to_json's form). Trials may still suggest other
 * parameters. When every declared parameter takes finitely many values (categorical,
 * int, or float with a step), each configuration runs at most `repeats` times (study
 * option, default 1) across all workers of the study: a configuration the sampler
 * proposes whose runs are all taken moves to the nearest one with a free run, claimed
 * atomically in storage, and ask returns HPS_DONE once every configuration has run
 * (an enqueued configuration runs as asked). The grid sampler's grid is such a space
 * by itself: it needs no declaration, and it skips cells an enqueued trial took.
 * Interrupted trials give their configuration back; retried ones keep it. Two workers
 * that both take the last free configurations at the same moment may leave one trial
 * recorded as interrupted ("not run"). Replaces an earlier declaration of this handle;
 * HPS_ERR_INVALID for malformed JSON or distributions, with a message naming them. */
HPS_API hps_status hps_study_declare_space(hps_study *study, const char *space_json);
/* After the space changed mid-study: the space trials are suggested from now, so that
 * the samplers keep modelling the earlier trials. `space_json` as for
 * hps_study_declare_space, where an entry may add "default": VALUE, the value trials
 * that lack the parameter (it was added since) ran with. The samplers then see each
 * finished trial through this space: a parameter it has with another distribution (a
 * range widened or narrowed, a choice added or removed) is seen as the same value of
 * the new distribution; a trial with a value the new distribution does not take is left
 * out of what they see; a parameter the trial lacks is seen with its default, if any.
 * Parameters the space does not list are seen as stored. Only the samplers' view
 * changes: stored trials, hps_study_trial and the pruners keep the values as they ran.
 * Replaces an earlier call of this handle; NULL goes back to the trials as stored.
 * HPS_ERR_INVALID for malformed JSON or distributions, or a default its distribution
 * does not take, with a message naming it. */
HPS_API hps_status hps_study_map_space(hps_study *study, const char *space_json);
/* Says what the user believes about parameter `name` before any trial, as JSON:
 *   {"center": c, "scale": s}  an int or float: a normal truncated to [low, high] in
 *                              the parameter's scale -- for a log parameter, `c` in
 *                              natural units and `s` in decades (log10 units);
 *   {"weights": [w0, ...]}     a categorical: one positive weight per choice.
 * Samplers use the prior mixed with the uniform distribution (a 10% share), so a wrong
 * prior rules nothing out. Random and Sobol draw from it (by its inverse CDF), as do the
 * start-up trials of the model-based samplers; then GP and TPE weigh their choice by
 * prior(x)^(beta/n) after n finished trials (piBO, Hvarfner et al. 2022): strongly at
 * first, fading as trials accumulate (study option prior_beta, default the budget / 10:
 * max_trials, else budget_hint; 10 without either), and CMA-ES starts its first run at the priors' medians. A prior is this handle's: it is not
 * stored and is no part of the search space or of the study's identity. Replaces an
 * earlier prior of `name`. HPS_ERR_INVALID for a malformed prior (scale <= 0, a weight
 * <= 0, unknown keys); one that does not fit the distribution the parameter is
 * suggested with (center outside [low, high], weights for another number of choices,
 * the wrong form) makes that suggestion fail with HPS_ERR_INVALID naming it. */
HPS_API hps_status hps_study_set_prior(hps_study *study, const char *name, const char *prior_json);
HPS_API const hps_sampler *hps_study_sampler(const hps_study *study);
/* Replaces the study's pruner; the study takes ownership of `pruner` even on error. */
HPS_API hps_status hps_study_set_pruner(hps_study *study, hps_pruner *pruner);
HPS_API const hps_pruner *hps_study_pruner(const hps_study *study);

/* Study options, by name, from their text form (errors as for hps_sampler_set;
 * hps_study_options describes them):
 *   max_trials          (default 0: unlimited) total trials the study may hold; ask
 *                       returns HPS_DONE once reached. Counted atomically across all
 *                       workers: COMPLETE, PRUNED, FAIL (not interrupted), RUNNING and
 *                       WAITING trials count; interrupted ones do not.
 *   budget_hint         (default 0: none) how many trials the study is expected to hold
 *                       when this handle's run ends: what the strategies that plan with
 *                       a budget (auto, prior_beta, hps_context_budget) use while
 *                       max_trials is 0. Never a limit: ask goes on past it. It is
 *                       this handle's, not the study's: two processes (or handles) on
 *                       one study each plan for their own hint, not for the sum. The
 *                       Python binding's optimize(n_trials=N) sets it to the trials so
 *                       far + N for that call (none for N infinite or past 2**64).
 *   retries             (default 0) how many times a FAIL trial (or one whose worker
 *                       died) is re-queued with the same parameters; and how many times
 *                       a resumed trial may be cut short and go back to PAUSED (at
 *                       least once) before the next cut-short fails it
 *                       (hps_trial_interrupt).
 *   repeats             (default 1) runs of each configuration of a finite space (grid,
 *                       or hps_study_declare_space): more than one for noisy objectives.
 *   heartbeat_interval  (seconds, default 0: off) while > 0, a background thread
 *                       refreshes the heartbeat of this handle's RUNNING trials --
 *                       each only while it is RUNNING as this worker's: a beat
 *                       storage refuses ends that trial's beating (see
 *                       hps_trial_check_running).
 *   heartbeat_grace     (seconds, default 0: off) RUNNING trials whose heartbeat is
 *                       older than this, or whose worker process on this host is gone,
 *                       are failed as interrupted (see hps_study_recover_stale).
 *   prior_beta          (default 0: the budget / 10, or 10 without one) how long
 *                       the priors of hps_study_set_prior weigh: prior(x)^(beta / n)
 *                       after n finished trials.
 *   worker              (default host:pid) identifies this process in trials; valid
 *                       UTF-8 (HPS_ERR_INVALID else: storage keeps it as text). */
HPS_API hps_status hps_study_set(hps_study *study, const char *option, const char *value);
/* The study options as a JSON array of options described as in hps_sampler_catalog;
 * free with hps_free. HPS_ERR_INVALID for a NULL json_out; HPS_ERR_NOMEM. */
HPS_API hps_status hps_study_options(char **json_out);

/* Study-level user attributes, the value as JSON text (checked as for trials). */
HPS_API hps_status hps_study_set_user_attr(hps_study *study, const char *key, const char *json);
/* The study's user attributes as one JSON object; borrowed. */
HPS_API hps_status hps_study_user_attrs(hps_study *study, const char **json_out);
/* Study-level system attributes: what tools built on the library record about a study
 * (the hpsearch command keeps its run settings there), kept apart from the user's. */
HPS_API hps_status hps_study_set_system_attr(hps_study *study, const char *key, const char *json);
HPS_API hps_status hps_study_system_attrs(hps_study *study, const char **json_out);

/* An identifier of this study that no other study shares, in any storage: 16 hex
 * digits, stable while the study exists. A study deleted and created again under the
 * same name gets another one, so files kept per study (the hpsearch command's
 * checkpoints) never pass from one to the other. Borrowed for the handle's lifetime. */
HPS_API const char *hps_study_uid(const hps_study *study);

/* Starts a trial: resumes the PAUSED trial the study's pruner promotes, if it names one
 * (see hps_trial_pause; hps_trial_resume_step then says where it goes on), else takes
 * the oldest WAITING (enqueued) trial, else creates a new one. Returns HPS_OK and *out,
 * or HPS_DONE with *out = NULL when max_trials is reached or every configuration of a
 * finite space has run (hps_study_errmsg then says which) and the pruner resumes none
 * of the PAUSED trials: asha and hyperband ("promotion") and forecast ("freeze-thaw") go
 * on resuming until the ones left PAUSED are those they judge not worth it, or an
 * error. Free the handle with hps_trial_free. */
HPS_API hps_status hps_study_ask(hps_study *study, hps_trial **out);

/* Enqueues a WAITING trial whose parameters are fixed: `params_json` is an object
 * {"lr": 0.01, "act": "relu"}. The next ask returns it; its suggest calls return these
 * values (a value outside the suggested distribution is an error at suggest). On success
 * *number_out (if not NULL) is the trial's number. */
HPS_API hps_status hps_study_enqueue(hps_study *study, const char *params_json, int64_t *number_out);

/* Adds a trial made elsewhere -- copied from another study, restored, or evaluated by
 * hand -- as the study's next trial, in one transaction: no worker ever runs it (unless
 * it is added WAITING, like an enqueued trial). `trial_json` is an object
 *   {"state": "COMPLETE" | "PRUNED" | "FAIL" | "RUNNING" | "WAITING",
 *    "values": [one number per objective] (COMPLETE; a PRUNED trial of a single-objective
 *              study may carry its last value; the others none),
 *    "params": [{"name": "lr", "distribution": {...}, "value": 0.01}, ...] (in
 *              hps_dist_to_json's form, the value external and one of the distribution's),
 *    "intermediate_values": {"0": 0.5, "1": 0.4} (step: value, as hps_trial_report), or
 *              {"0": [0.5, 3.1], ...} (step: one number per objective, in the order of
 *              the directions, as hps_trial_report_values), "user_attrs": {...},
 *    "system_attrs": {...}, "datetime_start": seconds since the epoch (all but WAITING),
 *    "datetime_complete": seconds (exactly when COMPLETE, PRUNED or FAIL)}
 * with "NaN", "Infinity" and "-Infinity" as strings where a number may be non-finite (a
 * COMPLETE trial's values are never NaN). Keys other than these are refused. A WAITING
 * trial has no parameters yet: its fixed values go in system attribute "fixed_params", as
 * hps_study_enqueue puts them. A RUNNING trial added here has no heartbeat, so stale
 * recovery never fails it. The trial counts against max_trials, but is added whatever
 * the budget says. In a finite space (a grid sampler's, or one declared finite) a trial
 * added in any state but WAITING holds one run of its configuration, as an asked one
 * does -- the first free one of the `repeats` runs each configuration gets -- so the
 * study runs that configuration once less: not again with repeats 1, repeats - 1 more
 * times with more. When every run of its configuration is held already (asked or added
 * before), the trial is added all the same, holding none, and the study runs nothing
 * less. A configuration outside the space holds nothing either. On success
 * *number_out (if not NULL) is its number; HPS_ERR_INVALID names what is wrong. */
HPS_API hps_status hps_study_add_trial(hps_study *study, const char *trial_json, int64_t *number_out);

/* Finishes trial `number` of this study, which may have been asked by another process:
 * as hps_trial_tell. */
HPS_API hps_status hps_study_tell_number(hps_study *study, int64_t number, hps_trial_state state,
                                 const double *values, size_t n_values);

/* Fails every RUNNING trial whose heartbeat is older than heartbeat_grace or whose
 * worker process on this host has died; they are recorded FAIL as interrupted and
 * re-queued if retries allow -- except a resumed trial, which goes back to PAUSED, to be
 * resumed again, at the step hps_trial_interrupt would pause it at (or fails, past the
 * bound hps_trial_interrupt says). ask does this by itself
 * at most once per grace period.
 * *n_out (if not NULL) is the number of trials failed or paused again. */
HPS_API hps_status hps_study_recover_stale(hps_study *study, size_t *n_out);

/* Reads what other processes changed since the last call (only changed trials are
 * read). The functions below sync by themselves. */
HPS_API hps_status hps_study_sync(hps_study *study);

/* Number of trials in the study (after a sync) and trial `number`, borrowed. */
HPS_API hps_status hps_study_n_trials(hps_study *study, size_t *out);
HPS_API hps_status hps_study_trial(hps_study *study, int64_t number, const hps_frozen **out);
/* Best COMPLETE trial of a single-objective study (lowest number among ties), among
 * the feasible ones (hps_trial_set_constraints). HPS_ERR_NOTFOUND when no trial is
 * COMPLETE and feasible; HPS_ERR_STATE for several objectives. */
HPS_API hps_status hps_study_best_trial(hps_study *study, const hps_frozen **out);
/* The best trials of a study of any number of objectives: the feasible COMPLETE trials
 * that no other feasible COMPLETE trial dominates (at least as good in every objective,
 * better in one), by increasing number; for one objective, every trial tied for the
 * best value. *numbers_out (free with hps_free; NULL when *n_out is 0) holds their
 * numbers. Trials with a NaN value take no part. */
HPS_API hps_status hps_study_best_trials(hps_study *study, int64_t **numbers_out, size_t *n_out);
/* Counts of trials per state, indexed by hps_trial_state, for the first five states
 * (array of 5, as it always was): PAUSED trials are counted by hps_study_count_paused. */
HPS_API hps_status hps_study_count_states(hps_study *study, size_t counts[5]);
/* The number of PAUSED trials of the study (after a sync). */
HPS_API hps_status hps_study_count_paused(hps_study *study, size_t *n_out);

/* ---- trials ---------------------------------------------------------------------- */
HPS_API int64_t hps_trial_number(const hps_trial *trial);
/* The study the trial was asked from. */
HPS_API hps_study *hps_trial_study(const hps_trial *trial);
HPS_API const char *hps_trial_errmsg(const hps_trial *trial);

/* Suggests a value for parameter `name`. Float: low <= high, step 0 or > 0 dividing
 * (high - low), HPS_LOG requires low > 0. Int: the same with integers, step >= 1.
 * HPS_LOG with a step (beyond 1 for ints) samples log-uniformly and rounds onto the step
 * grid -- W&B's q_log_uniform_values; Optuna refuses the combination. Categorical: n_choices >= 1, choices of one type or mixed; *index_out is
 * the chosen index. Suggesting a name twice in one trial with the same distribution
 * returns the same value; with a different distribution it is HPS_ERR_MISMATCH. */
HPS_API hps_status hps_trial_suggest_float(hps_trial *trial, const char *name, double low, double high,
                                   double step, unsigned flags, double *out);
HPS_API hps_status hps_trial_suggest_int(hps_trial *trial, const char *name, int64_t low, int64_t high,
                                 int64_t step, unsigned flags, int64_t *out);
HPS_API hps_status hps_trial_suggest_categorical(hps_trial *trial, const char *name,
                                         const hps_value *choices, size_t n_choices,
                                         size_t *index_out);

/* 1 when the last hps_trial_suggest_* call on `trial` that succeeded drew its value with
 * the sampler's independent sampling -- the parameter was not in the joint sample the
 * sampler drew over the relative search space when the trial started (a joint sampler
 * such as "cmaes" or "gp" leaves out parameters not every finished trial has, and
 * "cmaes" categorical ones), or the sampler has none -- else 0 (a value from the joint
 * sample, fixed by an enqueue, a retry or hps_trial_fix_params, or suggested before in
 * this trial; also before any suggestion). What Optuna's
 * CmaEsSampler(warn_independent_sampling=True) warns about. */
HPS_API int hps_trial_last_independent(const hps_trial *trial);

/* Fixes parameters of this running trial, as an enqueued trial's are fixed:
 * `params_json` is an object {name: value}; suggesting one of these names returns its
 * value (HPS_ERR_INVALID then if the value is not one of the suggested distribution's).
 * Names the trial fixes already (enqueued, retried) keep their values, and names
 * suggested already are not changed. The fixed values belong to this handle: they are
 * not stored, but a retry of this trial after a failure keeps them. For Optuna's
 * PartialFixedSampler. HPS_ERR_INVALID when `params_json` is not a JSON object,
 * HPS_ERR_STATE when the trial is finished. */
HPS_API hps_status hps_trial_fix_params(hps_trial *trial, const char *params_json);

/* Writes the parameters suggested so far to storage. Suggested parameters are otherwise
 * written together with the trial's next write (report, user attribute, tell) -- one
 * transaction instead of one per parameter -- so until then other processes do not see
 * them. Call it when a trial runs for long before its first report and other workers
 * or a retry should see its parameters (the hpsearch command does, before starting
 * the trial's process). A trial no longer this handle's (see hps_trial_tell_values) is
 * HPS_ERR_STATE and its parameters are not written. */
HPS_API hps_status hps_trial_flush(hps_trial *trial);

/* Whether this handle still runs its trial, as far as it knows without reading
 * storage: HPS_OK, or HPS_ERR_STATE with a message naming what happened (as
 * hps_trial_report's) once the handle has finished the trial, another handle of this
 * study took it over, or the study's heartbeat thread (heartbeat_interval > 0) had its
 * beat refused -- storage writes a beat only while the trial is RUNNING as this
 * handle's worker's, so a worker recovered as stale (it was frozen, or its beats did
 * not get through) learns within an interval that its trial was failed, paused or taken
 * over by another worker, and stops beating it. Cheap while nothing was refused (no
 * storage call); after a refusal it syncs to say what became of the trial. A runner
 * polls it to stop a run that is no longer its own (the hpsearch command does). */
HPS_API hps_status hps_trial_check_running(hps_trial *trial);

/* Records an intermediate value at `step` (>= 0). Reporting a step twice keeps the
 * first value, as Optuna does. NaN is kept (a diverging run; pruners stop it).
 * HPS_ERR_STATE when the trial is no longer RUNNING, or no longer this handle's: it was
 * recovered as stale (hps_study_recover_stale) and another worker resumed it -- the
 * message names the worker that took it over. A stale worker's step would otherwise be
 * the one kept in the new owner's curve. */
HPS_API hps_status hps_trial_report(hps_trial *trial, int64_t step, double value);
/* Records the intermediate values of every objective at `step` (>= 0): one value per
 * direction of the study, in the order of the directions (n must be that count, else
 * HPS_ERR_INVALID); NaN is kept. A repeated step keeps its first values, as
 * hps_trial_report does. The first value is the step's value for everything that reads
 * one (hps_frozen_intermediate, single-objective pruners); the others are read with
 * hps_frozen_intermediate_values, and a pruner of several objectives ("asha") compares
 * trials on all of them. On a single-objective study it is hps_trial_report. */
HPS_API hps_status hps_trial_report_values(hps_trial *trial, int64_t step, const double *values,
                                           size_t n);
/* Asks the study's pruner whether to stop this trial; *out is 1 to prune. */
HPS_API hps_status hps_trial_should_prune(hps_trial *trial, int *out);
/* Trial-level attributes, the value as JSON text (e.g. "\"gpu0\"", "0.5"). Through a
 * handle that has not finished its trial, the trial must still be RUNNING as this
 * worker's, as for hps_trial_report: on one recovered as stale meanwhile (failed, paused
 * again, or taken over by another worker or another handle of this study; see
 * hps_trial_tell_values) it is HPS_ERR_STATE, naming what happened, and nothing is
 * stored. Once the handle finished the trial (told, paused), they may be set in any
 * state. */
HPS_API hps_status hps_trial_set_user_attr(hps_trial *trial, const char *key, const char *json);
/* A system attribute of the trial: what tools built on the library record about a
 * trial (the hpsearch command lists the files it kept of the trial under "artifacts";
 * Optuna's API keeps artifact records and cross-validation scores there), kept apart
 * from the user's. Checked, stored and refused as user attributes are, also once the
 * trial has finished. Keys the
 * library sets itself ("fail_reason", "sampler", "fixed_params",
 * "attempt", "retry_of", pruners' bookkeeping) are better left alone. */
HPS_API hps_status hps_trial_set_system_attr(hps_trial *trial, const char *key, const char *json);

/* Finishes the trial. COMPLETE needs one value per direction; a NaN value records the
 * trial as FAIL and returns HPS_ERR_INVALID. PRUNED takes no value: the last
 * intermediate value becomes its value (none when that is NaN). FAIL takes no value.
 * Telling a trial that is not RUNNING is HPS_ERR_STATE. So is telling one that is no
 * longer this handle's: a worker whose trial was recovered as stale while it ran (it was
 * frozen, or its heartbeats did not get through) finds it failed, or PAUSED again and
 * resumed by another worker -- RUNNING, but the other worker's: the message names the
 * trial and the worker that took it over, and nothing of the late tell is stored. The
 * same holds for hps_trial_fail, hps_trial_interrupt, hps_trial_preempt and
 * hps_trial_pause, and for what such a handle writes before its tell: reports,
 * attributes, constraints and the parameters it suggested but had not written yet (a
 * tell that sets constraints first, as Optuna's API does, is refused at the constraints
 * and stores nothing). Each write is checked on its own: a handle taken over between
 * two of its writes keeps the first. A trial told by number (hps_study_tell_number) belongs to the worker
 * storage named when it was read. hps_trial_tell is the single-objective shorthand. */
HPS_API hps_status hps_trial_tell_values(hps_trial *trial, hps_trial_state state, const double *values,
                                 size_t n_values);
HPS_API hps_status hps_trial_tell(hps_trial *trial, hps_trial_state state, double value);
/* Records the trial's constraint values: it is feasible when every value is <= 0
 * (Optuna's convention: a constraint `latency <= 5` is the value latency - 5). At most
 * 64 values, none NaN; set again, they replace the earlier ones. Kept as the system
 * attribute "constraints", as Optuna keeps them, and refused to a handle whose run was
 * taken over as attributes are. The best trials are only ever feasible ones; samplers
 * that take constraints learn from the infeasible ones too. Trials of one study may
 * carry different counts (a constraint that first appeared mid-study, as Optuna 5's
 * set_constraint keys can): a value a trial does not have counts as satisfied (0.0),
 * as Optuna 5 ignores a key a trial did not set -- for feasibility, NSGA-II/III's
 * ranking (a trial with none at all is feasible there too) and the GP's models (which
 * leave out a trial with none). TPE, as Optuna 4.9's, ranks a finished trial with no
 * values after the infeasible ones once any trial has some. The hpsearch command
 * always records every constraint of a COMPLETE trial. */
HPS_API hps_status hps_trial_set_constraints(hps_trial *trial, const double *values, size_t n);

/* Records the trial FAIL with a reason kept in its system attribute "fail_reason". */
HPS_API hps_status hps_trial_fail(hps_trial *trial, const char *reason);
/* Records the trial FAIL as interrupted (not its own fault: the run was stopped). An
 * interrupted trial does not count against max_trials, its grid cell is freed, and it
 * is re-queued if retries allow. A resumed trial (hps_trial_resume_step >= 0) goes back
 * to PAUSED instead, its curve kept, at its last reported step (where a checkpoint saved
 * each step stands; the step it was resumed from when it reported none since), as one
 * whose worker died does (hps_study_recover_stale); hps_frozen_state of
 * hps_trial_frozen says which it became. A resumed trial cut short so -- interrupted,
 * preempted or its worker dead -- more than `retries` consecutive times (at least once
 * is allowed: stopping a run never by itself loses a trial's slices) fails instead, as
 * not interrupted and not queued again, its fail_reason saying how often in a row it was
 * cut short: one that kills its worker on every resume would else be promoted first
 * forever. Only cut-shorts in a row count: a slice that ends in hps_trial_pause sets
 * the count back to 0. The count is its system attribute "cut_short". */
HPS_API hps_status hps_trial_interrupt(hps_trial *trial, const char *reason);
/* Records the trial FAIL as interrupted, as hps_trial_interrupt does, and in the same
 * transaction queues its run again: a WAITING trial with the same parameters that takes
 * the run over (the same hps_trial_run_key, so what is kept per run -- the hpsearch
 * command's checkpoints -- passes to it), whatever `retries` allows and without using a
 * retry (its "attempt" stays the interrupted trial's). The next ask by any worker of
 * the study, in any process, takes it before anything new. For a worker that a
 * scheduler preempts (SIGTERM): the trial did nothing wrong and its work should go on
 * elsewhere. A resumed trial goes back to PAUSED instead, as with hps_trial_interrupt,
 * and nothing is queued. Errors as hps_trial_interrupt; HPS_ERR_NOMEM records nothing. */
HPS_API hps_status hps_trial_preempt(hps_trial *trial, const char *reason);

/* ---- paused trials ----------------------------------------------------------------
 * A trial can end a slice of its budget PAUSED instead of finishing: it saves a
 * checkpoint at some step and stops, and a later ask -- by any worker of the study, in
 * any process -- takes it back RUNNING, with its number, parameters and intermediate
 * values, to go on from the step after. The study's pruner schedules both ends: "asha"
 * and "hyperband" with mode "promotion" and "forecast" with mode "freeze-thaw" say where
 * each slice ends (hps_trial_max_step) and which paused trial an ask resumes before
 * anything new starts -- and, once nothing new can start (max_trials reached, a finite
 * space run out), which it resumes instead of returning HPS_DONE. A paused trial
 * counts against max_trials; one that is never resumed stays PAUSED, its last
 * intermediate value its result so far. Samplers learn from finished trials only
 * (COMPLETE, PRUNED): a paused one is neither finished nor pending to them (their
 * history lists it as paused). */

/* Pauses a RUNNING trial whose checkpoint holds `step`: `step` must be at least its
 * last reported step and beyond the step it was paused at before, so that resumed steps
 * never repeat. Recorded in one transaction: state PAUSED and the step (system
 * attribute "paused_step"; "pause_steps" lists every step the trial paused at, in
 * order, the pauses of a resumed trial cut short included). HPS_ERR_INVALID for such a
 * step, and for a step at or past the pruner's full budget (hps_pruner_full_step): a
 * trial that ran its whole budget has finished and is told COMPLETE with its value, as
 * the hpsearch command does for a script that runs on to the end. HPS_ERR_STATE when the
 * trial is not RUNNING or no longer this handle's (as hps_trial_tell_values: then
 * neither the state nor the step changes); the handle is finished once it succeeded. */
HPS_API hps_status hps_trial_pause(hps_trial *trial, int64_t step);
/* The step a resumed trial's checkpoint holds -- the trial goes on with the next one --
 * or -1 for a trial that starts from scratch. */
HPS_API int64_t hps_trial_resume_step(const hps_trial *trial);
/* The last step of this slice of the trial's budget, as the study's pruner schedules
 * it: run up to it, report it, save a checkpoint, then hps_trial_pause(trial, step).
 * -1 when nothing ends the slice early (a pruner that never pauses; the last rung):
 * run to the end and tell. Errors of the pruner, with its message on the trial. */
HPS_API hps_status hps_trial_max_step(hps_trial *trial, int64_t *max_step_out);
/* Takes PAUSED trial `number` back RUNNING for this handle, whatever the pruner would
 * choose (hps_study_ask resumes the ones it promotes by itself). Atomic across every
 * worker of the study: of several that try to resume one pause, one gets it and the
 * others HPS_ERR_STATE. HPS_ERR_NOTFOUND for no such trial. Free with hps_trial_free. */
HPS_API hps_status hps_study_resume(hps_study *study, int64_t number, hps_trial **out);

/* Releases the handle. A trial still RUNNING stays RUNNING in storage. */
HPS_API void hps_trial_free(hps_trial *trial);

/* Which run of a configuration this trial carries out, as short text: the same for a
 * trial and the trials that take its work over -- its retries, and in a finite space
 * (grid, or hps_study_declare_space) the trial that re-runs an interrupted run -- and
 * different for every other trial of the study, the repeats of one configuration
 * included. Key per-trial state that should survive a restart by it (the hpsearch
 * command keys checkpoint directories by it). Borrowed until the next call on the
 * trial. */
HPS_API const char *hps_trial_run_key(hps_trial *trial);

/* A read-only view of this trial as stored (after its latest change). */
HPS_API const hps_frozen *hps_trial_frozen(hps_trial *trial);

/* ---- frozen trials: read-only views, borrowed --------------------------------- */
HPS_API int64_t hps_frozen_number(const hps_frozen *trial);
HPS_API hps_trial_state hps_frozen_state(const hps_frozen *trial);
/* 1 for a FAIL trial recorded as interrupted (hps_trial_interrupt, hps_trial_preempt,
 * a dead worker's): not its own failure, and not counted against max_trials; else 0. */
HPS_API int hps_frozen_interrupted(const hps_frozen *trial);
/* Objective values: count (0 unless COMPLETE or PRUNED with a value) and the i-th. */
HPS_API size_t hps_frozen_n_values(const hps_frozen *trial);
HPS_API double hps_frozen_value(const hps_frozen *trial, size_t index);
HPS_API size_t hps_frozen_n_params(const hps_frozen *trial);
HPS_API const char *hps_frozen_param_name(const hps_frozen *trial, size_t index);
HPS_API double hps_frozen_param_internal(const hps_frozen *trial, size_t index);
HPS_API hps_value hps_frozen_param_value(const hps_frozen *trial, size_t index);
HPS_API const hps_dist *hps_frozen_param_dist(const hps_frozen *trial, size_t index);
/* Index of parameter `name`, or -1. */
HPS_API long hps_frozen_param_index(const hps_frozen *trial, const char *name);
HPS_API size_t hps_frozen_n_intermediate(const hps_frozen *trial);
HPS_API void hps_frozen_intermediate(const hps_frozen *trial, size_t index, int64_t *step, double *value);
/* The index-th step's values for every objective it was reported with: copies up to
 * `cap` of them into values (may be NULL when cap is 0) and returns how many the step
 * has -- 1 when it was reported with hps_trial_report, the study's directions when with
 * hps_trial_report_values; 0 past the last step. */
HPS_API size_t hps_frozen_intermediate_values(const hps_frozen *trial, size_t index,
                                              double *values, size_t cap);
/* Constraint values (hps_trial_set_constraints): count (0 when none) and the i-th; a
 * trial is feasible when it has none above 0. */
HPS_API size_t hps_frozen_n_constraints(const hps_frozen *trial);
HPS_API double hps_frozen_constraint(const hps_frozen *trial, size_t index);
HPS_API int hps_frozen_feasible(const hps_frozen *trial);
/* User and system attributes as one JSON object each ("{}" when none). */
HPS_API const char *hps_frozen_user_attrs(const hps_frozen *trial);
HPS_API const char *hps_frozen_system_attrs(const hps_frozen *trial);
/* Seconds since the Unix epoch; 0 when not set. */
HPS_API double hps_frozen_datetime_start(const hps_frozen *trial);
HPS_API double hps_frozen_datetime_complete(const hps_frozen *trial);
/* The parameters as a JSON object of external values; free with hps_free. */
HPS_API hps_status hps_frozen_params_json(const hps_frozen *trial, char **out);
/* The whole trial as a JSON object; free with hps_free. */
HPS_API hps_status hps_frozen_to_json(const hps_frozen *trial, char **out);

/* ---- writing a sampler or pruner ----------------------------------------------------
 * A sampler or pruner written outside the library joins it the way an SQLite VFS
 * does: a struct of callbacks registered under a name, after which hps_sampler_new /
 * hps_pruner_new create it by that name like a built-in one. The built-in strategies
 * work through the same two views as these callbacks: a context (the study's
 * directions and budget, the trial asked about, a few services) and, for joint
 * sampling, a read-only history. Neither is ever the study itself.
 *
 * Registration is process-wide (as sqlite3_vfs_register is): register before creating
 * by name; the calls are thread-safe. A name already taken (a built-in one included)
 * is HPS_ERR_EXISTS. The methods struct is copied; its name and user_data must outlive
 * every sampler created from it. At most 64 registrations per process. */
typedef struct hps_context hps_context;
typedef struct hps_history hps_history;

#define HPS_PLUGIN_VERSION 1

typedef struct hps_sampler_methods {
    int version;      /* HPS_PLUGIN_VERSION */
    const char *name;
    void *user_data;  /* handed to create */
    /* The state of one sampler (NULL is a valid state); called by hps_sampler_new. */
    void *(*create)(void *user_data);
    void (*destroy)(void *state);
    /* An option by name (beyond "seed", which every sampler takes and which
     * hps_context_seed reports); HPS_ERR_NOTFOUND for an unknown one. May be NULL. */
    hps_status (*set_option)(void *state, const char *option, const char *value);
    /* When the sampler joins a study; may be NULL. */
    hps_status (*bind)(void *state, const hps_context *ctx);
    /* A value for parameter `name` of the trial in `ctx`, drawn from `dist`, in internal
     * form (a categorical's choice index). Required. */
    hps_status (*sample)(void *state, const hps_context *ctx, const char *name,
                         const hps_dist *dist, double *internal_out);
    /* Joint sampling when a trial starts, optional: one internal value per parameter of
     * the history's relative space (NaN leaves a parameter to `sample`). */
    hps_status (*sample_relative)(void *state, const hps_context *ctx,
                                  const hps_history *history, double *values_out);
} hps_sampler_methods;

typedef struct hps_pruner_methods {
    int version;      /* HPS_PLUGIN_VERSION */
    const char *name;
    void *user_data;
    void *(*create)(void *user_data);
    void (*destroy)(void *state);
    hps_status (*set_option)(void *state, const char *option, const char *value);
    hps_status (*bind)(void *state, const hps_context *ctx);
    /* Whether the trial in `ctx` (RUNNING, with its intermediate values) should stop:
     * *prune_out = 1. Required. */
    hps_status (*should_prune)(void *state, const hps_context *ctx, int *prune_out);
} hps_pruner_methods;

HPS_API hps_status hps_sampler_register(const hps_sampler_methods *methods);
HPS_API hps_status hps_pruner_register(const hps_pruner_methods *methods);

/* The context, valid during the callback it is given to. */
HPS_API const char *hps_context_study_name(const hps_context *ctx);
HPS_API size_t hps_context_n_directions(const hps_context *ctx);
HPS_API hps_direction hps_context_direction(const hps_context *ctx, size_t index);
/* The study's budget: its max_trials, else its budget_hint (0 = none). */
HPS_API uint64_t hps_context_budget(const hps_context *ctx);
/* The sampler's seed (given, or agreed with the other workers, or from the OS). */
HPS_API uint64_t hps_context_seed(const hps_context *ctx);
/* The trial asked about, as far as it is known; NULL in bind. */
HPS_API const hps_frozen *hps_context_trial(const hps_context *ctx);
/* Every trial of the study by number (entries may be NULL), current as of this call. */
HPS_API hps_status hps_context_trials(const hps_context *ctx, const hps_frozen *const **all,
                                      size_t *n_out);
/* Stores `json` under study system attribute `key` unless a worker did first; *stored_out
 * (free with hps_free) is what the study holds then: how workers agree. */
HPS_API hps_status hps_context_agree(const hps_context *ctx, const char *key, const char *json,
                                     char **stored_out);
/* Sets a system attribute of the trial asked about. */
HPS_API hps_status hps_context_set_trial_attr(const hps_context *ctx, const char *key,
                                              const char *json);
/* The message a failing callback leaves (on the sampler's or pruner's handle, whence
 * the study reports it). */
HPS_API void hps_context_error(const hps_context *ctx, const char *message);

/* The history: finished trials (COMPLETE, and PRUNED with a value), ended ones (FAIL --
 * interrupted ones too, hps_frozen_interrupted says which -- and PRUNED without a
 * value), paused ones (PAUSED), pending ones (RUNNING and WAITING), and the relative
 * space -- the parameters all finished trials have with one distribution, in suggestion
 * order. Every trial of the study but the asking one is in one of the four lists, each
 * in trial-number order (pending: the live trials created after the last sync at the
 * end), except that after hps_study_map_space a finished, ended or paused one with a
 * value the new space no longer takes is in none. Those three are then seen through the
 * new space (finished and ended ones lacking a parameter added with a default are seen
 * at it); pending ones are listed as stored. Valid during the callback; an index out of
 * range gives NULL. */
HPS_API size_t hps_history_n_finished(const hps_history *history);
HPS_API const hps_frozen *hps_history_finished(const hps_history *history, size_t index);
HPS_API size_t hps_history_n_ended(const hps_history *history);
HPS_API const hps_frozen *hps_history_ended(const hps_history *history, size_t index);
HPS_API size_t hps_history_n_paused(const hps_history *history);
HPS_API const hps_frozen *hps_history_paused(const hps_history *history, size_t index);
HPS_API size_t hps_history_n_pending(const hps_history *history);
HPS_API const hps_frozen *hps_history_pending(const hps_history *history, size_t index);
HPS_API size_t hps_history_space_size(const hps_history *history);
HPS_API const char *hps_history_space_name(const hps_history *history, size_t index);
HPS_API const hps_dist *hps_history_space_dist(const hps_history *history, size_t index);

/* ---- analysis --------------------------------------------------------------------- */

/* How much each parameter matters to objective `objective` (0 for single-objective
 * studies): fANOVA on a random forest of 64 regression trees fitted to the COMPLETE
 * trials with a finite value -- what Optuna's default importance evaluator computes.
 * The parameters ranked are those every such trial has, with compatible distributions
 * (same kind; same choices), and more than one possible value. Beyond 2000 trials a
 * seeded uniform sample of 2000 is used. Deterministic for the same trials.
 * *json_out is an object {"param": importance, ...} ordered from the most important,
 * importances in [0, 1] summing to 1 -- except that all are 0 when the objective does
 * not vary, and the object is {} with fewer than two such trials or no parameter that
 * varies. Free with hps_free. HPS_ERR_INVALID for an objective out of range,
 * HPS_ERR_UNSUPPORTED beyond 1024 parameters, storage errors; message on the study. */
HPS_API hps_status hps_study_param_importances(hps_study *study, size_t objective, char **json_out);

/* An importance evaluator: which method hps_study_importances uses, and its options.
 * The methods, by name (each is the Optuna evaluator named after it):
 *   "fanova"     the fraction of the objective's variance over the whole search space
 *                that each parameter explains alone, from a random forest fitted to the
 *                trials (FanovaImportanceEvaluator; what hps_study_param_importances
 *                computes).
 *   "mean_decrease_impurity" (also "mdi")  how much the forest's splits on each
 *                parameter lower its squared error, as scikit-learn's
 *                feature_importances_ (MeanDecreaseImpurityImportanceEvaluator).
 *   "ped_anova"  how differently the best trials (the top target_quantile) chose each
 *                parameter from the trials of the region (the top region_quantile):
 *                the Pearson divergence of the two value densities (the newest Optuna's
 *                default, PedAnovaImportanceEvaluator). No forest: fast, deterministic,
 *                and it ranks conditional parameters too.
 * Options, set by name from text (errors as for hps_sampler_set): every method takes
 * `normalize` (bool, true: the importances sum to 1); the forest methods `n_trees`
 * (1..4096, 64), `max_depth` (1..1024, 64) and `seed` (0); ped_anova
 * `target_quantile` (in (0, 1], 0.1), `region_quantile` (in (0, 1], 1) and
 * `evaluate_on_local` (bool, true: compare with the region's density, false: with the
 * uniform one). hps_importance_catalog describes them. An evaluator is not tied to a
 * study: one may serve many, from one thread at a time. */
typedef struct hps_importance hps_importance;

/* On failure *out is NULL and errbuf (if given) names the methods there are. */
HPS_API hps_status hps_importance_new(const char *method, hps_importance **out, char *errbuf,
                                      size_t errlen);
HPS_API void hps_importance_free(hps_importance *evaluator);
/* The method's name as hps_importance_new knows it ("mean_decrease_impurity"). */
HPS_API const char *hps_importance_method(const hps_importance *evaluator);
HPS_API hps_status hps_importance_set(hps_importance *evaluator, const char *option,
                                      const char *value);
HPS_API const char *hps_importance_errmsg(const hps_importance *evaluator);
/* The methods and their options as a JSON array like hps_sampler_catalog's (without
 * "learns" and "registered"). Free with hps_free. HPS_ERR_INVALID for a NULL json_out;
 * HPS_ERR_NOMEM. */
HPS_API hps_status hps_importance_catalog(char **json_out);

/* How much each parameter matters to objective `objective`, by `evaluator`'s method
 * (NULL: fanova with its defaults, i.e. hps_study_param_importances). *json_out is an
 * object {"param": importance, ...} ordered from the most important (ties by name),
 * free with hps_free; {} with fewer than two COMPLETE trials with a finite value.
 * The forest methods rank the parameters as hps_study_param_importances does (those
 * every such trial has, with more than one possible value; a seeded sample of 2000
 * trials beyond 2000) and depend only on the trials and the seed. ped_anova uses every
 * such trial and ranks every parameter one of them has, conditional ones included (a
 * parameter some trials lack, or whose distribution changed, is weighed regime by
 * regime); "better" follows the objective's direction. With normalize the importances
 * sum to 1, or are all 0 when nothing explains the objective (a constant objective;
 * the target and region quantiles picking the same trials); without it they are the
 * method's own numbers (fanova: fractions of variance; mean_decrease_impurity already
 * sums to 1). HPS_ERR_INVALID for an objective out of range or a ped_anova
 * target_quantile not below its region_quantile; HPS_ERR_UNSUPPORTED beyond 1024
 * parameters; storage errors; the message is on the study. */
HPS_API hps_status hps_study_importances(hps_study *study, const hps_importance *evaluator,
                                         size_t objective, char **json_out);

/* Importances within each branch of a conditional space, beside the global ones of
 * hps_study_param_importances (which rank only the parameters every trial has). A
 * *parent* is a parameter every COMPLETE trial with a finite value of `objective` has,
 * taking 2 to 32 distinct values among them, whose value decides whether some other
 * parameter is present (present in every trial with some of its values, absent in every
 * trial with the others) -- a `when:` parent, or the optimizer of a define-by-run space.
 * For each value of each parent with at least two such trials, fANOVA with its defaults
 * (as hps_study_param_importances) on those trials alone ranks the parameters they all
 * have, the parent left out. *json_out is an array, parents in the first trial's order
 * and values in order of first appearance:
 *   [{"parent": "optimizer", "value": "sgd", "trials": 12,
 *     "importances": {"momentum": 0.41, "lr": 0.37, ...}}, ...]
 * [] when no parameter is such a parent. Free with hps_free. HPS_ERR_INVALID for an
 * objective out of range or a NULL json_out; storage errors; the message is on the
 * study. */
HPS_API hps_status hps_study_branch_importances(hps_study *study, size_t objective,
                                                char **json_out);

/* How much better than the best of some finished trials the objective could still get:
 * the upper bound on the regret of Makarova et al. 2022 ("Automatic termination for
 * hyperparameter optimization"), as Optuna's RegretBoundEvaluator computes it. The top
 * trials -- the best max(min_n_trials, floor(n * top_trials_ratio)) of the n given, all
 * of them when there are fewer -- are modelled with the gp sampler's Gaussian process
 * (Matern-5/2, its priors, a fitted noise) on their standardized values; with
 * beta = 2 log(d n_top^2 pi^2 / (6 * 0.1)) / 5 (d parameters), the bound is the
 * largest upper confidence bound mean + sqrt(beta var) over the space (2048 seeded
 * scrambled-Sobol points snapped onto valid values, and the top trials) minus the
 * largest lower confidence bound mean - sqrt(beta var) over the top trials, in the
 * objective's units. It falls as the search concentrates around an optimum the model
 * trusts; Optuna's Terminator stops when it falls below the statistical error of the
 * objective (e.g. the spread of cross-validation folds).
 *
 * `space_json` lists the d parameters as hps_study_declare_space takes them;
 * `internal` holds n_trials rows of d internal values (a categorical's choice index) and
 * `values` the n_trials objective values. Trials with a value or a parameter that is
 * not finite are left out; a parameter off its distribution's values is snapped onto
 * them. Deterministic for a seed.
 * Beyond 1000 top trials the best 1000 are modelled. HPS_ERR_INVALID for a malformed
 * space, no usable trial, a top_trials_ratio that is negative or not finite, or
 * min_n_trials 0 (errbuf says which); HPS_ERR_UNSUPPORTED in a build without the gp
 * sampler (HPS_WITH_LAPACK=OFF); HPS_ERR_NOMEM. */
HPS_API hps_status hps_regret_bound(const char *space_json, const double *internal,
                                    const double *values, size_t n_trials,
                                    hps_direction direction, double top_trials_ratio,
                                    size_t min_n_trials, uint64_t seed, double *bound_out,
                                    char *errbuf, size_t errlen);

/* The same over the study's COMPLETE trials (single objective), on the parameters they
 * all have with compatible distributions (the newest trial's range encodes them).
 * HPS_ERR_INVALID when no trial is COMPLETE or they share no parameter,
 * HPS_ERR_UNSUPPORTED for several objectives; storage errors; message on the study. */
HPS_API hps_status hps_study_regret_bound(hps_study *study, double top_trials_ratio,
                                          size_t min_n_trials, uint64_t seed,
                                          double *bound_out);

/* ---- Hypervolume ---------------------------------------------------------------------- */

/* The hypervolume of n points of n_objectives values each, w.r.t. `reference`
 * (n_objectives values), into *out: the volume of the union of the boxes [p, reference]
 * over the points -- how much of objective space the set dominates, the usual score of a
 * Pareto front. Every objective is MINIMIZED: negate a maximized objective's values and
 * its reference coordinate. `points` is row-major (n rows of n_objectives doubles; NULL
 * allowed when n is 0, giving 0); inputs are only read and nothing is retained; thread
 * safe.
 *
 * A point that is not strictly better than the reference in every objective (some
 * p_j >= reference_j, or a NaN) has an empty box: it adds 0 (as Optuna's hypervolume
 * history skips it). A counted point with a -inf coordinate gives +inf, as does a volume
 * that overflows a double. Exact: a sweep for 2 objectives, the dimension sweep of Beume
 * et al. for 3, WFG for more (exponential in n_objectives at worst); rounding aside,
 * results are what Optuna's `optuna._hypervolume` computes.
 * HPS_ERR_INVALID when points (n > 0), reference or out is NULL, when n_objectives is 0
 * or above 64, when n is above 2^24, or when a reference coordinate is not finite;
 * HPS_ERR_NOMEM (then *out is unspecified). */
HPS_API hps_status hps_hypervolume(const double *points, size_t n, size_t n_objectives,
                                   const double *reference, double *out);

#ifdef __cplusplus
}
#endif

#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
/* hps_errmsg(handle): the last error message of a study, trial, sampler or pruner. */
#define hps_errmsg(h)                                                                 \
    _Generic((h), hps_study *: hps_study_errmsg, const hps_study *: hps_study_errmsg,  \
             hps_trial *: hps_trial_errmsg, const hps_trial *: hps_trial_errmsg,        \
             hps_sampler *: hps_sampler_errmsg, const hps_sampler *: hps_sampler_errmsg,      \
             hps_pruner *: hps_pruner_errmsg, const hps_pruner *: hps_pruner_errmsg)(h)
#endif

#endif /* HPSEARCH_H */
