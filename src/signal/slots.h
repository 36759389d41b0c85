/* Sender slots of a live room (docs/signalling.md, "Slots"): every
 * participant of a room session gets a 16-bit slot (1..65535), which names
 * its media keys (docs/e2ee.md 4.5) and its SSRCs. A slot freed by a leave is
 * handed out again only SLOT_QUARANTINE_MS later, when every receiver has
 * dropped the keys that named it and the SFU the tracks; until then fresh
 * slots are taken. So join/leave churn cannot use up a room's slots.
 * Lifecycle: slot_pool_init -> take / release -> slot_pool_free. */
#ifndef SEALROOM_SLOTS_H
#define SEALROOM_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#define SLOT_QUARANTINE_MS 10000
#define SLOT_MAX 0xffff

typedef struct {
  uint16_t slot;
  uint64_t freed_ms;
} slot_freed;

typedef struct {
  uint32_t next;     /* the lowest slot never handed out */
  slot_freed *queue; /* freed slots, oldest first (a ring of cap entries) */
  size_t head, n, cap;
} slot_pool;

void slot_pool_init(slot_pool *p);
void slot_pool_free(slot_pool *p);
/* A slot for a newcomer: 0 and *out, or -1 if every slot is taken or still
 * in quarantine. */
int slot_pool_take(slot_pool *p, uint64_t now_ms, uint16_t *out);
/* A participant's slot is free again (from now_ms + SLOT_QUARANTINE_MS).
 * 0, or -1 if out of memory (the slot is then never handed out again). */
int slot_pool_release(slot_pool *p, uint16_t slot, uint64_t now_ms);

#endif
