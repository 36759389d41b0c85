/* The server's names for strict base64 (RFC 4648): the standard alphabet
 * with mandatory '=' padding, and the URL-safe alphabet without padding (as
 * used by JWTs). The one implementation, its rules and its tests are in
 * lib/common/base64.h (sr_base64_*); these wrappers keep the int-returning
 * interface of the server's callers. */
#ifndef SEALROOM_BASE64_H
#define SEALROOM_BASE64_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base64.h"

enum { BASE64_STD = SR_BASE64_STD, BASE64_URL = SR_BASE64_URL };

/* Characters needed to encode n bytes, excluding the terminating NUL.
 * Returns 0 for an unknown variant or if the length would overflow size_t. */
static inline size_t base64_encoded_len(size_t n, int variant) {
  return sr_base64_encoded_len(n, variant);
}

/* Encodes n bytes into out as NUL-terminated text. Returns the number of
 * characters written (excluding NUL), or -1 if out_cap cannot hold them plus
 * the NUL, the variant is unknown or the result would not fit in an int. */
static inline int base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap,
                                int variant) {
  size_t len = 0;
  if (sr_base64_encoded_len(n, variant) > INT_MAX) return -1;
  return sr_base64_encode(in, n, out, out_cap, &len, variant) == SR_BASE64_OK ? (int)len : -1;
}

/* Decodes exactly n characters of in (no NUL needed) into out. Returns 0 and
 * sets *out_len, or -1 if the text is not canonical base64 of the variant or
 * the decoded bytes would not fit in out_cap. On failure out holds no
 * partially decoded data and *out_len is left unchanged. */
static inline int base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
                                size_t *out_len, int variant) {
  return sr_base64_decode(in, n, out, out_cap, out_len, variant) == SR_BASE64_OK ? 0 : -1;
}

#endif
