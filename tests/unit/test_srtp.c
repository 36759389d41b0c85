/* Unit tests for src/dtls/srtp.c and src/dtls/srtp_gcm.c: keys from a real
 * in-memory DTLS handshake, RTP and RTCP protected with the client's pair and
 * unprotected with the server's (and back), for both profiles; tampering,
 * replay, repeated transmission after NACK, exact buffer room (in heap
 * buffers of the exact size, so that the sanitizer sees any overrun), hostile
 * lengths, many outbound SSRCs and the inbound SSRC limit. For our GCM
 * implementation also: the RFC 3711 B.3 key derivation vectors, the RFC 7714
 * section 16/17 packet vectors, and interop with libsrtp2's GCM both ways
 * (byte-identical output, CSRCs, header extensions, a sequence-number wrap,
 * reordering, duplicates, SRTCP, tampering). */
#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "dtls/dtls.h"
#include "dtls/srtp.h"
#include "dtls/srtp_gcm.h"
#include "test.h"

/* ---- keys from a handshake ---- */

typedef struct {
  uint8_t data[16][2048];
  size_t len[16];
  size_t n;
} dq;

static void dq_send(void *ctx, const uint8_t *d, size_t n) {
  dq *q = ctx;
  if (q->n < 16 && n <= sizeof q->data[0]) {
    memcpy(q->data[q->n], d, n);
    q->len[q->n++] = n;
  }
}

static void dq_deliver(dq *q, dtls_conn *c) {
  static uint8_t copy[16][2048];
  static size_t lens[16];
  size_t n = q->n;
  for (size_t i = 0; i < n; i++) {
    memcpy(copy[i], q->data[i], q->len[i]);
    lens[i] = q->len[i];
  }
  q->n = 0;
  for (size_t i = 0; i < n; i++) dtls_conn_input(c, copy[i], lens[i], 0);
}

/* Runs a handshake; the client offers `client_profiles`. 0 on success. */
static int handshake_keys(const char *client_profiles, srtp_keys *server_keys,
                          srtp_keys *client_keys) {
  int rc = -1;
  dtls_cert *sc = dtls_cert_generate(), *cc = dtls_cert_generate();
  dq *to_s = calloc(1, sizeof *to_s), *to_c = calloc(1, sizeof *to_c);
  dtls_conn *s = NULL, *c = NULL;
  if (!sc || !cc || !to_s || !to_c) goto out;
  dtls_options o = {.srtp_profiles = client_profiles};
  s = dtls_conn_new_server(sc, dtls_cert_fingerprint_raw(cc), dq_send, to_c);
  c = dtls_conn_new_ex(cc, dtls_cert_fingerprint_raw(sc), 0, &o, dq_send, to_s);
  if (!s || !c) goto out;
  for (int i = 0; i < 10 && (to_s->n || to_c->n); i++) {
    dq_deliver(to_s, s);
    dq_deliver(to_c, c);
  }
  if (dtls_conn_srtp_keys(s, server_keys) == 0 && dtls_conn_srtp_keys(c, client_keys) == 0)
    rc = 0;
out:
  dtls_conn_free(s);
  dtls_conn_free(c);
  dtls_cert_free(sc);
  dtls_cert_free(cc);
  free(to_s);
  free(to_c);
  return rc;
}

typedef struct {
  srtp_pair *server, *client;
  srtp_profile_id profile;
  size_t rtp_tag, rtcp_trailer;
} pairs;

static int open_pairs(pairs *p, srtp_profile_id profile) {
  srtp_keys sk, ck;
  memset(p, 0, sizeof *p);
  CHECK_EQ_INT(sr_srtp_global_init(), 0);
  CHECK_EQ_INT(sr_srtp_global_init(), 0); /* idempotent */
  const char *offer = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? DTLS_SRTP_PROFILES
                                                                : "SRTP_AES128_CM_SHA1_80";
  int ok = handshake_keys(offer, &sk, &ck) == 0;
  CHECK(ok);
  if (!ok) return -1;
  CHECK_EQ_INT(sk.profile, profile);
  p->profile = profile;
  p->server = srtp_pair_new(&sk);
  p->client = srtp_pair_new(&ck);
  OPENSSL_cleanse(&sk, sizeof sk);
  OPENSSL_cleanse(&ck, sizeof ck);
  CHECK(p->server && p->client);
  p->rtp_tag = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10;
  p->rtcp_trailer = p->rtp_tag + 4;
  return p->server && p->client ? 0 : -1;
}

static void close_pairs(pairs *p) {
  srtp_pair_free(p->server);
  srtp_pair_free(p->client);
}

/* ---- packets ---- */

/* RTP: V=2, PT 96, seq, timestamp, ssrc, payload_len bytes of pattern. */
static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload_len) {
  buf[0] = 0x80;
  buf[1] = 96;
  put_be16(buf + 2, seq);
  put_be32(buf + 4, 90000u * seq);
  put_be32(buf + 8, ssrc);
  for (size_t i = 0; i < payload_len; i++) buf[12 + i] = (uint8_t)(i * 7 + seq);
  return 12 + payload_len;
}

/* RTCP receiver report with one report block (32 bytes). */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc) {
  memset(buf, 0, 32);
  buf[0] = 0x81;
  buf[1] = 201;
  put_be16(buf + 2, 7);
  put_be32(buf + 4, ssrc);
  put_be32(buf + 8, 0xabcdef01u);
  buf[12] = 3;
  return 32;
}

/* ---- tests ---- */

static void rtp_roundtrip(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t plain[1500], pkt[1500];
  for (uint16_t seq = 1000; seq < 1010; seq++) {
    size_t n = make_rtp(plain, 0x11223344u, seq, 200), len = n;
    memcpy(pkt, plain, n);
    CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, pkt, &len, sizeof pkt), 0);
    CHECK_EQ_INT(len, n + p.rtp_tag);
    CHECK(memcmp(pkt, plain, 12) == 0);          /* header in clear */
    CHECK(memcmp(pkt + 12, plain + 12, 200) != 0); /* payload encrypted */
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
    CHECK_EQ_INT(len, n);
    CHECK(memcmp(pkt, plain, n) == 0);
  }
  /* and from the server to the client */
  size_t n = make_rtp(plain, 0x55667788u, 7, 50), len = n;
  memcpy(pkt, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.client, pkt, &len), 0);
  CHECK_EQ_INT(len, n);
  CHECK(memcmp(pkt, plain, n) == 0);
  /* a packet protected by the server cannot be taken for one of the client's */
  len = n;
  memcpy(pkt, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK(srtp_pair_unprotect_rtp(p.server, pkt, &len) < 0);
out:
  close_pairs(&p);
}

static void test_rtp_gcm(void) { rtp_roundtrip(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_rtp_cm(void) { rtp_roundtrip(SRTP_PROFILE_AES128_CM_SHA1_80); }

static void rtcp_roundtrip(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t plain[64], pkt[128];
  for (int i = 0; i < 5; i++) {
    size_t n = make_rtcp(plain, 0x01020304u), len = n;
    memcpy(pkt, plain, n);
    CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, pkt, &len, sizeof pkt), 0);
    CHECK_EQ_INT(len, n + p.rtcp_trailer);
    CHECK(memcmp(pkt + 8, plain + 8, n - 8) != 0); /* SRTCP encrypts after 8 bytes */
    CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, pkt, &len), 0);
    CHECK_EQ_INT(len, n);
    CHECK(memcmp(pkt, plain, n) == 0);
  }
  size_t n = make_rtcp(plain, 0x0a0b0c0du), len = n;
  memcpy(pkt, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.client, pkt, &len), 0);
  CHECK(len == n && memcmp(pkt, plain, n) == 0);
out:
  close_pairs(&p);
}

static void test_rtcp_gcm(void) { rtcp_roundtrip(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_rtcp_cm(void) { rtcp_roundtrip(SRTP_PROFILE_AES128_CM_SHA1_80); }

static void tampering(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t plain[300], prot[320], pkt[320];
  size_t n = make_rtp(plain, 42, 1, 100), plen = n;
  memcpy(prot, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, prot, &plen, sizeof prot), 0);
  /* flip one bit at a time in the header, the payload and the tag */
  const size_t where[] = {1, 3, 7, 12, 50, plen - 1, plen - p.rtp_tag};
  for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
    size_t len = plen;
    memcpy(pkt, prot, plen);
    pkt[where[i]] ^= 0x10;
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), -(int)srtp_err_status_auth_fail);
    CHECK_EQ_INT(len, plen);
  }
  /* truncated tag */
  size_t len = plen - 1;
  memcpy(pkt, prot, plen);
  CHECK(srtp_pair_unprotect_rtp(p.server, pkt, &len) < 0);
  /* the untouched packet still goes through afterwards */
  len = plen;
  memcpy(pkt, prot, plen);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
  CHECK(len == n && memcmp(pkt, plain, n) == 0);

  /* RTCP */
  uint8_t rplain[64], rprot[96], rpkt[96];
  size_t rn = make_rtcp(rplain, 42), rlen = rn;
  memcpy(rprot, rplain, rn);
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, rprot, &rlen, sizeof rprot), 0);
  for (size_t i = 0; i < rlen; i += 5) {
    size_t l = rlen;
    memcpy(rpkt, rprot, rlen);
    rpkt[i] ^= 0x01;
    CHECK(srtp_pair_unprotect_rtcp(p.server, rpkt, &l) < 0);
  }
  size_t l = rlen;
  memcpy(rpkt, rprot, rlen);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, rpkt, &l), 0);
out:
  close_pairs(&p);
}

static void test_tampered_gcm(void) { tampering(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_tampered_cm(void) { tampering(SRTP_PROFILE_AES128_CM_SHA1_80); }

static void replay(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t prot[300], pkt[300];
  size_t plen = make_rtp(prot, 9, 500, 60), len;
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, prot, &plen, sizeof prot), 0);
  memcpy(pkt, prot, plen);
  len = plen;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
  memcpy(pkt, prot, plen);
  len = plen;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), -(int)srtp_err_status_replay_fail);
  /* packets within the 1024 window arrive out of order and are accepted */
  uint8_t later[300];
  size_t llen = make_rtp(later, 9, 1400, 60);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, later, &llen, sizeof later), 0);
  uint8_t early[300];
  size_t elen = make_rtp(early, 9, 501, 60);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, early, &elen, sizeof early), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, later, &llen), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, early, &elen), 0); /* 899 behind */

  /* RTCP replay */
  uint8_t rprot[96], rpkt[96];
  size_t rlen = make_rtcp(rprot, 9), l;
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, rprot, &rlen, sizeof rprot), 0);
  memcpy(rpkt, rprot, rlen);
  l = rlen;
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, rpkt, &l), 0);
  memcpy(rpkt, rprot, rlen);
  l = rlen;
  CHECK(srtp_pair_unprotect_rtcp(p.server, rpkt, &l) < 0);
out:
  close_pairs(&p);
}

static void test_replay_gcm(void) { replay(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_replay_cm(void) { replay(SRTP_PROFILE_AES128_CM_SHA1_80); }

/* A retransmission after NACK protects the same packet (same sequence
 * number, same payload) again: allowed on the outbound session, and it
 * encrypts to the same bytes. */
static void repeat_tx(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t plain[300], a[300], b[300];
  size_t n = make_rtp(plain, 77, 10, 100), alen = n, blen = n;
  memcpy(a, plain, n);
  memcpy(b, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, a, &alen, sizeof a), 0);
  /* newer packets in between */
  for (uint16_t seq = 11; seq < 20; seq++) {
    uint8_t x[300];
    size_t xl = make_rtp(x, 77, seq, 100);
    CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, x, &xl, sizeof x), 0);
  }
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, b, &blen, sizeof b), 0);
  CHECK_EQ_INT(alen, blen);
  CHECK(memcmp(a, b, alen) == 0);
  size_t l = blen;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.client, b, &l), 0);
  CHECK(l == n && memcmp(b, plain, n) == 0);
out:
  close_pairs(&p);
}

static void test_repeat_tx_gcm(void) { repeat_tx(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_repeat_tx_cm(void) { repeat_tx(SRTP_PROFILE_AES128_CM_SHA1_80); }

/* cap must leave room for the trailer; exactly enough is enough. Heap
 * buffers of the exact size let the sanitizer catch any write beyond. */
static void buffer_room(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  const size_t n = 12 + 33;
  uint8_t *exact = malloc(n + p.rtp_tag), plain[64];
  CHECK(exact != NULL);
  if (!exact) goto out;
  make_rtp(plain, 5, 1, 33);
  memcpy(exact, plain, n);
  size_t len = n;
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, exact, &len, n + p.rtp_tag - 1), SR_SRTP_ERR_ARG);
  CHECK_EQ_INT(len, n);
  CHECK(memcmp(exact, plain, n) == 0); /* untouched */
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, exact, &len, n + p.rtp_tag), 0);
  CHECK_EQ_INT(len, n + p.rtp_tag);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, exact, &len), 0);
  CHECK(len == n && memcmp(exact, plain, n) == 0);
  free(exact);

  const size_t rn = 32;
  uint8_t *rexact = malloc(rn + p.rtcp_trailer), rplain[32];
  CHECK(rexact != NULL);
  if (!rexact) goto out;
  make_rtcp(rplain, 5);
  memcpy(rexact, rplain, rn);
  len = rn;
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, rexact, &len, rn + p.rtcp_trailer - 1),
               SR_SRTP_ERR_ARG);
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, rexact, &len, rn + p.rtcp_trailer), 0);
  CHECK_EQ_INT(len, rn + p.rtcp_trailer);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, rexact, &len), 0);
  CHECK(len == rn && memcmp(rexact, rplain, rn) == 0);
  free(rexact);
  CHECK(p.rtcp_trailer <= SR_SRTP_MAX_TRAILER);
out:
  close_pairs(&p);
}

/* libsrtp and its crypto backend are not instrumented: check with canary
 * bytes that nothing is written past cap, for many packet sizes. */
static void canaries(srtp_profile_id profile) {
  pairs p;
  if (open_pairs(&p, profile) != 0) goto out;
  uint8_t buf[1600];
  for (size_t payload = 0; payload < 1300; payload += 37) {
    memset(buf, 0xa5, sizeof buf);
    size_t n = make_rtp(buf, 3, (uint16_t)payload, payload), len = n;
    size_t cap = n + p.rtp_tag;
    CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, buf, &len, cap), 0);
    for (size_t i = cap; i < cap + 200; i++) CHECK(buf[i] == 0xa5);
    memset(buf, 0xa5, sizeof buf);
    n = make_rtcp(buf, 3) + (payload & ~(size_t)3);
    put_be16(buf + 2, (uint16_t)(n / 4 - 1));
    len = n;
    cap = n + p.rtcp_trailer;
    CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, buf, &len, cap), 0);
    CHECK_EQ_INT(len, cap);
    for (size_t i = cap; i < cap + 200; i++) CHECK(buf[i] == 0xa5);
    CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, buf, &len), 0);
    CHECK_EQ_INT(len, n);
  }
out:
  close_pairs(&p);
}

static void test_canaries_gcm(void) { canaries(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_canaries_cm(void) { canaries(SRTP_PROFILE_AES128_CM_SHA1_80); }

static void test_buffer_room_gcm(void) { buffer_room(SRTP_PROFILE_AEAD_AES_128_GCM); }
static void test_buffer_room_cm(void) { buffer_room(SRTP_PROFILE_AES128_CM_SHA1_80); }

/* Short, long, NULL and inconsistent arguments never reach libsrtp. */
static void test_hostile_lengths(void) {
  pairs p;
  if (open_pairs(&p, SRTP_PROFILE_AEAD_AES_128_GCM) != 0) goto out;
  uint8_t buf[100] = {0x80, 96};
  size_t len;
  for (size_t n = 0; n < 12; n++) {
    len = n;
    CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, buf, &len, sizeof buf), SR_SRTP_ERR_ARG);
    len = n;
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, buf, &len), SR_SRTP_ERR_ARG);
  }
  for (size_t n = 0; n < 8; n++) {
    len = n;
    CHECK_EQ_INT(srtp_pair_protect_rtcp(p.client, buf, &len, sizeof buf), SR_SRTP_ERR_ARG);
    len = n;
    CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, buf, &len), SR_SRTP_ERR_ARG);
  }
  /* a header alone is too short to hold a tag: libsrtp refuses */
  for (size_t n = 12; n < 12 + 16; n++) {
    len = n;
    CHECK(srtp_pair_unprotect_rtp(p.server, buf, &len) < 0);
  }
  for (size_t n = 8; n < 8 + 20; n++) {
    len = n;
    CHECK(srtp_pair_unprotect_rtcp(p.server, buf, &len) < 0);
  }
  len = 50;
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, buf, &len, 40), SR_SRTP_ERR_ARG); /* len > cap */
  len = (size_t)1 << 40;
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, buf, &len, SIZE_MAX), SR_SRTP_ERR_ARG);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, buf, &len), SR_SRTP_ERR_ARG);
  len = 20;
  CHECK_EQ_INT(srtp_pair_protect_rtp(NULL, buf, &len, sizeof buf), SR_SRTP_ERR_ARG);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, NULL, &len, sizeof buf), SR_SRTP_ERR_ARG);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.server, buf, NULL), SR_SRTP_ERR_ARG);
  /* a random packet of a new SSRC fails authentication and is not counted */
  for (int i = 0; i < 200; i++) {
    uint8_t junk[80];
    for (size_t j = 0; j < sizeof junk; j++) junk[j] = (uint8_t)(i * 31 + j * 17);
    junk[0] = 0x80;
    len = sizeof junk;
    CHECK(srtp_pair_unprotect_rtp(p.server, junk, &len) < 0);
  }
  uint8_t pkt[200];
  len = make_rtp(pkt, 1234, 1, 20);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
out:
  close_pairs(&p);
}

/* A subscriber's outbound session protects packets of many SSRCs; the
 * inbound session takes at most SR_SRTP_MAX_INBOUND_SSRCS of them. */
static void test_many_ssrcs(void) {
  pairs p;
  if (open_pairs(&p, SRTP_PROFILE_AES128_CM_SHA1_80) != 0) goto out;
  uint8_t pkt[200];
  size_t len;
  for (uint32_t s = 0; s < 200; s++) {
    len = make_rtp(pkt, 1000 + s, 1, 20);
    CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, pkt, &len, sizeof pkt), 0);
    int r = srtp_pair_unprotect_rtp(p.client, pkt, &len);
    if (s < SR_SRTP_MAX_INBOUND_SSRCS)
      CHECK_EQ_INT(r, 0);
    else
      CHECK_EQ_INT(r, SR_SRTP_ERR_TOO_MANY_SSRCS);
  }
  /* known SSRCs keep working, over RTCP too */
  len = make_rtp(pkt, 1000, 2, 20);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.client, pkt, &len), 0);
  len = make_rtcp(pkt, 1001);
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.client, pkt, &len), 0);
  len = make_rtcp(pkt, 999);
  CHECK_EQ_INT(srtp_pair_protect_rtcp(p.server, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(p.client, pkt, &len), SR_SRTP_ERR_TOO_MANY_SSRCS);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.client, 5, 0), SR_SRTP_ERR_TOO_MANY_SSRCS);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.client, 1000, 0), 0); /* already known */
out:
  close_pairs(&p);
}

/* Streams created ahead of time behave like those libsrtp creates on the
 * first packet, and adding an SSRC that already has state keeps that state
 * (its replay window: a replay is still refused). */
static void test_add_ssrc(void) {
  pairs p;
  if (open_pairs(&p, SRTP_PROFILE_AEAD_AES_128_GCM) != 0) goto out;
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.client, 0xdead, 1), 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.server, 0xdead, 0), 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.server, 0xdead, 0), 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(NULL, 1, 0), SR_SRTP_ERR_ARG);
  uint8_t plain[200], pkt[200], copy[200];
  size_t n = make_rtp(plain, 0xdead, 3, 40), len = n;
  memcpy(pkt, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, pkt, &len, sizeof pkt), 0);
  memcpy(copy, pkt, len);
  size_t clen = len;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
  CHECK(len == n && memcmp(pkt, plain, n) == 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.server, 0xdead, 0), 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.client, 0xdead, 1), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, copy, &clen), -(int)srtp_err_status_replay_fail);
  /* and an SSRC libsrtp created on its own */
  len = make_rtp(pkt, 0xbeef, 1, 40);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, pkt, &len, sizeof pkt), 0);
  memcpy(copy, pkt, len);
  clen = len;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.server, 0xbeef, 0), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, copy, &clen), -(int)srtp_err_status_replay_fail);
  /* the outbound stream kept its state: the next packet decrypts */
  CHECK_EQ_INT(srtp_pair_add_ssrc(p.client, 0xbeef, 1), 0);
  len = make_rtp(pkt, 0xbeef, 2, 40);
  CHECK_EQ_INT(srtp_pair_protect_rtp(p.client, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(p.server, pkt, &len), 0);
out:
  close_pairs(&p);
}

/* Pairs built from mismatched keys do not understand each other; bad key
 * descriptions are refused. */
static void test_bad_keys(void) {
  CHECK_EQ_INT(sr_srtp_global_init(), 0);
  srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = SRTP_PROFILE_AES128_CM_SHA1_80;
  k.key_len = 16;
  k.salt_len = 14;
  memset(k.local_key, 1, 16);
  memset(k.remote_key, 2, 16);
  memset(k.local_salt, 3, 14);
  memset(k.remote_salt, 4, 14);
  srtp_pair *a = srtp_pair_new(&k);
  CHECK(a != NULL);
  /* b believes a's local key is a different one */
  srtp_keys kb = k;
  memcpy(kb.remote_key, k.local_key, 16);
  memcpy(kb.remote_salt, k.local_salt, 14);
  memcpy(kb.local_key, k.remote_key, 16);
  memcpy(kb.local_salt, k.remote_salt, 14);
  srtp_pair *b = srtp_pair_new(&kb);
  kb.remote_key[0] ^= 1;
  srtp_pair *c = srtp_pair_new(&kb);
  CHECK(b && c);
  if (a && b && c) {
    uint8_t pkt[100], copy[100];
    size_t len = make_rtp(pkt, 1, 1, 30);
    CHECK_EQ_INT(srtp_pair_protect_rtp(a, pkt, &len, sizeof pkt), 0);
    memcpy(copy, pkt, len);
    size_t l2 = len;
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(c, copy, &l2), -(int)srtp_err_status_auth_fail);
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(b, pkt, &len), 0);
  }
  srtp_pair_free(a);
  srtp_pair_free(b);
  srtp_pair_free(c);
  srtp_pair_free(NULL);

  srtp_keys bad = k;
  bad.profile = SRTP_PROFILE_NONE;
  CHECK(srtp_pair_new(&bad) == NULL);
  bad = k;
  bad.salt_len = 12; /* CM needs 14 */
  CHECK(srtp_pair_new(&bad) == NULL);
  bad = k;
  bad.profile = SRTP_PROFILE_AEAD_AES_128_GCM; /* GCM needs 12 */
  CHECK(srtp_pair_new(&bad) == NULL);
  bad = k;
  bad.key_len = 32;
  CHECK(srtp_pair_new(&bad) == NULL);
  bad.profile = (srtp_profile_id)99;
  CHECK(srtp_pair_new(&bad) == NULL);
  CHECK(srtp_pair_new(NULL) == NULL);
}

/* ---- our AEAD_AES_128_GCM: vectors ---- */

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (; *h; h++) {
    int v;
    if (*h >= '0' && *h <= '9')
      v = *h - '0';
    else if (*h >= 'a' && *h <= 'f')
      v = *h - 'a' + 10;
    else if (*h >= 'A' && *h <= 'F')
      v = *h - 'A' + 10;
    else
      continue; /* spaces */
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap) out[n] = (uint8_t)(hi << 4 | v);
      n++;
      hi = -1;
    }
  }
  return n;
}

static int hex_eq(const uint8_t *got, size_t n, const char *want_hex) {
  uint8_t want[512];
  size_t wn = unhex(want_hex, want, sizeof want);
  return wn == n && memcmp(got, want, n) == 0;
}

/* RFC 3711 appendix B.3 (14-byte salt, key derivation rate 0). */
static void test_kdf_rfc3711(void) {
  uint8_t mk[16], ms[14], out[32];
  unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, sizeof mk);
  unhex("0EC675AD498AFEEBB6960B3AABE6", ms, sizeof ms);
  CHECK_EQ_INT(sr_gcm_kdf(mk, ms, 14, 0x00, out, 16), 0);
  CHECK(hex_eq(out, 16, "C61E7A93744F39EE10734AFE3FF7A087"));
  CHECK_EQ_INT(sr_gcm_kdf(mk, ms, 14, 0x02, out, 14), 0);
  CHECK(hex_eq(out, 14, "30CBBC08863D8C85D49DB34A9AE1"));
  CHECK_EQ_INT(sr_gcm_kdf(mk, ms, 14, 0x01, out, 32), 0);
  CHECK(hex_eq(out, 32, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"));
  CHECK_EQ_INT(sr_gcm_kdf(mk, ms, 13, 0x00, out, 16), -1);
  CHECK_EQ_INT(sr_gcm_kdf(mk, ms, 14, 0x00, out, 0), -1);
  CHECK_EQ_INT(sr_gcm_kdf(NULL, ms, 14, 0x00, out, 16), -1);
}

/* The RFC 7714 vectors state the session key and salt (same for RTP and
 * RTCP), not a master key. */
static void vector_keys(sr_gcm_keys *k) {
  unhex("000102030405060708090a0b0c0d0e0f", k->rtp_key, 16);
  unhex("517569642070726f2071756f", k->rtp_salt, 12);
  memcpy(k->rtcp_key, k->rtp_key, 16);
  memcpy(k->rtcp_salt, k->rtp_salt, 12);
}

#define V_RTP                                                                            \
  "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e2070617274" \
  "65732074726573"
#define V_SRTP                                                                           \
  "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d1" \
  "9b36de3adf8833899d7f27beb16a9152cf765ee4390cce"

/* RFC 7714 16.1.1 and 16.1.2 (ROC 0, SEQ 0xf17b, SSRC 0x5501a0b2). */
static void test_rfc7714_rtp(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0), *in = sr_gcm_new(&k, 0, 4);
  CHECK(out && in);
  if (!out || !in) goto done;
  uint8_t pkt[128], want[128];
  size_t n = unhex(V_RTP, pkt, sizeof pkt), wn = unhex(V_SRTP, want, sizeof want), len = n;
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), 0);
  CHECK(len == wn && memcmp(pkt, want, wn) == 0);
  /* a flipped bit anywhere fails and leaves the stream ready */
  for (size_t i = 0; i < wn; i += 9) {
    uint8_t bad[128];
    memcpy(bad, want, wn);
    bad[i] ^= 0x04;
    size_t bl = wn;
    CHECK(sr_gcm_unprotect_rtp(in, bad, &bl) < 0);
    CHECK_EQ_INT(bl, wn);
  }
  CHECK_EQ_INT(sr_gcm_has_ssrc(in, 0x5501a0b2u), 0); /* nothing authenticated yet */
  len = wn;
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, want, &len), 0);
  CHECK_EQ_INT(len, n);
  CHECK(hex_eq(want, len, V_RTP));
  CHECK_EQ_INT(sr_gcm_has_ssrc(in, 0x5501a0b2u), 1);
done:
  sr_gcm_free(out);
  sr_gcm_free(in);
  OPENSSL_cleanse(&k, sizeof k);
}

#define V_RTCP \
  "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
#define V_SRTCP                                                                          \
  "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b" \
  "4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"
#define V_SRTCP_AUTH_ONLY                                                                \
  "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbe" \
  "efdeadbeefdeadbeef841dd9683dd78ec92ae58790125f62b3000005d4"

/* RFC 7714 17.1, 17.2 (SRTCP index 0x5d4, SSRC "Mars") and 17.3 (E = 0). */
static void test_rfc7714_rtcp(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0), *in = sr_gcm_new(&k, 0, 4), *in2 = sr_gcm_new(&k, 0, 4);
  CHECK(out && in && in2);
  if (!out || !in || !in2) goto done;
  uint8_t pkt[128], want[128];
  size_t n = unhex(V_RTCP, pkt, sizeof pkt), wn = unhex(V_SRTCP, want, sizeof want), len = n;
  CHECK_EQ_INT(sr_gcm_set_rtcp_index(out, 0x4d617273u, 0x5d4), 0);
  CHECK_EQ_INT(sr_gcm_protect_rtcp(out, pkt, &len, sizeof pkt), 0);
  CHECK(len == wn && memcmp(pkt, want, wn) == 0);
  len = wn;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(in, want, &len), 0);
  CHECK(len == n && hex_eq(want, len, V_RTCP));
  /* the authenticated-only form; then its replay */
  uint8_t a[128], b[128];
  size_t an = unhex(V_SRTCP_AUTH_ONLY, a, sizeof a);
  memcpy(b, a, an);
  len = an;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(in2, a, &len), 0);
  CHECK(len == n && hex_eq(a, len, V_RTCP));
  len = an;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(in2, b, &len), -(int)srtp_err_status_replay_fail);
  /* setting the E flag on it, or clearing it on 17.1, breaks the tag */
  unhex(V_SRTCP_AUTH_ONLY, a, sizeof a);
  a[an - 4] |= 0x80;
  len = an;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(in, a, &len), -(int)srtp_err_status_replay_fail);
  sr_gcm *fresh = sr_gcm_new(&k, 0, 1);
  CHECK(fresh != NULL);
  len = an;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(fresh, a, &len), -(int)srtp_err_status_auth_fail);
  unhex(V_SRTCP, a, sizeof a);
  a[wn - 4] &= 0x7f;
  len = wn;
  CHECK_EQ_INT(sr_gcm_unprotect_rtcp(fresh, a, &len), -(int)srtp_err_status_auth_fail);
  CHECK_EQ_INT(sr_gcm_has_ssrc(fresh, 0x4d617273u), 0);
  sr_gcm_free(fresh);
  CHECK_EQ_INT(sr_gcm_set_rtcp_index(out, 1, 0x80000000u), -(int)srtp_err_status_bad_param);
  /* the index space ends at 2^31 - 1 */
  CHECK_EQ_INT(sr_gcm_set_rtcp_index(out, 7, 0x7fffffffu), 0);
  len = make_rtcp(pkt, 7);
  CHECK_EQ_INT(sr_gcm_protect_rtcp(out, pkt, &len, sizeof pkt), 0);
  len = make_rtcp(pkt, 7);
  CHECK_EQ_INT(sr_gcm_protect_rtcp(out, pkt, &len, sizeof pkt), -(int)srtp_err_status_key_expired);
done:
  sr_gcm_free(out);
  sr_gcm_free(in);
  sr_gcm_free(in2);
  OPENSSL_cleanse(&k, sizeof k);
}

/* Index estimation at the edges: a wrap, the late packet from before it,
 * a jump beyond the window, and headers that do not fit. */
static void test_gcm_index(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0), *in = sr_gcm_new(&k, 0, 2);
  CHECK(out && in);
  CHECK(sr_gcm_new(&k, 0, 0) == NULL);
  if (!out || !in) goto done;
  uint8_t pkt[200], late[200];
  size_t len, llen;
  const uint16_t seqs[] = {65530, 65533, 65535, 2, 5};
  for (size_t i = 0; i < 5; i++) {
    len = make_rtp(pkt, 9, seqs[i], 20);
    CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), 0);
    if (i == 1) { /* keep 65533 to deliver after the wrap */
      memcpy(late, pkt, len);
      llen = len;
      continue;
    }
    CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, pkt, &len), 0);
  }
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, late, &llen), 0); /* ROC 0 though ROC is now 1 */
  /* 2000 ahead, then 1500 behind that: too old */
  len = make_rtp(pkt, 9, 1505, 20);
  uint8_t old[200];
  memcpy(old, pkt, len);
  size_t olen = len;
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, old, &olen, sizeof old), 0);
  len = make_rtp(pkt, 9, 3005, 20);
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), 0);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, pkt, &len), 0);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, old, &olen), -(int)srtp_err_status_replay_old);
  /* the sender refuses to protect an index older than its window */
  len = make_rtp(pkt, 9, 1000, 20);
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), -(int)srtp_err_status_replay_old);
  /* CSRC count or extension length beyond the packet */
  len = make_rtp(pkt, 9, 3006, 20);
  pkt[0] = 0x80 | 0x0f; /* 15 CSRCs = 60 bytes > 20 */
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), -(int)srtp_err_status_parse_err);
  len = make_rtp(pkt, 9, 3006, 20);
  pkt[0] = 0x90;
  put_be16(pkt + 14, 5); /* 20 bytes of extension + 4 > 20 */
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), -(int)srtp_err_status_parse_err);
  len = 12 + 16;
  pkt[0] = 0x90; /* extension header would start at the tag */
  CHECK(sr_gcm_unprotect_rtp(in, pkt, &len) < 0);
  /* the inbound table is full after two SSRCs */
  for (uint32_t ssrc = 20; ssrc < 23; ssrc++) {
    len = make_rtp(pkt, ssrc, 1, 20);
    CHECK_EQ_INT(sr_gcm_protect_rtp(out, pkt, &len, sizeof pkt), 0);
    CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, pkt, &len),
                 ssrc < 21 ? 0 : -(int)srtp_err_status_alloc_fail);
  }
  CHECK_EQ_INT(sr_gcm_add_ssrc(in, 99), -(int)srtp_err_status_alloc_fail);
  CHECK_EQ_INT(sr_gcm_add_ssrc(in, 9), 0);
  /* wrong direction */
  len = make_rtp(pkt, 9, 3007, 20);
  CHECK_EQ_INT(sr_gcm_protect_rtp(in, pkt, &len, sizeof pkt), -(int)srtp_err_status_bad_param);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(out, pkt, &len), -(int)srtp_err_status_bad_param);
done:
  sr_gcm_free(out);
  sr_gcm_free(in);
  OPENSSL_cleanse(&k, sizeof k);
}

/* ---- interop with libsrtp2's AEAD_AES_128_GCM ---- */

/* Master keys: A is what our pair sends with, B what it receives. */
static uint8_t ik_a[28], ik_b[28];

static srtp_t lib_session(uint8_t *key28, int outbound) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  pol.key = key28;
  pol.window_size = 1024;
  pol.allow_repeat_tx = outbound;
  srtp_t s = NULL;
  if (srtp_create(&s, &pol) != srtp_err_status_ok) return NULL;
  return s;
}

typedef struct {
  srtp_pair *ours;          /* OpenSSL backend: sends with A, receives with B */
  srtp_t lib_in, lib_out;   /* libsrtp: receives with A, sends with B */
  srtp_t lib_same;          /* libsrtp sending with A, for byte comparison */
} interop;

static srtp_pair *pair_with_backend(const srtp_keys *k, sr_srtp_backend b) {
  CHECK_EQ_INT(sr_srtp_global_init(), 0);
  sr_srtp_backend prev = sr_srtp_get_backend();
  sr_srtp_set_backend(b);
  srtp_pair *p = srtp_pair_new(k);
  sr_srtp_set_backend(prev);
  return p;
}

static void interop_keys(srtp_keys *k, int swap) {
  for (size_t i = 0; i < 28; i++) {
    ik_a[i] = (uint8_t)(0x11 * i + 3);
    ik_b[i] = (uint8_t)(0x5b ^ (i * 29));
  }
  memset(k, 0, sizeof *k);
  k->profile = SRTP_PROFILE_AEAD_AES_128_GCM;
  k->key_len = 16;
  k->salt_len = 12;
  const uint8_t *l = swap ? ik_b : ik_a, *r = swap ? ik_a : ik_b;
  memcpy(k->local_key, l, 16);
  memcpy(k->local_salt, l + 16, 12);
  memcpy(k->remote_key, r, 16);
  memcpy(k->remote_salt, r + 16, 12);
}

static int open_interop(interop *x) {
  srtp_keys k;
  memset(x, 0, sizeof *x);
  interop_keys(&k, 0);
  x->ours = pair_with_backend(&k, SR_SRTP_OPENSSL);
  OPENSSL_cleanse(&k, sizeof k);
  x->lib_in = lib_session(ik_a, 0);
  x->lib_same = lib_session(ik_a, 1);
  x->lib_out = lib_session(ik_b, 1);
  int ok = x->ours && x->lib_in && x->lib_same && x->lib_out;
  CHECK(ok);
  return ok ? 0 : -1;
}

static void close_interop(interop *x) {
  srtp_pair_free(x->ours);
  if (x->lib_in) srtp_dealloc(x->lib_in);
  if (x->lib_same) srtp_dealloc(x->lib_same);
  if (x->lib_out) srtp_dealloc(x->lib_out);
}

/* RTP with cc CSRCs, an RFC 8285 one-byte extension block of ext_words
 * words if ext_words >= 0, and payload bytes. */
static size_t make_rtp_full(uint8_t *buf, uint32_t ssrc, uint16_t seq, int cc, int ext_words,
                            size_t payload) {
  size_t n = 12;
  buf[0] = (uint8_t)(0x80 | (ext_words >= 0 ? 0x10 : 0) | (cc & 0x0f));
  buf[1] = (uint8_t)(96 | (seq & 1 ? 0x80 : 0));
  put_be16(buf + 2, seq);
  put_be32(buf + 4, 3000u * seq);
  put_be32(buf + 8, ssrc);
  for (int i = 0; i < cc; i++, n += 4) put_be32(buf + n, 0xc0000000u + (uint32_t)i);
  if (ext_words >= 0) {
    put_be16(buf + n, 0xbede);
    put_be16(buf + n + 2, (uint16_t)ext_words);
    n += 4;
    for (int i = 0; i < ext_words * 4; i++) buf[n++] = (uint8_t)(0x10 + i);
  }
  for (size_t i = 0; i < payload; i++) buf[n++] = (uint8_t)(i * 13 + seq);
  return n;
}

#define NPKT 1400
#define PKT_CAP 400

typedef struct {
  uint8_t plain[PKT_CAP], prot[PKT_CAP];
  size_t plen, len;
} rec;

/* Packets 0..NPKT-1 of one SSRC from seq 65000 (so across the wrap to ROC
 * 1), four header shapes, some with an empty payload. */
static size_t make_nth(uint8_t *buf, uint32_t ssrc, int i) {
  uint16_t seq = (uint16_t)(65000 + i);
  size_t payload = i % 50 == 0 ? 0 : (size_t)(i * 7 % 300);
  switch (i % 4) {
  case 0: return make_rtp_full(buf, ssrc, seq, 0, -1, payload);
  case 1: return make_rtp_full(buf, ssrc, seq, 3, -1, payload);
  case 2: return make_rtp_full(buf, ssrc, seq, 0, 2, payload);
  default: return make_rtp_full(buf, ssrc, seq, 2, i % 3, payload);
  }
}

/* Delivery order: mostly in order, every 7th pair swapped, and packet i
 * delivered again (a duplicate) after every 13th. */
static int order_at(int j) {
  if (j % 7 == 0 && j + 1 < NPKT) return j + 1;
  if (j % 7 == 1) return j - 1;
  return j;
}

static void test_interop_rtp_to_libsrtp(void) {
  interop x;
  rec *r = calloc(NPKT, sizeof *r);
  CHECK(r != NULL);
  if (!r || open_interop(&x) != 0) goto out;
  const uint32_t ssrc = 0x1234abcd;
  for (int i = 0; i < NPKT; i++) {
    r[i].plen = make_nth(r[i].plain, ssrc, i);
    memcpy(r[i].prot, r[i].plain, r[i].plen);
    r[i].len = r[i].plen;
    CHECK_EQ_INT(srtp_pair_protect_rtp(x.ours, r[i].prot, &r[i].len, PKT_CAP), 0);
    CHECK_EQ_INT(r[i].len, r[i].plen + 16);
    /* libsrtp with the same key makes the same bytes (IV, AAD, ROC) */
    uint8_t same[PKT_CAP];
    memcpy(same, r[i].plain, r[i].plen);
    int sl = (int)r[i].plen;
    CHECK_EQ_INT(srtp_protect(x.lib_same, same, &sl), srtp_err_status_ok);
    CHECK(sl == (int)r[i].len && memcmp(same, r[i].prot, r[i].len) == 0);
  }
  for (int j = 0; j < NPKT; j++) {
    int i = order_at(j);
    uint8_t buf[PKT_CAP];
    memcpy(buf, r[i].prot, r[i].len);
    int n = (int)r[i].len;
    CHECK_EQ_INT(srtp_unprotect(x.lib_in, buf, &n), srtp_err_status_ok);
    CHECK(n == (int)r[i].plen && memcmp(buf, r[i].plain, r[i].plen) == 0);
    if (j % 13 == 0) {
      memcpy(buf, r[i].prot, r[i].len);
      n = (int)r[i].len;
      CHECK_EQ_INT(srtp_unprotect(x.lib_in, buf, &n), srtp_err_status_replay_fail);
    }
  }
  /* a retransmission (same seq, same payload) gives the same bytes, which
   * the receiver refuses as a replay */
  uint8_t again[PKT_CAP];
  size_t alen = r[NPKT - 3].plen;
  memcpy(again, r[NPKT - 3].plain, alen);
  CHECK_EQ_INT(srtp_pair_protect_rtp(x.ours, again, &alen, sizeof again), 0);
  CHECK(alen == r[NPKT - 3].len && memcmp(again, r[NPKT - 3].prot, alen) == 0);
out:
  if (r) close_interop(&x);
  free(r);
}

static void test_interop_rtp_from_libsrtp(void) {
  interop x;
  rec *r = calloc(NPKT, sizeof *r);
  CHECK(r != NULL);
  if (!r || open_interop(&x) != 0) goto out;
  const uint32_t ssrc = 0x0badf00d;
  for (int i = 0; i < NPKT; i++) {
    r[i].plen = make_nth(r[i].plain, ssrc, i);
    memcpy(r[i].prot, r[i].plain, r[i].plen);
    int n = (int)r[i].plen;
    CHECK_EQ_INT(srtp_protect(x.lib_out, r[i].prot, &n), srtp_err_status_ok);
    r[i].len = (size_t)n;
  }
  CHECK_EQ_INT(srtp_pair_add_ssrc(x.ours, ssrc, 0), 0);
  for (int j = 0; j < NPKT; j++) {
    int i = order_at(j);
    uint8_t buf[PKT_CAP];
    memcpy(buf, r[i].prot, r[i].len);
    size_t n = r[i].len;
    CHECK_EQ_INT(srtp_pair_unprotect_rtp(x.ours, buf, &n), 0);
    CHECK(n == r[i].plen && memcmp(buf, r[i].plain, r[i].plen) == 0);
    if (j % 13 == 0) {
      memcpy(buf, r[i].prot, r[i].len);
      n = r[i].len;
      CHECK_EQ_INT(srtp_pair_unprotect_rtp(x.ours, buf, &n), -(int)srtp_err_status_replay_fail);
      CHECK_EQ_INT(n, r[i].len);
    }
  }
  /* a late packet within the window (ROC 0 after the wrap) was accepted
   * above by the swaps; one 1100 behind is too old */
  uint8_t buf[PKT_CAP];
  memcpy(buf, r[NPKT - 1101].prot, r[NPKT - 1101].len);
  size_t n = r[NPKT - 1101].len;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(x.ours, buf, &n), -(int)srtp_err_status_replay_old);
out:
  if (r) close_interop(&x);
  free(r);
}

static void test_interop_rtcp(void) {
  interop x;
  if (open_interop(&x) != 0) goto out;
  for (int i = 0; i < 40; i++) {
    uint8_t plain[200], a[256], b[256];
    size_t n = make_rtcp(plain, 0x77665544u) + (size_t)(i % 5) * 12;
    for (size_t j = 32; j < n; j++) plain[j] = (uint8_t)(j ^ (size_t)i);
    put_be16(plain + 2, (uint16_t)(n / 4 - 1));
    /* ours -> libsrtp, byte-identical to libsrtp's own output */
    memcpy(a, plain, n);
    size_t len = n;
    CHECK_EQ_INT(srtp_pair_protect_rtcp(x.ours, a, &len, sizeof a), 0);
    CHECK_EQ_INT(len, n + 20);
    memcpy(b, plain, n);
    int bl = (int)n;
    CHECK_EQ_INT(srtp_protect_rtcp(x.lib_same, b, &bl), srtp_err_status_ok);
    CHECK(bl == (int)len && memcmp(a, b, len) == 0);
    int al = (int)len;
    CHECK_EQ_INT(srtp_unprotect_rtcp(x.lib_in, a, &al), srtp_err_status_ok);
    CHECK(al == (int)n && memcmp(a, plain, n) == 0);
    memcpy(a, b, len); /* replayed */
    al = (int)len;
    CHECK(srtp_unprotect_rtcp(x.lib_in, a, &al) != srtp_err_status_ok);
    /* libsrtp -> ours */
    memcpy(b, plain, n);
    bl = (int)n;
    CHECK_EQ_INT(srtp_protect_rtcp(x.lib_out, b, &bl), srtp_err_status_ok);
    memcpy(a, b, (size_t)bl);
    len = (size_t)bl;
    CHECK_EQ_INT(srtp_pair_unprotect_rtcp(x.ours, a, &len), 0);
    CHECK(len == n && memcmp(a, plain, n) == 0);
    len = (size_t)bl;
    CHECK_EQ_INT(srtp_pair_unprotect_rtcp(x.ours, b, &len), -(int)srtp_err_status_replay_fail);
  }
out:
  close_interop(&x);
}

/* Each side refuses the other's packets with a flipped bit in the header,
 * the payload, the tag or the SRTCP index. */
static void test_interop_tamper(void) {
  interop x;
  if (open_interop(&x) != 0) goto out;
  uint8_t plain[300], prot[340], buf[340];
  size_t n = make_rtp_full(plain, 0x42, 77, 1, 1, 100), len = n;
  memcpy(prot, plain, n);
  CHECK_EQ_INT(srtp_pair_protect_rtp(x.ours, prot, &len, sizeof prot), 0);
  for (size_t i = 0; i < len; i += 3) {
    memcpy(buf, prot, len);
    buf[i] ^= 0x20;
    int bl = (int)len;
    CHECK(srtp_unprotect(x.lib_in, buf, &bl) != srtp_err_status_ok);
  }
  memcpy(buf, prot, len);
  int bl = (int)len;
  CHECK_EQ_INT(srtp_unprotect(x.lib_in, buf, &bl), srtp_err_status_ok);

  memcpy(prot, plain, n);
  int pl = (int)n;
  CHECK_EQ_INT(srtp_protect(x.lib_out, prot, &pl), srtp_err_status_ok);
  for (size_t i = 0; i < (size_t)pl; i += 3) {
    memcpy(buf, prot, (size_t)pl);
    buf[i] ^= 0x20;
    size_t l = (size_t)pl;
    CHECK(srtp_pair_unprotect_rtp(x.ours, buf, &l) < 0);
  }
  memcpy(buf, prot, (size_t)pl);
  len = (size_t)pl;
  CHECK_EQ_INT(srtp_pair_unprotect_rtp(x.ours, buf, &len), 0);
  CHECK(len == n && memcmp(buf, plain, n) == 0);

  /* SRTCP, both ways */
  size_t rn = make_rtcp(plain, 0x42);
  memcpy(prot, plain, rn);
  len = rn;
  CHECK_EQ_INT(srtp_pair_protect_rtcp(x.ours, prot, &len, sizeof prot), 0);
  for (size_t i = 0; i < len; i += 2) {
    memcpy(buf, prot, len);
    buf[i] ^= 0x01;
    bl = (int)len;
    CHECK(srtp_unprotect_rtcp(x.lib_in, buf, &bl) != srtp_err_status_ok);
  }
  memcpy(prot, plain, rn);
  pl = (int)rn;
  CHECK_EQ_INT(srtp_protect_rtcp(x.lib_out, prot, &pl), srtp_err_status_ok);
  for (size_t i = 0; i < (size_t)pl; i += 2) {
    memcpy(buf, prot, (size_t)pl);
    buf[i] ^= 0x01;
    size_t l = (size_t)pl;
    CHECK(srtp_pair_unprotect_rtcp(x.ours, buf, &l) < 0);
  }
  len = (size_t)pl;
  CHECK_EQ_INT(srtp_pair_unprotect_rtcp(x.ours, prot, &len), 0);
out:
  close_interop(&x);
}

/* Through the switch: a pair on libsrtp and one on OpenSSL talk to each
 * other in both directions. */
static void test_backend_switch(void) {
  srtp_keys k, ks;
  interop_keys(&k, 0);
  interop_keys(&ks, 1);
  srtp_pair *o = pair_with_backend(&k, SR_SRTP_OPENSSL), *l = pair_with_backend(&ks, SR_SRTP_LIBSRTP);
  CHECK(o && l);
  if (o && l) {
    for (uint16_t seq = 0; seq < 50; seq++) {
      uint8_t plain[300], pkt[320];
      size_t n = make_rtp_full(plain, 5, seq, seq % 3, seq % 2 ? 1 : -1, seq * 5u), len = n;
      memcpy(pkt, plain, n);
      CHECK_EQ_INT(srtp_pair_protect_rtp(o, pkt, &len, sizeof pkt), 0);
      CHECK_EQ_INT(srtp_pair_unprotect_rtp(l, pkt, &len), 0);
      CHECK(len == n && memcmp(pkt, plain, n) == 0);
      memcpy(pkt, plain, n);
      CHECK_EQ_INT(srtp_pair_protect_rtp(l, pkt, &len, sizeof pkt), 0);
      CHECK_EQ_INT(srtp_pair_unprotect_rtp(o, pkt, &len), 0);
      CHECK(len == n && memcmp(pkt, plain, n) == 0);
      n = make_rtcp(plain, 6);
      len = n;
      memcpy(pkt, plain, n);
      CHECK_EQ_INT(srtp_pair_protect_rtcp(l, pkt, &len, sizeof pkt), 0);
      CHECK_EQ_INT(srtp_pair_unprotect_rtcp(o, pkt, &len), 0);
      CHECK_EQ_INT(srtp_pair_protect_rtcp(o, pkt, &len, sizeof pkt), 0);
      CHECK_EQ_INT(srtp_pair_unprotect_rtcp(l, pkt, &len), 0);
      CHECK(len == n && memcmp(pkt, plain, n) == 0);
    }
  }
  srtp_pair_free(o);
  srtp_pair_free(l);
  OPENSSL_cleanse(&k, sizeof k);
  OPENSSL_cleanse(&ks, sizeof ks);
  sr_srtp_set_backend(99); /* ignored */
  CHECK(sr_srtp_get_backend() == SR_SRTP_OPENSSL || sr_srtp_get_backend() == SR_SRTP_LIBSRTP);
}

/* ---- review (c-rev): GCM nonce reuse through allow_repeat_tx ----
 * The outbound side lets an index that is in its window be protected again
 * (a NACKed packet resent). GCM is only safe if that repeat carries the same
 * bytes: a different packet under the same (key, SSRC, index) reuses the
 * nonce, so C1 ^ C2 = P1 ^ P2 and the two tags give the GHASH key (forgery
 * on that leg). These three tests want such a repeat refused; they fail on
 * c-int as reviewed. */

/* 1 if ciphertexts c1, c2 of plaintexts p1, p2 share keystream over
 * [from, to). */
static int same_keystream(const uint8_t *c1, const uint8_t *c2, const uint8_t *p1, const uint8_t *p2,
                          size_t from, size_t to) {
  for (size_t i = from; i < to; i++)
    if ((c1[i] ^ c2[i]) != (p1[i] ^ p2[i])) return 0;
  return 1;
}

/* Same SSRC and sequence number, other payload, straight after. */
static void test_gcm_repeat_other_bytes(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0);
  CHECK(out != NULL);
  if (!out) goto done;
  uint8_t a[200], b[200], pa[200], pb[200];
  size_t al = make_rtp(a, 5, 10, 100), bl = make_rtp(b, 5, 10, 100);
  for (size_t i = 12; i < bl; i++) b[i] ^= 0x5a;
  memcpy(pa, a, al);
  memcpy(pb, b, bl);
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, a, &al, sizeof a), 0);
  int r = sr_gcm_protect_rtp(out, b, &bl, sizeof b);
  CHECK(r != 0);
  if (r == 0) CHECK(!same_keystream(a, b, pa, pb, 12, 112)); /* shows the reuse */
done:
  sr_gcm_free(out);
  OPENSSL_cleanse(&k, sizeof k);
}

/* The SFU model: a publisher's packets unprotected by sfu_in, forwarded with
 * their SSRC and sequence number to a subscriber through sfu_out. Packets
 * that authenticate but are then dropped (worker.c forward_rtp: wrong
 * payload type, rtp_parse or extension remap failure) move sfu_in's
 * rollover counter and not sfu_out's, so a hostile publisher makes sfu_out
 * protect a new payload at an index it has used. */
static void test_gcm_forward_roc_divergence(void) {
  sr_gcm_keys pk, sk;
  vector_keys(&pk);
  vector_keys(&sk);
  sk.rtp_key[0] ^= 1; /* the subscriber's leg has its own key */
  sr_gcm *pub = sr_gcm_new(&pk, 1, 0), *sfu_in = sr_gcm_new(&pk, 0, 4), *sfu_out = sr_gcm_new(&sk, 1, 0);
  CHECK(pub && sfu_in && sfu_out);
  if (!pub || !sfu_in || !sfu_out) goto done;
  uint8_t p[200], c1[200], p1[200];
  size_t n;
  /* seq 0, payload A: forwarded (sfu_out index 0) */
  n = make_rtp(p, 7, 0, 100);
  CHECK_EQ_INT(sr_gcm_protect_rtp(pub, p, &n, sizeof p), 0);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(sfu_in, p, &n), 0);
  memcpy(p1, p, n);
  CHECK_EQ_INT(sr_gcm_protect_rtp(sfu_out, p, &n, sizeof p), 0);
  memcpy(c1, p, n);
  /* seq 30000, 60000 with payload type 97: authenticated, not forwarded */
  const uint16_t skip[] = {30000, 60000};
  for (int i = 0; i < 2; i++) {
    n = make_rtp(p, 7, skip[i], 20);
    p[1] = 97;
    CHECK_EQ_INT(sr_gcm_protect_rtp(pub, p, &n, sizeof p), 0);
    CHECK_EQ_INT(sr_gcm_unprotect_rtp(sfu_in, p, &n), 0);
  }
  /* seq 0 again, payload B: index 65536 for sfu_in, fresh, so accepted */
  n = make_rtp(p, 7, 0, 100);
  for (size_t i = 12; i < n; i++) p[i] ^= 0xa5;
  CHECK_EQ_INT(sr_gcm_protect_rtp(pub, p, &n, sizeof p), 0);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(sfu_in, p, &n), 0);
  uint8_t p2[200];
  memcpy(p2, p, n);
  int r = sr_gcm_protect_rtp(sfu_out, p, &n, sizeof p); /* sfu_out: index 0 again */
  CHECK(r != 0);
  if (r == 0) CHECK(!same_keystream(c1, p, p1, p2, 12, 112));
done:
  sr_gcm_free(pub);
  sr_gcm_free(sfu_in);
  sr_gcm_free(sfu_out);
  OPENSSL_cleanse(&pk, sizeof pk);
  OPENSSL_cleanse(&sk, sizeof sk);
}

/* No attacker: a subscriber stops getting an SSRC (unsubscribed, same
 * transport, whose outbound state is kept) and gets it again 64937
 * sequence numbers later. The estimate puts the resumed packets 599 below
 * the old top, inside the window: repeats of used indices with new bytes.
 * (Resuming 1600 below instead gives replay_old: an outage until the
 * sequence number passes the old top.) */
static void test_gcm_resume_after_gap(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0);
  CHECK(out != NULL);
  if (!out) goto done;
  uint8_t p[200], c1[200] = {0}, p1[200] = {0}, p2[200];
  size_t n;
  for (uint32_t s = 40000; s <= 40999; s++) {
    n = make_rtp(p, 3, (uint16_t)s, 60);
    if (s == 40400) memcpy(p1, p, n);
    CHECK_EQ_INT(sr_gcm_protect_rtp(out, p, &n, sizeof p), 0);
    if (s == 40400) memcpy(c1, p, n);
  }
  /* true index 40999 + 64937 = 105936, sequence number 40400 */
  n = make_rtp(p, 3, 40400, 60);
  for (size_t i = 12; i < n; i++) p[i] ^= 0x3c;
  memcpy(p2, p, n);
  int r = sr_gcm_protect_rtp(out, p, &n, sizeof p);
  CHECK(r != 0);
  if (r == 0) CHECK(!same_keystream(c1, p, p1, p2, 12, 72));
done:
  sr_gcm_free(out);
  OPENSSL_cleanse(&k, sizeof k);
}

/* Forged packets (bad tag) with far-future sequence numbers, which would
 * move the rollover estimate, change nothing: the next genuine packets
 * still authenticate, and so does a late one inside the window. */
static void test_gcm_forged_future_no_state(void) {
  sr_gcm_keys k;
  vector_keys(&k);
  sr_gcm *out = sr_gcm_new(&k, 1, 0), *in = sr_gcm_new(&k, 0, 2);
  CHECK(out && in);
  if (!out || !in) goto done;
  uint8_t p[200], late[200];
  size_t n, ln = 0;
  for (uint16_t s = 40000; s < 40010; s++) { /* top above 2^15: the estimate can move the ROC */
    n = make_rtp(p, 11, s, 40);
    CHECK_EQ_INT(sr_gcm_protect_rtp(out, p, &n, sizeof p), 0);
    if (s == 40003) {
      memcpy(late, p, n);
      ln = n;
      continue;
    }
    CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, p, &n), 0);
  }
  const uint16_t forged[] = {40009 + 1024, 40009 + 20000, 7000 /* ROC + 1 */, 40009 - 30000};
  for (int i = 0; i < 4; i++) {
    n = make_rtp(p, 11, forged[i], 40);
    memset(p + n, 0x42, 16); /* a made-up tag */
    n += 16;
    size_t before = n;
    CHECK(sr_gcm_unprotect_rtp(in, p, &n) < 0); /* auth_fail, or replay_old for the last */
    CHECK_EQ_INT(n, before);
  }
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, late, &ln), 0);
  n = make_rtp(p, 11, 40010, 40);
  CHECK_EQ_INT(sr_gcm_protect_rtp(out, p, &n, sizeof p), 0);
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, p, &n), 0);
  /* a forged packet for an unknown SSRC takes no table room */
  n = make_rtp(p, 12, 1, 40);
  memset(p + n, 0, 16);
  n += 16;
  CHECK_EQ_INT(sr_gcm_unprotect_rtp(in, p, &n), -(int)srtp_err_status_auth_fail);
  CHECK_EQ_INT(sr_gcm_has_ssrc(in, 12), 0);
  CHECK_EQ_INT(sr_gcm_add_ssrc(in, 13), 0); /* the second slot is still free */
done:
  sr_gcm_free(out);
  sr_gcm_free(in);
  OPENSSL_cleanse(&k, sizeof k);
}

TEST_SUITE(srtp, {"rtp_gcm", test_rtp_gcm}, {"rtp_cm", test_rtp_cm},
           {"rtcp_gcm", test_rtcp_gcm}, {"rtcp_cm", test_rtcp_cm},
           {"tampered_gcm", test_tampered_gcm}, {"tampered_cm", test_tampered_cm},
           {"replay_gcm", test_replay_gcm}, {"replay_cm", test_replay_cm},
           {"repeat_tx_gcm", test_repeat_tx_gcm}, {"repeat_tx_cm", test_repeat_tx_cm},
           {"buffer_room_gcm", test_buffer_room_gcm}, {"buffer_room_cm", test_buffer_room_cm},
           {"canaries_gcm", test_canaries_gcm}, {"canaries_cm", test_canaries_cm},
           {"hostile_lengths", test_hostile_lengths}, {"many_ssrcs", test_many_ssrcs},
           {"add_ssrc", test_add_ssrc}, {"bad_keys", test_bad_keys},
           {"kdf_rfc3711", test_kdf_rfc3711}, {"rfc7714_rtp", test_rfc7714_rtp},
           {"rfc7714_rtcp", test_rfc7714_rtcp}, {"gcm_index", test_gcm_index},
           {"interop_rtp_to_libsrtp", test_interop_rtp_to_libsrtp},
           {"interop_rtp_from_libsrtp", test_interop_rtp_from_libsrtp},
           {"interop_rtcp", test_interop_rtcp}, {"interop_tamper", test_interop_tamper},
           {"backend_switch", test_backend_switch},
           {"review_repeat_other_bytes", test_gcm_repeat_other_bytes},
           {"review_forward_roc_divergence", test_gcm_forward_roc_divergence},
           {"review_resume_after_gap", test_gcm_resume_after_gap},
           {"review_forged_future_no_state", test_gcm_forged_future_no_state});
