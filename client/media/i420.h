/* I420 pictures (8-bit Y plane, then quarter-size U and V planes) for the
 * native client's media: what the test pattern draws, the VP8 encoder takes
 * and the decoder gives back, and a comparison for tests. */
#ifndef SEALROOM_CLIENT_I420_H
#define SEALROOM_CLIENT_I420_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
  int width, height;  /* even, 2..4096 */
  uint8_t *plane[3];  /* Y, U, V */
  int stride[3];
  void *owned;        /* set by sc_i420_alloc: the one allocation; NULL for views */
} sc_i420;

/* Allocates a picture (one block, tightly packed). Returns 0, or -1 for an
 * odd or out-of-range size or out of memory (then img->owned is NULL). */
int sc_i420_alloc(sc_i420 *img, int width, int height);
/* Frees what sc_i420_alloc allocated; a view (owned NULL) is left alone. */
void sc_i420_free(sc_i420 *img);

/* Copies src into dst of the same size. Returns 0 or -1 (sizes differ). */
int sc_i420_copy(sc_i420 *dst, const sc_i420 *src);

/* Mean absolute difference per sample over all three planes (0 = equal),
 * or -1 if the sizes differ. */
double sc_i420_mean_abs_diff(const sc_i420 *a, const sc_i420 *b);

/* PSNR of the Y plane in dB (99 when equal), or -1 if the sizes differ. */
double sc_i420_psnr_y(const sc_i420 *a, const sc_i420 *b);

#endif
