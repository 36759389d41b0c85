/* A minimal HTTP/1.1 client on libuv for Janus's REST API (client/janus.c):
 * one request per TCP connection ("Connection: close"), a JSON body or none,
 * the response read whole into memory (at most SC_HTTP_MAX_RESPONSE bytes)
 * and handed to one callback. Response bodies framed by Content-Length, by
 * chunked transfer coding (what Janus's libmicrohttpd sends, hex in either
 * case, chunk extensions and trailers skipped) or by the end of the
 * connection; 1xx interim responses are skipped.
 *
 * Only http:// URLs: http://host[:port][/path][?query], host an IPv4
 * literal, a bracketed IPv6 literal or a name (uv_getaddrinfo, first
 * address). No TLS, no redirects, no proxies, no cookies.
 *
 * Threading: the loop's thread only. The callback runs from the loop, never
 * from inside sc_http_request or sc_http_cancel. */
#ifndef SEALROOM_CLIENT_HTTP_H
#define SEALROOM_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SC_HTTP_MAX_RESPONSE (4u << 20) /* head + body bytes on the wire */
#define SC_HTTP_MAX_HEAD 16384          /* status line + headers */
#define SC_HTTP_MAX_URL 2048

typedef struct sc_http_req sc_http_req;

/* The outcome, exactly once per request not cancelled. status: the HTTP
 * status (100..599), or -1 on failure with err saying why ("connect: ...",
 * "timeout", "response too large", "bad response: ..."); err is "" when
 * status > 0. body[0..len) is NUL-terminated (body[len] == 0), valid during
 * the call only. The request is freed after the callback returns: forget
 * the sc_http_req pointer in the callback. */
typedef void (*sc_http_cb)(void *ctx, int status, const char *body, size_t len, const char *err);

/* Starts a request: method "GET" or "POST" (any token), body[0..len) sent
 * with Content-Type: application/json when body is not NULL. timeout_ms
 * covers everything (resolve, connect, send, whole response); 0 means 30 s.
 * Returns NULL (and never calls cb) on a bad URL, bad arguments or out of
 * memory; every later failure comes through cb. */
sc_http_req *sc_http_request(uv_loop_t *loop, const char *method, const char *url, const char *body,
                             size_t len, unsigned timeout_ms, sc_http_cb cb, void *ctx);

/* Abandons a request whose callback has not run: the callback will not be
 * called; the connection is closed and the request freed from the loop.
 * NULL is ok. Never call it after the callback started. */
void sc_http_cancel(sc_http_req *r);

/* ---- Parsers, exposed for the unit tests and the fuzz target ---------- */

typedef struct {
  char host[256];  /* without brackets */
  char port[8];    /* decimal, "80" by default */
  char path[1024]; /* starts with '/', query included; "/" by default */
  char host_header[300];
} sc_http_url;

/* Parses an http:// URL. 0, or -1 with a reason (https, user info,
 * fragments, bad ports, over-long parts, control characters, spaces). */
int sc_http_parse_url(const char *url, sc_http_url *out, char *err, size_t errcap);

typedef struct {
  int status;         /* 100..599 */
  size_t head_len;    /* status line + headers + blank line */
  const char *body;   /* into the buffer given to sc_http_parse_response */
  size_t body_len;
} sc_http_response;

/* Looks at the bytes received so far, buf[0..len) (len <= SC_HTTP_MAX_RESPONSE),
 * eof: the server closed the connection. Returns 0 if more bytes are needed,
 * 1 if the response is complete (out filled; a chunked body is decoded in
 * place, so buf is modified, and buf[body_len] is set to 0 when there is
 * room: the caller keeps one spare byte after len), or -1 with a reason in
 * err (malformed status line or header, a head over SC_HTTP_MAX_HEAD,
 * conflicting or bad Content-Length, a bad chunk size, a connection ended
 * early). Interim 1xx responses before the final one are skipped. Never
 * reads past len; nothing is trusted. */
int sc_http_parse_response(char *buf, size_t len, bool eof, sc_http_response *out, char *err,
                           size_t errcap);

#endif
