/* The SFU as seen from the control plane. Media workers, one thread per
 * core by default, each with its own libuv loop and its own UDP port (and
 * ICE-TCP listener on the same number), own the media transports (one per
 * peer connection: ICE-lite, DTLS, SRTP). A room lives on one worker: the
 * control plane places it (sfu_place_room) and creates its transports there;
 * a transport's id names its worker. The control plane creates and
 * configures transports through messages (sfu_* below, any time on the
 * control thread) and hears back through sfu_event callbacks on its own
 * loop. Nothing here is called per packet. */
#ifndef SEALROOM_SFU_H
#define SEALROOM_SFU_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ice/ice.h"

#define SFU_MAX_TRACKS_PER_TRANSPORT 8
#define SFU_MAX_SUBSCRIPTIONS 512
#define SFU_DELAY_BUCKETS 20    /* forward-delay histogram (sfu_stats), as net/udp.h's hold buckets */
#define SFU_MAX_TCP_CONNS 1024 /* ICE-TCP connections at once, per worker (descriptors the process must keep for them) */
#define SFU_MAX_WORKERS 64

typedef struct {
  char listen_ip[64];          /* bind address of the media socket */
  char announce_ip[64];        /* address put in ICE candidates */
  int port;                    /* worker i's port is port + i; 0: any free ports */
  int workers;                 /* media worker threads, 1..SFU_MAX_WORKERS */
  uint64_t max_video_bitrate;  /* bps, sent to publishers as REMB */
  int max_transports;          /* the transport pool, for all workers (SFU_FULL beyond) */
  bool ice_tcp;                /* also accept ICE-TCP on the media port's number (sfu/tcp.h) */
  int loudest_audio;           /* forward only the N loudest audio streams of a room (sfu/loudest.h); 0: all */
  /* Test hooks (sfu/tap.h): inert unless test_mode. */
  bool test_mode;
  char capture_dir[512];       /* "" = no capture; see docs/operations.md */
  int test_tamper;             /* alter every Nth audio packet (0 = never) */
  int test_uplink_loss;        /* drop this percentage of what publishers send (0 = none) */
  bool test_no_udp;            /* offer no UDP candidate, drop every UDP datagram (a firewall) */
} sfu_config;

typedef enum { SFU_AUDIO = 0, SFU_VIDEO = 1 } sfu_kind;

#define SFU_MAX_LAYERS 3 /* simulcast encodings per video track */
#define SFU_RID_MAX 16

/* One track a publisher sends, as negotiated in its publish answer. A
 * simulcast video track (n_layers >= 2) sends one RTP stream per encoding,
 * lowest first in rids; their SSRCs are learnt from the rtp-stream-id
 * extension (ext_rid) of the first authenticated packets, and ssrc is the
 * one its subscribers see (the control plane chose it). */
typedef struct {
  uint32_t ssrc;
  sfu_kind kind;
  uint8_t pt;              /* the publisher's payload type for the codec */
  uint8_t ext_audio_level; /* the publisher's extension id, 0 if none */
  uint8_t ext_twcc;        /* the transport-wide sequence number's id, 0 if none */
  uint8_t ext_abs_send_time; /* the publisher's send-time extension id, 0 if none */
  uint8_t ext_rid;           /* rtp-stream-id extension id (simulcast), 0 if none */
  uint8_t n_layers;          /* simulcast encodings, 0 (or 1) without */
  char rids[SFU_MAX_LAYERS][SFU_RID_MAX + 1];
  uint8_t ext_mid;           /* the sdes:mid extension id, 0 if none: tells whose rids a packet names */
  char mid[33];
} sfu_track;

typedef enum { SFU_EV_CONNECTED = 1, SFU_EV_CLOSED } sfu_event_type;
typedef struct {
  sfu_event_type type;
  uint32_t transport;
  char reason[32]; /* for SFU_EV_CLOSED: "ice-timeout", "dtls-failed", ... */
} sfu_event;
typedef void (*sfu_event_fn)(void *ctx, const sfu_event *ev);

/* Counters for /metrics, read from the control thread. */
typedef struct {
  uint64_t packets_in, bytes_in, packets_out, bytes_out;
  uint64_t nacks_received, nacks_sent, retransmits, plis_received, plis_sent;
  uint64_t dropped, malformed, srtp_errors, transports;
  uint64_t tcp_open, tcp_refused, tcp_closed_bad, tcp_dropped;
  /* Loudest audio: packets not forwarded because their stream was not among
   * the room's N loudest; streams that took a place from another. */
  uint64_t audio_not_loudest, audio_switches;
  /* Simulcast: down tracks that took up an encoding (at its key frame);
   * the bandwidth allocator's steps down (congestion) and up (probing). */
  uint64_t layer_switches, alloc_steps_down, alloc_steps_up;
  /* Forwarded RTP: from the kernel's arrival time of the publisher's packet
   * (the time it was read, for ICE-TCP) to the hand-off of each copy to the
   * kernel; copies sent over UDP only, and only those sent (not those
   * dropped for a full socket). forward_delay[i] counts the holds in
   * (sfu_delay_bound_us(i - 1), sfu_delay_bound_us(i)]: per bucket, not
   * cumulative. */
  uint64_t forward_delay[SFU_DELAY_BUCKETS], forward_delay_sum_us;
} sfu_stats;

typedef struct sfu sfu;

/* Upper bound of forward-delay bucket i in microseconds; -1 for the last
 * (+Inf). */
int64_t sfu_delay_bound_us(int i);

/* Starts the worker. NULL (logged) if the port cannot be bound. */
sfu *sfu_start(uv_loop_t *control, const sfu_config *cfg, sfu_event_fn fn, void *ctx);
/* Sets the context passed to the event callback (after sfu_start). */
void sfu_set_event_ctx(sfu *s, void *ctx);
/* Stops the worker thread and frees everything. */
void sfu_stop(sfu *s);
int sfu_workers(const sfu *s);
/* Worker w's UDP port (and ICE-TCP port number). */
int sfu_port(const sfu *s, int w);
const char *sfu_announce_ip(const sfu *s);
const char *sfu_fingerprint(const sfu *s); /* "AB:CD:..." of the DTLS certificate */
/* The host candidates to announce: SDP_CAND_UDP and/or SDP_CAND_TCP (sdp/sdp.h). */
uint8_t sfu_candidates(const sfu *s);
/* All workers' counters added up; one worker's (0 <= w < sfu_workers). */
void sfu_get_stats(const sfu *s, sfu_stats *out);
void sfu_get_worker_stats(const sfu *s, int w, sfu_stats *out);
/* Rooms on worker w (placed and not yet released). */
int sfu_worker_rooms(const sfu *s, int w);
/* Transports the pool can still take (--max-transports minus those open). */
int sfu_transports_free(const sfu *s);

/* What a transport call answers at once. The worker carries the command out
 * later: SFU_OK means it is queued, and what then becomes of the transport
 * (connected, or closed: ICE consent lost, DTLS failed, or the pool filled
 * up before the command arrived) comes as an sfu_event. */
typedef enum {
  SFU_OK = 0,
  SFU_FULL,         /* the transport pool (--max-transports) is full */
  SFU_BAD_ARGUMENT, /* transport id 0, a missing pointer, a count out of range */
  SFU_INTERNAL,     /* out of memory or no randomness (logged): nothing was queued */
} sfu_status;

/* Rooms. A room lives on one worker while it has anyone in it: the worker
 * with the fewest transports and rooms (a room just placed counts before its
 * transports exist), ties taken in turn. Every transport of the room is
 * created there, so forwarding never crosses threads. */
int sfu_place_room(sfu *s);
void sfu_release_room(sfu *s, int w);

/* Transports. Ids are never 0. Credentials are made here and returned for
 * the SDP; *id is 0 unless SFU_OK. w is the room's worker (sfu_place_room). */
sfu_status sfu_transport_create(sfu *s, int w, char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1], uint32_t *id);
/* The worker a transport lives on. */
int sfu_transport_worker(uint32_t id);
/* The peer's ICE ufrag (up to ICE_MAX_REMOTE_UFRAG) and DTLS fingerprint
 * (SHA-256) from its SDP. */
sfu_status sfu_transport_set_remote(sfu *s, uint32_t t, const char *ufrag, const uint8_t fp[32]);
/* Replaces the set of tracks this transport publishes (0..SFU_MAX_TRACKS_PER_TRANSPORT). */
sfu_status sfu_transport_publish(sfu *s, uint32_t t, const sfu_track *tracks, int n);
/* Replaces the set of published SSRCs forwarded to this transport
 * (0..SFU_MAX_SUBSCRIPTIONS). max_layers[i]: for a simulcast track, the
 * highest encoding (0 = the lowest) this subscriber wants of ssrcs[i]; the
 * SFU may forward a lower one when it cannot carry more. NULL: the highest
 * of every track. The forwarding state of SSRCs already subscribed is kept. */
sfu_status sfu_transport_subscribe(sfu *s, uint32_t t, const uint32_t *ssrcs, const uint8_t *max_layers, int n);
sfu_status sfu_transport_destroy(sfu *s, uint32_t t);
/* Test mode only (ignored otherwise): what this transport is sent goes
 * through a link of kbps (0: no limit again), sfu/shaper.h. */
sfu_status sfu_transport_test_shape(sfu *s, uint32_t t, uint32_t kbps);

#endif
