// sealroom-load (tools/sealroom-load.c) against a real sealroomd, for a few
// seconds: 2 rooms x (2 publishers + 3 subscribers) made over the REST API;
// every participant receives both kinds from every publisher of its room
// (publishers from the other one), nothing is lost, the one-way delay is
// measured (end to end, and in the server from its /metrics histogram), and
// the summary's CPU figures are sane. Then a short churn run: subscribers
// leave and rejoin every second and the rest keep receiving. Then what a
// user gets wrong: a room nobody can join ends at once (exit 1), an E2EE
// room is refused (exit 1), joins refused by a full room give exit 3, bad
// arguments exit 2 naming the option.
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
import { LOAD_BIN, runLoad, runLoadWith } from '../lib/bot.mjs';
import { metric } from '../lib/abuse.mjs';

// The server's count of simulcast layer switches (NaN if /metrics lacks it).
const layerSwitches = (s) => metric(s, 'sealroom_media_layer_switches_total');

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
    // The window's frames, sent or skipped (our loop fell behind): together
    // the schedule, 50 audio and 30 video frames a second per publisher.
    const w = m.sent.window;
    for (const [k, fps] of [['audio', 50], ['video', 30]]) {
      const due = 4 * fps * m.window_s, had = w[`${k}_frames`] + w[`${k}_skipped`];
      assert.ok(Math.abs(had - due) < due * 0.1, `${k}: ${had} frames sent or skipped in the window, schedule ${due.toFixed(0)}`);
    }
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
    // The server's own share of the delay, from its /metrics histogram over the window.
    const f = m.server_forward_delay_us;
    assert.ok(f && f.n > 0 && f.p50 > 0 && f.p99 >= f.p50 && f.mean > 0, `in-server delay: ${JSON.stringify(f)}`);
    assert.ok(f.p50 < 50000, `in-server delay p50 ${f.p50} us`);
    // Every forwarded copy is counted once, in cumulative buckets ending at +Inf.
    const { text } = await s.api('GET', '/metrics');
    const buckets = [...text.matchAll(/^sealroom_media_forward_delay_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
      .map((x) => [x[1], Number(x[2])]);
    assert.ok(buckets.length > 10 && buckets[buckets.length - 1][0] === '+Inf', text);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], JSON.stringify(buckets));
    const count = Number(text.match(/^sealroom_media_forward_delay_seconds_count (\d+)$/m)[1]);
    assert.equal(count, buckets[buckets.length - 1][1]);
    assert.ok(count >= f.n, `count ${count} < window ${f.n}`);
  });

  // Simulcast: each publisher sends three encodings; each receiver asks for
  // the first publisher's high one and the others' low ones (a gallery with
  // a speaker), so the SFU must learn the encodings from their RIDs, switch
  // at their key frames and forward each receiver its own mix, losslessly.
  test('--simulcast --quality speaker: each receiver gets the speaker high and the rest low', async () => {
    const switches0 = await layerSwitches(s);
    const r = await runLoad(s, ['--rooms', '1', '--publishers', '3', '--subscribers', '2', '--simulcast',
      '--quality', 'speaker', '--warmup', '1', '--duration', '3']);
    assert.equal(r.code, 0, r.stderr);
    const m = r.summary;
    assert.equal(m.simulcast, true);
    assert.equal(m.quality, 'speaker');
    assert.equal(m.subscribers_complete, 2, r.stderr);
    assert.equal(m.publishers_complete, 3, r.stderr);
    const [low, medium, high] = m.sent.video_kbps_per_encoding;
    assert.ok(low < medium && medium < high && Math.abs(high - 1000) < 100, JSON.stringify(m.sent));
    assert.ok(m.video.lost_pct < 1 && m.audio.lost_pct < 1, `loss ${m.video.lost_pct}% / ${m.audio.lost_pct}%`);
    // Two subscribers get 1 high + 2 low; publisher 0 gets 2 low, the others
    // 1 high (publisher 0) + 1 low: 4 high and 8 low streams in all.
    const want = 4 * high + 8 * low;
    const got = (m.video.bytes * 8) / 1000 / m.window_s;
    assert.ok(got > want * 0.8 && got < want * 1.25, `received ${got.toFixed(0)} kbit/s of video, want ~${want.toFixed(0)}`);
    // Each of those 12 down tracks took up its encoding at a key frame: the
    // server counts it for operators.
    const switches = (await layerSwitches(s)) - switches0;
    assert.ok(switches >= 12, `sealroom_media_layer_switches_total grew by ${switches}, want >= 12`);
  });

  // With --sockets own (a socket per connection, not the shared one the
  // first case used: both ways of the client's UDP are covered).
  test('--churn: subscribers leave and rejoin every second, the others keep receiving', async () => {
    const r = await runLoad(s, ['--rooms', '1', '--publishers', '1', '--subscribers', '4', '--churn', '1',
      '--warmup', '0.5', '--duration', '3.5', '--sockets', 'own']);
    assert.equal(r.code, 0, r.stderr);
    const m = r.summary;
    assert.ok(m.joins.left >= 2, `left ${m.joins.left}`);
    assert.ok(m.joins.ok >= 5 + m.joins.left - 1, JSON.stringify(m.joins));
    assert.equal(m.joins.failed, 0, r.stderr);
    assert.equal(m.joins.lost, 0, r.stderr);
    assert.ok(m.audio.lost_pct < 1 && m.video.lost_pct < 1, `loss ${m.audio.lost_pct}% / ${m.video.lost_pct}%`);
    assert.ok(m.audio.packets > 3 * 4 * 50, `audio packets ${m.audio.packets}`);
  });

  test('a room nobody can join: it says so at once and exits 1', async () => {
    const t0 = Date.now();
    const r = await runLoad(s, ['--room', 'no-such-room', '--publishers', '1', '--subscribers', '2']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /room_not_found/);
    assert.match(r.stderr, /nobody could join/);
    assert.ok(Date.now() - t0 < 10000, `took ${Date.now() - t0} ms (the ready timeout is 60 s)`);
  });

  test('an E2EE room is refused: its frames would be encrypted, so no delay could be read', async () => {
    const c = await s.api('POST', '/api/v1/rooms', { friendly_url: 'load-e2ee', e2ee_enabled: true });
    assert.ok(c.status === 200 || c.status === 201, c.text);
    const r = await runLoad(s, ['--room', 'load-e2ee', '--publishers', '1', '--subscribers', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /E2EE room/);
    assert.equal(r.summary, undefined);
  });

  test('some joins refused (a room for 2): measured, but exit 3', async () => {
    const c = await s.api('POST', '/api/v1/rooms', { friendly_url: 'load-small', max_participants: 2 });
    assert.ok(c.status === 200 || c.status === 201, c.text);
    const r = await runLoad(s, ['--room', 'load-small', '--publishers', '1', '--subscribers', '3',
      '--ready-timeout', '2', '--warmup', '0', '--duration', '1']);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.summary, r.stderr);
    assert.equal(r.summary.joins.failed, 2, JSON.stringify(r.summary.joins));
    assert.equal(r.summary.ready, false);
  });

  test('bad arguments: exit 2, with the option named', async () => {
    const cases = [
      [['--duration', 'abc'], /--duration wants a number/],
      [['--subscribers', '2.5'], /--subscribers wants a whole number/],
      [['--server-pid', '12 34'], /--server-pid wants a number/],
      [['--sockets', 'maybe'], /--sockets is shared or own/],
      [['--quality', 'bogus', '--simulcast'], /--quality is high, medium, low or speaker/],
      [['--quality', 'low'], /--quality .* needs --simulcast/],
      [['--size', '100'], /--size wants WxH/],
      [['--simulcast', '--size', '10x10'], /--size wants WxH/],
      [['--size', '641x360'], /--size wants WxH/],
      [['--size', '4294967936x360'], /--size wants WxH/],
      [['--janus-room-base', ' -5'], /--janus-room-base wants a room number/],
      [['--server', 'janus', '--janus-url', 'http://127.0.0.1:1/janus', '--quality', 'low'], /for sealroomd only/],
      [['--publishers', '0', '--subscribers', '0'], /nobody would join/],
      [['--rooms', '1', 'stray'], /unexpected argument "stray"/],
    ];
    for (const [args, re] of cases) {
      const r = await runLoad(s, ['--rooms', '1', ...args], 10000);
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    // A pid that is gone.
    const gone = spawn('true');
    await new Promise((res) => gone.on('exit', res));
    const r = await runLoadWith(['--url', 'ws://127.0.0.1:1/ws', '--room', 'x', '--server-pid', String(gone.pid)], 10000);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no such process/);
    const h = await runLoadWith(['--url', 'http://127.0.0.1:1/ws', '--room', 'x'], 10000);
    assert.equal(h.code, 2, h.stderr);
    assert.match(h.stderr, /--url is the signalling WebSocket/);
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
