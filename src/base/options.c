/* options.c -- settings described by a table: parsing, defaults, descriptions. */
#include "base/options.h"

#include "base/jsonw.h"
#include "base/mem.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Integer bounds beyond this are no real limit (nobody runs 2^53 trials): the rule
 * says ">= MIN" rather than print a 19-digit number. The bound still holds. */
#define LARGEST_SAID ((uint64_t)1 << 53)

/* ---- the types' parsers ------------------------------------------------------------ */

int hps_option_parse_bool(const char *text, int *out)
{
    if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcasecmp(text, "yes") == 0) {
        *out = 1;
        return 0;
    }
    if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcasecmp(text, "no") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Optional blanks and sign, then only digits: the sign and the magnitude. */
static int parse_integer(const char *text, int *negative, uint64_t *magnitude)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    *negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q != '\0'; q++)
        if (!isdigit((unsigned char)*q))
            return -1;
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno != 0)
        return -1;
    *magnitude = (uint64_t)v;
    return 0;
}

int hps_option_parse_u64(const char *text, uint64_t *out)
{
    int negative;
    uint64_t magnitude;
    if (parse_integer(text, &negative, &magnitude) != 0 || (negative && magnitude != 0))
        return -1;
    *out = magnitude;
    return 0;
}

int hps_option_parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* ---- one option ------------------------------------------------------------------- */

static uint64_t uint_max(const hps_option *opt)
{
    if (opt->type == HPS_OPTION_INT)
        return opt->max != 0 ? opt->max : (uint64_t)INT64_MAX;
    return opt->max != 0 ? opt->max : UINT64_MAX;
}

/* An integer option's value: the keyword, or a number in range. */
static int parse_in_range(const hps_option *opt, const char *text, int64_t *out)
{
    if (opt->keyword != NULL && strcasecmp(text, opt->keyword) == 0) {
        *out = opt->keyword_value;
        return 0;
    }
    int negative;
    uint64_t magnitude;
    if (parse_integer(text, &negative, &magnitude) != 0)
        return -1;
    if (negative && magnitude != 0) {
        if (magnitude > (uint64_t)INT64_MAX + 1)
            return -1;
        int64_t v = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
        if (v < opt->min)
            return -1;
        *out = v;
        return 0;
    }
    if (magnitude > uint_max(opt) || (opt->min > 0 && magnitude < (uint64_t)opt->min)) {
        /* a numeric keyword outside the range (cmaes' popsize 0) in any spelling: "00" */
        int kw_negative;
        uint64_t kw;
        if (opt->keyword == NULL || parse_integer(opt->keyword, &kw_negative, &kw) != 0 ||
            kw_negative || kw != magnitude)
            return -1;
        *out = opt->keyword_value;
        return 0;
    }
    /* UINT values beyond INT64_MAX travel as their bit pattern */
    memcpy(out, &magnitude, sizeof *out);
    return 0;
}

static void store_integer(const hps_option *opt, char *field, int64_t v)
{
    if (opt->size == sizeof(uint32_t)) {
        uint32_t narrow = (uint32_t)v;
        memcpy(field, &narrow, sizeof narrow);
    } else {
        assert(opt->size == sizeof(uint64_t));
        memcpy(field, &v, sizeof v);
    }
}

static int parse_number(const hps_option *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || isnan(v))
        return -1;
    if (isinf(v) && !(opt->flags & HPS_OPTION_INFINITE))
        return -1;
    if (v < opt->dmin || v > opt->dmax || ((opt->flags & HPS_OPTION_MIN_OPEN) && v == opt->dmin))
        return -1;
    *out = v;
    return 0;
}

static int parse_choice(const hps_option *opt, const char *text, int *out)
{
    for (const hps_option_choice *c = opt->choices; c->name != NULL; c++) {
        if (strcasecmp(text, c->name) == 0) {
            *out = c->value;
            return 0;
        }
    }
    return -1;
}

/* 0 when stored, -1 when refused, -2 out of memory. */
static int apply(const hps_option *opt, void *state, const char *value, const char **why)
{
    if (opt->parse != NULL)
        return opt->parse(state, value, why) == 0 ? 0 : -1;
    char *field = (char *)state + opt->offset;
    switch (opt->type) {
    case HPS_OPTION_BOOL:
    case HPS_OPTION_ENUM: {
        int v;
        int rc = opt->type == HPS_OPTION_BOOL ? hps_option_parse_bool(value, &v)
                                               : parse_choice(opt, value, &v);
        if (rc != 0)
            return -1;
        assert(opt->size == sizeof v);
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case HPS_OPTION_UINT:
    case HPS_OPTION_INT: {
        int64_t v;
        if (parse_in_range(opt, value, &v) != 0)
            return -1;
        store_integer(opt, field, v);
        return 0;
    }
    case HPS_OPTION_DOUBLE: {
        double v;
        if (parse_number(opt, value, &v) != 0)
            return -1;
        assert(opt->size == sizeof v);
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case HPS_OPTION_TEXT: {
        size_t len = strlen(value);
        if ((int64_t)len < opt->min || len > uint_max(opt))
            return -1;
        char *copy = hps_mem_strdup(value);
        if (copy == NULL)
            return -2;
        char *old;
        assert(opt->size == sizeof old);
        memcpy(&old, field, sizeof old);
        hps_mem_free(old);
        memcpy(field, &copy, sizeof copy);
        return 0;
    }
    }
    return -1;
}

/* ---- tables ------------------------------------------------------------------------ */

const hps_option *hps_options_find(const hps_option *table, const char *name)
{
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++)
        if (strcmp(opt->name, name) == 0)
            return opt;
    return NULL;
}

hps_status hps_options_set(const hps_option *table, void *state, const char *owner,
                           const char *name, const char *value, uint64_t *given,
                           hps_errbuf *err)
{
    const hps_option *opt = hps_options_find(table, name);
    if (opt == NULL)
        return HPS_ERR_NOTFOUND;
    const char *why = NULL;
    int rc = apply(opt, state, value, &why);
    if (rc == -2)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    if (rc != 0 && why != NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s: %s", owner, why);
    if (rc != 0) {
        char rule[200];
        hps_option_rule(opt, rule, sizeof rule);
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s: %s must be %s (got '%.100s')", owner,
                              opt->name, rule, value);
    }
    if (given != NULL)
        *given |= (uint64_t)1 << (opt - table);
    return HPS_OK;
}

hps_status hps_options_init(const hps_option *table, void *state)
{
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++) {
        assert(opt - table < HPS_OPTIONS_MAX);
        assert(opt->type != HPS_OPTION_UINT || opt->parse != NULL || opt->size == 8 ||
               uint_max(opt) <= UINT32_MAX);
        if (opt->def == NULL)
            continue;
        const char *why = NULL;
        int rc = apply(opt, state, opt->def, &why);
        if (rc == -2)
            return HPS_ERR_NOMEM;
        assert(rc == 0 && "a default its own option refuses");
    }
    return HPS_OK;
}

void hps_options_free(const hps_option *table, void *state)
{
    if (state == NULL)
        return;
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++) {
        if (opt->type != HPS_OPTION_TEXT || opt->parse != NULL)
            continue;
        char *field = (char *)state + opt->offset, *text;
        memcpy(&text, field, sizeof text);
        hps_mem_free(text);
        text = NULL;
        memcpy(field, &text, sizeof text);
    }
}

int hps_options_given(const hps_option *table, uint64_t given, const char *name)
{
    const hps_option *opt = hps_options_find(table, name);
    return opt != NULL && (given >> (opt - table) & 1);
}

const hps_option *hps_options_missing(const hps_option *table, uint64_t given)
{
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++)
        if ((opt->flags & HPS_OPTION_REQUIRED) && !(given >> (opt - table) & 1))
            return opt;
    return NULL;
}

/* ---- descriptions ------------------------------------------------------------------ */

static int is_alias(const hps_option *opt, const hps_option_choice *c)
{
    for (const hps_option_choice *earlier = opt->choices; earlier != c; earlier++)
        if (earlier->value == c->value)
            return 1;
    return 0;
}

/* "a, b or c" */
static void choices_rule(const hps_option *opt, char *buf, size_t size)
{
    size_t n = 0, k = 0, used = 0;
    for (const hps_option_choice *c = opt->choices; c->name != NULL; c++)
        n += !is_alias(opt, c);
    buf[0] = '\0';
    for (const hps_option_choice *c = opt->choices; c->name != NULL && used < size; c++) {
        if (is_alias(opt, c))
            continue;
        const char *sep = k == 0 ? "" : k + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, c->name);
        used += w > 0 ? (size_t)w : 0;
        k++;
    }
}

static void number_rule(const hps_option *opt, char *buf, size_t size)
{
    int has_lo = isfinite(opt->dmin), has_hi = isfinite(opt->dmax);
    const char *lo_op = (opt->flags & HPS_OPTION_MIN_OPEN) ? ">" : ">=";
    char open = (opt->flags & HPS_OPTION_MIN_OPEN) ? '(' : '[';
    const char *inf = (opt->flags & HPS_OPTION_INFINITE) ? ", inf or -inf" : "";
    if (has_lo && has_hi)
        snprintf(buf, size, "a number in %c%g, %g]", open, opt->dmin, opt->dmax);
    else if (has_lo)
        snprintf(buf, size, "a number %s %g", lo_op, opt->dmin);
    else if (has_hi)
        snprintf(buf, size, "a number <= %g", opt->dmax);
    else
        snprintf(buf, size, "a number%s", inf);
}

void hps_option_rule(const hps_option *opt, char *buf, size_t size)
{
    if (opt->rule != NULL) {
        snprintf(buf, size, "%s", opt->rule);
        return;
    }
    switch (opt->type) {
    case HPS_OPTION_BOOL:
        snprintf(buf, size, "true or false");
        return;
    case HPS_OPTION_UINT:
    case HPS_OPTION_INT: {
        char range[96];
        if (uint_max(opt) >= LARGEST_SAID)
            snprintf(range, sizeof range, "an integer >= %lld", (long long)opt->min);
        else
            snprintf(range, sizeof range, "an integer in [%lld, %llu]", (long long)opt->min,
                     (unsigned long long)uint_max(opt));
        if (opt->keyword != NULL)
            snprintf(buf, size, "%s or %s", opt->keyword, range);
        else
            snprintf(buf, size, "%s", range);
        return;
    }
    case HPS_OPTION_DOUBLE:
        number_rule(opt, buf, size);
        return;
    case HPS_OPTION_ENUM:
        choices_rule(opt, buf, size);
        return;
    case HPS_OPTION_TEXT:
        snprintf(buf, size, "a text of %lld to %llu bytes", (long long)opt->min,
                 (unsigned long long)uint_max(opt));
        return;
    }
    snprintf(buf, size, "?");
}

void hps_options_names(hps_strbuf *sb, const hps_option *table)
{
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++)
        hps_strbuf_printf(sb, "%s%s", opt == table ? "" : ", ", opt->name);
}

static const char *type_name(hps_option_type type)
{
    switch (type) {
    case HPS_OPTION_BOOL:
        return "bool";
    case HPS_OPTION_UINT:
    case HPS_OPTION_INT:
        return "int";
    case HPS_OPTION_DOUBLE:
        return "float";
    case HPS_OPTION_ENUM:
        return "enum";
    case HPS_OPTION_TEXT:
        return "text";
    }
    return "?";
}

static void range_json(hps_strbuf *sb, const hps_option *opt)
{
    if (opt->parse != NULL && opt->type == HPS_OPTION_TEXT)
        return;
    if (opt->type == HPS_OPTION_UINT || opt->type == HPS_OPTION_INT) {
        hps_strbuf_printf(sb, ", \"min\": %lld", (long long)opt->min);
        if (opt->max != 0)
            hps_strbuf_printf(sb, ", \"max\": %llu", (unsigned long long)opt->max);
        if (opt->keyword != NULL) {
            hps_strbuf_puts(sb, ", \"keyword\": ");
            hps_jsonw_string(sb, opt->keyword);
        }
    } else if (opt->type == HPS_OPTION_DOUBLE) {
        if (isfinite(opt->dmin)) {
            hps_strbuf_puts(sb, ", \"min\": ");
            hps_jsonw_double(sb, opt->dmin);
            if (opt->flags & HPS_OPTION_MIN_OPEN)
                hps_strbuf_puts(sb, ", \"min_excluded\": true");
        }
        if (isfinite(opt->dmax)) {
            hps_strbuf_puts(sb, ", \"max\": ");
            hps_jsonw_double(sb, opt->dmax);
        }
    } else if (opt->type == HPS_OPTION_ENUM) {
        hps_strbuf_puts(sb, ", \"choices\": [");
        size_t k = 0;
        for (const hps_option_choice *c = opt->choices; c->name != NULL; c++) {
            if (is_alias(opt, c))
                continue;
            hps_strbuf_puts(sb, k++ > 0 ? ", " : "");
            hps_jsonw_string(sb, c->name);
        }
        hps_strbuf_putc(sb, ']');
    } else if (opt->type == HPS_OPTION_TEXT) {
        hps_strbuf_printf(sb, ", \"min\": %lld, \"max\": %llu", (long long)opt->min,
                          (unsigned long long)uint_max(opt));
    }
}

void hps_options_json(hps_strbuf *sb, const hps_option *table, size_t *count)
{
    for (const hps_option *opt = table; opt != NULL && opt->name != NULL; opt++) {
        char rule[200];
        hps_option_rule(opt, rule, sizeof rule);
        hps_strbuf_puts(sb, (*count)++ > 0 ? ", {\"name\": " : "{\"name\": ");
        hps_jsonw_string(sb, opt->name);
        hps_strbuf_printf(sb, ", \"type\": \"%s\", \"default\": ", type_name(opt->type));
        if (opt->def != NULL)
            hps_jsonw_string(sb, opt->def);
        else
            hps_strbuf_puts(sb, "null");
        range_json(sb, opt);
        if (opt->flags & HPS_OPTION_REQUIRED)
            hps_strbuf_puts(sb, ", \"required\": true");
        hps_strbuf_puts(sb, ", \"accepts\": ");
        hps_jsonw_string(sb, rule);
        hps_strbuf_puts(sb, ", \"help\": ");
        hps_jsonw_string(sb, opt->help != NULL ? opt->help : "");
        hps_strbuf_putc(sb, '}');
    }
}
