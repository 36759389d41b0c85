/* Receiver state for one remote sender (docs/e2ee.md 5.4, 6, 8.6): a small
 * table of keys by (epoch, step), each with two replay windows (audio and
 * video); held keys have distinct 8-bit KID generations, so a frame's KID
 * finds its key; ratchet forward without trial decryption; superseded keys
 * expire 2 s after the first frame of a newer key; the key in use is never
 * evicted. Nothing changes until a frame has authenticated, so forged frames
 * cannot advance the ratchet, move a window or retire a key. */
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

void sre_receiver_init(sre_receiver *r, uint16_t slot) {
  memset(r, 0, sizeof *r);
  r->slot = slot;
}

static void entry_clear(sre_rx_key *e) {
  sre_key_clear(&e->key);
  OPENSSL_cleanse(e, sizeof *e);
}

/* Keys are ordered by the arrival of their key message, then by step (a
 * ratcheted key inherits its parent's arrival number). */
static int entry_before(const sre_rx_key *a, const sre_rx_key *b) {
  return a->arrival < b->arrival || (a->arrival == b->arrival && a->step < b->step);
}

static sre_rx_key *find_epoch(sre_receiver *r, uint32_t epoch, uint8_t step) {
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->epoch == epoch && e->step == step) return e;
  }
  return NULL;
}

/* The held key of KID generation g and this step (generations are unique
 * among held keys, so there is at most one). */
static sre_rx_key *find_generation(sre_receiver *r, uint8_t g, uint8_t step) {
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->generation == g && e->step == step) return e;
  }
  return NULL;
}

/* The held key of this epoch with the highest step below `step`. */
static const sre_rx_key *parent_of(const sre_receiver *r, uint32_t epoch, uint8_t step) {
  const sre_rx_key *best = NULL;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    const sre_rx_key *e = &r->keys[i];
    if (!e->used || e->epoch != epoch) continue;
    if (e->step < step && (!best || e->step > best->step)) best = e;
  }
  return best;
}

/* The epoch of the held keys of KID generation g (0 if none). */
static uint32_t epoch_of_generation(const sre_receiver *r, uint8_t g) {
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    const sre_rx_key *e = &r->keys[i];
    if (e->used && e->generation == g) return e->epoch;
  }
  return 0;
}

/* A free table entry, wiping one if the table is full: the earliest deadline
 * first, else the oldest key; never the active key (docs/e2ee.md 8.6). */
static sre_rx_key *free_entry(sre_receiver *r) {
  sre_rx_key *victim = NULL;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (!e->used) return e;
    if (e->active) continue;
    if (!victim) {
      victim = e;
    } else if (e->deadline_ms && (!victim->deadline_ms || e->deadline_ms < victim->deadline_ms)) {
      victim = e;
    } else if (!e->deadline_ms && !victim->deadline_ms && entry_before(e, victim)) {
      victim = e;
    }
  }
  entry_clear(victim); /* SRE_RX_KEYS > 1, so some key is not active */
  return victim;
}

/* Fills e with (epoch, step, base_key) and its SFrame key. */
static sre_status entry_set(sre_receiver *r, sre_rx_key *e, uint32_t epoch, uint8_t step,
                            const uint8_t *base_key, size_t len, uint64_t arrival) {
  memset(e, 0, sizeof *e);
  uint8_t g = sre_epoch_generation(epoch);
  sre_status st = sre_key_init(&e->key, SRE_SUITE_WIRE, sre_kid_make(r->slot, g, step), base_key, len);
  if (st != SRE_OK) return st;
  e->used = true;
  e->epoch = epoch;
  e->generation = g;
  e->step = step;
  memcpy(e->base_key, base_key, len);
  e->base_key_len = len;
  e->arrival = arrival;
  sre_replay_init(&e->replay_opus);
  sre_replay_init(&e->replay_other);
  return SRE_OK;
}

void sre_receiver_expire(sre_receiver *r, uint64_t now_ms) {
  if (!r) return;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->deadline_ms && e->deadline_ms <= now_ms) entry_clear(e);
  }
}

sre_status sre_receiver_add_key(sre_receiver *r, uint32_t epoch, uint8_t step,
                                const uint8_t *base_key, size_t base_key_len, uint64_t now_ms) {
  if (!r || !base_key || epoch == 0) return SRE_ERR_ARG;
  if (base_key_len != sre_base_key_len_for_step(step)) return SRE_ERR_KEY_LENGTH;
  sre_receiver_expire(r, now_ms);
  const sre_rx_key *held = find_epoch(r, epoch, step);
  if (held) {
    return sre__ct_equal(held->base_key, base_key, base_key_len) ? SRE_OK : SRE_ERR_KEY_CONFLICT;
  }
  /* Only a strictly greater (epoch, step) than the newest accepted. */
  int newer = !r->any || epoch > r->newest_epoch ||
              (epoch == r->newest_epoch && step > r->newest_step);
  if (!newer) return SRE_ERR_STALE_KEY;
  /* Held generations stay unique: a key of another epoch with the same KID
   * generation (255 epochs older) goes first, and so does a candidate. */
  uint8_t g = sre_epoch_generation(epoch);
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->generation == g && e->epoch != epoch) entry_clear(e);
  }
  if (r->candidate.used && r->candidate.generation == g && r->candidate.epoch != epoch) {
    entry_clear(&r->candidate);
  }
  sre_rx_key *e = free_entry(r);
  sre_status st = entry_set(r, e, epoch, step, base_key, base_key_len, r->next_arrival++);
  if (st != SRE_OK) {
    entry_clear(e);
    return st;
  }
  r->any = true;
  r->newest_epoch = epoch;
  r->newest_step = step;
  return SRE_OK;
}

/* Ratchets parent forward to `step` into out (SRE_RATCHETED_KEY_LEN bytes). */
static sre_status ratchet_to(const sre_rx_key *parent, uint8_t step, uint8_t *out) {
  uint8_t key[SRE_RATCHETED_KEY_LEN];
  size_t len = parent->base_key_len;
  memcpy(key, parent->base_key, len);
  sre_status st = SRE_OK;
  for (unsigned s = parent->step; s < step && st == SRE_OK; s++) {
    st = sre_ratchet(key, len, key);
    len = SRE_RATCHETED_KEY_LEN;
  }
  if (st == SRE_OK) memcpy(out, key, SRE_RATCHETED_KEY_LEN);
  OPENSSL_cleanse(key, sizeof key);
  return st;
}

/* Locates the key for KID generation g and step: a held one, the cached
 * candidate, or a new candidate ratcheted from the highest held step below
 * of the same epoch (docs/e2ee.md 5.4 #5-6). */
static sre_status key_for(sre_receiver *r, uint8_t g, uint8_t step, sre_rx_key **out) {
  *out = find_generation(r, g, step);
  if (*out) return SRE_OK;
  uint32_t epoch = epoch_of_generation(r, g);
  if (epoch == 0) return SRE_ERR_NO_KEY;
  sre_rx_key *c = &r->candidate;
  const sre_rx_key *parent = parent_of(r, epoch, step);
  if (!parent) return SRE_ERR_NO_KEY;
  if (step - parent->step > SRE_RATCHET_MAX_AHEAD) return SRE_ERR_RATCHET_TOO_FAR;
  if (c->used && c->epoch == epoch && c->step == step && c->arrival == parent->arrival) {
    *out = c;
    return SRE_OK;
  }
  uint8_t key[SRE_RATCHETED_KEY_LEN];
  sre_status st = ratchet_to(parent, step, key);
  entry_clear(c);
  if (st == SRE_OK) st = entry_set(r, c, epoch, step, key, sizeof key, parent->arrival);
  OPENSSL_cleanse(key, sizeof key);
  if (st != SRE_OK) {
    entry_clear(c);
    return st;
  }
  *out = c;
  return SRE_OK;
}

/* After a frame authenticated under e: a candidate joins the table, e becomes
 * the active key, and every key ordered before e starts its 2 s countdown. */
static sre_rx_key *commit(sre_receiver *r, sre_rx_key *e, sre_replay *w, uint64_t ctr,
                          uint64_t now_ms) {
  sre_replay_commit(w, ctr);
  if (e == &r->candidate) {
    sre_rx_key *slot = free_entry(r);
    *slot = r->candidate;
    memset(&r->candidate, 0, sizeof r->candidate); /* ownership moved, nothing to free */
    e = slot;
    if (e->epoch == r->newest_epoch && e->step > r->newest_step) r->newest_step = e->step;
  }
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *x = &r->keys[i];
    x->active = false;
    if (x->used && x != e && !x->deadline_ms && entry_before(x, e)) {
      x->deadline_ms = now_ms + SRE_KEEP_OLD_MS;
    }
  }
  e->active = true;
  return e;
}

static sre_status drop(sre_receiver *r, sre_status st) {
  int i = -(int)st;
  if (i > 0 && i < SRE_STATUS_COUNT) r->drops[i]++;
  return st;
}

sre_status sre_receiver_decrypt(sre_receiver *r, sre_codec codec, const uint8_t *wire,
                                size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                                uint64_t now_ms) {
  if (out_len) *out_len = 0;
  if (!r || !out_len || (!wire && len)) return SRE_ERR_ARG;
  if (len == 0 && sre_codec_is_audio(codec)) {
    r->accepted++; /* DTX: an empty frame, rendered as silence */
    return SRE_OK;
  }
  sre_receiver_expire(r, now_ms);
  size_t p = 0;
  sre_header h;
  sre_status st = sre_frame_parse(codec, wire, len, &p, &h);
  if (st != SRE_OK) return drop(r, st);
  if ((h.kid >> 16) != r->slot) return drop(r, SRE_ERR_WRONG_SLOT);
  uint8_t g = (uint8_t)(h.kid >> 8), step = (uint8_t)h.kid;
  sre_rx_key *e = NULL;
  st = key_for(r, g, step, &e);
  if (st != SRE_OK) return drop(r, st);
  /* Two windows (docs/e2ee.md 6): Opus, and every other codec. Their clear
   * prefix lengths differ (1 against 0, 3 or 10), so a frame authenticates
   * in only one of them. Not by media kind: a 0-byte-prefix audio codec and
   * a 0-byte-prefix video codec would let one frame in once per kind. */
  sre_replay *w = codec == SRE_CODEC_OPUS ? &e->replay_opus : &e->replay_other;
  st = sre_replay_check(w, h.ctr);
  if (st != SRE_OK) return drop(r, st);
  if (!out || out_cap < p) return drop(r, SRE_ERR_BUFFER);
  size_t n = 0;
  st = sre_sframe_decrypt(&e->key, &h, wire, p, wire + p, len - p, out + p, out_cap - p, &n);
  if (st != SRE_OK) return drop(r, st);
  memcpy(out, wire, p);
  e = commit(r, e, w, h.ctr, now_ms);
  (void)e;
  r->accepted++;
  *out_len = p + n;
  return SRE_OK;
}

sre_status sre_receiver_base_key(const sre_receiver *r, uint32_t epoch, uint8_t step,
                                 uint8_t out[SRE_RATCHETED_KEY_LEN], size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!r || !out || !out_len) return SRE_ERR_ARG;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    const sre_rx_key *e = &r->keys[i];
    if (e->used && e->epoch == epoch && e->step == step) {
      memcpy(out, e->base_key, e->base_key_len);
      *out_len = e->base_key_len;
      return SRE_OK;
    }
  }
  const sre_rx_key *parent = parent_of(r, epoch, step);
  if (!parent) return SRE_ERR_NO_KEY;
  if (step - parent->step > SRE_RATCHET_MAX_AHEAD) return SRE_ERR_RATCHET_TOO_FAR;
  sre_status st = ratchet_to(parent, step, out);
  if (st == SRE_OK) *out_len = SRE_RATCHETED_KEY_LEN;
  return st;
}

uint64_t sre_receiver_drops(const sre_receiver *r, sre_status reason) {
  int i = -(int)reason;
  return r && i > 0 && i < SRE_STATUS_COUNT ? r->drops[i] : 0;
}

void sre_receiver_clear(sre_receiver *r) {
  if (!r) return;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) entry_clear(&r->keys[i]);
  entry_clear(&r->candidate);
  OPENSSL_cleanse(r, sizeof *r);
}
