/* A test tap: sees each forwarded payload; compiled in but inert unless
 * --test-mode. The media worker holds a tap only when the server runs in test
 * mode with --capture or --e2ee-test-tamper; otherwise its pointer is NULL
 * and the forwarding path pays one well-predicted branch per packet.
 *
 * Capture writes every forwarded RTP payload, per published stream, to
 * DIR/t<transport>-<ssrc hex>-<audio|video>.cap (format in
 * docs/operations.md). Tamper plays the active attacker on every Nth audio
 * packet of a stream: it flips a bit of the last byte, overwrites the next
 * packet with plain bytes past its first byte, and puts the payload of the
 * packet before into the one after that (a replay under a fresh RTP header).
 * Uplink loss drops a share of the media publishers send before it is
 * decrypted, as a lossy network between them and the server would.
 *
 * Runs on the media worker thread only. */
#ifndef SEALROOM_SFU_TAP_H
#define SEALROOM_SFU_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp.h"

typedef struct sfu_tap sfu_tap;
typedef struct tap_stream tap_stream; /* the tap's state for one published stream */

/* NULL (inert) unless test_mode and at least one hook is asked for:
 * capture_dir non-empty, tamper_every >= 2 or uplink_loss_pct > 0. */
sfu_tap *tap_new(bool test_mode, const char *capture_dir, int tamper_every, int uplink_loss_pct);
void tap_free(sfu_tap *tap);

/* A stream is published / unpublished (control messages, not per packet).
 * tap_stream_open returns NULL if tap is NULL or nothing could be set up. */
tap_stream *tap_stream_open(sfu_tap *tap, uint32_t transport_id, uint32_t ssrc, bool audio);
void tap_stream_close(tap_stream *st);

/* One forwarded packet (after SRTP removal, before rewriting): records it,
 * may alter its payload in place, and returns the packet's new length (at
 * most max_len). h is the parsed header of pkt; st may be NULL. */
size_t tap_packet(sfu_tap *tap, tap_stream *st, uint8_t *pkt, size_t len, size_t max_len,
                  const rtp_header *h);

/* True if this datagram from a publisher is to be lost (uplink loss);
 * false if tap is NULL or has no loss. */
bool tap_drop_uplink(sfu_tap *tap);

#endif
