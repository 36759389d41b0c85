/* Unit tests for security codes and fingerprints (lib/e2ee/code.c): exact
 * formats, independence from roster order, sensitivity to every input (a
 * substituted X25519 or signing key, a ghost participant, the session id),
 * the rejection rule of the digit encoding, digit uniformity, and the UTF-8
 * check used by chat. */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "e2ee/internal.h"
#include "sealroom_e2ee.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static const uint8_t sid[] = "3f2b8c1e-0000-4000-8000-00000000abcd";
#define SID_LEN (sizeof sid - 1)

static uint8_t pubs[3][32];
static uint8_t sigs[3][32]; /* Ed25519 signing keys (only hashed here) */

static void make_pubs(void) {
  for (int p = 0; p < 3; p++) {
    for (int i = 0; i < 32; i++) {
      pubs[p][i] = (uint8_t)(p * 50 + i);
      sigs[p][i] = (uint8_t)(200 - p * 40 - i);
    }
  }
}

static int code_format_ok(const char *code, size_t groups) {
  if (strlen(code) != groups * 6 - 1) return 0;
  for (size_t i = 0; i < groups * 6 - 1; i++) {
    int want_space = i % 6 == 5;
    if (want_space ? code[i] != ' ' : (code[i] < '0' || code[i] > '9')) return 0;
  }
  return 1;
}

static void test_code_format_and_order(void) {
  make_pubs();
  sre_member m[3] = {{tx_id_c, pubs[2], sigs[2], NULL, 0}, {tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], NULL, 0}};
  sre_member sorted[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], NULL, 0}, {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  char c1[SRE_CODE_STR_LEN], c2[SRE_CODE_STR_LEN];
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 3, c1), SRE_OK);
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, sorted, 3, c2), SRE_OK);
  CHECK(code_format_ok(c1, 12));
  CHECK_EQ_STR(c1, c2);
  /* The exact input layout. */
  uint8_t in[512];
  size_t len = 0;
  CHECK_EQ_INT(sre_security_code_input(sid, SID_LEN, m, 3, in, sizeof in, &len), SRE_OK);
  CHECK_EQ_INT(len, 16 + 2 + SID_LEN + 2 + 3 * 102);
  CHECK(memcmp(in, "sealroom code v3", 16) == 0);
  CHECK(in[16] == 0 && in[17] == SID_LEN);
  CHECK(memcmp(in + 18, sid, SID_LEN) == 0);
  CHECK(in[18 + SID_LEN] == 0 && in[19 + SID_LEN] == 3);
  CHECK(memcmp(in + 20 + SID_LEN, tx_id_a, 36) == 0);
  CHECK(memcmp(in + 20 + SID_LEN + 36, pubs[0], 32) == 0);
  CHECK(memcmp(in + 20 + SID_LEN + 68, sigs[0], 32) == 0);
  CHECK(in[20 + SID_LEN + 100] == 0 && in[20 + SID_LEN + 101] == 0); /* empty name */
  CHECK(memcmp(in + 20 + SID_LEN + 102, tx_id_b, 36) == 0);
  CHECK(memcmp(in + 20 + SID_LEN + 102 + 68, sigs[1], 32) == 0);
  size_t need = 0;
  CHECK_EQ_INT(sre_security_code_input(sid, SID_LEN, m, 3, NULL, 0, &need), SRE_OK);
  CHECK_EQ_INT(need, len);
  CHECK_EQ_INT(sre_security_code_input(sid, SID_LEN, m, 3, in, len - 1, &need), SRE_ERR_BUFFER);
}

static void test_code_sensitivity(void) {
  make_pubs();
  sre_member m[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], NULL, 0}, {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  char base[SRE_CODE_STR_LEN], other[SRE_CODE_STR_LEN];
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 3, base), SRE_OK);
  /* A server that substitutes one public key (MITM) changes the code. */
  uint8_t swapped[32];
  memcpy(swapped, pubs[1], 32);
  swapped[31] ^= 1;
  sre_member mitm[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, swapped, sigs[1], NULL, 0}, {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, mitm, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* Swapping which id has which key changes it too. */
  sre_member crossed[3] = {{tx_id_a, pubs[1], sigs[0], NULL, 0}, {tx_id_b, pubs[0], sigs[1], NULL, 0}, {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, crossed, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* Session id. */
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN - 1, m, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* A ghost hidden by moving its record into the session id: without the length
   * fields both inputs would be the same bytes; with them the codes differ. */
  uint8_t long_sid[SID_LEN + 68];
  memcpy(long_sid, sid, SID_LEN);
  memcpy(long_sid + SID_LEN, tx_id_a, 36);
  memcpy(long_sid + SID_LEN + 36, pubs[0], 32);
  sre_member two[2] = {{tx_id_b, pubs[1], sigs[1], NULL, 0}, {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(long_sid, sizeof long_sid, two, 2, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* Refusals. */
  sre_member dup[2] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_a, pubs[1], sigs[0], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, dup, 2, other), SRE_ERR_ROSTER);
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 0, other), SRE_ERR_ROSTER);
  CHECK_EQ_INT(sre_security_code(sid, 0, m, 3, other), SRE_ERR_BAD_ID);
  sre_member bad_id[1] = {{"not-a-uuid", pubs[0], sigs[0], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, bad_id, 1, other), SRE_ERR_BAD_ID);
  CHECK_EQ_STR(other, "");
  /* One participant alone has a code as well. */
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 1, other), SRE_OK);
  CHECK(code_format_ok(other, 12));
}

/* Display names are in the code; a name substituted by the server (or a
 * different name sealed to different peers) changes it. */
static void test_code_names(void) {
  make_pubs();
  const uint8_t ana[] = "Ana", zoe[] = "Zo\xc3\xab";
  sre_member m[2] = {{tx_id_a, pubs[0], sigs[0], ana, 3}, {tx_id_b, pubs[1], sigs[1], zoe, 4}};
  char base[SRE_CODE_STR_LEN], other[SRE_CODE_STR_LEN];
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 2, base), SRE_OK);
  uint8_t in[512];
  size_t len = 0;
  CHECK_EQ_INT(sre_security_code_input(sid, SID_LEN, m, 2, in, sizeof in, &len), SRE_OK);
  CHECK_EQ_INT(len, 16 + 2 + SID_LEN + 2 + 2 * 102 + 3 + 4);
  size_t o = 20 + SID_LEN + 100;
  CHECK(in[o] == 0 && in[o + 1] == 3 && memcmp(in + o + 2, "Ana", 3) == 0);
  sre_member renamed[2] = {{tx_id_a, pubs[0], sigs[0], ana, 2}, {tx_id_b, pubs[1], sigs[1], zoe, 4}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, renamed, 2, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* A name moved from one participant to the next is a different input. */
  sre_member moved[2] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], (const uint8_t *)"AnaZo\xc3\xab", 7}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, moved, 2, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* Names are checked: control characters, invalid UTF-8, too long. */
  sre_member bad[1] = {{tx_id_a, pubs[0], sigs[0], (const uint8_t *)"a\nb", 3}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, bad, 1, other), SRE_ERR_UTF8);
  uint8_t big[SRE_NAME_MAX + 1];
  memset(big, 'x', sizeof big);
  sre_member huge[1] = {{tx_id_a, pubs[0], sigs[0], big, sizeof big}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, huge, 1, other), SRE_ERR_TOO_LARGE);
  huge[0].name_len = SRE_NAME_MAX;
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, huge, 1, other), SRE_OK);
}

/* v3: the signing keys of sender authentication are in the code. A server
 * that swaps one participant's signing key in the roster (to forge its frames
 * with another member) changes the code; so does moving signing keys between
 * participants. A missing signing key is refused. */
static void test_code_signing_keys(void) {
  make_pubs();
  sre_member m[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], NULL, 0},
                     {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  char base[SRE_CODE_STR_LEN], other[SRE_CODE_STR_LEN];
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, m, 3, base), SRE_OK);
  /* Equal rosters except B's signing key: different codes. */
  uint8_t forged[32];
  memcpy(forged, sigs[1], 32);
  forged[0] ^= 0x80;
  sre_member swapped[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], forged, NULL, 0},
                           {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, swapped, 3, other), SRE_OK);
  CHECK(code_format_ok(other, 12));
  CHECK(strcmp(base, other) != 0);
  uint8_t h1[32], h2[32];
  CHECK_EQ_INT(sre_security_code_hash(sid, SID_LEN, m, 3, h1), SRE_OK);
  CHECK_EQ_INT(sre_security_code_hash(sid, SID_LEN, swapped, 3, h2), SRE_OK);
  CHECK(memcmp(h1, h2, 32) != 0);
  /* The same signing key for two participants (the server reusing its own). */
  sre_member reused[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[0], NULL, 0},
                          {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, reused, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* Signing keys crossed between A and B. */
  sre_member crossed[3] = {{tx_id_a, pubs[0], sigs[1], NULL, 0}, {tx_id_b, pubs[1], sigs[0], NULL, 0},
                           {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, crossed, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* X25519 and signing key of one participant exchanged with each other. */
  sre_member flipped[3] = {{tx_id_a, sigs[0], pubs[0], NULL, 0}, {tx_id_b, pubs[1], sigs[1], NULL, 0},
                           {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, flipped, 3, other), SRE_OK);
  CHECK(strcmp(base, other) != 0);
  /* No signing key: refused, also when only asking for the length. */
  sre_member none[3] = {{tx_id_a, pubs[0], sigs[0], NULL, 0}, {tx_id_b, pubs[1], NULL, NULL, 0},
                        {tx_id_c, pubs[2], sigs[2], NULL, 0}};
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, none, 3, other), SRE_ERR_BAD_PUBLIC_KEY);
  CHECK_EQ_STR(other, "");
  size_t need = 1;
  CHECK_EQ_INT(sre_security_code_input(sid, SID_LEN, none, 3, NULL, 0, &need), SRE_ERR_BAD_PUBLIC_KEY);
  CHECK_EQ_INT(need, 0);
  none[1].signing_key = sigs[1];
  none[1].public_key = NULL;
  CHECK_EQ_INT(sre_security_code(sid, SID_LEN, none, 3, other), SRE_ERR_ARG);
}

static void test_name_check(void) {
  CHECK_EQ_INT(sre_name_check(NULL, 0), SRE_OK);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"Jos\xc3\xa9 \xe6\x9d\x8e", 9), SRE_OK);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\x00", 2), SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\x1f", 2), SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\x7f", 2), SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\xc2\x85", 3), SRE_ERR_UTF8);  /* NEL, C1 */
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\xc2\x9f", 3), SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"a\xc2\xa0", 3), SRE_OK);      /* NBSP */
  CHECK_EQ_INT(sre_name_check((const uint8_t *)"\xc3\x28", 2), SRE_ERR_UTF8);
  uint8_t n[SRE_NAME_MAX + 1];
  memset(n, 'a', sizeof n);
  CHECK_EQ_INT(sre_name_check(n, SRE_NAME_MAX), SRE_OK);
  CHECK_EQ_INT(sre_name_check(n, SRE_NAME_MAX + 1), SRE_ERR_TOO_LARGE);
}

static void test_fingerprint(void) {
  make_pubs();
  char f1[SRE_FINGERPRINT_STR_LEN], f2[SRE_FINGERPRINT_STR_LEN];
  CHECK_EQ_INT(sre_fingerprint(pubs[0], f1), SRE_OK);
  CHECK(code_format_ok(f1, 4));
  CHECK_EQ_INT(sre_fingerprint(pubs[1], f2), SRE_OK);
  CHECK(strcmp(f1, f2) != 0);
  uint8_t h[32], in[46];
  CHECK_EQ_INT(sre_fingerprint_hash(pubs[0], h), SRE_OK);
  memcpy(in, "sealroom fp v1", 14);
  memcpy(in + 14, pubs[0], 32);
  char again[SRE_FINGERPRINT_STR_LEN];
  CHECK_EQ_INT(sre_digits(h, "sealroom fp digits v1", 4, again, sizeof again), SRE_OK);
  CHECK_EQ_STR(again, f1);
}

/* Reference for digits(): reads the HKDF stream (computed here with a long L)
 * and applies the documented rule. Returns the number of skipped chunks. */
static int reference_digits(const uint8_t h[32], const char *info, size_t groups, char *out) {
  static uint8_t stream[255 * 32];
  CHECK_EQ_INT(sre__hkdf(0, NULL, 0, h, 32, (const uint8_t *)info, strlen(info), stream, sizeof stream),
               SRE_OK);
  size_t made = 0;
  int skipped = 0;
  for (size_t i = 0; made < groups; i += 4) {
    uint32_t x = (uint32_t)stream[i] << 24 | (uint32_t)stream[i + 1] << 16 |
                 (uint32_t)stream[i + 2] << 8 | stream[i + 3];
    if (x >= 4294900000u) {
      skipped++;
      continue;
    }
    snprintf(out + made * 6, 7, "%05u%s", x % 100000u, made + 1 < groups ? " " : "");
    made++;
  }
  return skipped;
}

static void test_digits_rejection(void) {
  /* Search hashes until one whose stream has a skipped chunk among the first 13
   * (about 1 in 4800), and compare with the reference. */
  uint8_t h[32] = {0};
  int found = 0;
  char want[SRE_CODE_STR_LEN], got[SRE_CODE_STR_LEN];
  for (uint32_t i = 0; i < 200000 && !found; i++) {
    put_be32(h, i);
    uint8_t stream[64];
    CHECK_EQ_INT(sre__hkdf(0, NULL, 0, h, 32, (const uint8_t *)"sealroom code digits v1", 23, stream, 64),
                 SRE_OK);
    for (int c = 0; c < 13; c++) {
      if (get_be32(stream + 4 * c) >= 4294900000u) found = 1;
    }
  }
  CHECK(found);
  CHECK(reference_digits(h, "sealroom code digits v1", 12, want) >= 1);
  CHECK_EQ_INT(sre_digits(h, "sealroom code digits v1", 12, got, sizeof got), SRE_OK);
  CHECK_EQ_STR(got, want);
  /* Many groups force the long stream. */
  static char many[100 * 6];
  static char many_ref[100 * 6];
  CHECK_EQ_INT(sre_digits(h, "x", 100, many, sizeof many), SRE_OK);
  reference_digits(h, "x", 100, many_ref);
  CHECK_EQ_STR(many, many_ref);
  CHECK_EQ_INT(sre_digits(h, "x", 101, many, sizeof many), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_digits(h, "x", 0, many, sizeof many), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_digits(h, "x", 12, many, 71), SRE_ERR_BUFFER);
}

/* Each digit position of 2000 codes: every digit value 0-9 appears between 5%
 * and 15% of the time (a coarse check that nothing is grossly biased). */
static void test_digit_distribution(void) {
  static unsigned counts[60][10];
  memset(counts, 0, sizeof counts);
  uint8_t h[32] = {0x5a};
  char code[SRE_CODE_STR_LEN];
  for (uint32_t i = 0; i < 2000; i++) {
    put_be32(h + 4, i);
    CHECK_EQ_INT(sre_digits(h, "sealroom code digits v1", 12, code, sizeof code), SRE_OK);
    int d = 0;
    for (const char *c = code; *c; c++) {
      if (*c != ' ') counts[d++][*c - '0']++;
    }
  }
  for (int d = 0; d < 60; d++) {
    for (int v = 0; v < 10; v++) {
      if (counts[d][v] < 100 || counts[d][v] > 300) {
        CHECK(counts[d][v] >= 100 && counts[d][v] <= 300);
        return;
      }
    }
  }
}

static void test_utf8(void) {
  struct {
    const char *s;
    int ok;
  } cases[] = {
      {"", 1},
      {"plain", 1},
      {"\xc3\xa9", 1},
      {"\xe2\x82\xac", 1},
      {"\xf0\x9f\x98\x80", 1},
      {"\xf4\x8f\xbf\xbf", 1},   /* U+10FFFF */
      {"\xf4\x90\x80\x80", 0},   /* above U+10FFFF */
      {"\xc0\xaf", 0},           /* overlong */
      {"\xe0\x80\xaf", 0},       /* overlong */
      {"\xf0\x80\x80\xaf", 0},   /* overlong */
      {"\xed\xa0\x80", 0},       /* surrogate */
      {"\x80", 0},
      {"\xc3", 0},
      {"\xe2\x82", 0},
      {"\xff", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK_EQ_INT(sre__utf8_valid((const uint8_t *)cases[i].s, strlen(cases[i].s)), cases[i].ok);
  }
}

TEST_SUITE(e2ee_code, {"code_format_and_order", test_code_format_and_order},
           {"code_sensitivity", test_code_sensitivity}, {"fingerprint", test_fingerprint},
           {"digits_rejection", test_digits_rejection},
           {"digit_distribution", test_digit_distribution}, {"utf8", test_utf8},
           {"code_names", test_code_names}, {"code_signing_keys", test_code_signing_keys},
           {"name_check", test_name_check});
