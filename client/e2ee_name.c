/* Display-name cleaning of the meeting page (cleanName, sealableName in
 * web/meeting/e2ee-worker.js), for the security code (docs/e2ee.md 10.4). */
#include "client/e2ee_name.h"

#include <stdbool.h>
#include <string.h>

/* Reads one code point of s[0..n) (n >= 1); an invalid or overlong sequence,
 * a surrogate or a value above U+10FFFF reads as U+FFFD of one byte. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t c = s[0];
  size_t need;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    need = 1, v = c & 0x1fu, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2, v = c & 0x0fu, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3, v = c & 0x07u, min = 0x10000;
  } else {
    *cp = 0xfffd;
    return 1;
  }
  if (n < need + 1) {
    *cp = 0xfffd;
    return 1;
  }
  for (size_t i = 1; i <= need; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      *cp = 0xfffd;
      return 1;
    }
    v = v << 6 | (s[i] & 0x3fu);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
    *cp = 0xfffd;
    return 1;
  }
  *cp = v;
  return need + 1;
}

static size_t utf8_put(uint32_t c, uint8_t out[4]) {
  if (c < 0x80) {
    out[0] = (uint8_t)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (uint8_t)(0xc0 | c >> 6);
    out[1] = (uint8_t)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (uint8_t)(0xe0 | c >> 12);
    out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (c & 0x3f));
    return 3;
  }
  out[0] = (uint8_t)(0xf0 | c >> 18);
  out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (c & 0x3f));
  return 4;
}

/* Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt). */
static bool is_ignorable(uint32_t c) {
  static const uint32_t ranges[][2] = {
      {0x00ad, 0x00ad},   {0x034f, 0x034f},   {0x061c, 0x061c},   {0x115f, 0x1160},
      {0x17b4, 0x17b5},   {0x180b, 0x180f},   {0x200b, 0x200f},   {0x202a, 0x202e},
      {0x2060, 0x206f},   {0x3164, 0x3164},   {0xfe00, 0xfe0f},   {0xfeff, 0xfeff},
      {0xffa0, 0xffa0},   {0xfff0, 0xfff8},   {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
      {0xe0000, 0xe0fff},
  };
  for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
    if (c >= ranges[i][0] && c <= ranges[i][1]) return true;
  }
  return false;
}

/* JavaScript's \s (and what String.prototype.trim removes). */
static bool is_js_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000 || c == 0xfeff;
}

static bool is_control(uint32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

size_t sc_name_clean(const uint8_t *in, size_t n, char *out, size_t cap) {
  size_t len = 0, i = 0;
  bool space = false;
  if (!out || cap == 0) return 0;
  while (in && i < n) {
    uint32_t c;
    i += utf8_next(in + i, n - i, &c);
    if (is_control(c)) c = ' ';
    if (is_ignorable(c)) continue;
    if (is_js_space(c)) {
      space = len > 0; /* none at the start; one for a run; none at the end */
      continue;
    }
    uint8_t b[5];
    size_t k = 0;
    if (space) b[k++] = ' ';
    k += utf8_put(c, b + k);
    if (len + k > cap - 1) break;
    memcpy(out + len, b, k);
    len += k;
    space = false;
  }
  out[len] = '\0';
  return len;
}

size_t sc_name_sealable(const uint8_t *in, size_t n, size_t max_bytes, char *out) {
  /* Room for the cut: max_bytes, one more space and one more character. */
  char buf[1024];
  if (!out) return 0;
  if (max_bytes > sizeof buf - 6) max_bytes = sizeof buf - 6;
  size_t len = sc_name_clean(in, n, buf, max_bytes + 6);
  if (len > max_bytes) {
    len = max_bytes;
    while (len > 0 && ((uint8_t)buf[len] & 0xc0) == 0x80) len--;
  }
  memcpy(out, buf, len);
  out[len] = '\0';
  return len;
}
