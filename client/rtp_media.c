/* RTP media of the native client: the RTP header writer and the VP8 and
 * Opus packetizers (see client/rtp_media.h; the assemblers are in
 * client/rtp_assemble.c). Nothing here parses the frames it sends: they may
 * be SFrame-encrypted. */
#include "client/rtp_media.h"

#include <openssl/rand.h>
#include <string.h>

#include "common/bytes.h"

#define EXT_ONE_BYTE_PROFILE 0xBEDE
#define VP8_MAX_FRAME (16u << 20)

int sc_rtp_writer_init(sc_rtp_writer *w, uint32_t ssrc, uint8_t pt, uint32_t clock) {
  uint8_t r[6];
  if (!w || pt > 127 || clock == 0) return -1;
  if (RAND_bytes(r, sizeof r) != 1) return -1;
  memset(w, 0, sizeof *w);
  w->ssrc = ssrc;
  w->pt = pt;
  w->clock = clock;
  w->seq = get_be16(r);
  w->ts_base = get_be32(r + 2);
  w->last_ts = w->ts_base;
  return 0;
}

int sc_rtp_writer_set_rid(sc_rtp_writer *w, uint8_t mid_id, const char *mid, uint8_t rid_id, const char *rid) {
  if (!w || !mid || !rid || mid_id < 1 || mid_id > 14 || rid_id < 1 || rid_id > 14 || mid_id == rid_id)
    return -1;
  size_t ml = strnlen(mid, SC_RTP_NAME_MAX + 1), rl = strnlen(rid, SC_RTP_NAME_MAX + 1);
  if (ml < 1 || ml > SC_RTP_NAME_MAX || rl < 1 || rl > SC_RTP_NAME_MAX) return -1;
  w->mid_id = mid_id;
  w->rid_id = rid_id;
  memcpy(w->mid, mid, ml + 1);
  memcpy(w->rid, rid, rl + 1);
  return 0;
}

/* Bytes of the extension elements (one-byte form, RFC 8285 4.2), before padding. */
static size_t ext_elements_len(const sc_rtp_writer *w, int level) {
  size_t n = 0;
  if (level >= 0 && w->audio_level_id >= 1 && w->audio_level_id <= 14) n += 2;
  if (w->mid_id) n += 1 + strlen(w->mid);
  if (w->rid_id) n += 1 + strlen(w->rid);
  return n;
}

size_t sc_rtp_header_len(const sc_rtp_writer *w, int level) {
  size_t n = ext_elements_len(w, level);
  return n ? SC_RTP_FIXED_HEADER + 4 + (n + 3) / 4 * 4 : SC_RTP_FIXED_HEADER;
}

/* One element: id, length - 1, the bytes. Returns the next free offset. */
static size_t put_element(uint8_t *buf, size_t at, uint8_t id, const void *data, size_t len) {
  buf[at] = (uint8_t)(id << 4 | (len - 1));
  memcpy(buf + at + 1, data, len);
  return at + 1 + len;
}

int sc_rtp_write(sc_rtp_writer *w, uint32_t media_ts, bool marker, int level, bool voice,
                 const uint8_t *payload, size_t len, uint8_t *buf, size_t cap) {
  if (!w || !buf || len > SC_RTP_MAX_PAYLOAD || (len && !payload)) return -1;
  size_t hl = sc_rtp_header_len(w, level);
  if (cap < hl + len) return -1;
  uint32_t ts = w->ts_base + media_ts;
  bool ext = hl > SC_RTP_FIXED_HEADER;
  /* The payload may already sit after the header (the VP8 packetizer puts
   * it there); anywhere else it is moved, overlap allowed. */
  if (len && payload != buf + hl) memmove(buf + hl, payload, len);
  buf[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0));
  buf[1] = (uint8_t)((marker ? 0x80 : 0) | w->pt);
  put_be16(buf + 2, w->seq);
  put_be32(buf + 4, ts);
  put_be32(buf + 8, w->ssrc);
  if (ext) {
    /* One-byte form (RFC 8285 4.2): the elements, zero padding to 32 bits. */
    put_be16(buf + 12, EXT_ONE_BYTE_PROFILE);
    put_be16(buf + 14, (uint16_t)((hl - SC_RTP_FIXED_HEADER - 4) / 4));
    memset(buf + 16, 0, hl - 16);
    size_t at = 16;
    if (level >= 0 && w->audio_level_id >= 1 && w->audio_level_id <= 14) {
      uint8_t lv = (uint8_t)((voice ? 0x80 : 0) | (level > 127 ? 127u : (unsigned)level));
      at = put_element(buf, at, w->audio_level_id, &lv, 1);
    }
    if (w->mid_id) at = put_element(buf, at, w->mid_id, w->mid, strlen(w->mid));
    if (w->rid_id) put_element(buf, at, w->rid_id, w->rid, strlen(w->rid));
  }
  w->seq++;
  w->last_ts = ts;
  w->packets++;
  w->octets += len;
  return (int)(hl + len);
}

/* ---- VP8 --------------------------------------------------------------- */

int sc_vp8_packetizer_init(sc_vp8_packetizer *p, uint32_t ssrc, uint8_t pt, size_t max_payload) {
  uint8_t r[2];
  if (!p) return -1;
  if (max_payload == 0) max_payload = SC_RTP_DEFAULT_MAX_PAYLOAD;
  if (max_payload <= SC_VP8_DESC_LEN || max_payload > SC_RTP_MAX_PAYLOAD) return -1;
  memset(p, 0, sizeof *p);
  if (sc_rtp_writer_init(&p->rtp, ssrc, pt, SC_RTP_VIDEO_CLOCK) != 0) return -1;
  if (RAND_bytes(r, sizeof r) != 1) return -1;
  p->max_payload = max_payload;
  p->picture_id = get_be16(r) & 0x7FFF;
  return 0;
}

int sc_vp8_packetizer_frame(sc_vp8_packetizer *p, const uint8_t *frame, size_t len,
                            uint32_t media_ts, unsigned flags) {
  if (!p || !frame || len == 0 || len > VP8_MAX_FRAME || p->max_payload <= SC_VP8_DESC_LEN)
    return -1;
  size_t room = p->max_payload - SC_VP8_DESC_LEN;
  size_t n = (len + room - 1) / room;
  p->frame = frame;
  p->len = len;
  p->off = 0;
  p->n_packets = n;
  p->chunk = len / n; /* the first len % n packets carry one byte more */
  p->sent = 0;
  p->media_ts = media_ts;
  p->flags = flags;
  p->picture_id = (p->picture_id + 1) & 0x7FFF; /* this frame's id is picture_id - 1 */
  p->frames++;
  if (flags & SC_VP8_KEYFRAME) p->keyframes++;
  return (int)n;
}

int sc_vp8_packetizer_next(sc_vp8_packetizer *p, uint8_t *buf, size_t cap) {
  if (!p || !buf) return -1;
  if (!p->frame || p->sent >= p->n_packets) return 0;
  size_t size = p->chunk + (p->sent < p->len % p->n_packets ? 1 : 0);
  size_t plen = SC_VP8_DESC_LEN + size;
  if (cap < SC_RTP_FIXED_HEADER + plen || p->off + size > p->len) return -1;
  uint16_t pid = (uint16_t)((p->picture_id - 1) & 0x7FFF);
  uint8_t *d = buf + SC_RTP_FIXED_HEADER;
  /* RFC 7741 4.2: X | R | N | S | R | PID=0, then I, then M=1 + 15-bit id. */
  d[0] = (uint8_t)(0x80 | ((p->flags & SC_VP8_DROPPABLE) ? 0x20 : 0) | (p->sent == 0 ? 0x10 : 0));
  d[1] = 0x80;
  d[2] = (uint8_t)(0x80 | (pid >> 8));
  d[3] = (uint8_t)pid;
  memcpy(d + SC_VP8_DESC_LEN, p->frame + p->off, size);
  bool last = p->sent + 1 == p->n_packets;
  int n = sc_rtp_write(&p->rtp, p->media_ts, last, -1, false, d, plen, buf, cap);
  if (n < 0) return -1;
  p->off += size;
  p->sent++;
  if (last) p->frame = NULL;
  return n;
}

int sc_vp8_desc_parse(const uint8_t *p, size_t n, sc_vp8_desc *d) {
  sc_vp8_desc r = {0};
  size_t off = 1;
  if (!p || !d || n < 1) return -1;
  r.non_ref = (p[0] & 0x20) != 0;
  r.start = (p[0] & 0x10) != 0;
  r.pid = p[0] & 0x07;
  if (p[0] & 0x80) { /* X: the extension byte I L T K follows */
    if (n < 2) return -1;
    uint8_t x = p[1];
    off = 2;
    if (x & 0x80) { /* I: PictureID, 7 or 15 bits */
      if (off >= n) return -1;
      r.has_picture_id = true;
      if (p[off] & 0x80) {
        if (off + 2 > n) return -1;
        r.picture_id = (uint16_t)((p[off] & 0x7F) << 8 | p[off + 1]);
        off += 2;
      } else {
        r.picture_id = p[off] & 0x7F;
        off += 1;
      }
    }
    if (x & 0x40) off++;          /* L: TL0PICIDX */
    if (x & (0x20 | 0x10)) off++; /* T or K: TID|Y|KEYIDX */
  }
  if (off >= n) return -1; /* no VP8 data after the descriptor */
  r.len = off;
  *d = r;
  return 0;
}

/* ---- Opus -------------------------------------------------------------- */

int sc_opus_packetizer_init(sc_opus_packetizer *p, uint32_t ssrc, uint8_t pt) {
  if (!p) return -1;
  memset(p, 0, sizeof *p);
  if (sc_rtp_writer_init(&p->rtp, ssrc, pt, SC_RTP_AUDIO_CLOCK) != 0) return -1;
  p->talkspurt = true;
  return 0;
}

int sc_opus_packetizer_write(sc_opus_packetizer *p, const uint8_t *frame, size_t len,
                             uint32_t samples, int level, bool voice, uint8_t *buf, size_t cap) {
  if (!p || !frame || len == 0) return -1;
  int n = sc_rtp_write(&p->rtp, p->media_ts, p->talkspurt, level, voice, frame, len, buf, cap);
  if (n < 0) return -1;
  p->talkspurt = false;
  p->media_ts += samples;
  return n;
}

void sc_opus_packetizer_skip(sc_opus_packetizer *p, uint32_t samples) {
  if (!p) return;
  p->media_ts += samples;
  p->talkspurt = true;
}
