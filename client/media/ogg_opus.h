/* Ogg Opus files (RFC 7845) on libogg: the writer puts OpusHead and OpusTags
 * on their own pages, then Opus packets with granule positions counting 48
 * kHz samples (pre-skip included) and the end-of-stream flag on the last
 * page; the reader takes the first Opus logical stream of a file in memory,
 * checks its headers and hands out its audio packets. libogg does the
 * paging and the CRC. */
#ifndef SEALROOM_CLIENT_OGG_OPUS_H
#define SEALROOM_CLIENT_OGG_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SC_OGG_OPUS_MAX_PACKET 65536 /* the reader refuses larger audio packets */

typedef struct sc_ogg_opus_writer sc_ogg_opus_writer;

/* Starts a stream on f (opened "wb"; not closed by the writer): channels 1
 * or 2 (mapping family 0), pre_skip samples at 48 kHz (sc_opus_enc_lookahead),
 * input_rate for the header (e.g. 48000), serial the Ogg stream serial
 * number, vendor the OpusTags vendor string. Writes the two header pages.
 * NULL on bad arguments, write failure or out of memory. */
sc_ogg_opus_writer *sc_ogg_opus_writer_open(FILE *f, int channels, uint16_t pre_skip,
                                            uint32_t input_rate, uint32_t serial,
                                            const char *vendor);

/* Appends one Opus packet (len 1..SC_OGG_OPUS_MAX_PACKET) of `samples`
 * samples per channel at 48 kHz. Pages are written when libogg fills them
 * (and at least once a second of audio). Returns 0 or -1. */
int sc_ogg_opus_write(sc_ogg_opus_writer *w, const uint8_t *pkt, size_t len, uint32_t samples);

/* Marks the last packet end-of-stream, flushes, frees w (f stays open).
 * Returns 0, or -1 if any write failed. A stream with no audio packet gets
 * an empty end page. */
int sc_ogg_opus_writer_close(sc_ogg_opus_writer *w);

typedef struct {
  uint8_t channels;
  uint16_t pre_skip;
  uint32_t input_rate;
  int16_t output_gain; /* Q7.8 dB */
  uint8_t mapping_family;
  char vendor[64]; /* truncated, NUL-terminated */
} sc_ogg_opus_info;

typedef struct sc_ogg_opus_reader sc_ogg_opus_reader;

/* Opens the len bytes at buf (kept, not copied) and reads up to the end of
 * the OpusTags header. NULL if there is no valid OpusHead (magic, version
 * 0..15, channels >= 1, mapping family 0 with 1-2 channels or 1/255 with a
 * channel table that fits) followed by OpusTags, or out of memory. */
sc_ogg_opus_reader *sc_ogg_opus_reader_open(const uint8_t *buf, size_t len);
void sc_ogg_opus_reader_free(sc_ogg_opus_reader *r);
const sc_ogg_opus_info *sc_ogg_opus_reader_info(const sc_ogg_opus_reader *r);

/* The next audio packet: 1 with *pkt (valid until the next call) and *len,
 * and *granule the page's granule position if this packet ends a page, else
 * -1; 0 at the end of the stream (EOS page or end of data); -1 on a damaged
 * stream (lost pages: a hole in the packet sequence, packet too large). */
int sc_ogg_opus_reader_next(sc_ogg_opus_reader *r, const uint8_t **pkt, size_t *len,
                            int64_t *granule);

#endif
