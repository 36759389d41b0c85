/* A participant of a Janus VideoRoom (Janus 1.1.x, janus.plugin.videoroom),
 * for the SFU benchmark (issue 10, bench/sfu_bench.sh): the same load that
 * sealroom-load puts on sealroomd, put on Janus. Shaped like sc_client
 * (include/sealroom_client.h) and reusing its callback and stats structs, so
 * that the load tool drives both the same way.
 *
 * Protocol: Janus's REST API over plain HTTP on loopback (client/http.h),
 * as bench/janus/README.md documents it: one session per participant with a
 * long-poll GET always outstanding (GET <base>/<session>?maxev=10) and a
 * keepalive POST every 25 s; one "publisher" handle, joined to the room as a
 * publisher (its id is our participant id, and it receives the room's
 * "publishers" events even when we do not publish); and, if cfg.subscribe,
 * one "subscriber" handle that carries every other publisher of the room,
 * present and future, in one PeerConnection (Janus's multistream mode): join
 * with "streams", then "subscribe" for each publisher announced later, and
 * answer every Janus offer with "start" and our answer. trickle is false:
 * our one host candidate is in our SDP.
 *
 * Media: the same peer connections as sc_client (client/peer.h: ICE
 * controlling against Janus's ICE-lite, DTLS client, SRTP, RTCP RR/SR, NACK,
 * PLI). The publish offer says a=setup:active (Janus becomes the DTLS
 * server). Janus never uses 127.0.0.1 for media (it skips loopback
 * interfaces): its candidate is the host's own address (e.g. 192.0.2.2).
 * Our sockets are bound to cfg.media_ip, or, when that is NULL, to the
 * "local-ip" Janus reports in GET <base>/info (one request at connect).
 *
 * Always "packets only": every RTP packet of a subscribed stream goes to
 * on_packet (from_id = the publisher's Janus feed id in decimal); nothing is
 * assembled, on_frame/on_participant/on_security_code/on_alarm are never
 * called. There is no E2EE with Janus.
 *
 * Lifecycle (as sc_client): sc_janus_new -> sc_janus_connect -> on_joined ->
 * sc_janus_publish (or cfg.publish_*), sc_janus_send_frame ... ->
 * sc_janus_leave or a failure -> on_closed (exactly once) -> sc_janus_free
 * (from on_closed or later). Everything runs on the caller's libuv loop;
 * nothing is thread-safe. */
#ifndef SEALROOM_CLIENT_JANUS_H
#define SEALROOM_CLIENT_JANUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sealroom_client.h"

typedef struct sc_janus sc_janus;

typedef struct {
  /* Janus's HTTP API base URL: "http://127.0.0.1:8088/janus" (http:// only,
   * IPv4/IPv6 literal or a host name; no TLS). */
  const char *url;
  uint64_t room;        /* VideoRoom room number (must exist: sc_janus_create_room) */
  const char *name;     /* display name (any UTF-8, 1..64 bytes) */
  uint64_t feed_id;     /* our publisher id in the room; 0: Janus picks one */
  /* Publish right after joining (as if sc_janus_publish were called just
   * after on_joined returns). Both false: call sc_janus_publish yourself
   * (after on_joined), or never (a pure subscriber). */
  bool publish_audio, publish_video;
  /* Receive every other publisher of the room (present and future). */
  bool subscribe;
  /* Local IPv4 address for the media sockets and our SDP candidate; NULL:
   * Janus's own ICE address from GET <base>/info. */
  const char *media_ip;
} sc_janus_config;

/* NULL on failure (bad config, out of memory). Copies the config. cb is
 * copied; callbacks that are NULL are not called. */
sc_janus *sc_janus_new(uv_loop_t *loop, const sc_janus_config *cfg, const sc_client_callbacks *cb,
                       void *ctx);

/* Starts: (GET /info), create the session, attach, join as publisher.
 * on_joined(ctx, "<feed id>", false) follows, or on_closed(error) (e.g.
 * "janus: 426 No such room (1234)"). 0, or -1 (then on_closed is not called). */
int sc_janus_connect(sc_janus *j);

/* Publishes Opus and/or VP8 (after on_joined). on_publishing comes when the
 * PeerConnection carries media (ICE, DTLS, SRTP done); Janus announces the
 * feed to the room once it is up. 0, or -1 (not joined, already publishing,
 * neither kind). */
int sc_janus_publish(sc_janus *j, bool audio, bool video);

/* One encoded frame of our own track, as sc_client_send_frame: Opus (one
 * 20 ms packet) or VP8, RTP timestamp from capture_us; dropped (0) before
 * on_publishing. 0, or -1 (not publishing that kind, frame too large). */
int sc_janus_send_frame(sc_janus *j, sc_media_kind kind, const uint8_t *frame, size_t len,
                        bool keyframe, uint64_t capture_us);

/* Counters as sc_client_get_stats fills them (frames_received,
 * bytes_received and the e2ee_* fields stay 0; packets_received counts the
 * packets handed to on_packet). */
void sc_janus_get_stats(const sc_janus *j, sc_client_stats *out);

/* As sc_client_packet_time_us: during on_packet, the kernel's arrival time
 * of that packet (CLOCK_REALTIME microseconds); 0 outside it. */
int64_t sc_janus_packet_time_us(const sc_janus *j);

/* Our Janus feed id (0 before joined). */
uint64_t sc_janus_feed_id(const sc_janus *j);

/* Publishers currently carried by the subscription (feeds with at least
 * one active m-line in the last offer we answered). */
int sc_janus_subscribed_feeds(const sc_janus *j);

/* Leaves: closes the PeerConnections (DTLS close_notify), destroys the
 * Janus session (its handles go with it; the others see us leave), waits at
 * most 2 s for that answer; on_closed(error = false) follows. Harmless
 * twice. */
void sc_janus_leave(sc_janus *j);

/* Frees a participant whose on_closed has been called (or that never
 * connected). NULL is ok. */
void sc_janus_free(sc_janus *j);

/* Test and load-tool aids: simulate a lossy network on our publish
 * connection (drop every Nth RTP packet we send, after it is stored for
 * NACKs) and on our subscription (drop every Nth SRTP packet received);
 * 0 = none. Applies to connections made before and after the call. */
void sc_janus_simulate_loss(sc_janus *j, unsigned send_every, unsigned recv_every);

/* Sends a PLI for every subscribed video stream (Janus forwards it to the
 * publisher as a PLI: its on_keyframe_request). Returns how many were sent. */
int sc_janus_request_keyframes(sc_janus *j);

/* Creates a VideoRoom room for the benchmark with its own short-lived
 * session: publishers 1000 (Janus's default of 3 would refuse a fourth
 * publisher), bitrate 0 (no REMB), fir_freq 0, audiocodec opus, videocodec
 * vp8, no recording, not permanent, private, notify_joining false. done is
 * called once from the loop: status 0 (created, or it already existed:
 * Janus error 427), or -1 with a reason. Returns 0, or -1 (bad arguments:
 * done is not called). The room lives until Janus stops or
 * sc_janus_destroy_room. */
typedef void (*sc_janus_done_cb)(void *ctx, int status, const char *reason);
int sc_janus_create_room(uv_loop_t *loop, const char *url, uint64_t room, sc_janus_done_cb done,
                         void *ctx);
/* Destroys a room (status 0 also if there was no such room). */
int sc_janus_destroy_room(uv_loop_t *loop, const char *url, uint64_t room, sc_janus_done_cb done,
                          void *ctx);

/* ---- Janus messages, exposed for the unit tests and the fuzz target --- */

#define SC_JANUS_MAX_LISTED 256 /* publishers / streams kept from one event (more are counted) */

typedef enum {
  SC_JEV_OTHER = 0, /* anything else ("trickle", "slowlink", unknown words) */
  SC_JEV_SUCCESS,   /* synchronous result (create, attach, destroy, sync plugin requests) */
  SC_JEV_ACK,       /* asynchronous request accepted; the result comes as an event */
  SC_JEV_ERROR,     /* core error: error_code / error */
  SC_JEV_EVENT,     /* plugin event (the result of an asynchronous request, or news) */
  SC_JEV_WEBRTCUP,
  SC_JEV_MEDIA,
  SC_JEV_HANGUP,    /* error holds the reason */
  SC_JEV_DETACHED,
  SC_JEV_TIMEOUT,   /* the session timed out */
  SC_JEV_KEEPALIVE, /* the long-poll had nothing for 30 s */
} sc_janus_event_type;

typedef struct {
  char mid[33];
  uint64_t feed; /* 0 when the stream has no feed (removed, data channel) */
  bool video;    /* "type":"video" (else audio, or data when feed is 0) */
  bool active;   /* "active" (absent: true) */
} sc_janus_stream;

/* One message of Janus (a POST's answer or one long-poll event), checked:
 * ids are non-negative integers, strings bounded (longer ones cut), lists
 * bounded by SC_JANUS_MAX_LISTED. */
typedef struct {
  sc_janus_event_type type;
  uint64_t session, sender;
  char transaction[64];
  uint64_t data_id;       /* success: data.id (session or handle id) */
  int error_code;         /* core error.code or plugindata.data.error_code; 0 if none */
  char error[160];        /* its text; for hangup the reason */
  char videoroom[24];     /* plugindata.data.videoroom ("joined", "event", "attached", ...) */
  uint64_t id;            /* plugindata.data.id ("joined": our feed id) */
  uint64_t room;          /* plugindata.data.room */
  uint64_t publishers[SC_JANUS_MAX_LISTED]; /* plugindata.data.publishers[].id */
  int n_publishers, n_publishers_dropped;
  uint64_t unpublished, leaving; /* a feed that stopped / left (0 if none or "ok") */
  sc_janus_stream streams[SC_JANUS_MAX_LISTED]; /* plugindata.data.streams */
  int n_streams, n_streams_dropped;
  bool has_streams;
  bool started;           /* "started":"ok" */
  bool configured;        /* "configured":"ok" */
  char jsep_type[8];      /* "offer" / "answer" / "" */
  const char *sdp;        /* jsep.sdp, into the parsed JSON (valid while it lives), or NULL */
  size_t sdp_len;
  char local_ip[64];      /* server_info: "local-ip" */
} sc_janus_event;

/* Parses one message (a JSON object, from jansson: json_t *). Returns 0, or
 * -1 if it is not an object with a "janus" string. out->sdp points into obj. */
int sc_janus_event_parse(const void *json_obj, sc_janus_event *out);

#endif
