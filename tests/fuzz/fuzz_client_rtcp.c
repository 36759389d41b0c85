/* libFuzzer target: the native client's receive path after SRTP unprotect
 * (client/peer.c, sc_peer_handle_plain) on arbitrary bytes: RTP (statistics,
 * loss detection, NACK lists) and RTCP compound packets (SR, RR report
 * blocks, Generic NACK answered from the send history, PLI, FIR, REMB). One
 * peer, made once on a loop that never runs: no keys, so nothing is sent.
 * Must never crash or read or write out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client/peer.h"
#include "dtls/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_peer *peer;
static uint8_t buf[SC_PEER_MAX_PACKET + 64];
static uint64_t seen;

static void on_rtp(void *ctx, sc_peer *p, uint8_t *pkt, size_t len) {
  (void)ctx, (void)p;
  if (len < 12) __builtin_trap();
  seen += pkt[len - 1];
}
static void on_keyframe(void *ctx, sc_peer *p, uint32_t ssrc) {
  (void)ctx, (void)p;
  seen += ssrc;
}
static void on_sr(void *ctx, sc_peer *p, uint32_t ssrc, uint64_t ntp, uint32_t ts) {
  (void)ctx, (void)p;
  seen += ssrc + ntp + ts;
}

static void setup(void) {
  static dtls_cert *cert;
  cert = dtls_cert_generate();
  if (!cert) abort();
  sc_peer_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cert = cert;
  cfg.bind_ip = "127.0.0.1";
  sc_peer_callbacks cb = {NULL, NULL, on_rtp, on_keyframe, on_sr, NULL};
  peer = sc_peer_new(uv_default_loop(), &cfg, &cb);
  if (!peer || sc_peer_add_send_ssrc(peer, 0x22222222u, true) != 0 ||
      sc_peer_add_send_ssrc(peer, 0x11111111u, false) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!peer) setup();
  if (size > SC_PEER_MAX_PACKET) return 0;
  memcpy(buf, data, size);
  sc_peer_handle_plain(peer, buf, size);
  sc_ssrc_stats st[SC_PEER_MAX_SEND_SSRCS + SC_PEER_MAX_RECV_SSRCS];
  int n = sc_peer_stats(peer, st, (int)(sizeof st / sizeof st[0]));
  if (n < 2 || n > SC_PEER_MAX_SEND_SSRCS + SC_PEER_MAX_RECV_SSRCS) __builtin_trap();
  return 0;
}
