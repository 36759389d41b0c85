/* Opus encoder and decoder on libopus (client/media/opus.h). */
#include "client/media/opus.h"

#include <opus.h>
#include <stdlib.h>

struct sc_opus_enc {
  OpusEncoder *enc;
  int channels;
  int lookahead;
};

struct sc_opus_dec {
  OpusDecoder *dec;
  int channels;
};

sc_opus_enc *sc_opus_enc_new(int channels, int bitrate_bps) {
  if (channels != 1 && channels != 2) return NULL;
  if (bitrate_bps == 0) bitrate_bps = 32000;
  if (bitrate_bps < 6000 || bitrate_bps > 510000) return NULL;
  sc_opus_enc *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  int err;
  e->enc = opus_encoder_create(SC_OPUS_RATE, channels, OPUS_APPLICATION_VOIP, &err);
  if (!e->enc || err != OPUS_OK) {
    free(e);
    return NULL;
  }
  e->channels = channels;
  if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate_bps)) != OPUS_OK ||
      opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
      opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(5)) != OPUS_OK ||
      opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&e->lookahead)) != OPUS_OK) {
    sc_opus_enc_free(e);
    return NULL;
  }
  return e;
}

void sc_opus_enc_free(sc_opus_enc *e) {
  if (!e) return;
  opus_encoder_destroy(e->enc);
  free(e);
}

int sc_opus_enc_lookahead(const sc_opus_enc *e) { return e ? e->lookahead : 0; }

int sc_opus_enc_encode(sc_opus_enc *e, const int16_t *pcm, uint8_t *out, size_t cap) {
  if (!e || !pcm || !out || cap == 0) return -1;
  opus_int32 c = cap > SC_OPUS_MAX_PACKET ? SC_OPUS_MAX_PACKET : (opus_int32)cap;
  int n = opus_encode(e->enc, pcm, SC_OPUS_FRAME, out, c);
  return n > 0 ? n : -1;
}

sc_opus_dec *sc_opus_dec_new(int channels) {
  if (channels != 1 && channels != 2) return NULL;
  sc_opus_dec *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  int err;
  d->dec = opus_decoder_create(SC_OPUS_RATE, channels, &err);
  if (!d->dec || err != OPUS_OK) {
    free(d);
    return NULL;
  }
  d->channels = channels;
  return d;
}

void sc_opus_dec_free(sc_opus_dec *d) {
  if (!d) return;
  opus_decoder_destroy(d->dec);
  free(d);
}

int sc_opus_dec_decode(sc_opus_dec *d, const uint8_t *data, size_t len, int16_t *pcm,
                       size_t max_frames) {
  if (!d || !pcm || max_frames == 0 || len > 0x7FFFFFFF) return -1;
  if (max_frames > SC_OPUS_MAX_FRAME) max_frames = SC_OPUS_MAX_FRAME;
  if (!data) len = 0;
  int n = opus_decode(d->dec, len ? data : NULL, (opus_int32)len, pcm, (int)max_frames, 0);
  return n >= 0 ? n : -1;
}
