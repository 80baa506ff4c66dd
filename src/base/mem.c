/* mem.c -- allocation wrappers with overflow checks and a fault-injection hook. */
#include "base/mem.h"

#include "hpsearch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Fault injection is per thread: a test thread failing allocations must not disturb
 * other threads. In normal use both stay zero and cost one branch. */
static _Thread_local unsigned long fail_at;
static _Thread_local unsigned long alloc_count;

static int should_fail(void)
{
    alloc_count++;
    return fail_at != 0 && alloc_count >= fail_at;
}

unsigned long hps_mem_fail_after(unsigned long n)
{
    unsigned long made = alloc_count;
    alloc_count = 0;
    fail_at = n;
    return made;
}

void *hps_mem_alloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size == 0 ? 1 : size);
}

void *hps_mem_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *hps_mem_realloc_array(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    size_t bytes = count * size;
    return realloc(ptr, bytes == 0 ? 1 : bytes);
}

void hps_mem_free(void *ptr)
{
    free(ptr);
}

char *hps_mem_strndup(const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    size_t len = strnlen(s, n);
    char *copy = hps_mem_alloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *hps_mem_strdup(const char *s)
{
    return s == NULL ? NULL : hps_mem_strndup(s, strlen(s));
}

int hps_mem_grow(void **items, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return 0;
    /* Start at what is needed: records hold a few items each and there may be 100 000
     * of them, so a minimum capacity would dominate memory. */
    size_t new_capacity = *capacity == 0 ? needed : *capacity;
    while (new_capacity < needed) {
        if (new_capacity > SIZE_MAX / 2)
            return -1;
        new_capacity *= 2;
    }
    void *grown = hps_mem_realloc_array(*items, new_capacity, item_size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *capacity = new_capacity;
    return 0;
}

/* Public: frees what the library handed out through a `char **`. */
void hps_free(void *ptr)
{
    free(ptr);
}
