/* RTCP compound iteration, feedback parsing and building (RFC 3550 6,
 * RFC 4585 6, RFC 5104 4.3.1, draft-alvestrand-rmcat-remb-03 2.2).
 * Block lengths come from the packet and are never trusted: rtcp_next checks
 * each against the bytes present, and every parser stays within the block's
 * body (its length minus any padding). */
#include "rtp/rtcp.h"

#include <string.h>

#include "common/bytes.h"

#define FB_HEADER 12     /* V/P/FMT, PT, length, sender SSRC, media SSRC */
#define FIR_ENTRY 8      /* SSRC, seq nr, 3 reserved bytes */
#define NACK_ENTRY 4     /* PID, BLP */
#define REMB_MIN 20      /* feedback header + "REMB" + num/exp/mantissa */
#define REMB_MANTISSA_MAX 0x3FFFFu
#define MAX_LENGTH_FIELD 0xFFFFu

int rtcp_next(const uint8_t *p, size_t n, size_t *off, rtcp_block *b) {
  if (!p || !off || *off > n) return -1;
  if (*off == n) return n == 0 ? -1 : 0;
  size_t left = n - *off;
  if (left < 4) return -1;
  const uint8_t *q = p + *off;
  if ((q[0] >> 6) != 2) return -1;
  size_t len = ((size_t)get_be16(q + 2) + 1) * 4;
  if (len > left) return -1;
  if (q[0] & 0x20) {
    uint8_t pad = q[len - 1];
    if (pad == 0 || pad > len - 4) return -1;
  }
  b->type = q[1];
  b->count = q[0] & 0x1F;
  b->len = len;
  b->p = q;
  *off += len;
  return 1;
}

/* Bytes of the block without its padding; 4 (header only) if the padding
 * count is impossible, so that no message parser accepts the block. */
static size_t body_len(const rtcp_block *b) {
  if (!b->p || b->len < 4) return 0;
  if (!(b->p[0] & 0x20)) return b->len;
  uint8_t pad = b->p[b->len - 1];
  if (pad == 0 || pad > b->len - 4) return 4;
  return b->len - pad;
}

static bool is_fb(const rtcp_block *b, uint8_t type, uint8_t fmt, size_t min_len) {
  return b->type == type && b->count == fmt && body_len(b) >= min_len;
}

uint32_t rtcp_sender_ssrc(const rtcp_block *b) {
  if (body_len(b) < 8) return 0;
  switch (b->type) {
    case RTCP_SR:
    case RTCP_RR:
    case RTCP_APP:
    case RTCP_RTPFB:
    case RTCP_PSFB:
      return get_be32(b->p + 4);
    case RTCP_SDES:
    case RTCP_BYE:
      return b->count >= 1 ? get_be32(b->p + 4) : 0;
    default:
      return 0;
  }
}

uint32_t rtcp_media_ssrc(const rtcp_block *b) {
  if ((b->type != RTCP_RTPFB && b->type != RTCP_PSFB) || body_len(b) < FB_HEADER) return 0;
  return get_be32(b->p + 8);
}

bool rtcp_is_pli(const rtcp_block *b) { return is_fb(b, RTCP_PSFB, RTCP_PSFB_PLI, FB_HEADER); }

bool rtcp_is_fir(const rtcp_block *b) {
  return is_fb(b, RTCP_PSFB, RTCP_PSFB_FIR, FB_HEADER + FIR_ENTRY);
}

bool rtcp_is_nack(const rtcp_block *b) {
  return is_fb(b, RTCP_RTPFB, RTCP_RTPFB_NACK, FB_HEADER + NACK_ENTRY);
}

int rtcp_fir_entries(const rtcp_block *b, uint32_t *ssrcs, uint8_t *seq_nrs, int cap) {
  if (!rtcp_is_fir(b) || !ssrcs) return 0;
  size_t entries = (body_len(b) - FB_HEADER) / FIR_ENTRY;
  int k = 0;
  for (size_t i = 0; i < entries && k < cap; i++, k++) {
    const uint8_t *e = b->p + FB_HEADER + i * FIR_ENTRY;
    ssrcs[k] = get_be32(e);
    if (seq_nrs) seq_nrs[k] = e[4];
  }
  return k;
}

int rtcp_fir_ssrcs(const rtcp_block *b, uint32_t *ssrcs, int cap) {
  return rtcp_fir_entries(b, ssrcs, NULL, cap);
}

int rtcp_nack_seqs(const rtcp_block *b, uint16_t *seqs, int cap) {
  if (!rtcp_is_nack(b) || !seqs) return 0;
  size_t pairs = (body_len(b) - FB_HEADER) / NACK_ENTRY;
  int k = 0;
  for (size_t i = 0; i < pairs && k < cap; i++) {
    const uint8_t *e = b->p + FB_HEADER + i * NACK_ENTRY;
    uint16_t pid = get_be16(e), blp = get_be16(e + 2);
    seqs[k++] = pid;
    for (unsigned bit = 0; bit < 16 && k < cap; bit++) {
      if (blp & (1u << bit)) seqs[k++] = (uint16_t)(pid + bit + 1);
    }
  }
  return k;
}

int rtcp_parse_remb(const rtcp_block *b, uint64_t *bitrate_bps, uint32_t *ssrcs, int cap,
                    int *n) {
  if (!bitrate_bps || !n || !is_fb(b, RTCP_PSFB, RTCP_PSFB_AFB, REMB_MIN)) return -1;
  if (!ssrcs) cap = 0;
  const uint8_t *q = b->p;
  if (memcmp(q + FB_HEADER, "REMB", 4) != 0) return -1;
  size_t num = q[16];
  unsigned exp = q[17] >> 2;
  uint64_t mantissa = get_be24(q + 17) & REMB_MANTISSA_MAX; /* after the 6-bit exp */
  if (num * 4 > body_len(b) - REMB_MIN) return -1;
  if (exp > 0 && (mantissa >> (64 - exp)) != 0) return -1; /* would overflow */
  *bitrate_bps = mantissa << exp;
  int k = 0;
  for (size_t i = 0; i < num && k < cap; i++) ssrcs[k++] = get_be32(q + REMB_MIN + 4 * i);
  *n = k;
  return 0;
}

/* Writes the common header of a block of len bytes (a multiple of 4). */
static void write_header(uint8_t *out, uint8_t count, uint8_t type, size_t len) {
  out[0] = (uint8_t)(0x80 | (count & 0x1F));
  out[1] = type;
  put_be16(out + 2, (uint16_t)(len / 4 - 1));
}

size_t rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc) {
  if (!out || cap < FB_HEADER) return 0;
  write_header(out, RTCP_PSFB_PLI, RTCP_PSFB, FB_HEADER);
  put_be32(out + 4, sender_ssrc);
  put_be32(out + 8, media_ssrc);
  return FB_HEADER;
}

size_t rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr) {
  const size_t len = FB_HEADER + FIR_ENTRY;
  if (!out || cap < len) return 0;
  write_header(out, RTCP_PSFB_FIR, RTCP_PSFB, len);
  put_be32(out + 4, sender_ssrc);
  put_be32(out + 8, 0);
  put_be32(out + 12, media_ssrc);
  out[16] = seq_nr;
  out[17] = out[18] = out[19] = 0;
  return len;
}

size_t rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, int n) {
  if (!out || !seqs || n < 1 || cap < FB_HEADER + NACK_ENTRY) return 0;
  /* Pairs are kept in out itself; the length field limits them. */
  const size_t max_pairs = MAX_LENGTH_FIELD - 2;
  size_t pairs = 0;
  for (int i = 0; i < n; i++) {
    uint16_t s = seqs[i];
    bool placed = false;
    /* Newest pair first: with ascending input that is the one that fits. */
    for (size_t k = pairs; k-- > 0 && !placed;) {
      uint8_t *e = out + FB_HEADER + k * NACK_ENTRY;
      uint16_t d = (uint16_t)(s - get_be16(e));
      if (d == 0) {
        placed = true;
      } else if (d <= 16) {
        put_be16(e + 2, (uint16_t)(get_be16(e + 2) | (1u << (d - 1))));
        placed = true;
      }
    }
    if (placed) continue;
    if (pairs == max_pairs || cap - FB_HEADER < (pairs + 1) * NACK_ENTRY) return 0;
    uint8_t *e = out + FB_HEADER + pairs * NACK_ENTRY;
    put_be16(e, s);
    put_be16(e + 2, 0);
    pairs++;
  }
  size_t len = FB_HEADER + pairs * NACK_ENTRY;
  write_header(out, RTCP_RTPFB_NACK, RTCP_RTPFB, len);
  put_be32(out + 4, sender_ssrc);
  put_be32(out + 8, media_ssrc);
  return len;
}

size_t rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                       const uint32_t *ssrcs, int n) {
  if (!out || n < 0 || n > 255 || (n > 0 && !ssrcs)) return 0;
  size_t len = REMB_MIN + 4 * (size_t)n;
  if (cap < len) return 0;
  unsigned exp = 0;
  while ((bitrate_bps >> exp) > REMB_MANTISSA_MAX) exp++; /* at most 46 */
  uint32_t mantissa = (uint32_t)(bitrate_bps >> exp);
  write_header(out, RTCP_PSFB_AFB, RTCP_PSFB, len);
  put_be32(out + 4, sender_ssrc);
  put_be32(out + 8, 0); /* media source: unused by REMB */
  memcpy(out + FB_HEADER, "REMB", 4);
  out[16] = (uint8_t)n;
  put_be24(out + 17, (uint32_t)exp << 18 | mantissa); /* 6-bit exp, 18-bit mantissa */
  for (int i = 0; i < n; i++) put_be32(out + REMB_MIN + 4 * (size_t)i, ssrcs[i]);
  return len;
}

size_t rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc) {
  if (!out || cap < 8) return 0;
  write_header(out, 0, RTCP_RR, 8);
  put_be32(out + 4, sender_ssrc);
  return 8;
}
