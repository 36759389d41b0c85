// Media that cannot connect vs. a lost WebSocket (issue 9, bugs): a UDP
// failure used to reach the user as "connection lost", without the hint that
// UDP to the media port is blocked.
//
// UDP blocked: sealroomd binds its media socket on 127.0.0.1 but announces
// 127.0.0.2 in its candidates (--media-ip / --media-listen), so the browser's
// connectivity checks go to a port nobody listens on. Signalling works; the
// server gives up on the transports after 10 s (`media_failed`, then it closes
// the socket). The page must say that audio/video could not connect and that
// UDP to the port may be blocked, before and after the socket closes.
//
// WebSocket lost: a call that works, then sealroomd is killed. The page must
// still say "connection lost", not the UDP hint.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage } from '../lib/browser.mjs';

const LOST = /connection to the meeting server was lost/i;

// Runs in the page: what the user sees.
function seen() {
  const $ = (id) => document.getElementById(id);
  return {
    state: window.sealroom.state,
    error: window.sealroom.error,
    ws: $('status').dataset.ws,
    status: $('status-text').textContent,
    leftTitle: $('left-view').hidden ? null : $('left-title').textContent,
    leftText: $('left-view').hidden ? null : $('left-text').textContent,
  };
}

describe('media failure vs. connection lost', () => {
  let browser;
  const servers = [];
  after(async () => {
    if (browser) await browser.close();
    for (const s of servers) await stopServer(s);
  });

  test('UDP blocked: the page says audio/video could not connect and names the UDP port, not "connection lost"', { timeout: 60000 }, async () => {
    const s = await startServer({ args: ['--media-ip', '127.0.0.2', '--media-listen', '127.0.0.1'] });
    servers.push(s);
    assert.ok(s.mediaPort > 0, s.stdout);
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'udp-blocked' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    browser = browser || await launchChromium();
    const t0 = Date.now();
    const page = await joinPage(browser, s.url, '/udp-blocked', 'Ann');
    // Records what the page looked like when the hint first appeared.
    await page.evaluate(() => {
      const box = document.getElementById('error');
      window.firstMediaFailed = null;
      new MutationObserver(() => {
        if (window.firstMediaFailed || box.hidden || box.dataset.code !== 'media_failed') return;
        window.firstMediaFailed = { state: window.sealroom.state, ws: document.getElementById('status').dataset.ws, message: window.sealroom.error.message };
      }).observe(box, { attributes: true, childList: true, characterData: true, subtree: true });
    });

    // First the hint, while the page is still in the call.
    await page.waitForFunction(() => window.firstMediaFailed, null, { timeout: 30000 });
    const during = await page.evaluate(() => window.firstMediaFailed);
    console.log(`# UDP blocked: hint after ${((Date.now() - t0) / 1000).toFixed(1)} s (state ${during.state}, signalling ${during.ws}): ${during.message}`);
    assert.equal(during.state, 'joined', 'the hint comes while the page is still in the call');
    assert.match(during.message, /UDP/);
    assert.match(during.message, new RegExp(`port ${s.mediaPort}\\b`));
    assert.doesNotMatch(during.message, LOST);

    // Then the server gives up on the transports and closes the socket: the
    // page has left the call and still tells the UDP story.
    await page.waitForFunction(() => window.sealroom.state === 'disconnected', null, { timeout: 30000 });
    const end = await page.evaluate(seen);
    console.log(`# UDP blocked: out of the call after ${((Date.now() - t0) / 1000).toFixed(1)} s: "${end.leftTitle}"; ${end.error && end.error.message}`);
    assert.equal(end.error && end.error.code, 'media_failed', JSON.stringify(end));
    assert.match(end.error.message, /UDP/);
    assert.match(end.error.message, /no relay \(TURN\)/); // what the operator can do (issue 12)
    assert.match(end.error.message, new RegExp(`port ${s.mediaPort}\\b`));
    assert.doesNotMatch(end.error.message, LOST);
    assert.notEqual(end.leftTitle, 'Connection lost');
    assert.match(end.leftTitle, /audio and video/i);
    await page.context().close();
  });

  test('WebSocket lost (server killed): the page says "connection lost", not the UDP hint', { timeout: 60000 }, async () => {
    const s = await startServer();
    servers.push(s);
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'ws-lost' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    browser = browser || await launchChromium();
    const page = await joinPage(browser, s.url, '/ws-lost', 'Bob');
    // Media up first, so the page has a working call to lose.
    await page.waitForFunction(() => document.getElementById('status').dataset.overall === 'ok', null, { timeout: 20000 });

    await s.stop('SIGKILL');
    await page.waitForFunction(() => window.sealroom.state === 'disconnected', null, { timeout: 15000 });
    const end = await page.evaluate(seen);
    console.log(`# WebSocket lost: "${end.leftTitle}"; ${end.error && end.error.message}`);
    assert.equal(end.error && end.error.code, 'connection_lost', JSON.stringify(end));
    assert.match(end.error.message, LOST);
    assert.doesNotMatch(end.error.message, /UDP/);
    assert.equal(end.leftTitle, 'Connection lost');
    await page.context().close();
  });
});
