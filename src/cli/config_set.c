/*
 * config_set.c -- `--set key=value` overrides of a loaded config. The value goes
 * through the same key handler and checks as the file, on a copy of the config, so
 * a refused override leaves the config exactly as it was.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Metrics an override replaced carry lines of the override's text, not of the file:
 * messages leave them out. Those copied from the file (an override of `direction` copies
 * the metric) keep their line. */
static void forget_override_lines(cfg_metric *now, size_t n_now, const cfg_metric *was,
                                  size_t n_was)
{
    if (now == was)
        return;
    for (size_t k = 0; k < n_now; k++)
        if (k >= n_was || now[k].line != was[k].line)
            now[k].line = 0;
}

int cfg_set(cfg_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    cfg_ctx ctx;
    cfg_yaml y;
    memset(&ctx, 0, sizeof ctx);
    memset(&y, 0, sizeof y);
    ctx.err = err;
    ctx.errlen = errlen;
    ctx.quiet = 1;
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
    /* lines of the override's text are not lines of the file: messages leave them out */
    if (rc == 0 && work.command_line != cfg->command_line)
        work.command_line = 0;
    for (cfg_pruner *p = work.pruner != cfg->pruner ? work.pruner : NULL; p != NULL; p = p->wrapped)
        p->line = 0;
    forget_override_lines(work.objectives, work.n_objectives, cfg->objectives, cfg->n_objectives);
    forget_override_lines(work.constraints, work.n_constraints, cfg->constraints,
                          cfg->n_constraints);
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
