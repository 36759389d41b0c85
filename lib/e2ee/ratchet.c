/* RFC 9605 section 5.1 sender-key ratchet with SHA-256 (Nh = 32):
 * base_key' = HKDF(salt "", ikm base_key, "SFrame 1.0 Ratchet", 32). */
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

static const char ratchet_label[] = "SFrame 1.0 Ratchet";

sre_status sre_ratchet(const uint8_t *base_key, size_t base_key_len,
                       uint8_t out[SRE_RATCHETED_KEY_LEN]) {
  if (!base_key || !out) return SRE_ERR_ARG;
  if (base_key_len != SRE_BASE_KEY_LEN && base_key_len != SRE_RATCHETED_KEY_LEN) {
    return SRE_ERR_KEY_LENGTH;
  }
  uint8_t next[SRE_RATCHETED_KEY_LEN]; /* out may alias base_key */
  sre_status st = sre__hkdf(0, NULL, 0, base_key, base_key_len, (const uint8_t *)ratchet_label,
                            sizeof ratchet_label - 1, next, sizeof next);
  if (st == SRE_OK) memcpy(out, next, sizeof next);
  OPENSSL_cleanse(next, sizeof next);
  return st;
}

size_t sre_base_key_len_for_step(uint8_t step) {
  return step == 0 ? SRE_BASE_KEY_LEN : SRE_RATCHETED_KEY_LEN;
}
