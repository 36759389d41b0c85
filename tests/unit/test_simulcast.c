/* Simulcast down tracks (src/sfu/simulcast.h): three layers with their own
 * sequence numbers, timestamps and picture ids; a subscriber switches only
 * at a key frame of the layer it wants, and what it gets stays continuous:
 * sequence numbers without a gap, timestamps and picture ids that only move
 * forward. NACKs find the packet in the layer that sent it. */
#include <string.h>

#include "rtp/rtp.h"
#include "sfu/simulcast.h"
#include "test.h"

/* A publisher's layer: its own random-looking bases. */
typedef struct {
  uint16_t seq;
  uint32_t ts;
  uint16_t pid;
  uint8_t tl0;
} layer_state;

static vp8_desc desc(uint16_t pid, uint8_t tl0, bool key, bool start) {
  vp8_desc v = {.len = 5, .start = start, .has_picture_id = true, .long_picture_id = true, .picture_id = pid,
                .has_tl0 = true, .tl0picidx = tl0, .keyframe = key && start};
  return v;
}

/* Sends one frame of n packets of layer l through d; counts what was
 * forwarded and checks continuity against *last. */
typedef struct {
  bool any;
  sim_out last;
  int forwarded, switched;
} seen;

static void frame(sim_down *d, int l, layer_state *ls, int n, bool key, int64_t now_us, seen *s) {
  for (int i = 0; i < n; i++) {
    vp8_desc v = desc(ls->pid, ls->tl0, key, i == 0);
    sim_out o;
    sim_verdict r = sim_packet(d, l, 0, ls->seq, ls->ts, &v, now_us, &o);
    if (r != SIM_DROP) {
      if (s->any) {
        CHECK_EQ_INT((uint16_t)(o.seq - s->last.seq), 1); /* no gap, no repeat */
        CHECK((int32_t)(o.ts - s->last.ts) >= 0);
        CHECK((uint16_t)(o.pid - s->last.pid) <= 1);
      }
      s->any = true;
      s->last = o;
      s->forwarded++;
      if (r == SIM_SWITCHED) s->switched++;
    }
    ls->seq++;
  }
  ls->ts += 3000;
  ls->pid = (uint16_t)((ls->pid + 1) & 0x7fff);
  ls->tl0++;
}

static void test_switching(void) {
  layer_state L[3] = {{100, 1000, 10, 1}, {60000, 4000000000u, 32760, 250}, {7, 5, 500, 9}};
  sim_down d;
  sim_down_init(&d, 0);
  seen s = {0};
  int64_t t = 1000000;
  /* No key frame yet: nothing. */
  for (int l = 0; l < 3; l++) frame(&d, l, &L[l], 3, false, t, &s);
  CHECK_EQ_INT(s.forwarded, 0);
  CHECK(sim_waiting(&d));
  /* A key frame of layer 0 starts it; the others are dropped. */
  t += 33000;
  frame(&d, 0, &L[0], 2, true, t, &s);
  frame(&d, 1, &L[1], 4, true, t, &s);
  frame(&d, 2, &L[2], 8, true, t, &s);
  CHECK_EQ_INT(s.forwarded, 2);
  CHECK_EQ_INT(s.switched, 1);
  CHECK(!sim_waiting(&d));
  for (int k = 0; k < 5; k++) {
    t += 33000;
    for (int l = 0; l < 3; l++) frame(&d, l, &L[l], 2 + 2 * l, false, t, &s);
  }
  CHECK_EQ_INT(s.forwarded, 12);
  /* Up to layer 2: layer 0 goes on until layer 2's key frame. */
  sim_set_target(&d, 2);
  CHECK(sim_waiting(&d));
  t += 33000;
  for (int l = 0; l < 3; l++) frame(&d, l, &L[l], 2 + 2 * l, false, t, &s);
  CHECK_EQ_INT(s.forwarded, 14);
  t += 33000;
  uint16_t ts_before = (uint16_t)s.last.ts;
  (void)ts_before;
  frame(&d, 0, &L[0], 2, false, t, &s); /* layer 0 first in this round: still forwarded */
  frame(&d, 2, &L[2], 6, true, t, &s);  /* the key frame: switched */
  frame(&d, 1, &L[1], 4, false, t, &s);
  CHECK_EQ_INT(s.forwarded, 22);
  CHECK_EQ_INT(s.switched, 2);
  CHECK(!sim_waiting(&d));
  t += 33000;
  frame(&d, 0, &L[0], 2, false, t, &s); /* the old layer is dropped now */
  CHECK_EQ_INT(s.forwarded, 22);
  /* Down to 1, then pause, then back to 0. */
  sim_set_target(&d, 1);
  t += 33000;
  frame(&d, 1, &L[1], 4, true, t, &s);
  CHECK_EQ_INT(s.switched, 3);
  sim_set_target(&d, -1);
  CHECK(!sim_waiting(&d));
  t += 33000;
  for (int l = 0; l < 3; l++) frame(&d, l, &L[l], 3, true, t, &s);
  CHECK_EQ_INT(s.switched, 3);
  int before = s.forwarded;
  sim_set_target(&d, 0);
  t += 5000000; /* five seconds paused: the timestamps move on by about as much */
  uint32_t last_ts = s.last.ts;
  frame(&d, 0, &L[0], 2, true, t, &s);
  CHECK_EQ_INT(s.forwarded, before + 2);
  CHECK((uint32_t)(s.last.ts - last_ts) >= 5000000 / 1000 * 90 - 90);
  CHECK_EQ_INT(d.switches, 4);
}

/* A packet of the new layer older than its key frame (reordered) is not forwarded. */
static void test_reordered_before_key(void) {
  sim_down d;
  sim_down_init(&d, 1);
  vp8_desc key = desc(50, 3, true, true), old = desc(49, 2, false, true);
  sim_out o;
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 1000, 90000, &key, 0, &o), SIM_SWITCHED);
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 999, 87000, &old, 0, &o), SIM_DROP);
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 1001, 90000, &key, 0, &o), SIM_FORWARD);
  CHECK_EQ_INT(sim_packet(&d, 7, 0, 1, 1, &key, 0, &o), SIM_DROP); /* no such layer */
}

static void test_nack_lookup(void) {
  sim_down d;
  sim_down_init(&d, 0);
  vp8_desc k0 = desc(10, 1, true, true), k2 = desc(900, 40, true, true), p = desc(10, 1, false, false);
  sim_out o;
  CHECK_EQ_INT(sim_packet(&d, 0, 0, 500, 1000, &k0, 0, &o), SIM_SWITCHED);
  uint16_t first0 = o.seq;
  CHECK_EQ_INT(sim_packet(&d, 0, 0, 501, 1000, &p, 0, &o), SIM_FORWARD);
  uint16_t second0 = o.seq;
  sim_set_target(&d, 2);
  CHECK_EQ_INT(sim_packet(&d, 2, 0, 40000, 777, &k2, 33000, &o), SIM_SWITCHED);
  uint16_t first2 = o.seq;
  CHECK_EQ_INT((uint16_t)(first2 - second0), 1);
  int layer;
  uint16_t in;
  const sim_offsets *off;
  CHECK_EQ_INT(sim_lookup(&d, first2, &layer, &in, &off), 0);
  CHECK_EQ_INT(layer, 2);
  CHECK_EQ_INT(in, 40000);
  sim_out again = sim_apply(off, in, 777, &k2);
  CHECK_EQ_INT(again.seq, first2);
  CHECK_EQ_INT(again.pid, o.pid);
  CHECK_EQ_INT(sim_lookup(&d, second0, &layer, &in, &off), 0);
  CHECK_EQ_INT(layer, 0);
  CHECK_EQ_INT(in, 501);
  CHECK_EQ_INT(sim_lookup(&d, first0, &layer, &in, &off), 0);
  CHECK_EQ_INT(in, 500);
  CHECK_EQ_INT(sim_lookup(&d, (uint16_t)(first0 - 1), &layer, &in, &off), -1); /* before anything was sent */
  CHECK_EQ_INT(sim_lookup(&d, (uint16_t)(first2 + 1), &layer, &in, &off), -1);  /* not sent yet */
  /* Paused: what the paused layer sent is still found, nothing after it. */
  sim_set_target(&d, -1);
  CHECK_EQ_INT(sim_lookup(&d, first2, &layer, &in, &off), 0);
  CHECK_EQ_INT(layer, 2);
  CHECK_EQ_INT(sim_lookup(&d, (uint16_t)(first2 + 1), &layer, &in, &off), -1);
}

/* One layer for longer than half the sequence space: every packet goes on
 * (the check against packets older than the key frame applies only just
 * after a switch), and NACKs keep finding them. */
static void test_long_run(void) {
  sim_down d;
  sim_down_init(&d, 0);
  vp8_desc key = desc(1, 1, true, true), p = desc(1, 1, false, false);
  sim_out o;
  int dropped = 0;
  uint16_t out0 = 0;
  for (int i = 0; i < 70000; i++) {
    sim_verdict r = sim_packet(&d, 0, 0, (uint16_t)(1000 + i), (uint32_t)i * 30, i ? &p : &key, i, &o);
    if (r == SIM_DROP) dropped++;
    if (i == 0) out0 = o.seq;
  }
  CHECK_EQ_INT(dropped, 0);
  int layer;
  uint16_t in;
  const sim_offsets *off;
  CHECK_EQ_INT(sim_lookup(&d, (uint16_t)(out0 + 69990), &layer, &in, &off), 0);
  CHECK_EQ_INT(in, (uint16_t)(1000 + 69990));
}

/* The publisher restarts an encoding (a new SSRC: new sequence numbers,
 * timestamps, picture ids): the old offsets are not applied to it; it is
 * taken up again at its next key frame, continuing the subscriber's stream. */
static void test_restart(void) {
  sim_down d;
  sim_down_init(&d, 1);
  vp8_desc key = desc(100, 5, true, true), p = desc(100, 5, false, false);
  sim_out o;
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 1000, 5000, &key, 0, &o), SIM_SWITCHED);
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 1001, 5000, &p, 0, &o), SIM_FORWARD);
  uint16_t last = o.seq;
  CHECK_EQ_INT(sim_packet(&d, 1, 1, 50000, 9, &p, 1000, &o), SIM_DROP); /* new stream, no key frame yet */
  CHECK(sim_waiting(&d));
  vp8_desc key2 = desc(7, 9, true, true);
  CHECK_EQ_INT(sim_packet(&d, 1, 1, 50001, 9, &key2, 2000, &o), SIM_SWITCHED);
  CHECK_EQ_INT((uint16_t)(o.seq - last), 1);
  CHECK_EQ_INT(sim_packet(&d, 1, 1, 50002, 9, &p, 2000, &o), SIM_FORWARD);
}

/* 7-bit picture ids keep moving forward across their wrap and a switch. */
static void test_short_picture_id(void) {
  sim_down d;
  sim_down_init(&d, 0);
  vp8_desc k = {.len = 3, .start = true, .has_picture_id = true, .picture_id = 120, .keyframe = true};
  sim_out o;
  CHECK_EQ_INT(sim_packet(&d, 0, 0, 1, 0, &k, 0, &o), SIM_SWITCHED);
  vp8_desc f = k;
  f.keyframe = false;
  for (int i = 1; i <= 20; i++) {
    f.picture_id = (uint16_t)((120 + i) & 0x7f);
    CHECK_EQ_INT(sim_packet(&d, 0, 0, (uint16_t)(1 + i), (uint32_t)i * 3000, &f, i, &o), SIM_FORWARD);
  }
  CHECK_EQ_INT(d.last_pid, (120 + 20) & 0x7f);
  sim_set_target(&d, 1);
  vp8_desc k1 = k;
  k1.picture_id = 50;
  CHECK_EQ_INT(sim_packet(&d, 1, 0, 900, 77, &k1, 30, &o), SIM_SWITCHED);
  CHECK_EQ_INT(o.pid, ((120 + 20) + 1) & 0x7f);
}

TEST_SUITE(simulcast, {"long_run", test_long_run}, {"restart", test_restart}, {"short_picture_id", test_short_picture_id}, {"switching", test_switching}, {"reordered_before_key", test_reordered_before_key},
           {"nack_lookup", test_nack_lookup});
