/* Big-endian (network order) loads and stores of unsigned integers, the one
 * copy for the server (src/), the E2EE library (lib/e2ee) and the client
 * (client/); and the little-endian ones of the client's media files (IVF,
 * Ogg Opus headers).
 *
 * No bounds are checked here: the caller must already know that p points to
 * at least as many readable (get) or writable (put) bytes as the width, e.g.
 * 4 for get_be32, n for get_be_n. Every parser checks the length it read
 * from the wire against the bytes present before calling these. p needs no
 * alignment. Header only (static inline); it adds no symbols to a link. */
#ifndef SEALROOM_COMMON_BYTES_H
#define SEALROOM_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t get_be24(const uint8_t *p) {
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p) {
  return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* The n-byte (0..8) big-endian number at p; 0 for n == 0. */
static inline uint64_t get_be_n(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

static inline void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Stores the low 24 bits of v. */
static inline void put_be24(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}

/* Stores the low 8 * n bits of v in n (0..8) bytes. */
static inline void put_be_n(uint8_t *p, size_t n, uint64_t v) {
  for (size_t i = n; i > 0; i--, v >>= 8) p[i - 1] = (uint8_t)v;
}

static inline uint16_t get_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static inline void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
  put_le16(p, (uint16_t)v);
  put_le16(p + 2, (uint16_t)(v >> 16));
}

#endif
