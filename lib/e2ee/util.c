/* Small byte helpers: constant-time compare, id and UTF-8
 * checks, and strict RFC 4648 base64 (the relay payloads' encoding). */
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

int sre__ct_equal(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

int sre__id_ok(const char *id) {
  return id && strnlen(id, SRE_ID_LEN + 1) == SRE_ID_LEN;
}

int sre__utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t need;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3, cp = c & 0x07;
    } else {
      return 0; /* continuation byte, overlong lead 0xc0/0xc1, or > 0xf4 */
    }
    if (n - i <= need) return 0;
    for (size_t k = 1; k <= need; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return 0;
    }
    i += need + 1;
  }
  return 1;
}

sre_status sre_name_check(const uint8_t *name, size_t len) {
  if (len > SRE_NAME_MAX) return SRE_ERR_TOO_LARGE;
  if (len == 0) return SRE_OK;
  if (!name || !sre__utf8_valid(name, len)) return SRE_ERR_UTF8;
  for (size_t i = 0; i < len; i++) {
    /* C0 and DEL; C1 (U+0080-U+009F) is 0xc2 0x80-0x9f in valid UTF-8. */
    if (name[i] < 0x20 || name[i] == 0x7f) return SRE_ERR_UTF8;
    if (name[i] == 0xc2 && name[i + 1] <= 0x9f) return SRE_ERR_UTF8;
  }
  return SRE_OK;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sre_base64_encoded_len(size_t n) {
  return (n + 2) / 3 * 4;
}

sre_status sre_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap,
                             size_t *out_len) {
  if (out_len) *out_len = 0;
  if ((!in && n) || !out || n > SIZE_MAX / 2) return SRE_ERR_ARG;
  size_t need = sre_base64_encoded_len(n);
  if (out_cap < need + 1) return SRE_ERR_BUFFER;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  if (out_len) *out_len = o;
  return SRE_OK;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Canonical only: length a multiple of 4, '=' only as the last one or two
 * characters of the last quantum, and the unused low bits zero. */
sre_status sre_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
                             size_t *out_len) {
  if (out_len) *out_len = 0;
  if ((!in && n) || (!out && out_cap)) return SRE_ERR_ARG;
  if (n % 4 != 0) return SRE_ERR_BASE64;
  size_t pad = 0;
  if (n >= 4 && in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1;
  size_t len = n / 4 * 3 - pad;
  if (len > out_cap) return SRE_ERR_BUFFER;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    int last = i + 4 == n;
    for (int k = 0; k < 4; k++) {
      int is_pad = last && k >= 4 - (int)pad;
      v[k] = is_pad ? 0 : b64_value(in[i + (size_t)k]);
      if (v[k] < 0) return SRE_ERR_BASE64;
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    if (last && pad == 2 && (w & 0xffff) != 0) return SRE_ERR_BASE64;
    if (last && pad == 1 && (w & 0xff) != 0) return SRE_ERR_BASE64;
    out[o++] = (uint8_t)(w >> 16);
    if (!(last && pad == 2)) out[o++] = (uint8_t)(w >> 8);
    if (!(last && pad >= 1)) out[o++] = (uint8_t)w;
  }
  if (out_len) *out_len = o;
  return SRE_OK;
}
