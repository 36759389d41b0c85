/* SFrame header codec (RFC 9605 section 4.3): config byte |X|K(3)|Y|C(3)|,
 * then the KID and CTR as minimal big-endian integers when they exceed 7.
 * Parsing is allocation-free and refuses truncated and non-minimal headers. */
#include "common/bytes.h"
#include "internal.h"

/* Bytes needed for v as a minimal big-endian integer (v > 7 here). */
static size_t int_bytes(uint64_t v) {
  size_t n = 1;
  while (n < 8 && (v >> (8 * n)) != 0) n++;
  return n;
}

static size_t field_len(uint64_t v) {
  return v <= 7 ? 0 : int_bytes(v);
}

size_t sre_header_len(uint64_t kid, uint64_t ctr) {
  return 1 + field_len(kid) + field_len(ctr);
}

size_t sre_header_encode(uint64_t kid, uint64_t ctr, uint8_t out[SRE_HEADER_MAX]) {
  size_t kn = field_len(kid), cn = field_len(ctr);
  uint8_t config = 0;
  config |= kn ? (uint8_t)(0x80 | (kn - 1) << 4) : (uint8_t)(kid << 4);
  config |= cn ? (uint8_t)(0x08 | (cn - 1)) : (uint8_t)ctr;
  out[0] = config;
  size_t o = 1;
  put_be_n(out + o, kn, kid);
  o += kn;
  put_be_n(out + o, cn, ctr);
  o += cn;
  return o;
}

/* Reads one field: `ext` says whether it is extended, `small` is the 3-bit
 * value (the value itself, or length - 1). */
static sre_status get_field(const uint8_t *buf, size_t len, size_t *off, int ext, unsigned small,
                            uint64_t *v) {
  if (!ext) {
    *v = small;
    return SRE_OK;
  }
  size_t n = (size_t)small + 1;
  if (len - *off < n) return SRE_ERR_HEADER_TRUNCATED;
  const uint8_t *p = buf + *off;
  if (p[0] == 0) return SRE_ERR_HEADER_NONMINIMAL; /* a leading zero byte */
  uint64_t x = get_be_n(p, n);
  if (x <= 7) return SRE_ERR_HEADER_NONMINIMAL; /* belongs in the config byte */
  *off += n;
  *v = x;
  return SRE_OK;
}

sre_status sre_header_parse(const uint8_t *buf, size_t len, sre_header *out) {
  if (!out || (!buf && len)) return SRE_ERR_ARG;
  out->kid = out->ctr = 0;
  out->len = 0;
  if (len == 0) return SRE_ERR_HEADER_TRUNCATED;
  uint8_t c = buf[0];
  size_t off = 1;
  uint64_t kid, ctr;
  sre_status st = get_field(buf, len, &off, c & 0x80, (c >> 4) & 7, &kid);
  if (st == SRE_OK) st = get_field(buf, len, &off, c & 0x08, c & 7, &ctr);
  if (st != SRE_OK) return st;
  out->kid = kid;
  out->ctr = ctr;
  out->len = off;
  return SRE_OK;
}
