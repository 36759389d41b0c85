/* WebSocket connections: handshake checks, wslay on a non-blocking socket
 * watched by uv_poll, server pings and an idle timeout. */
#include "signal/ws.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "auth/base64.h"
#include "core/bucket.h"
#include "core/log.h"
#include "net/addr.h"

#define WS_MAX_QUEUED (1u * 1024 * 1024) /* bytes waiting for a slow reader (checked at enqueue) */
#define WS_CONTROL_MAX 125                /* RFC 6455 5.5: control frame payloads */
#define WS_READ_PER_WAKEUP (64u * 1024)   /* bytes read from one socket per turn of the loop */
#define WS_MAX_FRAGMENTS 64               /* frames of one data message (each costs a buffer) */
#define WS_CLOSE_GRACE_MS 2000            /* a peer that does not take its close frame is dropped */
#define WS_CONTROL_RATE 5.0               /* control frames per second from the peer */
#define WS_CONTROL_BURST 20.0

struct ws_conn {
  ws_server *srv;
  ws_conn *prev, *next; /* every open connection (per-address counts) */
  int fd;
  void *upgrade_handle;
  wslay_event_context_ptr ws;
  uv_poll_t poll;
  uv_timer_t timer;
  int open_handles;
  char *extra; /* bytes read by the HTTP server past the request */
  size_t extra_len, extra_off;
  uint64_t last_rx_ms, last_ping_ms;
  int closing;   /* no more reading; send what is queued, then close */
  uint64_t msg_bytes;     /* payload of the data message being received, all fragments */
  uint32_t msg_frames;    /* its frames so far */
  size_t max_message;     /* ws_set_max_message */
  bucket control; /* pings and other control frames the peer may send */
  uint16_t close_after_flush; /* a close code to send once queued messages are out */
  char close_reason[64];
  int finished;  /* handles are being closed */
  uint64_t drop_at_ms; /* closing without a handshake in sight: finish by then (0: none) */
  int draining;        /* our close frame is out: discard input until EOF (lingering close) */
  int peer_gone;       /* the peer closed or reset the connection */
  size_t read_this_turn; /* bytes read in this poll callback (WS_READ_PER_WAKEUP) */
  void *data;
  char client_ip[64];
  char client_key[64]; /* per-address limits: net/addr.h (an IPv6 /64 is one client) */
};

static int open_count;
static ws_conn *conns;
static ws_stats totals;
int ws_open_count(void) { return open_count; }
void ws_get_stats(ws_stats *out) {
  *out = totals;
  out->open = open_count;
}

typedef struct {
  ws_server *srv;
  char client_ip[64];
} pending_upgrade;

static uint64_t now_ms(ws_conn *c) { return uv_now(c->srv->loop); }

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user) {
  ws_conn *c = user;
  if (c->extra_off < c->extra_len) {
    size_t n = c->extra_len - c->extra_off;
    if (n > len) n = len;
    memcpy(buf, c->extra + c->extra_off, n);
    c->extra_off += n;
    return (ssize_t)n;
  }
  /* One socket gets WS_READ_PER_WAKEUP bytes per turn of the loop; the rest
   * waits in the kernel for the next turn (the poll is level-triggered), so
   * a fast sender cannot keep the loop to itself. */
  if (c->read_this_turn >= WS_READ_PER_WAKEUP) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (len > WS_READ_PER_WAKEUP - c->read_this_turn) len = WS_READ_PER_WAKEUP - c->read_this_turn;
  ssize_t n = recv(c->fd, buf, len, 0);
  if (n > 0) {
    c->last_rx_ms = now_ms(c);
    c->read_this_turn += (size_t)n;
    return n;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
  } else {
    c->peer_gone = 1;
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  }
  return -1;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user) {
  ws_conn *c = user;
  ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
  else
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user) {
  return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void finish(ws_conn *c);

/* Closes at once with a close frame ahead of anything queued (wslay sends
 * control frames first), reads nothing more, and drops the connection if the
 * close frame has not left within WS_CLOSE_GRACE_MS (a peer that does not
 * read). For peers that broke the protocol or cannot keep up. */
static void close_now(ws_conn *c, uint16_t code, const char *reason) {
  if (c->finished || c->drop_at_ms) return; /* closing already */
  c->closing = 1;
  c->close_after_flush = 0;
  c->drop_at_ms = now_ms(c) + WS_CLOSE_GRACE_MS;
  wslay_event_shutdown_read(c->ws);
  wslay_event_queue_close(c->ws, code, (const uint8_t *)reason, strlen(reason));
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user) {
  ws_conn *c = user;
  if (arg->opcode & 0x8) { /* control frames (ping, pong, close) have their own budget */
    if (arg->payload_length > WS_CONTROL_MAX || !arg->fin) {
      /* RFC 6455 5.5: at most 125 bytes, never fragmented. Refused at the
       * header, before the payload is read. */
      log_debug("ws: %s sent a control frame of %llu bytes, closing", c->client_ip,
                (unsigned long long)arg->payload_length);
      totals.protocol_errors++;
      close_now(c, 1002, "control frame too large");
      return;
    }
    if (!bucket_take(&c->control, WS_CONTROL_RATE, WS_CONTROL_BURST, 1.0, now_ms(c))) {
      log_debug("ws: %s sends control frames too fast, dropping it", c->client_ip);
      c->closing = 1;
      wslay_event_shutdown_read(c->ws);
      return;
    }
    return; /* at most 125 bytes; may come between the fragments of a message */
  }
  if (arg->opcode != WSLAY_CONTINUATION_FRAME) { /* a new message starts */
    c->msg_bytes = 0;
    c->msg_frames = 0;
  }
  c->msg_bytes += arg->payload_length;
  if (++c->msg_frames > WS_MAX_FRAGMENTS && !c->closing) {
    /* wslay keeps every fragment in its own buffer: 1-byte fragments would
     * cost many times their size. No client needs more than a few. */
    log_debug("ws: %s sent a message in over %d fragments, closing", c->client_ip, WS_MAX_FRAGMENTS);
    totals.protocol_errors++;
    close_now(c, 1008, "too many fragments");
    return;
  }
  if (c->msg_bytes > c->max_message && !c->closing) {
    /* Tell the owner (it may queue an explanation), read nothing more, and
     * close once that explanation is on the wire: a close frame would
     * otherwise overtake it (wslay sends control frames first). */
    totals.too_large++;
    c->srv->handlers->on_too_large(c->srv->owner, c);
    ws_close(c, 1009, "message too large");
  }
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user) {
  ws_conn *c = user;
  if (c->closing) return;
  if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
    c->srv->handlers->on_message(c->srv->owner, c, (const char *)arg->msg, arg->msg_length,
                                 arg->opcode == WSLAY_BINARY_FRAME);
}

static const struct wslay_event_callbacks callbacks = {
    on_recv, on_send, on_genmask, on_frame_start, NULL, NULL, on_msg};

static void on_handle_closed(uv_handle_t *h) {
  ws_conn *c = h->data;
  if (--c->open_handles > 0) return;
  c->srv->handlers->on_closed(c->srv->owner, c);
  wslay_event_context_free(c->ws);
  /* The HTTP server closes the socket on its next run, up to a second
   * later: end the connection now, so that the peer sees it at once. */
  shutdown(c->fd, SHUT_RDWR);
  http_upgraded_close(c->upgrade_handle);
  if (c->prev) c->prev->next = c->next; else conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->extra);
  free(c);
  open_count--;
}

/* Closes the connection now, without a closing handshake. */
static void finish(ws_conn *c) {
  if (c->finished) return;
  c->finished = 1;
  uv_poll_stop(&c->poll);
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->poll, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Re-arms the poll for what wslay wants, or finishes the connection. */
static void update_poll(ws_conn *c) {
  if (c->finished) return;
  if (c->close_after_flush && !wslay_event_want_write(c->ws)) {
    wslay_event_queue_close(c->ws, c->close_after_flush, (const uint8_t *)c->close_reason,
                            strlen(c->close_reason));
    c->close_after_flush = 0;
  }
  int want_read = !c->closing && wslay_event_want_read(c->ws);
  int want_write = wslay_event_want_write(c->ws);
  if (!want_write && c->drop_at_ms && !c->draining) {
    /* Our close frame is out. Closing the socket now, with the peer's
     * unread bytes in our receive queue, would send a reset that can destroy
     * the close frame before the peer reads it: stop sending and discard
     * input until the peer closes or the grace period ends. */
    c->draining = 1;
    shutdown(c->fd, SHUT_WR);
  }
  if (c->draining) {
    uv_poll_start(&c->poll, UV_READABLE, on_poll);
    return;
  }
  if (!want_read && !want_write) {
    finish(c);
    return;
  }
  uv_poll_start(&c->poll, (want_read ? UV_READABLE : 0) | (want_write ? UV_WRITABLE : 0), on_poll);
}

/* Lingering close: reads and discards what the peer still sends, a bounded
 * amount per wake-up; finishes at its end of stream. */
static void drain(ws_conn *c) {
  char scratch[4096];
  for (int i = 0; i < 16; i++) {
    ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    finish(c);
    return;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  ws_conn *c = h->data;
  if (status < 0) {
    finish(c);
    return;
  }
  if (c->draining) {
    if (events & UV_READABLE) drain(c);
    return;
  }
  c->read_this_turn = 0;
  if ((events & UV_READABLE) && !c->closing && wslay_event_recv(c->ws) != 0) {
    if (c->peer_gone) {
      finish(c);
      return;
    }
    /* wslay refused a frame (a control frame over 125 bytes or fragmented,
     * a bad opcode, an unmasked frame, invalid UTF-8 in a text message): the
     * peer gets a close frame with 1002 and nothing more is read. */
    log_debug("ws: %s broke the WebSocket protocol, closing", c->client_ip);
    totals.protocol_errors++;
    close_now(c, 1002, "protocol error");
  }
  if (!c->finished && (events & UV_WRITABLE) && wslay_event_send(c->ws) != 0) {
    finish(c);
    return;
  }
  update_poll(c);
}

static void on_tick(uv_timer_t *t) {
  ws_conn *c = t->data;
  uint64_t now = now_ms(c);
  if (c->drop_at_ms && now >= c->drop_at_ms) {
    finish(c);
    return;
  }
  if (now - c->last_rx_ms >= c->srv->idle_timeout_ms) {
    log_debug("ws: %s idle for %llu ms, closing", c->client_ip,
              (unsigned long long)(now - c->last_rx_ms));
    finish(c);
    return;
  }
  if (!c->closing && now - c->last_ping_ms >= c->srv->ping_interval_ms) {
    struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"", 0};
    wslay_event_queue_msg(c->ws, &ping);
    c->last_ping_ms = now;
    wslay_event_send(c->ws);
  }
  update_poll(c);
}

static void on_upgrade(void *ctx, int fd, const char *extra, size_t extra_len, void *handle) {
  pending_upgrade *p = ctx;
  if (fd < 0) { /* the switch failed: nothing to serve */
    free(p);
    return;
  }
  ws_server *srv = p->srv;
  ws_conn *c = calloc(1, sizeof *c);
  if (!c || (extra_len && !(c->extra = malloc(extra_len))) ||
      wslay_event_context_server_init(&c->ws, &callbacks, c) != 0) {
    if (c) free(c->extra);
    free(c);
    free(p);
    http_upgraded_close(handle);
    return;
  }
  open_count++;
  c->next = conns;
  if (conns) conns->prev = c;
  conns = c;
  c->srv = srv;
  c->fd = fd;
  c->upgrade_handle = handle;
  if (extra_len) memcpy(c->extra, extra, extra_len);
  c->extra_len = extra_len;
  snprintf(c->client_ip, sizeof c->client_ip, "%s", p->client_ip);
  addr_client_key(c->client_ip, c->client_key, sizeof c->client_key);
  free(p);
  /* on_frame_start refuses messages (all fragments together) over
   * WS_MAX_MESSAGE with an explanation, at the frame header, before their
   * payload is read; wslay's own limit is only a backstop. */
  wslay_event_config_set_max_recv_msg_length(c->ws, 64 * WS_MAX_MESSAGE);
  bucket_init(&c->control, WS_CONTROL_BURST, now_ms(c));
  c->max_message = WS_MAX_MESSAGE;
  uv_poll_init(srv->loop, &c->poll, fd);
  uv_timer_init(srv->loop, &c->timer);
  c->poll.data = c->timer.data = c;
  c->open_handles = 2;
  c->last_rx_ms = c->last_ping_ms = now_ms(c);
  uv_timer_start(&c->timer, on_tick, 1000, 1000);
  srv->handlers->on_open(srv->owner, c, c->client_ip);
  if (c->extra_len) on_poll(&c->poll, 0, UV_READABLE);
  else update_poll(c);
}

/* True if the comma-separated header value contains token (case-insensitive). */
static int header_has_token(const char *value, const char *token) {
  size_t tl = strlen(token);
  for (const char *p = value; p && *p;) {
    while (*p == ' ' || *p == ',' || *p == '\t') p++;
    const char *end = p;
    while (*end && *end != ',') end++;
    const char *last = end;
    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) last--;
    if ((size_t)(last - p) == tl && strncasecmp(p, token, tl) == 0) return 1;
    p = end;
  }
  return 0;
}

void ws_refuse(http_response *res, int status, const char *message) {
  json_t *body = json_pack("{s:s}", "message", message);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (text) http_set_body(res, status, "application/json", text, strlen(text));
  else http_set_text(res, 500, "application/json", "{\"message\":\"Internal server error.\"}");
}

int ws_accept(ws_server *srv, const http_request *req, http_response *res) {
  const char *upgrade = http_header(req, "Upgrade"), *connection = http_header(req, "Connection");
  const char *key = http_header(req, "Sec-WebSocket-Key"), *version = http_header(req, "Sec-WebSocket-Version");
  if (strcmp(req->method, "GET") != 0 || !upgrade || !header_has_token(upgrade, "websocket") ||
      !connection || !header_has_token(connection, "upgrade")) {
    ws_refuse(res, 426, "This endpoint speaks WebSocket only.");
    http_set_header(res, "Upgrade", "websocket");
    return -1;
  }
  uint8_t raw[32];
  size_t raw_len;
  if (!key || base64_decode(key, strlen(key), raw, sizeof raw, &raw_len, BASE64_STD) != 0 ||
      raw_len != 16) {
    ws_refuse(res, 400, "Missing or invalid Sec-WebSocket-Key.");
    return -1;
  }
  if (!version || strcmp(version, "13") != 0) {
    ws_refuse(res, 426, "Unsupported WebSocket version.");
    http_set_header(res, "Sec-WebSocket-Version", "13");
    return -1;
  }
  /* Capacity (docs/operations.md, "Limits"): open WebSockets, in all and
   * from this address; refused before the upgrade, with a reason. */
  if (srv->max_open && (unsigned)open_count >= srv->max_open) {
    ws_refuse(res, 503, "The server has as many connections as it takes. Try again later.");
    http_set_header(res, "Retry-After", "5");
    return -1;
  }
  if (srv->max_per_ip) {
    unsigned same = 0;
    char client[64];
    addr_client_key(req->client_ip, client, sizeof client); /* an IPv6 /64 is one client */
    for (ws_conn *c = conns; c && same < srv->max_per_ip; c = c->next)
      if (strcmp(c->client_key, client) == 0) same++;
    if (same >= srv->max_per_ip) {
      ws_refuse(res, 429, "Too many connections from your address.");
      http_set_header(res, "Retry-After", "5");
      return -1;
    }
  }
  char concat[128];
  uint8_t digest[20];
  char accept[32];
  snprintf(concat, sizeof concat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  if (EVP_Digest(concat, strlen(concat), digest, NULL, EVP_sha1(), NULL) != 1 ||
      base64_encode(digest, sizeof digest, accept, sizeof accept, BASE64_STD) < 0) {
    ws_refuse(res, 500, "Internal server error.");
    return -1;
  }
  pending_upgrade *p = malloc(sizeof *p);
  if (!p) {
    ws_refuse(res, 500, "Internal server error.");
    return -1;
  }
  p->srv = srv;
  snprintf(p->client_ip, sizeof p->client_ip, "%s", req->client_ip);
  res->status = 101;
  res->upgrade = on_upgrade;
  res->upgrade_ctx = p;
  res->upgrade_free = free;
  http_set_header(res, "Upgrade", "websocket");
  http_set_header(res, "Sec-WebSocket-Accept", accept);
  return 0;
}

int ws_send_text(ws_conn *c, const char *text, size_t len) {
  if (c->closing || c->finished) return -1;
  /* A peer that does not read while we queue (relays, rosters) would make us
   * buffer without bound: at the cap it is closed (1008), before the copy. */
  if (wslay_event_get_queued_msg_length(c->ws) + len > WS_MAX_QUEUED) {
    log_debug("ws: %s does not read its messages, closing", c->client_ip);
    totals.slow_consumers++;
    close_now(c, 1008, "not reading");
    update_poll(c);
    return -1;
  }
  struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)text, len};
  if (wslay_event_queue_msg(c->ws, &msg) != 0) return -1;
  update_poll(c);
  return 0;
}

/* Reads nothing more, sends what is queued, then the close frame (wslay
 * would otherwise send the control frame ahead of queued messages, and an
 * explanation sent just before closing would be lost). */
void ws_close(ws_conn *c, uint16_t code, const char *reason) {
  if (c->closing || c->finished) return;
  c->closing = 1;
  c->close_after_flush = code;
  c->drop_at_ms = now_ms(c) + WS_CLOSE_GRACE_MS; /* then a lingering close, as close_now */
  snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
  wslay_event_shutdown_read(c->ws);
  update_poll(c);
}

void ws_abort(ws_conn *c) { finish(c); }

void ws_set_data(ws_conn *c, void *data) { c->data = data; }
void ws_set_max_message(ws_conn *c, size_t bytes) {
  c->max_message = bytes < WS_MAX_MESSAGE ? bytes : WS_MAX_MESSAGE;
}
void *ws_data(const ws_conn *c) { return c->data; }
