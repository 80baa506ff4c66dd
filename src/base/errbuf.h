/* errbuf.h -- the per-handle "last error" message.
 *
 * Each handle embeds one; hps_*_errmsg returns its text, never NULL. Formatting never
 * allocates, so reporting out-of-memory cannot itself fail. */
#ifndef HPS_ERRBUF_H
#define HPS_ERRBUF_H

#include "hpsearch.h"

#include <stddef.h>

#define HPS_ERRBUF_SIZE 512

typedef struct hps_errbuf {
    char text[HPS_ERRBUF_SIZE];
} hps_errbuf;

/* Sets the message (printf-style) and returns `status`, so callers can write
 * `return hps_errbuf_set(&h->err, HPS_ERR_INVALID, "...", ...);`. */
hps_status hps_errbuf_set(hps_errbuf *err, hps_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hps_errbuf_clear(hps_errbuf *err);
const char *hps_errbuf_text(const hps_errbuf *err);

/* Copies a message into a caller buffer (constructors' errbuf argument); NULL-safe. */
void hps_errbuf_copy_out(const char *message, char *buf, size_t len);

#endif
