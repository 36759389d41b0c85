/* DTLS 1.2 connections for the SFU's media transports, on OpenSSL 3.
 *
 * OpenSSL reads and writes through a small in-memory BIO of our own rather
 * than BIO_s_mem: DTLS needs datagram boundaries, which a byte-stream memory
 * BIO loses. Reading hands OpenSSL exactly the one datagram being input.
 * Writing appends records to a datagram being assembled; OpenSSL asks for the
 * pending size (BIO_CTRL_WPENDING) to pack several records per datagram
 * within the MTU and flushes at the end of a flight, and every flush becomes
 * one call of the user's send callback. Nothing is queued across calls.
 *
 * Peer authentication is by certificate fingerprint only (WebRTC: RFC 8827):
 * a certificate-verify callback replaces chain building and compares the
 * SHA-256 of the peer's leaf certificate with the fingerprint from its SDP.
 *
 * Address check (issue 9, 1.7): the server answers a ClientHello first with a
 * HelloVerifyRequest carrying a cookie, an HMAC of the peer's address under a
 * key made at start, and sends its large flight only to a ClientHello that
 * returns the cookie. Someone who nominates a victim's address with a forged
 * source therefore gets a 60-byte answer sent there, not the certificate
 * flight (about 11 times the bytes of the ClientHello without the check).
 * A ClientHello returning a cookie made for another address (the selected
 * address changed in between: an ICE agent nominating another pair) gets a
 * new HelloVerifyRequest, as RFC 6347 asks, not a failed handshake
 * (strip_stale_cookie). Why a handshake failed is kept for the log
 * (dtls_conn_failure).
 *
 * Retransmission: OpenSSL keeps its own timer (on the real clock); we tune
 * its durations with DTLS_set_timer_cb, report its deadline in the caller's
 * clock and call DTLSv1_handle_timeout when the caller says it passed, and
 * count retransmissions without progress to give up. */
#include "dtls/dtls.h"

#include "common/bytes.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define CERT_NOT_BEFORE_S (-3600L)       /* tolerate a peer whose clock is behind */
#define CERT_LIFETIME_S (30L * 24 * 3600)
#define DEFAULT_INITIAL_TIMEOUT_MS 500u
#define DEFAULT_MAX_TIMEOUT_MS 8000u
#define DEFAULT_MAX_RETRANSMITS 5u
#define MIN_TIMEOUT_MS 20u               /* OpenSSL treats < 15 ms left as expired */
#define MAX_TIMEOUT_MS 60000u            /* RFC 6347 section 4.2.4.1 */
#define MAX_READS_PER_INPUT 16           /* records drained per datagram after connect */

/* Only ECDHE with ECDSA (our certificate) and AEAD ciphers; DTLS 1.2 only. */
static const char CIPHERS[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305";
static const char GROUPS[] = "X25519:P-256:P-384";

struct dtls_cert {
  EVP_PKEY *key;
  X509 *x509;
  SSL_CTX *ctx; /* shared by every connection, server or client role */
  uint8_t fp[32];
  char fp_text[DTLS_FINGERPRINT_TEXT_LEN + 1];
};

/* The largest datagram strip_stale_cookie rewrites (a ClientHello with a
 * post-quantum key share is sent in fragments of up to the path MTU). */
#define HELLO_MAX 2048

struct dtls_conn {
  SSL *ssl;
  BIO *bio;
  dtls_state state;
  int is_server;
  srtp_profile_id profile;
  uint8_t remote_fp[32];
  dtls_send_fn send;
  void *send_ctx;
  /* the datagram being input: handed to OpenSSL whole, once */
  const uint8_t *in;
  size_t in_len;
  /* the datagram being assembled from OpenSSL's records */
  uint8_t out[DTLS_MTU];
  size_t out_len;
  unsigned initial_timeout_us, max_timeout_us;
  unsigned retransmits, max_retransmits;
  uint8_t peer[32]; /* the peer's address, as the cookie binds it (dtls_conn_set_peer) */
  size_t peer_len;
  char failure[96]; /* why it went DTLS_FAILED (dtls_conn_failure) */
  int cookie_ok;     /* a server: a ClientHello returned the cookie for its peer */
  /* strip_stale_cookie: the ClientHello being assembled (message_seq
   * hello_seq, hello_len bytes) in hello, as one record, hello_have bytes of
   * its body so far; its cookie at cookie_at, cookie_len bytes. passed_seq:
   * a later fragment of that message went to OpenSSL as it was (out of
   * order), so OpenSSL assembles that message itself. */
  int assembling, passed_valid;
  uint16_t hello_seq, passed_seq;
  uint32_t hello_len, hello_have, cookie_at, cookie_len;
  uint8_t hello[HELLO_MAX];
};

/* Records why c failed: `what`, and OpenSSL's reason when it has one. */
static dtls_state failed(dtls_conn *c, const char *what) {
  unsigned long e = ERR_peek_last_error();
  if (e) {
    char reason[64];
    ERR_error_string_n(e, reason, sizeof reason);
    snprintf(c->failure, sizeof c->failure, "%s: %s", what, reason);
  } else {
    snprintf(c->failure, sizeof c->failure, "%s", what);
  }
  return DTLS_FAILED;
}

/* ---- certificate ---- */

static int fill_certificate(X509 *x, EVP_PKEY *key) {
  uint8_t serial[8];
  BIGNUM *bn = NULL;
  X509_NAME *name = NULL;
  int ok = 0;
  if (RAND_bytes(serial, sizeof serial) != 1) goto out;
  serial[0] &= 0x7f; /* positive */
  serial[0] |= 0x01; /* and never zero */
  bn = BN_bin2bn(serial, sizeof serial, NULL);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) goto out;
  if (X509_set_version(x, X509_VERSION_3) != 1) goto out;
  name = X509_NAME_new();
  if (!name ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sealroom", -1,
                                  -1, 0))
    goto out;
  if (X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1) goto out;
  if (!X509_gmtime_adj(X509_getm_notBefore(x), CERT_NOT_BEFORE_S) ||
      !X509_gmtime_adj(X509_getm_notAfter(x), CERT_LIFETIME_S))
    goto out;
  if (X509_set_pubkey(x, key) != 1) goto out;
  if (X509_sign(x, key, EVP_sha256()) <= 0) goto out;
  ok = 1;
out:
  X509_NAME_free(name);
  BN_free(bn);
  return ok;
}

static int cert_verify_cb(X509_STORE_CTX *store, void *arg);

/* The cookie key: made once per process (cookies live for one handshake). */
#define COOKIE_LEN 32
static uint8_t cookie_key[32];
static int cookie_key_ok;
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;
static void make_cookie_key(void) { cookie_key_ok = RAND_bytes(cookie_key, sizeof cookie_key) == 1; }

/* HMAC-SHA256(cookie key, the connection's peer address). */
static int cookie_of(const struct dtls_conn *c, uint8_t out[COOKIE_LEN]) {
  unsigned len = 0;
  if (!c || pthread_once(&cookie_once, make_cookie_key) != 0 || !cookie_key_ok) return 0;
  return HMAC(EVP_sha256(), cookie_key, sizeof cookie_key, c->peer, c->peer_len, out, &len) && len == COOKIE_LEN;
}

/* 1 if cookie is the one for c's peer address now. */
static int cookie_valid(const struct dtls_conn *c, const uint8_t *cookie, size_t cookie_len) {
  uint8_t want[COOKIE_LEN];
  int ok = cookie_len == COOKIE_LEN && cookie_of(c, want) && CRYPTO_memcmp(want, cookie, COOKIE_LEN) == 0;
  OPENSSL_cleanse(want, sizeof want);
  return ok;
}

static int cookie_generate_cb(SSL *ssl, unsigned char *cookie, unsigned int *cookie_len) {
  if (!cookie_of(SSL_get_app_data(ssl), cookie)) return 0;
  *cookie_len = COOKIE_LEN;
  return 1;
}

static int cookie_verify_cb(SSL *ssl, const unsigned char *cookie, unsigned int cookie_len) {
  struct dtls_conn *c = SSL_get_app_data(ssl);
  int ok = cookie_valid(c, cookie, cookie_len);
  if (ok && c) c->cookie_ok = 1;
  return ok;
}

/* What strip_stale_cookie says to do with a datagram. */
typedef enum { HELLO_AS_IS, HELLO_REWRITTEN, HELLO_HELD } hello_action;

/* RFC 6347 4.2.1: a ClientHello whose cookie is not valid is answered as one
 * without a cookie, with a new HelloVerifyRequest. OpenSSL's server instead
 * fails the handshake ("cookie mismatch"), and honest peers send such
 * ClientHellos: the cookie binds the ICE-selected address, and a browser's
 * ICE agent may nominate another candidate pair between its two ClientHellos
 * (Firefox did in about one join in five on a loaded machine; the page then
 * had to join again, and sometimes failed again). So until a cookie was
 * accepted, a ClientHello whose cookie is not the one for the peer's address
 * now reaches OpenSSL without it; and a ClientHello in fragments (browsers
 * send theirs so: a post-quantum key share) reaches it whole, since after a
 * fragmented first one OpenSSL numbers its next HelloVerifyRequest as if it
 * were the first, which clients ignore. Fragments that come in order (first
 * fragment first) are assembled in c->hello (HELLO_HELD until the message is
 * whole); then the cookie is checked against the address selected now, cut
 * out if stale, and the message, one record, is what OpenSSL reads
 * (HELLO_REWRITTEN, *out_len bytes). OpenSSL then sends a new
 * HelloVerifyRequest to the address selected now; the certificate flight is
 * first sent only to an address that returned its own cookie (its
 * retransmissions follow the selected address: docs/security.md). Anything
 * else is read as it is (HELLO_AS_IS): not one record of epoch 0 holding a
 * ClientHello fragment, a whole ClientHello with no stale cookie, a message
 * whose later fragment came first (OpenSSL assembles it, as before). */
static hello_action strip_stale_cookie(dtls_conn *c, const uint8_t *in, size_t len, size_t *out_len) {
  enum { REC = 13, HS = 12, HELLO_FIXED = 2 + 32 };
  if (!c->is_server || c->cookie_ok || len < REC + HS) return HELLO_AS_IS;
  if (in[0] != 22 || get_be16(in + 3) != 0) return HELLO_AS_IS; /* handshake record, epoch 0 */
  size_t rec_len = get_be16(in + 11);
  if (len != REC + rec_len || in[REC] != 1) return HELLO_AS_IS; /* one record holding a ClientHello fragment */
  uint32_t msg_len = get_be24(in + REC + 1), off = get_be24(in + REC + 6), frag_len = get_be24(in + REC + 9);
  uint16_t seq = get_be16(in + REC + 4);
  if (rec_len != HS + frag_len || off > msg_len || frag_len > msg_len - off) return HELLO_AS_IS;
  const uint8_t *body = in + REC + HS;
  if (off > 0) { /* a later fragment */
    if (!c->assembling || seq != c->hello_seq || msg_len != c->hello_len || off > c->hello_have) {
      c->passed_valid = 1; /* OpenSSL gets it, and will assemble this message itself */
      c->passed_seq = seq;
      return HELLO_AS_IS;
    }
    if (off + frag_len > c->hello_have) { /* the new bytes only: those before hello_have are kept */
      memcpy(c->hello + REC + HS + c->hello_have, body + (c->hello_have - off), off + frag_len - c->hello_have);
      c->hello_have = off + frag_len;
    }
  } else {
    if (c->passed_valid && c->passed_seq == seq) return HELLO_AS_IS;
    size_t at = HELLO_FIXED; /* the session id's length */
    if (at >= frag_len) return HELLO_AS_IS;
    at += 1 + (size_t)body[at];
    if (at >= frag_len) return HELLO_AS_IS;
    size_t cookie_len = body[at]; /* the cookie's length */
    if (at + 1 + cookie_len > frag_len || REC + HS + (size_t)msg_len > sizeof c->hello) return HELLO_AS_IS;
    if (frag_len == msg_len && (cookie_len == 0 || cookie_valid(c, body + at + 1, cookie_len)))
      return HELLO_AS_IS; /* whole, and nothing to cut */
    memcpy(c->hello, in, REC + HS + frag_len);
    c->assembling = 1;
    c->hello_seq = seq;
    c->hello_len = msg_len;
    c->hello_have = frag_len;
    c->cookie_at = (uint32_t)at;
    c->cookie_len = (uint32_t)cookie_len;
  }
  if (c->hello_have < c->hello_len) return HELLO_HELD;
  /* Whole: cut the cookie out if it is not the one for the address now. */
  c->assembling = 0;
  uint8_t *msg = c->hello + REC + HS;
  uint32_t whole = c->hello_len;
  if (c->cookie_len > 0 && !cookie_valid(c, msg + c->cookie_at + 1, c->cookie_len)) {
    uint32_t rest = c->cookie_at + 1 + c->cookie_len;
    memmove(msg + c->cookie_at + 1, msg + rest, whole - rest);
    msg[c->cookie_at] = 0;
    whole -= c->cookie_len;
  }
  put_be16(c->hello + 11, (uint16_t)(HS + whole)); /* one record, one unfragmented message */
  put_be24(c->hello + REC + 1, whole);
  put_be24(c->hello + REC + 6, 0);
  put_be24(c->hello + REC + 9, whole);
  *out_len = REC + HS + whole;
  return HELLO_REWRITTEN;
}

static SSL_CTX *make_ctx(X509 *x, EVP_PKEY *key) {
  SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
  if (!ctx) return NULL;
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1 ||
      SSL_CTX_set1_groups_list(ctx, GROUPS) != 1) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  /* No session resumption (every transport is new), no renegotiation, and
   * the MTU is ours: OpenSSL must not ask the BIO for one. */
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU |
                               SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  SSL_CTX_set_cert_verify_callback(ctx, cert_verify_cb, NULL);
  SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate_cb);
  SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify_cb);
  return ctx;
}

dtls_cert *dtls_cert_generate(void) {
  dtls_cert *c = calloc(1, sizeof *c);
  unsigned fp_len = 0;
  if (!c) return NULL;
  c->key = EVP_EC_gen("P-256");
  c->x509 = X509_new();
  if (!c->key || !c->x509 || !fill_certificate(c->x509, c->key)) goto fail;
  if (X509_digest(c->x509, EVP_sha256(), c->fp, &fp_len) != 1 || fp_len != sizeof c->fp)
    goto fail;
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < sizeof c->fp; i++) {
    c->fp_text[i * 3] = hex[c->fp[i] >> 4];
    c->fp_text[i * 3 + 1] = hex[c->fp[i] & 15];
    c->fp_text[i * 3 + 2] = i + 1 < sizeof c->fp ? ':' : '\0';
  }
  c->ctx = make_ctx(c->x509, c->key);
  if (!c->ctx) goto fail;
  ERR_clear_error();
  return c;
fail:
  ERR_clear_error();
  dtls_cert_free(c);
  return NULL;
}

void dtls_cert_free(dtls_cert *c) {
  if (!c) return;
  SSL_CTX_free(c->ctx);
  X509_free(c->x509);
  EVP_PKEY_free(c->key);
  free(c);
}

const char *dtls_cert_fingerprint(const dtls_cert *c) { return c->fp_text; }

const uint8_t *dtls_cert_fingerprint_raw(const dtls_cert *c) { return c->fp; }

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

int dtls_fingerprint_parse(const char *text, size_t len, uint8_t out[32]) {
  uint8_t tmp[32];
  if (!text || len != DTLS_FINGERPRINT_TEXT_LEN) return -1;
  for (size_t i = 0; i < sizeof tmp; i++) {
    int hi = hex_value(text[i * 3]), lo = hex_value(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return -1;
    if (i + 1 < sizeof tmp && text[i * 3 + 2] != ':') return -1;
    tmp[i] = (uint8_t)(hi << 4 | lo);
  }
  memcpy(out, tmp, sizeof tmp);
  return 0;
}

/* ---- the datagram BIO ---- */

static void flush_out(dtls_conn *c) {
  if (c->out_len == 0) return;
  size_t n = c->out_len;
  c->out_len = 0;
  c->send(c->send_ctx, c->out, n);
}

static int bio_write(BIO *b, const char *data, int len) {
  dtls_conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  if (!c) return len; /* connection being freed: drop */
  size_t n = (size_t)len;
  if (c->out_len + n > sizeof c->out) flush_out(c);
  if (n > sizeof c->out) {
    /* A record larger than our MTU (never a handshake record: those are
     * fragmented to fit): send it as its own datagram. */
    c->send(c->send_ctx, (const uint8_t *)data, n);
    return len;
  }
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
  return len;
}

static int bio_read(BIO *b, char *buf, int size) {
  dtls_conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (!c || !c->in || size <= 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  /* One whole datagram per read; a datagram larger than OpenSSL's buffer is
   * truncated, as a datagram socket would. */
  size_t n = c->in_len < (size_t)size ? c->in_len : (size_t)size;
  memcpy(buf, c->in, n);
  c->in = NULL;
  c->in_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  dtls_conn *c = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    if (c) flush_out(c);
    return 1;
  case BIO_CTRL_WPENDING:
    return c ? (long)c->out_len : 0;
  case BIO_CTRL_PENDING:
    return c && c->in ? (long)c->in_len : 0;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return DTLS_MTU;
  default:
    return 0; /* peer addresses, timeouts, SCTP, kTLS: not ours */
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_method_once = PTHREAD_ONCE_INIT;

/* Made once per process and never freed: BIOs of every thread use it. */
static void make_bio_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealroom-dtls");
  if (!m) return;
  if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return;
  }
  bio_method = m;
}

/* ---- OpenSSL callbacks ---- */

static int peer_matches(X509 *peer, const uint8_t fp[32]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!peer || X509_digest(peer, EVP_sha256(), md, &n) != 1 || n != 32) return 0;
  return CRYPTO_memcmp(md, fp, 32) == 0;
}

/* Replaces chain verification: WebRTC certificates are self-signed and
 * authenticated only by the fingerprint signalled in the SDP. Returning 0
 * makes OpenSSL send a fatal bad_certificate alert. */
static int cert_verify_cb(X509_STORE_CTX *store, void *arg) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  dtls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!c || !peer_matches(X509_STORE_CTX_get0_cert(store), c->remote_fp)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

/* Next retransmission timeout in microseconds: the initial value, then
 * doubling up to the maximum. */
static unsigned int timer_cb(SSL *ssl, unsigned int previous_us) {
  const dtls_conn *c = SSL_get_app_data(ssl);
  if (!c) return DEFAULT_INITIAL_TIMEOUT_MS * 1000u;
  if (previous_us == 0) return c->initial_timeout_us;
  if (previous_us >= c->max_timeout_us / 2) return c->max_timeout_us;
  return previous_us * 2;
}

/* ---- connection ---- */

dtls_conn *dtls_conn_new_ex(const dtls_cert *cert, const uint8_t remote_fp[32], int is_server,
                            const dtls_options *opt, dtls_send_fn send, void *ctx) {
  if (!cert || !remote_fp || !send) return NULL;
  if (pthread_once(&bio_method_once, make_bio_method) != 0 || !bio_method) return NULL;
  dtls_options o = {0};
  if (opt) o = *opt;
  if (!o.srtp_profiles) o.srtp_profiles = DTLS_SRTP_PROFILES;
  if (!o.initial_timeout_ms) o.initial_timeout_ms = DEFAULT_INITIAL_TIMEOUT_MS;
  if (!o.max_timeout_ms) o.max_timeout_ms = DEFAULT_MAX_TIMEOUT_MS;
  if (!o.max_retransmits) o.max_retransmits = DEFAULT_MAX_RETRANSMITS;
  if (o.max_timeout_ms > MAX_TIMEOUT_MS) o.max_timeout_ms = MAX_TIMEOUT_MS;
  if (o.max_timeout_ms < MIN_TIMEOUT_MS) o.max_timeout_ms = MIN_TIMEOUT_MS;
  if (o.initial_timeout_ms < MIN_TIMEOUT_MS) o.initial_timeout_ms = MIN_TIMEOUT_MS;
  if (o.initial_timeout_ms > o.max_timeout_ms) o.initial_timeout_ms = o.max_timeout_ms;

  dtls_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->state = DTLS_HANDSHAKING;
  c->is_server = is_server ? 1 : 0;
  memcpy(c->remote_fp, remote_fp, sizeof c->remote_fp);
  c->send = send;
  c->send_ctx = ctx;
  c->initial_timeout_us = o.initial_timeout_ms * 1000u;
  c->max_timeout_us = o.max_timeout_ms * 1000u;
  c->max_retransmits = o.max_retransmits;

  ERR_clear_error();
  c->ssl = SSL_new(cert->ctx);
  if (!c->ssl) goto fail;
  SSL_set_app_data(c->ssl, c);
  /* SSL_set_tlsext_use_srtp returns 0 on success. */
  if (SSL_set_tlsext_use_srtp(c->ssl, o.srtp_profiles) != 0) goto fail;
  if (SSL_set_mtu(c->ssl, DTLS_MTU) <= 0) goto fail;
  DTLS_set_timer_cb(c->ssl, timer_cb);
  c->bio = BIO_new(bio_method);
  if (!c->bio) goto fail;
  BIO_set_data(c->bio, c);
  SSL_set_bio(c->ssl, c->bio, c->bio); /* one reference, owned by ssl */

  if (c->is_server) {
    SSL_set_options(c->ssl, SSL_OP_COOKIE_EXCHANGE); /* HelloVerifyRequest first */
    SSL_set_accept_state(c->ssl);
  } else {
    SSL_set_connect_state(c->ssl);
    int r = SSL_do_handshake(c->ssl); /* sends the ClientHello */
    if (r <= 0 && SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) goto fail;
    flush_out(c);
  }
  ERR_clear_error();
  return c;
fail:
  ERR_clear_error();
  dtls_conn_free(c);
  return NULL;
}

dtls_conn *dtls_conn_new_server(const dtls_cert *cert, const uint8_t remote_fp[32],
                                dtls_send_fn send, void *ctx) {
  return dtls_conn_new_ex(cert, remote_fp, 1, NULL, send, ctx);
}

dtls_conn *dtls_conn_new_client(const dtls_cert *cert, const uint8_t remote_fp[32],
                                dtls_send_fn send, void *ctx) {
  return dtls_conn_new_ex(cert, remote_fp, 0, NULL, send, ctx);
}

void dtls_conn_free(dtls_conn *c) {
  if (!c) return;
  if (c->bio) BIO_set_data(c->bio, NULL); /* nothing may reach send any more */
  SSL_free(c->ssl);                       /* frees the BIO */
  free(c);
}

dtls_state dtls_conn_state(const dtls_conn *c) { return c->state; }

const char *dtls_conn_failure(const dtls_conn *c) {
  return c->state == DTLS_FAILED && c->failure[0] ? c->failure : "";
}

srtp_profile_id dtls_conn_srtp_profile(const dtls_conn *c) {
  return c->state == DTLS_CONNECTED ? c->profile : SRTP_PROFILE_NONE;
}

/* The handshake finished: insist on an SRTP profile and re-check the peer
 * certificate (the verify callback already did; this costs one hash). */
static dtls_state on_handshake_done(dtls_conn *c) {
  const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
  if (!p) return failed(c, "no SRTP profile");
  if (p->id == SRTP_AEAD_AES_128_GCM)
    c->profile = SRTP_PROFILE_AEAD_AES_128_GCM;
  else if (p->id == SRTP_AES128_CM_SHA1_80)
    c->profile = SRTP_PROFILE_AES128_CM_SHA1_80;
  else
    return failed(c, "unknown SRTP profile");
  if (!peer_matches(SSL_get0_peer_certificate(c->ssl), c->remote_fp)) return failed(c, "certificate fingerprint");
  return DTLS_CONNECTED;
}

static dtls_state handshake_step(dtls_conn *c) {
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) return on_handshake_done(c);
  switch (SSL_get_error(c->ssl, r)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return DTLS_HANDSHAKING;
  case SSL_ERROR_ZERO_RETURN:
    return DTLS_CLOSED;
  default:
    return failed(c, "handshake");
  }
}

/* After the handshake: process what the datagram holds (a retransmitted
 * Finished, alerts, application data which is discarded). */
static dtls_state read_records(dtls_conn *c) {
  uint8_t scratch[2048];
  for (int i = 0; i < MAX_READS_PER_INPUT; i++) {
    int r = SSL_read(c->ssl, scratch, sizeof scratch);
    if (r > 0) continue;
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return DTLS_CONNECTED;
    case SSL_ERROR_ZERO_RETURN:
      SSL_shutdown(c->ssl); /* answer close_notify with ours */
      return DTLS_CLOSED;
    default:
      return failed(c, "after the handshake");
    }
  }
  return DTLS_CONNECTED;
}

dtls_state dtls_conn_input(dtls_conn *c, const uint8_t *data, size_t len, uint64_t now_ms) {
  if (c->state != DTLS_HANDSHAKING && c->state != DTLS_CONNECTED) return c->state;
  if (!data || len == 0 || data[0] < 20 || data[0] > 63) return c->state;
  ERR_clear_error();
  c->in = data;
  c->in_len = len;
  if (c->state == DTLS_HANDSHAKING) {
    size_t rewritten = 0;
    hello_action a = strip_stale_cookie(c, data, len, &rewritten);
    if (a == HELLO_HELD) { /* the rest of a ClientHello being rewritten is to come */
      c->in = NULL;
      c->in_len = 0;
      return c->state;
    }
    if (a == HELLO_REWRITTEN) {
      c->in = c->hello;
      c->in_len = rewritten;
    }
    OSSL_HANDSHAKE_STATE before = SSL_get_state(c->ssl);
    c->state = handshake_step(c);
    if (SSL_get_state(c->ssl) != before) c->retransmits = 0; /* progress */
  }
  /* Also right after connecting: records may follow the Finished. */
  if (c->state == DTLS_CONNECTED) c->state = read_records(c);
  c->in = NULL; /* an unread remainder (never expected) is dropped */
  c->in_len = 0;
  flush_out(c);
  ERR_clear_error();
  return c->state;
}

dtls_state dtls_conn_on_timer(dtls_conn *c, uint64_t now_ms) {
  struct timeval tv;
  if (c->state != DTLS_HANDSHAKING && c->state != DTLS_CONNECTED) return c->state;
  ERR_clear_error();
  /* OpenSSL reports less than 15 ms left as 0: due. */
  if (DTLSv1_get_timeout(c->ssl, &tv) != 1 || tv.tv_sec != 0 || tv.tv_usec != 0)
    return c->state; /* no timer, or called early: nothing to do */
  if (c->retransmits >= c->max_retransmits) {
    c->state = failed(c, "no answer to retransmissions");
    return c->state;
  }
  int r = DTLSv1_handle_timeout(c->ssl);
  if (r > 0) c->retransmits++;
  if (r < 0) c->state = failed(c, "retransmission");
  flush_out(c);
  ERR_clear_error();
  return c->state;
}

uint64_t dtls_conn_next_timeout(const dtls_conn *c, uint64_t now_ms) {
  struct timeval tv;
  if (c->state != DTLS_HANDSHAKING && c->state != DTLS_CONNECTED) return 0;
  if (DTLSv1_get_timeout(c->ssl, &tv) != 1) return 0;
  uint64_t ms = (uint64_t)tv.tv_sec * 1000u + ((uint64_t)tv.tv_usec + 999u) / 1000u;
  uint64_t deadline = now_ms + ms;
  return deadline ? deadline : 1; /* 0 means "none" */
}

int dtls_conn_srtp_keys(dtls_conn *c, srtp_keys *out) {
  uint8_t m[2 * (16 + 14)];
  memset(out, 0, sizeof *out);
  if (c->state != DTLS_CONNECTED || c->profile == SRTP_PROFILE_NONE) return -1;
  const size_t key_len = 16;
  const size_t salt_len = c->profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
  const size_t total = 2 * (key_len + salt_len);
  ERR_clear_error();
  if (SSL_export_keying_material(c->ssl, m, total, EXPORTER_LABEL, strlen(EXPORTER_LABEL), NULL,
                                 0, 0) != 1) {
    OPENSSL_cleanse(m, sizeof m);
    ERR_clear_error();
    return -1;
  }
  /* RFC 5764 4.2: client key | server key | client salt | server salt */
  const uint8_t *client_key = m, *server_key = m + key_len;
  const uint8_t *client_salt = m + 2 * key_len, *server_salt = client_salt + salt_len;
  const uint8_t *lk = c->is_server ? server_key : client_key;
  const uint8_t *ls = c->is_server ? server_salt : client_salt;
  const uint8_t *rk = c->is_server ? client_key : server_key;
  const uint8_t *rs = c->is_server ? client_salt : server_salt;
  out->profile = c->profile;
  out->key_len = key_len;
  out->salt_len = salt_len;
  memcpy(out->local_key, lk, key_len);
  memcpy(out->local_salt, ls, salt_len);
  memcpy(out->remote_key, rk, key_len);
  memcpy(out->remote_salt, rs, salt_len);
  OPENSSL_cleanse(m, sizeof m);
  return 0;
}

void dtls_conn_close(dtls_conn *c) {
  if (c->state == DTLS_CONNECTED) {
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    flush_out(c);
    ERR_clear_error();
  }
  if (c->state == DTLS_HANDSHAKING || c->state == DTLS_CONNECTED) c->state = DTLS_CLOSED;
}

void dtls_conn_set_peer(dtls_conn *c, const void *peer, size_t len) {
  if (!c) return;
  c->peer_len = len < sizeof c->peer ? len : sizeof c->peer;
  memcpy(c->peer, peer, c->peer_len);
}
