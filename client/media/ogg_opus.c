/* Ogg Opus writer and reader on libogg (client/media/ogg_opus.h, RFC 7845). */
#include "client/media/ogg_opus.h"

#include <ogg/ogg.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

#define HEAD_LEN 19          /* OpusHead with mapping family 0 */
#define FEED_CHUNK 4096      /* bytes handed to libogg at a time */
#define PAGE_MAX_SAMPLES 48000 /* a page at least every second of audio */
#define MAX_VENDOR 1024

/* ---- writer ------------------------------------------------------------ */

struct sc_ogg_opus_writer {
  FILE *f;
  ogg_stream_state os;
  int64_t granule;      /* samples of the packets given to libogg */
  int64_t page_granule; /* granule of the last page written */
  int64_t packetno;
  uint8_t held[SC_OGG_OPUS_MAX_PACKET]; /* the last packet, written on the next call or with EOS */
  size_t held_len;
  uint32_t held_samples;
  int error;
};

static void write_page(sc_ogg_opus_writer *w, const ogg_page *og) {
  if (fwrite(og->header, 1, (size_t)og->header_len, w->f) != (size_t)og->header_len ||
      fwrite(og->body, 1, (size_t)og->body_len, w->f) != (size_t)og->body_len)
    w->error = 1;
}

/* Writes out full pages, or every page when flush. */
static void pages(sc_ogg_opus_writer *w, bool flush) {
  ogg_page og;
  while (flush ? ogg_stream_flush(&w->os, &og) : ogg_stream_pageout(&w->os, &og)) {
    write_page(w, &og);
    w->page_granule = ogg_page_granulepos(&og);
  }
}

static void packet_in(sc_ogg_opus_writer *w, uint8_t *data, size_t len, bool bos, bool eos,
                      int64_t granule) {
  ogg_packet op = {.packet = data,
                   .bytes = (long)len,
                   .b_o_s = bos,
                   .e_o_s = eos,
                   .granulepos = granule,
                   .packetno = w->packetno++};
  if (ogg_stream_packetin(&w->os, &op) != 0) w->error = 1;
}

sc_ogg_opus_writer *sc_ogg_opus_writer_open(FILE *f, int channels, uint16_t pre_skip,
                                            uint32_t input_rate, uint32_t serial,
                                            const char *vendor) {
  if (!f || (channels != 1 && channels != 2)) return NULL;
  if (!vendor) vendor = "sealroom";
  size_t vlen = strlen(vendor);
  if (vlen > MAX_VENDOR) return NULL;
  sc_ogg_opus_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  if (ogg_stream_init(&w->os, (int)serial) != 0) {
    free(w);
    return NULL;
  }
  w->f = f;
  uint8_t head[HEAD_LEN];
  memcpy(head, "OpusHead", 8);
  head[8] = 1; /* version */
  head[9] = (uint8_t)channels;
  put_le16(head + 10, pre_skip);
  put_le32(head + 12, input_rate);
  put_le16(head + 16, 0); /* output gain */
  head[18] = 0;           /* mapping family 0: mono or stereo, no table */
  packet_in(w, head, sizeof head, true, false, 0);
  pages(w, true); /* OpusHead alone on the first page */

  uint8_t tags[8 + 4 + MAX_VENDOR + 4];
  memcpy(tags, "OpusTags", 8);
  put_le32(tags + 8, (uint32_t)vlen);
  memcpy(tags + 12, vendor, vlen);
  put_le32(tags + 12 + vlen, 0); /* no user comments */
  packet_in(w, tags, 16 + vlen, false, false, 0);
  pages(w, true); /* audio starts on a page of its own */
  if (w->error) {
    ogg_stream_clear(&w->os);
    free(w);
    return NULL;
  }
  return w;
}

/* Gives the held packet to libogg (with EOS if last). */
static void release_held(sc_ogg_opus_writer *w, bool last) {
  w->granule += w->held_samples;
  packet_in(w, w->held, w->held_len, false, last, w->granule);
  w->held_len = 0;
  if (last)
    pages(w, true);
  else if (w->granule - w->page_granule >= PAGE_MAX_SAMPLES)
    pages(w, true);
  else
    pages(w, false);
}

int sc_ogg_opus_write(sc_ogg_opus_writer *w, const uint8_t *pkt, size_t len, uint32_t samples) {
  if (!w || !pkt || len == 0 || len > SC_OGG_OPUS_MAX_PACKET) return -1;
  if (w->held_len) release_held(w, false);
  memcpy(w->held, pkt, len);
  w->held_len = len;
  w->held_samples = samples;
  return w->error ? -1 : 0;
}

int sc_ogg_opus_writer_close(sc_ogg_opus_writer *w) {
  if (!w) return -1;
  if (w->held_len) {
    release_held(w, true);
  } else {
    /* No audio: an empty end-of-stream page (an empty packet with EOS). */
    packet_in(w, w->held, 0, false, true, w->granule);
    pages(w, true);
  }
  if (fflush(w->f) != 0) w->error = 1;
  int r = w->error ? -1 : 0;
  ogg_stream_clear(&w->os);
  free(w);
  return r;
}

/* ---- reader ------------------------------------------------------------ */

struct sc_ogg_opus_reader {
  ogg_sync_state oy;
  ogg_stream_state os;
  bool have_stream, eos_page;
  const uint8_t *buf;
  size_t len, off;
  sc_ogg_opus_info info;
};

/* 1 with the next page, 0 at the end of the data. */
static int next_page(sc_ogg_opus_reader *r, ogg_page *og) {
  for (;;) {
    int rc = ogg_sync_pageout(&r->oy, og);
    if (rc == 1) return 1;
    if (rc < 0) continue; /* bytes skipped to regain sync */
    if (r->off >= r->len) return 0;
    size_t n = r->len - r->off < FEED_CHUNK ? r->len - r->off : FEED_CHUNK;
    char *b = ogg_sync_buffer(&r->oy, (long)n);
    if (!b) return 0;
    memcpy(b, r->buf + r->off, n);
    ogg_sync_wrote(&r->oy, (long)n);
    r->off += n;
  }
}

/* The next packet of the chosen stream: 1, 0 at its end, -1 on a hole. */
static int next_packet(sc_ogg_opus_reader *r, ogg_packet *op) {
  for (;;) {
    if (r->have_stream) {
      int rc = ogg_stream_packetout(&r->os, op);
      if (rc == 1) return 1;
      if (rc < 0) return -1;
      if (r->eos_page) return 0;
    }
    ogg_page og;
    if (next_page(r, &og) != 1) return 0;
    if (!r->have_stream) {
      /* The first beginning-of-stream page that starts an OpusHead. */
      if (!ogg_page_bos(&og) || og.body_len < 8 || memcmp(og.body, "OpusHead", 8) != 0) continue;
      if (ogg_stream_init(&r->os, ogg_page_serialno(&og)) != 0) return -1;
      r->have_stream = true;
    }
    if (ogg_page_serialno(&og) != r->os.serialno) continue; /* another logical stream */
    if (ogg_stream_pagein(&r->os, &og) != 0) return -1;
    if (ogg_page_eos(&og)) r->eos_page = true;
  }
}

static int parse_head(sc_ogg_opus_reader *r, const uint8_t *p, size_t n) {
  if (n < HEAD_LEN || memcmp(p, "OpusHead", 8) != 0 || (p[8] >> 4) != 0 || p[9] == 0) return -1;
  sc_ogg_opus_info *in = &r->info;
  in->channels = p[9];
  in->pre_skip = get_le16(p + 10);
  in->input_rate = get_le32(p + 12);
  in->output_gain = (int16_t)get_le16(p + 16);
  in->mapping_family = p[18];
  if (in->mapping_family == 0) return in->channels <= 2 ? 0 : -1;
  if (in->mapping_family != 1 && in->mapping_family != 255) return -1;
  if (in->mapping_family == 1 && in->channels > 8) return -1;
  /* Stream count, coupled count, then one mapping byte per channel. */
  if (n < (size_t)HEAD_LEN + 2 + in->channels) return -1;
  uint8_t streams = p[19], coupled = p[20];
  if (streams == 0 || coupled > streams || (unsigned)streams + coupled > 255) return -1;
  return 0;
}

static int parse_tags(sc_ogg_opus_reader *r, const uint8_t *p, size_t n) {
  if (n < 16 || memcmp(p, "OpusTags", 8) != 0) return -1;
  uint32_t vlen = get_le32(p + 8);
  if (vlen > n - 16) return -1;
  size_t keep = vlen < sizeof r->info.vendor - 1 ? vlen : sizeof r->info.vendor - 1;
  memcpy(r->info.vendor, p + 12, keep);
  r->info.vendor[keep] = '\0';
  size_t off = 12 + (size_t)vlen;
  uint32_t count = get_le32(p + off);
  off += 4;
  for (uint32_t i = 0; i < count; i++) {
    if (n - off < 4) return -1;
    uint32_t clen = get_le32(p + off);
    off += 4;
    if (clen > n - off) return -1;
    off += clen;
  }
  return 0;
}

sc_ogg_opus_reader *sc_ogg_opus_reader_open(const uint8_t *buf, size_t len) {
  if (!buf) return NULL;
  sc_ogg_opus_reader *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  ogg_sync_init(&r->oy);
  r->buf = buf;
  r->len = len;
  ogg_packet op;
  if (next_packet(r, &op) != 1 || parse_head(r, op.packet, (size_t)op.bytes) != 0 ||
      next_packet(r, &op) != 1 || parse_tags(r, op.packet, (size_t)op.bytes) != 0) {
    sc_ogg_opus_reader_free(r);
    return NULL;
  }
  return r;
}

void sc_ogg_opus_reader_free(sc_ogg_opus_reader *r) {
  if (!r) return;
  if (r->have_stream) ogg_stream_clear(&r->os);
  ogg_sync_clear(&r->oy);
  free(r);
}

const sc_ogg_opus_info *sc_ogg_opus_reader_info(const sc_ogg_opus_reader *r) {
  return r ? &r->info : NULL;
}

int sc_ogg_opus_reader_next(sc_ogg_opus_reader *r, const uint8_t **pkt, size_t *len,
                            int64_t *granule) {
  if (!r || !pkt || !len) return -1;
  ogg_packet op;
  for (;;) {
    int rc = next_packet(r, &op);
    if (rc != 1) return rc;
    if (op.bytes == 0 && op.e_o_s) return 0; /* the empty end page of a writer with no audio */
    if (op.bytes <= 0 || op.bytes > SC_OGG_OPUS_MAX_PACKET) return -1;
    *pkt = op.packet;
    *len = (size_t)op.bytes;
    if (granule) *granule = op.granulepos;
    return 1;
  }
}
