/* Key messages (docs/e2ee.md 7.2): a sender's base key for one (generation,
 * step) sealed with AES-128-GCM under the pairwise key; the AAD binds sender,
 * recipient, generation, step and the sender's slot. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "internal.h"

static const char keymsg_label[] = "sealroom key v1";

sre_status sre_keymsg_aad(const char *sender_id, const char *recipient_id, uint8_t generation,
                          uint8_t step, uint16_t sender_slot, uint8_t out[SRE_KEYMSG_AAD_LEN]) {
  if (!out) return SRE_ERR_ARG;
  if (!sre__id_ok(sender_id) || !sre__id_ok(recipient_id)) return SRE_ERR_BAD_ID;
  size_t o = sizeof keymsg_label - 1;
  memcpy(out, keymsg_label, o);
  memcpy(out + o, sender_id, SRE_ID_LEN);
  o += SRE_ID_LEN;
  memcpy(out + o, recipient_id, SRE_ID_LEN);
  o += SRE_ID_LEN;
  out[o++] = generation;
  out[o++] = step;
  sre__put_u16(out + o, sender_slot);
  return SRE_OK;
}

sre_status sre_keymsg_seal(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, uint8_t generation,
                           uint8_t step, const uint8_t *base_key, size_t base_key_len,
                           const uint8_t *nonce, char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!pairwise_key || !base_key || !json || !json_len || generation == 0) return SRE_ERR_ARG;
  if (base_key_len != sre_base_key_len_for_step(step)) return SRE_ERR_KEY_LENGTH;
  uint8_t aad[SRE_KEYMSG_AAD_LEN];
  sre_status st = sre_keymsg_aad(sender_id, recipient_id, generation, step, sender_slot, aad);
  if (st != SRE_OK) return st;
  uint8_t n[SRE_NONCE_LEN];
  if (nonce) {
    memcpy(n, nonce, sizeof n);
  } else if (RAND_bytes(n, sizeof n) != 1) {
    return SRE_ERR_RANDOM;
  }
  uint8_t c[SRE_RATCHETED_KEY_LEN + 16];
  st = sre__gcm128_seal(pairwise_key, n, aad, sizeof aad, base_key, base_key_len, c);
  if (st == SRE_OK) {
    st = sre__sealed_json("key", generation, step, n, c, base_key_len + 16, json, json_cap,
                          json_len);
  }
  OPENSSL_cleanse(c, sizeof c);
  return st;
}

sre_status sre_keymsg_open(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, const sre_payload *p,
                           uint8_t base_key[SRE_RATCHETED_KEY_LEN], size_t *base_key_len) {
  if (base_key_len) *base_key_len = 0;
  if (!pairwise_key || !p || !base_key || !base_key_len) return SRE_ERR_ARG;
  if (p->type != SRE_PAYLOAD_KEY || p->generation == 0) return SRE_ERR_ARG;
  size_t want = sre_base_key_len_for_step(p->step);
  if (p->c_len != want + 16) return SRE_ERR_KEY_LENGTH;
  uint8_t aad[SRE_KEYMSG_AAD_LEN];
  sre_status st = sre_keymsg_aad(sender_id, recipient_id, p->generation, p->step, sender_slot, aad);
  if (st != SRE_OK) return st;
  st = sre__gcm128_open(pairwise_key, p->nonce, aad, sizeof aad, p->c, p->c_len, base_key);
  if (st == SRE_OK) *base_key_len = want;
  return st;
}
