/* libFuzzer target: the VP8 payload descriptor (a publisher writes it; in
 * end-to-end encrypted rooms it is the part of a frame the SFU reads) and
 * the simulcast down track fed with it. The input is a series of packets:
 * [layer byte][seq 2][ts 4][len 1][payload len]. Must never crash or read
 * out of bounds; also traps if a parsed descriptor claims more bytes than
 * the payload has, if a rewrite changes the descriptor's length or any other
 * field, or if a switch of layers does not continue the stream (the next
 * sequence number, a later timestamp). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtp/rtp.h"
#include "rtp/vp8.h"
#include "sfu/simulcast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) \
  do {             \
    if (!(c)) __builtin_trap(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sim_down d;
  sim_down_init(&d, 0);
  int64_t now = 0;
  size_t i = 0;
  while (i + 8 <= size) {
    uint8_t layer = data[i];
    uint16_t seq = (uint16_t)(data[i + 1] << 8 | data[i + 2]);
    uint32_t ts = (uint32_t)data[i + 3] << 24 | (uint32_t)data[i + 4] << 16 | (uint32_t)data[i + 5] << 8 | data[i + 6];
    size_t n = data[i + 7];
    i += 8;
    if (n > size - i) n = size - i;
    uint8_t p[256];
    memcpy(p, data + i, n);
    i += n;
    now += 1000 * (layer >> 4);
    if (layer & 0x08) sim_set_target(&d, (layer >> 4) % 4 - 1);
    vp8_desc v;
    if (vp8_parse(p, n, &v) != 0) continue;
    REQUIRE(v.len >= 1 && v.len <= n);
    REQUIRE(!v.has_picture_id || v.picture_id_at + (v.long_picture_id ? 2 : 1) <= v.len);
    REQUIRE(!v.has_tl0 || v.tl0_at < v.len);
    sim_out o;
    bool started = d.started;
    uint16_t last_seq = d.last_seq;
    uint32_t last_ts = d.last_ts;
    sim_verdict r = sim_packet(&d, layer & 3, (layer >> 2) & 1, seq, ts, &v, now, &o);
    if (r == SIM_DROP) continue;
    if (r == SIM_SWITCHED && started) { /* a switch continues the stream */
      REQUIRE((uint16_t)(o.seq - last_seq) == 1);
      REQUIRE((int32_t)(o.ts - last_ts) > 0);
    }
    vp8_set_picture_id(p, &v, o.pid);
    vp8_set_tl0picidx(p, &v, o.tl0);
    vp8_desc w;
    REQUIRE(vp8_parse(p, n, &w) == 0);
    REQUIRE(w.len == v.len && w.start == v.start && w.partition == v.partition && w.keyframe == v.keyframe &&
            w.has_tid == v.has_tid && w.tid == v.tid && w.long_picture_id == v.long_picture_id);
    if (v.has_picture_id) REQUIRE(w.picture_id == o.pid);
    if (v.has_tl0) REQUIRE(w.tl0picidx == o.tl0);
  }
  return 0;
}
