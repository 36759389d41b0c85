// GET /api/v1/roles and /api/v1/roles/{role}: the three presets.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;


describe('roles', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
  after(() => stopServer(s));

  test('GET /api/v1/roles lists the three presets', async () => {
    const r = await s.api('GET', '/api/v1/roles');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['data', 'total_count']);
    assert.equal(r.json.total_count, 3);
    assert.equal(r.json.data.length, 3);
    const names = r.json.data.map((x) => x.name).sort();
    assert.deepEqual(names, ['attendee', 'moderator', 'speaker']);
    const display = Object.fromEntries(r.json.data.map((x) => [x.name, x.display_name]));
    assert.deepEqual(display, { moderator: 'Moderator', speaker: 'Speaker', attendee: 'Attendee' });
    for (const role of r.json.data) {
      assert.deepEqual(Object.keys(role).sort(), ['display_name', 'id', 'name', 'permissions', 'preset']);
      assert.match(role.id, UUID);
      assert.equal(role.preset, true);
      assert.ok(Array.isArray(role.permissions) && role.permissions.length > 0, `${role.name} permissions`);
      for (const p of role.permissions) assert.equal(typeof p, 'string');
      assert.equal(new Set(role.permissions).size, role.permissions.length, `${role.name}: duplicate permissions`);
    }
    assert.equal(new Set(r.json.data.map((x) => x.id)).size, 3);
  });

  test('attendee cannot broadcast; speaker and moderator can', async () => {
    const r = await s.api('GET', '/api/v1/roles');
    const by = Object.fromEntries(r.json.data.map((x) => [x.name, x.permissions]));
    const broadcast = (perms) => perms.filter((p) => /broadcast|publish/i.test(p));
    assert.deepEqual(broadcast(by.attendee), [], `attendee permissions: ${by.attendee}`);
    assert.ok(broadcast(by.speaker).length > 0, `speaker permissions: ${by.speaker}`);
    assert.ok(broadcast(by.moderator).length > 0, `moderator permissions: ${by.moderator}`);
    // a moderator can do everything a speaker can, a speaker everything an attendee can
    for (const p of by.attendee) assert.ok(by.speaker.includes(p), `speaker lacks attendee permission ${p}`);
    for (const p of by.speaker) assert.ok(by.moderator.includes(p), `moderator lacks speaker permission ${p}`);
  });

  test('GET /api/v1/roles/{role} by name and by id', async () => {
    const list = (await s.api('GET', '/api/v1/roles')).json.data;
    for (const role of list) {
      for (const key of [role.name, role.id]) {
        const g = await s.api('GET', '/api/v1/roles/' + key);
        assert.equal(g.status, 200, `GET roles/${key}: ${g.text}`);
        assert.deepEqual(g.json, role);
      }
    }
  });

  test('GET /api/v1/roles/{unknown} -> 404 JSON', async () => {
    for (const key of ['nope', randomUUID(), 'moderator2', "moderator' OR '1'='1"]) {
      const g = await s.api('GET', '/api/v1/roles/' + encodeURIComponent(key));
      assert.equal(g.status, 404, `GET roles/${key}: ${g.text}`);
      assert.equal(typeof g.json?.message, 'string');
    }
  });
});
