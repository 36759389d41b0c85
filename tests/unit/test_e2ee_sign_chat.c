/* Signed chat (docs/e2ee-sender-auth.md 10): the shared vectors (the "chat"
 * member of tests/vectors/e2ee-sign.json, also checked against the JS twin
 * by tests/js/sign.test.mjs), and round trips through the C chat API: seal,
 * sign, open the wrapper, open the chat; a member M who holds S's chat key
 * writing in S's name; truncated, altered and oversized wrappers; limits. */
#include <stdlib.h>
#include <string.h>

#include "sealroom_e2ee.h"
#include "sealroom_sign.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static const char *const SID = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";
#define SIDB ((const uint8_t *)SID), strlen(SID)

/* The "chat" member of the vectors (root in *root; json_decref it). */
static json_t *load_chat(json_t **root) {
  const char *path = tx_vector_path("e2ee-sign.json");
  json_error_t err;
  *root = path ? json_load_file(path, 0, &err) : NULL;
  if (*root) return json_object_get(*root, "chat");
  fprintf(stderr, "  tests/vectors/e2ee-sign.json not found (run from the project root)\n");
  return NULL;
}


static const char *str(json_t *o, const char *name) {
  return json_string_value(json_object_get(o, name));
}

/* S's key from the vectors: the seed and public key of keys[0]. */
static void key_s(json_t *root, uint8_t seed[32], uint8_t pub[32]) {
  json_t *ks = json_array_get(json_object_get(root, "keys"), 0);
  CHECK_EQ_INT(tx_hex_member(ks, "seed", seed, 32), 32);
  CHECK_EQ_INT(tx_hex_member(ks, "public_key", pub, 32), 32);
}

/* Parses and opens an inner chat payload; the status of the first failure. */
static sre_status open_inner(const uint8_t key[SRE_CHAT_KEY_LEN], const char *sender,
                             const char *text, size_t len, sre_chat_type *type, uint32_t *seq,
                             uint64_t *time_ms, uint8_t *body, size_t *body_len) {
  static sre_payload p;
  sre_status st = sre_payload_parse(text, len, &p);
  if (st != SRE_OK) return st;
  if (p.type != SRE_PAYLOAD_CHAT) return SRE_ERR_JSON;
  return sre_chat_open(key, sender, &p, type, seq, time_ms, body, SRE_CHAT_BODY_MAX, body_len);
}

/* ---- Vectors ------------------------------------------------------------ */

static void test_vectors_messages(void) {
  json_t *root = NULL, *ch = load_chat(&root), *e;
  CHECK(ch != NULL);
  if (!ch) {
    json_decref(root);
    return;
  }
  uint8_t seed[32], pub[32];
  key_s(root, seed, pub);
  const char *sender = str(ch, "sender_id");
  CHECK_EQ_STR(sender, str(json_array_get(json_object_get(root, "keys"), 0), "id"));
  CHECK_EQ_STR(str(ch, "session_id"), SID);
  sre_signer s;
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_signer_init(&s, sender, SIDB, seed), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_init(&v, sender, SIDB, pub, 0), SRE_OK);
  size_t i;
  CHECK_EQ_INT(json_array_size(json_object_get(ch, "messages")), 3);
  json_array_foreach(json_object_get(ch, "messages"), i, e) {
    uint8_t base[32], ck[16], want_ck[16], nonce[12], sig[64];
    static uint8_t bytes[SRE_SIGN_CHAT_INPUT_MAX], want[SRE_SIGN_CHAT_INPUT_MAX];
    static uint8_t body[SRE_CHAT_BODY_MAX];
    static char m[SRE_SIGN_CHAT_MAX], w[SRE_SIGN_CHAT_MAX], inner[SRE_SIGN_CHAT_MAX];
    long bl = tx_hex_member(e, "base_key", base, sizeof base);
    CHECK(bl == 16 || bl == 32);
    CHECK_EQ_INT(tx_hex_member(e, "chat_key", want_ck, 16), 16);
    CHECK_EQ_INT(tx_hex_member(e, "nonce", nonce, 12), 12);
    CHECK_EQ_INT(sre_chat_key(base, (size_t)bl, SIDB, ck), SRE_OK);
    CHECK(memcmp(ck, want_ck, 16) == 0);
    /* Sealed chat, signed bytes, wrapper: byte for byte. */
    const char *bodytext = str(e, "body");
    size_t body_len = json_string_length(json_object_get(e, "body")), ml = 0, wl = 0, il = 0,
           nl = 0;
    CHECK_EQ_INT(
        sre_chat_seal(ck, sender, (uint32_t)tx_num(e, "epoch"), (uint8_t)tx_num(e, "step"),
                      (sre_chat_type)tx_num(e, "type"), (uint32_t)tx_num(e, "seq"), tx_num(e, "time_ms"),
                      (const uint8_t *)bodytext, body_len, nonce, m, sizeof m, &ml),
        SRE_OK);
    CHECK_EQ_STR(m, str(e, "chat"));
    long want_len = tx_hex_member(e, "bytes", want, sizeof want);
    CHECK_EQ_INT(sre_sign_chat_input(sender, SIDB, m, ml, bytes, sizeof bytes, &nl), SRE_OK);
    CHECK_EQ_INT(nl, want_len);
    CHECK(memcmp(bytes, want, nl) == 0);
    CHECK_EQ_INT(sre_signer_sign_chat(&s, m, ml, w, sizeof w, &wl), SRE_OK);
    CHECK_EQ_STR(w, str(e, "wrapper"));
    CHECK_EQ_INT(wl, strlen(w));
    CHECK_EQ_INT(tx_hex_member(e, "signature", sig, sizeof sig), 64);
    /* Open the wrapper, then the chat inside it. */
    const char *wrapper = str(e, "wrapper");
    CHECK_EQ_INT(sre_sign_chat_open(&v, wrapper, strlen(wrapper), inner, sizeof inner, &il),
                 SRE_OK);
    CHECK_EQ_STR(inner, m);
    CHECK_EQ_INT(il, ml);
    sre_chat_type type = 0;
    uint32_t seq = 0;
    uint64_t t = 0;
    size_t n = 0;
    CHECK_EQ_INT(open_inner(ck, sender, inner, il, &type, &seq, &t, body, &n), SRE_OK);
    CHECK_EQ_INT(type, tx_num(e, "type"));
    CHECK_EQ_INT(seq, tx_num(e, "seq"));
    CHECK_EQ_INT(t, tx_num(e, "time_ms"));
    CHECK(n == body_len && memcmp(body, bodytext, n) == 0);
  }
  /* The longest wrapper the library writes is accepted. */
  CHECK_EQ_INT(strlen(str(json_array_get(json_object_get(ch, "messages"), 2), "wrapper")), 5690);
  sre_signer_clear(&s);
  sre_sign_verifier_clear(&v);
  json_decref(root);
}

static void test_vectors_refused(void) {
  json_t *root = NULL, *ch = load_chat(&root), *e;
  CHECK(ch != NULL);
  if (!ch) {
    json_decref(root);
    return;
  }
  uint8_t seed[32], pub[32], key0[16];
  key_s(root, seed, pub);
  const char *sender = str(ch, "sender_id");
  CHECK_EQ_INT(
      tx_hex_member(json_array_get(json_object_get(ch, "messages"), 0), "chat_key", key0, 16), 16);
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, sender, SIDB, pub, 0), SRE_OK);
  size_t i;
  CHECK(json_array_size(json_object_get(ch, "refuse")) >= 30);
  json_array_foreach(json_object_get(ch, "refuse"), i, e) {
    static char inner[SRE_SIGN_CHAT_MAX];
    static uint8_t body[SRE_CHAT_BODY_MAX];
    const char *w = str(e, "wrapper"), *want = str(e, "status");
    size_t il = 99;
    memset(inner, 0x55, sizeof inner);
    int got = sre_sign_chat_open(&v, w, strlen(w), inner, sizeof inner, &il);
    if (got != sre_status_from_name(want)) {
      fprintf(stderr, "  chat.refuse[%zu] %s: got %s, want %s\n", i, str(e, "description"),
              sre_status_name(got), want);
    }
    CHECK_EQ_INT(got, sre_status_from_name(want));
    if (got != SRE_OK) {
      CHECK_EQ_INT(il, 0);
      CHECK_EQ_INT((uint8_t)inner[0], 0x55); /* nothing written */
      continue;
    }
    CHECK_EQ_STR(inner, str(e, "chat"));
    sre_chat_type type;
    uint32_t seq;
    uint64_t t;
    size_t n = 0;
    CHECK_EQ_STR(sre_status_name(open_inner(key0, sender, inner, il, &type, &seq, &t, body, &n)),
                 str(e, "chat_status"));
  }
  /* Nothing of this touches the statement state. */
  CHECK(!v.any && v.stmt_ok + v.stmt_bad_sig + v.stmt_malformed + v.stmt_replay == 0);
  sre_sign_verifier_clear(&v);
  json_decref(root);
}

/* ---- Round trips and attacks -------------------------------------------- */

typedef struct {
  uint8_t base[16], key[SRE_CHAT_KEY_LEN];
  sre_signer s, m;     /* S and member M (fresh keys) */
  sre_sign_verifier v; /* R's verifier of S */
  char chat[SRE_SIGN_CHAT_MAX], wrap[SRE_SIGN_CHAT_MAX];
  size_t chat_len, wrap_len;
} chat_call;

static void chat_call_init(chat_call *c, const char *body) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < 16; i++) c->base[i] = (uint8_t)(3 * i + 1);
  CHECK_EQ_INT(sre_chat_key(c->base, 16, SIDB, c->key), SRE_OK);
  CHECK_EQ_INT(sre_signer_init(&c->s, tx_id_a, SIDB, NULL), SRE_OK);
  CHECK_EQ_INT(sre_signer_init(&c->m, tx_id_b, SIDB, NULL), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_init(&c->v, tx_id_a, SIDB, sre_signer_public_key(&c->s), 0),
               SRE_OK);
  CHECK_EQ_INT(sre_chat_seal(c->key, tx_id_a, 7, 1, SRE_CHAT_TEXT, 3, 1767225600000ull,
                             (const uint8_t *)body, strlen(body), NULL, c->chat, sizeof c->chat,
                             &c->chat_len),
               SRE_OK);
  CHECK_EQ_INT(
      sre_signer_sign_chat(&c->s, c->chat, c->chat_len, c->wrap, sizeof c->wrap, &c->wrap_len),
      SRE_OK);
}

static void chat_call_clear(chat_call *c) {
  sre_signer_clear(&c->s);
  sre_signer_clear(&c->m);
  sre_sign_verifier_clear(&c->v);
}

static void test_round_trip(void) {
  static chat_call c;
  chat_call_init(&c, "meet at noon");
  static char inner[SRE_SIGN_CHAT_MAX];
  static uint8_t body[SRE_CHAT_BODY_MAX];
  size_t il = 0, n = 0;
  /* The wrapper is {"t":"schat","v":1,"m":<the sealed payload>,"s":"<88>"}. */
  CHECK(strncmp(c.wrap, "{\"t\":\"schat\",\"v\":1,\"m\":", 23) == 0);
  CHECK(memcmp(c.wrap + 23, c.chat, c.chat_len) == 0);
  CHECK_EQ_INT(c.wrap_len, 23 + c.chat_len + 6 + 88 + 2);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, c.wrap, c.wrap_len, inner, sizeof inner, &il), SRE_OK);
  CHECK_EQ_STR(inner, c.chat);
  sre_chat_type type;
  uint32_t seq;
  uint64_t t;
  CHECK_EQ_INT(open_inner(c.key, tx_id_a, inner, il, &type, &seq, &t, body, &n), SRE_OK);
  CHECK(type == SRE_CHAT_TEXT && seq == 3 && t == 1767225600000ull);
  CHECK(n == 12 && memcmp(body, "meet at noon", 12) == 0);
  /* The signer writes m as sre_chat_seal does, whatever the layout it got. */
  static char loose[SRE_SIGN_CHAT_MAX], w2[SRE_SIGN_CHAT_MAX];
  size_t w2l = 0;
  snprintf(loose, sizeof loose, " %.*s ", (int)c.chat_len, c.chat);
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, loose, strlen(loose), w2, sizeof w2, &w2l), SRE_OK);
  CHECK_EQ_STR(w2, c.wrap); /* Ed25519 is deterministic */
  /* The signed bytes name the session and the sender. */
  static uint8_t in1[SRE_SIGN_CHAT_INPUT_MAX], in2[SRE_SIGN_CHAT_INPUT_MAX];
  size_t l1 = 0, l2 = 0;
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_a, SIDB, c.chat, c.chat_len, in1, sizeof in1, &l1),
               SRE_OK);
  CHECK(memcmp(in1, "sealroom chat sig v1", 20) == 0 && in1[20] == strlen(SID));
  CHECK(memcmp(in1 + 21, SID, strlen(SID)) == 0 &&
        memcmp(in1 + 21 + strlen(SID), tx_id_a, 36) == 0);
  CHECK_EQ_INT(l1, 20 + 1 + strlen(SID) + 36 + 4 + 1 + 12 + (1 + 4 + 8 + 12 + 16));
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_b, SIDB, c.chat, c.chat_len, in2, sizeof in2, &l2),
               SRE_OK);
  CHECK(l1 == l2 && memcmp(in1, in2, l1) != 0);
  chat_call_clear(&c);
}

static void test_member_writes_in_senders_name(void) {
  static chat_call c;
  chat_call_init(&c, "the real message");
  static char forged[SRE_PAYLOAD_MAX], w[SRE_SIGN_CHAT_MAX], inner[SRE_SIGN_CHAT_MAX];
  size_t fl = 0, wl = 0, il = 0;
  /* M holds S's base key, so it seals a message that S's chat key opens. */
  CHECK_EQ_INT(
      sre_chat_seal(c.key, tx_id_a, 7, 1, SRE_CHAT_TEXT, 4, 1767225600001ull,
                    (const uint8_t *)"send me the code", 16, NULL, forged, sizeof forged, &fl),
      SRE_OK);
  /* Signed by M as M, relayed as from S: refused. */
  CHECK_EQ_INT(sre_signer_sign_chat(&c.m, forged, fl, w, sizeof w, &wl), SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, w, wl, inner, sizeof inner, &il), SRE_ERR_AUTH);
  /* Signed with M's key under S's id: refused. */
  sre_signer fake;
  CHECK_EQ_INT(sre_signer_init(&fake, tx_id_a, SIDB, NULL), SRE_OK);
  CHECK_EQ_INT(sre_signer_sign_chat(&fake, forged, fl, w, sizeof w, &wl), SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, w, wl, inner, sizeof inner, &il), SRE_ERR_AUTH);
  sre_signer_clear(&fake);
  /* Not signed at all: refused. */
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, forged, fl, inner, sizeof inner, &il), SRE_ERR_JSON);
  /* S's signature of the real message moved onto the forged one: refused. */
  snprintf(w, sizeof w, "{\"t\":\"schat\",\"v\":1,\"m\":%s,\"s\":\"%.88s\"}", forged,
           c.wrap + c.wrap_len - 90);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, w, strlen(w), inner, sizeof inner, &il), SRE_ERR_AUTH);
  /* A verifier of another session or another sender refuses S's wrapper. */
  sre_sign_verifier o;
  CHECK_EQ_INT(sre_sign_verifier_init(&o, tx_id_a, (const uint8_t *)"other", 5,
                                      sre_signer_public_key(&c.s), 0),
               SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_open(&o, c.wrap, c.wrap_len, inner, sizeof inner, &il), SRE_ERR_AUTH);
  sre_sign_verifier_clear(&o);
  CHECK_EQ_INT(sre_sign_verifier_init(&o, tx_id_c, SIDB, sre_signer_public_key(&c.s), 0), SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_open(&o, c.wrap, c.wrap_len, inner, sizeof inner, &il), SRE_ERR_AUTH);
  sre_sign_verifier_clear(&o);
  CHECK_EQ_INT(il, 0);
  chat_call_clear(&c);
}

static void test_altered_wrappers(void) {
  static chat_call c;
  chat_call_init(&c, "x");
  static char inner[SRE_SIGN_CHAT_MAX], w[SRE_SIGN_CHAT_MAX + 2];
  size_t il = 0;
  /* Every proper prefix is refused before any signature work. */
  for (size_t cut = 0; cut < c.wrap_len; cut++) {
    CHECK_EQ_INT(sre_sign_chat_open(&c.v, c.wrap, cut, inner, sizeof inner, &il), SRE_ERR_JSON);
  }
  /* Any change to a character of m's signed values, or of the signature,
   * is refused (the status depends on what the change breaks). */
  size_t m_end = 23 + c.chat_len, s_at = c.wrap_len - 90;
  for (size_t i = 0; i < c.wrap_len; i++) {
    bool in_value = (i > 23 && i < m_end) || (i >= s_at && i < s_at + 88);
    if (!in_value) continue;
    memcpy(w, c.wrap, c.wrap_len + 1);
    w[i] = w[i] == 'A' ? 'B' : 'A';
    int st = sre_sign_chat_open(&c.v, w, c.wrap_len, inner, sizeof inner, &il);
    /* m's "t" and "v" are not signed: a change there is left to the chat
     * layer (sre_payload_parse), or breaks the JSON. */
    if (st == SRE_OK) {
      static sre_payload p;
      CHECK(sre_payload_parse(inner, il, &p) != SRE_OK);
    } else {
      CHECK(st == SRE_ERR_AUTH || st == SRE_ERR_JSON || st == SRE_ERR_BASE64);
    }
  }
  /* Too long: refused unparsed; exactly SRE_SIGN_CHAT_MAX bytes is accepted. */
  memcpy(w, c.wrap, c.wrap_len);
  memset(w + c.wrap_len, ' ', sizeof w - c.wrap_len);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, w, SRE_SIGN_CHAT_MAX, inner, sizeof inner, &il), SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, w, SRE_SIGN_CHAT_MAX + 1, inner, sizeof inner, &il),
               SRE_ERR_JSON);
  /* The inner text needs chat_len + 1 bytes. */
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, c.wrap, c.wrap_len, inner, c.chat_len, &il),
               SRE_ERR_BUFFER);
  CHECK_EQ_INT(il, 0);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, c.wrap, c.wrap_len, inner, c.chat_len + 1, &il), SRE_OK);
  CHECK_EQ_INT(il, c.chat_len);
  chat_call_clear(&c);
}

static void test_arguments_and_limits(void) {
  static chat_call c;
  chat_call_init(&c, "limits");
  static char w[SRE_SIGN_CHAT_MAX], inner[SRE_SIGN_CHAT_MAX];
  static uint8_t in[SRE_SIGN_CHAT_INPUT_MAX];
  size_t wl = 0, il = 0, nl = 0;
  /* The signer signs only a valid sealed chat payload. */
  char ack_json[SRE_PAYLOAD_MAX];
  size_t kl = 0;
  CHECK_EQ_INT(sre_ack_write(3, ack_json, sizeof ack_json, &kl), SRE_OK);
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, ack_json, kl, w, sizeof w, &wl), SRE_ERR_JSON);
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, "{}", 2, w, sizeof w, &wl), SRE_ERR_JSON);
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, c.wrap, c.wrap_len, w, sizeof w, &wl), SRE_ERR_JSON);
  CHECK_EQ_INT(wl, 0);
  /* Buffers: the wrapper needs its length + 1; the input its length. */
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, c.chat, c.chat_len, w, c.wrap_len, &wl), SRE_ERR_BUFFER);
  CHECK_EQ_INT(sre_signer_sign_chat(&c.s, c.chat, c.chat_len, w, c.wrap_len + 1, &wl), SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_a, SIDB, c.chat, c.chat_len, in, 100, &nl),
               SRE_ERR_BUFFER);
  CHECK_EQ_INT(nl, 0);
  /* Ids and arguments. */
  CHECK_EQ_INT(sre_sign_chat_input("short", SIDB, c.chat, c.chat_len, in, sizeof in, &nl),
               SRE_ERR_BAD_ID);
  CHECK_EQ_INT(
      sre_sign_chat_input(tx_id_a, (const uint8_t *)"", 0, c.chat, c.chat_len, in, sizeof in, &nl),
      SRE_ERR_BAD_ID);
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_a, SIDB, NULL, 0, in, sizeof in, &nl), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_signer_sign_chat(NULL, c.chat, c.chat_len, w, sizeof w, &wl), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_sign_chat_open(NULL, c.wrap, c.wrap_len, inner, sizeof inner, &il), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, c.wrap, c.wrap_len, NULL, 0, &il), SRE_ERR_ARG);
  sre_sign_verifier cleared;
  memset(&cleared, 0, sizeof cleared);
  CHECK_EQ_INT(sre_sign_chat_open(&cleared, c.wrap, c.wrap_len, inner, sizeof inner, &il),
               SRE_ERR_ARG);
  /* The input function takes chat text up to SRE_SIGN_CHAT_MAX. */
  static char big[SRE_SIGN_CHAT_MAX + 2];
  memset(big, ' ', sizeof big);
  memcpy(big, c.chat, c.chat_len);
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_a, SIDB, big, SRE_SIGN_CHAT_MAX, in, sizeof in, &nl),
               SRE_OK);
  CHECK_EQ_INT(sre_sign_chat_input(tx_id_a, SIDB, big, SRE_SIGN_CHAT_MAX + 1, in, sizeof in, &nl),
               SRE_ERR_JSON);
  /* A wrapper of the largest "n" and "c" that fit SRE_SIGN_CHAT_MAX still
   * has room in the signed bytes (it fails only at the signature). */
  static char huge[SRE_SIGN_CHAT_MAX + 1];
  size_t head = (size_t)snprintf(huge, sizeof huge,
                                 "{\"t\":\"schat\",\"v\":1,\"s\":\"%.88s\",\"m\":"
                                 "{\"t\":\"chat\",\"e\":1,\"r\":0,\"n\":\"\",\"c\":\"",
                                 c.wrap + c.wrap_len - 90);
  size_t room = (SRE_SIGN_CHAT_MAX - head - 3) / 4 * 4;
  memset(huge + head, 'A', room);
  memcpy(huge + head + room, "\"}}", 4);
  CHECK_EQ_INT(sre_sign_chat_open(&c.v, huge, strlen(huge), inner, sizeof inner, &il),
               SRE_ERR_AUTH);
  chat_call_clear(&c);
}

TEST_SUITE(e2ee_sign_chat, {"vectors_messages", test_vectors_messages},
           {"vectors_refused", test_vectors_refused}, {"round_trip", test_round_trip},
           {"member_writes_in_senders_name", test_member_writes_in_senders_name},
           {"altered_wrappers", test_altered_wrappers},
           {"arguments_and_limits", test_arguments_and_limits});
