/* Unit tests for src/dtls/srtp.c: keys from a real in-memory DTLS handshake,
 * RTP and RTCP protected with the client's pair and unprotected with the
 * server's (and back), for both profiles; tampering, replay, repeated
 * transmission after NACK, exact buffer room (in heap buffers of the exact
 * size, so that the sanitizer sees any overrun), hostile lengths, many
 * outbound SSRCs and the inbound SSRC limit. */
#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "dtls/dtls.h"
#include "dtls/srtp.h"
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

TEST_SUITE(srtp, {"rtp_gcm", test_rtp_gcm}, {"rtp_cm", test_rtp_cm},
           {"rtcp_gcm", test_rtcp_gcm}, {"rtcp_cm", test_rtcp_cm},
           {"tampered_gcm", test_tampered_gcm}, {"tampered_cm", test_tampered_cm},
           {"replay_gcm", test_replay_gcm}, {"replay_cm", test_replay_cm},
           {"repeat_tx_gcm", test_repeat_tx_gcm}, {"repeat_tx_cm", test_repeat_tx_cm},
           {"buffer_room_gcm", test_buffer_room_gcm}, {"buffer_room_cm", test_buffer_room_cm},
           {"canaries_gcm", test_canaries_gcm}, {"canaries_cm", test_canaries_cm},
           {"hostile_lengths", test_hostile_lengths}, {"many_ssrcs", test_many_ssrcs},
           {"add_ssrc", test_add_ssrc}, {"bad_keys", test_bad_keys});
