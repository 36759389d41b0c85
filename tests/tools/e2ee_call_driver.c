/* A C participant for tests/js/client-e2ee-interop.test.mjs: client/e2ee_call
 * driven with JSON lines, speaking the meeting page's E2EE worker's messages
 * (web/meeting/e2ee-worker.js) so that the test's server routes it like a
 * browser's worker. Binary data is hex.
 *
 * stdin, one object a line:
 *   {"op":"start","selfId","selfName","sessionId","slot","peers":[{id,slot,publicKey,signingKey}]}
 *   {"op":"joined","peer":{...}}  {"op":"left","id"}  {"op":"relay","from","payload":{...}}
 *   {"op":"encrypt","codec":"opus"|"vp8","key":bool,"data":hex}
 *                                                     -> encrypted {data | null, status}
 *   {"op":"receive","from","stream":n,"codec","data":hex}         -> received {result}
 *   {"op":"chatSeal","text"} -> chatSeal {payload | null}
 *   {"op":"chatOpen","from","payload"} -> chatOpen {ok, text?, status?}
 *   {"op":"stats"} -> stats {...}     {"op":"quit"}
 * stdout, one object a line: ready {publicKey, signingKey} at once; relays {list};
 *   broadcast {payload}; frame {from, stream, codec, data}; verify {code, complete,
 *   members, names}; alarm {id, reason}; peer {id, ok}; keyframe {}.
 * The driver ticks the module itself every SC_E2EE_TICK_MS on the real clock. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/e2ee_call.h"

static void emit(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT);
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(s);
  }
  json_decref(o);
}

static char *hex_of(const uint8_t *b, size_t n) {
  char *s = malloc(n * 2 + 1);
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) snprintf(s + i * 2, 3, "%02x", b[i]);
  s[n * 2] = '\0';
  return s;
}

/* Decodes hex into a malloc'd buffer; NULL on bad hex. */
static uint8_t *from_hex(const char *s, size_t *n) {
  size_t len = s ? strlen(s) : 0;
  if (!s || len % 2) return NULL;
  uint8_t *b = malloc(len / 2 + 1);
  if (!b) return NULL;
  for (size_t i = 0; i < len / 2; i++) {
    unsigned v;
    if (sscanf(s + i * 2, "%2x", &v) != 1) {
      free(b);
      return NULL;
    }
    b[i] = (uint8_t)v;
  }
  *n = len / 2;
  return b;
}

static json_t *payload_json(const char *text, size_t len) {
  json_error_t err;
  return json_loadb(text, len, 0, &err);
}

static void cb_relays(void *ctx, const sc_e2ee_relay_msg *list, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    json_array_append_new(arr, json_pack("{s:s, s:o}", "to", list[i].to, "payload",
                                         payload_json(list[i].payload, list[i].payload_len)));
  }
  emit(json_pack("{s:s, s:o}", "op", "relays", "list", arr));
}

static void cb_broadcast(void *ctx, const char *payload, size_t len) {
  emit(json_pack("{s:s, s:o}", "op", "broadcast", "payload", payload_json(payload, len)));
}

static void cb_frame(void *ctx, const char *from, uint64_t stream, sre_codec codec,
                     const uint8_t *data, size_t len) {
  char *h = hex_of(data, len);
  emit(json_pack("{s:s, s:s, s:I, s:s, s:s}", "op", "frame", "from", from, "stream",
                 (json_int_t)stream, "codec", sre_codec_name(codec), "data", h ? h : ""));
  free(h);
}

static void cb_verify(void *ctx, const sc_e2ee_verify *v) {
  json_t *members = json_array(), *names = json_object(), *excluded = json_array();
  for (size_t i = 0; i < v->n_members; i++) {
    json_array_append_new(members, json_string(v->members[i].id));
    json_object_set_new(names, v->members[i].id,
                        v->members[i].name ? json_string(v->members[i].name) : json_null());
  }
  for (size_t i = 0; i < v->n_excluded; i++) {
    json_array_append_new(excluded, json_string(v->excluded[i]));
  }
  emit(json_pack("{s:s, s:o, s:b, s:o, s:o, s:o}", "op", "verify", "code",
                 v->code ? json_string(v->code) : json_null(), "complete", v->complete, "members",
                 members, "names", names, "excluded", excluded));
}

static void cb_alarm(void *ctx, const char *id, sc_e2ee_alarm reason, const char *name) {
  emit(json_pack("{s:s, s:s, s:s}", "op", "alarm", "id", id, "reason", sc_e2ee_alarm_name(reason)));
}

static void cb_peer(void *ctx, const char *id, bool ok, int status) {
  emit(json_pack("{s:s, s:s, s:b}", "op", "peer", "id", id, "ok", ok));
}

static void cb_keyframe(void *ctx) {
  emit(json_pack("{s:s}", "op", "keyframe"));
}

static bool codec_of(json_t *o, sre_codec *c) {
  const char *name = json_string_value(json_object_get(o, "codec"));
  return name && sre_codec_from_name(name, c);
}

/* A roster entry in the worker's form {id, slot, publicKey, signingKey}. */
static sc_e2ee_peer peer_of(json_t *o) {
  sc_e2ee_peer p = {json_string_value(json_object_get(o, "id")), -1,
                    json_string_value(json_object_get(o, "publicKey")),
                    json_string_value(json_object_get(o, "signingKey"))};
  json_t *slot = json_object_get(o, "slot");
  if (json_is_integer(slot)) p.slot = json_integer_value(slot);
  return p;
}

static int relay_op(sc_e2ee *e, json_t *m) {
  char *text = json_dumps(json_object_get(m, "payload"), JSON_COMPACT | JSON_ENCODE_ANY);
  int st = text ? sc_e2ee_relay(e, json_string_value(json_object_get(m, "from")), text,
                                strlen(text))
                : SRE_ERR_JSON;
  free(text);
  return st;
}

static void encrypt_op(sc_e2ee *e, json_t *m) {
  sre_codec c;
  size_t n = 0, wl = 0;
  uint8_t *f = from_hex(json_string_value(json_object_get(m, "data")), &n);
  uint8_t *out = f ? malloc(n + SC_E2EE_OVERHEAD) : NULL;
  int st = f && out && codec_of(m, &c)
               ? sc_e2ee_encrypt(e, c, json_is_true(json_object_get(m, "key")), f, n, out,
                                 n + SC_E2EE_OVERHEAD, &wl)
               : SRE_ERR_ARG;
  char *h = st == SRE_OK ? hex_of(out, wl) : NULL;
  emit(json_pack("{s:s, s:o, s:i}", "op", "encrypted", "data", h ? json_string(h) : json_null(),
                 "status", st));
  free(h), free(out), free(f);
}

static void receive_op(sc_e2ee *e, json_t *m) {
  sre_codec c;
  size_t n = 0;
  uint8_t *f = from_hex(json_string_value(json_object_get(m, "data")), &n);
  json_t *stream = json_object_get(m, "stream");
  int r = f && codec_of(m, &c)
              ? sc_e2ee_receive(e, json_string_value(json_object_get(m, "from")),
                                json_is_integer(stream) ? (uint64_t)json_integer_value(stream) : 0,
                                c, f, n)
              : SRE_ERR_ARG;
  emit(json_pack("{s:s, s:i}", "op", "received", "result", r));
  free(f);
}

static void chat_seal_op(sc_e2ee *e, json_t *m) {
  const char *text = json_string_value(json_object_get(m, "text"));
  char out[SRE_SIGN_CHAT_MAX];
  size_t ol = 0;
  int st = text ? sc_e2ee_chat_seal(e, text, strlen(text), out, sizeof out, &ol) : SRE_ERR_ARG;
  emit(json_pack("{s:s, s:o, s:i}", "op", "chatSeal", "payload",
                 st == SRE_OK ? payload_json(out, ol) : json_null(), "status", st));
}

static void chat_open_op(sc_e2ee *e, json_t *m) {
  char *text = json_dumps(json_object_get(m, "payload"), JSON_COMPACT | JSON_ENCODE_ANY);
  char body[SRE_CHAT_BODY_MAX + 1];
  size_t bl = 0;
  int st = text ? sc_e2ee_chat_open(e, json_string_value(json_object_get(m, "from")), text,
                                    strlen(text), body, sizeof body, &bl, NULL)
                : SRE_ERR_JSON;
  free(text);
  emit(json_pack("{s:s, s:b, s:s, s:s}", "op", "chatOpen", "ok", st == SRE_OK, "text",
                 st == SRE_OK ? body : "", "status",
                 sre_status_name(st) ? sre_status_name(st) : "?"));
}

static void stats_op(sc_e2ee *e) {
  sc_e2ee_stats s;
  sc_e2ee_stats_get(e, &s);
  json_t *drops = json_object();
  for (int i = 1; i < SRE_STATUS_COUNT; i++) {
    if (s.recv_drops[i]) {
      json_object_set_new(drops, sre_status_name(-i), json_integer((json_int_t)s.recv_drops[i]));
    }
  }
  emit(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "op", "stats",
                 "epoch", (json_int_t)s.epoch, "step", (json_int_t)s.step, "encryptedAudio",
                 (json_int_t)s.encrypted_audio, "encryptedVideo", (json_int_t)s.encrypted_video,
                 "decryptedAudio", (json_int_t)s.decrypted_audio, "decryptedVideo",
                 (json_int_t)s.decrypted_video, "signOk", (json_int_t)s.sign_ok, "signReject",
                 (json_int_t)s.sign_reject, "signUnsigned", (json_int_t)s.sign_unsigned,
                 "statementsSent", (json_int_t)s.statements_sent, "drops", drops));
}

/* One command; false to quit. */
static bool command(sc_e2ee *e, const char *line) {
  json_error_t err;
  json_t *m = json_loads(line, 0, &err);
  const char *op = json_string_value(json_object_get(m, "op"));
  bool go_on = true;
  if (!op) {
    fprintf(stderr, "driver: bad line: %s\n", err.text);
  } else if (strcmp(op, "start") == 0) {
    json_t *arr = json_object_get(m, "peers");
    size_t n = json_array_size(arr);
    sc_e2ee_peer *peers = calloc(n ? n : 1, sizeof *peers);
    for (size_t i = 0; peers && i < n; i++) peers[i] = peer_of(json_array_get(arr, i));
    json_t *slot = json_object_get(m, "slot");
    int st = sc_e2ee_start(e, json_string_value(json_object_get(m, "selfId")),
                           json_string_value(json_object_get(m, "selfName")),
                           json_string_value(json_object_get(m, "sessionId")),
                           json_is_integer(slot) ? json_integer_value(slot) : -1, peers, n);
    free(peers);
    if (st != SRE_OK) emit(json_pack("{s:s, s:i}", "op", "error", "status", st));
  } else if (strcmp(op, "joined") == 0) {
    sc_e2ee_peer p = peer_of(json_object_get(m, "peer"));
    sc_e2ee_joined(e, &p);
  } else if (strcmp(op, "left") == 0) {
    sc_e2ee_left(e, json_string_value(json_object_get(m, "id")));
  } else if (strcmp(op, "relay") == 0) {
    relay_op(e, m);
  } else if (strcmp(op, "encrypt") == 0) {
    encrypt_op(e, m);
  } else if (strcmp(op, "receive") == 0) {
    receive_op(e, m);
  } else if (strcmp(op, "chatSeal") == 0) {
    chat_seal_op(e, m);
  } else if (strcmp(op, "chatOpen") == 0) {
    chat_open_op(e, m);
  } else if (strcmp(op, "stats") == 0) {
    stats_op(e);
  } else if (strcmp(op, "quit") == 0) {
    go_on = false;
  }
  json_decref(m);
  return go_on;
}

int main(void) {
  sc_e2ee_callbacks cb = {NULL,      cb_relays, cb_broadcast, cb_frame,   cb_verify,
                          cb_alarm, cb_peer,   cb_keyframe,  NULL};
  sc_e2ee *e = sc_e2ee_new(&cb, NULL);
  if (!e) return 1;
  emit(json_pack("{s:s, s:s, s:s}", "op", "ready", "publicKey", sc_e2ee_public_key_b64(e),
                 "signingKey", sc_e2ee_signing_key_b64(e)));
  char *line = NULL;
  size_t cap = 0, used = 0;
  bool go_on = true;
  while (go_on) {
    struct pollfd pfd = {0, POLLIN, 0};
    int r = poll(&pfd, 1, SC_E2EE_TICK_MS);
    if (r > 0) {
      if (used + 65536 > cap) {
        cap = used + 65536 * 2;
        char *n = realloc(line, cap);
        if (!n) break;
        line = n;
      }
      ssize_t got = read(0, line + used, cap - used - 1);
      if (got <= 0) break;
      used += (size_t)got;
      line[used] = '\0';
      char *nl;
      while (go_on && (nl = memchr(line, '\n', used)) != NULL) {
        *nl = '\0';
        go_on = command(e, line);
        size_t rest = used - (size_t)(nl + 1 - line);
        memmove(line, nl + 1, rest);
        used = rest;
        line[used] = '\0';
      }
    }
    sc_e2ee_tick(e);
  }
  free(line);
  sc_e2ee_free(e);
  return 0;
}
