// Screen share (issue 11): the meeting page's Share screen button sends the
// screen (getDisplayMedia) as a track of its own beside the camera; the others
// show it in a tile of its own on the stage, the cameras in a strip below.
//
// - Chromium, plain and E2EE rooms: Ann shares; Bob and Cat get a screen tile
//   that decodes Ann's screen at full size and takes most of the stage, while
//   Ann's camera keeps its own tile; in the E2EE room Bob's worker decrypts
//   the screen's frames (nothing reaches the page undecrypted). Ann stops:
//   the tile goes. Ann shares again (a new stream) and ends it from the
//   browser's side (the track ends): the tile goes again.
// - Dan, with no camera or microphone, shares and stops (his publish
//   connection sends nothing else), three times.
// - The room decides: with screenshare_enabled off the button is not there;
//   turned off during a share, the share stops.
// - Firefox (headed on a virtual X display: headless Firefox has no screen to
//   capture) shares to Chromium, and Chromium shares to Firefox.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage, sleep } from '../lib/browser.mjs';
import { launchFirefoxWithScreen } from '../lib/firefox.mjs';

// Runs in the page (both browsers): the screen tiles and the largest other
// tile, with what their <video> shows.
function tilesInPage() {
  const box = (el) => { const r = el.getBoundingClientRect(); return Math.round(r.width * r.height); };
  const all = [...document.querySelectorAll('#tiles .tile')];
  const screens = all.filter((t) => t.classList.contains('screen')).map((t) => ({
    id: t.dataset.participantId, featured: t.classList.contains('featured'), video: t.dataset.video,
    width: t.querySelector('video').videoWidth, area: box(t), name: t.querySelector('.tile-name').textContent,
  }));
  const others = all.filter((t) => !t.classList.contains('screen')).map((t) => ({ id: t.dataset.participantId, area: box(t) }));
  return { layout: document.getElementById('tiles').dataset.layout, screens, others };
}

async function waitFor(what, fn, ms = 15000) {
  const t0 = Date.now();
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return { ...last, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms; last seen ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

// The viewer shows the sharer's screen: one screen tile, featured, decoding
// frames of at least minWidth; it takes most of the stage.
function screenShown(viewer, sharerId, minWidth) {
  return waitFor('the screen tile', async () => {
    const t = await viewer.evaluate(tilesInPage);
    const s = t.screens.find((x) => x.id === `${sharerId}:screen`);
    const biggest = Math.max(0, ...t.others.map((o) => o.area));
    return { ok: !!s && s.featured && s.video === 'on' && s.width >= minWidth && s.area > 3 * biggest && t.layout === 'presenting', t };
  });
}

function screenGone(viewer) {
  return waitFor('the screen tile to go', async () => {
    const t = await viewer.evaluate(tilesInPage);
    return { ok: t.screens.length === 0 && t.layout !== 'presenting', t };
  }, 10000);
}

// Clicks a page's Share screen / Stop sharing button and waits until the
// page says it shares (or not).
async function clickShare(page, want) {
  await page.click('#toggle-screen');
  await page.waitForFunction((w) => window.sealroom.screenSharing === w, want, { timeout: 10000 });
}

async function makeRoom(s, room, fields) {
  const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, ...fields });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  return r.json;
}

async function inboundVideo(page) {
  return page.evaluate(async () => {
    const out = [];
    (await window.sealroom.pcs.subscribe.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') out.push({ width: r.frameWidth || 0, frames: r.framesDecoded || 0 });
    });
    return out;
  });
}

describe('screen share', { timeout: 480000 }, () => {
  let s, browser;
  before(async () => {
    s = await startServer();
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  for (const e2ee of [false, true]) {
    test(`Chromium, ${e2ee ? 'E2EE' : 'plain'} room: shared, shown large beside the camera, stopped, shared again, ended by the browser`,
      { timeout: 120000 }, async () => {
        const room = `screens-${e2ee ? 'e2ee' : 'plain'}`;
        await makeRoom(s, room, { e2ee_enabled: e2ee });
        const path = `/${room}${e2ee ? '#e2ee' : ''}`;
        const ann = await joinPage(browser, s.url, path, 'Ann');
        const bob = await joinPage(browser, s.url, path, 'Bob');
        const cat = await joinPage(browser, s.url, path, 'Cat');
        try {
          const annId = await ann.evaluate(() => window.sealroom.participantId);
          assert.equal(await ann.isVisible('#toggle-screen'), true, 'the Share screen button is there');
          const t0 = Date.now();
          await clickShare(ann, true);
          const shown = await screenShown(bob, annId, 1280);
          const shownMs = Date.now() - t0;
          await screenShown(cat, annId, 1280);
          assert.match(shown.t.screens[0].name, /Ann.*'s screen/);
          // Ann's camera is still there, in its own tile: Bob decodes two videos of hers and Cat's.
          const v = await inboundVideo(bob);
          assert.equal(v.filter((x) => x.frames > 0).length, 3, `Bob decodes Ann's camera, Ann's screen and Cat's camera: ${JSON.stringify(v)}`);
          const annTracks = await bob.evaluate((id) => window.sealroom.participants.get(id).tracks, annId);
          assert.deepEqual(annTracks.map((t) => t.source).sort(), ['camera', 'microphone', 'screen'], JSON.stringify(annTracks));
          if (e2ee) {
            const before1 = (await bob.evaluate(() => window.sealroom.e2ee)).decryptedFrom[annId].video;
            await sleep(2000);
            const e = await bob.evaluate(() => window.sealroom.e2ee);
            // Ann's two videos go through Bob's worker (the screen tile is shown
            // only once its decrypting transform runs), and none is dropped.
            assert.ok(e.decryptedFrom[annId].video - before1 > 20, `Bob's worker decrypts Ann's videos: ${before1} then ${JSON.stringify(e.decryptedFrom)}`);
            const videoDrops = Object.entries(e.drops || {}).filter(([k, n]) => n > 0 && !/audio/i.test(k));
            assert.equal(videoDrops.length, 0, `Bob's worker dropped frames: ${JSON.stringify(e.drops)}`);
          }
          // Stopped with the button: the tile goes, the camera stays.
          await clickShare(ann, false);
          await screenGone(bob);
          // Shared again, then ended by the browser (its "Stop sharing" bar ends the track).
          await clickShare(ann, true);
          await screenShown(bob, annId, 1280);
          await ann.evaluate(() => {
            const t = window.sealroom.pcs.publish.getTransceivers().map((x) => x.sender.track)
              .find((x) => x && x.kind === 'video' && x.label.startsWith('screen'));
            t.stop();
            t.dispatchEvent(new Event('ended'));
          });
          await ann.waitForFunction(() => window.sealroom.screenSharing === false, null, { timeout: 5000 });
          await screenGone(bob);
          const after = await inboundVideo(bob);
          assert.ok(after.some((x) => x.width > 0), 'Ann\'s camera keeps coming');
          console.log(`# ${e2ee ? 'E2EE' : 'plain'} room: Ann's screen shown large on Bob's page ${shownMs} ms after the click, ` +
            `${shown.t.screens[0].area} px² against ${Math.max(...shown.t.others.map((o) => o.area))} px² for the largest camera tile`);
        } finally {
          for (const p of [ann, bob, cat]) await p.context().close();
        }
      });
  }

  test('a participant with no camera or microphone shares and stops, three times', { timeout: 90000 }, async () => {
    await makeRoom(s, 'screens-nodevices', {});
    const ctx = await browser.newContext();
    await ctx.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no devices here', 'NotFoundError'));
    });
    const dan = await ctx.newPage();
    await dan.goto(`${s.url}/screens-nodevices`);
    await dan.fill('#name', 'Dan');
    await dan.click('#join');
    await dan.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
    const cat = await joinPage(browser, s.url, '/screens-nodevices', 'Cat');
    try {
      const danId = await dan.evaluate(() => window.sealroom.participantId);
      for (let round = 0; round < 3; round++) {
        await clickShare(dan, true);
        await screenShown(cat, danId, 1280);
        await clickShare(dan, false);
        await screenGone(cat);
        const tracks = await cat.evaluate((id) => window.sealroom.participants.get(id).tracks, danId);
        assert.deepEqual(tracks, [], `round ${round}: Dan publishes nothing once stopped: ${JSON.stringify(tracks)}`);
        assert.equal(await dan.evaluate(() => window.sealroom.error), null, 'no error on Dan\'s page');
      }
    } finally {
      await ctx.close();
      await cat.context().close();
    }
  });

  test('the room decides: no button and a refusal where it is off; turned off during a share, the share stops', { timeout: 90000 }, async () => {
    await makeRoom(s, 'screens-off', { screenshare_enabled: false });
    const ann = await joinPage(browser, s.url, '/screens-off', 'Ann');
    try {
      assert.equal(await ann.isVisible('#toggle-screen'), false, 'no Share screen button where sharing is off');
      // The page does not even ask (the server's refusal of a page that
      // sends one anyway is in tests/abuse/admission.test.mjs).
      assert.equal(await ann.evaluate(() => window.sealroom.shareScreen()), false);
      assert.equal(await ann.evaluate(() => window.sealroom.screenSharing), false);
    } finally {
      await ann.context().close();
    }
    // Turned off while Ann shares: her page stops it, Bob's tile goes.
    const later = await makeRoom(s, 'screens-later', {});
    const ann2 = await joinPage(browser, s.url, '/screens-later', 'Ann');
    const bob = await joinPage(browser, s.url, '/screens-later', 'Bob');
    try {
      const annId = await ann2.evaluate(() => window.sealroom.participantId);
      await clickShare(ann2, true);
      await screenShown(bob, annId, 1280);
      const r = await s.api('PATCH', `/api/v1/rooms/${later.id}`, { screenshare_enabled: false });
      assert.equal(r.status, 200, r.text);
      await ann2.waitForFunction(() => window.sealroom.screenSharing === false, null, { timeout: 10000 });
      await screenGone(bob);
      assert.equal(await ann2.isVisible('#toggle-screen'), false);
    } finally {
      for (const p of [ann2, bob]) await p.context().close();
    }
  });

  test('Firefox shares its screen to Chromium, and Chromium to Firefox', { timeout: 120000 }, async () => {
    await makeRoom(s, 'screens-firefox', {});
    const ff = await launchFirefoxWithScreen();
    try {
      const fox = await ff.browser.newPage();
      await fox.goto(`${s.url}/screens-firefox`);
      await fox.type('#name', 'Fox');
      await fox.click('#join');
      await fox.waitForFunction(() => window.sealroom.state === 'joined', { timeout: 20000 });
      const bob = await joinPage(browser, s.url, '/screens-firefox', 'Bob');
      try {
        const foxId = await fox.evaluate(() => window.sealroom.participantId);
        const bobId = await bob.evaluate(() => window.sealroom.participantId);
        await fox.click('#toggle-screen');
        await fox.waitForFunction(() => window.sealroom.screenSharing === true, { timeout: 10000 });
        const a = await screenShown(bob, foxId, 640);
        await fox.click('#toggle-screen');
        await screenGone(bob);
        await clickShare(bob, true);
        const b = await screenShown(fox, bobId, 1280);
        await clickShare(bob, false);
        await screenGone(fox);
        console.log(`# Firefox -> Chromium: ${a.t.screens[0].width}px wide in ${a.ms} ms; Chromium -> Firefox: ${b.t.screens[0].width}px in ${b.ms} ms`);
      } finally {
        await bob.context().close();
      }
    } finally {
      await ff.close();
    }
  });
});
