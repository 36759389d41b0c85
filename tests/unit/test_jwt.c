/* Unit tests for src/auth/jwt.c: HS256 signing against independently computed
 * tokens, every verification rejection path (size, shape, base64, header,
 * signature, payload) and the join-token claim rules (team, room, times,
 * key rotation, claim sizes). Test tokens are built here with OpenSSL
 * directly so that a bug in the signer cannot hide a bug in the verifier. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/base64.h"
#include "auth/jwt.h"
#include "test.h"

#define NOW INT64_C(1700000000)
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define HS256_HEADER_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static const uint8_t key1[] = "sealroom-test-key";
#define KEY1_LEN (sizeof key1 - 1)

/* ---- helpers ---- */

static void hmac(const uint8_t *key, size_t key_len, const void *data, size_t n,
                 uint8_t out[32]) {
  size_t len = 0;
  CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, n, out, 32, &len) !=
        NULL);
  CHECK_EQ_INT(len, 32);
}

/* Appends base64url(data) to buf at *pos. */
static void put_b64(char *buf, size_t cap, size_t *pos, const void *data, size_t n) {
  int w = base64_encode(data, n, buf + *pos, cap - *pos, BASE64_URL);
  CHECK(w >= 0);
  if (w > 0) *pos += (size_t)w;
}

/* b64(header) "." b64(payload) "." b64(sig); sig_len 32 normally. */
static char *raw_token(const void *header, size_t hlen, const void *payload, size_t plen,
                       const uint8_t *sig, size_t sig_len) {
  size_t cap = (hlen + plen + sig_len) * 2 + 16, pos = 0;
  char *t = malloc(cap);
  if (t == NULL) abort();
  put_b64(t, cap, &pos, header, hlen);
  t[pos++] = '.';
  put_b64(t, cap, &pos, payload, plen);
  t[pos++] = '.';
  put_b64(t, cap, &pos, sig, sig_len);
  t[pos] = '\0';
  return t;
}

/* A correctly HMAC-signed token with arbitrary header and payload bytes. */
static char *signed_token_n(const void *header, size_t hlen, const void *payload, size_t plen,
                            const uint8_t *key, size_t key_len) {
  uint8_t mac[32];
  char *t = raw_token(header, hlen, payload, plen, NULL, 0);
  size_t pos = strlen(t) - 1, cap = pos + 64;
  char *out = realloc(t, cap);
  if (out == NULL) abort();
  hmac(key, key_len, out, pos, mac);
  out[pos++] = '.';
  put_b64(out, cap, &pos, mac, sizeof mac);
  out[pos] = '\0';
  return out;
}

static char *signed_token(const char *header, const char *payload) {
  return signed_token_n(header, strlen(header), payload, strlen(payload), key1, KEY1_LEN);
}

static jwt_status verify(const char *tok) {
  return jwt_verify_hs256(tok, strlen(tok), key1, KEY1_LEN, NULL);
}

static jwt_status verify_hdr(const char *header) {
  char *t = signed_token(header, "{\"sub\":\"x\"}");
  jwt_status st = verify(t);
  free(t);
  return st;
}

static jwt_status verify_payload_n(const char *payload, size_t n) {
  char *t = signed_token_n(HS256_HEADER, strlen(HS256_HEADER), payload, n, key1, KEY1_LEN);
  jwt_status st = verify(t);
  free(t);
  return st;
}

static jwt_status verify_payload(const char *payload) {
  return verify_payload_n(payload, strlen(payload));
}

__attribute__((format(printf, 1, 2))) static char *join_token(const char *fmt, ...) {
  char payload[4096];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(payload, sizeof payload, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof payload) abort();
  return signed_token(HS256_HEADER, payload);
}

/* Verifies a join token for team-1 / room-1 / friendly "kfw-qbtd-zor". */
static jwt_status join_at(const char *tok, int64_t now, int64_t leeway, jwt_join_claims *c) {
  const uint8_t *keys[] = {key1};
  const size_t lens[] = {KEY1_LEN};
  return jwt_verify_join(tok, strlen(tok), keys, lens, 1, "team-1", "room-1", "kfw-qbtd-zor",
                         now, leeway, c);
}

static jwt_status join_payload(const char *payload) {
  jwt_join_claims c;
  char *t = signed_token(HS256_HEADER, payload);
  jwt_status st = join_at(t, NOW, 0, &c);
  free(t);
  return st;
}

/* Token with exp/nbf given as JSON text, checked at NOW with leeway. */
static jwt_status join_times(const char *exp, const char *nbf, int64_t leeway) {
  jwt_join_claims c;
  char *t;
  jwt_status st;
  if (nbf != NULL) {
    t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":%s,\"nbf\":%s}", exp, nbf);
  } else {
    t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":%s}", exp);
  }
  st = join_at(t, NOW, leeway, &c);
  free(t);
  return st;
}

static jwt_status join_exp_offset(int64_t off, int64_t leeway) {
  char exp[32];
  snprintf(exp, sizeof exp, "%lld", (long long)(NOW + off));
  return join_times(exp, NULL, leeway);
}

static jwt_status join_nbf_offset(int64_t off, int64_t leeway) {
  char exp[32], nbf[32];
  snprintf(exp, sizeof exp, "%lld", (long long)(NOW + 3600));
  snprintf(nbf, sizeof nbf, "%lld", (long long)(NOW + off));
  return join_times(exp, nbf, leeway);
}

/* ---- status strings ---- */

static void test_strerror_covers_all(void) {
  CHECK_EQ_STR(jwt_strerror(JWT_OK), "ok");
  CHECK_EQ_INT(JWT_OK, 0);
  for (int i = JWT_OK; i <= JWT_WRONG_ROOM; i++) {
    const char *s = jwt_strerror((jwt_status)i);
    CHECK(s != NULL && s[0] != '\0');
    for (int j = JWT_OK; j < i; j++) CHECK(strcmp(s, jwt_strerror((jwt_status)j)) != 0);
  }
  CHECK(jwt_strerror((jwt_status)(JWT_WRONG_ROOM + 1)) != NULL);
  CHECK(jwt_strerror((jwt_status)-1) != NULL);
  CHECK_EQ_STR(jwt_strerror(JWT_BAD_SIGNATURE), "bad signature");
}

/* ---- signing ---- */

static void test_sign_verify_roundtrip(void) {
  json_t *p = json_pack("{s:s, s:i, s:b, s:[i,i], s:{s:s}}", "sub", "user-7", "n", 42, "ok", 1,
                        "list", 1, 2, "obj", "k", "v\xc3\xa9");
  json_t *back = NULL;
  char *t = jwt_sign_hs256(p, key1, KEY1_LEN);
  CHECK(t != NULL);
  if (t != NULL) {
    CHECK(strncmp(t, HS256_HEADER_B64 ".", strlen(HS256_HEADER_B64) + 1) == 0);
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, KEY1_LEN, &back), JWT_OK);
    CHECK(back != NULL && json_equal(back, p));
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, KEY1_LEN, NULL), JWT_OK);
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), (const uint8_t *)"other", 5, NULL),
                 JWT_BAD_SIGNATURE);
  }
  json_decref(back);
  json_decref(p);
  free(t);
}

/* The jwt.io example, computed independently (python3 hmac and
 * `openssl dgst -sha256 -hmac your-256-bit-secret`). */
static void test_known_token_jwt_io(void) {
  const char *want =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
      "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  const uint8_t *key = (const uint8_t *)"your-256-bit-secret";
  json_t *p = json_pack("{s:s, s:s, s:I}", "sub", "1234567890", "name", "John Doe", "iat",
                        (json_int_t)1516239022);
  json_t *back = NULL;
  char *t = jwt_sign_hs256(p, key, 19);
  CHECK_EQ_STR(t, want);
  CHECK_EQ_INT(jwt_verify_hs256(want, strlen(want), key, 19, &back), JWT_OK);
  CHECK_EQ_STR(json_string_value(json_object_get(back, "name")), "John Doe");
  CHECK_EQ_INT(json_integer_value(json_object_get(back, "iat")), 1516239022);
  json_decref(back);
  json_decref(p);
  free(t);
}

/* A join token computed independently with python3's hmac module. */
static void test_known_join_token(void) {
  const char *want =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0ZCI6InRlYW0tMSIsInJkIjoicm9vbS0xIiwidSI6IkFs"
      "aWNlIiwiZXhwIjoyMDAwMDAwMDAwfQ.a2-nvCobDBikcYlteEi3N4sPTNQ_qcqin-PIcrPBnrE";
  json_t *p = json_pack("{s:s, s:s, s:s, s:I}", "td", "team-1", "rd", "room-1", "u", "Alice",
                        "exp", (json_int_t)2000000000);
  jwt_join_claims c;
  char *t = jwt_sign_hs256(p, key1, KEY1_LEN);
  CHECK_EQ_STR(t, want);
  CHECK_EQ_INT(join_at(want, NOW, 0, &c), JWT_OK);
  CHECK_EQ_STR(c.team_id, "team-1");
  CHECK_EQ_STR(c.room, "room-1");
  CHECK_EQ_STR(c.user_name, "Alice");
  CHECK_EQ_STR(c.user_id, "");
  CHECK_EQ_STR(c.role, "");
  CHECK_EQ_INT(c.exp, 2000000000);
  CHECK_EQ_INT(c.nbf, 0);
  CHECK_EQ_INT(c.iat, 0);
  json_decref(p);
  free(t);
}

static void test_sign_rejects_bad_input(void) {
  json_t *obj = json_pack("{s:i}", "a", 1), *arr = json_pack("[i]", 1);
  CHECK(jwt_sign_hs256(NULL, key1, KEY1_LEN) == NULL);
  CHECK(jwt_sign_hs256(arr, key1, KEY1_LEN) == NULL);
  CHECK(jwt_sign_hs256(obj, NULL, 5) == NULL);
  CHECK(jwt_sign_hs256(obj, key1, 0) == NULL);
  json_decref(obj);
  json_decref(arr);
}

/* RFC 2104: keys longer than SHA-256's 64-byte block are hashed first, so a
 * stored SHA-256 of an 89-byte developer key verifies tokens signed with it. */
static void test_hmac_long_key_equals_hashed_key(void) {
  uint8_t key[89], hashed[32], a[32], b[32];
  unsigned hlen = 0;
  const char *msg = "header.payload";
  json_t *p = json_pack("{s:s}", "sub", "x");
  char *t;
  for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 13 + 5);
  CHECK(EVP_Digest(key, sizeof key, hashed, &hlen, EVP_sha256(), NULL) == 1);
  CHECK_EQ_INT(hlen, 32);
  hmac(key, sizeof key, msg, strlen(msg), a);
  hmac(hashed, sizeof hashed, msg, strlen(msg), b);
  CHECK(memcmp(a, b, 32) == 0);
  t = jwt_sign_hs256(p, key, sizeof key);
  CHECK(t != NULL);
  if (t != NULL) {
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), hashed, sizeof hashed, NULL), JWT_OK);
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key, sizeof key, NULL), JWT_OK);
    /* A 64-byte key is used as is, not hashed. */
    CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key, 64, NULL), JWT_BAD_SIGNATURE);
  }
  free(t);
  json_decref(p);
}

/* ---- header ---- */

static void test_alg_rejected(void) {
  static const char *const bad[] = {
      "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"None\"}",   "{\"alg\":\"NONE\"}",
      "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", "{\"alg\":\"HS512\"}", "{\"alg\":\"RS256\"}",
      "{\"alg\":\"ES256\"}",                "{\"alg\":\"hs256\"}", "{\"alg\":\"HS256 \"}",
      "{\"alg\":\"\"}",                     "{\"typ\":\"JWT\"}",   "{}",
      "{\"alg\":256}",                      "{\"alg\":null}",      "{\"alg\":true}",
      "{\"alg\":[\"HS256\"]}",              "{\"alg\":{\"v\":\"HS256\"}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_EQ_INT(verify_hdr(bad[i]), JWT_BAD_ALG);
  }
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\"}"), JWT_OK);
  CHECK_EQ_INT(verify_hdr("{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"k1\"}"), JWT_OK);
}

/* An unsigned "alg":"none" token as an attacker would send it. */
static void test_alg_none_unsigned(void) {
  const char *hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}", *pl = "{\"sub\":\"admin\"}";
  char *t = raw_token(hdr, strlen(hdr), pl, strlen(pl), NULL, 0);
  CHECK_EQ_INT(verify(t), JWT_MALFORMED); /* empty signature part */
  free(t);
  t = raw_token(hdr, strlen(hdr), pl, strlen(pl), (const uint8_t *)"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                32);
  CHECK_EQ_INT(verify(t), JWT_BAD_ALG);
  free(t);
}

static void test_typ_wrong(void) {
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":\"JWS\"}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":\"jwt\"}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":\"\"}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":1}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":null}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), JWT_OK);
}

static void test_crit_rejected(void) {
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"crit\":[]}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"crit\":null}"), JWT_MALFORMED);
}

static void test_header_not_object(void) {
  CHECK_EQ_INT(verify_hdr("[\"HS256\"]"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("\"HS256\""), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("null"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\""), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\"}x"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\"}{}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{'alg':'HS256'}"), JWT_MALFORMED);
  /* Duplicate members could let two parsers disagree about "alg". */
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"HS256\",\"alg\":\"none\"}"), JWT_MALFORMED);
  CHECK_EQ_INT(verify_hdr("{\"alg\":\"none\",\"alg\":\"HS256\"}"), JWT_MALFORMED);
  /* "HS256\u0000" must not compare equal to "HS256". */
  CHECK(verify_hdr("{\"alg\":\"HS256\\u0000\"}") != JWT_OK);
}

static void test_header_with_raw_nul(void) {
  const char hdr[] = "{\"alg\":\"HS256\"}\0";
  const char *pl = "{\"a\":1}";
  char *t = signed_token_n(hdr, sizeof hdr - 1, pl, strlen(pl), key1, KEY1_LEN);
  CHECK_EQ_INT(verify(t), JWT_MALFORMED);
  free(t);
}

/* ---- tampering ---- */

static char *good_token(void) { return signed_token(HS256_HEADER, "{\"sub\":\"alice\"}"); }

static void test_tampered_header(void) {
  char *t = good_token(), *dot = strchr(t, '.');
  const char *other = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}";
  char hb[128], *forged;
  size_t n = 0;
  CHECK_EQ_INT(verify(t), JWT_OK);
  put_b64(hb, sizeof hb, &n, other, strlen(other));
  forged = malloc(n + strlen(dot) + 1);
  if (forged == NULL) abort();
  memcpy(forged, hb, n);
  strcpy(forged + n, dot);
  CHECK_EQ_INT(verify(forged), JWT_BAD_SIGNATURE);
  free(forged);
  free(t);
}

static void test_tampered_payload(void) {
  char *t = good_token(), *t2 = signed_token(HS256_HEADER, "{\"sub\":\"mallory\"}");
  char *sig1 = strrchr(t, '.'), *sig2 = strrchr(t2, '.');
  char *p1 = strchr(t, '.') + 1;
  CHECK_EQ_INT(verify(t2), JWT_OK);
  /* mallory's header.payload with alice's signature */
  CHECK(strlen(sig1) == strlen(sig2));
  memcpy(sig2, sig1, strlen(sig1));
  CHECK_EQ_INT(verify(t2), JWT_BAD_SIGNATURE);
  /* a single changed payload character ("alice" -> "blice") */
  CHECK_EQ_INT(verify(t), JWT_OK);
  CHECK(p1[11] == 'h');
  p1[11] = 'i';
  CHECK_EQ_INT(verify(t), JWT_BAD_SIGNATURE);
  free(t);
  free(t2);
}

/* Re-encodes token t's signature with byte idx xor'ed with mask. */
static char *flip_sig(const char *t, size_t idx, uint8_t mask) {
  const char *s = strrchr(t, '.') + 1;
  uint8_t sig[32];
  size_t n = 0, pos = (size_t)(s - t);
  char *out = malloc(strlen(t) + 1);
  if (out == NULL) abort();
  CHECK_EQ_INT(base64_decode(s, strlen(s), sig, sizeof sig, &n, BASE64_URL), 0);
  CHECK_EQ_INT(n, 32);
  sig[idx] ^= mask;
  memcpy(out, t, pos);
  put_b64(out, strlen(t) + 1, &pos, sig, sizeof sig);
  out[pos] = '\0';
  return out;
}

static void test_tampered_signature_bits(void) {
  char *t = good_token();
  for (int bit = 0; bit < 8; bit++) {
    char *f = flip_sig(t, 0, (uint8_t)(1u << bit));
    CHECK_EQ_INT(verify(f), JWT_BAD_SIGNATURE);
    free(f);
    f = flip_sig(t, 31, (uint8_t)(1u << bit));
    CHECK_EQ_INT(verify(f), JWT_BAD_SIGNATURE);
    free(f);
  }
  {
    char *f = flip_sig(t, 0, 0);
    CHECK_EQ_STR(f, t);
    CHECK_EQ_INT(verify(f), JWT_OK);
    free(f);
  }
  free(t);
}

static void test_signature_wrong_length(void) {
  static const size_t lens[] = {1, 16, 31, 33, 48, 64};
  const char *pl = "{\"sub\":\"x\"}";
  uint8_t sig[64];
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    char *t = raw_token(HS256_HEADER, strlen(HS256_HEADER), pl, strlen(pl), NULL, 0);
    char *full;
    size_t pos = strlen(t), cap = pos + 128;
    hmac(key1, KEY1_LEN, t, pos - 1, sig); /* correct MAC of header.payload */
    memset(sig + 32, 0, 32);
    full = realloc(t, cap);
    if (full == NULL) abort();
    put_b64(full, cap, &pos, sig, lens[i]);
    full[pos] = '\0';
    CHECK_EQ_INT(verify(full), JWT_BAD_SIGNATURE);
    free(full);
  }
}

static void test_signature_bad_base64(void) {
  char *t = good_token();
  size_t n = strlen(t);
  char *pad = malloc(n + 2), *last = t + n - 1;
  char orig = *last;
  static const char canon[] = "AEIMQUYcgkosw048";
  if (pad == NULL) abort();
  /* padding is not allowed in base64url */
  memcpy(pad, t, n);
  pad[n] = '=';
  pad[n + 1] = '\0';
  CHECK_EQ_INT(verify(pad), JWT_MALFORMED);
  free(pad);
  /* 43 chars: the last one may not set the low 2 bits */
  CHECK(strchr(canon, orig) != NULL);
  *last = (char)(orig + 1);
  CHECK_EQ_INT(verify(t), JWT_MALFORMED);
  /* standard-alphabet characters */
  *last = orig;
  t[n - 5] = '+';
  CHECK_EQ_INT(verify(t), JWT_MALFORMED);
  t[n - 5] = '/';
  CHECK_EQ_INT(verify(t), JWT_MALFORMED);
  free(t);
}

static void test_wrong_or_empty_key(void) {
  char *t = good_token();
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, KEY1_LEN - 1, NULL), JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), NULL, 0, NULL), JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), NULL, 10, NULL), JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, 0, NULL), JWT_BAD_SIGNATURE);
  free(t);
}

/* ---- shape and size ---- */

static void test_wrong_part_count_or_empty_parts(void) {
  char *t = good_token(), buf[512];
  const char *p2 = strchr(t, '.') + 1, *p3 = strrchr(t, '.') + 1;
  int h = (int)(p2 - t - 1), p = (int)(p3 - p2 - 1);
  snprintf(buf, sizeof buf, "%.*s.%.*s", h, t, p, p2); /* 2 parts */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  snprintf(buf, sizeof buf, "%s.%s", t, p3); /* 4 parts */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  snprintf(buf, sizeof buf, "%s.", t); /* 4th part empty */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  snprintf(buf, sizeof buf, "%.*s..%s", h, t, p3); /* empty payload */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  snprintf(buf, sizeof buf, ".%.*s.%s", p, p2, p3); /* empty header */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  snprintf(buf, sizeof buf, "%.*s.%.*s.", h, t, p, p2); /* empty signature */
  CHECK_EQ_INT(verify(buf), JWT_MALFORMED);
  static const char *const junk[] = {"", ".", "..", "...", "abc", "a.b", "a.b.c.d"};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
    CHECK_EQ_INT(verify(junk[i]), JWT_MALFORMED);
  }
  CHECK_EQ_INT(jwt_verify_hs256(NULL, 0, key1, KEY1_LEN, NULL), JWT_MALFORMED);
  /* Only len bytes count: a valid token cut short is not valid. */
  CHECK(jwt_verify_hs256(t, strlen(t) - 1, key1, KEY1_LEN, NULL) != JWT_OK);
  free(t);
}

static void test_embedded_nul_in_token(void) {
  char *t = good_token();
  size_t n = strlen(t);
  t[5] = '\0';
  CHECK_EQ_INT(jwt_verify_hs256(t, n, key1, KEY1_LEN, NULL), JWT_MALFORMED);
  free(t);
}

/* Payload {"p":"xxx..."} sized so the token is exactly `len` characters. */
static json_t *payload_for_token_len(size_t len) {
  /* len = 36 + 1 + b64(8 + k) + 1 + 43, with 8 + k bytes of JSON. */
  size_t b64 = len - 81, bytes = b64 / 4 * 3 + (b64 % 4 ? b64 % 4 - 1 : 0);
  char *s = malloc(bytes - 8 + 1);
  json_t *p;
  if (s == NULL) abort();
  memset(s, 'x', bytes - 8);
  s[bytes - 8] = '\0';
  p = json_pack("{s:s}", "p", s);
  free(s);
  return p;
}

static void test_token_size_limit(void) {
  json_t *p = payload_for_token_len(JWT_MAX_LEN);
  json_t *p2 = payload_for_token_len(JWT_MAX_LEN + 1);
  char *t = jwt_sign_hs256(p, key1, KEY1_LEN), *big;
  CHECK(t != NULL);
  if (t != NULL) {
    CHECK_EQ_INT(strlen(t), JWT_MAX_LEN);
    CHECK_EQ_INT(verify(t), JWT_OK);
  }
  /* the signer refuses to issue what the verifier would refuse */
  CHECK(jwt_sign_hs256(p2, key1, KEY1_LEN) == NULL);
  big = malloc(JWT_MAX_LEN * 2);
  if (big == NULL) abort();
  memset(big, 'A', JWT_MAX_LEN * 2);
  CHECK_EQ_INT(jwt_verify_hs256(big, JWT_MAX_LEN + 1, key1, KEY1_LEN, NULL), JWT_TOO_LARGE);
  CHECK_EQ_INT(jwt_verify_hs256(big, JWT_MAX_LEN * 2, key1, KEY1_LEN, NULL), JWT_TOO_LARGE);
  CHECK_EQ_INT(jwt_verify_hs256(big, SIZE_MAX, key1, KEY1_LEN, NULL), JWT_TOO_LARGE);
  free(big);
  /* a correctly signed token one character too long */
  {
    char *pj = json_dumps(p2, JSON_COMPACT);
    char *t2 = signed_token(HS256_HEADER, pj);
    CHECK_EQ_INT(strlen(t2), JWT_MAX_LEN + 1);
    CHECK_EQ_INT(verify(t2), JWT_TOO_LARGE);
    free(t2);
    free(pj);
  }
  free(t);
  json_decref(p);
  json_decref(p2);
}

/* ---- payload ---- */

static void test_non_object_payload(void) {
  static const char *const bad[] = {
      "[1,2]", "\"str\"", "42", "null", "true", "not json", "{\"a\":1} x", "{\"a\":1}{}",
      "{\"a\":1,\"a\":2}", "{\"a\":", " ",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_EQ_INT(verify_payload(bad[i]), JWT_MALFORMED);
  }
  CHECK_EQ_INT(verify_payload_n("{\"a\":1}\0", 8), JWT_MALFORMED);
  CHECK_EQ_INT(verify_payload("{}"), JWT_OK);
  CHECK_EQ_INT(verify_payload(" {\"a\" : 1} "), JWT_OK);
}

static void test_payload_out_only_on_ok(void) {
  json_t sentinel_storage, *sentinel = &sentinel_storage, *out = sentinel;
  char *t = good_token();
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, 3, &out), JWT_BAD_SIGNATURE);
  CHECK(out == sentinel);
  CHECK_EQ_INT(jwt_verify_hs256("a.b", 3, key1, KEY1_LEN, &out), JWT_MALFORMED);
  CHECK(out == sentinel);
  free(t);
  t = signed_token(HS256_HEADER, "[1]");
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), key1, KEY1_LEN, &out), JWT_MALFORMED);
  CHECK(out == sentinel);
  free(t);
}

/* The payload is only parsed once the signature is good: an invalid payload
 * under a wrong key reports the signature, not the payload. */
static void test_signature_checked_before_payload(void) {
  char *t = signed_token(HS256_HEADER, "this is not json");
  CHECK_EQ_INT(jwt_verify_hs256(t, strlen(t), (const uint8_t *)"k", 1, NULL),
               JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(verify(t), JWT_MALFORMED);
  free(t);
}

/* ---- join tokens ---- */

static void test_join_all_claims(void) {
  jwt_join_claims c;
  char *t = join_token(
      "{\"td\":\"team-1\",\"rd\":\"room-1\",\"u\":\"Bob B\",\"ud\":\"u-42\",\"role\":\"host\","
      "\"initials\":\"BB\",\"avatar\":\"https://x/a.png\",\"iat\":%lld,\"nbf\":%lld,"
      "\"exp\":%lld,\"extra\":[1]}",
      (long long)NOW - 10, (long long)NOW - 5, (long long)NOW + 60);
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_OK);
  CHECK_EQ_STR(c.team_id, "team-1");
  CHECK_EQ_STR(c.room, "room-1");
  CHECK_EQ_STR(c.user_name, "Bob B");
  CHECK_EQ_STR(c.user_id, "u-42");
  CHECK_EQ_STR(c.role, "host");
  CHECK_EQ_STR(c.initials, "BB");
  CHECK_EQ_STR(c.avatar, "https://x/a.png");
  CHECK_EQ_INT(c.iat, NOW - 10);
  CHECK_EQ_INT(c.nbf, NOW - 5);
  CHECK_EQ_INT(c.exp, NOW + 60);
  free(t);
}

static void test_join_expired_boundaries(void) {
  CHECK_EQ_INT(join_exp_offset(1, 0), JWT_OK);
  CHECK_EQ_INT(join_exp_offset(0, 0), JWT_EXPIRED); /* now == exp */
  CHECK_EQ_INT(join_exp_offset(-1, 0), JWT_EXPIRED);
  CHECK_EQ_INT(join_exp_offset(-29, 30), JWT_OK);
  CHECK_EQ_INT(join_exp_offset(-30, 30), JWT_EXPIRED); /* now == exp + leeway */
  CHECK_EQ_INT(join_exp_offset(-31, 30), JWT_EXPIRED);
  CHECK_EQ_INT(join_exp_offset(-100000, 30), JWT_EXPIRED);
  CHECK_EQ_INT(join_exp_offset(0, -5), JWT_EXPIRED); /* negative leeway counts as 0 */
  CHECK_EQ_INT(join_exp_offset(1, -5), JWT_OK);
}

static void test_join_not_yet_valid_boundaries(void) {
  CHECK_EQ_INT(join_nbf_offset(0, 0), JWT_OK); /* now == nbf */
  CHECK_EQ_INT(join_nbf_offset(-1, 0), JWT_OK);
  CHECK_EQ_INT(join_nbf_offset(1, 0), JWT_NOT_YET_VALID);
  CHECK_EQ_INT(join_nbf_offset(30, 0), JWT_NOT_YET_VALID);
  CHECK_EQ_INT(join_nbf_offset(30, 30), JWT_OK); /* now + leeway == nbf */
  CHECK_EQ_INT(join_nbf_offset(29, 30), JWT_OK);
  CHECK_EQ_INT(join_nbf_offset(31, 30), JWT_NOT_YET_VALID);
}

static void test_join_time_formats(void) {
  jwt_join_claims c;
  char *t;
  CHECK_EQ_INT(join_times("2000000000.0", NULL, 0), JWT_OK);
  CHECK_EQ_INT(join_times("2e9", NULL, 0), JWT_OK);
  CHECK_EQ_INT(join_times("2000000000.5", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("\"2000000000\"", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("null", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("true", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("[2000000000]", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("1e300", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("-1e300", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("9223372036854775808.0", NULL, 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("99999999999999999999", NULL, 0), JWT_MALFORMED); /* > int64 */
  CHECK_EQ_INT(join_times("2000000000", "\"1\"", 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("2000000000", "1.25", 0), JWT_MALFORMED);
  CHECK_EQ_INT(join_times("2000000000", "1000.0", 0), JWT_OK);
  /* extremes must not overflow exp + leeway or now + leeway */
  CHECK_EQ_INT(join_times("9223372036854775807", NULL, 1000), JWT_OK);
  CHECK_EQ_INT(join_times("-9223372036854775808", NULL, 1000), JWT_EXPIRED);
  CHECK_EQ_INT(join_times("9223372036854775807", "9223372036854775807", 1000),
               JWT_NOT_YET_VALID);
  CHECK_EQ_INT(join_times("9223372036854775807", "-9223372036854775808", 1000), JWT_OK);
  {
    const uint8_t *keys[] = {key1};
    const size_t lens[] = {KEY1_LEN};
    t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":%lld,\"nbf\":%lld}",
                   (long long)INT64_MAX, (long long)INT64_MAX - 5);
    CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, "team-1", "room-1", NULL,
                                 INT64_MAX - 10, INT64_MAX, &c),
                 JWT_OK);
    free(t);
  }
  t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"iat\":\"x\"}");
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_MALFORMED);
  free(t);
  t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"iat\":1.5e9}");
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_OK);
  CHECK_EQ_INT(c.iat, 1500000000);
  free(t);
}

static void test_join_missing_claims(void) {
  CHECK_EQ_INT(join_payload("{\"td\":\"team-1\",\"rd\":\"room-1\"}"), JWT_MISSING_CLAIM);
  CHECK_EQ_INT(join_payload("{\"rd\":\"room-1\",\"exp\":2000000000}"), JWT_MISSING_CLAIM);
  CHECK_EQ_INT(join_payload("{\"td\":\"team-1\",\"exp\":2000000000}"), JWT_MISSING_CLAIM);
  CHECK_EQ_INT(join_payload("{}"), JWT_MISSING_CLAIM);
  CHECK_EQ_INT(join_payload("{\"td\":1,\"rd\":\"room-1\",\"exp\":2000000000}"), JWT_MALFORMED);
  CHECK_EQ_INT(join_payload("{\"td\":\"team-1\",\"rd\":null,\"exp\":2000000000}"),
               JWT_MALFORMED);
  CHECK_EQ_INT(join_payload("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000}"),
               JWT_OK);
}

static void test_join_wrong_team(void) {
  const uint8_t *keys[] = {key1};
  const size_t lens[] = {KEY1_LEN};
  jwt_join_claims c;
  char *t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000}");
  size_t n = strlen(t);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-2", "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-10", "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-", "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "TEAM-1", "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, NULL, "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  free(t);
  t = join_token("{\"td\":\"\",\"rd\":\"room-1\",\"exp\":2000000000}");
  CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, "", "room-1", NULL, NOW, 0, &c),
               JWT_WRONG_TEAM);
  free(t);
}

static void test_join_wrong_room(void) {
  const uint8_t *keys[] = {key1};
  const size_t lens[] = {KEY1_LEN};
  jwt_join_claims c;
  char *t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000}");
  size_t n = strlen(t);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-2", "abc-defg-hij", NOW, 0,
                               &c),
               JWT_WRONG_ROOM);
  /* room ids are compared exactly */
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "ROOM-1", NULL, NOW, 0, &c),
               JWT_WRONG_ROOM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-11", "room-11", NOW, 0, &c),
               JWT_WRONG_ROOM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", NULL, NULL, NOW, 0, &c),
               JWT_WRONG_ROOM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", NULL, NOW, 0, &c),
               JWT_OK);
  free(t);
  t = join_token("{\"td\":\"team-1\",\"rd\":\"\",\"exp\":2000000000}");
  CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, "team-1", "", "", NOW, 0, &c),
               JWT_WRONG_ROOM);
  free(t);
}

static void test_join_friendly_url_case_insensitive(void) {
  const uint8_t *keys[] = {key1};
  const size_t lens[] = {KEY1_LEN};
  jwt_join_claims c;
  char *t = join_token("{\"td\":\"team-1\",\"rd\":\"KFW-Qbtd-ZOR\",\"exp\":2000000000}");
  size_t n = strlen(t);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", "kfw-qbtd-zor", NOW, 0,
                               &c),
               JWT_OK);
  CHECK_EQ_STR(c.room, "KFW-Qbtd-ZOR");
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", "kfw-qbtd-zo", NOW, 0,
                               &c),
               JWT_WRONG_ROOM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", "kfw-qbtd-zorr", NOW,
                               0, &c),
               JWT_WRONG_ROOM);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", "kfw_qbtd_zor", NOW, 0,
                               &c),
               JWT_WRONG_ROOM);
  free(t);
}

static void test_join_multiple_keys(void) {
  const uint8_t k1[] = "first-key", k2[] = "second-key", k3[] = "third-key";
  const uint8_t *keys[] = {k1, k2, k3};
  const size_t lens[] = {sizeof k1 - 1, sizeof k2 - 1, sizeof k3 - 1};
  const uint8_t *only_others[] = {k1, k3};
  const size_t other_lens[] = {sizeof k1 - 1, sizeof k3 - 1};
  const uint8_t *with_null[] = {NULL, k1, k2};
  const size_t null_lens[] = {0, sizeof k1 - 1, sizeof k2 - 1};
  const char *pl = "{\"td\":\"team-1\",\"rd\":\"room-1\",\"u\":\"Kim\",\"exp\":2000000000}";
  char *t = signed_token_n(HS256_HEADER, strlen(HS256_HEADER), pl, strlen(pl), k2,
                           sizeof k2 - 1);
  size_t n = strlen(t);
  jwt_join_claims c;
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 3, "team-1", "room-1", NULL, NOW, 0, &c),
               JWT_OK);
  CHECK_EQ_STR(c.user_name, "Kim");
  CHECK_EQ_INT(jwt_verify_join(t, n, keys + 1, lens + 1, 1, "team-1", "room-1", NULL, NOW, 0,
                               &c),
               JWT_OK);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 1, "team-1", "room-1", NULL, NOW, 0, &c),
               JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_join(t, n, only_others, other_lens, 2, "team-1", "room-1", NULL, NOW,
                               0, &c),
               JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_join(t, n, with_null, null_lens, 3, "team-1", "room-1", NULL, NOW, 0,
                               &c),
               JWT_OK);
  CHECK_EQ_INT(jwt_verify_join(t, n, keys, lens, 0, "team-1", "room-1", NULL, NOW, 0, &c),
               JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(jwt_verify_join(t, n, NULL, NULL, 3, "team-1", "room-1", NULL, NOW, 0, &c),
               JWT_BAD_SIGNATURE);
  free(t);
}

/* A string claim of `len` bytes of 'a' must be OK iff len < cap. */
static void check_claim_limit(const char *name, size_t cap) {
  char *val = malloc(cap + 2);
  if (val == NULL) abort();
  for (size_t len = cap - 1; len <= cap; len++) {
    char *t;
    jwt_join_claims c;
    memset(val, 'a', len);
    val[len] = '\0';
    t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"%s\":\"%s\"}",
                   name, val);
    CHECK_EQ_INT(join_at(t, NOW, 0, &c), len < cap ? JWT_OK : JWT_MALFORMED);
    free(t);
  }
  free(val);
}

static void test_join_overlong_claims(void) {
  jwt_join_claims c;
  char *t;
  check_claim_limit("u", sizeof c.user_name);
  check_claim_limit("ud", sizeof c.user_id);
  check_claim_limit("role", sizeof c.role);
  check_claim_limit("initials", sizeof c.initials);
  check_claim_limit("avatar", sizeof c.avatar);
  /* multi-byte UTF-8 is counted in bytes: 128 x "é" = 256 bytes */
  {
    char val[300] = "";
    for (int i = 0; i < 128; i++) strcat(val, "\xc3\xa9");
    t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"u\":\"%s\"}", val);
    CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_MALFORMED);
    free(t);
  }
  CHECK_EQ_INT(join_payload("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"u\":1}"),
               JWT_MALFORMED);
  CHECK_EQ_INT(
      join_payload("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"role\":null}"),
      JWT_MALFORMED);
  CHECK_EQ_INT(
      join_payload("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000,\"ud\":[\"x\"]}"),
      JWT_MALFORMED);
  /* td/rd that match but cannot fit in the 64-byte fields */
  {
    const uint8_t *keys[] = {key1};
    const size_t lens[] = {KEY1_LEN};
    char id64[65];
    memset(id64, 't', 64);
    id64[64] = '\0';
    t = join_token("{\"td\":\"%s\",\"rd\":\"room-1\",\"exp\":2000000000}", id64);
    CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, id64, "room-1", NULL, NOW, 0, &c),
                 JWT_MALFORMED);
    free(t);
    t = join_token("{\"td\":\"team-1\",\"rd\":\"%s\",\"exp\":2000000000}", id64);
    CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, "team-1", id64, NULL, NOW, 0, &c),
                 JWT_MALFORMED);
    free(t);
    id64[63] = '\0';
    t = join_token("{\"td\":\"%s\",\"rd\":\"%s\",\"exp\":2000000000}", id64, id64);
    CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, id64, id64, NULL, NOW, 0, &c),
                 JWT_OK);
    CHECK_EQ_STR(c.team_id, id64);
    CHECK_EQ_STR(c.room, id64);
    free(t);
  }
}

static int all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    if (b[i] != 0) return 0;
  }
  return 1;
}

static void test_join_out_zeroed_on_failure(void) {
  jwt_join_claims c;
  char *t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"u\":\"Al\",\"exp\":%lld}",
                       (long long)NOW);
  /* Every claim is zeroed; only signature_ok tells whether the MAC matched
   * (the failure is then about the claims, not about who made the token). */
  memset(&c, 'x', sizeof c);
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_EXPIRED);
  CHECK_EQ_INT(c.signature_ok, 1);
  c.signature_ok = 0;
  CHECK(all_zero(&c, sizeof c));
  memset(&c, 'x', sizeof c);
  CHECK_EQ_INT(join_at("x.y.z", NOW, 0, &c), JWT_MALFORMED);
  CHECK_EQ_INT(c.signature_ok, 0);
  CHECK(all_zero(&c, sizeof c));
  CHECK_EQ_INT(join_at(t, NOW - 1, 0, &c), JWT_OK);
  CHECK_EQ_STR(c.user_name, "Al");
  free(t);
}

static void test_join_propagates_token_errors(void) {
  jwt_join_claims c;
  const uint8_t *keys[] = {key1};
  const size_t lens[] = {KEY1_LEN};
  char *t = signed_token("{\"alg\":\"none\"}",
                         "{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000}");
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_BAD_ALG);
  free(t);
  t = signed_token(HS256_HEADER, "[\"td\",\"team-1\"]");
  CHECK_EQ_INT(join_at(t, NOW, 0, &c), JWT_MALFORMED);
  free(t);
  t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":2000000000}");
  CHECK_EQ_INT(jwt_verify_join(t, JWT_MAX_LEN + 1, keys, lens, 1, "team-1", "room-1", NULL, NOW,
                               0, &c),
               JWT_TOO_LARGE);
  CHECK_EQ_INT(jwt_verify_join(t, strlen(t), keys, lens, 1, "team-1", "room-1", NULL, NOW, 0,
                               NULL),
               JWT_MALFORMED);
  free(t);
}

/* The optional "e2ee" claim: true sets it, false or absent leave it 0,
 * anything but a boolean makes the token malformed. */
static void test_join_e2ee_claim(void) {
  static const struct { const char *claim; jwt_status st; int e2ee; } cases[] = {
      {"", JWT_OK, 0},
      {",\"e2ee\":true", JWT_OK, 1},
      {",\"e2ee\":false", JWT_OK, 0},
      {",\"e2ee\":\"true\"", JWT_MALFORMED, 0},
      {",\"e2ee\":1", JWT_MALFORMED, 0},
      {",\"e2ee\":null", JWT_MALFORMED, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jwt_join_claims c;
    char *t = join_token("{\"td\":\"team-1\",\"rd\":\"room-1\",\"exp\":%lld%s}", (long long)NOW + 60,
                         cases[i].claim);
    CHECK_EQ_INT(join_at(t, NOW, 0, &c), cases[i].st);
    if (cases[i].st == JWT_OK) CHECK_EQ_INT(c.e2ee, cases[i].e2ee);
    free(t);
  }
}

TEST_SUITE(jwt, {"strerror_covers_all", test_strerror_covers_all},
           {"join_e2ee_claim", test_join_e2ee_claim},
           {"sign_verify_roundtrip", test_sign_verify_roundtrip},
           {"known_token_jwt_io", test_known_token_jwt_io},
           {"known_join_token", test_known_join_token},
           {"sign_rejects_bad_input", test_sign_rejects_bad_input},
           {"hmac_long_key_equals_hashed_key", test_hmac_long_key_equals_hashed_key},
           {"alg_rejected", test_alg_rejected}, {"alg_none_unsigned", test_alg_none_unsigned},
           {"typ_wrong", test_typ_wrong}, {"crit_rejected", test_crit_rejected},
           {"header_not_object", test_header_not_object},
           {"header_with_raw_nul", test_header_with_raw_nul},
           {"tampered_header", test_tampered_header},
           {"tampered_payload", test_tampered_payload},
           {"tampered_signature_bits", test_tampered_signature_bits},
           {"signature_wrong_length", test_signature_wrong_length},
           {"signature_bad_base64", test_signature_bad_base64},
           {"wrong_or_empty_key", test_wrong_or_empty_key},
           {"wrong_part_count_or_empty_parts", test_wrong_part_count_or_empty_parts},
           {"embedded_nul_in_token", test_embedded_nul_in_token},
           {"token_size_limit", test_token_size_limit},
           {"non_object_payload", test_non_object_payload},
           {"payload_out_only_on_ok", test_payload_out_only_on_ok},
           {"signature_checked_before_payload", test_signature_checked_before_payload},
           {"join_all_claims", test_join_all_claims},
           {"join_expired_boundaries", test_join_expired_boundaries},
           {"join_not_yet_valid_boundaries", test_join_not_yet_valid_boundaries},
           {"join_time_formats", test_join_time_formats},
           {"join_missing_claims", test_join_missing_claims},
           {"join_wrong_team", test_join_wrong_team}, {"join_wrong_room", test_join_wrong_room},
           {"join_friendly_url_case_insensitive", test_join_friendly_url_case_insensitive},
           {"join_multiple_keys", test_join_multiple_keys},
           {"join_overlong_claims", test_join_overlong_claims},
           {"join_out_zeroed_on_failure", test_join_out_zeroed_on_failure},
           {"join_propagates_token_errors", test_join_propagates_token_errors});
