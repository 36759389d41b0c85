/* Loudest audio (src/sfu/loudest.h): only the N loudest streams of a room
 * are forwarded; a clearly louder newcomer gets in on the packet that shows
 * it, equally loud ones do not flap, a paused speaker keeps its place for the
 * hangover, N = 0 and rooms of N senders or fewer forward everything, and
 * receivers see sequence numbers without a gap across what was held back. */
#include <string.h>

#include "sfu/loudest.h"
#include "test.h"

#define MS 1000
#define SILENT 127

typedef struct {
  loudest_stream s;
  uint16_t seq;
} stream;

/* One packet of st at level, at ms; the verdict; *out the number sent. */
static loudest_verdict pkt(loudest_room *r, int n, stream *st, int level, int64_t ms, uint16_t *out) {
  uint16_t o;
  loudest_verdict v = loudest_packet(r, n, &st->s, level, ms * MS, st->seq++, &o);
  if (out) *out = o;
  return v;
}

static void test_off_and_small_rooms(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {.seq = 100}, b = {.seq = 7}, c = {.seq = 9};
  uint16_t o;
  /* N = 0: everything, unchanged, whatever the levels */
  for (int i = 0; i < 10; i++) {
    CHECK(pkt(&r, 0, &a, 10, i * 20, &o) != LOUDEST_DROP);
    CHECK_EQ_INT(o, 100 + i);
    CHECK(pkt(&r, 0, &b, SILENT, i * 20, &o) != LOUDEST_DROP);
  }
  /* N = 3 and three senders, one loud and two silent: all forwarded, unchanged */
  loudest_room_clear(&r);
  memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
  a.seq = 500;
  for (int i = 0; i < 50; i++) {
    CHECK_EQ_INT(pkt(&r, 3, &a, 20, i * 20, &o), LOUDEST_FORWARD);
    CHECK_EQ_INT(o, 500 + i);
    CHECK_EQ_INT(pkt(&r, 3, &b, SILENT, i * 20, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 3, &c, SILENT, i * 20, NULL), LOUDEST_FORWARD);
  }
  CHECK_EQ_INT(r.n_sel, 3);
}

/* N = 1: an equally loud or slightly louder second speaker does not take
 * the place; one 10 dB louder does, on its first packet. */
static void test_hysteresis(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {0}, b = {0};
  int64_t t = 0;
  for (int i = 0; i < 100; i++, t += 20) { /* both speak as loud (-30 dBov) for 2 s */
    CHECK_EQ_INT(pkt(&r, 1, &a, 30, t, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 1, &b, 30, t, NULL), LOUDEST_DROP);
  }
  for (int i = 0; i < 50; i++, t += 20) { /* b 4 dB louder: still not enough */
    CHECK_EQ_INT(pkt(&r, 1, &a, 30, t, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 1, &b, 26, t, NULL), LOUDEST_DROP);
  }
  CHECK_EQ_INT(pkt(&r, 1, &a, 30, t, NULL), LOUDEST_FORWARD);
  CHECK_EQ_INT(pkt(&r, 1, &b, 20, t, NULL), LOUDEST_SWITCHED_IN); /* 10 dB louder: at once */
  CHECK(b.s.selected && !a.s.selected);
  CHECK_EQ_INT(pkt(&r, 1, &a, 30, t + 20, NULL), LOUDEST_DROP);
  CHECK_EQ_INT(pkt(&r, 1, &b, 30, t + 20, NULL), LOUDEST_FORWARD); /* back to as loud: b keeps it */
}

/* N = 2 of four: two talked and went quiet 3 s ago; a quiet one's first
 * loud packet is forwarded. */
static void test_new_speaker_at_once(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream s[4] = {0};
  int64_t t = 0;
  for (int i = 0; i < 50; i++, t += 20) {
    CHECK_EQ_INT(pkt(&r, 2, &s[0], 25, t, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 2, &s[1], 28, t, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 2, &s[2], 70, t, NULL), LOUDEST_DROP); /* background noise */
    CHECK_EQ_INT(pkt(&r, 2, &s[3], 70, t, NULL), LOUDEST_DROP);
  }
  for (int i = 0; i < 150; i++, t += 20) { /* the two stop (DTX sends a packet now and then) */
    if (i % 20 == 0) pkt(&r, 2, &s[0], SILENT, t, NULL), pkt(&r, 2, &s[1], SILENT, t, NULL);
    /* 3 s later their meters fell to 62 and 59 dB: the noise (57) is not 6 dB above */
    CHECK_EQ_INT(pkt(&r, 2, &s[2], 70, t, NULL), LOUDEST_DROP);
  }
  uint16_t o, first = s[3].seq;
  CHECK_EQ_INT(pkt(&r, 2, &s[3], 30, t, &o), LOUDEST_SWITCHED_IN); /* its first loud packet */
  CHECK_EQ_INT(o, first);
  CHECK(!s[1].s.selected && s[0].s.selected); /* the quieter of the two made room */
  CHECK(s[3].s.selected);
  CHECK_EQ_INT(r.n_sel, 2);
}

/* A paused speaker keeps its place for the hangover (~1 s), then an
 * equally loud newcomer takes it. */
static void test_hangover(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {0}, b = {0};
  int64_t t = 0;
  for (int i = 0; i < 50; i++, t += 20) {
    CHECK_EQ_INT(pkt(&r, 1, &a, 30, t, NULL), LOUDEST_FORWARD);
    CHECK_EQ_INT(pkt(&r, 1, &b, SILENT, t, NULL), LOUDEST_DROP);
  }
  int64_t quiet_at = t; /* a pauses; its packets are silent from now */
  int64_t b_in = -1;
  for (; t < quiet_at + 3000; t += 20) {
    pkt(&r, 1, &a, SILENT, t, NULL);
    loudest_verdict v = pkt(&r, 1, &b, 30, t, NULL);
    if (v == LOUDEST_SWITCHED_IN) {
      b_in = t - quiet_at;
      break;
    }
    CHECK_EQ_INT(v, LOUDEST_DROP);
  }
  /* held 1 s, then falling 20 dB/s: 6 dB under b after 1.3 s */
  CHECK(b_in >= LOUDEST_HANGOVER_US / MS);
  CHECK(b_in <= LOUDEST_HANGOVER_US / MS + 400);
  /* a stream that sends nothing at all falls the same way */
  loudest_room_clear(&r);
  stream c = {0}, d = {0};
  CHECK_EQ_INT(pkt(&r, 1, &c, 30, 0, NULL), LOUDEST_FORWARD);
  CHECK_EQ_INT(pkt(&r, 1, &d, 30, 900, NULL), LOUDEST_DROP);
  CHECK_EQ_INT(pkt(&r, 1, &d, 30, 1400, NULL), LOUDEST_SWITCHED_IN);
}

/* Receivers see no gap: what was held back is skipped in the numbering,
 * late packets from before a resume are not sent, the count is kept. */
static void test_sequence_continuity(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {.seq = 65530}, b = {0};
  uint16_t o, last = 0;
  int64_t t = 0;
  for (int i = 0; i < 10; i++, t += 20) {
    CHECK_EQ_INT(pkt(&r, 1, &a, 40, t, &o), LOUDEST_FORWARD);
    CHECK_EQ_INT(o, (uint16_t)(65530 + i));
    last = o;
  }
  CHECK_EQ_INT(pkt(&r, 1, &b, 10, t, NULL), LOUDEST_SWITCHED_IN);
  for (int i = 0; i < 50; i++, t += 20) CHECK_EQ_INT(pkt(&r, 1, &a, 40, t, NULL), LOUDEST_DROP);
  a.seq += 3; /* three lost on the way meanwhile */
  t += 3000;  /* b went quiet long ago */
  CHECK_EQ_INT(pkt(&r, 1, &b, SILENT, t, NULL), LOUDEST_FORWARD);
  CHECK_EQ_INT(pkt(&r, 1, &a, 10, t, &o), LOUDEST_SWITCHED_IN);
  CHECK_EQ_INT(o, (uint16_t)(last + 1));
  CHECK_EQ_INT(a.s.skipped, 50); /* held back here; the three lost were never the SFU's */
  uint16_t late;
  CHECK_EQ_INT(loudest_packet(&r, 1, &a.s, 10, t * MS, (uint16_t)(a.seq - 5), &late), LOUDEST_DROP);
  CHECK_EQ_INT(pkt(&r, 1, &a, 10, t + 20, &o), LOUDEST_FORWARD);
  CHECK_EQ_INT(o, (uint16_t)(last + 2));
  /* a packet reordered in steady forwarding keeps its own number */
  for (int i = 0; i < 100; i++) pkt(&r, 1, &a, 10, t + 40 + i * 20, &o);
  CHECK_EQ_INT(loudest_packet(&r, 1, &a.s, 10, (t + 3000) * MS, (uint16_t)(a.seq - 2), &late), LOUDEST_FORWARD);
  CHECK_EQ_INT(late, (uint16_t)(o - 1));
  /* A packet from before the resume, however late (a publisher may hold
   * one back on purpose): its number was given away, it is never sent. */
  uint16_t before_resume = (uint16_t)(a.seq - 110);
  for (int i = 0; i < 400; i++) CHECK_EQ_INT(pkt(&r, 1, &a, 10, t + 3000 + i * 20, NULL), LOUDEST_FORWARD);
  CHECK_EQ_INT(loudest_packet(&r, 1, &a.s, 10, (t + 12000) * MS, (uint16_t)(before_resume - 400), &late), LOUDEST_DROP);
  /* Long after the resume (past the 16-bit wrap twice) packets still go, numbered on. */
  uint16_t prev = 0;
  for (int i = 0; i < 140000; i++) {
    CHECK_EQ_INT(pkt(&r, 1, &a, 10, t + 13000 + i * 20, &o), LOUDEST_FORWARD);
    if (i) CHECK_EQ_INT(o, (uint16_t)(prev + 1));
    prev = o;
  }
}

/* Held back for longer than the 16-bit numbers last: the count of what was
 * held back (for sender reports) is exact, and the numbering continues. */
static void test_long_gap(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {.seq = 1}, b = {.seq = 1};
  uint16_t o, last;
  CHECK_EQ_INT(pkt(&r, 1, &a, 40, 0, &last), LOUDEST_FORWARD);
  int64_t t = 20;
  CHECK_EQ_INT(pkt(&r, 1, &b, 10, t, NULL), LOUDEST_SWITCHED_IN);
  for (int i = 0; i < 70000; i++, t += 20) {
    pkt(&r, 1, &b, 10, t, NULL); /* b keeps talking */
    CHECK_EQ_INT(pkt(&r, 1, &a, 40, t, NULL), LOUDEST_DROP);
  }
  CHECK_EQ_INT(a.s.skipped, 70000);
  t += 3000; /* b stops; a is louder now */
  CHECK_EQ_INT(pkt(&r, 1, &a, 0, t, &o), LOUDEST_SWITCHED_IN);
  CHECK_EQ_INT(o, (uint16_t)(last + 1));
}

/* The wall clock stepping back (the meters' times are arrival times) does
 * not hold a quiet speaker's place for as long as the step. */
static void test_clock_steps_back(void) {
  loudest_room r;
  loudest_room_clear(&r);
  stream a = {.seq = 1}, b = {.seq = 1};
  int64_t t = 600000; /* ms */
  CHECK_EQ_INT(pkt(&r, 1, &a, 30, t, NULL), LOUDEST_FORWARD); /* a: -30 dBov, then silent */
  t -= 600000; /* ten minutes back */
  CHECK_EQ_INT(pkt(&r, 1, &b, 34, t, NULL), LOUDEST_DROP); /* 4 dB under a's peak: no */
  CHECK_EQ_INT(pkt(&r, 1, &b, 34, t + 1500, NULL), LOUDEST_DROP);
  /* a's peak counts from the step: held 1 s, then falls 20 dB/s: b gets in within seconds */
  loudest_verdict v = LOUDEST_DROP;
  for (int64_t ms = t + 1500; ms < t + 5000 && v == LOUDEST_DROP; ms += 20) v = pkt(&r, 1, &b, 34, ms, NULL);
  CHECK_EQ_INT(v, LOUDEST_SWITCHED_IN);
}

/* Rebuilding a room keeps the selected streams, at most N: the loudest
 * (two rooms joined by a subscription each had their own). */
static void test_rebuild(void) {
  loudest_room r;
  loudest_room_clear(&r);
  loudest_stream s[4] = {{.selected = true, .peak_q8 = 40 << 8}, {.selected = true, .peak_q8 = 90 << 8},
                         {.selected = false, .peak_q8 = 120 << 8}, {.selected = true, .peak_q8 = 20 << 8}};
  for (int i = 0; i < 4; i++) loudest_room_add(&r, 1, &s[i], 0);
  CHECK_EQ_INT(r.n_sel, 1);
  CHECK(!s[0].selected && s[1].selected && !s[2].selected && !s[3].selected);
  CHECK(r.sel[0] == &s[1]);
  loudest_room_clear(&r);
  for (int i = 0; i < 4; i++) loudest_room_add(&r, 0, &s[i], 0); /* off: nothing is selected */
  CHECK(r.n_sel == 0 && !s[1].selected);
  /* a level out of range leaves the meter alone */
  loudest_stream x = {0};
  uint16_t o;
  loudest_room_clear(&r);
  loudest_packet(&r, 1, &x, 200, 0, 1, &o);
  CHECK_EQ_INT(x.peak_q8, 0);
  loudest_packet(&r, 1, &x, -1, 0, 2, &o);
  CHECK_EQ_INT(x.peak_q8, 0);
}

TEST_SUITE(loudest, {"off_and_small_rooms", test_off_and_small_rooms}, {"hysteresis", test_hysteresis},
           {"new_speaker_at_once", test_new_speaker_at_once}, {"hangover", test_hangover},
           {"sequence_continuity", test_sequence_continuity}, {"long_gap", test_long_gap},
           {"clock_steps_back", test_clock_steps_back}, {"rebuild", test_rebuild});
