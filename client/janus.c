/* A Janus VideoRoom participant (client/janus.h) for the SFU benchmark:
 * Janus's REST API through client/http.c, media through client/peer.c, SDP
 * through client/sdp_client.c, RTP through client/outbound.h (sending),
 * client/tracks.h (incoming tracks by SSRC) and client/peer_stats.h.
 *
 * Requests: synchronous ones (create, attach, keepalive, destroy) are
 * answered in the POST's response; asynchronous plugin requests (join,
 * publish, subscribe, start) are answered "ack" and their result comes on
 * the long-poll as an event with the same transaction, sometimes before the
 * ack (bench/janus/README.md). So every asynchronous request is entered in
 * a small table by transaction before it is sent, and its event is matched
 * there. Plugin errors come inside "event"/"success" (error_code).
 *
 * Subscription: feeds (publishers) are learnt from the "joined" answer and
 * "publishers" events on the publisher handle; each wanted feed is asked
 * for once the handle's previous negotiation is done (one at a time: join
 * or subscribe -> Janus's offer -> our answer in "start" -> its result).
 * Janus's own offers (a publisher left: autoupdate) are answered the same
 * way. The mid -> feed map comes from the "streams" list of each offer's
 * event; SSRC -> (feed, kind) from the offer's m-lines.
 *
 * Ending: every way out goes through finish(): peers closed, requests
 * cancelled, the session destroyed (answer awaited at most 2 s); on_closed
 * once everything has reported closed. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/http.h"
#include "client/janus.h"
#include "client/outbound.h"
#include "client/peer.h"
#include "client/peer_stats.h"
#include "client/random.h"
#include "client/rtp_media.h"
#include "client/sdp_client.h"
#include "client/tracks.h"
#include "dtls/srtp.h"

#define MAX_POSTS 16        /* requests in flight per participant */
#define MAX_ASYNC 16        /* asynchronous requests awaiting their event */
#define MAX_FEEDS 1024      /* publishers of the room remembered */
#define MAX_SUB_FEEDS 32    /* feeds carried by the subscription (2 SSRCs each: the peer's 64) */
#define MAX_TRACKS 64
#define MAX_MIDS 256
#define MAX_TRIES 3         /* subscribe attempts per feed */
#define KEEPALIVE_MS 25000
#define POLL_TIMEOUT_MS 65000 /* Janus answers a long-poll within 30 s */
#define POST_TIMEOUT_MS 15000
#define DESTROY_TIMEOUT_MS 2000
#define MAX_POLL_FAILURES 3
#define MAX_FRAME (4u << 20)

typedef enum { ST_NEW = 0, ST_STARTING, ST_JOINED, ST_CLOSING, ST_CLOSED } jstate;

typedef enum {
  K_INFO, K_CREATE, K_ATTACH_PUB, K_ATTACH_SUB, K_JOIN_PUB, K_PUBLISH, K_SUB_JOIN, K_SUBSCRIBE,
  K_START, K_KEEPALIVE, K_DESTROY, K_POLL,
} req_kind;

enum { F_WANT = 0, F_REQUESTED, F_SUBSCRIBED, F_GONE };

typedef struct {
  sc_janus *j;
  sc_http_req *req;
  req_kind kind;
} post_slot;

typedef struct {
  bool used;
  req_kind kind;
  char tx[16];
} async_tx;

typedef struct {
  uint64_t id;
  uint8_t state, tries;
} feed_info;

typedef struct {
  uint32_t ssrc;
  sc_media_kind kind;
  uint64_t feed;
  char from[24];
} track;

typedef struct {
  char mid[33];
  uint64_t feed;
} mid_map;

struct sc_janus {
  uv_loop_t *loop;
  sc_client_callbacks cb;
  void *ctx;
  char *url, *name;
  uint64_t room, want_feed_id;
  bool auto_audio, auto_video, subscribe;
  char media_ip[64];

  jstate state;
  bool error;
  char reason[256];
  int pending_closes;
  uv_timer_t timer; /* keepalive */
  bool timer_open;

  uint64_t session, pub_handle, sub_handle;
  uint64_t feed_id;
  char feed_text[24];
  post_slot posts[MAX_POSTS];
  async_tx async[MAX_ASYNC];
  sc_http_req *poll;
  int poll_failures;
  dtls_cert *cert;
  sc_remote *remote; /* scratch (large) */
  unsigned loss_send, loss_recv;

  /* Publishing. */
  sc_peer *pub;
  bool pub_connected, pub_audio, pub_video;
  sc_publish_params pp;
  sc_outbound out;

  /* Subscribing. */
  sc_peer *sub;
  bool sub_attaching, sub_joined, sub_busy;
  uint32_t sub_version;
  feed_info *feeds;
  int n_feeds;
  mid_map mids[MAX_MIDS];
  int n_mids;
  track tracks[MAX_TRACKS];
  int n_tracks;
  sc_ssrc_index track_index;

  sc_client_stats stats;
  int64_t packet_time_us; /* kernel arrival of the packet on_packet is handling */
};

static void finish(sc_janus *j, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void maybe_subscribe(sc_janus *j);
static void requested_back_to_want(sc_janus *j);

/* ---- message parsing ----------------------------------------------------- */

static uint64_t get_id(const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return 0;
  return (uint64_t)json_integer_value(v);
}

static void get_str(const json_t *o, const char *key, char *out, size_t cap) {
  json_t *v = json_object_get(o, key);
  out[0] = '\0';
  if (json_is_string(v)) snprintf(out, cap, "%s", json_string_value(v));
}

static bool str_is(const json_t *o, const char *key, const char *lit) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) && strcmp(json_string_value(v), lit) == 0;
}

static sc_janus_event_type type_of(const char *s) {
  static const struct {
    const char *word;
    sc_janus_event_type t;
  } words[] = {{"success", SC_JEV_SUCCESS},   {"ack", SC_JEV_ACK},         {"error", SC_JEV_ERROR},
               {"event", SC_JEV_EVENT},       {"webrtcup", SC_JEV_WEBRTCUP}, {"media", SC_JEV_MEDIA},
               {"hangup", SC_JEV_HANGUP},     {"detached", SC_JEV_DETACHED}, {"timeout", SC_JEV_TIMEOUT},
               {"keepalive", SC_JEV_KEEPALIVE}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(s, words[i].word) == 0) return words[i].t;
  return SC_JEV_OTHER;
}

static void parse_plugin_data(const json_t *d, sc_janus_event *e) {
  get_str(d, "videoroom", e->videoroom, sizeof e->videoroom);
  json_t *ec = json_object_get(d, "error_code");
  if (json_is_integer(ec)) {
    json_int_t v = json_integer_value(ec);
    e->error_code = v > 0 && v < 100000 ? (int)v : 1;
    get_str(d, "error", e->error, sizeof e->error);
  }
  e->id = get_id(d, "id");
  e->room = get_id(d, "room");
  e->unpublished = get_id(d, "unpublished");
  e->leaving = get_id(d, "leaving");
  e->started = str_is(d, "started", "ok");
  e->configured = str_is(d, "configured", "ok");
  json_t *pubs = json_object_get(d, "publishers");
  if (json_is_array(pubs)) {
    size_t i;
    json_t *p;
    json_array_foreach(pubs, i, p) {
      uint64_t id = json_is_object(p) ? get_id(p, "id") : 0;
      if (id == 0) continue;
      if (e->n_publishers < SC_JANUS_MAX_LISTED) e->publishers[e->n_publishers++] = id;
      else e->n_publishers_dropped++;
    }
  }
  json_t *streams = json_object_get(d, "streams");
  if (json_is_array(streams)) {
    e->has_streams = true;
    size_t i;
    json_t *s;
    json_array_foreach(streams, i, s) {
      if (!json_is_object(s)) continue;
      json_t *mid = json_object_get(s, "mid");
      if (!json_is_string(mid) || json_string_length(mid) == 0 || json_string_length(mid) > 32) continue;
      if (e->n_streams >= SC_JANUS_MAX_LISTED) {
        e->n_streams_dropped++;
        continue;
      }
      sc_janus_stream *o = &e->streams[e->n_streams++];
      memset(o, 0, sizeof *o);
      snprintf(o->mid, sizeof o->mid, "%s", json_string_value(mid));
      o->feed = get_id(s, "feed_id");
      o->video = str_is(s, "type", "video");
      json_t *act = json_object_get(s, "active");
      o->active = !json_is_false(act);
    }
  }
}

int sc_janus_event_parse(const void *json_obj, sc_janus_event *e) {
  const json_t *o = json_obj;
  if (!e) return -1;
  memset(e, 0, sizeof *e);
  if (!json_is_object(o) || !json_is_string(json_object_get(o, "janus"))) return -1;
  e->type = type_of(json_string_value(json_object_get(o, "janus")));
  e->session = get_id(o, "session_id");
  e->sender = get_id(o, "sender");
  get_str(o, "transaction", e->transaction, sizeof e->transaction);
  get_str(o, "local-ip", e->local_ip, sizeof e->local_ip);
  json_t *data = json_object_get(o, "data");
  if (json_is_object(data)) e->data_id = get_id(data, "id");
  json_t *err = json_object_get(o, "error");
  if (e->type == SC_JEV_ERROR && json_is_object(err)) {
    json_t *code = json_object_get(err, "code");
    json_int_t v = json_is_integer(code) ? json_integer_value(code) : 0;
    e->error_code = v > 0 && v < 100000 ? (int)v : 1;
    get_str(err, "reason", e->error, sizeof e->error);
  } else if (e->type == SC_JEV_ERROR) {
    e->error_code = 1;
  }
  if (e->type == SC_JEV_HANGUP) get_str(o, "reason", e->error, sizeof e->error);
  json_t *pd = json_object_get(o, "plugindata");
  if (json_is_object(pd) && json_is_object(json_object_get(pd, "data")))
    parse_plugin_data(json_object_get(pd, "data"), e);
  json_t *jsep = json_object_get(o, "jsep");
  if (json_is_object(jsep)) {
    get_str(jsep, "type", e->jsep_type, sizeof e->jsep_type);
    json_t *sdp = json_object_get(jsep, "sdp");
    if (json_is_string(sdp)) {
      e->sdp = json_string_value(sdp);
      e->sdp_len = json_string_length(sdp);
    }
  }
  return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static track *track_by_ssrc(sc_janus *j, uint32_t ssrc) {
  int t = sc_ssrc_index_find(&j->track_index, ssrc);
  return t < 0 ? NULL : &j->tracks[t];
}

static void rebuild_index(sc_janus *j) {
  sc_ssrc_index_clear(&j->track_index);
  for (int t = 0; t < j->n_tracks; t++) sc_ssrc_index_add(&j->track_index, j->tracks[t].ssrc, t);
}

static feed_info *find_feed(sc_janus *j, uint64_t id) {
  for (int i = 0; i < j->n_feeds; i++)
    if (j->feeds[i].id == id) return &j->feeds[i];
  return NULL;
}

static void add_feed(sc_janus *j, uint64_t id) {
  feed_info *old = find_feed(j, id);
  if (old && old->state == F_GONE) { /* published again */
    old->state = F_WANT;
    old->tries = 0;
  }
  if (id == 0 || id == j->feed_id || old || j->n_feeds >= MAX_FEEDS) return;
  feed_info *f = &j->feeds[j->n_feeds++];
  f->id = id;
  f->state = F_WANT;
  f->tries = 0;
}

static int count_feeds(const sc_janus *j, int state) {
  int n = 0;
  for (int i = 0; i < j->n_feeds; i++) n += j->feeds[i].state == state;
  return n;
}

/* ---- requests ------------------------------------------------------------ */

static void on_post_done(void *ctx, int status, const char *body, size_t len, const char *err);

/* URL of the session (handle 0: the session itself; session 0: the base). */
static void make_url(const sc_janus *j, uint64_t session, uint64_t handle, const char *suffix, char *out,
                     size_t cap) {
  if (!session) snprintf(out, cap, "%s%s", j->url, suffix);
  else if (!handle) snprintf(out, cap, "%s/%llu%s", j->url, (unsigned long long)session, suffix);
  else
    snprintf(out, cap, "%s/%llu/%llu%s", j->url, (unsigned long long)session, (unsigned long long)handle,
             suffix);
}

/* Sends a request. obj (stolen) gets "transaction"; for asynchronous kinds
 * the transaction is entered in the table first. 0 or -1. */
static int post(sc_janus *j, req_kind kind, uint64_t handle, json_t *obj, unsigned timeout_ms) {
  post_slot *slot = NULL;
  for (int i = 0; i < MAX_POSTS && !slot; i++)
    if (!j->posts[i].req) slot = &j->posts[i];
  async_tx *a = NULL;
  bool is_async = kind == K_JOIN_PUB || kind == K_PUBLISH || kind == K_SUB_JOIN || kind == K_SUBSCRIBE ||
                  kind == K_START;
  if (is_async)
    for (int i = 0; i < MAX_ASYNC && !a; i++)
      if (!j->async[i].used) a = &j->async[i];
  char tx[16];
  sc_random_token(tx, sizeof tx);
  if (!obj || !slot || (is_async && !a) || json_object_set_new(obj, "transaction", json_string(tx)) != 0) {
    json_decref(obj);
    return -1;
  }
  char *text = json_dumps(obj, JSON_COMPACT);
  json_decref(obj);
  if (!text) return -1;
  char url[SC_HTTP_MAX_URL];
  make_url(j, kind == K_CREATE ? 0 : j->session, handle, "", url, sizeof url);
  slot->j = j;
  slot->kind = kind;
  slot->req = sc_http_request(j->loop, "POST", url, text, strlen(text),
                              timeout_ms ? timeout_ms : POST_TIMEOUT_MS, on_post_done, slot);
  free(text);
  if (!slot->req) return -1;
  if (a) {
    a->used = true;
    a->kind = kind;
    memcpy(a->tx, tx, sizeof a->tx);
  }
  return 0;
}

static json_t *verb(const char *janus) { return json_pack("{s:s}", "janus", janus); }

/* {"janus":"message","body":body[,"jsep":{"type":type,"sdp":sdp,"trickle":false}]} */
static json_t *message(json_t *body, const char *jsep_type, const char *sdp) {
  json_t *m = json_pack("{s:s,s:o}", "janus", "message", "body", body);
  if (m && jsep_type) {
    json_t *jsep = json_pack("{s:s,s:s,s:b}", "type", jsep_type, "sdp", sdp, "trickle", 0);
    if (!jsep || json_object_set_new(m, "jsep", jsep) != 0) {
      json_decref(m);
      return NULL;
    }
  }
  return m;
}

static async_tx *take_async(sc_janus *j, const char *tx) {
  if (!tx[0]) return NULL;
  for (int i = 0; i < MAX_ASYNC; i++)
    if (j->async[i].used && strcmp(j->async[i].tx, tx) == 0) {
      j->async[i].used = false;
      return &j->async[i];
    }
  return NULL;
}

/* ---- ending -------------------------------------------------------------- */

static void maybe_closed(sc_janus *j) {
  if (j->state != ST_CLOSING || j->pending_closes > 0) return;
  j->state = ST_CLOSED;
  if (j->cb.on_closed) j->cb.on_closed(j->ctx, j->error, j->reason);
}

static void on_timer_closed(uv_handle_t *h) {
  sc_janus *j = h->data;
  j->pending_closes--;
  maybe_closed(j);
}

static void finish(sc_janus *j, bool error, const char *fmt, ...) {
  if (j->state == ST_CLOSING || j->state == ST_CLOSED) return;
  bool had_session = j->session != 0;
  j->state = ST_CLOSING;
  j->error = error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->reason, sizeof j->reason, fmt, ap);
  va_end(ap);
  sc_http_cancel(j->poll);
  j->poll = NULL;
  for (int i = 0; i < MAX_POSTS; i++) {
    sc_http_cancel(j->posts[i].req);
    j->posts[i].req = NULL;
  }
  memset(j->async, 0, sizeof j->async);
  if (j->pub) {
    j->pending_closes++;
    sc_peer_close(j->pub);
  }
  if (j->sub) {
    j->pending_closes++;
    sc_peer_close(j->sub);
  }
  if (j->timer_open) {
    j->timer_open = false;
    j->pending_closes++;
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
  }
  /* Destroying the session takes its handles and PeerConnections with it. */
  if (had_session && post(j, K_DESTROY, 0, verb("destroy"), DESTROY_TIMEOUT_MS) == 0) j->pending_closes++;
  maybe_closed(j);
}

/* ---- peers --------------------------------------------------------------- */

static void peer_on_state(void *ctx, sc_peer *p, sc_peer_state st, const char *reason) {
  sc_janus *j = ctx;
  if (st == SC_PEER_CONNECTED && p == j->pub) {
    j->pub_connected = true;
    if (j->cb.on_publishing) j->cb.on_publishing(j->ctx);
  } else if (st == SC_PEER_FAILED || st == SC_PEER_CLOSED) {
    finish(j, true, "media_failed: %s connection: %s", p == j->pub ? "publish" : "subscribe", reason);
  }
}

static void peer_on_rtp(void *ctx, sc_peer *p, uint8_t *pkt, size_t len) {
  sc_janus *j = ctx;
  rtp_header h;
  if (p != j->sub || rtp_parse(pkt, len, &h) != 0) return;
  track *t = track_by_ssrc(j, h.ssrc);
  if (!t) return;
  j->stats.packets_received[t->kind]++;
  if (j->cb.on_packet && h.payload_len > 0) {
    j->packet_time_us = sc_peer_rx_time_us(p);
    j->cb.on_packet(j->ctx, t->from, t->kind, h.seq, h.timestamp, h.marker, pkt + h.header_len, h.payload_len);
    j->packet_time_us = 0;
  }
}

int64_t sc_janus_packet_time_us(const sc_janus *j) { return j ? j->packet_time_us : 0; }

static void peer_on_keyframe_request(void *ctx, sc_peer *p, uint32_t ssrc) {
  sc_janus *j = ctx;
  (void)ssrc;
  if (p != j->pub) return;
  j->stats.plis_received++;
  if (j->cb.on_keyframe_request) j->cb.on_keyframe_request(j->ctx);
}

static void peer_on_closed(void *ctx, sc_peer *p) {
  sc_janus *j = ctx;
  if (p == j->pub) j->pub = NULL;
  if (p == j->sub) j->sub = NULL;
  j->pending_closes--;
  maybe_closed(j);
}

static sc_peer *make_peer(sc_janus *j) {
  sc_peer_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cert = j->cert;
  cfg.bind_ip = j->media_ip;
  sc_peer_callbacks cb = {j, peer_on_state, peer_on_rtp, peer_on_keyframe_request, NULL, peer_on_closed};
  sc_peer *p = sc_peer_new(j->loop, &cfg, &cb);
  if (p) sc_peer_simulate_loss(p, j->loss_send, j->loss_recv);
  return p;
}

static uint16_t peer_port(const sc_peer *p) {
  struct sockaddr_storage ss;
  if (sc_peer_local_addr(p, &ss) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return 0;
}

/* ---- the session --------------------------------------------------------- */

static void start_poll(sc_janus *j);

static void on_event(sc_janus *j, const sc_janus_event *e);

static void on_poll_done(void *ctx, int status, const char *body, size_t len, const char *err) {
  sc_janus *j = ctx;
  j->poll = NULL;
  if (j->state == ST_CLOSING || j->state == ST_CLOSED) return;
  if (status != 200) {
    if (status < 0 && ++j->poll_failures <= MAX_POLL_FAILURES) {
      start_poll(j);
      return;
    }
    finish(j, true, "janus: long-poll failed (%d %s)", status, err);
    return;
  }
  j->poll_failures = 0;
  json_error_t jerr;
  json_t *root = json_loadb(body, len, 0, &jerr);
  static sc_janus_event ev; /* large; the loop is single-threaded */
  if (json_is_array(root)) {
    size_t i;
    json_t *o;
    json_array_foreach(root, i, o) {
      if (j->state == ST_CLOSING) break;
      if (sc_janus_event_parse(o, &ev) == 0) on_event(j, &ev);
    }
  } else if (sc_janus_event_parse(root, &ev) == 0) {
    on_event(j, &ev);
  }
  json_decref(root);
  if (j->state != ST_CLOSING && j->state != ST_CLOSED) start_poll(j);
}

static void start_poll(sc_janus *j) {
  char url[SC_HTTP_MAX_URL];
  make_url(j, j->session, 0, "?maxev=10", url, sizeof url);
  j->poll = sc_http_request(j->loop, "GET", url, NULL, 0, POLL_TIMEOUT_MS, on_poll_done, j);
  if (!j->poll) finish(j, true, "janus: cannot start the long-poll");
}

static void on_keepalive(uv_timer_t *t) {
  sc_janus *j = t->data;
  if (j->session && j->state != ST_CLOSING && post(j, K_KEEPALIVE, 0, verb("keepalive"), 0) != 0)
    finish(j, true, "janus: cannot send a keepalive");
}

static void attach(sc_janus *j, req_kind kind) {
  json_t *o = json_pack("{s:s,s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom");
  if (post(j, kind, 0, o, 0) != 0) finish(j, true, "janus: cannot attach");
}

static void join_publisher(sc_janus *j) {
  json_t *body = json_pack("{s:s,s:s,s:I,s:s}", "request", "join", "ptype", "publisher", "room",
                           (json_int_t)j->room, "display", j->name);
  if (body && j->want_feed_id) json_object_set_new(body, "id", json_integer((json_int_t)j->want_feed_id));
  if (post(j, K_JOIN_PUB, j->pub_handle, message(body, NULL, NULL), 0) != 0)
    finish(j, true, "janus: cannot join");
}

/* The answer of a synchronous request, or the ack of an asynchronous one. */
static void on_post_result(sc_janus *j, req_kind kind, const sc_janus_event *e) {
  if (e->type == SC_JEV_ERROR || e->error_code) {
    if ((kind == K_SUB_JOIN || kind == K_SUBSCRIBE) && take_async(j, e->transaction)) {
      j->sub_busy = false; /* refused at once: no event will come */
      requested_back_to_want(j);
      maybe_subscribe(j);
      return;
    }
    finish(j, true, "janus: %d %s", e->error_code, e->error);
    return;
  }
  switch (kind) {
    case K_CREATE:
      if (!e->data_id) {
        finish(j, true, "janus: create gave no session id");
        return;
      }
      j->session = e->data_id;
      if (uv_timer_init(j->loop, &j->timer) == 0) {
        j->timer.data = j;
        j->timer_open = true;
        uv_timer_start(&j->timer, on_keepalive, KEEPALIVE_MS, KEEPALIVE_MS);
      }
      start_poll(j);
      if (j->state == ST_STARTING) attach(j, K_ATTACH_PUB);
      break;
    case K_ATTACH_PUB:
      if (!e->data_id) {
        finish(j, true, "janus: attach gave no handle id");
        return;
      }
      j->pub_handle = e->data_id;
      join_publisher(j);
      break;
    case K_ATTACH_SUB:
      j->sub_attaching = false;
      j->sub_busy = false;
      if (!e->data_id) {
        finish(j, true, "janus: attach gave no handle id");
        return;
      }
      j->sub_handle = e->data_id;
      maybe_subscribe(j);
      break;
    default:
      break; /* acks; keepalive acks */
  }
}

static void on_post_done(void *ctx, int status, const char *body, size_t len, const char *err) {
  post_slot *slot = ctx;
  sc_janus *j = slot->j;
  slot->req = NULL;
  if (slot->kind == K_DESTROY) {
    if (j->state == ST_CLOSING) {
      j->pending_closes--;
      maybe_closed(j);
    }
    return;
  }
  if (j->state == ST_CLOSING || j->state == ST_CLOSED) return;
  if (status != 200) {
    finish(j, true, "janus: HTTP request failed (%d %s)", status, err);
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb(body, len, 0, &jerr);
  sc_janus_event *e = malloc(sizeof *e);
  if (!e || sc_janus_event_parse(root, e) != 0) {
    finish(j, true, "janus: unreadable answer");
  } else if (slot->kind == K_INFO) {
    unsigned char a4[4];
    if (!e->local_ip[0] || inet_pton(AF_INET, e->local_ip, a4) != 1)
      finish(j, true, "janus: /info has no IPv4 local-ip");
    else {
      snprintf(j->media_ip, sizeof j->media_ip, "%s", e->local_ip);
      if (post(j, K_CREATE, 0, verb("create"), 0) != 0) finish(j, true, "janus: cannot create a session");
    }
  } else {
    on_post_result(j, slot->kind, e);
  }
  free(e);
  json_decref(root);
}

/* ---- publisher handle ---------------------------------------------------- */

static void on_publish_answer(sc_janus *j, const sc_janus_event *e) {
  char err[128];
  if (!j->pub) return;
  if (!e->sdp || sc_sdp_parse_remote(e->sdp, e->sdp_len, j->remote, err, sizeof err) != 0 ||
      sc_sdp_check_publish_answer(j->remote, &j->pp, err, sizeof err) != 0) {
    finish(j, true, "janus: bad publish answer: %s", e->sdp ? err : "no SDP");
    return;
  }
  if (sc_peer_set_remote(j->pub, j->remote) != 0) finish(j, true, "janus: publish answer has no usable candidate");
}

static void on_joined(sc_janus *j, const sc_janus_event *e) {
  if (!e->id) {
    finish(j, true, "janus: joined without an id");
    return;
  }
  j->feed_id = e->id;
  snprintf(j->feed_text, sizeof j->feed_text, "%llu", (unsigned long long)e->id);
  j->state = ST_JOINED;
  for (int i = 0; i < e->n_publishers; i++) add_feed(j, e->publishers[i]);
  if (j->cb.on_joined) j->cb.on_joined(j->ctx, j->feed_text, false);
  if (j->state != ST_JOINED) return;
  if ((j->auto_audio || j->auto_video) && !j->pub && sc_janus_publish(j, j->auto_audio, j->auto_video) != 0) {
    finish(j, true, "janus: cannot publish");
    return;
  }
  maybe_subscribe(j);
}

static void on_pub_event(sc_janus *j, const sc_janus_event *e, const async_tx *a) {
  if (e->error_code) {
    finish(j, true, "janus: %d %s", e->error_code, e->error);
    return;
  }
  if (strcmp(e->videoroom, "joined") == 0 && j->state == ST_STARTING) {
    on_joined(j, e);
    return;
  }
  if (j->state != ST_JOINED) return;
  if (strcmp(e->jsep_type, "answer") == 0) {
    on_publish_answer(j, e);
    if (j->state != ST_JOINED) return;
  }
  for (int i = 0; i < e->n_publishers; i++) add_feed(j, e->publishers[i]);
  uint64_t gone[2] = {e->unpublished, e->leaving};
  for (int k = 0; k < 2; k++) {
    feed_info *f = gone[k] ? find_feed(j, gone[k]) : NULL;
    if (f) f->state = F_GONE; /* Janus drops its streams from the subscription itself */
  }
  (void)a;
  if (e->n_publishers) maybe_subscribe(j);
}

/* ---- subscriber handle --------------------------------------------------- */

static uint64_t feed_of_mid(const sc_janus *j, const char *mid) {
  for (int i = 0; i < j->n_mids; i++)
    if (strcmp(j->mids[i].mid, mid) == 0) return j->mids[i].feed;
  return 0;
}

static void requested_back_to_want(sc_janus *j) {
  for (int i = 0; i < j->n_feeds; i++) {
    feed_info *f = &j->feeds[i];
    if (f->state != F_REQUESTED) continue;
    f->state = ++f->tries >= MAX_TRIES ? F_GONE : F_WANT;
  }
}

/* The tracks of an offer's active lines; feeds asked for and now present
 * become subscribed. */
static void sync_tracks(sc_janus *j, const sc_remote *r) {
  j->n_tracks = 0;
  for (int i = 0; i < j->n_feeds; i++)
    if (j->feeds[i].state == F_SUBSCRIBED) j->feeds[i].state = F_GONE; /* unless still offered below */
  for (int i = 0; i < r->n_media && j->n_tracks < MAX_TRACKS; i++) {
    const sc_media *m = &r->media[i];
    if (!m->active || m->n_ssrcs < 1 || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO)) continue;
    uint64_t feed = feed_of_mid(j, m->mid);
    if (!feed) continue;
    track *t = &j->tracks[j->n_tracks++];
    t->ssrc = m->ssrcs[0];
    t->kind = m->kind == SDP_VIDEO ? SC_MEDIA_VIDEO : SC_MEDIA_AUDIO;
    t->feed = feed;
    snprintf(t->from, sizeof t->from, "%llu", (unsigned long long)feed);
    feed_info *f = find_feed(j, feed);
    if (!f) {
      add_feed(j, feed);
      f = find_feed(j, feed);
    }
    if (f) f->state = F_SUBSCRIBED;
  }
  rebuild_index(j);
  requested_back_to_want(j);
}

static void on_sub_offer(sc_janus *j, const sc_janus_event *e) {
  char err[128];
  if (!e->sdp || sc_sdp_parse_remote(e->sdp, e->sdp_len, j->remote, err, sizeof err) != 0) {
    finish(j, true, "janus: bad subscribe offer: %s", e->sdp ? err : "no SDP");
    return;
  }
  if (e->has_streams) {
    j->n_mids = 0;
    for (int i = 0; i < e->n_streams && j->n_mids < MAX_MIDS; i++) {
      if (!e->streams[i].feed || !e->streams[i].active) continue;
      mid_map *m = &j->mids[j->n_mids++];
      memcpy(m->mid, e->streams[i].mid, sizeof m->mid);
      m->feed = e->streams[i].feed;
    }
  }
  if (!j->sub && !(j->sub = make_peer(j))) {
    finish(j, true, "janus: cannot make the subscribe connection");
    return;
  }
  sync_tracks(j, j->remote);
  if (sc_peer_set_remote(j->sub, j->remote) != 0) {
    finish(j, true, "janus: subscribe offer not usable");
    return;
  }
  sc_local_desc local = {sc_peer_ufrag(j->sub), sc_peer_pwd(j->sub), sc_peer_fingerprint(j->sub), 0,
                         ++j->sub_version};
  sc_sdp_candidate cand = {j->media_ip, peer_port(j->sub)};
  size_t cap = SC_SDP_ANSWER_CAP(j->remote->n_media);
  char *answer = malloc(cap);
  if (!answer || sc_sdp_build_subscribe_answer_cand(j->remote, &local, &cand, answer, cap) < 0) {
    free(answer);
    finish(j, true, "janus: cannot answer the subscribe offer");
    return;
  }
  json_t *body = json_pack("{s:s}", "request", "start");
  int rc = post(j, K_START, j->sub_handle, message(body, "answer", answer), 0);
  free(answer);
  if (rc != 0) {
    finish(j, true, "janus: cannot send start");
    return;
  }
  j->sub_joined = true;
  j->sub_busy = true;
}

static void on_sub_event(sc_janus *j, const sc_janus_event *e, const async_tx *a) {
  req_kind kind = a ? a->kind : K_POLL;
  if (e->error_code) {
    if (kind == K_SUB_JOIN || kind == K_SUBSCRIBE) { /* e.g. 428 No such feed: it left meanwhile */
      j->sub_busy = false;
      requested_back_to_want(j);
      maybe_subscribe(j);
      return;
    }
    finish(j, true, "janus: %d %s", e->error_code, e->error);
    return;
  }
  if (strcmp(e->jsep_type, "offer") == 0) {
    on_sub_offer(j, e);
    return;
  }
  if (kind == K_START || kind == K_SUB_JOIN || kind == K_SUBSCRIBE) {
    /* start done, or a join/subscribe that needed no new offer */
    j->sub_busy = false;
    if (kind != K_START) requested_back_to_want(j);
    maybe_subscribe(j);
  }
}

static void maybe_subscribe(sc_janus *j) {
  if (!j->subscribe || j->state != ST_JOINED || j->sub_busy || j->sub_attaching) return;
  int room = MAX_SUB_FEEDS - count_feeds(j, F_SUBSCRIBED);
  if (room <= 0 || count_feeds(j, F_WANT) == 0) return;
  if (!j->sub_handle) {
    j->sub_attaching = true;
    j->sub_busy = true;
    attach(j, K_ATTACH_SUB);
    return;
  }
  json_t *streams = json_array();
  for (int i = 0; i < j->n_feeds && room > 0; i++) {
    feed_info *f = &j->feeds[i];
    if (f->state != F_WANT) continue;
    json_array_append_new(streams, json_pack("{s:I}", "feed", (json_int_t)f->id));
    f->state = F_REQUESTED;
    room--;
  }
  json_t *body;
  if (j->sub_joined)
    body = json_pack("{s:s,s:o}", "request", "subscribe", "streams", streams);
  else
    body = json_pack("{s:s,s:s,s:I,s:o}", "request", "join", "ptype", "subscriber", "room", (json_int_t)j->room,
                     "streams", streams);
  if (post(j, j->sub_joined ? K_SUBSCRIBE : K_SUB_JOIN, j->sub_handle, message(body, NULL, NULL), 0) != 0) {
    finish(j, true, "janus: cannot subscribe");
    return;
  }
  j->sub_busy = true;
}

/* ---- events -------------------------------------------------------------- */

static void on_event(sc_janus *j, const sc_janus_event *e) {
  if (j->state == ST_CLOSING || j->state == ST_CLOSED) return;
  switch (e->type) {
    case SC_JEV_TIMEOUT:
      finish(j, true, "janus: session timed out");
      return;
    case SC_JEV_HANGUP:
      if (e->sender && (e->sender == j->pub_handle || e->sender == j->sub_handle))
        finish(j, true, "janus: hangup on the %s handle (%s)", e->sender == j->pub_handle ? "publisher" : "subscriber",
               e->error);
      return;
    case SC_JEV_ERROR:
    case SC_JEV_EVENT:
    case SC_JEV_SUCCESS: {
      async_tx *a = take_async(j, e->transaction);
      async_tx copy = a ? *a : (async_tx){0};
      if (e->type == SC_JEV_ERROR) {
        if (a && (a->kind == K_SUB_JOIN || a->kind == K_SUBSCRIBE)) {
          j->sub_busy = false;
          requested_back_to_want(j);
          maybe_subscribe(j);
        } else if (a) {
          finish(j, true, "janus: %d %s", e->error_code, e->error);
        }
        return;
      }
      if (e->sender && e->sender == j->pub_handle) on_pub_event(j, e, a ? &copy : NULL);
      else if (e->sender && e->sender == j->sub_handle) on_sub_event(j, e, a ? &copy : NULL);
      return;
    }
    default:
      return; /* webrtcup, media, detached, keepalive, slowlink, trickle */
  }
}

/* ---- public API ---------------------------------------------------------- */

static char *base_url(const char *url) {
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '/') n--;
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, url, n);
    s[n] = '\0';
  }
  return s;
}

sc_janus *sc_janus_new(uv_loop_t *loop, const sc_janus_config *cfg, const sc_client_callbacks *cb, void *ctx) {
  if (!loop || !cfg || !cfg->url || !cfg->name || !cb || cfg->room == 0 || cfg->room > INT64_MAX ||
      cfg->feed_id > INT64_MAX)
    return NULL;
  size_t nl = strlen(cfg->name);
  sc_http_url u;
  if (nl == 0 || nl > 64 || sc_http_parse_url(cfg->url, &u, NULL, 0) != 0) return NULL;
  json_t *probe = json_string(cfg->name); /* valid UTF-8? */
  if (!probe) return NULL;
  json_decref(probe);
  unsigned char a4[4];
  if (cfg->media_ip && (strlen(cfg->media_ip) >= 64 || inet_pton(AF_INET, cfg->media_ip, a4) != 1)) return NULL;
  sc_janus *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->loop = loop;
  j->cb = *cb;
  j->ctx = ctx;
  j->url = base_url(cfg->url);
  j->name = strdup(cfg->name);
  j->room = cfg->room;
  j->want_feed_id = cfg->feed_id;
  j->auto_audio = cfg->publish_audio;
  j->auto_video = cfg->publish_video;
  j->subscribe = cfg->subscribe;
  if (cfg->media_ip) snprintf(j->media_ip, sizeof j->media_ip, "%s", cfg->media_ip);
  sc_ssrc_index_clear(&j->track_index);
  j->feeds = calloc(MAX_FEEDS, sizeof *j->feeds);
  j->remote = calloc(1, sizeof *j->remote);
  j->cert = dtls_cert_generate();
  if (!j->url || !j->name || !j->feeds || !j->remote || !j->cert || sr_srtp_global_init() != 0) {
    sc_janus_free(j);
    return NULL;
  }
  return j;
}

int sc_janus_connect(sc_janus *j) {
  if (!j || j->state != ST_NEW) return -1;
  int rc;
  if (j->media_ip[0]) {
    rc = post(j, K_CREATE, 0, verb("create"), 0);
  } else {
    char url[SC_HTTP_MAX_URL];
    make_url(j, 0, 0, "/info", url, sizeof url);
    post_slot *slot = &j->posts[0];
    slot->j = j;
    slot->kind = K_INFO;
    slot->req = sc_http_request(j->loop, "GET", url, NULL, 0, POST_TIMEOUT_MS, on_post_done, slot);
    rc = slot->req ? 0 : -1;
  }
  if (rc != 0) return -1;
  j->state = ST_STARTING;
  return 0;
}

int sc_janus_publish(sc_janus *j, bool audio, bool video) {
  if (!j || j->state != ST_JOINED || j->pub || (!audio && !video)) return -1;
  j->pub = make_peer(j);
  if (!j->pub) return -1;
  sc_publish_params *p = &j->pp;
  if (sc_outbound_start(&j->out, j->pub, audio, video, 23, p) != 0) return -1;
  p->setup_active = true; /* Janus becomes the DTLS server */
  p->candidate.ip = j->media_ip;
  p->candidate.port = peer_port(j->pub);
  char offer[SC_SDP_OFFER_CAP];
  if (sc_sdp_build_publish_offer(p, offer, sizeof offer) < 0) return -1;
  json_t *body = json_pack("{s:s,s:s,s:s}", "request", "publish", "audiocodec", "opus", "videocodec", "vp8");
  if (post(j, K_PUBLISH, j->pub_handle, message(body, "offer", offer), 0) != 0) return -1;
  j->pub_audio = audio;
  j->pub_video = video;
  return 0;
}

int sc_janus_send_frame(sc_janus *j, sc_media_kind kind, const uint8_t *frame, size_t len, bool keyframe,
                        uint64_t capture_us) {
  if (!j || j->state != ST_JOINED || !j->pub || (kind != SC_MEDIA_AUDIO && kind != SC_MEDIA_VIDEO)) return -1;
  if (kind == SC_MEDIA_AUDIO ? !j->pub_audio : !j->pub_video) return -1;
  if (len > MAX_FRAME || (len > 0 && !frame)) return -1;
  if (!j->pub_connected) return 0;
  uint32_t media_ts = sc_outbound_media_ts(&j->out, kind, capture_us);
  if (sc_outbound_send(&j->out, j->pub, kind, 0, frame, len, keyframe, media_ts) != 0) return -1;
  j->stats.frames_sent[kind]++;
  j->stats.bytes_sent[kind] += len;
  return 0;
}

void sc_janus_get_stats(const sc_janus *j, sc_client_stats *out) {
  memset(out, 0, sizeof *out);
  if (!j) return;
  *out = j->stats;
  sc_peer_stats_add(j->pub, out, true);
  sc_peer_stats_add(j->sub, out, true);
}

uint64_t sc_janus_feed_id(const sc_janus *j) { return j ? j->feed_id : 0; }

int sc_janus_subscribed_feeds(const sc_janus *j) { return j ? count_feeds(j, F_SUBSCRIBED) : 0; }

void sc_janus_leave(sc_janus *j) {
  if (!j) return;
  if (j->state == ST_NEW) {
    j->state = ST_CLOSED;
    return;
  }
  finish(j, false, "left");
}

void sc_janus_free(sc_janus *j) {
  if (!j) return;
  dtls_cert_free(j->cert);
  free(j->remote);
  free(j->feeds);
  free(j->url);
  free(j->name);
  free(j);
}

void sc_janus_simulate_loss(sc_janus *j, unsigned send_every, unsigned recv_every) {
  if (!j) return;
  j->loss_send = send_every;
  j->loss_recv = recv_every;
  if (j->pub) sc_peer_simulate_loss(j->pub, send_every, 0);
  if (j->sub) sc_peer_simulate_loss(j->sub, 0, recv_every);
}

int sc_janus_request_keyframes(sc_janus *j) {
  if (!j || !j->sub) return 0;
  int n = 0;
  for (int i = 0; i < j->n_tracks; i++)
    if (j->tracks[i].kind == SC_MEDIA_VIDEO && sc_peer_request_keyframe(j->sub, j->tracks[i].ssrc) == 0) n++;
  j->stats.plis_sent += (uint64_t)n;
  return n;
}

/* ---- rooms --------------------------------------------------------------- */

typedef struct {
  uv_loop_t *loop;
  char *url;
  uint64_t room, session, handle;
  bool destroy_room;
  int step; /* 0 create session, 1 attach, 2 message, 3 destroy session */
  int status;
  char reason[200];
  sc_janus_done_cb done;
  void *ctx;
} room_op;

static void room_step(room_op *op);

static void room_finish(room_op *op, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void room_finish(room_op *op, int status, const char *fmt, ...) {
  if (op->step < 3) {
    op->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->reason, sizeof op->reason, fmt, ap);
    va_end(ap);
  }
  if (op->session && op->step < 3) {
    op->step = 3;
    room_step(op);
    return;
  }
  op->done(op->ctx, op->status, op->reason);
  free(op->url);
  free(op);
}

static void on_room_answer(void *ctx, int status, const char *body, size_t len, const char *err) {
  room_op *op = ctx;
  if (op->step == 3) {
    op->session = 0;
    room_finish(op, op->status, "%s", op->reason);
    return;
  }
  if (status != 200) {
    room_finish(op, -1, "janus: HTTP %d %s", status, err);
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb(body, len, 0, &jerr);
  sc_janus_event *e = malloc(sizeof *e);
  if (!e || sc_janus_event_parse(root, e) != 0) {
    room_finish(op, -1, "janus: unreadable answer");
  } else if (e->type == SC_JEV_ERROR) {
    room_finish(op, -1, "janus: %d %s", e->error_code, e->error);
  } else if (op->step == 0 || op->step == 1) {
    if (!e->data_id) {
      room_finish(op, -1, "janus: no id in the answer");
    } else {
      if (op->step == 0) op->session = e->data_id;
      else op->handle = e->data_id;
      op->step++;
      room_step(op);
    }
  } else if (e->error_code && !(op->destroy_room ? e->error_code == 426 : e->error_code == 427)) {
    room_finish(op, -1, "janus: %d %s", e->error_code, e->error);
  } else {
    room_finish(op, 0, "%s", e->error_code ? e->error : "");
  }
  free(e);
  json_decref(root);
}

static void room_step(room_op *op) {
  json_t *o;
  char url[SC_HTTP_MAX_URL];
  if (op->step == 0) {
    o = verb("create");
    snprintf(url, sizeof url, "%s", op->url);
  } else if (op->step == 1) {
    o = json_pack("{s:s,s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom");
    snprintf(url, sizeof url, "%s/%llu", op->url, (unsigned long long)op->session);
  } else if (op->step == 2) {
    json_t *body = op->destroy_room
                       ? json_pack("{s:s,s:I}", "request", "destroy", "room", (json_int_t)op->room)
                       : json_pack("{s:s,s:I,s:b,s:s,s:b,s:i,s:i,s:i,s:s,s:s,s:b,s:b}", "request", "create", "room",
                                   (json_int_t)op->room, "permanent", 0, "description", "sealroom bench",
                                   "is_private", 1, "publishers", 1000, "bitrate", 0, "fir_freq", 0, "audiocodec",
                                   "opus", "videocodec", "vp8", "record", 0, "notify_joining", 0);
    o = message(body, NULL, NULL);
    snprintf(url, sizeof url, "%s/%llu/%llu", op->url, (unsigned long long)op->session,
             (unsigned long long)op->handle);
  } else {
    o = verb("destroy");
    snprintf(url, sizeof url, "%s/%llu", op->url, (unsigned long long)op->session);
  }
  char tx[16];
  sc_random_token(tx, sizeof tx);
  char *text = NULL;
  if (o && json_object_set_new(o, "transaction", json_string(tx)) == 0) text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  sc_http_req *r = text ? sc_http_request(op->loop, "POST", url, text, strlen(text), POST_TIMEOUT_MS,
                                          on_room_answer, op)
                        : NULL;
  free(text);
  if (!r) {
    if (op->step == 3) op->session = 0;
    room_finish(op, -1, "janus: cannot send a request");
  }
}

static int room_start(uv_loop_t *loop, const char *url, uint64_t room, bool destroy, sc_janus_done_cb done,
                      void *ctx) {
  sc_http_url u;
  if (!loop || !url || !done || room == 0 || room > INT64_MAX || sc_http_parse_url(url, &u, NULL, 0) != 0)
    return -1;
  room_op *op = calloc(1, sizeof *op);
  if (!op || !(op->url = base_url(url))) {
    free(op);
    return -1;
  }
  op->loop = loop;
  op->room = room;
  op->destroy_room = destroy;
  op->done = done;
  op->ctx = ctx;
  room_step(op); /* later failures come from the loop */
  return 0;
}

int sc_janus_create_room(uv_loop_t *loop, const char *url, uint64_t room, sc_janus_done_cb done, void *ctx) {
  return room_start(loop, url, room, false, done, ctx);
}

int sc_janus_destroy_room(uv_loop_t *loop, const char *url, uint64_t room, sc_janus_done_cb done, void *ctx) {
  return room_start(loop, url, room, true, done, ctx);
}
