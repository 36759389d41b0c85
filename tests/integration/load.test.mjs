// sealroom-load (tools/sealroom-load.c) against a real sealroomd, for a few
// seconds: 2 rooms x (2 publishers + 3 subscribers) made over the REST API;
// every participant receives both kinds from every publisher of its room
// (publishers from the other one), nothing is lost, the one-way delay is
// measured, and the summary's CPU figures are sane. Then a short churn run:
// subscribers leave and rejoin every second and the rest keep receiving.
// Then the Janus backend (--server janus) against a real Janus VideoRoom
// started by bench/janus/start.sh (Debian's janus, a test dependency:
// scripts/deps.sh --test installs it; without it the case fails).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { startServer, stopServer } from '../lib/server.mjs';
import { LOAD_BIN } from '../lib/bot.mjs';

// Runs the load tool to its end; resolves with its exit code, its JSON lines and stderr.
function runLoad(s, args, timeoutMs = 60000) {
  const ws = s.url.replace(/^http/, 'ws') + '/ws';
  return runLoadWith(['--url', ws, '--api-key', `${s.teamId}:${s.devKey}`, '--server-pid', String(s.child.pid), ...args],
    timeoutMs);
}

function runLoadWith(args, timeoutMs) {
  const child = spawn(LOAD_BIN, ['--join-rate', '50', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sealroom-load hung:\n${err}`)); }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ code, signal, lines, stderr: err, summary: lines.find((l) => l.event === 'summary') });
    });
  });
}

describe('sealroom-load', () => {
  let s;
  before(async () => {
    assert.ok(existsSync(LOAD_BIN), `${LOAD_BIN} missing: make build/sealroom-load`);
    s = await startServer({ args: ['--rate-limit', '0', '--join-rate', '0', '--room-join-rate', '0',
      '--max-participants-per-ip', '0', '--log-level', 'warn'] });
  });
  after(async () => { await stopServer(s); });

  test('2 rooms x (2 publishers + 3 subscribers): everyone gets every track, no loss, delay measured', async () => {
    const r = await runLoad(s, ['--rooms', '2', '--publishers', '2', '--subscribers', '3',
      '--warmup', '1', '--duration', '3', '--interval', '1']);
    assert.equal(r.code, 0, r.stderr);
    const m = r.summary;
    assert.ok(m, `no summary:\n${r.stderr}`);
    assert.equal(m.ready, true, r.stderr);
    assert.deepEqual(m.joins, { ok: 10, failed: 0, left: 0, lost: 0 });
    assert.equal(m.subscribers_complete, 6, r.stderr);
    assert.equal(m.publishers_complete, 4, r.stderr);
    assert.ok(r.lines.filter((l) => l.event === 'interval').length >= 2, 'interval lines');
    // 4 publishers at 30 fps video and 50 packets/s audio, each received by
    // 4 others: ~200 audio packets/s per receiver... in total per kind:
    const receivers = 4 * 4; // (publisher, receiver) pairs: 2 rooms x 2 publishers x 4 receivers
    assert.ok(m.audio.pps > receivers * 50 * 0.8 && m.audio.pps < receivers * 50 * 1.2, `audio pps ${m.audio.pps}`);
    assert.ok(m.video.pps > receivers * 30 * 0.8, `video pps ${m.video.pps}`);
    assert.ok(Math.abs(m.sent.video_kbps_per_publisher - 1000) < 100, `video kbps ${m.sent.video_kbps_per_publisher}`);
    for (const k of ['audio', 'video']) {
      assert.ok(m[k].expected > 0 && m[k].packets >= m[k].expected * 0.99, `${k}: ${JSON.stringify(m[k])}`);
      assert.ok(m[k].lost_pct < 1, `${k} loss ${m[k].lost_pct}%`);
      assert.ok(m[k].delay_us.n > 0, `${k}: no delay samples`);
      assert.ok(m[k].delay_us.p50 > 0 && m[k].delay_us.p50 < 50000, `${k} delay p50 ${m[k].delay_us.p50} us`);
      assert.ok(m[k].delay_us.p99 >= m[k].delay_us.p50 && m[k].delay_us.max >= m[k].delay_us.p99 - 10);
      assert.ok(m[k].jitter_ms_mean >= 0 && m[k].jitter_ms_mean < 20, `${k} jitter ${m[k].jitter_ms_mean}`);
    }
    assert.equal(m.all.packets, m.audio.packets + m.video.packets);
    assert.equal(m.all.packets, m.all.subscriber_packets + m.all.publisher_packets);
    assert.ok(m.cpu.load_us > 0 && m.cpu.load_us_per_packet > 0 && m.cpu.load_us_per_packet < 1000, JSON.stringify(m.cpu));
    assert.ok(m.cpu.server_us > 0 && m.cpu.server_us_per_packet > 0, `server CPU: ${JSON.stringify(m.cpu)}`);
  });

  test('--churn: subscribers leave and rejoin every second, the others keep receiving', async () => {
    const r = await runLoad(s, ['--rooms', '1', '--publishers', '1', '--subscribers', '4', '--churn', '1',
      '--warmup', '0.5', '--duration', '3.5']);
    assert.equal(r.code, 0, r.stderr);
    const m = r.summary;
    assert.ok(m.joins.left >= 2, `left ${m.joins.left}`);
    assert.ok(m.joins.ok >= 5 + m.joins.left - 1, JSON.stringify(m.joins));
    assert.equal(m.joins.failed, 0, r.stderr);
    assert.equal(m.joins.lost, 0, r.stderr);
    assert.ok(m.audio.lost_pct < 1 && m.video.lost_pct < 1, `loss ${m.audio.lost_pct}% / ${m.video.lost_pct}%`);
    assert.ok(m.audio.packets > 3 * 4 * 50, `audio packets ${m.audio.packets}`);
  });
});

// A free TCP port on 127.0.0.1 (for Janus's HTTP API).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const JANUS = '/usr/bin/janus';
describe('sealroom-load --server janus', () => {
  let janus, dir, url, log = '';
  before(async () => {
    assert.ok(existsSync(JANUS), `${JANUS} missing: scripts/deps.sh --test installs it`);
    assert.ok(existsSync(LOAD_BIN), `${LOAD_BIN} missing: make build/sealroom-load`);
    dir = mkdtempSync(join(tmpdir(), 'sealroom-load-janus-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/janus`;
    janus = spawn(fileURLToPath(new URL('../../bench/janus/start.sh', import.meta.url)), [String(port), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    janus.stdout.on('data', (d) => { log += d; });
    janus.stderr.on('data', (d) => { log += d; });
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${url}/info`)).ok) return; } catch { /* not yet */ }
      if (janus.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Janus did not start:\n${log}`);
  });
  after(async () => {
    if (janus && janus.exitCode === null) {
      const gone = new Promise((r) => janus.on('exit', r));
      janus.kill('SIGTERM');
      const t = setTimeout(() => janus.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('2 rooms x (2 publishers + 2 subscribers) through Janus: every track, no loss, delay and CPU', async () => {
    const r = await runLoadWith(['--server', 'janus', '--janus-url', url, '--server-pid', String(janus.pid),
      '--rooms', '2', '--publishers', '2', '--subscribers', '2', '--warmup', '1', '--duration', '2'], 60000);
    assert.equal(r.code, 0, r.stderr + log);
    const m = r.summary;
    assert.ok(m, `no summary:\n${r.stderr}`);
    assert.equal(m.server, 'janus');
    assert.equal(m.ready, true, r.stderr);
    assert.deepEqual(m.joins, { ok: 8, failed: 0, left: 0, lost: 0 });
    assert.equal(m.subscribers_complete, 4, r.stderr);
    assert.equal(m.publishers_complete, 4, r.stderr);
    const receivers = 2 * 2 * 3; // 2 rooms x 2 publishers x 3 others
    assert.ok(m.audio.pps > receivers * 50 * 0.8 && m.audio.pps < receivers * 50 * 1.2, `audio pps ${m.audio.pps}`);
    for (const k of ['audio', 'video']) {
      assert.ok(m[k].lost_pct < 1, `${k} loss ${m[k].lost_pct}%`);
      assert.ok(m[k].delay_us.n > 0 && m[k].delay_us.p50 > 0, `${k}: ${JSON.stringify(m[k].delay_us)}`);
    }
    assert.ok(m.cpu.server_us > 0 && m.cpu.server_us_per_packet > 0, `server CPU: ${JSON.stringify(m.cpu)}`);
  });
});
