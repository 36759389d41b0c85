/* Join admission per client address (src/signal/admission.c), on a fake
 * clock: a burst of 10x the rate, then one join per 1/rate with a truthful
 * retry time; addresses do not share a bucket; a clock that goes back adds
 * nothing; a flood of distinct addresses (more than the table holds) is
 * admitted without refusing any newcomer; rate 0 admits everything. */
#include <stdint.h>
#include <stdio.h>

#include "signal/admission.h"
#include "test.h"

static void test_burst_then_rate(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 2), 0); /* 2 joins/s, burst 20 */
  uint64_t retry = 99;
  const uint64_t t0 = 1000000;
  for (int i = 0; i < 20; i++) CHECK(admission_take(&a, "192.0.2.1", t0, &retry));
  CHECK_EQ_INT(retry, 0);
  CHECK(!admission_take(&a, "192.0.2.1", t0, &retry));
  /* One token takes 500 ms at 2/s: the retry time says so (rounded up). */
  CHECK(retry >= 500 && retry <= 501);
  /* Still refused just before, admitted at the retry time, then refused again. */
  CHECK(!admission_take(&a, "192.0.2.1", t0 + 490, NULL));
  CHECK(admission_take(&a, "192.0.2.1", t0 + retry, &retry));
  CHECK_EQ_INT(retry, 0);
  CHECK(!admission_take(&a, "192.0.2.1", t0 + 501, NULL));
  /* A long pause refills to the burst, not beyond. */
  int ok = 0;
  for (int i = 0; i < 40; i++) ok += admission_take(&a, "192.0.2.1", t0 + 3600000, NULL);
  CHECK_EQ_INT(ok, 20);
  admission_free(&a);
}

static void test_addresses_independent(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 1), 0); /* burst 10 */
  for (int i = 0; i < 10; i++) CHECK(admission_take(&a, "198.51.100.7", 5000, NULL));
  CHECK(!admission_take(&a, "198.51.100.7", 5000, NULL));
  /* Another address, IPv6 included, has its own full bucket. */
  for (int i = 0; i < 10; i++) CHECK(admission_take(&a, "198.51.100.8", 5000, NULL));
  for (int i = 0; i < 10; i++) CHECK(admission_take(&a, "2001:db8::1", 5000, NULL));
  CHECK(!admission_take(&a, "2001:db8::1", 5000, NULL));
  /* A missing address counts as one address (""), limited like any other. */
  int ok = 0;
  for (int i = 0; i < 20; i++) ok += admission_take(&a, NULL, 5000, NULL);
  CHECK_EQ_INT(ok, 10);
  admission_free(&a);
}

static void test_clock_going_back(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 1), 0);
  for (int i = 0; i < 10; i++) CHECK(admission_take(&a, "203.0.113.9", 100000, NULL));
  /* Earlier timestamps refill nothing (no unsigned wrap-around into a huge
   * refill). What a later timestamp then adds is not asserted: the bucket
   * (core/bucket.h) moves its last time back with the clock, so the gap is
   * credited again once time moves forward; harmless with the loop's
   * monotonic clock, which is all admission is called with. */
  uint64_t retry = 0;
  CHECK(!admission_take(&a, "203.0.113.9", 50000, &retry));
  CHECK(retry >= 1 && retry <= 1001);
  CHECK(!admission_take(&a, "203.0.113.9", 0, NULL));
  admission_free(&a);
}

/* More distinct addresses than the table holds, one every 2 ms: each
 * newcomer is admitted (an entry idle the longest is taken over), and an
 * address over its limit that keeps trying in between is never the one
 * taken over: it gets the rate's tokens as they come, not a fresh burst. */
static void test_flood_of_addresses(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 1), 0);
  const uint64_t t0 = 1000;
  for (int i = 0; i < 10; i++) CHECK(admission_take(&a, "192.0.2.200", t0, NULL));
  char ip[64];
  int refused_newcomers = 0, busy_admitted = 0;
  const int n = 4 * ADMISSION_ADDRS;
  for (int i = 0; i < n; i++) {
    snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    if (!admission_take(&a, ip, t0 + 2 * (uint64_t)i, NULL)) refused_newcomers++;
    if (admission_take(&a, "192.0.2.200", t0 + 2 * (uint64_t)i + 1, NULL)) busy_admitted++;
  }
  CHECK_EQ_INT(refused_newcomers, 0);
  /* 2n ms at 1 join/s: 32 tokens (a reset to the burst would add 10). */
  CHECK_EQ_INT(busy_admitted, (2 * n) / 1000);
  CHECK(!admission_take(&a, "192.0.2.200", t0 + 2 * (uint64_t)n, NULL));
  admission_free(&a);
}

static void test_rate_zero_is_unlimited(void) {
  admission a;
  CHECK_EQ_INT(admission_init(&a, 0), 0);
  uint64_t retry = 7;
  int ok = 0;
  for (int i = 0; i < 100000; i++) ok += admission_take(&a, "192.0.2.1", 0, &retry);
  CHECK_EQ_INT(ok, 100000);
  CHECK_EQ_INT(retry, 0);
  admission_free(&a);
  admission_free(&a); /* twice is harmless */
}

TEST_SUITE(admission, {"burst_then_rate", test_burst_then_rate},
           {"addresses_independent", test_addresses_independent},
           {"clock_going_back", test_clock_going_back},
           {"flood_of_addresses", test_flood_of_addresses},
           {"rate_zero_is_unlimited", test_rate_zero_is_unlimited});
