/* Tests of the bounded text builder (src/core/strbuf.h). */
#include "core/strbuf.h"
#include "test.h"

static void test_put_and_overflow(void) {
  char out[8];
  strbuf w;
  CHECK_EQ_INT(strbuf_init(&w, out, sizeof out), 0);
  CHECK_EQ_INT(strbuf_done(&w), 0);
  CHECK_EQ_STR(out, "");
  strbuf_put(&w, "ab%d", 12);
  strbuf_put(&w, "%s", "cd");
  CHECK_EQ_INT(strbuf_done(&w), 6);
  CHECK_EQ_STR(out, "ab12cd");
  strbuf_put(&w, "xy"); /* 8 bytes with the NUL: does not fit */
  CHECK(w.overflow);
  strbuf_put(&w, "z"); /* would fit, but an overflow is final */
  CHECK_EQ_INT(strbuf_done(&w), -1);
  CHECK_EQ_STR(out, "");
  CHECK_EQ_INT(strbuf_init(&w, NULL, 4), -1);
  strbuf_put(&w, "a");
  CHECK_EQ_INT(strbuf_done(&w), -1);
  CHECK_EQ_INT(strbuf_init(&w, out, 0), -1);
}

static void test_fail(void) {
  char err[6];
  CHECK_EQ_INT(strbuf_fail(err, sizeof err, "bad %d", 12345), -1);
  CHECK_EQ_STR(err, "bad 1");
  CHECK_EQ_INT(strbuf_fail(NULL, 10, "x"), -1);
  CHECK_EQ_INT(strbuf_fail(err, 0, "x"), -1);
  CHECK_EQ_STR(err, "bad 1");
}

TEST_SUITE(strbuf, {"put_and_overflow", test_put_and_overflow}, {"fail", test_fail});
