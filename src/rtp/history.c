/* Retransmission history (a ring of fixed slots indexed by sequence number)
 * and incoming-stream loss detection (a bitmap of the last 256 sequence
 * numbers). All arithmetic on sequence numbers is modulo 2^16. */
#include "rtp/history.h"

#include <string.h>

#define SLOT_MASK (RTP_HISTORY_SLOTS - 1)
#define WINDOW_MASK (RTP_SEQ_TRACK_WINDOW - 1)

_Static_assert((RTP_HISTORY_SLOTS & SLOT_MASK) == 0, "history slots: power of two");
_Static_assert((RTP_SEQ_TRACK_WINDOW & WINDOW_MASK) == 0, "seq window: power of two");
_Static_assert(RTP_HISTORY_MAX_PACKET <= UINT16_MAX, "slot length is 16 bits");

void rtp_history_put(rtp_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                     uint64_t now_ms) {
  rtp_history_slot *s = &h->slots[seq & SLOT_MASK];
  if (!pkt || len == 0 || len > RTP_HISTORY_MAX_PACKET) {
    s->len = 0;
    return;
  }
  memcpy(s->data, pkt, len);
  s->seq = seq;
  s->len = (uint16_t)len;
  s->late = false;
  s->stored_ms = now_ms;
}

void rtp_history_mark_late(rtp_history *h, uint16_t seq) {
  rtp_history_slot *s = &h->slots[seq & SLOT_MASK];
  if (s->len && s->seq == seq) s->late = true;
}

bool rtp_history_is_late(const rtp_history *h, uint16_t seq) {
  const rtp_history_slot *s = &h->slots[seq & SLOT_MASK];
  return s->len && s->seq == seq && s->late;
}

void rtp_history_clear(rtp_history *h) {
  for (size_t i = 0; i < RTP_HISTORY_SLOTS; i++) h->slots[i].len = 0;
}

const uint8_t *rtp_history_get(const rtp_history *h, uint16_t seq, size_t *len,
                               uint64_t now_ms, uint64_t max_age_ms) {
  const rtp_history_slot *s = &h->slots[seq & SLOT_MASK];
  if (s->len == 0 || s->seq != seq) return NULL;
  uint64_t age = now_ms > s->stored_ms ? now_ms - s->stored_ms : 0;
  if (age >= max_age_ms) return NULL;
  *len = s->len;
  return s->data;
}

static bool bit_get(const rtp_seq_tracker *t, uint16_t seq) {
  unsigned i = seq & WINDOW_MASK;
  return (t->received_bits[i / 64] >> (i % 64)) & 1;
}

static void bit_set(rtp_seq_tracker *t, uint16_t seq) {
  unsigned i = seq & WINDOW_MASK;
  t->received_bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(rtp_seq_tracker *t, uint16_t seq) {
  unsigned i = seq & WINDOW_MASK;
  t->received_bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Starts the window afresh at seq (first packet, or a stream reset). */
static void restart(rtp_seq_tracker *t, uint16_t seq) {
  memset(t->received_bits, 0, sizeof t->received_bits);
  t->started = true;
  t->highest = seq;
  t->span = 1;
  bit_set(t, seq);
  t->received++;
}

int rtp_seq_update(rtp_seq_tracker *t, uint16_t seq, uint16_t *missing, int cap) {
  if (!missing) cap = 0;
  if (!t->started) {
    restart(t, seq);
    return 0;
  }
  uint16_t ahead = (uint16_t)(seq - t->highest);
  uint16_t behind = (uint16_t)(t->highest - seq);
  if (ahead == 0) return 0;

  if (behind < RTP_SEQ_TRACK_WINDOW) { /* late (or duplicate) arrival */
    if (bit_get(t, seq)) return 0;
    bit_set(t, seq);
    t->received++;
    /* Within the span, a clear bit was skipped by a jump and counted lost;
     * before it, the number predates the stream's start and never was. */
    if (behind < t->span && t->lost > 0) t->lost--;
    return 0;
  }

  if (ahead > RTP_SEQ_MAX_GAP + 1) { /* too far ahead or too far behind */
    if (seq < t->highest && ahead < 0x8000) t->cycles++;
    restart(t, seq);
    return 0;
  }

  int k = 0;
  for (uint16_t i = 1; i < ahead; i++) {
    uint16_t s = (uint16_t)(t->highest + i);
    bit_clear(t, s); /* forget what this slot held 256 numbers ago */
    if (k < cap) missing[k++] = s;
    t->lost++;
  }
  bit_clear(t, seq);
  bit_set(t, seq);
  if (seq < t->highest) t->cycles++;
  t->highest = seq;
  t->received++;
  unsigned span = (unsigned)t->span + ahead;
  t->span = (uint16_t)(span > RTP_SEQ_TRACK_WINDOW ? RTP_SEQ_TRACK_WINDOW : span);
  return k;
}

bool rtp_seq_is_received(const rtp_seq_tracker *t, uint16_t seq) {
  if (!t->started) return false;
  uint16_t behind = (uint16_t)(t->highest - seq);
  return behind < RTP_SEQ_TRACK_WINDOW && bit_get(t, seq);
}
