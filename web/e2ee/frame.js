// sealroom E2EE: media frames without receiver state (docs/e2ee.md 5.1-5.3).
//
//   wire frame = clear_prefix || sframe_header || ciphertext || tag
//   aad        = sframe_header || clear_prefix
//
// API
//   TAG_LEN = 16 (suite 0x0004)
//   encryptFrame(key, codec, ctr, frame) -> Promise<Uint8Array> the wire frame; an empty
//                       audio frame gives an empty frame (DTX); SRE_ERR_EMPTY_FRAME (empty
//                       video), SRE_ERR_FRAME_TOO_SHORT (shorter than its prefix)
//   parseFrame(codec, wire) -> {prefixLen, header: {kid, ctr, len}} checks 1-3 of 5.4
//                       (an empty frame is SRE_ERR_EMPTY_FRAME for every codec: callers
//                       pass empty audio frames through before)
//   decryptFrame(key, codec, wire) -> Promise<Uint8Array> prefix || plaintext with one known
//                       key (no slot, replay or ratchet logic: receiver.js adds those)
//   key: an SFrameKey of sframe.js (deriveSFrameKey); codec: a name of codec.js

import { E2eeError, Status, bytes } from './util.js';
import { parseHeader, sframeEncryptInto, sframeDecrypt } from './sframe.js';
import { prefixLength, isAudioCodec } from './codec.js';

export const TAG_LEN = 16;

export async function encryptFrame(key, codec, ctr, frame) {
  frame = bytes(frame);
  if (frame.length === 0) {
    if (isAudioCodec(codec)) return new Uint8Array(0);
    throw new E2eeError(Status.EMPTY_FRAME, 'empty frame on a video track');
  }
  const p = prefixLength(codec, frame);
  if (frame.length < p) throw new E2eeError(Status.FRAME_TOO_SHORT, 'frame shorter than its clear prefix');
  return sframeEncryptInto(key, ctr, frame.subarray(0, p), frame.subarray(p));
}

export function parseFrame(codec, wire) {
  wire = bytes(wire);
  if (wire.length === 0) throw new E2eeError(Status.EMPTY_FRAME, 'empty frame');
  const p = prefixLength(codec, wire);
  // The smallest SFrame is a 1-byte header and a 16-byte tag.
  if (wire.length < p + 1 + TAG_LEN) throw new E2eeError(Status.FRAME_TOO_SHORT, 'frame too short');
  const header = parseHeader(wire.subarray(p));
  if (wire.length - p - header.len < TAG_LEN) throw new E2eeError(Status.FRAME_TOO_SHORT, 'frame too short');
  return { prefixLen: p, header };
}

// prefix || plaintext, from the prefix bytes of the wire frame and the
// decrypted rest.
export function joinPrefix(wire, p, plaintext) {
  if (p === 0) return plaintext;
  const out = new Uint8Array(p + plaintext.length);
  out.set(wire.subarray(0, p), 0);
  out.set(plaintext, p);
  return out;
}

export async function decryptFrame(key, codec, wire) {
  wire = bytes(wire);
  if (wire.length === 0 && isAudioCodec(codec)) return new Uint8Array(0);
  const { prefixLen: p, header } = parseFrame(codec, wire);
  const pt = await sframeDecrypt(key, header, wire.subarray(0, p), wire.subarray(p));
  return joinPrefix(wire, p, pt);
}
