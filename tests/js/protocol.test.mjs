// Pairwise keys, key messages, payload parsing, chat, security codes and
// fingerprints (docs/e2ee.md 7, 9, 10): round trips and hostile inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromHex, toHex, base64Encode, base64Decode, utf8Decode, subtle, hkdf, randomBytes } from '../../web/e2ee/util.js';
import {
  generateKeyPair, keyPairFromPrivate, x25519, derivePairwiseKey, importPairwiseKey, sealKeyMessage, openKeyMessage,
  ackPayload, parsePayload, ratchet, epochGeneration,
} from '../../web/e2ee/keys.js';
import { parseJson } from '../../web/e2ee/payload.js';
import { chatKey, sealChat, openChat, ChatSequence, ChatCounter, CHAT_TEXT, CHAT_NAME } from '../../web/e2ee/chat.js';
import { digits, securityCode, securityCodeInput, fingerprint } from '../../web/e2ee/code.js';
import { Receiver } from '../../web/e2ee/receiver.js';

const SID = '5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a';
const ID_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const ID_C = '16fd2706-8baf-433b-82eb-8c7fada847da';
const KEY16 = fromHex('000102030405060708090a0b0c0d0e0f');

test('base64 is strict and canonical', () => {
  for (let n = 0; n < 20; n++) {
    const b = randomBytes(n);
    assert.equal(toHex(base64Decode(base64Encode(b))), toHex(b));
    assert.equal(base64Encode(b), Buffer.from(b).toString('base64'));
  }
  for (const bad of ['A', 'AA', 'AAA', 'AA=', 'A===', '====', 'AB==', 'AAB=', 'AA==AA==', 'AA A', 'AA\n==', 'AA-_', '=AAA', 'AAA=A===', 'Zm9v\n']) {
    assert.throws(() => base64Decode(bad), { status: 'SRE_ERR_BASE64' }, JSON.stringify(bad));
  }
  assert.equal(toHex(base64Decode('AA==')), '00');
  assert.equal(toHex(base64Decode('AAE=')), '0001');
  assert.equal(base64Decode('').length, 0);
});

test('UTF-8 is strict: overlong, surrogates, truncated and above U+10FFFF are refused', () => {
  for (const bad of ['c0af', 'e080af', 'eda080', 'f4908080', 'f8888080', '80', 'e282', 'ff']) {
    assert.throws(() => utf8Decode(fromHex(bad)), { status: 'SRE_ERR_UTF8' }, bad);
  }
  assert.equal(utf8Decode(fromHex('efbbbf41')), '\ufeffA'); // a BOM is kept, not swallowed
  assert.equal(utf8Decode(fromHex('f09f9492')), '\u{1f512}');
});

test('X25519: private keys stay non-extractable; pairwise keys agree both ways', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  assert.equal(a.privateKey.extractable, false);
  await assert.rejects(subtle.exportKey('pkcs8', a.privateKey));
  assert.equal(a.publicKey.length, 32);
  const kab = await derivePairwiseKey({ keyPair: a, id: ID_A, peerPublicKey: b.publicKey, peerId: ID_B, sessionId: SID, extractable: true });
  const kba = await derivePairwiseKey({ keyPair: b, id: ID_B, peerPublicKey: a.publicKey, peerId: ID_A, sessionId: SID, extractable: true });
  const raw = async (k) => toHex(new Uint8Array(await subtle.exportKey('raw', k)));
  assert.equal(await raw(kab), await raw(kba));
  // Another session id gives another key.
  const other = await derivePairwiseKey({ keyPair: a, id: ID_A, peerPublicKey: b.publicKey, peerId: ID_B, sessionId: 'x', extractable: true });
  assert.notEqual(await raw(other), await raw(kab));
  // The default is non-extractable.
  const k = await derivePairwiseKey({ keyPair: a, id: ID_A, peerPublicKey: b.publicKey, peerId: ID_B, sessionId: SID });
  assert.equal(k.extractable, false);
  // keyPairFromPrivate: RFC 7748 6.1 Alice.
  const alice = await keyPairFromPrivate(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  assert.equal(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  const bob = await keyPairFromPrivate(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
  assert.equal(toHex(await x25519(alice, bob.publicKey)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
});

test('pairwise key refusals: low-order key, oneself, bad ids and keys', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const base = { keyPair: a, id: ID_A, peerPublicKey: b.publicKey, peerId: ID_B, sessionId: SID };
  await assert.rejects(derivePairwiseKey({ ...base, peerPublicKey: new Uint8Array(32) }), { status: 'SRE_ERR_ZERO_SECRET' });
  const one = new Uint8Array(32);
  one[0] = 1;
  await assert.rejects(derivePairwiseKey({ ...base, peerPublicKey: one }), { status: 'SRE_ERR_ZERO_SECRET' });
  // Other low-order points: p - 1 and a point of order 8 (Firefox refuses them at import, others at derivation).
  const pMinus1 = fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  const order8 = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
  for (const low of [pMinus1, order8]) {
    await assert.rejects(derivePairwiseKey({ ...base, peerPublicKey: low }), { status: 'SRE_ERR_ZERO_SECRET' });
  }
  // A non-canonical but valid key (top bit set) is accepted, as RFC 7748 says.
  const top = Uint8Array.from(b.publicKey);
  top[31] |= 0x80;
  await derivePairwiseKey({ ...base, peerPublicKey: top });
  await assert.rejects(derivePairwiseKey({ ...base, peerId: ID_A }), { status: 'SRE_ERR_BAD_PEER' });
  await assert.rejects(derivePairwiseKey({ ...base, peerPublicKey: a.publicKey }), { status: 'SRE_ERR_BAD_PEER' });
  await assert.rejects(derivePairwiseKey({ ...base, peerId: 'short' }), { status: 'SRE_ERR_BAD_ID' });
  await assert.rejects(derivePairwiseKey({ ...base, sessionId: '' }), { status: 'SRE_ERR_BAD_ID' });
  await assert.rejects(derivePairwiseKey({ ...base, sessionId: 'x'.repeat(256) }), { status: 'SRE_ERR_BAD_ID' });
  await assert.rejects(derivePairwiseKey({ ...base, peerPublicKey: new Uint8Array(31) }), { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
});

async function keyPairs() {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const kab = await derivePairwiseKey({ keyPair: a, id: ID_A, peerPublicKey: b.publicKey, peerId: ID_B, sessionId: SID });
  const kba = await derivePairwiseKey({ keyPair: b, id: ID_B, peerPublicKey: a.publicKey, peerId: ID_A, sessionId: SID });
  return { kab, kba };
}

test('key message round trip, then into a receiver; ack', async () => {
  const { kab, kba } = await keyPairs();
  const who = { senderId: ID_A, recipientId: ID_B, senderSlot: 12 };
  const p0 = await sealKeyMessage(kab, { ...who, epoch: 1, step: 0, baseKey: KEY16 });
  assert.deepEqual(Object.keys(p0), ['t', 'v', 'e', 'r', 'n', 'c']);
  assert.match(JSON.stringify(p0), /^\{"t":"key","v":2,"e":1,"r":0,"n":"[A-Za-z0-9+/]{16}","c":"[A-Za-z0-9+/=]{44}"\}$/);
  const got = await openKeyMessage(kba, who, p0);
  assert.equal(toHex(got.baseKey), toHex(KEY16));
  assert.equal(got.name, '');
  const k1 = await ratchet(KEY16);
  const p1 = await sealKeyMessage(kab, { ...who, epoch: 1, step: 1, baseKey: k1, name: 'Zoë 李' });
  assert.equal(base64Decode(p1.c).length, 48 + 8);
  const got1 = await openKeyMessage(kba, who, JSON.stringify(p1));
  assert.equal(got1.name, 'Zoë 李');
  const r = new Receiver({ slot: 12, now: () => 0 });
  assert.equal(await r.addKey(got.epoch, got.step, got.baseKey), 'added');
  assert.equal(await r.addKey(got1.epoch, got1.step, got1.baseKey), 'added');
  assert.deepEqual(ackPayload(1), { t: 'ack', v: 2, e: 1 });
  assert.equal(JSON.stringify(ackPayload(70000)), '{"t":"ack","v":2,"e":70000}');
  assert.deepEqual({ ...parsePayload('{"t":"ack","v":2,"e":300}') }, { type: 'ack', epoch: 300, generation: 45 });
  assert.throws(() => ackPayload(0), { status: 'SRE_ERR_ARG' });
  // Nonces are fresh.
  const again = await sealKeyMessage(kab, { ...who, epoch: 1, step: 0, baseKey: KEY16 });
  assert.notEqual(again.n, p0.n);
  // Sealing refuses a key of the wrong length for its step, and bad names.
  await assert.rejects(sealKeyMessage(kab, { ...who, epoch: 1, step: 1, baseKey: KEY16 }), { status: 'SRE_ERR_KEY_LENGTH' });
  await assert.rejects(sealKeyMessage(kab, { ...who, epoch: 1, step: 0, baseKey: KEY16, name: 'x'.repeat(129) }), { status: 'SRE_ERR_TOO_LARGE' });
  for (const bad of ['a\nb', 'a\x00', 'a\x7f', 'a\u0085', 'a\u009f', 'a\ud800']) {
    await assert.rejects(sealKeyMessage(kab, { ...who, epoch: 1, step: 0, baseKey: KEY16, name: bad }), { status: 'SRE_ERR_UTF8' }, JSON.stringify(bad));
  }
  // The longest name (128 bytes, also multi-byte), at the largest epoch.
  const long = await sealKeyMessage(kab, { ...who, epoch: 0xffffffff, step: 1, baseKey: k1, name: 'é'.repeat(64) });
  const gotLong = await openKeyMessage(kba, who, long);
  assert.deepEqual([gotLong.epoch, gotLong.generation, gotLong.name], [0xffffffff, epochGeneration(0xffffffff), 'é'.repeat(64)]);
  await assert.rejects(sealKeyMessage(kab, { ...who, epoch: 0x100000000, step: 0, baseKey: KEY16 }), { status: 'SRE_ERR_ARG' });
});

test('key message hostile cases: tampering, re-labelling, wrong key, lengths', async () => {
  const { kab, kba } = await keyPairs();
  const who = { senderId: ID_A, recipientId: ID_B, senderSlot: 12 };
  const p = await sealKeyMessage(kab, { ...who, epoch: 3, step: 0, baseKey: KEY16 });
  const c = base64Decode(p.c);
  c[c.length - 1] ^= 1;
  await assert.rejects(openKeyMessage(kba, who, { ...p, c: base64Encode(c) }), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openKeyMessage(kba, { ...who, senderSlot: 13 }, p), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openKeyMessage(kba, { ...who, recipientId: ID_C }, p), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openKeyMessage(kba, { senderId: ID_B, recipientId: ID_A, senderSlot: 12 }, p), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openKeyMessage(kba, who, { ...p, e: 4 }), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openKeyMessage(kba, who, { ...p, e: 3 + 255 }), { status: 'SRE_ERR_AUTH' }); // same KID generation
  // r = 1 with a 32-byte c: too short for a 32-byte key.
  await assert.rejects(openKeyMessage(kba, who, { ...p, r: 1 }), { status: 'SRE_ERR_KEY_LENGTH' });
  // r = 0 with a 32-byte key and a 128-byte name: more than 128 name bytes.
  const k1 = await ratchet(KEY16);
  const longName = await sealKeyMessage(kab, { ...who, epoch: 3, step: 1, baseKey: k1, name: 'n'.repeat(128) });
  await assert.rejects(openKeyMessage(kba, who, { ...longName, r: 0 }), { status: 'SRE_ERR_KEY_LENGTH' });
  const stranger = await importPairwiseKey(randomBytes(16));
  await assert.rejects(openKeyMessage(stranger, who, p), { status: 'SRE_ERR_AUTH' });
  // A raw object carrying "type" is still parsed, never trusted as parsed.
  await assert.rejects(openKeyMessage(kba, who, { type: 'key', epoch: 3, step: 0, nonce: new Uint8Array(12), c: new Uint8Array(32) }), { status: 'SRE_ERR_JSON' });
  // A peer that seals a name with a control character (same pairwise key): refused after authentication.
  {
    const aad = new Uint8Array([...new TextEncoder().encode('sealroom key v2'), ...new TextEncoder().encode(ID_A), ...new TextEncoder().encode(ID_B), 0, 0, 0, 3, 0, 0, 12]);
    const nonce = randomBytes(12);
    const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, kab, new Uint8Array([...KEY16, 0x41, 0x0a])));
    await assert.rejects(openKeyMessage(kba, who, { t: 'key', v: 2, e: 3, r: 0, n: base64Encode(nonce), c: base64Encode(ct) }), { status: 'SRE_ERR_UTF8' });
  }
});

test('payload parsing is strict (7.2)', () => {
  const n = base64Encode(new Uint8Array(12));
  const c32 = base64Encode(new Uint8Array(32));
  const good = { t: 'key', v: 2, e: 1, r: 0, n, c: c32 };
  assert.equal(parsePayload(good).type, 'key');
  assert.equal(parsePayload(JSON.stringify(good)).type, 'key');
  assert.equal(parsePayload(' {\n"c":"' + c32 + '","n":"' + n + '","r":0,"e":1,"v":2,"t":"key"}\t').type, 'key'); // any order, whitespace
  assert.equal(parsePayload({ ...good, e: 4294967295 }).epoch, 4294967295);
  assert.equal(parsePayload({ ...good, c: base64Encode(new Uint8Array(176)) }).c.length, 176);
  const cases = [
    ['not an object', '[1]', 'SRE_ERR_JSON'],
    ['a string', '"key"', 'SRE_ERR_JSON'],
    ['null', null, 'SRE_ERR_JSON'],
    ['not JSON', '{"t":"key",', 'SRE_ERR_JSON'],
    ['trailing text', JSON.stringify(good) + 'x', 'SRE_ERR_JSON'],
    ['unknown type', { ...good, t: 'keys' }, 'SRE_ERR_JSON'],
    ['version 1', { ...good, v: 1 }, 'SRE_ERR_VERSION'],
    ['a version-1 key message', { t: 'key', v: 1, g: 1, r: 0, n, c: c32 }, 'SRE_ERR_VERSION'],
    ['version 3', { ...good, v: 3 }, 'SRE_ERR_VERSION'],
    ['version 3 with other members', '{"t":"key","v":3,"x":[1,{"y":null}]}', 'SRE_ERR_VERSION'],
    ['version as a string', { ...good, v: '2' }, 'SRE_ERR_JSON'],
    ['version 2.0 in text', JSON.stringify(good).replace('"v":2', '"v":2.0'), 'SRE_ERR_JSON'],
    ['version 2e0 in text', JSON.stringify(good).replace('"v":2', '"v":2e0'), 'SRE_ERR_JSON'],
    ['negative version', { ...good, v: -1 }, 'SRE_ERR_JSON'],
    ['extra member', { ...good, x: 1 }, 'SRE_ERR_JSON'],
    ['g as well as e', { ...good, g: 1 }, 'SRE_ERR_JSON'],
    ['g instead of e', { t: 'key', v: 2, g: 1, r: 0, n, c: c32 }, 'SRE_ERR_JSON'],
    ['missing member', { t: 'key', v: 2, e: 1, r: 0, n }, 'SRE_ERR_JSON'],
    ['missing member, another added', { t: 'key', v: 2, e: 1, r: 0, n, x: c32 }, 'SRE_ERR_JSON'],
    ['duplicate member', JSON.stringify(good).replace('"e":1', '"e":1,"e":1'), 'SRE_ERR_JSON'],
    ['e 0', { ...good, e: 0 }, 'SRE_ERR_JSON'],
    ['e 2^32', { ...good, e: 4294967296 }, 'SRE_ERR_JSON'],
    ['e negative', { ...good, e: -1 }, 'SRE_ERR_JSON'],
    ['e fraction', { ...good, e: 1.5 }, 'SRE_ERR_JSON'],
    ['e as a string', { ...good, e: '1' }, 'SRE_ERR_JSON'],
    ['e 1.0 in text', JSON.stringify(good).replace('"e":1', '"e":1.0'), 'SRE_ERR_JSON'],
    ['r -1', { ...good, r: -1 }, 'SRE_ERR_JSON'],
    ['r 256', { ...good, r: 256 }, 'SRE_ERR_JSON'],
    ['r as a string', { ...good, r: '0' }, 'SRE_ERR_JSON'],
    ['n not base64', { ...good, n: 'AAAAAAAAAAAAAAA!' }, 'SRE_ERR_BASE64'],
    ['n with whitespace', { ...good, n: 'AAAAAAAA AAAAAAA' }, 'SRE_ERR_BASE64'],
    ['n of 9 bytes', { ...good, n: base64Encode(new Uint8Array(9)) }, 'SRE_ERR_JSON'],
    ['n of 15 bytes', { ...good, n: base64Encode(new Uint8Array(15)) }, 'SRE_ERR_JSON'],
    ['n as a number', { ...good, n: 12 }, 'SRE_ERR_JSON'],
    ['c of 31 bytes', { ...good, c: base64Encode(new Uint8Array(31)) }, 'SRE_ERR_JSON'],
    ['c of 177 bytes', { ...good, c: base64Encode(new Uint8Array(177)) }, 'SRE_ERR_JSON'],
    ['c with non-zero unused bits', { ...good, c: c32.replace(/A=$/, 'B=') }, 'SRE_ERR_BASE64'],
    ['ack with r', { t: 'ack', v: 2, e: 1, r: 0 }, 'SRE_ERR_JSON'],
    ['ack e 0', { t: 'ack', v: 2, e: 0 }, 'SRE_ERR_JSON'],
    ['ack v1', { t: 'ack', v: 1, g: 1 }, 'SRE_ERR_VERSION'],
    ['ack with g', { t: 'ack', v: 2, g: 1 }, 'SRE_ERR_JSON'],
    ['chat c too short', { t: 'chat', v: 2, e: 1, r: 0, n, c: base64Encode(new Uint8Array(29)) }, 'SRE_ERR_JSON'],
    ['chat c too long', { t: 'chat', v: 2, e: 1, r: 0, n, c: base64Encode(new Uint8Array(4126)) }, 'SRE_ERR_JSON'],
    ['lone surrogate escape', '{"t":"key","v":2,"e":1,"r":0,"n":"\\ud800","c":"' + c32 + '"}', 'SRE_ERR_JSON'],
    ['NUL escape', '{"t":"k\\u0000ey","v":1}', 'SRE_ERR_JSON'],
    ['too long', '{"t":"key","v":1,"x":"' + 'A'.repeat(24000) + '"}', 'SRE_ERR_JSON'],
  ];
  for (const [what, p, status] of cases) assert.throws(() => parsePayload(p), { status }, what);
  // KEY_LENGTH is for the opener: the parse itself accepts r = 1 with 32 bytes.
  assert.equal(parsePayload({ ...good, r: 1 }).step, 1);
  assert.deepEqual(parseJson('{"a":[1,2.5,{"b":true}],"c":null}').a[0], 1);
  assert.equal(parsePayload('{"t":"\\u006bey","v":2,"e":1,"r":0,"n":"' + n + '","c":"' + c32 + '"}').type, 'key');
  assert.equal(parsePayload({ t: 'chat', v: 2, e: 1, r: 0, n, c: base64Encode(new Uint8Array(4125)) }).type, 'chat');
  assert.equal(parsePayload({ t: 'chat', v: 2, e: 1, r: 0, n, c: base64Encode(new Uint8Array(30)) }).type, 'chat');
});

test('chat: seal, open, sequence numbers, hostile cases', async () => {
  const base = await ratchet(KEY16);
  const k = await chatKey(base, SID);
  const msg = { senderId: ID_A, epoch: 2, step: 1 };
  const seq = new ChatCounter();
  const p1 = await sealChat(k, { ...msg, type: CHAT_TEXT, seq: seq.next(), time: 1767225600123, body: 'hello \u{1f512}' });
  const before = Date.now();
  const p2 = await sealChat(k, { ...msg, type: CHAT_NAME, seq: seq.next(), body: 'Zoë' });
  assert.match(JSON.stringify(p1), /^\{"t":"chat","v":2,"e":2,"r":1,"n":"[^"]{16}","c":"[^"]+"\}$/);
  // The receiver finds the key from its receiver state (held or ratcheted forward).
  const r = new Receiver({ slot: 1, now: () => 0 });
  await r.addKey(2, 0, KEY16);
  const rk = await chatKey(await r.baseKeyFor(2, 1), SID);
  const inbox = new ChatSequence();
  const m1 = await openChat(rk, ID_A, p1);
  assert.deepEqual([m1.type, m1.seq, m1.time, m1.body, m1.epoch], [CHAT_TEXT, 0, 1767225600123, 'hello \u{1f512}', 2]);
  inbox.accept(ID_A, m1.seq);
  const m2 = await openChat(rk, ID_A, JSON.stringify(p2));
  assert.deepEqual([m2.type, m2.seq, m2.body], [CHAT_NAME, 1, 'Zoë']);
  assert.ok(m2.time >= before && m2.time <= Date.now(), 'the default time is the sender clock');
  inbox.accept(ID_A, m2.seq);
  // Replayed or reordered: refused by the sequence check.
  assert.throws(() => inbox.accept(ID_A, m1.seq), { status: 'SRE_ERR_REPLAY' });
  assert.throws(() => inbox.accept(ID_A, m2.seq), { status: 'SRE_ERR_REPLAY' });
  inbox.accept(ID_B, 5); // per sender
  // Re-attributed, re-labelled, tampered, wrong key: refused.
  await assert.rejects(openChat(rk, ID_B, p1), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openChat(rk, ID_A, { ...p1, r: 0 }), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openChat(rk, ID_A, { ...p1, e: 257 }), { status: 'SRE_ERR_AUTH' }); // same KID generation
  const c = base64Decode(p1.c);
  c[0] ^= 1;
  await assert.rejects(openChat(rk, ID_A, { ...p1, c: base64Encode(c) }), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openChat(await chatKey(base, 'other session'), ID_A, p1), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(openChat(await chatKey(KEY16, SID), ID_A, p1), { status: 'SRE_ERR_AUTH' });
  // Body limits and UTF-8.
  await assert.rejects(sealChat(k, { ...msg, type: CHAT_TEXT, seq: 9, body: '' }), { status: 'SRE_ERR_TOO_LARGE' });
  await assert.rejects(sealChat(k, { ...msg, type: CHAT_TEXT, seq: 9, body: 'x'.repeat(4097) }), { status: 'SRE_ERR_TOO_LARGE' });
  await assert.rejects(sealChat(k, { ...msg, type: CHAT_TEXT, seq: 9, body: fromHex('c0af') }), { status: 'SRE_ERR_UTF8' });
  await assert.rejects(sealChat(k, { ...msg, type: CHAT_TEXT, seq: 9, body: 'a\ud800' }), { status: 'SRE_ERR_UTF8' });
  await assert.rejects(sealChat(k, { ...msg, type: 3, seq: 9, body: 'x' }), { status: 'SRE_ERR_ARG' });
  const big = await sealChat(k, { ...msg, type: CHAT_TEXT, seq: 9, body: 'é'.repeat(2048) });
  assert.equal((await openChat(k, ID_A, big)).body.length, 2048);
  // A peer that seals invalid UTF-8 or an unknown type (same key): refused after authentication.
  const raw = await subtle.importKey('raw', await hkdf(new TextEncoder().encode(SID), base, new TextEncoder().encode('sealroom chat v1'), 16), 'AES-GCM', false, ['encrypt']);
  const forge = async (pt) => {
    const aad = new Uint8Array([...new TextEncoder().encode('sealroom chat v2'), ...new TextEncoder().encode(ID_A), 0, 0, 0, 2, 1]);
    const nonce = randomBytes(12);
    const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, raw, pt));
    return { t: 'chat', v: 2, e: 2, r: 1, n: base64Encode(nonce), c: base64Encode(ct) };
  };
  const T = [0, 0, 1, 0x9b, 0x7b, 0x2b, 0x30, 0x00];
  await assert.rejects(openChat(rk, ID_A, await forge(Uint8Array.of(1, 0, 0, 0, 7, ...T, 0xc0, 0xaf))), { status: 'SRE_ERR_UTF8' });
  await assert.rejects(openChat(rk, ID_A, await forge(Uint8Array.of(9, 0, 0, 0, 7, ...T, 0x41))), { status: 'SRE_ERR_JSON' });
  const ok = await openChat(rk, ID_A, await forge(Uint8Array.of(1, 0, 0, 0, 7, ...T, 0x41)));
  assert.equal(ok.time, 0x019b7b2b3000);
});

test('security code: order-independent, sensitive to every input, refuses bad rosters', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const c = await generateKeyPair();
  const [sa, sb, sc] = [randomBytes(32), randomBytes(32), randomBytes(32)]; // Ed25519 public keys
  const roster = [
    { id: ID_A, publicKey: a.publicKey, signingKey: sa },
    { id: ID_B, publicKey: b.publicKey, signingKey: sb },
    { id: ID_C, publicKey: c.publicKey, signingKey: sc },
  ];
  const code = await securityCode(SID, roster);
  assert.match(code, /^\d{5}( \d{5}){11}$/);
  assert.equal(await securityCode(SID, [roster[2], roster[0], roster[1]]), code);
  // A substituted public key, a ghost, another session: another code.
  assert.notEqual(await securityCode(SID, [roster[0], roster[1], { ...roster[2], publicKey: a.publicKey }]), code);
  assert.notEqual(await securityCode(SID, roster.slice(0, 2)), code);
  assert.notEqual(await securityCode(SID + 'x', roster), code);
  // The input layout: label, u16 length, session id, u16 count, sorted records
  // (id, public key, signing key, u16 name length, name).
  const input = securityCodeInput('s', roster);
  assert.equal(new TextDecoder().decode(input.subarray(0, 16)), 'sealroom code v3');
  assert.equal(input.length, 16 + 2 + 1 + 2 + 3 * 102);
  assert.equal(toHex(input.subarray(16, 21)), '0001730003');
  assert.equal(new TextDecoder().decode(input.subarray(21, 57)), ID_A); // "0f8f..." sorts first
  assert.equal(toHex(input.subarray(57, 89)), toHex(a.publicKey));
  assert.equal(toHex(input.subarray(89, 121)), toHex(sa));
  assert.equal(toHex(input.subarray(21 + 100, 21 + 102)), '0000');
  assert.equal(new TextDecoder().decode(input.subarray(21 + 102, 57 + 102)), ID_C);
  assert.equal(toHex(input.subarray(89 + 102, 121 + 102)), toHex(sc));
  // Names are part of it.
  const named = roster.map((m, i) => ({ ...m, name: ['Ana', '', 'Zoë'][i] }));
  const namedCode = await securityCode(SID, named);
  assert.notEqual(namedCode, code);
  assert.equal(securityCodeInput('s', named).length, 16 + 2 + 1 + 2 + 3 * 102 + 3 + 4);
  assert.notEqual(await securityCode(SID, named.map((m, i) => (i === 0 ? { ...m, name: 'Anna' } : m))), namedCode);
  assert.throws(() => securityCodeInput(SID, [{ ...roster[0], name: 'a\tb' }]), { status: 'SRE_ERR_UTF8' });
  assert.throws(() => securityCodeInput(SID, [{ ...roster[0], name: 'x'.repeat(129) }]), { status: 'SRE_ERR_TOO_LARGE' });
  assert.throws(() => securityCodeInput(SID, []), { status: 'SRE_ERR_ROSTER' });
  assert.throws(() => securityCodeInput(SID, [roster[0], { ...roster[0] }]), { status: 'SRE_ERR_ROSTER' });
  assert.throws(() => securityCodeInput('', roster), { status: 'SRE_ERR_BAD_ID' });
  assert.throws(() => securityCodeInput(SID, [{ ...roster[0], id: 'x' }]), { status: 'SRE_ERR_BAD_ID' });
  assert.throws(() => securityCodeInput(SID, [{ ...roster[0], publicKey: new Uint8Array(5) }]), { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
  const fp = await fingerprint(a.publicKey);
  assert.match(fp, /^\d{5} \d{5} \d{5} \d{5}$/);
  assert.notEqual(await fingerprint(b.publicKey), fp);
});

test('security code v3: a signing key swapped in the roster changes the code; bad signing keys are refused', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const sa = randomBytes(32);
  const sb = randomBytes(32);
  const roster = [
    { id: ID_A, publicKey: a.publicKey, signingKey: sa, name: 'Ana' },
    { id: ID_B, publicKey: b.publicKey, signingKey: sb, name: 'Bo' },
  ];
  const code = await securityCode(SID, roster);
  // Equal rosters except B's signing key (one bit): different codes.
  const forged = Uint8Array.from(sb);
  forged[0] ^= 0x80;
  const swapped = [roster[0], { ...roster[1], signingKey: forged }];
  assert.notEqual(await securityCode(SID, swapped), code);
  assert.notEqual(toHex(securityCodeInput(SID, swapped)), toHex(securityCodeInput(SID, roster)));
  // The same signing key for both, the signing keys crossed, or X25519 and
  // signing key exchanged: each another code.
  assert.notEqual(await securityCode(SID, [roster[0], { ...roster[1], signingKey: sa }]), code);
  assert.notEqual(await securityCode(SID, [{ ...roster[0], signingKey: sb }, { ...roster[1], signingKey: sa }]), code);
  assert.notEqual(await securityCode(SID, [{ ...roster[0], publicKey: sa, signingKey: a.publicKey }, roster[1]]), code);
  // Only a Uint8Array of 32 bytes is a signing key.
  for (const bad of [undefined, null, new Uint8Array(31), new Uint8Array(33), Array.from(sa), sa.buffer,
    new Uint16Array(16), toHex(sa), base64Encode(sa)]) {
    assert.throws(() => securityCodeInput(SID, [roster[0], { ...roster[1], signingKey: bad }]), { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
    await assert.rejects(securityCode(SID, [roster[0], { ...roster[1], signingKey: bad }]), { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
  }
  const { signingKey: _omitted, ...noKey } = roster[1];
  assert.throws(() => securityCodeInput(SID, [roster[0], noKey]), { status: 'SRE_ERR_BAD_PUBLIC_KEY' });
});

test('digits: rejection sampling skips chunks >= 4294900000 (10.1)', async () => {
  const info = new TextEncoder().encode('sealroom fp digits v1');
  // Search hashes until one has a skipped chunk among its first 5.
  for (let i = 0; i < 200000; i++) {
    const h = new Uint8Array(32);
    new DataView(h.buffer).setUint32(0, i);
    const stream = await hkdf(new Uint8Array(0), h, info, 64);
    const dv = new DataView(stream.buffer);
    const chunks = Array.from({ length: 16 }, (_, j) => dv.getUint32(4 * j));
    const skipAt = chunks.slice(0, 5).findIndex((x) => x >= 4294900000);
    if (skipAt < 0) continue;
    const want = chunks.filter((x) => x < 4294900000).slice(0, 4).map((x) => String(x % 100000).padStart(5, '0')).join(' ');
    assert.equal(await digits(h, 'sealroom fp digits v1', 4), want);
    assert.ok(!want.includes(String(chunks[skipAt] % 100000).padStart(5, '0')) || chunks.filter((x) => x % 100000 === chunks[skipAt] % 100000).length > 1);
    console.log(`# digits: hash #${i} skips chunk ${skipAt}`);
    // 16 chunks, 12 groups: 5 skips would need the long stream; its first 64 bytes are the same.
    const long = await hkdf(new Uint8Array(0), h, info, 8160);
    assert.equal(toHex(long.subarray(0, 64)), toHex(stream));
    return;
  }
  assert.fail('no hash with a skipped chunk found');
});
