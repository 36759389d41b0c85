/* Strict base64 (RFC 4648): the standard alphabet with mandatory '=' padding,
 * and the URL-safe alphabet without padding (as used by JWTs). Decoding
 * rejects anything that is not the one canonical encoding of some bytes:
 * characters outside the alphabet (whitespace included), wrong or misplaced
 * padding, impossible lengths and non-zero leftover bits. */
#ifndef SEALROOM_BASE64_H
#define SEALROOM_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum { BASE64_STD = 0, BASE64_URL = 1 };

/* Characters needed to encode n bytes, excluding the terminating NUL.
 * Returns 0 for an unknown variant or if the length would overflow size_t. */
size_t base64_encoded_len(size_t n, int variant);

/* Encodes n bytes into out as NUL-terminated text. Returns the number of
 * characters written (excluding NUL), or -1 if out_cap cannot hold them plus
 * the NUL, the variant is unknown or the result would not fit in an int. */
int base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap, int variant);

/* Decodes exactly n characters of in (no NUL needed) into out. Returns 0 and
 * sets *out_len, or -1 if the text is not canonical base64 of the variant or
 * the decoded bytes would not fit in out_cap. On failure out holds no
 * partially decoded data and *out_len is left unchanged. */
int base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                  int variant);

#endif
