// Real WebRTC calls through sealroomd: three headless Chromium participants
// with fake camera and microphone join one room; each decodes the other two
// (video frames, audio samples); hostile datagrams hit the media port during
// the call without disturbing it; one leaves and disappears from the others;
// the server's counters agree. Logs the join-to-first-frame time and the
// server's CPU use with three 720p participants (for the report).
// Over that 5 s measuring window, what each page receives is held against
// what the others send: audio matched by SSRC (the SFU keeps it); video by
// its track id (the sender's participant id), as it arrives as one stream of
// the SSRC the server chose, made of one of the sender's three simulcast
// encodings at a time. Each receives exactly the other two's audio and video;
// video decodes frames with a size, at least half as many as the sender
// encodes; audio plays at 48 kHz, mostly not concealment; loss on loopback is
// near zero; no receiver counts more packets or bytes than were sent, and the
// rates roughly match the encoding it gets (of the same frame size); the SFU
// sends out what the receivers count, and takes in what the senders send.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pjoin } from 'node:path';
import { startServer, stopServer, OUT } from '../lib/server.mjs';
import { launchChromium, inbound, sleep } from '../lib/browser.mjs';


async function metrics(s) {
  const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
  const get = (n) => Number((text.match(new RegExp(`^${n} (\\d+)`, 'm')) || [])[1]);
  return { get, text };
}


// RTP statistics of a page, from its stats timestamp: what its subscribe
// connection receives (inbound-rtp) and its publish connection sends
// (outbound-rtp), by SSRC.
function rtpStats(page) {
  return page.evaluate(async () => {
    const out = { inbound: {}, outbound: {}, id: window.sealroom.participantId };
    const take = async (pc, type, into) => {
      if (!pc) return;
      (await pc.getStats()).forEach((r) => {
        if (r.type !== type) return;
        into[r.ssrc] = {
          ssrc: r.ssrc, kind: r.kind, t: r.timestamp, packets: (type === 'inbound-rtp' ? r.packetsReceived : r.packetsSent) || 0,
          bytes: (type === 'inbound-rtp' ? r.bytesReceived : r.bytesSent) || 0, lost: r.packetsLost || 0,
          frames: (type === 'inbound-rtp' ? r.framesDecoded : r.framesEncoded) || 0, width: r.frameWidth || 0, height: r.frameHeight || 0,
          samples: r.totalSamplesReceived || 0, concealed: r.concealedSamples || 0,
          track: r.trackIdentifier || '', rid: r.rid || '',
        };
      });
    };
    await take(window.sealroom.pcs.subscribe, 'inbound-rtp', out.inbound);
    await take(window.sealroom.pcs.publish, 'outbound-rtp', out.outbound);
    return out;
  });
}

// Everything at once (pages and server), so that the snapshots line up.
async function snapshot(s, pages) {
  const [stats, m] = await Promise.all([Promise.all(pages.map((p) => rtpStats(p))), metrics(s)]);
  return { stats, m, at: Date.now() };
}

// Checks a window between two snapshots (a, b) of every page, c being one
// taken after b; returns a one-line summary. Rates use each page's own stats
// timestamps.
function checkWindow(names, a, b, c) {
  const rate = (x0, x1, f) => (x1[f] - x0[f]) / ((x1.t - x0.t) / 1000);
  const lines = [];
  for (let i = 0; i < names.length; i++) {
    const inb = Object.values(b.stats[i].inbound);
    // Exactly the others' tracks: two videos, two audios, each one a track
    // another page publishes.
    assert.equal(inb.filter((x) => x.kind === 'video').length, 2, `${names[i]}: video streams ${JSON.stringify(inb)}`);
    assert.equal(inb.filter((x) => x.kind === 'audio').length, 2, `${names[i]}: audio streams ${JSON.stringify(inb)}`);
    for (const r1 of inb) {
      const r0 = a.stats[i].inbound[r1.ssrc];
      assert.ok(r0, `${names[i]}: SSRC ${r1.ssrc} missing at the window's start`);
      let j, s0, s1, sc;
      if (r1.kind === 'audio') {
        j = b.stats.findIndex((st, k) => k !== i && st.outbound[r1.ssrc]);
        assert.ok(j >= 0, `${names[i]} receives SSRC ${r1.ssrc}, which no other page sends`);
        [s0, s1, sc] = [a, b, c].map((x) => x.stats[j].outbound[r1.ssrc]);
      } else {
        // The sender's track id starts with its participant id; of its
        // encodings, the one of the frame size received (the one forwarded).
        j = b.stats.findIndex((st, k) => k !== i && r1.track.startsWith(`${st.id}-`));
        assert.ok(j >= 0, `${names[i]} receives video track ${r1.track}, which no other page sends`);
        const encodings = (x) => Object.values(x.stats[j].outbound).filter((o) => o.kind === 'video');
        assert.equal(encodings(b).length, 3, `${names[j]} sends three simulcast encodings`);
        const top = encodings(b).reduce((m, o) => (o.width > m.width ? o : m));
        const same = encodings(b).find((o) => o.width === r1.width) || top;
        [s0, s1, sc] = [a, b, c].map((x) => x.stats[j].outbound[same.ssrc]);
        // Nothing arrives that was not sent: at most all encodings together, read after (c).
        const all = (x, f) => encodings(x).reduce((n, o) => n + o[f], 0);
        assert.ok(r1.packets <= all(c, 'packets'), `${names[i]}: more video packets received than sent`);
        assert.ok(r1.bytes <= all(c, 'bytes'), `${names[i]}: more video bytes received than sent`);
        sc = { packets: Infinity, bytes: Infinity }; // the per-SSRC totals below do not apply
      }
      const what = `${names[i]} <- ${names[j]} ${r1.kind}`;
      const pkts = rate(r0, r1, 'packets'), sent = rate(s0, s1, 'packets');
      const bytes = rate(r0, r1, 'bytes'), bsent = rate(s0, s1, 'bytes');
      const lost = r1.lost - r0.lost, got = r1.packets - r0.packets;
      // Loopback, sequence numbers kept by the SFU: (almost) nothing lost,
      // in the window and since the start.
      assert.ok(lost <= Math.max(2, 0.02 * got), `${what}: ${lost} of ${got + lost} packets lost in the window`);
      assert.ok(r1.lost <= Math.max(5, 0.02 * r1.packets), `${what}: ${r1.lost} of ${r1.packets + r1.lost} packets lost in all`);
      // Nothing arrives that was not sent: the receiver's totals are at most
      // the sender's, read after them (c).
      assert.ok(r1.packets <= sc.packets, `${what}: ${r1.packets} packets received, ${sc.packets} sent`);
      assert.ok(r1.bytes <= sc.bytes, `${what}: ${r1.bytes} bytes received, ${sc.bytes} sent`);
      // And nearly all that was sent arrives. Loose: a CPU-starved Chromium
      // receives in bursts, seconds behind (a backlog drained in the window
      // gave 128% of the sent rate at load 70 on 2 cores; one built up, less).
      assert.ok(pkts > 0.5 * sent && pkts < 2 * sent, `${what}: ${pkts.toFixed(1)} packets/s received, ${sent.toFixed(1)} sent`);
      assert.ok(bytes > 0.5 * bsent && bytes < 2 * bsent, `${what}: ${bytes.toFixed(0)} B/s received, ${bsent.toFixed(0)} sent`);
      if (r1.kind === 'video') {
        const fps = rate(r0, r1, 'frames'), efps = rate(s0, s1, 'frames');
        assert.ok(r1.width > 0 && r1.height > 0, `${what}: frame size ${r1.width}x${r1.height}`);
        // Loose: a CPU-starved headless Chromium encodes 720p at 5-7 fps and
        // its decoder drops some; a stall or a broken stream gives ~0.
        assert.ok(fps >= 2, `${what}: ${fps.toFixed(1)} frames/s decoded`);
        assert.ok(fps > 0.5 * efps, `${what}: ${fps.toFixed(1)} frames/s decoded, ${efps.toFixed(1)} encoded`);
        lines.push(`${what} ${r1.width}x${r1.height} ${fps.toFixed(0)}/${efps.toFixed(0)} fps ${(bytes * 8 / 1000).toFixed(0)} kbps`);
      } else {
        const sps = rate(r0, r1, 'samples'), concealed = (r1.concealed - r0.concealed) / Math.max(1, r1.samples - r0.samples);
        assert.ok(sps > 0.8 * 48000 && sps < 1.2 * 48000, `${what}: ${sps.toFixed(0)} samples/s (48 kHz expected)`);
        // Nothing is lost on loopback, but a CPU-starved Chromium conceals
        // some of what arrives late (17% seen at load 25 on 2 cores): bounded
        // at half; undecodable or missing audio is nearly all concealment.
        assert.ok(concealed < 0.5, `${what}: ${(concealed * 100).toFixed(1)}% of samples concealed`);
        lines.push(`${what} ${(sps / 1000).toFixed(1)} kHz ${(concealed * 100).toFixed(1)}% concealed`);
      }
    }
  }
  // The SFU sends what the receivers count and takes in what the senders
  // send (RTCP and STUN both ways blur it a little): nothing it forwards is
  // thrown away, and each subscriber gets one encoding of each video.
  const d = (n) => b.m.get(n) - a.m.get(n);
  const sum = (dir, f) => b.stats.reduce((n, st, k) =>
    n + Object.values(st[dir]).reduce((m, r) => m + r[f] - ((a.stats[k][dir][r.ssrc] || {})[f] || 0), 0), 0);
  const out = d('sealroom_media_packets_out_total') / sum('inbound', 'packets');
  const inn = d('sealroom_media_packets_in_total') / sum('outbound', 'packets');
  assert.ok(out > 0.8 && out < 1.3, `server: ${out.toFixed(2)}x the packets the pages received`);
  assert.ok(inn > 0.8 && inn < 1.3, `server: ${inn.toFixed(2)}x the packets the pages sent`);
  const ratio = d('sealroom_media_packets_out_total') / d('sealroom_media_packets_in_total');
  lines.push(`server out/in ${ratio.toFixed(2)}x packets; out ${out.toFixed(2)}x received, in ${inn.toFixed(2)}x sent`);
  return lines.join('; ');
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
}

describe('three-party call', () => {
  let s, browser, room, captureDir;
  const people = [];
  before(async () => {
    captureDir = mkdtempSync(pjoin(tmpdir(), 'sealroom-capture-'));
    s = await startServer({ args: ['--rate-limit', '0', '--test-mode', '--capture', captureDir] });
    room = (await s.api('POST', '/api/v1/rooms', { friendly_url: 'call-three', description: 'Three-party call' })).json;
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  test('three participants join and each decodes the other two', async () => {
    for (const name of ['Ann', 'Bob', 'Cleo']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${s.url}/${room.friendly_url}`);
      await page.fill('#name', name);
      const t0 = Date.now();
      await page.click('#join');
      // Time from the join click to the first decoded remote video frame.
      const firstFrame = await page.waitForFunction(async () => {
        const pc = window.sealroom && window.sealroom.pcs.subscribe;
        if (!pc) return false;
        let frames = 0;
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
        return frames > 0;
      }, null, { timeout: name === 'Ann' ? 1 : 15000, polling: 20 }).then(() => Date.now() - t0, () => null);
      await page.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', null, { timeout: 10000 });
      people.push({ name, page, errors, t0, firstFrame, id: await page.evaluate(() => window.sealroom.participantId) });
    }
    const ttff = people.slice(1).map((p) => p.firstFrame);
    console.log(`# join click to first decoded remote video frame: ${ttff.join(' ms, ')} ms (2nd, 3rd participant)`);
    assert.ok(ttff.every((t) => t !== null), 'every newcomer decodes a remote frame');
    // Wait until every page decodes two remote videos and two remote audios.
    const deadline = Date.now() + 30000;
    let last;
    for (;;) {
      last = await Promise.all(people.map((p) => inbound(p.page)));
      const ok = last.every((m) => {
        const v = Object.values(m).filter((x) => x.kind === 'video' && x.frames > 0 && x.width > 0);
        const a = Object.values(m).filter((x) => x.kind === 'audio' && x.samples > 0);
        return v.length >= 2 && a.length >= 2;
      });
      if (ok) break;
      assert.ok(Date.now() < deadline, `not every participant decodes the others: ${JSON.stringify(last)}`);
      await sleep(250);
    }
    const allDecodingMs = Date.now() - people[2].t0;
    console.log(`# third join click to all three decoding both others: ${allDecodingMs} ms`);
    // Frames keep coming.
    await sleep(2000);
    const again = await Promise.all(people.map((p) => inbound(p.page)));
    for (let i = 0; i < people.length; i++) {
      for (const [k, v] of Object.entries(again[i])) {
        if (v.kind === 'video') assert.ok(v.frames > (last[i][k]?.frames ?? 0), `${people[i].name}: video ${k} stalled`);
      }
    }
    // Each page shows the other two as tiles.
    for (const p of people) {
      const ids = await p.page.$$eval('#tiles [data-participant-id]', (els) => els.map((e) => e.dataset.participantId));
      for (const q of people) if (q !== p) assert.ok(ids.includes(q.id), `${p.name} has no tile for ${q.name}`);
    }
    await people[0].page.screenshot({ path: pjoin(OUT, 'call-three.png') });
    const m = await metrics(s);
    assert.equal(m.get('sealroom_participants'), 3);
    assert.equal(m.get('sealroom_media_transports'), 6);
    assert.ok(m.get('sealroom_media_packets_in_total') > 100);
    assert.ok(m.get('sealroom_media_packets_out_total') > 100);
    assert.equal(m.get('sealroom_media_srtp_errors_total') || 0, 0, 'no SRTP errors on an honest call');
    // CPU of sealroomd with three participants over 5 s, once video has ramped
    // up to 720p (REMB lets Chrome climb; give it up to 20 s; CPU-starved
    // headless browsers may stay lower, and the log says what was measured).
    const rampUntil = Date.now() + 20000;
    while (Date.now() < rampUntil) {
      const all = await Promise.all(people.map((p) => inbound(p.page)));
      if (all.every((m) => Object.values(m).filter((x) => x.kind === 'video').every((x) => x.width >= 1280))) break;
      await sleep(500);
    }
    const pages = people.map((p) => p.page);
    const snap0 = await snapshot(s, pages);
    const c0 = cpuTicks(s.child.pid), w0 = Date.now();
    await sleep(5000);
    const cpu = ((cpuTicks(s.child.pid) - c0) / 100) / ((Date.now() - w0) / 1000) * 100;
    const snap1 = await snapshot(s, pages);
    const snap2 = await snapshot(s, pages);
    console.log(`# 5 s window: ${checkWindow(people.map((p) => p.name), snap0, snap1, snap2)}`);
    const widths = (await Promise.all(people.map((p) => inbound(p.page))))
      .flatMap((m) => Object.values(m).filter((x) => x.kind === 'video').map((x) => x.width));
    console.log(`# sealroomd CPU with 3 participants (video widths ${widths.join(', ')}): ${cpu.toFixed(1)}% of one core`);
    writeFileSync(pjoin(OUT, 'call-measurements.json'), JSON.stringify({ firstFrameMs: ttff, allDecodingMs, cpuPercent: cpu, widths }, null, 2));
  });

  test('hostile datagrams on the media port do not disturb the call', async () => {
    const before = await metrics(s);
    const malformed0 = before.get('sealroom_media_malformed_total');
    const dropped0 = before.get('sealroom_media_dropped_total');
    const frames0 = await inbound(people[0].page);
    const sock = dgram.createSocket('udp4');
    // every worker's port: whichever carries this call, the others share the process
    const send = (buf) => Promise.all(s.mediaPorts.map((port) => new Promise((r) => sock.send(buf, port, s.mediaHost, () => r()))));
    const stunHeader = (len) => { const b = Buffer.alloc(20 + len); b.writeUInt16BE(0x0001, 0); b.writeUInt16BE(len, 2); b.writeUInt32BE(0x2112a442, 4); return b; };
    for (let i = 0; i < 200; i++) {
      await send(Buffer.from(Array.from({ length: 1 + (i % 300) }, () => Math.floor(Math.random() * 256)))); // garbage
      await send(stunHeader(8).subarray(0, 12)); // truncated STUN
      const wrong = stunHeader(12); wrong.writeUInt16BE(0x0006, 20); wrong.writeUInt16BE(8, 22); wrong.write('nope:bad', 24); // USERNAME of nobody
      await send(wrong);
      await send(Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), Buffer.alloc(60, 7)])); // DTLS from a stranger
      const rtp = Buffer.alloc(100); rtp[0] = 0x80; rtp[1] = 96; await send(rtp); // RTP from a stranger
      await send(Buffer.alloc(0)); // empty
    }
    sock.close();
    await sleep(2000);
    const afterM = await metrics(s);
    assert.ok(afterM.get('sealroom_media_malformed_total') > malformed0, 'malformed counter rose');
    assert.ok(afterM.get('sealroom_media_dropped_total') > dropped0, 'dropped counter rose');
    const frames1 = await inbound(people[0].page);
    for (const [k, v] of Object.entries(frames1))
      if (v.kind === 'video' && frames0[k]) assert.ok(v.frames > frames0[k].frames, 'the call went on');
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });

  test('a participant leaves and disappears from the others', async () => {
    const leaver = people.pop();
    await leaver.page.click('#leave');
    for (const p of people) {
      await p.page.waitForFunction((id) => !document.querySelector(`#tiles [data-participant-id="${id}"]`), leaver.id, { timeout: 10000 });
      const ids = await p.page.evaluate(() => [...(window.sealroom.participants instanceof Map ? window.sealroom.participants.keys() : Object.keys(window.sealroom.participants))]);
      assert.ok(!ids.includes(leaver.id), `${p.name} still lists the leaver`);
    }
    await sleep(500);
    const m = await metrics(s);
    assert.equal(m.get('sealroom_participants'), 2);
    assert.equal(m.get('sealroom_media_transports'), 4);
    for (const p of [...people, leaver]) assert.deepEqual(p.errors, [], `${p.name} page errors`);
  });

  // --capture writes what the SFU forwards, after SRTP decryption. In a room
  // without E2EE that is plain VP8/Opus: key frames show the VP8 start code.
  test('--capture writes every forwarded stream; in a plain room the payload is plain VP8 and Opus', async () => {
    const files = readdirSync(captureDir);
    assert.ok(files.filter((f) => f.endsWith('-video.cap')).length >= 3, files.join(', '));
    assert.ok(files.filter((f) => f.endsWith('-audio.cap')).length >= 3, files.join(', '));
    let keyFrames = 0, audioPackets = 0;
    for (const f of files) {
      const buf = readFileSync(pjoin(captureDir, f));
      assert.equal(buf.subarray(0, 7).toString(), 'SRCAP1\n');
      for (let off = 7; off + 11 <= buf.length;) {
        const len = buf.readUInt32BE(off);
        const p = buf.subarray(off + 11, off + 11 + len);
        off += 11 + len;
        if (f.endsWith('-audio.cap')) { if (len > 0) audioPackets++; continue; }
        // RFC 7741 payload descriptor, then the VP8 frame tag and start code.
        let i = 1;
        const x = p[0] & 0x80, start = (p[0] & 0x10) && (p[0] & 0x07) === 0;
        if (x) {
          const b1 = p[1]; i = 2;
          if (b1 & 0x80) i += (p[i] & 0x80) ? 2 : 1;
          if (b1 & 0x40) i += 1;
          if (b1 & 0x30) i += 1;
        }
        if (start && (p[i] & 1) === 0 && p[i + 3] === 0x9d && p[i + 4] === 0x01 && p[i + 5] === 0x2a) keyFrames++;
      }
    }
    assert.ok(keyFrames > 0, 'no VP8 key frame found in the capture');
    assert.ok(audioPackets > 100, `audio packets captured: ${audioPackets}`);
  });
});
