/*
 * linebuf.h -- splits a byte stream (a trial's output pipe) into bounded lines.
 *
 * Bytes arrive in arbitrary chunks; a line may be split across any number of
 * linebuf_feed calls. Each complete line is handed to a callback. Memory stays at
 * max_line + 2 bytes whatever the input, including a line that never ends: bytes past
 * max_line are dropped and the line is delivered with its `truncated` flag set once its
 * newline arrives (or at linebuf_finish).
 *
 * Lines are delivered without the '\n' and without one trailing '\r' (so CRLF output
 * reads like LF output), NUL-terminated for convenience; `len` is authoritative since a
 * line may contain NUL bytes. Empty lines are delivered too.
 *
 * Not thread-safe; one linebuf per stream.
 */
#ifndef HPS_RUNNER_LINEBUF_H
#define HPS_RUNNER_LINEBUF_H

#include <stddef.h>

typedef struct linebuf linebuf;

/* Receives one line. A non-zero return stops linebuf_feed/linebuf_finish, which return
 * that value; the rest of the chunk being fed is then discarded. */
typedef int (*linebuf_line_fn)(void *user, const char *line, size_t len, int truncated);

/* A splitter whose lines hold at most max_line bytes (0 is allowed: every line is then
 * empty, and flagged truncated if it had content). NULL on OOM or if max_line is so
 * large that the buffer size overflows. */
linebuf *linebuf_new(size_t max_line);
void linebuf_free(linebuf *lb);

/* Feeds `len` bytes (data may be NULL when len is 0); calls fn for each line completed
 * by them. Returns 0, or the first non-zero return of fn. */
int linebuf_feed(linebuf *lb, const char *data, size_t len, linebuf_line_fn fn, void *user);

/* Delivers the final line if the stream ended without a newline (nothing if the last
 * byte fed was '\n'), and resets the buffer so it can be reused. Returns 0 or fn's
 * non-zero return. */
int linebuf_finish(linebuf *lb, linebuf_line_fn fn, void *user);

#endif /* HPS_RUNNER_LINEBUF_H */
