// Shared pieces of the browser tests: how Debian's Chromium is started (fake
// camera and microphone, no background network), and what a meeting page
// receives (inbound RTP stats of its subscribe connection).
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

// Opens the meeting page at `path` (e.g. "/room#e2ee") in a context of its
// own, joins as `name` and resolves with the page once it is in the call.
export async function joinPage(browser, baseUrl, path, name) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${baseUrl}${path}`);
  await page.fill('#name', name);
  await page.click('#join');
  await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
  return page;
}

// Every inbound stream of the page's subscribe connection: decoded video
// frames, frame width, audio samples; keyed by the stats id.
export function inbound(page) {
  return page.evaluate(async () => {
    const pc = window.sealroom.pcs.subscribe;
    const out = {};
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      out[r.id] = { kind: r.kind, frames: r.framesDecoded || 0, width: r.frameWidth || 0, samples: r.totalSamplesReceived || 0 };
    });
    return out;
  });
}

// One sealroomd and one Chromium for a describe block: started in its
// before(), stopped in its after(). Read .s and .browser inside the tests.
export function serverWithChromium(serverOptions) {
  const fx = { s: null, browser: null };
  before(async () => {
    fx.s = await startServer(serverOptions);
    fx.browser = await launchChromium();
  });
  after(async () => {
    if (fx.browser) await fx.browser.close();
    await stopServer(fx.s);
  });
  return fx;
}
