/* Our own tracks into RTP on a publish peer connection: shared by both
 * kinds of participant (client/client.c for sealroom, client/janus.c for
 * Janus). Holds the Opus and VP8 packetizers, turns capture times into RTP
 * timestamps (the first frame of a kind is media time 0), and sends the
 * packets of a frame through sc_peer_send_rtp. Frames are opaque here (they
 * may be SFrame-encrypted); nothing is allocated per frame. */
#ifndef SEALROOM_CLIENT_OUTBOUND_H
#define SEALROOM_CLIENT_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/peer.h"
#include "client/rtp_media.h"
#include "client/sdp_client.h"
#include "dtls/srtp.h"
#include "sealroom_client.h"

#define SC_OUTBOUND_ID_MAX 39 /* longest stream or track id */

typedef struct {
  bool audio, video; /* the tracks published */
  char stream_id[SC_OUTBOUND_ID_MAX + 1];
  char audio_track_id[SC_OUTBOUND_ID_MAX + 1], video_track_id[SC_OUTBOUND_ID_MAX + 1];
  sc_opus_packetizer opus;
  int audio_level; /* RFC 6464 level (0..127) put in audio packets when opus.rtp.audio_level_id is set; -1: none */
  /* The video's encodings, lowest first: one, or n_layers with simulcast
   * (each its own SSRC, naming itself by MID and RID in every packet). */
  sc_vp8_packetizer vp8[SC_MAX_LAYERS];
  int n_layers;
  uint32_t layer_ssrc[SC_MAX_LAYERS];
  bool have_base[2]; /* by sc_media_kind */
  uint64_t base_us[2];
  uint8_t buf[SC_RTP_PACKET_BUF + SR_SRTP_MAX_TRAILER];
} sc_outbound;

/* Sets up publishing on peer pub: random stream and track ids of id_len
 * characters (1 .. SC_OUTBOUND_ID_MAX), a random SSRC per track (audio and
 * video differ) registered with sc_peer_add_send_ssrc, the packetizers
 * (PT SC_PT_OPUS / SC_PT_VP8). Fills p for sc_sdp_build_publish_offer: local
 * ICE/DTLS of pub, session version 1, ids, SSRCs; the caller adds its own
 * settings (remb, setup_active, candidate). p points into o: keep o.
 * 0, or -1 (nothing to publish, bad id_len, the peer refused an SSRC). */
int sc_outbound_start(sc_outbound *o, sc_peer *pub, bool audio, bool video, size_t id_len,
                      sc_publish_params *p);
/* Simulcast: the video in n (2..SC_MAX_LAYERS) encodings, rids "l", "m",
 * "h" from the lowest (as many as n): the lowest on the video SSRC of
 * sc_outbound_start, each other one on a fresh SSRC registered with the
 * peer; fills p's simulcast fields (extension ids 4 and 5). Call after
 * sc_outbound_start with video, before building the offer; the answer's
 * ids must be the same (sc_sdp_check_publish_answer). 0, or -1. */
int sc_outbound_simulcast(sc_outbound *o, sc_peer *pub, int n, sc_publish_params *p);
/* The encoding whose SSRC this is (0 for the one encoding without
 * simulcast), or -1 if it is none of our video's. */
int sc_outbound_layer_of(const sc_outbound *o, uint32_t ssrc);

/* The RTP media time (clock units since the first frame of that kind) of a
 * frame captured at capture_us (microseconds, any monotonic clock). */
uint32_t sc_outbound_media_ts(sc_outbound *o, sc_media_kind kind, uint64_t capture_us);

/* Sends one frame of a published kind at media_ts: audio as one Opus packet
 * of 20 ms (len 0: nothing sent, the timestamp moves on 20 ms), video as
 * the packets of one VP8 frame of encoding `layer` (0 without simulcast).
 * 0, or -1 (no such layer, packetizer or peer refused). */
int sc_outbound_send(sc_outbound *o, sc_peer *pub, sc_media_kind kind, int layer, const uint8_t *frame,
                     size_t len, bool keyframe, uint32_t media_ts);

#endif
