/* fuzz_storage_url.c -- libFuzzer harness for storage URLs: the dispatch of
 * hps_storage_open (src/storage/storage.c), the redaction that keeps passwords out of
 * printed URLs (cli_shown_url, hps_storage_url_redact) and what the PostgreSQL
 * backend does with a URL before it connects (hps_postgres_check_url).
 *
 * Nothing here may create files or open sockets, so only ":memory:" URLs are really
 * opened; sqlite: and postgres URLs stop at the parts that touch neither. A PostgreSQL
 * URL is also parsed by libpq, as the backend's connect would: libpq's message about it
 * is scrubbed as the backend scrubs it, and the password libpq would use must not
 * survive the scrubbing -- else a typo in a URL could print the password. */
#include "fuzz.h"
#include "cli/cli.h"
#include "storage/postgres.h"
#include "storage/storage.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* The password libpq reads from the URL (malloc'ed), or NULL. */
static char *libpq_password(const char *url, char **errmsg)
{
    *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, errmsg);
    if (opts == NULL)
        return NULL;
    char *password = NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            password = strdup(o->val);
    PQconninfoFree(opts);
    return password;
}

static void check_postgres(const char *url)
{
    char out[512];
    hps_errbuf err;
    hps_errbuf_clear(&err);
    /* the URL itself stands in for a message quoting it */
    hps_status rc = hps_postgres_check_url(url, url, out, sizeof out, &err);
    check(rc == HPS_OK || hps_errbuf_text(&err)[0] != '\0');
    check(hps_postgres_check_url(url, url, out, 0, &err) == rc);
    check(hps_postgres_check_url(url, url, out, 1, &err) == rc && (rc != HPS_OK || out[0] == '\0'));

    char *errmsg;
    char *password = libpq_password(url, &errmsg);
    if (errmsg != NULL) {
        hps_postgres_check_url(url, errmsg, out, sizeof out, &err);
        PQfreemem(errmsg);
    }
    /* A password holding '*' could be rebuilt from the "***" put in its place, and one
     * near the buffer's size is cut; neither says anything about the scrubbing. */
    if (rc == HPS_OK && password != NULL && password[0] != '\0' &&
        strchr(password, '*') == NULL && strlen(password) < 200) {
        check(hps_postgres_check_url(url, password, out, sizeof out, &err) == HPS_OK);
        check(strstr(out, password) == NULL);
    }
    free(password);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *url = fuzz_cstring(data, size);
    if (url == NULL)
        return 0;

    /* redaction into buffers of every interesting size: always terminated, never more */
    char shown[300];
    for (size_t n = 1; n <= 16; n += 5) {
        memset(shown, 'x', sizeof shown);
        cli_shown_url(url, shown, n);
        check(strlen(shown) < n);
    }
    cli_shown_url(url, shown, sizeof shown);
    hps_storage_url_redact(url, shown, 0);
    hps_storage_url_redact(NULL, shown, sizeof shown);
    check(shown[0] == '\0');

    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0) {
        check_postgres(url);
    } else if (strncmp(url, "sqlite:", 7) != 0) {
        /* ":memory:" opens; every other scheme must be refused without touching anything */
        hps_storage *s = NULL;
        hps_errbuf err;
        hps_errbuf_clear(&err);
        hps_status rc = hps_storage_open(url, HPS_STORAGE_EXISTING, &s, &err);
        check((rc == HPS_OK) == (s != NULL));
        if (strcmp(url, ":memory:") != 0)
            check(rc != HPS_OK && hps_errbuf_text(&err)[0] != '\0');
        hps_storage_close(s);
    }
    free(url);
    return 0;
}
