/* RTP media for the native client (libsealroom-client): what turns encoded
 * frames into RTP packets and RTP packets back into frames. No sockets, no
 * SRTP here: the caller (client/peer.c) protects what the packetizers write
 * and hands in what it has unprotected and parsed with rtp_parse().
 *
 * - sc_rtp_writer: one outgoing RTP stream (SSRC, payload type, random first
 *   sequence number and timestamp, RFC 3550 5.1 and 8), writing the 12-byte
 *   header (plus an optional RFC 6464 audio level extension) into a caller
 *   buffer.
 * - sc_vp8_packetizer: RFC 7741 payload descriptor with X=1, I=1 and a
 *   15-bit PictureID (M=1), S=1 and PID 0 on the first packet of a frame,
 *   N=1 for frames the encoder marked droppable, marker on the last packet.
 *   The frame is opaque (it may be an SFrame-encrypted frame, docs/e2ee.md
 *   5): it is only split, never parsed.
 * - sc_opus_packetizer: RFC 7587, one Opus frame per packet.
 * - sc_vp8_assembler: the depacketizer for one incoming VP8 SSRC. Takes
 *   packets in any order (duplicates, losses), hands out whole frames in
 *   order through a callback, and asks for a key frame (the caller sends a
 *   PLI) when a frame cannot be completed; bounded memory, allocated once.
 * - sc_opus_depacketizer: one incoming Opus SSRC: payload = frame, late and
 *   duplicate packets dropped, losses counted.
 *
 * Buffers: every packet written here is at most SC_RTP_MAX_HEADER + payload
 * bytes; a caller's buffer should have SR_SRTP_MAX_TRAILER (dtls/srtp.h)
 * more bytes after that for srtp_protect. SC_RTP_PACKET_BUF is a size that
 * always suffices with the default payload size.
 *
 * Threading: every object here belongs to one thread; nothing allocates per
 * packet. */
#ifndef SEALROOM_CLIENT_RTP_MEDIA_H
#define SEALROOM_CLIENT_RTP_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp.h"

#define SC_RTP_VIDEO_CLOCK 90000 /* VP8 timestamps (RFC 7741 4.1) */
#define SC_RTP_AUDIO_CLOCK 48000 /* Opus timestamps, whatever the rate (RFC 7587 4.1) */
#define SC_OPUS_FRAME_SAMPLES 960 /* 20 ms at 48 kHz */

#define SC_RTP_FIXED_HEADER 12
/* Fixed header + a one-byte extension block holding at most the audio
 * level, MID and RID elements (each name at most SC_RTP_NAME_MAX bytes). */
#define SC_RTP_NAME_MAX 4
#define SC_RTP_MAX_HEADER 32
/* Default RTP payload size (VP8 descriptor included): with the header and an
 * SRTP trailer a datagram stays below 1200 bytes. */
#define SC_RTP_DEFAULT_MAX_PAYLOAD 1100
/* Largest payload accepted anywhere here (packetizer setting, assembler input). */
#define SC_RTP_MAX_PAYLOAD 1460
/* A buffer for a packet of the default payload size with the largest
 * header, plus room for the SRTP trailer (a larger max_payload needs a
 * larger buffer: sc_rtp_write checks). */
#define SC_RTP_PACKET_BUF 1500

#define SC_VP8_DESC_LEN 4 /* what the packetizer writes: X|S|PID, I, M|PictureID(15) */

/* ---- RTP header writer ------------------------------------------------- */

typedef struct {
  uint32_t ssrc;
  uint8_t pt;           /* payload type, 0..127 */
  uint8_t audio_level_id; /* RFC 6464 extension id 1..14 in packets that carry a level, 0 = none */
  /* Simulcast (RFC 8852/8853): every packet names its m-line (sdes:mid) and
   * its encoding (sdes:rtp-stream-id) under these ids (1..14, 0 = none), so
   * the receiver learns the encoding's SSRC from its first packet. */
  uint8_t mid_id, rid_id;
  char mid[SC_RTP_NAME_MAX + 1], rid[SC_RTP_NAME_MAX + 1];
  uint16_t seq;         /* sequence number of the next packet */
  uint32_t ts_base;     /* random RTP timestamp of media time 0 */
  uint32_t clock;       /* SC_RTP_VIDEO_CLOCK or SC_RTP_AUDIO_CLOCK */
  uint32_t last_ts;     /* RTP timestamp of the last packet written (for RTCP SR) */
  uint64_t packets;     /* packets written (RTCP SR sender's packet count) */
  uint64_t octets;      /* payload octets written (RTCP SR sender's octet count) */
} sc_rtp_writer;

/* Sets up a stream: random first sequence number and timestamp base
 * (OpenSSL RAND_bytes). Returns 0, or -1 if pt > 127, clock is 0 or the
 * random generator fails. */
int sc_rtp_writer_init(sc_rtp_writer *w, uint32_t ssrc, uint8_t pt, uint32_t clock);

/* Names the m-line and the encoding in every packet from now on (mid_id
 * and rid_id 1..14, distinct; mid and rid 1..SC_RTP_NAME_MAX characters).
 * 0, or -1 (bad id or name: nothing changed). */
int sc_rtp_writer_set_rid(sc_rtp_writer *w, uint8_t mid_id, const char *mid, uint8_t rid_id, const char *rid);

/* Writes one packet: header with the next sequence number, timestamp
 * ts_base + media_ts (media_ts in clock units since the stream's start,
 * wrapping), the marker bit, and the header extension elements: if level
 * >= 0 and audio_level_id is set the audio level (level 0..127 -dBov,
 * voice flag), and the MID and RID when set; then payload.
 * Returns the packet length, or -1 if cap is too small (cap must be at least
 * sc_rtp_header_len() + len) or len > SC_RTP_MAX_PAYLOAD; nothing is counted
 * on failure. payload may be NULL when len is 0, or point into buf at
 * exactly the header length (then it is not copied; see
 * sc_rtp_header_len). */
int sc_rtp_write(sc_rtp_writer *w, uint32_t media_ts, bool marker, int level, bool voice,
                 const uint8_t *payload, size_t len, uint8_t *buf, size_t cap);

/* Bytes of the header sc_rtp_write writes with that level argument. */
size_t sc_rtp_header_len(const sc_rtp_writer *w, int level);

/* ---- VP8 packetizer (RFC 7741) ---------------------------------------- */

enum {
  SC_VP8_KEYFRAME = 1,  /* the frame is a key frame (informational; counted) */
  SC_VP8_DROPPABLE = 2, /* no later frame references it: N=1 in every packet */
};

typedef struct {
  sc_rtp_writer rtp;
  size_t max_payload;  /* RTP payload bytes per packet, descriptor included */
  uint16_t picture_id; /* 15-bit PictureID of the next frame (random start) */
  /* The frame being split (set by sc_vp8_packetizer_frame). */
  const uint8_t *frame;
  size_t len, off, chunk; /* chunk: data bytes per packet, except the last ones */
  size_t n_packets, sent;
  uint32_t media_ts;
  unsigned flags;
  uint64_t frames, keyframes;
} sc_vp8_packetizer;

/* ssrc/pt as negotiated; max_payload 0 means SC_RTP_DEFAULT_MAX_PAYLOAD,
 * otherwise SC_VP8_DESC_LEN + 1 .. SC_RTP_MAX_PAYLOAD. Returns 0 or -1. */
int sc_vp8_packetizer_init(sc_vp8_packetizer *p, uint32_t ssrc, uint8_t pt, size_t max_payload);

/* Starts a frame (len 1 .. 16 MiB; p keeps the pointer until the frame's
 * last packet is written) at media_ts (90 kHz units since the start, e.g.
 * frame_index * 3000 at 30 fps). The frame is split into the fewest packets
 * of nearly equal size. flags: SC_VP8_*. Returns the number of packets the
 * frame takes, or -1 (empty, too large, NULL). A frame not finished is
 * abandoned. */
int sc_vp8_packetizer_frame(sc_vp8_packetizer *p, const uint8_t *frame, size_t len,
                            uint32_t media_ts, unsigned flags);

/* Writes the next packet of the current frame into buf (cap >=
 * sc_rtp_header_len(&p->rtp, -1) + max_payload: more than the fixed header
 * when the writer names a MID and RID). Returns its length, 0 when the frame
 * has been written entirely, or -1 if cap is too small. */
int sc_vp8_packetizer_next(sc_vp8_packetizer *p, uint8_t *buf, size_t cap);

/* ---- Opus packetizer (RFC 7587) --------------------------------------- */

typedef struct {
  sc_rtp_writer rtp;
  uint32_t media_ts; /* timestamp of the next frame, 48 kHz units since the start */
  bool talkspurt;    /* set the marker on the next packet */
} sc_opus_packetizer;

/* Returns 0 or -1 (see sc_rtp_writer_init). The first packet has the marker. */
int sc_opus_packetizer_init(sc_opus_packetizer *p, uint32_t ssrc, uint8_t pt);

/* Writes one packet holding one Opus frame of `samples` samples per channel
 * at 48 kHz (960 for 20 ms), then advances the timestamp by that much.
 * level: RFC 6464 level (0..127) if the writer's audio_level_id is set, or
 * -1. Returns the packet length or -1 (cap < SC_RTP_MAX_HEADER + len, len 0
 * or > SC_RTP_MAX_PAYLOAD). */
int sc_opus_packetizer_write(sc_opus_packetizer *p, const uint8_t *frame, size_t len,
                             uint32_t samples, int level, bool voice, uint8_t *buf, size_t cap);

/* Nothing was sent for `samples` samples (silence, DTX, mute): the
 * timestamp moves on and the next packet carries the marker (RFC 3551 4.1). */
void sc_opus_packetizer_skip(sc_opus_packetizer *p, uint32_t samples);

/* ---- VP8 payload descriptor parser ------------------------------------ */

typedef struct {
  bool start;          /* S bit */
  bool non_ref;        /* N bit */
  uint8_t pid;         /* partition index */
  bool has_picture_id;
  uint16_t picture_id; /* 7 or 15 bits */
  size_t len;          /* descriptor bytes; the VP8 data follows */
} sc_vp8_desc;

/* Parses the RFC 7741 4.2 descriptor at the start of an RTP payload. Returns
 * 0, or -1 if it runs past n or leaves no VP8 data after it. */
int sc_vp8_desc_parse(const uint8_t *p, size_t n, sc_vp8_desc *d);

/* ---- VP8 frame assembler ---------------------------------------------- */

/* A whole frame, descriptors stripped. data is valid only during the call.
 * keyframe: bit 0 of the first byte is 0 (RFC 6386 9.1; kept in the clear by
 * E2EE, docs/e2ee.md 5.2). */
typedef void (*sc_frame_cb)(void *user, uint32_t rtp_ts, bool keyframe, const uint8_t *data,
                            size_t len);
/* The stream needs a key frame: the caller should send a PLI. Called when a
 * frame is given up; while waiting for a key frame, again every
 * keyframe_retry_ms (from push when a delta frame starts, or from tick while
 * packets still arrive); and at the start of a stream once gap_ms have passed
 * since its first packet without a key frame. Callbacks must not call back
 * into the assembler. */
typedef void (*sc_keyframe_cb)(void *user);

typedef struct {
  size_t max_packets;          /* ring size; 0: 512. Max 4096. */
  size_t max_frame;            /* largest frame in bytes; 0: 1 MiB */
  uint32_t gap_ms;             /* how long a hole may wait for a retransmission; 0: 250 */
  uint32_t keyframe_retry_ms;  /* 0: 1000 */
  sc_frame_cb on_frame;
  sc_keyframe_cb on_need_keyframe;
  void *user;
} sc_vp8_assembler_config;

typedef struct {
  uint64_t packets;     /* accepted into the ring */
  uint64_t duplicates;  /* same sequence number already held */
  uint64_t late;        /* older than what was already handed out or skipped */
  uint64_t refused;     /* bad descriptor, too large, not VP8 payload */
  uint64_t frames;      /* handed out */
  uint64_t keyframes;   /* of which key frames */
  uint64_t frames_dropped; /* given up (holes, too large, delta frames while waiting for a key frame) */
  uint64_t keyframe_requests; /* on_need_keyframe calls */
} sc_vp8_assembler_stats;

typedef struct sc_vp8_assembler sc_vp8_assembler;

/* Allocates the ring (max_packets * SC_RTP_MAX_PAYLOAD) and the frame buffer
 * once. NULL on bad config or out of memory. Until the first key frame the
 * assembler waits for one (delta frames are dropped); see sc_keyframe_cb for
 * when it asks. */
sc_vp8_assembler *sc_vp8_assembler_new(const sc_vp8_assembler_config *cfg);
void sc_vp8_assembler_free(sc_vp8_assembler *a);

/* One packet of the stream: pkt/h as from rtp_parse (the SSRC is not
 * checked: one assembler per SSRC). now_ms: a monotonic clock. Frames that
 * complete are handed out before this returns. Returns 0 if the packet was
 * kept, 1 if it was a duplicate or late (ignored), -1 if refused (bad VP8
 * descriptor, payload too large, frame over max_frame). */
int sc_vp8_assembler_push(sc_vp8_assembler *a, const uint8_t *pkt, const rtp_header *h,
                          uint64_t now_ms);

/* Timers: gives up holes older than gap_ms and repeats key frame requests.
 * Call every ~20-50 ms (push does the same work). */
void sc_vp8_assembler_tick(sc_vp8_assembler *a, uint64_t now_ms);

/* True while no frame can be handed out before a key frame arrives. */
bool sc_vp8_assembler_waiting_keyframe(const sc_vp8_assembler *a);

void sc_vp8_assembler_get_stats(const sc_vp8_assembler *a, sc_vp8_assembler_stats *s);

/* ---- Opus depacketizer ------------------------------------------------ */

typedef struct {
  bool started;
  uint16_t highest;  /* highest sequence number handed out */
  uint64_t packets;  /* handed out */
  uint64_t lost;     /* sequence numbers skipped (may later arrive as late) */
  uint64_t late;     /* older than or equal to highest: duplicates and reordered */
  uint64_t refused;  /* empty or oversized payloads */
  uint32_t late_run; /* late packets in a row: 64 mean the sender restarted (start over) */
  sc_frame_cb on_frame; /* keyframe is always false */
  void *user;
} sc_opus_depacketizer;

void sc_opus_depacketizer_init(sc_opus_depacketizer *d, sc_frame_cb on_frame, void *user);

/* Hands the payload of a packet newer than every one before to on_frame
 * (rtp_ts = the packet's timestamp). Returns 0 if handed out, 1 if late or
 * duplicate (dropped), -1 if refused. Lost: the sequence numbers between the
 * previous and this one. */
int sc_opus_depacketizer_push(sc_opus_depacketizer *d, const uint8_t *pkt, const rtp_header *h);

#endif
