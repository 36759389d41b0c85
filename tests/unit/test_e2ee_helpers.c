/* Helpers shared by the E2EE unit tests (see test_e2ee_helpers.h). No suite. */
#include "test_e2ee_helpers.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tx_id_a = "11111111-1111-4111-8111-111111111111";
const char *const tx_id_b = "22222222-2222-4222-8222-222222222222";
const char *const tx_id_c = "33333333-3333-4333-8333-333333333333";

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long tx_hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex);
  if (n % 2 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int h = nibble(hex[2 * i]), l = nibble(hex[2 * i + 1]);
    if (h < 0 || l < 0) return -1;
    out[i] = (uint8_t)(h << 4 | l);
  }
  return (long)(n / 2);
}

void tx_hex_encode(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

char *tx_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Outside strings, wraps every run of number characters in quotes. */
static char *quote_numbers(const char *in, size_t n) {
  char *out = malloc(n * 3 + 1);
  if (!out) return NULL;
  size_t o = 0;
  int in_string = 0;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (in_string) {
      out[o++] = c;
      if (c == '\\' && i + 1 < n) {
        out[o++] = in[++i];
      } else if (c == '"') {
        in_string = 0;
      }
    } else if (c == '"') {
      in_string = 1;
      out[o++] = c;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      out[o++] = '"';
      while (i < n && strchr("-+0123456789.eE", in[i]) && in[i] != '\0') out[o++] = in[i++];
      out[o++] = '"';
      i--;
    } else {
      out[o++] = c;
    }
  }
  out[o] = '\0';
  return out;
}

json_t *tx_load_json_numbers_as_strings(const char *path) {
  size_t n = 0;
  char *text = tx_read_file(path, &n);
  if (!text) return NULL;
  char *quoted = quote_numbers(text, n);
  free(text);
  if (!quoted) return NULL;
  json_error_t err;
  json_t *j = json_loads(quoted, 0, &err);
  if (!j) fprintf(stderr, "  %s:%d: %s\n", path, err.line, err.text);
  free(quoted);
  return j;
}

const char *tx_vector_path(const char *file) {
  static char path[1024];
  const char *dirs[] = {"tests/vectors", "../tests/vectors", "../../tests/vectors"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dirs[i], file);
    FILE *f = fopen(path, "rb");
    if (f) {
      fclose(f);
      return path;
    }
  }
  return NULL;
}

uint64_t tx_num(json_t *o, const char *name) {
  uint64_t x = 0;
  CHECK(tx_u64(o, name, &x));
  return x;
}

int tx_u64(json_t *o, const char *name, uint64_t *out) {
  json_t *v = json_object_get(o, name);
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0) return 0;
    *out = (uint64_t)json_integer_value(v);
    return 1;
  }
  if (!json_is_string(v)) return 0;
  const char *s = json_string_value(v);
  if (!*s) return 0;
  uint64_t x = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned d = (unsigned)(*s - '0');
    if (x > (UINT64_MAX - d) / 10) return 0;
    x = x * 10 + d;
  }
  *out = x;
  return 1;
}

long tx_hex_member(json_t *o, const char *name, uint8_t *out, size_t cap) {
  json_t *v = json_object_get(o, name);
  if (!json_is_string(v)) return -1;
  return tx_hex_decode(json_string_value(v), out, cap);
}
