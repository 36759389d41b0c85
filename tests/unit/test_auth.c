/* Tests for src/api/auth.c: Authorization header forms and key checks. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/auth.h"
#include "auth/base64.h"
#include "test.h"

static const char *team = "0db5279e-d552-49c7-973a-4a1ac0bd3a5e";
static const char *key = "sk_zRPHNruIys5cmSRqkG_62TDXN2-IKTGAn_VLCy_pAYTqgbVaHRc2gCaILdY3GP2BvmPKtu2Z-ph68GdAkB2mnA";

static void encode_pair(const char *prefix, const char *pair, char *out, size_t cap) {
  char b64[512];
  base64_encode((const uint8_t *)pair, strlen(pair), b64, sizeof b64, BASE64_STD);
  snprintf(out, cap, "%s%s", prefix, b64);
}

static void test_parse_forms(void) {
  credentials c;
  char h[600], pair[300];
  snprintf(h, sizeof h, "Bearer %s", key);
  CHECK_EQ_INT(auth_parse_header(h, &c), 0);
  CHECK_EQ_STR(c.key, key);
  CHECK_EQ_STR(c.team_id, "");
  snprintf(pair, sizeof pair, "%s:%s", team, key);
  encode_pair("Bearer ", pair, h, sizeof h);
  CHECK_EQ_INT(auth_parse_header(h, &c), 0);
  CHECK_EQ_STR(c.team_id, team);
  CHECK_EQ_STR(c.key, key);
  encode_pair("Basic ", pair, h, sizeof h);
  CHECK_EQ_INT(auth_parse_header(h, &c), 0);
  CHECK_EQ_STR(c.team_id, team);
  CHECK_EQ_STR(c.key, key);
  encode_pair("basic  ", pair, h, sizeof h); /* scheme is case-insensitive */
  CHECK_EQ_INT(auth_parse_header(h, &c), 0);
}

static void test_parse_rejects(void) {
  credentials c;
  char h[600];
  const char *bad[] = {NULL, "", "Bearer", "Bearer ", "Bearer    ", "Token abc", "Basic",
                       "Basic !!!!", "BearerX abc", "Digest abc"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_EQ_INT(auth_parse_header(bad[i], &c), -1);
  encode_pair("Basic ", "no-colon-here", h, sizeof h);
  CHECK_EQ_INT(auth_parse_header(h, &c), -1);
  encode_pair("Basic ", "not-a-uuid:key", h, sizeof h);
  CHECK_EQ_INT(auth_parse_header(h, &c), -1);
  char pair[300];
  snprintf(pair, sizeof pair, "%s:", team); /* empty key */
  encode_pair("Basic ", pair, h, sizeof h);
  CHECK_EQ_INT(auth_parse_header(h, &c), -1);
  char longkey[400];
  memset(longkey, 'a', sizeof longkey - 1);
  longkey[sizeof longkey - 1] = '\0';
  snprintf(h, sizeof h, "Bearer %s", longkey);
  CHECK_EQ_INT(auth_parse_header(h, &c), -1);
}

static void test_new_key_and_check(void) {
  char dir[] = "/tmp/sealroom-unit-XXXXXX", path[128];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/db", dir);
  store *db = NULL;
  CHECK(store_open_sqlite(path, &db) == STORE_OK);
  CHECK(store_team_create(db, team, "t", 1) == STORE_OK);
  char k[DEV_KEY_MAX + 1], found[UUID_STR_LEN];
  uint8_t hash[KEY_HASH_LEN];
  CHECK_EQ_INT(auth_new_key(db, team, k), 0);
  CHECK_EQ_INT((long long)strlen(k), 89);
  CHECK(strncmp(k, "sk_", 3) == 0);
  credentials c = {.team_id = ""};
  snprintf(c.key, sizeof c.key, "%s", k);
  CHECK_EQ_INT(auth_check(db, &c, found, hash), STORE_OK);
  CHECK_EQ_STR(found, team);
  snprintf(c.team_id, sizeof c.team_id, "%s", team);
  CHECK_EQ_INT(auth_check(db, &c, found, hash), STORE_OK);
  snprintf(c.team_id, sizeof c.team_id, "11111111-2222-4333-8444-555555555555");
  CHECK_EQ_INT(auth_check(db, &c, found, hash), STORE_NOT_FOUND); /* right key, wrong team */
  c.team_id[0] = '\0';
  c.key[10] ^= 1;
  CHECK_EQ_INT(auth_check(db, &c, found, hash), STORE_NOT_FOUND);
  /* The stored hash signs exactly like the key itself (RFC 2104 long keys). */
  uint8_t m1[32], m2[32];
  unsigned l1, l2;
  uint8_t h2[KEY_HASH_LEN];
  CHECK_EQ_INT(auth_key_hash(k, h2), 0);
  HMAC(EVP_sha256(), k, (int)strlen(k), (const uint8_t *)"msg", 3, m1, &l1);
  HMAC(EVP_sha256(), h2, KEY_HASH_LEN, (const uint8_t *)"msg", 3, m2, &l2);
  CHECK(l1 == 32 && l2 == 32 && memcmp(m1, m2, 32) == 0);
  store_close(db);
  unlink(path);
  char extra[160];
  snprintf(extra, sizeof extra, "rm -rf %s", dir);
  CHECK(system(extra) == 0);
}

TEST_SUITE(auth, {"parse_forms", test_parse_forms}, {"parse_rejects", test_parse_rejects},
           {"new_key_and_check", test_new_key_and_check});
