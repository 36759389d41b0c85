/* Simulcast forwarding for one subscriber of one simulcast video track (a
 * "down track"): which of the publisher's encodings (layers) it gets, and
 * the rewrites that make the layers it gets over time one continuous stream
 * (one SSRC, sequence numbers without gaps at a switch, timestamps that
 * only move forward, VP8 picture ids and TL0PICIDX without jumps).
 *
 * A switch happens only at a key frame of the wanted layer (VP8 layers are
 * independent encodings); until one comes, the current layer goes on. The
 * caller asks the publisher for that key frame. Pausing (target -1) stops
 * at once. Pure logic: no I/O, no allocation; sfu/worker.c applies it.
 *
 * Works on what stays in the clear in end-to-end encrypted rooms: the RTP
 * header and the VP8 payload descriptor (rtp/vp8.h). */
#ifndef SEALROOM_SFU_SIMULCAST_H
#define SEALROOM_SFU_SIMULCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp/vp8.h"

#define SIM_MAX_LAYERS 3

/* How a layer's numbers map to the subscriber's: out = in + offset. */
typedef struct {
  int8_t layer; /* -1: none */
  uint32_t gen; /* the layer's stream generation (a new SSRC is a new stream) */
  uint32_t sent; /* packets forwarded since the switch (to this layer) */
  uint16_t seq;
  uint32_t ts;
  uint16_t pid;
  uint8_t tl0;
  uint16_t first_in_seq; /* the layer's first packet sent (its key frame) */
  uint16_t first_out_seq;
} sim_offsets;

typedef struct {
  int8_t target;    /* the layer wanted, -1: paused */
  sim_offsets cur;  /* the layer forwarded now (layer -1: none) */
  sim_offsets prev; /* the one before the last switch: NACKs of what it sent */
  bool started;     /* the last_* below are valid */
  uint16_t last_seq;
  uint32_t last_ts;
  uint16_t last_pid;
  uint8_t last_tl0;
  int64_t last_us;  /* arrival of the packet that set last_ts */
  uint32_t switches;
} sim_down;

/* What one forwarded packet becomes. */
typedef struct {
  uint16_t seq;
  uint32_t ts;
  uint16_t pid;
  uint8_t tl0;
} sim_out;

typedef enum {
  SIM_DROP = 0,
  SIM_FORWARD,  /* forward, rewritten as *out */
  SIM_SWITCHED, /* the first packet of a newly forwarded layer: forward as *out */
} sim_verdict;

void sim_down_init(sim_down *d, int target);
/* Sets the layer wanted (-1 pauses at once). */
void sim_set_target(sim_down *d, int target);
/* True while the wanted layer is not the one forwarded (a key frame of it is needed). */
bool sim_waiting(const sim_down *d);

/* One packet of `layer` (sequence number seq, RTP timestamp ts, VP8
 * descriptor v, arrived at now_us): its fate for this subscriber. gen is
 * the layer's stream generation: when the publisher restarts an encoding
 * (a new SSRC, new numbers), the old offsets no longer apply and the layer
 * is taken up again at its next key frame, as after a switch. */
sim_verdict sim_packet(sim_down *d, int layer, uint32_t gen, uint16_t seq, uint32_t ts, const vp8_desc *v,
                       int64_t now_us, sim_out *out);

/* The packet the subscriber names by out_seq (a NACK): its layer and
 * sequence number there, and the offsets to rewrite it again. 0, or -1 if it
 * was not sent (by the current layer since its switch, or by the previous
 * one before it; never a number not sent yet). */
int sim_lookup(const sim_down *d, uint16_t out_seq, int *layer, uint16_t *in_seq, const sim_offsets **off);

/* Applies offsets to a layer's numbers. */
sim_out sim_apply(const sim_offsets *o, uint16_t seq, uint32_t ts, const vp8_desc *v);

#endif
