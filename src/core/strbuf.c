/* Bounded text building (core/strbuf.h). */
#include "core/strbuf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

int strbuf_init(strbuf *w, char *out, size_t cap) {
  w->p = out;
  w->cap = cap;
  w->len = 0;
  w->overflow = false;
  if (!out || cap == 0) {
    w->overflow = true;
    return -1;
  }
  out[0] = '\0';
  return 0;
}

void strbuf_put(strbuf *w, const char *fmt, ...) {
  if (w->overflow) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->cap - w->len) {
    w->overflow = true;
    return;
  }
  w->len += (size_t)n;
}

int strbuf_done(strbuf *w) {
  if (w->overflow || w->len > INT_MAX) {
    if (w->p && w->cap > 0) w->p[0] = '\0';
    return -1;
  }
  return (int)w->len;
}

int strbuf_fail(char *err, size_t errcap, const char *fmt, ...) {
  if (err && errcap > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
  }
  return -1;
}
