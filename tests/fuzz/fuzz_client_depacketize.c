/* libFuzzer target: the native client's VP8 frame assembler and Opus
 * depacketizer (client/rtp_media.h) on arbitrary packet sequences. The
 * input's first byte picks the mode and the assembler's limits; the rest is
 * a series of records:
 *   structured (mode bit 7 clear): flags, seq delta (int8), payload length,
 *     payload; the fuzzer steers sequence numbers, timestamps, markers and
 *     timing so that reordering, duplicates, holes and overruns are reached.
 *   raw (mode bit 7 set): 2-byte length, then a whole RTP packet.
 * Frames handed out are read entirely (ASan sees any overrun) and checked
 * against the limits. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client/rtp_media.h"
#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t max_frame;
static volatile uint8_t sink;

static void on_frame(void *user, uint32_t ts, bool key, const uint8_t *d, size_t len) {
  if (len == 0 || len > max_frame) __builtin_trap();
  uint8_t x = 0;
  for (size_t i = 0; i < len; i++) x ^= d[i];
  sink = x;
}

static void on_audio(void *user, uint32_t ts, bool key, const uint8_t *d, size_t len) {
  if (len == 0 || len > SC_RTP_MAX_PAYLOAD) __builtin_trap();
  sink = d[0] ^ d[len - 1];
}

static void on_key(void *user) { (*(int *)user)++; }

static void feed(sc_vp8_assembler *a, sc_opus_depacketizer *o, const uint8_t *p, size_t n,
                 uint64_t now) {
  rtp_header h;
  if (rtp_parse(p, n, &h) != 0) return;
  (void)sc_vp8_assembler_push(a, p, &h, now);
  (void)sc_opus_depacketizer_push(o, p, &h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  static const size_t rings[4] = {4, 16, 64, 512};
  static const size_t frames[4] = {64, 1000, 20000, 1u << 20};
  max_frame = frames[(mode >> 2) & 3];
  int requests = 0;
  sc_vp8_assembler_config cfg = {.max_packets = rings[mode & 3],
                                 .max_frame = max_frame,
                                 .gap_ms = 50,
                                 .keyframe_retry_ms = 200,
                                 .on_frame = on_frame,
                                 .on_need_keyframe = on_key,
                                 .user = &requests};
  sc_vp8_assembler *a = sc_vp8_assembler_new(&cfg);
  if (!a) return 0;
  sc_opus_depacketizer o;
  sc_opus_depacketizer_init(&o, on_audio, NULL);

  static uint8_t pkt[2048];
  size_t off = 1;
  uint64_t now = 1000;
  uint16_t seq = 65500; /* wrap around early */
  uint32_t ts = 0xFFFFF000u;
  while (off < size) {
    if (mode & 0x80) {
      if (size - off < 2) break;
      size_t n = (size_t)data[off] << 8 | data[off + 1];
      off += 2;
      if (n > size - off) n = size - off;
      if (n > sizeof pkt) n = sizeof pkt;
      memcpy(pkt, data + off, n);
      off += n;
      now += n & 31;
      feed(a, &o, pkt, n, now);
    } else {
      if (size - off < 3) break;
      uint8_t flags = data[off];
      int8_t delta = (int8_t)data[off + 1];
      size_t n = data[off + 2];
      off += 3;
      if (n > size - off) n = size - off;
      seq = (uint16_t)(seq + delta);
      if (flags & 2) ts += 3000;
      now += (uint64_t)(flags >> 3) * 4;
      pkt[0] = 0x80;
      pkt[1] = (uint8_t)((flags & 1 ? 0x80 : 0) | 96);
      pkt[2] = (uint8_t)(seq >> 8);
      pkt[3] = (uint8_t)seq;
      pkt[4] = (uint8_t)(ts >> 24);
      pkt[5] = (uint8_t)(ts >> 16);
      pkt[6] = (uint8_t)(ts >> 8);
      pkt[7] = (uint8_t)ts;
      memset(pkt + 8, 0x42, 4);
      memcpy(pkt + 12, data + off, n);
      /* Big payloads: repeat the given bytes up to a packet's size. */
      size_t total = 12 + n;
      if ((flags & 4) && n > 0) {
        while (total + n <= 12 + SC_RTP_DEFAULT_MAX_PAYLOAD) {
          memcpy(pkt + total, data + off, n);
          total += n;
        }
      }
      off += n;
      feed(a, &o, pkt, total, now);
    }
    sc_vp8_assembler_tick(a, now);
  }
  sc_vp8_assembler_tick(a, now + 10000);
  sc_vp8_assembler_stats st;
  sc_vp8_assembler_get_stats(a, &st);
  if (st.keyframes > st.frames || st.keyframe_requests != (uint64_t)requests) __builtin_trap();
  sc_vp8_assembler_free(a);
  return 0;
}
