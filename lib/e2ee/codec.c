/* Clear-prefix rules per codec (docs/e2ee.md 5.2): the bytes a packetizer or
 * the SFU must read stay in the clear (and are authenticated as metadata). */
#include <string.h>

#include "internal.h"

size_t sre_codec_prefix_len(sre_codec codec, const uint8_t *frame, size_t len) {
  if (len == 0 || !frame) return 0;
  switch (codec) {
  case SRE_CODEC_VP8:
    /* VP8 frame tag (RFC 6386 9.1): bit 0 is the inverse key frame flag. A key
     * frame keeps the 3-byte tag, the start code and the dimensions. */
    return (frame[0] & 1) == 0 ? 10 : 3;
  case SRE_CODEC_OPUS:
    return 1; /* TOC byte (RFC 6716 3.1) */
  case SRE_CODEC_VP9:
  case SRE_CODEC_OTHER_VIDEO:
  case SRE_CODEC_OTHER_AUDIO:
  default:
    return 0;
  }
}

bool sre_codec_is_audio(sre_codec codec) {
  return codec == SRE_CODEC_OPUS || codec == SRE_CODEC_OTHER_AUDIO;
}

static const char *const names[] = {"other", "vp8", "vp9", "opus", "other-audio"};

const char *sre_codec_name(sre_codec codec) {
  unsigned i = (unsigned)codec;
  return i < sizeof names / sizeof names[0] ? names[i] : NULL;
}

bool sre_codec_from_name(const char *name, sre_codec *out) {
  if (!name) return false;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(names[i], name) == 0) {
      if (out) *out = (sre_codec)i;
      return true;
    }
  }
  return false;
}
