/* client/e2ee_call: C participants wired through an in-memory server (relays
 * delivered in order, broadcasts to everyone else, a fake clock) exchange
 * keys, send each other Opus and VP8 frames, compute one security code;
 * leaves rotate, joins ratchet, unsigned and forged frames never reach the
 * decoder, forged statements and swapped keys are refused, malformed relay
 * payloads change nothing. */
#include <stdlib.h>
#include <string.h>

#include "client/e2ee_call.h"
#include "client/e2ee_name.h"
#include "test.h"

#define MAXP 6

typedef struct {
  int from, to;
  char *payload;
  size_t len;
} msg;

typedef struct {
  int idx;
  sc_e2ee *e;
  char id[SRE_ID_LEN + 1];
  char name[32];
  int slot;
  bool present;
  int frames;
  uint8_t last[4096];
  size_t last_len;
  char last_from[SRE_ID_LEN + 1];
  sre_codec last_codec;
  int alarms[4];
  char alarm_id[65];
  int keyframes;
  char code[SRE_CODE_STR_LEN];
  bool complete;
  size_t n_members, n_excluded;
  int verifies;
  bool echo; /* on_frame encrypts a frame back and tries a forbidden call */
  int echo_status, nested_status;
} member;

static struct {
  uint64_t now;
  member m[MAXP];
  msg *q;
  size_t qn, qcap, qhead;
  /* The server's filter: false drops a relay (from, to, payload). */
  bool (*filter)(int from, int to, const char *payload);
  /* Every broadcast statement, recorded for replays. */
  char last_statement[MAXP][SRE_SIGN_PAYLOAD_MAX];
} W;

static uint64_t clock_cb(void *ctx) {
  (void)ctx;
  return W.now;
}

static int member_of(const char *id) {
  for (int i = 0; i < MAXP; i++) {
    if (W.m[i].e && strcmp(W.m[i].id, id) == 0) return i;
  }
  return -1;
}

static void enqueue(int from, int to, const char *payload, size_t len) {
  if (W.qn == W.qcap) {
    W.qcap = W.qcap ? W.qcap * 2 : 64;
    W.q = realloc(W.q, W.qcap * sizeof *W.q);
  }
  msg *m = &W.q[W.qn++];
  m->from = from, m->to = to, m->len = len;
  m->payload = malloc(len + 1);
  memcpy(m->payload, payload, len);
  m->payload[len] = '\0';
}

static void cb_relays(void *ctx, const sc_e2ee_relay_msg *list, size_t n) {
  member *me = ctx;
  for (size_t i = 0; i < n; i++) {
    int to = member_of(list[i].to);
    if (to >= 0) enqueue(me->idx, to, list[i].payload, list[i].payload_len);
  }
}

static void cb_broadcast(void *ctx, const char *payload, size_t len) {
  member *me = ctx;
  snprintf(W.last_statement[me->idx], sizeof W.last_statement[0], "%.*s", (int)len, payload);
  for (int i = 0; i < MAXP; i++) {
    if (i != me->idx && W.m[i].present) enqueue(me->idx, i, payload, len);
  }
}

static void cb_frame(void *ctx, const char *from, uint64_t stream, sre_codec codec,
                     const uint8_t *data, size_t len) {
  member *me = ctx;
  me->frames++;
  me->last_len = len < sizeof me->last ? len : sizeof me->last;
  memcpy(me->last, data, me->last_len);
  snprintf(me->last_from, sizeof me->last_from, "%s", from);
  me->last_codec = codec;
  if (me->echo && len > 0) {
    uint8_t wire[4096 + SC_E2EE_OVERHEAD];
    size_t wl = 0;
    me->echo_status = sc_e2ee_encrypt(me->e, codec, false, data, len, wire, sizeof wire, &wl);
    me->nested_status = sc_e2ee_left(me->e, from);
  }
}

static void cb_verify(void *ctx, const sc_e2ee_verify *v) {
  member *me = ctx;
  me->verifies++;
  snprintf(me->code, sizeof me->code, "%s", v->code ? v->code : "");
  me->complete = v->complete;
  me->n_members = v->n_members;
  me->n_excluded = v->n_excluded;
}

static void cb_alarm(void *ctx, const char *id, sc_e2ee_alarm reason, const char *name) {
  member *me = ctx;
  if (reason >= 1 && reason <= 3) me->alarms[reason]++;
  snprintf(me->alarm_id, sizeof me->alarm_id, "%s", id);
}

static void cb_keyframe(void *ctx) {
  ((member *)ctx)->keyframes++;
}

/* Delivers queued relays in order (deliveries may queue more). */
static void pump(void) {
  while (W.qhead < W.qn) {
    msg m = W.q[W.qhead++];
    bool ok = W.m[m.to].present && W.m[m.from].present &&
              (!W.filter || W.filter(m.from, m.to, m.payload));
    if (ok) sc_e2ee_relay(W.m[m.to].e, W.m[m.from].id, m.payload, m.len);
    free(m.payload);
  }
  W.qn = W.qhead = 0;
}

static void world_reset(void) {
  for (int i = 0; i < MAXP; i++) sc_e2ee_free(W.m[i].e);
  for (size_t i = W.qhead; i < W.qn; i++) free(W.q[i].payload);
  free(W.q);
  memset(&W, 0, sizeof W);
  W.now = 1000000;
}

static sc_e2ee_peer peer_of(int i) {
  sc_e2ee_peer p = {W.m[i].id, W.m[i].slot, sc_e2ee_public_key_b64(W.m[i].e),
                    sc_e2ee_signing_key_b64(W.m[i].e)};
  return p;
}

static member *make(int i, const char *name) {
  member *me = &W.m[i];
  memset(me, 0, sizeof *me);
  me->idx = i;
  sc_e2ee_callbacks cb = {clock_cb, cb_relays, cb_broadcast, cb_frame, cb_verify, cb_alarm,
                          NULL,     cb_keyframe, NULL};
  me->e = sc_e2ee_new(&cb, me);
  snprintf(me->id, sizeof me->id, "00000000-0000-4000-8000-0000000000%02d", i + 10);
  snprintf(me->name, sizeof me->name, "%s", name);
  me->slot = i + 1;
  return me;
}

/* An honest join: the newcomer gets the roster, everyone else `joined`. */
static member *join(int i, const char *name) {
  member *me = make(i, name);
  sc_e2ee_peer peers[MAXP];
  size_t n = 0;
  for (int k = 0; k < MAXP; k++) {
    if (W.m[k].present) peers[n++] = peer_of(k);
  }
  CHECK_EQ_INT(sc_e2ee_start(me->e, me->id, name, "session-test-1", me->slot, peers, n), SRE_OK);
  me->present = true;
  sc_e2ee_peer self = peer_of(i);
  for (int k = 0; k < MAXP; k++) {
    if (k != i && W.m[k].present) sc_e2ee_joined(W.m[k].e, &self);
  }
  pump();
  return me;
}

static void leave(int i) {
  W.m[i].present = false;
  for (int k = 0; k < MAXP; k++) {
    if (W.m[k].present) sc_e2ee_left(W.m[k].e, W.m[i].id);
  }
  pump();
}

static void advance(uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += 10) {
    W.now += 10;
    for (int k = 0; k < MAXP; k++) {
      if (W.m[k].present) sc_e2ee_tick(W.m[k].e);
    }
    pump();
  }
}

static void opus_frame(uint8_t *f, size_t n, int i) {
  memset(f, 0x55, n);
  f[0] = 0x78;
  f[1] = (uint8_t)i;
}

static void vp8_frame(uint8_t *f, size_t n, int i, bool key) {
  for (size_t k = 0; k < n; k++) f[k] = (uint8_t)(k * 7 + i);
  f[0] = key ? 0x10 : 0x31; /* bit 0: 0 = key frame */
}

/* Encrypts a frame of member s and hands the wire frame to every other
 * present member (and to extra, if >= 0). Returns the wire length. */
static size_t send_frame(int s, sre_codec codec, bool key, const uint8_t *f, size_t n,
                         uint8_t *wire, int extra) {
  size_t wl = 0;
  CHECK_EQ_INT(sc_e2ee_encrypt(W.m[s].e, codec, key, f, n, wire, n + SC_E2EE_OVERHEAD, &wl), 0);
  for (int k = 0; k < MAXP; k++) {
    if (k != s && (W.m[k].present || k == extra)) {
      sc_e2ee_receive(W.m[k].e, W.m[s].id, (uint64_t)s * 2 + (codec == SRE_CODEC_VP8), codec,
                      wire, wl);
    }
  }
  pump(); /* statements sent at once (key frames) */
  return wl;
}

static void test_three_party(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  join(2, "Cléo ");
  for (int i = 0; i < 3; i++) {
    CHECK(W.m[i].complete);
    CHECK_EQ_INT(W.m[i].n_members, 3);
    CHECK(W.m[i].code[0] != '\0');
    CHECK_EQ_STR(W.m[i].code, W.m[0].code);
    char code[SRE_CODE_STR_LEN];
    bool complete = false;
    CHECK_EQ_INT(sc_e2ee_code(W.m[i].e, code, &complete), SRE_OK);
    CHECK(complete);
    CHECK_EQ_STR(code, W.m[0].code);
  }
  /* Every member sends audio and video; every other receives each frame once
   * its statement arrives. */
  uint8_t f[1200], wire[1200 + SC_E2EE_OVERHEAD];
  for (int s = 0; s < 3; s++) {
    int before[3];
    for (int k = 0; k < 3; k++) before[k] = W.m[k].frames;
    opus_frame(f, 80, s);
    send_frame(s, SRE_CODEC_OPUS, false, f, 80, wire, -1);
    for (int k = 0; k < 3; k++) CHECK_EQ_INT(W.m[k].frames, before[k]); /* held */
    advance(60);                                                         /* statement */
    for (int k = 0; k < 3; k++) {
      if (k == s) continue;
      CHECK_EQ_INT(W.m[k].frames, before[k] + 1);
      CHECK_EQ_INT(W.m[k].last_len, 80);
      CHECK(memcmp(W.m[k].last, f, 80) == 0);
      CHECK_EQ_STR(W.m[k].last_from, W.m[s].id);
    }
    /* A VP8 key frame: its statement goes at once. */
    vp8_frame(f, 1000, s, true);
    send_frame(s, SRE_CODEC_VP8, true, f, 1000, wire, -1);
    for (int k = 0; k < 3; k++) {
      if (k == s) continue;
      CHECK_EQ_INT(W.m[k].frames, before[k] + 2);
      CHECK_EQ_INT(W.m[k].last_len, 1000);
      CHECK(memcmp(W.m[k].last, f, 1000) == 0);
      CHECK_EQ_INT(W.m[k].last_codec, SRE_CODEC_VP8);
    }
  }
  /* An empty Opus frame (DTX) passes unsigned and empty. */
  size_t wl = 99;
  CHECK_EQ_INT(sc_e2ee_encrypt(W.m[0].e, SRE_CODEC_OPUS, false, f, 0, wire, sizeof wire, &wl), 0);
  CHECK_EQ_INT(wl, 0);
  CHECK_EQ_INT(sc_e2ee_receive(W.m[1].e, W.m[0].id, 0, SRE_CODEC_OPUS, wire, 0), 1);
  CHECK_EQ_INT(W.m[1].last_len, 0);
  /* Another codec is refused both ways. */
  CHECK(sc_e2ee_encrypt(W.m[0].e, SRE_CODEC_VP9, false, f, 10, wire, sizeof wire, &wl) < 0);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.decrypted_audio, 3);
  CHECK_EQ_INT(st.decrypted_video, 2);
  CHECK_EQ_INT(st.sign_ok, 4);
  CHECK_EQ_INT(st.held_frames, 0);
  CHECK_EQ_INT(st.capable_peers, 2);
  world_reset();
}

static void test_leave_rotates(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  join(2, "Cleo");
  uint8_t f[200], wire[200 + SC_E2EE_OVERHEAD];
  opus_frame(f, 100, 1);
  send_frame(0, SRE_CODEC_OPUS, false, f, 100, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[2].frames, 1);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 1);
  int kf = W.m[0].keyframes;
  leave(2);
  /* Both remaining members acked A's fresh key: A switched at once. */
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 2);
  CHECK_EQ_INT(st.pending_epoch, 0);
  CHECK(W.m[0].keyframes > kf);
  CHECK_EQ_INT(W.m[0].alarms[SC_E2EE_ALARM_LEFT_UNVERIFIED], 1); /* left within 10 s */
  /* C, who left, gets A's next frames and statements anyway (a server that
   * keeps forwarding): it cannot decrypt them; B can. */
  int c_frames = W.m[2].frames, b_frames = W.m[1].frames;
  opus_frame(f, 100, 2);
  send_frame(0, SRE_CODEC_OPUS, false, f, 100, wire, 2);
  advance(60);
  sc_e2ee_relay(W.m[2].e, W.m[0].id, W.last_statement[0], strlen(W.last_statement[0]));
  sc_e2ee_tick(W.m[2].e);
  CHECK_EQ_INT(W.m[1].frames, b_frames + 1);
  CHECK_EQ_INT(W.m[2].frames, c_frames);
  sc_e2ee_stats_get(W.m[2].e, &st);
  CHECK(st.recv_drops[-SRE_ERR_NO_KEY] >= 1);
  /* The codes of the two remaining agree again. */
  CHECK_EQ_INT(W.m[0].n_members, 2);
  CHECK_EQ_STR(W.m[0].code, W.m[1].code);
  world_reset();
}

static bool drop_acks_to_0(int from, int to, const char *payload) {
  return !(to == 0 && strstr(payload, "\"ack\""));
}

static void test_rotation_deadline(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  join(2, "Cleo");
  W.filter = drop_acks_to_0;
  leave(2);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 1);
  CHECK_EQ_INT(st.pending_epoch, 2);
  advance(400);
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 1);
  advance(150); /* the 500 ms deadline switches without the ack */
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 2);
  CHECK_EQ_INT(st.pending_epoch, 0);
  W.filter = NULL;
  /* B decrypts A's frames under the new key. */
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD];
  int b = W.m[1].frames;
  opus_frame(f, 50, 3);
  send_frame(0, SRE_CODEC_OPUS, false, f, 50, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[1].frames, b + 1);
  world_reset();
}

static void test_join_ratchets(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  uint8_t f[300], wire[300 + SC_E2EE_OVERHEAD];
  vp8_frame(f, 300, 1, true);
  send_frame(0, SRE_CODEC_VP8, true, f, 300, wire, -1);
  CHECK_EQ_INT(W.m[1].frames, 1);
  join(2, "Cleo");
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.epoch, 1);
  CHECK_EQ_INT(st.step, 1); /* A's key was used: ratcheted for C */
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.step, 0); /* B had sent nothing: its key goes to C as it is */
  /* The frame sent before C joined does not decrypt at C. */
  CHECK(sc_e2ee_receive(W.m[2].e, W.m[0].id, 1, SRE_CODEC_VP8, wire, 300 + 18) <= 0);
  vp8_frame(f, 300, 2, false);
  send_frame(0, SRE_CODEC_VP8, false, f, 300, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[1].frames, 2); /* B follows the ratchet from the KID */
  CHECK_EQ_INT(W.m[2].frames, 1);
  CHECK(memcmp(W.m[2].last, f, 300) == 0);
  for (int i = 0; i < 3; i++) CHECK_EQ_STR(W.m[i].code, W.m[0].code);
  world_reset();
}

static bool drop_statements(int from, int to, const char *payload) {
  return !strstr(payload, "\"sig\"");
}

static void test_unlisted_frame_never_passes(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  W.filter = drop_statements;
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD];
  opus_frame(f, 60, 1);
  send_frame(0, SRE_CODEC_OPUS, false, f, 60, wire, -1);
  advance(900);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.held_frames, 1);
  advance(200);
  CHECK_EQ_INT(W.m[1].frames, 0);
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.held_frames, 0);
  CHECK_EQ_INT(st.sign_unsigned, 1);
  CHECK_EQ_INT(st.decrypted_audio, 0);
  world_reset();
}

static void test_forged_statement_and_frame(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD], fake[100 + SC_E2EE_OVERHEAD];
  W.filter = drop_statements;
  opus_frame(f, 60, 1);
  size_t wl = send_frame(0, SRE_CODEC_OPUS, false, f, 60, wire, -1);
  W.filter = NULL;
  /* M (not A) makes a frame at A's (KID, CTR) and signs a statement for it
   * claiming to be A, with its own key. */
  memcpy(fake, wire, wl);
  fake[wl - 1] ^= 1;
  size_t prefix;
  sre_header h;
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_OPUS, fake, wl, &prefix, &h), SRE_OK);
  sre_signer m;
  CHECK_EQ_INT(sre_signer_init(&m, W.m[0].id, (const uint8_t *)"session-test-1", 14, NULL), SRE_OK);
  char json[SRE_SIGN_PAYLOAD_MAX];
  size_t jl = 0;
  CHECK_EQ_INT(sre_signer_add(&m, h.kid, h.ctr, fake, wl, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&m, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sc_e2ee_relay(W.m[1].e, W.m[0].id, json, jl), SRE_ERR_AUTH);
  sre_signer_clear(&m);
  /* The forged frame is held, then rejected by A's genuine statement. */
  CHECK_EQ_INT(sc_e2ee_receive(W.m[1].e, W.m[0].id, 0, SRE_CODEC_OPUS, fake, wl), 0);
  advance(60);
  CHECK_EQ_INT(W.m[1].frames, 1); /* the genuine one */
  CHECK(memcmp(W.m[1].last, f, 60) == 0);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.sign_reject, 1);
  CHECK_EQ_INT(st.statements_bad[-SRE_ERR_AUTH], 1);
  /* A forged frame after the statement: rejected at once. */
  CHECK_EQ_INT(sc_e2ee_receive(W.m[1].e, W.m[0].id, 0, SRE_CODEC_OPUS, fake, wl), SRE_ERR_AUTH);
  /* A replayed statement: refused. */
  CHECK_EQ_INT(sc_e2ee_relay(W.m[1].e, W.m[0].id, W.last_statement[0],
                             strlen(W.last_statement[0])),
               SRE_ERR_REPLAY);
  /* A's statement relayed as if from B: does not verify. */
  CHECK(sc_e2ee_relay(W.m[0].e, W.m[1].id, W.last_statement[0], strlen(W.last_statement[0])) < 0);
  CHECK_EQ_INT(W.m[1].frames, 1);
  world_reset();
}

static void test_key_swap_alarm(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  char code[SRE_CODE_STR_LEN];
  snprintf(code, sizeof code, "%s", W.m[0].code);
  /* The server re-announces B with its own key: refused, alarm, nothing changes. */
  sc_e2ee *evil = sc_e2ee_new(&(sc_e2ee_callbacks){0}, NULL);
  sc_e2ee_peer p = peer_of(1);
  p.public_key = sc_e2ee_public_key_b64(evil);
  CHECK_EQ_INT(sc_e2ee_joined(W.m[0].e, &p), SRE_OK);
  CHECK_EQ_INT(W.m[0].alarms[SC_E2EE_ALARM_KEY_CHANGED], 1);
  CHECK_EQ_STR(W.m[0].alarm_id, W.m[1].id);
  p = peer_of(1);
  p.signing_key = sc_e2ee_signing_key_b64(evil);
  sc_e2ee_joined(W.m[0].e, &p);
  p = peer_of(1);
  p.slot = 9;
  sc_e2ee_joined(W.m[0].e, &p);
  CHECK_EQ_INT(W.m[0].alarms[SC_E2EE_ALARM_KEY_CHANGED], 3);
  p = peer_of(1);
  sc_e2ee_joined(W.m[0].e, &p); /* the same entry again: no alarm */
  CHECK_EQ_INT(W.m[0].alarms[SC_E2EE_ALARM_KEY_CHANGED], 3);
  pump();
  CHECK_EQ_STR(W.m[0].code, code);
  /* B's frames still decrypt at A under the key A kept. */
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD];
  opus_frame(f, 40, 1);
  send_frame(1, SRE_CODEC_OPUS, false, f, 40, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[0].frames, 1);
  /* A made-up leave then a join with another key: refused as rejoined. */
  sc_e2ee_left(W.m[0].e, W.m[1].id);
  p = peer_of(1);
  p.public_key = sc_e2ee_public_key_b64(evil);
  sc_e2ee_joined(W.m[0].e, &p);
  CHECK_EQ_INT(W.m[0].alarms[SC_E2EE_ALARM_REJOINED], 1);
  sc_e2ee_free(evil);
  world_reset();
}

static void test_mitm_codes_differ(void) {
  /* The welcome gives C the server's key for A: A and C compute different codes. */
  world_reset();
  join(0, "Ann");
  member *c = make(2, "Cleo");
  sc_e2ee *evil = sc_e2ee_new(&(sc_e2ee_callbacks){0}, NULL);
  sc_e2ee_peer p = peer_of(0);
  p.public_key = sc_e2ee_public_key_b64(evil);
  CHECK_EQ_INT(sc_e2ee_start(c->e, c->id, "Cleo", "session-test-1", c->slot, &p, 1), SRE_OK);
  c->present = true;
  sc_e2ee_peer self = peer_of(2);
  sc_e2ee_joined(W.m[0].e, &self);
  pump(); /* the key messages fail to open on both sides */
  CHECK(!W.m[0].complete);
  CHECK(!c->complete);
  CHECK(strcmp(W.m[0].code, c->code) != 0);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(c->e, &st);
  CHECK(st.relays_bad[-SRE_ERR_AUTH] >= 1);
  sc_e2ee_free(evil);
  world_reset();
}

static void test_keyless_peer_excluded(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  sc_e2ee_peer g = {"00000000-0000-4000-8000-0000000000ff", 7, NULL, NULL};
  sc_e2ee_joined(W.m[0].e, &g);
  pump();
  CHECK_EQ_INT(W.m[0].n_members, 2);
  CHECK_EQ_INT(W.m[0].n_excluded, 1);
  CHECK_EQ_STR(W.m[0].code, W.m[1].code);
  /* Bad ids, slots and keys are not capable either. */
  sc_e2ee_peer bad[] = {
      {"short", 3, sc_e2ee_public_key_b64(W.m[1].e), sc_e2ee_signing_key_b64(W.m[1].e)},
      {"00000000-0000-4000-8000-0000000000fe", 70000, sc_e2ee_public_key_b64(W.m[1].e),
       sc_e2ee_signing_key_b64(W.m[1].e)},
      {"00000000-0000-4000-8000-0000000000fd", 4, "AAAA", sc_e2ee_signing_key_b64(W.m[1].e)},
      {"00000000-0000-4000-8000-0000000000fc", 5, sc_e2ee_public_key_b64(W.m[0].e),
       sc_e2ee_signing_key_b64(W.m[1].e)}, /* our own key */
      {W.m[0].id, 6, sc_e2ee_public_key_b64(W.m[1].e), sc_e2ee_signing_key_b64(W.m[1].e)},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) sc_e2ee_joined(W.m[0].e, &bad[i]);
  pump();
  CHECK_EQ_INT(W.m[0].n_members, 2);
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.capable_peers, 1);
  world_reset();
}

static void test_malformed_relays(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  static const char *const bad[] = {
      "",
      "{",
      "[]",
      "null",
      "{\"t\":\"key\"}",
      "{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0,\"n\":\"AAAAAAAAAAAAAAAA\","
      "\"c\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
      "{\"t\":\"key\",\"v\":1,\"e\":1,\"r\":0,\"n\":\"x\",\"c\":\"y\"}",
      "{\"t\":\"ack\",\"v\":2,\"e\":0}",
      "{\"t\":\"ack\",\"v\":2,\"e\":1.0}",
      "{\"t\":\"sig\",\"v\":1}",
      "{\"t\":\"sig\",\"v\":1,\"q\":0,\"k\":1,\"c\":0,\"h\":\"\",\"s\":\"\"}",
      "{\"t\":\"sig\",\"t\":\"sig\"}",
      "{\"t\":\"chat\",\"v\":2,\"e\":1,\"r\":0,\"n\":\"AAAAAAAAAAAAAAAA\","
      "\"c\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
      "\"a string\"",
      "{\"t\":[1,2,3]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(sc_e2ee_relay(W.m[1].e, W.m[0].id, bad[i], strlen(bad[i])) < 0);
  }
  /* An ack of an epoch never sent is taken and changes nothing. */
  CHECK_EQ_INT(sc_e2ee_relay(W.m[1].e, W.m[0].id, "{\"t\":\"ack\",\"v\":2,\"e\":99}", 24), SRE_OK);
  /* From someone not in the room, and NULLs. */
  CHECK(sc_e2ee_relay(W.m[1].e, "nobody", "{}", 2) < 0);
  CHECK(sc_e2ee_relay(W.m[1].e, NULL, NULL, 0) < 0);
  CHECK(sc_e2ee_relay(NULL, NULL, NULL, 0) < 0);
  /* Random bytes as relays and as frames. */
  uint8_t junk[600];
  uint32_t x = 12345;
  for (int r = 1; r < 300; r++) { /* (an empty Opus frame would pass: DTX) */
    size_t n = (size_t)(r * 2) % sizeof junk;
    for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
    sc_e2ee_relay(W.m[1].e, W.m[0].id, (const char *)junk, n);
    sc_e2ee_receive(W.m[1].e, W.m[0].id, 0, SRE_CODEC_OPUS, junk, n);
    sc_e2ee_receive(W.m[1].e, W.m[0].id, 1, SRE_CODEC_VP8, junk, n);
  }
  advance(1100);
  CHECK_EQ_INT(W.m[1].frames, 0);
  /* Everything still works. */
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD];
  opus_frame(f, 30, 1);
  send_frame(0, SRE_CODEC_OPUS, false, f, 30, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[1].frames, 1);
  CHECK_EQ_STR(W.m[0].code, W.m[1].code);
  world_reset();
}

static void test_chat(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  char out[SRE_SIGN_CHAT_MAX], text[SRE_CHAT_BODY_MAX + 1];
  size_t ol = 0, tl = 0;
  uint64_t t = 0;
  CHECK_EQ_INT(sc_e2ee_chat_seal(W.m[0].e, "hello, Bob", 10, out, sizeof out, &ol), SRE_OK);
  CHECK_EQ_INT(sc_e2ee_chat_open(W.m[1].e, W.m[0].id, out, ol, text, sizeof text, &tl, &t), SRE_OK);
  CHECK_EQ_STR(text, "hello, Bob");
  CHECK(t > 0);
  /* Replayed: refused. From another sender: refused. */
  CHECK_EQ_INT(sc_e2ee_chat_open(W.m[1].e, W.m[0].id, out, ol, text, sizeof text, &tl, &t),
               SRE_ERR_REPLAY);
  CHECK(sc_e2ee_chat_open(W.m[0].e, W.m[1].id, out, ol, text, sizeof text, &tl, &t) < 0);
  /* Sealing marked the key used: the next join ratchets. */
  join(2, "Cleo");
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[0].e, &st);
  CHECK_EQ_INT(st.step, 1);
  world_reset();
}

static void test_reentrancy(void) {
  world_reset();
  join(0, "Ann");
  join(1, "Bob");
  W.m[1].echo = true;
  W.m[1].echo_status = W.m[1].nested_status = 99;
  uint8_t f[100], wire[100 + SC_E2EE_OVERHEAD];
  opus_frame(f, 50, 1);
  send_frame(0, SRE_CODEC_OPUS, false, f, 50, wire, -1);
  advance(60);
  CHECK_EQ_INT(W.m[1].frames, 1);
  CHECK_EQ_INT(W.m[1].echo_status, SRE_OK);       /* encrypt is allowed from a callback */
  CHECK_EQ_INT(W.m[1].nested_status, SRE_ERR_ARG); /* other calls are not */
  W.m[1].echo = false;
  advance(60);
  CHECK_EQ_INT(W.m[0].frames, 0); /* (the echo was not delivered, only signed) */
  sc_e2ee_stats st;
  sc_e2ee_stats_get(W.m[1].e, &st);
  CHECK_EQ_INT(st.encrypted_audio, 1);
  CHECK_EQ_INT(st.capable_peers, 1); /* the nested leave did nothing */
  world_reset();
}

static void test_helpers(void) {
  sc_e2ee_relay_msg list[2] = {{"a", "{\"t\":\"ack\",\"v\":2,\"e\":1}", 23}, {"b", "{\"x\":1}", 7}};
  char *s = sc_e2ee_relay_batch_json(list, 2);
  CHECK(s != NULL);
  if (s) {
    CHECK_EQ_STR(s, "{\"type\":\"relay_batch\",\"messages\":[{\"to\":\"a\",\"payload\":"
                    "{\"t\":\"ack\",\"v\":2,\"e\":1}},{\"to\":\"b\",\"payload\":{\"x\":1}}]}");
  }
  free(s);
  list[1].payload = "{";
  list[1].payload_len = 1;
  CHECK(sc_e2ee_relay_batch_json(list, 2) == NULL);
  s = sc_e2ee_relay_all_json("{\"t\":\"sig\"}", 11);
  CHECK(s && strcmp(s, "{\"type\":\"relay_all\",\"payload\":{\"t\":\"sig\"}}") == 0);
  free(s);
  json_error_t err;
  json_t *o =
      json_loads("{\"id\":\"x\",\"slot\":3,\"public_key\":\"k\",\"signing_key\":5}", 0, &err);
  sc_e2ee_peer p;
  CHECK_EQ_INT(sc_e2ee_peer_from_json(o, &p), SRE_OK);
  CHECK_EQ_STR(p.id, "x");
  CHECK_EQ_INT(p.slot, 3);
  CHECK_EQ_STR(p.public_key, "k");
  CHECK(p.signing_key == NULL);
  json_decref(o);
  CHECK_EQ_INT(sc_e2ee_peer_from_json(NULL, &p), SRE_ERR_JSON);
  /* Names as the page cleans them. */
  char n[SRE_NAME_MAX + 1];
  sc_name_clean((const uint8_t *)"  A\xe2\x80\x8b" "b\t\n c\xc2\xa0 ", 15, n, sizeof n);
  CHECK_EQ_STR(n, "Ab c");
  sc_name_clean((const uint8_t *)"x\x01y\xff", 4, n, sizeof n);
  CHECK_EQ_STR(n, "x y\xef\xbf\xbd");
  char longname[300];
  memset(longname, 'a', sizeof longname);
  longname[127] = ' ';
  CHECK_EQ_INT(sc_name_sealable((const uint8_t *)longname, sizeof longname, 128, n), 128);
  CHECK_EQ_INT(n[127], ' ');
  memset(longname, 0, sizeof longname);
  for (int i = 0; i < 100; i++) memcpy(longname + i * 3, "\xe2\x82\xac", 3); /* euro signs */
  CHECK_EQ_INT(sc_name_sealable((const uint8_t *)longname, 300, 128, n), 126);
}

TEST_SUITE(client_e2ee, {"three_party", test_three_party}, {"leave_rotates", test_leave_rotates},
           {"rotation_deadline", test_rotation_deadline}, {"join_ratchets", test_join_ratchets},
           {"unlisted_frame_never_passes", test_unlisted_frame_never_passes},
           {"forged_statement_and_frame", test_forged_statement_and_frame},
           {"key_swap_alarm", test_key_swap_alarm}, {"mitm_codes_differ", test_mitm_codes_differ},
           {"keyless_peer_excluded", test_keyless_peer_excluded},
           {"malformed_relays", test_malformed_relays}, {"chat", test_chat},
           {"reentrancy", test_reentrancy},
           {"helpers", test_helpers});
