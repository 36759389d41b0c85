/* Test mode only: a slow downlink for one subscriber, as a network link with
 * a rate limit and a queue would be (`tc netem rate`): each packet sent to
 * the subscriber leaves at the link's rate after the ones queued before it,
 * and one that would wait longer than SHAPER_MAX_WAIT_MS is dropped (a full
 * router queue). The subscriber's receive-side estimator sees the queueing
 * delay grow and its estimate fall, as behind a real bottleneck; the SFU's
 * bandwidth allocator has to react to that (tests/browser/allocator.test.mjs).
 *
 * The worker holds one only for a transport a test limited (`/_test/shape`);
 * every other send pays one well-predicted branch. Worker thread only. */
#ifndef SEALROOM_SFU_SHAPER_H
#define SEALROOM_SFU_SHAPER_H

#include <stddef.h>
#include <stdint.h>

#define SHAPER_MAX_WAIT_MS 300
#define SHAPER_SLOTS 1024 /* packets queued at most */

typedef struct shaper shaper;

/* NULL if out of memory. bps > 0. */
shaper *shaper_new(uint64_t bps);
void shaper_free(shaper *s);
/* Queues the len-byte packet p arriving at now_us. 0, or -1 if it is
 * dropped (the queue would hold it too long, or is full). */
int shaper_put(shaper *s, const uint8_t *p, size_t len, int64_t now_us);
/* The next packet whose time to leave has come by now_us (valid until the
 * next call), or NULL. */
const uint8_t *shaper_next(shaper *s, int64_t now_us, size_t *len);
/* Packets queued now. */
int shaper_queued(const shaper *s);

#endif
