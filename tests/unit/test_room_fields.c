/* Tests for src/api/room_fields.c: defaults, every validation rule, JSON shape. */
#include <stdlib.h>
#include "model/room_fields.h"
#include "test.h"

static role roles[3] = {
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c01", "moderator", "Moderator", 127, true},
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c02", "speaker", "Speaker", 7, true},
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c03", "attendee", "Attendee", 4, true},
};
static const int64_t NOW = 1800000000;

/* Applies JSON text to a default room; returns the problem count and, via
 * *errors, the error object (caller frees). */
static int apply(room *r, const char *text, json_t **errors) {
  room_defaults(r, roles, 3);
  json_error_t e;
  json_t *body = json_loads(text, 0, &e);
  if (!body) {
    fprintf(stderr, "  bad test JSON: %s\n", text);
    test_failures_in_current++;
    *errors = json_object();
    return -1;
  }
  *errors = json_object();
  int n = room_apply_fields(r, body, roles, 3, NOW, true, *errors);
  json_decref(body);
  return n;
}

/* Expects text to fail with an error on field. */
static void expect_error(const char *text, const char *field) {
  room r;
  json_t *errors;
  int n = apply(&r, text, &errors);
  if (n < 1 || !json_object_get(errors, field)) {
    fprintf(stderr, "  expected an error on %s for %s\n", field, text);
    test_failures_in_current++;
  }
  json_decref(errors);
}

static void test_defaults(void) {
  room r;
  room_defaults(&r, roles, 3);
  CHECK_EQ_INT(r.n_roles, 3);
  CHECK_EQ_STR(r.default_role, roles[0].id);
  CHECK(r.chat_enabled && r.screenshare_enabled && r.audio_on_join_enabled && r.video_on_join_enabled);
  CHECK(!r.e2ee_enabled && !r.is_locked && !r.is_private);
  CHECK_EQ_INT(r.max_participants, 100);
  CHECK_EQ_INT(r.expires_at, 0);
}

static void test_seed_example(void) {
  room r;
  json_t *errors;
  CHECK_EQ_INT(apply(&r, "{\"topic\":\"standup\",\"friendly_url\":\"my-standup\",\"privacy\":\"public\","
                         "\"external_id\":\"myExtID123\",\"default_role\":\"moderator\","
                         "\"roles\":[\"moderator\"],\"e2ee_enabled\":true}", &errors), 0);
  CHECK_EQ_STR(r.description, "standup");
  CHECK_EQ_STR(r.friendly_url, "my-standup");
  CHECK_EQ_STR(r.external_id, "myExtID123");
  CHECK_EQ_INT(r.n_roles, 1);
  CHECK(r.e2ee_enabled);
  json_decref(errors);
}

static void test_all_fields(void) {
  room r;
  json_t *errors;
  CHECK_EQ_INT(apply(&r, "{\"description\":\"Weekly review\",\"privacy\":\"private\","
                         "\"default_role\":\"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c03\","
                         "\"roles\":[\"speaker\",\"attendee\"],\"max_participants\":2,"
                         "\"is_locked\":true,\"expires_at\":\"2030-01-31T12:00:00Z\","
                         "\"tags\":[\"a\",\"ü\"],\"chat_enabled\":false,\"screenshare_enabled\":false,"
                         "\"audio_on_join_enabled\":false,\"video_on_join_enabled\":false,"
                         "\"recordings_enabled\":false,\"external_id\":null}", &errors), 0);
  CHECK(r.is_private && r.is_locked && !r.chat_enabled && !r.video_on_join_enabled);
  CHECK_EQ_STR(r.default_role, roles[2].id);
  CHECK_EQ_INT(r.n_roles, 2);
  CHECK_EQ_INT(r.n_tags, 2);
  CHECK_EQ_INT(r.max_participants, 2);
  CHECK_EQ_INT(r.expires_at, 1896091200);
  CHECK_EQ_STR(r.external_id, "");
  json_decref(errors);
}

static void test_roles_change_moves_default(void) {
  room r;
  json_t *errors;
  CHECK_EQ_INT(apply(&r, "{\"roles\":[\"attendee\"]}", &errors), 0);
  CHECK_EQ_STR(r.default_role, roles[2].id);
  json_decref(errors);
}

static void test_rejections(void) {
  expect_error("{\"description\":\"ab\"}", "description");
  expect_error("{\"topic\":\"ab\"}", "topic");
  expect_error("{\"description\":5}", "description");
  expect_error("{\"description\":\"abc\",\"topic\":\"xyz\"}", "topic");
  expect_error("{\"friendly_url\":\"ab\"}", "friendly_url");
  expect_error("{\"friendly_url\":\"abcdefghijklmnopqrstuvwxyz0123456\"}", "friendly_url");
  expect_error("{\"friendly_url\":\"has space\"}", "friendly_url");
  expect_error("{\"friendly_url\":\"x'; DROP TABLE rooms;--\"}", "friendly_url");
  expect_error("{\"friendly_url\":\"Dashboard\"}", "friendly_url");
  expect_error("{\"friendly_url\":\"api\"}", "friendly_url");
  expect_error("{\"friendly_url\":null}", "friendly_url");
  expect_error("{\"privacy\":\"secret\"}", "privacy");
  expect_error("{\"privacy\":true}", "privacy");
  expect_error("{\"external_id\":\"\"}", "external_id");
  expect_error("{\"default_role\":\"boss\"}", "default_role");
  expect_error("{\"default_role\":\"attendee\",\"roles\":[\"moderator\"]}", "default_role");
  expect_error("{\"roles\":[]}", "roles");
  expect_error("{\"roles\":\"moderator\"}", "roles");
  expect_error("{\"roles\":[\"moderator\",\"moderator\"]}", "roles");
  expect_error("{\"roles\":[\"moderator\",7]}", "roles");
  expect_error("{\"e2ee_enabled\":\"true\"}", "e2ee_enabled");
  expect_error("{\"e2ee_enabled\":1}", "e2ee_enabled");
  expect_error("{\"e2ee_enable\":true}", "e2ee_enable");
  expect_error("{\"is_locked\":null}", "is_locked");
  expect_error("{\"max_participants\":1}", "max_participants");
  expect_error("{\"max_participants\":1001}", "max_participants");
  expect_error("{\"max_participants\":5.5}", "max_participants");
  expect_error("{\"max_participants\":\"5\"}", "max_participants");
  expect_error("{\"expires_at\":\"2020-01-01T00:00:00Z\"}", "expires_at");
  expect_error("{\"expires_at\":\"tomorrow\"}", "expires_at");
  expect_error("{\"expires_at\":1900000000}", "expires_at");
  expect_error("{\"tags\":\"a\"}", "tags");
  expect_error("{\"tags\":[\"\"]}", "tags");
  expect_error("{\"tags\":[1]}", "tags");
  expect_error("{\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\","
               "\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\"]}", "tags");
  expect_error("{\"recordings_enabled\":true}", "recordings_enabled");
  expect_error("{\"id\":\"x\"}", "id");
  expect_error("{\"created_at\":\"x\"}", "created_at");
}

static void test_length_counts_characters(void) {
  CHECK_EQ_INT(utf8_length("abc"), 3);
  CHECK_EQ_INT(utf8_length("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80"), 3); /* ü € 😀 */
  /* 500 four-byte characters fit; 501 do not. */
  char *text = malloc(4 * 501 + 32);
  strcpy(text, "{\"description\":\"");
  for (int i = 0; i < 500; i++) strcat(text, "\xf0\x9f\x98\x80");
  strcat(text, "\"}");
  room r;
  json_t *errors;
  CHECK_EQ_INT(apply(&r, text, &errors), 0);
  json_decref(errors);
  strcpy(text + strlen(text) - 2, "\xf0\x9f\x98\x80\"}");
  CHECK_EQ_INT(apply(&r, text, &errors), 1);
  json_decref(errors);
  free(text);
}

static void test_to_json(void) {
  room r;
  json_t *errors;
  apply(&r, "{\"topic\":\"standup\",\"friendly_url\":\"my-standup\",\"e2ee_enabled\":true}", &errors);
  json_decref(errors);
  snprintf(r.id, sizeof r.id, "e6081149-82ce-4176-9838-6292a068b221");
  r.created_at = r.updated_at = 1768576534;
  json_t *j = room_to_json(&r, roles, 3, "http://localhost:8080");
  CHECK(j != NULL);
  /* An E2EE room's link carries the requirement in its fragment. */
  CHECK_EQ_STR(json_string_value(json_object_get(j, "room_url")), "http://localhost:8080/my-standup#e2ee");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "topic")), "standup");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "description")), "standup");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "created_at")), "2026-01-16T15:15:34Z");
  CHECK(json_is_true(json_object_get(j, "e2ee_enabled")));
  CHECK(json_is_null(json_object_get(j, "expires_at")));
  CHECK(json_is_null(json_object_get(j, "external_id")));
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "default_role"), "name")), "moderator");
  CHECK_EQ_INT(json_array_size(json_object_get(j, "roles")), 3);
  json_decref(j);
  r.e2ee_enabled = false;
  j = room_to_json(&r, roles, 3, "http://localhost:8080");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "room_url")), "http://localhost:8080/my-standup");
  json_decref(j);
  json_t *rj = role_to_json(&roles[2], 1);
  CHECK_EQ_INT(json_array_size(json_object_get(rj, "permissions")), 1);
  CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(rj, "permissions"), 0)), "chat");
  json_decref(rj);
}

TEST_SUITE(room_fields, {"defaults", test_defaults}, {"seed_example", test_seed_example},
           {"all_fields", test_all_fields}, {"roles_change_moves_default", test_roles_change_moves_default},
           {"rejections", test_rejections}, {"length_counts_characters", test_length_counts_characters},
           {"to_json", test_to_json});
