/* Rooms REST API: list, create, get, update (partial), delete, and join
 * tokens. Every room operation is scoped to the caller's team. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/pagination.h"
#include "auth/jwt.h"
#include "core/timefmt.h"
#include "model/room_fields.h"

#define MAX_ROLES 64
#define TOKEN_DEFAULT_TTL 3600

typedef struct {
  role list[MAX_ROLES];
  size_t n;
} role_set;

static int load_roles(api_ctx *a, role_set *rs, http_response *res) {
  if (store_roles_list(a->db, rs->list, MAX_ROLES, &rs->n) == STORE_OK) return 0;
  api_internal_error(res);
  return -1;
}

static void reply_room(api_ctx *a, const room *r, const role_set *rs, http_response *res) {
  api_json(res, 200, room_to_json(r, rs->list, rs->n, a->cfg->public_url));
}

/* Answers a create or update from the store's verdict. */
static void reply_written(api_ctx *a, store_status st, const room *r, const role_set *rs,
                          http_response *res) {
  if (st == STORE_OK) {
    reply_room(a, r, rs, res);
  } else if (st == STORE_CONFLICT) {
    json_t *errors = json_object();
    field_error(errors, "friendly_url", "has already been taken");
    api_invalid(res, errors);
  } else {
    api_store_error(res, st, "Room not found.");
  }
}

/* Loads the caller's room by id or friendly_url; on failure fills res. */
static int find_room(api_ctx *a, const api_caller *who, const char *ref, room *r, http_response *res) {
  store_status st = store_room_get(a->db, who->team_id, ref, r);
  if (st == STORE_OK) return 0;
  api_store_error(res, st, "Room not found.");
  return -1;
}

void api_rooms_list(api_ctx *a, const api_caller *who, const http_request *req, http_response *res) {
  room_query q;
  json_t *errors = json_object();
  if (pagination_parse(http_query(req, "limit"), http_query(req, "offset"), http_query(req, "order"),
                       http_query(req, "after"), &q, errors))
    return api_invalid(res, errors);
  role_set rs;
  room *rooms = malloc(sizeof(room) * PAGE_MAX);
  size_t n = 0;
  int64_t total = 0;
  store_status st = rooms ? store_room_list(a->db, who->team_id, &q, rooms, PAGE_MAX, &n, &total)
                          : STORE_ERROR;
  if (st == STORE_NOT_FOUND) {
    field_error(errors, "after", "does not match a room");
    api_invalid(res, errors);
  } else if (st != STORE_OK || load_roles(a, &rs, res) != 0) {
    json_decref(errors);
    api_internal_error(res);
  } else {
    json_decref(errors);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(data, room_to_json(&rooms[i], rs.list, rs.n, a->cfg->public_url));
    api_json(res, 200, json_pack("{s:o,s:I}", "data", data, "total_count", (json_int_t)total));
  }
  free(rooms);
}

void api_rooms_create(api_ctx *a, const api_caller *who, const http_request *req, http_response *res) {
  json_t *body = api_parse_body(req, res);
  if (!body) return;
  role_set rs;
  room *r = malloc(sizeof *r);
  json_t *errors = json_object();
  if (!r || load_roles(a, &rs, res) != 0) goto out;
  room_defaults(r, rs.list, rs.n);
  int64_t now = now_unix();
  if (room_apply_fields(r, body, rs.list, rs.n, now, true, errors)) {
    api_invalid(res, errors);
    errors = NULL;
    goto out;
  }
  if (uuid_v4(r->id) != 0) goto fail;
  memcpy(r->team_id, who->team_id, UUID_STR_LEN);
  r->created_at = r->updated_at = now;
  int generated = r->friendly_url[0] == '\0';
  store_status st;
  int tries = 0;
  do {
    if (generated && friendly_url_generate(r->friendly_url) != 0) goto fail;
    st = store_room_create(a->db, r);
  } while (st == STORE_CONFLICT && generated && ++tries < 5);
  reply_written(a, st, r, &rs, res);
  goto out;
fail:
  api_internal_error(res);
out:
  json_decref(errors);
  json_decref(body);
  free(r);
}

void api_rooms_get(api_ctx *a, const api_caller *who, const char *ref, http_response *res) {
  room *r = malloc(sizeof *r);
  role_set rs;
  if (!r) return api_internal_error(res);
  if (find_room(a, who, ref, r, res) == 0 && load_roles(a, &rs, res) == 0) reply_room(a, r, &rs, res);
  free(r);
}

void api_rooms_update(api_ctx *a, const api_caller *who, const char *ref, const http_request *req,
                      http_response *res) {
  json_t *body = api_parse_body(req, res);
  if (!body) return;
  room *r = malloc(sizeof *r);
  role_set rs;
  json_t *errors = json_object();
  if (!r) {
    api_internal_error(res);
    goto out;
  }
  if (find_room(a, who, ref, r, res) != 0 || load_roles(a, &rs, res) != 0) goto out;
  int64_t now = now_unix();
  bool was_e2ee = r->e2ee_enabled;
  if (room_apply_fields(r, body, rs.list, rs.n, now, false, errors)) {
    api_invalid(res, errors);
    errors = NULL;
    goto out;
  }
  /* A call is either end-to-end encrypted or not, for everyone in it: the
   * mode changes only between calls (docs/api.md, PATCH). */
  if (r->e2ee_enabled != was_e2ee && a->signal && signal_room_count(a->signal, r->id) > 0) {
    api_error(res, 409, "A call is in progress in this room: e2ee_enabled can change once everyone has left.");
    goto out;
  }
  r->updated_at = now;
  store_status st = store_room_update(a->db, r);
  reply_written(a, st, r, &rs, res);
  if (st == STORE_OK && a->signal) signal_room_updated(a->signal, r); /* chat, lock, ...: at once */
out:
  json_decref(errors);
  json_decref(body);
  free(r);
}

void api_rooms_delete(api_ctx *a, const api_caller *who, const char *ref, http_response *res) {
  room *r = malloc(sizeof *r);
  if (!r) return api_internal_error(res);
  if (find_room(a, who, ref, r, res) == 0) {
    store_status st = store_room_delete(a->db, who->team_id, r->id);
    if (st == STORE_OK) http_set_body(res, 204, NULL, NULL, 0);
    else api_store_error(res, st, "Room not found.");
  }
  free(r);
}

/* Copies an optional string claim of at most max bytes from body to claims. */
static void token_text(json_t *body, json_t *claims, const char *name, size_t max, json_t *errors) {
  json_t *v = json_object_get(body, name);
  if (!v) return;
  if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) {
    char msg[64];
    snprintf(msg, sizeof msg, "must be a string of 1 to %zu bytes", max);
    field_error(errors, name, msg);
    return;
  }
  for (const char *p = json_string_value(v); *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      field_error(errors, name, "must not contain control characters");
      return;
    }
  }
  json_object_set(claims, name, v);
}

static int64_t token_time(json_t *body, const char *name, int64_t dflt, json_t *errors) {
  json_t *v = json_object_get(body, name);
  if (!v) return dflt;
  int64_t t;
  if (json_integral(v, 0, INT64_C(253402300799), &t) != 0) { /* up to year 9999 */
    field_error(errors, name, "must be a Unix time in seconds");
    return dflt;
  }
  return t;
}

/* Validates a token request and builds its claims, or returns NULL with
 * problems recorded in errors. */
static json_t *token_claims(json_t *body, const room *r, const role_set *rs, int64_t now,
                            int64_t max_lifetime, json_t *errors) {
  static const char *const known[] = {"u", "ud", "role", "initials", "avatar", "exp", "nbf", "e2ee"};
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v) {
    size_t i = 0;
    while (i < sizeof known / sizeof known[0] && strcmp(known[i], key) != 0) i++;
    if (i == sizeof known / sizeof known[0]) field_error(errors, key, "is not a known field");
  }
  json_t *claims = json_pack("{s:s,s:s,s:I}", "td", r->team_id, "rd", r->id, "iat", (json_int_t)now);
  token_text(body, claims, "u", 255, errors);
  token_text(body, claims, "ud", 256, errors);
  token_text(body, claims, "initials", 16, errors);
  token_text(body, claims, "avatar", 1024, errors);
  json_t *role_v = json_object_get(body, "role");
  if (role_v) {
    const role *found = json_is_string(role_v) ? role_find(rs->list, rs->n, json_string_value(role_v)) : NULL;
    if (!found || !room_has_role(r, found->id)) field_error(errors, "role", "must be one of the room's roles");
    else json_object_set_new(claims, "role", json_string(found->name));
  }
  int64_t nbf = token_time(body, "nbf", 0, errors);
  int64_t exp = token_time(body, "exp", now + TOKEN_DEFAULT_TTL, errors);
  char most[64];
  snprintf(most, sizeof most, "must be at most %lld seconds from now", (long long)max_lifetime);
  if (exp > now + max_lifetime) field_error(errors, "exp", most);
  /* A token never outlives its room. */
  if (r->expires_at && r->expires_at <= now) {
    field_error(errors, "room", "has expired");
  } else if (r->expires_at && exp > r->expires_at) {
    if (json_object_get(body, "exp")) field_error(errors, "exp", "must not be after the room's expires_at");
    else exp = r->expires_at;
  }
  if (exp <= now) field_error(errors, "exp", "must be in the future");
  else if (nbf && exp <= nbf) field_error(errors, "exp", "must be after nbf");
  json_object_set_new(claims, "exp", json_integer(exp));
  if (json_object_get(body, "nbf")) json_object_set_new(claims, "nbf", json_integer(nbf));
  /* "e2ee": true binds the holder's page to end-to-end encryption; by
   * default a token for an E2EE room carries it. */
  json_t *e2ee_v = json_object_get(body, "e2ee");
  if (e2ee_v && !json_is_boolean(e2ee_v)) field_error(errors, "e2ee", "must be a boolean");
  else if (e2ee_v ? json_is_true(e2ee_v) : r->e2ee_enabled) json_object_set_new(claims, "e2ee", json_true());
  if (json_object_size(errors)) {
    json_decref(claims);
    return NULL;
  }
  return claims;
}

void api_rooms_token(api_ctx *a, const api_caller *who, const char *ref, const http_request *req,
                     http_response *res) {
  json_t *body = api_parse_body(req, res);
  if (!body) return;
  room *r = malloc(sizeof *r);
  role_set rs;
  json_t *errors = json_object(), *claims = NULL;
  if (!r) {
    api_internal_error(res);
    goto out;
  }
  if (find_room(a, who, ref, r, res) != 0 || load_roles(a, &rs, res) != 0) goto out;
  claims = token_claims(body, r, &rs, now_unix(), a->cfg->max_token_lifetime, errors);
  if (!claims) {
    api_invalid(res, errors);
    errors = NULL;
    goto out;
  }
  /* Keyed with SHA-256(developer key), which equals keying with the key
   * itself for these long keys (see api/auth.c). */
  char *token = jwt_sign_hs256(claims, who->key_hash, KEY_HASH_LEN);
  if (!token) { /* claims within their limits cannot make a token too large to verify */
    api_internal_error(res);
    goto out;
  }
  size_t cap = strlen(a->cfg->public_url) + strlen(r->friendly_url) + strlen(token) + 24;
  char *link = malloc(cap);
  if (link) {
    /* The fragment goes at the very end, after the query. */
    bool e2ee = json_is_true(json_object_get(claims, "e2ee"));
    snprintf(link, cap, "%s/%s?token=%s%s", a->cfg->public_url, r->friendly_url, token, e2ee ? "#e2ee" : "");
    api_json(res, 200, json_pack("{s:s,s:s}", "token", token, "link", link));
  } else {
    api_internal_error(res);
  }
  free(link);
  free(token);
out:
  json_decref(claims);
  json_decref(errors);
  json_decref(body);
  free(r);
}
