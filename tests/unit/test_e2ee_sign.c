/* Sender authentication (docs/e2ee-sender-auth.md): the shared vectors
 * (tests/vectors/e2ee-sign.json), signer / verifier round trips, and the
 * attacks at the library level: a member M who holds S's SFrame key forges
 * S's frames; replayed, reordered, truncated and re-attributed statements;
 * too many entries; malformed JSON; bounded memory. */
#include <stdlib.h>
#include <string.h>

#include "sealroom_e2ee.h"
#include "sealroom_sign.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static const char *const SID = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";
#define SIDB ((const uint8_t *)SID), strlen(SID)

static json_t *load_vectors(void) {
  const char *path = tx_vector_path("e2ee-sign.json");
  json_error_t err;
  json_t *root = path ? json_load_file(path, 0, &err) : NULL;
  if (root) return root;
  fprintf(stderr, "  tests/vectors/e2ee-sign.json not found (run from the project root)\n");
  return NULL;
}


/* ---- Vectors ------------------------------------------------------------ */

static void test_vectors_keys_and_hashes(void) {
  json_t *root = load_vectors();
  CHECK(root != NULL);
  if (!root) return;
  json_t *keys = json_object_get(root, "keys"), *k;
  size_t i;
  CHECK_EQ_INT(json_array_size(keys), 2);
  json_array_foreach(keys, i, k) {
    uint8_t seed[32], pub[32];
    CHECK_EQ_INT(tx_hex_member(k, "seed", seed, sizeof seed), 32);
    CHECK_EQ_INT(tx_hex_member(k, "public_key", pub, sizeof pub), 32);
    sre_signer s;
    const char *id = json_string_value(json_object_get(k, "id"));
    CHECK_EQ_INT(sre_signer_init(&s, id, SIDB, seed), SRE_OK);
    CHECK(memcmp(sre_signer_public_key(&s), pub, 32) == 0);
    sre_signer_clear(&s);
  }
  json_t *hashes = json_object_get(root, "frame_hash"), *h;
  CHECK_EQ_INT(json_array_size(hashes), 5);
  json_array_foreach(hashes, i, h) {
    uint8_t wire[1300], want[16], got[16];
    long n = tx_hex_member(h, "wire", wire, sizeof wire);
    CHECK(n >= 0);
    CHECK_EQ_INT(tx_hex_member(h, "hash", want, sizeof want), 16);
    CHECK_EQ_INT(sre_sign_frame_hash(tx_num(h, "kid"), tx_num(h, "ctr"), wire, (size_t)n, got), SRE_OK);
    CHECK(memcmp(got, want, 16) == 0);
  }
  json_decref(root);
}

static void test_vectors_statements(void) {
  json_t *root = load_vectors();
  CHECK(root != NULL);
  if (!root) return;
  uint8_t seed[32], pub[32];
  json_t *ks = json_array_get(json_object_get(root, "keys"), 0);
  CHECK_EQ_INT(tx_hex_member(ks, "seed", seed, 32), 32);
  CHECK_EQ_INT(tx_hex_member(ks, "public_key", pub, 32), 32);
  json_t *list = json_object_get(root, "statement"), *e;
  size_t i;
  CHECK_EQ_INT(json_array_size(list), 4);
  json_array_foreach(list, i, e) {
    const char *sender = json_string_value(json_object_get(e, "sender_id"));
    const char *payload = json_string_value(json_object_get(e, "payload"));
    json_t *frames = json_object_get(e, "frames");
    /* The signer, fed the same frames at the same seq, writes the same payload. */
    sre_signer s;
    CHECK_EQ_INT(sre_signer_init(&s, sender, SIDB, seed), SRE_OK);
    s.next_seq = tx_num(e, "seq"); /* jump to the vector's seq (test only) */
    char json[SRE_SIGN_PAYLOAD_MAX];
    size_t jl = 0;
    for (size_t f = 0; f < json_array_size(frames); f++) {
      uint8_t wire[1300];
      long n = tx_hex_decode(json_string_value(json_array_get(frames, f)), wire, sizeof wire);
      CHECK(n > 0);
      CHECK_EQ_INT(sre_signer_add(&s, tx_num(e, "kid"), tx_num(e, "ctr") + f, wire, (size_t)n, json,
                                  sizeof json, &jl),
                   SRE_OK);
      if (f + 1 < SRE_SIGN_MAX_FRAMES) CHECK_EQ_INT(jl, 0);
    }
    if (json_array_size(frames) < SRE_SIGN_MAX_FRAMES) {
      CHECK_EQ_INT(sre_signer_flush(&s, json, sizeof json, &jl), SRE_OK);
    }
    CHECK(jl > 0);
    CHECK_EQ_STR(json, payload);
    sre_signer_clear(&s);
    /* Parse, statement bytes, signature, and a verifier that accepts it and
     * then says ok to every frame. */
    sre_sign_statement st;
    CHECK_EQ_INT(sre_sign_statement_parse(payload, strlen(payload), &st), SRE_OK);
    CHECK_EQ_INT(st.n, json_array_size(frames));
    uint8_t bytes[SRE_SIGN_STATEMENT_MAX], want[SRE_SIGN_STATEMENT_MAX], sig[64];
    size_t bl = 0;
    long wl = tx_hex_member(e, "bytes", want, sizeof want);
    CHECK_EQ_INT(sre_sign_statement_bytes(&st, sender, SIDB, bytes, sizeof bytes, &bl), SRE_OK);
    CHECK_EQ_INT(bl, wl);
    CHECK(memcmp(bytes, want, bl) == 0);
    CHECK_EQ_INT(tx_hex_member(e, "signature", sig, sizeof sig), 64);
    CHECK(memcmp(st.sig, sig, 64) == 0);
    sre_sign_verifier v;
    CHECK_EQ_INT(sre_sign_verifier_init(&v, sender, SIDB, pub, 0), SRE_OK);
    CHECK_EQ_INT(sre_sign_verifier_statement(&v, payload, strlen(payload)), SRE_OK);
    for (size_t f = 0; f < json_array_size(frames); f++) {
      uint8_t wire[1300];
      long n = tx_hex_decode(json_string_value(json_array_get(frames, f)), wire, sizeof wire);
      CHECK_EQ_INT(sre_sign_verifier_frame(&v, tx_num(e, "kid"), tx_num(e, "ctr") + f, wire, (size_t)n,
                                           f, 0),
                   SRE_SIGN_OK);
      wire[n - 1] ^= 1; /* one bit of the tag */
      CHECK_EQ_INT(sre_sign_verifier_frame(&v, tx_num(e, "kid"), tx_num(e, "ctr") + f, wire, (size_t)n,
                                           f, 0),
                   SRE_SIGN_REJECT);
    }
    sre_sign_verifier_clear(&v);
  }
  json_decref(root);
}

static void test_vectors_refused(void) {
  json_t *root = load_vectors();
  CHECK(root != NULL);
  if (!root) return;
  uint8_t pub[32];
  json_t *ks = json_array_get(json_object_get(root, "keys"), 0);
  CHECK_EQ_INT(tx_hex_member(ks, "public_key", pub, 32), 32);
  const char *id_s = json_string_value(json_object_get(ks, "id"));
  json_t *list = json_object_get(root, "refuse"), *e;
  size_t i;
  CHECK(json_array_size(list) >= 25);
  json_array_foreach(list, i, e) {
    const char *payload = json_string_value(json_object_get(e, "payload"));
    const char *want = json_string_value(json_object_get(e, "status"));
    sre_sign_verifier v;
    CHECK_EQ_INT(sre_sign_verifier_init(&v, id_s, SIDB, pub, 0), SRE_OK);
    int got = sre_sign_verifier_statement(&v, payload, strlen(payload));
    if (got != sre_status_from_name(want)) {
      fprintf(stderr, "  refuse[%zu] %s: got %s, want %s\n", i,
              json_string_value(json_object_get(e, "description")), sre_status_name(got), want);
    }
    CHECK_EQ_INT(got, sre_status_from_name(want));
    uint64_t counted = v.stmt_ok + v.stmt_bad_sig + v.stmt_malformed + v.stmt_replay;
    CHECK_EQ_INT(counted, 1);
    if (got == SRE_ERR_AUTH) CHECK_EQ_INT(v.stmt_bad_sig, 1);
    if (got != SRE_OK) CHECK(!v.any && v.runs_n == 0);
    sre_sign_verifier_clear(&v);
  }
  json_decref(root);
}

static void test_vectors_scenario(void) {
  json_t *root = load_vectors();
  CHECK(root != NULL);
  if (!root) return;
  json_t *sc = json_array_get(json_object_get(root, "scenario"), 0), *step;
  uint8_t pub[32];
  CHECK_EQ_INT(tx_hex_member(sc, "public_key", pub, 32), 32);
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, json_string_value(json_object_get(sc, "sender_id")),
                                      SIDB, pub, (uint32_t)tx_num(sc, "delay_ms")),
               SRE_OK);
  size_t i;
  uint64_t tag = 0;
  json_array_foreach(json_object_get(sc, "steps"), i, step) {
    const char *what = json_string_value(json_object_get(step, "do"));
    uint64_t t = tx_num(step, "time");
    if (strcmp(what, "frame") == 0) {
      uint8_t wire[1300];
      long n = tx_hex_member(step, "wire", wire, sizeof wire);
      int got = sre_sign_verifier_frame(&v, tx_num(step, "kid"), tx_num(step, "ctr"), wire, (size_t)n,
                                        tag++, t);
      CHECK_EQ_STR(sre_sign_verdict_name(got),
                   json_string_value(json_object_get(step, "verdict")));
    } else if (strcmp(what, "statement") == 0) {
      const char *p = json_string_value(json_object_get(step, "payload"));
      CHECK_EQ_STR(sre_status_name(sre_sign_verifier_statement(&v, p, strlen(p))),
                   json_string_value(json_object_get(step, "status")));
    } else {
      sre_sign_decision d[8];
      size_t n = sre_sign_verifier_poll(&v, t, d, 8);
      json_t *want = json_object_get(step, "decided");
      CHECK_EQ_INT(n, json_array_size(want));
      for (size_t k = 0; k < n && k < json_array_size(want); k++) {
        json_t *w = json_array_get(want, k);
        CHECK_EQ_INT(d[k].tag, json_integer_value(json_array_get(w, 0)));
        CHECK_EQ_STR(sre_sign_verdict_name(d[k].verdict), json_string_value(json_array_get(w, 1)));
      }
    }
  }
  CHECK_EQ_INT(v.frames[SRE_SIGN_OK], 3);
  CHECK_EQ_INT(v.frames[SRE_SIGN_REJECT], 2);
  CHECK_EQ_INT(v.frames[SRE_SIGN_UNSIGNED], 1);
  CHECK_EQ_INT(v.frames[SRE_SIGN_WAIT], 0);
  CHECK_EQ_INT(v.stmt_ok, 2);
  CHECK_EQ_INT(v.stmt_replay, 1);
  CHECK_EQ_INT(v.stmt_bad_sig, 1);
  sre_sign_verifier_clear(&v);
  json_decref(root);
}

/* ---- The attack with the real SFrame stack ------------------------------ */

typedef struct {
  sre_sender sender;     /* S's media sender */
  sre_signer signer_s, signer_m;
  sre_receiver receiver; /* R's receiver state for S */
  sre_sign_verifier verifier;
} call;

static void call_init(call *c) {
  static const uint8_t base[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  CHECK_EQ_INT(sre_sender_init(&c->sender, 1, 1, base, 16), SRE_OK);
  CHECK_EQ_INT(sre_signer_init(&c->signer_s, tx_id_a, SIDB, NULL), SRE_OK);
  CHECK_EQ_INT(sre_signer_init(&c->signer_m, tx_id_b, SIDB, NULL), SRE_OK);
  sre_receiver_init(&c->receiver, 1);
  /* R got S's base key in a key message; M got the same one. */
  CHECK_EQ_INT(sre_receiver_add_key(&c->receiver, 1, 0, base, 16, 0), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_init(&c->verifier, tx_id_a, SIDB,
                                      sre_signer_public_key(&c->signer_s), 0),
               SRE_OK);
}

static void call_clear(call *c) {
  sre_sender_clear(&c->sender);
  sre_signer_clear(&c->signer_s);
  sre_signer_clear(&c->signer_m);
  sre_receiver_clear(&c->receiver);
  sre_sign_verifier_clear(&c->verifier);
}

/* R's receive path: SFrame first (authentication, replay), then the
 * signature verdict. Returns the verdict or a negative status. */
static int receive(call *c, const uint8_t *wire, size_t len, uint64_t tag, uint64_t now) {
  uint8_t out[2048];
  size_t n = 0;
  sre_status st = sre_receiver_decrypt(&c->receiver, SRE_CODEC_OPUS, wire, len, out, sizeof out, &n,
                                       now);
  if (st != SRE_OK) return st;
  size_t p = 0;
  sre_header h;
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_OPUS, wire, len, &p, &h), SRE_OK);
  return sre_sign_verifier_frame(&c->verifier, h.kid, h.ctr, wire, len, tag, now);
}

static void test_member_forges_frame(void) {
  call c;
  call_init(&c);
  uint8_t audio[160], wire[256], forged[256];
  size_t wl = 0, fl = 0, jl = 0;
  char json[SRE_SIGN_PAYLOAD_MAX];
  memset(audio, 0x11, sizeof audio);
  audio[0] = 0x78;
  /* S sends frame ctr 0 and signs it. */
  CHECK_EQ_INT(sre_sender_encrypt(&c.sender, SRE_CODEC_OPUS, audio, sizeof audio, wire, sizeof wire,
                                  &wl),
               SRE_OK);
  sre_header h;
  size_t p;
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_OPUS, wire, wl, &p, &h), SRE_OK);
  CHECK_EQ_INT(sre_signer_add(&c.signer_s, h.kid, h.ctr, wire, wl, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(jl, 0);
  /* M holds S's base key: it builds S's key and makes a different frame for
   * the same KID and CTR, which SFrame authenticates. */
  static const uint8_t base[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  sre_key k;
  uint8_t evil[160];
  memset(evil, 0x66, sizeof evil);
  evil[0] = 0x78;
  CHECK_EQ_INT(sre_key_init(&k, SRE_SUITE_WIRE, h.kid, base, 16), SRE_OK);
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_OPUS, h.ctr, evil, sizeof evil, forged, sizeof forged,
                                 &fl),
               SRE_OK);
  /* M also makes ctr 1, a frame S has not sent yet. */
  uint8_t forged1[256];
  size_t fl1 = 0;
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_OPUS, h.ctr + 1, evil, sizeof evil, forged1,
                                 sizeof forged1, &fl1),
               SRE_OK);
  sre_key_clear(&k);
  /* M signs a statement with its own key claiming to be S: refused. */
  sre_signer fake;
  CHECK_EQ_INT(sre_signer_init(&fake, tx_id_a, SIDB, NULL), SRE_OK); /* M's key, S's id */
  CHECK_EQ_INT(sre_signer_add(&fake, h.kid, h.ctr, forged, fl, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&fake, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&c.verifier, json, jl), SRE_ERR_AUTH);
  /* M's statement signed by M's real signer (sender id M) relayed as S's: refused. */
  CHECK_EQ_INT(sre_signer_add(&c.signer_m, h.kid, h.ctr, forged, fl, json, sizeof json, &jl),
               SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&c.signer_m, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&c.verifier, json, jl), SRE_ERR_AUTH);
  CHECK_EQ_INT(c.verifier.stmt_bad_sig, 2);
  sre_signer_clear(&fake);
  /* The forged frame arrives first: SFrame accepts it, the verifier holds it. */
  CHECK_EQ_INT(receive(&c, forged, fl, 100, 1000), SRE_SIGN_WAIT);
  CHECK_EQ_INT(receive(&c, forged1, fl1, 101, 1001), SRE_SIGN_WAIT);
  /* S's statement arrives: the forged frame 0 is rejected. */
  CHECK_EQ_INT(sre_signer_flush(&c.signer_s, json, sizeof json, &jl), SRE_OK);
  CHECK(jl > 0);
  uint8_t hash_s[SRE_SIGN_HASH_LEN], hash_f[SRE_SIGN_HASH_LEN], hash_f1[SRE_SIGN_HASH_LEN];
  CHECK_EQ_INT(sre_sign_frame_hash(h.kid, h.ctr, wire, wl, hash_s), SRE_OK);
  CHECK_EQ_INT(sre_sign_frame_hash(h.kid, h.ctr, forged, fl, hash_f), SRE_OK);
  CHECK_EQ_INT(sre_sign_frame_hash(h.kid, h.ctr + 1, forged1, fl1, hash_f1), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_lookup(&c.verifier, h.kid, h.ctr, hash_s), SRE_SIGN_WAIT);
  CHECK_EQ_INT(sre_sign_verifier_statement(&c.verifier, json, jl), SRE_OK);
  /* The lookup alone: the verdicts now, nothing held, decided or counted. */
  CHECK_EQ_INT(sre_sign_verifier_lookup(&c.verifier, h.kid, h.ctr, hash_s), SRE_SIGN_OK);
  CHECK_EQ_INT(sre_sign_verifier_lookup(&c.verifier, h.kid, h.ctr, hash_f), SRE_SIGN_REJECT);
  CHECK_EQ_INT(sre_sign_verifier_lookup(&c.verifier, h.kid, h.ctr + 1, hash_f1), SRE_SIGN_WAIT);
  CHECK_EQ_INT(sre_sign_verifier_lookup(&c.verifier, h.kid + 1, h.ctr, hash_s), SRE_SIGN_WAIT);
  CHECK_EQ_INT(sre_sign_verifier_lookup(NULL, h.kid, h.ctr, hash_s), SRE_SIGN_WAIT);
  CHECK_EQ_INT(c.verifier.pending_n, 2);
  CHECK_EQ_INT(c.verifier.frames[SRE_SIGN_OK] + c.verifier.frames[SRE_SIGN_REJECT], 0);
  sre_sign_decision d[4];
  size_t n = sre_sign_verifier_poll(&c.verifier, 1050, d, 4);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(d[0].tag, 100);
  CHECK_EQ_INT(d[0].verdict, SRE_SIGN_REJECT);
  /* Forged frame 1 is never listed: dropped as unsigned after 250 ms. */
  CHECK_EQ_INT(sre_sign_verifier_next_deadline(&c.verifier), 1001 + SRE_SIGN_DELAY_MS);
  CHECK_EQ_INT(sre_sign_verifier_poll(&c.verifier, 1250, d, 4), 0);
  n = sre_sign_verifier_poll(&c.verifier, 1251, d, 4);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(d[0].tag, 101);
  CHECK_EQ_INT(d[0].verdict, SRE_SIGN_UNSIGNED);
  CHECK_EQ_INT(sre_sign_verifier_next_deadline(&c.verifier), 0);
  /* The genuine frame 0: SFrame already saw CTR 0 (the forged frame burned
   * it: a targeted drop, docs/e2ee-sender-auth.md 6.4) ... */
  CHECK_EQ_INT(receive(&c, wire, wl, 102, 1300), SRE_ERR_REPLAY);
  /* ... but the verifier alone says ok for it. */
  CHECK_EQ_INT(sre_sign_verifier_frame(&c.verifier, h.kid, h.ctr, wire, wl, 102, 1300), SRE_SIGN_OK);
  /* A forged frame after the statement is rejected at once. */
  CHECK_EQ_INT(sre_sign_verifier_frame(&c.verifier, h.kid, h.ctr, forged, fl, 103, 1300),
               SRE_SIGN_REJECT);
  CHECK_EQ_INT(c.verifier.frames[SRE_SIGN_REJECT], 2);
  CHECK_EQ_INT(c.verifier.frames[SRE_SIGN_UNSIGNED], 1);
  call_clear(&c);
}

static void test_stream_of_frames(void) {
  /* 2 s of audio (50/s) and video (30/s) with a flush every 100 ms, frames
   * delivered before their statements: every frame passes, none waits
   * longer than one interval. */
  call c;
  call_init(&c);
  uint8_t frame[1000], wire[1100];
  char json[SRE_SIGN_PAYLOAD_MAX];
  size_t held = 0, passed = 0, tag = 0;
  memset(frame, 0x42, sizeof frame);
  frame[0] = 0x78;
  for (uint64_t t = 0; t < 2000; t++) {
    bool audio = t % 20 == 0, video = t % 33 == 0;
    for (int k = 0; k < (int)audio + (int)video; k++) {
      size_t wl = 0, jl = 0;
      frame[5] = (uint8_t)tag;
      CHECK_EQ_INT(sre_sender_encrypt(&c.sender, SRE_CODEC_OPUS, frame, k ? 900 : 100, wire,
                                      sizeof wire, &wl),
                   SRE_OK);
      sre_header h;
      size_t p;
      CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_OPUS, wire, wl, &p, &h), SRE_OK);
      CHECK_EQ_INT(sre_signer_add(&c.signer_s, h.kid, h.ctr, wire, wl, json, sizeof json, &jl),
                   SRE_OK);
      CHECK_EQ_INT(jl, 0);
      int r = receive(&c, wire, wl, tag++, t);
      CHECK_EQ_INT(r, SRE_SIGN_WAIT);
      held++;
    }
    if (t % 100 == 99) {
      size_t jl = 0;
      CHECK_EQ_INT(sre_signer_flush(&c.signer_s, json, sizeof json, &jl), SRE_OK);
      CHECK(jl > 0 && jl < 600);
      CHECK_EQ_INT(sre_sign_verifier_statement(&c.verifier, json, jl), SRE_OK);
      sre_sign_decision d[64];
      size_t n = sre_sign_verifier_poll(&c.verifier, t, d, 64);
      for (size_t i = 0; i < n; i++) CHECK_EQ_INT(d[i].verdict, SRE_SIGN_OK);
      passed += n;
    }
  }
  CHECK_EQ_INT(passed, held);
  CHECK_EQ_INT(c.verifier.pending_n, 0);
  CHECK_EQ_INT(c.verifier.stmt_ok, 20);
  CHECK_EQ_INT(c.signer_s.statements, 20);
  call_clear(&c);
}

/* ---- Statements: replay, reorder, truncation, limits -------------------- */

static void make_hash_frame(uint8_t *wire, size_t i) {
  memset(wire, (int)i, 50);
}

static void test_replay_reorder_truncate(void) {
  sre_signer s;
  uint8_t wire[50];
  char j1[SRE_SIGN_PAYLOAD_MAX], j2[SRE_SIGN_PAYLOAD_MAX];
  size_t l1 = 0, l2 = 0;
  CHECK_EQ_INT(sre_signer_init(&s, tx_id_a, SIDB, NULL), SRE_OK);
  for (size_t i = 0; i < 3; i++) {
    make_hash_frame(wire, i);
    CHECK_EQ_INT(sre_signer_add(&s, 7, i, wire, 50, j1, sizeof j1, &l1), SRE_OK);
  }
  CHECK_EQ_INT(sre_signer_flush(&s, j1, sizeof j1, &l1), SRE_OK);
  make_hash_frame(wire, 3);
  CHECK_EQ_INT(sre_signer_add(&s, 7, 3, wire, 50, j2, sizeof j2, &l2), SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&s, j2, sizeof j2, &l2), SRE_OK);
  /* Nothing more to flush. */
  char j3[SRE_SIGN_PAYLOAD_MAX];
  size_t l3 = 99;
  CHECK_EQ_INT(sre_signer_flush(&s, j3, sizeof j3, &l3), SRE_OK);
  CHECK_EQ_INT(l3, 0);

  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, tx_id_a, SIDB, s.pub, 0), SRE_OK);
  /* Reordered: statement 2 first, then statement 1 is older: refused. */
  CHECK_EQ_INT(sre_sign_verifier_statement(&v, j2, l2), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&v, j1, l1), SRE_ERR_REPLAY);
  CHECK_EQ_INT(sre_sign_verifier_statement(&v, j2, l2), SRE_ERR_REPLAY);
  CHECK_EQ_INT(v.stmt_replay, 2);
  /* Frames 0-2 are therefore never listed; frame 3 is. */
  make_hash_frame(wire, 0);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 7, 0, wire, 50, 0, 0), SRE_SIGN_WAIT);
  make_hash_frame(wire, 3);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 7, 3, wire, 50, 1, 0), SRE_SIGN_OK);
  /* The same frame under another CTR or KID is not listed. */
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 7, 4, wire, 50, 2, 0), SRE_SIGN_WAIT);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 8, 3, wire, 50, 3, 0), SRE_SIGN_WAIT);
  sre_sign_verifier_clear(&v);

  /* Truncated payload text: every prefix of a valid payload is refused. */
  CHECK_EQ_INT(sre_sign_verifier_init(&v, tx_id_a, SIDB, s.pub, 0), SRE_OK);
  for (size_t cut = 0; cut < l1; cut++) {
    int st = sre_sign_verifier_statement(&v, j1, cut);
    CHECK(st == SRE_ERR_JSON);
  }
  CHECK_EQ_INT(v.stmt_malformed, l1);
  /* Another session id or sender id: the signature does not verify. */
  sre_sign_verifier w;
  CHECK_EQ_INT(sre_sign_verifier_init(&w, tx_id_a, (const uint8_t *)"other", 5, s.pub, 0), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&w, j1, l1), SRE_ERR_AUTH);
  sre_sign_verifier_clear(&w);
  CHECK_EQ_INT(sre_sign_verifier_init(&w, tx_id_c, SIDB, s.pub, 0), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&w, j1, l1), SRE_ERR_AUTH);
  sre_sign_verifier_clear(&w);
  sre_sign_verifier_clear(&v);
  sre_signer_clear(&s);
}

/* Review of issue 8 (availability): after 255 epochs a generation, and so a
 * KID, comes back and CTRs start again at 0. A statement of the old epoch
 * still in the ring made the new epoch's genuine frame at the same (KID,
 * CTR) look forged (REJECT) instead of waiting for its own statement.
 * forget_kids drops the old epoch's statements when the new key arrives. */
static void test_kid_reuse_after_generation_wrap(void) {
  sre_signer s;
  uint8_t old_frame[50], new_frame[50];
  char j[SRE_SIGN_PAYLOAD_MAX];
  size_t l = 0;
  CHECK_EQ_INT(sre_signer_init(&s, tx_id_a, SIDB, NULL), SRE_OK);
  make_hash_frame(old_frame, 1);
  make_hash_frame(new_frame, 2);
  const uint64_t kid = 0x010500; /* slot 1, generation 5, step 0 */
  CHECK_EQ_INT(sre_signer_add(&s, kid, 0, old_frame, 50, j, sizeof j, &l), SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&s, j, sizeof j, &l), SRE_OK);
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, tx_id_a, SIDB, s.pub, 0), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&v, j, l), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, kid, 0, new_frame, 50, 0, 0), SRE_SIGN_REJECT);
  sre_sign_verifier_forget_kids(&v, 0x010500, 0x0105ff);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, kid, 0, new_frame, 50, 1, 0), SRE_SIGN_WAIT);
  /* Its own statement then passes it; other generations are untouched. */
  CHECK_EQ_INT(sre_signer_add(&s, kid, 0, new_frame, 50, j, sizeof j, &l), SRE_OK);
  CHECK_EQ_INT(sre_signer_flush(&s, j, sizeof j, &l), SRE_OK);
  CHECK_EQ_INT(sre_sign_verifier_statement(&v, j, l), SRE_OK);
  sre_sign_decision d[4];
  CHECK_EQ_INT(sre_sign_verifier_poll(&v, 0, d, 4), 1);
  CHECK(d[0].tag == 1 && d[0].verdict == SRE_SIGN_OK);
  sre_sign_verifier_forget_kids(&v, 0x010600, 0x0106ff);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, kid, 0, new_frame, 50, 2, 0), SRE_SIGN_OK);
  sre_sign_verifier_clear(&v);
  sre_signer_clear(&s);
}

static void test_signer_flush_rules(void) {
  sre_signer s;
  uint8_t wire[50];
  char json[SRE_SIGN_PAYLOAD_MAX];
  size_t jl = 0;
  sre_sign_statement st;
  CHECK_EQ_INT(sre_signer_init(&s, tx_id_a, SIDB, NULL), SRE_OK);
  /* A full list flushes by itself at 64 frames. */
  for (size_t i = 0; i < SRE_SIGN_MAX_FRAMES; i++) {
    make_hash_frame(wire, i);
    CHECK_EQ_INT(sre_signer_add(&s, 5, 10 + i, wire, 50, json, sizeof json, &jl), SRE_OK);
    CHECK_EQ_INT(jl > 0, i == SRE_SIGN_MAX_FRAMES - 1);
  }
  CHECK_EQ_INT(sre_sign_statement_parse(json, jl, &st), SRE_OK);
  CHECK(st.seq == 0 && st.kid == 5 && st.ctr == 10 && st.n == 64);
  CHECK(jl < 1600);
  /* A new KID flushes the old list first; so does a gap in the CTRs. */
  CHECK_EQ_INT(sre_signer_add(&s, 5, 74, wire, 50, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(jl, 0);
  CHECK_EQ_INT(sre_signer_add(&s, 6, 0, wire, 50, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_statement_parse(json, jl, &st), SRE_OK);
  CHECK(st.seq == 1 && st.kid == 5 && st.ctr == 74 && st.n == 1);
  CHECK_EQ_INT(sre_signer_add(&s, 6, 2, wire, 50, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_statement_parse(json, jl, &st), SRE_OK);
  CHECK(st.seq == 2 && st.kid == 6 && st.ctr == 0 && st.n == 1);
  CHECK_EQ_INT(sre_signer_flush(&s, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_statement_parse(json, jl, &st), SRE_OK);
  CHECK(st.seq == 3 && st.kid == 6 && st.ctr == 2 && st.n == 1);
  /* A too-small buffer: nothing is lost, the list is kept. */
  CHECK_EQ_INT(sre_signer_add(&s, 6, 3, wire, 50, json, sizeof json, &jl), SRE_OK);
  char tiny[20];
  CHECK_EQ_INT(sre_signer_flush(&s, tiny, sizeof tiny, &jl), SRE_ERR_BUFFER);
  CHECK_EQ_INT(s.list.n, 1);
  CHECK_EQ_INT(sre_signer_flush(&s, json, sizeof json, &jl), SRE_OK);
  CHECK_EQ_INT(sre_sign_statement_parse(json, jl, &st), SRE_OK);
  CHECK(st.seq == 4 && st.n == 1);
  /* Out of range. */
  CHECK_EQ_INT(sre_signer_add(&s, SRE_SIGN_NUM_MAX + 1, 0, wire, 50, json, sizeof json, &jl),
               SRE_ERR_ARG);
  CHECK_EQ_INT(sre_signer_add(&s, 0, SRE_SIGN_NUM_MAX + 1, wire, 50, json, sizeof json, &jl),
               SRE_ERR_ARG);
  sre_signer_clear(&s);
  /* Bad ids and keys. */
  CHECK_EQ_INT(sre_signer_init(&s, "short", SIDB, NULL), SRE_ERR_BAD_ID);
  CHECK_EQ_INT(sre_signer_init(&s, tx_id_a, (const uint8_t *)"", 0, NULL), SRE_ERR_BAD_ID);
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, tx_id_a, SIDB, NULL, 0), SRE_ERR_BAD_PUBLIC_KEY);
}

static void test_bounded_memory(void) {
  sre_signer s;
  uint8_t wire[50];
  char json[SRE_SIGN_PAYLOAD_MAX];
  size_t jl = 0;
  CHECK_EQ_INT(sre_signer_init(&s, tx_id_a, SIDB, NULL), SRE_OK);
  sre_sign_verifier v;
  CHECK_EQ_INT(sre_sign_verifier_init(&v, tx_id_a, SIDB, s.pub, 100), SRE_OK);
  /* Frames that never get a statement: at most SRE_SIGN_PENDING_MAX are held. */
  for (size_t i = 0; i < SRE_SIGN_PENDING_MAX + 10; i++) {
    make_hash_frame(wire, i);
    int r = sre_sign_verifier_frame(&v, 1, i, wire, 50, i, 5);
    CHECK_EQ_INT(r, i < SRE_SIGN_PENDING_MAX ? SRE_SIGN_WAIT : SRE_SIGN_OVERFLOW);
  }
  CHECK_EQ_INT(v.pending_n, SRE_SIGN_PENDING_MAX);
  CHECK_EQ_INT(v.frames[SRE_SIGN_OVERFLOW], 10);
  /* poll writes at most cap decisions and keeps the rest. */
  sre_sign_decision d[100];
  CHECK_EQ_INT(sre_sign_verifier_poll(&v, 104, d, 100), 0);
  CHECK_EQ_INT(sre_sign_verifier_poll(&v, 105, d, 100), 100);
  CHECK_EQ_INT(d[0].tag, 0);
  CHECK_EQ_INT(d[99].tag, 99);
  CHECK_EQ_INT(d[99].verdict, SRE_SIGN_UNSIGNED);
  CHECK_EQ_INT(v.pending_n, SRE_SIGN_PENDING_MAX - 100);
  CHECK_EQ_INT(sre_sign_verifier_poll(&v, 105, d, 100), 100);
  CHECK_EQ_INT(d[0].tag, 100);
  CHECK_EQ_INT(sre_sign_verifier_poll(&v, 105, d, 100), SRE_SIGN_PENDING_MAX - 200);
  CHECK_EQ_INT(v.pending_n, 0);
  CHECK_EQ_INT(v.frames[SRE_SIGN_UNSIGNED], SRE_SIGN_PENDING_MAX);
  CHECK_EQ_INT(v.frames[SRE_SIGN_WAIT], 0);
  /* Only SRE_SIGN_KEEP statements are remembered: the oldest are forgotten. */
  for (size_t k = 0; k < SRE_SIGN_KEEP + 3; k++) {
    make_hash_frame(wire, k);
    CHECK_EQ_INT(sre_signer_add(&s, 2, k, wire, 50, json, sizeof json, &jl), SRE_OK);
    CHECK_EQ_INT(sre_signer_flush(&s, json, sizeof json, &jl), SRE_OK);
    CHECK_EQ_INT(sre_sign_verifier_statement(&v, json, jl), SRE_OK);
  }
  CHECK_EQ_INT(v.runs_n, SRE_SIGN_KEEP);
  make_hash_frame(wire, 0);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 2, 0, wire, 50, 0, 200), SRE_SIGN_WAIT);
  make_hash_frame(wire, SRE_SIGN_KEEP + 2);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 2, SRE_SIGN_KEEP + 2, wire, 50, 0, 200), SRE_SIGN_OK);
  make_hash_frame(wire, 3);
  CHECK_EQ_INT(sre_sign_verifier_frame(&v, 2, 3, wire, 50, 0, 200), SRE_SIGN_OK);
  sre_sign_verifier_clear(&v);
  sre_signer_clear(&s);
}

TEST_SUITE(e2ee_sign, {"vectors_keys_and_hashes", test_vectors_keys_and_hashes},
           {"vectors_statements", test_vectors_statements},
           {"vectors_refused", test_vectors_refused}, {"vectors_scenario", test_vectors_scenario},
           {"member_forges_frame", test_member_forges_frame},
           {"stream_of_frames", test_stream_of_frames},
           {"replay_reorder_truncate", test_replay_reorder_truncate},
           {"kid_reuse_after_generation_wrap", test_kid_reuse_after_generation_wrap},
           {"signer_flush_rules", test_signer_flush_rules},
           {"bounded_memory", test_bounded_memory});
