/* dashboard.h -- the live dashboard's HTTP server over a storage (libmicrohttpd): the
 * page of web/app.js in dashboard mode and the studies' data as JSON under /api, served
 * by a small thread pool until stopped. `hpsearch dashboard` parses its options, starts
 * one and waits for Ctrl-C. */
#ifndef HPS_REPORT_DASHBOARD_H
#define HPS_REPORT_DASHBOARD_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct dashboard dashboard;

typedef struct dashboard_options {
    const char *storage;          /* URL, read-only */
    const struct sockaddr *addr;  /* where to listen (an IPv4 or IPv6 address) */
    unsigned port;                /* 0: a free one */
    int loopback;                 /* addr is loopback: only loopback Host headers */
    double refresh;               /* seconds between the page's polls */
} dashboard_options;

/* Starts serving; *bound_port is the port it listens on. 0; -2 when it cannot listen
 * there (the port is taken, or the address not this machine's); -1 with the reason in
 * err otherwise. */
int dashboard_start(const dashboard_options *options, dashboard **out, unsigned *bound_port,
                    char *err, size_t errlen);
void dashboard_stop(dashboard *dash);

#endif
