/* A participant's counters from its peer connections (client/peer_stats.h). */
#include "client/peer_stats.h"

void sc_peer_stats_add(const sc_peer *p, sc_client_stats *out, bool plis) {
  if (!p) return;
  sc_ssrc_stats s[SC_PEER_MAX_SEND_SSRCS + SC_PEER_MAX_RECV_SSRCS];
  int n = sc_peer_stats(p, s, (int)(sizeof s / sizeof s[0]));
  if (n > (int)(sizeof s / sizeof s[0])) n = (int)(sizeof s / sizeof s[0]);
  for (int i = 0; i < n; i++) {
    int k = s[i].video ? SC_MEDIA_VIDEO : SC_MEDIA_AUDIO;
    out->nacks_sent += s[i].nacks_sent;
    out->nacks_received += s[i].nacks_received;
    out->retransmitted += s[i].retransmits;
    if (plis) out->plis_sent += s[i].plis_sent;
    if (s[i].outgoing) continue;
    if (s[i].lost > 0) out->packets_lost[k] += (uint64_t)s[i].lost;
    if (s[i].jitter_ms > out->jitter_ms[k]) out->jitter_ms[k] = s[i].jitter_ms;
  }
}
