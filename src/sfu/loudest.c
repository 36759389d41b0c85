/* Loudest audio: the N loudest streams of a room, with a peak meter per
 * stream, hysteresis and a hangover; sequence numbers kept continuous for
 * receivers across what is held back. See sfu/loudest.h. */
#include "sfu/loudest.h"

#include <string.h>

int32_t loudest_loudness_q8(const loudest_stream *s, int64_t now_us) {
  int64_t since = now_us - s->peak_us - LOUDEST_HANGOVER_US;
  if (since <= 0) return s->peak_q8;
  /* 20 dB/s in 1/256 dB: since_us * 20 * 256 / 1e6; capped well before overflow */
  if (since > 100000000) return 0;
  int64_t fall = since * LOUDEST_RELEASE_DB_PER_S * 256 / 1000000;
  return fall >= s->peak_q8 ? 0 : (int32_t)(s->peak_q8 - fall);
}

void loudest_room_clear(loudest_room *r) { memset(r, 0, sizeof *r); }

/* The index of r's quietest selected stream at now_us (r->n_sel > 0). */
static int quietest(const loudest_room *r, int64_t now_us, int32_t *loud) {
  int q = 0;
  *loud = loudest_loudness_q8(r->sel[0], now_us);
  for (int i = 1; i < r->n_sel; i++) {
    int32_t l = loudest_loudness_q8(r->sel[i], now_us);
    if (l < *loud) q = i, *loud = l;
  }
  return q;
}

void loudest_room_add(loudest_room *r, int n, loudest_stream *s, int64_t now_us) {
  if (n > LOUDEST_MAX_N) n = LOUDEST_MAX_N;
  if (!s->selected || n <= 0) {
    s->selected = false;
    return;
  }
  if (r->n_sel < n) {
    r->sel[r->n_sel++] = s;
    return;
  }
  int32_t q_loud;
  int q = quietest(r, now_us, &q_loud);
  if (loudest_loudness_q8(s, now_us) > q_loud) {
    r->sel[q]->selected = false;
    r->sel[q] = s;
  } else {
    s->selected = false;
  }
}

/* A peak "in the future" (the wall clock stepped back): held from now, not
 * for as long as the step. */
static void rebase(loudest_stream *s, int64_t now_us) {
  if (s->peak_us > now_us) s->peak_us = now_us;
}

static void meter(loudest_stream *s, int level, int64_t now_us) {
  rebase(s, now_us);
  if (level < 0 || level > 127) return;
  int32_t loud = (127 - level) << 8;
  if (loud >= loudest_loudness_q8(s, now_us)) { /* at or above the meter: a new peak, held again */
    s->peak_q8 = loud;
    s->peak_us = now_us;
  }
}

/* Does s get a place: a free one, or the quietest selected stream's if s
 * is clearly louder? */
static loudest_verdict select_stream(loudest_room *r, int n, loudest_stream *s, int64_t now_us) {
  if (s->selected) return LOUDEST_FORWARD;
  if (r->n_sel < n) {
    r->sel[r->n_sel++] = s;
    s->selected = true;
    return LOUDEST_FORWARD;
  }
  if (r->n_sel == 0) return LOUDEST_DROP;
  for (int i = 0; i < r->n_sel; i++) rebase(r->sel[i], now_us);
  int32_t q_loud;
  int q = quietest(r, now_us, &q_loud);
  if (loudest_loudness_q8(s, now_us) <= q_loud + (LOUDEST_MARGIN_DB << 8)) return LOUDEST_DROP;
  r->sel[q]->selected = false;
  r->sel[q] = s;
  s->selected = true;
  return LOUDEST_SWITCHED_IN;
}

loudest_verdict loudest_packet(loudest_room *r, int n, loudest_stream *s, int level, int64_t now_us, uint16_t seq,
                               uint16_t *out_seq) {
  *out_seq = seq;
  if (n <= 0) return LOUDEST_FORWARD;
  if (n > LOUDEST_MAX_N) n = LOUDEST_MAX_N;
  meter(s, level, now_us);
  loudest_verdict v = select_stream(r, n, s, now_us);
  if (v == LOUDEST_DROP) {
    s->skipped++;
    if (s->started) s->gap = true;
    return LOUDEST_DROP;
  }
  if (!s->started) { /* the first packet forwarded: numbers as the publisher's */
    s->started = true;
    s->offset = 0;
    s->resume_out = seq;
    s->last_out = seq;
    return v;
  }
  if (s->gap) { /* resumed: go on from the last number forwarded, as after DTX */
    s->offset = (uint16_t)(seq - (uint16_t)(s->last_out + 1));
    s->gap = false;
    s->resume_out = (uint16_t)(s->last_out + 1);
  }
  uint16_t out = (uint16_t)(seq - s->offset);
  /* Numbers before the resume were given away (or are the gap's): a late
   * packet from before it is not sent, however late. The mark follows the
   * stream at LOUDEST_REORDER_SPAN behind its newest number, so that the
   * comparison holds across the 16-bit wrap. */
  if ((int16_t)(out - s->resume_out) < 0) {
    s->skipped++;
    return LOUDEST_DROP;
  }
  if ((int16_t)(out - s->last_out) > 0) s->last_out = out;
  if ((int16_t)(s->last_out - s->resume_out) > LOUDEST_REORDER_SPAN)
    s->resume_out = (uint16_t)(s->last_out - LOUDEST_REORDER_SPAN);
  *out_seq = out;
  return v;
}
