/* Minimal unit-test harness: each test file defines functions registered in
 * tests/unit/main.c; CHECK records a failure and keeps going so that one run
 * shows every broken expectation. main() prints "N passed, N failed". */
#ifndef SEALROOM_TEST_H
#define SEALROOM_TEST_H

#include <stdio.h>
#include <string.h>

extern int test_failures_in_current;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      test_failures_in_current++;                                              \
    }                                                                          \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
  do {                                                                         \
    long long a_ = (long long)(a), b_ = (long long)(b);                        \
    if (a_ != b_) {                                                            \
      fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__,        \
              __LINE__, #a, a_, b_);                                           \
      test_failures_in_current++;                                              \
    }                                                                          \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
  do {                                                                         \
    const char *a_ = (a), *b_ = (b);                                           \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                   \
      fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,    \
              __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");           \
      test_failures_in_current++;                                              \
    }                                                                          \
  } while (0)

typedef void (*test_fn)(void);
typedef struct {
  const char *name;
  test_fn fn;
} test_case;

/* A test file ends with: TEST_SUITE(jwt, {"name", fn}, ...); */
typedef struct {
  const char *name;
  const test_case *cases;
  size_t count;
} test_suite;

#define TEST_SUITE(id, ...)                                                    \
  static const test_case id##_cases_[] = {__VA_ARGS__};                        \
  const test_suite suite_##id = {#id, id##_cases_,                             \
                                 sizeof id##_cases_ / sizeof id##_cases_[0]}

#endif
