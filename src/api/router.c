/* Routing for everything sealroomd serves over HTTP: a table of path
 * patterns ("{}" matches one segment) with their methods and handlers.
 * Everything under /api/ is authenticated and rate limited here, once,
 * before routing. */
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <uv.h>

#include "api/api.h"
#include "api/auth.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "http/static_files.h"

typedef void (*route_fn)(api_ctx *a, const api_caller *who, const char *arg,
                         const http_request *req, http_response *res);

typedef struct {
  const char *pattern;
  const char *method;
  route_fn fn;
} route;

static void r_healthz(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                      http_response *res) {
  api_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

static void r_metrics(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                      http_response *res) {
  int64_t rooms = 0;
  store_room_count_all(a->db, &rooms);
  double uptime = (double)uv_hrtime() / 1e9 - a->started_at;
  char *text = metrics_render(a->stats, rooms, uptime, SEALROOM_VERSION);
  if (!text) return api_error(res, 500, "Internal server error.");
  http_set_body(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

static void r_root(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                   http_response *res) {
  http_set_text(res, 302, "text/plain; charset=utf-8", "See /dashboard\n");
  http_set_header(res, "Location", "/dashboard");
}

static void r_dashboard(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                        http_response *res) {
  char rel[256];
  snprintf(rel, sizeof rel, "dashboard/%s", arg && *arg ? arg : "index.html");
  if (static_serve(a->cfg->web_dir, rel, res) != 0) api_error(res, 404, "Not found.");
}

static void r_rooms_list(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { rooms_list(a, w, q, res); }
static void r_rooms_create(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                           http_response *res) { rooms_create(a, w, q, res); }
static void r_room_get(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                       http_response *res) { rooms_get(a, w, arg, res); }
static void r_room_patch(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { rooms_update(a, w, arg, q, res); }
static void r_room_delete(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                          http_response *res) { rooms_delete(a, w, arg, res); }
static void r_room_token(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { rooms_token(a, w, arg, q, res); }
static void r_roles_list(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { roles_list(a, res); }
static void r_role_get(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                       http_response *res) { roles_get(a, arg, res); }

static const route routes[] = {
    {"/healthz", "GET", r_healthz},
    {"/metrics", "GET", r_metrics},
    {"/", "GET", r_root},
    {"/dashboard", "GET", r_dashboard},
    {"/dashboard/", "GET", r_dashboard},
    {"/dashboard/{}", "GET", r_dashboard},
    {"/api/v1/rooms", "GET", r_rooms_list},
    {"/api/v1/rooms", "POST", r_rooms_create},
    {"/api/v1/rooms/{}", "GET", r_room_get},
    {"/api/v1/rooms/{}", "PATCH", r_room_patch},
    {"/api/v1/rooms/{}", "DELETE", r_room_delete},
    {"/api/v1/rooms/{}/token", "POST", r_room_token},
    {"/api/v1/roles", "GET", r_roles_list},
    {"/api/v1/roles/{}", "GET", r_role_get},
};

/* Matches path against pattern; on a match copies the "{}" segment to arg. */
static int match(const char *pattern, const char *path, char *arg, size_t cap) {
  arg[0] = '\0';
  while (*pattern && *path) {
    if (pattern[0] == '{' && pattern[1] == '}') {
      size_t n = strcspn(path, "/");
      if (n == 0 || n >= cap) return 0;
      memcpy(arg, path, n);
      arg[n] = '\0';
      path += n;
      pattern += 2;
    } else if (*pattern++ != *path++) {
      return 0;
    }
  }
  return *pattern == '\0' && *path == '\0';
}

static int authenticate(api_ctx *a, const http_request *req, http_response *res, api_caller *who) {
  double now = (double)uv_hrtime() / 1e9;
  int retry = 1;
  char msg[96];
  credentials cred;
  int rc = auth_parse_header(http_header(req, "Authorization"), &cred) == 0
               ? auth_check(a->db, &cred, who->team_id, who->key_hash)
               : -1;
  OPENSSL_cleanse(&cred, sizeof cred);
  if (rc == -2) {
    api_error(res, 500, "Internal server error.");
    return -1;
  }
  if (rc != 0) {
    /* Only failures are limited: valid credentials are never locked out by
     * someone else's failures from the same address (or proxy). */
    if (!rate_limiter_take(a->fail_limiter, req->client_ip, now, &retry)) goto limited;
    api_error(res, 401, "Unauthenticated.");
    http_set_header(res, "WWW-Authenticate", "Bearer realm=\"sealroom\"");
    return -1;
  }
  if (rate_limiter_take(a->team_limiter, who->team_id, now, &retry)) return 0;
limited:
  snprintf(msg, sizeof msg, "%d", retry);
  http_set_header(res, "Retry-After", msg);
  snprintf(msg, sizeof msg, "Too Many Attempts. Retry after %d second%s.", retry, retry == 1 ? "" : "s");
  api_json(res, 429, json_pack("{s:s,s:s}", "message", msg, "error", "rate-limit"));
  return -1;
}

void api_handle(void *ctx, const http_request *req, http_response *res, const char **label) {
  api_ctx *a = ctx;
  const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
  char arg[256], allow[64] = "";
  const route *found = NULL;
  *label = "other";
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (!match(routes[i].pattern, req->path, arg, sizeof arg)) continue;
    *label = routes[i].pattern;
    if (strcmp(routes[i].method, method) == 0) {
      found = &routes[i];
      break;
    }
    size_t n = strlen(allow);
    snprintf(allow + n, sizeof allow - n, "%s%s%s", n ? ", " : "", routes[i].method,
             strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
  }
  /* Everything under /api/ needs credentials, even unknown routes: an
   * anonymous caller learns nothing about which routes exist. */
  api_caller who;
  memset(&who, 0, sizeof who);
  if (strncmp(req->path, "/api/", 5) == 0 && authenticate(a, req, res, &who) != 0) goto out;
  if (found) {
    found->fn(a, &who, arg, req, res);
  } else if (allow[0]) {
    api_error(res, 405, "Method not allowed.");
    http_set_header(res, "Allow", allow);
  } else {
    api_error(res, 404, "Not found.");
  }
out:
  OPENSSL_cleanse(&who, sizeof who); /* key_hash is the token-signing key */
  if (log_get_level() >= LOG_DEBUG) {
    char safe[256];
    size_t i = 0;
    for (const char *p = req->path; *p && i < sizeof safe - 1; p++, i++)
      safe[i] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    safe[i] = '\0';
    log_debug("%s %s -> %d", req->method, safe, res->status);
  }
}
