/* Frame assemblers of the native client (client/rtp_media.h): VP8 packets
 * of one SSRC back into whole frames, and the Opus depacketizer.
 *
 * VP8: packets go into a ring of max_packets slots indexed by sequence
 * number; each slot has a fixed payload buffer, so nothing is allocated
 * after sc_vp8_assembler_new. `base` is the first sequence number not yet
 * handed out or given up: older packets are late. While `synced`, the frame
 * starting at base is the next to hand out (the decoder has every reference
 * up to it); when it cannot complete (a hole not filled within gap_ms, a
 * broken packet sequence, the ring overrun) the assembler gives up, asks for
 * a key frame and hands out nothing until a whole key frame has arrived.
 * Key frames that start in the ring are remembered as candidates, so that a
 * complete one ahead of a hole is handed out at once. */
#include <stdlib.h>
#include <string.h>

#include "client/rtp_media.h"

#define DEFAULT_PACKETS 512
#define MAX_PACKETS 4096
#define DEFAULT_MAX_FRAME (1u << 20)
#define MAX_FRAME_LIMIT (64u << 20)
#define DEFAULT_GAP_MS 250
#define DEFAULT_RETRY_MS 1000
#define MAX_CANDIDATES 8
/* This many late packets in a row: the sender restarted its sequence
 * numbers (or jumped back); start over. */
#define LATE_RUN_RESET 64

typedef struct {
  bool present;
  bool start;   /* S=1 and PID 0: first packet of a frame */
  bool key;     /* start, and the VP8 frame tag says key frame */
  bool marker;
  uint16_t seq;
  uint16_t len; /* VP8 data after the descriptor */
  uint32_t ts;
} slot;

struct sc_vp8_assembler {
  sc_vp8_assembler_config cfg;
  slot *slots;
  uint8_t *data;  /* max_packets * SC_RTP_MAX_PAYLOAD */
  uint8_t *frame; /* max_frame */
  bool have_base, synced, have_newest, waiting_key, requested;
  uint16_t base, newest;
  uint64_t stall_since; /* 0: no hole waiting; else when it was seen (+1) */
  uint64_t first_packet, last_request, last_packet;
  uint32_t late_run;
  uint16_t cand[MAX_CANDIDATES];
  size_t n_cand;
  sc_vp8_assembler_stats st;
};

enum { INCOMPLETE, COMPLETE, BROKEN };

static bool seq_lt(uint16_t a, uint16_t b) { return rtp_seq_newer(b, a); }

static slot *slot_at(sc_vp8_assembler *a, uint16_t seq) {
  slot *s = &a->slots[seq % a->cfg.max_packets];
  return s->present && s->seq == seq ? s : NULL;
}

static const uint8_t *slot_data(const sc_vp8_assembler *a, uint16_t seq) {
  return a->data + (size_t)(seq % a->cfg.max_packets) * SC_RTP_MAX_PAYLOAD;
}

sc_vp8_assembler *sc_vp8_assembler_new(const sc_vp8_assembler_config *cfg) {
  if (!cfg || cfg->max_packets > MAX_PACKETS || cfg->max_frame > MAX_FRAME_LIMIT) return NULL;
  sc_vp8_assembler *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->cfg = *cfg;
  if (!a->cfg.max_packets) a->cfg.max_packets = DEFAULT_PACKETS;
  if (!a->cfg.max_frame) a->cfg.max_frame = DEFAULT_MAX_FRAME;
  if (!a->cfg.gap_ms) a->cfg.gap_ms = DEFAULT_GAP_MS;
  if (!a->cfg.keyframe_retry_ms) a->cfg.keyframe_retry_ms = DEFAULT_RETRY_MS;
  a->slots = calloc(a->cfg.max_packets, sizeof *a->slots);
  a->data = malloc(a->cfg.max_packets * SC_RTP_MAX_PAYLOAD);
  a->frame = malloc(a->cfg.max_frame);
  if (!a->slots || !a->data || !a->frame) {
    sc_vp8_assembler_free(a);
    return NULL;
  }
  a->waiting_key = true;
  return a;
}

void sc_vp8_assembler_free(sc_vp8_assembler *a) {
  if (!a) return;
  free(a->slots);
  free(a->data);
  free(a->frame);
  free(a);
}

static void request_keyframe(sc_vp8_assembler *a, uint64_t now) {
  a->requested = true;
  a->last_request = now;
  a->st.keyframe_requests++;
  if (a->cfg.on_need_keyframe) a->cfg.on_need_keyframe(a->cfg.user);
}

/* The frame at base cannot be completed: wait for a key frame. */
static void lose(sc_vp8_assembler *a, uint64_t now) {
  bool was_synced = a->synced;
  a->synced = false;
  a->stall_since = 0;
  a->st.frames_dropped++;
  if (was_synced || !a->waiting_key) {
    a->waiting_key = true;
    request_keyframe(a, now);
  }
}

/* Is the frame starting at `first` complete? On COMPLETE, *end is its last
 * sequence number and *total its bytes. INCOMPLETE: a packet is missing
 * (*end then is the first missing one). BROKEN: not a frame start, mixed
 * timestamps, over max_frame or longer than the ring. */
static int frame_at(sc_vp8_assembler *a, uint16_t first, uint16_t *end, size_t *total) {
  const slot *s0 = slot_at(a, first);
  if (!s0) {
    *end = first;
    return INCOMPLETE;
  }
  if (!s0->start) return BROKEN;
  size_t sum = 0;
  for (size_t k = 0; k < a->cfg.max_packets; k++) {
    uint16_t seq = (uint16_t)(first + k);
    const slot *s = slot_at(a, seq);
    if (!s) {
      *end = seq;
      return INCOMPLETE;
    }
    if (s->ts != s0->ts) {
      /* The next frame started without a marker on this one's last packet. */
      if (k > 0 && s->start) {
        *end = (uint16_t)(seq - 1);
        *total = sum;
        return COMPLETE;
      }
      return BROKEN;
    }
    if (k > 0 && s->start) return BROKEN; /* two starts in one frame */
    sum += s->len;
    if (sum > a->cfg.max_frame) return BROKEN;
    if (s->marker) {
      *end = seq;
      *total = sum;
      return COMPLETE;
    }
  }
  return BROKEN;
}

static void drop_candidates_before(sc_vp8_assembler *a, uint16_t seq) {
  size_t j = 0;
  for (size_t i = 0; i < a->n_cand; i++)
    if (!seq_lt(a->cand[i], seq) && slot_at(a, a->cand[i])) a->cand[j++] = a->cand[i];
  a->n_cand = j;
}

/* Copies the frame first..end out, hands it on and moves base past it. */
static void emit(sc_vp8_assembler *a, uint16_t first, uint16_t end, size_t total) {
  size_t off = 0;
  uint32_t ts = slot_at(a, first)->ts;
  for (uint16_t seq = first;; seq++) {
    const slot *s = slot_at(a, seq);
    memcpy(a->frame + off, slot_data(a, seq), s->len);
    off += s->len;
    if (seq == end) break;
  }
  a->base = (uint16_t)(end + 1);
  a->have_base = true;
  a->stall_since = 0;
  drop_candidates_before(a, a->base);
  bool key = total > 0 && (a->frame[0] & 1) == 0;
  a->st.frames++;
  if (key) a->st.keyframes++;
  if (a->cfg.on_frame) a->cfg.on_frame(a->cfg.user, ts, key, a->frame, total);
}

/* Hands out the oldest complete key frame among the candidates, if any. */
static bool try_candidates(sc_vp8_assembler *a) {
  if (a->have_base) drop_candidates_before(a, a->base);
  bool found = false;
  uint16_t best = 0, best_end = 0;
  size_t best_total = 0;
  for (size_t i = 0; i < a->n_cand; i++) {
    uint16_t end;
    size_t total;
    if (found && !seq_lt(a->cand[i], best)) continue;
    if (frame_at(a, a->cand[i], &end, &total) == COMPLETE) {
      found = true;
      best = a->cand[i];
      best_end = end;
      best_total = total;
    }
  }
  if (!found) return false;
  if (a->synced && best != a->base) a->st.frames_dropped++; /* frames skipped before it */
  a->synced = true;
  a->waiting_key = false;
  emit(a, best, best_end, best_total);
  return true;
}

static void process(sc_vp8_assembler *a, uint64_t now) {
  for (;;) {
    if (!a->synced) {
      if (try_candidates(a)) continue;
      return;
    }
    uint16_t end;
    size_t total;
    int r = frame_at(a, a->base, &end, &total);
    if (r == COMPLETE) {
      emit(a, a->base, end, total);
      continue;
    }
    if (r == BROKEN) {
      lose(a, now);
      continue;
    }
    if (try_candidates(a)) continue; /* a whole key frame past the hole */
    if (a->have_newest && seq_lt(end, a->newest)) { /* a hole, not a frame still arriving */
      if (!a->stall_since) {
        a->stall_since = now + 1;
      } else if (now + 1 - a->stall_since >= a->cfg.gap_ms) {
        lose(a, now);
        continue;
      }
    } else {
      a->stall_since = 0;
    }
    return;
  }
}

static void reset(sc_vp8_assembler *a) {
  memset(a->slots, 0, a->cfg.max_packets * sizeof *a->slots);
  a->have_base = a->synced = a->have_newest = false;
  a->waiting_key = true;
  a->stall_since = 0;
  a->n_cand = 0;
  a->late_run = 0;
}

static void add_candidate(sc_vp8_assembler *a, uint16_t seq) {
  for (size_t i = 0; i < a->n_cand; i++)
    if (a->cand[i] == seq) return;
  if (a->n_cand == MAX_CANDIDATES) { /* forget the oldest */
    size_t old = 0;
    for (size_t i = 1; i < a->n_cand; i++)
      if (seq_lt(a->cand[i], a->cand[old])) old = i;
    a->cand[old] = a->cand[--a->n_cand];
  }
  a->cand[a->n_cand++] = seq;
}

/* While waiting for a key frame: a first request once the stream has run
 * gap_ms without one (the sender's first frame is normally a key frame, but
 * its packets may come after a few of the next frame's), then one every
 * keyframe_retry_ms. */
static bool request_due(const sc_vp8_assembler *a, uint64_t now) {
  if (!a->requested) return now - a->first_packet >= a->cfg.gap_ms;
  return now - a->last_request >= a->cfg.keyframe_retry_ms;
}

/* Refuses (-1), ignores (1) or stores (0) a packet and keeps the window. */
static int store(sc_vp8_assembler *a, const uint8_t *pay, size_t n, uint16_t seq, uint32_t ts,
                 bool marker, uint64_t now) {
  sc_vp8_desc d;
  if (n > SC_RTP_MAX_PAYLOAD || sc_vp8_desc_parse(pay, n, &d) != 0) {
    a->st.refused++;
    return -1;
  }
  bool late = (a->have_base && seq_lt(seq, a->base)) ||
              (a->have_newest && seq_lt(seq, a->newest) &&
               (uint16_t)(a->newest - seq) >= a->cfg.max_packets);
  if (late) {
    a->st.late++;
    if (++a->late_run >= LATE_RUN_RESET) reset(a);
    return 1;
  }
  a->late_run = 0;
  slot *s = &a->slots[seq % a->cfg.max_packets];
  if (s->present && s->seq == seq) {
    a->st.duplicates++;
    return 1;
  }
  if (!a->have_newest) a->first_packet = now;
  if (!a->have_newest || seq_lt(a->newest, seq)) {
    a->newest = seq;
    a->have_newest = true;
    if (a->have_base && (uint16_t)(seq - a->base) >= a->cfg.max_packets) {
      /* The ring cannot hold base..seq: what is before the window is lost. */
      if (a->synced) lose(a, now);
      a->base = (uint16_t)(seq - a->cfg.max_packets + 1);
    }
  }
  s->present = true;
  s->seq = seq;
  s->ts = ts;
  s->marker = marker;
  s->start = d.start && d.pid == 0;
  s->key = s->start && (pay[d.len] & 1) == 0;
  s->len = (uint16_t)(n - d.len);
  memcpy(a->data + (size_t)(seq % a->cfg.max_packets) * SC_RTP_MAX_PAYLOAD, pay + d.len, s->len);
  a->st.packets++;
  a->last_packet = now;
  if (s->key) add_candidate(a, seq);
  /* Waiting for a key frame and a delta frame starts while no key frame is
   * arriving: ask (again) if due. */
  if (a->waiting_key && s->start && !s->key && a->n_cand == 0 && request_due(a, now))
    request_keyframe(a, now);
  return 0;
}

int sc_vp8_assembler_push(sc_vp8_assembler *a, const uint8_t *pkt, const rtp_header *h,
                          uint64_t now_ms) {
  if (!a || !pkt || !h) return -1;
  int r = store(a, pkt + h->header_len, h->payload_len, h->seq, h->timestamp, h->marker != 0,
                now_ms);
  if (r == 0) process(a, now_ms);
  return r;
}

void sc_vp8_assembler_tick(sc_vp8_assembler *a, uint64_t now_ms) {
  if (!a) return;
  process(a, now_ms);
  /* Repeat the request while packets still come (a paused stream is left alone). */
  if (a->waiting_key && a->have_newest && request_due(a, now_ms) &&
      now_ms - a->last_packet < 2ull * a->cfg.keyframe_retry_ms)
    request_keyframe(a, now_ms);
}

bool sc_vp8_assembler_waiting_keyframe(const sc_vp8_assembler *a) {
  return a && a->waiting_key;
}

void sc_vp8_assembler_get_stats(const sc_vp8_assembler *a, sc_vp8_assembler_stats *s) {
  if (a && s) *s = a->st;
}

/* ---- Opus -------------------------------------------------------------- */

void sc_opus_depacketizer_init(sc_opus_depacketizer *d, sc_frame_cb on_frame, void *user) {
  if (!d) return;
  memset(d, 0, sizeof *d);
  d->on_frame = on_frame;
  d->user = user;
}

int sc_opus_depacketizer_push(sc_opus_depacketizer *d, const uint8_t *pkt, const rtp_header *h) {
  if (!d || !pkt || !h) return -1;
  if (h->payload_len == 0 || h->payload_len > SC_RTP_MAX_PAYLOAD) {
    d->refused++;
    return -1;
  }
  if (d->started && !rtp_seq_newer(h->seq, d->highest)) {
    d->late++;
    if (++d->late_run >= LATE_RUN_RESET) d->started = false; /* sequence restarted */
    return 1;
  }
  if (d->started) d->lost += (uint16_t)(h->seq - d->highest - 1);
  d->started = true;
  d->late_run = 0;
  d->highest = h->seq;
  d->packets++;
  if (d->on_frame) d->on_frame(d->user, h->timestamp, false, pkt + h->header_len, h->payload_len);
  return 0;
}
