/* model_space.h -- the space a study's trials are suggested from after it changed
 * mid-study (hps_study_map_space), and its finished trials as the samplers see them
 * through it.
 *
 * Stored trials keep the distributions they were sampled with. When a range was
 * widened or narrowed or a choice added or removed, their distributions no longer equal
 * the new ones, and samplers -- which model a parameter only across equal
 * distributions -- would drop the parameter from the relative space, or the old trials
 * from the model. Seen through the current space instead, an old value the new
 * distribution takes is that value of the new distribution (converted as an enqueued
 * value is, hps_dist_internal_of), a trial with a value it no longer takes is left out
 * of the model, and a parameter added since is seen with its default. */
#ifndef HPS_ENGINE_MODEL_SPACE_H
#define HPS_ENGINE_MODEL_SPACE_H

#include "base/errbuf.h"
#include "base/trial_rec.h"
#include "engine/cells.h"

typedef struct hps_model_space {
    int set;
    hps_cells space;       /* names and distributions, as a declared space reads them */
    double *defaults;      /* internal default of each parameter; NAN: none */
    /* per cache slot of the study: 0 not seen yet, then one of the views below */
    unsigned char *state;
    hps_frozen **mapped;   /* the mapped copies (state MODEL_MAPPED), owned */
    size_t cap;
} hps_model_space;

enum { MODEL_UNSEEN, MODEL_AS_STORED, MODEL_MAPPED, MODEL_LEFT_OUT };

/* Reads a space as hps_study_declare_space takes it, each entry with an optional
 * "default": VALUE. HPS_ERR_INVALID naming what is wrong; `m` is unchanged on error. */
hps_status hps_model_space_set(hps_model_space *m, const char *space_json, hps_errbuf *err);
void hps_model_space_clear(hps_model_space *m);

/* Which view `rec` needs: MODEL_AS_STORED when every parameter of the space it has
 * keeps its distribution and no default applies, MODEL_LEFT_OUT when a value is not one
 * the space's distribution takes, else MODEL_MAPPED. */
int hps_model_space_kind(const hps_model_space *m, const hps_frozen *rec);

/* A copy of `rec` (free with hps_rec_free) with its values in the space's distributions
 * and, with add_defaults, the defaults of parameters it lacks added; NULL on OOM. For a
 * record hps_model_space_kind says MAPPED. */
hps_frozen *hps_model_space_map(const hps_model_space *m, const hps_frozen *rec,
                                int add_defaults);

/* The finished trial `rec` (cache slot `slot`) as samplers see it: *out is rec itself, a
 * mapped copy (owned by `m`), or NULL when the trial is left out of the model. Finished
 * trials never change, so each slot is mapped once. -1 on OOM. */
int hps_model_space_view(hps_model_space *m, size_t slot, const hps_frozen *rec,
                         const hps_frozen **out);

#endif
