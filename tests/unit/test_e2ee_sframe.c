/* Unit tests for the SFrame layer of lib/e2ee: header codec (every boundary,
 * truncation at every length, non-minimal and oversized fields), key
 * derivation, encryption and decryption for every suite, tampering with tag,
 * header, prefix and ciphertext, wrong keys, codec prefixes, empty and short
 * frames, the KID layout and the sender. */
#include <stdlib.h>
#include <string.h>

#include "sealroom_e2ee.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static const uint8_t base16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void test_header_boundaries(void) {
  static const uint64_t values[] = {0, 1, 7, 8, 0xff, 0x100, 0xffff, 0x10000, 0xffffff,
                                    0x1000000, 0xffffffffull, 0x100000000ull,
                                    0xffffffffffull, 0x10000000000ull, 0xffffffffffffull,
                                    0x1000000000000ull, 0xffffffffffffffull,
                                    0x100000000000000ull, UINT64_MAX};
  size_t nv = sizeof values / sizeof values[0];
  for (size_t i = 0; i < nv; i++) {
    for (size_t j = 0; j < nv; j++) {
      uint8_t buf[SRE_HEADER_MAX];
      size_t n = sre_header_encode(values[i], values[j], buf);
      CHECK(n >= 1 && n <= SRE_HEADER_MAX);
      CHECK_EQ_INT(n, sre_header_len(values[i], values[j]));
      sre_header h;
      CHECK_EQ_INT(sre_header_parse(buf, n, &h), SRE_OK);
      CHECK(h.kid == values[i] && h.ctr == values[j] && h.len == n);
      for (size_t cut = 0; cut < n; cut++) {
        CHECK_EQ_INT(sre_header_parse(buf, cut, &h), SRE_ERR_HEADER_TRUNCATED);
      }
    }
  }
  uint8_t buf[SRE_HEADER_MAX];
  CHECK_EQ_INT(sre_header_encode(UINT64_MAX, UINT64_MAX, buf), SRE_HEADER_MAX);
  CHECK_EQ_INT(buf[0], 0xff);
  CHECK_EQ_INT(sre_header_encode(7, 7, buf), 1);
  CHECK_EQ_INT(buf[0], 0x77);
  CHECK_EQ_INT(sre_header_encode(8, 0, buf), 2);
  CHECK_EQ_INT(buf[0], 0x80);
  CHECK_EQ_INT(buf[1], 8);
}

/* Every config byte: the announced length decides, all lengths up to 17. */
static void test_header_every_config_byte(void) {
  for (int c = 0; c < 256; c++) {
    uint8_t buf[SRE_HEADER_MAX + 4];
    memset(buf, 0x5a, sizeof buf); /* non-zero, > 7: always minimal */
    buf[0] = (uint8_t)c;
    size_t want = 1 + ((c & 0x80) ? ((c >> 4) & 7) + 1 : 0) + ((c & 0x08) ? (c & 7) + 1 : 0);
    sre_header h;
    CHECK_EQ_INT(sre_header_parse(buf, sizeof buf, &h), SRE_OK);
    CHECK_EQ_INT(h.len, want);
    uint8_t again[SRE_HEADER_MAX];
    CHECK_EQ_INT(sre_header_encode(h.kid, h.ctr, again), want);
    CHECK(memcmp(again, buf, want) == 0);
    CHECK_EQ_INT(sre_header_parse(buf, want - 1, &h), SRE_ERR_HEADER_TRUNCATED);
    CHECK(h.len == 0 && h.kid == 0 && h.ctr == 0);
  }
}

static void test_header_nonminimal(void) {
  sre_header h;
  const uint8_t zero_lead_kid[] = {0x90, 0x00, 0x08};   /* KID 8 in 2 bytes */
  const uint8_t small_kid[] = {0x80, 0x05};             /* KID 5 extended */
  const uint8_t small_ctr[] = {0x08, 0x07};             /* CTR 7 extended */
  const uint8_t zero_lead_ctr[] = {0x0f, 0, 0, 0, 0, 0, 0, 0, 1}; /* 8 bytes for CTR 1 */
  const uint8_t zero_kid[] = {0x80, 0x00};
  CHECK_EQ_INT(sre_header_parse(zero_lead_kid, sizeof zero_lead_kid, &h), SRE_ERR_HEADER_NONMINIMAL);
  CHECK_EQ_INT(sre_header_parse(small_kid, sizeof small_kid, &h), SRE_ERR_HEADER_NONMINIMAL);
  CHECK_EQ_INT(sre_header_parse(small_ctr, sizeof small_ctr, &h), SRE_ERR_HEADER_NONMINIMAL);
  CHECK_EQ_INT(sre_header_parse(zero_lead_ctr, sizeof zero_lead_ctr, &h), SRE_ERR_HEADER_NONMINIMAL);
  CHECK_EQ_INT(sre_header_parse(zero_kid, sizeof zero_kid, &h), SRE_ERR_HEADER_NONMINIMAL);
  CHECK_EQ_INT(sre_header_parse(NULL, 0, &h), SRE_ERR_HEADER_TRUNCATED);
  CHECK_EQ_INT(sre_header_parse(NULL, 3, &h), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_header_parse(small_kid, 2, NULL), SRE_ERR_ARG);
}

static void test_suites_roundtrip(void) {
  static const unsigned suites[] = {1, 2, 3, 4, 5, 6, 7, 8};
  static const size_t tags[] = {10, 8, 4, 16, 16, 10, 8, 4};
  uint8_t pt[300], out[400], back[400];
  for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(i * 7);
  for (size_t s = 0; s < 8; s++) {
    CHECK(sre_suite_supported(suites[s]));
    CHECK_EQ_INT(sre_suite_tag_len(suites[s]), tags[s]);
    sre_key k;
    CHECK_EQ_INT(sre_key_init(&k, suites[s], 0x12345, base16, 16), SRE_OK);
    for (size_t len = 0; len <= sizeof pt; len += 37) {
      size_t n = 0, m = 0;
      CHECK_EQ_INT(sre_sframe_encrypt(&k, len * 1000, pt, 3, pt, len, out, sizeof out, &n), SRE_OK);
      CHECK_EQ_INT(n, sre_header_len(0x12345, len * 1000) + len + tags[s]);
      sre_header h;
      CHECK_EQ_INT(sre_header_parse(out, n, &h), SRE_OK);
      CHECK_EQ_INT(sre_sframe_decrypt(&k, &h, pt, 3, out, n, back, sizeof back, &m), SRE_OK);
      CHECK_EQ_INT(m, len);
      CHECK(memcmp(back, pt, len) == 0);
      /* Too small an output buffer for the plaintext. */
      if (len > 0) {
        CHECK_EQ_INT(sre_sframe_decrypt(&k, &h, pt, 3, out, n, back, len - 1, &m), SRE_ERR_BUFFER);
      }
      /* Shorter than header + tag; one byte short (the tag moves: auth fails). */
      CHECK_EQ_INT(sre_sframe_decrypt(&k, &h, pt, 3, out, h.len + tags[s] - 1, back, sizeof back, &m),
                   SRE_ERR_FRAME_TOO_SHORT);
      if (len > 0) {
        CHECK_EQ_INT(sre_sframe_decrypt(&k, &h, pt, 3, out, n - 1, back, sizeof back, &m),
                     SRE_ERR_AUTH);
      }
    }
    size_t n = 0;
    uint8_t small[8];
    CHECK_EQ_INT(sre_sframe_encrypt(&k, 0, NULL, 0, pt, 10, small, sizeof small, &n), SRE_ERR_BUFFER);
    CHECK_EQ_INT(n, 0);
    sre_key_clear(&k);
    CHECK(k.cipher == NULL && k.mac == NULL && k.key[0] == 0);
  }
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 9, 1, base16, 16), SRE_ERR_SUITE);
  CHECK_EQ_INT(sre_key_init(&k, 0, 1, base16, 16), SRE_ERR_SUITE);
  CHECK_EQ_INT(sre_key_init(&k, 4, 1, base16, 0), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_key_init(&k, 4, 1, base16, SRE_BASE_KEY_MAX + 1), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_key_init(&k, 4, 1, NULL, 16), SRE_ERR_KEY_LENGTH);
  sre_key_clear(&k);
  sre_key_clear(NULL);
}

static void test_wrong_key_and_kid(void) {
  uint8_t other[16];
  memcpy(other, base16, 16);
  other[15] ^= 1;
  sre_key k, wrong, wrong_kid;
  CHECK_EQ_INT(sre_key_init(&k, 4, 300, base16, 16), SRE_OK);
  CHECK_EQ_INT(sre_key_init(&wrong, 4, 300, other, 16), SRE_OK);
  CHECK_EQ_INT(sre_key_init(&wrong_kid, 4, 301, base16, 16), SRE_OK);
  uint8_t pt[50] = {1, 2, 3}, out[100], back[100];
  size_t n = 0, m = 0;
  CHECK_EQ_INT(sre_sframe_encrypt(&k, 5, NULL, 0, pt, sizeof pt, out, sizeof out, &n), SRE_OK);
  sre_header h;
  CHECK_EQ_INT(sre_header_parse(out, n, &h), SRE_OK);
  CHECK_EQ_INT(sre_sframe_decrypt(&wrong, &h, NULL, 0, out, n, back, sizeof back, &m), SRE_ERR_AUTH);
  CHECK_EQ_INT(m, 0);
  /* Failed decryption leaves no plaintext behind. */
  uint8_t zeros[50] = {0};
  CHECK(memcmp(back, zeros, sizeof zeros) == 0);
  CHECK_EQ_INT(sre_sframe_decrypt(&wrong_kid, &h, NULL, 0, out, n, back, sizeof back, &m),
               SRE_ERR_NO_KEY);
  /* Same key, another CTR in the header: different nonce and AAD. */
  sre_header h2 = h;
  h2.ctr = 6;
  CHECK_EQ_INT(sre_sframe_decrypt(&k, &h2, NULL, 0, out, n, back, sizeof back, &m), SRE_ERR_AUTH);
  sre_key_clear(&k);
  sre_key_clear(&wrong);
  sre_key_clear(&wrong_kid);
}

static void test_codec_prefix(void) {
  uint8_t key_frame[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa};
  uint8_t delta[] = {0x31, 0x02, 0x00, 0x44};
  uint8_t opus[] = {0xfc, 0xff, 0xfe};
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_VP8, key_frame, sizeof key_frame), 10);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_VP8, delta, sizeof delta), 3);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_OPUS, opus, sizeof opus), 1);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_VP9, key_frame, sizeof key_frame), 0);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_OTHER_VIDEO, key_frame, sizeof key_frame), 0);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_OTHER_AUDIO, opus, sizeof opus), 0);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_VP8, key_frame, 0), 0);
  CHECK_EQ_INT(sre_codec_prefix_len(SRE_CODEC_VP8, key_frame, 2), 10); /* more than len */
  CHECK(sre_codec_is_audio(SRE_CODEC_OPUS) && sre_codec_is_audio(SRE_CODEC_OTHER_AUDIO));
  CHECK(!sre_codec_is_audio(SRE_CODEC_VP8) && !sre_codec_is_audio(SRE_CODEC_VP9));
  sre_codec c;
  for (int i = 0; i <= 4; i++) {
    CHECK(sre_codec_from_name(sre_codec_name((sre_codec)i), &c));
    CHECK_EQ_INT(c, i);
  }
  CHECK(sre_codec_name((sre_codec)5) == NULL);
  CHECK(!sre_codec_from_name("h264", &c));
}

/* Encrypts with `codec`, checks the wire layout, decrypts, then tampers with
 * every byte of the wire frame. */
static void frame_roundtrip(sre_codec codec, const uint8_t *frame, size_t len, size_t want_prefix) {
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 4, sre_kid_make(3, 1, 0), base16, 16), SRE_OK);
  uint8_t wire[256], back[256];
  size_t n = 0, m = 0;
  CHECK_EQ_INT(sre_frame_encrypt(&k, codec, 9, frame, len, wire, sizeof wire, &n), SRE_OK);
  size_t hlen = sre_header_len(k.kid, 9);
  CHECK_EQ_INT(n, len + hlen + 16);
  CHECK(memcmp(wire, frame, want_prefix) == 0);
  size_t p = 99;
  sre_header h;
  CHECK_EQ_INT(sre_frame_parse(codec, wire, n, &p, &h), SRE_OK);
  CHECK_EQ_INT(p, want_prefix);
  CHECK(h.kid == k.kid && h.ctr == 9 && h.len == hlen);
  CHECK_EQ_INT(sre_frame_decrypt(&k, codec, wire, n, back, sizeof back, &m, NULL), SRE_OK);
  CHECK_EQ_INT(m, len);
  CHECK(memcmp(back, frame, len) == 0);
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      wire[i] ^= (uint8_t)(1 << bit);
      CHECK(sre_frame_decrypt(&k, codec, wire, n, back, sizeof back, &m, NULL) != SRE_OK);
      CHECK_EQ_INT(m, 0);
      wire[i] ^= (uint8_t)(1 << bit);
    }
  }
  /* Truncated at every length. */
  for (size_t cut = 0; cut < n; cut++) {
    sre_status st = sre_frame_decrypt(&k, codec, wire, cut, back, sizeof back, &m, NULL);
    CHECK(st != SRE_OK || (cut == 0 && sre_codec_is_audio(codec)));
  }
  /* Extra bytes appended. */
  wire[n] = 0;
  CHECK_EQ_INT(sre_frame_decrypt(&k, codec, wire, n + 1, back, sizeof back, &m, NULL), SRE_ERR_AUTH);
  sre_key_clear(&k);
}

static void test_frames_with_prefixes(void) {
  uint8_t vp8_key[40], vp8_delta[30], opus[20], vp9[25];
  for (size_t i = 0; i < sizeof vp8_key; i++) vp8_key[i] = (uint8_t)(i * 11 + 2);
  vp8_key[0] = 0x50; /* bit 0 clear: key frame */
  for (size_t i = 0; i < sizeof vp8_delta; i++) vp8_delta[i] = (uint8_t)(i * 13 + 1);
  vp8_delta[0] = 0x31;
  for (size_t i = 0; i < sizeof opus; i++) opus[i] = (uint8_t)(i + 0x78);
  for (size_t i = 0; i < sizeof vp9; i++) vp9[i] = (uint8_t)(0x82 + i);
  frame_roundtrip(SRE_CODEC_VP8, vp8_key, sizeof vp8_key, 10);
  frame_roundtrip(SRE_CODEC_VP8, vp8_key, 10, 10); /* nothing but prefix */
  frame_roundtrip(SRE_CODEC_VP8, vp8_delta, sizeof vp8_delta, 3);
  frame_roundtrip(SRE_CODEC_VP8, vp8_delta, 3, 3);
  frame_roundtrip(SRE_CODEC_OPUS, opus, sizeof opus, 1);
  frame_roundtrip(SRE_CODEC_OPUS, opus, 1, 1);
  frame_roundtrip(SRE_CODEC_VP9, vp9, sizeof vp9, 0);
  frame_roundtrip(SRE_CODEC_VP9, vp9, 1, 0);
}

static void test_empty_and_short_frames(void) {
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 4, 65792, base16, 16), SRE_OK);
  uint8_t wire[64], back[64];
  size_t n = 7;
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_OPUS, 0, NULL, 0, wire, sizeof wire, &n), SRE_OK);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_VP8, 0, NULL, 0, wire, sizeof wire, &n),
               SRE_ERR_EMPTY_FRAME);
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_VP9, 0, NULL, 0, wire, sizeof wire, &n),
               SRE_ERR_EMPTY_FRAME);
  CHECK_EQ_INT(sre_frame_decrypt(&k, SRE_CODEC_OPUS, NULL, 0, back, sizeof back, &n, NULL), SRE_OK);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(sre_frame_decrypt(&k, SRE_CODEC_VP8, NULL, 0, back, sizeof back, &n, NULL),
               SRE_ERR_EMPTY_FRAME);
  /* VP8 frames shorter than their prefix are never sent. */
  const uint8_t key_start[9] = {0x10, 1, 2, 3, 4, 5, 6, 7, 8};
  const uint8_t delta_start[2] = {0x11, 1};
  for (size_t len = 1; len < 9; len++) {
    CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_VP8, 0, key_start, len, wire, sizeof wire, &n),
                 SRE_ERR_FRAME_TOO_SHORT);
  }
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_VP8, 0, delta_start, 2, wire, sizeof wire, &n),
               SRE_ERR_FRAME_TOO_SHORT);
  /* A plaintext frame injected into an E2EE track is never accepted. */
  uint8_t plain[40];
  for (int trial = 0; trial < 256; trial++) {
    for (size_t i = 0; i < sizeof plain; i++) plain[i] = (uint8_t)(trial * 31 + i * 7);
    for (int codec = 0; codec <= 4; codec++) {
      CHECK(sre_frame_decrypt(&k, (sre_codec)codec, plain, sizeof plain, back, sizeof back, &n,
                              NULL) != SRE_OK);
    }
  }
  /* Minimal sizes: prefix + 1 + 16. */
  size_t p;
  sre_header h;
  uint8_t buf[40] = {0x31};
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_VP8, buf, 3 + 16, &p, &h), SRE_ERR_FRAME_TOO_SHORT);
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_VP8, buf, 3 + 17, &p, &h), SRE_OK);
  buf[3] = 0x98; /* 2-byte KID, 1-byte CTR: a 4-byte header, needs 4 + 16 */
  buf[4] = 0x12;
  buf[5] = 0x34;
  buf[6] = 0x56;
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_VP8, buf, 3 + 4 + 15, &p, &h), SRE_ERR_FRAME_TOO_SHORT);
  CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_VP8, buf, 3 + 4 + 16, &p, &h), SRE_OK);
  CHECK(p == 3 && h.len == 4 && h.kid == 0x1234 && h.ctr == 0x56);
  CHECK_EQ_INT(sre_frame_parse((sre_codec)9, buf, 30, &p, &h), SRE_ERR_ARG);
  sre_key_clear(&k);
}

static void test_kid_layout(void) {
  CHECK_EQ_INT(sre_kid_make(0, 1, 0), 256);
  CHECK_EQ_INT(sre_kid_make(1, 1, 0), 65792);
  CHECK_EQ_INT(sre_kid_make(0xffff, 255, 255), 0xffffffffu);
  uint16_t slot;
  uint8_t g, s;
  CHECK(sre_kid_split(0x00abcdef, &slot, &g, &s));
  CHECK(slot == 0xab && g == 0xcd && s == 0xef);
  CHECK(!sre_kid_split(0x100000000ull, &slot, &g, &s));
  uint8_t hdr[SRE_HEADER_MAX];
  CHECK_EQ_INT(sre_header_encode(sre_kid_make(0, 1, 0), 0, hdr), 3);
  CHECK_EQ_INT(hdr[0], 0x90);
  CHECK_EQ_INT(sre_header_encode(sre_kid_make(1, 1, 0), 0, hdr), 4);
  /* The KID generation of an epoch: ((epoch - 1) mod 255) + 1. */
  CHECK_EQ_INT(sre_epoch_generation(0), 0);
  CHECK_EQ_INT(sre_epoch_generation(1), 1);
  CHECK_EQ_INT(sre_epoch_generation(254), 254);
  CHECK_EQ_INT(sre_epoch_generation(255), 255);
  CHECK_EQ_INT(sre_epoch_generation(256), 1);
  CHECK_EQ_INT(sre_epoch_generation(300), 45);
  CHECK_EQ_INT(sre_epoch_generation(510), 255);
  CHECK_EQ_INT(sre_epoch_generation(511), 1);
  CHECK_EQ_INT(sre_epoch_generation(0xffffffffu), (0xfffffffeu % 255u) + 1u);
  for (uint32_t e = 1; e < 2000; e++) {
    uint8_t gen = sre_epoch_generation(e);
    CHECK(gen >= 1 && gen == sre_epoch_generation(e + 255));
    CHECK(sre_epoch_generation(e + 1) == (gen == 255 ? 1 : gen + 1));
  }
}

static void test_sender(void) {
  sre_sender s;
  CHECK_EQ_INT(sre_sender_init(&s, 7, 0, base16, 16), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_sender_init(&s, 7, 1, base16, 15), SRE_ERR_KEY_LENGTH);
  CHECK_EQ_INT(sre_sender_init(&s, 7, 1, base16, 16), SRE_OK);
  CHECK_EQ_INT(s.key.kid, sre_kid_make(7, 1, 0));
  uint8_t frame[20] = {0x31, 1, 2}, wire[64];
  size_t n = 0;
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, frame, sizeof frame, wire, sizeof wire, &n),
                 SRE_OK);
    sre_header h;
    size_t p;
    CHECK_EQ_INT(sre_frame_parse(SRE_CODEC_VP8, wire, n, &p, &h), SRE_OK);
    CHECK_EQ_INT(h.ctr, i); /* one counter per key, from 0 */
  }
  /* DTX uses no counter. */
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_OPUS, NULL, 0, wire, sizeof wire, &n), SRE_OK);
  CHECK_EQ_INT(s.ctr, 3);
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_OK);
  CHECK_EQ_INT(s.step, 1);
  CHECK_EQ_INT(s.ctr, 0);
  CHECK_EQ_INT(s.base_key_len, 32);
  uint8_t expect[32];
  CHECK_EQ_INT(sre_ratchet(base16, 16, expect), SRE_OK);
  CHECK(memcmp(s.base_key, expect, 32) == 0);
  CHECK_EQ_INT(s.key.kid, sre_kid_make(7, 1, 1));
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
  CHECK(s.epoch == 2 && s.generation == 2 && s.step == 0 && s.base_key_len == 16 && s.ctr == 0);
  CHECK(!s.used);
  /* Step 255 cannot ratchet further. */
  s.step = 255;
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_ERR_RATCHET_EXHAUSTED);
  CHECK_EQ_INT(s.step, 255);
  /* The epoch grows past 255; the KID generation wraps 255 -> 1. */
  sre_sender_clear(&s); /* init does not free what a previous init made */
  CHECK_EQ_INT(sre_sender_init(&s, 7, 255, base16, 16), SRE_OK);
  CHECK_EQ_INT(sre_sender_rotate(&s, base16, 16), SRE_OK);
  CHECK(s.epoch == 256 && s.generation == 1 && s.key.kid == sre_kid_make(7, 1, 0));
  /* The epoch never wraps: at 0xFFFFFFFF the sender refuses to rotate. */
  sre_sender_clear(&s);
  CHECK_EQ_INT(sre_sender_init(&s, 7, 0xfffffffeu, base16, 16), SRE_OK);
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_OK);
  CHECK(s.epoch == 0xffffffffu);
  CHECK_EQ_INT(sre_sender_rotate(&s, NULL, 0), SRE_ERR_EPOCH_EXHAUSTED);
  CHECK(s.epoch == 0xffffffffu && s.step == 0);
  /* Join: an unused key is kept; a used one ratchets; a used key at 255 asks
   * for a rotation. */
  bool ratcheted = true;
  CHECK_EQ_INT(sre_sender_join(&s, &ratcheted), SRE_OK);
  CHECK(!ratcheted && s.step == 0);
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, frame, sizeof frame, wire, sizeof wire, &n),
               SRE_OK);
  CHECK(s.used);
  CHECK_EQ_INT(sre_sender_join(&s, &ratcheted), SRE_OK);
  CHECK(ratcheted && s.step == 1 && !s.used && s.ctr == 0);
  CHECK_EQ_INT(sre_sender_join(&s, NULL), SRE_OK);
  CHECK(s.step == 1);
  sre_sender_mark_used(&s);
  CHECK_EQ_INT(sre_sender_join(&s, NULL), SRE_OK);
  CHECK(s.step == 2);
  /* An empty audio frame takes no counter and does not mark the key used. */
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_OPUS, frame, 0, wire, sizeof wire, &n), SRE_OK);
  CHECK(!s.used);
  s.step = 255;
  sre_sender_mark_used(&s);
  CHECK_EQ_INT(sre_sender_join(&s, &ratcheted), SRE_ERR_RATCHET_EXHAUSTED);
  CHECK(!ratcheted && s.step == 255);
  /* Counter exhaustion. */
  s.ctr = UINT64_MAX;
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, frame, sizeof frame, wire, sizeof wire, &n),
               SRE_OK);
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, frame, sizeof frame, wire, sizeof wire, &n),
               SRE_ERR_CTR_EXHAUSTED);
  sre_sender_clear(&s);
  CHECK(s.key.cipher == NULL && s.base_key[0] == 0);
  CHECK_EQ_INT(sre_sender_ratchet(&s), SRE_ERR_ARG);
}

static void test_status_strings(void) {
  for (int st = 0; st > -SRE_STATUS_COUNT; st--) {
    const char *name = sre_status_name(st);
    CHECK(name != NULL);
    if (!name) continue;
    CHECK(strncmp(name, "SRE_", 4) == 0);
    CHECK_EQ_INT(sre_status_from_name(name), st);
    CHECK(strcmp(sre_strerror(st), "unknown status") != 0);
  }
  CHECK(sre_status_name(-SRE_STATUS_COUNT) == NULL);
  CHECK(sre_status_name(1) == NULL);
  CHECK_EQ_STR(sre_strerror(12345), "unknown status");
  CHECK_EQ_STR(sre_status_name(SRE_ERR_REPLAY), "SRE_ERR_REPLAY");
  CHECK_EQ_INT(sre_status_from_name("nope"), SRE_ERR_ARG);
}

TEST_SUITE(e2ee_sframe, {"header_boundaries", test_header_boundaries},
           {"header_every_config_byte", test_header_every_config_byte},
           {"header_nonminimal", test_header_nonminimal},
           {"suites_roundtrip", test_suites_roundtrip},
           {"wrong_key_and_kid", test_wrong_key_and_kid}, {"codec_prefix", test_codec_prefix},
           {"frames_with_prefixes", test_frames_with_prefixes},
           {"empty_and_short_frames", test_empty_and_short_frames},
           {"kid_layout", test_kid_layout}, {"sender", test_sender},
           {"status_strings", test_status_strings});
