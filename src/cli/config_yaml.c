/*
 * config_yaml.c -- typed, located access to the document's nodes (config_doc.c) for
 * the config reader: messages with FILE:LINE, YAML 1.2 core-schema scalars, durations,
 * value helpers.
 */
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ----------------------------------------------------------------------- */

static void cfg_vformat(const cfg_ctx *ctx, int line, char *buf, size_t len, const char *fmt,
                        va_list ap) CFG_PRINTF(5, 0);

static void cfg_vformat(const cfg_ctx *ctx, int line, char *buf, size_t len, const char *fmt,
                        va_list ap)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (ctx->file != NULL) {
        int n = line > 0 ? snprintf(buf, len, "%s:%d: ", ctx->file, line)
                         : snprintf(buf, len, "%s: ", ctx->file);
        if (n < 0)
            n = 0;
        used = (size_t)n < len ? (size_t)n : len - 1;
    }
    vsnprintf(buf + used, len - used, fmt, ap);
}

int cfg_fail(cfg_ctx *ctx, int line, const char *fmt, ...)
{
    if (ctx->err != NULL && ctx->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        cfg_vformat(ctx, line, ctx->err, ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int cfg_nomem(cfg_ctx *ctx)
{
    if (ctx->err != NULL && ctx->errlen > 0)
        snprintf(ctx->err, ctx->errlen, "out of memory");
    return -2;
}

int cfg_warn(cfg_ctx *ctx, int line, const char *fmt, ...)
{
    cfg_config *cfg = ctx->cfg;
    if (ctx->quiet)
        return 0;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    cfg_vformat(ctx, line, buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *copy = strdup(buf);
    if (copy == NULL)
        return cfg_nomem(ctx);
    if (cfg->n_warnings >= SIZE_MAX / sizeof *cfg->warnings - 1) {
        free(copy);
        return cfg_nomem(ctx);
    }
    char **grown = realloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof *grown);
    if (grown == NULL) {
        free(copy);
        return cfg_nomem(ctx);
    }
    cfg->warnings = grown;
    cfg->warnings[cfg->n_warnings++] = copy;
    return 0;
}

/* ---- nodes -------------------------------------------------------------------------- */

int cfg_node_line(const cfg_node *node, int fallback)
{
    return node != NULL && node->line > 0 ? node->line : fallback;
}

#define CFG_CORE_TAG "tag:yaml.org,2002:"

/* The core-schema type a tag forces: 's' str, 'i' int, 'f' float, 'b' bool, 'n' null,
 * 'm' map, 'q' seq, '-' none/non-specific, 0 unsupported. */
static char cfg_tag_kind(const cfg_node *node)
{
    const char *tag = node->tag;
    if (tag == NULL || tag[0] == '\0')
        return '-';
    if (strcmp(tag, "!") == 0)
        return 's'; /* the non-specific tag "!" makes a scalar a string */
    size_t prefix = strlen(CFG_CORE_TAG);
    if (strncmp(tag, CFG_CORE_TAG, prefix) != 0)
        return 0;
    static const struct { const char *name; char kind; } known[] = {
        {"str", 's'}, {"int", 'i'}, {"float", 'f'}, {"bool", 'b'},
        {"null", 'n'}, {"map", 'm'}, {"seq", 'q'},
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strcmp(tag + prefix, known[k].name) == 0)
            return known[k].kind;
    return 0;
}

/* The node an alias stands for; an unknown or cyclic alias is an error naming `key`. */
static int cfg_follow_alias(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                            const cfg_node **out)
{
    *out = node;
    if (node == NULL || node->kind != CFG_NODE_ALIAS)
        return 0;
    int len = (int)(node->len > 64 ? 64 : node->len);
    if (node->cyclic)
        return cfg_fail(ctx, line, "%s: the alias '*%.*s' is inside the node it names (a "
                        "structure cannot contain itself)", key, len, node->text);
    if (node->target == NULL)
        return cfg_fail(ctx, line, "%s: unknown alias '*%.*s'", key, len, node->text);
    *out = node->target; /* an anchored node is never an alias itself */
    return 0;
}

int cfg_node_deref(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   const cfg_node **out)
{
    *out = NULL;
    int rc = cfg_follow_alias(ctx, node, line, key, &node);
    if (rc != 0)
        return rc;
    if (node == NULL)
        return cfg_fail(ctx, line, "%s: needs a value", key);
    if (cfg_tag_kind(node) == 0)
        return cfg_fail(ctx, line, "%s: the YAML tag '%.64s' is not supported", key, node->tag);
    *out = node;
    return 0;
}

int cfg_key_is(const char *text, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(text, want, len) == 0;
}

int cfg_key_text(cfg_ctx *ctx, const cfg_node *key, int line, const char *where,
                 const char **text, size_t *len)
{
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, key, line, where, &node);
    if (rc != 0)
        return rc;
    if (node->kind != CFG_NODE_SCALAR)
        return cfg_fail(ctx, line, "%s: keys must be plain names, not lists or mappings", where);
    *text = node->text;
    *len = node->len;
    if (cfg_key_is(*text, *len, "<<") && node->style == 0)
        return cfg_fail(ctx, line, "%s: YAML merge keys (<<) are not supported; write the keys "
                        "out", where);
    if (*len == 0)
        return cfg_fail(ctx, line, "%s: empty key", where);
    if (*len > CFG_MAX_STRING)
        return cfg_fail(ctx, line, "%s: key too long (%zu bytes; at most %u)", where, *len,
                        CFG_MAX_STRING);
    if (memchr(*text, '\0', *len) != NULL)
        return cfg_fail(ctx, line, "%s: key contains a NUL character", where);
    return 0;
}

int cfg_map_next(cfg_ctx *ctx, const cfg_node *map, const cfg_node **iter, int line,
                 const char *where, cfg_entry *e, int *rc)
{
    const cfg_node *key = *iter == NULL ? map->first : (*iter)->next;
    if (key == NULL || key->next == NULL)
        return 0;
    *iter = key->next;
    e->line = cfg_node_line(key, line);
    e->value = key->next;
    int bad = cfg_key_text(ctx, key, e->line, where, &e->key, &e->len);
    if (bad != 0) {
        *rc = bad;
        return 0;
    }
    return 1;
}

const cfg_node *cfg_map_lookup(const cfg_node *map, const char *key)
{
    for (const cfg_node *k = map->first; k != NULL && k->next != NULL; k = k->next->next) {
        const cfg_node *text = k->kind == CFG_NODE_ALIAS ? k->target : k;
        if (text != NULL && text->kind == CFG_NODE_SCALAR && cfg_key_is(text->text, text->len, key))
            return k->next;
    }
    return NULL;
}

static const char *cfg_node_kind_name(const cfg_node *node)
{
    if (node->kind == CFG_NODE_MAPPING)
        return "a mapping";
    if (node->kind == CFG_NODE_SEQUENCE)
        return "a list";
    return "a single value";
}

int cfg_node_mapping(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                     const cfg_node **out)
{
    int rc = cfg_node_deref(ctx, node, line, key, out);
    if (rc != 0)
        return rc;
    if ((*out)->kind != CFG_NODE_MAPPING)
        return cfg_fail(ctx, line, "%s: must be a mapping (key: value lines), not %s", key,
                        cfg_node_kind_name(*out));
    return 0;
}

int cfg_node_sequence(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                      const cfg_node **out)
{
    int rc = cfg_node_deref(ctx, node, line, key, out);
    if (rc != 0)
        return rc;
    if ((*out)->kind != CFG_NODE_SEQUENCE)
        return cfg_fail(ctx, line, "%s: must be a list, not %s", key, cfg_node_kind_name(*out));
    return 0;
}

/* ---- YAML 1.2 core schema ----------------------------------------------------------- */

static int cfg_is_digits(const char *s, size_t len, int (*is_digit)(int))
{
    if (len == 0)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (!is_digit((unsigned char)s[k]))
            return 0;
    return 1;
}

static int cfg_is_octal_digit(int c)
{
    return c >= '0' && c <= '7';
}

static int cfg_is_dec_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* 1 if text is a core-schema int and fits int64; -1 if it is one but overflows; 0 if not. */
static int cfg_parse_core_int(const char *s, size_t len, int64_t *out)
{
    char buf[80];
    int base = 10;
    size_t skip = 0;
    if (len > 2 && s[0] == '0' && s[1] == 'x' && cfg_is_digits(s + 2, len - 2, isxdigit)) {
        base = 16;
        skip = 2;
    } else if (len > 2 && s[0] == '0' && s[1] == 'o' &&
               cfg_is_digits(s + 2, len - 2, cfg_is_octal_digit)) {
        base = 8;
        skip = 2;
    } else {
        size_t sign = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
        if (!cfg_is_digits(s + sign, len - sign, cfg_is_dec_digit))
            return 0;
    }
    if (len - skip >= sizeof buf)
        return -1;
    memcpy(buf, s + skip, len - skip);
    buf[len - skip] = '\0';
    errno = 0;
    char *end = NULL;
    if (base == 10) {
        long long v = strtoll(buf, &end, 10);
        if (errno == ERANGE)
            return -1;
        *out = (int64_t)v;
    } else {
        unsigned long long v = strtoull(buf, &end, base);
        if (errno == ERANGE || v > (unsigned long long)INT64_MAX)
            return -1;
        *out = (int64_t)v;
    }
    return 1;
}

static int cfg_is_one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words != NULL; words++)
        if (cfg_key_is(s, len, *words))
            return 1;
    return 0;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?  or .inf / .nan */
static int cfg_parse_core_float(const char *s, size_t len, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
    size_t k = 0;
    int negative = 0;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        k = 1;
    }
    if (cfg_is_one_of(s + k, len - k, inf)) {
        *out = negative ? -HUGE_VAL : HUGE_VAL;
        return 1;
    }
    if (cfg_is_one_of(s, len, nan_words)) {
        *out = NAN;
        return 1;
    }
    size_t int_digits = 0, frac_digits = 0;
    while (k < len && cfg_is_dec_digit((unsigned char)s[k])) {
        k++;
        int_digits++;
    }
    if (k < len && s[k] == '.') {
        k++;
        while (k < len && cfg_is_dec_digit((unsigned char)s[k])) {
            k++;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0)
        return 0;
    if (k < len && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < len && (s[k] == '-' || s[k] == '+'))
            k++;
        size_t exp_digits = 0;
        while (k < len && cfg_is_dec_digit((unsigned char)s[k])) {
            k++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return 0;
    }
    if (k != len || len >= 400)
        return 0;
    char buf[400];
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL); /* overflow gives +-HUGE_VAL, caught by range checks later */
    return 1;
}

static int cfg_parse_core_bool(const char *s, size_t len, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    if (cfg_is_one_of(s, len, yes)) {
        *out = 1;
        return 1;
    }
    if (cfg_is_one_of(s, len, no)) {
        *out = 0;
        return 1;
    }
    return 0;
}

static int cfg_is_core_null(const char *s, size_t len)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    return len == 0 || cfg_is_one_of(s, len, nulls);
}

int cfg_get_scalar(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   cfg_scalar *out)
{
    memset(out, 0, sizeof *out);
    out->line = cfg_node_line(node, line);
    const cfg_node *target;
    int rc = cfg_node_deref(ctx, node, out->line, key, &target);
    if (rc != 0)
        return rc;
    if (target->kind != CFG_NODE_SCALAR)
        return cfg_fail(ctx, out->line, "%s: must be a single value, not %s", key,
                        cfg_node_kind_name(target));
    size_t len = target->len;
    const char *text = target->text;
    if (len > CFG_MAX_STRING)
        return cfg_fail(ctx, out->line, "%s: text too long (%zu bytes; at most %u)", key, len,
                        CFG_MAX_STRING);
    if (memchr(text, '\0', len) != NULL)
        return cfg_fail(ctx, out->line, "%s: text contains a NUL character", key);
    out->text = text;
    out->len = len;

    char tag = cfg_tag_kind(target);
    if (tag == 'm' || tag == 'q')
        return cfg_fail(ctx, out->line, "%s: a single value cannot carry the tag !!%s", key,
                        tag == 'm' ? "map" : "seq");
    int plain = target->style == 0;
    if (tag == 's' || (tag == '-' && !plain)) {
        out->type = HPS_VALUE_STRING; /* quoted and block scalars are always text */
        return 0;
    }
    int is_int = 0;
    if (tag == '-' || tag == 'n') {
        if (cfg_is_core_null(text, len)) {
            out->type = HPS_VALUE_NONE;
            return 0;
        }
        if (tag == 'n')
            return cfg_fail(ctx, out->line, "%s: '%.*s' is not a null", key, (int)len, text);
    }
    if (tag == '-' || tag == 'b') {
        if (cfg_parse_core_bool(text, len, &out->b)) {
            out->type = HPS_VALUE_BOOL;
            return 0;
        }
        if (tag == 'b')
            return cfg_fail(ctx, out->line, "%s: '%.*s' is not true or false", key, (int)len,
                            text);
    }
    if (tag == '-' || tag == 'i' || tag == 'f') {
        is_int = cfg_parse_core_int(text, len, &out->i);
        if (is_int < 0)
            return cfg_fail(ctx, out->line, "%s: the integer %.*s is out of range", key,
                            (int)(len > 40 ? 40 : len), text);
        if (is_int && tag != 'f') {
            out->type = HPS_VALUE_INT;
            return 0;
        }
        if (is_int) { /* !!float 3 */
            out->type = HPS_VALUE_FLOAT;
            out->f = (double)out->i;
            return 0;
        }
        if (tag != 'i' && cfg_parse_core_float(text, len, &out->f)) {
            out->type = HPS_VALUE_FLOAT;
            return 0;
        }
        if (tag != '-')
            return cfg_fail(ctx, out->line, "%s: '%.*s' is not a%s", key,
                            (int)(len > 40 ? 40 : len), text,
                            tag == 'i' ? "n integer" : " number");
    }
    out->type = HPS_VALUE_STRING;
    return 0;
}

void cfg_scalar_describe(const cfg_scalar *s, char *buf, size_t len)
{
    if (s->type == HPS_VALUE_NONE)
        snprintf(buf, len, "null");
    else if (s->type == HPS_VALUE_STRING)
        snprintf(buf, len, "'%.*s%s'", (int)(s->len > 40 ? 40 : s->len), s->text,
                 s->len > 40 ? "..." : "");
    else
        snprintf(buf, len, "%.*s", (int)(s->len > 40 ? 40 : s->len), s->text);
}

int cfg_get_text(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, char **out)
{
    cfg_scalar s;
    *out = NULL;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_NONE || s.len == 0)
        return cfg_fail(ctx, s.line, "%s: needs a value", key);
    return cfg_strndup(ctx, s.text, s.len, out);
}

int cfg_get_number(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   double *out, int *is_int)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_INT || s.type == HPS_VALUE_FLOAT) {
        *out = s.type == HPS_VALUE_INT ? (double)s.i : s.f;
        if (is_int != NULL)
            *is_int = s.type == HPS_VALUE_INT;
        return 0;
    }
    if (s.type == HPS_VALUE_NONE)
        return cfg_fail(ctx, s.line, "%s: needs a number", key);
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line, "%s: must be a number, not %s%s", key,
                    s.type == HPS_VALUE_STRING ? "the text " : "", what);
}

int cfg_get_int(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, int64_t min,
                int64_t max, int64_t *out)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type != HPS_VALUE_INT) {
        char what[64];
        cfg_scalar_describe(&s, what, sizeof what);
        return cfg_fail(ctx, s.line, "%s: must be a whole number, not %s", key, what);
    }
    if (s.i < min) {
        if (min == 0)
            return cfg_fail(ctx, s.line, "%s: must not be negative (got %" PRId64 ")", key, s.i);
        return cfg_fail(ctx, s.line, "%s: must be at least %" PRId64 " (got %" PRId64 ")", key,
                        min, s.i);
    }
    if (s.i > max)
        return cfg_fail(ctx, s.line, "%s: must be at most %" PRId64 " (got %" PRId64 ")", key,
                        max, s.i);
    *out = s.i;
    return 0;
}

int cfg_get_bool(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, int *out)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type != HPS_VALUE_BOOL) {
        char what[64];
        cfg_scalar_describe(&s, what, sizeof what);
        return cfg_fail(ctx, s.line, "%s: must be true or false, not %s", key, what);
    }
    *out = s.b;
    return 0;
}

/* A century: anything longer is a typo, and it keeps the arithmetic far from overflow. */
#define CFG_MAX_DURATION (100.0 * 365.0 * 86400.0)

int cfg_parse_duration(const char *text, double *out)
{
    static const struct { const char *unit; double seconds; } units[] = {
        /* longer spellings first so "ms" and "min" are not read as "m" */
        {"ms", 0.001}, {"min", 60.0}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"d", 86400.0},
    };
    const char *p = text;
    double total = 0.0;
    int parts = 0;
    while (*p == ' ')
        p++;
    while (*p != '\0') {
        const char *start = p;
        int dots = 0;
        while (cfg_is_dec_digit((unsigned char)*p) || (*p == '.' && dots++ == 0))
            p++;
        if (p == start || (p - start == 1 && *start == '.'))
            return -1;
        double number = strtod(start, NULL);
        while (*p == ' ')
            p++;
        double scale = 0.0;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
            size_t ulen = strlen(units[k].unit);
            if (strncmp(p, units[k].unit, ulen) == 0 && !isalpha((unsigned char)p[ulen])) {
                scale = units[k].seconds;
                p += ulen;
                break;
            }
        }
        if (scale == 0.0) {
            if (*p != '\0' || parts > 0)
                return -1; /* a bare number is seconds, but only on its own */
            scale = 1.0;
        }
        total += number * scale;
        parts++;
        while (*p == ' ')
            p++;
    }
    if (parts == 0 || !isfinite(total) || total > CFG_MAX_DURATION)
        return -1;
    *out = total;
    return 0;
}

int cfg_get_duration(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                     double *out)
{
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, node, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_INT || s.type == HPS_VALUE_FLOAT) {
        double v = s.type == HPS_VALUE_INT ? (double)s.i : s.f;
        if (!(v >= 0.0))
            return cfg_fail(ctx, s.line, "%s: must not be negative", key);
        if (v > CFG_MAX_DURATION)
            return cfg_fail(ctx, s.line, "%s: %.*s seconds is more than a century", key,
                            (int)s.len, s.text);
        *out = v;
        return 0;
    }
    char buf[CFG_MAX_STRING + 1];
    if (s.type == HPS_VALUE_STRING) {
        memcpy(buf, s.text, s.len);
        buf[s.len] = '\0';
        if (cfg_parse_duration(buf, out) == 0)
            return 0;
    }
    char what[64];
    cfg_scalar_describe(&s, what, sizeof what);
    return cfg_fail(ctx, s.line,
                    "%s: cannot read %s as a duration (give seconds, or e.g. \"90m\", \"2h\", "
                    "\"30s\", \"1h30m\")",
                    key, what);
}

/* ---- owned copies ------------------------------------------------------------------- */

int cfg_strndup(cfg_ctx *ctx, const char *text, size_t len, char **out)
{
    *out = NULL;
    if (len > CFG_MAX_TOTAL_BYTES || ctx->total_bytes + len + 1 > CFG_MAX_TOTAL_BYTES)
        return cfg_fail(ctx, 0, "the configuration expands to more than %u bytes of text "
                        "(through aliases?)", CFG_MAX_TOTAL_BYTES);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return cfg_nomem(ctx);
    memcpy(copy, text, len);
    copy[len] = '\0';
    ctx->total_bytes += len + 1;
    *out = copy;
    return 0;
}

/* One line of flow YAML being written, at most CFG_MAX_STRING bytes: every node writes
 * at least one byte, so aliases cannot make the work grow past the cap either. */
typedef struct flow_text {
    char buf[CFG_MAX_STRING + 1];
    size_t used;
    int full;
} flow_text;

static void flow_put(flow_text *out, const char *text, size_t len)
{
    if (out->full || len > CFG_MAX_STRING - out->used) {
        out->full = 1;
        return;
    }
    memcpy(out->buf + out->used, text, len);
    out->used += len;
}

static void flow_puts(flow_text *out, const char *text)
{
    flow_put(out, text, strlen(text));
}

/* Whether a plain scalar reads the same written plain inside a flow collection. Its text
 * fitted where it was (a block, say); in flow the flow indicators, line breaks (from
 * folding) and an indicator at the start mean something else (libyaml reads a leading
 * '?' in flow as a key indicator even before a letter). Quoting is always safe for the
 * rest: a plain scalar holding any of these was text, not a number. */
static int flow_plain_ok(const cfg_node *node)
{
    const char *t = node->text;
    size_t len = node->len;
    if (node->style != 0 || len == 0 || strchr("?:,[]{}#&*!|>'\"%@` ", t[0]) != NULL ||
        t[len - 1] == ' ')
        return 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)t[k];
        if (c < 0x20 || c == 0x7f || strchr(",[]{}", c) != NULL ||
            (c == ':' && (k + 1 == len || t[k + 1] == ' ')) || (c == '#' && t[k - 1] == ' '))
            return 0;
    }
    return 1;
}

static void flow_scalar(flow_text *out, const cfg_node *node)
{
    if (node->len == 0 && node->style == 0 && node->tag == NULL) {
        flow_puts(out, "null"); /* an empty plain scalar is a null */
        return;
    }
    if (flow_plain_ok(node)) {
        flow_put(out, node->text, node->len);
        return;
    }
    int single = node->style == '\'' || node->style == '>';
    for (size_t k = 0; k < node->len && single; k++)
        single = (unsigned char)node->text[k] >= 0x20 && node->text[k] != 0x7f;
    flow_puts(out, single ? "'" : "\"");
    for (size_t k = 0; k < node->len; k++) {
        unsigned char c = (unsigned char)node->text[k];
        char esc[8];
        if (single && c == '\'')
            flow_puts(out, "''");
        else if (single)
            flow_put(out, (const char *)&node->text[k], 1);
        else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            flow_put(out, esc, 2);
        } else if (c == '\n')
            flow_puts(out, "\\n");
        else if (c == '\t')
            flow_puts(out, "\\t");
        else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            flow_puts(out, esc);
        } else
            flow_put(out, (const char *)&node->text[k], 1);
    }
    flow_puts(out, single ? "'" : "\"");
}

/* A tag as the file can say it again: core tags in their short form (!!str), any other
 * verbatim (!<...>) with the bytes that could end or bend it percent-escaped, as YAML
 * reads them back. */
static void flow_tag(flow_text *out, const char *tag)
{
    size_t prefix = strlen(CFG_CORE_TAG);
    const char *suffix = tag + prefix;
    int core = strncmp(tag, CFG_CORE_TAG, prefix) == 0 && suffix[0] != '\0';
    for (const char *c = suffix; core && *c != '\0'; c++)
        core = isalnum((unsigned char)*c);
    if (core) {
        flow_puts(out, "!!");
        flow_puts(out, suffix);
        flow_puts(out, " ");
        return;
    }
    flow_puts(out, "!<");
    for (const unsigned char *c = (const unsigned char *)tag; *c != '\0'; c++) {
        char escaped[4];
        if (isalnum(*c) || (*c != '\0' && strchr("-_;/?:@&=+$.!~*'()", *c) != NULL)) {
            flow_put(out, (const char *)c, 1);
        } else {
            snprintf(escaped, sizeof escaped, "%%%02X", *c);
            flow_puts(out, escaped);
        }
    }
    flow_puts(out, "> ");
}

static int flow_node(cfg_ctx *ctx, flow_text *out, const cfg_node *node, int line,
                     const char *key)
{
    int rc = cfg_follow_alias(ctx, node, cfg_node_line(node, line), key, &node);
    if (rc != 0 || out->full)
        return rc;
    if (node->tag != NULL)
        flow_tag(out, node->tag);
    if (node->kind == CFG_NODE_SCALAR) {
        flow_scalar(out, node);
        return 0;
    }
    int mapping = node->kind == CFG_NODE_MAPPING;
    flow_puts(out, mapping ? "{" : "[");
    size_t k = 0;
    for (const cfg_node *item = node->first; item != NULL && rc == 0; item = item->next, k++) {
        if (k > 0)
            flow_puts(out, mapping && k % 2 == 1 ? ": " : ", ");
        rc = flow_node(ctx, out, item, line, key);
    }
    flow_puts(out, mapping ? "}" : "]");
    return rc;
}

int cfg_node_flow_text(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                       char **out)
{
    *out = NULL;
    const cfg_node *target;
    int rc = cfg_node_deref(ctx, node, line, key, &target);
    if (rc != 0)
        return rc;
    if (target->kind == CFG_NODE_SCALAR)
        return cfg_get_text(ctx, target, line, key, out);
    flow_text *text = malloc(sizeof *text);
    if (text == NULL)
        return cfg_nomem(ctx);
    text->used = 0;
    text->full = 0;
    rc = flow_node(ctx, text, target, line, key);
    if (rc == 0 && text->full)
        rc = cfg_fail(ctx, line, "%s: text too long (more than %u bytes as one line)", key,
                      CFG_MAX_STRING);
    if (rc == 0)
        rc = cfg_strndup(ctx, text->buf, text->used, out);
    free(text);
    return rc;
}

/* ---- values ------------------------------------------------------------------------- */

void cfg_value_clear(hps_value *value)
{
    if (value->type == HPS_VALUE_STRING)
        free((void *)value->u.s);
    memset(value, 0, sizeof *value);
}

int cfg_value_compare(const hps_value *a, const hps_value *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case HPS_VALUE_STRING:
        return strcmp(a->u.s, b->u.s);
    case HPS_VALUE_INT:
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    case HPS_VALUE_FLOAT: {
        int a_nan = isnan(a->u.f) != 0, b_nan = isnan(b->u.f) != 0;
        if (a_nan || b_nan) /* NaNs sort last and equal each other, so sorting is total */
            return a_nan - b_nan;
        return a->u.f < b->u.f ? -1 : a->u.f > b->u.f;
    }
    case HPS_VALUE_BOOL:
        return (a->u.b != 0) - (b->u.b != 0);
    case HPS_VALUE_NONE:
    default:
        return 0;
    }
}

void cfg_value_describe(const hps_value *value, char *buf, size_t len)
{
    switch (value->type) {
    case HPS_VALUE_STRING: {
        size_t n = strlen(value->u.s);
        snprintf(buf, len, "'%.*s%s'", (int)(n > 40 ? 40 : n), value->u.s, n > 40 ? "..." : "");
        break;
    }
    case HPS_VALUE_INT:
        snprintf(buf, len, "%" PRId64, value->u.i);
        break;
    case HPS_VALUE_FLOAT:
        snprintf(buf, len, "%.15g", value->u.f);
        if (strtod(buf, NULL) != value->u.f)
            snprintf(buf, len, "%.17g", value->u.f);
        break;
    case HPS_VALUE_BOOL:
        snprintf(buf, len, "%s", value->u.b ? "true" : "false");
        break;
    case HPS_VALUE_NONE:
    default:
        snprintf(buf, len, "null");
        break;
    }
}
