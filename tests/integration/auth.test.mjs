// Authentication of /api/v1/*: the three accepted forms, and every way of
// getting it wrong (each must be a 401 JSON answer with WWW-Authenticate).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, randomBytes } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const b64 = (s) => Buffer.from(s).toString('base64');


describe('auth', () => {
  let s;
  // auth-fail limiting is tested in ratelimit.test.mjs; here it would turn
  // the many deliberate failures into 429s.
  before(async () => { s = await startServer({ args: ['--rate-limit', '0', '--auth-fail-limit', '0'] }); });
  after(() => stopServer(s));

  async function call(authorization, path = '/api/v1/rooms', init = {}) {
    const headers = { Accept: 'application/json', ...(init.headers || {}) };
    if (authorization !== undefined) headers.Authorization = authorization;
    const r = await fetch(s.url + path, { ...init, headers });
    const text = await r.text();
    let json; try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: r.status, headers: r.headers, text, json };
  }

  async function expect401(authorization, label, path, init) {
    const r = await call(authorization, path, init);
    assert.equal(r.status, 401, `${label}: expected 401, got ${r.status} ${r.text}`);
    assert.deepEqual(r.json, { message: 'Unauthenticated.' }, `${label}: body ${r.text}`);
    assert.ok(r.headers.get('www-authenticate'), `${label}: WWW-Authenticate header missing`);
    assert.match(r.headers.get('content-type') || '', /^application\/json/, `${label}: content-type`);
  }

  test('first-start banner prints a team id, a well-formed developer key and the dashboard URL', () => {
    const port = new URL(s.url).port;
    assert.match(s.stdout, new RegExp(`sealroomd 0\\.1\\.0 listening on http://127\\.0\\.0\\.1:${port}\\b`));
    assert.match(s.stdout, /First start: created a team and a developer key/);
    assert.match(s.teamId, UUID);
    assert.match(s.devKey, /^sk_[A-Za-z0-9_-]{86}$/);
    assert.match(s.stdout, new RegExp(`Dashboard:\\s+http://localhost:${port}/dashboard\\s`));
  });

  test('Bearer base64(team_id:developer_key) is accepted', async () => {
    const r = await call('Bearer ' + b64(`${s.teamId}:${s.devKey}`));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { data: [], total_count: 0 });
  });

  test('Bearer <raw developer key> is accepted', async () => {
    const r = await call('Bearer ' + s.devKey);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total_count, 0);
  });

  test('Basic base64(team_id:developer_key) is accepted', async () => {
    const r = await call('Basic ' + b64(`${s.teamId}:${s.devKey}`));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total_count, 0);
  });

  test('all three forms reach the same team (a room created with one is seen with the others)', async () => {
    const c = await call('Basic ' + b64(`${s.teamId}:${s.devKey}`), '/api/v1/rooms', {
      method: 'POST', body: JSON.stringify({ description: 'auth forms' }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(c.status, 200, c.text);
    for (const a of ['Bearer ' + s.devKey, 'Bearer ' + b64(`${s.teamId}:${s.devKey}`)]) {
      const g = await call(a, '/api/v1/rooms/' + c.json.id);
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.id, c.json.id);
    }
    const d = await call('Bearer ' + s.devKey, '/api/v1/rooms/' + c.json.id, { method: 'DELETE' });
    assert.equal(d.status, 204);
  });

  test('missing Authorization header -> 401', () => expect401(undefined, 'missing'));

  test('wrong developer keys -> 401', async () => {
    const other = 'sk_' + randomBytes(64).toString('base64url').slice(0, 86);
    const flipped = s.devKey.slice(0, -1) + (s.devKey.endsWith('A') ? 'B' : 'A');
    await expect401('Bearer ' + other, 'random raw key');
    await expect401('Bearer ' + flipped, 'last char changed (raw)');
    await expect401('Bearer ' + s.devKey.slice(0, -1), 'truncated key (raw)');
    await expect401('Bearer ' + s.devKey + 'A', 'key with an extra char (raw)');
    await expect401('Bearer ' + s.devKey.toUpperCase(), 'upper-cased key (raw)');
    await expect401('Bearer ' + b64(`${s.teamId}:${other}`), 'team:random key (bearer b64)');
    await expect401('Bearer ' + b64(`${s.teamId}:${flipped}`), 'team:flipped key (bearer b64)');
    await expect401('Basic ' + b64(`${s.teamId}:${other}`), 'team:random key (basic)');
    await expect401('Basic ' + b64(`${s.teamId}:${s.devKey.slice(0, -1)}`), 'team:truncated key (basic)');
    await expect401('Basic ' + b64(`${s.teamId}:${s.devKey}:x`), 'team:key:x (basic)');
    await expect401('Bearer sk_', 'bare prefix');
  });

  test('wrong team id with the right key -> 401', async () => {
    const wrongTeam = randomUUID();
    await expect401('Bearer ' + b64(`${wrongTeam}:${s.devKey}`), 'bearer b64 wrong team');
    await expect401('Basic ' + b64(`${wrongTeam}:${s.devKey}`), 'basic wrong team');
    await expect401('Basic ' + b64(`not-a-uuid:${s.devKey}`), 'basic non-uuid team');
    await expect401('Basic ' + b64(`:${s.devKey}`), 'basic empty team');
    await expect401('Bearer ' + b64(`:${s.devKey}`), 'bearer b64 empty team');
  });

  test('garbage base64 and malformed Basic credentials -> 401', async () => {
    await expect401('Bearer !!!not-base64@@@', 'bearer garbage');
    await expect401('Bearer ====', 'bearer padding only');
    await expect401('Bearer ' + 'A'.repeat(4000), 'bearer very long');
    await expect401('Bearer', 'bearer without credentials');
    await expect401('Bearer ', 'bearer with empty credentials');
    await expect401('Basic', 'basic without credentials');
    await expect401('Basic ', 'basic empty');
    await expect401('Basic !!!###', 'basic garbage');
    await expect401('Basic ' + b64('no-colon-here'), 'basic without colon');
    await expect401('Basic ' + b64(s.devKey), 'basic with only the key');
    await expect401('Basic ' + s.devKey, 'basic with the raw (unencoded) key');
    await expect401('Basic ' + b64(`${s.teamId}:`), 'basic empty key');
    await expect401('Basic ' + b64(':'), 'basic lone colon');
    await expect401('Basic ' + Buffer.from([0xff, 0xfe, 0x3a, 0x00, 0x80]).toString('base64'), 'basic binary');
    await expect401('Digest username="x"', 'unsupported scheme');
    await expect401(s.devKey, 'key without scheme');
    await expect401(b64(`${s.teamId}:${s.devKey}`), 'b64 credentials without scheme');
  });

  test('every /api/v1 endpoint requires auth (and an unauthenticated POST creates nothing)', async () => {
    const id = randomUUID();
    const json = { 'Content-Type': 'application/json' };
    const cases = [
      ['GET', '/api/v1/rooms'],
      ['GET', '/api/v1/rooms?limit=5&order=asc'],
      ['POST', '/api/v1/rooms', '{"description":"sneaky"}'],
      ['GET', `/api/v1/rooms/${id}`],
      ['PATCH', `/api/v1/rooms/${id}`, '{"is_locked":true}'],
      ['DELETE', `/api/v1/rooms/${id}`],
      ['POST', `/api/v1/rooms/${id}/token`, '{}'],
      ['GET', '/api/v1/roles'],
      ['GET', '/api/v1/roles/moderator'],
      ['GET', '/api/v1/no-such-endpoint'],
    ];
    for (const [method, path, body] of cases) {
      await expect401(undefined, `${method} ${path} without auth`, path, { method, body, headers: body ? json : {} });
      await expect401('Bearer sk_wrong', `${method} ${path} wrong key`, path, { method, body, headers: body ? json : {} });
    }
    const r = await call('Bearer ' + s.devKey);
    assert.equal(r.status, 200);
    assert.equal(r.json.total_count, 0, 'an unauthenticated POST created a room');
  });

  test('a room token (JWT) is not an API credential', async () => {
    const c = await call('Bearer ' + s.devKey, '/api/v1/rooms', {
      method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(c.status, 200, c.text);
    const t = await call('Bearer ' + s.devKey, `/api/v1/rooms/${c.json.id}/token`, {
      method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(t.status, 200, t.text);
    await expect401('Bearer ' + t.json.token, 'JWT as bearer');
    await expect401('Basic ' + b64(`${s.teamId}:${t.json.token}`), 'JWT as basic password');
    const d = await call('Bearer ' + s.devKey, '/api/v1/rooms/' + c.json.id, { method: 'DELETE' });
    assert.equal(d.status, 204);
  });

  test('/healthz is public; /metrics needs a developer key on the main port and none on the admin port', async () => {
    const h = await fetch(s.url + '/healthz');
    assert.equal(h.status, 200);
    const m = await fetch(s.url + '/metrics');
    assert.equal(m.status, 401, 'server-wide figures for anyone');
    const mk = await fetch(s.url + '/metrics', { headers: { Authorization: s.auth() } });
    assert.equal(mk.status, 200);
    assert.match(await mk.text(), /^sealroom_participants /m);
    const ma = await fetch(s.adminUrl + '/metrics');
    assert.equal(ma.status, 200);
    const ha = await fetch(s.adminUrl + '/healthz');
    assert.equal(ha.status, 200);
    // The admin port serves nothing else.
    for (const path of ['/api/v1/rooms', '/', '/dashboard', '/ws']) assert.equal((await fetch(s.adminUrl + path)).status, 404, path);
    await m.text(); await h.text(); await ma.text(); await ha.text();
  });
});
