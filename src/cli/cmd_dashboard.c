/* cmd_dashboard.c -- `hpsearch dashboard [--storage URL] [--port P] [--host H]`: a
 * live local web page over a storage (src/report/dashboard.c serves it). Bound to
 * 127.0.0.1 unless --host says otherwise. */
#include "cli/cli.h"

#if HPS_HAVE_DASHBOARD
#include "report/dashboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: hpsearch dashboard [--storage URL] [--port P] [--host H] [--refresh S]\n"
          "\n"
          "Serves a live web page of the storage's studies (charts and trial table, the same\n"
          "views as `hpsearch report`) and their data as JSON under /api. Listens on\n"
          "127.0.0.1:8080 unless told otherwise (--port 0 picks a free port); the page polls\n"
          "every S seconds (default 5). Ctrl-C stops it.\n",
          out);
}

static int parse_port(const char *text, unsigned *port)
{
    size_t v;
    if (cli_parse_size(text, 65535, &v) != 0)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* The address to bind: an IPv4 or IPv6 literal, or "localhost". */
static int parse_host(const char *host, unsigned port, struct sockaddr_storage *addr,
                      int *ipv6, int *loopback)
{
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *ipv6 = 0;
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *ipv6 = 1;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return 0;
    }
    return -1;
}

int cmd_dashboard(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"storage", required_argument, NULL, 's'}, {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},    {"refresh", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *storage = CLI_DEFAULT_STORAGE, *host = "127.0.0.1";
    unsigned port = 8080;
    size_t refresh = 5;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:p:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            storage = optarg;
            break;
        case 'p':
            if (parse_port(optarg, &port) != 0) {
                cli_error("dashboard: --port must be 0..65535 (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'H':
            host = optarg;
            break;
        case 'r':
            if (cli_parse_size(optarg, 3600, &refresh) != 0 || refresh < 1) {
                cli_error("dashboard: --refresh must be 1..3600 seconds (got '%s')", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            cli_error("dashboard: unknown or incomplete option '%s'", argv[optind - 1]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("dashboard: unexpected argument '%s' (the storage is --storage URL)", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    struct sockaddr_storage addr;
    int ipv6, loopback;
    if (parse_host(host, port, &addr, &ipv6, &loopback) != 0) {
        cli_error("dashboard: --host must be an IP address or localhost (got '%s')", host);
        return CLI_EXIT_USAGE;
    }
    /* Fail now, not on the first request, when the storage cannot be read. */
    char *probe = NULL, err[1024];
    hps_status listed = hps_storage_list_studies(storage, &probe, err, sizeof err);
    if (listed != HPS_OK)
        return cli_open_failed("dashboard", listed, err, storage);
    hps_free(probe);

    /* The server's threads inherit this mask, so SIGINT and SIGTERM reach sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    dashboard_options options = {
        .storage = storage,
        .addr = (const struct sockaddr *)&addr,
        .port = port,
        .loopback = loopback,
        .refresh = (double)refresh,
    };
    dashboard *dash = NULL;
    unsigned bound;
    int started = dashboard_start(&options, &dash, &bound, err, sizeof err);
    if (started == -2)
        cli_error("dashboard: cannot listen on %s port %u (in use, or not an address of this "
                  "machine?)",
                  host, port);
    else if (started != 0)
        cli_error("dashboard: %s", err);
    if (started != 0)
        return CLI_EXIT_FAILED;
    char shown[512];
    printf("hpsearch dashboard: http://%s%s%s:%u/ (storage %s); Ctrl-C stops it\n",
           ipv6 ? "[" : "", host, ipv6 ? "]" : "", bound, cli_shown_url(storage, shown, sizeof shown));
    if (!loopback)
        cli_warn("dashboard: listening on %s: anyone who can reach this address can read the "
                 "studies",
                 host);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "hpsearch dashboard: stopped\n");
    dashboard_stop(dash);
    return CLI_EXIT_OK;
}

#else /* built with HPS_WITH_DASHBOARD=OFF */

int cmd_dashboard(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("dashboard: this build of hpsearch has no dashboard (configured with "
              "-DHPS_WITH_DASHBOARD=OFF); `hpsearch report` writes the same page as a file");
    return CLI_EXIT_USAGE;
}

#endif
