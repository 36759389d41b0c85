// Join/leave churn (issue 9, 1.6). Before: every join took a new 16-bit
// sender slot until the room answered room_full to everyone, for the rest
// of its session. Now a slot freed by a leave is reused 10 s later (when
// every receiver has dropped the keys that named it; tests/unit/test_slots.c
// runs 200,000 cycles), and joins with one join token are rate-limited like
// joins from one address. Beside an honest call.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { joinRaw } from '../lib/ws.mjs';
import { sleep } from '../lib/wait.mjs';
import { honestCall } from '../lib/abuse.mjs';

describe('join/leave churn', () => {
  let s, survive, stop;
  before(async () => {
    // No per-room limit: the churn itself is under test.
    ({ s, survive, stop } = await honestCall({ args: ['--room-join-rate', '0'] }));
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'churn', e2ee_enabled: true, max_participants: 10 });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }, { timeout: 60000 });
  after(async () => { if (stop) await stop(); });

  test('slots freed by leaves come back after 10 s; the room never runs out', { timeout: 60000 }, async () => {
    const stay = await joinRaw(s.url, 'churn', 'Stays');
    assert.ok(stay.welcome, JSON.stringify(stay.error));
    const slots = [];
    await survive('300 join/leave cycles', async () => {
      for (let i = 0; i < 300; i++) {
        const j = await joinRaw(s.url, 'churn', `C${i}`, { from: `127.0.5.${1 + (i % 50)}` }); // 6 joins per address: under its limit
        assert.ok(j.welcome, `cycle ${i}: ${JSON.stringify(j.error)}`);
        slots.push(j.welcome.slot);
        j.c.send({ type: 'leave' });
        j.c.sock.destroy();
      }
    });
    // Within the quarantine every join got a slot of its own ...
    assert.equal(new Set(slots).size, slots.length, 'a slot was reused within 10 s');
    assert.ok(!slots.includes(stay.welcome.slot));
    // ... and after it, the freed ones come back, oldest first.
    await sleep(10500);
    const late = await joinRaw(s.url, 'churn', 'Later');
    assert.ok(late.welcome, JSON.stringify(late.error));
    console.log(`# 300 cycles took slots ${Math.min(...slots)}..${Math.max(...slots)}; 10 s later a newcomer got slot ${late.welcome.slot}`);
    assert.equal(late.welcome.slot, slots[0]);
    late.c.sock.destroy();
    stay.c.sock.destroy();
  });

  test('joins with one join token are rate-limited (burst 50, then 5/s), from any address', { timeout: 30000 }, async () => {
    const t = await s.api('POST', '/api/v1/rooms/churn/token', { u: 'guest' });
    assert.equal(t.status, 200, t.text);
    const codes = [];
    await survive('one token, many addresses', async () => {
      for (let i = 0; i < 52; i++) {
        const j = await joinRaw(s.url, 'churn', `T${i}`, { token: t.json.token, from: `127.0.4.${1 + (i % 200)}` });
        codes.push(j.welcome ? 'welcome' : j.error.code);
        if (j.error) assert.match(j.error.message, /invitation link/);
        j.c.send({ type: 'leave' });
        j.c.sock.destroy();
      }
    });
    assert.deepEqual(codes.slice(0, 50), Array(50).fill('welcome'), JSON.stringify(codes));
    assert.deepEqual(codes.slice(50), ['rate_limited', 'rate_limited']);
  });
});
