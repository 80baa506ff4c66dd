/* cmd_report.c -- `hpsearch report STUDY|CONFIG [--storage URL] [-o FILE]`: one
 * self-contained HTML file with the study's charts and trial table, viewable offline. */
#include "cli/cli.h"
#include "report/report_data.h"
#include "report/report_page.h"
#include "report/web_assets.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct report_boot {
    const rdata_study *data;
} report_boot;

static void write_boot(rjson_buf *b, const void *ctx)
{
    const report_boot *boot = ctx;
    hps_strbuf_puts(b, "{\"mode\":\"report\",\"version\":");
    rjson_string(b, HPS_VERSION_STRING);
    hps_strbuf_puts(b, ",\"echarts\":");
    rjson_string(b, hps_web_echarts_version);
    hps_strbuf_puts(b, ",\"view\":");
    rdata_view_json(boot->data, b);
    hps_strbuf_puts(b, ",\n\"rows\":");
    rdata_rows_json(boot->data, b);
    hps_strbuf_putc(b, '}');
}

/* Writes through a temporary file in the same directory and renames it, so a reader
 * never sees half a report and a failed write leaves the old one. */
static int write_file(const char *path, const char *text, size_t len)
{
    if (strcmp(path, "-") == 0)
        return fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = -1;
    if (f != NULL) {
        size_t written = fwrite(text, 1, len, f);
        int closed = fclose(f);
        if (written == len && closed == 0 && rename(tmp, path) == 0)
            rc = 0;
    }
    if (rc != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return rc;
}

static void usage(FILE *out)
{
    fputs("usage: hpsearch report STUDY|CONFIG.yaml [--storage URL] [-o FILE]\n"
          "\n"
          "Writes one self-contained HTML file (default report.html; '-' for stdout) with the\n"
          "optimization history, parameter importances, parallel coordinates, slices, a\n"
          "contour of the two most important parameters, intermediate values with pruned\n"
          "trials marked, the strategy of each trial and a sortable, filterable trial table.\n"
          "It needs no network to view.\n",
          out);
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"storage", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *storage = NULL, *output = "report.html";
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            storage = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            cli_error("report: unknown or incomplete option '%s'", argv[optind - 1]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("report: which study? usage: hpsearch report STUDY|CONFIG.yaml [--storage URL] "
                  "[-o FILE]");
        return CLI_EXIT_USAGE;
    }
    const char *arg = argv[optind++];
    if (optind < argc) {
        cli_error("report: unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (output[0] == '\0') {
        cli_error("report: -o needs a file name");
        return CLI_EXIT_USAGE;
    }

    cli_target target;
    hps_study *study = NULL;
    int rc = rdata_open("report", arg, storage, &target, &study);
    if (rc != 0)
        return rc;
    double t0 = cli_monotonic();
    rdata_study *data = NULL;
    char err[1024];
    rjson_buf page;
    hps_strbuf_init(&page, RJSON_MAX);
    if (rdata_load(study, 1, &data, err, sizeof err) != 0) {
        cli_error("report: study '%s': %s", target.study, err);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    report_boot boot = {data};
    if (rpage_write(&page, data->name, write_boot, &boot) != 0) {
        cli_error("report: this hpsearch was built with web assets that cannot be embedded");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (page.failed) {
        cli_error("report: out of memory writing the report of '%s'", target.study);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (write_file(output, page.data, page.len) != 0) {
        cli_error("report: cannot write %s: %s", output, strerror(errno));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (strcmp(output, "-") != 0) {
        fprintf(stderr, "wrote %s: study '%s', %zu trials, %.1f MB, in %.2f s\n", output,
                data->name, data->n_rows, (double)page.len / 1e6, cli_monotonic() - t0);
        if (data->n_rows == 0)
            fprintf(stderr, "note: study '%s' has no trials yet; the report says so\n", data->name);
        if (hps_web_echarts_js_len == 0)
            cli_warn("this hpsearch was built without the charting library "
                     "(-DHPS_WEB_CHARTS=OFF): the report has no charts");
    }
out:
    hps_strbuf_free(&page);
    rdata_free(data);
    hps_study_close(study);
    cli_target_clear(&target);
    return rc;
}
