// Key distribution at 100 participants through a real sealroomd: 100 copies
// of the meeting page's real E2EE worker (node worker threads), each with a
// WebSocket of its own, glued as the page glues them (roster events to the
// worker, the worker's relay batches to the server as `relay_batch`). All
// 100 must agree on the security code (every key message of every join
// arrived), then one leaves and every remaining participant must receive the
// new key of every other one and switch (docs/e2ee.md 8.5, 12.4).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { connectWs } from '../lib/ws.mjs';
import { sleep, until } from '../lib/wait.mjs';
import { readyWorker } from '../lib/e2ee-worker.mjs';

const N = Number(process.env.SEALROOM_SCALE_N || 100);
let s;
const people = [];
const everyone = []; // for the cleanup, the leaver too
after(async () => {
  for (const p of everyone) { try { p.ws.sock.destroy(); } catch { /* gone */ } await p.w.stop(); }
  if (s) await stopServer(s);
});

// One participant: a worker and a socket, glued like web/meeting/meeting.js.
async function participant(room, i) {
  const w = await readyWorker();
  const ws = await connectWs(s.url);
  const p = { i, w, ws, id: null, keysIn: [], errors: [] };
  everyone.push(p);
  // Every message, as it arrives, in order (the page handles `welcome` the
  // same way: the worker is started before any later message is passed on).
  ws.waiters.unshift({
    pred: (m) => {
      if (m.type === 'welcome') {
        p.id = m.participant_id;
        w.post({
          op: 'start', selfId: p.id, selfName: `P${i}`, sessionId: m.session_id, slot: m.slot,
          peers: (m.participants || []).filter((x) => x.id !== p.id).map(peerOf),
        });
        return false;
      }
      if (m.type === 'participant_joined') w.post({ op: 'joined', peer: peerOf(m.participant) });
      else if (m.type === 'participant_left') w.post({ op: 'left', id: m.participant_id });
      else if (m.type === 'relay') {
        if (m.payload && m.payload.t === 'key') p.keysIn.push({ from: m.from, e: m.payload.e, at: Date.now() });
        w.post({ op: 'relay', from: m.from, payload: m.payload });
      } else if (m.type === 'error') p.errors.push(m);
      return false;
    },
    timer: null,
  });
  w.on((m) => {
    if (m.op === 'broadcast') { ws.send({ type: 'relay_all', payload: m.payload }); return; }
    if (m.op !== 'relays') return;
    if (m.list.length === 1) ws.send({ type: 'relay', to: m.list[0].to, payload: m.list[0].payload });
    else ws.send({ type: 'relay_batch', messages: m.list });
  });
  ws.send({ type: 'join', room, name: `P${i}`, public_key: w.publicKey, signing_key: w.signingKey });
  const welcome = await ws.next((m) => m.type === 'welcome' || m.type === 'error', 10000);
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
  return p;
}

const peerOf = (x) => ({ id: x.id, slot: x.slot, publicKey: x.public_key, signingKey: x.signing_key });


test(`${N} workers through a real server: every join's keys arrive, and a leave delivers every new key`, { timeout: 240000 }, async () => {
  s = await startServer({ args: ['--rate-limit', '0', '--join-rate', '0', '--max-participants-per-ip', '0'] }); // N joins from one address
  const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'e2ee-hundred', e2ee_enabled: true, max_participants: N });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  const t0 = Date.now();
  for (let i = 0; i < N; i++) people.push(await participant('e2ee-hundred', i));
  const joinedMs = Date.now() - t0;

  // Everyone's code covers all 100 with their sealed names: every key message arrived.
  const settleMs = await until('all codes complete', () => {
    const v = people.map((p) => p.w.last('verify'));
    const done = v.filter((x) => x && x.complete && x.members.length === N).length;
    return done === N || `${done}/${N} complete`;
  }, 120000);
  const codes = new Set(people.map((p) => p.w.last('verify').code));
  assert.equal(codes.size, 1, 'all 100 see the same security code');
  for (const p of people) assert.deepEqual(p.errors, [], `P${p.i} got errors`);

  // One leaves: each of the 99 others sends its new key to the 98 remaining.
  const leaver = people.shift();
  const before = new Map(people.map((p) => [p.id, p.w.last('stats').key.epoch]));
  const mark = Date.now();
  for (const p of people) p.keysIn = p.keysIn.filter((k) => k.at < 0); // count from now
  leaver.ws.send({ type: 'leave' });
  const deliverMs = await until('every new key delivered', () => {
    const short = people.filter((p) => new Set(p.keysIn.filter((k) => k.e > (before.get(k.from) ?? 0)).map((k) => k.from)).size < N - 2);
    return short.length === 0 || `${short.length} participants still miss keys`;
  }, 60000);
  const switchMs = await until('every sender switched', () => {
    const behind = people.filter((p) => { const k = p.w.last('stats').key; return !(k.epoch > before.get(p.id) && k.pending === null); });
    return behind.length === 0 || `${behind.length} still on the old key`;
  }, 30000);
  for (const p of people) assert.deepEqual(p.errors, [], `P${p.i} got errors after the leave`);
  const messages = (N - 1) * (N - 2);
  console.log(`# ${N} joins in ${joinedMs} ms, codes complete ${settleMs} ms later; ` +
    `after one leave ${messages} key messages delivered in ${deliverMs} ms, every sender switched within ${switchMs} ms ` +
    `(${Date.now() - mark} ms in all)`);
});
