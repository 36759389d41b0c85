/* The application behind the HTTP server: routing, REST API v1, health,
 * metrics and static files. One api_ctx lives for the server's lifetime.
 * This is the face main.c sees; the handlers share api/internal.h. */
#ifndef SEALROOM_API_H
#define SEALROOM_API_H

#include "api/ratelimit.h"
#include "core/config.h"
#include "core/metrics.h"
#include "http/http.h"
#include "sfu/sfu.h"
#include "signal/signal.h"
#include "store/store.h"

#define API_MAX_BODY (64 * 1024)

typedef struct {
  const config *cfg;
  store *db;
  metrics *stats;
  rate_limiter *team_limiter; /* requests per team */
  rate_limiter *fail_limiter; /* failed authentications per client IP */
  double started_at;          /* uv_hrtime() in seconds at start, for uptime */
  signal_server *signal;      /* WebSocket signalling; NULL in tools */
  sfu *media;
} api_ctx;

/* The http_handler for everything sealroomd serves. */
void api_handle(void *ctx, const http_request *req, http_response *res, const char **route_label);
/* The admin listener's handler: /healthz and /metrics, no credentials. */
void api_handle_admin(void *ctx, const http_request *req, http_response *res, const char **route_label);

#endif
