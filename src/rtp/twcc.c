/* Transport-wide congestion control feedback: arrival recording and report
 * writing (see twcc.h). Report layout (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01, section 3.1):
 *   RTCP header (FMT 15, PT 205) | sender SSRC | media SSRC |
 *   base sequence (16) | packet status count (16) | reference time (24,
 *   units of 64 ms) | feedback packet count (8) | status chunks (16 bits
 *   each) | receive deltas (1 byte, or 2 bytes signed, units of 250 us) |
 *   padding to 32 bits. */
#include "rtp/twcc.h"

#include <string.h>

#include "common/bytes.h"

enum { NOT_RECEIVED = 0, SMALL_DELTA = 1, LARGE_DELTA = 2 };

#define HEADER_LEN 20
#define REF_UNIT_US 64000
#define DELTA_UNIT_US 250
#define MAX_RUN 8191 /* 13-bit run length */

void twcc_init(twcc_recorder *r) {
  memset(r, 0, sizeof *r);
}

bool twcc_pending(const twcc_recorder *r) {
  return r->started && r->count > 0;
}

int twcc_record(twcc_recorder *r, uint16_t seq, int64_t arrival_us) {
  if (arrival_us < 0) arrival_us = 0; /* -1 marks "not received" */
  if (!r->started) {
    r->started = true;
    r->base = seq;
    r->count = 0;
  }
  int d = (int16_t)(uint16_t)(seq - r->base);
  if (d < 0) { /* reported already (as lost) or far out of order */
    r->late++;
    return 0;
  }
  if (d >= TWCC_WINDOW) {
    if (r->count > 0) return 1; /* report what is pending first */
    r->base = seq;              /* a jump with nothing pending: start over here */
    d = 0;
  }
  if (d >= r->count) {
    for (int i = r->count; i < d; i++) r->arrival_us[i] = -1;
    r->count = (uint16_t)(d + 1);
  } else if (r->arrival_us[d] >= 0) {
    r->duplicates++;
    return 0;
  }
  r->arrival_us[d] = arrival_us;
  return 0;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Bytes of status chunks for n statuses, at most (each chunk covers 7 or
 * more of them but the last). */
static size_t chunk_bytes_max(int n) {
  return 2 * (size_t)((n + 6) / 7);
}

/* Writes the chunks for the n statuses st; returns the bytes written. */
static size_t write_chunks(const uint8_t *st, int n, uint8_t *out) {
  size_t len = 0;
  int i = 0;
  while (i < n) {
    int run = 1;
    while (i + run < n && run < MAX_RUN && st[i + run] == st[i]) run++;
    uint16_t chunk;
    if (run >= 7) { /* run length chunk: 0 | symbol (2) | length (13) */
      chunk = (uint16_t)(st[i] << 13 | run);
      i += run;
    } else { /* status vector chunk, 2-bit symbols: 1 | 1 | 7 symbols */
      chunk = 0xC000;
      for (int k = 0; k < 7; k++) {
        uint8_t s = i + k < n ? st[i + k] : NOT_RECEIVED; /* past the count: ignored */
        chunk |= (uint16_t)(s << (12 - 2 * k));
      }
      i += 7;
    }
    put_be16(out + len, chunk);
    len += 2;
  }
  return len;
}

size_t twcc_build(twcc_recorder *r, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out,
                  size_t cap) {
  if (!out || cap < HEADER_LEN + 4 || !twcc_pending(r)) return 0;
  int first = 0;
  while (first < r->count && r->arrival_us[first] < 0) first++;
  if (first == r->count) return 0; /* cannot happen: the window ends with an arrival */
  int64_t ref = floor_div(r->arrival_us[first], REF_UNIT_US);
  int64_t prev = ref * REF_UNIT_US; /* arrival as the receiver will reconstruct it */

  uint8_t st[TWCC_WINDOW];
  int16_t delta[TWCC_WINDOW];
  size_t delta_len = 0;
  int n = 0;
  for (; n < r->count; n++) {
    int64_t at = r->arrival_us[n];
    size_t size = 0;
    if (at < 0) {
      st[n] = NOT_RECEIVED;
    } else {
      int64_t ticks = floor_div(at - prev + DELTA_UNIT_US / 2, DELTA_UNIT_US);
      if (ticks >= 0 && ticks <= 255) {
        st[n] = SMALL_DELTA;
        size = 1;
      } else if (ticks >= INT16_MIN && ticks <= INT16_MAX) {
        st[n] = LARGE_DELTA;
        size = 2;
      } else {
        break; /* a gap of more than 8 s: the next report starts a new reference */
      }
      delta[n] = (int16_t)ticks;
    }
    size_t need = HEADER_LEN + chunk_bytes_max(n + 1) + delta_len + size;
    if (((need + 3) & ~(size_t)3) > cap) break; /* padded to 32 bits */
    if (at >= 0) prev += (int64_t)delta[n] * DELTA_UNIT_US;
    delta_len += size;
  }
  if (n == 0) return 0;

  put_be32(out + 4, sender_ssrc);
  put_be32(out + 8, media_ssrc);
  put_be16(out + 12, r->base);
  put_be16(out + 14, (uint16_t)n);
  put_be24(out + 16, (uint32_t)((uint64_t)ref & 0xFFFFFF));
  out[19] = r->fb_count++;
  size_t len = HEADER_LEN + write_chunks(st, n, out + HEADER_LEN);
  for (int i = 0; i < n; i++) {
    if (st[i] == SMALL_DELTA) {
      out[len++] = (uint8_t)delta[i];
    } else if (st[i] == LARGE_DELTA) {
      put_be16(out + len, (uint16_t)delta[i]);
      len += 2;
    }
  }
  size_t pad = (4 - len % 4) % 4;
  if (pad) { /* RFC 3550 padding: zeros, the last byte says how many */
    memset(out + len, 0, pad);
    out[len + pad - 1] = (uint8_t)pad;
    len += pad;
  }
  out[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | 15);
  out[1] = 205;
  put_be16(out + 2, (uint16_t)(len / 4 - 1));

  /* The reported part leaves the window. */
  r->count = (uint16_t)(r->count - n);
  memmove(r->arrival_us, r->arrival_us + n, (size_t)r->count * sizeof r->arrival_us[0]);
  r->base = (uint16_t)(r->base + n);
  return len;
}
