/* Test media for the bot and the tests: a moving I420 test pattern whose
 * decoded pictures can be recognised, and a sine tone.
 *
 * The picture (any even size from 64x64): eight vertical colour bars
 * (white, yellow, cyan, green, magenta, red, blue, black), a grey block that
 * moves left to right by 8 pixels per frame, and along the bottom
 * SC_PATTERN_COUNTER_BITS blocks showing the frame number in binary (white
 * = 1, black = 0, most significant bit first), which sc_pattern_read_counter
 * reads back from a decoded picture. */
#ifndef SEALROOM_CLIENT_PATTERN_H
#define SEALROOM_CLIENT_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/media/i420.h"

#define SC_PATTERN_COUNTER_BITS 16

/* Draws frame number `frame_no` into img (whose size it keeps). */
void sc_pattern_draw(sc_i420 *img, uint32_t frame_no);

/* Reads the frame counter of a picture drawn by sc_pattern_draw (possibly
 * after lossy coding): returns 0 and the low SC_PATTERN_COUNTER_BITS bits
 * of the frame number, or -1 if a counter block is neither clearly dark nor
 * clearly light (not a pattern picture). */
int sc_pattern_read_counter(const sc_i420 *img, uint32_t *frame_no);

/* A sine tone: int16 samples, interleaved when channels is 2. */
typedef struct {
  double phase, step; /* radians */
  double amplitude;   /* of full scale, 0..1 */
  int channels;       /* 1 or 2, the same signal on both */
} sc_tone;

/* Returns 0, or -1 for a frequency not in (0, rate/2), a rate of 0,
 * channels not 1 or 2 or an amplitude not in [0, 1]. */
int sc_tone_init(sc_tone *t, double freq_hz, int sample_rate, int channels, double amplitude);

/* Writes the next `frames` samples per channel into pcm (frames*channels). */
void sc_tone_fill(sc_tone *t, int16_t *pcm, size_t frames);

/* Sign changes (from < 0 to >= 0 or back) in one channel of interleaved pcm:
 * about 2 * frequency * seconds for a tone. */
size_t sc_zero_crossings(const int16_t *pcm, size_t frames, int channels, int channel);

#endif
