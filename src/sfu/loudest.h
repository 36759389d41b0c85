/* Loudest audio: which audio streams of a room the SFU forwards when only
 * the N loudest are wanted (--loudest-audio N), and the sequence numbers
 * that make a stream held back for a while look to its receivers like Opus
 * DTX (no packet lost: sequence numbers continue, only the timestamp jumps).
 *
 * Loudness comes from each packet's RFC 6464 audio level (0 = 0 dBov, the
 * loudest, to 127 = silence), which stays in the clear in end-to-end
 * encrypted rooms (SFrame encrypts the payload only). Each stream has a
 * peak meter: a louder packet raises it at once (a new speaker's first
 * syllable is forwarded on the packet that shows it), it holds for
 * LOUDEST_HANGOVER_US and then falls by LOUDEST_RELEASE_DB_PER_S. A room
 * has at most N selected streams; a stream takes a free place at once, and
 * takes the place of the quietest selected one only when it is louder by
 * LOUDEST_MARGIN_DB (hysteresis: equally loud speakers do not flap). So a
 * room with N senders or fewer forwards everything, and a selected speaker
 * who pauses keeps the place for the hangover.
 *
 * Pure logic: no I/O, no allocation, bounded state (N <= LOUDEST_MAX_N per
 * room); sfu/worker.c applies it on its packet path. */
#ifndef SEALROOM_SFU_LOUDEST_H
#define SEALROOM_SFU_LOUDEST_H

#include <stdbool.h>
#include <stdint.h>

#define LOUDEST_MAX_N 16
#define LOUDEST_HANGOVER_US 1000000 /* a selected speaker's peak holds this long after it */
#define LOUDEST_RELEASE_DB_PER_S 20 /* then the meter falls this fast */
#define LOUDEST_MARGIN_DB 6         /* a newcomer must be this much louder than the quietest selected */
#define LOUDEST_REORDER_SPAN 16384  /* a packet this far behind the newest forwarded is not sent */

/* One published audio stream (a track of a room). */
typedef struct {
  /* the meter: loudness in 1/256 dB above -127 dBov, (127 - level) << 8 */
  int32_t peak_q8;
  int64_t peak_us; /* when the peak was set */
  bool selected;
  /* the stream its receivers see: out = in - offset */
  bool started;   /* a packet has been forwarded */
  bool gap;       /* packets were held back since the last one forwarded */
  uint16_t offset;
  uint16_t last_out;   /* the newest sequence number forwarded (receivers' numbering) */
  uint16_t resume_out; /* nothing before it is forwarded: the first after the last gap, or
                        * LOUDEST_REORDER_SPAN behind last_out (receivers' numbering) */
  uint32_t skipped;    /* packets held back in all (taken off sender reports' packet count) */
} loudest_stream;

/* A room's selected streams (at most N of its loudest_streams). */
typedef struct {
  loudest_stream *sel[LOUDEST_MAX_N];
  int n_sel;
} loudest_room;

typedef enum { LOUDEST_DROP = 0, LOUDEST_FORWARD, LOUDEST_SWITCHED_IN } loudest_verdict;

/* Rebuilding rooms (when streams or subscriptions change): clear each room,
 * then add each of its streams. The streams that were selected keep their
 * places, the n loudest of them at now_us if there are more (rooms that were
 * apart until a subscription joined them). */
void loudest_room_clear(loudest_room *r);
void loudest_room_add(loudest_room *r, int n, loudest_stream *s, int64_t now_us);

/* A packet of stream s in room r, n the places (0: every stream is
 * forwarded, unchanged), level its audio level (0..127; -1: the packet has
 * none, the meter is left as it is), seq its sequence number. Forwarded:
 * *out_seq is the sequence number its receivers get. A stream that takes a
 * place from another is LOUDEST_SWITCHED_IN. */
loudest_verdict loudest_packet(loudest_room *r, int n, loudest_stream *s, int level, int64_t now_us, uint16_t seq,
                               uint16_t *out_seq);

/* The stream's loudness at now_us (1/256 dB above -127 dBov), as ranked. */
int32_t loudest_loudness_q8(const loudest_stream *s, int64_t now_us);

#endif
