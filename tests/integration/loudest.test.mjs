// Loudest audio (--loudest-audio N, src/sfu/loudest.h) end to end with real
// RTP/SRTP: five sealroom-bots in a room with N = 2, each claiming an RFC
// 6464 audio level in its packets (--audio-level). Two loud ones (-20 dBov)
// are heard by everyone else, the three quiet ones (-70 dBov) by no one.
// Then a quiet one gets loud (-10 dBov, 10 dB above the others): it is heard
// from the packet that shows it, taking the place of one of the loud two;
// when it goes quiet again that one comes back after the hangover, and its
// receivers see its sequence numbers without a gap (their RTCP loss count
// stays ~0 although some 250 of its packets were held back).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { startBot } from '../lib/bot.mjs';

const LOUD = 20, QUIET = 70, LOUDER = 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function metric(s, name) {
  const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

describe('loudest audio', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0', '--loudest-audio', '2'] }); });
  after(async () => { await stopServer(s); });

  test('5 senders, N = 2: only the two loudest are heard; a louder newcomer at once; no gap in sequence numbers', { timeout: 90000 }, async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'loudest' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const common = ['--no-video', '--stats', '0.2'];
    const bots = {};
    try {
      bots.A = startBot(s, 'loudest', [...common, '--name', 'A', '--audio-level', String(LOUD)]);
      bots.B = startBot(s, 'loudest', [...common, '--name', 'B', '--audio-level', String(LOUD)]);
      const id = {};
      for (const n of ['A', 'B']) id[n] = (await bots[n].waitFor('joined', (b) => b.last('joined'))).participant_id;
      const heard = (rx, tx) => ((bots[rx].stats() || {}).remotes || {})[id[tx]] || { audio_frames: 0, audio_last_ms: 0 };
      await bots.A.waitFor('A hears B', () => heard('A', 'B').audio_frames > 10);
      await bots.B.waitFor('B hears A', () => heard('B', 'A').audio_frames > 10);

      // Three quiet ones; E gets 10 dB louder than A and B 8 s after its
      // start, and quiet again at 13 s.
      bots.C = startBot(s, 'loudest', [...common, '--name', 'C', '--audio-level', String(QUIET)]);
      bots.D = startBot(s, 'loudest', [...common, '--name', 'D', '--audio-level', String(QUIET)]);
      bots.E = startBot(s, 'loudest', [...common, '--name', 'E', '--audio-level', `${QUIET},8:${LOUDER},13:${QUIET}`]);
      for (const n of ['C', 'D', 'E']) id[n] = (await bots[n].waitFor('joined', (b) => b.last('joined'))).participant_id;
      for (const n of ['C', 'D', 'E'])
        await bots[n].waitFor(`${n} hears A and B`, () => heard(n, 'A').audio_frames > 20 && heard(n, 'B').audio_frames > 20);
      await sleep(2000);

      // Before E gets loud: everyone hears A and B (A and B each other), no one a quiet one.
      for (const rx of ['A', 'B', 'C', 'D', 'E'])
        for (const tx of ['C', 'D', 'E'])
          if (rx !== tx) assert.equal(heard(rx, tx).audio_frames, 0, `${rx} hears quiet ${tx}: ${JSON.stringify(heard(rx, tx))}`);
      assert.ok(await metric(s, 'sealroom_media_audio_not_loudest_total') > 100, 'quiet packets held back');

      // E gets louder: heard at once by the four others.
      const up = await bots.E.waitFor('E louder', (b) => b.events.find((e) => e.event === 'audio_level' && e.level === LOUDER), 20000);
      const delays = {};
      for (const rx of ['A', 'B', 'C', 'D']) {
        await bots[rx].waitFor(`${rx} hears E`, () => heard(rx, 'E').audio_frames > 0, 5000);
        delays[rx] = heard(rx, 'E').audio_first_ms - up.at_ms;
        assert.ok(delays[rx] >= 0 && delays[rx] < 300, `${rx} first heard E ${delays[rx]} ms after it got loud`);
      }
      // One of A and B made room: C no longer hears it.
      await sleep(1500);
      const now = Date.now();
      const out = ['A', 'B'].filter((n) => now - heard('C', n).audio_last_ms > 1000);
      assert.equal(out.length, 1, `C's last audio from A and B: ${now - heard('C', 'A').audio_last_ms}, ${now - heard('C', 'B').audio_last_ms} ms ago`);
      const held = out[0];
      const atGap = { C: heard('C', held).audio_frames, D: heard('D', held).audio_frames };

      // E quiet again: after the hangover (E's peak holds 1 s, then falls
      // 20 dB/s until it is no longer 6 dB above) the one that made room comes back.
      const down = await bots.E.waitFor('E quiet', (b) => b.events.find((e) => e.event === 'audio_level' && e.level === QUIET), 20000);
      const back = {};
      for (const rx of ['C', 'D']) {
        await bots[rx].waitFor(`${rx} hears ${held} again`, () => heard(rx, held).audio_frames > atGap[rx], 8000);
        back[rx] = Date.now() - down.at_ms;
        assert.ok(back[rx] > 900 && back[rx] < 4000, `${rx} hears ${held} again ${back[rx]} ms after E went quiet`);
      }
      await sleep(2500); // a few receiver reports after the resumption
      const gapFrames = heard('C', held).audio_frames - atGap.C;
      for (const rx of ['C', 'D']) {
        const st = bots[rx].stats();
        assert.ok(st.audio_packets_lost <= 5, `${rx} counts ${st.audio_packets_lost} audio packets lost (sequence numbers with a gap?)`);
      }
      const notFwd = await metric(s, 'sealroom_media_audio_not_loudest_total');
      const switches = await metric(s, 'sealroom_media_audio_switches_total');
      assert.ok(switches >= 2, `switches: ${switches}`);
      console.log(`# N = 2 of 5: E heard ${Object.values(delays).map((d) => d.toFixed(0)).join('/')} ms after getting 10 dB louder; ` +
        `${held} held back, heard again within ${Math.min(...Object.values(back)).toFixed(0)} ms of E going quiet (hangover 1 s), ` +
        `${gapFrames} frames since; receivers' audio loss ${['C', 'D'].map((n) => bots[n].stats().audio_packets_lost).join('/')}; ` +
        `${notFwd} packets held back, ${switches} switches`);
    } finally {
      for (const b of Object.values(bots)) await b.stop();
    }
  });
});
