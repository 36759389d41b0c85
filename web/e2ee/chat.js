// sealroom E2EE: sealed chat messages and display names, version 2
// (docs/e2ee.md section 9).
//
// API
//   CHAT_TEXT = 1, CHAT_NAME = 2, CHAT_BODY_MAX = 4096
//   chatKeyBytes(baseKey, sessionId) -> Promise<Uint8Array(16)>
//                                  HKDF(salt = session id, ikm = base key, "sealroom chat v1", 16)
//   chatKey(baseKey, sessionId)  -> Promise<CryptoKey> the same as a non-extractable AES-GCM key
//   importChatKey(bytes16)       -> Promise<CryptoKey>
//   chatAad(senderId, epoch, step) -> Uint8Array(57)
//   chatPlaintext(type, seq, time, body) -> Uint8Array u8(type) || u32(seq) || u64(time) || body
//   sealChat(chatKey, {senderId, epoch, step, type, seq, time = Date.now(), body, nonce?})
//                                -> Promise<payload object> {"t":"chat","v":2,"e","r","n","c"};
//                                   time: the sender's clock, Unix ms (number or bigint);
//                                   body: string (UTF-8) or bytes, 1..4096 bytes. The sender
//                                   marks its key used: sender.currentKey({markUsed: true})
//   openChat(chatKey, senderId, payload) -> Promise<{type, seq, time, body: string, bodyBytes,
//                                   epoch, generation, step}>  (time: number, Unix ms)
//                                   payload: object, JSON text or parsePayload() result;
//                                   SRE_ERR_AUTH, SRE_ERR_UTF8, SRE_ERR_TOO_LARGE, SRE_ERR_JSON
//   class ChatSequence             per-sender seq check (docs/e2ee.md 9):
//     accept(from, seq)            -> throws SRE_ERR_REPLAY unless seq > the last accepted from `from`
//     forget(from)                 when the participant leaves
//   class ChatCounter              the sender's own seq: next() -> 0, 1, 2, ...
//
// Opening a message of another participant: get its base key with
// receiver.baseKeyFor(g, r) (receiver.js), then chatKey(), openChat(),
// and ChatSequence.accept() before showing it.

import {
  E2eeError, Status, subtle, bytes, concat, u8, u32, u64, ascii, utf8Encode, utf8Decode, base64Encode,
  randomBytes, hkdf, wipe,
} from './util.js';
import { parsePayload, ParsedPayload, CHAT_BODY_MAX, CHAT_HEAD_LEN } from './payload.js';
import { checkId, checkEpoch, sessionIdBytes } from './keys.js';

export { CHAT_BODY_MAX };
export const CHAT_TEXT = 1;
export const CHAT_NAME = 2;

const LABEL = ascii('sealroom chat v1'); // K_chat's label (unchanged)
const AAD_LABEL = ascii('sealroom chat v2');

export async function chatKeyBytes(baseKey, sessionId) {
  baseKey = bytes(baseKey);
  if (baseKey.length !== 16 && baseKey.length !== 32) throw new E2eeError(Status.KEY_LENGTH, 'bad base key length');
  return hkdf(sessionIdBytes(sessionId), baseKey, LABEL, 16);
}

export async function importChatKey(key) {
  key = bytes(key);
  if (key.length !== 16) throw new E2eeError(Status.KEY_LENGTH, 'chat key is not 16 bytes');
  return subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function chatKey(baseKey, sessionId) {
  const k = await chatKeyBytes(baseKey, sessionId);
  try {
    return await importChatKey(k);
  } finally {
    wipe(k);
  }
}

export function chatAad(senderId, epoch, step) {
  checkEpoch(epoch);
  if (!Number.isInteger(step) || step < 0 || step > 255) throw new E2eeError(Status.ARG, 'step out of range');
  return concat(AAD_LABEL, checkId(senderId), u32(epoch), u8(step));
}

function bodyBytes(body) {
  const b = typeof body === 'string' ? utf8Encode(body) : bytes(body);
  if (b.length < 1 || b.length > CHAT_BODY_MAX) throw new E2eeError(Status.TOO_LARGE, 'body is not 1-4096 bytes');
  utf8Decode(b); // bytes must be valid UTF-8 too
  return b;
}

function timeBig(time) {
  let t;
  try {
    t = BigInt(time);
  } catch {
    throw new E2eeError(Status.ARG, 'time is not an integer');
  }
  if (t < 0n || t > 0xffffffffffffffffn) throw new E2eeError(Status.ARG, 'time out of range');
  return t;
}

export function chatPlaintext(type, seq, time, body) {
  if (type !== CHAT_TEXT && type !== CHAT_NAME) throw new E2eeError(Status.ARG, 'unknown chat type');
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new E2eeError(Status.ARG, 'seq out of range');
  return concat(u8(type), u32(seq), u64(timeBig(time)), bodyBytes(body));
}

export async function sealChat(key, { senderId, epoch, step, type, seq, time, body, nonce }) {
  const pt = chatPlaintext(type, seq, time ?? Date.now(), body);
  try {
    const aad = chatAad(senderId, epoch, step);
    const n = nonce ? bytes(nonce) : randomBytes(12);
    if (n.length !== 12) throw new E2eeError(Status.ARG, 'nonce is not 12 bytes');
    const c = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: n, additionalData: aad, tagLength: 128 }, key, pt));
    return { t: 'chat', v: 2, e: epoch, r: step, n: base64Encode(n), c: base64Encode(c) };
  } finally {
    wipe(pt);
  }
}

export async function openChat(key, senderId, payload) {
  const p = payload instanceof ParsedPayload ? payload : parsePayload(payload);
  if (p.type !== 'chat') throw new E2eeError(Status.JSON, 'not a chat message');
  if (p.c.length < CHAT_HEAD_LEN + 1 + 16 || p.c.length > CHAT_HEAD_LEN + CHAT_BODY_MAX + 16) {
    throw new E2eeError(Status.TOO_LARGE, 'chat ciphertext size out of range');
  }
  const aad = chatAad(senderId, p.epoch, p.step);
  let pt;
  try {
    pt = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: p.nonce, additionalData: aad, tagLength: 128 }, key, p.c));
  } catch {
    throw new E2eeError(Status.AUTH, 'chat authentication failed');
  }
  const type = pt[0];
  const body = pt.slice(CHAT_HEAD_LEN);
  try {
    if (type !== CHAT_TEXT && type !== CHAT_NAME) throw new E2eeError(Status.JSON, 'unknown chat type');
    const seq = ((pt[1] << 24) >>> 0) + (pt[2] << 16) + (pt[3] << 8) + pt[4];
    let t = 0n;
    for (let i = 5; i < 13; i++) t = (t << 8n) | BigInt(pt[i]);
    return {
      type, seq, time: Number(t), body: utf8Decode(body), bodyBytes: body,
      epoch: p.epoch, generation: p.generation, step: p.step,
    };
  } catch (e) {
    wipe(body);
    throw e;
  } finally {
    wipe(pt);
  }
}

export class ChatSequence {
  constructor() {
    this.last = new Map();
  }

  accept(from, seq) {
    if (this.last.has(from) && !(seq > this.last.get(from))) {
      throw new E2eeError(Status.REPLAY, 'chat sequence number not increasing');
    }
    this.last.set(from, seq);
  }

  forget(from) {
    this.last.delete(from);
  }
}

export class ChatCounter {
  constructor() {
    this.seq = 0;
  }

  next() {
    if (this.seq > 0xffffffff) throw new E2eeError(Status.CTR_EXHAUSTED, 'chat sequence exhausted');
    return this.seq++;
  }
}
