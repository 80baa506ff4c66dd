/* trial_rec.h -- the stored record of a trial (the public hps_frozen).
 *
 * Storage backends produce these, the study keeps a cache of them, samplers read
 * them. A record owns everything it points to. */
#ifndef HPS_TRIAL_REC_H
#define HPS_TRIAL_REC_H

#include "base/dist.h"
#include "hpsearch.h"

#include <jansson.h>

typedef struct hps_param_rec {
    char *name;
    hps_dist dist;
    double internal;
} hps_param_rec;

/* Values one step can carry: one per objective, as many as a study has directions. */
#define HPS_REC_MAX_INTER_VALUES 64

typedef struct hps_inter_rec {
    int64_t step;
    double value;   /* the first objective's */
    double *more;   /* the other objectives' (hps_trial_report_values), owned; NULL */
    size_t n_more;  /* when the step carries one value */
} hps_inter_rec;

struct hps_frozen {
    int64_t id;          /* storage row id: unique within a storage */
    int64_t number;      /* 0, 1, 2, ... within the study */
    hps_trial_state state;
    int interrupted;     /* FAIL because its run was stopped, not by its own fault */
    int64_t grid_pos;    /* claimed grid position, -1 when none */
    double *values;
    size_t n_values;
    hps_param_rec *params; /* in suggestion order */
    size_t n_params, cap_params;
    hps_inter_rec *inter;  /* sorted by step */
    size_t n_inter, cap_inter;
    json_t *user_attrs;    /* JSON objects; NULL when empty */
    json_t *system_attrs;
    double datetime_start, datetime_complete, heartbeat;
    char *worker;
    int64_t change_seq;
    /* text of the attribute objects, rendered on demand for the borrowed accessors */
    char *user_attrs_text, *system_attrs_text;
};

/* A new empty record (state WAITING, grid_pos -1, no attributes). */
hps_frozen *hps_rec_new(void);
void hps_rec_free(hps_frozen *rec);
hps_frozen *hps_rec_clone(const hps_frozen *rec);

/* Appends a parameter (dist copied). -1 on OOM. */
int hps_rec_add_param(hps_frozen *rec, const char *name, const hps_dist *dist, double internal);
const hps_param_rec *hps_rec_find_param(const hps_frozen *rec, const char *name);
/* Inserts a step's intermediate values[0..n) (n >= 1), one per objective (values[0] is
 * the step's value), keeping steps sorted; an existing step is kept. Returns 1 if
 * inserted, 0 if the step existed, -1 on OOM. */
int hps_rec_add_intermediate_values(hps_frozen *rec, int64_t step, const double *values, size_t n);
/* A step's values into out[HPS_REC_MAX_INTER_VALUES]; returns how many (>= 1). */
size_t hps_rec_inter_values(const hps_inter_rec *r, double *out);
int hps_rec_set_values(hps_frozen *rec, const double *values, size_t n);
/* Sets attribute `key` to the parsed JSON text; -1 if the text is not JSON. */
int hps_rec_set_attr(hps_frozen *rec, int system, const char *key, const char *json_text);
/* Replaces an attribute object from stored text; -1 if malformed. */
int hps_rec_load_attrs(hps_frozen *rec, int system, const char *json_text);
/* The step a paused or resumed trial's checkpoint holds (system attribute
 * HPS_REC_PAUSED_STEP, set by hps_trial_pause), or -1 for a trial never paused. */
#define HPS_REC_PAUSED_STEP "paused_step"
/* How many times a resumed trial was cut short (interrupted, preempted, its worker dead)
 * and paused again: the engine fails it once that passes its bound. */
#define HPS_REC_CUT_SHORT "cut_short"
int64_t hps_rec_paused_step(const hps_frozen *rec);
/* The run a trial carries out: the first trial of it, which a retry names in system
 * attribute HPS_REC_RETRY_OF (a retry of a retry names the same), else the trial
 * itself. */
#define HPS_REC_RETRY_OF "retry_of"
int64_t hps_rec_run_of(const hps_frozen *rec);
/* Every step the trial paused at, in order, as a JSON array of integers (system
 * attribute, written with HPS_REC_PAUSED_STEP): what a trial had reported when it first
 * paused at or past a rung stays its value there however far it runs later (asha's
 * promotion mode). A trial paused before this attribute was kept has only its latest
 * pause step. */
#define HPS_REC_PAUSE_STEPS "pause_steps"
/* The first step at or past `from` the trial paused at (HPS_REC_PAUSE_STEPS, else
 * HPS_REC_PAUSED_STEP), or -1 when none. */
int64_t hps_rec_first_pause_from(const hps_frozen *rec, int64_t from);
/* Compact JSON text of HPS_REC_PAUSE_STEPS once the trial pauses at `step` too (a
 * step no later than its last pause adds nothing); free with hps_mem_free; NULL on OOM. */
char *hps_rec_pause_steps_with(const hps_frozen *rec, int64_t step);
/* Compact JSON text of an attribute object (for storage); free with hps_mem_free. */
char *hps_rec_attrs_text(const json_t *attrs);

#endif
