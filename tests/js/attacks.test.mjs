// The attacks of the protocol review, performed against the JS library
// (web/e2ee), each shown to fail now (docs/e2ee.md 6, 8.4-8.6). The C twins
// are in tests/unit/test_e2ee_keys.c and test_e2ee_replay.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as E from '../../web/e2ee/index.js';

const SID = 'session-attacks';
const ID_P = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID_V = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const vp8 = (i) => Uint8Array.from({ length: 80 }, (_, j) => (j === 0 ? 0x31 : (i * 7 + j) & 0xff));
const opus = (i) => Uint8Array.from({ length: 40 }, (_, j) => (j === 0 ? 0x78 : (i * 3 + j) & 0xff));

async function pairwise() {
  const p = await E.generateKeyPair();
  const v = await E.generateKeyPair();
  const kpv = await E.derivePairwiseKey({ keyPair: p, id: ID_P, peerPublicKey: v.publicKey, peerId: ID_V, sessionId: SID });
  const kvp = await E.derivePairwiseKey({ keyPair: v, id: ID_V, peerPublicKey: p.publicKey, peerId: ID_P, sessionId: SID });
  return { kpv, kvp };
}

test('attack: a key message recorded at epoch e and replayed after 128+ rotations is stale', async () => {
  const { kpv, kvp } = await pairwise();
  let now = 0;
  const tx = await E.Sender.create({ slot: 3 });
  const rx = new E.Receiver({ slot: 3, now: () => now });
  const who = { senderId: ID_P, recipientId: ID_V, senderSlot: 3 };
  let recorded = null;
  let oldFrame = null;
  for (let e = 1; e <= 300; e++, now += 10) {
    if (e > 1) await tx.rotate();
    const cur = tx.currentKey();
    const payload = JSON.stringify(await E.sealKeyMessage(kpv, { ...who, epoch: cur.epoch, step: cur.step, baseKey: cur.baseKey, name: 'Pat' }));
    const k = await E.openKeyMessage(kvp, who, payload);
    assert.equal(await rx.addKey(k.epoch, k.step, k.baseKey), 'added');
    const f = await tx.encrypt('vp8', vp8(e));
    assert.ok((await rx.decrypt('vp8', f)).ok);
    if (e === 3) {
      recorded = payload;
      oldFrame = f;
    }
  }
  now += 5000; // every superseded key expired
  // The replay: epoch 3 is generation 3; the current epoch 300 is generation
  // 45, 213 ahead in the old 8-bit ring, so v1 took it as newer.
  const k = await E.openKeyMessage(kvp, who, recorded);
  assert.equal(k.epoch, 3);
  await assert.rejects(rx.addKey(k.epoch, k.step, k.baseKey), { status: 'SRE_ERR_STALE_KEY' });
  assert.equal((await rx.decrypt('vp8', oldFrame)).status, 'SRE_ERR_NO_KEY', 'old frames do not decrypt again');
  // The genuine next key is accepted and used.
  const next = await tx.startRotation();
  assert.equal(await rx.addKey(next.epoch, 0, next.baseKey), 'added');
  await tx.switchToPending();
  const out = await rx.decrypt('vp8', await tx.encrypt('vp8', vp8(999)));
  assert.ok(out.ok);
  assert.equal(out.epoch, 301);
  await assert.rejects(rx.addKey(k.epoch, k.step, k.baseKey), { status: 'SRE_ERR_STALE_KEY' });
});

test('attack: 6+ forced rotations without frames do not evict the key in use', async () => {
  let now = 0;
  const tx = await E.Sender.create({ slot: 4 });
  const rx = new E.Receiver({ slot: 4, now: () => now });
  await rx.addKey(1, 0, tx.baseKey);
  assert.ok((await rx.decrypt('vp8', await tx.encrypt('vp8', vp8(0)))).ok);
  for (let e = 2; e <= 11; e++) {
    now += 10;
    assert.equal(await rx.addKey(e, 0, E.randomBytes(16)), 'added');
    const out = await rx.decrypt('vp8', await tx.encrypt('vp8', vp8(e)));
    assert.ok(out.ok, `after epoch ${e}: ${out.status}`);
  }
  const held = rx.heldKeys();
  assert.equal(held.length, E.RX_KEYS);
  assert.deepEqual(held.filter((k) => k.active).map((k) => k.epoch), [1]);
  assert.deepEqual(held.map((k) => k.epoch).sort((a, b) => a - b), [1, 7, 8, 9, 10, 11]);
});

test('attack: a silent sender after 17+ joins: its first chat and frame are readable by an old member', async () => {
  const tx = await E.Sender.create({ slot: 8 });
  const old = new E.Receiver({ slot: 8, now: () => 0 });
  const first = tx.currentKey();
  await old.addKey(first.epoch, first.step, first.baseKey);
  for (let j = 0; j < 20; j++) {
    const k = await tx.keyForNewcomer();
    assert.deepEqual([k.epoch, k.step, k.ratcheted], [1, 0, false]);
  }
  // Its first chat: sealed under the current key (marked used), opened by the old member.
  const cur = tx.currentKey({ markUsed: true });
  const payload = await E.sealChat(await E.chatKey(cur.baseKey, SID), {
    senderId: ID_P, epoch: cur.epoch, step: cur.step, type: E.CHAT_TEXT, seq: 0, body: 'still here',
  });
  const p = E.parsePayload(payload);
  const m = await E.openChat(await E.chatKey(await old.baseKeyFor(p.epoch, p.step), SID), ID_P, p);
  assert.equal(m.body, 'still here');
  // The next join ratchets (the key sealed a chat): the newcomer cannot read that chat.
  const k = await tx.keyForNewcomer();
  assert.deepEqual([k.step, k.ratcheted], [1, true]);
  const newcomer = new E.Receiver({ slot: 8, now: () => 0 });
  await newcomer.addKey(k.epoch, k.step, k.baseKey);
  await assert.rejects(newcomer.baseKeyFor(p.epoch, p.step), { status: 'SRE_ERR_NO_KEY' });
  // Its first frame: readable by the old member and by the newcomer.
  const f = await tx.encrypt('vp8', vp8(1));
  assert.ok((await old.decrypt('vp8', f)).ok);
  assert.ok((await newcomer.decrypt('vp8', f)).ok);
});

test('attack: a video frame late by 128+ counters of interleaved audio is accepted; replays are not', async () => {
  const tx = await E.Sender.create({ slot: 6 });
  const rx = new E.Receiver({ slot: 6, now: () => 0 });
  await rx.addKey(1, 0, tx.baseKey);
  const late = await tx.encrypt('vp8', vp8(0)); // CTR 0
  const v1 = await tx.encrypt('vp8', vp8(1)); // CTR 1
  let lastAudio = null;
  for (let i = 0; i < 200; i++) {
    lastAudio = await tx.encrypt('opus', opus(i));
    assert.ok((await rx.decrypt('opus', lastAudio)).ok);
  }
  assert.ok((await rx.decrypt('vp8', v1)).ok);
  const out = await rx.decrypt('vp8', late);
  assert.ok(out.ok, `late video frame: ${out.status}`);
  assert.deepEqual(out.data, vp8(0));
  assert.equal((await rx.decrypt('vp8', late)).status, 'SRE_ERR_REPLAY');
  assert.equal((await rx.decrypt('opus', lastAudio)).status, 'SRE_ERR_REPLAY');
  // Moved between kinds: the clear prefix differs, so authentication fails.
  const v2 = await tx.encrypt('vp8', vp8(2));
  assert.equal((await rx.decrypt('opus', v2)).ok, false);
  assert.ok((await rx.decrypt('vp8', v2)).ok);
  const a2 = await tx.encrypt('opus', opus(999));
  assert.equal((await rx.decrypt('vp8', a2)).ok, false);
  assert.ok((await rx.decrypt('opus', a2)).ok);
});

// Review of issue 8: with a window per media kind, a VP9 frame (no clear
// prefix) was accepted once as video and once more as an audio codec without
// a prefix (PCMU): same header offset, same AAD. Windows by prefix class.
test('attack: a frame of a prefix-less codec is not accepted a second time as the other kind', async () => {
  const tx = await E.Sender.create({ slot: 7 });
  const rx = new E.Receiver({ slot: 7, now: () => 0 });
  await rx.addKey(1, 0, tx.baseKey);
  for (let i = 0; i < 10; i++) {
    const f = await tx.encrypt('vp9', Uint8Array.of(0x82, 0xaa, i, 4, 5, 6, 7, 8));
    assert.ok((await rx.decrypt('vp9', f)).ok);
    assert.equal((await rx.decrypt('vp9', f)).status, 'SRE_ERR_REPLAY');
    assert.equal((await rx.decrypt('other-audio', f)).status, 'SRE_ERR_REPLAY');
    assert.equal((await rx.decrypt('other', f)).status, 'SRE_ERR_REPLAY');
  }
});

// Drives a RotationTracker with a fake clock through a ghost join/leave
// schedule, calling tick() exactly when nextWakeup() says, and records every
// leave, pending key and switch.
async function churn(periodMs, durationMs) {
  let now = 0;
  const tx = await E.Sender.create({ slot: 1 });
  const t = new E.RotationTracker(tx, { now: () => now });
  const peers = ['b', 'c'];
  t.keyHolders(peers);
  await tx.encrypt('vp8', vp8(0)); // the current key is in use
  const leaves = [];
  const switches = [];
  const made = []; // times at which a new key was made
  const apply = (r) => {
    if (r.send) made.push(now);
    if (r.switched) switches.push(now);
  };
  const runUntil = async (until) => {
    for (;;) {
      const w = t.nextWakeup();
      if (w === null || w > until) break;
      now = Math.max(now, w);
      apply(await t.tick());
    }
    now = until;
  };
  let n = 0;
  for (let at = 0; at < durationMs; at += periodMs) {
    const ghost = `ghost-${n++}`;
    await runUntil(at);
    const k = await t.join(ghost, [...peers, ghost]);
    assert.ok(k.baseKey.length === 16 || k.baseKey.length === 32);
    await runUntil(at + periodMs / 2);
    leaves.push(now);
    apply(await t.leave(ghost, peers));
    // The remaining peers ack whatever pending key they got (an ack of a key
    // made before a later leave must not complete the rotation).
    if (tx.pending) for (const id of peers) if (await t.ack(id, tx.pending.epoch)) switches.push(now);
  }
  await runUntil(durationMs + 2000);
  return { leaves, switches, made, tx };
}

function checkChurn({ leaves, switches, made }) {
  for (const l of leaves) {
    const next = switches.find((s) => s >= l);
    assert.ok(next !== undefined, `no switch after the leave at ${l} ms`);
    assert.ok(next - l <= 500, `leave at ${l} ms switched only at ${next} ms`);
  }
  // Pending keys per second: at most one per 100 ms, plus the keys made at a
  // deadline (the deadline wins over the rate limit; at most 2 per second):
  // docs/e2ee.md 8.5.
  let worst = 0;
  for (const a of made) worst = Math.max(worst, made.filter((m) => m >= a && m < a + 1000).length);
  assert.ok(worst <= 12, `${worst} keys made within one second`);
  return worst;
}

test('rotation tracker churn: ghost join/leave every 50 ms (20 leaves in 1 s)', async () => {
  const r = await churn(50, 1000);
  assert.equal(r.leaves.length, 20);
  const worst = checkChurn(r);
  console.log(`# 50 ms churn: ${r.leaves.length} leaves, ${r.switches.length} switches, ${r.made.length} keys, at most ${worst} per second`);
});

test('rotation tracker churn: ghost join/leave every 300 ms for 6 s', async () => {
  const r = await churn(300, 6000);
  assert.equal(r.leaves.length, 20);
  const worst = checkChurn(r);
  console.log(`# 300 ms churn: ${r.leaves.length} leaves, ${r.switches.length} switches, ${r.made.length} keys, at most ${worst} per second`);
});

test('rotation tracker: joins and leaves of ids that never got our key start nothing', async () => {
  let now = 0;
  const tx = await E.Sender.create({ slot: 1 });
  const t = new E.RotationTracker(tx, { now: () => now });
  t.keyHolders(['b']);
  for (let i = 0; i < 10; i++) {
    now += 10;
    assert.deepEqual(await t.leave(`never-${i}`, ['b']), { send: null, to: [], switched: false });
  }
  assert.equal(t.nextWakeup(), null);
  assert.equal(tx.pending, null);
  assert.equal(tx.epoch, 1);
});

// Review finding: a join between a rate-limited leave and the coalesced fresh
// key was left out of that key's recipients, so the newcomer never got the
// sender's next key (and its own later leave started no rotation).
test('rotation tracker: a join during a coalesced rotation gets the fresh key too', async () => {
  const s = await E.Sender.create({ slot: 1 });
  let now = 0;
  const t = new E.RotationTracker(s, { now: () => now });
  t.keyHolders(['A', 'L1', 'L2']);
  await s.encrypt('opus', new Uint8Array([0x78, 1, 2, 3]));
  let r = await t.leave('L1', ['A', 'L2'], 0);
  await t.ack('A', r.send.epoch);
  assert.equal(await t.ack('L2', r.send.epoch), true);
  await s.encrypt('opus', new Uint8Array([0x78, 1, 2, 3]));
  now = 50;
  r = await t.leave('L2', ['A'], 50);
  assert.equal(r.send, null, 'coalesced: no key yet');
  now = 60;
  await t.join('N', ['A', 'N'], 60);
  now = 100;
  r = await t.tick(100);
  assert.ok(r.send, 'the fresh key is made');
  assert.deepEqual([...r.to].sort(), ['A', 'N'], 'the newcomer gets the fresh key');
  assert.ok(t.holders.has('N'));
  now = 120;
  assert.equal(await t.ack('A', r.send.epoch), false, 'still waiting for the newcomer');
  assert.equal(await t.ack('N', r.send.epoch), true);
});
