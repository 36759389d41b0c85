// Where a join spends its time (issue 12): a newcomer joins a room where one
// person is already sending video, 10 times in a plain room and 10 times in
// an E2EE room, each time in a fresh browser context after its camera
// preview is ready. The page marks each step of the join path from the Join
// click (web/meeting/timing.js); this test prints the median and the maximum
// of each step. It asserts only that every join showed a remote frame:
// timings on this shared machine are for reading, not for passing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage } from '../lib/browser.mjs';

const JOINS = 10;
const STEPS = ['media', 'e2ee_keys', 'ws_open', 'welcome', 'publish_offer', 'subscribe_offer', 'subscribe_answer',
  'publish_answer', 'subscribe_connected', 'publish_connected', 'first_frame'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// One join: the newcomer's marks, ms from its Join click.
async function oneJoin(browser, url, path, i) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${url}${path}`);
    await page.fill('#name', `New${i}`);
    await page.evaluate(() => window.sealroom.mediaReady.catch(() => {})); // the user sees the preview first
    // Playwright injects its script into the page at the first waitForFunction
    // (~20 ms of the page's thread): before the click, not in the join it measures.
    await page.waitForFunction(() => true);
    await page.click('#join');
    await page.waitForFunction(() => window.sealroom.timings.first_frame !== undefined, null, { timeout: 20000 });
    const { timings, e2ee } = await page.evaluate(() => ({ timings: window.sealroom.timings, e2ee: window.sealroom.e2ee.enabled }));
    assert.equal(e2ee, path.includes('#e2ee'), 'an E2EE room is encrypted, a plain one is not');
    return timings;
  } finally {
    await ctx.close();
  }
}

// Steps in STEPS order, then any other mark the page set (e.g. `preconnect`:
// the call's connections were made at the click, not in the lobby), with how
// many joins had it when not all did.
function report(label, runs) {
  const extra = [...new Set(runs.flatMap((r) => Object.keys(r)))].filter((k) => !STEPS.includes(k));
  const rows = [...STEPS, ...extra].filter((k) => runs.some((r) => r[k] !== undefined)).map((k) => {
    const xs = runs.map((r) => r[k]).filter((x) => x !== undefined);
    return `${k} ${median(xs)}/${Math.max(...xs)}${xs.length < runs.length ? ` (${xs.length} joins)` : ''}`;
  });
  console.log(`# join path, ${label}, ms from the Join click (median/max of ${runs.length}): ${rows.join(', ')}`);
}

describe('join latency', () => {
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
    const label = e2ee ? 'E2EE room' : 'plain room';
    test(`${JOINS} joins into a ${label} with one sender: every join shows a remote frame`, { timeout: 300000 }, async () => {
      const room = e2ee ? 'latency-e2ee' : 'latency-plain';
      const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, e2ee_enabled: e2ee });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      const path = `/${room}${e2ee ? '#e2ee' : ''}`;
      const resident = await joinPage(browser, s.url, path, 'Resident');
      try {
        const runs = [];
        for (let i = 0; i < JOINS; i++) runs.push(await oneJoin(browser, s.url, path, i));
        report(label, runs);
        assert.equal(runs.length, JOINS);
        for (const t of runs) assert.ok(t.welcome < t.first_frame, JSON.stringify(t));
      } finally {
        await resident.context().close();
      }
    });
  }
});
