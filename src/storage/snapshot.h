/* snapshot.h -- the journal's snapshot file (PATH.snapshot): the state of a journal's
 * replica at a byte offset of its log, in binary, so that opening a long journal
 * loads the state and replays only the records appended after that offset.
 *
 * The file is a cache, never the data: it is written now and then by whichever process
 * has the replayed state in memory (see journal.c for when), by writing a temporary
 * file in the same directory and renaming it over PATH.snapshot, so a reader sees a
 * whole old or a whole new file, and concurrent writers only replace each other's.
 * Layout (integers little-endian, doubles as their IEEE-754 bits):
 *
 *   "HPSJSNAP"  format version (u32)  0 (u32)  log offset (u64)
 *   length (u32) and CRC field (u32) of the log's last record before the offset
 *   body length (u64)  body  CRC-32 of everything before it (u32)
 *
 * A reader takes the snapshot only when all of it checks out: magic, a version it
 * knows, the exact length, the CRC, an offset inside the log, and the log's record
 * ending at the offset being the one the snapshot names -- a log deleted and begun
 * again has other records there (their CRCs cover times to the microsecond). Anything
 * else: the snapshot is ignored and the whole log replayed.
 *
 * The body is written and read with the helpers below; memory.c encodes its studies
 * (hps_memory_encode / hps_memory_decode in storage.h). */
#ifndef HPS_SNAPSHOT_H
#define HPS_SNAPSHOT_H

#include "base/errbuf.h"
#include "base/trial_rec.h"

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the body's layout changes, or what the replica does with a record
 * (then a snapshot holds the old decisions): a reader ignores other versions. */
#define SNAPSHOT_VERSION 2 /* 2: a step's values of the other objectives */

/* Ties a snapshot to the log's prefix it describes: the record ending at `offset`. */
typedef struct snapshot_tie {
    uint64_t offset;   /* log bytes the state covers (a record's end) */
    uint32_t line_len; /* length of the record ending there, frame and '\n' included */
    uint32_t crc;      /* that record's CRC (the frame's 8 hex digits) */
} snapshot_tie;

/* An output buffer; any failed allocation sets `failed` and later puts do nothing. */
typedef struct snap_out {
    unsigned char *data;
    size_t len, cap;
    int failed;
} snap_out;

/* An input cursor; reading past the end or a malformed field sets `failed` and later
 * gets return zeros / NULL. */
typedef struct snap_in {
    const unsigned char *p;
    size_t left;
    int failed;
} snap_in;

void snap_put_u8(snap_out *o, unsigned v);
void snap_put_u32(snap_out *o, uint32_t v);
void snap_put_u64(snap_out *o, uint64_t v);
void snap_put_f64(snap_out *o, double v);
/* NULL is kept apart from "". */
void snap_put_str(snap_out *o, const char *s);
/* A JSON value as its compact text; NULL stays NULL. */
void snap_put_json(snap_out *o, const json_t *v);
void snap_put_trial(snap_out *o, const hps_frozen *rec);

unsigned snap_get_u8(snap_in *in);
uint32_t snap_get_u32(snap_in *in);
uint64_t snap_get_u64(snap_in *in);
double snap_get_f64(snap_in *in);
/* A count of items of at least `item_size` bytes each: more than the bytes left is
 * damage (and would ask for a huge allocation). */
size_t snap_get_count(snap_in *in, size_t item_size);
/* A string (caller frees), NULL for a stored NULL or on failure (see in->failed). */
char *snap_get_str(snap_in *in);
json_t *snap_get_json(snap_in *in);
/* A trial record (caller frees), NULL on failure (out of memory or damage). */
hps_frozen *snap_get_trial(snap_in *in);

/* Writes `body` as the snapshot file `snap_path` for the log prefix `tie`: a
 * temporary file beside it, renamed over it. HPS_ERR_IO / HPS_ERR_NOMEM, with the
 * temporary file removed. */
hps_status snapshot_write(const char *snap_path, const snapshot_tie *tie, const snap_out *body,
                          hps_errbuf *err);

/* Reads `snap_path` and checks it against the log `log_path` (see the top). 1 with
 * *data (caller frees with hps_mem_free), *body over the body in it and *tie; 0 when
 * there is no usable snapshot, whatever the reason. */
int snapshot_read(const char *snap_path, const char *log_path, unsigned char **data,
                  snap_in *body, snapshot_tie *tie);

/* The log offset an existing snapshot file claims to cover, from its header only (no
 * check of the rest); 0 when there is none. Lets a process see that another has
 * written a recent snapshot before writing its own. */
uint64_t snapshot_peek_offset(const char *snap_path);

#endif
