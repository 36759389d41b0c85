// Simulcast through sealroomd (issue 11): the meeting page publishes its
// camera in three encodings (320x180, 640x360, 1280x720); the SFU forwards
// each subscriber one of them and switches at key frames when the subscriber
// asks for another quality (`video_quality`, what the page sends as its
// tiles change size), rewriting sequence numbers, timestamps and VP8
// picture ids so that the subscriber sees one continuous stream.
//
// In a plain room and in an E2EE room (the SFU reads only the RTP header and
// the VP8 payload descriptor, which stay in the clear): Bob asks for low,
// medium, high and low again of Ann's camera; after each, what Bob decodes
// takes that encoding's size, frames keep being decoded, nothing counts as
// lost (no gap in the rewritten sequence numbers), it stays one stream (one
// SSRC), and in the E2EE room Bob's worker keeps decrypting Ann's video
// with nothing dropped. When Bob wants only the lowest, Ann is asked to
// pause her other two encodings (video_layers) and stops encoding them; when
// he wants high again, 720p comes back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithChromium, joinPage, sleep } from '../lib/browser.mjs';

const SIZES = { low: 320, medium: 640, high: 1280 };

// Bob's inbound video (the one remote camera) and Ann's outbound encodings.
async function video(page, dir) {
  return page.evaluate(async (d) => {
    const pc = d === 'in' ? window.sealroom.pcs.subscribe : window.sealroom.pcs.publish;
    const out = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === (d === 'in' ? 'inbound-rtp' : 'outbound-rtp') && r.kind === 'video') {
        out.push({ ssrc: r.ssrc, rid: r.rid, width: r.frameWidth || 0, frames: (d === 'in' ? r.framesDecoded : r.framesEncoded) || 0,
          lost: r.packetsLost || 0, packets: r.packetsReceived || r.packetsSent || 0, keyframes: r.keyFramesDecoded || 0,
          freezes: r.freezeCount || 0, active: r.active });
      }
    });
    return out;
  }, dir);
}

async function run(browser, s, room, e2ee) {
  const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, e2ee_enabled: e2ee });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  const path = `/${room}${e2ee ? '#e2ee' : ''}`;
  const ann = await joinPage(browser, s.url, path, 'Ann');
  const bob = await joinPage(browser, s.url, path, 'Bob');
  try {
    const annId = await ann.evaluate(() => window.sealroom.participantId);
    const steps = [];
    let ssrc = null;
    for (const q of ['low', 'medium', 'high', 'low']) {
      await bob.evaluate(([id, quality]) => window.sealroom.setVideoQuality(id, quality), [annId, q]);
      const t0 = Date.now();
      let v;
      for (;;) { // that encoding's size decoded, within 15 s (Ann's encoder ramps up at first)
        [v] = await video(bob, 'in');
        if (v && v.width === SIZES[q]) break;
        const sent = await video(ann, 'out');
        assert.ok(Date.now() - t0 < 15000, `Bob did not get Ann's ${q} encoding: receives ${JSON.stringify(v)}, Ann sends ${JSON.stringify(sent)}`);
        await sleep(200);
      }
      const switched = Date.now() - t0;
      await sleep(1500);
      const [w] = await video(bob, 'in');
      assert.equal(w.width, SIZES[q], `${q}: stays at its size`);
      assert.ok(w.frames > v.frames + 10, `${q}: frames keep being decoded (${v.frames} -> ${w.frames})`);
      assert.ok(w.lost <= 2, `${q}: ${w.lost} packets counted lost (the rewritten sequence numbers have a gap)`);
      if (ssrc === null) ssrc = w.ssrc;
      assert.equal(w.ssrc, ssrc, 'one stream, whatever the encoding');
      steps.push(`${q} ${w.width}px in ${switched} ms`);
    }
    const sent = await video(ann, 'out');
    assert.deepEqual(sent.map((o) => o.rid).sort(), ['f', 'h', 'q'], `Ann has three encodings: ${JSON.stringify(sent)}`);
    // No one wants more than Ann's lowest now: the server asks her to pause
    // the others (video_layers, after 3 s), and she stops encoding them.
    let t0 = Date.now();
    await ann.waitForFunction(() => JSON.stringify(window.sealroom.cameraLayers) === '["q"]', null, { timeout: 10000 });
    const paused = Date.now() - t0;
    const byRid = async () => Object.fromEntries((await video(ann, 'out')).map((o) => [o.rid, o]));
    const p1 = await byRid();
    await sleep(1500);
    const p2 = await byRid();
    assert.equal(p2.f.active, false, `f paused: ${JSON.stringify(p2)}`);
    assert.equal(p2.h.active, false, `h paused: ${JSON.stringify(p2)}`);
    assert.ok(p2.f.frames - p1.f.frames <= 1 && p2.h.frames - p1.h.frames <= 1, `Ann still encodes h or f: ${JSON.stringify({ p1, p2 })}`);
    assert.ok(p2.q.frames > p1.q.frames + 10, `Ann's lowest goes on: ${JSON.stringify({ p1, p2 })}`);
    // Bob asks for high again: Ann sends it at once, and Bob gets it.
    await bob.evaluate((id) => window.sealroom.setVideoQuality(id, 'high'), annId);
    t0 = Date.now();
    for (;;) {
      const [v] = await video(bob, 'in');
      if (v && v.width === SIZES.high) break;
      assert.ok(Date.now() - t0 < 15000, `Bob did not get 720p back from a paused encoding: ${JSON.stringify(v)}; Ann ${JSON.stringify(await byRid())}`);
      await sleep(100);
    }
    steps.push(`f and h paused ${paused} ms after the last switch, high again in ${Date.now() - t0} ms`);
    const [last] = await video(bob, 'in');
    assert.ok(last.freezes <= 3, `Bob's video froze ${last.freezes} times`);
    if (e2ee) {
      const e = await bob.evaluate(() => window.sealroom.e2ee);
      assert.ok(e.decryptedFrom[annId] && e.decryptedFrom[annId].video > 100, JSON.stringify(e.decryptedFrom));
      const videoDrops = Object.entries(e.drops || {}).filter(([k, n]) => n > 0 && !/audio/i.test(k));
      assert.equal(videoDrops.length, 0, `Bob's worker dropped frames: ${JSON.stringify(e.drops)}`);
    }
    console.log(`# ${e2ee ? 'E2EE' : 'plain'} room: ${steps.join(', ')}; ${last.keyframes} key frames decoded, ${last.lost} lost, ${last.freezes} freezes`);
  } finally {
    await ann.context().close();
    await bob.context().close();
  }
}

describe('simulcast', () => {
  const fx = serverWithChromium({ args: ['--rate-limit', '0'] });

  test('a plain room: Bob switches between Ann\'s three encodings, one continuous stream', { timeout: 120000 }, async () => {
    await run(fx.browser, fx.s, 'simulcast-plain', false);
  });

  test('an E2EE room: the same, and every frame still decrypts', { timeout: 120000 }, async () => {
    await run(fx.browser, fx.s, 'simulcast-e2ee', true);
  });
});
