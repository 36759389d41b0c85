// ICE-TCP (issue 12, item 2): a browser that cannot send UDP to the media
// port still reaches sealroomd, with no TURN server, over the passive TCP
// candidate on the same port (RFC 6544, RFC 4571 framing). The server runs
// with --test-no-udp: it offers no UDP candidate and drops every UDP datagram
// on the media port, as a firewall that blocks UDP would. Chromium in a plain
// room, Chromium and Firefox in an E2EE room: every page decodes the others'
// video and hears their audio, and its selected candidate pair is TCP on
// both of its connections.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, sleep } from '../lib/browser.mjs';
import { launchFirefox } from '../lib/firefox.mjs';

// Runs in the page (both browsers): what the subscribe connection receives,
// and the protocol of the selected pair of both connections.
async function pageState() {
  const out = { video: 0, audio: 0, paths: {} };
  for (const [name, pc] of Object.entries(window.sealroom.pcs || {})) {
    if (!pc) continue;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    if (!pair) stats.forEach((r) => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    const remote = pair && stats.get(pair.remoteCandidateId);
    out.paths[name] = remote ? `${remote.protocol}/${remote.candidateType}` : null;
    if (name !== 'subscribe') continue;
    stats.forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if ((r.kind || r.mediaType) === 'video') out.video += r.framesDecoded || 0;
      else out.audio += r.packetsReceived || 0;
    });
  }
  return out;
}

// Joins `path` on a page of either browser (playwright or puppeteer: the
// calls used here are the same) and waits until it is in the call.
async function join(page, url, name) {
  await page.goto(url);
  await page.waitForSelector('#name');
  await page.evaluate(() => window.sealroom.mediaReady);
  await page.evaluate(() => { document.getElementById('name').value = ''; });
  await page.type('#name', name);
  await page.click('#join');
  await page.waitForFunction(() => window.sealroom.state === 'joined', { timeout: 15000, polling: 100 });
}

async function metric(s, name) {
  const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
  return Number((text.match(new RegExp(`^${name} (\\d+)`, 'm')) || [])[1]);
}

// Until every page decodes video (>10 frames) and receives audio over TCP on
// both of its connections; returns the last states.
async function allOverTcp(pages, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const states = await Promise.all(pages.map((p) => p.evaluate(pageState)));
    const ok = states.every((st) => st.video > 10 && st.audio > 10 &&
      st.paths.publish === 'tcp/host' && st.paths.subscribe === 'tcp/host');
    if (ok || Date.now() > deadline) return { ok, states };
    await sleep(250);
  }
}

describe('ICE-TCP when UDP to the media port is blocked', () => {
  let s, chrome, firefox;
  before(async () => {
    s = await startServer({ args: ['--test-mode', '--test-no-udp', '--rate-limit', '0'] });
    chrome = await launchChromium();
  });
  after(async () => {
    await Promise.allSettled([firefox && firefox.close(), chrome && chrome.close()]);
    await stopServer(s);
  });

  test('plain room, two Chromium: media over TCP both ways', { timeout: 60000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'tcp-plain' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const pages = [];
    try {
      for (const name of ['Ann', 'Bob']) {
        const page = await (await chrome.newContext()).newPage();
        pages.push(page);
        const t0 = Date.now();
        await join(page, `${s.url}/tcp-plain`, name);
        console.log(`# ${name} joined in ${Date.now() - t0} ms`);
      }
      const { ok, states } = await allOverTcp(pages, 20000);
      assert.ok(ok, `not every page receives over TCP: ${JSON.stringify(states)}`);
      console.log(`# plain: ${JSON.stringify(states)}`);
      const t = await pages[1].evaluate(() => window.sealroom.timings);
      if (t && t.first_frame) console.log(`# Bob: join click -> first remote frame ${Math.round(t.first_frame)} ms over ICE-TCP`);
      assert.ok(await metric(s, 'sealroom_media_tcp_connections') >= 4, 'four TCP connections (two per participant)');
      // The server offered TCP alone, and its "firewall" drops what comes by UDP.
      const sdp = await pages[0].evaluate(() => window.sealroom.pcs.subscribe.remoteDescription.sdp);
      assert.match(sdp, / tcp \d+ \S+ \d+ typ host tcptype passive/);
      assert.doesNotMatch(sdp, /a=candidate:\S+ 1 udp /i);
      const before = await metric(s, 'sealroom_media_dropped_total');
      const sock = dgram.createSocket('udp4');
      await new Promise((res) => sock.send(Buffer.alloc(20), s.mediaPort, '127.0.0.1', res));
      sock.close();
      let after = before;
      for (let i = 0; i < 20 && after === before; i++) { await sleep(50); after = await metric(s, 'sealroom_media_dropped_total'); }
      assert.equal(after, before + 1, 'a UDP datagram to the media port is dropped');
    } finally {
      for (const p of pages) await p.context().close();
    }
  });

  test('E2EE room, Chromium and Firefox: media over TCP, decrypted, one security code', { timeout: 90000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'tcp-e2ee', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    firefox = await launchFirefox();
    const cpage = await (await chrome.newContext()).newPage();
    const fpage = await firefox.newPage();
    try {
      await join(cpage, `${s.url}/tcp-e2ee#e2ee`, 'Chromium');
      await join(fpage, `${s.url}/tcp-e2ee#e2ee`, 'Firefox');
      const { ok, states } = await allOverTcp([cpage, fpage], 30000);
      assert.ok(ok, `not every page receives over TCP: ${JSON.stringify(states)}`);
      console.log(`# e2ee: ${JSON.stringify(states)}`);
      const cid = await cpage.evaluate(() => window.sealroom.participantId);
      const fid = await fpage.evaluate(() => window.sealroom.participantId);
      // Decrypted counts lag decoding by a moment.
      let ce, fe;
      for (let i = 0; i < 40; i++) {
        ce = await cpage.evaluate(() => window.sealroom.e2ee);
        fe = await fpage.evaluate(() => window.sealroom.e2ee);
        const d = [ce.decryptedFrom[fid] || {}, fe.decryptedFrom[cid] || {}];
        if (d.every((x) => x.video > 10 && x.audio > 10)) break;
        await sleep(250);
      }
      assert.ok(ce.securityCode && ce.securityCode === fe.securityCode, `codes: ${ce.securityCode} | ${fe.securityCode}`);
      const dc = ce.decryptedFrom[fid] || {}, df = fe.decryptedFrom[cid] || {};
      assert.ok(dc.video > 10 && dc.audio > 10, `Chromium decrypted too little from Firefox: ${JSON.stringify(dc)}`);
      assert.ok(df.video > 10 && df.audio > 10, `Firefox decrypted too little from Chromium: ${JSON.stringify(df)}`);
    } finally {
      await fpage.close().catch(() => {});
      await cpage.context().close();
    }
  });
});

// TCP is a fallback, never a tax: with both candidates offered (the default),
// browsers that can use UDP do.
describe('ICE-TCP offered beside UDP', () => {
  let s, chrome;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    chrome = await launchChromium();
  });
  after(async () => {
    if (chrome) await chrome.close();
    await stopServer(s);
  });

  test('Chromium picks UDP when it can', { timeout: 60000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'udp-first' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const pages = [];
    try {
      for (const name of ['Ann', 'Bob']) {
        const page = await (await chrome.newContext()).newPage();
        pages.push(page);
        await join(page, `${s.url}/udp-first`, name);
      }
      let states;
      for (let i = 0; i < 80; i++) {
        states = await Promise.all(pages.map((p) => p.evaluate(pageState)));
        if (states.every((st) => st.video > 10 && st.paths.publish && st.paths.subscribe)) break;
        await sleep(250);
      }
      for (const st of states) assert.deepEqual(st.paths, { publish: 'udp/host', subscribe: 'udp/host' }, JSON.stringify(states));
      const sdp = await pages[0].evaluate(() => window.sealroom.pcs.subscribe.remoteDescription.sdp);
      assert.match(sdp, / tcp \d+ \S+ \d+ typ host tcptype passive/, 'the TCP candidate was offered');
    } finally {
      for (const p of pages) await p.context().close();
    }
  });
});
