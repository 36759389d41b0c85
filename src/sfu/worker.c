/* A media worker: one thread, one libuv loop, one UDP socket (and ICE-TCP
 * listener), the transports of the rooms placed on it (sfu.c). Every
 * datagram is demultiplexed by its first byte (RFC 7983: STUN 0-3, DTLS
 * 20-63, RTP/RTCP 128-191), then by source address (a table filled from the
 * ICE agents' valid addresses; new addresses are found by the ICE ufrag in
 * STUN). SRTP is removed per transport, RTP is routed by SSRC to the
 * subscribers of its track and protected per subscriber. The packet path
 * allocates nothing of its own, takes no lock and logs nothing; counters are
 * relaxed atomics read by /metrics.
 *
 * Trust rules: an SSRC belongs to the one transport that published it (the
 * control plane refuses duplicates, the table refuses them again); only the
 * owner's packets are forwarded; feedback (NACK, PLI, FIR) is honoured only
 * for SSRCs the sender subscribes to; media goes only to the address the
 * peer last proved with authenticated SRTP (or completed DTLS from), never
 * to an address that only passed a STUN check; retransmissions have a budget.
 *
 * ICE-TCP (sfu/tcp.h): a frame from a TCP connection is handled exactly as a
 * datagram, from the connection's name (net/tcp.h), so every rule above holds
 * for it; only sending looks at the kind of address. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/log.h"
#include "dtls/srtp.h"
#include "ice/stun.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "rtp/history.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/twcc.h"
#include "sfu/tables.h"
#include "sfu/tap.h"
#include "sfu/tcp.h"
#include "sfu/worker.h"

#define MAX_TRANSPORTS 1024 /* the most --max-transports allows (the tables are sized for it) */
#define MAX_SUBSCRIBERS 128      /* per track: a room holds at most 128 participants */
#define SERVER_SSRC 1            /* sender SSRC of the RTCP the SFU makes */
#define TICK_MS 20
#define REMB_INTERVAL_MS 1000
#define MEDIA_CONNECT_TIMEOUT_MS 10000 /* ICE and DTLS done within this of creation, or closed */
#define TWCC_INTERVAL_MS 50      /* transport-wide CC feedback to a publisher, at most this apart */
#define REMB_MAX_AGE_MS 5000     /* a subscriber's estimate counts this long */
#define REMB_MIN_BPS 150000
#define REMB_CONGESTED_PCT 85 /* a subscriber estimating less than 85% of what it gets is congested */
#define REMB_CONGESTED_FOR_MS 5000 /* ... once it has been for this long */
#define PLI_MIN_INTERVAL_MS 500  /* key frame requests per track, at most */
#define NACK_MAX_AGE_MS 1000     /* older packets are not retransmitted */
#define RTX_RATE 500.0           /* retransmissions per second per subscriber */
#define RTX_BURST 500.0
#define SUB_PT_OPUS 111          /* the subscribe offer's payload types */
#define SUB_PT_VP8 96
#define SUB_EXT_AUDIO_LEVEL 1
#define SUB_EXT_ABS_SEND_TIME 2  /* video lines of the subscribe offer */
#define EARLY_BYTES 4096
#define EARLY_DGRAMS 4

/* A published track: where it comes from and who receives it. */
typedef struct {
  sfu_track t;
  int subscribers[MAX_SUBSCRIBERS]; /* transport slots */
  int n_subscribers;
  uint8_t ext_map[256];
  rtp_history *history;             /* video only */
  rtp_seq_tracker seq;
  uint64_t last_pli_ms;
  tap_stream *tap; /* test mode only (sfu/tap.h); NULL otherwise */
} track;

typedef struct {
  bool used;
  uint32_t id;
  ice_agent ice;
  struct sockaddr_storage addrs[ICE_MAX_VALID]; /* this transport's entries in the address table */
  int n_addrs;
  bool has_confirmed;
  struct sockaddr_storage confirmed; /* where media goes: proved by SRTP or DTLS */
  bool have_remote;
  uint8_t remote_fp[32];
  dtls_conn *dtls;
  /* The first DTLS flight (a ClientHello often spans two datagrams) when it
   * comes before the peer's fingerprint (the subscribe answer): fed in order
   * once the fingerprint is known. */
  uint8_t early[EARLY_BYTES];
  uint16_t early_len[EARLY_DGRAMS];
  int n_early;
  size_t early_used;
  srtp_pair *srtp;
  bool closed_reported;
  track tracks[SFU_MAX_TRACKS_PER_TRANSPORT]; /* what this transport publishes */
  int n_tracks;
  uint32_t subscribed[SFU_MAX_SUBSCRIPTIONS];  /* SSRCs forwarded to this transport */
  int n_subscribed;
  int n_video_subscribed;
  uint64_t last_remb_ms;
  uint64_t remb_bps, remb_ms;                  /* this subscriber's own estimate */
  uint64_t congested_since_ms;                 /* its estimates have been under REMB_CONGESTED_PCT since (0: not) */
  uint64_t tx_bytes, tx_since_ms, tx_bps;      /* what we send it: bytes this second, the last rate */
  double rtx_tokens;
  uint64_t rtx_ms;
  /* Publishers that negotiated transport-wide CC: arrivals, reported to the
   * browser's send-side estimator every TWCC_INTERVAL_MS. */
  twcc_recorder *twcc;
  uint32_t twcc_ssrc; /* media SSRC named in the reports */
  uint64_t last_twcc_ms;
} transport;

struct worker {
  sfu *s;
  sfu_worker *me; /* this worker's sockets, mailbox and counters */
  uv_loop_t loop;
  uv_poll_t poll;
  uv_timer_t tick;
  transport *transports; /* n_transports */
  int n_transports;      /* the pool: --max-transports, at most MAX_TRANSPORTS */
  addr_entry *addrs;     /* ADDR_TABLE_SLOTS */
  ssrc_entry *ssrcs;     /* SSRC_TABLE_SLOTS */
  udp_recv_batch *rx;
  udp_send_batch *tx;
  uint8_t scratch[UDP_MAX_DATAGRAM + UDP_SEND_ROOM];
  int current; /* transport whose DTLS is sending (dtls send callback) */
  uint64_t counted_packets, counted_bytes; /* of tx's totals, already in the metrics */
  int64_t arrival_us; /* when the datagram being handled arrived (udp_recv_batch.at_us) */
  bool stopping;
  bool want_writable; /* tx holds datagrams the full socket refused: poll for writable */
  sfu_tap *tap; /* the test tap: NULL unless --test-mode with --capture, --e2ee-test-tamper or --test-uplink-loss */
  tcp_conns *tcp; /* ICE-TCP connections; NULL without --ice-tcp */
  uint8_t tcp_out[UDP_MAX_DATAGRAM + UDP_SEND_ROOM]; /* an SRTP packet protected for a TCP connection */
};

#define COUNT(field, n) atomic_fetch_add_explicit(&w->me->counters.field, (n), memory_order_relaxed)

/* ---- lookups ------------------------------------------------------------ */

static track *track_find(worker *w, uint32_t ssrc, int *owner) {
  int slot, index;
  if (ssrc_table_find(w->ssrcs, ssrc, &slot, &index) != 0) return NULL;
  if (owner) *owner = slot;
  return &w->transports[slot].tracks[index];
}

static bool subscribes_to(const transport *t, uint32_t ssrc) {
  for (int i = 0; i < t->n_subscribed; i++)
    if (t->subscribed[i] == ssrc) return true;
  return false;
}

static int slot_of(worker *w, uint32_t id) {
  for (int i = 0; i < w->n_transports; i++)
    if (w->transports[i].used && w->transports[i].id == id) return i;
  return -1;
}

/* Makes the address table hold exactly the ICE agent's valid addresses of
 * this transport. An address owned by another transport is not taken over. */
static void sync_addrs(worker *w, int slot) {
  transport *t = &w->transports[slot];
  for (int k = 0; k < t->n_addrs;) {
    if (ice_agent_is_valid_addr(&t->ice, (struct sockaddr *)&t->addrs[k])) {
      k++;
      continue;
    }
    addr_table_del(w->addrs, (struct sockaddr *)&t->addrs[k]);
    if (w->tcp) tcp_conns_close(w->tcp, (struct sockaddr *)&t->addrs[k]); /* no longer valid: not kept open */
    t->addrs[k] = t->addrs[--t->n_addrs];
  }
  for (int v = 0; v < t->ice.n_valid && t->n_addrs < ICE_MAX_VALID; v++) {
    const struct sockaddr *a = (const struct sockaddr *)&t->ice.valid[v];
    if (addr_table_find(w->addrs, a) >= 0) continue; /* mirrored already, or another's */
    if (addr_table_put(w->addrs, a, slot) == 0) memcpy(&t->addrs[t->n_addrs++], a, sockaddr_len(a));
  }
}

/* ---- sending ------------------------------------------------------------ */

/* Before SRTP: the ICE-selected address (DTLS replies). After: only the
 * address the peer proved with authenticated packets. */
static const struct sockaddr *dest(transport *t) {
  if (t->srtp) return t->has_confirmed ? (const struct sockaddr *)&t->confirmed : NULL;
  return t->ice.has_selected ? (const struct sockaddr *)&t->ice.selected : NULL;
}

static void confirm(transport *t, const struct sockaddr *from) {
  if (t->has_confirmed && sockaddr_equal((struct sockaddr *)&t->confirmed, from)) return;
  memcpy(&t->confirmed, from, sockaddr_len(from));
  t->has_confirmed = true;
}

/* Queues data[0..len) to `to`: a UDP address, or a TCP connection's name. */
static void send_to(worker *w, const struct sockaddr *to, const uint8_t *data, size_t len) {
  if (len > UDP_MAX_DATAGRAM) return;
  if (is_tcp_path(to)) {
    if (w->tcp && tcp_conns_send(w->tcp, to, data, len) == 0) {
      COUNT(packets_out, 1);
      COUNT(bytes_out, len);
    }
    return;
  }
  uint8_t *slot = udp_send_slot(w->me->fd, w->tx);
  memcpy(slot, data, len);
  udp_send_commit(w->tx, len, to, 0);
}

static void send_raw(worker *w, transport *t, const uint8_t *data, size_t len) {
  const struct sockaddr *to = dest(t);
  if (to) send_to(w, to, data, len);
}

/* Protects an RTP (rtcp = 0) or RTCP packet for t and queues it. src_us:
 * the arrival of the packet it forwards (for the forward-delay histogram),
 * 0 for one made or resent here. */
static void send_srtp(worker *w, transport *t, const uint8_t *pkt, size_t len, int rtcp, int64_t src_us) {
  const struct sockaddr *to = dest(t);
  if (!to || !t->srtp || len > UDP_MAX_DATAGRAM) return;
  bool tcp = is_tcp_path(to);
  uint8_t *slot = tcp ? w->tcp_out : udp_send_slot(w->me->fd, w->tx);
  memcpy(slot, pkt, len);
  size_t n = len;
  int rc = rtcp ? srtp_pair_protect_rtcp(t->srtp, slot, &n, UDP_MAX_DATAGRAM + UDP_SEND_ROOM)
                : srtp_pair_protect_rtp(t->srtp, slot, &n, UDP_MAX_DATAGRAM + UDP_SEND_ROOM);
  if (rc != 0) {
    COUNT(srtp_errors, 1);
    return;
  }
  t->tx_bytes += n;
  if (tcp) send_to(w, to, slot, n);
  else udp_send_commit(w->tx, n, to, src_us);
}

static void dtls_send(void *ctx, const uint8_t *data, size_t len) {
  worker *w = ctx;
  if (w->current >= 0) send_raw(w, &w->transports[w->current], data, len);
}

static void on_readable(uv_poll_t *h, int status, int events);

/* Sends the queued batch and moves its counts to the metrics: everything
 * sent since the last count, including the batches udp_send_slot flushed by
 * itself when full (those were not counted before). */
static void flush(worker *w) {
  if (w->tcp) tcp_conns_flush(w->tcp);
  bool pending = udp_flush(w->me->fd, w->tx) != 0;
  COUNT(packets_out, w->tx->sent_packets - w->counted_packets);
  COUNT(bytes_out, w->tx->sent_bytes - w->counted_bytes);
  w->counted_packets = w->tx->sent_packets;
  w->counted_bytes = w->tx->sent_bytes;
  udp_hold_hist *h = &w->tx->hold; /* the copies' holds, moved to the metrics */
  bool any = false;
  for (int i = 0; i < UDP_HOLD_BUCKETS; i++)
    if (h->n[i]) {
      COUNT(forward_delay[i], h->n[i]);
      any = true;
    }
  if (any) {
    COUNT(forward_delay_sum_us, h->sum_us);
    memset(h, 0, sizeof *h);
  }
  /* A full socket buffer keeps the rest of the batch: wait until the socket
   * is writable again to send it, then go back to reading only. */
  if (pending != w->want_writable && !w->stopping) {
    w->want_writable = pending;
    uv_poll_start(&w->poll, pending ? UV_READABLE | UV_WRITABLE : UV_READABLE, on_readable);
  }
}

/* Sends an RTCP feedback packet (with the RR that starts a compound packet). */
static void send_feedback(worker *w, transport *t, const uint8_t *fb, size_t fb_len) {
  uint8_t pkt[1200];
  size_t n = rtcp_build_rr(pkt, sizeof pkt, SERVER_SSRC);
  if (!n || n + fb_len > sizeof pkt) return;
  memcpy(pkt + n, fb, fb_len);
  send_srtp(w, t, pkt, n + fb_len, 1, 0);
}

static void request_keyframe(worker *w, int owner, track *tr, uint64_t now) {
  if (tr->t.kind != SFU_VIDEO || (tr->last_pli_ms && now - tr->last_pli_ms < PLI_MIN_INTERVAL_MS)) return;
  uint8_t fb[64];
  size_t n = rtcp_build_pli(fb, sizeof fb, SERVER_SSRC, tr->t.ssrc);
  if (!n) return;
  tr->last_pli_ms = now;
  send_feedback(w, &w->transports[owner], fb, n);
  COUNT(plis_sent, 1);
}

/* Key frames of every video track t receives (a new or reconnected receiver). */
static void keyframes_for(worker *w, transport *t, uint64_t now) {
  for (int k = 0; k < t->n_subscribed; k++) {
    int owner;
    track *tr = track_find(w, t->subscribed[k], &owner);
    if (tr) request_keyframe(w, owner, tr, now);
  }
}

/* ---- events to the control plane -------------------------------------- */

static void report(worker *w, uint32_t id, sfu_event_type type, const char *reason) {
  sfu_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.transport = id;
  snprintf(ev.reason, sizeof ev.reason, "%s", reason ? reason : "");
  mailbox_push(w->s->to_control, &ev);
}

static void close_transport_media(worker *w, transport *t, const char *reason) {
  if (t->closed_reported) return;
  t->closed_reported = true;
  report(w, t->id, SFU_EV_CLOSED, reason);
}

/* ---- subscriptions ------------------------------------------------------ */

/* Rebuilds every track's subscriber list from the transports' subscriptions. */
static void rebuild_subscribers(worker *w) {
  for (int s = 0; s < w->n_transports; s++)
    for (int k = 0; k < w->transports[s].n_tracks; k++) w->transports[s].tracks[k].n_subscribers = 0;
  for (int s = 0; s < w->n_transports; s++) {
    transport *t = &w->transports[s];
    if (!t->used) continue;
    t->n_video_subscribed = 0;
    for (int k = 0; k < t->n_subscribed; k++) {
      int owner;
      track *tr = track_find(w, t->subscribed[k], &owner);
      if (!tr || owner == s) continue;
      if (tr->t.kind == SFU_VIDEO) t->n_video_subscribed++;
      if (tr->n_subscribers < MAX_SUBSCRIBERS) tr->subscribers[tr->n_subscribers++] = s;
    }
  }
}

static void unpublish(worker *w, transport *t) {
  for (int k = 0; k < t->n_tracks; k++) {
    ssrc_table_del(w->ssrcs, t->tracks[k].t.ssrc);
    free(t->tracks[k].history);
    tap_stream_close(t->tracks[k].tap);
  }
  memset(t->tracks, 0, sizeof t->tracks);
  t->n_tracks = 0;
}

static void publish(worker *w, int slot, const sfu_cmd *c) {
  transport *t = &w->transports[slot];
  unpublish(w, t);
  for (int k = 0; k < c->n && t->n_tracks < SFU_MAX_TRACKS_PER_TRANSPORT; k++) {
    if (ssrc_table_put(w->ssrcs, c->tracks[k].ssrc, slot, t->n_tracks) != 0) continue; /* taken */
    track *tr = &t->tracks[t->n_tracks++];
    tr->t = c->tracks[k];
    if (tr->t.ext_audio_level) tr->ext_map[tr->t.ext_audio_level] = SUB_EXT_AUDIO_LEVEL;
    /* The publisher's send times go on to subscribers: their receive-side
     * estimate (the REMB that tells us they are congested) needs them, or
     * the publisher's paced probes look like queueing. */
    if (tr->t.ext_abs_send_time && tr->t.kind == SFU_VIDEO) tr->ext_map[tr->t.ext_abs_send_time] = SUB_EXT_ABS_SEND_TIME;
    if (tr->t.kind == SFU_VIDEO) tr->history = calloc(1, sizeof(rtp_history));
    if (t->srtp) srtp_pair_add_ssrc(t->srtp, tr->t.ssrc, 0);
    if (w->tap) tr->tap = tap_stream_open(w->tap, t->id, tr->t.ssrc, tr->t.kind == SFU_AUDIO);
    /* One recorder per transport (the sequence is transport-wide), kept
     * across republishing; the reports name a video track if there is one. */
    if (tr->t.ext_twcc) {
      if (!t->twcc && (t->twcc = malloc(sizeof *t->twcc))) twcc_init(t->twcc);
      if (!t->twcc_ssrc || tr->t.kind == SFU_VIDEO) t->twcc_ssrc = tr->t.ssrc;
    }
  }
  rebuild_subscribers(w);
}

/* ---- commands ----------------------------------------------------------- */

static void on_cmd_create(worker *w, const sfu_cmd *c) {
  for (int i = 0; i < w->n_transports; i++) {
    transport *t = &w->transports[i];
    if (t->used) continue;
    memset(t, 0, sizeof *t);
    t->used = true;
    t->id = c->transport;
    ice_agent_init(&t->ice, uv_now(&w->loop));
    memcpy(t->ice.local_ufrag, c->ufrag, sizeof t->ice.local_ufrag);
    memcpy(t->ice.local_pwd, c->pwd, sizeof t->ice.local_pwd);
    t->rtx_tokens = RTX_BURST;
    COUNT(transports, 1);
    return;
  }
  log_error("sfu: no room for another transport");
  atomic_fetch_sub_explicit(&w->s->pool_used, 1, memory_order_relaxed);
  report(w, c->transport, SFU_EV_CLOSED, "server-full");
}

static void on_cmd_destroy(worker *w, int slot) {
  transport *t = &w->transports[slot];
  unpublish(w, t);
  for (int k = 0; k < t->n_addrs; k++) {
    addr_table_del(w->addrs, (struct sockaddr *)&t->addrs[k]);
    if (w->tcp) tcp_conns_close(w->tcp, (struct sockaddr *)&t->addrs[k]);
  }
  if (t->dtls) dtls_conn_free(t->dtls);
  if (t->srtp) srtp_pair_free(t->srtp);
  free(t->twcc);
  ice_agent_wipe(&t->ice);
  OPENSSL_cleanse(t, sizeof *t);
  t->used = false;
  atomic_fetch_sub_explicit(&w->me->counters.transports, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&w->s->pool_used, 1, memory_order_relaxed);
  rebuild_subscribers(w);
}

static void feed_dtls(worker *w, int slot, const uint8_t *data, size_t len, const struct sockaddr *from);

static void on_cmd(void *ctx, void *msg) {
  worker *w = ctx;
  const sfu_cmd *c = msg;
  if (w->stopping) return; /* everything is torn down after the loop */
  if (c->type == CMD_STOP) {
    w->stopping = true;
    uv_stop(&w->loop);
    return;
  }
  if (c->type == CMD_CREATE) return on_cmd_create(w, c);
  int slot = slot_of(w, c->transport);
  if (slot < 0) return; /* already gone */
  transport *t = &w->transports[slot];
  switch (c->type) {
    case CMD_REMOTE:
      ice_agent_set_remote_ufrag(&t->ice, c->remote_ufrag);
      memcpy(t->remote_fp, c->fp, 32);
      t->have_remote = true;
      if (t->n_early) { /* a first flight that arrived before the answer */
        int n = t->n_early;
        size_t off = 0;
        t->n_early = 0;
        t->early_used = 0;
        const struct sockaddr *from = t->ice.has_selected ? (struct sockaddr *)&t->ice.selected : NULL;
        for (int i = 0; i < n && from && !t->closed_reported; off += t->early_len[i], i++)
          feed_dtls(w, slot, t->early + off, t->early_len[i], from);
        flush(w);
      }
      break;
    case CMD_PUBLISH:
      publish(w, slot, c);
      break;
    case CMD_SUBSCRIBE:
      memcpy(t->subscribed, c->ssrcs, sizeof(uint32_t) * (size_t)c->n);
      t->n_subscribed = c->n;
      rebuild_subscribers(w);
      if (t->srtp) {
        for (int k = 0; k < c->n; k++) srtp_pair_add_ssrc(t->srtp, c->ssrcs[k], 1);
        keyframes_for(w, t, uv_now(&w->loop)); /* a receiver needs key frames of what it now gets */
        flush(w);
      }
      break;
    case CMD_DESTROY:
      on_cmd_destroy(w, slot);
      break;
    default:
      break;
  }
}

/* ---- DTLS --------------------------------------------------------------- */

static void on_dtls_connected(worker *w, int slot, const struct sockaddr *from) {
  transport *t = &w->transports[slot];
  srtp_keys keys;
  if (dtls_conn_srtp_keys(t->dtls, &keys) != 0 || !(t->srtp = srtp_pair_new(&keys))) {
    OPENSSL_cleanse(&keys, sizeof keys);
    close_transport_media(w, t, "srtp-failed");
    return;
  }
  OPENSSL_cleanse(&keys, sizeof keys);
  confirm(t, from);
  for (int k = 0; k < t->n_tracks; k++) srtp_pair_add_ssrc(t->srtp, t->tracks[k].t.ssrc, 0);
  for (int k = 0; k < t->n_subscribed; k++) srtp_pair_add_ssrc(t->srtp, t->subscribed[k], 1);
  report(w, t->id, SFU_EV_CONNECTED, NULL);
  keyframes_for(w, t, uv_now(&w->loop));
}

/* Family, port and address of sa in out (at most 20 bytes); returns the
 * length. A TCP connection: its index and generation. */
static size_t addr_key(const struct sockaddr *sa, uint8_t out[20]) {
  if (is_tcp_path(sa)) {
    const tcp_path *c = (const tcp_path *)(const void *)sa;
    out[0] = 't';
    put_be16(out + 1, c->index);
    put_be32(out + 3, c->gen);
    return 7;
  }
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)sa;
    out[0] = 4;
    memcpy(out + 1, &a->sin_port, 2);
    memcpy(out + 3, &a->sin_addr, 4);
    return 7;
  }
  const struct sockaddr_in6 *a = (const void *)sa;
  out[0] = 6;
  memcpy(out + 1, &a->sin6_port, 2);
  memcpy(out + 3, &a->sin6_addr, 16);
  return 19;
}

static void feed_dtls(worker *w, int slot, const uint8_t *data, size_t len, const struct sockaddr *from) {
  transport *t = &w->transports[slot];
  if (!t->have_remote) { /* keep the first flight until the fingerprint is known */
    if (t->n_early < EARLY_DGRAMS && t->early_used + len <= sizeof t->early) {
      memcpy(t->early + t->early_used, data, len);
      t->early_len[t->n_early++] = (uint16_t)len;
      t->early_used += len;
    }
    return; /* beyond that, the browser's retransmission recovers */
  }
  if (!t->dtls) {
    t->dtls = dtls_conn_new_server(w->s->cert, t->remote_fp, dtls_send, w);
    if (!t->dtls) return;
  }
  /* The DTLS cookie binds the address our answers go to: a handshake with a
   * forged source gets only a small HelloVerifyRequest sent there. */
  const struct sockaddr *to = dest(t);
  if (!to) return;
  uint8_t peer[20];
  dtls_conn_set_peer(t->dtls, peer, addr_key(to, peer));
  w->current = slot;
  dtls_state before = dtls_conn_state(t->dtls);
  dtls_state st = dtls_conn_input(t->dtls, data, len, uv_now(&w->loop));
  w->current = -1;
  if (st == DTLS_CONNECTED && before != DTLS_CONNECTED && !t->srtp) on_dtls_connected(w, slot, from);
  else if (st == DTLS_FAILED) close_transport_media(w, t, "dtls-failed");
  else if (st == DTLS_CLOSED) close_transport_media(w, t, "dtls-closed");
}

/* ---- RTP and RTCP ------------------------------------------------------- */

/* Sends the publisher t what its transport-wide CC recorder holds. */
static void send_twcc(worker *w, transport *t, uint64_t now) {
  uint8_t fb[1100]; /* with the RR in front, within send_feedback's packet */
  size_t n = twcc_build(t->twcc, SERVER_SSRC, t->twcc_ssrc, fb, sizeof fb);
  if (n) send_feedback(w, t, fb, n);
  t->last_twcc_ms = now;
}

/* Records the arrival of a publisher's packet by its transport-wide
 * sequence number (extension id ext). */
static void record_twcc(worker *w, transport *t, const uint8_t *pkt, const rtp_header *h,
                        uint8_t ext, uint64_t now) {
  const uint8_t *d;
  size_t n;
  if (rtp_ext_find(pkt, h, ext, &d, &n) != 0 || n != 2) return;
  uint16_t seq = get_be16(d);
  /* A full window is reported first (twice at most: a report may be cut short). */
  for (int k = 0; k < 3 && twcc_record(t->twcc, seq, w->arrival_us) == 1; k++) send_twcc(w, t, now);
}

static void forward_rtp(worker *w, int slot, uint8_t *pkt, size_t len, uint64_t now) {
  rtp_header h;
  if (rtp_parse(pkt, len, &h) != 0) {
    COUNT(malformed, 1);
    return;
  }
  int owner;
  track *tr = track_find(w, h.ssrc, &owner);
  /* Only the publisher's own tracks, in the negotiated codec. */
  if (!tr || owner != slot || h.payload_type != tr->t.pt) {
    COUNT(dropped, 1);
    return;
  }
  transport *pub = &w->transports[slot];
  if (tr->t.ext_twcc && pub->twcc) record_twcc(w, pub, pkt, &h, tr->t.ext_twcc, now);
  /* Test mode only (capture, tamper): one predictable branch otherwise. */
  if (__builtin_expect(w->tap != NULL, 0)) len = tap_packet(w->tap, tr->tap, pkt, len, UDP_MAX_DATAGRAM, &h);
  rtp_set_payload_type(pkt, tr->t.kind == SFU_AUDIO ? SUB_PT_OPUS : SUB_PT_VP8);
  if (h.extension && rtp_ext_remap(pkt, &h, tr->ext_map) != 0) {
    COUNT(malformed, 1);
    return;
  }
  if (tr->history) {
    rtp_history_put(tr->history, h.seq, pkt, len, now);
    uint16_t missing[64];
    int n = rtp_seq_update(&tr->seq, h.seq, missing, 64);
    if (n > 0) { /* ask the publisher again for what the network lost */
      uint8_t fb[512];
      size_t fl = rtcp_build_nack(fb, sizeof fb, SERVER_SSRC, h.ssrc, missing, n);
      if (fl) {
        send_feedback(w, &w->transports[slot], fb, fl);
        COUNT(nacks_sent, 1);
      }
    }
  }
  for (int i = 0; i < tr->n_subscribers; i++) {
    transport *sub = &w->transports[tr->subscribers[i]];
    if (sub->srtp) send_srtp(w, sub, pkt, len, 0, w->arrival_us);
  }
}

/* Answers a subscriber's NACK from the history: duplicates removed, within
 * the subscriber's retransmission budget. */
static void answer_nack(worker *w, transport *t, const rtcp_block *b, uint64_t now) {
  COUNT(nacks_received, 1);
  uint32_t ssrc = rtcp_media_ssrc(b);
  track *tr = subscribes_to(t, ssrc) ? track_find(w, ssrc, NULL) : NULL;
  if (!tr || !tr->history) return;
  t->rtx_tokens += (double)(now - t->rtx_ms) / 1000.0 * RTX_RATE;
  if (t->rtx_tokens > RTX_BURST) t->rtx_tokens = RTX_BURST;
  t->rtx_ms = now;
  uint16_t seqs[128];
  int n = rtcp_nack_seqs(b, seqs, 128);
  for (int i = 0; i < n && t->rtx_tokens >= 1.0; i++) {
    bool dup = false;
    for (int j = 0; j < i && !dup; j++) dup = seqs[j] == seqs[i];
    size_t len;
    const uint8_t *p = dup ? NULL : rtp_history_get(tr->history, seqs[i], &len, now, NACK_MAX_AGE_MS);
    if (!p) continue;
    send_srtp(w, t, p, len, 0, 0);
    t->rtx_tokens -= 1.0;
    COUNT(retransmits, 1);
  }
}

/* From a subscriber: NACKs are answered from the history, key frame requests
 * go to the publisher (rate limited), REMB is remembered for the publishers'
 * REMB; only for SSRCs this transport receives. Reports end here. */
static void handle_subscriber_rtcp(worker *w, transport *t, const rtcp_block *b, uint64_t now) {
  if (b->type == RTCP_RTPFB && rtcp_is_nack(b)) {
    answer_nack(w, t, b, now);
  } else if (b->type == RTCP_PSFB && (rtcp_is_pli(b) || rtcp_is_fir(b))) {
    COUNT(plis_received, 1);
    uint32_t ssrcs[4];
    int n = 1;
    ssrcs[0] = rtcp_media_ssrc(b);
    if (rtcp_is_fir(b)) n = rtcp_fir_ssrcs(b, ssrcs, 4);
    for (int i = 0; i < n; i++) {
      int owner;
      track *tr = subscribes_to(t, ssrcs[i]) ? track_find(w, ssrcs[i], &owner) : NULL;
      if (tr) request_keyframe(w, owner, tr, now);
    }
  } else if (b->type == RTCP_PSFB) {
    uint64_t bps;
    uint32_t ssrcs[8];
    int n;
    if (rtcp_parse_remb(b, &bps, ssrcs, 8, &n) == 0) {
      t->remb_bps = bps;
      t->remb_ms = now;
      if (bps * 100 >= t->tx_bps * REMB_CONGESTED_PCT) t->congested_since_ms = 0;
      else if (!t->congested_since_ms) t->congested_since_ms = now;
    }
  }
}

/* From a publisher: sender reports go to the subscribers of that SSRC (lip
 * sync); everything else ends here. */
static void handle_publisher_rtcp(worker *w, int slot, const rtcp_block *b) {
  if (b->type != RTCP_SR || b->len > 1200) return;
  int owner;
  track *tr = track_find(w, rtcp_sender_ssrc(b), &owner);
  if (!tr || owner != slot) return;
  for (int i = 0; i < tr->n_subscribers; i++) {
    transport *sub = &w->transports[tr->subscribers[i]];
    if (sub->srtp) send_srtp(w, sub, b->p, b->len, 1, 0);
  }
}

static void on_srtp(worker *w, int slot, uint8_t *pkt, size_t len, const struct sockaddr *from, uint64_t now) {
  transport *t = &w->transports[slot];
  if (!t->srtp) {
    COUNT(dropped, 1);
    return;
  }
  if (rtp_is_rtcp(pkt, len)) {
    if (srtp_pair_unprotect_rtcp(t->srtp, pkt, &len) != 0) {
      COUNT(srtp_errors, 1);
      return;
    }
    confirm(t, from);
    size_t off = 0;
    rtcp_block b;
    int rc;
    while ((rc = rtcp_next(pkt, len, &off, &b)) == 1) {
      if (t->n_tracks) handle_publisher_rtcp(w, slot, &b);
      if (t->n_subscribed) handle_subscriber_rtcp(w, t, &b, now);
    }
    if (rc < 0) COUNT(malformed, 1);
    return;
  }
  /* Test mode only: a lossy uplink, before decryption as on a network. */
  if (__builtin_expect(w->tap != NULL, 0) && t->n_tracks && tap_drop_uplink(w->tap)) {
    COUNT(dropped, 1);
    return;
  }
  if (srtp_pair_unprotect_rtp(t->srtp, pkt, &len) != 0) {
    COUNT(srtp_errors, 1);
    return;
  }
  confirm(t, from);
  forward_rtp(w, slot, pkt, len, now);
}

/* ---- STUN --------------------------------------------------------------- */

static int find_by_ufrag(worker *w, const uint8_t *p, size_t n) {
  stun_msg m;
  char ufrag[ICE_UFRAG_LEN + 8] = {0};
  if (stun_parse(p, n, &m) != STUN_OK || ice_username_local(&m, ufrag, sizeof ufrag) != 0) return -2;
  for (int i = 0; i < w->n_transports; i++)
    if (w->transports[i].used && CRYPTO_memcmp(w->transports[i].ice.local_ufrag, ufrag, ICE_UFRAG_LEN + 1) == 0)
      return i;
  return -1;
}

static void on_stun(worker *w, const uint8_t *p, size_t n, const struct sockaddr *from, uint64_t now) {
  int slot = addr_table_find(w->addrs, from);
  if (slot < 0) slot = find_by_ufrag(w, p, n);
  if (slot < 0) {
    if (slot == -2) COUNT(malformed, 1);
    else COUNT(dropped, 1);
    return;
  }
  transport *t = &w->transports[slot];
  size_t out_len = 0;
  ice_result r = ice_agent_handle(&t->ice, p, n, from, now, w->scratch, UDP_MAX_DATAGRAM, &out_len);
  if (r == ICE_IGNORED) {
    COUNT(dropped, 1);
    return;
  }
  sync_addrs(w, slot);
  /* A connection is bound only as one of the transport's valid addresses
   * (then it closes with the transport, or when it stops being valid): a
   * check answered with an error (487, 420) validates nothing. */
  if (w->tcp && is_tcp_path(from) && addr_table_find(w->addrs, from) == slot) tcp_conns_bound(w->tcp, from);
  if (out_len) send_to(w, from, w->scratch, out_len);
}

/* ---- the loop ----------------------------------------------------------- */

static void on_datagram(worker *w, uint8_t *p, size_t n, const struct sockaddr *from, uint64_t now) {
  COUNT(packets_in, 1);
  COUNT(bytes_in, n);
  if (n == 0) {
    COUNT(malformed, 1);
    return;
  }
  uint8_t b = p[0];
  if (b <= 3) {
    if (!stun_looks_like(p, n)) COUNT(malformed, 1);
    else on_stun(w, p, n, from, now);
    return;
  }
  /* Only addresses that passed ICE (the table holds exactly those) may send anything else. */
  int slot = addr_table_find(w->addrs, from);
  if (slot < 0) {
    COUNT(dropped, 1);
    return;
  }
  if (b >= 20 && b <= 63) feed_dtls(w, slot, p, n, from);
  else if (b >= 128 && b <= 191 && rtp_looks_like(p, n)) on_srtp(w, slot, p, n, from, now);
  else COUNT(malformed, 1);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  worker *w = h->data;
  if (events & UV_WRITABLE) flush(w);
  if (!(events & UV_READABLE)) return;
  for (int rounds = 0; rounds < 8; rounds++) { /* bounded: timers must run too */
    int n = udp_recv(w->me->fd, w->rx);
    if (n <= 0) break;
    uint64_t now = uv_now(&w->loop);
    if (__builtin_expect(w->s->cfg.test_no_udp, 0)) { /* test mode: a firewall that drops UDP */
      COUNT(dropped, n);
      continue;
    }
    for (int i = 0; i < n; i++) {
      w->arrival_us = w->rx->at_us[i];
      on_datagram(w, w->rx->data[i], w->rx->len[i], (struct sockaddr *)&w->rx->from[i], now);
    }
    flush(w);
  }
}

/* ICE-TCP: a frame is a datagram from the connection's name. */
static void on_tcp_frame(void *ctx, uint8_t *p, size_t n, const struct sockaddr *path, int64_t at_us) {
  worker *w = ctx;
  w->arrival_us = at_us;
  on_datagram(w, p, n, path, uv_now(&w->loop));
}

static void on_tcp_read_done(void *ctx) { flush(ctx); }

/* A valid connection closed by itself: its transport forgets it (media goes
 * nowhere until the browser checks another address, or consent runs out). */
static void on_tcp_closed(void *ctx, const struct sockaddr *path) {
  worker *w = ctx;
  int slot = addr_table_find(w->addrs, path);
  if (slot < 0) return;
  ice_agent_forget(&w->transports[slot].ice, path);
  sync_addrs(w, slot);
}

/* REMB to a publisher: --max-video-kbps, or less when a subscriber is
 * congested: the lowest per-stream share of the estimates of subscribers
 * whose estimate (fresh) has been below what we send them for 5 s. (The
 * publisher's own uplink is measured by transport-wide CC.) A subscriber that keeps
 * up does not hold publishers back: a receiver's estimate follows what it
 * receives, so capping publishers by it (as the first version did) held
 * every call near its starting rate (300-400 kbps instead of 720p). */
static void send_remb(worker *w, transport *t, uint64_t now) {
  uint32_t ssrcs[SFU_MAX_TRACKS_PER_TRANSPORT];
  int n = 0;
  uint64_t bps = w->s->cfg.max_video_bitrate;
  for (int k = 0; k < t->n_tracks; k++) {
    track *tr = &t->tracks[k];
    if (tr->t.kind != SFU_VIDEO) continue;
    ssrcs[n++] = tr->t.ssrc;
    for (int i = 0; i < tr->n_subscribers; i++) {
      transport *sub = &w->transports[tr->subscribers[i]];
      if (!sub->remb_ms || now - sub->remb_ms > REMB_MAX_AGE_MS || !sub->n_video_subscribed) continue;
      if (sub->remb_bps * 100 >= sub->tx_bps * REMB_CONGESTED_PCT) continue; /* keeps up */
      /* Only lasting congestion counts: a receiver's delay-based estimate
       * dips for a moment on any jitter (a busy machine, the publisher's
       * probes), and capping the publisher then held whole calls low. */
      if (!sub->congested_since_ms || now - sub->congested_since_ms < REMB_CONGESTED_FOR_MS) continue;
      uint64_t share = sub->remb_bps / (uint64_t)sub->n_video_subscribed;
      if (share < bps) bps = share;
    }
  }
  if (!n) return;
  if (bps < REMB_MIN_BPS) bps = REMB_MIN_BPS;
  uint8_t fb[128];
  size_t fl = rtcp_build_remb(fb, sizeof fb, SERVER_SSRC, bps, ssrcs, n);
  if (fl) send_feedback(w, t, fb, fl);
  t->last_remb_ms = now;
}

static void on_tick(uv_timer_t *h) {
  worker *w = h->data;
  uint64_t now = uv_now(&w->loop);
  for (int i = 0; i < w->n_transports; i++) {
    transport *t = &w->transports[i];
    if (!t->used || t->closed_reported) continue;
    if (ice_agent_consent_expired(&t->ice, now)) {
      close_transport_media(w, t, "ice-timeout");
      continue;
    }
    /* ICE alone is not a connection: a peer that keeps answering checks but
     * never completes DTLS would hold a transport of the pool for good. */
    if (!t->srtp && now >= t->ice.created_ms && now - t->ice.created_ms >= MEDIA_CONNECT_TIMEOUT_MS) {
      close_transport_media(w, t, "connect-timeout");
      continue;
    }
    if (t->dtls && dtls_conn_state(t->dtls) == DTLS_HANDSHAKING) {
      uint64_t due = dtls_conn_next_timeout(t->dtls, now);
      if (due && due <= now) {
        w->current = i;
        if (dtls_conn_on_timer(t->dtls, now) == DTLS_FAILED) close_transport_media(w, t, "dtls-timeout");
        w->current = -1;
      }
    }
    if (now - t->tx_since_ms >= 1000) { /* the rate we send this transport, per second */
      t->tx_bps = t->tx_since_ms ? t->tx_bytes * 8 * 1000 / (now - t->tx_since_ms) : 0;
      t->tx_bytes = 0;
      t->tx_since_ms = now;
    }
    if (t->srtp && t->n_tracks && now - t->last_remb_ms >= REMB_INTERVAL_MS) send_remb(w, t, now);
    if (t->srtp && t->twcc && twcc_pending(t->twcc) && now - t->last_twcc_ms >= TWCC_INTERVAL_MS)
      send_twcc(w, t, now);
  }
  if (w->tcp) tcp_conns_tick(w->tcp, now);
  flush(w);
}

static void free_tables(worker *w) {
  free(w->transports);
  free(w->addrs);
  free(w->ssrcs);
  free(w->rx);
  free(w->tx);
  tap_free(w->tap);
  tcp_conns_free(w->tcp);
  free(w);
}

worker *worker_new(sfu *s, sfu_worker *me) {
  worker *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->s = s;
  w->me = me;
  w->current = -1;
  w->n_transports = s->cfg.max_transports > 0 && s->cfg.max_transports < MAX_TRANSPORTS ? s->cfg.max_transports : MAX_TRANSPORTS;
  w->transports = calloc((size_t)w->n_transports, sizeof(transport));
  w->addrs = calloc(ADDR_TABLE_SLOTS, sizeof(addr_entry));
  w->ssrcs = calloc(SSRC_TABLE_SLOTS, sizeof(ssrc_entry));
  w->rx = calloc(1, sizeof(udp_recv_batch));
  w->tx = calloc(1, sizeof(udp_send_batch));
  if (!w->transports || !w->addrs || !w->ssrcs || !w->rx || !w->tx || uv_loop_init(&w->loop) != 0) {
    free_tables(w);
    return NULL;
  }
  addr_table_init(w->addrs);
  ssrc_table_init(w->ssrcs);
  w->tap = tap_new(s->cfg.test_mode, s->cfg.capture_dir, s->cfg.test_tamper, s->cfg.test_uplink_loss);
  if (me->tcp_fd >= 0) {
    tcp_handlers h = {.frame = on_tcp_frame, .closed = on_tcp_closed, .read_done = on_tcp_read_done, .ctx = w};
    tcp_counters tcnt = {.open = &me->counters.tcp_open, .refused = &me->counters.tcp_refused,
                         .closed_bad = &me->counters.tcp_closed_bad, .dropped = &me->counters.tcp_dropped};
    if (!(w->tcp = tcp_conns_new(&w->loop, me->tcp_fd, h, tcnt))) {
      free_tables(w);
      return NULL;
    }
  }
  me->to_worker = mailbox_new(&w->loop, sizeof(sfu_cmd), on_cmd, w);
  uv_poll_init(&w->loop, &w->poll, me->fd);
  uv_timer_init(&w->loop, &w->tick);
  w->poll.data = w->tick.data = w;
  return w;
}

void worker_run(worker *w) {
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  /* Stopped: queued commands are dropped (on_cmd ignores them), every
   * transport is freed and the handles closed. */
  mailbox_close(w->me->to_worker);
  for (int i = 0; i < w->n_transports; i++)
    if (w->transports[i].used) on_cmd_destroy(w, i);
  if (w->tcp) tcp_conns_close_all(w->tcp);
  uv_close((uv_handle_t *)&w->poll, NULL);
  uv_close((uv_handle_t *)&w->tick, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  free_tables(w);
}
