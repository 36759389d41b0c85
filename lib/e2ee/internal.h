/* Internal helpers of lib/e2ee shared between its files; not part of the
 * public API (names sre__). */
#ifndef SEALROOM_E2EE_INTERNAL_H
#define SEALROOM_E2EE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sealroom_e2ee.h"

/* Constant-time equality of two n-byte strings. */
int sre__ct_equal(const void *a, const void *b, size_t n);
/* True if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int sre__utf8_valid(const uint8_t *s, size_t n);
/* True if id is a NUL-terminated string of exactly SRE_ID_LEN characters. */
int sre__id_ok(const char *id);

/* HKDF(salt, ikm, info, L) with SHA-256 (hash_is_512 = 0) or SHA-512;
 * salt may be empty (treated as HashLen zero bytes, RFC 5869). */
sre_status sre__hkdf(int hash_is_512, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                     size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *out,
                     size_t out_len);

/* Parameters of a cipher suite. */
typedef struct {
  uint16_t id;
  int gcm;         /* 1: AES-GCM; 0: AES-CTR + HMAC */
  int hash_is_512; /* HKDF/HMAC hash: SHA-512 if 1, else SHA-256 */
  size_t nk;       /* sframe_key length */
  size_t enc_len;  /* AES key length (CTR suites: first enc_len bytes of nk) */
  size_t nt;       /* tag length */
} sre__suite;

/* The suite's parameters, or NULL if unsupported. */
const sre__suite *sre__suite_get(unsigned suite);

/* An SFrame key from a given sframe_key (Nk bytes) and salt: the RFC's raw
 * AEAD vectors and tests use it. */
sre_status sre__key_init_raw(sre_key *k, unsigned suite, uint64_t kid, const uint8_t *key,
                             const uint8_t salt[SRE_NONCE_LEN]);
/* The suite's AEAD with aad = a1 || a2: out = ct || tag (pt_len + Nt bytes);
 * decrypt takes ct_len bytes of ciphertext followed by the tag. */
sre_status sre__aead_encrypt(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *a1,
                             size_t a1_len, const uint8_t *a2, size_t a2_len, const uint8_t *pt,
                             size_t pt_len, uint8_t *out);
sre_status sre__aead_decrypt(sre_key *k, const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *a1,
                             size_t a1_len, const uint8_t *a2, size_t a2_len, const uint8_t *ct,
                             size_t ct_len, uint8_t *out);

/* AES-GCM with a 16-byte key (pairwise and chat messages): one-shot, allocates. */
sre_status sre__gcm128_seal(const uint8_t key[16], const uint8_t nonce[SRE_NONCE_LEN],
                            const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
                            uint8_t *out);
sre_status sre__gcm128_open(const uint8_t key[16], const uint8_t nonce[SRE_NONCE_LEN],
                            const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                            uint8_t *out);

/* Writes {"t":type,"v":2,"e":epoch,"r":r,"n":b64(nonce),"c":b64(c)}. */
sre_status sre__sealed_json(const char *type, uint32_t epoch, uint8_t r,
                            const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *c, size_t c_len,
                            char *json, size_t json_cap, size_t *json_len);

#endif
