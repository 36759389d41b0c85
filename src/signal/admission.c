/* Join admission: a token bucket per client address in a fixed table. */
#include "signal/admission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admission_init(admission *a, int rate) {
  memset(a, 0, sizeof *a);
  a->rate = rate;
  a->burst = 10.0 * rate;
  if (rate <= 0) return 0;
  a->addrs = calloc(ADMISSION_ADDRS, sizeof *a->addrs);
  return a->addrs ? 0 : -1;
}

void admission_free(admission *a) {
  free(a->addrs);
  a->addrs = NULL;
}

static uint32_t hash_ip(const char *ip) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)ip; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

/* The entry of ip: found, a free one, or the one idle the longest among the
 * probed (taken over). Never NULL. */
static admission_addr *entry_for(admission *a, const char *ip, uint64_t now_ms) {
  uint32_t i = hash_ip(ip) & (ADMISSION_ADDRS - 1);
  admission_addr *free_one = NULL, *oldest = NULL;
  for (int k = 0; k < ADMISSION_PROBES; k++, i = (i + 1) & (ADMISSION_ADDRS - 1)) {
    admission_addr *e = &a->addrs[i];
    if (!e->used) {
      if (!free_one) free_one = e;
      continue;
    }
    if (strcmp(e->ip, ip) == 0) return e;
    if (!oldest || e->b.last_ms < oldest->b.last_ms) oldest = e;
  }
  admission_addr *e = free_one ? free_one : oldest;
  e->used = true;
  snprintf(e->ip, sizeof e->ip, "%s", ip);
  bucket_init(&e->b, a->burst, now_ms);
  return e;
}

bool admission_take(admission *a, const char *ip, uint64_t now_ms, uint64_t *retry_ms) {
  if (retry_ms) *retry_ms = 0;
  if (a->rate <= 0 || !a->addrs) return true;
  admission_addr *e = entry_for(a, ip ? ip : "", now_ms);
  if (bucket_take(&e->b, a->rate, a->burst, 1.0, now_ms)) return true;
  if (retry_ms) *retry_ms = bucket_wait_ms(&e->b, a->rate, 1.0);
  return false;
}
