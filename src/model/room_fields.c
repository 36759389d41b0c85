/* Validation and JSON mapping of room fields. Unknown fields are refused, not
 * ignored: for a security product a typo such as "e2ee_enable" must not
 * silently create an unencrypted room. */
#include "model/room_fields.h"

#include <string.h>
#include <strings.h>

#include "core/timefmt.h"

/* Paths at the top level of the server that a room URL must not shadow. */
static const char *const reserved_urls[] = {
    "api", "dashboard", "healthz", "metrics", "static", "assets", "ws", "app", "meeting", "common", "e2ee",
    "rooms", "room", "admin", "login", "logout", "favicon.ico", "robots.txt", "web", "js", "css",
};

void field_error(json_t *errors, const char *field, const char *reason) {
  json_t *list = json_object_get(errors, field);
  if (!list) {
    list = json_array();
    if (json_object_set_new(errors, field, list) != 0) return; /* out of memory: list freed */
  }
  json_array_append_new(list, json_string(reason));
}

size_t utf8_length(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

int friendly_url_check(const char *s, const char **reason) {
  size_t n = strlen(s);
  if (n < ROOM_URL_MIN || n > ROOM_URL_MAX) {
    *reason = "must be between 3 and 32 characters";
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      *reason = "may contain only letters, digits, '-' and '_'";
      return 0;
    }
  }
  for (size_t i = 0; i < sizeof reserved_urls / sizeof reserved_urls[0]; i++) {
    if (strcasecmp(s, reserved_urls[i]) == 0) {
      *reason = "is reserved";
      return 0;
    }
  }
  return 1;
}

const role *role_find(const role *roles, size_t n, const char *ref) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(roles[i].id, ref) == 0 || strcmp(roles[i].name, ref) == 0) return &roles[i];
  return NULL;
}

void room_defaults(room *r, const role *roles, size_t n_roles) {
  memset(r, 0, sizeof *r);
  r->chat_enabled = r->screenshare_enabled = true;
  r->audio_on_join_enabled = r->video_on_join_enabled = true;
  r->max_participants = ROOM_DEFAULT_PARTICIPANTS;
  for (size_t i = 0; i < n_roles && i < ROOM_MAX_ROLES; i++) {
    if (!roles[i].preset) continue;
    memcpy(r->roles[r->n_roles++], roles[i].id, UUID_STR_LEN);
  }
  const role *mod = role_find(roles, n_roles, "moderator");
  if (mod) memcpy(r->default_role, mod->id, UUID_STR_LEN);
}

/* Copies a JSON string of min..max code points into dst, or records why not. */
static int take_text(const json_t *v, const char *field, size_t min, size_t max, int nullable,
                     char *dst, size_t cap, json_t *errors) {
  if (json_is_null(v) && nullable) {
    dst[0] = '\0';
    return 0;
  }
  if (!json_is_string(v)) {
    field_error(errors, field, nullable ? "must be a string or null" : "must be a string");
    return 1;
  }
  size_t chars = utf8_length(json_string_value(v));
  if (chars < min || chars > max || json_string_length(v) >= cap) {
    char msg[80];
    snprintf(msg, sizeof msg, "must be between %zu and %zu characters", min, max);
    field_error(errors, field, msg);
    return 1;
  }
  memcpy(dst, json_string_value(v), json_string_length(v) + 1);
  return 0;
}

static int take_bool(const json_t *v, const char *field, bool *dst, json_t *errors) {
  if (!json_is_boolean(v)) {
    field_error(errors, field, "must be true or false");
    return 1;
  }
  *dst = json_is_true(v);
  return 0;
}

static int take_roles(const json_t *v, room *r, const role *roles, size_t n_roles, json_t *errors) {
  if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > ROOM_MAX_ROLES) {
    field_error(errors, "roles", "must be a non-empty array of role names or ids");
    return 1;
  }
  room tmp;
  tmp.n_roles = 0;
  size_t i;
  json_t *item;
  json_array_foreach(v, i, item) {
    const role *found = json_is_string(item) ? role_find(roles, n_roles, json_string_value(item)) : NULL;
    if (!found) {
      field_error(errors, "roles", "contains an unknown role");
      return 1;
    }
    for (int j = 0; j < tmp.n_roles; j++) {
      if (strcmp(tmp.roles[j], found->id) == 0) {
        field_error(errors, "roles", "contains a role twice");
        return 1;
      }
    }
    memcpy(tmp.roles[tmp.n_roles++], found->id, UUID_STR_LEN);
  }
  memcpy(r->roles, tmp.roles, sizeof tmp.roles);
  r->n_roles = tmp.n_roles;
  return 0;
}

static int take_tags(const json_t *v, room *r, json_t *errors) {
  if (!json_is_array(v) || json_array_size(v) > ROOM_MAX_TAGS) {
    field_error(errors, "tags", "must be an array of at most 20 strings");
    return 1;
  }
  size_t i;
  json_t *item;
  int n = 0;
  json_array_foreach(v, i, item) {
    if (take_text(item, "tags", 1, ROOM_TAG_MAX_CHARS, 0, r->tags[n], sizeof r->tags[n], errors))
      return 1;
    n++;
  }
  r->n_tags = n;
  return 0;
}

static int take_expiry(const json_t *v, room *r, int64_t now, json_t *errors) {
  int64_t t;
  if (json_is_null(v)) {
    r->expires_at = 0;
    return 0;
  }
  if (!json_is_string(v) || iso8601_parse(json_string_value(v), &t) != 0) {
    field_error(errors, "expires_at", "must be an ISO 8601 date-time such as 2030-01-31T12:00:00Z, or null");
    return 1;
  }
  if (t <= now) {
    field_error(errors, "expires_at", "must be in the future");
    return 1;
  }
  r->expires_at = t;
  return 0;
}

int json_integral(const json_t *v, int64_t lo, int64_t hi, int64_t *out) {
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi) return -1;
    *out = i;
    return 0;
  }
  if (!json_is_real(v)) return -1;
  double d = json_real_value(v);
  if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d) return -1;
  *out = (int64_t)d;
  return 0;
}

static int take_participants(const json_t *v, room *r, json_t *errors) {
  int64_t n;
  if (json_integral(v, ROOM_MIN_PARTICIPANTS, ROOM_MAX_PARTICIPANTS, &n) != 0) {
    field_error(errors, "max_participants", "must be an integer from 2 to 1000");
    return 1;
  }
  r->max_participants = (int)n;
  return 0;
}

static int take_field(room *r, const char *key, const json_t *v, const role *roles,
                      size_t n_roles, int64_t now, json_t *errors) {
  const char *reason;
  if (strcmp(key, "description") == 0 || strcmp(key, "topic") == 0)
    return take_text(v, key, ROOM_DESC_MIN_CHARS, ROOM_DESC_MAX_CHARS, 1, r->description,
                     sizeof r->description, errors);
  if (strcmp(key, "friendly_url") == 0) {
    if (!json_is_string(v)) {
      field_error(errors, key, "must be a string");
      return 1;
    }
    if (!friendly_url_check(json_string_value(v), &reason)) {
      field_error(errors, key, reason);
      return 1;
    }
    snprintf(r->friendly_url, sizeof r->friendly_url, "%s", json_string_value(v));
    return 0;
  }
  if (strcmp(key, "privacy") == 0) {
    const char *p = json_string_value(v);
    if (!p || (strcmp(p, "public") != 0 && strcmp(p, "private") != 0)) {
      field_error(errors, key, "must be \"public\" or \"private\"");
      return 1;
    }
    r->is_private = strcmp(p, "private") == 0;
    return 0;
  }
  if (strcmp(key, "external_id") == 0)
    return take_text(v, key, 1, ROOM_EXTID_MAX_CHARS, 1, r->external_id, sizeof r->external_id, errors);
  if (strcmp(key, "default_role") == 0) {
    const role *found = json_is_string(v) ? role_find(roles, n_roles, json_string_value(v)) : NULL;
    if (!found) {
      field_error(errors, key, "must be the name or id of a role");
      return 1;
    }
    memcpy(r->default_role, found->id, UUID_STR_LEN);
    return 0;
  }
  if (strcmp(key, "roles") == 0) return take_roles(v, r, roles, n_roles, errors);
  if (strcmp(key, "tags") == 0) return take_tags(v, r, errors);
  if (strcmp(key, "expires_at") == 0) return take_expiry(v, r, now, errors);
  if (strcmp(key, "max_participants") == 0) return take_participants(v, r, errors);
  if (strcmp(key, "e2ee_enabled") == 0) return take_bool(v, key, &r->e2ee_enabled, errors);
  if (strcmp(key, "is_locked") == 0) return take_bool(v, key, &r->is_locked, errors);
  if (strcmp(key, "chat_enabled") == 0) return take_bool(v, key, &r->chat_enabled, errors);
  if (strcmp(key, "screenshare_enabled") == 0) return take_bool(v, key, &r->screenshare_enabled, errors);
  if (strcmp(key, "audio_on_join_enabled") == 0) return take_bool(v, key, &r->audio_on_join_enabled, errors);
  if (strcmp(key, "video_on_join_enabled") == 0) return take_bool(v, key, &r->video_on_join_enabled, errors);
  if (strcmp(key, "recordings_enabled") == 0) {
    if (!json_is_false(v)) {
      field_error(errors, key, "recording is not supported by this server; only false is accepted");
      return 1;
    }
    return 0;
  }
  static const char *const read_only[] = {"id", "room_url", "created_at", "updated_at"};
  for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
    if (strcmp(key, read_only[i]) == 0) {
      field_error(errors, key, "is read-only");
      return 1;
    }
  }
  field_error(errors, key, "is not a known field");
  return 1;
}

bool room_has_role(const room *r, const char *role_id) {
  for (int i = 0; i < r->n_roles; i++)
    if (strcmp(r->roles[i], role_id) == 0) return true;
  return false;
}

int room_apply_fields(room *r, const json_t *body, const role *roles, size_t n_roles, int64_t now,
                      bool creating, json_t *errors) {
  const json_t *desc = json_object_get(body, "description"), *topic = json_object_get(body, "topic");
  int problems = 0;
  if (desc && topic && !json_equal(desc, topic)) {
    field_error(errors, "topic", "must equal description when both are sent (topic is an alias)");
    problems++;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)body, key, v) {
    problems += take_field(r, key, v, roles, n_roles, now, errors);
  }
  if (problems == 0 && !room_has_role(r, r->default_role)) {
    if (creating && !json_object_get(body, "default_role")) {
      /* A new room whose roles leave out the implicit default: take the
       * first listed. An existing room's default never changes silently. */
      memcpy(r->default_role, r->roles[0], UUID_STR_LEN);
    } else {
      field_error(errors, "default_role", "must be one of the room's roles");
      problems++;
    }
  }
  return problems;
}

json_t *role_to_json(const role *r, int with_permissions) {
  json_t *o = json_pack("{s:s,s:s,s:s}", "id", r->id, "name", r->name, "display_name", r->display_name);
  if (with_permissions) {
    json_t *perms = json_array();
#define PERM_ITEM(bit, name) \
  if (r->permissions & (bit)) json_array_append_new(perms, json_string(name));
    PERMISSION_NAMES(PERM_ITEM)
#undef PERM_ITEM
    json_object_set_new(o, "permissions", perms);
    json_object_set_new(o, "preset", json_boolean(r->preset));
  }
  return o;
}

static json_t *role_ref(const char *id, const role *roles, size_t n_roles) {
  const role *found = role_find(roles, n_roles, id);
  return found ? role_to_json(found, 0) : json_pack("{s:s,s:n,s:n}", "id", id, "name", "display_name");
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

json_t *room_to_json(const room *r, const role *roles, size_t n_roles, const char *public_url) {
  char created[ISO8601_LEN], updated[ISO8601_LEN], expires[ISO8601_LEN], url[320];
  iso8601_format(r->created_at, created);
  iso8601_format(r->updated_at, updated);
  iso8601_format(r->expires_at, expires);
  /* The E2EE requirement travels in the link's fragment, which browsers never
   * send to the server: a page opened from it refuses an unencrypted room
   * even if the server says the room is not E2EE (docs/e2ee.md 12.2). */
  snprintf(url, sizeof url, "%s/%s%s", public_url, r->friendly_url, r->e2ee_enabled ? "#e2ee" : "");
  json_t *role_list = json_array(), *tags = json_array();
  for (int i = 0; i < r->n_roles; i++) json_array_append_new(role_list, role_ref(r->roles[i], roles, n_roles));
  for (int i = 0; i < r->n_tags; i++) json_array_append_new(tags, json_string(r->tags[i]));
  return json_pack(
      "{s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:b,s:i,s:b,s:o,s:o,s:b,s:b,s:b,s:b,s:b,s:s,s:s,s:s}",
      "id", r->id, "friendly_url", r->friendly_url, "description", text_or_null(r->description),
      "topic", text_or_null(r->description), "privacy", r->is_private ? "private" : "public",
      "external_id", text_or_null(r->external_id), "default_role",
      role_ref(r->default_role, roles, n_roles), "roles", role_list, "e2ee_enabled",
      r->e2ee_enabled, "max_participants", r->max_participants, "is_locked", r->is_locked,
      "expires_at", r->expires_at ? json_string(expires) : json_null(), "tags", tags,
      "chat_enabled", r->chat_enabled, "screenshare_enabled", r->screenshare_enabled,
      "recordings_enabled", 0, "audio_on_join_enabled", r->audio_on_join_enabled,
      "video_on_join_enabled", r->video_on_join_enabled, "room_url", url, "created_at", created,
      "updated_at", updated);
}
