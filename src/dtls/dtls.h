/* DTLS 1.2 for the SFU's media transports (RFC 6347, DTLS-SRTP RFC 5764,
 * fingerprint pinning RFC 8122 / RFC 8827). OpenSSL 3 does the protocol; this
 * module feeds it datagrams through an in-memory BIO (no sockets), drives its
 * retransmission timer from the caller's event loop, checks the peer's
 * certificate against the fingerprint from its SDP and exports the SRTP keys.
 *
 * Threading: a dtls_cert is immutable after dtls_cert_generate() and may be
 * shared by every media worker; a dtls_conn belongs to one thread.
 * Allocation: connections allocate (OpenSSL does) during the handshake; none
 * of this is on the per-RTP-packet path. */
#ifndef SEALROOM_DTLS_H
#define SEALROOM_DTLS_H

#include <stddef.h>
#include <stdint.h>

/* Largest datagram this module sends during the handshake (bytes of UDP
 * payload). Handshake messages are fragmented to fit. */
#define DTLS_MTU 1200

/* Length of dtls_cert_fingerprint()'s text without its NUL: 32 bytes as
 * "AB:CD:..." (uppercase hex, colon separated). */
#define DTLS_FINGERPRINT_TEXT_LEN 95

/* ---- certificate ---- */

typedef struct dtls_cert dtls_cert;

/* Generates an ECDSA P-256 key and a self-signed X.509 v3 certificate
 * (CN "sealroom", random 64-bit serial, valid from one hour ago for 30 days,
 * signed with SHA-256). Returns NULL on failure. */
dtls_cert *dtls_cert_generate(void);

/* Frees the certificate. Connections created from it keep what they need
 * (OpenSSL reference counts), so it may be freed before them. NULL is ok. */
void dtls_cert_free(dtls_cert *c);

/* "AB:CD:..." SHA-256 of the certificate's DER, for a=fingerprint:sha-256.
 * Lives as long as c. */
const char *dtls_cert_fingerprint(const dtls_cert *c);

/* The same 32 bytes, raw. Lives as long as c. */
const uint8_t *dtls_cert_fingerprint_raw(const dtls_cert *c);

/* Parses the value of an SDP "a=fingerprint:sha-256 <value>" (only the value,
 * text[0..len), not NUL-terminated): exactly 32 colon-separated hex pairs,
 * either case, nothing else (no spaces). Returns 0 and fills out, or -1. */
int dtls_fingerprint_parse(const char *text, size_t len, uint8_t out[32]);

/* ---- connection ---- */

typedef struct dtls_conn dtls_conn;

/* Called once per outgoing datagram, synchronously from inside the dtls_conn_*
 * call that produced it (including dtls_conn_new_client). data is valid only
 * during the call. The callback must not call dtls_conn_* on the same
 * connection. */
typedef void (*dtls_send_fn)(void *ctx, const uint8_t *data, size_t len);

typedef enum { DTLS_HANDSHAKING = 0, DTLS_CONNECTED, DTLS_FAILED, DTLS_CLOSED } dtls_state;

/* Tuning; zero fields take the defaults. */
typedef struct {
  /* OpenSSL profile list, ':' separated. Default (DTLS_SRTP_PROFILES):
   * "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80". A server picks the first
   * of its own list that the client offered. */
  const char *srtp_profiles;
  /* First retransmission timeout; doubles after each retransmission up to
   * max_timeout_ms. Defaults 500 and 8000; both are kept within 20..60000. */
  unsigned initial_timeout_ms;
  unsigned max_timeout_ms;
  /* Retransmissions without progress before DTLS_FAILED. Default 5. */
  unsigned max_retransmits;
} dtls_options;

#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* Server-side connection (the SFU is always a=setup:passive). remote_fp: the
 * SHA-256 fingerprint (32 bytes) from the peer's SDP; the peer must present a
 * certificate whose DER hashes to it. send is called for every outgoing
 * datagram. Nothing is sent until the first dtls_conn_input. NULL on failure. */
dtls_conn *dtls_conn_new_server(const dtls_cert *cert, const uint8_t remote_fp[32],
                                dtls_send_fn send, void *ctx);

/* Client side, for tests and a future native client: sends the ClientHello
 * (through send) before returning. */
dtls_conn *dtls_conn_new_client(const dtls_cert *cert, const uint8_t remote_fp[32],
                                dtls_send_fn send, void *ctx);

/* Either side with options (opt may be NULL). */
dtls_conn *dtls_conn_new_ex(const dtls_cert *cert, const uint8_t remote_fp[32], int is_server,
                            const dtls_options *opt, dtls_send_fn send, void *ctx);

/* Server side: the address the peer's datagrams come from and ours go to,
 * which the HelloVerifyRequest cookie binds (a ClientHello returning a cookie
 * made for another address is answered with a new HelloVerifyRequest, not
 * with the certificate flight). Any bytes naming the address; at most 32 used. */
void dtls_conn_set_peer(dtls_conn *c, const void *peer, size_t len);

/* Frees without sending anything (call dtls_conn_close first for a polite
 * close_notify). NULL is ok. */
void dtls_conn_free(dtls_conn *c);

/* Feeds one received datagram (first byte 20..63; others are ignored).
 * Returns the new state. After DTLS_CONNECTED, further records are handled
 * too: a retransmitted Finished makes the server resend its last flight,
 * close_notify gives DTLS_CLOSED, application data is discarded. Invalid
 * records are dropped as RFC 6347 asks; a fatal alert (received or sent,
 * e.g. fingerprint mismatch, no common SRTP profile) gives DTLS_FAILED.
 * In DTLS_FAILED and DTLS_CLOSED input is ignored. now_ms is the caller's
 * monotonic clock in milliseconds. */
dtls_state dtls_conn_input(dtls_conn *c, const uint8_t *data, size_t len, uint64_t now_ms);

/* Call when the deadline from dtls_conn_next_timeout passes: retransmits the
 * last flight; after max_retransmits retransmissions without progress gives
 * DTLS_FAILED. Calling it early is harmless (nothing is resent). */
dtls_state dtls_conn_on_timer(dtls_conn *c, uint64_t now_ms);

/* Absolute deadline (caller's clock, ms) of the retransmission timer, or 0 if
 * none is running (a server waiting for a ClientHello, a finished handshake).
 * A deadline already passed is returned as now_ms. */
uint64_t dtls_conn_next_timeout(const dtls_conn *c, uint64_t now_ms);

dtls_state dtls_conn_state(const dtls_conn *c);

/* Why c is DTLS_FAILED, for the log ("handshake: <OpenSSL's reason>",
 * "certificate fingerprint", ...); "" in any other state. */
const char *dtls_conn_failure(const dtls_conn *c);

/* ---- SRTP keying (RFC 5764 section 4.2) ---- */

typedef enum {
  SRTP_PROFILE_NONE = 0,
  SRTP_PROFILE_AES128_CM_SHA1_80,  /* RFC 5764: AES-CM, HMAC-SHA1 80-bit tag */
  SRTP_PROFILE_AEAD_AES_128_GCM    /* RFC 7714: AES-128-GCM, 16-byte tag */
} srtp_profile_id;

/* salt_len is 14 for CM, 12 for GCM (the unused tail of the arrays is 0);
 * key_len is 16 for both. Wipe with OPENSSL_cleanse after use. */
typedef struct {
  srtp_profile_id profile;
  uint8_t local_key[16], local_salt[14], remote_key[16], remote_salt[14];
  size_t key_len, salt_len;
} srtp_keys;

/* After DTLS_CONNECTED: the negotiated profile and key material, exported
 * with the "EXTRACTOR-dtls_srtp" label. local = this side's write keys (the
 * server's on a server), remote = the peer's. Returns 0, or -1 (not
 * connected, export failed); on -1 *out is zeroed. */
int dtls_conn_srtp_keys(dtls_conn *c, srtp_keys *out);

/* The negotiated profile, or SRTP_PROFILE_NONE before DTLS_CONNECTED. */
srtp_profile_id dtls_conn_srtp_profile(const dtls_conn *c);

/* Sends close_notify (if the handshake got far enough to have anything to
 * close) and moves to DTLS_CLOSED. */
void dtls_conn_close(dtls_conn *c);

#endif
