// sealroom E2EE: strict parsing of relay payloads, protocol version 2
// (docs/e2ee.md 7.2, 7.3, 9).
//
// A payload is {"t":"key",...}, {"t":"ack",...} or {"t":"chat",...}. The
// signalling relay carries it as a JSON value, so the page usually gets an
// object already parsed; JSON text is accepted too and parsed strictly here
// (no duplicate members; a number with a fraction or exponent is not an
// integer, even 1.0).
//
// API
//   parsePayload(p)  p: object or JSON text -> a frozen ParsedPayload:
//       {type: 'key',  epoch, generation, step, nonce: Uint8Array(12), c: Uint8Array(32..176)}
//       {type: 'ack',  epoch, generation}
//       {type: 'chat', epoch, generation, step, nonce: Uint8Array(12), c: Uint8Array}
//     (generation is derived from epoch: ((epoch - 1) mod 255) + 1)
//     throws E2eeError: SRE_ERR_JSON (shape, members, types, ranges, lengths),
//     SRE_ERR_VERSION (v != 2), SRE_ERR_BASE64 (the same checks in the same order
//     as the C library's sre_payload_parse)
//   parseJson(text)  the strict JSON parser used for text (exported for tests)
//   CHAT_BODY_MAX = 4096

import { E2eeError, Status, base64Decode } from './util.js';

export const CHAT_BODY_MAX = 4096;
export const CHAT_HEAD_LEN = 1 + 4 + 8; // type, seq, time_ms
const CHAT_C_MIN = CHAT_HEAD_LEN + 1 + 16;
const CHAT_C_MAX = CHAT_HEAD_LEN + CHAT_BODY_MAX + 16;
const KEY_C_MIN = 16 + 16; // a step-0 key, an empty name, the tag
const KEY_C_MAX = 32 + 128 + 16; // a ratcheted key, the longest name, the tag

const MEMBERS = {
  key: ['t', 'v', 'e', 'r', 'n', 'c'],
  ack: ['t', 'v', 'e'],
  chat: ['t', 'v', 'e', 'r', 'n', 'c'],
};

const jsonError = (why) => new E2eeError(Status.JSON, why);

// A non-integer JSON number (fraction or exponent): kept apart so that no
// member check mistakes it for an integer, as jansson's json_is_integer().
class JsonReal {
  constructor(text) {
    this.text = text;
  }
}

const PAYLOAD_TEXT_MAX = 24000; // the C library refuses longer text (SRE_PAYLOAD_MAX * 4)
const DEPTH_MAX = 2048; // jansson's nesting limit

// A strict JSON parser (RFC 8259) with the C library's (jansson's) rules:
// the top level is an object or an array, duplicate member names, "\u0000"
// and unpaired surrogate escapes are refused, integers must fit 64 bits.
// Numbers with a fraction or exponent become JsonReal. Errors are SRE_ERR_JSON.
export function parseJson(text) {
  if (typeof text !== 'string') throw jsonError('not text');
  if (text.length > PAYLOAD_TEXT_MAX || new TextEncoder().encode(text).length > PAYLOAD_TEXT_MAX) {
    throw jsonError('payload too long');
  }
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    if (text[i] !== '"') throw jsonError('expected a string');
    i++;
    let s = '';
    for (;;) {
      if (i >= text.length) throw jsonError('unterminated string');
      const ch = text[i++];
      if (ch === '"') return s;
      if (ch.charCodeAt(0) < 0x20) throw jsonError('control character in string');
      if (ch !== '\\') {
        s += ch;
        continue;
      }
      const e = text[i++];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) {
        s += simple[e];
        continue;
      }
      if (e !== 'u') throw jsonError('bad escape');
      const h = text.substr(i, 4);
      if (!/^[0-9a-fA-F]{4}$/.test(h)) throw jsonError('bad \\u escape');
      i += 4;
      const cu = parseInt(h, 16);
      if (cu === 0) throw jsonError('NUL in string');
      if (cu >= 0xdc00 && cu <= 0xdfff) throw jsonError('lone surrogate');
      if (cu >= 0xd800 && cu <= 0xdbff) {
        // A high surrogate must be followed by an escaped low surrogate.
        const m = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(text.substr(i, 6));
        if (!m) throw jsonError('lone surrogate');
        s += String.fromCharCode(cu, parseInt(m[1], 16));
        i += 6;
        continue;
      }
      s += String.fromCharCode(cu);
    }
  };
  const num = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-') throw jsonError('bad number');
    i += m[0].length;
    if (/[0-9.eE+-]/.test(text[i] || '')) throw jsonError('bad number');
    if (m[2] !== undefined || m[3] !== undefined) return new JsonReal(m[0]);
    const b = BigInt(m[0]);
    if (b > 0x7fffffffffffffffn || b < -0x8000000000000000n) throw jsonError('integer too big');
    return Number(m[0]);
  };
  const value = (depth) => {
    if (depth > DEPTH_MAX) throw jsonError('too deep');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const name = str();
        if (Object.prototype.hasOwnProperty.call(obj, name)) throw jsonError(`duplicate member ${name}`);
        ws();
        if (text[i] !== ':') throw jsonError('expected :');
        i++;
        obj[name] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        throw jsonError('expected , or }');
      }
    }
    if (ch === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        throw jsonError('expected , or ]');
      }
    }
    if (ch === '"') return str();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    return num();
  };
  ws();
  if (text[i] !== '{' && text[i] !== '[') throw jsonError('top level is not an object or array');
  const v = value(1);
  ws();
  if (i !== text.length) throw jsonError('trailing text');
  return v;
}

// A base64 string member decoding to min..max bytes: too long a string or too
// few bytes is SRE_ERR_JSON, bad base64 SRE_ERR_BASE64.
function b64Member(v, min, max) {
  if (typeof v !== 'string') throw jsonError('not a string');
  // The length in UTF-8 bytes, as the C library measures it.
  const limit = Math.ceil(max / 3) * 4;
  if (v.length > limit || (/[^\x00-\x7f]/.test(v) && new TextEncoder().encode(v).length > limit)) {
    throw jsonError('base64 member too long');
  }
  const b = base64Decode(v);
  if (b.length < min || b.length > max) throw jsonError('base64 member of the wrong length');
  return b;
}

// The result of parsePayload (so that a raw payload object is never mistaken
// for a checked one).
export class ParsedPayload {
  constructor(type, epoch, step, nonce, c) {
    this.type = type;
    this.epoch = epoch;
    this.generation = ((epoch - 1) % 255) + 1;
    if (type !== 'ack') {
      this.step = step;
      this.nonce = nonce;
      this.c = c;
    }
    Object.freeze(this);
  }
}

function isInt(x) {
  return typeof x === 'number' && Number.isInteger(x);
}

export function parsePayload(p) {
  const o = typeof p === 'string' ? parseJson(p) : p;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw jsonError('not an object');
  const get = (k) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  // The order of checks is the C library's (lib/e2ee/payload.c), so both give
  // the same status for the same payload: t, v, the member count, then g, r,
  // n, c one by one (a missing member is found at its turn).
  const t = get('t');
  if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(MEMBERS, t)) throw jsonError('unknown type');
  const v = get('v');
  if (!isInt(v) || v < 0 || v > 0x7fffffff) throw jsonError('v is not an integer');
  if (v !== 2) throw new E2eeError(Status.VERSION, `version ${v}`);
  if (Object.keys(o).length !== MEMBERS[t].length) throw jsonError('wrong number of members');
  const e = get('e');
  if (!isInt(e) || e < 1 || e > 0xffffffff) throw jsonError('e missing or out of range');
  if (t === 'ack') return new ParsedPayload('ack', e);
  const r = get('r');
  if (!isInt(r) || r < 0 || r > 255) throw jsonError('r missing or out of range');
  const nonce = b64Member(get('n'), 12, 12);
  // A key message: a 16- or 32-byte key and a name of 0-128 bytes; whether
  // the split matches r is checked when it is opened (SRE_ERR_KEY_LENGTH).
  const c = t === 'key' ? b64Member(get('c'), KEY_C_MIN, KEY_C_MAX) : b64Member(get('c'), CHAT_C_MIN, CHAT_C_MAX);
  return new ParsedPayload(t, e, r, nonce, c);
}
