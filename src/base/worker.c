/* worker.c -- worker ids and liveness of local workers. */
#include "base/worker.h"

#include "base/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Start time (field 22 of /proc/PID/stat) or 0 when the process does not exist. */
static unsigned long long process_start_ticks(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may contain spaces and parentheses: skip to the
     * last ')' and count fields from there (field 3 follows it). */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p++;
    for (int field = 3; field < 22 && p != NULL; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p == NULL)
        return 0;
    return strtoull(p + 1, NULL, 10);
}

static void host_name(char *buf, size_t size)
{
    if (gethostname(buf, size) != 0)
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
    /* ':' separates the fields of the id */
    for (char *c = buf; *c != '\0'; c++)
        if (*c == ':')
            *c = '_';
}

char *hps_worker_self_id(void)
{
    char host[256];
    host_name(host, sizeof host);
    long pid = (long)getpid();
    char id[320];
    snprintf(id, sizeof id, "%s:%ld:%llu", host, pid, process_start_ticks(pid));
    return hps_mem_strdup(id);
}

int hps_worker_is_dead_local(const char *worker)
{
    if (worker == NULL)
        return 0;
    const char *last = strrchr(worker, ':');
    if (last == NULL || last == worker)
        return 0;
    const char *mid = last - 1;
    while (mid > worker && *mid != ':')
        mid--;
    if (*mid != ':')
        return 0;
    char host[256];
    host_name(host, sizeof host);
    size_t host_len = (size_t)(mid - worker);
    if (host_len != strlen(host) || strncmp(worker, host, host_len) != 0)
        return 0;
    char *end;
    errno = 0;
    long pid = strtol(mid + 1, &end, 10);
    if (errno != 0 || end != last || pid <= 0)
        return 0;
    unsigned long long start = strtoull(last + 1, &end, 10);
    if (*end != '\0')
        return 0;
    unsigned long long now_start = process_start_ticks(pid);
    return now_start == 0 || now_start != start;
}
