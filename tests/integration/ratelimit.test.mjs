// --rate-limit (API requests per second per team, burst 2N) and
// --auth-fail-limit (failed auth attempts per minute per client IP).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assert429(r, label) {
  assert.equal(r.status, 429, `${label}: ${r.status} ${r.text}`);
  const ra = r.headers.get('retry-after');
  assert.match(ra || '', /^\d+$/, `${label}: Retry-After "${ra}"`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `${label}: Retry-After ${ra}`);
  assert.deepEqual(Object.keys(r.json || {}).sort(), ['error', 'message'], `${label}: ${r.text}`);
  assert.equal(r.json.error, 'rate-limit');
  const m = r.json.message.match(/^Too Many Attempts\. Retry after (\d+) seconds?\.$/);
  assert.ok(m, `${label}: message ${JSON.stringify(r.json.message)}`);
  assert.equal(m[1], ra, `${label}: message and Retry-After disagree`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  return Number(ra);
}

async function plain(url, headers = {}) {
  const r = await fetch(url, { headers });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

describe('--rate-limit 2', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '2', '--auth-fail-limit', '0'] }); });
  after(() => stopServer(s));

  test('a burst beyond 2N gets 429 with Retry-After and the documented body; it recovers', async () => {
    // All at once: one after another on a loaded machine they spread over
    // seconds, and the bucket (2 a second) refilled in between (a CI run
    // with two files at a time saw request 10 pass).
    const rs = await Promise.all(Array.from({ length: 10 }, () => s.api('GET', '/api/v1/rooms')));
    const statuses = rs.map((r) => r.status);
    const passed = statuses.filter((x) => x === 200).length;
    assert.ok(passed >= 4, `burst of 2N=4 must pass: ${statuses}`);
    assert.ok(passed <= 5, `too many passed: ${statuses}`);
    assert.ok(statuses.every((x) => x === 200 || x === 429), `${statuses}`);
    const retry = assert429(rs.find((r) => r.status === 429), 'a request past the burst');
    // /healthz is not an API request and is not limited
    assert.equal((await plain(s.url + '/healthz')).status, 200);
    await sleep(retry * 1000 + 100);
    const ok = await s.api('GET', '/api/v1/rooms');
    assert.equal(ok.status, 200, `after waiting Retry-After: ${ok.status} ${ok.text}`);
  });

  test('the limit applies to every API method (POST too)', async () => {
    await sleep(2100); // refill the bucket
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => s.api('POST', '/api/v1/rooms', { description: `limited ${i}` })));
    assert.ok(rs.some((r) => r.status === 429), `${rs.map((r) => r.status)}`);
    const created = rs.filter((r) => r.status === 200).length;
    for (const r of rs.filter((x) => x.status === 429)) assert429(r, 'POST');
    await sleep(2100);
    const l = await s.api('GET', '/api/v1/rooms');
    assert.equal(l.status, 200);
    assert.equal(l.json.total_count, created, 'a rate-limited POST created a room');
  });
});

describe('--auth-fail-limit 5', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--auth-fail-limit', '5', '--rate-limit', '0'] }); });
  after(() => stopServer(s));

  test('5 failed attempts get 401, the next ones 429', async () => {
    const rs = [];
    for (let i = 0; i < 8; i++) rs.push(await plain(s.url + '/api/v1/rooms', { Authorization: 'Bearer sk_wrong' + i }));
    const statuses = rs.map((r) => r.status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], `${statuses}`);
    for (let i = 5; i < 8; i++) assert429(rs[i], `attempt ${i + 1}`);
    // no credentials at all also counts as a failure and is limited now
    const none = await plain(s.url + '/api/v1/rooms');
    assert.equal(none.status, 429, `no credentials: ${none.status}`);
    assert.equal((await plain(s.url + '/healthz')).status, 200);
  });
});

describe('default limits', () => {
  let s;
  // 160 requests at once open up to 160 connections from one address: over
  // the default per-address connection cap (128), which is not under test here.
  before(async () => { s = await startServer({ args: ['--max-connections-per-ip', '512'] }); });
  after(() => stopServer(s));

  test('default --rate-limit is 50/s with a burst of 100', async () => {
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 160 }, () => s.api('GET', '/api/v1/rooms?limit=1')));
    const secs = (Date.now() - t0) / 1000;
    const ok = rs.filter((r) => r.status === 200).length;
    const limited = rs.filter((r) => r.status === 429).length;
    assert.equal(ok + limited, 160, `${rs.map((r) => r.status)}`);
    assert.ok(ok >= 100, `only ${ok} passed; burst must be 100`);
    assert.ok(ok <= 100 + Math.ceil(50 * secs) + 2, `${ok} passed in ${secs}s`);
    if (secs < 1) assert.ok(limited > 0, `no 429 among 160 in ${secs}s`);
  });

  // runs last: it locks 127.0.0.1 out for a minute
  test('default --auth-fail-limit is 30 per minute', async () => {
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push((await plain(s.url + '/api/v1/rooms', { Authorization: 'Basic Zm9vOmJhcg==' })).status);
    assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401), `${statuses}`);
    assert.equal(statuses[30], 429, `${statuses}`);
  });
});
