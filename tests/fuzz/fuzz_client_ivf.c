/* libFuzzer target: the native client's file readers on arbitrary bytes:
 * IVF (client/media/ivf.h) and Ogg Opus on libogg (client/media/ogg_opus.h).
 * Every frame and packet handed out is read entirely (ASan sees overruns)
 * and checked against the reader's limits. Must never crash, leak, loop or
 * read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "client/media/ivf.h"
#include "client/media/ogg_opus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n) {
  uint8_t x = 0;
  for (size_t i = 0; i < n; i++) x ^= p[i];
  sink = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sc_ivf_reader r;
  if (sc_ivf_reader_init(&r, data, size) == 0) {
    const uint8_t *f;
    size_t len;
    uint64_t pts;
    while (sc_ivf_reader_next(&r, &f, &len, &pts) == 1) {
      if (len == 0 || len > SC_IVF_MAX_FRAME || f < data || f + len > data + size)
        __builtin_trap();
      touch(f, len);
    }
  }
  sc_ogg_opus_reader *o = sc_ogg_opus_reader_open(data, size);
  if (o) {
    const sc_ogg_opus_info *info = sc_ogg_opus_reader_info(o);
    if (info->channels == 0) __builtin_trap();
    touch((const uint8_t *)info->vendor, sizeof info->vendor);
    const uint8_t *p;
    size_t len;
    int64_t granule;
    while (sc_ogg_opus_reader_next(o, &p, &len, &granule) == 1) {
      if (len == 0 || len > SC_OGG_OPUS_MAX_PACKET) __builtin_trap();
      touch(p, len);
    }
    sc_ogg_opus_reader_free(o);
  }
  return 0;
}
