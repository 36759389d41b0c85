/* Signalling messages of the native client: JSON building with jansson and
 * a strict, bounded parser of the server's messages (client/signal_msg.h). */
#include "client/signal_msg.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

/* ---- shared checks ----------------------------------------------------- */

/* Code points in valid UTF-8 s (jansson has checked the encoding). */
static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

/* 1-64 chars, no C0 control character or DEL (the server's rule). */
static bool valid_name(const char *s) {
  size_t bytes = strlen(s), chars = utf8_chars(s);
  if (bytes > SC_NAME_MAX || chars < 1 || chars > SC_NAME_MAX_CHARS) return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return false;
  return true;
}

/* A base64 32-byte key: exactly 44 characters of padded standard base64. */
static bool valid_key(const char *s) {
  uint8_t raw[33];
  size_t n = 0;
  return strlen(s) == SC_KEY_B64_LEN &&
         sr_base64_decode(s, SC_KEY_B64_LEN, raw, sizeof raw, &n, SR_BASE64_STD) == SR_BASE64_OK &&
         n == 32;
}

static bool bounded(const char *s, size_t min, size_t max) {
  if (!s) return false;
  size_t n = strnlen(s, max + 1);
  return n >= min && n <= max;
}

/* ---- building ---------------------------------------------------------- */

/* Serializes and frees o; NULL if o is NULL or the text is over max bytes. */
static char *finish(json_t *o, size_t max) {
  if (!o) return NULL;
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (text && strlen(text) > max) {
    free(text);
    return NULL;
  }
  return text;
}

/* A message {"type": type}; NULL on failure. */
static json_t *typed(const char *type) { return json_pack("{s:s}", "type", type); }

/* Sets o[key] = v (stolen); on failure frees o and returns NULL. */
/* Sets key to v in o, taking both references; NULL (both released) on
 * failure. json_object_set_new releases v itself when it fails (a key that
 * is not UTF-8, no memory): only o is left to release then. */
static json_t *set(json_t *o, const char *key, json_t *v) {
  if (!o || !v) {
    json_decref(o);
    json_decref(v);
    return NULL;
  }
  if (json_object_set_new(o, key, v) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* A participant id as the server makes them: letters, digits, '-' and '_'. */
static bool valid_id(const char *id) {
  if (!bounded(id, 1, SC_ID_MAX)) return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_'))
      return false;
  return true;
}

/* Parses a payload's JSON text (any value) and checks its serialized size. */
static json_t *payload_value(const char *payload_json) {
  if (!payload_json) return NULL;
  json_error_t e;
  json_t *v = json_loads(payload_json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
  if (!v) return NULL;
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  size_t n = text ? strlen(text) : SIZE_MAX;
  free(text);
  if (n > SC_PAYLOAD_MAX) {
    json_decref(v);
    return NULL;
  }
  return v;
}

char *sc_msg_join(const char *room, const char *name, const char *token, const char *public_key,
                  const char *signing_key) {
  if (!bounded(room, 1, SC_ROOM_REF_MAX) || !name || !valid_name(name)) return NULL;
  if (token && !bounded(token, 1, SC_TOKEN_MAX)) return NULL;
  if ((public_key && !valid_key(public_key)) || (signing_key && !valid_key(signing_key))) return NULL;
  json_t *o = typed("join");
  o = set(o, "room", json_string(room));
  o = set(o, "name", json_string(name));
  if (token) o = set(o, "token", json_string(token));
  if (public_key) o = set(o, "public_key", json_string(public_key));
  if (signing_key) o = set(o, "signing_key", json_string(signing_key));
  return finish(o, SC_MESSAGE_MAX);
}

char *sc_msg_publish_offer(const char *sdp) {
  if (!bounded(sdp, 1, SC_SDP_MAX)) return NULL;
  return finish(set(typed("publish_offer"), "sdp", json_string(sdp)), SC_MESSAGE_MAX);
}

char *sc_msg_subscribe_answer(const char *sdp, int64_t version) {
  if (!bounded(sdp, 1, SC_SDP_MAX) || version < 1) return NULL;
  json_t *o = set(typed("subscribe_answer"), "sdp", json_string(sdp));
  return finish(set(o, "version", json_integer((json_int_t)version)), SC_MESSAGE_MAX);
}

char *sc_msg_mute(sc_kind kind, bool muted) {
  if (kind != SC_KIND_AUDIO && kind != SC_KIND_VIDEO) return NULL;
  json_t *o = set(typed("mute"), "kind", json_string(kind == SC_KIND_AUDIO ? "audio" : "video"));
  return finish(set(o, "muted", json_boolean(muted)), SC_MESSAGE_MAX);
}

char *sc_msg_relay(const char *to, const char *payload_json) {
  if (!bounded(to, 1, SC_ID_MAX)) return NULL;
  json_t *payload = payload_value(payload_json);
  if (!payload) return NULL;
  json_t *o = set(typed("relay"), "to", json_string(to));
  return finish(set(o, "payload", payload), SC_MESSAGE_MAX);
}

char *sc_msg_relay_batch(const sc_relay_entry *entries, size_t n) {
  if (!entries || n < 1 || n > SC_MAX_PARTICIPANTS) return NULL;
  json_t *list = json_array();
  for (size_t i = 0; list && i < n; i++) {
    json_t *payload = bounded(entries[i].to, 1, SC_ID_MAX) ? payload_value(entries[i].payload_json) : NULL;
    json_t *entry = set(set(json_object(), "to", entries[i].to ? json_string(entries[i].to) : NULL),
                        "payload", payload);
    if (!entry || json_array_append_new(list, entry) != 0) {
      json_decref(list);
      list = NULL;
    }
  }
  return finish(set(typed("relay_batch"), "messages", list), SC_MESSAGE_MAX);
}

char *sc_msg_relay_all(const char *payload_json) {
  json_t *payload = payload_value(payload_json);
  return payload ? finish(set(typed("relay_all"), "payload", payload), SC_MESSAGE_MAX) : NULL;
}

char *sc_msg_chat(const char *payload_json) {
  json_t *payload = payload_value(payload_json);
  return payload ? finish(set(typed("chat"), "payload", payload), SC_MESSAGE_MAX) : NULL;
}

char *sc_msg_video_quality(const char *participant_id, const char *quality) {
  if (!valid_id(participant_id) || !quality ||
      (strcmp(quality, "low") != 0 && strcmp(quality, "medium") != 0 && strcmp(quality, "high") != 0))
    return NULL;
  json_t *q = set(json_object(), participant_id, json_string(quality));
  return q ? finish(set(typed("video_quality"), "qualities", q), SC_MESSAGE_MAX) : NULL;
}

char *sc_msg_chat_text(const char *text) {
  if (!bounded(text, 0, SC_PAYLOAD_MAX)) return NULL;
  json_t *payload = set(json_object(), "text", json_string(text));
  if (!payload) return NULL;
  char *serialized = json_dumps(payload, JSON_COMPACT);
  size_t len = serialized ? strlen(serialized) : SIZE_MAX;
  free(serialized);
  if (len > SC_PAYLOAD_MAX) {
    json_decref(payload);
    return NULL;
  }
  return finish(set(typed("chat"), "payload", payload), SC_MESSAGE_MAX);
}

char *sc_msg_leave(void) { return finish(typed("leave"), SC_MESSAGE_MAX); }
char *sc_msg_ping(void) { return finish(typed("ping"), SC_MESSAGE_MAX); }

/* ---- parsing ----------------------------------------------------------- */

/* Parse context: where a failure is reported. */
typedef struct {
  char *err;
  size_t err_len;
} pctx;

static int fail(pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(pctx *c, const char *fmt, ...) {
  if (c->err && c->err_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_len, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* Copies the string member key of o into out[0..max] (max bytes + NUL).
 * required: missing is an error; otherwise missing (or null when
 * null_ok) leaves "". */
static int get_str(pctx *c, const json_t *o, const char *where, const char *key, char *out, size_t max,
                   bool required) {
  json_t *v = json_object_get(o, key);
  out[0] = '\0';
  if (!v) return required ? fail(c, "%s.%s: missing", where, key) : 0;
  if (!json_is_string(v)) return fail(c, "%s.%s: not a string", where, key);
  size_t n = json_string_length(v);
  if (n > max) return fail(c, "%s.%s: longer than %zu bytes", where, key, max);
  const char *s = json_string_value(v);
  if (strlen(s) != n) return fail(c, "%s.%s: contains NUL", where, key);
  memcpy(out, s, n + 1);
  return 0;
}

/* An id: a non-empty string of at most SC_ID_MAX printable ASCII bytes. */
static int get_id(pctx *c, const json_t *o, const char *where, const char *key, char *out) {
  if (get_str(c, o, where, key, out, SC_ID_MAX, true) != 0) return -1;
  if (!out[0]) return fail(c, "%s.%s: empty", where, key);
  for (const char *p = out; *p; p++)
    if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) return fail(c, "%s.%s: not an id", where, key);
  return 0;
}

static int get_name(pctx *c, const json_t *o, const char *where, const char *key, char *out) {
  if (get_str(c, o, where, key, out, SC_NAME_MAX, true) != 0) return -1;
  return valid_name(out) ? 0 : fail(c, "%s.%s: not 1-64 characters without control characters", where, key);
}

/* A key: absent (""), or 44 characters of base64 of 32 bytes. */
/* A participant's public_key / signing_key. The E2EE module, not this
 * parser, judges a key (docs/e2ee.md: a hostile server may send anything), so
 * what was sent is kept for it to compare: the browser's worker raises
 * key_changed when a present participant comes back with any other value,
 * valid or not. A string of at most SC_KEY_B64_LEN bytes is kept as sent; any
 * other non-null value (longer, not a string) becomes SC_KEY_INVALID, which no
 * valid key equals; absent or null is "". */
static int get_key(pctx *c, const json_t *o, const char *where, const char *key, char *out) {
  json_t *v = json_object_get(o, key);
  out[0] = '\0';
  (void)c;
  (void)where;
  if (!v || json_is_null(v)) return 0;
  const char *s = json_is_string(v) ? json_string_value(v) : NULL;
  size_t n = s ? json_string_length(v) : 0;
  if (!s || n > SC_KEY_B64_LEN || strlen(s) != n || n == 0) {
    memcpy(out, SC_KEY_INVALID, sizeof SC_KEY_INVALID);
    return 0;
  }
  memcpy(out, s, n + 1);
  return 0;
}

static int get_bool(pctx *c, const json_t *o, const char *where, const char *key, bool *out, bool required) {
  json_t *v = json_object_get(o, key);
  *out = false;
  if (!v) return required ? fail(c, "%s.%s: missing", where, key) : 0;
  if (!json_is_boolean(v)) return fail(c, "%s.%s: not a boolean", where, key);
  *out = json_is_true(v);
  return 0;
}

static int get_int(pctx *c, const json_t *o, const char *where, const char *key, int64_t min, int64_t max,
                   int64_t *out) {
  json_t *v = json_object_get(o, key);
  if (!v) return fail(c, "%s.%s: missing", where, key);
  if (!json_is_integer(v)) return fail(c, "%s.%s: not an integer", where, key);
  json_int_t x = json_integer_value(v);
  if (x < min || x > max) return fail(c, "%s.%s: out of range", where, key);
  *out = (int64_t)x;
  return 0;
}

/* A big string (SDP) member, copied to a malloc'd NUL-terminated buffer. */
static int get_big_str(pctx *c, const json_t *o, const char *where, const char *key, size_t max, char **out,
                       size_t *out_len) {
  json_t *v = json_object_get(o, key);
  if (!v) return fail(c, "%s.%s: missing", where, key);
  if (!json_is_string(v)) return fail(c, "%s.%s: not a string", where, key);
  size_t n = json_string_length(v);
  if (n > max) return fail(c, "%s.%s: longer than %zu bytes", where, key, max);
  const char *s = json_string_value(v);
  if (strlen(s) != n) return fail(c, "%s.%s: contains NUL", where, key);
  *out = malloc(n + 1);
  if (!*out) return fail(c, "out of memory");
  memcpy(*out, s, n + 1);
  *out_len = n;
  return 0;
}

/* The member payload (any JSON value), re-serialized compactly. */
static int get_payload(pctx *c, const json_t *o, const char *where, char **out, size_t *out_len) {
  json_t *v = json_object_get(o, "payload");
  if (!v) return fail(c, "%s.payload: missing", where);
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) return fail(c, "%s.payload: cannot be serialized", where);
  size_t n = strlen(text);
  if (n > SC_PAYLOAD_MAX) {
    free(text);
    return fail(c, "%s.payload: over %d bytes", where, SC_PAYLOAD_MAX);
  }
  *out = text;
  *out_len = n;
  return 0;
}

static const json_t *get_obj(pctx *c, const json_t *o, const char *where, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_object(v)) {
    fail(c, "%s.%s: %s", where, key, v ? "not an object" : "missing");
    return NULL;
  }
  return v;
}

static const json_t *get_array(pctx *c, const json_t *o, const char *where, const char *key, size_t max) {
  json_t *v = json_object_get(o, key);
  if (!json_is_array(v)) {
    fail(c, "%s.%s: %s", where, key, v ? "not an array" : "missing");
    return NULL;
  }
  if (json_array_size(v) > max) {
    fail(c, "%s.%s: more than %zu entries", where, key, max);
    return NULL;
  }
  return v;
}

static int parse_tracks(pctx *c, const json_t *o, const char *where, sc_track *tracks, int *n_tracks) {
  const json_t *a = get_array(c, o, where, "tracks", SC_MAX_TRACKS);
  if (!a) return -1;
  *n_tracks = 0;
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *t = json_array_get(a, i);
    sc_track *tr = &tracks[i];
    char kind[8];
    if (!json_is_object(t)) return fail(c, "%s.tracks[%zu]: not an object", where, i);
    if (get_str(c, t, "track", "kind", kind, sizeof kind - 1, true) != 0) return -1;
    if (strcmp(kind, "audio") == 0) tr->kind = SC_KIND_AUDIO;
    else if (strcmp(kind, "video") == 0) tr->kind = SC_KIND_VIDEO;
    else return fail(c, "%s.tracks[%zu].kind: neither audio nor video", where, i);
    if (get_str(c, t, "track", "mid", tr->mid, SC_MID_MAX, true) != 0) return -1;
    if (get_bool(c, t, "track", "muted", &tr->muted, true) != 0) return -1;
    (*n_tracks)++;
  }
  return 0;
}

static int parse_participant(pctx *c, const json_t *o, const char *where, sc_participant *p) {
  int64_t slot;
  memset(p, 0, sizeof *p);
  if (!json_is_object(o)) return fail(c, "%s: not an object", where);
  if (get_id(c, o, where, "id", p->id) != 0 || get_name(c, o, where, "name", p->name) != 0 ||
      get_str(c, o, where, "role", p->role, SC_ROLE_NAME_MAX, true) != 0 ||
      get_int(c, o, where, "slot", 0, 65535, &slot) != 0 || get_key(c, o, where, "public_key", p->public_key) != 0 ||
      get_key(c, o, where, "signing_key", p->signing_key) != 0 ||
      parse_tracks(c, o, where, p->tracks, &p->n_tracks) != 0)
    return -1;
  p->slot = (uint16_t)slot;
  return 0;
}

static int parse_room(pctx *c, const json_t *msg, sc_room_info *r) {
  const json_t *o = get_obj(c, msg, "message", "room");
  char privacy[16];
  int64_t max;
  memset(r, 0, sizeof *r);
  if (!o) return -1;
  json_t *d = json_object_get(o, "description");
  if (get_id(c, o, "room", "id", r->id) != 0 ||
      get_str(c, o, "room", "friendly_url", r->friendly_url, SC_FRIENDLY_URL_MAX, true) != 0 ||
      (d && !json_is_null(d) && get_str(c, o, "room", "description", r->description, SC_DESCRIPTION_MAX, true) != 0) ||
      get_bool(c, o, "room", "e2ee_enabled", &r->e2ee_enabled, true) != 0 ||
      get_str(c, o, "room", "privacy", privacy, sizeof privacy - 1, false) != 0 ||
      get_int(c, o, "room", "max_participants", 0, 1000000, &max) != 0 ||
      get_bool(c, o, "room", "chat_enabled", &r->chat_enabled, false) != 0 ||
      get_bool(c, o, "room", "screenshare_enabled", &r->screenshare_enabled, false) != 0 ||
      get_bool(c, o, "room", "audio_on_join_enabled", &r->audio_on_join_enabled, false) != 0 ||
      get_bool(c, o, "room", "video_on_join_enabled", &r->video_on_join_enabled, false) != 0)
    return -1;
  r->is_private = strcmp(privacy, "private") == 0;
  r->max_participants = (int)max;
  return 0;
}

static int parse_role(pctx *c, const json_t *msg, sc_role_info *r) {
  static const struct {
    const char *name;
    uint32_t bit;
  } perms[] = {{"broadcast", SC_PERM_BROADCAST},
               {"screenshare", SC_PERM_SCREENSHARE},
               {"chat", SC_PERM_CHAT},
               {"mute_participant", SC_PERM_MUTE_PARTICIPANT},
               {"remove_participant", SC_PERM_REMOVE_PARTICIPANT},
               {"end_session", SC_PERM_END_SESSION},
               {"manage_roles", SC_PERM_MANAGE_ROLES}};
  const json_t *o = get_obj(c, msg, "welcome", "role");
  memset(r, 0, sizeof *r);
  if (!o) return -1;
  if (get_str(c, o, "role", "name", r->name, SC_ROLE_NAME_MAX, true) != 0 ||
      get_str(c, o, "role", "display_name", r->display_name, SC_ROLE_DISPLAY_MAX, false) != 0)
    return -1;
  const json_t *a = get_array(c, o, "role", "permissions", 64);
  if (!a) return -1;
  for (size_t i = 0; i < json_array_size(a); i++) {
    const char *s = json_string_value(json_array_get(a, i));
    if (!s) return fail(c, "role.permissions[%zu]: not a string", i);
    for (size_t k = 0; k < sizeof perms / sizeof perms[0]; k++)
      if (strcmp(s, perms[k].name) == 0) r->permissions |= perms[k].bit;
  }
  return 0;
}

static int parse_ice_servers(pctx *c, const json_t *msg, sc_welcome *w) {
  json_t *a = json_object_get(msg, "ice_servers");
  if (!a) return 0;
  if (!get_array(c, msg, "welcome", "ice_servers", SC_MAX_ICE_SERVERS)) return -1;
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *s = json_array_get(a, i);
    sc_ice_server *is = &w->ice_servers[i];
    if (!json_is_object(s)) return fail(c, "welcome.ice_servers[%zu]: not an object", i);
    const json_t *urls = get_array(c, s, "ice_server", "urls", SC_MAX_ICE_URLS);
    if (!urls) return -1;
    for (size_t k = 0; k < json_array_size(urls); k++) {
      const json_t *u = json_array_get(urls, k);
      size_t n = json_string_length(u);
      if (!json_is_string(u) || n > SC_ICE_URL_MAX || strlen(json_string_value(u)) != n)
        return fail(c, "ice_server.urls[%zu]: not a string of at most %d bytes", k, SC_ICE_URL_MAX);
      memcpy(is->urls[k], json_string_value(u), n + 1);
      is->n_urls++;
    }
    w->n_ice_servers++; /* counted before the credential, so that free wipes it */
    if (get_str(c, s, "ice_server", "username", is->username, SC_ICE_USERNAME_MAX, false) != 0 ||
        get_str(c, s, "ice_server", "credential", is->credential, SC_ICE_CREDENTIAL_MAX, false) != 0)
      return -1;
  }
  return 0;
}

static int parse_welcome(pctx *c, const json_t *msg, sc_welcome *w) {
  int64_t slot;
  if (get_id(c, msg, "welcome", "participant_id", w->participant_id) != 0 ||
      get_id(c, msg, "welcome", "session_id", w->session_id) != 0 ||
      get_int(c, msg, "welcome", "slot", 0, 65535, &slot) != 0 ||
      get_name(c, msg, "welcome", "name", w->name) != 0 || parse_room(c, msg, &w->room) != 0 ||
      parse_role(c, msg, &w->role) != 0 || get_bool(c, msg, "welcome", "test_mode", &w->test_mode, false) != 0 ||
      parse_ice_servers(c, msg, w) != 0)
    return -1;
  w->slot = (uint16_t)slot;
  const json_t *a = get_array(c, msg, "welcome", "participants", SC_MAX_PARTICIPANTS);
  if (!a) return -1;
  size_t n = json_array_size(a);
  if (n == 0) return 0;
  w->participants = calloc(n, sizeof *w->participants);
  if (!w->participants) return fail(c, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char where[48];
    snprintf(where, sizeof where, "welcome.participants[%zu]", i);
    if (parse_participant(c, json_array_get(a, i), where, &w->participants[i]) != 0) return -1;
    w->n_participants++;
  }
  return 0;
}

static int parse_error(pctx *c, const json_t *msg, sc_server_msg *m) {
  if (get_str(c, msg, "error", "code", m->u.error.code, SC_ID_MAX, true) != 0 ||
      get_str(c, msg, "error", "message", m->u.error.message, SC_ERROR_MESSAGE_MAX, false) != 0)
    return -1;
  m->u.error.retry_after_ms = m->u.error.skipped = -1;
  if (json_object_get(msg, "retry_after_ms") &&
      get_int(c, msg, "error", "retry_after_ms", 0, INT64_MAX, &m->u.error.retry_after_ms) != 0)
    return -1;
  if (json_object_get(msg, "skipped") && get_int(c, msg, "error", "skipped", 0, INT64_MAX, &m->u.error.skipped) != 0)
    return -1;
  return 0;
}

static const char *const type_names[] = {
    [SC_SRV_UNKNOWN] = "unknown",
    [SC_SRV_WELCOME] = "welcome",
    [SC_SRV_PARTICIPANT_JOINED] = "participant_joined",
    [SC_SRV_PARTICIPANT_LEFT] = "participant_left",
    [SC_SRV_ROOM_UPDATED] = "room_updated",
    [SC_SRV_TRACKS_UPDATED] = "tracks_updated",
    [SC_SRV_PUBLISH_ANSWER] = "publish_answer",
    [SC_SRV_SUBSCRIBE_OFFER] = "subscribe_offer",
    [SC_SRV_RELAY] = "relay",
    [SC_SRV_CHAT] = "chat",
    [SC_SRV_PONG] = "pong",
    [SC_SRV_ERROR] = "error",
};

const char *sc_server_msg_type_name(sc_server_msg_type type) {
  if ((size_t)type >= sizeof type_names / sizeof type_names[0]) return "unknown";
  return type_names[type];
}

static int parse_body(pctx *c, const json_t *msg, sc_server_msg *m) {
  switch (m->type) {
  case SC_SRV_WELCOME:
    return parse_welcome(c, msg, &m->u.welcome);
  case SC_SRV_PARTICIPANT_JOINED: {
    const json_t *p = get_obj(c, msg, "participant_joined", "participant");
    return p ? parse_participant(c, p, "participant", &m->u.participant_joined) : -1;
  }
  case SC_SRV_PARTICIPANT_LEFT:
    return get_id(c, msg, "participant_left", "participant_id", m->u.participant_left.participant_id);
  case SC_SRV_ROOM_UPDATED:
    return parse_room(c, msg, &m->u.room_updated);
  case SC_SRV_TRACKS_UPDATED:
    if (get_id(c, msg, "tracks_updated", "participant_id", m->u.tracks_updated.participant_id) != 0) return -1;
    return parse_tracks(c, msg, "tracks_updated", m->u.tracks_updated.tracks, &m->u.tracks_updated.n_tracks);
  case SC_SRV_PUBLISH_ANSWER:
    return get_big_str(c, msg, "publish_answer", "sdp", SC_SDP_MAX, &m->u.publish_answer.sdp,
                       &m->u.publish_answer.sdp_len);
  case SC_SRV_SUBSCRIBE_OFFER:
    if (get_int(c, msg, "subscribe_offer", "version", 1, INT64_MAX, &m->u.subscribe_offer.version) != 0) return -1;
    return get_big_str(c, msg, "subscribe_offer", "sdp", SC_SDP_MAX, &m->u.subscribe_offer.sdp,
                       &m->u.subscribe_offer.sdp_len);
  case SC_SRV_RELAY:
    if (get_id(c, msg, "relay", "from", m->u.relay.from) != 0) return -1;
    return get_payload(c, msg, "relay", &m->u.relay.payload, &m->u.relay.payload_len);
  case SC_SRV_CHAT:
    if (get_id(c, msg, "chat", "from", m->u.chat.from) != 0 ||
        get_int(c, msg, "chat", "ts", 0, INT64_MAX, &m->u.chat.ts) != 0)
      return -1;
    return get_payload(c, msg, "chat", &m->u.chat.payload, &m->u.chat.payload_len);
  case SC_SRV_ERROR:
    return parse_error(c, msg, m);
  case SC_SRV_PONG:
  case SC_SRV_UNKNOWN:
    return 0;
  }
  return 0;
}

int sc_server_msg_parse(const char *text, size_t len, sc_server_msg *out, char *err, size_t err_len) {
  pctx c = {err, err_len};
  if (err && err_len) err[0] = '\0';
  if (!out) return fail(&c, "no result struct");
  memset(out, 0, sizeof *out);
  if (!text) return fail(&c, "no text");
  if (len > SC_SERVER_MESSAGE_MAX) return fail(&c, "message over %d bytes", SC_SERVER_MESSAGE_MAX);
  json_error_t e;
  json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
  if (!msg) return fail(&c, "not JSON: %s", e.text);
  int rc = -1;
  if (!json_is_object(msg)) {
    fail(&c, "not a JSON object");
    goto out;
  }
  if (get_str(&c, msg, "message", "type", out->type_name, SC_TYPE_NAME_MAX, true) != 0) goto out;
  out->type = SC_SRV_UNKNOWN;
  for (size_t i = 1; i < sizeof type_names / sizeof type_names[0]; i++)
    if (strcmp(out->type_name, type_names[i]) == 0) out->type = (sc_server_msg_type)i;
  rc = parse_body(&c, msg, out);
out:
  json_decref(msg);
  if (rc != 0) {
    sc_server_msg_free(out);
    return -1;
  }
  return 0;
}

void sc_server_msg_free(sc_server_msg *msg) {
  if (!msg) return;
  switch (msg->type) {
  case SC_SRV_WELCOME:
    free(msg->u.welcome.participants);
    break;
  case SC_SRV_PUBLISH_ANSWER:
    free(msg->u.publish_answer.sdp);
    break;
  case SC_SRV_SUBSCRIBE_OFFER:
    free(msg->u.subscribe_offer.sdp);
    break;
  case SC_SRV_RELAY:
    free(msg->u.relay.payload);
    break;
  case SC_SRV_CHAT:
    free(msg->u.chat.payload);
    break;
  default:
    break;
  }
  OPENSSL_cleanse(msg, sizeof *msg); /* the welcome's TURN credentials */
}
