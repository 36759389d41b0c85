/* A token bucket: `rate` tokens per second accumulate up to `burst`; taking
 * `cost` tokens fails, and takes nothing, when fewer are there. Times are
 * milliseconds of any monotonic clock. Header only: a handful of lines used
 * on hot paths (signalling messages, joins). */
#ifndef SEALROOM_BUCKET_H
#define SEALROOM_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  double tokens;
  uint64_t last_ms;
} bucket;

/* A full bucket. */
static inline void bucket_init(bucket *b, double burst, uint64_t now_ms) {
  b->tokens = burst;
  b->last_ms = now_ms;
}

/* Adds what accumulated since the last call (a clock going back adds nothing). */
static inline void bucket_refill(bucket *b, double rate, double burst, uint64_t now_ms) {
  if (now_ms > b->last_ms) b->tokens += (double)(now_ms - b->last_ms) / 1000.0 * rate;
  if (b->tokens > burst) b->tokens = burst;
  b->last_ms = now_ms;
}

static inline bool bucket_take(bucket *b, double rate, double burst, double cost, uint64_t now_ms) {
  bucket_refill(b, rate, burst, now_ms);
  if (b->tokens < cost) return false;
  b->tokens -= cost;
  return true;
}

/* Milliseconds until `cost` tokens will be there (0: now). */
static inline uint64_t bucket_wait_ms(const bucket *b, double rate, double cost) {
  if (b->tokens >= cost || rate <= 0) return 0;
  return (uint64_t)((cost - b->tokens) / rate * 1000.0) + 1;
}

#endif
