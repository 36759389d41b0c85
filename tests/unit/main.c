/* Unit-test runner: runs every case of every suite (or those whose
 * "suite/case" name contains argv[1]) and prints "N passed, N failed". */
#include "core/log.h"
#include "test.h"

int test_failures_in_current;

/* One line per test file. */
#define SUITES(X) \
  X(bytes)         \
  X(base64)        \
  X(jwt)           \
  X(turn)          \
  X(auth)          \
  X(timefmt)       \
  X(pagination)    \
  X(ratelimit)     \
  X(room_fields)   \
  X(store)         \
  X(stun)          \
  X(ice)           \
  X(rtp)           \
  X(rtcp)          \
  X(history)       \
  X(twcc)          \
  X(vp8)           \
  X(simulcast)     \
  X(loudest)       \
  X(allocator)     \
  X(sdp)           \
  X(dtls)          \
  X(srtp)          \
  X(sfu_tables)    \
  X(sfu_control)   \
  X(tap)           \
  X(e2ee_sframe)   \
  X(e2ee_keys)     \
  X(e2ee_replay)   \
  X(e2ee_code)     \
  X(e2ee_vectors)  \
  X(e2ee_sign)     \
  X(e2ee_sign_chat) \
  X(slots)         \
  X(udp)           \
  X(addr)          \
  X(tcp)           \
  X(mailbox)       \
  X(admission)     \
  X(http)          \
  X(sfu_worker)    \
  X(client_peer)   \
  X(client_media)  \
  X(client_e2ee)   \
  X(client_signal) \
  X(client_janus)  \
  X(client_parts)  \
  X(client_mux)    \
  X(strbuf)       

#define DECLARE(id) extern const test_suite suite_##id;
SUITES(DECLARE)
#define ENTRY(id) &suite_##id,
static const test_suite *suites[] = {SUITES(ENTRY)};

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  log_set_level(LOG_WARN); /* storage tests would log every migration */
  char name[256];
  for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
    for (size_t i = 0; i < suites[s]->count; i++) {
      const test_case *tc = &suites[s]->cases[i];
      snprintf(name, sizeof name, "%s/%s", suites[s]->name, tc->name);
      if (argc > 1 && !strstr(name, argv[1])) continue;
      test_failures_in_current = 0;
      tc->fn();
      if (test_failures_in_current == 0) {
        passed++;
        printf("ok   %s\n", name);
      } else {
        failed++;
        printf("FAIL %s (%d checks)\n", name, test_failures_in_current);
      }
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
