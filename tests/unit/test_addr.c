/* Per-address limit keys (src/net/addr.c): an IPv6 /64 is one client, an
 * IPv4-mapped address is its IPv4 address, IPv4 stays as it is. */
#include <arpa/inet.h>

#include "net/addr.h"
#include "signal/admission.h"
#include "test.h"

static void test_keys(void) {
  char k[64];
  addr_client_key("192.0.2.7", k, sizeof k);
  CHECK_EQ_STR(k, "192.0.2.7");
  addr_client_key("::ffff:192.0.2.7", k, sizeof k);
  CHECK_EQ_STR(k, "192.0.2.7");
  addr_client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k, sizeof k);
  CHECK_EQ_STR(k, "2001:db8:1:2::/64");
  char k2[64];
  addr_client_key("2001:db8:1:2::1", k2, sizeof k2);
  CHECK_EQ_STR(k, k2);
  addr_client_key("2001:db8:1:3::1", k2, sizeof k2);
  CHECK_EQ_STR(k2, "2001:db8:1:3::/64");
  addr_client_key("::1", k, sizeof k);
  CHECK_EQ_STR(k, "::/64");
  addr_client_key("unknown", k, sizeof k);
  CHECK_EQ_STR(k, "unknown");
  addr_client_key(NULL, k, sizeof k);
  CHECK_EQ_STR(k, "");
  char tiny[8];
  addr_client_key("2001:db8:1:2::1", tiny, sizeof tiny); /* cut, never overrun */
  CHECK_EQ_INT(strlen(tiny), 7);
}

/* A host walking through the addresses of its /64 gets one join budget,
 * not one per address; another /64 has its own. */
static void test_admission_per_64(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 5), 0); /* 5/s, burst 50 */
  char ip[64], key[64];
  int taken = 0;
  for (int i = 0; i < 200; i++) {
    snprintf(ip, sizeof ip, "2001:db8:0:1::%x", i + 1);
    addr_client_key(ip, key, sizeof key);
    uint64_t retry;
    if (admission_take(&a, key, 1000, &retry)) taken++;
  }
  CHECK_EQ_INT(taken, 50);
  addr_client_key("2001:db8:0:2::1", key, sizeof key);
  uint64_t retry;
  CHECK(admission_take(&a, key, 1000, &retry));
  admission_free(&a);
}

static void test_from_text(void) {
  struct sockaddr_storage ss;
  CHECK_EQ_INT(addr_from_text("192.0.2.7", 40000, &ss), sizeof(struct sockaddr_in));
  const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
  CHECK(a->sin_family == AF_INET && ntohs(a->sin_port) == 40000 && ntohl(a->sin_addr.s_addr) == 0xc0000207);
  CHECK_EQ_INT(addr_from_text("::1", 9, &ss), sizeof(struct sockaddr_in6));
  CHECK(ss.ss_family == AF_INET6 && ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port) == 9);
  CHECK_EQ_INT(addr_from_text("example.com", 1, &ss), 0);
  CHECK_EQ_INT(addr_from_text("1::2::3", 1, &ss), 0);
  CHECK_EQ_INT(addr_from_text("", 1, &ss), 0);
}

TEST_SUITE(addr, {"keys", test_keys}, {"admission_per_64", test_admission_per_64}, {"from_text", test_from_text});
