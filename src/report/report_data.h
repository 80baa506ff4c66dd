/* report_data.h -- a study read once into plain arrays, and the JSON views built from
 * it, shared by `hpsearch report`, `dashboard` and `show`.
 *
 * Loading copies what the views need out of the library's borrowed trial records (a
 * record is only valid until the next call on the study, and a live study changes
 * between calls), so a loaded study is an immutable snapshot: the dashboard answers
 * many requests from one snapshot while building the next.
 *
 * The views keep the browser's work bounded whatever the study's size: charts get a
 * sample (every improvement of the best value, the best trials, then an even spread),
 * the trial table is served a page at a time.
 *
 * A study of several objectives also gets its Pareto view: the library's best trials
 * (hps_study_best_trials: the feasible non-dominated COMPLETE trials) marked as the
 * front, and the hypervolume of the feasible front after each COMPLETE trial, computed
 * with base/hypervolume.c against Optuna's reference point over the snapshot's feasible
 * trials. */
#ifndef HPS_REPORT_DATA_H
#define HPS_REPORT_DATA_H

#include "report/report_json.h"
#include "hpsearch.h"

#include <stddef.h>
#include <stdint.h>

/* Caps on what one view carries. */
#define RDATA_HISTORY_POINTS 4000  /* optimization-history points */
#define RDATA_SAMPLE_ROWS 2000     /* trials in parallel coordinates, slices, contour */
#define RDATA_SAMPLE_BEST 200      /* of which the best */
#define RDATA_CURVES 150           /* intermediate-value curves */
#define RDATA_CURVES_BEST 50       /* of which the best */
#define RDATA_CURVE_POINTS 400     /* points per curve */
#define RDATA_CURVE_SLICES 100     /* pauses marked per curve: the first ones */
#define RDATA_PAGE_MAX 1000        /* table rows per request */
#define RDATA_TIMELINE_ROWS 2000   /* trials on the timeline: the latest started */
#define RDATA_QUERY_MAX 256        /* bytes of a table filter */
#define RDATA_STATES (HPS_PAUSED + 1) /* hps_trial_state's states, WAITING to PAUSED */

typedef struct rdata_param {
    char *name;
    hps_dist_kind kind;
    int log;
    double low, high;   /* numeric: union of the trials' bounds */
    char **label_json;  /* categorical: each choice seen, as JSON ("relu", 32, true) */
    char **label_text;  /* ... and as text (relu, 32, True) */
    hps_value *label_values; /* ... and as values (strings owned) */
    size_t n_labels, cap_labels;
} rdata_param;

/* A parameter value of a row: the number, or a categorical's label index. */
typedef struct rdata_pv {
    uint32_t param;
    double value;
} rdata_pv;

typedef struct rdata_row {
    int64_t number;
    hps_trial_state state;
    int sampler;         /* index into samplers; -1 when none recorded */
    double start, complete;
    size_t n_steps;      /* intermediate values reported */
    size_t pv_offset;    /* into pvs */
    uint32_t n_pv;
    char *fail_reason;   /* first line; NULL when none */
    char **artifacts;    /* the files `hpsearch run` kept of the trial (its system
                            attribute "artifacts"), the first RDATA_MAX_ARTIFACTS */
    size_t n_artifacts;  /* shown */
    size_t all_artifacts; /* kept */
    char *gpus;          /* the GPUs `hpsearch run` gave the trial (its system attribute
                            "gpus") as CUDA_VISIBLE_DEVICES said them, "0,1"; NULL */
    char *pbt;           /* a member's round of population-based training (its system
                            attribute "pbt", cli/pbt.h) as compact JSON; NULL when none
                            or interrupted (another trial redid the round) */
    size_t c_offset;     /* into constraints */
    uint32_t n_c;        /* constraint values recorded (hps_trial_set_constraints) */
    unsigned char feasible; /* no constraint value above 0 (hps_frozen_feasible) */
    unsigned char front; /* one of the best trials of a study of several objectives */
    double hypervolume;  /* of the feasible front after this COMPLETE trial; NaN */
    int64_t so_far_step; /* a PAUSED trial's last reported step (cli/so_far.h); -1 */
    double so_far;       /* ... and its first value there, its result so far; NaN */
} rdata_row;

#define RDATA_MAX_ARTIFACTS 20

/* Where one slice of a trial that ran in slices ended (it paused at `step`, its
 * system attribute "pause_steps") and where the next began: the first step it reported
 * after, -1 while it is not resumed (or reported nothing since). Values are the trial's
 * at those steps, from its whole curve; NaN when it reported none by the pause. */
typedef struct rdata_slice_mark {
    int64_t step;
    double value;
    int64_t resume_step;
    double resume_value;
} rdata_slice_mark;

/* The last forecast the "forecast" pruner left on the trial (its system attribute
 * "forecast"): made at `step`, where the trial's value was `from` (NaN when that step
 * is not in its curve), of the value at `max_step` (mean and sd), with the chance
 * p_beat of beating the incumbent. `have` 0 when none, or one recorded before forecasts
 * named their max_step (nothing to draw it to). */
typedef struct rdata_forecast {
    int have;
    int64_t step, max_step;
    double from, mean, sd, incumbent, p_beat;
} rdata_forecast;

typedef struct rdata_curve {
    size_t row;
    size_t n;
    int64_t *steps;
    double *values;
    rdata_slice_mark *slices; /* the first RDATA_CURVE_SLICES pauses */
    size_t n_slices;     /* marked */
    size_t all_slices;   /* pauses recorded */
    rdata_forecast forecast;
} rdata_curve;

typedef struct rdata_study {
    char *name;
    char *metric;        /* the study's user attribute "metric"; NULL when none */
    size_t n_directions;
    hps_direction *directions;
    char **objective_names; /* n_directions: what `hpsearch run` named each objective
                             * (user attributes "metrics", else "metric"); NULL entries
                             * when unnamed (a study made in Python) */
    size_t counts[RDATA_STATES]; /* by hps_trial_state, PAUSED included */
    rdata_param *params;
    size_t n_params, cap_params;
    rdata_row *rows;     /* by trial number */
    size_t n_rows;
    double *values;      /* n_rows x n_directions; NaN when the trial has none */
    rdata_pv *pvs;
    size_t n_pvs, cap_pvs;
    double *constraints; /* every row's constraint values, at its c_offset */
    size_t n_cvals, cap_cvals;
    size_t n_constraints; /* the most constraint values any trial has */
    size_t n_front;      /* rows with front set */
    double *reference;   /* n_directions: the hypervolume's reference point, as the
                          * objectives read (maximized ones not negated); NULL when
                          * there is no hypervolume history */
    char *hypervolume_error;
    char **samplers;
    size_t n_samplers, cap_samplers;
    rdata_curve *curves;
    size_t n_curves;
    size_t n_with_steps; /* trials with intermediate values */
    char *importances;   /* JSON object from the library; "{}" when none */
    char *importance_error;
    char *branch_importances; /* JSON array of hps_study_branch_importances; "[]" when none */
    long best_row;       /* feasible COMPLETE row with the best first value; -1 */
    double generated;    /* when loaded (Unix time) */
    double load_seconds; /* how long loading took */
} rdata_study;

/* Opens the study a command is about (a study name with --storage, or a config file),
 * printing the error: returns 0, CLI_EXIT_USAGE when the study does not exist (or the
 * argument is bad), CLI_EXIT_FAILED when the storage cannot be read. */
struct cli_target;
int rdata_open(const char *cmd, const char *arg, const char *storage, struct cli_target *target,
               hps_study **study);

/* Reads the study. With `importances` 0, importances are not computed (faster; `show`
 * and a dashboard refresh without new completed trials reuse them). Returns 0, or -1
 * with a message in err (out of memory, storage errors). */
int rdata_load(hps_study *study, int importances, rdata_study **out, char *err, size_t errlen);
void rdata_free(rdata_study *data);

/* Whether objective 0 is maximized. */
int rdata_maximize(const rdata_study *data);
/* The row's first value, or NaN. */
double rdata_value(const rdata_study *data, size_t row);
/* The value of parameter p in a row: 1 and *out when present. */
int rdata_param_value(const rdata_study *data, size_t row, size_t p, double *out);
/* Text of a parameter value as a table shows it. */
void rdata_param_text(const rdata_study *data, size_t p, double value, char *buf, size_t size);
long rdata_param_index(const rdata_study *data, const char *name);

/* The view of the charts and the summary (no table rows): see docs/report.md. */
void rdata_view_json(const rdata_study *data, rjson_buf *b);
/* One row as an object {"number","state","values","params",...}. */
void rdata_row_json(const rdata_study *data, size_t row, rjson_buf *b);
/* Every row, as an array of row objects (the report's table). */
void rdata_rows_json(const rdata_study *data, rjson_buf *b);

/* A page of the table: filtered, sorted, sliced. */
typedef struct rdata_query {
    size_t offset, limit;
    char sort[300];      /* number, value, value:K, state, duration, start, sampler, steps,
                          * feasible, constraint:K, param:NAME */
    int descending;
    int state_mask;      /* bit per hps_trial_state; 0 = all */
    char text[RDATA_QUERY_MAX + 1]; /* case-insensitive substring of the row's text */
} rdata_query;

void rdata_query_init(rdata_query *q);
/* {"total": matching rows, "offset", "limit", "rows": [...]}; -1 on a bad sort key
 * (message in err) or out of memory. */
int rdata_page_json(const rdata_study *data, const rdata_query *q, rjson_buf *b, char *err,
                    size_t errlen);

#endif
