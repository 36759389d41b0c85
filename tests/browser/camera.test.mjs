// "Stop video" (issue 9, bugs): it used to disable the track, so the camera
// stayed open (its light on) and black frames went out. Now the camera is
// closed, the sender sends nothing, and "Start video" opens it again and
// the others see video again: in a plain and in an E2EE room.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, inbound, joinPage, sleep } from '../lib/browser.mjs';
import { until } from '../lib/wait.mjs';

const videoFrames = async (page) => Object.values(await inbound(page)).filter((x) => x.kind === 'video').reduce((a, x) => a + x.frames, 0);

// Runs in the page: the local camera tracks and the publishing video
// sender's track (a sendonly transceiver still has a receiver of its kind).
function cameraState() {
  const pc = window.sealroom.pcs.publish;
  const t = pc ? pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === 'video') : null;
  return {
    localTracks: window.sealroom.localStream.getVideoTracks().map((x) => x.readyState),
    senderTrack: t && t.sender.track ? t.sender.track.readyState : null,
  };
}

describe('camera off and on', () => {
  let s, browser;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  for (const e2ee of [false, true]) {
    test(`Stop video closes the camera and sends nothing; Start video brings the picture back (${e2ee ? 'E2EE' : 'plain'} room)`, { timeout: 60000 }, async () => {
      const url = `cam-${e2ee ? 'e2ee' : 'plain'}`;
      const r = await s.api('POST', '/api/v1/rooms', { friendly_url: url, e2ee_enabled: e2ee });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      const pages = [];
      for (const name of ['Ann', 'Bob']) pages.push(await joinPage(browser, s.url, `/${url}${e2ee ? '#e2ee' : ''}`, name));
      const [ann, bob] = pages;
      await until('Bob sees Ann', async () => (await videoFrames(bob)) > 10 || 'no frames', 20000);
      assert.deepEqual((await ann.evaluate(cameraState)).localTracks, ['live']);

      await ann.click('#toggle-cam');
      await ann.waitForFunction(() => window.sealroom.localStream.getVideoTracks().length === 0, null, { timeout: 5000 });
      await until('the sender lets go of the track', async () => (await ann.evaluate(cameraState)).senderTrack === null || 'still has one', 5000);
      await sleep(1500); // frames in flight
      const f0 = await videoFrames(bob);
      await sleep(2000);
      const f1 = await videoFrames(bob);
      console.log(`# ${e2ee ? 'E2EE' : 'plain'}: camera off: Bob decoded ${f1 - f0} frames in 2 s`);
      assert.ok(f1 - f0 <= 2, `Bob still decoded ${f1 - f0} frames (black frames?)`);
      assert.equal(await ann.evaluate(() => document.getElementById('toggle-cam').disabled), false, 'Start video is available');

      await ann.click('#toggle-cam');
      await ann.waitForFunction(() => window.sealroom.localStream.getVideoTracks().length === 1, null, { timeout: 5000 });
      await until('the sender has the new track', async () => (await ann.evaluate(cameraState)).senderTrack === 'live' || 'not yet', 5000);
      await until('Bob sees Ann again', async () => (await videoFrames(bob)) > f1 + 10 || 'no new frames', 15000);
      for (const p of pages) await p.context().close();
    });
  }
});
