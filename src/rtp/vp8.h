/* The VP8 RTP payload descriptor (RFC 7741 section 4.2) as a simulcast
 * forwarder needs it: where the frame starts, whether it is a key frame, its
 * picture id, TL0PICIDX and temporal layer; and the in-place rewrites that
 * make several encodings look like one continuous stream.
 *
 * Works in end-to-end encrypted rooms too: the descriptor is written by the
 * browser's packetizer outside the encrypted frame, and the first bytes of a
 * frame (the VP8 frame tag with the key frame flag) are in SFrame's clear
 * prefix (docs/e2ee.md 5.2).
 *
 * Per packet: no allocation, every length checked. */
#ifndef SEALROOM_RTP_VP8_H
#define SEALROOM_RTP_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  size_t len;          /* bytes of descriptor: the VP8 payload starts here */
  bool start;          /* S: the first packet of a partition ... */
  uint8_t partition;   /* PID */
  bool has_picture_id; /* I */
  bool long_picture_id; /* M: 15 bits, else 7 */
  uint16_t picture_id;
  size_t picture_id_at; /* offset of its first byte in the descriptor */
  bool has_tl0;        /* L */
  uint8_t tl0picidx;
  size_t tl0_at;
  bool has_tid;        /* T */
  uint8_t tid;         /* temporal layer, 0 if !has_tid */
  bool layer_sync;     /* Y */
  bool keyframe;       /* the first packet of a key frame: S, PID 0 and the frame tag's P bit 0 */
} vp8_desc;

/* Parses the descriptor at the start of payload[0..n). 0, or -1 if it is
 * cut short (or n is 0). keyframe needs the frame tag's first byte after the
 * descriptor; a packet that ends with its descriptor is never a key frame. */
int vp8_parse(const uint8_t *payload, size_t n, vp8_desc *d);

/* Rewrites the picture id (kept at its width: a 7-bit one takes id mod 128)
 * and TL0PICIDX in place, where d (from vp8_parse of the same bytes) has them. */
void vp8_set_picture_id(uint8_t *payload, const vp8_desc *d, uint16_t picture_id);
void vp8_set_tl0picidx(uint8_t *payload, const vp8_desc *d, uint8_t tl0picidx);

#endif
