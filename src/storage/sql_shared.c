/* sql_shared.c -- pieces the SQL backends share (see sql_shared.h). */
#include "storage/sql_shared.h"

#include "base/mem.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

char *hps_sql_directions_text(const hps_direction *dirs, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (json_array_append_new(arr, json_string(dirs[i] == HPS_MAXIMIZE ? "maximize"
                                                                           : "minimize")) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    char *text = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return text;
}

hps_status hps_sql_parse_directions(const char *text, hps_direction **out, size_t *n_out)
{
    json_t *arr = json_loads(text != NULL ? text : "", 0, NULL);
    size_t n = json_array_size(arr);
    hps_status rc = HPS_ERR_CORRUPT;
    if (arr == NULL || !json_is_array(arr) || n == 0)
        goto out;
    hps_direction *dirs = hps_mem_realloc_array(NULL, n, sizeof *dirs);
    if (dirs == NULL) {
        rc = HPS_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(arr, i));
        if (d == NULL || (strcmp(d, "maximize") != 0 && strcmp(d, "minimize") != 0)) {
            hps_mem_free(dirs);
            goto out;
        }
        dirs[i] = strcmp(d, "maximize") == 0 ? HPS_MAXIMIZE : HPS_MINIMIZE;
    }
    *out = dirs;
    *n_out = n;
    rc = HPS_OK;
out:
    json_decref(arr);
    return rc;
}

hps_status hps_sql_read_directions(const char *text, hps_study_info *info, const char *kind,
                                   const char *storage, hps_errbuf *err)
{
    hps_status rc = hps_sql_parse_directions(text, &info->directions, &info->n_directions);
    if (rc == HPS_ERR_NOMEM)
        return hps_errbuf_set(err, rc, "out of memory");
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s %s: study '%s' has malformed stored directions", kind,
                              storage, info->name);
    return HPS_OK;
}

void hps_dist_memo_clear(hps_dist_memo *memo)
{
    hps_mem_free(memo->text);
    hps_dist_clear(&memo->dist);
    memo->text = NULL;
    memo->valid = 0;
}

hps_status hps_dist_memo_parse(hps_dist_memo *memo, const char *param, const char *text,
                               const char *kind, const char *storage, hps_errbuf *err)
{
    if (memo->valid && strcmp(memo->text, text) == 0)
        return HPS_OK;
    hps_dist_memo_clear(memo);
    json_t *node = json_loads(text, 0, NULL);
    if (node == NULL)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT, "%s %s: parameter '%s': malformed "
                              "distribution", kind, storage, param);
    /* A buffer of its own: err cannot be both the message and what it is formatted from. */
    hps_errbuf why;
    hps_errbuf_clear(&why);
    hps_status rc = hps_dist_from_json_node(&memo->dist, param, node, &why);
    json_decref(node);
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s %s: %s", kind, storage, hps_errbuf_text(&why));
    memo->text = hps_mem_strdup(text);
    if (memo->text == NULL) {
        hps_dist_clear(&memo->dist);
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    }
    memo->valid = 1;
    return HPS_OK;
}

void hps_rec_list_free(hps_rec_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        hps_rec_free(list->items[i]);
    hps_mem_free(list->items);
}

hps_frozen *hps_rec_list_advance_to(hps_rec_list *list, size_t *cursor, int64_t id)
{
    while (*cursor < list->n && list->items[*cursor]->id < id)
        (*cursor)++;
    if (*cursor < list->n && list->items[*cursor]->id == id)
        return list->items[*cursor];
    return NULL;
}

hps_status hps_inter_acc_flush(hps_inter_acc *acc)
{
    hps_frozen *rec = acc->rec;
    acc->rec = NULL;
    if (rec != NULL && hps_rec_add_intermediate_values(rec, acc->step, acc->values, acc->n) < 0)
        return HPS_ERR_NOMEM;
    return HPS_OK;
}

hps_status hps_inter_acc_row(hps_inter_acc *acc, hps_frozen *rec, int64_t step, double first,
                             int64_t objective, double value)
{
    if (objective < 0 || objective >= HPS_REC_MAX_INTER_VALUES)
        return HPS_ERR_CORRUPT;
    if (acc->rec != rec || acc->step != step) {
        hps_status rc = hps_inter_acc_flush(acc);
        if (rc != HPS_OK)
            return rc;
        acc->rec = rec;
        acc->step = step;
        acc->values[0] = first;
        acc->n = 1;
    }
    /* a gap in the objectives (a damaged row set) reads as NaN, not as garbage */
    while (acc->n <= (size_t)objective)
        acc->values[acc->n++] = NAN;
    if (objective > 0)
        acc->values[objective] = value;
    return HPS_OK;
}
