/* The VP8 payload descriptor (src/rtp/vp8.h): every optional field, key
 * frame detection, cut-short descriptors refused, and in-place rewrites that
 * keep the picture id's width. */
#include <string.h>

#include "rtp/vp8.h"
#include "test.h"

static void test_minimal(void) {
  /* X=0, S=1, PID=0; frame tag byte with P=0: a key frame. */
  const uint8_t key[] = {0x10, 0x00, 0x9d, 0x01, 0x2a};
  vp8_desc d;
  CHECK_EQ_INT(vp8_parse(key, sizeof key, &d), 0);
  CHECK_EQ_INT(d.len, 1);
  CHECK(d.start && d.keyframe && !d.has_picture_id && !d.has_tl0 && !d.has_tid);
  const uint8_t delta[] = {0x10, 0x01};
  CHECK_EQ_INT(vp8_parse(delta, sizeof delta, &d), 0);
  CHECK(d.start && !d.keyframe);
  const uint8_t middle[] = {0x00, 0x00}; /* not the start of a partition */
  CHECK_EQ_INT(vp8_parse(middle, sizeof middle, &d), 0);
  CHECK(!d.keyframe);
  const uint8_t second_partition[] = {0x11, 0x00};
  CHECK_EQ_INT(vp8_parse(second_partition, sizeof second_partition, &d), 0);
  CHECK(!d.keyframe && d.partition == 1);
  const uint8_t only_desc[] = {0x10}; /* no frame tag: never a key frame */
  CHECK_EQ_INT(vp8_parse(only_desc, sizeof only_desc, &d), 0);
  CHECK(!d.keyframe);
  CHECK_EQ_INT(vp8_parse(key, 0, &d), -1);
}

static void test_full(void) {
  /* X, I with M (15-bit id 0x1234), L (TL0PICIDX 0x56), T (TID 2, Y), K. */
  uint8_t p[] = {0x90, 0xf0, 0x80 | 0x12, 0x34, 0x56, (2 << 6) | 0x20 | 0x03, 0x00, 0xff};
  vp8_desc d;
  CHECK_EQ_INT(vp8_parse(p, sizeof p, &d), 0);
  CHECK_EQ_INT(d.len, 6);
  CHECK(d.has_picture_id && d.long_picture_id && d.has_tl0 && d.has_tid && d.layer_sync);
  CHECK_EQ_INT(d.picture_id, 0x1234);
  CHECK_EQ_INT(d.tl0picidx, 0x56);
  CHECK_EQ_INT(d.tid, 2);
  CHECK(d.keyframe);
  vp8_set_picture_id(p, &d, 0x7abc);
  vp8_set_tl0picidx(p, &d, 0x99);
  vp8_desc e;
  CHECK_EQ_INT(vp8_parse(p, sizeof p, &e), 0);
  CHECK_EQ_INT(e.picture_id, 0x7abc);
  CHECK_EQ_INT(e.tl0picidx, 0x99);
  CHECK_EQ_INT(e.tid, 2);
  CHECK(e.long_picture_id);
  CHECK_EQ_INT(p[6], 0x00); /* the frame is untouched */

  /* A 7-bit picture id stays 7-bit. */
  uint8_t s[] = {0x90, 0x80, 0x05, 0x01};
  CHECK_EQ_INT(vp8_parse(s, sizeof s, &d), 0);
  CHECK(d.has_picture_id && !d.long_picture_id);
  CHECK_EQ_INT(d.picture_id, 5);
  vp8_set_picture_id(s, &d, 300);
  CHECK_EQ_INT(s[2], 300 & 0x7f);
  CHECK_EQ_INT(s[3], 0x01);
}

/* Every prefix of a full descriptor shorter than it is refused, never read past. */
static void test_cut_short(void) {
  const uint8_t p[] = {0x90, 0xf0, 0x80, 0x34, 0x56, 0x40};
  vp8_desc d;
  for (size_t n = 0; n < sizeof p; n++) CHECK_EQ_INT(vp8_parse(p, n, &d), -1);
  CHECK_EQ_INT(vp8_parse(p, sizeof p, &d), 0);
  const uint8_t k_only[] = {0x80, 0x10}; /* K without T still takes its byte */
  CHECK_EQ_INT(vp8_parse(k_only, sizeof k_only, &d), -1);
}

TEST_SUITE(vp8, {"minimal", test_minimal}, {"full", test_full}, {"cut_short", test_cut_short});
