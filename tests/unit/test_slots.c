/* Sender slots of a live room (src/signal/slots.c): fresh slots in order,
 * freed ones reused only after the quarantine, churn never runs out. */
#include "signal/slots.h"
#include "test.h"

static void test_fresh_then_quarantined(void) {
  slot_pool p;
  slot_pool_init(&p);
  uint16_t s = 0;
  CHECK_EQ_INT(slot_pool_take(&p, 0, &s), 0);
  CHECK_EQ_INT(s, 1);
  CHECK_EQ_INT(slot_pool_take(&p, 0, &s), 0);
  CHECK_EQ_INT(s, 2);
  CHECK_EQ_INT(slot_pool_release(&p, 1, 1000), 0);
  /* In quarantine: a fresh slot. */
  CHECK_EQ_INT(slot_pool_take(&p, 1000 + SLOT_QUARANTINE_MS - 1, &s), 0);
  CHECK_EQ_INT(s, 3);
  /* After it: slot 1 again. */
  CHECK_EQ_INT(slot_pool_take(&p, 1000 + SLOT_QUARANTINE_MS, &s), 0);
  CHECK_EQ_INT(s, 1);
  slot_pool_free(&p);
}

/* Attack (issue 9, 1.6): join/leave churn used up all 65535 slots and the
 * room answered room_full to everyone. 200,000 join/leave cycles, one every
 * 100 ms, with two participants staying: every join gets a slot, and the
 * pool never grows past the quarantine's worth of slots. */
static void test_churn_never_runs_out(void) {
  slot_pool p;
  slot_pool_init(&p);
  uint16_t a, b, s;
  CHECK_EQ_INT(slot_pool_take(&p, 0, &a), 0);
  CHECK_EQ_INT(slot_pool_take(&p, 0, &b), 0);
  int failed = 0;
  uint64_t t = 0;
  for (int i = 0; i < 200000; i++, t += 100) {
    if (slot_pool_take(&p, t, &s) != 0) {
      failed++;
      continue;
    }
    CHECK(s != a && s != b);
    CHECK_EQ_INT(slot_pool_release(&p, s, t + 50), 0);
  }
  CHECK_EQ_INT(failed, 0);
  CHECK(p.next <= 2 + SLOT_QUARANTINE_MS / 100 + 2);
  slot_pool_free(&p);
}

/* Every slot taken and none freed: -1, not a wrapped slot 0. */
static void test_exhausted(void) {
  slot_pool p;
  slot_pool_init(&p);
  uint16_t s = 0;
  for (uint32_t i = 1; i <= SLOT_MAX; i++) {
    CHECK_EQ_INT(slot_pool_take(&p, 0, &s), 0);
    if (s != i) break;
  }
  CHECK_EQ_INT(s, SLOT_MAX);
  CHECK_EQ_INT(slot_pool_take(&p, 0, &s), -1);
  CHECK_EQ_INT(slot_pool_release(&p, 7, 0), 0);
  CHECK_EQ_INT(slot_pool_take(&p, 1, &s), -1); /* still in quarantine */
  CHECK_EQ_INT(slot_pool_take(&p, SLOT_QUARANTINE_MS, &s), 0);
  CHECK_EQ_INT(s, 7);
  slot_pool_free(&p);
}

TEST_SUITE(slots, {"fresh_then_quarantined", test_fresh_then_quarantined},
           {"churn_never_runs_out", test_churn_never_runs_out}, {"exhausted", test_exhausted});
