// sealroom E2EE: KID layout, epochs and generations, ratchet, X25519 pairwise
// keys, key messages and acks, protocol version 2 (docs/e2ee.md sections 3,
// 4.5, 7, 8.1, 8.3).
//
// Participant ids are 36-character strings (canonical UUID text); session ids
// are strings (their UTF-8 bytes, 1-255) or bytes; public keys are
// Uint8Array(32); base keys are Uint8Array(16) at step 0, Uint8Array(32) after.
//
// API
//   ID_LEN = 36, BASE_KEY_LEN = 16, RATCHETED_KEY_LEN = 32, RATCHET_MAX_AHEAD = 16,
//   NAME_MAX = 128, EPOCH_MAX = 0xFFFFFFFF, PROTOCOL_VERSION = 2
//   kidMake(slot, generation, step)  -> number  slot << 16 | generation << 8 | step
//   kidSplit(kid)                    -> {slot, generation, step}, or null above 32 bits
//   epochGeneration(epoch)           -> ((epoch - 1) mod 255) + 1 (0 for epoch 0)
//   checkEpoch(epoch)                throws SRE_ERR_ARG unless an integer 1..0xFFFFFFFF
//   nameBytes(name)                  -> Uint8Array: a display name (string or bytes), 0-128 bytes
//                                       of UTF-8 without C0, DEL or C1 controls; SRE_ERR_TOO_LARGE,
//                                       SRE_ERR_UTF8
//   baseKeyLength(step)              -> 16 at step 0, 32 after
//   ratchet(baseKey)                 -> Promise<Uint8Array(32)> HKDF("", key, "SFrame 1.0 Ratchet", 32)
//   ratchetTo(baseKey, n)            -> Promise<Uint8Array> n ratchet steps (n >= 1)
//   newBaseKey()                     -> Uint8Array(16) random
//   generateKeyPair()                -> Promise<KeyPair> fresh X25519 pair
//   keyPairFromPrivate(priv32)       -> Promise<KeyPair> (test vectors)
//     KeyPair: {privateKey: CryptoKey (non-extractable), publicKey: Uint8Array(32)}
//   x25519(keyPair, peerPublicKey)   -> Promise<Uint8Array(32)> shared secret; SRE_ERR_ZERO_SECRET
//   pairwiseInfo(pubA, idA, pubB, idB)  -> Uint8Array(156); SRE_ERR_BAD_PEER for equal ids or keys
//   derivePairwiseKey({keyPair, id, peerPublicKey, peerId, sessionId, extractable = false})
//                                    -> Promise<CryptoKey> AES-128-GCM K_pq; SRE_ERR_BAD_PEER,
//                                       SRE_ERR_ZERO_SECRET, SRE_ERR_BAD_ID, SRE_ERR_BAD_PUBLIC_KEY
//   importPairwiseKey(bytes16, extractable = false) -> Promise<CryptoKey>
//   keyMessageAad(senderId, recipientId, epoch, step, senderSlot) -> Uint8Array(94)
//   sealKeyMessage(pairwiseKey, {senderId, recipientId, senderSlot, epoch, step, baseKey,
//                  name = '', nonce?})
//                                    -> Promise<payload object> {"t":"key","v":2,"e","r","n","c"}
//                                       (JSON.stringify gives the C library's exact text); the
//                                       sealed plaintext is baseKey || UTF-8 name
//   openKeyMessage(pairwiseKey, {senderId, recipientId, senderSlot}, payload)
//                                    -> Promise<{epoch, generation, step, baseKey, name}>; payload:
//                                       object, JSON text or parsePayload() result; SRE_ERR_AUTH,
//                                       SRE_ERR_KEY_LENGTH, SRE_ERR_UTF8 (bad name) etc.
//   ackPayload(epoch)                -> {"t":"ack","v":2,"e":epoch}
//   checkId(id), sessionIdBytes(sid), checkPublicKey(pub)  validation (SRE_ERR_BAD_ID / _BAD_PUBLIC_KEY)
//   parsePayload                     re-exported from payload.js

import {
  E2eeError, Status, subtle, bytes, concat, u8, u16, u32, ascii, utf8Encode, utf8Decode, compareBytes,
  base64Encode, randomBytes, hkdf, wipe,
} from './util.js';
import { parsePayload, ParsedPayload } from './payload.js';

export { parsePayload };

export const ID_LEN = 36;
export const BASE_KEY_LEN = 16;
export const RATCHETED_KEY_LEN = 32;
export const RATCHET_MAX_AHEAD = 16;
export const NAME_MAX = 128;
export const EPOCH_MAX = 0xffffffff;
export const PROTOCOL_VERSION = 2;

// ---- KID layout and generations (4.5, 8.1) ----

export function kidMake(slot, generation, step) {
  if (!(slot >= 0 && slot <= 0xffff && generation >= 0 && generation <= 255 && step >= 0 && step <= 255)) {
    throw new E2eeError(Status.ARG, 'slot, generation or step out of range');
  }
  return slot * 65536 + generation * 256 + step;
}

export function kidSplit(kid) {
  const k = BigInt(kid);
  if (k < 0n || k > 0xffffffffn) return null;
  const v = Number(k);
  return { slot: Math.floor(v / 65536), generation: (v >>> 8) & 0xff, step: v & 0xff };
}

export function epochGeneration(epoch) {
  return epoch === 0 ? 0 : ((epoch - 1) % 255) + 1;
}

export function checkEpoch(epoch) {
  if (!Number.isInteger(epoch) || epoch < 1 || epoch > EPOCH_MAX) throw new E2eeError(Status.ARG, 'epoch out of range');
  return epoch;
}

// ---- Display names (7.2) ----

export function nameBytes(name) {
  if (name === undefined || name === null) return new Uint8Array(0);
  const b = typeof name === 'string' ? utf8Encode(name) : bytes(name);
  if (b.length > NAME_MAX) throw new E2eeError(Status.TOO_LARGE, 'display name longer than 128 bytes');
  utf8Decode(b); // valid UTF-8 (SRE_ERR_UTF8)
  for (let i = 0; i < b.length; i++) {
    // C0 and DEL; C1 (U+0080-U+009F) is 0xc2 0x80-0x9f in valid UTF-8.
    if (b[i] < 0x20 || b[i] === 0x7f || (b[i] === 0xc2 && b[i + 1] <= 0x9f)) {
      throw new E2eeError(Status.UTF8, 'control character in display name');
    }
  }
  return b;
}

export function baseKeyLength(step) {
  return step === 0 ? BASE_KEY_LEN : RATCHETED_KEY_LEN;
}

// ---- Ratchet (8.3; RFC 9605 5.1 with Nh = 32) ----

const RATCHET_LABEL = ascii('SFrame 1.0 Ratchet');

export async function ratchet(baseKey) {
  baseKey = bytes(baseKey);
  if (baseKey.length !== BASE_KEY_LEN && baseKey.length !== RATCHETED_KEY_LEN) {
    throw new E2eeError(Status.KEY_LENGTH, 'base key is neither 16 nor 32 bytes');
  }
  return hkdf(new Uint8Array(0), baseKey, RATCHET_LABEL, RATCHETED_KEY_LEN);
}

export async function ratchetTo(baseKey, n) {
  let k = bytes(baseKey);
  for (let i = 0; i < n; i++) {
    const next = await ratchet(k);
    if (i > 0) wipe(k);
    k = next;
  }
  return k;
}

export function newBaseKey() {
  return randomBytes(BASE_KEY_LEN);
}

// ---- Identities (3) ----

export function checkId(id) {
  if (typeof id !== 'string' || id.length !== ID_LEN || !/^[\x20-\x7e]*$/.test(id)) {
    throw new E2eeError(Status.BAD_ID, 'participant id is not 36 bytes');
  }
  return ascii(id);
}

export function sessionIdBytes(sid) {
  const b = typeof sid === 'string' ? utf8Encode(sid) : bytes(sid);
  if (b.length < 1 || b.length > 255) throw new E2eeError(Status.BAD_ID, 'session id is not 1-255 bytes');
  return b;
}

export function checkPublicKey(pub) {
  let b;
  try {
    b = bytes(pub);
  } catch {
    throw new E2eeError(Status.BAD_PUBLIC_KEY, 'public key is not bytes');
  }
  if (b.length !== 32) throw new E2eeError(Status.BAD_PUBLIC_KEY, 'public key is not 32 bytes');
  return b;
}

// ---- X25519 (7.1) ----

const BASE_POINT = (() => {
  const b = new Uint8Array(32);
  b[0] = 9;
  return b;
})();

async function importPublic(pub) {
  const b = checkPublicKey(pub);
  try {
    return await subtle.importKey('raw', b, { name: 'X25519' }, true, []);
  } catch {
    // RFC 7748 accepts every 32-byte string; the only keys a WebCrypto refuses
    // at import are the low-order points (Firefox does, with DataError, where
    // Chromium and Node refuse the all-zero result of deriveBits instead).
    throw new E2eeError(Status.ZERO_SECRET, 'low-order X25519 public key');
  }
}

async function deriveShared(privateKey, pubKey) {
  let bits;
  try {
    bits = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pubKey }, privateKey, 256));
  } catch (e) {
    // WebCrypto refuses an all-zero result (low-order point) with OperationError.
    if (e && e.name === 'OperationError') throw new E2eeError(Status.ZERO_SECRET, 'all-zero X25519 shared secret');
    throw new E2eeError(Status.CRYPTO, String(e && e.message));
  }
  if (bits.every((x) => x === 0)) throw new E2eeError(Status.ZERO_SECRET, 'all-zero X25519 shared secret');
  return bits;
}

export async function generateKeyPair() {
  const kp = await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
  const publicKey = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
  return { privateKey: kp.privateKey, publicKey };
}

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410).
const PKCS8_X25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

export async function keyPairFromPrivate(priv) {
  priv = bytes(priv);
  if (priv.length !== 32) throw new E2eeError(Status.BAD_PUBLIC_KEY, 'private key is not 32 bytes');
  const der = concat(PKCS8_X25519, priv);
  let privateKey;
  try {
    privateKey = await subtle.importKey('pkcs8', der, { name: 'X25519' }, false, ['deriveBits']);
  } finally {
    wipe(der);
  }
  // The public key is X25519(priv, 9), so the private key never needs exporting.
  const publicKey = await deriveShared(privateKey, await importPublic(BASE_POINT));
  return { privateKey, publicKey };
}

export async function x25519(keyPair, peerPublicKey) {
  return deriveShared(keyPair.privateKey, await importPublic(peerPublicKey));
}

const PAIRWISE_LABEL = ascii('sealroom pairwise v1');

export function pairwiseInfo(pubA, idA, pubB, idB) {
  const pa = checkPublicKey(pubA);
  const pb = checkPublicKey(pubB);
  const ia = checkId(idA);
  const ib = checkId(idB);
  const pc = compareBytes(pa, pb);
  const ic = compareBytes(ia, ib);
  if (pc === 0 || ic === 0) throw new E2eeError(Status.BAD_PEER, 'peer has our id or our public key');
  const [p1, p2] = pc < 0 ? [pa, pb] : [pb, pa];
  const [i1, i2] = ic < 0 ? [ia, ib] : [ib, ia];
  return concat(PAIRWISE_LABEL, p1, p2, i1, i2);
}

export async function derivePairwiseKey({ keyPair, id, peerPublicKey, peerId, sessionId, extractable = false }) {
  // Checks in the C library's order: session id, ids and keys, oneself.
  const salt = sessionIdBytes(sessionId);
  const info = pairwiseInfo(keyPair.publicKey, id, peerPublicKey, peerId);
  const shared = await x25519(keyPair, peerPublicKey);
  try {
    const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
    return await subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt, info },
      ikm,
      { name: 'AES-GCM', length: 128 },
      extractable,
      ['encrypt', 'decrypt'],
    );
  } finally {
    wipe(shared);
  }
}

export async function importPairwiseKey(key, extractable = false) {
  key = bytes(key);
  if (key.length !== 16) throw new E2eeError(Status.KEY_LENGTH, 'pairwise key is not 16 bytes');
  return subtle.importKey('raw', key, 'AES-GCM', extractable, ['encrypt', 'decrypt']);
}

// ---- Key messages and acks (7.2, 7.3) ----

const KEYMSG_LABEL = ascii('sealroom key v2');

function checkStep(step) {
  if (!Number.isInteger(step) || step < 0 || step > 255) throw new E2eeError(Status.ARG, 'step out of range');
}

export function keyMessageAad(senderId, recipientId, epoch, step, senderSlot) {
  checkEpoch(epoch);
  checkStep(step);
  if (!Number.isInteger(senderSlot) || senderSlot < 0 || senderSlot > 0xffff) {
    throw new E2eeError(Status.ARG, 'slot out of range');
  }
  return concat(KEYMSG_LABEL, checkId(senderId), checkId(recipientId), u32(epoch), u8(step), u16(senderSlot));
}

export async function sealKeyMessage(pairwiseKey, { senderId, recipientId, senderSlot, epoch, step, baseKey, name = '', nonce }) {
  const aad = keyMessageAad(senderId, recipientId, epoch, step, senderSlot);
  baseKey = bytes(baseKey);
  if (baseKey.length !== baseKeyLength(step)) throw new E2eeError(Status.KEY_LENGTH, 'base key length does not match step');
  const nb = nameBytes(name);
  const n = nonce ? bytes(nonce) : randomBytes(12);
  if (n.length !== 12) throw new E2eeError(Status.ARG, 'nonce is not 12 bytes');
  const pt = concat(baseKey, nb);
  try {
    const c = new Uint8Array(
      await subtle.encrypt({ name: 'AES-GCM', iv: n, additionalData: aad, tagLength: 128 }, pairwiseKey, pt),
    );
    return { t: 'key', v: PROTOCOL_VERSION, e: epoch, r: step, n: base64Encode(n), c: base64Encode(c) };
  } finally {
    wipe(pt);
  }
}

export async function openKeyMessage(pairwiseKey, { senderId, recipientId, senderSlot }, payload) {
  const p = payload instanceof ParsedPayload ? payload : parsePayload(payload);
  if (p.type !== 'key') throw new E2eeError(Status.JSON, 'not a key message');
  // The name's length follows from len(c) and the step.
  const keyLen = baseKeyLength(p.step);
  if (p.c.length < keyLen + 16 || p.c.length - 16 - keyLen > NAME_MAX) {
    throw new E2eeError(Status.KEY_LENGTH, 'key length does not match the step');
  }
  const aad = keyMessageAad(senderId, recipientId, p.epoch, p.step, senderSlot);
  let pt;
  try {
    pt = new Uint8Array(
      await subtle.decrypt({ name: 'AES-GCM', iv: p.nonce, additionalData: aad, tagLength: 128 }, pairwiseKey, p.c),
    );
  } catch {
    throw new E2eeError(Status.AUTH, 'key message authentication failed');
  }
  try {
    const nb = nameBytes(pt.subarray(keyLen));
    return { epoch: p.epoch, generation: epochGeneration(p.epoch), step: p.step, baseKey: pt.slice(0, keyLen), name: utf8Decode(nb) };
  } finally {
    wipe(pt);
  }
}

export function ackPayload(epoch) {
  checkEpoch(epoch);
  return { t: 'ack', v: PROTOCOL_VERSION, e: epoch };
}
