/* Command-line and environment parsing for sealroomd. */
#include "core/config.h"
#include "core/ids.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: sealroomd [options]\n"
    "\n"
    "End-to-end encrypted video conferencing server.\n"
    "\n"
    "Options (environment variable in brackets):\n"
    "  --listen ADDR          address to bind (default 127.0.0.1) [SEALROOM_LISTEN]\n"
    "  --port N               HTTP port, 0 = any free port (default 8080) [SEALROOM_PORT]\n"
    "  --data-dir DIR         where the SQLite database lives (default ./data) [SEALROOM_DATA_DIR]\n"
    "  --web-dir DIR          static files of the web app (default ./web) [SEALROOM_WEB_DIR]\n"
    "  --public-url URL       base URL of room links (default http://localhost:PORT)\n"
    "                         [SEALROOM_PUBLIC_URL]\n"
    "  --log-level LEVEL      error, warn, info or debug (default info) [SEALROOM_LOG_LEVEL]\n"
    "  --rate-limit N         API requests per second per team, burst 2N; 0 = off\n"
    "                         (default 50) [SEALROOM_RATE_LIMIT]\n"
    "  --auth-fail-limit N    failed sign-ins per minute per client address before 429;\n"
    "                         0 = off (default 30) [SEALROOM_AUTH_FAIL_LIMIT]\n"
    "  --media-ip ADDR        address announced to browsers for media (default 127.0.0.1)\n"
    "                         [SEALROOM_MEDIA_IP]\n"
    "  --media-listen ADDR    address the media socket binds (default: --media-ip; use\n"
    "                         0.0.0.0 behind NAT) [SEALROOM_MEDIA_LISTEN]\n"
    "  --media-port N         the first media worker's UDP port; worker i uses N+i;\n"
    "                         0 = any free ports (default 40000); ICE-TCP listens on\n"
    "                         the same TCP port numbers [SEALROOM_MEDIA_PORT]\n"
    "  --media-workers N      media worker threads, each with its own port; rooms are\n"
    "                         spread over them; 0 = one per core (default 0, at most 64)\n"
    "                         [SEALROOM_MEDIA_WORKERS]\n"
    "  --no-ice-tcp           no ICE-TCP: media over UDP (or a TURN relay) only\n"
    "                         [SEALROOM_ICE_TCP=0]\n"
    "  --max-video-kbps N     video bitrate publishers may ramp up to (default 2500)\n"
    "                         [SEALROOM_MAX_VIDEO_KBPS]\n"
    "  --loudest-audio N      forward only the N loudest audio streams of a room, by\n"
    "                         their audio level (a newcomer louder by 6 dB takes the\n"
    "                         quietest place at once); rooms of N senders or fewer get\n"
    "                         all; 0 = forward all (0-16, default 3)\n"
    "                         [SEALROOM_LOUDEST_AUDIO]\n"
    "  --max-transports N     media transports the server keeps at most, two per\n"
    "                         participant; newcomers beyond get server_full\n"
    "                         (4-1024, default 1024) [SEALROOM_MAX_TRANSPORTS]\n"
    "  --join-rate N          joins per second per client address, burst 10N; 0 = off\n"
    "                         (default 5) [SEALROOM_JOIN_RATE]\n"
    "  --room-join-rate N     joins per second per room, burst 5N; 0 = off (default 20)\n"
    "                         [SEALROOM_ROOM_JOIN_RATE]\n"
    "  --max-token-lifetime S join tokens valid for longer (exp - iat) are refused, and\n"
    "                         the API mints none (default 86400: 24 h)\n"
    "                         [SEALROOM_MAX_TOKEN_LIFETIME]\n"
    "  --max-connections N    HTTP and WebSocket connections at once (default 16384,\n"
    "                         lowered to what the open-files limit allows)\n"
    "                         [SEALROOM_MAX_CONNECTIONS]\n"
    "  --max-connections-per-ip N  of them from one client address (default 128)\n"
    "                         [SEALROOM_MAX_CONNECTIONS_PER_IP]\n"
    "  --max-participants-per-ip N  participants in calls from one client address (an\n"
    "                         IPv6 /64), two media transports each; 0 = off (default 32)\n"
    "                         [SEALROOM_MAX_PARTICIPANTS_PER_IP]\n"
    "  --turn-url URLS        TURN servers for participants whose network blocks UDP and\n"
    "                         TCP to the media port, comma-separated (turn:host:3478?transport=udp,\n"
    "                         turns:host:443?transport=tcp); needs --turn-secret [SEALROOM_TURN_URL]\n"
    "  --turn-secret S        the secret shared with the TURN server (coturn\n"
    "                         use-auth-secret) [SEALROOM_TURN_SECRET]\n"
    "  --turn-ttl S           how long a join's TURN credentials stay valid (default\n"
    "                         86400) [SEALROOM_TURN_TTL]\n"
    "  --admin-port N         serve /healthz and /metrics on this port too, without\n"
    "                         credentials and with its own connections that clients of\n"
    "                         the main port cannot use up (the main port's /metrics\n"
    "                         still answers a developer key). 0 = any free port; off\n"
    "                         by default [SEALROOM_ADMIN_PORT]\n"
    "  --admin-listen ADDR    address of the admin port (default 127.0.0.1)\n"
    "                         [SEALROOM_ADMIN_LISTEN]\n"
    "  --new-key              create another developer key for the first team, print it,\n"
    "                         exit\n"
    "  --team ID              with --new-key: the team to add the key to\n"
    "  --new-team NAME        create another team with a developer key, print both, exit\n"
    "  --list-keys            list developer keys (id, team, created; never the key), exit\n"
    "  --revoke-key ID        delete a developer key: requests and join tokens signed with\n"
    "                         it stop working at once, exit\n"
    "  --help                 this text\n"
    "  --version              print the version\n"
    "\n"
    "Test mode (NEVER in production: the server then acts against its users on request):\n"
    "  --test-mode            enable the test hooks below and the /_test/ HTTP routes;\n"
    "                         the meeting page shows a TEST MODE banner\n"
    "                         [SEALROOM_TEST_MODE=1]\n"
    "  --capture DIR          write every forwarded RTP payload, per stream, as the SFU\n"
    "                         sees it after SRTP decryption (evidence that E2EE rooms\n"
    "                         leave only ciphertext)\n"
    "  --e2ee-test-mitm       act as a malicious server that hands newcomers a\n"
    "                         substituted public key for the first participant of each\n"
    "                         room, so tests can show that security codes then differ\n"
    "  --e2ee-test-tamper N   alter every Nth forwarded audio packet (flip a bit of its\n"
    "                         last byte), overwrite the next with plain bytes and replay\n"
    "                         an earlier one in the one after, to show receivers drop\n"
    "                         all three\n"
    "  --test-uplink-loss PCT drop PCT% (1-90) of the media publishers send, as a\n"
    "                         lossy uplink would, to show that their congestion\n"
    "                         control hears of it\n"
    "  --test-no-udp          offer no UDP candidate and drop every UDP datagram on the\n"
    "                         media port, as a firewall that blocks UDP would, to show\n"
    "                         calls work over ICE-TCP\n";

void config_defaults(config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->listen, sizeof c->listen, "127.0.0.1");
  c->port = 8080;
  snprintf(c->data_dir, sizeof c->data_dir, "./data");
  snprintf(c->web_dir, sizeof c->web_dir, "./web");
  c->log_level = LOG_INFO;
  c->rate_limit = 50;
  c->auth_fail_limit = 30;
  snprintf(c->media_ip, sizeof c->media_ip, "127.0.0.1");
  c->media_port = 40000;
  c->ice_tcp = true;
  c->max_video_kbps = 2500;
  c->loudest_audio = 3;
  c->max_transports = 1024;
  c->join_rate = 5;
  c->room_join_rate = 20;
  c->max_token_lifetime = 86400;
  c->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
  c->max_connections_per_ip = 128;
  c->max_participants_per_ip = 32;
  c->turn_ttl = 86400;
  snprintf(c->admin_listen, sizeof c->admin_listen, "127.0.0.1");
  c->admin_port = -1;
}

/* The range of the last number refused by parse_int, for the message. */
static struct {
  bool set;
  int lo, hi;
} refused_range;

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    refused_range.set = true;
    refused_range.lo = lo;
    refused_range.hi = hi;
    return -1;
  }
  *out = (int)v;
  return 0;
}

static int copy_str(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n == 0 || n >= cap) return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

enum { OPT_LISTEN = 1, OPT_PORT, OPT_DATA, OPT_WEB, OPT_PUBLIC, OPT_LOG, OPT_RATE,
       OPT_AUTHFAIL, OPT_MEDIAIP, OPT_MEDIALISTEN, OPT_MEDIAPORT, OPT_MEDIAWORKERS, OPT_VIDEOKBPS, OPT_LOUDEST, OPT_MAXTRANSPORTS, OPT_JOINRATE, OPT_ROOMJOINRATE, OPT_MAXCONN, OPT_MAXCONNIP, OPT_MAXPARTIP, OPT_TURNURL, OPT_TURNSECRET, OPT_TURNTTL, OPT_TOKENLIFE, OPT_ADMINPORT, OPT_ADMINLISTEN, OPT_TESTMODE, OPT_CAPTURE, OPT_MITM, OPT_TAMPER, OPT_UPLOSS, OPT_NOUDP, OPT_NOICETCP, OPT_ICETCP, OPT_NEWKEY, OPT_TEAM, OPT_NEWTEAM, OPT_LISTKEYS, OPT_REVOKEKEY, OPT_HELP, OPT_VERSION };

/* Applies one setting; the same code serves flags and environment variables. */
static int apply(config *c, int opt, const char *v, FILE *err, const char *name) {
  int rc = 0;
  switch (opt) {
    case OPT_LISTEN: rc = copy_str(c->listen, sizeof c->listen, v); break;
    case OPT_PORT: rc = parse_int(v, 0, 65535, &c->port); break;
    case OPT_DATA: rc = copy_str(c->data_dir, sizeof c->data_dir, v); break;
    case OPT_WEB: rc = copy_str(c->web_dir, sizeof c->web_dir, v); break;
    case OPT_PUBLIC:
      rc = copy_str(c->public_url, sizeof c->public_url, v);
      if (!rc && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) rc = -1;
      if (!rc) {
        size_t n = strlen(c->public_url);
        while (n > 0 && c->public_url[n - 1] == '/') c->public_url[--n] = '\0';
      }
      break;
    case OPT_LOG: rc = log_parse_level(v, &c->log_level); break;
    case OPT_RATE: rc = parse_int(v, 0, 1000000, &c->rate_limit); break;
    case OPT_AUTHFAIL: rc = parse_int(v, 0, 1000000, &c->auth_fail_limit); break;
    case OPT_MEDIAIP: rc = copy_str(c->media_ip, sizeof c->media_ip, v); break;
    case OPT_MEDIALISTEN: rc = copy_str(c->media_listen, sizeof c->media_listen, v); break;
    case OPT_MEDIAPORT: rc = parse_int(v, 0, 65535, &c->media_port); break;
    case OPT_MEDIAWORKERS: rc = parse_int(v, 0, 64, &c->media_workers); break;
    case OPT_VIDEOKBPS: rc = parse_int(v, 100, 100000, &c->max_video_kbps); break;
    case OPT_LOUDEST: rc = parse_int(v, 0, 16, &c->loudest_audio); break;
    case OPT_MAXTRANSPORTS: rc = parse_int(v, 4, 1024, &c->max_transports); break;
    case OPT_JOINRATE: rc = parse_int(v, 0, 100000, &c->join_rate); break;
    case OPT_ROOMJOINRATE: rc = parse_int(v, 0, 100000, &c->room_join_rate); break;
    case OPT_MAXCONN: rc = parse_int(v, 16, 1000000, &c->max_connections); break;
    case OPT_TOKENLIFE: rc = parse_int(v, 60, 31536000, &c->max_token_lifetime); break;
    case OPT_MAXCONNIP: rc = parse_int(v, 1, 1000000, &c->max_connections_per_ip); break;
    case OPT_MAXPARTIP: rc = parse_int(v, 0, 1000000, &c->max_participants_per_ip); break;
    case OPT_TURNURL: rc = copy_str(c->turn_urls, sizeof c->turn_urls, v); break;
    case OPT_TURNSECRET: rc = copy_str(c->turn_secret, sizeof c->turn_secret, v); break;
    case OPT_TURNTTL: rc = parse_int(v, 60, 31536000, &c->turn_ttl); break;
    case OPT_ADMINPORT: rc = parse_int(v, 0, 65535, &c->admin_port); break;
    case OPT_ADMINLISTEN: rc = copy_str(c->admin_listen, sizeof c->admin_listen, v); break;
    case OPT_TESTMODE: /* environment only; the flag takes no value */
      if (strcmp(v, "1") == 0) c->test_mode = true;
      else if (strcmp(v, "0") == 0) c->test_mode = false;
      else rc = -1;
      break;
    case OPT_CAPTURE: rc = copy_str(c->capture_dir, sizeof c->capture_dir, v); break;
    case OPT_TAMPER: rc = parse_int(v, 2, 1000000, &c->e2ee_test_tamper); break;
    case OPT_UPLOSS: rc = parse_int(v, 1, 90, &c->test_uplink_loss); break;
    case OPT_ICETCP: /* environment only: SEALROOM_ICE_TCP=0 is --no-ice-tcp */
      if (strcmp(v, "1") == 0) c->ice_tcp = true;
      else if (strcmp(v, "0") == 0) c->ice_tcp = false;
      else rc = -1;
      break;
    case OPT_NEWTEAM: rc = copy_str(c->new_team, sizeof c->new_team, v); break;
    case OPT_TEAM: rc = uuid_is_valid(v) ? copy_str(c->team, sizeof c->team, v) : -1; break;
    case OPT_REVOKEKEY: {
      int id;
      rc = parse_int(v, 1, 2000000000, &id);
      c->revoke_key = id;
      break;
    }
    default: rc = -1;
  }
  if (rc && (opt == OPT_ICETCP || opt == OPT_TESTMODE))
    fprintf(err, "sealroomd: invalid value for %s: '%s' (0 or 1)\n", name, v);
  else if (rc && refused_range.set)
    fprintf(err, "sealroomd: invalid value for %s: '%s' (a whole number from %d to %d)\n", name, v,
            refused_range.lo, refused_range.hi);
  else if (rc)
    fprintf(err, "sealroomd: invalid value for %s: '%s'\n", name, v);
  refused_range.set = false;
  return rc;
}

/* Each comma-separated entry of --turn-url must be a turn:, turns: or stun:
 * URL: a browser silently drops anything else, and the relay would be gone
 * without a word. */
static bool turn_urls_valid(const char *list, FILE *err) {
  char copy[sizeof ((config *)0)->turn_urls];
  snprintf(copy, sizeof copy, "%s", list);
  char *save = NULL;
  for (char *u = strtok_r(copy, ", ", &save); u; u = strtok_r(NULL, ", ", &save)) {
    if (strncmp(u, "turn:", 5) == 0 || strncmp(u, "turns:", 6) == 0 || strncmp(u, "stun:", 5) == 0) continue;
    fprintf(err, "sealroomd: --turn-url: '%s' is not a turn:, turns: or stun: URL\n"
                 "  (e.g. turn:turn.example.com:3478?transport=udp)\n", u);
    return false;
  }
  return true;
}

config_result config_load(config *c, int argc, char **argv, FILE *out, FILE *err) {
  static const struct { const char *env; int opt; } envs[] = {
      {"SEALROOM_LISTEN", OPT_LISTEN}, {"SEALROOM_PORT", OPT_PORT},
      {"SEALROOM_DATA_DIR", OPT_DATA}, {"SEALROOM_WEB_DIR", OPT_WEB},
      {"SEALROOM_PUBLIC_URL", OPT_PUBLIC}, {"SEALROOM_LOG_LEVEL", OPT_LOG},
      {"SEALROOM_RATE_LIMIT", OPT_RATE}, {"SEALROOM_AUTH_FAIL_LIMIT", OPT_AUTHFAIL},
      {"SEALROOM_MEDIA_IP", OPT_MEDIAIP}, {"SEALROOM_MEDIA_LISTEN", OPT_MEDIALISTEN},
      {"SEALROOM_MEDIA_PORT", OPT_MEDIAPORT}, {"SEALROOM_MEDIA_WORKERS", OPT_MEDIAWORKERS}, {"SEALROOM_ICE_TCP", OPT_ICETCP}, {"SEALROOM_MAX_VIDEO_KBPS", OPT_VIDEOKBPS}, {"SEALROOM_LOUDEST_AUDIO", OPT_LOUDEST}, {"SEALROOM_TEST_MODE", OPT_TESTMODE},
      {"SEALROOM_MAX_TRANSPORTS", OPT_MAXTRANSPORTS}, {"SEALROOM_JOIN_RATE", OPT_JOINRATE},
      {"SEALROOM_ROOM_JOIN_RATE", OPT_ROOMJOINRATE}, {"SEALROOM_MAX_CONNECTIONS", OPT_MAXCONN},
      {"SEALROOM_MAX_CONNECTIONS_PER_IP", OPT_MAXCONNIP}, {"SEALROOM_MAX_PARTICIPANTS_PER_IP", OPT_MAXPARTIP},
      {"SEALROOM_TURN_URL", OPT_TURNURL}, {"SEALROOM_TURN_SECRET", OPT_TURNSECRET}, {"SEALROOM_TURN_TTL", OPT_TURNTTL}, {"SEALROOM_ADMIN_PORT", OPT_ADMINPORT},
      {"SEALROOM_ADMIN_LISTEN", OPT_ADMINLISTEN}, {"SEALROOM_MAX_TOKEN_LIFETIME", OPT_TOKENLIFE}};
  for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
    const char *v = getenv(envs[i].env);
    if (v && *v && apply(c, envs[i].opt, v, err, envs[i].env)) return CONFIG_ERROR;
  }
  static const struct option longopts[] = {
      {"listen", required_argument, 0, OPT_LISTEN},
      {"port", required_argument, 0, OPT_PORT},
      {"data-dir", required_argument, 0, OPT_DATA},
      {"web-dir", required_argument, 0, OPT_WEB},
      {"public-url", required_argument, 0, OPT_PUBLIC},
      {"log-level", required_argument, 0, OPT_LOG},
      {"rate-limit", required_argument, 0, OPT_RATE},
      {"auth-fail-limit", required_argument, 0, OPT_AUTHFAIL},
      {"media-ip", required_argument, 0, OPT_MEDIAIP},
      {"media-listen", required_argument, 0, OPT_MEDIALISTEN},
      {"media-port", required_argument, 0, OPT_MEDIAPORT},
      {"media-workers", required_argument, 0, OPT_MEDIAWORKERS},
      {"max-video-kbps", required_argument, 0, OPT_VIDEOKBPS},
      {"loudest-audio", required_argument, 0, OPT_LOUDEST},
      {"max-transports", required_argument, 0, OPT_MAXTRANSPORTS},
      {"join-rate", required_argument, 0, OPT_JOINRATE},
      {"room-join-rate", required_argument, 0, OPT_ROOMJOINRATE},
      {"max-connections", required_argument, 0, OPT_MAXCONN},
      {"max-token-lifetime", required_argument, 0, OPT_TOKENLIFE},
      {"max-connections-per-ip", required_argument, 0, OPT_MAXCONNIP},
      {"max-participants-per-ip", required_argument, 0, OPT_MAXPARTIP},
      {"turn-url", required_argument, 0, OPT_TURNURL},
      {"turn-secret", required_argument, 0, OPT_TURNSECRET},
      {"turn-ttl", required_argument, 0, OPT_TURNTTL},
      {"admin-port", required_argument, 0, OPT_ADMINPORT},
      {"admin-listen", required_argument, 0, OPT_ADMINLISTEN},
      {"test-mode", no_argument, 0, OPT_TESTMODE},
      {"capture", required_argument, 0, OPT_CAPTURE},
      {"e2ee-test-mitm", no_argument, 0, OPT_MITM},
      {"e2ee-test-tamper", required_argument, 0, OPT_TAMPER},
      {"test-uplink-loss", required_argument, 0, OPT_UPLOSS},
      {"test-no-udp", no_argument, 0, OPT_NOUDP},
      {"no-ice-tcp", no_argument, 0, OPT_NOICETCP},
      {"new-key", no_argument, 0, OPT_NEWKEY},
      {"new-team", required_argument, 0, OPT_NEWTEAM},
      {"team", required_argument, 0, OPT_TEAM},
      {"list-keys", no_argument, 0, OPT_LISTKEYS},
      {"revoke-key", required_argument, 0, OPT_REVOKEKEY},
      {"help", no_argument, 0, OPT_HELP},
      {"version", no_argument, 0, OPT_VERSION},
      {0, 0, 0, 0}};
  optind = 1;
  opterr = 0;
  int opt, idx;
  while ((opt = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
    if (opt == 'h' || opt == OPT_HELP) {
      fputs(usage, out);
      return CONFIG_EXIT_OK;
    } else if (opt == OPT_VERSION) {
      fprintf(out, "sealroomd %s\n", SEALROOM_VERSION);
      return CONFIG_EXIT_OK;
    } else if (opt == OPT_NEWKEY) {
      c->new_key = true;
    } else if (opt == OPT_LISTKEYS) {
      c->list_keys = true;
    } else if (opt == OPT_MITM) {
      c->e2ee_test_mitm = true;
    } else if (opt == OPT_TESTMODE) {
      c->test_mode = true;
    } else if (opt == OPT_NOUDP) {
      c->test_no_udp = true;
    } else if (opt == OPT_NOICETCP) {
      c->ice_tcp = false;
    } else if (opt == '?' || opt == ':') {
      fprintf(err, "sealroomd: %s option '%s'\n%s", opt == ':' ? "missing value for" : "unknown",
              argv[optind - 1], "Try 'sealroomd --help'.\n");
      return CONFIG_ERROR;
    } else if (apply(c, opt, optarg, err, longopts[idx].name)) {
      return CONFIG_ERROR;
    }
  }
  if (optind < argc) {
    fprintf(err, "sealroomd: unexpected argument '%s'\nTry 'sealroomd --help'.\n", argv[optind]);
    return CONFIG_ERROR;
  }
  if (c->turn_urls[0] && !turn_urls_valid(c->turn_urls, err)) return CONFIG_ERROR;
  if (!c->turn_urls[0] != !c->turn_secret[0]) {
    fprintf(err, "sealroomd: --turn-url and --turn-secret go together (the TURN server checks the\n"
                 "  credentials sealroomd makes with the secret)\n");
    return CONFIG_ERROR;
  }
  /* Test hooks exist only in test mode: one explicit switch, never a
   * forgotten flag on a production server. */
  const char *hook = c->capture_dir[0] ? "--capture"
                     : c->e2ee_test_mitm ? "--e2ee-test-mitm"
                     : c->e2ee_test_tamper ? "--e2ee-test-tamper"
                     : c->test_uplink_loss ? "--test-uplink-loss"
                     : c->test_no_udp ? "--test-no-udp"
                                           : NULL;
  if (c->test_no_udp && !c->ice_tcp) {
    fprintf(err, "sealroomd: --test-no-udp leaves only ICE-TCP, which --no-ice-tcp turns off\n");
    return CONFIG_ERROR;
  }
  if (hook && !c->test_mode) {
    fprintf(err, "sealroomd: %s is a test hook and needs --test-mode (or SEALROOM_TEST_MODE=1);\n"
                 "  test mode is for test suites only, never for a server people use\n", hook);
    return CONFIG_ERROR;
  }
  return CONFIG_OK;
}

void config_finish(config *c, int bound_port) {
  if (c->public_url[0] == '\0')
    snprintf(c->public_url, sizeof c->public_url, "http://localhost:%d", bound_port);
}
