/* Unit tests for src/rtp/rtcp.c: compound packets as browsers send them
 * (SR + SDES, RR + PLI), Generic NACK with several PID/BLP pairs, FIR with
 * two entries, REMB with exponent/mantissa boundaries, every malformed
 * compound (truncation at every length, bad version, length past the end,
 * bad padding), and builders round-tripped through the parsers, including
 * NACK packing across the 16-bit wrap. */
#include <stdbool.h>
#include <stdint.h>

#include "rtp/rtcp.h"
#include "test.h"

/* SR (sender 0x11223344, no report blocks) + SDES CNAME "abcdefghijklmnop". */
static const uint8_t sr_sdes[] = {
    0x80, 0xc8, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,  /* SR header, SSRC */
    0xe5, 0x3a, 0x1b, 0x2c, 0x80, 0x00, 0x00, 0x00,  /* NTP timestamp */
    0x00, 0x0b, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x64,  /* RTP ts, packets */
    0x00, 0x00, 0x3e, 0x80,                          /* octets */
    0x81, 0xca, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,  /* SDES, chunk SSRC */
    0x01, 0x10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
    0x00, 0x00,                                      /* end of items, pad */
};

/* RR (sender 0x55667788, one report block about 0x11223344) + PLI. */
static const uint8_t rr_pli[] = {
    0x81, 0xc9, 0x00, 0x07, 0x55, 0x66, 0x77, 0x88,
    0x11, 0x22, 0x33, 0x44, 0x10, 0x00, 0x00, 0x05,  /* SSRC, fraction, lost */
    0x00, 0x01, 0x12, 0x34, 0x00, 0x00, 0x00, 0x20,  /* ext. highest, jitter */
    0x3a, 0x1b, 0x2c, 0x80, 0x00, 0x00, 0x10, 0x00,  /* LSR, DLSR */
    0x81, 0xce, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44,
};

/* Generic NACK, three pairs: (100, none), (200, bits 0 and 15),
 * (65530, bits 0 and 5: 65531 and 0 across the wrap). */
static const uint8_t nack[] = {
    0x81, 0xcd, 0x00, 0x05, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44,
    0x00, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x80, 0x01, 0xff, 0xfa, 0x00, 0x21,
};

/* FIR with two entries (0xaaaaaaaa seq 7, 0xbbbbbbbb seq 9). */
static const uint8_t fir[] = {
    0x84, 0xce, 0x00, 0x06, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00,
    0xaa, 0xaa, 0xaa, 0xaa, 0x07, 0x00, 0x00, 0x00,
    0xbb, 0xbb, 0xbb, 0xbb, 0x09, 0x00, 0x00, 0x00,
};

/* REMB: 1 000 000 bps (exp 2, mantissa 250000) for two SSRCs. */
static const uint8_t remb[] = {
    0x8f, 0xce, 0x00, 0x06, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00,
    'R', 'E', 'M', 'B', 0x02, 0x0b, 0xd0, 0x90,
    0x11, 0x22, 0x33, 0x44, 0x99, 0x88, 0x77, 0x66,
};

/* Reads the single block of a one-block packet. */
static rtcp_block one_block(const uint8_t *p, size_t n) {
  rtcp_block b = {0};
  size_t off = 0;
  CHECK_EQ_INT(rtcp_next(p, n, &off, &b), 1);
  CHECK_EQ_INT(off, n);
  CHECK_EQ_INT(rtcp_next(p, n, &off, &b), 0);
  return b;
}

static void test_sr_sdes(void) {
  rtcp_block b;
  size_t off = 0;
  CHECK_EQ_INT(rtcp_next(sr_sdes, sizeof sr_sdes, &off, &b), 1);
  CHECK_EQ_INT(b.type, RTCP_SR);
  CHECK_EQ_INT(b.count, 0);
  CHECK_EQ_INT(b.len, 28);
  CHECK(b.p == sr_sdes);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x11223344);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0);
  CHECK(!rtcp_is_pli(&b) && !rtcp_is_fir(&b) && !rtcp_is_nack(&b));
  CHECK_EQ_INT(off, 28);
  CHECK_EQ_INT(rtcp_next(sr_sdes, sizeof sr_sdes, &off, &b), 1);
  CHECK_EQ_INT(b.type, RTCP_SDES);
  CHECK_EQ_INT(b.count, 1);
  CHECK_EQ_INT(b.len, 28);
  CHECK(b.p == sr_sdes + 28);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x11223344);
  CHECK_EQ_INT(rtcp_next(sr_sdes, sizeof sr_sdes, &off, &b), 0);
  CHECK_EQ_INT(rtcp_next(sr_sdes, sizeof sr_sdes, &off, &b), 0); /* stays at the end */
}

static void test_rr_pli(void) {
  rtcp_block b;
  size_t off = 0;
  CHECK_EQ_INT(rtcp_next(rr_pli, sizeof rr_pli, &off, &b), 1);
  CHECK_EQ_INT(b.type, RTCP_RR);
  CHECK_EQ_INT(b.count, 1);
  CHECK_EQ_INT(b.len, 32);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x55667788);
  CHECK(!rtcp_is_pli(&b));
  CHECK_EQ_INT(rtcp_next(rr_pli, sizeof rr_pli, &off, &b), 1);
  CHECK_EQ_INT(b.type, RTCP_PSFB);
  CHECK_EQ_INT(b.count, RTCP_PSFB_PLI);
  CHECK_EQ_INT(b.len, 12);
  CHECK(rtcp_is_pli(&b));
  CHECK(!rtcp_is_fir(&b) && !rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x55667788);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0x11223344);
  CHECK_EQ_INT(rtcp_next(rr_pli, sizeof rr_pli, &off, &b), 0);
}

static void test_nack_pairs(void) {
  rtcp_block b = one_block(nack, sizeof nack);
  CHECK(rtcp_is_nack(&b));
  CHECK(!rtcp_is_pli(&b) && !rtcp_is_fir(&b));
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x55667788);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0x11223344);
  uint16_t seqs[64];
  const uint16_t want[] = {100, 200, 201, 216, 65530, 65531, 0};
  CHECK_EQ_INT(rtcp_nack_seqs(&b, seqs, 64), 7);
  for (int i = 0; i < 7; i++) CHECK_EQ_INT(seqs[i], want[i]);
  /* cap cuts the expansion anywhere, even inside a pair. */
  for (int cap = 0; cap <= 7; cap++) {
    uint16_t few[8] = {0};
    CHECK_EQ_INT(rtcp_nack_seqs(&b, few, cap), cap);
    for (int i = 0; i < cap; i++) CHECK_EQ_INT(few[i], want[i]);
  }
  /* All 16 BLP bits. */
  uint8_t full[16] = {0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xf8, 0xff, 0xff};
  b = one_block(full, sizeof full);
  CHECK_EQ_INT(rtcp_nack_seqs(&b, seqs, 64), 17);
  for (int i = 0; i < 17; i++) CHECK_EQ_INT(seqs[i], (uint16_t)(65528 + i));
  /* A NACK without FCI is not a NACK. */
  full[3] = 0x02;
  b = one_block(full, 12);
  CHECK(!rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_nack_seqs(&b, seqs, 64), 0);
  /* Another RTPFB format (e.g. 15, transport-cc) is not a NACK. */
  full[0] = 0x8f;
  full[3] = 0x03;
  b = one_block(full, sizeof full);
  CHECK(!rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_nack_seqs(&b, seqs, 64), 0);
}

/* Padding bytes are never read as FCI. */
static void test_padding(void) {
  uint8_t p[] = {
      0xa1, 0xcd, 0x00, 0x05, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44,
      0x00, 0x0a, 0x00, 0x01, 0x00, 0x14, 0x00, 0x00, /* 10, 11; 20 */
      0x00, 0x00, 0x00, 0x04,                         /* padding */
  };
  rtcp_block b = one_block(p, sizeof p);
  CHECK_EQ_INT(b.len, 24);
  uint16_t seqs[16];
  CHECK_EQ_INT(rtcp_nack_seqs(&b, seqs, 16), 3);
  CHECK_EQ_INT(seqs[2], 20);

  /* Padding count 0, or larger than the body: malformed. */
  size_t off = 0;
  p[23] = 0;
  CHECK_EQ_INT(rtcp_next(p, sizeof p, &off, &b), -1);
  p[23] = 21;
  CHECK_EQ_INT(rtcp_next(p, sizeof p, &off, &b), -1);
  p[23] = 20; /* the whole body: a valid block, but no longer a NACK */
  b = one_block(p, sizeof p);
  CHECK(!rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0);
  /* A PLI padded to 16 bytes is still a PLI. */
  uint8_t pli[16] = {0xa1, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4};
  b = one_block(pli, sizeof pli);
  CHECK(rtcp_is_pli(&b));
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 2);
}

static void test_fir_two_entries(void) {
  rtcp_block b = one_block(fir, sizeof fir);
  CHECK(rtcp_is_fir(&b));
  CHECK(!rtcp_is_pli(&b) && !rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x55667788);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0);
  uint32_t ssrcs[4] = {0};
  uint8_t nrs[4] = {0};
  CHECK_EQ_INT(rtcp_fir_ssrcs(&b, ssrcs, 4), 2);
  CHECK_EQ_INT(ssrcs[0], 0xaaaaaaaa);
  CHECK_EQ_INT(ssrcs[1], 0xbbbbbbbb);
  CHECK_EQ_INT(rtcp_fir_entries(&b, ssrcs, nrs, 4), 2);
  CHECK_EQ_INT(nrs[0], 7);
  CHECK_EQ_INT(nrs[1], 9);
  ssrcs[1] = 0;
  CHECK_EQ_INT(rtcp_fir_ssrcs(&b, ssrcs, 1), 1);
  CHECK_EQ_INT(ssrcs[1], 0);
  CHECK_EQ_INT(rtcp_fir_ssrcs(&b, ssrcs, 0), 0);
  /* Header only: not a FIR. A partial trailing entry is ignored. */
  uint8_t p[sizeof fir];
  memcpy(p, fir, sizeof p);
  p[3] = 0x02;
  b = one_block(p, 12);
  CHECK(!rtcp_is_fir(&b));
  CHECK_EQ_INT(rtcp_fir_ssrcs(&b, ssrcs, 4), 0);
  p[3] = 0x05;
  b = one_block(p, 24);
  CHECK(rtcp_is_fir(&b));
  CHECK_EQ_INT(rtcp_fir_ssrcs(&b, ssrcs, 4), 1);
}

static void test_remb_parse(void) {
  rtcp_block b = one_block(remb, sizeof remb);
  uint64_t bps = 0;
  uint32_t ssrcs[4] = {0};
  int n = -1;
  CHECK(!rtcp_is_pli(&b) && !rtcp_is_fir(&b));
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), 0);
  CHECK_EQ_INT(bps, 1000000);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(ssrcs[0], 0x11223344);
  CHECK_EQ_INT(ssrcs[1], 0x99887766);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 1, &n), 0);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, NULL, 0, &n), 0);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, NULL, 4, &n), 0);
  CHECK_EQ_INT(n, 0);

  uint8_t p[sizeof remb];
  memcpy(p, remb, sizeof p);
  p[16] = 3; /* three SSRCs announced, two present */
  b = one_block(p, sizeof p);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), -1);
  p[16] = 0; /* none: valid */
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), 0);
  CHECK_EQ_INT(n, 0);
  p[16] = 2;
  p[15] = 'X';
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), -1);
  p[15] = 'B';
  p[0] = 0x8e; /* FMT 14 */
  b = one_block(p, sizeof p);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), -1);
  p[0] = 0x8f;
  p[3] = 0x03; /* 16 bytes: no room for num/exp/mantissa */
  b = one_block(p, 16);
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, ssrcs, 4, &n), -1);
}

/* Writes exp/mantissa into a REMB without SSRCs and parses it. */
static int parse_remb_bits(unsigned exp, uint32_t mantissa, uint64_t *bps) {
  uint8_t p[20] = {0x8f, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 0};
  p[17] = (uint8_t)(exp << 2 | mantissa >> 16);
  p[18] = (uint8_t)(mantissa >> 8);
  p[19] = (uint8_t)mantissa;
  rtcp_block b = one_block(p, sizeof p);
  uint32_t s;
  int n;
  return rtcp_parse_remb(&b, bps, &s, 1, &n);
}

static void test_remb_exponent_boundaries(void) {
  uint64_t bps = 1;
  CHECK_EQ_INT(parse_remb_bits(0, 0, &bps), 0);
  CHECK_EQ_INT(bps, 0);
  CHECK_EQ_INT(parse_remb_bits(0, 0x3ffff, &bps), 0);
  CHECK_EQ_INT(bps, 262143);
  CHECK_EQ_INT(parse_remb_bits(1, 0x20000, &bps), 0);
  CHECK_EQ_INT(bps, 262144);
  CHECK_EQ_INT(parse_remb_bits(46, 0x3ffff, &bps), 0);
  CHECK(bps == (uint64_t)0x3ffff << 46);
  CHECK_EQ_INT(parse_remb_bits(47, 0x1ffff, &bps), 0);
  CHECK(bps == (uint64_t)0x1ffff << 47);
  CHECK_EQ_INT(parse_remb_bits(63, 1, &bps), 0);
  CHECK(bps == (uint64_t)1 << 63);
  CHECK_EQ_INT(parse_remb_bits(63, 0, &bps), 0);
  CHECK_EQ_INT(bps, 0);
  /* Past 64 bits: refused. */
  bps = 7;
  CHECK_EQ_INT(parse_remb_bits(47, 0x3ffff, &bps), -1);
  CHECK_EQ_INT(parse_remb_bits(63, 2, &bps), -1);
  CHECK_EQ_INT(parse_remb_bits(50, 0x4000, &bps), -1);
  CHECK_EQ_INT(bps, 7);
}

static void test_remb_build(void) {
  static const struct {
    uint64_t bps;
    uint8_t b17, b18, b19;
    uint64_t parsed;
  } cases[] = {
      {0, 0x00, 0x00, 0x00, 0},
      {1000000, 0x0b, 0xd0, 0x90, 1000000},
      {262143, 0x03, 0xff, 0xff, 262143},     /* largest with exp 0 */
      {262144, 0x06, 0x00, 0x00, 262144},     /* smallest with exp 1 */
      {262145, 0x06, 0x00, 0x00, 262144},     /* rounded down */
      {524287, 0x07, 0xff, 0xff, 524286},
      {UINT64_MAX, 0xbb, 0xff, 0xff, (uint64_t)0x3ffff << 46}, /* exp 46 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t out[64];
    const uint32_t ssrcs[3] = {1, 2, 0xfedcba98};
    size_t len = rtcp_build_remb(out, sizeof out, 0x55667788, cases[i].bps, ssrcs, 3);
    CHECK_EQ_INT(len, 32);
    CHECK_EQ_INT(out[0], 0x8f);
    CHECK_EQ_INT(out[1], 206);
    CHECK_EQ_INT(out[3], 7);
    CHECK(memcmp(out + 12, "REMB", 4) == 0);
    CHECK_EQ_INT(out[16], 3);
    CHECK_EQ_INT(out[17], cases[i].b17);
    CHECK_EQ_INT(out[18], cases[i].b18);
    CHECK_EQ_INT(out[19], cases[i].b19);
    rtcp_block b = one_block(out, len);
    uint64_t bps = 0;
    uint32_t got[4];
    int n = 0;
    CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, got, 4, &n), 0);
    CHECK(bps == cases[i].parsed);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(got[2], 0xfedcba98);
    CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x55667788);
    CHECK_EQ_INT(rtcp_media_ssrc(&b), 0);
  }
  /* Exactly the fixture above. */
  uint8_t out[64];
  const uint32_t two[2] = {0x11223344, 0x99887766};
  CHECK_EQ_INT(rtcp_build_remb(out, sizeof out, 0x55667788, 1000000, two, 2), sizeof remb);
  CHECK(memcmp(out, remb, sizeof remb) == 0);
  /* Limits. */
  CHECK_EQ_INT(rtcp_build_remb(out, 27, 1, 1000, two, 2), 0);
  CHECK_EQ_INT(rtcp_build_remb(out, 20, 1, 1000, NULL, 0), 20);
  CHECK_EQ_INT(rtcp_build_remb(out, 64, 1, 1000, NULL, 1), 0);
  CHECK_EQ_INT(rtcp_build_remb(out, 64, 1, 1000, two, -1), 0);
  static uint32_t many[256];
  static uint8_t big[2048];
  CHECK_EQ_INT(rtcp_build_remb(big, sizeof big, 1, 1000, many, 255), 20 + 4 * 255);
  CHECK_EQ_INT(rtcp_build_remb(big, sizeof big, 1, 1000, many, 256), 0);
}

/* Every prefix of a two-block compound: malformed unless it ends on a block
 * boundary; empty input is malformed. */
static void test_truncated_compound(void) {
  for (size_t n = 0; n <= sizeof sr_sdes; n++) {
    rtcp_block b;
    size_t off = 0;
    int first = rtcp_next(sr_sdes, n, &off, &b);
    if (n < 28) {
      CHECK_EQ_INT(first, -1);
      CHECK_EQ_INT(off, 0);
      continue;
    }
    CHECK_EQ_INT(first, 1);
    int second = rtcp_next(sr_sdes, n, &off, &b);
    if (n == 28) {
      CHECK_EQ_INT(second, 0);
    } else if (n < sizeof sr_sdes) {
      CHECK_EQ_INT(second, -1);
    } else {
      CHECK_EQ_INT(second, 1);
      CHECK_EQ_INT(rtcp_next(sr_sdes, n, &off, &b), 0);
    }
  }
}

static void test_malformed_compound(void) {
  uint8_t p[sizeof rr_pli + 3] = {0};
  rtcp_block b;
  size_t off;
  memcpy(p, rr_pli, sizeof rr_pli);

  /* Version 1 or 3 in the second block. */
  for (int v = 0; v < 4; v++) {
    p[32] = (uint8_t)((rr_pli[32] & 0x3f) | v << 6);
    off = 0;
    CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli, &off, &b), 1);
    CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli, &off, &b), v == 2 ? 1 : -1);
  }
  p[32] = rr_pli[32];

  /* Length field past the end. */
  p[3] = 0x0a; /* 44 bytes: exactly the packet, swallowing the PLI */
  off = 0;
  CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli, &off, &b), 1);
  p[3] = 0x0b; /* 48 bytes */
  off = 0;
  CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli, &off, &b), -1);
  p[3] = 0xff;
  off = 0;
  CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli, &off, &b), -1);
  p[3] = 0x07;

  /* 1..3 stray bytes after the last block. */
  for (size_t extra = 1; extra <= 3; extra++) {
    off = 0;
    CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli + extra, &off, &b), 1);
    CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli + extra, &off, &b), 1);
    CHECK_EQ_INT(rtcp_next(p, sizeof rr_pli + extra, &off, &b), -1);
  }

  /* Empty input, offset past the end, NULL. */
  off = 0;
  CHECK_EQ_INT(rtcp_next(p, 0, &off, &b), -1);
  off = 50;
  CHECK_EQ_INT(rtcp_next(p, 44, &off, &b), -1);
  off = 0;
  CHECK_EQ_INT(rtcp_next(NULL, 8, &off, &b), -1);

  /* A 4-byte block (BYE without SSRCs) is valid and has no sender. */
  const uint8_t bye[4] = {0x80, 0xcb, 0x00, 0x00};
  b = one_block(bye, sizeof bye);
  CHECK_EQ_INT(b.type, RTCP_BYE);
  CHECK_EQ_INT(b.len, 4);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0);
  CHECK(!rtcp_is_pli(&b));
  const uint8_t bye1[8] = {0x81, 0xcb, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
  b = one_block(bye1, sizeof bye1);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0xdeadbeef);
  /* XR and unknown types have no sender here. */
  const uint8_t xr[8] = {0x80, 207, 0x00, 0x01, 1, 2, 3, 4};
  b = one_block(xr, sizeof xr);
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0);
  /* A PSFB too short for its media SSRC. */
  const uint8_t short_fb[8] = {0x81, 0xce, 0x00, 0x01, 1, 2, 3, 4};
  b = one_block(short_fb, sizeof short_fb);
  CHECK(!rtcp_is_pli(&b));
  CHECK_EQ_INT(rtcp_sender_ssrc(&b), 0x01020304);
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0);
}

static void test_build_pli_fir_rr(void) {
  uint8_t out[64];
  CHECK_EQ_INT(rtcp_build_pli(out, 11, 1, 2), 0);
  CHECK_EQ_INT(rtcp_build_pli(out, sizeof out, 0x55667788, 0x11223344), 12);
  CHECK(memcmp(out, rr_pli + 32, 12) == 0);

  CHECK_EQ_INT(rtcp_build_fir(out, 19, 1, 2, 3), 0);
  CHECK_EQ_INT(rtcp_build_fir(out, sizeof out, 0x55667788, 0xaaaaaaaa, 7), 20);
  uint8_t want_fir[20];
  memcpy(want_fir, fir, 20);
  want_fir[3] = 0x04;
  CHECK(memcmp(out, want_fir, 20) == 0);
  rtcp_block b = one_block(out, 20);
  uint32_t s[2];
  uint8_t nr[2];
  CHECK(rtcp_is_fir(&b));
  CHECK_EQ_INT(rtcp_fir_entries(&b, s, nr, 2), 1);
  CHECK_EQ_INT(s[0], 0xaaaaaaaa);
  CHECK_EQ_INT(nr[0], 7);

  CHECK_EQ_INT(rtcp_build_rr(out, 7, 1), 0);
  CHECK_EQ_INT(rtcp_build_rr(out, 8, 0x01020304), 8);
  const uint8_t want_rr[8] = {0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
  CHECK(memcmp(out, want_rr, 8) == 0);

  /* A reduced-size compound the SFU sends upstream: RR + PLI + REMB. */
  size_t n = rtcp_build_rr(out, sizeof out, 9);
  n += rtcp_build_pli(out + n, sizeof out - n, 9, 0x11223344);
  const uint32_t media = 0x11223344;
  n += rtcp_build_remb(out + n, sizeof out - n, 9, 2500000, &media, 1);
  CHECK_EQ_INT(n, 8 + 12 + 24);
  size_t off = 0;
  int types[4] = {0}, k = 0;
  while (k < 4 && rtcp_next(out, n, &off, &b) == 1) {
    types[k++] = b.type;
    CHECK_EQ_INT(rtcp_sender_ssrc(&b), 9);
  }
  CHECK_EQ_INT(k, 3);
  CHECK_EQ_INT(types[0], RTCP_RR);
  CHECK_EQ_INT(types[1], RTCP_PSFB);
  CHECK_EQ_INT(types[2], RTCP_PSFB);
  uint64_t bps;
  uint32_t got;
  int cnt;
  CHECK_EQ_INT(rtcp_parse_remb(&b, &bps, &got, 1, &cnt), 0);
  CHECK_EQ_INT(bps, 2500000);
  CHECK_EQ_INT(got, media);
}

/* Builds a NACK and expands it again. Returns the number of pairs. */
static int nack_round_trip(const uint16_t *seqs, int n, uint16_t *out_seqs, int cap,
                           int *count) {
  static uint8_t buf[4096];
  size_t len = rtcp_build_nack(buf, sizeof buf, 0x55667788, 0x11223344, seqs, n);
  if (len == 0) return -1;
  rtcp_block b = one_block(buf, len);
  CHECK(rtcp_is_nack(&b));
  CHECK_EQ_INT(rtcp_media_ssrc(&b), 0x11223344);
  *count = rtcp_nack_seqs(&b, out_seqs, cap);
  return (int)(len - 12) / 4;
}

static void test_build_nack_wrap(void) {
  const uint16_t seqs[] = {65534, 65535, 0, 1, 17, 18};
  uint8_t out[64];
  CHECK_EQ_INT(rtcp_build_nack(out, sizeof out, 0x55667788, 0x11223344, seqs, 6), 20);
  const uint8_t want[20] = {0x81, 0xcd, 0x00, 0x04, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22,
                            0x33, 0x44, 0xff, 0xfe, 0x00, 0x07, 0x00, 0x11, 0x00, 0x01};
  CHECK(memcmp(out, want, 20) == 0);
  uint16_t got[32];
  int count = 0;
  CHECK_EQ_INT(nack_round_trip(seqs, 6, got, 32, &count), 2);
  CHECK_EQ_INT(count, 6);
  for (int i = 0; i < 6; i++) CHECK_EQ_INT(got[i], seqs[i]);

  /* cap one byte short of the output; no room for even one pair. */
  CHECK_EQ_INT(rtcp_build_nack(out, 19, 1, 2, seqs, 6), 0);
  CHECK_EQ_INT(rtcp_build_nack(out, 15, 1, 2, seqs, 1), 0);
  CHECK_EQ_INT(rtcp_build_nack(out, 16, 1, 2, seqs, 1), 16);
  CHECK_EQ_INT(rtcp_build_nack(out, sizeof out, 1, 2, seqs, 0), 0);
  CHECK_EQ_INT(rtcp_build_nack(out, sizeof out, 1, 2, NULL, 3), 0);
}

static void test_build_nack_packing(void) {
  uint16_t got[2048];
  int count = 0;
  /* BLP reaches 16 ahead of the PID, not 17. */
  const uint16_t edge[] = {100, 116, 117};
  CHECK_EQ_INT(nack_round_trip(edge, 3, got, 64, &count), 2);
  CHECK_EQ_INT(count, 3);
  uint8_t out[64];
  rtcp_build_nack(out, sizeof out, 1, 2, edge, 3);
  CHECK(out[14] == 0x80 && out[15] == 0x00);
  CHECK(out[16] == 0x00 && out[17] == 117);

  /* Duplicates collapse. */
  const uint16_t dup[] = {5, 5, 6, 5, 6};
  CHECK_EQ_INT(nack_round_trip(dup, 5, got, 64, &count), 1);
  CHECK_EQ_INT(count, 2);
  CHECK(got[0] == 5 && got[1] == 6);

  /* Out of order: still every number, in PID/BLP order. */
  const uint16_t unordered[] = {5, 3, 4, 40, 2};
  CHECK_EQ_INT(nack_round_trip(unordered, 5, got, 64, &count), 4);
  CHECK_EQ_INT(count, 5);
  const uint16_t want[] = {5, 3, 4, 40, 2};
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(got[i], want[i]);

  /* 1000 consecutive numbers across the wrap: 59 pairs of 17. */
  static uint16_t run[1000];
  for (int i = 0; i < 1000; i++) run[i] = (uint16_t)(65000 + i);
  CHECK_EQ_INT(nack_round_trip(run, 1000, got, 2048, &count), 59);
  CHECK_EQ_INT(count, 1000);
  for (int i = 0; i < 1000; i++) CHECK_EQ_INT(got[i], run[i]);

  /* Sparse ascending sets come back identical. */
  uint32_t rng = 12345;
  for (int round = 0; round < 50; round++) {
    uint16_t set[300];
    int n = 0;
    uint16_t base = (uint16_t)(rng >> 8);
    for (int i = 0; i < 300; i++) {
      rng = rng * 1103515245u + 12345u;
      if ((rng >> 16) % 4 == 0) set[n++] = (uint16_t)(base + i);
    }
    if (n == 0) continue;
    nack_round_trip(set, n, got, 2048, &count);
    CHECK_EQ_INT(count, n);
    for (int i = 0; i < n && i < count; i++) CHECK_EQ_INT(got[i], set[i]);
  }
}

TEST_SUITE(rtcp, {"sr_sdes", test_sr_sdes}, {"rr_pli", test_rr_pli},
           {"nack_pairs", test_nack_pairs}, {"padding", test_padding},
           {"fir_two_entries", test_fir_two_entries}, {"remb_parse", test_remb_parse},
           {"remb_exponent_boundaries", test_remb_exponent_boundaries},
           {"remb_build", test_remb_build}, {"truncated_compound", test_truncated_compound},
           {"malformed_compound", test_malformed_compound},
           {"build_pli_fir_rr", test_build_pli_fir_rr},
           {"build_nack_wrap", test_build_nack_wrap},
           {"build_nack_packing", test_build_nack_packing});
