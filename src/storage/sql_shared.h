/* sql_shared.h -- pieces the SQL backends (SQLite, PostgreSQL) share: how a study's
 * directions are stored as text, a parse cache for distribution JSON, and the sorted
 * list of trial records a sync fills.
 *
 * Private to src/storage; the backends differ in how they talk to their database, not
 * in what a stored row means. */
#ifndef HPS_SQL_SHARED_H
#define HPS_SQL_SHARED_H

#include "base/errbuf.h"
#include "base/trial_rec.h"
#include "storage/storage.h"

#include <stdint.h>

/* ["minimize","maximize",...] as compact JSON; NULL when out of memory. */
char *hps_sql_directions_text(const hps_direction *dirs, size_t n);
/* The reverse: HPS_ERR_CORRUPT unless the text is a non-empty array of those two words,
 * HPS_ERR_NOMEM when out of memory. Sets no message. */
hps_status hps_sql_parse_directions(const char *text, hps_direction **out, size_t *n_out);

/* Fills info->directions from their stored text, with a message on failure naming the
 * storage and the study (info->name, already set). */
hps_status hps_sql_read_directions(const char *text, hps_study_info *info, const char *kind,
                                   const char *storage, hps_errbuf *err);

/* Parses distribution JSON, reusing the last parse when the text repeats (a parameter
 * has the same distribution in every trial, so a sync of 100 000 trials parses each
 * distinct distribution about once). */
typedef struct hps_dist_memo {
    char *text;
    hps_dist dist;
    int valid;
} hps_dist_memo;

void hps_dist_memo_clear(hps_dist_memo *memo);
/* `param` is the parameter the text belongs to. On failure sets err to
 * HPS_ERR_CORRUPT (or HPS_ERR_NOMEM) naming the storage and the parameter:
 * "sqlite /path/to.db: parameter 'lr': malformed distribution". */
hps_status hps_dist_memo_parse(hps_dist_memo *memo, const char *param, const char *text,
                               const char *kind, const char *storage, hps_errbuf *err);

/* Trial records sorted by id, owned by the list. */
typedef struct hps_rec_list {
    hps_frozen **items;
    size_t n, cap;
} hps_rec_list;

void hps_rec_list_free(hps_rec_list *list);
/* The record with trial id `id` at or after *cursor, moving the cursor forward; NULL
 * if there is none. Walking ids in ascending order visits the list once. */
hps_frozen *hps_rec_list_advance_to(hps_rec_list *list, size_t *cursor, int64_t id);

/* Gathers a step's intermediate values from the rows of a sync query that joins the
 * first objective's table with the other objectives' (one row per objective after the
 * first, or one row with none), ordered by trial, step and objective. */
typedef struct hps_inter_acc {
    hps_frozen *rec; /* NULL: nothing gathered */
    int64_t step;
    double values[HPS_REC_MAX_INTER_VALUES];
    size_t n;
} hps_inter_acc;

/* One row: the step's first value, and objective `objective` (>= 1; 0 when the row has
 * none) with its value. A row of another trial or step first adds what was gathered.
 * HPS_ERR_CORRUPT for an objective past HPS_REC_MAX_INTER_VALUES, HPS_ERR_NOMEM. */
hps_status hps_inter_acc_row(hps_inter_acc *acc, hps_frozen *rec, int64_t step, double first,
                             int64_t objective, double value);
/* Adds what was gathered to its record (after the last row). */
hps_status hps_inter_acc_flush(hps_inter_acc *acc);

#endif
