/* utf8.c -- making text from outside valid UTF-8. */
#include "base/utf8.h"

#include "base/mem.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one; `avail` bytes
 * may be read (SIZE_MAX in NUL-terminated text, where the NUL stops a sequence). */
static size_t valid_sequence(const unsigned char *p, size_t avail)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if ((p[0] & 0xe0) == 0xc0) {
        len = 2;
        min = 0x80;
        cp = p[0] & 0x1f;
    } else if ((p[0] & 0xf0) == 0xe0) {
        len = 3;
        min = 0x800;
        cp = p[0] & 0x0f;
    } else if ((p[0] & 0xf8) == 0xf0) {
        len = 4;
        min = 0x10000;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > avail)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int hps_utf8_valid(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != '\0') {
        size_t len = valid_sequence(p, SIZE_MAX);
        if (len == 0)
            return 0;
        p += len;
    }
    return 1;
}

size_t hps_utf8_invalid_at(const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t at = 0;
    while (at < n) {
        size_t len = valid_sequence(p + at, n - at);
        if (len == 0)
            return at;
        at += len;
    }
    return n;
}

char *hps_utf8_sanitize(const char *text)
{
    size_t n = strlen(text);
    char *out = hps_mem_alloc(n + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t k = 0;
    while (*p != '\0') {
        size_t len = valid_sequence(p, SIZE_MAX);
        if (len == 0) {
            out[k++] = '?';
            p++;
            continue;
        }
        memcpy(out + k, p, len);
        k += len;
        p += len;
    }
    out[k] = '\0';
    return out;
}
