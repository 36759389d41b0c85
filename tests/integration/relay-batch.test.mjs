// relay_batch: one signalling message carries many relays, so that key
// distribution in an E2EE room scales to 100 participants (docs/e2ee.md
// 12.4). A leave in a room of 100 makes each of the 99 others send its new
// key to the 98 remaining: 9,702 relays, in 99 batches. Raw WebSocket
// clients stand in for the page; the server never reads the payloads.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';
import { connectWs, joinRaw } from '../lib/ws.mjs';
import { sleep, until } from '../lib/wait.mjs';

const N = 100;

async function joinAs(s, room, name) {
  const { c, welcome: w, error } = await joinRaw(s.url, room, name);
  assert.ok(w, JSON.stringify(error));
  return { c, id: w.participant_id, name };
}

const relaysIn = (p) => p.c.messages.filter((m) => m.type === 'relay');

describe('relay_batch', () => {
  let s;
  const people = [];
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0', '--join-rate', '0', '--max-participants-per-ip', '0'] }); // 100 joins from one address at once
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'batch-hundred', e2ee_enabled: true, max_participants: N });
    assert.equal(r.status, 200, r.text);
    assert.equal((await s.api('POST', '/api/v1/rooms', { friendly_url: 'batch-small', e2ee_enabled: true, max_participants: 5 })).status, 200);
  });
  after(async () => {
    for (const p of people) p.c.sock.destroy();
    await stopServer(s);
  });

  test(`${N} join an E2EE room, one leaves, the other ${N - 1} each send one batch to everyone left: all ${(N - 1) * (N - 2)} arrive`, { timeout: 30000 }, async () => {
    for (let i = 0; i < N; i++) people.push(await joinAs(s, 'batch-hundred', `P${i}`));
    const leaver = people.shift();
    leaver.c.send({ type: 'leave' });
    await until('everyone saw the leave', () => {
      const missing = people.filter((p) => !p.c.messages.some((m) => m.type === 'participant_left' && m.participant_id === leaver.id));
      return missing.length === 0 || `${missing.length} missing`;
    }, 10000);
    for (const p of people) p.c.messages.length = 0;
    const t0 = Date.now();
    // About 250 bytes of payload each, like a key message.
    for (const p of people) {
      const messages = people.filter((q) => q !== p).map((q) => ({
        to: q.id, payload: { t: 'key', e: 2, from: p.name, to: q.name, w: randomBytes(150).toString('base64') },
      }));
      p.c.send({ type: 'relay_batch', messages });
    }
    const ms = await until('every key delivered', () => {
      const short = people.filter((p) => relaysIn(p).length < N - 2);
      return short.length === 0 || `${short.length} participants still miss messages`;
    }, 10000);
    for (const p of people) {
      const got = relaysIn(p);
      assert.equal(got.length, N - 2, `${p.name} got ${got.length}`);
      const from = new Set(got.map((m) => m.from));
      assert.equal(from.size, N - 2, `${p.name}: one from each other participant`);
      assert.ok(!from.has(p.id) && !from.has(leaver.id));
      for (const m of got) {
        const sender = people.find((q) => q.id === m.from);
        assert.equal(m.payload.from, sender.name, 'from is the real sender');
        assert.equal(m.payload.to, p.name, 'only messages addressed here');
        assert.deepEqual(Object.keys(m).sort(), ['from', 'payload', 'type'], 'an ordinary relay');
      }
      assert.deepEqual(p.c.messages.filter((m) => m.type === 'error'), [], `${p.name} got errors`);
    }
    console.log(`# ${(N - 1) * (N - 2)} relays in ${N - 1} batches delivered in ${ms} ms (${Date.now() - t0} ms with checks)`);
  });

  test('order per recipient: relay, batch, relay from one sender arrive in that order', async () => {
    const [a, b, c] = people;
    for (const p of [a, b, c]) p.c.messages.length = 0;
    a.c.send({ type: 'relay', to: b.id, payload: { n: 1 } });
    a.c.send({ type: 'relay_batch', messages: [{ to: b.id, payload: { n: 2 } }, { to: c.id, payload: { n: 2 } }, { to: b.id, payload: { n: 3 } }] });
    a.c.send({ type: 'relay', to: b.id, payload: { n: 4 } });
    await until('b has 4', () => relaysIn(b).length === 4 || relaysIn(b).length, 3000);
    assert.deepEqual(relaysIn(b).map((m) => m.payload.n), [1, 2, 3, 4]);
    await until('c has 1', () => relaysIn(c).length === 1, 3000);
  });

  test('relay_all delivers one payload to everyone else as a relay, and refuses an oversized one', async () => {
    const [a, b, c] = people;
    for (const p of people) p.c.messages.length = 0;
    a.c.send({ type: 'relay_all', payload: { t: 'sig', n: 7 } });
    await until('everyone else has it', () => people.slice(1).every((p) => relaysIn(p).length === 1) || 'not yet', 5000);
    for (const p of [b, c]) assert.deepEqual(relaysIn(p)[0], { type: 'relay', from: a.id, payload: { t: 'sig', n: 7 } });
    assert.equal(relaysIn(a).length, 0, 'not echoed to the sender');
    a.c.send({ type: 'relay_all', payload: { big: 'x'.repeat(17000) } });
    const err = await a.c.next((m) => m.type === 'error', 3000);
    assert.equal(err.code, 'too_large');
    a.c.send({ type: 'relay_all' });
    assert.equal((await a.c.next((m) => m.type === 'error', 3000)).code, 'bad_message');
  });

  test('unknown recipients are skipped and counted; the rest is delivered', async () => {
    const [a, b] = people;
    for (const p of [a, b]) p.c.messages.length = 0;
    a.c.send({ type: 'relay_batch', messages: [{ to: 'nobody', payload: 1 }, { to: b.id, payload: 'x' }, { to: a.id, payload: 'self' }] });
    const err = await a.c.next((m) => m.type === 'error');
    assert.equal(err.code, 'unknown_participant');
    assert.equal(err.skipped, 2, 'the unknown id and the sender itself');
    await until('b got one', () => relaysIn(b).length === 1, 3000);
    assert.equal(relaysIn(b)[0].payload, 'x');
    assert.equal(relaysIn(a).length, 0, 'nothing to oneself');
  });

  test('bad batches get a clear error, deliver nothing, and the socket stays usable', async () => {
    const [a, b] = people;
    for (const p of [a, b]) p.c.messages.length = 0;
    const cases = [
      [{ type: 'relay_batch' }, 'bad_message', /non-empty "messages"/],
      [{ type: 'relay_batch', messages: [] }, 'bad_message', /non-empty/],
      [{ type: 'relay_batch', messages: {} }, 'bad_message', /non-empty/],
      [{ type: 'relay_batch', messages: [{ to: b.id, payload: 1 }, { to: 5, payload: 1 }] }, 'bad_message', /messages\[1\]/],
      [{ type: 'relay_batch', messages: [{ to: b.id }] }, 'bad_message', /messages\[0\]/],
      [{ type: 'relay_batch', messages: [{ to: b.id, payload: 1 }, 'x'] }, 'bad_message', /messages\[1\]/],
      // over the entry limit: max(max_participants, 100) = 100 here
      [{ type: 'relay_batch', messages: Array.from({ length: N + 1 }, () => ({ to: b.id, payload: 1 })) }, 'too_large', /at most 100 messages/],
      // one payload over 16 KiB spoils the batch
      [{ type: 'relay_batch', messages: [{ to: b.id, payload: 1 }, { to: b.id, payload: 'x'.repeat(17000) }] }, 'too_large', /messages\[1\].*16 KiB/],
    ];
    for (const [msg, code, text] of cases) {
      a.c.send(msg);
      const err = await a.c.next((m) => m.type === 'error');
      assert.equal(err.code, code, JSON.stringify(err));
      assert.match(err.message, text);
      a.c.send({ type: 'ping' });
      await a.c.next((m) => m.type === 'pong');
    }
    assert.equal(a.c.closed, false);
    await sleep(100);
    assert.equal(relaysIn(b).length, 0, 'no part of a refused batch was delivered');
    // A normal relay still works, and so does a batch.
    a.c.send({ type: 'relay', to: b.id, payload: { ok: 1 } });
    a.c.send({ type: 'relay_batch', messages: [{ to: b.id, payload: { ok: 2 } }] });
    await until('b got both', () => relaysIn(b).length === 2, 3000);
    assert.deepEqual(relaysIn(b).map((m) => m.payload.ok), [1, 2]);
  });

  test('the entry limit is max(max_participants, 100) and a relay_batch before join is refused', async () => {
    const x = await joinAs(s, 'batch-small', 'X');
    const y = await joinAs(s, 'batch-small', 'Y');
    x.c.send({ type: 'relay_batch', messages: Array.from({ length: 100 }, () => ({ to: y.id, payload: 0 })) });
    await until('y got 100', () => relaysIn(y).length === 100 || relaysIn(y).length, 3000);
    const early = await connectWs(s.url);
    early.send({ type: 'relay_batch', messages: [{ to: y.id, payload: 0 }] });
    assert.equal((await early.next()).code, 'not_joined');
    for (const p of [x, y, { c: early }]) p.c.sock.destroy();
  });

  test('a flood of batches is rate limited and bounded; the socket survives a short one', async () => {
    const [a, b] = people;
    await sleep(6000); // refill the relay bucket (burst 260 tokens at 50/s)
    for (const p of [a, b]) p.c.messages.length = 0;
    const batch = { type: 'relay_batch', messages: Array.from({ length: 99 }, () => ({ to: b.id, payload: 0 })) };
    for (let i = 0; i < 40; i++) a.c.send(batch); // 40 x (1 + 99/8) = 535 tokens at once
    await until('all answered', () => relaysIn(b).length + 99 * a.c.messages.filter((m) => m.code === 'rate_limited').length === 40 * 99 || 'waiting', 5000);
    const limited = a.c.messages.filter((m) => m.code === 'rate_limited').length;
    const delivered = relaysIn(b).length / 99;
    assert.ok(delivered >= 19 && delivered <= 21, `batches delivered at once: ${delivered}`);
    assert.equal(limited, 40 - delivered);
    a.c.send({ type: 'ping' });
    await a.c.next((m) => m.type === 'pong');
    assert.equal(a.c.closed, false);
  });
});
