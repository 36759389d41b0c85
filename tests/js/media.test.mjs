// Media frames: sender and receiver round trips and hostile cases (docs/e2ee.md 5, 6, 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromHex, toHex, randomBytes, Status } from '../../web/e2ee/util.js';
import { encodeHeader, parseHeader, deriveSFrameKey, sframeEncryptInto } from '../../web/e2ee/sframe.js';
import { prefixLength, codecFromMimeType, CODECS } from '../../web/e2ee/codec.js';
import { encryptFrame, decryptFrame, parseFrame } from '../../web/e2ee/frame.js';
import { ReplayWindow } from '../../web/e2ee/replay.js';
import { kidMake, kidSplit, ratchet, ratchetTo, epochGeneration } from '../../web/e2ee/keys.js';
import { Sender } from '../../web/e2ee/sender.js';
import { Receiver, KEEP_OLD_MS } from '../../web/e2ee/receiver.js';

const KEY1 = fromHex('000102030405060708090a0b0c0d0e0f');
const KEY2 = fromHex('101112131415161718191a1b1c1d1e1f');

// A VP8 key frame (bit 0 of byte 0 is 0), a VP8 delta frame, an Opus packet.
const vp8Key = (n = 200) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x10 : (i * 7) & 0xff));
const vp8Delta = (n = 120) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x31 : (i * 13) & 0xff));
const opus = (n = 60) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x78 : (i * 3) & 0xff));

async function pair({ slot = 5, epoch = 1, baseKey = KEY1, now } = {}) {
  const s = await Sender.create({ slot, epoch, baseKey });
  const r = new Receiver({ slot, now: now || (() => 1000) });
  assert.equal(await r.addKey(epoch, 0, baseKey), 'added');
  return { s, r };
}

function flip(buf, i, bit = 1) {
  const c = Uint8Array.from(buf);
  c[i] ^= bit;
  return c;
}

test('codec prefix rules (5.2)', () => {
  assert.equal(prefixLength('vp8', Uint8Array.of(0x10)), 10);
  assert.equal(prefixLength('vp8', Uint8Array.of(0x11)), 3);
  assert.equal(prefixLength('opus', Uint8Array.of(0xff)), 1);
  assert.equal(prefixLength('vp9', Uint8Array.of(0x00)), 0);
  assert.equal(prefixLength('other', Uint8Array.of(0x00)), 0);
  assert.equal(prefixLength('other-audio', Uint8Array.of(0x00)), 0);
  for (const c of CODECS) assert.equal(prefixLength(c, new Uint8Array(0)), 0);
  assert.throws(() => prefixLength('h264x', Uint8Array.of(1)), { status: 'SRE_ERR_ARG' });
  assert.equal(codecFromMimeType('video/VP8'), 'vp8');
  assert.equal(codecFromMimeType('audio/opus'), 'opus');
  assert.equal(codecFromMimeType('video/VP9'), 'vp9');
  assert.equal(codecFromMimeType('video/H264'), 'other');
  assert.equal(codecFromMimeType('audio/PCMU'), 'other-audio');
  assert.equal(codecFromMimeType(undefined, 'audio'), 'other-audio');
});

test('KID layout and generations (4.5, 8.1)', () => {
  assert.equal(kidMake(0, 1, 0), 256);
  assert.equal(kidMake(1, 1, 0), 65792);
  assert.equal(kidMake(65535, 255, 255), 0xffffffff);
  assert.deepEqual(kidSplit(0x12345678), { slot: 0x1234, generation: 0x56, step: 0x78 });
  assert.equal(kidSplit(0x100000000n), null);
  assert.equal(toHex(encodeHeader(kidMake(0, 1, 0), 0)), '900100');
  assert.equal(toHex(encodeHeader(kidMake(1, 1, 0), 0)), 'a0010100');
  // The KID generation of an epoch: ((epoch - 1) mod 255) + 1.
  for (const [e, g] of [[0, 0], [1, 1], [254, 254], [255, 255], [256, 1], [300, 45], [510, 255], [511, 1], [0xffffffff, ((0xffffffff - 1) % 255) + 1]]) {
    assert.equal(epochGeneration(e), g, `epoch ${e}`);
  }
});

test('ratchet: 16 then 32 bytes, one way, ratchetTo = repeated ratchet', async () => {
  const r1 = await ratchet(KEY1);
  assert.equal(r1.length, 32);
  const r2 = await ratchet(r1);
  assert.equal(toHex(await ratchetTo(KEY1, 2)), toHex(r2));
  await assert.rejects(ratchet(new Uint8Array(20)), { status: 'SRE_ERR_KEY_LENGTH' });
});

test('round trip for every codec; the prefix stays in the clear, the rest does not', async () => {
  const { s, r } = await pair();
  const cases = [
    ['vp8', vp8Key(), 10],
    ['vp8', vp8Key(10), 10], // a key frame of exactly its prefix: empty ciphertext
    ['vp8', vp8Delta(), 3],
    ['vp8', vp8Delta(3), 3],
    ['opus', opus(), 1],
    ['opus', opus(1), 1],
    ['vp9', randomBytes(500), 0],
    ['other', randomBytes(1), 0],
    ['other-audio', randomBytes(33), 0],
  ];
  let ctr = 0n;
  for (const [codec, frame, p] of cases) {
    const wire = await s.encrypt(codec, frame);
    assert.equal(toHex(wire.subarray(0, p)), toHex(frame.subarray(0, p)), `${codec} prefix in the clear`);
    const hdr = parseHeader(wire.subarray(p));
    assert.equal(hdr.kid, 5n << 16n | 1n << 8n);
    assert.equal(hdr.ctr, ctr++, 'one counter for every track');
    assert.equal(wire.length, frame.length + hdr.len + 16);
    if (frame.length - p >= 8) {
      assert.notEqual(toHex(wire.subarray(p + hdr.len, p + hdr.len + 8)), toHex(frame.subarray(p, p + 8)));
    }
    const out = await r.decrypt(codec, wire);
    assert.ok(out.ok, `${codec}: ${out.status}`);
    assert.equal(toHex(out.data), toHex(frame));
  }
  assert.equal(r.accepted, cases.length);
  assert.deepEqual({ ...r.drops }, {});
});

test('empty frames: audio passes as DTX without a counter, video is refused both ways', async () => {
  const { s, r } = await pair();
  assert.equal((await s.encrypt('opus', new Uint8Array(0))).length, 0);
  assert.equal(s.ctr, 0n);
  await assert.rejects(s.encrypt('vp8', new Uint8Array(0)), { status: 'SRE_ERR_EMPTY_FRAME' });
  await assert.rejects(s.encrypt('vp9', new Uint8Array(0)), { status: 'SRE_ERR_EMPTY_FRAME' });
  assert.equal(s.ctr, 0n);
  const a = await r.decrypt('opus', new Uint8Array(0));
  assert.ok(a.ok);
  assert.equal(a.data.length, 0);
  const v = await r.decrypt('vp8', new Uint8Array(0));
  assert.deepEqual(v, { ok: false, status: 'SRE_ERR_EMPTY_FRAME' });
  assert.equal(r.dropCount('SRE_ERR_EMPTY_FRAME'), 1);
});

test('sender drops frames shorter than their prefix without using a counter', async () => {
  const { s } = await pair();
  await assert.rejects(s.encrypt('vp8', Uint8Array.of(0x10, 1, 2)), { status: 'SRE_ERR_FRAME_TOO_SHORT' });
  await assert.rejects(s.encrypt('vp8', Uint8Array.of(0x11, 1)), { status: 'SRE_ERR_FRAME_TOO_SHORT' });
  assert.equal(s.ctr, 0n);
  await s.encrypt('vp8', Uint8Array.of(0x11, 1, 2));
  assert.equal(s.ctr, 1n);
});

test('concurrent encryptions never share a counter', async () => {
  const { s, r } = await pair();
  const wires = await Promise.all(Array.from({ length: 50 }, (_, i) => s.encrypt(i % 2 ? 'opus' : 'vp8', i % 2 ? opus() : vp8Delta())));
  const ctrs = wires.map((w, i) => parseHeader(w.subarray(i % 2 ? 1 : 3)).ctr);
  assert.equal(new Set(ctrs.map(String)).size, 50);
  const outs = await Promise.all(wires.map((w, i) => r.decrypt(i % 2 ? 'opus' : 'vp8', w)));
  assert.ok(outs.every((o) => o.ok));
});

test('tampering with tag, ciphertext, header or prefix fails authentication and changes nothing', async () => {
  const { s, r } = await pair();
  const frame = vp8Key(300);
  const wire = await s.encrypt('vp8', frame);
  const p = 10;
  const hlen = parseHeader(wire.subarray(p)).len;
  const tampered = [
    flip(wire, wire.length - 1), // tag
    flip(wire, p + hlen + 5), // ciphertext
    flip(wire, 4), // clear prefix (dimensions)
    flip(wire, 9, 0x80),
  ];
  for (const t of tampered) assert.deepEqual(await r.decrypt('vp8', t), { ok: false, status: 'SRE_ERR_AUTH' });
  // A CTR changed in the header: another nonce, and the header is in the AAD.
  const w2 = Uint8Array.from(wire);
  w2[p] = (w2[p] & 0xf8) | 3; // CTR 0 -> 3 (config byte)
  assert.deepEqual(await r.decrypt('vp8', w2), { ok: false, status: 'SRE_ERR_AUTH' });
  assert.equal(r.dropCount('SRE_ERR_AUTH'), 5);
  // Flipping the key-frame bit moves the prefix: the header is not found.
  const w3 = flip(wire, 0);
  const st = (await r.decrypt('vp8', w3)).status;
  assert.ok(['SRE_ERR_AUTH', 'SRE_ERR_WRONG_SLOT', 'SRE_ERR_HEADER_NONMINIMAL', 'SRE_ERR_HEADER_TRUNCATED', 'SRE_ERR_NO_KEY'].includes(st), st);
  // The original still decrypts: no forged frame moved the replay window.
  const ok = await r.decrypt('vp8', wire);
  assert.ok(ok.ok);
  assert.equal(toHex(ok.data), toHex(frame));
});

test('strict mode: unencrypted frames are dropped, never passed', async () => {
  const { r } = await pair();
  const drops = [];
  for (const [codec, f] of [['vp8', vp8Key()], ['vp8', vp8Delta()], ['opus', opus()], ['vp9', randomBytes(400)], ['opus', opus(5)], ['vp8', vp8Key(12)]]) {
    const out = await r.decrypt(codec, f);
    assert.equal(out.ok, false);
    assert.equal(out.data, undefined);
    drops.push(out.status);
  }
  assert.equal(r.accepted, 0);
  const total = Object.values(r.drops).reduce((a, b) => a + b, 0);
  assert.equal(total, 6);
  assert.ok(drops.includes('SRE_ERR_FRAME_TOO_SHORT'));
});

test('frame too short for header and tag', async () => {
  const { r } = await pair();
  assert.equal((await r.decrypt('opus', new Uint8Array(17))).status, 'SRE_ERR_FRAME_TOO_SHORT');
  // 1 + 17 bytes: a prefix, a 1-byte header and 16 bytes: long enough to parse.
  const w = new Uint8Array(18);
  w[1] = 0x00; // KID 0, CTR 0: slot 0 is not slot 5
  assert.equal((await r.decrypt('opus', w)).status, 'SRE_ERR_WRONG_SLOT');
  // A header announcing 8 KID bytes in a frame with 16 bytes after the prefix.
  const w2 = new Uint8Array(1 + 1 + 16).fill(0x11);
  w2[1] = 0xf0;
  assert.equal((await r.decrypt('opus', w2)).status, 'SRE_ERR_FRAME_TOO_SHORT');
  const w3 = new Uint8Array(1 + 1 + 4 + 10).fill(0x22);
  w3[1] = 0xb0;
  assert.equal((await r.decrypt('opus', w3)).status, 'SRE_ERR_FRAME_TOO_SHORT');
});

test('wrong slot: a frame of another participant re-routed onto this track', async () => {
  const a = await Sender.create({ slot: 7, baseKey: KEY1 });
  const r = new Receiver({ slot: 5, now: () => 0 });
  await r.addKey(1, 0, KEY1); // even with the same base key
  const out = await r.decrypt('opus', await a.encrypt('opus', opus()));
  assert.deepEqual(out, { ok: false, status: 'SRE_ERR_WRONG_SLOT' });
  // KIDs above 32 bits never match a slot.
  const k = await deriveSFrameKey(KEY1, (1n << 40n) | (5n << 16n) | 256n);
  const big = await sframeEncryptInto(k, 0, Uint8Array.of(0x78), opus().subarray(1));
  assert.equal((await r.decrypt('opus', big)).status, 'SRE_ERR_WRONG_SLOT');
});

test('unknown generation, generation 0 and a step below every held one: no key', async () => {
  const { r } = await pair();
  const s2 = await Sender.create({ slot: 5, epoch: 2, baseKey: KEY2 });
  assert.equal((await r.decrypt('opus', await s2.encrypt('opus', opus()))).status, 'SRE_ERR_NO_KEY');
  const k0 = await deriveSFrameKey(KEY1, kidMake(5, 0, 0));
  const w0 = await sframeEncryptInto(k0, 0, Uint8Array.of(0x78), new Uint8Array(20));
  assert.equal((await r.decrypt('opus', w0)).status, 'SRE_ERR_NO_KEY');
  // A receiver that only ever got step 3 cannot go back to step 2 (it never held it).
  const r3 = new Receiver({ slot: 5, now: () => 0 });
  await r3.addKey(1, 3, await ratchetTo(KEY1, 3));
  const s = await Sender.create({ slot: 5, baseKey: KEY1 });
  await s.ratchet();
  await s.ratchet();
  assert.equal((await r3.decrypt('opus', await s.encrypt('opus', opus()))).status, 'SRE_ERR_NO_KEY');
  await s.ratchet();
  assert.ok((await r3.decrypt('opus', await s.encrypt('opus', opus()))).ok);
  assert.equal(r.dropCount('SRE_ERR_NO_KEY'), 2);
});

test('ratchet following from the KID: up to 16 steps, not 17; forged frames do not advance it', async () => {
  const { s, r } = await pair();
  for (let i = 0; i < 16; i++) await s.ratchet();
  assert.equal(s.step, 16);
  const w16 = await s.encrypt('opus', opus());
  // A forged frame at step 16 (bad tag) is dropped and installs nothing.
  assert.equal((await r.decrypt('opus', flip(w16, w16.length - 1))).status, 'SRE_ERR_AUTH');
  assert.deepEqual(r.heldKeys().map((k) => k.step), [0]);
  const out = await r.decrypt('opus', w16);
  assert.ok(out.ok);
  assert.equal(out.step, 16);
  assert.deepEqual(r.heldKeys().map((k) => k.step).sort((a, b) => a - b), [0, 16]);
  // From step 16, 17 steps ahead is too far, 16 is fine.
  const far = await Sender.create({ slot: 5, baseKey: KEY1 });
  for (let i = 0; i < 33; i++) await far.ratchet();
  assert.equal((await r.decrypt('opus', await far.encrypt('opus', opus()))).status, 'SRE_ERR_RATCHET_TOO_FAR');
  const near = await Sender.create({ slot: 5, baseKey: KEY1 });
  for (let i = 0; i < 32; i++) await near.ratchet();
  assert.ok((await r.decrypt('opus', await near.encrypt('opus', opus()))).ok);
  // And a fresh receiver at step 0 refuses 17 ahead.
  const { r: r0 } = await pair();
  const s17 = await Sender.create({ slot: 5, baseKey: KEY1 });
  for (let i = 0; i < 17; i++) await s17.ratchet();
  assert.equal((await r0.decrypt('opus', await s17.encrypt('opus', opus()))).status, 'SRE_ERR_RATCHET_TOO_FAR');
});

test('replay window: duplicates and too-old counters are dropped; reordering within 128 is fine', async () => {
  const w = new ReplayWindow();
  assert.equal(w.check(5), null);
  w.commit(5);
  assert.equal(w.check(5), 'SRE_ERR_REPLAY');
  assert.equal(w.check(4), null);
  w.commit(200);
  assert.equal(w.check(73), null); // age 127
  assert.equal(w.check(72), 'SRE_ERR_TOO_OLD'); // age 128
  assert.equal(w.check(5), 'SRE_ERR_TOO_OLD');
  w.commit(73);
  assert.equal(w.check(73), 'SRE_ERR_REPLAY');
  w.commit(200 + 64);
  assert.equal(w.check(200), 'SRE_ERR_REPLAY'); // kept across a 64-bit shift
  assert.equal(w.check(137), null); // age 127
  assert.equal(w.check(136), 'SRE_ERR_TOO_OLD');
  w.commit(1000);
  assert.equal(w.check(264), 'SRE_ERR_TOO_OLD');
  assert.equal(w.check(999), null);
  const max = (1n << 64n) - 1n;
  w.commit(max);
  assert.equal(w.check(max), 'SRE_ERR_REPLAY');

  const { s, r } = await pair();
  const frames = [];
  for (let i = 0; i < 200; i++) frames.push(await s.encrypt('opus', opus()));
  assert.ok((await r.decrypt('opus', frames[199])).ok);
  assert.ok((await r.decrypt('opus', frames[100])).ok); // late but within the window
  assert.equal((await r.decrypt('opus', frames[100])).status, 'SRE_ERR_REPLAY');
  assert.equal((await r.decrypt('opus', frames[199])).status, 'SRE_ERR_REPLAY');
  assert.equal((await r.decrypt('opus', frames[71])).status, 'SRE_ERR_TOO_OLD');
  assert.ok((await r.decrypt('opus', frames[72])).ok);
  assert.equal(r.dropCount('SRE_ERR_REPLAY'), 2);
  assert.equal(r.dropCount('SRE_ERR_TOO_OLD'), 1);
});

test('the same frame decrypted twice concurrently is accepted once', async () => {
  const { s, r } = await pair();
  const w = await s.encrypt('vp8', vp8Key());
  const outs = await Promise.all([r.decrypt('vp8', w), r.decrypt('vp8', w), r.decrypt('vp8', w)]);
  assert.equal(outs.filter((o) => o.ok).length, 1);
  assert.equal(r.dropCount('SRE_ERR_REPLAY'), 2);
  // Concurrent first frames of a new step share one candidate key and install it once.
  await s.ratchet();
  const ws = [];
  for (let i = 0; i < 5; i++) ws.push(await s.encrypt('opus', opus()));
  const o2 = await Promise.all(ws.map((x) => r.decrypt('opus', x)));
  assert.ok(o2.every((o) => o.ok));
  assert.deepEqual(r.heldKeys().map((k) => k.step).sort(), [0, 1]);
});

test('previous step and previous generation are kept 2 s after the newer key is used, then wiped', async () => {
  let now = 10000;
  const { s, r } = await pair({ now: () => now });
  const old0 = await s.encrypt('opus', opus());
  const old1 = await s.encrypt('opus', opus());
  await s.ratchet();
  const n0 = await s.encrypt('opus', opus());
  assert.ok((await r.decrypt('opus', n0)).ok);
  assert.equal(r.heldKeys().find((k) => k.step === 0).deadline, 10000 + KEEP_OLD_MS);
  now += 1999;
  assert.ok((await r.decrypt('opus', old0)).ok, 'late frame of the previous step');
  now += 1;
  assert.equal((await r.decrypt('opus', old1)).status, 'SRE_ERR_NO_KEY');
  assert.deepEqual(r.heldKeys().map((k) => k.step), [1]);

  // A new generation arrives by key message; the old one lives on until the
  // first frame of the new one, then 2 s.
  const pend = await s.startRotation(KEY2);
  assert.equal(pend.generation, 2);
  assert.equal(await r.addKey(2, 0, KEY2), 'added');
  const g1 = await s.encrypt('opus', opus()); // still generation 1 until the switch
  assert.ok((await r.decrypt('opus', g1)).ok);
  assert.ok(r.heldKeys().every((k) => k.deadline === null), 'the pending generation gets no deadline');
  assert.equal(await s.switchToPending(), true);
  const late = await (async () => {
    // a generation-1 frame that arrives after the switch
    return g1;
  })();
  const g2 = await s.encrypt('opus', opus());
  assert.equal(s.generation, 2);
  assert.ok((await r.decrypt('opus', g2)).ok);
  const held = r.heldKeys();
  assert.equal(held.find((k) => k.generation === 1).deadline, now + KEEP_OLD_MS);
  assert.equal(held.find((k) => k.generation === 2).deadline, null);
  assert.equal((await r.decrypt('opus', late)).status, 'SRE_ERR_REPLAY');
  now += KEEP_OLD_MS;
  r.expire();
  assert.deepEqual(r.heldKeys().map((k) => k.generation), [2]);
  assert.equal(r.nextDeadline(), null);
});

test('key acceptance rules (8.6): newer, duplicate, conflict, stale, length', async () => {
  const r = new Receiver({ slot: 1, now: () => 0 });
  await assert.rejects(r.addKey(1, 0, new Uint8Array(32)), { status: 'SRE_ERR_KEY_LENGTH' });
  await assert.rejects(r.addKey(1, 1, new Uint8Array(16)), { status: 'SRE_ERR_KEY_LENGTH' });
  await assert.rejects(r.addKey(0, 0, new Uint8Array(16)), { status: 'SRE_ERR_ARG' });
  assert.equal(await r.addKey(3, 0, KEY1), 'added');
  assert.equal(await r.addKey(3, 0, KEY1), 'duplicate');
  await assert.rejects(r.addKey(3, 0, KEY2), { status: 'SRE_ERR_KEY_CONFLICT' });
  await assert.rejects(r.addKey(2, 0, KEY2), { status: 'SRE_ERR_STALE_KEY' });
  const k5 = await ratchetTo(KEY1, 5);
  assert.equal(await r.addKey(3, 5, k5), 'added'); // a rotation key after further joins
  await assert.rejects(r.addKey(3, 4, await ratchetTo(KEY1, 4)), { status: 'SRE_ERR_STALE_KEY' });
  assert.equal(await r.addKey(4, 0, KEY2), 'added');
  await assert.rejects(r.addKey(3, 6, await ratchetTo(KEY1, 6)), { status: 'SRE_ERR_STALE_KEY' });
  // Epochs do not wrap: 256 (KID generation 1) is newer than 255; 1 is stale.
  const w = new Receiver({ slot: 1, now: () => 0 });
  await w.addKey(255, 0, KEY1);
  assert.equal(await w.addKey(256, 0, KEY2), 'added');
  await assert.rejects(w.addKey(255, 1, await ratchetTo(KEY1, 1)), { status: 'SRE_ERR_STALE_KEY' });
  await assert.rejects(w.addKey(1, 0, KEY2), { status: 'SRE_ERR_STALE_KEY' });
  assert.equal(await w.addKey(0xffffffff, 0, KEY1), 'added');
  await assert.rejects(w.addKey(0x100000000, 0, KEY1), { status: 'SRE_ERR_ARG' });
  // A replayed old key message cannot bring back a wiped key.
  let now = 0;
  const { s, r: rr } = await pair({ now: () => now });
  await s.startRotation(KEY2);
  await rr.addKey(2, 0, KEY2);
  await s.switchToPending();
  assert.ok((await rr.decrypt('opus', await s.encrypt('opus', opus()))).ok);
  now += KEEP_OLD_MS;
  rr.expire();
  await assert.rejects(rr.addKey(1, 0, KEY1), { status: 'SRE_ERR_STALE_KEY' });
});

test('capacity: at most 6 keys per sender, the oldest goes first', async () => {
  const r = new Receiver({ slot: 1, now: () => 0 });
  for (let g = 1; g <= 8; g++) await r.addKey(g, 0, randomBytes(16));
  assert.deepEqual(r.heldKeys().map((k) => k.generation).sort((a, b) => a - b), [3, 4, 5, 6, 7, 8]);
});

test('baseKeyFor (chat): held, ratcheted forward up to 16, never installed', async () => {
  const r = new Receiver({ slot: 1, now: () => 0 });
  await r.addKey(1, 0, KEY1);
  assert.equal(toHex(await r.baseKeyFor(1, 0)), toHex(KEY1));
  assert.equal(toHex(await r.baseKeyFor(1, 16)), toHex(await ratchetTo(KEY1, 16)));
  await assert.rejects(r.baseKeyFor(1, 17), { status: 'SRE_ERR_RATCHET_TOO_FAR' });
  await assert.rejects(r.baseKeyFor(2, 0), { status: 'SRE_ERR_NO_KEY' });
  assert.equal(r.heldKeys().length, 1);
});

test('sender: ratchet exhaustion at 255, rotation from pending, key for a newcomer', async () => {
  const s = await Sender.create({ slot: 2, baseKey: KEY1 });
  // An unused key goes to the newcomer as it is.
  const k0 = await s.keyForNewcomer();
  assert.deepEqual([k0.epoch, k0.step, k0.rotationStarted, k0.ratcheted], [1, 0, false, false]);
  assert.equal(toHex(k0.baseKey), toHex(KEY1));
  assert.equal(s.used, false);
  await s.encrypt('opus', new Uint8Array(0)); // DTX uses no counter: still unused
  assert.equal(s.used, false);
  await s.encrypt('opus', opus());
  assert.equal(s.used, true);
  const k = await s.keyForNewcomer();
  assert.deepEqual([k.epoch, k.generation, k.step, k.rotationStarted, k.ratcheted], [1, 1, 1, false, true]);
  assert.equal(s.used, false);
  assert.equal(toHex(k.baseKey), toHex(await ratchet(KEY1)));
  assert.equal(s.step, 1);
  assert.equal(s.ctr, 0n);
  // Sealing a chat message marks the key used too.
  assert.equal(s.currentKey({ markUsed: true }).step, 1);
  assert.equal(s.used, true);
  // A rotation under way: the newcomer gets the pending key, nothing ratchets.
  const p = await s.startRotation();
  assert.equal(p.generation, 2);
  const k2 = await s.keyForNewcomer();
  assert.deepEqual([k2.epoch, k2.step], [2, 0]);
  assert.equal(toHex(k2.baseKey), toHex(p.baseKey));
  assert.equal(s.step, 1);
  // A second leave while pending: pending epoch + 1, the pending key replaced.
  const p3 = await s.startRotation(KEY2);
  assert.equal(p3.generation, 3);
  assert.equal(toHex(s.pending.baseKey), toHex(KEY2));
  assert.equal(await s.switchToPending(), true);
  assert.equal(await s.switchToPending(), false);
  assert.deepEqual([s.generation, s.step, s.kid], [3, 0, kidMake(2, 3, 0)]);
  // Step 255 of a used key: a join starts a rotation instead.
  const t = await Sender.create({ slot: 2, epoch: 255, baseKey: KEY1 });
  for (let i = 0; i < 255; i++) await t.ratchet();
  assert.equal(t.step, 255);
  await assert.rejects(t.ratchet(), { status: 'SRE_ERR_RATCHET_EXHAUSTED' });
  assert.equal((await t.keyForNewcomer()).step, 255); // unused: as it is
  t.markUsed();
  const n = await t.keyForNewcomer();
  assert.deepEqual([n.epoch, n.generation, n.step, n.rotationStarted], [256, 1, 0, true]);
  assert.equal(t.epoch, 255);
  const rot = await t.rotate(KEY2);
  assert.deepEqual([rot.epoch, rot.generation], [257, 2]); // pending epoch 256 + 1
  assert.deepEqual([t.epoch, t.generation, t.kid], [257, 2, kidMake(2, 2, 0)]);
  // The epoch never wraps.
  const u = await Sender.create({ slot: 2, epoch: 0xfffffffe, baseKey: KEY1 });
  await u.rotate();
  assert.equal(u.epoch, 0xffffffff);
  await assert.rejects(u.rotate(), { status: 'SRE_ERR_EPOCH_EXHAUSTED' });
  await assert.rejects(u.startRotation(), { status: 'SRE_ERR_EPOCH_EXHAUSTED' });
  assert.equal(u.epoch, 0xffffffff);
  await assert.rejects(Sender.create({ slot: 2, epoch: 0 }), { status: 'SRE_ERR_ARG' });
});

test('sender: counter exhaustion at 2^64 - 1', async () => {
  const s = await Sender.create({ slot: 2, baseKey: KEY1 });
  s._cur.ctr = (1n << 64n) - 2n; // white-box: reach the end without 2^64 frames
  await s.encrypt('opus', opus());
  const last = await s.encrypt('opus', opus());
  assert.equal(parseHeader(last.subarray(1)).ctr, (1n << 64n) - 1n);
  await assert.rejects(s.encrypt('opus', opus()), { status: 'SRE_ERR_CTR_EXHAUSTED' });
  await s.rotate();
  assert.equal(s.ctr, 0n);
  await s.encrypt('opus', opus());
});

test('frame.js without state: encrypt/decrypt with one key, parse', async () => {
  const key = await deriveSFrameKey(KEY1, kidMake(9, 1, 0));
  const f = vp8Key(64);
  const w = await encryptFrame(key, 'vp8', 77, f);
  const { prefixLen, header } = parseFrame('vp8', w);
  assert.equal(prefixLen, 10);
  assert.equal(header.ctr, 77n);
  assert.equal(toHex(await decryptFrame(key, 'vp8', w)), toHex(f));
  await assert.rejects(decryptFrame(key, 'vp8', flip(w, 20)), { status: 'SRE_ERR_AUTH' });
  await assert.rejects(decryptFrame(key, 'vp8', flip(w, 12)), { status: 'SRE_ERR_NO_KEY' }); // KID changed
  const other = await deriveSFrameKey(KEY1, kidMake(9, 1, 1));
  await assert.rejects(decryptFrame(other, 'vp8', w), { status: 'SRE_ERR_NO_KEY' });
  assert.equal((await decryptFrame(key, 'opus', new Uint8Array(0))).length, 0);
  assert.throws(() => parseFrame('opus', new Uint8Array(0)), { status: 'SRE_ERR_EMPTY_FRAME' });
  assert.equal(Status.REPLAY, 'SRE_ERR_REPLAY');
});

test('rotation tracker: switch on the last ack or at the 500 ms deadline (8.5)', async () => {
  const { RotationTracker } = await import('../../web/e2ee/sender.js');
  let now = 1000;
  const s = await Sender.create({ slot: 1, baseKey: KEY1 });
  const t = new RotationTracker(s, { now: () => now });
  t.keyHolders(['b', 'c', 'x']);
  // A leave of an id that never had our key: nothing.
  assert.deepEqual(await t.leave('ghost', ['b', 'c', 'x']), { send: null, to: [], switched: false });
  assert.equal(t.nextWakeup(), null);
  const r1 = await t.leave('x', ['b', 'c']);
  assert.equal(r1.send.epoch, 2);
  assert.deepEqual(r1.to, ['b', 'c']);
  assert.equal(r1.switched, false);
  assert.equal(t.deadline, 1500);
  assert.equal(t.nextWakeup(), 1500);
  // A join during the rotation gets the pending key and is waited for too.
  const j = await t.join('d', ['b', 'c', 'd']);
  assert.deepEqual([j.epoch, j.step, j.rotationStarted], [2, 0, false]);
  assert.deepEqual([...t.waiting].sort(), ['b', 'c', 'd']);
  assert.equal(await t.ack('b', 1), false); // an ack of another epoch: ignored
  assert.equal(await t.ack('y', 2), false); // from someone not waited for: ignored
  assert.equal(await t.ack('b', 2), false);
  assert.equal(await t.ack('c', 2), false);
  assert.equal(s.epoch, 1);
  assert.equal(await t.ack('d', 2), true);
  assert.equal(s.epoch, 2);
  assert.equal(t.deadline, null);
  assert.equal(t.nextWakeup(), null);
  // Acks missing: the deadline switches.
  now += 1000;
  const r2 = await t.leave('d', ['b', 'c']);
  assert.equal(r2.send.epoch, 3);
  now += 499;
  assert.equal((await t.tick()).switched, false);
  now += 1;
  const r3 = await t.tick();
  assert.deepEqual([r3.send, r3.switched], [null, true]);
  assert.equal(s.epoch, 3);
  // A leave while pending: a fresh pending key for the others; the acks of the
  // old pending key (the leaver may hold it) do not complete the rotation.
  now += 1000;
  const r4 = await t.leave('c', ['b']);
  assert.equal(r4.send.epoch, 4);
  t.keyHolders(['c']);
  now += 50;
  const r5 = await t.leave('c', ['b']); // within 100 ms of the last start: coalesced
  assert.equal(r5.send, null);
  assert.equal(t.nextWakeup(), now + 50);
  assert.equal(await t.ack('b', 4), false);
  assert.equal(s.epoch, 3);
  now += 50;
  const r6 = await t.tick();
  assert.equal(r6.send.epoch, 5);
  assert.deepEqual(r6.to, ['b']);
  assert.equal(t.deadline, now - 100 + 500, 'the deadline is not extended');
  assert.equal(await t.ack('b', 5), true);
  assert.equal(s.epoch, 5);
  // No rotation pending: a join hands out the unused key, then a used one ratchets.
  const j2 = await t.join('e', ['b', 'e']);
  assert.deepEqual([j2.epoch, j2.step], [5, 0]);
  await s.encrypt('opus', opus());
  const j3 = await t.join('f', ['b', 'e', 'f']);
  assert.deepEqual([j3.epoch, j3.step], [5, 1]);
  assert.equal(t.waiting.size, 0);
  assert.deepEqual([...t.holders].sort(), ['b', 'e', 'f']);
});
