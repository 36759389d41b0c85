/* Sender state (docs/e2ee.md 5.3, 8): the current base key of one
 * (epoch, step), its SFrame key, the shared frame counter and whether the key
 * was used. Ratchet on join (only a used key), rotate on leave; the old key is
 * wiped as soon as it is replaced. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "internal.h"

/* Installs base_key as (epoch, step) with a new SFrame key, counter 0, unused.
 * On failure s is unchanged. */
static sre_status install(sre_sender *s, uint32_t epoch, uint8_t step, const uint8_t *base_key,
                          size_t base_key_len) {
  if (base_key_len > SRE_RATCHETED_KEY_LEN) return SRE_ERR_KEY_LENGTH;
  uint8_t generation = sre_epoch_generation(epoch);
  sre_key key;
  sre_status st = sre_key_init(&key, SRE_SUITE_WIRE, sre_kid_make(s->slot, generation, step),
                               base_key, base_key_len);
  if (st != SRE_OK) return st;
  uint8_t copy[SRE_RATCHETED_KEY_LEN]; /* base_key may point into s->base_key */
  memcpy(copy, base_key, base_key_len);
  sre_key_clear(&s->key);
  s->key = key;
  OPENSSL_cleanse(&key, sizeof key);
  OPENSSL_cleanse(s->base_key, sizeof s->base_key);
  memcpy(s->base_key, copy, base_key_len);
  OPENSSL_cleanse(copy, sizeof copy);
  s->base_key_len = base_key_len;
  s->epoch = epoch;
  s->generation = generation;
  s->step = step;
  s->used = false;
  s->ctr = 0;
  s->exhausted = false;
  return SRE_OK;
}

/* A given 16-byte key, or a random one. */
static sre_status fresh_key(const uint8_t *given, size_t given_len, uint8_t out[SRE_BASE_KEY_LEN]) {
  if (given) {
    if (given_len != SRE_BASE_KEY_LEN) return SRE_ERR_KEY_LENGTH;
    memcpy(out, given, SRE_BASE_KEY_LEN);
    return SRE_OK;
  }
  return RAND_bytes(out, SRE_BASE_KEY_LEN) == 1 ? SRE_OK : SRE_ERR_RANDOM;
}

sre_status sre_sender_init(sre_sender *s, uint16_t slot, uint32_t epoch,
                           const uint8_t *base_key, size_t base_key_len) {
  if (!s) return SRE_ERR_ARG;
  memset(s, 0, sizeof *s);
  if (epoch == 0) return SRE_ERR_ARG;
  s->slot = slot;
  uint8_t key[SRE_BASE_KEY_LEN];
  sre_status st = fresh_key(base_key, base_key_len, key);
  if (st == SRE_OK) st = install(s, epoch, 0, key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  if (st != SRE_OK) sre_sender_clear(s);
  return st;
}

sre_status sre_sender_ratchet(sre_sender *s) {
  if (!s || !s->key.cipher) return SRE_ERR_ARG;
  if (s->step == 255) return SRE_ERR_RATCHET_EXHAUSTED;
  uint8_t next[SRE_RATCHETED_KEY_LEN];
  sre_status st = sre_ratchet(s->base_key, s->base_key_len, next);
  if (st == SRE_OK) st = install(s, s->epoch, (uint8_t)(s->step + 1), next, sizeof next);
  OPENSSL_cleanse(next, sizeof next);
  return st;
}

sre_status sre_sender_join(sre_sender *s, bool *ratcheted) {
  if (ratcheted) *ratcheted = false;
  if (!s || !s->key.cipher) return SRE_ERR_ARG;
  /* A key that never encrypted anything can go to the newcomer as it is:
   * there is nothing from before the join it could decrypt. */
  if (!s->used) return SRE_OK;
  sre_status st = sre_sender_ratchet(s);
  if (st == SRE_OK && ratcheted) *ratcheted = true;
  return st;
}

void sre_sender_mark_used(sre_sender *s) {
  if (s) s->used = true;
}

sre_status sre_sender_rotate(sre_sender *s, const uint8_t *base_key, size_t base_key_len) {
  if (!s || !s->key.cipher) return SRE_ERR_ARG;
  if (s->epoch >= SRE_EPOCH_MAX) return SRE_ERR_EPOCH_EXHAUSTED;
  uint8_t key[SRE_BASE_KEY_LEN];
  sre_status st = fresh_key(base_key, base_key_len, key);
  if (st == SRE_OK) st = install(s, s->epoch + 1, 0, key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  return st;
}

sre_status sre_sender_encrypt(sre_sender *s, sre_codec codec, const uint8_t *frame, size_t len,
                              uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!s || !s->key.cipher) return SRE_ERR_ARG;
  if (s->exhausted) return SRE_ERR_CTR_EXHAUSTED;
  sre_status st = sre_frame_encrypt(&s->key, codec, s->ctr, frame, len, out, out_cap, out_len);
  /* An empty audio frame is sent as is and uses no counter. */
  if (st == SRE_OK && *out_len > 0) {
    s->used = true;
    if (s->ctr == UINT64_MAX) {
      s->exhausted = true;
    } else {
      s->ctr++;
    }
  }
  return st;
}

void sre_sender_clear(sre_sender *s) {
  if (!s) return;
  sre_key_clear(&s->key);
  OPENSSL_cleanse(s, sizeof *s);
}
