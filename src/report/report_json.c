/* report_json.c -- JSON and HTML writers (see report_json.h). */
#include "report/report_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes that must not appear raw inside a <script> element or that JSON forbids. */
static int escape_byte(rjson_buf *b, const unsigned char *p)
{
    switch (*p) {
    case '"':
        hps_strbuf_append(b, "\\\"", 2);
        return 1;
    case '\\':
        hps_strbuf_append(b, "\\\\", 2);
        return 1;
    case '\n':
        hps_strbuf_append(b, "\\n", 2);
        return 1;
    case '\r':
        hps_strbuf_append(b, "\\r", 2);
        return 1;
    case '\t':
        hps_strbuf_append(b, "\\t", 2);
        return 1;
    case '<':
    case '>':
    case '&':
        hps_strbuf_printf(b, "\\u%04x", *p);
        return 1;
    default:
        break;
    }
    if (*p < 0x20 || *p == 0x7f) {
        hps_strbuf_printf(b, "\\u%04x", *p);
        return 1;
    }
    /* U+2028 and U+2029 end a line in older JavaScript. */
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        hps_strbuf_printf(b, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
        return 3;
    }
    return 0;
}

void rjson_string(rjson_buf *b, const char *s)
{
    if (s == NULL) {
        hps_strbuf_puts(b, "null");
        return;
    }
    hps_strbuf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p != '\0') {
        if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != '<' && *p != '>' && *p != '&' &&
            *p != 0x7f && *p != 0xe2) {
            p++;
            continue;
        }
        hps_strbuf_append(b, (const char *)run, (size_t)(p - run));
        int used = escape_byte(b, p);
        if (used == 0) {
            hps_strbuf_append(b, (const char *)p, 1);
            used = 1;
        }
        p += used;
        run = p;
    }
    hps_strbuf_append(b, (const char *)run, (size_t)(p - run));
    hps_strbuf_putc(b, '"');
}

void rjson_number(rjson_buf *b, double x)
{
    if (!isfinite(x)) {
        hps_strbuf_puts(b, "null");
        return;
    }
    /* The shortest of 15 and 17 significant digits that reads back exactly: exact for
     * the API, short for the usual values, and two snprintf calls at most (a report
     * writes a million numbers). */
    char text[40];
    snprintf(text, sizeof text, "%.15g", x);
    if (strtod(text, NULL) != x)
        snprintf(text, sizeof text, "%.17g", x);
    hps_strbuf_puts(b, text);
}

void rjson_fixed3(rjson_buf *b, double x)
{
    if (!isfinite(x)) {
        hps_strbuf_puts(b, "null");
        return;
    }
    hps_strbuf_printf(b, "%.3f", x);
}

void rjson_int(rjson_buf *b, long long x)
{
    hps_strbuf_printf(b, "%lld", x);
}

void rjson_value(rjson_buf *b, hps_value v)
{
    switch (v.type) {
    case HPS_VALUE_STRING:
        rjson_string(b, v.u.s);
        break;
    case HPS_VALUE_INT:
        hps_strbuf_printf(b, "%lld", (long long)v.u.i);
        break;
    case HPS_VALUE_FLOAT:
        rjson_number(b, v.u.f);
        break;
    case HPS_VALUE_BOOL:
        hps_strbuf_puts(b, v.u.b ? "true" : "false");
        break;
    default:
        hps_strbuf_puts(b, "null");
        break;
    }
}

void rjson_key(rjson_buf *b, const char *key)
{
    rjson_string(b, key);
    hps_strbuf_putc(b, ':');
}

void rjson_raw_json(rjson_buf *b, const char *json)
{
    if (json == NULL) {
        hps_strbuf_puts(b, "null");
        return;
    }
    /* '<', '>' and '&' can only occur inside strings in valid JSON, where \u escapes
     * mean the same; the same holds for U+2028/2029. */
    const unsigned char *p = (const unsigned char *)json, *run = p;
    while (*p != '\0') {
        int special = *p == '<' || *p == '>' || *p == '&' ||
                      (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9));
        if (!special) {
            p++;
            continue;
        }
        hps_strbuf_append(b, (const char *)run, (size_t)(p - run));
        p += escape_byte(b, p);
        run = p;
    }
    hps_strbuf_append(b, (const char *)run, (size_t)(p - run));
}

void rjson_html(rjson_buf *b, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '<':
            hps_strbuf_puts(b, "&lt;");
            break;
        case '>':
            hps_strbuf_puts(b, "&gt;");
            break;
        case '&':
            hps_strbuf_puts(b, "&amp;");
            break;
        case '"':
            hps_strbuf_puts(b, "&quot;");
            break;
        case '\'':
            hps_strbuf_puts(b, "&#39;");
            break;
        default:
            hps_strbuf_putc(b, *p);
        }
    }
}
