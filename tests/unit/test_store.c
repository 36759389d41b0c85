/* Tests for src/store/store_sqlite.c through the store interface: migrations,
 * keys, roles, room CRUD, uniqueness, pagination order and cursor, reopen. */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static const char *TEAM = "0db5279e-d552-49c7-973a-4a1ac0bd3a5e";
static const char *TEAM2 = "11111111-2222-4333-8444-555555555555";
static char dir[64], path[128];

static store *open_fresh(void) {
  snprintf(dir, sizeof dir, "/tmp/sealroom-store-XXXXXX");
  if (!mkdtemp(dir)) return NULL;
  snprintf(path, sizeof path, "%s/sealroom.db", dir);
  store *db = NULL;
  if (store_open_sqlite(path, &db) != STORE_OK) return NULL;
  store_team_create(db, TEAM, "one", 1);
  store_team_create(db, TEAM2, "two", 2);
  return db;
}

static void cleanup(store *db) {
  store_close(db);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) test_failures_in_current++;
}

static void make_room(room *r, const char *team, int i) {
  memset(r, 0, sizeof *r);
  snprintf(r->id, sizeof r->id, "00000000-0000-4000-8000-%012d", i);
  snprintf(r->team_id, sizeof r->team_id, "%s", team);
  snprintf(r->friendly_url, sizeof r->friendly_url, "room-%d", i);
  snprintf(r->description, sizeof r->description, "it's \"room\" %d; DROP TABLE rooms; --", i);
  snprintf(r->default_role, sizeof r->default_role, "6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c01");
  snprintf(r->roles[0], sizeof r->roles[0], "6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c01");
  r->n_roles = 1;
  snprintf(r->tags[0], sizeof r->tags[0], "tag'%d", i);
  r->n_tags = 1;
  r->e2ee_enabled = i % 2;
  r->max_participants = 10 + i;
  r->created_at = r->updated_at = 1000 + i;
}

static void test_roles_seeded(void) {
  store *db = open_fresh();
  CHECK(db != NULL);
  if (!db) return;
  role rs[8];
  size_t n;
  CHECK(store_roles_list(db, rs, 8, &n) == STORE_OK);
  CHECK_EQ_INT(n, 3);
  CHECK_EQ_STR(rs[0].name, "moderator");
  CHECK_EQ_STR(rs[2].name, "attendee");
  role r;
  CHECK(store_role_get(db, "speaker", &r) == STORE_OK);
  CHECK(store_role_get(db, rs[2].id, &r) == STORE_OK && strcmp(r.name, "attendee") == 0);
  CHECK(store_role_get(db, "nobody", &r) == STORE_NOT_FOUND);
  cleanup(db);
}

static void test_keys(void) {
  store *db = open_fresh();
  if (!db) return test_failures_in_current++, (void)0;
  uint8_t h1[KEY_HASH_LEN] = {1}, h2[KEY_HASH_LEN] = {2}, hs[4][KEY_HASH_LEN];
  char team[UUID_STR_LEN];
  CHECK(store_key_add(db, TEAM, h1, 5) == STORE_OK);
  CHECK(store_key_add(db, TEAM, h2, 6) == STORE_OK);
  CHECK(store_key_add(db, TEAM2, h1, 7) == STORE_CONFLICT); /* hashes are unique */
  CHECK(store_key_find(db, h2, team) == STORE_OK && strcmp(team, TEAM) == 0);
  uint8_t h3[KEY_HASH_LEN] = {3};
  CHECK(store_key_find(db, h3, team) == STORE_NOT_FOUND);
  size_t n;
  CHECK(store_key_hashes(db, TEAM, hs, 4, &n) == STORE_OK);
  CHECK_EQ_INT(n, 2);
  CHECK(memcmp(hs[1], h2, KEY_HASH_LEN) == 0);
  CHECK(store_team_first(db, team) == STORE_OK && strcmp(team, TEAM) == 0);
  cleanup(db);
}

static void test_room_crud(void) {
  store *db = open_fresh();
  if (!db) return test_failures_in_current++, (void)0;
  room r, got;
  make_room(&r, TEAM, 1);
  CHECK(store_room_create(db, &r) == STORE_OK);
  CHECK(store_room_get(db, TEAM, r.id, &got) == STORE_OK);
  CHECK_EQ_STR(got.description, r.description);
  CHECK_EQ_STR(got.tags[0], "tag'1");
  CHECK_EQ_INT(got.n_roles, 1);
  CHECK_EQ_INT(got.max_participants, 11);
  CHECK(got.e2ee_enabled);
  CHECK(store_room_get(db, TEAM, "ROOM-1", &got) == STORE_OK); /* friendly_url, any case */
  char upper[UUID_STR_LEN];
  for (int i = 0; i < UUID_STR_LEN; i++) upper[i] = (char)toupper((unsigned char)r.id[i]);
  CHECK(store_room_get(db, TEAM, upper, &got) == STORE_OK && strcmp(got.id, r.id) == 0); /* id, any case */
  CHECK(store_room_get(db, TEAM2, r.id, &got) == STORE_NOT_FOUND); /* other team */
  room dup;
  make_room(&dup, TEAM2, 2);
  snprintf(dup.friendly_url, sizeof dup.friendly_url, "Room-1");
  CHECK(store_room_create(db, &dup) == STORE_CONFLICT); /* unique across teams, any case */
  r.e2ee_enabled = false;
  snprintf(r.friendly_url, sizeof r.friendly_url, "renamed");
  CHECK(store_room_update(db, &r) == STORE_OK);
  CHECK(store_room_get(db, TEAM, "renamed", &got) == STORE_OK && !got.e2ee_enabled);
  CHECK(store_room_delete(db, TEAM2, r.id) == STORE_NOT_FOUND);
  CHECK(store_room_delete(db, TEAM, r.id) == STORE_OK);
  CHECK(store_room_get(db, TEAM, r.id, &got) == STORE_NOT_FOUND);
  CHECK(store_room_update(db, &r) == STORE_NOT_FOUND);
  cleanup(db);
}

static void test_list_pages(void) {
  store *db = open_fresh();
  if (!db) return test_failures_in_current++, (void)0;
  room r, out[10];
  for (int i = 1; i <= 7; i++) {
    make_room(&r, i == 4 ? TEAM2 : TEAM, i);
    CHECK(store_room_create(db, &r) == STORE_OK);
  }
  size_t n;
  int64_t total;
  room_query q = {.limit = 3, .offset = 0, .ascending = false};
  CHECK(store_room_list(db, TEAM, &q, out, 10, &n, &total) == STORE_OK);
  CHECK_EQ_INT(total, 6);
  CHECK_EQ_INT(n, 3);
  CHECK_EQ_STR(out[0].friendly_url, "room-7");
  CHECK_EQ_STR(out[2].friendly_url, "room-5");
  q.offset = 3;
  CHECK(store_room_list(db, TEAM, &q, out, 10, &n, &total) == STORE_OK);
  CHECK_EQ_INT(n, 3);
  CHECK_EQ_STR(out[0].friendly_url, "room-3");
  q = (room_query){.limit = 10, .ascending = true, .after_id = "00000000-0000-4000-8000-000000000002"};
  CHECK(store_room_list(db, TEAM, &q, out, 10, &n, &total) == STORE_OK);
  CHECK_EQ_INT(n, 4);
  CHECK_EQ_STR(out[0].friendly_url, "room-3");
  q.after_id = "00000000-0000-4000-8000-000000000004"; /* another team's room */
  CHECK(store_room_list(db, TEAM, &q, out, 10, &n, &total) == STORE_NOT_FOUND);
  int64_t all;
  CHECK(store_room_count_all(db, &all) == STORE_OK);
  CHECK_EQ_INT(all, 7);
  cleanup(db);
}

static void test_reopen_keeps_data(void) {
  store *db = open_fresh();
  if (!db) return test_failures_in_current++, (void)0;
  room r, got;
  make_room(&r, TEAM, 9);
  CHECK(store_room_create(db, &r) == STORE_OK);
  store_close(db);
  db = NULL;
  CHECK(store_open_sqlite(path, &db) == STORE_OK); /* migrations are not re-applied */
  if (!db) return;
  CHECK(store_room_get(db, TEAM, "room-9", &got) == STORE_OK);
  cleanup(db);
}

TEST_SUITE(store, {"roles_seeded", test_roles_seeded}, {"keys", test_keys},
           {"room_crud", test_room_crud}, {"list_pages", test_list_pages},
           {"reopen_keeps_data", test_reopen_keeps_data});
