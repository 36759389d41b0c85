// SIGTERM / SIGINT: clean and quick exit with status 0, even with clients
// connected; no data lost.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';

const started = [];
async function start(opts) {
  const s = await startServer({ args: ['--rate-limit', '0'], ...opts });
  started.push(s);
  return s;
}

describe('graceful shutdown', () => {
  after(async () => {
    for (const s of started) {
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
      s.cleanup();
    }
  });

  async function timedStop(s, signal) {
    const t0 = Date.now();
    const killer = setTimeout(() => s.child.kill('SIGKILL'), 8000);
    const exit = await s.stop(signal);
    clearTimeout(killer);
    return { ...exit, ms: Date.now() - t0 };
  }

  test('SIGTERM on an idle server -> exit 0 quickly', async () => {
    const s = await start();
    const r = await fetch(s.url + '/healthz');
    assert.equal(r.status, 200);
    await r.text();
    const exit = await timedStop(s, 'SIGTERM');
    assert.equal(exit.signal, null, `killed by ${exit.signal}`);
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 2000, `took ${exit.ms} ms`);
  });

  test('SIGINT -> exit 0 quickly', async () => {
    const s = await start();
    await (await fetch(s.url + '/healthz')).text();
    const exit = await timedStop(s, 'SIGINT');
    assert.equal(exit.signal, null, `killed by ${exit.signal}`);
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 2000, `took ${exit.ms} ms`);
  });

  // Once the listening line is out, a supervisor may signal at any moment.
  for (const sig of ['SIGTERM', 'SIGINT']) test(`${sig} right after the listening line -> exit 0`, async () => {
    const s = await start();
    const exit = await timedStop(s, sig);
    assert.equal(exit.signal, null, `killed by ${exit.signal}`);
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 2000, `took ${exit.ms} ms`);
  });

  test('SIGTERM with idle keep-alive and half-sent requests still exits 0 within 5 s', async () => {
    const s = await start();
    const u = new URL(s.url);
    const socks = [];
    for (let i = 0; i < 5; i++) {
      const k = net.connect(Number(u.port), '127.0.0.1');
      k.on('error', () => {});
      socks.push(k);
      await new Promise((res) => k.once('connect', res));
      if (i % 2) k.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // never finished
      else k.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'); // answered, then idle keep-alive
    }
    await new Promise((res) => setTimeout(res, 200));
    const exit = await timedStop(s, 'SIGTERM');
    for (const k of socks) k.destroy();
    assert.equal(exit.signal, null, `killed by ${exit.signal}`);
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 5000, `took ${exit.ms} ms`);
  });

  test('a room created right before SIGTERM is kept', async () => {
    const s = await start({ keepData: true });
    const c = await s.api('POST', '/api/v1/rooms', { description: 'last words', friendly_url: 'last-words' });
    assert.equal(c.status, 200, c.text);
    const exit = await timedStop(s, 'SIGTERM');
    assert.equal(exit.code, 0);
    const s2 = await start({ dataDir: s.dataDir, teamId: s.teamId, devKey: s.devKey });
    const g = await s2.api('GET', '/api/v1/rooms/last-words');
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.id, c.json.id);
    assert.equal((await timedStop(s2, 'SIGTERM')).code, 0);
  });

  test('--version and --help exit 0', async () => {
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../lib/server.mjs');
    const v = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 5000 });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /0\.1\.0/);
    const h = spawnSync(BIN, ['--help'], { encoding: 'utf8', timeout: 5000 });
    assert.equal(h.status, 0, h.stderr);
    for (const flag of ['--listen', '--port', '--data-dir', '--web-dir', '--public-url', '--log-level', '--rate-limit',
      '--auth-fail-limit', '--new-key']) assert.ok((h.stdout + h.stderr).includes(flag), `--help lacks ${flag}`);
  });
});
