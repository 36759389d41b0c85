/* Live rooms on the control plane: joining with all its checks, rosters,
 * the publish/subscribe negotiation with the SFU, mute state and relays.
 * A participant's subscribe connection gets one m-line per remote track;
 * lines of tracks that left turn inactive and are reused, so m-line indexes
 * stay stable across renegotiations. Only the server offers on it, one offer
 * at a time (the next waits for the answer), so there is never glare. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "auth/base64.h"
#include "auth/jwt.h"
#include "auth/turn.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "model/room_fields.h"
#include "signal/internal.h"

#define SDP_OUT_MAX (256 * 1024)
#define RELAY_MAX_BYTES (16 * 1024)
#define TOKEN_LEEWAY_S 30
#define ANSWER_TIMEOUT_MS 25000 /* a starved page took 17 s (6 pages and busy loops on 2 cores) */
#define SERVER_FULL_TEXT "The server is at its capacity for calls. Try again later."

/* ---- JSON of participants and rooms ----------------------------------- */

static const char *const source_names[] = {[SOURCE_MICROPHONE] = "microphone", [SOURCE_CAMERA] = "camera",
                                            [SOURCE_SCREEN] = "screen"};

static json_t *tracks_json(const participant *p) {
  json_t *a = json_array();
  for (int i = 0; i < p->n_tracks; i++)
    json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}", "kind", p->tracks[i].kind == SFU_AUDIO ? "audio" : "video",
                                       "source", source_names[p->tracks[i].source], "mid", p->tracks[i].mid,
                                       "muted", p->tracks[i].muted));
  return a;
}

static json_t *participant_json(const participant *p) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:o}", "id", p->id, "name", p->name, "role", p->r.name, "slot",
                        (int)p->slot, "tracks", tracks_json(p));
  if (o && p->public_key[0]) json_object_set_new(o, "public_key", json_string(p->public_key));
  if (o && p->signing_key[0]) json_object_set_new(o, "signing_key", json_string(p->signing_key));
  return o;
}

/* A base64 X25519 or Ed25519 public key: 44 characters of standard base64 for 32 bytes. */
static int valid_public_key(const char *s) {
  uint8_t raw[40];
  size_t n;
  return strlen(s) == 44 && base64_decode(s, 44, raw, sizeof raw, &n, BASE64_STD) == 0 && n == 32;
}

static json_t *role_json(const role *r) { return role_to_json(r, 1); }

static json_t *room_json(const room *r) {
  return json_pack("{s:s,s:s,s:o,s:b,s:s,s:i,s:b,s:b,s:b,s:b}", "id", r->id, "friendly_url", r->friendly_url,
                   "description", r->description[0] ? json_string(r->description) : json_null(),
                   "e2ee_enabled", r->e2ee_enabled, "privacy", r->is_private ? "private" : "public",
                   "max_participants", r->max_participants, "chat_enabled", r->chat_enabled,
                   "screenshare_enabled", r->screenshare_enabled, "audio_on_join_enabled",
                   r->audio_on_join_enabled, "video_on_join_enabled", r->video_on_join_enabled);
}

/* Sends the serialised text to every member but except; returns how many. */
static int send_to_members(live_room *lr, const participant *except, const char *text, size_t len) {
  int sent = 0;
  for (participant *q = lr->members; q; q = q->next)
    if (q != except) {
      session_send_text(q->sess, text, len);
      sent++;
    }
  return sent;
}

/* Sends msg (stolen) to every member but except, serialised once. */
static void broadcast(live_room *lr, const participant *except, json_t *msg) {
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (!text) return;
  send_to_members(lr, except, text, strlen(text));
  free(text);
}

/* Sends msg (stolen) from p to everyone else in its room, serialised once,
 * if p's fan-out budget (bytes times recipients) allows; p is told if not.
 * Returns the number of recipients. */
static int fan_out(signal_server *srv, participant *p, json_t *msg) {
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (!text) return 0;
  size_t len = strlen(text);
  int others = p->room->count > 1 ? p->room->count - 1 : 0;
  int sent = 0;
  if (bucket_take(&p->sess->fanout, FANOUT_RATE, FANOUT_BURST, (double)len * others, uv_now(srv->loop)))
    sent = send_to_members(p->room, p, text, len);
  else
    session_error(p->sess, "rate_limited", "Too much data for everyone in the room; slow down.");
  free(text);
  return sent;
}

/* ---- live rooms --------------------------------------------------------- */

static live_room *find_live(signal_server *srv, const char *room_id) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    if (strcmp(lr->settings.id, room_id) == 0) return lr;
  return NULL;
}

static void free_live_if_empty(signal_server *srv, live_room *lr) {
  if (lr->members) return;
  for (live_room **pp = &srv->rooms; *pp; pp = &(*pp)->next) {
    if (*pp == lr) {
      *pp = lr->next;
      break;
    }
  }
  srv->stats.live_rooms--;
  sfu_release_room(srv->media, lr->media_worker);
  slot_pool_free(&lr->slots);
  free(lr);
}

/* ---- subscriptions ------------------------------------------------------ */

/* What our side of transport t says in SDP: its worker's port. */
static sdp_local local_for(signal_server *srv, uint32_t t, const char *ufrag, const char *pwd, uint32_t version) {
  sdp_local l = {.ice_ufrag = ufrag, .ice_pwd = pwd, .fingerprint = sfu_fingerprint(srv->media),
                 .ip = sfu_announce_ip(srv->media), .port = (uint16_t)sfu_port(srv->media, sfu_transport_worker(t)),
                 .candidates = sfu_candidates(srv->media), .session_version = version};
  /* The SDP o= session id only needs to differ between offers; it is no
   * secret, so without randomness the clock will do. */
  if (RAND_bytes((unsigned char *)&l.session_id, sizeof l.session_id) != 1) l.session_id = uv_hrtime();
  l.session_id &= 0x7fffffffffffffffULL;
  return l;
}

static bool line_wanted(live_room *lr, const participant *self, const sdp_sub_line *line) {
  for (participant *q = lr->members; q; q = q->next) {
    if (q == self) continue;
    for (int i = 0; i < q->n_tracks; i++)
      if (q->tracks[i].ssrc == line->ssrc && strcmp(q->id, line->stream_id) == 0) return true;
  }
  return false;
}

static bool has_line(const participant *p, const char *stream, uint32_t ssrc) {
  for (int i = 0; i < p->n_lines; i++)
    if (p->lines[i].active && p->lines[i].ssrc == ssrc && strcmp(p->lines[i].stream_id, stream) == 0)
      return true;
  return false;
}

/* Brings p's m-lines in line with the tracks of the others. True if changed. */
static bool reconcile_lines(participant *p) {
  bool changed = false;
  for (int i = 0; i < p->n_lines; i++) {
    sdp_sub_line *l = &p->lines[i];
    if (l->active && !line_wanted(p->room, p, l)) {
      l->active = false;
      l->ssrc = 0;
      l->stream_id[0] = l->track_id[0] = '\0';
      changed = true;
    }
  }
  for (participant *q = p->room->members; q; q = q->next) {
    if (q == p) continue;
    for (int t = 0; t < q->n_tracks; t++) {
      const pub_track *tr = &q->tracks[t];
      if (!tr->ssrc || has_line(p, q->id, tr->ssrc)) continue;
      sdp_kind kind = tr->kind == SFU_AUDIO ? SDP_AUDIO : SDP_VIDEO;
      sdp_sub_line *l = NULL;
      for (int i = 0; i < p->n_lines && !l; i++)
        if (!p->lines[i].active && p->lines[i].kind == kind) l = &p->lines[i];
      if (!l) {
        if (p->n_lines == MAX_SUB_LINES) continue;
        l = &p->lines[p->n_lines];
        memset(l, 0, sizeof *l);
        l->kind = kind;
        snprintf(l->mid, sizeof l->mid, "%d", p->n_lines);
        p->n_lines++;
      }
      l->active = true;
      l->ssrc = tr->ssrc;
      snprintf(l->stream_id, sizeof l->stream_id, "%s", q->id);
      /* Track ids must be unique within the connection: the sender's id + kind + mid. */
      snprintf(l->track_id, sizeof l->track_id, "%s-%c%.20s", q->id, tr->kind == SFU_AUDIO ? 'a' : 'v', tr->mid);
      changed = true;
    }
  }
  return changed;
}

/* An SFU call that did not go through ends the session: the transport pool
 * is full (server_full), or the server failed (server_error; the SFU logged
 * why, or it was refused as a bad argument: a bug here). True if it failed. */
static bool media_failed(session *s, sfu_status st) {
  if (st == SFU_OK) return false;
  if (st == SFU_FULL) {
    session_fail(s, "server_full", SERVER_FULL_TEXT);
  } else {
    if (st == SFU_BAD_ARGUMENT) log_error("signal: the SFU refused a call's arguments");
    session_fail(s, "server_error", "The server could not set up your media connection.");
  }
  return true;
}

static void send_subscribe_offer(signal_server *srv, participant *p) {
  if (p->n_lines == 0) return;
  if (!p->sub_transport &&
      media_failed(p->sess, sfu_transport_create(srv->media, p->room->media_worker, p->sub_ufrag, p->sub_pwd, &p->sub_transport)))
    return;
  char *sdp = malloc(SDP_OUT_MAX);
  if (!sdp) return;
  sdp_local local = local_for(srv, p->sub_transport, p->sub_ufrag, p->sub_pwd, (uint32_t)p->sub_version + 1);
  int n = sdp_build_subscribe_offer(p->lines, p->n_lines, &local, sdp, SDP_OUT_MAX);
  if (n < 0) {
    free(sdp);
    log_error("signal: could not build a subscribe offer (%d lines)", p->n_lines);
    return;
  }
  p->sub_version++;
  p->awaiting_answer = true;
  p->offer_sent_ms = uv_now(srv->loop);
  log_debug("signal: subscribe offer %d to %s (%d lines)", p->sub_version, p->id, p->n_lines);
  session_send(p->sess, json_pack("{s:s,s:s,s:i}", "type", "subscribe_offer", "sdp", sdp, "version", p->sub_version));
  free(sdp);
}

/* Called whenever the set of tracks of p's room changes. */
static void update_subscriptions(signal_server *srv, participant *p) {
  if (p->awaiting_answer) {
    p->dirty = true;
    return;
  }
  p->dirty = false;
  if (reconcile_lines(p)) send_subscribe_offer(srv, p);
}

static void update_others(signal_server *srv, participant *p) {
  for (participant *q = p->room->members; q; q = q->next)
    if (q != p) update_subscriptions(srv, q);
}

/* ---- join --------------------------------------------------------------- */

static const char *token_error_code(jwt_status st) {
  return st == JWT_EXPIRED || st == JWT_NOT_YET_VALID ? "token_expired" : "token_invalid";
}

#define TOKEN_KEYS_MAX 256 /* developer keys of a team a token may be signed with */

/* Verifies a join token against every developer key of the room's team (a
 * fixed 16 made tokens of the 17th key fail), then two rules of this server:
 * a token is valid for at most --max-token-lifetime (exp - iat, or exp - now
 * without iat), and one that names the room by friendly_url must have been
 * made after this room was (a friendly_url can be reused by a later room,
 * which must not accept the tokens of the earlier one). */
static jwt_status check_token(signal_server *srv, const room *r, const char *token, jwt_join_claims *claims) {
  uint8_t (*hashes)[KEY_HASH_LEN] = calloc(TOKEN_KEYS_MAX, KEY_HASH_LEN);
  const uint8_t **keys = calloc(TOKEN_KEYS_MAX, sizeof *keys);
  size_t *lens = calloc(TOKEN_KEYS_MAX, sizeof *lens);
  size_t n = 0;
  jwt_status st = JWT_BAD_SIGNATURE;
  if (!hashes || !keys || !lens || store_key_hashes(srv->db, r->team_id, hashes, TOKEN_KEYS_MAX, &n) != STORE_OK || n == 0)
    goto out;
  if (n == TOKEN_KEYS_MAX) log_warn("signal: team %s has %d or more developer keys; tokens of the others fail", r->team_id, TOKEN_KEYS_MAX);
  for (size_t i = 0; i < n; i++) {
    keys[i] = hashes[i];
    lens[i] = KEY_HASH_LEN;
  }
  int64_t now = now_unix();
  st = jwt_verify_join(token, strlen(token), keys, lens, n, r->team_id, r->id, r->friendly_url, now,
                       TOKEN_LEEWAY_S, claims);
  if (st == JWT_OK && claims->exp - (claims->iat ? claims->iat : now) > srv->cfg->max_token_lifetime + TOKEN_LEEWAY_S)
    st = JWT_TOO_LONG_LIVED;
  if (st == JWT_OK && strcmp(claims->room, r->id) != 0 && (!claims->iat || claims->iat + TOKEN_LEEWAY_S < r->created_at))
    st = JWT_ROOM_REUSED;
out:
  if (hashes) OPENSSL_cleanse(hashes, (size_t)TOKEN_KEYS_MAX * KEY_HASH_LEN);
  free(hashes);
  free(keys);
  free(lens);
  return st;
}

static int valid_name(const char *s) {
  size_t chars = utf8_length(s);
  if (chars < 1 || chars > NAME_MAX_CHARS) return 0;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return 0;
  return 1;
}

/* The answer to a room that does not exist, and to a private room without
 * a valid token: the same, so that a private room's name cannot be probed. */
#define NO_SUCH_ROOM "There is no such room, or it is private and your link has no valid invitation token."

/* Participants in calls whose client address has this key. */
static int joined_from(const signal_server *srv, const char *key) {
  int n = 0;
  for (const session *o = srv->sessions; o; o = o->next)
    if (o->p && !o->closing && strcmp(o->client_key, key) == 0) n++;
  return n;
}

/* welcome.ice_servers: the TURN servers (--turn-url) with credentials for
 * this participant that expire after --turn-ttl (auth/turn.h). A browser
 * whose network blocks UDP to the media port reaches the SFU through them. */
static void add_ice_servers(signal_server *srv, const participant *p, json_t *welcome) {
  char username[128], password[64];
  long long expiry = (long long)now_unix() + srv->cfg->turn_ttl;
  if (turn_credentials(srv->cfg->turn_secret, p->id, expiry, username, sizeof username, password,
                       sizeof password) != 0) {
    log_warn("signal: no TURN credentials for %s", p->id);
    return;
  }
  json_t *urls = json_array();
  char list[sizeof srv->cfg->turn_urls];
  snprintf(list, sizeof list, "%s", srv->cfg->turn_urls);
  char *save = NULL;
  for (char *u = strtok_r(list, ", ", &save); u; u = strtok_r(NULL, ", ", &save)) json_array_append_new(urls, json_string(u));
  json_t *server = json_pack("{s:o,s:s,s:s}", "urls", urls, "username", username, "credential", password);
  OPENSSL_cleanse(password, sizeof password);
  json_object_set_new(welcome, "ice_servers", server ? json_pack("[o]", server) : json_array());
}

void meeting_join(signal_server *srv, session *s, const json_t *msg) {
  uint64_t now_ms = uv_now(srv->loop), retry_ms = 0;
  /* Before anything costs: joins per client address (docs/signalling.md). */
  if (!admission_take(&srv->admit, s->client_key, now_ms, &retry_ms))
    return session_refuse(s, "rate_limited", "Too many joins from your address; try again shortly.", retry_ms);
  const char *ref = json_string_value(json_object_get(msg, "room"));
  const char *name = json_string_value(json_object_get(msg, "name"));
  json_t *tok = json_object_get(msg, "token");
  json_t *pk = json_object_get(msg, "public_key");
  if (pk && (!json_is_string(pk) || !valid_public_key(json_string_value(pk))))
    return session_error(s, "bad_message", "public_key must be a base64 X25519 public key (32 bytes).");
  json_t *sk = json_object_get(msg, "signing_key");
  if (sk && (!json_is_string(sk) || !valid_public_key(json_string_value(sk))))
    return session_error(s, "bad_message", "signing_key must be a base64 Ed25519 public key (32 bytes).");
  if (!ref || !name || (tok && !json_is_string(tok) && !json_is_null(tok)) || strlen(ref) > 64)
    return session_error(s, "bad_message", "join needs \"room\" and \"name\" strings (and optionally \"token\").");
  if (!valid_name(name)) return session_error(s, "bad_message", "name must be 1 to 64 characters, no control characters.");
  room *r = malloc(sizeof *r);
  if (!r) return session_fail(s, "server_error", "Out of memory.");
  store_status st = store_room_get(srv->db, NULL, ref, r);
  if (st != STORE_OK) {
    free(r);
    if (st == STORE_NOT_FOUND) return session_fail(s, "room_not_found", NO_SUCH_ROOM);
    return session_fail(s, "server_error", "The room could not be read.");
  }
  int64_t now = now_unix();
  jwt_join_claims claims;
  memset(&claims, 0, sizeof claims);
  const char *token = json_string_value(tok);
  const char *code = NULL, *text = NULL;
  jwt_status js = token ? check_token(srv, r, token, &claims) : JWT_MISSING_CLAIM;
  /* A private room answers someone without a token made by the team (none,
   * or one whose signature does not verify) exactly as a room that does not
   * exist: the name of a private room is not given away. */
  if (r->is_private && !claims.signature_ok) code = "room_not_found", text = NO_SUCH_ROOM;
  else if (r->is_locked) code = "room_locked", text = "The room is locked.";
  else if (r->expires_at && r->expires_at <= now) code = "room_expired", text = "The room has expired.";
  else if (token && js != JWT_OK) code = token_error_code(js), text = jwt_strerror(js);
  /* Role: the token's, if it names one of the room's roles; else the room default. */
  role who;
  const char *role_ref = claims.role[0] ? claims.role : r->default_role;
  if (!code && (store_role_get(srv->db, role_ref, &who) != STORE_OK || !room_has_role(r, who.id)))
    code = "token_invalid", text = "The token's role is not one of the room's roles.";
  live_room *lr = code ? NULL : find_live(srv, r->id);
  if (!code && lr && lr->count >= r->max_participants) code = "room_full", text = "The room is full.";
  /* Two transports per participant (publish, subscribe): a newcomer the
   * pool cannot take is told so now, rather than failing later. */
  if (!code && sfu_transports_free(srv->media) < 2) code = "server_full", text = SERVER_FULL_TEXT;
  /* One address may not take the pool: participants (two transports each)
   * per client address, an IPv6 /64 counting as one. */
  if (!code && srv->cfg->max_participants_per_ip > 0 &&
      joined_from(srv, s->client_key) >= srv->cfg->max_participants_per_ip)
    code = "too_many_from_address", text = "Too many participants from your network address are in calls on this server.";
  if (!code && lr && srv->cfg->room_join_rate > 0 &&
      !bucket_take(&lr->joins, srv->cfg->room_join_rate, 5.0 * srv->cfg->room_join_rate, 1.0, now_ms)) {
    free(r);
    return session_refuse(s, "rate_limited", "Too many people are joining this room at once; try again shortly.",
                          bucket_wait_ms(&lr->joins, srv->cfg->room_join_rate, 1.0));
  }
  if (!code && r->e2ee_enabled && (!pk || !sk))
    code = "e2ee_required", text = "This room is end-to-end encrypted. Your app or browser did not offer encryption, so it cannot join.";
  /* A token that says "e2ee": true promises its holder an encrypted room; an
   * honest server keeps that promise even if the room was switched off since. */
  if (!code && claims.e2ee && !r->e2ee_enabled)
    code = "e2ee_not_enabled", text = "This link requires end-to-end encryption, but the room is not end-to-end encrypted.";
  /* A token shared by many people is fine; one replayed for join/leave churn
   * from many addresses is held to the per-address rate too. */
  const char *token_sig = token ? strrchr(token, '.') : NULL;
  if (!code && token_sig && !admission_take(&srv->admit_token, token_sig + 1, now_ms, &retry_ms)) {
    free(r);
    return session_refuse(s, "rate_limited", "Too many joins with this invitation link; try again shortly.", retry_ms);
  }
  uint16_t slot = 0;
  if (!code && lr && slot_pool_take(&lr->slots, now_ms, &slot) != 0)
    code = "room_full", text = "Every sender slot of this room session is in use or was freed moments ago; try again in a few seconds.";
  if (code) {
    free(r);
    return session_fail(s, code, text);
  }
  if (!lr) {
    lr = calloc(1, sizeof *lr);
    if (!lr) {
      free(r);
      return session_fail(s, "server_error", "Out of memory.");
    }
    lr->next = srv->rooms;
    srv->rooms = lr;
    srv->stats.live_rooms++;
    lr->media_worker = sfu_place_room(srv->media);
    slot_pool_init(&lr->slots);
    slot_pool_take(&lr->slots, now_ms, &slot); /* the first: slot 1 */
    bucket_init(&lr->joins, 5.0 * srv->cfg->room_join_rate, now_ms);
    if (uuid_v4(lr->session_id) != 0) {
      free(r);
      free_live_if_empty(srv, lr);
      return session_fail(s, "server_error", "No randomness.");
    }
  }
  lr->settings = *r;
  free(r);
  participant *p = calloc(1, sizeof *p);
  if (!p || !(p->lines = calloc(MAX_SUB_LINES, sizeof(sdp_sub_line))) || uuid_v4(p->id) != 0) {
    if (p) free(p->lines);
    free(p);
    free_live_if_empty(srv, lr);
    return session_fail(s, "server_error", "Out of memory.");
  }
  /* A token's name wins (the integrator vouches for it) if it is a valid name. */
  snprintf(p->name, sizeof p->name, "%s", valid_name(claims.user_name) ? claims.user_name : name);
  p->r = who;
  p->room = lr;
  p->slot = slot;
  if (pk) snprintf(p->public_key, sizeof p->public_key, "%s", json_string_value(pk));
  if (sk) snprintf(p->signing_key, sizeof p->signing_key, "%s", json_string_value(sk));
  p->sess = s;
  p->joined_ms = now_ms;
  s->p = p;
  ws_set_max_message(s->ws, WS_MAX_MESSAGE); /* joined: the full budget */
  json_t *others = json_array();
  for (participant *q = lr->members; q; q = q->next) {
    json_t *entry = participant_json(q);
    /* Test hook: a malicious server substitutes the first participant's key
     * in what newcomers are told; honest clients must see different codes. */
    if (srv->cfg->test_mode && srv->cfg->e2ee_test_mitm && !q->next && q->public_key[0]) {
      uint8_t fake[32];
      char fake_b64[64];
      if (RAND_bytes(fake, sizeof fake) != 1) memset(fake, 0x5a, sizeof fake); /* test hook: any key will do */
      base64_encode(fake, sizeof fake, fake_b64, sizeof fake_b64, BASE64_STD);
      json_object_set_new(entry, "public_key", json_string(fake_b64));
    }
    json_array_append_new(others, entry);
  }
  p->next = lr->members;
  lr->members = p;
  lr->count++;
  lr->layers_pending = true; /* its wishes count after a grace (layers.c) */
  srv->stats.participants++;
  json_t *welcome = json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:o}", "type", "welcome", "participant_id", p->id,
                              "name", p->name, "session_id", lr->session_id, "slot", (int)p->slot, "room",
                              room_json(&lr->settings), "role", role_json(&p->r), "participants", others);
  if (welcome && srv->cfg->turn_urls[0]) add_ice_servers(srv, p, welcome);
  if (welcome && srv->cfg->test_mode) { /* the page shows a banner; tests may patch the welcome */
    json_object_set_new(welcome, "test_mode", json_true());
    testhooks_patch_welcome(srv, lr->settings.id, welcome);
  }
  session_send(s, welcome);
  broadcast(lr, p, json_pack("{s:s,s:o}", "type", "participant_joined", "participant", participant_json(p)));
  log_info("signal: %s joined room %s (%d present)", p->id, lr->settings.friendly_url, lr->count);
  update_subscriptions(srv, p);
}

/* ---- leave -------------------------------------------------------------- */

void meeting_leave(signal_server *srv, participant *p) {
  live_room *lr = p->room;
  for (participant **pp = &lr->members; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  lr->count--;
  srv->stats.participants--;
  /* A destroy that cannot be queued is logged by the SFU; nothing more can be done here. */
  if (p->pub_transport) sfu_transport_destroy(srv->media, p->pub_transport);
  if (p->sub_transport) sfu_transport_destroy(srv->media, p->sub_transport);
  broadcast(lr, NULL, json_pack("{s:s,s:s}", "type", "participant_left", "participant_id", p->id));
  log_info("signal: %s left room %s (%d present)", p->id, lr->settings.friendly_url, lr->count);
  p->n_tracks = 0;
  for (participant *q = lr->members; q; q = q->next) update_subscriptions(srv, q);
  layers_forget(lr, p); /* what it wanted no longer counts, nor what was said of it */
  if (p->sess) p->sess->p = NULL;
  OPENSSL_cleanse(p->pub_pwd, sizeof p->pub_pwd);
  OPENSSL_cleanse(p->sub_pwd, sizeof p->sub_pwd);
  /* Out of memory: the slot is never handed out again, nothing worse. */
  if (slot_pool_release(&lr->slots, p->slot, uv_now(srv->loop)) != 0) log_warn("signal: a sender slot is lost (out of memory)");
  free(p->lines);
  free(p);
  free_live_if_empty(srv, lr);
}

/* ---- publish ------------------------------------------------------------ */

/* True if another participant, in any room, publishes ssrc: SSRCs are the
 * SFU's routing keys, so they are unique on the server. */
static bool ssrc_taken(signal_server *srv, const participant *self, uint32_t ssrc) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    for (participant *q = lr->members; q; q = q->next)
      if (q != self)
        for (int i = 0; i < q->n_tracks; i++)
          if (q->tracks[i].ssrc == ssrc) return true;
  return false;
}

_Static_assert(SFU_MAX_LAYERS == SDP_MAX_LAYERS && SFU_RID_MAX == SDP_RID_MAX, "simulcast limits agree");

/* A simulcast video track has no SSRC of its own in the offer (its
 * encodings' SSRCs are learnt by the SFU from the rtp-stream-id extension):
 * it gets one here, the SSRC its subscribers see. The same m-line keeps the
 * one it had (a new publish offer then changes nothing for subscribers). */
static void name_simulcast_tracks(signal_server *srv, participant *p, sdp_track *found, int n_found) {
  for (int i = 0; i < n_found; i++) {
    if (!found[i].accepted || !found[i].n_layers) continue;
    uint32_t ssrc = 0;
    for (int k = 0; k < p->n_tracks && !ssrc; k++)
      if (strcmp(p->tracks[k].mid, found[i].mid) == 0 && p->tracks[k].simulcast) ssrc = p->tracks[k].ssrc;
    for (int tries = 0; !ssrc && tries < 16; tries++) {
      uint32_t x;
      if (RAND_bytes((unsigned char *)&x, sizeof x) != 1) break;
      bool used = x <= 1 || ssrc_taken(srv, p, x); /* 1 is the SFU's own (RTCP) */
      for (int j = 0; j < n_found && !used; j++) used = j != i && found[j].ssrc == x;
      if (!used) ssrc = x;
    }
    found[i].ssrc = ssrc; /* 0 (no randomness): the track is not published */
  }
}

static void tracks_changed(signal_server *srv, participant *p) {
  broadcast(p->room, p, json_pack("{s:s,s:s,s:o}", "type", "tracks_updated", "participant_id", p->id, "tracks",
                                  tracks_json(p)));
  update_others(srv, p);
}

/* Does the offer send on this m-line (and the answer take it)? */
static bool sending(const sdp_track *t) { return t->accepted && t->ssrc && t->dir == SDP_RECVONLY; }

/* Checks a publish_offer's "sources" ({mid: "camera" | "screen" |
 * "microphone"}, at most one entry per m-line): NULL if it is well formed,
 * else what is wrong. */
static const char *check_sources(json_t *sources) {
  if (!sources) return NULL;
  if (json_object_size(sources) > SDP_MAX_MEDIA) return "\"sources\" has more entries than an offer has m-lines.";
  const char *mid;
  json_t *v;
  json_object_foreach(sources, mid, v) {
    const char *name = json_string_value(v);
    bool known = false;
    for (size_t i = 0; name && i < sizeof source_names / sizeof source_names[0]; i++) known |= strcmp(name, source_names[i]) == 0;
    if (!known) return "Each of \"sources\" must be \"camera\", \"screen\" or \"microphone\".";
  }
  return NULL;
}

/* The source of each sending track of a publish offer: audio is the
 * microphone; a video is a screen share if the page says so, or if a camera
 * came before it in the offer (a client that labels nothing), else the camera.
 * NULL, or what is wrong: a label that does not fit its kind, or more than one
 * audio track, camera or screen share. */
static const char *assign_sources(const sdp_track *found, int n_found, json_t *sources, track_source *out,
                                  bool *screen) {
  int cameras = 0, screens = 0, microphones = 0;
  for (int i = 0; i < n_found; i++) {
    if (!sending(&found[i])) continue;
    const char *label = sources ? json_string_value(json_object_get(sources, found[i].mid)) : NULL;
    if (found[i].kind == SDP_AUDIO) {
      if (label && strcmp(label, "microphone") != 0) return "An audio m-line's source can only be \"microphone\".";
      /* One each: several would also take several of the loudest-audio places. */
      if (++microphones > 1) return "An offer may send one audio track.";
      out[i] = SOURCE_MICROPHONE;
      continue;
    }
    if (label && strcmp(label, "microphone") == 0) return "A video m-line's source must be \"camera\" or \"screen\".";
    bool is_screen = label ? strcmp(label, "screen") == 0 : cameras > 0;
    out[i] = is_screen ? SOURCE_SCREEN : SOURCE_CAMERA;
    if (is_screen ? ++screens > 1 : ++cameras > 1) return "An offer may send one camera and one screen share.";
  }
  *screen = screens > 0;
  return NULL;
}

void meeting_publish(signal_server *srv, participant *p, const char *sdp_text, json_t *sources) {
  if (!(p->r.permissions & PERM_BROADCAST))
    return session_error(p->sess, "forbidden", "Your role may not send audio or video.");
  sdp_session *offer = malloc(sizeof *offer);
  char *answer = malloc(SDP_OUT_MAX);
  sdp_track found[SDP_MAX_MEDIA];
  int n_found = 0;
  char err[128] = "";
  track_source source[SDP_MAX_MEDIA];
  if (!offer || !answer) goto oom;
  const char *bad_sources = check_sources(sources);
  if (bad_sources) {
    session_error(p->sess, "bad_message", bad_sources);
    goto out;
  }
  if (sdp_parse(sdp_text, strlen(sdp_text), offer, err, sizeof err) != 0 || offer->fp_len != 32 ||
      strcasecmp(offer->fp_alg, "sha-256") != 0) {
    session_error(p->sess, "bad_sdp", err[0] ? err : "The offer needs a sha-256 fingerprint.");
    goto out;
  }
  bool created = false;
  if (!p->pub_transport) {
    if (media_failed(p->sess, sfu_transport_create(srv->media, p->room->media_worker, p->pub_ufrag, p->pub_pwd, &p->pub_transport)))
      goto out;
    created = true;
  }
  sdp_local local = local_for(srv, p->pub_transport, p->pub_ufrag, p->pub_pwd, 1);
  const char *problem = NULL;
  if (sdp_build_publish_answer(offer, &local, answer, SDP_OUT_MAX, found, (int)(sizeof found / sizeof found[0]),
                               &n_found) < 0)
    problem = "The offer has no audio or video the server can receive (Opus, VP8).";
  if (!problem) name_simulcast_tracks(srv, p, found, n_found);
  for (int i = 0; !problem && i < n_found; i++) {
    if (!found[i].accepted || !found[i].ssrc) continue;
    if (ssrc_taken(srv, p, found[i].ssrc)) problem = "An SSRC of the offer is in use by another sender.";
    for (int j = 0; j < i && !problem; j++)
      if (found[j].accepted && found[j].ssrc == found[i].ssrc) problem = "The offer uses one SSRC twice.";
  }
  /* A screen share is for the room (screenshare_enabled) and the role
   * (screenshare) to allow. The label is the page's word: a client can send
   * its screen as its camera, as it could point a camera at its screen. */
  bool screen = false, forbidden = false;
  if (!problem) problem = assign_sources(found, n_found, sources, source, &screen);
  if (!problem && screen && (!p->room->settings.screenshare_enabled || !(p->r.permissions & PERM_SCREENSHARE))) {
    forbidden = true;
    problem = !p->room->settings.screenshare_enabled ? "Screen sharing is off in this room: one video track only."
                                                     : "Your role may not share a screen: one video track only.";
  }
  if (problem) {
    if (created) { /* nothing was published: no transport left to time out */
      sfu_transport_destroy(srv->media, p->pub_transport);
      p->pub_transport = 0;
    }
    session_error(p->sess, forbidden ? "forbidden" : "bad_sdp", problem);
    goto out;
  }
  if (media_failed(p->sess, sfu_transport_set_remote(srv->media, p->pub_transport, offer->ice_ufrag, offer->fp)))
    goto out;
  sfu_track tracks[MAX_PUB_TRACKS];
  int n = 0;
  pub_track before[MAX_PUB_TRACKS];
  int n_before = p->n_tracks;
  memcpy(before, p->tracks, sizeof before);
  p->n_tracks = 0;
  for (int i = 0; i < n_found && n < MAX_PUB_TRACKS; i++) {
    if (!sending(&found[i])) continue;
    sfu_kind kind = found[i].kind == SDP_AUDIO ? SFU_AUDIO : SFU_VIDEO;
    tracks[n] = (sfu_track){.ssrc = found[i].ssrc, .kind = kind, .pt = found[i].pt,
                            .ext_audio_level = found[i].ext_audio_level,
                            .ext_twcc = found[i].ext_twcc,
                            .ext_abs_send_time = found[i].ext_abs_send_time,
                            .ext_rid = found[i].ext_rid, .n_layers = (uint8_t)found[i].n_layers,
                            .ext_mid = found[i].ext_mid};
    snprintf(tracks[n].mid, sizeof tracks[n].mid, "%s", found[i].mid);
    for (int l = 0; l < found[i].n_layers && l < SFU_MAX_LAYERS; l++)
      memcpy(tracks[n].rids[l], found[i].rids[l], sizeof tracks[n].rids[l]);
    pub_track *t = &p->tracks[p->n_tracks++];
    t->kind = kind;
    t->source = source[i];
    snprintf(t->mid, sizeof t->mid, "%s", found[i].mid);
    t->ssrc = found[i].ssrc;
    t->simulcast = found[i].n_layers > 0;
    /* "mute video" is the camera's: a screen share is stopped, not muted. */
    t->muted = kind == SFU_AUDIO ? p->audio_muted : t->source == SOURCE_CAMERA && p->video_muted;
    t->sfu = tracks[n];
    layers_published(t, before, n_before);
    n++;
  }
  p->room->layers_pending = true;
  if (media_failed(p->sess, sfu_transport_publish(srv->media, p->pub_transport, tracks, n))) goto out;
  session_send(p->sess, json_pack("{s:s,s:s}", "type", "publish_answer", "sdp", answer));
  tracks_changed(srv, p);
  goto out;
oom:
  session_fail(p->sess, "server_error", "Out of memory.");
out:
  free(offer);
  free(answer);
}

/* ---- subscribe answers -------------------------------------------------- */

static bool push_subscriptions(signal_server *srv, participant *p);

void meeting_subscribe_answer(signal_server *srv, participant *p, const char *sdp_text, int version) {
  log_debug("signal: subscribe answer %d from %s", version, p->id);
  if (!p->awaiting_answer || version != p->sub_version)
    return session_error(p->sess, "bad_message", "No subscribe offer of that version is waiting for an answer.");
  sdp_session *ans = malloc(sizeof *ans);
  char err[128] = "";
  if (!ans) return session_fail(p->sess, "server_error", "Out of memory.");
  if (sdp_parse(sdp_text, strlen(sdp_text), ans, err, sizeof err) != 0 ||
      sdp_check_subscribe_answer(ans, p->lines, p->n_lines, err, sizeof err) != 0 || ans->fp_len != 32) {
    free(ans);
    return session_error(p->sess, "bad_sdp", err[0] ? err : "The answer needs a sha-256 fingerprint.");
  }
  sfu_status st =
      p->sub_remote_set ? SFU_OK : sfu_transport_set_remote(srv->media, p->sub_transport, ans->ice_ufrag, ans->fp);
  free(ans);
  if (media_failed(p->sess, st)) return;
  p->sub_remote_set = true;
  if (!push_subscriptions(srv, p)) return;
  p->awaiting_answer = false;
  if (p->dirty) update_subscriptions(srv, p);
}

/* ---- video quality ------------------------------------------------------ */

/* The worker's subscriptions of p: its active lines, each with the
 * encoding p wants. False if the SFU refused (the session is failing). */
static bool push_subscriptions(signal_server *srv, participant *p) {
  uint32_t ssrcs[MAX_SUB_LINES];
  uint8_t layers[MAX_SUB_LINES];
  int n = 0;
  for (int i = 0; i < p->n_lines; i++)
    if (p->lines[i].active) {
      layers[n] = layers_wanted_by(p, p->lines[i].stream_id);
      ssrcs[n++] = p->lines[i].ssrc;
    }
  return !media_failed(p->sess, sfu_transport_subscribe(srv->media, p->sub_transport, ssrcs, layers, n));
}

/* The layer a quality name asks for, or -1. */
static int quality_layer(const char *quality) {
  static const char *const names[] = {"low", "medium", "high"};
  for (int i = 0; i < 3 && quality; i++)
    if (strcmp(quality, names[i]) == 0) return i;
  return -1;
}

static participant *other_member(const participant *p, const char *id);

void meeting_video_quality(signal_server *srv, participant *p, json_t *qualities) {
  const char *from;
  json_t *v;
  /* All or nothing: every entry is checked before any is taken. */
  json_object_foreach(qualities, from, v) {
    if (quality_layer(json_string_value(v)) < 0)
      return session_error(p->sess, "bad_message", "Each quality must be \"low\", \"medium\" or \"high\".");
    if (!other_member(p, from))
      return session_error(p->sess, "unknown_participant", "A participant_id names no one else in the room.");
  }
  bool changed = false;
  p->quality_said = true;
  json_object_foreach(qualities, from, v) {
    uint8_t layer = (uint8_t)quality_layer(json_string_value(v));
    participant *q = other_member(p, from); /* checked above */
    int k = 0;
    while (k < p->n_video_prefs && strcmp(p->video_prefs[k].participant_id, from) != 0) k++;
    if (k < p->n_video_prefs && p->video_prefs[k].layer == layer) continue;
    if (k == MAX_VIDEO_PREFS) { /* full: the oldest gives way */
      k = p->next_video_pref;
      p->next_video_pref = (k + 1) % MAX_VIDEO_PREFS;
    } else if (k == p->n_video_prefs) {
      p->n_video_prefs++;
    }
    snprintf(p->video_prefs[k].participant_id, sizeof p->video_prefs[k].participant_id, "%s", from);
    p->video_prefs[k].slot = q->slot;
    p->video_prefs[k].layer = layer;
    changed = true;
    layers_wish(q, layer);
  }
  /* Now, unless an offer is out: its answer pushes them anyway. */
  if (changed && p->sub_remote_set && !p->awaiting_answer) push_subscriptions(srv, p);
}

/* ---- mute, relay, media events ------------------------------------------ */

void meeting_mute(signal_server *srv, participant *p, const char *kind, bool muted) {
  sfu_kind k;
  if (strcmp(kind, "audio") == 0) k = SFU_AUDIO, p->audio_muted = muted;
  else if (strcmp(kind, "video") == 0) k = SFU_VIDEO, p->video_muted = muted;
  else return session_error(p->sess, "bad_message", "kind must be \"audio\" or \"video\".");
  for (int i = 0; i < p->n_tracks; i++)
    if (p->tracks[i].kind == k && p->tracks[i].source != SOURCE_SCREEN) p->tracks[i].muted = muted;
  broadcast(p->room, p, json_pack("{s:s,s:s,s:o}", "type", "tracks_updated", "participant_id", p->id, "tracks",
                                  tracks_json(p)));
}

/* True if payload serializes to at most RELAY_MAX_BYTES (relays and chat). */
static bool payload_fits(const json_t *payload) {
  char *text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
  size_t size = text ? strlen(text) : 0;
  free(text);
  return text && size <= RELAY_MAX_BYTES;
}

/* The other member of p's room with this id, or NULL. */
static participant *other_member(const participant *p, const char *id) {
  for (participant *q = p->room->members; q; q = q->next)
    if (q != p && strcmp(q->id, id) == 0) return q;
  return NULL;
}

/* One relay as every receiver sees it, whichever message carried it. */
static void relay_to(signal_server *srv, const participant *from, participant *to, json_t *payload) {
  srv->stats.relays++;
  session_send(to->sess, json_pack("{s:s,s:s,s:O}", "type", "relay", "from", from->id, "payload", payload));
}

void meeting_relay(signal_server *srv, participant *p, const char *to, json_t *payload) {
  if (!payload_fits(payload))
    return session_error(p->sess, "too_large", "A relay payload may be at most 16 KiB.");
  participant *q = other_member(p, to);
  if (!q) return session_error(p->sess, "unknown_participant", "No participant with that id is in the room.");
  relay_to(srv, p, q, payload);
}

void meeting_relay_all(signal_server *srv, participant *p, json_t *payload) {
  if (!payload_fits(payload))
    return session_error(p->sess, "too_large", "A relay payload may be at most 16 KiB.");
  json_t *msg = json_pack("{s:s,s:s,s:O}", "type", "relay", "from", p->id, "payload", payload);
  srv->stats.relays += (uint64_t)fan_out(srv, p, msg);
}

/* A batch of relays from one sender, delivered in order as ordinary relay
 * messages (receivers see no difference). Runs to completion on the loop, so
 * each recipient gets them in the order sent, after the sender's earlier
 * relays and before its later ones. */
void meeting_relay_batch(signal_server *srv, participant *p, json_t *messages) {
  size_t i, skipped = 0;
  json_t *e;
  json_array_foreach(messages, i, e) {
    if (!payload_fits(json_object_get(e, "payload"))) {
      char text[96];
      snprintf(text, sizeof text, "relay_batch: messages[%zu]: a relay payload may be at most 16 KiB.", i);
      return session_error(p->sess, "too_large", text);
    }
  }
  json_array_foreach(messages, i, e) {
    participant *q = other_member(p, json_string_value(json_object_get(e, "to")));
    if (q) relay_to(srv, p, q, json_object_get(e, "payload"));
    else skipped++;
  }
  if (skipped) {
    char text[128];
    snprintf(text, sizeof text, "%zu of the %zu recipients are not in the room; the others got their messages.",
             skipped, json_array_size(messages));
    session_send(p->sess, json_pack("{s:s,s:s,s:s,s:I}", "type", "error", "code", "unknown_participant", "message",
                                    text, "skipped", (json_int_t)skipped));
  }
}

/* Chat: the payload goes to everyone else in the room as it is. In an E2EE
 * room it is a sealed {"t":"chat"...} object (docs/e2ee.md) the server cannot
 * read; elsewhere {"text": "..."}. Nothing is stored. */
void meeting_chat(signal_server *srv, participant *p, json_t *payload) {
  if (!p->room->settings.chat_enabled) return session_error(p->sess, "forbidden", "Chat is off in this room.");
  if (!(p->r.permissions & PERM_CHAT)) return session_error(p->sess, "forbidden", "Your role may not chat.");
  if (!json_is_object(payload) || !payload_fits(payload))
    return session_error(p->sess, "too_large", "A chat payload is a JSON object of at most 16 KiB.");
  if (!p->room->settings.e2ee_enabled) {
    const char *t = json_string_value(json_object_get(payload, "text"));
    if (!t || json_object_size(payload) != 1 || !*t)
      return session_error(p->sess, "bad_message", "A chat message is {\"text\": \"...\"}.");
  }
  json_t *msg = json_pack("{s:s,s:s,s:O,s:I}", "type", "chat", "from", p->id, "payload", payload, "ts",
                          (json_int_t)now_unix());
  if (fan_out(srv, p, msg) > 0) srv->stats.relays++;
}

void meeting_check_timeouts(signal_server *srv, uint64_t now_ms) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    for (participant *p = lr->members; p; p = p->next)
      if (p->awaiting_answer && now_ms - p->offer_sent_ms > ANSWER_TIMEOUT_MS && !p->sess->closing)
        session_fail(p->sess, "subscribe_timeout", "The subscribe offer was not answered in time.");
}

int signal_room_count(const signal_server *srv, const char *room_id) {
  for (const live_room *lr = srv->rooms; lr; lr = lr->next)
    if (strcmp(lr->settings.id, room_id) == 0) return lr->count;
  return 0;
}

/* Screen sharing was turned off: the room's screen shares stop reaching the
 * others at once (their lines close), whether or not the sharers' pages
 * stop sending them (they do, on room_updated). */
static void drop_screen_shares(signal_server *srv, live_room *lr) {
  for (participant *p = lr->members; p; p = p->next) {
    sfu_track keep[MAX_PUB_TRACKS];
    int n = 0;
    for (int i = 0; i < p->n_tracks; i++)
      if (p->tracks[i].source != SOURCE_SCREEN) keep[n] = p->tracks[i].sfu, p->tracks[n++] = p->tracks[i];
    if (n == p->n_tracks) continue;
    p->n_tracks = n;
    log_info("signal: %s's screen share stopped: screen sharing was turned off in room %s", p->id, lr->settings.friendly_url);
    /* The worker forgets the screen's SSRC too (it routes by it). */
    if (media_failed(p->sess, sfu_transport_publish(srv->media, p->pub_transport, keep, n))) continue;
    tracks_changed(srv, p);
  }
}

void signal_room_updated(signal_server *srv, const room *r) {
  live_room *lr = find_live(srv, r->id);
  if (!lr) return;
  bool screens_off = lr->settings.screenshare_enabled && !r->screenshare_enabled;
  lr->settings = *r;
  broadcast(lr, NULL, json_pack("{s:s,s:o}", "type", "room_updated", "room", room_json(&lr->settings)));
  if (screens_off) drop_screen_shares(srv, lr);
}

void meeting_media_event(signal_server *srv, const sfu_event *ev) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next) {
    for (participant *p = lr->members; p; p = p->next) {
      if (p->pub_transport != ev->transport && p->sub_transport != ev->transport) continue;
      if (ev->type == SFU_EV_CONNECTED) {
        log_debug("signal: %s media connected (%s)", p->id, p->pub_transport == ev->transport ? "publish" : "subscribe");
        return;
      }
      log_info("signal: %s lost its media connection (%s, %s)", p->id,
               p->pub_transport == ev->transport ? "publish" : "subscribe", ev->reason);
      if (strcmp(ev->reason, "server-full") == 0)
        session_fail(p->sess, "server_full", SERVER_FULL_TEXT);
      else
        session_fail(p->sess, "media_failed", "The media connection was lost.");
      return;
    }
  }
}
