// How long a relayed signalling message takes through sealroomd, for two
// server binaries in one run (a baseline and a candidate, alternating).
// Two raw WebSocket clients join an E2EE room on loopback; one sends a small
// relay_all (the size of a signed statement, docs/e2ee-sender-auth.md 4.3)
// every 20 ms, the other notes when each arrives. Prints p50 / p90 / max of
// the delivery delay per binary and the candidate's ratio to the baseline.
//   node bench/relay_latency.mjs BASELINE_BIN CANDIDATE_BIN [rounds]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startServer, stopServer } from '../tests/lib/server.mjs';
import { connectWs } from '../tests/lib/ws.mjs';

const [baseline, candidate, roundsArg] = process.argv.slice(2);
if (!baseline || !candidate) {
  console.error('usage: node bench/relay_latency.mjs BASELINE_BIN CANDIDATE_BIN [rounds]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg || 3);
const MESSAGES = 250;
const PERIOD_MS = 20;
const SENDERS = Number(process.env.SENDERS || 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pk = () => randomBytes(32).toString('base64');

async function join(s, room, name) {
  const c = await connectWs(s.url);
  c.sock.setNoDelay(true); // as browsers do
  c.send({ type: 'join', room, name, public_key: pk(), signing_key: pk() });
  const w = await c.next((m) => m.type === 'welcome' || m.type === 'error', 10000);
  if (w.type !== 'welcome') throw new Error(JSON.stringify(w));
  return c;
}

// One round against one binary: the delivery delays in ms.
async function round(bin) {
  const s = await startServer({ bin, args: ['--rate-limit', '0'] });
  try {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'relay-latency', e2ee_enabled: true });
    if (r.status !== 200 && r.status !== 201) throw new Error(r.text);
    const senders = [];
    for (let i = 0; i < SENDERS; i++) senders.push(await join(s, 'relay-latency', `A${i}`));
    const b = await join(s, 'relay-latency', 'B');
    await sleep(200);
    const delays = [];
    const got = new Promise((resolve) => {
      b.sock.on('data', () => {
        for (const m of b.messages.splice(0)) {
          if (m.type === 'relay' && m.payload && typeof m.payload.q === 'number') delays.push(performance.now() - m.payload.q);
        }
        if (delays.length >= MESSAGES * SENDERS) resolve();
      });
    });
    const h = randomBytes(128).toString('base64'), sig = randomBytes(64).toString('base64');
    for (let i = 0; i < MESSAGES; i++) {
      for (const a of senders) {
        a.send({ type: 'relay_all', payload: { t: 'sig', v: 1, q: performance.now(), k: 1, c: i * 8, h, s: sig } });
        await sleep(PERIOD_MS / SENDERS);
      }
    }
    await Promise.race([got, sleep(5000)]);
    for (const a of senders) a.sock.destroy();
    b.sock.destroy();
    if (delays.length < MESSAGES * SENDERS) throw new Error(`only ${delays.length}/${MESSAGES} relays arrived`);
    return delays;
  } finally {
    await stopServer(s);
  }
}

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(a.length * p))];
const all = { baseline: [], candidate: [] };
for (let i = 0; i < ROUNDS; i++) {
  all.baseline.push(...await round(baseline));
  all.candidate.push(...await round(candidate));
}
const fig = {};
for (const [k, v] of Object.entries(all)) {
  v.sort((x, y) => x - y);
  fig[k] = { p50: pct(v, 0.5), p90: pct(v, 0.9), max: v[v.length - 1] };
  console.log(`${k.padEnd(9)} ${v.length} relays: p50 ${fig[k].p50.toFixed(2)} ms, p90 ${fig[k].p90.toFixed(2)} ms, max ${fig[k].max.toFixed(2)} ms`);
}
console.log(`candidate / baseline: p50 ${(fig.candidate.p50 / fig.baseline.p50).toFixed(3)}, p90 ${(fig.candidate.p90 / fig.baseline.p90).toFixed(3)}`);
