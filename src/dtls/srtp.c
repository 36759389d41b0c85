/* SRTP glue: builds the outbound and inbound sessions of one transport from
 * DTLS-SRTP keys, on libsrtp2 (AES-CM, or GCM when that backend is chosen)
 * or on srtp_gcm.c (GCM, the default), and protects/unprotects RTP and RTCP
 * in place with explicit bounds checks (libsrtp takes an int length and
 * assumes room for its trailer). See srtp.h for the buffer contracts. */
#include "dtls/srtp.h"

#include <limits.h>
#include <nss.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "dtls/srtp_gcm.h"

#define REPLAY_WINDOW 1024 /* packets; libsrtp accepts 64..32767 */
#define KEY_LEN 16
#define MAX_KEY_SALT (KEY_LEN + 14)
#define RTP_HEADER_MIN 12
#define RTCP_HEADER_MIN 8
/* Largest packet handed to libsrtp: its lengths are int; keep clear of the
 * overflow when it adds a trailer. */
#define MAX_PACKET 65536

struct srtp_pair {
  srtp_t out, in;        /* libsrtp sessions, or NULL with gout/gin */
  sr_gcm *gout, *gin;    /* GCM on OpenSSL (srtp_gcm.h), or NULL */
  srtp_profile_id profile;
  size_t rtp_trailer, rtcp_trailer;
  /* master key || salt for each direction, to add per-SSRC streams later */
  uint8_t out_key[MAX_KEY_SALT], in_key[MAX_KEY_SALT];
  /* SSRCs the inbound session has state for (bounded: see srtp.h) */
  uint32_t in_ssrcs[SR_SRTP_MAX_INBOUND_SSRCS];
  size_t n_in_ssrcs;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;
static atomic_int backend = SR_SRTP_OPENSSL;
static atomic_int backend_chosen; /* sr_srtp_set_backend was called */

void sr_srtp_set_backend(sr_srtp_backend b) {
  if (b != SR_SRTP_LIBSRTP && b != SR_SRTP_OPENSSL) return;
  atomic_store(&backend_chosen, 1);
  atomic_store(&backend, (int)b);
}

sr_srtp_backend sr_srtp_get_backend(void) { return (sr_srtp_backend)atomic_load(&backend); }

/* Debian's libsrtp2 does AES-GCM through NSS, and opens NSS with
 * NSS_INIT_OPTIMIZESPACE, which gives the softoken's PKCS#11 session table
 * 32 hash buckets instead of 1024. Every GCM packet opens a session (a walk
 * of one bucket) and every SRTP key holds one, so with hundreds of streams
 * those walks took about 40% of the media worker's CPU (perf,
 * docs/performance.md). Opening NSS first, without that flag, sizes the
 * table for speed; libsrtp's own NSS_InitContext later shares it. With a
 * libsrtp2 built on OpenSSL this context is merely unused. Failure only
 * costs speed. */
static void do_init(void) {
  (void)NSS_InitContext("", "", "", "", NULL,
                        NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN);
  init_result = srtp_init() == srtp_err_status_ok ? 0 : -1;
  const char *env = getenv("SEALROOM_SRTP_BACKEND");
  if (env && strcmp(env, "libsrtp") == 0 && !atomic_load(&backend_chosen))
    atomic_store(&backend, SR_SRTP_LIBSRTP);
}

int sr_srtp_global_init(void) {
  if (pthread_once(&init_once, do_init) != 0) return -1;
  return init_result;
}

static int status(srtp_err_status_t s) { return s == srtp_err_status_ok ? 0 : -(int)s; }

/* ssrc_type is ssrc_any_outbound, ssrc_any_inbound or ssrc_specific. */
static void make_policy(srtp_policy_t *pol, srtp_profile_id profile, srtp_ssrc_type_t ssrc_type,
                        uint32_t ssrc, uint8_t *key, int outbound) {
  memset(pol, 0, sizeof *pol);
  if (profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
  }
  pol->ssrc.type = ssrc_type;
  pol->ssrc.value = ssrc;
  pol->key = key;
  pol->window_size = REPLAY_WINDOW;
  /* A retransmission after NACK resends the same sequence number with the
   * same payload, which libsrtp would otherwise refuse as a replay. */
  pol->allow_repeat_tx = outbound ? 1 : 0;
  pol->next = NULL;
}

srtp_pair *srtp_pair_new(const srtp_keys *k) {
  size_t salt_len;
  if (!k || k->key_len != KEY_LEN) return NULL;
  if (k->profile == SRTP_PROFILE_AEAD_AES_128_GCM)
    salt_len = SRTP_AEAD_SALT_LEN;
  else if (k->profile == SRTP_PROFILE_AES128_CM_SHA1_80)
    salt_len = SRTP_SALT_LEN;
  else
    return NULL;
  if (k->salt_len != salt_len) return NULL;
  if (sr_srtp_global_init() != 0) return NULL;

  srtp_pair *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->profile = k->profile;
  if (k->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
    p->rtp_trailer = 16;
    p->rtcp_trailer = 16 + 4;
  } else {
    p->rtp_trailer = 10;
    p->rtcp_trailer = 10 + 4;
  }
  memcpy(p->out_key, k->local_key, KEY_LEN);
  memcpy(p->out_key + KEY_LEN, k->local_salt, salt_len);
  memcpy(p->in_key, k->remote_key, KEY_LEN);
  memcpy(p->in_key + KEY_LEN, k->remote_salt, salt_len);

  if (k->profile == SRTP_PROFILE_AEAD_AES_128_GCM && sr_srtp_get_backend() == SR_SRTP_OPENSSL) {
    sr_gcm_keys sk;
    if (sr_gcm_derive(p->out_key, p->out_key + KEY_LEN, &sk) == 0)
      p->gout = sr_gcm_new(&sk, 1, 0);
    if (p->gout && sr_gcm_derive(p->in_key, p->in_key + KEY_LEN, &sk) == 0)
      p->gin = sr_gcm_new(&sk, 0, SR_SRTP_MAX_INBOUND_SSRCS);
    OPENSSL_cleanse(&sk, sizeof sk);
    /* the master keys are not needed again on this path */
    OPENSSL_cleanse(p->out_key, sizeof p->out_key);
    OPENSSL_cleanse(p->in_key, sizeof p->in_key);
    if (!p->gin) goto fail;
    return p;
  }

  srtp_policy_t pol;
  make_policy(&pol, p->profile, ssrc_any_outbound, 0, p->out_key, 1);
  if (srtp_create(&p->out, &pol) != srtp_err_status_ok) {
    p->out = NULL;
    goto fail;
  }
  make_policy(&pol, p->profile, ssrc_any_inbound, 0, p->in_key, 0);
  if (srtp_create(&p->in, &pol) != srtp_err_status_ok) {
    p->in = NULL;
    goto fail;
  }
  return p;
fail:
  srtp_pair_free(p);
  return NULL;
}

void srtp_pair_free(srtp_pair *p) {
  if (!p) return;
  if (p->out) srtp_dealloc(p->out); /* libsrtp wipes its key schedules */
  if (p->in) srtp_dealloc(p->in);
  sr_gcm_free(p->gout);
  sr_gcm_free(p->gin);
  OPENSSL_cleanse(p, sizeof *p);
  free(p);
}

static int known_inbound(const srtp_pair *p, uint32_t ssrc) {
  for (size_t i = 0; i < p->n_in_ssrcs; i++)
    if (p->in_ssrcs[i] == ssrc) return 1;
  return 0;
}

int srtp_pair_add_ssrc(srtp_pair *p, uint32_t ssrc, int outbound) {
  srtp_policy_t pol;
  uint32_t roc;
  if (!p) return SR_SRTP_ERR_ARG;
  srtp_t s = outbound ? p->out : p->in;
  if (!outbound) {
    if (known_inbound(p, ssrc)) return 0;
    if (p->n_in_ssrcs == SR_SRTP_MAX_INBOUND_SSRCS) return SR_SRTP_ERR_TOO_MANY_SSRCS;
  }
  if (p->gout) { /* sr_gcm_add_ssrc keeps existing state */
    int r = sr_gcm_add_ssrc(outbound ? p->gout : p->gin, ssrc);
    if (r == 0 && !outbound) p->in_ssrcs[p->n_in_ssrcs++] = ssrc;
    return r;
  }
  /* Existing state (from an earlier packet) must be kept: a fresh stream
   * would restart the rollover counter and replay window. */
  if (srtp_get_stream_roc(s, ssrc, &roc) == srtp_err_status_ok) {
    if (!outbound) p->in_ssrcs[p->n_in_ssrcs++] = ssrc;
    return 0;
  }
  make_policy(&pol, p->profile, ssrc_specific, ssrc, outbound ? p->out_key : p->in_key, outbound);
  int r = status(srtp_add_stream(s, &pol));
  if (r == 0 && !outbound) p->in_ssrcs[p->n_in_ssrcs++] = ssrc;
  return r;
}

/* Common checks for protect: a sane length and room for the trailer. */
static int protect_args(const srtp_pair *p, const uint8_t *pkt, const size_t *len, size_t cap,
                        size_t min_len, size_t trailer) {
  if (!p || !pkt || !len) return 0;
  if (*len < min_len || *len > MAX_PACKET || cap < *len || cap - *len < trailer) return 0;
  return 1;
}

int srtp_pair_protect_rtp(srtp_pair *p, uint8_t *pkt, size_t *len, size_t cap) {
  if (!protect_args(p, pkt, len, cap, RTP_HEADER_MIN, p ? p->rtp_trailer : 0))
    return SR_SRTP_ERR_ARG;
  if (p->gout) return sr_gcm_protect_rtp(p->gout, pkt, len, cap);
  int n = (int)*len;
  int r = status(srtp_protect(p->out, pkt, &n));
  if (r == 0) {
    if (n < 0 || (size_t)n > cap) return SR_SRTP_ERR_ARG; /* cannot happen */
    *len = (size_t)n;
  }
  return r;
}

int srtp_pair_protect_rtcp(srtp_pair *p, uint8_t *pkt, size_t *len, size_t cap) {
  if (!protect_args(p, pkt, len, cap, RTCP_HEADER_MIN, p ? p->rtcp_trailer : 0))
    return SR_SRTP_ERR_ARG;
  if (p->gout) return sr_gcm_protect_rtcp(p->gout, pkt, len, cap);
  int n = (int)*len;
  int r = status(srtp_protect_rtcp(p->out, pkt, &n));
  if (r == 0) {
    if (n < 0 || (size_t)n > cap) return SR_SRTP_ERR_ARG;
    *len = (size_t)n;
  }
  return r;
}

/* Unprotect with the inbound SSRC bound: an SSRC we have no state for is
 * only tried while there is room, and remembered once it authenticates
 * (libsrtp creates its state then). */
static int unprotect(srtp_pair *p, uint8_t *pkt, size_t *len, size_t min_len, int rtcp) {
  if (!p || !pkt || !len || *len < min_len || *len > MAX_PACKET) return SR_SRTP_ERR_ARG;
  uint32_t ssrc = get_be32(pkt + (rtcp ? 4 : 8));
  int known = known_inbound(p, ssrc);
  if (!known && p->n_in_ssrcs == SR_SRTP_MAX_INBOUND_SSRCS) return SR_SRTP_ERR_TOO_MANY_SSRCS;
  if (p->gin) {
    int r = rtcp ? sr_gcm_unprotect_rtcp(p->gin, pkt, len) : sr_gcm_unprotect_rtp(p->gin, pkt, len);
    if (r != 0) return r;
  } else {
    int n = (int)*len;
    int r = status(rtcp ? srtp_unprotect_rtcp(p->in, pkt, &n) : srtp_unprotect(p->in, pkt, &n));
    if (r != 0) return r;
    if (n < 0 || (size_t)n > *len) return SR_SRTP_ERR_ARG; /* cannot happen */
    *len = (size_t)n;
  }
  if (!known) p->in_ssrcs[p->n_in_ssrcs++] = ssrc;
  return 0;
}

int srtp_pair_unprotect_rtp(srtp_pair *p, uint8_t *pkt, size_t *len) {
  return unprotect(p, pkt, len, RTP_HEADER_MIN, 0);
}

int srtp_pair_unprotect_rtcp(srtp_pair *p, uint8_t *pkt, size_t *len) {
  return unprotect(p, pkt, len, RTCP_HEADER_MIN, 1);
}
