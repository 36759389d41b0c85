/* Token buckets (core/bucket.h) in a small open table searched linearly by
 * key; 1024 slots is plenty for one server's teams and the addresses that
 * fail to sign in. */
#include "api/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bucket.h"

#define SLOTS 1024

typedef struct {
  char key[64];
  bucket b;
} slot;

struct rate_limiter {
  double rate, burst;
  slot s[SLOTS];
};

rate_limiter *rate_limiter_new(double rate, double burst) {
  rate_limiter *rl = calloc(1, sizeof *rl);
  if (!rl) return NULL;
  rl->rate = rate;
  rl->burst = burst < 1 ? 1 : burst;
  return rl;
}

void rate_limiter_free(rate_limiter *rl) { free(rl); }

/* Finds key's slot; recycles the stalest one (a full bucket) if it is new. */
static slot *find(rate_limiter *rl, const char *key, uint64_t now_ms) {
  slot *stalest = &rl->s[0];
  for (int i = 0; i < SLOTS; i++) {
    slot *e = &rl->s[i];
    if (e->key[0] && strncmp(e->key, key, sizeof e->key - 1) == 0) return e;
    if (!e->key[0] || e->b.last_ms < stalest->b.last_ms) stalest = e;
    if (!e->key[0]) break;
  }
  strncpy(stalest->key, key, sizeof stalest->key - 1);
  stalest->key[sizeof stalest->key - 1] = '\0';
  bucket_init(&stalest->b, rl->burst, now_ms);
  return stalest;
}

bool rate_limiter_take(rate_limiter *rl, const char *key, uint64_t now_ms, int *retry_after) {
  if (!rl || rl->rate <= 0) return true;
  slot *e = find(rl, key, now_ms);
  if (bucket_take(&e->b, rl->rate, rl->burst, 1.0, now_ms)) return true;
  if (retry_after) {
    int s = (int)ceil((1.0 - e->b.tokens) / rl->rate);
    *retry_after = s < 1 ? 1 : s;
  }
  return false;
}
