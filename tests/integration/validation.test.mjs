// Room field validation (create and PATCH): every rule gives a 422 naming the
// field, boundary values are accepted, unknown fields are refused, and a
// rejected request never creates or changes a room.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';


const show = (v) => {
  const j = typeof v === 'string' && v.startsWith('RAW:') ? v.slice(4) : JSON.stringify(v);
  return j === undefined ? String(v) : j.length > 60 ? j.slice(0, 57) + '...' : j;
};

const BOOLS = ['e2ee_enabled', 'is_locked', 'chat_enabled', 'screenshare_enabled', 'audio_on_join_enabled',
  'video_on_join_enabled'];

// [field, value]; a string starting with RAW: is spliced into the JSON unquoted.
const INVALID = [
  ['description', 'ab'], ['description', ''], ['description', 'éé'], ['description', '🎉🎉'],
  ['description', 'x'.repeat(501)], ['description', 'é'.repeat(501)], ['description', '🎉'.repeat(501)],
  ['description', 123], ['description', true], ['description', []], ['description', {}],
  ['topic', 'ab'], ['topic', 7], ['topic', 'y'.repeat(501)],
  ['friendly_url', 'ab'], ['friendly_url', 'x'.repeat(33)], ['friendly_url', 'has space'], ['friendly_url', 'sla/sh'],
  ['friendly_url', 'dot.ted'], ['friendly_url', 'ünïcode'], ['friendly_url', 'a%20b'], ['friendly_url', ''],
  ['friendly_url', 'line\nbreak'], ['friendly_url', 'tab\there'], ['friendly_url', 'abc?x=1'], ['friendly_url', 'abc#x'],
  ['friendly_url', 42], ['friendly_url', true], ['friendly_url', []], ['friendly_url', {}],
  ['privacy', 'secret'], ['privacy', 'PUBLIC'], ['privacy', ''], ['privacy', 1], ['privacy', true], ['privacy', null],
  ['privacy', ['public']],
  ['external_id', 'x'.repeat(257)], ['external_id', 12], ['external_id', true], ['external_id', []], ['external_id', {}],
  ['default_role', 'nope'], ['default_role', ''], ['default_role', 5], ['default_role', true], ['default_role', []],
  ['default_role', {}], ['default_role', '00000000-0000-0000-0000-000000000000'],
  ['roles', []], ['roles', ['nope']], ['roles', ['moderator', 'moderator']], ['roles', ['moderator', 'nope']],
  ['roles', 'moderator'], ['roles', [1]], ['roles', [null]], ['roles', null], ['roles', {}], ['roles', [['moderator']]],
  ...BOOLS.flatMap((f) => [[f, 'true'], [f, 1], [f, 0], [f, null], [f, 'yes'], [f, []]]),
  ['max_participants', 0], ['max_participants', 1], ['max_participants', 1001], ['max_participants', -5],
  ['max_participants', 2.5], ['max_participants', '10'], ['max_participants', null], ['max_participants', true],
  ['max_participants', 1e9], ['max_participants', 'RAW:1e308'], ['max_participants', 'RAW:99999999999999999999999'],
  ['max_participants', 'RAW:-99999999999999999999999'],
  ['expires_at', '2000-01-01T00:00:00Z'], ['expires_at', 'tomorrow'], ['expires_at', ''], ['expires_at', 1234567890],
  ['expires_at', 4102444800], ['expires_at', true], ['expires_at', '2099-13-01T00:00:00Z'],
  ['expires_at', '2099-02-30T00:00:00Z'], ['expires_at', '2099-01-01T25:00:00Z'], ['expires_at', '2099-01-01T00:00:00Zjunk'],
  ['expires_at', []], ['expires_at', {}],
  ['tags', Array.from({ length: 21 }, (_, i) => `t${i}`)], ['tags', ['']], ['tags', ['x'.repeat(65)]], ['tags', [1]],
  ['tags', [null]], ['tags', 'tag'], ['tags', null], ['tags', {}], ['tags', ['ok', ['nested']]],
  ['recordings_enabled', true], ['recordings_enabled', 'false'], ['recordings_enabled', 0], ['recordings_enabled', null],
];

function bodyOf(field, value) {
  if (typeof value === 'string' && value.startsWith('RAW:')) return `{${JSON.stringify(field)}:${value.slice(4)}}`;
  return JSON.stringify({ [field]: value });
}

describe('validation', () => {
  let s;
  let created = 0; // rooms this file has successfully created
  let roles = {};
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    const r = await s.api('GET', '/api/v1/roles');
    if (r.status === 200) roles = Object.fromEntries(r.json.data.map((x) => [x.name, x]));
  });
  after(() => stopServer(s));

  async function create(body) {
    const r = await s.api('POST', '/api/v1/rooms', body);
    assert.equal(r.status, 200, `create ${show(body)}: ${r.status} ${r.text}`);
    created++;
    return r.json;
  }

  async function expect422(method, path, body, field, label) {
    const r = await s.api(method, path, body);
    if (r.status === 200 && method === 'POST') created++;
    label = label || `${method} ${path} ${typeof body === 'string' ? body.slice(0, 80) : show(body)}`;
    assert.equal(r.status, 422, `${label}: expected 422, got ${r.status} ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.message, 'The given data was invalid.', label);
    assert.equal(typeof r.json.errors, 'object', label);
    if (field) {
      const errs = r.json.errors[field];
      assert.ok(Array.isArray(errs) && errs.length > 0, `${label}: errors.${field} missing in ${r.text.slice(0, 300)}`);
      for (const e of errs) assert.ok(typeof e === 'string' && e.length > 0, label);
    }
    return r.json;
  }

  describe('create: each invalid value -> 422 errors.<field>', () => {
    for (const [field, value] of INVALID) {
      test(`${field} = ${show(value)}`, async () => {
        // "topic" errors may be reported under topic or description
        const r = await s.api('POST', '/api/v1/rooms', bodyOf(field, value));
        if (r.status === 200) created++;
        assert.equal(r.status, 422, `POST ${bodyOf(field, value).slice(0, 100)}: expected 422, got ${r.status} ${r.text.slice(0, 300)}`);
        assert.equal(r.json.message, 'The given data was invalid.');
        const errs = field === 'topic' ? (r.json.errors?.topic || r.json.errors?.description) : r.json.errors?.[field];
        assert.ok(Array.isArray(errs) && errs.length > 0 && errs.every((e) => typeof e === 'string' && e),
          `errors.${field} missing: ${r.text.slice(0, 300)}`);
      });
    }
  });

  test('boundary values are accepted and stored exactly', async () => {
    const ok = [
      { description: 'abc' }, { description: 'x'.repeat(500) }, { description: 'é'.repeat(500) },
      { description: '🎉'.repeat(500) }, { description: '🎉🎉🎉' }, { description: '日本語' },
      { topic: 'abc' },
      { friendly_url: 'abc' }, { friendly_url: 'Z'.repeat(32) }, { friendly_url: 'A-b_9' }, { friendly_url: '___' },
      { friendly_url: '---' }, { friendly_url: '123' },
      { privacy: 'public' }, { privacy: 'private' },
      { external_id: 'x'.repeat(256) }, { external_id: null }, { external_id: 'ü'.repeat(256) },
      { max_participants: 2 }, { max_participants: 1000 },
      { tags: Array.from({ length: 20 }, (_, i) => `tag-${i}`) }, { tags: ['x'.repeat(64)] }, { tags: [] },
      { tags: ['a'] },
      { expires_at: null }, { expires_at: '2099-12-31T23:59:59Z' },
      { recordings_enabled: false },
      ...BOOLS.flatMap((f) => [{ [f]: true }, { [f]: false }]),
      { default_role: 'attendee' }, { default_role: roles.speaker?.id },
      { roles: ['attendee', 'speaker', 'moderator'] }, { roles: ['moderator'] },
    ];
    for (const body of ok) {
      const room = await create(body);
      for (const [k, v] of Object.entries(body)) {
        if (k === 'topic') assert.equal(room.description, v);
        else if (k === 'default_role') assert.ok(room.default_role.name === v || room.default_role.id === v, show(body));
        else if (k === 'roles') assert.deepEqual(room.roles.map((r) => r.name).sort(), [...v].sort());
        else assert.deepEqual(room[k], v, `${k} not stored exactly for ${show(body)}`);
      }
    }
  });

  test('default_role must be among the given roles', async () => {
    await expect422('POST', '/api/v1/rooms', { roles: ['speaker'], default_role: 'moderator' }, 'default_role');
    await expect422('POST', '/api/v1/rooms', { roles: ['speaker', 'attendee'], default_role: roles.moderator?.id }, 'default_role');
    const room = await create({ roles: ['speaker'], default_role: 'speaker' });
    assert.equal(room.default_role.name, 'speaker');
  });

  test('a role given both by name and by id is a duplicate', async () => {
    await expect422('POST', '/api/v1/rooms', { roles: ['moderator', roles.moderator?.id] }, 'roles');
  });

  test('friendly_url must be unique, case-insensitively -> "has already been taken"', async () => {
    await create({ friendly_url: 'dup-room' });
    for (const fu of ['dup-room', 'DUP-ROOM', 'Dup-Room']) {
      const j = await expect422('POST', '/api/v1/rooms', { friendly_url: fu }, 'friendly_url');
      assert.ok(j.errors.friendly_url.includes('has already been taken'), JSON.stringify(j));
    }
    const other = await create({ friendly_url: 'other-room' });
    const j = await expect422('PATCH', '/api/v1/rooms/' + other.id, { friendly_url: 'dUp-RoOm' }, 'friendly_url');
    assert.ok(j.errors.friendly_url.includes('has already been taken'), JSON.stringify(j));
    assert.equal((await s.api('GET', '/api/v1/rooms/' + other.id)).json.friendly_url, 'other-room');
  });

  test('reserved friendly_urls -> 422', async () => {
    for (const fu of ['api', 'dashboard', 'healthz', 'metrics', 'static', 'ws', 'assets', 'favicon.ico']) {
      await expect422('POST', '/api/v1/rooms', { friendly_url: fu }, 'friendly_url');
    }
    const room = await create({ description: 'rename to reserved' });
    await expect422('PATCH', '/api/v1/rooms/' + room.id, { friendly_url: 'dashboard' }, 'friendly_url');
  });

  test('unknown fields -> 422 errors.<field> ["is not a known field"] and no room is created', async () => {
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    const cases = [
      [{ e2ee_enable: true }, 'e2ee_enable'],
      [{ e2ee_enabled: true, e2ee_enable: true }, 'e2ee_enable'],
      [{ description: 'typo', encrypted: true }, 'encrypted'],
      [{ id: '00000000-0000-0000-0000-000000000001' }, 'id'],
      [{ created_at: '2020-01-01T00:00:00Z' }, 'created_at'],
      [{ room_url: 'http://evil.example/x' }, 'room_url'],
      [{ team_id: '00000000-0000-0000-0000-000000000001' }, 'team_id'],
      [{ E2EE_ENABLED: true }, 'E2EE_ENABLED'],
      [{ '': 1 }, ''],
      ['{"__proto__":{"e2ee_enabled":true}}', '__proto__'],
    ];
    // server-owned fields (id, created_at, room_url, team_id) may carry their own
    // reason (the server says "is read-only"); anything else is "is not a known field"
    const responseOnly = new Set(['id', 'created_at', 'room_url', 'team_id']);
    for (const [body, field] of cases) {
      const j = await expect422('POST', '/api/v1/rooms', body, field);
      if (!responseOnly.has(field)) assert.deepEqual(j.errors[field], ['is not a known field'], JSON.stringify(j));
    }
    assert.equal((await s.api('GET', '/api/v1/rooms')).json.total_count, before);
  });

  test('several invalid fields -> one 422 naming each of them', async () => {
    const j = await expect422('POST', '/api/v1/rooms',
      { description: 'a', max_participants: 1, privacy: 'x', e2ee_enable: true, tags: 'no' });
    for (const f of ['description', 'max_participants', 'privacy', 'e2ee_enable', 'tags']) {
      assert.ok(j.errors[f], `errors.${f} missing: ${JSON.stringify(j)}`);
    }
  });

  test('a body that is not a JSON object -> 422', async () => {
    for (const body of ['[]', '[{"description":"abc"}]', '1', '"string"', 'null', 'true', '3.5']) {
      await expect422('POST', '/api/v1/rooms', body, null, `POST body ${body}`);
    }
    const room = await create({ description: 'not an object' });
    for (const body of ['[]', '42', '"x"', 'null']) {
      await expect422('PATCH', '/api/v1/rooms/' + room.id, body, null, `PATCH body ${body}`);
    }
  });

  test('Content-Type other than application/json -> 415; with charset it is fine', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const r = await s.api('POST', '/api/v1/rooms', '{"description":"abc"}', { 'Content-Type': ct });
      assert.equal(r.status, 415, `${ct}: ${r.status} ${r.text}`);
      assert.equal(typeof r.json?.message, 'string', `${ct}: ${r.text}`);
    }
    const r = await s.api('POST', '/api/v1/rooms', '{"description":"charset ok"}', { 'Content-Type': 'application/json; charset=utf-8' });
    assert.equal(r.status, 200, r.text);
    created++;
    const room = r.json;
    const p = await s.api('PATCH', '/api/v1/rooms/' + room.id, '{"is_locked":true}', { 'Content-Type': 'text/plain' });
    assert.equal(p.status, 415, p.text);
    assert.equal((await s.api('GET', '/api/v1/rooms/' + room.id)).json.is_locked, false);
  });

  test('PATCH: invalid values -> 422 errors.<field> and the room is unchanged', async () => {
    const room = await create({ description: 'patch validation', friendly_url: 'pv-room' });
    const cases = [
      ['description', 'ab'], ['friendly_url', 'no spaces'], ['privacy', 'hidden'], ['external_id', 'x'.repeat(257)],
      ['default_role', 'nope'], ['roles', []], ['e2ee_enabled', 'true'], ['max_participants', 1001],
      ['expires_at', '1999-01-01T00:00:00Z'], ['tags', ['']], ['recordings_enabled', true], ['is_locked', null],
      ['e2ee_enable', true], ['id', room.id],
    ];
    for (const [field, value] of cases) {
      const j = await expect422('PATCH', '/api/v1/rooms/' + room.id, { [field]: value }, field);
      if (field === 'e2ee_enable') assert.deepEqual(j.errors[field], ['is not a known field']);
    }
    // a valid field next to an invalid one is not applied either
    await expect422('PATCH', '/api/v1/rooms/' + room.id, { is_locked: true, max_participants: 0 }, 'max_participants');
    const g = await s.api('GET', '/api/v1/rooms/' + room.id);
    assert.deepEqual(g.json, room);
  });

  test('rejected requests created no rooms', async () => {
    const l = await s.api('GET', '/api/v1/rooms?limit=100');
    assert.equal(l.json.total_count, created);
  });
});
