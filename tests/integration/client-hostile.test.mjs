// The native client (sealroom-bot on libsealroom-client) against a hostile
// signalling server (tests/lib/fake-signal.mjs): docs/e2ee.md's threat model
// says the server may send anything. Each test is one attack; the client must
// survive it (no crash, no sanitizer report, a clean "end" event), keep its
// memory bounded, and keep E2EE's alarms as the browser raises them.
//
// SEALROOM_BOT_BIN=build-san/sealroom-bot runs them on the ASan/UBSan build
// (make SANITIZE=address,undefined build-san/sealroom-bot); the memory bounds
// are sized for either build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import dgram from 'node:dgram';
import { startBot } from '../lib/bot.mjs';
import { startServer, stopServer } from '../lib/server.mjs';
import { startFakeSignal, welcome, participant, serverSdp, serverFrame, uuid, b64key } from '../lib/fake-signal.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The bot against a server (real or fake); receive-only unless args say otherwise.
const bot = (server, args = ['--no-audio', '--no-video'], room = 'x') =>
  startBot(server, room, ['--size', '64x64', ...args]);

// One fake server and one bot for fn(conn-promise, bot); both always ended.
async function attack(script, args, check) {
  let connResolve;
  const connP = new Promise((r) => { connResolve = r; });
  const fake = await startFakeSignal(async (c) => { connResolve(c); await script(c); });
  const b = bot(fake, args);
  try {
    await check(b, connP);
  } finally {
    try { await b.stop(); } finally { fake.close(); }
  }
  return b;
}

const joinThen = (fn) => async (c) => { await c.next((m) => m.type === 'join', 10000); await fn(c); };

// ---- the review's findings (each failed on the first build; fixed) ----------

test('an error message cut inside a UTF-8 sequence still gives an "end" event (client.c cuts the reason at 180 bytes)', async () => {
  await attack(joinThen(async (c) => {
    c.send(welcome());
    await sleep(200);
    // 179 ASCII bytes then a 3-byte character: "%.180s" keeps its first byte.
    c.send({ type: 'error', code: 'kicked', message: 'a'.repeat(179) + '\u20ac and more' });
    c.frame(0x8, Buffer.from([0x0f, 0xa0]));
    setTimeout(() => c.sock.end(), 100);
  }), undefined, async (b) => {
    await b.waitFor('joined', (x) => x.last('joined'));
    await b.exited;
    const end = b.last('end');
    assert.ok(end, `no "end" event on stdout (json_pack refused the invalid UTF-8 reason); stderr:\n${b.stderr.slice(-600)}`);
    assert.match(end.reason, /^kicked: a+/);
  });
});

test('control characters from the server never reach the terminal raw (error code and message, names)', async () => {
  const evil = '\u001b]0;pwned\u0007\u001b[2J';
  await attack(joinThen(async (c) => {
    c.send(welcome({ participants: [participant({ name: 'mallory\u009b2J' })] }));
    await sleep(200);
    c.send({ type: 'error', code: 'x' + evil, message: 'msg' + evil });
    c.frame(0x8, Buffer.from([0x0f, 0xa0]));
    setTimeout(() => c.sock.end(), 100);
  }), undefined, async (b) => {
    await b.waitFor('joined', (x) => x.last('joined'));
    await b.exited;
    // eslint-disable-next-line no-control-regex
    const raw = b.stderr.match(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/u);
    assert.equal(raw, null, `stderr carries a raw control character (${raw && JSON.stringify(raw[0])}):\n${JSON.stringify(b.stderr.slice(-400))}`);
  });
});

test('a ping flood from a server that does not read: the client\'s memory stays bounded; past 4096 unsent pongs it ends the call (1008 "ping flood")', async () => {
  await attack(joinThen(async (c) => {
    c.send(welcome());
  }), undefined, async (b, connP) => {
    const c = await connP;
    await b.waitFor('joined', (x) => x.last('joined'));
    await sleep(300);
    const base = b.rssKb();
    let peak = 0;
    c.readPaused = true; // the server reads nothing: every pong stays queued in the client
    const ping = serverFrame(0x9, Buffer.alloc(125, 0x41));
    const chunk = Buffer.concat(Array(1000).fill(ping)); // 127 kB
    const gone = new Promise((r) => c.sock.once('close', r));
    for (let i = 0; i < 320 && !c.sock.destroyed && !b.exit; i++) { // up to 40 MB of pings
      // A client that stops reading never drains the socket: wait for either.
      if (!c.raw(chunk)) await Promise.race([new Promise((r) => c.sock.once('drain', r)), gone, sleep(3000)]);
      peak = Math.max(peak, b.rssKb() - base);
    }
    // The kernel's socket buffers may absorb the pongs of a shorter flood:
    // then the call goes on, which is fine; if the client ended it, it was
    // for the flood.
    const exit = await Promise.race([b.exited, sleep(3000).then(() => null)]);
    assert.ok(peak < 24 * 1024, `RSS grew by ${peak} kB under a flood of pings whose pongs the server never read`);
    if (exit) {
      assert.equal(exit.code, 1, b.stderr.slice(-600));
      assert.match(b.last('end').reason, /ping flood/);
    }
  });
});

test('E2EE: a present participant\'s key replaced by an invalid one raises key_changed, as the browser does', async () => {
  const A = participant({ slot: 2 });
  await attack(joinThen(async (c) => {
    c.send(welcome({ room: { e2ee_enabled: true }, participants: [A] }));
    await sleep(300);
    // The worker's addPeer compares strings: any other value is a change.
    c.send({ type: 'participant_joined', participant: { ...A, public_key: 'AAAA' } });
  }), undefined, async (b) => {
    await b.waitFor('joined', (x) => x.last('joined'));
    await b.waitFor('key_changed alarm for A (the C parser drops the whole participant_joined instead)',
      (x) => x.events.find((e) => e.event === 'alarm' && e.reason === 'key_changed' && e.participant_id === A.id), 3000);
  });
});

// ---- attacks the client withstands (regressions) ---------------------------

test('a server that never answers: no welcome after join, or no publish_answer, ends the call with a timeout error', async () => {
  // No welcome: the socket is kept alive (the fake answers nothing but pings).
  await attack(joinThen(async () => {}), ['--timeout', '1.5'], async (b) => {
    const exit = await b.exited;
    assert.equal(exit.code, 1, b.stderr.slice(-600));
    assert.match(b.last('end').reason, /^timeout: no welcome/);
  });
  // A welcome, then silence about the publish offer.
  await attack(joinThen(async (c) => { c.send(welcome()); }), ['--timeout', '1.5'], async (b) => {
    await b.waitFor('joined', (x) => x.last('joined'));
    const exit = await b.exited;
    assert.equal(exit.code, 1, b.stderr.slice(-600));
    assert.match(b.last('end').reason, /^timeout: no publish_answer/);
  });
});

test('malformed, huge, deeply nested and binary messages are ignored; too many fragments close cleanly', async () => {
  await attack(joinThen(async (c) => {
    c.send(welcome());
    c.send('['.repeat(200000));
    c.send('{"type":"relay","from":"x","payload":' + '['.repeat(2040) + ']'.repeat(2040) + '}');
    c.send({ type: 'relay', from: 'a', payload: 'x'.repeat(900000) });
    c.send({ type: 'participant_joined', participant: { id: 'x'.repeat(5000), name: '\u0001', slot: -1, tracks: Array(100).fill({}) } });
    c.send({ type: 'tracks_updated', participant_id: uuid(), tracks: Array(9).fill({ kind: 'video', mid: '0', muted: false }) });
    c.send('{"type":"welcome","type":"welcome"}');
    c.send('\u0000\u0001');
    c.send({ type: 'welcome' });
    c.frame(0x2, Buffer.alloc(1000, 1));
    for (let i = 0; i < 1000; i++) c.frame(i ? 0x0 : 0x1, Buffer.from('a'), { fin: false });
    c.frame(0x0, Buffer.from('b'));
    await sleep(300);
    c.frame(0x1, Buffer.from('x'), { fin: false });
    for (let i = 0; i < 1100; i++) c.frame(0x0, Buffer.from('y'), { fin: false });
  }), undefined, async (b) => {
    await b.waitFor('joined', (x) => x.last('joined'));
    await b.waitFor('the end after too many fragments', (x) => x.last('end'), 8000);
    assert.match(b.last('end').reason, /too many fragments/);
  });
});

test('20 subscribe offers of 256 video m-lines each (new SSRCs every time) are all answered', async () => {
  await attack(joinThen(async (c) => {
    c.send(welcome());
    for (let v = 1; v <= 20; v++) {
      const lines = [];
      for (let i = 0; i < 256; i++) lines.push({ kind: i % 3 ? 'video' : 'audio', mid: String(i), ssrc: v * 1000 + i + 1, msid: uuid() });
      c.send({ type: 'subscribe_offer', version: v, sdp: serverSdp(lines) });
      const a = await c.next((m) => m.type === 'subscribe_answer', 10000);
      assert.equal(a.version, v);
      assert.equal((a.sdp.match(/^m=/mg) || []).length, 256);
    }
    c.done = true;
  }), undefined, async (b, connP) => {
    const c = await connP;
    await b.waitFor('20 answers', () => c.done || c.error, 20000);
    if (c.error) throw c.error;
    assert.ok(!b.exit);
  });
});

test('SDP candidates: 1000 of them, port 0, broadcast, multicast, IPv6 with scope ids: survived, the first one checked', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const seen = new Set();
  sock.on('message', (m, from) => { if (m[0] <= 3) seen.add(`${from.address}:${from.port}`); });
  const port = sock.address().port;
  const cands = [`1 1 udp 2130706431 127.0.0.1 ${port} typ host`, '2 1 udp 1 255.255.255.255 9 typ host',
    '3 1 udp 1 224.0.0.1 9 typ host', '4 1 udp 1 127.0.0.1 0 typ host', '5 1 udp 1 fe80::1%eth0 9 typ host',
    '6 1 udp 1 ::ffff:127.0.0.1 9 typ host', '7 1 udp 1 0.0.0.0 9 typ host'];
  for (let i = 0; i < 1000; i++) cands.push(`f${i} 1 udp ${i} 127.0.${(i >> 8) & 255}.${i & 255} ${1000 + i} typ host`);
  try {
    await attack(joinThen(async (c) => {
      c.send(welcome());
      c.send({ type: 'subscribe_offer', version: 1, sdp: serverSdp([{ kind: 'video', mid: '0', ssrc: 5, msid: uuid() }], { candidates: cands }) });
      await c.next((m) => m.type === 'subscribe_answer', 5000);
      c.done = true;
    }), undefined, async (b, connP) => {
      const c = await connP;
      await b.waitFor('answer', () => c.done || c.error, 8000);
      if (c.error) throw c.error;
      await b.waitFor('a check at the first candidate', () => seen.size > 0, 3000);
      assert.ok(!b.exit);
    });
  } finally { sock.close(); }
});

test('E2EE: 1000-participant welcome gives one relay_batch of keys under the server\'s 256 kB limit, in time', async () => {
  await attack(joinThen(async (c) => {
    const ps = [];
    for (let i = 0; i < 1000; i++) ps.push(participant({ slot: i + 2, name: 'p' + i }));
    c.send(welcome({ room: { e2ee_enabled: true }, participants: ps }));
    const batch = await c.next((m) => m.type === 'relay_batch', 15000);
    assert.equal(batch.messages.length, 1000);
    assert.ok(JSON.stringify(batch).length <= 256 * 1024);
    c.done = true;
  }), undefined, async (b, connP) => {
    const c = await connP;
    await b.waitFor('the batch', () => c.done || c.error, 20000);
    if (c.error) throw c.error;
  });
});

test('E2EE: roster lies raise the browser\'s alarms; our own id is never a peer', async () => {
  const A = participant({ slot: 2 }), B = participant({ slot: 3 });
  let self;
  await attack(joinThen(async (c) => {
    const w = welcome({ room: { e2ee_enabled: true }, participants: [A, { ...A, public_key: b64key() }, B] });
    self = w.participant_id;
    w.participants.push(participant({ id: self, slot: 9 }));
    c.send(w);
    const batch = await c.next((m) => m.type === 'relay_batch', 5000);
    c.keyTargets = batch.messages.map((m) => m.to);
    c.send({ type: 'participant_joined', participant: participant({ id: self, slot: w.slot }) });
    c.send({ type: 'participant_joined', participant: { ...B, public_key: b64key() } });
    c.send({ type: 'participant_joined', participant: { ...B, slot: 77 } });
    c.send({ type: 'relay', from: self, payload: { t: 'sig' } });
    c.send({ type: 'participant_left', participant_id: A.id });
    await sleep(100);
    c.send({ type: 'participant_joined', participant: A });
  }), undefined, async (b, connP) => {
    const c = await connP;
    const alarms = () => b.events.filter((e) => e.event === 'alarm').map((e) => `${e.reason}:${e.participant_id}`);
    await b.waitFor('alarms', () => alarms().includes(`rejoined:${A.id}`), 5000);
    const got = alarms();
    assert.ok(got.includes(`key_changed:${A.id}`), `duplicate roster entry: ${got}`);
    assert.equal(got.filter((a) => a === `key_changed:${B.id}`).length, 2, `key and slot change of B: ${got}`);
    assert.ok(!got.some((a) => a.endsWith(self)), `alarm about ourselves: ${got}`);
    assert.deepEqual([...c.keyTargets].sort(), [A.id, B.id].sort(), 'keys went only to A and B');
  });
});

test('bad 101 answers end the connection with an error and an "end" event', async () => {
  const heads = [
    (req, acc) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA${acc.slice(4)}\r\n\r\n`,
    (req, acc) => `HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acc}\r\n\r\n`,
    (req, acc) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acc}\r\nSec-WebSocket-Accept: ${acc}\r\n\r\n`,
    (req, acc) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acc}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    (req, acc) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX: ${'y'.repeat(9000)}\r\n\r\n`,
    (req, acc) => `HTTP/1.1 101 \u001b[2J\u0000\r\nUpgrade: websocket\r\n\r\n`,
    () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
  ];
  for (const h of heads) {
    const fake = await startFakeSignal(() => {}, { handshake: h });
    const b = bot(fake);
    try {
      await b.exited;
      const end = b.last('end');
      assert.ok(end && end.error, `no error end for ${JSON.stringify(h(null, 'x').slice(0, 60))}: ${b.stdout.slice(-300)}`);
      assert.match(end.reason, /handshake failed/);
    } finally {
      await b.stop();
      fake.close();
    }
  }
});

// ---- the network: a third party aims datagrams at the client's media port ----

// The UDP ports a process has open (IPv4), from /proc.
function udpPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/); if (m) inodes.add(m[1]); } catch {}
  }
  const ports = [];
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

test('a real call: garbage RTP, RTCP, DTLS and STUN from a third-party address is dropped, the call goes on', async () => {
  const s = await startServer({ args: ['--rate-limit', '0'] });
  const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'hostile-net' });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  const pub = bot(s, ['--name', 'Pub', '--fps', '15', '--stats', '0.3'], 'hostile-net');
  const sub = bot(s, ['--name', 'Sub', '--no-audio', '--no-video', '--stats', '0.3'], 'hostile-net');
  const blaster = dgram.createSocket('udp4');
  try {
    const decoded = () => Object.values((sub.stats() || {}).remotes || {}).reduce((n, x) => n + x.video_decoded, 0);
    await sub.waitFor('decoded video', () => decoded() > 5, 20000);
    const ports = udpPorts(sub.child.pid);
    assert.ok(ports.length > 0, 'no UDP socket of the subscriber found');
    await new Promise((res) => blaster.bind(0, '127.0.0.1', res));
    const before = decoded();
    const pkts = [];
    for (let i = 0; i < 64; i++) {
      const rtp = Buffer.alloc(200 + i, i); rtp[0] = 0x80 | (i & 0x3f ? 0x0f : 0); rtp[1] = 96; // CC up to 15, X, P
      pkts.push(rtp);
      pkts.push(Buffer.concat([Buffer.from([0x81, 0xcd, 0x00, 0x05]), Buffer.alloc(20, 0xff)])); // a NACK-ish RTCP
      pkts.push(Buffer.concat([Buffer.from([0x16, 0xfe, 0xfd]), Buffer.alloc(100, i)])); // DTLS record
      const stun = Buffer.alloc(20 + 8); stun.writeUInt16BE(0x0101, 0); stun.writeUInt16BE(8, 2); stun.writeUInt32BE(0x2112a442, 4);
      pkts.push(stun); // binding success for a transaction it never sent
      pkts.push(Buffer.alloc(1500, 0x80));
      pkts.push(Buffer.alloc(0));
    }
    for (let round = 0; round < 40; round++) {
      for (const port of ports) for (const p of pkts) blaster.send(p, port, '127.0.0.1');
      await sleep(10);
    }
    await sub.waitFor('more decoded video after the blast', () => decoded() > before + 10, 10000);
    assert.ok(!sub.exit && !pub.exit, 'a bot ended');
  } finally {
    blaster.close();
    for (const b of [sub, pub]) {
      await b.stop();
      const end = b.last('end');
      assert.ok(end && !end.error, `bot ended with an error: ${JSON.stringify(end && end.reason)}\n${b.stderr.slice(-1500)}`);
    }
    await stopServer(s);
  }
});
