// Firefox interoperability: a headless Firefox (Debian's firefox-esr, driven
// by puppeteer-core over WebDriver BiDi) and a headless Chromium (playwright-
// core) join one room with fake camera and microphone; each decodes the
// other's video and receives its audio through sealroomd; Firefox leaves and
// its tile disappears from the Chromium page. The server listens on
// 127.0.0.1; both browsers are set up to reach nothing else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join as pjoin } from 'node:path';
import { writeFileSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, stopServer, OUT } from '../lib/server.mjs';
import { launchFirefox } from '../lib/firefox.mjs';

const CHROMIUM = process.env.SEALROOM_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs in the page (both browsers): the inbound streams of the subscribe
// connection, keyed by stats id.
async function inboundInPage() {
  const pc = window.sealroom && window.sealroom.pcs.subscribe;
  const out = {};
  if (!pc) return out;
  (await pc.getStats()).forEach((r) => {
    if (r.type !== 'inbound-rtp') return;
    out[r.id] = {
      kind: r.kind || r.mediaType,
      packets: r.packetsReceived || 0,
      frames: r.framesDecoded || 0,
      width: r.frameWidth || 0,
      samples: r.totalSamplesReceived, // undefined where not implemented
    };
  });
  return out;
}

// What a page receives, summed per kind.
function summary(m) {
  const v = Object.values(m);
  const video = v.filter((x) => x.kind === 'video'), audio = v.filter((x) => x.kind === 'audio');
  return {
    videoFrames: video.reduce((a, x) => a + x.frames, 0),
    videoWidth: Math.max(0, ...video.map((x) => x.width)),
    audioPackets: audio.reduce((a, x) => a + x.packets, 0),
    audioSamples: audio.some((x) => typeof x.samples === 'number')
      ? audio.reduce((a, x) => a + (x.samples || 0), 0) : undefined,
  };
}

const receiving = (s) => s.videoFrames > 0 && s.videoWidth > 0 && s.audioPackets > 0 &&
  (s.audioSamples === undefined || s.audioSamples > 0);

// [participants, media transports] from /metrics, polled for up to 3 s
// until they equal `want` (transports close on the media worker, a moment
// after the signalling side has let the others know).
async function counts(s, want) {
  const until = Date.now() + 3000;
  for (;;) {
    const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
    const get = (n) => Number((text.match(new RegExp(`^${n} (\\d+)`, 'm')) || [])[1]);
    const got = [get('sealroom_participants'), get('sealroom_media_transports')];
    if ((got[0] === want[0] && got[1] === want[1]) || Date.now() > until) return got;
    await sleep(100);
  }
}

describe('Firefox and Chromium in one call', () => {
  let s, room, chrome, firefox;
  const people = {}; // chromium, firefox -> { page, errors, id }

  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'call-firefox', description: 'Firefox interop' });
    assert.ok(r.status === 200 && r.json && r.json.friendly_url, r.text);
    room = r.json;
    // Both at once; each is recorded as soon as it is up, so that `after`
    // closes it even when the other one fails to start.
    const launched = await Promise.allSettled([
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).then((b) => { chrome = b; }),
      launchFirefox().then((b) => { firefox = b; }),
    ]);
    const failed = launched.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, { timeout: 45000 });

  after(async () => {
    // Whatever happened, no browser or server outlives the test.
    await Promise.allSettled([firefox && firefox.close(), chrome && chrome.close()]);
    await stopServer(s);
  });

  test('each browser decodes the other; Firefox leaves and disappears', { timeout: 60000 }, async () => {
    const t0 = Date.now();
    rmSync(pjoin(OUT, 'firefox-failure.json'), { force: true });
    // Chromium joins first, Firefox second (so Firefox answers a subscribe
    // offer that already carries Chromium's tracks, and Chromium gets a
    // renegotiated one with Firefox's).
    const cpage = await (await chrome.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const cerrors = [];
    cpage.on('pageerror', (e) => cerrors.push(e.message));
    cpage.on('console', (m) => { if (m.type() === 'error') cerrors.push(`console: ${m.text()}`); });
    await cpage.goto(`${s.url}/${room.friendly_url}`);
    await cpage.fill('#name', 'Chromium');
    await cpage.click('#join');
    await cpage.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', null, { timeout: 10000 });
    people.chromium = { page: cpage, errors: cerrors, id: await cpage.evaluate(() => window.sealroom.participantId) };

    const fpage = await firefox.newPage();
    const ferrors = [];
    fpage.on('pageerror', (e) => ferrors.push(e.message));
    fpage.on('console', (m) => { if (m.type() === 'error') ferrors.push(`console: ${m.text()}`); });
    await fpage.goto(`${s.url}/${room.friendly_url}`);
    await fpage.waitForSelector('#name');
    // The page opens the fake devices on load; join once they are open so
    // that Firefox publishes both tracks.
    await fpage.evaluate(() => window.sealroom.mediaReady);
    const local = await fpage.evaluate(() => window.sealroom.localStream.getTracks().map((t) => t.kind).sort());
    assert.deepEqual(local, ['audio', 'video'], 'Firefox opened its fake camera and microphone');
    await fpage.type('#name', 'Firefox');
    await fpage.click('#join');
    await fpage.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', { timeout: 10000, polling: 50 });
    people.firefox = { page: fpage, errors: ferrors, id: await fpage.evaluate(() => window.sealroom.participantId) };
    const joinedAt = Date.now();

    // Both decode the other's video and receive its audio.
    const deadline = Date.now() + 20000;
    let last;
    for (;;) {
      last = {
        chromium: summary(await cpage.evaluate(inboundInPage)),
        firefox: summary(await fpage.evaluate(inboundInPage)),
      };
      if (receiving(last.chromium) && receiving(last.firefox)) break;
      if (Date.now() > deadline) {
        const diag = {
          stats: last,
          status: {
            chromium: await cpage.evaluate(() => ({ ...document.getElementById('status').dataset })),
            firefox: await fpage.evaluate(() => ({ ...document.getElementById('status').dataset })),
          },
          firefoxErrors: ferrors, chromiumErrors: cerrors,
          firefoxSdp: await fpage.evaluate(() => ({
            publishLocal: window.sealroom.pcs.publish?.localDescription?.sdp,
            publishRemote: window.sealroom.pcs.publish?.remoteDescription?.sdp,
            subscribeRemote: window.sealroom.pcs.subscribe?.remoteDescription?.sdp,
            subscribeLocal: window.sealroom.pcs.subscribe?.localDescription?.sdp,
          })),
          serverLog: s.stderr.slice(-4000),
        };
        writeFileSync(pjoin(OUT, 'firefox-failure.json'), JSON.stringify(diag, null, 2));
        assert.fail(`the two browsers do not both receive each other (details in tests/out/firefox-failure.json): ${JSON.stringify(diag.stats)} ${JSON.stringify(diag.status)} ${ferrors.join('; ')}`);
      }
      await sleep(250);
    }
    console.log(`# Firefox join to both receiving: ${Date.now() - joinedAt} ms`);
    // Frames keep coming on both sides.
    await sleep(1500);
    const again = {
      chromium: summary(await cpage.evaluate(inboundInPage)),
      firefox: summary(await fpage.evaluate(inboundInPage)),
    };
    for (const who of ['chromium', 'firefox']) {
      assert.ok(again[who].videoFrames > last[who].videoFrames, `${who}: remote video stalled`);
      assert.ok(again[who].audioPackets > last[who].audioPackets, `${who}: remote audio stalled`);
    }
    console.log(`# received: ${JSON.stringify(again)}`);

    // Each page shows the other as a tile with live video.
    const liveTile = (id) => `#tiles [data-participant-id="${id}"][data-video="on"]`;
    await cpage.waitForSelector(liveTile(people.firefox.id), { timeout: 5000 });
    await fpage.waitForSelector(liveTile(people.chromium.id), { timeout: 5000 });
    await fpage.screenshot({ path: pjoin(OUT, 'firefox-call.png') });

    assert.deepEqual(await counts(s, [2, 4]), [2, 4], 'participants and media transports during the call');

    // Firefox leaves: the Chromium page loses its tile and its entry.
    await fpage.click('#leave');
    await fpage.waitForFunction(() => window.sealroom.state === 'left', { timeout: 5000 });
    await cpage.waitForFunction((id) => !document.querySelector(`#tiles [data-participant-id="${id}"]`),
      people.firefox.id, { timeout: 10000 });
    assert.ok(!(await cpage.evaluate((id) => window.sealroom.participants.has(id), people.firefox.id)),
      'Chromium still lists Firefox');
    assert.deepEqual(await counts(s, [1, 2]), [1, 2], 'participants and media transports after the leave');

    assert.deepEqual(ferrors, [], 'Firefox page errors');
    assert.deepEqual(cerrors, [], 'Chromium page errors');
    console.log(`# test body took ${Date.now() - t0} ms`);
  });

  // docs/e2ee-sender-auth.md: in an E2EE call of Firefox and Chromium, each
  // decrypts the other's media and passes it only once a signed statement of
  // the sender lists it. On a machine that is not overloaded every frame is
  // listed within the hold: no frame is refused, hardly one (a scheduling
  // hiccup) waits out the hold.
  test('Firefox and Chromium in an E2EE room: each passes the other\'s signed frames', { timeout: 90000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'e2ee-pair', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const ctx = await chrome.newContext({ viewport: { width: 640, height: 480 } });
    const fpage = await firefox.newPage();
    try {
      const cpage = await ctx.newPage();
      await cpage.goto(`${s.url}/e2ee-pair#e2ee`);
      await cpage.fill('#name', 'Chromium');
      await cpage.click('#join');
      await cpage.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
      const cid = await cpage.evaluate(() => window.sealroom.participantId);
      await fpage.goto(`${s.url}/e2ee-pair#e2ee`);
      await fpage.waitForSelector('#name');
      await fpage.evaluate(() => window.sealroom.mediaReady);
      await fpage.$eval('#name', (el) => { el.value = ''; });
      await fpage.type('#name', 'Firefox');
      await fpage.click('#join');
      await fpage.waitForFunction(() => window.sealroom.state === 'joined', { timeout: 15000, polling: 100 });
      const fid = await fpage.evaluate(() => window.sealroom.participantId);
      // Both decode the other's (decrypted, verified) video and audio.
      const deadline = Date.now() + 20000;
      for (;;) {
        const got = [summary(await cpage.evaluate(inboundInPage)), summary(await fpage.evaluate(inboundInPage))];
        if (got.every(receiving)) break;
        if (Date.now() > deadline) {
          // What each page's connections and status said, for the log.
          const pageState = () => {
            const pcs = window.sealroom.pcs || {};
            const of = (pc) => pc && { ice: pc.iceConnectionState, conn: pc.connectionState, signaling: pc.signalingState };
            return { status: { ...document.getElementById('status').dataset }, publish: of(pcs.publish), subscribe: of(pcs.subscribe), e2ee: window.sealroom.e2ee && window.sealroom.e2ee.drops };
          };
          const diag = { chromium: await cpage.evaluate(pageState), firefox: await fpage.evaluate(pageState), serverLog: s.stderr.slice(-3000) };
          assert.fail(`not both receiving: ${JSON.stringify(got)} ${JSON.stringify(diag)}`);
        }
        await sleep(250);
      }
      await sleep(6000);
      // A frame dropped as unsigned is told (late, forgotten, ...) once its
      // statement comes or is known gone: wait up to 8 s for both pages to
      // have told every drop so far, so that the figures below are final.
      const e2eeOf = (page) => page.evaluate(() => window.sealroom.e2ee);
      let ce, fe;
      for (const until = Date.now() + 8000; ;) {
        [ce, fe] = [await e2eeOf(cpage), await e2eeOf(fpage)];
        if ((!ce.sign.unsignedWhy.awaiting && !fe.sign.unsignedWhy.awaiting) || Date.now() > until) break;
        await sleep(500);
      }
      console.log(`# E2EE pair: Chromium from Firefox ${JSON.stringify(ce.decryptedFrom[fid])}, sign ${JSON.stringify(ce.sign)}; ` +
        `Firefox from Chromium ${JSON.stringify(fe.decryptedFrom[cid])}, sign ${JSON.stringify(fe.sign)}`);
      assert.ok(ce.securityCode && ce.securityCode === fe.securityCode, `codes: ${ce.securityCode} | ${fe.securityCode}`);
      for (const [who, e, from] of [['Chromium', ce, fid], ['Firefox', fe, cid]]) {
        const d = e.decryptedFrom[from] || {};
        assert.ok(d.audio > 100 && d.video > 50, `${who} decrypted too little of the other: ${JSON.stringify(d)}`);
        const drops = e.sign.drops;
        const sign = JSON.stringify(e.sign);
        assert.equal(drops.reject || 0, 0, `${who} refused frames as not the sender's: ${JSON.stringify(drops)}`);
        assert.deepEqual(e.sign.statementsBad, {}, `${who} refused statements`);
        // Every statement of the other came and was taken, in order (the
        // sender numbers them one by one), and every frame dropped as
        // unsigned was the sender's own, listed by a statement that came
        // too late for it or that its media came too late for (or still
        // awaits its statement): none lost, none listed with another hash.
        assert.equal(e.sign.statementGaps, 0, `${who} missed statements of the other: ${sign}`);
        const why = e.sign.unsignedWhy;
        for (const k of ['lost', 'forged', 'untracked', 'discarded', 'released']) {
          assert.equal(why[k] || 0, 0, `${who}: ${k} frames among those dropped unsigned: ${sign}`);
        }
        // Frames are dropped unsigned only when the signalling path (through
        // both pages' main threads) and the media path drifted apart by more
        // than the worker's hold: late statements (lateMsMax says how late)
        // or media after its statement was forgotten. That is the machine's
        // load, not a fault, and sender authentication holds whatever the
        // count. On a quiet machine none is dropped; CI with both browsers on
        // two cores dropped 2.6% (c5b4ea2), 6.2% (98d7d3e) and 11% (effa562)
        // at a hold of 1000 ms, now 2000 ms. Bounded loosely: a call that
        // drops a quarter of its frames is broken, whatever the machine.
        const unsigned = (drops.unsigned || 0) + (drops.overflow || 0);
        assert.ok(unsigned <= 0.25 * e.sign.verifiedFrames, `${who} dropped ${unsigned} of ${e.sign.verifiedFrames} frames unsigned: ${sign}`);
        if (unsigned > 0) {
          console.log(`# ${who} dropped ${unsigned} of ${e.sign.verifiedFrames} frames unsigned: late ${why.late} ` +
            `(up to ${Math.round(why.lateMsMax)} ms after the frame), forgotten ${why.forgotten}, ` +
            `still awaiting ${why.awaiting}, overflow ${drops.overflow || 0}`);
        }
      }
    } finally {
      await fpage.close().catch(() => {});
      await ctx.close();
    }
  });

  // docs/e2ee.md 10, 17: three Chromium pages and one Firefox page in an E2EE
  // room agree on the security code (it covers keys, signing keys and sealed
  // names), and Chromium decrypts and verifies Firefox's signed frames. The
  // sender-authentication figures are printed, not asserted: four browsers
  // encoding 720p overload this 2-core machine, and then the media itself
  // reaches the workers 1-2 s late and statements (through the busy page main
  // threads) later still, so frames wait out the hold (measured: 3 Chromium
  // alone hold p50 ~70 ms, no drops; with Firefox added, media p50 1.1-1.3 s
  // late). The pair test above demands a clean call.
  test('three Chromium and one Firefox in an E2EE room agree on the security code', { timeout: 150000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'e2ee-firefox', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const ctx = await chrome.newContext({ viewport: { width: 640, height: 480 } });
    const pages = [];
    try {
      for (const name of ['Ann', 'Bob', 'Cleo']) {
        const page = await ctx.newPage();
        await page.goto(`${s.url}/e2ee-firefox#e2ee`);
        await page.fill('#name', name);
        await page.click('#join');
        await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
        // Bob and Cleo do not speak: of four microphones the SFU forwards
        // the three loudest (--loudest-audio, default 3), and Chromium's fake
        // one beeps louder than Firefox's, so Fox would not be heard.
        if (name !== 'Ann') await page.click('#toggle-mic');
        pages.push({ name, page, id: await page.evaluate(() => window.sealroom.participantId) });
      }
      const fpage = await firefox.newPage();
      await fpage.goto(`${s.url}/e2ee-firefox#e2ee`);
      await fpage.waitForSelector('#name');
      await fpage.evaluate(() => window.sealroom.mediaReady);
      await fpage.$eval('#name', (el) => { el.value = ''; }); // the page remembers the last name
      await fpage.type('#name', 'Fox');
      await fpage.click('#join');
      await fpage.waitForFunction(() => window.sealroom.state === 'joined', { timeout: 15000, polling: 100 });
      const foxId = await fpage.evaluate(() => window.sealroom.participantId);
      const complete = () => {
        const e = window.sealroom.e2ee;
        return e.enabled && e.securityCode && e.members.length === 4 ? e.securityCode : null;
      };
      // Each page's complete code over the 4, read one page after another
      // until all four agree (a page read while a key was still on its way
      // shows the code it had then: the CI run of 3bd7286 once caught Ann's
      // differing from the three others read after it); never agreeing
      // within 40 s fails (four browsers on two cores: under load the keys take
      // long to go round; a CI run at 4800722 needed more than 20 s).
      let codes = [];
      // When a page has no complete code in time, the failure says what each
      // page had: its state, its E2EE members and alarm, whether it joined again.
      const states = async () => Promise.all([...pages.map((p) => p.page), fpage].map((pg) => pg.evaluate(() => {
        const w = window.sealroom;
        const e = w.e2ee || {};
        const names = e.names || {};
        return { state: w.state, id: w.participantId, participants: w.participants.size,
          members: (e.members || []).map((id) => `${String(id).slice(0, 8)}=${typeof names[id] === 'string' ? names[id] : '?'}`),
          code: !!e.securityCode, complete: e.codeComplete, alarm: e.alarm && e.alarm.reason, retry: w.mediaRetry };
      }).catch((err) => String(err))));
      const readCodes = async () => {
        const out = [];
        try {
          for (const p of pages) out.push(await (await p.page.waitForFunction(complete, null, { timeout: 40000 })).jsonValue());
          out.push(await (await fpage.waitForFunction(complete, { timeout: 40000, polling: 100 })).jsonValue());
        } catch (err) {
          throw new Error(`${err.message}\nAnn, Bob, Cleo, Fox: ${JSON.stringify(await states())}`);
        }
        return out;
      };
      for (const until = Date.now() + 40000; ;) {
        codes = await readCodes();
        if (new Set(codes).size === 1 || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(codes[0], /^(\d{5} ){11}\d{5}$/);
      if (new Set(codes).size !== 1) assert.fail(`codes differ: ${codes.join(' | ')}\nAnn, Bob, Cleo, Fox: ${JSON.stringify(await states())}`);
      // The sealed names may come a moment after the keys (the code covers a
      // member once its key is there): each side gets the other's within 20 s.
      await fpage.waitForFunction((id) => window.sealroom.e2ee.names[id] === 'Ann', { timeout: 20000, polling: 100 }, pages[0].id);
      await pages[0].page.waitForFunction((id) => window.sealroom.e2ee.names[id] === 'Fox', foxId, { timeout: 20000 });
      // Chromium decrypts and verifies Firefox's audio (signed frames).
      await pages[0].page.waitForFunction((id) => ((window.sealroom.e2ee.decryptedFrom[id] || {}).audio || 0) > 20, foxId, { timeout: 20000 });
      const e = await pages[0].page.evaluate(() => window.sealroom.e2ee);
      const fe = await fpage.evaluate(() => window.sealroom.e2ee);
      console.log(`# 3 Chromium + Firefox: code ${codes[0].slice(0, 11)}…; Ann decrypted from Fox ${JSON.stringify(e.decryptedFrom[foxId])}, Ann's sign ${JSON.stringify(e.sign)}; ` +
        `Fox encrypts ${JSON.stringify(fe.encrypted)} at ${JSON.stringify(fe.encryptMsPerFrame)} ms/frame, Fox's sign ${JSON.stringify(fe.sign)}`);
      await fpage.close();
    } finally {
      await ctx.close();
    }
  });
});
