/* Unit tests for the replay window of lib/e2ee/replay.c and its use by the
 * receiver: first counter, in-order and out-of-order acceptance, duplicates,
 * both edges of the 128-counter window, large jumps, counters near 2^64, and
 * that only authenticated frames move the window. Compared with a reference
 * model (a plain set of accepted counters) on a pseudo-random sequence. */
#include <stdlib.h>
#include <string.h>

#include "sealroom_e2ee.h"
#include "test.h"
#include "test_e2ee_helpers.h"

static sre_status accept(sre_replay *w, uint64_t ctr) {
  sre_status st = sre_replay_check(w, ctr);
  if (st == SRE_OK) sre_replay_commit(w, ctr);
  return st;
}

static void test_first_and_in_order(void) {
  sre_replay w;
  sre_replay_init(&w);
  CHECK_EQ_INT(sre_replay_check(&w, 0), SRE_OK);
  CHECK_EQ_INT(sre_replay_check(&w, UINT64_MAX), SRE_OK);
  CHECK_EQ_INT(accept(&w, 1000), SRE_OK); /* any first counter */
  CHECK_EQ_INT(accept(&w, 1000), SRE_ERR_REPLAY);
  for (uint64_t c = 1001; c < 1400; c++) CHECK_EQ_INT(accept(&w, c), SRE_OK);
  for (uint64_t c = 1399 - 127; c < 1400; c++) CHECK_EQ_INT(accept(&w, c), SRE_ERR_REPLAY);
  CHECK_EQ_INT(accept(&w, 1399 - 128), SRE_ERR_TOO_OLD);
  CHECK_EQ_INT(accept(&w, 0), SRE_ERR_TOO_OLD);
}

static void test_window_edges(void) {
  sre_replay w;
  sre_replay_init(&w);
  CHECK_EQ_INT(accept(&w, 500), SRE_OK);
  /* top - 127 is the oldest counter still inside, top - 128 is out. */
  CHECK_EQ_INT(sre_replay_check(&w, 500 - 127), SRE_OK);
  CHECK_EQ_INT(sre_replay_check(&w, 500 - 128), SRE_ERR_TOO_OLD);
  CHECK_EQ_INT(accept(&w, 373), SRE_OK);
  CHECK_EQ_INT(accept(&w, 373), SRE_ERR_REPLAY);
  /* Bits at age 63, 64 and 65 (the word boundary). */
  CHECK_EQ_INT(accept(&w, 500 - 63), SRE_OK);
  CHECK_EQ_INT(accept(&w, 500 - 64), SRE_OK);
  CHECK_EQ_INT(accept(&w, 500 - 65), SRE_OK);
  CHECK_EQ_INT(accept(&w, 500 - 63), SRE_ERR_REPLAY);
  CHECK_EQ_INT(accept(&w, 500 - 64), SRE_ERR_REPLAY);
  CHECK_EQ_INT(accept(&w, 500 - 65), SRE_ERR_REPLAY);
  /* Move by 1: 373 becomes too old, 374 is new and inside. */
  CHECK_EQ_INT(accept(&w, 501), SRE_OK);
  CHECK_EQ_INT(sre_replay_check(&w, 373), SRE_ERR_TOO_OLD);
  CHECK_EQ_INT(accept(&w, 374), SRE_OK);
  /* Move by exactly 64 and 128. */
  CHECK_EQ_INT(accept(&w, 565), SRE_OK);
  CHECK_EQ_INT(accept(&w, 501), SRE_ERR_REPLAY);   /* age 64 */
  CHECK_EQ_INT(accept(&w, 500), SRE_ERR_REPLAY);   /* age 65 */
  CHECK_EQ_INT(accept(&w, 565 + 128), SRE_OK);
  CHECK_EQ_INT(accept(&w, 565), SRE_ERR_TOO_OLD);  /* age 128 */
  CHECK_EQ_INT(accept(&w, 566), SRE_OK);           /* age 127: never seen */
  /* A huge jump clears everything. */
  CHECK_EQ_INT(accept(&w, 1000000), SRE_OK);
  CHECK_EQ_INT(accept(&w, 1000000 - 1), SRE_OK);
  CHECK_EQ_INT(accept(&w, 1000000 - 127), SRE_OK);
  CHECK_EQ_INT(accept(&w, 1000000 - 128), SRE_ERR_TOO_OLD);
}

static void test_near_max(void) {
  sre_replay w;
  sre_replay_init(&w);
  CHECK_EQ_INT(accept(&w, UINT64_MAX - 1), SRE_OK);
  CHECK_EQ_INT(accept(&w, UINT64_MAX), SRE_OK);
  CHECK_EQ_INT(accept(&w, UINT64_MAX), SRE_ERR_REPLAY);
  CHECK_EQ_INT(accept(&w, UINT64_MAX - 1), SRE_ERR_REPLAY);
  CHECK_EQ_INT(accept(&w, UINT64_MAX - 127), SRE_OK);
  CHECK_EQ_INT(accept(&w, UINT64_MAX - 128), SRE_ERR_TOO_OLD);
  sre_replay_init(&w);
  CHECK_EQ_INT(accept(&w, 0), SRE_OK);
  CHECK_EQ_INT(accept(&w, UINT64_MAX), SRE_OK);
  CHECK_EQ_INT(accept(&w, 0), SRE_ERR_TOO_OLD);
}

/* Reference model: remembers every accepted counter. */
static void test_against_model(void) {
  enum { N = 20000 };
  static uint8_t seen[N + 300];
  memset(seen, 0, sizeof seen);
  sre_replay w;
  sre_replay_init(&w);
  uint64_t top = 0;
  int any = 0;
  uint32_t rng = 12345;
  uint64_t base = 0;
  for (int i = 0; i < 200000; i++) {
    rng = rng * 1103515245u + 12345u;
    uint32_t r = rng >> 8;
    /* Mostly forward, sometimes back up to 200, sometimes a replay. */
    if (r % 8 == 0 && base > 200) {
      base -= r % 200;
    } else if (base < N) {
      base += r % 3;
    }
    uint64_t c = base;
    sre_status want;
    if (!any || c > top) {
      want = SRE_OK;
    } else if (top - c >= 128) {
      want = SRE_ERR_TOO_OLD;
    } else {
      want = seen[c] ? SRE_ERR_REPLAY : SRE_OK;
    }
    sre_status got = accept(&w, c);
    if (got != want) {
      CHECK_EQ_INT(got, want);
      return;
    }
    if (got == SRE_OK) {
      seen[c] = 1;
      if (!any || c > top) top = c;
      any = 1;
    }
  }
}

/* The receiver only commits authenticated frames: a forged frame carrying a
 * future CTR must not push genuine frames out of the window. */
static void test_receiver_commits_only_authentic(void) {
  const uint8_t key[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  sre_sender s;
  sre_receiver r;
  CHECK_EQ_INT(sre_sender_init(&s, 4, 1, key, 16), SRE_OK);
  sre_receiver_init(&r, 4);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, key, 16, 0), SRE_OK);
  uint8_t frame[30] = {0x31, 7, 7, 7}, wire[80], out[80];
  size_t n, m;
  uint8_t saved[5][80];
  size_t saved_len[5];
  for (int i = 0; i < 5; i++) {
    CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, frame, sizeof frame, saved[i], 80, &saved_len[i]),
                 SRE_OK);
  }
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, saved[0], saved_len[0], out, sizeof out, &m, 0),
               SRE_OK);
  /* Forge: frame 4's header with CTR 10000 (tag no longer matches). */
  sre_key k;
  CHECK_EQ_INT(sre_key_init(&k, 4, sre_kid_make(4, 1, 0), key, 16), SRE_OK);
  CHECK_EQ_INT(sre_frame_encrypt(&k, SRE_CODEC_VP8, 10000, frame, sizeof frame, wire, sizeof wire, &n),
               SRE_OK);
  wire[n - 1] ^= 1;
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, wire, n, out, sizeof out, &m, 0), SRE_ERR_AUTH);
  /* Genuine frames 1..4 still pass (out of order), and replays do not. */
  for (int i = 4; i >= 1; i--) {
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, saved[i], saved_len[i], out, sizeof out, &m, 0),
                 SRE_OK);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, saved[i], saved_len[i], out, sizeof out, &m, 0),
                 SRE_ERR_REPLAY);
  }
  /* The real frame with CTR 10000 is accepted; then 0..4 are too old. */
  wire[n - 1] ^= 1;
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, wire, n, out, sizeof out, &m, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, saved[2], saved_len[2], out, sizeof out, &m, 0),
               SRE_ERR_TOO_OLD);
  CHECK_EQ_INT(sre_receiver_drops(&r, SRE_ERR_REPLAY), 4);
  CHECK_EQ_INT(sre_receiver_drops(&r, SRE_ERR_AUTH), 1);
  CHECK_EQ_INT(sre_receiver_drops(&r, SRE_ERR_TOO_OLD), 1);
  CHECK_EQ_INT(r.accepted, 6);
  sre_key_clear(&k);
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

/* Attack: one window per key for audio and video made a video frame late by
 * more than 128 counters (because audio at 50 fps took counters meanwhile)
 * TOO_OLD. With a window per media kind it is accepted, and a replayed video
 * frame is still refused; a video frame presented as audio fails to
 * authenticate (different clear prefix). */
static void test_window_per_media_kind(void) {
  const uint8_t key[16] = {0x3c};
  sre_sender s;
  sre_receiver r;
  CHECK_EQ_INT(sre_sender_init(&s, 6, 1, key, 16), SRE_OK);
  sre_receiver_init(&r, 6);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, key, 16, 0), SRE_OK);
  uint8_t vp8[40] = {0x31, 1, 2, 3}, opus[20] = {0x78, 9, 9}, out[80];
  uint8_t late[80], audio[80];
  size_t late_n, n, m;
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, vp8, sizeof vp8, late, sizeof late, &late_n), SRE_OK);
  uint8_t v2[80];
  size_t v2_n;
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, vp8, sizeof vp8, v2, sizeof v2, &v2_n), SRE_OK);
  /* 200 audio frames take CTRs 2..201 and arrive first. */
  for (int i = 0; i < 200; i++) {
    CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_OPUS, opus, sizeof opus, audio, sizeof audio, &n), SRE_OK);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_OPUS, audio, n, out, sizeof out, &m, 0), SRE_OK);
  }
  /* The later video frame (CTR 1), then the late one (CTR 0): 201 behind the
   * audio, but the video window has seen nothing newer than CTR 1. */
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, v2, v2_n, out, sizeof out, &m, 0), SRE_OK);
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, late, late_n, out, sizeof out, &m, 0), SRE_OK);
  CHECK(m == sizeof vp8 && memcmp(out, vp8, m) == 0);
  /* Replays are still refused in each window. */
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, late, late_n, out, sizeof out, &m, 0), SRE_ERR_REPLAY);
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_OPUS, audio, n, out, sizeof out, &m, 0), SRE_ERR_REPLAY);
  /* A video frame moved to an audio track (a fresh CTR for the audio window)
   * does not authenticate: Opus reads a 1-byte prefix where VP8 had 3. */
  uint8_t v3[80];
  size_t v3_n;
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP8, vp8, sizeof vp8, v3, sizeof v3, &v3_n), SRE_OK);
  CHECK(sre_receiver_decrypt(&r, SRE_CODEC_OPUS, v3, v3_n, out, sizeof out, &m, 0) != SRE_OK);
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP8, v3, v3_n, out, sizeof out, &m, 0), SRE_OK);
  /* And an audio frame moved to a video track fails too. */
  CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_OPUS, opus, sizeof opus, audio, sizeof audio, &n), SRE_OK);
  CHECK(sre_receiver_decrypt(&r, SRE_CODEC_VP8, audio, n, out, sizeof out, &m, 0) != SRE_OK);
  CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_OPUS, audio, n, out, sizeof out, &m, 0), SRE_OK);
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

/* Attack (review of issue 8): with one window per media KIND, a hostile SFU
 * that negotiates a video codec without a clear prefix (VP9) and an audio
 * codec without one (PCMU, SRE_CODEC_OTHER_AUDIO) delivered each of a
 * sender's frames twice, once per kind: same header offset, same AAD, two
 * windows. The windows are now by prefix class (Opus, everything else), so
 * the second copy is a replay. */
static void test_no_replay_across_prefix_zero_codecs(void) {
  const uint8_t key[16] = {0x5d};
  sre_sender s;
  sre_receiver r;
  CHECK_EQ_INT(sre_sender_init(&s, 7, 1, key, 16), SRE_OK);
  sre_receiver_init(&r, 7);
  CHECK_EQ_INT(sre_receiver_add_key(&r, 1, 0, key, 16, 0), SRE_OK);
  uint8_t vp9[60] = {0x82, 0xaa, 1}, wire[120], out[120];
  size_t n, m;
  for (int i = 0; i < 10; i++) {
    vp9[2] = (uint8_t)i;
    CHECK_EQ_INT(sre_sender_encrypt(&s, SRE_CODEC_VP9, vp9, sizeof vp9, wire, sizeof wire, &n), SRE_OK);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP9, wire, n, out, sizeof out, &m, 0), SRE_OK);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_VP9, wire, n, out, sizeof out, &m, 0), SRE_ERR_REPLAY);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_OTHER_AUDIO, wire, n, out, sizeof out, &m, 0),
                 SRE_ERR_REPLAY);
    CHECK_EQ_INT(sre_receiver_decrypt(&r, SRE_CODEC_OTHER_VIDEO, wire, n, out, sizeof out, &m, 0),
                 SRE_ERR_REPLAY);
  }
  sre_sender_clear(&s);
  sre_receiver_clear(&r);
}

TEST_SUITE(e2ee_replay, {"first_and_in_order", test_first_and_in_order},
           {"window_edges", test_window_edges}, {"near_max", test_near_max},
           {"against_model", test_against_model},
           {"receiver_commits_only_authentic", test_receiver_commits_only_authentic},
           {"window_per_media_kind", test_window_per_media_kind},
           {"no_replay_across_prefix_zero_codecs", test_no_replay_across_prefix_zero_codecs});
