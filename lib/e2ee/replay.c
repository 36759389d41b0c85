/* Replay window of 128 counters per key (docs/e2ee.md 6), as SRTP does it:
 * the highest accepted CTR and a bitmap of the 127 below it. Checking and
 * committing are separate so that only authenticated frames move it. */
#include <string.h>

#include "internal.h"

void sre_replay_init(sre_replay *w) {
  memset(w, 0, sizeof *w);
}

static int bit_get(const sre_replay *w, uint64_t i) {
  return (int)(w->bits[i / 64] >> (i % 64) & 1);
}

sre_status sre_replay_check(const sre_replay *w, uint64_t ctr) {
  if (!w->any || ctr > w->top) return SRE_OK;
  uint64_t age = w->top - ctr;
  if (age >= SRE_REPLAY_WINDOW) return SRE_ERR_TOO_OLD;
  return bit_get(w, age) ? SRE_ERR_REPLAY : SRE_OK;
}

/* Shifts the bitmap towards older ages by `by` positions. */
static void shift(sre_replay *w, uint64_t by) {
  if (by >= SRE_REPLAY_WINDOW) {
    w->bits[0] = w->bits[1] = 0;
  } else if (by >= 64) {
    w->bits[1] = w->bits[0] << (by - 64);
    w->bits[0] = 0;
  } else if (by > 0) {
    w->bits[1] = w->bits[1] << by | w->bits[0] >> (64 - by);
    w->bits[0] <<= by;
  }
}

void sre_replay_commit(sre_replay *w, uint64_t ctr) {
  if (!w->any) {
    w->any = true;
    w->top = ctr;
    w->bits[0] = 1;
    w->bits[1] = 0;
    return;
  }
  if (ctr > w->top) {
    shift(w, ctr - w->top);
    w->top = ctr;
  }
  uint64_t age = w->top - ctr;
  if (age < SRE_REPLAY_WINDOW) w->bits[age / 64] |= (uint64_t)1 << (age % 64);
}
