/* IVF files (the container of libvpx's tools): a 32-byte file header ("DKIF",
 * version 0, header size 32, fourcc, width, height, time base rate/scale,
 * frame count, all little-endian) then per frame a 12-byte header (frame
 * size, 64-bit timestamp) and the frame. The writer writes to a FILE; the
 * reader works on bytes in memory and checks every length. */
#ifndef SEALROOM_CLIENT_IVF_H
#define SEALROOM_CLIENT_IVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SC_IVF_HEADER_LEN 32
#define SC_IVF_FRAME_HEADER_LEN 12
#define SC_IVF_MAX_FRAME (16u << 20) /* the reader refuses larger frames */

typedef struct {
  char fourcc[5];   /* e.g. "VP80", NUL-terminated */
  uint16_t width, height;
  uint32_t rate, scale; /* timestamps count scale/rate seconds, e.g. 30/1 */
  uint32_t frame_count; /* as the header says (a writer that died leaves 0) */
} sc_ivf_info;

typedef struct {
  FILE *f;
  uint32_t frames;
  uint16_t width, height; /* patched by finish when set (sc_ivf_writer_set_size) */
  int error;
} sc_ivf_writer;

/* Writes the file header to f (opened "wb"; seekable for the frame count to
 * be patched on close). fourcc: 4 characters. Returns 0 or -1. */
int sc_ivf_writer_open(sc_ivf_writer *w, FILE *f, const char *fourcc, uint16_t width,
                       uint16_t height, uint32_t rate, uint32_t scale);
/* Appends a frame (len 1..SC_IVF_MAX_FRAME). Returns 0 or -1. */
int sc_ivf_writer_frame(sc_ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts);
/* The picture size, when it is known only after the header was written
 * (from the first decoded frame): patched in by finish. */
void sc_ivf_writer_set_size(sc_ivf_writer *w, uint16_t width, uint16_t height);
/* Patches the frame count (and a size given late) into the header (when f can seek) and flushes;
 * does not close f. Returns 0, or -1 if any write failed. */
int sc_ivf_writer_finish(sc_ivf_writer *w);

typedef struct {
  const uint8_t *buf;
  size_t len, off;
  sc_ivf_info info;
} sc_ivf_reader;

/* Parses the file header of the len bytes at buf (kept, not copied).
 * Returns 0, or -1 if it is not an IVF file (magic, version 0, header size
 * >= 32 and within len). */
int sc_ivf_reader_init(sc_ivf_reader *r, const uint8_t *buf, size_t len);
/* The next frame: returns 1 with *data (into buf), *len and *pts, 0 at the
 * clean end of the file, -1 for a truncated frame, an empty one or one over
 * SC_IVF_MAX_FRAME (the reader then stays at that frame). */
int sc_ivf_reader_next(sc_ivf_reader *r, const uint8_t **data, size_t *len, uint64_t *pts);

/* Reads a whole file into a malloc'd buffer (NUL-terminated, not counted)
 * of at most max bytes. Returns 0 or -1 (missing, unreadable, larger). */
int sc_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
