/* report_json.c -- text buffer and JSON writers (see report_json.h). */
#include "cli/report_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RJSON_DEFAULT_MAX ((size_t)1 << 30)

void rjson_init(rjson_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max != 0 ? max : RJSON_DEFAULT_MAX;
}

void rjson_free(rjson_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void rjson_reset(rjson_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int reserve(rjson_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra > b->max - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

void rjson_append(rjson_buf *b, const char *data, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void rjson_puts(rjson_buf *b, const char *s)
{
    rjson_append(b, s, strlen(s));
}

void rjson_putc(rjson_buf *b, char c)
{
    rjson_append(b, &c, 1);
}

void rjson_printf(rjson_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        rjson_append(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rjson_take(rjson_buf *b)
{
    if (b->failed || reserve(b, 0) != 0) {
        rjson_free(b);
        return NULL;
    }
    char *text = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return text;
}

/* Bytes that must not appear raw inside a <script> element or that JSON forbids. */
static int escape_byte(rjson_buf *b, const unsigned char *p)
{
    switch (*p) {
    case '"':
        rjson_append(b, "\\\"", 2);
        return 1;
    case '\\':
        rjson_append(b, "\\\\", 2);
        return 1;
    case '\n':
        rjson_append(b, "\\n", 2);
        return 1;
    case '\r':
        rjson_append(b, "\\r", 2);
        return 1;
    case '\t':
        rjson_append(b, "\\t", 2);
        return 1;
    case '<':
    case '>':
    case '&':
        rjson_printf(b, "\\u%04x", *p);
        return 1;
    default:
        break;
    }
    if (*p < 0x20 || *p == 0x7f) {
        rjson_printf(b, "\\u%04x", *p);
        return 1;
    }
    /* U+2028 and U+2029 end a line in older JavaScript. */
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        rjson_printf(b, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
        return 3;
    }
    return 0;
}

void rjson_string(rjson_buf *b, const char *s)
{
    if (s == NULL) {
        rjson_puts(b, "null");
        return;
    }
    rjson_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p != '\0') {
        if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != '<' && *p != '>' && *p != '&' &&
            *p != 0x7f && *p != 0xe2) {
            p++;
            continue;
        }
        rjson_append(b, (const char *)run, (size_t)(p - run));
        int used = escape_byte(b, p);
        if (used == 0) {
            rjson_append(b, (const char *)p, 1);
            used = 1;
        }
        p += used;
        run = p;
    }
    rjson_append(b, (const char *)run, (size_t)(p - run));
    rjson_putc(b, '"');
}

void rjson_number(rjson_buf *b, double x)
{
    if (!isfinite(x)) {
        rjson_puts(b, "null");
        return;
    }
    /* The shortest of 15 and 17 significant digits that reads back exactly: exact for
     * the API, short for the usual values, and two snprintf calls at most (a report
     * writes a million numbers). */
    char text[40];
    snprintf(text, sizeof text, "%.15g", x);
    if (strtod(text, NULL) != x)
        snprintf(text, sizeof text, "%.17g", x);
    rjson_puts(b, text);
}

void rjson_fixed3(rjson_buf *b, double x)
{
    if (!isfinite(x)) {
        rjson_puts(b, "null");
        return;
    }
    rjson_printf(b, "%.3f", x);
}

void rjson_int(rjson_buf *b, long long x)
{
    rjson_printf(b, "%lld", x);
}

void rjson_value(rjson_buf *b, hps_value v)
{
    switch (v.type) {
    case HPS_VALUE_STRING:
        rjson_string(b, v.u.s);
        break;
    case HPS_VALUE_INT:
        rjson_printf(b, "%lld", (long long)v.u.i);
        break;
    case HPS_VALUE_FLOAT:
        rjson_number(b, v.u.f);
        break;
    case HPS_VALUE_BOOL:
        rjson_puts(b, v.u.b ? "true" : "false");
        break;
    default:
        rjson_puts(b, "null");
        break;
    }
}

void rjson_key(rjson_buf *b, const char *key)
{
    rjson_string(b, key);
    rjson_putc(b, ':');
}

void rjson_raw_json(rjson_buf *b, const char *json)
{
    if (json == NULL) {
        rjson_puts(b, "null");
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
        rjson_append(b, (const char *)run, (size_t)(p - run));
        p += escape_byte(b, p);
        run = p;
    }
    rjson_append(b, (const char *)run, (size_t)(p - run));
}

void rjson_html(rjson_buf *b, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '<':
            rjson_puts(b, "&lt;");
            break;
        case '>':
            rjson_puts(b, "&gt;");
            break;
        case '&':
            rjson_puts(b, "&amp;");
            break;
        case '"':
            rjson_puts(b, "&quot;");
            break;
        case '\'':
            rjson_puts(b, "&#39;");
            break;
        default:
            rjson_putc(b, *p);
        }
    }
}
