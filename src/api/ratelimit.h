/* Token-bucket rate limiter keyed by a short string (team id, client IP).
 * A fixed table: when full, the least recently used bucket is recycled, so
 * memory stays bounded whatever the number of distinct keys. */
#ifndef SEALROOM_RATELIMIT_H
#define SEALROOM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rate_limiter rate_limiter;

/* rate: tokens added per second; burst: bucket size. rate <= 0 disables. */
rate_limiter *rate_limiter_new(double rate, double burst);
void rate_limiter_free(rate_limiter *rl);
/* Takes one token for key at now_ms (any monotonic clock, milliseconds).
 * Returns true if allowed; otherwise *retry_after gets the whole seconds
 * until a token is there (at least 1). */
bool rate_limiter_take(rate_limiter *rl, const char *key, uint64_t now_ms, int *retry_after);

#endif
