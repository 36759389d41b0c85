/* ICE-lite agent (RFC 8445 section 2.5 / 7.3, RFC 7675 consent freshness) for
 * one SFU transport. The server is always lite and controlled, has host
 * candidates only, and never sends checks: it answers the browser's Binding
 * requests, learns which remote addresses are valid, follows the browser's
 * nomination (USE-CANDIDATE) and tracks consent. Pure logic: no sockets, no
 * clock (time is passed in ms), no allocation, no logging.
 *
 * Security: only requests that carry the right USERNAME, a MESSAGE-INTEGRITY
 * made with local_pwd and a FINGERPRINT are answered; everything else is
 * dropped silently, so the server never answers (or reflects) garbage. */
#ifndef SEALROOM_ICE_H
#define SEALROOM_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ice/stun.h"

#define ICE_UFRAG_LEN 8
#define ICE_PWD_LEN 24
#define ICE_MAX_VALID 4 /* addresses that passed a check */
#define ICE_CONSENT_TIMEOUT_MS 30000
/* Connecting (never selected): a check must pass within
 * ICE_CONNECT_TIMEOUT_MS of the peer's description (its offer, or its answer
 * to ours) and within ICE_DESCRIBE_TIMEOUT_MS of the agent's creation, or the
 * agent is given up. A browser on an idle machine does both in well under a
 * second; one on a starved machine (4 browsers on 2 busy cores) took 6-12 s
 * to answer a subscribe offer, so the clock starts at the answer, not at the
 * offer. The cap bounds how long a client can hold a transport without
 * connecting (signalling ends a session whose subscribe offer is not
 * answered in 25 s: src/signal/meeting.c). */
#define ICE_CONNECT_TIMEOUT_MS 10000
#define ICE_DESCRIBE_TIMEOUT_MS 30000
#define ICE_MAX_REMOTE_UFRAG 256

typedef struct {
  char local_ufrag[ICE_UFRAG_LEN + 1], local_pwd[ICE_PWD_LEN + 1]; /* ice-chars: ALPHA / DIGIT / "+" / "/" */
  char remote_ufrag[ICE_MAX_REMOTE_UFRAG + 1];                      /* "" while unknown */
  bool remote_ufrag_invalid; /* set_remote_ufrag got an invalid one: refuse every request */
  struct sockaddr_storage valid[ICE_MAX_VALID];
  int n_valid; /* most recent first */
  bool nominated;
  struct sockaddr_storage selected; /* where to send: the nominated address, or the first validated one until nomination */
  bool has_selected;
  bool ever_selected; /* stays true when a selected address is forgotten: consent, not the connect timeout, then applies */
  uint64_t last_consent_ms; /* last authenticated request from the selected address */
  uint64_t created_ms;
  bool described;       /* the peer's description arrived (ice_agent_described) */
  uint64_t described_ms; /* ... at this time */
} ice_agent;

typedef enum {
  ICE_IGNORED = 0,   /* dropped; nothing to send, no state changed */
  ICE_RESPONDED = 1, /* out holds a response to send back to `from` */
  ICE_SELECTED = 2,  /* as ICE_RESPONDED, and a->selected changed (see ice_agent_handle) */
} ice_result;

/* Zeroes *a and draws a random ufrag (8 characters, 48 bits) and password
 * (24 characters, 144 bits) via RAND_bytes. Returns 0, or -1 if the CSPRNG
 * failed (then *a is zeroed and must not be used). */
int ice_agent_init(ice_agent *a, uint64_t now_ms);

/* Wipes the agent, password included (OPENSSL_cleanse). */
void ice_agent_wipe(ice_agent *a);

/* The remote ufrag from the browser's SDP. NULL or "" makes it unknown again
 * (then only the local part of USERNAME is checked). One longer than 256
 * characters or with characters outside ice-chars (invalid per RFC 8839)
 * sets remote_ufrag_invalid: every request is refused until a valid one is
 * set. */
void ice_agent_set_remote_ufrag(ice_agent *a, const char *ufrag);

/* The local part of a request's USERNAME ("<local>:<remote>"), to find the
 * agent of a packet from an unknown address. Returns 0 and writes a
 * NUL-terminated string, or -1 (no USERNAME, no colon, empty local part, a
 * character outside ice-chars, or cap too small). */
int ice_username_local(const stun_msg *m, char *out, size_t cap);

/* Handles a STUN packet p[0..n) from `from` (sockaddr_in or sockaddr_in6, or
 * a TCP connection's name, net/tcp.h: XOR-MAPPED-ADDRESS is then its remote
 * address).
 *
 * Authenticated Binding requests (USERNAME == local_ufrag ":" remote_ufrag
 * when remote_ufrag is known, else just the local part must match;
 * MESSAGE-INTEGRITY with local_pwd; FINGERPRINT required) get a success
 * response in out (*out_len set) with XOR-MAPPED-ADDRESS = from, protected
 * with local_pwd; `from` becomes valid (moved to the front of a->valid; when
 * the list is full the oldest address other than the selected one is
 * dropped). The first validated address becomes the selected one; with
 * USE-CANDIDATE, `from` is nominated and becomes the selected address.
 * Returns ICE_SELECTED when the selection changed: first selection,
 * nomination, or a new address nominated; ICE_RESPONDED otherwise. A request
 * from the selected address refreshes consent (last_consent_ms = now_ms).
 *
 * Authenticated requests answered with an error, changing nothing else
 * (ICE_RESPONDED): ICE-CONTROLLED present (the peer thinks it is controlled
 * too; a lite agent never switches role) gets 487 Role Conflict; unknown
 * comprehension-required attributes get 420 with UNKNOWN-ATTRIBUTES.
 *
 * Unauthenticated, malformed, non-request or non-binding messages, and any
 * message when cap is too small for the response: ICE_IGNORED, *out_len = 0
 * (never answer garbage). Indications (consent keepalives without response)
 * refresh nothing. */
ice_result ice_agent_handle(ice_agent *a, const uint8_t *p, size_t n, const struct sockaddr *from,
                            uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len);

/* Removes addr from the valid addresses (a TCP connection that closed); if it
 * was the selected one, nothing is selected until the next check, and the
 * browser has what is left of the consent period to make one. */
void ice_agent_forget(ice_agent *a, const struct sockaddr *addr);

/* DTLS/SRTP is accepted only from valid addresses. */
bool ice_agent_is_valid_addr(const ice_agent *a, const struct sockaddr *addr);

/* The peer's description (its offer, or its answer to ours) arrived at
 * now_ms: the connect deadline counts from here. Only the first call counts
 * (a peer cannot push the deadline back by answering again). */
void ice_agent_described(ice_agent *a, uint64_t now_ms);

/* When a connection that has not connected yet is given up: the earlier of
 * created + ICE_DESCRIBE_TIMEOUT_MS and (once the peer's description
 * arrived) described + ICE_CONNECT_TIMEOUT_MS; a description stamped before
 * the creation counts as made at the creation. Saturates instead of
 * wrapping. The worker gives DTLS 10 s more (DTLS_EXTRA_MS, sfu/worker.c). */
uint64_t ice_agent_connect_deadline(const ice_agent *a);

/* Selected but no consent for ICE_CONSENT_TIMEOUT_MS (now - last >= 30000),
 * or never selected and now >= ice_agent_connect_deadline. A clock that reads
 * earlier than the recorded time counts as no time elapsed. */
bool ice_agent_consent_expired(const ice_agent *a, uint64_t now_ms);

/* 1 if both are AF_INET, or both AF_INET6, with the same address and port
 * (flow info and scope id are not compared; an IPv4-mapped IPv6 address is
 * not equal to the IPv4 one), or both name the same TCP connection
 * (AF_MEDIA_TCP: index and generation); 0 otherwise, including NULL and
 * other families. */
int sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
