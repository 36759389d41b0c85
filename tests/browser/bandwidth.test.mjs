// Bandwidth estimation through sealroomd (issue 9, bugs). Before: the SFU
// sent publishers a REMB of the lowest subscriber estimate per stream, and a
// receiver's estimate follows what it receives, so publishers stayed near
// their start (300-400 kbps, 540p or a starved 720p). Now a subscriber caps
// publishers only while it reports congestion. A 1280x720 publisher with two
// subscribers must reach an available bitrate of 2 Mbps and 720p, not
// bandwidth-limited, within 20 s on loopback. The baseline, measured in the
// same run: the same camera sent directly from one peer connection to
// another in one page (no server).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage, sleep } from '../lib/browser.mjs';

const TARGET_KBPS = 2000;
const LIMIT_S = 20;

// Runs in the page: the publishing connection's figures.
async function sendStats(pcName) {
  const pc = pcName === 'direct' ? window.directPc : window.sealroom.pcs.publish;
  const out = { avail: 0, height: 0, lim: '' };
  if (!pc) return out;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate) out.avail = Math.round(r.availableOutgoingBitrate / 1000);
    if (r.type === 'outbound-rtp' && r.kind === 'video') { out.height = r.frameHeight || 0; out.lim = r.qualityLimitationReason || ''; }
  });
  return out;
}

// Polls until the publisher is there; returns seconds taken, or null.
async function timeToTarget(page, which, t0) {
  let last = null;
  while (Date.now() - t0 < (LIMIT_S + 10) * 1000) {
    last = await page.evaluate(sendStats, which);
    if (last.avail >= TARGET_KBPS && last.height >= 720 && last.lim !== 'bandwidth') return { s: (Date.now() - t0) / 1000, last };
    await sleep(500);
  }
  return { s: null, last };
}

describe('bandwidth estimation', () => {
  let s, browser;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  test(`a 720p publisher with two subscribers reaches ${TARGET_KBPS} kbps and 720p within ${LIMIT_S} s`, { timeout: 120000 }, async () => {
    // Baseline: a direct call in one page, on loopback.
    const ctx0 = await browser.newContext();
    const direct = await ctx0.newPage();
    await direct.goto(`${s.url}/`);
    const t0 = Date.now();
    await direct.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
      const a = new RTCPeerConnection(), b = new RTCPeerConnection();
      a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
      b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
      b.ontrack = (e) => { const v = document.createElement('video'); v.muted = true; v.srcObject = e.streams[0]; v.play(); document.body.append(v); };
      for (const t of stream.getTracks()) a.addTrack(t, stream);
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      window.directPc = a;
    });
    const base = await timeToTarget(direct, 'direct', t0);
    await ctx0.close();

    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'bandwidth' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const pages = [];
    for (const name of ['Pub', 'Sub1', 'Sub2']) pages.push(await joinPage(browser, s.url, '/bandwidth', name));
    const t1 = Date.now();
    const sfu = await timeToTarget(pages[0], 'publish', t1);
    const fmt = (x) => (x.s === null ? `not within ${LIMIT_S + 10} s (last ${JSON.stringify(x.last)})` : `${x.s.toFixed(1)} s`);
    console.log(`# time to ${TARGET_KBPS} kbps and 720p: direct ${fmt(base)}, through sealroomd ${fmt(sfu)}` +
      (base.s && sfu.s ? `; ratio ${(sfu.s / base.s).toFixed(2)}` : ''));
    assert.ok(sfu.s !== null && sfu.s <= LIMIT_S, `through sealroomd: ${fmt(sfu)}`);
  });
});
