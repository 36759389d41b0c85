// Admission control (issue 9, 1.4): participants that join and never finish
// ICE filled the media transport pool (1024) and no newcomer anywhere got
// media. Now: transports that pass no check within 10 s of the client's
// description (its offer, or its answer), or finish no DTLS 10 s after
// that, are released (and
// their participant removed), joins are rate-limited per client address and
// per room, the pool is sized by --max-transports, and a newcomer the pool
// cannot take is told `server_full` at once. Each attack runs beside an
// honest call (tests/lib/abuse.mjs); a small pool (16) keeps it cheap.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { joinRaw } from '../lib/ws.mjs';
import { sleep, until } from '../lib/wait.mjs';
import { honestCall, metric } from '../lib/abuse.mjs';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, inbound } from '../lib/browser.mjs';
import { bindingRequest, candidatePort, iceCredentials } from '../lib/stun.mjs';
import dgram from 'node:dgram';

const POOL = 16;
const joinFrom = (s, room, name, from) => joinRaw(s.url, room, name, { from });

describe('admission control', () => {
  let s, survive, stop, browser;
  before(async () => {
    ({ s, survive, stop } = await honestCall({ args: ['--max-transports', String(POOL), '--join-rate', '2', '--room-join-rate', '2'] }));
    for (const room of ['idle', 'crowd']) {
      const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, max_participants: 100 });
      assert.ok(r.status === 200 || r.status === 201, r.text);
    }
    browser = await launchChromium();
  }, { timeout: 60000 });
  after(async () => {
    if (browser) await browser.close();
    if (stop) await stop();
  });

  // Offers a real browser makes (one audio track each, distinct SSRCs, and
  // `videos` video tracks), for participants that publish and then never
  // start ICE.
  async function offers(n, videos = 0, audios = 1) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${s.url}/`);
    const list = await page.evaluate(async (k) => {
      const out = [];
      for (let i = 0; i < k.n; i++) {
        const pc = new RTCPeerConnection();
        for (let a = 0; a < k.audios; a++) pc.addTransceiver('audio', { direction: 'sendonly' });
        for (let v = 0; v < k.videos; v++) pc.addTransceiver('video', { direction: 'sendonly' });
        out.push((await pc.createOffer()).sdp);
        pc.close();
      }
      return out;
    }, { n, videos, audios });
    await page.close();
    return list;
  }

  // A subscribe answer that passes the server's checks: same m-lines,
  // recvonly, offered codec, setup active, a fingerprint (never used).
  const subscribeAnswer = (offer, ufrag) => {
    const lines = offer.split(/\r\n(?=m=)/).slice(1).map((m) => ({ audio: m.startsWith('m=audio'), mid: m.match(/a=mid:(\S+)/)[1] }));
    let a = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE ${lines.map((l) => l.mid).join(' ')}\r\n`;
    for (const l of lines) {
      a += `m=${l.audio ? 'audio' : 'video'} 9 UDP/TLS/RTP/SAVPF ${l.audio ? 111 : 96}\r\nc=IN IP4 0.0.0.0\r\n` +
        `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${'p'.repeat(24)}\r\na=fingerprint:sha-256 ${Array(32).fill('AB').join(':')}\r\n` +
        `a=setup:active\r\na=mid:${l.mid}\r\na=recvonly\r\na=rtcp-mux\r\n` +
        (l.audio ? 'a=rtpmap:111 opus/48000/2\r\n' : 'a=rtpmap:96 VP8/90000\r\n');
    }
    return a;
  };
  // Each transport gets its own socket (an address that passed checks for
  // one transport is not taken for another), counting its answers.
  const socket = async () => {
    const udp = dgram.createSocket('udp4');
    udp.answers = 0;
    udp.on('message', () => udp.answers++);
    await new Promise((r) => udp.bind(0, '127.0.0.1', r));
    return udp;
  };
  test('participants that never finish ICE: newcomers get server_full at once, the pool comes back within seconds', { timeout: 90000 }, async () => {
    const transports = () => metric(s, 'sealroom_media_transports');
    // The honest two-party call holds four; the test before this one may
    // still be releasing its own (a CI run at 4842c84 read 6
    // here, then 16 of an expected 18): wait for them to go first.
    await until('only the honest call\'s transports', async () => (await transports()) === 4 || `${await transports()} transports`, 20000);
    const honestTransports = await transports();
    assert.equal(honestTransports, 4, 'the honest call uses two transports per participant');
    const sdps = await offers(POOL);
    const idle = [];
    await survive('idle publishers fill the pool', async () => {
      for (let i = 0; i < POOL && (await transports()) < POOL; i++) {
        const j = await joinFrom(s, 'idle', `Idle${i}`, `127.0.0.${10 + (i % 8)}`);
        assert.ok(j.welcome, JSON.stringify(j.error));
        j.c.send({ type: 'publish_offer', sdp: sdps[i] });
        await j.c.next((m) => m.type === 'publish_answer' || m.type === 'error', 5000);
        idle.push(j.c);
        await sleep(50);
      }
      await until('the pool is full', async () => (await transports()) >= POOL || `${await transports()} transports`, 5000);
      // A newcomer is told at once, in words, rather than joining a call
      // that cannot carry its media.
      const late = await joinFrom(s, 'crowd', 'Late', '127.0.0.30');
      assert.equal(late.error && late.error.code, 'server_full', JSON.stringify(late.error || late.welcome));
      assert.match(late.error.message, /capacity/);
      await late.c.waitClosed(3000);
    });
    // The idle transports are given up 10 s after their offers, and their
    // participants removed; the pool is the honest call's again.
    const t0 = Date.now();
    await until('idle transports released', async () => (await transports()) <= honestTransports || `${await transports()} transports`, 20000);
    console.log(`# ${idle.length} idle participants held ${POOL - honestTransports} transports; released ${Date.now() - t0} ms after the pool filled`);
    for (const c of idle) assert.ok(c.closed || (await c.waitClosed(3000)) !== undefined);
    assert.ok(idle.some((c) => c.messages.some((m) => m.type === 'error' && m.code === 'media_failed')), 'no idle participant was told media_failed');
    // A newcomer in the honest room now gets media.
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${s.url}/honest`);
    await page.fill('#name', 'Cleo');
    await page.click('#join');
    await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
    await until('Cleo receives video', async () => Object.values(await inbound(page)).some((x) => x.kind === 'video' && x.frames > 5), 20000);
    await page.close();
  });

  // Found by the attack review: ICE alone kept a transport. A participant
  // that answers connectivity checks with the right credentials on both of
  // its transports (and so keeps consent fresh) but never starts DTLS held
  // them for good, so a few such clients kept the pool full. Now media must
  // be connected (DTLS done) within 20 s of the client's description (10 s
  // after the deadline of its first check: a starved browser's DTLS needed more).
  test('participants that pass ICE but never start DTLS: their transports are released within seconds', { timeout: 90000 }, async () => {
    const transports = () => metric(s, 'sealroom_media_transports');
    // The honest two-party call holds four; the test before this one may
    // still be releasing its own (a CI run at 4842c84 read 6
    // here, then 16 of an expected 18): wait for them to go first.
    await until('only the honest call\'s transports', async () => (await transports()) === 4 || `${await transports()} transports`, 20000);
    const honestTransports = await transports();
    const N = 6;
    const sdps = await offers(N);
    const held = [];
    const pump = setInterval(() => {
      for (const h of held) {
        for (let k; (k = h.c.messages.findIndex((m) => m.type === 'subscribe_offer')) >= 0;) {
          const m = h.c.messages.splice(k, 1)[0];
          const server = iceCredentials(m.sdp);
          h.sub = { user: `${server.ufrag}:${h.ufrag}`, pwd: server.pwd, udp: h.subUdp, port: candidatePort(m.sdp) };
          h.c.send({ type: 'subscribe_answer', sdp: subscribeAnswer(m.sdp, h.ufrag), version: m.version });
        }
      }
    }, 100);
    const checks = () => {
      for (const h of held) {
        for (const t of [h.pub, h.sub]) if (t) t.udp.send(bindingRequest(t.user, t.pwd), t.port, '127.0.0.1');
      }
    };
    let keep;
    try {
      await survive('ICE-only participants', async () => {
        for (let i = 0; i < N; i++) {
          const j = await joinFrom(s, 'idle', `Ice${i}`, `127.0.0.${40 + (i % 4)}`);
          assert.ok(j.welcome, JSON.stringify(j.error));
          j.c.send({ type: 'publish_offer', sdp: sdps[i] });
          const a = await j.c.next((m) => m.type === 'publish_answer' || m.type === 'error', 5000);
          assert.equal(a.type, 'publish_answer', JSON.stringify(a));
          const server = iceCredentials(a.sdp), client = iceCredentials(sdps[i]);
          held.push({ c: j.c, ufrag: client.ufrag, subUdp: await socket(), created: Date.now(),
                      pub: { user: `${server.ufrag}:${client.ufrag}`, pwd: server.pwd, udp: await socket(), port: candidatePort(a.sdp) } });
          await sleep(600); // the join rate of this fixture: 2 per second
        }
        checks();
        keep = setInterval(checks, 1000);
        const answered = () => held.filter((h) => h.pub.udp.answers > 0 && h.sub && h.sub.udp.answers > 0).length;
        await until('both transports of each pass their checks', async () => answered() === N || `${answered()} of ${N}`, 5000);
        // Every transport passed its checks (above), and each participant
        // holds both of its transports until the 20 s limit (from its offer
        // and its answer, each sent as its transport was made) this test is
        // about: on a slow machine the first ones made (joins go at the
        // fixture's 2 a second) may already have reached it.
        const now = Date.now(), young = held.filter((h) => now - h.created < 19000).length;
        const held2 = await transports();
        assert.ok(held2 >= honestTransports + 2 * young && held2 <= honestTransports + 2 * N,
          `each ICE-only participant holds two transports: ${held2} (honest ${honestTransports}, ${young} of ${N} younger than 19 s)`);
      });
      const t0 = Date.now();
      await until('ICE-only transports released', async () => (await transports()) <= honestTransports || `${await transports()} transports`, 30000);
      console.log(`# ${N} participants kept ICE consent on ${2 * N} transports without DTLS: all released ${Date.now() - t0} ms after their checks passed`);
      for (const h of held) assert.ok(h.c.closed || (await h.c.waitClosed(3000)) !== undefined);
      assert.ok(held.every((h) => h.c.messages.some((m) => m.type === 'error' && m.code === 'media_failed')), 'each was told media_failed');
    } finally {
      clearInterval(keep);
      clearInterval(pump);
      for (const h of held) { h.pub.udp.close(); h.subUdp.close(); h.c.sock.destroy(); }
      // Failed or not, the pool is left as found: a CI run at 4800722 failed
      // here once (the honest call stalled under load), and the three tests
      // after it met a full pool.
      await until('the ICE-only participants gone', async () => (await transports()) <= honestTransports || `${await transports()} transports`, 15000)
        .catch(() => {});
    }
  });

  // The connect deadline counts from the client's answer (a starved page took
  // 6-12 s to answer its first subscribe offer and was given up before it
  // could start ICE), so a client could try to hold a transport longer by
  // answering late. It is capped: 40 s after the transport was made (a check
  // within 30 s, DTLS done 10 s after), even for a client that answers just
  // before signalling's 25 s limit and then keeps ICE consent without ever
  // starting DTLS.
  test('a participant that answers its subscribe offer late and never starts DTLS holds the transport at most 40 s', { timeout: 80000 }, async () => {
    const transports = () => metric(s, 'sealroom_media_transports');
    await until('only the honest call\'s transports', async () => (await transports()) === 4 || `${await transports()} transports`, 20000);
    const honestTransports = await transports();
    const udp = await socket();
    let keep;
    const j = await joinFrom(s, 'honest', 'Late', '127.0.0.50');
    try {
      assert.ok(j.welcome, JSON.stringify(j.error));
      const offer = await j.c.next((m) => m.type === 'subscribe_offer', 5000); // the honest pair publishes
      const made = Date.now();
      // The worker counts the transport once it has made it: a moment after the offer went out.
      await until('its subscribe transport counted', async () => (await transports()) === honestTransports + 1 || `${await transports()} transports`, 3000);
      await sleep(22000);
      const server = iceCredentials(offer.sdp), ufrag = 'late0001';
      j.c.send({ type: 'subscribe_answer', sdp: subscribeAnswer(offer.sdp, ufrag), version: offer.version });
      const check = () => udp.send(bindingRequest(`${server.ufrag}:${ufrag}`, server.pwd), candidatePort(offer.sdp), '127.0.0.1');
      check();
      keep = setInterval(check, 500);
      await until('its checks pass', async () => udp.answers > 0 || 'no answer', 3000);
      assert.equal(await transports(), honestTransports + 1, 'held while its checks pass');
      await until('the late transport released', async () => (await transports()) <= honestTransports || `${await transports()} transports`, 25000);
      const held = Date.now() - made;
      console.log(`# answered after 22 s, passed ICE, no DTLS: released ${held} ms after the offer`);
      assert.ok(held >= 38000 && held <= 43500, `held ${held} ms`);
      const failed = await j.c.next((m) => m.type === 'error', 3000);
      assert.equal(failed.code, 'media_failed');
    } finally {
      clearInterval(keep);
      udp.close();
      j.c.sock.destroy();
    }
  });

  // Found by the second attack review: every publish_offer makes the server
  // offer anew to every member of the room, and it was limited only by the
  // general 50 messages/s: one member sending 50 a second kept a 60-person
  // room renegotiating (~230 offers of 90 KB a second, the server at 95% CPU).
  // Now a session may publish once a second (burst 5).
  test('a participant re-publishing non-stop is limited to one offer a second', { timeout: 60000 }, async () => {
    const [sdp] = await offers(1);
    await survive('publish_offer flood', async () => {
      const j = await joinFrom(s, 'crowd', 'Republisher', '127.0.0.60');
      assert.ok(j.welcome, JSON.stringify(j.error));
      for (let i = 0; i < 50; i++) j.c.send({ type: 'publish_offer', sdp });
      await sleep(2000);
      const answers = j.c.messages.filter((m) => m.type === 'publish_answer').length;
      const limited = j.c.messages.filter((m) => m.type === 'error' && m.code === 'rate_limited').length;
      console.log(`# 50 publish_offers at once: ${answers} answered, ${limited} refused`);
      assert.ok(answers >= 1 && answers <= 7, `${answers} publish offers were answered`);
      assert.ok(limited >= 43, `${limited} refused`);
      j.c.sock.destroy();
    });
  });

  // Found by the second attack review: nothing capped the transports one
  // address holds, so a few addresses cycling participants (each held for
  // the 10 s connect timeout, or for good if it connects) kept the pool
  // full. Now at most --max-participants-per-ip (default 32) participants of
  // one address (an IPv6 /64) are in calls at once.
  test('participants per client address are capped; other addresses still join', { timeout: 30000 }, async () => {
    const small = await startServer({ args: ['--max-participants-per-ip', '3'] });
    try {
      const r = await small.api('POST', '/api/v1/rooms', { friendly_url: 'many', max_participants: 50 });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      const inside = [];
      for (let i = 0; i < 3; i++) {
        const j = await joinFrom(small, 'many', `Same${i}`, '127.0.0.70');
        assert.ok(j.welcome, JSON.stringify(j.error));
        inside.push(j.c);
      }
      const fourth = await joinFrom(small, 'many', 'Same3', '127.0.0.70');
      assert.equal(fourth.error && fourth.error.code, 'too_many_from_address', JSON.stringify(fourth.error || fourth.welcome));
      const other = await joinFrom(small, 'many', 'Other', '127.0.0.71');
      assert.ok(other.welcome, JSON.stringify(other.error));
      // One leaves: the address may bring another.
      inside[0].send({ type: 'leave' });
      await inside[0].waitClosed(3000);
      await until('a place is free again', async () => {
        const again = await joinFrom(small, 'many', 'Again', '127.0.0.70');
        if (again.c) again.c.sock.destroy();
        return !!again.welcome || JSON.stringify(again.error);
      }, 5000);
      for (const c of [...inside, other.c]) c.sock.destroy();
    } finally {
      await stopServer(small);
    }
  });

  // Issue 9 (bugs): screenshare_enabled and role permissions were not
  // enforced on extra video tracks. A second video track is a screen share.
  test('a second video track needs screen sharing: refused in a room with it off, taken where it is on', { timeout: 30000 }, async () => {
    const [two] = await offers(1, 2);
    const [one] = await offers(1, 1);
    for (const [room, screenshare] of [['no-screens', false], ['screens', true]]) {
      const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room, screenshare_enabled: screenshare });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      const j = await joinFrom(s, room, 'Sharer', '127.0.0.90');
      assert.ok(j.welcome, JSON.stringify(j.error));
      j.c.send({ type: 'publish_offer', sdp: two });
      const m = await j.c.next((x) => x.type === 'publish_answer' || x.type === 'error', 5000);
      if (screenshare) {
        assert.equal(m.type, 'publish_answer', JSON.stringify(m));
      } else {
        assert.equal(m.code, 'forbidden', JSON.stringify(m));
        assert.match(m.message, /Screen sharing is off/);
        // One video track (a camera) is fine there.
        j.c.send({ type: 'publish_offer', sdp: one });
        assert.equal((await j.c.next((x) => x.type === 'publish_answer' || x.type === 'error', 5000)).type, 'publish_answer');
      }
      j.c.sock.destroy();
    }
  });

  // Issue 11: the page labels its screen share ("sources" in publish_offer).
  // A label is checked before anything is published: a screen share as the
  // only video still needs screen sharing; a label that does not fit, or two
  // screen shares, are refused; what others see says which track is which.
  test('a video labelled as a screen share needs screen sharing too, and labels are checked', { timeout: 60000 }, async () => {
    const [one] = await offers(1, 1);   // mids: 0 audio, 1 video
    const [three] = await offers(1, 3); // mids: 0 audio, 1..3 video
    const ask = async (j, msg) => {
      await new Promise((r) => { setTimeout(r, 1000); }); // publish offers: one a second
      j.c.send({ type: 'publish_offer', ...msg });
      return j.c.next((x) => x.type === 'publish_answer' || x.type === 'error', 5000);
    };
    const off = await joinFrom(s, 'no-screens', 'Labeller', '127.0.0.91');
    assert.ok(off.welcome, JSON.stringify(off.error));
    let m = await ask(off, { sdp: one, sources: { 1: 'screen' } });
    assert.equal(m.code, 'forbidden', JSON.stringify(m));
    assert.match(m.message, /Screen sharing is off/);
    for (const sources of [{ 1: 'webcam' }, { 0: 'screen' }, { 1: 'microphone' }, ['screen'], 'screen', { 1: 7 }]) {
      m = await ask(off, { sdp: one, sources });
      assert.ok(m.type === 'error' && (m.code === 'bad_message' || m.code === 'bad_sdp'), `${JSON.stringify(sources)}: ${JSON.stringify(m)}`);
    }
    m = await ask(off, { sdp: one, sources: { 1: 'camera' } });
    assert.equal(m.type, 'publish_answer', JSON.stringify(m));
    off.c.sock.destroy();

    const on = await joinFrom(s, 'screens', 'Presenter', '127.0.0.92');
    const watcher = await joinFrom(s, 'screens', 'Watcher', '127.0.0.93');
    assert.ok(on.welcome && watcher.welcome);
    m = await ask(on, { sdp: three, sources: { 1: 'camera', 2: 'screen', 3: 'screen' } });
    assert.equal(m.code, 'bad_sdp', JSON.stringify(m));
    assert.match(m.message, /one camera and one screen share/);
    m = await ask(on, { sdp: three, sources: { 2: 'screen' } }); // 1 camera, 2 screen, 3 a second camera
    assert.equal(m.code, 'bad_sdp', JSON.stringify(m));
    // Several microphones: refused (each would also hold one of the
    // loudest-audio places, and claiming full volume on three would keep
    // everyone else's voice from the room).
    const [threeMics] = await offers(1, 0, 3);
    m = await ask(on, { sdp: threeMics });
    assert.equal(m.code, 'bad_sdp', JSON.stringify(m));
    assert.match(m.message, /one audio track/);
    m = await ask(on, { sdp: one, sources: { 1: 'screen' } });
    assert.equal(m.type, 'publish_answer', JSON.stringify(m));
    const seen = await watcher.c.next((x) => x.type === 'tracks_updated' && x.tracks.length === 2, 5000);
    assert.deepEqual(seen.tracks.map((t) => `${t.kind}:${t.source}`).sort(), ['audio:microphone', 'video:screen'], JSON.stringify(seen));
    // Screen sharing turned off while this client (which ignores room_updated)
    // shares: the server stops its screen share reaching the others.
    const r = await s.api('PATCH', '/api/v1/rooms/screens', { screenshare_enabled: false });
    assert.equal(r.status, 200, r.text);
    const gone = await watcher.c.next((x) => x.type === 'tracks_updated' && x.tracks.every((t) => t.source !== 'screen'), 5000);
    assert.deepEqual(gone.tracks.map((t) => t.source), ['microphone'], JSON.stringify(gone));
    for (const j of [on, watcher]) j.c.sock.destroy();
  });

  test('joins are rate-limited per client address and per room, with a retry time', { timeout: 60000 }, async () => {
    await survive('join floods', async () => {
      // Per address: burst 20 (rate 2/s); the 21st in a row is refused.
      const got = [];
      for (let i = 0; i < 22; i++) {
        const j = await joinFrom(s, `flood-${i}`, 'F', '127.0.0.40'); // rooms need not exist: the limit comes first
        got.push(j.error ? j.error.code : 'welcome');
        j.c.sock.destroy();
      }
      assert.deepEqual(got.slice(0, 20), Array(20).fill('room_not_found'));
      assert.deepEqual(got.slice(20), ['rate_limited', 'rate_limited']);
      const again = await joinFrom(s, 'crowd', 'F', '127.0.0.40');
      assert.equal(again.error.code, 'rate_limited');
      assert.ok(again.error.retry_after_ms > 0 && again.error.retry_after_ms <= 1000, JSON.stringify(again.error));
      again.c.sock.destroy();
      // Per room: burst 10 (rate 2/s), from many addresses.
      const codes = [];
      const kept = [];
      for (let i = 0; i < 12; i++) {
        const j = await joinFrom(s, 'crowd', `C${i}`, `127.0.1.${i + 1}`);
        codes.push(j.error ? j.error.code : 'welcome');
        kept.push(j.c);
      }
      // The first join creates the live room (not counted), then a burst of 10.
      assert.deepEqual(codes.slice(0, 11), Array(11).fill('welcome'), JSON.stringify(codes));
      assert.equal(codes[11], 'rate_limited');
      for (const c of kept) c.sock.destroy();
    });
  });
});
