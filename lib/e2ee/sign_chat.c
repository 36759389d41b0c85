/* Signed chat (docs/e2ee-sender-auth.md 10): a sealed chat payload
 * (docs/e2ee.md 9) signed by its sender's per-call Ed25519 key, so that a
 * member who holds the sender's chat key cannot write in its name. The
 * signed bytes, the signer's wrapper and the receiver's strict check; the
 * checks and statuses are those of the JS twin (web/e2ee/sign.js:
 * chatSignatureInput, Signer.signChat, openSignedChat), order included. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/base64.h"
#include "common/bytes.h"
#include "internal.h"
#include "sealroom_sign.h"
#include "sign_internal.h"

static const char chat_sig_label[] = "sealroom chat sig v1"; /* 20 bytes */

#define HEAD_MAX (sizeof chat_sig_label - 1 + 1 + SRE_SESSION_ID_MAX + SRE_ID_LEN + 4 + 1)

/* The longest wrapper written: the longest sealed chat payload (e 2^32-1,
 * r 255, the largest "c") inside {"t":"schat","v":1,"m":...,"s":"..."}. */
#define CHAT_JSON_MAX                                          \
  (22 + 10 + 5 + 3 + 6 + SR_BASE64_STD_LEN(SRE_NONCE_LEN) + 7 + \
   SR_BASE64_STD_LEN(SRE_SEALED_MAX) + 2)
#define WRAPPER_MAX (23 + CHAT_JSON_MAX + 6 + SR_BASE64_STD_LEN(SRE_SIGN_SIG_LEN) + 2)
_Static_assert(WRAPPER_MAX == 5690, "the longest wrapper, as the header says");
_Static_assert(WRAPPER_MAX < SRE_SIGN_CHAT_MAX, "every wrapper written is accepted");
_Static_assert(HEAD_MAX + SRE_SIGN_CHAT_MAX / 4 * 3 == SRE_SIGN_CHAT_INPUT_MAX, "input bound");

static bool session_ok(const uint8_t *sid, size_t len) {
  return sid && len >= 1 && len <= SRE_SESSION_ID_MAX;
}

/* label || u8(len sid) || sid || sender id || u32(e) || u8(r); out has
 * HEAD_MAX bytes of room (the caller checked). Returns the length. */
static size_t put_head(uint8_t *out, const char *sender_id, const uint8_t *sid, size_t sid_len,
                       uint32_t epoch, uint8_t step) {
  uint8_t *p = out;
  memcpy(p, chat_sig_label, sizeof chat_sig_label - 1), p += sizeof chat_sig_label - 1;
  *p++ = (uint8_t)sid_len;
  memcpy(p, sid, sid_len), p += sid_len;
  memcpy(p, sender_id, SRE_ID_LEN), p += SRE_ID_LEN;
  put_be32(p, epoch), p += 4;
  *p++ = step;
  return (size_t)(p - out);
}

/* The members of m that the signature covers, checked as chatSignatureInput
 * does: an object, "t" "chat", "e" 1..2^32-1, "r" 0..255, "n" and "c"
 * strings. "v" and the member set are left to sre_payload_parse. */
static sre_status chat_fields(json_t *m, uint32_t *epoch, uint8_t *step, json_t **n, json_t **c) {
  if (!json_is_object(m)) return SRE_ERR_JSON;
  json_t *t = json_object_get(m, "t"), *e = json_object_get(m, "e"), *r = json_object_get(m, "r");
  if (!json_is_string(t) || strcmp(json_string_value(t), "chat") != 0) return SRE_ERR_JSON;
  if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > UINT32_MAX) {
    return SRE_ERR_JSON;
  }
  if (!json_is_integer(r) || json_integer_value(r) < 0 || json_integer_value(r) > 255) {
    return SRE_ERR_JSON;
  }
  *n = json_object_get(m, "n");
  *c = json_object_get(m, "c");
  if (!json_is_string(*n) || !json_is_string(*c)) return SRE_ERR_JSON;
  *epoch = (uint32_t)json_integer_value(e);
  *step = (uint8_t)json_integer_value(r);
  return SRE_OK;
}

/* A base64 string member decoded to out[*pos..cap); *pos moves past it. */
static sre_status put_b64(json_t *s, uint8_t *out, size_t cap, size_t *pos) {
  size_t n = 0;
  sre_status st =
      sre_base64_decode(json_string_value(s), json_string_length(s), out + *pos, cap - *pos, &n);
  if (st == SRE_OK) *pos += n;
  return st;
}

/* The signed bytes of the chat payload object m. */
static sre_status input_of(json_t *m, const char *sender_id, const uint8_t *sid, size_t sid_len,
                           uint8_t *out, size_t out_cap, size_t *out_len) {
  uint32_t epoch = 0;
  uint8_t step = 0;
  json_t *n = NULL, *c = NULL;
  sre_status st = chat_fields(m, &epoch, &step, &n, &c);
  if (st != SRE_OK) return st;
  if (out_cap < HEAD_MAX) return SRE_ERR_BUFFER;
  size_t pos = put_head(out, sender_id, sid, sid_len, epoch, step);
  if ((st = put_b64(n, out, out_cap, &pos)) != SRE_OK) return st;
  if ((st = put_b64(c, out, out_cap, &pos)) != SRE_OK) return st;
  *out_len = pos;
  return SRE_OK;
}

/* jansson with the strict options of every payload parser here. */
static json_t *load(const char *json, size_t len) {
  json_error_t err;
  return json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
}

sre_status sre_sign_chat_input(const char *sender_id, const uint8_t *session_id,
                               size_t session_id_len, const char *chat_json, size_t chat_len,
                               uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!chat_json || !out || !out_len) return SRE_ERR_ARG;
  if (!sre__id_ok(sender_id) || !session_ok(session_id, session_id_len)) return SRE_ERR_BAD_ID;
  if (chat_len > SRE_SIGN_CHAT_MAX) return SRE_ERR_JSON;
  json_t *m = load(chat_json, chat_len);
  size_t n = 0;
  sre_status st = input_of(m, sender_id, session_id, session_id_len, out, out_cap, &n);
  json_decref(m);
  if (st == SRE_OK) *out_len = n;
  return st;
}

/* ---- Signer ------------------------------------------------------------- */

/* {"t":"schat","v":1,"m":m,"s":"sig"}: JSON.stringify's bytes. */
static sre_status write_wrapper(const char *m, const uint8_t sig[SRE_SIGN_SIG_LEN], char *json,
                                size_t json_cap, size_t *json_len) {
  char s64[SR_BASE64_STD_LEN(SRE_SIGN_SIG_LEN) + 1];
  sre_status st = sre_base64_encode(sig, SRE_SIGN_SIG_LEN, s64, sizeof s64, NULL);
  if (st != SRE_OK) return st;
  int n = snprintf(json, json_cap, "{\"t\":\"schat\",\"v\":%d,\"m\":%s,\"s\":\"%s\"}",
                   SRE_SIGN_CHAT_VERSION, m, s64);
  if (n < 0) return SRE_ERR_ARG;
  if ((size_t)n >= json_cap) return SRE_ERR_BUFFER;
  *json_len = (size_t)n;
  return SRE_OK;
}

sre_status sre_signer_sign_chat(const sre_signer *s, const char *chat_json, size_t chat_len,
                                char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!s || !s->key || !chat_json || !json || !json_len) return SRE_ERR_ARG;
  /* Only a valid sealed chat payload is signed, and it is written back as
   * sre_chat_seal writes it (the same members, so the same signed bytes). */
  sre_payload p;
  sre_status st = sre_payload_parse(chat_json, chat_len, &p);
  if (st == SRE_OK && p.type != SRE_PAYLOAD_CHAT) st = SRE_ERR_JSON;
  if (st != SRE_OK) return st;
  uint8_t in[HEAD_MAX + SRE_NONCE_LEN + SRE_SEALED_MAX], sig[SRE_SIGN_SIG_LEN];
  char m[CHAT_JSON_MAX + 1];
  size_t pos = put_head(in, s->sender_id, s->session_id, s->session_id_len, p.epoch, p.step);
  size_t mlen = 0;
  memcpy(in + pos, p.nonce, SRE_NONCE_LEN), pos += SRE_NONCE_LEN;
  memcpy(in + pos, p.c, p.c_len), pos += p.c_len;
  st = sre__ed25519_sign(s->key, in, pos, sig);
  if (st == SRE_OK) {
    st = sre__sealed_json("chat", p.epoch, p.step, p.nonce, p.c, p.c_len, m, sizeof m, &mlen);
  }
  if (st == SRE_OK) st = write_wrapper(m, sig, json, json_cap, json_len);
  return st;
}

/* ---- Receiver ----------------------------------------------------------- */

/* The wrapper's members (openSignedChat's order): exactly t v m s, t
 * "schat", v 1, s 64 bytes of canonical base64 in 88 characters. */
static sre_status wrapper_fields(json_t *w, json_t **m, uint8_t sig[SRE_SIGN_SIG_LEN]) {
  json_t *t = json_object_get(w, "t");
  if (!json_is_string(t) || strcmp(json_string_value(t), "schat") != 0) return SRE_ERR_JSON;
  json_t *v = json_object_get(w, "v"), *s = json_object_get(w, "s");
  *m = json_object_get(w, "m");
  if (json_object_size(w) != 4 || !v || !*m || !s) return SRE_ERR_JSON;
  if (!json_is_integer(v) || json_integer_value(v) != SRE_SIGN_CHAT_VERSION) return SRE_ERR_VERSION;
  if (!json_is_string(s) || json_string_length(s) != SR_BASE64_STD_LEN(SRE_SIGN_SIG_LEN)) {
    return SRE_ERR_BASE64;
  }
  uint8_t raw[SRE_SIGN_SIG_LEN + 2]; /* 88 characters decode to 64..66 bytes */
  size_t n = 0;
  sre_status st =
      sre_base64_decode(json_string_value(s), json_string_length(s), raw, sizeof raw, &n);
  if (st != SRE_OK || n != SRE_SIGN_SIG_LEN) return SRE_ERR_BASE64;
  memcpy(sig, raw, SRE_SIGN_SIG_LEN);
  return SRE_OK;
}

static sre_status verify(const sre_sign_verifier *v, json_t *m,
                         const uint8_t sig[SRE_SIGN_SIG_LEN]) {
  uint8_t in[SRE_SIGN_CHAT_INPUT_MAX];
  size_t len = 0;
  sre_status st = input_of(m, v->sender_id, v->session_id, v->session_id_len, in, sizeof in, &len);
  /* The text is at most SRE_SIGN_CHAT_MAX, so n and c always fit. */
  if (st == SRE_ERR_BUFFER) st = SRE_ERR_JSON;
  if (st == SRE_OK) st = sre__ed25519_verify(v->key, in, len, sig);
  return st;
}

/* m as compact JSON into chat (NUL-terminated). A valid sealed chat payload
 * is far shorter than SRE_SIGN_CHAT_MAX; only unsigned members written long
 * (a number like 1e9 comes back as 1000000000.0) could pass it. */
static sre_status write_inner(json_t *m, char *chat, size_t chat_cap, size_t *chat_len) {
  size_t need = json_dumpb(m, NULL, 0, JSON_COMPACT);
  if (need == 0 || need > SRE_SIGN_CHAT_MAX) return SRE_ERR_JSON;
  if (need >= chat_cap) return SRE_ERR_BUFFER;
  if (json_dumpb(m, chat, need, JSON_COMPACT) != need) return SRE_ERR_JSON;
  chat[need] = '\0';
  *chat_len = need;
  return SRE_OK;
}

sre_status sre_sign_chat_open(const sre_sign_verifier *v, const char *json, size_t json_len,
                              char *chat, size_t chat_cap, size_t *chat_len) {
  if (chat_len) *chat_len = 0;
  if (!v || !v->key || !json || !chat || !chat_len) return SRE_ERR_ARG;
  if (json_len > SRE_SIGN_CHAT_MAX) return SRE_ERR_JSON;
  json_t *w = load(json, json_len), *m = NULL;
  uint8_t sig[SRE_SIGN_SIG_LEN];
  sre_status st = json_is_object(w) ? wrapper_fields(w, &m, sig) : SRE_ERR_JSON;
  if (st == SRE_OK) st = verify(v, m, sig);
  if (st == SRE_OK) st = write_inner(m, chat, chat_cap, chat_len);
  json_decref(w);
  return st;
}
