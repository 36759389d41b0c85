// Rooms CRUD: defaults, every field, lookup by id / friendly_url, PATCH
// semantics, DELETE, 404/405 answers, and the contract's curl seed example.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { startServer, BIN, stopServer } from '../lib/server.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ROOM_KEYS = ['id', 'friendly_url', 'description', 'topic', 'privacy', 'external_id', 'default_role',
  'roles', 'e2ee_enabled', 'max_participants', 'is_locked', 'expires_at', 'tags', 'chat_enabled',
  'screenshare_enabled', 'recordings_enabled', 'audio_on_join_enabled', 'video_on_join_enabled',
  'room_url', 'created_at', 'updated_at'].sort();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const omit = (o, ...keys) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);


function assertRoomShape(room) {
  assert.equal(typeof room, 'object');
  assert.deepEqual(Object.keys(room).sort(), ROOM_KEYS, 'room keys');
  assert.match(room.id, UUID);
  assert.match(room.friendly_url, /^[A-Za-z0-9_-]{3,32}$/);
  assert.equal(room.topic, room.description, 'topic must echo description');
  for (const k of ['e2ee_enabled', 'is_locked', 'chat_enabled', 'screenshare_enabled', 'recordings_enabled',
    'audio_on_join_enabled', 'video_on_join_enabled']) assert.equal(typeof room[k], 'boolean', k);
  assert.ok(Number.isInteger(room.max_participants));
  assert.deepEqual(Object.keys(room.default_role).sort(), ['display_name', 'id', 'name']);
  assert.ok(Array.isArray(room.roles) && room.roles.length > 0);
  for (const r of room.roles) assert.deepEqual(Object.keys(r).sort(), ['display_name', 'id', 'name']);
  assert.ok(Array.isArray(room.tags));
  assert.match(room.created_at, ISO);
  assert.match(room.updated_at, ISO);
  assert.ok(room.expires_at === null || ISO.test(room.expires_at));
}

describe('rooms CRUD', () => {
  let s, port;
  let roles = {};
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    port = new URL(s.url).port;
    const r = await s.api('GET', '/api/v1/roles');
    if (r.status === 200 && r.json && Array.isArray(r.json.data)) {
      roles = Object.fromEntries(r.json.data.map((x) => [x.name, { id: x.id, name: x.name, display_name: x.display_name }]));
    }
  });
  after(() => stopServer(s));

  const create = async (body) => {
    const r = await s.api('POST', '/api/v1/rooms', body);
    assert.equal(r.status, 200, `create ${JSON.stringify(body)}: ${r.status} ${r.text}`);
    return r.json;
  };

  test('POST /api/v1/rooms with {} creates a room with every default', async () => {
    const t0 = Date.now();
    const r = await s.api('POST', '/api/v1/rooms', {});
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    const room = r.json;
    assertRoomShape(room);
    assert.equal(room.privacy, 'public');
    assert.equal(room.external_id, null);
    assert.deepEqual(room.default_role, { id: roles.moderator?.id, name: 'moderator', display_name: 'Moderator' });
    assert.deepEqual([...room.roles].sort(byName),
      [roles.attendee, roles.moderator, roles.speaker].map((x) => ({ ...x })).sort(byName));
    assert.equal(room.e2ee_enabled, false);
    assert.equal(room.max_participants, 100);
    assert.equal(room.is_locked, false);
    assert.equal(room.expires_at, null);
    assert.deepEqual(room.tags, []);
    assert.equal(room.chat_enabled, true);
    assert.equal(room.screenshare_enabled, true);
    assert.equal(room.audio_on_join_enabled, true);
    assert.equal(room.video_on_join_enabled, true);
    assert.equal(room.recordings_enabled, false);
    assert.equal(room.room_url, `http://localhost:${port}/${room.friendly_url}`);
    const created = Date.parse(room.created_at);
    assert.ok(Math.abs(created - t0) < 10000, `created_at ${room.created_at} is not now`);
    assert.ok(room.updated_at >= room.created_at);
    const g = await s.api('GET', '/api/v1/rooms/' + room.id);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, room);
  });

  test('generated friendly_urls are distinct', async () => {
    const urls = new Set();
    for (let i = 0; i < 5; i++) urls.add((await create({})).friendly_url.toLowerCase());
    assert.equal(urls.size, 5);
  });

  test('POST with every field set echoes every field', async () => {
    const body = {
      description: 'Weekly sync — ünïcödé 🎉',
      friendly_url: 'Weekly-Sync_01',
      privacy: 'private',
      external_id: 'ext-123',
      default_role: 'speaker',
      roles: ['speaker', 'attendee'],
      e2ee_enabled: true,
      max_participants: 50,
      is_locked: true,
      expires_at: '2099-01-01T00:00:00Z',
      tags: ['alpha', 'beta gamma'],
      chat_enabled: false,
      screenshare_enabled: false,
      recordings_enabled: false,
      audio_on_join_enabled: false,
      video_on_join_enabled: false,
    };
    const room = await create(body);
    assertRoomShape(room);
    assert.equal(room.description, body.description);
    assert.equal(room.topic, body.description);
    assert.equal(room.friendly_url, 'Weekly-Sync_01');
    assert.equal(room.privacy, 'private');
    assert.equal(room.external_id, 'ext-123');
    assert.deepEqual(room.default_role, roles.speaker);
    assert.deepEqual([...room.roles].sort(byName), [roles.attendee, roles.speaker]);
    assert.equal(room.e2ee_enabled, true);
    assert.equal(room.max_participants, 50);
    assert.equal(room.is_locked, true);
    assert.equal(room.expires_at, '2099-01-01T00:00:00Z');
    assert.deepEqual(room.tags, ['alpha', 'beta gamma']);
    assert.equal(room.chat_enabled, false);
    assert.equal(room.screenshare_enabled, false);
    assert.equal(room.recordings_enabled, false);
    assert.equal(room.audio_on_join_enabled, false);
    assert.equal(room.video_on_join_enabled, false);
    assert.equal(room.room_url, `http://localhost:${port}/Weekly-Sync_01#e2ee`);
    const g = await s.api('GET', '/api/v1/rooms/' + room.id);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, room);
  });

  test('roles and default_role may be given by role id', async () => {
    const room = await create({ roles: [roles.moderator.id, roles.attendee.id], default_role: roles.attendee.id });
    assert.deepEqual(room.default_role, roles.attendee);
    assert.deepEqual([...room.roles].sort(byName), [roles.attendee, roles.moderator]);
  });

  test('"topic" is an alias of description and is echoed as both', async () => {
    const room = await create({ topic: 'standup' });
    assert.equal(room.description, 'standup');
    assert.equal(room.topic, 'standup');
  });

  test('GET by id, by friendly_url and by friendly_url in any case', async () => {
    const room = await create({ friendly_url: 'Case-Room_7', description: 'case test' });
    for (const key of [room.id, 'Case-Room_7', 'case-room_7', 'CASE-ROOM_7', 'cAsE-rOoM_7']) {
      const g = await s.api('GET', '/api/v1/rooms/' + key);
      assert.equal(g.status, 200, `GET ${key}: ${g.text}`);
      assert.deepEqual(g.json, room, `GET ${key}`);
    }
    const up = await s.api('GET', '/api/v1/rooms/' + room.id.toUpperCase());
    assert.ok(up.status === 200 || up.status === 404, `upper-case uuid: ${up.status}`);
  });

  test('GET unknown room -> 404 JSON', async () => {
    for (const key of [randomUUID(), 'no-such-room', 'xyz']) {
      const g = await s.api('GET', '/api/v1/rooms/' + key);
      assert.equal(g.status, 404, `GET ${key}: ${g.text}`);
      assert.equal(typeof g.json?.message, 'string', g.text);
      assert.ok(g.json.message.length > 0);
      assert.match(g.headers.get('content-type') || '', /^application\/json/);
    }
  });

  test('PATCH changes only the sent fields; updated_at moves, created_at does not', async () => {
    const room = await create({ description: 'patch me', friendly_url: 'patch-room', tags: ['one'], max_participants: 10 });
    await sleep(1100); // timestamps have one-second resolution
    const p = await s.api('PATCH', '/api/v1/rooms/' + room.id, { is_locked: true, tags: ['two', 'three'] });
    assert.equal(p.status, 200, p.text);
    assertRoomShape(p.json);
    assert.deepEqual(omit(p.json, 'is_locked', 'tags', 'updated_at'), omit(room, 'is_locked', 'tags', 'updated_at'));
    assert.equal(p.json.is_locked, true);
    assert.deepEqual(p.json.tags, ['two', 'three']);
    assert.equal(p.json.created_at, room.created_at);
    assert.ok(Date.parse(p.json.updated_at) > Date.parse(room.updated_at),
      `updated_at did not move: ${room.updated_at} -> ${p.json.updated_at}`);
    const g = await s.api('GET', '/api/v1/rooms/patch-room');
    assert.deepEqual(g.json, p.json);
  });

  test('PATCH each field individually', async () => {
    let room = await create({ description: 'field by field', friendly_url: 'fbf-room' });
    const changes = [
      { description: 'new description' },
      { topic: 'new topic' },
      { privacy: 'private' },
      { external_id: 'ext-9' },
      { external_id: null },
      { e2ee_enabled: true },
      { max_participants: 1000 },
      { is_locked: true },
      { expires_at: '2098-06-30T12:34:56Z' },
      { expires_at: null },
      { tags: ['x'] },
      { tags: [] },
      { chat_enabled: false },
      { screenshare_enabled: false },
      { recordings_enabled: false },
      { audio_on_join_enabled: false },
      { video_on_join_enabled: false },
      { default_role: 'attendee' },
      { roles: ['attendee', 'speaker'] },
      { roles: ['moderator'], default_role: 'moderator' },
    ];
    for (const ch of changes) {
      const p = await s.api('PATCH', '/api/v1/rooms/' + room.id, ch);
      assert.equal(p.status, 200, `PATCH ${JSON.stringify(ch)}: ${p.text}`);
      const expected = { ...room };
      for (const [k, v] of Object.entries(ch)) {
        if (k === 'topic' || k === 'description') { expected.description = v; expected.topic = v; }
        else if (k === 'default_role') expected.default_role = roles[v];
        else if (k === 'roles') expected.roles = v.map((n) => roles[n]).sort(byName);
        else if (k === 'e2ee_enabled') { expected[k] = v; expected.room_url = room.room_url.replace(/#e2ee$/, '') + (v ? '#e2ee' : ''); }
        else expected[k] = v;
      }
      const got = { ...p.json, roles: [...p.json.roles].sort(byName) };
      expected.roles = [...expected.roles].sort(byName);
      assert.deepEqual(omit(got, 'updated_at'), omit(expected, 'updated_at'), `PATCH ${JSON.stringify(ch)}`);
      room = p.json;
    }
  });

  test('PATCH friendly_url: new one resolves, old one is 404, room_url follows', async () => {
    const room = await create({ friendly_url: 'old-name' });
    const p = await s.api('PATCH', '/api/v1/rooms/OLD-NAME', { friendly_url: 'New-Name' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.id, room.id);
    assert.equal(p.json.friendly_url, 'New-Name');
    assert.equal(p.json.room_url, `http://localhost:${port}/New-Name`);
    assert.equal((await s.api('GET', '/api/v1/rooms/old-name')).status, 404);
    assert.equal((await s.api('GET', '/api/v1/rooms/new-name')).json?.id, room.id);
    // renaming to its own name (other case) is not a conflict with itself
    const same = await s.api('PATCH', '/api/v1/rooms/' + room.id, { friendly_url: 'new-NAME' });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json.friendly_url, 'new-NAME');
  });

  test('PATCH roles that exclude the current default_role -> 422 and nothing changes', async () => {
    const room = await create({ description: 'role check' });
    const p = await s.api('PATCH', '/api/v1/rooms/' + room.id, { roles: ['speaker'] });
    assert.equal(p.status, 422, p.text);
    assert.equal(p.json.message, 'The given data was invalid.');
    assert.ok(p.json.errors && (p.json.errors.roles || p.json.errors.default_role), p.text);
    assert.deepEqual((await s.api('GET', '/api/v1/rooms/' + room.id)).json, room);
  });

  test('PATCH unknown room -> 404', async () => {
    for (const key of [randomUUID(), 'nobody-here']) {
      const p = await s.api('PATCH', '/api/v1/rooms/' + key, { is_locked: true });
      assert.equal(p.status, 404, p.text);
      assert.equal(typeof p.json?.message, 'string');
    }
  });

  test('DELETE -> 204 with an empty body, then 404 everywhere', async () => {
    const room = await create({ friendly_url: 'doomed-room' });
    const d = await s.api('DELETE', '/api/v1/rooms/' + room.id);
    assert.equal(d.status, 204);
    assert.equal(d.text, '');
    const cl = d.headers.get('content-length');
    assert.ok(cl === null || cl === '0', `content-length ${cl}`);
    assert.equal((await s.api('GET', '/api/v1/rooms/' + room.id)).status, 404);
    assert.equal((await s.api('GET', '/api/v1/rooms/doomed-room')).status, 404);
    assert.equal((await s.api('PATCH', '/api/v1/rooms/' + room.id, { is_locked: true })).status, 404);
    assert.equal((await s.api('POST', `/api/v1/rooms/${room.id}/token`, {})).status, 404);
    const again = await s.api('DELETE', '/api/v1/rooms/' + room.id);
    assert.equal(again.status, 404, again.text);
    assert.equal(typeof again.json?.message, 'string');
    const list = await s.api('GET', '/api/v1/rooms');
    assert.ok(!list.json.data.some((x) => x.id === room.id));
  });

  test('DELETE by friendly_url (case-insensitive)', async () => {
    const room = await create({ friendly_url: 'Delete-Me' });
    const d = await s.api('DELETE', '/api/v1/rooms/dElEtE-mE');
    assert.equal(d.status, 204, d.text);
    assert.equal((await s.api('GET', '/api/v1/rooms/' + room.id)).status, 404);
  });

  test('DELETE unknown room -> 404', async () => {
    const d = await s.api('DELETE', '/api/v1/rooms/' + randomUUID());
    assert.equal(d.status, 404, d.text);
    assert.equal(typeof d.json?.message, 'string');
  });

  test('list returns every created room with total_count', async () => {
    const l = await s.api('GET', '/api/v1/rooms');
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(Object.keys(l.json).sort(), ['data', 'total_count']);
    assert.equal(l.json.total_count, l.json.data.length);
    for (const r of l.json.data) assertRoomShape(r);
    assert.equal(new Set(l.json.data.map((r) => r.id)).size, l.json.data.length);
  });

  test('known route, wrong method -> 405 {"message":"Method not allowed."} with Allow', async () => {
    const cases = [
      ['PUT', '/api/v1/rooms/x', ['GET', 'PATCH', 'DELETE']],
      ['POST', '/api/v1/rooms/x', ['GET', 'PATCH', 'DELETE']],
      ['PUT', '/api/v1/rooms', ['GET', 'POST']],
      ['DELETE', '/api/v1/rooms', ['GET', 'POST']],
      ['PATCH', '/api/v1/rooms', ['GET', 'POST']],
      ['GET', '/api/v1/rooms/x/token', ['POST']],
      ['DELETE', '/api/v1/rooms/x/token', ['POST']],
      ['POST', '/api/v1/roles', ['GET']],
      ['DELETE', '/api/v1/roles/moderator', ['GET']],
    ];
    for (const [method, path, allowed] of cases) {
      const r = await s.api(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${r.text}`);
      assert.deepEqual(r.json, { message: 'Method not allowed.' }, `${method} ${path}`);
      const allow = (r.headers.get('allow') || '').split(',').map((x) => x.trim().toUpperCase()).filter(Boolean);
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow "${allow}" lacks ${m}`);
      assert.ok(!allow.includes(method), `${method} ${path}: Allow "${allow}" contains ${method}`);
    }
  });

  test('unknown /api routes -> 404 {"message":"Not found."}', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/rooms/x/y/z', `/api/v1/rooms/${randomUUID()}/nope`,
      '/api/v1/roles/moderator/extra', '/api/v1', '/api/v1/', '/api/v2/rooms', '/api/v1/room']) {
      const r = await s.api('GET', path);
      assert.equal(r.status, 404, `GET ${path}: ${r.status} ${r.text}`);
      assert.deepEqual(r.json, { message: 'Not found.' }, `GET ${path}`);
    }
  });

  test('rooms of another team are invisible (second team made with --new-team)', async () => {
    const out = spawnSync(BIN, ['--data-dir', s.dataDir, '--new-team', 'Other team'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(out.status, 0, out.stderr);
    const teamId = out.stdout.match(/Team ID:\s+(\S+)/)[1];
    const devKey = out.stdout.match(/Developer key:\s+(\S+)/)[1];
    assert.notEqual(teamId, s.teamId);
    const other = { ...s, teamId, devKey }; // same running server, other credentials
    other.api = s.api.bind(other);
    const mine = await s.api('POST', '/api/v1/rooms', { description: 'team one only', friendly_url: `iso-${Date.now()}` });
    assert.equal(mine.status, 200, mine.text);
    const theirs = await other.api('POST', '/api/v1/rooms', { description: 'team two only' });
    assert.equal(theirs.status, 200, theirs.text);
    // The other team sees only its own room, by list, id, friendly_url, PATCH, DELETE and token.
    const list = await other.api('GET', '/api/v1/rooms');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.data.map((r) => r.id), [theirs.json.id]);
    assert.equal(list.json.total_count, 1);
    for (const ref of [mine.json.id, mine.json.friendly_url]) {
      assert.equal((await other.api('GET', `/api/v1/rooms/${ref}`)).status, 404, `GET ${ref}`);
      assert.equal((await other.api('PATCH', `/api/v1/rooms/${ref}`, { e2ee_enabled: false })).status, 404, `PATCH ${ref}`);
      assert.equal((await other.api('POST', `/api/v1/rooms/${ref}/token`, {})).status, 404, `token ${ref}`);
      assert.equal((await other.api('DELETE', `/api/v1/rooms/${ref}`)).status, 404, `DELETE ${ref}`);
    }
    assert.equal((await other.api('GET', `/api/v1/rooms?after=${mine.json.id}`)).status, 422, 'cursor of another team');
    // A friendly_url is unique across teams: links are server-wide.
    const clash = await other.api('POST', '/api/v1/rooms', { friendly_url: mine.json.friendly_url.toUpperCase() });
    assert.equal(clash.status, 422, clash.text);
    assert.deepEqual(clash.json.errors.friendly_url, ['has already been taken']);
    // The first team's room is untouched, and it cannot see the other's.
    const still = await s.api('GET', `/api/v1/rooms/${mine.json.id}`);
    assert.equal(still.status, 200);
    assert.deepEqual(still.json, mine.json);
    assert.equal((await s.api('GET', `/api/v1/rooms/${theirs.json.id}`)).status, 404);
    // A team id paired with another team's key is refused.
    const mixed = { ...s, teamId, devKey: s.devKey };
    assert.equal((await s.api.call(mixed, 'GET', '/api/v1/rooms')).status, 401);
  });
});

describe('contract seed example (curl, verbatim)', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
  after(() => stopServer(s));

  const SEED = `curl -X POST http://localhost:8080/api/v1/rooms \\
  -H "Authorization: Bearer $(printf '%s:%s' "$TEAM_ID" "$DEVELOPER_KEY" | base64 -w0)" \\
  -H "Content-Type: application/json" -H "Accept: application/json" \\
  -d '{"topic":"standup","friendly_url":"my-standup","privacy":"public",
       "external_id":"myExtID123","default_role":"moderator","roles":["moderator"],
       "e2ee_enabled":true}'`;

  test('runs through /bin/sh with curl and creates the room', async () => {
    const cmd = SEED.replace('http://localhost:8080', s.url);
    assert.notEqual(cmd, SEED);
    const out = execFileSync('sh', ['-c', cmd], {
      env: { ...process.env, TEAM_ID: s.teamId, DEVELOPER_KEY: s.devKey },
      stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000,
    }).toString();
    let room;
    assert.doesNotThrow(() => { room = JSON.parse(out); }, `curl output is not JSON: ${out}`);
    const port = new URL(s.url).port;
    assertRoomShape(room);
    assert.equal(room.description, 'standup');
    assert.equal(room.topic, 'standup');
    assert.equal(room.friendly_url, 'my-standup');
    assert.equal(room.privacy, 'public');
    assert.equal(room.external_id, 'myExtID123');
    assert.equal(room.default_role.name, 'moderator');
    assert.equal(room.default_role.display_name, 'Moderator');
    assert.deepEqual(room.roles.map((r) => r.name), ['moderator']);
    assert.equal(room.roles[0].id, room.default_role.id);
    assert.equal(room.e2ee_enabled, true);
    assert.equal(room.max_participants, 100);
    assert.equal(room.is_locked, false);
    assert.equal(room.expires_at, null);
    assert.deepEqual(room.tags, []);
    assert.equal(room.chat_enabled, true);
    assert.equal(room.screenshare_enabled, true);
    assert.equal(room.recordings_enabled, false);
    assert.equal(room.audio_on_join_enabled, true);
    assert.equal(room.video_on_join_enabled, true);
    assert.equal(room.room_url, `http://localhost:${port}/my-standup#e2ee`, 'E2EE rooms: the requirement is in the fragment');
    const g = await s.api('GET', '/api/v1/rooms/my-standup');
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, room);
    // running it again must fail: the friendly_url is taken
    const again = JSON.parse(execFileSync('sh', ['-c', cmd], {
      env: { ...process.env, TEAM_ID: s.teamId, DEVELOPER_KEY: s.devKey },
      stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000,
    }).toString());
    assert.equal(again.message, 'The given data was invalid.');
    assert.deepEqual(again.errors?.friendly_url, ['has already been taken']);
  });
});
