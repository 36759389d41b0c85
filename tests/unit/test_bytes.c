/* Unit tests for lib/common/bytes.h: every width against hand-written bytes,
 * the top bit set (no sign extension through int promotion), unaligned
 * pointers, only the field's own bytes written, and round trips. */
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "test.h"

static const uint8_t pattern[9] = {0x01, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xff};

static void test_get(void) {
  CHECK_EQ_INT(get_be16(pattern), 0x0182);
  CHECK_EQ_INT(get_be16(pattern + 1), 0x8283);
  CHECK_EQ_INT(get_be24(pattern), 0x018283);
  CHECK_EQ_INT(get_be24(pattern + 1), 0x828384);
  CHECK_EQ_INT(get_be32(pattern), 0x01828384);
  CHECK(get_be32(pattern + 1) == 0x82838485u);
  CHECK(get_be64(pattern) == 0x0182838485868788u);
  CHECK(get_be64(pattern + 1) == 0x82838485868788ffu);
  static const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK(get_be16(ones) == 0xffffu);
  CHECK(get_be24(ones) == 0xffffffu);
  CHECK(get_be32(ones) == 0xffffffffu);
  CHECK(get_be64(ones) == UINT64_MAX);
}

static void test_get_n(void) {
  CHECK(get_be_n(pattern, 0) == 0);
  CHECK(get_be_n(pattern + 8, 1) == 0xff);
  CHECK(get_be_n(pattern, 2) == get_be16(pattern));
  CHECK(get_be_n(pattern, 3) == get_be24(pattern));
  CHECK(get_be_n(pattern + 1, 4) == get_be32(pattern + 1));
  CHECK(get_be_n(pattern, 5) == 0x0182838485u);
  CHECK(get_be_n(pattern + 1, 8) == get_be64(pattern + 1));
}

/* Each store writes exactly its width (guard bytes around stay 0xee). */
static void test_put(void) {
  uint8_t buf[12];
  memset(buf, 0xee, sizeof buf);
  put_be16(buf + 1, 0x8182);
  CHECK(buf[0] == 0xee && buf[1] == 0x81 && buf[2] == 0x82 && buf[3] == 0xee);
  memset(buf, 0xee, sizeof buf);
  put_be24(buf + 1, 0xff818283u); /* only the low 24 bits */
  CHECK(buf[0] == 0xee && buf[1] == 0x81 && buf[2] == 0x82 && buf[3] == 0x83 && buf[4] == 0xee);
  memset(buf, 0xee, sizeof buf);
  put_be32(buf + 1, 0x81828384u);
  CHECK(memcmp(buf + 1, "\x81\x82\x83\x84", 4) == 0 && buf[0] == 0xee && buf[5] == 0xee);
  memset(buf, 0xee, sizeof buf);
  put_be64(buf + 1, 0x8182838485868788u);
  CHECK(memcmp(buf + 1, "\x81\x82\x83\x84\x85\x86\x87\x88", 8) == 0);
  CHECK(buf[0] == 0xee && buf[9] == 0xee);
}

static void test_put_n(void) {
  uint8_t buf[10];
  memset(buf, 0xee, sizeof buf);
  put_be_n(buf + 1, 0, 0x1234);
  CHECK(buf[1] == 0xee);
  put_be_n(buf + 1, 1, 0x1234); /* only the low 8 bits */
  CHECK(buf[1] == 0x34 && buf[2] == 0xee);
  memset(buf, 0xee, sizeof buf);
  put_be_n(buf + 1, 3, 0xaabbccddu);
  CHECK(memcmp(buf + 1, "\xbb\xcc\xdd", 3) == 0 && buf[0] == 0xee && buf[4] == 0xee);
  memset(buf, 0xee, sizeof buf);
  put_be_n(buf + 1, 8, 0x8182838485868788u);
  CHECK(memcmp(buf + 1, "\x81\x82\x83\x84\x85\x86\x87\x88", 8) == 0);
  CHECK(buf[0] == 0xee && buf[9] == 0xee);
}

static void test_round_trip(void) {
  static const uint64_t values[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                                    0x123456, 0x800000, 0x7fffffff, 0x80000000u,
                                    0xffffffffu, 0x100000000u, 0x8000000000000000u,
                                    UINT64_MAX};
  uint8_t buf[8];
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint64_t v = values[i];
    put_be16(buf, (uint16_t)v);
    CHECK(get_be16(buf) == (uint16_t)v);
    put_be24(buf, (uint32_t)v);
    CHECK(get_be24(buf) == (v & 0xffffffu));
    put_be32(buf, (uint32_t)v);
    CHECK(get_be32(buf) == (uint32_t)v);
    put_be64(buf, v);
    CHECK(get_be64(buf) == v);
    for (size_t n = 0; n <= 8; n++) {
      uint64_t mask = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
      put_be_n(buf, n, v);
      CHECK(get_be_n(buf, n) == (v & mask));
    }
  }
}

static void test_little_endian(void) {
  CHECK_EQ_INT(get_le16(pattern), 0x8201);
  CHECK_EQ_INT(get_le32(pattern + 1), 0x85848382u);
  uint8_t buf[6];
  memset(buf, 0xee, sizeof buf);
  put_le16(buf, 0xbeef);
  put_le32(buf + 2, 0x12345678u);
  static const uint8_t want[6] = {0xef, 0xbe, 0x78, 0x56, 0x34, 0x12};
  CHECK(memcmp(buf, want, sizeof want) == 0);
  CHECK_EQ_INT(get_le32(buf + 2), 0x12345678u);
}

TEST_SUITE(bytes, {"get", test_get}, {"get_n", test_get_n}, {"put", test_put},
           {"put_n", test_put_n}, {"round_trip", test_round_trip},
           {"little_endian", test_little_endian});
