/* Key messages v2 (docs/e2ee.md 7.2): a sender's base key for one (epoch,
 * step) and its display name, sealed with AES-128-GCM under the pairwise key;
 * the AAD binds sender, recipient, epoch, step and the sender's slot. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/bytes.h"
#include "internal.h"

static const char keymsg_label[] = "sealroom key v2";

sre_status sre_keymsg_aad(const char *sender_id, const char *recipient_id, uint32_t epoch,
                          uint8_t step, uint16_t sender_slot, uint8_t out[SRE_KEYMSG_AAD_LEN]) {
  if (!out) return SRE_ERR_ARG;
  if (!sre__id_ok(sender_id) || !sre__id_ok(recipient_id)) return SRE_ERR_BAD_ID;
  size_t o = sizeof keymsg_label - 1;
  memcpy(out, keymsg_label, o);
  memcpy(out + o, sender_id, SRE_ID_LEN);
  o += SRE_ID_LEN;
  memcpy(out + o, recipient_id, SRE_ID_LEN);
  o += SRE_ID_LEN;
  put_be32(out + o, epoch);
  o += 4;
  out[o++] = step;
  put_be16(out + o, sender_slot);
  return SRE_OK;
}

sre_status sre_keymsg_seal(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, uint32_t epoch,
                           uint8_t step, const uint8_t *base_key, size_t base_key_len,
                           const uint8_t *name, size_t name_len, const uint8_t *nonce, char *json,
                           size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!pairwise_key || !base_key || !json || !json_len || epoch == 0) return SRE_ERR_ARG;
  if (!name && name_len) return SRE_ERR_ARG;
  if (base_key_len != sre_base_key_len_for_step(step)) return SRE_ERR_KEY_LENGTH;
  sre_status st = sre_name_check(name, name_len);
  if (st != SRE_OK) return st;
  uint8_t aad[SRE_KEYMSG_AAD_LEN];
  st = sre_keymsg_aad(sender_id, recipient_id, epoch, step, sender_slot, aad);
  if (st != SRE_OK) return st;
  uint8_t n[SRE_NONCE_LEN];
  if (nonce) {
    memcpy(n, nonce, sizeof n);
  } else if (RAND_bytes(n, sizeof n) != 1) {
    return SRE_ERR_RANDOM;
  }
  uint8_t pt[SRE_RATCHETED_KEY_LEN + SRE_NAME_MAX];
  uint8_t c[SRE_KEYMSG_C_MAX];
  memcpy(pt, base_key, base_key_len);
  if (name_len) memcpy(pt + base_key_len, name, name_len);
  size_t pt_len = base_key_len + name_len;
  st = sre__gcm128_seal(pairwise_key, n, aad, sizeof aad, pt, pt_len, c);
  if (st == SRE_OK) {
    st = sre__sealed_json("key", epoch, step, n, c, pt_len + 16, json, json_cap, json_len);
  }
  OPENSSL_cleanse(pt, sizeof pt);
  OPENSSL_cleanse(c, sizeof c);
  return st;
}

sre_status sre_keymsg_open(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, const sre_payload *p,
                           uint8_t base_key[SRE_RATCHETED_KEY_LEN], size_t *base_key_len,
                           char name[SRE_NAME_MAX + 1], size_t *name_len) {
  if (base_key_len) *base_key_len = 0;
  if (name_len) *name_len = 0;
  if (name) name[0] = '\0';
  if (!pairwise_key || !p || !base_key || !base_key_len) return SRE_ERR_ARG;
  if (p->type != SRE_PAYLOAD_KEY || p->epoch == 0) return SRE_ERR_ARG;
  size_t want = sre_base_key_len_for_step(p->step);
  /* The name's length follows from len(c) and the step. */
  if (p->c_len < want + 16 || p->c_len - 16 - want > SRE_NAME_MAX) return SRE_ERR_KEY_LENGTH;
  size_t nlen = p->c_len - 16 - want;
  uint8_t aad[SRE_KEYMSG_AAD_LEN];
  sre_status st = sre_keymsg_aad(sender_id, recipient_id, p->epoch, p->step, sender_slot, aad);
  if (st != SRE_OK) return st;
  uint8_t pt[SRE_RATCHETED_KEY_LEN + SRE_NAME_MAX];
  st = sre__gcm128_open(pairwise_key, p->nonce, aad, sizeof aad, p->c, p->c_len, pt);
  if (st == SRE_OK) st = sre_name_check(pt + want, nlen);
  if (st == SRE_OK) {
    memcpy(base_key, pt, want);
    *base_key_len = want;
    if (name) {
      memcpy(name, pt + want, nlen);
      name[nlen] = '\0';
    }
    if (name_len) *name_len = nlen;
  }
  OPENSSL_cleanse(pt, sizeof pt);
  return st;
}
