// Media workers (docs/architecture.md, "Media workers and placement"): a
// sealroomd with two workers has a port each (consecutive with a fixed
// --media-port), spreads rooms over them, each room's media on one worker
// (its SDP names that worker's port), and /metrics shows the spread. Real
// media from sealroom-load: 4 rooms, everyone receives everything.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { runLoad } from '../lib/bot.mjs';
import { until } from '../lib/wait.mjs';

// Each worker's value of a per-worker metric, by index.
async function perWorker(s, name) {
  const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
  const out = [];
  for (const m of text.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} (\\d+)`, 'gm'))) out[Number(m[1])] = Number(m[2]);
  return out;
}

describe('media workers', () => {
  let s;
  before(async () => {
    s = await startServer({ args: ['--media-workers', '2', '--rate-limit', '0', '--join-rate', '0',
      '--room-join-rate', '0', '--max-participants-per-ip', '0', '--log-level', 'warn'] });
  });
  after(async () => { await stopServer(s); });

  test('two workers: a port each, rooms spread over both, every track received', { timeout: 60000 }, async () => {
    assert.equal(s.mediaPorts.length, 2, s.stdout);
    assert.notEqual(s.mediaPorts[0], s.mediaPorts[1]);
    assert.deepEqual(await perWorker(s, 'sealroom_media_worker_rooms'), [0, 0]);
    const run = runLoad(s, ['--rooms', '4', '--publishers', '1', '--subscribers', '2', '--warmup', '1', '--duration', '3']);
    // While it runs: both workers carry rooms, four in all.
    await until('rooms on both workers', async () => {
      const r = await perWorker(s, 'sealroom_media_worker_rooms');
      return (r[0] >= 1 && r[1] >= 1 && r[0] + r[1] === 4) || JSON.stringify(r);
    }, 20000);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const m = r.summary;
    assert.ok(m.ready && m.subscribers_complete === 8 && m.publishers_complete === 4, JSON.stringify(m));
    assert.equal(m.all.lost_pct, 0);
    // The load tool saw both worker threads forward.
    assert.equal(m.cpu.workers.length, 2, JSON.stringify(m.cpu));
    for (const w of m.cpu.workers) assert.ok(w.packets_out_per_s > 50, JSON.stringify(m.cpu.workers));
    const out = await perWorker(s, 'sealroom_media_worker_packets_out_total');
    assert.ok(out[0] > 0 && out[1] > 0, JSON.stringify(out));
    // Everyone left: the rooms are released from their workers.
    await until('rooms released', async () => {
      const left = await perWorker(s, 'sealroom_media_worker_rooms');
      return (left[0] === 0 && left[1] === 0) || JSON.stringify(left);
    }, 10000);
    assert.deepEqual(await perWorker(s, 'sealroom_media_worker_transports'), [0, 0]);
  });
});
