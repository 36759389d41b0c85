/* libFuzzer target for lib/e2ee, on arbitrary bytes: SFrame header parsing
 * (parse -> encode must give the same bytes back), frame parsing and
 * decryption with a fixed key for every codec, the receiver state machine
 * with fixed keys, relay payload parsing with key-message and chat opening
 * under fixed keys, base64 and the UTF-8 check, and the sender-authentication
 * statement parser (parse -> write -> parse gives the same statement) and the
 * signed-chat wrapper (open with S's verifier; a sealed chat payload signed by
 * S opens to itself). Must never crash, read out of bounds or leak; traps
 * when a property fails (a forged frame accepted, output left behind on
 * failure, a round trip that does not hold).
 * The fixed keys are those of tests/vectors/e2ee.json, so the seeds in
 * tests/fuzz/corpus/e2ee/ (frames and payloads from the vectors) start valid;
 * the signing key is S's of tests/vectors/e2ee-sign.json (schat-* seeds). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "e2ee/internal.h"
#include "sealroom_e2ee.h"
#include "sealroom_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)               \
  do {                           \
    if (!(c)) __builtin_trap();  \
  } while (0)

/* receive vector 0: slot 5, generation 1, step 0 */
static const uint8_t media_key[16] = {0xeb, 0x17, 0x7e, 0x6c, 0x9f, 0x8b, 0xf9, 0x64,
                                      0x3f, 0x07, 0xa2, 0xd7, 0xbd, 0x19, 0x93, 0xa7};
/* key_message vector 0 and chat vector 0 */
static const uint8_t pairwise_key[16] = {0x57, 0x83, 0x1e, 0xca, 0x6b, 0xa1, 0x4c, 0xc3,
                                         0x7a, 0x57, 0xb1, 0xf7, 0x7d, 0xba, 0xe7, 0x17};
static const uint8_t chat_key[16] = {0x54, 0x5d, 0x6b, 0xdb, 0xdc, 0x5c, 0x75, 0xeb,
                                     0x5e, 0xd4, 0x55, 0xa0, 0x5b, 0xd9, 0x46, 0x9d};
static const char sender_id[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
static const char recipient_id[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/* S's Ed25519 seed and the session of tests/vectors/e2ee-sign.json */
static const uint8_t sign_seed[32] = {0xfb, 0x63, 0x15, 0xed, 0xb6, 0x69, 0xdc, 0xce,
                                      0x72, 0xac, 0x34, 0xa6, 0xb1, 0xf2, 0xa2, 0x2b,
                                      0xa7, 0xf3, 0xf8, 0x3c, 0x0e, 0x84, 0x58, 0x0d,
                                      0xb9, 0xee, 0x36, 0x5e, 0x5d, 0x44, 0x55, 0xd8};
static const char sign_session[] = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";

static uint8_t out[70000];

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i]) return false;
  }
  return true;
}

static void fuzz_header(const uint8_t *data, size_t size) {
  sre_header h;
  if (sre_header_parse(data, size, &h) != SRE_OK) {
    REQUIRE(h.len == 0);
    return;
  }
  REQUIRE(h.len >= 1 && h.len <= SRE_HEADER_MAX && h.len <= size);
  uint8_t again[SRE_HEADER_MAX];
  REQUIRE(sre_header_encode(h.kid, h.ctr, again) == h.len);
  REQUIRE(memcmp(again, data, h.len) == 0); /* only minimal encodings parse */
}

static void fuzz_frames(const uint8_t *data, size_t size) {
  if (size > sizeof out) return;
  sre_key k;
  if (sre_key_init(&k, SRE_SUITE_WIRE, sre_kid_make(5, 1, 0), media_key, 16) != SRE_OK) return;
  for (int codec = 0; codec <= 4; codec++) {
    size_t n = 1;
    memset(out, 0, size);
    sre_status st = sre_frame_decrypt(&k, (sre_codec)codec, data, size, out, sizeof out, &n, NULL);
    if (st != SRE_OK) {
      REQUIRE(n == 0);
      REQUIRE(all_zero(out, size)); /* no unauthenticated plaintext left behind */
    } else {
      REQUIRE(n <= size);
    }
    size_t p;
    sre_header h;
    if (sre_frame_parse((sre_codec)codec, data, size, &p, &h) == SRE_OK) {
      REQUIRE(p + h.len + 16 <= size);
    }
  }
  /* Other suites on the SFrame part directly. */
  static const unsigned suites[] = {1, 2, 3, 5, 6, 7, 8};
  sre_header h;
  if (sre_header_parse(data, size, &h) == SRE_OK) {
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
      sre_key o;
      if (sre_key_init(&o, suites[i], h.kid, media_key, 16) != SRE_OK) continue;
      size_t n = 1;
      sre_status st = sre_sframe_decrypt(&o, &h, NULL, 0, data, size, out, sizeof out, &n);
      REQUIRE(st != SRE_OK ? n == 0 : n + h.len + o.tag_len == size);
      sre_key_clear(&o);
    }
  }
  sre_key_clear(&k);
}

static void fuzz_receiver(const uint8_t *data, size_t size) {
  if (size > sizeof out) return;
  sre_receiver r;
  sre_receiver_init(&r, 5);
  if (sre_receiver_add_key(&r, 1, 0, media_key, 16, 0) != SRE_OK) return;
  /* A second key at an epoch the input names (its generation may collide
   * with epoch 1's and replace it). */
  if (size >= 4) {
    uint32_t e = (uint32_t)data[0] << 8 | data[1];
    (void)sre_receiver_add_key(&r, e, 0, media_key, 16, 0);
  }
  /* The input split into up to 4 frames at bytes it names itself. */
  size_t off = 0;
  for (int i = 0; i < 4 && off < size; i++) {
    size_t len = size - off;
    if (i < 3 && len > 1) len = 1 + data[off] % len;
    size_t n = 1;
    sre_status st = sre_receiver_decrypt(&r, (sre_codec)(i % 5), data + off, len, out, sizeof out, &n,
                                         (uint64_t)i * 1000);
    REQUIRE(st == SRE_OK || n == 0);
    off += len;
  }
  uint64_t drops = 0;
  for (int i = 1; i < SRE_STATUS_COUNT; i++) drops += r.drops[i];
  REQUIRE(drops + r.accepted <= 4);
  uint8_t bk[32];
  size_t bl;
  (void)sre_receiver_base_key(&r, size ? data[0] : 1, size > 1 ? data[1] : 0, bk, &bl);
  /* Held generations stay unique; at most one key is active. */
  int active = 0;
  for (int i = 0; i < SRE_RX_KEYS; i++) {
    if (!r.keys[i].used) continue;
    active += r.keys[i].active;
    REQUIRE(r.keys[i].generation == sre_epoch_generation(r.keys[i].epoch));
    for (int j = i + 1; j < SRE_RX_KEYS; j++) {
      REQUIRE(!r.keys[j].used || r.keys[j].generation != r.keys[i].generation ||
              r.keys[j].epoch == r.keys[i].epoch);
    }
  }
  REQUIRE(active <= 1);
  sre_receiver_clear(&r);
}

static void fuzz_payload(const uint8_t *data, size_t size) {
  static sre_payload p;
  sre_status st = sre_payload_parse((const char *)data, size, &p);
  if (st != SRE_OK) {
    REQUIRE(p.epoch == 0 && p.c_len == 0);
    return;
  }
  REQUIRE(p.epoch >= 1);
  if (p.type == SRE_PAYLOAD_KEY) {
    REQUIRE(p.c_len >= SRE_KEYMSG_C_MIN && p.c_len <= SRE_KEYMSG_C_MAX);
    uint8_t base[32];
    char name[SRE_NAME_MAX + 1];
    size_t bl = 1, nl = 1;
    st = sre_keymsg_open(pairwise_key, sender_id, recipient_id, 1, &p, base, &bl, name, &nl);
    REQUIRE(st == SRE_OK ? bl == sre_base_key_len_for_step(p.step) && nl == strlen(name) &&
                               sre_name_check((const uint8_t *)name, nl) == SRE_OK
                         : bl == 0 && nl == 0);
  } else if (p.type == SRE_PAYLOAD_CHAT) {
    REQUIRE(p.c_len >= SRE_CHAT_HEAD_LEN + 1 + 16 && p.c_len <= SRE_SEALED_MAX);
    static uint8_t body[SRE_CHAT_BODY_MAX];
    size_t bl = 1;
    sre_chat_type type;
    uint32_t seq;
    uint64_t t;
    st = sre_chat_open(chat_key, sender_id, &p, &type, &seq, &t, body, sizeof body, &bl);
    if (st == SRE_OK) REQUIRE(sre__utf8_valid(body, bl) && (type == 1 || type == 2));
    else REQUIRE(bl == 0);
  }
}

static void fuzz_encodings(const uint8_t *data, size_t size) {
  if (size > 4096) return;
  static uint8_t bytes[4096];
  static char text[8192];
  size_t n = 0;
  if (sre_base64_decode((const char *)data, size, bytes, sizeof bytes, &n) == SRE_OK) {
    size_t m = 0;
    REQUIRE(sre_base64_encode(bytes, n, text, sizeof text, &m) == SRE_OK);
    REQUIRE(m == size && memcmp(text, data, size) == 0); /* canonical only */
  }
  (void)sre__utf8_valid(data, size);
  if (sre_name_check(data, size) == SRE_OK) REQUIRE(size <= SRE_NAME_MAX && sre__utf8_valid(data, size));
}

/* Statement payloads (docs/e2ee-sender-auth.md 4.3): strict parsing; what
 * parses writes back to a payload that parses to the same statement (JSON
 * whitespace is allowed, so the text itself need not come back). */
static void fuzz_statement(const uint8_t *data, size_t size) {
  static sre_sign_statement st, again;
  static char out[SRE_SIGN_PAYLOAD_MAX + 1];
  if (sre_sign_statement_parse((const char *)data, size, &st) != SRE_OK) return;
  size_t n = 0;
  REQUIRE(st.n >= 1 && st.n <= SRE_SIGN_MAX_FRAMES);
  REQUIRE(sre_sign_statement_write(&st, out, sizeof out, &n) == SRE_OK);
  REQUIRE(sre_sign_statement_parse(out, n, &again) == SRE_OK);
  REQUIRE(again.seq == st.seq && again.kid == st.kid && again.ctr == st.ctr && again.n == st.n);
  REQUIRE(memcmp(again.hashes, st.hashes, st.n * SRE_SIGN_HASH_LEN) == 0);
  REQUIRE(memcmp(again.sig, st.sig, SRE_SIGN_SIG_LEN) == 0);
}

/* Signed chat (docs/e2ee-sender-auth.md 10): the input as a wrapper relayed
 * from S, and as a sealed chat payload that S signs. */
static void fuzz_signed_chat(const uint8_t *data, size_t size) {
  static sre_signer signer;
  static sre_sign_verifier verifier;
  static bool ready;
  static char inner[SRE_SIGN_CHAT_MAX], again[SRE_SIGN_CHAT_MAX], wrap[SRE_SIGN_CHAT_MAX];
  static sre_payload p, q;
  if (!ready) {
    const uint8_t *sid = (const uint8_t *)sign_session;
    REQUIRE(sre_signer_init(&signer, sender_id, sid, sizeof sign_session - 1, sign_seed) == SRE_OK);
    REQUIRE(sre_sign_verifier_init(&verifier, sender_id, sid, sizeof sign_session - 1,
                                   sre_signer_public_key(&signer), 0) == SRE_OK);
    ready = true;
  }
  size_t il = 1, wl = 1, al = 1;
  sre_status st = sre_sign_chat_open(&verifier, (const char *)data, size, inner, sizeof inner, &il);
  if (st != SRE_OK) {
    REQUIRE(il == 0);
  } else {
    REQUIRE(il < sizeof inner && strlen(inner) == il && size <= SRE_SIGN_CHAT_MAX);
    /* What verified is a chat payload's signed part: it gives signed bytes. */
    static uint8_t in[SRE_SIGN_CHAT_INPUT_MAX];
    REQUIRE(sre_sign_chat_input(sender_id, (const uint8_t *)sign_session, sizeof sign_session - 1,
                                inner, il, in, sizeof in, &al) == SRE_OK);
  }
  /* A valid sealed chat payload signed by S opens to itself, rewritten. */
  if (sre_payload_parse((const char *)data, size, &p) != SRE_OK || p.type != SRE_PAYLOAD_CHAT) {
    return;
  }
  REQUIRE(sre_signer_sign_chat(&signer, (const char *)data, size, wrap, sizeof wrap, &wl) ==
          SRE_OK);
  REQUIRE(sre_sign_chat_open(&verifier, wrap, wl, again, sizeof again, &al) == SRE_OK);
  REQUIRE(sre_payload_parse(again, al, &q) == SRE_OK && q.type == SRE_PAYLOAD_CHAT);
  REQUIRE(q.epoch == p.epoch && q.step == p.step && q.c_len == p.c_len);
  REQUIRE(memcmp(q.nonce, p.nonce, SRE_NONCE_LEN) == 0 && memcmp(q.c, p.c, p.c_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_header(data, size);
  fuzz_statement(data, size);
  fuzz_signed_chat(data, size);
  fuzz_frames(data, size);
  fuzz_receiver(data, size);
  fuzz_payload(data, size);
  fuzz_encodings(data, size);
  return 0;
}
