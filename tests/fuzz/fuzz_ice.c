/* libFuzzer target: the ICE-lite agent's state machine. The input is a
 * sequence of steps; each step picks a source address (from a small pool of
 * IPv4 and IPv6 addresses), advances the clock, and sends a correctly signed
 * connectivity check (or a fuzzed STUN body, re-signed with the agent's
 * password). After every step the agent's invariants are checked: at most
 * ICE_MAX_VALID distinct valid addresses, the selected address is valid,
 * answers are authentic and echo the transaction id, ICE_SELECTED means the
 * selection is now `from`, consent is fresh right after a check from the
 * selected address. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice/ice.h"
#include "ice/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOCAL "fuzzLOCL"
#define PWD "fuzzPASSWORD0123456789+/"
#define REMOTE "rmt1"
#define N_ADDRS 12

static struct sockaddr_storage pool[N_ADDRS];

static void make_pool(void) {
  for (int i = 0; i < N_ADDRS; i++) {
    memset(&pool[i], 0, sizeof pool[i]);
    if (i % 2 == 0) {
      struct sockaddr_in *s = (struct sockaddr_in *)&pool[i];
      s->sin_family = AF_INET;
      s->sin_port = htons((uint16_t)(1000 + i / 4)); /* some share a port */
      s->sin_addr.s_addr = htonl(0x0A000000u + (uint32_t)(i % 4));
    } else {
      struct sockaddr_in6 *s = (struct sockaddr_in6 *)&pool[i];
      s->sin6_family = AF_INET6;
      s->sin6_port = htons((uint16_t)(1000 + i / 4));
      s->sin6_addr.s6_addr[0] = 0x20;
      s->sin6_addr.s6_addr[15] = (uint8_t)(i % 4);
    }
  }
}

static void check_invariants(const ice_agent *a) {
  if (a->n_valid < 0 || a->n_valid > ICE_MAX_VALID) abort();
  for (int i = 0; i < a->n_valid; i++)
    for (int j = i + 1; j < a->n_valid; j++)
      if (sockaddr_equal((const struct sockaddr *)&a->valid[i], (const struct sockaddr *)&a->valid[j]))
        abort();
  if (a->nominated && !a->has_selected) abort();
  if (a->has_selected && !ice_agent_is_valid_addr(a, (const struct sockaddr *)&a->selected)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ice_agent a;
  static uint8_t pkt[2048], out[1500];
  static bool pool_ready;
  if (!pool_ready) {
    make_pool();
    pool_ready = true;
  }
  memset(&a, 0, sizeof a);
  memcpy(a.local_ufrag, LOCAL, sizeof LOCAL);
  memcpy(a.local_pwd, PWD, sizeof PWD);
  a.created_ms = 1000;
  a.last_consent_ms = 1000;
  uint64_t now = 1000;
  size_t pos = 0;
  int steps = 0;
  while (pos + 4 <= size && steps++ < 256) {
    uint8_t flags = data[pos], addr = data[pos + 1];
    now += (uint64_t)data[pos + 2] << 8 | data[pos + 3];
    pos += 4;
    const struct sockaddr *from = (const struct sockaddr *)&pool[addr % N_ADDRS];
    uint8_t txid[12];
    for (int i = 0; i < 12; i++) txid[i] = (uint8_t)(steps * 31 + i);
    size_t n;
    if ((flags & 0xC0) == 0xC0) { /* fuzzed body: length byte, then bytes */
      size_t body = pos < size ? data[pos++] : 0;
      if (body > size - pos) body = size - pos;
      n = STUN_HEADER_LEN + (body & ~(size_t)3);
      memset(pkt, 0, STUN_HEADER_LEN);
      pkt[1] = 0x01; /* Binding request */
      pkt[4] = 0x21, pkt[5] = 0x12, pkt[6] = 0xA4, pkt[7] = 0x42;
      memcpy(pkt + 8, txid, 12);
      memcpy(pkt + STUN_HEADER_LEN, data + pos, n - STUN_HEADER_LEN);
      pos += body;
      n = stun_finish(pkt, n, sizeof pkt, (const uint8_t *)PWD, strlen(PWD));
    } else {
      const char *user = (flags & 8) ? LOCAL ":" REMOTE : (flags & 16) ? LOCAL ":x" : "nope:" REMOTE;
      const char *pwd = (flags & 32) ? "wrong-password" : PWD;
      n = stun_build_binding_request(pkt, sizeof pkt, txid, user, (const uint8_t *)pwd, strlen(pwd),
                                     0x6e001eff, flags & 1, !(flags & 2), 42);
      if (flags & 4) ice_agent_set_remote_ufrag(&a, (flags & 64) ? REMOTE : NULL);
    }
    if (n == 0) continue;
    bool was_selected_from =
        a.has_selected && sockaddr_equal((const struct sockaddr *)&a.selected, from);
    size_t out_len = 1;
    ice_result r = ice_agent_handle(&a, pkt, n, from, now, out, sizeof out, &out_len);
    if (r == ICE_IGNORED) {
      if (out_len != 0) abort();
    } else {
      stun_msg m;
      if (out_len == 0 || stun_parse(out, out_len, &m) != STUN_OK) abort();
      if (memcmp(m.txid, pkt + 8, 12) != 0) abort();
      if (stun_check_integrity(out, out_len, &m, (const uint8_t *)PWD, strlen(PWD)) != STUN_OK)
        abort();
      if (m.cls == STUN_CLASS_SUCCESS) {
        if (!ice_agent_is_valid_addr(&a, from)) abort();
        if (!m.has_xor_mapped || !sockaddr_equal((const struct sockaddr *)&m.xor_mapped, from))
          abort();
        if ((was_selected_from || r == ICE_SELECTED) && ice_agent_consent_expired(&a, now)) abort();
      } else if (m.cls != STUN_CLASS_ERROR || r != ICE_RESPONDED) {
        abort();
      }
      if (r == ICE_SELECTED && !sockaddr_equal((const struct sockaddr *)&a.selected, from)) abort();
    }
    check_invariants(&a);
    (void)ice_agent_consent_expired(&a, now);
  }
  return 0;
}
