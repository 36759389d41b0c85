/* One-shot AES-128-GCM with a 12-byte nonce and 16-byte tag for key and chat
 * messages (a few per second at most, so a context per call is fine). */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

static sre_status run(int enc, const uint8_t key[16], const uint8_t nonce[SRE_NONCE_LEN],
                      const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                      uint8_t *out, uint8_t tag[16]) {
  if (in_len > INT32_MAX || aad_len > INT32_MAX) return SRE_ERR_ARG;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (!c) return SRE_ERR_CRYPTO;
  sre_status st = SRE_ERR_CRYPTO;
  int n = 0;
  uint8_t dummy[1];
  if (EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce, enc) != 1) goto out;
  if (aad_len && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1) goto out;
  if (in_len && EVP_CipherUpdate(c, out, &n, in, (int)in_len) != 1) goto out;
  if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1) goto out;
  if (EVP_CipherFinal_ex(c, in_len ? out + in_len : dummy, &n) != 1) {
    st = enc ? SRE_ERR_CRYPTO : SRE_ERR_AUTH;
    goto out;
  }
  if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1) goto out;
  st = SRE_OK;
out:
  EVP_CIPHER_CTX_free(c);
  if (st != SRE_OK && in_len) OPENSSL_cleanse(out, in_len);
  return st;
}

sre_status sre__gcm128_seal(const uint8_t key[16], const uint8_t nonce[SRE_NONCE_LEN],
                            const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
                            uint8_t *out) {
  return run(1, key, nonce, aad, aad_len, pt, pt_len, out, out + pt_len);
}

sre_status sre__gcm128_open(const uint8_t key[16], const uint8_t nonce[SRE_NONCE_LEN],
                            const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                            uint8_t *out) {
  if (ct_len < 16) return SRE_ERR_AUTH;
  uint8_t tag[16];
  for (int i = 0; i < 16; i++) tag[i] = ct[ct_len - 16 + (size_t)i];
  return run(0, key, nonce, aad, aad_len, ct, ct_len - 16, out, tag);
}
