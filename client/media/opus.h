/* Opus on libopus for the native client: 48 kHz, 20 ms frames, VoIP
 * application, int16 samples (interleaved when stereo). */
#ifndef SEALROOM_CLIENT_OPUS_H
#define SEALROOM_CLIENT_OPUS_H

#include <stddef.h>
#include <stdint.h>

#define SC_OPUS_RATE 48000
#define SC_OPUS_FRAME 960          /* samples per channel in 20 ms */
#define SC_OPUS_MAX_FRAME 5760     /* 120 ms: the longest frame a decoder may get */
#define SC_OPUS_MAX_PACKET 1275    /* largest packet the encoder writes (RFC 6716 3.2.1) */

typedef struct sc_opus_enc sc_opus_enc;
typedef struct sc_opus_dec sc_opus_dec;

/* channels 1 or 2; bitrate in bit/s 6000..510000 (0: 32000). Inband FEC on.
 * NULL on bad arguments or libopus failure. */
sc_opus_enc *sc_opus_enc_new(int channels, int bitrate_bps);
void sc_opus_enc_free(sc_opus_enc *e);

/* Samples per channel the decoder's output lags the input: the Ogg Opus
 * pre-skip (RFC 7845 4.2). */
int sc_opus_enc_lookahead(const sc_opus_enc *e);

/* Encodes SC_OPUS_FRAME samples per channel from pcm into out (cap bytes,
 * SC_OPUS_MAX_PACKET always suffices). Returns the packet length (> 0) or -1. */
int sc_opus_enc_encode(sc_opus_enc *e, const int16_t *pcm, uint8_t *out, size_t cap);

/* channels 1 or 2 (output layout; any Opus stream decodes to it). */
sc_opus_dec *sc_opus_dec_new(int channels);
void sc_opus_dec_free(sc_opus_dec *d);

/* Decodes one packet into pcm (room for max_frames samples per channel;
 * SC_OPUS_MAX_FRAME always suffices). data NULL / len 0: packet loss
 * concealment for max_frames samples (pass SC_OPUS_FRAME). Returns samples
 * per channel written, or -1 (corrupt packet, too little room). */
int sc_opus_dec_decode(sc_opus_dec *d, const uint8_t *data, size_t len, int16_t *pcm,
                       size_t max_frames);

#endif
