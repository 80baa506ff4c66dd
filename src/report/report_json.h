/* report_json.h -- JSON and HTML writers for the report, the dashboard and `show`.
 *
 * Everything written is safe to embed in an HTML <script> element and to serve as
 * JSON: strings escape '<', '>', '&', U+2028 and U+2029 besides what JSON requires, so
 * a study or parameter name such as "</script><script>..." stays text. Numbers are
 * written so that they read back exactly; NaN and infinities (which JSON cannot
 * hold) become null. An allocation failure or the size cap sets a sticky flag, checked
 * once at the end. */
#ifndef HPS_REPORT_JSON_H
#define HPS_REPORT_JSON_H

#include "base/strbuf.h"
#include "hpsearch.h"

#include <stddef.h>

/* The buffer is the library's string builder; only the writers below are the report's
 * own. Pages keep a 1 GiB cap (hps_strbuf's default is 256 MiB) so that large studies
 * still render. */
typedef hps_strbuf rjson_buf;
#define RJSON_MAX ((size_t)1 << 30)
/* Text handed over by hps_strbuf_take is freed with free() (what hps_mem_free does). */

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
