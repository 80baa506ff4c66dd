/* snapshot.c -- the journal's snapshot file: binary encoding helpers, trial records,
 * and writing and checking the file (see snapshot.h for the layout and the rules). */
#define _GNU_SOURCE
#include "storage/snapshot.h"

#include "base/dist.h"
#include "base/mem.h"
#include "storage/journal_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "HPSJSNAP"
#define SNAP_HEAD 40 /* magic 8, version 4, zero 4, offset 8, line_len 4, crc 4, body 8 */
#define SNAP_NULL_STR UINT32_MAX
/* No snapshot of a study hpsearch can hold in memory comes near this. */
#define SNAP_MAX_FILE ((uint64_t)1 << 40)
#define JSON_SNAP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

/* ---- writing the body --------------------------------------------------------------- */

static void put_bytes(snap_out *o, const void *bytes, size_t n)
{
    if (o->failed)
        return;
    if (o->cap - o->len < n) {
        void *items = o->data;
        if (n > SIZE_MAX - o->len || hps_mem_grow(&items, &o->cap, o->len + n, 1) != 0) {
            o->failed = 1;
            return;
        }
        o->data = items;
    }
    if (n > 0)
        memcpy(o->data + o->len, bytes, n);
    o->len += n;
}

/* Fixed byte order, so a snapshot written on one node reads on any other. */
static void le_store(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le_load(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

void snap_put_u8(snap_out *o, unsigned v)
{
    unsigned char b = (unsigned char)v;
    put_bytes(o, &b, 1);
}

void snap_put_u32(snap_out *o, uint32_t v)
{
    unsigned char b[4];
    le_store(b, v, 4);
    put_bytes(o, b, 4);
}

void snap_put_u64(snap_out *o, uint64_t v)
{
    unsigned char b[8];
    le_store(b, v, 8);
    put_bytes(o, b, 8);
}

/* The bits, so every double (NaN payloads, -0.0, infinities) comes back the same. */
void snap_put_f64(snap_out *o, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    snap_put_u64(o, bits);
}

static void put_text(snap_out *o, const char *s, size_t n)
{
    if (n >= SNAP_NULL_STR) {
        o->failed = 1;
        return;
    }
    snap_put_u32(o, (uint32_t)n);
    put_bytes(o, s, n);
}

void snap_put_str(snap_out *o, const char *s)
{
    if (s == NULL)
        snap_put_u32(o, SNAP_NULL_STR);
    else
        put_text(o, s, strlen(s));
}

/* As text: jansson keeps an object's key order and prints reals with 17 digits, so
 * parsing it back gives the same values in the same order. */
void snap_put_json(snap_out *o, const json_t *v)
{
    if (v == NULL) {
        snap_put_u32(o, SNAP_NULL_STR);
        return;
    }
    char *text = json_dumps(v, JSON_SNAP_FLAGS);
    if (text == NULL) {
        o->failed = 1;
        return;
    }
    put_text(o, text, strlen(text));
    free(text);
}

static void put_dist(snap_out *o, const hps_dist *d)
{
    snap_put_u8(o, (unsigned)d->kind);
    snap_put_u32(o, d->flags);
    snap_put_f64(o, d->low);
    snap_put_f64(o, d->high);
    snap_put_f64(o, d->step);
    snap_put_u32(o, (uint32_t)d->n_choices);
    for (size_t i = 0; i < d->n_choices; i++) {
        const hps_value *c = &d->choices[i];
        snap_put_u8(o, (unsigned)c->type);
        if (c->type == HPS_VALUE_STRING)
            snap_put_str(o, c->u.s);
        else if (c->type == HPS_VALUE_INT)
            snap_put_u64(o, (uint64_t)c->u.i);
        else if (c->type == HPS_VALUE_FLOAT)
            snap_put_f64(o, c->u.f);
        else if (c->type == HPS_VALUE_BOOL)
            snap_put_u8(o, c->u.b != 0);
    }
}

/* Every stored field of the record; the *_text members are caches rendered on demand. */
void snap_put_trial(snap_out *o, const hps_frozen *rec)
{
    snap_put_u64(o, (uint64_t)rec->id);
    snap_put_u64(o, (uint64_t)rec->number);
    snap_put_u8(o, (unsigned)rec->state);
    snap_put_u8(o, rec->interrupted != 0);
    snap_put_u64(o, (uint64_t)rec->grid_pos);
    snap_put_u32(o, (uint32_t)rec->n_values);
    for (size_t i = 0; i < rec->n_values; i++)
        snap_put_f64(o, rec->values[i]);
    snap_put_u32(o, (uint32_t)rec->n_params);
    for (size_t i = 0; i < rec->n_params; i++) {
        snap_put_str(o, rec->params[i].name);
        put_dist(o, &rec->params[i].dist);
        snap_put_f64(o, rec->params[i].internal);
    }
    snap_put_u32(o, (uint32_t)rec->n_inter);
    for (size_t i = 0; i < rec->n_inter; i++) {
        const hps_inter_rec *r = &rec->inter[i];
        snap_put_u64(o, (uint64_t)r->step);
        snap_put_f64(o, r->value);
        snap_put_u32(o, (uint32_t)r->n_more);
        for (size_t k = 0; k < r->n_more; k++)
            snap_put_f64(o, r->more[k]);
    }
    snap_put_json(o, rec->user_attrs);
    snap_put_json(o, rec->system_attrs);
    snap_put_f64(o, rec->datetime_start);
    snap_put_f64(o, rec->datetime_complete);
    snap_put_f64(o, rec->heartbeat);
    snap_put_str(o, rec->worker);
    snap_put_u64(o, (uint64_t)rec->change_seq);
}

/* ---- reading the body --------------------------------------------------------------- */

static const unsigned char *take(snap_in *in, size_t n)
{
    if (in->failed || in->left < n) {
        in->failed = 1;
        return NULL;
    }
    const unsigned char *p = in->p;
    in->p += n;
    in->left -= n;
    return p;
}

unsigned snap_get_u8(snap_in *in)
{
    const unsigned char *p = take(in, 1);
    return p != NULL ? *p : 0;
}

uint32_t snap_get_u32(snap_in *in)
{
    const unsigned char *p = take(in, 4);
    return p != NULL ? (uint32_t)le_load(p, 4) : 0;
}

uint64_t snap_get_u64(snap_in *in)
{
    const unsigned char *p = take(in, 8);
    return p != NULL ? le_load(p, 8) : 0;
}

double snap_get_f64(snap_in *in)
{
    uint64_t bits = snap_get_u64(in);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

size_t snap_get_count(snap_in *in, size_t item_size)
{
    uint64_t n = snap_get_u64(in);
    if (item_size == 0 || n > in->left / item_size) {
        in->failed = 1;
        return 0;
    }
    return (size_t)n;
}

static size_t get_count32(snap_in *in, size_t item_size)
{
    uint32_t n = snap_get_u32(in);
    if (n > in->left / item_size) {
        in->failed = 1;
        return 0;
    }
    return n;
}

/* The bytes of a stored string (not NUL-terminated) and its length; NULL for NULL. */
static const char *get_text(snap_in *in, size_t *n)
{
    uint32_t len = snap_get_u32(in);
    *n = 0;
    if (in->failed || len == SNAP_NULL_STR)
        return NULL;
    const unsigned char *p = take(in, len);
    *n = len;
    return (const char *)p;
}

char *snap_get_str(snap_in *in)
{
    size_t n;
    const char *text = get_text(in, &n);
    if (text == NULL)
        return NULL;
    if (memchr(text, '\0', n) != NULL) {
        in->failed = 1;
        return NULL;
    }
    char *s = hps_mem_strndup(text, n);
    if (s == NULL)
        in->failed = 1;
    return s;
}

json_t *snap_get_json(snap_in *in)
{
    size_t n;
    const char *text = get_text(in, &n);
    if (text == NULL)
        return NULL;
    json_t *v = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v == NULL)
        in->failed = 1;
    return v;
}

static int get_dist(snap_in *in, hps_dist *d)
{
    memset(d, 0, sizeof *d);
    unsigned kind = snap_get_u8(in);
    d->flags = snap_get_u32(in);
    d->low = snap_get_f64(in);
    d->high = snap_get_f64(in);
    d->step = snap_get_f64(in);
    size_t n = get_count32(in, 1);
    if (in->failed || kind > HPS_DIST_CATEGORICAL || (kind == HPS_DIST_CATEGORICAL) != (n > 0))
        return -1;
    d->kind = (hps_dist_kind)kind;
    if (n == 0)
        return 0;
    d->choices = hps_mem_calloc(n, sizeof *d->choices);
    if (d->choices == NULL)
        return -1;
    d->n_choices = n;
    for (size_t i = 0; i < n && !in->failed; i++) {
        hps_value *c = &d->choices[i];
        unsigned type = snap_get_u8(in);
        if (type == HPS_VALUE_STRING) {
            c->u.s = snap_get_str(in);
            if (c->u.s == NULL)
                in->failed = 1;
        } else if (type == HPS_VALUE_INT) {
            c->u.i = (int64_t)snap_get_u64(in);
        } else if (type == HPS_VALUE_FLOAT) {
            c->u.f = snap_get_f64(in);
        } else if (type == HPS_VALUE_BOOL) {
            c->u.b = (int)snap_get_u8(in);
        } else {
            in->failed = 1;
        }
        if (!in->failed)
            c->type = (hps_value_type)type; /* so that hps_dist_clear frees the string */
    }
    return in->failed ? -1 : 0;
}

static int get_params(snap_in *in, hps_frozen *rec)
{
    size_t n = get_count32(in, 4 + 1 + 4 + 3 * 8 + 4 + 8);
    if (in->failed || n == 0)
        return in->failed ? -1 : 0;
    rec->params = hps_mem_calloc(n, sizeof *rec->params);
    if (rec->params == NULL)
        return -1;
    rec->cap_params = n;
    for (size_t i = 0; i < n; i++) {
        hps_param_rec *p = &rec->params[i];
        p->name = snap_get_str(in);
        int bad = p->name == NULL || get_dist(in, &p->dist) != 0;
        p->internal = snap_get_f64(in);
        rec->n_params = i + 1; /* owned by rec from here on, for hps_rec_free */
        if (bad || in->failed)
            return -1;
    }
    return 0;
}

hps_frozen *snap_get_trial(snap_in *in)
{
    hps_frozen *rec = hps_rec_new();
    if (rec == NULL) {
        in->failed = 1;
        return NULL;
    }
    rec->id = (int64_t)snap_get_u64(in);
    rec->number = (int64_t)snap_get_u64(in);
    unsigned state = snap_get_u8(in);
    rec->interrupted = (int)snap_get_u8(in);
    rec->grid_pos = (int64_t)snap_get_u64(in);
    if (state > HPS_PAUSED)
        goto fail;
    rec->state = (hps_trial_state)state;
    size_t n = get_count32(in, 8);
    if (n > 0) {
        if ((rec->values = hps_mem_calloc(n, sizeof *rec->values)) == NULL)
            goto fail;
        rec->n_values = n;
        for (size_t i = 0; i < n; i++)
            rec->values[i] = snap_get_f64(in);
    }
    if (get_params(in, rec) != 0)
        goto fail;
    n = get_count32(in, 20);
    if (n > 0) {
        if ((rec->inter = hps_mem_calloc(n, sizeof *rec->inter)) == NULL)
            goto fail;
        rec->n_inter = rec->cap_inter = n;
        for (size_t i = 0; i < n; i++) {
            hps_inter_rec *r = &rec->inter[i];
            r->step = (int64_t)snap_get_u64(in);
            r->value = snap_get_f64(in);
            size_t more = get_count32(in, 8);
            if (more >= HPS_REC_MAX_INTER_VALUES)
                goto fail;
            if (more > 0) {
                if ((r->more = hps_mem_calloc(more, sizeof *r->more)) == NULL)
                    goto fail;
                r->n_more = more;
                for (size_t k = 0; k < more; k++)
                    r->more[k] = snap_get_f64(in);
            }
        }
    }
    rec->user_attrs = snap_get_json(in);
    rec->system_attrs = snap_get_json(in);
    rec->datetime_start = snap_get_f64(in);
    rec->datetime_complete = snap_get_f64(in);
    rec->heartbeat = snap_get_f64(in);
    size_t worker_len;
    const char *worker = get_text(in, &worker_len);
    if (worker != NULL && (rec->worker = hps_mem_strndup(worker, worker_len)) == NULL)
        goto fail;
    rec->change_seq = (int64_t)snap_get_u64(in);
    if (in->failed)
        goto fail;
    return rec;
fail:
    in->failed = 1;
    hps_rec_free(rec);
    return NULL;
}

/* ---- the file ----------------------------------------------------------------------- */

static void put_header(unsigned char *h, const snapshot_tie *tie, uint64_t body_len)
{
    memcpy(h, SNAP_MAGIC, 8);
    le_store(h + 8, SNAPSHOT_VERSION, 4);
    le_store(h + 12, 0, 4);
    le_store(h + 16, tie->offset, 8);
    le_store(h + 24, tie->line_len, 4);
    le_store(h + 28, tie->crc, 4);
    le_store(h + 32, body_len, 8);
}

static int write_fully(int fd, const void *bytes, size_t n)
{
    const char *p = bytes;
    while (n > 0) {
        ssize_t done = write(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        p += done;
        n -= (size_t)done;
    }
    return 0;
}

/* A temporary name no other writer uses at the same time: host and pid tell processes
 * apart (on several nodes too), the counter this process's own handles. */
static int temp_name(char *buf, size_t size, const char *snap_path)
{
    static unsigned long serial;
    char host[128] = "";
    gethostname(host, sizeof host - 1);
    for (char *c = host; *c != '\0'; c++)
        if (*c == '/')
            *c = '_';
    int n = snprintf(buf, size, "%s.tmp.%s.%ld.%lu", snap_path, host, (long)getpid(), serial++);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

hps_status snapshot_write(const char *snap_path, const snapshot_tie *tie, const snap_out *body,
                          hps_errbuf *err)
{
    if (body->failed)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    char tmp[4400];
    if (temp_name(tmp, sizeof tmp, snap_path) != 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "snapshot path %s is too long", snap_path);
    unsigned char head[SNAP_HEAD], tail[4];
    put_header(head, tie, body->len);
    uint32_t crc = journal_crc32_update(0, head, sizeof head);
    crc = journal_crc32_update(crc, body->data, body->len);
    le_store(tail, crc, 4);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot create snapshot %s: %s", tmp,
                              strerror(errno));
    /* No fsync: a snapshot torn by a power loss fails its CRC and is ignored, and the
     * log it was made from is still there. */
    int bad = write_fully(fd, head, sizeof head) != 0 ||
              write_fully(fd, body->data, body->len) != 0 || write_fully(fd, tail, 4) != 0;
    int saved = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, snap_path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot write snapshot %s: %s", snap_path,
                              strerror(saved));
    }
    return HPS_OK;
}

static int read_fully(int fd, unsigned char *buf, size_t n, uint64_t at)
{
    while (n > 0) {
        ssize_t got = pread(fd, buf, n, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        buf += got;
        n -= (size_t)got;
        at += (uint64_t)got;
    }
    return 0;
}

/* Whether the log's record ending at tie->offset is the one the snapshot names: a
 * complete line of that length and CRC whose payload still matches it. */
static int log_matches(const char *log_path, const snapshot_tie *tie)
{
    if (tie->line_len < 10 || tie->offset < tie->line_len)
        return 0;
    int fd = open(log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    unsigned char *line = hps_mem_alloc(tie->line_len);
    int ok = line != NULL && fstat(fd, &sb) == 0 && (uint64_t)sb.st_size >= tie->offset &&
             read_fully(fd, line, tie->line_len, tie->offset - tie->line_len) == 0;
    close(fd);
    if (ok) {
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", (unsigned)tie->crc);
        ok = line[tie->line_len - 1] == '\n' && memcmp(line, hex, 8) == 0 && line[8] == ' ' &&
             journal_crc32(line + 9, tie->line_len - 10) == tie->crc;
    }
    hps_mem_free(line);
    return ok;
}

/* The header's fields; 0 when it is not a snapshot of this format version. */
static int parse_header(const unsigned char *h, snapshot_tie *tie, uint64_t *body_len)
{
    if (memcmp(h, SNAP_MAGIC, 8) != 0 || le_load(h + 8, 4) != SNAPSHOT_VERSION)
        return 0;
    tie->offset = le_load(h + 16, 8);
    tie->line_len = (uint32_t)le_load(h + 24, 4);
    tie->crc = (uint32_t)le_load(h + 28, 4);
    *body_len = le_load(h + 32, 8);
    return 1;
}

int snapshot_read(const char *snap_path, const char *log_path, unsigned char **data,
                  snap_in *body, snapshot_tie *tie)
{
    *data = NULL;
    int fd = open(snap_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    unsigned char *buf = NULL;
    uint64_t size = 0, body_len = 0;
    int ok = fstat(fd, &sb) == 0;
    if (ok) {
        size = (uint64_t)sb.st_size;
        ok = size >= SNAP_HEAD + 4 && size <= SNAP_MAX_FILE;
    }
    if (ok)
        ok = (buf = hps_mem_alloc((size_t)size)) != NULL && read_fully(fd, buf, size, 0) == 0;
    close(fd);
    ok = ok && parse_header(buf, tie, &body_len) && body_len == size - SNAP_HEAD - 4 &&
         journal_crc32(buf, (size_t)size - 4) == (uint32_t)le_load(buf + size - 4, 4) &&
         log_matches(log_path, tie);
    if (!ok) {
        hps_mem_free(buf);
        return 0;
    }
    *data = buf;
    *body = (snap_in){.p = buf + SNAP_HEAD, .left = (size_t)body_len};
    return 1;
}

uint64_t snapshot_peek_offset(const char *snap_path)
{
    unsigned char h[SNAP_HEAD];
    int fd = open(snap_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = read_fully(fd, h, sizeof h, 0) == 0;
    close(fd);
    snapshot_tie tie;
    uint64_t body_len;
    return ok && parse_header(h, &tie, &body_len) ? tie.offset : 0;
}
