/* strbuf.h -- a growable NUL-terminated string with a hard size cap.
 *
 * An allocation failure or a cap overrun sets a sticky error flag instead of failing
 * each append, so builders can append freely and check once at the end. */
#ifndef HPS_STRBUF_H
#define HPS_STRBUF_H

#include <stddef.h>

typedef struct hps_strbuf {
    char *data;     /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
    size_t max;     /* hard cap on len; 0 means 256 MiB */
    int failed;     /* sticky: out of memory or over the cap */
} hps_strbuf;

void hps_strbuf_init(hps_strbuf *sb, size_t max);
void hps_strbuf_free(hps_strbuf *sb);
void hps_strbuf_append(hps_strbuf *sb, const char *data, size_t len);
void hps_strbuf_puts(hps_strbuf *sb, const char *s);
void hps_strbuf_putc(hps_strbuf *sb, char c);
void hps_strbuf_printf(hps_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text (never NULL: "" when empty); NULL if the buffer failed. */
const char *hps_strbuf_text(hps_strbuf *sb);
/* Hands the text over to the caller (free with hps_mem_free / hps_free); the buffer is
 * left empty. NULL if the buffer failed (and it is freed). */
char *hps_strbuf_take(hps_strbuf *sb);

#endif
