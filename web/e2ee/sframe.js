// sealroom E2EE: SFrame (RFC 9605) header, key derivation, encryption and
// decryption (docs/e2ee.md section 4).
//
// Suites: 0x0004 AES_128_GCM_SHA256_128 (the only one sealroom sends or
// accepts), 0x0005 AES_256_GCM_SHA512_128, the RFC's AES-CTR + HMAC suites
// 0x0001-0x0003 and the non-RFC 0x0006-0x0008 (AES-256-CTR + HMAC-SHA512) of
// shared/vectors/sframe/test-vectors-aes256.json. All of them only to pass the
// vectors; nothing in sealroom uses any suite but 0x0004.
//
// KIDs and CTRs are bigints (0 .. 2^64-1); functions also take numbers.
//
// API
//   SUITE_WIRE = 0x0004, HEADER_MAX = 17, NONCE_LEN = 12
//   suiteParams(suite)                 -> {suite, aead: 'gcm'|'ctr', hash, nk, nn, nt, encLen}
//                                          (throws SRE_ERR_SUITE)
//   headerLength(kid, ctr)             -> 1..17
//   encodeHeader(kid, ctr)             -> Uint8Array (minimal encoding)
//   parseHeader(buf, offset = 0)       -> {kid, ctr, len} (bigints, len a number); throws
//                                          SRE_ERR_HEADER_TRUNCATED / SRE_ERR_HEADER_NONMINIMAL
//   sframeLabels(kid, suite)           -> {key: Uint8Array, salt: Uint8Array} (HKDF info strings)
//   deriveSFrameSecrets(baseKey, kid, suite = 4) -> Promise<{key, salt}> raw bytes (tests, vectors)
//   deriveSFrameKey(baseKey, kid, suite = 4)     -> Promise<SFrameKey>: non-extractable CryptoKeys
//                                          for this KID; the raw key bytes are wiped
//   SFrameKey: {suite, kid (bigint), tagLen, salt}; opaque otherwise
//   nonceFor(salt, ctr)                -> Uint8Array(12) = salt XOR (u32(0) || u64(ctr))
//   sframeEncrypt(key, ctr, metadata, plaintext) -> Promise<Uint8Array> header || ct || tag
//   sframeEncryptInto(key, ctr, prefix, plaintext) -> Promise<Uint8Array> prefix || header || ct || tag,
//                                          metadata = prefix (one copy less, for media frames)
//   sframeDecrypt(key, header, metadata, sframe) -> Promise<Uint8Array> plaintext; header is
//                                          parseHeader(sframe) (its kid must be key.kid, else
//                                          SRE_ERR_NO_KEY); SRE_ERR_AUTH / SRE_ERR_FRAME_TOO_SHORT
//   aeadRaw(suite, keyBytes, nonce, aad, pt) / aeadOpenRaw(...)  the AEAD of a suite on raw key
//                                          bytes (for the RFC's aes_ctr_hmac vectors)

import {
  E2eeError, Status, subtle, bytes, concat, u64, u16, ascii, equalBytes, hkdf, wipe,
} from './util.js';

export const SUITE_WIRE = 0x0004;
export const HEADER_MAX = 17;
export const NONCE_LEN = 12;

const SUITES = new Map([
  [1, { aead: 'ctr', hash: 'SHA-256', nk: 48, nn: 12, nt: 10, encLen: 16 }],
  [2, { aead: 'ctr', hash: 'SHA-256', nk: 48, nn: 12, nt: 8, encLen: 16 }],
  [3, { aead: 'ctr', hash: 'SHA-256', nk: 48, nn: 12, nt: 4, encLen: 16 }],
  [4, { aead: 'gcm', hash: 'SHA-256', nk: 16, nn: 12, nt: 16, encLen: 16 }],
  [5, { aead: 'gcm', hash: 'SHA-512', nk: 32, nn: 12, nt: 16, encLen: 32 }],
  [6, { aead: 'ctr', hash: 'SHA-512', nk: 96, nn: 12, nt: 10, encLen: 32 }],
  [7, { aead: 'ctr', hash: 'SHA-512', nk: 96, nn: 12, nt: 8, encLen: 32 }],
  [8, { aead: 'ctr', hash: 'SHA-512', nk: 96, nn: 12, nt: 4, encLen: 32 }],
]);

export function suiteParams(suite) {
  const p = SUITES.get(Number(suite));
  if (!p) throw new E2eeError(Status.SUITE, `unsupported cipher suite ${suite}`);
  return { suite: Number(suite), ...p };
}

// ---- Header (RFC 9605 section 4.3; docs/e2ee.md 4.2) ----

const U64_MAX = (1n << 64n) - 1n;

function toU64(x, what) {
  const v = BigInt(x);
  if (v < 0n || v > U64_MAX) throw new E2eeError(Status.ARG, `${what} out of range`);
  return v;
}

function fieldLen(v) {
  if (v <= 7n) return 0;
  let n = 1;
  while (n < 8 && v >> BigInt(8 * n) !== 0n) n++;
  return n;
}

export function headerLength(kid, ctr) {
  return 1 + fieldLen(toU64(kid, 'KID')) + fieldLen(toU64(ctr, 'CTR'));
}

function putField(out, o, v, n) {
  for (let i = n - 1; i >= 0; i--) {
    out[o + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function encodeHeader(kid, ctr) {
  kid = toU64(kid, 'KID');
  ctr = toU64(ctr, 'CTR');
  const kn = fieldLen(kid);
  const cn = fieldLen(ctr);
  const out = new Uint8Array(1 + kn + cn);
  let config = kn ? 0x80 | ((kn - 1) << 4) : Number(kid) << 4;
  config |= cn ? 0x08 | (cn - 1) : Number(ctr);
  out[0] = config;
  putField(out, 1, kid, kn);
  putField(out, 1 + kn, ctr, cn);
  return out;
}

function getField(buf, off, ext, small) {
  if (!ext) return [BigInt(small), off];
  const n = small + 1;
  if (buf.length - off < n) throw new E2eeError(Status.HEADER_TRUNCATED, 'truncated SFrame header');
  if (buf[off] === 0) throw new E2eeError(Status.HEADER_NONMINIMAL, 'leading zero byte');
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[off + i]);
  if (v <= 7n) throw new E2eeError(Status.HEADER_NONMINIMAL, 'value belongs in the config byte');
  return [v, off + n];
}

export function parseHeader(buf, offset = 0) {
  buf = bytes(buf);
  if (offset) buf = buf.subarray(offset);
  if (buf.length === 0) throw new E2eeError(Status.HEADER_TRUNCATED, 'empty SFrame header');
  const c = buf[0];
  let off = 1;
  let kid;
  let ctr;
  [kid, off] = getField(buf, off, c & 0x80, (c >> 4) & 7);
  [ctr, off] = getField(buf, off, c & 0x08, c & 7);
  return { kid, ctr, len: off };
}

// ---- Key derivation (RFC 9605 section 4.4.2; docs/e2ee.md 4.3) ----

const LABEL_KEY = ascii('SFrame 1.0 Secret key ');
const LABEL_SALT = ascii('SFrame 1.0 Secret salt ');

export function sframeLabels(kid, suite) {
  const tail = concat(u64(toU64(kid, 'KID')), u16(Number(suite)));
  return { key: concat(LABEL_KEY, tail), salt: concat(LABEL_SALT, tail) };
}

export async function deriveSFrameSecrets(baseKey, kid, suite = SUITE_WIRE) {
  const p = suiteParams(suite);
  baseKey = bytes(baseKey);
  if (baseKey.length === 0) throw new E2eeError(Status.KEY_LENGTH, 'empty base key');
  const labels = sframeLabels(kid, p.suite);
  const [key, salt] = await Promise.all([
    hkdf(new Uint8Array(0), baseKey, labels.key, p.nk, p.hash),
    hkdf(new Uint8Array(0), baseKey, labels.salt, p.nn, p.hash),
  ]);
  return { key, salt };
}

// Imports raw key bytes of a suite as non-extractable CryptoKeys.
async function importAead(p, keyBytes) {
  if (keyBytes.length !== p.nk) throw new E2eeError(Status.KEY_LENGTH, 'wrong SFrame key length');
  if (p.aead === 'gcm') {
    return { gcm: await subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['encrypt', 'decrypt']) };
  }
  const enc = keyBytes.subarray(0, p.encLen);
  const auth = keyBytes.subarray(p.encLen);
  const [ctr, mac] = await Promise.all([
    subtle.importKey('raw', enc, 'AES-CTR', false, ['encrypt', 'decrypt']),
    subtle.importKey('raw', auth, { name: 'HMAC', hash: p.hash }, false, ['sign']),
  ]);
  return { ctr, mac };
}

class SFrameKey {
  constructor(p, kid, salt, keys) {
    this.suite = p.suite;
    this.kid = kid;
    this.tagLen = p.nt;
    this.salt = salt;
    this._p = p;
    this._keys = keys;
  }
}

export async function deriveSFrameKey(baseKey, kid, suite = SUITE_WIRE) {
  const p = suiteParams(suite);
  const k = toU64(kid, 'KID');
  const { key, salt } = await deriveSFrameSecrets(baseKey, k, p.suite);
  try {
    return new SFrameKey(p, k, salt, await importAead(p, key));
  } finally {
    wipe(key);
  }
}

// ---- Encryption and decryption (RFC 9605 section 4.4.3-4.4.4, 4.5.1) ----

export function nonceFor(salt, ctr) {
  const n = Uint8Array.from(salt);
  let v = toU64(ctr, 'CTR');
  for (let i = 11; i >= 4; i--) {
    n[i] ^= Number(v & 0xffn);
    v >>= 8n;
  }
  return n;
}

// The CTR+HMAC tag input: u64(len(aad)) || u64(len(ct)) || u64(Nt) || nonce || aad || ct.
function macInput(nt, nonce, aad, ct) {
  return concat(u64(aad.length), u64(ct.length), u64(nt), nonce, aad, ct);
}

async function seal(p, keys, nonce, aad, pt) {
  if (p.aead === 'gcm') {
    return new Uint8Array(
      await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, keys.gcm, pt),
    );
  }
  const counter = concat(nonce, new Uint8Array(4));
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter, length: 32 }, keys.ctr, pt));
  const tag = new Uint8Array(await subtle.sign('HMAC', keys.mac, macInput(p.nt, nonce, aad, ct)));
  return concat(ct, tag.subarray(0, p.nt));
}

async function open(p, keys, nonce, aad, sealed) {
  if (sealed.length < p.nt) throw new E2eeError(Status.FRAME_TOO_SHORT, 'shorter than the tag');
  if (p.aead === 'gcm') {
    try {
      return new Uint8Array(
        await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, keys.gcm, sealed),
      );
    } catch {
      throw new E2eeError(Status.AUTH, 'authentication failed');
    }
  }
  const ct = sealed.subarray(0, sealed.length - p.nt);
  const tag = sealed.subarray(sealed.length - p.nt);
  const want = new Uint8Array(await subtle.sign('HMAC', keys.mac, macInput(p.nt, nonce, aad, ct)));
  if (!equalBytes(want.subarray(0, p.nt), tag)) throw new E2eeError(Status.AUTH, 'authentication failed');
  const counter = concat(nonce, new Uint8Array(4));
  return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter, length: 32 }, keys.ctr, ct));
}

export async function sframeEncrypt(key, ctr, metadata, plaintext) {
  const header = encodeHeader(key.kid, ctr);
  const md = metadata ? bytes(metadata) : new Uint8Array(0);
  const aad = md.length ? concat(header, md) : header;
  const body = await seal(key._p, key._keys, nonceFor(key.salt, ctr), aad, bytes(plaintext));
  return concat(header, body);
}

export async function sframeEncryptInto(key, ctr, prefix, plaintext) {
  prefix = Uint8Array.from(prefix); // a copy taken before any await
  const header = encodeHeader(key.kid, ctr);
  const aad = prefix.length ? concat(header, prefix) : header;
  const body = await seal(key._p, key._keys, nonceFor(key.salt, ctr), aad, bytes(plaintext));
  const out = new Uint8Array(prefix.length + header.length + body.length);
  out.set(prefix, 0);
  out.set(header, prefix.length);
  out.set(body, prefix.length + header.length);
  return out;
}

export async function sframeDecrypt(key, header, metadata, sframe) {
  sframe = bytes(sframe);
  if (header.kid !== key.kid) throw new E2eeError(Status.NO_KEY, 'KID of another key');
  if (sframe.length < header.len + key.tagLen) throw new E2eeError(Status.FRAME_TOO_SHORT, 'frame too short');
  const hdr = sframe.subarray(0, header.len);
  const md = metadata ? bytes(metadata) : new Uint8Array(0);
  const aad = md.length ? concat(hdr, md) : hdr;
  return open(key._p, key._keys, nonceFor(key.salt, header.ctr), aad, sframe.subarray(header.len));
}

// The AEAD of a suite on raw key bytes (RFC 9605 section 4.5), for the
// vectors that test the AEAD alone. Returns ct || tag / the plaintext.
export async function aeadRaw(suite, keyBytes, nonce, aad, pt) {
  const p = suiteParams(suite);
  return seal(p, await importAead(p, bytes(keyBytes)), bytes(nonce), bytes(aad), bytes(pt));
}

export async function aeadOpenRaw(suite, keyBytes, nonce, aad, sealed) {
  const p = suiteParams(suite);
  return open(p, await importAead(p, bytes(keyBytes)), bytes(nonce), bytes(aad), bytes(sealed));
}
