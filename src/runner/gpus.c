/* gpus.c -- GPU detection, GPU ids and the per-trial device pool (see gpus.h). */
#include "runner/gpus.h"

#include "runner/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GPU_DRIVER_DIR "/proc/driver/nvidia"
/* Caps on what detection reads: no machine has more, and a broken tool cannot make us
 * read forever. */
#define GPU_MAX_DETECTED 1024
#define GPU_MAX_LINE 1024
#define GPU_MAX_SMI_BYTES (256u * 1024u)
#define GPU_SMI_SECONDS 5

/* ---- ids ----------------------------------------------------------------------------- */

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (!isdigit((unsigned char)s[k]))
            return 0;
    return 1;
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncmp(s, prefix, n) == 0;
}

/* hex digits and dashes, at least one hex digit */
static int uuid_chars(const char *s, size_t len)
{
    int hex = 0;
    for (size_t k = 0; k < len; k++) {
        if (isxdigit((unsigned char)s[k]))
            hex = 1;
        else if (s[k] != '-')
            return 0;
    }
    return hex;
}

/* MIG-GPU-<uuid>/<gi>/<ci>, the form of drivers before R470 */
static int old_mig_id(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    if (slash == NULL || !uuid_chars(s, (size_t)(slash - s)))
        return 0;
    const char *rest = slash + 1;
    size_t rest_len = len - (size_t)(rest - s);
    const char *second = memchr(rest, '/', rest_len);
    if (second == NULL)
        return 0;
    size_t gi = (size_t)(second - rest);
    return all_digits(rest, gi) && all_digits(second + 1, rest_len - gi - 1);
}

/* An entry holding several indices ("0;1", "0 1"): the same with commas, else 0. */
static int several_indices(const char *s, size_t len, char *fixed, size_t size)
{
    size_t used = 0;
    int separated = 0, pending_sep = 0;
    for (size_t k = 0; k < len; k++) {
        char c = s[k];
        if (isdigit((unsigned char)c)) {
            if (pending_sep && used > 0) {
                if (used + 1 >= size)
                    return 0;
                fixed[used++] = ',';
                separated = 1;
            }
            pending_sep = 0;
            if (used + 1 >= size)
                return 0;
            fixed[used++] = c;
        } else if (c == ';' || c == ' ' || c == '\t' || c == ':' || c == '|') {
            pending_sep = 1;
        } else {
            return 0;
        }
    }
    fixed[used] = '\0';
    return separated;
}

/* The index at the end of "cuda:0", "gpu1", "GPU 2", "/dev/nvidia3", else NULL. */
static const char *index_after_name(const char *s, size_t len, size_t *index_len)
{
    size_t k = len;
    while (k > 0 && isdigit((unsigned char)s[k - 1]))
        k--;
    if (k == len || k == 0)
        return NULL;
    for (size_t j = 0; j < k; j++)
        if (isdigit((unsigned char)s[j]))
            return NULL;
    *index_len = len - k;
    return s + k;
}

int gpu_id_check(const char *id, size_t len, char *why, size_t size)
{
    char fixed[128];
    size_t index_len;
    const char *index;
    if (len == 0) {
        snprintf(why, size, "empty GPU id");
        return -1;
    }
    if (all_digits(id, len))
        return len <= 9 ? 0 : (snprintf(why, size, "'%.*s' is not a GPU index", (int)len, id), -1);
    if (has_prefix(id, len, "MIG-GPU-") && old_mig_id(id + 8, len - 8))
        return 0;
    if ((has_prefix(id, len, "GPU-") || has_prefix(id, len, "MIG-")) && uuid_chars(id + 4, len - 4))
        return 0;
    if (id[0] == '-' && all_digits(id + 1, len - 1)) {
        snprintf(why, size, "'%.*s' is not a GPU id (CUDA_VISIBLE_DEVICES=%.*s hides every GPU; "
                 "to run trials without assigning GPUs, leave gpus out)", (int)len, id, (int)len, id);
        return -1;
    }
    if (several_indices(id, len, fixed, sizeof fixed)) {
        snprintf(why, size, "'%.*s' is not a GPU id: separate GPU ids with commas: %s", (int)len,
                 id, fixed);
        return -1;
    }
    index = index_after_name(id, len, &index_len);
    if (index != NULL && index_len <= 9) {
        snprintf(why, size, "'%.*s' is not a GPU id: CUDA_VISIBLE_DEVICES takes device indices, "
                 "write %.*s", (int)len, id, (int)index_len, index);
        return -1;
    }
    snprintf(why, size, "'%.*s' is not a GPU id (a device index such as 0, GPU-<uuid> or "
             "MIG-<uuid>)", (int)len, id);
    return -1;
}

/* ---- the inventory ------------------------------------------------------------------- */

static int add_word(char ***list, size_t *n, const char *text, size_t len)
{
    if (*n >= GPU_MAX_DETECTED)
        return 0; /* more than any machine has: the rest is not looked at */
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (grown == NULL)
        return -1;
    *list = grown;
    grown[*n] = strndup(text, len);
    if (grown[*n] == NULL)
        return -1;
    (*n)++;
    return 0;
}

static void free_words(char **list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(list[k]);
    free(list);
}

void gpu_inventory_free(gpu_inventory *inv)
{
    if (inv == NULL)
        return;
    free_words(inv->ids, inv->n_ids);
    free_words(inv->uuids, inv->n_uuids);
    memset(inv, 0, sizeof *inv);
}

static int is_uuid_id(const char *id)
{
    return strncmp(id, "GPU-", 4) == 0 || strncmp(id, "MIG-", 4) == 0;
}

/* Entries up to the first one that is not a device id, as CUDA reads the variable. */
static int read_inherited(const char *value, gpu_inventory *out)
{
    char why[256];
    out->source = GPU_SOURCE_INHERITED;
    for (const char *p = value; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        const char *start = p;
        size_t n = len;
        while (n > 0 && isspace((unsigned char)*start)) {
            start++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)start[n - 1]))
            n--;
        if (gpu_id_check(start, n, why, sizeof why) != 0)
            break;
        if (add_word(&out->ids, &out->n_ids, start, n) != 0)
            return -1;
        if (is_uuid_id(out->ids[out->n_ids - 1]) &&
            add_word(&out->uuids, &out->n_uuids, start, n) != 0)
            return -1;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "GPU UUID: \t GPU-..." of one information file, if there is one. */
static int read_driver_uuid(const char *path, gpu_inventory *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1; /* not a GPU's directory */
    char line[GPU_MAX_LINE];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "GPU UUID:", 9) != 0)
            continue;
        const char *v = line + 9;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t len = strcspn(v, " \t\r\n");
        if (len > 4 && strncmp(v, "GPU-", 4) == 0)
            rc = add_word(&out->uuids, &out->n_uuids, v, len);
        break;
    }
    fclose(f);
    return rc;
}

/* One directory per GPU under DIR/gpus, named by PCI bus id; sorted by name, so GPU k
 * is the k-th in PCI order (nvidia-smi's, and CUDA's with CUDA_DEVICE_ORDER=PCI_BUS_ID;
 * the set of indices is the same in any order). */
static int read_driver(gpu_inventory *out)
{
    const char *root = getenv("HPSEARCH_NVIDIA_PROC");
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s/gpus", root != NULL ? root : GPU_DRIVER_DIR);
    DIR *dir = opendir(dir_path);
    if (dir == NULL)
        return 0;
    char **names = NULL;
    size_t n_names = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            rc = add_word(&names, &n_names, e->d_name, strlen(e->d_name));
    closedir(dir);
    if (n_names > 1)
        qsort(names, n_names, sizeof *names, compare_names);
    for (size_t k = 0; rc == 0 && k < n_names; k++) {
        char path[8192], index[16];
        snprintf(path, sizeof path, "%s/%s/information", dir_path, names[k]);
        int got = read_driver_uuid(path, out);
        if (got < 0)
            rc = -1;
        if (got != 0)
            continue;
        snprintf(index, sizeof index, "%zu", out->n_ids);
        rc = add_word(&out->ids, &out->n_ids, index, strlen(index));
    }
    free_words(names, n_names);
    if (rc == 0 && out->n_ids > 0)
        out->source = GPU_SOURCE_DRIVER;
    return rc;
}

/* "GPU 0: NVIDIA A100 (UUID: GPU-...)" and "  MIG 1g.5gb Device 0: (UUID: MIG-...)". */
static int read_smi_line(const char *line, gpu_inventory *out)
{
    while (*line == ' ' || *line == '\t')
        line++;
    const char *uuid = strstr(line, "(UUID: ");
    size_t uuid_len = 0;
    if (uuid != NULL) {
        uuid += 7;
        uuid_len = strcspn(uuid, ")");
        if (uuid_len <= 4 || !is_uuid_id(uuid))
            uuid_len = 0;
    }
    if (strncmp(line, "GPU ", 4) == 0 && isdigit((unsigned char)line[4])) {
        size_t len = strspn(line + 4, "0123456789");
        if (line[4 + len] != ':' || len > 9)
            return 0;
        if (add_word(&out->ids, &out->n_ids, line + 4, len) != 0)
            return -1;
    } else if (strncmp(line, "MIG ", 4) != 0) {
        return 0;
    }
    return uuid_len > 0 ? add_word(&out->uuids, &out->n_uuids, uuid, uuid_len) : 0;
}

/* nvidia-smi's output, up to GPU_MAX_SMI_BYTES, for at most GPU_SMI_SECONDS: a wedged
 * driver can make it hang, and a run must not. Lines cut off by the deadline or the cap
 * are dropped; NULL when it cannot run (or out of memory). */
static char *nvidia_smi_output(void)
{
    char *const argv[] = {"nvidia-smi", "-L", NULL};
    proc_spec spec = {.argv = argv};
    proc *p = NULL;
    if (proc_start(&spec, &p, NULL, 0) != 0)
        return NULL;
    char *text = malloc(GPU_MAX_SMI_BYTES + 1);
    size_t used = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (text != NULL && used < GPU_MAX_SMI_BYTES && proc_output_fd(p) >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
        if (elapsed_ms >= GPU_SMI_SECONDS * 1000L)
            break;
        struct pollfd pfd = {.fd = proc_output_fd(p), .events = POLLIN};
        if (poll(&pfd, 1, (int)(GPU_SMI_SECONDS * 1000L - elapsed_ms)) < 0 && errno != EINTR)
            break;
        ssize_t n = proc_read(p, text + used, GPU_MAX_SMI_BYTES - used);
        if (n > 0)
            used += (size_t)n;
        else if (n == 0 || errno != EAGAIN)
            break;
    }
    proc_free(p); /* kills it if it is still going */
    if (text != NULL)
        text[used] = '\0';
    return text;
}

static int read_nvidia_smi(gpu_inventory *out)
{
    char *text = nvidia_smi_output();
    if (text == NULL)
        return 0;
    int rc = 0;
    for (char *line = text; rc == 0 && *line != '\0';) {
        char *end = strchr(line, '\n');
        if (end == NULL)
            break; /* cut off */
        *end = '\0';
        rc = read_smi_line(line, out);
        line = end + 1;
    }
    free(text);
    if (rc == 0 && out->n_ids > 0)
        out->source = GPU_SOURCE_NVIDIA_SMI;
    return rc;
}

int gpu_detect(gpu_inventory *out)
{
    memset(out, 0, sizeof *out);
    const char *inherited = getenv("CUDA_VISIBLE_DEVICES");
    int rc;
    if (inherited != NULL) {
        rc = read_inherited(inherited, out);
    } else {
        rc = read_driver(out);
        if (rc == 0 && out->n_ids == 0) {
            gpu_inventory_free(out);
            rc = read_nvidia_smi(out);
        }
    }
    if (rc != 0)
        gpu_inventory_free(out);
    return rc;
}

void gpu_source_describe(const gpu_inventory *inv, char *buf, size_t size)
{
    switch (inv->source) {
    case GPU_SOURCE_INHERITED:
        snprintf(buf, size, "CUDA_VISIBLE_DEVICES=%.200s", getenv("CUDA_VISIBLE_DEVICES") != NULL
                                                             ? getenv("CUDA_VISIBLE_DEVICES")
                                                             : "");
        break;
    case GPU_SOURCE_DRIVER:
        snprintf(buf, size, "the NVIDIA driver (%.200s/gpus)",
                 getenv("HPSEARCH_NVIDIA_PROC") != NULL ? getenv("HPSEARCH_NVIDIA_PROC")
                                                        : GPU_DRIVER_DIR);
        break;
    case GPU_SOURCE_NVIDIA_SMI:
        snprintf(buf, size, "nvidia-smi -L");
        break;
    case GPU_SOURCE_NONE:
    default:
        snprintf(buf, size, "no CUDA_VISIBLE_DEVICES, no NVIDIA driver files (%.200s/gpus), no "
                 "nvidia-smi", getenv("HPSEARCH_NVIDIA_PROC") != NULL
                                   ? getenv("HPSEARCH_NVIDIA_PROC") : GPU_DRIVER_DIR);
        break;
    }
}

/* Same device index ("01" is 1), or one UUID a prefix of the other (CUDA takes unique
 * prefixes), ignoring the hex digits' case. */
static int same_id(const char *a, const char *b)
{
    if (all_digits(a, strlen(a)) && all_digits(b, strlen(b)))
        return strtoul(a, NULL, 10) == strtoul(b, NULL, 10);
    size_t la = strlen(a), lb = strlen(b);
    return strncasecmp(a, b, la < lb ? la : lb) == 0 && la > 4 && lb > 4;
}

static int listed(char *const *list, size_t n, const char *id)
{
    for (size_t k = 0; k < n; k++)
        if (same_id(list[k], id))
            return 1;
    return 0;
}

static int any_with_prefix(char *const *list, size_t n, const char *prefix)
{
    for (size_t k = 0; k < n; k++)
        if (strncmp(list[k], prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

int gpu_inventory_has(const gpu_inventory *inv, const char *id)
{
    /* A trial may only get what this process was given. */
    if (inv->source == GPU_SOURCE_INHERITED)
        return listed(inv->ids, inv->n_ids, id);
    if (all_digits(id, strlen(id)))
        return inv->n_ids > 0 ? listed(inv->ids, inv->n_ids, id) : -1;
    if (strncmp(id, "MIG-GPU-", 8) == 0) {
        char gpu[256];
        snprintf(gpu, sizeof gpu, "%.*s", (int)strcspn(id + 4, "/"), id + 4);
        if (any_with_prefix(inv->uuids, inv->n_uuids, "GPU-") &&
            !listed(inv->uuids, inv->n_uuids, gpu))
            return 0;
        return -1; /* the GPU is there; its instances are not listed */
    }
    const char *kind = strncmp(id, "MIG-", 4) == 0 ? "MIG-" : "GPU-";
    if (!any_with_prefix(inv->uuids, inv->n_uuids, kind))
        return -1;
    return listed(inv->uuids, inv->n_uuids, id);
}

/* ---- the pool -------------------------------------------------------------------------- */

int gpu_pool_init(gpu_pool *pool, char *const *ids, size_t n, unsigned per_trial,
                  unsigned trials_per_gpu)
{
    memset(pool, 0, sizeof *pool);
    pool->per_trial = per_trial;
    pool->trials_per_gpu = trials_per_gpu;
    pool->load = calloc(n, sizeof *pool->load);
    if (pool->load == NULL)
        return -1;
    for (size_t k = 0; k < n; k++) {
        if (add_word(&pool->ids, &pool->n, ids[k], strlen(ids[k])) != 0) {
            gpu_pool_free(pool);
            return -1;
        }
    }
    return 0;
}

void gpu_pool_free(gpu_pool *pool)
{
    if (pool == NULL)
        return;
    free_words(pool->ids, pool->n);
    free(pool->load);
    memset(pool, 0, sizeof *pool);
}

unsigned gpu_pool_capacity(const gpu_pool *pool)
{
    if (pool->per_trial == 0)
        return 0;
    return (unsigned)(pool->n * pool->trials_per_gpu / pool->per_trial);
}

static int taken_already(const size_t *taken, size_t n, size_t k)
{
    for (size_t j = 0; j < n; j++)
        if (taken[j] == k)
            return 1;
    return 0;
}

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int gpu_pool_take(gpu_pool *pool, size_t *out)
{
    for (unsigned j = 0; j < pool->per_trial; j++) {
        size_t pick = pool->n;
        for (size_t k = 0; k < pool->n; k++) {
            if (pool->load[k] >= pool->trials_per_gpu || taken_already(out, j, k))
                continue;
            if (pick == pool->n || pool->load[k] < pool->load[pick])
                pick = k;
        }
        if (pick == pool->n)
            return -1; /* nothing taken yet: loads change only below */
        out[j] = pick;
    }
    for (unsigned j = 0; j < pool->per_trial; j++)
        pool->load[out[j]]++;
    qsort(out, pool->per_trial, sizeof *out, compare_sizes);
    return 0;
}

void gpu_pool_give_back(gpu_pool *pool, const size_t *taken)
{
    for (unsigned j = 0; j < pool->per_trial; j++)
        if (taken[j] < pool->n && pool->load[taken[j]] > 0)
            pool->load[taken[j]]--;
}

int gpu_pool_format(const gpu_pool *pool, const size_t *taken, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return -1;
    buf[0] = '\0';
    for (unsigned j = 0; j < pool->per_trial; j++) {
        int k = snprintf(buf + used, size - used, "%s%s", j > 0 ? "," : "", pool->ids[taken[j]]);
        if (k < 0 || (size_t)k >= size - used)
            return -1;
        used += (size_t)k;
    }
    return 0;
}
