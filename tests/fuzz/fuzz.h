/* fuzz.h -- what every fuzz harness needs: a check that stops the run where an
 * invariant breaks (libFuzzer and the replay driver both report the abort with the
 * input), and the input as a NUL-terminated string. */
#ifndef HPS_FUZZ_H
#define HPS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void check(int ok)
{
    if (!ok)
        abort();
}

/* A malloc'd copy of data[0..size) with a NUL after it (embedded NULs stay); NULL when
 * memory runs out. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text != NULL) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
