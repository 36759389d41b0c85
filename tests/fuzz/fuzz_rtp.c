/* libFuzzer target: RTP header parsing, extension lookup and id remapping on
 * a copy, the audio level, the sequence tracker and retransmission history
 * fed with the packet's sequence numbers, and the transport-wide CC
 * recorder fed with hostile sequence numbers and arrival gaps (a publisher
 * chooses them). Must never crash or read out of bounds; also traps if a
 * remapped packet stops parsing the same way, the tracker reports more than
 * it may, or a feedback report is malformed or overruns its buffer. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtp/history.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/twcc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) \
  do {             \
    if (!(c)) __builtin_trap(); \
  } while (0)

static uint8_t copy[65536];
static rtp_history history;

static void check_extensions(const uint8_t *p, const rtp_header *h) {
  static const uint8_t ids[] = {1, 2, 3, 4, 5, 7, 9, 13, 14, 15, 16, 200, 255};
  for (size_t i = 0; i < sizeof ids; i++) {
    const uint8_t *d = NULL;
    size_t len = 0;
    if (rtp_ext_find(p, h, ids[i], &d, &len) == 0) {
      REQUIRE(d >= p + h->ext_offset + 4 && d + len <= p + h->header_len);
      uint8_t level;
      bool voice;
      if (rtp_audio_level(d, len, &level, &voice) == 0) REQUIRE(level <= 127);
    }
  }
}

/* Remaps a copy with a map derived from the packet; the header must parse
 * identically and every element must keep its data. */
static void check_remap(const uint8_t *data, size_t size, const rtp_header *h) {
  memcpy(copy, data, size);
  uint8_t map[256];
  for (int i = 0; i < 256; i++) map[i] = (uint8_t)(i * 37 + data[size - 1]);
  int rc = rtp_ext_remap(copy, h, map);
  if (rc != 0) {
    REQUIRE(memcmp(copy, data, size) == 0);
    return;
  }
  rtp_header h2;
  REQUIRE(rtp_parse(copy, size, &h2) == 0);
  REQUIRE(h2.header_len == h->header_len && h2.payload_len == h->payload_len &&
          h2.ext_len == h->ext_len && h2.ext_profile == h->ext_profile);
  REQUIRE(memcmp(copy, data, h->ext_offset + 4) == 0 || !h->extension);
  REQUIRE(memcmp(copy + h->header_len, data + h->header_len, size - h->header_len) == 0);
  /* After remapping, an identity map changes nothing: every id the first
   * pass wrote is a valid id of its form. */
  uint8_t identity[256];
  for (int i = 0; i < 256; i++) identity[i] = (uint8_t)i;
  static uint8_t before[65536];
  memcpy(before, copy, size);
  REQUIRE(rtp_ext_remap(copy, &h2, identity) == 0);
  REQUIRE(memcmp(before, copy, size) == 0);
}

static void check_tracker(const uint8_t *data, size_t size) {
  rtp_seq_tracker t = {0};
  uint16_t missing[80];
  for (size_t i = 0; i + 1 < size && i < 512; i += 2) {
    uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
    uint64_t received = t.received;
    int k = rtp_seq_update(&t, seq, missing, (int)(sizeof missing / sizeof missing[0]));
    REQUIRE(k >= 0 && k <= RTP_SEQ_MAX_GAP);
    REQUIRE(t.highest == seq || k == 0);
    REQUIRE(rtp_seq_is_received(&t, seq));
    REQUIRE(t.received <= received + 1);
    REQUIRE(t.span >= 1 && t.span <= RTP_SEQ_TRACK_WINDOW);
    for (int q = 0; q < k; q++) {
      REQUIRE(!rtp_seq_is_received(&t, missing[q]));
      REQUIRE(rtp_seq_newer(seq, missing[q]));
    }
  }
}

/* Pairs of bytes are (sequence number, arrival gap) for the recorder; every
 * report built must be one well-formed RTCP packet within its buffer. */
static void check_twcc(const uint8_t *data, size_t size) {
  static twcc_recorder rec;
  static uint8_t out[TWCC_MAX_REPORT + 16];
  twcc_init(&rec);
  int64_t at = 1000000;
  size_t cap = size ? 24 + data[0] * 4u : 24;
  if (cap > TWCC_MAX_REPORT) cap = TWCC_MAX_REPORT;
  for (size_t i = 0; i + 3 < size && i < 4096; i += 4) {
    uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
    at += (int64_t)(data[i + 2] << 8 | data[i + 3]) * 997 - 30000; /* may go back */
    for (int k = 0; k < 4 && twcc_record(&rec, seq, at) == 1; k++) {
      memset(out + cap, 0xA5, 16);
      size_t n = twcc_build(&rec, 1, 2, out, cap);
      REQUIRE(n > 0 && n <= cap && n % 4 == 0);
      REQUIRE(out[cap] == 0xA5); /* nothing written past cap */
      size_t off = 0;
      rtcp_block b;
      REQUIRE(rtcp_next(out, n, &off, &b) == 1 && off == n && b.type == 205 && b.count == 15);
    }
    if (data[i + 3] & 1) {
      size_t n = twcc_build(&rec, 1, 2, out, cap);
      REQUIRE(n <= cap && n % 4 == 0);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_twcc(data, size);
  (void)rtp_is_rtcp(data, size);
  (void)rtp_looks_like(data, size);
  check_tracker(data, size);
  rtp_header h;
  if (rtp_parse(data, size, &h) != 0) return 0;
  REQUIRE(h.header_len + h.payload_len + h.padding_len == size);
  REQUIRE(h.version == 2 && h.payload_type < 128 && h.csrc_count < 16);
  check_extensions(data, &h);
  if (size <= sizeof copy) check_remap(data, size, &h);

  rtp_history_put(&history, h.seq, data, size, h.timestamp);
  size_t len = 0;
  const uint8_t *got = rtp_history_get(&history, h.seq, &len, h.timestamp, 1000);
  if (size > 0 && size <= RTP_HISTORY_MAX_PACKET) {
    REQUIRE(got && len == size && memcmp(got, data, size) == 0);
  } else {
    REQUIRE(!got);
  }
  return 0;
}
