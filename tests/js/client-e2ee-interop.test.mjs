// Interop of the native client's E2EE (client/e2ee_call.c, through the JSON
// line driver build/e2ee_call_driver) with the meeting page's real E2EE worker
// (web/meeting/e2ee-worker.js in node worker threads, tests/lib/e2ee-worker.mjs),
// in one room played by this test: they exchange keys, each decrypts and
// passes the sender authentication of the other's audio and video, all
// compute the same security code over the same sealed names, rotate on a
// leave, ratchet on a join, and open each other's signed chat.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

import { readyWorker } from '../lib/e2ee-worker.mjs';
import { ROOT, BIN } from '../lib/server.mjs';

// Built by `make all` next to sealroomd; a missing driver fails the test.
const DRIVER = process.env.SEALROOM_E2EE_DRIVER || join(dirname(BIN), 'e2ee_call_driver');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

const handles = [];
after(async () => { for (const h of handles) await h.stop(); });

// The C participant, with the worker harness's interface (post, on, last, next).
async function readyDriver() {
  const p = spawn(DRIVER, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const h = {
    proc: p, messages: [], listeners: [], waiters: [],
    post(m) { p.stdin.write(`${JSON.stringify(m)}\n`); },
    on(fn) { h.listeners.push(fn); },
    last(op) { for (let i = h.messages.length - 1; i >= 0; i--) if (h.messages[i].op === op) return h.messages[i]; return null; },
    all(op) { return h.messages.filter((m) => m.op === op); },
    next(op, pred = () => true, timeoutMs = 5000) {
      return new Promise((res, rej) => {
        const w = { op, pred, res, timer: setTimeout(() => { h.waiters.splice(h.waiters.indexOf(w), 1); rej(new Error(`driver: no '${op}' within ${timeoutMs} ms`)); }, timeoutMs) };
        h.waiters.push(w);
      });
    },
    async stop() {
      if (p.exitCode !== null) return;
      const done = new Promise((r) => p.once('exit', r));
      try { h.post({ op: 'quit' }); } catch { /* gone */ }
      const t = setTimeout(() => p.kill('SIGKILL'), 2000);
      await done;
      clearTimeout(t);
    },
  };
  createInterface({ input: p.stdout }).on('line', (line) => {
    const m = JSON.parse(line);
    m.at = Date.now();
    h.messages.push(m);
    for (const fn of h.listeners) fn(m);
    for (const w of [...h.waiters]) {
      if (w.op === m.op && w.pred(m)) { clearTimeout(w.timer); h.waiters.splice(h.waiters.indexOf(w), 1); w.res(m); }
    }
  });
  const ready = await h.next('ready', () => true, 5000);
  h.publicKey = ready.publicKey;
  h.signingKey = ready.signingKey;
  handles.push(h);
  return h;
}

// The server: roster, slots, relays in order, broadcasts to everyone else.
class Room {
  constructor() {
    this.sid = `session-${randomUUID()}`;
    this.members = new Map();
    this.nextSlot = 1;
  }

  route(from, list) {
    for (const { to, payload } of list) {
      const m = this.members.get(to);
      if (m) m.w.post({ op: 'relay', from, payload });
    }
  }

  peerOf(m) { return { id: m.id, slot: m.slot, publicKey: m.w.publicKey, signingKey: m.w.signingKey }; }

  async join(name, native) {
    const w = native ? await readyDriver() : await readyWorker();
    if (!native) handles.push(w);
    const m = { id: randomUUID(), slot: this.nextSlot++, w, name, native };
    w.on((msg) => {
      if (msg.op === 'relays') this.route(m.id, msg.list);
      if (msg.op === 'broadcast') this.route(m.id, [...this.members.keys()].filter((id) => id !== m.id).map((to) => ({ to, payload: msg.payload })));
    });
    const peers = [...this.members.values()].map((x) => this.peerOf(x));
    this.members.set(m.id, m);
    w.post({ op: 'start', selfId: m.id, selfName: name, sessionId: this.sid, slot: m.slot, peers });
    for (const x of this.members.values()) if (x !== m) x.w.post({ op: 'joined', peer: this.peerOf(m) });
    return m;
  }

  leave(m) {
    this.members.delete(m.id);
    for (const x of this.members.values()) x.w.post({ op: 'left', id: m.id });
  }
}

async function settledCodes(members, timeoutMs = 5000) {
  const t0 = Date.now();
  for (;;) {
    const v = members.map((m) => m.w.last('verify'));
    if (v.every((x) => x && x.complete && x.code && x.members.length === members.length) &&
        new Set(v.map((x) => x.code)).size === 1) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`codes did not settle: ${JSON.stringify(v.map((x) => x && [x.code, x.complete, x.members]))}`);
    await sleep(20);
  }
}

// A send transform of a JS worker: .send(frame) -> the wire bytes.
function sendPipe(w, kind) {
  const inp = new TransformStream(), out = new TransformStream();
  w.worker.postMessage({ op: 'stream', role: 'send', kind, rid: `send-${kind}`, owner: null, readable: inp.readable, writable: out.writable }, [inp.readable, out.writable]);
  const wr = inp.writable.getWriter();
  const outputs = [];
  (async () => { const r = out.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) break; outputs.push(new Uint8Array(x.value.data)); } })();
  let taken = 0;
  return {
    async send(frame) {
      await wr.write(frame);
      for (let t = 0; t < 2000 && outputs.length <= taken; t += 5) await sleep(5);
      return outputs.length > taken ? outputs[taken++] : null;
    },
  };
}

// A receive transform of a JS worker for a track of `owner`.
function recvPipe(w, kind, owner) {
  const inp = new TransformStream(), out = new TransformStream();
  const rid = `recv-${kind}-${owner}`;
  w.worker.postMessage({ op: 'stream', role: 'recv', kind, rid, owner, readable: inp.readable, writable: out.writable }, [inp.readable, out.writable]);
  const wr = inp.writable.getWriter();
  const h = { passed: [], deliver: (data) => wr.write({ data: data.slice().buffer, type: kind === 'video' && (data[0] & 1) === 0 ? 'key' : 'delta' }) };
  (async () => { const r = out.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) break; h.passed.push(new Uint8Array(x.value.data)); } })();
  return h;
}

const opusFrame = (i, tag) => { const b = new Uint8Array(60); b.fill(0x5a); b[0] = 0x78; b[1] = tag; b[2] = i & 0xff; return b; };
const vp8Frame = (i, key) => { const b = new Uint8Array(700); for (let k = 0; k < b.length; k++) b[k] = (k * 13 + i) & 0xff; b[0] = key ? 0x10 : 0x31; return b; };

// The C side encrypts one frame: -> wire bytes.
async function nativeEncrypt(d, codec, frame, key = false) {
  const r = d.w.next('encrypted');
  d.w.post({ op: 'encrypt', codec, key, data: hex(frame) });
  const m = await r;
  assert.equal(m.status, 0, `native encrypt failed: ${m.status}`);
  return unhex(m.data);
}

// Frames the C side passed to its decoder from `from`.
const nativeFrames = (d, from) => d.w.all('frame').filter((f) => f.from === from);

async function until(pred, what, timeoutMs = 4000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Sends n frames each way between the JS worker js and the native d, of both
// kinds, and checks that each side passes exactly the other's frames.
async function exchange(js, d, round) {
  const aSend = js.pipes.audio, vSend = js.pipes.video;
  const aRecv = js.recv.get(d.id).audio, vRecv = js.recv.get(d.id).video;
  const jsToNative = [], nativeToJs = [];
  const before = nativeFrames(d, js.id).length, passedBefore = aRecv.passed.length + vRecv.passed.length;
  for (let i = 0; i < 6; i++) {
    const a = opusFrame(i, round), v = vp8Frame(i + round, i === 0);
    for (const [pipe, frame, codec, kind] of [[aSend, a, 'opus', 'audio'], [vSend, v, 'vp8', 'video']]) {
      const wire = await pipe.send({ data: frame.slice().buffer, type: kind === 'video' && i === 0 ? 'key' : 'delta' });
      assert.ok(wire, 'the JS worker encrypted the frame');
      jsToNative.push(hex(frame));
      d.w.post({ op: 'receive', from: js.id, stream: kind === 'video' ? 1 : 0, codec, data: hex(wire) });
    }
    const na = opusFrame(i, round + 100), nv = vp8Frame(i + round + 100, i === 0);
    const wa = await nativeEncrypt(d, 'opus', na);
    const wv = await nativeEncrypt(d, 'vp8', nv, i === 0);
    aRecv.deliver(wa);
    vRecv.deliver(wv);
    nativeToJs.push(hex(na), hex(nv));
    await sleep(15);
  }
  await until(() => nativeFrames(d, js.id).length - before >= jsToNative.length, `the native side to pass ${jsToNative.length} frames of ${js.name}`);
  await until(() => aRecv.passed.length + vRecv.passed.length - passedBefore >= nativeToJs.length, `${js.name} to pass ${nativeToJs.length} native frames`);
  const got = nativeFrames(d, js.id).slice(before).map((f) => f.data);
  assert.deepEqual(got.sort(), jsToNative.sort(), 'the native side passed exactly the JS frames');
  const passed = [...aRecv.passed.slice(-6), ...vRecv.passed.slice(-6)].map(hex);
  assert.deepEqual(passed.sort(), nativeToJs.sort(), 'the JS worker passed exactly the native frames');
}

test('native C participant and browser workers: keys, frames, sender authentication, security code, rotation, ratchet, chat', async () => {
  assert.ok(existsSync(DRIVER), `${DRIVER} is not built (make all)`);
  const room = new Room();
  // Names that need the page's cleaning (spaces, an invisible character, non-ASCII).
  const a = await room.join('  Ann\u200b  Lee ', false);
  const n = await room.join('Nät  ive\tBot', true);
  const c = await room.join('Cléo', false);
  let v = await settledCodes([a, n, c]);
  const names = v[1].names;
  assert.equal(names[a.id], 'Ann Lee');
  assert.equal(names[c.id], 'Cléo');
  assert.equal(v[0].names[n.id], 'Nät ive Bot');
  console.log(`# one security code: ${v[0].code}`);

  for (const js of [a, c]) {
    js.pipes = { audio: sendPipe(js.w, 'audio'), video: sendPipe(js.w, 'video') };
    js.recv = new Map([[n.id, { audio: recvPipe(js.w, 'audio', n.id), video: recvPipe(js.w, 'video', n.id) }]]);
  }
  await sleep(100);
  await exchange(a, n, 1);
  await exchange(c, n, 2);

  // C leaves: A and the native side rotate (epoch 2), and keep exchanging.
  room.leave(c);
  await until(() => { n.w.post({ op: 'stats' }); const s = n.w.last('stats'); return s && s.epoch === 2; }, 'the native side to rotate');
  v = await settledCodes([a, n]);
  await exchange(a, n, 3);

  // D joins (a JS worker): the native side's used key ratchets; D decrypts it.
  const d = await room.join('Dee', false);
  await settledCodes([a, n, d]);
  n.w.post({ op: 'stats' });
  const s = await n.w.next('stats');
  assert.equal(s.step, 1, 'the native key ratcheted for the newcomer');
  d.pipes = { audio: sendPipe(d.w, 'audio'), video: sendPipe(d.w, 'video') };
  d.recv = new Map([[n.id, { audio: recvPipe(d.w, 'audio', n.id), video: recvPipe(d.w, 'video', n.id) }]]);
  await sleep(100);
  await exchange(d, n, 4);

  // Signed chat both ways.
  n.w.post({ op: 'chatSeal', text: 'hello from C ✓' });
  const sealed = await n.w.next('chatSeal');
  assert.ok(sealed.payload && sealed.payload.t === 'schat');
  a.w.post({ op: 'chatOpen', reqId: 1, from: n.id, payload: sealed.payload });
  const opened = await a.w.next('chatOpen', (x) => x.reqId === 1);
  assert.equal(opened.ok, true, opened.status);
  assert.equal(opened.text, 'hello from C ✓');
  a.w.post({ op: 'chatSeal', reqId: 2, text: 'hello from JS' });
  const js = await a.w.next('chatSeal', (x) => x.reqId === 2);
  n.w.post({ op: 'chatOpen', from: a.id, payload: js.payload });
  const got = await n.w.next('chatOpen');
  assert.equal(got.ok, true, got.status);
  assert.equal(got.text, 'hello from JS');

  // Nothing was dropped on the native side, and no alarm but the leaver's.
  n.w.post({ op: 'stats' });
  const fin = await n.w.next('stats');
  console.log(`# native stats: ${JSON.stringify(fin)}`);
  assert.equal(fin.signReject, 0);
  assert.equal(fin.signUnsigned, 0);
  assert.deepEqual(n.w.all('alarm').map((x) => x.reason), ['left_unverified']);
});
