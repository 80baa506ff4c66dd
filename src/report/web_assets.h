/* web_assets.h -- the report's and dashboard's page assets, compiled into the binary.
 *
 * Defined in <build>/generated/web_assets.c, which the build writes from web/app.js,
 * web/style.css and the minified Apache ECharts installed by `npm ci` (web/web_assets.cmake).
 * Each array ends with a NUL byte not counted in its length. A build configured with
 * -DHPS_WEB_CHARTS=OFF has an empty hps_web_echarts_js (length 0) and version "none". */
#ifndef HPS_WEB_ASSETS_H
#define HPS_WEB_ASSETS_H

#include <stddef.h>

extern const char hps_web_echarts_version[];
extern const unsigned char hps_web_echarts_js[];
extern const size_t hps_web_echarts_js_len;
extern const unsigned char hps_web_app_js[];
extern const size_t hps_web_app_js_len;
extern const unsigned char hps_web_style_css[];
extern const size_t hps_web_style_css_len;

#endif
