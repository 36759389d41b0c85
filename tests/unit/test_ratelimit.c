/* Tests for src/api/ratelimit.c: token buckets with an injected clock (ms). */
#include "api/ratelimit.h"
#include "test.h"

static void test_burst_then_refill(void) {
  rate_limiter *rl = rate_limiter_new(2, 4);
  int retry = 0;
  for (int i = 0; i < 4; i++) CHECK(rate_limiter_take(rl, "team", 100000, &retry));
  CHECK(!rate_limiter_take(rl, "team", 100000, &retry));
  CHECK_EQ_INT(retry, 1);
  CHECK(!rate_limiter_take(rl, "team", 100200, &retry)); /* 0.4 tokens */
  CHECK_EQ_INT(retry, 1);
  CHECK(rate_limiter_take(rl, "team", 100500, &retry)); /* one token after 0.5 s at 2/s */
  CHECK(!rate_limiter_take(rl, "team", 100500, &retry));
  CHECK(rate_limiter_take(rl, "other", 100500, &retry)); /* keys are independent */
  for (int i = 0; i < 4; i++) CHECK(rate_limiter_take(rl, "team", 200000, &retry)); /* capped at burst */
  CHECK(!rate_limiter_take(rl, "team", 200000, &retry));
  rate_limiter_free(rl);
}

static void test_slow_rate_retry_after(void) {
  rate_limiter *rl = rate_limiter_new(30 / 60.0, 30); /* 30 per minute */
  int retry = 0;
  for (int i = 0; i < 30; i++) CHECK(rate_limiter_take(rl, "1.2.3.4", 0, &retry));
  CHECK(!rate_limiter_take(rl, "1.2.3.4", 0, &retry));
  CHECK_EQ_INT(retry, 2);
  rate_limiter_free(rl);
}

static void test_disabled(void) {
  rate_limiter *rl = rate_limiter_new(0, 0);
  for (int i = 0; i < 10000; i++) CHECK(rate_limiter_take(rl, "x", 0, NULL));
  rate_limiter_free(rl);
}

static void test_table_bounded(void) {
  rate_limiter *rl = rate_limiter_new(1, 1);
  char key[32];
  for (int i = 0; i < 5000; i++) { /* more keys than slots: old ones are recycled */
    snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
    CHECK(rate_limiter_take(rl, key, (uint64_t)i * 1000, NULL));
  }
  CHECK(!rate_limiter_take(rl, key, 4999000, NULL));
  rate_limiter_free(rl);
}

TEST_SUITE(ratelimit, {"burst_then_refill", test_burst_then_refill},
           {"slow_rate_retry_after", test_slow_rate_retry_after}, {"disabled", test_disabled},
           {"table_bounded", test_table_bounded});
