/* url.h -- storage URLs, parsed in one place: which backend a URL names, where an SQLite
 * URL's file is (the public hps_storage_url_kind), and where the passwords in a
 * PostgreSQL URL are, found the way libpq finds them, so that hps_storage_url_redact and
 * the backend's messages never show one. */
#ifndef HPS_STORAGE_URL_H
#define HPS_STORAGE_URL_H

#include "hpsearch.h"

#include <stddef.h>

/* Bounds of the user info ("user:password" before the '@'), if any. libpq takes it up
 * to the first '@' before the first '/'; a password holding an unencoded '@' or '/'
 * would be cut there and its pieces quoted in libpq's errors, so this is generous: up to
 * the last '@' before the first '/', or, when there is none, up to an '@' between that
 * '/' and the query. *malformed tells that libpq would misread the URL. */
int hps_url_userinfo(const char *url, size_t *start, size_t *end, int *malformed);
/* Bounds of the password in the user info, if any. */
int hps_url_userinfo_password(const char *url, size_t *start, size_t *end);
/* Bounds of the value of the first password= query parameter whose value starts after
 * `from`, if any (libpq takes the last of several, so each is a secret). */
int hps_url_query_password(const char *url, size_t from, size_t *start, size_t *end);
/* A hex digit's value, or -1. */
int hps_url_hex_value(char c);

#endif
