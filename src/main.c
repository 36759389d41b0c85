/* sealroomd: loads settings, opens storage, creates the first team on first
 * start, serves HTTP on the libuv loop until SIGINT/SIGTERM, then shuts down
 * cleanly (exit status 0). */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <uv.h>

#include "api/api.h"
#include "api/auth.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "http/http.h"
#include "sfu/sfu.h"
#include "signal/signal.h"

typedef struct {
  http_server *http;
  http_server *admin; /* --admin-port: /healthz and /metrics on their own connections */
  signal_server *signal;
  sfu *media;
  api_ctx *app;
  bool stopping, signals_started;
  uv_signal_t sigint, sigterm;
} daemon_state;

static void count_request(void *ctx, const char *method, const char *route, int status) {
  metrics_count_request(((api_ctx *)ctx)->stats, method, route, status);
}

/* Shutdown, second step: every WebSocket and participant is gone (their
 * upgraded sockets are closed before the HTTP server, which owns them, and
 * leaving participants still talked to the SFU), so HTTP and the SFU stop. */
static void on_signalling_stopped(void *ctx) {
  daemon_state *d = ctx;
  d->signal = NULL;
  if (d->app) d->app->signal = NULL;
  if (d->media) sfu_set_event_ctx(d->media, NULL); /* queued events find nobody */
  http_server_stop(d->http);
  d->http = NULL;
  http_server_stop(d->admin);
  d->admin = NULL;
  sfu_stop(d->media);
  d->media = NULL;
  if (d->app) d->app->media = NULL;
  if (d->signals_started) {
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
  }
}

/* Shutdown, first step: close every WebSocket (2 s at most). */
static void on_signal(uv_signal_t *h, int signum) {
  daemon_state *d = h->data;
  if (d->stopping) return;
  d->stopping = true;
  log_info("signal %d: shutting down", signum);
  signal_stop(d->signal, on_signalling_stopped, d);
}

/* Connections the open-files limit allows, for HTTP and for WebSockets each
 * (libmicrohttpd stops counting a connection once it is a WebSocket):
 * raises the soft limit to the hard one, keeps 512 descriptors for
 * everything else (database, media socket, epoll, the admin listener) and
 * `reserved` more (ICE-TCP's connections), and returns at most `wanted`. */
static unsigned connection_budget(int wanted, unsigned reserved) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t keep = 512 + reserved; /* everything else: files, the database, ICE-TCP connections */
  rlim_t avail = rl.rlim_cur > 1024 + keep ? (rl.rlim_cur - keep) / 2 : 512;
  if (rl.rlim_cur == RLIM_INFINITY) avail = (rlim_t)wanted;
  if ((rlim_t)wanted > avail) {
    /* Only a limit the operator asked for is worth a warning. */
    if (wanted != CONFIG_DEFAULT_MAX_CONNECTIONS)
      log_warn("--max-connections %d is more than the open-files limit allows: %llu (raise ulimit -n)",
               wanted, (unsigned long long)avail);
    else
      log_info("connections: at most %llu at once (the open-files limit; raise ulimit -n for more)",
               (unsigned long long)avail);
    return (unsigned)avail;
  }
  return (unsigned)wanted;
}

static int make_dirs(const char *path) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Ensures a team with a developer key exists. On first start (or if the
 * first team was left without a key) creates what is missing and returns 2
 * (team and key made) or 1 (key only) with both in team_id/key; 0 if all was
 * there; -1 on error. */
static int bootstrap_team(store *db, char team_id[UUID_STR_LEN], char key[DEV_KEY_MAX + 1]) {
  store_status st = store_team_first(db, team_id);
  int made_team = 0;
  if (st == STORE_NOT_FOUND) {
    if (uuid_v4(team_id) != 0 || store_team_create(db, team_id, "Default team", now_unix()) != STORE_OK)
      return -1;
    made_team = 1;
  } else if (st != STORE_OK) {
    return -1;
  }
  uint8_t hashes[1][KEY_HASH_LEN];
  size_t n = 0;
  if (store_key_hashes(db, team_id, hashes, 1, &n) != STORE_OK) return -1;
  OPENSSL_cleanse(hashes, sizeof hashes);
  if (n > 0) return 0;
  return auth_new_key(db, team_id, key) == 0 ? 1 + made_team : -1;
}

static int print_new_team(store *db, const char *name) {
  char team_id[UUID_STR_LEN], key[DEV_KEY_MAX + 1];
  if (uuid_v4(team_id) != 0 || store_team_create(db, team_id, name, now_unix()) != STORE_OK ||
      auth_new_key(db, team_id, key) != 0) {
    fprintf(stderr, "sealroomd: could not create the team\n");
    return 1;
  }
  printf("Created team '%s' (the key is shown only this once)\n  Team ID:       %s\n"
         "  Developer key: %s\n", name, team_id, key);
  OPENSSL_cleanse(key, sizeof key);
  return 0;
}

static int list_keys(store *db) {
  key_info keys[256];
  size_t n;
  if (store_keys_list(db, keys, 256, &n) != STORE_OK) return 1;
  printf("%-6s %-36s %-20s %-9s %s\n", "ID", "TEAM", "CREATED", "HASH", "TEAM NAME");
  for (size_t i = 0; i < n; i++) {
    char created[ISO8601_LEN];
    iso8601_format(keys[i].created_at, created);
    printf("%-6lld %-36s %-20s %02x%02x%02x%02x  %s\n", (long long)keys[i].id, keys[i].team_id,
           created, keys[i].hash_prefix[0], keys[i].hash_prefix[1], keys[i].hash_prefix[2],
           keys[i].hash_prefix[3], keys[i].team_name);
  }
  return 0;
}

static int revoke_key(store *db, long long id) {
  store_status st = store_key_delete(db, id);
  if (st == STORE_OK) {
    printf("Developer key %lld revoked.\n", id);
    return 0;
  }
  fprintf(stderr, "sealroomd: %s\n", st == STORE_NOT_FOUND ? "no developer key with that id" : "could not revoke the key");
  return 1;
}

static int print_new_key(store *db, const char *team) {
  char team_id[UUID_STR_LEN], key[DEV_KEY_MAX + 1];
  if (team[0]) {
    for (int i = 0; i < UUID_STR_LEN; i++) team_id[i] = (char)tolower((unsigned char)team[i]);
  } else if (store_team_first(db, team_id) != STORE_OK) {
    fprintf(stderr, "sealroomd: there is no team yet (start sealroomd once, or use --new-team)\n");
    return 1;
  }
  if (auth_new_key(db, team_id, key) != 0) {
    fprintf(stderr, "sealroomd: could not create a developer key (no such team?)\n");
    return 1;
  }
  printf("New developer key for team %s (shown only once):\n  %s\n", team_id, key);
  OPENSSL_cleanse(key, sizeof key);
  return 0;
}

/* The cores this process may use: the CPUs it may run on, or fewer under a
 * cgroup v2 CPU quota (a container's --cpus), at most SFU_MAX_WORKERS. */
static int cores_usable(void) {
  long long n = (long long)uv_available_parallelism();
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (f) {
    char quota[32];
    long long period;
    if (fscanf(f, "%31s %lld", quota, &period) == 2 && strcmp(quota, "max") != 0 && period > 0) {
      long long q = atoll(quota);
      if (q > 0 && (q + period - 1) / period < n) n = (q + period - 1) / period;
    }
    fclose(f);
  }
  return n < 1 ? 1 : n > SFU_MAX_WORKERS ? SFU_MAX_WORKERS : (int)n;
}

int main(int argc, char **argv) {
  config cfg;
  config_defaults(&cfg);
  config_result cr = config_load(&cfg, argc, argv, stdout, stderr);
  if (cr != CONFIG_OK) return cr == CONFIG_EXIT_OK ? 0 : 2;
  log_set_level(cfg.log_level);
  signal(SIGPIPE, SIG_IGN);
  umask(077); /* the database holds key hashes: owner-only files */

  char db_path[600];
  snprintf(db_path, sizeof db_path, "%s/sealroom.db", cfg.data_dir);
  store *db = NULL;
  if (make_dirs(cfg.data_dir) != 0 || store_open_sqlite(db_path, &db) != STORE_OK) {
    fprintf(stderr, "sealroomd: cannot open the database %s\n", db_path);
    return 1;
  }
  if (cfg.new_key || cfg.new_team[0] || cfg.list_keys || cfg.revoke_key) {
    int rc = cfg.new_team[0] ? print_new_team(db, cfg.new_team)
             : cfg.list_keys ? list_keys(db)
             : cfg.revoke_key ? revoke_key(db, cfg.revoke_key)
                              : print_new_key(db, cfg.team);
    store_close(db);
    return rc;
  }
  char team_id[UUID_STR_LEN], key[DEV_KEY_MAX + 1];
  int fresh = bootstrap_team(db, team_id, key);
  if (fresh < 0) {
    fprintf(stderr, "sealroomd: cannot create the first team\n");
    store_close(db);
    return 1;
  }

  api_ctx app = {.cfg = &cfg, .db = db, .stats = metrics_new(),
                 .team_limiter = rate_limiter_new(cfg.rate_limit, 2.0 * cfg.rate_limit),
                 .fail_limiter = rate_limiter_new(cfg.auth_fail_limit / 60.0, cfg.auth_fail_limit),
                 .started_at = (double)uv_hrtime() / 1e9};
  uv_loop_t *loop = uv_default_loop();
  daemon_state d = {0};
  sfu_config mc = {.port = cfg.media_port, .max_video_bitrate = (uint64_t)cfg.max_video_kbps * 1000,
                   .max_transports = cfg.max_transports, .workers = cfg.media_workers};
  if (mc.workers == 0) mc.workers = cores_usable();
  snprintf(mc.announce_ip, sizeof mc.announce_ip, "%s", cfg.media_ip);
  snprintf(mc.listen_ip, sizeof mc.listen_ip, "%s", cfg.media_listen[0] ? cfg.media_listen : cfg.media_ip);
  snprintf(mc.capture_dir, sizeof mc.capture_dir, "%s", cfg.capture_dir);
  mc.test_mode = cfg.test_mode;
  mc.test_tamper = cfg.e2ee_test_tamper;
  mc.test_uplink_loss = cfg.test_uplink_loss;
  mc.ice_tcp = cfg.ice_tcp;
  mc.loudest_audio = cfg.loudest_audio;
  mc.test_no_udp = cfg.test_no_udp;
  if (cfg.test_mode) {
    log_warn("********************************************************************");
    log_warn("TEST MODE (--test-mode): this server runs test hooks and /_test/ routes");
    log_warn("that let anyone make it attack its own users. Never use it for real calls.");
    log_warn("********************************************************************");
  }
  if (cfg.e2ee_test_tamper) log_warn("--e2ee-test-tamper: this server alters audio in flight (test only!)");
  if (cfg.turn_urls[0]) log_info("TURN: %s (credentials valid for %d s)", cfg.turn_urls, cfg.turn_ttl);
  if (cfg.test_no_udp) log_warn("--test-no-udp: this server refuses media over UDP (test only!)");
  if (cfg.test_uplink_loss) log_warn("--test-uplink-loss: this server drops %d%% of published media (test only!)", cfg.test_uplink_loss);
  if (cfg.capture_dir[0] && make_dirs(cfg.capture_dir) != 0) {
    fprintf(stderr, "sealroomd: cannot create the capture directory %s\n", cfg.capture_dir);
    store_close(db);
    return 1;
  }
  if (cfg.capture_dir[0]) log_warn("capturing every forwarded payload to %s (--capture)", cfg.capture_dir);
  if (cfg.e2ee_test_mitm) log_warn("--e2ee-test-mitm: this server substitutes public keys (test only!)");
  d.media = sfu_start(loop, &mc, signal_on_media_event, NULL);
  if (!d.media) {
    fprintf(stderr, "sealroomd: cannot open the media ports %s:%d%s (see the log above)\n", mc.listen_ip, mc.port,
            mc.workers > 1 ? " and up" : "");
    store_close(db);
    return 1;
  }
  cfg.max_connections = (int)connection_budget(cfg.max_connections, cfg.ice_tcp ? SFU_MAX_TCP_CONNS : 0);
  d.signal = signal_start(loop, &cfg, db, d.media);
  sfu_set_event_ctx(d.media, d.signal);
  app.signal = d.signal;
  app.media = d.media;
  d.app = &app;
  http_options ho = {.listen = cfg.listen, .port = cfg.port, .max_body = API_MAX_BODY,
                     .max_connections = (unsigned)cfg.max_connections,
                     .per_ip_connections = (unsigned)cfg.max_connections_per_ip,
                     .handler = api_handle, .observer = count_request, .ctx = &app};
  d.http = http_server_start(loop, &ho);
  int rc = 1;
  if (!d.http || !app.stats || !app.team_limiter || !app.fail_limiter) goto out;
  if (cfg.admin_port >= 0) {
    http_options ao = {.listen = cfg.admin_listen, .port = cfg.admin_port, .max_body = 1024,
                       .max_connections = 64, .per_ip_connections = 16,
                       .handler = api_handle_admin, .observer = count_request, .ctx = &app};
    if (!(d.admin = http_server_start(loop, &ao))) goto out;
  }
  config_finish(&cfg, http_server_port(d.http));
  /* Signals are handled before the listening line is printed: whoever waits
   * for that line may stop the server right away. */
  uv_signal_init(loop, &d.sigint);
  uv_signal_init(loop, &d.sigterm);
  d.sigint.data = d.sigterm.data = &d;
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);
  d.signals_started = true;

  /* "media udp 127.0.0.1:40000" and, with several workers, "+40001+...". */
  char ports[SFU_MAX_WORKERS * 7] = "";
  for (int i = 1, n = 0; i < sfu_workers(d.media) && n < (int)sizeof ports; i++)
    n += snprintf(ports + n, sizeof ports - (size_t)n, "+%d", sfu_port(d.media, i));
  printf("sealroomd %s listening on http://%s%s%s:%d (media %s %s:%d%s%s%s, %d worker%s)\n", SEALROOM_VERSION,
         strchr(cfg.listen, ':') ? "[" : "", cfg.listen, strchr(cfg.listen, ':') ? "]" : "",
         http_server_port(d.http), cfg.ice_tcp ? "udp+tcp" : "udp", mc.listen_ip, sfu_port(d.media, 0), ports,
         strcmp(mc.listen_ip, sfu_announce_ip(d.media)) ? ", announced as " : "",
         strcmp(mc.listen_ip, sfu_announce_ip(d.media)) ? sfu_announce_ip(d.media) : "", sfu_workers(d.media),
         sfu_workers(d.media) == 1 ? "" : "s");
  if (sfu_workers(d.media) > 1 && mc.port) /* an upgrade from one port must open the others too */
    log_info("media: %d workers, a port each: let UDP and TCP %d-%d through the firewall (--media-workers 1: one port)",
             sfu_workers(d.media), mc.port, mc.port + sfu_workers(d.media) - 1);
  if (d.admin)
    printf("admin (/healthz, /metrics) on http://%s%s%s:%d\n", strchr(cfg.admin_listen, ':') ? "[" : "",
           cfg.admin_listen, strchr(cfg.admin_listen, ':') ? "]" : "", http_server_port(d.admin));
  if (fresh) {
    printf("First start: created %s (the key is shown only this once)\n"
           "  Team ID:       %s\n  Developer key: %s\n  Dashboard:     %s/dashboard\n",
           fresh == 2 ? "a team and a developer key" : "a developer key for the team (it had none)",
           team_id, key, cfg.public_url);
    OPENSSL_cleanse(key, sizeof key);
  } else {
    printf("Dashboard: %s/dashboard (sign in with your team id and developer key;\n"
           "  sealroomd --new-key --data-dir %s makes a new key)\n", cfg.public_url, cfg.data_dir);
  }
  fflush(stdout);

  uv_run(loop, UV_RUN_DEFAULT);
  rc = 0;
  log_info("stopped");
out:
  if (rc != 0 && d.signal) signal_stop(d.signal, on_signalling_stopped, &d);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  rate_limiter_free(app.team_limiter);
  rate_limiter_free(app.fail_limiter);
  metrics_free(app.stats);
  store_close(db);
  return rc;
}
