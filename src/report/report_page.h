/* report_page.h -- the HTML page of the report and the dashboard: one self-contained
 * document with the style, the data, the charting library and the app inline. */
#ifndef HPS_REPORT_PAGE_H
#define HPS_REPORT_PAGE_H

#include "report/report_json.h"

/* Writes the page. `write_boot` writes the boot object (JSON, see web/app.js) through
 * the rjson writers, which keep it inert inside <script>. Returns 0, or -1 when the
 * embedded assets could not be placed in a <script> element (a broken build). */
int rpage_write(rjson_buf *b, const char *title, void (*write_boot)(rjson_buf *, const void *),
                const void *ctx);

#endif
