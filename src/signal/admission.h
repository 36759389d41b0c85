/* Join admission (docs/signalling.md, "Limits"): joins per client address
 * are rate-limited with a token bucket each, so that a few addresses cannot
 * fill the media transport pool with participants that never connect (the
 * per-room bucket lives in the live room, meeting.c). Addresses live in a
 * fixed table: when every entry a lookup probes is in use, the one idle the
 * longest is taken over (its address starts with a full bucket again).
 * Lifecycle: admission_init -> admission_take per join -> admission_free. */
#ifndef SEALROOM_ADMISSION_H
#define SEALROOM_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bucket.h"

#define ADMISSION_ADDRS 4096 /* addresses remembered (a power of two) */
#define ADMISSION_PROBES 16  /* entries a lookup looks at */

typedef struct {
  char ip[64];
  bucket b;
  bool used;
} admission_addr;

typedef struct {
  double rate, burst; /* per address; rate 0: no limit */
  admission_addr *addrs;
} admission;

/* rate: joins per second per address (burst 10x); 0 turns the limit off.
 * Returns 0, or -1 if out of memory. */
int admission_init(admission *a, int rate);
void admission_free(admission *a);
/* True if a join from ip may go ahead now (a token is taken); false if the
 * address is over its rate, with *retry_ms the wait for the next token. */
bool admission_take(admission *a, const char *ip, uint64_t now_ms, uint64_t *retry_ms);

#endif
