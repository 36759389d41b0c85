// The attacks of a hostile server on the meeting page's real E2EE worker
// (web/meeting/e2ee-worker.js, in node worker threads), driven with the
// page's own messages. The test plays the server: it routes relays, makes up
// roster events, drops acks and replays recorded key messages. Each test
// performs one attack of the review (docs/e2ee.md 12) and shows it now fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { readyWorker } from '../lib/e2ee-worker.mjs';
import { generateKeyPair, base64Encode, Signer } from '../../web/e2ee/index.js';

const workers = [];
after(async () => { for (const w of workers) await w.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The server: members, slots, relay routing with a filter the attack sets.
class Room {
  constructor() {
    this.sid = `session-${randomUUID()}`;
    this.members = new Map(); // id -> {id, slot, w, name}
    this.nextSlot = 1;
    this.filter = () => true;   // (from, to, payload) -> deliver?
    this.sent = [];             // every relay made: {from, to, payload, at}
  }

  route(from, list) {
    for (const { to, payload } of list) {
      this.sent.push({ from, to, payload, at: Date.now() });
      if (!this.filter(from, to, payload)) continue;
      const m = this.members.get(to);
      if (m && m.w) m.w.post({ op: 'relay', from, payload });
    }
  }

  peerOf(m) { return { id: m.id, slot: m.slot, publicKey: m.publicKey, signingKey: m.signingKey }; }

  // An honest join: the newcomer gets the roster, everyone else `joined`.
  async join(name, { testMode = false } = {}) {
    const w = await readyWorker();
    workers.push(w);
    const m = { id: randomUUID(), slot: this.nextSlot++, w, name, publicKey: w.publicKey, signingKey: w.signingKey };
    w.on((msg) => {
      if (msg.op === 'relays') this.route(m.id, msg.list);
      if (msg.op === 'broadcast') this.route(m.id, [...this.members.keys()].filter((id) => id !== m.id).map((to) => ({ to, payload: msg.payload })));
    });
    const peers = [...this.members.values()].map((x) => this.peerOf(x));
    this.members.set(m.id, m);
    w.post({ op: 'start', selfId: m.id, selfName: name, sessionId: this.sid, slot: m.slot, testMode, peers });
    for (const x of this.members.values()) if (x !== m && x.w) x.w.post({ op: 'joined', peer: this.peerOf(m) });
    return m;
  }

  leave(m) {
    this.members.delete(m.id);
    for (const x of this.members.values()) if (x.w) x.w.post({ op: 'left', id: m.id });
  }

  // A participant the server makes up: with a key of its own (it then gets
  // everyone's keys, like any member) or without one (it gets nothing).
  async ghost({ keyed }) {
    const g = { id: randomUUID(), slot: this.nextSlot++, w: null, name: 'ghost' };
    g.publicKey = keyed ? base64Encode((await generateKeyPair()).publicKey) : undefined;
    g.signingKey = keyed ? base64Encode((await Signer.generateKeyPair()).publicKey) : undefined;
    return g;
  }

  tell(m, op, extra) { m.w.post({ op, ...extra }); }
}

// Resolves when every member's latest verify is complete; returns the codes.
async function settledCodes(members, timeoutMs = 5000) {
  const t0 = Date.now();
  for (;;) {
    const v = members.map((m) => m.w.last('verify'));
    if (v.every((x) => x && x.complete && x.code && x.members.length === members.length)) return v.map((x) => x.code);
    if (Date.now() - t0 > timeoutMs) throw new Error(`codes did not settle: ${JSON.stringify(v)}`);
    await sleep(20);
  }
}

// The worker's latest verify once it satisfies pred (it may already have).
async function verifyWhen(w, pred, timeoutMs = 5000) {
  const t0 = Date.now();
  for (;;) {
    const v = w.last('verify');
    if (v && pred(v)) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`verify never satisfied the test: ${JSON.stringify(v)}`);
    await sleep(20);
  }
}

const currentEpoch = (m) => { const s = m.w.last('stats'); return s && s.key ? s.key.epoch : null; };

test('honest call: every worker computes the same complete code over the sealed names', async () => {
  const room = new Room();
  const a = await room.join('Ann'), b = await room.join('Bob'), c = await room.join('Cleo');
  const codes = await settledCodes([a, b, c]);
  assert.equal(new Set(codes).size, 1, `codes differ: ${codes}`);
  const v = b.w.last('verify');
  assert.equal(v.names[a.id], 'Ann');
  assert.equal(v.names[c.id], 'Cleo');
});

// Hole 1: the welcome gives V the server's key for P and P the server's key
// for V; later the server sends a second participant_joined with the real
// keys so that a page computing the code from its latest roster shows equal,
// honest-looking codes. The worker keeps the key it uses, raises the alarm,
// and the codes stay different.
test('hole 1: a second participant_joined with another key is refused, alarms, and the codes stay different', async () => {
  const room = new Room();
  const v = await room.join('Vic');
  const mV = await readyWorker(); workers.push(mV); // the server, as P towards V
  const mP = await readyWorker(); workers.push(mP); // the server, as V towards P
  const p = await readyWorker(); workers.push(p);   // the real P
  const pId = randomUUID(), pSlot = 7;
  // The server relays each side to its impostor (wired before anyone sends).
  const wire = (w, fromId, toW) => w.on((msg) => {
    if (msg.op === 'relays') for (const r of msg.list) toW.post({ op: 'relay', from: fromId, payload: r.payload });
  });
  wire(v.w, v.id, mV); wire(mV, pId, v.w); wire(p, pId, mP); wire(mP, v.id, p);
  // V is told P joined, with the server's key; P's welcome lists V with the server's other key.
  mV.post({ op: 'start', selfId: pId, selfName: 'Pat', sessionId: room.sid, slot: pSlot, peers: [room.peerOf(room.members.get(v.id))] });
  mP.post({ op: 'start', selfId: v.id, selfName: 'Vic', sessionId: room.sid, slot: v.slot, peers: [{ id: pId, slot: pSlot, publicKey: p.publicKey, signingKey: p.signingKey }] });
  v.w.post({ op: 'joined', peer: { id: pId, slot: pSlot, publicKey: mV.publicKey, signingKey: mV.signingKey } });
  p.post({ op: 'start', selfId: pId, selfName: 'Pat', sessionId: room.sid, slot: pSlot, peers: [{ id: v.id, slot: v.slot, publicKey: mP.publicKey, signingKey: mP.signingKey }] });
  const before = await Promise.all([
    verifyWhen(v.w, (x) => x.complete && x.members.length === 2), verifyWhen(p, (x) => x.complete && x.members.length === 2),
  ]);
  assert.notEqual(before[0].code, before[1].code, 'the substitution must show as different codes');
  // Now the "honest-looking" second join with the real keys.
  const alarmV = v.w.next('alarm'), alarmP = p.next('alarm');
  v.w.post({ op: 'joined', peer: { id: pId, slot: pSlot, publicKey: p.publicKey, signingKey: p.signingKey } });
  p.post({ op: 'joined', peer: { id: v.id, slot: v.slot, publicKey: v.publicKey, signingKey: v.signingKey } });
  assert.equal((await alarmV).reason, 'key_changed');
  assert.equal((await alarmP).reason, 'key_changed');
  await sleep(100);
  assert.equal(v.w.last('verify').code, before[0].code, "V's code must still cover the key its pairwise key uses");
  assert.equal(p.last('verify').code, before[1].code);
  assert.notEqual(v.w.last('verify').code, p.last('verify').code);
});

test('hole 1: a participant who left cannot be brought back under the same id', async () => {
  const room = new Room();
  const a = await room.join('Ann'), b = await room.join('Bob');
  await settledCodes([a, b]);
  room.leave(b); // (a leave this soon after the code also raises left_unverified)
  const alarm = a.w.next('alarm', (x) => x.reason !== 'left_unverified');
  const forged = await readyWorker(); workers.push(forged);
  a.w.post({ op: 'joined', peer: { id: b.id, slot: b.slot, publicKey: forged.publicKey, signingKey: forged.signingKey } });
  assert.equal((await alarm).reason, 'rejoined');
});

// Hole 2: after L leaves, a server that drops every ack and sends keyless
// ghost joins/leaves every 300 ms kept S on L's key for over 6 s.
test('hole 2: ghost churn cannot postpone the switch after a leave (keyless ghosts start no rotation)', async () => {
  const room = new Room();
  const s = await room.join('Sam'), v = await room.join('Val'), l = await room.join('Lou');
  await settledCodes([s, v, l]);
  room.filter = (from, to, payload) => !(to === s.id && payload.t === 'ack'); // S never gets an ack
  const e0 = currentEpoch(s);
  const t0 = Date.now();
  room.leave(l);
  const stop = Date.now() + 2500;
  let switchedAt = null;
  while (Date.now() < stop) {
    const g = await room.ghost({ keyed: false });
    s.w.post({ op: 'joined', peer: room.peerOf(g) });
    await sleep(150);
    s.w.post({ op: 'left', id: g.id });
    await sleep(150);
    if (switchedAt === null && currentEpoch(s) > e0) {
      const st = s.w.all('stats').find((x) => x.key && x.key.epoch > e0);
      switchedAt = st.at;
    }
  }
  assert.ok(switchedAt !== null, 'S never switched to a new key');
  const window = switchedAt - t0;
  console.log(`# switch ${window} ms after the leave under keyless ghost churn`);
  assert.ok(window <= 650, `switch came ${window} ms after the leave`);
  assert.equal(s.w.last('stats').rotations, 1, 'keyless ghosts must not start rotations');
});

// The same with ghosts that have keys (they get our keys, so every leave of
// one is a real leave): many leaves within one second; every leave is
// followed within the bound by a switch to a key made after it, and the rate
// of new keys stays bounded.
test('hole 2: under churn of keyed ghosts every leave is followed by a switch within 500 ms; rotations are rate-limited', async () => {
  const room = new Room();
  const s = await room.join('Sam'), v = await room.join('Val');
  await settledCodes([s, v]);
  room.filter = (from, to, payload) => !(to === s.id && payload.t === 'ack');
  const leaves = [];
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) {
    const g = await room.ghost({ keyed: true });
    s.w.post({ op: 'joined', peer: room.peerOf(g) });
    await sleep(25);
    s.w.post({ op: 'left', id: g.id });
    leaves.push(Date.now());
    await sleep(25);
  }
  await sleep(700);
  // Keys S made, by epoch, with the time they were first sent.
  const made = new Map();
  for (const r of room.sent) if (r.from === s.id && r.payload.t === 'key' && !made.has(r.payload.e)) made.set(r.payload.e, r.at);
  const switches = s.w.all('stats').filter((x) => x.key).map((x) => ({ at: x.at, epoch: x.key.epoch }));
  let worst = 0;
  const windows = [];
  for (const t of leaves) {
    // The first moment S's current key was one first sent after this leave.
    const sw = switches.find((x) => x.at >= t && (made.get(x.epoch) ?? -Infinity) >= t);
    assert.ok(sw, `no switch to a fresh key after the leave at +${t - t0} ms`);
    worst = Math.max(worst, sw.at - t);
    windows.push(sw.at - t);
  }
  windows.sort((a, b) => a - b);
  const elapsed = (Date.now() - t0) / 1000;
  console.log(`# ${leaves.length} leaves in ${((leaves.at(-1) - t0) / 1000).toFixed(2)} s: leave-to-switch median ${windows[windows.length >> 1]} ms, worst ${worst} ms; ${made.size} keys made in ${elapsed.toFixed(1)} s`);
  assert.ok(worst <= 650, `worst leave-to-switch ${worst} ms`);
  assert.ok(made.size <= Math.ceil(elapsed * 10) + 2, `too many rotations: ${made.size} in ${elapsed} s`);
});

// Hole 3 at the worker: a recorded key message replayed later is refused
// (never acknowledged), even though it authenticates.
test('hole 3: a recorded key message replayed after rotations is refused', async () => {
  const room = new Room();
  const p = await room.join('Pat'), v = await room.join('Vic');
  await settledCodes([p, v]);
  const recorded = room.sent.find((r) => r.from === p.id && r.to === v.id && r.payload.t === 'key');
  assert.ok(recorded);
  // Rotations past the receiver's table (6 keys), so that P's first key is
  // gone at V; a replay must not bring it back.
  for (let i = 0; i < 8; i++) {
    const g = await room.ghost({ keyed: true });
    p.w.post({ op: 'joined', peer: room.peerOf(g) }); v.w.post({ op: 'joined', peer: room.peerOf(g) });
    await sleep(30);
    p.w.post({ op: 'left', id: g.id }); v.w.post({ op: 'left', id: g.id });
    await sleep(170);
  }
  await sleep(400);
  const acksOf = () => room.sent.filter((r) => r.from === v.id && r.to === p.id && r.payload.t === 'ack' && r.payload.e === recorded.payload.e).length;
  assert.equal(acksOf(), 1, 'the genuine key message was acknowledged once');
  v.w.post({ op: 'relay', from: p.id, payload: recorded.payload });
  await sleep(300);
  assert.equal(acksOf(), 1, 'the replayed key message must not be accepted');
  assert.ok(currentEpoch(p) >= recorded.payload.e + 8, `P rotated: epoch ${currentEpoch(p)}`);
});

// Hole 5: a keyless roster entry no longer voids the code; it is listed apart.
test('hole 5: a keyless participant is excluded from keys and the code, which stays available', async () => {
  const room = new Room();
  const a = await room.join('Ann'), b = await room.join('Bob');
  const codes = await settledCodes([a, b]);
  const g = await room.ghost({ keyed: false });
  a.w.post({ op: 'joined', peer: room.peerOf(g) });
  const v = await a.w.next('verify', (x) => x.excluded.includes(g.id));
  assert.ok(v.complete && v.code, 'the code must stay available');
  assert.equal(v.code, codes[0], 'a keyless entry is not part of the code');
  assert.ok(!room.sent.some((r) => r.to === g.id), 'no key goes to a keyless participant');
});

// Item 8: a participant that sends nothing must stay readable after many joins.
test('item 8: a silent sender stays readable by an old member after 20 joins', async () => {
  const room = new Room();
  const q = await room.join('Quiet'), o = await room.join('Old');
  await settledCodes([q, o]);
  for (let i = 0; i < 20; i++) {
    const g = await room.ghost({ keyed: true });
    q.w.post({ op: 'joined', peer: room.peerOf(g) }); o.w.post({ op: 'joined', peer: room.peerOf(g) });
  }
  await sleep(300);
  q.w.post({ op: 'chatSeal', reqId: 1, text: 'still here' });
  const sealed = await q.w.next('chatSeal');
  assert.ok(sealed.payload, `seal failed: ${sealed.status}`);
  o.w.post({ op: 'chatOpen', reqId: 2, from: q.id, payload: sealed.payload });
  const opened = await o.w.next('chatOpen');
  assert.equal(opened.ok, true, `open failed: ${opened.status}`);
  assert.equal(opened.text, 'still here');
  assert.ok(Math.abs(opened.time - Date.now()) < 5000, 'the sender time travels sealed');
});

// Hole 7: keys are exported only in test mode, and only one's own.
test('hole 7: exportKeys gives nothing outside test mode and only the own keys in it', async () => {
  const room = new Room();
  const a = await room.join('Ann'), b = await room.join('Bob', { testMode: true });
  await settledCodes([a, b]);
  a.w.post({ op: 'exportKeys', reqId: 1 });
  assert.equal((await a.w.next('exportKeys')).keys, null);
  b.w.post({ op: 'exportKeys', reqId: 2 });
  const k = (await b.w.next('exportKeys')).keys;
  assert.ok(k && k.self && k.self.baseKey, 'own key exported in test mode');
  assert.deepEqual(Object.keys(k).sort(), ['pending', 'self']);
});

// Sender authentication (docs/e2ee-sender-auth.md): a member M holds S's
// SFrame key (every member does) and forges S's audio: frames that decrypt
// perfectly under S's key. V's worker passes S's genuine frames (listed in
// S's signed statements) and drops every forged one.
test('sender authentication: a member forging another member\'s audio is caught', async () => {
  const E = await import('../../web/e2ee/index.js');
  const room = new Room();
  const s = await room.join('Sam', { testMode: true }), v = await room.join('Val'), m = await room.join('Mal');
  await settledCodes([s, v, m]);
  // S's outgoing audio through its worker's real send transform.
  const sendIn = new TransformStream(), sendOut = new TransformStream();
  s.w.worker.postMessage({ op: 'stream', role: 'send', kind: 'audio', rid: 'send-1', owner: null,
    readable: sendIn.readable, writable: sendOut.writable }, [sendIn.readable, sendOut.writable]);
  // V's incoming track of S through its worker's real receive transform.
  const recvIn = new TransformStream(), recvOut = new TransformStream();
  v.w.worker.postMessage({ op: 'stream', role: 'recv', kind: 'audio', rid: 'recv-1', owner: s.id,
    readable: recvIn.readable, writable: recvOut.writable }, [recvIn.readable, recvOut.writable]);
  const toS = sendIn.writable.getWriter(), toV = recvIn.writable.getWriter();
  const fromS = sendOut.readable.getReader();
  const passed = [];
  (async () => { const r = recvOut.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) break; passed.push(new Uint8Array(x.value.data)); } })();

  const opus = (i, tag) => { const b = new Uint8Array(40); b[0] = 0x78; b[1] = tag; b[2] = i & 0xff; return b; };
  // M has S's current key (here through S's own test-mode export: the same key M received).
  s.w.post({ op: 'exportKeys', reqId: 1 });
  const k = (await s.w.next('exportKeys')).keys.self;
  const kid = E.kidMake(s.slot, k.generation, k.step);
  const key = await E.deriveSFrameKey(E.fromHex(k.baseKey), kid, E.SUITE_WIRE);
  let forged = 0, genuine = 0;
  for (let i = 0; i < 60; i++) {
    await toS.write({ data: opus(i, 0x01).buffer, type: 'key' });
    const enc = await fromS.read();
    const wire = new Uint8Array(enc.value.data);
    const h = E.parseFrame('opus', wire).header;
    if (i % 3 === 2) {
      // M replaces this frame with its own, under S's key and S's (KID, CTR).
      const fake = await E.encryptFrame(key, 'opus', h.ctr, opus(i, 0xee));
      await toV.write({ data: fake.buffer });
      forged++;
    } else {
      await toV.write({ data: wire.slice().buffer });
      genuine++;
    }
    // Also frames at CTRs S never used.
    if (i % 10 === 5) { await toV.write({ data: (await E.encryptFrame(key, 'opus', 100000n + BigInt(i), opus(i, 0xef))).buffer }); forged++; }
    await sleep(20);
  }
  // Every verdict is in once the hold delay has passed; stats come every second.
  const decided = (x) => x && x.sign && (x.sign.drops.reject || 0) + (x.sign.drops.unsigned || 0) >= forged;
  for (let t = 0; t < 50 && !decided(v.w.last('stats')); t++) await sleep(100);
  await sleep(300);
  const st = v.w.last('stats');
  const fakes = passed.filter((b) => b[1] === 0xee || b[1] === 0xef).length;
  const real = passed.filter((b) => b[1] === 0x01).length;
  console.log(`# forgery: ${genuine} genuine and ${forged} forged frames sent to V; V passed ${real} genuine, ${fakes} forged; ` +
    `sign drops ${JSON.stringify(st.sign.drops)}; S signs ${st.sign ? s.w.last('stats').sign.signMsPerFrame.toFixed(3) : '?'} ms/frame, ` +
    `V waits ${st.sign.verifyWaitMsPerFrame.toFixed(1)} ms/frame for the statement`);
  assert.equal(fakes, 0, 'a forged frame reached the decoder');
  assert.equal(real, genuine, 'every genuine frame passes');
  assert.equal((st.sign.drops.reject || 0) + (st.sign.drops.unsigned || 0), forged, JSON.stringify(st.sign.drops));
});

// Sender authentication of chat: M holds S's chat key (every member does) and
// writes in S's name. Sealed correctly, signed with any key but S's (or not
// signed at all), it is refused; S's own message opens.
test('sender authentication: a member forging another member\'s chat is refused', async () => {
  const E = await import('../../web/e2ee/index.js');
  const room = new Room();
  const s = await room.join('Sam', { testMode: true }), v = await room.join('Val'), m = await room.join('Mal');
  await settledCodes([s, v, m]);
  s.w.post({ op: 'chatSeal', reqId: 1, text: 'genuine' });
  const genuine = (await s.w.next('chatSeal')).payload;
  assert.equal(genuine.t, 'schat');
  s.w.post({ op: 'exportKeys', reqId: 2 });
  const k = (await s.w.next('exportKeys')).keys.self;
  const key = await E.chatKey(E.fromHex(k.baseKey), room.sid);
  const forgedInner = await E.sealChat(key, { senderId: s.id, epoch: k.epoch, step: k.step, type: E.CHAT_TEXT, seq: 1000, body: 'forged by Mal' });
  const mallory = await E.Signer.create({ senderId: s.id, sessionId: room.sid, keyPair: await E.Signer.generateKeyPair() });
  const cases = [
    ['signed by another key', await mallory.signChat(forgedInner)],
    ['not signed', forgedInner],
    ["S's signature on another message", { ...genuine, m: forgedInner }],
  ];
  let id = 10;
  for (const [what, payload] of cases) {
    v.w.post({ op: 'chatOpen', reqId: ++id, from: s.id, payload });
    const r = await v.w.next('chatOpen', (x) => x.reqId === id);
    assert.equal(r.ok, false, `${what}: opened`);
    console.log(`# forged chat (${what}): refused with ${r.status}`);
  }
  v.w.post({ op: 'chatOpen', reqId: 99, from: s.id, payload: genuine });
  const ok = await v.w.next('chatOpen', (x) => x.reqId === 99);
  assert.equal(ok.ok, true, ok.status);
  assert.equal(ok.text, 'genuine');
});

// A send transform of worker w: .send(frame) -> the wire bytes it put out
// (null if it dropped the frame).
function sendPipe(w, kind, rid) {
  const inp = new TransformStream(), out = new TransformStream();
  w.worker.postMessage({ op: 'stream', role: 'send', kind, rid, owner: null, readable: inp.readable, writable: out.writable }, [inp.readable, out.writable]);
  const wr = inp.writable.getWriter();
  const outputs = [];
  (async () => { const r = out.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) break; outputs.push(new Uint8Array(x.value.data)); } })();
  let taken = 0;
  return {
    async send(frame, waitMs = 300) {
      await wr.write(frame);
      for (let t = 0; t < waitMs && outputs.length <= taken; t += 10) await sleep(10);
      return outputs.length > taken ? outputs[taken++] : null;
    },
  };
}

// A receive transform of worker w for a track of `owner`: .deliver(frame);
// .passed: the frames it let through to the decoder.
function recvPipe(w, kind, rid, owner) {
  const inp = new TransformStream(), out = new TransformStream();
  w.worker.postMessage({ op: 'stream', role: 'recv', kind, rid, owner, readable: inp.readable, writable: out.writable }, [inp.readable, out.writable]);
  const wr = inp.writable.getWriter();
  const h = { passed: [], deliver: (frame) => wr.write(frame) };
  (async () => { const r = out.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) break; h.passed.push(new Uint8Array(x.value.data)); } })();
  return h;
}

// Review of issue 8, finding 1: the server negotiates codecs without a clear
// prefix (VP9 for S's video, PCMU on V's audio) and delivers each of S's
// signed frames twice, once on S's video and once on S's audio track. Each
// kind had its own replay window and the header offset and AAD were the
// same, so both copies passed. Now the worker takes VP8 and Opus only (in
// both directions), and the library's windows go by prefix class.
test('review finding 1: a signed frame replayed on the other media kind is not passed twice', async () => {
  const room = new Room();
  const s = await room.join('Sam'), v = await room.join('Val');
  await settledCodes([s, v]);
  const sv = sendPipe(s.w, 'video', 'send-v');
  const vVideo = recvPipe(v.w, 'video', 'recv-v', s.id);
  const vAudio = recvPipe(v.w, 'audio', 'recv-a', s.id);
  // S refuses to encrypt for a codec sealroom does not use.
  const vp9 = new Uint8Array(200); vp9[0] = 0x82; vp9[1] = 0xaa;
  assert.equal(await sv.send({ data: vp9.buffer, type: 'key', mime: 'video/VP9' }), null, 'S encrypted a VP9 frame');
  // S's VP8 frames, genuine: V passes each once on the video track and
  // nothing of them on the audio track, whatever codec the server names.
  const wires = [];
  for (let i = 0; i < 10; i++) {
    const f = new Uint8Array(200); f[0] = 0x31; f[1] = 0xaa; f[2] = i; // VP8 delta frame
    const w = await sv.send({ data: f.buffer, type: 'delta', mime: 'video/VP8' });
    assert.ok(w, 'S sent nothing');
    wires.push(w);
  }
  for (const w of wires) await vVideo.deliver({ data: w.slice().buffer, type: 'delta', mime: 'video/VP8' });
  for (const w of wires) await vVideo.deliver({ data: w.slice().buffer, type: 'delta', mime: 'video/VP8' });
  for (const mime of ['audio/PCMU', 'audio/opus', 'audio/G722']) {
    for (const w of wires) await vAudio.deliver({ data: w.slice().buffer, type: 'delta', mime });
  }
  for (const w of wires) await vVideo.deliver({ data: w.slice().buffer, type: 'delta', mime: 'video/VP9' });
  await sleep(1500);
  const mine = (b) => b[1] === 0xaa;
  const st = v.w.last('stats');
  console.log(`# cross-kind replay: V passed ${vVideo.passed.filter(mine).length} of S's 10 video frames (each delivered 3 times), ` +
    `${vAudio.passed.filter(mine).length} on its audio track; drops ${JSON.stringify(st.drops)}; S send drops ${JSON.stringify(s.w.last('stats').sendDrops)}`);
  assert.equal(vVideo.passed.filter(mine).length, 10);
  assert.equal(vAudio.passed.length, 0, 'a video frame reached the audio decoder');
  assert.equal(s.w.last('stats').sendDrops.codec, 1);
  assert.ok(st.drops.codec >= 20, JSON.stringify(st.drops));
});

// Review of issue 8, finding 2: a member sealed "Alice" followed by an
// invisible character (U+2060 and others the worker did not strip) or a
// no-break space: on screen exactly another member's name, but not equal to
// it, so the page did not add the fingerprint digits that tell two members
// with one name apart. Names are now cleaned of every default-ignorable code
// point and of extra white space before they are shown or put in the code.
test('review finding 2: a name that only adds invisible characters or spacing is the same name', async () => {
  for (const suffix of ['\u2060', '\u00ad', '\u3164', '\u00a0', ' ', '\u200b\u034f', '\ufe0f', '\u180e']) {
    const room = new Room();
    const s = await room.join('Alice'), v = await room.join('Val'), m = await room.join(`Alice${suffix}`);
    const codes = await settledCodes([s, v, m]);
    assert.equal(new Set(codes).size, 1, 'honest members disagree on the code');
    const names = v.w.last('verify').names;
    assert.equal(names[m.id], 'Alice', `U+${suffix.codePointAt(0).toString(16)}: shown as ${JSON.stringify(names[m.id])}`);
    assert.equal(names[s.id], 'Alice');
  }
  // Look-alikes in other scripts ("Аlice" with a Cyrillic А) stay distinct
  // names: the page shows every remote name with the first digits of its
  // key fingerprint (meeting.js badgeOf; tests/browser/e2ee.test.mjs).
});

// Review of issue 8, finding 3: the server lists a ghost G (with a key of
// its own) in the newcomer N's roster only. N sends G its key and media; the
// server withholds G's key message, so N's code stays incomplete and shows
// nothing, and makes G leave just before the missing-keys warning (3 s).
// N's first complete code then equals everyone else's: G listened to N's
// first seconds and no comparison can show it. Now N's worker raises a
// lasting alarm: a participant that got our key left before any complete
// code included it.
test('review finding 3: a listener shown only to the newcomer that leaves before the first complete code raises an alarm', async () => {
  const room = new Room();
  const a = await room.join('Ann'), b = await room.join('Ben');
  await settledCodes([a, b]);
  // G: a real worker the server runs, known only to N.
  const g = await readyWorker(); workers.push(g);
  const gid = randomUUID();
  room.filter = (from, to, payload) => !(from === gid); // G's own key messages never reach N
  const n = { id: randomUUID(), slot: room.nextSlot++, name: 'Nia' };
  n.w = await readyWorker(); workers.push(n.w);
  n.publicKey = n.w.publicKey; n.signingKey = n.w.signingKey;
  n.w.on((msg) => { if (msg.op === 'relays') room.route(n.id, msg.list); });
  g.on((msg) => { if (msg.op === 'relays') room.route(gid, msg.list); });
  room.members.set(n.id, n);
  const gpeer = { id: gid, slot: room.nextSlot++, publicKey: g.publicKey, signingKey: g.signingKey };
  g.post({ op: 'start', selfId: gid, selfName: 'ghost', sessionId: room.sid, slot: gpeer.slot, peers: [room.peerOf(n)] });
  room.members.set(gid, { ...gpeer, w: g, name: 'ghost' });
  n.w.post({ op: 'start', selfId: n.id, selfName: 'Nia', sessionId: room.sid, slot: n.slot, peers: [room.peerOf(a), room.peerOf(b), gpeer] });
  for (const x of [a, b]) x.w.post({ op: 'joined', peer: room.peerOf(n) });
  await sleep(2800);
  assert.equal(n.w.last('verify') && n.w.last('verify').complete, false, 'N showed a code while G was there');
  const alarm = n.w.next('alarm', (x) => x.id === gid);
  n.w.post({ op: 'left', id: gid });
  room.members.delete(gid);
  assert.equal((await alarm).reason, 'left_unverified');
  // Without G, N's code completes and equals A's and B's: only the alarm tells.
  const codes = await settledCodes([a, b, n]);
  assert.equal(new Set(codes).size, 1);
  // Variant (second review): G's key message is delivered at the last moment,
  // so that a complete code includes G for a few milliseconds, and G leaves
  // at once: no one could have compared that code. Still the alarm.
  const g2 = await readyWorker(); workers.push(g2);
  const g2id = randomUUID();
  let release = null;
  const held = [];
  room.filter = (from, to, payload) => {
    if (from !== g2id) return true;
    held.push({ to, payload });
    return false;
  };
  g2.on((msg) => { if (msg.op === 'relays') room.route(g2id, msg.list); });
  const g2peer = { id: g2id, slot: room.nextSlot++, publicKey: g2.publicKey, signingKey: g2.signingKey };
  room.members.set(g2id, { ...g2peer, w: g2, name: 'ghost2' });
  g2.post({ op: 'start', selfId: g2id, selfName: 'Ann', sessionId: room.sid, slot: g2peer.slot, peers: [room.peerOf(n)] });
  n.w.post({ op: 'joined', peer: g2peer });
  await sleep(1000);
  room.filter = () => true;
  for (const h of held) n.w.post({ op: 'relay', from: g2id, payload: h.payload });
  await n.w.next('verify', (v) => v.complete && v.members.includes(g2id));
  const alarm2 = n.w.next('alarm', (x) => x.id === g2id);
  n.w.post({ op: 'left', id: g2id });
  room.members.delete(g2id);
  const a2 = await alarm2;
  assert.equal(a2.reason, 'left_unverified');
  assert.ok(a2.ms !== null && a2.ms < 1000, JSON.stringify(a2));
  // An honest member that leaves after a complete code has included it for
  // 10 s raises nothing.
  await sleep(10200);
  const before = n.w.all('alarm').length;
  room.leave(b);
  await sleep(300);
  assert.equal(n.w.all('alarm').length, before, JSON.stringify(n.w.all('alarm')));
});
