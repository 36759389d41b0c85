/* Private to src/signal: sessions, live rooms and participants. The files
 * stand in layers, each calling only those below it:
 *   signal.c    the server, sessions' lifecycle, message checks and limits,
 *               dispatch to meeting.c
 *   meeting.c   live rooms: joins, rosters, negotiation with the SFU, relays
 *   layers.c    which simulcast encodings publishers are asked to send
 *   testhooks.c test mode only: the hostile server on request
 *   session.c   what is said on a session: messages, errors, closing errors
 *   ws.c, admission.c, slots.c   WebSocket connections, join admission,
 *               sender slots (each with its own header) */
#ifndef SEALROOM_SIGNAL_INTERNAL_H
#define SEALROOM_SIGNAL_INTERNAL_H

#include <jansson.h>

#include "core/bucket.h"
#include "sdp/sdp.h"
#include "signal/signal.h"
#include "signal/admission.h"
#include "signal/slots.h"
#include "signal/ws.h"

#define MAX_PUB_TRACKS 4
#define MAX_SUB_LINES 256 /* = SDP_MAX_MEDIA: 128 remote participants with audio and video */
#define NAME_MAX_CHARS 64
#define MAX_VIDEO_PREFS 128 /* = MAX_SUB_LINES / 2: one per remote participant with video */

typedef struct session session;
typedef struct participant participant;
typedef struct live_room live_room;

/* What a published track carries: the page labels a screen share in its
 * publish_offer ("sources"); the rest follows from the kind. */
typedef enum { SOURCE_MICROPHONE, SOURCE_CAMERA, SOURCE_SCREEN } track_source;

typedef struct {
  sfu_kind kind;
  track_source source;
  char mid[33];
  uint32_t ssrc;
  bool muted;
  bool simulcast; /* ssrc is the one the server chose (its encodings' are learnt by the SFU) */
  sfu_track sfu;  /* as given to the media worker (to publish the rest again without it) */
  /* A simulcast camera (layers.c): the publisher was asked to send its
   * encodings 0..layers_on; since lower_since_ms (0: not) fewer would do. */
  uint8_t layers_on;
  uint64_t lower_since_ms;
} pub_track;

/* What a subscriber said it wants of one publisher's camera (video_quality). */
typedef struct {
  char participant_id[UUID_STR_LEN];
  uint16_t slot; /* that participant's: layers.c counts by slot */
  uint8_t layer;
} video_pref;

struct participant {
  char id[UUID_STR_LEN];
  uint16_t slot;          /* E2EE sender slot: unique among the members; reused only 10 s after a leave (slots.h) */
  char public_key[64];    /* base64 X25519 public key from join ("" if none) */
  char signing_key[64];   /* base64 Ed25519 public key from join ("" if none; sender authentication) */
  char name[NAME_MAX_CHARS * 4 + 1];
  role r;
  live_room *room;
  session *sess;
  participant *next; /* in the room */
  /* publish connection */
  uint32_t pub_transport;
  char pub_ufrag[ICE_UFRAG_LEN + 1], pub_pwd[ICE_PWD_LEN + 1];
  pub_track tracks[MAX_PUB_TRACKS];
  int n_tracks;
  bool audio_muted, video_muted;
  /* subscribe connection: one m-line per remote track, slots reused */
  uint32_t sub_transport;
  char sub_ufrag[ICE_UFRAG_LEN + 1], sub_pwd[ICE_PWD_LEN + 1];
  bool sub_remote_set;
  sdp_sub_line *lines; /* MAX_SUB_LINES */
  int n_lines;
  int sub_version;
  bool awaiting_answer, dirty;
  uint64_t offer_sent_ms;
  /* The video quality asked for per publisher (video_quality): the highest
   * simulcast encoding wanted; publishers not listed: the highest. */
  video_pref video_prefs[MAX_VIDEO_PREFS];
  int n_video_prefs, next_video_pref; /* next_video_pref: the oldest entry, once full */
  bool quality_said;  /* it sent video_quality at least once */
  uint64_t joined_ms;
};

struct live_room {
  room settings; /* as stored when the first participant joined; refreshed on each join */
  char session_id[UUID_STR_LEN]; /* new each time the room fills from empty */
  slot_pool slots; /* sender slots of this session (slots.h) */
  bucket joins; /* joins per second into this room (--room-join-rate) */
  participant *members;
  int count;
  int media_worker; /* the SFU worker that carries this room's media (sfu_place_room) */
  bool layers_pending; /* layers.c has something to settle at the next check */
  live_room *next;
};

#define MAX_WELCOME_PATCHES 64

/* A pending test-mode welcome patch (testhooks.c). */
typedef struct {
  char room_id[UUID_STR_LEN];
  json_t *patch;
} welcome_patch;

struct signal_server {
  uv_loop_t *loop;
  const config *cfg;
  store *db;
  sfu *media;
  ws_server ws;
  session *sessions;
  live_room *rooms;
  uv_timer_t sweep;
  signal_stats stats;
  bool stopping, timer_closing, timer_closed;
  void (*on_stopped)(void *ctx);
  void *stopped_ctx;
  admission admit;       /* joins per client address */
  admission admit_token; /* joins per join token (by its signature) */
  welcome_patch patches[MAX_WELCOME_PATCHES]; /* test mode only */
  int n_patches;
};

/* What one participant may make the server send to others (relay_all and
 * chat: bytes times recipients). A 100-person E2EE room's statements (about
 * 600 B to 99 others 20 times a second) need about 1.2 MB/s; a flood of
 * 16 KiB relay_all to a full room would otherwise be serialised and queued
 * for every member, faster than they can read. */
#define FANOUT_RATE (4.0 * 1024 * 1024)
#define FANOUT_BURST (8.0 * 1024 * 1024)

struct session {
  signal_server *srv;
  ws_conn *ws;
  session *next;
  participant *p;      /* NULL until joined */
  uint64_t opened_ms;
  bucket messages; /* every message (MSG_RATE, signal.c) */
  bucket relays;   /* relays and chat on top (RELAY_RATE) */
  bucket bytes;    /* bytes of every message (BYTE_RATE): parsing costs by the byte */
  bucket fanout;   /* bytes this session makes the server send to others (FANOUT_RATE) */
  bucket publishes; /* publish_offers (PUBLISH_RATE): each renegotiates with the whole room */
  size_t prejoin_bytes; /* received before joining, at most PREJOIN_MAX_BYTES in all */
  int bad_in_a_row;
  int limited_in_a_row;
  bool closing;
  char client_ip[64];
  char client_key[64]; /* for per-address limits (net/addr.h: an IPv6 /64 is one client) */
};

/* session.c */
void session_send(session *s, json_t *msg); /* steals msg */
/* Sends an already serialised message (one serialisation for many recipients). */
void session_send_text(session *s, const char *text, size_t len);
/* {"type": "error", "code", "message"}; the session goes on. */
void session_error(session *s, const char *code, const char *message);
/* The error, then the socket closes (1008). */
void session_fail(session *s, const char *code, const char *message);
/* As session_fail, the error saying when to try again: "retry_after_ms". */
void session_refuse(session *s, const char *code, const char *message, uint64_t retry_ms);

/* testhooks.c (test mode only) */
/* Merges and drops the pending patch for room_id into welcome, if any. */
void testhooks_patch_welcome(signal_server *srv, const char *room_id, json_t *welcome);
void testhooks_free(signal_server *srv);

/* layers.c: which simulcast encodings publishers are asked to send */
/* The highest encoding p wants of publisher `from`'s camera (video_quality;
 * the highest if p said nothing of it). */
uint8_t layers_wanted_by(const participant *p, const char *from);
/* A member that counts (it said what it wants) wants `layer` of pub's
 * camera: asked for at once if pub does not send it; a lower wish is
 * settled at the next check. */
void layers_wish(participant *pub, uint8_t layer);
/* Once a second: settles the rooms where something changed or is pending. */
void layers_check(signal_server *srv);
/* p leaves: what the others said of it goes (its slot may be handed out
 * again). */
void layers_forget(live_room *lr, const participant *p);
/* A track was (re)published: what its publisher was asked before, if the
 * same m-line was in `before`, else that it sends every encoding. */
void layers_published(pub_track *t, const pub_track *before, int n_before);

/* meeting.c */
void meeting_join(signal_server *srv, session *s, const json_t *msg);
void meeting_leave(signal_server *srv, participant *p);
void meeting_publish(signal_server *srv, participant *p, const char *sdp, json_t *sources);
void meeting_subscribe_answer(signal_server *srv, participant *p, const char *sdp, int version);
void meeting_mute(signal_server *srv, participant *p, const char *kind, bool muted);
/* "video_quality": the simulcast encoding p wants of each publisher named
 * in qualities (an object: participant id -> "low" | "medium" | "high"). */
void meeting_video_quality(signal_server *srv, participant *p, json_t *qualities);
void meeting_relay(signal_server *srv, participant *p, const char *to, json_t *payload);
/* messages: a checked, non-empty array of {"to": string, "payload"}. All
 * payloads are checked before any is sent; unknown recipients are skipped
 * and counted in one unknown_participant error. */
void meeting_relay_batch(signal_server *srv, participant *p, json_t *messages);
/* One payload to every other participant, each as an ordinary relay. */
void meeting_relay_all(signal_server *srv, participant *p, json_t *payload);
void meeting_chat(signal_server *srv, participant *p, json_t *payload);
void meeting_media_event(signal_server *srv, const sfu_event *ev);
/* Once a second: ends sessions whose client left a subscribe offer unanswered. */
void meeting_check_timeouts(signal_server *srv, uint64_t now_ms);

#endif
