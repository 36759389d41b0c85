/* Sealed chat and display-name messages v2 (docs/e2ee.md 9): AES-128-GCM
 * under a key derived from the sender's current base key and the session id;
 * the plaintext carries type, sequence number and the sender's time. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/bytes.h"
#include "internal.h"

/* The K_chat derivation keeps its v1 label; the AAD is v2. */
static const char chat_key_label[] = "sealroom chat v1";
static const char chat_aad_label[] = "sealroom chat v2";

sre_status sre_chat_key(const uint8_t *base_key, size_t base_key_len, const uint8_t *session_id,
                        size_t session_id_len, uint8_t out[SRE_CHAT_KEY_LEN]) {
  if (!base_key || !out || (!session_id && session_id_len)) return SRE_ERR_ARG;
  if (base_key_len != SRE_BASE_KEY_LEN && base_key_len != SRE_RATCHETED_KEY_LEN) {
    return SRE_ERR_KEY_LENGTH;
  }
  if (session_id_len == 0 || session_id_len > SRE_SESSION_ID_MAX) return SRE_ERR_BAD_ID;
  return sre__hkdf(0, session_id, session_id_len, base_key, base_key_len,
                   (const uint8_t *)chat_key_label, sizeof chat_key_label - 1, out,
                   SRE_CHAT_KEY_LEN);
}

sre_status sre_chat_aad(const char *sender_id, uint32_t epoch, uint8_t step,
                        uint8_t out[SRE_CHAT_AAD_LEN]) {
  if (!out) return SRE_ERR_ARG;
  if (!sre__id_ok(sender_id)) return SRE_ERR_BAD_ID;
  size_t o = sizeof chat_aad_label - 1;
  memcpy(out, chat_aad_label, o);
  memcpy(out + o, sender_id, SRE_ID_LEN);
  put_be32(out + o + SRE_ID_LEN, epoch);
  out[o + SRE_ID_LEN + 4] = step;
  return SRE_OK;
}

sre_status sre_chat_seal(const uint8_t chat_key[SRE_CHAT_KEY_LEN], const char *sender_id,
                         uint32_t epoch, uint8_t step, sre_chat_type type, uint32_t seq,
                         uint64_t time_ms, const uint8_t *body, size_t body_len,
                         const uint8_t *nonce, char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!chat_key || !json || !json_len || (!body && body_len) || epoch == 0) {
    return SRE_ERR_ARG;
  }
  if (type != SRE_CHAT_TEXT && type != SRE_CHAT_NAME) return SRE_ERR_ARG;
  if (body_len == 0 || body_len > SRE_CHAT_BODY_MAX) return SRE_ERR_TOO_LARGE;
  if (!sre__utf8_valid(body, body_len)) return SRE_ERR_UTF8;
  uint8_t aad[SRE_CHAT_AAD_LEN];
  sre_status st = sre_chat_aad(sender_id, epoch, step, aad);
  if (st != SRE_OK) return st;
  uint8_t n[SRE_NONCE_LEN];
  if (nonce) {
    memcpy(n, nonce, sizeof n);
  } else if (RAND_bytes(n, sizeof n) != 1) {
    return SRE_ERR_RANDOM;
  }
  uint8_t pt[SRE_SEALED_MAX], c[SRE_SEALED_MAX];
  size_t pt_len = SRE_CHAT_HEAD_LEN + body_len;
  pt[0] = (uint8_t)type;
  put_be32(pt + 1, seq);
  put_be64(pt + 5, time_ms);
  memcpy(pt + SRE_CHAT_HEAD_LEN, body, body_len);
  st = sre__gcm128_seal(chat_key, n, aad, sizeof aad, pt, pt_len, c);
  if (st == SRE_OK) {
    st = sre__sealed_json("chat", epoch, step, n, c, pt_len + 16, json, json_cap, json_len);
  }
  OPENSSL_cleanse(pt, pt_len);
  return st;
}

sre_status sre_chat_open(const uint8_t chat_key[SRE_CHAT_KEY_LEN], const char *sender_id,
                         const sre_payload *p, sre_chat_type *type, uint32_t *seq,
                         uint64_t *time_ms, uint8_t *body, size_t body_cap, size_t *body_len) {
  if (body_len) *body_len = 0;
  if (time_ms) *time_ms = 0;
  if (!chat_key || !p || !type || !seq || !body_len || (!body && body_cap)) return SRE_ERR_ARG;
  if (p->type != SRE_PAYLOAD_CHAT || p->epoch == 0) return SRE_ERR_ARG;
  if (p->c_len < SRE_CHAT_HEAD_LEN + 1 + 16 || p->c_len > SRE_SEALED_MAX) return SRE_ERR_TOO_LARGE;
  uint8_t aad[SRE_CHAT_AAD_LEN];
  sre_status st = sre_chat_aad(sender_id, p->epoch, p->step, aad);
  if (st != SRE_OK) return st;
  uint8_t pt[SRE_SEALED_MAX];
  size_t pt_len = p->c_len - 16;
  st = sre__gcm128_open(chat_key, p->nonce, aad, sizeof aad, p->c, p->c_len, pt);
  if (st != SRE_OK) return st;
  size_t n = pt_len - SRE_CHAT_HEAD_LEN;
  if (pt[0] != SRE_CHAT_TEXT && pt[0] != SRE_CHAT_NAME) {
    st = SRE_ERR_JSON;
  } else if (!sre__utf8_valid(pt + SRE_CHAT_HEAD_LEN, n)) {
    st = SRE_ERR_UTF8;
  } else if (n > body_cap) {
    st = SRE_ERR_BUFFER;
  } else {
    *type = (sre_chat_type)pt[0];
    *seq = get_be32(pt + 1);
    if (time_ms) *time_ms = get_be64(pt + 5);
    memcpy(body, pt + SRE_CHAT_HEAD_LEN, n);
    *body_len = n;
  }
  OPENSSL_cleanse(pt, pt_len);
  return st;
}
