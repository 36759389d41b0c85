/* HTTP server: libmicrohttpd driven from the libuv loop (MHD's epoll fd is
 * watched with uv_poll), so every request is handled on the loop thread with
 * no locks. Bodies are collected up to a limit; larger ones get 413 before
 * the handler runs. Handlers fill an http_response; the server sends it. */
#ifndef SEALROOM_HTTP_H
#define SEALROOM_HTTP_H

#include <stddef.h>
#include <uv.h>

#define HTTP_MAX_HEADERS 8

typedef struct {
  const char *method; /* "GET", "POST", ...; HEAD arrives as HEAD */
  const char *path;   /* percent-decoded path without the query */
  const char *body;   /* NUL-terminated copy of the body (may contain NULs) */
  size_t body_len;
  char client_ip[64];
  void *conn_; /* the server's connection; use the accessors below */
} http_request;

/* Called once the server has switched a connection to another protocol
 * (status 101): fd is the client socket (now the callee's, non-blocking),
 * extra holds bytes the client already sent past the HTTP request, and
 * handle must be passed to http_upgraded_close() when done with fd. If the
 * switch failed, fd is -1 and handle NULL: the callee only releases ctx.
 * Either way ctx is the callee's from then on. */
typedef void (*http_upgrade_fn)(void *ctx, int fd, const char *extra, size_t extra_len,
                                void *handle);

typedef struct {
  int status;
  http_upgrade_fn upgrade; /* set with status 101 to take over the connection */
  void *upgrade_ctx;
  void (*upgrade_free)(void *ctx); /* releases upgrade_ctx if the upgrade never happens */
  char *body; /* malloc'd; the server frees it */
  size_t body_len;
  const char *content_type;
  int file_fd; /* >= 0: send this file (file_size bytes) instead of body; closed by the server */
  size_t file_size;
  int n_headers;
  char headers[HTTP_MAX_HEADERS][2][256];
} http_response;

/* Called once per complete request. route_label names the matched route
 * for metrics (a static string). */
typedef void (*http_handler)(void *ctx, const http_request *req, http_response *res,
                             const char **route_label);
/* Called after each response with the route label and status (for metrics). */
typedef void (*http_observer)(void *ctx, const char *method, const char *route_label, int status);

typedef struct http_server http_server;

typedef struct {
  const char *listen; /* IPv4 or IPv6 literal */
  int port;           /* 0: any free port */
  size_t max_body;    /* bytes */
  unsigned max_connections;   /* open at once, WebSockets included (0: 1024) */
  unsigned per_ip_connections; /* from one client address (0: 256) */
  unsigned header_timeout_ms; /* a request's headers must be complete this long after the
                               * connection opened or its previous request ended (0: 10000) */
  http_handler handler;
  http_observer observer;
  void *ctx;
} http_options;

/* Binds and starts serving on loop. Returns NULL (and logs why) on failure. */
http_server *http_server_start(uv_loop_t *loop, const http_options *opts);
int http_server_port(const http_server *s);
/* Stops accepting, closes connections and frees the server after the loop
 * has closed its handles. */
void http_server_stop(http_server *s);

/* Closes an upgraded connection (its fd) and releases the server's hold on it. */
void http_upgraded_close(void *handle);

/* Request accessors. Header names are case-insensitive. NULL when absent. */
const char *http_header(const http_request *req, const char *name);
const char *http_query(const http_request *req, const char *name);

/* Response helpers. */
void http_set_header(http_response *res, const char *name, const char *value);
/* Takes ownership of body (malloc'd). */
void http_set_body(http_response *res, int status, const char *content_type, char *body, size_t len);
/* Copies text. */
void http_set_text(http_response *res, int status, const char *content_type, const char *text);

#endif
