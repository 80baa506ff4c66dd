/*
 * config_write.c -- YAML as the config writer needs it: double-quoted strings, values
 * that keep their YAML type, lists of words. What each key writes is config_keys.c's
 * table; these are the pieces its writers share.
 */
#include "config_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of one byte inside a double-quoted YAML scalar (at most 4 bytes and a NUL). */
static void yaml_escape(unsigned char c, char out[5])
{
    if (c == '"' || c == '\\')
        snprintf(out, 5, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
        snprintf(out, 5, "\\x%02x", c);
    else
        snprintf(out, 5, "%c", c);
}

char *cfg_yaml_quote_n(const char *text, size_t len)
{
    if (len > (SIZE_MAX - 3) / 4)
        return NULL;
    char *out = malloc(len * 4 + 3);
    if (out == NULL)
        return NULL;
    size_t used = 0;
    out[used++] = '"';
    for (size_t k = 0; k < len; k++) {
        char piece[5];
        yaml_escape((unsigned char)text[k], piece);
        size_t n = strlen(piece);
        memcpy(out + used, piece, n);
        used += n;
    }
    out[used++] = '"';
    out[used] = '\0';
    return out;
}

void cfg_write_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const char *c = text; *c != '\0'; c++) {
        char piece[5];
        yaml_escape((unsigned char)*c, piece);
        fputs(piece, out);
    }
    fputc('"', out);
}

void cfg_write_value(FILE *out, const hps_value *value)
{
    char buf[64];
    switch (value->type) {
    case HPS_VALUE_STRING:
        cfg_write_string(out, value->u.s);
        return;
    case HPS_VALUE_INT:
        fprintf(out, "%" PRId64, value->u.i);
        return;
    case HPS_VALUE_FLOAT:
        /* the shortest text that reads back the same, and that YAML reads as a float */
        snprintf(buf, sizeof buf, "%.15g", value->u.f);
        if (strtod(buf, NULL) != value->u.f)
            snprintf(buf, sizeof buf, "%.17g", value->u.f);
        if (!isfinite(value->u.f))
            snprintf(buf, sizeof buf, "%s", isnan(value->u.f) ? ".nan"
                                            : value->u.f > 0  ? ".inf"
                                                              : "-.inf");
        else if (strpbrk(buf, ".e") == NULL)
            strcat(buf, ".0");
        fputs(buf, out);
        return;
    case HPS_VALUE_BOOL:
        fputs(value->u.b ? "true" : "false", out);
        return;
    case HPS_VALUE_NONE:
    default:
        fputs("null", out);
        return;
    }
}

void cfg_write_word_list(FILE *out, const char *key, char *const *words, size_t n)
{
    if (n == 0)
        return;
    fprintf(out, "%s: [", key);
    for (size_t k = 0; k < n; k++) {
        fputs(k > 0 ? ", " : "", out);
        cfg_write_string(out, words[k]);
    }
    fputs("]\n", out);
}
