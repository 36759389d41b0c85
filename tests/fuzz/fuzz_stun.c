/* libFuzzer target: the STUN parser, the MESSAGE-INTEGRITY check and the
 * ICE-lite agent on arbitrary bytes. Each input is tried twice: as received,
 * and "re-signed" (header repaired, valid MESSAGE-INTEGRITY and FINGERPRINT
 * appended with the agent's password) so that the agent's authenticated
 * paths see arbitrary attributes too. Must never crash, leak or read out of
 * bounds, and must never answer an unauthenticated packet. */
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

static void setup(ice_agent *a) {
  memset(a, 0, sizeof *a);
  memcpy(a->local_ufrag, LOCAL, sizeof LOCAL);
  memcpy(a->local_pwd, PWD, sizeof PWD);
  ice_agent_set_remote_ufrag(a, REMOTE);
  a->created_ms = 1000;
}

/* Reads every byte the parser pointed at, so ASan checks the view. */
static unsigned touch(const stun_msg *m) {
  unsigned x = 0;
  for (size_t i = 0; m->username && i < m->username_len; i++) x += m->username[i];
  return x;
}

static void run_agent(const uint8_t *p, size_t n, const struct sockaddr *from, bool authentic) {
  static ice_agent a;
  static uint8_t out[1500];
  size_t out_len = 1;
  setup(&a);
  ice_result r = ice_agent_handle(&a, p, n, from, 5000, out, sizeof out, &out_len);
  if (r == ICE_IGNORED) {
    if (out_len != 0) abort();
    return;
  }
  if (!authentic) abort(); /* answered a packet not signed with the password */
  stun_msg m;
  if (out_len == 0 || out_len > sizeof out || stun_parse(out, out_len, &m) != STUN_OK) abort();
  if (stun_check_integrity(out, out_len, &m, (const uint8_t *)PWD, strlen(PWD)) != STUN_OK) abort();
  if (memcmp(m.txid, p + 8, 12) != 0) abort();
  if (r == ICE_SELECTED && !sockaddr_equal((const struct sockaddr *)&a.selected, from)) abort();
  if (a.n_valid < 0 || a.n_valid > ICE_MAX_VALID) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t buf[STUN_HEADER_LEN + 0x10000];
  static const uint8_t key[] = PWD;
  stun_msg m;
  char local[300];
  struct sockaddr_in6 from6;
  struct sockaddr_in from4;
  memset(&from6, 0, sizeof from6);
  from6.sin6_family = AF_INET6;
  from6.sin6_port = htons(4242);
  from6.sin6_addr.s6_addr[15] = (uint8_t)size;
  memset(&from4, 0, sizeof from4);
  from4.sin_family = AF_INET;
  from4.sin_port = htons(4243);
  const struct sockaddr *from = size % 2 ? (const struct sockaddr *)&from6 : (const struct sockaddr *)&from4;

  /* As received. */
  bool authentic = false;
  (void)stun_looks_like(data, size);
  if (stun_parse(data, size, &m) == STUN_OK) {
    (void)touch(&m);
    authentic = stun_check_integrity(data, size, &m, key, sizeof key - 1) == STUN_OK;
    (void)ice_username_local(&m, local, sizeof local);
  }
  run_agent(data, size, from, authentic);

  /* Re-signed: the input (minus its first 20 bytes' cookie and length) is
   * the header and attributes; MESSAGE-INTEGRITY and FINGERPRINT are added. */
  size_t n = size < STUN_HEADER_LEN ? STUN_HEADER_LEN : size;
  if (n > STUN_HEADER_LEN + 0xFFFF - 32) n = STUN_HEADER_LEN + 0xFFFF - 32;
  n &= ~(size_t)3;
  memset(buf, 0, STUN_HEADER_LEN);
  memcpy(buf, data, size < n ? size : n);
  buf[0] &= 0x3F;
  buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xA4, buf[7] = 0x42;
  size_t len = stun_finish(buf, n, sizeof buf, key, sizeof key - 1);
  if (len == 0) return 0;
  if (stun_parse(buf, len, &m) == STUN_OK) {
    (void)touch(&m);
    (void)ice_username_local(&m, local, sizeof local);
    /* Whatever came before, a parse that found our MESSAGE-INTEGRITY must verify. */
    if (m.has_integrity && m.integrity_offset == n &&
        stun_check_integrity(buf, len, &m, key, sizeof key - 1) != STUN_OK)
      abort();
  }
  run_agent(buf, len, from, true);
  return 0;
}
