// sealroom E2EE: sender authentication (docs/e2ee-sender-auth.md), the twin
// of lib/e2ee/sign.c. Each participant signs (Ed25519) statements listing the
// frames it sent; a receiver passes a frame only once a verified statement of
// its sender lists the frame's hash.
//
// Plain ES module, no DOM: runs in a browser Worker and in Node 20. WebCrypto
// only ("Ed25519" sign / verify, SHA-256).
//
// API
//   SIGN                           constants (HASH_LEN 16, MAX_FRAMES 64, INTERVAL_MS 100,
//                                  DELAY_MS 250, KEEP 32, PENDING_MAX 256, NUM_MAX 2^53-1, ...)
//   frameHash(kid, ctr, wire)      -> Promise<Uint8Array(16)>: SHA-256("sealroom frame v1" ||
//                                  u64(kid) || u64(ctr) || wire)[0..16)
//   statementBytes(st, senderId, sessionId)  the signed bytes; st = {seq, kid, ctr, hashes}
//                                  (hashes: Uint8Array of n*16 bytes)
//   parseStatement(p)              p: object or JSON text -> {seq, kid, ctr, n, hashes, sig};
//                                  throws E2eeError (SRE_ERR_JSON, _VERSION, _BASE64, _TOO_LARGE)
//   statementPayload(st)           -> the payload object {t, v, q, k, c, h, s} (JSON.stringify of
//                                  it is byte-identical to the C library's text)
//   class Signer                   one per call, the own participant
//     await Signer.generateKeyPair() -> {privateKey (non-extractable CryptoKey), publicKey}
//                                  a fresh key pair, made before the ids are known (the public
//                                  half goes in `join`, before `welcome` gives the ids)
//     await Signer.create({senderId, sessionId, seed?, keyPair?})   seed: 32 bytes (test
//                                  vectors only); keyPair: from generateKeyPair()
//     .publicKey                   Uint8Array(32): announce as join.signing_key (base64)
//     await .add(kid, ctr, wire)   -> payload | null (a payload: broadcast it now)
//     await .flush()               -> payload | null; call every SIGN.INTERVAL_MS while sending
//     await .signChat(chatPayload) -> {"t":"schat","v":1,"m":chatPayload,"s":b64(signature)}
//                                  a sealed chat message (docs/e2ee.md 9) signed by its sender
//   chatSignatureInput(senderId, sessionId, chatPayload) -> Uint8Array the signed bytes
//   await openSignedChat(verifier, wrapper) -> the inner chat payload, once the signature
//                                  verifies with the sender's key; SRE_ERR_JSON (not a signed
//                                  chat), SRE_ERR_BASE64, SRE_ERR_AUTH (bad signature)
//   class Verifier                 one per remote sender
//     await Verifier.create({senderId, sessionId, publicKey, delayMs?, timers?, now?})
//     await .statement(p)          accepts a statement relayed from that sender and resolves
//                                  the held frames it lists (-> [{tag, kid, ctr, verdict}]), or throws
//                                  E2eeError: malformed (as parseStatement), SRE_ERR_REPLAY
//                                  (seq not newer), SRE_ERR_AUTH (bad signature)
//     await .check(kid, ctr, wire) -> 'ok' | 'reject' | 'unsigned' | 'overflow', resolved when
//                                  decided (at once, at a statement, or after delayMs)
//     await .frame(kid, ctr, wire, now?, tag?) -> {verdict: 'ok'|'reject'|'wait'|'overflow',
//                                  hash, decided: Promise<final verdict>}
//     .lookup(kid, ctr, hash)      -> 'ok' | 'reject' | 'wait' (no state change)
//     .waitFor(kid, ctr, hash, deadline, tag?) -> Promise<final verdict> (holds the frame)
//     .poll(now)                   decides held frames now listed or past their deadline;
//                                  -> [{tag, kid, ctr, verdict}] oldest first (timers call it)
//     .counts                      {frames: {ok, reject, unsigned, overflow, held},
//                                   statements: {ok, badSignature, replay, malformed, gaps},
//                                   unsignedWhy: {late, forgotten, forged, lost, untracked,
//                                   awaiting, discarded, released, lateMsMax}} (why frames were dropped as
//                                   unsigned: diagnostics only, no verdict depends on them)
//     .forgetKids(lo, hi)          forgets the statements of KIDs lo..hi (a generation whose
//                                  KIDs a new epoch of the sender now uses, docs/e2ee-sender-auth.md 6.1)
//     .clear()                     forgets everything; held frames become 'unsigned'
//
// In a receive TransformStream (after SFrame decrypted the frame):
//   verifier.check(kid, ctr, wire).then((v) => { if (v === 'ok') controller.enqueue(frame); });
// (not awaited inside transform(), so one held frame does not stall the stream).

import {
  E2eeError, Status, subtle, bytes, concat, u8, u64, ascii, utf8Encode, equalBytes, base64Encode,
  base64Decode,
} from './util.js';

export const SIGN = Object.freeze({
  PUBLIC_LEN: 32,
  SEED_LEN: 32,
  SIG_LEN: 64,
  HASH_LEN: 16,
  MAX_FRAMES: 64,
  NUM_MAX: Number.MAX_SAFE_INTEGER, // 2^53 - 1
  INTERVAL_MS: 100,
  DELAY_MS: 250,
  KEEP: 32,
  PENDING_MAX: 256,
  VERSION: 1,
  PAYLOAD_MAX: 4096,
});

// For counts.unsignedWhy: frames dropped as unsigned that await a late
// statement (at most LATE_TRACK_MAX, each for LATE_TRACK_MS), and the
// statements last pushed out of the remembered ones (FORGOTTEN_KEEP).
const LATE_TRACK_MAX = 256;
const LATE_TRACK_MS = 10000;
const FORGOTTEN_KEEP = 64;

const FRAME_LABEL = ascii('sealroom frame v1');
const STMT_LABEL = ascii('sealroom sign v1');
const ID_LEN = 36;
const H_B64_MAX = Math.ceil((SIGN.MAX_FRAMES * SIGN.HASH_LEN) / 3) * 4; // 1368
const S_B64_LEN = Math.ceil(SIGN.SIG_LEN / 3) * 4; // 88
const MEMBERS = ['t', 'v', 'q', 'k', 'c', 'h', 's'];
// PKCS#8 wrapping of an Ed25519 seed (RFC 8410): WebCrypto imports no raw private key.
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
  0x70, 0x04, 0x22, 0x04, 0x20);

const jsonError = (why) => new E2eeError(Status.JSON, why);
const utf8Len = (s) => new TextEncoder().encode(s).length;

// A KID or CTR as a Number (the SFrame code may give a bigint): 0 .. 2^53-1.
function num(x, what) {
  if (typeof x === 'bigint' && x >= 0n && x <= BigInt(SIGN.NUM_MAX)) return Number(x);
  if (!Number.isSafeInteger(x) || x < 0) throw new E2eeError(Status.ARG, `${what} out of range`);
  return x;
}

function idBytes(senderId, sessionId) {
  if (typeof senderId !== 'string' || senderId.length !== ID_LEN) throw new E2eeError(Status.BAD_ID, 'sender id');
  const id = ascii(senderId);
  const sid = typeof sessionId === 'string' ? utf8Encode(sessionId) : bytes(sessionId);
  if (sid.length < 1 || sid.length > 255) throw new E2eeError(Status.BAD_ID, 'session id');
  return { id, sid };
}

export async function frameHash(kid, ctr, wire) {
  kid = num(kid, 'kid');
  ctr = num(ctr, 'ctr');
  const d = await subtle.digest('SHA-256', concat(FRAME_LABEL, u64(kid), u64(ctr), bytes(wire)));
  return new Uint8Array(d, 0, SIGN.HASH_LEN).slice();
}

function shapeOk(st) {
  const n = st.hashes.length / SIGN.HASH_LEN;
  return Number.isInteger(n) && n >= 1 && n <= SIGN.MAX_FRAMES && [st.seq, st.kid, st.ctr].every(
    (x) => Number.isSafeInteger(x) && x >= 0) && st.ctr <= SIGN.NUM_MAX - (n - 1);
}

function bytesOf(st, id, sid) {
  if (!shapeOk(st)) throw new E2eeError(Status.ARG, 'statement shape');
  const n = st.hashes.length / SIGN.HASH_LEN;
  return concat(STMT_LABEL, u8(sid.length), sid, id, u64(st.seq), u64(st.kid), u64(st.ctr), u8(n), st.hashes);
}

export function statementBytes(st, senderId, sessionId) {
  const { id, sid } = idBytes(senderId, sessionId);
  return bytesOf(st, id, sid);
}

export function statementPayload(st) {
  if (!shapeOk(st) || bytes(st.sig).length !== SIGN.SIG_LEN) throw new E2eeError(Status.ARG, 'statement shape');
  return { t: 'sig', v: SIGN.VERSION, q: st.seq, k: st.kid, c: st.ctr, h: base64Encode(st.hashes), s: base64Encode(st.sig) };
}

// A strict parser for the one flat shape a statement has: an object whose
// values are strings without escapes or integers; anything else (also
// nested values, true / false / null) is refused. Fractions and exponents
// are kept apart (Real) so that they fail the integer checks, as with
// jansson. Duplicate names are refused.
class Real {}

function parseFlat(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    if (text[i] !== '"') throw jsonError('expected a string');
    const end = text.indexOf('"', i + 1);
    if (end < 0) throw jsonError('unterminated string');
    const s = text.slice(i + 1, end);
    for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) < 0x20) throw jsonError('control character');
    i = end + 1;
    return s;
  };
  const value = () => {
    if (text[i] === '"') return str();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 40));
    if (!m) throw jsonError('unexpected value');
    i += m[0].length;
    if (m[2] || m[3]) return new Real();
    const x = Number(m[0]);
    if (Number.isSafeInteger(x)) return x;
    // Beyond 2^53: an integer to jansson if it fits int64 (a bigint here), else not JSON.
    const big = BigInt(m[0]);
    if (big > 0x7fffffffffffffffn || big < -0x8000000000000000n) throw jsonError('integer overflow');
    return big;
  };
  const out = Object.create(null);
  ws();
  if (text[i] !== '{') throw jsonError('not an object');
  i++;
  ws();
  if (text[i] === '}') {
    i++;
  } else {
    for (;;) {
      ws();
      const name = str();
      if (name in out) throw jsonError('duplicate member');
      ws();
      if (text[i++] !== ':') throw jsonError('expected :');
      ws();
      out[name] = value();
      ws();
      const c = text[i++];
      if (c === '}') break;
      if (c !== ',') throw jsonError('expected , or }');
    }
  }
  ws();
  if (i !== text.length) throw jsonError('trailing text');
  return out;
}

const isInt = (x) => typeof x === 'number' && Number.isInteger(x);

// The C library's check order (docs/e2ee-sender-auth.md 4.3).
export function parseStatement(p) {
  let o = p;
  if (typeof p === 'string') {
    if (utf8Len(p) > SIGN.PAYLOAD_MAX || p.includes('\\')) throw jsonError('too long or escaped');
    o = parseFlat(p);
  } else if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    throw jsonError('not an object');
  }
  if (o.t !== 'sig') throw jsonError('not a statement');
  if (!isInt(o.v) && typeof o.v !== 'bigint') throw jsonError('v');
  if (o.v !== SIGN.VERSION) throw new E2eeError(Status.VERSION, `version ${o.v}`);
  const names = Object.keys(o);
  if (names.length !== MEMBERS.length || !MEMBERS.every((m) => Object.prototype.hasOwnProperty.call(o, m))) {
    throw jsonError('members');
  }
  for (const m of ['q', 'k', 'c']) {
    if (!isInt(o[m]) || o[m] < 0 || o[m] > SIGN.NUM_MAX) throw jsonError(m);
  }
  if (typeof o.h !== 'string' || typeof o.s !== 'string') throw jsonError('h, s');
  if (utf8Len(o.h) > H_B64_MAX) throw new E2eeError(Status.TOO_LARGE, 'too many frames');
  const hashes = base64Decode(o.h);
  if (hashes.length > SIGN.MAX_FRAMES * SIGN.HASH_LEN) throw new E2eeError(Status.TOO_LARGE, 'too many frames');
  if (hashes.length === 0 || hashes.length % SIGN.HASH_LEN !== 0) throw jsonError('h length');
  if (utf8Len(o.s) !== S_B64_LEN) throw jsonError('s length');
  const sig = base64Decode(o.s);
  if (sig.length !== SIGN.SIG_LEN) throw jsonError('s length');
  const n = hashes.length / SIGN.HASH_LEN;
  if (o.c > SIGN.NUM_MAX - (n - 1)) throw jsonError('c');
  return { seq: o.q, kid: o.k, ctr: o.c, n, hashes, sig };
}

// Serializes async work (hashing, signing, verifying) in call order.
class Queue {
  #tail = Promise.resolve();
  run(fn) {
    const r = this.#tail.then(fn);
    this.#tail = r.catch(() => {});
    return r;
  }
}

// ---- Signed chat (docs/e2ee-sender-auth.md 10) ----

const CHAT_SIG_LABEL = ascii('sealroom chat sig v1');
const CHAT_WRAP_MEMBERS = ['t', 'v', 'm', 's'];

// label || u8(len sid) || sid || sender id || u32(e) || u8(r) || nonce || c:
// every field of the sealed message that the receiver uses to open it.
export function chatSignatureInput(senderId, sessionId, m) {
  const { id, sid } = idBytes(senderId, sessionId);
  if (!m || typeof m !== 'object' || m.t !== 'chat' || !Number.isInteger(m.e) || m.e < 1 || m.e > 0xffffffff ||
      !Number.isInteger(m.r) || m.r < 0 || m.r > 255 || typeof m.n !== 'string' || typeof m.c !== 'string') {
    throw jsonError('not a sealed chat payload');
  }
  let nonce, c;
  try {
    nonce = base64Decode(m.n);
    c = base64Decode(m.c);
  } catch {
    throw new E2eeError(Status.BASE64, 'chat nonce or ciphertext');
  }
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, m.e);
  return concat(CHAT_SIG_LABEL, u8(sid.length), sid, id, e, u8(m.r), nonce, c);
}

export async function openSignedChat(verifier, w) {
  if (!w || typeof w !== 'object' || Array.isArray(w) || w.t !== 'schat') throw jsonError('not a signed chat');
  const keys = Object.keys(w);
  if (keys.length !== CHAT_WRAP_MEMBERS.length || !CHAT_WRAP_MEMBERS.every((k) => keys.includes(k))) throw jsonError('signed chat members');
  if (w.v !== 1) throw new E2eeError(Status.VERSION, 'signed chat version');
  if (typeof w.s !== 'string' || w.s.length !== S_B64_LEN) throw new E2eeError(Status.BASE64, 'signature');
  let sig;
  try { sig = base64Decode(w.s); } catch { throw new E2eeError(Status.BASE64, 'signature'); }
  if (sig.length !== SIGN.SIG_LEN) throw new E2eeError(Status.BASE64, 'signature');
  if (!(await verifier.verifyBytes(chatSignatureInput(verifier.senderId, verifier.sessionId, w.m), sig))) {
    throw new E2eeError(Status.AUTH, 'chat signature');
  }
  return w.m;
}

export class Signer {
  #key;
  #id;
  #sid;
  #q = new Queue();
  #kid = 0;
  #ctr = 0;
  #hashes = [];
  nextSeq = 0;
  statements = 0;

  constructor(key, publicKey, id, sid) {
    this.#key = key;
    this.publicKey = publicKey;
    this.#id = id;
    this.#sid = sid;
  }

  static async generateKeyPair() {
    const kp = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return { privateKey: kp.privateKey, publicKey: new Uint8Array(await subtle.exportKey('raw', kp.publicKey)) };
  }

  static async create({ senderId, sessionId, seed, keyPair } = {}) {
    const { id, sid } = idBytes(senderId, sessionId);
    let priv;
    let pub;
    if (keyPair) {
      priv = keyPair.privateKey;
      pub = bytes(keyPair.publicKey);
      if (pub.length !== SIGN.PUBLIC_LEN) throw new E2eeError(Status.ARG, 'public key length');
    } else if (seed) {
      seed = bytes(seed);
      if (seed.length !== SIGN.SEED_LEN) throw new E2eeError(Status.ARG, 'seed length');
      const pkcs8 = concat(PKCS8_PREFIX, seed);
      // Extractable only to read the public half (WebCrypto derives it via JWK).
      const k = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
      pkcs8.fill(0);
      const jwk = await subtle.exportKey('jwk', k);
      priv = await subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, false, ['sign']);
      pub = base64Decode(jwk.x.replace(/-/g, '+').replace(/_/g, '/') + '=');
      jwk.d = '';
    } else {
      const kp = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      priv = kp.privateKey;
      pub = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
    }
    return new Signer(priv, pub, id, sid);
  }

  get pending() {
    return this.#hashes.length;
  }

  async signChat(m) {
    const input = chatSignatureInput(new TextDecoder().decode(this.#id), this.#sid, m);
    const sig = new Uint8Array(await subtle.sign('Ed25519', this.#key, input));
    return { t: 'schat', v: 1, m, s: base64Encode(sig) };
  }

  async add(kid, ctr, wire) {
    kid = num(kid, 'kid');
    ctr = num(ctr, 'ctr');
    const w = bytes(wire).slice(); // the caller may reuse its buffer
    return this.#q.run(async () => {
      const hash = await frameHash(kid, ctr, w);
      let out = null;
      if (this.#hashes.length > 0 && (kid !== this.#kid || ctr !== this.#ctr + this.#hashes.length)) {
        out = await this.#flush();
      }
      if (this.#hashes.length === 0) {
        this.#kid = kid;
        this.#ctr = ctr;
      }
      this.#hashes.push(hash);
      if (!out && this.#hashes.length === SIGN.MAX_FRAMES) out = await this.#flush();
      return out;
    });
  }

  flush() {
    return this.#q.run(() => this.#flush());
  }

  async #flush() {
    if (this.#hashes.length === 0) return null;
    const st = { seq: this.nextSeq, kid: this.#kid, ctr: this.#ctr, hashes: concat(...this.#hashes) };
    const sig = new Uint8Array(await subtle.sign('Ed25519', this.#key, bytesOf(st, this.#id, this.#sid)));
    this.#hashes = [];
    this.nextSeq++;
    this.statements++;
    return statementPayload({ ...st, sig });
  }
}

// What the runs (verified statements) say of the frame at (kid, ctr) with
// this hash: 'ok' (listed with it), 'reject' (listed, only with others) or
// 'wait' (not listed).
function listedIn(runs, kid, ctr, hash) {
  let listed = false;
  for (const r of runs) {
    if (r.kid !== kid || ctr < r.ctr || ctr - r.ctr >= r.n) continue;
    const o = (ctr - r.ctr) * SIGN.HASH_LEN;
    if (equalBytes(r.hashes.subarray(o, o + SIGN.HASH_LEN), hash)) return 'ok';
    listed = true;
  }
  return listed ? 'reject' : 'wait';
}

export class Verifier {
  #key;
  #id;
  #sid;
  #q = new Queue();
  #runs = []; // verified statements, oldest first, at most SIGN.KEEP
  #pending = []; // held frames, oldest first
  #any = false;
  #lastSeq = 0;
  #timers;
  #dropped = []; // frames dropped as unsigned, awaiting a late statement (diagnostics)
  #forgotten = []; // runs pushed out of #runs, oldest first, at most FORGOTTEN_KEEP (diagnostics)
  counts = {
    frames: { ok: 0, reject: 0, unsigned: 0, overflow: 0, held: 0 },
    // gaps: statements of the sender never seen here (the sender numbers
    // them one by one: each gap is a statement lost on the way).
    statements: { ok: 0, badSignature: 0, replay: 0, malformed: 0, gaps: 0 },
    // Why frames were dropped as unsigned (diagnostics, no verdict depends
    // on them). Told at the drop or later:
    // - late: a statement listed the frame, with its hash, after its
    //   deadline (lateMsMax: the longest wait from the frame's arrival);
    // - forgotten: the frame came after the statement listing it, with its
    //   hash, had been pushed out of the remembered ones (its media came that
    //   much after the statement);
    // - forged: a statement listed its (KID, CTR) with another hash;
    // - lost: no statement listed it within LATE_TRACK_MS;
    // - untracked: pushed out of the frames awaiting a statement (more than
    //   LATE_TRACK_MAX at once), never told;
    // - awaiting: dropped, not told yet;
    // - discarded: awaiting when its KID was forgotten or the verifier
    //   cleared, never told;
    // - released: held when the verifier was cleared (its sender left).
    // Each frame dropped as unsigned is in exactly one of them.
    unsignedWhy: { late: 0, forgotten: 0, forged: 0, lost: 0, untracked: 0, awaiting: 0, discarded: 0, released: 0, lateMsMax: 0 },
  };

  constructor(key, id, sid, delayMs, timers, now) {
    this.#key = key;
    this.#id = id;
    this.#sid = sid;
    this.delayMs = delayMs;
    this.#timers = timers;
    this.now = now;
  }

  static async create({ senderId, sessionId, publicKey, delayMs = SIGN.DELAY_MS, timers = true,
    now = () => performance.now() } = {}) {
    const { id, sid } = idBytes(senderId, sessionId);
    let key;
    try {
      const pub = bytes(publicKey);
      if (pub.length !== SIGN.PUBLIC_LEN) throw new Error('length');
      key = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    } catch {
      throw new E2eeError(Status.BAD_PUBLIC_KEY, 'signing key');
    }
    const v = new Verifier(key, id, sid, delayMs, timers, now);
    v.senderId = senderId;
    v.sessionId = sessionId;
    return v;
  }

  // Ed25519 verification of other signed bytes of this sender (signed chat).
  async verifyBytes(data, sig) {
    try {
      return await subtle.verify('Ed25519', this.#key, sig, data);
    } catch {
      return false;
    }
  }

  statement(p) {
    return this.#q.run(async () => {
      let st;
      try {
        st = parseStatement(p);
      } catch (e) {
        this.counts.statements.malformed++;
        throw e;
      }
      if (this.#any && st.seq <= this.#lastSeq) {
        this.counts.statements.replay++;
        throw new E2eeError(Status.REPLAY, `statement ${st.seq} not newer than ${this.#lastSeq}`);
      }
      const ok = await subtle.verify('Ed25519', this.#key, st.sig, bytesOf(st, this.#id, this.#sid));
      if (!ok) {
        this.counts.statements.badSignature++;
        throw new E2eeError(Status.AUTH, 'bad statement signature');
      }
      if (this.#any) this.counts.statements.gaps += st.seq - this.#lastSeq - 1;
      this.#any = true;
      this.#lastSeq = st.seq;
      const run = { kid: st.kid, ctr: st.ctr, n: st.n, hashes: st.hashes };
      this.#runs.push(run);
      if (this.#runs.length > SIGN.KEEP) {
        this.#forgotten.push(this.#runs.shift());
        if (this.#forgotten.length > FORGOTTEN_KEEP) this.#forgotten.shift();
      }
      this.counts.statements.ok++;
      this.#explain(run);
      return this.#decide(-Infinity); // held frames now listed: [{tag, kid, ctr, verdict}]
    });
  }

  lookup(kid, ctr, hash) {
    if (!(hash instanceof Uint8Array) || hash.length !== SIGN.HASH_LEN) throw new E2eeError(Status.ARG, 'frame hash');
    return listedIn(this.#runs, num(kid, 'kid'), num(ctr, 'ctr'), hash);
  }

  waitFor(kid, ctr, hash, deadline, tag) {
    const v = this.lookup(kid, ctr, hash);
    if (v !== 'wait') {
      this.counts.frames[v]++;
      return Promise.resolve(v);
    }
    if (this.#pending.length >= SIGN.PENDING_MAX) {
      this.counts.frames.overflow++;
      return Promise.resolve('overflow');
    }
    return new Promise((resolve) => {
      const p = { kid: num(kid, 'kid'), ctr: num(ctr, 'ctr'), hash, deadline, tag, resolve, timer: null };
      // Diagnostics: already listed by a forgotten statement (its media came
      // after the statement had left the remembered ones)?
      p.before = listedIn(this.#forgotten, p.kid, p.ctr, hash);
      // A timer may fire a little before the deadline on this clock: then it
      // is armed again, so that no held frame waits for ever.
      const fire = () => {
        p.timer = null;
        this.poll(this.now());
        if (this.#pending.includes(p)) p.timer = setTimeout(fire, Math.max(0, p.deadline - this.now()) + 2);
      };
      if (this.#timers) p.timer = setTimeout(fire, Math.max(0, deadline - this.now()) + 2);
      this.#pending.push(p);
      this.counts.frames.held++;
    });
  }

  async frame(kid, ctr, wire, now = this.now(), tag = undefined) {
    const hash = await frameHash(kid, ctr, wire);
    const first = this.lookup(kid, ctr, hash);
    const full = first === 'wait' && this.#pending.length >= SIGN.PENDING_MAX;
    const decided = this.waitFor(kid, ctr, hash, now + this.delayMs, tag);
    return { verdict: full ? 'overflow' : first, hash, decided };
  }

  async check(kid, ctr, wire) {
    return (await this.frame(kid, ctr, wire)).decided;
  }

  poll(now) {
    return this.#decide(now);
  }

  #decide(now) {
    const out = [];
    const keep = [];
    for (const p of this.#pending) {
      let v = this.lookup(p.kid, p.ctr, p.hash);
      if (v === 'wait' && now >= p.deadline) {
        v = 'unsigned';
        this.#noteUnsigned(p, now);
      }
      if (v === 'wait') {
        keep.push(p);
        continue;
      }
      if (p.timer) clearTimeout(p.timer);
      this.counts.frames.held--;
      this.counts.frames[v]++;
      out.push({ tag: p.tag, kid: p.kid, ctr: p.ctr, verdict: v });
      p.resolve(v);
    }
    this.#pending = keep;
    return out;
  }

  // Diagnostics of frames dropped as unsigned (counts.unsignedWhy).
  #noteUnsigned(p, now) {
    const why = this.counts.unsignedWhy;
    let was = listedIn(this.#forgotten, p.kid, p.ctr, p.hash);
    if (was === 'wait') was = p.before; // forgotten since it came
    if (was === 'ok') why.forgotten++;
    else if (was === 'reject') why.forged++;
    else {
      if (this.#dropped.length >= LATE_TRACK_MAX) {
        this.#dropped.shift();
        why.untracked++;
      }
      this.#dropped.push({ kid: p.kid, ctr: p.ctr, hash: p.hash, arrived: p.deadline - this.delayMs, at: now });
    }
    why.awaiting = this.#dropped.length;
  }

  // A statement just verified: the dropped frames it lists were late (or
  // forged, listed with another hash); those no statement listed for
  // LATE_TRACK_MS were lost.
  #explain(run) {
    if (this.#dropped.length === 0) return;
    const why = this.counts.unsignedWhy;
    const now = this.now();
    this.#dropped = this.#dropped.filter((d) => {
      const v = listedIn([run], d.kid, d.ctr, d.hash);
      if (v === 'ok') {
        why.late++;
        why.lateMsMax = Math.max(why.lateMsMax, now - d.arrived);
        return false;
      }
      if (v === 'reject') {
        why.forged++;
        return false;
      }
      if (now - d.at > LATE_TRACK_MS) {
        why.lost++;
        return false;
      }
      return true;
    });
    why.awaiting = this.#dropped.length;
  }

  forgetKids(lo, hi) {
    this.#runs = this.#runs.filter((r) => r.kid < lo || r.kid > hi);
    this.#forgotten = this.#forgotten.filter((r) => r.kid < lo || r.kid > hi);
    const awaiting = this.#dropped.length;
    this.#dropped = this.#dropped.filter((d) => d.kid < lo || d.kid > hi);
    this.counts.unsignedWhy.discarded += awaiting - this.#dropped.length;
    this.counts.unsignedWhy.awaiting = this.#dropped.length;
  }

  clear() {
    for (const p of this.#pending) {
      if (p.timer) clearTimeout(p.timer);
      this.counts.frames.held--;
      this.counts.frames.unsigned++;
      this.counts.unsignedWhy.released++;
      p.resolve('unsigned');
    }
    this.#pending = [];
    this.#runs = [];
    this.counts.unsignedWhy.discarded += this.#dropped.length;
    this.#dropped = [];
    this.#forgotten = [];
    this.counts.unsignedWhy.awaiting = 0;
  }
}
