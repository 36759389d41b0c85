/* SQLite storage backend: WAL journal, versioned migrations, prepared
 * statements. Role and tag lists are stored as JSON arrays in one column. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timefmt.h"
#include "store/store.h"

typedef struct {
  store base;
  sqlite3 *db;
} sqlite_store;

/* Each migration runs once, in order, inside a transaction; its index + 1 is
 * the schema version recorded in schema_migrations. Never edit a released one. */
static const char *const migrations[] = {
    /* 1: teams, developer keys, roles with presets, rooms */
    "CREATE TABLE teams ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE developer_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  key_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
    "CREATE TABLE roles ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,"
    "  permissions INTEGER NOT NULL, preset INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO roles VALUES"
    "  ('6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c01','moderator','Moderator',127,1),"
    "  ('6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c02','speaker','Speaker',7,1),"
    "  ('6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c03','attendee','Attendee',4,1);"
    "CREATE TABLE rooms ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  friendly_url TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  description TEXT NOT NULL, external_id TEXT NOT NULL, is_private INTEGER NOT NULL,"
    "  default_role TEXT NOT NULL REFERENCES roles(id), roles TEXT NOT NULL, tags TEXT NOT NULL,"
    "  e2ee_enabled INTEGER NOT NULL, is_locked INTEGER NOT NULL, chat_enabled INTEGER NOT NULL,"
    "  screenshare_enabled INTEGER NOT NULL, audio_on_join_enabled INTEGER NOT NULL,"
    "  video_on_join_enabled INTEGER NOT NULL, max_participants INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX rooms_by_team ON rooms(team_id, seq);",
};

static const char room_columns[] =
    "id, team_id, friendly_url, description, external_id, is_private, default_role, roles, tags,"
    " e2ee_enabled, is_locked, chat_enabled, screenshare_enabled, audio_on_join_enabled,"
    " video_on_join_enabled, max_participants, expires_at, created_at, updated_at";

static store_status fail(sqlite_store *s, const char *what) {
  log_error("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
  return STORE_ERROR;
}

/* The verdict of a step that looks for one row: found, not found, or failed. */
static store_status one_row(sqlite_store *s, int rc, const char *what) {
  return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : fail(s, what);
}

/* The verdict of the last step of a list (SQLITE_ROW: stopped at the caller's cap). */
static store_status all_rows(sqlite_store *s, int rc, const char *what) {
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : fail(s, what);
}

static store_status exec(sqlite_store *s, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
    log_error("sqlite: %s", err ? err : "exec failed");
    sqlite3_free(err);
    return STORE_ERROR;
  }
  return STORE_OK;
}

static store_status prepare(sqlite_store *s, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) return fail(s, "prepare");
  return STORE_OK;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, t, n);
  dst[n] = '\0';
}

static store_status journal_wal(sqlite_store *s) {
  sqlite3_stmt *st;
  if (prepare(s, "PRAGMA journal_mode=WAL", &st)) return STORE_ERROR;
  int ok = sqlite3_step(st) == SQLITE_ROW &&
           sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
  sqlite3_finalize(st);
  if (!ok) log_error("sqlite: cannot switch to WAL journal mode");
  return ok ? STORE_OK : STORE_ERROR;
}

static store_status migrate(sqlite_store *s) {
  if (exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
              " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"))
    return STORE_ERROR;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st)) return STORE_ERROR;
  int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
  sqlite3_finalize(st);
  int known = (int)(sizeof migrations / sizeof migrations[0]);
  if (version < 0) return fail(s, "read schema version");
  if (version > known) {
    log_error("sqlite: database schema version %d is newer than this sealroomd (%d)", version, known);
    return STORE_ERROR;
  }
  for (int v = version; v < known; v++) {
    char record[128];
    snprintf(record, sizeof record, "INSERT INTO schema_migrations VALUES (%d, %lld);", v + 1,
             (long long)now_unix());
    if (exec(s, "BEGIN IMMEDIATE")) return STORE_ERROR;
    if (exec(s, migrations[v]) || exec(s, record)) {
      exec(s, "ROLLBACK");
      return STORE_ERROR;
    }
    if (exec(s, "COMMIT")) return STORE_ERROR;
    log_info("sqlite: applied migration %d", v + 1);
  }
  return STORE_OK;
}

static void sq_close(store *base) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_close(s->db);
  free(s);
}

static store_status sq_team_first(store *base, char team_id[UUID_STR_LEN]) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT id FROM teams ORDER BY created_at, rowid LIMIT 1", &st)) return STORE_ERROR;
  int rc = sqlite3_step(st);
  store_status out = one_row(s, rc, "team_first");
  if (rc == SQLITE_ROW) copy_text(team_id, UUID_STR_LEN, st, 0);
  sqlite3_finalize(st);
  return out;
}

/* Runs a statement that returns no rows; binds text params then one optional blob. */
static store_status run(sqlite_store *s, const char *sql, const char *const *texts, int n_texts,
                        const void *blob, int blob_len, int64_t num) {
  sqlite3_stmt *st;
  if (prepare(s, sql, &st)) return STORE_ERROR;
  int i = 1;
  for (int t = 0; t < n_texts; t++) sqlite3_bind_text(st, i++, texts[t], -1, SQLITE_STATIC);
  if (blob) sqlite3_bind_blob(st, i++, blob, blob_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, i, num);
  int rc = sqlite3_step(st);
  store_status out = STORE_OK;
  if (rc == SQLITE_CONSTRAINT) out = STORE_CONFLICT;
  else if (rc != SQLITE_DONE) out = fail(s, sql);
  sqlite3_finalize(st);
  return out;
}

static store_status sq_team_create(store *base, const char *id, const char *name, int64_t now) {
  const char *t[] = {id, name};
  return run((sqlite_store *)base, "INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)", t, 2,
             NULL, 0, now);
}

static store_status sq_key_add(store *base, const char *team, const uint8_t h[KEY_HASH_LEN], int64_t now) {
  const char *t[] = {team};
  return run((sqlite_store *)base,
             "INSERT INTO developer_keys (team_id, key_hash, created_at) VALUES (?, ?, ?)", t, 1, h,
             KEY_HASH_LEN, now);
}

static store_status sq_key_find(store *base, const uint8_t h[KEY_HASH_LEN], char team[UUID_STR_LEN]) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT team_id FROM developer_keys WHERE key_hash = ?", &st)) return STORE_ERROR;
  sqlite3_bind_blob(st, 1, h, KEY_HASH_LEN, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  store_status out = one_row(s, rc, "key_find");
  if (rc == SQLITE_ROW) copy_text(team, UUID_STR_LEN, st, 0);
  sqlite3_finalize(st);
  return out;
}

static store_status sq_key_hashes(store *base, const char *team, uint8_t (*h)[KEY_HASH_LEN],
                                  size_t cap, size_t *n) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT key_hash FROM developer_keys WHERE team_id = ? ORDER BY id", &st))
    return STORE_ERROR;
  sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
  *n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
    if (sqlite3_column_bytes(st, 0) != KEY_HASH_LEN) continue;
    memcpy(h[(*n)++], sqlite3_column_blob(st, 0), KEY_HASH_LEN);
  }
  store_status out = all_rows(s, rc, "key_hashes");
  sqlite3_finalize(st);
  return out;
}

static store_status sq_keys_list(store *base, key_info *out, size_t cap, size_t *n) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT k.id, k.team_id, t.name, k.key_hash, k.created_at FROM developer_keys k"
                 " JOIN teams t ON t.id = k.team_id ORDER BY k.id", &st))
    return STORE_ERROR;
  *n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
    key_info *k = &out[(*n)++];
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(st, 0);
    copy_text(k->team_id, sizeof k->team_id, st, 1);
    copy_text(k->team_name, sizeof k->team_name, st, 2);
    if (sqlite3_column_bytes(st, 3) >= (int)sizeof k->hash_prefix)
      memcpy(k->hash_prefix, sqlite3_column_blob(st, 3), sizeof k->hash_prefix);
    k->created_at = sqlite3_column_int64(st, 4);
  }
  store_status res = all_rows(s, rc, "keys_list");
  sqlite3_finalize(st);
  return res;
}

static store_status sq_key_delete(store *base, int64_t id) {
  sqlite_store *s = (sqlite_store *)base;
  store_status rc = run(s, "DELETE FROM developer_keys WHERE id = ?", NULL, 0, NULL, 0, id);
  if (rc == STORE_OK && sqlite3_changes(s->db) == 0) return STORE_NOT_FOUND;
  return rc;
}

static void read_role(sqlite3_stmt *st, role *r) {
  copy_text(r->id, sizeof r->id, st, 0);
  copy_text(r->name, sizeof r->name, st, 1);
  copy_text(r->display_name, sizeof r->display_name, st, 2);
  r->permissions = (uint32_t)sqlite3_column_int64(st, 3);
  r->preset = sqlite3_column_int(st, 4) != 0;
}

static store_status sq_roles_list(store *base, role *out, size_t cap, size_t *n) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT id, name, display_name, permissions, preset FROM roles ORDER BY rowid", &st))
    return STORE_ERROR;
  *n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) read_role(st, &out[(*n)++]);
  store_status res = all_rows(s, rc, "roles_list");
  sqlite3_finalize(st);
  return res;
}

static store_status sq_role_get(store *base, const char *id_or_name, role *out) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT id, name, display_name, permissions, preset FROM roles"
                 " WHERE id = ?1 OR name = ?1", &st))
    return STORE_ERROR;
  sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  store_status res = one_row(s, rc, "role_get");
  if (rc == SQLITE_ROW) read_role(st, out);
  sqlite3_finalize(st);
  return res;
}

/* JSON array text <-> fixed string arrays. */
static char *strings_to_json(const char *base, size_t stride, int n) {
  json_t *a = json_array();
  for (int i = 0; i < n; i++) json_array_append_new(a, json_string(base + (size_t)i * stride));
  char *text = json_dumps(a, JSON_COMPACT);
  json_decref(a);
  return text;
}

static int json_to_strings(const char *text, char *base, size_t stride, int cap) {
  json_t *a = json_loads(text ? text : "[]", 0, NULL);
  int n = 0;
  size_t i;
  json_t *v;
  if (json_is_array(a)) {
    json_array_foreach(a, i, v) {
      if (n >= cap || !json_is_string(v) || json_string_length(v) >= stride) continue;
      memcpy(base + (size_t)n * stride, json_string_value(v), json_string_length(v) + 1);
      n++;
    }
  }
  json_decref(a);
  return n;
}

static void read_room(sqlite3_stmt *st, room *r) {
  memset(r, 0, sizeof *r);
  copy_text(r->id, sizeof r->id, st, 0);
  copy_text(r->team_id, sizeof r->team_id, st, 1);
  copy_text(r->friendly_url, sizeof r->friendly_url, st, 2);
  copy_text(r->description, sizeof r->description, st, 3);
  copy_text(r->external_id, sizeof r->external_id, st, 4);
  r->is_private = sqlite3_column_int(st, 5) != 0;
  copy_text(r->default_role, sizeof r->default_role, st, 6);
  r->n_roles = json_to_strings((const char *)sqlite3_column_text(st, 7), r->roles[0],
                               sizeof r->roles[0], ROOM_MAX_ROLES);
  r->n_tags = json_to_strings((const char *)sqlite3_column_text(st, 8), r->tags[0],
                              sizeof r->tags[0], ROOM_MAX_TAGS);
  r->e2ee_enabled = sqlite3_column_int(st, 9) != 0;
  r->is_locked = sqlite3_column_int(st, 10) != 0;
  r->chat_enabled = sqlite3_column_int(st, 11) != 0;
  r->screenshare_enabled = sqlite3_column_int(st, 12) != 0;
  r->audio_on_join_enabled = sqlite3_column_int(st, 13) != 0;
  r->video_on_join_enabled = sqlite3_column_int(st, 14) != 0;
  r->max_participants = sqlite3_column_int(st, 15);
  r->expires_at = sqlite3_column_int64(st, 16);
  r->created_at = sqlite3_column_int64(st, 17);
  r->updated_at = sqlite3_column_int64(st, 18);
}

/* Binds a room's 19 columns in room_columns order, starting at index 1. */
static int bind_room(sqlite3_stmt *st, const room *r, char **roles_json, char **tags_json) {
  *roles_json = strings_to_json(r->roles[0], sizeof r->roles[0], r->n_roles);
  *tags_json = strings_to_json(r->tags[0], sizeof r->tags[0], r->n_tags);
  if (!*roles_json || !*tags_json) return -1;
  sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->team_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, r->friendly_url, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, r->description, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, r->external_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, r->is_private);
  sqlite3_bind_text(st, 7, r->default_role, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, *roles_json, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, *tags_json, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 10, r->e2ee_enabled);
  sqlite3_bind_int(st, 11, r->is_locked);
  sqlite3_bind_int(st, 12, r->chat_enabled);
  sqlite3_bind_int(st, 13, r->screenshare_enabled);
  sqlite3_bind_int(st, 14, r->audio_on_join_enabled);
  sqlite3_bind_int(st, 15, r->video_on_join_enabled);
  sqlite3_bind_int(st, 16, r->max_participants);
  sqlite3_bind_int64(st, 17, r->expires_at);
  sqlite3_bind_int64(st, 18, r->created_at);
  sqlite3_bind_int64(st, 19, r->updated_at);
  return 0;
}

static store_status write_room(sqlite_store *s, const char *sql, const room *r) {
  sqlite3_stmt *st;
  if (prepare(s, sql, &st)) return STORE_ERROR;
  char *roles_json = NULL, *tags_json = NULL;
  store_status out = STORE_OK;
  if (bind_room(st, r, &roles_json, &tags_json)) {
    out = STORE_ERROR;
  } else {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) out = STORE_CONFLICT;
    else if (rc != SQLITE_DONE) out = fail(s, "write room");
    else if (sqlite3_changes(s->db) == 0) out = STORE_NOT_FOUND;
  }
  sqlite3_finalize(st);
  free(roles_json);
  free(tags_json);
  return out;
}

static store_status sq_room_create(store *base, const room *r) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "INSERT INTO rooms (%s) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
           "?16,?17,?18,?19)", room_columns);
  return write_room((sqlite_store *)base, sql, r);
}

static store_status sq_room_update(store *base, const room *r) {
  return write_room((sqlite_store *)base,
                    "UPDATE rooms SET friendly_url=?3, description=?4, external_id=?5,"
                    " is_private=?6, default_role=?7, roles=?8, tags=?9, e2ee_enabled=?10,"
                    " is_locked=?11, chat_enabled=?12, screenshare_enabled=?13,"
                    " audio_on_join_enabled=?14, video_on_join_enabled=?15,"
                    " max_participants=?16, expires_at=?17, created_at=?18, updated_at=?19"
                    " WHERE id=?1 AND team_id=?2", r);
}

static store_status sq_room_get(store *base, const char *team, const char *id_or_url, room *out) {
  sqlite_store *s = (sqlite_store *)base;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM rooms WHERE (id = lower(?1) OR friendly_url = ?1) AND (?2 IS NULL OR team_id = ?2)",
           room_columns);
  sqlite3_stmt *st;
  if (prepare(s, sql, &st)) return STORE_ERROR;
  sqlite3_bind_text(st, 1, id_or_url, -1, SQLITE_STATIC);
  if (team) sqlite3_bind_text(st, 2, team, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  store_status res = one_row(s, rc, "room_get");
  if (rc == SQLITE_ROW) read_room(st, out);
  sqlite3_finalize(st);
  return res;
}

static store_status sq_room_delete(store *base, const char *team, const char *id) {
  const char *t[] = {team, id};
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "DELETE FROM rooms WHERE team_id = ? AND id = ?", &st)) return STORE_ERROR;
  sqlite3_bind_text(st, 1, t[0], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, t[1], -1, SQLITE_STATIC);
  store_status rc = sqlite3_step(st) == SQLITE_DONE ? STORE_OK : fail(s, "room_delete");
  sqlite3_finalize(st);
  if (rc == STORE_OK && sqlite3_changes(s->db) == 0) return STORE_NOT_FOUND;
  return rc;
}

static store_status sq_room_list(store *base, const char *team, const room_query *q, room *out,
                                 size_t cap, size_t *n, int64_t *total) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  *n = 0;
  if (prepare(s, "SELECT COUNT(*) FROM rooms WHERE team_id = ?", &st)) return STORE_ERROR;
  sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
  int counted = sqlite3_step(st) == SQLITE_ROW;
  *total = counted ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (!counted) return fail(s, "room count");

  int64_t after_seq = q->ascending ? 0 : INT64_MAX;
  if (q->after_id) {
    if (prepare(s, "SELECT seq FROM rooms WHERE team_id = ? AND id = lower(?)", &st)) return STORE_ERROR;
    sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->after_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) after_seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return one_row(s, rc, "cursor");
  }
  char sql[640];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM rooms WHERE team_id = ?1 AND seq %s ?2 ORDER BY seq %s LIMIT ?3 OFFSET ?4",
           room_columns, q->ascending ? ">" : "<", q->ascending ? "ASC" : "DESC");
  if (prepare(s, sql, &st)) return STORE_ERROR;
  sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, after_seq);
  sqlite3_bind_int(st, 3, q->limit < (int)cap ? q->limit : (int)cap);
  sqlite3_bind_int(st, 4, q->offset);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) read_room(st, &out[(*n)++]);
  store_status res = all_rows(s, rc, "room_list");
  sqlite3_finalize(st);
  return res;
}

static store_status sq_room_count_all(store *base, int64_t *n) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  if (prepare(s, "SELECT COUNT(*) FROM rooms", &st)) return STORE_ERROR;
  int counted = sqlite3_step(st) == SQLITE_ROW;
  *n = counted ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return counted ? STORE_OK : fail(s, "room count");
}

static const store_ops sqlite_ops = {
    .close = sq_close, .team_first = sq_team_first, .team_create = sq_team_create,
    .key_add = sq_key_add, .key_find = sq_key_find, .key_hashes = sq_key_hashes,
    .keys_list = sq_keys_list, .key_delete = sq_key_delete,
    .roles_list = sq_roles_list, .role_get = sq_role_get, .room_create = sq_room_create,
    .room_get = sq_room_get, .room_update = sq_room_update, .room_delete = sq_room_delete,
    .room_list = sq_room_list, .room_count_all = sq_room_count_all,
};

store_status store_open_sqlite(const char *path, store **out) {
  sqlite_store *s = calloc(1, sizeof *s);
  if (!s) return STORE_ERROR;
  s->base.ops = &sqlite_ops;
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    log_error("sqlite: cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sq_close(&s->base);
    return STORE_ERROR;
  }
  /* Short: the server calls SQLite on its event loop, so a lock held by
   * another process (sealroomd --new-key, a backup) must not stall it long. */
  sqlite3_busy_timeout(s->db, 250);
  /* WAL + synchronous=NORMAL: a committed transaction survives a crash of
   * the process (kill -9); only a power cut can lose the newest commits. */
  if (exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;") || journal_wal(s) || migrate(s)) {
    sq_close(&s->base);
    return STORE_ERROR;
  }
  *out = &s->base;
  return STORE_OK;
}
