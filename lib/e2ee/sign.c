/* Sender authentication (docs/e2ee-sender-auth.md): frame hashes, signed
 * statements (bytes, strict JSON), the signer and the per-sender verifier
 * (signed chat, section 10, is in sign_chat.c).
 * Ed25519 and SHA-256 through OpenSSL EVP; only the public API of
 * sealroom_e2ee.h (base64) and lib/common's byte helpers are used, so this
 * file does not depend on the library's internals. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/bytes.h"
#include "sealroom_sign.h"
#include "sign_internal.h"

static const char frame_label[] = "sealroom frame v1";   /* 17 bytes */
static const char stmt_label[] = "sealroom sign v1";     /* 16 bytes */

static bool id_ok(const char *id) {
  return id && strnlen(id, SRE_ID_LEN + 1) == SRE_ID_LEN;
}

static bool session_ok(const uint8_t *sid, size_t len) {
  return sid && len >= 1 && len <= SRE_SESSION_ID_MAX;
}

/* ---- Frame hash --------------------------------------------------------- */

sre_status sre_sign_frame_hash(uint64_t kid, uint64_t ctr, const uint8_t *wire, size_t len,
                               uint8_t out[SRE_SIGN_HASH_LEN]) {
  if (!out || (!wire && len > 0)) return SRE_ERR_ARG;
  uint8_t head[sizeof frame_label - 1 + 16], md[32];
  memcpy(head, frame_label, sizeof frame_label - 1);
  put_be64(head + sizeof frame_label - 1, kid);
  put_be64(head + sizeof frame_label - 1 + 8, ctr);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned int mdlen = 0;
  int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
           EVP_DigestUpdate(ctx, head, sizeof head) == 1 &&
           (len == 0 || EVP_DigestUpdate(ctx, wire, len) == 1) &&
           EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
  EVP_MD_CTX_free(ctx);
  if (!ok) return SRE_ERR_CRYPTO;
  memcpy(out, md, SRE_SIGN_HASH_LEN);
  return SRE_OK;
}

/* ---- Statements --------------------------------------------------------- */

static bool statement_shape_ok(const sre_sign_statement *st) {
  return st->n >= 1 && st->n <= SRE_SIGN_MAX_FRAMES && st->seq <= SRE_SIGN_NUM_MAX &&
         st->kid <= SRE_SIGN_NUM_MAX && st->ctr <= SRE_SIGN_NUM_MAX - (st->n - 1);
}

sre_status sre_sign_statement_bytes(const sre_sign_statement *st, const char *sender_id,
                                    const uint8_t *session_id, size_t session_id_len,
                                    uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!st || !out || !out_len || !statement_shape_ok(st)) return SRE_ERR_ARG;
  if (!id_ok(sender_id) || !session_ok(session_id, session_id_len)) return SRE_ERR_BAD_ID;
  size_t need = 16 + 1 + session_id_len + SRE_ID_LEN + 8 + 8 + 8 + 1 + st->n * SRE_SIGN_HASH_LEN;
  if (out_cap < need) return SRE_ERR_BUFFER;
  uint8_t *p = out;
  memcpy(p, stmt_label, 16), p += 16;
  *p++ = (uint8_t)session_id_len;
  memcpy(p, session_id, session_id_len), p += session_id_len;
  memcpy(p, sender_id, SRE_ID_LEN), p += SRE_ID_LEN;
  put_be64(p, st->seq), p += 8;
  put_be64(p, st->kid), p += 8;
  put_be64(p, st->ctr), p += 8;
  *p++ = (uint8_t)st->n;
  memcpy(p, st->hashes, st->n * SRE_SIGN_HASH_LEN), p += st->n * SRE_SIGN_HASH_LEN;
  *out_len = (size_t)(p - out);
  return SRE_OK;
}

sre_status sre_sign_statement_write(const sre_sign_statement *st, char *json, size_t json_cap,
                                    size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!st || !json || !json_len || !statement_shape_ok(st)) return SRE_ERR_ARG;
  char h64[SR_BASE64_STD_LEN(SRE_SIGN_MAX_FRAMES * SRE_SIGN_HASH_LEN) + 1];
  char s64[SR_BASE64_STD_LEN(SRE_SIGN_SIG_LEN) + 1];
  sre_status r = sre_base64_encode(&st->hashes[0][0], st->n * SRE_SIGN_HASH_LEN, h64, sizeof h64, NULL);
  if (r == SRE_OK) r = sre_base64_encode(st->sig, SRE_SIGN_SIG_LEN, s64, sizeof s64, NULL);
  if (r != SRE_OK) return r;
  int n = snprintf(json, json_cap,
                   "{\"t\":\"sig\",\"v\":%d,\"q\":%llu,\"k\":%llu,\"c\":%llu,\"h\":\"%s\",\"s\":\"%s\"}",
                   SRE_SIGN_VERSION, (unsigned long long)st->seq, (unsigned long long)st->kid,
                   (unsigned long long)st->ctr, h64, s64);
  if (n < 0) return SRE_ERR_ARG;
  if ((size_t)n >= json_cap) return SRE_ERR_BUFFER;
  *json_len = (size_t)n;
  return SRE_OK;
}

static sre_status get_num(json_t *o, const char *name, uint64_t *out) {
  json_t *v = json_object_get(o, name);
  if (!json_is_integer(v)) return SRE_ERR_JSON;
  json_int_t x = json_integer_value(v);
  if (x < 0 || (uint64_t)x > SRE_SIGN_NUM_MAX) return SRE_ERR_JSON;
  *out = (uint64_t)x;
  return SRE_OK;
}

/* Check order (the JS twin follows it): docs/e2ee-sender-auth.md 4.3. */
static sre_status parse_object(json_t *o, sre_sign_statement *out) {
  json_t *t = json_object_get(o, "t");
  if (!json_is_string(t) || strcmp(json_string_value(t), "sig") != 0) return SRE_ERR_JSON;
  json_t *v = json_object_get(o, "v");
  if (!json_is_integer(v)) return SRE_ERR_JSON;
  if (json_integer_value(v) != SRE_SIGN_VERSION) return SRE_ERR_VERSION;
  if (json_object_size(o) != 7) return SRE_ERR_JSON;
  sre_status r;
  if ((r = get_num(o, "q", &out->seq)) != SRE_OK) return r;
  if ((r = get_num(o, "k", &out->kid)) != SRE_OK) return r;
  if ((r = get_num(o, "c", &out->ctr)) != SRE_OK) return r;
  json_t *h = json_object_get(o, "h"), *s = json_object_get(o, "s");
  if (!json_is_string(h) || !json_is_string(s)) return SRE_ERR_JSON;
  size_t hlen = json_string_length(h), n = 0;
  if (hlen > SR_BASE64_STD_LEN(SRE_SIGN_MAX_FRAMES * SRE_SIGN_HASH_LEN)) return SRE_ERR_TOO_LARGE;
  /* Room for the two extra bytes a 1368-character string may decode to. */
  uint8_t hb[SRE_SIGN_MAX_FRAMES * SRE_SIGN_HASH_LEN + 2];
  r = sre_base64_decode(json_string_value(h), hlen, hb, sizeof hb, &n);
  if (r != SRE_OK) return r == SRE_ERR_BUFFER ? SRE_ERR_TOO_LARGE : r;
  if (n > SRE_SIGN_MAX_FRAMES * SRE_SIGN_HASH_LEN) return SRE_ERR_TOO_LARGE;
  if (n == 0 || n % SRE_SIGN_HASH_LEN != 0) return SRE_ERR_JSON;
  size_t slen = json_string_length(s), sn = 0;
  if (slen != SR_BASE64_STD_LEN(SRE_SIGN_SIG_LEN)) return SRE_ERR_JSON;
  uint8_t sb[SRE_SIGN_SIG_LEN + 2];
  r = sre_base64_decode(json_string_value(s), slen, sb, sizeof sb, &sn);
  if (r != SRE_OK) return r;
  if (sn != SRE_SIGN_SIG_LEN) return SRE_ERR_JSON;
  out->n = n / SRE_SIGN_HASH_LEN;
  if (out->ctr > SRE_SIGN_NUM_MAX - (out->n - 1)) return SRE_ERR_JSON;
  memcpy(out->hashes, hb, n);
  memcpy(out->sig, sb, SRE_SIGN_SIG_LEN);
  return SRE_OK;
}

sre_status sre_sign_statement_parse(const char *json, size_t json_len, sre_sign_statement *out) {
  if (!json || !out) return SRE_ERR_ARG;
  memset(out, 0, sizeof *out);
  /* No valid payload is longer or holds a backslash (every string is "sig"
   * or base64), so refusing both keeps the C and JS parsers equal. */
  if (json_len > SRE_SIGN_PAYLOAD_MAX || memchr(json, '\\', json_len)) return SRE_ERR_JSON;
  json_error_t err;
  json_t *o = json_loadb(json, json_len, JSON_REJECT_DUPLICATES, &err);
  sre_status st = json_is_object(o) ? parse_object(o, out) : SRE_ERR_JSON;
  json_decref(o);
  if (st != SRE_OK) memset(out, 0, sizeof *out);
  return st;
}

/* ---- Ed25519 ------------------------------------------------------------ */

sre_status sre__ed25519_sign(EVP_PKEY *key, const uint8_t *msg, size_t len,
                             uint8_t sig[SRE_SIGN_SIG_LEN]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t siglen = SRE_SIGN_SIG_LEN;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
           EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == SRE_SIGN_SIG_LEN;
  EVP_MD_CTX_free(ctx);
  return ok ? SRE_OK : SRE_ERR_CRYPTO;
}

sre_status sre__ed25519_verify(EVP_PKEY *key, const uint8_t *msg, size_t len,
                               const uint8_t sig[SRE_SIGN_SIG_LEN]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) return SRE_ERR_CRYPTO;
  sre_status st = SRE_ERR_CRYPTO;
  if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1) {
    st = EVP_DigestVerify(ctx, sig, SRE_SIGN_SIG_LEN, msg, len) == 1 ? SRE_OK : SRE_ERR_AUTH;
  }
  EVP_MD_CTX_free(ctx);
  return st;
}

/* ---- Signer ------------------------------------------------------------- */

sre_status sre_signer_init(sre_signer *s, const char *sender_id, const uint8_t *session_id,
                           size_t session_id_len, const uint8_t seed[SRE_SIGN_SEED_LEN]) {
  if (!s) return SRE_ERR_ARG;
  memset(s, 0, sizeof *s);
  if (!id_ok(sender_id) || !session_ok(session_id, session_id_len)) return SRE_ERR_BAD_ID;
  uint8_t fresh[SRE_SIGN_SEED_LEN];
  if (!seed) {
    if (RAND_priv_bytes(fresh, sizeof fresh) != 1) return SRE_ERR_RANDOM;
    seed = fresh;
  }
  s->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, SRE_SIGN_SEED_LEN);
  OPENSSL_cleanse(fresh, sizeof fresh);
  size_t publen = SRE_SIGN_PUBLIC_LEN;
  if (!s->key || EVP_PKEY_get_raw_public_key(s->key, s->pub, &publen) != 1 ||
      publen != SRE_SIGN_PUBLIC_LEN) {
    sre_signer_clear(s);
    return SRE_ERR_CRYPTO;
  }
  memcpy(s->sender_id, sender_id, SRE_ID_LEN);
  memcpy(s->session_id, session_id, session_id_len);
  s->session_id_len = session_id_len;
  return SRE_OK;
}

const uint8_t *sre_signer_public_key(const sre_signer *s) {
  return s ? s->pub : NULL;
}

sre_status sre_signer_flush(sre_signer *s, char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!s || !s->key || !json || !json_len) return SRE_ERR_ARG;
  if (s->list.n == 0) return SRE_OK;
  if (s->next_seq > SRE_SIGN_NUM_MAX) return SRE_ERR_ARG;
  uint8_t tbs[SRE_SIGN_STATEMENT_MAX];
  size_t tbs_len = 0;
  s->list.seq = s->next_seq;
  sre_status st = sre_sign_statement_bytes(&s->list, s->sender_id, s->session_id,
                                           s->session_id_len, tbs, sizeof tbs, &tbs_len);
  if (st == SRE_OK) st = sre__ed25519_sign(s->key, tbs, tbs_len, s->list.sig);
  if (st == SRE_OK) st = sre_sign_statement_write(&s->list, json, json_cap, json_len);
  if (st != SRE_OK) return st; /* the list is kept: the caller may retry */
  s->next_seq++;
  s->statements++;
  memset(&s->list, 0, sizeof s->list);
  return SRE_OK;
}

sre_status sre_signer_add(sre_signer *s, uint64_t kid, uint64_t ctr, const uint8_t *wire,
                          size_t len, char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!s || !s->key || !json || !json_len || kid > SRE_SIGN_NUM_MAX || ctr > SRE_SIGN_NUM_MAX) {
    return SRE_ERR_ARG;
  }
  uint8_t hash[SRE_SIGN_HASH_LEN];
  sre_status st = sre_sign_frame_hash(kid, ctr, wire, len, hash);
  if (st != SRE_OK) return st;
  bool flushed = false;
  if (s->list.n > 0 && (kid != s->list.kid || ctr != s->list.ctr + s->list.n)) {
    if ((st = sre_signer_flush(s, json, json_cap, json_len)) != SRE_OK) return st;
    flushed = true;
  }
  if (s->list.n == 0) {
    s->list.kid = kid;
    s->list.ctr = ctr;
  }
  memcpy(s->list.hashes[s->list.n++], hash, SRE_SIGN_HASH_LEN);
  if (!flushed && s->list.n == SRE_SIGN_MAX_FRAMES) return sre_signer_flush(s, json, json_cap, json_len);
  return SRE_OK;
}

void sre_signer_clear(sre_signer *s) {
  if (!s) return;
  EVP_PKEY_free(s->key); /* OpenSSL cleanses the private key when freeing it */
  OPENSSL_cleanse(s, sizeof *s);
}

/* ---- Verifier ----------------------------------------------------------- */

static const char *const verdict_names[SRE_SIGN_VERDICTS] = {"ok", "wait", "reject", "unsigned",
                                                             "overflow"};

const char *sre_sign_verdict_name(int verdict) {
  return verdict >= 0 && verdict < SRE_SIGN_VERDICTS ? verdict_names[verdict] : NULL;
}

sre_status sre_sign_verifier_init(sre_sign_verifier *v, const char *sender_id,
                                  const uint8_t *session_id, size_t session_id_len,
                                  const uint8_t public_key[SRE_SIGN_PUBLIC_LEN], uint32_t delay_ms) {
  if (!v) return SRE_ERR_ARG;
  memset(v, 0, sizeof *v);
  if (!id_ok(sender_id) || !session_ok(session_id, session_id_len)) return SRE_ERR_BAD_ID;
  if (!public_key) return SRE_ERR_BAD_PUBLIC_KEY;
  v->key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, SRE_SIGN_PUBLIC_LEN);
  if (!v->key) return SRE_ERR_BAD_PUBLIC_KEY;
  memcpy(v->sender_id, sender_id, SRE_ID_LEN);
  memcpy(v->session_id, session_id, session_id_len);
  v->session_id_len = session_id_len;
  v->delay_ms = delay_ms ? delay_ms : SRE_SIGN_DELAY_MS;
  return SRE_OK;
}

sre_status sre_sign_verifier_statement(sre_sign_verifier *v, const char *json, size_t json_len) {
  if (!v || !v->key || !json) return SRE_ERR_ARG;
  sre_sign_statement st;
  sre_status r = sre_sign_statement_parse(json, json_len, &st);
  if (r != SRE_OK) {
    v->stmt_malformed++;
    return r;
  }
  if (v->any && st.seq <= v->last_seq) {
    v->stmt_replay++;
    return SRE_ERR_REPLAY;
  }
  uint8_t tbs[SRE_SIGN_STATEMENT_MAX];
  size_t tbs_len = 0;
  r = sre_sign_statement_bytes(&st, v->sender_id, v->session_id, v->session_id_len, tbs,
                               sizeof tbs, &tbs_len);
  if (r == SRE_OK) r = sre__ed25519_verify(v->key, tbs, tbs_len, st.sig);
  if (r != SRE_OK) {
    if (r == SRE_ERR_AUTH) v->stmt_bad_sig++;
    return r;
  }
  v->any = true;
  v->last_seq = st.seq;
  sre_sign_run *run = &v->runs[v->runs_next];
  run->kid = st.kid;
  run->ctr = st.ctr;
  run->n = st.n;
  memcpy(run->hashes, st.hashes, st.n * SRE_SIGN_HASH_LEN);
  v->runs_next = (v->runs_next + 1) % SRE_SIGN_KEEP;
  if (v->runs_n < SRE_SIGN_KEEP) v->runs_n++;
  v->stmt_ok++;
  return SRE_OK;
}

void sre_sign_verifier_forget_kids(sre_sign_verifier *v, uint64_t kid_lo, uint64_t kid_hi) {
  if (!v) return;
  for (size_t i = 0; i < v->runs_n; i++) {
    sre_sign_run *run = &v->runs[i];
    if (run->kid >= kid_lo && run->kid <= kid_hi) run->n = 0; /* an empty run lists nothing */
  }
}

sre_sign_verdict sre_sign_verifier_lookup(const sre_sign_verifier *v, uint64_t kid, uint64_t ctr,
                                          const uint8_t hash[SRE_SIGN_HASH_LEN]) {
  if (!v || !hash) return SRE_SIGN_WAIT;
  bool listed = false;
  for (size_t i = 0; i < v->runs_n; i++) {
    const sre_sign_run *run = &v->runs[i];
    if (run->kid != kid || ctr < run->ctr || ctr - run->ctr >= run->n) continue;
    if (CRYPTO_memcmp(run->hashes[ctr - run->ctr], hash, SRE_SIGN_HASH_LEN) == 0) return SRE_SIGN_OK;
    listed = true;
  }
  return listed ? SRE_SIGN_REJECT : SRE_SIGN_WAIT;
}

int sre_sign_verifier_frame_hash(sre_sign_verifier *v, uint64_t kid, uint64_t ctr,
                                 const uint8_t hash[SRE_SIGN_HASH_LEN], uint64_t tag,
                                 uint64_t now_ms) {
  if (!v || !v->key || !hash) return SRE_ERR_ARG;
  sre_sign_verdict d = sre_sign_verifier_lookup(v, kid, ctr, hash);
  if (d == SRE_SIGN_WAIT) {
    if (v->pending_n == SRE_SIGN_PENDING_MAX) {
      d = SRE_SIGN_OVERFLOW;
    } else {
      sre_sign_pending *p = &v->pending[v->pending_n];
      p->kid = kid;
      p->ctr = ctr;
      p->tag = tag;
      p->deadline_ms = now_ms + v->delay_ms;
      memcpy(p->hash, hash, SRE_SIGN_HASH_LEN);
      v->pending_n++;
    }
  }
  v->frames[d]++;
  return (int)d;
}

int sre_sign_verifier_frame(sre_sign_verifier *v, uint64_t kid, uint64_t ctr, const uint8_t *wire,
                            size_t len, uint64_t tag, uint64_t now_ms) {
  uint8_t hash[SRE_SIGN_HASH_LEN];
  if (!v || !v->key) return SRE_ERR_ARG;
  sre_status st = sre_sign_frame_hash(kid, ctr, wire, len, hash);
  if (st != SRE_OK) return st;
  return sre_sign_verifier_frame_hash(v, kid, ctr, hash, tag, now_ms);
}

size_t sre_sign_verifier_poll(sre_sign_verifier *v, uint64_t now_ms, sre_sign_decision *out,
                              size_t cap) {
  if (!v || !out) return 0;
  size_t written = 0, kept = 0, n = v->pending_n;
  /* Walk the queue once, compacting the frames that stay held. */
  for (size_t i = 0; i < n; i++) {
    sre_sign_pending *p = &v->pending[i];
    sre_sign_verdict d =
        written < cap ? sre_sign_verifier_lookup(v, p->kid, p->ctr, p->hash) : SRE_SIGN_WAIT;
    if (d == SRE_SIGN_WAIT && written < cap && now_ms >= p->deadline_ms) d = SRE_SIGN_UNSIGNED;
    if (d == SRE_SIGN_WAIT) {
      if (kept != i) v->pending[kept] = *p;
      kept++;
      continue;
    }
    out[written].tag = p->tag;
    out[written].verdict = d;
    written++;
    v->frames[d]++;
    v->frames[SRE_SIGN_WAIT]--; /* frames[WAIT] counts frames held now */
  }
  v->pending_n = kept;
  return written;
}

uint64_t sre_sign_verifier_next_deadline(const sre_sign_verifier *v) {
  uint64_t best = 0;
  if (!v) return 0;
  for (size_t i = 0; i < v->pending_n; i++) {
    uint64_t d = v->pending[i].deadline_ms;
    if (best == 0 || d < best) best = d;
  }
  return best;
}

void sre_sign_verifier_clear(sre_sign_verifier *v) {
  if (!v) return;
  EVP_PKEY_free(v->key);
  memset(v, 0, sizeof *v);
}
