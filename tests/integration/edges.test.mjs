// Edge cases found in review: id case, media-type matching, Allow with HEAD,
// tokens bounded by the room's expiry, pluralised Retry-After message.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';

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
