/* sealroomd settings: defaults, then SEALROOM_* environment variables, then flags. */
#ifndef SEALROOM_CONFIG_H
#define SEALROOM_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/log.h"

#define SEALROOM_VERSION "0.1.0"

typedef struct {
  char listen[64];        /* IPv4 or IPv6 address to bind */
  int port;               /* 0: the kernel picks one */
  char data_dir[512];
  char web_dir[512];
  char public_url[256];   /* base of room links; default http://localhost:PORT */
  log_level log_level;
  int rate_limit;         /* API requests per second per team (burst 2x); 0 = off */
  int auth_fail_limit;    /* failed authentications per minute per IP; 0 = off */
  char media_ip[64];      /* address announced in ICE candidates */
  char media_listen[64];  /* address the media socket binds ("" = media_ip) */
  int media_port;         /* media worker i's UDP port is media_port + i (and ICE-TCP on the same TCP port); 0 = any */
  int media_workers;      /* media worker threads; 0 = one per core */
  bool ice_tcp;           /* ICE-TCP on the media port (default on; --no-ice-tcp) */
  int max_video_kbps;     /* REMB sent to publishers */
  int loudest_audio;      /* forward the N loudest audio streams of a room (0: all) */
  int max_transports;     /* media transport pool (two per participant) */
  int join_rate;          /* joins per second per client address, burst 10x; 0 = off */
  int room_join_rate;     /* joins per second per room, burst 5x; 0 = off */
  int max_token_lifetime; /* seconds a join token may be valid for (exp - iat) */
  int max_connections;    /* HTTP and WebSocket connections open at once */
  int max_connections_per_ip; /* of them from one client address */
#define CONFIG_DEFAULT_MAX_CONNECTIONS 16384
  int max_participants_per_ip; /* joined participants from one client address (0: no limit) */
  char turn_urls[1024];   /* --turn-url: comma-separated TURN URLs given to participants ("" = none) */
  char turn_secret[256];  /* --turn-secret: shared with the TURN server (coturn use-auth-secret) */
  int turn_ttl;           /* --turn-ttl: seconds the TURN credentials of a join stay valid */
  char admin_listen[64];  /* the admin listener's address (/healthz, /metrics) */
  int admin_port;         /* -1: no admin listener; 0: any free port */
  /* Test hooks: each needs test_mode, which config_load checks. */
  bool test_mode;         /* --test-mode: test hooks and /_test routes exist (never in production) */
  char capture_dir[512];  /* --capture: write forwarded payloads here ("" = off) */
  bool e2ee_test_mitm;    /* --e2ee-test-mitm: the server lies about a public key */
  int e2ee_test_tamper;   /* --e2ee-test-tamper N: alter audio packets in flight */
  int test_uplink_loss;   /* --test-uplink-loss PCT: drop media from publishers */
  bool test_no_udp;       /* --test-no-udp: offer no UDP candidate and drop UDP media, as a firewall would */
  bool new_key;           /* --new-key: print a new developer key and exit */
  char new_team[128];     /* --new-team NAME: create a team and its key, print, exit */
  char team[64];          /* --team ID: the team --new-key works on (default: the first) */
  bool list_keys;         /* --list-keys: list developer keys (ids only), exit */
  long long revoke_key;   /* --revoke-key ID: delete a developer key, exit (0: none) */
  bool help, version;
} config;

typedef enum { CONFIG_OK = 0, CONFIG_EXIT_OK, CONFIG_ERROR } config_result;

void config_defaults(config *c);
/* Applies the environment, then argv. Prints errors and --help to the given
 * streams. CONFIG_EXIT_OK means --help or --version was handled. A test hook
 * (--capture, --e2ee-test-mitm, --e2ee-test-tamper) without --test-mode is
 * a CONFIG_ERROR. */
config_result config_load(config *c, int argc, char **argv, FILE *out, FILE *err);
/* Fills public_url from the bound port when it was not set. */
void config_finish(config *c, int bound_port);

#endif
