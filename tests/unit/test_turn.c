/* TURN REST API credentials (src/auth/turn.c): the username is
 * "<expiry>:<user>" and the password base64(HMAC-SHA1(secret, username)),
 * checked against a value computed independently (Python's hmac module). */
#include <string.h>

#include "auth/turn.h"
#include "test.h"

static void test_vector(void) {
  char u[64], p[64];
  CHECK_EQ_INT(turn_credentials("north-sea-secret", "a1b2c3", 1700000000, u, sizeof u, p, sizeof p), 0);
  CHECK_EQ_STR(u, "1700000000:a1b2c3");
  CHECK_EQ_STR(p, "Sj8ro1/rWuvojseCKQYb1b6E1Sc=");
}

static void test_refusals(void) {
  char u[64], p[64];
  CHECK_EQ_INT(turn_credentials("", "a", 1, u, sizeof u, p, sizeof p), -1);
  CHECK_EQ_INT(turn_credentials("s", "", 1, u, sizeof u, p, sizeof p), -1);
  CHECK_EQ_INT(turn_credentials("s", "a", 0, u, sizeof u, p, sizeof p), -1);
  CHECK_EQ_INT(turn_credentials(NULL, "a", 1, u, sizeof u, p, sizeof p), -1);
  char small[8];
  CHECK_EQ_INT(turn_credentials("s", "a", 1700000000, small, sizeof small, p, sizeof p), -1); /* username cut */
  CHECK_EQ_STR(small, "");
  CHECK_EQ_INT(turn_credentials("s", "a", 1700000000, u, sizeof u, small, sizeof small), -1); /* password cut */
  CHECK_EQ_STR(u, "");
  CHECK_EQ_STR(small, "");
  char exact[29]; /* 28 characters and the NUL */
  CHECK_EQ_INT(turn_credentials("s", "a", 1700000000, u, sizeof u, exact, sizeof exact), 0);
  CHECK_EQ_INT(strlen(exact), 28);
}

TEST_SUITE(turn, {"vector", test_vector}, {"refusals", test_refusals});
