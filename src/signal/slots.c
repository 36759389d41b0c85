/* Sender slots: fresh ones in order, freed ones after a quarantine. */
#include "signal/slots.h"

#include <stdlib.h>
#include <string.h>

void slot_pool_init(slot_pool *p) {
  memset(p, 0, sizeof *p);
  p->next = 1;
}

void slot_pool_free(slot_pool *p) {
  free(p->queue);
  memset(p, 0, sizeof *p);
}

int slot_pool_take(slot_pool *p, uint64_t now_ms, uint16_t *out) {
  if (p->n && now_ms >= p->queue[p->head].freed_ms + SLOT_QUARANTINE_MS) {
    *out = p->queue[p->head].slot;
    p->head = (p->head + 1) % p->cap;
    p->n--;
    return 0;
  }
  if (p->next > SLOT_MAX) return -1;
  *out = (uint16_t)p->next++;
  return 0;
}

int slot_pool_release(slot_pool *p, uint16_t slot, uint64_t now_ms) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 16;
    slot_freed *q = malloc(cap * sizeof *q);
    if (!q) return -1;
    for (size_t i = 0; i < p->n; i++) q[i] = p->queue[(p->head + i) % p->cap];
    free(p->queue);
    p->queue = q;
    p->cap = cap;
    p->head = 0;
  }
  p->queue[(p->head + p->n) % p->cap] = (slot_freed){slot, now_ms};
  p->n++;
  return 0;
}
