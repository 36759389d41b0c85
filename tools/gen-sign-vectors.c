/* Generates tests/vectors/e2ee-sign.json (docs/e2ee-sender-auth.md 8) from
 * fixed inputs:
 *   build/gen-sign-vectors > tests/vectors/e2ee-sign.json
 * Ed25519 seeds are SHA-256 of a label, frames are SFrame wire frames under
 * base keys derived from labels, and Ed25519 is deterministic, so the output
 * is the same on every run. The C suite e2ee_sign and tests/js/sign.test.mjs
 * recompute every entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sealroom_e2ee.h"
#include "sealroom_sign.h"

#define VECTOR_TOOL "gen-sign-vectors"
#include "vector_json.h"


static const char *const session_id = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";
static const char *const id_s = "0f8fad5b-d9cb-469f-a165-70867728950e"; /* sender S */
static const char *const id_m = "7c9e6679-7425-40de-944b-e07fc1f90ae7"; /* member M */
static uint8_t seed_s[32], seed_m[32];
static sre_signer signer_s, signer_m;


static void label_hash(const char *label, uint8_t out[32]) {
  sha256(label, strlen(label), out);
}

static const uint8_t *sid(void) {
  return (const uint8_t *)session_id;
}

/* A wire frame: Opus-like (TOC byte + body) encrypted with S's base key for
 * kid, body bytes derived from a label; len = total plaintext length. */
static size_t make_frame(uint64_t kid, uint64_t ctr, size_t len, const char *what, uint8_t *out,
                         size_t cap) {
  uint8_t base[32], pt[1200], block[32];
  char label[96];
  snprintf(label, sizeof label, "sign vector base key %llu", (unsigned long long)kid);
  label_hash(label, base);
  if (len > sizeof pt || len == 0) DIE("frame length");
  for (size_t i = 0; i < len; i += 32) {
    snprintf(label, sizeof label, "sign vector %s %llu %zu", what, (unsigned long long)ctr, i / 32);
    label_hash(label, block);
    memcpy(pt + i, block, len - i < 32 ? len - i : 32);
  }
  pt[0] = 0x78; /* an Opus TOC byte */
  sre_key k;
  size_t n = 0;
  OK(sre_key_init(&k, SRE_SUITE_WIRE, kid, base, 16));
  OK(sre_frame_encrypt(&k, SRE_CODEC_OPUS, ctr, pt, len, out, cap, &n));
  sre_key_clear(&k);
  return n;
}

static json_t *key_vectors(void) {
  json_t *a = json_array();
  json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o}", "name", "S", "id", id_s, "seed",
                                     hex(seed_s, 32), "public_key", hex(signer_s.pub, 32)));
  json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o}", "name", "M", "id", id_m, "seed",
                                     hex(seed_m, 32), "public_key", hex(signer_m.pub, 32)));
  return a;
}

static json_t *hash_vectors(void) {
  struct {
    uint64_t kid, ctr;
    size_t len;
  } v[] = {{0, 0, 0}, {65792, 0, 1}, {65792, 1, 61}, {0x01020304, 0xabcdef, 1200},
           {SRE_SIGN_NUM_MAX, SRE_SIGN_NUM_MAX, 17}};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint8_t wire[1300], h[SRE_SIGN_HASH_LEN];
    size_t n = v[i].len ? make_frame(v[i].kid & 0xffffffffu, v[i].ctr, v[i].len, "hash", wire,
                                     sizeof wire)
                        : 0;
    OK(sre_sign_frame_hash(v[i].kid, v[i].ctr, wire, n, h));
    json_array_append_new(a, json_pack("{s:I,s:I,s:o,s:o}", "kid", (json_int_t)v[i].kid, "ctr",
                                       (json_int_t)v[i].ctr, "wire", hex(wire, n), "hash",
                                       hex(h, sizeof h)));
  }
  return a;
}

/* One statement of S: frames kid, ctr .. ctr+n-1 of lengths 40 + 13 i. */
static json_t *statement_entry(const char *desc, sre_signer *signer, const char *claimed_id,
                               uint64_t seq, uint64_t kid, uint64_t ctr, size_t n) {
  sre_sign_statement st;
  memset(&st, 0, sizeof st);
  st.seq = seq, st.kid = kid, st.ctr = ctr, st.n = n;
  json_t *frames = json_array(), *hashes = json_array();
  for (size_t i = 0; i < n; i++) {
    uint8_t wire[1300];
    size_t len = make_frame(kid, ctr + i, 40 + 13 * (i % 50), "frame", wire, sizeof wire);
    OK(sre_sign_frame_hash(kid, ctr + i, wire, len, st.hashes[i]));
    json_array_append_new(frames, hex(wire, len));
    json_array_append_new(hashes, hex(st.hashes[i], SRE_SIGN_HASH_LEN));
  }
  uint8_t tbs[SRE_SIGN_STATEMENT_MAX];
  size_t tbs_len = 0, sig_len = SRE_SIGN_SIG_LEN, json_len = 0;
  char json[SRE_SIGN_PAYLOAD_MAX];
  /* The statement bytes name claimed_id; the key is signer's (M claiming S
   * in the forgery entries). */
  OK(sre_sign_statement_bytes(&st, claimed_id, sid(), strlen(session_id), tbs, sizeof tbs,
                              &tbs_len));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, signer->key) != 1 ||
      EVP_DigestSign(ctx, st.sig, &sig_len, tbs, tbs_len) != 1) {
    DIE("sign");
  }
  EVP_MD_CTX_free(ctx);
  OK(sre_sign_statement_write(&st, json, sizeof json, &json_len));
  return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:s}", "description", desc,
                   "session_id", session_id, "sender_id", claimed_id, "seq", (json_int_t)seq, "kid",
                   (json_int_t)kid, "ctr", (json_int_t)ctr, "frames", frames, "hashes", hashes,
                   "bytes", hex(tbs, tbs_len), "signature", hex(st.sig, SRE_SIGN_SIG_LEN),
                   "payload", json);
}

static json_t *statement_vectors(void) {
  json_t *a = json_array();
  json_array_append_new(a, statement_entry("one frame", &signer_s, id_s, 0, 65792, 0, 1));
  json_array_append_new(a, statement_entry("eight frames (100 ms of audio and video)", &signer_s,
                                           id_s, 1, 65792, 1, 8));
  json_array_append_new(a, statement_entry("a full statement: 64 frames", &signer_s, id_s, 2,
                                           65793, 0, 64));
  json_array_append_new(a, statement_entry("largest numbers", &signer_s, id_s, SRE_SIGN_NUM_MAX,
                                           0xffffffffu, SRE_SIGN_NUM_MAX - 2, 3));
  return a;
}

/* Payloads a verifier of S (key S, id S, the session) must refuse, with the
 * status; built from a valid payload of S. */
static json_t *refuse_vectors(void) {
  json_t *a = json_array();
  json_t *good = statement_entry("base", &signer_s, id_s, 5, 65792, 100, 2);
  const char *gp = json_string_value(json_object_get(good, "payload"));
  const char *h2 = NULL, *s64 = NULL;
  /* Pull "h" and "s" back out of the payload for the variants. */
  json_error_t err;
  json_t *o = json_loads(gp, 0, &err);
  if (!o) DIE("reparse");
  h2 = json_string_value(json_object_get(o, "h"));
  s64 = json_string_value(json_object_get(o, "s"));
  char buf[8192];
#define ADD(desc, status, ...)                                                     \
  do {                                                                             \
    snprintf(buf, sizeof buf, __VA_ARGS__);                                        \
    json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "description", desc, "payload", buf, \
                                       "status", status));                         \
  } while (0)
  ADD("the valid payload itself", "SRE_OK", "%s", gp);
  ADD("the valid payload with whitespace and another member order", "SRE_OK",
      " { \"s\" : \"%s\" , \"h\":\"%s\",\"c\":100,\"k\":65792,\"q\":5,\"v\":1,\"t\":\"sig\" } ", s64,
      h2);
  ADD("not JSON", "SRE_ERR_JSON", "{\"t\":\"sig\",");
  ADD("an array", "SRE_ERR_JSON", "[1,2]");
  ADD("another type", "SRE_ERR_JSON",
      "{\"t\":\"key\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("version 2", "SRE_ERR_VERSION",
      "{\"t\":\"sig\",\"v\":2,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("version as a string", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":\"1\",\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("an extra member", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\",\"x\":0}", h2,
      s64);
  ADD("a missing member", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\"}", h2);
  ADD("a duplicate member", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"q\":6,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2,
      s64);
  ADD("a negative seq", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":-1,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("seq 2^53", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":9007199254740992,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}",
      h2, s64);
  ADD("a fraction", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5.0,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("an exponent", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":6e4,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("kid as a string", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":\"65792\",\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("last ctr above 2^53-1", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":9007199254740991,\"h\":\"%s\",\"s\":\"%s\"}",
      h2, s64);
  ADD("an escape in a string", "SRE_ERR_JSON",
      "{\"t\":\"\\u0073ig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2,
      s64);
  ADD("no hashes", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"\",\"s\":\"%s\"}", s64);
  ADD("hashes of 15 bytes", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"AAAAAAAAAAAAAAAAAAAA\",\"s\":\"%s\"}",
      s64);
  ADD("non-canonical base64 in h", "SRE_ERR_BASE64",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"AB==\",\"s\":\"%s\"}", s64);
  ADD("base64 with a newline in s", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%.40s\n%s\"}", h2,
      s64, s64 + 40);
  ADD("a signature of 63 bytes", "SRE_ERR_JSON",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%.84s\"}", h2, s64);
  ADD("a signature with a bad base64 character", "SRE_ERR_BASE64",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"*%s\"}", h2, s64 + 1);
  {
    /* 65 hashes: too many entries. */
    uint8_t many[65 * SRE_SIGN_HASH_LEN];
    char m64[sizeof many / 3 * 4 + 8];
    memset(many, 0x5a, sizeof many);
    OK(sre_base64_encode(many, sizeof many, m64, sizeof m64, NULL));
    ADD("65 frames", "SRE_ERR_TOO_LARGE",
        "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", m64, s64);
  }
  {
    char pad[4200];
    memset(pad, ' ', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    ADD("longer than 4096 bytes", "SRE_ERR_JSON", "%s%s", gp, pad);
  }
  /* Well-formed, signature refused by a verifier of S: */
  json_t *m = statement_entry("M signs a statement claiming S", &signer_m, id_s, 6, 65792, 100, 2);
  ADD("signed with M's key, claims S", "SRE_ERR_AUTH", "%s",
      json_string_value(json_object_get(m, "payload")));
  json_decref(m);
  m = statement_entry("S signs as M", &signer_s, id_m, 6, 65792, 100, 2);
  ADD("signed by S for sender id M (relayed as from S)", "SRE_ERR_AUTH", "%s",
      json_string_value(json_object_get(m, "payload")));
  json_decref(m);
  ADD("seq changed after signing", "SRE_ERR_AUTH",
      "{\"t\":\"sig\",\"v\":1,\"q\":7,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  ADD("ctr changed after signing", "SRE_ERR_AUTH",
      "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":101,\"h\":\"%s\",\"s\":\"%s\"}", h2, s64);
  {
    /* Truncated: the first hash only. */
    char h1[32];
    uint8_t raw[32];
    size_t n = 0;
    OK(sre_base64_decode(h2, strlen(h2), raw, sizeof raw, &n));
    OK(sre_base64_encode(raw, 16, h1, sizeof h1, NULL));
    ADD("truncated to its first frame", "SRE_ERR_AUTH",
        "{\"t\":\"sig\",\"v\":1,\"q\":5,\"k\":65792,\"c\":100,\"h\":\"%s\",\"s\":\"%s\"}", h1, s64);
  }
#undef ADD
  json_decref(o);
  json_decref(good);
  return a;
}

/* A receiver's view of S: statements and frames in arrival order with the
 * expected outcome; frame times in ms; "poll" decides held frames. */
static json_t *scenario_vectors(void) {
  json_t *steps = json_array();
  uint8_t wire[1300], forged[1300];
  size_t len;
  /* Statement 1 covers ctr 0..2 of KID 65792. */
  json_t *st1 = statement_entry("s1", &signer_s, id_s, 1, 65792, 0, 3);
  json_t *st2 = statement_entry("s2", &signer_s, id_s, 2, 65792, 3, 2);
  json_t *stm = statement_entry("m", &signer_m, id_s, 3, 65792, 5, 1);
#define FRAME(t, ctr_, bytes, n_, verdict)                                                       \
  json_array_append_new(steps, json_pack("{s:s,s:I,s:I,s:I,s:o,s:s}", "do", "frame", "time",     \
                                         (json_int_t)(t), "kid", (json_int_t)65792, "ctr",       \
                                         (json_int_t)(ctr_), "wire", hex(bytes, n_), "verdict",  \
                                         verdict))
#define STMT(t, payload, status)                                                                  \
  json_array_append_new(steps, json_pack("{s:s,s:I,s:s,s:s}", "do", "statement", "time",          \
                                         (json_int_t)(t), "payload", payload, "status", status))
#define POLL(t, decided)                                                                          \
  json_array_append_new(steps, json_pack("{s:s,s:I,s:o}", "do", "poll", "time", (json_int_t)(t),  \
                                         "decided", decided))
  /* Frame 0 arrives before its statement: held. */
  len = make_frame(65792, 0, 40, "frame", wire, sizeof wire);
  FRAME(0, 0, wire, len, "wait");
  /* M's forged frame for ctr 1 (valid SFrame under S's key, other content). */
  len = make_frame(65792, 1, 40, "forged", forged, sizeof forged);
  FRAME(10, 1, forged, len, "wait");
  STMT(60, json_string_value(json_object_get(st1, "payload")), "SRE_OK");
  POLL(60, json_pack("[[i,s],[i,s]]", 0, "ok", 1, "reject"));
  /* The genuine frame 1 (tag 2), frame 2 after the statement: ok at once. */
  len = make_frame(65792, 1, 40 + 13, "frame", wire, sizeof wire);
  FRAME(70, 1, wire, len, "ok");
  /* Forged frame 2 after the statement: rejected at once. */
  len = make_frame(65792, 2, 40, "forged", forged, sizeof forged);
  FRAME(75, 2, forged, len, "reject");
  /* The same statement replayed; an older one. */
  STMT(80, json_string_value(json_object_get(st1, "payload")), "SRE_ERR_REPLAY");
  /* Frame 5 of M's making with M's own statement claiming S. */
  len = make_frame(65792, 5, 40, "forged", forged, sizeof forged);
  FRAME(90, 5, forged, len, "wait");
  STMT(100, json_string_value(json_object_get(stm, "payload")), "SRE_ERR_AUTH");
  POLL(100, json_array());
  /* Frame 3 arrives; statement 2 covers 3..4. */
  len = make_frame(65792, 3, 40, "frame", wire, sizeof wire);
  FRAME(120, 3, wire, len, "wait");
  STMT(150, json_string_value(json_object_get(st2, "payload")), "SRE_OK");
  POLL(150, json_pack("[[i,s]]", 5, "ok"));
  /* The forged frame 5 was never signed: unsigned at its deadline 90 + 250. */
  POLL(339, json_array());
  POLL(340, json_pack("[[i,s]]", 4, "unsigned"));
#undef FRAME
#undef STMT
#undef POLL
  json_t *sc = json_pack("{s:s,s:s,s:s,s:o,s:i,s:s,s:o}", "description",
                         "S's frames 0-3 with M forging frames 1, 2 and 5 (valid SFrame under S's key)",
                         "session_id", session_id, "sender_id", id_s, "public_key",
                         hex(signer_s.pub, 32), "delay_ms", SRE_SIGN_DELAY_MS, "note",
                         "a frame's tag is its index among the frame steps, from 0; poll gives [tag, verdict] oldest first", "steps", steps);
  json_decref(st1);
  json_decref(st2);
  json_decref(stm);
  json_t *a = json_array();
  json_array_append_new(a, sc);
  return a;
}

/* ---- Signed chat (docs/e2ee-sender-auth.md 10) ------------------------- */

/* A sealed chat message of S signed by S. Base keys and nonces are SHA-256
 * of labels; the base key is 16 bytes at step 0 and 32 after. */
static json_t *chat_message(const char *desc, uint32_t epoch, uint8_t step, sre_chat_type type,
                            uint32_t seq, uint64_t time_ms, const char *body, size_t body_len,
                            size_t index) {
  uint8_t base[32], ck[SRE_CHAT_KEY_LEN], nonce[32], in[SRE_SIGN_CHAT_INPUT_MAX];
  char label[96], m[SRE_SIGN_CHAT_MAX], w[SRE_SIGN_CHAT_MAX];
  size_t blen = step ? 32 : 16, mlen = 0, wlen = 0, inlen = 0;
  snprintf(label, sizeof label, "sign vector chat base key %u %u", (unsigned)epoch, (unsigned)step);
  label_hash(label, base);
  snprintf(label, sizeof label, "sign vector chat nonce %zu", index);
  label_hash(label, nonce);
  OK(sre_chat_key(base, blen, sid(), strlen(session_id), ck));
  OK(sre_chat_seal(ck, id_s, epoch, step, type, seq, time_ms, (const uint8_t *)body, body_len,
                   nonce, m, sizeof m, &mlen));
  OK(sre_sign_chat_input(id_s, sid(), strlen(session_id), m, mlen, in, sizeof in, &inlen));
  OK(sre_signer_sign_chat(&signer_s, m, mlen, w, sizeof w, &wlen));
  /* The signature is the last 88 characters but two of the wrapper. */
  uint8_t sig[SRE_SIGN_SIG_LEN];
  size_t siglen = 0;
  OK(sre_base64_decode(w + wlen - 90, 88, sig, sizeof sig, &siglen));
  json_t *e =
      json_pack("{s:s,s:I,s:i,s:i,s:I,s:I,s:s%,s:o,s:o,s:o,s:s,s:o,s:o,s:s}", "description", desc,
                "epoch", (json_int_t)epoch, "step", step, "type", type, "seq", (json_int_t)seq,
                "time_ms", (json_int_t)time_ms, "body", body, body_len, "base_key", hex(base, blen),
                "chat_key", hex(ck, sizeof ck), "nonce", hex(nonce, SRE_NONCE_LEN), "chat", m,
                "bytes", hex(in, inlen), "signature", hex(sig, siglen), "wrapper", w);
  if (!e) DIE("chat message %zu", index);
  return e;
}

/* A signer of S's seed or M's for a claimed id and session id. */
static json_t *signed_by(const char *desc, const uint8_t seed[32], const char *claimed_id,
                         const char *session, const char *m) {
  sre_signer x;
  char w[SRE_SIGN_CHAT_MAX];
  size_t wlen = 0;
  OK(sre_signer_init(&x, claimed_id, (const uint8_t *)session, strlen(session), seed));
  OK(sre_signer_sign_chat(&x, m, strlen(m), w, sizeof w, &wlen));
  sre_signer_clear(&x);
  return json_pack("{s:s,s:s,s:s}", "description", desc, "wrapper", w, "status", "SRE_ERR_AUTH");
}

/* Wrappers a verifier of S must refuse, and some it accepts whose inner
 * payload the chat layer then refuses (members the signature does not
 * cover); built from message 0 (m0, its signature s0) and message 1's
 * signature s1. */
static json_t *chat_refuse_vectors(json_t *msgs) {
  json_t *a = json_array();
  json_t *e0 = json_array_get(msgs, 0), *e1 = json_array_get(msgs, 1);
  const char *m0 = json_string_value(json_object_get(e0, "chat"));
  const char *w0 = json_string_value(json_object_get(e0, "wrapper"));
  const char *w1 = json_string_value(json_object_get(e1, "wrapper"));
  char s0[89], s1[89];
  snprintf(s0, sizeof s0, "%.88s", w0 + strlen(w0) - 90);
  snprintf(s1, sizeof s1, "%.88s", w1 + strlen(w1) - 90);
  json_error_t err;
  json_t *o = json_loads(m0, 0, &err);
  if (!o) DIE("reparse");
  const char *n64 = json_string_value(json_object_get(o, "n"));
  const char *c64 = json_string_value(json_object_get(o, "c"));
  unsigned e = (unsigned)json_integer_value(json_object_get(o, "e"));
  unsigned r = (unsigned)json_integer_value(json_object_get(o, "r"));
  static char buf[16384], inner[8192];
#define ADD(desc, status, ...)                                                                 \
  do {                                                                                         \
    snprintf(buf, sizeof buf, __VA_ARGS__);                                                    \
    json_array_append_new(                                                                     \
        a, json_pack("{s:s,s:s,s:s}", "description", desc, "wrapper", buf, "status", status)); \
  } while (0)
  /* Accepted: "chat" is the inner text both implementations return,
   * "chat_status" what opening it with message 0's chat key gives. */
#define ACCEPT(desc, chat, chat_status, ...)                                                 \
  do {                                                                                       \
    snprintf(buf, sizeof buf, __VA_ARGS__);                                                  \
    json_array_append_new(                                                                   \
        a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "description", desc, "wrapper", buf, "status", \
                     "SRE_OK", "chat", chat, "chat_status", chat_status));                   \
  } while (0)
  ACCEPT("the valid wrapper of message 0", m0, "SRE_OK", "%s", w0);
  snprintf(inner, sizeof inner,
           "{\"c\":\"%s\",\"n\":\"%s\",\"r\":%u,\"e\":%u,\"v\":2,\"t\":\"chat\"}", c64, n64, r, e);
  ACCEPT("whitespace and another member order, in the wrapper and in m", inner, "SRE_OK",
         " { \"s\" : \"%s\" ,\n \"m\" : { \"c\" : \"%s\" , \"n\":\"%s\",\"r\":%u,\"e\":%u,\"v\":2,"
         "\"t\":\"chat\" } , \"v\" : 1 , \"t\" : \"schat\" } ",
         s0, c64, n64, r, e);
  snprintf(inner, sizeof inner,
           "{\"t\":\"chat\",\"v\":3,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":\"%s\"}", e, r, n64, c64);
  ACCEPT("m with v 3 (v is not signed): the chat layer refuses it", inner, "SRE_ERR_VERSION",
         "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", inner, s0);
  snprintf(inner, sizeof inner,
           "{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":\"%s\",\"x\":0}", e, r,
           n64, c64);
  ACCEPT("m with an extra member (not signed): the chat layer refuses it", inner, "SRE_ERR_JSON",
         "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", inner, s0);
#undef ACCEPT
  /* Well-formed, signature refused: */
  json_array_append_new(a,
                        signed_by("signed with M's key, claims S", seed_m, id_s, session_id, m0));
  json_array_append_new(
      a, signed_by("signed by M as M, relayed as from S", seed_m, id_m, session_id, m0));
  json_array_append_new(
      a, signed_by("signed by S in another session", seed_s, id_s, "another session", m0));
  ADD("S's signature of message 1 on message 0", "SRE_ERR_AUTH",
      "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", m0, s1);
  ADD("e changed after signing", "SRE_ERR_AUTH",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":"
      "\"%s\"},"
      "\"s\":\"%s\"}",
      e + 1, r, n64, c64, s0);
  ADD("r changed after signing", "SRE_ERR_AUTH",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":"
      "\"%s\"},"
      "\"s\":\"%s\"}",
      e, r + 1, n64, c64, s0);
  ADD("the ciphertext changed after signing", "SRE_ERR_AUTH",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":"
      "\"%c%s\"},"
      "\"s\":\"%s\"}",
      e, r, n64, c64[0] == 'A' ? 'B' : 'A', c64 + 1, s0);
  /* Not a signed chat: */
  ADD("an unsigned sealed chat payload", "SRE_ERR_JSON", "%s", m0);
  ADD("not JSON", "SRE_ERR_JSON", "%.40s", w0);
  ADD("an array", "SRE_ERR_JSON", "[%s]", w0);
  ADD("another type", "SRE_ERR_JSON", "{\"t\":\"chat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", m0, s0);
  ADD("an extra member", "SRE_ERR_JSON", "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\",\"x\":0}",
      m0, s0);
  ADD("a missing member: no s", "SRE_ERR_JSON", "{\"t\":\"schat\",\"v\":1,\"m\":%s}", m0);
  ADD("a missing member: no v (members are checked before the version)", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"m\":%s,\"s\":\"%s\"}", m0, s0);
  ADD("a duplicate member", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"v\":1,\"m\":%s,\"s\":\"%s\"}", m0, s0);
  {
    char pad[8300];
    memset(pad, ' ', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    ADD("longer than 8192 bytes", "SRE_ERR_JSON", "%s%s", w0, pad);
  }
  ADD("version 2", "SRE_ERR_VERSION", "{\"t\":\"schat\",\"v\":2,\"m\":%s,\"s\":\"%s\"}", m0, s0);
  ADD("version as a string", "SRE_ERR_VERSION",
      "{\"t\":\"schat\",\"v\":\"1\",\"m\":%s,\"s\":\"%s\"}", m0, s0);
  ADD("version 1.0", "SRE_ERR_VERSION", "{\"t\":\"schat\",\"v\":1.0,\"m\":%s,\"s\":\"%s\"}", m0,
      s0);
  /* The signature: */
  ADD("a signature with a bad base64 character", "SRE_ERR_BASE64",
      "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"*%s\"}", m0, s0 + 1);
  {
    /* s0 ends "x==": x's 4 low bits are unused and must be zero. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char bad[89];
    memcpy(bad, s0, sizeof bad);
    const char *at = strchr(b64, bad[85]);
    if (!at || bad[86] != '=') DIE("signature padding");
    bad[85] = b64[(at - b64) ^ 1];
    ADD("a non-canonical signature (unused bits set)", "SRE_ERR_BASE64",
        "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", m0, bad);
  }
  ADD("a truncated signature (84 characters, 63 bytes)", "SRE_ERR_BASE64",
      "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%.84s\"}", m0, s0);
  {
    uint8_t sig[SRE_SIGN_SIG_LEN + 1] = {0};
    size_t n = 0;
    char s65[96];
    OK(sre_base64_decode(s0, 88, sig, sizeof sig, &n));
    OK(sre_base64_encode(sig, sizeof sig, s65, sizeof s65, NULL));
    ADD("a signature of 65 bytes (88 characters)", "SRE_ERR_BASE64",
        "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%s\"}", m0, s65);
  }
  ADD("the signature as a number", "SRE_ERR_BASE64", "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":1}",
      m0);
  /* m, before the signature is checked: */
  ADD("m a string", "SRE_ERR_JSON", "{\"t\":\"schat\",\"v\":1,\"m\":\"chat\",\"s\":\"%s\"}", s0);
  ADD("m null", "SRE_ERR_JSON", "{\"t\":\"schat\",\"v\":1,\"m\":null,\"s\":\"%s\"}", s0);
  ADD("m a key message", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"key\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\",\"c\":"
      "\"%s\"},"
      "\"s\":\"%s\"}",
      e, r, n64, c64, s0);
  ADD("m with e 0", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":0,\"r\":%u,\"n\":\"%s\",\"c\":"
      "\"%s\"},"
      "\"s\":\"%s\"}",
      r, n64, c64, s0);
  ADD("m with e 2^32", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":4294967296,\"r\":%u,\"n\":\"%"
      "s\","
      "\"c\":\"%s\"},\"s\":\"%s\"}",
      r, n64, c64, s0);
  ADD("m with r 256", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":256,\"n\":\"%s\","
      "\"c\":\"%s\"},"
      "\"s\":\"%s\"}",
      e, n64, c64, s0);
  ADD("m without c", "SRE_ERR_JSON",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%s\"},"
      "\"s\":\"%s\"}",
      e, r, n64, s0);
  ADD("m with a nonce that is not base64", "SRE_ERR_BASE64",
      "{\"t\":\"schat\",\"v\":1,\"m\":{\"t\":\"chat\",\"v\":2,\"e\":%u,\"r\":%u,\"n\":\"%.15s*\","
      "\"c\":\"%s\"},\"s\":\"%s\"}",
      e, r, n64, c64, s0);
#undef ADD
  json_decref(o);
  return a;
}

static json_t *chat_vectors(void) {
  /* 4096 bytes of text for the largest message. */
  static char big[SRE_CHAT_BODY_MAX + 1];
  for (size_t i = 0; i < SRE_CHAT_BODY_MAX; i++) big[i] = "sealroom signed chat "[i % 21];
  static const char utf8[] =
      "Gr\xc3\xbc\xc3\x9f"
      "e, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x91\x8b";
  json_t *msgs = json_array();
  json_array_append_new(msgs, chat_message("a chat text", 1, 0, SRE_CHAT_TEXT, 0, 1767225600000ull,
                                           "Hello, sealroom", 15, 0));
  json_array_append_new(msgs, chat_message("UTF-8 text under a ratcheted key", 3, 2, SRE_CHAT_TEXT,
                                           1, 1767225601234ull, utf8, sizeof utf8 - 1, 1));
  json_array_append_new(msgs, chat_message("the largest: a 4096-byte body, e 2^32-1, r 255, seq "
                                           "2^32-1 (the longest wrapper, 5690 bytes)",
                                           0xffffffffu, 255, SRE_CHAT_TEXT, 0xffffffffu,
                                           1767225602000ull, big, SRE_CHAT_BODY_MAX, 2));
  json_t *refuse = chat_refuse_vectors(msgs);
  return json_pack("{s:s,s:s,s:s,s:o,s:o}", "session_id", session_id, "sender_id", id_s, "note",
                   "messages are sealed by S (docs/e2ee.md 9) and signed with S's key; refuse "
                   "gives the status of a verifier of S, and for an accepted wrapper the inner "
                   "text (chat) and the status of opening it with message 0's chat key "
                   "(chat_status)",
                   "messages", msgs, "refuse", refuse);
}

int main(int argc, char **argv) {
  if (argc != 1) {
    fprintf(stderr, "usage: %s > tests/vectors/e2ee-sign.json\n", argv[0]);
    return 2;
  }
  label_hash("sealroom sign vector seed S", seed_s);
  label_hash("sealroom sign vector seed M", seed_m);
  OK(sre_signer_init(&signer_s, id_s, sid(), strlen(session_id), seed_s));
  OK(sre_signer_init(&signer_m, id_m, sid(), strlen(session_id), seed_m));
  json_t *root = json_object();
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "keys", key_vectors());
  json_object_set_new(root, "frame_hash", hash_vectors());
  json_object_set_new(root, "statement", statement_vectors());
  json_object_set_new(root, "refuse", refuse_vectors());
  json_object_set_new(root, "scenario", scenario_vectors());
  json_object_set_new(root, "chat", chat_vectors());
  char *text = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII);
  if (!text) DIE("json_dumps");
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  json_decref(root);
  sre_signer_clear(&signer_s);
  sre_signer_clear(&signer_m);
  return 0;
}
