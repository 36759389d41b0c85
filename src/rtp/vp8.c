/* VP8 RTP payload descriptor: parsing and in-place rewrites (vp8.h).
 *
 *      0 1 2 3 4 5 6 7
 *     |X|R|N|S|R| PID |   required
 * X:  |I|L|T|K| RSV   |
 * I:  |M| PictureID   |   (and a second byte when M)
 * L:  |   TL0PICIDX   |
 * T/K:|TID|Y| KEYIDX  |
 *
 * then the VP8 payload, whose first byte's bit 0 is the inverse key frame
 * flag (P) in the first packet of a frame (RFC 7741 4.3). */
#include "rtp/vp8.h"

#include <string.h>

int vp8_parse(const uint8_t *p, size_t n, vp8_desc *d) {
  if (!p || n < 1) return -1;
  memset(d, 0, sizeof *d);
  size_t i = 1;
  d->start = (p[0] & 0x10) != 0;
  d->partition = p[0] & 0x0f;
  if (p[0] & 0x80) { /* X */
    if (n < 2) return -1;
    uint8_t x = p[1];
    i = 2;
    if (x & 0x80) { /* I */
      if (n < i + 1) return -1;
      d->has_picture_id = true;
      d->picture_id_at = i;
      if (p[i] & 0x80) { /* M */
        if (n < i + 2) return -1;
        d->long_picture_id = true;
        d->picture_id = (uint16_t)(((p[i] & 0x7f) << 8) | p[i + 1]);
        i += 2;
      } else {
        d->picture_id = p[i] & 0x7f;
        i += 1;
      }
    }
    if (x & 0x40) { /* L */
      if (n < i + 1) return -1;
      d->has_tl0 = true;
      d->tl0_at = i;
      d->tl0picidx = p[i];
      i += 1;
    }
    if (x & 0x30) { /* T or K: one byte */
      if (n < i + 1) return -1;
      if (x & 0x20) {
        d->has_tid = true;
        d->tid = (uint8_t)(p[i] >> 6);
        d->layer_sync = (p[i] & 0x20) != 0;
      }
      i += 1;
    }
  }
  d->len = i;
  d->keyframe = d->start && d->partition == 0 && n > i && (p[i] & 0x01) == 0;
  return 0;
}

void vp8_set_picture_id(uint8_t *p, const vp8_desc *d, uint16_t id) {
  if (!d->has_picture_id) return;
  if (d->long_picture_id) {
    p[d->picture_id_at] = (uint8_t)(0x80 | ((id >> 8) & 0x7f));
    p[d->picture_id_at + 1] = (uint8_t)id;
  } else {
    p[d->picture_id_at] = (uint8_t)(id & 0x7f);
  }
}

void vp8_set_tl0picidx(uint8_t *p, const vp8_desc *d, uint8_t v) {
  if (d->has_tl0) p[d->tl0_at] = v;
}
