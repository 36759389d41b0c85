/* Unit tests for src/ice/stun.c: the RFC 5769 test vectors (MESSAGE-INTEGRITY
 * and FINGERPRINT reproduced byte for byte), every builder through the parser,
 * and hostile inputs: truncation at every byte, lengths past the end or not a
 * multiple of 4, bad magic, misplaced or wrong FINGERPRINT, wrong keys,
 * oversized and zero-length attributes, thousands of attributes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "ice/stun.h"
#include "test.h"

/* ---- RFC 5769 vectors ---- */

static const uint8_t rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
#define RFC_PASSWORD_LEN (sizeof rfc_password - 1)

/* 2.1: sample request (short-term credentials, SOFTWARE, PRIORITY,
 * ICE-CONTROLLED, USERNAME "evtj:h6vY" padded with spaces). */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* 2.2: sample IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc_response_v4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* 2.3: sample IPv6 response, XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc_response_v6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

static const uint8_t rfc_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static const uint8_t txid1[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* ---- helpers ---- */

static struct sockaddr_in v4addr(const char *ip, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
  return a;
}

static struct sockaddr_in6 v6addr(const char *ip, uint16_t port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  CHECK(inet_pton(AF_INET6, ip, &a.sin6_addr) == 1);
  return a;
}

/* Hand-built messages for hostile cases: a header, then raw attributes. */
static size_t msg_begin(uint8_t *buf, unsigned type) {
  memset(buf, 0, STUN_HEADER_LEN);
  put_be16(buf, type);
  buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xa4, buf[7] = 0x42;
  memcpy(buf + 8, txid1, 12);
  return STUN_HEADER_LEN;
}

/* Appends an attribute with value v[0..len) (v NULL: zeros), padded with
 * zeros, and sets the header length to cover it. */
static size_t msg_attr(uint8_t *buf, size_t pos, unsigned type, const void *v, size_t len) {
  put_be16(buf + pos, type);
  put_be16(buf + pos + 2, (unsigned)len);
  memset(buf + pos + 4, 0, (len + 3) & ~(size_t)3);
  if (v != NULL) memcpy(buf + pos + 4, v, len);
  pos += 4 + ((len + 3) & ~(size_t)3);
  put_be16(buf + 2, (unsigned)(pos - STUN_HEADER_LEN));
  return pos;
}

static int parse_all(const uint8_t *p, size_t n, stun_msg *m) { return (int)stun_parse(p, n, m); }

/* ---- RFC 5769 ---- */

static void test_rfc5769_request(void) {
  stun_msg m;
  CHECK(stun_looks_like(rfc_request, sizeof rfc_request));
  CHECK_EQ_INT(parse_all(rfc_request, sizeof rfc_request, &m), STUN_OK);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK_EQ_INT(m.cls, STUN_CLASS_REQUEST);
  CHECK(memcmp(m.txid, rfc_txid, 12) == 0);
  CHECK(m.username != NULL && m.username_len == 9 && memcmp(m.username, "evtj:h6vY", 9) == 0);
  CHECK(m.has_priority && m.priority == 0x6e0001ffu);
  CHECK(m.ice_controlled && !m.ice_controlling);
  CHECK(m.tiebreaker == UINT64_C(0x932ff9b151263b36));
  CHECK(!m.use_candidate && !m.has_xor_mapped && m.error_code == 0);
  CHECK(m.has_integrity && m.integrity_offset == sizeof rfc_request - 32);
  CHECK(m.has_fingerprint);
  CHECK_EQ_INT(m.n_unknown_required, 0);
  CHECK_EQ_INT(stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password,
                                    RFC_PASSWORD_LEN),
               STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password,
                                    RFC_PASSWORD_LEN - 1),
               STUN_ERR_INTEGRITY);
  CHECK_EQ_INT(stun_check_integrity(rfc_request, sizeof rfc_request, &m,
                                    (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBT", RFC_PASSWORD_LEN),
               STUN_ERR_INTEGRITY);
}

/* Our MESSAGE-INTEGRITY and FINGERPRINT over each vector's body must equal
 * the RFC's bytes exactly. */
static void check_finish_reproduces(const uint8_t *vec, size_t n) {
  uint8_t buf[256];
  size_t body = n - 24 - 8; /* each vector ends with MESSAGE-INTEGRITY, FINGERPRINT */
  memcpy(buf, vec, body);
  put_be16(buf + 2, 0); /* stun_finish must set the length itself */
  CHECK_EQ_INT(stun_finish(buf, body, sizeof buf, rfc_password, RFC_PASSWORD_LEN), n);
  CHECK(memcmp(buf, vec, n) == 0);
  /* Without a key only FINGERPRINT is added; it must verify too. */
  memcpy(buf, vec, body);
  size_t len = stun_finish(buf, body, sizeof buf, NULL, 0);
  CHECK_EQ_INT(len, body + 8);
  stun_msg m;
  CHECK_EQ_INT(parse_all(buf, len, &m), STUN_OK);
  CHECK(m.has_fingerprint && !m.has_integrity);
  /* Exactly enough room, and one byte less. */
  memcpy(buf, vec, body);
  CHECK_EQ_INT(stun_finish(buf, body, n, rfc_password, RFC_PASSWORD_LEN), n);
  CHECK_EQ_INT(stun_finish(buf, body, n - 1, rfc_password, RFC_PASSWORD_LEN), 0);
}

static void test_rfc5769_finish_byte_for_byte(void) {
  check_finish_reproduces(rfc_request, sizeof rfc_request);
  check_finish_reproduces(rfc_response_v4, sizeof rfc_response_v4);
  check_finish_reproduces(rfc_response_v6, sizeof rfc_response_v6);
}

static void test_rfc5769_response_v4(void) {
  stun_msg m;
  CHECK_EQ_INT(parse_all(rfc_response_v4, sizeof rfc_response_v4, &m), STUN_OK);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
  CHECK(m.has_xor_mapped && m.has_integrity && m.has_fingerprint);
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.xor_mapped;
  struct sockaddr_in want = v4addr("192.0.2.1", 32853);
  CHECK_EQ_INT(sin->sin_family, AF_INET);
  CHECK_EQ_INT(ntohs(sin->sin_port), 32853);
  CHECK(sin->sin_addr.s_addr == want.sin_addr.s_addr);
  CHECK_EQ_INT(stun_check_integrity(rfc_response_v4, sizeof rfc_response_v4, &m, rfc_password,
                                    RFC_PASSWORD_LEN),
               STUN_OK);
  /* Our builder over the same address and txid gives the same XOR-MAPPED-ADDRESS bytes. */
  uint8_t out[128];
  size_t len = stun_build_binding_success(out, sizeof out, rfc_txid, (const struct sockaddr *)&want,
                                          rfc_password, RFC_PASSWORD_LEN);
  CHECK_EQ_INT(len, 20 + 12 + 24 + 8);
  CHECK(memcmp(out + 20, rfc_response_v4 + 36, 12) == 0);
}

static void test_rfc5769_response_v6(void) {
  stun_msg m;
  CHECK_EQ_INT(parse_all(rfc_response_v6, sizeof rfc_response_v6, &m), STUN_OK);
  CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
  CHECK(m.has_xor_mapped && m.has_integrity && m.has_fingerprint);
  const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&m.xor_mapped;
  struct sockaddr_in6 want = v6addr("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  CHECK_EQ_INT(sin6->sin6_family, AF_INET6);
  CHECK_EQ_INT(ntohs(sin6->sin6_port), 32853);
  CHECK(memcmp(&sin6->sin6_addr, &want.sin6_addr, 16) == 0);
  CHECK_EQ_INT(stun_check_integrity(rfc_response_v6, sizeof rfc_response_v6, &m, rfc_password,
                                    RFC_PASSWORD_LEN),
               STUN_OK);
  uint8_t out[128];
  size_t len = stun_build_binding_success(out, sizeof out, rfc_txid, (const struct sockaddr *)&want,
                                          rfc_password, RFC_PASSWORD_LEN);
  CHECK_EQ_INT(len, 20 + 24 + 24 + 8);
  CHECK(memcmp(out + 20, rfc_response_v6 + 36, 24) == 0);
}

/* Flipping any single bit of the request must make it fail parsing or
 * fail the integrity check: nothing authenticated survives tampering. */
static void test_rfc5769_every_bit_flip_detected(void) {
  uint8_t buf[sizeof rfc_request];
  int survived = 0;
  for (size_t i = 0; i < sizeof buf; i++) {
    for (int b = 0; b < 8; b++) {
      stun_msg m;
      memcpy(buf, rfc_request, sizeof buf);
      buf[i] ^= (uint8_t)(1u << b);
      if (stun_parse(buf, sizeof buf, &m) != STUN_OK || !m.has_integrity ||
          stun_check_integrity(buf, sizeof buf, &m, rfc_password, RFC_PASSWORD_LEN) != STUN_OK)
        continue;
      /* A flip in FINGERPRINT's type turns it into some other attribute
       * after MESSAGE-INTEGRITY, which is ignored: still authentic, but no
       * longer fingerprinted (and ICE then refuses it). */
      if (i >= sizeof buf - 8 && i < sizeof buf - 6 && !m.has_fingerprint) continue;
      survived++; /* even the USERNAME padding is covered by the MAC */
    }
  }
  CHECK_EQ_INT(survived, 0);
}

/* ---- builders through the parser ---- */

static void test_roundtrip_success_v4(void) {
  uint8_t out[256];
  struct sockaddr_in a = v4addr("203.0.113.7", 50000);
  const uint8_t key[] = "0123456789abcdefghijklmn";
  size_t len = stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&a, key,
                                          sizeof key - 1);
  CHECK_EQ_INT(len, 64);
  CHECK(stun_looks_like(out, len));
  stun_msg m;
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
  CHECK(memcmp(m.txid, txid1, 12) == 0);
  CHECK(m.has_xor_mapped && m.has_integrity && m.has_fingerprint);
  CHECK_EQ_INT(m.integrity_offset, 32);
  const struct sockaddr_in *got = (const struct sockaddr_in *)&m.xor_mapped;
  CHECK(got->sin_family == AF_INET && got->sin_port == a.sin_port &&
        got->sin_addr.s_addr == a.sin_addr.s_addr);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, sizeof key - 1), STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, sizeof key - 2), STUN_ERR_INTEGRITY);
  /* No key: FINGERPRINT only. */
  len = stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&a, NULL, 0);
  CHECK_EQ_INT(len, 40);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK(!m.has_integrity && m.has_fingerprint && m.has_xor_mapped);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, sizeof key - 1), STUN_ERR_INTEGRITY);
}

static void test_roundtrip_success_v6(void) {
  uint8_t out[256];
  struct sockaddr_in6 a = v6addr("2001:db8::dead:beef", 443);
  const uint8_t key[] = "pw";
  size_t len = stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&a, key,
                                          2);
  CHECK_EQ_INT(len, 76);
  stun_msg m;
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&m.xor_mapped;
  CHECK(got->sin6_family == AF_INET6 && got->sin6_port == a.sin6_port &&
        memcmp(&got->sin6_addr, &a.sin6_addr, 16) == 0);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, 2), STUN_OK);
  /* Other families are refused. */
  struct sockaddr_storage un;
  memset(&un, 0, sizeof un);
  un.ss_family = AF_UNIX;
  CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&un,
                                          key, 2),
               0);
  CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, txid1, NULL, key, 2), 0);
}

static void test_roundtrip_error(void) {
  uint8_t out[1024];
  const uint8_t key[] = "secret-password-for-tests";
  stun_msg m;
  size_t len = stun_build_error(out, sizeof out, STUN_METHOD_BINDING, txid1, 487, NULL, key,
                                sizeof key - 1);
  CHECK(len > 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.cls, STUN_CLASS_ERROR);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK_EQ_INT(m.error_code, 487);
  CHECK_EQ_INT(out[0], 0x01);
  CHECK_EQ_INT(out[1], 0x11);
  CHECK(memmem(out, len, "Role Conflict", 13) != NULL);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, sizeof key - 1), STUN_OK);
  /* Custom reason of every padding length; codes at both ends. */
  const char *reasons[] = {"", "a", "ab", "abc", "abcd", "abcde"};
  for (size_t i = 0; i < 6; i++) {
    len = stun_build_error(out, sizeof out, STUN_METHOD_BINDING, txid1, (uint16_t)(300 + i * 79),
                           reasons[i], NULL, 0);
    CHECK_EQ_INT(len, 20 + 4 + ((4 + i + 3) & ~(size_t)3) + 8);
    CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
    CHECK_EQ_INT(m.error_code, 300 + i * 79);
    CHECK(!m.has_integrity && m.has_fingerprint);
  }
  len = stun_build_error(out, sizeof out, STUN_METHOD_BINDING, txid1, 699, NULL, NULL, 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.error_code, 699);
  /* Method bits are interleaved with the class bits (RFC 8489 5). */
  len = stun_build_error(out, sizeof out, 0x0ABC, txid1, 400, NULL, NULL, 0);
  CHECK(len > 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.method, 0x0ABC);
  CHECK_EQ_INT(m.cls, STUN_CLASS_ERROR);
  len = stun_build_error(out, sizeof out, 0x0FFF, txid1, 400, NULL, NULL, 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.method, 0x0FFF);
  /* Invalid arguments. */
  CHECK_EQ_INT(stun_build_error(out, sizeof out, 0x1000, txid1, 400, NULL, NULL, 0), 0);
  CHECK_EQ_INT(stun_build_error(out, sizeof out, 1, txid1, 299, NULL, NULL, 0), 0);
  CHECK_EQ_INT(stun_build_error(out, sizeof out, 1, txid1, 700, NULL, NULL, 0), 0);
  char longr[STUN_MAX_REASON + 2];
  memset(longr, 'x', sizeof longr - 1);
  longr[sizeof longr - 1] = '\0';
  CHECK_EQ_INT(stun_build_error(out, sizeof out, 1, txid1, 400, longr, NULL, 0), 0);
  longr[STUN_MAX_REASON] = '\0';
  len = stun_build_error(out, sizeof out, 1, txid1, 400, longr, NULL, 0);
  CHECK(len > 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
}

static void test_roundtrip_unknown_attributes(void) {
  uint8_t out[256];
  const uint16_t attrs[8] = {0x0003, 0x7fff, 0x0031, 0x1234, 5, 6, 7, 8};
  const uint8_t key[] = "k";
  stun_msg m;
  for (int n = 1; n <= 8; n++) {
    size_t len = stun_build_unknown_attributes(out, sizeof out, STUN_METHOD_BINDING, txid1, attrs,
                                               n, key, 1);
    CHECK(len > 0);
    CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
    CHECK_EQ_INT(m.error_code, 420);
    CHECK_EQ_INT(m.n_unknown_required, 0); /* UNKNOWN-ATTRIBUTES is itself known */
    CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, 1), STUN_OK);
    /* The list follows ERROR-CODE ("Unknown Attribute", 17 bytes -> 24). */
    size_t at = 20 + 4 + 24;
    CHECK_EQ_INT(out[at] << 8 | out[at + 1], STUN_ATTR_UNKNOWN_ATTRIBUTES);
    CHECK_EQ_INT(out[at + 2] << 8 | out[at + 3], 2 * n);
    CHECK_EQ_INT(out[at + 4 + 2 * (n - 1)] << 8 | out[at + 5 + 2 * (n - 1)], attrs[n - 1]);
  }
  CHECK_EQ_INT(stun_build_unknown_attributes(out, sizeof out, 1, txid1, attrs, 0, key, 1), 0);
  CHECK_EQ_INT(stun_build_unknown_attributes(out, sizeof out, 1, txid1, attrs, 9, key, 1), 0);
  CHECK_EQ_INT(stun_build_unknown_attributes(out, sizeof out, 1, txid1, NULL, 1, key, 1), 0);
}

static void test_roundtrip_binding_request(void) {
  uint8_t out[1024];
  const uint8_t key[] = "ABCDEFGHIJKLMNOPQRSTUVWX";
  stun_msg m;
  for (int variant = 0; variant < 8; variant++) {
    bool uc = variant & 1, controlling = variant & 2, with_key = variant & 4;
    size_t len = stun_build_binding_request(out, sizeof out, txid1, "abcdefgh:remote1",
                                            with_key ? key : NULL, sizeof key - 1, 0x7e7f00ffu, uc,
                                            controlling, UINT64_C(0x0102030405060708));
    CHECK(len > 0);
    CHECK(stun_looks_like(out, len));
    CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
    CHECK_EQ_INT(m.cls, STUN_CLASS_REQUEST);
    CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
    CHECK(m.username_len == 16 && memcmp(m.username, "abcdefgh:remote1", 16) == 0);
    CHECK(m.has_priority && m.priority == 0x7e7f00ffu);
    CHECK(m.use_candidate == uc);
    CHECK(m.ice_controlling == controlling && m.ice_controlled == !controlling);
    CHECK(m.tiebreaker == UINT64_C(0x0102030405060708));
    CHECK(m.has_integrity == with_key && m.has_fingerprint);
    CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, sizeof key - 1),
                 with_key ? STUN_OK : STUN_ERR_INTEGRITY);
  }
  /* No USERNAME; odd lengths of USERNAME get padded. */
  size_t len = stun_build_binding_request(out, sizeof out, txid1, NULL, key, 3, 1, false, true, 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK(m.username == NULL && m.username_len == 0);
  for (size_t ul = 0; ul < 9; ul++) {
    char u[10] = "abc:defgh";
    u[ul] = '\0';
    len = stun_build_binding_request(out, sizeof out, txid1, u, key, 3, 1, false, true, 0);
    CHECK(len > 0 && len % 4 == 0);
    CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
    CHECK(m.username != NULL && m.username_len == ul);
    CHECK_EQ_INT(stun_check_integrity(out, len, &m, key, 3), STUN_OK);
  }
  /* USERNAME limit. */
  char big[STUN_MAX_USERNAME + 2];
  memset(big, 'u', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  CHECK_EQ_INT(stun_build_binding_request(out, sizeof out, txid1, big, key, 3, 1, 0, 1, 0), 0);
  big[STUN_MAX_USERNAME] = '\0';
  len = stun_build_binding_request(out, sizeof out, txid1, big, key, 3, 1, 0, 1, 0);
  CHECK(len > 0);
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(m.username_len, STUN_MAX_USERNAME);
}

/* Every builder, for every cap below what it needs, returns 0 and writes
 * nothing at or past cap. */
static void test_builders_respect_cap(void) {
  uint8_t out[512];
  const uint8_t key[] = "key";
  struct sockaddr_in6 a6 = v6addr("::1", 9);
  const uint16_t attrs[2] = {0x10, 0x11};
  for (int which = 0; which < 4; which++) {
    size_t full = 0;
    for (size_t cap = 0; cap <= sizeof out; cap++) {
      memset(out, 0xA5, sizeof out);
      size_t len = 0;
      switch (which) {
        case 0:
          len = stun_build_binding_success(out, cap, txid1, (const struct sockaddr *)&a6, key, 3);
          break;
        case 1:
          len = stun_build_error(out, cap, 1, txid1, 401, "nope", key, 3);
          break;
        case 2:
          len = stun_build_unknown_attributes(out, cap, 1, txid1, attrs, 2, key, 3);
          break;
        default:
          len = stun_build_binding_request(out, cap, txid1, "a:b", key, 3, 7, true, true, 1);
          break;
      }
      for (size_t i = cap; i < sizeof out; i++)
        if (out[i] != 0xA5) {
          CHECK(!"builder wrote past cap");
          break;
        }
      if (len > 0) {
        full = len;
        CHECK(len <= cap);
        break;
      }
    }
    CHECK(full > 0);
  }
}

static void test_empty_or_null_key(void) {
  uint8_t out[128];
  struct sockaddr_in a = v4addr("10.0.0.1", 1);
  const uint8_t k[] = "x";
  CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&a, k, 0),
               0);
  size_t len =
      stun_build_binding_success(out, sizeof out, txid1, (const struct sockaddr *)&a, k, 1);
  stun_msg m;
  CHECK_EQ_INT(parse_all(out, len, &m), STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, NULL, 1), STUN_ERR_INTEGRITY);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, k, 0), STUN_ERR_INTEGRITY);
  CHECK_EQ_INT(stun_check_integrity(out, len, &m, k, 1), STUN_OK);
  /* A stun_msg that does not describe the packet is refused, not trusted. */
  stun_msg bogus = m;
  bogus.integrity_offset = len;
  CHECK_EQ_INT(stun_check_integrity(out, len, &bogus, k, 1), STUN_ERR_INTEGRITY);
  bogus.integrity_offset = len - 20;
  CHECK_EQ_INT(stun_check_integrity(out, len, &bogus, k, 1), STUN_ERR_INTEGRITY);
  bogus.integrity_offset = 2;
  CHECK_EQ_INT(stun_check_integrity(out, len, &bogus, k, 1), STUN_ERR_INTEGRITY);
  bogus.integrity_offset = SIZE_MAX - 3;
  CHECK_EQ_INT(stun_check_integrity(out, len, &bogus, k, 1), STUN_ERR_INTEGRITY);
  CHECK_EQ_INT(stun_check_integrity(out, len, NULL, k, 1), STUN_ERR_INTEGRITY);
}

/* ---- hostile inputs ---- */

static void test_truncated_at_every_byte(void) {
  const uint8_t *vecs[3] = {rfc_request, rfc_response_v4, rfc_response_v6};
  const size_t lens[3] = {sizeof rfc_request, sizeof rfc_response_v4, sizeof rfc_response_v6};
  for (int v = 0; v < 3; v++) {
    for (size_t n = 0; n < lens[v]; n++) {
      stun_msg m;
      CHECK(!stun_looks_like(vecs[v], n));
      CHECK_EQ_INT(parse_all(vecs[v], n, &m), STUN_ERR_TRUNCATED);
    }
  }
  stun_msg m;
  CHECK_EQ_INT(parse_all(NULL, 0, &m), STUN_ERR_TRUNCATED);
  CHECK(!stun_looks_like(NULL, 20));
}

static void test_header_checks(void) {
  uint8_t buf[sizeof rfc_request + 8];
  stun_msg m;
  /* Bad magic cookie. */
  memcpy(buf, rfc_request, sizeof rfc_request);
  buf[7] ^= 1;
  CHECK(!stun_looks_like(buf, sizeof rfc_request));
  CHECK_EQ_INT(parse_all(buf, sizeof rfc_request, &m), STUN_ERR_MALFORMED);
  /* First two bits set (RTP/DTLS land). */
  for (unsigned top = 1; top < 4; top++) {
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[0] |= (uint8_t)(top << 6);
    CHECK(!stun_looks_like(buf, sizeof rfc_request));
    CHECK_EQ_INT(parse_all(buf, sizeof rfc_request, &m), STUN_ERR_MALFORMED);
  }
  /* Length field not a multiple of 4. */
  for (unsigned d = 1; d < 4; d++) {
    memcpy(buf, rfc_request, sizeof rfc_request);
    put_be16(buf + 2, 0x58 - d);
    CHECK(!stun_looks_like(buf, sizeof rfc_request - d));
    CHECK_EQ_INT(parse_all(buf, sizeof rfc_request, &m), STUN_ERR_MALFORMED);
    CHECK_EQ_INT(parse_all(buf, sizeof rfc_request - d, &m), STUN_ERR_MALFORMED);
  }
  /* Trailing bytes after the message. */
  memcpy(buf, rfc_request, sizeof rfc_request);
  memset(buf + sizeof rfc_request, 0, 8);
  CHECK(!stun_looks_like(buf, sizeof buf));
  CHECK_EQ_INT(parse_all(buf, sizeof buf, &m), STUN_ERR_MALFORMED);
  /* A bare header is a valid (empty) message. */
  size_t n = msg_begin(buf, 0x0011);
  CHECK(stun_looks_like(buf, n));
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.cls, STUN_CLASS_INDICATION);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK(!m.has_integrity && !m.has_fingerprint && m.username == NULL);
}

static void test_attribute_length_past_end(void) {
  uint8_t buf[64];
  stun_msg m;
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_PRIORITY, "\0\0\0\1", 4);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  /* Claim 5, 8, 0xFFFF bytes of value with only 4 present. */
  const unsigned lens[] = {5, 8, 0xFFFF};
  for (int i = 0; i < 3; i++) {
    put_be16(buf + 22, lens[i]);
    CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  }
  /* Value length 1..3 would need padding past the end. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, 0x8055, NULL, 0);
  put_be16(buf + 22, 1);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  /* A lone partial attribute header cannot happen with a length that is a
   * multiple of 4, but an attribute header without room for its value can. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "abcd", 4);
  put_be16(buf + 22, 8);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
}

static void test_fingerprint_rules(void) {
  uint8_t buf[128];
  stun_msg m;
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_PRIORITY, "\1\2\3\4", 4);
  n = stun_finish(buf, n, sizeof buf, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.has_fingerprint);
  /* Wrong value: every bit of the CRC matters. */
  for (int b = 0; b < 32; b++) {
    buf[n - 1 - b / 8] ^= (uint8_t)(1u << (b % 8));
    CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_FINGERPRINT);
    buf[n - 1 - b / 8] ^= (uint8_t)(1u << (b % 8));
  }
  /* Changing the covered bytes breaks it too. */
  buf[24] ^= 0x80;
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_FINGERPRINT);
  buf[24] ^= 0x80;
  /* Not the last attribute. */
  size_t n2 = msg_attr(buf, n, 0x8055, "zzzz", 4);
  CHECK_EQ_INT(parse_all(buf, n2, &m), STUN_ERR_FINGERPRINT);
  n2 = msg_attr(buf, n, STUN_ATTR_USERNAME, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n2, &m), STUN_ERR_FINGERPRINT);
  /* Wrong FINGERPRINT length. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_FINGERPRINT, "\0\0\0\0\0\0\0\0", 8);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_FINGERPRINT, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  /* Two FINGERPRINTs: the first is not last. */
  n = msg_begin(buf, 0x0001);
  n = stun_finish(buf, n, sizeof buf, NULL, 0);
  n = stun_finish(buf, n, sizeof buf, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_FINGERPRINT);
}

static void test_integrity_rules(void) {
  uint8_t buf[256];
  stun_msg m;
  const uint8_t key[] = "right-key";
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "a:b", 3);
  size_t body = n;
  n = stun_finish(buf, n, sizeof buf, key, sizeof key - 1);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.integrity_offset, body);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, key, sizeof key - 1), STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, (const uint8_t *)"wrong-key", 9),
               STUN_ERR_INTEGRITY);
  /* A flipped MAC bit, with FINGERPRINT recomputed so that the parser
   * accepts the message and only the MAC can catch it. */
  buf[body + 4] ^= 1;
  n = stun_finish(buf, n - 8, sizeof buf, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, key, sizeof key - 1), STUN_ERR_INTEGRITY);
  /* MESSAGE-INTEGRITY of the wrong size. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_MESSAGE_INTEGRITY, NULL, 16);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_MESSAGE_INTEGRITY, NULL, 32);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  /* Without FINGERPRINT it still verifies (MAC covers up to itself only). */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "a:b", 3);
  n = stun_finish(buf, n, sizeof buf, key, sizeof key - 1) - 8;
  put_be16(buf + 2, (unsigned)(n - 20));
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.has_integrity && !m.has_fingerprint);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, key, sizeof key - 1), STUN_OK);
}

/* After MESSAGE-INTEGRITY only FINGERPRINT counts; anything else (even
 * malformed or unknown-required) is ignored, and may not change the MAC. */
static void test_attributes_after_integrity_ignored(void) {
  uint8_t buf[256];
  stun_msg m;
  const uint8_t key[] = "k3y";
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "a:b", 3);
  size_t mi = n;
  n = stun_finish(buf, n, sizeof buf, key, 3) - 8; /* drop FINGERPRINT */
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "evil:user", 9);
  n = msg_attr(buf, n, STUN_ATTR_PRIORITY, "\1", 1);        /* malformed PRIORITY */
  n = msg_attr(buf, n, STUN_ATTR_USE_CANDIDATE, NULL, 0);   /* not honoured */
  n = msg_attr(buf, n, STUN_ATTR_ICE_CONTROLLED, NULL, 8);  /* not honoured */
  n = msg_attr(buf, n, 0x0077, NULL, 4);                    /* unknown required */
  n = msg_attr(buf, n, STUN_ATTR_MESSAGE_INTEGRITY, NULL, 20);
  n = stun_finish(buf, n, sizeof buf, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.username_len == 3 && memcmp(m.username, "a:b", 3) == 0);
  CHECK(!m.has_priority && !m.use_candidate && !m.ice_controlled);
  CHECK_EQ_INT(m.n_unknown_required, 0);
  CHECK_EQ_INT(m.integrity_offset, mi);
  CHECK(m.has_fingerprint);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, key, 3), STUN_OK);
}

static void test_username_limits(void) {
  static uint8_t buf[2048];
  stun_msg m;
  uint8_t name[600];
  memset(name, 'n', sizeof name);
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, name, 600);
  n = stun_finish(buf, n, sizeof buf, (const uint8_t *)"k", 1);
  CHECK(n > 0);
  CHECK(stun_looks_like(buf, n));
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, name, STUN_MAX_USERNAME + 1);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, name, STUN_MAX_USERNAME);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.username_len, STUN_MAX_USERNAME);
  /* First USERNAME wins. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "first", 5);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, "second", 6);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.username_len == 5 && memcmp(m.username, "first", 5) == 0);
  CHECK(m.username == buf + 24); /* zero-copy: a view into the packet */
}

static void test_zero_length_attributes(void) {
  uint8_t buf[128];
  stun_msg m;
  /* Fine with no value: USERNAME (empty, but present), USE-CANDIDATE,
   * unknown optional ones, SOFTWARE. */
  size_t n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USERNAME, NULL, 0);
  n = msg_attr(buf, n, STUN_ATTR_USE_CANDIDATE, NULL, 0);
  n = msg_attr(buf, n, 0xC057, NULL, 0);
  n = msg_attr(buf, n, STUN_ATTR_SOFTWARE, NULL, 0);
  n = msg_attr(buf, n, STUN_ATTR_REALM, NULL, 0);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.username != NULL && m.username_len == 0);
  CHECK(m.use_candidate);
  CHECK_EQ_INT(m.n_unknown_required, 0);
  /* Need a value: these are malformed when empty or the wrong size. */
  const unsigned need[] = {STUN_ATTR_PRIORITY, STUN_ATTR_ICE_CONTROLLED, STUN_ATTR_ICE_CONTROLLING,
                           STUN_ATTR_MESSAGE_INTEGRITY, STUN_ATTR_XOR_MAPPED_ADDRESS,
                           STUN_ATTR_ERROR_CODE, STUN_ATTR_FINGERPRINT};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
    n = msg_begin(buf, 0x0001);
    n = msg_attr(buf, n, need[i], NULL, 0);
    CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  }
  /* USE-CANDIDATE carries no value. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_USE_CANDIDATE, "x", 1);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
}

static void test_known_attribute_values(void) {
  uint8_t buf[128];
  stun_msg m;
  /* XOR-MAPPED-ADDRESS: family 1 needs 8 bytes, family 2 needs 20, others bad. */
  uint8_t v[20] = {0, 1, 0, 0};
  size_t n = msg_begin(buf, 0x0101);
  n = msg_attr(buf, n, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 20);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  v[1] = 2;
  n = msg_begin(buf, 0x0101);
  n = msg_attr(buf, n, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 8);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  v[1] = 3;
  n = msg_begin(buf, 0x0101);
  n = msg_attr(buf, n, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 8);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  /* ERROR-CODE: class 3..6, number 0..99. */
  const uint8_t bad_codes[][4] = {{0, 0, 2, 99}, {0, 0, 7, 0}, {0, 0, 4, 100}, {0, 0, 0, 0}};
  for (int i = 0; i < 4; i++) {
    n = msg_begin(buf, 0x0111);
    n = msg_attr(buf, n, STUN_ATTR_ERROR_CODE, bad_codes[i], 4);
    CHECK_EQ_INT(parse_all(buf, n, &m), STUN_ERR_MALFORMED);
  }
  const uint8_t code[4] = {0xff, 0xff, 0xfc, 99}; /* reserved bits ignored: 499 */
  n = msg_begin(buf, 0x0111);
  n = msg_attr(buf, n, STUN_ATTR_ERROR_CODE, code, 4);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.error_code, 499);
  /* ICE-CONTROLLING and ICE-CONTROLLED both: flags both set, first tiebreaker. */
  n = msg_begin(buf, 0x0001);
  n = msg_attr(buf, n, STUN_ATTR_ICE_CONTROLLING, "\0\0\0\0\0\0\0\1", 8);
  n = msg_attr(buf, n, STUN_ATTR_ICE_CONTROLLED, "\0\0\0\0\0\0\0\2", 8);
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.ice_controlling && m.ice_controlled && m.tiebreaker == 1);
}

/* Thousands of attributes parse in one pass; unknown comprehension-required
 * types are reported (the first 8), optional ones are not. */
static void test_many_attributes(void) {
  static uint8_t buf[STUN_HEADER_LEN + 0xFFFC];
  stun_msg m;
  size_t n = msg_begin(buf, 0x0001);
  for (unsigned i = 0; i < 20; i++) n = msg_attr(buf, n, 0x0040 + i, NULL, 0);
  while (n + 4 + 8 <= sizeof buf) n = msg_attr(buf, n, 0xC001, NULL, 0);
  n = stun_finish(buf, n, sizeof buf, NULL, 0);
  CHECK(n > 60000);
  CHECK(stun_looks_like(buf, n));
  CHECK_EQ_INT(parse_all(buf, n, &m), STUN_OK);
  CHECK(m.has_fingerprint);
  CHECK_EQ_INT(m.n_unknown_required, STUN_MAX_UNKNOWN);
  for (int i = 0; i < STUN_MAX_UNKNOWN; i++) CHECK_EQ_INT(m.unknown_required[i], 0x0040 + i);
  /* The largest possible message still fits stun_finish's 16-bit length;
   * one more attribute would not. */
  CHECK_EQ_INT(stun_finish(buf, sizeof buf, sizeof buf + 8, NULL, 0), 0);
}

TEST_SUITE(stun,
           {"rfc5769_request", test_rfc5769_request},
           {"rfc5769_finish_byte_for_byte", test_rfc5769_finish_byte_for_byte},
           {"rfc5769_response_v4", test_rfc5769_response_v4},
           {"rfc5769_response_v6", test_rfc5769_response_v6},
           {"rfc5769_every_bit_flip_detected", test_rfc5769_every_bit_flip_detected},
           {"roundtrip_success_v4", test_roundtrip_success_v4},
           {"roundtrip_success_v6", test_roundtrip_success_v6},
           {"roundtrip_error", test_roundtrip_error},
           {"roundtrip_unknown_attributes", test_roundtrip_unknown_attributes},
           {"roundtrip_binding_request", test_roundtrip_binding_request},
           {"builders_respect_cap", test_builders_respect_cap},
           {"empty_or_null_key", test_empty_or_null_key},
           {"truncated_at_every_byte", test_truncated_at_every_byte},
           {"header_checks", test_header_checks},
           {"attribute_length_past_end", test_attribute_length_past_end},
           {"fingerprint_rules", test_fingerprint_rules},
           {"integrity_rules", test_integrity_rules},
           {"attributes_after_integrity_ignored", test_attributes_after_integrity_ignored},
           {"username_limits", test_username_limits},
           {"zero_length_attributes", test_zero_length_attributes},
           {"known_attribute_values", test_known_attribute_values},
           {"many_attributes", test_many_attributes});
