/* Tests for src/sfu/tables.c: uniqueness, deletion without tombstones
 * (entries stay findable after any deletion order), long churn, and a
 * random model check against a plain array. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "sfu/tables.h"
#include "test.h"

static struct sockaddr_in v4(uint32_t ip, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  return a;
}

static void test_ssrc_basic(void) {
  static ssrc_entry t[SSRC_TABLE_SLOTS];
  ssrc_table_init(t);
  int slot, index;
  CHECK_EQ_INT(ssrc_table_put(t, 1234, 3, 1), 0);
  CHECK_EQ_INT(ssrc_table_put(t, 1234, 4, 0), -1); /* taken: never hijacked */
  CHECK_EQ_INT(ssrc_table_find(t, 1234, &slot, &index), 0);
  CHECK_EQ_INT(slot, 3);
  CHECK_EQ_INT(index, 1);
  ssrc_table_del(t, 1234);
  CHECK_EQ_INT(ssrc_table_find(t, 1234, &slot, &index), -1);
  CHECK_EQ_INT(ssrc_table_put(t, 1234, 4, 0), 0);
}

static void test_ssrc_model(void) {
  static ssrc_entry t[SSRC_TABLE_SLOTS];
  static uint32_t keys[6000];
  static bool present[6000];
  ssrc_table_init(t);
  srand(7);
  for (int i = 0; i < 6000; i++) {
    /* Keys that collide in the home position (same low bits after hashing
     * are likely with this spread) and random ones. */
    keys[i] = (i % 3 == 0) ? (uint32_t)i * SSRC_TABLE_SLOTS : (uint32_t)rand() * 2654435761u + (uint32_t)i;
    present[i] = false;
  }
  for (int round = 0; round < 200000; round++) {
    int k = rand() % 6000;
    if (present[k]) {
      ssrc_table_del(t, keys[k]);
      present[k] = false;
    } else if (ssrc_table_put(t, keys[k], k % 1000, k % 8) == 0) {
      present[k] = true;
    }
    if (round % 20000 == 0) {
      for (int i = 0; i < 6000; i++) {
        int slot, index;
        int found = ssrc_table_find(t, keys[i], &slot, &index) == 0;
        if (found != present[i] || (found && slot != i % 1000)) {
          test_failures_in_current++;
          return;
        }
      }
    }
  }
}

static void test_addr_basic_and_churn(void) {
  static addr_entry t[ADDR_TABLE_SLOTS];
  addr_table_init(t);
  struct sockaddr_in a = v4(0x7f000001, 5000), b = v4(0x7f000001, 5001);
  CHECK_EQ_INT(addr_table_put(t, (struct sockaddr *)&a, 1), 0);
  CHECK_EQ_INT(addr_table_put(t, (struct sockaddr *)&a, 2), -1); /* never moves */
  CHECK_EQ_INT(addr_table_find(t, (struct sockaddr *)&a), 1);
  CHECK_EQ_INT(addr_table_find(t, (struct sockaddr *)&b), -1);
  /* A million adds and deletes keep the table usable (no tombstone buildup). */
  for (int i = 0; i < 1000000; i++) {
    struct sockaddr_in x = v4(0x0a000000u + (uint32_t)(i % 3000), (uint16_t)(1000 + i % 7));
    if (addr_table_put(t, (struct sockaddr *)&x, i % 100) == 0) {
      if (i % 2) addr_table_del(t, (struct sockaddr *)&x);
    } else {
      addr_table_del(t, (struct sockaddr *)&x);
    }
  }
  CHECK_EQ_INT(addr_table_find(t, (struct sockaddr *)&a), 1);
  addr_table_del(t, (struct sockaddr *)&a);
  CHECK_EQ_INT(addr_table_find(t, (struct sockaddr *)&a), -1);
}

static void test_addr_full(void) {
  static addr_entry t[ADDR_TABLE_SLOTS];
  addr_table_init(t);
  int ok = 0;
  for (int i = 0; i < ADDR_TABLE_SLOTS; i++) {
    struct sockaddr_in x = v4(0x0a000000u + (uint32_t)i, 9);
    if (addr_table_put(t, (struct sockaddr *)&x, 1) == 0) ok++;
  }
  CHECK(ok >= ADDR_TABLE_SLOTS / 2); /* refuses inserts before probing degrades, never loops */
  struct sockaddr_in first = v4(0x0a000000u, 9);
  CHECK_EQ_INT(addr_table_find(t, (struct sockaddr *)&first), 1);
}

TEST_SUITE(sfu_tables, {"ssrc_basic", test_ssrc_basic}, {"ssrc_model", test_ssrc_model},
           {"addr_basic_and_churn", test_addr_basic_and_churn}, {"addr_full", test_addr_full});
