/* A participant's counters (sc_client_stats, include/sealroom_client.h)
 * from what its peer connections count per SSRC (sc_peer_stats): shared by
 * client/client.c and client/janus.c. */
#ifndef SEALROOM_CLIENT_PEER_STATS_H
#define SEALROOM_CLIENT_PEER_STATS_H

#include <stdbool.h>

#include "client/peer.h"
#include "sealroom_client.h"

/* Adds p's NACKs sent and received and retransmissions (every SSRC), and
 * the loss and the largest jitter of its incoming SSRCs by kind, to out;
 * with plis, also the PLIs the peer sent. p NULL: nothing. */
void sc_peer_stats_add(const sc_peer *p, sc_client_stats *out, bool plis);

#endif
