/* Unit tests for the native client's media half (client/rtp_media.h,
 * client/media/): RTP header writing, the VP8 payload descriptor, the whole
 * path test pattern -> libvpx -> packetizer -> shuffled, duplicated packets
 * -> assembler -> libvpx -> the same picture; a lost packet making the
 * assembler ask for a key frame instead of handing out a broken frame;
 * hostile payloads; the Opus packetizer and depacketizer; IVF and Ogg Opus
 * files written and read back (a tone keeps its frequency). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/media/i420.h"
#include "client/media/ivf.h"
#include "client/media/ogg_opus.h"
#include "client/media/opus.h"
#include "client/media/pattern.h"
#include "client/media/vp8.h"
#include "client/rtp_media.h"
#include "dtls/srtp.h"
#include "rtp/rtp.h"
#include "test.h"

#define W 640
#define H 360
#define FPS 30
#define N_FRAMES 30
#define MAX_PKTS 4096

static uint32_t rng_state = 12345;
static uint32_t rnd(void) { /* xorshift32: deterministic test shuffles */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* ---- what the assembler hands out --------------------------------------- */

typedef struct {
  sc_vp8_dec *dec;
  sc_i420 src[N_FRAMES + 8]; /* the pictures that were encoded, by frame index */
  uint32_t ts0;
  int frames, keyframes, decoded, decode_errors, matches, counter_ok, requests;
  int last_index;
  bool ordered;
  double worst_psnr;
} sink;

static void on_frame(void *user, uint32_t ts, bool key, const uint8_t *data, size_t len) {
  sink *s = user;
  int idx = (int)((ts - s->ts0) / (SC_RTP_VIDEO_CLOCK / FPS));
  s->frames++;
  if (key) s->keyframes++;
  if (idx <= s->last_index) s->ordered = false;
  s->last_index = idx;
  sc_i420 out;
  int r = sc_vp8_dec_decode(s->dec, data, len, &out);
  if (r != 1) {
    s->decode_errors++;
    return;
  }
  s->decoded++;
  if (idx < 0 || idx >= (int)(sizeof s->src / sizeof s->src[0]) || !s->src[idx].owned) return;
  double psnr = sc_i420_psnr_y(&out, &s->src[idx]);
  double mad = sc_i420_mean_abs_diff(&out, &s->src[idx]);
  if (psnr < s->worst_psnr) s->worst_psnr = psnr;
  if (psnr > 28 && mad < 4) s->matches++;
  uint32_t counter;
  if (sc_pattern_read_counter(&out, &counter) == 0 && counter == (uint32_t)idx) s->counter_ok++;
}

static void on_need_key(void *user) { ((sink *)user)->requests++; }

static void sink_init(sink *s) {
  memset(s, 0, sizeof *s);
  s->dec = sc_vp8_dec_new();
  s->last_index = -1;
  s->ordered = true;
  s->worst_psnr = 99;
}

static void sink_free(sink *s) {
  sc_vp8_dec_free(s->dec);
  for (size_t i = 0; i < sizeof s->src / sizeof s->src[0]; i++) sc_i420_free(&s->src[i]);
}

/* ---- packets ------------------------------------------------------------ */

typedef struct {
  uint8_t b[SC_RTP_PACKET_BUF];
  size_t len;
  int frame;
} pkt;

static pkt *pkts;
static size_t n_pkts;

/* Encodes frames [from, to) of the pattern and packetizes them into pkts. */
static void produce(sc_vp8_enc *enc, sc_vp8_packetizer *pz, sink *s, int from, int to) {
  for (int i = from; i < to; i++) {
    sc_i420 *img = &s->src[i];
    if (!img->owned) CHECK(sc_i420_alloc(img, W, H) == 0);
    sc_pattern_draw(img, (uint32_t)i);
    sc_vp8_frame f;
    CHECK_EQ_INT(sc_vp8_enc_encode(enc, img, i, &f), 1);
    unsigned flags = (f.keyframe ? SC_VP8_KEYFRAME : 0) | (f.droppable ? SC_VP8_DROPPABLE : 0);
    int n = sc_vp8_packetizer_frame(pz, f.data, f.len, (uint32_t)i * (SC_RTP_VIDEO_CLOCK / FPS),
                                    flags);
    CHECK(n >= 1);
    int len;
    while ((len = sc_vp8_packetizer_next(pz, pkts[n_pkts].b, sizeof pkts[n_pkts].b)) > 0) {
      CHECK(n_pkts < MAX_PKTS);
      /* With the SRTP trailer, the datagram stays under 1200 bytes. */
      CHECK(len + SR_SRTP_MAX_TRAILER < 1200);
      pkts[n_pkts].len = (size_t)len;
      pkts[n_pkts].frame = i;
      n_pkts++;
    }
    CHECK_EQ_INT(len, 0);
  }
}

static int push(sc_vp8_assembler *a, const pkt *p, uint64_t now) {
  rtp_header h;
  if (rtp_parse(p->b, p->len, &h) != 0) return -2;
  return sc_vp8_assembler_push(a, p->b, &h, now);
}

/* ---- tests -------------------------------------------------------------- */

static void test_rtp_writer(void) {
  sc_rtp_writer w;
  CHECK(sc_rtp_writer_init(&w, 0x11223344, 200, SC_RTP_VIDEO_CLOCK) != 0); /* pt > 127 */
  CHECK(sc_rtp_writer_init(&w, 0x11223344, 111, SC_RTP_AUDIO_CLOCK) == 0);
  w.audio_level_id = 1;
  uint8_t buf[SC_RTP_PACKET_BUF], pay[3] = {1, 2, 3};
  uint16_t seq0 = w.seq;
  int n = sc_rtp_write(&w, 960, true, 30, true, pay, 3, buf, sizeof buf);
  CHECK_EQ_INT(n, 20 + 3); /* one element of 2 bytes, padded to 4 */
  rtp_header h;
  CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
  CHECK_EQ_INT(h.seq, seq0);
  CHECK_EQ_INT(h.timestamp, (uint32_t)(w.ts_base + 960));
  CHECK_EQ_INT(h.ssrc, 0x11223344);
  CHECK_EQ_INT(h.payload_type, 111);
  CHECK_EQ_INT(h.marker, 1);
  CHECK_EQ_INT(h.payload_len, 3);
  CHECK(memcmp(buf + h.header_len, pay, 3) == 0);
  const uint8_t *d;
  size_t dl;
  uint8_t level;
  bool voice;
  CHECK(rtp_ext_find(buf, &h, 1, &d, &dl) == 0);
  CHECK(rtp_audio_level(d, dl, &level, &voice) == 0);
  CHECK_EQ_INT(level, 30);
  CHECK(voice);
  /* Without a level: the 12-byte header, next sequence number. */
  n = sc_rtp_write(&w, 1920, false, -1, false, pay, 3, buf, sizeof buf);
  CHECK_EQ_INT(n, 15);
  CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
  CHECK_EQ_INT(h.seq, (uint16_t)(seq0 + 1));
  CHECK_EQ_INT(h.extension, 0);
  CHECK_EQ_INT(w.packets, 2);
  CHECK_EQ_INT(w.octets, 6);
  /* Too small a buffer: refused, nothing counted. */
  CHECK_EQ_INT(sc_rtp_write(&w, 0, false, -1, false, pay, 3, buf, 14), -1);
  CHECK_EQ_INT(w.packets, 2);
}

/* Simulcast: MID and RID in every packet, beside the audio level. */
static void test_rtp_writer_rid(void) {
  sc_rtp_writer w;
  CHECK(sc_rtp_writer_init(&w, 0x55667788, 96, SC_RTP_VIDEO_CLOCK) == 0);
  CHECK(sc_rtp_writer_set_rid(&w, 4, "1", 4, "h") != 0);     /* the same id twice */
  CHECK(sc_rtp_writer_set_rid(&w, 4, "1", 15, "h") != 0);    /* id out of range */
  CHECK(sc_rtp_writer_set_rid(&w, 4, "", 5, "h") != 0);      /* empty name */
  CHECK(sc_rtp_writer_set_rid(&w, 4, "1", 5, "hhhhh") != 0); /* name too long */
  CHECK_EQ_INT(w.mid_id, 0);
  CHECK(sc_rtp_writer_set_rid(&w, 4, "1", 5, "hq") == 0);
  w.audio_level_id = 1;
  uint8_t buf[SC_RTP_PACKET_BUF], pay[2] = {9, 8};
  /* Elements 2 + 2 + 3 bytes, padded to 8: a 24-byte header. */
  int n = sc_rtp_write(&w, 0, false, 5, false, pay, 2, buf, sizeof buf);
  CHECK_EQ_INT(n, 24 + 2);
  rtp_header h;
  CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
  CHECK_EQ_INT(h.header_len, 24);
  const uint8_t *d;
  size_t dl;
  CHECK(rtp_ext_find(buf, &h, 4, &d, &dl) == 0 && dl == 1 && d[0] == '1');
  CHECK(rtp_ext_find(buf, &h, 5, &d, &dl) == 0 && dl == 2 && memcmp(d, "hq", 2) == 0);
  CHECK(rtp_ext_find(buf, &h, 1, &d, &dl) == 0 && dl == 1 && d[0] == 5);
  CHECK(memcmp(buf + h.header_len, pay, 2) == 0);
  /* Without a level: MID and RID only (5 bytes, padded to 8). */
  n = sc_rtp_write(&w, 0, false, -1, false, pay, 2, buf, sizeof buf);
  CHECK_EQ_INT(n, 24 + 2);
  CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
  CHECK(rtp_ext_find(buf, &h, 1, &d, &dl) != 0);
  CHECK(rtp_ext_find(buf, &h, 5, &d, &dl) == 0 && dl == 2);
  /* The longest names with a level fit SC_RTP_MAX_HEADER. */
  CHECK(sc_rtp_writer_set_rid(&w, 4, "abcd", 5, "wxyz") == 0);
  CHECK(sc_rtp_header_len(&w, 127) <= SC_RTP_MAX_HEADER);
}

static void test_vp8_desc(void) {
  sc_vp8_desc d;
  const uint8_t full[] = {0x90, 0x80, 0x81, 0x23, 0x9d};   /* X S, I, M + 15-bit id */
  CHECK(sc_vp8_desc_parse(full, sizeof full, &d) == 0);
  CHECK(d.start);
  CHECK_EQ_INT(d.len, 4);
  CHECK_EQ_INT(d.picture_id, 0x0123);
  const uint8_t short_id[] = {0xb0, 0x80, 0x05, 0x9d};     /* X N S, I, 7-bit id */
  CHECK(sc_vp8_desc_parse(short_id, sizeof short_id, &d) == 0);
  CHECK(d.non_ref);
  CHECK_EQ_INT(d.picture_id, 5);
  CHECK_EQ_INT(d.len, 3);
  const uint8_t all[] = {0x80, 0xf0, 0x01, 0x02, 0x03, 0xaa}; /* I L T K */
  CHECK(sc_vp8_desc_parse(all, sizeof all, &d) == 0);
  CHECK_EQ_INT(d.len, 5);
  const uint8_t plain[] = {0x10, 0x9d};
  CHECK(sc_vp8_desc_parse(plain, sizeof plain, &d) == 0);
  CHECK_EQ_INT(d.len, 1);
  /* Every truncation, and descriptors with no data after them. */
  for (size_t n = 0; n < sizeof full; n++) CHECK(sc_vp8_desc_parse(full, n, &d) != 0);
  for (size_t n = 0; n < sizeof all; n++) CHECK(sc_vp8_desc_parse(all, n, &d) != 0);
  const uint8_t x_only[] = {0x80};
  CHECK(sc_vp8_desc_parse(x_only, 1, &d) != 0);
}

static void test_vp8_packetizer(void) {
  sc_vp8_packetizer pz;
  CHECK(sc_vp8_packetizer_init(&pz, 1, 96, SC_VP8_DESC_LEN) != 0);
  CHECK(sc_vp8_packetizer_init(&pz, 1, 96, 0) == 0);
  static uint8_t frame[5000];
  for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)(i * 7 + 1);
  frame[0] &= 0xFE; /* a key frame's tag */
  CHECK_EQ_INT(sc_vp8_packetizer_frame(&pz, frame, sizeof frame, 3000, SC_VP8_KEYFRAME), 5);
  uint8_t buf[SC_RTP_PACKET_BUF];
  size_t total = 0, min = 99999, max = 0;
  int n, i = 0;
  uint16_t pid = 0;
  while ((n = sc_vp8_packetizer_next(&pz, buf, sizeof buf)) > 0) {
    rtp_header h;
    sc_vp8_desc d;
    CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
    CHECK(h.payload_len <= SC_RTP_DEFAULT_MAX_PAYLOAD);
    CHECK(sc_vp8_desc_parse(buf + h.header_len, h.payload_len, &d) == 0);
    CHECK_EQ_INT(d.len, SC_VP8_DESC_LEN);
    CHECK_EQ_INT(d.start, i == 0);
    CHECK(!d.non_ref);
    CHECK(d.has_picture_id);
    if (i == 0) pid = d.picture_id;
    CHECK_EQ_INT(d.picture_id, pid);
    CHECK_EQ_INT(h.marker, i == 4);
    CHECK_EQ_INT(h.timestamp, (uint32_t)(pz.rtp.ts_base + 3000));
    size_t dl = h.payload_len - d.len;
    CHECK(memcmp(buf + h.header_len + d.len, frame + total, dl) == 0);
    total += dl;
    if (dl < min) min = dl;
    if (dl > max) max = dl;
    i++;
  }
  CHECK_EQ_INT(total, sizeof frame);
  CHECK(max - min <= 1); /* evenly split */
  /* The next frame: PictureID + 1, N bit when droppable. */
  CHECK_EQ_INT(sc_vp8_packetizer_frame(&pz, frame + 1, 10, 6000, SC_VP8_DROPPABLE), 1);
  n = sc_vp8_packetizer_next(&pz, buf, sizeof buf);
  rtp_header h;
  sc_vp8_desc d;
  CHECK(n > 0 && rtp_parse(buf, (size_t)n, &h) == 0);
  CHECK(sc_vp8_desc_parse(buf + h.header_len, h.payload_len, &d) == 0);
  CHECK_EQ_INT(d.picture_id, (pid + 1) & 0x7FFF);
  CHECK(d.non_ref && d.start && h.marker);
  CHECK_EQ_INT(sc_vp8_packetizer_next(&pz, buf, sizeof buf), 0);
  CHECK_EQ_INT(sc_vp8_packetizer_frame(&pz, frame, 0, 0, 0), -1);
}

/* The whole path with reordering and duplicates: every frame comes out, in
 * order, and decodes to the picture that was encoded. */
static void test_vp8_roundtrip(void) {
  sink s;
  sink_init(&s);
  sc_vp8_enc *enc = sc_vp8_enc_new(W, H, FPS, 1500);
  CHECK(enc && s.dec);
  sc_vp8_packetizer pz;
  CHECK(sc_vp8_packetizer_init(&pz, 0xabcdef, 96, 0) == 0);
  s.ts0 = pz.rtp.ts_base;
  n_pkts = 0;
  produce(enc, &pz, &s, 0, N_FRAMES);
  CHECK(n_pkts > N_FRAMES); /* the key frame takes several packets */
  /* Shuffle within windows of 8 packets, duplicate every 5th. */
  for (size_t i = 0; i + 1 < n_pkts; i++) {
    size_t j = i + rnd() % 8;
    if (j >= n_pkts) j = n_pkts - 1;
    pkt t = pkts[i];
    pkts[i] = pkts[j];
    pkts[j] = t;
  }
  sc_vp8_assembler_config cfg = {.on_frame = on_frame, .on_need_keyframe = on_need_key, .user = &s};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  CHECK(a != NULL);
  int dups = 0;
  for (size_t i = 0; i < n_pkts; i++) {
    CHECK(push(a, &pkts[i], 1000 + i) == 0);
    if (i % 5 == 0) {
      CHECK(push(a, &pkts[i], 1000 + i) == 1);
      dups++;
    }
  }
  sc_vp8_assembler_stats st;
  sc_vp8_assembler_get_stats(a, &st);
  CHECK_EQ_INT(st.duplicates + st.late, dups); /* late: its frame was already out */
  CHECK_EQ_INT(s.frames, N_FRAMES);
  CHECK_EQ_INT(s.keyframes, 1);
  CHECK_EQ_INT(s.decoded, N_FRAMES);
  CHECK_EQ_INT(s.matches, N_FRAMES);
  CHECK_EQ_INT(s.counter_ok, N_FRAMES);
  CHECK(s.ordered);
  CHECK_EQ_INT(s.requests, 0);
  CHECK(!sc_vp8_assembler_waiting_keyframe(a));
  if (s.matches != N_FRAMES) fprintf(stderr, "  worst PSNR %.1f dB\n", s.worst_psnr);
  sc_vp8_assembler_free(a);
  sc_vp8_enc_free(enc);
  sink_free(&s);
}

/* One packet of a delta frame lost for good: the frames before it come out,
 * the broken frame and those after it do not, the assembler asks for a key
 * frame after gap_ms, and the requested key frame restores the picture. */
static void test_vp8_loss(void) {
  sink s;
  sink_init(&s);
  sc_vp8_enc *enc = sc_vp8_enc_new(W, H, FPS, 3000);
  sc_vp8_packetizer pz;
  CHECK(enc && sc_vp8_packetizer_init(&pz, 7, 96, 300) == 0);
  s.ts0 = pz.rtp.ts_base;
  n_pkts = 0;
  produce(enc, &pz, &s, 0, 10);
  sc_vp8_assembler_config cfg = {
      .gap_ms = 100, .on_frame = on_frame, .on_need_keyframe = on_need_key, .user = &s};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  /* Drop the first packet of frame 5 that is not its start. */
  size_t lost = 0;
  for (size_t i = 0; i < n_pkts; i++)
    if (pkts[i].frame == 5 && i > 0 && pkts[i - 1].frame == 5) {
      lost = i;
      break;
    }
  CHECK(lost > 0);
  uint64_t now = 5000;
  for (size_t i = 0; i < n_pkts; i++)
    if (i != lost) push(a, &pkts[i], now += 3);
  CHECK_EQ_INT(s.frames, 5); /* 0..4, nothing after the hole yet */
  CHECK_EQ_INT(s.requests, 0);
  sc_vp8_assembler_tick(a, now + 50);
  CHECK_EQ_INT(s.requests, 0); /* the hole may still be filled by a retransmission */
  sc_vp8_assembler_tick(a, now + 150);
  CHECK_EQ_INT(s.requests, 1);
  CHECK(sc_vp8_assembler_waiting_keyframe(a));
  CHECK_EQ_INT(s.frames, 5);
  /* The retransmission comes too late: kept or ignored, but the broken
   * frame and the delta frames after it stay out. */
  CHECK(push(a, &pkts[lost], now + 160) >= 0);
  CHECK_EQ_INT(s.frames, 5);
  /* Delta frames while waiting are not handed out. */
  size_t mark = n_pkts;
  produce(enc, &pz, &s, 10, 12);
  for (size_t i = mark; i < n_pkts; i++) push(a, &pkts[i], now + 170);
  CHECK_EQ_INT(s.frames, 5);
  /* Repeated request while still waiting. */
  sc_vp8_assembler_tick(a, now + 1200);
  CHECK_EQ_INT(s.requests, 2);
  sc_vp8_enc_request_keyframe(enc);
  mark = n_pkts;
  produce(enc, &pz, &s, 12, 15);
  for (size_t i = mark; i < n_pkts; i++) push(a, &pkts[i], now + 1250);
  CHECK_EQ_INT(s.frames, 8);
  CHECK_EQ_INT(s.keyframes, 2);
  CHECK_EQ_INT(s.decode_errors, 0);
  CHECK_EQ_INT(s.matches, 8);
  CHECK_EQ_INT(s.counter_ok, 8);
  CHECK(!sc_vp8_assembler_waiting_keyframe(a));
  sc_vp8_assembler_stats st;
  sc_vp8_assembler_get_stats(a, &st);
  CHECK(st.frames_dropped >= 1);
  sc_vp8_assembler_free(a);
  sc_vp8_enc_free(enc);
  sink_free(&s);
}

/* A stream joined in the middle: delta frames first, a key frame later. */
static void test_vp8_join_late(void) {
  sink s;
  sink_init(&s);
  sc_vp8_enc *enc = sc_vp8_enc_new(W, H, FPS, 1000);
  sc_vp8_packetizer pz;
  CHECK(enc && sc_vp8_packetizer_init(&pz, 9, 96, 0) == 0);
  s.ts0 = pz.rtp.ts_base;
  n_pkts = 0;
  produce(enc, &pz, &s, 0, 4);
  size_t skip = 0;
  while (skip < n_pkts && pkts[skip].frame == 0) skip++;
  sc_vp8_enc_request_keyframe(enc);
  produce(enc, &pz, &s, 4, 6);
  sc_vp8_assembler_config cfg = {.on_frame = on_frame, .on_need_keyframe = on_need_key, .user = &s};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  size_t first_key = skip;
  while (first_key < n_pkts && pkts[first_key].frame < 4) first_key++;
  for (size_t i = skip; i < first_key; i++) push(a, &pkts[i], 100 + 100 * i);
  sc_vp8_assembler_tick(a, 100 + 100 * first_key);
  CHECK_EQ_INT(s.requests, 1); /* once gap_ms have passed, once */
  CHECK_EQ_INT(s.frames, 0);
  for (size_t i = first_key; i < n_pkts; i++) push(a, &pkts[i], 100 + 100 * first_key);
  CHECK_EQ_INT(s.frames, 2);   /* the key frame 4 and frame 5 */
  CHECK_EQ_INT(s.counter_ok, 2);
  sc_vp8_assembler_free(a);
  sc_vp8_enc_free(enc);
  sink_free(&s);
}

typedef struct {
  int frames;
  size_t last_len;
} counter_sink;

static void count_frame(void *user, uint32_t ts, bool key, const uint8_t *d, size_t len) {
  counter_sink *c = user;
  c->frames++;
  c->last_len = len;
}

static size_t make_pkt(uint8_t *b, uint16_t seq, uint32_t ts, bool marker, const uint8_t *pay,
                       size_t n) {
  b[0] = 0x80;
  b[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
  b[2] = (uint8_t)(seq >> 8);
  b[3] = (uint8_t)seq;
  b[4] = (uint8_t)(ts >> 24);
  b[5] = (uint8_t)(ts >> 16);
  b[6] = (uint8_t)(ts >> 8);
  b[7] = (uint8_t)ts;
  memset(b + 8, 0x55, 4);
  memcpy(b + 12, pay, n);
  return 12 + n;
}

/* Truncated descriptors, oversized payloads, a frame over max_frame, a frame
 * longer than the ring: refused, never handed out. */
static void test_vp8_hostile(void) {
  counter_sink c = {0};
  sc_vp8_assembler_config cfg = {.max_packets = 16, .max_frame = 4000, .on_frame = count_frame,
                                 .user = &c};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  CHECK(a != NULL);
  static uint8_t b[4096], pay[2048];
  rtp_header h;
  const uint8_t truncated[][3] = {{0x80}, {0x90, 0x80}, {0x90, 0x80, 0x81}};
  for (size_t i = 0; i < 3; i++) {
    size_t n = make_pkt(b, (uint16_t)i, 0, true, truncated[i], i + 1);
    CHECK(rtp_parse(b, n, &h) == 0);
    CHECK_EQ_INT(sc_vp8_assembler_push(a, b, &h, 0), -1);
  }
  /* An empty payload. */
  size_t n = make_pkt(b, 3, 0, true, pay, 0);
  CHECK(rtp_parse(b, n, &h) == 0);
  CHECK_EQ_INT(sc_vp8_assembler_push(a, b, &h, 0), -1);
  /* A payload larger than any packet. */
  memset(pay, 0, sizeof pay);
  pay[0] = 0x10;
  n = make_pkt(b, 4, 0, true, pay, SC_RTP_MAX_PAYLOAD + 1);
  CHECK(rtp_parse(b, n, &h) == 0);
  CHECK_EQ_INT(sc_vp8_assembler_push(a, b, &h, 0), -1);
  /* A key frame of 5 x 1000 bytes > max_frame 4000: never handed out. */
  for (uint16_t i = 0; i < 5; i++) {
    pay[0] = i == 0 ? 0x10 : 0x00;
    pay[1] = 0x00; /* key frame tag */
    n = make_pkt(b, (uint16_t)(10 + i), 9000, i == 4, pay, 1000);
    CHECK(rtp_parse(b, n, &h) == 0);
    sc_vp8_assembler_push(a, b, &h, 0);
  }
  CHECK_EQ_INT(c.frames, 0);
  /* A key frame of 20 packets with a ring of 16: never handed out. */
  for (uint16_t i = 0; i < 20; i++) {
    pay[0] = i == 0 ? 0x10 : 0x00;
    n = make_pkt(b, (uint16_t)(20 + i), 18000, i == 19, pay, 10);
    CHECK(rtp_parse(b, n, &h) == 0);
    sc_vp8_assembler_push(a, b, &h, 0);
  }
  CHECK_EQ_INT(c.frames, 0);
  /* A small key frame after all that still comes out. */
  for (uint16_t i = 0; i < 3; i++) {
    pay[0] = i == 0 ? 0x10 : 0x00;
    n = make_pkt(b, (uint16_t)(40 + i), 27000, i == 2, pay, 100);
    CHECK(rtp_parse(b, n, &h) == 0);
    CHECK_EQ_INT(sc_vp8_assembler_push(a, b, &h, 0), 0);
  }
  CHECK_EQ_INT(c.frames, 1);
  CHECK_EQ_INT(c.last_len, 3 * 99);
  sc_vp8_assembler_stats st;
  sc_vp8_assembler_get_stats(a, &st);
  CHECK_EQ_INT(st.refused, 5);
  sc_vp8_assembler_free(a);
  /* Bad configurations. */
  sc_vp8_assembler_config big = {.max_packets = 100000};
  CHECK(sc_vp8_assembler_new(&big) == NULL);
  CHECK(sc_vp8_assembler_new(NULL) == NULL);
}

/* A sender that restarts its sequence numbers far behind is followed. */
static void test_vp8_seq_restart(void) {
  counter_sink c = {0};
  sc_vp8_assembler_config cfg = {.on_frame = count_frame, .user = &c};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  uint8_t b[256], pay[16] = {0x10, 0x00, 1, 2};
  rtp_header h;
  size_t n = make_pkt(b, 40000, 0, true, pay, sizeof pay);
  CHECK(rtp_parse(b, n, &h) == 0 && sc_vp8_assembler_push(a, b, &h, 0) == 0);
  CHECK_EQ_INT(c.frames, 1);
  for (int i = 0; i < 70; i++) { /* key frames from sequence number 100 on */
    n = make_pkt(b, (uint16_t)(100 + i), (uint32_t)(3000 * (i + 1)), true, pay, sizeof pay);
    CHECK(rtp_parse(b, n, &h) == 0);
    sc_vp8_assembler_push(a, b, &h, 0);
  }
  CHECK(c.frames >= 2);
  sc_vp8_assembler_free(a);
}

static void test_opus_rtp(void) {
  sc_opus_packetizer p;
  CHECK(sc_opus_packetizer_init(&p, 0x1234, 111) == 0);
  uint8_t frame[40], buf[SC_RTP_PACKET_BUF];
  memset(frame, 0x42, sizeof frame);
  counter_sink c = {0};
  sc_opus_depacketizer d;
  sc_opus_depacketizer_init(&d, count_frame, &c);
  static uint8_t saved[5][SC_RTP_PACKET_BUF];
  size_t lens[5];
  for (int i = 0; i < 5; i++) {
    if (i == 3) sc_opus_packetizer_skip(&p, 960 * 10); /* 200 ms of silence */
    int n = sc_opus_packetizer_write(&p, frame, sizeof frame, 960, -1, false, buf, sizeof buf);
    CHECK(n == 12 + (int)sizeof frame);
    rtp_header h;
    CHECK(rtp_parse(buf, (size_t)n, &h) == 0);
    CHECK_EQ_INT(h.marker, i == 0 || i == 3);
    uint32_t expect = (uint32_t)(i * 960 + (i >= 3 ? 9600 : 0));
    CHECK_EQ_INT(h.timestamp, (uint32_t)(p.rtp.ts_base + expect));
    memcpy(saved[i], buf, (size_t)n);
    lens[i] = (size_t)n;
  }
  /* Deliver 0, 2, 1 (late), 2 (duplicate), 4: 3 lost. */
  const int order[] = {0, 2, 1, 2, 4};
  const int expect_r[] = {0, 0, 1, 1, 0};
  for (int i = 0; i < 5; i++) {
    rtp_header h;
    CHECK(rtp_parse(saved[order[i]], lens[order[i]], &h) == 0);
    CHECK_EQ_INT(sc_opus_depacketizer_push(&d, saved[order[i]], &h), expect_r[i]);
  }
  CHECK_EQ_INT(c.frames, 3);
  CHECK_EQ_INT(c.last_len, sizeof frame);
  CHECK_EQ_INT(d.packets, 3);
  CHECK_EQ_INT(d.lost, 2);
  CHECK_EQ_INT(d.late, 2);
  CHECK_EQ_INT(sc_opus_packetizer_write(&p, frame, 0, 960, -1, false, buf, sizeof buf), -1);
}

static void test_pattern_counter(void) {
  sc_i420 img;
  CHECK(sc_i420_alloc(&img, W, H) == 0);
  CHECK(sc_i420_alloc(&(sc_i420){0}, 3, 4) != 0);
  uint32_t v;
  for (uint32_t f = 0; f < 70000; f += 4099) {
    sc_pattern_draw(&img, f);
    CHECK(sc_pattern_read_counter(&img, &v) == 0);
    CHECK_EQ_INT(v, f & 0xFFFF);
  }
  memset(img.plane[0], 128, (size_t)W * H); /* mid grey: not a pattern */
  CHECK(sc_pattern_read_counter(&img, &v) != 0);
  sc_i420_free(&img);
}

static void test_ivf(void) {
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (!f) return;
  sc_ivf_writer w;
  CHECK(sc_ivf_writer_open(&w, f, "VP80", W, H, 30, 1) == 0);
  static uint8_t frames[3][777];
  const size_t lens[3] = {777, 1, 500};
  for (int i = 0; i < 3; i++) {
    for (size_t j = 0; j < lens[i]; j++) frames[i][j] = (uint8_t)(rnd() & 0xFF);
    CHECK(sc_ivf_writer_frame(&w, frames[i], lens[i], (uint64_t)i * 0x100000001ull) == 0);
  }
  CHECK(sc_ivf_writer_frame(&w, frames[0], 0, 0) != 0);
  CHECK(sc_ivf_writer_finish(&w) == 0);
  long size = ftell(f);
  CHECK_EQ_INT(size, 32 + 3 * 12 + 777 + 1 + 500);
  static uint8_t buf[4096];
  rewind(f);
  CHECK_EQ_INT(fread(buf, 1, sizeof buf, f), size);
  fclose(f);
  sc_ivf_reader r;
  CHECK(sc_ivf_reader_init(&r, buf, (size_t)size) == 0);
  CHECK_EQ_STR(r.info.fourcc, "VP80");
  CHECK_EQ_INT(r.info.width, W);
  CHECK_EQ_INT(r.info.height, H);
  CHECK_EQ_INT(r.info.rate, 30);
  CHECK_EQ_INT(r.info.scale, 1);
  CHECK_EQ_INT(r.info.frame_count, 3);
  const uint8_t *d;
  size_t len;
  uint64_t pts;
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(sc_ivf_reader_next(&r, &d, &len, &pts), 1);
    CHECK_EQ_INT(len, lens[i]);
    CHECK(memcmp(d, frames[i], len) == 0);
    CHECK(pts == (uint64_t)i * 0x100000001ull);
  }
  CHECK_EQ_INT(sc_ivf_reader_next(&r, &d, &len, &pts), 0);
  /* Every truncation inside a frame is an error, never a read past the end. */
  for (size_t cut = 33; cut < (size_t)size; cut += 7) {
    if (cut == 32 + 12 + 777 || cut == 32 + 24 + 778) continue; /* frame boundaries */
    int rc = 1;
    CHECK(sc_ivf_reader_init(&r, buf, cut) == 0);
    while ((rc = sc_ivf_reader_next(&r, &d, &len, &pts)) == 1) {
    }
    CHECK_EQ_INT(rc, -1);
  }
  CHECK(sc_ivf_reader_init(&r, buf, 31) != 0);
  buf[0] = 'X';
  CHECK(sc_ivf_reader_init(&r, buf, (size_t)size) != 0);
  buf[0] = 'D';
  buf[6] = 0xFF; /* header size past the end */
  buf[7] = 0xFF;
  CHECK(sc_ivf_reader_init(&r, buf, (size_t)size) != 0);
}

/* A 440 Hz tone through libopus and an Ogg file keeps its frequency. */
static void test_ogg_opus(void) {
  const int seconds = 1, n_frames = 50 * seconds;
  sc_tone tone;
  CHECK(sc_tone_init(&tone, 440, SC_OPUS_RATE, 2, 0.5) == 0);
  CHECK(sc_tone_init(&tone, 30000, SC_OPUS_RATE, 2, 0.5) != 0);
  CHECK(sc_tone_init(&tone, 440, SC_OPUS_RATE, 2, 0.5) == 0);
  sc_opus_enc *enc = sc_opus_enc_new(2, 64000);
  CHECK(enc != NULL);
  if (!enc) return;
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (!f) return;
  sc_ogg_opus_writer *w = sc_ogg_opus_writer_open(
      f, 2, (uint16_t)sc_opus_enc_lookahead(enc), SC_OPUS_RATE, 0x5EA1, "sealroom test");
  CHECK(w != NULL);
  int16_t pcm[SC_OPUS_FRAME * 2];
  uint8_t pkt_buf[SC_OPUS_MAX_PACKET];
  for (int i = 0; i < n_frames; i++) {
    sc_tone_fill(&tone, pcm, SC_OPUS_FRAME);
    int n = sc_opus_enc_encode(enc, pcm, pkt_buf, sizeof pkt_buf);
    CHECK(n > 0);
    CHECK(sc_ogg_opus_write(w, pkt_buf, (size_t)n, SC_OPUS_FRAME) == 0);
  }
  CHECK(sc_ogg_opus_writer_close(w) == 0);
  long size = ftell(f);
  uint8_t *file = malloc((size_t)size);
  rewind(f);
  CHECK_EQ_INT(fread(file, 1, (size_t)size, f), size);
  fclose(f);
  CHECK(memcmp(file, "OggS", 4) == 0);

  sc_ogg_opus_reader *r = sc_ogg_opus_reader_open(file, (size_t)size);
  CHECK(r != NULL);
  if (r) {
    const sc_ogg_opus_info *info = sc_ogg_opus_reader_info(r);
    CHECK_EQ_INT(info->channels, 2);
    CHECK_EQ_INT(info->pre_skip, sc_opus_enc_lookahead(enc));
    CHECK_EQ_STR(info->vendor, "sealroom test");
    sc_opus_dec *dec = sc_opus_dec_new(2);
    int16_t *out = malloc(sizeof(int16_t) * 2 * SC_OPUS_FRAME * (size_t)n_frames);
    size_t got = 0;
    int packets = 0;
    int64_t last_granule = -1, granule;
    const uint8_t *p;
    size_t len;
    int rc;
    while ((rc = sc_ogg_opus_reader_next(r, &p, &len, &granule)) == 1) {
      packets++;
      if (granule >= 0) last_granule = granule;
      int n = sc_opus_dec_decode(dec, p, len, out + got * 2, SC_OPUS_FRAME);
      CHECK_EQ_INT(n, SC_OPUS_FRAME);
      if (n > 0) got += (size_t)n;
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(packets, n_frames);
    CHECK_EQ_INT(last_granule, n_frames * SC_OPUS_FRAME);
    /* Skip the pre-skip and the first 100 ms of codec start-up. */
    size_t skip = info->pre_skip + 4800;
    size_t frames = got - skip;
    size_t zc = sc_zero_crossings(out + skip * 2, frames, 2, 0);
    double expect = 2.0 * 440.0 * (double)frames / SC_OPUS_RATE;
    CHECK(fabs((double)zc - expect) < expect * 0.03);
    size_t zc1 = sc_zero_crossings(out + skip * 2, frames, 2, 1);
    CHECK(fabs((double)zc1 - expect) < expect * 0.03);
    free(out);
    sc_opus_dec_free(dec);
    sc_ogg_opus_reader_free(r);
  }
  /* A damaged file: a byte changed in the middle breaks a page CRC; the
   * reader reports a hole or ends, never reads outside the buffer. */
  file[size / 2] ^= 0xFF;
  r = sc_ogg_opus_reader_open(file, (size_t)size);
  if (r) {
    const uint8_t *p;
    size_t len;
    int rc, count = 0;
    while ((rc = sc_ogg_opus_reader_next(r, &p, &len, NULL)) == 1) count++;
    CHECK(rc == -1 || count < n_frames);
    sc_ogg_opus_reader_free(r);
  }
  /* Not Ogg at all, and truncated headers. */
  CHECK(sc_ogg_opus_reader_open((const uint8_t *)"hello", 5) == NULL);
  CHECK(sc_ogg_opus_reader_open(file, 40) == NULL);
  free(file);
  sc_opus_enc_free(enc);
}

/* A writer with no audio still makes a valid, empty file. */
static void test_ogg_opus_empty(void) {
  FILE *f = tmpfile();
  if (!f) return;
  sc_ogg_opus_writer *w = sc_ogg_opus_writer_open(f, 1, 312, 48000, 1, NULL);
  CHECK(w != NULL);
  CHECK(sc_ogg_opus_writer_close(w) == 0);
  long size = ftell(f);
  uint8_t buf[1024];
  rewind(f);
  CHECK(size > 0 && size < (long)sizeof buf);
  CHECK_EQ_INT(fread(buf, 1, sizeof buf, f), size);
  fclose(f);
  sc_ogg_opus_reader *r = sc_ogg_opus_reader_open(buf, (size_t)size);
  CHECK(r != NULL);
  if (r) {
    const uint8_t *p;
    size_t len;
    CHECK_EQ_INT(sc_ogg_opus_reader_next(r, &p, &len, NULL), 0);
    CHECK_EQ_STR(sc_ogg_opus_reader_info(r)->vendor, "sealroom");
    sc_ogg_opus_reader_free(r);
  }
}

static void setup_and_run(void (*fn)(void)) {
  pkts = calloc(MAX_PKTS, sizeof *pkts);
  CHECK(pkts != NULL);
  if (pkts) fn();
  free(pkts);
  pkts = NULL;
}

static void t_roundtrip(void) { setup_and_run(test_vp8_roundtrip); }
static void t_loss(void) { setup_and_run(test_vp8_loss); }
static void t_join_late(void) { setup_and_run(test_vp8_join_late); }

TEST_SUITE(client_media, {"rtp_writer", test_rtp_writer}, {"rtp_writer_rid", test_rtp_writer_rid},
           {"vp8_desc", test_vp8_desc},
           {"vp8_packetizer", test_vp8_packetizer}, {"vp8_roundtrip", t_roundtrip},
           {"vp8_loss", t_loss}, {"vp8_join_late", t_join_late},
           {"vp8_hostile", test_vp8_hostile}, {"vp8_seq_restart", test_vp8_seq_restart},
           {"opus_rtp", test_opus_rtp}, {"pattern_counter", test_pattern_counter},
           {"ivf", test_ivf}, {"ogg_opus", test_ogg_opus}, {"ogg_opus_empty", test_ogg_opus_empty});
