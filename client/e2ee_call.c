/* E2EE for one call of the native client: the port of the meeting page's
 * E2EE worker (web/meeting/e2ee-worker.js) on lib/e2ee. The rotation tracker
 * is the JS RotationTracker (web/e2ee/sender.js) with its sets kept as flags
 * on the peers; statements come from sre_signer, verdicts from one
 * sre_sign_verifier per peer, keys from one sre_receiver per peer. See
 * client/e2ee_call.h for the API and how to feed it. */
#include "client/e2ee_call.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "client/e2ee_name.h"

#define ID_MAX 64          /* longest roster id kept (a valid one has 36 characters) */
#define KEYSTR_MAX 64      /* longest key string kept for comparisons */
#define STREAMS_PER_PEER 4 /* incoming tracks of one peer tracked for PLIs */
#define DEPARTED_MAX 10000 /* ids that left, remembered (the worker's bound) */
#define REMOTE_KF_MS 1000  /* at most one PLI a second per track */
#define RELAY_TEXT_MAX 16384 /* the server's payload limit */
#define ROTATE_TIMEOUT_MS SRE_ROTATE_TIMEOUT_MS
#define ROTATE_MIN_INTERVAL_MS 100

typedef struct {
  uint64_t tag, stream;
  sre_codec codec;
  uint8_t *data;
  size_t len;
} held_frame;

typedef struct {
  bool used, dropped;
  uint64_t stream, last_request;
  bool requested;
} stream_state;

typedef enum { STR_ABSENT = 0, STR_PRESENT = 1, STR_LONG = 2 } str_state;

typedef struct {
  char id[ID_MAX + 1];
  long long slot;
  char pub_b64[KEYSTR_MAX + 1], sign_b64[KEYSTR_MAX + 1];
  str_state pub_state, sign_state;
  bool capable;
  uint8_t pub[SRE_X25519_LEN], sign_pub[SRE_SIGN_PUBLIC_LEN];
  uint8_t pairwise[SRE_PAIRWISE_KEY_LEN];
  sre_receiver rx;
  sre_sign_verifier *ver;
  bool has_name;
  char name[SRE_NAME_MAX + 1];
  char fp[SRE_FINGERPRINT_STR_LEN];
  bool covered;
  uint64_t covered_at;
  uint32_t gen_epoch[256]; /* generation -> the latest epoch of this peer using it */
  bool holder, waiting, recipient; /* the rotation tracker's sets */
  held_frame *held;                /* SRE_SIGN_PENDING_MAX, oldest first */
  size_t held_n;
  stream_state streams[STREAMS_PER_PEER];
  size_t stream_next;
  bool chat_any;
  uint32_t chat_last;
} peer;

typedef struct {
  char to[ID_MAX + 1];
  char *payload;
  size_t len;
} outgoing;

struct sc_e2ee {
  sc_e2ee_callbacks cb;
  void *ctx;
  int depth; /* > 0 inside an API call: callbacks may not re-enter */
  sre_keypair kp;
  uint8_t sign_seed[SRE_SIGN_SEED_LEN];
  char pub_b64[SC_E2EE_KEY_B64_LEN + 1], sign_b64[SC_E2EE_KEY_B64_LEN + 1];
  uint8_t sign_pub[SRE_SIGN_PUBLIC_LEN];
  char self_fp[SRE_FINGERPRINT_STR_LEN];
  bool started;
  char self_id[SRE_ID_LEN + 1];
  char self_name[SRE_NAME_MAX + 1];
  size_t self_name_len;
  uint8_t sid[SRE_SESSION_ID_MAX];
  size_t sid_len;
  uint16_t slot;
  sre_sender sender;
  sre_signer signer;
  uint64_t last_flush;
  /* The pending rotation key (docs/e2ee.md 8.5). */
  bool pending;
  uint32_t pending_epoch;
  uint8_t pending_key[SRE_BASE_KEY_LEN];
  /* The rotation tracker. */
  bool has_deadline, stale, has_last_start;
  uint64_t deadline, last_start;
  /* Roster. */
  peer **peers;
  size_t n_peers, cap_peers;
  char (*departed)[ID_MAX + 1];
  size_t dep_n, dep_head;
  /* Relays made during the current call: one batch at its end. */
  outgoing *out;
  size_t out_n, out_cap;
  /* Verification. */
  bool verify_due, have_code, code_complete;
  char code[SRE_CODE_STR_LEN];
  /* Frames. */
  uint8_t *buf; /* decrypted frame */
  size_t buf_cap;
  uint64_t next_tag, held_bytes;
  uint64_t chat_seq;
  /* Counters (sums over peers are added in sc_e2ee_stats_get). */
  sc_e2ee_stats st;
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ms(const sc_e2ee *e) {
  if (e->cb.now_ms) return e->cb.now_ms(e->ctx);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void count(uint64_t *by_status, int status) {
  if (status < 0 && status > -SRE_STATUS_COUNT) by_status[-status]++;
}

/* A participant id as the page accepts it: 36 printable ASCII characters. */
static bool id_valid(const char *id) {
  if (!id || strnlen(id, SRE_ID_LEN + 1) != SRE_ID_LEN) return false;
  for (size_t i = 0; i < SRE_ID_LEN; i++) {
    if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7e) return false;
  }
  return true;
}

/* A 32-byte key from canonical base64 (exactly 44 characters). */
static int key_from_b64(const char *s, uint8_t out[32]) {
  if (!s) return SRE_ERR_BAD_PUBLIC_KEY;
  size_t n = strnlen(s, SC_E2EE_KEY_B64_LEN + 1), len = 0;
  uint8_t tmp[34];
  int st = sre_base64_decode(s, n, tmp, sizeof tmp, &len);
  if (st != SRE_OK) return st == SRE_ERR_BUFFER ? SRE_ERR_BAD_PUBLIC_KEY : st;
  if (len != 32) return SRE_ERR_BAD_PUBLIC_KEY;
  memcpy(out, tmp, 32);
  return SRE_OK;
}

static str_state copy_str(const char *s, char out[KEYSTR_MAX + 1]) {
  out[0] = '\0';
  if (!s) return STR_ABSENT;
  size_t n = strnlen(s, KEYSTR_MAX + 1);
  if (n > KEYSTR_MAX) return STR_LONG;
  memcpy(out, s, n);
  out[n] = '\0';
  return STR_PRESENT;
}

static bool same_str(str_state st, const char *kept, const char *s) {
  char tmp[KEYSTR_MAX + 1];
  str_state now = copy_str(s, tmp);
  if (now != st) return false;
  return st != STR_PRESENT || strcmp(kept, tmp) == 0;
}

/* ---- the current call's outgoing relays ---------------------------------- */

static void queue_relay(sc_e2ee *e, const char *to, const char *payload, size_t len) {
  if (e->out_n == e->out_cap) {
    size_t cap = e->out_cap ? e->out_cap * 2 : 16;
    outgoing *n = realloc(e->out, cap * sizeof *n);
    if (!n) return;
    e->out = n;
    e->out_cap = cap;
  }
  outgoing *o = &e->out[e->out_n];
  o->payload = malloc(len + 1);
  if (!o->payload) return;
  memcpy(o->payload, payload, len);
  o->payload[len] = '\0';
  o->len = len;
  snprintf(o->to, sizeof o->to, "%s", to);
  e->out_n++;
}

static void flush_relays(sc_e2ee *e) {
  if (e->out_n == 0) return;
  sc_e2ee_relay_msg *list = malloc(e->out_n * sizeof *list);
  if (list) {
    for (size_t i = 0; i < e->out_n; i++) {
      list[i].to = e->out[i].to;
      list[i].payload = e->out[i].payload;
      list[i].payload_len = e->out[i].len;
    }
    if (e->cb.send_relays) e->cb.send_relays(e->ctx, list, e->out_n);
    free(list);
  }
  for (size_t i = 0; i < e->out_n; i++) free(e->out[i].payload);
  e->out_n = 0;
}

static void broadcast(sc_e2ee *e, const char *payload, size_t len) {
  e->st.statements_sent++;
  if (e->cb.broadcast) e->cb.broadcast(e->ctx, payload, len);
}

/* ---- roster -------------------------------------------------------------- */

static peer *find_peer(const sc_e2ee *e, const char *id) {
  if (!id) return NULL;
  for (size_t i = 0; i < e->n_peers; i++) {
    if (strncmp(e->peers[i]->id, id, ID_MAX + 1) == 0) return e->peers[i];
  }
  return NULL;
}

static bool departed(const sc_e2ee *e, const char *id) {
  for (size_t i = 0; i < e->dep_n; i++) {
    if (strncmp(e->departed[i], id, ID_MAX + 1) == 0) return true;
  }
  return false;
}

static void remember_departed(sc_e2ee *e, const char *id) {
  if (!e->departed) {
    e->departed = calloc(DEPARTED_MAX, sizeof *e->departed);
    if (!e->departed) return;
  }
  size_t i;
  if (e->dep_n < DEPARTED_MAX) {
    i = e->dep_n++;
  } else {
    i = e->dep_head; /* forget the oldest */
    e->dep_head = (e->dep_head + 1) % DEPARTED_MAX;
  }
  snprintf(e->departed[i], ID_MAX + 1, "%s", id);
}

static void drop_held(sc_e2ee *e, peer *p) {
  for (size_t i = 0; i < p->held_n; i++) {
    e->held_bytes -= p->held[i].len;
    free(p->held[i].data);
    e->st.sign_unsigned++;
  }
  p->held_n = 0;
}

static void peer_free(sc_e2ee *e, peer *p) {
  if (!p) return;
  drop_held(e, p);
  free(p->held);
  if (p->ver) {
    sre_sign_verifier_clear(p->ver);
    free(p->ver);
  }
  sre_receiver_clear(&p->rx);
  OPENSSL_cleanse(p, sizeof *p);
  free(p);
}

/* Makes p E2EE-capable from its roster entry: verifier, pairwise key,
 * fingerprint, receiver. Returns the reason when it is not. */
static int peer_setup(sc_e2ee *e, peer *p, const sc_e2ee_peer *raw) {
  if (!id_valid(raw->id)) return SRE_ERR_BAD_ID;
  if (raw->slot < 0 || raw->slot > 0xffff) return SRE_ERR_ARG;
  int st = key_from_b64(raw->public_key, p->pub);
  if (st == SRE_OK) st = key_from_b64(raw->signing_key, p->sign_pub);
  if (st != SRE_OK) return st;
  p->ver = calloc(1, sizeof *p->ver);
  if (!p->ver) return SRE_ERR_CRYPTO;
  st = sre_sign_verifier_init(p->ver, p->id, e->sid, e->sid_len, p->sign_pub, SC_E2EE_HOLD_MS);
  if (st == SRE_OK) {
    st = sre_pairwise_key(&e->kp, e->self_id, p->pub, p->id, e->sid, e->sid_len, p->pairwise);
  }
  if (st == SRE_OK) st = sre_fingerprint(p->pub, p->fp);
  if (st != SRE_OK) return st;
  p->held = calloc(SRE_SIGN_PENDING_MAX, sizeof *p->held);
  if (!p->held) return SRE_ERR_CRYPTO;
  sre_receiver_init(&p->rx, (uint16_t)raw->slot);
  p->capable = true;
  return SRE_OK;
}

/* The worker's addPeer: the peer and whether it is new. An id already present
 * keeps the key and slot it came with (a change raises the alarm); an id
 * that left never comes back. */
static peer *peer_add(sc_e2ee *e, const sc_e2ee_peer *raw, bool *fresh) {
  *fresh = false;
  if (!raw || !raw->id || strnlen(raw->id, ID_MAX + 1) > ID_MAX) return NULL;
  if (strcmp(raw->id, e->self_id) == 0) return NULL;
  peer *old = find_peer(e, raw->id);
  if (old) {
    if (!same_str(old->pub_state, old->pub_b64, raw->public_key) ||
        !same_str(old->sign_state, old->sign_b64, raw->signing_key) || raw->slot != old->slot) {
      if (e->cb.on_alarm) e->cb.on_alarm(e->ctx, old->id, SC_E2EE_ALARM_KEY_CHANGED, NULL);
    }
    return old;
  }
  if (departed(e, raw->id)) {
    if (e->cb.on_alarm) e->cb.on_alarm(e->ctx, raw->id, SC_E2EE_ALARM_REJOINED, NULL);
    if (e->cb.on_peer) e->cb.on_peer(e->ctx, raw->id, false, SRE_ERR_BAD_PEER);
    return NULL;
  }
  if (e->n_peers >= SC_E2EE_PEERS_MAX) return NULL;
  if (e->n_peers == e->cap_peers) {
    size_t cap = e->cap_peers ? e->cap_peers * 2 : 8;
    peer **n = realloc(e->peers, cap * sizeof *n);
    if (!n) return NULL;
    e->peers = n;
    e->cap_peers = cap;
  }
  peer *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  snprintf(p->id, sizeof p->id, "%s", raw->id);
  p->slot = raw->slot;
  p->pub_state = copy_str(raw->public_key, p->pub_b64);
  p->sign_state = copy_str(raw->signing_key, p->sign_b64);
  int st = peer_setup(e, p, raw);
  if (st != SRE_OK) {
    /* Not E2EE-capable: no key goes to it, nothing from it is decrypted, and
     * it is left out of the security code. */
    if (p->ver) {
      sre_sign_verifier_clear(p->ver);
      free(p->ver);
      p->ver = NULL;
    }
    free(p->held);
    p->held = NULL;
    OPENSSL_cleanse(p->pairwise, sizeof p->pairwise);
    p->capable = false;
  }
  e->peers[e->n_peers++] = p;
  if (e->cb.on_peer) e->cb.on_peer(e->ctx, p->id, st == SRE_OK, st);
  *fresh = true;
  return p;
}

static void peer_remove(sc_e2ee *e, peer *p) {
  for (size_t i = 0; i < e->n_peers; i++) {
    if (e->peers[i] == p) {
      memmove(&e->peers[i], &e->peers[i + 1], (e->n_peers - i - 1) * sizeof *e->peers);
      e->n_peers--;
      return;
    }
  }
}

/* ---- keys to peers ------------------------------------------------------- */

typedef struct {
  uint32_t epoch;
  uint8_t step;
  uint8_t key[SRE_RATCHETED_KEY_LEN];
  size_t len;
} key_copy;

static void current_key(const sc_e2ee *e, key_copy *k) {
  k->epoch = e->sender.epoch;
  k->step = e->sender.step;
  k->len = e->sender.base_key_len;
  memcpy(k->key, e->sender.base_key, k->len);
}

static void pending_key(const sc_e2ee *e, key_copy *k) {
  k->epoch = e->pending_epoch;
  k->step = 0;
  k->len = SRE_BASE_KEY_LEN;
  memcpy(k->key, e->pending_key, SRE_BASE_KEY_LEN);
}

static void send_key(sc_e2ee *e, const peer *p, const key_copy *k) {
  if (!p || !p->capable) return;
  char json[SRE_PAYLOAD_MAX];
  size_t len = 0;
  int st = sre_keymsg_seal(p->pairwise, e->self_id, p->id, e->slot, k->epoch, k->step, k->key,
                           k->len, (const uint8_t *)e->self_name, e->self_name_len, NULL, json,
                           sizeof json, &len);
  if (st == SRE_OK) queue_relay(e, p->id, json, len);
}

/* Our key to every capable peer, or only to the tracker's recipients. */
static void send_key_to(sc_e2ee *e, const key_copy *k, bool recipients_only) {
  for (size_t i = 0; i < e->n_peers; i++) {
    peer *p = e->peers[i];
    if (p->capable && (!recipients_only || p->recipient)) send_key(e, p, k);
  }
}

/* ---- the sender and the rotation tracker (docs/e2ee.md 8.4, 8.5) --------- */

/* startRotation: a fresh pending key of (newest distributed epoch) + 1. */
static int start_pending(sc_e2ee *e) {
  uint32_t newest = e->pending ? e->pending_epoch : e->sender.epoch;
  if (newest >= SRE_EPOCH_MAX) return SRE_ERR_EPOCH_EXHAUSTED;
  uint8_t key[SRE_BASE_KEY_LEN];
  if (RAND_priv_bytes(key, sizeof key) != 1) return SRE_ERR_RANDOM;
  memcpy(e->pending_key, key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  e->pending = true;
  e->pending_epoch = newest + 1;
  return SRE_OK;
}

static void clear_pending(sc_e2ee *e) {
  OPENSSL_cleanse(e->pending_key, sizeof e->pending_key);
  e->pending = false;
  e->pending_epoch = 0;
}

/* switchToPending: the pending key becomes current; the old key is wiped. */
static bool switch_to_pending(sc_e2ee *e) {
  if (!e->pending) return false;
  sre_sender next;
  int st = sre_sender_init(&next, e->slot, e->pending_epoch, e->pending_key, SRE_BASE_KEY_LEN);
  clear_pending(e);
  if (st != SRE_OK) return false;
  sre_sender_clear(&e->sender);
  e->sender = next;
  OPENSSL_cleanse(&next, sizeof next); /* moved: its contexts now belong to e->sender */
  return true;
}

static void tracker_switch(sc_e2ee *e) {
  for (size_t i = 0; i < e->n_peers; i++) e->peers[i]->waiting = false;
  e->has_deadline = false;
  e->stale = false;
  if (switch_to_pending(e)) {
    e->st.key_events++;
    if (e->cb.request_keyframe) e->cb.request_keyframe(e->ctx);
  }
}

/* _start: a fresh pending key for the recipients, who become the holders
 * and the ones whose acks we wait for; sent to them. */
static int tracker_start(sc_e2ee *e, uint64_t now) {
  int st = start_pending(e);
  if (st != SRE_OK) return st;
  for (size_t i = 0; i < e->n_peers; i++) {
    peer *p = e->peers[i];
    p->waiting = p->holder = p->recipient;
  }
  e->stale = false;
  e->has_last_start = true;
  e->last_start = now;
  e->st.rotations++;
  key_copy k;
  pending_key(e, &k);
  send_key_to(e, &k, true);
  OPENSSL_cleanse(&k, sizeof k);
  return SRE_OK;
}

static void tracker_tick(sc_e2ee *e, uint64_t now) {
  if (e->has_deadline && now >= e->deadline) {
    /* A leave not covered by the pending key: a fresh key, used at once. If
     * none can be made, the deadline stays and sending stops (overdue). */
    if ((e->stale || !e->pending) && tracker_start(e, now) != SRE_OK) return;
    tracker_switch(e);
    return;
  }
  if (e->stale && (!e->has_last_start || now >= e->last_start + ROTATE_MIN_INTERVAL_MS)) {
    tracker_start(e, now);
  }
}

/* join(N): what N gets (keyForNewcomer) and who else gets it. */
static int tracker_join(sc_e2ee *e, peer *n, uint64_t now, key_copy *k, bool *everyone) {
  *everyone = false;
  if (e->pending) {
    pending_key(e, k);
    n->waiting = n->holder = n->recipient = true;
    return SRE_OK;
  }
  if (!e->sender.used) {
    current_key(e, k);
  } else if (e->sender.step == 255) {
    /* The step field is full: a rotation for everyone, newcomer included. */
    int st = start_pending(e);
    if (st != SRE_OK) return st;
    pending_key(e, k);
    for (size_t i = 0; i < e->n_peers; i++) {
      peer *p = e->peers[i];
      p->waiting = p->holder = p->recipient = p->capable;
    }
    e->has_last_start = true;
    e->last_start = now;
    if (!e->has_deadline) {
      e->has_deadline = true;
      e->deadline = now + ROTATE_TIMEOUT_MS;
    }
    *everyone = true;
    return SRE_OK;
  } else {
    int st = sre_sender_ratchet(&e->sender);
    if (st != SRE_OK) return st;
    current_key(e, k);
  }
  n->holder = true;
  /* A leave waiting for its fresh key (rate-limited): that key must reach
   * the newcomer too. */
  if (e->stale) n->recipient = true;
  return SRE_OK;
}

/* leave(L), L already out of the roster. */
static void tracker_leave(sc_e2ee *e, peer *l, uint64_t now) {
  l->waiting = false;
  if (!l->holder) return;
  l->holder = false;
  for (size_t i = 0; i < e->n_peers; i++) e->peers[i]->recipient = e->peers[i]->capable;
  if (!e->has_deadline) {
    e->has_deadline = true;
    e->deadline = now + ROTATE_TIMEOUT_MS;
  }
  e->stale = true;
  tracker_tick(e, now);
}

static void tracker_ack(sc_e2ee *e, peer *p, uint32_t epoch) {
  if (!e->pending || e->pending_epoch != epoch || !p->waiting) return;
  p->waiting = false;
  if (e->stale) return;
  for (size_t i = 0; i < e->n_peers; i++) {
    if (e->peers[i]->waiting) return;
  }
  tracker_switch(e);
}

/* ---- verification (docs/e2ee.md 10) ------------------------------------- */

static void verify(sc_e2ee *e) {
  e->verify_due = false;
  size_t n = 1, nx = 0;
  for (size_t i = 0; i < e->n_peers; i++) {
    if (e->peers[i]->capable) n++;
    else nx++;
  }
  sre_member *m = calloc(n, sizeof *m);
  sc_e2ee_member *info = calloc(n, sizeof *info);
  const char **excluded = calloc(nx ? nx : 1, sizeof *excluded);
  if (!m || !info || !excluded) {
    free(m), free(info), free(excluded);
    e->verify_due = true; /* try again later */
    return;
  }
  bool complete = true;
  m[0] = (sre_member){e->self_id, e->kp.pub, e->sign_pub, (const uint8_t *)e->self_name,
                      e->self_name_len};
  info[0] = (sc_e2ee_member){e->self_id, e->self_name, e->self_fp, true};
  size_t k = 1, x = 0;
  for (size_t i = 0; i < e->n_peers; i++) {
    peer *p = e->peers[i];
    if (!p->capable) {
      excluded[x++] = p->id;
      continue;
    }
    size_t nl = p->has_name ? strlen(p->name) : 0;
    m[k] = (sre_member){p->id, p->pub, p->sign_pub, nl ? (const uint8_t *)p->name : NULL, nl};
    info[k] = (sc_e2ee_member){p->id, p->has_name ? p->name : NULL, p->fp, false};
    if (!p->has_name) complete = false;
    k++;
  }
  char code[SRE_CODE_STR_LEN];
  int st = sre_security_code(e->sid, e->sid_len, m, n, code);
  if (st == SRE_OK) {
    memcpy(e->code, code, sizeof code);
    e->have_code = true;
    e->code_complete = complete;
    if (complete) {
      uint64_t now = now_ms(e);
      for (size_t i = 0; i < e->n_peers; i++) {
        peer *p = e->peers[i];
        if (p->capable && !p->covered) p->covered = true, p->covered_at = now;
      }
    }
  }
  if (e->cb.on_verify) {
    sc_e2ee_verify v = {st == SRE_OK ? code : NULL, st, complete, info, n, excluded, nx};
    e->cb.on_verify(e->ctx, &v);
  }
  free(m), free(info), free(excluded);
}

/* ---- API-call framing ---------------------------------------------------- */

static bool enter(sc_e2ee *e) {
  if (!e || e->depth > 0) return false;
  e->depth++;
  return true;
}

/* Ends an API call: the verification it asked for, then its relays as one batch. */
static void leave_call(sc_e2ee *e) {
  if (e->verify_due && e->started) verify(e);
  flush_relays(e);
  e->depth--;
}

/* ---- creation ------------------------------------------------------------ */

const char *sc_e2ee_alarm_name(int alarm) {
  switch (alarm) {
    case SC_E2EE_ALARM_KEY_CHANGED: return "key_changed";
    case SC_E2EE_ALARM_REJOINED: return "rejoined";
    case SC_E2EE_ALARM_LEFT_UNVERIFIED: return "left_unverified";
    default: return NULL;
  }
}

int sc_e2ee_peer_from_json(const json_t *o, sc_e2ee_peer *out) {
  if (!out) return SRE_ERR_ARG;
  memset(out, 0, sizeof *out);
  out->slot = -1;
  if (!json_is_object(o)) return SRE_ERR_JSON;
  json_t *id = json_object_get(o, "id"), *slot = json_object_get(o, "slot");
  json_t *pub = json_object_get(o, "public_key"), *sig = json_object_get(o, "signing_key");
  if (!json_is_string(id)) return SRE_ERR_JSON;
  out->id = json_string_value(id);
  if (json_is_integer(slot) && json_integer_value(slot) >= 0) out->slot = json_integer_value(slot);
  out->public_key = json_is_string(pub) ? json_string_value(pub) : NULL;
  out->signing_key = json_is_string(sig) ? json_string_value(sig) : NULL;
  return SRE_OK;
}

sc_e2ee *sc_e2ee_new(const sc_e2ee_callbacks *cb, void *ctx) {
  sc_e2ee *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  if (cb) e->cb = *cb;
  e->ctx = ctx;
  /* The Ed25519 pair is made now (its public half goes in `join`); the
   * signer that uses it needs the ids of `welcome`, so the seed waits here. */
  EVP_PKEY *k = NULL;
  size_t publen = SRE_SIGN_PUBLIC_LEN;
  bool ok = sre_keypair_generate(&e->kp) == SRE_OK &&
            RAND_priv_bytes(e->sign_seed, sizeof e->sign_seed) == 1 &&
            (k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, e->sign_seed,
                                              sizeof e->sign_seed)) != NULL &&
            EVP_PKEY_get_raw_public_key(k, e->sign_pub, &publen) == 1 &&
            publen == SRE_SIGN_PUBLIC_LEN &&
            sre_base64_encode(e->kp.pub, SRE_X25519_LEN, e->pub_b64, sizeof e->pub_b64, NULL) ==
                SRE_OK &&
            sre_base64_encode(e->sign_pub, sizeof e->sign_pub, e->sign_b64, sizeof e->sign_b64,
                              NULL) == SRE_OK &&
            sre_fingerprint(e->kp.pub, e->self_fp) == SRE_OK;
  EVP_PKEY_free(k);
  if (!ok) {
    sc_e2ee_free(e);
    return NULL;
  }
  return e;
}

const char *sc_e2ee_public_key_b64(const sc_e2ee *e) {
  return e ? e->pub_b64 : NULL;
}

const char *sc_e2ee_signing_key_b64(const sc_e2ee *e) {
  return e ? e->sign_b64 : NULL;
}

/* ---- roster events ------------------------------------------------------- */

static int start_locked(sc_e2ee *e, const char *self_id, const char *self_name,
                        const char *session_id, long long slot, const sc_e2ee_peer *peers,
                        size_t n) {
  if (e->started || (n && !peers)) return SRE_ERR_ARG;
  if (!id_valid(self_id) || !session_id) return SRE_ERR_BAD_ID;
  size_t sid_len = strnlen(session_id, SRE_SESSION_ID_MAX + 1);
  if (sid_len < 1 || sid_len > SRE_SESSION_ID_MAX) return SRE_ERR_BAD_ID;
  if (slot < 0 || slot > 0xffff) return SRE_ERR_ARG;
  memcpy(e->self_id, self_id, SRE_ID_LEN + 1);
  memcpy(e->sid, session_id, sid_len);
  e->sid_len = sid_len;
  e->slot = (uint16_t)slot;
  e->self_name_len = sc_name_sealable((const uint8_t *)self_name,
                                      self_name ? strnlen(self_name, 65536) : 0, SRE_NAME_MAX,
                                      e->self_name);
  int st = sre_signer_init(&e->signer, e->self_id, e->sid, e->sid_len, e->sign_seed);
  OPENSSL_cleanse(e->sign_seed, sizeof e->sign_seed);
  if (st == SRE_OK) st = sre_sender_init(&e->sender, e->slot, 1, NULL, 0);
  if (st != SRE_OK) {
    sre_signer_clear(&e->signer);
    return st;
  }
  e->started = true;
  e->last_flush = now_ms(e);
  for (size_t i = 0; i < n; i++) {
    bool fresh;
    peer_add(e, &peers[i], &fresh);
  }
  /* 8.4, the newcomer as sender: its first key to every present participant. */
  key_copy k;
  current_key(e, &k);
  send_key_to(e, &k, false);
  OPENSSL_cleanse(&k, sizeof k);
  for (size_t i = 0; i < e->n_peers; i++) e->peers[i]->holder = e->peers[i]->capable;
  e->verify_due = true;
  return SRE_OK;
}

int sc_e2ee_start(sc_e2ee *e, const char *self_id, const char *self_name, const char *session_id,
                  long long slot, const sc_e2ee_peer *peers, size_t n) {
  if (!enter(e)) return SRE_ERR_ARG;
  int st = start_locked(e, self_id, self_name, session_id, slot, peers, n);
  leave_call(e);
  return st;
}

int sc_e2ee_joined(sc_e2ee *e, const sc_e2ee_peer *raw) {
  if (!enter(e)) return SRE_ERR_ARG;
  int st = SRE_OK;
  if (!e->started) {
    st = SRE_ERR_NO_KEY;
  } else {
    bool fresh;
    peer *p = peer_add(e, raw, &fresh);
    if (p && fresh && p->capable) {
      key_copy k;
      bool everyone;
      st = tracker_join(e, p, now_ms(e), &k, &everyone);
      if (st == SRE_OK) {
        if (everyone) send_key_to(e, &k, false);
        else send_key(e, p, &k);
        e->st.key_events++;
      }
      OPENSSL_cleanse(&k, sizeof k);
    }
    if (fresh) e->verify_due = true;
  }
  leave_call(e);
  return st;
}

int sc_e2ee_left(sc_e2ee *e, const char *id) {
  if (!enter(e)) return SRE_ERR_ARG;
  peer *p = e->started ? find_peer(e, id) : NULL;
  if (p) {
    uint64_t now = now_ms(e);
    peer_remove(e, p);
    remember_departed(e, p->id);
    if (p->capable) {
      for (int i = 1; i < SRE_STATUS_COUNT; i++) e->st.recv_drops[i] += p->rx.drops[i];
    }
    if (p->holder && (!p->covered || now - p->covered_at < SC_E2EE_COVER_MS) && e->cb.on_alarm) {
      /* It got our key and leaves before a complete code had included it for
       * SC_E2EE_COVER_MS: no comparison of codes can now show it was there. */
      e->cb.on_alarm(e->ctx, p->id, SC_E2EE_ALARM_LEFT_UNVERIFIED, p->has_name ? p->name : NULL);
    }
    if (p->holder) {
      tracker_leave(e, p, now);
      e->st.key_events++;
    }
    peer_free(e, p);
    e->verify_due = true;
  }
  leave_call(e);
  return p ? SRE_OK : SRE_ERR_ARG;
}

/* ---- incoming frames ----------------------------------------------------- */

static stream_state *stream_of(peer *p, uint64_t stream) {
  for (size_t i = 0; i < STREAMS_PER_PEER; i++) {
    if (p->streams[i].used && p->streams[i].stream == stream) return &p->streams[i];
  }
  stream_state *s = &p->streams[p->stream_next];
  p->stream_next = (p->stream_next + 1) % STREAMS_PER_PEER;
  memset(s, 0, sizeof *s);
  s->used = true;
  s->stream = stream;
  return s;
}

static void mark_dropped(peer *p, uint64_t stream) {
  stream_of(p, stream)->dropped = true;
}

static bool grow_buf(sc_e2ee *e, size_t need) {
  if (need <= e->buf_cap) return true;
  size_t cap = e->buf_cap ? e->buf_cap : 4096;
  while (cap < need) cap *= 2;
  uint8_t *n = malloc(cap);
  if (!n) return false;
  if (e->buf) {
    OPENSSL_cleanse(e->buf, e->buf_cap);
    free(e->buf);
  }
  e->buf = n;
  e->buf_cap = cap;
  return true;
}

/* SFrame receive path (docs/e2ee.md 5.4), then the decoder. */
static int decrypt_deliver(sc_e2ee *e, peer *p, uint64_t stream, sre_codec codec,
                           const uint8_t *wire, size_t len, uint64_t now) {
  if (!grow_buf(e, len ? len : 1)) {
    e->st.recv_too_large++;
    mark_dropped(p, stream);
    return SRE_ERR_CRYPTO;
  }
  size_t out_len = 0;
  int st = sre_receiver_decrypt(&p->rx, codec, wire, len, e->buf, e->buf_cap, &out_len, now);
  if (st != SRE_OK) { /* counted by the receiver */
    mark_dropped(p, stream);
    return st;
  }
  stream_state *s = stream_of(p, stream);
  bool delta = codec == SRE_CODEC_VP8 && out_len > 0 && (e->buf[0] & 1);
  if (s->dropped && delta && e->cb.request_remote_keyframe &&
      (!s->requested || now - s->last_request >= REMOTE_KF_MS)) {
    s->requested = true;
    s->last_request = now;
    e->cb.request_remote_keyframe(e->ctx, p->id, stream);
  }
  s->dropped = false;
  if (codec == SRE_CODEC_OPUS) e->st.decrypted_audio++;
  else e->st.decrypted_video++;
  if (e->cb.on_frame) e->cb.on_frame(e->ctx, p->id, stream, codec, e->buf, out_len);
  return 1;
}

/* Held frames the verifier has decided: pass (decrypt) or drop them. */
static void decide_held(sc_e2ee *e, peer *p, uint64_t now) {
  sre_sign_decision d[64];
  size_t got;
  do {
    got = sre_sign_verifier_poll(p->ver, now, d, sizeof d / sizeof d[0]);
    for (size_t i = 0; i < got; i++) {
      size_t j = 0;
      while (j < p->held_n && p->held[j].tag != d[i].tag) j++;
      if (j == p->held_n) continue;
      held_frame h = p->held[j];
      memmove(&p->held[j], &p->held[j + 1], (p->held_n - j - 1) * sizeof *p->held);
      p->held_n--;
      e->held_bytes -= h.len;
      if (d[i].verdict == SRE_SIGN_OK) {
        e->st.sign_ok++;
        decrypt_deliver(e, p, h.stream, h.codec, h.data, h.len, now);
      } else {
        if (d[i].verdict == SRE_SIGN_REJECT) e->st.sign_reject++;
        else e->st.sign_unsigned++;
        mark_dropped(p, h.stream);
      }
      free(h.data);
    }
  } while (got == sizeof d / sizeof d[0]);
}

static int receive_locked(sc_e2ee *e, const char *from_id, uint64_t stream, sre_codec codec,
                          const uint8_t *wire, size_t len) {
  peer *p = e->started ? find_peer(e, from_id) : NULL;
  if (!p || !p->capable) {
    e->st.recv_no_peer++;
    return SRE_ERR_NO_KEY;
  }
  if (codec != SRE_CODEC_VP8 && codec != SRE_CODEC_OPUS) {
    e->st.recv_codec++;
    mark_dropped(p, stream);
    return SRE_ERR_ARG;
  }
  if ((!wire && len) || len > SC_E2EE_FRAME_MAX) {
    e->st.recv_too_large++;
    mark_dropped(p, stream);
    return SRE_ERR_TOO_LARGE;
  }
  uint64_t now = now_ms(e);
  /* Sender authentication first (docs/e2ee-sender-auth.md 6.4): a frame
   * forged by another key holder never touches the receiver's state. Frames
   * that do not parse, and empty ones, go to the receive path, which drops
   * or passes them by the rules of docs/e2ee.md 5.4. */
  size_t prefix = 0;
  sre_header hdr;
  if (len == 0 || sre_frame_parse(codec, wire, len, &prefix, &hdr) != SRE_OK) {
    return decrypt_deliver(e, p, stream, codec, wire, len, now);
  }
  uint8_t hash[SRE_SIGN_HASH_LEN];
  if (hdr.kid > SRE_SIGN_NUM_MAX || hdr.ctr > SRE_SIGN_NUM_MAX ||
      sre_sign_frame_hash(hdr.kid, hdr.ctr, wire, len, hash) != SRE_OK) {
    /* Never listed by any statement (numbers above 2^53 - 1). */
    e->st.sign_unsigned++;
    mark_dropped(p, stream);
    return SRE_ERR_AUTH;
  }
  sre_sign_verdict v = sre_sign_verifier_lookup(p->ver, hdr.kid, hdr.ctr, hash);
  uint8_t *copy = NULL;
  if (v == SRE_SIGN_WAIT) {
    if (p->held_n >= SRE_SIGN_PENDING_MAX || e->held_bytes + len > SC_E2EE_HOLD_BYTES_MAX ||
        !(copy = malloc(len))) {
      e->st.sign_overflow++;
      mark_dropped(p, stream);
      return SRE_ERR_BUFFER;
    }
    memcpy(copy, wire, len);
  }
  uint64_t tag = ++e->next_tag;
  int d = sre_sign_verifier_frame_hash(p->ver, hdr.kid, hdr.ctr, hash, tag, now);
  if (d == SRE_SIGN_WAIT && copy) {
    p->held[p->held_n++] = (held_frame){tag, stream, codec, copy, len};
    e->held_bytes += len;
    return 0;
  }
  free(copy);
  if (d == SRE_SIGN_OK) {
    e->st.sign_ok++;
    return decrypt_deliver(e, p, stream, codec, wire, len, now);
  }
  if (d == SRE_SIGN_REJECT) e->st.sign_reject++;
  else e->st.sign_overflow++;
  mark_dropped(p, stream);
  return d == SRE_SIGN_REJECT ? SRE_ERR_AUTH : SRE_ERR_BUFFER;
}

int sc_e2ee_receive(sc_e2ee *e, const char *from_id, uint64_t stream, sre_codec codec,
                    const uint8_t *wire, size_t len) {
  if (!enter(e)) return SRE_ERR_ARG;
  int st = receive_locked(e, from_id, stream, codec, wire, len);
  leave_call(e);
  return st;
}

/* ---- relays -------------------------------------------------------------- */

static int key_message(sc_e2ee *e, peer *p, const sre_payload *pl) {
  uint8_t base[SRE_RATCHETED_KEY_LEN];
  size_t blen = 0, nlen = 0;
  char name[SRE_NAME_MAX + 1];
  int st = sre_keymsg_open(p->pairwise, p->id, e->self_id, (uint16_t)p->slot, pl, base, &blen,
                           name, &nlen);
  if (st == SRE_OK) st = sre_receiver_add_key(&p->rx, pl->epoch, pl->step, base, blen, now_ms(e));
  OPENSSL_cleanse(base, sizeof base);
  if (st != SRE_OK) return st; /* never ack a refused key */
  /* Every 255 epochs a generation, and so its KIDs, come back: statements of
   * the old epoch must not judge the new one's frames. */
  uint8_t g = sre_epoch_generation(pl->epoch);
  if (p->gen_epoch[g] != pl->epoch) {
    if (p->gen_epoch[g] != 0) {
      sre_sign_verifier_forget_kids(p->ver, sre_kid_make((uint16_t)p->slot, g, 0),
                                    sre_kid_make((uint16_t)p->slot, g, 255));
    }
    p->gen_epoch[g] = pl->epoch;
  }
  char ack[64];
  size_t alen = 0;
  if (sre_ack_write(pl->epoch, ack, sizeof ack, &alen) == SRE_OK) queue_relay(e, p->id, ack, alen);
  /* Cleaned, in the code as on screen. */
  char clean[SRE_NAME_MAX + 1];
  sc_name_clean((const uint8_t *)name, nlen, clean, sizeof clean);
  if (!p->has_name || strcmp(p->name, clean) != 0) {
    memcpy(p->name, clean, sizeof clean);
    p->has_name = true;
    e->verify_due = true;
  }
  e->st.key_events++;
  return SRE_OK;
}

static int statement(sc_e2ee *e, peer *p, const char *payload, size_t len) {
  int st = sre_sign_verifier_statement(p->ver, payload, len);
  if (st != SRE_OK) {
    count(e->st.statements_bad, st);
    return st;
  }
  e->st.statements_ok++;
  decide_held(e, p, now_ms(e));
  return SRE_OK;
}

/* "sig" when the payload is an object whose t is the string "sig". */
static bool is_statement(const char *payload, size_t len) {
  if (len > SRE_SIGN_PAYLOAD_MAX) return false;
  json_error_t err;
  json_t *o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &err);
  json_t *t = json_is_object(o) ? json_object_get(o, "t") : NULL;
  bool sig = json_is_string(t) && strcmp(json_string_value(t), "sig") == 0;
  json_decref(o);
  return sig;
}

static int relay_locked(sc_e2ee *e, const char *from, const char *payload, size_t len) {
  peer *p = e->started ? find_peer(e, from) : NULL;
  if (!p || !p->capable) return SRE_ERR_NO_KEY;
  if (!payload || len > RELAY_TEXT_MAX) return SRE_ERR_JSON;
  if (is_statement(payload, len)) return statement(e, p, payload, len);
  sre_payload *pl = malloc(sizeof *pl);
  if (!pl) return SRE_ERR_CRYPTO;
  int st = sre_payload_parse(payload, len, pl);
  if (st == SRE_OK && pl->type == SRE_PAYLOAD_KEY) {
    st = key_message(e, p, pl);
  } else if (st == SRE_OK && pl->type == SRE_PAYLOAD_ACK) {
    tracker_ack(e, p, pl->epoch);
  } else if (st == SRE_OK) {
    st = SRE_ERR_JSON; /* chat travels in `chat`, not in a relay */
  }
  OPENSSL_cleanse(pl, sizeof *pl);
  free(pl);
  return st;
}

int sc_e2ee_relay(sc_e2ee *e, const char *from, const char *payload, size_t len) {
  if (!enter(e)) return SRE_ERR_ARG;
  int st = relay_locked(e, from, payload, len);
  if (st != SRE_OK) count(e->st.relays_bad, st);
  leave_call(e);
  return st;
}

/* ---- outgoing frames ----------------------------------------------------- */

static void sign_frame(sc_e2ee *e, uint64_t kid, uint64_t ctr, const uint8_t *wire, size_t len,
                       bool flush_now) {
  char json[SRE_SIGN_PAYLOAD_MAX];
  size_t jl = 0;
  int st = sre_signer_add(&e->signer, kid, ctr, wire, len, json, sizeof json, &jl);
  if (st == SRE_OK && jl) broadcast(e, json, jl);
  if (st == SRE_OK && flush_now) {
    /* After a video key frame the statement goes at once, so that a receiver
     * waiting for a key frame does not wait for the timer. */
    st = sre_signer_flush(&e->signer, json, sizeof json, &jl);
    if (st == SRE_OK && jl) broadcast(e, json, jl);
    e->last_flush = now_ms(e);
  }
  if (st != SRE_OK) count(e->st.send_drops, st);
}

static int encrypt_locked(sc_e2ee *e, sre_codec codec, bool is_keyframe, const uint8_t *frame,
                          size_t len, uint8_t *out, size_t cap, size_t *out_len) {
  if (!e->started) {
    e->st.send_not_ready++;
    return SRE_ERR_NO_KEY;
  }
  /* The switch after a leave is due by the deadline: never send past it
   * under a key a departed participant may hold. */
  if (e->has_deadline && now_ms(e) > e->deadline + SC_E2EE_OVERDUE_MS) {
    e->st.send_overdue++;
    return SRE_ERR_NO_KEY;
  }
  if (codec != SRE_CODEC_VP8 && codec != SRE_CODEC_OPUS) {
    e->st.send_codec++;
    return SRE_ERR_ARG;
  }
  if (!out || (!frame && len) || len > SC_E2EE_FRAME_MAX) {
    count(e->st.send_drops, SRE_ERR_ARG);
    return SRE_ERR_ARG;
  }
  uint64_t kid = e->sender.key.kid, ctr = e->sender.ctr;
  int st = sre_sender_encrypt(&e->sender, codec, frame, len, out, cap, out_len);
  if (st != SRE_OK) {
    count(e->st.send_drops, st);
    return st;
  }
  if (codec == SRE_CODEC_OPUS) e->st.encrypted_audio++;
  else e->st.encrypted_video++;
  if (*out_len > 0) sign_frame(e, kid, ctr, out, *out_len, is_keyframe && codec == SRE_CODEC_VP8);
  return SRE_OK;
}

/* Also allowed from a callback (a bot that answers a frame, an encoder that
 * makes the key frame request_keyframe asked for): encryption touches only
 * the sender and the signer, never the roster or the held frames, and it
 * queues no relay (its statements are broadcast at once). */
int sc_e2ee_encrypt(sc_e2ee *e, sre_codec codec, bool is_keyframe, const uint8_t *frame,
                    size_t len, uint8_t *out, size_t cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!e || !out_len) return SRE_ERR_ARG;
  bool nested = e->depth > 0;
  if (!nested) e->depth++;
  int st = encrypt_locked(e, codec, is_keyframe, frame, len, out, cap, out_len);
  if (st != SRE_OK) *out_len = 0;
  if (!nested) leave_call(e);
  return st;
}

/* ---- timers -------------------------------------------------------------- */

void sc_e2ee_tick(sc_e2ee *e) {
  if (!enter(e)) return;
  if (e->started) {
    uint64_t now = now_ms(e);
    if (now - e->last_flush >= SC_E2EE_SIGN_FLUSH_MS) {
      char json[SRE_SIGN_PAYLOAD_MAX];
      size_t jl = 0;
      int st = sre_signer_flush(&e->signer, json, sizeof json, &jl);
      if (st == SRE_OK && jl) broadcast(e, json, jl);
      e->last_flush = now;
    }
    tracker_tick(e, now);
    for (size_t i = 0; i < e->n_peers; i++) {
      peer *p = e->peers[i];
      if (!p->capable) continue;
      sre_receiver_expire(&p->rx, now);
      if (p->held_n) decide_held(e, p, now);
    }
  }
  leave_call(e);
}

/* ---- queries ------------------------------------------------------------- */

int sc_e2ee_code(const sc_e2ee *e, char out[SRE_CODE_STR_LEN], bool *complete) {
  if (complete) *complete = false;
  if (!e || !out) return SRE_ERR_ARG;
  out[0] = '\0';
  if (!e->have_code) return SRE_ERR_NO_KEY;
  memcpy(out, e->code, SRE_CODE_STR_LEN);
  if (complete) *complete = e->code_complete;
  return SRE_OK;
}

void sc_e2ee_stats_get(const sc_e2ee *e, sc_e2ee_stats *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!e) return;
  *out = e->st;
  for (size_t i = 0; i < e->n_peers; i++) {
    const peer *p = e->peers[i];
    out->peers++;
    if (!p->capable) continue;
    out->capable_peers++;
    for (int k = 1; k < SRE_STATUS_COUNT; k++) out->recv_drops[k] += p->rx.drops[k];
    out->held_frames += p->held_n;
  }
  out->held_bytes = e->held_bytes;
  if (e->started) {
    out->epoch = e->sender.epoch;
    out->step = e->sender.step;
    out->pending_epoch = e->pending ? e->pending_epoch : 0;
  }
}

/* ---- chat ---------------------------------------------------------------- */

static int chat_seal_locked(sc_e2ee *e, const char *text, size_t len, char *out, size_t cap,
                            size_t *out_len) {
  if (!e->started) return SRE_ERR_NO_KEY;
  if (!text || !out) return SRE_ERR_ARG;
  if (e->chat_seq > 0xffffffffu) return SRE_ERR_CTR_EXHAUSTED;
  /* Sealing marks the key used (8.4): the next join ratchets. */
  sre_sender_mark_used(&e->sender);
  uint8_t ck[SRE_CHAT_KEY_LEN];
  int st = sre_chat_key(e->sender.base_key, e->sender.base_key_len, e->sid, e->sid_len, ck);
  char *sealed = malloc(SRE_PAYLOAD_MAX);
  size_t sl = 0;
  if (!sealed) st = SRE_ERR_CRYPTO;
  if (st == SRE_OK) {
    st = sre_chat_seal(ck, e->self_id, e->sender.epoch, e->sender.step, SRE_CHAT_TEXT,
                       (uint32_t)e->chat_seq, wall_ms(), (const uint8_t *)text, len, NULL, sealed,
                       SRE_PAYLOAD_MAX, &sl);
  }
  if (st == SRE_OK) {
    e->chat_seq++;
    st = sre_signer_sign_chat(&e->signer, sealed, sl, out, cap, out_len);
  }
  OPENSSL_cleanse(ck, sizeof ck);
  free(sealed);
  return st;
}

int sc_e2ee_chat_seal(sc_e2ee *e, const char *text, size_t len, char *out, size_t cap,
                      size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!out_len || !enter(e)) return SRE_ERR_ARG;
  int st = chat_seal_locked(e, text, len, out, cap, out_len);
  leave_call(e);
  return st;
}

static int chat_open_locked(sc_e2ee *e, const char *from, const char *payload, size_t len,
                            char *text, size_t cap, size_t *text_len, uint64_t *time_ms) {
  peer *p = e->started ? find_peer(e, from) : NULL;
  if (!p || !p->capable) return SRE_ERR_NO_KEY;
  if (!payload || !text || cap < SRE_CHAT_BODY_MAX + 1) return SRE_ERR_ARG;
  char *inner = malloc(SRE_SIGN_CHAT_MAX);
  sre_payload *pl = malloc(sizeof *pl);
  size_t il = 0, blen = 0, body_len = 0;
  uint8_t base[SRE_RATCHETED_KEY_LEN], ck[SRE_CHAT_KEY_LEN];
  sre_chat_type type = 0;
  uint32_t seq = 0;
  int st = inner && pl ? SRE_OK : SRE_ERR_CRYPTO;
  if (st == SRE_OK) st = sre_sign_chat_open(p->ver, payload, len, inner, SRE_SIGN_CHAT_MAX, &il);
  if (st == SRE_OK) st = sre_payload_parse(inner, il, pl);
  if (st == SRE_OK && pl->type != SRE_PAYLOAD_CHAT) st = SRE_ERR_JSON;
  if (st == SRE_OK) st = sre_receiver_base_key(&p->rx, pl->epoch, pl->step, base, &blen);
  if (st == SRE_OK) st = sre_chat_key(base, blen, e->sid, e->sid_len, ck);
  if (st == SRE_OK) {
    st = sre_chat_open(ck, p->id, pl, &type, &seq, time_ms, (uint8_t *)text, cap - 1, &body_len);
  }
  if (st == SRE_OK && type != SRE_CHAT_TEXT) st = SRE_ERR_JSON;
  if (st == SRE_OK && p->chat_any && seq <= p->chat_last) st = SRE_ERR_REPLAY;
  if (st == SRE_OK) {
    p->chat_any = true;
    p->chat_last = seq;
    text[body_len] = '\0';
    *text_len = body_len;
  } else {
    OPENSSL_cleanse(text, cap);
  }
  OPENSSL_cleanse(base, sizeof base);
  OPENSSL_cleanse(ck, sizeof ck);
  if (pl) OPENSSL_cleanse(pl, sizeof *pl);
  free(pl);
  free(inner);
  return st;
}

int sc_e2ee_chat_open(sc_e2ee *e, const char *from, const char *payload, size_t len, char *text,
                      size_t cap, size_t *text_len, uint64_t *time_ms) {
  if (text_len) *text_len = 0;
  if (!text_len || !enter(e)) return SRE_ERR_ARG;
  int st = chat_open_locked(e, from, payload, len, text, cap, text_len, time_ms);
  leave_call(e);
  return st;
}

/* ---- signalling helpers -------------------------------------------------- */

char *sc_e2ee_relay_batch_json(const sc_e2ee_relay_msg *list, size_t n) {
  if (!list || n == 0) return NULL;
  json_t *msgs = json_array(), *m = json_object();
  bool ok = msgs && m && json_object_set_new(m, "type", json_string("relay_batch")) == 0;
  for (size_t i = 0; ok && i < n; i++) {
    json_error_t err;
    json_t *entry = json_object();
    json_t *pl = list[i].payload ? json_loadb(list[i].payload, list[i].payload_len, 0, &err) : NULL;
    ok = entry && pl && list[i].to &&
         json_object_set_new(entry, "to", json_string(list[i].to)) == 0;
    if (ok) {
      ok = json_object_set_new(entry, "payload", pl) == 0;
      pl = NULL;
    }
    json_decref(pl);
    if (ok) {
      ok = json_array_append_new(msgs, entry) == 0;
    } else {
      json_decref(entry);
    }
  }
  char *s = NULL;
  if (ok && json_object_set(m, "messages", msgs) == 0) s = json_dumps(m, JSON_COMPACT);
  json_decref(msgs);
  json_decref(m);
  return s;
}

char *sc_e2ee_relay_all_json(const char *payload, size_t len) {
  if (!payload) return NULL;
  json_error_t err;
  json_t *pl = json_loadb(payload, len, 0, &err), *m = json_object();
  char *s = NULL;
  if (pl && m && json_object_set_new(m, "type", json_string("relay_all")) == 0 &&
      json_object_set(m, "payload", pl) == 0) {
    s = json_dumps(m, JSON_COMPACT);
  }
  json_decref(pl);
  json_decref(m);
  return s;
}

/* ---- end ----------------------------------------------------------------- */

void sc_e2ee_free(sc_e2ee *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n_peers; i++) peer_free(e, e->peers[i]);
  free(e->peers);
  free(e->departed);
  for (size_t i = 0; i < e->out_n; i++) {
    OPENSSL_cleanse(e->out[i].payload, e->out[i].len);
    free(e->out[i].payload);
  }
  free(e->out);
  if (e->buf) {
    OPENSSL_cleanse(e->buf, e->buf_cap);
    free(e->buf);
  }
  if (e->started) {
    sre_sender_clear(&e->sender);
    sre_signer_clear(&e->signer);
  }
  clear_pending(e);
  sre_keypair_clear(&e->kp);
  OPENSSL_cleanse(e, sizeof *e);
  free(e);
}
