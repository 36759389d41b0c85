// Hostile input: bytes that are not UTF-8, broken JSON, oversized and deeply
// nested bodies, SQL metacharacters everywhere, lying or malformed HTTP, slow
// clients. The server must answer with the right 4xx, never 500, never die.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startServer, stopServer } from '../lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One HTTP request with a Buffer body via node:http (no normalisation of the
// body, so raw bytes go through untouched). Resolves even if the server cuts
// the connection after answering.
function httpReq(s, method, path, { headers = {}, body, chunked = false } = {}) {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const hdrs = { Authorization: s.auth(), Accept: 'application/json', ...headers };
    if (body !== undefined && !chunked) hdrs['Content-Length'] = String(body.length);
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: hdrs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      const done = () => {
        if (settled) return; settled = true;
        const text = Buffer.concat(chunks).toString('utf8');
        let json; try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      };
      res.on('end', done);
      res.on('aborted', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.on('error', (e) => setTimeout(() => { if (!settled) { settled = true; reject(e); } }, 200));
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    if (body !== undefined) {
      if (chunked) {
        const step = 64 * 1024;
        let off = 0;
        const pump = () => {
          while (off < body.length) {
            const ok = req.write(body.subarray(off, off + step));
            off += step;
            if (!ok) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      } else req.end(body);
    } else req.end();
  });
}

// Raw bytes over TCP; resolves with what came back (status parsed from the
// first line) when the server closes, a full response arrived, or after ms.
function raw(s, data, ms = 3000) {
  const u = new URL(s.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), '127.0.0.1');
    const chunks = [];
    let finished = false;
    const finish = () => {
      if (finished) return; finished = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = text.match(/^HTTP\/1\.[01] (\d{3})/);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(finish, ms);
    sock.on('data', (d) => {
      chunks.push(d);
      const t = Buffer.concat(chunks).toString('latin1');
      const end = t.indexOf('\r\n\r\n');
      if (end >= 0) {
        const cl = t.slice(0, end).match(/\r\ncontent-length:\s*(\d+)/i);
        if (cl && Buffer.byteLength(t.slice(end + 4), 'latin1') >= Number(cl[1])) finish();
      }
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.write(data);
  });
}

async function assertAlive(s, label = '') {
  const r = await fetch(s.url + '/healthz', { signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200, `server not healthy ${label}`);
  assert.deepEqual(await r.json(), { status: 'ok' });
}

describe('hostile input', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0', '--auth-fail-limit', '0'] }); });
  after(() => stopServer(s));

  const jsonHeaders = { 'Content-Type': 'application/json' };
  const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  // Runs every case and reports all failures together, so one bug does not
  // hide the cases after it.
  async function each(cases, fn) {
    const failures = [];
    for (const c of cases) {
      try { await fn(...c); } catch (e) { failures.push(e.message.split('\n')[0]); }
    }
    assert.deepEqual(failures, []);
  }

  async function expect400(body, label, method = 'POST', path = '/api/v1/rooms') {
    const r = await httpReq(s, method, path, { headers: jsonHeaders, body });
    assert.equal(r.status, 400, `${label}: expected 400, got ${r.status} ${r.text.slice(0, 200)}`);
    assert.match(r.json?.message || '', /^Malformed JSON/, `${label}: ${r.text.slice(0, 200)}`);
    assert.match(r.headers['content-type'] || '', /^application\/json/);
  }

  test('invalid UTF-8 inside a JSON string -> 400 Malformed JSON', async () => {
    const cases = [
      ['0xff 0xfe', bytes('{"description":"ab', [0xff, 0xfe], 'cd"}')],
      ['lone continuation byte', bytes('{"description":"abc', [0x80], '"}')],
      ['overlong slash', bytes('{"description":"ab', [0xc0, 0xaf], 'cd"}')],
      ['UTF-16 surrogate encoded as UTF-8', bytes('{"description":"ab', [0xed, 0xa0, 0x80], 'cd"}')],
      ['truncated sequence', bytes('{"description":"ab', [0xe2, 0x82], '"}')],
      ['code point above U+10FFFF', bytes('{"description":"ab', [0xf4, 0x90, 0x80, 0x80], 'cd"}')],
      ['in a tag', bytes('{"tags":["ok","b', [0xfe], 'd"]}')],
      ['in external_id', bytes('{"external_id":"', [0xc3], '"}')],
      ['in a key', bytes('{"descr', [0xff], 'iption":"abcd"}')],
    ];
    await each(cases, (label, body) => expect400(body, label));
    const room = (await s.api('POST', '/api/v1/rooms', { description: 'utf8 patch target' })).json;
    await expect400(bytes('{"description":"ab', [0xff], 'cd"}'), 'PATCH', 'PATCH', '/api/v1/rooms/' + room.id);
    await expect400(bytes('{"ud":"', [0xff], '"}'), 'token', 'POST', `/api/v1/rooms/${room.id}/token`);
    assert.equal((await s.api('GET', '/api/v1/rooms/' + room.id)).json.description, 'utf8 patch target');
  });

  test('malformed JSON -> 400 Malformed JSON', async () => {
    const cases = ['{', '{"description":', '{description:"abc"}', "{'description':'abc'}", '{"a":1,}',
      '{"description":"abc"} trailing', '{}{}', '{"description":"abc"', '{"description":"unterminated}',
      '{"max_participants":01}', '{"max_participants":NaN}', '{"max_participants":Infinity}', '{"a":tru}',
      '{"description":"bad \\x escape"}', '{"description":"ctrl \u0001 char"}', '[', ']', '{"a" 1}'];
    await each(cases.map((c) => [c]), (c) => expect400(Buffer.from(c), JSON.stringify(c)));
  });

  test('raw NUL bytes in the body -> 400 (the body is not cut at the NUL)', async () => {
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    const cases = ['\u0000', '{}\u0000', '{}\u0000garbage', '{"description":"abc"}\u0000{"e2ee_enabled":true}',
      '{"description":"ab\u0000cd"}', '\u0000{"description":"abc"}'];
    await each(cases.map((c) => [c]), (c) => expect400(Buffer.from(c), JSON.stringify(c)));
    assert.equal((await s.api('GET', '/api/v1/rooms')).json.total_count, before, 'a body with a NUL byte created a room');
  });

  test('lone surrogate escape is refused (400 or 422), never stored', async () => {
    const r = await httpReq(s, 'POST', '/api/v1/rooms', { headers: jsonHeaders, body: Buffer.from('{"description":"ab\\ud800cd"}') });
    assert.ok(r.status === 400 || r.status === 422, `${r.status} ${r.text}`);
  });

  test('body over 64 KiB -> 413; exactly 64 KiB is accepted', async () => {
    const pad = (n) => {
      const head = '{"description":"size boundary"';
      return Buffer.from(head + ' '.repeat(n - head.length - 1) + '}');
    };
    const okBody = pad(65536);
    assert.equal(okBody.length, 65536);
    const ok = await httpReq(s, 'POST', '/api/v1/rooms', { headers: jsonHeaders, body: okBody });
    assert.equal(ok.status, 200, `65536 bytes: ${ok.status} ${ok.text.slice(0, 200)}`);
    const big = await httpReq(s, 'POST', '/api/v1/rooms', { headers: jsonHeaders, body: pad(65537) });
    assert.equal(big.status, 413, `65537 bytes: ${big.status} ${big.text.slice(0, 200)}`);
    assert.equal(typeof big.json?.message, 'string');
    await assertAlive(s);
  });

  // Sends like fetch / node:http do (whole body, no Expect: 100-continue);
  // the client must be able to read the 413, not just see a reset.
  async function big(method, path, opts) {
    let r, err;
    try { r = await httpReq(s, method, path, { headers: jsonHeaders, ...opts }); } catch (e) { err = e; }
    await assertAlive(s, `after 10 MB ${method} ${path}`);
    assert.ok(!err, `${method} ${path}: no response, the connection failed with ${err?.code || err?.message} ` +
      '(the server closed without letting the client read a 413)');
    assert.equal(r.status, 413, `${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(typeof r.json?.message, 'string', r.text.slice(0, 200));
  }
  const tenMB = (prefix) => { const b = Buffer.alloc(10 * 1024 * 1024, 0x20); b.write(prefix); return b; };

  test('10 MB body -> 413 readable by the client, and the server still answers', async () => {
    // repeated: whether the client can read the answer before a reset is a race
    const body = tenMB('{"description":"');
    await each([[1], [2], [3]], async (i) => {
      try { await big('POST', '/api/v1/rooms', { body }); } catch (e) { throw new Error(`attempt ${i}: ${e.message}`); }
    });
  });

  test('10 MB body announced with Expect: 100-continue -> 413 instead of 100', async () => {
    const r = await raw(s, Buffer.from(`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${s.auth()}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`));
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assert.match(r.text, /\r\n\r\n\{"message":"[^"]+"\}$/);
    await assertAlive(s);
  });

  test('10 MB chunked body (no Content-Length) -> 413 and the server still answers', async () => {
    await big('POST', '/api/v1/rooms', { body: tenMB('{"description":"'), chunked: true });
  });

  test('10 MB body to PATCH and token -> 413', async () => {
    const room = (await s.api('POST', '/api/v1/rooms', { description: 'big patch target' })).json;
    await each([['PATCH', '/api/v1/rooms/' + room.id], ['POST', `/api/v1/rooms/${room.id}/token`]],
      (m, p) => big(m, p, { body: tenMB('{"u":"') }));
  });

  test('100000 levels of [ -> refused (413: larger than 64 KiB) and the server is alive', async () => {
    const r = await httpReq(s, 'POST', '/api/v1/rooms', { headers: jsonHeaders, body: Buffer.from('['.repeat(100000)) });
    assert.ok(r.status === 400 || r.status === 413, `${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(typeof r.json?.message, 'string');
    await assertAlive(s, 'after 100000 [');
  });

  test('deep nesting under 64 KiB -> 400 Malformed JSON and the server is alive', async () => {
    await expect400(Buffer.from('['.repeat(60000)), '60000 [');
    await expect400(Buffer.from('['.repeat(30000) + ']'.repeat(30000)), 'balanced 30000 []');
    await expect400(Buffer.from('{"a":'.repeat(10000) + '1' + '}'.repeat(10000)), '10000 nested objects');
    await expect400(Buffer.from('{"tags":' + '['.repeat(30000) + ']'.repeat(30000) + '}'), 'deep tags');
    await assertAlive(s, 'after deep nesting');
  });

  const NASTY = [
    "'; DROP TABLE rooms; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "Robert'); DROP TABLE rooms;--",
    '%_%\\%',
    '1; SELECT * FROM sqlite_master; --',
    "x' UNION SELECT id, name FROM roles --",
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '\\"; --',
    '\r\nX-Injected: yes',
  ];

  test('SQL metacharacters in free-text fields are stored verbatim (or 422), never 500', async () => {
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    let made = 0;
    for (const v of NASTY) {
      for (const [field, body, read] of [
        ['description', { description: v.padEnd(3, '.') }, (r) => r.description],
        ['topic', { topic: v.padEnd(3, '.') }, (r) => r.topic],
        ['external_id', { external_id: v }, (r) => r.external_id],
        ['tags', { tags: [v, 'plain'] }, (r) => r.tags],
      ]) {
        const label = `${field}=${JSON.stringify(v)}`;
        const r = await s.api('POST', '/api/v1/rooms', body);
        assert.notEqual(r.status, 500, label);
        const expectedValue = field === 'tags' ? [v, 'plain'] : Object.values(body)[0];
        assert.equal(r.status, 200, `${label}: ${r.status} ${r.text}`);
        made++;
        assert.deepEqual(read(r.json), expectedValue, `${label} not stored verbatim`);
        const g = await s.api('GET', '/api/v1/rooms/' + r.json.id);
        assert.equal(g.status, 200);
        assert.deepEqual(read(g.json), expectedValue, `${label} not read back verbatim`);
        const p = await s.api('PATCH', '/api/v1/rooms/' + r.json.id, body);
        assert.equal(p.status, 200, `${label} PATCH: ${p.text}`);
        assert.deepEqual(read(p.json), expectedValue);
      }
    }
    const l = await s.api('GET', '/api/v1/rooms?limit=100');
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.total_count, before + made);
    const roles = await s.api('GET', '/api/v1/roles');
    assert.equal(roles.json.total_count, 3);
  });

  test('SQL metacharacters in constrained fields -> 422, never 500', async () => {
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    for (const v of NASTY) {
      for (const [field, body] of [
        ['friendly_url', { friendly_url: v }], ['roles', { roles: [v] }], ['default_role', { default_role: v }],
        ['privacy', { privacy: v }], ['expires_at', { expires_at: v }],
      ]) {
        const r = await s.api('POST', '/api/v1/rooms', body);
        assert.equal(r.status, 422, `${field}=${JSON.stringify(v)}: ${r.status} ${r.text}`);
        assert.ok(r.json.errors?.[field], `${field}=${JSON.stringify(v)}: ${r.text}`);
      }
      const u = await s.api('POST', '/api/v1/rooms', { [v]: true });
      assert.equal(u.status, 422, `key ${JSON.stringify(v)}: ${u.status} ${u.text}`);
    }
    assert.equal((await s.api('GET', '/api/v1/rooms')).json.total_count, before);
  });

  test('SQL metacharacters in query parameters -> 422, never 500', async () => {
    for (const v of NASTY) {
      for (const p of ['after', 'order', 'limit', 'offset']) {
        const r = await s.api('GET', `/api/v1/rooms?${p}=${encodeURIComponent(v)}`);
        assert.equal(r.status, 422, `${p}=${JSON.stringify(v)}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(r.json.errors?.[p], `${p}=${JSON.stringify(v)}: ${r.text.slice(0, 200)}`);
      }
    }
    const l = await s.api('GET', '/api/v1/rooms');
    assert.equal(l.status, 200);
  });

  test('SQL metacharacters and LIKE wildcards in {room} never match another room', async () => {
    const a = await s.api('POST', '/api/v1/rooms', { friendly_url: 'abc-def', description: 'wildcard target' });
    assert.equal(a.status, 200, a.text);
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    const keys = [...NASTY, 'abc_def', 'ABC_DEF', 'abc%', '%', '_______', 'abc-de_', "abc-def' --", 'abc-def%00',
      'x'.repeat(5000)];
    for (const k of keys) {
      const path = '/api/v1/rooms/' + encodeURIComponent(k);
      for (const [m, b] of [['GET'], ['PATCH', { is_locked: true }], ['DELETE'], ['POST', {}]]) {
        const p = m === 'POST' ? path + '/token' : path;
        const r = await s.api(m, p, b);
        assert.equal(r.status, 404, `${m} ${p.slice(0, 80)}: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    assert.equal((await s.api('GET', '/api/v1/rooms')).json.total_count, before, 'a hostile DELETE removed rooms');
    const g = await s.api('GET', '/api/v1/rooms/abc-def');
    assert.equal(g.json.is_locked, false, 'a hostile PATCH changed a room');
    // "_" is a valid friendly_url character, not a wildcard: abc_def is free
    const b = await s.api('POST', '/api/v1/rooms', { friendly_url: 'abc_def' });
    assert.equal(b.status, 200, `abc_def wrongly taken: ${b.text}`);
    assert.notEqual(b.json.id, a.json.id);
    assert.equal((await s.api('GET', '/api/v1/rooms/abc_def')).json.id, b.json.id);
    assert.equal((await s.api('GET', '/api/v1/rooms/abc-def')).json.id, a.json.id);
  });

  test('SQL metacharacters in token claims are signed verbatim', async () => {
    const room = (await s.api('POST', '/api/v1/rooms', { description: 'token nasty' })).json;
    for (const v of NASTY) {
      // the server caps initials at 16 bytes (not in the contract; a fair limit)
      const initials = Buffer.byteLength(v) <= 16 ? v : "';--";
      const r = await s.api('POST', `/api/v1/rooms/${room.id}/token`, { u: v, ud: v, initials, avatar: v });
      // Control characters are refused in claims (they would bloat the token
      // and have no place in a name or URL); everything else is signed verbatim.
      if (/[\u0000-\u001f\u007f]/.test(v)) {
        assert.equal(r.status, 422, `${JSON.stringify(v)}: ${r.text}`);
        assert.deepEqual(r.json.errors.u, ['must not contain control characters']);
        continue;
      }
      assert.equal(r.status, 200, `${JSON.stringify(v)}: ${r.text}`);
      const claims = JSON.parse(Buffer.from(r.json.token.split('.')[1], 'base64url').toString('utf8'));
      for (const c of ['u', 'ud', 'avatar']) assert.equal(claims[c], v, `claim ${c}`);
      assert.equal(claims.initials, initials);
    }
  });

  test('\\u0000 escapes in string fields are stored verbatim or refused with 422 (valid JSON, so not 400), never 500', async () => {
    const room = (await s.api('POST', '/api/v1/rooms', { description: 'nul target' })).json;
    const v = 'abc\u0000def';
    const cases = [
      ['POST', '/api/v1/rooms', { description: v }, (r) => r.description],
      ['POST', '/api/v1/rooms', { external_id: v }, (r) => r.external_id],
      ['POST', '/api/v1/rooms', { tags: [v] }, (r) => r.tags[0]],
      ['POST', '/api/v1/rooms', { friendly_url: v }, null],
      ['POST', '/api/v1/rooms', { roles: [v] }, null],
      ['POST', '/api/v1/rooms', { default_role: v }, null],
      ['PATCH', '/api/v1/rooms/' + room.id, { description: v }, (r) => r.description],
      ['POST', `/api/v1/rooms/${room.id}/token`, { u: v }, null],
    ];
    await each(cases, async (m, p, body, read) => {
      const r = await s.api(m, p, body);
      const label = `${m} ${p} ${JSON.stringify(body)}`;
      assert.ok(r.status === 422 || (r.status === 200 && read), `${label}: ${r.status} ${r.text.slice(0, 200)}`);
      if (r.status === 200 && read) assert.equal(read(r.json), v, `${label}: not stored verbatim`);
    });
  });

  test('%00 in {room} never resolves to another room (no truncation at NUL)', async () => {
    const c = await s.api('POST', '/api/v1/rooms', { friendly_url: 'nul-room', description: 'nul path target' });
    assert.equal(c.status, 200, c.text);
    const before = (await s.api('GET', '/api/v1/rooms')).json.total_count;
    await each([
      ['GET', '/api/v1/rooms/nul-room%00junk'],
      ['GET', `/api/v1/rooms/${c.json.id}%00junk`],
      ['PATCH', '/api/v1/rooms/nul-room%00junk', { is_locked: true }],
      ['POST', '/api/v1/rooms/nul-room%00junk/token', {}],
      ['POST', '/api/v1/rooms/nul-room%00/token', {}],
      ['DELETE', '/api/v1/rooms/nul-room%00junk'],
    ], async (m, p, b) => {
      const r = await s.api(m, p, b);
      assert.equal(r.status, 404, `${m} ${p}: ${r.status} ${r.text.slice(0, 120)}`);
    });
    const g = await s.api('GET', '/api/v1/rooms/nul-room');
    assert.equal(g.status, 200, 'nul-room was deleted through a %00 path');
    assert.equal(g.json.is_locked, false, 'nul-room was changed through a %00 path');
    assert.equal((await s.api('GET', '/api/v1/rooms')).json.total_count, before);
  });

  test('many concurrent requests all succeed', async () => {
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2
      ? fetch(s.url + '/healthz').then(async (r) => { await r.text(); return r.status; })
      : s.api('GET', '/api/v1/rooms?limit=5').then((r) => r.status))));
    assert.deepEqual([...new Set(rs)], [200]);
  });

  test('incomplete (slow-loris) requests do not block other clients', async () => {
    const u = new URL(s.url);
    const socks = [];
    try {
      for (let i = 0; i < 20; i++) {
        const sock = net.connect(Number(u.port), '127.0.0.1');
        sock.on('error', () => {});
        socks.push(sock);
        if (i % 2) sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        else sock.write(`POST /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${s.auth()}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"descr');
      }
      await sleep(200);
      const t0 = Date.now();
      await assertAlive(s, 'with slow clients');
      const r = await s.api('POST', '/api/v1/rooms', { description: 'while slow clients hang' });
      assert.equal(r.status, 200, r.text);
      const l = await s.api('GET', '/api/v1/rooms?limit=1');
      assert.equal(l.status, 200);
      assert.ok(Date.now() - t0 < 2000, `requests took ${Date.now() - t0} ms`);
    } finally {
      for (const k of socks) k.destroy();
    }
  });

  test('Content-Length lies and malformed HTTP never kill the server', async () => {
    const auth = s.auth();
    const cases = [
      // body shorter than Content-Length, then the client half-closes
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"description":"short"}`, 'short body', 1000],
      // body longer than Content-Length: the rest is a garbage second request
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}GARBAGE GARBAGE\r\n\r\n`, 'long body'],
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`, 'negative length'],
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`, 'non-numeric length'],
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n`, 'huge length'],
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}`, 'two lengths'],
      [`POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nzz\r\n`, 'TE + CL, bad chunk'],
      ['GARBAGE\r\n\r\n', 'no method/path/version'],
      ['GET\r\n\r\n', 'method only'],
      ['GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 'bad version'],
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n', 'header without colon'],
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(200000) + '\r\n\r\n', '200 KB header'],
      ['GET /' + 'a'.repeat(100000) + ' HTTP/1.1\r\nHost: x\r\n\r\n', '100 KB path'],
      ['GET /healthz HTTP/1.1\r\n' + 'X-H: v\r\n'.repeat(10000) + '\r\n', '10000 headers'],
      ['\x00\x01\x02\xff\xfe\r\n\r\n', 'binary junk'],
      ['GET /api/v1/rooms/\x00\xff HTTP/1.1\r\nHost: x\r\n\r\n', 'binary path'],
      ['GET /api/v1/rooms/%00 HTTP/1.1\r\nHost: x\r\nAuthorization: ' + auth + '\r\n\r\n', 'NUL in path'],
    ];
    // 200 is a fine answer only where the request may legitimately be served
    const may200 = new Set(['long body', 'header without colon', '200 KB header', '10000 headers']);
    for (const [data, label, ms] of cases) {
      const r = await raw(s, Buffer.from(data, 'latin1'), ms ?? 2000);
      if (r.status !== null) {
        assert.ok(r.status >= 400 || (r.status === 200 && may200.has(label)), `${label}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.notEqual(r.status, 500, `${label}: ${r.text.slice(0, 200)}`);
      }
      await assertAlive(s, `after ${label}`);
    }
    const l = await s.api('GET', '/api/v1/rooms');
    assert.equal(l.status, 200);
    assert.ok(!l.json.data.some((r) => r.description === 'short'), 'a truncated body created a room');
  });
});
