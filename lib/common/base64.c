/* Strict base64 encoder/decoder (RFC 4648 sections 4 and 5). Characters are
 * mapped with masks instead of table lookups or branches on the data, so
 * encoding or decoding a secret (a key, a MAC) does not leak it through
 * timing; only the fact that an input is invalid is data-dependent. */
#include "common/base64.h"

#include <limits.h>
#include <openssl/crypto.h>

static int variant_ok(int variant) {
  return variant == SR_BASE64_STD || variant == SR_BASE64_URL;
}

/* All-ones if lo <= c <= hi, zero otherwise (c, lo, hi below 2^31). */
static unsigned mask_in_range(unsigned c, unsigned lo, unsigned hi) {
  /* c - lo wraps around (setting the top bit) iff c < lo; hi - c iff c > hi. */
  unsigned outside = ((c - lo) | (hi - c)) >> (sizeof(unsigned) * CHAR_BIT - 1);
  return outside - 1u;
}

static unsigned mask_eq(unsigned a, unsigned b) { return mask_in_range(a, b, b); }

static unsigned char62(int variant) { return variant == SR_BASE64_URL ? '-' : '+'; }
static unsigned char63(int variant) { return variant == SR_BASE64_URL ? '_' : '/'; }

/* Maps a 6-bit value to its alphabet character. */
static char encode_char(unsigned v, int variant) {
  unsigned c = (mask_in_range(v, 0, 25) & (v + 'A')) |
               (mask_in_range(v, 26, 51) & (v - 26 + 'a')) |
               (mask_in_range(v, 52, 61) & (v - 52 + '0')) |
               (mask_eq(v, 62) & char62(variant)) | (mask_eq(v, 63) & char63(variant));
  return (char)c;
}

/* Maps an alphabet character to its 6-bit value, or returns -1. */
static int decode_char(unsigned char ch, int variant) {
  unsigned c = ch, v = 0, valid = 0, m;
  m = mask_in_range(c, 'A', 'Z');
  v |= m & (c - 'A');
  valid |= m;
  m = mask_in_range(c, 'a', 'z');
  v |= m & (c - 'a' + 26);
  valid |= m;
  m = mask_in_range(c, '0', '9');
  v |= m & (c - '0' + 52);
  valid |= m;
  m = mask_eq(c, char62(variant));
  v |= m & 62u;
  valid |= m;
  m = mask_eq(c, char63(variant));
  v |= m & 63u;
  valid |= m;
  return valid ? (int)v : -1;
}

size_t sr_base64_encoded_len(size_t n, int variant) {
  size_t groups = n / 3, rem = n % 3;
  if (!variant_ok(variant)) return 0;
  if (groups > (SIZE_MAX - 4) / 4) return 0;
  if (rem == 0) return groups * 4;
  return groups * 4 + (variant == SR_BASE64_STD ? 4 : rem + 1);
}

/* Encodes the final 1 or 2 bytes; returns the number of characters written. */
static size_t encode_tail(const uint8_t *in, size_t rem, char *out, int variant) {
  unsigned b0 = in[0], b1 = rem == 2 ? in[1] : 0;
  size_t k = 0;
  out[k++] = encode_char(b0 >> 2, variant);
  out[k++] = encode_char(((b0 & 0x03u) << 4) | (b1 >> 4), variant);
  if (rem == 2) out[k++] = encode_char((b1 & 0x0fu) << 2, variant);
  if (variant == SR_BASE64_STD) {
    while (k < 4) out[k++] = '=';
  }
  return k;
}

int sr_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap, size_t *out_len,
                     int variant) {
  size_t len = sr_base64_encoded_len(n, variant), i, k = 0;
  if (!variant_ok(variant) || (len == 0 && n > 0)) return SR_BASE64_ERR_ARG;
  if (out == NULL || (in == NULL && n > 0)) return SR_BASE64_ERR_ARG;
  if (out_cap <= len) return SR_BASE64_ERR_BUFFER;
  for (i = 0; i + 3 <= n; i += 3) {
    unsigned b0 = in[i], b1 = in[i + 1], b2 = in[i + 2];
    out[k++] = encode_char(b0 >> 2, variant);
    out[k++] = encode_char(((b0 & 0x03u) << 4) | (b1 >> 4), variant);
    out[k++] = encode_char(((b1 & 0x0fu) << 2) | (b2 >> 6), variant);
    out[k++] = encode_char(b2 & 0x3fu, variant);
  }
  if (i < n) k += encode_tail(in + i, n - i, out + k, variant);
  out[k] = '\0';
  if (out_len) *out_len = k;
  return SR_BASE64_OK;
}

/* Number of characters that carry data (padding removed), or -1 if the
 * length or padding is impossible for the variant. '=' signs left inside the
 * data are caught later because '=' is not in either alphabet. */
static int data_chars(const char *in, size_t n, int variant, size_t *out) {
  size_t pad = 0;
  if (variant == SR_BASE64_STD) {
    if (n % 4 != 0) return -1;
    if (n >= 4 && in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1;
  }
  if ((n - pad) % 4 == 1) return -1;
  *out = n - pad;
  return 0;
}

static size_t decoded_len(size_t chars) {
  size_t rem = chars % 4;
  return chars / 4 * 3 + (rem == 0 ? 0 : rem - 1);
}

/* Decodes 2..4 characters into 1..3 bytes. Rejects characters outside the
 * alphabet and, for short groups, set bits beyond the last full byte. */
static int decode_group(const char *in, size_t chars, uint8_t *out, int variant) {
  int v[4] = {0, 0, 0, 0};
  uint32_t acc = 0;
  for (size_t j = 0; j < chars; j++) {
    v[j] = decode_char((unsigned char)in[j], variant);
    if (v[j] < 0) return -1;
    acc |= (uint32_t)v[j] << (18 - 6 * j);
  }
  if (chars == 2 && (v[1] & 0x0f) != 0) return -1;
  if (chars == 3 && (v[2] & 0x03) != 0) return -1;
  for (size_t j = 0; j + 1 < chars; j++) out[j] = (uint8_t)(acc >> (16 - 8 * j));
  return 0;
}

int sr_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                     int variant) {
  size_t chars, need, i, k = 0;
  if (!variant_ok(variant) || out_len == NULL || (in == NULL && n > 0)) return SR_BASE64_ERR_ARG;
  if (data_chars(in, n, variant, &chars) != 0) return SR_BASE64_ERR_DATA;
  need = decoded_len(chars);
  if (need > out_cap) return SR_BASE64_ERR_BUFFER;
  if (out == NULL && need > 0) return SR_BASE64_ERR_ARG;
  for (i = 0; i < chars; i += 4) {
    size_t group = chars - i < 4 ? chars - i : 4;
    if (decode_group(in + i, group, out + k, variant) != 0) {
      OPENSSL_cleanse(out, k);
      return SR_BASE64_ERR_DATA;
    }
    k += group - 1;
  }
  *out_len = k;
  return SR_BASE64_OK;
}
