/* postgres.h -- the PostgreSQL storage backend ("postgresql://user:password@host:port/db").
 *
 * Internal to the library: hps_storage_open dispatches here for postgresql:// and
 * postgres:// URLs. */
#ifndef HPS_STORAGE_POSTGRES_H
#define HPS_STORAGE_POSTGRES_H

#include "storage/storage.h"

#include <stddef.h>

/* Opens a PostgreSQL storage from a libpq URI. The schema (tables hps_*, in the first
 * schema of the connection's search_path) is created on first use with
 * HPS_STORAGE_CREATE; without it, a database lacking the schema is HPS_ERR_NOTFOUND.
 * A server that cannot be reached now is an error at once; a connection lost later is
 * retried. */
hps_status hps_postgres_storage_open(const char *url, hps_storage_mode mode, hps_storage **out,
                                     hps_errbuf *err);

/* What hps_postgres_storage_open does with `url` before it connects -- the checks that
 * refuse a malformed URL and the collection of its passwords -- then `message` (say, an
 * error of libpq's quoting the URL) written into `out` as the storage would show it, with
 * every password replaced by "***". Connects to nothing; for the fuzzer
 * (tests/fuzz/fuzz_storage_url.c), which cannot reach the pure parts otherwise. Returns
 * the status opening would fail with, or HPS_OK. */
hps_status hps_postgres_check_url(const char *url, const char *message, char *out, size_t size,
                                  hps_errbuf *err);

#endif
