// sealroom E2EE: shared helpers (docs/e2ee.md section 2).
//
// Plain ES module, no DOM: runs in a browser Worker and in Node 20. Only
// globalThis.crypto (WebCrypto) and standard JS are used.
//
// API
//   Status                       status names, the same strings as the C library's
//                                sre_status_name() (e.g. Status.REPLAY === 'SRE_ERR_REPLAY')
//   class E2eeError(status, msg) an Error with .status (one of Status)
//   subtle, randomBytes(n)       WebCrypto subtle and CSPRNG bytes
//   bytes(x)                     Uint8Array view of a Uint8Array / ArrayBuffer / view (no copy)
//   concat(...parts)             concatenation into a new Uint8Array
//   u8(x) u16(x) u32(x) u64(x)   big-endian encodings (u64 takes a number or bigint)
//   equalBytes(a, b)             constant-time (in the data) equality of two byte strings
//   compareBytes(a, b)           -1 / 0 / 1, like memcmp on equal lengths (shorter first otherwise)
//   wipe(...arrays)              fills byte arrays with zeros
//   ascii(s), utf8Encode(s)      string to bytes (ascii refuses non-ASCII)
//   utf8Decode(b)                strict UTF-8 decode (throws SRE_ERR_UTF8; keeps a BOM)
//   toHex(b), fromHex(s)         lowercase hex
//   base64Encode(b), base64Decode(s)  strict canonical RFC 4648 base64 (throws SRE_ERR_BASE64)
//   hkdf(salt, ikm, info, len, hash = 'SHA-256')  HKDF (RFC 5869) via WebCrypto -> Uint8Array
//   sha256(data)                 SHA-256 -> Uint8Array(32)

export const Status = Object.freeze({
  OK: 'SRE_OK',
  ARG: 'SRE_ERR_ARG',
  BUFFER: 'SRE_ERR_BUFFER',
  SUITE: 'SRE_ERR_SUITE',
  HEADER_TRUNCATED: 'SRE_ERR_HEADER_TRUNCATED',
  HEADER_NONMINIMAL: 'SRE_ERR_HEADER_NONMINIMAL',
  FRAME_TOO_SHORT: 'SRE_ERR_FRAME_TOO_SHORT',
  EMPTY_FRAME: 'SRE_ERR_EMPTY_FRAME',
  WRONG_SLOT: 'SRE_ERR_WRONG_SLOT',
  NO_KEY: 'SRE_ERR_NO_KEY',
  RATCHET_TOO_FAR: 'SRE_ERR_RATCHET_TOO_FAR',
  REPLAY: 'SRE_ERR_REPLAY',
  TOO_OLD: 'SRE_ERR_TOO_OLD',
  AUTH: 'SRE_ERR_AUTH',
  CTR_EXHAUSTED: 'SRE_ERR_CTR_EXHAUSTED',
  RATCHET_EXHAUSTED: 'SRE_ERR_RATCHET_EXHAUSTED',
  KEY_LENGTH: 'SRE_ERR_KEY_LENGTH',
  BAD_ID: 'SRE_ERR_BAD_ID',
  BAD_PUBLIC_KEY: 'SRE_ERR_BAD_PUBLIC_KEY',
  ZERO_SECRET: 'SRE_ERR_ZERO_SECRET',
  BAD_PEER: 'SRE_ERR_BAD_PEER',
  JSON: 'SRE_ERR_JSON',
  VERSION: 'SRE_ERR_VERSION',
  BASE64: 'SRE_ERR_BASE64',
  STALE_KEY: 'SRE_ERR_STALE_KEY',
  KEY_CONFLICT: 'SRE_ERR_KEY_CONFLICT',
  UTF8: 'SRE_ERR_UTF8',
  TOO_LARGE: 'SRE_ERR_TOO_LARGE',
  ROSTER: 'SRE_ERR_ROSTER',
  DIGITS_EXHAUSTED: 'SRE_ERR_DIGITS_EXHAUSTED',
  CRYPTO: 'SRE_ERR_CRYPTO',
  RANDOM: 'SRE_ERR_RANDOM',
  EPOCH_EXHAUSTED: 'SRE_ERR_EPOCH_EXHAUSTED',
});

export class E2eeError extends Error {
  constructor(status, message) {
    super(message ? `${status}: ${message}` : status);
    this.name = 'E2eeError';
    this.status = status;
  }
}

export const subtle = globalThis.crypto.subtle;

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function bytes(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw new E2eeError(Status.ARG, 'expected bytes');
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u8(x) {
  return Uint8Array.of(x & 0xff);
}

export function u16(x) {
  return Uint8Array.of((x >>> 8) & 0xff, x & 0xff);
}

export function u32(x) {
  return Uint8Array.of((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
}

export function u64(x) {
  let v = BigInt.asUintN(64, BigInt(x));
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function wipe(...arrays) {
  for (const a of arrays) if (a && typeof a.fill === 'function') a.fill(0);
}

export function ascii(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new E2eeError(Status.ARG, 'non-ASCII text');
    out[i] = c;
  }
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Encodes a JS string as UTF-8; a string with lone surrogates has no UTF-8
// form and is refused (TextEncoder would silently turn them into U+FFFD).
export function utf8Encode(s) {
  if (typeof s !== 'string') throw new E2eeError(Status.ARG, 'expected a string');
  if (typeof s.isWellFormed === 'function' && !s.isWellFormed()) {
    throw new E2eeError(Status.UTF8, 'string with lone surrogates');
  }
  return encoder.encode(s);
}

export function utf8Decode(b) {
  try {
    return strictDecoder.decode(b);
  } catch {
    throw new E2eeError(Status.UTF8, 'invalid UTF-8');
  }
}

const HEX = '0123456789abcdef';

export function toHex(b) {
  b = bytes(b);
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

export function fromHex(s) {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new E2eeError(Status.ARG, 'invalid hex');
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

export function base64Encode(b) {
  b = bytes(b);
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  if (b.length - i === 1) {
    const v = b[i] << 16;
    s += B64[v >> 18] + B64[(v >> 12) & 63] + '==';
  } else if (b.length - i === 2) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + '=';
  }
  return s;
}

// Strict: standard alphabet, '=' padding to a multiple of 4, no whitespace,
// zero unused bits. Anything else is SRE_ERR_BASE64.
export function base64Decode(s) {
  const bad = () => new E2eeError(Status.BASE64, 'invalid base64');
  if (typeof s !== 'string' || s.length % 4 !== 0) throw bad();
  let pad = 0;
  if (s.length > 0 && s[s.length - 1] === '=') pad = s[s.length - 2] === '=' ? 2 : 1;
  const n = (s.length / 4) * 3 - pad;
  const out = new Uint8Array(n);
  const dataLen = s.length - pad;
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < dataLen; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw bad();
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Unused bits of the last character must be zero.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw bad();
  if (o !== n) throw bad();
  return out;
}

// HKDF (RFC 5869) with WebCrypto: Extract with salt (empty = HashLen zeros,
// which WebCrypto does itself), Expand with info to len bytes.
export async function hkdf(salt, ikm, info, len, hash = 'SHA-256') {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'HKDF', hash, salt, info }, key, len * 8);
  return new Uint8Array(bits);
}

export async function sha256(data) {
  return new Uint8Array(await subtle.digest('SHA-256', data));
}
