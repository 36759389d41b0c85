// Hostile clients on ICE-TCP (issue 12, item 2: "framing lies, slow senders,
// thousands of idle connections"). The honest call runs over ICE-TCP itself
// (--test-no-udp: no UDP candidate, UDP dropped), so every attack hits the
// path it uses. Bounds under attack: a connection that has not passed an ICE
// check within 5 s is closed; one client keeps at most 32 such connections and
// all clients together 256 (the rest are closed as they are accepted); a
// length of 0 or over 1500 closes the connection at once; at most 64 KiB are
// read from one connection per turn of the loop.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { startServer, stopServer } from '../lib/server.mjs';
import { sleep, until } from '../lib/wait.mjs';
import { honestCall, metric } from '../lib/abuse.mjs';

// A TCP connection to the media port from `from`; resolves once connected
// (or failed) with { sock, open, closedAt }.
function connect(s, from = '127.0.0.1') {
  const sock = net.connect({ port: s.mediaPort, host: '127.0.0.1', localAddress: from });
  const h = { sock, open: false, closedAt: 0 };
  sock.on('error', () => {});
  sock.on('close', () => { h.open = false; h.closedAt = Date.now(); });
  return new Promise((resolve) => {
    sock.on('connect', () => { h.open = true; resolve(h); });
    sock.on('close', () => resolve(h));
  });
}

const HONEST = 4; // two participants, two connections each

describe('ICE-TCP under attack', () => {
  let s, survive, stop;
  before(async () => {
    ({ s, survive, stop } = await honestCall({ args: ['--test-mode', '--test-no-udp'] }));
    assert.equal(await metric(s, 'sealroom_media_tcp_connections'), HONEST, 'the honest call runs over ICE-TCP');
  }, { timeout: 60000 });
  after(async () => { if (stop) await stop(); });

  test('3000 idle connections from one client: 32 wait (5 s), the rest are closed at once', { timeout: 60000 }, async () => {
    const refused0 = await metric(s, 'sealroom_media_tcp_refused_total');
    const held = await survive('3000 idle connections', async () => {
      const all = [];
      for (let wave = 0; wave < 6; wave++) { // 500 at a time: the client's own open-files limit
        const conns = await Promise.all(Array.from({ length: 500 }, () => connect(s)));
        await sleep(300);
        all.push(...conns);
        for (const c of conns) if (!c.open) c.sock.destroy();
      }
      const open = all.filter((c) => c.open);
      console.log(`# idle: ${open.length} of ${all.length} still open 0.3 s after connecting; ` +
        `gauge ${await metric(s, 'sealroom_media_tcp_connections')}`);
      assert.ok(open.length <= 32, `${open.length} held`);
      assert.ok(await metric(s, 'sealroom_media_tcp_connections') <= HONEST + 32);
      const t0 = Date.now();
      await until('the silent ones are closed', () => open.every((c) => !c.open), 10000);
      console.log(`# idle: the last silent connection closed ${Date.now() - t0} ms later`);
      return all.length;
    });
    assert.ok(await metric(s, 'sealroom_media_tcp_refused_total') - refused0 >= held - 32 * 6);
    await until('only the honest connections are left', async () =>
      (await metric(s, 'sealroom_media_tcp_connections')) === HONEST, 7000);
  });

  test('many clients together hold at most 256 waiting connections', { timeout: 60000 }, async () => {
    await survive('idle from 20 addresses', async () => {
      const conns = [];
      for (let a = 2; a < 22; a++) {
        conns.push(...await Promise.all(Array.from({ length: 30 }, () => connect(s, `127.0.0.${a}`))));
      }
      await sleep(300);
      const open = conns.filter((c) => c.open).length;
      console.log(`# 20 addresses x 30: ${open} of ${conns.length} open; gauge ${await metric(s, 'sealroom_media_tcp_connections')}`);
      assert.ok(open <= 256, `${open} held`);
      assert.ok(open >= 200, `the limit is global, not per client: only ${open} held`);
      for (const c of conns) c.sock.destroy();
    });
  });

  test('framing lies close the connection at once', { timeout: 30000 }, async () => {
    const closed0 = await metric(s, 'sealroom_media_tcp_closed_total');
    await survive('framing lies', async () => {
      const lies = [Buffer.from([0, 0]), Buffer.from([0xff, 0xff]), Buffer.from([0x05, 0xdd])];
      const conns = await Promise.all(Array.from({ length: 30 }, () => connect(s)));
      const t0 = Date.now();
      conns.forEach((c, i) => c.sock.write(lies[i % 3]));
      await until('every liar is closed', () => conns.every((c) => !c.open), 3000);
      const worst = Math.max(...conns.map((c) => c.closedAt - t0));
      console.log(`# lies: 30 connections closed within ${worst} ms`);
      assert.ok(worst < 1000);
    });
    assert.equal(await metric(s, 'sealroom_media_tcp_closed_total') - closed0, 30);
  });

  test('slow senders: a frame trickled a byte at a time is cut at the 5 s deadline', { timeout: 30000 }, async () => {
    await survive('slow senders', async () => {
      const conns = await Promise.all(Array.from({ length: 20 }, () => connect(s)));
      const t0 = Date.now();
      conns.forEach((c) => c.sock.write(Buffer.from([0x05]))); // a 1280-byte frame, begun
      const timer = setInterval(() => { for (const c of conns) if (c.open) c.sock.write(Buffer.from([0x00])); }, 200);
      try {
        await until('the slow senders are cut', () => conns.every((c) => !c.open), 9000);
      } finally {
        clearInterval(timer);
      }
      const at = conns.map((c) => c.closedAt - t0);
      console.log(`# slow senders: cut after ${Math.min(...at)}-${Math.max(...at)} ms`);
      assert.ok(Math.min(...at) >= 4000 && Math.max(...at) < 7500);
    });
  });

  test('garbage at full speed on 10 connections: read within budget, cut at the deadline', { timeout: 30000 }, async () => {
    const in0 = await metric(s, 'sealroom_media_packets_in_total');
    const sent = await survive('garbage flood', async () => {
      const conns = await Promise.all(Array.from({ length: 10 }, () => connect(s)));
      const frame = Buffer.concat([Buffer.from([0x05, 0xdc]), randomBytes(1500)]); // valid length, junk inside
      frame[2] = 0x80; // looks like RTP: dropped as from an unknown address
      const burst = Buffer.concat(Array(40).fill(frame));
      let bytes = 0;
      const t0 = Date.now();
      while (conns.some((c) => c.open) && Date.now() - t0 < 8000) {
        for (const c of conns) if (c.open && c.sock.writableLength < (1 << 20)) { c.sock.write(burst); bytes += burst.length; }
        await sleep(5);
      }
      assert.ok(conns.every((c) => !c.open), 'the flooders are cut at the bind deadline');
      return bytes;
    });
    const frames = await metric(s, 'sealroom_media_packets_in_total') - in0;
    console.log(`# garbage: ${(sent / 1e6).toFixed(1)} MB written by the attackers, ${frames} frames taken in and dropped`);
  });
});

// Out of descriptors: the listener stays readable while accept() fails with
// EMFILE; polling it again at once spun the media worker at 100% of a core
// (measured: 301 of 300 possible CPU ticks in 3 s). Now accepting pauses
// until the next tick (20 ms).
describe('ICE-TCP out of file descriptors', () => {
  test('accept failing with EMFILE does not spin the media worker', { timeout: 30000 }, async () => {
    const s = await startServer({ args: ['--rate-limit', '0'] });
    const socks = [];
    try {
      const pid = s.child.pid;
      const open = readdirSync(`/proc/${pid}/fd`).length;
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${open + 40}:${open + 40}`]);
      for (let i = 0; i < 200; i++) { // 10 clients, 20 each: within the per-client limit, over the descriptors
        const c = net.connect({ port: s.mediaPort, host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % 10)}` });
        c.on('error', () => {});
        socks.push(c);
      }
      await sleep(500);
      const ticks = () => {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
        return Number(v[11]) + Number(v[12]);
      };
      const t0 = ticks();
      await sleep(3000);
      const used = ticks() - t0;
      console.log(`# EMFILE: ${readdirSync(`/proc/${pid}/fd`).length} descriptors open, ${used} CPU ticks (of 300) in 3 s`);
      assert.ok(used < 60, `the worker spins: ${used} ticks in 3 s`);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      for (const c of socks) c.destroy();
      await stopServer(s);
    }
  });
});
