/* I420 pictures: allocation, copy and comparison (client/media/i420.h). */
#include "client/media/i420.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 4096

static int plane_w(const sc_i420 *img, int i) { return i == 0 ? img->width : img->width / 2; }
static int plane_h(const sc_i420 *img, int i) { return i == 0 ? img->height : img->height / 2; }

int sc_i420_alloc(sc_i420 *img, int width, int height) {
  if (!img) return -1;
  memset(img, 0, sizeof *img);
  if (width < 2 || height < 2 || width > MAX_DIM || height > MAX_DIM || (width | height) & 1)
    return -1;
  size_t ys = (size_t)width * (size_t)height, cs = ys / 4;
  uint8_t *p = malloc(ys + 2 * cs);
  if (!p) return -1;
  img->width = width;
  img->height = height;
  img->plane[0] = p;
  img->plane[1] = p + ys;
  img->plane[2] = p + ys + cs;
  img->stride[0] = width;
  img->stride[1] = img->stride[2] = width / 2;
  img->owned = p;
  return 0;
}

void sc_i420_free(sc_i420 *img) {
  if (!img || !img->owned) return;
  free(img->owned);
  memset(img, 0, sizeof *img);
}

static bool same_size(const sc_i420 *a, const sc_i420 *b) {
  return a && b && a->width == b->width && a->height == b->height && a->width > 0 &&
         a->height > 0;
}

int sc_i420_copy(sc_i420 *dst, const sc_i420 *src) {
  if (!same_size(dst, src)) return -1;
  for (int i = 0; i < 3; i++)
    for (int y = 0; y < plane_h(src, i); y++)
      memcpy(dst->plane[i] + (size_t)y * (size_t)dst->stride[i],
             src->plane[i] + (size_t)y * (size_t)src->stride[i], (size_t)plane_w(src, i));
  return 0;
}

double sc_i420_mean_abs_diff(const sc_i420 *a, const sc_i420 *b) {
  if (!same_size(a, b)) return -1;
  uint64_t sum = 0, count = 0;
  for (int i = 0; i < 3; i++) {
    for (int y = 0; y < plane_h(a, i); y++) {
      const uint8_t *pa = a->plane[i] + (size_t)y * (size_t)a->stride[i];
      const uint8_t *pb = b->plane[i] + (size_t)y * (size_t)b->stride[i];
      for (int x = 0; x < plane_w(a, i); x++) sum += (uint64_t)abs(pa[x] - pb[x]);
      count += (uint64_t)plane_w(a, i);
    }
  }
  return (double)sum / (double)count;
}

double sc_i420_psnr_y(const sc_i420 *a, const sc_i420 *b) {
  if (!same_size(a, b)) return -1;
  double se = 0;
  for (int y = 0; y < a->height; y++) {
    const uint8_t *pa = a->plane[0] + (size_t)y * (size_t)a->stride[0];
    const uint8_t *pb = b->plane[0] + (size_t)y * (size_t)b->stride[0];
    for (int x = 0; x < a->width; x++) {
      int d = pa[x] - pb[x];
      se += (double)(d * d);
    }
  }
  if (se == 0) return 99;
  double mse = se / ((double)a->width * (double)a->height);
  return 10 * log10(255.0 * 255.0 / mse);
}
