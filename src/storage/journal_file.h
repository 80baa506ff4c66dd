/* journal_file.h -- the journal storage's file: framed records appended under a lock
 * file that holds on NFS and Lustre.
 *
 * A record is one line: eight hex digits of the CRC-32 of the payload, a space, the
 * payload (compact JSON, which never holds a raw newline) and '\n'. A line without its
 * '\n' is a record still being written, or torn by a writer that died: readers stop
 * before it, and the next writer (holding the lock, so no writer is alive mid-record)
 * cuts it off. A complete line whose checksum does not match is skipped.
 *
 * The lock is a file beside the log (PATH.lock), made by hard-linking a file that names
 * its owner (pid, host, time): link() is atomic on NFS and Lustre, unlike fcntl/flock
 * locks there. Knowing the owner, a lock left by a killed writer can be broken (see
 * break_lock in journal_file.c), and the owner files (PATH.lock.PID.N) of writers on
 * this host killed while waiting for it removed. */
#ifndef HPS_JOURNAL_FILE_H
#define HPS_JOURNAL_FILE_H

#include "base/errbuf.h"

#include <stddef.h>
#include <stdint.h>

/* A lock held longer than this many seconds is taken to be left by a dead writer on
 * another machine (writers hold it for one append: milliseconds). */
#define JOURNAL_LOCK_GRACE 60.0
/* Seconds after which a lock breaker's own lock (PATH.lock.break) counts as left by a
 * killed breaker: breaking takes microseconds. */
#define JOURNAL_BREAK_GRACE 10.0

uint32_t journal_crc32(const void *data, size_t len);
/* The CRC-32 of the bytes whose CRC is `crc_so_far` followed by `data` (0 to start),
 * as zlib's crc32(). */
uint32_t journal_crc32_update(uint32_t crc_so_far, const void *data, size_t len);

/* Takes the lock file `lock_path`, waiting as long as another writer holds it, and
 * breaking a stale one. HPS_ERR_IO when the file cannot be created for another reason
 * than being held. */
hps_status journal_lock_acquire(const char *lock_path, hps_errbuf *err);
void journal_lock_release(const char *lock_path);

/* Receives the payload of one valid record (not NUL-terminated), its CRC and the file
 * offset just past it. Non-zero stops the read with that status. */
typedef hps_status (*journal_record_fn)(void *user, const char *payload, size_t len,
                                        uint32_t crc, uint64_t end_offset);

/* Reads the records of `path` from byte `offset` on, calling fn for each valid one.
 * *good_end receives the offset past the last complete line (where a torn tail
 * starts), *size the file's size. `locked`: the caller holds the lock, so a bad last
 * line is damage to skip rather than a write still under way. A missing file reads as
 * empty. */
hps_status journal_read(const char *path, uint64_t offset, int locked, journal_record_fn fn,
                        void *user, uint64_t *good_end, uint64_t *size, hps_errbuf *err);

/* Appends the framed payload at `good_end`, first cutting off whatever torn tail lies
 * past it; creates the file (mode 0640) if needed. Caller holds the lock. On failure
 * the file is cut back to `good_end`. */
hps_status journal_append(const char *path, uint64_t good_end, const char *payload,
                          size_t len, hps_errbuf *err);

#endif
