/* Per-stream packet bookkeeping for retransmission (RFC 4585 Generic NACK):
 * the history of recent outgoing packets that answers NACKs from
 * subscribers, and the sequence tracker that finds losses on an incoming
 * stream so the SFU can NACK its publisher.
 *
 * Both are fixed-size, caller-owned structs, valid when zero-initialised:
 * no allocation, no logging, one stream each, not thread-safe (a stream
 * lives on one media worker). */
#ifndef SEALROOM_RTP_HISTORY_H
#define SEALROOM_RTP_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Recent packets of one outgoing stream, to answer NACKs. A
 * packet lives in slot seq % RTP_HISTORY_SLOTS until a packet 512 sequence
 * numbers later (or an older one with the same slot) replaces it. */
#define RTP_HISTORY_SLOTS 512 /* power of two */
#define RTP_HISTORY_MAX_PACKET 1500
typedef struct {
  uint16_t seq;
  uint16_t len; /* 0: empty slot */
  bool late;    /* it came after a newer packet (a repair, or reordered) */
  uint64_t stored_ms;
  uint8_t data[RTP_HISTORY_MAX_PACKET];
} rtp_history_slot;
typedef struct {
  rtp_history_slot slots[RTP_HISTORY_SLOTS];
} rtp_history; /* zero-initialised = empty; about 760 KiB */

/* Copies the len-byte packet into the slot of seq, replacing what was there.
 * Ignores len > max (and len 0); the slot is then emptied, so a NACK for seq
 * is never answered with an older packet. */
void rtp_history_put(rtp_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                     uint64_t now_ms);
/* Marks the stored packet of seq as one that came after a newer packet
 * (a retransmission that repaired a loss upstream, or a reordered one);
 * nothing if seq is not stored. A put clears the mark. */
void rtp_history_mark_late(rtp_history *h, uint16_t seq);
/* Is the stored packet of seq marked late? False if seq is not stored. */
bool rtp_history_is_late(const rtp_history *h, uint16_t seq);
/* Empties every slot (the stream restarted: its numbers mean other packets now). */
void rtp_history_clear(rtp_history *h);
/* Returns the stored packet for seq if present and younger than max_age_ms
 * (now_ms - stored_ms < max_age_ms), else NULL. The pointer is valid until
 * the next put. A clock that went backwards counts as age 0. */
const uint8_t *rtp_history_get(const rtp_history *h, uint16_t seq, size_t *len,
                               uint64_t now_ms, uint64_t max_age_ms);

/* Loss detection on an incoming stream, to NACK upstream. The tracker
 * remembers which of the last RTP_SEQ_TRACK_WINDOW sequence numbers (ending
 * at the highest seen) arrived.
 *   cycles:   wraps of the highest sequence number (RFC 3550 A.1), so the
 *             extended highest is cycles << 16 | highest;
 *   received: distinct packets recorded (duplicates are not counted);
 *   lost:     sequence numbers found missing and not arrived since;
 *   span:     how many sequence numbers ending at highest belong to the
 *             current stream (1..256): the window's part that was watched
 *             since the start or the last reset. */
#define RTP_SEQ_TRACK_WINDOW 256
#define RTP_SEQ_MAX_GAP 64 /* most sequence numbers one jump may report missing */
typedef struct {
  bool started;
  uint16_t highest;
  uint64_t received_bits[RTP_SEQ_TRACK_WINDOW / 64];
  uint32_t cycles;
  uint64_t lost, received;
  uint16_t span;
} rtp_seq_tracker;

/* Records seq; writes sequence numbers that became missing (gaps below the
 * new highest, at most cap, and never more than 64 in one jump: a larger jump
 * is treated as a stream reset) into missing, oldest first; returns their
 * count. Out-of-order arrivals fill holes.
 *
 * Precisely, with d = seq - highest (mod 2^16):
 *   d == 0 or seq already recorded: duplicate, nothing changes, returns 0;
 *   d in 1..65: seq becomes the highest, the d - 1 skipped numbers are
 *     missing (counted in lost even beyond cap);
 *   d in 66..65280 (more than 64 missing ahead, or 256 or more behind):
 *     stream reset: the window restarts at seq, returns 0;
 *   seq up to 255 behind: a late arrival; it fills its hole.
 * missing may be NULL when cap is 0. */
int rtp_seq_update(rtp_seq_tracker *t, uint16_t seq, uint16_t *missing, int cap);

/* True if seq is within the window and was recorded. */
bool rtp_seq_is_received(const rtp_seq_tracker *t, uint16_t seq);

#endif
