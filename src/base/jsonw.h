/* jsonw.h -- writing JSON text for people: shortest round-trip numbers.
 *
 * jansson prints 0.1 as 0.10000000000000001; output that users read (trial tables,
 * HPSEARCH_PARAMS, exports) goes through these writers instead. Parsing stays with
 * jansson, which reads the shortest form back to the same double. */
#ifndef HPS_JSONW_H
#define HPS_JSONW_H

#include "base/strbuf.h"
#include "hpsearch.h"

#include <jansson.h>

/* Shortest text that reads back to the same double, like Python's repr (0.1, 1e-05,
 * 5.0). Non-finite values become "NaN", "Infinity", "-Infinity" (Python's json
 * module and JavaScript's JSON5 read these). buf must hold 32 bytes. */
void hps_format_double(double x, char buf[32]);

void hps_jsonw_string(hps_strbuf *sb, const char *s);
void hps_jsonw_double(hps_strbuf *sb, double x);
void hps_jsonw_value(hps_strbuf *sb, const hps_value *v);
/* Writes any jansson node, reals in shortest form. */
void hps_jsonw_node(hps_strbuf *sb, const json_t *node);

#endif
