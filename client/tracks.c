/* Incoming tracks by SSRC (client/tracks.h): linear probing from a
 * multiplicative hash of the SSRC. */
#include "client/tracks.h"

#define MASK (SC_SSRC_INDEX_SLOTS - 1u)

static unsigned home(uint32_t ssrc) { return (ssrc * 2654435761u) >> 22; } /* 10 bits: 1024 slots */

_Static_assert(SC_SSRC_INDEX_SLOTS == 1024, "home() gives 10 bits");

void sc_ssrc_index_clear(sc_ssrc_index *x) {
  for (unsigned i = 0; i < SC_SSRC_INDEX_SLOTS; i++) {
    x->slot[i].ssrc = 0;
    x->slot[i].track = -1;
  }
  x->n = 0;
}

int sc_ssrc_index_add(sc_ssrc_index *x, uint32_t ssrc, int track) {
  if (x->n >= SC_SSRC_INDEX_MAX || track < 0 || track > INT16_MAX) return -1;
  unsigned i = home(ssrc);
  while (x->slot[i].track >= 0) i = (i + 1) & MASK;
  x->slot[i].ssrc = ssrc;
  x->slot[i].track = (int16_t)track;
  x->n++;
  return 0;
}

int sc_ssrc_index_find(const sc_ssrc_index *x, uint32_t ssrc) {
  for (unsigned i = home(ssrc), n = 0; n < SC_SSRC_INDEX_SLOTS; i = (i + 1) & MASK, n++) {
    if (x->slot[i].track < 0) return -1;
    if (x->slot[i].ssrc == ssrc) return x->slot[i].track;
  }
  return -1;
}
