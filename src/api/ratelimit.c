/* Token buckets in a small open table searched linearly by key; 1024 slots is
 * plenty for one server's teams and the addresses that fail to sign in. */
#include "api/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024

typedef struct {
  char key[64];
  double tokens;
  double updated; /* seconds */
} bucket;

struct rate_limiter {
  double rate, burst;
  bucket b[SLOTS];
};

rate_limiter *rate_limiter_new(double rate, double burst) {
  rate_limiter *rl = calloc(1, sizeof *rl);
  if (!rl) return NULL;
  rl->rate = rate;
  rl->burst = burst < 1 ? 1 : burst;
  return rl;
}

void rate_limiter_free(rate_limiter *rl) { free(rl); }

/* Finds key's bucket, refilled to now; recycles the stalest slot if new. */
static bucket *find(rate_limiter *rl, const char *key, double now) {
  bucket *stalest = &rl->b[0];
  for (int i = 0; i < SLOTS; i++) {
    bucket *b = &rl->b[i];
    if (b->key[0] && strncmp(b->key, key, sizeof b->key - 1) == 0) {
      b->tokens = fmin(rl->burst, b->tokens + (now - b->updated) * rl->rate);
      b->updated = now;
      return b;
    }
    if (!b->key[0] || b->updated < stalest->updated) stalest = b;
    if (!b->key[0]) break;
  }
  strncpy(stalest->key, key, sizeof stalest->key - 1);
  stalest->key[sizeof stalest->key - 1] = '\0';
  stalest->tokens = rl->burst;
  stalest->updated = now;
  return stalest;
}

static int wait_seconds(const rate_limiter *rl, const bucket *b) {
  int s = (int)ceil((1.0 - b->tokens) / rl->rate);
  return s < 1 ? 1 : s;
}

bool rate_limiter_take(rate_limiter *rl, const char *key, double now, int *retry_after) {
  if (!rl || rl->rate <= 0) return true;
  bucket *b = find(rl, key, now);
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return true;
  }
  if (retry_after) *retry_after = wait_seconds(rl, b);
  return false;
}

bool rate_limiter_exhausted(rate_limiter *rl, const char *key, double now, int *retry_after) {
  if (!rl || rl->rate <= 0) return false;
  bucket *b = find(rl, key, now);
  if (b->tokens >= 1.0) return false;
  if (retry_after) *retry_after = wait_seconds(rl, b);
  return true;
}
