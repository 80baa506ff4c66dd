/*
 * config_set.c -- `--set key=value` overrides of a loaded config. The value goes
 * through the same key handler and checks as the file, on a copy of the config, so
 * a refused override leaves the config exactly as it was.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_set(cfg_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    cfg_ctx ctx;
    cfg_yaml y;
    memset(&ctx, 0, sizeof ctx);
    memset(&y, 0, sizeof y);
    ctx.err = err;
    ctx.errlen = errlen;
    ctx.quiet = 1;
    /* Lines of the override's text are not lines of the file. Its nodes carry none, so
     * whatever it sets (a metric, the command, a pruner) has line 0 and messages about
     * it name the file without a line, while what the file set keeps its own line. (A
     * comparison of lines after the fact cannot tell an override's line 1 from the
     * file's line 1.) */
    ctx.text_not_file = 1;
    char *quoted = NULL, *cwd = NULL;
    if (cfg == NULL)
        return cfg_fail(&ctx, 0, "no config to override");
    const cfg_key_def *def = key != NULL ? cfg_find_key(key, strlen(key)) : NULL;
    if (def == NULL || !(def->info.flags & CFG_SETTABLE)) {
        char settable[512];
        cfg_list_keys(CFG_SETTABLE, settable, sizeof settable);
        return cfg_fail(&ctx, 0, "%s: not a setting that can be overridden (these can: %s)",
                        key != NULL ? key : "(null)", settable);
    }
    if (value == NULL)
        value = "";
    cfg_config work = *cfg; /* handlers replace fields of this copy; see cfg_free_replaced */
    ctx.cfg = &work;
    int rc = cfg_cwd(&ctx, &cwd);
    if (rc != 0)
        return rc;
    ctx.base_dir = cwd;
    const char *text = value;
    if (def->info.flags & CFG_LITERAL) {
        /* one byte more than the reader takes is enough for it to say "too long" */
        size_t len = strlen(value);
        quoted = cfg_yaml_quote_n(value, len > CFG_MAX_STRING ? CFG_MAX_STRING + 1 : len);
        if (quoted == NULL) {
            rc = cfg_nomem(&ctx);
            goto out;
        }
        text = quoted;
    }
    rc = cfg_yaml_open(&ctx, text, strlen(text), &y);
    if (rc == -1 && err != NULL && errlen > 0) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", err);
        snprintf(err, errlen, "%s: %s", def->info.name, detail);
    }
    const cfg_node *root = rc == 0 ? y.root : NULL;
    if (rc == 0 && root == NULL)
        rc = cfg_fail(&ctx, 0, "%s: needs a value", def->info.name);
    if (rc == 0)
        rc = cfg_read_key(&ctx, def, root, 0);
    if (rc == 0)
        rc = cfg_finish_command(&ctx);
    if (rc == 0) {
        rc = cfg_validate(&ctx);
        if (rc == -1 && err != NULL && errlen > 0) {
            char detail[1024];
            snprintf(detail, sizeof detail, "%s", err);
            snprintf(err, errlen, "%s=%.200s: %s", def->info.name, value, detail);
        }
    }
out:
    cfg_yaml_close(&y);
    free(quoted);
    free(cwd);
    if (rc != 0) {
        cfg_free_replaced(&work, cfg);
        return rc;
    }
    cfg_free_replaced(cfg, &work);
    *cfg = work;
    return 0;
}

int cfg_set_pair(cfg_config *cfg, const char *assignment, char *err, size_t errlen)
{
    const char *eq = assignment != NULL ? strchr(assignment, '=') : NULL;
    if (eq == NULL || eq == assignment || (size_t)(eq - assignment) > 64) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "'%.100s': expected key=value", assignment != NULL ? assignment
                                                                                    : "(null)");
        return -1;
    }
    char key[65];
    memcpy(key, assignment, (size_t)(eq - assignment));
    key[eq - assignment] = '\0';
    return cfg_set(cfg, key, eq + 1, err, errlen);
}
