// The meeting page's E2EE worker (web/meeting/e2ee-worker.js, in a node
// worker thread) takes each sender's signed statements in the order they
// were relayed. A statement that arrives while its sender is still being
// added (a join: the control queue derives its keys) waits in that queue;
// one that arrived later must not overtake it. It used to: once the sender
// was known, later statements went straight to the verifier while the early
// ones still waited, and the early ones were then refused as replays
// (SRE_ERR_REPLAY), their frames dropped as unsigned (a run of the Firefox
// E2EE pair test caught one); and those that came after the sender was known
// but before its verifier was made were dropped without a word.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { readyWorker } from '../lib/e2ee-worker.mjs';
import { generateKeyPair, base64Encode, Signer } from '../../web/e2ee/index.js';

const workers = [];
after(async () => { for (const w of workers) await w.stop(); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

// A sender the test plays: its ids, keys and 24 signed statements.
async function playedSender(sid, n) {
  const id = randomUUID();
  const keyPair = await Signer.generateKeyPair();
  const signer = await Signer.create({ senderId: id, sessionId: sid, keyPair });
  const statements = [];
  for (let i = 0; i < 24; i++) {
    await signer.add(1000 + n, i, new Uint8Array([n, i, 1, 2, 3]));
    statements.push(await signer.flush());
  }
  const peer = { id, slot: 10 + n, publicKey: base64Encode((await generateKeyPair()).publicKey),
    signingKey: base64Encode(keyPair.publicKey) };
  return { id, peer, statements };
}

// The statements one by one, as the page posts them while the worker is
// busy adding the sender: some before it knows the sender, some after.
async function relayAll(w, s) {
  for (const payload of s.statements) {
    w.post({ op: 'relay', from: s.id, payload });
    await sleep(1);
  }
}

test('statements relayed while the worker adds their sender are taken in order, none refused as a replay', async () => {
  const refused = [], taken = [];
  for (let n = 0; n < 4; n++) {
    const sid = `session-${randomUUID()}`;
    const s = await playedSender(sid, n);
    const v = await readyWorker();
    workers.push(v);
    // The sender is in the roster of this worker's start (a newcomer's
    // first moments), or joins a call already started.
    if (n % 2 === 0) {
      v.post({ op: 'start', selfId: randomUUID(), selfName: 'Val', sessionId: sid, slot: 1, testMode: false, peers: [s.peer] });
    } else {
      v.post({ op: 'start', selfId: randomUUID(), selfName: 'Val', sessionId: sid, slot: 1, testMode: false, peers: [] });
      await v.next('stats', () => true, 5000);
      v.post({ op: 'joined', peer: s.peer });
    }
    await relayAll(v, s);
    await sleep(1200);
    const stats = await v.next('stats', () => true, 3000);
    refused.push(stats.sign.statementsBad);
    taken.push(stats.sign.statementsTaken);
  }
  console.log(`# 4 x 24 statements relayed during their sender's addition: refused ${JSON.stringify(refused)}, taken ${JSON.stringify(taken)}`);
  assert.deepEqual(refused, [{}, {}, {}, {}], 'statements were refused');
  assert.deepEqual(taken, [24, 24, 24, 24], 'statements were lost');
});
