// Peer connections made before the call (web/meeting/preconnect.js, issue 12
// item 4): the meeting page makes its publish and subscribe connections in
// the lobby (or at the Join click) and the call takes them when the welcome
// fits what they were made for. Nothing may get weaker for it:
//   - a #e2ee link: the connections made in the lobby carry the E2EE
//     transforms; the call uses them, sends only encrypted frames, and both
//     sides decrypt each other;
//   - a plain link into an E2EE room: those made plain are not used; the
//     call makes its own with the transforms, and both sides decrypt;
//   - a #e2ee link into a room the server reports as plain: refused, and no
//     offer or answer leaves the page;
//   - the camera switched off and on in the lobby (a new track): the join
//     makes new connections and the others receive the new track.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage, inbound } from '../lib/browser.mjs';
import { until } from '../lib/wait.mjs';

// A page at path, in a context of its own, with every signalling message it
// sends recorded (window.sent, by type) and its lobby connections made.
async function lobby(browser, url, path, name) {
  const ctx = await browser.newContext();
  await ctx.addInitScript(() => {
    window.sent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      try { window.sent.push(JSON.parse(data).type); } catch { window.sent.push('?'); }
      return send.call(this, data);
    };
  });
  const page = await ctx.newPage();
  await page.goto(`${url}${path}`);
  await page.fill('#name', name);
  await page.evaluate(() => window.sealroom.mediaReady);
  return page;
}

// Waits until page decrypts video from each of ids and its own sender has
// encrypted video; returns its E2EE counters.
async function decrypting(page, ids) {
  let last = null;
  await until('video decrypted both ways', async () => {
    last = await page.evaluate(() => window.sealroom.e2ee);
    return last.enabled && last.encrypted.video > 0 && ids.every((id) => last.decryptedFrom[id] && last.decryptedFrom[id].video > 0) ||
      JSON.stringify({ enabled: last.enabled, encrypted: last.encrypted, from: last.decryptedFrom, drops: last.drops, sendDrops: last.sendDrops });
  }, 20000);
  return last;
}

describe('connections made before the call', () => {
  let s, browser;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    browser = await launchChromium();
    for (const [room, e2ee] of [['pre-e2ee', true], ['pre-plain', false]]) {
      const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, e2ee_enabled: e2ee });
      assert.ok(r.status === 200 || r.status === 201, r.text);
    }
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  for (const link of ['#e2ee', '']) {
    test(`E2EE room, ${link ? 'a #e2ee link: the lobby connections, with transforms' : 'a plain link: new connections'}; both sides decrypt`, { timeout: 60000 }, async () => {
      const resident = await joinPage(browser, s.url, '/pre-e2ee#e2ee', 'Resident');
      try {
        const page = await lobby(browser, s.url, `/pre-e2ee${link}`, 'Newcomer');
        // The lobby connections exist once the E2EE keys are ready (or the
        // click makes them): give the page the moment a user would take.
        await page.waitForTimeout(300);
        await page.click('#join');
        await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
        const used = await page.evaluate(() => window.sealroom.preconnect);
        console.log(`# E2EE room, ${link || 'plain link'}: ${JSON.stringify(used)}`);
        if (link) assert.deepEqual(used, { at: 'lobby', publisher: true, subscriber: true });
        else assert.deepEqual({ publisher: used.publisher, subscriber: used.subscriber }, { publisher: false, subscriber: false });
        const ids = await Promise.all([page, resident].map((p) => p.evaluate(() => window.sealroom.participantId)));
        await decrypting(page, [ids[1]]);
        await decrypting(resident, [ids[0]]);
        await page.context().close();
      } finally {
        await resident.context().close();
      }
    });
  }

  test('a #e2ee link into a plain room: refused, no offer or answer leaves the page', { timeout: 30000 }, async () => {
    const resident = await joinPage(browser, s.url, '/pre-plain', 'Resident');
    try {
      const page = await lobby(browser, s.url, '/pre-plain#e2ee', 'Newcomer');
      await page.waitForTimeout(300);
      await page.click('#join');
      await page.waitForFunction(() => window.sealroom.error && window.sealroom.error.code === 'e2ee_expected', null, { timeout: 15000 });
      await page.waitForTimeout(500);
      const sent = await page.evaluate(() => window.sent);
      const state = await page.evaluate(() => ({ state: window.sealroom.state, publish: !!window.sealroom.pcs.publish, subscribe: !!window.sealroom.pcs.subscribe }));
      console.log(`# #e2ee link into a plain room: sent ${sent.join(', ')}; ${JSON.stringify(state)}`);
      assert.deepEqual(sent.filter((t) => t !== 'join' && t !== 'leave'), []);
      assert.equal(state.publish, false);
      assert.equal(state.subscribe, false);
      await page.context().close();
    } finally {
      await resident.context().close();
    }
  });

  test('camera off and on again in the lobby: the join sends the new camera track', { timeout: 60000 }, async () => {
    const resident = await joinPage(browser, s.url, '/pre-plain', 'Resident');
    try {
      const page = await lobby(browser, s.url, '/pre-plain', 'Newcomer');
      await page.waitForTimeout(300);
      const before = await page.evaluate(() => window.sealroom.localStream.getVideoTracks()[0].id);
      await page.click('#toggle-cam');
      await page.waitForFunction(() => !window.sealroom.localStream.getVideoTracks().some((t) => t.readyState === 'live'), null, { timeout: 10000 });
      await page.click('#toggle-cam');
      await page.waitForFunction((id) => window.sealroom.localStream.getVideoTracks().some((t) => t.readyState === 'live' && t.id !== id),
        before, { timeout: 10000 });
      await page.click('#join');
      await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
      const used = await page.evaluate(() => ({ used: window.sealroom.preconnect, made: window.sealroom.timings.preconnect }));
      console.log(`# camera off and on in the lobby: ${JSON.stringify(used)}`);
      assert.deepEqual(used.used, { at: 'click', publisher: true, subscriber: true });
      const sending = await page.evaluate(() => {
        const s = window.sealroom.pcs.publish.getSenders().find((x) => x.track && x.track.kind === 'video');
        return s ? { id: s.track.id, state: s.track.readyState } : null;
      });
      assert.equal(sending && sending.state, 'live', JSON.stringify(sending));
      assert.notEqual(sending.id, before, 'not the track the lobby connections were made with');
      await until('the resident decodes the newcomer', async () =>
        Object.values(await inbound(resident)).some((x) => x.kind === 'video' && x.frames > 5), 20000);
      await page.context().close();
    } finally {
      await resident.context().close();
    }
  });
});
