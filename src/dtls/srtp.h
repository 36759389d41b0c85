/* SRTP/SRTCP protection for one media transport (RFC 3711, AES-GCM RFC 7714):
 * one outbound and one inbound session per transport, keyed from the
 * DTLS-SRTP export (dtls_conn_srtp_keys). AES_CM_128_HMAC_SHA1_80 runs on
 * libsrtp2; AEAD_AES_128_GCM runs on our own SRTP logic over OpenSSL's
 * AES-GCM (srtp_gcm.h) unless the libsrtp backend is chosen (see
 * sr_srtp_set_backend), since Debian's libsrtp2 does GCM through NSS at
 * more than twice the cost per packet.
 *
 * The outbound session is keyed for any SSRC we send (a subscriber's
 * transport forwards many), with allow_repeat_tx so that a NACKed packet can
 * be protected again with the same sequence number. With AES-GCM (our own
 * srtp_gcm.c) a repeat must be the same bytes: other bytes at an index
 * already used are refused (replay_fail), never sealed under a used IV. The inbound session
 * accepts any SSRC the peer authenticates, with a 1024-packet replay window.
 *
 * Per-packet cost: protect/unprotect run in place on the caller's buffer and
 * do not allocate, except that libsrtp creates its per-SSRC state (one
 * allocation) the first time it sees an SSRC: call srtp_pair_add_ssrc() when
 * a track is set up to do that ahead of time. The inbound side holds at most
 * SR_SRTP_MAX_INBOUND_SSRCS SSRCs so that a peer cannot make us allocate
 * without bound; packets of further SSRCs fail with SR_SRTP_ERR_TOO_MANY_SSRCS.
 *
 * Threading: srtp_pair belongs to one thread. The header is independent of
 * libsrtp's (named sr_srtp_ and srtp_pair_ so as not to clash with it). */
#ifndef SEALROOM_SRTP_H
#define SEALROOM_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "dtls/dtls.h"

/* Room a caller must leave after a packet for protect to append its trailer:
 * RTP: 10-byte tag (AES-CM/HMAC-SHA1-80) or 16 (GCM); RTCP: those plus the
 * 4-byte E-flag/SRTCP index. No MKI is used. */
#define SR_SRTP_MAX_TRAILER 20

/* Distinct SSRCs the inbound session will accept from a peer. */
#define SR_SRTP_MAX_INBOUND_SSRCS 64

/* Our own errors (libsrtp's srtp_err_status_t values are small positive
 * numbers returned negated; these stay clear of them). */
#define SR_SRTP_ERR_ARG (-1000)            /* NULL, too short, too long, no room */
#define SR_SRTP_ERR_TOO_MANY_SSRCS (-1001) /* inbound SSRC limit reached */

/* srtp_init() once per process (safe to call from several threads; later
 * calls return the first result). 0 or -1. */
int sr_srtp_global_init(void);

/* Which implementation protects AEAD_AES_128_GCM (AES-CM always uses
 * libsrtp). Process-wide; a pair keeps the backend it was created with.
 * The default is SR_SRTP_OPENSSL; the environment variable
 * SEALROOM_SRTP_BACKEND=libsrtp, read once by sr_srtp_global_init, makes it
 * SR_SRTP_LIBSRTP unless sr_srtp_set_backend was called before. A fallback
 * and a benchmark switch (docs/operations.md). */
typedef enum { SR_SRTP_LIBSRTP = 1, SR_SRTP_OPENSSL = 2 } sr_srtp_backend;
void sr_srtp_set_backend(sr_srtp_backend b); /* other values are ignored */
sr_srtp_backend sr_srtp_get_backend(void);

typedef struct srtp_pair srtp_pair;

/* Creates the outbound session with k's local key/salt and the inbound one
 * with its remote key/salt, for k->profile. Wipes nothing of k (the caller
 * wipes); its own copies of the keys are wiped. NULL on failure (bad profile
 * or lengths, sr_srtp_global_init not called, out of memory). */
srtp_pair *srtp_pair_new(const srtp_keys *k);

void srtp_pair_free(srtp_pair *p); /* NULL is ok */

/* Creates libsrtp's state for one SSRC now, so that its first packet does not
 * allocate. outbound: for packets we protect; otherwise for packets we
 * unprotect (counts towards SR_SRTP_MAX_INBOUND_SSRCS). An SSRC that already
 * has state is left alone (its replay and rollover state must survive).
 * 0 or a negative status. */
int srtp_pair_add_ssrc(srtp_pair *p, uint32_t ssrc, int outbound);

/* All four work in place on pkt[0..*len) and update *len. Return 0, a
 * negative libsrtp status (-srtp_err_status_replay_fail, -auth_fail, ...)
 * or an SR_SRTP_ERR_* value.
 * protect: pkt must have room for the trailer after the packet: cap (the
 * buffer's size) minus *len must be at least 10 (RTP, CM), 16 (RTP, GCM),
 * 14 (RTCP, CM) or 20 (RTCP, GCM); SR_SRTP_MAX_TRAILER always suffices.
 * Nothing is written at or beyond pkt + cap. Too little room gives
 * SR_SRTP_ERR_ARG with the packet untouched; other failures leave *len
 * unchanged and the buffer must be treated as garbage.
 * unprotect: on failure *len is unchanged; the packet may have been
 * decrypted in place (GCM decrypts before it checks the tag) and must be
 * dropped. */
int srtp_pair_protect_rtp(srtp_pair *p, uint8_t *pkt, size_t *len, size_t cap);
int srtp_pair_unprotect_rtp(srtp_pair *p, uint8_t *pkt, size_t *len);
int srtp_pair_protect_rtcp(srtp_pair *p, uint8_t *pkt, size_t *len, size_t cap);
int srtp_pair_unprotect_rtcp(srtp_pair *p, uint8_t *pkt, size_t *len);

#endif
