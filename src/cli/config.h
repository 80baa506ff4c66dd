/*
 * config.h -- the study file of `hpsearch run CONFIG.yaml`.
 *
 * Two formats are read into one cfg_config:
 *   - hpsearch's own YAML (study, storage, direction, metric or metrics, constraints,
 *     sampler, command, parameters with type/low/high/step/log/values/value/grid_points,
 *     ...);
 *   - Weights & Biases sweep files, unchanged (recognised by a top-level `program` or
 *     `method`, or by a `metric` mapping with W&B's goal, target or impute keys): method,
 *     metric {name, goal, target}, parameters with values/value/min/max/distribution/q,
 *     run_cap, command macros.
 * hpsearch's run settings (storage, parallel, timeouts, ...) and the metric's regex and
 * summary are accepted in both formats; which key each format takes is the key table's
 * (config_keys.c, listed by `hpsearch help config`).
 *
 * Scalars follow the YAML 1.2 core schema whatever the file's %YAML directive says:
 * `1` is an int, `1.0`, `1e-3` and `.inf` are floats, `true`/`false` (any case
 * spelling of the core schema) are bools, `null`/`~`/empty is null, and everything
 * else -- including YAML 1.1's yes/no/on/off -- is a string. Quoted and block
 * scalars are always strings; the tags !!str, !!int, !!float, !!bool and !!null
 * force a type. Aliases are followed; merge keys (<<) and a key given twice in one
 * mapping are refused.
 *
 * Every error names the file and line ("FILE:LINE: parameters.lr.low: ..."). Nothing
 * the file says is silently ignored: unknown or unsupported keys are errors, and
 * accepted-but-inert settings (W&B early_terminate) produce a warning.
 *
 * Hard caps on the untrusted file: 1 MiB, 64 levels of nesting, 1000 parameters, 10000
 * values per parameter, 4096 bytes per string, 4096 command words.
 */
#ifndef HPS_CLI_CONFIG_H
#define HPS_CLI_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hpsearch.h"

#define CFG_MAX_FILE_BYTES (1024u * 1024u)
#define CFG_MAX_PARAMS 1000u
#define CFG_MAX_VALUES 10000u
#define CFG_MAX_STRING 4096u
#define CFG_MAX_WORDS 4096u
#define CFG_MAX_GRID_CELLS 10000000u
#define CFG_MAX_ARTIFACT_PATTERNS 64u
#define CFG_MAX_GPUS_PER_TRIAL 64u   /* more than any machine has */
#define CFG_MAX_PARALLEL 1024u

typedef enum cfg_param_kind { CFG_FLOAT, CFG_INT, CFG_CATEGORICAL, CFG_CONSTANT } cfg_param_kind;

/* One entry of a parameter's `when:`: it holds when the parent is active and takes one
 * of `values` (YAML types kept), or, for a numeric parent, lies within min..max. */
typedef struct cfg_condition {
    char *parent;
    size_t parent_index;   /* into cfg->params, set once every parameter is read */
    hps_value *values;     /* NULL for a range */
    size_t n_values;
    int has_min, has_max;
    double min, max;
    int line;
} cfg_condition;

typedef struct cfg_param {
    char *name;
    cfg_param_kind kind;
    double low, high;      /* FLOAT and INT (INT values are integral doubles) */
    double step;           /* 0 = none; INT: 0 means 1 */
    unsigned flags;        /* HPS_LOG (may be combined with a step: quantized log-uniform) */
    hps_value *values;     /* CATEGORICAL choices (YAML types kept); CONSTANT: exactly one;
                              FLOAT/INT: explicit grid values if given (all HPS_VALUE_FLOAT,
                              resp. HPS_VALUE_INT, inside [low, high]), else NULL */
    size_t n_values;       /* strings inside values are owned by the config */
    size_t grid_points;    /* FLOAT/INT range sampled by the grid sampler at this many evenly
                              spaced points (log-spaced when HPS_LOG); 0 = not given */
    int nested;            /* a member of a W&B nested group: each '.' of the name goes
                              one group deeper, and the trial gets the group as one object */
    cfg_condition *when;   /* `when:`: active only when all hold (and their parents are
                              active); an inactive parameter is neither sampled nor passed */
    size_t n_when;
    int line;              /* line of its definition in the file */
    char *prior;           /* its `prior:` as hps_study_set_prior's JSON, or NULL */
    int prior_line;
    hps_value dflt;        /* `default:` (has_default), the value earlier trials of a
                              study ran with before the parameter was added */
    int has_default, default_line;
} cfg_param;

/* A pruner as configured: a name and its options (text, validated by the library at
 * load time); the patient pruner may wrap another. */
typedef struct cfg_pruner {
    char *name;
    char **keys, **values;
    size_t n_options;
    struct cfg_pruner *wrapped;
    int line;
} cfg_pruner;

/* A trial's log file is cut at this size unless `log_limit_mb` says otherwise: a trial
 * printing megabytes a second all night must not fill the disk. */
#define CFG_DEFAULT_LOG_LIMIT_MB 1024

/* Seconds a SIGTERM (Slurm preemption or time limit, scancel, Kubernetes, a spot
 * instance's notice) gives running trials to save a checkpoint, unless `preempt_grace`
 * says otherwise. Slurm sends SIGKILL KillWait seconds after its SIGTERM, 30 by default:
 * 25 leaves hpsearch the last 5 to end the trials and record them. */
#define CFG_DEFAULT_PREEMPT_GRACE 25

/* A run whose first trials all fail stops after this many unless `max_failures` says
 * otherwise: a broken command should cost minutes, not a night. W&B agents stop after
 * the same number of failed runs in a row at start (MAX_INITIAL_FAILURES = 5). */
#define CFG_DEFAULT_MAX_FAILURES 5

/* The sampler and pruner of a config that names none (the help texts say so too). */
#define CFG_DEFAULT_SAMPLER "auto"
#define CFG_DEFAULT_PRUNER "none"

/* metric.summary: which of a trial's metric values is its result. */
typedef enum cfg_summary {
    CFG_SUMMARY_LAST,      /* the last value printed (the default) */
    CFG_SUMMARY_BEST,      /* the smallest or largest, as the direction says */
    CFG_SUMMARY_MIN,
    CFG_SUMMARY_MAX
} cfg_summary;

/* The summaries' names as the file writes them, indexed by cfg_summary. */
extern const char *const cfg_summary_names[4];

/* At most this many objectives (`metrics`) and constraints (`constraints`; the library
 * keeps at most 64 constraint values). */
#define CFG_MAX_OBJECTIVES 16u
#define CFG_MAX_CONSTRAINTS 64u

/* A value each trial prints, read as `metric` says: an objective of the study (`metric`,
 * or an entry of `metrics`) or a constraint on the trial (an entry of `constraints`). */
typedef struct cfg_metric {
    char *name;             /* matched in name=value pairs; only a label with a regex */
    char *regex;            /* a POSIX extended regex whose first group is the value; NULL:
                               read from name=value pairs */
    cfg_summary summary;    /* which of the run's values is the result, default last */
    hps_direction direction; /* an objective's goal, default minimize */
    int upper;              /* a constraint: value <= bound (`max:`), else value >= bound
                               (`min:`) */
    double bound;
    int has_reference;      /* an objective of several: its coordinate of the hypervolume's
                               reference point (`reference:`), in its own units */
    double reference;
    int reference_line;
    int line;               /* where the file gives it (0: an override) */
} cfg_metric;

/* The top-level keys a file may have: one table (config_keys.c) reads, defaults, frees,
 * overrides, writes back and documents them. */
#define CFG_MAX_KEYS 128
enum {
    CFG_NATIVE = 1u,   /* hpsearch's own files accept the key */
    CFG_WANDB = 2u,    /* W&B sweep files accept it */
    CFG_BOTH = 3u,
    CFG_SETTABLE = 4u, /* `--set` may change it */
    CFG_LITERAL = 8u,  /* `--set` takes its value as text, not as YAML */
};

/* What `hpsearch help config` and docs/config.md say about a key. */
typedef struct cfg_key_info {
    const char *name;
    unsigned flags;
    const char *type;          /* e.g. "int 1…1024", "duration", "text or list" */
    const char *default_value; /* what a file without the key gets: "1", "none", ... */
    const char *example;       /* a value as a file writes it (not the default); the
                                  examples of all keys make one valid file */
    const char *example_wandb; /* the same in a W&B sweep file, when it differs */
    const char *help;          /* one line */
} cfg_key_info;

/* `terminate:`: rules that stop starting trials once further improvement is unlikely
 * (any rule that holds stops the run; a rule left 0 is off). */
typedef struct cfg_terminate {
    unsigned no_improvement;      /* N COMPLETE trials in a row without a better value */
    unsigned stagnation;          /* best_value_stagnation (Optuna's BestValueStagnation-
                                     Evaluator): more than N trials since the best */
    int has_stagnation;           /* (0 is a valid N) */
    double regret_bound;          /* Optuna's RegretBoundEvaluator: the bound is below this
                                     (objective units); 0 = off */
    unsigned min_trials;          /* COMPLETE trials before the two Optuna rules apply, and
                                     the fewest the regret bound models; 0 = as not given:
                                     CFG_DEFAULT_TERMINATE_MIN_TRIALS */
    double top_trials_ratio;      /* the share of trials the regret bound models; 0 = as not
                                     given: CFG_DEFAULT_TOP_TRIALS_RATIO */
    int line;                     /* of `terminate:` */
} cfg_terminate;
#define CFG_DEFAULT_TERMINATE_MIN_TRIALS 20
#define CFG_DEFAULT_TOP_TRIALS_RATIO 0.5
/* Whether any rule of `terminate:` is on. */
#define CFG_TERMINATE_ON(t) ((t)->no_improvement > 0 || (t)->has_stagnation || (t)->regret_bound > 0)

/* One entry of `initial:`: parameter values to run before any sampled trial (the rest of
 * the parameters are sampled). Names are as written; cfg_validate checks them against
 * the space. */
typedef struct cfg_initial {
    char **names;
    hps_value *values;     /* YAML types kept; strings owned */
    int *lines;            /* of each value */
    size_t n;
    int line;              /* of the entry */
} cfg_initial;

/* `pbt:`: population-based training (cli/pbt.h runs it). The fidelity parameter is the
 * budget each member trains for, in rounds of `interval` steps. */
typedef struct cfg_pbt {
    unsigned population;          /* members trained side by side; 0 = no PBT */
    unsigned interval;            /* steps (of the fidelity) per round */
    double quantile;              /* the bottom share that exploits a top member */
    double resample_probability;  /* explore: a parameter drawn anew instead of perturbed */
    double perturb;               /* explore: a number is multiplied by 1 - perturb or
                                     1 + perturb */
    int line;                     /* of `pbt:` */
} cfg_pbt;
#define CFG_DEFAULT_PBT_QUANTILE 0.25
#define CFG_DEFAULT_PBT_RESAMPLE 0.25
#define CFG_DEFAULT_PBT_PERTURB 0.2

typedef struct cfg_config {
    char *path;             /* the file, as given */
    char *dir;              /* absolute directory of the file; relative paths in it resolve there */
    char *workdir;          /* absolute: the directory trials run in (`workdir:`, relative to
                               the file; default: `dir`, for W&B sweep files the current
                               directory, where `wandb agent` runs them) */
    char *study_name;       /* `study` or W&B `name`; default: file name without extension */
    char *storage;          /* default "sqlite:<dir>/hpsearch.db"; relative sqlite paths are
                               made absolute against `dir` ("sqlite:///x.db" is read the
                               SQLAlchemy/Optuna way: relative "x.db") */
    cfg_metric *objectives; /* required: `metric` (with `direction`, or W&B's goal), or
                               the entries of `metrics`, in order: the study's directions */
    size_t n_objectives;
    cfg_metric *constraints; /* `constraints`, in order: the trial's constraint values */
    size_t n_constraints;
    int has_target; double target;   /* W&B metric.target: stop once reached */
    char *sampler;          /* "random" (default), "grid", "sobol"; W&B method maps here */
    int has_seed; uint64_t seed;
    int shuffle;            /* grid: seeded random order */
    char **sampler_keys, **sampler_values; /* further sampler options (e.g. gp's
                               n_startup_trials), validated by the library at load */
    size_t n_sampler_options;
    uint64_t n_trials;      /* 0 = unlimited (grid: until exhausted); W&B run_cap */
    double timeout;         /* seconds for the whole run, 0 = none */
    unsigned parallel;      /* concurrent trials, default 1 */
    double trial_timeout;   /* seconds per trial, 0 = none */
    double preempt_grace;   /* on SIGTERM, seconds the running trials get to save a
                               checkpoint before SIGKILL; 0 = SIGKILL at once */
    hps_trial_state timeout_state;  /* a timed-out trial: HPS_FAIL (default), or HPS_PRUNED
                               with its last reported value when it reported one */
    unsigned retries;
    unsigned repeats;       /* runs of each configuration of a finite space, default 1 */
    unsigned max_failures;  /* stop a run whose first N finished trials all failed; 0 = never;
                               default CFG_DEFAULT_MAX_FAILURES */
    unsigned log_limit_mb;  /* a trial's log stops growing here (MiB), 0 = no limit;
                               default 1024 */
    char **gpus; size_t n_gpus;   /* e.g. ["0","1"], or ["all"]: every GPU detected
                               (run_gpus.h turns them into the devices trials get) */
    unsigned gpus_per_trial;  /* GPUs a trial gets, default 1 */
    unsigned trials_per_gpu;  /* trials that share a GPU, default 1 */
    char **command; size_t n_command;  /* argv template words (W&B list, native list, or a
                                          native string split into words); NULL when shell */
    char *shell_command;    /* native string command run by /bin/sh -c when `shell: true` */
    char *program;          /* W&B program */
    char *interpreter;      /* `interpreter:`, else env HPSEARCH_PYTHON, else "python3" */
    cfg_param *params; size_t n_params;  /* in file order */
    int early_terminate;    /* W&B early_terminate present (it sets `pruner`) */
    cfg_pruner *pruner;     /* `pruner:` or W&B early_terminate; NULL = no pruning */
    char *log_dir;          /* absolute; NULL unless `log_dir:` given (the run picks the default) */
    double heartbeat_interval;  /* seconds, default 5 */
    double heartbeat_grace;     /* seconds, default 60 */
    char *fidelity;             /* the budget parameter (e.g. "epochs"), not tuned: every
                                   trial gets fidelity_max, and pruners count their rungs
                                   in its steps; NULL = none */
    double fidelity_min, fidelity_max;
    int fidelity_line;
    cfg_terminate terminate;    /* `terminate:`; all rules off by default */
    cfg_pbt pbt;                /* `pbt:`; population 0 = off */
    char **artifacts; size_t n_artifacts;  /* `artifacts:` glob patterns of the files a
                               trial writes (command placeholders expanded per trial),
                               relative to workdir; kept beside the trial's log */
    int artifacts_line;
    cfg_initial *initial;   /* `initial:`, enqueued in order when run creates the study */
    size_t n_initial;
    char *warm_from;        /* `warm_start.from`: the study whose COMPLETE trials that fit
                               the space a new study starts with; NULL: none */
    char *warm_storage;     /* `warm_start.storage`, resolved; NULL: the config's storage */
    int warm_line;
    char **metadata_keys; char **metadata_values; size_t n_metadata;  /* W&B entity, project,
                               description, controller, apiVersion, kind (collections as
                               one-line flow YAML) */
    unsigned metadata_flow; /* bit i: metadata_values[i] is flow YAML (a collection), not
                               a scalar's text */
    char **warnings; size_t n_warnings;  /* "FILE:LINE: ..." messages for the user */

    /* Added beyond the run's needs, for cfg_set and messages: */
    int is_wandb;           /* the file is a W&B sweep file */
    int shell;              /* native `shell: true` */
    char *command_string;   /* a string command as written, before splitting; NULL for lists */
    int command_line;       /* line of `command` (0 when absent, e.g. W&B default command) */
    int parameters_line;    /* line of `parameters` (messages about the whole grid) */
    unsigned char given[CFG_MAX_KEYS]; /* by key (cfg_key_describe's order): the file or an
                               override gave it (written back even when it says the
                               default) */
} cfg_config;

/* The study's directions, one per objective, into out (CFG_MAX_OBJECTIVES entries);
 * returns their number. */
size_t cfg_directions(const cfg_config *cfg, hps_direction *out);

/* Loads and validates a config. Returns 0 and *out, or -1 with "FILE:LINE: what is
 * wrong" (naming the key path, e.g. "parameters.lr.min") in err, or -2 when out of
 * memory. *out is NULL on failure. */
int cfg_load(const char *path, cfg_config **out, char *err, size_t errlen);

/* Same from a string of `len` bytes (need not be NUL-terminated); `name` stands in for
 * the file name in messages and defaults (NULL: "<string>"); dir is the cwd. */
int cfg_load_string(const char *text, size_t len, const char *name, cfg_config **out,
                    char *err, size_t errlen);

void cfg_free(cfg_config *cfg);

/* Applies an override "key=value" with the keys and validation of the file (the value is
 * read as a YAML scalar or flow collection, e.g. "gpus=[0,1]"; text keys such as
 * storage, metric, study, command take the value literally; a new metric name drops
 * the file's metric.regex). The keys are those the table marks CFG_SETTABLE (an unknown
 * one's error lists them); the key counts as given (cfg_key_given). Relative paths are
 * relative to the current directory (as on any command line). On error returns -1 (-2
 * out of memory) with a message naming the key and leaves cfg unchanged. */
int cfg_set(cfg_config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* Convenience for "key=value" in one string (as given to --set). */
int cfg_set_pair(cfg_config *cfg, const char *assignment, char *err, size_t errlen);

/* The k-th top-level key, in the reader's order, into *out: its documentation, with the
 * type and default derived from the reader's table where it states them (a range, a
 * default number) written into buf (64 bytes suffice). Returns 0, or -1 past the last
 * key. */
int cfg_key_describe(size_t k, cfg_key_info *out, char *buf, size_t size);

/* Whether the file (or an override) gave `key` (a key sharing its setting counts:
 * `study` and `name`). */
int cfg_key_given(const cfg_config *cfg, const char *key);

/* The keys --set may change (all of `flags`), in table order, as "a, b, c" (cut short
 * with "..." if buf is too small). */
void cfg_list_keys(unsigned flags, char *buf, size_t size);

/* Writes cfg's settings as `key: value` lines of its own format, in table order: each
 * key the file or an override gave, and each that differs from its default -- so that
 * loading the text gives the same config. Keys named in `skip` (NULL-terminated, or
 * NULL) are left to the caller (`hpsearch narrow` writes its study, paths, sampler,
 * budget and parameters itself). */
void cfg_write_settings(FILE *out, const cfg_config *cfg, const char *const *skip);

/* A W&B sweep's `method` for a sampler: grid and random are themselves, every other
 * sampler is W&B's model-based `bayes` (which reads as gp). */
const char *cfg_wandb_method(const char *sampler);

/* The parameters in cfg's format, as `parameters:` and its lines. */
void cfg_write_parameters(FILE *out, const cfg_config *cfg);

/* `text` as a double-quoted YAML scalar. */
void cfg_write_string(FILE *out, const char *text);

/* Seconds from a duration as the file takes it: "3600", "90m", "2h", "1h30m", "45s",
 * "250ms", "1.5d" (units ms, s, m, min, h, d; spaces allowed between parts). Returns 0,
 * or -1 when unparsable or longer than a century. For the CLI's --timeout flags. */
int cfg_parse_duration(const char *text, double *out);

/* The library pruner a config describes (NULL config pruner: "none"). Returns 0, or -1
 * with a message. */
int cfg_make_pruner(const cfg_pruner *p, hps_pruner **out, char *err, size_t errlen);
void cfg_pruner_free(cfg_pruner *p);

/* Whether every parameter takes finitely many values as the samplers other than grid
 * see it (categoricals, ints, floats with a step): the space has finitely many
 * configurations, each run at most `repeats` times. */
int cfg_space_finite(const cfg_config *cfg);
/* Where a message points for `line` of the config: "path:line", or "path" alone when
 * the line is 0 (a --set override, which has no line). Returns buf. */
#define CFG_WHERE_SIZE 4200
const char *cfg_where(const cfg_config *cfg, int line, char *buf, size_t size);
/* Whether the parameter's prior still fits it (a narrowed range may leave its center
 * out, narrowed values their weights); 0 without a prior. */
int cfg_prior_fits(const cfg_param *p);

/* Whether value v is one the parameter takes: one of its values when it lists them (the
 * choices, a constant, a numeric grid), else a number in its range, on its step (an int
 * parameter: a whole number). */
int cfg_param_holds(const cfg_param *p, hps_value v);
/* What p takes, for messages: "one of adam, sgd", "a number from 0.0001 to 0.1", "a
 * whole number from 1 to 8 in steps of 2". */
void cfg_describe_takes(const cfg_param *p, char *buf, size_t size);

/* Whether entry e of cfg->initial still fits cfg's space (after narrowing changed it),
 * by the checks the file's reading makes: every name a parameter, every value one it
 * takes, every parameter active. Returns 0, or -1 (-2 out of memory) with the reason in
 * why[size] ("initial[2].lr: 0.5 is not a value 'lr' takes ..."), without a file or
 * line: the caller names where the entry is. */
int cfg_initial_fits(cfg_config *cfg, size_t e, char *why, size_t size);
/* Appends a line to notes[size] (what narrowing changed, for the user), truncating. */
void cfg_note(char *notes, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Removes entry e of cfg->initial; the later entries move up. */
void cfg_initial_remove(cfg_config *cfg, size_t e);

/* Number of cells of the grid over all parameters (saturates at UINT64_MAX), as the grid
 * sampler will enumerate them; 0 when some parameter has no finite set of values. */
uint64_t cfg_grid_size(const cfg_config *cfg);

/* Whether some parameter has a `when:`. */
int cfg_is_conditional(const cfg_config *cfg);
/* What is known of a parameter while a trial's values are decided. */
enum { CFG_UNDECIDED = 0, CFG_INACTIVE = 1, CFG_ACTIVE = 2 };
/* Whether parameter i is active, given the parameters decided so far (state[k], and
 * values[k] for an active k): 1 or 0, or -1 while some parent is undecided. */
int cfg_param_active(const cfg_config *cfg, size_t i, const hps_value *values,
                     const unsigned char *state);
/* The parameters' indices into order[n_params], parents before their children and file
 * order otherwise: the order to decide them in. */
void cfg_condition_order(const cfg_config *cfg, size_t *order);
/* Whether parameter i is active in every trial (no condition, or conditions that hold
 * for every value their parents take); if not, *why is a condition that can fail. */
int cfg_param_always_active(const cfg_config *cfg, size_t i, const struct cfg_condition **why);
/* Whether a condition of `when:` holds for its parent's value. */
int cfg_condition_holds(const struct cfg_condition *cond, const hps_value *got);
/* After narrowing shrank the parameters' values: drops from each `when:` the values its
 * parent no longer takes, and the parameters whose conditions can no longer hold (with
 * the parameters that depend on them), so the config still loads. Writes one line per
 * change into notes[size] (empty when nothing changed). */
void cfg_prune_conditions(cfg_config *cfg, char *notes, size_t size);
/* "optimizer is sgd", "layers >= 2", "optimizer is adam or sgd", for messages. */
void cfg_describe_condition(const struct cfg_condition *cond, char *buf, size_t size);

#endif /* HPS_CLI_CONFIG_H */
