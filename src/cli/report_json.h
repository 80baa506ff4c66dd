/* report_json.h -- a growable text buffer with JSON writers, for the report, the
 * dashboard and `show`.
 *
 * Everything written is safe to embed in an HTML <script> element and to serve as
 * JSON: strings escape '<', '>', '&', U+2028 and U+2029 besides what JSON requires, so
 * a study or parameter name such as "</script><script>..." stays text. Numbers are
 * written so that they read back exactly; NaN and infinities (which JSON cannot
 * hold) become null. An allocation failure or the size cap sets a sticky flag, checked
 * once at the end. */
#ifndef HPS_REPORT_JSON_H
#define HPS_REPORT_JSON_H

#include "hpsearch.h"

#include <stddef.h>

typedef struct rjson_buf {
    char *data;
    size_t len, cap;
    size_t max; /* hard cap on len */
    int failed;
} rjson_buf;

/* max 0 means 1 GiB. */
void rjson_init(rjson_buf *b, size_t max);
void rjson_free(rjson_buf *b);
void rjson_reset(rjson_buf *b);
void rjson_append(rjson_buf *b, const char *data, size_t len);
void rjson_puts(rjson_buf *b, const char *s);
void rjson_putc(rjson_buf *b, char c);
void rjson_printf(rjson_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text over (free with free()); NULL if the buffer failed (then freed). */
char *rjson_take(rjson_buf *b);

void rjson_string(rjson_buf *b, const char *s);
void rjson_number(rjson_buf *b, double x);
/* Milliseconds are enough for times: "%.3f", or null. */
void rjson_fixed3(rjson_buf *b, double x);
void rjson_int(rjson_buf *b, long long x);
/* An external parameter value: number, string or boolean. */
void rjson_value(rjson_buf *b, hps_value v);
/* `"key":` */
void rjson_key(rjson_buf *b, const char *key);
/* Copies JSON text produced elsewhere (jansson, the library), re-escaping '<', '>' and
 * '&' inside its strings; the text must be valid JSON. */
void rjson_raw_json(rjson_buf *b, const char *json);

/* Escapes text for HTML element content and attribute values. */
void rjson_html(rjson_buf *b, const char *s);

#endif
