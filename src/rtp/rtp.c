/* RTP header parsing and in-place rewriting (RFC 3550 5.1, RFC 5761 4,
 * RFC 8285, RFC 6464). Every length field is checked against the bytes
 * actually present before it is used; fields are read through big-endian
 * accessors, never through struct overlays. */
#include "rtp/rtp.h"

#include "common/bytes.h"

#define RTP_FIXED_HEADER 12
#define EXT_ONE_BYTE_PROFILE 0xBEDE
#define EXT_TWO_BYTE_PROFILE 0x1000 /* the low 4 bits are "appbits" */
#define EXT_ONE_BYTE_STOP_ID 15

bool rtp_is_rtcp(const uint8_t *p, size_t n) {
  return n >= 2 && p[1] >= 192 && p[1] <= 223;
}

bool rtp_looks_like(const uint8_t *p, size_t n) {
  if (n < 8 || (p[0] >> 6) != 2) return false;
  return rtp_is_rtcp(p, n) || n >= RTP_FIXED_HEADER;
}

int rtp_parse(const uint8_t *p, size_t n, rtp_header *h) {
  rtp_header r = {0};
  if (!p || n < RTP_FIXED_HEADER) return -1;
  r.version = p[0] >> 6;
  if (r.version != 2) return -1;
  r.padding = (p[0] >> 5) & 1;
  r.extension = (p[0] >> 4) & 1;
  r.csrc_count = p[0] & 0x0F;
  r.marker = p[1] >> 7;
  r.payload_type = p[1] & 0x7F;
  r.seq = get_be16(p + 2);
  r.timestamp = get_be32(p + 4);
  r.ssrc = get_be32(p + 8);

  size_t off = RTP_FIXED_HEADER + 4u * r.csrc_count;
  if (off > n) return -1;
  if (r.extension) {
    if (n - off < 4) return -1;
    r.ext_offset = off;
    r.ext_profile = get_be16(p + off);
    r.ext_len = 4u * get_be16(p + off + 2);
    off += 4;
    if (r.ext_len > n - off) return -1;
    off += r.ext_len;
  }
  r.header_len = off;

  size_t rest = n - off;
  if (r.padding) {
    /* The last byte counts itself, so 0 is impossible. */
    r.padding_len = p[n - 1];
    if (r.padding_len == 0 || r.padding_len > rest) return -1;
    rest -= r.padding_len;
  }
  r.payload_len = rest;
  *h = r;
  return 0;
}

/* One element of an extension block, as found by ext_next. */
typedef struct {
  size_t id_pos; /* offset of the id byte within the block data */
  uint8_t id;
  size_t data_pos, len;
} ext_element;

enum { EXT_FORM_NONE, EXT_FORM_ONE_BYTE, EXT_FORM_TWO_BYTE };

static int ext_form(const rtp_header *h) {
  if (!h->extension) return EXT_FORM_NONE;
  if (h->ext_profile == EXT_ONE_BYTE_PROFILE) return EXT_FORM_ONE_BYTE;
  if ((h->ext_profile & 0xFFF0) == EXT_TWO_BYTE_PROFILE) return EXT_FORM_TWO_BYTE;
  return EXT_FORM_NONE;
}

/* Steps to the next element of block data d (n bytes) from *pos, skipping
 * padding bytes. Returns 1 with *e filled, 0 at the end of the elements (end
 * of block, or the one-byte stop id 15), -1 if an element runs past the end. */
static int ext_next(const uint8_t *d, size_t n, int form, size_t *pos, ext_element *e) {
  size_t i = *pos;
  /* Padding bytes are 0 (RFC 8285 4.1) and carry neither an id nor a
   * length. Id 0 is reserved for padding, so in the one-byte form any byte
   * with id 0 is skipped alone, whatever its length nibble says. */
  uint8_t id_mask = form == EXT_FORM_ONE_BYTE ? 0xF0 : 0xFF;
  while (i < n && (d[i] & id_mask) == 0) i++;
  if (i >= n) {
    *pos = n;
    return 0;
  }
  e->id_pos = i;
  if (form == EXT_FORM_ONE_BYTE) {
    e->id = d[i] >> 4;
    if (e->id == EXT_ONE_BYTE_STOP_ID) {
      *pos = n;
      return 0;
    }
    e->len = (size_t)(d[i] & 0x0F) + 1;
    e->data_pos = i + 1;
  } else {
    if (n - i < 2) return -1;
    e->id = d[i];
    e->len = d[i + 1];
    e->data_pos = i + 2;
  }
  if (e->len > n - e->data_pos) return -1;
  *pos = e->data_pos + e->len;
  return 1;
}

int rtp_ext_find(const uint8_t *p, const rtp_header *h, uint8_t id, const uint8_t **data,
                 size_t *len) {
  int form = ext_form(h);
  if (form == EXT_FORM_NONE || id == 0) return -1;
  if (form == EXT_FORM_ONE_BYTE && id >= EXT_ONE_BYTE_STOP_ID) return -1;
  const uint8_t *d = p + h->ext_offset + 4;
  size_t pos = 0;
  ext_element e;
  while (ext_next(d, h->ext_len, form, &pos, &e) == 1) {
    if (e.id == id) {
      *data = d + e.data_pos;
      *len = e.len;
      return 0;
    }
  }
  return -1;
}

int rtp_ext_remap(uint8_t *p, const rtp_header *h, const uint8_t map[256]) {
  if (!h->extension) return 0;
  int form = ext_form(h);
  if (form == EXT_FORM_NONE) return -1;
  uint8_t *d = p + h->ext_offset + 4;
  size_t pos = 0;
  ext_element e;
  int rc;
  while ((rc = ext_next(d, h->ext_len, form, &pos, &e)) == 1) {
  }
  if (rc < 0) return -1;

  pos = 0;
  while (ext_next(d, h->ext_len, form, &pos, &e) == 1) {
    uint8_t to = map[e.id];
    if (form == EXT_FORM_ONE_BYTE) {
      if (to == 0 || to >= EXT_ONE_BYTE_STOP_ID) to = RTP_EXT_DROP_ID;
      d[e.id_pos] = (uint8_t)((to << 4) | (d[e.id_pos] & 0x0F));
    } else {
      d[e.id_pos] = to == 0 ? RTP_EXT_DROP_ID : to;
    }
  }
  return 0;
}

int rtp_audio_level(const uint8_t *data, size_t len, uint8_t *level, bool *voice) {
  if (!data || len == 0) return -1;
  *level = data[0] & 0x7F;
  *voice = (data[0] & 0x80) != 0;
  return 0;
}

void rtp_set_payload_type(uint8_t *p, uint8_t pt) {
  p[1] = (uint8_t)((p[1] & 0x80) | (pt & 0x7F));
}

void rtp_set_ssrc(uint8_t *p, uint32_t ssrc) { put_be32(p + 8, ssrc); }

bool rtp_seq_newer(uint16_t a, uint16_t b) {
  uint16_t d = (uint16_t)(a - b);
  return d != 0 && d < 0x8000;
}
