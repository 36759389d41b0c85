// sealroom E2EE: meeting security code and per-participant fingerprints
// (docs/e2ee.md section 10).
//
// API
//   CODE_GROUPS = 12, FINGERPRINT_GROUPS = 4
//   digits(hash32, info, groups)        -> Promise<string> "ddddd ddddd ..." (10.1: rejection
//                                          sampling over an HKDF stream; SRE_ERR_DIGITS_EXHAUSTED)
//   securityCodeInput(sessionId, members) -> Uint8Array (v3), members: [{id, publicKey,
//                                          signingKey, name = ''}] in any order (sorted by id
//                                          here): oneself and every peer with a pairwise key;
//                                          publicKey the X25519 key, signingKey the Ed25519
//                                          key of sender authentication, a Uint8Array(32);
//                                          SRE_ERR_ROSTER for none, more than 1024 or a duplicate
//                                          id; SRE_ERR_BAD_ID, SRE_ERR_BAD_PUBLIC_KEY (either
//                                          key); names as nameBytes() (SRE_ERR_TOO_LARGE,
//                                          SRE_ERR_UTF8)
//   securityCodeHash(sessionId, members)  -> Promise<Uint8Array(32)>
//   securityCode(sessionId, members)      -> Promise<string> 12 groups of 5 digits
//   fingerprintHash(publicKey)            -> Promise<Uint8Array(32)>
//   fingerprint(publicKey)                -> Promise<string> 4 groups of 5 digits

import { E2eeError, Status, bytes, concat, u16, ascii, compareBytes, equalBytes, hkdf, sha256 } from './util.js';
import { checkId, checkPublicKey, sessionIdBytes, nameBytes } from './keys.js';

export const CODE_GROUPS = 12;
export const FINGERPRINT_GROUPS = 4;
export const ROSTER_MAX = 1024;

const LIMIT = 4294900000; // 42949 * 100000

function groupsFrom(stream, groups) {
  const out = [];
  for (let i = 0; i + 4 <= stream.length && out.length < groups; i += 4) {
    const x = ((stream[i] << 24) >>> 0) + (stream[i + 1] << 16) + (stream[i + 2] << 8) + stream[i + 3];
    if (x >= LIMIT) continue;
    out.push(String(x % 100000).padStart(5, '0'));
  }
  return out;
}

export async function digits(hash, info, groups) {
  hash = bytes(hash);
  if (hash.length !== 32) throw new E2eeError(Status.ARG, 'hash is not 32 bytes');
  if (!Number.isInteger(groups) || groups < 1) throw new E2eeError(Status.ARG, 'bad group count');
  const infoBytes = typeof info === 'string' ? ascii(info) : bytes(info);
  let out = groupsFrom(await hkdf(new Uint8Array(0), hash, infoBytes, 64), groups);
  if (out.length < groups) {
    // More than 16 - groups skipped chunks: the longest stream HKDF gives
    // (its first 64 bytes are the same).
    out = groupsFrom(await hkdf(new Uint8Array(0), hash, infoBytes, 8160), groups);
    if (out.length < groups) throw new E2eeError(Status.DIGITS_EXHAUSTED, 'digit stream exhausted');
  }
  return out.join(' ');
}

const CODE_LABEL = ascii('sealroom code v3');

// The Ed25519 public key of sender authentication (docs/e2ee-sender-auth.md 3):
// exactly a Uint8Array of 32 bytes (no other view, no string).
function checkSigningKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new E2eeError(Status.BAD_PUBLIC_KEY, 'signing key is not a Uint8Array(32)');
  }
  return key;
}

export function securityCodeInput(sessionId, members) {
  const sid = sessionIdBytes(sessionId);
  if (!Array.isArray(members) || members.length < 1 || members.length > ROSTER_MAX) {
    throw new E2eeError(Status.ROSTER, 'roster is empty or too large');
  }
  const recs = members.map((m) => ({
    id: checkId(m.id),
    pub: checkPublicKey(m.publicKey),
    sig: checkSigningKey(m.signingKey),
    name: nameBytes(m.name ?? ''),
  }));
  recs.sort((a, b) => compareBytes(a.id, b.id));
  for (let i = 1; i < recs.length; i++) {
    if (equalBytes(recs[i - 1].id, recs[i].id)) throw new E2eeError(Status.ROSTER, 'duplicate participant id');
  }
  const parts = [CODE_LABEL, u16(sid.length), sid, u16(recs.length)];
  for (const r of recs) parts.push(r.id, r.pub, r.sig, u16(r.name.length), r.name);
  return concat(...parts);
}

export async function securityCodeHash(sessionId, members) {
  return sha256(securityCodeInput(sessionId, members));
}

export async function securityCode(sessionId, members) {
  return digits(await securityCodeHash(sessionId, members), 'sealroom code digits v3', CODE_GROUPS);
}

const FP_LABEL = ascii('sealroom fp v1');

export async function fingerprintHash(publicKey) {
  return sha256(concat(FP_LABEL, checkPublicKey(publicKey)));
}

export async function fingerprint(publicKey) {
  return digits(await fingerprintHash(publicKey), 'sealroom fp digits v1', FINGERPRINT_GROUPS);
}
