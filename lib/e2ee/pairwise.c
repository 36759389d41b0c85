/* X25519 key pairs and the pairwise key between two participants
 * (docs/e2ee.md 7.1), through OpenSSL's EVP_PKEY. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

static const char pairwise_label[] = "sealroom pairwise v1";

sre_status sre_keypair_from_private(sre_keypair *kp, const uint8_t priv[SRE_X25519_LEN]) {
  if (!kp || !priv) return SRE_ERR_ARG;
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SRE_X25519_LEN);
  if (!key) return SRE_ERR_BAD_PUBLIC_KEY;
  size_t len = SRE_X25519_LEN;
  int ok = EVP_PKEY_get_raw_public_key(key, kp->pub, &len) == 1 && len == SRE_X25519_LEN;
  EVP_PKEY_free(key);
  if (!ok) return SRE_ERR_CRYPTO;
  if (kp->priv != priv) memcpy(kp->priv, priv, SRE_X25519_LEN);
  return SRE_OK;
}

sre_status sre_keypair_generate(sre_keypair *kp) {
  if (!kp) return SRE_ERR_ARG;
  uint8_t priv[SRE_X25519_LEN];
  if (RAND_priv_bytes(priv, sizeof priv) != 1) return SRE_ERR_RANDOM;
  sre_status st = sre_keypair_from_private(kp, priv);
  OPENSSL_cleanse(priv, sizeof priv);
  return st;
}

void sre_keypair_clear(sre_keypair *kp) {
  if (kp) OPENSSL_cleanse(kp, sizeof *kp);
}

sre_status sre_x25519(const uint8_t priv[SRE_X25519_LEN], const uint8_t peer_pub[SRE_X25519_LEN],
                      uint8_t shared[SRE_X25519_LEN]) {
  if (!priv || !peer_pub || !shared) return SRE_ERR_ARG;
  EVP_PKEY *self = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SRE_X25519_LEN);
  EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, SRE_X25519_LEN);
  EVP_PKEY_CTX *ctx = self ? EVP_PKEY_CTX_new(self, NULL) : NULL;
  sre_status st = SRE_ERR_CRYPTO;
  size_t len = SRE_X25519_LEN;
  if (!self || !peer) {
    st = SRE_ERR_BAD_PUBLIC_KEY;
  } else if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1) {
    /* OpenSSL itself fails the derivation when the result is all zero. */
    st = EVP_PKEY_derive(ctx, shared, &len) == 1 && len == SRE_X25519_LEN ? SRE_OK
                                                                            : SRE_ERR_ZERO_SECRET;
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(self);
  if (st == SRE_OK) {
    static const uint8_t zero[SRE_X25519_LEN];
    if (sre__ct_equal(shared, zero, SRE_X25519_LEN)) st = SRE_ERR_ZERO_SECRET;
  }
  if (st != SRE_OK) OPENSSL_cleanse(shared, SRE_X25519_LEN);
  return st;
}

sre_status sre_pairwise_info(const uint8_t pub_a[SRE_X25519_LEN], const char *id_a,
                             const uint8_t pub_b[SRE_X25519_LEN], const char *id_b,
                             uint8_t out[SRE_PAIRWISE_INFO_LEN]) {
  if (!pub_a || !pub_b || !out) return SRE_ERR_ARG;
  if (!sre__id_ok(id_a) || !sre__id_ok(id_b)) return SRE_ERR_BAD_ID;
  int pc = memcmp(pub_a, pub_b, SRE_X25519_LEN), ic = memcmp(id_a, id_b, SRE_ID_LEN);
  if (pc == 0 || ic == 0) return SRE_ERR_BAD_PEER;
  size_t o = sizeof pairwise_label - 1;
  memcpy(out, pairwise_label, o);
  memcpy(out + o, pc < 0 ? pub_a : pub_b, SRE_X25519_LEN);
  memcpy(out + o + 32, pc < 0 ? pub_b : pub_a, SRE_X25519_LEN);
  memcpy(out + o + 64, ic < 0 ? id_a : id_b, SRE_ID_LEN);
  memcpy(out + o + 64 + SRE_ID_LEN, ic < 0 ? id_b : id_a, SRE_ID_LEN);
  return SRE_OK;
}

sre_status sre_pairwise_key(const sre_keypair *self, const char *self_id,
                            const uint8_t peer_pub[SRE_X25519_LEN], const char *peer_id,
                            const uint8_t *session_id, size_t session_id_len,
                            uint8_t out[SRE_PAIRWISE_KEY_LEN]) {
  if (!self || !peer_pub || !out || (!session_id && session_id_len)) return SRE_ERR_ARG;
  if (session_id_len == 0 || session_id_len > SRE_SESSION_ID_MAX) return SRE_ERR_BAD_ID;
  uint8_t info[SRE_PAIRWISE_INFO_LEN];
  sre_status st = sre_pairwise_info(self->pub, self_id, peer_pub, peer_id, info);
  if (st != SRE_OK) return st;
  uint8_t shared[SRE_X25519_LEN];
  st = sre_x25519(self->priv, peer_pub, shared);
  if (st == SRE_OK) {
    st = sre__hkdf(0, session_id, session_id_len, shared, sizeof shared, info, sizeof info, out,
                   SRE_PAIRWISE_KEY_LEN);
  }
  OPENSSL_cleanse(shared, sizeof shared);
  return st;
}
