/* mem.h -- allocation wrappers used throughout the library.
 *
 * Every allocation goes through these so that tests can make the N-th one fail (fault
 * injection) and so that size arithmetic is overflow-checked in one place. */
#ifndef HPS_MEM_H
#define HPS_MEM_H

#include <stddef.h>

void *hps_mem_alloc(size_t size);
void *hps_mem_calloc(size_t count, size_t size);
/* realloc of count * size bytes; NULL (and the old block untouched) on overflow or OOM. */
void *hps_mem_realloc_array(void *ptr, size_t count, size_t size);
void hps_mem_free(void *ptr);
char *hps_mem_strdup(const char *s);
char *hps_mem_strndup(const char *s, size_t n);

/* Grows *items (of item_size bytes) so that it can hold at least `needed` items,
 * doubling; *capacity is updated. Returns 0, or -1 on overflow/OOM (nothing changed). */
int hps_mem_grow(void **items, size_t *capacity, size_t needed, size_t item_size);

/* Test hook: make the allocation with ordinal `n` (1-based, counted from now) and all
 * after it fail; 0 disables. Thread-local so parallel tests do not interfere. Returns
 * how many allocations were made since the last call. */
unsigned long hps_mem_fail_after(unsigned long n);

#endif
