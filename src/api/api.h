/* The application behind the HTTP server: routing, REST API v1, health,
 * metrics and static files. One api_ctx lives for the server's lifetime. */
#ifndef SEALROOM_API_H
#define SEALROOM_API_H

#include <jansson.h>

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

/* An authenticated API caller. */
typedef struct {
  char team_id[UUID_STR_LEN];
  uint8_t key_hash[KEY_HASH_LEN]; /* of the key that signed this request */
} api_caller;

/* The http_handler for everything sealroomd serves. */
void api_handle(void *ctx, const http_request *req, http_response *res, const char **route_label);
/* The admin listener's handler: /healthz and /metrics, no credentials. */
void api_handle_admin(void *ctx, const http_request *req, http_response *res, const char **route_label);

/* Response helpers shared by the handlers. */
void api_json(http_response *res, int status, json_t *body); /* steals body */
void api_error(http_response *res, int status, const char *message);
/* 422 with {"message", "errors": errors} (errors as field_error fills
 * them, model/room_fields.h); steals errors. */
void api_invalid(http_response *res, json_t *errors);
/* Parses the request body as a JSON object. On failure fills res (400, 415
 * or 422) and returns NULL. */
json_t *api_parse_body(const http_request *req, http_response *res);

/* Handlers (path parameter in arg, may be NULL). */
void rooms_list(api_ctx *a, const api_caller *who, const http_request *req, http_response *res);
void rooms_create(api_ctx *a, const api_caller *who, const http_request *req, http_response *res);
void rooms_get(api_ctx *a, const api_caller *who, const char *room_ref, http_response *res);
void rooms_update(api_ctx *a, const api_caller *who, const char *room_ref, const http_request *req,
                  http_response *res);
void rooms_delete(api_ctx *a, const api_caller *who, const char *room_ref, http_response *res);
void rooms_token(api_ctx *a, const api_caller *who, const char *room_ref, const http_request *req,
                 http_response *res);
void roles_list(api_ctx *a, http_response *res);
void roles_get(api_ctx *a, const char *role_ref, http_response *res);

#endif
