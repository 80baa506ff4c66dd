/* checkpoints.c -- where a study's trials keep their checkpoints, and their removal. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "cli/checkpoints.h"

#include "cli/cli.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECKPOINTS_KEY "checkpoint_dirs"

char *checkpoints_roots(hps_study *study)
{
    const char *attrs;
    if (hps_study_system_attrs(study, &attrs) != HPS_OK)
        return NULL;
    json_t *all = json_loads(attrs, 0, NULL);
    json_t *roots = json_object_get(all, CHECKPOINTS_KEY);
    char *text = json_is_array(roots) ? json_dumps(roots, JSON_COMPACT) : NULL;
    json_decref(all);
    return text;
}

int checkpoints_record(hps_study *study, const char *root)
{
    char *text = checkpoints_roots(study);
    json_t *roots = text != NULL ? json_loads(text, 0, NULL) : json_array();
    free(text);
    if (roots == NULL)
        return -1;
    size_t i;
    json_t *item;
    json_array_foreach(roots, i, item) {
        if (json_is_string(item) && strcmp(json_string_value(item), root) == 0) {
            json_decref(roots);
            return 0; /* this machine's runs recorded it already */
        }
    }
    int rc = json_array_append_new(roots, json_string(root));
    char *json = rc == 0 ? json_dumps(roots, JSON_COMPACT) : NULL;
    json_decref(roots);
    rc = json != NULL && hps_study_set_system_attr(study, CHECKPOINTS_KEY, json) == HPS_OK ? 0 : -1;
    free(json);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0)
        cli_warn("cannot remove %s: %s", path, strerror(errno));
    return 0; /* go on: remove what can be removed */
}

size_t checkpoints_remove(const char *roots_json, const char *uid)
{
    json_t *roots = roots_json != NULL ? json_loads(roots_json, 0, NULL) : NULL;
    size_t removed = 0, i;
    json_t *item;
    json_array_foreach(roots, i, item) {
        const char *root = json_string_value(item);
        const char *last = root != NULL ? strrchr(root, '/') : NULL;
        if (last == NULL || strcmp(last + 1, uid) != 0 || access(root, F_OK) != 0)
            continue;
        /* depth first, never following a link out of the directory */
        nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        if (access(root, F_OK) != 0) {
            printf("removed its checkpoints in %s\n", root);
            removed++;
        }
    }
    json_decref(roots);
    return removed;
}
