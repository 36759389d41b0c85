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
 * for it; only sending looks at the kind of address.
 *
 * Loudest audio (--loudest-audio N, sfu/loudest.h): a room's audio tracks
 * are forwarded only while among its N loudest by their audio level; a
 * track's receivers see its sequence numbers without a gap. */
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
#include "rtp/vp8.h"
#include "sfu/allocator.h"
#include "sfu/loudest.h"
#include "sfu/shaper.h"
#include "sfu/simulcast.h"
#include "sfu/tables.h"
#include "sfu/tap.h"
#include "sfu/tcp.h"
#include "sfu/worker.h"

#define MAX_TRANSPORTS 1024 /* the most --max-transports allows (the tables are sized for it) */
#define MAX_SUBSCRIBERS 128      /* per track: a room holds at most 128 participants */
#define SERVER_SSRC 1            /* sender SSRC of the RTCP the SFU makes */
#define TICK_MS 20
#define REMB_INTERVAL_MS 1000
#define TWCC_INTERVAL_MS 50      /* transport-wide CC feedback to a publisher, at most this apart */
#define REMB_MAX_AGE_MS 5000     /* a subscriber's estimate counts this long */
#define REMB_MIN_BPS 150000
#define REMB_MAX_BPS 10000000000ull /* a subscriber's estimate is taken as at most this */
#define REMB_CONGESTED_PCT 85 /* a subscriber estimating less than 85% of what it gets is congested */
#define REMB_CONGESTED_FOR_MS 5000 /* ... once it has been for this long */
#define PLI_MIN_INTERVAL_MS 500  /* key frame requests per track, at most */
#define NACK_MAX_AGE_MS 1000     /* older packets are not retransmitted */
#define RTX_RATE 500.0           /* retransmissions per second per subscriber, at most ... */
#define RTX_SHARE 0.25           /* ... and a quarter of the allocator's estimate (while its REMB is fresh) in 1200-byte packets ... */
#define RTX_MIN_RATE 20.0        /* ... but at least this many */
#define RTX_MIN_BURST 64.0       /* in a burst, at least this many (a key frame) */
#define NACK_EXAMINE_MAX 2048    /* NACKed numbers looked up per subscriber per second, at most */
#define SUB_PT_OPUS 111          /* the subscribe offer's payload types */
#define SUB_PT_VP8 96
#define SUB_EXT_AUDIO_LEVEL 1
#define SUB_EXT_ABS_SEND_TIME 2  /* video lines of the subscribe offer */
#define LAYER_ACTIVE_US 1000000  /* a simulcast encoding silent this long is off (the publisher dropped it) */
/* Congestion, for the bandwidth allocator (sfu/allocator.h): a subscriber
 * whose estimate fell this recently and is under this share of what it gets,
 * for this long, is congested. */
#define ALLOC_FALL_RECENT_MS 3000
#define ALLOC_LOW_PCT 50
#define ALLOC_LOW_FOR_MS 1500
/* ... or it NACKs at least this share of the video packets we send it
 * (each second with at least ALLOC_LOSS_MIN_PKTS sent) for this many
 * seconds in a row, and estimates under ALLOC_LOSS_REMB_PCT of what we send
 * (behind a slow link, well under it; a receiver that only drops packets
 * now and then on a busy machine estimates about what it gets or more). */
#define ALLOC_LOSS_PCT 10
#define ALLOC_LOSS_REMB_PCT 75
#define ALLOC_LOSS_SECONDS 2
#define ALLOC_LOSS_MIN_PKTS 30
#define ALLOC_NACK_FRESH_S 2 /* a counted NACK's number is remembered this long (older packets are gone) */
#define ALLOC_LOSS_QUIET_MS 2000 /* after a step, losses count again once the new encoding has had this long */
/* The allocator's estimate is the subscriber's own, but never under the
 * most it was sent in a second without losses (under half of
 * ALLOC_LOSS_PCT NACKed) within the last ALLOC_CARRIED_MS: behind a full
 * queue a browser's estimate can collapse to a fifth of what the link
 * carries, and would pause video the link has just shown it can carry. */
#define ALLOC_CARRIED_MS 20000
#define SPEAKING_LEVEL 50 /* RFC 6464 level (-dBov) at or above which a voice counts as speaking */
#define SHAPER_TICK_MS 2
#define LAYERS_EVERY_MS 100 /* simulcast targets and the allocator, per subscriber */
#define EARLY_BYTES 4096
/* DTLS done at most this long after ICE's connect deadline. A starved
 * browser (six pages and busy loops on 2 cores) passed its checks but had
 * not finished DTLS 10 s after its offer (one datagram lost costs a
 * retransmission timer of 1, then 2, 4, 8 s), and was given up; a blocked
 * network still fails at ICE's deadline, so the page's relay retry is not
 * later. */
#define DTLS_EXTRA_MS 10000
#define EARLY_DGRAMS 4

/* The SSRC table's index for a track's own SSRC (layer -1) or one of its
 * simulcast encodings. */
#define SSRC_INDEX(track, layer) ((track) | ((layer) + 1) << 4)

/* One encoding of a simulcast track. */
typedef struct {
  uint32_t ssrc; /* 0 until learnt from the rtp-stream-id extension */
  rtp_history *history;
  rtp_seq_tracker seq;
  uint32_t gen;               /* the stream's generation: new (worker-wide) for each new SSRC */
  uint64_t last_pli_ms;
  int64_t last_us;            /* arrival of its last packet */
  uint64_t bytes, bps;        /* this second; the last second's rate (the allocator's costs) */
} sim_layer;

/* A published track: where it comes from and who receives it. */
typedef struct {
  sfu_track t;
  int subscribers[MAX_SUBSCRIBERS]; /* transport slots */
  int16_t sub_index[MAX_SUBSCRIBERS]; /* each one's subscription index (its down track: transport.down) */
  /* Simulcast: the encodings each one's down track may take a packet of
   * (a bit per encoding: the one it forwards, the one it waits for; all
   * after a rebuild), kept here so that a packet skips the others without
   * touching their transports. */
  uint8_t sub_layers[MAX_SUBSCRIBERS];
  int n_subscribers;
  int n_layers;                     /* simulcast encodings (t.n_layers), 0 without */
  sim_layer layers[SFU_MAX_LAYERS];
  uint8_t ext_map[256];
  rtp_history *history;             /* video only */
  rtp_seq_tracker seq;
  uint64_t bytes, bps;              /* audio or one-encoding video (a screen share), as forwarded: this second; the last second's rate */
  uint64_t last_pli_ms;
  tap_stream *tap; /* test mode only (sfu/tap.h); NULL otherwise */
  /* Loudest audio: an audio track with an audio level, while the worker
   * ranks them: its meter and numbering, and its room (worker.rooms). */
  loudest_stream loud;
  int room; /* -1: not ranked (forwarded whole) */
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
  uint32_t checks_in, checks_refused;          /* ICE checks that reached it, and of them refused (the log at a failed connect) */
  uint32_t dtls_in;                            /* DTLS datagrams from its valid addresses (the same log) */
  track tracks[SFU_MAX_TRACKS_PER_TRANSPORT]; /* what this transport publishes */
  int n_tracks;
  uint32_t subscribed[SFU_MAX_SUBSCRIPTIONS];  /* SSRCs forwarded to this transport */
  uint8_t layer_cap[SFU_MAX_SUBSCRIPTIONS];    /* the highest encoding wanted of each (simulcast) */
  int8_t alloc[SFU_MAX_SUBSCRIPTIONS];         /* the allocator's highest for each: -1 paused */
  int16_t sub_pos[SFU_MAX_SUBSCRIPTIONS];      /* each one's place in its track's subscribers, -1: none */
  alloc_state alloc_st;                        /* sfu/allocator.h */
  shaper *shaper;                              /* test mode: a slow downlink (sfu/shaper.h), or NULL */
  int n_sim;                                   /* subscriptions to simulcast tracks (rebuild_subscribers) */
  uint64_t layers_ms;                          /* choose_layers last ran */
  sim_down *down;                              /* each subscription's simulcast state (n_subscribed), or NULL */
  int n_subscribed;
  int n_video_subscribed;
  uint64_t last_remb_ms;
  uint64_t remb_bps, remb_ms;                  /* this subscriber's own estimate */
  uint64_t remb_fall_ms;                       /* when it last fell by more than 5% */
  uint64_t remb_rise_ms;                       /* when it last rose */
  uint64_t nack_ms;                            /* when it last NACKed (lost packets) */
  uint64_t alloc_low_since_ms;                 /* under ALLOC_LOW_PCT of what we send since (0: not) */
  uint64_t congested_since_ms;                 /* its estimates have been under REMB_CONGESTED_PCT since (0: not) */
  uint64_t tx_bytes, tx_since_ms, tx_bps;      /* what we send it: bytes this second, the last rate */
  uint32_t tx_pkts, nacked;                    /* video packets sent it, and of them NACKed the first time, this second */
  uint32_t nack_hi[SFU_MAX_SUBSCRIPTIONS];     /* each subscription's newest counted NACK: second << 17 | 0x10000 | seq (0: none) */
  uint32_t nack_examined;                      /* NACKed numbers looked up this second (NACK_EXAMINE_MAX) */
  uint32_t lossy_secs;                         /* seconds in a row it NACKed ALLOC_LOSS_PCT or more of them */
  uint64_t loss_quiet_until_ms;                /* ... not counted before this (the allocator just stepped) */
  uint64_t carried_bps, carried_ms;            /* the most sent it in a second with few losses, and when */
  double rtx_tokens;
  uint64_t rtx_ms;
  /* Publishers that negotiated transport-wide CC: arrivals, reported to the
   * browser's send-side estimator every TWCC_INTERVAL_MS. */
  twcc_recorder *twcc;
  uint32_t twcc_ssrc; /* media SSRC named in the reports */
  uint8_t twcc_ext;   /* the sequence number's extension id (a video track's, if any) */
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
  uv_timer_t shape_timer; /* drains the test shapers while any transport has one */
  int n_shaped;
  uint8_t tcp_out[UDP_MAX_DATAGRAM + UDP_SEND_ROOM]; /* an SRTP packet protected for a TCP connection */
  /* Loudest audio (0: off): each room's selected streams, indexed by the
   * slot that names the room (rebuild_rooms); room_of: a union-find over
   * transport slots. n_transports each. */
  int loudest_n;
  loudest_room *rooms;
  int *room_of;
  alloc_track alloc_tracks[SFU_MAX_SUBSCRIPTIONS]; /* allocate()'s view of a subscriber's tracks */
  uint32_t layer_gen; /* the last simulcast stream generation given (bind_layer) */
};

#define COUNT(field, n) atomic_fetch_add_explicit(&w->me->counters.field, (n), memory_order_relaxed)

/* ---- lookups ------------------------------------------------------------ */

/* The track of ssrc: its own SSRC (*layer -1) or, for a simulcast track, an
 * encoding's (*layer 0..). */
static track *track_find_layer(worker *w, uint32_t ssrc, int *owner, int *l) {
  int slot, index;
  if (ssrc_table_find(w->ssrcs, ssrc, &slot, &index) != 0) return NULL;
  if (owner) *owner = slot;
  if (l) *l = (index >> 4) - 1;
  return &w->transports[slot].tracks[index & 15];
}

/* A track by the SSRC its subscribers know (never an encoding's). */
static track *track_find(worker *w, uint32_t ssrc, int *owner) {
  int l = -1;
  track *tr = track_find_layer(w, ssrc, owner, &l);
  return l < 0 ? tr : NULL;
}

/* The index of ssrc among t's subscriptions, or -1. */
static int subscription_of(const transport *t, uint32_t ssrc) {
  for (int i = 0; i < t->n_subscribed; i++)
    if (t->subscribed[i] == ssrc) return i;
  return -1;
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

/* How a simulcast packet is rewritten for one subscriber: the track's SSRC,
 * the down track's numbers, the VP8 descriptor at the payload's start. */
typedef struct {
  uint32_t ssrc;
  sim_out o;
  size_t payload_at;
  const vp8_desc *vp8;
} rewrite;

static void apply_rewrite(uint8_t *p, const rewrite *rw) {
  put_be16(p + 2, rw->o.seq);
  put_be32(p + 4, rw->o.ts);
  rtp_set_ssrc(p, rw->ssrc);
  if (rw->vp8) {
    vp8_set_picture_id(p + rw->payload_at, rw->vp8, rw->o.pid);
    vp8_set_tl0picidx(p + rw->payload_at, rw->vp8, rw->o.tl0);
  }
}

/* Protects an RTP (rtcp = 0) or RTCP packet for t and queues it, rewritten
 * as rw says (NULL: as it is). src_us: the arrival of the packet it forwards
 * (for the forward-delay histogram), 0 for one made or resent here. */
static void send_srtp(worker *w, transport *t, const uint8_t *pkt, size_t len, int rtcp, int64_t src_us,
                      const rewrite *rw) {
  const struct sockaddr *to = dest(t);
  if (!to || !t->srtp || len > UDP_MAX_DATAGRAM) return;
  bool tcp = is_tcp_path(to);
  uint8_t *slot = tcp ? w->tcp_out : udp_send_slot(w->me->fd, w->tx);
  memcpy(slot, pkt, len);
  if (rw) apply_rewrite(slot, rw);
  size_t n = len;
  int rc = rtcp ? srtp_pair_protect_rtcp(t->srtp, slot, &n, UDP_MAX_DATAGRAM + UDP_SEND_ROOM)
                : srtp_pair_protect_rtp(t->srtp, slot, &n, UDP_MAX_DATAGRAM + UDP_SEND_ROOM);
  if (rc != 0) {
    COUNT(srtp_errors, 1);
    return;
  }
  t->tx_bytes += n;
  if (tcp) send_to(w, to, slot, n);
  else if (__builtin_expect(t->shaper != NULL, 0)) shaper_put(t->shaper, slot, n, udp_now_us()); /* test mode */
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
  send_srtp(w, t, pkt, n + fb_len, 1, 0, NULL);
}

/* A PLI for media SSRC ssrc to the publisher, at most every
 * PLI_MIN_INTERVAL_MS per stream (*last_ms). */
static void send_pli(worker *w, int owner, uint32_t ssrc, uint64_t *last_ms, uint64_t now) {
  if (!ssrc || (*last_ms && now - *last_ms < PLI_MIN_INTERVAL_MS)) return;
  uint8_t fb[64];
  size_t n = rtcp_build_pli(fb, sizeof fb, SERVER_SSRC, ssrc);
  if (!n) return;
  *last_ms = now;
  send_feedback(w, &w->transports[owner], fb, n);
  COUNT(plis_sent, 1);
}

/* A key frame of encoding l of a simulcast track. */
static void request_layer_keyframe(worker *w, int owner, track *tr, int l, uint64_t now) {
  if (l >= 0 && l < tr->n_layers) send_pli(w, owner, tr->layers[l].ssrc, &tr->layers[l].last_pli_ms, now);
}

/* A key frame of a video track: of every encoding of a simulcast one. */
static void request_keyframe(worker *w, int owner, track *tr, uint64_t now) {
  if (tr->t.kind != SFU_VIDEO) return;
  if (!tr->n_layers) return send_pli(w, owner, tr->t.ssrc, &tr->last_pli_ms, now);
  for (int l = 0; l < tr->n_layers; l++) request_layer_keyframe(w, owner, tr, l, now);
}

/* Key frames of the video tracks t receives (a new or reconnected receiver)
 * but those it had before (skip[k], or NULL: none); of a simulcast track,
 * the encodings are asked for as each down track waits for its own. */
static void keyframes_for(worker *w, transport *t, const bool *skip, uint64_t now) {
  for (int k = 0; k < t->n_subscribed; k++) {
    int owner;
    track *tr = track_find(w, t->subscribed[k], &owner);
    if (tr && !tr->n_layers && !(skip && skip[k])) request_keyframe(w, owner, tr, now);
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
  if (!t->srtp) /* never connected: what arrived tells the operator (and a test's log) where it stopped */
    log_info("sfu: transport %u closed before connecting (%s): %u ICE checks (%u refused), remote %s, %u DTLS datagrams, "
             "DTLS %s",
             (unsigned)t->id, reason, (unsigned)t->checks_in, (unsigned)t->checks_refused,
             t->have_remote ? "known" : "not given", (unsigned)t->dtls_in,
             !t->dtls ? "not started" : dtls_conn_state(t->dtls) == DTLS_HANDSHAKING ? "handshaking" : "ended");
  report(w, t->id, SFU_EV_CLOSED, reason);
}

/* ---- subscriptions ------------------------------------------------------ */

static int room_root(int *p, int x) {
  while (p[x] != x) {
    p[x] = p[p[x]]; /* path halving: bounded by the slots */
    x = p[x];
  }
  return x;
}

/* Loudest audio: a room, for the worker, is what subscriptions connect: a
 * track's publisher with each of its subscribers (the control plane never
 * subscribes a transport to another room's tracks, so rooms never merge; a
 * room's transports are all connected once three participants subscribe to
 * each other, and with two each audio stream is alone, which forwards it).
 * Each ranked audio track gets its room; selected streams keep their place. */
static void rebuild_rooms(worker *w) {
  if (!w->loudest_n) return;
  int *p = w->room_of;
  int64_t now_us = udp_now_us();
  for (int s = 0; s < w->n_transports; s++) p[s] = s;
  for (int s = 0; s < w->n_transports; s++) {
    transport *t = &w->transports[s];
    if (!t->used) continue;
    loudest_room_clear(&w->rooms[s]);
    for (int k = 0; k < t->n_tracks; k++)
      for (int i = 0; i < t->tracks[k].n_subscribers; i++) {
        int a = room_root(p, s), b = room_root(p, t->tracks[k].subscribers[i]);
        if (a != b) p[a < b ? b : a] = a < b ? a : b;
      }
  }
  for (int s = 0; s < w->n_transports; s++) {
    transport *t = &w->transports[s];
    if (!t->used) continue;
    for (int k = 0; k < t->n_tracks; k++) {
      track *tr = &t->tracks[k];
      tr->room = -1;
      if (tr->t.kind != SFU_AUDIO || !tr->t.ext_audio_level) continue; /* no level: cannot be ranked */
      tr->room = room_root(p, s);
      loudest_room_add(&w->rooms[tr->room], w->loudest_n, &tr->loud, now_us);
    }
  }
}

/* Rebuilds every track's subscriber list from the transports' subscriptions. */
static void rebuild_subscribers(worker *w) {
  for (int s = 0; s < w->n_transports; s++)
    for (int k = 0; k < w->transports[s].n_tracks; k++) w->transports[s].tracks[k].n_subscribers = 0;
  for (int s = 0; s < w->n_transports; s++) {
    transport *t = &w->transports[s];
    if (!t->used) continue;
    t->n_video_subscribed = 0;
    t->n_sim = 0;
    for (int k = 0; k < t->n_subscribed; k++) {
      int owner;
      track *tr = track_find(w, t->subscribed[k], &owner);
      t->sub_pos[k] = -1;
      if (!tr || owner == s) continue;
      if (tr->t.kind == SFU_VIDEO) t->n_video_subscribed++;
      if (tr->n_layers) t->n_sim++;
      if (tr->n_subscribers < MAX_SUBSCRIBERS) {
        t->sub_pos[k] = (int16_t)tr->n_subscribers;
        tr->sub_index[tr->n_subscribers] = (int16_t)k;
        tr->sub_layers[tr->n_subscribers] = 0xFF;
        tr->subscribers[tr->n_subscribers++] = s;
      }
    }
  }
  rebuild_rooms(w);
}

static void unpublish(worker *w, transport *t) {
  for (int k = 0; k < t->n_tracks; k++) {
    track *tr = &t->tracks[k];
    ssrc_table_del(w->ssrcs, tr->t.ssrc);
    for (int l = 0; l < tr->n_layers; l++) {
      if (tr->layers[l].ssrc) ssrc_table_del(w->ssrcs, tr->layers[l].ssrc);
      free(tr->layers[l].history);
    }
    free(tr->history);
    tap_stream_close(tr->tap);
  }
  memset(t->tracks, 0, sizeof t->tracks);
  t->n_tracks = 0;
}

/* Encoding l of track k of transport slot now has SSRC ssrc (learnt, or
 * kept from before a new publish). 0, or -1 if another stream has it. */
static int bind_layer(worker *w, int slot, int k, int l, uint32_t ssrc) {
  transport *t = &w->transports[slot];
  sim_layer *ly = &t->tracks[k].layers[l];
  if (ssrc_table_put(w->ssrcs, ssrc, slot, SSRC_INDEX(k, l)) != 0) return -1;
  if (ly->ssrc) { /* the encoder started a new stream: what was stored is another stream's */
    ssrc_table_del(w->ssrcs, ly->ssrc);
    if (ly->history) rtp_history_clear(ly->history);
  }
  /* A new stream: subscribers resync at its next key frame, since no down
   * track can hold offsets of this generation (publish() gives an SSRC kept
   * across a new offer its generation back: the same stream goes on). */
  ly->gen = ++w->layer_gen;
  if (!t->twcc_ssrc || t->twcc_ssrc == ly->ssrc) t->twcc_ssrc = ssrc; /* the reports must name a live SSRC */
  ly->ssrc = ssrc;
  memset(&ly->seq, 0, sizeof ly->seq);
  if (t->srtp) srtp_pair_add_ssrc(t->srtp, ssrc, 0);
  return 0;
}

static void publish(worker *w, int slot, const sfu_cmd *c) {
  transport *t = &w->transports[slot];
  /* Encodings learnt before: a track published again under the same SSRC
   * keeps them (browsers send the rtp-stream-id only at first). */
  struct {
    uint32_t track, ssrc, gen;
    char rid[SFU_RID_MAX + 1];
  } kept[SFU_MAX_TRACKS_PER_TRANSPORT * SFU_MAX_LAYERS];
  int n_kept = 0;
  /* An audio track published again keeps its numbering (its receivers see
   * one stream) and its place among the loudest. */
  struct {
    uint32_t ssrc;
    loudest_stream loud;
  } kept_audio[SFU_MAX_TRACKS_PER_TRANSPORT];
  int n_kept_audio = 0;
  for (int k = 0; k < t->n_tracks; k++)
    if (t->tracks[k].t.kind == SFU_AUDIO) {
      kept_audio[n_kept_audio].ssrc = t->tracks[k].t.ssrc;
      kept_audio[n_kept_audio++].loud = t->tracks[k].loud;
    }
  for (int k = 0; k < t->n_tracks; k++)
    for (int l = 0; l < t->tracks[k].n_layers; l++)
      if (t->tracks[k].layers[l].ssrc) {
        kept[n_kept].track = t->tracks[k].t.ssrc;
        kept[n_kept].ssrc = t->tracks[k].layers[l].ssrc;
        kept[n_kept].gen = t->tracks[k].layers[l].gen;
        memcpy(kept[n_kept].rid, t->tracks[k].t.rids[l], sizeof kept[0].rid);
        n_kept++;
      }
  unpublish(w, t);
  for (int k = 0; k < c->n && t->n_tracks < SFU_MAX_TRACKS_PER_TRANSPORT; k++) {
    if (ssrc_table_put(w->ssrcs, c->tracks[k].ssrc, slot, t->n_tracks) != 0) continue; /* taken */
    track *tr = &t->tracks[t->n_tracks++];
    tr->t = c->tracks[k];
    tr->room = -1;
    for (int j = 0; j < n_kept_audio; j++)
      if (tr->t.kind == SFU_AUDIO && kept_audio[j].ssrc == tr->t.ssrc) tr->loud = kept_audio[j].loud;
    if (tr->t.ext_audio_level) tr->ext_map[tr->t.ext_audio_level] = SUB_EXT_AUDIO_LEVEL;
    /* The publisher's send times go on to subscribers: their receive-side
     * estimate (the REMB that tells us they are congested) needs them, or
     * the publisher's paced probes look like queueing. */
    if (tr->t.ext_abs_send_time && tr->t.kind == SFU_VIDEO) tr->ext_map[tr->t.ext_abs_send_time] = SUB_EXT_ABS_SEND_TIME;
    if (tr->t.kind == SFU_VIDEO && tr->t.n_layers >= 2 && tr->t.ext_rid) {
      tr->n_layers = tr->t.n_layers > SFU_MAX_LAYERS ? SFU_MAX_LAYERS : tr->t.n_layers;
      tr->ext_map[tr->t.ext_rid] = 0; /* the subscriber sees one stream: no rid */
      for (int l = 0; l < tr->n_layers; l++) tr->layers[l].history = calloc(1, sizeof(rtp_history));
      for (int j = 0; j < n_kept; j++) /* by rid: the new offer may list other encodings */
        for (int l = 0; l < tr->n_layers; l++)
          if (kept[j].track == tr->t.ssrc && strcmp(kept[j].rid, tr->t.rids[l]) == 0 &&
              bind_layer(w, slot, t->n_tracks - 1, l, kept[j].ssrc) == 0)
            tr->layers[l].gen = kept[j].gen;
    } else if (tr->t.kind == SFU_VIDEO) {
      tr->history = calloc(1, sizeof(rtp_history));
    }
    if (t->srtp && !tr->n_layers) srtp_pair_add_ssrc(t->srtp, tr->t.ssrc, 0);
    if (w->tap) tr->tap = tap_stream_open(w->tap, t->id, tr->t.ssrc, tr->t.kind == SFU_AUDIO);
    /* One recorder per transport (the sequence is transport-wide), kept
     * across republishing; the reports name a video track if there is one. */
    if (tr->t.ext_twcc) {
      if (!t->twcc && (t->twcc = malloc(sizeof *t->twcc))) twcc_init(t->twcc);
      /* The reports must name an SSRC the browser sends, or it ignores
       * them (and backs off as if none came): a simulcast track's own SSRC
       * is the SFU's, its encodings' are named once learnt (bind_layer). */
      if (!tr->n_layers && (!t->twcc_ssrc || tr->t.kind == SFU_VIDEO)) t->twcc_ssrc = tr->t.ssrc;
      if (!t->twcc_ext || tr->t.kind == SFU_VIDEO) t->twcc_ext = tr->t.ext_twcc; /* one id in a BUNDLE */
    }
  }
  rebuild_subscribers(w);
}

/* ---- commands ----------------------------------------------------------- */

static void on_cmd_create(worker *w, const sfu_cmd *c) {
  if (slot_of(w, c->transport) >= 0) { /* never: the control side skips ids in use */
    log_error("sfu: a transport id made twice: refused");
    atomic_fetch_sub_explicit(&w->s->pool_used, 1, memory_order_relaxed);
    return;
  }
  for (int i = 0; i < w->n_transports; i++) {
    transport *t = &w->transports[i];
    if (t->used) continue;
    memset(t, 0, sizeof *t);
    t->used = true;
    t->id = c->transport;
    ice_agent_init(&t->ice, uv_now(&w->loop));
    memcpy(t->ice.local_ufrag, c->ufrag, sizeof t->ice.local_ufrag);
    memcpy(t->ice.local_pwd, c->pwd, sizeof t->ice.local_pwd);
    t->rtx_tokens = RTX_MIN_RATE;
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
  free(t->down);
  if (t->shaper) {
    shaper_free(t->shaper);
    w->n_shaped--;
  }
  ice_agent_wipe(&t->ice);
  OPENSSL_cleanse(t, sizeof *t);
  t->used = false;
  atomic_fetch_sub_explicit(&w->me->counters.transports, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&w->s->pool_used, 1, memory_order_relaxed);
  rebuild_subscribers(w);
}

static void feed_dtls(worker *w, int slot, const uint8_t *data, size_t len, const struct sockaddr *from);
static void on_shape_timer(uv_timer_t *h);

/* Test mode: t's downlink through a link of bps (0: none again). What is
 * queued when the limit goes is sent at once. */
static void test_shape(worker *w, transport *t, uint64_t bps) {
  if (t->shaper) {
    const struct sockaddr *to = dest(t);
    size_t len;
    const uint8_t *p;
    while ((p = shaper_next(t->shaper, INT64_MAX, &len)))
      if (to) send_to(w, to, p, len);
    shaper_free(t->shaper);
    t->shaper = NULL;
    w->n_shaped--;
  }
  if (bps && (t->shaper = shaper_new(bps))) w->n_shaped++;
  if (w->n_shaped) uv_timer_start(&w->shape_timer, on_shape_timer, SHAPER_TICK_MS, SHAPER_TICK_MS);
  else uv_timer_stop(&w->shape_timer);
}

/* The new set of subscriptions; each one's simulcast state is kept where its
 * SSRC was subscribed before (the same stream goes on), new ones start at
 * their cap (the allocator lowers it when the subscriber cannot take it).
 * Out of memory: no simulcast state, and simulcast tracks are not forwarded
 * to this transport until the next subscribe. */
static void subscribe(transport *t, const sfu_cmd *c) {
  sim_down *down = c->n ? calloc((size_t)c->n, sizeof *down) : NULL;
  int8_t alloc[SFU_MAX_SUBSCRIPTIONS];
  for (int k = 0; k < c->n; k++) {
    int old = subscription_of(t, c->ssrcs[k]);
    alloc[k] = old >= 0 ? t->alloc[old] : (int8_t)(SFU_MAX_LAYERS - 1);
    if (!down) continue;
    if (old >= 0 && t->down) down[k] = t->down[old];
    else sim_down_init(&down[k], c->max_layers[k]);
  }
  memcpy(t->alloc, alloc, (size_t)c->n);
  free(t->down);
  t->down = down;
  memcpy(t->subscribed, c->ssrcs, sizeof(uint32_t) * (size_t)c->n);
  memcpy(t->layer_cap, c->max_layers, (size_t)c->n);
  t->n_subscribed = c->n;
}

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
      ice_agent_described(&t->ice, uv_now(&w->loop));
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
    case CMD_SUBSCRIBE: {
      if (c->n == t->n_subscribed && !memcmp(c->ssrcs, t->subscribed, sizeof(uint32_t) * (size_t)c->n)) {
        memcpy(t->layer_cap, c->max_layers, (size_t)c->n); /* the same streams: only the qualities wanted */
        break;
      }
      bool was[SFU_MAX_SUBSCRIPTIONS];
      for (int k = 0; k < c->n; k++) was[k] = subscription_of(t, c->ssrcs[k]) >= 0;
      subscribe(t, c);
      rebuild_subscribers(w);
      if (t->srtp) {
        for (int k = 0; k < c->n; k++) srtp_pair_add_ssrc(t->srtp, c->ssrcs[k], 1);
        keyframes_for(w, t, was, uv_now(&w->loop)); /* a receiver needs key frames of what it now gets */
        flush(w);
      }
      break;
    }
    case CMD_DESTROY:
      on_cmd_destroy(w, slot);
      break;
    case CMD_TEST_SHAPE:
      if (w->s->cfg.test_mode) test_shape(w, t, (uint64_t)c->n * 1000);
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
  keyframes_for(w, t, NULL, uv_now(&w->loop));
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
  else if (st == DTLS_FAILED && before != DTLS_FAILED) { /* once: a failed connection ignores what follows */
    log_info("sfu: transport %u: DTLS failed (%s)", (unsigned)t->id, dtls_conn_failure(t->dtls));
    close_transport_media(w, t, "dtls-failed");
  }
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

/* A packet from slot's publisher whose SSRC is unknown: an encoding of one
 * of its simulcast tracks starting, named by the rtp-stream-id extension
 * (after SRTP authenticated it). The track and its encoding, or NULL. */
static track *learn_layer(worker *w, int slot, const uint8_t *pkt, const rtp_header *h, int *layer_out) {
  transport *t = &w->transports[slot];
  int n_sim = 0;
  for (int k = 0; k < t->n_tracks; k++) n_sim += t->tracks[k].n_layers > 0;
  for (int k = 0; k < t->n_tracks; k++) {
    track *tr = &t->tracks[k];
    const uint8_t *d, *m;
    size_t n, mn;
    if (!tr->n_layers || !h->extension || rtp_ext_find(pkt, h, tr->t.ext_rid, &d, &n) != 0) continue;
    /* rids are per m-line (the page gives its camera and a screen share the
     * same ones): with several simulcast tracks, the MID says whose it is. */
    bool has_mid = tr->t.ext_mid && rtp_ext_find(pkt, h, tr->t.ext_mid, &m, &mn) == 0;
    if (has_mid ? (mn != strlen(tr->t.mid) || memcmp(m, tr->t.mid, mn) != 0) : n_sim > 1) continue;
    for (int l = 0; l < tr->n_layers; l++)
      if (n == strlen(tr->t.rids[l]) && memcmp(d, tr->t.rids[l], n) == 0) {
        if (bind_layer(w, slot, k, l, h->ssrc) != 0) return NULL; /* another stream's SSRC */
        *layer_out = l;
        return tr;
      }
  }
  return NULL;
}

/* Asks the publisher for what the network lost of a stream (its SSRC). */
/* Did packet got of a stream come after a newer one (a repair of a loss
 * upstream, or reordered)? Asked before the tracker records it. */
static bool came_late(const rtp_seq_tracker *seq, uint16_t got) {
  return seq->started && (int16_t)(uint16_t)(got - seq->highest) < 0;
}

static void nack_losses(worker *w, int slot, rtp_seq_tracker *seq, uint32_t ssrc, uint16_t got) {
  uint16_t missing[64];
  int n = rtp_seq_update(seq, got, missing, 64);
  if (n <= 0) return;
  uint8_t fb[512];
  size_t fl = rtcp_build_nack(fb, sizeof fb, SERVER_SSRC, ssrc, missing, n);
  if (fl) {
    send_feedback(w, &w->transports[slot], fb, fl);
    COUNT(nacks_sent, 1);
  }
}

/* The encodings down track d may take a packet of now (track.sub_layers). */
static uint8_t wanted_layers(const sim_down *d) {
  return (uint8_t)((d->cur.layer >= 0 ? 1u << d->cur.layer : 0) | (d->target >= 0 ? 1u << d->target : 0));
}

/* A packet of encoding l of simulcast track tr: to each subscriber whose
 * down track takes it, rewritten as one continuous stream. */
static void forward_layer(worker *w, track *tr, int l, uint8_t *pkt, size_t len, const rtp_header *h) {
  vp8_desc v;
  if (vp8_parse(pkt + h->header_len, h->payload_len, &v) != 0) memset(&v, 0, sizeof v);
  rewrite rw = {.ssrc = tr->t.ssrc, .payload_at = h->header_len, .vp8 = &v};
  for (int i = 0; i < tr->n_subscribers; i++) {
    if (!(tr->sub_layers[i] & (1u << l))) continue; /* neither forwarded nor waited for there */
    transport *sub = &w->transports[tr->subscribers[i]];
    int k = tr->sub_index[i];
    if (!sub->srtp || !sub->down || k >= sub->n_subscribed) continue;
    sim_down *d = &sub->down[k];
    sim_verdict verdict = sim_packet(d, l, tr->layers[l].gen, h->seq, h->timestamp, &v, w->arrival_us, &rw.o);
    tr->sub_layers[i] = wanted_layers(d);
    if (verdict == SIM_SWITCHED) COUNT(layer_switches, 1);
    if (verdict != SIM_DROP) {
      send_srtp(w, sub, pkt, len, 0, w->arrival_us, &rw);
      sub->tx_pkts++;
    }
  }
}

/* Loudest audio: is this packet of ranked audio track tr forwarded? Its
 * sequence number is rewritten so that receivers see no gap where packets
 * were held back (as after DTX: only the timestamp jumps). */
static bool loudest_forward(worker *w, track *tr, uint8_t *pkt, rtp_header *h) {
  int level = -1;
  const uint8_t *d;
  size_t n;
  uint8_t lv;
  bool voice;
  if (h->extension && rtp_ext_find(pkt, h, tr->t.ext_audio_level, &d, &n) == 0 &&
      rtp_audio_level(d, n, &lv, &voice) == 0)
    level = lv;
  uint16_t out;
  loudest_verdict v = loudest_packet(&w->rooms[tr->room], w->loudest_n, &tr->loud, level, w->arrival_us, h->seq, &out);
  if (v == LOUDEST_DROP) {
    COUNT(audio_not_loudest, 1);
    return false;
  }
  if (v == LOUDEST_SWITCHED_IN) COUNT(audio_switches, 1);
  if (out != h->seq) {
    put_be16(pkt + 2, out);
    h->seq = out;
  }
  return true;
}

static void forward_rtp(worker *w, int slot, uint8_t *pkt, size_t len, uint64_t now) {
  rtp_header h;
  if (rtp_parse(pkt, len, &h) != 0) {
    COUNT(malformed, 1);
    return;
  }
  transport *pub = &w->transports[slot];
  /* Every packet that arrived is reported, forwarded or not (transport-wide
   * CC: one the report leaves out counts as lost, and the publisher backs
   * off; a browser's probes come on streams the SFU may not know yet). */
  if (pub->twcc && pub->twcc_ext) record_twcc(w, pub, pkt, &h, pub->twcc_ext, now);
  int owner = slot, l = -1;
  track *tr = track_find_layer(w, h.ssrc, &owner, &l);
  if (!tr) tr = learn_layer(w, slot, pkt, &h, &l);
  /* Only the publisher's own tracks, in the negotiated codec; a simulcast
   * track only in its encodings. */
  if (!tr || owner != slot || h.payload_type != tr->t.pt || (tr->n_layers && l < 0)) {
    COUNT(dropped, 1);
    return;
  }
  if (tr->room >= 0 && !loudest_forward(w, tr, pkt, &h)) return; /* an audio track ranked by loudness */
  /* Test mode only (capture, tamper): one predictable branch otherwise. */
  if (__builtin_expect(w->tap != NULL, 0)) len = tap_packet(w->tap, tr->tap, pkt, len, UDP_MAX_DATAGRAM, &h);
  rtp_set_payload_type(pkt, tr->t.kind == SFU_AUDIO ? SUB_PT_OPUS : SUB_PT_VP8);
  if (h.extension && rtp_ext_remap(pkt, &h, tr->ext_map) != 0) {
    COUNT(malformed, 1);
    return;
  }
  if (l >= 0) {
    sim_layer *ly = &tr->layers[l];
    ly->last_us = w->arrival_us;
    ly->bytes += len;
    if (ly->history) {
      rtp_history_put(ly->history, h.seq, pkt, len, now);
      if (came_late(&ly->seq, h.seq)) rtp_history_mark_late(ly->history, h.seq);
    }
    nack_losses(w, slot, &ly->seq, ly->ssrc, h.seq);
    forward_layer(w, tr, l, pkt, len, &h);
    return;
  }
  tr->bytes += len; /* what it costs each subscriber (the allocator's costs) */
  if (tr->history) {
    rtp_history_put(tr->history, h.seq, pkt, len, now);
    if (came_late(&tr->seq, h.seq)) rtp_history_mark_late(tr->history, h.seq);
    nack_losses(w, slot, &tr->seq, h.ssrc, h.seq);
  }
  for (int i = 0; i < tr->n_subscribers; i++) {
    transport *sub = &w->transports[tr->subscribers[i]];
    if (!sub->srtp) continue;
    send_srtp(w, sub, pkt, len, 0, w->arrival_us, NULL);
    if (tr->history) sub->tx_pkts++; /* video: what a NACK may name (ALLOC_LOSS_PCT) */
  }
}

/* The allocator's estimate of subscriber t's link (ALLOC_CARRIED_MS). */
static uint64_t alloc_estimate(const transport *t, uint64_t now) {
  if (t->carried_ms && now - t->carried_ms <= ALLOC_CARRIED_MS && t->carried_bps > t->remb_bps) return t->carried_bps;
  return t->remb_bps;
}

/* A NACKed packet we did send subscriber t (subscription k), for
 * congestion (ALLOC_LOSS_PCT): counted once, the first time it is named (a
 * browser asks again until it comes; the newest counted number is kept,
 * with the second it was counted in, for ALLOC_NACK_FRESH_S), and not when
 * it came to us late (a repair of a loss upstream, which the subscriber
 * may ask for before the repair reaches it: not this link's loss). */
static void count_loss(transport *t, int k, uint16_t seq, bool late, uint64_t now) {
  if (late) return;
  uint32_t hi = t->nack_hi[k], sec = (uint32_t)(now / 1000) & 0x7fff;
  bool fresh = (hi & 0x10000) && ((sec - (hi >> 17)) & 0x7fff) <= ALLOC_NACK_FRESH_S;
  if (fresh && (int16_t)(uint16_t)(seq - (uint16_t)hi) <= 0) return; /* named before */
  t->nacked++;
  t->nack_hi[k] = sec << 17 | 0x10000u | seq;
}

/* Answers a subscriber's NACK from the history: duplicates removed, within
 * the subscriber's retransmission budget. For a simulcast track the
 * subscriber's sequence numbers are its down track's: each is found in the
 * encoding that sent it and rewritten again. */
static void answer_nack(worker *w, transport *t, const rtcp_block *b, uint64_t now) {
  COUNT(nacks_received, 1);
  t->nack_ms = now;
  uint32_t ssrc = rtcp_media_ssrc(b);
  int k = subscription_of(t, ssrc);
  track *tr = k >= 0 ? track_find(w, ssrc, NULL) : NULL;
  if (!tr || (!tr->history && !(tr->n_layers && t->down))) return;
  /* Behind a bottleneck most of what is lost is what the link could not
   * carry: resending all of it (500 packets a second, 4.8 Mbps at a
   * 500 kbps subscriber) only deepens the congestion. */
  double rate = RTX_RATE;
  if (t->remb_ms && now - t->remb_ms <= REMB_MAX_AGE_MS) {
    rate = (double)alloc_estimate(t, now) * RTX_SHARE / (8.0 * 1200.0);
    rate = rate < RTX_MIN_RATE ? RTX_MIN_RATE : rate > RTX_RATE ? RTX_RATE : rate;
  }
  t->rtx_tokens += (double)(now - t->rtx_ms) / 1000.0 * rate;
  double burst = rate < RTX_MIN_BURST ? RTX_MIN_BURST : rate; /* a lost key frame's worth, or a second's */
  if (t->rtx_tokens > burst) t->rtx_tokens = burst;
  t->rtx_ms = now;
  uint16_t seqs[128];
  int n = rtcp_nack_seqs(b, seqs, 128);
  for (int i = 0; i < n; i++) {
    bool dup = false;
    for (int j = 0; j < i && !dup; j++) dup = seqs[j] == seqs[i];
    if (dup) continue;
    if (++t->nack_examined > NACK_EXAMINE_MAX) break; /* a flood of NACKs costs a bounded amount */
    /* The packet: the history holding it, and its number there. */
    const rtp_history *hist = tr->history;
    uint16_t in = seqs[i];
    const sim_offsets *off = NULL;
    if (tr->n_layers) {
      int l;
      if (sim_lookup(&t->down[k], seqs[i], &l, &in, &off) != 0) continue;
      hist = tr->layers[l].history;
    }
    size_t len;
    const uint8_t *p = hist ? rtp_history_get(hist, in, &len, now, NACK_MAX_AGE_MS) : NULL;
    if (!p) continue;
    count_loss(t, k, seqs[i], rtp_history_is_late(hist, in), now);
    if (t->rtx_tokens < 1.0) continue;
    rewrite rw, *rwp = NULL;
    vp8_desc v;
    if (off) {
      rtp_header h;
      if (rtp_parse(p, len, &h) != 0) continue;
      if (vp8_parse(p + h.header_len, h.payload_len, &v) != 0) memset(&v, 0, sizeof v);
      rw = (rewrite){.ssrc = tr->t.ssrc, .o = sim_apply(off, in, h.timestamp, &v), .payload_at = h.header_len,
                     .vp8 = &v};
      rwp = &rw;
    }
    send_srtp(w, t, p, len, 0, 0, rwp);
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
      int owner, k = subscription_of(t, ssrcs[i]);
      track *tr = k >= 0 ? track_find(w, ssrcs[i], &owner) : NULL;
      if (!tr) continue;
      /* Simulcast: the encoding this subscriber gets (or waits for). */
      if (tr->n_layers && t->down) {
        const sim_down *d = &t->down[k];
        request_layer_keyframe(w, owner, tr, d->cur.layer >= 0 ? d->cur.layer : d->target, now);
      } else {
        request_keyframe(w, owner, tr, now);
      }
    }
  } else if (b->type == RTCP_PSFB) {
    uint64_t bps;
    uint32_t ssrcs[8];
    int n;
    if (rtcp_parse_remb(b, &bps, ssrcs, 8, &n) == 0) {
      if (bps > REMB_MAX_BPS) bps = REMB_MAX_BPS; /* its products below stay in 64 bits */
      if (bps * 100 < t->remb_bps * 95) t->remb_fall_ms = now; /* it fell: overuse */
      if (bps > t->remb_bps) t->remb_rise_ms = now;
      if (bps * 100 >= t->tx_bps * ALLOC_LOW_PCT) t->alloc_low_since_ms = 0;
      else if (!t->alloc_low_since_ms) t->alloc_low_since_ms = now;
      t->remb_bps = bps;
      t->remb_ms = now;
      if (bps * 100 >= t->tx_bps * REMB_CONGESTED_PCT) t->congested_since_ms = 0;
      else if (!t->congested_since_ms) t->congested_since_ms = now;
    }
  }
}

/* A sender report of encoding l, for a subscriber that gets it: the
 * track's SSRC and the down track's timestamps; the report blocks dropped. */
static void forward_layer_sr(worker *w, transport *sub, const sim_down *d, const track *tr, const rtcp_block *b) {
  uint8_t sr[28];
  memcpy(sr, b->p, sizeof sr);
  sr[0] = (uint8_t)(sr[0] & 0xc0); /* version 2, no padding, no report blocks */
  put_be16(sr + 2, 6);             /* length in words - 1 */
  put_be32(sr + 4, tr->t.ssrc);
  put_be32(sr + 16, get_be32(sr + 16) + d->cur.ts);
  send_srtp(w, sub, sr, sizeof sr, 1, 0, NULL);
}

/* From a publisher: sender reports go to the subscribers of that SSRC (lip
 * sync); everything else ends here. */
static void handle_publisher_rtcp(worker *w, int slot, const rtcp_block *b) {
  if (b->type != RTCP_SR || b->len > 1200) return;
  int owner, l;
  track *tr = track_find_layer(w, rtcp_sender_ssrc(b), &owner, &l);
  if (!tr || owner != slot) return;
  const uint8_t *sr = b->p;
  uint8_t fixed[UDP_MAX_DATAGRAM];
  if (tr->room >= 0 && tr->loud.skipped && b->len >= 28 && b->len <= sizeof fixed) {
    /* loudest audio: the sender's packet count without the numbers its
     * receivers never saw (the timestamps are not rewritten) */
    memcpy(fixed, b->p, b->len);
    uint32_t count = get_be32(fixed + 20);
    put_be32(fixed + 20, count > tr->loud.skipped ? count - tr->loud.skipped : 0);
    sr = fixed;
  }
  for (int i = 0; i < tr->n_subscribers; i++) {
    transport *sub = &w->transports[tr->subscribers[i]];
    if (!sub->srtp) continue;
    if (l < 0) {
      if (!tr->n_layers) send_srtp(w, sub, sr, b->len, 1, 0, NULL); /* not on a simulcast track's own SSRC */
    } else if (b->len >= 28 && sub->down && tr->sub_index[i] < sub->n_subscribed) {
      const sim_down *d = &sub->down[tr->sub_index[i]];
      if (d->cur.layer == l) forward_layer_sr(w, sub, d, tr, b);
    }
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
  t->checks_in++;
  if (r == ICE_IGNORED) {
    t->checks_refused++;
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
  if (b >= 20 && b <= 63) {
    w->transports[slot].dtls_in++;
    feed_dtls(w, slot, p, n, from);
  } else if (b >= 128 && b <= 191 && rtp_looks_like(p, n)) on_srtp(w, slot, p, n, from, now);
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
    if (tr->n_layers) { /* its encodings; a congested subscriber gets a lower one instead */
      for (int l = 0; l < tr->n_layers && n < SFU_MAX_TRACKS_PER_TRANSPORT; l++)
        if (tr->layers[l].ssrc) ssrcs[n++] = tr->layers[l].ssrc;
      continue;
    }
    if (n == SFU_MAX_TRACKS_PER_TRANSPORT) continue;
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

/* The encodings of tr that the publisher sends now, a bit each. */
_Static_assert(SFU_MAX_LAYERS <= 8, "a bit per encoding in a uint8_t");
static uint8_t layers_sending(const track *tr, int64_t now_us) {
  uint8_t mask = 0;
  for (int l = 0; l < tr->n_layers; l++)
    if (tr->layers[l].ssrc && now_us - tr->layers[l].last_us < LAYER_ACTIVE_US) mask |= (uint8_t)(1u << l);
  return mask;
}

/* The highest encoding in mask at or below cap, or -1. */
static int highest_within(uint8_t mask, int cap) {
  for (int l = cap < SFU_MAX_LAYERS - 1 ? cap : SFU_MAX_LAYERS - 1; l >= 0; l--)
    if (mask & (1u << l)) return l;
  return -1;
}

/* The highest encoding of tr at or below cap that is sending, or -1. */
static int best_layer(const track *tr, int cap, int64_t now_us) {
  return highest_within(layers_sending(tr, now_us), cap);
}

/* Each second: every simulcast encoding's rate. */
static void measure_layers(transport *t) {
  for (int k = 0; k < t->n_tracks; k++) {
    track *tr = &t->tracks[k];
    tr->bps = tr->bytes * 8;
    tr->bytes = 0;
    for (int l = 0; l < tr->n_layers; l++) {
      sim_layer *ly = &tr->layers[l];
      ly->bps = ly->bytes * 8;
      ly->bytes = 0;
    }
  }
}

/* Is subscriber t congested: its own estimate (REMB, fresh) under
 * ALLOC_LOW_PCT of what we send it for ALLOC_LOW_FOR_MS, and fallen within
 * ALLOC_FALL_RECENT_MS, or flat while it loses packets? Or is it losing
 * ALLOC_LOSS_PCT of what we send it, second after second, while its
 * estimate is under ALLOC_LOSS_REMB_PCT of what we send? */
static bool congested(const transport *t, uint64_t now) {
  /* A receive-side estimate starts low and climbs for many seconds after a
   * join or a step up (about 8% a second): being under what the subscriber
   * gets is then no sign of congestion. Falling is: the receiver saw its
   * queue grow (overuse) and cut its estimate to what still arrives. A dip
   * on jitter (a busy machine) cuts it to about 85% of what arrives; a
   * bottleneck, well under that, and for longer. */
  /* Behind a full queue the delay stops growing and the estimate stays
   * flat, far under what is sent, while packets are lost: a flat estimate
   * with losses (the subscriber NACKs) counts as much as a falling one. A
   * flat one alone does not: after a join it may pause on its way up. */
  bool fell = t->remb_fall_ms && now - t->remb_fall_ms <= ALLOC_FALL_RECENT_MS;
  bool lossy = t->nack_ms && now - t->nack_ms <= ALLOC_FALL_RECENT_MS && now - t->remb_rise_ms >= ALLOC_LOW_FOR_MS;
  /* A link a little slower than the stream: the estimate settles at what
   * the link carries, well above half of what is sent, while a share of
   * every second's packets is dropped for good (a 600 kbps link under a
   * 750 kbps encoding loses one packet in five). */
  /* A step up still on trial (a probe) is taken back after one such second. */
  bool trial = t->alloc_st.probing && now - t->alloc_st.up_ms < ALLOC_HOLD_FIRST_MS;
  bool losing = t->lossy_secs >= (trial ? 1u : ALLOC_LOSS_SECONDS) && t->remb_bps * 100 < t->tx_bps * ALLOC_LOSS_REMB_PCT;
  if (!t->remb_ms || now - t->remb_ms > REMB_MAX_AGE_MS) return false;
  /* Low since a REMB that came while more was sent, and still low now
   * (a browser may not send another REMB for many seconds). */
  bool low = t->alloc_low_since_ms && now - t->alloc_low_since_ms >= ALLOC_LOW_FOR_MS &&
             t->remb_bps * 100 < t->tx_bps * ALLOC_LOW_PCT;
  return losing || ((fell || lossy) && low);
}

/* Is the publisher at slot `owner` its room's active speaker: its ranked
 * audio (loudest audio on) sounding (at SPEAKING_LEVEL or louder) and the
 * loudest of the room's selected streams now? */
static bool active_speaker(worker *w, int owner, int64_t now_us) {
  const transport *o = &w->transports[owner];
  for (int k = 0; k < o->n_tracks; k++) {
    const track *a = &o->tracks[k];
    if (a->t.kind != SFU_AUDIO || a->room < 0 || !w->rooms || !a->loud.selected) continue;
    int32_t mine = loudest_loudness_q8(&a->loud, now_us);
    if (mine < (127 - SPEAKING_LEVEL) << 8) return false;
    const loudest_room *r = &w->rooms[a->room];
    for (int i = 0; i < r->n_sel; i++)
      if (r->sel[i] != &a->loud && loudest_loudness_q8(r->sel[i], now_us) > mine) return false;
    return true;
  }
  return false;
}

/* Runs the bandwidth allocator of subscriber t (sfu/allocator.h) over the
 * tracks it receives, as they are now. */
static void allocate(worker *w, transport *t, uint64_t now, int64_t now_us) {
  bool busy = congested(t, now);
  if (!alloc_due(&t->alloc_st, busy, now)) return;
  alloc_track *at = w->alloc_tracks;
  for (int k = 0; k < t->n_subscribed; k++) {
    int owner = -1;
    track *tr = track_find(w, t->subscribed[k], &owner);
    alloc_track *a = &at[k];
    *a = (alloc_track){.video = tr && tr->t.kind == SFU_VIDEO, .cur = -1, .top = -1};
    if (!tr) continue;
    a->bps = tr->bps;
    if (!tr->n_layers) continue;
    a->n_layers = (uint8_t)tr->n_layers;
    a->cap = (int8_t)t->layer_cap[k];
    a->sending = layers_sending(tr, now_us);
    a->top = (int8_t)highest_within(a->sending, t->layer_cap[k]);
    a->cur = t->down[k].cur.layer;
    a->speaker = owner >= 0 && active_speaker(w, owner, now_us);
    for (int l = 0; l < tr->n_layers && l < ALLOC_MAX_LAYERS; l++) a->layer_bps[l] = tr->layers[l].bps;
  }
  uint64_t estimate = alloc_estimate(t, now);
  int steps = alloc_run(&t->alloc_st, at, t->alloc, t->n_subscribed, busy, estimate, now);
  if (steps > 0) {
    /* The losses so far were the old allocation's; after a step down the
     * switch (a key frame, a queue draining) takes a moment. A step up is
     * judged at once: what it loses is its own. */
    t->lossy_secs = 0;
    if (busy) t->loss_quiet_until_ms = now + ALLOC_LOSS_QUIET_MS;
    if (busy) COUNT(alloc_steps_down, (uint64_t)steps);
    else COUNT(alloc_steps_up, (uint64_t)steps);
  }
}

/* Simulcast for subscriber t: each down track's target is the best encoding
 * the publisher sends within what the subscriber asked for and what the
 * allocator allows; one that waits for a switch asks the publisher for a key
 * frame of the encoding it wants. */
static void choose_layers(worker *w, transport *t, uint64_t now, int64_t now_us) {
  if (!t->down) return;
  allocate(w, t, now, now_us);
  for (int k = 0; k < t->n_subscribed; k++) {
    int owner;
    track *tr = track_find(w, t->subscribed[k], &owner);
    if (!tr || !tr->n_layers) continue;
    sim_down *d = &t->down[k];
    int cap = t->layer_cap[k] < t->alloc[k] ? t->layer_cap[k] : t->alloc[k];
    int want = cap < 0 ? -1 : best_layer(tr, cap, now_us);
    if (cap < 0 && d->target >= 0) sim_set_target(d, -1); /* paused by the allocator */
    else if (want >= 0 && want != d->target) sim_set_target(d, want);
    if (t->sub_pos[k] >= 0 && t->sub_pos[k] < tr->n_subscribers) tr->sub_layers[t->sub_pos[k]] = wanted_layers(d);
    if (sim_waiting(d)) request_layer_keyframe(w, owner, tr, d->target, now);
  }
}

static void on_tick(uv_timer_t *h) {
  worker *w = h->data;
  uint64_t now = uv_now(&w->loop);
  int64_t now_us = udp_now_us();
  for (int i = 0; i < w->n_transports; i++) {
    transport *t = &w->transports[i];
    if (!t->used || t->closed_reported) continue;
    if (ice_agent_consent_expired(&t->ice, now)) {
      close_transport_media(w, t, "ice-timeout");
      continue;
    }
    /* ICE alone is not a connection: a peer that keeps answering checks but
     * never completes DTLS would hold a transport of the pool for good. DTLS
     * gets DTLS_EXTRA_MS more than ICE's connect deadline (ice.h: a check
     * within 10 s of the peer's description, at most 30 s from creation). */
    if (!t->srtp) {
      uint64_t ice_due = ice_agent_connect_deadline(&t->ice);
      if (now >= ice_due && now - ice_due >= DTLS_EXTRA_MS) {
        close_transport_media(w, t, "connect-timeout");
        continue;
      }
    }
    if (t->dtls && dtls_conn_state(t->dtls) == DTLS_HANDSHAKING) {
      uint64_t due = dtls_conn_next_timeout(t->dtls, now);
      if (due && due <= now) {
        w->current = i;
        if (dtls_conn_on_timer(t->dtls, now) == DTLS_FAILED) {
          log_info("sfu: transport %u: DTLS failed (%s)", (unsigned)t->id, dtls_conn_failure(t->dtls));
          close_transport_media(w, t, "dtls-timeout");
        }
        w->current = -1;
      }
    }
    if (now - t->tx_since_ms >= 1000) { /* the rate we send this transport, per second */
      t->tx_bps = t->tx_since_ms ? t->tx_bytes * 8 * 1000 / (now - t->tx_since_ms) : 0;
      t->tx_bytes = 0;
      t->tx_since_ms = now;
      bool lost = t->tx_pkts >= ALLOC_LOSS_MIN_PKTS && now >= t->loss_quiet_until_ms &&
                  (uint64_t)t->nacked * 100 >= (uint64_t)t->tx_pkts * ALLOC_LOSS_PCT;
      t->lossy_secs = lost ? t->lossy_secs + 1 : 0;
      bool clean = t->tx_pkts >= ALLOC_LOSS_MIN_PKTS && (uint64_t)t->nacked * 200 < (uint64_t)t->tx_pkts * ALLOC_LOSS_PCT;
      if (clean && (t->tx_bps >= t->carried_bps || now - t->carried_ms > ALLOC_CARRIED_MS))
        t->carried_bps = t->tx_bps, t->carried_ms = now;
      else if (lost && t->tx_pkts) { /* what got through this second is more than it carries now */
        uint64_t through = t->tx_bps * (t->tx_pkts - (t->nacked < t->tx_pkts ? t->nacked : t->tx_pkts)) / t->tx_pkts;
        if (through < t->carried_bps) t->carried_bps = through;
      }
      t->tx_pkts = t->nacked = t->nack_examined = 0;
      measure_layers(t);
    }
    if (t->srtp && t->n_sim && now - t->layers_ms >= LAYERS_EVERY_MS) {
      t->layers_ms = now;
      choose_layers(w, t, now, now_us);
    }
    if (t->srtp && t->n_tracks && now - t->last_remb_ms >= REMB_INTERVAL_MS) send_remb(w, t, now);
    if (t->srtp && t->twcc && twcc_pending(t->twcc) && now - t->last_twcc_ms >= TWCC_INTERVAL_MS)
      send_twcc(w, t, now);
  }
  if (w->tcp) tcp_conns_tick(w->tcp, now);
  flush(w);
}

/* Test mode: what the shapers let through by now. */
static void on_shape_timer(uv_timer_t *h) {
  worker *w = h->data;
  int64_t now_us = udp_now_us();
  for (int i = 0; i < w->n_transports; i++) {
    transport *t = &w->transports[i];
    if (!t->used || !t->shaper) continue;
    const struct sockaddr *to = dest(t);
    size_t len;
    const uint8_t *p;
    while ((p = shaper_next(t->shaper, now_us, &len)))
      if (to) send_to(w, to, p, len);
  }
  flush(w);
}

static void free_tables(worker *w) {
  free(w->transports);
  free(w->addrs);
  free(w->ssrcs);
  free(w->rx);
  free(w->tx);
  free(w->rooms);
  free(w->room_of);
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
  w->loudest_n = s->cfg.loudest_audio < 0 ? 0 : s->cfg.loudest_audio > LOUDEST_MAX_N ? LOUDEST_MAX_N : s->cfg.loudest_audio;
  if (w->loudest_n) {
    w->rooms = calloc((size_t)w->n_transports, sizeof(loudest_room));
    w->room_of = calloc((size_t)w->n_transports, sizeof(int));
  }
  if (!w->transports || !w->addrs || !w->ssrcs || !w->rx || !w->tx || (w->loudest_n && (!w->rooms || !w->room_of)) ||
      uv_loop_init(&w->loop) != 0) {
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
    if (!(w->tcp = tcp_conns_new(&w->loop, me->tcp_fd, h, tcnt, tcp_limits_share(s->n_workers)))) {
      free_tables(w);
      return NULL;
    }
  }
  me->to_worker = mailbox_new(&w->loop, sizeof(sfu_cmd), on_cmd, w);
  uv_poll_init(&w->loop, &w->poll, me->fd);
  uv_timer_init(&w->loop, &w->tick);
  uv_timer_init(&w->loop, &w->shape_timer);
  w->poll.data = w->tick.data = w->shape_timer.data = w;
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
  uv_close((uv_handle_t *)&w->shape_timer, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  free_tables(w);
}
