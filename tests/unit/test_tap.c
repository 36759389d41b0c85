/* Unit tests for src/sfu/tap.c, the media worker's test tap: inert without
 * test mode, the capture file format, and the tamper sequence (alter, plain
 * bytes, replay) on audio only. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sfu/tap.h"
#include "test.h"

/* A 12-byte RTP header with seq, then payload bytes p..p+n-1 (value i+base). */
static size_t make_packet(uint8_t *pkt, uint16_t seq, size_t n, uint8_t base, rtp_header *h) {
  memset(pkt, 0, 12);
  pkt[0] = 0x80, pkt[1] = 111, pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
  pkt[4] = 0, pkt[5] = 0, pkt[6] = 0x01, pkt[7] = 0x02; /* timestamp 0x102 */
  pkt[11] = 0x42;                                        /* ssrc */
  for (size_t i = 0; i < n; i++) pkt[12 + i] = (uint8_t)(base + i);
  CHECK(rtp_parse(pkt, 12 + n, h) == 0);
  return 12 + n;
}

static void test_inert(void) {
  CHECK(tap_new(false, "/tmp", 5, 10) == NULL); /* hooks asked for, no test mode */
  CHECK(tap_new(true, "", 0, 0) == NULL);       /* test mode, no hook */
  CHECK(tap_new(true, NULL, 1, 0) == NULL);     /* tamper needs N >= 2 */
  CHECK(tap_stream_open(NULL, 1, 2, true) == NULL);
  tap_stream_close(NULL);
}

/* Uplink loss drops about its share, spread out (never long bursts), and
 * nothing without a tap. */
static void test_uplink_loss(void) {
  CHECK(!tap_drop_uplink(NULL));
  sfu_tap *tap = tap_new(true, "", 0, 20);
  CHECK(tap != NULL);
  int dropped = 0, run = 0, longest = 0;
  for (int i = 0; i < 10000; i++) {
    bool d = tap_drop_uplink(tap);
    dropped += d;
    run = d ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  CHECK(dropped > 1800 && dropped < 2200);
  CHECK(longest < 10);
  tap_free(tap);
  sfu_tap *none = tap_new(true, "", 4, 0);
  CHECK(!tap_drop_uplink(none));
  tap_free(none);
}

static void test_tamper(void) {
  sfu_tap *tap = tap_new(true, "", 4, 0);
  CHECK(tap != NULL);
  tap_stream *a = tap_stream_open(tap, 1, 0x42, true), *v = tap_stream_open(tap, 1, 0x43, false);
  CHECK(a && v);
  uint8_t pkt[1500], orig[1500];
  rtp_header h;
  size_t len;
  /* forwarded counts 1, 2, 3, 4(=0 mod 4), 5(=1), 6(=2), 7(=3) */
  uint8_t prev_payload[20];
  for (int i = 1; i <= 7; i++) {
    len = make_packet(pkt, (uint16_t)i, 20, (uint8_t)(i * 16), &h);
    memcpy(orig, pkt, len);
    size_t out = tap_packet(tap, a, pkt, len, sizeof pkt, &h);
    int n = i % 4;
    if (n == 0) { /* altered: one bit of the last byte */
      CHECK_EQ_INT(out, len);
      CHECK(memcmp(pkt, orig, len - 1) == 0);
      CHECK_EQ_INT(pkt[len - 1], orig[len - 1] ^ 1);
    } else if (n == 1) { /* plain bytes past the first */
      CHECK_EQ_INT(out, len);
      CHECK_EQ_INT(pkt[12], orig[12]);
      for (size_t k = 13; k < len; k++) CHECK_EQ_INT(pkt[k], 0x41);
    } else if (n == 2 && i > 2) { /* the last kept payload again (packet 3) */
      CHECK_EQ_INT(out, 12 + sizeof prev_payload);
      CHECK(memcmp(pkt + 12, prev_payload, sizeof prev_payload) == 0);
    } else {
      CHECK_EQ_INT(out, len);
      CHECK(memcmp(pkt, orig, len) == 0);
      memcpy(prev_payload, orig + 12, sizeof prev_payload);
    }
  }
  /* Video is never tampered with. */
  for (int i = 1; i <= 8; i++) {
    len = make_packet(pkt, (uint16_t)i, 20, 3, &h);
    memcpy(orig, pkt, len);
    CHECK_EQ_INT(tap_packet(tap, v, pkt, len, sizeof pkt, &h), len);
    CHECK(memcmp(pkt, orig, len) == 0);
  }
  /* No stream state: untouched. */
  len = make_packet(pkt, 9, 20, 3, &h);
  CHECK_EQ_INT(tap_packet(tap, NULL, pkt, len, sizeof pkt, &h), len);
  tap_stream_close(a);
  tap_stream_close(v);
  tap_free(tap);
}

static void test_capture(void) {
  char dir[] = "/tmp/sealroom-tap-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  sfu_tap *tap = tap_new(true, dir, 0, 0);
  CHECK(tap != NULL);
  tap_stream *st = tap_stream_open(tap, 7, 0xabcd, false);
  CHECK(st != NULL);
  uint8_t pkt[64];
  rtp_header h;
  size_t len = make_packet(pkt, 0x1234, 5, 1, &h);
  CHECK_EQ_INT(tap_packet(tap, st, pkt, len, sizeof pkt, &h), len);
  tap_stream_close(st);
  char path[128];
  snprintf(path, sizeof path, "%s/t7-0000abcd-video.cap", dir);
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  uint8_t buf[64];
  size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  static const uint8_t want[] = {'S', 'R', 'C', 'A', 'P', '1', '\n', 0, 0, 0, 5, 0x12, 0x34,
                                 0, 0, 1, 2, 0, 1, 2, 3, 4, 5};
  CHECK_EQ_INT(n, sizeof want);
  CHECK(memcmp(buf, want, sizeof want) == 0);
  unlink(path);
  rmdir(dir);
  tap_free(tap);
}

TEST_SUITE(tap, {"uplink_loss", test_uplink_loss}, {"inert without test mode or hooks", test_inert}, {"tamper: alter, plain, replay; audio only", test_tamper},
           {"capture file format", test_capture});
