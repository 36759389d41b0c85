/* Test pattern and tone (client/media/pattern.h). */
#include "client/media/pattern.h"

#include <math.h>

/* BT.601 studio-range YUV of the eight bars: white, yellow, cyan, green,
 * magenta, red, blue, black. */
static const uint8_t bars[8][3] = {
    {235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34},
    {106, 202, 222}, {81, 90, 240},  {41, 240, 110}, {16, 128, 128},
};

#define BLOCK_GREY 128
#define DARK 16
#define LIGHT 235

static void fill(sc_i420 *img, int x0, int y0, int x1, int y1, const uint8_t yuv[3]) {
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > img->width) x1 = img->width;
  if (y1 > img->height) y1 = img->height;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) img->plane[0][(size_t)y * (size_t)img->stride[0] + (size_t)x] = yuv[0];
  for (int y = y0 / 2; y < (y1 + 1) / 2; y++)
    for (int x = x0 / 2; x < (x1 + 1) / 2; x++) {
      img->plane[1][(size_t)y * (size_t)img->stride[1] + (size_t)x] = yuv[1];
      img->plane[2][(size_t)y * (size_t)img->stride[2] + (size_t)x] = yuv[2];
    }
}

/* The counter row: the bottom eighth of the picture (at least 8 rows). */
static int counter_top(const sc_i420 *img) {
  int h = img->height / 8;
  if (h < 8) h = 8;
  return (img->height - h) & ~1;
}

void sc_pattern_draw(sc_i420 *img, uint32_t frame_no) {
  if (!img || img->width < 2 || img->height < 2) return;
  int w = img->width, top = counter_top(img);
  for (int i = 0; i < 8; i++) fill(img, w * i / 8, 0, w * (i + 1) / 8, top, bars[i]);
  /* The moving block: a quarter of the bar area's height, 8 px per frame. */
  int bs = top / 4 & ~1;
  if (bs < 2) bs = 2;
  int span = w - bs > 0 ? w - bs : 1;
  int bx = (int)((frame_no * 8u) % (unsigned)span) & ~1;
  static const uint8_t grey[3] = {BLOCK_GREY, 128, 128};
  fill(img, bx, (top - bs) / 2 & ~1, bx + bs, ((top - bs) / 2 & ~1) + bs, grey);
  for (int b = 0; b < SC_PATTERN_COUNTER_BITS; b++) {
    bool one = (frame_no >> (SC_PATTERN_COUNTER_BITS - 1 - b)) & 1;
    uint8_t v[3] = {one ? LIGHT : DARK, 128, 128};
    fill(img, w * b / SC_PATTERN_COUNTER_BITS, top, w * (b + 1) / SC_PATTERN_COUNTER_BITS,
         img->height, v);
  }
}

int sc_pattern_read_counter(const sc_i420 *img, uint32_t *frame_no) {
  if (!img || !frame_no || img->width < 2 * SC_PATTERN_COUNTER_BITS || img->height < 16) return -1;
  int w = img->width, top = counter_top(img);
  uint32_t v = 0;
  for (int b = 0; b < SC_PATTERN_COUNTER_BITS; b++) {
    /* The middle half of the block, away from edges blurred by coding. */
    int x0 = w * b / SC_PATTERN_COUNTER_BITS, x1 = w * (b + 1) / SC_PATTERN_COUNTER_BITS;
    int bw = x1 - x0, bh = img->height - top;
    uint64_t sum = 0, n = 0;
    for (int y = top + bh / 4; y < img->height - bh / 4; y++)
      for (int x = x0 + bw / 4; x < x1 - bw / 4; x++) {
        sum += img->plane[0][(size_t)y * (size_t)img->stride[0] + (size_t)x];
        n++;
      }
    if (n == 0) return -1;
    double mean = (double)sum / (double)n;
    if (mean > 100 && mean < 150) return -1;
    v = v << 1 | (mean >= 150 ? 1u : 0u);
  }
  *frame_no = v;
  return 0;
}

int sc_tone_init(sc_tone *t, double freq_hz, int sample_rate, int channels, double amplitude) {
  if (!t || sample_rate <= 0 || !(freq_hz > 0) || freq_hz >= sample_rate / 2.0 ||
      (channels != 1 && channels != 2) || !(amplitude >= 0 && amplitude <= 1))
    return -1;
  t->phase = 0;
  t->step = 2 * M_PI * freq_hz / sample_rate;
  t->amplitude = amplitude;
  t->channels = channels;
  return 0;
}

void sc_tone_fill(sc_tone *t, int16_t *pcm, size_t frames) {
  if (!t || !pcm) return;
  for (size_t i = 0; i < frames; i++) {
    int16_t s = (int16_t)lrint(sin(t->phase) * t->amplitude * 32767.0);
    for (int c = 0; c < t->channels; c++) pcm[i * (size_t)t->channels + (size_t)c] = s;
    t->phase += t->step;
    if (t->phase >= 2 * M_PI) t->phase -= 2 * M_PI;
  }
}

size_t sc_zero_crossings(const int16_t *pcm, size_t frames, int channels, int channel) {
  if (!pcm || channels < 1 || channel < 0 || channel >= channels || frames < 2) return 0;
  size_t n = 0;
  bool neg = pcm[channel] < 0;
  for (size_t i = 1; i < frames; i++) {
    bool now = pcm[i * (size_t)channels + (size_t)channel] < 0;
    if (now != neg) n++;
    neg = now;
  }
  return n;
}
