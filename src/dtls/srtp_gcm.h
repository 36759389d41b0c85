/* SRTP and SRTCP with AEAD_AES_128_GCM (RFC 7714) on OpenSSL's EVP AES-GCM,
 * for one direction of one transport: either the outbound side (packets we
 * protect) or the inbound side (packets we unprotect). srtp.c builds one of
 * each per srtp_pair when the GCM profile is negotiated (unless the libsrtp
 * backend is chosen); see srtp.h for the buffer contracts this follows.
 *
 * What is here (the protocol logic; the crypto is OpenSSL's):
 * - session keys from the DTLS-SRTP master key and salt with the AES-CM PRF
 *   of RFC 3711 section 4.3 (key derivation rate 0; labels 0x00/0x02 for
 *   SRTP, 0x03/0x05 for SRTCP; 12-byte session salts, RFC 7714 section 11);
 * - SRTP: IV = salt XOR (0, SSRC, ROC, SEQ) (RFC 7714 8.1), the whole RTP
 *   header with CSRCs and extension as AAD (8.2), a 16-byte tag appended;
 *   the 48-bit index from the sequence number as in RFC 3711 3.3.1 and
 *   appendix A (the same estimate as libsrtp, so both agree on a first
 *   packet and across a sequence-number wrap);
 * - SRTCP: IV = salt XOR (0, SSRC, 0, index) (9.1), AAD = the first 8 bytes
 *   and the E-flag/31-bit index word (9.2); tag then that word appended. An
 *   inbound packet with E = 0 (authenticated only) is accepted, as libsrtp does;
 * - per-SSRC replay windows of SR_GCM_REPLAY_WINDOW indices, updated only
 *   after a packet authenticates. The outbound side keeps one too: an index
 *   already protected may be protected again only with the same bytes (a
 *   NACKed packet resent unchanged: the same tag, checked against the tag
 *   kept for that index; other bytes are wiped and refused with
 *   replay_fail), one older than the window is refused, because GCM must
 *   never see an IV twice with different plaintexts.
 *
 * Errors are the negative libsrtp statuses srtp.h documents (so callers see
 * the same codes whichever backend runs): -srtp_err_status_auth_fail,
 * -replay_fail, -replay_old, -parse_err (a header that does not fit),
 * -key_expired (index space used up), -cipher_fail, -alloc_fail, -bad_param.
 *
 * Memory: per-SSRC state is made by sr_gcm_add_ssrc() or by the first packet
 * of an SSRC (outbound: one allocation when the table grows; inbound: the
 * table is sized at creation for max_ssrcs, and a stream is only added once
 * a packet of it authenticates). Nothing else allocates per packet.
 * Threading: an sr_gcm belongs to one thread. */
#ifndef SEALROOM_SRTP_GCM_H
#define SEALROOM_SRTP_GCM_H

#include <stddef.h>
#include <stdint.h>

#define SR_GCM_KEY_LEN 16
#define SR_GCM_SALT_LEN 12
#define SR_GCM_TAG_LEN 16
#define SR_GCM_REPLAY_WINDOW 1024 /* indices, a multiple of 64 */

/* RFC 3711 section 4.3.1 with key_derivation_rate 0 (r = 0): out_len bytes
 * of AES-128-CM keystream under master_key, from the block
 * (label at byte 7 XOR master salt, left-aligned in 14 bytes) || 0x0000.
 * salt_len is 12 (GCM) or 14 (AES-CM profiles); out_len at most 16 * 65536.
 * 0 or -1. */
int sr_gcm_kdf(const uint8_t master_key[SR_GCM_KEY_LEN], const uint8_t *master_salt,
               size_t salt_len, uint8_t label, uint8_t *out, size_t out_len);

/* Session keys of one direction. Wipe with OPENSSL_cleanse. */
typedef struct {
  uint8_t rtp_key[SR_GCM_KEY_LEN], rtp_salt[SR_GCM_SALT_LEN];
  uint8_t rtcp_key[SR_GCM_KEY_LEN], rtcp_salt[SR_GCM_SALT_LEN];
} sr_gcm_keys;

/* The four session keys from a 16-byte master key and 12-byte master salt.
 * 0 or -1 (then *out is zeroed). */
int sr_gcm_derive(const uint8_t master_key[SR_GCM_KEY_LEN],
                  const uint8_t master_salt[SR_GCM_SALT_LEN], sr_gcm_keys *out);

typedef struct sr_gcm sr_gcm;

/* outbound: for protect (any number of SSRCs; max_ssrcs is ignored);
 * otherwise for unprotect, with room for max_ssrcs SSRCs (1..4096), made
 * now. Copies what it needs of k (the caller wipes k). NULL on failure. */
sr_gcm *sr_gcm_new(const sr_gcm_keys *k, int outbound, size_t max_ssrcs);
void sr_gcm_free(sr_gcm *g); /* wipes; NULL is ok */

/* Makes state for ssrc now; an SSRC that has state keeps it. 0, or
 * -srtp_err_status_alloc_fail (inbound: the table is full). */
int sr_gcm_add_ssrc(sr_gcm *g, uint32_t ssrc);
int sr_gcm_has_ssrc(const sr_gcm *g, uint32_t ssrc); /* 1 or 0 */

/* In place, as srtp.h describes. protect needs cap - *len >= 16 (RTP) or
 * 20 (RTCP) and *len >= 12 (RTP) or 8 (RTCP); *len at most 65536. An
 * unprotect failure leaves *len unchanged and all state as it was. */
int sr_gcm_protect_rtp(sr_gcm *g, uint8_t *pkt, size_t *len, size_t cap);
int sr_gcm_unprotect_rtp(sr_gcm *g, uint8_t *pkt, size_t *len);
int sr_gcm_protect_rtcp(sr_gcm *g, uint8_t *pkt, size_t *len, size_t cap);
int sr_gcm_unprotect_rtcp(sr_gcm *g, uint8_t *pkt, size_t *len);

/* Tests: the next SRTCP index an outbound stream will use (1 after
 * creation), to reproduce a vector at a given index. Creates the stream if
 * needed. 0 or a negative status. */
int sr_gcm_set_rtcp_index(sr_gcm *g, uint32_t ssrc, uint32_t next_index);

#endif
