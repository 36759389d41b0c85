/* libsealroom-client: joins a sealroom room from C, as the meeting page does
 * (docs/client.md). One sc_client is one participant: a signalling WebSocket
 * (docs/signalling.md), a publish and a subscribe peer connection (ICE as the
 * controlling agent against the server's ICE-lite, DTLS client, SRTP), RTP
 * for VP8 and Opus with RTCP feedback, and, in an E2EE room, the browser's
 * E2EE protocol (docs/e2ee.md, docs/e2ee-sender-auth.md): keys exchanged over
 * the relay, every frame SFrame-encrypted and signed, the security code.
 *
 * The client runs on the caller's libuv loop and calls back on it; nothing is
 * thread-safe. The caller hands it *encoded* frames (VP8, Opus) and gets
 * encoded frames back (decrypted in E2EE rooms); encoding and decoding are the
 * caller's (sealroom-bot uses client/media/).
 *
 * Lifecycle: sc_client_new -> sc_client_connect -> on_joined -> (publish,
 * send frames, receive frames) -> sc_client_leave or a failure -> on_closed
 * (exactly once) -> sc_client_free (from on_closed or later, never before). */
#ifndef SEALROOM_CLIENT_H
#define SEALROOM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct sc_client sc_client;

/* One UDP socket for the connections of many clients of this process (load
 * generation against a server on this machine): each connection gets its own
 * address of a block of the loopback network (127.0.0.0/8 is all local on
 * Linux), one socket bound to 0.0.0.0 reads everything in batches. Without
 * it every connection has its own socket. client/udp_mux.h has the details. */
typedef struct sc_udp_mux sc_udp_mux;

/* first: the block's first IPv4 address, e.g. "127.1.0.1" (in 127.0.0.0/8);
 * count: its size, 1..65536 (addresses are used in turn round the block).
 * NULL on failure. */
sc_udp_mux *sc_udp_mux_new(uv_loop_t *loop, const char *first, int count);
/* Reads the socket every ms milliseconds instead of when it is readable
 * (0: when readable, the default). For a load generator: a tick reads
 * whatever a millisecond brought in a few large batches, with no wake-up
 * per burst (on loopback each wake-up also costs the sending server);
 * arrival times stay the kernel's, so delay figures do not move. 0, or -1
 * when the receive buffer the system granted could not hold 2 MB per tick
 * (not root: net.core.rmem_max); it then stays as it was. */
int sc_udp_mux_read_every(sc_udp_mux *m, unsigned ms);
/* Datagrams the kernel dropped on the shared socket for a full receive
 * buffer (SO_RXQ_OVFL): losses of ours, not the server's. */
uint64_t sc_udp_mux_drops(const sc_udp_mux *m);
/* Closes the socket once every connection attached to it is gone: call it
 * after the last client using it was freed; the memory is freed from the
 * loop. NULL is ok. */
void sc_udp_mux_close(sc_udp_mux *m);

typedef enum { SC_MEDIA_AUDIO = 0, SC_MEDIA_VIDEO = 1 } sc_media_kind;
#define SC_CLIENT_MAX_LAYERS 3 /* simulcast encodings (sc_client_set_simulcast) */

typedef struct {
  const char *url;   /* signalling WebSocket, e.g. "ws://127.0.0.1:8080/ws" */
  const char *room;  /* room id or friendly_url */
  const char *name;  /* display name, 1-64 characters */
  const char *token; /* join token (JWT), NULL for a public room */
  /* Require E2EE: a welcome for a room that is not E2EE ends the call (as a
   * #e2ee link does in the page). In an E2EE room E2EE is always on. */
  bool require_e2ee;
  /* Hand the others' whole frames to on_frame (assembled, decoded-ready).
   * Off: media is received (the subscribe connection is always answered,
   * RTCP flows) but not assembled. */
  bool receive;
  /* Load generation (sealroom-load): every incoming RTP packet goes to
   * on_packet as it arrives, after SRTP; nothing is assembled or decrypted. */
  bool packets_only;
  /* How long to wait for the server's welcome after join, and for its
   * publish_answer after a publish offer, before ending the call with an
   * error ("timeout: ..."). 0: 15 s. */
  unsigned answer_timeout_ms;
  /* The connections' UDP: NULL, a socket each; or a shared socket (above),
   * which must outlive the client. */
  sc_udp_mux *udp_mux;
} sc_client_config;

typedef struct {
  /* The server admitted us. e2ee: the room encrypts end to end. */
  void (*on_joined)(void *ctx, const char *participant_id, bool e2ee);
  /* Another participant came (joined = true) or went. */
  void (*on_participant)(void *ctx, const char *id, const char *name, bool joined);
  /* The publish connection carries media (ICE, DTLS and SRTP done). */
  void (*on_publishing)(void *ctx);
  /* One complete encoded frame of another participant (decrypted and
   * sender-verified in an E2EE room). rtp_ts: its RTP timestamp (90 kHz for
   * video, 48 kHz for audio). Valid during the call only. */
  void (*on_frame)(void *ctx, const char *from_id, sc_media_kind kind, uint32_t rtp_ts, bool keyframe,
                   const uint8_t *data, size_t len);
  /* packets_only: one RTP packet of another participant's track, as the
   * SFU sent it (payload = the RTP payload, VP8 descriptor included). */
  void (*on_packet)(void *ctx, const char *from_id, sc_media_kind kind, uint16_t seq, uint32_t rtp_ts,
                    bool marker, const uint8_t *payload, size_t len);
  /* The server or a receiver asks for a video key frame (of whichever
   * encoding: with simulcast, on_layer_keyframe_request if set). */
  void (*on_keyframe_request)(void *ctx);
  /* Simulcast (sc_client_set_simulcast): a key frame of encoding `layer`
   * (0 = the lowest) is wanted. NULL: on_keyframe_request instead. */
  void (*on_layer_keyframe_request)(void *ctx, int layer);
  /* E2EE: the security code over the members whose keys we hold; complete
   * once every member's sealed name arrived (compare it with the others). */
  void (*on_security_code)(void *ctx, const char *code, bool complete);
  /* E2EE: the server tried something the protocol refuses (docs/e2ee.md:
   * 'key_changed', 'rejoined', 'left_unverified'). */
  void (*on_alarm)(void *ctx, const char *participant_id, const char *reason);
  /* The call ended: error is false after sc_client_leave, true otherwise;
   * reason says why in words (e.g. "room_not_found: ...", "media_failed"):
   * printable ASCII only (the server's words are cleaned), safe to print. */
  void (*on_closed)(void *ctx, bool error, const char *reason);
} sc_client_callbacks;

/* NULL on failure (bad config, out of memory). Copies the config. */
sc_client *sc_client_new(uv_loop_t *loop, const sc_client_config *cfg, const sc_client_callbacks *cb,
                         void *ctx);

/* Opens the WebSocket and joins. 0, or -1 (then on_closed is not called). */
int sc_client_connect(sc_client *c);

/* Publishes an Opus audio and/or a VP8 video track (after on_joined). The
 * call makes the publish connection; frames sent before on_publishing are
 * dropped (and counted). 0, or -1 (not joined, already publishing). */
int sc_client_publish(sc_client *c, bool audio, bool video);

/* The RFC 6464 audio level (0 = 0 dBov, the loudest, .. 127 = silence) put
 * in our audio packets from now on; -1: none. A level set before
 * sc_client_publish makes the publish offer declare the extension (the SFU
 * ranks such tracks by it: --loudest-audio); without one, packets never
 * carry it. The caller says how loud its audio is (the bot claims it; a
 * browser measures it). 0, or -1 (level out of range). */
int sc_client_set_audio_level(sc_client *c, int level);

/* Simulcast: publish our video in `layers` encodings (2 or 3, lowest
 * first, named by RID; 0 or 1: one encoding, the default), each fed by
 * sc_client_send_video_layer with a frame of its own (the caller encodes
 * each size). The SFU forwards each subscriber one of them. Before
 * sc_client_publish. 0, or -1 (already publishing, out of range). */
int sc_client_set_simulcast(sc_client *c, int layers);
/* Asks the SFU for at most this encoding of another participant's camera:
 * quality "low", "medium" or "high" (signalling `video_quality`), as the
 * meeting page does for small tiles. 0, or -1 (not joined, bad
 * arguments). */
int sc_client_set_video_quality(sc_client *c, const char *participant_id, const char *quality);
/* Sends one encoded frame of our own track: Opus (one 20 ms packet) or VP8
 * (with simulcast, to the highest encoding).
 * capture_us: capture time in microseconds on any monotonic clock (gives the
 * RTP timestamp). In an E2EE room the frame is encrypted and signed first.
 * 0, or -1 (not publishing that kind, frame too large). */
int sc_client_send_frame(sc_client *c, sc_media_kind kind, const uint8_t *frame, size_t len, bool keyframe,
                         uint64_t capture_us);
/* One VP8 frame of encoding `layer` (0 .. layers - 1 of
 * sc_client_set_simulcast; 0 without simulcast), as sc_client_send_frame. */
int sc_client_send_video_layer(sc_client *c, int layer, const uint8_t *frame, size_t len, bool keyframe,
                               uint64_t capture_us);

/* During on_packet: when the kernel received that packet, in CLOCK_REALTIME
 * microseconds (SO_TIMESTAMPNS; the time it was read if the kernel gave
 * none). For one-way delay figures that leave out the receiver's own loop
 * latency. 0 outside on_packet. */
int64_t sc_client_packet_time_us(const sc_client *c);

/* The current security code ("" before one is known, or in a plain room). */
const char *sc_client_security_code(const sc_client *c);

/* Per-call counters. */
typedef struct {
  uint64_t frames_sent[2], bytes_sent[2];         /* by sc_media_kind */
  uint64_t frames_received[2], bytes_received[2]; /* complete frames handed to on_frame */
  uint64_t packets_received[2], packets_lost[2];  /* RTP, all remote streams */
  uint64_t nacks_sent, nacks_received, plis_sent, plis_received, retransmitted;
  double jitter_ms[2];                            /* largest interarrival jitter */
  uint64_t e2ee_encrypted, e2ee_decrypted, e2ee_dropped;
} sc_client_stats;

void sc_client_get_stats(const sc_client *c, sc_client_stats *out);

/* Leaves politely (signalling `leave`, DTLS close_notify) and closes
 * everything; on_closed(error = false) follows. Harmless twice. */
void sc_client_leave(sc_client *c);

/* Frees a client whose on_closed has been called (or that never connected).
 * Wipes every secret. NULL is ok. */
void sc_client_free(sc_client *c);

#endif
