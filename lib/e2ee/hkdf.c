/* HKDF (RFC 5869) through OpenSSL's EVP_KDF, extract-and-expand in one call:
 * the only key derivation function of the protocol (docs/e2ee.md 2). */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "internal.h"

sre_status sre__hkdf(int hash_is_512, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                     size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *out,
                     size_t out_len) {
  size_t hash_len = hash_is_512 ? 64 : 32;
  if (!out || out_len == 0 || out_len > 255 * hash_len || (!ikm && ikm_len) ||
      (!salt && salt_len) || (!info && info_len)) {
    return SRE_ERR_ARG;
  }
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
  if (!kdf) return SRE_ERR_CRYPTO;
  EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return SRE_ERR_CRYPTO;

  /* An empty ikm is a valid HKDF input; OpenSSL wants a non-NULL pointer. */
  static const uint8_t empty[1];
  OSSL_PARAM params[5];
  size_t p = 0;
  params[p++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 hash_is_512 ? "SHA512" : "SHA256", 0);
  params[p++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  (void *)(ikm_len ? ikm : empty), ikm_len);
  /* No salt parameter = HashLen zero bytes, exactly what RFC 5869 says for an
   * empty salt (HMAC pads any key with zeros to the block size). */
  if (salt_len) {
    params[p++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
  }
  if (info_len) {
    params[p++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
  }
  params[p] = OSSL_PARAM_construct_end();
  int ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok ? SRE_OK : SRE_ERR_CRYPTO;
}
