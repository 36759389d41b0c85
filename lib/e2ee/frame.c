/* Media frames without receiver state (docs/e2ee.md 5): the codec's clear
 * prefix, then an SFrame ciphertext whose metadata is that prefix. */
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

sre_status sre_frame_encrypt(sre_key *k, sre_codec codec, uint64_t ctr, const uint8_t *frame,
                             size_t len, uint8_t *out, size_t out_cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!k || !out_len || (!frame && len) || !sre_codec_name(codec)) return SRE_ERR_ARG;
  if (len == 0) return sre_codec_is_audio(codec) ? SRE_OK : SRE_ERR_EMPTY_FRAME;
  size_t p = sre_codec_prefix_len(codec, frame, len);
  if (len < p) return SRE_ERR_FRAME_TOO_SHORT;
  if (!out || out_cap < p) return SRE_ERR_BUFFER;
  size_t n = 0;
  sre_status st = sre_sframe_encrypt(k, ctr, frame, p, frame + p, len - p, out + p, out_cap - p, &n);
  if (st != SRE_OK) return st;
  memcpy(out, frame, p);
  *out_len = p + n;
  return SRE_OK;
}

sre_status sre_frame_parse(sre_codec codec, const uint8_t *wire, size_t len, size_t *prefix_len,
                           sre_header *hdr) {
  if (!prefix_len || !hdr || (!wire && len) || !sre_codec_name(codec)) return SRE_ERR_ARG;
  *prefix_len = 0;
  memset(hdr, 0, sizeof *hdr);
  if (len == 0) return SRE_ERR_EMPTY_FRAME;
  size_t p = sre_codec_prefix_len(codec, wire, len);
  /* The smallest SFrame is a 1-byte header and a 16-byte tag (suite 0x0004). */
  if (len < p + 1 + SRE_TAG_MAX) return SRE_ERR_FRAME_TOO_SHORT;
  sre_status st = sre_header_parse(wire + p, len - p, hdr);
  if (st != SRE_OK) return st;
  if (len - p - hdr->len < SRE_TAG_MAX) return SRE_ERR_FRAME_TOO_SHORT;
  *prefix_len = p;
  return SRE_OK;
}

sre_status sre_frame_decrypt(sre_key *k, sre_codec codec, const uint8_t *wire, size_t len,
                             uint8_t *out, size_t out_cap, size_t *out_len, sre_header *hdr) {
  if (out_len) *out_len = 0;
  if (hdr) memset(hdr, 0, sizeof *hdr);
  if (!k || !out_len || (!wire && len)) return SRE_ERR_ARG;
  if (len == 0 && sre_codec_is_audio(codec)) return SRE_OK; /* DTX: nothing to decrypt */
  sre_header h;
  size_t p = 0;
  sre_status st = sre_frame_parse(codec, wire, len, &p, &h);
  if (hdr) *hdr = h;
  if (st != SRE_OK) return st;
  if (!out || out_cap < p) return SRE_ERR_BUFFER;
  size_t n = 0;
  st = sre_sframe_decrypt(k, &h, wire, p, wire + p, len - p, out + p, out_cap - p, &n);
  if (st != SRE_OK) return st;
  memcpy(out, wire, p);
  *out_len = p + n;
  return SRE_OK;
}
