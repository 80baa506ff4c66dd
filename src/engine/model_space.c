/* model_space.c -- finished trials seen through the study's current space (see
 * model_space.h). */
#include "engine/model_space.h"

#include "base/mem.h"
#include "base/value.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static void forget_views(hps_model_space *m)
{
    for (size_t i = 0; i < m->cap; i++)
        hps_rec_free(m->mapped != NULL ? m->mapped[i] : NULL);
    hps_mem_free(m->mapped);
    hps_mem_free(m->state);
    m->mapped = NULL;
    m->state = NULL;
    m->cap = 0;
}

void hps_model_space_clear(hps_model_space *m)
{
    forget_views(m);
    hps_cells_clear(&m->space);
    hps_mem_free(m->defaults);
    memset(m, 0, sizeof *m);
}

/* The "default" of each entry as an internal value of its distribution (NAN: none). */
static hps_status read_defaults(const hps_cells *space, const char *space_json, double *out,
                                hps_errbuf *err)
{
    json_t *root = json_loads(space_json, 0, NULL);
    if (root == NULL) /* the caller's space was parsed already: only memory can fail */
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = HPS_OK;
    for (size_t i = 0; rc == HPS_OK && i < space->n; i++) {
        const json_t *node = json_object_get(json_array_get(root, i), "default");
        hps_value v;
        out[i] = NAN;
        if (node == NULL)
            continue;
        if (hps_value_from_json(node, &v) != 0 ||
            hps_dist_internal_of(&space->dists[i], &v, &out[i]) != 0)
            rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                                "space: the default of '%s' is not a value of its distribution",
                                space->names[i]);
    }
    json_decref(root);
    return rc;
}

hps_status hps_model_space_set(hps_model_space *m, const char *space_json, hps_errbuf *err)
{
    hps_cells space;
    hps_status rc = hps_cells_from_json(&space, space_json, err);
    if (rc != HPS_OK)
        return rc;
    double *defaults = hps_mem_calloc(space.n + 1, sizeof *defaults);
    rc = defaults != NULL ? read_defaults(&space, space_json, defaults, err)
                          : hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    if (rc != HPS_OK) {
        hps_mem_free(defaults);
        hps_cells_clear(&space);
        return rc;
    }
    hps_model_space_clear(m);
    m->space = space;
    m->defaults = defaults;
    m->set = 1;
    return HPS_OK;
}

int hps_model_space_kind(const hps_model_space *m, const hps_frozen *rec)
{
    int kind = MODEL_AS_STORED;
    for (size_t i = 0; i < m->space.n; i++) {
        const hps_param_rec *p = hps_rec_find_param(rec, m->space.names[i]);
        const hps_dist *now = &m->space.dists[i];
        if (p == NULL) {
            if (!isnan(m->defaults[i]))
                kind = MODEL_MAPPED;
            continue;
        }
        if (hps_dist_equal(&p->dist, now))
            continue;
        hps_value v = hps_dist_external(&p->dist, p->internal);
        double internal;
        if (hps_dist_internal_of(now, &v, &internal) != 0) {
            kind = MODEL_LEFT_OUT;
            break;
        }
        kind = MODEL_MAPPED;
    }
    return kind;
}

hps_frozen *hps_model_space_map(const hps_model_space *m, const hps_frozen *rec, int add_defaults)
{
    hps_frozen *copy = hps_rec_clone(rec);
    for (size_t i = 0; copy != NULL && i < m->space.n; i++) {
        const hps_dist *now = &m->space.dists[i];
        hps_param_rec *p = (hps_param_rec *)hps_rec_find_param(copy, m->space.names[i]);
        if (p == NULL) {
            if (add_defaults && !isnan(m->defaults[i]) &&
                hps_rec_add_param(copy, m->space.names[i], now, m->defaults[i]) != 0) {
                hps_rec_free(copy);
                copy = NULL;
            }
            continue;
        }
        if (hps_dist_equal(&p->dist, now))
            continue;
        hps_value v = hps_dist_external(&p->dist, p->internal);
        hps_dist was = p->dist;
        double internal = p->internal;
        hps_dist_internal_of(now, &v, &internal);
        if (hps_dist_copy(&p->dist, now) != 0) {
            p->dist = was; /* still owned by the copy, freed with it */
            hps_rec_free(copy);
            copy = NULL;
            continue;
        }
        hps_dist_clear(&was);
        p->internal = internal;
    }
    return copy;
}

int hps_model_space_view(hps_model_space *m, size_t slot, const hps_frozen *rec,
                         const hps_frozen **out)
{
    if (slot >= m->cap) {
        size_t cap_state = m->cap, cap_mapped = m->cap;
        void *state = m->state, *mapped = m->mapped;
        if (hps_mem_grow(&state, &cap_state, slot + 1, 1) != 0)
            return -1;
        m->state = state;
        if (hps_mem_grow(&mapped, &cap_mapped, slot + 1, sizeof *m->mapped) != 0)
            return -1;
        m->mapped = mapped;
        size_t cap = cap_state < cap_mapped ? cap_state : cap_mapped;
        memset(m->state + m->cap, 0, cap - m->cap);
        memset(m->mapped + m->cap, 0, (cap - m->cap) * sizeof *m->mapped);
        m->cap = cap;
    }
    if (m->state[slot] == MODEL_UNSEEN) {
        int kind = hps_model_space_kind(m, rec);
        if (kind == MODEL_MAPPED) {
            m->mapped[slot] = hps_model_space_map(m, rec, 1);
            if (m->mapped[slot] == NULL)
                return -1;
        }
        m->state[slot] = (unsigned char)kind;
    }
    *out = m->state[slot] == MODEL_AS_STORED ? rec
           : m->state[slot] == MODEL_MAPPED  ? m->mapped[slot]
                                             : NULL;
    return 0;
}
