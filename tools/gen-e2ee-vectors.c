/* Generates tests/vectors/e2ee.json (docs/e2ee.md 14) from fixed inputs:
 *   build/gen-e2ee-vectors > tests/vectors/e2ee.json
 * Every input is fixed here (private keys are SHA-256 of a label, nonces and
 * base keys are spelled out), so the output is the same on every run; the unit
 * suite e2ee_vectors recomputes every entry from its inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "e2ee/internal.h"
#include "sealroom_e2ee.h"

#define VECTOR_TOOL "gen-e2ee-vectors"
#include "vector_json.h"


static const char *const session_id = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";
static const char *const ids[4] = {
    "0f8fad5b-d9cb-469f-a165-70867728950e", /* A */
    "7c9e6679-7425-40de-944b-e07fc1f90ae7", /* B */
    "16fd2706-8baf-433b-82eb-8c7fada847da", /* C */
    "c56a4180-65aa-42ec-a945-5fd21dec0538", /* D */
};
static const uint16_t slots[4] = {1, 2, 3, 65535};
/* Display names: ASCII, empty, non-ASCII, one letter. */
static const char *const names[4] = {"Ana", "", "Zo\xc3\xab \xe6\x9d\x8e", "D"};

static sre_keypair kp[4];
static uint8_t sign_pub[4][32]; /* Ed25519 public keys (signing_key) */


/* Deterministic bytes: SHA-256 blocks of "label" || counter. */
static void fill(uint8_t *out, size_t n, const char *label) {
  uint8_t block[32], in[128];
  size_t l = strlen(label);
  if (l > 100) DIE("label too long");
  memcpy(in, label, l);
  for (size_t i = 0; i < n; i += 32) {
    in[l] = (uint8_t)(i / 32);
    sha256(in, l + 1, block);
    memcpy(out + i, block, n - i < 32 ? n - i : 32);
  }
}

static void make_keys(void) {
  for (int i = 0; i < 4; i++) {
    char label[64];
    uint8_t priv[32];
    snprintf(label, sizeof label, "sealroom e2ee vector private key %c", 'A' + i);
    sha256(label, strlen(label), priv);
    OK(sre_keypair_from_private(&kp[i], priv));
    /* The Ed25519 signing key of sender authentication, from its seed. */
    snprintf(label, sizeof label, "sealroom e2ee vector signing seed %c", 'A' + i);
    sha256(label, strlen(label), priv);
    EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
    size_t sl = 32;
    if (!sk || EVP_PKEY_get_raw_public_key(sk, sign_pub[i], &sl) != 1 || sl != 32) DIE("ed25519");
    EVP_PKEY_free(sk);
  }
}

static const uint8_t *sid(void) {
  return (const uint8_t *)session_id;
}

static json_t *kid_vectors(void) {
  struct {
    uint16_t slot;
    uint8_t g, s;
    uint64_t ctr;
  } v[] = {{0, 1, 0, 0}, {1, 1, 0, 7}, {1, 1, 1, 8}, {2, 3, 4, 255}, {255, 255, 255, 256},
           {256, 1, 0, 65535}, {65535, 255, 255, 0xffffffffull}, {42, 17, 9, 0x0123456789abcdefull}};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint64_t kid = sre_kid_make(v[i].slot, v[i].g, v[i].s);
    uint8_t h[SRE_HEADER_MAX];
    size_t n = sre_header_encode(kid, v[i].ctr, h);
    json_array_append_new(a, json_pack("{s:i,s:i,s:i,s:I,s:I,s:o}", "slot", v[i].slot, "generation",
                                       v[i].g, "step", v[i].s, "kid", (json_int_t)kid,
                                       "header_ctr", (json_int_t)v[i].ctr, "header", hex(h, n)));
  }
  return a;
}

static json_t *epoch_vectors(void) {
  static const uint32_t epochs[] = {1, 2, 254, 255, 256, 257, 300, 510, 511, 65536, 4294967295u};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
    json_array_append_new(a, json_pack("{s:I,s:i}", "epoch", (json_int_t)epochs[i], "generation",
                                       sre_epoch_generation(epochs[i])));
  }
  return a;
}

static json_t *pairwise_vectors(void) {
  static const int pairs[][2] = {{0, 1}, {0, 2}, {2, 1}};
  json_t *a = json_array();
  for (size_t i = 0; i < 3; i++) {
    int x = pairs[i][0], y = pairs[i][1];
    uint8_t shared[32], info[SRE_PAIRWISE_INFO_LEN], key[16], back[16];
    OK(sre_x25519(kp[x].priv, kp[y].pub, shared));
    OK(sre_pairwise_info(kp[x].pub, ids[x], kp[y].pub, ids[y], info));
    OK(sre_pairwise_key(&kp[x], ids[x], kp[y].pub, ids[y], sid(), strlen(session_id), key));
    OK(sre_pairwise_key(&kp[y], ids[y], kp[x].pub, ids[x], sid(), strlen(session_id), back));
    if (memcmp(key, back, 16) != 0) DIE("pairwise asymmetry");
    json_array_append_new(
        a, json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o}", "session_id", session_id, "id_a",
                     ids[x], "priv_a", hex(kp[x].priv, 32), "pub_a", hex(kp[x].pub, 32), "id_b",
                     ids[y], "priv_b", hex(kp[y].priv, 32), "pub_b", hex(kp[y].pub, 32), "shared",
                     hex(shared, 32), "info", hex(info, sizeof info), "key", hex(key, 16)));
  }
  return a;
}

static json_t *key_message_vectors(void) {
  struct {
    int from, to;
    uint32_t epoch;
    uint8_t step;
  } v[] = {{0, 1, 1, 0}, {0, 2, 256, 2}, {1, 0, 255, 0}, {3, 2, 300, 1}, {2, 3, 4294967295u, 0}};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    int p = v[i].from, q = v[i].to;
    uint8_t k[16], base[32], nonce[12], aad[SRE_KEYMSG_AAD_LEN], got[32];
    char label[64], json[SRE_PAYLOAD_MAX];
    size_t jl, gl;
    snprintf(label, sizeof label, "key message base key %zu", i);
    fill(base, 16, label);
    for (uint8_t s = 0; s < v[i].step; s++) OK(sre_ratchet(base, sre_base_key_len_for_step(s), base));
    size_t blen = sre_base_key_len_for_step(v[i].step);
    snprintf(label, sizeof label, "key message nonce %zu", i);
    fill(nonce, 12, label);
    OK(sre_pairwise_key(&kp[p], ids[p], kp[q].pub, ids[q], sid(), strlen(session_id), k));
    OK(sre_keymsg_aad(ids[p], ids[q], v[i].epoch, v[i].step, slots[p], aad));
    OK(sre_keymsg_seal(k, ids[p], ids[q], slots[p], v[i].epoch, v[i].step, base, blen,
                       (const uint8_t *)names[p], strlen(names[p]), nonce, json, sizeof json, &jl));
    sre_payload pl;
    OK(sre_payload_parse(json, jl, &pl));
    uint8_t rk[16];
    OK(sre_pairwise_key(&kp[q], ids[q], kp[p].pub, ids[p], sid(), strlen(session_id), rk));
    char name[SRE_NAME_MAX + 1];
    size_t nl;
    OK(sre_keymsg_open(rk, ids[p], ids[q], slots[p], &pl, got, &gl, name, &nl));
    if (gl != blen || memcmp(got, base, blen) != 0) DIE("key message round trip");
    if (nl != strlen(names[p]) || strcmp(name, names[p]) != 0) DIE("key message name round trip");
    json_t *e = json_pack("{s:s,s:s,s:o,s:o,s:i,s:s,s:o,s:o}", "session_id", session_id,
                          "sender_id", ids[p], "sender_priv", hex(kp[p].priv, 32), "sender_pub",
                          hex(kp[p].pub, 32), "sender_slot", slots[p], "recipient_id", ids[q],
                          "recipient_priv", hex(kp[q].priv, 32), "recipient_pub",
                          hex(kp[q].pub, 32));
    json_object_set_new(e, "epoch", json_integer(v[i].epoch));
    json_object_set_new(e, "generation", json_integer(sre_epoch_generation(v[i].epoch)));
    json_object_set_new(e, "step", json_integer(v[i].step));
    json_object_set_new(e, "base_key", hex(base, blen));
    json_object_set_new(e, "name", json_string(names[p]));
    json_object_set_new(e, "nonce", hex(nonce, 12));
    json_object_set_new(e, "pairwise_key", hex(k, 16));
    json_object_set_new(e, "aad", hex(aad, sizeof aad));
    json_object_set_new(e, "ciphertext", hex(pl.c, pl.c_len));
    json_object_set_new(e, "payload", json_string(json));
    json_array_append_new(a, e);
  }
  return a;
}

static json_t *ratchet_vectors(void) {
  json_t *a = json_array();
  for (int i = 0; i < 2; i++) {
    uint8_t key[32];
    if (i == 0) {
      for (int b = 0; b < 16; b++) key[b] = (uint8_t)b;
    } else {
      fill(key, 16, "ratchet base key");
    }
    json_t *e = json_object();
    json_object_set_new(e, "base_key", hex(key, 16));
    json_t *steps = json_array();
    for (uint8_t s = 0; s < 5; s++) {
      OK(sre_ratchet(key, sre_base_key_len_for_step(s), key));
      json_array_append_new(steps, hex(key, 32));
    }
    json_object_set_new(e, "steps", steps);
    json_array_append_new(a, e);
  }
  return a;
}

/* The base key of (generation, step) used by the frame vectors of a sender. */
static size_t frame_base_key(uint16_t slot, uint8_t g, uint8_t step, uint8_t out[32]) {
  char label[64];
  snprintf(label, sizeof label, "frame base key slot %u generation %u", slot, g);
  fill(out, 16, label);
  for (uint8_t s = 0; s < step; s++) OK(sre_ratchet(out, sre_base_key_len_for_step(s), out));
  return sre_base_key_len_for_step(step);
}

typedef struct {
  sre_codec codec;
  uint16_t slot;
  uint8_t g, step;
  uint64_t ctr;
  const char *what;
  size_t len;
} frame_spec;

/* A codec frame: realistic first bytes, deterministic rest. */
static size_t make_frame(const frame_spec *f, uint8_t *out) {
  fill(out, f->len, f->what);
  if (f->codec == SRE_CODEC_VP8 && strstr(f->what, "key")) {
    /* Key frame tag (show_frame, key), start code, 640x480. */
    const uint8_t head[10] = {0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
    memcpy(out, head, f->len < 10 ? f->len : 10);
  } else if (f->codec == SRE_CODEC_VP8) {
    out[0] = (uint8_t)(out[0] | 1); /* delta frame */
  } else if (f->codec == SRE_CODEC_OPUS) {
    out[0] = 0x78; /* TOC: SILK+CELT... config 15, mono, one frame */
  }
  return f->len;
}

static json_t *frame_entry(const frame_spec *f, uint8_t *wire, size_t *wire_len) {
  uint8_t base[32], plain[2048];
  size_t blen = frame_base_key(f->slot, f->g, f->step, base);
  size_t n = make_frame(f, plain);
  uint64_t kid = sre_kid_make(f->slot, f->g, f->step);
  sre_key k;
  OK(sre_key_init(&k, SRE_SUITE_WIRE, kid, base, blen));
  OK(sre_frame_encrypt(&k, f->codec, f->ctr, plain, n, wire, 4096, wire_len));
  size_t p = sre_codec_prefix_len(f->codec, plain, n);
  uint8_t h[SRE_HEADER_MAX], aad[SRE_HEADER_MAX + 16];
  size_t hl = sre_header_encode(kid, f->ctr, h);
  memcpy(aad, h, hl);
  memcpy(aad + hl, plain, p);
  uint8_t back[4096];
  size_t bl;
  OK(sre_frame_decrypt(&k, f->codec, wire, *wire_len, back, sizeof back, &bl, NULL));
  if (bl != n || memcmp(back, plain, n) != 0) DIE("frame round trip");
  json_t *e = json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:I}", "description", f->what, "codec",
                        sre_codec_name(f->codec), "kind",
                        sre_codec_is_audio(f->codec) ? "audio" : "video", "slot", f->slot,
                        "generation", f->g, "step", f->step, "kid", (json_int_t)kid, "ctr",
                        (json_int_t)f->ctr);
  json_object_set_new(e, "base_key", hex(base, blen));
  json_object_set_new(e, "sframe_key", hex(k.key, k.key_len));
  json_object_set_new(e, "sframe_salt", hex(k.salt, SRE_NONCE_LEN));
  json_object_set_new(e, "plaintext", hex(plain, n));
  json_object_set_new(e, "prefix_len", json_integer((json_int_t)p));
  json_object_set_new(e, "header", hex(h, hl));
  json_object_set_new(e, "aad", hex(aad, hl + p));
  json_object_set_new(e, "frame", hex(wire, *wire_len));
  sre_key_clear(&k);
  return e;
}

static const frame_spec frames[] = {
    {SRE_CODEC_VP8, 1, 1, 0, 0, "vp8 key frame", 120},
    {SRE_CODEC_VP8, 1, 1, 0, 1, "vp8 delta frame", 60},
    {SRE_CODEC_VP8, 1, 1, 1, 0, "vp8 delta frame after one ratchet step", 45},
    {SRE_CODEC_VP8, 1, 1, 0, 2, "vp8 key frame of exactly 10 bytes (prefix only)", 10},
    {SRE_CODEC_VP8, 1, 1, 0, 3, "vp8 delta frame of exactly 3 bytes (prefix only)", 3},
    {SRE_CODEC_OPUS, 2, 3, 2, 1000, "opus frame", 80},
    {SRE_CODEC_OPUS, 2, 3, 2, 1001, "opus frame of 1 byte (TOC only)", 1},
    {SRE_CODEC_VP9, 65535, 255, 255, 0xffffffffffull, "vp9 frame, largest slot, generation, step",
     200},
    {SRE_CODEC_OTHER_VIDEO, 0, 1, 0, 7, "other codec (no prefix), slot 0", 33},
    {SRE_CODEC_VP8, 3, 2, 0, 300, "vp8 key frame of 1200 bytes", 1200},
};

static json_t *frame_vectors(void) {
  json_t *a = json_array();
  uint8_t wire[4096];
  size_t n;
  for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
    json_array_append_new(a, frame_entry(&frames[i], wire, &n));
  }
  return a;
}

/* The sender's frames that receiver cases accept first or test. */
static uint8_t seq[8][256];
static size_t seq_len[8];

/* Receiver cases: keys held, frames accepted first, then the frame and the
 * status a receiver must give (docs/e2ee.md 5.4). */
static json_t *receive_entry(const char *what, sre_codec codec, uint16_t track_slot,
                             json_t *keys, const int *pre, size_t npre, const uint8_t *frame,
                             size_t frame_len) {
  sre_receiver r;
  sre_receiver_init(&r, track_slot);
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) {
    uint8_t base[32];
    const char *hx = json_string_value(json_object_get(k, "base_key"));
    size_t bl = strlen(hx) / 2;
    for (size_t b = 0; b < bl; b++) sscanf(hx + 2 * b, "%2hhx", &base[b]);
    OK(sre_receiver_add_key(&r, (uint32_t)json_integer_value(json_object_get(k, "epoch")),
                            (uint8_t)json_integer_value(json_object_get(k, "step")), base, bl, 0));
  }
  uint8_t out[4096];
  size_t m;
  json_t *before = json_array();
  for (size_t f = 0; f < npre && pre[f] >= 0; f++) {
    OK(sre_receiver_decrypt(&r, codec, seq[pre[f]], seq_len[pre[f]], out, sizeof out, &m, 0));
    json_array_append_new(before, hex(seq[pre[f]], seq_len[pre[f]]));
  }
  sre_status st = sre_receiver_decrypt(&r, codec, frame, frame_len, out, sizeof out, &m, 0);
  json_t *e = json_pack("{s:s,s:s,s:i,s:O,s:o,s:o,s:s}", "description", what, "codec",
                        sre_codec_name(codec), "slot", track_slot, "keys", keys, "frames", before,
                        "frame", hex(frame, frame_len), "status", sre_status_name(st));
  if (st == SRE_OK) json_object_set_new(e, "output", hex(out, m));
  sre_receiver_clear(&r);
  return e;
}

static json_t *key_entry(uint32_t epoch, uint8_t step, const uint8_t *base, size_t len) {
  return json_pack("{s:I,s:i,s:o}", "epoch", (json_int_t)epoch, "step", step, "base_key",
                   hex(base, len));
}

static json_t *receive_vectors(void) {
  json_t *a = json_array();
  const uint16_t slot = 5;
  uint8_t b0[32], b16[32], b17[32], bg2[32];
  size_t l0 = frame_base_key(slot, 1, 0, b0);
  frame_base_key(slot, 1, 16, b16);
  frame_base_key(slot, 1, 17, b17);
  frame_base_key(slot, 2, 0, bg2);
  json_t *held0 = json_array(), *held17 = json_array(), *held256 = json_array();
  json_t *held_replaced = json_array(), *held_g2 = json_array();
  json_array_append_new(held0, key_entry(1, 0, b0, l0));
  json_array_append_new(held17, key_entry(1, 17, b17, 32));
  /* Epoch 256 has KID generation 1: the frames of generation 1 map to it. */
  json_array_append_new(held256, key_entry(256, 0, b0, l0));
  /* Epoch 1, then epoch 256 with another key: the epoch-1 key is wiped. */
  uint8_t other[16];
  fill(other, 16, "receive vector epoch 256 base key");
  json_array_append_new(held_replaced, key_entry(1, 0, b0, l0));
  json_array_append_new(held_replaced, key_entry(256, 0, other, 16));
  /* Epoch 257 (generation 2) holds the key of generation 2's frames. */
  json_array_append_new(held_g2, key_entry(1, 0, b0, l0));
  json_array_append_new(held_g2, key_entry(257, 0, bg2, 16));

  /* seq: step 0 CTR 0..3 (0-3), step 0 CTR 200 (4), step 16 (5), step 17 (6),
   * generation 2 (7); all VP8 delta frames. */
  uint8_t plain[64];
  fill(plain, sizeof plain, "receive vector frame");
  plain[0] = 0x31;
  sre_key k0, k16, k17, kgen2;
  OK(sre_key_init(&k0, 4, sre_kid_make(slot, 1, 0), b0, l0));
  OK(sre_key_init(&k16, 4, sre_kid_make(slot, 1, 16), b16, 32));
  OK(sre_key_init(&k17, 4, sre_kid_make(slot, 1, 17), b17, 32));
  OK(sre_key_init(&kgen2, 4, sre_kid_make(slot, 2, 0), bg2, 16));
  for (int c = 0; c < 4; c++) {
    OK(sre_frame_encrypt(&k0, SRE_CODEC_VP8, (uint64_t)c, plain, sizeof plain, seq[c], 256, &seq_len[c]));
  }
  OK(sre_frame_encrypt(&k0, SRE_CODEC_VP8, 200, plain, sizeof plain, seq[4], 256, &seq_len[4]));
  OK(sre_frame_encrypt(&k16, SRE_CODEC_VP8, 0, plain, sizeof plain, seq[5], 256, &seq_len[5]));
  OK(sre_frame_encrypt(&k17, SRE_CODEC_VP8, 0, plain, sizeof plain, seq[6], 256, &seq_len[6]));
  OK(sre_frame_encrypt(&kgen2, SRE_CODEC_VP8, 0, plain, sizeof plain, seq[7], 256, &seq_len[7]));
  sre_key_clear(&k0);
  sre_key_clear(&k16);
  sre_key_clear(&k17);
  sre_key_clear(&kgen2);

#define CASE(what, codec, track, keys, pre, frame, len)                                          \
  json_array_append_new(a, receive_entry(what, codec, track, keys, pre,                          \
                                         sizeof(pre) / sizeof(int) - 1, frame, len))
  static const int none[] = {-1}, first2[] = {0, 1, -1}, zero_three[] = {0, 3, -1},
                   at200[] = {4, -1};
  uint8_t t[256];
  CASE("valid frame", SRE_CODEC_VP8, slot, held0, none, seq[0], seq_len[0]);
  CASE("replayed frame", SRE_CODEC_VP8, slot, held0, first2, seq[1], seq_len[1]);
  CASE("out of order inside the window", SRE_CODEC_VP8, slot, held0, zero_three, seq[2], seq_len[2]);
  CASE("older than the window (200 - 3 > 127)", SRE_CODEC_VP8, slot, held0, at200, seq[3], seq_len[3]);
  memcpy(t, seq[0], seq_len[0]);
  t[seq_len[0] - 1] ^= 0x01;
  CASE("tag changed", SRE_CODEC_VP8, slot, held0, none, t, seq_len[0]);
  memcpy(t, seq[0], seq_len[0]);
  t[1] ^= 0x01;
  CASE("clear prefix changed", SRE_CODEC_VP8, slot, held0, none, t, seq_len[0]);
  memcpy(t, seq[1], seq_len[1]);
  t[3 + 3] = 0x02; /* the header's CTR byte, 1 -> 2 */
  CASE("header CTR changed", SRE_CODEC_VP8, slot, held0, none, t, seq_len[1]);
  memcpy(t, seq[0], seq_len[0]);
  t[3 + 4 + 2] ^= 0x01;
  CASE("ciphertext changed", SRE_CODEC_VP8, slot, held0, none, t, seq_len[0]);
  CASE("frame on another participant's track", SRE_CODEC_VP8, (uint16_t)(slot + 1), held0, none,
       seq[0], seq_len[0]);
  CASE("unknown generation", SRE_CODEC_VP8, slot, held0, none, seq[7], seq_len[7]);
  CASE("16 ratchet steps ahead: accepted", SRE_CODEC_VP8, slot, held0, none, seq[5], seq_len[5]);
  CASE("17 ratchet steps ahead", SRE_CODEC_VP8, slot, held0, none, seq[6], seq_len[6]);
  CASE("step older than every held step", SRE_CODEC_VP8, slot, held17, none, seq[5], seq_len[5]);
  CASE("unencrypted frame injected by the server", SRE_CODEC_VP8, slot, held0, none, plain,
       sizeof plain);
  CASE("empty video frame", SRE_CODEC_VP8, slot, held0, none, plain, 0);
  CASE("empty audio frame (DTX): passed as empty", SRE_CODEC_OPUS, slot, held0, none, plain, 0);
  memcpy(t, seq[0], 4);
  CASE("frame shorter than prefix + header + tag", SRE_CODEC_VP8, slot, held0, none, t, 3 + 1 + 15);
  memset(t, 0x5a, 40);
  t[0] = 0x31;
  t[3] = 0xff; /* a 17-byte header (8-byte KID and CTR) leaves no room for the tag */
  CASE("17-byte header and no tag", SRE_CODEC_VP8, slot, held0, none, t, 3 + 1 + 16);
  memset(t, 0x5a, 40);
  t[0] = 0x31;
  t[3] = 0x90; /* a 2-byte KID with a leading zero byte */
  t[4] = 0x00;
  t[5] = 0x05;
  CASE("non-minimal header", SRE_CODEC_VP8, slot, held0, none, t, 3 + 3 + 16);
  CASE("epoch 256 decrypts frames of KID generation 1", SRE_CODEC_VP8, slot, held256, none, seq[0],
       seq_len[0]);
  CASE("epoch 256 replaced the epoch-1 key of the same generation", SRE_CODEC_VP8, slot,
       held_replaced, none, seq[0], seq_len[0]);
  CASE("epoch 257 decrypts frames of KID generation 2", SRE_CODEC_VP8, slot, held_g2, none, seq[7],
       seq_len[7]);
#undef CASE
  json_decref(held0);
  json_decref(held17);
  json_decref(held256);
  json_decref(held_replaced);
  json_decref(held_g2);
  return a;
}

static json_t *chat_vectors(void) {
  struct {
    int from;
    uint32_t epoch;
    uint8_t step;
    sre_chat_type type;
    uint32_t seq;
    uint64_t time_ms;
    const char *body;
  } v[] = {{0, 1, 0, SRE_CHAT_TEXT, 0, 1767225600000ull, "Hello, sealroom \xf0\x9f\x94\x92"},
           {1, 300, 2, SRE_CHAT_NAME, 17, 1767225661234ull, "Zo\xc3\xab"}};
  json_t *a = json_array();
  for (size_t i = 0; i < 2; i++) {
    uint8_t base[32], ck[16], nonce[12], aad[SRE_CHAT_AAD_LEN];
    char label[64], json[SRE_PAYLOAD_MAX];
    size_t jl;
    snprintf(label, sizeof label, "chat base key %zu", i);
    fill(base, 16, label);
    for (uint8_t s = 0; s < v[i].step; s++) OK(sre_ratchet(base, sre_base_key_len_for_step(s), base));
    size_t blen = sre_base_key_len_for_step(v[i].step);
    snprintf(label, sizeof label, "chat nonce %zu", i);
    fill(nonce, 12, label);
    OK(sre_chat_key(base, blen, sid(), strlen(session_id), ck));
    OK(sre_chat_aad(ids[v[i].from], v[i].epoch, v[i].step, aad));
    size_t bl = strlen(v[i].body);
    OK(sre_chat_seal(ck, ids[v[i].from], v[i].epoch, v[i].step, v[i].type, v[i].seq, v[i].time_ms,
                     (const uint8_t *)v[i].body, bl, nonce, json, sizeof json, &jl));
    sre_payload p;
    OK(sre_payload_parse(json, jl, &p));
    uint8_t pt[SRE_SEALED_MAX];
    pt[0] = (uint8_t)v[i].type;
    pt[1] = (uint8_t)(v[i].seq >> 24);
    pt[2] = (uint8_t)(v[i].seq >> 16);
    pt[3] = (uint8_t)(v[i].seq >> 8);
    pt[4] = (uint8_t)v[i].seq;
    for (int b = 0; b < 8; b++) pt[5 + b] = (uint8_t)(v[i].time_ms >> (56 - 8 * b));
    memcpy(pt + SRE_CHAT_HEAD_LEN, v[i].body, bl);
    json_t *e = json_pack("{s:s,s:s,s:I,s:i,s:o,s:o,s:i,s:i,s:I,s:s}", "session_id", session_id,
                          "sender_id", ids[v[i].from], "epoch", (json_int_t)v[i].epoch, "step",
                          v[i].step, "base_key", hex(base, blen), "chat_key", hex(ck, 16), "type",
                          (int)v[i].type, "seq", (int)v[i].seq, "time_ms",
                          (json_int_t)v[i].time_ms, "body", v[i].body);
    json_object_set_new(e, "nonce", hex(nonce, 12));
    json_object_set_new(e, "aad", hex(aad, sizeof aad));
    json_object_set_new(e, "plaintext", hex(pt, SRE_CHAT_HEAD_LEN + bl));
    json_object_set_new(e, "ciphertext", hex(p.c, p.c_len));
    json_object_set_new(e, "payload", json_string(json));
    json_array_append_new(a, e);
  }
  return a;
}

/* Index of the first skipped 4-byte chunk among those used for `groups`
 * groups, or -1 (docs/e2ee.md 10.1). */
static int first_skip(const uint8_t h[32], const char *info, size_t groups) {
  uint8_t stream[64];
  OK(sre__hkdf(0, NULL, 0, h, 32, (const uint8_t *)info, strlen(info), stream, sizeof stream));
  size_t made = 0;
  for (int c = 0; c < 16 && made < groups; c++) {
    uint32_t x = (uint32_t)stream[4 * c] << 24 | (uint32_t)stream[4 * c + 1] << 16 |
                 (uint32_t)stream[4 * c + 2] << 8 | stream[4 * c + 3];
    if (x >= 4294900000u) return c;
    made++;
  }
  return -1;
}

static json_t *code_entry(const char *desc, const char *sess, const int *who, size_t n) {
  sre_member m[4];
  json_t *parts = json_array();
  for (size_t i = 0; i < n; i++) {
    m[i].id = ids[who[i]];
    m[i].public_key = kp[who[i]].pub;
    m[i].signing_key = sign_pub[who[i]];
    m[i].name = (const uint8_t *)names[who[i]];
    m[i].name_len = strlen(names[who[i]]);
    json_array_append_new(parts, json_pack("{s:s,s:o,s:o,s:s}", "id", ids[who[i]], "public_key",
                                           hex(kp[who[i]].pub, 32), "signing_key",
                                           hex(sign_pub[who[i]], 32), "name", names[who[i]]));
  }
  uint8_t in[1024], h[32];
  size_t len;
  char code[SRE_CODE_STR_LEN];
  OK(sre_security_code_input((const uint8_t *)sess, strlen(sess), m, n, in, sizeof in, &len));
  OK(sre_security_code_hash((const uint8_t *)sess, strlen(sess), m, n, h));
  OK(sre_security_code((const uint8_t *)sess, strlen(sess), m, n, code));
  return json_pack("{s:s,s:s,s:o,s:o,s:o,s:s}", "description", desc, "session_id", sess,
                   "participants", parts, "input", hex(in, len), "hash", hex(h, 32), "code", code);
}

static json_t *code_vectors(void) {
  json_t *a = json_array();
  static const int two[] = {1, 0}, three[] = {2, 0, 1}, four[] = {3, 2, 1, 0}, one[] = {0};
  json_array_append_new(a, code_entry("two participants (given unsorted)", session_id, two, 2));
  json_array_append_new(
      a, code_entry("three participants (names: ASCII, empty, non-ASCII)", session_id, three, 3));
  json_array_append_new(a, code_entry("one participant", session_id, one, 1));
  /* Find a session id whose digit stream skips a chunk (about 1 in 5000). */
  char sess[64];
  for (unsigned i = 0;; i++) {
    snprintf(sess, sizeof sess, "rejection-search-%u", i);
    sre_member m[4];
    for (int k = 0; k < 4; k++) {
      m[k] = (sre_member){ids[four[k]], kp[four[k]].pub, sign_pub[four[k]],
                          (const uint8_t *)names[four[k]], strlen(names[four[k]])};
    }
    uint8_t h[32];
    OK(sre_security_code_hash((const uint8_t *)sess, strlen(sess), m, 4, h));
    int c = first_skip(h, "sealroom code digits v3", 12);
    if (c >= 0) {
      char desc[128];
      snprintf(desc, sizeof desc, "four participants; chunk %d of the digit stream is skipped", c);
      json_array_append_new(a, code_entry(desc, sess, four, 4));
      break;
    }
    if (i > 10000000) DIE("no rejection found");
  }
  return a;
}

static json_t *fp_entry(const char *desc, const uint8_t pub[32]) {
  uint8_t h[32];
  char fp[SRE_FINGERPRINT_STR_LEN];
  OK(sre_fingerprint_hash(pub, h));
  OK(sre_fingerprint(pub, fp));
  return json_pack("{s:s,s:o,s:o,s:s}", "description", desc, "public_key", hex(pub, 32), "hash",
                   hex(h, 32), "fingerprint", fp);
}

static json_t *fingerprint_vectors(void) {
  json_t *a = json_array();
  for (int i = 0; i < 3; i++) {
    char desc[32];
    snprintf(desc, sizeof desc, "participant %c", 'A' + i);
    json_array_append_new(a, fp_entry(desc, kp[i].pub));
  }
  for (uint32_t i = 0;; i++) {
    uint8_t pub[32], h[32];
    char label[64];
    snprintf(label, sizeof label, "fingerprint rejection search %u", i);
    fill(pub, 32, label);
    OK(sre_fingerprint_hash(pub, h));
    int c = first_skip(h, "sealroom fp digits v1", 4);
    if (c >= 0) {
      char desc[96];
      snprintf(desc, sizeof desc, "chunk %d of the digit stream is skipped", c);
      json_array_append_new(a, fp_entry(desc, pub));
      break;
    }
    if (i > 10000000) DIE("no rejection found");
  }
  return a;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    fprintf(stderr, "usage: %s > tests/vectors/e2ee.json\n", argv[0]);
    return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
  }
  make_keys();
  json_t *root = json_object();
  json_object_set_new(root, "version", json_integer(2));
  json_object_set_new(root, "description",
                      json_string("sealroom E2EE protocol v2 test vectors (docs/e2ee.md section "
                                  "14), generated by tools/gen-e2ee-vectors.c"));
  json_object_set_new(root, "kid", kid_vectors());
  json_object_set_new(root, "epoch", epoch_vectors());
  json_object_set_new(root, "pairwise", pairwise_vectors());
  json_object_set_new(root, "key_message", key_message_vectors());
  json_object_set_new(root, "ratchet", ratchet_vectors());
  json_object_set_new(root, "frame", frame_vectors());
  json_object_set_new(root, "receive", receive_vectors());
  json_object_set_new(root, "chat", chat_vectors());
  json_object_set_new(root, "code", code_vectors());
  json_object_set_new(root, "fingerprint", fingerprint_vectors());
  char *text = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII);
  json_decref(root);
  if (!text) DIE("json_dumps");
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  for (int i = 0; i < 4; i++) sre_keypair_clear(&kp[i]);
  return fflush(stdout) == 0 ? 0 : 1;
}
