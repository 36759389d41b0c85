/* libsealroom-client's public API (include/sealroom_client.h): one
 * participant of a room. This file only ties the modules together:
 *   client/ws.c          the signalling WebSocket
 *   client/signal_msg.c  the messages on it
 *   client/sdp_client.c  the publish offer and the subscribe answer
 *   client/peer.c        the publish and the subscribe peer connections
 *   client/outbound.c    our frames into RTP on the publish connection
 *   client/tracks.c      incoming tracks by SSRC
 *   client/rtp_media.h   frame assemblers
 *   client/e2ee_call.c   E2EE in E2EE rooms
 * and follows docs/signalling.md: join -> welcome -> publish_offer /
 * publish_answer, subscribe_offer / subscribe_answer, relays for E2EE.
 *
 * Incoming media: each active m-line of the subscribe offer is one track
 * (its first SSRC, the sender's participant id from a=msid). Video goes
 * through a VP8 assembler, audio through an Opus depacketizer; in an E2EE room
 * the whole frames then go to the E2EE module, which hands them back once
 * decrypted and listed in a verified statement of their sender. The E2EE
 * module's stream tag for a frame carries its SSRC (high 32 bits) and RTP
 * timestamp (low 32 bits), so that a frame held for its statement keeps both.
 *
 * Ending: every way out goes through finish(), which starts closing the
 * WebSocket and the peers; on_closed is called once all of them have
 * reported closed. */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/e2ee_call.h"
#include "client/outbound.h"
#include "client/peer.h"
#include "client/peer_stats.h"
#include "client/rtp_media.h"
#include "client/sdp_client.h"
#include "client/signal_msg.h"
#include "client/tracks.h"
#include "client/ws.h"
#include "dtls/srtp.h"
#include "sealroom_client.h"

#define MAX_TRACKS 256         /* incoming tracks (m-lines of a subscribe offer) */
#define TICK_MS SC_E2EE_TICK_MS /* assemblers' and the E2EE module's timers */
#define MAX_FRAME (4u << 20)   /* largest frame sent */
#define ANSWER_TIMEOUT_MS 15000 /* default: welcome after join, publish_answer after publish_offer */

typedef enum { ST_NEW = 0, ST_JOINING, ST_JOINED, ST_CLOSING, ST_CLOSED } client_state;

typedef struct {
  bool used;
  uint32_t ssrc;
  sc_media_kind kind;
  char from[SC_ID_MAX + 1];
  sc_vp8_assembler *vp8;    /* video */
  sc_opus_depacketizer opus; /* audio */
  sc_client *owner;
} in_track;

struct sc_client {
  uv_loop_t *loop;
  sc_client_callbacks cb;
  void *ctx;
  char *url, *room, *name, *token;
  bool require_e2ee, receive, packets_only;

  client_state state;
  bool error;
  char reason[256];
  int pending_closes; /* WebSocket and peers still closing */

  sc_ws *ws;
  dtls_cert *cert;
  sc_e2ee *e2ee; /* made before join; started only in an E2EE room */
  bool e2ee_on;
  char self_id[SC_ID_MAX + 1];
  char code[SRE_CODE_STR_LEN];

  uv_timer_t tick;
  bool tick_open;
  uint64_t welcome_due, answer_due; /* loop time by which they must come; 0: none */
  unsigned answer_timeout_ms;
  sc_udp_mux *udp_mux;

  /* Publishing. */
  sc_peer *pub;
  bool pub_connected;
  bool pub_audio, pub_video;
  sc_publish_params pub_params;
  sc_outbound out;
  int audio_level; /* sc_client_set_audio_level: -1 none */
  int simulcast;   /* sc_client_set_simulcast: encodings of our video, 0: one */

  /* Subscribing. */
  sc_peer *sub;
  sc_remote *remote; /* scratch for parsing the server's SDP (large) */
  in_track tracks[MAX_TRACKS];
  sc_ssrc_index track_index;

  sc_client_stats stats;
  int64_t packet_time_us; /* kernel arrival of the packet on_packet is handling */
  uint8_t *framebuf; /* MAX_FRAME + SC_E2EE_OVERHEAD, for encryption */
};

static void finish(sc_client *c, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- helpers ----------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int send_msg(sc_client *c, char *json) {
  if (!json) return -1;
  int rc = c->ws ? sc_ws_send_text(c->ws, json, strlen(json)) : -1;
  free(json);
  return rc;
}

/* Per packet: the track of an SSRC. */
static in_track *track_by_ssrc(sc_client *c, uint32_t ssrc) {
  int t = sc_ssrc_index_find(&c->track_index, ssrc);
  return t < 0 ? NULL : &c->tracks[t];
}

static void rebuild_index(sc_client *c) {
  sc_ssrc_index_clear(&c->track_index);
  for (int t = 0; t < MAX_TRACKS; t++)
    if (c->tracks[t].used) sc_ssrc_index_add(&c->track_index, c->tracks[t].ssrc, t);
}

static void track_clear(in_track *t) {
  sc_vp8_assembler_free(t->vp8);
  memset(t, 0, sizeof *t);
}

/* ---- ending ------------------------------------------------------------ */

static void maybe_closed(sc_client *c) {
  if (c->state != ST_CLOSING || c->pending_closes > 0) return;
  c->state = ST_CLOSED;
  if (c->cb.on_closed) c->cb.on_closed(c->ctx, c->error, c->reason);
}

static void on_tick_closed(uv_handle_t *h) {
  sc_client *c = h->data;
  c->pending_closes--;
  maybe_closed(c);
}

static void finish(sc_client *c, bool error, const char *fmt, ...) {
  if (c->state == ST_CLOSING || c->state == ST_CLOSED) return;
  c->state = ST_CLOSING;
  c->error = error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->reason, sizeof c->reason, fmt, ap);
  va_end(ap);
  /* The words may quote the server (an error's message): printable ASCII
   * only, so that a caller may print them or put them in JSON as they are. */
  for (char *p = c->reason; *p; p++)
    if (*p < 0x20 || *p >= 0x7f) *p = '?';
  if (c->ws) {
    c->pending_closes++;
    if (!error) send_msg(c, sc_msg_leave());
    sc_ws_close(c->ws, 1000, error ? "client error" : "leaving");
  }
  if (c->pub) {
    c->pending_closes++;
    sc_peer_close(c->pub);
  }
  if (c->sub) {
    c->pending_closes++;
    sc_peer_close(c->sub);
  }
  if (c->tick_open) {
    c->pending_closes++;
    c->tick_open = false;
    uv_close((uv_handle_t *)&c->tick, on_tick_closed);
  }
  maybe_closed(c);
}

/* ---- E2EE callbacks ---------------------------------------------------- */

static uint64_t e2ee_now(void *ctx) {
  sc_client *c = ctx;
  return uv_now(c->loop);
}

static void e2ee_send_relays(void *ctx, const sc_e2ee_relay_msg *list, size_t n) {
  sc_client *c = ctx;
  send_msg(c, sc_e2ee_relay_batch_json(list, n));
}

static void e2ee_broadcast(void *ctx, const char *payload, size_t len) {
  sc_client *c = ctx;
  send_msg(c, sc_e2ee_relay_all_json(payload, len));
}

static void deliver(sc_client *c, const char *from, sc_media_kind kind, uint32_t ts,
                    const uint8_t *data, size_t len) {
  bool key = kind == SC_MEDIA_VIDEO && len > 0 && (data[0] & 1) == 0;
  c->stats.frames_received[kind]++;
  c->stats.bytes_received[kind] += len;
  if (c->cb.on_frame) c->cb.on_frame(c->ctx, from, kind, ts, key, data, len);
}

static void e2ee_on_frame(void *ctx, const char *from_id, uint64_t stream, sre_codec codec,
                          const uint8_t *data, size_t len) {
  sc_client *c = ctx;
  c->stats.e2ee_decrypted++;
  deliver(c, from_id, codec == SRE_CODEC_VP8 ? SC_MEDIA_VIDEO : SC_MEDIA_AUDIO,
          (uint32_t)(stream & 0xffffffffu), data, len);
}

static void e2ee_on_verify(void *ctx, const sc_e2ee_verify *v) {
  sc_client *c = ctx;
  if (!v->code) return;
  snprintf(c->code, sizeof c->code, "%s", v->code);
  if (c->cb.on_security_code) c->cb.on_security_code(c->ctx, v->code, v->complete);
}

static void e2ee_on_alarm(void *ctx, const char *id, sc_e2ee_alarm reason, const char *name) {
  sc_client *c = ctx;
  const char *r = sc_e2ee_alarm_name(reason);
  if (c->cb.on_alarm) c->cb.on_alarm(c->ctx, id, r ? r : "unknown");
}

/* A key frame of our video encoding `layer` is wanted (-1: of all). */
static void want_keyframe(sc_client *c, int layer) {
  if (c->out.n_layers > 1 && c->cb.on_layer_keyframe_request) {
    for (int l = 0; l < c->out.n_layers; l++)
      if (layer < 0 || l == layer) c->cb.on_layer_keyframe_request(c->ctx, l);
  } else if (c->cb.on_keyframe_request) {
    c->cb.on_keyframe_request(c->ctx);
  }
}

static void e2ee_request_keyframe(void *ctx) { want_keyframe(ctx, -1); }

static void e2ee_request_remote_keyframe(void *ctx, const char *from_id, uint64_t stream) {
  sc_client *c = ctx;
  if (c->sub && sc_peer_request_keyframe(c->sub, (uint32_t)(stream >> 32)) == 0)
    c->stats.plis_sent++;
}

/* ---- incoming media ---------------------------------------------------- */

static void on_track_frame(void *user, uint32_t rtp_ts, bool keyframe, const uint8_t *data,
                           size_t len) {
  in_track *t = user;
  sc_client *c = t->owner;
  if (!c->receive) return;
  if (c->e2ee_on) {
    uint64_t tag = ((uint64_t)t->ssrc << 32) | rtp_ts;
    int rc = sc_e2ee_receive(c->e2ee, t->from, tag,
                             t->kind == SC_MEDIA_VIDEO ? SRE_CODEC_VP8 : SRE_CODEC_OPUS, data, len);
    if (rc < 0) c->stats.e2ee_dropped++;
    return;
  }
  deliver(c, t->from, t->kind, rtp_ts, data, len);
}

static void on_track_need_keyframe(void *user) {
  in_track *t = user;
  sc_client *c = t->owner;
  if (c->sub && sc_peer_request_keyframe(c->sub, t->ssrc) == 0) c->stats.plis_sent++;
}

static void sub_on_rtp(void *ctx, sc_peer *p, uint8_t *pkt, size_t len) {
  sc_client *c = ctx;
  rtp_header h;
  if (rtp_parse(pkt, len, &h) != 0) return;
  in_track *t = track_by_ssrc(c, h.ssrc);
  if (!t) return;
  c->stats.packets_received[t->kind]++;
  if (c->packets_only) {
    if (c->cb.on_packet && h.payload_len > 0) {
      c->packet_time_us = sc_peer_rx_time_us(p);
      c->cb.on_packet(c->ctx, t->from, t->kind, h.seq, h.timestamp, h.marker, pkt + h.header_len,
                      h.payload_len);
      c->packet_time_us = 0;
    }
    return;
  }
  if (t->kind == SC_MEDIA_VIDEO && t->vp8)
    sc_vp8_assembler_push(t->vp8, pkt, &h, uv_now(c->loop));
  else
    sc_opus_depacketizer_push(&t->opus, pkt, &h);
}

/* Adds the tracks of the active lines of a subscribe offer that are new, and
 * forgets those no longer offered. */
static void sync_tracks(sc_client *c, const sc_remote *r) {
  bool keep[MAX_TRACKS] = {false};
  for (int i = 0; i < r->n_media; i++) {
    const sc_media *m = &r->media[i];
    if (!m->active || m->n_ssrcs < 1 || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO)) continue;
    in_track *t = NULL;
    for (int j = 0; j < MAX_TRACKS && !t; j++)
      if (c->tracks[j].used && c->tracks[j].ssrc == m->ssrcs[0]) t = &c->tracks[j];
    if (!t) {
      for (int j = 0; j < MAX_TRACKS && !t; j++)
        if (!c->tracks[j].used) t = &c->tracks[j];
      if (!t) break;
      memset(t, 0, sizeof *t);
      t->ssrc = m->ssrcs[0];
      t->kind = m->kind == SDP_VIDEO ? SC_MEDIA_VIDEO : SC_MEDIA_AUDIO;
      snprintf(t->from, sizeof t->from, "%s", m->participant_id);
      t->owner = c;
      if (t->kind == SC_MEDIA_VIDEO && !c->packets_only) {
        sc_vp8_assembler_config cfg = {0};
        cfg.on_frame = on_track_frame;
        cfg.on_need_keyframe = on_track_need_keyframe;
        cfg.user = t;
        t->vp8 = sc_vp8_assembler_new(&cfg);
        if (!t->vp8) continue;
      } else if (t->kind == SC_MEDIA_AUDIO) {
        sc_opus_depacketizer_init(&t->opus, on_track_frame, t);
      }
      t->used = true;
    }
    keep[t - c->tracks] = true;
  }
  for (int j = 0; j < MAX_TRACKS; j++)
    if (c->tracks[j].used && !keep[j]) track_clear(&c->tracks[j]);
  rebuild_index(c);
}

static void on_tick(uv_timer_t *h) {
  sc_client *c = h->data;
  uint64_t now = uv_now(c->loop);
  if (c->welcome_due && now >= c->welcome_due && c->state == ST_JOINING) {
    finish(c, true, "timeout: no welcome within %u ms of join", c->answer_timeout_ms);
    return;
  }
  if (c->answer_due && now >= c->answer_due && c->state == ST_JOINED) {
    finish(c, true, "timeout: no publish_answer within %u ms", c->answer_timeout_ms);
    return;
  }
  if (!c->packets_only) /* only assemblers need the tick: none when packets_only */
    for (int i = 0; i < MAX_TRACKS; i++)
      if (c->tracks[i].used && c->tracks[i].vp8) sc_vp8_assembler_tick(c->tracks[i].vp8, now);
  if (c->e2ee_on) sc_e2ee_tick(c->e2ee);
}

/* ---- peers ------------------------------------------------------------- */

static void peer_on_state(void *ctx, sc_peer *p, sc_peer_state st, const char *reason) {
  sc_client *c = ctx;
  if (st == SC_PEER_CONNECTED && p == c->pub) {
    c->pub_connected = true;
    if (c->cb.on_publishing) c->cb.on_publishing(c->ctx);
  } else if (st == SC_PEER_FAILED) {
    finish(c, true, "media_failed: %s connection: %s", p == c->pub ? "publish" : "subscribe",
           reason);
  }
}

static void peer_on_keyframe_request(void *ctx, sc_peer *p, uint32_t ssrc) {
  sc_client *c = ctx;
  c->stats.plis_received++;
  int layer = sc_outbound_layer_of(&c->out, ssrc);
  if (layer >= 0) want_keyframe(c, layer);
}

static void peer_on_closed(void *ctx, sc_peer *p) {
  sc_client *c = ctx;
  if (p == c->pub) c->pub = NULL;
  if (p == c->sub) c->sub = NULL;
  c->pending_closes--;
  maybe_closed(c);
}

static sc_peer *make_peer(sc_client *c, bool subscribe) {
  sc_peer_config cfg = {0};
  cfg.cert = c->cert;
  cfg.udp_mux = c->udp_mux;
  sc_peer_callbacks cb = {0};
  cb.ctx = c;
  cb.on_state = peer_on_state;
  cb.on_rtp = subscribe ? sub_on_rtp : NULL;
  cb.on_keyframe_request = peer_on_keyframe_request;
  cb.on_closed = peer_on_closed;
  return sc_peer_new(c->loop, &cfg, &cb);
}

/* ---- signalling -------------------------------------------------------- */

static void on_welcome(sc_client *c, const sc_welcome *w) {
  snprintf(c->self_id, sizeof c->self_id, "%s", w->participant_id);
  if (c->require_e2ee && !w->room.e2ee_enabled) {
    finish(c, true, "e2ee_required: the room is not end-to-end encrypted");
    return;
  }
  c->state = ST_JOINED;
  if (w->room.e2ee_enabled) {
    size_t n = w->n_participants;
    sc_e2ee_peer *peers = n ? calloc(n, sizeof *peers) : NULL;
    if (n && !peers) {
      finish(c, true, "out of memory");
      return;
    }
    for (size_t i = 0; i < n; i++) {
      const sc_participant *p = &w->participants[i];
      peers[i].id = p->id;
      peers[i].slot = p->slot;
      peers[i].public_key = p->public_key[0] ? p->public_key : NULL;
      peers[i].signing_key = p->signing_key[0] ? p->signing_key : NULL;
    }
    int rc = sc_e2ee_start(c->e2ee, w->participant_id, w->name, w->session_id, w->slot, peers, n);
    free(peers);
    if (rc != SRE_OK) {
      finish(c, true, "e2ee: could not start (%s)", sre_status_name(rc));
      return;
    }
    c->e2ee_on = true;
  }
  if (c->cb.on_joined) c->cb.on_joined(c->ctx, w->participant_id, w->room.e2ee_enabled);
  for (size_t i = 0; i < w->n_participants && c->state == ST_JOINED; i++)
    if (c->cb.on_participant && strcmp(w->participants[i].id, c->self_id) != 0)
      c->cb.on_participant(c->ctx, w->participants[i].id, w->participants[i].name, true);
}

static void on_publish_answer(sc_client *c, const char *sdp, size_t len) {
  char err[128];
  if (!c->pub) return;
  c->answer_due = 0;
  if (sc_sdp_parse_remote(sdp, len, c->remote, err, sizeof err) != 0 ||
      sc_sdp_check_publish_answer(c->remote, &c->pub_params, err, sizeof err) != 0) {
    finish(c, true, "bad publish answer: %s", err);
    return;
  }
  /* The audio level goes in our packets under the id the answer accepted. */
  if (c->pub_audio && c->pub_params.audio_level_ext) c->out.opus.rtp.audio_level_id = c->remote->media[0].ext_audio_level;
  if (sc_peer_set_remote(c->pub, c->remote) != 0)
    finish(c, true, "publish answer has no usable candidate");
}

static void on_subscribe_offer(sc_client *c, const char *sdp, size_t len, int64_t version) {
  char err[128];
  if (sc_sdp_parse_remote(sdp, len, c->remote, err, sizeof err) != 0) {
    finish(c, true, "bad subscribe offer: %s", err);
    return;
  }
  if (!c->sub && !(c->sub = make_peer(c, true))) {
    finish(c, true, "could not make the subscribe connection");
    return;
  }
  sync_tracks(c, c->remote);
  if (sc_peer_set_remote(c->sub, c->remote) != 0) {
    finish(c, true, "subscribe offer not usable");
    return;
  }
  sc_local_desc local = {sc_peer_ufrag(c->sub), sc_peer_pwd(c->sub), sc_peer_fingerprint(c->sub),
                         0, (uint32_t)version};
  size_t cap = SC_SDP_ANSWER_CAP(c->remote->n_media);
  char *answer = malloc(cap);
  if (!answer || sc_sdp_build_subscribe_answer(c->remote, &local, answer, cap) < 0) {
    free(answer);
    finish(c, true, "could not answer the subscribe offer");
    return;
  }
  send_msg(c, sc_msg_subscribe_answer(answer, version));
  free(answer);
}

static void on_ws_text(void *ctx, const char *data, size_t len) {
  sc_client *c = ctx;
  if (c->state != ST_JOINING && c->state != ST_JOINED) return;
  static sc_server_msg m; /* large (the welcome); the loop is single-threaded */
  char err[160];
  if (sc_server_msg_parse(data, len, &m, err, sizeof err) != 0) return; /* ignored, as the page does */
  switch (m.type) {
    case SC_SRV_WELCOME:
      if (c->state == ST_JOINING) on_welcome(c, &m.u.welcome);
      break;
    case SC_SRV_PARTICIPANT_JOINED: {
      const sc_participant *p = &m.u.participant_joined;
      if (c->e2ee_on) {
        sc_e2ee_peer ep = {p->id, p->slot, p->public_key[0] ? p->public_key : NULL,
                           p->signing_key[0] ? p->signing_key : NULL};
        sc_e2ee_joined(c->e2ee, &ep);
      }
      if (c->cb.on_participant && strcmp(p->id, c->self_id) != 0)
        c->cb.on_participant(c->ctx, p->id, p->name, true);
      break;
    }
    case SC_SRV_PARTICIPANT_LEFT:
      if (c->e2ee_on) sc_e2ee_left(c->e2ee, m.u.participant_left.participant_id);
      if (c->cb.on_participant && strcmp(m.u.participant_left.participant_id, c->self_id) != 0)
        c->cb.on_participant(c->ctx, m.u.participant_left.participant_id, "", false);
      break;
    case SC_SRV_PUBLISH_ANSWER:
      on_publish_answer(c, m.u.publish_answer.sdp, m.u.publish_answer.sdp_len);
      break;
    case SC_SRV_SUBSCRIBE_OFFER:
      on_subscribe_offer(c, m.u.subscribe_offer.sdp, m.u.subscribe_offer.sdp_len,
                         m.u.subscribe_offer.version);
      break;
    case SC_SRV_RELAY:
      if (c->e2ee_on)
        sc_e2ee_relay(c->e2ee, m.u.relay.from, m.u.relay.payload, m.u.relay.payload_len);
      break;
    case SC_SRV_ERROR:
      /* Fatal errors are followed by the server closing the socket; keep
       * the words for on_closed. */
      snprintf(c->reason, sizeof c->reason, "%s: %.180s", m.u.error.code, m.u.error.message);
      break;
    default:
      break;
  }
  sc_server_msg_free(&m);
}

static void on_ws_open(void *ctx) {
  sc_client *c = ctx;
  send_msg(c, sc_msg_join(c->room, c->name, c->token, sc_e2ee_public_key_b64(c->e2ee),
                          sc_e2ee_signing_key_b64(c->e2ee)));
  c->welcome_due = uv_now(c->loop) + c->answer_timeout_ms;
}

static void on_ws_close(void *ctx, int code, const char *reason) {
  sc_client *c = ctx;
  c->ws = NULL;
  if (c->state == ST_CLOSING) {
    c->pending_closes--;
    maybe_closed(c);
    return;
  }
  char last[sizeof c->reason];
  snprintf(last, sizeof last, "%s", c->reason);
  finish(c, true, "%s", last[0] ? last : reason[0] ? reason : "connection closed");
}

/* ---- public API -------------------------------------------------------- */

sc_client *sc_client_new(uv_loop_t *loop, const sc_client_config *cfg, const sc_client_callbacks *cb,
                         void *ctx) {
  if (!loop || !cfg || !cfg->url || !cfg->room || !cfg->name || !cb) return NULL;
  sc_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->loop = loop;
  c->cb = *cb;
  c->ctx = ctx;
  c->url = strdup(cfg->url);
  c->room = strdup(cfg->room);
  c->name = strdup(cfg->name);
  c->token = dup_or_null(cfg->token);
  c->require_e2ee = cfg->require_e2ee;
  c->receive = cfg->receive;
  c->packets_only = cfg->packets_only;
  c->udp_mux = cfg->udp_mux;
  c->answer_timeout_ms = cfg->answer_timeout_ms ? cfg->answer_timeout_ms : ANSWER_TIMEOUT_MS;
  c->audio_level = -1;
  sc_ssrc_index_clear(&c->track_index);
  c->remote = calloc(1, sizeof *c->remote);
  c->framebuf = malloc(MAX_FRAME + SC_E2EE_OVERHEAD);
  c->cert = dtls_cert_generate();
  sc_e2ee_callbacks ecb = {e2ee_now,       e2ee_send_relays,      e2ee_broadcast,
                           e2ee_on_frame,  e2ee_on_verify,        e2ee_on_alarm,
                           NULL,           e2ee_request_keyframe, e2ee_request_remote_keyframe};
  c->e2ee = sc_e2ee_new(&ecb, c);
  if (!c->url || !c->room || !c->name || (cfg->token && !c->token) || !c->remote || !c->framebuf ||
      !c->cert || !c->e2ee || sr_srtp_global_init() != 0) {
    sc_client_free(c);
    return NULL;
  }
  return c;
}

int sc_client_connect(sc_client *c) {
  if (!c || c->state != ST_NEW) return -1;
  if (uv_timer_init(c->loop, &c->tick) != 0) return -1;
  c->tick.data = c;
  c->tick_open = true;
  uv_timer_start(&c->tick, on_tick, TICK_MS, TICK_MS);
  sc_ws_callbacks wcb = {on_ws_open, on_ws_text, on_ws_close};
  c->ws = sc_ws_connect(c->loop, c->url, &wcb, c);
  if (!c->ws) {
    c->tick_open = false;
    uv_close((uv_handle_t *)&c->tick, NULL);
    return -1;
  }
  c->state = ST_JOINING;
  return 0;
}

int sc_client_publish(sc_client *c, bool audio, bool video) {
  if (!c || c->state != ST_JOINED || c->pub || (!audio && !video)) return -1;
  c->pub = make_peer(c, false);
  if (!c->pub) return -1;
  sc_publish_params *p = &c->pub_params;
  if (sc_outbound_start(&c->out, c->pub, audio, video, 36, p) != 0) return -1;
  if (video && c->simulcast >= 2 && sc_outbound_simulcast(&c->out, c->pub, c->simulcast, p) != 0) return -1;
  p->remb = true;
  if (audio && c->audio_level >= 0) p->audio_level_ext = 1; /* packets carry it once the answer takes it */
  c->out.audio_level = c->audio_level;
  char offer[SC_SDP_OFFER_CAP];
  if (sc_sdp_build_publish_offer(p, offer, sizeof offer) < 0) return -1;
  c->pub_audio = audio;
  c->pub_video = video;
  c->answer_due = uv_now(c->loop) + c->answer_timeout_ms;
  return send_msg(c, sc_msg_publish_offer(offer));
}

int sc_client_set_audio_level(sc_client *c, int level) {
  if (!c || level < -1 || level > 127) return -1;
  c->audio_level = level;
  c->out.audio_level = level;
  return 0;
}

_Static_assert(SC_CLIENT_MAX_LAYERS == SC_MAX_LAYERS, "the public and the internal limits agree");

int sc_client_set_simulcast(sc_client *c, int layers) {
  if (!c || c->pub || layers < 0 || layers > SC_MAX_LAYERS) return -1;
  c->simulcast = layers >= 2 ? layers : 0;
  return 0;
}

int sc_client_set_video_quality(sc_client *c, const char *participant_id, const char *quality) {
  if (!c || c->state != ST_JOINED) return -1;
  char *m = sc_msg_video_quality(participant_id, quality);
  return m ? send_msg(c, m) : -1;
}

static int send_frame(sc_client *c, sc_media_kind kind, int layer, const uint8_t *frame, size_t len,
                      bool keyframe, uint64_t capture_us) {
  if (!c || c->state != ST_JOINED || !c->pub || (kind != SC_MEDIA_AUDIO && kind != SC_MEDIA_VIDEO))
    return -1;
  if (kind == SC_MEDIA_AUDIO ? !c->pub_audio : !c->pub_video) return -1;
  if (kind == SC_MEDIA_VIDEO && (layer < 0 || layer >= c->out.n_layers)) return -1;
  if (len > MAX_FRAME) return -1;
  if (!c->pub_connected) return 0; /* nowhere to send yet: dropped, as a browser would */
  uint32_t media_ts = sc_outbound_media_ts(&c->out, kind, capture_us);

  const uint8_t *wire = frame;
  size_t wire_len = len;
  if (c->e2ee_on) {
    int rc = sc_e2ee_encrypt(c->e2ee, kind == SC_MEDIA_VIDEO ? SRE_CODEC_VP8 : SRE_CODEC_OPUS,
                             keyframe, frame, len, c->framebuf, MAX_FRAME + SC_E2EE_OVERHEAD,
                             &wire_len);
    if (rc != SRE_OK) return 0; /* not ready (no key yet, rotation due): dropped, counted there */
    wire = c->framebuf;
    c->stats.e2ee_encrypted++;
  }
  if (sc_outbound_send(&c->out, c->pub, kind, layer, wire, wire_len, keyframe, media_ts) != 0) return -1;
  c->stats.frames_sent[kind]++;
  c->stats.bytes_sent[kind] += len;
  return 0;
}

int sc_client_send_frame(sc_client *c, sc_media_kind kind, const uint8_t *frame, size_t len,
                         bool keyframe, uint64_t capture_us) {
  return send_frame(c, kind, c && kind == SC_MEDIA_VIDEO ? c->out.n_layers - 1 : 0, frame, len, keyframe,
                    capture_us);
}

int sc_client_send_video_layer(sc_client *c, int layer, const uint8_t *frame, size_t len, bool keyframe,
                               uint64_t capture_us) {
  return send_frame(c, SC_MEDIA_VIDEO, layer, frame, len, keyframe, capture_us);
}

int64_t sc_client_packet_time_us(const sc_client *c) { return c ? c->packet_time_us : 0; }

const char *sc_client_security_code(const sc_client *c) { return c ? c->code : ""; }

void sc_client_get_stats(const sc_client *c, sc_client_stats *out) {
  memset(out, 0, sizeof *out);
  if (!c) return;
  *out = c->stats;
  sc_peer_stats_add(c->pub, out, false);
  sc_peer_stats_add(c->sub, out, false);
  if (c->e2ee) {
    sc_e2ee_stats es;
    sc_e2ee_stats_get(c->e2ee, &es);
    out->e2ee_encrypted = es.encrypted_audio + es.encrypted_video;
    out->e2ee_decrypted = es.decrypted_audio + es.decrypted_video;
  }
}

void sc_client_leave(sc_client *c) {
  if (!c) return;
  if (c->state == ST_NEW) {
    c->state = ST_CLOSED;
    return;
  }
  finish(c, false, "left");
}

void sc_client_free(sc_client *c) {
  if (!c) return;
  for (int i = 0; i < MAX_TRACKS; i++)
    if (c->tracks[i].used) track_clear(&c->tracks[i]);
  sc_e2ee_free(c->e2ee);
  dtls_cert_free(c->cert);
  free(c->remote);
  if (c->framebuf) OPENSSL_cleanse(c->framebuf, MAX_FRAME + SC_E2EE_OVERHEAD);
  free(c->framebuf);
  if (c->token) OPENSSL_cleanse(c->token, strlen(c->token));
  free(c->url);
  free(c->room);
  free(c->name);
  free(c->token);
  OPENSSL_cleanse(c->out.buf, sizeof c->out.buf);
  free(c);
}
