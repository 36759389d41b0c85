// Edge cases found in review: id case, media-type matching, Allow with HEAD,
// tokens bounded by the room's expiry, pluralised Retry-After message.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, stopServer, BIN } from '../lib/server.mjs';

describe('edges', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
  after(() => stopServer(s));

  test('room ids match in any letter case, also as the after cursor', async () => {
    const r = await s.api('POST', '/api/v1/rooms', { description: 'case test' });
    assert.equal(r.status, 200);
    const upper = r.json.id.toUpperCase();
    const got = await s.api('GET', `/api/v1/rooms/${upper}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.id, r.json.id);
    const page = await s.api('GET', `/api/v1/rooms?after=${upper}`);
    assert.equal(page.status, 200, page.text);
  });

  test('only application/json (with parameters) is a JSON media type', async () => {
    for (const ct of ['application/jsonx', 'application/json-patch+json', 'text/plain', 'application/x-www-form-urlencoded']) {
      const r = await s.api('POST', '/api/v1/rooms', '{}', { 'Content-Type': ct });
      assert.equal(r.status, 415, `${ct}: ${r.text}`);
    }
    for (const ct of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const r = await s.api('POST', '/api/v1/rooms', '{}', { 'Content-Type': ct });
      assert.equal(r.status, 200, `${ct}: ${r.text}`);
    }
  });

  test('405 Allow lists HEAD wherever GET is allowed', async () => {
    const r = await s.api('PUT', '/api/v1/rooms/some-room', '{}');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, PATCH, DELETE');
  });

  test('a join token never outlives its room', async () => {
    const soon = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const room = await s.api('POST', '/api/v1/rooms', { description: 'short lived', expires_at: soon });
    assert.equal(room.status, 200, room.text);
    const t = await s.api('POST', `/api/v1/rooms/${room.json.id}/token`, {});
    assert.equal(t.status, 200, t.text);
    const claims = JSON.parse(Buffer.from(t.json.token.split('.')[1], 'base64url'));
    assert.equal(claims.exp, Math.floor(Date.parse(soon) / 1000));
    const late = await s.api('POST', `/api/v1/rooms/${room.json.id}/token`, { exp: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal(late.status, 422);
    assert.ok(late.json.errors.exp);
  });
});

describe('rate-limit message', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '1'] }); });
  after(() => stopServer(s));

  test('Retry-After and the message agree, in singular or plural', async () => {
    let last;
    for (let i = 0; i < 5; i++) last = await s.api('GET', '/api/v1/roles');
    assert.equal(last.status, 429);
    const n = Number(last.headers.get('retry-after'));
    assert.ok(n >= 1);
    assert.equal(last.json.message, `Too Many Attempts. Retry after ${n} second${n === 1 ? '' : 's'}.`);
    assert.equal(last.json.error, 'rate-limit');
  });
});

describe('review fixes', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0', '--auth-fail-limit', '3'] }); });
  after(() => stopServer(s));

  test('far-future and out-of-range expires_at values are refused, never echoed as garbage', async () => {
    for (const v of ['9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59-00:01', '2030-01-01T00:00:00+14:01', '10000-01-01T00:00:00Z']) {
      const r = await s.api('POST', '/api/v1/rooms', { expires_at: v });
      assert.equal(r.status, 422, `${v}: ${r.text}`);
      assert.ok(r.json.errors.expires_at, v);
    }
    const ok = await s.api('POST', '/api/v1/rooms', { expires_at: '9999-12-31T23:59:59Z' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.expires_at, '9999-12-31T23:59:59Z');
  });

  test('token claims: control characters, lifetime over 30 days -> 422, never 500', async () => {
    const room = (await s.api('POST', '/api/v1/rooms', {})).json;
    const ctl = await s.api('POST', `/api/v1/rooms/${room.id}/token`, { avatar: '\u0001'.repeat(1024) });
    assert.equal(ctl.status, 422, ctl.text);
    const long = await s.api('POST', `/api/v1/rooms/${room.id}/token`, { exp: Math.floor(Date.now() / 1000) + 31 * 86400 });
    assert.equal(long.status, 422, long.text);
    assert.ok(long.json.errors.exp);
    const big = await s.api('POST', `/api/v1/rooms/${room.id}/token`, { u: 'é'.repeat(127), ud: 'x'.repeat(256), avatar: 'https://e.com/' + 'a'.repeat(1000), initials: 'ÉÉÉÉÉÉÉÉ' });
    assert.equal(big.status, 200, big.text);
  });

  test('a revoked developer key stops working at once', async () => {
    const out = spawnSync(BIN, ['--data-dir', s.dataDir, '--new-key'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(out.status, 0, out.stderr);
    const key = out.stdout.match(/\n\s+(sk_\S+)/)[1];
    const other = { ...s, devKey: key };
    other.api = s.api.bind(other);
    assert.equal((await other.api('GET', '/api/v1/rooms')).status, 200);
    const list = spawnSync(BIN, ['--data-dir', s.dataDir, '--list-keys'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(list.status, 0, list.stderr);
    assert.ok(!list.stdout.includes(key), 'keys are never listed');
    const ids = [...list.stdout.matchAll(/^(\d+)\s/mg)].map((m) => Number(m[1]));
    assert.equal(ids.length, 2);
    const rev = spawnSync(BIN, ['--data-dir', s.dataDir, '--revoke-key', String(Math.max(...ids))], { encoding: 'utf8', timeout: 10000 });
    assert.equal(rev.status, 0, rev.stderr);
    assert.equal((await other.api('GET', '/api/v1/rooms')).status, 401, 'revoked key refused');
    assert.equal((await s.api('GET', '/api/v1/rooms')).status, 200, 'the other key still works');
  });
  test('failed sign-ins from an address never lock out valid credentials', async () => {
    for (let i = 0; i < 6; i++) await s.api('GET', '/api/v1/rooms', undefined, { Authorization: 'Bearer sk_wrong' });
    const bad = await s.api('GET', '/api/v1/rooms', undefined, { Authorization: 'Bearer sk_wrong' });
    assert.equal(bad.status, 429, 'failures are limited');
    const good = await s.api('GET', '/api/v1/rooms');
    assert.equal(good.status, 200, 'valid credentials still work');
  });

});
