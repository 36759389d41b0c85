/* Tests for src/core/timefmt.c: ISO 8601 formatting and strict parsing. */
#include "core/timefmt.h"
#include "test.h"

static void test_format(void) {
  char out[ISO8601_LEN];
  iso8601_format(0, out);
  CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
  iso8601_format(1768576534, out);
  CHECK_EQ_STR(out, "2026-01-16T15:15:34Z");
  iso8601_format(ISO8601_MAX + 86400 * 400, out); /* year 10001: clamped, never unterminated */
  CHECK_EQ_STR(out, "9999-12-31T23:59:59Z");
  iso8601_format(-5, out);
  CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
}

static void test_parse_valid(void) {
  int64_t t;
  CHECK(iso8601_parse("2026-01-16T15:15:34Z", &t) == 0);
  CHECK_EQ_INT(t, 1768576534);
  CHECK(iso8601_parse("2026-01-16T15:15:34.123456Z", &t) == 0);
  CHECK_EQ_INT(t, 1768576534);
  CHECK(iso8601_parse("2026-01-16T17:15:34+02:00", &t) == 0);
  CHECK_EQ_INT(t, 1768576534);
  CHECK(iso8601_parse("2026-01-16T10:15:34-05:00", &t) == 0);
  CHECK_EQ_INT(t, 1768576534);
  CHECK(iso8601_parse("2024-02-29T00:00:00Z", &t) == 0);
  CHECK(iso8601_parse("9999-12-31T23:59:59Z", &t) == 0);
  CHECK_EQ_INT(t, ISO8601_MAX);
  CHECK(iso8601_parse("2026-01-16T15:15:34-14:00", &t) == 0);
}

static void test_parse_invalid(void) {
  int64_t t;
  const char *bad[] = {"", "2026-01-16", "2026-01-16T15:15:34", "2026-01-16 15:15:34Z",
                       "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-32T00:00:00Z",
                       "2026-01-16T24:00:00Z", "2026-01-16T15:60:00Z", "2026-01-16T15:15:60Z",
                       "2026-01-16T15:15:34ZZ", "2026-01-16T15:15:34.Z", "1969-12-31T23:59:59Z",
                       "2026-01-16T15:15:34+2:00", "2026-1-16T15:15:34Z", "abcd-01-16T15:15:34Z",
                       "2026-01-16T15:15:34.1234567890Z", "2026-01-16T15:15:34+24:00",
                       "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59-00:01",
                       "1970-01-01T00:00:00+00:01", "2026-01-16T15:15:34+14:01"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (iso8601_parse(bad[i], &t) == 0) {
      fprintf(stderr, "  accepted: %s\n", bad[i]);
      test_failures_in_current++;
    }
  }
}

TEST_SUITE(timefmt, {"format", test_format}, {"parse_valid", test_parse_valid},
           {"parse_invalid", test_parse_invalid});
