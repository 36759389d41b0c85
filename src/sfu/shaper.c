/* A test-mode downlink rate limit with a queue (shaper.h). */
#include "sfu/shaper.h"

#include <stdlib.h>
#include <string.h>

#include "net/udp.h"

typedef struct {
  int64_t leave_us;
  uint16_t len;
  uint8_t data[UDP_MAX_DATAGRAM];
} slot;

struct shaper {
  uint64_t bps;
  int64_t free_us; /* when the link has sent everything queued */
  int head, n;
  slot slots[SHAPER_SLOTS];
};

shaper *shaper_new(uint64_t bps) {
  if (!bps) return NULL;
  shaper *s = calloc(1, sizeof *s);
  if (s) s->bps = bps;
  return s;
}

void shaper_free(shaper *s) { free(s); }

int shaper_put(shaper *s, const uint8_t *p, size_t len, int64_t now_us) {
  if (len > UDP_MAX_DATAGRAM || s->n == SHAPER_SLOTS) return -1;
  int64_t start = s->free_us > now_us ? s->free_us : now_us;
  if (start - now_us > (int64_t)SHAPER_MAX_WAIT_MS * 1000) return -1;
  int64_t leave = start + (int64_t)((uint64_t)len * 8 * 1000000 / s->bps);
  slot *sl = &s->slots[(s->head + s->n) % SHAPER_SLOTS];
  sl->leave_us = leave;
  sl->len = (uint16_t)len;
  memcpy(sl->data, p, len);
  s->n++;
  s->free_us = leave;
  return 0;
}

const uint8_t *shaper_next(shaper *s, int64_t now_us, size_t *len) {
  if (!s->n || s->slots[s->head].leave_us > now_us) return NULL;
  slot *sl = &s->slots[s->head];
  s->head = (s->head + 1) % SHAPER_SLOTS;
  s->n--;
  *len = sl->len;
  return sl->data;
}

int shaper_queued(const shaper *s) { return s->n; }
