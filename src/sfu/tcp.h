/* Private to src/sfu: the media worker's ICE-TCP connections (RFC 6544
 * passive candidates, RFC 4571 framing; the socket-free parts are in
 * net/tcp.h). Each accepted connection is read into its own buffer and cut
 * into frames, which go to the worker exactly like UDP datagrams, from the
 * connection's name (an AF_MEDIA_TCP address). What the worker sends to such
 * a name is framed into the connection's output buffer and written once per
 * turn of the loop.
 *
 * Bounds (docs/security.md), for the server (each of n listeners has its
 * n-th, tcp_limits_share): at most TCP_MAX_CONNS connections. Of them at
 * most TCP_MAX_UNBOUND have not passed an ICE check (a newcomer then pushes
 * out the oldest, so squatters cannot keep honest browsers out), at most
 * TCP_MAX_UNBOUND_PER_CLIENT per client (net/addr.h; beyond, refused); each
 * has TCP_BIND_TIMEOUT_MS to pass one, may send only STUN until then, and at
 * most TCP_UNBOUND_FRAMES frames. A connection is bound only when its name
 * is one of its transport's valid addresses, so each transport holds at most
 * four and they close with it. A frame longer than TCP_FRAME_MAX or of length
 * 0 closes the connection; one with no whole frame for TCP_IDLE_TIMEOUT_MS
 * is closed. At most TCP_OUT_CAP bytes wait to be written per connection
 * (frames beyond are dropped whole, as a full network would drop datagrams).
 * Reading is budgeted per turn of the loop: TCP_TURN_FRAMES frames from all
 * connections together, TCP_CONN_FRAMES from one before the others have
 * their turn (a connection with more waiting is served first next turn), so
 * a flood of tiny frames delays the loop no more than a full UDP batch. */
#ifndef SEALROOM_SFU_TCP_H
#define SEALROOM_SFU_TCP_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "sfu/sfu.h"

#define TCP_MAX_CONNS SFU_MAX_TCP_CONNS
#define TCP_MAX_UNBOUND 256
#define TCP_MAX_UNBOUND_PER_CLIENT 32
#define TCP_BIND_TIMEOUT_MS 5000
#define TCP_UNBOUND_FRAMES 8
#define TCP_IDLE_TIMEOUT_MS 30000 /* ICE consent: a browser checks every few seconds */
#define TCP_OUT_CAP (64 * 1024)
#define TCP_TURN_FRAMES 512
#define TCP_CONN_FRAMES 64

typedef struct tcp_conns tcp_conns;

/* A frame p[0..n) (writable, at least TCP_FRAME_MAX bytes of room) from the
 * connection named `path`, read at at_us (real-time clock, microseconds). */
typedef void (*tcp_frame_fn)(void *ctx, uint8_t *p, size_t n, const struct sockaddr *path, int64_t at_us);
/* A connection that had passed an ICE check closed by itself (the peer
 * closed it, an error, a framing lie, silence): the worker forgets the name. */
typedef void (*tcp_closed_fn)(void *ctx, const struct sockaddr *path);

/* What the worker is told; every call is on the worker's loop. */
typedef struct {
  tcp_frame_fn frame;
  tcp_closed_fn closed;
  void (*read_done)(void *ctx); /* after the frames of one read: time to flush what they caused */
  void *ctx;
} tcp_handlers;

typedef struct {
  _Atomic uint64_t *open;    /* connections now (a gauge) */
  _Atomic uint64_t *refused; /* accepted and closed at once (over a limit), or pushed out by a newer one */
  _Atomic uint64_t *closed_bad; /* closed for a framing lie, a deadline, or more than STUN before a check */
  _Atomic uint64_t *dropped; /* frames not sent: the connection's output buffer was full */
} tcp_counters;

/* The bounds of one listener (at most the TCP_MAX_* above). With several
 * media workers each listener gets its share, so that the server as a whole
 * keeps to the TCP_MAX_* bounds (and the descriptors set aside for them). */
typedef struct {
  int conns, unbound, unbound_per_client;
} tcp_limits;

/* The share of one of n listeners: TCP_MAX_* / n, at least a few each. */
tcp_limits tcp_limits_share(int n);

/* Starts accepting on listen_fd (non-blocking, listening) on loop. NULL if out of memory. */
tcp_conns *tcp_conns_new(uv_loop_t *loop, int listen_fd, tcp_handlers handlers, tcp_counters counters,
                         tcp_limits limits);
/* The connection named path is one of its transport's valid addresses: the
 * unbound rules no longer apply to it. */
void tcp_conns_bound(tcp_conns *tc, const struct sockaddr *path);
/* Queues the frame data[0..len) (len <= TCP_FRAME_MAX) to the connection
 * named path; written at the next tcp_conns_flush. Returns 0, or -1 when it
 * is dropped (and counted): the connection is gone or its output buffer full. */
int tcp_conns_send(tcp_conns *tc, const struct sockaddr *path, const uint8_t *data, size_t len);
/* Writes what is queued; a connection whose socket is full waits for it to
 * drain (polled for writable). */
void tcp_conns_flush(tcp_conns *tc);
/* Closes the connection named path (the worker no longer wants it); no
 * tcp_closed_fn call. */
void tcp_conns_close(tcp_conns *tc, const struct sockaddr *path);
/* Deadlines: closes connections that did not bind in time or fell silent. */
void tcp_conns_tick(tcp_conns *tc, uint64_t now_ms);
/* Stops accepting and closes every connection (their handles close on the
 * loop's next run); then tcp_conns_free once the loop has run. */
void tcp_conns_close_all(tcp_conns *tc);
void tcp_conns_free(tcp_conns *tc);

#endif
