/* Simulcast down tracks: layer switching at key frames and the rewrites of
 * sequence numbers, timestamps, picture ids and TL0PICIDX (simulcast.h). */
#include "sfu/simulcast.h"

#include <string.h>

#include "rtp/rtp.h"

#define TS_CLOCK_KHZ 90         /* VP8's RTP clock */
#define REORDER_WINDOW 512      /* packets after a switch in which older ones than its key frame are dropped */
#define TS_GAP_MAX (90000 * 10) /* a switch after a long pause moves the clock at most 10 s */

void sim_down_init(sim_down *d, int target) {
  memset(d, 0, sizeof *d);
  d->target = (int8_t)(target < 0 || target >= SIM_MAX_LAYERS ? -1 : target);
  d->cur.layer = -1;
  d->prev.layer = -1;
}

void sim_set_target(sim_down *d, int target) {
  d->target = (int8_t)(target < 0 || target >= SIM_MAX_LAYERS ? -1 : target);
  if (d->target < 0 && d->cur.layer >= 0) { /* paused: at once, not at a key frame */
    d->prev = d->cur;
    d->cur.layer = -1;
  }
}

bool sim_waiting(const sim_down *d) { return d->target >= 0 && d->cur.layer != d->target; }

sim_out sim_apply(const sim_offsets *o, uint16_t seq, uint32_t ts, const vp8_desc *v) {
  sim_out out = {.seq = (uint16_t)(seq + o->seq), .ts = ts + o->ts};
  if (v && v->has_picture_id)
    out.pid = (uint16_t)((v->picture_id + o->pid) & (v->long_picture_id ? 0x7fff : 0x7f));
  if (v && v->has_tl0) out.tl0 = (uint8_t)(v->tl0picidx + o->tl0);
  return out;
}

/* Keeps the newest numbers sent, for the offsets of the next switch. */
static void note_sent(sim_down *d, const sim_out *o, const vp8_desc *v, int64_t now_us) {
  if (!d->started || rtp_seq_newer(o->seq, d->last_seq)) d->last_seq = o->seq;
  if (!d->started || (int32_t)(o->ts - d->last_ts) > 0) {
    d->last_ts = o->ts;
    d->last_us = now_us;
  }
  /* Picture ids are 15 or 7 bits: "newer" within their width. */
  bool pid_newer = v->long_picture_id ? (int16_t)((uint16_t)(o->pid - d->last_pid) << 1) > 0
                                      : (int8_t)((uint8_t)(o->pid - d->last_pid) << 1) > 0;
  if (v->has_picture_id && (!d->started || pid_newer)) d->last_pid = o->pid;
  if (v->has_tl0 && (!d->started || (int8_t)(uint8_t)(o->tl0 - d->last_tl0) > 0)) d->last_tl0 = o->tl0;
  d->started = true;
}

sim_verdict sim_packet(sim_down *d, int layer, uint32_t gen, uint16_t seq, uint32_t ts, const vp8_desc *v,
                       int64_t now_us, sim_out *out) {
  if (layer < 0 || layer >= SIM_MAX_LAYERS) return SIM_DROP;
  if (layer == d->cur.layer && gen != d->cur.gen) { /* the encoding restarted: resync at a key frame */
    d->prev = d->cur;
    d->cur.layer = -1;
  }
  if (layer == d->cur.layer) {
    /* Soon after the switch, older than the key frame this layer started
     * with (reordered): the subscriber never had what it refers to. Later
     * the sequence numbers wrap, and every packet is taken. */
    if (d->cur.sent < REORDER_WINDOW && rtp_seq_newer(d->cur.first_in_seq, seq)) return SIM_DROP;
    d->cur.sent++;
    *out = sim_apply(&d->cur, seq, ts, v);
    note_sent(d, out, v, now_us);
    return SIM_FORWARD;
  }
  if (layer != d->target || !v->keyframe) return SIM_DROP;
  sim_offsets n = {.layer = (int8_t)layer, .gen = gen, .sent = 1};
  if (d->started) { /* continue from the last packet sent */
    int64_t gap_us = now_us > d->last_us ? now_us - d->last_us : 0;
    int64_t gap = gap_us * TS_CLOCK_KHZ / 1000;
    if (gap < 1) gap = 1;
    if (gap > TS_GAP_MAX) gap = TS_GAP_MAX;
    n.seq = (uint16_t)(d->last_seq + 1 - seq);
    n.ts = d->last_ts + (uint32_t)gap - ts;
    if (v->has_picture_id) n.pid = (uint16_t)(d->last_pid + 1 - v->picture_id);
    if (v->has_tl0) n.tl0 = (uint8_t)(d->last_tl0 + 1 - v->tl0picidx);
  }
  n.first_in_seq = seq;
  n.first_out_seq = (uint16_t)(seq + n.seq);
  if (d->cur.layer >= 0) d->prev = d->cur;
  d->cur = n;
  d->switches++;
  *out = sim_apply(&d->cur, seq, ts, v);
  note_sent(d, out, v, now_us);
  return SIM_SWITCHED;
}

/* Is out_seq in first..last (sequence numbers, wrapping)? */
static bool within(uint16_t out_seq, uint16_t first, uint16_t last) {
  return (uint16_t)(out_seq - first) <= (uint16_t)(last - first);
}

int sim_lookup(const sim_down *d, uint16_t out_seq, int *layer, uint16_t *in_seq, const sim_offsets **off) {
  if (!d->started) return -1;
  const sim_offsets *o = NULL;
  if (d->cur.layer >= 0 && within(out_seq, d->cur.first_out_seq, d->last_seq)) {
    o = &d->cur;
  } else if (d->prev.layer >= 0) {
    /* The previous layer sent up to the current one's first packet, or,
     * paused since, up to the last one sent. */
    uint16_t end = d->cur.layer >= 0 ? (uint16_t)(d->cur.first_out_seq - 1) : d->last_seq;
    if (within(out_seq, d->prev.first_out_seq, end)) o = &d->prev;
  }
  if (!o) return -1;
  *layer = o->layer;
  *in_seq = (uint16_t)(out_seq - o->seq);
  *off = o;
  return 0;
}
