// GET /metrics: Prometheus text exposition format 0.0.4 that parses strictly,
// request counters by route/method/status, the sealroom_rooms gauge.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const VALUE = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

// Strict parser for the text format: throws on any line it does not understand.
function parseProm(text) {
  assert.ok(text.endsWith('\n'), 'exposition must end with a newline');
  const types = new Map();
  const helps = new Map();
  const samples = [];
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('#')) {
      const m = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/);
      if (!m) { assert.match(line, /^#( .*)?$/, where); continue; }
      assert.match(m[2], NAME, where);
      if (m[1] === 'TYPE') {
        assert.match(m[3], /^(counter|gauge|histogram|summary|untyped)$/, where);
        assert.ok(!types.has(m[2]), `${where}: second TYPE`);
        assert.ok(!samples.some((x) => x.name === m[2]), `${where}: TYPE after samples`);
        types.set(m[2], m[3]);
      } else {
        assert.ok(!helps.has(m[2]), `${where}: second HELP`);
        helps.set(m[2], m[3]);
      }
      continue;
    }
    assert.notEqual(line.trim(), '', `${where}: empty line`);
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/);
    assert.ok(m, `${where}: not a sample line`);
    const labels = {};
    if (m[2] !== undefined && m[2] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
      let pos = 0;
      while (pos < m[2].length) {
        re.lastIndex = pos;
        const l = re.exec(m[2]);
        assert.ok(l, `${where}: bad label set`);
        assert.ok(!(l[1] in labels), `${where}: duplicate label ${l[1]}`);
        labels[l[1]] = l[2].replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
        if (l[3] === '' && pos < m[2].length) assert.fail(`${where}: bad label separator`);
      }
    }
    assert.match(m[3], VALUE, `${where}: bad value`);
    const v = m[3] === 'NaN' ? NaN : m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1], labels, value: v });
  }
  const keys = samples.map((x) => x.name + JSON.stringify(Object.entries(x.labels).sort()));
  assert.equal(new Set(keys).size, keys.length, 'duplicate series');
  return { types, helps, samples };
}

describe('metrics', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0', '--auth-fail-limit', '0'] }); });
  after(() => stopServer(s));

  async function scrape() {
    const r = await fetch(s.adminUrl + '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') || '', /^text\/plain; ?version=0\.0\.4(;|$)/);
    return parseProm(await r.text());
  }
  const sum = (m, name, pred = () => true) =>
    m.samples.filter((x) => x.name === name && pred(x.labels)).reduce((a, x) => a + x.value, 0);
  const one = (m, name) => {
    const xs = m.samples.filter((x) => x.name === name);
    assert.equal(xs.length, 1, `${name}: ${xs.length} samples`);
    return xs[0];
  };

  test('parses as Prometheus text format with the documented families and types', async () => {
    const m = await scrape();
    assert.equal(m.types.get('sealroom_http_requests_total'), 'counter');
    assert.equal(m.types.get('sealroom_rooms'), 'gauge');
    assert.ok(m.types.has('sealroom_uptime_seconds'), 'sealroom_uptime_seconds TYPE');
    assert.ok(m.types.has('sealroom_build_info'), 'sealroom_build_info TYPE');
    for (const x of m.samples) {
      assert.ok(m.types.has(x.name) || [...m.types.keys()].some((t) => x.name.startsWith(t + '_')),
        `sample ${x.name} without TYPE`);
    }
    const bi = one(m, 'sealroom_build_info');
    assert.deepEqual(bi.labels, { version: '0.1.0' });
    assert.equal(bi.value, 1);
    const up = one(m, 'sealroom_uptime_seconds');
    assert.ok(up.value >= 0 && up.value < 600, `uptime ${up.value}`);
    assert.equal(one(m, 'sealroom_rooms').value, 0);
    for (const x of m.samples.filter((y) => y.name === 'sealroom_http_requests_total')) {
      assert.deepEqual(Object.keys(x.labels).sort(), ['method', 'route', 'status'], JSON.stringify(x.labels));
      assert.match(x.labels.status, /^[1-5]\d\d$/);
      assert.ok(Number.isInteger(x.value) && x.value >= 1);
    }
  });

  test('request counters increase by route, method and status', async () => {
    const m0 = await scrape();
    const hz = (l) => l.route === '/healthz' && l.method === 'GET' && l.status === '200';
    for (let i = 0; i < 5; i++) await (await fetch(s.url + '/healthz')).text();
    for (let i = 0; i < 3; i++) await (await fetch(s.url + '/api/v1/rooms')).text(); // 401
    for (let i = 0; i < 2; i++) await s.api('GET', '/api/v1/rooms'); // 200
    const c = await s.api('POST', '/api/v1/rooms', { description: 'metrics room' });
    assert.equal(c.status, 200);
    await s.api('POST', '/api/v1/rooms', { description: 'x' }); // 422
    await s.api('GET', '/api/v1/rooms/' + c.json.id);
    await s.api('GET', '/api/v1/nope'); // 404
    await s.api('PUT', '/api/v1/rooms/' + c.json.id, {}); // 405
    const m1 = await scrape();
    const delta = (pred) => sum(m1, 'sealroom_http_requests_total', pred) - sum(m0, 'sealroom_http_requests_total', pred);
    assert.equal(delta(hz), 5, 'GET /healthz 200');
    assert.equal(delta((l) => l.method === 'GET' && l.status === '401'), 3, 'GET 401');
    assert.equal(delta((l) => l.method === 'GET' && l.status === '401' && l.route === '/api/v1/rooms'), 3, 'GET /api/v1/rooms 401 route label');
    assert.equal(delta((l) => l.route === '/api/v1/rooms' && l.method === 'GET' && l.status === '200'), 2, 'GET /api/v1/rooms 200');
    assert.equal(delta((l) => l.route === '/api/v1/rooms' && l.method === 'POST' && l.status === '200'), 1, 'POST /api/v1/rooms 200');
    assert.equal(delta((l) => l.route === '/api/v1/rooms' && l.method === 'POST' && l.status === '422'), 1, 'POST /api/v1/rooms 422');
    assert.equal(delta((l) => l.method === 'GET' && l.status === '200' && /rooms\/./.test(l.route)), 1, 'GET /api/v1/rooms/{room} 200');
    assert.equal(delta((l) => l.method === 'GET' && l.status === '404'), 1, 'GET 404');
    assert.equal(delta((l) => l.method === 'PUT' && l.status === '405'), 1, 'PUT 405');
    // the route label is the route, not the raw path: no per-room series
    for (const x of m1.samples) assert.ok(!JSON.stringify(x.labels).includes(c.json.id), `room id in labels: ${JSON.stringify(x.labels)}`);
  });

  test('unknown paths do not create a series per path', async () => {
    for (let i = 0; i < 5; i++) await (await fetch(`${s.url}/random-${i}-${Date.now()}`)).text();
    const m = await scrape();
    for (const x of m.samples) assert.doesNotMatch(x.labels.route || '', /random-\d/, `raw path as route label: ${x.labels.route}`);
  });

  test('sealroom_rooms follows creates and deletes', async () => {
    const base = one(await scrape(), 'sealroom_rooms').value;
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.api('POST', '/api/v1/rooms', { description: `gauge ${i}` });
      assert.equal(r.status, 200);
      ids.push(r.json.id);
    }
    assert.equal(one(await scrape(), 'sealroom_rooms').value, base + 3);
    await s.api('POST', '/api/v1/rooms', { max_participants: 0 }); // rejected: no change
    assert.equal(one(await scrape(), 'sealroom_rooms').value, base + 3);
    assert.equal((await s.api('DELETE', '/api/v1/rooms/' + ids[0])).status, 204);
    assert.equal(one(await scrape(), 'sealroom_rooms').value, base + 2);
    await s.api('DELETE', '/api/v1/rooms/' + ids[0]); // 404: no change
    assert.equal(one(await scrape(), 'sealroom_rooms').value, base + 2);
    const total = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    assert.equal(one(await scrape(), 'sealroom_rooms').value, total);
  });

  test('sealroom_uptime_seconds increases', async () => {
    const a = one(await scrape(), 'sealroom_uptime_seconds').value;
    await sleep(1100);
    const b = one(await scrape(), 'sealroom_uptime_seconds').value;
    assert.ok(b > a, `${a} -> ${b}`);
  });
});
