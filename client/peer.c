/* One peer connection of the native client to the SFU (client/peer.h): a
 * UDP socket on the caller's loop, ICE controlling checks against the
 * server's ICE-lite host candidates with consent freshness, the DTLS client,
 * SRTP, and RTCP (reports, NACK both ways, PLI/FIR, SR, REMB).
 *
 * The socket is polled with uv_poll and read in recvmmsg batches
 * (net/udp.h) with the kernel's arrival times (SO_TIMESTAMPNS) into one
 * batch buffer shared by the peers of a thread; each datagram is handled
 * in place. Sends go out with sendto from fixed buffers (a full socket
 * buffer drops the packet, as the network would). With a shared socket
 * (cfg.udp_mux, client/udp_mux.h) the peer has a slot of it instead: the
 * mux reads and hands over its datagrams, and sends leave from its address. One timer per peer is
 * armed for the earliest deadline (check retransmission, DTLS timer,
 * consent, report, NACK retry). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/peer.h"
#include "client/udp_mux.h"
#include "common/bytes.h"
#include "dtls/srtp.h"
#include "ice/ice.h"
#include "ice/stun.h"
#include "net/addr.h"
#include "net/udp.h"
#include "rtp/history.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"

#define CHECK_PACE_MS 50      /* Ta: checks at most this often (RFC 8445 14.2) */
#define CHECK_RTO_MIN_MS 500  /* first retransmission of a round (RFC 8445 14.3) */
#define CHECK_RTO_MAX_MS 2000 /* later rounds at most this apart */
#define MAX_TX 8              /* outstanding STUN transactions remembered */
#define CHECK_PRIORITY 0x6EFFFFFFu /* peer-reflexive type preference 110, local pref 65535 */
#define NACK_LIST 32          /* sequence numbers waiting per remote SSRC */
#define NACK_RETRY_MS 100
#define NACK_MAX_TRIES 3
#define NACK_MAX_AGE_MS 1000
#define HISTORY_MAX_AGE_MS 2000 /* NACKs for older packets are not answered */
/* NACK amplification caps: a packet is resent at most once per
 * RESEND_GAP_MS, and one incoming RTCP compound packet (up to ~90 NACK
 * blocks of 17 x 16 sequence numbers each) triggers at most
 * MAX_RESENDS_PER_RTCP resends; the rest are refused and counted. */
#define RESEND_GAP_MS 100
#define MAX_RESENDS_PER_RTCP 256
/* PLI/FIR: at most one on_keyframe_request per SSRC per KEYFRAME_GAP_MS;
 * requests in between are merged into one that comes when the gap ends. */
#define KEYFRAME_GAP_MS 300
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define RTCP_MAX 1200         /* a compound RTCP packet we build */
#define RR_MAX_BLOCKS 31
#define NTP_UNIX_OFFSET 2208988800ull

typedef struct {
  bool used;
  uint8_t txid[12];
  int cand;
  uint64_t sent_ms;
} stun_tx;

/* The history of a video SSRC, and when each slot's packet was last resent. */
typedef struct {
  rtp_history h;
  uint32_t resent_seq[RTP_HISTORY_SLOTS]; /* seq + 1 of the last resend from the slot, 0 none */
  uint64_t resent_ms[RTP_HISTORY_SLOTS];
} send_history;

typedef struct {
  uint32_t ssrc;
  uint32_t clock;
  send_history *history; /* video only */
  bool keyframe_any, keyframe_pending; /* a request was passed on; one waits for the gap to end */
  uint64_t keyframe_ms; /* when the last one was passed on */
  bool sent_any;
  uint32_t last_ts;
  uint64_t last_ms;
  uint32_t sr_packets, sr_octets;
  sc_ssrc_stats st;
} send_stream;

typedef struct {
  uint16_t seq;
  uint8_t tries;
  uint64_t first_ms, last_ms;
} nack_entry;

typedef struct {
  uint32_t ssrc;
  uint32_t clock;
  bool nack; /* the m-line allows Generic NACK */
  bool started;
  uint16_t max_seq;
  uint32_t cycles, base_seq;
  uint64_t received, expected_prior, received_prior;
  bool have_transit;
  uint32_t transit;
  uint32_t jitter_q4; /* jitter * 16 (RFC 3550 A.8) */
  uint32_t lsr;       /* middle 32 bits of the last SR's NTP time */
  uint64_t lsr_ms;    /* when it came; 0 if none */
  rtp_seq_tracker tracker;
  nack_entry nacks[NACK_LIST];
  int n_nacks;
  sc_ssrc_stats st;
} recv_stream;

struct sc_peer {
  uv_loop_t *loop;
  int fd;       /* the UDP socket, -1 once closed or when shared */
  uv_poll_t poll;
  sc_udp_mux *mux; /* the shared socket instead, and our slot of it */
  int mux_slot;
  uv_timer_t timer;
  int open_handles;
  bool closing, notify_closed;
  sc_peer_callbacks cb;
  const dtls_cert *cert;
  dtls_options dtls_opt;
  bool have_dtls_opt;
  unsigned ice_timeout_ms, consent_interval_ms, consent_timeout_ms, rr_interval_ms;
  sc_peer_state state;
  int family;
  int64_t t0_us;  /* CLOCK_REALTIME at creation: origin of arrival_units */
  int64_t rx_us;  /* arrival time of the datagram being handled (sc_peer_rx_time_us) */

  /* ICE */
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  bool have_remote;
  char remote_ufrag[257], remote_pwd[257];
  char username[STUN_MAX_USERNAME + 1];
  uint64_t tiebreaker;
  sc_candidate cands[SC_SDP_MAX_CANDIDATES];
  int n_cands, next_cand;
  int selected; /* index into cands, -1 while checking */
  stun_tx tx[MAX_TX];
  int tx_next;
  uint64_t ice_start_ms, next_check_ms;
  unsigned check_rto_ms;
  uint64_t consent_ok_ms, next_consent_ms;

  /* DTLS, SRTP */
  uint8_t remote_fp[32];
  dtls_conn *dtls;
  srtp_pair *srtp;

  /* RTP/RTCP */
  uint32_t rtcp_ssrc;
  send_stream send[SC_PEER_MAX_SEND_SSRCS];
  int n_send;
  recv_stream recv[SC_PEER_MAX_RECV_SSRCS];
  /* recv[i].ssrc and send[i].ssrc again, packed: the per-packet lookups
   * scan these, not the large stream structs. */
  uint32_t recv_ssrc[SC_PEER_MAX_RECV_SSRCS], send_ssrc[SC_PEER_MAX_SEND_SSRCS];
  int n_recv;
  uint64_t next_report_ms;
  unsigned loss_send, loss_recv, count_send, count_recv;

  uint64_t armed_ms; /* the timer's deadline, 0 if not armed */
  sc_peer_counters c;
  char fp_text[DTLS_FINGERPRINT_TEXT_LEN + 1];
  uint8_t txbuf[SC_PEER_MAX_PACKET + 64];
  uint8_t rtcp[RTCP_MAX + SR_SRTP_MAX_TRAILER];
};

const char *sc_peer_state_name(sc_peer_state s) {
  switch (s) {
    case SC_PEER_NEW: return "new";
    case SC_PEER_CHECKING: return "checking";
    case SC_PEER_DTLS: return "dtls";
    case SC_PEER_CONNECTED: return "connected";
    case SC_PEER_FAILED: return "failed";
    case SC_PEER_CLOSED: return "closed";
  }
  return "?";
}

static bool dead(const sc_peer *p) {
  return p->closing || p->state == SC_PEER_FAILED || p->state == SC_PEER_CLOSED;
}

static void set_state(sc_peer *p, sc_peer_state st, const char *reason) {
  if (p->closing || p->state == st) return;
  p->state = st;
  if (st == SC_PEER_FAILED || st == SC_PEER_CLOSED) {
    uv_timer_stop(&p->timer);
    if (p->mux) { /* nothing more is read */
      sc_udp_mux_detach(p->mux, p->mux_slot);
      p->mux_slot = -1;
    } else {
      uv_poll_stop(&p->poll);
    }
    p->armed_ms = 0;
  }
  if (p->cb.on_state) p->cb.on_state(p->cb.ctx, p, st, reason ? reason : "");
}

static void peer_fail(sc_peer *p, const char *reason) {
  if (!dead(p)) set_state(p, SC_PEER_FAILED, reason);
}

/* ---- sending ---- */

static const struct sockaddr *server_addr(const sc_peer *p) {
  return p->selected >= 0 ? (const struct sockaddr *)&p->cands[p->selected].addr : NULL;
}

static void send_to(sc_peer *p, const struct sockaddr *to, const uint8_t *data, size_t len) {
  if (!to || p->closing) return;
  if (p->mux) {
    if (p->mux_slot < 0) return; /* failed or closed: nothing more leaves */
    if (sc_udp_mux_send(p->mux, p->mux_slot, to, data, len) == 0) p->c.datagrams_out++;
    else p->c.dropped++;
    return;
  }
  if (p->fd < 0) return;
  ssize_t n;
  do n = sendto(p->fd, data, len, MSG_DONTWAIT, to, sockaddr_len(to));
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)len) p->c.datagrams_out++;
  else p->c.dropped++;
}

/* Protects the compound RTCP packet in p->rtcp[0..len) and sends it. */
static void send_rtcp(sc_peer *p, size_t len) {
  if (!p->srtp || dead(p)) return;
  size_t n = len;
  if (srtp_pair_protect_rtcp(p->srtp, p->rtcp, &n, sizeof p->rtcp) != 0) {
    p->c.srtp_errors++;
    return;
  }
  send_to(p, server_addr(p), p->rtcp, n);
}

/* An empty RR followed by one feedback message (what browsers send). */
static void send_feedback(sc_peer *p, const uint8_t *fb, size_t fb_len) {
  size_t n = rtcp_build_rr(p->rtcp, RTCP_MAX, p->rtcp_ssrc);
  if (!n || n + fb_len > RTCP_MAX) return;
  memcpy(p->rtcp + n, fb, fb_len);
  send_rtcp(p, n + fb_len);
}

/* ---- timer ---- */

static void on_timer(uv_timer_t *t);

/* Makes sure the timer fires by `due` (absolute, uv_now clock). */
static void schedule(sc_peer *p, uint64_t due) {
  if (dead(p) || due == 0) return;
  if (p->armed_ms && p->armed_ms <= due) return;
  uint64_t now = uv_now(p->loop);
  p->armed_ms = due;
  uv_timer_start(&p->timer, on_timer, due > now ? due - now : 0, 0);
}

static uint64_t min_due(uint64_t a, uint64_t b) { return a == 0 ? b : b == 0 ? a : a < b ? a : b; }

/* ---- ICE ---- */

static void random_bytes(void *out, size_t n) {
  if (RAND_bytes(out, (int)n) != 1) memset(out, 0x5a, n); /* never: the CSPRNG was checked at start */
}

static uint64_t consent_delay(const sc_peer *p) {
  uint16_t r;
  random_bytes(&r, sizeof r);
  uint64_t base = p->consent_interval_ms;
  return base * 8 / 10 + (base * 4 / 10) * r / 65535; /* 0.8 .. 1.2 of the interval */
}

static void send_check(sc_peer *p, int cand, bool use_candidate) {
  stun_tx *t = &p->tx[p->tx_next];
  p->tx_next = (p->tx_next + 1) % MAX_TX;
  random_bytes(t->txid, sizeof t->txid);
  t->used = true;
  t->cand = cand;
  t->sent_ms = uv_now(p->loop);
  uint8_t buf[700];
  size_t n = stun_build_binding_request(buf, sizeof buf, t->txid, p->username,
                                        (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd),
                                        CHECK_PRIORITY, use_candidate, true, p->tiebreaker);
  if (!n) return;
  p->c.stun_sent++;
  send_to(p, (const struct sockaddr *)&p->cands[cand].addr, buf, n);
}

/* Checks: every candidate in turn, Ta apart; a new round after the RTO,
 * which doubles up to CHECK_RTO_MAX_MS. Aggressive nomination: every check
 * carries USE-CANDIDATE (the lite server selects the first that passes). */
static void ice_tick(sc_peer *p, uint64_t now) {
  if (now - p->ice_start_ms >= p->ice_timeout_ms) {
    peer_fail(p, "ice-timeout");
    return;
  }
  if (now >= p->next_check_ms) {
    send_check(p, p->next_cand, true);
    if (++p->next_cand >= p->n_cands) {
      p->next_cand = 0;
      p->next_check_ms = now + p->check_rto_ms;
      p->check_rto_ms = p->check_rto_ms * 2 > CHECK_RTO_MAX_MS ? CHECK_RTO_MAX_MS : p->check_rto_ms * 2;
    } else {
      p->next_check_ms = now + CHECK_PACE_MS;
    }
  }
  schedule(p, min_due(p->next_check_ms, p->ice_start_ms + p->ice_timeout_ms));
}

static void consent_tick(sc_peer *p, uint64_t now) {
  if (now - p->consent_ok_ms >= p->consent_timeout_ms) {
    peer_fail(p, "consent-lost");
    return;
  }
  if (now >= p->next_consent_ms) {
    send_check(p, p->selected, false);
    p->next_consent_ms = now + consent_delay(p);
  }
  schedule(p, min_due(p->next_consent_ms, p->consent_ok_ms + p->consent_timeout_ms));
}

/* ---- DTLS and SRTP ---- */

static void dtls_send_cb(void *ctx, const uint8_t *data, size_t len) {
  sc_peer *p = ctx;
  send_to(p, server_addr(p), data, len);
}

static void start_srtp(sc_peer *p) {
  srtp_keys keys;
  if (dtls_conn_srtp_keys(p->dtls, &keys) != 0 || !(p->srtp = srtp_pair_new(&keys))) {
    OPENSSL_cleanse(&keys, sizeof keys);
    peer_fail(p, "srtp-failed");
    return;
  }
  OPENSSL_cleanse(&keys, sizeof keys);
  srtp_pair_add_ssrc(p->srtp, p->rtcp_ssrc, 1);
  for (int i = 0; i < p->n_send; i++) srtp_pair_add_ssrc(p->srtp, p->send[i].ssrc, 1);
  for (int i = 0; i < p->n_recv; i++) srtp_pair_add_ssrc(p->srtp, p->recv[i].ssrc, 0);
  uint64_t now = uv_now(p->loop);
  p->next_report_ms = now + p->rr_interval_ms;
  set_state(p, SC_PEER_CONNECTED, "");
  schedule(p, p->next_report_ms);
}

/* After dtls_conn_input or _on_timer: acts on the new state. */
static void dtls_progress(sc_peer *p, dtls_state st, uint64_t now) {
  if (st == DTLS_CONNECTED && !p->srtp && p->state == SC_PEER_DTLS) start_srtp(p);
  else if (st == DTLS_FAILED) peer_fail(p, "dtls-failed");
  else if (st == DTLS_CLOSED) {
    if (!dead(p)) set_state(p, SC_PEER_CLOSED, "dtls-closed");
  } else if (st == DTLS_HANDSHAKING) schedule(p, dtls_conn_next_timeout(p->dtls, now));
}

static void start_dtls(sc_peer *p, uint64_t now) {
  set_state(p, SC_PEER_DTLS, "");
  if (dead(p)) return;
  p->dtls = dtls_conn_new_ex(p->cert, p->remote_fp, 0, p->have_dtls_opt ? &p->dtls_opt : NULL,
                             dtls_send_cb, p);
  if (!p->dtls) {
    peer_fail(p, "dtls-failed");
    return;
  }
  dtls_progress(p, dtls_conn_state(p->dtls), now);
}

/* Is from the selected server address or one of the server's candidates? */
static bool from_server(const sc_peer *p, const struct sockaddr *from) {
  if (p->selected >= 0) return sockaddr_equal(from, (const struct sockaddr *)&p->cands[p->selected].addr);
  for (int i = 0; i < p->n_cands; i++)
    if (sockaddr_equal(from, (const struct sockaddr *)&p->cands[i].addr)) return true;
  return false;
}

/* A Binding request of the server (sealroomd never sends one; Janus's
 * libnice does, even in lite mode, RFC 8445 7.3): answered when it comes
 * from the server, names us as "ourufrag:theirufrag" and carries
 * MESSAGE-INTEGRITY keyed with our pwd (RFC 8445 7.3.1); anything else is
 * dropped without an answer. The answer: XOR-MAPPED-ADDRESS of the source,
 * MESSAGE-INTEGRITY with our pwd, FINGERPRINT. It changes no ICE state:
 * we are the controlling agent and nominate ourselves. */
static void answer_request(sc_peer *p, const uint8_t *buf, size_t n, const stun_msg *m,
                           const struct sockaddr *from) {
  size_t ul = strlen(p->ufrag), rl = strlen(p->remote_ufrag);
  if (!p->have_remote || !from_server(p, from) || !m->username || m->username_len != ul + 1 + rl ||
      memcmp(m->username, p->ufrag, ul) != 0 || m->username[ul] != ':' ||
      memcmp(m->username + ul + 1, p->remote_ufrag, rl) != 0 ||
      stun_check_integrity(buf, n, m, (const uint8_t *)p->pwd, strlen(p->pwd)) != STUN_OK) {
    p->c.dropped++;
    return;
  }
  uint8_t out[128];
  size_t len = stun_build_binding_success(out, sizeof out, m->txid, from, (const uint8_t *)p->pwd,
                                          strlen(p->pwd));
  if (!len) return;
  p->c.stun_requests_answered++;
  send_to(p, from, out, len);
}

static void on_stun(sc_peer *p, const uint8_t *buf, size_t n, const struct sockaddr *from,
                    uint64_t now) {
  stun_msg m;
  if (stun_parse(buf, n, &m) != STUN_OK || !m.has_fingerprint || m.method != STUN_METHOD_BINDING) {
    p->c.dropped++;
    return;
  }
  if (m.cls == STUN_CLASS_INDICATION) return; /* keepalives (RFC 8445 11): nothing to do */
  if (m.cls == STUN_CLASS_REQUEST) {
    answer_request(p, buf, n, &m, from);
    return;
  }
  stun_tx *t = NULL;
  for (int i = 0; i < MAX_TX && !t; i++)
    if (p->tx[i].used && memcmp(p->tx[i].txid, m.txid, 12) == 0) t = &p->tx[i];
  /* The answer must come from where the request went (RFC 8445 7.2.5.2.1). */
  if (!t || !sockaddr_equal(from, (const struct sockaddr *)&p->cands[t->cand].addr) ||
      stun_check_integrity(buf, n, &m, (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd)) !=
          STUN_OK) {
    p->c.dropped++;
    return;
  }
  t->used = false;
  if (m.cls == STUN_CLASS_ERROR) return; /* 487 cannot happen with a lite peer; retries go on */
  p->c.stun_answered++;
  p->c.rtt_ms = now - t->sent_ms;
  if (p->selected < 0) {
    if (p->state != SC_PEER_CHECKING) return;
    p->selected = t->cand;
    p->consent_ok_ms = now;
    p->next_consent_ms = now + consent_delay(p);
    start_dtls(p, now);
    if (!dead(p)) consent_tick(p, now);
    return;
  }
  if (t->cand == p->selected) p->consent_ok_ms = now;
}

/* ---- streams ---- */

static send_stream *find_send(sc_peer *p, uint32_t ssrc) {
  for (int i = 0; i < p->n_send; i++)
    if (p->send_ssrc[i] == ssrc) return &p->send[i];
  return NULL;
}

static recv_stream *find_recv(sc_peer *p, uint32_t ssrc) {
  for (int i = 0; i < p->n_recv; i++)
    if (p->recv_ssrc[i] == ssrc) return &p->recv[i];
  return NULL;
}

static recv_stream *add_recv(sc_peer *p, uint32_t ssrc, bool video, bool nack) {
  recv_stream *r = find_recv(p, ssrc);
  if (r || p->n_recv >= SC_PEER_MAX_RECV_SSRCS || find_send(p, ssrc)) return r;
  p->recv_ssrc[p->n_recv] = ssrc;
  r = &p->recv[p->n_recv++];
  memset(r, 0, sizeof *r);
  r->ssrc = ssrc;
  r->clock = video ? 90000 : 48000;
  r->nack = nack;
  r->st.ssrc = ssrc;
  r->st.video = video;
  if (p->srtp) srtp_pair_add_ssrc(p->srtp, ssrc, 0);
  return r;
}

static int64_t realtime_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* RTP timestamp units of the arrival time (RFC 3550 A.8), from the peer's
 * start: the kernel's receive time of the datagram. */
static uint32_t arrival_units(const sc_peer *p, uint32_t clock) {
  uint64_t us = (uint64_t)(p->rx_us - p->t0_us);
  return (uint32_t)((us / 1000000) * clock + (us % 1000000) * clock / 1000000);
}

/* RFC 3550 A.1 without probation: returns true if seq is the new highest. */
static bool update_seq(recv_stream *r, uint16_t seq) {
  if (!r->started) {
    r->started = true;
    r->base_seq = seq;
    r->max_seq = seq;
    r->cycles = 0;
    r->received = 1;
    return true;
  }
  uint16_t delta = (uint16_t)(seq - r->max_seq);
  bool newest = false;
  if (delta > 0 && delta < MAX_DROPOUT) {
    if (seq < r->max_seq) r->cycles += 65536;
    r->max_seq = seq;
    newest = true;
  } else if (delta != 0 && delta <= 65536 - MAX_MISORDER) {
    /* a jump: the sender restarted; count from here */
    r->base_seq = seq;
    r->max_seq = seq;
    r->cycles = 0;
    r->received = 0;
    r->expected_prior = r->received_prior = 0;
    r->have_transit = false;
    newest = true;
  }
  r->received++;
  return newest;
}

static void send_nack(sc_peer *p, recv_stream *r, const uint16_t *seqs, int n) {
  uint8_t fb[256];
  size_t len = rtcp_build_nack(fb, sizeof fb, p->rtcp_ssrc, r->ssrc, seqs, n);
  if (!len || !p->srtp) return;
  send_feedback(p, fb, len);
  r->st.nacks_sent++;
  r->st.nack_seqs_sent += (uint64_t)n;
}

static void add_nacks(sc_peer *p, recv_stream *r, const uint16_t *seqs, int n, uint64_t now) {
  for (int i = 0; i < n; i++) {
    if (r->n_nacks == NACK_LIST) { /* full: the oldest goes */
      memmove(r->nacks, r->nacks + 1, sizeof r->nacks[0] * (NACK_LIST - 1));
      r->n_nacks--;
    }
    nack_entry *e = &r->nacks[r->n_nacks++];
    e->seq = seqs[i];
    e->tries = 1;
    e->first_ms = e->last_ms = now;
  }
  send_nack(p, r, seqs, n);
  schedule(p, now + NACK_RETRY_MS);
}

/* Drops answered, exhausted and old entries; re-NACKs those due. Returns the
 * next retry deadline (0 if none). */
static uint64_t retry_nacks(sc_peer *p, recv_stream *r, uint64_t now) {
  uint16_t due[NACK_LIST];
  int n_due = 0, k = 0;
  uint64_t next = 0;
  for (int i = 0; i < r->n_nacks; i++) {
    nack_entry e = r->nacks[i];
    if (rtp_seq_is_received(&r->tracker, e.seq) || now - e.first_ms >= NACK_MAX_AGE_MS ||
        (e.tries >= NACK_MAX_TRIES && now - e.last_ms >= NACK_RETRY_MS))
      continue;
    if (now - e.last_ms >= NACK_RETRY_MS) {
      e.tries++;
      e.last_ms = now;
      due[n_due++] = e.seq;
    }
    next = min_due(next, e.last_ms + NACK_RETRY_MS);
    r->nacks[k++] = e;
  }
  r->n_nacks = k;
  if (n_due) send_nack(p, r, due, n_due);
  return next;
}

static void on_rtp_plain(sc_peer *p, uint8_t *pkt, size_t len) {
  rtp_header h;
  if (rtp_parse(pkt, len, &h) != 0) {
    p->c.dropped++;
    return;
  }
  recv_stream *r = find_recv(p, h.ssrc);
  if (!r) r = add_recv(p, h.ssrc, h.payload_type != SC_PT_OPUS, h.payload_type != SC_PT_OPUS);
  if (r) {
    uint64_t now = uv_now(p->loop);
    r->st.packets++;
    r->st.bytes += len;
    bool newest = update_seq(r, h.seq);
    if (newest) { /* jitter from in-order packets only (retransmissions would distort it) */
      uint32_t transit = arrival_units(p, r->clock) - h.timestamp;
      if (r->have_transit) {
        int32_t d = (int32_t)(transit - r->transit);
        uint32_t ad = d < 0 ? (uint32_t)(-(int64_t)d) : (uint32_t)d;
        r->jitter_q4 += ad - ((r->jitter_q4 + 8) >> 4);
      }
      r->transit = transit;
      r->have_transit = true;
    }
    if (r->nack) {
      uint16_t missing[RTP_SEQ_MAX_GAP];
      int n = rtp_seq_update(&r->tracker, h.seq, missing, RTP_SEQ_MAX_GAP);
      if (n > NACK_LIST) { /* a burst too large to recover: ask for the newest */
        memmove(missing, missing + (n - NACK_LIST), sizeof missing[0] * NACK_LIST);
        n = NACK_LIST;
      }
      if (n > 0) add_nacks(p, r, missing, n, now);
    }
  }
  if (p->cb.on_rtp && !p->closing) p->cb.on_rtp(p->cb.ctx, p, pkt, len);
}

/* ---- incoming RTCP ---- */

/* False (and counted) if the packet of seq may not be resent now: it was
 * less than RESEND_GAP_MS ago, or the compound's budget is spent. */
static bool may_resend(sc_peer *p, send_stream *s, uint16_t seq, uint64_t now, int *budget) {
  send_history *h = s->history;
  unsigned slot = seq & (RTP_HISTORY_SLOTS - 1);
  if (*budget <= 0 || (h->resent_seq[slot] == (uint32_t)seq + 1 && now - h->resent_ms[slot] < RESEND_GAP_MS)) {
    s->st.retransmits_refused++;
    p->c.resends_refused++;
    return false;
  }
  (*budget)--;
  h->resent_seq[slot] = (uint32_t)seq + 1;
  h->resent_ms[slot] = now;
  return true;
}

/* budget: resends this RTCP compound may still trigger. */
static void answer_nack(sc_peer *p, const rtcp_block *b, uint64_t now, int *budget) {
  send_stream *s = find_send(p, rtcp_media_ssrc(b));
  if (!s) return;
  uint16_t seqs[128];
  int n = rtcp_nack_seqs(b, seqs, 128);
  s->st.nacks_received++;
  s->st.nack_seqs_received += (uint64_t)n;
  if (!s->history || !p->srtp) return;
  for (int i = 0; i < n && !p->closing; i++) {
    size_t len = 0;
    const uint8_t *pkt = rtp_history_get(&s->history->h, seqs[i], &len, now, HISTORY_MAX_AGE_MS);
    if (!pkt || len > SC_PEER_MAX_PACKET || !may_resend(p, s, seqs[i], now, budget)) continue;
    memcpy(p->txbuf, pkt, len);
    size_t out = len;
    if (srtp_pair_protect_rtp(p->srtp, p->txbuf, &out, sizeof p->txbuf) != 0) {
      p->c.srtp_errors++;
      continue;
    }
    send_to(p, server_addr(p), p->txbuf, out);
    s->st.retransmits++;
    s->st.packets++;
    s->st.bytes += len;
  }
}

static void pass_keyframe_request(sc_peer *p, send_stream *s, uint64_t now) {
  s->keyframe_any = true;
  s->keyframe_pending = false;
  s->keyframe_ms = now;
  if (p->cb.on_keyframe_request && !p->closing) p->cb.on_keyframe_request(p->cb.ctx, p, s->ssrc);
}

/* A PLI or FIR for one of our SSRCs: passed on at once, or, within
 * KEYFRAME_GAP_MS of the last one passed on, merged into one that the timer
 * passes on when the gap ends. */
static void keyframe_request(sc_peer *p, uint32_t ssrc, uint64_t now) {
  send_stream *s = find_send(p, ssrc);
  if (!s) return;
  s->st.plis_received++;
  if (s->keyframe_any && now - s->keyframe_ms < KEYFRAME_GAP_MS) {
    s->st.keyframe_requests_limited++;
    p->c.keyframe_requests_limited++;
    if (!s->keyframe_pending) {
      s->keyframe_pending = true;
      schedule(p, s->keyframe_ms + KEYFRAME_GAP_MS);
    }
    return;
  }
  pass_keyframe_request(p, s, now);
}

/* The merged requests whose gap has ended; returns the next deadline (0 none). */
static uint64_t pending_keyframes(sc_peer *p, uint64_t now) {
  uint64_t next = 0;
  for (int i = 0; i < p->n_send && !dead(p); i++) {
    send_stream *s = &p->send[i];
    if (!s->keyframe_pending) continue;
    if (now - s->keyframe_ms >= KEYFRAME_GAP_MS) pass_keyframe_request(p, s, now);
    else next = min_due(next, s->keyframe_ms + KEYFRAME_GAP_MS);
  }
  return next;
}

/* Report blocks (24 bytes each) from offset off of an SR or RR block. */
static void read_report_blocks(sc_peer *p, const rtcp_block *b, size_t off) {
  for (int i = 0; i < b->count && off + 24 <= b->len; i++, off += 24) {
    const uint8_t *q = b->p + off;
    send_stream *s = find_send(p, get_be32(q));
    if (!s) continue;
    s->st.fraction_lost = q[4];
    uint32_t lost = get_be24(q + 5);
    s->st.lost = (lost & 0x800000) ? (int64_t)lost - 0x1000000 : (int64_t)lost;
    s->st.ext_highest_seq = get_be32(q + 8);
    s->st.jitter = get_be32(q + 12);
    s->st.jitter_ms = (double)s->st.jitter * 1000.0 / s->clock;
  }
}

static void on_sr(sc_peer *p, const rtcp_block *b, uint64_t now) {
  if (b->len < 28) return;
  uint32_t ssrc = get_be32(b->p + 4);
  uint64_t ntp = get_be64(b->p + 8);
  uint32_t rtp_ts = get_be32(b->p + 16);
  recv_stream *r = find_recv(p, ssrc);
  if (r) {
    r->lsr = (uint32_t)(ntp >> 16);
    r->lsr_ms = now ? now : 1;
    r->st.sr_received++;
  }
  read_report_blocks(p, b, 28);
  if (r && p->cb.on_sender_report && !p->closing) p->cb.on_sender_report(p->cb.ctx, p, ssrc, ntp, rtp_ts);
}

static void on_rtcp_plain(sc_peer *p, const uint8_t *pkt, size_t len) {
  uint64_t now = uv_now(p->loop);
  size_t off = 0;
  rtcp_block b;
  int rc;
  int budget = MAX_RESENDS_PER_RTCP;
  while (!p->closing && (rc = rtcp_next(pkt, len, &off, &b)) == 1) {
    if (b.type == RTCP_SR) {
      on_sr(p, &b, now);
    } else if (b.type == RTCP_RR) {
      read_report_blocks(p, &b, 8);
    } else if (b.type == RTCP_RTPFB && rtcp_is_nack(&b)) {
      answer_nack(p, &b, now, &budget);
    } else if (b.type == RTCP_PSFB && rtcp_is_pli(&b)) {
      keyframe_request(p, rtcp_media_ssrc(&b), now);
    } else if (b.type == RTCP_PSFB && rtcp_is_fir(&b)) {
      uint32_t ssrcs[8];
      int n = rtcp_fir_ssrcs(&b, ssrcs, 8);
      for (int i = 0; i < n && !p->closing; i++) keyframe_request(p, ssrcs[i], now);
    } else if (b.type == RTCP_PSFB) {
      uint64_t bps;
      int n;
      if (rtcp_parse_remb(&b, &bps, NULL, 0, &n) == 0) p->c.remb_bps = bps;
    }
  }
  if (!p->closing && rc < 0) p->c.rtcp_malformed++;
}

void sc_peer_handle_plain(sc_peer *p, uint8_t *pkt, size_t len) {
  if (!p || !pkt || p->closing || !rtp_looks_like(pkt, len)) return;
  p->rx_us = realtime_us();
  if (rtp_is_rtcp(pkt, len)) on_rtcp_plain(p, pkt, len);
  else on_rtp_plain(p, pkt, len);
}

/* ---- outgoing reports ---- */

static uint64_t ntp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t sec = (uint64_t)ts.tv_sec + NTP_UNIX_OFFSET;
  uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ull;
  return sec << 32 | frac;
}

static size_t put_sr(const send_stream *s, uint8_t *out, uint64_t now) {
  uint64_t ntp = ntp_now();
  uint32_t ts = s->last_ts + (uint32_t)((now - s->last_ms) * s->clock / 1000);
  out[0] = 0x80;
  out[1] = RTCP_SR;
  put_be16(out + 2, 6);
  put_be32(out + 4, s->ssrc);
  put_be32(out + 8, (uint32_t)(ntp >> 32));
  put_be32(out + 12, (uint32_t)ntp);
  put_be32(out + 16, ts);
  put_be32(out + 20, s->sr_packets);
  put_be32(out + 24, s->sr_octets);
  return 28;
}

/* update: a regular report (the interval counters move on); false for the
 * block that goes with a PLI, which leaves them alone. */
static void put_report_block(recv_stream *r, uint8_t *q, uint64_t now, bool update) {
  uint64_t ext_max = (uint64_t)r->cycles + r->max_seq;
  uint64_t expected = ext_max - r->base_seq + 1;
  int64_t lost = (int64_t)expected - (int64_t)r->received;
  if (lost > 0x7FFFFF) lost = 0x7FFFFF;
  if (lost < -0x800000) lost = -0x800000;
  uint64_t exp_int = expected - r->expected_prior;
  int64_t rec_int = (int64_t)r->received - (int64_t)r->received_prior;
  int64_t lost_int = (int64_t)exp_int - rec_int;
  uint8_t fraction = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)(((uint64_t)lost_int << 8) / exp_int);
  if (update) {
    r->expected_prior = expected;
    r->received_prior = r->received;
    r->st.lost = lost;
    r->st.fraction_lost = fraction;
  }
  put_be32(q, r->ssrc);
  q[4] = fraction;
  put_be24(q + 5, (uint32_t)lost & 0xFFFFFF);
  put_be32(q + 8, (uint32_t)ext_max);
  put_be32(q + 12, r->jitter_q4 >> 4);
  put_be32(q + 16, r->lsr_ms ? r->lsr : 0);
  put_be32(q + 20, r->lsr_ms ? (uint32_t)((now - r->lsr_ms) * 65536 / 1000) : 0);
}

static bool any_started_from(const sc_peer *p, int i) {
  for (; i < p->n_recv; i++)
    if (p->recv[i].started) return true;
  return false;
}

/* SRs of what we sent, then an RR about what we received (31 blocks per RR;
 * more go in further compound packets, each starting with an RR). */
static void send_reports(sc_peer *p, uint64_t now) {
  size_t n = 0;
  for (int i = 0; i < p->n_send; i++)
    if (p->send[i].sent_any && n + 28 <= RTCP_MAX) n += put_sr(&p->send[i], p->rtcp + n, now);
  int i = 0;
  do {
    uint8_t *rr = p->rtcp + n;
    int k = 0;
    for (; i < p->n_recv && k < RR_MAX_BLOCKS && n + 8 + (size_t)(k + 1) * 24 <= RTCP_MAX; i++) {
      if (!p->recv[i].started) continue;
      put_report_block(&p->recv[i], rr + 8 + (size_t)k * 24, now, true);
      k++;
    }
    rr[0] = (uint8_t)(0x80 | k);
    rr[1] = RTCP_RR;
    put_be16(rr + 2, (uint16_t)(1 + 6 * k));
    put_be32(rr + 4, p->rtcp_ssrc);
    send_rtcp(p, n + 8 + (size_t)k * 24);
    n = 0;
  } while (!dead(p) && any_started_from(p, i));
}

static void media_tick(sc_peer *p, uint64_t now) {
  if (now >= p->next_report_ms) {
    send_reports(p, now);
    p->next_report_ms = now + p->rr_interval_ms;
  }
  uint64_t next = min_due(p->next_report_ms, pending_keyframes(p, now));
  for (int i = 0; i < p->n_recv && !dead(p); i++)
    if (p->recv[i].n_nacks) next = min_due(next, retry_nacks(p, &p->recv[i], now));
  schedule(p, next);
}

static void on_timer(uv_timer_t *t) {
  sc_peer *p = t->data;
  p->armed_ms = 0;
  if (dead(p)) return;
  uint64_t now = uv_now(p->loop);
  if (p->state == SC_PEER_CHECKING) {
    ice_tick(p, now);
    return;
  }
  if (p->selected >= 0) consent_tick(p, now);
  if (dead(p)) return;
  if (p->state == SC_PEER_DTLS && p->dtls) {
    uint64_t due = dtls_conn_next_timeout(p->dtls, now);
    if (due && due <= now) dtls_progress(p, dtls_conn_on_timer(p->dtls, now), now);
    else if (due) schedule(p, due);
  }
  if (p->state == SC_PEER_CONNECTED) media_tick(p, now);
}

/* ---- receiving ---- */

static void on_srtp(sc_peer *p, uint8_t *pkt, size_t n) {
  if (!p->srtp || !rtp_looks_like(pkt, n)) {
    p->c.dropped++;
    return;
  }
  if (rtp_is_rtcp(pkt, n)) {
    if (srtp_pair_unprotect_rtcp(p->srtp, pkt, &n) != 0) {
      p->c.srtp_errors++;
      return;
    }
    on_rtcp_plain(p, pkt, n);
    return;
  }
  if (p->loss_recv && ++p->count_recv % p->loss_recv == 0) return;
  if (srtp_pair_unprotect_rtp(p->srtp, pkt, &n) != 0) {
    p->c.srtp_errors++;
    return;
  }
  on_rtp_plain(p, pkt, n);
}

/* One datagram from the socket, in place in the receive batch. */
static void on_datagram(sc_peer *p, uint8_t *pkt, size_t n, const struct sockaddr *from) {
  p->c.datagrams_in++;
  if (n == 0) { /* cut short by the buffer */
    p->c.dropped++;
    return;
  }
  uint64_t now = uv_now(p->loop);
  uint8_t b = pkt[0];
  if (b <= 3) {
    if (stun_looks_like(pkt, n)) on_stun(p, pkt, n, from, now);
    else p->c.dropped++;
    return;
  }
  /* Everything else only from the server address ICE selected. */
  const struct sockaddr *srv = server_addr(p);
  if (!srv || !sockaddr_equal(from, srv)) {
    p->c.dropped++;
    return;
  }
  if (b >= 20 && b <= 63) {
    if (p->dtls) dtls_progress(p, dtls_conn_input(p->dtls, pkt, n, now), now);
    else p->c.dropped++;
  } else if (b >= 128 && b <= 191) {
    on_srtp(p, pkt, n);
  } else {
    p->c.dropped++;
  }
}

/* The receive batch: one per thread (a peer lives on its loop's thread, and
 * its datagrams are handled before the next peer reads), allocated with the
 * thread's first peer and freed with its last. */
static _Thread_local struct {
  udp_recv_batch *b;
  int users;
  bool busy;
} rx_batch;

static int rx_batch_ref(void) {
  if (!rx_batch.b && !(rx_batch.b = malloc(sizeof *rx_batch.b))) return -1;
  rx_batch.users++;
  return 0;
}

static void rx_batch_unref(void) {
  if (--rx_batch.users > 0) return;
  free(rx_batch.b);
  rx_batch.b = NULL;
}

#define RX_ROUNDS 4 /* batches read per wake-up before other handles get a turn */

static void on_readable(uv_poll_t *h, int status, int events) {
  sc_peer *p = h->data;
  (void)status, (void)events; /* a socket error is read (and cleared) by recvmmsg */
  if (rx_batch.busy) return; /* never: no loop runs inside a callback; read on the next wake-up */
  udp_recv_batch *b = rx_batch.b;
  rx_batch.busy = true;
  for (int round = 0; round < RX_ROUNDS && !p->closing && !dead(p); round++) {
    int n = udp_recv(p->fd, b);
    if (n <= 0) break; /* none left, or an error (ICMP from a closed port, ...): ignored */
    for (int i = 0; i < n && !p->closing && !dead(p); i++) {
      p->rx_us = b->at_us[i];
      on_datagram(p, b->data[i], b->len[i], (const struct sockaddr *)&b->from[i]);
    }
    if (n < UDP_BATCH) break;
  }
  rx_batch.busy = false;
}

/* A datagram from the shared socket. */
static void on_mux_datagram(void *ctx, uint8_t *data, size_t len, const struct sockaddr *from, int64_t at_us) {
  sc_peer *p = ctx;
  if (p->closing || dead(p)) return;
  p->rx_us = at_us;
  on_datagram(p, data, len, from);
}

/* ---- public API ---- */

static void on_handle_closed(uv_handle_t *h) {
  sc_peer *p = h->data;
  if (--p->open_handles > 0) return;
  if (p->notify_closed && p->cb.on_closed) p->cb.on_closed(p->cb.ctx, p);
  if (!p->mux) { /* a shared socket's slot was let go when the peer closed or failed */
    close(p->fd);
    rx_batch_unref();
  }
  OPENSSL_cleanse(p->pwd, sizeof p->pwd);
  OPENSSL_cleanse(p->remote_pwd, sizeof p->remote_pwd);
  free(p);
}

static void release(sc_peer *p) {
  if (p->dtls) {
    dtls_conn_free(p->dtls);
    p->dtls = NULL;
  }
  if (p->srtp) {
    srtp_pair_free(p->srtp);
    p->srtp = NULL;
  }
  for (int i = 0; i < p->n_send; i++) {
    free(p->send[i].history);
    p->send[i].history = NULL;
  }
  uv_timer_stop(&p->timer);
  if (p->mux) {
    sc_udp_mux_detach(p->mux, p->mux_slot);
    p->mux_slot = -1;
  } else {
    uv_close((uv_handle_t *)&p->poll, on_handle_closed); /* the socket is closed after it */
  }
  uv_close((uv_handle_t *)&p->timer, on_handle_closed);
}

sc_peer *sc_peer_new(uv_loop_t *loop, const sc_peer_config *cfg, const sc_peer_callbacks *cb) {
  if (!loop || !cfg || !cfg->cert || sr_srtp_global_init() != 0) return NULL;
  const char *ip = cfg->bind_ip ? cfg->bind_ip : "0.0.0.0";
  struct sockaddr_storage bind_addr;
  if (!addr_from_text(ip, 0, &bind_addr) || (cfg->udp_mux && bind_addr.ss_family != AF_INET)) return NULL;
  sc_peer *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->loop = loop;
  p->fd = -1;
  p->mux_slot = -1;
  if (cb) p->cb = *cb;
  p->cert = cfg->cert;
  if (cfg->dtls) {
    p->dtls_opt = *cfg->dtls;
    p->have_dtls_opt = true;
  }
  p->ice_timeout_ms = cfg->ice_timeout_ms ? cfg->ice_timeout_ms : 10000;
  p->consent_interval_ms = cfg->consent_interval_ms ? cfg->consent_interval_ms : 5000;
  p->consent_timeout_ms = cfg->consent_timeout_ms ? cfg->consent_timeout_ms : 30000;
  p->rr_interval_ms = cfg->rr_interval_ms ? cfg->rr_interval_ms : 1000;
  p->family = bind_addr.ss_family;
  p->selected = -1;
  p->t0_us = realtime_us();
  p->rx_us = p->t0_us;
  snprintf(p->fp_text, sizeof p->fp_text, "%s", dtls_cert_fingerprint(cfg->cert));
  ice_agent a;
  bool ok = ice_agent_init(&a, 0) == 0 && RAND_bytes((uint8_t *)&p->tiebreaker, 8) == 1 &&
            RAND_bytes((uint8_t *)&p->rtcp_ssrc, 4) == 1;
  if (ok) {
    memcpy(p->ufrag, a.local_ufrag, sizeof p->ufrag);
    memcpy(p->pwd, a.local_pwd, sizeof p->pwd);
  }
  ice_agent_wipe(&a);
  if (!p->rtcp_ssrc) p->rtcp_ssrc = 1;
  if (ok && cfg->udp_mux) { /* a slot of the shared socket: only the timer is ours */
    p->mux = cfg->udp_mux;
    if ((p->mux_slot = sc_udp_mux_attach(p->mux, on_mux_datagram, p)) < 0) {
      free(p);
      return NULL;
    }
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->open_handles = 1;
    return p;
  }
  if (!ok || rx_batch_ref() != 0) {
    free(p);
    return NULL;
  }
  int port = 0;
  if ((p->fd = udp_open(ip, 0, &port)) < 0 || uv_poll_init(loop, &p->poll, p->fd) != 0) {
    if (p->fd >= 0) close(p->fd);
    rx_batch_unref();
    free(p);
    return NULL;
  }
  p->poll.data = p;
  p->open_handles = 1;
  uv_timer_init(loop, &p->timer);
  p->timer.data = p;
  p->open_handles = 2;
  if (uv_poll_start(&p->poll, UV_READABLE, on_readable) != 0) {
    p->closing = true;
    release(p); /* freed from the loop, silently */
    return NULL;
  }
  return p;
}

const char *sc_peer_ufrag(const sc_peer *p) { return p->ufrag; }
const char *sc_peer_pwd(const sc_peer *p) { return p->pwd; }
const char *sc_peer_fingerprint(const sc_peer *p) { return p->fp_text; }
sc_peer_state sc_peer_get_state(const sc_peer *p) { return p->state; }

int sc_peer_local_addr(const sc_peer *p, struct sockaddr_storage *out) {
  if (p->mux) {
    if (p->mux_slot < 0) return -1;
    sc_udp_mux_local_addr(p->mux, p->mux_slot, out);
    return 0;
  }
  socklen_t len = sizeof *out;
  return getsockname(p->fd, (struct sockaddr *)out, &len) == 0 ? 0 : -1;
}

static void add_remote_media(sc_peer *p, const sc_remote *r) {
  for (int i = 0; i < r->n_media; i++) {
    const sc_media *m = &r->media[i];
    if (!m->active) continue;
    bool video = m->kind == SDP_VIDEO;
    for (int k = 0; k < m->n_ssrcs; k++)
      if (m->ssrcs[k]) add_recv(p, m->ssrcs[k], video, video && (m->fb & SDP_FB_NACK));
  }
}

int sc_peer_set_remote(sc_peer *p, const sc_remote *r) {
  if (!p || !r || dead(p)) return -1;
  if (p->have_remote) {
    if (strcmp(r->ice_ufrag, p->remote_ufrag) != 0 || strcmp(r->ice_pwd, p->remote_pwd) != 0 ||
        memcmp(r->fingerprint, p->remote_fp, 32) != 0)
      return -1;
    add_remote_media(p, r);
    return 0;
  }
  int n = 0;
  for (int i = 0; i < r->n_udp && i < SC_SDP_MAX_CANDIDATES; i++)
    if (r->udp[i].addr.ss_family == p->family) p->cands[n++] = r->udp[i];
  if (n == 0 || strnlen(r->ice_ufrag, sizeof r->ice_ufrag) >= sizeof r->ice_ufrag ||
      strnlen(r->ice_pwd, sizeof r->ice_pwd) >= sizeof r->ice_pwd || !r->ice_ufrag[0] || !r->ice_pwd[0])
    return -1;
  int un = snprintf(p->username, sizeof p->username, "%s:%s", r->ice_ufrag, p->ufrag);
  if (un < 0 || (size_t)un >= sizeof p->username) return -1;
  p->n_cands = n;
  memcpy(p->remote_ufrag, r->ice_ufrag, sizeof p->remote_ufrag);
  memcpy(p->remote_pwd, r->ice_pwd, sizeof p->remote_pwd);
  memcpy(p->remote_fp, r->fingerprint, 32);
  p->have_remote = true;
  add_remote_media(p, r);
  uint64_t now = uv_now(p->loop);
  p->ice_start_ms = now;
  p->next_check_ms = now;
  p->check_rto_ms = CHECK_RTO_MIN_MS;
  set_state(p, SC_PEER_CHECKING, "");
  if (!dead(p)) ice_tick(p, now);
  return 0;
}

int sc_peer_add_send_ssrc(sc_peer *p, uint32_t ssrc, bool video) {
  if (!p || p->closing || p->n_send >= SC_PEER_MAX_SEND_SSRCS || find_send(p, ssrc)) return -1;
  send_stream *s = &p->send[p->n_send];
  memset(s, 0, sizeof *s);
  if (video && !(s->history = calloc(1, sizeof *s->history))) return -1;
  s->ssrc = ssrc;
  s->clock = video ? 90000 : 48000;
  s->st.ssrc = ssrc;
  s->st.outgoing = true;
  s->st.video = video;
  p->send_ssrc[p->n_send] = ssrc;
  p->n_send++;
  if (p->srtp) srtp_pair_add_ssrc(p->srtp, ssrc, 1);
  return 0;
}

int sc_peer_send_rtp(sc_peer *p, uint8_t *pkt, size_t len, size_t cap) {
  if (!p || !pkt || p->state != SC_PEER_CONNECTED || p->closing || !p->srtp) return -1;
  if (len > SC_PEER_MAX_PACKET - SC_PEER_SEND_ROOM || cap < len + SC_PEER_SEND_ROOM) return -1;
  rtp_header h;
  if (rtp_parse(pkt, len, &h) != 0) return -1;
  send_stream *s = find_send(p, h.ssrc);
  if (!s) return -1;
  uint64_t now = uv_now(p->loop);
  if (s->history) rtp_history_put(&s->history->h, h.seq, pkt, len, now);
  s->sent_any = true;
  s->last_ts = h.timestamp;
  s->last_ms = now;
  s->sr_packets++;
  s->sr_octets += (uint32_t)h.payload_len;
  s->st.packets++;
  s->st.bytes += len;
  if (p->loss_send && ++p->count_send % p->loss_send == 0) return 0;
  size_t n = len;
  if (srtp_pair_protect_rtp(p->srtp, pkt, &n, cap) != 0) {
    p->c.srtp_errors++;
    return -1;
  }
  send_to(p, server_addr(p), pkt, n);
  return 0;
}

/* The PLI goes after an RR whose one report block is about the media SSRC,
 * as browsers send it: Janus finds the m-line of feedback by the first
 * report block's SSRC and drops a PLI after an empty RR. */
int sc_peer_request_keyframe(sc_peer *p, uint32_t media_ssrc) {
  if (!p || p->state != SC_PEER_CONNECTED || p->closing) return -1;
  recv_stream *r = find_recv(p, media_ssrc);
  size_t n = 0;
  if (r && r->started) {
    p->rtcp[0] = 0x81;
    p->rtcp[1] = RTCP_RR;
    put_be16(p->rtcp + 2, 7);
    put_be32(p->rtcp + 4, p->rtcp_ssrc);
    put_report_block(r, p->rtcp + 8, uv_now(p->loop), false);
    n = 32;
  } else {
    n = rtcp_build_rr(p->rtcp, RTCP_MAX, p->rtcp_ssrc);
  }
  size_t m = n ? rtcp_build_pli(p->rtcp + n, RTCP_MAX - n, p->rtcp_ssrc, media_ssrc) : 0;
  if (!m) return -1;
  send_rtcp(p, n + m);
  if (r) r->st.plis_sent++;
  return 0;
}

int sc_peer_stats(const sc_peer *p, sc_ssrc_stats *out, int cap) {
  int k = 0;
  for (int i = 0; i < p->n_send; i++, k++)
    if (out && k < cap) out[k] = p->send[i].st;
  for (int i = 0; i < p->n_recv; i++, k++) {
    if (!out || k >= cap) continue;
    const recv_stream *r = &p->recv[i];
    out[k] = r->st;
    out[k].ext_highest_seq = r->started ? r->cycles + r->max_seq : 0;
    out[k].jitter = r->jitter_q4 >> 4;
    out[k].jitter_ms = (double)out[k].jitter * 1000.0 / r->clock;
    if (r->started) {
      uint64_t expected = (uint64_t)r->cycles + r->max_seq - r->base_seq + 1;
      out[k].lost = (int64_t)expected - (int64_t)r->received;
    }
  }
  return k;
}

int sc_peer_ssrc_stats(const sc_peer *p, uint32_t ssrc, sc_ssrc_stats *out) {
  sc_ssrc_stats all[SC_PEER_MAX_SEND_SSRCS + SC_PEER_MAX_RECV_SSRCS];
  int n = sc_peer_stats(p, all, (int)(sizeof all / sizeof all[0]));
  for (int i = 0; i < n; i++)
    if (all[i].ssrc == ssrc) {
      *out = all[i];
      return 0;
    }
  return -1;
}

void sc_peer_get_counters(const sc_peer *p, sc_peer_counters *out) { *out = p->c; }

void sc_peer_simulate_loss(sc_peer *p, unsigned send_every, unsigned recv_every) {
  p->loss_send = send_every;
  p->loss_recv = recv_every;
}

void sc_peer_close(sc_peer *p) {
  if (!p || p->closing) return;
  if (p->dtls && p->selected >= 0 && p->state != SC_PEER_FAILED) dtls_conn_close(p->dtls);
  p->closing = true;
  p->state = SC_PEER_CLOSED;
  p->notify_closed = true;
  release(p);
}

int64_t sc_peer_rx_time_us(const sc_peer *p) { return p->rx_us; }
