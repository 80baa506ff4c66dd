/* dashboard.c -- the live dashboard's HTTP server (libmicrohttpd) over a storage.
 *
 *   GET /                                      the page (web/app.js in dashboard mode)
 *   GET /api/studies                           hps_storage_list_studies
 *   GET /api/studies/NAME                      the study's view (report_view.c)
 *   GET /api/studies/NAME/trials?offset=&limit=&sort=&order=&state=&q=
 *                                              a page of the trial table
 *   GET /api/studies/NAME/trials/NUMBER        one trial in full
 *
 * Only GET and HEAD. While bound to loopback, requests must name a loopback host (a web
 * page elsewhere cannot read the studies through DNS rebinding). */
#include "report/dashboard.h"

#include "cli/cli.h"

#include "report/report_cache.h"
#include "report/report_page.h"
#include "report/web_assets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define DASH_THREADS 4
#define DASH_MAX_CONNECTIONS 64
#define DASH_TIMEOUT_SECONDS 30
#define DASH_MAX_OFFSET 1000000000u

struct dashboard {
    rcache *cache;
    char *page;          /* the HTML page, built once */
    size_t page_len;
    int check_host;      /* loopback bind: only loopback Host headers */
    double refresh;
    struct MHD_Daemon *daemon;
};

typedef struct dash_boot {
    double refresh;
} dash_boot;

static void write_boot(rjson_buf *b, const void *ctx)
{
    const dash_boot *boot = ctx;
    hps_strbuf_puts(b, "{\"mode\":\"dashboard\",\"version\":");
    rjson_string(b, HPS_VERSION_STRING);
    hps_strbuf_puts(b, ",\"echarts\":");
    rjson_string(b, hps_web_echarts_version);
    hps_strbuf_puts(b, ",\"refresh\":");
    rjson_number(b, boot->refresh);
    hps_strbuf_putc(b, '}');
}

/* ---- responses -------------------------------------------------------------------- */

static enum MHD_Result send_buffer(struct MHD_Connection *conn, unsigned status, char *body,
                                   size_t len, enum MHD_ResponseMemoryMode mode,
                                   const char *content_type)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (resp == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
                            "frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, char *json)
{
    if (json == NULL)
        return MHD_NO;
    return send_buffer(conn, status, json, strlen(json), MHD_RESPMEM_MUST_FREE,
                       "application/json; charset=utf-8");
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    rjson_buf b;
    hps_strbuf_init(&b, RJSON_MAX);
    hps_strbuf_puts(&b, "{\"error\":");
    rjson_string(&b, msg);
    hps_strbuf_puts(&b, "}");
    return send_json(conn, status, hps_strbuf_take(&b));
}

/* ---- requests --------------------------------------------------------------------- */

/* Whether the Host header names this machine's loopback ("localhost", "127.x.y.z",
 * "[::1]", with or without a port). */
static int loopback_host(const char *host)
{
    if (host == NULL)
        return 0;
    char name[256];
    size_t len;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (end == NULL)
            return 0;
        len = (size_t)(end - host - 1);
        if (len >= sizeof name)
            return 0;
        memcpy(name, host + 1, len);
    } else {
        len = strcspn(host, ":");
        if (len >= sizeof name)
            return 0;
        memcpy(name, host, len);
    }
    name[len] = '\0';
    if (strcasecmp(name, "localhost") == 0 || strcmp(name, "::1") == 0)
        return 1;
    struct in_addr addr;
    return inet_pton(AF_INET, name, &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

static int parse_query(struct MHD_Connection *conn, rdata_query *q, char *err, size_t errlen)
{
    rdata_query_init(q);
    const char *offset = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "offset");
    const char *limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *sort = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sort");
    const char *order = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "order");
    const char *state = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state");
    const char *text = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
    if (cli_parse_size(offset, DASH_MAX_OFFSET, &q->offset) != 0) {
        snprintf(err, errlen, "offset must be an integer from 0 to %u", DASH_MAX_OFFSET);
        return -1;
    }
    if (cli_parse_size(limit, RDATA_PAGE_MAX, &q->limit) != 0 || q->limit == 0) {
        snprintf(err, errlen, "limit must be an integer from 1 to %d", RDATA_PAGE_MAX);
        return -1;
    }
    if (sort != NULL) {
        if (strlen(sort) >= sizeof q->sort) {
            snprintf(err, errlen, "sort key too long");
            return -1;
        }
        snprintf(q->sort, sizeof q->sort, "%s", sort);
    }
    if (order != NULL) {
        if (strcmp(order, "desc") == 0)
            q->descending = 1;
        else if (strcmp(order, "asc") != 0) {
            snprintf(err, errlen, "order must be asc or desc");
            return -1;
        }
    }
    if (state != NULL && state[0] != '\0') {
        char copy[128];
        if (strlen(state) >= sizeof copy) {
            snprintf(err, errlen, "state list too long");
            return -1;
        }
        snprintf(copy, sizeof copy, "%s", state);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            hps_trial_state st;
            if (hps_trial_state_parse(tok, &st) != HPS_OK) {
                snprintf(err, errlen, "unknown state '%.40s' (WAITING, RUNNING, COMPLETE, PRUNED, FAIL, PAUSED)", tok);
                return -1;
            }
            q->state_mask |= 1 << st;
        }
    }
    if (text != NULL) {
        if (strlen(text) > RDATA_QUERY_MAX) {
            snprintf(err, errlen, "filter text longer than %d bytes", RDATA_QUERY_MAX);
            return -1;
        }
        snprintf(q->text, sizeof q->text, "%s", text);
    }
    return 0;
}

static enum MHD_Result serve_view(dashboard *dash, struct MHD_Connection *conn, const char *name)
{
    rcache_snap *snap;
    int status = 500;
    char err[1200];
    if (rcache_get(dash->cache, name, &snap, &status, err, sizeof err) != 0)
        return send_error(conn, (unsigned)status, err);
    char *copy = malloc(snap->view_len + 1);
    if (copy != NULL)
        memcpy(copy, snap->view, snap->view_len + 1);
    size_t len = snap->view_len;
    rcache_release(dash->cache, snap);
    if (copy == NULL)
        return send_error(conn, 500, "out of memory");
    return send_buffer(conn, 200, copy, len, MHD_RESPMEM_MUST_FREE,
                       "application/json; charset=utf-8");
}

static enum MHD_Result serve_page_of_trials(dashboard *dash, struct MHD_Connection *conn,
                                            const char *name)
{
    rdata_query q;
    char err[1200];
    if (parse_query(conn, &q, err, sizeof err) != 0)
        return send_error(conn, 400, err);
    rcache_snap *snap;
    int status = 500;
    if (rcache_get(dash->cache, name, &snap, &status, err, sizeof err) != 0)
        return send_error(conn, (unsigned)status, err);
    rjson_buf b;
    hps_strbuf_init(&b, RJSON_MAX);
    int rc = rdata_page_json(snap->data, &q, &b, err, sizeof err);
    rcache_release(dash->cache, snap);
    if (rc != 0) {
        hps_strbuf_free(&b);
        return send_error(conn, 400, err);
    }
    char *json = hps_strbuf_take(&b);
    return json != NULL ? send_json(conn, 200, json) : send_error(conn, 500, "out of memory");
}

static enum MHD_Result serve_trial(dashboard *dash, struct MHD_Connection *conn,
                                   const char *name, const char *number_text)
{
    size_t number;
    if (cli_parse_size(number_text, INT64_MAX, &number) != 0 || number_text[0] == '\0')
        return send_error(conn, 400, "a trial number is a non-negative integer");
    char *json = NULL, err[1200];
    int status = 500;
    if (rcache_trial(dash->cache, name, (int64_t)number, &json, &status, err, sizeof err) != 0)
        return send_error(conn, (unsigned)status, err);
    return send_json(conn, 200, json);
}

/* Routes /api/studies/REST: REST is NAME, NAME/trials or NAME/trials/NUMBER. The
 * path arrives percent-decoded, so a name may hold '/': the last "/trials" decides. */
static enum MHD_Result serve_study(dashboard *dash, struct MHD_Connection *conn,
                                   const char *rest)
{
    size_t len = strlen(rest);
    if (len == 0)
        return send_error(conn, 404, "which study?");
    char *name = strdup(rest);
    if (name == NULL)
        return send_error(conn, 500, "out of memory");
    enum MHD_Result ret;
    char *slash = strrchr(name, '/');
    if (len > 7 && strcmp(name + len - 7, "/trials") == 0) {
        name[len - 7] = '\0';
        ret = serve_page_of_trials(dash, conn, name);
    } else if (slash != NULL && slash > name + 6 && strncmp(slash - 7, "/trials", 7) == 0 &&
               slash[1] != '\0' && strspn(slash + 1, "0123456789") == strlen(slash + 1)) {
        *slash = '\0';
        slash[-7] = '\0';
        ret = serve_trial(dash, conn, name, slash + 1);
    } else {
        ret = serve_view(dash, conn, name);
    }
    free(name);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)con_cls;
    dashboard *dash = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        /* Nothing here changes a study; a body, if any, is never read. */
        *upload_data_size = 0;
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
        enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (dash->check_host &&
        !loopback_host(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        return send_error(conn, 403, "this dashboard answers requests for localhost only");
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
        return send_buffer(conn, 200, dash->page, dash->page_len, MHD_RESPMEM_PERSISTENT,
                           "text/html; charset=utf-8");
    if (strcmp(url, "/api/studies") == 0 || strcmp(url, "/api/studies/") == 0) {
        char *json = NULL, err[1200];
        if (rcache_list(dash->cache, &json, err, sizeof err) != 0)
            return send_error(conn, 500, err);
        return send_json(conn, 200, json);
    }
    if (strncmp(url, "/api/studies/", 13) == 0)
        return serve_study(dash, conn, url + 13);
    return send_error(conn, 404, "not found");
}

/* ---- starting and stopping ------------------------------------------------------- */

int dashboard_start(const dashboard_options *o, dashboard **out, unsigned *bound_port, char *err,
                    size_t errlen)
{
    *out = NULL;
    dashboard *dash = calloc(1, sizeof *dash);
    dash_boot boot = {o->refresh};
    rjson_buf page;
    hps_strbuf_init(&page, RJSON_MAX);
    if (dash == NULL || rpage_write(&page, "hpsearch dashboard", write_boot, &boot) != 0 ||
        page.failed) {
        snprintf(err, errlen, "cannot build the page");
        goto fail;
    }
    dash->check_host = o->loopback;
    dash->refresh = o->refresh;
    dash->page_len = page.len;
    dash->page = hps_strbuf_take(&page);
    if (dash->page == NULL || rcache_new(o->storage, &dash->cache) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
    if (o->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    dash->daemon = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, handle, dash,
                                    MHD_OPTION_SOCK_ADDR, o->addr,
                                    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)DASH_THREADS,
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)DASH_MAX_CONNECTIONS,
                                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)DASH_TIMEOUT_SECONDS,
                                    MHD_OPTION_END);
    if (dash->daemon == NULL) {
        snprintf(err, errlen, "cannot listen");
        hps_strbuf_free(&page);
        dashboard_stop(dash);
        return -2;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(dash->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info != NULL && info->port != 0 ? info->port : o->port;
    *out = dash;
    return 0;
fail:
    hps_strbuf_free(&page);
    dashboard_stop(dash);
    return -1;
}

void dashboard_stop(dashboard *dash)
{
    if (dash == NULL)
        return;
    if (dash->daemon != NULL)
        MHD_stop_daemon(dash->daemon);
    rcache_free(dash->cache);
    free(dash->page);
    free(dash);
}
