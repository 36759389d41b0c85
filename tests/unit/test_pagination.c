/* Tests for src/api/pagination.c. */
#include "api/pagination.h"
#include "test.h"

static void test_defaults(void) {
  room_query q;
  json_t *e = json_object();
  CHECK_EQ_INT(pagination_parse(NULL, NULL, NULL, NULL, &q, e), 0);
  CHECK_EQ_INT(q.limit, 100);
  CHECK_EQ_INT(q.offset, 0);
  CHECK(!q.ascending);
  CHECK(q.after_id == NULL);
  json_decref(e);
}

static void test_valid(void) {
  room_query q;
  json_t *e = json_object();
  const char *id = "0db5279e-d552-49c7-973a-4a1ac0bd3a5e";
  CHECK_EQ_INT(pagination_parse("1", "25", "asc", id, &q, e), 0);
  CHECK_EQ_INT(q.limit, 1);
  CHECK_EQ_INT(q.offset, 25);
  CHECK(q.ascending);
  CHECK(q.after_id == id);
  CHECK_EQ_INT(pagination_parse("100", "0", "desc", NULL, &q, e), 0);
  CHECK_EQ_INT(q.limit, 100);
  CHECK(!q.ascending);
  json_decref(e);
}

static void test_invalid(void) {
  const char *limits[] = {"0", "101", "-1", "abc", "", "1e2", " 5", "5 ", "99999999999", "+5"};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    room_query q;
    json_t *e = json_object();
    CHECK_EQ_INT(pagination_parse(limits[i], NULL, NULL, NULL, &q, e), 1);
    CHECK(json_object_get(e, "limit") != NULL);
    json_decref(e);
  }
  room_query q;
  json_t *e = json_object();
  CHECK_EQ_INT(pagination_parse("5", "-3", "sideways", "'; DROP TABLE rooms; --", &q, e), 3);
  CHECK(json_object_get(e, "offset") && json_object_get(e, "order") && json_object_get(e, "after"));
  json_decref(e);
}

TEST_SUITE(pagination, {"defaults", test_defaults}, {"valid", test_valid},
           {"invalid", test_invalid});
