// The per-subscriber bandwidth allocator (issue 11): in a room of six, one
// subscriber behind a slow downlink gets a lower simulcast encoding of the
// publisher's camera, while the four others keep 720p (the publisher is not
// held back for it), its audio keeps playing, and it gets 720p back once the
// link is fast again. And the same in an E2EE room (three participants).
//
// The slow link is the server's test shaper (--test-mode, POST /_test/shape:
// what the SFU sends that participant leaves at the given rate after the
// packets queued before it, and a packet that would wait more than 300 ms
// is dropped, as behind a real bottleneck); the subscriber's own browser
// estimates its bandwidth (REMB) from what arrives and NACKs what is lost,
// and the SFU allocates by both. The link is set a little slower than the
// publisher's 720p encoding (slowLink): the receiver's estimate then stays
// well above half of what is sent, and only the losses tell.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { metric } from '../lib/abuse.mjs';
import { launchChromium, joinPage, sleep } from '../lib/browser.mjs';

// The width of each remote camera a page decodes, by sender (its track id
// starts with the sender's participant id), and audio samples by sender.
// Nothing while the page has no subscribe connection: on a starved machine
// a page's media can fail to connect in time, and the page joins again
// (recovery.js); the polls below then wait for it.
async function received(page) {
  return page.evaluate(async () => {
    const out = {};
    const pc = window.sealroom.pcs.subscribe;
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const from = String(r.trackIdentifier || '').slice(0, 36);
      out[from] = out[from] || {};
      if (r.kind === 'video') Object.assign(out[from], { width: r.frameWidth || 0, frames: r.framesDecoded || 0 });
      else Object.assign(out[from], { samples: r.totalSamplesReceived || 0, concealed: r.concealedSamples || 0 });
    });
    return out;
  });
}

// The publisher's 720p encoding (rid f): its width and frames encoded.
async function annTop(page) {
  return page.evaluate(async () => {
    let out = { width: 0, frames: 0 };
    (await window.sealroom.pcs.publish.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid === 'f') out = { width: r.frameWidth || 0, frames: r.framesEncoded || 0 };
    });
    return out;
  });
}

// The rate of each of the publisher's camera encodings (kbps, by rid) over
// 3 s, and a slow link for the test: 80% of the 720p encoding's rate, at
// most 600 kbps, at least 250 (the lowest encoding and audio fit). The
// fake camera's 720p is cheap to encode: on a loaded machine it runs at
// 700 kbps or less, so a fixed 600 kbps link was at times barely slower
// than it (the link then loses a packet in five or six while the
// receiver's estimate stays above half of what is sent).
async function slowLink(page) {
  const rates = async () => page.evaluate(async () => {
    const out = {};
    (await window.sealroom.pcs.publish.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) out[r.rid] = { bytes: r.bytesSent, t: r.timestamp };
    });
    return out;
  });
  const a = await rates();
  await sleep(3000);
  const b = await rates();
  const kbps = {};
  for (const rid of Object.keys(b)) kbps[rid] = a[rid] ? Math.round(((b[rid].bytes - a[rid].bytes) * 8) / (b[rid].t - a[rid].t)) : 0;
  return { kbps: Math.max(250, Math.min(600, Math.round(0.8 * (kbps.f || 0)))), encodings: kbps };
}

// The allocator's steps so far, from /metrics (what an operator sees).
async function allocSteps(s) {
  return { down: await metric(s, 'sealroom_media_alloc_steps_down_total'), up: await metric(s, 'sealroom_media_alloc_steps_up_total') };
}

async function until(what, fn, ms) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await fn();
    if (last === true) return (Date.now() - t0) / 1000;
    await sleep(500);
  }
  assert.fail(`${what}: not within ${ms / 1000} s (last ${JSON.stringify(last)})`);
}

// For a failure's message: each page's state (joined again? its join's steps,
// its connections), and what the server logged of joins and media connections.
async function whatHappened(s, pages, names) {
  const states = await Promise.all(pages.map((p) => p.evaluate(() => {
    const w = window.sealroom;
    return { state: w.state, id: w.participantId, retry: w.mediaRetry, steps: w.timings,
      publish: w.pcs.publish ? w.pcs.publish.connectionState : null, subscribe: w.pcs.subscribe ? w.pcs.subscribe.connectionState : null };
  }).catch((e) => String(e))));
  const log = s.stderr.split('\n').filter((l) => /joined room|left room|lost its media|closed before|DTLS failed/.test(l)).slice(-30);
  return `pages: ${states.map((x, i) => `${names[i]} ${JSON.stringify(x)}`).join('\n')}\nserver: ${log.join('\n')}`;
}

describe('bandwidth allocation', () => {
  let s, browser;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0', '--test-mode'] });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  test('6 participants: one behind a link slower than 720p gets a lower encoding; the four others keep 720p; it recovers', { timeout: 300000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'alloc' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const names = ['Ann', 'Bob', 'Cleo', 'Dan', 'Eve', 'Finn'];
    const pages = [];
    for (const n of names) pages.push(await joinPage(browser, s.url, '/alloc', n));
    const [ann, bob, ...rest] = pages;
    try {
      // Only Ann's camera stays on: five more encoders would starve this
      // 2-core machine, and what is measured is Ann's video at each receiver.
      // Only Ann speaks, too: the SFU forwards the three loudest of a room's
      // microphones (--loudest-audio, default 3), and the six fake ones beep
      // equally loud, so which three are heard would depend on who was
      // heard first (equals do not displace each other), not be Ann for
      // sure; muted ones send DTX silence, and Ann's beeps are the loudest.
      for (const p of [bob, ...rest]) {
        await p.click('#toggle-cam');
        await p.click('#toggle-mic');
      }
      const annId = await ann.evaluate(() => window.sealroom.participantId);
      // Everyone wants Ann's camera at its best (as for a large tile).
      for (const p of [bob, ...rest]) await p.evaluate((id) => window.sealroom.setVideoQuality(id, 'high'), annId);
      const view = async (p) => (await received(p))[annId] || {};
      const allHd = async () => {
        const v = await Promise.all([bob, ...rest].map(view));
        return v.every((x) => x.width === 1280) || v.map((x) => x.width);
      };
      // Six pages load both cores: a receiver's estimate can dip during the
      // ramp, and the allocator then holds it a step lower for 8-16 s
      // before it probes again (seen once in four runs: one at 640 after 40 s).
      await until('everyone decodes Ann at 1280x720', allHd, 70000);

      const link = await slowLink(ann);
      const steps0 = await allocSteps(s);
      const bobId = await bob.evaluate(() => window.sealroom.participantId); /* now: a page that joined again has a new one */
      let res = await s.api('POST', '/_test/shape', { participant_id: bobId, kbps: link.kbps });
      assert.equal(res.status, 200, res.text);
      const down = await until('Bob gets a lower encoding of Ann', async () => {
        const v = await view(bob);
        return (v.width > 0 && v.width < 1280) || v;
      }, 60000); /* 7-17 s seen on this 2-core machine with six pages */
      // Meanwhile the four others keep 720p, and Bob still hears Ann. Bob
      // stays low, but for the allocator's probes for more: a probe the
      // link cannot carry shows as a few frames at 1280 and then none (the
      // picture stands still at 1280 until it is taken back), so what is
      // counted is the frames Bob decodes at each width.
      const b0 = await view(bob), o0 = await Promise.all(rest.map(view));
      const annSent0 = await annTop(ann);
      const widths = [], others = rest.map(() => []);
      let last = b0, low = 0, high = 0;
      for (let i = 0; i < 10; i++) {
        await sleep(500);
        const v = await view(bob);
        widths.push(v.width);
        if (v.width < 1280) low += v.frames - last.frames;
        else high += v.frames - last.frames;
        last = v;
        (await Promise.all(rest.map(view))).forEach((x, k) => others[k].push(x.width));
      }
      assert.ok(low > 0 && low >= 2 * high, `Bob's frames of Ann behind ${link.kbps} kbps (Ann's encodings: ${JSON.stringify(link.encodings)} kbps): ` +
        `${low} under 1280 wide, ${high} at 1280; widths every 0.5 s: ${widths}`);
      const b1 = await view(bob), o1 = await Promise.all(rest.map(view));
      // Ann is not held back for Bob: her 720p encoding goes on at 1280
      // wide, and the others keep getting it. Each of them has its own
      // estimate and allocator: on this loaded 2-core machine one receiver's
      // estimate can dip and take it a step down for a while (a final CI run
      // saw Finn at 320 during Bob's limit), which a publisher held back for
      // Bob would do to all four; so three of the four must stay at 1280
      // throughout, and all keep decoding.
      const annSent1 = await annTop(ann);
      assert.ok(annSent1.width === 1280 && annSent1.frames > annSent0.frames + 20, `Ann's 720p encoding: ${JSON.stringify([annSent0, annSent1])}`);
      const kept = others.filter((w) => w.every((x) => x === 1280)).length;
      assert.ok(kept >= 3, `the others' widths of Ann every 0.5 s: ${JSON.stringify(Object.fromEntries(others.map((w, k) => [names[k + 2], w])))}`);
      o1.forEach((v, i) => {
        assert.ok(v.frames > o0[i].frames + 20, `${names[i + 2]} keeps decoding Ann: ${JSON.stringify([o0[i], v])}`);
      });
      const heard = b1.samples - b0.samples, concealed = (b1.concealed - b0.concealed) / Math.max(1, heard);
      assert.ok(heard > 0.8 * 5 * 48000, `Bob hears Ann: ${heard} samples in 5 s`);
      assert.ok(concealed < 0.2, `Bob's audio from Ann: ${(concealed * 100).toFixed(0)}% concealed`);
      assert.ok(b1.frames > b0.frames, `Bob keeps decoding Ann: ${JSON.stringify([b0, b1])}`);

      res = await s.api('POST', '/_test/shape', { participant_id: bobId, kbps: 0 });
      assert.equal(res.status, 200, res.text);
      // After failed probes the allocator waits up to 64 s before the next one.
      const up = await until('Bob gets 720p of Ann again', async () => (await view(bob)).width === 1280 || view(bob), 90000);
      const steps1 = await allocSteps(s);
      assert.ok(steps1.down > steps0.down && steps1.up > steps0.up, `allocator steps in /metrics: ${JSON.stringify([steps0, steps1])}`);
      console.log(`# 6 participants, Bob behind a ${link.kbps} kbps downlink (Ann's encodings: ${JSON.stringify(link.encodings)} kbps): down from 720p in ${down.toFixed(1)} s (widths then ${widths.join(' ')}, ${low} frames under 1280 and ${high} at 1280, ` +
        `${(concealed * 100).toFixed(1)}% of his audio concealed); ${kept} of the other four kept 1280px throughout (${others.map((w) => Math.min(...w)).join(' ')} at the least), Ann sent 1280px; after the limit lifts, ` +
        `720p again in ${up.toFixed(1)} s`);
    } catch (err) {
      throw new Error(`${err.message}\n${await whatHappened(s, pages, names)}`);
    } finally {
      for (const p of pages) await p.context().close();
    }
  });

  // The same in an E2EE room, with three: the SFU chooses encodings from the
  // RTP header and the VP8 payload descriptor, which stay in the clear.
  test('E2EE room of 3: one behind a link slower than 720p gets a lower encoding, decrypted with nothing dropped; the other keeps 720p', { timeout: 240000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'alloc-e2ee', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const names = ['Ann', 'Bob', 'Cleo'];
    const pages = [];
    for (const n of names) pages.push(await joinPage(browser, s.url, '/alloc-e2ee#e2ee', n));
    const [ann, bob, cleo] = pages;
    try {
      for (const p of [bob, cleo]) await p.click('#toggle-cam');
      const [annId, bobId] = await Promise.all([ann, bob].map((p) => p.evaluate(() => window.sealroom.participantId)));
      for (const p of [bob, cleo]) await p.evaluate((id) => window.sealroom.setVideoQuality(id, 'high'), annId);
      const view = async (p) => (await received(p))[annId] || {};
      await until('both decode Ann at 1280x720', async () => {
        const v = await Promise.all([bob, cleo].map(view));
        return v.every((x) => x.width === 1280) || v.map((x) => x.width);
      }, 60000);
      const link = await slowLink(ann);
      const res = await s.api('POST', '/_test/shape', { participant_id: bobId, kbps: link.kbps });
      assert.equal(res.status, 200, res.text);
      const e0 = (await bob.evaluate(() => window.sealroom.e2ee)).decryptedFrom[annId].video;
      const down = await until('Bob gets a lower encoding of Ann', async () => {
        const v = await view(bob);
        return (v.width > 0 && v.width < 1280) || v;
      }, 60000);
      const b0 = await view(bob), c0 = await view(cleo);
      await sleep(3000);
      const b1 = await view(bob), c1 = await view(cleo);
      assert.ok(b1.frames > b0.frames, `Bob keeps decoding Ann: ${JSON.stringify([b0, b1])}`);
      assert.equal(c1.width, 1280, `Cleo keeps 720p: ${JSON.stringify(c1)}`);
      assert.ok(c1.frames > c0.frames + 20, `Cleo keeps decoding Ann: ${JSON.stringify([c0, c1])}`);
      const e = await bob.evaluate(() => window.sealroom.e2ee);
      assert.ok(e.decryptedFrom[annId].video > e0, `Bob's worker decrypts Ann's video: ${JSON.stringify(e.decryptedFrom)}`);
      const videoDrops = Object.entries(e.drops || {}).filter(([k, n]) => n > 0 && !/audio/i.test(k));
      assert.equal(videoDrops.length, 0, `Bob's worker dropped frames: ${JSON.stringify(e.drops)}`);
      await s.api('POST', '/_test/shape', { participant_id: bobId, kbps: 0 });
      console.log(`# E2EE room of 3, Bob behind ${link.kbps} kbps (Ann's encodings: ${JSON.stringify(link.encodings)} kbps): down from 720p in ${down.toFixed(1)} s to ${b1.width}px, ` +
        'decrypted with no video frame dropped; Cleo kept 1280px');
    } finally {
      for (const p of pages) await p.context().close();
    }
  });
});
