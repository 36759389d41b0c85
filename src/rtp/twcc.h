/* Transport-wide congestion control feedback, the receiver's side
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): the SFU records when
 * each packet of a publisher's transport arrived (by the transport-wide
 * sequence number the browser puts in a header extension) and reports the
 * arrivals back in RTPFB FMT 15 messages. The browser's send-side bandwidth
 * estimator (delay- and loss-based) runs on these reports: without them the
 * publisher's uplink is not measured at all.
 *
 * One recorder per publishing transport: a fixed-size, caller-owned struct
 * (valid after twcc_init), no allocation, no logging, not thread-safe. */
#ifndef SEALROOM_RTP_TWCC_H
#define SEALROOM_RTP_TWCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sequence numbers one report covers at most (received or not). */
#define TWCC_WINDOW 512
/* A report of a full window fits in this many bytes (header, chunks, deltas
 * of up to 2 bytes each, padding). */
#define TWCC_MAX_REPORT (20 + 2 * TWCC_WINDOW + 2 * TWCC_WINDOW)

typedef struct {
  bool started;       /* a first packet set base */
  uint16_t base;      /* first sequence number not yet reported */
  uint16_t count;     /* sequence numbers base..base+count-1 are pending */
  uint8_t fb_count;   /* feedback packet count, incremented per report */
  int64_t arrival_us[TWCC_WINDOW]; /* index seq - base; -1: not received (yet) */
  uint64_t late, duplicates;      /* packets ignored: before base, or seen already */
} twcc_recorder;

void twcc_init(twcc_recorder *r);

/* Records that packet seq arrived at arrival_us (any monotonic clock in
 * microseconds). Returns 0, or 1 if seq does not fit the pending window:
 * build a report (which empties it) and record again. Packets older than
 * the window (already reported, or reordered by more than a report) and
 * duplicates are counted and ignored. */
int twcc_record(twcc_recorder *r, uint16_t seq, int64_t arrival_us);

/* True if packets wait to be reported. */
bool twcc_pending(const twcc_recorder *r);

/* Writes one feedback message (RTCP RTPFB, FMT 15, padded to 32 bits with
 * the padding bit set, so it must be the last packet of a compound) about
 * the pending window, or about its first part if the rest does not fit cap
 * or a gap between arrivals is too long to encode; the reported part leaves
 * the window. Returns the length written, 0 if nothing is pending or cap is
 * below 24 bytes. */
size_t twcc_build(twcc_recorder *r, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out,
                  size_t cap);

#endif
