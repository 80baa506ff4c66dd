/* strbuf.c -- a growable NUL-terminated string with a hard size cap. */
#include "base/strbuf.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STRBUF_DEFAULT_MAX ((size_t)256 << 20)

void hps_strbuf_init(hps_strbuf *sb, size_t max)
{
    memset(sb, 0, sizeof *sb);
    sb->max = max != 0 ? max : STRBUF_DEFAULT_MAX;
}

void hps_strbuf_free(hps_strbuf *sb)
{
    hps_mem_free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

static int reserve(hps_strbuf *sb, size_t extra)
{
    if (sb->failed)
        return -1;
    if (extra > sb->max - sb->len) {
        sb->failed = 1;
        return -1;
    }
    size_t needed = sb->len + extra + 1;
    if (needed <= sb->cap)
        return 0;
    void *data = sb->data;
    if (hps_mem_grow(&data, &sb->cap, needed, 1) != 0) {
        sb->failed = 1;
        return -1;
    }
    sb->data = data;
    return 0;
}

void hps_strbuf_append(hps_strbuf *sb, const char *data, size_t len)
{
    if (reserve(sb, len) != 0)
        return;
    memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void hps_strbuf_puts(hps_strbuf *sb, const char *s)
{
    hps_strbuf_append(sb, s, strlen(s));
}

void hps_strbuf_putc(hps_strbuf *sb, char c)
{
    hps_strbuf_append(sb, &c, 1);
}

void hps_strbuf_printf(hps_strbuf *sb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        hps_strbuf_append(sb, small, (size_t)n);
        return;
    }
    if (reserve(sb, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

const char *hps_strbuf_text(hps_strbuf *sb)
{
    if (sb->failed)
        return NULL;
    return sb->data != NULL ? sb->data : "";
}

char *hps_strbuf_take(hps_strbuf *sb)
{
    if (sb->failed) {
        hps_strbuf_free(sb);
        return NULL;
    }
    char *text = sb->data;
    if (text == NULL)
        text = hps_mem_strdup("");
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return text;
}
