// Data survives a clean restart and a kill -9; --new-key adds a working key
// to the same team.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { startServer, BIN } from '../lib/server.mjs';

const omit = (o, ...keys) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const byId = (a, b) => (a.id < b.id ? -1 : 1);

describe('persistence', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealroom-persist-'));
  const servers = [];
  let teamId, devKey;
  after(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start() {
    const s = await startServer({ dataDir, keepData: true, teamId, devKey, args: ['--rate-limit', '0'] });
    servers.push(s);
    return s;
  }
  const portOf = (s) => new URL(s.url).port;
  // room_url carries the (kernel-chosen) port, which changes on restart
  const stable = (rooms) => rooms.map((r) => omit(r, 'room_url')).sort(byId);

  let expected = [];

  test('rooms survive SIGTERM + restart', async () => {
    const s1 = await start();
    teamId = s1.teamId; devKey = s1.devKey;
    assert.ok(teamId && devKey, 'first start printed credentials');
    const bodies = [
      { description: 'persist one', friendly_url: 'Persist-One', privacy: 'private', external_id: 'e-1',
        default_role: 'speaker', roles: ['speaker', 'attendee'], e2ee_enabled: true, max_participants: 7,
        is_locked: true, expires_at: '2097-03-04T05:06:07Z', tags: ['a', 'ß', '🎉'], chat_enabled: false,
        screenshare_enabled: false, audio_on_join_enabled: false, video_on_join_enabled: false },
      { topic: 'persist two' },
      { description: 'persist three (deleted)' },
    ];
    const made = [];
    for (const b of bodies) {
      const r = await s1.api('POST', '/api/v1/rooms', b);
      assert.equal(r.status, 200, r.text);
      made.push(r.json);
    }
    const p = await s1.api('PATCH', '/api/v1/rooms/' + made[1].id, { tags: ['patched'], is_locked: true });
    assert.equal(p.status, 200, p.text);
    made[1] = p.json;
    assert.equal((await s1.api('DELETE', '/api/v1/rooms/' + made[2].id)).status, 204);
    expected = [made[0], made[1]];

    const t0 = Date.now();
    const exit = await s1.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 5000, `shutdown took ${Date.now() - t0} ms`);

    const s2 = await start();
    assert.doesNotMatch(s2.stdout, /First start/, 'second start must not create a new team');
    assert.doesNotMatch(s2.stdout, /sk_[A-Za-z0-9_-]{20,}/, 'second start must not print a key');
    const l = await s2.api('GET', '/api/v1/rooms');
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.total_count, 2);
    assert.deepEqual(stable(l.json.data), stable(expected));
    for (const r of l.json.data) assert.equal(r.room_url, `http://localhost:${portOf(s2)}/${r.friendly_url}${r.e2ee_enabled ? '#e2ee' : ''}`);
    assert.equal((await s2.api('GET', '/api/v1/rooms/persist-one')).json?.id, made[0].id);
    assert.equal((await s2.api('GET', '/api/v1/rooms/' + made[2].id)).status, 404);
    // the friendly_url index survived too
    const dup = await s2.api('POST', '/api/v1/rooms', { friendly_url: 'PERSIST-ONE' });
    assert.equal(dup.status, 422, dup.text);
    // list order survived: newest first
    assert.deepEqual(l.json.data.map((r) => r.id), [made[1].id, made[0].id]);
    assert.equal((await s2.stop('SIGTERM')).code, 0);
  });

  test('a room written just before kill -9 is there after restart, with all fields', async () => {
    const s3 = await start();
    const body = {
      description: 'crash survivor', friendly_url: 'crash-room', privacy: 'private', external_id: 'crash-1',
      default_role: 'attendee', roles: ['attendee'], e2ee_enabled: true, max_participants: 999, is_locked: false,
      expires_at: '2096-01-02T03:04:05Z', tags: ['x', 'y'], chat_enabled: true, screenshare_enabled: false,
      recordings_enabled: false, audio_on_join_enabled: true, video_on_join_enabled: false,
    };
    const r = await s3.api('POST', '/api/v1/rooms', body);
    assert.equal(r.status, 200, r.text);
    const p = await s3.api('PATCH', '/api/v1/rooms/' + expected[0].id, { description: 'patched before crash' });
    assert.equal(p.status, 200, p.text);
    const exit = await s3.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    expected = [p.json, expected[1], r.json];

    const s4 = await start();
    const g = await s4.api('GET', '/api/v1/rooms/crash-room');
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(omit(g.json, 'room_url'), omit(r.json, 'room_url'));
    const l = await s4.api('GET', '/api/v1/rooms');
    assert.equal(l.json.total_count, 3);
    assert.deepEqual(stable(l.json.data), stable(expected));
    // the store is still writable after the crash
    const c = await s4.api('POST', '/api/v1/rooms', { description: 'after crash' });
    assert.equal(c.status, 200, c.text);
    assert.equal((await s4.api('DELETE', '/api/v1/rooms/' + c.json.id)).status, 204);
    const m = await (await fetch(s4.adminUrl + '/metrics')).text();
    assert.match(m, /^sealroom_rooms 3$/m, 'sealroom_rooms gauge after restart');
    assert.equal((await s4.stop('SIGTERM')).code, 0);
  });

  test('--new-key prints a new key for the same team; it works after restart', async () => {
    const out = spawnSync(BIN, ['--data-dir', dataDir, '--new-key'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(out.status, 0, `--new-key exit ${out.status}: ${out.stdout} ${out.stderr}`);
    const keys = out.stdout.match(/sk_[A-Za-z0-9_-]{86}(?![A-Za-z0-9_-])/g);
    assert.ok(keys && keys.length === 1, `one key expected in: ${out.stdout}`);
    const newKey = keys[0];
    assert.notEqual(newKey, devKey);

    const s5 = await start();
    for (const auth of ['Bearer ' + newKey,
      'Bearer ' + Buffer.from(`${teamId}:${newKey}`).toString('base64'),
      'Basic ' + Buffer.from(`${teamId}:${newKey}`).toString('base64')]) {
      const r = await fetch(s5.url + '/api/v1/rooms', { headers: { Authorization: auth } });
      const j = await r.json();
      assert.equal(r.status, 200, `${auth.split(' ')[0]} with the new key: ${JSON.stringify(j)}`);
      assert.equal(j.total_count, 3, 'the new key belongs to the same team');
    }
    // a token requested with the new key verifies with a developer key of the team
    const t = await fetch(s5.url + '/api/v1/rooms/crash-room/token', {
      method: 'POST', headers: { Authorization: 'Bearer ' + newKey, 'Content-Type': 'application/json' }, body: '{}',
    });
    assert.equal(t.status, 200);
    const [h, pl, sig] = (await t.json()).token.split('.');
    const mac = (k) => createHmac('sha256', k).update(`${h}.${pl}`).digest('base64url');
    assert.ok(sig === mac(newKey) || sig === mac(devKey), 'token verifies with neither developer key');
    assert.equal((await s5.stop('SIGTERM')).code, 0);
  });
});
