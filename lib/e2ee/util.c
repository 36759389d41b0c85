/* Small helpers: constant-time compare, id and UTF-8 checks, and the public
 * base64 names (the relay payloads' encoding; lib/common/base64.c). */
#include <string.h>

#include <openssl/crypto.h>

#include "common/base64.h"
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

/* The library's base64 is lib/common's (standard alphabet, padded); these
 * keep the public names and map its results to sre_status. */

size_t sre_base64_encoded_len(size_t n) {
  return sr_base64_encoded_len(n, SR_BASE64_STD);
}

static sre_status b64_status(int r) {
  switch (r) {
  case SR_BASE64_OK:
    return SRE_OK;
  case SR_BASE64_ERR_BUFFER:
    return SRE_ERR_BUFFER;
  case SR_BASE64_ERR_DATA:
    return SRE_ERR_BASE64;
  default:
    return SRE_ERR_ARG;
  }
}

sre_status sre_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap,
                             size_t *out_len) {
  if (out_len) *out_len = 0;
  if ((!in && n) || !out || n > SIZE_MAX / 2) return SRE_ERR_ARG;
  return b64_status(sr_base64_encode(in, n, out, out_cap, out_len, SR_BASE64_STD));
}

/* Canonical only: length a multiple of 4, '=' only as the last one or two
 * characters of the last quantum, and the unused low bits zero. */
sre_status sre_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
                             size_t *out_len) {
  size_t len = 0;
  if (out_len) *out_len = 0;
  if ((!in && n) || (!out && out_cap)) return SRE_ERR_ARG;
  sre_status st = b64_status(sr_base64_decode(in, n, out, out_cap, &len, SR_BASE64_STD));
  if (st == SRE_OK && out_len) *out_len = len;
  return st;
}
