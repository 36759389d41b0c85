/* Transport-wide CC feedback (src/rtp/twcc.c), checked by an independent
 * decoder written here from the draft (all three chunk kinds, both delta
 * sizes, padding): statuses and reconstructed arrival times must match what
 * was recorded, within the 250 us resolution and without drift, across
 * losses, reordering, sequence wrap, long gaps, a full window and a report
 * cut short by its buffer. */
#include <stdlib.h>
#include <string.h>

#include "rtp/rtcp.h"
#include "rtp/twcc.h"
#include "test.h"

#define MAXN 4096

typedef struct {
  uint32_t sender, media;
  uint16_t base, count;
  int32_t ref; /* 24-bit, sign-extended */
  uint8_t fb_count;
  uint8_t status[MAXN];
  int64_t arrival_us[MAXN]; /* reconstructed, for received packets */
} report;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns 0 and fills *r, or -1 if the message is not a well-formed report. */
static int decode(const uint8_t *p, size_t n, report *r) {
  size_t off = 0;
  rtcp_block b;
  if (rtcp_next(p, n, &off, &b) != 1 || off != n) return -1;
  if (b.type != 205 || b.count != 15 || b.len < 20) return -1;
  size_t end = b.len;
  if (p[0] & 0x20) end -= p[b.len - 1]; /* padding */
  memset(r, 0, sizeof *r);
  r->sender = be32(p + 4);
  r->media = be32(p + 8);
  r->base = be16(p + 12);
  r->count = be16(p + 14);
  uint32_t ref = (uint32_t)p[16] << 16 | (uint32_t)p[17] << 8 | p[18];
  r->ref = (int32_t)(ref << 8) >> 8;
  r->fb_count = p[19];
  size_t pos = 20;
  int got = 0;
  while (got < r->count) {
    if (pos + 2 > end) return -1;
    uint16_t c = be16(p + pos);
    pos += 2;
    if (!(c & 0x8000)) { /* run length */
      int sym = (c >> 13) & 3, run = c & 0x1FFF;
      if (sym == 3 || run == 0) return -1;
      for (int i = 0; i < run && got < r->count; i++) r->status[got++] = (uint8_t)sym;
    } else if (!(c & 0x4000)) { /* 14 one-bit symbols */
      for (int i = 0; i < 14 && got < r->count; i++) r->status[got++] = (uint8_t)((c >> (13 - i)) & 1);
    } else { /* 7 two-bit symbols */
      for (int i = 0; i < 7 && got < r->count; i++) {
        int sym = (c >> (12 - 2 * i)) & 3;
        if (sym == 3) return -1;
        r->status[got++] = (uint8_t)sym;
      }
    }
  }
  int64_t t = (int64_t)r->ref * 64000;
  for (int i = 0; i < r->count; i++) {
    if (r->status[i] == 1) {
      if (pos + 1 > end) return -1;
      t += (int64_t)p[pos++] * 250;
      r->arrival_us[i] = t;
    } else if (r->status[i] == 2) {
      if (pos + 2 > end) return -1;
      t += (int64_t)(int16_t)be16(p + pos) * 250;
      pos += 2;
      r->arrival_us[i] = t;
    }
  }
  return pos == end ? 0 : -1;
}

/* What the test fed in: arrival per sequence number (-1: lost). */
typedef struct {
  int64_t at[65536];
  uint8_t fed[65536];
} truth;

/* Checks a decoded report against the truth: every status, and every
 * reconstructed arrival within 125 us of the real one. Returns the count. */
static int check_report(const report *r, const truth *tr) {
  int bad_status = 0, bad_time = 0;
  for (int i = 0; i < r->count; i++) {
    uint16_t seq = (uint16_t)(r->base + i);
    bool received = tr->fed[seq] && tr->at[seq] >= 0;
    if (received != (r->status[i] != 0)) bad_status++;
    if (received && llabs(r->arrival_us[i] - tr->at[seq]) > 125) bad_time++;
  }
  CHECK_EQ_INT(bad_status, 0);
  CHECK_EQ_INT(bad_time, 0);
  return r->count;
}

static void feed(twcc_recorder *rec, truth *tr, uint16_t seq, int64_t at) {
  tr->fed[seq] = 1;
  tr->at[seq] = at;
  CHECK_EQ_INT(twcc_record(rec, seq, at), 0);
}

static truth *new_truth(void) {
  truth *t = calloc(1, sizeof *t);
  for (int i = 0; i < 65536; i++) t->at[i] = -1;
  return t;
}

/* 200 packets 1.1 ms apart starting near a 64 ms boundary, seq wrapping
 * past 65535, with single and long (run-length) losses and a reordered
 * pair (a negative, two-byte delta). */
static void test_losses_reorder_wrap(void) {
  twcc_recorder *rec = malloc(sizeof *rec);
  truth *tr = new_truth();
  report *r = malloc(sizeof *r);
  twcc_init(rec);
  int64_t t0 = 5 * 64000 + 63900;
  for (int i = 0; i < 200; i++) {
    uint16_t seq = (uint16_t)(65450 + i);
    if (i == 3 || (i >= 20 && i < 40)) {
      tr->fed[seq] = 1; /* lost */
      continue;
    }
    if (i == 50) continue; /* arrives after 51 */
    feed(rec, tr, seq, t0 + i * 1100 + (i % 3) * 37);
    if (i == 51) feed(rec, tr, (uint16_t)(65450 + 50), t0 + 51 * 1100 + 400);
  }
  uint8_t out[TWCC_MAX_REPORT];
  size_t n = twcc_build(rec, 1, 0x1234, out, sizeof out);
  CHECK(n > 0 && n % 4 == 0);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->sender, 1);
  CHECK_EQ_INT(r->media, 0x1234);
  CHECK_EQ_INT(r->base, 65450);
  CHECK_EQ_INT(r->count, 200);
  CHECK_EQ_INT(r->fb_count, 0);
  check_report(r, tr);
  CHECK(!twcc_pending(rec));
  CHECK_EQ_INT(twcc_build(rec, 1, 0x1234, out, sizeof out), 0);
  /* The next report continues at the next sequence number, counter + 1. */
  feed(rec, tr, (uint16_t)(65450 + 200), t0 + 200 * 1100);
  n = twcc_build(rec, 1, 0x1234, out, sizeof out);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->base, (uint16_t)(65450 + 200));
  CHECK_EQ_INT(r->count, 1);
  CHECK_EQ_INT(r->fb_count, 1);
  check_report(r, tr);
  /* A packet from before the reported window, and a duplicate: ignored. */
  CHECK_EQ_INT(twcc_record(rec, 65460, t0), 0);
  CHECK_EQ_INT(rec->late, 1);
  feed(rec, tr, (uint16_t)(65450 + 201), t0 + 201 * 1100);
  CHECK_EQ_INT(twcc_record(rec, (uint16_t)(65450 + 201), t0), 0);
  CHECK_EQ_INT(rec->duplicates, 1);
  free(rec);
  free(tr);
  free(r);
}

/* Many reports in a row over a long stream: arrival times reconstructed
 * report after report never drift, and every sequence number is reported
 * exactly once. */
static void test_no_drift_over_reports(void) {
  twcc_recorder *rec = malloc(sizeof *rec);
  truth *tr = new_truth();
  report *r = malloc(sizeof *r);
  twcc_init(rec);
  uint16_t expect_base = 1000;
  int reported = 0;
  int64_t t = 1000000;
  uint8_t out[TWCC_MAX_REPORT];
  for (int i = 0; i < 20000; i++) {
    t += 333 + (i * 7919) % 700; /* 0.33-1.03 ms apart, not multiples of 250 us */
    uint16_t seq = (uint16_t)(1000 + i);
    if (i % 97 == 5) {
      tr->fed[seq] = 1;
      continue;
    }
    feed(rec, tr, seq, t);
    if (i % 90 == 89) {
      size_t n = twcc_build(rec, 1, 2, out, sizeof out);
      CHECK_EQ_INT(decode(out, n, r), 0);
      CHECK_EQ_INT(r->base, expect_base);
      expect_base = (uint16_t)(expect_base + r->count);
      reported += check_report(r, tr);
    }
  }
  size_t n = twcc_build(rec, 1, 2, out, sizeof out);
  if (n) {
    CHECK_EQ_INT(decode(out, n, r), 0);
    reported += check_report(r, tr);
  }
  CHECK_EQ_INT(reported, 20000);
  free(rec);
  free(tr);
  free(r);
}

/* A gap longer than a two-byte delta (8.19 s) ends the report; the rest
 * goes in the next one with a new reference time. */
static void test_long_gap_splits(void) {
  twcc_recorder *rec = malloc(sizeof *rec);
  truth *tr = new_truth();
  report *r = malloc(sizeof *r);
  twcc_init(rec);
  feed(rec, tr, 10, 100000);
  feed(rec, tr, 11, 101000);
  feed(rec, tr, 12, 101000 + 9000000);
  uint8_t out[TWCC_MAX_REPORT];
  size_t n = twcc_build(rec, 1, 2, out, sizeof out);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->count, 2);
  check_report(r, tr);
  n = twcc_build(rec, 1, 2, out, sizeof out);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->base, 12);
  CHECK_EQ_INT(r->count, 1);
  check_report(r, tr);
  free(rec);
  free(tr);
  free(r);
}

/* The window holds TWCC_WINDOW sequence numbers: beyond, record asks for a
 * report first. A small buffer gets a report of a first part that fits;
 * the next report starts where it ended. */
static void test_full_window_and_small_buffer(void) {
  twcc_recorder *rec = malloc(sizeof *rec);
  truth *tr = new_truth();
  report *r = malloc(sizeof *r);
  twcc_init(rec);
  for (int i = 0; i < TWCC_WINDOW; i++) feed(rec, tr, (uint16_t)i, 50000 + i * 20000); /* 20 ms: 2-byte deltas */
  CHECK_EQ_INT(twcc_record(rec, TWCC_WINDOW, 50000 + TWCC_WINDOW * 20000), 1);
  uint8_t out[TWCC_MAX_REPORT];
  size_t n = twcc_build(rec, 1, 2, out, 100);
  CHECK(n > 0 && n <= 100);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK(r->count > 10 && r->count < TWCC_WINDOW);
  int first = check_report(r, tr);
  n = twcc_build(rec, 1, 2, out, sizeof out);
  CHECK(n > 0 && n <= TWCC_MAX_REPORT);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->base, first);
  CHECK_EQ_INT(first + r->count, TWCC_WINDOW);
  check_report(r, tr);
  feed(rec, tr, TWCC_WINDOW, 50000 + TWCC_WINDOW * 20000);
  /* Too small for anything useful: nothing written, nothing lost. */
  CHECK_EQ_INT(twcc_build(rec, 1, 2, out, 20), 0);
  CHECK(twcc_pending(rec));
  /* 24 bytes always hold a report of one packet (found by fuzzing: the
   * padding was reserved even when none was needed). */
  n = twcc_build(rec, 1, 2, out, 24);
  CHECK_EQ_INT(n, 24);
  CHECK_EQ_INT(decode(out, n, r), 0);
  CHECK_EQ_INT(r->count, 1);
  check_report(r, tr);
  free(rec);
  free(tr);
  free(r);
}

/* Hostile sequence numbers (random, as a publisher controls them) never
 * break the recorder or a report. */
static void test_random_sequences(void) {
  twcc_recorder *rec = malloc(sizeof *rec);
  report *r = malloc(sizeof *r);
  twcc_init(rec);
  uint32_t x = 12345;
  uint8_t out[TWCC_MAX_REPORT];
  int64_t t = 0;
  int reports = 0;
  for (int i = 0; i < 100000; i++) {
    x = x * 1103515245u + 12345u;
    t += (x >> 20) % 3000;
    uint16_t seq = (uint16_t)(x >> 8);
    for (int k = 0; twcc_record(rec, seq, t) == 1; k++) {
      size_t n = twcc_build(rec, 1, 2, out, sizeof out);
      CHECK(n > 0 && k < 10);
      if (n == 0 || k >= 10) break;
      if (decode(out, n, r) != 0) CHECK(!"undecodable report");
      reports++;
    }
  }
  CHECK(reports > 0);
  free(rec);
  free(r);
}

TEST_SUITE(twcc, {"losses_reorder_wrap", test_losses_reorder_wrap},
           {"no_drift_over_reports", test_no_drift_over_reports},
           {"long_gap_splits", test_long_gap_splits},
           {"full_window_and_small_buffer", test_full_window_and_small_buffer},
           {"random_sequences", test_random_sequences});
