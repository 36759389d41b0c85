// Browser test of the dashboard (web/dashboard) against a real sealroomd:
// sign-in, create a room with E2EE, toggle E2EE from the list and the edit
// form (checked through the REST API), validation messages next to fields,
// copy link, delete with confirmation, pagination, phone layout, sign-out and
// the 401 path. Fails on any console error, page error or CSP violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, OUT } from '../lib/server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 740 };

let server, browser, context, page;
const problems = [];              // console errors, page errors, CSP violations
const allowedStatuses = new Set(); // HTTP error statuses a step expects the page to log

function watch(p) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error' && !/Content Security Policy/i.test(msg.text())) return;
    const text = msg.text();
    const m = text.match(/Failed to load resource: the server responded with a status of (\d{3})/);
    if (m && allowedStatuses.has(Number(m[1]))) return;
    problems.push(`console ${msg.type()}: ${text}`);
  });
  p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  p.on('crash', () => problems.push('page crashed'));
}

async function expectStatuses(statuses, fn) {
  for (const s of statuses) allowedStatuses.add(s);
  try { return await fn(); } finally {
    // Console messages arrive asynchronously; give them a moment before closing the window.
    await page.waitForTimeout(100);
    for (const s of statuses) allowedStatuses.delete(s);
  }
}

const row = (id) => page.locator(`#room-list li[data-room-id="${id}"]`);

async function apiRoom(id) {
  const r = await server.api('GET', `/api/v1/rooms/${id}`);
  return r;
}

// Waits for the next API request with this method/path and returns its JSON body.
function nextRequestBody(method, pathRe) {
  return page.waitForRequest((req) => req.method() === method && pathRe.test(new URL(req.url()).pathname))
    .then((req) => req.postDataJSON());
}

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'light', reducedMotion: 'reduce' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  // Record CSP violations from inside the page too (Chromium also logs them to the console).
  await context.exposeBinding('__reportCspViolation', (_source, text) => problems.push(`CSP violation: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page = await context.newPage();
  page.setDefaultTimeout(5000);
  watch(page);
});

after(async () => {
  try { if (browser) await browser.close(); } finally {
    if (server) { await server.stop(); server.cleanup(); }
  }
});

test('dashboard is served with the strict CSP', async () => {
  const res = await page.goto(server.url + '/dashboard');
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#rooms-view').isVisible(), false);
});

test('wrong credentials are refused with a clear message', async () => {
  await expectStatuses([401], async () => {
    await page.fill('#team-id', server.teamId);
    await page.fill('#dev-key', 'sk_' + 'x'.repeat(86));
    await page.click('#sign-in');
    await page.locator('#signin-message').waitFor({ state: 'visible' });
  });
  assert.match(await page.textContent('#signin-message'), /did not accept/i);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#rooms-view').isVisible(), false);
});

test('sign in keeps credentials in sessionStorage only', async () => {
  await page.fill('#team-id', server.teamId);
  await page.fill('#dev-key', server.devKey);
  await page.click('#sign-in');
  await page.locator('#rooms-view').waitFor({ state: 'visible' });
  await page.locator('#room-count', { hasText: '0 rooms' }).waitFor();
  assert.equal(await page.locator('#empty-state').isVisible(), true);
  const storage = await page.evaluate(() => ({
    session: Object.values({ ...sessionStorage }).join('\n'),
    local: localStorage.length,
    cookie: document.cookie,
  }));
  assert.ok(storage.session.includes(server.devKey), 'developer key kept in sessionStorage');
  assert.equal(storage.local, 0, 'nothing in localStorage');
  assert.equal(storage.cookie, '', 'no cookies');
  assert.equal((await context.cookies()).length, 0);
  // Roles come from GET /api/v1/roles.
  await page.click('#new-room');
  for (const name of ['moderator', 'speaker', 'attendee']) {
    assert.equal(await page.isChecked(`#field-role-${name}`), true, `${name} checked by default`);
  }
  assert.equal(await page.inputValue('#field-default-role'), 'moderator');
  await page.click('#cancel-room');
});

let roomId;

test('create a room with E2EE on sends only the filled-in fields', async () => {
  await page.click('#new-room');
  await page.locator('#room-dialog').waitFor({ state: 'visible' });
  await page.fill('#field-description', 'Design review');
  await page.fill('#field-friendly-url', 'design-review');
  await page.check('#field-e2ee');
  const body = nextRequestBody('POST', /^\/api\/v1\/rooms$/);
  await page.click('#create-room');
  assert.deepEqual(await body, { description: 'Design review', friendly_url: 'design-review', e2ee_enabled: true });

  const r = page.locator('#room-list li[data-friendly-url="design-review"]');
  await r.waitFor();
  assert.equal(await page.locator('#room-dialog').isVisible(), false);
  roomId = await r.getAttribute('data-room-id');
  assert.match(roomId, /^[0-9a-f-]{36}$/);
  assert.equal(await r.getAttribute('data-e2ee'), 'true');
  assert.equal(await r.locator('[data-testid="e2ee-badge"]').textContent(), 'End-to-end encrypted');
  assert.equal(await r.locator('.room-title').textContent(), 'Design review');
  assert.equal(await r.locator('[data-action="toggle-e2ee"]').getAttribute('aria-checked'), 'true');
  await page.locator('#room-count', { hasText: '1 room' }).waitFor();

  const api = await apiRoom(roomId);
  assert.equal(api.status, 200);
  assert.equal(api.json.e2ee_enabled, true);
  assert.equal(api.json.description, 'Design review');
  assert.equal(api.json.friendly_url, 'design-review');
  assert.equal(await r.locator('[data-testid="room-url"]').textContent(), api.json.room_url);
});

test('E2EE toggle in the list follows through the API', async () => {
  for (const want of [false, true]) {
    const body = nextRequestBody('PATCH', new RegExp(`^/api/v1/rooms/${roomId}$`));
    await row(roomId).locator('[data-action="toggle-e2ee"]').click();
    assert.deepEqual(await body, { e2ee_enabled: want });
    await page.locator(`#room-list li[data-room-id="${roomId}"][data-e2ee="${want}"]`).waitFor();
    const sw = row(roomId).locator('[data-action="toggle-e2ee"]');
    assert.equal(await sw.getAttribute('aria-checked'), String(want));
    assert.equal(await sw.isEnabled(), true);
    assert.equal(await row(roomId).locator('[data-testid="e2ee-badge"]').textContent(),
      want ? 'End-to-end encrypted' : 'Not end-to-end encrypted');
    const api = await apiRoom(roomId);
    assert.equal(api.json.e2ee_enabled, want, `API e2ee_enabled is ${want} after toggle`);
  }
});

test('validation errors are shown next to their fields', async () => {
  await page.click('#new-room');
  await page.fill('#field-description', 'ab');
  await page.fill('#field-friendly-url', 'not a url!');
  await expectStatuses([422], async () => {
    await page.click('#create-room');
    await page.locator('#error-description:not(:empty)').waitFor();
    await page.locator('#error-friendly_url:not(:empty)').waitFor();
  });
  for (const [input, error] of [['#field-description', '#error-description'], ['#field-friendly-url', '#error-friendly_url']]) {
    assert.equal(await page.getAttribute(input, 'aria-invalid'), 'true');
    // The message sits in the same field block as its input and is visible.
    const sameField = await page.evaluate(([i, e]) => document.querySelector(i).closest('.field') ===
      document.querySelector(e).closest('.field'), [input, error]);
    assert.ok(sameField, `${error} is next to ${input}`);
    assert.ok(await page.locator(error).isVisible());
    assert.ok((await page.textContent(error)).trim().length > 0);
  }
  assert.match(await page.getAttribute('#field-description', 'aria-describedby'), /error-description/);
  assert.equal(await page.locator('#room-dialog').isVisible(), true, 'form stays open');
  await page.screenshot({ path: join(OUT, 'dashboard-validation.png') });

  // A taken friendly URL is reported by the server next to the field as well.
  await page.fill('#field-description', 'Another room');
  await page.fill('#field-friendly-url', 'DESIGN-review');
  assert.equal(await page.textContent('#error-friendly_url'), '', 'editing a field clears its message');
  await expectStatuses([422], async () => {
    await page.click('#create-room');
    await page.locator('#error-friendly_url:not(:empty)').waitFor();
  });
  assert.equal(await page.textContent('#error-description'), '');
  await page.click('#cancel-room');
  const list = await server.api('GET', '/api/v1/rooms');
  assert.equal(list.json.total_count, 1, 'no room was created by invalid submissions');
});

test('edit form sends only changed fields and can switch E2EE', async () => {
  await row(roomId).locator('[data-action="edit"]').click();
  await page.locator('#save-room').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#create-room').isVisible(), false);
  assert.equal(await page.inputValue('#field-description'), 'Design review');
  assert.equal(await page.inputValue('#field-friendly-url'), 'design-review');
  assert.equal(await page.isChecked('#field-e2ee'), true);
  await page.fill('#field-description', 'Design review (weekly)');
  await page.uncheck('#field-e2ee');
  let body = nextRequestBody('PATCH', new RegExp(`^/api/v1/rooms/${roomId}$`));
  await page.click('#save-room');
  assert.deepEqual(await body, { description: 'Design review (weekly)', e2ee_enabled: false });
  await page.locator(`#room-list li[data-room-id="${roomId}"][data-e2ee="false"]`).waitFor();
  assert.equal(await row(roomId).locator('.room-title').textContent(), 'Design review (weekly)');
  let api = await apiRoom(roomId);
  assert.equal(api.json.e2ee_enabled, false);
  assert.equal(api.json.description, 'Design review (weekly)');

  await row(roomId).locator('[data-action="edit"]').click();
  await page.locator('#save-room').waitFor({ state: 'visible' });
  await page.check('#field-e2ee');
  body = nextRequestBody('PATCH', new RegExp(`^/api/v1/rooms/${roomId}$`));
  await page.click('#save-room');
  assert.deepEqual(await body, { e2ee_enabled: true });
  await page.locator(`#room-list li[data-room-id="${roomId}"][data-e2ee="true"]`).waitFor();
  api = await apiRoom(roomId);
  assert.equal(api.json.e2ee_enabled, true);
});

test('copy link copies room_url and says Copied', async () => {
  const api = await apiRoom(roomId);
  const btn = row(roomId).locator('[data-action="copy"]');
  await btn.click();
  await page.locator(`#room-list li[data-room-id="${roomId}"] [data-action="copy"]`, { hasText: 'Copied' }).waitFor();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(clip, api.json.room_url);
});

test('desktop screenshot', async () => {
  // A second, plain room so the list shows both states.
  const r = await server.api('POST', '/api/v1/rooms', {
    description: 'All-hands Q3 planning', friendly_url: 'all-hands', privacy: 'private',
  });
  assert.equal(r.status, 200);
  await page.reload();
  await page.locator('#room-list li[data-friendly-url="all-hands"]').waitFor();
  await page.locator('#room-count', { hasText: '2 rooms' }).waitFor();
  assert.equal(await page.locator('#room-list li[data-friendly-url="all-hands"] [data-testid="privacy-badge"]').textContent(), 'Private');
  await page.screenshot({ path: join(OUT, 'dashboard-desktop.png'), fullPage: true });
});

test('phone-sized viewport: no horizontal overflow, big tap targets', async () => {
  await page.setViewportSize(PHONE);
  await page.reload();
  await page.locator(`#room-list li[data-room-id="${roomId}"]`).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= PHONE.width, `scrollWidth ${overflow} <= ${PHONE.width}`);
  const small = await page.evaluate(() => [...document.querySelectorAll('button, input, select, a')]
    .filter((e) => e.offsetParent !== null && !e.classList.contains('skip-link'))
    .map((e) => ({ id: e.id || e.dataset.action || e.textContent.trim(), r: e.getBoundingClientRect() }))
    .filter(({ r }) => r.height < 40 || r.width < 40)
    .map(({ id, r }) => `${id} ${Math.round(r.width)}x${Math.round(r.height)}`));
  assert.deepEqual(small, [], 'tap targets at least 40px');
  await page.screenshot({ path: join(OUT, 'dashboard-phone.png'), fullPage: true });

  await page.click('#new-room');
  await page.locator('#room-dialog').waitFor({ state: 'visible' });
  const form = await page.evaluate(() => {
    const d = document.getElementById('room-dialog');
    return { doc: document.documentElement.scrollWidth, dlg: d.scrollWidth, w: d.clientWidth };
  });
  assert.ok(form.doc <= PHONE.width, `scrollWidth with form open ${form.doc}`);
  assert.ok(form.dlg <= form.w, `dialog has no horizontal scroll (${form.dlg} > ${form.w})`);
  await page.screenshot({ path: join(OUT, 'dashboard-phone-form.png') });
  await page.click('#cancel-room');
  await page.setViewportSize(DESKTOP);
});

test('delete asks for confirmation and removes the room', async () => {
  await row(roomId).locator('[data-action="delete"]').click();
  await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#confirm-text'), /design-review/);
  await page.click('#confirm-cancel');
  await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
  assert.equal((await apiRoom(roomId)).status, 200, 'cancel keeps the room');
  assert.equal(await row(roomId).count(), 1);

  await row(roomId).locator('[data-action="delete"]').click();
  await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
  await page.click('#confirm-delete');
  await row(roomId).waitFor({ state: 'detached' });
  await page.locator('#room-count', { hasText: '1 room' }).waitFor();
  assert.equal((await apiRoom(roomId)).status, 404, 'API returns 404 after delete');
});

test('pagination: Load more fetches the next page', async () => {
  for (let i = 0; i < 24; i++) {
    const r = await server.api('POST', '/api/v1/rooms', { description: `Batch room ${i + 1}` });
    assert.equal(r.status, 200);
  }
  await page.reload();
  await page.locator('#room-count', { hasText: '25 rooms' }).waitFor();
  const rows = page.locator('#room-list > li');
  assert.equal(await rows.count(), 20);
  assert.equal(await page.locator('#load-more').isVisible(), true);
  await page.click('#load-more');
  await page.locator('#room-list > li:nth-child(25)').waitFor();
  assert.equal(await rows.count(), 25);
  await page.locator('#load-more').waitFor({ state: 'hidden' });
  const ids = await rows.evaluateAll((ls) => ls.map((l) => l.dataset.roomId));
  assert.equal(new Set(ids).size, 25, 'no duplicates');
});

test('other API errors show the server message in the alert area', async () => {
  // A room deleted elsewhere: toggling it in the (stale) list gets a 404.
  const victim = await page.locator('#room-list > li').first().getAttribute('data-room-id');
  assert.equal((await server.api('DELETE', `/api/v1/rooms/${victim}`)).status, 204);
  const gone = await apiRoom(victim);
  assert.equal(gone.status, 404);
  await expectStatuses([404], async () => {
    await row(victim).locator('[data-action="toggle-e2ee"]').click();
    await page.locator('#alert').waitFor({ state: 'visible' });
  });
  assert.ok((await page.textContent('#alert-text')).includes(gone.json.message), 'alert shows the server message');
  await row(victim).waitFor({ state: 'detached' });
  await page.locator('#room-count', { hasText: '24 rooms' }).waitFor();
  await page.click('#alert-close');
  await page.locator('#alert').waitFor({ state: 'hidden' });
});

test('sign out clears the session; a 401 sends back to sign-in', async () => {
  await page.click('#sign-out');
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#rooms-view').isVisible(), false);

  // A session whose key is no longer accepted (e.g. rotated) gets a clear message.
  await page.evaluate(([t]) => {
    sessionStorage.setItem('sealroom.teamId', t);
    sessionStorage.setItem('sealroom.devKey', 'sk_revoked');
  }, [server.teamId]);
  await expectStatuses([401], async () => {
    await page.reload();
    await page.locator('#signin-message').waitFor({ state: 'visible' });
  });
  assert.match(await page.textContent('#signin-message'), /sign in again/i);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

test('no console errors, page errors or CSP violations', async () => {
  await page.waitForTimeout(100);
  assert.deepEqual(problems, [], 'console errors, page errors or CSP violations');
});
