// A whole call through the public API (web/e2ee/index.js): key exchange,
// media, a join (backward secrecy), a leave (forward secrecy), chat and
// the security code, as the meeting page's worker will drive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as E from '../../web/e2ee/index.js';

const SID = 'session-1';
const IDS = {
  A: '0f8fad5b-d9cb-469f-a165-70867728950e',
  B: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  C: '16fd2706-8baf-433b-82eb-8c7fada847da',
};
const SLOTS = { A: 1, B: 2, C: 3 };

async function participant(name) {
  return {
    name,
    id: IDS[name],
    slot: SLOTS[name],
    keyPair: await E.generateKeyPair(),
    tx: await E.Sender.create({ slot: SLOTS[name] }),
    rx: new Map(), // name -> Receiver
    pairwise: new Map(), // name -> CryptoKey
    chatIn: new E.ChatSequence(),
    chatSeq: new E.ChatCounter(),
  };
}

async function meet(p, q) {
  p.pairwise.set(q.name, await E.derivePairwiseKey({ keyPair: p.keyPair, id: p.id, peerPublicKey: q.keyPair.publicKey, peerId: q.id, sessionId: SID }));
  p.rx.set(q.name, new E.Receiver({ slot: q.slot }));
}

// p sends q its key (g, r, baseKey) through the "relay" (JSON text), q installs it and acks.
async function sendKey(p, q, { epoch, step, baseKey }) {
  const payload = JSON.stringify(await E.sealKeyMessage(p.pairwise.get(q.name), {
    senderId: p.id, recipientId: q.id, senderSlot: p.slot, epoch, step, baseKey, name: `Name ${p.name}`,
  }));
  const relayed = JSON.parse(payload); // the signalling relay delivers a JSON value
  const k = await E.openKeyMessage(q.pairwise.get(p.name), { senderId: p.id, recipientId: q.id, senderSlot: p.slot }, relayed);
  assert.equal(k.name, `Name ${p.name}`);
  await q.rx.get(p.name).addKey(k.epoch, k.step, k.baseKey);
  return E.parsePayload(E.ackPayload(k.epoch));
}

const frame = (i) => Uint8Array.from({ length: 300 }, (_, j) => (j === 0 ? 0x11 : (i * 31 + j) & 0xff));

test('a call: join with ratchet, leave with rotation, chat, security code', async () => {
  const A = await participant('A');
  const B = await participant('B');
  await meet(A, B);
  await meet(B, A);
  await sendKey(A, B, A.tx.currentKey());
  await sendKey(B, A, B.tx.currentKey());

  const beforeJoin = await A.tx.encrypt('vp8', frame(1));
  assert.ok((await B.rx.get('A').decrypt('vp8', beforeJoin)).ok);

  // C joins: A (its key encrypted a frame) ratchets and sends C the new step
  // only; B follows from the KID. B sent nothing: its key goes to C as it is.
  const C = await participant('C');
  for (const [x, y] of [[A, C], [C, A], [B, C], [C, B]]) await meet(x, y);
  await sendKey(A, C, await A.tx.keyForNewcomer());
  await sendKey(B, C, await B.tx.keyForNewcomer());
  await sendKey(C, A, { epoch: 1, step: 0, baseKey: C.tx.baseKey });
  await sendKey(C, B, { epoch: 1, step: 0, baseKey: C.tx.baseKey });
  assert.equal(A.tx.step, 1);
  assert.equal(B.tx.step, 0);
  const afterJoin = await A.tx.encrypt('vp8', frame(2));
  for (const who of [B, C]) {
    const out = await who.rx.get('A').decrypt('vp8', afterJoin);
    assert.ok(out.ok, `${who.name}: ${out.status}`);
    assert.deepEqual(out.data, frame(2));
  }
  // Backward secrecy: C cannot open what A sent before the join.
  assert.equal((await C.rx.get('A').decrypt('vp8', beforeJoin)).status, 'SRE_ERR_NO_KEY');

  // Chat from A at its current key; C can read it (joined before it was sent).
  const cur = A.tx.currentKey({ markUsed: true });
  const chat = await E.sealChat(await E.chatKey(cur.baseKey, SID), {
    senderId: A.id, epoch: cur.epoch, step: cur.step, type: E.CHAT_TEXT, seq: A.chatSeq.next(), body: 'hi all',
  });
  for (const who of [B, C]) {
    const p = E.parsePayload(chat);
    const key = await E.chatKey(await who.rx.get('A').baseKeyFor(p.epoch, p.step), SID);
    const m = await E.openChat(key, A.id, p);
    who.chatIn.accept(A.id, m.seq);
    assert.equal(m.body, 'hi all');
  }

  // Security code: equal for everyone who sees the same roster.
  const signingKeys = new Map([A, B, C].map((x) => [x.id, E.randomBytes(32)])); // Ed25519 public keys
  const roster = [A, B, C].map((x) => ({ id: x.id, publicKey: x.keyPair.publicKey, signingKey: signingKeys.get(x.id) }));
  const code = await E.securityCode(SID, roster);
  assert.equal(await E.securityCode(SID, [...roster].reverse()), code);
  const mitm = await E.generateKeyPair();
  assert.notEqual(await E.securityCode(SID, [roster[0], roster[1], { ...roster[2], publicKey: mitm.publicKey }]), code);
  // A server that swaps only C's signing key (to forge C's frames) changes the code too.
  assert.notEqual(await E.securityCode(SID, [roster[0], roster[1], { ...roster[2], signingKey: E.randomBytes(32) }]), code);

  // C leaves: A rotates to a pending epoch, sends it to B, switches on B's ack.
  const leaverKeys = C.rx.get('A');
  const pend = await A.tx.startRotation();
  const ack = await sendKey(A, B, pend);
  assert.equal(ack.epoch, pend.epoch);
  assert.equal(await A.tx.switchToPending(), true);
  const afterLeave = await A.tx.encrypt('vp8', frame(3));
  assert.ok((await B.rx.get('A').decrypt('vp8', afterLeave)).ok);
  // Forward secrecy: C's keys cannot open frames after the rotation.
  assert.equal((await leaverKeys.decrypt('vp8', afterLeave)).status, 'SRE_ERR_NO_KEY');
  // Nor chat sealed under the new epoch.
  await assert.rejects(leaverKeys.baseKeyFor(pend.epoch, 0), { status: 'SRE_ERR_NO_KEY' });
  leaverKeys.clear();

  // Every drop was counted; nothing was passed that should not have been.
  assert.equal(B.rx.get('A').accepted, 3);
  assert.deepEqual({ ...B.rx.get('A').drops }, {});
});
