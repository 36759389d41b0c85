/* Security code and fingerprints (docs/e2ee.md 10): SHA-256 over exact
 * inputs, then groups of 5 decimal digits drawn without bias from an HKDF
 * stream by rejection sampling. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/bytes.h"
#include "internal.h"

static const char code_label[] = "sealroom code v3";
static const char code_digits_info[] = "sealroom code digits v3";
static const char fp_label[] = "sealroom fp v1";
static const char fp_digits_info[] = "sealroom fp digits v1";

/* 42949 * 100000: below it, x mod 100000 is exactly uniform. */
#define DIGITS_LIMIT 4294900000u
#define STREAM_SHORT 64
#define STREAM_LONG (255 * 32)

/* Fills groups from stream[0..len); returns the number of groups made. */
static size_t take_groups(const uint8_t *stream, size_t len, size_t groups, char *out) {
  size_t made = 0;
  for (size_t i = 0; i + 4 <= len && made < groups; i += 4) {
    uint32_t x = get_be32(stream + i);
    if (x >= DIGITS_LIMIT) continue;
    x %= 100000u;
    char *g = out + made * 6;
    for (int d = 4; d >= 0; d--, x /= 10) g[d] = (char)('0' + x % 10);
    g[5] = made + 1 < groups ? ' ' : '\0';
    made++;
  }
  return made;
}

sre_status sre_digits(const uint8_t hash[32], const char *info, size_t groups, char *out,
                      size_t out_cap) {
  if (!hash || !info || !out || groups == 0 || groups > 100) return SRE_ERR_ARG;
  if (out_cap < groups * 6) return SRE_ERR_BUFFER;
  uint8_t shortbuf[STREAM_SHORT];
  sre_status st = sre__hkdf(0, NULL, 0, hash, 32, (const uint8_t *)info, strlen(info), shortbuf,
                            sizeof shortbuf);
  if (st != SRE_OK) return st;
  if (take_groups(shortbuf, sizeof shortbuf, groups, out) == groups) return SRE_OK;
  /* More than (16 - groups) chunks rejected: about 1e-20 for the code. The
   * longer stream starts with the same 64 bytes (HKDF is prefix-consistent). */
  uint8_t *longbuf = malloc(STREAM_LONG);
  if (!longbuf) return SRE_ERR_CRYPTO;
  st = sre__hkdf(0, NULL, 0, hash, 32, (const uint8_t *)info, strlen(info), longbuf, STREAM_LONG);
  if (st == SRE_OK && take_groups(longbuf, STREAM_LONG, groups, out) != groups) {
    st = SRE_ERR_DIGITS_EXHAUSTED;
  }
  free(longbuf);
  if (st != SRE_OK) out[0] = '\0';
  return st;
}

static int member_cmp(const void *a, const void *b) {
  const sre_member *x = *(const sre_member *const *)a, *y = *(const sre_member *const *)b;
  return memcmp(x->id, y->id, SRE_ID_LEN);
}

/* Checks the roster and sorts pointers to its members by id. */
static sre_status sorted_roster(const sre_member *members, size_t n, const sre_member **sorted) {
  for (size_t i = 0; i < n; i++) {
    if (!sre__id_ok(members[i].id)) return SRE_ERR_BAD_ID;
    sre_status st = sre_name_check(members[i].name, members[i].name_len);
    if (st != SRE_OK) return st;
    sorted[i] = &members[i];
  }
  qsort(sorted, n, sizeof *sorted, member_cmp);
  for (size_t i = 1; i < n; i++) {
    if (memcmp(sorted[i - 1]->id, sorted[i]->id, SRE_ID_LEN) == 0) return SRE_ERR_ROSTER;
  }
  return SRE_OK;
}

sre_status sre_security_code_input(const uint8_t *session_id, size_t session_id_len,
                                   const sre_member *members, size_t n, uint8_t *out,
                                   size_t out_cap, size_t *len) {
  if (len) *len = 0;
  if (!len || (!session_id && session_id_len) || (!members && n)) return SRE_ERR_ARG;
  if (session_id_len == 0 || session_id_len > SRE_SESSION_ID_MAX) return SRE_ERR_BAD_ID;
  if (n == 0 || n > SRE_ROSTER_MAX) return SRE_ERR_ROSTER;
  size_t label = sizeof code_label - 1;
  size_t need = label + 2 + session_id_len + 2 +
                n * (SRE_ID_LEN + SRE_X25519_LEN + SRE_ED25519_LEN + 2);
  for (size_t i = 0; i < n; i++) {
    if (!members[i].public_key) return SRE_ERR_ARG;
    if (!members[i].signing_key) return SRE_ERR_BAD_PUBLIC_KEY;
    if (members[i].name_len > SRE_NAME_MAX) return SRE_ERR_TOO_LARGE;
    need += members[i].name_len;
  }
  if (!out) {
    *len = need;
    return SRE_OK;
  }
  if (out_cap < need) return SRE_ERR_BUFFER;
  const sre_member **sorted = malloc(n * sizeof *sorted);
  if (!sorted) return SRE_ERR_CRYPTO;
  sre_status st = sorted_roster(members, n, sorted);
  if (st == SRE_OK) {
    size_t o = 0;
    memcpy(out, code_label, label);
    o += label;
    put_be16(out + o, (uint16_t)session_id_len);
    o += 2;
    memcpy(out + o, session_id, session_id_len);
    o += session_id_len;
    put_be16(out + o, (uint16_t)n);
    o += 2;
    for (size_t i = 0; i < n; i++) {
      memcpy(out + o, sorted[i]->id, SRE_ID_LEN);
      memcpy(out + o + SRE_ID_LEN, sorted[i]->public_key, SRE_X25519_LEN);
      memcpy(out + o + SRE_ID_LEN + SRE_X25519_LEN, sorted[i]->signing_key, SRE_ED25519_LEN);
      o += SRE_ID_LEN + SRE_X25519_LEN + SRE_ED25519_LEN;
      put_be16(out + o, (uint16_t)sorted[i]->name_len);
      o += 2;
      if (sorted[i]->name_len) memcpy(out + o, sorted[i]->name, sorted[i]->name_len);
      o += sorted[i]->name_len;
    }
    *len = o;
  }
  free(sorted);
  return st;
}

static sre_status sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
  unsigned int n = 0;
  return EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? SRE_OK
                                                                          : SRE_ERR_CRYPTO;
}

sre_status sre_security_code_hash(const uint8_t *session_id, size_t session_id_len,
                                  const sre_member *members, size_t n, uint8_t hash[32]) {
  if (!hash) return SRE_ERR_ARG;
  size_t need = 0;
  sre_status st = sre_security_code_input(session_id, session_id_len, members, n, NULL, 0, &need);
  if (st != SRE_OK) return st;
  uint8_t *buf = malloc(need);
  if (!buf) return SRE_ERR_CRYPTO;
  size_t len = 0;
  st = sre_security_code_input(session_id, session_id_len, members, n, buf, need, &len);
  if (st == SRE_OK) st = sha256(buf, len, hash);
  free(buf);
  return st;
}

sre_status sre_security_code(const uint8_t *session_id, size_t session_id_len,
                             const sre_member *members, size_t n, char out[SRE_CODE_STR_LEN]) {
  if (!out) return SRE_ERR_ARG;
  out[0] = '\0';
  uint8_t hash[32];
  sre_status st = sre_security_code_hash(session_id, session_id_len, members, n, hash);
  if (st != SRE_OK) return st;
  return sre_digits(hash, code_digits_info, SRE_CODE_GROUPS, out, SRE_CODE_STR_LEN);
}

sre_status sre_fingerprint_hash(const uint8_t public_key[SRE_X25519_LEN], uint8_t hash[32]) {
  if (!public_key || !hash) return SRE_ERR_ARG;
  uint8_t in[sizeof fp_label - 1 + SRE_X25519_LEN];
  memcpy(in, fp_label, sizeof fp_label - 1);
  memcpy(in + sizeof fp_label - 1, public_key, SRE_X25519_LEN);
  return sha256(in, sizeof in, hash);
}

sre_status sre_fingerprint(const uint8_t public_key[SRE_X25519_LEN],
                           char out[SRE_FINGERPRINT_STR_LEN]) {
  if (!out) return SRE_ERR_ARG;
  out[0] = '\0';
  uint8_t hash[32];
  sre_status st = sre_fingerprint_hash(public_key, hash);
  if (st != SRE_OK) return st;
  return sre_digits(hash, fp_digits_info, SRE_FINGERPRINT_GROUPS, out, SRE_FINGERPRINT_STR_LEN);
}
