/* ISO 8601 UTC timestamps: formatting and strict parsing. */
#ifndef SEALROOM_TIMEFMT_H
#define SEALROOM_TIMEFMT_H

#include <stdint.h>

#define ISO8601_LEN 32 /* "2026-01-16T15:15:34Z" + NUL, with room to spare */
#define ISO8601_MAX 253402300799LL /* 9999-12-31T23:59:59Z, the last time parsed or formatted */

/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; times outside 0..ISO8601_MAX
 * are clamped to those bounds. */
void iso8601_format(int64_t t, char out[ISO8601_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS" with optional ".fraction" and a zone of "Z" or
 * "+HH:MM"/"-HH:MM" (at most 14 hours, as real zones); fractions are truncated.
 * The result must lie in 0..ISO8601_MAX. Returns 0 or -1. */
int iso8601_parse(const char *s, int64_t *out);
/* Current Unix time in seconds. */
int64_t now_unix(void);

#endif
