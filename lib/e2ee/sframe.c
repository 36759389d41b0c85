/* SFrame keys, encryption and decryption (RFC 9605 sections 4.4 and 4.5) for
 * every supported suite. A key's OpenSSL contexts are created and keyed once in
 * sre_key_init; per frame only the nonce changes, so encrypt and decrypt never
 * allocate. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/bytes.h"
#include "internal.h"

static const EVP_CIPHER *cipher_for(const sre__suite *s) {
  if (s->gcm) return s->enc_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  return s->enc_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
}

/* label = prefix || u64(kid) || u16(suite) */
static size_t make_label(uint8_t *out, const char *prefix, uint64_t kid, uint16_t suite) {
  size_t n = strlen(prefix);
  memcpy(out, prefix, n);
  put_be64(out + n, kid);
  put_be16(out + n + 8, suite);
  return n + 10;
}

void sre_key_clear(sre_key *k) {
  if (!k) return;
  EVP_CIPHER_CTX_free(k->cipher);
  EVP_MAC_CTX_free(k->mac);
  OPENSSL_cleanse(k, sizeof *k);
}

static sre_status init_contexts(sre_key *k, const sre__suite *s) {
  k->cipher = EVP_CIPHER_CTX_new();
  if (!k->cipher) return SRE_ERR_CRYPTO;
  if (EVP_EncryptInit_ex(k->cipher, cipher_for(s), NULL, k->key, NULL) != 1) return SRE_ERR_CRYPTO;
  if (s->gcm) return SRE_OK;
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (!mac) return SRE_ERR_CRYPTO;
  k->mac = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (!k->mac) return SRE_ERR_CRYPTO;
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       s->hash_is_512 ? "SHA512" : "SHA256", 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(k->mac, k->key + s->enc_len, s->nk - s->enc_len, params) != 1) {
    return SRE_ERR_CRYPTO;
  }
  return SRE_OK;
}

sre_status sre__key_init_raw(sre_key *k, unsigned suite, uint64_t kid, const uint8_t *key,
                             const uint8_t salt[SRE_NONCE_LEN]) {
  if (!k || !key || !salt) return SRE_ERR_ARG;
  memset(k, 0, sizeof *k);
  const sre__suite *s = sre__suite_get(suite);
  if (!s) return SRE_ERR_SUITE;
  k->suite = s->id;
  k->kid = kid;
  k->key_len = s->nk;
  k->tag_len = s->nt;
  memcpy(k->key, key, s->nk);
  memcpy(k->salt, salt, SRE_NONCE_LEN);
  sre_status st = init_contexts(k, s);
  if (st != SRE_OK) sre_key_clear(k);
  return st;
}

sre_status sre_key_init(sre_key *k, unsigned suite, uint64_t kid, const uint8_t *base_key,
                        size_t base_key_len) {
  if (!k) return SRE_ERR_ARG;
  memset(k, 0, sizeof *k);
  const sre__suite *s = sre__suite_get(suite);
  if (!s) return SRE_ERR_SUITE;
  if (!base_key || base_key_len == 0 || base_key_len > SRE_BASE_KEY_MAX) return SRE_ERR_KEY_LENGTH;
  uint8_t key[SRE_SFRAME_KEY_MAX], salt[SRE_NONCE_LEN], label[40];
  size_t n = make_label(label, "SFrame 1.0 Secret key ", kid, s->id);
  sre_status st = sre__hkdf(s->hash_is_512, NULL, 0, base_key, base_key_len, label, n, key, s->nk);
  if (st == SRE_OK) {
    n = make_label(label, "SFrame 1.0 Secret salt ", kid, s->id);
    st = sre__hkdf(s->hash_is_512, NULL, 0, base_key, base_key_len, label, n, salt, SRE_NONCE_LEN);
  }
  if (st == SRE_OK) st = sre__key_init_raw(k, s->id, kid, key, salt);
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(salt, sizeof salt);
  return st;
}

static void make_nonce(const sre_key *k, uint64_t ctr, uint8_t nonce[SRE_NONCE_LEN]) {
  memcpy(nonce, k->salt, SRE_NONCE_LEN);
  for (int i = 0; i < 8; i++) nonce[SRE_NONCE_LEN - 1 - i] ^= (uint8_t)(ctr >> (8 * i));
}

/* AES-GCM over aad = a1 || a2 and data; enc 1 writes the tag, enc 0 checks it. */
static sre_status gcm_run(sre_key *k, int enc, const uint8_t nonce[SRE_NONCE_LEN],
                          const uint8_t *a1, size_t a1_len, const uint8_t *a2, size_t a2_len,
                          const uint8_t *in, size_t in_len, uint8_t *out, uint8_t *tag) {
  EVP_CIPHER_CTX *c = k->cipher;
  int n = 0;
  if (in_len > INT32_MAX || a1_len > INT32_MAX || a2_len > INT32_MAX) return SRE_ERR_ARG;
  if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc) != 1) return SRE_ERR_CRYPTO;
  /* Media AAD (header || prefix) is under 28 bytes: one update is cheaper than two. */
  uint8_t joined[64];
  if (a1_len && a2_len && a1_len + a2_len <= sizeof joined) {
    memcpy(joined, a1, a1_len);
    memcpy(joined + a1_len, a2, a2_len);
    a1 = joined;
    a1_len += a2_len;
    a2_len = 0;
  }
  if (a1_len && EVP_CipherUpdate(c, NULL, &n, a1, (int)a1_len) != 1) return SRE_ERR_CRYPTO;
  if (a2_len && EVP_CipherUpdate(c, NULL, &n, a2, (int)a2_len) != 1) return SRE_ERR_CRYPTO;
  if (in_len && EVP_CipherUpdate(c, out, &n, in, (int)in_len) != 1) return SRE_ERR_CRYPTO;
  if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)k->tag_len, tag) != 1) {
    return SRE_ERR_CRYPTO;
  }
  if (EVP_CipherFinal_ex(c, out + in_len, &n) != 1) return enc ? SRE_ERR_CRYPTO : SRE_ERR_AUTH;
  if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)k->tag_len, tag) != 1) {
    return SRE_ERR_CRYPTO;
  }
  return SRE_OK;
}

/* AES-CTR with the initial counter block nonce || 0x00000000. */
static sre_status ctr_run(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *in,
                          size_t in_len, uint8_t *out) {
  uint8_t iv[16] = {0};
  memcpy(iv, nonce, SRE_NONCE_LEN);
  int n = 0;
  if (in_len > INT32_MAX) return SRE_ERR_ARG;
  if (EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, iv) != 1) return SRE_ERR_CRYPTO;
  if (in_len && EVP_EncryptUpdate(k->cipher, out, &n, in, (int)in_len) != 1) return SRE_ERR_CRYPTO;
  return SRE_OK;
}

/* tag = HMAC(auth_key, u64(len aad) || u64(len ct) || u64(Nt) || nonce || aad || ct)[0..Nt),
 * with aad = a1 || a2. */
static sre_status hmac_tag(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *a1,
                           size_t a1_len, const uint8_t *a2, size_t a2_len, const uint8_t *ct,
                           size_t ct_len, uint8_t tag[64]) {
  uint8_t lens[24];
  put_be64(lens, (uint64_t)(a1_len + a2_len));
  put_be64(lens + 8, (uint64_t)ct_len);
  put_be64(lens + 16, (uint64_t)k->tag_len);
  size_t out = 0;
  /* A NULL key re-initialises HMAC with the key set in sre_key_init. */
  if (EVP_MAC_init(k->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(k->mac, lens, 24) != 1 ||
      EVP_MAC_update(k->mac, nonce, SRE_NONCE_LEN) != 1 ||
      (a1_len && EVP_MAC_update(k->mac, a1, a1_len) != 1) ||
      (a2_len && EVP_MAC_update(k->mac, a2, a2_len) != 1) ||
      (ct_len && EVP_MAC_update(k->mac, ct, ct_len) != 1) ||
      EVP_MAC_final(k->mac, tag, &out, 64) != 1 || out < k->tag_len) {
    return SRE_ERR_CRYPTO;
  }
  return SRE_OK;
}

sre_status sre__aead_encrypt(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *a1,
                             size_t a1_len, const uint8_t *a2, size_t a2_len, const uint8_t *pt,
                             size_t pt_len, uint8_t *out) {
  if (k->mac == NULL) {
    return gcm_run(k, 1, nonce, a1, a1_len, a2, a2_len, pt, pt_len, out, out + pt_len);
  }
  uint8_t tag[64];
  sre_status st = ctr_run(k, nonce, pt, pt_len, out);
  if (st == SRE_OK) st = hmac_tag(k, nonce, a1, a1_len, a2, a2_len, out, pt_len, tag);
  if (st == SRE_OK) memcpy(out + pt_len, tag, k->tag_len);
  return st;
}

sre_status sre__aead_decrypt(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *a1,
                             size_t a1_len, const uint8_t *a2, size_t a2_len, const uint8_t *ct,
                             size_t ct_len, uint8_t *out) {
  const uint8_t *tag = ct + ct_len;
  sre_status st;
  if (k->mac == NULL) {
    uint8_t tag_copy[16];
    uint8_t dummy[1]; /* GCM Final writes nothing, but wants a pointer */
    memcpy(tag_copy, tag, 16);
    st = gcm_run(k, 0, nonce, a1, a1_len, a2, a2_len, ct, ct_len, ct_len ? out : dummy, tag_copy);
  } else {
    uint8_t want[64];
    st = hmac_tag(k, nonce, a1, a1_len, a2, a2_len, ct, ct_len, want);
    if (st == SRE_OK && !sre__ct_equal(want, tag, k->tag_len)) st = SRE_ERR_AUTH;
    OPENSSL_cleanse(want, sizeof want);
    /* Decrypt only after the tag checked out: no unauthenticated plaintext. */
    if (st == SRE_OK) st = ctr_run(k, nonce, ct, ct_len, out);
  }
  if (st != SRE_OK && ct_len) OPENSSL_cleanse(out, ct_len);
  return st;
}

sre_status sre_sframe_encrypt(sre_key *k, uint64_t ctr, const uint8_t *metadata,
                              size_t metadata_len, const uint8_t *pt, size_t pt_len,
                              uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!k || !k->cipher || !out || !out_len || (!metadata && metadata_len) || (!pt && pt_len)) {
    return SRE_ERR_ARG;
  }
  size_t hlen = sre_header_len(k->kid, ctr);
  if (pt_len > SIZE_MAX - hlen - k->tag_len) return SRE_ERR_ARG;
  size_t total = hlen + pt_len + k->tag_len;
  if (out_cap < total) return SRE_ERR_BUFFER;
  sre_header_encode(k->kid, ctr, out);
  uint8_t nonce[SRE_NONCE_LEN];
  make_nonce(k, ctr, nonce);
  sre_status st = sre__aead_encrypt(k, nonce, out, hlen, metadata, metadata_len, pt, pt_len,
                                    out + hlen);
  if (st != SRE_OK) {
    OPENSSL_cleanse(out, total);
    return st;
  }
  *out_len = total;
  return SRE_OK;
}

sre_status sre_sframe_decrypt(sre_key *k, const sre_header *hdr, const uint8_t *metadata,
                              size_t metadata_len, const uint8_t *sframe, size_t len,
                              uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!k || !k->cipher || !hdr || !sframe || !out_len || (!metadata && metadata_len) ||
      hdr->len == 0 || hdr->len > len) {
    return SRE_ERR_ARG;
  }
  if (hdr->kid != k->kid) return SRE_ERR_NO_KEY;
  if (len - hdr->len < k->tag_len) return SRE_ERR_FRAME_TOO_SHORT;
  size_t ct_len = len - hdr->len - k->tag_len;
  if (ct_len > out_cap || (!out && ct_len)) return SRE_ERR_BUFFER;
  uint8_t nonce[SRE_NONCE_LEN];
  make_nonce(k, hdr->ctr, nonce);
  sre_status st = sre__aead_decrypt(k, nonce, sframe, hdr->len, metadata, metadata_len,
                                    sframe + hdr->len, ct_len, out);
  if (st != SRE_OK) return st;
  *out_len = ct_len;
  return SRE_OK;
}
