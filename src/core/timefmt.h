/* ISO 8601 UTC timestamps: formatting and strict parsing. */
#ifndef SEALROOM_TIMEFMT_H
#define SEALROOM_TIMEFMT_H

#include <stdint.h>

#define ISO8601_LEN 21 /* "2026-01-16T15:15:34Z" + NUL */

/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ". */
void iso8601_format(int64_t t, char out[ISO8601_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS" with optional ".fraction" and a zone of "Z" or
 * "+HH:MM"/"-HH:MM"; fractions are truncated. Returns 0 or -1. */
int iso8601_parse(const char *s, int64_t *out);
/* Current Unix time in seconds. */
int64_t now_unix(void);

#endif
