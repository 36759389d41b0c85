/* Helpers shared by the SDP parser (sdp_parse.c) and generator
 * (sdp_write.c) that are not part of the module's public API (the token and
 * fingerprint checks are: sdp/sdp.h). */
#ifndef SEALROOM_SDP_INTERNAL_H
#define SEALROOM_SDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Case-insensitive ASCII comparison of s[0..n) with the NUL-terminated lit. */
bool sdp__eq_nocase(const char *s, size_t n, const char *lit);

#endif
