// Sender authentication (docs/e2ee-sender-auth.md) in the browser code
// (web/e2ee/sign.js): the shared vectors tests/vectors/e2ee-sign.json made by
// the C library (byte compatibility), the forging attack by a member who
// holds S's SFrame key, hostile statements, bounded memory, and a printed
// per-frame cost in Node's WebCrypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  fromHex, toHex, randomBytes, concat, base64Decode, E2eeError, Status,
} from '../../web/e2ee/util.js';
import { deriveSFrameKey } from '../../web/e2ee/sframe.js';
import { encryptFrame, parseFrame } from '../../web/e2ee/frame.js';
import {
  SIGN, frameHash, statementBytes, parseStatement, statementPayload, Signer, Verifier, chatSignatureInput,
  openSignedChat,
} from '../../web/e2ee/sign.js';
import { parseJson, parsePayload } from '../../web/e2ee/payload.js';
import { chatKeyBytes, importChatKey, sealChat, openChat } from '../../web/e2ee/chat.js';

const here = dirname(fileURLToPath(import.meta.url));
const V = JSON.parse(readFileSync(resolve(here, '../vectors/e2ee-sign.json'), 'utf8'));
const [KS, KM] = V.keys;
const SID = V.statement[0].session_id;

const verifierOf = (extra = {}) => Verifier.create({
  senderId: KS.id, sessionId: SID, publicKey: fromHex(KS.public_key), timers: false, ...extra,
});

test('Ed25519 is available in WebCrypto', async () => {
  const kp = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const sig = await crypto.subtle.sign('Ed25519', kp.privateKey, new Uint8Array(3));
  assert.equal(sig.byteLength, 64);
});

test('vectors: keys from seeds and frame hashes', async () => {
  for (const k of V.keys) {
    const s = await Signer.create({ senderId: k.id, sessionId: SID, seed: fromHex(k.seed) });
    assert.equal(toHex(s.publicKey), k.public_key);
  }
  assert.equal(V.frame_hash.length, 5);
  for (const h of V.frame_hash) {
    assert.equal(toHex(await frameHash(h.kid, h.ctr, fromHex(h.wire))), h.hash);
  }
});

test('vectors: statements are byte-identical and verify', async () => {
  assert.equal(V.statement.length, 4);
  for (const e of V.statement) {
    const s = await Signer.create({ senderId: e.sender_id, sessionId: e.session_id, seed: fromHex(KS.seed) });
    s.nextSeq = e.seq;
    let payload = null;
    for (let f = 0; f < e.frames.length; f++) {
      const out = await s.add(e.kid, e.ctr + f, fromHex(e.frames[f]));
      if (f + 1 < SIGN.MAX_FRAMES) assert.equal(out, null);
      else payload = out;
    }
    if (!payload) payload = await s.flush();
    assert.equal(JSON.stringify(payload), e.payload, e.description);
    const st = parseStatement(e.payload);
    assert.equal(st.n, e.frames.length);
    assert.deepEqual(e.hashes, Array.from({ length: st.n }, (_, i) => toHex(st.hashes.subarray(16 * i, 16 * i + 16))));
    assert.equal(toHex(statementBytes(st, e.sender_id, e.session_id)), e.bytes);
    assert.equal(toHex(st.sig), e.signature);
    assert.equal(JSON.stringify(statementPayload(st)), e.payload);
    const v = await verifierOf();
    await v.statement(e.payload); // as text
    for (let f = 0; f < e.frames.length; f++) {
      const w = fromHex(e.frames[f]);
      assert.equal(await v.check(e.kid, e.ctr + f, w), 'ok');
      w[w.length - 1] ^= 1;
      assert.equal(await v.check(e.kid, e.ctr + f, w), 'reject');
    }
    const v2 = await verifierOf();
    await v2.statement(JSON.parse(e.payload)); // as an object (what the relay delivers)
    assert.equal(v2.counts.statements.ok, 1);
  }
});

test('vectors: refused payloads give the C library statuses', async () => {
  assert.ok(V.refuse.length >= 25);
  for (const e of V.refuse) {
    const v = await verifierOf();
    let got = 'SRE_OK';
    try {
      await v.statement(e.payload);
    } catch (err) {
      if (!err.status) throw err;
      got = err.status;
    }
    assert.equal(got, e.status, e.description);
    const c = v.counts.statements;
    assert.equal(c.ok + c.badSignature + c.replay + c.malformed, 1);
  }
});

test('vectors: scenario (held, forged, replayed and unsigned frames)', async () => {
  const sc = V.scenario[0];
  const v = await Verifier.create({
    senderId: sc.sender_id, sessionId: sc.session_id, publicKey: fromHex(sc.public_key), delayMs: sc.delay_ms,
    timers: false,
  });
  let tag = 0;
  let decided = []; // statement() decides held frames itself; C reports them at the next poll
  for (const s of sc.steps) {
    if (s.do === 'frame') {
      const r = await v.frame(s.kid, s.ctr, fromHex(s.wire), s.time, tag++);
      assert.equal(r.verdict, s.verdict);
    } else if (s.do === 'statement') {
      let got = 'SRE_OK';
      const r = await v.statement(s.payload).catch((e) => { got = e.status; });
      assert.equal(got, s.status);
      if (r) decided.push(...r);
    } else {
      decided.push(...v.poll(s.time));
      assert.deepEqual(decided.map((x) => [x.tag, x.verdict]), s.decided);
      decided = [];
    }
  }
  assert.deepEqual(v.counts.frames, { ok: 3, reject: 2, unsigned: 1, overflow: 0, held: 0 });
  assert.deepEqual(v.counts.statements, { ok: 2, badSignature: 1, replay: 1, malformed: 0, gaps: 0 });
});

// ---- Signed chat (docs/e2ee-sender-auth.md 10) ----------------------------

const CH = V.chat;
// The C library refuses a wrapper text longer than this (SRE_SIGN_CHAT_MAX)
// before parsing it; the page gets the wrapper as an object from the relay.
const SIGN_CHAT_MAX = 8192;

const statusOf = async (fn) => {
  try {
    await fn();
    return 'SRE_OK';
  } catch (err) {
    if (!err.status) throw err;
    return err.status;
  }
};

// A wrapper text as the C library's sre_sign_chat_open takes it: the text
// limit, the strict JSON parser (jansson's rules), then openSignedChat.
async function openText(v, text) {
  if (new TextEncoder().encode(text).length > SIGN_CHAT_MAX) throw new E2eeError(Status.JSON, 'too long');
  return openSignedChat(v, parseJson(text));
}

async function openInner(chatKeyHex, inner) {
  const p = parsePayload(inner);
  const key = await importChatKey(fromHex(chatKeyHex));
  return openChat(key, CH.sender_id, p);
}

test('vectors: signed chat is byte-identical (sealed payload, signed bytes, wrapper) and opens', async () => {
  assert.equal(CH.sender_id, KS.id);
  assert.equal(CH.messages.length, 3);
  const signer = await Signer.create({ senderId: KS.id, sessionId: CH.session_id, seed: fromHex(KS.seed) });
  const v = await verifierOf();
  for (const e of CH.messages) {
    assert.equal(toHex(await chatKeyBytes(fromHex(e.base_key), CH.session_id)), e.chat_key);
    const key = await importChatKey(fromHex(e.chat_key));
    // The JS sealed chat payload is the C one, byte for byte.
    const sealed = await sealChat(key, {
      senderId: KS.id, epoch: e.epoch, step: e.step, type: e.type, seq: e.seq, time: e.time_ms, body: e.body,
      nonce: fromHex(e.nonce),
    });
    assert.equal(JSON.stringify(sealed), e.chat, e.description);
    assert.equal(toHex(chatSignatureInput(KS.id, CH.session_id, sealed)), e.bytes);
    const w = await signer.signChat(sealed);
    assert.equal(JSON.stringify(w), e.wrapper, e.description);
    assert.equal(toHex(base64Decode(w.s)), e.signature);
    // Received as text (strict parser) and as the relay's parsed object.
    for (const obj of [parseJson(e.wrapper), JSON.parse(e.wrapper)]) {
      const inner = await openSignedChat(v, obj);
      assert.equal(JSON.stringify(inner), e.chat);
      const m = await openChat(key, KS.id, parsePayload(inner));
      assert.deepEqual([m.type, m.seq, m.time, m.body], [e.type, e.seq, e.time_ms, e.body]);
    }
  }
  assert.equal(CH.messages[2].wrapper.length, 5690); // the longest wrapper (SRE_SIGN_CHAT_MAX > it)
});

test('vectors: signed chat refusals give the C library statuses', async () => {
  assert.ok(CH.refuse.length >= 30);
  const v = await verifierOf();
  const key0 = CH.messages[0].chat_key;
  for (const e of CH.refuse) {
    let inner = null;
    const got = await statusOf(async () => { inner = await openText(v, e.wrapper); });
    assert.equal(got, e.status, e.description);
    if (got !== 'SRE_OK') continue;
    assert.equal(JSON.stringify(inner), e.chat, e.description);
    assert.equal(await statusOf(() => openInner(key0, inner)), e.chat_status, e.description);
    assert.equal(await statusOf(() => openInner(key0, e.chat)), e.chat_status, e.description);
  }
});

// ---- The attack with the real SFrame code ---------------------------------

const ID_S = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID_M = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const KID = (1 << 16) | (1 << 8); // slot 1, generation 1, step 0

test('a member holding S\'s SFrame key cannot pass a forged frame as S\'s', async () => {
  const baseKey = randomBytes(16); // S's base key: R and M both got it in key messages
  const keyS = await deriveSFrameKey(baseKey, KID);
  const keyM = await deriveSFrameKey(baseKey, KID); // M's copy
  const signerS = await Signer.create({ senderId: ID_S, sessionId: SID });
  const signerM = await Signer.create({ senderId: ID_M, sessionId: SID });
  const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: signerS.publicKey, delayMs: 40 });

  const audio = Uint8Array.from({ length: 120 }, (_, i) => (i === 0 ? 0x78 : 0x11));
  const evil = Uint8Array.from({ length: 120 }, (_, i) => (i === 0 ? 0x78 : 0x66));
  const wire0 = await encryptFrame(keyS, 'opus', 0, audio);
  assert.equal(await signerS.add(KID, 0, wire0), null);
  // M's frames for S's (KID, CTR 0) and a CTR S has not used: valid SFrame frames.
  const forged0 = await encryptFrame(keyM, 'opus', 0, evil);
  const forged9 = await encryptFrame(keyM, 'opus', 9, evil);
  const h0 = parseFrame('opus', forged0).header; // kid, ctr as the SFrame code gives them
  assert.equal(Number(h0.ctr), 0);

  // M's own statement claiming S, and one with M's real id relayed as S's: refused.
  const fake = await Signer.create({ senderId: ID_S, sessionId: SID }); // a key of M's, S's id
  await fake.add(KID, 0, forged0);
  await assert.rejects(v.statement(await fake.flush()), { status: 'SRE_ERR_AUTH' });
  await signerM.add(KID, 0, forged0);
  await assert.rejects(v.statement(await signerM.flush()), { status: 'SRE_ERR_AUTH' });

  // Forged frames arrive before S's statement: held, then rejected / unsigned.
  const d0 = v.check(h0.kid, h0.ctr, forged0);
  const d9 = v.check(KID, 9, forged9);
  await new Promise((r) => setTimeout(r, 5));
  await v.statement(await signerS.flush());
  assert.equal(await d0, 'reject');
  const t = performance.now();
  assert.equal(await d9, 'unsigned');
  assert.ok(performance.now() - t < 200);
  // The genuine frame passes; the forged one after the statement is rejected at once.
  assert.equal(await v.check(KID, 0, wire0), 'ok');
  assert.equal(await v.check(KID, 0, forged0), 'reject');
  assert.deepEqual(v.counts.frames, { ok: 1, reject: 2, unsigned: 1, overflow: 0, held: 0 });
  assert.equal(v.counts.statements.badSignature, 2);
});

test('replayed, reordered and truncated statements; another session or sender', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  const w = (i) => new Uint8Array(50).fill(i);
  for (let i = 0; i < 3; i++) assert.equal(await s.add(7, i, w(i)), null);
  const p1 = JSON.stringify(await s.flush());
  await s.add(7, 3, w(3));
  const p2 = JSON.stringify(await s.flush());
  assert.equal(await s.flush(), null);
  const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: s.publicKey, timers: false });
  await v.statement(p2);
  await assert.rejects(v.statement(p1), { status: 'SRE_ERR_REPLAY' });
  await assert.rejects(v.statement(p2), { status: 'SRE_ERR_REPLAY' });
  assert.equal((await v.frame(7, 0, w(0), 0)).verdict, 'wait');
  assert.equal((await v.frame(7, 3, w(3), 0)).verdict, 'ok');
  assert.equal((await v.frame(7, 4, w(3), 0)).verdict, 'wait'); // same bytes, other CTR
  assert.equal((await v.frame(8, 3, w(3), 0)).verdict, 'wait'); // other KID
  for (let cut = 0; cut < p1.length; cut++) {
    await assert.rejects(v.statement(p1.slice(0, cut)), { status: 'SRE_ERR_JSON' });
  }
  const other = await Verifier.create({ senderId: ID_S, sessionId: 'other', publicKey: s.publicKey, timers: false });
  await assert.rejects(other.statement(p1), { status: 'SRE_ERR_AUTH' });
  const otherId = await Verifier.create({ senderId: ID_M, sessionId: SID, publicKey: s.publicKey, timers: false });
  await assert.rejects(otherId.statement(p1), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: new Uint8Array(31) }),
    { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
  await assert.rejects(Signer.create({ senderId: 'short', sessionId: SID }), { status: 'SRE_ERR_BAD_ID' });
});

// Review of issue 8 (availability): a KID comes back after 255 epochs with
// CTRs from 0; a statement of the old epoch made the new epoch's genuine
// frame look forged. forgetKids drops them when the new key arrives.
test('a KID reused by a later epoch: old statements are forgotten, the new frame waits for its own', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: s.publicKey, timers: false });
  const kid = 0x010500; // slot 1, generation 5, step 0
  const oldFrame = new Uint8Array([1, 2, 3]), newFrame = new Uint8Array([9, 9, 9]);
  await s.add(kid, 0, oldFrame);
  await v.statement(await s.flush());
  assert.equal((await v.frame(kid, 0, newFrame, 0)).verdict, 'reject');
  v.forgetKids(0x010500, 0x0105ff);
  const held = await v.frame(kid, 0, newFrame, 0, 'new');
  assert.equal(held.verdict, 'wait');
  await s.add(kid, 0, newFrame);
  await v.statement(await s.flush());
  assert.equal(await held.decided, 'ok');
});

test('object payloads are checked like text: members, types, prototype', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  await s.add(1, 0, new Uint8Array(10));
  const good = await s.flush();
  const bad = [
    [{ ...good, x: 1 }, 'SRE_ERR_JSON'],
    [{ ...good, q: '1' }, 'SRE_ERR_JSON'],
    [{ ...good, q: 1.5 }, 'SRE_ERR_JSON'],
    [{ ...good, q: -1 }, 'SRE_ERR_JSON'],
    [{ ...good, v: 2 }, 'SRE_ERR_VERSION'],
    [{ ...good, h: 'A'.repeat(1372) }, 'SRE_ERR_TOO_LARGE'],
    [{ ...good, s: good.s.slice(4) }, 'SRE_ERR_JSON'],
    [JSON.parse(`{"__proto__":1,${JSON.stringify(good).slice(1)}`), 'SRE_ERR_JSON'],
    [[good], 'SRE_ERR_JSON'],
    [null, 'SRE_ERR_JSON'],
  ];
  for (const [p, status] of bad) assert.throws(() => parseStatement(p), { status }, JSON.stringify(p));
  assert.equal(parseStatement(good).n, 1);
});

test('signer flush rules: full list, new KID, CTR gap; calls keep their order', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  const w = new Uint8Array(50);
  // 64 adds without awaiting each: the 64th returns the full statement.
  const outs = await Promise.all(Array.from({ length: 64 }, (_, i) => s.add(5, 10 + i, w)));
  assert.ok(outs.slice(0, 63).every((x) => x === null));
  assert.deepEqual([outs[63].q, outs[63].k, outs[63].c, parseStatement(outs[63]).n], [0, 5, 10, 64]);
  assert.equal(await s.add(5, 74, w), null);
  let p = await s.add(6, 0, w); // new KID: the old list first
  assert.deepEqual([p.q, p.k, p.c, parseStatement(p).n], [1, 5, 74, 1]);
  p = await s.add(6, 2, w); // CTR gap
  assert.deepEqual([p.q, p.k, p.c], [2, 6, 0]);
  p = await s.flush();
  assert.deepEqual([p.q, p.k, p.c], [3, 6, 2]);
  await assert.rejects(s.add(2 ** 53, 0, w), { status: 'SRE_ERR_ARG' });
});

test('bounded memory: held frames and remembered statements are capped', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: s.publicKey, delayMs: 100, timers: false });
  const w = (i) => new Uint8Array(50).fill(i & 255);
  const verdicts = [];
  for (let i = 0; i < SIGN.PENDING_MAX + 10; i++) verdicts.push((await v.frame(1, i, w(i), 5)).verdict);
  assert.equal(verdicts.filter((x) => x === 'wait').length, SIGN.PENDING_MAX);
  assert.equal(verdicts.filter((x) => x === 'overflow').length, 10);
  assert.equal(v.counts.frames.held, SIGN.PENDING_MAX);
  assert.equal(v.poll(104).length, 0);
  assert.equal(v.poll(105).length, SIGN.PENDING_MAX);
  assert.equal(v.counts.frames.unsigned, SIGN.PENDING_MAX);
  for (let k = 0; k < SIGN.KEEP + 3; k++) {
    await s.add(2, k, w(k));
    await v.statement(await s.flush());
  }
  assert.equal((await v.frame(2, 0, w(0), 200)).verdict, 'wait');
  assert.equal((await v.frame(2, 3, w(3), 200)).verdict, 'ok');
  assert.equal((await v.frame(2, SIGN.KEEP + 2, w(SIGN.KEEP + 2), 200)).verdict, 'ok');
  v.clear();
  assert.equal(v.counts.frames.held, 0);
});

// The diagnostics of unsigned drops (counts.unsignedWhy): a frame whose
// statement came after the hold is `late` (with how late), one that came
// after its statement had been forgotten is `forgotten`, one listed with
// another hash `forged`, one no statement listed within 10 s `lost`; a
// statement the sender numbered but that never came is a gap. No verdict
// depends on them.
test('unsigned drops are told apart: late, forgotten, forged, lost; statement gaps', async () => {
  const s = await Signer.create({ senderId: ID_S, sessionId: SID });
  let t = 0;
  const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: s.publicKey, delayMs: 100, timers: false, now: () => t });
  const w = (i) => new Uint8Array(40).fill(i & 255);
  const zero = { late: 0, forgotten: 0, forged: 0, lost: 0, untracked: 0, awaiting: 0, discarded: 0, released: 0, lateMsMax: 0 };
  const why = (o) => assert.deepEqual(v.counts.unsignedWhy, { ...zero, ...o });
  const sign = async (kid, ctr, wire) => { await s.add(kid, ctr, wire); return v.statement(await s.flush()); };
  // late: held 100 ms, dropped, listed 300 ms after it came
  assert.equal((await v.frame(1, 0, w(0), 0)).verdict, 'wait');
  assert.deepEqual(v.poll(100).map((x) => x.verdict), ['unsigned']);
  why({ awaiting: 1 });
  t = 300;
  await sign(1, 0, w(0));
  why({ late: 1, lateMsMax: 300 });
  // forged: dropped unsigned, then listed with another hash
  assert.equal((await v.frame(1, 1, w(99), 400)).verdict, 'wait');
  v.poll(500);
  t = 600;
  await sign(1, 1, w(1));
  why({ late: 1, forged: 1, lateMsMax: 300 });
  // lost: no statement lists it within 10 s
  assert.equal((await v.frame(1, 50, w(50), 700)).verdict, 'wait');
  v.poll(800);
  t = 10700;
  await sign(1, 2, w(2));
  why({ late: 1, forged: 1, awaiting: 1, lateMsMax: 300 });
  t = 10900;
  await sign(1, 3, w(3));
  why({ late: 1, forged: 1, lost: 1, lateMsMax: 300 });
  // forgotten: the frame comes after SIGN.KEEP later statements pushed its
  // own out; a frame at a forgotten (KID, CTR) with another hash is forged
  for (let k = 0; k < SIGN.KEEP + 1; k++) await sign(2, k, w(k));
  assert.equal((await v.frame(2, 0, w(0), 11000)).verdict, 'wait');
  assert.equal((await v.frame(2, 0, w(7), 11000)).verdict, 'wait');
  v.poll(11100);
  why({ late: 1, forgotten: 1, forged: 2, lost: 1, lateMsMax: 300 });
  // one whose statement, forgotten when it came, is gone from the ring too
  // by its deadline (64 more statements meanwhile) is still forgotten
  await sign(2, SIGN.KEEP + 1, w(SIGN.KEEP + 1));
  assert.equal((await v.frame(2, 1, w(1), 11000)).verdict, 'wait');
  for (let k = 0; k < 64; k++) await sign(4, k, w(k));
  v.poll(11100);
  why({ late: 1, forgotten: 2, forged: 2, lost: 1, lateMsMax: 300 });
  assert.equal(v.counts.frames.unsigned, 6);
  assert.equal(v.counts.frames.ok, 0);
  assert.equal(v.counts.statements.gaps, 0);
  // a statement lost on the way is a gap; a frame held when the verifier is
  // cleared is released
  await s.add(3, 0, w(0));
  await s.flush();
  await sign(3, 1, w(1));
  assert.equal(v.counts.statements.gaps, 1);
  assert.equal((await v.frame(3, 5, w(5), 12000)).verdict, 'wait');
  assert.equal((await v.frame(3, 6, w(6), 12000)).verdict, 'wait');
  v.poll(12100);
  why({ late: 1, forgotten: 2, forged: 2, lost: 1, awaiting: 2, lateMsMax: 300 });
  assert.equal((await v.frame(3, 7, w(7), 12200)).verdict, 'wait');
  v.clear();
  why({ late: 1, forgotten: 2, forged: 2, lost: 1, discarded: 2, released: 1, lateMsMax: 300 });
  await assert.rejects(async () => v.lookup(1, 0, new Uint8Array(15)), { status: 'SRE_ERR_ARG' });
});

test('cost per frame in Node WebCrypto (printed): hash + amortized sign / verify vs AES-GCM', async () => {
  const N = 2000;
  const frame = randomBytes(1024);
  frame[0] = 0x78;
  const key = await deriveSFrameKey(randomBytes(16), KID);
  const wires = [];
  let t = performance.now();
  for (let i = 0; i < N; i++) wires.push(await encryptFrame(key, 'opus', i, frame));
  const enc = (performance.now() - t) / N;
  const results = [];
  for (const per of [8, 64]) {
    const s = await Signer.create({ senderId: ID_S, sessionId: SID });
    const v = await Verifier.create({ senderId: ID_S, sessionId: SID, publicKey: s.publicKey, timers: false });
    const payloads = [];
    t = performance.now();
    for (let i = 0; i < N; i++) {
      const full = await s.add(KID, i, wires[i]); // a full list (64) flushes itself
      if (full) payloads.push(full);
      if ((i + 1) % per === 0) { const p = await s.flush(); if (p) payloads.push(p); }
    }
    const p = await s.flush();
    if (p) payloads.push(p);
    const sign = (performance.now() - t) / N;
    t = performance.now();
    let i = 0;
    for (const q of payloads) {
      await v.statement(q);
      for (const end = q.c + parseStatement(q).n; i < end; i++) {
        assert.equal((await v.frame(KID, i, wires[i], 0)).verdict, 'ok');
      }
    }
    assert.equal(i, N);
    const verify = (performance.now() - t) / N;
    results.push({ per, sign, verify });
    v.clear();
  }
  const us = (x) => `${(x * 1000).toFixed(1)} us`;
  console.log(`1 KB frame: SFrame encrypt ${us(enc)}`);
  for (const r of results) {
    console.log(`${r.per} frames/statement: sender hash+sign ${us(r.sign)} (${(r.sign / enc).toFixed(2)}x encrypt), ` +
      `receiver verify+hash+lookup ${us(r.verify)} (${(r.verify / enc).toFixed(2)}x)`);
  }
});

// A hold timer that fires a little early on the verifier's clock is armed
// again: no held frame waits for ever (seen as a lost verdict in the worker).
test('a held frame is decided even when its timer fires before the deadline', async () => {
  const kp = await Signer.generateKeyPair();
  let t = 0;
  const v = await Verifier.create({
    senderId: '0f8fad5b-d9cb-469f-a165-70867728950e', sessionId: 'sid', publicKey: kp.publicKey, delayMs: 20, now: () => t,
  });
  const verdict = v.check(256, 0, new Uint8Array([0x78, 1, 2, 3]));
  setTimeout(() => { t = 1000; }, 60); // the clock stands still past the first timer
  assert.equal(await verdict, 'unsigned');
  assert.equal(v.counts.frames.held, 0);
});
