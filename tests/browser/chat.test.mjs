// Chat on the meeting page: a plain room (text relayed by the server), an
// end-to-end encrypted room (sealed in each page's E2EE worker; the server and
// a raw WebSocket observer see only ciphertext; late joiners cannot read
// earlier messages; forged messages are dropped and counted), and a room with
// chat turned off.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, sleep } from '../lib/browser.mjs';
import { connectWs } from '../lib/ws.mjs';

const chatOf = (page) => page.evaluate(() => {
  const c = window.sealroom.chat;
  return { messages: c.messages, failed: c.failed, error: c.error };
});

// The machine may be shared with other browser tests: generous timeouts.
const T = 15000;

async function waitMessage(page, text, timeout = T) {
  await page.waitForFunction((t) => window.sealroom.chat.messages.some((m) => m.text === t), text, { timeout });
  return (await chatOf(page)).messages.find((m) => m.text === text);
}

async function typeAndSend(page, text, { enter = true } = {}) {
  if (await page.locator('#chat-panel').isHidden()) await page.click('#toggle-chat');
  await page.fill('#chat-input', text);
  if (enter) await page.press('#chat-input', 'Enter');
  else await page.click('#chat-send');
  await page.waitForFunction((t) => window.sealroom.chat.messages.some((m) => m.text === t), text, { timeout: T });
  assert.equal(await page.inputValue('#chat-input'), '', 'input not cleared after sending');
}

describe('chat', () => {
  let s, browser;
  const contexts = [];

  async function joinPage(room, name, query = '') {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errors = [], warnings = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
    await page.goto(`${s.url}/${room}${query}`);
    await page.fill('#name', name);
    await page.click('#join');
    try {
      await page.waitForFunction(() => window.sealroom && window.sealroom.state === 'joined', null, { timeout: 30000 });
    } catch (e) {
      const st = await page.evaluate(() => ({ state: window.sealroom && window.sealroom.state, error: window.sealroom && window.sealroom.error })).catch(() => null);
      throw new Error(`${name} did not join: ${JSON.stringify(st)} ${errors.join('; ')} (${e.message})`);
    }
    return { name, page, errors, warnings, ctx, id: await page.evaluate(() => window.sealroom.participantId) };
  }

  // Rooms start with microphone and camera off: chat needs no media, and
  // the pages stay light.
  async function createRoom(body) {
    const r = await s.api('POST', '/api/v1/rooms', { audio_on_join_enabled: false, video_on_join_enabled: false, ...body });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    return r.json;
  }

  // Until each page holds a key of every other participant's sender: its
  // worker has a key message (with the sealed name) from every member.
  async function waitKeys(people, timeout = 20000) {
    try {
      await Promise.all(people.map((p) => p.page.waitForFunction((ids) => {
        const e = window.sealroom.e2ee;
        return ids.every((id) => typeof e.names[id] === 'string');
      }, people.map((q) => q.id), { timeout })));
    } catch (err) {
      // Who lacks whose key: the roster each page has, and the names its
      // worker has from key messages.
      const seen = await Promise.all(people.map((p) => p.page.evaluate(() => {
        const e = window.sealroom.e2ee;
        return {
          participants: [...window.sealroom.participants.keys()],
          members: e.members, names: Object.keys(e.names || {}).filter((id) => typeof e.names[id] === 'string'),
          complete: e.codeComplete, alarm: e.alarm && e.alarm.reason, missing: !!e.missingKeys,
        };
      }).catch((e) => String(e))));
      const ids = Object.fromEntries(people.map((p) => [p.id, p.name]));
      throw new Error(`${err.message}\nids ${JSON.stringify(ids)}\n` +
        people.map((p, i) => `${p.name}: ${JSON.stringify(seen[i])} warnings ${JSON.stringify(p.warnings.slice(-5))}`).join('\n'));
    }
  }

  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    if (browser) await browser.close();
    await stopServer(s);
  });

  test('plain room: two pages chat both ways through the panel', async () => {
    const room = await createRoom({ friendly_url: 'chat-plain', e2ee_enabled: false });
    const ann = await joinPage(room.friendly_url, 'Ann');
    const bob = await joinPage(room.friendly_url, 'Bob');
    await bob.page.waitForFunction((id) => window.sealroom.participants.has(id), ann.id);

    assert.equal(await ann.page.locator('#toggle-chat').isVisible(), true);
    assert.equal(await ann.page.locator('#chat-e2ee-note').isVisible(), false);

    await typeAndSend(ann.page, 'Hello from Ann <b>not bold</b>');
    const got = await waitMessage(bob.page, 'Hello from Ann <b>not bold</b>');
    assert.equal(got.from, ann.id);
    assert.equal(got.name, 'Ann');
    assert.ok(Math.abs(got.ts - Date.now() / 1000) < 60, `ts ${got.ts}`);
    // Unread badge on Bob's closed panel, cleared by opening it.
    assert.equal(await bob.page.locator('#chat-unread').isVisible(), true);
    assert.equal((await bob.page.locator('#chat-unread').textContent()).trim(), '1');
    await bob.page.click('#toggle-chat');
    assert.equal(await bob.page.locator('#chat-unread').isVisible(), false);
    assert.match(await bob.page.locator('#chat-messages').textContent(), /Hello from Ann <b>not bold<\/b>/);
    assert.equal(await bob.page.locator('#chat-messages b').count(), 0, 'message text rendered as HTML');

    await typeAndSend(bob.page, 'Hi Ann, Bob here', { enter: false });
    const back = await waitMessage(ann.page, 'Hi Ann, Bob here');
    assert.equal(back.name, 'Bob');
    assert.equal(back.from, bob.id);

    // Local checks: empty and too long messages are refused with a message.
    const tooLong = await ann.page.evaluate(() => window.sealroom.chat.send('x'.repeat(2001)));
    assert.equal(tooLong.ok, false);
    assert.match(await ann.page.locator('#chat-error').textContent(), /2000/);
    const empty = await ann.page.evaluate(() => window.sealroom.chat.send('   '));
    assert.equal(empty.ok, false);
    const max = await ann.page.evaluate(() => window.sealroom.chat.send('y'.repeat(2000)));
    assert.equal(max.ok, true);
    await waitMessage(bob.page, 'y'.repeat(2000));

    for (const p of [ann, bob]) {
      assert.equal((await chatOf(p.page)).failed, 0);
      assert.deepEqual(p.errors, []);
    }
    for (const p of [ann, bob]) await p.ctx.close();
  });

  test('E2EE room: sealed chat, observer sees only ciphertext, late joiner cannot read earlier messages', async () => {
    const room = await createRoom({ friendly_url: 'chat-e2ee', e2ee_enabled: true });
    const people = [];
    for (const name of ['Ann', 'Bob', 'Cleo']) people.push(await joinPage(room.friendly_url, name));
    const [ann, bob, cleo] = people;

    await waitKeys(people);
    for (const p of people) {
      await p.page.click('#toggle-chat');
      assert.equal(await p.page.locator('#chat-e2ee-note').isVisible(), true);
      assert.equal((await p.page.locator('#chat-e2ee-note').textContent()).trim(),
        'Messages are end-to-end encrypted. People who join later cannot read earlier messages.');
    }

    // The observer: a raw socket with keys of its own, which never connects
    // its media, so the server drops it within 25-30 s (subscribe_timeout,
    // media_failed). Everything it does comes right after its join: on
    // a loaded machine the checks of the pages below took longer than that.
    const obs = await connectWs(s.url);
    obs.send({ type: 'join', room: room.friendly_url, name: 'Observer', public_key: randomBytes(32).toString('base64'),
      signing_key: randomBytes(32).toString('base64') });
    const welcome = await obs.next((m) => m.type === 'welcome' || m.type === 'error');
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    for (const p of people) await p.page.waitForFunction(() => window.sealroom.participants.size === 3, null, { timeout: T });

    const secret = 'The launch code is 4711, do not tell the server';
    await typeAndSend(ann.page, secret);
    // The observer (and the server) get a sealed object only.
    const seen = await obs.next((m) => m.type === 'chat');
    // A forged sealed message (no valid key, tag or signature) is dropped and counted.
    const pl = seen.payload.m;
    obs.send({ type: 'chat', payload: { t: 'schat', v: 1, s: randomBytes(64).toString('base64'),
      m: { t: 'chat', v: 2, e: pl.e, r: pl.r, n: randomBytes(12).toString('base64'), c: randomBytes(40).toString('base64') } } });

    // Ann's own line says her name (the server only knows "Participant").
    await ann.page.waitForFunction((t) => [...document.querySelectorAll('#chat-messages li.chat-self')]
      .some((li) => li.textContent.includes(t)), secret, { timeout: T });
    assert.match(await ann.page.locator('#chat-messages li.chat-self .chat-name').first().textContent(), /^Ann \(you\)$/);
    const annFp = (await cleo.page.evaluate(() => window.sealroom.e2ee.fingerprints))[ann.id];
    for (const p of [bob, cleo]) {
      const m = await waitMessage(p.page, secret);
      assert.equal(m.from, ann.id);
      assert.equal(m.name, 'Ann');
      // Next to the name, the first digits of Ann's key fingerprint (a name
      // can be copied or imitated, the digits cannot; docs/e2ee.md 10.4).
      const badge = await p.page.locator(`#chat-messages li[data-from="${ann.id}"] .fp-badge`).first().textContent();
      assert.equal(badge, annFp.slice(0, 5));
    }

    assert.equal(seen.from, ann.id);
    // A sealed message (docs/e2ee.md 9) signed by its sender (docs/e2ee-sender-auth.md 10).
    assert.equal(seen.payload.t, 'schat');
    assert.equal(Buffer.from(seen.payload.s, 'base64').length, 64);
    assert.equal(pl.t, 'chat');
    assert.equal(pl.v, 2);
    assert.ok(Number.isInteger(pl.e) && Number.isInteger(pl.r));
    assert.equal(Buffer.from(pl.n, 'base64').length, 12);
    const c = Buffer.from(pl.c, 'base64');
    assert.equal(c.length, 1 + 4 + 8 + Buffer.byteLength(secret) + 16);
    assert.equal(c.includes(Buffer.from(secret)), false);
    assert.equal(c.includes(Buffer.from('4711')), false);
    assert.equal(JSON.stringify(seen).includes('4711'), false);
    assert.deepEqual(Object.keys(pl).sort(), ['c', 'e', 'n', 'r', 't', 'v']);

    for (const p of [ann, bob, cleo]) {
      await p.page.waitForFunction(() => window.sealroom.chat.failed === 1, null, { timeout: T });
      assert.equal((await chatOf(p.page)).messages.length, 1);
    }

    // The observer leaves (the server would drop it soon anyway); the
    // others rotate to a new generation.
    obs.send({ type: 'leave' });
    obs.close();
    for (const p of people) await p.page.waitForFunction(() => window.sealroom.participants.size === 2, null, { timeout: T });
    await sleep(1000);

    // A participant who joins later cannot read what was said before it.
    const dana = await joinPage(room.friendly_url, 'Dana');
    people.push(dana);
    for (const p of people) await p.page.waitForFunction(() => window.sealroom.participants.size === 3, null, { timeout: T });
    await waitKeys(people);
    const d0 = await chatOf(dana.page);
    assert.deepEqual(d0.messages, []);
    assert.equal(await dana.page.locator('#chat-messages li').count(), 0);

    // ...but reads what is said after.
    await dana.page.click('#toggle-chat');
    await typeAndSend(bob.page, 'Welcome Dana');
    for (const p of [ann, cleo, dana]) assert.equal((await waitMessage(p.page, 'Welcome Dana')).name, 'Bob');
    await typeAndSend(dana.page, 'Thanks, Dana here');
    for (const p of [ann, bob, cleo]) assert.equal((await waitMessage(p.page, 'Thanks, Dana here')).name, 'Dana');
    const d1 = await chatOf(dana.page);
    assert.deepEqual(d1.messages.map((m) => m.text), ['Welcome Dana', 'Thanks, Dana here']);
    assert.equal(d1.failed, 0);

    for (const p of people) assert.deepEqual(p.errors, [], `${p.name} page errors`);
    for (const p of people) await p.ctx.close();
  });

  test('room with chat off: no chat input', async () => {
    const room = await createRoom({ friendly_url: 'chat-off', chat_enabled: false });
    const ann = await joinPage(room.friendly_url, 'Ann');
    assert.equal(await ann.page.evaluate(() => window.sealroom.room.chat_enabled), false);
    assert.equal(await ann.page.locator('#toggle-chat').isVisible(), false);
    assert.equal(await ann.page.locator('#chat-input').isVisible(), false);
    const r = await ann.page.evaluate(() => window.sealroom.chat.send('hello?'));
    assert.equal(r.ok, false);
    await ann.ctx.close();
  });
});
