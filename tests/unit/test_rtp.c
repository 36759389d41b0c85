/* Unit tests for src/rtp/rtp.c: Chrome-like packets (Opus with one-byte
 * extensions audio level/abs-send-time/mid, video with two-byte extensions,
 * CSRCs, padding), every rejection path (truncation at every length, CSRC
 * list, extension block and padding past the end, wrong versions), header
 * extension lookup and id remapping in both forms, rtcp-mux demux and the
 * sequence-number comparison. */
#include <stdbool.h>
#include <stdint.h>

#include "rtp/rtp.h"
#include "test.h"

/* Opus, PT 111, one-byte extensions as Chrome sends them: ssrc-audio-level
 * (id 1: V=1, 30 -dBov), abs-send-time (id 2), sdes:mid (id 4, "0"). */
static const uint8_t audio_pkt[] = {
    0x90, 0x6f, 0x12, 0x34, 0x00, 0xbc, 0x61, 0x4e, 0x11, 0x22, 0x33, 0x44, /* fixed */
    0xbe, 0xde, 0x00, 0x02,                                                 /* 2 words */
    0x10, 0x9e,                                                             /* id 1 */
    0x22, 0x12, 0x34, 0x56,                                                 /* id 2 */
    0x40, 0x30,                                                             /* id 4 */
    0x78, 0x01, 0x02, 0x03, 0x04,                                           /* payload */
};

/* VP8, PT 96, marker, two-byte extensions: mid (id 4), a padding byte, an
 * empty element (id 7), a 3-byte element with id 20, one padding byte. */
static const uint8_t video_pkt[] = {
    0x90, 0xe0, 0xff, 0xff, 0x00, 0x00, 0x0b, 0xb8, 0xca, 0xfe, 0xba, 0xbe, /* fixed */
    0x10, 0x00, 0x00, 0x03,                                                 /* 3 words */
    0x04, 0x01, 0x31,                                                       /* id 4 */
    0x00,                                                                   /* padding */
    0x07, 0x00,                                                             /* id 7 */
    0x14, 0x03, 0xaa, 0xbb, 0xcc,                                           /* id 20 */
    0x00,                                                                   /* padding */
    0x90, 0x80, 0x00, 0x9d, 0x01, 0x2a,                                     /* payload */
};

/* Two CSRCs (an audio mix), no extension. */
static const uint8_t csrc_pkt[] = {
    0x82, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0xa0, 0x01, 0x02, 0x03, 0x04,
    0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb, /* CSRCs */
    0xde, 0xad, 0xbe,                               /* payload */
};

/* Padding bit: 4 payload bytes then 3 bytes of padding (count last). */
static const uint8_t padded_pkt[] = {
    0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
    0xf1, 0xf2, 0xf3, 0xf4, 0x00, 0x00, 0x03,
};

static void test_parse_chrome_audio(void) {
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(audio_pkt, sizeof audio_pkt, &h), 0);
  CHECK_EQ_INT(h.version, 2);
  CHECK_EQ_INT(h.padding, 0);
  CHECK_EQ_INT(h.extension, 1);
  CHECK_EQ_INT(h.csrc_count, 0);
  CHECK_EQ_INT(h.marker, 0);
  CHECK_EQ_INT(h.payload_type, 111);
  CHECK_EQ_INT(h.seq, 0x1234);
  CHECK_EQ_INT(h.timestamp, 12345678);
  CHECK_EQ_INT(h.ssrc, 0x11223344);
  CHECK_EQ_INT(h.ext_offset, 12);
  CHECK_EQ_INT(h.ext_profile, 0xBEDE);
  CHECK_EQ_INT(h.ext_len, 8);
  CHECK_EQ_INT(h.header_len, 24);
  CHECK_EQ_INT(h.payload_len, 5);
  CHECK_EQ_INT(h.padding_len, 0);
  CHECK(rtp_looks_like(audio_pkt, sizeof audio_pkt));
  CHECK(!rtp_is_rtcp(audio_pkt, sizeof audio_pkt));
}

static void test_parse_two_byte_video(void) {
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(video_pkt, sizeof video_pkt, &h), 0);
  CHECK_EQ_INT(h.marker, 1);
  CHECK_EQ_INT(h.payload_type, 96);
  CHECK_EQ_INT(h.seq, 65535);
  CHECK_EQ_INT(h.timestamp, 3000);
  CHECK_EQ_INT(h.ssrc, 0xcafebabe);
  CHECK_EQ_INT(h.ext_profile, 0x1000);
  CHECK_EQ_INT(h.ext_len, 12);
  CHECK_EQ_INT(h.header_len, 28);
  CHECK_EQ_INT(h.payload_len, 6);
}

static void test_parse_csrcs(void) {
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(csrc_pkt, sizeof csrc_pkt, &h), 0);
  CHECK_EQ_INT(h.csrc_count, 2);
  CHECK_EQ_INT(h.extension, 0);
  CHECK_EQ_INT(h.ext_offset, 0);
  CHECK_EQ_INT(h.ext_len, 0);
  CHECK_EQ_INT(h.header_len, 20);
  CHECK_EQ_INT(h.payload_len, 3);
  CHECK_EQ_INT(h.seq, 7);
  CHECK_EQ_INT(h.timestamp, 160);
}

static void test_parse_padding(void) {
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(padded_pkt, sizeof padded_pkt, &h), 0);
  CHECK_EQ_INT(h.padding, 1);
  CHECK_EQ_INT(h.padding_len, 3);
  CHECK_EQ_INT(h.payload_len, 4);
  CHECK_EQ_INT(h.header_len, 12);

  /* Padding filling the whole payload (a padding-only probe) is valid. */
  uint8_t probe[12 + 8] = {0xa0, 0x60, 0x00, 0x02};
  probe[sizeof probe - 1] = 8;
  CHECK_EQ_INT(rtp_parse(probe, sizeof probe, &h), 0);
  CHECK_EQ_INT(h.payload_len, 0);
  CHECK_EQ_INT(h.padding_len, 8);

  /* Padding after an extension block counts only payload bytes. */
  uint8_t p[sizeof audio_pkt + 3];
  memcpy(p, audio_pkt, sizeof audio_pkt);
  p[0] |= 0x20;
  p[sizeof audio_pkt] = 0;
  p[sizeof audio_pkt + 1] = 0;
  p[sizeof audio_pkt + 2] = 8; /* 5 payload + 3 padding */
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(h.payload_len, 0);
  p[sizeof audio_pkt + 2] = 9; /* reaches into the extension block */
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), -1);
}

/* Every prefix shorter than the header is refused; longer ones (without the
 * padding bit) are packets with a shorter payload. */
static void check_truncations(const uint8_t *pkt, size_t n, size_t header_len) {
  for (size_t len = 0; len <= n; len++) {
    rtp_header h;
    int rc = rtp_parse(pkt, len, &h);
    if (len < header_len) {
      CHECK_EQ_INT(rc, -1);
    } else {
      CHECK_EQ_INT(rc, 0);
      CHECK_EQ_INT(h.payload_len, len - header_len);
    }
  }
}

static void test_truncated_at_every_length(void) {
  check_truncations(audio_pkt, sizeof audio_pkt, 24);
  check_truncations(video_pkt, sizeof video_pkt, 28);
  check_truncations(csrc_pkt, sizeof csrc_pkt, 20);
  /* With the padding bit, every prefix up to the padding count's byte has a
   * last byte of 0 or larger than the payload. */
  for (size_t len = 0; len < sizeof padded_pkt; len++) {
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(padded_pkt, len, &h), -1);
  }
}

static void test_rejects_bad_lengths(void) {
  rtp_header h;
  uint8_t p[64];

  /* CSRC count past the end: 15 CSRCs need 72 bytes. */
  memset(p, 0, sizeof p);
  p[0] = 0x8f;
  CHECK_EQ_INT(rtp_parse(p, 71, &h), -1);
  CHECK_EQ_INT(rtp_parse(p, 64, &h), -1);
  p[0] = 0x82; /* 2 CSRCs: 20 bytes */
  CHECK_EQ_INT(rtp_parse(p, 19, &h), -1);
  CHECK_EQ_INT(rtp_parse(p, 20, &h), 0);

  /* Extension length past the end. */
  memcpy(p, audio_pkt, sizeof audio_pkt);
  p[15] = 3; /* 12 bytes of extension data: the header needs 28 bytes */
  CHECK_EQ_INT(rtp_parse(p, 27, &h), -1);
  CHECK_EQ_INT(rtp_parse(p, 28, &h), 0);
  CHECK_EQ_INT(h.payload_len, 0);
  CHECK_EQ_INT(rtp_parse(p, 29, &h), 0);
  CHECK_EQ_INT(h.payload_len, 1);
  p[14] = 0xff; /* 0xff03 words: far past the end */
  CHECK_EQ_INT(rtp_parse(p, sizeof audio_pkt, &h), -1);

  /* Extension bit with no room for the extension header. */
  memset(p, 0, sizeof p);
  p[0] = 0x91; /* X and one CSRC: the extension header would start at 16 */
  CHECK_EQ_INT(rtp_parse(p, 16, &h), -1);
  CHECK_EQ_INT(rtp_parse(p, 19, &h), -1);
  CHECK_EQ_INT(rtp_parse(p, 20, &h), 0);
  CHECK_EQ_INT(h.ext_offset, 16);
  CHECK_EQ_INT(h.ext_len, 0);
  CHECK_EQ_INT(h.header_len, 20);

  /* Padding count 0, or past the payload. */
  memcpy(p, padded_pkt, sizeof padded_pkt);
  p[sizeof padded_pkt - 1] = 0;
  CHECK_EQ_INT(rtp_parse(p, sizeof padded_pkt, &h), -1);
  p[sizeof padded_pkt - 1] = 8; /* payload area is 7 bytes */
  CHECK_EQ_INT(rtp_parse(p, sizeof padded_pkt, &h), -1);
  p[sizeof padded_pkt - 1] = 7;
  CHECK_EQ_INT(rtp_parse(p, sizeof padded_pkt, &h), 0);
  CHECK_EQ_INT(h.payload_len, 0);
  p[sizeof padded_pkt - 1] = 255;
  CHECK_EQ_INT(rtp_parse(p, sizeof padded_pkt, &h), -1);
  /* Padding bit on a packet with no byte after the header. */
  CHECK_EQ_INT(rtp_parse(p, 12, &h), -1);

  /* NULL input. */
  CHECK_EQ_INT(rtp_parse(NULL, 12, &h), -1);
}

static void test_rejects_versions(void) {
  uint8_t p[sizeof csrc_pkt];
  rtp_header h;
  for (int v = 0; v < 4; v++) {
    memcpy(p, csrc_pkt, sizeof p);
    p[0] = (uint8_t)((p[0] & 0x3f) | v << 6);
    CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), v == 2 ? 0 : -1);
    CHECK(rtp_looks_like(p, sizeof p) == (v == 2));
  }
}

/* A failed parse leaves the caller's header untouched. */
static void test_failure_keeps_header(void) {
  rtp_header h;
  memset(&h, 0x5a, sizeof h);
  rtp_header before = h;
  CHECK_EQ_INT(rtp_parse(audio_pkt, 23, &h), -1);
  CHECK(memcmp(&h, &before, sizeof h) == 0);
}

static void test_demux(void) {
  uint8_t p[12] = {0x80, 0};
  for (int b = 0; b < 256; b++) {
    p[1] = (uint8_t)b;
    CHECK(rtp_is_rtcp(p, sizeof p) == (b >= 192 && b <= 223));
  }
  /* Marker bit + PT 72 = 200: why RFC 5761 keeps RTP off PTs 64..95. */
  p[1] = 0x80 | 72;
  CHECK(rtp_is_rtcp(p, sizeof p));
  p[1] = 0x80 | 96;
  CHECK(!rtp_is_rtcp(p, sizeof p));
  CHECK(!rtp_is_rtcp(p, 1));
  CHECK(!rtp_is_rtcp(p, 0));

  /* An empty RR (8 bytes) is RTCP; 8 bytes of RTP are too short. */
  const uint8_t rr[8] = {0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
  CHECK(rtp_looks_like(rr, 8));
  CHECK(rtp_is_rtcp(rr, 8));
  CHECK(!rtp_looks_like(rr, 7));
  p[1] = 96;
  CHECK(!rtp_looks_like(p, 8));
  CHECK(!rtp_looks_like(p, 11));
  CHECK(rtp_looks_like(p, 12));
  /* STUN and DTLS first bytes are not version 2. */
  const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  const uint8_t dtls[13] = {0x16, 0xfe, 0xfd};
  CHECK(!rtp_looks_like(stun, sizeof stun));
  CHECK(!rtp_looks_like(dtls, sizeof dtls));
}

static void test_ext_find_one_byte(void) {
  rtp_header h;
  const uint8_t *d = NULL;
  size_t len = 0;
  CHECK_EQ_INT(rtp_parse(audio_pkt, sizeof audio_pkt, &h), 0);

  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 1, &d, &len), 0);
  CHECK_EQ_INT(len, 1);
  CHECK(d == audio_pkt + 17);
  uint8_t level = 0;
  bool voice = false;
  CHECK_EQ_INT(rtp_audio_level(d, len, &level, &voice), 0);
  CHECK_EQ_INT(level, 30);
  CHECK(voice);

  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 2, &d, &len), 0);
  CHECK_EQ_INT(len, 3);
  CHECK(d[0] == 0x12 && d[1] == 0x34 && d[2] == 0x56);

  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 4, &d, &len), 0);
  CHECK_EQ_INT(len, 1);
  CHECK_EQ_INT(d[0], '0');

  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 3, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 0, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 15, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(audio_pkt, &h, 20, &d, &len), -1);

  /* No extension block at all. */
  CHECK_EQ_INT(rtp_parse(csrc_pkt, sizeof csrc_pkt, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(csrc_pkt, &h, 1, &d, &len), -1);
}

/* Padding bytes (and id-0 bytes) between elements, id 15 ending the block,
 * an element running past the block, an unknown profile. */
static void test_ext_one_byte_edges(void) {
  uint8_t p[] = {
      0x90, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
      0xbe, 0xde, 0x00, 0x03,
      0x00, 0x05,             /* padding; an id-0 byte is padding too */
      0x11, 0x7f, 0x00,       /* id 1, len 2: 0x7f 0x00 */
      0xf0,                   /* id 15: stop here */
      0x20, 0xaa,             /* id 2, ignored */
      0x00, 0x00, 0x00, 0x00, /* padding */
  };
  rtp_header h;
  const uint8_t *d;
  size_t len;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 1, &d, &len), 0);
  CHECK_EQ_INT(len, 2);
  CHECK(d == p + 19);
  uint8_t level;
  bool voice;
  CHECK_EQ_INT(rtp_audio_level(d, len, &level, &voice), 0);
  CHECK_EQ_INT(level, 127);
  CHECK(!voice);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 2, &d, &len), -1);

  /* Without the stop id, id 2 is found. */
  p[21] = 0x00;
  CHECK_EQ_INT(rtp_ext_find(p, &h, 2, &d, &len), 0);
  CHECK_EQ_INT(len, 1);
  CHECK_EQ_INT(d[0], 0xaa);

  /* An element whose length runs past the block: earlier ones are found,
   * the search for later ones fails. */
  p[22] = 0x2f; /* id 2, 16 bytes; only 5 left in the block */
  CHECK_EQ_INT(rtp_ext_find(p, &h, 1, &d, &len), 0);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 2, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 3, &d, &len), -1);
  p[22] = 0x24; /* id 2, 5 bytes: exactly to the end of the block */
  CHECK_EQ_INT(rtp_ext_find(p, &h, 2, &d, &len), 0);
  CHECK_EQ_INT(len, 5);
  CHECK(d + len == p + sizeof p);

  /* Another profile (RFC 3550 generic extension): no elements. */
  p[12] = 0x12;
  p[13] = 0x34;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 1, &d, &len), -1);

  /* Empty extension block. */
  uint8_t e[] = {0x90, 0x6f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0x00, 0x00, 0x55};
  CHECK_EQ_INT(rtp_parse(e, sizeof e, &h), 0);
  CHECK_EQ_INT(h.ext_len, 0);
  CHECK_EQ_INT(h.payload_len, 1);
  CHECK_EQ_INT(rtp_ext_find(e, &h, 1, &d, &len), -1);
}

static void test_ext_find_two_byte(void) {
  rtp_header h;
  const uint8_t *d;
  size_t len;
  CHECK_EQ_INT(rtp_parse(video_pkt, sizeof video_pkt, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(video_pkt, &h, 4, &d, &len), 0);
  CHECK_EQ_INT(len, 1);
  CHECK_EQ_INT(d[0], '1');
  CHECK_EQ_INT(rtp_ext_find(video_pkt, &h, 7, &d, &len), 0);
  CHECK_EQ_INT(len, 0);
  CHECK(d == video_pkt + 22);
  CHECK_EQ_INT(rtp_ext_find(video_pkt, &h, 20, &d, &len), 0);
  CHECK_EQ_INT(len, 3);
  CHECK(d[0] == 0xaa && d[2] == 0xcc);
  CHECK_EQ_INT(rtp_ext_find(video_pkt, &h, 5, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(video_pkt, &h, 0, &d, &len), -1);

  /* Appbits in the profile's low nibble are allowed. */
  uint8_t p[sizeof video_pkt];
  memcpy(p, video_pkt, sizeof p);
  p[13] = 0x0f;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 20, &d, &len), 0);

  /* An element length past the block; an id byte with no length byte. */
  p[23] = 0x05; /* id 20 now claims 5 bytes, 4 remain before the end */
  CHECK_EQ_INT(rtp_ext_find(p, &h, 20, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 4, &d, &len), 0);
  memcpy(p, video_pkt, sizeof p);
  p[27] = 0x09; /* the trailing padding byte becomes a lone id */
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 9, &d, &len), -1);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 20, &d, &len), 0);

  /* A two-byte element longer than 16 bytes (why the form exists). */
  uint8_t big[12 + 4 + 24 + 1] = {0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x06};
  big[16] = 200;
  big[17] = 22;
  for (int i = 0; i < 22; i++) big[18 + i] = (uint8_t)i;
  CHECK_EQ_INT(rtp_parse(big, sizeof big, &h), 0);
  CHECK_EQ_INT(rtp_ext_find(big, &h, 200, &d, &len), 0);
  CHECK_EQ_INT(len, 22);
  CHECK_EQ_INT(d[21], 21);
}

static void test_ext_remap_one_byte(void) {
  uint8_t p[sizeof audio_pkt];
  memcpy(p, audio_pkt, sizeof p);
  uint8_t map[256] = {0};
  map[1] = 5;
  map[2] = 3;
  /* map[4] = 0: dropped */
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), 0);
  const uint8_t want[] = {0x50, 0x9e, 0x32, 0x12, 0x34, 0x56, 0xe0, 0x30};
  CHECK(memcmp(p + 16, want, sizeof want) == 0);
  CHECK(memcmp(p, audio_pkt, 16) == 0);
  CHECK(memcmp(p + 24, audio_pkt + 24, sizeof p - 24) == 0);

  const uint8_t *d;
  size_t len;
  CHECK_EQ_INT(rtp_ext_find(p, &h, 5, &d, &len), 0);
  CHECK_EQ_INT(d[0], 0x9e);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 3, &d, &len), 0);
  CHECK_EQ_INT(len, 3);
  CHECK_EQ_INT(rtp_ext_find(p, &h, RTP_EXT_DROP_ID, &d, &len), 0);
  CHECK_EQ_INT(d[0], '0');
  CHECK_EQ_INT(rtp_ext_find(p, &h, 1, &d, &len), -1);

  /* Ids that cannot be written in one byte (15 and above) are dropped too;
   * identity maps change nothing. */
  memcpy(p, audio_pkt, sizeof p);
  for (int i = 0; i < 256; i++) map[i] = (uint8_t)i;
  map[2] = 15;
  map[4] = 200;
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), 0);
  CHECK_EQ_INT(p[16], 0x10);
  CHECK_EQ_INT(p[18], 0xe2);
  CHECK_EQ_INT(p[22], 0xe0);
}

static void test_ext_remap_one_byte_edges(void) {
  uint8_t p[] = {
      0x90, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
      0xbe, 0xde, 0x00, 0x02,
      0x00, 0x10, 0x01, /* padding, id 1 (len 1) */
      0xf0, 0x20, 0xaa, /* stop, then bytes that are not elements */
      0x00, 0x00,
  };
  uint8_t map[256] = {0};
  map[1] = 9;
  map[2] = 8;
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), 0);
  CHECK_EQ_INT(p[16], 0x00);
  CHECK_EQ_INT(p[17], 0x90);
  CHECK_EQ_INT(p[19], 0xf0);
  CHECK_EQ_INT(p[20], 0x20); /* after the stop id: untouched */

  /* A malformed block is refused before anything is written. */
  p[19] = 0x00;
  p[20] = 0x2f; /* id 2 claims 16 bytes */
  uint8_t before[sizeof p];
  memcpy(before, p, sizeof p);
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), -1);
  CHECK(memcmp(p, before, sizeof p) == 0);

  /* No extension: nothing to do. Unknown profile: refused. */
  CHECK_EQ_INT(rtp_parse(csrc_pkt, sizeof csrc_pkt, &h), 0);
  uint8_t c[sizeof csrc_pkt];
  memcpy(c, csrc_pkt, sizeof c);
  CHECK_EQ_INT(rtp_ext_remap(c, &h, map), 0);
  CHECK(memcmp(c, csrc_pkt, sizeof c) == 0);
  p[12] = 0x12;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), -1);
}

static void test_ext_remap_two_byte(void) {
  uint8_t p[sizeof video_pkt];
  memcpy(p, video_pkt, sizeof p);
  uint8_t map[256] = {0};
  map[4] = 1;
  /* map[7] = 0: dropped */
  map[20] = 250;
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), 0);
  const uint8_t want[] = {0x01, 0x01, 0x31, 0x00, RTP_EXT_DROP_ID, 0x00,
                          0xfa, 0x03, 0xaa, 0xbb, 0xcc, 0x00};
  CHECK(memcmp(p + 16, want, sizeof want) == 0);
  CHECK(memcmp(p, video_pkt, 16) == 0);
  CHECK(memcmp(p + 28, video_pkt + 28, sizeof p - 28) == 0);
  const uint8_t *d;
  size_t len;
  CHECK_EQ_INT(rtp_ext_find(p, &h, 250, &d, &len), 0);
  CHECK_EQ_INT(len, 3);
  CHECK_EQ_INT(rtp_ext_find(p, &h, 1, &d, &len), 0);
  CHECK_EQ_INT(d[0], '1');

  /* Malformed: untouched. */
  memcpy(p, video_pkt, sizeof p);
  p[23] = 0x05;
  CHECK_EQ_INT(rtp_ext_remap(p, &h, map), -1);
  CHECK_EQ_INT(p[16], 0x04);
}

static void test_audio_level(void) {
  uint8_t level = 99;
  bool voice = true;
  const uint8_t silent = 0x7f, loud_voice = 0x80;
  CHECK_EQ_INT(rtp_audio_level(&silent, 1, &level, &voice), 0);
  CHECK_EQ_INT(level, 127);
  CHECK(!voice);
  CHECK_EQ_INT(rtp_audio_level(&loud_voice, 1, &level, &voice), 0);
  CHECK_EQ_INT(level, 0);
  CHECK(voice);
  CHECK_EQ_INT(rtp_audio_level(&silent, 0, &level, &voice), -1);
  CHECK_EQ_INT(rtp_audio_level(NULL, 1, &level, &voice), -1);
}

static void test_rewrites(void) {
  uint8_t p[sizeof video_pkt];
  memcpy(p, video_pkt, sizeof p);
  rtp_set_payload_type(p, 100);
  rtp_set_ssrc(p, 0x01020304);
  rtp_header h;
  CHECK_EQ_INT(rtp_parse(p, sizeof p, &h), 0);
  CHECK_EQ_INT(h.payload_type, 100);
  CHECK_EQ_INT(h.marker, 1);
  CHECK_EQ_INT(h.ssrc, 0x01020304);
  CHECK(memcmp(p + 12, video_pkt + 12, sizeof p - 12) == 0);
  rtp_set_payload_type(p, 0xff); /* only 7 bits are a payload type */
  CHECK_EQ_INT(p[1], 0xff);
  memcpy(p, audio_pkt, sizeof audio_pkt);
  rtp_set_payload_type(p, 63);
  CHECK_EQ_INT(p[1], 63);
}

static void test_seq_newer(void) {
  CHECK(rtp_seq_newer(1, 0));
  CHECK(!rtp_seq_newer(0, 1));
  CHECK(rtp_seq_newer(0, 65535));
  CHECK(!rtp_seq_newer(65535, 0));
  CHECK(rtp_seq_newer(10, 65530));
  CHECK(!rtp_seq_newer(7, 7));
  CHECK(rtp_seq_newer(0x7fff, 0));
  CHECK(!rtp_seq_newer(0x8000, 0));
  CHECK(!rtp_seq_newer(0, 0x8000));
  CHECK(rtp_seq_newer(0x8001, 2));
  CHECK(!rtp_seq_newer(2, 0x8001));
}

TEST_SUITE(rtp, {"parse_chrome_audio", test_parse_chrome_audio},
           {"parse_two_byte_video", test_parse_two_byte_video},
           {"parse_csrcs", test_parse_csrcs}, {"parse_padding", test_parse_padding},
           {"truncated_at_every_length", test_truncated_at_every_length},
           {"rejects_bad_lengths", test_rejects_bad_lengths},
           {"rejects_versions", test_rejects_versions},
           {"failure_keeps_header", test_failure_keeps_header}, {"demux", test_demux},
           {"ext_find_one_byte", test_ext_find_one_byte},
           {"ext_one_byte_edges", test_ext_one_byte_edges},
           {"ext_find_two_byte", test_ext_find_two_byte},
           {"ext_remap_one_byte", test_ext_remap_one_byte},
           {"ext_remap_one_byte_edges", test_ext_remap_one_byte_edges},
           {"ext_remap_two_byte", test_ext_remap_two_byte}, {"audio_level", test_audio_level},
           {"rewrites", test_rewrites}, {"seq_newer", test_seq_newer});
