// Test mode: every test hook needs the one switch --test-mode (or
// SEALROOM_TEST_MODE=1); without it the hook flags are refused at start and
// the /_test/ routes do not exist. With it, the welcome says so, and the
// /_test/ routes let a test play the hostile server in signalling.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pjoin } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BIN, startServer, stopServer } from '../lib/server.mjs';
import { connectWs } from '../lib/ws.mjs';

const pk = () => randomBytes(32).toString('base64');

async function joinRoom(s, room, name, extra = {}) {
  const c = await connectWs(s.url);
  c.send({ type: 'join', room, name, ...extra });
  const welcome = await c.next((m) => m.type === 'welcome' || m.type === 'error');
  return { c, welcome };
}

const post = (s, path, body, headers = { 'Content-Type': 'application/json' }) =>
  fetch(`${s.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('test hooks need --test-mode', () => {
  for (const args of [['--capture', '/nonexistent-capture'], ['--e2ee-test-mitm'], ['--e2ee-test-tamper', '5'], ['--test-no-udp'], ['--test-uplink-loss', '10']]) {
    test(`${args[0]} without --test-mode: refused at start, exit 2`, () => {
      const dir = mkdtempSync(pjoin(tmpdir(), 'sealroom-testmode-'));
      try {
        const r = spawnSync(BIN, ['--port', '0', '--media-port', '0', '--data-dir', dir, ...args], { encoding: 'utf8', timeout: 10000 });
        assert.equal(r.status, 2, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`${args[0]} is a test hook and needs --test-mode`));
        assert.doesNotMatch(r.stdout, /listening/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('SEALROOM_TEST_MODE and SEALROOM_ICE_TCP accept only 0 or 1', () => {
    for (const name of ['SEALROOM_TEST_MODE', 'SEALROOM_ICE_TCP']) {
      const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env: { ...process.env, [name]: 'yes' } });
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`invalid value for ${name}: 'yes' \\(0 or 1\\)`));
    }
  });

  // A browser silently drops a TURN URL it cannot read: the relay would be
  // gone without a word, so the server refuses one at start.
  test('--turn-url takes only turn:, turns: and stun: URLs', () => {
    const bad = spawnSync(BIN, ['--port', '0', '--media-port', '0', '--data-dir', '/nonexistent-dir',
      '--turn-url', 'turn:a.example:3478,a.example:3478', '--turn-secret', 's'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(bad.status, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /'a\.example:3478' is not a turn:, turns: or stun: URL/);
  });

  describe('a server without --test-mode', () => {
    let s;
    before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
    after(() => stopServer(s));

    test('/_test/ routes do not exist (404, any method)', async () => {
      for (const path of ['/_test/inject', '/_test/welcome']) {
        assert.equal((await post(s, path, {})).status, 404, path);
        assert.equal((await fetch(`${s.url}${path}`)).status, 404, path);
      }
    });

    test('the welcome carries no test_mode, and warns of nothing', async () => {
      await s.api('POST', '/api/v1/rooms', { friendly_url: 'tm-off' });
      const { c, welcome } = await joinRoom(s, 'tm-off', 'Ann');
      assert.equal(welcome.type, 'welcome');
      assert.equal('test_mode' in welcome, false);
      assert.doesNotMatch(s.stderr, /TEST MODE/);
      c.sock.destroy();
    });
  });
});

describe('a server with --test-mode', () => {
  let s, room;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0', '--test-mode'] });
    room = (await s.api('POST', '/api/v1/rooms', { friendly_url: 'tm-on', e2ee_enabled: true })).json;
  });
  after(() => stopServer(s));

  test('starts with a loud warning; SEALROOM_TEST_MODE=1 does the same', async () => {
    assert.match(s.stderr, /TEST MODE \(--test-mode\)/);
    const dir = mkdtempSync(pjoin(tmpdir(), 'sealroom-cap-'));
    const s2 = await startServer({ args: ['--capture', dir], env: { SEALROOM_TEST_MODE: '1' } });
    try {
      assert.match(s2.stderr, /TEST MODE/);
    } finally {
      await stopServer(s2);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the welcome says "test_mode": true', async () => {
    const { c, welcome } = await joinRoom(s, 'tm-on', 'Ann', { public_key: pk(), signing_key: pk() });
    assert.equal(welcome.type, 'welcome');
    assert.equal(welcome.test_mode, true);
    c.sock.destroy();
  });

  test('/_test/inject sends the object verbatim to one participant', async () => {
    const a = await joinRoom(s, 'tm-on', 'Ann', { public_key: pk(), signing_key: pk() });
    const b = await joinRoom(s, 'tm-on', 'Bob', { public_key: pk(), signing_key: pk() });
    const message = { type: 'participant_joined', participant: { id: 'ghost', name: 'Ghost', slot: 999, tracks: [] }, extra: [1, { x: null }] };
    const r = await post(s, '/_test/inject', { participant_id: a.welcome.participant_id, message });
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await a.c.next((m) => m.participant && m.participant.id === 'ghost'), message);
    await assert.rejects(b.c.next((m) => m.participant && m.participant.id === 'ghost', 300), 'only the addressee gets it');
    a.c.sock.destroy();
    b.c.sock.destroy();
  });

  test('/_test/inject: 404 for an unknown participant, 400 for bad JSON or shape', async () => {
    assert.equal((await post(s, '/_test/inject', { participant_id: 'nobody', message: { type: 'x' } })).status, 404);
    assert.equal((await post(s, '/_test/inject', '{"participant_id": ')).status, 400);
    assert.equal((await post(s, '/_test/inject', '[1,2]')).status, 400);
    assert.equal((await post(s, '/_test/inject', '')).status, 400);
    assert.equal((await post(s, '/_test/inject', { participant_id: 'x', message: 'not an object' })).status, 400);
    assert.equal((await post(s, '/_test/inject', { participant_id: 5, message: {} })).status, 400);
    assert.equal((await fetch(`${s.url}/_test/inject`)).status, 405);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200, 'the server is fine');
  });

  test('/_test/welcome patches the next welcome of the room only (merge patch, one level down)', async () => {
    let r = await post(s, '/_test/welcome', { room: 'tm-on', patch: { room: { e2ee_enabled: false, description: null }, extra: 'x' } });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    assert.equal(JSON.parse(text).room_id, room.id);
    const a = await joinRoom(s, 'tm-on', 'Ann', { public_key: pk(), signing_key: pk() });
    assert.equal(a.welcome.type, 'welcome');
    assert.equal(a.welcome.room.e2ee_enabled, false, 'patched');
    assert.equal('description' in a.welcome.room, false, 'null deletes');
    assert.equal(a.welcome.room.id, room.id, 'the rest of room is kept');
    assert.equal(a.welcome.extra, 'x');
    assert.equal(a.welcome.test_mode, true);
    const b = await joinRoom(s, 'tm-on', 'Bob', { public_key: pk(), signing_key: pk() });
    assert.equal(b.welcome.room.e2ee_enabled, true, 'only the next welcome is patched');
    assert.equal('extra' in b.welcome, false);
    // By room id too; a later patch replaces an earlier one.
    await post(s, '/_test/welcome', { room: room.id.toUpperCase(), patch: { room: { privacy: 'private' } } });
    await post(s, '/_test/welcome', { room: room.id, patch: { room: { max_participants: 3 } } });
    const c = await joinRoom(s, 'tm-on', 'Cy', { public_key: pk(), signing_key: pk() });
    assert.equal(c.welcome.room.max_participants, 3);
    assert.equal(c.welcome.room.privacy, 'public');
    for (const x of [a, b, c]) x.c.sock.destroy();
  });

  test('/_test/welcome: 404 for an unknown room, 400 for bad input', async () => {
    assert.equal((await post(s, '/_test/welcome', { room: 'no-such-room', patch: {} })).status, 404);
    assert.equal((await post(s, '/_test/welcome', { room: 'tm-on', patch: [1] })).status, 400);
    assert.equal((await post(s, '/_test/welcome', { room: 'tm-on' })).status, 400);
    assert.equal((await post(s, '/_test/welcome', { room: 'x'.repeat(100), patch: {} })).status, 400);
    assert.equal((await post(s, '/_test/welcome', 'not json')).status, 400);
  });

  test('--e2ee-test-mitm still substitutes a key for newcomers under --test-mode', async () => {
    const s3 = await startServer({ args: ['--rate-limit', '0', '--test-mode', '--e2ee-test-mitm'] });
    try {
      await s3.api('POST', '/api/v1/rooms', { friendly_url: 'tm-mitm', e2ee_enabled: true });
      const key = pk();
      const a = await joinRoom(s3, 'tm-mitm', 'Ann', { public_key: key, signing_key: pk() });
      const b = await joinRoom(s3, 'tm-mitm', 'Bob', { public_key: pk(), signing_key: pk() });
      const seen = b.welcome.participants.find((p) => p.id === a.welcome.participant_id);
      assert.ok(seen.public_key && seen.public_key !== key, 'Bob is told another key for Ann');
      a.c.sock.destroy();
      b.c.sock.destroy();
    } finally {
      await stopServer(s3);
    }
  });
});
