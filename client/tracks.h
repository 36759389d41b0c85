/* Incoming tracks by SSRC: an open-addressing index from an SSRC to the
 * caller's track number, looked up for every received packet. The caller
 * keeps its tracks in an array and rebuilds the index (clear, then add each
 * track) whenever the set changes. Fixed size, no allocation. */
#ifndef SEALROOM_CLIENT_TRACKS_H
#define SEALROOM_CLIENT_TRACKS_H

#include <stdint.h>

#define SC_SSRC_INDEX_SLOTS 1024 /* power of two */
/* At most this many tracks, so that the index stays at most half full. */
#define SC_SSRC_INDEX_MAX (SC_SSRC_INDEX_SLOTS / 2)

typedef struct {
  uint32_t ssrc;
  int16_t track; /* -1: empty slot */
} sc_ssrc_slot;

typedef struct {
  sc_ssrc_slot slot[SC_SSRC_INDEX_SLOTS];
  int n;
} sc_ssrc_index;

/* Empties the index. */
void sc_ssrc_index_clear(sc_ssrc_index *x);

/* Enters track (0 .. INT16_MAX) under ssrc. 0, or -1 when the index holds
 * SC_SSRC_INDEX_MAX tracks already or track is out of range. An SSRC entered
 * twice is found under its first track. */
int sc_ssrc_index_add(sc_ssrc_index *x, uint32_t ssrc, int track);

/* The track entered under ssrc, or -1. */
int sc_ssrc_index_find(const sc_ssrc_index *x, uint32_t ssrc);

#endif
