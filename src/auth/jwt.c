/* HS256 JWT signing and strict verification, plus join-token claim checks.
 * Verification order: size, shape (three non-empty parts), header ("alg" must
 * be exactly "HS256"), signature (32 bytes, HMAC-SHA256, compared in constant
 * time), and only then the payload is decoded and parsed. */
#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "auth/base64.h"

#define MAC_LEN 32
#define HEADER_JSON "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* Decoded bytes are fewer than the characters they came from. */
#define DECODE_CAP JWT_MAX_LEN

/* A split token: pointers into the caller's text plus the decoded MAC. */
typedef struct {
  const char *part[3];
  size_t part_len[3];
  size_t signing_len; /* length of "header.payload" at the token's start */
  uint8_t sig[MAC_LEN];
} jwt_parts;

#define JWT_STATUS_TEXT_(name, text) text,
static const char *const status_text[] = {JWT_STATUS_LIST(JWT_STATUS_TEXT_)};
#undef JWT_STATUS_TEXT_

const char *jwt_strerror(jwt_status s) {
  size_t i = (size_t)s;
  if (i >= sizeof status_text / sizeof status_text[0]) return "unknown jwt status";
  return status_text[i];
}

/* HMAC-SHA256 of data under key; returns 0 or -1. */
static int hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t n,
                       uint8_t out[MAC_LEN]) {
  size_t out_len = 0;
  if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, n, out, MAC_LEN,
                &out_len) == NULL) {
    return -1;
  }
  return out_len == MAC_LEN ? 0 : -1;
}

/* ---- signing ---- */

/* Serializes payload compactly into a malloc'd buffer (not NUL-terminated). */
static char *dump_payload(const json_t *payload, size_t *len) {
  size_t need = json_dumpb(payload, NULL, 0, JSON_COMPACT);
  char *buf;
  if (need == 0 || need > JWT_MAX_LEN) return NULL;
  buf = malloc(need);
  if (buf == NULL) return NULL;
  if (json_dumpb(payload, buf, need, JSON_COMPACT) != need) {
    free(buf);
    return NULL;
  }
  *len = need;
  return buf;
}

/* Appends base64url of data at tok+*pos; returns 0 or -1. */
static int append_b64(char *tok, size_t cap, size_t *pos, const void *data, size_t n) {
  int w = base64_encode(data, n, tok + *pos, cap - *pos, BASE64_URL);
  if (w < 0) return -1;
  *pos += (size_t)w;
  return 0;
}

/* Writes header.payload.signature into tok (cap bytes including the NUL). */
static int build_token(char *tok, size_t cap, const char *json, size_t json_len,
                       const uint8_t *key, size_t key_len) {
  uint8_t mac[MAC_LEN];
  size_t pos = 0;
  int rc = -1;
  if (append_b64(tok, cap, &pos, HEADER_JSON, strlen(HEADER_JSON)) != 0) return -1;
  tok[pos++] = '.';
  if (append_b64(tok, cap, &pos, json, json_len) != 0) return -1;
  if (hmac_sha256(key, key_len, tok, pos, mac) == 0) {
    tok[pos++] = '.';
    rc = append_b64(tok, cap, &pos, mac, MAC_LEN);
  }
  OPENSSL_cleanse(mac, sizeof mac);
  return rc;
}

char *jwt_sign_hs256(const json_t *payload, const uint8_t *key, size_t key_len) {
  char *json, *tok = NULL;
  size_t json_len = 0, total;
  if (!json_is_object(payload) || key == NULL || key_len == 0) return NULL;
  json = dump_payload(payload, &json_len);
  if (json == NULL) return NULL;
  total = base64_encoded_len(strlen(HEADER_JSON), BASE64_URL) + 1 +
          base64_encoded_len(json_len, BASE64_URL) + 1 +
          base64_encoded_len(MAC_LEN, BASE64_URL);
  if (total <= JWT_MAX_LEN) tok = malloc(total + 1);
  if (tok != NULL && build_token(tok, total + 1, json, json_len, key, key_len) != 0) {
    free(tok);
    tok = NULL;
  }
  free(json);
  return tok;
}

/* ---- verification ---- */

/* Splits at the two dots; any other count or an empty part is malformed. */
static jwt_status split_token(const char *tok, size_t len, jwt_parts *p) {
  size_t start = 0;
  for (int i = 0; i < 3; i++) {
    const char *dot;
    size_t end;
    if (start >= len) return JWT_MALFORMED; /* empty final part */
    dot = memchr(tok + start, '.', len - start);
    end = dot ? (size_t)(dot - tok) : len;
    if ((i < 2) != (dot != NULL) || end == start) return JWT_MALFORMED;
    p->part[i] = tok + start;
    p->part_len[i] = end - start;
    start = end + 1;
  }
  p->signing_len = p->part_len[0] + 1 + p->part_len[1];
  return JWT_OK;
}

/* Decodes one base64url part and parses it as a JSON object. */
static jwt_status load_object(const char *b64, size_t n, json_t **out) {
  uint8_t buf[DECODE_CAP];
  size_t len = 0;
  json_t *obj;
  if (base64_decode(b64, n, buf, sizeof buf, &len, BASE64_URL) != 0) return JWT_MALFORMED;
  obj = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(obj)) {
    json_decref(obj);
    return JWT_MALFORMED;
  }
  *out = obj;
  return JWT_OK;
}

static int is_string_exactly(const json_t *v, const char *want) {
  size_t n = strlen(want);
  return json_is_string(v) && json_string_length(v) == n &&
         memcmp(json_string_value(v), want, n) == 0;
}

/* The only accepted header: alg "HS256", optional typ "JWT", no crit. */
static jwt_status check_header_fields(const json_t *hdr) {
  const json_t *typ = json_object_get(hdr, "typ");
  if (!is_string_exactly(json_object_get(hdr, "alg"), "HS256")) return JWT_BAD_ALG;
  if (typ != NULL && !is_string_exactly(typ, "JWT")) return JWT_MALFORMED;
  if (json_object_get(hdr, "crit") != NULL) return JWT_MALFORMED;
  return JWT_OK;
}

static jwt_status check_header(const jwt_parts *p) {
  json_t *hdr = NULL;
  jwt_status st = load_object(p->part[0], p->part_len[0], &hdr);
  if (st != JWT_OK) return st;
  st = check_header_fields(hdr);
  json_decref(hdr);
  return st;
}

static jwt_status decode_signature(jwt_parts *p) {
  uint8_t buf[DECODE_CAP];
  size_t len = 0;
  jwt_status st = JWT_OK;
  if (base64_decode(p->part[2], p->part_len[2], buf, sizeof buf, &len, BASE64_URL) != 0) {
    st = JWT_MALFORMED;
  } else if (len != MAC_LEN) {
    st = JWT_BAD_SIGNATURE;
  } else {
    memcpy(p->sig, buf, MAC_LEN);
  }
  OPENSSL_cleanse(buf, len);
  return st;
}

/* Everything that can be checked without a key. */
static jwt_status parse_token(const char *tok, size_t len, jwt_parts *p) {
  jwt_status st;
  if (tok == NULL) return JWT_MALFORMED;
  if (len > JWT_MAX_LEN) return JWT_TOO_LARGE;
  st = split_token(tok, len, p);
  if (st == JWT_OK) st = check_header(p);
  if (st == JWT_OK) st = decode_signature(p);
  return st;
}

static int mac_matches(const char *tok, const jwt_parts *p, const uint8_t *key,
                       size_t key_len) {
  uint8_t mac[MAC_LEN];
  int ok;
  if (key == NULL || key_len == 0) return 0;
  ok = hmac_sha256(key, key_len, tok, p->signing_len, mac) == 0 &&
       CRYPTO_memcmp(mac, p->sig, MAC_LEN) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  return ok;
}

jwt_status jwt_verify_hs256(const char *token, size_t len, const uint8_t *key, size_t key_len,
                            json_t **payload_out) {
  jwt_parts p;
  json_t *payload = NULL;
  jwt_status st;
  memset(&p, 0, sizeof p);
  st = parse_token(token, len, &p);
  if (st == JWT_OK && !mac_matches(token, &p, key, key_len)) st = JWT_BAD_SIGNATURE;
  OPENSSL_cleanse(p.sig, sizeof p.sig);
  if (st == JWT_OK) st = load_object(p.part[1], p.part_len[1], &payload);
  if (st != JWT_OK) return st;
  if (payload_out != NULL) {
    *payload_out = payload;
  } else {
    json_decref(payload);
  }
  return JWT_OK;
}

/* ---- join-token claims ---- */

static int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

/* A NumericDate: a JSON integer, or a real with an integral value in range. */
static jwt_status claim_time(const json_t *obj, const char *name, int required,
                             int64_t *out) {
  const json_t *v = json_object_get(obj, name);
  double d;
  if (v == NULL) {
    *out = 0;
    return required ? JWT_MISSING_CLAIM : JWT_OK;
  }
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return JWT_OK;
  }
  if (!json_is_real(v)) return JWT_MALFORMED;
  d = json_real_value(v);
  /* The range test is false for NaN too; 2^63 itself is out of range. */
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return JWT_MALFORMED;
  if ((double)(int64_t)d != d) return JWT_MALFORMED;
  *out = (int64_t)d;
  return JWT_OK;
}

/* Copies a string claim into dst[cap]; absent gives "" (or MISSING_CLAIM if
 * required); a non-string, a NUL inside or cap-1 bytes exceeded is malformed. */
static jwt_status claim_string(const json_t *obj, const char *name, int required, char *dst,
                               size_t cap) {
  const json_t *v = json_object_get(obj, name);
  size_t n;
  dst[0] = '\0';
  if (v == NULL) return required ? JWT_MISSING_CLAIM : JWT_OK;
  if (!json_is_string(v)) return JWT_MALFORMED;
  n = json_string_length(v);
  if (n >= cap || memchr(json_string_value(v), '\0', n) != NULL) return JWT_MALFORMED;
  memcpy(dst, json_string_value(v), n);
  dst[n] = '\0';
  return JWT_OK;
}

/* Fetches a required string claim without copying it. */
static jwt_status claim_view(const json_t *obj, const char *name, const char **s, size_t *n) {
  const json_t *v = json_object_get(obj, name);
  if (v == NULL) return JWT_MISSING_CLAIM;
  if (!json_is_string(v)) return JWT_MALFORMED;
  *s = json_string_value(v);
  *n = json_string_length(v);
  return JWT_OK;
}

static int same_bytes(const char *s, size_t n, const char *want) {
  return want != NULL && want[0] != '\0' && strlen(want) == n && memcmp(s, want, n) == 0;
}

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static int same_ascii_nocase(const char *s, size_t n, const char *want) {
  if (want == NULL || want[0] == '\0' || strlen(want) != n) return 0;
  for (size_t i = 0; i < n; i++) {
    if (ascii_lower(s[i]) != ascii_lower(want[i])) return 0;
  }
  return 1;
}

static jwt_status check_team(const json_t *c, const char *team_id, jwt_join_claims *out) {
  const char *s = NULL;
  size_t n = 0;
  jwt_status st = claim_view(c, "td", &s, &n);
  if (st != JWT_OK) return st;
  if (!same_bytes(s, n, team_id)) return JWT_WRONG_TEAM;
  return claim_string(c, "td", 1, out->team_id, sizeof out->team_id);
}

static jwt_status check_room(const json_t *c, const char *room_id, const char *friendly,
                             jwt_join_claims *out) {
  const char *s = NULL;
  size_t n = 0;
  jwt_status st = claim_view(c, "rd", &s, &n);
  if (st != JWT_OK) return st;
  if (!same_bytes(s, n, room_id) && !same_ascii_nocase(s, n, friendly)) return JWT_WRONG_ROOM;
  return claim_string(c, "rd", 1, out->room, sizeof out->room);
}

static jwt_status check_times(const json_t *c, int64_t now, int64_t leeway,
                              jwt_join_claims *out) {
  jwt_status st = claim_time(c, "exp", 1, &out->exp);
  if (st == JWT_OK) st = claim_time(c, "nbf", 0, &out->nbf);
  if (st == JWT_OK) st = claim_time(c, "iat", 0, &out->iat);
  if (st != JWT_OK) return st;
  if (leeway < 0) leeway = 0;
  if (now >= sat_add(out->exp, leeway)) return JWT_EXPIRED;
  if (json_object_get(c, "nbf") != NULL && sat_add(now, leeway) < out->nbf) {
    return JWT_NOT_YET_VALID;
  }
  return JWT_OK;
}

/* An optional boolean claim: absent is 0; anything but true/false is malformed. */
static jwt_status claim_bool(const json_t *obj, const char *name, int *out) {
  const json_t *v = json_object_get(obj, name);
  *out = 0;
  if (v == NULL) return JWT_OK;
  if (!json_is_boolean(v)) return JWT_MALFORMED;
  *out = json_is_true(v);
  return JWT_OK;
}

static jwt_status copy_optional(const json_t *c, jwt_join_claims *out) {
  jwt_status st = claim_string(c, "u", 0, out->user_name, sizeof out->user_name);
  if (st == JWT_OK) st = claim_string(c, "ud", 0, out->user_id, sizeof out->user_id);
  if (st == JWT_OK) st = claim_string(c, "role", 0, out->role, sizeof out->role);
  if (st == JWT_OK) st = claim_string(c, "initials", 0, out->initials, sizeof out->initials);
  if (st == JWT_OK) st = claim_string(c, "avatar", 0, out->avatar, sizeof out->avatar);
  if (st == JWT_OK) st = claim_bool(c, "e2ee", &out->e2ee);
  return st;
}

/* True if the token's MAC matches any usable key. */
static int any_key_matches(const char *tok, const jwt_parts *p, const uint8_t *const *keys,
                           const size_t *key_lens, size_t n_keys) {
  if (keys == NULL || key_lens == NULL) return 0;
  for (size_t i = 0; i < n_keys; i++) {
    if (mac_matches(tok, p, keys[i], key_lens[i])) return 1;
  }
  return 0;
}

jwt_status jwt_verify_join(const char *token, size_t len, const uint8_t *const *keys,
                           const size_t *key_lens, size_t n_keys, const char *team_id,
                           const char *room_id, const char *room_friendly_url, int64_t now,
                           int64_t leeway, jwt_join_claims *out) {
  jwt_parts p;
  json_t *c = NULL;
  jwt_join_claims tmp;
  jwt_status st;
  if (out == NULL) return JWT_MALFORMED;
  memset(out, 0, sizeof *out);
  memset(&tmp, 0, sizeof tmp);
  memset(&p, 0, sizeof p);
  st = parse_token(token, len, &p);
  if (st == JWT_OK && !any_key_matches(token, &p, keys, key_lens, n_keys)) {
    st = JWT_BAD_SIGNATURE;
  }
  if (st == JWT_OK) out->signature_ok = tmp.signature_ok = 1;
  OPENSSL_cleanse(p.sig, sizeof p.sig);
  if (st == JWT_OK) st = load_object(p.part[1], p.part_len[1], &c);
  if (st == JWT_OK) st = check_team(c, team_id, &tmp);
  if (st == JWT_OK) st = check_room(c, room_id, room_friendly_url, &tmp);
  if (st == JWT_OK) st = check_times(c, now, leeway, &tmp);
  if (st == JWT_OK) st = copy_optional(c, &tmp);
  json_decref(c);
  if (st == JWT_OK) *out = tmp;
  return st;
}
