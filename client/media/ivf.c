/* IVF writer and bounds-checked reader (client/media/ivf.h). */
#include "client/media/ivf.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

int sc_ivf_writer_open(sc_ivf_writer *w, FILE *f, const char *fourcc, uint16_t width,
                       uint16_t height, uint32_t rate, uint32_t scale) {
  if (!w || !f || !fourcc || strlen(fourcc) != 4 || rate == 0 || scale == 0) return -1;
  uint8_t h[SC_IVF_HEADER_LEN] = {'D', 'K', 'I', 'F'};
  put_le16(h + 4, 0);                 /* version */
  put_le16(h + 6, SC_IVF_HEADER_LEN); /* header size */
  memcpy(h + 8, fourcc, 4);
  put_le16(h + 12, width);
  put_le16(h + 14, height);
  put_le32(h + 16, rate);
  put_le32(h + 20, scale);
  put_le32(h + 24, 0); /* frame count, patched by finish */
  memset(w, 0, sizeof *w);
  w->f = f;
  if (fwrite(h, 1, sizeof h, f) != sizeof h) w->error = 1;
  return w->error ? -1 : 0;
}

int sc_ivf_writer_frame(sc_ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts) {
  if (!w || !w->f || !data || len == 0 || len > SC_IVF_MAX_FRAME) return -1;
  uint8_t h[SC_IVF_FRAME_HEADER_LEN];
  put_le32(h, (uint32_t)len);
  put_le32(h + 4, (uint32_t)pts);
  put_le32(h + 8, (uint32_t)(pts >> 32));
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h || fwrite(data, 1, len, w->f) != len) {
    w->error = 1;
    return -1;
  }
  w->frames++;
  return 0;
}

void sc_ivf_writer_set_size(sc_ivf_writer *w, uint16_t width, uint16_t height) {
  if (!w) return;
  w->width = width;
  w->height = height;
}

int sc_ivf_writer_finish(sc_ivf_writer *w) {
  if (!w || !w->f) return -1;
  long end = ftell(w->f);
  if (end >= SC_IVF_HEADER_LEN && w->width && w->height && fseek(w->f, 12, SEEK_SET) == 0) {
    uint8_t wh[4];
    put_le16(wh, w->width);
    put_le16(wh + 2, w->height);
    if (fwrite(wh, 1, 4, w->f) != 4) w->error = 1;
  }
  if (end >= SC_IVF_HEADER_LEN && fseek(w->f, 24, SEEK_SET) == 0) {
    uint8_t n[4];
    put_le32(n, w->frames);
    if (fwrite(n, 1, 4, w->f) != 4 || fseek(w->f, end, SEEK_SET) != 0) w->error = 1;
  }
  if (fflush(w->f) != 0) w->error = 1;
  return w->error ? -1 : 0;
}

int sc_ivf_reader_init(sc_ivf_reader *r, const uint8_t *buf, size_t len) {
  if (!r || !buf || len < SC_IVF_HEADER_LEN || memcmp(buf, "DKIF", 4) != 0) return -1;
  uint16_t version = get_le16(buf + 4), hlen = get_le16(buf + 6);
  if (version != 0 || hlen < SC_IVF_HEADER_LEN || hlen > len) return -1;
  memset(r, 0, sizeof *r);
  r->buf = buf;
  r->len = len;
  r->off = hlen;
  memcpy(r->info.fourcc, buf + 8, 4);
  r->info.fourcc[4] = '\0';
  r->info.width = get_le16(buf + 12);
  r->info.height = get_le16(buf + 14);
  r->info.rate = get_le32(buf + 16);
  r->info.scale = get_le32(buf + 20);
  r->info.frame_count = get_le32(buf + 24);
  return 0;
}

int sc_ivf_reader_next(sc_ivf_reader *r, const uint8_t **data, size_t *len, uint64_t *pts) {
  if (!r || !r->buf || !data || !len || r->off > r->len) return -1;
  size_t left = r->len - r->off;
  if (left == 0) return 0;
  if (left < SC_IVF_FRAME_HEADER_LEN) return -1;
  const uint8_t *h = r->buf + r->off;
  uint32_t n = get_le32(h);
  if (n == 0 || n > SC_IVF_MAX_FRAME || n > left - SC_IVF_FRAME_HEADER_LEN) return -1;
  *data = h + SC_IVF_FRAME_HEADER_LEN;
  *len = n;
  if (pts) *pts = (uint64_t)get_le32(h + 4) | (uint64_t)get_le32(h + 8) << 32;
  r->off += SC_IVF_FRAME_HEADER_LEN + n;
  return 1;
}

int sc_read_file(const char *path, size_t max, uint8_t **buf, size_t *len) {
  if (!path || !buf || !len) return -1;
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 65536, n = 0;
  uint8_t *b = malloc(cap + 1);
  while (b) {
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (n < cap) break; /* end of file or error */
    if (cap >= max) {   /* full and there may be more */
      int c = fgetc(f);
      if (c == EOF && n <= max) break;
      free(b);
      b = NULL;
      break;
    }
    size_t ncap = cap * 2 > max ? max : cap * 2;
    uint8_t *nb = realloc(b, ncap + 1);
    if (!nb) {
      free(b);
      b = NULL;
      break;
    }
    b = nb;
    cap = ncap;
  }
  bool failed = !b || ferror(f) || n > max;
  fclose(f);
  if (failed) {
    free(b);
    return -1;
  }
  b[n] = '\0';
  *buf = b;
  *len = n;
  return 0;
}
