/* jsonw.c -- writing JSON text for people: shortest round-trip numbers. */
#include "base/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hps_format_double(double x, char buf[32])
{
    if (isnan(x)) {
        strcpy(buf, "NaN");
        return;
    }
    if (isinf(x)) {
        strcpy(buf, x > 0 ? "Infinity" : "-Infinity");
        return;
    }
    int precision;
    for (precision = 1; precision < 17; precision++) {
        snprintf(buf, 32, "%.*e", precision - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* Now render with that many significant digits the way Python's repr does:
     * positional notation for exponents in [-4, 16), scientific otherwise. */
    char digits[32];
    snprintf(digits, sizeof digits, "%.*e", precision - 1, x);
    char *e = strchr(digits, 'e');
    int exponent = atoi(e + 1);
    if (exponent < -4 || exponent >= 16) {
        /* mantissa without trailing zeros, then e+XX / e-XX with at least 2 digits */
        *e = '\0';
        size_t len = strlen(digits);
        while (len > 0 && digits[len - 1] == '0')
            digits[--len] = '\0';
        if (len > 0 && digits[len - 1] == '.')
            digits[--len] = '\0';
        /* the mantissa has at most 19 characters and a double's exponent 3 digits; the
         * bounds only tell the compiler so (-O1 warns of truncation otherwise) */
        snprintf(buf, 32, "%.20se%c%02d", digits, exponent < 0 ? '-' : '+',
                 abs(exponent) % 1000);
        return;
    }
    int decimals = precision - 1 - exponent;
    if (decimals < 1)
        decimals = 1;
    snprintf(buf, 32, "%.*f", decimals, x);
    /* drop trailing zeros but keep one digit after the point */
    size_t len = strlen(buf);
    while (len > 2 && buf[len - 1] == '0' && buf[len - 2] != '.')
        buf[--len] = '\0';
}

void hps_jsonw_string(hps_strbuf *sb, const char *s)
{
    hps_strbuf_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            hps_strbuf_puts(sb, "\\\"");
            break;
        case '\\':
            hps_strbuf_puts(sb, "\\\\");
            break;
        case '\n':
            hps_strbuf_puts(sb, "\\n");
            break;
        case '\r':
            hps_strbuf_puts(sb, "\\r");
            break;
        case '\t':
            hps_strbuf_puts(sb, "\\t");
            break;
        default:
            if (*p < 0x20)
                hps_strbuf_printf(sb, "\\u%04x", *p);
            else
                hps_strbuf_putc(sb, (char)*p);
        }
    }
    hps_strbuf_putc(sb, '"');
}

void hps_jsonw_double(hps_strbuf *sb, double x)
{
    char buf[32];
    hps_format_double(x, buf);
    hps_strbuf_puts(sb, buf);
}

void hps_jsonw_value(hps_strbuf *sb, const hps_value *v)
{
    switch (v->type) {
    case HPS_VALUE_STRING:
        hps_jsonw_string(sb, v->u.s);
        break;
    case HPS_VALUE_INT:
        hps_strbuf_printf(sb, "%" PRId64, v->u.i);
        break;
    case HPS_VALUE_FLOAT:
        hps_jsonw_double(sb, v->u.f);
        break;
    case HPS_VALUE_BOOL:
        hps_strbuf_puts(sb, v->u.b ? "true" : "false");
        break;
    case HPS_VALUE_NONE:
        hps_strbuf_puts(sb, "null");
        break;
    }
}

void hps_jsonw_node(hps_strbuf *sb, const json_t *node)
{
    switch (json_typeof(node)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        hps_strbuf_putc(sb, '{');
        json_object_foreach((json_t *)node, key, val) {
            if (!first)
                hps_strbuf_puts(sb, ", ");
            first = 0;
            hps_jsonw_string(sb, key);
            hps_strbuf_puts(sb, ": ");
            hps_jsonw_node(sb, val);
        }
        hps_strbuf_putc(sb, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        hps_strbuf_putc(sb, '[');
        json_array_foreach(node, i, val) {
            if (i > 0)
                hps_strbuf_puts(sb, ", ");
            hps_jsonw_node(sb, val);
        }
        hps_strbuf_putc(sb, ']');
        break;
    }
    case JSON_STRING:
        hps_jsonw_string(sb, json_string_value(node));
        break;
    case JSON_INTEGER:
        hps_strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(node));
        break;
    case JSON_REAL:
        hps_jsonw_double(sb, json_real_value(node));
        break;
    case JSON_TRUE:
        hps_strbuf_puts(sb, "true");
        break;
    case JSON_FALSE:
        hps_strbuf_puts(sb, "false");
        break;
    case JSON_NULL:
        hps_strbuf_puts(sb, "null");
        break;
    }
}
