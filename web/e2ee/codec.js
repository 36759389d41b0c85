// sealroom E2EE: codec clear-prefix rules (docs/e2ee.md section 5.2).
//
// The clear prefix stays readable for the RTP packetizer and the SFU and is
// authenticated as SFrame metadata. Its length depends on the codec and on
// byte 0 of the frame (always in the clear), never on anything sent.
//
// API
//   CODECS                       ['other', 'vp8', 'vp9', 'opus', 'other-audio'] (the C names)
//   isCodec(name)                true for a name of CODECS
//   isAudioCodec(codec)          true for 'opus' and 'other-audio' (empty frames pass as DTX)
//   prefixLength(codec, frame)   VP8: 10 if bit 0 of byte 0 is 0 (key frame), else 3;
//                                Opus: 1; VP9 / other: 0; 0 for an empty frame. May exceed
//                                the frame's length (then the frame is too short).
//   codecFromMimeType(mime, kind?)  'video/VP8' -> 'vp8', 'audio/opus' -> 'opus',
//                                'video/VP9' -> 'vp9', other video -> 'other', other audio ->
//                                'other-audio'; without a MIME type, kind ('audio'/'video')
//                                decides between 'other-audio' and 'other'

import { E2eeError, Status } from './util.js';

export const CODECS = Object.freeze(['other', 'vp8', 'vp9', 'opus', 'other-audio']);

export function isCodec(name) {
  return CODECS.includes(name);
}

export function isAudioCodec(codec) {
  return codec === 'opus' || codec === 'other-audio';
}

export function prefixLength(codec, frame) {
  if (!frame || frame.length === 0) return 0;
  switch (codec) {
    case 'vp8':
      // RFC 6386 9.1: bit 0 of the frame tag is the inverse key frame flag; a
      // key frame keeps the 3-byte tag, the start code and the dimensions.
      return (frame[0] & 1) === 0 ? 10 : 3;
    case 'opus':
      return 1; // TOC byte (RFC 6716 3.1)
    case 'vp9':
    case 'other':
    case 'other-audio':
      return 0;
    default:
      throw new E2eeError(Status.ARG, `unknown codec ${codec}`);
  }
}

export function codecFromMimeType(mime, kind) {
  const m = typeof mime === 'string' ? mime.toLowerCase() : '';
  if (m === 'video/vp8') return 'vp8';
  if (m === 'video/vp9') return 'vp9';
  if (m === 'audio/opus') return 'opus';
  if (m.startsWith('audio/')) return 'other-audio';
  if (m.startsWith('video/')) return 'other';
  return kind === 'audio' ? 'other-audio' : 'other';
}
