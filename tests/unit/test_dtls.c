/* Unit tests for src/dtls/dtls.c: certificates and fingerprints, complete
 * in-memory handshakes between a server and a client connection (datagrams
 * passed directly between them), SRTP profile negotiation and mirrored key
 * export, fingerprint mismatch, lost flights and retransmission, giving up,
 * garbage before and after the handshake, and close_notify.
 * Retransmission tests use the real monotonic clock (OpenSSL's timer runs on
 * it) with short timeouts. */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtls/dtls.h"
#include "test.h"

#define QUEUE_CAP 64
#define DGRAM_CAP 2048

/* Datagrams sent by one side, waiting to be delivered (or dropped). */
typedef struct {
  uint8_t data[QUEUE_CAP][DGRAM_CAP];
  size_t len[QUEUE_CAP];
  size_t n;
  size_t sent_total;  /* every datagram ever sent */
  size_t max_len;     /* largest datagram */
  int overflow;       /* a datagram did not fit the queue */
} queue;

static void q_send(void *ctx, const uint8_t *d, size_t n) {
  queue *q = ctx;
  q->sent_total++;
  if (n > q->max_len) q->max_len = n;
  if (q->n == QUEUE_CAP || n > DGRAM_CAP) {
    q->overflow = 1;
    return;
  }
  memcpy(q->data[q->n], d, n);
  q->len[q->n] = n;
  q->n++;
}

static void q_clear(queue *q) { q->n = 0; }

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Delivers every queued datagram of q to c (q is emptied first, so that what
 * c sends in reply can go to another queue, or the same). */
static void deliver(queue *q, dtls_conn *c) {
  static uint8_t copy[QUEUE_CAP][DGRAM_CAP];
  static size_t lens[QUEUE_CAP];
  size_t n = q->n;
  for (size_t i = 0; i < n; i++) {
    memcpy(copy[i], q->data[i], q->len[i]);
    lens[i] = q->len[i];
  }
  q->n = 0;
  for (size_t i = 0; i < n; i++) dtls_conn_input(c, copy[i], lens[i], now_ms());
}

/* Passes datagrams back and forth until nothing is left in flight. */
static void pump(dtls_conn *server, queue *to_client, dtls_conn *client, queue *to_server) {
  for (int round = 0; round < 20 && (to_client->n || to_server->n); round++) {
    deliver(to_server, server);
    deliver(to_client, client);
  }
}

typedef struct {
  dtls_cert *server_cert, *client_cert;
  dtls_conn *server, *client;
  queue *to_client, *to_server;
} pair;

static void pair_open(pair *p, const dtls_options *server_opt, const dtls_options *client_opt) {
  memset(p, 0, sizeof *p);
  p->to_client = calloc(1, sizeof *p->to_client);
  p->to_server = calloc(1, sizeof *p->to_server);
  p->server_cert = dtls_cert_generate();
  p->client_cert = dtls_cert_generate();
  CHECK(p->to_client && p->to_server && p->server_cert && p->client_cert);
  p->server = dtls_conn_new_ex(p->server_cert, dtls_cert_fingerprint_raw(p->client_cert), 1,
                               server_opt, q_send, p->to_client);
  p->client = dtls_conn_new_ex(p->client_cert, dtls_cert_fingerprint_raw(p->server_cert), 0,
                               client_opt, q_send, p->to_server);
  CHECK(p->server != NULL);
  CHECK(p->client != NULL);
}

static void pair_close(pair *p) {
  dtls_conn_free(p->server);
  dtls_conn_free(p->client);
  dtls_cert_free(p->server_cert);
  dtls_cert_free(p->client_cert);
  free(p->to_client);
  free(p->to_server);
}

/* Runs the pair's handshake to its end; both sides must be connected. */
static void pump_connected(pair *p) {
  pump(p->server, p->to_client, p->client, p->to_server);
  CHECK_EQ_INT(dtls_conn_state(p->server), DTLS_CONNECTED);
  CHECK_EQ_INT(dtls_conn_state(p->client), DTLS_CONNECTED);
}

static void check_mirrored_keys(dtls_conn *server, dtls_conn *client, srtp_profile_id want,
                                size_t salt_len) {
  srtp_keys sk, ck;
  CHECK_EQ_INT(dtls_conn_srtp_keys(server, &sk), 0);
  CHECK_EQ_INT(dtls_conn_srtp_keys(client, &ck), 0);
  CHECK_EQ_INT(sk.profile, want);
  CHECK_EQ_INT(ck.profile, want);
  CHECK_EQ_INT(sk.key_len, 16);
  CHECK_EQ_INT(sk.salt_len, salt_len);
  CHECK_EQ_INT(ck.salt_len, salt_len);
  CHECK(memcmp(sk.local_key, ck.remote_key, 16) == 0);
  CHECK(memcmp(sk.remote_key, ck.local_key, 16) == 0);
  CHECK(memcmp(sk.local_salt, ck.remote_salt, salt_len) == 0);
  CHECK(memcmp(sk.remote_salt, ck.local_salt, salt_len) == 0);
  CHECK(memcmp(sk.local_key, sk.remote_key, 16) != 0);
  CHECK(memcmp(sk.local_salt, sk.remote_salt, salt_len) != 0);
  static const uint8_t zero[16];
  CHECK(memcmp(sk.local_key, zero, 16) != 0);
  if (salt_len < 14) CHECK(memcmp(sk.local_salt + salt_len, zero, 14 - salt_len) == 0);
  OPENSSL_cleanse(&sk, sizeof sk);
  OPENSSL_cleanse(&ck, sizeof ck);
}

/* ---- certificates ---- */

static void test_cert_fingerprint(void) {
  dtls_cert *a = dtls_cert_generate(), *b = dtls_cert_generate();
  CHECK(a && b);
  if (!a || !b) goto out;
  const char *fp = dtls_cert_fingerprint(a);
  CHECK_EQ_INT(strlen(fp), DTLS_FINGERPRINT_TEXT_LEN);
  for (size_t i = 0; i < DTLS_FINGERPRINT_TEXT_LEN; i++) {
    if (i % 3 == 2)
      CHECK(fp[i] == ':');
    else
      CHECK((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
  }
  uint8_t raw[32];
  CHECK_EQ_INT(dtls_fingerprint_parse(fp, strlen(fp), raw), 0);
  CHECK(memcmp(raw, dtls_cert_fingerprint_raw(a), 32) == 0);
  CHECK(strcmp(fp, dtls_cert_fingerprint(b)) != 0); /* fresh key, fresh cert */
out:
  dtls_cert_free(a);
  dtls_cert_free(b);
  dtls_cert_free(NULL);
}

static void test_fingerprint_parse(void) {
  char good[DTLS_FINGERPRINT_TEXT_LEN + 1];
  uint8_t out[32], want[32];
  for (int i = 0; i < 32; i++) {
    want[i] = (uint8_t)(i * 37 + 5);
    snprintf(good + i * 3, 4, i < 31 ? "%02x:" : "%02x", want[i]); /* lowercase is fine */
  }
  CHECK_EQ_INT(dtls_fingerprint_parse(good, strlen(good), out), 0);
  CHECK(memcmp(out, want, 32) == 0);

  char bad[DTLS_FINGERPRINT_TEXT_LEN + 2];
  memcpy(bad, good, sizeof good);
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, DTLS_FINGERPRINT_TEXT_LEN - 1, out), -1);
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, 0, out), -1);
  CHECK_EQ_INT(dtls_fingerprint_parse(NULL, 95, out), -1);
  strcpy(bad, good);
  strcat(bad, ":");
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, strlen(bad), out), -1); /* too long */
  strcpy(bad, good);
  bad[2] = '-';
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, strlen(bad), out), -1);
  strcpy(bad, good);
  bad[0] = 'g';
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, strlen(bad), out), -1);
  strcpy(bad, good);
  bad[94] = ' ';
  CHECK_EQ_INT(dtls_fingerprint_parse(bad, strlen(bad), out), -1);
}

/* ---- handshakes ---- */

static void test_handshake_gcm(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_HANDSHAKING);
  CHECK_EQ_INT(dtls_conn_next_timeout(p.server, 1000), 0); /* waits for a ClientHello */
  CHECK(dtls_conn_next_timeout(p.client, 1000) > 1000);   /* ClientHello is out */
  CHECK_EQ_INT(p.to_server->n, 1);
  srtp_keys k;
  CHECK_EQ_INT(dtls_conn_srtp_keys(p.client, &k), -1);
  CHECK_EQ_INT(dtls_conn_srtp_profile(p.client), SRTP_PROFILE_NONE);

  pump_connected(&p);
  CHECK_EQ_INT(dtls_conn_srtp_profile(p.server), SRTP_PROFILE_AEAD_AES_128_GCM);
  CHECK_EQ_INT(dtls_conn_srtp_profile(p.client), SRTP_PROFILE_AEAD_AES_128_GCM);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
  CHECK(p.to_client->max_len <= DTLS_MTU);
  CHECK(p.to_server->max_len <= DTLS_MTU);
  CHECK(!p.to_client->overflow && !p.to_server->overflow);
  CHECK_EQ_INT(dtls_conn_next_timeout(p.server, 5000), 0);
  CHECK_EQ_INT(dtls_conn_next_timeout(p.client, 5000), 0);
  /* A timer call now has nothing to do. */
  size_t sent = p.to_client->sent_total;
  CHECK_EQ_INT(dtls_conn_on_timer(p.server, now_ms()), DTLS_CONNECTED);
  CHECK_EQ_INT(p.to_client->sent_total, sent);
out:
  pair_close(&p);
}

static void test_handshake_cm_when_client_offers_only_cm(void) {
  pair p;
  dtls_options copt = {.srtp_profiles = "SRTP_AES128_CM_SHA1_80"};
  pair_open(&p, NULL, &copt);
  if (!p.server || !p.client) goto out;
  pump_connected(&p);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AES128_CM_SHA1_80, 14);
out:
  pair_close(&p);
}

/* The server's preference wins even when the client lists CM first. */
static void test_handshake_server_preference(void) {
  pair p;
  dtls_options copt = {.srtp_profiles = "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM"};
  pair_open(&p, NULL, &copt);
  if (!p.server || !p.client) goto out;
  pump(p.server, p.to_client, p.client, p.to_server);
  CHECK_EQ_INT(dtls_conn_srtp_profile(p.server), SRTP_PROFILE_AEAD_AES_128_GCM);
  CHECK_EQ_INT(dtls_conn_srtp_profile(p.client), SRTP_PROFILE_AEAD_AES_128_GCM);
out:
  pair_close(&p);
}

/* DTLS without a usable SRTP profile is useless for media: both fail. */
static void test_no_common_srtp_profile(void) {
  pair p;
  dtls_options copt = {.srtp_profiles = "SRTP_AES128_CM_SHA1_32"};
  pair_open(&p, NULL, &copt);
  if (!p.server || !p.client) goto out;
  pump(p.server, p.to_client, p.client, p.to_server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_FAILED);
  CHECK(dtls_conn_state(p.client) != DTLS_CONNECTED);
  srtp_keys k;
  CHECK_EQ_INT(dtls_conn_srtp_keys(p.server, &k), -1);
out:
  pair_close(&p);
}

static void test_fingerprint_mismatch_on_server(void) {
  dtls_cert *sc = dtls_cert_generate(), *cc = dtls_cert_generate();
  queue *to_client = calloc(1, sizeof *to_client), *to_server = calloc(1, sizeof *to_server);
  CHECK(sc && cc && to_client && to_server);
  if (!sc || !cc || !to_client || !to_server) goto out;
  uint8_t wrong[32];
  memcpy(wrong, dtls_cert_fingerprint_raw(cc), 32);
  wrong[31] ^= 1;
  dtls_conn *s = dtls_conn_new_server(sc, wrong, q_send, to_client);
  dtls_conn *c = dtls_conn_new_client(cc, dtls_cert_fingerprint_raw(sc), q_send, to_server);
  CHECK(s && c);
  if (s && c) {
    pump(s, to_client, c, to_server);
    CHECK_EQ_INT(dtls_conn_state(s), DTLS_FAILED);
    CHECK_EQ_INT(dtls_conn_state(c), DTLS_FAILED); /* got the bad_certificate alert */
    printf("  server: %s\n", dtls_conn_failure(s));
    CHECK(strncmp(dtls_conn_failure(s), "handshake: ", 11) == 0); /* with OpenSSL's reason, for the log */
    srtp_keys k;
    CHECK_EQ_INT(dtls_conn_srtp_keys(s, &k), -1);
    /* Failed is final. */
    uint8_t junk[20] = {22, 0xfe, 0xfd};
    CHECK_EQ_INT(dtls_conn_input(s, junk, sizeof junk, now_ms()), DTLS_FAILED);
    CHECK_EQ_INT(dtls_conn_on_timer(s, now_ms()), DTLS_FAILED);
    CHECK_EQ_INT(dtls_conn_next_timeout(s, 10), 0);
  }
  dtls_conn_free(s);
  dtls_conn_free(c);
out:
  dtls_cert_free(sc);
  dtls_cert_free(cc);
  free(to_client);
  free(to_server);
}

static void test_fingerprint_mismatch_on_client(void) {
  dtls_cert *sc = dtls_cert_generate(), *cc = dtls_cert_generate(), *other = dtls_cert_generate();
  queue *to_client = calloc(1, sizeof *to_client), *to_server = calloc(1, sizeof *to_server);
  CHECK(sc && cc && other && to_client && to_server);
  if (!sc || !cc || !other || !to_client || !to_server) goto out;
  dtls_conn *s = dtls_conn_new_server(sc, dtls_cert_fingerprint_raw(cc), q_send, to_client);
  /* The client expects another certificate than the one the server has. */
  dtls_conn *c = dtls_conn_new_client(cc, dtls_cert_fingerprint_raw(other), q_send, to_server);
  CHECK(s && c);
  if (s && c) {
    pump(s, to_client, c, to_server);
    CHECK_EQ_INT(dtls_conn_state(c), DTLS_FAILED);
    CHECK_EQ_INT(dtls_conn_state(s), DTLS_FAILED);
  }
  dtls_conn_free(s);
  dtls_conn_free(c);
out:
  dtls_cert_free(sc);
  dtls_cert_free(cc);
  dtls_cert_free(other);
  free(to_client);
  free(to_server);
}

/* Waits for c's deadline on the real clock, then fires its timer. */
static dtls_state wait_and_fire(dtls_conn *c) {
  uint64_t now = now_ms(), deadline = dtls_conn_next_timeout(c, now);
  CHECK(deadline != 0);
  if (deadline > now) sleep_ms(deadline - now + 2);
  return dtls_conn_on_timer(c, now_ms());
}

static const dtls_options fast = {.initial_timeout_ms = 40, .max_timeout_ms = 200};

/* The server's first flight is lost: the client's timer resends the
 * ClientHello, the server's resends its flight, and the handshake ends. */
/* Reflection (issue 9, 1.7): someone nominates a victim's address with a
 * forged source and sends a ClientHello "from" it. The server's answer is a
 * HelloVerifyRequest of about 60 bytes, smaller than the ClientHello: no
 * amplification (the certificate flight was about 11 times its size). A
 * ClientHello that returns a cookie made for another address never gets the
 * flight: it gets a new HelloVerifyRequest (RFC 6347 4.2.1), sent to the
 * address selected now. */
static void test_cookie_before_certificate(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_conn_set_peer(p.server, "victim", 6);
  size_t hello = p.to_server->len[0];
  deliver(p.to_server, p.server);
  CHECK_EQ_INT(p.to_client->n, 1);
  size_t hvr = p.to_client->len[0];
  CHECK(hvr < hello && hvr < 100);
  /* DTLS handshake record (22) with a HelloVerifyRequest (3) in it. */
  CHECK_EQ_INT(p.to_client->data[0][0], 22);
  CHECK_EQ_INT(p.to_client->data[0][13], 3);
  CHECK_EQ_INT(dtls_conn_next_timeout(p.server, now_ms()), 0); /* nothing kept, nothing resent */
  /* The client returns the cookie, but the server now sees another address
   * (the cookie was made for "victim"): only a new HelloVerifyRequest goes
   * out, nothing larger, and the handshake goes on. */
  deliver(p.to_client, p.client);
  dtls_conn_set_peer(p.server, "attacker", 8);
  deliver(p.to_server, p.server);
  CHECK_EQ_INT(p.to_client->n, 1);
  CHECK(p.to_client->len[0] < 100);
  CHECK_EQ_INT(p.to_client->data[0][13], 3);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  printf("  ClientHello %zu bytes -> HelloVerifyRequest %zu bytes (ratio %.2f)\n", hello, hvr, (double)hvr / (double)hello);
out:
  pair_close(&p);
}

/* An honest client whose ICE agent nominates another candidate pair between
 * its two ClientHellos (the server's peer address changes): its ClientHello
 * returns the cookie of the old address, gets a new HelloVerifyRequest, and
 * the handshake completes at the new address (OpenSSL alone would fail it:
 * "cookie mismatch", seen with Firefox). */
static void test_cookie_after_address_change(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_conn_set_peer(p.server, "udp 1", 5);
  deliver(p.to_server, p.server); /* ClientHello -> HelloVerifyRequest for "udp 1" */
  deliver(p.to_client, p.client); /* ClientHello with that cookie */
  dtls_conn_set_peer(p.server, "udp 2", 5);
  deliver(p.to_server, p.server); /* a new HelloVerifyRequest, for "udp 2" */
  CHECK_EQ_INT(p.to_client->n, 1);
  CHECK_EQ_INT(p.to_client->data[0][13], 3);
  CHECK_EQ_INT(p.to_client->data[0][18], 1); /* numbered as the answer to the client's second ClientHello */
  pump_connected(&p);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
  CHECK_EQ_STR(dtls_conn_failure(p.server), "");
out:
  pair_close(&p);
}

/* Splits the one datagram in q (a record holding a whole ClientHello) into
 * two, the second carrying the message's last `tail` bytes as a fragment of
 * its own, as browsers send a ClientHello with a post-quantum key share. */
static void split_hello(queue *q, size_t tail) {
  CHECK_EQ_INT(q->n, 1);
  uint8_t *d = q->data[0];
  size_t len = q->len[0];
  CHECK(d[0] == 22 && d[13] == 1 && len == 13 + (size_t)((d[11] << 8) | d[12]));
  size_t msg = (size_t)((d[14] << 16) | (d[15] << 8) | d[16]);
  CHECK(tail < msg && len == 25 + msg);
  size_t head = msg - tail;
  uint8_t *d2 = q->data[1];
  memcpy(d2, d, 25); /* same record and handshake headers, then fixed */
  d2[9] = (uint8_t)(d2[9] + 1); /* another record sequence number, never used yet */
  d2[11] = (uint8_t)((12 + tail) >> 8);
  d2[12] = (uint8_t)(12 + tail);
  d2[19] = (uint8_t)(head >> 16);
  d2[20] = (uint8_t)(head >> 8);
  d2[21] = (uint8_t)head;
  d2[22] = (uint8_t)(tail >> 16);
  d2[23] = (uint8_t)(tail >> 8);
  d2[24] = (uint8_t)tail;
  memcpy(d2 + 25, d + 25 + head, tail);
  q->len[1] = 25 + tail;
  d[11] = (uint8_t)((12 + head) >> 8);
  d[12] = (uint8_t)(12 + head);
  d[22] = (uint8_t)(head >> 16);
  d[23] = (uint8_t)(head >> 8);
  d[24] = (uint8_t)head;
  q->len[0] = 25 + head;
  q->n = 2;
}

/* The same with the ClientHello in two fragments (Chromium and Firefox send
 * theirs so): the stale cookie is cut out of the first, the second is moved
 * to match, and the handshake completes at the new address. */
static void test_cookie_after_address_change_fragmented(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_conn_set_peer(p.server, "udp 1", 5);
  split_hello(p.to_server, 40);
  deliver(p.to_server, p.server); /* both fragments -> HelloVerifyRequest for "udp 1" */
  CHECK_EQ_INT(p.to_client->n, 1);
  deliver(p.to_client, p.client); /* ClientHello with that cookie */
  split_hello(p.to_server, 40);
  dtls_conn_set_peer(p.server, "udp 2", 5);
  deliver(p.to_server, p.server); /* a new HelloVerifyRequest, for "udp 2" */
  CHECK_EQ_INT(p.to_client->n, 1);
  CHECK_EQ_INT(p.to_client->data[0][13], 3);
  CHECK_EQ_INT(p.to_client->data[0][18], 1); /* (after a fragmented ClientHello OpenSSL alone said 0: ignored) */
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  deliver(p.to_client, p.client); /* ClientHello with the cookie for "udp 2" */
  split_hello(p.to_server, 40);
  pump_connected(&p);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
out:
  pair_close(&p);
}

/* Delivers datagram i of q alone (the others stay queued). */
static void deliver_one(queue *q, size_t i, dtls_conn *c) {
  static uint8_t copy[DGRAM_CAP];
  size_t n = q->len[i];
  memcpy(copy, q->data[i], n);
  for (size_t j = i + 1; j < q->n; j++) {
    memcpy(q->data[j - 1], q->data[j], q->len[j]);
    q->len[j - 1] = q->len[j];
  }
  q->n--;
  dtls_conn_input(c, copy, n, now_ms());
}

/* The address changes between the two fragments of the ClientHello that
 * returns the cookie: the cookie is judged once the message is whole,
 * against the address then, and the handshake completes there. */
static void test_cookie_address_change_between_fragments(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_conn_set_peer(p.server, "udp 1", 5);
  deliver(p.to_server, p.server);
  deliver(p.to_client, p.client); /* ClientHello with the cookie for "udp 1" */
  split_hello(p.to_server, 40);
  deliver_one(p.to_server, 0, p.server);
  CHECK_EQ_INT(p.to_client->n, 0); /* held until whole */
  dtls_conn_set_peer(p.server, "udp 2", 5);
  deliver_one(p.to_server, 0, p.server);
  CHECK_EQ_INT(p.to_client->n, 1);
  CHECK_EQ_INT(p.to_client->data[0][13], 3); /* a new HelloVerifyRequest */
  pump_connected(&p);
out:
  pair_close(&p);
}

/* The fragments of a ClientHello come in the wrong order: they go to
 * OpenSSL as they are, as before the rewriting: nothing fails, nothing is
 * held back for good (OpenSSL answers nothing yet; the client's
 * retransmission goes on from there). */
static void test_hello_fragments_out_of_order(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_conn_set_peer(p.server, "udp 1", 5);
  split_hello(p.to_server, 40);
  deliver_one(p.to_server, 1, p.server);
  deliver_one(p.to_server, 0, p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  CHECK(p.to_client->overflow == 0);
out:
  pair_close(&p);
}

static void test_retransmit_lost_server_flight(void) {
  pair p;
  const dtls_options slower = {.initial_timeout_ms = 300, .max_timeout_ms = 600};
  pair_open(&p, &fast, &slower);
  if (!p.server || !p.client) goto out;
  deliver(p.to_server, p.server); /* ClientHello */
  deliver(p.to_client, p.client); /* HelloVerifyRequest (stateless: no server timer) */
  deliver(p.to_server, p.server); /* ClientHello with the cookie */
  CHECK(p.to_client->n >= 1);
  CHECK(dtls_conn_next_timeout(p.server, now_ms()) != 0);
  q_clear(p.to_client); /* lost */

  /* Firing early does nothing (checked only when the deadline is clearly
   * ahead: a loaded machine may already have passed it). */
  size_t sent = p.to_server->sent_total;
  uint64_t t = now_ms();
  if (dtls_conn_next_timeout(p.client, t) > t + 100) {
    CHECK_EQ_INT(dtls_conn_on_timer(p.client, now_ms()), DTLS_HANDSHAKING);
    CHECK_EQ_INT(p.to_server->sent_total, sent);
  }

  sent = p.to_server->sent_total;
  CHECK_EQ_INT(wait_and_fire(p.client), DTLS_HANDSHAKING);
  CHECK_EQ_INT(p.to_server->sent_total, sent + 1); /* the ClientHello again */
  deliver(p.to_server, p.server);
  if (p.to_client->n == 0) CHECK_EQ_INT(wait_and_fire(p.server), DTLS_HANDSHAKING);
  CHECK(p.to_client->n >= 1); /* the server's flight again */
  pump_connected(&p);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
out:
  pair_close(&p);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost after the
 * server reached CONNECTED: the client resends its Finished flight and the
 * connected server answers it with its last flight again. */
static void test_retransmit_lost_last_flight(void) {
  pair p;
  pair_open(&p, &fast, &fast);
  if (!p.server || !p.client) goto out;
  for (int i = 0; i < 10 && dtls_conn_state(p.server) != DTLS_CONNECTED; i++) {
    deliver(p.to_server, p.server);
    if (dtls_conn_state(p.server) == DTLS_CONNECTED) break;
    deliver(p.to_client, p.client);
  }
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CONNECTED);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_HANDSHAKING);
  CHECK(p.to_client->n >= 1);
  q_clear(p.to_client); /* lost */

  CHECK_EQ_INT(wait_and_fire(p.client), DTLS_HANDSHAKING);
  CHECK(p.to_server->n >= 1);
  deliver(p.to_server, p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CONNECTED);
  CHECK(p.to_client->n >= 1); /* answered */
  deliver(p.to_client, p.client);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CONNECTED);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
out:
  pair_close(&p);
}

/* Nobody answers: after max_retransmits retransmissions the client fails. */
static void test_timeout_gives_up(void) {
  dtls_cert *cc = dtls_cert_generate();
  queue *q = calloc(1, sizeof *q);
  uint8_t fp[32] = {1};
  CHECK(cc && q);
  if (!cc || !q) goto out;
  dtls_options o = {.initial_timeout_ms = 50, .max_timeout_ms = 100, .max_retransmits = 2};
  dtls_conn *c = dtls_conn_new_ex(cc, fp, 0, &o, q_send, q);
  CHECK(c != NULL);
  if (c) {
    CHECK(q->sent_total >= 1);
    dtls_state st = DTLS_HANDSHAKING;
    for (int fired = 0; fired < 2; fired++) {
      size_t before = q->sent_total;
      st = wait_and_fire(c);
      CHECK_EQ_INT(st, DTLS_HANDSHAKING);
      CHECK(q->sent_total > before); /* the ClientHello again */
    }
    size_t before = q->sent_total;
    st = wait_and_fire(c);
    CHECK_EQ_INT(st, DTLS_FAILED); /* the third expiry gives up */
    CHECK_EQ_INT(q->sent_total, before);
    CHECK_EQ_INT(dtls_conn_next_timeout(c, now_ms()), 0);
  }
  dtls_conn_free(c);
out:
  dtls_cert_free(cc);
  free(q);
}

/* Garbage of many shapes before the ClientHello, between flights and after
 * the handshake: dropped, and the handshake and connection carry on. */
static void feed_garbage(dtls_conn *c) {
  uint8_t g[1500];
  uint32_t x = 12345;
  for (int i = 0; i < 64; i++) {
    size_t len = (size_t)(i * 23) % sizeof g;
    for (size_t j = 0; j < len; j++) {
      x = x * 1103515245u + 12345u;
      g[j] = (uint8_t)(x >> 16);
    }
    if (len) g[0] = (uint8_t)(20 + i % 44); /* first byte in DTLS range */
    dtls_conn_input(c, g, len, now_ms());
  }
  /* A plausible record header with a length beyond the datagram. */
  uint8_t hdr[13] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0};
  dtls_conn_input(c, hdr, sizeof hdr, now_ms());
  /* Records of epochs the connection is not in. */
  uint8_t rec[40] = {23, 0xfe, 0xfd, 0, 7, 0, 0, 0, 0, 0, 9, 0, 27};
  dtls_conn_input(c, rec, sizeof rec, now_ms());
  /* Not DTLS at all (STUN, RTP): ignored. */
  uint8_t stun[20] = {0, 1}, rtp[20] = {0x80, 96};
  dtls_conn_input(c, stun, sizeof stun, now_ms());
  dtls_conn_input(c, rtp, sizeof rtp, now_ms());
  dtls_conn_input(c, rtp, 0, now_ms());
}

static void test_garbage_before_and_after(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  feed_garbage(p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  CHECK_EQ_INT(p.to_client->sent_total, 0);
  deliver(p.to_server, p.server);
  feed_garbage(p.client);
  feed_garbage(p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_HANDSHAKING);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_HANDSHAKING);
  pump_connected(&p);
  feed_garbage(p.server);
  feed_garbage(p.client);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CONNECTED);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CONNECTED);
  check_mirrored_keys(p.server, p.client, SRTP_PROFILE_AEAD_AES_128_GCM, 12);
out:
  pair_close(&p);
}

static void test_close_notify(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  pump(p.server, p.to_client, p.client, p.to_server);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CONNECTED);
  dtls_conn_close(p.client);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CLOSED);
  CHECK_EQ_INT(p.to_server->n, 1);
  deliver(p.to_server, p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CLOSED);
  CHECK_EQ_INT(p.to_client->n, 1); /* its own close_notify in answer */
  deliver(p.to_client, p.client);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CLOSED);
  srtp_keys k;
  CHECK_EQ_INT(dtls_conn_srtp_keys(p.server, &k), -1);
  dtls_conn_close(p.server); /* twice is harmless */
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CLOSED);
out:
  pair_close(&p);
}

/* The server closes first (the SFU ending a session). */
static void test_close_by_server(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  pump(p.server, p.to_client, p.client, p.to_server);
  dtls_conn_close(p.server);
  CHECK_EQ_INT(dtls_conn_state(p.server), DTLS_CLOSED);
  deliver(p.to_client, p.client);
  CHECK_EQ_INT(dtls_conn_state(p.client), DTLS_CLOSED);
  /* Closing during the handshake sends nothing and just stops. */
  dtls_conn *c = dtls_conn_new_client(p.client_cert, dtls_cert_fingerprint_raw(p.server_cert),
                                      q_send, p.to_server);
  CHECK(c != NULL);
  if (c) {
    size_t sent = p.to_server->sent_total;
    dtls_conn_close(c);
    CHECK_EQ_INT(dtls_conn_state(c), DTLS_CLOSED);
    CHECK_EQ_INT(p.to_server->sent_total, sent);
    CHECK_EQ_INT(dtls_conn_next_timeout(c, 5), 0);
  }
  dtls_conn_free(c);
out:
  pair_close(&p);
}

/* The certificate may be freed before its connections. */
static void test_cert_freed_first(void) {
  pair p;
  pair_open(&p, NULL, NULL);
  if (!p.server || !p.client) goto out;
  dtls_cert_free(p.server_cert);
  dtls_cert_free(p.client_cert);
  p.server_cert = p.client_cert = NULL;
  pump_connected(&p);
out:
  pair_close(&p);
}

static void test_bad_arguments(void) {
  dtls_cert *c = dtls_cert_generate();
  uint8_t fp[32] = {0};
  queue q = {0};
  CHECK(c != NULL);
  CHECK(dtls_conn_new_server(NULL, fp, q_send, &q) == NULL);
  CHECK(dtls_conn_new_server(c, NULL, q_send, &q) == NULL);
  CHECK(dtls_conn_new_server(c, fp, NULL, &q) == NULL);
  dtls_options o = {.srtp_profiles = "NOT_A_PROFILE"};
  CHECK(dtls_conn_new_ex(c, fp, 1, &o, q_send, &q) == NULL);
  dtls_conn_free(NULL);
  dtls_cert_free(c);
}

TEST_SUITE(dtls, {"cert_fingerprint", test_cert_fingerprint},
           {"fingerprint_parse", test_fingerprint_parse},
           {"handshake_gcm", test_handshake_gcm}, {"cookie_before_certificate", test_cookie_before_certificate},
           {"cookie_after_address_change", test_cookie_after_address_change},
           {"cookie_after_address_change_fragmented", test_cookie_after_address_change_fragmented},
           {"cookie_address_change_between_fragments", test_cookie_address_change_between_fragments},
           {"hello_fragments_out_of_order", test_hello_fragments_out_of_order},
           {"handshake_cm_when_client_offers_only_cm", test_handshake_cm_when_client_offers_only_cm},
           {"handshake_server_preference", test_handshake_server_preference},
           {"no_common_srtp_profile", test_no_common_srtp_profile},
           {"fingerprint_mismatch_on_server", test_fingerprint_mismatch_on_server},
           {"fingerprint_mismatch_on_client", test_fingerprint_mismatch_on_client},
           {"retransmit_lost_server_flight", test_retransmit_lost_server_flight},
           {"retransmit_lost_last_flight", test_retransmit_lost_last_flight},
           {"timeout_gives_up", test_timeout_gives_up},
           {"garbage_before_and_after", test_garbage_before_and_after},
           {"close_notify", test_close_notify}, {"close_by_server", test_close_by_server},
           {"cert_freed_first", test_cert_freed_first}, {"bad_arguments", test_bad_arguments});
