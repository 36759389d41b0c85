// End-to-end encrypted calls through sealroomd: three headless Chromium
// participants join an E2EE room; every sender encrypts with SFrame in the
// page's worker, every receiver decrypts strictly; each page decodes the
// others' video and audio, shows the same security code, and after one leaves
// the two others rotate their keys, keep decoding and agree on a new code.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pjoin } from 'node:path';
import { startServer, stopServer, OUT } from '../lib/server.mjs';
import { launchChromium, inbound, sleep } from '../lib/browser.mjs';



const e2ee = (page) => page.evaluate(() => window.sealroom.e2ee);

// Until every page decodes video (and gets audio samples) from each other
// participant and its worker decrypted audio and video from each of them.
async function waitDecoding(people, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await Promise.all(people.map(async (p) => ({ rtp: await inbound(p.page), e: await e2ee(p.page) })));
    const ok = last.every((m, i) => {
      const others = people.filter((_, j) => j !== i);
      const v = Object.values(m.rtp).filter((x) => x.kind === 'video' && x.frames > 0 && x.width > 0);
      const a = Object.values(m.rtp).filter((x) => x.kind === 'audio' && x.samples > 0);
      const from = m.e.decryptedFrom || {};
      return v.length >= others.length && a.length >= others.length &&
        others.every((q) => from[q.id] && from[q.id].video > 0 && from[q.id].audio > 0);
    });
    if (ok) return last;
    assert.ok(Date.now() < deadline, `not every participant decodes the others: ${JSON.stringify(last.map((m) => ({ rtp: m.rtp, from: m.e.decryptedFrom, drops: m.e.drops })))}`);
    await sleep(250);
  }
}

async function videoFrames(page) {
  const m = await inbound(page);
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v.kind === 'video').map(([k, v]) => [k, v.frames]));
}

describe('end-to-end encrypted call', () => {
  let s, browser, room, captureDir;
  const people = [];
  before(async () => {
    captureDir = mkdtempSync(pjoin(tmpdir(), 'sealroom-e2ee-capture-'));
    s = await startServer({ args: ['--rate-limit', '0', '--test-mode', '--capture', captureDir] });
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'e2ee-three', description: 'E2EE call', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    room = r.json;
    assert.equal(room.e2ee_enabled, true);
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  test('three participants decode each other through SFrame and agree on the security code', async () => {
    const e2eeResponses = [];
    for (const name of ['Ann', 'Bob', 'Cleo']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      // SEALROOM_E2EE_STREAMS=1: hide RTCRtpScriptTransform to run the createEncodedStreams path.
      if (process.env.SEALROOM_E2EE_STREAMS === '1') await ctx.addInitScript(() => { delete window.RTCRtpScriptTransform; });
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('response', (res) => { if (res.url().includes('/e2ee/')) e2eeResponses.push(res.status()); });
      await page.goto(`${s.url}/${room.friendly_url}`);
      await page.fill('#name', name);
      const t0 = Date.now();
      await page.click('#join');
      // Join click to the first decoded remote video frame: in an E2EE room
      // it includes the key exchange, the decryption and the sender
      // authentication hold (docs/e2ee.md 17).
      const firstFrame = name === 'Ann' ? null : await page.waitForFunction(async () => {
        const pc = window.sealroom && window.sealroom.pcs.subscribe;
        if (!pc) return false;
        let frames = 0;
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
        return frames > 0;
      }, null, { timeout: 20000, polling: 20 }).then(() => Date.now() - t0, () => null);
      await page.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', null, { timeout: 10000 });
      people.push({ name, page, errors, firstFrame, id: await page.evaluate(() => window.sealroom.participantId) });
    }
    console.log(`# E2EE join click to first decoded remote video frame: ${people.slice(1).map((p) => p.firstFrame).join(' ms, ')} ms (2nd, 3rd participant)`);
    assert.ok(e2eeResponses.length > 0 && e2eeResponses.every((c) => c === 200 || c === 304), `/e2ee/ modules: ${e2eeResponses}`);
    for (const p of people) {
      const e = await e2ee(p.page);
      assert.equal(e.enabled, true, `${p.name}: E2EE not enabled`);
      assert.equal(e.mode, process.env.SEALROOM_E2EE_STREAMS === '1' ? 'streams' : 'script');
      assert.equal(await p.page.locator('#e2ee-badge').textContent().then((t) => t.trim()), 'End-to-end encrypted');
      assert.equal(await p.page.locator('#e2ee-badge').isVisible(), true);
    }
    await waitDecoding(people, 30000);

    // Every frame sent was encrypted; nothing was sent in the clear.
    for (const p of people) {
      // The worker posts its counts once a second: a sender's may lag the
      // receivers' by up to that (joins are fast enough now to see it).
      let e = await e2ee(p.page);
      for (let i = 0; i < 12 && !(e.encrypted.video > 0 && e.encrypted.audio > 0); i++) {
        await sleep(250);
        e = await e2ee(p.page);
      }
      assert.ok(e.encrypted.video > 0 && e.encrypted.audio > 0, `${p.name} encrypted nothing`);
      console.log(`# ${p.name}: encrypt in the worker ${e.encryptMsPerFrame.video.toFixed(3)} ms/video frame, ` +
        `${e.encryptMsPerFrame.audio.toFixed(3)} ms/audio frame; sign ${e.sign.signMsPerFrame.toFixed(3)} ms/frame ` +
        `(hash + amortized Ed25519, async), verify hold ${e.sign.verifyWaitMsPerFrame.toFixed(1)} ms/frame; ` +
        `drops ${JSON.stringify(e.drops)}, sign drops ${JSON.stringify(e.sign.drops)}`);
    }

    // The same non-empty security code everywhere; fingerprints of all three.
    await Promise.all(people.map((p) => p.page.waitForFunction(() => {
      const e = window.sealroom.e2ee;
      return e.securityCode && Object.keys(e.fingerprints).length === 3;
    }, null, { timeout: 5000 })));
    const codes = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.securityCode)));
    assert.match(codes[0], /^(\d{5} ){11}\d{5}$/);
    assert.ok(codes.every((c) => c === codes[0]), `security codes differ: ${codes.join(' | ')}`);
    for (const p of people) {
      assert.equal((await p.page.locator('#security-code').textContent()).trim(), codes[0]);
      const fps = await p.page.$$eval('#participants .person-fp', (els) => els.map((e) => e.dataset.verified));
      assert.deepEqual(fps, ['true', 'true', 'true'], `${p.name} fingerprints`);
    }
    const fp0 = await e2ee(people[0].page).then((e) => e.fingerprints);
    for (const p of people.slice(1)) assert.deepEqual(await e2ee(p.page).then((e) => e.fingerprints), fp0);
    // Every remote tile shows the first digits of that participant's key
    // fingerprint next to the name; the own tile shows none.
    for (const p of people) {
      const badges = await p.page.$$eval('#tiles .tile', (els) => els.map((t) => ({
        id: t.dataset.participantId, badge: t.querySelector('.fp-badge').hidden ? null : t.querySelector('.fp-badge').textContent })));
      const self = await p.page.evaluate(() => window.sealroom.participantId);
      for (const b of badges) assert.equal(b.badge, b.id === self ? null : fp0[b.id].slice(0, 5), `${p.name}: tile ${b.id}`);
    }

    // Steady state: frames keep coming and no frame fails to decrypt.
    const drops0 = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.dropTotal)));
    const frames0 = await Promise.all(people.map((p) => videoFrames(p.page)));
    await sleep(2000);
    for (let i = 0; i < people.length; i++) {
      const e = await e2ee(people[i].page);
      assert.ok(e.dropTotal - drops0[i] <= 2, `${people[i].name}: ${e.dropTotal - drops0[i]} drops in steady state ${JSON.stringify(e.drops)}`);
      const f = await videoFrames(people[i].page);
      for (const [k, n] of Object.entries(f)) if (frames0[i][k] !== undefined) assert.ok(n > frames0[i][k], `${people[i].name}: video ${k} stalled`);
    }

    // Test mode (the server's --test-mode, shown by a banner): the page
    // exports only its own keys, never the keys it holds of others.
    const keys = await people[0].page.evaluate(() => window.sealroom.e2ee.exportKeys());
    assert.ok(keys && keys.self && /^[0-9a-f]{32,64}$/.test(keys.self.baseKey), JSON.stringify(keys));
    assert.deepEqual(Object.keys(keys).sort(), ['pending', 'self']);
    for (const p of people) assert.equal(await p.page.locator('#test-mode-banner').isVisible(), true, `${p.name}: no test-mode banner`);
    people.codeBefore = codes[0];
  });

  test('after a leave the two others rotate, keep decoding and show a new common code', async () => {
    const leaver = people.pop();
    const dropsBefore = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.dropTotal)));
    const genBefore = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.key.generation)));
    await leaver.page.click('#leave');
    for (const p of people) {
      await p.page.waitForFunction((id) => !window.sealroom.participants.has(id), leaver.id, { timeout: 10000 });
    }
    // Rotation: a new generation on both sides (switch after the ack or 500 ms).
    await Promise.all(people.map((p, i) => p.page.waitForFunction((g) => {
      const k = window.sealroom.e2ee.key;
      return k && k.generation !== g && k.pending === null;
    }, genBefore[i], { timeout: 5000 })));
    await Promise.all(people.map((p) => p.page.waitForFunction((old) => {
      const e = window.sealroom.e2ee;
      return e.securityCode && e.securityCode !== old && Object.keys(e.fingerprints).length === 2;
    }, people.codeBefore, { timeout: 5000 })));
    const codes = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.securityCode)));
    assert.equal(codes[0], codes[1]);
    assert.notEqual(codes[0], people.codeBefore);

    // Still decoding after the rotation.
    const f0 = await Promise.all(people.map((p) => videoFrames(p.page)));
    const dec0 = await Promise.all(people.map((p) => e2ee(p.page).then((e) => e.decryptedFrom)));
    await sleep(2500);
    for (let i = 0; i < people.length; i++) {
      const other = people[1 - i];
      const e = await e2ee(people[i].page);
      assert.ok(e.decryptedFrom[other.id].video > dec0[i][other.id].video, `${people[i].name} decrypts no more video`);
      assert.ok(e.decryptedFrom[other.id].audio > dec0[i][other.id].audio, `${people[i].name} decrypts no more audio`);
      const f = await videoFrames(people[i].page);
      assert.ok(Object.entries(f).some(([k, n]) => f0[i][k] !== undefined && n > f0[i][k]), `${people[i].name}: video stalled`);
      const lost = e.dropTotal - dropsBefore[i];
      console.log(`# ${people[i].name}: ${lost} frames dropped across the leave and rotation ${JSON.stringify(e.drops)}`);
      assert.ok(lost <= 20, `${people[i].name}: ${lost} drops around the rotation`);
    }
    await people[0].page.screenshot({ path: pjoin(OUT, 'e2ee-call.png') });
    for (const p of [...people, leaver]) assert.deepEqual(p.errors, [], `${p.name} page errors`);
  });

  // What the SFU forwards (--capture, after SRTP decryption) is SFrame: the
  // clear codec prefix, then an SFrame header whose KID carries a generation
  // (so X = 1: KIDs are >= 256), then ciphertext and a 16-byte tag.
  test('the SFU sees only SFrame ciphertext behind the clear codec prefix', () => {
    const sframeHeader = (b, at) => {
      const c = b[at];
      if (c === undefined || !(c & 0x80)) return null;
      const kl = ((c >> 4) & 7) + 1, cl = c & 0x08 ? (c & 7) + 1 : 0;
      let kid = 0;
      for (let i = 0; i < kl; i++) kid = kid * 256 + b[at + 1 + i];
      return { kid, generation: Math.floor(kid / 256) % 256, len: 1 + kl + cl };
    };
    const files = readdirSync(captureDir);
    let audio = 0, video = 0;
    for (const f of files) {
      const buf = readFileSync(pjoin(captureDir, f));
      assert.equal(buf.subarray(0, 7).toString(), 'SRCAP1\n');
      for (let off = 7; off + 11 <= buf.length;) {
        const len = buf.readUInt32BE(off);
        if (off + 11 + len > buf.length) break; // still buffered
        const p = buf.subarray(off + 11, off + 11 + len);
        off += 11 + len;
        if (f.endsWith('-audio.cap')) {
          if (len === 0) continue;
          const h = sframeHeader(p, 1); // after the Opus TOC byte
          assert.ok(h && h.generation >= 1 && len >= 1 + h.len + 16, `${f}: audio payload is not SFrame: ${p.subarray(0, 8).toString('hex')}`);
          audio++;
          continue;
        }
        // RFC 7741 payload descriptor; only the first packet of a frame has the prefix and header.
        let i = 1;
        const start = (p[0] & 0x10) && (p[0] & 0x07) === 0;
        if (p[0] & 0x80) {
          const b1 = p[1]; i = 2;
          if (b1 & 0x80) i += (p[i] & 0x80) ? 2 : 1;
          if (b1 & 0x40) i += 1;
          if (b1 & 0x30) i += 1;
        }
        if (!start) continue;
        const key = (p[i] & 1) === 0;
        const h = sframeHeader(p, i + (key ? 10 : 3));
        assert.ok(h && h.generation >= 1, `${f}: VP8 frame is not SFrame: ${p.subarray(i, i + 16).toString('hex')}`);
        video++;
      }
    }
    console.log(`# capture: ${audio} audio packets and ${video} video frames, all SFrame`);
    assert.ok(audio > 100 && video > 50, `audio ${audio}, video ${video}`);
  });

  // A browser without encoded transforms sends no public key; the server
  // refuses it (e2ee_required) and the page says why.
  test('a browser without encoded transforms is refused with a clear message', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await ctx.addInitScript(() => {
      delete window.RTCRtpScriptTransform;
      delete RTCRtpSender.prototype.createEncodedStreams;
      delete RTCRtpReceiver.prototype.createEncodedStreams;
    });
    const page = await ctx.newPage();
    await page.goto(`${s.url}/${room.friendly_url}`);
    await page.fill('#name', 'Old browser');
    await page.click('#join');
    await page.waitForFunction(() => window.sealroom.error && window.sealroom.error.code === 'e2ee_required', null, { timeout: 10000 });
    assert.match(await page.locator('#error-text').textContent(), /end-to-end encrypted.*cannot take part/);
    assert.equal(await page.evaluate(() => window.sealroom.state), 'error');
    assert.equal(await page.evaluate(() => window.sealroom.e2ee.supported), false);
    assert.equal(await page.evaluate(() => typeof window.sealroom.e2ee.exportKeys), 'undefined'); // not joined: no test mode known
    await ctx.close();
  });

  // docs/e2ee.md 12.2: a link with #e2ee refuses a room the server reports as not E2EE.
  test('a #e2ee link refuses a room that is not end-to-end encrypted', async () => {
    const plain = (await s.api('POST', '/api/v1/rooms', { friendly_url: 'plain-room' })).json;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await ctx.newPage();
    await page.goto(`${s.url}/${plain.friendly_url}#e2ee`);
    await page.fill('#name', 'Careful');
    await page.click('#join');
    await page.waitForFunction(() => window.sealroom.error && window.sealroom.error.code === 'e2ee_expected', null, { timeout: 10000 });
    assert.notEqual(await page.evaluate(() => window.sealroom.state), 'joined');
    await ctx.close();
  });
});
