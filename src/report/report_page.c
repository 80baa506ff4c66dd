/* report_page.c -- assembling the report's and dashboard's HTML page. */
#include "report/report_page.h"

#include "report/web_assets.h"

#include <string.h>
#include <strings.h>

/* An asset can sit inside <script>/<style> only if it never closes the element. */
static int embeddable(const unsigned char *data, size_t len, const char *closing)
{
    size_t n = strlen(closing);
    for (size_t i = 0; i + n <= len; i++)
        if (data[i] == '<' && strncasecmp((const char *)data + i, closing, n) == 0)
            return 0;
    return 1;
}

int rpage_write(rjson_buf *b, const char *title, void (*write_boot)(rjson_buf *, const void *),
                const void *ctx)
{
    if (!embeddable(hps_web_echarts_js, hps_web_echarts_js_len, "</script") ||
        !embeddable(hps_web_app_js, hps_web_app_js_len, "</script") ||
        !embeddable(hps_web_style_css, hps_web_style_css_len, "</style"))
        return -1;
    hps_strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  /* Nothing may load from elsewhere: the page is whole by itself. */
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
                  "connect-src 'self'\">\n<title>");
    rjson_html(b, title);
    hps_strbuf_puts(b, "</title>\n<style>\n");
    hps_strbuf_append(b, (const char *)hps_web_style_css, hps_web_style_css_len);
    hps_strbuf_puts(b, "</style>\n</head>\n<body>\n<script id=\"hps-boot\" type=\"application/json\">");
    write_boot(b, ctx);
    hps_strbuf_puts(b, "</script>\n");
    if (hps_web_echarts_js_len > 0) {
        hps_strbuf_puts(b, "<script>\n");
        hps_strbuf_append(b, (const char *)hps_web_echarts_js, hps_web_echarts_js_len);
        hps_strbuf_puts(b, "\n</script>\n");
    }
    hps_strbuf_puts(b, "<script>\n");
    hps_strbuf_append(b, (const char *)hps_web_app_js, hps_web_app_js_len);
    hps_strbuf_puts(b, "\n</script>\n</body>\n</html>\n");
    return 0;
}
