/* Unit tests for src/rtp/history.c: the retransmission history (store and
 * fetch, age limit, sequence wrap-around, overwritten and oversized slots)
 * and the sequence tracker (gaps, reordering, duplicates, wrap at
 * 65535 -> 0, huge jumps as stream resets, and a long simulated stream with
 * loss, reordering and duplication checked against what was sent). */
#include <stdbool.h>
#include <stdint.h>

#include "rtp/history.h"
#include "test.h"

static rtp_history hist; /* about 760 KiB: not on the stack */

/* A recognisable fake packet for seq of len bytes. */
static void fill(uint8_t *p, size_t len, uint16_t seq) {
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(seq * 7 + i);
}

static bool holds(uint16_t seq, size_t want_len, uint64_t now, uint64_t max_age) {
  size_t len = 0;
  const uint8_t *p = rtp_history_get(&hist, seq, &len, now, max_age);
  if (!p || len != want_len) return false;
  uint8_t want[RTP_HISTORY_MAX_PACKET];
  fill(want, want_len, seq);
  return memcmp(p, want, want_len) == 0;
}

static void put(uint16_t seq, size_t len, uint64_t now) {
  uint8_t p[RTP_HISTORY_MAX_PACKET + 1];
  fill(p, len, seq);
  rtp_history_put(&hist, seq, p, len, now);
}

static void test_history_put_get(void) {
  memset(&hist, 0, sizeof hist);
  size_t len = 99;
  /* Empty (zero-initialised): nothing, not even seq 0. */
  CHECK(rtp_history_get(&hist, 0, &len, 0, 1000) == NULL);
  CHECK_EQ_INT(len, 99);
  put(1000, 200, 5000);
  put(1001, 1200, 5010);
  CHECK(holds(1000, 200, 5000, 1000));
  CHECK(holds(1001, 1200, 5500, 1000));
  CHECK(rtp_history_get(&hist, 1002, &len, 5500, 1000) == NULL);
  CHECK(rtp_history_get(&hist, 999, &len, 5500, 1000) == NULL);
  /* The stored copy does not alias the caller's buffer. */
  uint8_t p[4] = {1, 2, 3, 4};
  rtp_history_put(&hist, 7, p, sizeof p, 0);
  p[0] = 9;
  const uint8_t *got = rtp_history_get(&hist, 7, &len, 0, 10);
  CHECK(got != NULL && len == 4 && got[0] == 1);
}

/* A stream that restarts (a new SSRC for a simulcast encoding) brings the
 * same sequence numbers back for other packets: after a clear, a NACK for
 * one of them finds nothing of the old stream. */
static void test_history_clear(void) {
  memset(&hist, 0, sizeof hist);
  put(300, 500, 1000);
  put(301, 700, 1000);
  rtp_history_clear(&hist);
  size_t len = 0;
  CHECK(rtp_history_get(&hist, 300, &len, 1001, 1000) == NULL);
  CHECK(rtp_history_get(&hist, 301, &len, 1001, 1000) == NULL);
  put(300, 90, 1002);
  CHECK(holds(300, 90, 1003, 1000));
}

static void test_history_stale(void) {
  memset(&hist, 0, sizeof hist);
  put(50, 100, 10000);
  CHECK(holds(50, 100, 10999, 1000));
  CHECK(!holds(50, 100, 11000, 1000)); /* younger than max_age, strictly */
  CHECK(!holds(50, 100, 99999, 1000));
  CHECK(!holds(50, 100, 10000, 0));
  /* A clock that went backwards counts as age 0. */
  CHECK(holds(50, 100, 9000, 1));
  /* 65536 packets later the same seq comes back: only the fresh one. */
  put(50, 60, 20000);
  CHECK(holds(50, 60, 20000, 1000));
}

static void test_history_wrap(void) {
  memset(&hist, 0, sizeof hist);
  for (uint32_t i = 0; i < 600; i++) put((uint16_t)(65300 + i), 100 + i % 50, 1000 + i);
  /* The last 512 (65388 .. 363 across the wrap) are there; older ones gone. */
  for (uint32_t i = 0; i < 600; i++) {
    uint16_t seq = (uint16_t)(65300 + i);
    CHECK(holds(seq, 100 + i % 50, 2000, 5000) == (i >= 600 - RTP_HISTORY_SLOTS));
  }
  CHECK(holds(65535, 100 + 235 % 50, 2000, 5000));
  CHECK(holds(0, 100 + 236 % 50, 2000, 5000));
}

static void test_history_overwritten(void) {
  memset(&hist, 0, sizeof hist);
  put(10, 100, 0);
  put(10 + RTP_HISTORY_SLOTS, 80, 0); /* same slot */
  CHECK(!holds(10, 100, 0, 1000));
  CHECK(holds(10 + RTP_HISTORY_SLOTS, 80, 0, 1000));
  /* A later put of an older seq into that slot replaces it too. */
  put(10, 100, 1);
  CHECK(holds(10, 100, 1, 1000));
  CHECK(!holds(10 + RTP_HISTORY_SLOTS, 80, 1, 1000));
}

static void test_history_sizes(void) {
  memset(&hist, 0, sizeof hist);
  put(3, RTP_HISTORY_MAX_PACKET, 0);
  CHECK(holds(3, RTP_HISTORY_MAX_PACKET, 0, 1000));
  put(4, 1, 0);
  CHECK(holds(4, 1, 0, 1000));
  /* Too large: ignored, and the slot no longer answers with its old packet. */
  put(3 + RTP_HISTORY_SLOTS, RTP_HISTORY_MAX_PACKET + 1, 0);
  size_t len;
  CHECK(rtp_history_get(&hist, 3 + RTP_HISTORY_SLOTS, &len, 0, 1000) == NULL);
  CHECK(rtp_history_get(&hist, 3, &len, 0, 1000) == NULL);
  /* Empty packets are ignored the same way. */
  rtp_history_put(&hist, 4, (const uint8_t *)"", 0, 0);
  CHECK(rtp_history_get(&hist, 4, &len, 0, 1000) == NULL);
}

/* Feeds seq and checks the missing list equals want[0..n). */
static void expect_missing(rtp_seq_tracker *t, uint16_t seq, const uint16_t *want, int n) {
  uint16_t got[128];
  int k = rtp_seq_update(t, seq, got, 128);
  CHECK_EQ_INT(k, n);
  for (int i = 0; i < n && i < k; i++) CHECK_EQ_INT(got[i], want[i]);
}

static void test_seq_in_order(void) {
  rtp_seq_tracker t = {0};
  CHECK(!rtp_seq_is_received(&t, 0));
  for (uint16_t s = 1000; s < 1400; s++) expect_missing(&t, s, NULL, 0);
  CHECK(t.started);
  CHECK_EQ_INT(t.highest, 1399);
  CHECK_EQ_INT(t.received, 400);
  CHECK_EQ_INT(t.lost, 0);
  CHECK_EQ_INT(t.cycles, 0);
  CHECK(rtp_seq_is_received(&t, 1399));
  CHECK(rtp_seq_is_received(&t, 1399 - 255));
  CHECK(!rtp_seq_is_received(&t, 1399 - 256)); /* out of the window */
  CHECK(!rtp_seq_is_received(&t, 1400));
}

static void test_seq_gaps_and_reorder(void) {
  rtp_seq_tracker t = {0};
  expect_missing(&t, 100, NULL, 0);
  const uint16_t gap[] = {101, 102};
  expect_missing(&t, 103, gap, 2);
  CHECK_EQ_INT(t.lost, 2);
  CHECK(!rtp_seq_is_received(&t, 101));
  /* 102 arrives late: fills its hole, reports nothing. */
  expect_missing(&t, 102, NULL, 0);
  CHECK(rtp_seq_is_received(&t, 102));
  CHECK_EQ_INT(t.lost, 1);
  CHECK_EQ_INT(t.received, 3);
  /* Duplicates change nothing. */
  expect_missing(&t, 102, NULL, 0);
  expect_missing(&t, 103, NULL, 0);
  expect_missing(&t, 100, NULL, 0);
  CHECK_EQ_INT(t.received, 3);
  CHECK_EQ_INT(t.lost, 1);
  /* Swapped pair: 105 before 104. */
  const uint16_t one[] = {104};
  expect_missing(&t, 105, one, 1);
  expect_missing(&t, 104, NULL, 0);
  expect_missing(&t, 106, NULL, 0);
  CHECK_EQ_INT(t.lost, 1);
  CHECK_EQ_INT(t.received, 6);
  /* The missing list is capped, the loss count is not. */
  uint16_t few[3];
  CHECK_EQ_INT(rtp_seq_update(&t, 116, few, 3), 3);
  CHECK(few[0] == 107 && few[1] == 108 && few[2] == 109);
  CHECK_EQ_INT(t.lost, 10);
  CHECK_EQ_INT(rtp_seq_update(&t, 120, NULL, 0), 0);
  CHECK_EQ_INT(t.lost, 13);
  CHECK(!rtp_seq_is_received(&t, 119));
  /* Late arrivals up to 255 behind still fill holes. */
  for (int i = 0; i < 250; i++) rtp_seq_update(&t, (uint16_t)(121 + i), NULL, 0);
  CHECK_EQ_INT(t.highest, 370);
  expect_missing(&t, 119, NULL, 0); /* 251 behind */
  CHECK(rtp_seq_is_received(&t, 119));
  CHECK_EQ_INT(t.lost, 12);
}

static void test_seq_wrap(void) {
  rtp_seq_tracker t = {0};
  expect_missing(&t, 65533, NULL, 0);
  const uint16_t across[] = {65534, 65535, 0, 1};
  expect_missing(&t, 2, across, 4);
  CHECK_EQ_INT(t.cycles, 1);
  CHECK_EQ_INT(t.highest, 2);
  expect_missing(&t, 65535, NULL, 0); /* late, from before the wrap */
  CHECK_EQ_INT(t.cycles, 1);
  CHECK(rtp_seq_is_received(&t, 65535));
  CHECK(!rtp_seq_is_received(&t, 65534));
  CHECK_EQ_INT(t.lost, 3);
  for (uint32_t s = 3; s < 70000; s++) rtp_seq_update(&t, (uint16_t)s, NULL, 0);
  CHECK_EQ_INT(t.cycles, 2);
  CHECK_EQ_INT(t.lost, 3);
}

static void test_seq_huge_jumps(void) {
  rtp_seq_tracker t = {0};
  expect_missing(&t, 100, NULL, 0);
  /* 64 missing in one jump is the limit... */
  uint16_t want[64];
  for (int i = 0; i < 64; i++) want[i] = (uint16_t)(101 + i);
  expect_missing(&t, 165, want, 64);
  CHECK_EQ_INT(t.lost, 64);
  /* ...65 is a stream reset: nothing reported, window restarts. */
  expect_missing(&t, 165 + 66, NULL, 0);
  CHECK_EQ_INT(t.highest, 231);
  CHECK_EQ_INT(t.lost, 64);
  CHECK(!rtp_seq_is_received(&t, 165));
  expect_missing(&t, 232, NULL, 0);
  /* Far behind (256 or more): a reset too, not a late packet. */
  expect_missing(&t, (uint16_t)(232 - 256), NULL, 0);
  CHECK_EQ_INT(t.highest, (uint16_t)(232 - 256));
  CHECK_EQ_INT(t.cycles, 0); /* backwards: not a wrap */
  CHECK(!rtp_seq_is_received(&t, 232));
  const uint16_t next[] = {(uint16_t)(232 - 255)};
  expect_missing(&t, (uint16_t)(232 - 254), next, 1);
  /* Half the number space away: a reset either way. */
  expect_missing(&t, (uint16_t)(t.highest + 0x8000), NULL, 0);
  expect_missing(&t, (uint16_t)(t.highest + 0x7fff), NULL, 0);
  /* A reset forwards across 0 still counts the wrap. */
  rtp_seq_tracker w = {0};
  rtp_seq_update(&w, 65000, NULL, 0);
  rtp_seq_update(&w, 500, NULL, 0);
  CHECK_EQ_INT(w.cycles, 1);
  CHECK_EQ_INT(w.highest, 500);
}

/* Packets from before the first one (or a reset) fill no hole: they were
 * never counted lost. */
static void test_seq_before_start(void) {
  rtp_seq_tracker t = {0};
  expect_missing(&t, 1000, NULL, 0);
  expect_missing(&t, 999, NULL, 0);
  CHECK(rtp_seq_is_received(&t, 999));
  CHECK_EQ_INT(t.received, 2);
  CHECK_EQ_INT(t.lost, 0);
  const uint16_t gap[] = {1001, 1002};
  expect_missing(&t, 1003, gap, 2);
  expect_missing(&t, 990, NULL, 0);
  CHECK_EQ_INT(t.lost, 2);
  expect_missing(&t, 990, NULL, 0);
  CHECK_EQ_INT(t.received, 4);
  expect_missing(&t, 1001, NULL, 0);
  CHECK_EQ_INT(t.lost, 1);
  /* Once the window has moved on, old bits are forgotten. */
  for (uint16_t s = 1004; s < 1300; s++) rtp_seq_update(&t, s, NULL, 0);
  CHECK(!rtp_seq_is_received(&t, 999));
  CHECK(!rtp_seq_is_received(&t, 1001));
  CHECK_EQ_INT(t.lost, 1);
}

/* A long stream from 64000 (across the wrap) with 8% loss, adjacent swaps
 * and duplicates. Every dropped packet is reported exactly once; a
 * reordered packet is reported iff a newer one overtook it; at the end lost
 * equals the number dropped. */
static void test_seq_simulated_stream(void) {
  enum { N = 6000 };
  static uint16_t order[N];
  static bool dropped[N];
  static int reported[N];
  static bool overtaken[N];
  uint32_t rng = 42;
  int m = 0, drops = 0;
  for (int i = 0; i < N; i++) {
    rng = rng * 1103515245u + 12345u;
    dropped[i] = i > 0 && i < N - 1 && (rng >> 16) % 100 < 8;
    drops += dropped[i];
    if (!dropped[i]) order[m++] = (uint16_t)i;
  }
  for (int j = 1; j < m; j++) { /* swap some neighbours */
    rng = rng * 1103515245u + 12345u;
    if ((rng >> 16) % 10 == 0 && j < m - 1) {
      uint16_t x = order[j];
      order[j] = order[j + 1];
      order[j + 1] = x;
      j++;
    }
  }
  memset(reported, 0, sizeof reported);
  memset(overtaken, 0, sizeof overtaken);
  rtp_seq_tracker t = {0};
  int max_seen = -1;
  const uint16_t start = 64000;
  for (int j = 0; j < m; j++) {
    int idx = order[j];
    if (idx < max_seen) overtaken[idx] = true;
    if (idx > max_seen) max_seen = idx;
    uint16_t missing[128];
    int k = rtp_seq_update(&t, (uint16_t)(start + idx), missing, 128);
    CHECK(k <= RTP_SEQ_MAX_GAP);
    for (int q = 0; q < k; q++) {
      int r = (uint16_t)(missing[q] - start);
      CHECK(r >= 0 && r < N);
      if (r >= 0 && r < N) reported[r]++;
      CHECK(!rtp_seq_is_received(&t, missing[q]));
    }
    if (j > 3 && j % 7 == 0) { /* a duplicate of a packet two back */
      CHECK_EQ_INT(rtp_seq_update(&t, (uint16_t)(start + order[j - 2]), missing, 128), 0);
    }
  }
  for (int i = 0; i < N; i++) {
    if (dropped[i]) {
      CHECK_EQ_INT(reported[i], 1);
    } else {
      CHECK_EQ_INT(reported[i], overtaken[i] ? 1 : 0);
    }
  }
  CHECK_EQ_INT(t.lost, drops);
  CHECK_EQ_INT(t.received, m);
  CHECK_EQ_INT(t.cycles, 1);
  CHECK_EQ_INT(t.highest, (uint16_t)(start + N - 1));
}

/* The late mark: set only on the packet stored for that number, cleared
 * when the slot is put again. */
static void test_history_late(void) {
  memset(&hist, 0, sizeof hist);
  CHECK(!rtp_history_is_late(&hist, 5));
  rtp_history_mark_late(&hist, 5); /* not stored: nothing */
  CHECK(!rtp_history_is_late(&hist, 5));
  put(5, 100, 0);
  put(6, 100, 0);
  CHECK(!rtp_history_is_late(&hist, 5));
  rtp_history_mark_late(&hist, 5);
  CHECK(rtp_history_is_late(&hist, 5));
  CHECK(!rtp_history_is_late(&hist, 6));
  CHECK(!rtp_history_is_late(&hist, (uint16_t)(5 + RTP_HISTORY_SLOTS))); /* same slot, other number */
  rtp_history_mark_late(&hist, (uint16_t)(5 + RTP_HISTORY_SLOTS));
  CHECK(rtp_history_is_late(&hist, 5));
  put(5, 100, 10);
  CHECK(!rtp_history_is_late(&hist, 5));
}

TEST_SUITE(history, {"put_get", test_history_put_get}, {"stale", test_history_stale}, {"late", test_history_late},
           {"wrap", test_history_wrap}, {"overwritten", test_history_overwritten},
           {"sizes", test_history_sizes}, {"clear", test_history_clear}, {"seq_in_order", test_seq_in_order},
           {"seq_gaps_and_reorder", test_seq_gaps_and_reorder}, {"seq_wrap", test_seq_wrap},
           {"seq_huge_jumps", test_seq_huge_jumps},
           {"seq_before_start", test_seq_before_start},
           {"seq_simulated_stream", test_seq_simulated_stream});
