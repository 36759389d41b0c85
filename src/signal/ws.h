/* WebSocket server connections (RFC 6455) on the libuv loop: the opening
 * handshake on top of the HTTP server's upgrade, framing by wslay. Messages
 * are bounded (WS_MAX_MESSAGE); a larger frame gets the owner's on_too_large
 * callback and the connection is closed with 1009. A control frame over 125
 * bytes closes it with 1002, and a peer that lets more than 1 MiB of our
 * messages queue up (it does not read) is closed with 1008. Lifecycle: ws_accept ->
 * callbacks -> ws_close (or the peer closes) -> on_closed, then freed. */
#ifndef SEALROOM_WS_H
#define SEALROOM_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/http.h"

#define WS_MAX_MESSAGE (256 * 1024) /* a subscribe answer for 100+ participants is ~100 KiB */

typedef struct ws_conn ws_conn;

typedef struct {
  /* A complete text (binary = 0) or binary (binary = 1) message. */
  void (*on_message)(void *owner, ws_conn *c, const char *data, size_t len, int binary);
  /* A message over the connection's limit (ws_set_max_message) arrived; the
   * connection closes after this. */
  void (*on_too_large)(void *owner, ws_conn *c);
  /* The connection is gone; c is freed right after this returns. */
  void (*on_closed)(void *owner, ws_conn *c);
  /* Called once the connection is open; owner may attach its state. */
  void (*on_open)(void *owner, ws_conn *c, const char *client_ip);
} ws_handlers;

typedef struct {
  uv_loop_t *loop;
  const ws_handlers *handlers;
  void *owner;
  uint64_t ping_interval_ms; /* server pings */
  uint64_t idle_timeout_ms;  /* nothing received for this long: closed */
  unsigned max_open;         /* WebSockets open at once (0: no limit); beyond: 503 */
  unsigned max_per_ip;       /* from one client address (0: no limit); beyond: 429 */
} ws_server;

/* Checks an HTTP request for a valid WebSocket upgrade and fills res with
 * the 101 answer, or refuses it (ws_refuse: 400, 426, 429, 503 or 500).
 * Returns 0 if upgrading, -1 if refused. */
int ws_accept(ws_server *srv, const http_request *req, http_response *res);
/* Answers a request that does not become a WebSocket: status and the
 * server's JSON error body, {"message": message}. */
void ws_refuse(http_response *res, int status, const char *message);

/* The largest message this connection may send from now on (at most
 * WS_MAX_MESSAGE, which is the default): a connection that has not joined
 * gets a small budget. */
void ws_set_max_message(ws_conn *c, size_t bytes);
/* Queues a text message; returns 0 or -1 (closing or out of memory). */
int ws_send_text(ws_conn *c, const char *text, size_t len);
/* Starts the closing handshake with a status code; on_closed follows. */
void ws_close(ws_conn *c, uint16_t code, const char *reason);
/* Drops the connection at once (no closing handshake); on_closed follows. */
void ws_abort(ws_conn *c);
void ws_set_data(ws_conn *c, void *data);
void *ws_data(const ws_conn *c);
int ws_open_count(void);

/* Process-wide counters of the WebSocket layer (for /metrics). */
typedef struct {
  int open;                /* connections open now */
  uint64_t slow_consumers; /* closed with 1008: too much queued for a peer that does not read */
  uint64_t protocol_errors; /* closed: control frame over 125 bytes or fragmented (1002),
                            * a message in over 64 fragments (1008) */
  uint64_t too_large;      /* closed with 1009: a message over WS_MAX_MESSAGE */
} ws_stats;
void ws_get_stats(ws_stats *out);

#endif
