/* Unit tests for the key schedule of lib/e2ee: ratchet, X25519 pairwise keys,
 * key messages (every AAD field, direction, strict JSON), acks, the receiver's
 * key rules (stale, conflict, ratchet forward without trial decryption, too
 * far, wrong slot, expiry), the secrecy properties on join and leave, and
 * sealed chat (sre_base64_* is tested with lib/common's base64 in
 * test_base64.c). */
#include <stdlib.h>
#include <string.h>

#include "sealroom_e2ee.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static const uint8_t sid[] = "session-7f3a";
#define SID_LEN (sizeof sid - 1)

static void keypair(sre_keypair *kp, uint8_t seed) {
  uint8_t priv[32];
  for (int i = 0; i < 32; i++) priv[i] = (uint8_t)(seed + i * 3);
  CHECK_EQ_INT(sre_keypair_from_private(kp, priv), SRE_OK);
}

static void test_ratchet(void) {
  const uint8_t k0[16] = {1};
  uint8_t k1[32], k2[32], again[32];
  CHECK_EQ_INT(sre_ratchet(k0, 16, k1), SRE_OK);
  CHECK_EQ_INT(sre_ratchet(k1, 32, k2), SRE_OK);
  CHECK(memcmp(k1, k2, 32) != 0);
  memcpy(again, k1, 32);
  CHECK_EQ_INT(sre_ratchet(again, 32, again), SRE_OK); /* in place */
  CHECK(memcmp(again, k2, 32) == 0);
  CHECK_EQ_INT(sre_ratchet(k0, 15, k1), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_ratchet(k0, 17, k1), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_ratchet(NULL, 16, k1), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base_key_len_for_step(0), 16);
  CHECK_EQ_INT(sre_base_key_len_for_step(1), 32);
  CHECK_EQ_INT(sre_base_key_len_for_step(255), 32);
}

static void test_pairwise_symmetry_and_binding(void) {
  sre_keypair a, b, c;
  keypair(&a, 1);
  keypair(&b, 2);
  keypair(&c, 3);
  uint8_t kab[16], kba[16], kac[16], other[16];
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, SID_LEN, kab), SRE_OK);
  CHECK_EQ_INT(sre_pairwise_key(&b, tx_id_b, a.pub, tx_id_a, sid, SID_LEN, kba), SRE_OK);
  CHECK(memcmp(kab, kba, 16) == 0);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, c.pub, tx_id_c, sid, SID_LEN, kac), SRE_OK);
  CHECK(memcmp(kab, kac, 16) != 0);
  /* Session id, ids and keys are all bound. */
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, SID_LEN - 1, other), SRE_OK);
  CHECK(memcmp(kab, other, 16) != 0);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_c, sid, SID_LEN, other), SRE_OK);
  CHECK(memcmp(kab, other, 16) != 0);
  /* Refusals. */
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_a, sid, SID_LEN, other), SRE_ERR_BAD_PEER);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, a.pub, tx_id_b, sid, SID_LEN, other), SRE_ERR_BAD_PEER);
  CHECK_EQ_INT(sre_pairwise_key(&a, "short", b.pub, tx_id_b, sid, SID_LEN, other), SRE_ERR_BAD_ID);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, 0, other), SRE_ERR_BAD_ID);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, 256, other), SRE_ERR_BAD_ID);
  char longid[40];
  memcpy(longid, tx_id_a, 36);
  strcpy(longid + 36, "x");
  CHECK_EQ_INT(sre_pairwise_key(&a, longid, b.pub, tx_id_b, sid, SID_LEN, other), SRE_ERR_BAD_ID);
  /* Low-order points give the all-zero secret: refused. */
  uint8_t zero_pub[32] = {0}, one_pub[32] = {1};
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, zero_pub, tx_id_b, sid, SID_LEN, other),
               SRE_ERR_ZERO_SECRET);
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, one_pub, tx_id_b, sid, SID_LEN, other),
               SRE_ERR_ZERO_SECRET);
  uint8_t shared[32];
  CHECK_EQ_INT(sre_x25519(a.priv, zero_pub, shared), SRE_ERR_ZERO_SECRET);
  /* The info is the same from both sides and has the documented layout. */
  uint8_t i1[SRE_PAIRWISE_INFO_LEN], i2[SRE_PAIRWISE_INFO_LEN];
  CHECK_EQ_INT(sre_pairwise_info(a.pub, tx_id_a, b.pub, tx_id_b, i1), SRE_OK);
  CHECK_EQ_INT(sre_pairwise_info(b.pub, tx_id_b, a.pub, tx_id_a, i2), SRE_OK);
  CHECK(memcmp(i1, i2, sizeof i1) == 0);
  CHECK(memcmp(i1, "sealroom pairwise v1", 20) == 0);
  CHECK(memcmp(i1 + 20 + 64, tx_id_a, 36) == 0 && memcmp(i1 + 20 + 100, tx_id_b, 36) == 0);
  sre_keypair g1, g2;
  CHECK_EQ_INT(sre_keypair_generate(&g1), SRE_OK);
  CHECK_EQ_INT(sre_keypair_generate(&g2), SRE_OK);
  CHECK(memcmp(g1.pub, g2.pub, 32) != 0);
  sre_keypair_clear(&g1);
  CHECK(g1.priv[0] == 0 && g1.priv[31] == 0);
  sre_keypair_clear(&g2);
}

/* Seals one key message from A to B (name "Ana") and parses it back. */
static void seal_ab(const uint8_t k[16], uint32_t epoch, uint8_t step, const uint8_t *key, size_t len,
                    sre_payload *p) {
  char json[SRE_PAYLOAD_MAX];
  size_t jl = 0;
  const uint8_t nonce[12] = {5, 5, 5};
  CHECK_EQ_INT(sre_keymsg_seal(k, tx_id_a, tx_id_b, 9, epoch, step, key, len, (const uint8_t *)"Ana", 3,
                               nonce, json, sizeof json, &jl),
               SRE_OK);
  CHECK_EQ_INT(strlen(json), jl);
  CHECK_EQ_INT(sre_payload_parse(json, jl, p), SRE_OK);
  CHECK_EQ_INT(p->type, SRE_PAYLOAD_KEY);
}

static void test_key_message(void) {
  sre_keypair a, b;
  keypair(&a, 10);
  keypair(&b, 20);
  uint8_t kab[16], kba[16];
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, SID_LEN, kab), SRE_OK);
  CHECK_EQ_INT(sre_pairwise_key(&b, tx_id_b, a.pub, tx_id_a, sid, SID_LEN, kba), SRE_OK);
  const uint8_t base[16] = {0xaa, 0xbb, 0xcc};
  uint8_t got[32];
  size_t gl = 0;
  char name[SRE_NAME_MAX + 1];
  size_t nl = 0;
  sre_payload p;
  seal_ab(kab, 300, 0, base, 16, &p);
  CHECK(p.epoch == 300 && p.step == 0 && p.c_len == 16 + 3 + 16);
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &p, got, &gl, name, &nl), SRE_OK);
  CHECK_EQ_INT(gl, 16);
  CHECK(memcmp(got, base, 16) == 0);
  CHECK(nl == 3 && strcmp(name, "Ana") == 0);
  /* Each AAD field is bound: direction, recipient, slot, generation, step. */
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_b, tx_id_a, 9, &p, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_c, 9, &p, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 10, &p, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  sre_payload q = p;
  q.epoch = 300 + 255; /* same KID generation, other epoch */
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &q, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  q = p;
  q.nonce[0] ^= 1;
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &q, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  q = p;
  q.c[q.c_len - 1] ^= 1;
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &q, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  CHECK_EQ_INT(gl, 0);
  q = p;
  q.step = 1; /* a step-1 key is 32 bytes: c is too short for it */
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &q, got, &gl, NULL, NULL), SRE_ERR_KEY_LENGTH);
  uint8_t wrong[16] = {0};
  CHECK_EQ_INT(sre_keymsg_open(wrong, tx_id_a, tx_id_b, 9, &p, got, &gl, NULL, NULL), SRE_ERR_AUTH);
  /* A ratcheted (32-byte) key. */
  uint8_t k1[32];
  CHECK_EQ_INT(sre_ratchet(base, 16, k1), SRE_OK);
  seal_ab(kab, 3, 1, k1, 32, &p);
  CHECK_EQ_INT(p.c_len, 48 + 3);
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &p, got, &gl, NULL, NULL), SRE_OK);
  CHECK(gl == 32 && memcmp(got, k1, 32) == 0);
  /* Names: empty, the longest, non-ASCII; refused: too long, control, bad UTF-8. */
  char json[SRE_PAYLOAD_MAX];
  size_t jl;
  uint8_t longname[SRE_NAME_MAX + 1];
  memset(longname, 'n', sizeof longname);
  const uint8_t *names[] = {NULL, longname, (const uint8_t *)"Zo\xc3\xab \xe6\x9d\x8e"};
  const size_t name_lens[] = {0, SRE_NAME_MAX, 8};
  for (int i = 0; i < 3; i++) {
    for (uint8_t step = 0; step < 2; step++) {
      const uint8_t *key = step ? k1 : base;
      size_t klen = step ? 32 : 16;
      CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 0xffffffffu, step, key, klen, names[i],
                                   name_lens[i], NULL, json, sizeof json, &jl),
                   SRE_OK);
      CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
      CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &p, got, &gl, name, &nl), SRE_OK);
      CHECK(gl == klen && memcmp(got, key, klen) == 0 && nl == name_lens[i]);
      CHECK(nl == 0 || memcmp(name, names[i], nl) == 0);
      CHECK_EQ_INT(strlen(name), nl);
    }
  }
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, longname, SRE_NAME_MAX + 1,
                               NULL, json, sizeof json, &jl),
               SRE_ERR_TOO_LARGE);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, (const uint8_t *)"a\tb", 3,
                               NULL, json, sizeof json, &jl),
               SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, (const uint8_t *)"\xc2\x80", 2,
                               NULL, json, sizeof json, &jl),
               SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, (const uint8_t *)"\xff", 1,
                               NULL, json, sizeof json, &jl),
               SRE_ERR_UTF8);
  /* A step-0 message whose c carries more than 128 name bytes: refused before
   * decryption (the longest name with a 32-byte key read as step 0). */
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 1, k1, 32, longname, SRE_NAME_MAX, NULL,
                               json, sizeof json, &jl),
               SRE_OK);
  CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
  q = p;
  q.step = 0;
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 9, &q, got, &gl, name, &nl), SRE_ERR_KEY_LENGTH);
  /* Seal refuses a length that does not match the step, and epoch 0. */
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 1, base, 16, NULL, 0, NULL, json,
                               sizeof json, &jl),
               SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 0, 0, base, 16, NULL, 0, NULL, json,
                               sizeof json, &jl),
               SRE_ERR_ARG);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, NULL, 0, NULL, json, 20, &jl),
               SRE_ERR_BUFFER);
  /* Random nonces differ. */
  char j1[SRE_PAYLOAD_MAX], j2[SRE_PAYLOAD_MAX];
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, NULL, 0, NULL, j1, sizeof j1,
                               &jl),
               SRE_OK);
  CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 9, 3, 0, base, 16, NULL, 0, NULL, j2, sizeof j2,
                               &jl),
               SRE_OK);
  CHECK(strcmp(j1, j2) != 0);
  uint8_t aad[SRE_KEYMSG_AAD_LEN];
  CHECK_EQ_INT(sre_keymsg_aad(tx_id_a, tx_id_b, 0x01020304u, 1, 0x0102, aad), SRE_OK);
  CHECK(memcmp(aad, "sealroom key v2", 15) == 0 && memcmp(aad + 15, tx_id_a, 36) == 0 &&
        memcmp(aad + 51, tx_id_b, 36) == 0 && aad[87] == 1 && aad[88] == 2 && aad[89] == 3 &&
        aad[90] == 4 && aad[91] == 1 && aad[92] == 1 && aad[93] == 2);
}

#define N12 "\"n\":\"AAAAAAAAAAAAAAAA\""
#define C32 "\"c\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""

static void test_payload_strictness(void) {
  sre_payload p;
  const char *ok_key = "{\"t\":\"key\",\"v\":2,\"e\":4294967295,\"r\":0," N12 "," C32 "}";
  CHECK_EQ_INT(sre_payload_parse(ok_key, strlen(ok_key), &p), SRE_OK);
  CHECK_EQ_INT(p.c_len, 32);
  CHECK(p.epoch == 0xffffffffu);
  struct {
    const char *json;
    sre_status want;
  } bad[] = {
      {"", SRE_ERR_JSON},
      {"[]", SRE_ERR_JSON},
      {"null", SRE_ERR_JSON},
      {"{}", SRE_ERR_JSON},
      {"{\"t\":\"nope\",\"v\":2,\"e\":1}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":1,\"e\":1}", SRE_ERR_VERSION},
      {"{\"t\":\"ack\",\"v\":1,\"g\":1}", SRE_ERR_VERSION}, /* a version-1 ack */
      {"{\"t\":\"ack\",\"v\":3,\"e\":1}", SRE_ERR_VERSION},
      {"{\"t\":\"ack\",\"v\":2}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"g\":1}", SRE_ERR_JSON}, /* "g" is gone */
      {"{\"t\":\"ack\",\"v\":2,\"e\":0}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":4294967296}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":-1}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":1.0}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":1e0}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":\"1\"}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":1,\"x\":1}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2,\"e\":1,\"e\":2}", SRE_ERR_JSON},
      {"{\"t\":\"ack\",\"v\":2.0,\"e\":1}", SRE_ERR_JSON},
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":256," N12 "," C32 "}", SRE_ERR_JSON},
      {"{\"t\":\"key\",\"v\":2,\"g\":1,\"r\":0," N12 "," C32 "}", SRE_ERR_JSON},
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"g\":1,\"r\":0," N12 "," C32 "}", SRE_ERR_JSON},
      {"{\"t\":\"key\",\"v\":1,\"g\":1,\"r\":0," N12 "," C32 "}", SRE_ERR_VERSION},
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0,\"n\":\"AAAAAAAAAAAAAAA=\"," C32 "}",
       SRE_ERR_JSON}, /* 11-byte nonce */
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0," N12
       ",\"c\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\"}",
       SRE_ERR_BASE64}, /* non-zero unused bits */
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0," N12
       ",\"c\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
       SRE_ERR_JSON}, /* 29 bytes: below 16 + 16 */
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0,\"n\":\"AAAA AAAAAAAAAAA\"," C32 "}", SRE_ERR_BASE64},
      {"{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":0," N12 "}", SRE_ERR_JSON},
      {"{\"t\":\"chat\",\"v\":2,\"e\":1,\"r\":0," N12 ",\"c\":\"AAAA\"}",
       SRE_ERR_JSON}, /* too short for type + seq + time + 1 byte + tag */
      {"{\"t\":\"chat\",\"v\":1,\"g\":1,\"r\":0," N12 "," C32 "}", SRE_ERR_VERSION},
      {"{\"t\":1,\"v\":2,\"e\":1}", SRE_ERR_JSON},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sre_status st = sre_payload_parse(bad[i].json, strlen(bad[i].json), &p);
    if (st != bad[i].want) fprintf(stderr, "  case %zu: %s\n", i, bad[i].json);
    CHECK_EQ_INT(st, bad[i].want);
    CHECK_EQ_INT(p.epoch, 0);
  }
  /* c of a key message: 16 + 16 up to 32 + 128 + 16 bytes. */
  char big[600];
  uint8_t raw[SRE_KEYMSG_C_MAX + 1] = {0};
  char b64[300];
  for (size_t len = SRE_KEYMSG_C_MAX; len <= SRE_KEYMSG_C_MAX + 1; len++) {
    CHECK_EQ_INT(sre_base64_encode(raw, len, b64, sizeof b64, NULL), SRE_OK);
    snprintf(big, sizeof big, "{\"t\":\"key\",\"v\":2,\"e\":1,\"r\":1," N12 ",\"c\":\"%s\"}", b64);
    CHECK_EQ_INT(sre_payload_parse(big, strlen(big), &p), len == SRE_KEYMSG_C_MAX ? SRE_OK : SRE_ERR_JSON);
  }
  char ack[64];
  size_t al;
  CHECK_EQ_INT(sre_ack_write(70000, ack, sizeof ack, &al), SRE_OK);
  CHECK_EQ_STR(ack, "{\"t\":\"ack\",\"v\":2,\"e\":70000}");
  CHECK_EQ_INT(sre_payload_parse(ack, al, &p), SRE_OK);
  CHECK(p.type == SRE_PAYLOAD_ACK && p.epoch == 70000);
  CHECK_EQ_INT(sre_ack_write(0, ack, sizeof ack, &al), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_ack_write(7, ack, 10, &al), SRE_ERR_BUFFER);
}

/* Key acceptance rules of docs/e2ee.md 8.6. */
static void test_receiver_key_rules(void) {
  sre_receiver r;
  sre_receiver_init(&r, 1);
  uint8_t k16[16] = {1}, k16b[16] = {2}, k32[32] = {3};
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 0, k16, 15, 0), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 1, k16, 16, 0), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 0, 0, k16, 16, 0), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 2, k32, 32, 0), SRE_OK);     /* first: anything */
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 2, k32, 32, 0), SRE_OK);     /* duplicate */
  k32[0] ^= 1;
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 2, k32, 32, 0), SRE_ERR_KEY_CONFLICT);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 1, k32, 32, 0), SRE_ERR_STALE_KEY);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 4, 0, k16, 16, 0), SRE_ERR_STALE_KEY);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 3, k32, 32, 0), SRE_OK);     /* later step */
  CHECK_EQ_INT(sre_receiver_add_key(&r, 6, 0, k16, 16, 0), SRE_OK);     /* newer epoch */
  CHECK_EQ_INT(sre_receiver_add_key(&r, 5, 4, k32, 32, 0), SRE_ERR_STALE_KEY);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 6, 0, k16b, 16, 0), SRE_ERR_KEY_CONFLICT);
  /* Epochs do not wrap: 255 -> 256 (generation 1) is newer, 1 after 256 is stale. */
  sre_receiver_clear(&r);
  sre_receiver_init(&r, 1);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 255, 0, k16, 16, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 256, 0, k16b, 16, 0), SRE_OK);
  CHECK_EQ_INT(r.keys[1].generation, 1);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 255, 0, k16b, 16, 0), SRE_ERR_KEY_CONFLICT);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, k16b, 16, 0), SRE_ERR_STALE_KEY);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 254, 0, k16b, 16, 0), SRE_ERR_STALE_KEY);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 0xffffffffu, 0, k16b, 16, 0), SRE_OK);
  CHECK_EQ_INT(sre_epoch_generation(0xffffffffu), 0xffffffffu % 255u == 0 ? 255 : 0xffffffffu % 255u);
  CHECK_EQ_INT(sre_epoch_generation(1), 1);
  CHECK_EQ_INT(sre_epoch_generation(255), 255);
  CHECK_EQ_INT(sre_epoch_generation(256), 1);
  CHECK_EQ_INT(sre_epoch_generation(300), 45);
  CHECK_EQ_INT(sre_epoch_generation(0), 0);
  /* The table never overflows: many rotations keep at most SRE_RX_KEYS keys. */
  sre_receiver_clear(&r);
  sre_receiver_init(&r, 1);
  for (int g = 2; g < 40; g++) {
    k16[1] = (uint8_t)g;
    CHECK_EQ_INT(sre_receiver_add_key(&r, (uint32_t)g, 0, k16, 16, (uint64_t)g), SRE_OK);
  }
  int used = 0;
  for (int i = 0; i < SRE_RX_KEYS; i++) used += r.keys[i].used;
  CHECK_EQ_INT(used, SRE_RX_KEYS);
  sre_receiver_clear(&r);
}

/* Helpers for the media scenarios. */
static sre_status send_frame(sre_sender *s, uint8_t *wire, size_t *n) {
  uint8_t frame[60];
  for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)(i + s->ctr);
  frame[0] = 0x31;
  return sre_sender_encrypt(s, SRE_CODEC_VP8, frame, sizeof frame, wire, 128, n);
}

static sre_status recv_frame(sre_receiver *r, const uint8_t *wire, size_t n, uint64_t now) {
  uint8_t out[128];
  size_t m;
  return sre_receiver_decrypt(r, SRE_CODEC_VP8, wire, n, out, sizeof out, &m, now);
}

static void test_receiver_ratchet_and_slot(void) {
  const uint8_t base[16] = {7, 1, 2};
  sre_sender s;
  sre_receiver r, other;
  CHECK_EQ_INT(sre_sender_init(&s, 12, 1, base, 16), SRE_OK);
  sre_receiver_init(&r, 12);
  sre_receiver_init(&other, 13);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, base, 16, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&other, 1, 0, base, 16, 0), SRE_OK);
  uint8_t wire[128], old[128];
  size_t n, old_n;
  CHECK_EQ_INT(send_frame(&s, old, &old_n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, old, old_n, 100), SRE_OK);
  /* A frame re-routed onto another participant's track. */
  CHECK_EQ_INT(recv_frame(&other, old, old_n, 100), SRE_ERR_WRONG_SLOT);
  /* Three joins: the sender ratchets three times; the receiver follows from the KID. */
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 200), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 200), SRE_ERR_REPLAY);
  CHECK_EQ_INT(r.newest_step, 3);
  /* A late frame of step 0 still decodes for 2 s after the first step-3 frame. */
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  sre_sender late;
  CHECK_EQ_INT(sre_sender_init(&late, 12, 1, base, 16), SRE_OK);
  late.ctr = 1;
  uint8_t late_wire[128];
  size_t late_n;
  CHECK_EQ_INT(send_frame(&late, late_wire, &late_n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, late_wire, late_n, 2199), SRE_OK);
  late.ctr = 2;
  CHECK_EQ_INT(send_frame(&late, late_wire, &late_n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, late_wire, late_n, 2200), SRE_ERR_NO_KEY); /* wiped at 200 + 2000 */
  /* Step 3 is not affected by the expiry of step 0. */
  CHECK_EQ_INT(recv_frame(&r, wire, n, 2200), SRE_OK);
  /* 16 steps ahead is allowed, 17 is not. */
  for (int i = 0; i < 16; i++) CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 3000), SRE_OK);
  CHECK_EQ_INT(r.newest_step, 19);
  for (int i = 0; i < 17; i++) CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 3000), SRE_ERR_RATCHET_TOO_FAR);
  /* A forged frame 5 steps ahead does not advance the ratchet or retire keys. */
  sre_receiver_clear(&r);
  sre_receiver_init(&r, 12);
  sre_sender_clear(&s);
  CHECK_EQ_INT(sre_sender_init(&s, 12, 1, base, 16), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, base, 16, 0), SRE_OK);
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  wire[n - 1] ^= 0x40;
  CHECK_EQ_INT(recv_frame(&r, wire, n, 10), SRE_ERR_AUTH);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 10), SRE_ERR_AUTH); /* cached candidate, still nothing */
  CHECK_EQ_INT(r.newest_step, 0);
  for (int i = 0; i < SRE_RX_KEYS; i++) CHECK_EQ_INT(r.keys[i].deadline_ms, 0);
  wire[n - 1] ^= 0x40;
  CHECK_EQ_INT(recv_frame(&r, wire, n, 10), SRE_OK);
  CHECK_EQ_INT(r.newest_step, 5);
  CHECK_EQ_INT(sre_receiver_drops(&r, SRE_ERR_AUTH), 2);
  /* An older step than every held one: no key. */
  sre_receiver_expire(&r, 10 + SRE_KEEP_OLD_MS);
  CHECK_EQ_INT(recv_frame(&r, late_wire, late_n, 2200), SRE_ERR_NO_KEY);
  /* An unknown epoch: no key. */
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 2200), SRE_ERR_NO_KEY);
  CHECK(sre_receiver_drops(&r, SRE_ERR_NO_KEY) >= 2);
  sre_sender_clear(&late);
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
  sre_receiver_clear(&other);
}

/* Backward secrecy: a newcomer given the post-join key cannot read frames
 * sent before its join. Forward secrecy: after the rotation the leaver's keys
 * fail, while the remaining receiver follows. */
static void test_join_and_leave_secrecy(void) {
  const uint8_t base[16] = {0x42};
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 1, 1, base, 16), SRE_OK);
  sre_receiver old_member, newcomer;
  sre_receiver_init(&old_member, 1);
  sre_receiver_init(&newcomer, 1);
  CHECK_EQ_INT(sre_receiver_add_key(&old_member, 1, 0, base, 16, 0), SRE_OK);
  uint8_t before[128], after[128], wire[128];
  size_t bn, an, n;
  CHECK_EQ_INT(send_frame(&s, before, &bn), SRE_OK);
  CHECK_EQ_INT(recv_frame(&old_member, before, bn, 0), SRE_OK);
  /* Join: ratchet, then the newcomer gets the new key. */
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&newcomer, s.epoch, s.step, s.base_key, s.base_key_len, 0),
               SRE_OK);
  CHECK_EQ_INT(send_frame(&s, after, &an), SRE_OK);
  CHECK_EQ_INT(recv_frame(&newcomer, before, bn, 0), SRE_ERR_NO_KEY);
  CHECK_EQ_INT(recv_frame(&newcomer, after, an, 0), SRE_OK);
  CHECK_EQ_INT(recv_frame(&old_member, after, an, 0), SRE_OK);
  /* The newcomer cannot derive backwards even by trying every held key. */
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 4, sre_kid_make(1, 1, 0), newcomer.keys[0].base_key, 32), SRE_OK);
  uint8_t out[128];
  size_t m;
  CHECK(sre_frame_decrypt(&k, SRE_CODEC_VP8, before, bn, out, sizeof out, &m, NULL) == SRE_ERR_AUTH);
  sre_key_clear(&k);
  /* Leave of the newcomer: rotation; the old member gets the key message. */
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&old_member, s.epoch, 0, s.base_key, 16, 1000), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&old_member, wire, n, 1000), SRE_OK);
  CHECK_EQ_INT(recv_frame(&newcomer, wire, n, 1000), SRE_ERR_NO_KEY);
  /* Even ratcheting: the leaver never sees epoch 2. */
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&newcomer, wire, n, 1000), SRE_ERR_NO_KEY);
  CHECK_EQ_INT(recv_frame(&old_member, wire, n, 1000), SRE_OK);
  /* The old generation is wiped 2 s after the first new frame. */
  CHECK_EQ_INT(recv_frame(&old_member, after, an, 2999), SRE_ERR_REPLAY); /* still held */
  CHECK_EQ_INT(recv_frame(&old_member, after, an, 3000), SRE_ERR_NO_KEY);
  /* A replayed old key message cannot bring it back. */
  CHECK_EQ_INT(sre_receiver_add_key(&old_member, 1, 0, base, 16, 3000), SRE_ERR_STALE_KEY);
  sre_sender_clear(&s);
  sre_receiver_clear(&old_member);
  sre_receiver_clear(&newcomer);
}

/* A pending rotation key arriving before the first frame of a new step must
 * not be retired by that frame (ordering by arrival, then step). */
static void test_pending_key_survives_ratchet(void) {
  const uint8_t base[16] = {0x77}, next[16] = {0x78};
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 3, 1, base, 16), SRE_OK);
  sre_receiver r;
  sre_receiver_init(&r, 3);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, base, 16, 0), SRE_OK);
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  uint8_t w1[128], w2[128];
  size_t n1, n2;
  CHECK_EQ_INT(send_frame(&s, w1, &n1), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 2, 0, next, 16, 0), SRE_OK); /* key message overtakes media */
  CHECK_EQ_INT(recv_frame(&r, w1, n1, 100), SRE_OK);
  CHECK_EQ_INT(sre_sender_rotate(&s, next, 16), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, w2, &n2), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, w2, n2, 5000), SRE_OK); /* epoch 2 was not expired */
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

/* Attack 1, key rollback: the server records P's key message for epoch e,
 * forces 128+ rotations and replays the recording. With 8-bit generations the
 * receiver took it as newer; with epochs it is stale, the genuine next key is
 * still accepted, and old frames stay undecryptable. */
static void test_attack_rollback(void) {
  sre_keypair a, b;
  keypair(&a, 31);
  keypair(&b, 32);
  uint8_t kab[16], kba[16];
  CHECK_EQ_INT(sre_pairwise_key(&a, tx_id_a, b.pub, tx_id_b, sid, SID_LEN, kab), SRE_OK);
  CHECK_EQ_INT(sre_pairwise_key(&b, tx_id_b, a.pub, tx_id_a, sid, SID_LEN, kba), SRE_OK);
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 2, 1, NULL, 0), SRE_OK);
  sre_receiver r;
  sre_receiver_init(&r, 2);
  char recorded[SRE_PAYLOAD_MAX], json[SRE_PAYLOAD_MAX];
  size_t rec_len = 0, jl;
  uint8_t old_frame[128];
  size_t old_n = 0;
  uint64_t now = 0;
  /* 300 rotations, each key message delivered; epoch 3's is recorded. */
  for (uint32_t e = 1; e <= 300; e++, now += 10) {
    if (e > 1) CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
    CHECK_EQ_INT(sre_keymsg_seal(kab, tx_id_a, tx_id_b, 2, s.epoch, s.step, s.base_key, s.base_key_len,
                                 NULL, 0, NULL, json, sizeof json, &jl),
                 SRE_OK);
    sre_payload p;
    uint8_t key[32];
    size_t kl;
    CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
    CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 2, &p, key, &kl, NULL, NULL), SRE_OK);
    CHECK_EQ_INT(sre_receiver_add_key(&r, p.epoch, p.step, key, kl, now), SRE_OK);
    uint8_t wire[128];
    size_t n;
    CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
    CHECK_EQ_INT(recv_frame(&r, wire, n, now), SRE_OK);
    if (e == 3) {
      memcpy(recorded, json, jl);
      rec_len = jl;
      memcpy(old_frame, wire, n);
      old_n = n;
    }
  }
  now += 5000; /* every superseded key has expired */
  /* Replay of epoch 3 (generation 3; 300 is generation 45, so 128+ ahead in
   * the old ring): refused as stale, nothing changes. */
  sre_payload p;
  uint8_t key[32];
  size_t kl;
  CHECK_EQ_INT(sre_payload_parse(recorded, rec_len, &p), SRE_OK);
  CHECK_EQ_INT(p.epoch, 3);
  CHECK_EQ_INT(sre_keymsg_open(kba, tx_id_a, tx_id_b, 2, &p, key, &kl, NULL, NULL), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&r, p.epoch, p.step, key, kl, now), SRE_ERR_STALE_KEY);
  /* The recorded epoch-3 frame finds no key. */
  CHECK_EQ_INT(recv_frame(&r, old_frame, old_n, now), SRE_ERR_NO_KEY);
  /* The genuine next key is accepted and used. */
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_add_key(&r, s.epoch, 0, s.base_key, 16, now), SRE_OK);
  uint8_t wire[128];
  size_t n;
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, now), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, old_frame, old_n, now + 1), SRE_ERR_NO_KEY);
  /* The replay after the next key: still stale. */
  CHECK_EQ_INT(sre_receiver_add_key(&r, p.epoch, p.step, key, kl, now), SRE_ERR_STALE_KEY);
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

/* Attack 5, eviction: more pending keys than the table holds (forced
 * rotations without frames) must not evict the key in use. */
static void test_attack_eviction(void) {
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 4, 1, NULL, 0), SRE_OK);
  sre_receiver r;
  sre_receiver_init(&r, 4);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, s.base_key, 16, 0), SRE_OK);
  uint8_t wire[128];
  size_t n;
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 0), SRE_OK);
  /* 10 new epochs arrive in a row, none used yet. */
  for (uint32_t e = 2; e <= 11; e++) {
    uint8_t k[16] = {(uint8_t)e, 0x55};
    CHECK_EQ_INT(sre_receiver_add_key(&r, e, 0, k, 16, 10 * e), SRE_OK);
    CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
    CHECK_EQ_INT(recv_frame(&r, wire, n, 10 * e), SRE_OK); /* the active key still decrypts */
  }
  int held = 0, active = 0;
  for (int i = 0; i < SRE_RX_KEYS; i++) {
    held += r.keys[i].used;
    if (r.keys[i].used && r.keys[i].active) {
      active++;
      CHECK_EQ_INT(r.keys[i].epoch, 1);
    }
  }
  CHECK_EQ_INT(held, SRE_RX_KEYS);
  CHECK_EQ_INT(active, 1);
  /* The newest pending keys are kept (the oldest other one made room). */
  uint8_t got[32];
  size_t gl;
  CHECK_EQ_INT(sre_receiver_base_key(&r, 11, 0, got, &gl), SRE_OK);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 7, 0, got, &gl), SRE_OK);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 6, 0, got, &gl), SRE_ERR_NO_KEY);
  /* Once the sender switches, the new key becomes active. */
  uint8_t k11[16] = {11, 0x55};
  sre_sender_clear(&s);
  CHECK_EQ_INT(sre_sender_init(&s, 4, 11, k11, 16), SRE_OK);
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&r, wire, n, 200), SRE_OK);
  for (int i = 0; i < SRE_RX_KEYS; i++) {
    if (r.keys[i].used && r.keys[i].active) CHECK_EQ_INT(r.keys[i].epoch, 11);
  }
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

/* Attack 4, silent sender: a participant that sends no media and no chat
 * used to ratchet on every join, so after 17 joins an old member could not
 * follow (RATCHET_TOO_FAR). Now an unused key is handed out as it is. */
static void test_attack_silent_sender(void) {
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 8, 1, NULL, 0), SRE_OK);
  sre_receiver old_member;
  sre_receiver_init(&old_member, 8);
  CHECK_EQ_INT(sre_receiver_add_key(&old_member, s.epoch, s.step, s.base_key, s.base_key_len, 0), SRE_OK);
  for (int j = 0; j < 20; j++) {
    bool ratcheted = true;
    CHECK_EQ_INT(sre_sender_join(&s, &ratcheted), SRE_OK);
    CHECK(!ratcheted);
  }
  CHECK_EQ_INT(s.step, 0);
  /* Its first chat: sealed under the current key, readable by the old member. */
  uint8_t ck[16], base[32], ck2[16];
  size_t bl;
  CHECK_EQ_INT(sre_chat_key(s.base_key, s.base_key_len, sid, SID_LEN, ck), SRE_OK);
  char json[SRE_PAYLOAD_MAX];
  size_t jl;
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, s.epoch, s.step, SRE_CHAT_TEXT, 0, 1, (const uint8_t *)"hi", 2,
                             NULL, json, sizeof json, &jl),
               SRE_OK);
  sre_sender_mark_used(&s);
  sre_payload p;
  CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
  CHECK_EQ_INT(sre_receiver_base_key(&old_member, p.epoch, p.step, base, &bl), SRE_OK);
  CHECK_EQ_INT(sre_chat_key(base, bl, sid, SID_LEN, ck2), SRE_OK);
  uint8_t body[16];
  size_t body_len;
  sre_chat_type type;
  uint32_t seq;
  CHECK_EQ_INT(sre_chat_open(ck2, tx_id_a, &p, &type, &seq, NULL, body, sizeof body, &body_len), SRE_OK);
  /* The next join ratchets (the key was used): backward secrecy for the chat. */
  bool ratcheted = false;
  CHECK_EQ_INT(sre_sender_join(&s, &ratcheted), SRE_OK);
  CHECK(ratcheted && s.step == 1);
  /* Its first frame: readable by the old member. */
  uint8_t wire[128];
  size_t n;
  CHECK_EQ_INT(send_frame(&s, wire, &n), SRE_OK);
  CHECK_EQ_INT(recv_frame(&old_member, wire, n, 0), SRE_OK);
  /* A newcomer given the key of step 1 cannot open the chat of step 0. */
  sre_receiver newcomer;
  sre_receiver_init(&newcomer, 8);
  CHECK_EQ_INT(sre_receiver_add_key(&newcomer, s.epoch, s.step, s.base_key, s.base_key_len, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_base_key(&newcomer, p.epoch, p.step, base, &bl), SRE_ERR_NO_KEY);
  sre_sender_clear(&s);
  sre_receiver_clear(&old_member);
  sre_receiver_clear(&newcomer);
}

static void test_chat(void) {
  const uint8_t base[16] = {0x11, 0x22};
  uint8_t ck[16], ck2[16];
  CHECK_EQ_INT(sre_chat_key(base, 16, sid, SID_LEN, ck), SRE_OK);
  CHECK_EQ_INT(sre_chat_key(base, 16, sid, SID_LEN - 1, ck2), SRE_OK);
  CHECK(memcmp(ck, ck2, 16) != 0);
  CHECK_EQ_INT(sre_chat_key(base, 15, sid, SID_LEN, ck2), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_chat_key(base, 16, sid, 0, ck2), SRE_ERR_BAD_ID);
  /* The chat key differs from the SFrame key of the same base key. */
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 4, sre_kid_make(1, 1, 0), base, 16), SRE_OK);
  CHECK(memcmp(k.key, ck, 16) != 0);
  sre_key_clear(&k);
  const char *text = "h\xc3\xa9llo \xf0\x9f\x91\x8b";
  char json[SRE_PAYLOAD_MAX];
  size_t jl;
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, SRE_CHAT_TEXT, 41, 1700000000123ull,
                             (const uint8_t *)text, strlen(text), NULL, json, sizeof json, &jl),
               SRE_OK);
  sre_payload p;
  CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
  CHECK_EQ_INT(p.type, SRE_PAYLOAD_CHAT);
  uint8_t body[SRE_CHAT_BODY_MAX];
  size_t bl;
  sre_chat_type type;
  uint32_t seq;
  uint64_t t = 0;
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &p, &type, &seq, &t, body, sizeof body, &bl), SRE_OK);
  CHECK(type == SRE_CHAT_TEXT && seq == 41 && bl == strlen(text) && memcmp(body, text, bl) == 0);
  CHECK(t == 1700000000123ull);
  CHECK_EQ_INT(p.c_len, 13 + strlen(text) + 16);
  uint8_t caad[SRE_CHAT_AAD_LEN];
  CHECK_EQ_INT(sre_chat_aad(tx_id_a, 0x01020304u, 7, caad), SRE_OK);
  CHECK(memcmp(caad, "sealroom chat v2", 16) == 0 && memcmp(caad + 16, tx_id_a, 36) == 0 &&
        caad[52] == 1 && caad[53] == 2 && caad[54] == 3 && caad[55] == 4 && caad[56] == 7);
  /* Another epoch with the same KID generation: refused. */
  sre_payload e2 = p;
  e2.epoch = 256;
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &e2, &type, &seq, &t, body, sizeof body, &bl), SRE_ERR_AUTH);
  /* Re-attributed to another sender, or another step: refused. */
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_b, &p, &type, &seq, NULL, body, sizeof body, &bl), SRE_ERR_AUTH);
  sre_payload q = p;
  q.step = 1;
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &q, &type, &seq, NULL, body, sizeof body, &bl), SRE_ERR_AUTH);
  q = p;
  q.c[0] ^= 1;
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &q, &type, &seq, NULL, body, sizeof body, &bl), SRE_ERR_AUTH);
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &p, &type, &seq, NULL, body, 3, &bl), SRE_ERR_BUFFER);
  /* Body rules. */
  const uint8_t bad_utf8[] = {0xc3, 0x28};
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, SRE_CHAT_TEXT, 0, 0, bad_utf8, 2, NULL, json, sizeof json, &jl),
               SRE_ERR_UTF8);
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, SRE_CHAT_TEXT, 0, 0, bad_utf8, 0, NULL, json, sizeof json, &jl),
               SRE_ERR_TOO_LARGE);
  static uint8_t big[SRE_CHAT_BODY_MAX + 1];
  memset(big, 'x', sizeof big);
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, SRE_CHAT_NAME, 0, 0, big, sizeof big, NULL, json,
                             sizeof json, &jl),
               SRE_ERR_TOO_LARGE);
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, SRE_CHAT_NAME, 0, 0, big, SRE_CHAT_BODY_MAX, NULL, json,
                             sizeof json, &jl),
               SRE_OK);
  CHECK(jl < SRE_PAYLOAD_MAX);
  CHECK_EQ_INT(sre_payload_parse(json, jl, &p), SRE_OK);
  CHECK_EQ_INT(sre_chat_open(ck, tx_id_a, &p, &type, &seq, NULL, body, sizeof body, &bl), SRE_OK);
  CHECK(type == SRE_CHAT_NAME && bl == SRE_CHAT_BODY_MAX);
  CHECK_EQ_INT(sre_chat_seal(ck, tx_id_a, 1, 0, (sre_chat_type)3, 0, 0, big, 1, NULL, json, sizeof json, &jl),
               SRE_ERR_ARG);
  /* Receiver side: chat under a step the receiver only reaches by ratcheting. */
  sre_receiver r;
  sre_receiver_init(&r, 1);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, base, 16, 0), SRE_OK);
  uint8_t k2[32], got[32];
  size_t gl;
  CHECK_EQ_INT(sre_ratchet(base, 16, k2), SRE_OK);
  CHECK_EQ_INT(sre_ratchet(k2, 32, k2), SRE_OK);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 1, 2, got, &gl), SRE_OK);
  CHECK(gl == 32 && memcmp(got, k2, 32) == 0);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 1, 0, got, &gl), SRE_OK);
  CHECK(gl == 16 && memcmp(got, base, 16) == 0);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 2, 0, got, &gl), SRE_ERR_NO_KEY);
  CHECK_EQ_INT(sre_receiver_base_key(&r, 1, 17, got, &gl), SRE_ERR_RATCHET_TOO_FAR);
  CHECK_EQ_INT(r.newest_step, 0); /* chat does not install keys */
  sre_receiver_clear(&r);
}

TEST_SUITE(e2ee_keys, {"ratchet", test_ratchet},
           {"pairwise_symmetry_and_binding", test_pairwise_symmetry_and_binding},
           {"key_message", test_key_message}, {"payload_strictness", test_payload_strictness},
           {"receiver_key_rules", test_receiver_key_rules},
           {"receiver_ratchet_and_slot", test_receiver_ratchet_and_slot},
           {"join_and_leave_secrecy", test_join_and_leave_secrecy},
           {"pending_key_survives_ratchet", test_pending_key_survives_ratchet},
           {"chat", test_chat}, {"attack_rollback", test_attack_rollback},
           {"attack_eviction", test_attack_eviction},
           {"attack_silent_sender", test_attack_silent_sender});
