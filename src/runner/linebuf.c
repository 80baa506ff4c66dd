/*
 * linebuf.c -- bounded line splitting; see linebuf.h.
 *
 * The buffer keeps max_line + 1 bytes of the current line: the extra byte lets a line of
 * exactly max_line bytes followed by "\r\n" be recognised as not truncated. Everything
 * past that is counted as overflow and dropped, so memory never grows.
 */
#include "runner/linebuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct linebuf {
    size_t max_line;
    size_t keep;     /* bytes of a line we store: max_line + 1 */
    size_t len;      /* bytes stored for the current line */
    int overflow;    /* the current line had more than `keep` bytes */
    char buf[];      /* keep + 1 bytes (room for the NUL) */
};

linebuf *linebuf_new(size_t max_line)
{
    if (max_line > SIZE_MAX - sizeof(linebuf) - 2)
        return NULL;
    linebuf *lb = malloc(sizeof(linebuf) + max_line + 2);
    if (lb == NULL)
        return NULL;
    lb->max_line = max_line;
    lb->keep = max_line + 1;
    lb->len = 0;
    lb->overflow = 0;
    lb->buf[0] = '\0';
    return lb;
}

void linebuf_free(linebuf *lb)
{
    free(lb);
}

static void linebuf_append(linebuf *lb, const char *data, size_t n)
{
    size_t room = lb->keep - lb->len;
    size_t take = n < room ? n : room;
    if (take > 0) {
        memcpy(lb->buf + lb->len, data, take);
        lb->len += take;
    }
    if (n > take)
        lb->overflow = 1;
}

/* Hands the stored line to fn and empties the buffer first, so fn sees a consistent
 * state even if it stops the feed. */
static int linebuf_deliver(linebuf *lb, linebuf_line_fn fn, void *user)
{
    size_t n = lb->len;
    int truncated = lb->overflow;
    /* A '\r' is only trailing if nothing was dropped after it. */
    if (!truncated && n > 0 && lb->buf[n - 1] == '\r')
        n--;
    if (n > lb->max_line) {
        n = lb->max_line;
        truncated = 1;
    }
    lb->buf[n] = '\0';
    lb->len = 0;
    lb->overflow = 0;
    return fn(user, lb->buf, n, truncated);
}

int linebuf_feed(linebuf *lb, const char *data, size_t len, linebuf_line_fn fn, void *user)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t seg = nl != NULL ? (size_t)(nl - data) : len;
        linebuf_append(lb, data, seg);
        if (nl == NULL)
            break;
        int rc = linebuf_deliver(lb, fn, user);
        if (rc != 0)
            return rc;
        data += seg + 1;
        len -= seg + 1;
    }
    return 0;
}

int linebuf_finish(linebuf *lb, linebuf_line_fn fn, void *user)
{
    /* keep >= 1, so any byte of an unterminated line is stored: len > 0 iff one is
     * pending. */
    if (lb->len == 0)
        return 0;
    return linebuf_deliver(lb, fn, user);
}
