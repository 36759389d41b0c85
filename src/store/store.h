/* Storage interface. API handlers see only these functions; a backend (SQLite
 * today, PostgreSQL later) supplies a store_ops table. All calls are made from
 * the control-plane thread. Strings are NUL-terminated UTF-8. Only the SQLite
 * backend exists; the table is the seam where another (PostgreSQL) would go. */
#ifndef SEALROOM_STORE_H
#define SEALROOM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

typedef enum {
  STORE_OK = 0,
  STORE_NOT_FOUND, /* no such record (or cursor) */
  STORE_CONFLICT,  /* a unique value (friendly_url) is taken */
  STORE_ERROR,     /* the backend failed; logged by the backend */
} store_status;

#define KEY_HASH_LEN 32 /* SHA-256 of a developer key */

typedef struct {
  int limit;            /* 1..100 */
  int offset;           /* >= 0 */
  bool ascending;       /* false: newest first */
  const char *after_id; /* NULL or a room id: start after it in this order */
} room_query;

/* A developer key as listed to the operator: never the key itself. */
typedef struct {
  int64_t id;
  char team_id[UUID_STR_LEN];
  char team_name[128];
  uint8_t hash_prefix[4]; /* first bytes of SHA-256(key), to tell keys apart */
  int64_t created_at;
} key_info;

typedef struct store store;

typedef struct {
  void (*close)(store *s);
  store_status (*team_first)(store *s, char team_id[UUID_STR_LEN]);
  store_status (*team_create)(store *s, const char *team_id, const char *name, int64_t now);
  store_status (*key_add)(store *s, const char *team_id, const uint8_t hash[KEY_HASH_LEN], int64_t now);
  store_status (*key_find)(store *s, const uint8_t hash[KEY_HASH_LEN], char team_id[UUID_STR_LEN]);
  store_status (*key_hashes)(store *s, const char *team_id, uint8_t (*hashes)[KEY_HASH_LEN],
                             size_t cap, size_t *n);
  store_status (*keys_list)(store *s, key_info *out, size_t cap, size_t *n);
  store_status (*key_delete)(store *s, int64_t id);
  store_status (*roles_list)(store *s, role *out, size_t cap, size_t *n);
  store_status (*role_get)(store *s, const char *id_or_name, role *out);
  store_status (*room_create)(store *s, const room *r);
  /* id_or_url: a room id or friendly_url, either in any case; team_id NULL: any team. */
  store_status (*room_get)(store *s, const char *team_id, const char *id_or_url, room *out);
  store_status (*room_update)(store *s, const room *r);
  store_status (*room_delete)(store *s, const char *team_id, const char *room_id);
  store_status (*room_list)(store *s, const char *team_id, const room_query *q, room *out,
                            size_t cap, size_t *n, int64_t *total);
  store_status (*room_count_all)(store *s, int64_t *n);
} store_ops;

struct store {
  const store_ops *ops;
};

/* Opens (creating and migrating as needed) the SQLite database at path. */
store_status store_open_sqlite(const char *path, store **out);

static inline void store_close(store *s) { if (s) s->ops->close(s); }
static inline store_status store_team_first(store *s, char id[UUID_STR_LEN]) { return s->ops->team_first(s, id); }
static inline store_status store_team_create(store *s, const char *id, const char *name, int64_t now) { return s->ops->team_create(s, id, name, now); }
static inline store_status store_key_add(store *s, const char *team, const uint8_t h[KEY_HASH_LEN], int64_t now) { return s->ops->key_add(s, team, h, now); }
static inline store_status store_key_find(store *s, const uint8_t h[KEY_HASH_LEN], char team[UUID_STR_LEN]) { return s->ops->key_find(s, h, team); }
static inline store_status store_key_hashes(store *s, const char *team, uint8_t (*h)[KEY_HASH_LEN], size_t cap, size_t *n) { return s->ops->key_hashes(s, team, h, cap, n); }
static inline store_status store_keys_list(store *s, key_info *out, size_t cap, size_t *n) { return s->ops->keys_list(s, out, cap, n); }
static inline store_status store_key_delete(store *s, int64_t id) { return s->ops->key_delete(s, id); }
static inline store_status store_roles_list(store *s, role *out, size_t cap, size_t *n) { return s->ops->roles_list(s, out, cap, n); }
static inline store_status store_role_get(store *s, const char *id_or_name, role *out) { return s->ops->role_get(s, id_or_name, out); }
static inline store_status store_room_create(store *s, const room *r) { return s->ops->room_create(s, r); }
static inline store_status store_room_get(store *s, const char *team, const char *id_or_url, room *out) { return s->ops->room_get(s, team, id_or_url, out); }
static inline store_status store_room_update(store *s, const room *r) { return s->ops->room_update(s, r); }
static inline store_status store_room_delete(store *s, const char *team, const char *id) { return s->ops->room_delete(s, team, id); }
static inline store_status store_room_list(store *s, const char *team, const room_query *q, room *out, size_t cap, size_t *n, int64_t *total) { return s->ops->room_list(s, team, q, out, cap, n, total); }
static inline store_status store_room_count_all(store *s, int64_t *n) { return s->ops->room_count_all(s, n); }

#endif
