/* libFuzzer target: RTCP compound iteration and every block parser, with
 * round trips through the builders (NACK, FIR, REMB) that trap if building
 * what was parsed does not parse back to the same content. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtp/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) \
  do {             \
    if (!(c)) __builtin_trap(); \
  } while (0)

#define MAX_SEQS 4096

static uint16_t seqs[MAX_SEQS], again[MAX_SEQS];
static uint8_t out[4 * MAX_SEQS + 64];
static uint32_t fir_ssrcs[8];
static uint8_t seen[65536 / 8], seen_again[65536 / 8];

static void mark(uint8_t *set, uint16_t s) { set[s / 8] |= (uint8_t)(1u << (s % 8)); }

/* Build then parse: the same set of sequence numbers comes back. */
static void nack_round_trip(const rtcp_block *b) {
  int n = rtcp_nack_seqs(b, seqs, MAX_SEQS);
  REQUIRE(n >= 1 && n <= MAX_SEQS);
  size_t len = rtcp_build_nack(out, sizeof out, rtcp_sender_ssrc(b), rtcp_media_ssrc(b), seqs, n);
  REQUIRE(len >= 16 && len <= 12 + 4 * (size_t)n);
  size_t off = 0;
  rtcp_block c;
  REQUIRE(rtcp_next(out, len, &off, &c) == 1 && c.len == len && rtcp_is_nack(&c));
  REQUIRE(rtcp_media_ssrc(&c) == rtcp_media_ssrc(b));
  int m = rtcp_nack_seqs(&c, again, MAX_SEQS);
  REQUIRE(m >= 1 && m <= n);
  memset(seen, 0, sizeof seen);
  memset(seen_again, 0, sizeof seen_again);
  for (int i = 0; i < n; i++) mark(seen, seqs[i]);
  for (int i = 0; i < m; i++) mark(seen_again, again[i]);
  REQUIRE(memcmp(seen, seen_again, sizeof seen) == 0);
}

static void fir_round_trip(const rtcp_block *b) {
  uint32_t ssrcs[8];
  uint8_t nrs[8];
  int n = rtcp_fir_entries(b, ssrcs, nrs, 8);
  REQUIRE(n >= 1 && n <= 8);
  REQUIRE(rtcp_fir_ssrcs(b, ssrcs, 8) == n);
  size_t len = rtcp_build_fir(out, sizeof out, rtcp_sender_ssrc(b), ssrcs[0], nrs[0]);
  size_t off = 0;
  rtcp_block c;
  REQUIRE(len == 20 && rtcp_next(out, len, &off, &c) == 1 && rtcp_is_fir(&c));
  uint32_t s;
  uint8_t nr;
  REQUIRE(rtcp_fir_entries(&c, &s, &nr, 1) == 1 && s == ssrcs[0] && nr == nrs[0]);
}

static void remb_round_trip(const rtcp_block *b) {
  uint64_t bps, bps2;
  uint32_t ssrcs[255], ssrcs2[255];
  int n, n2;
  if (rtcp_parse_remb(b, &bps, ssrcs, 255, &n) != 0) return;
  REQUIRE(n >= 0 && n <= 255);
  size_t len = rtcp_build_remb(out, sizeof out, rtcp_sender_ssrc(b), bps, ssrcs, n);
  size_t off = 0;
  rtcp_block c;
  REQUIRE(len == 20 + 4 * (size_t)n && rtcp_next(out, len, &off, &c) == 1);
  REQUIRE(rtcp_parse_remb(&c, &bps2, ssrcs2, 255, &n2) == 0);
  REQUIRE(bps2 == bps && n2 == n && memcmp(ssrcs, ssrcs2, 4 * (size_t)n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t off = 0, prev = 0;
  rtcp_block b;
  int rc, blocks = 0;
  while ((rc = rtcp_next(data, size, &off, &b)) == 1) {
    REQUIRE(b.len >= 4 && b.len % 4 == 0 && b.p == data + prev && off == prev + b.len);
    REQUIRE(off <= size && b.count < 32);
    prev = off;
    blocks++;
    (void)rtcp_sender_ssrc(&b);
    (void)rtcp_media_ssrc(&b);
    bool pli = rtcp_is_pli(&b), fir = rtcp_is_fir(&b), nack = rtcp_is_nack(&b);
    REQUIRE(!(pli && fir) && !(pli && nack) && !(fir && nack));
    if (nack) nack_round_trip(&b);
    else REQUIRE(rtcp_nack_seqs(&b, seqs, MAX_SEQS) == 0);
    if (fir) fir_round_trip(&b);
    else REQUIRE(rtcp_fir_ssrcs(&b, fir_ssrcs, 8) == 0);
    remb_round_trip(&b);
  }
  REQUIRE(rc == 0 || rc == -1);
  REQUIRE(rc != 0 || off == size);
  return 0;
}
