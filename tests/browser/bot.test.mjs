// The native C client (sealroom-bot on libsealroom-client) and Chromium in one
// room through sealroomd. E2EE room: the browser decrypts and decodes the
// bot's VP8 test pattern (its colour bars are sampled from the page's video
// element) and its Opus tone; the bot decrypts and decodes (libvpx) the
// browser's camera at the size the browser sends it, with picture content (not
// a flat frame), and its audio; both show the same complete security code,
// and neither side's E2EE dropped a frame for failed authentication.
// A plain room works the same without E2EE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, joinPage, inbound, sleep } from '../lib/browser.mjs';
import { startBot } from '../lib/bot.mjs';

// The eight bars of client/media/pattern.c, as RGB.
const BARS = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]];

async function join(browser, s, room, name) {
  const page = await joinPage(browser, s.url, `/${room}`, name);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors, id: await page.evaluate(() => window.sealroom.participantId) };
}

// The colours of the bot's tile at the middle of each bar, near the top.
function sampleBars(page, botId) {
  return page.evaluate(async (id) => {
    const v = document.querySelector(`[data-participant-id="${id}"] video`);
    if (!v || v.videoWidth === 0) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const out = [];
    for (let i = 0; i < 8; i++) {
      const d = g.getImageData(Math.floor(c.width * (i + 0.5) / 8), Math.floor(c.height * 0.1), 1, 1).data;
      out.push([d[0], d[1], d[2]]);
    }
    return { width: v.videoWidth, height: v.videoHeight, bars: out };
  }, botId);
}

// What the page sends: the size of its outgoing video.
function outboundSize(page) {
  return page.evaluate(async () => {
    let size = null;
    (await window.sealroom.pcs.publish.getStats()).forEach((r) => {
      // The largest of its simulcast encodings: what a subscriber that asks
      // for no lower quality (the bot) is forwarded.
      if (r.type === 'outbound-rtp' && r.kind === 'video' && r.frameWidth && (!size || r.frameWidth > size.width))
        size = { width: r.frameWidth, height: r.frameHeight };
    });
    return size;
  });
}

async function waitPageDecodesBot(p, botId, e2ee, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    const rtp = await inbound(p.page);
    const video = Object.values(rtp).find((x) => x.kind === 'video' && x.frames > 30 && x.width > 0);
    const audio = Object.values(rtp).find((x) => x.kind === 'audio' && x.samples > 0);
    const e = e2ee ? await p.page.evaluate(() => window.sealroom.e2ee) : null;
    const from = e ? (e.decryptedFrom || {})[botId] : null;
    last = { rtp, from, drops: e && e.drops };
    if (video && audio && (!e2ee || (from && from.video > 30 && from.audio > 0))) return last;
    assert.ok(Date.now() < deadline, `the page does not decode the bot: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

async function checkBars(p, botId) {
  let got;
  for (let i = 0; i < 20; i++) {
    got = await sampleBars(p.page, botId);
    if (got && got.bars.every((c, j) => c.every((v, k) => Math.abs(v - BARS[j][k]) <= 70))) return got;
    await sleep(250);
  }
  assert.fail(`the bot's tile does not show its colour bars: ${JSON.stringify(got)}`);
}

describe('sealroom-bot and Chromium in one room', () => {
  let s, browser;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(s);
  });

  test('E2EE: each decrypts and decodes the other, one security code', async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'bot-e2ee', e2ee_enabled: true });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const p = await join(browser, s, 'bot-e2ee', 'Ann');
    const bot = startBot(s, 'bot-e2ee', ['--name', 'Bot', '--e2ee', '--stats', '0.5']);
    try {
      const joined = await bot.waitFor('joined', (b) => b.last('joined'));
      assert.equal(joined.e2ee, true);
      const botId = joined.participant_id;

      const seen = await waitPageDecodesBot(p, botId, true);
      const bars = await checkBars(p, botId);
      assert.equal(bars.width, 640);
      assert.equal(bars.height, 360);

      // The bot decodes the browser's camera at the size the browser sends
      // (its largest encoding).
      const st = await bot.waitFor('decoded browser video and audio', (b) => {
        const x = b.stats() && b.stats().remotes[p.id];
        return x && x.video_decoded > 30 && x.audio_decoded > 10 ? b.stats() : null;
      });
      const mine = st.remotes[p.id];
      const size = await outboundSize(p.page);
      assert.ok(size, 'the page sends video');
      assert.equal(mine.width, size.width, JSON.stringify({ mine, size }));
      assert.equal(mine.height, size.height, JSON.stringify({ mine, size }));
      assert.ok(mine.luma_stddev > 8, `a real picture, not a flat frame: ${JSON.stringify(mine)}`);
      assert.equal(mine.video_errors, 0, JSON.stringify(mine));
      assert.ok(mine.audio_rms_max > 100, `the browser's audio decodes to sound: ${JSON.stringify(mine)}`);
      assert.ok(st.e2ee_decrypted > 0 && st.e2ee_encrypted > 0, JSON.stringify(st));

      // One security code, complete on both sides.
      const code = await bot.waitFor('complete code', (b) => {
        const c = b.last('code');
        return c && c.complete ? c.code : null;
      });
      await p.page.waitForFunction((c) => window.sealroom.e2ee.securityCode === c, code, { timeout: 5000 })
        .catch(async () => assert.fail(`page code ${await p.page.evaluate(() => window.sealroom.e2ee.securityCode)} != bot code ${code}`));
      assert.equal((await p.page.locator('#security-code').textContent()).trim(), code);
      assert.equal(bot.events.filter((e) => e.event === 'alarm').length, 0, bot.stderr);

      // No frame of the bot failed the browser's checks.
      const e = await p.page.evaluate(() => window.sealroom.e2ee);
      assert.equal(e.dropTotal || 0, 0, `page E2EE drops: ${JSON.stringify(e.drops)}`);
      console.log(`bot+chromium E2EE: page decoded ${JSON.stringify(seen.from)} from the bot; ` +
        `bot decoded ${mine.video_decoded} frames ${mine.width}x${mine.height} (luma sd ${mine.luma_stddev.toFixed(1)}), ` +
        `${mine.audio_decoded} audio; bot start to first decoded browser picture ${mine.first_video_ms.toFixed(0)} ms; code ${code}`);
      const end = await bot.stop();
      assert.equal(end.code, 0, bot.stderr);
      assert.equal(end.end.error, false);
      assert.deepEqual(p.errors, []);
    } finally {
      await bot.stop();
      await p.page.context().close();
    }
  });

  test('plain room: each decodes the other', async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'bot-plain' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const p = await join(browser, s, 'bot-plain', 'Ann');
    const bot = startBot(s, 'bot-plain', ['--name', 'Bot', '--stats', '0.5']);
    try {
      const joined = await bot.waitFor('joined', (b) => b.last('joined'));
      assert.equal(joined.e2ee, false);
      await waitPageDecodesBot(p, joined.participant_id, false);
      await checkBars(p, joined.participant_id);
      await bot.waitFor('decoded browser video', (b) => {
        const x = b.stats() && b.stats().remotes[p.id];
        return x && x.video_decoded > 30 && x.luma_stddev > 8 && x.audio_decoded > 10 && x.audio_rms_max > 100;
      });
      assert.equal((await bot.stop()).code, 0);
    } finally {
      await bot.stop();
      await p.page.context().close();
    }
  });
});
