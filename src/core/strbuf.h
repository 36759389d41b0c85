/* Bounded text building: an appender that writes into a caller's buffer and
 * never past its end (after the first overflow every put is a no-op and the
 * result is an error), and the formatting of an error message into a
 * caller's buffer. Used by the SDP writers (src/sdp, client/sdp_client.c)
 * and client/http.c. */
#ifndef SEALROOM_STRBUF_H
#define SEALROOM_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *p;
  size_t cap, len;
  bool overflow;
} strbuf;

/* Starts empty text in out[0..cap). 0, or -1 if out is NULL or cap 0 (then
 * every put is a no-op and strbuf_done fails). */
int strbuf_init(strbuf *w, char *out, size_t cap);

/* Appends printf-style text, NUL-terminated, if all of it fits. */
void strbuf_put(strbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The length of the text, or -1 (with out emptied) after an overflow or a
 * text longer than INT_MAX. */
int strbuf_done(strbuf *w);

/* Writes the printf-style message into err[0..errcap) when err is not NULL
 * and errcap > 0; returns -1, for `return strbuf_fail(err, errcap, ...)`. */
int strbuf_fail(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
