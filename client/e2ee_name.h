/* Display names as the meeting page shows them and as the security code
 * covers them (web/meeting/e2ee-worker.js, cleanName and sealableName):
 * control characters become spaces, default-ignorable code points are
 * removed, runs of white space (JavaScript's \s) become one space, none at
 * the ends; a name sealed in key messages is then cut to SRE_NAME_MAX bytes
 * of UTF-8 at a character boundary. Byte-for-byte what the page computes, so
 * that both sides hash the same names into the security code. */
#ifndef SEALROOM_CLIENT_E2EE_NAME_H
#define SEALROOM_CLIENT_E2EE_NAME_H

#include <stddef.h>
#include <stdint.h>

/* cleanName: writes the cleaned name of in[0..n) (UTF-8; an invalid byte
 * counts as U+FFFD) into out (NUL-terminated) and returns its length. Output
 * beyond cap - 1 bytes is cut at a character boundary. */
size_t sc_name_clean(const uint8_t *in, size_t n, char *out, size_t cap);

/* sealableName: cleaned, then at most max_bytes bytes (cut at a character
 * boundary; a space before the cut stays, as in the page). out needs
 * max_bytes + 1 bytes. Returns the length. */
size_t sc_name_sealable(const uint8_t *in, size_t n, size_t max_bytes, char *out);

#endif
