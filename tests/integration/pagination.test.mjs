// GET /api/v1/rooms paging: limit, offset, order, after cursor, total_count,
// and 422 for every bad parameter value.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';


const N = 25;

describe('pagination', () => {
  let s;
  const ids = []; // in creation order (oldest first)
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    for (let i = 0; i < N; i++) {
      const r = await s.api('POST', '/api/v1/rooms', { description: `page room ${String(i).padStart(2, '0')}` });
      if (r.status !== 200) throw new Error(`create failed: ${r.status} ${r.text}`);
      ids.push(r.json.id);
    }
  });
  after(() => stopServer(s));

  const list = async (qs) => {
    const r = await s.api('GET', '/api/v1/rooms' + (qs ? '?' + qs : ''));
    assert.equal(r.status, 200, `?${qs}: ${r.status} ${r.text}`);
    assert.ok(Array.isArray(r.json.data));
    return r.json;
  };
  const desc = () => [...ids].reverse();

  test('default: all rooms, newest first, total_count', async () => {
    const j = await list('');
    assert.equal(j.total_count, N);
    assert.deepEqual(j.data.map((r) => r.id), desc());
  });

  test('order=desc equals the default; order=asc is oldest first', async () => {
    assert.deepEqual((await list('order=desc')).data.map((r) => r.id), desc());
    const a = await list('order=asc');
    assert.deepEqual(a.data.map((r) => r.id), ids);
    assert.equal(a.total_count, N);
    assert.equal(a.data[0].description, 'page room 00');
  });

  test('limit', async () => {
    for (const limit of [1, 10, 24, 25, 100]) {
      const j = await list(`limit=${limit}`);
      assert.equal(j.total_count, N, `limit=${limit}`);
      assert.deepEqual(j.data.map((r) => r.id), desc().slice(0, limit), `limit=${limit}`);
    }
  });

  test('limit + offset, both orders', async () => {
    const cases = [[10, 0], [10, 10], [10, 20], [5, 24], [10, 25], [3, 1000], [100, 1]];
    for (const [limit, offset] of cases) {
      const d = await list(`limit=${limit}&offset=${offset}`);
      assert.equal(d.total_count, N, `limit=${limit}&offset=${offset}`);
      assert.deepEqual(d.data.map((r) => r.id), desc().slice(offset, offset + limit), `desc limit=${limit}&offset=${offset}`);
      const a = await list(`limit=${limit}&offset=${offset}&order=asc`);
      assert.equal(a.total_count, N);
      assert.deepEqual(a.data.map((r) => r.id), ids.slice(offset, offset + limit), `asc limit=${limit}&offset=${offset}`);
    }
    const zero = await list('offset=0');
    assert.equal(zero.data.length, N);
  });

  test('after cursor, ascending', async () => {
    const j = await list(`order=asc&after=${ids[10]}`);
    assert.deepEqual(j.data.map((r) => r.id), ids.slice(11));
    const k = await list(`order=asc&after=${ids[10]}&limit=3`);
    assert.deepEqual(k.data.map((r) => r.id), ids.slice(11, 14));
    const last = await list(`order=asc&after=${ids[N - 1]}`);
    assert.deepEqual(last.data, []);
  });

  test('after cursor, descending (default order)', async () => {
    const j = await list(`after=${ids[10]}`);
    assert.deepEqual(j.data.map((r) => r.id), ids.slice(0, 10).reverse());
    const k = await list(`after=${ids[10]}&order=desc&limit=4`);
    assert.deepEqual(k.data.map((r) => r.id), [ids[9], ids[8], ids[7], ids[6]]);
    const first = await list(`after=${ids[0]}`);
    assert.deepEqual(first.data, []);
  });

  test('walking the cursor visits every room exactly once, in order', async () => {
    for (const order of ['asc', 'desc']) {
      const seen = [];
      let after = '';
      for (let page = 0; page < 10; page++) {
        const j = await list(`order=${order}&limit=7${after ? '&after=' + after : ''}`);
        if (j.data.length === 0) break;
        assert.ok(j.data.length <= 7);
        seen.push(...j.data.map((r) => r.id));
        after = j.data[j.data.length - 1].id;
      }
      assert.deepEqual(seen, order === 'asc' ? ids : desc(), `walk ${order}`);
    }
  });

  async function expect422(qs, field) {
    const r = await s.api('GET', '/api/v1/rooms?' + qs);
    assert.equal(r.status, 422, `?${qs}: expected 422, got ${r.status} ${r.text}`);
    assert.equal(r.json.message, 'The given data was invalid.', `?${qs}`);
    assert.ok(Array.isArray(r.json.errors?.[field]) && r.json.errors[field].length > 0,
      `?${qs}: errors.${field} missing in ${r.text}`);
    for (const m of r.json.errors[field]) assert.equal(typeof m, 'string');
  }

  test('bad limit -> 422 errors.limit', async () => {
    for (const v of ['0', '101', '-1', 'abc', '1.5', '1e2', '99999999999999999999999', '10abc', '0x10']) {
      await expect422('limit=' + encodeURIComponent(v), 'limit');
    }
  });

  test('bad offset -> 422 errors.offset', async () => {
    for (const v of ['-1', 'abc', '1.5', '99999999999999999999999', '3x']) {
      await expect422('offset=' + encodeURIComponent(v), 'offset');
    }
  });

  test('bad order -> 422 errors.order', async () => {
    for (const v of ['sideways', 'ascending', 'asc desc', 'random()']) {
      await expect422('order=' + encodeURIComponent(v), 'order');
    }
  });

  test('bad after -> 422 errors.after', async () => {
    for (const v of [randomUUID(), 'not-a-uuid', '12345']) {
      await expect422('after=' + encodeURIComponent(v), 'after');
    }
  });

  test('after = a deleted room -> 422', async () => {
    const c = await s.api('POST', '/api/v1/rooms', { description: 'temporary' });
    assert.equal(c.status, 200);
    assert.equal((await s.api('DELETE', '/api/v1/rooms/' + c.json.id)).status, 204);
    await expect422('after=' + c.json.id, 'after');
  });

  test('several bad parameters -> one 422 naming each', async () => {
    const r = await s.api('GET', '/api/v1/rooms?limit=0&order=sideways&offset=-3');
    assert.equal(r.status, 422, r.text);
    for (const f of ['limit', 'order', 'offset']) assert.ok(r.json.errors?.[f], `errors.${f} missing: ${r.text}`);
  });

  test('default limit is 100 (with 105 rooms)', async () => {
    for (let i = N; i < 105; i++) {
      const r = await s.api('POST', '/api/v1/rooms', { description: `page room ${i}` });
      assert.equal(r.status, 200, r.text);
      ids.push(r.json.id);
    }
    const j = await list('');
    assert.equal(j.total_count, 105);
    assert.equal(j.data.length, 100);
    assert.deepEqual(j.data.map((r) => r.id), desc().slice(0, 100));
    const rest = await list('offset=100');
    assert.deepEqual(rest.data.map((r) => r.id), desc().slice(100));
    const asc = await list('order=asc&limit=100&after=' + ids[99]);
    assert.deepEqual(asc.data.map((r) => r.id), ids.slice(100));
  });
});
