/* utf8.h -- making text from outside (a trial's output, a file) valid UTF-8.
 *
 * Stored text travels as JSON, which must be UTF-8: a failure reason quoting a trial's
 * binary output would otherwise make the outcome impossible to record. */
#ifndef HPS_UTF8_H
#define HPS_UTF8_H

#include <stddef.h>

/* 1 if `text` is valid UTF-8 (by the rules below), else 0. Names and keys must be: they
 * are stored inside JSON and in PostgreSQL text columns, which accept nothing else. */
int hps_utf8_valid(const char *text);
/* The offset of the first byte of text[0..n) that is not part of valid UTF-8 (a NUL
 * counts as a character), n when there is none. */
size_t hps_utf8_invalid_at(const char *text, size_t n);

/* A copy of `text` with every byte that is not part of a valid UTF-8 sequence (overlong
 * forms, surrogates and code points past U+10FFFF included) replaced by '?'. Free with
 * hps_mem_free; NULL on OOM. */
char *hps_utf8_sanitize(const char *text);

#endif
