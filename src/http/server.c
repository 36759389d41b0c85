/* libmicrohttpd in external-epoll mode on the libuv loop. Lifecycle:
 * http_server_start -> (requests) -> http_server_stop, which stops MHD and
 * frees the server from the handles' close callbacks. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http.h"

/* A connection, from MHD's "started" notification to "closed": whether the
 * headers of its current request are in, and since when it waits for them. */
typedef struct conn_watch {
  struct MHD_Connection *conn;
  int fd;
  uint64_t waiting_since_ms;
  int headers_in;
  int upgraded; /* a WebSocket now: no more requests, no deadline */
  struct conn_watch *prev, *next;
} conn_watch;

struct http_server {
  struct MHD_Daemon *daemon;
  uv_poll_t poll;
  uv_timer_t timer;
  uv_timer_t sweep; /* header deadlines, once a second */
  http_options opts;
  int port;
  int open_handles;
  conn_watch *watches;
};

/* Per-request state, from the first access-handler call to completion. */
/* A declared body over the limit but under this is read and dropped, so the
 * client (which is still sending) can read the 413; beyond it the connection
 * is answered at once and closed. */
#define DISCARD_MAX (16u * 1024 * 1024)

typedef struct {
  char *body;
  size_t len, cap;
  int too_large;
  size_t discarded; /* bytes read and dropped after the limit */
  /* A 101 response's target, until on_upgraded hands it over; released with
   * upgrade_free if the connection ends first. */
  http_upgrade_fn upgrade;
  void *upgrade_ctx;
  void (*upgrade_free)(void *ctx);
} request_state;

static void schedule(http_server *s);

static void drive(http_server *s) {
  MHD_run(s->daemon);
  schedule(s);
}

static void on_poll(uv_poll_t *h, int status, int events) { drive(h->data); }
static void on_timer(uv_timer_t *h) { drive(h->data); }

/* Slow clients (slowloris): a connection whose request headers are not in
 * within the deadline is shut down; MHD then sees the end of the stream and
 * closes it. MHD's own timeout only catches connections that send nothing. */
static void on_sweep(uv_timer_t *h) {
  http_server *s = h->data;
  uint64_t now = uv_now(h->loop);
  int cut = 0;
  for (conn_watch *w = s->watches; w; w = w->next) {
    if (w->headers_in || w->upgraded || w->fd < 0 || now - w->waiting_since_ms < s->opts.header_timeout_ms) continue;
    shutdown(w->fd, SHUT_RDWR);
    w->fd = -1; /* once */
    cut++;
  }
  if (cut) {
    log_debug("http: %d connection(s) without complete headers after %u ms, closed", cut,
              s->opts.header_timeout_ms);
    drive(s);
  }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
  http_server *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    conn_watch *w = calloc(1, sizeof *w);
    if (!w) return; /* unwatched: MHD's idle timeout still applies */
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    w->conn = c;
    w->fd = ci ? ci->connect_fd : -1;
    w->waiting_since_ms = uv_now(s->poll.loop);
    w->next = s->watches;
    if (s->watches) s->watches->prev = w;
    s->watches = w;
    *socket_ctx = w;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    conn_watch *w = *socket_ctx;
    if (!w) return;
    if (w->prev) w->prev->next = w->next; else s->watches = w->next;
    if (w->next) w->next->prev = w->prev;
    free(w);
    *socket_ctx = NULL;
  }
}

static conn_watch *watch_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* Re-arms the timer with MHD's next deadline (connection timeouts, or 0
 * when MHD has buffered work left). */
static void schedule(http_server *s) {
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(s->daemon, &ms) == MHD_YES) {
    uv_timer_start(&s->timer, on_timer, ms > 60000 ? 60000 : ms, 0);
  } else {
    uv_timer_start(&s->timer, on_timer, 1000, 0);
  }
}

static const char *status_reason(int status) {
  switch (status) {
    case 400:
      return "{\"message\":\"Ambiguous request framing: use one Content-Length or Transfer-Encoding: chunked, not both.\"}";
    case 413: return "{\"message\":\"The request body is too large (limit 64 KiB).\"}";
    default: return "{\"message\":\"Internal server error.\"}";
  }
}

/* Takes a connection that MHD has switched to the upgraded protocol. The
 * target (in the request's state) becomes the callee's; a request whose
 * upgrade never happens releases it in on_completed. */
static void on_upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra,
                        size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
  request_state *st = con_cls;
  http_upgrade_fn fn = st ? st->upgrade : NULL;
  void *ctx = st ? st->upgrade_ctx : NULL;
  if (st) {
    st->upgrade = NULL;
    st->upgrade_ctx = NULL;
    st->upgrade_free = NULL;
  }
  int flags = fcntl(sock, F_GETFL, 0);
  if (!fn || flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0) {
    if (fn) fn(ctx, -1, NULL, 0, NULL); /* the callee releases ctx */
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    return;
  }
  /* libmicrohttpd leaves Nagle's algorithm on for the upgraded socket
   * (TCP_NODELAY 0 after the 101 response). A WebSocket carries small
   * messages that must leave at once: with Nagle, a message written while the
   * previous one is unacknowledged waits for the peer's delayed ACK (40 ms
   * on Linux), which delayed signalling and every relayed E2EE statement. */
  int one = 1;
  if (setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) log_warn("http: TCP_NODELAY on an upgraded socket failed");
  fn(ctx, sock, extra, extra_len, urh);
}

void http_upgraded_close(void *handle) {
  MHD_upgrade_action(handle, MHD_UPGRADE_ACTION_CLOSE);
}

static enum MHD_Result send_response(struct MHD_Connection *c, http_response *res, int close) {
  struct MHD_Response *r;
  if (res->upgrade) {
    r = MHD_create_response_for_upgrade(on_upgraded, NULL);
  } else if (res->file_fd >= 0) {
    r = MHD_create_response_from_fd(res->file_size, res->file_fd);
    if (r) res->file_fd = -1; /* now MHD's to close */
  } else {
    r = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : (void *)"",
                                        res->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r) res->body = NULL; /* now MHD's to free */
  }
  if (!r) return MHD_NO; /* the caller frees body / closes file_fd */
  if (res->content_type) MHD_add_response_header(r, "Content-Type", res->content_type);
  for (int i = 0; i < res->n_headers; i++)
    MHD_add_response_header(r, res->headers[i][0], res->headers[i][1]);
  if (close) MHD_add_response_header(r, "Connection", "close");
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
  MHD_destroy_response(r);
  return ok;
}

static void init_response(http_response *res) {
  memset(res, 0, sizeof *res);
  res->file_fd = -1;
}

static enum MHD_Result respond_error(http_server *s, struct MHD_Connection *c, const char *method,
                                     int status) {
  http_response res;
  init_response(&res);
  http_set_text(&res, status, "application/json", status_reason(status));
  if (s->opts.observer) s->opts.observer(s->opts.ctx, method, "other", status);
  return send_response(c, &res, 1);
}

static void client_ip(struct MHD_Connection *c, char *out, size_t cap) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(out, cap, "unknown");
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

static int append_body(request_state *st, const char *data, size_t n, size_t max) {
  if (st->too_large || st->len + n > max) {
    st->too_large = 1;
    st->discarded += n;
    return st->discarded > DISCARD_MAX ? -1 : 0; /* -1: stop reading, drop the connection */
  }
  if (st->len + n + 1 > st->cap) {
    size_t cap = st->cap ? st->cap : 1024;
    while (cap < st->len + n + 1) cap *= 2;
    char *b = realloc(st->body, cap);
    if (!b) return -1;
    st->body = b;
    st->cap = cap;
  }
  memcpy(st->body + st->len, data, n);
  st->len += n;
  st->body[st->len] = '\0';
  return 0;
}

/* Framing headers of a request, counted (names compare case-insensitively). */
typedef struct {
  int content_length, transfer_encoding, bad_length;
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  framing *f = cls;
  if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    f->content_length++;
    if (!value || !*value || strspn(value, "0123456789") != strlen(value)) f->bad_length = 1;
  } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    f->transfer_encoding++;
  }
  return MHD_YES;
}

/* RFC 9112 6.3: a request with both Content-Length and Transfer-Encoding,
 * with more than one of either, or with a Content-Length that is not plain
 * digits, can be framed differently by a proxy in front of us than by us
 * (request smuggling). Such a request is refused, and its connection closed. */
static int ambiguous_framing(struct MHD_Connection *c) {
  framing f = {0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
  return f.bad_length || f.content_length > 1 || f.transfer_encoding > 1 ||
         (f.content_length && f.transfer_encoding);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  http_server *s = cls;
  request_state *st = *con_cls;
  if (!st) {
    conn_watch *w = watch_of(c);
    if (w) w->headers_in = 1;
    st = calloc(1, sizeof *st);
    if (!st) return MHD_NO;
    *con_cls = st;
    if (ambiguous_framing(c)) return respond_error(s, c, method, 400);
    /* Refuse a declared oversized body before reading any of it. */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > s->opts.max_body) {
      st->too_large = 1;
      /* With "Expect: 100-continue" the client waits: answer before the body. */
      if (expect || declared > DISCARD_MAX) return respond_error(s, c, method, 413);
    }
    return MHD_YES;
  }
  if (*upload_size > 0) {
    if (append_body(st, upload, *upload_size, s->opts.max_body) < 0) return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  if (st->too_large) return respond_error(s, c, method, 413);

  http_request req = {.method = method, .path = url, .body = st->body ? st->body : "",
                      .body_len = st->len, .conn_ = c};
  client_ip(c, req.client_ip, sizeof req.client_ip);
  http_response res;
  init_response(&res);
  const char *label = "other";
  s->opts.handler(s->opts.ctx, &req, &res, &label);
  if (res.status == 0) http_set_text(&res, 500, "application/json", status_reason(500));
  if (s->opts.observer) s->opts.observer(s->opts.ctx, method, label, res.status);
  if (res.upgrade) {
    conn_watch *w = watch_of(c);
    if (w) w->upgraded = 1;
    st->upgrade = res.upgrade;
    st->upgrade_ctx = res.upgrade_ctx;
    st->upgrade_free = res.upgrade_free;
  }
  enum MHD_Result ok = send_response(c, &res, 0);
  free(res.body);
  if (res.file_fd >= 0) close(res.file_fd);
  return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  http_server *s = cls;
  conn_watch *w = watch_of(c);
  if (w && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
    /* Kept alive: the next request's headers have their own deadline
     * (an upgraded connection never gets here again). */
    w->headers_in = 0;
    w->waiting_since_ms = uv_now(s->poll.loop);
  }
  request_state *st = *con_cls;
  if (!st) return;
  if (st->upgrade_ctx && st->upgrade_free) st->upgrade_free(st->upgrade_ctx); /* never upgraded */
  free(st->body);
  free(st);
  *con_cls = NULL;
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Decodes %HH escapes in paths and query values, except %00, which is left
 * as the three characters "%00": a NUL must never cut a path short (e.g.
 * /dashboard/%00../x must not become /dashboard/). Never lengthens s. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s) {
  char *w = s;
  for (const char *r = s; *r; r++) {
    int hi, lo;
    if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0 && (hi | lo)) {
      *w++ = (char)(hi << 4 | lo);
      r += 2;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
  return (size_t)(w - s);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  log_debug("http: %s", line);
}

http_server *http_server_start(uv_loop_t *loop, const http_options *opts) {
  http_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->opts = *opts;
  if (!s->opts.max_connections) s->opts.max_connections = 1024;
  if (!s->opts.per_ip_connections) s->opts.per_ip_connections = 256;
  if (!s->opts.header_timeout_ms) s->opts.header_timeout_ms = 10000;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;
  if (strchr(opts->listen, ':')) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET6, opts->listen, &a6->sin6_addr) != 1) goto bad_addr;
    flags |= MHD_USE_IPv6;
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->listen, &a4->sin_addr) != 1) goto bad_addr;
  }
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)opts->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_CONNECTION_LIMIT, s->opts.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->opts.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
      NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
  if (!s->daemon) {
    log_error("http: cannot listen on %s port %d (in use, or not allowed)", opts->listen, opts->port);
    free(s);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : opts->port;
  info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
  if (!info || uv_poll_init(loop, &s->poll, info->epoll_fd) != 0) {
    log_error("http: cannot watch the HTTP event fd");
    MHD_stop_daemon(s->daemon);
    free(s);
    return NULL;
  }
  uv_timer_init(loop, &s->timer);
  uv_timer_init(loop, &s->sweep);
  s->poll.data = s->timer.data = s->sweep.data = s;
  s->open_handles = 3;
  uv_timer_start(&s->sweep, on_sweep, 1000, 1000);
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  schedule(s);
  return s;

bad_addr:
  log_error("http: invalid listen address '%s'", opts->listen);
  free(s);
  return NULL;
}

int http_server_port(const http_server *s) { return s->port; }

static void on_handle_closed(uv_handle_t *h) {
  http_server *s = h->data;
  if (--s->open_handles == 0) free(s);
}

void http_server_stop(http_server *s) {
  if (!s) return;
  uv_poll_stop(&s->poll);
  uv_timer_stop(&s->timer);
  uv_timer_stop(&s->sweep);
  MHD_stop_daemon(s->daemon); /* notifies every connection closed: the watches go */
  s->daemon = NULL;
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
  uv_close((uv_handle_t *)&s->sweep, on_handle_closed);
}

const char *http_header(const http_request *req, const char *name) {
  return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *http_query(const http_request *req, const char *name) {
  return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

void http_set_header(http_response *res, const char *name, const char *value) {
  if (res->n_headers >= HTTP_MAX_HEADERS) return;
  snprintf(res->headers[res->n_headers][0], sizeof res->headers[0][0], "%s", name);
  snprintf(res->headers[res->n_headers][1], sizeof res->headers[0][1], "%s", value);
  res->n_headers++;
}

void http_set_body(http_response *res, int status, const char *content_type, char *body, size_t len) {
  free(res->body);
  res->status = status;
  res->content_type = content_type;
  res->body = body;
  res->body_len = len;
}

void http_set_text(http_response *res, int status, const char *content_type, const char *text) {
  size_t n = strlen(text);
  char *copy = malloc(n + 1);
  if (copy) memcpy(copy, text, n + 1);
  http_set_body(res, status, content_type, copy, copy ? n : 0);
}
