/* url.c -- storage URLs: which backend, where the SQLite file is, and the passwords in
 * them, found the way libpq finds them so that none is ever shown. */
#include "storage/url.h"

#include <string.h>


/* Bounds of the user info of a URL ("user:password" before the '@'), if any. libpq
 * takes it up to the first '@' before the first '/'; a password holding an unencoded
 * '@' or '/' would be cut there and its pieces quoted in libpq's errors. So this is
 * generous: up to the last '@' before the first '/', or, when there is none, up to an
 * '@' between that '/' and the query (a '/' in the password). *malformed tells that the
 * URL is one of those libpq would misread. */
int hps_url_userinfo(const char *url, size_t *start, size_t *end, int *malformed)
{
    *malformed = 0;
    const char *scheme = strstr(url, "://");
    if (scheme == NULL)
        return 0;
    const char *auth = scheme + 3;
    const char *slash = auth + strcspn(auth, "/");
    const char *query = slash + strcspn(slash, "?");
    const char *at = NULL;
    int n_at = 0;
    for (const char *p = auth; p < slash; p++) {
        if (*p == '@') {
            at = p;
            n_at++;
        }
    }
    if (at == NULL) {
        for (const char *p = slash; p < query; p++)
            if (*p == '@')
                at = p;
        if (at == NULL)
            return 0;
        n_at = 2;
    }
    *malformed = n_at > 1;
    *start = (size_t)(auth - url);
    *end = (size_t)(at - url);
    return 1;
}

/* Bounds of the password in the user info, if any. */
int hps_url_userinfo_password(const char *url, size_t *start, size_t *end)
{
    size_t info_start, info_end;
    int malformed;
    if (!hps_url_userinfo(url, &info_start, &info_end, &malformed))
        return 0;
    const char *colon = memchr(url + info_start, ':', info_end - info_start);
    if (colon == NULL)
        return 0;
    *start = (size_t)(colon + 1 - url);
    *end = info_end;
    return 1;
}

/* Whether the query parameter at `p` has the key `name`. libpq percent-decodes keys as
 * well as values, so "pass%77ord=..." sets the password too. */
static int query_key_is(const char *p, const char *name)
{
    for (; *name != '\0'; name++) {
        int c = (unsigned char)*p;
        if (c == '%' && hps_url_hex_value(p[1]) >= 0 && hps_url_hex_value(p[2]) >= 0) {
            c = hps_url_hex_value(p[1]) * 16 + hps_url_hex_value(p[2]);
            p += 3;
        } else if (c == '\0') {
            return 0;
        } else {
            p++;
        }
        if (c != (unsigned char)*name)
            return 0;
    }
    return *p == '=';
}

/* Bounds of the value of the first password parameter of the query whose value starts
 * after `from`, if any. libpq takes the last of several, so every one is a
 * secret. The query starts at the first '?' after the user info: a password may hold
 * a '?' (libpq ends the user info only at '@' or '/'). */
int hps_url_query_password(const char *url, size_t from, size_t *start, size_t *end)
{
    size_t info_start, info_end;
    int malformed;
    const char *query = strchr(url, '?');
    if (hps_url_userinfo(url, &info_start, &info_end, &malformed))
        query = strchr(url + info_end, '?');
    if (query == NULL)
        return 0;
    for (const char *p = query; p != NULL && *p != '\0'; p = strchr(p + 1, '&')) {
        if (query_key_is(p + 1, "password")) {
            const char *value = strchr(p + 1, '=') + 1;
            if ((size_t)(value - url) <= from)
                continue;
            const char *stop = strchr(value, '&');
            *start = (size_t)(value - url);
            *end = stop != NULL ? (size_t)(stop - url) : strlen(url);
            return 1;
        }
    }
    return 0;
}

void hps_storage_url_redact(const char *url, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    if (url == NULL)
        return;
    size_t len = 0, pos = 0, total = strlen(url), start, end;
    /* the user info's password, then each query password after what was replaced */
    int found = hps_url_userinfo_password(url, &start, &end);
    for (;;) {
        if (!found)
            found = hps_url_query_password(url, pos, &start, &end);
        size_t stop = found ? start : total;
        for (; pos < stop && len + 1 < size; pos++)
            out[len++] = url[pos];
        if (!found)
            break;
        for (const char *m = "***"; *m != '\0' && len + 1 < size; m++)
            out[len++] = *m;
        pos = end;
        found = 0;
    }
    out[len] = '\0';
}

int hps_url_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

hps_status hps_storage_url_kind(const char *url, hps_storage_kind *kind, const char **sqlite_path)
{
    if (sqlite_path != NULL)
        *sqlite_path = NULL;
    if (url == NULL || url[0] == '\0')
        return HPS_ERR_INVALID;
    if (strcmp(url, ":memory:") == 0) {
        *kind = HPS_STORAGE_MEMORY;
        return HPS_OK;
    }
    if (strncmp(url, "sqlite:", 7) == 0) {
        const char *path = url + 7;
        /* Optuna and SQLAlchemy write sqlite:///relative.db and sqlite:////abs.db */
        if (strncmp(path, "///", 3) == 0)
            path += 3;
        if (path[0] == '\0')
            return HPS_ERR_INVALID;
        /* SQLite's name for a private database: that is the memory backend (an SQLite
         * open would also leave an empty file named ":memory:" behind). */
        if (strcmp(path, ":memory:") == 0) {
            *kind = HPS_STORAGE_MEMORY;
            return HPS_OK;
        }
        *kind = HPS_STORAGE_SQLITE;
        if (sqlite_path != NULL)
            *sqlite_path = path;
        return HPS_OK;
    }
    if (strncmp(url, "journal:", 8) == 0) {
        const char *path = url + 8;
        if (strncmp(path, "///", 3) == 0)
            path += 3;
        if (path[0] == '\0')
            return HPS_ERR_INVALID;
        *kind = HPS_STORAGE_JOURNAL;
        if (sqlite_path != NULL)
            *sqlite_path = path;
        return HPS_OK;
    }
    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0) {
        *kind = HPS_STORAGE_POSTGRES;
        return HPS_OK;
    }
    return HPS_ERR_INVALID;
}
