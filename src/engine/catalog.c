/* catalog.c -- listing the studies of a storage with a one-line summary each. */
#include "base/jsonw.h"
#include "base/mem.h"
#include "engine/study.h"

#include <math.h>

static void write_summary(hps_strbuf *sb, hps_study *study, const hps_study_info *info)
{
    size_t counts[5] = {0};
    hps_strbuf_puts(sb, "{\"name\": ");
    hps_jsonw_string(sb, info->name);
    hps_strbuf_puts(sb, ", \"directions\": [");
    for (size_t d = 0; d < info->n_directions; d++)
        hps_strbuf_printf(sb, "%s\"%s\"", d > 0 ? ", " : "",
                          info->directions[d] == HPS_MAXIMIZE ? "maximize" : "minimize");
    hps_strbuf_puts(sb, "], \"created\": ");
    hps_jsonw_double(sb, info->created);
    size_t total = 0, n_paused = 0;
    if (hps_study_count_states(study, counts) == HPS_OK &&
        hps_study_count_paused(study, &n_paused) == HPS_OK)
        for (int s = 0; s < 5; s++)
            total += counts[s];
    total += n_paused;
    hps_strbuf_printf(sb, ", \"n_trials\": %zu, \"n_complete\": %zu, \"n_running\": %zu, "
                          "\"n_pruned\": %zu, \"n_fail\": %zu, \"n_waiting\": %zu, "
                          "\"n_paused\": %zu, \"best_value\": ",
                      total, counts[HPS_COMPLETE], counts[HPS_RUNNING], counts[HPS_PRUNED],
                      counts[HPS_FAIL], counts[HPS_WAITING], n_paused);
    const hps_frozen *best = NULL;
    if (info->n_directions == 1 && hps_study_best_trial(study, &best) == HPS_OK &&
        isfinite(hps_frozen_value(best, 0)))
        hps_jsonw_double(sb, hps_frozen_value(best, 0));
    else
        hps_strbuf_puts(sb, "null");
    hps_strbuf_putc(sb, '}');
}

hps_status hps_storage_list_studies(const char *storage_url, char **json_out, char *errbuf,
                                    size_t errlen)
{
    hps_errbuf err;
    hps_storage *storage = NULL;
    hps_study_info *infos = NULL;
    size_t n = 0;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    *json_out = NULL;
    hps_status rc = hps_storage_open(storage_url, HPS_STORAGE_EXISTING, &storage, &err);
    if (rc != HPS_OK)
        goto out;
    rc = storage->ops->list_studies(storage, &infos, &n);
    if (rc != HPS_OK) {
        hps_errbuf_set(&err, rc, "%s", hps_errbuf_text(&storage->err));
        goto out;
    }
    hps_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < n; i++) {
        hps_study *study = NULL;
        char msg[HPS_ERRBUF_SIZE];
        rc = hps_study_open(storage_url, infos[i].name, HPS_OPEN_LOAD, NULL, 0, &study, msg,
                            sizeof msg);
        if (rc == HPS_ERR_NOTFOUND) { /* deleted meanwhile */
            rc = HPS_OK;
            continue;
        }
        if (rc != HPS_OK) {
            hps_errbuf_set(&err, rc, "%s", msg);
            goto out;
        }
        if (sb.len > 1)
            hps_strbuf_puts(&sb, ", ");
        write_summary(&sb, study, &infos[i]);
        hps_study_close(study);
    }
    hps_strbuf_putc(&sb, ']');
    *json_out = hps_strbuf_take(&sb);
    if (*json_out == NULL)
        rc = hps_errbuf_set(&err, HPS_ERR_NOMEM, "out of memory");
out:
    for (size_t i = 0; i < n; i++)
        hps_study_info_clear(&infos[i]);
    hps_mem_free(infos);
    hps_strbuf_free(&sb);
    hps_storage_close(storage);
    if (rc != HPS_OK)
        hps_errbuf_copy_out(hps_errbuf_text(&err), errbuf, errlen);
    return rc;
}
