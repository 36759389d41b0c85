/* The signalling server and its sessions, one per WebSocket. Parses and
 * checks every message (JSON object, known type, field types, size and rate
 * limits) before the meeting logic sees it; answers problems with an "error"
 * message and closes the socket where docs/signalling.md says so. */
#include "signal/signal.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/addr.h"
#include "signal/internal.h"

#define JOIN_TIMEOUT_MS 5000 /* a page sends its join as soon as the socket opens */
#define PREJOIN_MAX_MESSAGE (16 * 1024) /* a join is well under 1 KiB */
#define PREJOIN_MAX_BYTES (16 * 1024)   /* and all a socket sends before joining, together */
/* Bytes per second a session may send, whatever the messages: parsing costs
 * by the byte, and 50 messages of 256 KiB a second would be 12 MiB/s. The
 * burst holds four of the largest messages (a subscribe answer for a big
 * room is about 100 KiB). */
/* A publish_offer makes the server offer anew to every member of the room:
 * a page publishes at join and when it adds or changes tracks. */
#define PUBLISH_RATE 1.0
#define PUBLISH_BURST 5.0
#define BYTE_RATE (256.0 * 1024)
#define BYTE_BURST (1024.0 * 1024)
#define MSG_RATE 50.0   /* messages per second, sustained */
#define MSG_BURST 300.0 /* a key rotation sends one key message per participant at once */
#define RELAY_RATE 50.0
#define RELAY_BURST 260.0
/* A relay_batch of n entries costs 1 + n / 8 relay tokens: a leave in a
 * 100-person E2EE room (one batch of 98 key messages, about 13 tokens, plus
 * up to 98 single acks) fits in the burst, while a flood of batches is held
 * to about 400 entries per second per socket. */
#define RELAY_BATCH_ENTRY_COST (1.0 / 8.0)
#define RELAY_BATCH_MIN_MAX 100 /* entries allowed: max(room max_participants, this) */
#define MAX_BAD_IN_A_ROW 10
#define MAX_LIMITED_IN_A_ROW 50

/* ---- limits ------------------------------------------------------------- */

/* Takes cost from the session's relay budget (relays, relay_all, chat,
 * relay_batch), which fills at RELAY_RATE up to RELAY_BURST. */
static bool relay_take(session *s, double cost) {
  return bucket_take(&s->relays, RELAY_RATE, RELAY_BURST, cost, uv_now(s->srv->loop));
}

/* ---- messages ----------------------------------------------------------- */

static void handle(session *s, json_t *msg) {
  signal_server *srv = s->srv;
  const char *type = json_string_value(json_object_get(msg, "type"));
  if (!type) return session_error(s, "bad_message", "Every message needs a string \"type\".");
  s->bad_in_a_row = 0;
  if (strcmp(type, "ping") == 0) return session_send(s, json_pack("{s:s}", "type", "pong"));
  if (strcmp(type, "join") == 0) {
    if (s->p) return session_error(s, "already_joined", "This connection has already joined a room.");
    return meeting_join(srv, s, msg);
  }
  static const char *const known[] = {"publish_offer", "subscribe_answer", "mute", "video_quality", "relay", "relay_batch", "relay_all", "chat", "leave"};
  bool is_known = false;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) is_known |= strcmp(type, known[i]) == 0;
  if (!is_known) return session_error(s, "unknown_type", "Unknown message type.");
  if (!s->p) return session_error(s, "not_joined", "Send \"join\" first.");
  participant *p = s->p;
  if (strcmp(type, "leave") == 0) {
    meeting_leave(srv, p);
    s->closing = true;
    ws_close(s->ws, 1000, "left");
  } else if (strcmp(type, "publish_offer") == 0) {
    const char *sdp = json_string_value(json_object_get(msg, "sdp"));
    if (!sdp) return session_error(s, "bad_message", "publish_offer needs an \"sdp\" string.");
    json_t *sources = json_object_get(msg, "sources");
    if (sources && !json_is_object(sources))
      return session_error(s, "bad_message", "publish_offer's \"sources\" must be an object: {mid: source}.");
    if (!bucket_take(&s->publishes, PUBLISH_RATE, PUBLISH_BURST, 1.0, uv_now(srv->loop)))
      return session_error(s, "rate_limited", "Too many publish offers: at most one a second.");
    meeting_publish(srv, p, sdp, sources);
  } else if (strcmp(type, "subscribe_answer") == 0) {
    const char *sdp = json_string_value(json_object_get(msg, "sdp"));
    json_t *v = json_object_get(msg, "version");
    if (!sdp || !json_is_integer(v)) return session_error(s, "bad_message", "subscribe_answer needs \"sdp\" and \"version\".");
    meeting_subscribe_answer(srv, p, sdp, (int)json_integer_value(v));
  } else if (strcmp(type, "mute") == 0) {
    const char *kind = json_string_value(json_object_get(msg, "kind"));
    json_t *muted = json_object_get(msg, "muted");
    if (!kind || !json_is_boolean(muted)) return session_error(s, "bad_message", "mute needs \"kind\" and a boolean \"muted\".");
    meeting_mute(srv, p, kind, json_is_true(muted));
  } else if (strcmp(type, "video_quality") == 0) {
    json_t *qualities = json_object_get(msg, "qualities");
    if (!json_is_object(qualities) || json_object_size(qualities) == 0 || json_object_size(qualities) > MAX_VIDEO_PREFS)
      return session_error(s, "bad_message", "video_quality needs \"qualities\": {participant_id: quality, ...}.");
    /* One may be a command to the media worker: from the relay budget. */
    if (!relay_take(s, 1.0)) return session_error(s, "rate_limited", "Too many video_quality messages.");
    meeting_video_quality(srv, p, qualities);
  } else if (strcmp(type, "chat") == 0) {
    json_t *payload = json_object_get(msg, "payload");
    if (!payload) return session_error(s, "bad_message", "chat needs a \"payload\".");
    if (!relay_take(s, 1.0)) return session_error(s, "rate_limited", "Too many chat messages.");
    meeting_chat(srv, p, payload);
  } else if (strcmp(type, "relay") == 0) {
    const char *to = json_string_value(json_object_get(msg, "to"));
    json_t *payload = json_object_get(msg, "payload");
    if (!to || !payload) return session_error(s, "bad_message", "relay needs \"to\" and \"payload\".");
    if (!relay_take(s, 1.0)) return session_error(s, "rate_limited", "Too many relays.");
    meeting_relay(srv, p, to, payload);
  } else if (strcmp(type, "relay_all") == 0) {
    /* One payload to everyone else in the room (the signed statements of
     * sender authentication, ~10 per second per active sender): one token,
     * whatever the room size. */
    json_t *payload = json_object_get(msg, "payload");
    if (!payload) return session_error(s, "bad_message", "relay_all needs a \"payload\".");
    if (!relay_take(s, 1.0)) return session_error(s, "rate_limited", "Too many relays.");
    meeting_relay_all(srv, p, payload);
  } else if (strcmp(type, "relay_batch") == 0) {
    json_t *list = json_object_get(msg, "messages");
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0)
      return session_error(s, "bad_message", "relay_batch needs a non-empty \"messages\" array.");
    size_t max = p->room->settings.max_participants > RELAY_BATCH_MIN_MAX ? (size_t)p->room->settings.max_participants
                                                                          : RELAY_BATCH_MIN_MAX;
    if (n > max) {
      char text[96];
      snprintf(text, sizeof text, "A relay_batch may hold at most %zu messages in this room.", max);
      return session_error(s, "too_large", text);
    }
    for (size_t i = 0; i < n; i++) {
      json_t *e = json_array_get(list, i);
      if (!json_is_object(e) || !json_is_string(json_object_get(e, "to")) || !json_object_get(e, "payload")) {
        char text[96];
        snprintf(text, sizeof text, "relay_batch: messages[%zu] needs \"to\" and \"payload\".", i);
        return session_error(s, "bad_message", text);
      }
    }
    if (!relay_take(s, 1.0 + (double)n * RELAY_BATCH_ENTRY_COST))
      return session_error(s, "rate_limited", "Too many relays.");
    meeting_relay_batch(srv, p, list);
  }
}

static void on_message(void *owner, ws_conn *c, const char *data, size_t len, int binary) {
  session *s = ws_data(c);
  signal_server *srv = owner;
  if (!s || s->closing) return;
  srv->stats.messages_in++;
  uint64_t now = uv_now(srv->loop);
  /* Before joining, a socket may send one small join and little else: all
   * its messages together count, not each one (a flood of 16 KiB pings from
   * sockets that never join pinned the loop in the JSON parser). */
  if (!s->p) {
    s->prejoin_bytes += len;
    if (s->prejoin_bytes > PREJOIN_MAX_BYTES)
      return session_fail(s, "too_large", "Before joining, a connection may send at most 16 KiB in all.");
  }
  if (!bucket_take(&s->bytes, BYTE_RATE, BYTE_BURST, (double)len, now)) {
    if (++s->limited_in_a_row > MAX_LIMITED_IN_A_ROW)
      return session_fail(s, "rate_limited", "Too many bytes: closing.");
    return session_error(s, "rate_limited", "Too much data; slow down.");
  }
  if (!bucket_take(&s->messages, MSG_RATE, MSG_BURST, 1.0, now)) {
    if (++s->limited_in_a_row > MAX_LIMITED_IN_A_ROW)
      return session_fail(s, "rate_limited", "Too many messages: closing.");
    return session_error(s, "rate_limited", "Too many messages; slow down.");
  }
  s->limited_in_a_row = 0;
  json_error_t err;
  json_t *msg = binary ? NULL : json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
  if (!json_is_object(msg)) {
    json_decref(msg);
    srv->stats.messages_bad++;
    if (++s->bad_in_a_row >= MAX_BAD_IN_A_ROW) return session_fail(s, "bad_message", "Too many malformed messages.");
    return session_error(s, "bad_message", binary ? "Binary frames are not accepted." : "Messages must be JSON objects.");
  }
  handle(s, msg);
  json_decref(msg);
}

static void on_too_large(void *owner, ws_conn *c) {
  session *s = ws_data(c);
  if (!s) return;
  session_error(s, "too_large", s->p ? "Messages may be at most 256 KiB." : "Before joining, messages may be at most 16 KiB.");
  s->closing = true; /* ws closes the connection itself */
}

static void on_open(void *owner, ws_conn *c, const char *client_ip) {
  signal_server *srv = owner;
  session *s = calloc(1, sizeof *s);
  if (!s) {
    ws_close(c, 1011, "out of memory");
    return;
  }
  s->srv = srv;
  s->ws = c;
  s->opened_ms = uv_now(srv->loop);
  bucket_init(&s->messages, MSG_BURST, s->opened_ms);
  bucket_init(&s->relays, RELAY_BURST, s->opened_ms);
  bucket_init(&s->bytes, BYTE_BURST, s->opened_ms);
  bucket_init(&s->fanout, FANOUT_BURST, s->opened_ms);
  bucket_init(&s->publishes, PUBLISH_BURST, s->opened_ms);
  snprintf(s->client_ip, sizeof s->client_ip, "%s", client_ip);
  addr_client_key(s->client_ip, s->client_key, sizeof s->client_key);
  s->next = srv->sessions;
  srv->sessions = s;
  srv->stats.sessions++;
  ws_set_data(c, s);
  ws_set_max_message(c, PREJOIN_MAX_MESSAGE);
}

static void maybe_finish_stop(signal_server *s);

static void on_closed(void *owner, ws_conn *c) {
  signal_server *srv = owner;
  session *s = ws_data(c);
  if (!s) return;
  if (s->p) meeting_leave(srv, s->p);
  for (session **pp = &srv->sessions; *pp; pp = &(*pp)->next) {
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  }
  srv->stats.sessions--;
  free(s);
  maybe_finish_stop(srv);
}

static const ws_handlers handlers = {on_message, on_too_large, on_closed, on_open};

/* Closes sockets that never joined; the meeting's periodic checks. */
static void on_sweep(uv_timer_t *t) {
  signal_server *srv = t->data;
  uint64_t now = uv_now(srv->loop);
  for (session *s = srv->sessions; s; s = s->next)
    if (!s->p && !s->closing && now - s->opened_ms > JOIN_TIMEOUT_MS)
      session_fail(s, "not_joined", "No join within 5 seconds.");
  meeting_check_timeouts(srv, now);
  layers_check(srv);
}

signal_server *signal_start(uv_loop_t *loop, const config *cfg, store *db, sfu *media) {
  signal_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->loop = loop;
  s->cfg = cfg;
  s->db = db;
  s->media = media;
  if (admission_init(&s->admit, cfg->join_rate) != 0 || admission_init(&s->admit_token, cfg->join_rate) != 0) {
    admission_free(&s->admit);
    admission_free(&s->admit_token);
    free(s);
    return NULL;
  }
  s->ws = (ws_server){.loop = loop, .handlers = &handlers, .owner = s, .ping_interval_ms = 5000,
                      .idle_timeout_ms = 15000, .max_open = (unsigned)cfg->max_connections,
                      .max_per_ip = (unsigned)cfg->max_connections_per_ip};
  uv_timer_init(loop, &s->sweep);
  s->sweep.data = s;
  uv_timer_start(&s->sweep, on_sweep, 1000, 1000);
  return s;
}

static void on_sweep_closed(uv_handle_t *h) {
  signal_server *s = h->data;
  testhooks_free(s);
  admission_free(&s->admit);
  admission_free(&s->admit_token);
  void (*done)(void *) = s->on_stopped;
  void *ctx = s->stopped_ctx;
  free(s);
  if (done) done(ctx);
}

/* The last steps of signal_stop: once every session is gone, close the
 * timer; its close callback frees the server and reports. */
static void maybe_finish_stop(signal_server *s) {
  if (!s->stopping || s->sessions || s->timer_closing) return;
  s->timer_closing = true;
  uv_timer_stop(&s->sweep);
  uv_close((uv_handle_t *)&s->sweep, on_sweep_closed);
}

/* Sockets that did not finish their closing handshake in time are dropped. */
static void on_stop_deadline(uv_timer_t *t) {
  signal_server *s = t->data;
  for (session *x = s->sessions; x; x = x->next) ws_abort(x->ws);
}

void signal_stop(signal_server *s, void (*done)(void *ctx), void *ctx) {
  s->stopping = true;
  s->on_stopped = done;
  s->stopped_ctx = ctx;
  for (session *x = s->sessions; x; x = x->next)
    if (!x->closing) {
      x->closing = true;
      ws_close(x->ws, 1001, "server shutting down");
    }
  uv_timer_stop(&s->sweep);
  uv_timer_start(&s->sweep, on_stop_deadline, 2000, 0);
  maybe_finish_stop(s);
}

void signal_accept(signal_server *s, const http_request *req, http_response *res) {
  if (s->stopping) return ws_refuse(res, 503, "The server is shutting down.");
  ws_accept(&s->ws, req, res);
}

void signal_on_media_event(void *ctx, const sfu_event *ev) {
  if (ctx) meeting_media_event(ctx, ev); /* NULL once signalling has stopped */
}

void signal_get_stats(const signal_server *s, signal_stats *out) {
  *out = s->stats;
  ws_stats w;
  ws_get_stats(&w);
  out->ws_slow_consumers = w.slow_consumers;
  out->ws_protocol_errors = w.protocol_errors;
  out->ws_too_large = w.too_large;
}
