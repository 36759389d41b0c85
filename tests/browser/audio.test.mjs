// Opus DTX and in-band FEC as the browsers see them (issue 11): the server's
// publish answer says usedtx=1 and useinbandfec=1, and Chromium's sender
// then uses them. From the page's own statistics: the publisher's audio
// codec (outbound) carries both parameters, the receiver's (inbound, what
// its own answer asks for) useinbandfec=1; and
// DTX is in effect: with a sounding microphone the publisher sends about 50
// packets a second, with a silent one (the same tone at gain 0, then the
// track disabled, as the mute button would) only a few, and the receiver
// counts no loss for the stream meanwhile (DTX keeps sequence numbers
// continuous). The microphone is a WebAudio oscillator put on the page's
// publish sender with replaceTrack: Chromium's fake microphone beeps only
// 20 ms every 500 ms, silent in between.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithChromium, joinPage, sleep } from '../lib/browser.mjs';

// The page's audio sender and receivers: packets, the codec's fmtp line.
function audioStats(page) {
  return page.evaluate(async () => {
    const out = { sent: null, received: [] };
    const pcs = window.sealroom.pcs;
    const codecs = (stats) => {
      const m = {};
      stats.forEach((r) => { if (r.type === 'codec') m[r.id] = r; });
      return m;
    };
    if (pcs.publish) {
      const st = await pcs.publish.getStats();
      const c = codecs(st);
      st.forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'audio')
          out.sent = { t: r.timestamp, packets: r.packetsSent || 0, fmtp: (c[r.codecId] || {}).sdpFmtpLine || '', mime: (c[r.codecId] || {}).mimeType || '' };
      });
    }
    if (pcs.subscribe) {
      const st = await pcs.subscribe.getStats();
      const c = codecs(st);
      st.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio')
          out.received.push({ t: r.timestamp, from: String(r.trackIdentifier || '').slice(0, 36), packets: r.packetsReceived || 0,
            lost: r.packetsLost || 0, fmtp: (c[r.codecId] || {}).sdpFmtpLine || '' });
      });
    }
    return out;
  });
}

// Packets per second the page's audio sender sends over ms.
async function sendRate(page, ms) {
  const a = (await audioStats(page)).sent;
  await sleep(ms);
  const b = (await audioStats(page)).sent;
  return ((b.packets - a.packets) * 1000) / (b.t - a.t);
}

describe('Opus DTX and FEC', () => {
  const fx = serverWithChromium({ args: ['--rate-limit', '0'] });

  test('the publisher\'s fmtp says usedtx=1 and useinbandfec=1; a silent microphone sends a few packets a second, a sounding one ~50', { timeout: 120000 }, async () => {
    const { s, browser } = fx;
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'dtx' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const ann = await joinPage(browser, s.url, '/dtx', 'Ann');
    const bob = await joinPage(browser, s.url, '/dtx', 'Bob');
    try {
      for (const p of [ann, bob]) await p.click('#toggle-cam'); // audio is what is measured
      const annId = await ann.evaluate(() => window.sealroom.participantId);
      // Ann's microphone: a 440 Hz tone whose gain the test sets.
      await ann.evaluate(async () => {
        const ctx = new AudioContext();
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        gain.gain.value = 0.3;
        const dest = ctx.createMediaStreamDestination();
        osc.connect(gain).connect(dest);
        osc.start();
        await ctx.resume();
        const track = dest.stream.getAudioTracks()[0];
        const sender = window.sealroom.pcs.publish.getSenders().find((x) => x.track && x.track.kind === 'audio');
        await sender.replaceTrack(track);
        window.__tone = { ctx, gain, track };
      });
      const fromAnn = async () => (await audioStats(bob)).received.find((x) => x.from === annId);
      const t0 = Date.now();
      while (!((await fromAnn()) || {}).packets && Date.now() - t0 < 20000) await sleep(250);
      assert.ok((await fromAnn()).packets > 0, 'Bob receives Ann\'s audio');

      await sleep(1000);
      const sounding = await sendRate(ann, 3000);
      const lost0 = (await fromAnn()).lost;
      await ann.evaluate(() => { window.__tone.gain.gain.value = 0; });
      await sleep(1000); // DTX starts after a few hundred ms of silence
      const silent = await sendRate(ann, 4000);
      await ann.evaluate(() => { window.__tone.gain.gain.value = 0.3; window.__tone.track.enabled = false; });
      await sleep(1000);
      const muted = await sendRate(ann, 4000);
      await ann.evaluate(() => { window.__tone.track.enabled = true; });
      await sleep(1000);
      const again = await sendRate(ann, 3000);
      const lost1 = (await fromAnn()).lost;
      console.log(`# Opus from Chromium, packets/s: sounding ${sounding.toFixed(1)}, silent (gain 0) ${silent.toFixed(1)}, ` +
        `muted (track disabled) ${muted.toFixed(1)}, sounding again ${again.toFixed(1)}; Bob's loss count meanwhile ${lost1 - lost0}`);
      assert.ok(sounding > 40, `sounding: ${sounding.toFixed(1)} packets/s`);
      assert.ok(again > 40, `sounding again: ${again.toFixed(1)} packets/s`);
      assert.ok(silent < 10, `silent: ${silent.toFixed(1)} packets/s (with DTX a few a second)`);
      assert.ok(muted < 10, `muted: ${muted.toFixed(1)} packets/s`);
      assert.ok(lost1 - lost0 <= 3, `Bob counts ${lost1 - lost0} of Ann's packets lost across DTX`);
      const st = await audioStats(ann);
      assert.equal(st.sent.mime, 'audio/opus');
      assert.match(st.sent.fmtp, /(^|;)usedtx=1(;|$)/, `Ann's send codec: ${st.sent.fmtp}`);
      assert.match(st.sent.fmtp, /(^|;)useinbandfec=1(;|$)/, `Ann's send codec: ${st.sent.fmtp}`);
      // Bob's receive codec is what his own answer asks for: FEC (his
      // decoder uses it); DTX is the sender's business.
      const rx = await fromAnn();
      assert.match(rx.fmtp, /(^|;)useinbandfec=1(;|$)/, `Bob's receive codec: ${rx.fmtp}`);
    } finally {
      for (const p of [ann, bob]) await p.context().close();
    }
  });
});
