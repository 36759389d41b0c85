/* Helpers shared by the SDP parser (sdp_parse.c) and generator
 * (sdp_write.c): character-class checks for the grammar's tokens and the
 * fingerprint hex codec. Not part of the module's public API. */
#ifndef SEALROOM_SDP_INTERNAL_H
#define SEALROOM_SDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8866 token: 1 or more token-char (printable ASCII except space and
 * "(),/:;<=>?@[\]" and '"'). */
bool sdp__is_token(const char *s, size_t n);

/* RFC 8839 ice-char string of min..max characters (ALPHA / DIGIT / "+" / "/"). */
bool sdp__is_ice_string(const char *s, size_t n, size_t min, size_t max);

/* Decodes "AB:CD:..." (hex digits of either case, exactly two per byte, ':'
 * between bytes, nothing else) into out. Returns 0 and sets *out_len, or -1
 * if malformed, empty or longer than cap bytes. */
int sdp__fingerprint_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* Case-insensitive ASCII comparison of s[0..n) with the NUL-terminated lit. */
bool sdp__eq_nocase(const char *s, size_t n, const char *lit);

#endif
