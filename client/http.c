/* Minimal HTTP/1.1 client (client/http.h) for Janus's REST API: one request
 * per connection, the whole response buffered (bounded) and parsed by
 * sc_http_parse_response after every read, the callback once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/http.h"
#include "core/strbuf.h"

#define READ_CHUNK 65536

struct sc_http_req {
  uv_loop_t *loop;
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_getaddrinfo_t gai;
  uv_connect_t conn;
  uv_write_t wr;
  int open_handles;
  bool gai_pending, done, cancelled, tcp_open;
  sc_http_cb cb;
  void *ctx;
  sc_http_url url;
  char *out;
  size_t out_len;
  char *in;
  size_t in_len, in_cap; /* in_cap: allocated bytes, one kept spare for the NUL */
  char early_err[96];    /* a failure inside sc_http_request, reported from the timer */
};

/* ---- URL ---- */

int sc_http_parse_url(const char *url, sc_http_url *out, char *err, size_t errcap) {
  if (!url || !out) return strbuf_fail(err, errcap, "no URL");
  memset(out, 0, sizeof *out);
  size_t n = strnlen(url, SC_HTTP_MAX_URL + 1);
  if (n > SC_HTTP_MAX_URL) return strbuf_fail(err, errcap, "URL too long");
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) return strbuf_fail(err, errcap, "control character or space in URL");
  if (strncasecmp(url, "https://", 8) == 0) return strbuf_fail(err, errcap, "https:// is not supported");
  if (strncasecmp(url, "http://", 7) != 0) return strbuf_fail(err, errcap, "not an http:// URL");
  const char *p = url + 7, *end = url + n;
  const char *auth_end = p;
  while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') auth_end++;
  if (memchr(url, '#', n)) return strbuf_fail(err, errcap, "fragment in URL");
  if (memchr(p, '@', (size_t)(auth_end - p))) return strbuf_fail(err, errcap, "user info in URL");
  const char *host = p, *host_end, *port = NULL;
  if (p < auth_end && *p == '[') {
    host = p + 1;
    host_end = memchr(host, ']', (size_t)(auth_end - host));
    if (!host_end) return strbuf_fail(err, errcap, "unterminated [IPv6] host");
    const char *after = host_end + 1;
    if (after < auth_end) {
      if (*after != ':') return strbuf_fail(err, errcap, "junk after ]");
      port = after + 1;
    }
  } else {
    host_end = memchr(p, ':', (size_t)(auth_end - p));
    if (host_end) port = host_end + 1;
    else host_end = auth_end;
  }
  size_t hl = (size_t)(host_end - host);
  if (hl == 0 || hl >= sizeof out->host) return strbuf_fail(err, errcap, "bad host");
  memcpy(out->host, host, hl);
  out->host[hl] = '\0';
  if (port) {
    size_t pl = (size_t)(auth_end - port);
    unsigned long v = 0;
    if (pl == 0 || pl > 5) return strbuf_fail(err, errcap, "bad port");
    for (size_t i = 0; i < pl; i++) {
      if (port[i] < '0' || port[i] > '9') return strbuf_fail(err, errcap, "bad port");
      v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (v == 0 || v > 65535) return strbuf_fail(err, errcap, "bad port");
    snprintf(out->port, sizeof out->port, "%lu", v);
  } else {
    snprintf(out->port, sizeof out->port, "80");
  }
  size_t rest = (size_t)(end - auth_end);
  if (rest + 2 > sizeof out->path) return strbuf_fail(err, errcap, "path too long");
  if (rest == 0) {
    out->path[0] = '/';
  } else if (*auth_end == '?') {
    out->path[0] = '/';
    memcpy(out->path + 1, auth_end, rest);
  } else {
    memcpy(out->path, auth_end, rest);
  }
  bool v6 = strchr(out->host, ':') != NULL;
  bool def = strcmp(out->port, "80") == 0;
  snprintf(out->host_header, sizeof out->host_header, "%s%s%s%s%s", v6 ? "[" : "", out->host,
           v6 ? "]" : "", def ? "" : ":", def ? "" : out->port);
  return 0;
}

/* ---- response parser ---- */

/* The next line of buf[*pos..len): its bounds without CR LF; false if no
 * line end yet. */
static bool next_line(const char *buf, size_t len, size_t *pos, size_t *ls, size_t *le) {
  const char *nl = memchr(buf + *pos, '\n', len - *pos);
  if (!nl) return false;
  *ls = *pos;
  *le = (size_t)(nl - buf);
  *pos = *le + 1;
  if (*le > *ls && buf[*le - 1] == '\r') (*le)--;
  return true;
}

static bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool name_is(const char *p, size_t n, const char *lit) {
  return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

typedef struct {
  int status;
  size_t head_len;
  bool chunked, has_length;
  uint64_t length;
} head_info;

/* Parses one response head at buf[start..len). 0: incomplete, 1: done, -1: error. */
static int parse_head(const char *buf, size_t len, size_t start, head_info *h, char *err, size_t errcap) {
  memset(h, 0, sizeof *h);
  size_t pos = start, ls, le;
  size_t limit = len - start > SC_HTTP_MAX_HEAD ? start + SC_HTTP_MAX_HEAD : len;
  if (!next_line(buf, limit, &pos, &ls, &le)) {
    if (limit < len || len - start >= SC_HTTP_MAX_HEAD) return strbuf_fail(err, errcap, "response head too large");
    return 0;
  }
  /* HTTP/1.x SSS[ reason] */
  size_t n = le - ls;
  const char *s = buf + ls;
  if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
      s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
      (n > 12 && s[12] != ' '))
    return strbuf_fail(err, errcap, "bad status line");
  h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  for (size_t i = 12; i < n; i++)
    if ((unsigned char)s[i] < 0x20 && s[i] != '\t') return strbuf_fail(err, errcap, "bad status line");
  for (;;) {
    if (!next_line(buf, limit, &pos, &ls, &le)) {
      if (limit < len) return strbuf_fail(err, errcap, "response head too large");
      return 0;
    }
    if (le == ls) break; /* blank line: end of head */
    const char *line = buf + ls;
    size_t ln = le - ls;
    const char *colon = memchr(line, ':', ln);
    if (!colon || colon == line) return strbuf_fail(err, errcap, "bad header line");
    size_t nn = (size_t)(colon - line);
    for (size_t i = 0; i < nn; i++)
      if (!is_tchar(line[i])) return strbuf_fail(err, errcap, "bad header name");
    const char *v = colon + 1, *ve = line + ln;
    for (const char *q = v; q < ve; q++)
      if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f) return strbuf_fail(err, errcap, "bad header value");
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    size_t vn = (size_t)(ve - v);
    if (name_is(line, nn, "Content-Length")) {
      if (vn == 0 || vn > 12) return strbuf_fail(err, errcap, "bad Content-Length");
      uint64_t cl = 0;
      for (size_t i = 0; i < vn; i++) {
        if (v[i] < '0' || v[i] > '9') return strbuf_fail(err, errcap, "bad Content-Length");
        cl = cl * 10 + (uint64_t)(v[i] - '0');
      }
      if (h->has_length && cl != h->length) return strbuf_fail(err, errcap, "conflicting Content-Length");
      h->has_length = true;
      h->length = cl;
    } else if (name_is(line, nn, "Transfer-Encoding")) {
      /* Only "chunked" (possibly after "identity") is understood. */
      if (vn >= 7 && strncasecmp(ve - 7, "chunked", 7) == 0 &&
          (vn == 7 || name_is(v, vn, "identity, chunked") || name_is(v, vn, "identity,chunked")))
        h->chunked = true;
      else if (!name_is(v, vn, "identity"))
        return strbuf_fail(err, errcap, "unsupported Transfer-Encoding");
    }
  }
  if (h->chunked && h->has_length) h->has_length = false; /* RFC 9112 6.3: chunked wins */
  h->head_len = pos - start;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Walks a chunked body at buf[start..len). decode: also copies the data
 * together at start. Returns 0 incomplete, 1 complete (*body_len set), -1 error. */
static int walk_chunks(char *buf, size_t len, size_t start, bool decode, size_t *body_len, char *err,
                       size_t errcap) {
  size_t pos = start, outp = start, ls, le;
  for (;;) {
    if (!next_line(buf, len, &pos, &ls, &le)) {
      if (len - pos > 1024) return strbuf_fail(err, errcap, "bad chunk size line");
      return 0;
    }
    uint64_t size = 0;
    size_t i = ls, digits = 0;
    for (; i < le && hexval(buf[i]) >= 0; i++) {
      if (++digits > 8) return strbuf_fail(err, errcap, "chunk too large");
      size = size * 16 + (uint64_t)hexval(buf[i]);
    }
    if (digits == 0) return strbuf_fail(err, errcap, "bad chunk size");
    while (i < le && (buf[i] == ' ' || buf[i] == '\t')) i++;
    if (i < le && buf[i] != ';') return strbuf_fail(err, errcap, "bad chunk size");
    if (size == 0) break;
    if (size > len - pos) return 0;
    size_t data = pos;
    pos += (size_t)size;
    if (len - pos < 1) return 0;
    if (buf[pos] == '\r') {
      if (len - pos < 2) return 0;
      if (buf[pos + 1] != '\n') return strbuf_fail(err, errcap, "no CRLF after chunk");
      pos += 2;
    } else if (buf[pos] == '\n') {
      pos += 1;
    } else {
      return strbuf_fail(err, errcap, "no CRLF after chunk");
    }
    if (decode) {
      memmove(buf + outp, buf + data, (size_t)size);
      outp += (size_t)size;
    }
  }
  /* Trailer fields until a blank line. */
  for (;;) {
    if (!next_line(buf, len, &pos, &ls, &le)) {
      if (len - pos > SC_HTTP_MAX_HEAD) return strbuf_fail(err, errcap, "trailer too large");
      return 0;
    }
    if (le == ls) break;
  }
  if (decode) *body_len = outp - start;
  return 1;
}

int sc_http_parse_response(char *buf, size_t len, bool eof, sc_http_response *out, char *err,
                           size_t errcap) {
  if (err && errcap) err[0] = '\0';
  if (!buf || !out) return strbuf_fail(err, errcap, "no input");
  if (len > SC_HTTP_MAX_RESPONSE) return strbuf_fail(err, errcap, "response too large");
  memset(out, 0, sizeof *out);
  size_t start = 0;
  head_info h;
  for (int interim = 0;; interim++) {
    if (interim > 8) return strbuf_fail(err, errcap, "too many interim responses");
    int rc = parse_head(buf, len, start, &h, err, errcap);
    if (rc < 0) return -1;
    if (rc == 0) return eof ? strbuf_fail(err, errcap, "connection closed in the head") : 0;
    if (h.status >= 200) break;
    if (h.status == 101) return strbuf_fail(err, errcap, "unexpected 101");
    start += h.head_len;
  }
  size_t body = start + h.head_len;
  size_t body_len = 0;
  if (h.status == 204 || h.status == 304) {
    body_len = 0;
  } else if (h.chunked) {
    int rc = walk_chunks(buf, len, body, false, NULL, err, errcap);
    if (rc < 0) return -1;
    if (rc == 0) return eof ? strbuf_fail(err, errcap, "connection closed in a chunk") : 0;
    walk_chunks(buf, len, body, true, &body_len, NULL, 0);
  } else if (h.has_length) {
    if (h.length > SC_HTTP_MAX_RESPONSE) return strbuf_fail(err, errcap, "response too large");
    if (len - body < h.length) return eof ? strbuf_fail(err, errcap, "connection closed in the body") : 0;
    body_len = (size_t)h.length;
  } else {
    if (!eof) return 0;
    body_len = len - body;
  }
  out->status = h.status;
  out->head_len = body;
  out->body = buf + body;
  out->body_len = body_len;
  return 1;
}

/* ---- the request ---- */

static void on_handle_closed(uv_handle_t *h) {
  sc_http_req *r = h->data;
  if (--r->open_handles > 0 || r->gai_pending) return;
  free(r->out);
  free(r->in);
  free(r);
}

/* Closes everything; frees when the last handle is closed. */
static void teardown(sc_http_req *r) {
  uv_timer_stop(&r->timer);
  if (r->gai_pending) uv_cancel((uv_req_t *)&r->gai);
  if (!uv_is_closing((uv_handle_t *)&r->timer)) uv_close((uv_handle_t *)&r->timer, on_handle_closed);
  if (r->tcp_open && !uv_is_closing((uv_handle_t *)&r->tcp)) uv_close((uv_handle_t *)&r->tcp, on_handle_closed);
}

static void finish(sc_http_req *r, int status, const char *body, size_t len, const char *err) {
  if (r->done) return;
  r->done = true;
  if (!r->cancelled && r->cb) r->cb(r->ctx, status, body ? body : "", len, err ? err : "");
  teardown(r);
}

static void fail_req(sc_http_req *r, const char *what, int uverr) {
  char msg[160];
  if (uverr) snprintf(msg, sizeof msg, "%s: %s", what, uv_strerror(uverr));
  else snprintf(msg, sizeof msg, "%s", what);
  finish(r, -1, NULL, 0, msg);
}

static void on_timeout(uv_timer_t *t) {
  sc_http_req *r = t->data;
  fail_req(r, r->early_err[0] ? r->early_err : "timeout", 0);
}

/* After more bytes or the end: finished? */
static void check_response(sc_http_req *r, bool eof) {
  sc_http_response resp;
  char err[96];
  int rc = sc_http_parse_response(r->in, r->in_len, eof, &resp, err, sizeof err);
  if (rc == 0) return;
  if (rc < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "bad response: %s", err);
    finish(r, -1, NULL, 0, msg);
    return;
  }
  char *b = (char *)(uintptr_t)resp.body;
  b[resp.body_len] = '\0'; /* in_cap keeps a spare byte past in_len, and body_len <= in_len */
  finish(r, resp.status, resp.body, resp.body_len, "");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  sc_http_req *r = h->data;
  (void)suggested;
  *buf = uv_buf_init(NULL, 0);
  if (r->in_cap - r->in_len < READ_CHUNK + 1 && r->in_cap < SC_HTTP_MAX_RESPONSE + 1) {
    size_t cap = r->in_cap ? r->in_cap * 2 : READ_CHUNK + 1;
    if (cap > SC_HTTP_MAX_RESPONSE + 1) cap = SC_HTTP_MAX_RESPONSE + 1;
    char *in = realloc(r->in, cap);
    if (!in) return;
    r->in = in;
    r->in_cap = cap;
  }
  size_t room = r->in_cap - r->in_len - 1;
  if (room > 0) *buf = uv_buf_init(r->in + r->in_len, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sc_http_req *r = s->data;
  (void)buf;
  if (r->done) return;
  if (nread == UV_ENOBUFS) {
    fail_req(r, r->in_cap >= SC_HTTP_MAX_RESPONSE + 1 ? "response too large" : "out of memory", 0);
    return;
  }
  if (nread == UV_EOF) {
    check_response(r, true);
    return;
  }
  if (nread < 0) {
    fail_req(r, "read", (int)nread);
    return;
  }
  r->in_len += (size_t)nread;
  check_response(r, false);
}

static void on_written(uv_write_t *w, int status) {
  sc_http_req *r = w->data;
  if (status < 0 && !r->done) fail_req(r, "write", status);
}

static void on_connect(uv_connect_t *c, int status) {
  sc_http_req *r = c->data;
  if (r->done) return;
  if (status < 0) {
    fail_req(r, "connect", status);
    return;
  }
  uv_buf_t b = uv_buf_init(r->out, (unsigned)r->out_len);
  r->wr.data = r;
  int rc = uv_write(&r->wr, (uv_stream_t *)&r->tcp, &b, 1, on_written);
  if (rc == 0) rc = uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read);
  if (rc != 0) fail_req(r, "write", rc);
}

/* 0, or a libuv error with *what set. */
static int start_connect(sc_http_req *r, const struct sockaddr *addr, const char **what) {
  *what = "socket";
  int rc = uv_tcp_init(r->loop, &r->tcp);
  if (rc != 0) return rc;
  r->tcp.data = r;
  r->tcp_open = true;
  r->open_handles++;
  uv_tcp_nodelay(&r->tcp, 1);
  r->conn.data = r;
  *what = "connect";
  return uv_tcp_connect(&r->conn, &r->tcp, addr, on_connect);
}

/* A failure while sc_http_request runs: reported from the loop. */
static void defer_fail(sc_http_req *r, const char *what, int uverr) {
  snprintf(r->early_err, sizeof r->early_err, "%s: %s", what, uv_strerror(uverr));
  uv_timer_start(&r->timer, on_timeout, 0, 0);
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
  sc_http_req *r = g->data;
  r->gai_pending = false;
  if (r->done) {
    uv_freeaddrinfo(res);
    if (r->open_handles == 0) { /* every handle closed while resolving */
      free(r->out);
      free(r->in);
      free(r);
    }
    return;
  }
  if (status < 0 || !res) {
    uv_freeaddrinfo(res);
    fail_req(r, "resolve", status < 0 ? status : UV_EAI_NONAME);
    return;
  }
  const char *what;
  int rc = start_connect(r, res->ai_addr, &what);
  uv_freeaddrinfo(res);
  if (rc != 0) fail_req(r, what, rc);
}

sc_http_req *sc_http_request(uv_loop_t *loop, const char *method, const char *url, const char *body,
                             size_t len, unsigned timeout_ms, sc_http_cb cb, void *ctx) {
  if (!loop || !method || !url || !cb || (body == NULL && len > 0)) return NULL;
  size_t ml = strnlen(method, 17);
  if (ml == 0 || ml > 16) return NULL;
  for (size_t i = 0; i < ml; i++)
    if (!is_tchar(method[i])) return NULL;
  if (len > SC_HTTP_MAX_RESPONSE) return NULL;
  sc_http_req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (sc_http_parse_url(url, &r->url, NULL, 0) != 0) {
    free(r);
    return NULL;
  }
  size_t cap = 512 + strlen(r->url.path) + strlen(r->url.host_header) + len;
  r->out = malloc(cap);
  if (!r->out) {
    free(r);
    return NULL;
  }
  int n = snprintf(r->out, cap,
                   "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sealroom-client\r\nAccept: application/json\r\n"
                   "Connection: close\r\n",
                   method, r->url.path, r->url.host_header);
  if (n > 0 && body)
    n += snprintf(r->out + n, cap - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n", len);
  if (n > 0) n += snprintf(r->out + n, cap - (size_t)n, "\r\n");
  if (n <= 0 || (size_t)n + len > cap) {
    free(r->out);
    free(r);
    return NULL;
  }
  if (len) memcpy(r->out + n, body, len);
  r->out_len = (size_t)n + len;
  r->loop = loop;
  r->cb = cb;
  r->ctx = ctx;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  r->open_handles = 1;
  uv_timer_start(&r->timer, on_timeout, timeout_ms ? timeout_ms : 30000, 0);

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  int port = atoi(r->url.port);
  if (uv_ip4_addr(r->url.host, port, (struct sockaddr_in *)&ss) == 0 ||
      uv_ip6_addr(r->url.host, port, (struct sockaddr_in6 *)&ss) == 0) {
    const char *what;
    int rc = start_connect(r, (const struct sockaddr *)&ss, &what);
    if (rc != 0) defer_fail(r, what, rc);
    return r;
  }
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  r->gai.data = r;
  int rc = uv_getaddrinfo(loop, &r->gai, on_resolved, r->url.host, r->url.port, &hints);
  if (rc == 0) r->gai_pending = true;
  else defer_fail(r, "resolve", rc);
  return r;
}

void sc_http_cancel(sc_http_req *r) {
  if (!r || r->done) return;
  r->cancelled = true;
  r->done = true;
  teardown(r);
}
