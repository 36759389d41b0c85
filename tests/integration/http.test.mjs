// Non-API HTTP surface: /healthz, GET / redirect, the static dashboard (types,
// security headers, no inline code), path traversal, 404 and 405 answers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, extname, relative } from 'node:path';
import { startServer, ROOT, stopServer } from '../lib/server.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const WEB = join(ROOT, 'web/dashboard');
const TYPES = {
  '.html': /^text\/html(;|$)/, '.js': /^(text|application)\/javascript(;|$)/, '.mjs': /^(text|application)\/javascript(;|$)/,
  '.css': /^text\/css(;|$)/, '.json': /^application\/json(;|$)/, '.svg': /^image\/svg\+xml(;|$)/, '.png': /^image\/png$/,
  '.ico': /^image\/(x-icon|vnd\.microsoft\.icon)$/, '.txt': /^text\/plain(;|$)/, '.woff2': /^font\/woff2$/,
  '.webmanifest': /^application\/manifest\+json(;|$)/, '.map': /^application\/json(;|$)/,
};


function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p)); else out.push(p);
  }
  return out;
}

// Raw request line, so that "..", "%2e" and friends reach the server as sent
// (fetch would normalise them away).
function rawGet(s, path, ms = 3000) {
  const u = new URL(s.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return; done = true;
      clearTimeout(timer); sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = text.match(/^HTTP\/1\.[01] (\d{3})/);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(finish, ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', finish); sock.on('close', finish); sock.on('error', finish);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

function assertStaticHeaders(r, label) {
  assert.equal(r.headers.get('content-security-policy'), CSP, `${label}: CSP`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${label}: nosniff`);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer', `${label}: Referrer-Policy`);
}

describe('http surface', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
  after(() => stopServer(s));

  test('GET /healthz -> 200 {"status":"ok"}', async () => {
    const r = await fetch(s.url + '/healthz');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    assert.deepEqual(JSON.parse(await r.text()), { status: 'ok' });
  });

  test('GET / -> 302 to /dashboard', async () => {
    const r = await fetch(s.url + '/', { redirect: 'manual' });
    assert.equal(r.status, 302);
    const loc = r.headers.get('location');
    assert.ok(loc === '/dashboard' || /^https?:\/\/[^/]+\/dashboard$/.test(loc), `Location: ${loc}`);
    await r.text();
  });

  test('GET /dashboard serves web/dashboard/index.html with the security headers', async () => {
    const r = await fetch(s.url + '/dashboard', { redirect: 'manual' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') || '', TYPES['.html']);
    assertStaticHeaders(r, '/dashboard');
    assert.equal(await r.text(), readFileSync(join(WEB, 'index.html'), 'utf8'));
  });

  test('every file under web/dashboard is served byte for byte with its Content-Type', async () => {
    const files = walk(WEB);
    assert.ok(files.length > 0);
    for (const f of files) {
      const rel = relative(WEB, f).split('\\').join('/');
      const r = await fetch(s.url + '/dashboard/' + rel);
      assert.equal(r.status, 200, `/dashboard/${rel}`);
      const type = TYPES[extname(f).toLowerCase()];
      if (type) assert.match(r.headers.get('content-type') || '', type, `/dashboard/${rel}`);
      else assert.ok(r.headers.get('content-type'), `/dashboard/${rel}: no Content-Type`);
      assertStaticHeaders(r, `/dashboard/${rel}`);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(readFileSync(f)), `/dashboard/${rel}: content differs`);
    }
  });

  test('dashboard HTML obeys its own CSP: no inline scripts, styles or event handlers', () => {
    for (const f of walk(WEB).filter((p) => /\.html?$/i.test(p))) {
      const html = readFileSync(f, 'utf8');
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(m[1], /\bsrc\s*=/i, `${f}: inline <script>`);
        assert.equal(m[2].trim(), '', `${f}: <script src> with inline content`);
      }
      assert.doesNotMatch(html, /<style\b/i, `${f}: <style> element`);
      assert.doesNotMatch(html, /\sstyle\s*=/i, `${f}: style= attribute`);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${f}: inline event handler`);
      assert.doesNotMatch(html, /javascript:/i, `${f}: javascript: URL`);
    }
  });

  test('unknown dashboard file -> 404', async () => {
    for (const p of ['/dashboard/nope.js', '/dashboard/index.html.bak', '/dashboard/.env', '/dashboard/sub/dir/x.css']) {
      const r = await fetch(s.url + p);
      assert.equal(r.status, 404, p);
      await r.text();
    }
  });

  test('path traversal never serves a file outside web/dashboard', async () => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    const paths = [
      '/dashboard/../../etc/passwd',
      '/dashboard/../../../../../../../../etc/passwd',
      '/dashboard/%2e%2e/%2e%2e/etc/passwd',
      '/dashboard/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/dashboard/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
      '/dashboard/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/dashboard/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/dashboard/..%5c..%5c..%5c..%5c..%5cetc%5cpasswd',
      '/dashboard/%252e%252e/%252e%252e/%252e%252e/etc/passwd',
      '/dashboard/....//....//....//etc/passwd',
      '/dashboard/..\\..\\..\\..\\etc\\passwd',
      '/dashboard/..%c0%af..%c0%af..%c0%afetc%c0%afpasswd',
      '/dashboard/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/dashboard//etc/passwd',
      '/dashboard/%2fetc%2fpasswd',
      '/dashboard/%00../../etc/passwd',
      '/dashboard/index.html%00.png',
      '/dashboard/../../Makefile',
      '/dashboard/%2e%2e/%2e%2e/Makefile',
      '/dashboard/..%2f..%2fMakefile',
      '/dashboard/../../src/main.c',
      '/dashboard/..',
      '/dashboard/%2e%2e',
      '/dashboard/./../../Makefile',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const p of paths) {
      const r = await rawGet(s, p);
      assert.ok(r.status === 404 || r.status === 400, `${p}: status ${r.status}`);
      const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
      assert.doesNotMatch(body, /root:.*:0:0:/, `${p}: /etc/passwd content served`);
      assert.ok(!body.includes(makefile.slice(0, 60)), `${p}: Makefile content served`);
      assert.doesNotMatch(body, /#include\s*[<"]/, `${p}: C source served`);
    }
    const r = await fetch(s.url + '/healthz');
    assert.equal(r.status, 200);
    await r.text();
  });

  test('known non-API route, wrong method -> 405 with Allow', async () => {
    for (const [method, path] of [['POST', '/healthz'], ['DELETE', '/healthz'], ['POST', '/metrics'], ['PUT', '/metrics']]) {
      const r = await fetch(s.url + path, { method });
      const text = await r.text();
      assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${text}`);
      assert.deepEqual(JSON.parse(text), { message: 'Method not allowed.' });
      const allow = (r.headers.get('allow') || '').split(',').map((x) => x.trim().toUpperCase());
      assert.ok(allow.includes('GET'), `${method} ${path}: Allow "${allow}"`);
      assert.ok(!allow.includes(method));
    }
  });

  test('HEAD /healthz is answered without a body', async () => {
    const r = await fetch(s.url + '/healthz', { method: 'HEAD' });
    assert.ok(r.status === 200 || r.status === 405, `HEAD /healthz: ${r.status}`);
    assert.equal(await r.text(), '');
  });

  test('unknown /api route -> 404 {"message":"Not found."}', async () => {
    const r = await s.api('GET', '/api/v1/does-not-exist');
    assert.equal(r.status, 404, r.text);
    assert.deepEqual(r.json, { message: 'Not found.' });
  });
});
