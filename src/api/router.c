/* Routing for everything sealroomd serves over HTTP: a table of path
 * patterns ("{}" matches one segment) with their methods and handlers.
 * Everything under /api/ is authenticated and rate limited here, once,
 * before routing. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <uv.h>

#include "api/internal.h"
#include "api/auth.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "http/static_files.h"
#include "model/room_fields.h"

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

/* Live-meeting and SFU gauges and counters, in Prometheus text format. */
static char *media_metrics(api_ctx *a) {
  signal_stats ss = {0};
  sfu_stats ms = {0};
  if (a->signal) signal_get_stats(a->signal, &ss);
  if (a->media) sfu_get_stats(a->media, &ms);
  int workers = a->media ? sfu_workers(a->media) : 0;
  size_t cap = 16384 + (size_t)workers * 1024;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t n = 0;
  /* n only grows while it fits: past the end nothing more is written and
   * the whole text is refused below (no write past the buffer). */
#define METRIC(kind, name, help, v)                                                              \
  if (n < cap)                                                                                   \
  n += (size_t)snprintf(out + n, cap - n, "# HELP %s %s\n# TYPE %s " kind "\n%s %llu\n", name, help, \
                        name, name, (unsigned long long)(v))
#define GAUGE(name, help, v) METRIC("gauge", name, help, v)
#define COUNTER(name, help, v) METRIC("counter", name, help, v)
  GAUGE("sealroom_participants", "Participants in live rooms.", ss.participants);
  GAUGE("sealroom_live_rooms", "Rooms with at least one participant.", ss.live_rooms);
  GAUGE("sealroom_signalling_sessions", "Open signalling WebSockets.", ss.sessions);
  GAUGE("sealroom_media_transports", "Media transports (one per peer connection).", ms.transports);
  COUNTER("sealroom_signalling_messages_total", "Signalling messages received.", ss.messages_in);
  COUNTER("sealroom_signalling_bad_messages_total", "Malformed signalling messages.", ss.messages_bad);
  COUNTER("sealroom_ws_slow_consumers_total", "WebSockets closed (1008) for not reading: over 1 MiB queued.", ss.ws_slow_consumers);
  COUNTER("sealroom_ws_protocol_errors_total", "WebSockets closed for oversized control frames or too many fragments.", ss.ws_protocol_errors);
  COUNTER("sealroom_ws_too_large_total", "WebSockets closed (1009) for a message over 256 KiB.", ss.ws_too_large);
  COUNTER("sealroom_media_packets_in_total", "Packets received on the media port (UDP datagrams and ICE-TCP frames).", ms.packets_in);
  COUNTER("sealroom_media_bytes_in_total", "Bytes received on the media port.", ms.bytes_in);
  COUNTER("sealroom_media_packets_out_total", "Packets sent from the media port (UDP datagrams and ICE-TCP frames).", ms.packets_out);
  COUNTER("sealroom_media_bytes_out_total", "Bytes sent from the media port.", ms.bytes_out);
  COUNTER("sealroom_media_nacks_received_total", "NACK packets from subscribers.", ms.nacks_received);
  COUNTER("sealroom_media_nacks_sent_total", "NACK packets sent to publishers.", ms.nacks_sent);
  COUNTER("sealroom_media_retransmits_total", "Packets resent from the history.", ms.retransmits);
  COUNTER("sealroom_media_plis_received_total", "Key frame requests from subscribers.", ms.plis_received);
  COUNTER("sealroom_media_plis_sent_total", "Key frame requests sent to publishers.", ms.plis_sent);
  COUNTER("sealroom_media_dropped_total", "Datagrams dropped (unknown sender, unknown track, not connected).", ms.dropped);
  COUNTER("sealroom_media_malformed_total", "Datagrams that failed to parse.", ms.malformed);
  COUNTER("sealroom_media_srtp_errors_total", "SRTP authentication or replay failures.", ms.srtp_errors);
  GAUGE("sealroom_media_tcp_connections", "ICE-TCP connections open on the media port.", ms.tcp_open);
  COUNTER("sealroom_media_tcp_refused_total", "ICE-TCP connections refused or cut short by a limit: closed at accept, or the oldest unchecked one pushed out for a newcomer.", ms.tcp_refused);
  COUNTER("sealroom_media_tcp_closed_total", "ICE-TCP connections closed for a framing lie, no ICE check in time, or silence.", ms.tcp_closed_bad);
  COUNTER("sealroom_media_audio_not_loudest_total", "Audio packets not forwarded: their stream was not among its room's loudest (--loudest-audio).", ms.audio_not_loudest);
  COUNTER("sealroom_media_audio_switches_total", "Audio streams that took a place among their room's loudest from another.", ms.audio_switches);
  COUNTER("sealroom_media_layer_switches_total", "Simulcast: a subscriber's video taking up an encoding at a key frame (its first, another, or the same one restarted under a new SSRC).", ms.layer_switches);
  COUNTER("sealroom_media_alloc_steps_down_total", "Bandwidth allocator: steps to a lower encoding or a pause, for a congested subscriber.", ms.alloc_steps_down);
  COUNTER("sealroom_media_alloc_steps_up_total", "Bandwidth allocator: steps up (probing) after the hold time.", ms.alloc_steps_up);
  COUNTER("sealroom_media_tcp_dropped_total", "Frames not sent on ICE-TCP: the connection's output buffer was full.", ms.tcp_dropped);
  /* A histogram: cumulative buckets, le in seconds. */
  if (n < cap)
    n += (size_t)snprintf(out + n, cap - n,
                          "# HELP sealroom_media_forward_delay_seconds Time from a media packet's arrival at the media "
                          "port (kernel timestamp) to the hand-off of each forwarded copy to the kernel (UDP).\n"
                          "# TYPE sealroom_media_forward_delay_seconds histogram\n");
  uint64_t cum = 0;
  for (int i = 0; i < SFU_DELAY_BUCKETS && n < cap; i++) {
    cum += ms.forward_delay[i];
    int64_t le = sfu_delay_bound_us(i);
    if (le >= 0)
      n += (size_t)snprintf(out + n, cap - n, "sealroom_media_forward_delay_seconds_bucket{le=\"%.6f\"} %llu\n",
                            (double)le / 1e6, (unsigned long long)cum);
    else
      n += (size_t)snprintf(out + n, cap - n, "sealroom_media_forward_delay_seconds_bucket{le=\"+Inf\"} %llu\n",
                            (unsigned long long)cum);
  }
  if (n < cap)
    n += (size_t)snprintf(out + n, cap - n,
                          "sealroom_media_forward_delay_seconds_sum %.6f\nsealroom_media_forward_delay_seconds_count %llu\n",
                          (double)ms.forward_delay_sum_us / 1e6, (unsigned long long)cum);
  /* Per media worker: how the rooms and their packets are spread. */
#define PER_WORKER(kind, name, help, expr)                                                               \
  if (n < cap)                                                                                           \
    n += (size_t)snprintf(out + n, cap - n, "# HELP %s %s\n# TYPE %s " kind "\n", name, help, name);     \
  for (int i = 0; i < workers && n < cap; i++) {                                                         \
    sfu_stats wsx;                                                                                       \
    sfu_get_worker_stats(a->media, i, &wsx);                                                             \
    n += (size_t)snprintf(out + n, cap - n, "%s{worker=\"%d\"} %llu\n", name, i, (unsigned long long)(expr)); \
  }
  PER_WORKER("gauge", "sealroom_media_worker_rooms", "Live rooms placed on each media worker.",
             sfu_worker_rooms(a->media, i));
  PER_WORKER("gauge", "sealroom_media_worker_transports", "Media transports on each media worker.", wsx.transports);
  PER_WORKER("counter", "sealroom_media_worker_packets_in_total", "Packets received by each media worker.",
             wsx.packets_in);
  PER_WORKER("counter", "sealroom_media_worker_packets_out_total", "Packets sent by each media worker.",
             wsx.packets_out);
  PER_WORKER("counter", "sealroom_media_worker_bytes_out_total", "Bytes sent by each media worker.", wsx.bytes_out);
  PER_WORKER("counter", "sealroom_media_worker_dropped_total", "Datagrams each media worker dropped.", wsx.dropped);
  PER_WORKER("counter", "sealroom_media_worker_audio_not_loudest_total",
             "Audio packets each media worker did not forward: not among their room's loudest.", wsx.audio_not_loudest);
  PER_WORKER("counter", "sealroom_media_worker_audio_switches_total",
             "Audio streams that took a place among their room's loudest, per media worker.", wsx.audio_switches);
#undef PER_WORKER
#undef GAUGE
#undef COUNTER
#undef METRIC
  if (n >= cap) {
    free(out);
    return NULL;
  }
  return out;
}

static void r_metrics(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                      http_response *res) {
  int64_t rooms = 0;
  store_room_count_all(a->db, &rooms);
  double uptime = (double)uv_hrtime() / 1e9 - a->started_at;
  char *text = metrics_render(a->stats, rooms, uptime, SEALROOM_VERSION);
  if (!text) return api_internal_error(res);
  char *media = media_metrics(a);
  size_t n1 = strlen(text), n2 = media ? strlen(media) : 0;
  char *all = realloc(text, n1 + n2 + 1);
  if (!all) {
    free(text);
    free(media);
    return api_internal_error(res);
  }
  if (media) memcpy(all + n1, media, n2 + 1);
  free(media);
  http_set_body(res, 200, "text/plain; version=0.0.4; charset=utf-8", all, n1 + n2);
}

static void r_root(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                   http_response *res) {
  http_set_text(res, 302, "text/plain; charset=utf-8", "See /dashboard\n");
  http_set_header(res, "Location", "/dashboard");
}

/* Serves web_dir/<folder>/<name> (name "" = index.html) or answers 404. */
static void serve_asset(api_ctx *a, const char *folder, const char *name, csp_kind csp,
                        http_response *res) {
  char rel[256];
  snprintf(rel, sizeof rel, "%s/%s", folder, name && *name ? name : "index.html");
  if (static_serve(a->cfg->web_dir, rel, csp, res) != 0) api_error(res, 404, "Not found.");
}

static void r_dashboard(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                        http_response *res) { serve_asset(a, "dashboard", arg, CSP_DASHBOARD, res); }
/* The meeting page's own files. */
static void r_meeting_asset(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                            http_response *res) { serve_asset(a, "meeting", arg, CSP_MEETING, res); }
/* The E2EE protocol modules (web/e2ee), loaded by the meeting page and its worker. */
static void r_e2ee_asset(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { serve_asset(a, "e2ee", arg, CSP_MEETING, res); }
/* Files shared by the dashboard and the meeting page (web/common). */
static void r_common_asset(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                           http_response *res) { serve_asset(a, "common", arg, CSP_DASHBOARD, res); }

/* /{friendly_url} or /{room id}: the meeting page, if the room exists. */
/* GET /<room>: the meeting page for anything that could name a room, whether
 * a room of that name exists or not. Looking it up here would tell anyone
 * which private rooms exist (the join answers a private room without a
 * valid token exactly as a missing one); the page learns at join. */
static void r_meeting_page(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                           http_response *res) {
  const char *reason;
  bool room_like = uuid_is_valid(arg) || friendly_url_check(arg, &reason);
  if (!room_like || static_serve(a->cfg->web_dir, "meeting/index.html", CSP_MEETING, res) != 0)
    api_error(res, 404, "No such page.");
}

static void r_ws(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                 http_response *res) {
  if (!a->signal) return api_error(res, 503, "Signalling is not running.");
  signal_accept(a->signal, q, res);
}

/* ---- test mode only: the hostile server on request ---------------------- */

/* The body of a /_test/ request: a JSON object, or NULL after a 400. */
static json_t *test_body(const http_request *req, http_response *res) {
  json_error_t err;
  json_t *v = req->body_len ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err) : NULL;
  if (!json_is_object(v)) {
    json_decref(v);
    api_error(res, 400, "The body must be a JSON object.");
    return NULL;
  }
  return v;
}

/* POST /_test/inject {"participant_id", "message": {...}}: the message goes
 * verbatim to that participant's WebSocket. */
static void r_test_inject(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                          http_response *res) {
  json_t *body = test_body(q, res);
  if (!body) return;
  const char *pid = json_string_value(json_object_get(body, "participant_id"));
  json_t *msg = json_object_get(body, "message");
  if (!pid || !json_is_object(msg)) api_error(res, 400, "Needs \"participant_id\" (string) and \"message\" (object).");
  else if (!a->signal) api_error(res, 503, "Signalling is not running.");
  else if (signal_test_inject(a->signal, pid, msg) != 0) api_error(res, 404, "No such participant.");
  else api_json(res, 200, json_pack("{s:b}", "sent", 1));
  json_decref(body);
}

/* POST /_test/shape {"participant_id", "kbps"}: what the SFU sends that
 * participant is limited to kbps (0: no limit), as a slow downlink. */
static void r_test_shape(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) {
  json_t *body = test_body(q, res);
  if (!body) return;
  const char *pid = json_string_value(json_object_get(body, "participant_id"));
  json_t *kbps = json_object_get(body, "kbps");
  if (!pid || !json_is_integer(kbps) || json_integer_value(kbps) < 0 || json_integer_value(kbps) > 1000000)
    api_error(res, 400, "Needs \"participant_id\" and \"kbps\" (0-1000000).");
  else if (!a->signal || signal_test_shape(a->signal, pid, (int)json_integer_value(kbps)) != 0)
    api_error(res, 404, "No such participant with a subscribe connection.");
  else
    api_json(res, 200, json_pack("{s:s}", "participant_id", pid));
  json_decref(body);
}

/* POST /_test/welcome {"room": id or friendly_url, "patch": {...}}: the next
 * welcome sent in that room is merged with the patch (RFC 7386). */
static void r_test_welcome(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                           http_response *res) {
  json_t *body = test_body(q, res);
  if (!body) return;
  const char *ref = json_string_value(json_object_get(body, "room"));
  json_t *patch = json_object_get(body, "patch");
  room *r = malloc(sizeof *r);
  if (!r) {
    api_internal_error(res);
  } else if (!ref || strlen(ref) > 64 || !json_is_object(patch)) {
    api_error(res, 400, "Needs \"room\" (id or friendly_url) and \"patch\" (object).");
  } else if (store_room_get(a->db, NULL, ref, r) != STORE_OK) {
    api_error(res, 404, "No such room.");
  } else if (!a->signal) {
    api_error(res, 503, "Signalling is not running.");
  } else if (signal_test_welcome_patch(a->signal, r->id, patch) != 0) {
    api_error(res, 429, "Too many pending welcome patches.");
  } else {
    api_json(res, 200, json_pack("{s:s}", "room_id", r->id));
  }
  free(r);
  json_decref(body);
}

static void r_rooms_list(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { api_rooms_list(a, w, q, res); }
static void r_rooms_create(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                           http_response *res) { api_rooms_create(a, w, q, res); }
static void r_room_get(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                       http_response *res) { api_rooms_get(a, w, arg, res); }
static void r_room_patch(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { api_rooms_update(a, w, arg, q, res); }
static void r_room_delete(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                          http_response *res) { api_rooms_delete(a, w, arg, res); }
static void r_room_token(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { api_rooms_token(a, w, arg, q, res); }
static void r_roles_list(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                         http_response *res) { api_roles_list(a, res); }
static void r_role_get(api_ctx *a, const api_caller *w, const char *arg, const http_request *q,
                       http_response *res) { api_roles_get(a, arg, res); }

static const route routes[] = {
    {"/healthz", "GET", r_healthz},
    {"/metrics", "GET", r_metrics},
    {"/", "GET", r_root},
    {"/dashboard", "GET", r_dashboard},
    {"/dashboard/", "GET", r_dashboard},
    {"/dashboard/{}", "GET", r_dashboard},
    {"/meeting/{}", "GET", r_meeting_asset},
    {"/common/{}", "GET", r_common_asset},
    {"/e2ee/{}", "GET", r_e2ee_asset},
    {"/ws", "GET", r_ws},
    {"/api/v1/rooms", "GET", r_rooms_list},
    {"/api/v1/rooms", "POST", r_rooms_create},
    {"/api/v1/rooms/{}", "GET", r_room_get},
    {"/api/v1/rooms/{}", "PATCH", r_room_patch},
    {"/api/v1/rooms/{}", "DELETE", r_room_delete},
    {"/api/v1/rooms/{}/token", "POST", r_room_token},
    {"/api/v1/roles", "GET", r_roles_list},
    {"/api/v1/roles/{}", "GET", r_role_get},
    {"/_test/inject", "POST", r_test_inject}, /* /_test/ routes exist only with --test-mode */
    {"/_test/welcome", "POST", r_test_welcome},
    {"/_test/shape", "POST", r_test_shape},
    {"/{}", "GET", r_meeting_page}, /* last: every other top-level path comes first */
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
  uint64_t now_ms = uv_hrtime() / 1000000;
  int retry = 1;
  char msg[96];
  credentials cred;
  store_status st = auth_parse_header(http_header(req, "Authorization"), &cred) == 0
                        ? auth_check(a->db, &cred, who->team_id, who->key_hash)
                        : STORE_NOT_FOUND;
  OPENSSL_cleanse(&cred, sizeof cred);
  if (st == STORE_ERROR) {
    api_internal_error(res);
    return -1;
  }
  if (st != STORE_OK) {
    /* Only failures are limited: valid credentials are never locked out by
     * someone else's failures from the same address (or proxy). */
    if (!rate_limiter_take(a->fail_limiter, req->client_ip, now_ms, &retry)) goto limited;
    api_error(res, 401, "Unauthenticated.");
    http_set_header(res, "WWW-Authenticate", "Bearer realm=\"sealroom\"");
    return -1;
  }
  if (rate_limiter_take(a->team_limiter, who->team_id, now_ms, &retry)) return 0;
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
    if (strncmp(routes[i].pattern, "/_test/", 7) == 0 && !a->cfg->test_mode) continue; /* absent */
    if (!match(routes[i].pattern, req->path, arg, sizeof arg)) continue;
    if (strcmp(routes[i].pattern, "/{}") == 0 && strcmp(*label, "other") != 0) break; /* shadowed */
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
   * anonymous caller learns nothing about which routes exist. So do the
   * server-wide figures of /metrics on this listener (open on the admin
   * listener, api_handle_admin). */
  api_caller who;
  memset(&who, 0, sizeof who);
  bool needs_key = strncmp(req->path, "/api/", 5) == 0 || (found && found->fn == r_metrics);
  if (needs_key && authenticate(a, req, res, &who) != 0) goto out;
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

/* The admin listener (--admin-port): /healthz and /metrics only, without
 * credentials; bound to a loopback or private address by the operator. Its
 * connections are its own, so clients of the main port cannot use them up. */
void api_handle_admin(void *ctx, const http_request *req, http_response *res, const char **label) {
  api_ctx *a = ctx;
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  api_caller none;
  memset(&none, 0, sizeof none);
  *label = "other";
  if (strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/metrics") == 0) {
    *label = strcmp(req->path, "/healthz") == 0 ? "/healthz" : "/metrics";
    if (!get) {
      api_error(res, 405, "Method not allowed.");
      http_set_header(res, "Allow", "GET, HEAD");
    } else if (strcmp(req->path, "/healthz") == 0) {
      r_healthz(a, &none, "", req, res);
    } else {
      r_metrics(a, &none, "", req, res);
    }
    return;
  }
  api_error(res, 404, "Not found.");
}
