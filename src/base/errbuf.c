/* errbuf.c -- the per-handle "last error" message. */
#include "base/errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

hps_status hps_errbuf_set(hps_errbuf *err, hps_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return status;
}

void hps_errbuf_clear(hps_errbuf *err)
{
    err->text[0] = '\0';
}

const char *hps_errbuf_text(const hps_errbuf *err)
{
    if (err == NULL)
        return "no handle (NULL)";
    return err->text[0] != '\0' ? err->text : "no error";
}

void hps_errbuf_copy_out(const char *message, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return;
    snprintf(buf, len, "%s", message);
}
