/* Receiver state for one remote sender (docs/e2ee.md 5.4, 8.6): a small table
 * of keys by (generation, step), each with its replay window; ratchet forward
 * without trial decryption; superseded keys expire 2 s after the first frame
 * of a newer key. Nothing changes until a frame has authenticated, so forged
 * frames cannot advance the ratchet, move a window or retire a key. */
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

/* Keys are ordered by the arrival of their generation's key message, then by
 * step (a ratcheted key inherits its parent's arrival number). */
static int entry_before(const sre_rx_key *a, const sre_rx_key *b) {
  return a->arrival < b->arrival || (a->arrival == b->arrival && a->step < b->step);
}

static sre_rx_key *find(sre_receiver *r, uint8_t g, uint8_t step) {
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->generation == g && e->step == step) return e;
  }
  return NULL;
}

/* The held key of generation g with the highest step below `step`. */
static const sre_rx_key *parent_of(const sre_receiver *r, uint8_t g, uint8_t step) {
  const sre_rx_key *best = NULL;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    const sre_rx_key *e = &r->keys[i];
    if (!e->used || e->generation != g) continue;
    if (e->step < step && (!best || e->step > best->step)) best = e;
  }
  return best;
}

/* A free table entry, wiping one if the table is full: the earliest deadline
 * first, else the oldest key. */
static sre_rx_key *free_entry(sre_receiver *r) {
  sre_rx_key *victim = NULL;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (!e->used) return e;
    if (!victim) {
      victim = e;
    } else if (e->deadline_ms && (!victim->deadline_ms || e->deadline_ms < victim->deadline_ms)) {
      victim = e;
    } else if (!e->deadline_ms && !victim->deadline_ms && entry_before(e, victim)) {
      victim = e;
    }
  }
  entry_clear(victim);
  return victim;
}

/* Fills e with (g, step, base_key) and its SFrame key. */
static sre_status entry_set(sre_receiver *r, sre_rx_key *e, uint8_t g, uint8_t step,
                            const uint8_t *base_key, size_t len, uint64_t arrival) {
  memset(e, 0, sizeof *e);
  sre_status st = sre_key_init(&e->key, SRE_SUITE_WIRE, sre_kid_make(r->slot, g, step), base_key, len);
  if (st != SRE_OK) return st;
  e->used = true;
  e->generation = g;
  e->step = step;
  memcpy(e->base_key, base_key, len);
  e->base_key_len = len;
  e->arrival = arrival;
  sre_replay_init(&e->replay);
  return SRE_OK;
}

void sre_receiver_expire(sre_receiver *r, uint64_t now_ms) {
  if (!r) return;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *e = &r->keys[i];
    if (e->used && e->deadline_ms && e->deadline_ms <= now_ms) entry_clear(e);
  }
}

sre_status sre_receiver_add_key(sre_receiver *r, uint8_t generation, uint8_t step,
                                const uint8_t *base_key, size_t base_key_len, uint64_t now_ms) {
  if (!r || !base_key || generation == 0) return SRE_ERR_ARG;
  if (base_key_len != sre_base_key_len_for_step(step)) return SRE_ERR_KEY_LENGTH;
  sre_receiver_expire(r, now_ms);
  const sre_rx_key *held = find(r, generation, step);
  if (held) {
    return sre__ct_equal(held->base_key, base_key, base_key_len) ? SRE_OK : SRE_ERR_KEY_CONFLICT;
  }
  int newer_generation = !r->any || sre_generation_newer(generation, r->newest_generation);
  int newer_step = r->any && generation == r->newest_generation && step > r->newest_step;
  if (!newer_generation && !newer_step) return SRE_ERR_STALE_KEY;
  sre_rx_key *e = free_entry(r);
  sre_status st = entry_set(r, e, generation, step, base_key, base_key_len, r->next_arrival++);
  if (st != SRE_OK) {
    entry_clear(e);
    return st;
  }
  r->any = true;
  r->newest_generation = generation;
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

/* Locates the key for (g, step): a held one, the cached candidate, or a new
 * candidate ratcheted from the highest held step below (docs/e2ee.md 5.4 #5-6). */
static sre_status key_for(sre_receiver *r, uint8_t g, uint8_t step, sre_rx_key **out) {
  *out = find(r, g, step);
  if (*out) return SRE_OK;
  sre_rx_key *c = &r->candidate;
  const sre_rx_key *parent = parent_of(r, g, step);
  if (!parent) return SRE_ERR_NO_KEY;
  if (step - parent->step > SRE_RATCHET_MAX_AHEAD) return SRE_ERR_RATCHET_TOO_FAR;
  if (c->used && c->generation == g && c->step == step && c->arrival == parent->arrival) {
    *out = c;
    return SRE_OK;
  }
  uint8_t key[SRE_RATCHETED_KEY_LEN];
  sre_status st = ratchet_to(parent, step, key);
  entry_clear(c);
  if (st == SRE_OK) st = entry_set(r, c, g, step, key, sizeof key, parent->arrival);
  OPENSSL_cleanse(key, sizeof key);
  if (st != SRE_OK) {
    entry_clear(c);
    return st;
  }
  *out = c;
  return SRE_OK;
}

/* After a frame authenticated under e: a candidate joins the table and every
 * key ordered before e starts its 2 s countdown. */
static sre_rx_key *commit(sre_receiver *r, sre_rx_key *e, uint64_t ctr, uint64_t now_ms) {
  sre_replay_commit(&e->replay, ctr);
  if (e == &r->candidate) {
    sre_rx_key *slot = free_entry(r);
    *slot = r->candidate;
    memset(&r->candidate, 0, sizeof r->candidate); /* ownership moved, nothing to free */
    e = slot;
    if (e->generation == r->newest_generation && e->step > r->newest_step) r->newest_step = e->step;
  }
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    sre_rx_key *x = &r->keys[i];
    if (x->used && x != e && !x->deadline_ms && entry_before(x, e)) {
      x->deadline_ms = now_ms + SRE_KEEP_OLD_MS;
    }
  }
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
  st = sre_replay_check(&e->replay, h.ctr);
  if (st != SRE_OK) return drop(r, st);
  if (!out || out_cap < p) return drop(r, SRE_ERR_BUFFER);
  size_t n = 0;
  st = sre_sframe_decrypt(&e->key, &h, wire, p, wire + p, len - p, out + p, out_cap - p, &n);
  if (st != SRE_OK) return drop(r, st);
  memcpy(out, wire, p);
  commit(r, e, h.ctr, now_ms);
  r->accepted++;
  *out_len = p + n;
  return SRE_OK;
}

sre_status sre_receiver_base_key(const sre_receiver *r, uint8_t generation, uint8_t step,
                                 uint8_t out[SRE_RATCHETED_KEY_LEN], size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!r || !out || !out_len) return SRE_ERR_ARG;
  for (size_t i = 0; i < SRE_RX_KEYS; i++) {
    const sre_rx_key *e = &r->keys[i];
    if (e->used && e->generation == generation && e->step == step) {
      memcpy(out, e->base_key, e->base_key_len);
      *out_len = e->base_key_len;
      return SRE_OK;
    }
  }
  const sre_rx_key *parent = parent_of(r, generation, step);
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
