/* One peer connection of the native client (libsealroom-client) to the SFU,
 * on the caller's libuv loop: a UDP socket, ICE as the *controlling* agent
 * against the server's ICE-lite (RFC 8445, consent freshness RFC 7675), DTLS
 * client (the SFU is always a=setup:passive), SRTP (DTLS-SRTP keys), and the
 * RTCP a browser sends: receiver reports (RFC 3550, per remote SSRC), sender
 * reports for what we send, Generic NACK for gaps, PLI on request; and the
 * RTCP it answers: NACKs from a per-SSRC send history (video; a packet is
 * resent at most once per 100 ms, and one RTCP packet triggers at most 256
 * resends), PLI/FIR as key frame requests (at most one per SSRC per 300 ms).
 * Binding requests from the server (Janus's libnice sends them even as
 * ICE-lite; sealroomd never does) are answered when they carry USERNAME
 * "ourufrag:theirufrag" and our pwd's MESSAGE-INTEGRITY; Binding
 * indications are ignored.
 *
 * Life of a peer:
 *   sc_peer_new()          makes the socket and the ICE credentials;
 *                          put sc_peer_ufrag/pwd and the certificate's
 *                          fingerprint into our SDP (client/sdp_client.h);
 *   sc_peer_add_send_ssrc  for each SSRC we will send (before or after connecting);
 *   sc_peer_set_remote()   with the server's parsed SDP: starts ICE checks
 *                          to its UDP host candidate(s); on success DTLS,
 *                          then SRTP: on_state(SC_PEER_CONNECTED);
 *   sc_peer_send_rtp / on_rtp / sc_peer_request_keyframe while connected;
 *   sc_peer_close()        ends it; on_closed comes later from the loop,
 *                          then the library frees the peer.
 * Failures (ICE deadline, consent lost, DTLS failed, socket error) give
 * on_state(SC_PEER_FAILED, reason) once; the peer then sends nothing more,
 * and the caller still calls sc_peer_close.
 *
 * Threading: a peer belongs to its loop's thread. Callbacks run on that
 * loop, never from inside sc_peer_* calls made by the caller except where
 * said. The packet path allocates nothing: fixed per-peer buffers; the
 * send history of a video SSRC (about 760 KiB) is allocated by
 * sc_peer_add_send_ssrc. */
#ifndef SEALROOM_CLIENT_PEER_H
#define SEALROOM_CLIENT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "client/sdp_client.h"
#include "sealroom_client.h"
#include "dtls/dtls.h"

#define SC_PEER_MAX_SEND_SSRCS 8  /* SSRCs we send on one peer */
#define SC_PEER_MAX_RECV_SSRCS 64 /* remote SSRCs we keep statistics for (the SRTP inbound limit) */
#define SC_PEER_MAX_PACKET 1500   /* largest datagram sent or received */
/* Room sc_peer_send_rtp needs after the packet for the SRTP trailer. */
#define SC_PEER_SEND_ROOM 16

typedef struct sc_peer sc_peer;

typedef enum {
  SC_PEER_NEW = 0,    /* made; waiting for sc_peer_set_remote */
  SC_PEER_CHECKING,   /* ICE checks sent, no answer yet */
  SC_PEER_DTLS,       /* ICE succeeded; DTLS handshake running */
  SC_PEER_CONNECTED,  /* SRTP ready: media can flow */
  SC_PEER_FAILED,     /* see the reason; terminal */
  SC_PEER_CLOSED,     /* sc_peer_close called, or the server sent close_notify */
} sc_peer_state;

const char *sc_peer_state_name(sc_peer_state s);

typedef struct {
  void *ctx; /* passed to every callback */
  /* Every state change. reason: "" when connected, else one of
   * "ice-timeout" (no check answered before the deadline), "consent-lost"
   * (no answer for consent_timeout_ms), "dtls-failed" (handshake failed:
   * wrong fingerprint, no common SRTP profile, retransmissions exhausted),
   * "dtls-closed" (close_notify from the server; state SC_PEER_CLOSED),
   * "srtp-failed", "socket-error". */
  void (*on_state)(void *ctx, sc_peer *p, sc_peer_state state, const char *reason);
  /* One received RTP packet after SRTP unprotect (header as sent by the SFU:
   * PT 111/96 on a subscribe connection). pkt[0..len) may be modified by the
   * callee; valid only during the call. Retransmissions come here too. */
  void (*on_rtp)(void *ctx, sc_peer *p, uint8_t *pkt, size_t len);
  /* The server asks for a key frame of one of our SSRCs (PLI or FIR); at
   * most once per SSRC per 300 ms: requests in between are merged into one
   * call when the 300 ms end (from the loop). */
  void (*on_keyframe_request)(void *ctx, sc_peer *p, uint32_t ssrc);
  /* A sender report about a remote SSRC (lip sync): NTP time (64-bit, RFC
   * 3550 format) and the RTP timestamp that goes with it. May be NULL. */
  void (*on_sender_report)(void *ctx, sc_peer *p, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts);
  /* After sc_peer_close, once every libuv handle is closed; the peer is
   * freed right after this returns. May be NULL. */
  void (*on_closed)(void *ctx, sc_peer *p);
} sc_peer_callbacks;

/* Zero fields take the defaults. */
typedef struct {
  const dtls_cert *cert;       /* required; may be shared by many peers; must outlive the peer */
  const char *bind_ip;         /* local address of the socket, default "0.0.0.0" (IPv4) */
  sc_udp_mux *udp_mux;         /* a slot of this shared socket instead of a socket (IPv4 only; bind_ip unused) */
  unsigned ice_timeout_ms;     /* no answered check by then: failed "ice-timeout"; default 10000 */
  unsigned consent_interval_ms;/* consent checks about this apart (randomised +-20%); default 5000 */
  unsigned consent_timeout_ms; /* no answer for this long: failed "consent-lost"; default 30000 */
  unsigned rr_interval_ms;     /* receiver/sender reports; default 1000 */
  const dtls_options *dtls;    /* NULL: dtls.h defaults (both SRTP profiles) */
} sc_peer_config;

/* Makes a peer: binds a UDP socket to an ephemeral port of bind_ip and
 * draws ICE credentials (RAND_bytes). Nothing is sent yet. Returns NULL on
 * failure (no cert, bad bind_ip, socket error, no randomness). */
sc_peer *sc_peer_new(uv_loop_t *loop, const sc_peer_config *cfg, const sc_peer_callbacks *cb);

/* Our ICE credentials (ufrag 8, pwd 24 ice-chars) and the certificate's
 * fingerprint ("AB:CD:..."), for our SDP; live as long as the peer. */
const char *sc_peer_ufrag(const sc_peer *p);
const char *sc_peer_pwd(const sc_peer *p);
const char *sc_peer_fingerprint(const sc_peer *p);
/* The socket's local address (port filled in after sc_peer_new). */
int sc_peer_local_addr(const sc_peer *p, struct sockaddr_storage *out);

sc_peer_state sc_peer_get_state(const sc_peer *p);

/* The server's SDP (publish answer or subscribe offer, client/sdp_client.h).
 * The first call takes its ICE ufrag/pwd, fingerprint and UDP host
 * candidates (of the socket's address family) and starts ICE; the media
 * lines' SSRCs (active lines, audio at 48 kHz, video at 90 kHz) are set up
 * for receiving ahead of time (SRTP state, statistics). Later calls (a new
 * subscribe offer) only add the new lines' SSRCs; their ICE credentials and
 * fingerprint must be the same as the first ones (-1 otherwise, nothing
 * changed). Returns 0, or -1 (no usable UDP candidate, peer failed or
 * closed, bad arguments). */
int sc_peer_set_remote(sc_peer *p, const sc_remote *r);

/* Declares an SSRC we send: SRTP state ahead of time, statistics, and for
 * video (clock 90000) a history of the last 512 packets to answer NACKs;
 * audio has clock 48000 and no history. 0, or -1 (full, duplicate, out of
 * memory). */
int sc_peer_add_send_ssrc(sc_peer *p, uint32_t ssrc, bool video);

/* Sends one RTP packet (plain, header and payload, pkt[0..len)) of a
 * declared SSRC: stores a copy in the history (video), protects it in place
 * (pkt needs cap >= len + SC_PEER_SEND_ROOM) and sends it to the selected
 * server address. Returns 0 (sent, or dropped by a full socket buffer, as a
 * network would), or -1: not connected, not a parsable RTP packet, an
 * undeclared SSRC, len over SC_PEER_MAX_PACKET - SC_PEER_SEND_ROOM, or
 * cap too small. On return pkt holds ciphertext. */
int sc_peer_send_rtp(sc_peer *p, uint8_t *pkt, size_t len, size_t cap);

/* Sends a PLI for a remote SSRC (asks its sender, through the SFU, for a
 * key frame). 0 or -1 (not connected). */
int sc_peer_request_keyframe(sc_peer *p, uint32_t media_ssrc);

/* Statistics of one SSRC, sent or received. */
typedef struct {
  uint32_t ssrc;
  bool outgoing; /* one of ours */
  bool video;    /* clock 90000 (else 48000) */
  uint64_t packets, bytes; /* RTP packets and bytes (plain, before SRTP / after unprotect),
                              retransmissions included */
  /* Incoming: RFC 3550 A.3 cumulative lost (may be negative with duplicates),
   * fraction lost of the last report interval (/256), interarrival jitter
   * (A.8) in timestamp units, extended highest sequence number.
   * Outgoing: what the server's last receiver report said about the SSRC. */
  int64_t lost;
  uint8_t fraction_lost;
  uint32_t jitter;
  uint32_t ext_highest_seq;
  double jitter_ms; /* jitter in milliseconds */
  /* Feedback: NACK messages and the sequence numbers they named, PLI/FIR. */
  uint64_t nacks_sent, nacks_received, nack_seqs_sent, nack_seqs_received;
  uint64_t retransmits; /* outgoing: packets resent from the history */
  uint64_t plis_sent, plis_received;
  uint64_t sr_received; /* incoming: sender reports */
  /* Outgoing: NACKed packets not resent (resent less than 100 ms before, or
   * over the 256 resends one incoming RTCP packet may trigger), and PLI/FIR
   * merged into a later on_keyframe_request (at most one per SSRC per 300 ms). */
  uint64_t retransmits_refused, keyframe_requests_limited;
} sc_ssrc_stats;

/* Writes the statistics of up to cap SSRCs (ours first, then remote ones in
 * order of first packet or declaration) into out; returns how many exist
 * (may be more than cap). */
int sc_peer_stats(const sc_peer *p, sc_ssrc_stats *out, int cap);
/* One SSRC's statistics: 0, or -1 if unknown. */
int sc_peer_ssrc_stats(const sc_peer *p, uint32_t ssrc, sc_ssrc_stats *out);

/* When the datagram being handled arrived: CLOCK_REALTIME microseconds of
 * the kernel's receive timestamp (SO_TIMESTAMPNS), or of the read if the
 * kernel gave none. Meaningful inside on_rtp (and the other receive
 * callbacks); for sc_peer_handle_plain, the time of that call. */
int64_t sc_peer_rx_time_us(const sc_peer *p);

/* Peer-wide counters. */
typedef struct {
  uint64_t datagrams_in, datagrams_out, dropped; /* dropped: not from the server, unknown kind, send refused */
  uint64_t stun_sent, stun_answered, srtp_errors, rtcp_malformed;
  uint64_t stun_requests_answered; /* the server's Binding requests we answered (Janus sends them) */
  uint64_t rtt_ms; /* round trip of the last answered ICE check */
  uint64_t remb_bps; /* last REMB from the server, 0 if none */
  /* Sums over our SSRCs of sc_ssrc_stats' retransmits_refused and
   * keyframe_requests_limited. */
  uint64_t resends_refused, keyframe_requests_limited;
} sc_peer_counters;
void sc_peer_get_counters(const sc_peer *p, sc_peer_counters *out);

/* Test and load-tool aid: drop every Nth outgoing RTP packet after storing
 * it in the history (send_every), and every Nth incoming SRTP packet before
 * unprotect (recv_every); 0 = none. Simulates a lossy network. */
void sc_peer_simulate_loss(sc_peer *p, unsigned send_every, unsigned recv_every);

/* Starts closing: sends close_notify if DTLS got far enough, stops timers
 * and the socket. No callback but on_closed runs after this (the state
 * becomes SC_PEER_CLOSED silently). on_closed comes from the loop; then the
 * peer is freed: do not use p after on_closed (or, without on_closed, after
 * sc_peer_close returns). Calling it twice is harmless. */
void sc_peer_close(sc_peer *p);

/* The receive path after SRTP unprotect, callable on plain bytes (no
 * socket, no keys): RTP (statistics, NACK generation, on_rtp) or an RTCP
 * compound packet (NACK answering, PLI/FIR, SR, RR, REMB), told apart as on
 * the wire (RFC 5761). pkt may be modified. For the fuzz target and tests;
 * sends (NACK answers, NACKs) are skipped while SRTP is not set up. */
void sc_peer_handle_plain(sc_peer *p, uint8_t *pkt, size_t len);

#endif
