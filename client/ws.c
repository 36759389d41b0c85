/* WebSocket client connections (client/ws.h): URL parsing, name resolution
 * and connect on libuv TCP, the HTTP/1.1 Upgrade handshake and its checks,
 * then wslay in client mode fed from libuv's reads and writing through
 * uv_write. One repeating timer enforces the handshake deadline, the idle
 * timeout and the closing deadline. */
#include "client/ws.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "common/base64.h"

#define TICK_MS 250
#define WRITE_HIGH (256u * 1024)  /* bytes in libuv writes before wslay is told to wait */
#define MAX_FRAGMENTS 1024        /* frames of one incoming message (each costs wslay a buffer) */
#define READ_BUF (64u * 1024)
#define REASON_MAX 123            /* RFC 6455 5.5: 125-byte control payload minus the code */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

typedef enum { ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_DONE } ws_state;

struct sc_ws {
  uv_loop_t *loop;
  sc_ws_callbacks cb;
  void *ctx;
  ws_state state;
  sc_ws_url url;
  char key[32], accept[32];

  uv_timer_t timer;
  bool timer_open;
  uv_getaddrinfo_t gai;
  bool gai_pending;
  struct addrinfo *addrs, *next_addr;
  char last_connect_error[96];
  uv_tcp_t tcp;
  bool tcp_open;    /* initialized and not yet closed */
  bool retrying;    /* tcp is being closed to try the next address */
  uv_connect_t connect_req;
  uv_shutdown_t shutdown_req;
  bool shutting_down;

  wslay_event_context_ptr ws;
  const uint8_t *in; /* bytes wslay's recv callback hands out */
  size_t in_len;
  char head[SC_WS_MAX_RESPONSE_HEAD];
  size_t head_len;
  char *rbuf; /* READ_BUF bytes for libuv reads */
  size_t writing; /* bytes handed to uv_write and not yet written */
  uint32_t msg_frames;

  uint64_t deadline_ms;   /* handshake or closing deadline (0: none) */
  uint64_t last_rx_ms;
  int close_code;         /* sc_ws_close, sent once what is queued is out (0: none) */
  int user_code;          /* the code sc_ws_close asked for */
  bool in_recv;           /* inside wslay_event_recv: no sending from callbacks */
  char close_reason[REASON_MAX + 1];
  bool user_closed;       /* sc_ws_close was called: no more on_text */
  bool got_peer_close;
  int peer_code;
  char peer_reason[REASON_MAX + 1];
  const char *policy_reason; /* why we closed with 1008 ourselves (a static string) */

  sc_ws_stats stats;
  bool sink;      /* sc_ws_fuzz_input: no loop, no socket; output discarded */
  bool sink_done; /* ... and it may be freed now */
  bool finishing;
  int result_code;
  char result_reason[256];
};

/* ---- small helpers ----------------------------------------------------- */

static uint64_t now_ms(const sc_ws *c) { return c->loop ? uv_now(c->loop) : 0; /* 0: sc_ws_fuzz_input */ }

static void set_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...) {
  if (!err || !err_len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
}

/* Copies at most max bytes of s[0..n) into out, with anything that is not
 * printable ASCII replaced by '?' (the server's words, shown to a user). */
static void copy_printable(char *out, size_t out_len, const char *s, size_t n) {
  size_t i = 0;
  for (; i < n && i + 1 < out_len; i++) out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (out_len) out[i] = '\0';
}

/* ---- URL --------------------------------------------------------------- */

static bool host_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
         ch == '-' || ch == '_';
}

int sc_ws_parse_url(const char *url, sc_ws_url *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  if (!url) return set_err(err, err_len, "no URL"), -1;
  size_t len = strnlen(url, SC_WS_MAX_URL + 1);
  if (len > SC_WS_MAX_URL) return set_err(err, err_len, "URL longer than %d bytes", SC_WS_MAX_URL), -1;
  if (strncasecmp(url, "wss://", 6) == 0)
    return set_err(err, err_len, "wss:// is not supported yet (this client has no TLS); use ws://"), -1;
  if (strncasecmp(url, "ws://", 5) != 0) return set_err(err, err_len, "not a ws:// URL"), -1;
  const char *p = url + 5, *end = url + len;
  for (const char *q = url; q < end; q++)
    if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
      return set_err(err, err_len, "URL with spaces, control or non-ASCII characters"), -1;
  if (memchr(url, '#', len)) return set_err(err, err_len, "URL with a fragment"), -1;
  const char *auth_end = p;
  while (auth_end < end && *auth_end != '/' && *auth_end != '?') auth_end++;
  if (memchr(p, '@', (size_t)(auth_end - p))) return set_err(err, err_len, "URL with user info"), -1;

  const char *host = p, *host_end, *port = NULL;
  if (*p == '[') {
    host = p + 1;
    host_end = memchr(host, ']', (size_t)(auth_end - host));
    if (!host_end) return set_err(err, err_len, "unterminated [IPv6] host"), -1;
    if ((size_t)(host_end - host) >= sizeof out->host) return set_err(err, err_len, "host too long"), -1;
    memcpy(out->host, host, (size_t)(host_end - host));
    unsigned char a6[16];
    if (inet_pton(AF_INET6, out->host, a6) != 1) return set_err(err, err_len, "bad IPv6 address"), -1;
    const char *after = host_end + 1;
    if (after < auth_end && *after != ':') return set_err(err, err_len, "junk after ]"), -1;
    if (after < auth_end) port = after + 1;
  } else {
    host_end = memchr(p, ':', (size_t)(auth_end - p));
    if (host_end) port = host_end + 1;
    else host_end = auth_end;
    if (host_end == host) return set_err(err, err_len, "no host"), -1;
    if ((size_t)(host_end - host) > 253) return set_err(err, err_len, "host too long"), -1;
    for (const char *q = host; q < host_end; q++)
      if (!host_char(*q)) return set_err(err, err_len, "bad character in host"), -1;
    memcpy(out->host, host, (size_t)(host_end - host));
  }
  if (port) {
    size_t n = (size_t)(auth_end - port);
    unsigned long v = 0;
    if (n < 1 || n > 5) return set_err(err, err_len, "bad port"), -1;
    for (size_t i = 0; i < n; i++) {
      if (port[i] < '0' || port[i] > '9') return set_err(err, err_len, "bad port"), -1;
      v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (v < 1 || v > 65535) return set_err(err, err_len, "port out of range"), -1;
    snprintf(out->port, sizeof out->port, "%lu", v);
  } else {
    snprintf(out->port, sizeof out->port, "80");
  }
  size_t path_len = (size_t)(end - auth_end);
  if (path_len + 2 > sizeof out->path) return set_err(err, err_len, "path too long"), -1;
  if (path_len == 0) snprintf(out->path, sizeof out->path, "/");
  else snprintf(out->path, sizeof out->path, "%s%.*s", *auth_end == '?' ? "/" : "", (int)path_len, auth_end);
  bool v6 = *p == '[';
  snprintf(out->host_header, sizeof out->host_header, "%s%s%s%s%s", v6 ? "[" : "", out->host, v6 ? "]" : "",
           port ? ":" : "", port ? out->port : "");
  return 0;
}

/* ---- handshake --------------------------------------------------------- */

int sc_ws_accept_value(const char *key, char *out, size_t out_len) {
  char concat[128];
  uint8_t digest[20];
  if (!key || strlen(key) > 64 || out_len < SR_BASE64_STD_LEN(20) + 1) return -1;
  snprintf(concat, sizeof concat, "%s" WS_GUID, key);
  if (EVP_Digest(concat, strlen(concat), digest, NULL, EVP_sha1(), NULL) != 1) return -1;
  return sr_base64_encode(digest, sizeof digest, out, out_len, NULL, SR_BASE64_STD) == SR_BASE64_OK ? 0 : -1;
}

/* True if the comma-separated list v[0..n) holds token (case-insensitive). */
static bool has_token(const char *v, size_t n, const char *token) {
  size_t tl = strlen(token), i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t start = i;
    while (i < n && v[i] != ',') i++;
    size_t stop = i;
    while (stop > start && (v[stop - 1] == ' ' || v[stop - 1] == '\t')) stop--;
    if (stop - start == tl && strncasecmp(v + start, token, tl) == 0) return true;
  }
  return false;
}

static bool header_is(const char *name, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static bool token_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

long sc_ws_check_response(const char *buf, size_t len, const char *expected_accept, char *err, size_t err_len) {
  size_t scan = len < SC_WS_MAX_RESPONSE_HEAD ? len : SC_WS_MAX_RESPONSE_HEAD;
  size_t head_end = 0; /* offset just past the blank line */
  for (size_t i = 0; i + 4 <= scan; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
      head_end = i + 4;
      break;
    }
  if (!head_end) {
    if (len >= SC_WS_MAX_RESPONSE_HEAD) {
      set_err(err, err_len, "the server's answer has no end of headers within %d bytes", SC_WS_MAX_RESPONSE_HEAD);
      return -1;
    }
    return 0;
  }
  if (memchr(buf, '\0', head_end)) return set_err(err, err_len, "NUL in the server's answer"), -1;
  const char *line = buf, *stop = buf + head_end - 2; /* the last CRLF ends the head */
  const char *eol = memmem(line, (size_t)(stop + 2 - line), "\r\n", 2);
  /* Status line: HTTP/1.1 101 <reason> */
  size_t status_len = (size_t)(eol - line);
  if (status_len < 12 || strncmp(line, "HTTP/1.1 ", 9) != 0 || (status_len > 12 && line[12] != ' ') ||
      line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9') {
    char quoted[64];
    copy_printable(quoted, sizeof quoted, line, (size_t)(eol - line));
    return set_err(err, err_len, "not an HTTP/1.1 answer: \"%s\"", quoted), -1;
  }
  if (strncmp(line + 9, "101", 3) != 0) {
    char quoted[96];
    copy_printable(quoted, sizeof quoted, line, (size_t)(eol - line));
    return set_err(err, err_len, "the server refused the WebSocket: \"%s\" (is the URL's path the signalling one, /ws?)",
                   quoted), -1;
  }
  bool upgrade = false, connection = false;
  int accepts = 0;
  for (line = eol + 2; line < stop; line = eol + 2) {
    eol = memmem(line, (size_t)(stop + 2 - line), "\r\n", 2); /* found: the head ends with CRLF */
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon || colon == line) return set_err(err, err_len, "malformed header line in the server's answer"), -1;
    for (const char *q = line; q < colon; q++)
      if (!token_char(*q)) return set_err(err, err_len, "malformed header name in the server's answer"), -1;
    const char *v = colon + 1, *v_end = eol;
    while (v < v_end && (*v == ' ' || *v == '\t')) v++;
    while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) v_end--;
    size_t name_len = (size_t)(colon - line), vn = (size_t)(v_end - v);
    if (header_is(line, name_len, "Upgrade")) upgrade = upgrade || has_token(v, vn, "websocket");
    else if (header_is(line, name_len, "Connection")) connection = connection || has_token(v, vn, "upgrade");
    else if (header_is(line, name_len, "Sec-WebSocket-Accept")) {
      accepts++;
      if (!expected_accept || vn != strlen(expected_accept) || memcmp(v, expected_accept, vn) != 0)
        return set_err(err, err_len, "wrong Sec-WebSocket-Accept from the server"), -1;
    } else if ((header_is(line, name_len, "Sec-WebSocket-Extensions") ||
                header_is(line, name_len, "Sec-WebSocket-Protocol")) && vn > 0) {
      return set_err(err, err_len, "the server chose an extension or subprotocol that was not offered"), -1;
    }
  }
  if (!upgrade) return set_err(err, err_len, "no \"Upgrade: websocket\" in the server's answer"), -1;
  if (!connection) return set_err(err, err_len, "no \"Connection: upgrade\" in the server's answer"), -1;
  if (accepts != 1) return set_err(err, err_len, "%s Sec-WebSocket-Accept in the server's answer", accepts ? "more than one" : "no"), -1;
  return (long)head_end;
}

/* ---- lifecycle --------------------------------------------------------- */

static void flush(sc_ws *c);

/* Frees c once nothing of it is left on the loop; calls on_close first. */
static void maybe_free(sc_ws *c) {
  if (!c->finishing || c->timer_open || c->tcp_open || c->gai_pending || (c->sink && !c->sink_done)) return;
  c->state = ST_DONE;
  if (c->cb.on_close) c->cb.on_close(c->ctx, c->result_code, c->result_reason);
  if (c->addrs) uv_freeaddrinfo(c->addrs);
  if (c->ws) wslay_event_context_free(c->ws);
  free(c->rbuf);
  OPENSSL_cleanse(c->key, sizeof c->key);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  sc_ws *c = h->data;
  if (h == (uv_handle_t *)&c->timer) c->timer_open = false;
  else c->tcp_open = false;
  maybe_free(c);
}

/* Ends the connection now (no more I/O) and reports code and reason; the
 * first call decides what on_close says. */
static void finish(sc_ws *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(sc_ws *c, int code, const char *fmt, ...) {
  if (c->finishing) return;
  c->finishing = true;
  c->result_code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->result_reason, sizeof c->result_reason, fmt, ap);
  va_end(ap);
  if (c->gai_pending) uv_cancel((uv_req_t *)&c->gai);
  if (c->timer_open && !uv_is_closing((uv_handle_t *)&c->timer)) uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  maybe_free(c);
}

/* The code and reason on_close reports once the WebSocket has ended. */
static void finish_ws(sc_ws *c, const char *why_abnormal) {
  if (c->got_peer_close) {
    finish(c, c->peer_code, "%s", c->peer_reason);
    return;
  }
  if (c->ws && wslay_event_get_close_sent(c->ws)) {
    int code = wslay_event_get_status_code_sent(c->ws);
    const char *reason = c->user_closed && code == c->user_code ? c->close_reason
                         : code == WSLAY_CODE_MESSAGE_TOO_BIG   ? "message too large"
                         : code == WSLAY_CODE_PROTOCOL_ERROR    ? "protocol error"
                         : code == WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA ? "invalid frame payload (UTF-8)"
                         : code == WSLAY_CODE_POLICY_VIOLATION && c->policy_reason ? c->policy_reason
                                                                : c->close_reason;
    finish(c, code, "%s", reason);
    return;
  }
  finish(c, 1006, "%s", why_abnormal);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  sc_ws *c = req->data;
  finish_ws(c, "connection closed");
}

/* Both close frames have passed (or wslay gave up reading and writing):
 * let the queued writes go out, then close. */
static void end_gracefully(sc_ws *c) {
  if (c->shutting_down || c->finishing) return;
  c->shutting_down = true;
  if (c->sink) {
    finish_ws(c, "connection closed");
    return;
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->shutdown_req.data = c;
  if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) finish_ws(c, "connection closed");
}

/* ---- wslay callbacks --------------------------------------------------- */

typedef struct {
  uv_write_t req;
  sc_ws *c;
  size_t len;
  uv_buf_t buf;
} write_req;

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  sc_ws *c = w->c;
  c->writing -= w->len;
  free(w);
  if (c->finishing) return;
  if (status < 0) {
    finish_ws(c, "write failed");
    return;
  }
  flush(c);
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user) {
  sc_ws *c = user;
  if (c->sink) {
    c->stats.bytes_out += len;
    return (ssize_t)len;
  }
  if (c->writing >= WRITE_HIGH) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  write_req *w = malloc(sizeof *w + len);
  if (!w) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  memcpy(w + 1, data, len);
  w->c = c;
  w->len = len;
  w->buf = uv_buf_init((char *)(w + 1), (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) != 0) {
    free(w);
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  c->writing += len;
  c->stats.bytes_out += len;
  return (ssize_t)len;
}

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user) {
  sc_ws *c = user;
  if (c->in_len == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  size_t n = c->in_len < len ? c->in_len : len;
  memcpy(buf, c->in, n);
  c->in += n;
  c->in_len -= n;
  return (ssize_t)n;
}

static int ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user) {
  return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void ws_frame_start_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_start_arg *arg,
                              void *user) {
  sc_ws *c = user;
  if (arg->opcode & 0x8) return; /* control frames: wslay checks them (<= 125 bytes, not fragmented) */
  if (arg->opcode != WSLAY_CONTINUATION_FRAME) c->msg_frames = 0;
  if (++c->msg_frames == MAX_FRAGMENTS + 1) {
    /* wslay keeps each fragment in its own buffer: tiny fragments would
     * cost far more than their size. */
    wslay_event_shutdown_read(ctx);
    c->policy_reason = "too many fragments";
    wslay_event_queue_close(ctx, WSLAY_CODE_POLICY_VIOLATION, (const uint8_t *)"too many fragments", 18);
  }
}

static void ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user) {
  sc_ws *c = user;
  if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
    c->got_peer_close = true;
    c->peer_code = arg->status_code;
    if (c->peer_code < 1000 || c->peer_code > 4999) c->peer_code = WSLAY_CODE_PROTOCOL_ERROR; /* not a valid code */
    size_t n = arg->msg_length > 2 ? arg->msg_length - 2 : 0;
    copy_printable(c->peer_reason, sizeof c->peer_reason, n ? (const char *)arg->msg + 2 : "", n);
    if (!c->peer_reason[0] && c->peer_code == WSLAY_CODE_NO_STATUS_RCVD)
      snprintf(c->peer_reason, sizeof c->peer_reason, "closed without a status code");
    return;
  }
  if (arg->opcode == WSLAY_PING) {
    c->stats.pings_in++;
    /* wslay queues a pong for every ping. A server that pings without
     * reading would grow that queue without bound: past
     * SC_WS_MAX_QUEUED_CONTROL waiting frames, or SC_WS_MAX_QUEUED bytes, the
     * connection is closed (as a read limit of our own, 1008). */
    if (wslay_event_get_queued_msg_count(ctx) > SC_WS_MAX_QUEUED_CONTROL ||
        wslay_event_get_queued_msg_length(ctx) > SC_WS_MAX_QUEUED) {
      wslay_event_shutdown_read(ctx);
      c->policy_reason = "ping flood";
      wslay_event_queue_close(ctx, WSLAY_CODE_POLICY_VIOLATION, (const uint8_t *)"ping flood", 10);
      return;
    }
  }
  if (arg->opcode == WSLAY_TEXT_FRAME && !c->user_closed && !c->finishing && c->cb.on_text) {
    c->stats.messages_in++;
    c->cb.on_text(c->ctx, arg->msg_length ? (const char *)arg->msg : "", arg->msg_length);
  }
  /* Binary frames are not part of the protocol: ignored. */
}

static const struct wslay_event_callbacks ws_callbacks = {
    ws_recv_cb, ws_send_cb, ws_genmask_cb, ws_frame_start_cb, NULL, NULL, ws_msg_cb};

/* Sends what wslay has queued (once the handshake is done); queues the
 * user's close frame once the messages before it are out; ends the
 * connection when wslay neither reads nor writes any more. */
static void flush(sc_ws *c) {
  if (c->finishing || c->state != ST_OPEN || c->shutting_down || c->in_recv) return;
  if (c->close_code && wslay_event_get_queued_msg_count(c->ws) == 0) {
    wslay_event_queue_close(c->ws, (uint16_t)c->close_code, (const uint8_t *)c->close_reason, strlen(c->close_reason));
    c->close_code = 0;
    c->deadline_ms = now_ms(c) + SC_WS_CLOSE_TIMEOUT_MS;
  }
  if (wslay_event_want_write(c->ws) && wslay_event_send(c->ws) != 0) {
    finish_ws(c, "write failed");
    return;
  }
  if (wslay_event_get_close_sent(c->ws) && !c->deadline_ms)
    c->deadline_ms = now_ms(c) + SC_WS_CLOSE_TIMEOUT_MS; /* wslay closed (too large, protocol error) */
  if (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws)) end_gracefully(c);
}

/* ---- I/O --------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  sc_ws *c = h->data;
  *buf = uv_buf_init(c->rbuf, READ_BUF);
}

/* Feeds bytes to wslay; on_text and the peer's close come from here. */
static void feed(sc_ws *c, const char *data, size_t len) {
  c->in = (const uint8_t *)data;
  c->in_len = len;
  if (len) c->last_rx_ms = now_ms(c);
  c->in_recv = true;
  int rc = wslay_event_want_read(c->ws) ? wslay_event_recv(c->ws) : 0;
  c->in_recv = false;
  if (rc != 0) { /* out of memory or a frame wslay refused: close with 1002 */
    wslay_event_shutdown_read(c->ws);
    if (!wslay_event_get_close_sent(c->ws))
      wslay_event_queue_close(c->ws, WSLAY_CODE_PROTOCOL_ERROR, (const uint8_t *)"protocol error", 14);
  }
  c->in_len = 0; /* wslay no longer reads (close or shutdown): the rest is dropped */
  flush(c);
}

static void open_ws(sc_ws *c, long head_len) {
  c->state = ST_OPEN;
  c->deadline_ms = 0;
  c->last_rx_ms = now_ms(c);
  if (c->cb.on_open) c->cb.on_open(c->ctx);
  if (c->finishing) return;
  /* What followed the head is already WebSocket data. */
  feed(c, c->head + head_len, c->head_len - (size_t)head_len);
}

/* Bytes from the server: the 101 answer (collected, bounded, checked once
 * complete), then WebSocket frames. */
static void input(sc_ws *c, const char *data, size_t len) {
  c->stats.bytes_in += len;
  if (c->state == ST_OPEN) {
    if (!c->shutting_down) feed(c, data, len);
    return;
  }
  size_t room = sizeof c->head - c->head_len, n = len < room ? len : room;
  memcpy(c->head + c->head_len, data, n);
  c->head_len += n;
  char err[160];
  long r = sc_ws_check_response(c->head, c->head_len, c->accept, err, sizeof err);
  if (r < 0) {
    finish(c, 1006, "handshake failed: %s", err);
    return;
  }
  if (r == 0) return;
  open_ws(c, r);
  /* The head filled the buffer and WebSocket bytes followed: feed them too. */
  if (n < len && !c->finishing && !c->shutting_down) feed(c, data + n, len - n);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sc_ws *c = s->data;
  if (c->finishing || nread == 0) return;
  if (nread < 0) {
    if (c->state == ST_HANDSHAKE)
      finish(c, 1006, "the server closed the connection during the handshake%s%s",
             nread == UV_EOF ? "" : ": ", nread == UV_EOF ? "" : uv_strerror((int)nread));
    else
      finish_ws(c, nread == UV_EOF ? "connection closed without a close frame" : uv_strerror((int)nread));
    return;
  }
  input(c, buf->base, (size_t)nread);
}

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
  char text[];
} request_write;

static void on_request_written(uv_write_t *req, int status) {
  request_write *w = (request_write *)req;
  sc_ws *c = req->data;
  free(w);
  if (status < 0 && !c->finishing) finish(c, 1006, "sending the handshake failed: %s", uv_strerror(status));
}

static void send_request(sc_ws *c) {
  uint8_t nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1 ||
      sr_base64_encode(nonce, sizeof nonce, c->key, sizeof c->key, NULL, SR_BASE64_STD) != SR_BASE64_OK ||
      sc_ws_accept_value(c->key, c->accept, sizeof c->accept) != 0) {
    finish(c, 1006, "no random key for the handshake");
    return;
  }
#define REQUEST_FMT                                                                              \
  "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                   \
  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: sealroom-client\r\n\r\n"
  int n = snprintf(NULL, 0, REQUEST_FMT, c->url.path, c->url.host_header, c->key);
  request_write *w = n > 0 ? malloc(sizeof *w + (size_t)n + 1) : NULL;
  if (!w) {
    finish(c, 1006, "out of memory");
    return;
  }
  snprintf(w->text, (size_t)n + 1, REQUEST_FMT, c->url.path, c->url.host_header, c->key);
  w->buf = uv_buf_init(w->text, (unsigned)n);
  c->stats.bytes_out += (uint64_t)n;
  w->req.data = c;
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_request_written);
  if (rc != 0) {
    free(w);
    finish(c, 1006, "sending the handshake failed: %s", uv_strerror(rc));
    return;
  }
  c->state = ST_HANDSHAKE;
  if ((rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) != 0)
    finish(c, 1006, "cannot read: %s", uv_strerror(rc));
}

static void try_next_address(sc_ws *c);
static void on_retry_closed(uv_handle_t *h);

static void on_connect(uv_connect_t *req, int status) {
  sc_ws *c = req->data;
  if (c->finishing) return;
  if (status < 0) {
    snprintf(c->last_connect_error, sizeof c->last_connect_error, "%s", uv_strerror(status));
    c->retrying = true;
    uv_close((uv_handle_t *)&c->tcp, on_retry_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  send_request(c);
}

/* Called when the tcp handle of a failed attempt has closed. */
static void on_retry_closed(uv_handle_t *h) {
  sc_ws *c = h->data;
  c->tcp_open = false;
  c->retrying = false;
  if (c->finishing) {
    maybe_free(c);
    return;
  }
  try_next_address(c);
}

static void try_next_address(sc_ws *c) {
  while (c->next_addr) {
    struct addrinfo *ai = c->next_addr;
    c->next_addr = ai->ai_next;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    int rc = uv_tcp_init(c->loop, &c->tcp);
    if (rc != 0) {
      finish(c, 1006, "cannot create a socket: %s", uv_strerror(rc));
      return;
    }
    c->tcp_open = true;
    c->tcp.data = c;
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, ai->ai_addr, on_connect);
    if (rc == 0) return;
    snprintf(c->last_connect_error, sizeof c->last_connect_error, "%s", uv_strerror(rc));
    uv_close((uv_handle_t *)&c->tcp, on_retry_closed);
    return;
  }
  finish(c, 1006, "cannot connect to %s port %s: %s", c->url.host, c->url.port,
         c->last_connect_error[0] ? c->last_connect_error : "no address");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  sc_ws *c = req->data;
  c->gai_pending = false;
  c->addrs = res;
  c->next_addr = res;
  if (c->finishing) {
    maybe_free(c);
    return;
  }
  if (status < 0) {
    finish(c, 1006, "cannot resolve %s: %s", c->url.host, uv_strerror(status));
    return;
  }
  try_next_address(c);
}

static void on_tick(uv_timer_t *t) {
  sc_ws *c = t->data;
  uint64_t now = now_ms(c);
  if (c->finishing) return;
  if (c->result_code) { /* a failure found in sc_ws_connect, reported from the loop */
    int code = c->result_code;
    char reason[sizeof c->result_reason];
    memcpy(reason, c->result_reason, sizeof reason);
    c->result_code = 0;
    finish(c, code, "%s", reason);
    return;
  }
  if (c->state != ST_OPEN) {
    if (now >= c->deadline_ms)
      finish(c, 1006, "no WebSocket to %s within %d s (%s)", c->url.host_header, SC_WS_HANDSHAKE_TIMEOUT_MS / 1000,
             c->state == ST_HANDSHAKE ? "no answer to the upgrade request" : "connecting");
    return;
  }
  if (c->deadline_ms && now >= c->deadline_ms) {
    finish_ws(c, "closing timed out");
    return;
  }
  if (!c->deadline_ms && now - c->last_rx_ms >= SC_WS_IDLE_TIMEOUT_MS)
    finish(c, 1006, "server silent for %d s", SC_WS_IDLE_TIMEOUT_MS / 1000);
}

/* ---- API --------------------------------------------------------------- */

sc_ws *sc_ws_connect(uv_loop_t *loop, const char *url, const sc_ws_callbacks *cb, void *ctx) {
  if (!loop || !url || !cb) return NULL;
  sc_ws *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->rbuf = malloc(READ_BUF);
  if (!c->rbuf || wslay_event_context_client_init(&c->ws, &ws_callbacks, c) != 0 ||
      uv_timer_init(loop, &c->timer) != 0) {
    if (c->ws) wslay_event_context_free(c->ws);
    free(c->rbuf);
    free(c);
    return NULL;
  }
  wslay_event_config_set_max_recv_msg_length(c->ws, SC_WS_MAX_MESSAGE);
  c->loop = loop;
  c->cb = *cb;
  c->ctx = ctx;
  c->timer.data = c;
  c->timer_open = true;
  c->state = ST_CONNECTING;
  c->deadline_ms = uv_now(loop) + SC_WS_HANDSHAKE_TIMEOUT_MS;
  char err[160];
  if (sc_ws_parse_url(url, &c->url, err, sizeof err) != 0) {
    /* Reported by on_tick, on the loop: no callback from inside this call. */
    c->result_code = 1006;
    snprintf(c->result_reason, sizeof c->result_reason, "bad URL: %s", err);
    uv_timer_start(&c->timer, on_tick, 0, 0);
    return c;
  }
  uv_timer_start(&c->timer, on_tick, TICK_MS, TICK_MS);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  c->gai.data = c;
  int rc = uv_getaddrinfo(loop, &c->gai, on_resolved, c->url.host, c->url.port, &hints);
  if (rc != 0) {
    c->result_code = 1006;
    snprintf(c->result_reason, sizeof c->result_reason, "cannot resolve %s: %s", c->url.host, uv_strerror(rc));
    uv_timer_start(&c->timer, on_tick, 0, 0);
    return c;
  }
  c->gai_pending = true;
  return c;
}

int sc_ws_send_text(sc_ws *c, const char *data, size_t len) {
  if (!c || c->finishing || c->user_closed || c->shutting_down || c->state == ST_DONE) return -1;
  if (!data || len > SC_WS_MAX_MESSAGE) return -1;
  if (wslay_event_get_close_sent(c->ws) || sc_ws_queued_bytes(c) + len > SC_WS_MAX_QUEUED) return -1;
  struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
  if (wslay_event_queue_msg(c->ws, &msg) != 0) return -1;
  c->stats.messages_out++;
  flush(c);
  return 0;
}

size_t sc_ws_queued_bytes(const sc_ws *c) {
  if (!c || !c->ws) return 0;
  return wslay_event_get_queued_msg_length(c->ws) + c->writing;
}

void sc_ws_close(sc_ws *c, int code, const char *reason) {
  if (!c || c->finishing || c->user_closed || c->state == ST_DONE) return;
  c->user_closed = true;
  if (c->state != ST_OPEN) {
    finish(c, 1006, "closed before open");
    return;
  }
  if (code < 1000 || code > 4999 || code == 1004 || code == 1005 || code == 1006 || code == 1015) code = 1000;
  c->close_code = c->user_code = code;
  size_t n = reason ? strnlen(reason, REASON_MAX) : 0;
  /* Do not cut a UTF-8 sequence in two. */
  while (n > 0 && n == REASON_MAX && ((unsigned char)reason[n] & 0xc0) == 0x80) n--;
  if (n) memcpy(c->close_reason, reason, n);
  c->close_reason[n] = '\0';
  c->deadline_ms = now_ms(c) + SC_WS_CLOSE_TIMEOUT_MS;
  flush(c);
}

void sc_ws_get_stats(const sc_ws *c, sc_ws_stats *out) {
  if (!out) return;
  if (!c) memset(out, 0, sizeof *out);
  else *out = c->stats;
}

/* ---- fuzzing ----------------------------------------------------------- */

size_t sc_ws_fuzz_input(const uint8_t *data, size_t len, size_t chunk, const sc_ws_callbacks *cb, void *ctx) {
  sc_ws *c = calloc(1, sizeof *c);
  if (!c) return 0;
  if (wslay_event_context_client_init(&c->ws, &ws_callbacks, c) != 0) {
    free(c);
    return 0;
  }
  wslay_event_config_set_max_recv_msg_length(c->ws, SC_WS_MAX_MESSAGE);
  if (cb) c->cb = *cb;
  c->ctx = ctx;
  c->sink = true;
  c->state = ST_HANDSHAKE;
  snprintf(c->key, sizeof c->key, "dGhlIHNhbXBsZSBub25jZQ==");
  snprintf(c->accept, sizeof c->accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  if (chunk == 0) chunk = 1;
  for (size_t off = 0; off < len && !c->finishing; off += chunk)
    input(c, (const char *)data + off, len - off < chunk ? len - off : chunk);
  if (!c->finishing) {
    if (c->state == ST_OPEN) sc_ws_close(c, 1000, "fuzz input over");
    finish_ws(c, "fuzz input over");
  }
  size_t delivered = (size_t)c->stats.messages_in;
  c->sink_done = true;
  maybe_free(c);
  return delivered;
}
