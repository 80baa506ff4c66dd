/*
 * config_warm.c -- the `warm_start:` key: an earlier study whose finished trials a new
 * study starts with.
 *
 *   warm_start: {from: mlp-v1}
 *   warm_start: {from: mlp-v1, storage: sqlite:../old/hpsearch.db}
 *
 * Only the text is read here (a relative sqlite path resolves from the file, as
 * `storage:` does; without `storage` the config's own). Whether the study exists, and
 * what of it fits the space, is `hpsearch run`'s (run_setup.h, warm_start.h).
 */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static int read_warm_entry(cfg_ctx *ctx, const cfg_entry *e, cfg_config *cfg)
{
    char *text = NULL;
    int rc;
    if (cfg_key_is(e->key, e->len, "from")) {
        rc = cfg_get_text(ctx, e->value, e->line, "warm_start.from", &cfg->warm_from);
    } else if (cfg_key_is(e->key, e->len, "storage")) {
        rc = cfg_get_text(ctx, e->value, e->line, "warm_start.storage", &text);
        if (rc == 0)
            rc = cfg_resolve_storage(ctx, text, cfg_node_line(e->value, e->line),
                                     &cfg->warm_storage);
        free(text);
    } else {
        rc = cfg_fail(ctx, e->line, "warm_start: unknown key '%.*s' (warm_start takes from and "
                      "storage)", (int)(e->len > 40 ? 40 : e->len), e->key);
    }
    return rc;
}

int cfg_key_warm_start(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *map;
    int rc = cfg_node_mapping(ctx, v, line, key, &map);
    if (rc != 0)
        return rc;
    cfg_config *cfg = ctx->cfg;
    cfg->warm_line = line;
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, key, &e, &rc))
        rc = read_warm_entry(ctx, &e, cfg);
    if (rc == 0 && cfg->warm_from == NULL)
        rc = cfg_fail(ctx, line, "warm_start: needs from: the study to start from, e.g. "
                      "warm_start: {from: mlp-v1}");
    return rc;
}

void cfg_write_warm_start(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->warm_from == NULL)
        return;
    fprintf(out, "%s: {from: ", key);
    cfg_write_string(out, cfg->warm_from);
    if (cfg->warm_storage != NULL) {
        fputs(", storage: ", out);
        cfg_write_string(out, cfg->warm_storage);
    }
    fputs("}\n", out);
}

void cfg_release_warm_start(cfg_config *a, const cfg_config *b)
{
    if (a->warm_from != b->warm_from)
        free(a->warm_from);
    if (a->warm_storage != b->warm_storage)
        free(a->warm_storage);
}
