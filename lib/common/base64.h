/* Strict base64 (RFC 4648), the one implementation for the server (src/)
 * and the E2EE library (lib/e2ee): the standard alphabet with mandatory '='
 * padding (section 4), and the URL-safe alphabet without padding (section 5,
 * as JWTs use it). Decoding accepts only the one canonical encoding of some
 * bytes: it rejects characters outside the alphabet (whitespace and NUL
 * included), missing, wrong or misplaced padding, impossible lengths and
 * non-zero leftover bits. Nothing is read outside in[0..n) or written outside
 * out[0..out_cap). Characters are mapped without table lookups or branches on
 * their values, so a secret's encoding does not show in the timing; only
 * whether an input is valid does.
 *
 * src/auth/base64.h keeps the server's older names (base64_encode, ...) as
 * thin wrappers; include/sealroom_e2ee.h's sre_base64_* wrap this too. */
#ifndef SEALROOM_COMMON_BASE64_H
#define SEALROOM_COMMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum { SR_BASE64_STD = 0, SR_BASE64_URL = 1 };

/* Results; every failure is negative. */
enum {
  SR_BASE64_OK = 0,
  SR_BASE64_ERR_ARG = -1,    /* unknown variant, a needed pointer is NULL, or a length overflows */
  SR_BASE64_ERR_BUFFER = -2, /* out_cap too small (nothing is written) */
  SR_BASE64_ERR_DATA = -3,   /* not canonical base64 of the variant */
};

/* Characters in the padded standard encoding of n bytes, as a constant
 * expression for array sizes (no overflow check: for small constants). */
#define SR_BASE64_STD_LEN(n) (((n) + 2) / 3 * 4)

/* Characters needed to encode n bytes, excluding the terminating NUL.
 * Returns 0 for an unknown variant or if the length would overflow size_t. */
size_t sr_base64_encoded_len(size_t n, int variant);

/* Encodes n bytes into out as NUL-terminated text and sets *out_len (if not
 * NULL) to the number of characters, excluding the NUL. out_cap must hold
 * them plus the NUL, else SR_BASE64_ERR_BUFFER and out is untouched. */
int sr_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap, size_t *out_len,
                     int variant);

/* Decodes exactly n characters of in (no NUL needed) into out and sets
 * *out_len (out_len must not be NULL; out may be NULL if nothing is
 * decoded). The checks run in this order: arguments (SR_BASE64_ERR_ARG), the
 * length and padding (SR_BASE64_ERR_DATA), the room in out
 * (SR_BASE64_ERR_BUFFER), then the characters (SR_BASE64_ERR_DATA). On any
 * failure out holds no decoded data (what was written is wiped) and *out_len
 * is left unchanged. */
int sr_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                     int variant);

#endif
