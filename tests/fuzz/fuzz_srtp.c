/* libFuzzer target: SRTP/SRTCP with AEAD_AES_128_GCM on our implementation
 * (src/dtls/srtp_gcm.c through srtp_pair), checked against libsrtp2.
 *
 * Input: one mode byte, then packets, each a 2-byte big-endian length and
 * that many bytes (the last takes whatever is left). Every packet is
 * (1) unprotected as it is, as RTP and as RTCP, by long-lived inbound pairs
 *     (ours and libsrtp's GCM, and the AES-CM profile): must never crash,
 *     read out of bounds or grow the packet;
 * (2) taken as plaintext (mode bit 0: RTCP, else RTP) and protected by our
 *     sender and by libsrtp's with the same key, in this input's fresh
 *     sessions: both must succeed or fail alike and give the same bytes;
 *     then unprotected by our receiver and libsrtp's: they must agree
 *     (accept, or refuse a replay or a too-old index) and give back the
 *     plaintext. Mode bit 1 flips a bit of the protected packet first (then
 *     both must refuse it, unless the bit is in a part neither checks). */
#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls/dtls.h"
#include "dtls/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                \
  do {                            \
    if (!(c)) __builtin_trap();   \
  } while (0)

#define MAX_PKT 1500

static srtp_keys make_keys(srtp_profile_id profile, int swap) {
  srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = profile;
  k.key_len = 16;
  k.salt_len = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
  memset(swap ? k.remote_key : k.local_key, 0x3c, 16);
  memset(swap ? k.remote_salt : k.local_salt, 0xa7, k.salt_len);
  memset(swap ? k.local_key : k.remote_key, 0x51, 16);
  memset(swap ? k.local_salt : k.remote_salt, 0x0e, k.salt_len);
  return k;
}

static srtp_pair *pair_on(srtp_profile_id profile, int swap, sr_srtp_backend b) {
  srtp_keys k = make_keys(profile, swap);
  sr_srtp_set_backend(b);
  srtp_pair *p = srtp_pair_new(&k);
  REQUIRE(p != NULL);
  return p;
}

static void unprotect_raw(const uint8_t *d, size_t n) {
  static srtp_pair *in[3];
  static uint8_t buf[MAX_PKT];
  if (!in[0]) {
    in[0] = pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 0, SR_SRTP_OPENSSL);
    in[1] = pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 0, SR_SRTP_LIBSRTP);
    in[2] = pair_on(SRTP_PROFILE_AES128_CM_SHA1_80, 0, SR_SRTP_OPENSSL);
  }
  if (n > sizeof buf) n = sizeof buf;
  for (int i = 0; i < 3; i++) {
    for (int rtcp = 0; rtcp < 2; rtcp++) {
      size_t len = n;
      memcpy(buf, d, n);
      int r = rtcp ? srtp_pair_unprotect_rtcp(in[i], buf, &len) : srtp_pair_unprotect_rtp(in[i], buf, &len);
      REQUIRE(r == 0 ? len <= n : len == n);
    }
  }
}

/* Fresh sessions for one input: our sender and libsrtp's with the same
 * keys, our receiver and libsrtp's for them. */
typedef struct {
  srtp_pair *our_tx, *lib_tx, *our_rx, *lib_rx;
} quad;

static void round_trip(quad *q, const uint8_t *d, size_t n, int rtcp, int flip) {
  static uint8_t a[MAX_PKT + SR_SRTP_MAX_TRAILER], b[MAX_PKT + SR_SRTP_MAX_TRAILER];
  static uint8_t c[MAX_PKT + SR_SRTP_MAX_TRAILER];
  if (n > MAX_PKT) n = MAX_PKT;
  size_t la = n, lb = n;
  memcpy(a, d, n);
  memcpy(b, d, n);
  int ra = rtcp ? srtp_pair_protect_rtcp(q->our_tx, a, &la, sizeof a)
                : srtp_pair_protect_rtp(q->our_tx, a, &la, sizeof a);
  int rb = rtcp ? srtp_pair_protect_rtcp(q->lib_tx, b, &lb, sizeof b)
                : srtp_pair_protect_rtp(q->lib_tx, b, &lb, sizeof b);
  /* The one intended difference: an RTP packet at an index already
   * protected, with other bytes. libsrtp seals it again (allow_repeat_tx);
   * ours refuses, since GCM must not seal other bytes under a used IV. */
  if (!rtcp && ra == -(int)srtp_err_status_replay_fail && rb == 0) return;
  REQUIRE((ra == 0) == (rb == 0));
  if (ra != 0) return;
  REQUIRE(la == lb && memcmp(a, b, la) == 0);
  REQUIRE(la == n + (rtcp ? 20 : 16));
  if (flip) a[d[0] % la] ^= (uint8_t)(1u << (d[n - 1] & 7));
  memcpy(c, a, la);
  size_t l1 = la, l2 = la;
  int r1 = rtcp ? srtp_pair_unprotect_rtcp(q->our_rx, a, &l1) : srtp_pair_unprotect_rtp(q->our_rx, a, &l1);
  int r2 = rtcp ? srtp_pair_unprotect_rtcp(q->lib_rx, c, &l2) : srtp_pair_unprotect_rtp(q->lib_rx, c, &l2);
  REQUIRE((r1 == 0) == (r2 == 0));
  if (r1 == 0) {
    REQUIRE(l1 == n && l2 == n && memcmp(a, d, n) == 0 && memcmp(c, d, n) == 0);
  } else if (!flip && !rtcp) {
    /* unchanged RTP is refused only as a replay or too old, by both */
    REQUIRE(r1 == r2);
    REQUIRE(r1 == -(int)srtp_err_status_replay_fail || r1 == -(int)srtp_err_status_replay_old);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (sr_srtp_global_init() != 0) abort();
  if (size < 1) return 0;
  uint8_t mode = data[0];
  data++;
  size--;
  quad q = {
      pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 0, SR_SRTP_OPENSSL),
      pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 0, SR_SRTP_LIBSRTP),
      pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 1, SR_SRTP_OPENSSL),
      pair_on(SRTP_PROFILE_AEAD_AES_128_GCM, 1, SR_SRTP_LIBSRTP),
  };
  sr_srtp_set_backend(SR_SRTP_OPENSSL);
  while (size > 0) {
    size_t n = size;
    if (size >= 2) {
      size_t want = (size_t)data[0] << 8 | data[1];
      data += 2;
      size -= 2;
      n = want < size ? want : size;
    }
    if (n > 0) {
      unprotect_raw(data, n);
      round_trip(&q, data, n, mode & 1, (mode >> 1) & 1);
    }
    data += n;
    size -= n;
  }
  srtp_pair_free(q.our_tx);
  srtp_pair_free(q.lib_tx);
  srtp_pair_free(q.our_rx);
  srtp_pair_free(q.lib_rx);
  return 0;
}
