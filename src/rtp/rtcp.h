/* RTCP as the SFU uses it (after SRTCP unprotect): iteration over compound
 * packets (RFC 3550 6.1), the sender and media-source SSRCs of a block, and
 * the feedback messages that drive forwarding: Generic NACK and PLI
 * (RFC 4585 6.2.1, 6.3.1), FIR (RFC 5104 4.3.1) and REMB
 * (draft-alvestrand-rmcat-remb). Builders write the same messages into caller
 * buffers.
 *
 * Per packet: zero-copy, no allocation, no logging. A block's bytes are only
 * read within b->len, which rtcp_next has checked against the packet. */
#ifndef SEALROOM_RTCP_H
#define SEALROOM_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One block of a compound packet. count is the 5-bit RC/SC/FMT field;
 * len = whole block incl. 4-byte header (and its padding, if any). */
typedef struct {
  uint8_t type;
  uint8_t count;
  size_t len;
  const uint8_t *p;
} rtcp_block;

/* Iterates a compound packet: returns 1 and fills b, 0 at the end, -1 if
 * malformed: length past end, fewer than 4 bytes left, version != 2, an
 * empty packet (n == 0 at *off == 0), or the padding bit set with a padding
 * count of 0 or larger than the block's body. *off starts at 0 and is
 * advanced past each block. A block of just the 4-byte header (length field
 * 0, e.g. BYE or SDES with count 0) is valid. */
int rtcp_next(const uint8_t *p, size_t n, size_t *off, rtcp_block *b);

enum {
  RTCP_SR = 200,
  RTCP_RR = 201,
  RTCP_SDES = 202,
  RTCP_BYE = 203,
  RTCP_APP = 204,
  RTCP_RTPFB = 205,
  RTCP_PSFB = 206
};

/* Feedback message types (the FMT in the count field). */
enum { RTCP_RTPFB_NACK = 1, RTCP_PSFB_PLI = 1, RTCP_PSFB_FIR = 4, RTCP_PSFB_AFB = 15 };

/* SR/RR/RTPFB/PSFB first SSRC (also APP, and SDES/BYE with count >= 1);
 * 0 if too short or another type. */
uint32_t rtcp_sender_ssrc(const rtcp_block *b);
/* RTPFB/PSFB media source SSRC; 0 if too short or another type. */
uint32_t rtcp_media_ssrc(const rtcp_block *b);

/* Type checks; a block too short for its message is not that message. A NACK
 * or FIR needs at least one FCI entry. */
bool rtcp_is_pli(const rtcp_block *b);
bool rtcp_is_fir(const rtcp_block *b);
bool rtcp_is_nack(const rtcp_block *b);

/* FIR: the media SSRCs it asks for (FCI entries), up to cap. Returns the
 * number written; 0 if b is not a FIR. Use rtcp_fir_entries for the command
 * sequence numbers too. */
int rtcp_fir_ssrcs(const rtcp_block *b, uint32_t *ssrcs, int cap);
/* Same, also writing each entry's command sequence number (seq_nrs may be
 * NULL). */
int rtcp_fir_entries(const rtcp_block *b, uint32_t *ssrcs, uint8_t *seq_nrs, int cap);

/* Generic NACK: expands (PID, BLP) pairs into sequence numbers, in packet
 * order (PID, then PID+1.. for BLP bits 0..15), up to cap; returns count.
 * 0 if b is not a NACK. Duplicates across pairs are kept. */
int rtcp_nack_seqs(const rtcp_block *b, uint16_t *seqs, int cap);

/* REMB: bitrate (mantissa << exp) and the first min(num SSRC, cap) SSRCs
 * into ssrcs, their number into *n. Returns 0, or -1 if b is not a REMB, its
 * SSRC list runs past the block, or the bitrate does not fit in 64 bits.
 * ssrcs may be NULL when cap is 0. */
int rtcp_parse_remb(const rtcp_block *b, uint64_t *bitrate_bps, uint32_t *ssrcs, int cap,
                    int *n);

/* Builders return the length written or 0 if cap is too small (or the
 * arguments cannot be encoded). Output is one block, without padding. */
size_t rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* The media source field is 0 (RFC 5104 4.3.1.2); media_ssrc goes in the FCI. */
size_t rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr);
/* Packs seqs into PID/BLP pairs: each sequence number joins an existing pair
 * whose PID is 0..16 behind it (mod 2^16), else starts a new pair. Any order
 * and duplicates are accepted; ascending order (as rtp_seq_update reports
 * them) packs tightest. 0 if n < 1. */
size_t rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, int n);
/* 6-bit exp + 18-bit mantissa, the smallest exp that fits (the bitrate is
 * rounded down to 18 significant bits). n is 0..255. */
size_t rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                       const uint32_t *ssrcs, int n);
/* Empty RR, for compound packets that must start with SR/RR. */
size_t rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc);

#endif
