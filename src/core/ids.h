/* Random identifiers: UUID v4 strings and friendly URLs, from OpenSSL's CSPRNG. */
#ifndef SEALROOM_IDS_H
#define SEALROOM_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 37 /* 36 chars + NUL */

/* Writes a lowercase UUID v4. Returns 0, or -1 if the CSPRNG failed. */
int uuid_v4(char out[UUID_STR_LEN]);
/* True if s is 36 chars of canonical 8-4-4-4-12 hex (any version, any case). */
bool uuid_is_valid(const char *s);
/* Writes a friendly URL such as "kfw-qbtd-zor" (12 chars + NUL). */
int friendly_url_generate(char out[13]);

#endif
