/* libFuzzer target: arbitrary datagrams into a fresh DTLS connection (a
 * server, as the SFU always is, or with the first byte's low bit set a
 * client that has sent its ClientHello), with timer calls in between; also
 * the SDP fingerprint parser, and (mode bit 3) SRTP/SRTCP unprotect of the
 * same datagrams, which exercises the glue's length and SSRC checks and
 * libsrtp's header parsing. Must never crash, leak or read out of bounds.
 *
 * Input: one mode byte, then datagrams, each a 2-byte big-endian length and
 * that many bytes (the last one takes whatever is left). Mode bits: 0 client,
 * 1 fire the timer after each datagram, 2 close before freeing, 3 unprotect. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls/dtls.h"
#include "dtls/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *ctx, const uint8_t *d, size_t n) {
  size_t *total = ctx;
  if (n > 0 && d[0] == 0xff) (*total)++; /* touch the bytes */
  *total += n;
}

/* Inbound sessions of both profiles with fixed keys, made once. */
static srtp_pair *fixed_pair(srtp_profile_id profile) {
  srtp_keys k;
  memset(&k, 0x5a, sizeof k);
  k.profile = profile;
  k.key_len = 16;
  k.salt_len = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
  if (sr_srtp_global_init() != 0) abort();
  srtp_pair *p = srtp_pair_new(&k);
  if (!p) abort();
  return p;
}

static void unprotect_all(const uint8_t *d, size_t n) {
  static srtp_pair *pairs[2];
  static uint8_t buf[2048];
  if (!pairs[0]) {
    pairs[0] = fixed_pair(SRTP_PROFILE_AES128_CM_SHA1_80);
    pairs[1] = fixed_pair(SRTP_PROFILE_AEAD_AES_128_GCM);
  }
  if (n > sizeof buf) n = sizeof buf;
  for (int i = 0; i < 2; i++) {
    size_t len = n;
    memcpy(buf, d, n);
    if (srtp_pair_unprotect_rtp(pairs[i], buf, &len) == 0 && len > n) abort();
    len = n;
    memcpy(buf, d, n);
    if (srtp_pair_unprotect_rtcp(pairs[i], buf, &len) == 0 && len > n) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static dtls_cert *cert;
  if (!cert) cert = dtls_cert_generate(); /* once: key generation is slow */
  if (!cert) abort();

  uint8_t fp[32];
  dtls_fingerprint_parse((const char *)data, size, fp);
  if (size < 1) return 0;

  uint8_t mode = data[0];
  data++;
  size--;
  size_t sent = 0;
  /* Pinned to our own certificate: any other peer certificate fails the
   * check, which is a path worth fuzzing too. */
  dtls_options opt = {.initial_timeout_ms = 20, .max_timeout_ms = 40, .max_retransmits = 3};
  dtls_conn *c = dtls_conn_new_ex(cert, dtls_cert_fingerprint_raw(cert), !(mode & 1), &opt,
                                  discard, &sent);
  if (!c) abort();

  uint64_t now = 1000;
  while (size > 0) {
    size_t n = size;
    if (size >= 2) {
      size_t want = (size_t)data[0] << 8 | data[1];
      data += 2;
      size -= 2;
      n = want < size ? want : size;
    }
    if (mode & 8) unprotect_all(data, n);
    dtls_state st = dtls_conn_input(c, data, n, now);
    if (st < DTLS_HANDSHAKING || st > DTLS_CLOSED) abort();
    data += n;
    size -= n;
    now += 10;
    uint64_t deadline = dtls_conn_next_timeout(c, now);
    if ((mode & 2) && deadline) dtls_conn_on_timer(c, deadline);
    srtp_keys k;
    if (dtls_conn_srtp_keys(c, &k) == 0 && k.key_len != 16) abort();
  }
  if (mode & 4) dtls_conn_close(c);
  dtls_conn_free(c);
  return 0;
}
