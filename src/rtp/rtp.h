/* RTP packets (RFC 3550) as the SFU sees them after SRTP unprotect: header
 * parsing with every length checked, rtcp-mux demultiplexing (RFC 5761),
 * header extension elements in the one-byte and two-byte forms (RFC 8285),
 * the client-to-mixer audio level (RFC 6464), and the in-place rewrites a
 * forwarder needs (payload type, SSRC, extension ids).
 *
 * Everything here runs per packet: zero-copy, no allocation, no logging.
 * Parsers read through the caller's bytes and return offsets into them. */
#ifndef SEALROOM_RTP_H
#define SEALROOM_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint8_t version, padding, extension, csrc_count, marker, payload_type;
  uint16_t seq;
  uint32_t timestamp, ssrc;
  size_t header_len;    /* fixed + CSRCs + extension block, i.e. offset of the payload */
  size_t ext_offset;    /* offset of the extension block's 4-byte header, 0 if none */
  uint16_t ext_profile; /* 0xBEDE one-byte, 0x100x two-byte */
  size_t ext_len;       /* bytes of extension data after its header */
  size_t payload_len;   /* without padding */
  uint8_t padding_len;
} rtp_header;

/* True if p looks like RTP or RTCP: version 2 and at least 12 bytes for RTP,
 * 8 for RTCP (as told apart by rtp_is_rtcp). */
bool rtp_looks_like(const uint8_t *p, size_t n);

/* rtcp-mux demux: the second byte (payload type incl. marker bit) in
 * 192..223 means RTCP (RFC 5761 section 4). Looks only at that byte (n >= 2);
 * use rtp_looks_like for the version and minimum length. */
bool rtp_is_rtcp(const uint8_t *p, size_t n);

/* Parses the header of the n-byte packet p. Returns 0 and fills *h, or -1 if
 * the packet is malformed: shorter than 12 bytes, version not 2, CSRC list or
 * extension block past the end, padding count 0 or larger than the payload.
 * On failure *h is left unchanged. */
int rtp_parse(const uint8_t *p, size_t n, rtp_header *h);

/* Finds header extension element `id` (one-byte form: profile 0xBEDE, ids
 * 1..14; two-byte form: profile 0x100X, ids 1..255). Returns 0 with *data
 * pointing into p and *len its length (may be 0 in the two-byte form), or -1
 * if there is no such element, the block uses another profile, or an element
 * runs past the block before `id` is found. h must come from rtp_parse on p.
 * In the one-byte form an element with id 15 ends the search (RFC 8285 4.2). */
int rtp_ext_find(const uint8_t *p, const rtp_header *h, uint8_t id, const uint8_t **data,
                 size_t *len);

/* Rewrites extension ids in place: map[old] = new (1..14); ids mapping to 0
 * are set to RTP_EXT_DROP_ID (14), an id sealroom never declares, so
 * receivers ignore them. Works for one-byte and two-byte forms (two-byte: ids
 * up to 255; map has 256 entries). In the one-byte form a mapped id above 14
 * (it cannot be encoded) also becomes RTP_EXT_DROP_ID. Returns 0, or -1 if the
 * block is not in either form or an element runs past it; the whole block is
 * checked first, so on failure p is unchanged. Packets without an extension
 * block return 0. h must come from rtp_parse on p. */
#define RTP_EXT_DROP_ID 14
int rtp_ext_remap(uint8_t *p, const rtp_header *h, const uint8_t map[256]);

/* Audio level (RFC 6464) from the element data: level 0..127 (-dBov), voice
 * flag (the V bit). Returns 0, or -1 if len is 0. */
int rtp_audio_level(const uint8_t *data, size_t len, uint8_t *level, bool *voice);

/* In-place rewrites of a packet that rtp_parse accepted (at least 12 bytes). */
void rtp_set_payload_type(uint8_t *p, uint8_t pt); /* keeps the marker bit */
void rtp_set_ssrc(uint8_t *p, uint32_t ssrc);

/* 16-bit sequence helpers: a is newer than b (RFC 1982 style): a != b and a
 * is less than half the number space ahead of b. At exactly half (0x8000
 * apart) neither is newer. */
bool rtp_seq_newer(uint16_t a, uint16_t b);

#endif
