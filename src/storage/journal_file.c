/* journal_file.c -- framed records and the lock file of the journal storage (see
 * journal_file.h for the format and the rules). */
#define _GNU_SOURCE
#include "storage/journal_file.h"

#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* No record of hpsearch's comes near this; a longer line is damage, not data. */
#define JOURNAL_MAX_RECORD ((size_t)1 << 30)
#define JOURNAL_READ_CHUNK ((size_t)1 << 20)
#define FRAME_HEAD 9 /* "xxxxxxxx " */

/* CRC-32 (IEEE, as zlib's), eight bytes per step ("slicing by 8"): replaying a large
 * journal checks every byte of it, and the one-byte table loop was an eighth of that. */
uint32_t journal_crc32(const void *data, size_t len)
{
    return journal_crc32_update(0, data, len);
}

uint32_t journal_crc32_update(uint32_t crc_so_far, const void *data, size_t len)
{
    static uint32_t table[8][256];
    static int ready; /* idempotent: racing threads compute the same tables */
    if (!ready) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[0][n] = c;
        }
        for (uint32_t n = 0; n < 256; n++)
            for (int t = 1; t < 8; t++)
                table[t][n] = table[0][table[t - 1][n] & 0xFF] ^ (table[t - 1][n] >> 8);
        ready = 1;
    }
    const unsigned char *p = data;
    uint32_t crc = crc_so_far ^ 0xFFFFFFFFu;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
              table[4][lo >> 24] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^
              table[0][p[7]];
    }
    for (; len > 0; len--, p++)
        crc = table[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* ---- the lock ------------------------------------------------------------------ */

static void write_owner(int fd)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char line[400];
    int n = snprintf(line, sizeof line, "%ld %s %.3f\n", (long)getpid(), host,
                     (double)time(NULL));
    if (n > 0 && write(fd, line, (size_t)n) < 0) {
        /* the owner line only helps break a stale lock; its age still tells */
    }
}

/* Whether an owner line ("PID HOST TIME") names this host and a process that no
 * longer exists. */
static int owner_is_gone_here(const char *owner)
{
    long pid = 0;
    char host[256] = "", mine[256] = "";
    gethostname(mine, sizeof mine - 1);
    return sscanf(owner, "%ld %255s", &pid, host) == 2 && pid > 0 && strcmp(host, mine) == 0 &&
           kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Reads the start of the owner line of the file `fd` into text[size]; -1 if it cannot. */
static int read_owner(int fd, char *text, size_t size)
{
    ssize_t got = read(fd, text, size - 1);
    if (got < 0)
        return -1;
    text[got] = '\0';
    return 0;
}

/* Whether the lock file, as found (identified by `sb`), was left by a writer that is
 * gone: its owner line names this host and a process that no longer exists, or the
 * file is older than the grace period. */
static int lock_is_stale(const char *lock_path, struct stat *sb)
{
    int fd = open(lock_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* released meanwhile: just try again */
    char text[400] = "";
    int rc = fstat(fd, sb) == 0 ? read_owner(fd, text, sizeof text) : -1;
    close(fd);
    if (rc != 0)
        return 0;
    if (owner_is_gone_here(text))
        return 1;
    return difftime(time(NULL), sb->st_mtime) > JOURNAL_LOCK_GRACE;
}

/* Removes the owner files (PATH.lock.PID.N, see journal_lock_acquire) of writers on
 * this host that were killed before they could remove theirs -- most often while
 * waiting for the lock -- which would otherwise pile up beside the journal. Only a
 * file whose owner line names a process that is gone is removed (a file from another
 * host cannot be judged and stays); and should a new process that reused the pid
 * have just written the same name, removing its file costs it only a retry (see
 * journal_lock_acquire). Called when a stale lock was broken: where killed writers
 * are, and rarely enough that reading the directory costs nothing. */
static void remove_dead_owner_files(const char *lock_path)
{
    const char *slash = strrchr(lock_path, '/');
    const char *base = slash != NULL ? slash + 1 : lock_path;
    char dir_path[4200];
    if (slash == NULL)
        snprintf(dir_path, sizeof dir_path, ".");
    else if (slash == lock_path)
        snprintf(dir_path, sizeof dir_path, "/");
    else if (snprintf(dir_path, sizeof dir_path, "%.*s", (int)(slash - lock_path), lock_path) >=
             (int)sizeof dir_path)
        return;
    DIR *dir = opendir(dir_path);
    if (dir == NULL)
        return;
    size_t base_len = strlen(base);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const char *p = e->d_name;
        unsigned long pid, serial;
        int end = 0;
        if (strncmp(p, base, base_len) != 0 || p[base_len] != '.' ||
            sscanf(p + base_len, ".%lu.%lu%n", &pid, &serial, &end) != 2 ||
            p[base_len + (size_t)end] != '\0')
            continue; /* not an owner file: PATH.lock.break, another journal's */
        char path[4200], text[400] = "";
        if (snprintf(path, sizeof path, "%s/%s", dir_path, p) >= (int)sizeof path)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        int rc = read_owner(fd, text, sizeof text);
        close(fd);
        if (rc == 0 && owner_is_gone_here(text))
            unlink(path);
    }
    closedir(dir);
}

/* Removes the stale lock, under a second lock of its own (PATH.lock.break, taken with
 * O_EXCL), and only after judging it stale again there. Without that, two processes
 * that judged the same dead lock stale could both act: the first removes it and a
 * writer takes the lock, then the second removes the live lock (an inode number can
 * even be reused by the new lock), and two writers append at once. Under the breaker
 * lock the lock file can change only by being taken after a removal, and a lock just
 * taken is not stale (its pid lives), so only a dead writer's lock is removed. A
 * breaker killed while holding PATH.lock.break leaves it behind; one older than
 * JOURNAL_BREAK_GRACE seconds is removed (breaking takes microseconds). What remains
 * is breaking a live lock held past JOURNAL_LOCK_GRACE, which no writer does: one
 * append takes milliseconds. */
static void break_lock(const char *lock_path)
{
    char breaker[4200];
    if (snprintf(breaker, sizeof breaker, "%s.break", lock_path) >= (int)sizeof breaker)
        return;
    int fd = open(breaker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        struct stat bs;
        if (errno == EEXIST && stat(breaker, &bs) == 0 &&
            difftime(time(NULL), bs.st_mtime) > JOURNAL_BREAK_GRACE)
            unlink(breaker);
        return; /* another process is breaking it: just try again */
    }
    close(fd);
    struct stat sb;
    if (lock_is_stale(lock_path, &sb) && unlink(lock_path) == 0)
        remove_dead_owner_files(lock_path);
    unlink(breaker);
}

/* Hard-links the prepared owner file `mine` as the lock: link() is atomic and never
 * overwrites, also on NFS, and the lock appears with its owner line already in it (a
 * writer killed right after taking it leaves a lock that says who it was). Over NFS a
 * link() whose reply was lost can report failure after succeeding; the link count of
 * `mine` tells (the classic check, as in liblockfile). 1 taken, 0 held, -1 error. */
static int take(const char *mine, const char *lock_path)
{
    if (link(mine, lock_path) == 0)
        return 1;
    int saved = errno;
    struct stat sb;
    if (stat(mine, &sb) == 0 && sb.st_nlink == 2)
        return 1;
    errno = saved;
    return saved == EEXIST ? 0 : -1;
}

/* Creates (or rewrites) the owner file `mine`. */
static int write_owner_file(const char *mine)
{
    int fd = open(mine, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    write_owner(fd);
    close(fd);
    return 0;
}

hps_status journal_lock_acquire(const char *lock_path, hps_errbuf *err)
{
    /* Atomic: two threads of one process with the same name would share one owner
     * file, and take()'s link-count check would tell both that they hold the lock. */
    static atomic_ulong serial;
    char mine[4200];
    if (snprintf(mine, sizeof mine, "%s.%ld.%lu", lock_path, (long)getpid(),
                 atomic_fetch_add(&serial, 1)) >=
        (int)sizeof mine)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "journal lock path %s is too long", lock_path);
    if (write_owner_file(mine) != 0)
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot create the journal lock %s: %s", mine,
                              strerror(errno));
    long wait_us = 50;
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (;;) {
        int taken = take(mine, lock_path);
        if (taken < 0 && errno == ENOENT && write_owner_file(mine) == 0)
            continue; /* `mine` was removed as a dead process's (a reused pid): made anew */
        if (taken != 0) {
            hps_status rc = taken > 0 ? HPS_OK
                                      : hps_errbuf_set(err, HPS_ERR_IO,
                                                       "cannot create the journal lock %s: %s",
                                                       lock_path, strerror(errno));
            unlink(mine);
            return rc;
        }
        struct stat sb;
        if (lock_is_stale(lock_path, &sb)) {
            break_lock(lock_path);
            continue;
        }
        /* Random back-off, so waiting writers do not retry in lock step. */
        struct timespec ts = {0, (wait_us + (long)(rand_r(&seed) % (unsigned)wait_us)) * 1000};
        nanosleep(&ts, NULL);
        if (wait_us < 5000)
            wait_us *= 2;
    }
}

void journal_lock_release(const char *lock_path)
{
    unlink(lock_path);
}

/* ---- reading --------------------------------------------------------------------- */

static int parse_crc(const char *p, uint32_t *crc)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *crc = v;
    return p[8] == ' ' ? 0 : -1;
}

/* Whether the line's frame holds and its CRC matches; *crc receives the CRC. */
static int line_valid(const char *line, size_t len, uint32_t *crc)
{
    return len >= FRAME_HEAD && parse_crc(line, crc) == 0 &&
           journal_crc32(line + FRAME_HEAD, len - FRAME_HEAD) == *crc;
}

typedef struct reader {
    char *buf;
    size_t len, cap;
} reader;

static hps_status fill(reader *r, int fd, const char *path, int *eof, hps_errbuf *err)
{
    if (r->cap - r->len < JOURNAL_READ_CHUNK) {
        if (r->len > JOURNAL_MAX_RECORD)
            return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                                  "journal %s: a record is longer than %zu bytes", path,
                                  JOURNAL_MAX_RECORD);
        void *items = r->buf;
        if (hps_mem_grow(&items, &r->cap, r->len + JOURNAL_READ_CHUNK, 1) != 0)
            return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        r->buf = items;
    }
    ssize_t got;
    do {
        got = read(fd, r->buf + r->len, r->cap - r->len);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot read journal %s: %s", path, strerror(errno));
    r->len += (size_t)got;
    *eof = got == 0;
    return HPS_OK;
}

hps_status journal_read(const char *path, uint64_t offset, int locked, journal_record_fn fn,
                        void *user, uint64_t *good_end, uint64_t *size, hps_errbuf *err)
{
    *good_end = offset;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return HPS_OK;
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot open journal %s: %s", path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        hps_status rc = hps_errbuf_set(err, HPS_ERR_IO, "cannot read journal %s: %s", path,
                                       strerror(errno));
        close(fd);
        return rc;
    }
    *size = (uint64_t)sb.st_size;
    if (*size <= offset) { /* nothing new, or the file was replaced: the caller decides */
        close(fd);
        return HPS_OK;
    }
    reader r = {0};
    hps_status rc = HPS_OK;
    uint64_t pos = offset; /* file offset of r.buf[0] */
    int eof = 0;
    while (rc == HPS_OK && !eof) {
        rc = fill(&r, fd, path, &eof, err);
        if (rc != HPS_OK)
            break; /* out of memory may leave no buffer at all, which memchr must not see */
        size_t start = 0;
        for (;;) {
            char *nl = memchr(r.buf + start, '\n', r.len - start);
            if (nl == NULL)
                break;
            size_t line_len = (size_t)(nl - (r.buf + start));
            int last = pos + (uint64_t)(nl - r.buf) + 1 >= *size;
            uint32_t crc = 0;
            int valid = line_valid(r.buf + start, line_len, &crc);
            if (!valid && last && !locked)
                break; /* may be a write whose bytes are not all visible yet */
            uint64_t end = pos + start + line_len + 1;
            if (valid)
                rc = fn(user, r.buf + start + FRAME_HEAD, line_len - FRAME_HEAD, crc, end);
            if (rc != HPS_OK)
                break;
            *good_end = end;
            start += line_len + 1;
        }
        memmove(r.buf, r.buf + start, r.len - start);
        r.len -= start;
        pos += start;
    }
    hps_mem_free(r.buf);
    close(fd);
    return rc;
}

/* ---- appending ------------------------------------------------------------------- */

static hps_status write_all(int fd, struct iovec *iov, int n, uint64_t at)
{
    while (n > 0) {
        ssize_t done = pwritev(fd, iov, n, (off_t)at);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return HPS_ERR_IO;
        }
        at += (uint64_t)done;
        while (n > 0 && (size_t)done >= iov->iov_len) {
            done -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= (size_t)done;
        }
    }
    return HPS_OK;
}

hps_status journal_append(const char *path, uint64_t good_end, const char *payload,
                          size_t len, hps_errbuf *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot open journal %s for writing: %s", path,
                              strerror(errno));
    struct stat sb;
    hps_status rc = HPS_OK;
    if (fstat(fd, &sb) != 0) {
        rc = HPS_ERR_IO;
    } else if ((uint64_t)sb.st_size < good_end) {
        close(fd);
        return hps_errbuf_set(err, HPS_ERR_CORRUPT,
                              "journal %s is shorter than what was read of it: it was cut or "
                              "replaced behind hpsearch's back",
                              path);
    } else if ((uint64_t)sb.st_size > good_end && ftruncate(fd, (off_t)good_end) != 0) {
        rc = HPS_ERR_IO; /* cutting off the torn record of a writer that died */
    }
    if (rc == HPS_OK) {
        char head[FRAME_HEAD + 1];
        snprintf(head, sizeof head, "%08x ", (unsigned)journal_crc32(payload, len));
        struct iovec iov[3] = {
            {head, FRAME_HEAD}, {(void *)payload, len}, {(void *)"\n", 1}};
        rc = write_all(fd, iov, 3, good_end);
    }
    if (rc != HPS_OK) {
        int saved = errno;
        if (ftruncate(fd, (off_t)good_end) != 0) {
            /* the next writer cuts the torn record off */
        }
        close(fd);
        return hps_errbuf_set(err, rc, "cannot write journal %s: %s", path, strerror(saved));
    }
    /* No fsync, as SQLite's WAL with synchronous=NORMAL: a killed process loses
     * nothing (the data is in the kernel), and on NFS close() sends the data to the
     * server before it returns (close-to-open consistency), which is what the next
     * writer on another node reads. Only a power loss of the machine holding the disk
     * may take the last records, never a record in the middle. */
    if (close(fd) != 0) /* NFS reports a failed write-back here */
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot write journal %s: %s", path,
                              strerror(errno));
    return HPS_OK;
}
