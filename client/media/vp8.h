/* VP8 on libvpx for the native client: a real-time encoder (one output frame
 * per input picture, no lag, key frames on request, a target bitrate) and a
 * decoder to I420 pictures. */
#ifndef SEALROOM_CLIENT_VP8_H
#define SEALROOM_CLIENT_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/media/i420.h"

typedef struct sc_vp8_enc sc_vp8_enc;
typedef struct sc_vp8_dec sc_vp8_dec;

/* An encoded frame; data is owned by the encoder and valid until the next
 * sc_vp8_enc_encode or sc_vp8_enc_free. */
typedef struct {
  const uint8_t *data;
  size_t len;
  bool keyframe;
  bool droppable; /* no later frame references it (RTP: N bit, SC_VP8_DROPPABLE) */
} sc_vp8_frame;

/* width x height even, 16..4096; fps 1..120; bitrate in kbit/s 30..20000.
 * Real-time (VPX_DL_REALTIME), error resilient, CBR, key frame at most
 * every 10 s unless requested. NULL on bad arguments or libvpx failure. */
sc_vp8_enc *sc_vp8_enc_new(int width, int height, int fps, int bitrate_kbps);
void sc_vp8_enc_free(sc_vp8_enc *e);

/* The next encoded frame will be a key frame (e.g. on a PLI). */
void sc_vp8_enc_request_keyframe(sc_vp8_enc *e);

/* Changes the target bitrate. Returns 0 or -1. */
int sc_vp8_enc_set_bitrate(sc_vp8_enc *e, int bitrate_kbps);

/* Encodes one picture of the encoder's size; pts counts frames (0, 1, ...).
 * Returns 1 with *out filled, 0 if rate control dropped the picture, -1 on
 * error (wrong size, libvpx failure). The first frame is a key frame. */
int sc_vp8_enc_encode(sc_vp8_enc *e, const sc_i420 *img, int64_t pts, sc_vp8_frame *out);

/* NULL on libvpx failure. */
sc_vp8_dec *sc_vp8_dec_new(void);
void sc_vp8_dec_free(sc_vp8_dec *d);

/* Decodes one frame. Returns 1 with *out a view (owned NULL) of the
 * decoder's picture, valid until the next call; 0 if the frame produced no
 * picture; -1 if libvpx refused the data (corrupt, or a delta frame without
 * its reference). */
int sc_vp8_dec_decode(sc_vp8_dec *d, const uint8_t *data, size_t len, sc_i420 *out);

#endif
