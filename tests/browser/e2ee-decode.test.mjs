// What the SFU's --capture recording of an E2EE room is worth to a codec: one
// server records a plain room and an E2EE room (two Chromium participants
// each, ~4 s). One sender's VP8 frames (reassembled from RTP, from its first
// key frame on) and Opus packets are fed to WebCodecs decoders in a Chromium
// page. The plain room's media decodes; the E2EE room's (SFrame ciphertext
// behind the clear codec prefix, docs/e2ee.md) yields no picture of the
// camera, and its audio, if the Opus decoder accepts it at all, is not the
// plain room's audio. (The clear VP8 key-frame header in front of random
// bytes is now and then accepted by the decoder: measured, about 7% of such
// frames decode, to noise far from any camera picture. So the test compares
// pictures rather than demand that nothing decodes.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pjoin } from 'node:path';
import { startServer, stopServer, OUT } from '../lib/server.mjs';
import { launchChromium, inbound, sleep } from '../lib/browser.mjs';

const results = {};

// Records of a capture file (docs/operations.md): SRCAP1\n, then per packet
// length(4) seq(2) ts(4) marker(1) payload.
function records(file) {
  const buf = readFileSync(file);
  assert.equal(buf.subarray(0, 7).toString(), 'SRCAP1\n', file);
  const out = [];
  for (let off = 7; off + 11 <= buf.length;) {
    const len = buf.readUInt32BE(off);
    if (off + 11 + len > buf.length) break;
    out.push({ seq: buf.readUInt16BE(off + 4), ts: buf.readUInt32BE(off + 6), marker: buf[off + 10] === 1,
      payload: buf.subarray(off + 11, off + 11 + len) });
    off += 11 + len;
  }
  return out;
}

// Complete VP8 frames of one video capture, in capture order: the packets of
// one timestamp from the start of partition 0 (S = 1, PID = 0) to the marker
// bit, consecutive sequence numbers, RFC 7741 payload descriptors removed.
function vp8Frames(file) {
  const pkts = new Map(); // seq -> packet; a retransmission keeps its first place
  for (const r of records(file)) {
    const p = r.payload;
    if (p.length < 2) continue;
    let i = 1;
    if (p[0] & 0x80) { // X: extension byte, then PictureID / TL0PICIDX / TID|KEYIDX
      const x = p[1]; i = 2;
      if (x & 0x80) i += (p[i] & 0x80) ? 2 : 1;
      if (x & 0x40) i += 1;
      if (x & 0x30) i += 1;
    }
    if (i >= p.length || pkts.has(r.seq)) continue;
    pkts.set(r.seq, { ...r, start: (p[0] & 0x10) !== 0 && (p[0] & 0x07) === 0, data: p.subarray(i) });
  }
  const frames = [];
  for (const first of pkts.values()) {
    if (!first.start) continue;
    const parts = [first.data];
    let q = first, done = q.marker;
    for (let seq = (first.seq + 1) & 0xffff; !done; seq = (seq + 1) & 0xffff) {
      q = pkts.get(seq);
      if (!q || q.ts !== first.ts || q.start) break;
      parts.push(q.data);
      done = q.marker;
    }
    if (!done) continue;
    const data = Buffer.concat(parts);
    frames.push({ ts: first.ts, key: (data[0] & 1) === 0, data }); // frame tag bit 0: 0 = key frame
  }
  return frames;
}

// Non-empty Opus payloads (one Opus frame per RTP packet; empty = DTX).
const opusPackets = (file) => records(file).filter((r) => r.payload.length > 0).map((r) => ({ ts: r.ts, data: r.payload }));

// One sender of a room: its video capture with the most frames from a key
// frame on, and the audio capture of the same transport (t<id>-...).
function sender(dir, files) {
  const video = files.filter((f) => f.endsWith('-video.cap')).map((f) => {
    const all = vp8Frames(pjoin(dir, f));
    const k = all.findIndex((x) => x.key);
    return { f, frames: k < 0 ? [] : all.slice(k) };
  }).sort((a, b) => b.frames.length - a.frames.length)[0];
  assert.ok(video && video.frames.length > 0, `no VP8 key frame captured in ${files}`);
  const transport = video.f.split('-')[0];
  const audios = files.filter((f) => f.endsWith('-audio.cap'));
  const audio = audios.find((f) => f.startsWith(transport + '-')) || audios[0];
  assert.ok(audio, `no audio capture in ${files}`);
  return { videoFile: video.f, audioFile: audio, video: video.frames, audio: opusPackets(pjoin(dir, audio)) };
}

// Runs in the page: decodes with WebCodecs, returns counts and per-packet audio RMS.
async function decodeInPage({ video, audio }) {
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const v = { fed: 0, outputs: 0, errors: 0, keyFed: 0, firstKeyDecoded: false, skipped: 0, errorMessages: [], pictures: [] };
  // What a decoded picture shows, coarsely: the luma of a 16x9 thumbnail.
  const PICTURES = 40;
  const canvas = new OffscreenCanvas(16, 9);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const thumbnail = (f) => {
    g.drawImage(f, 0, 0, 16, 9);
    const d = g.getImageData(0, 0, 16, 9).data;
    const out = [];
    for (let i = 0; i < d.length; i += 4) out.push(Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]));
    return out;
  };
  // VP8: one decoder from a key frame; on an error a new one from the next key frame.
  const t0 = video.length ? video[0].ts : 0;
  let dec = null, failed = false;
  const firstTs = video.length ? 0 : -1;
  const open = () => {
    failed = false;
    dec = new VideoDecoder({
      output: (f) => {
        v.outputs++;
        if (f.timestamp === firstTs) v.firstKeyDecoded = true;
        if (v.pictures.length < PICTURES) v.pictures.push(thumbnail(f));
        f.close();
      },
      error: (e) => { v.errors++; failed = true; if (v.errorMessages.length < 3) v.errorMessages.push(String(e.message || e)); },
    });
    dec.configure({ codec: 'vp8' });
  };
  for (const fr of video) {
    if (failed || !dec) {
      if (!fr.key) { v.skipped++; continue; }
      if (dec && dec.state !== 'closed') dec.close();
      open();
    }
    const timestamp = Math.round(((fr.ts - t0) >>> 0) * 1e6 / 90000);
    try {
      dec.decode(new EncodedVideoChunk({ type: fr.key ? 'key' : 'delta', timestamp, data: bytes(fr.data) }));
      v.fed++; if (fr.key) v.keyFed++;
    } catch (e) { v.errors++; failed = true; if (v.errorMessages.length < 3) v.errorMessages.push(String(e.message || e)); }
    await settle();
  }
  if (dec && dec.state === 'configured') await dec.flush().catch(() => {});
  await settle();
  if (dec && dec.state !== 'closed') dec.close();

  // Opus: 48 kHz; the channel count the platform supports (2, else 1).
  let channels = 2;
  if (!(await AudioDecoder.isConfigSupported({ codec: 'opus', sampleRate: 48000, numberOfChannels: 2 })).supported) channels = 1;
  const a = { channels, fed: 0, outputs: 0, errors: 0, errorMessages: [], rms: [] };
  let adec = null, aerr = false, last = null;
  const aopen = () => {
    aerr = false;
    adec = new AudioDecoder({
      output: (d) => {
        a.outputs++;
        const buf = new Float32Array(d.numberOfFrames);
        d.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
        let s = 0;
        for (const x of buf) s += x * x;
        last = Math.sqrt(s / Math.max(1, buf.length));
        d.close();
      },
      error: (e) => { a.errors++; aerr = true; if (a.errorMessages.length < 3) a.errorMessages.push(String(e.message || e)); },
    });
    adec.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: channels });
  };
  for (let i = 0; i < audio.length; i++) {
    if (!adec || aerr || adec.state === 'closed') aopen();
    last = null;
    try {
      adec.decode(new EncodedAudioChunk({ type: 'key', timestamp: i * 20000, data: bytes(audio[i].data) }));
      a.fed++;
      await adec.flush();
    } catch (e) {
      if (!aerr) { a.errors++; aerr = true; if (a.errorMessages.length < 3) a.errorMessages.push(String(e.message || e)); }
    }
    a.rms.push(last);
  }
  if (adec && adec.state !== 'closed') adec.close();
  return { video: v, audio: a };
}

describe('E2EE capture does not decode as VP8/Opus', () => {
  let browser;
  before(async () => { browser = await launchChromium(); });
  after(async () => {
    if (browser) await browser.close();
    writeFileSync(pjoin(OUT, 'e2ee-decode.json'), JSON.stringify(results, null, 2) + '\n');
  });

  test('plain room capture decodes with WebCodecs, E2EE room capture does not', async () => {
    const dir = mkdtempSync(pjoin(tmpdir(), 'sealroom-decode-capture-'));
    const s = await startServer({ args: ['--rate-limit', '0', '--test-mode', '--capture', dir] });
    const filesOf = {};
    let decodePage;
    try {
      for (const [kind, e2ee] of [['plain', false], ['e2ee', true]]) {
        const before = new Set(readdirSync(dir));
        const r = await s.api('POST', '/api/v1/rooms', { friendly_url: `decode-${kind}`, description: `decode ${kind}`, e2ee_enabled: e2ee });
        assert.ok(r.status === 200 || r.status === 201, r.text);
        assert.equal(!!r.json.e2ee_enabled, e2ee);
        const people = [];
        for (const name of ['Ann', 'Bob']) {
          const ctx = await browser.newContext({ viewport: { width: 640, height: 480 } });
          const page = await ctx.newPage();
          const errors = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(`${s.url}/${r.json.friendly_url}`);
          await page.fill('#name', name);
          await page.click('#join');
          await page.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', null, { timeout: 10000 });
          people.push({ name, ctx, page, errors });
        }
        // Both receive and decode the other's video, then talk ~4 s.
        const deadline = Date.now() + 20000;
        for (;;) {
          const m = await Promise.all(people.map((p) => inbound(p.page)));
          if (m.every((x) => Object.values(x).some((y) => y.kind === 'video' && y.frames > 0))) break;
          assert.ok(Date.now() < deadline, `${kind}: no video decoded: ${JSON.stringify(m)}`);
          await sleep(250);
        }
        await sleep(4000);
        for (const p of people) {
          await p.page.click('#leave').catch(() => {});
          assert.deepEqual(p.errors, [], `${kind} ${p.name} page errors`);
          await p.ctx.close();
        }
        await sleep(300);
        filesOf[kind] = readdirSync(dir).filter((f) => !before.has(f));
        assert.ok(filesOf[kind].some((f) => f.endsWith('-video.cap')), `${kind}: no video capture: ${filesOf[kind]}`);
      }
      const ctx = await browser.newContext();
      decodePage = await ctx.newPage();
      await decodePage.goto(`${s.url}/`); // loaded before the server stops; loopback http: a secure context for WebCodecs
      await stopServer(s); // flushes the capture files

      for (const kind of ['plain', 'e2ee']) {
        const snd = sender(dir, filesOf[kind]);
        const b64 = (list) => list.map((x) => ({ ts: x.ts, key: x.key, data: x.data.toString('base64') }));
        const t = Date.now();
        const out = await decodePage.evaluate(decodeInPage, { video: b64(snd.video), audio: b64(snd.audio) });
        results[kind] = { videoFile: snd.videoFile, audioFile: snd.audioFile, videoFrames: snd.video.length,
          keyFrames: snd.video.filter((f) => f.key).length, audioPackets: snd.audio.length, decodeMs: Date.now() - t, ...out };
      }
    } finally {
      await stopServer(s);
      rmSync(dir, { recursive: true, force: true });
    }
    const { plain, e2ee } = results;
    const loud = (l) => l.filter((x) => x !== null);
    // Share of decoded 20 ms packets that are (near) silent: the fake
    // microphone beeps with silences in between; Opus "decoding" ciphertext
    // gives noise throughout.
    for (const r of [plain, e2ee]) {
      const rms = loud(r.audio.rms);
      r.audio.silentFraction = rms.filter((x) => x < 0.001).length / Math.max(1, rms.length);
    }
    for (const k of ['plain', 'e2ee']) {
      const r = results[k];
      const rms = loud(r.audio.rms);
      console.log(`# ${k}: VP8 ${r.videoFrames} frames (${r.keyFrames} key) fed ${r.video.fed} -> ${r.video.outputs} decoded, ` +
        `${r.video.errors} errors, ${r.video.skipped} skipped, first key frame decoded ${r.video.firstKeyDecoded} ${JSON.stringify(r.video.errorMessages)}; ` +
        `Opus ${r.audioPackets} packets fed ${r.audio.fed} -> ${r.audio.outputs} decoded, ${r.audio.errors} errors ${JSON.stringify(r.audio.errorMessages)}, ` +
        `mean RMS ${(rms.reduce((s, v) => s + v, 0) / Math.max(1, rms.length)).toFixed(4)}`);
    }
    console.log(`# decoded audio packets with RMS < 0.001: plain ${plain.audio.silentFraction.toFixed(3)}, e2ee ${e2ee.audio.silentFraction.toFixed(3)}`);

    // Plain room: the codecs decode the capture.
    assert.ok(plain.videoFrames >= 20, `plain: only ${plain.videoFrames} VP8 frames`);
    assert.ok(plain.video.firstKeyDecoded, 'plain: first key frame not decoded');
    assert.ok(plain.video.outputs >= 0.8 * plain.video.fed, `plain: ${plain.video.outputs}/${plain.video.fed} VP8 frames decoded`);
    assert.ok(plain.audioPackets >= 50, `plain: only ${plain.audioPackets} Opus packets`);
    assert.ok(plain.audio.outputs >= 0.8 * plain.audioPackets, `plain: ${plain.audio.outputs}/${plain.audioPackets} Opus packets decoded`);
    assert.ok(plain.video.pictures.length >= 20, `plain: only ${plain.video.pictures.length} pictures`);
    // E2EE room: the decoder refuses the frames, and whatever it accepts now
    // and then is not a picture of the camera. Pictures of the fake camera
    // are within ~15 luma levels (mean per thumbnail pixel) of each other;
    // random bytes behind a VP8 header decode to noise 70-90 levels from all.
    assert.ok(e2ee.videoFrames >= 20, `e2ee: only ${e2ee.videoFrames} VP8 frames`);
    assert.ok(e2ee.video.fed >= 1);
    assert.ok(e2ee.video.errors >= 1, 'e2ee: the VP8 decoder reported no error');
    assert.ok(e2ee.video.outputs <= 0.25 * e2ee.videoFrames, `e2ee: ${e2ee.video.outputs}/${e2ee.videoFrames} VP8 frames decoded from ciphertext`);
    const distance = (a, b) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / a.length;
    const nearest = e2ee.video.pictures.map((p) => Math.min(...plain.video.pictures.map((q) => distance(p, q))));
    console.log(`# e2ee pictures decoded from ciphertext: ${nearest.length}, distance to the nearest camera picture ${JSON.stringify(nearest.map((d) => Math.round(d)))}`);
    assert.ok(nearest.every((d) => d >= 35), `e2ee: a picture decoded from ciphertext looks like the camera's (distances ${nearest})`);
    // E2EE audio: libopus accepts almost any packet behind the clear TOC byte,
    // so the check is that what comes out is not the sender's audio: noise
    // without the source's silences.
    assert.ok(plain.audio.silentFraction >= 0.2, `plain: only ${plain.audio.silentFraction} of the audio is silent`);
    assert.ok(e2ee.audio.silentFraction <= 0.05, `e2ee: ${e2ee.audio.silentFraction} of the decoded audio is silent like the source`);
  });
});
