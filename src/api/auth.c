/* Developer-key authentication. Only SHA-256(key) is stored. Keys are 89
 * bytes, longer than HMAC-SHA256's 64-byte block, so by RFC 2104 an HMAC
 * keyed with the key equals one keyed with its SHA-256: the server can verify
 * and issue HS256 join tokens that integrators sign with the key itself,
 * without ever storing the key. */
#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>

#include "auth/base64.h"
#include "core/timefmt.h"

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Splits decoded "team:key"; the team part must be a UUID. */
static int split_pair(const char *text, credentials *out) {
  const char *colon = strchr(text, ':');
  if (!colon) return -1;
  size_t tl = (size_t)(colon - text), kl = strlen(colon + 1);
  if (tl != UUID_STR_LEN - 1 || kl == 0 || kl > DEV_KEY_MAX) return -1;
  memcpy(out->team_id, text, tl);
  out->team_id[tl] = '\0';
  if (!uuid_is_valid(out->team_id)) return -1;
  memcpy(out->key, colon + 1, kl + 1);
  return 0;
}

static int decode_pair(const char *b64, size_t n, credentials *out) {
  uint8_t buf[UUID_STR_LEN + DEV_KEY_MAX + 2];
  size_t len;
  if (base64_decode(b64, n, buf, sizeof buf - 1, &len, BASE64_STD) != 0) return -1;
  buf[len] = '\0';
  if (memchr(buf, '\0', len)) return -1;
  int rc = split_pair((const char *)buf, out);
  OPENSSL_cleanse(buf, sizeof buf);
  return rc;
}

int auth_parse_header(const char *h, credentials *out) {
  memset(out, 0, sizeof *out);
  if (!h) return -1;
  int basic;
  if (strncasecmp(h, "Bearer", 6) == 0 && is_space(h[6])) basic = 0;
  else if (strncasecmp(h, "Basic", 5) == 0 && is_space(h[5])) basic = 1;
  else return -1;
  const char *v = h + (basic ? 5 : 6);
  while (is_space(*v)) v++;
  size_t n = strlen(v);
  while (n && is_space(v[n - 1])) n--;
  if (n == 0 || n > 2 * (UUID_STR_LEN + DEV_KEY_MAX)) return -1;
  if (basic) return decode_pair(v, n, out);
  /* Bearer: base64(team:key) if it decodes to that shape, else a raw key.
   * Raw keys contain '_' or '-', which standard base64 never does. */
  if (decode_pair(v, n, out) == 0) return 0;
  memset(out, 0, sizeof *out);
  if (n > DEV_KEY_MAX) return -1;
  memcpy(out->key, v, n);
  out->key[n] = '\0';
  return 0;
}

int auth_key_hash(const char *key, uint8_t out[KEY_HASH_LEN]) {
  if (EVP_Digest(key, strlen(key), out, NULL, EVP_sha256(), NULL) == 1) return 0;
  OPENSSL_cleanse(out, KEY_HASH_LEN);
  return -1;
}

store_status auth_check(store *db, const credentials *c, char team_id[UUID_STR_LEN],
                        uint8_t key_hash[KEY_HASH_LEN]) {
  if (auth_key_hash(c->key, key_hash) != 0) return STORE_ERROR;
  store_status st = store_key_find(db, key_hash, team_id);
  if (st != STORE_OK) return st;
  /* The team id, when given, must be the key's team. */
  if (c->team_id[0] && strcasecmp(c->team_id, team_id) != 0) return STORE_NOT_FOUND;
  return STORE_OK;
}

int auth_new_key(store *db, const char *team_id, char out[DEV_KEY_MAX + 1]) {
  uint8_t raw[DEV_KEY_RANDOM_BYTES], hash[KEY_HASH_LEN];
  if (RAND_bytes(raw, sizeof raw) != 1) return -1;
  memcpy(out, "sk_", 3);
  int n = base64_encode(raw, sizeof raw, out + 3, DEV_KEY_MAX + 1 - 3, BASE64_URL);
  OPENSSL_cleanse(raw, sizeof raw);
  if (n < 0) return -1;
  int rc = auth_key_hash(out, hash) == 0 && store_key_add(db, team_id, hash, now_unix()) == STORE_OK ? 0 : -1;
  OPENSSL_cleanse(hash, sizeof hash);
  return rc;
}
