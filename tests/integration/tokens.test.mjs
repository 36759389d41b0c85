// POST /api/v1/rooms/{room}/token: the JWT's header, claims and link, and the
// HS256 signature verified here with the developer key (what an integrator does).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';
import { connectWs } from '../lib/ws.mjs';

const PUBLIC_URL = 'https://meet.example.test';
const B64URL = /^[A-Za-z0-9_-]+$/;


function decodeJwt(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `JWT must have 3 parts: ${token}`);
  for (const p of parts) assert.match(p, B64URL, 'JWT parts are unpadded base64url');
  return {
    parts,
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
  };
}

function verifyHs256(token, key) {
  const [h, p, sig] = token.split('.');
  const expected = createHmac('sha256', key).update(`${h}.${p}`).digest();
  const got = Buffer.from(sig, 'base64url');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

describe('room tokens', () => {
  let s, room;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0', '--public-url', PUBLIC_URL] });
    const r = await s.api('POST', '/api/v1/rooms', {
      description: 'token room', friendly_url: 'Token-Room', roles: ['moderator', 'speaker'], default_role: 'speaker',
    });
    if (r.status !== 200) throw new Error(`create failed: ${r.status} ${r.text}`);
    room = r.json;
  });
  after(() => stopServer(s));

  const token = (key, body) => s.api('POST', `/api/v1/rooms/${key}/token`, body);

  test('--public-url is used for room_url', () => {
    assert.equal(room.room_url, `${PUBLIC_URL}/Token-Room`);
  });

  test('token with every claim: header, claims, link and HS256 signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = {
      u: 'user-42', ud: 'Zoë Ünicode 🎉', role: 'speaker', initials: 'ZÜ',
      avatar: 'https://cdn.example.test/a.png', exp: now + 600, nbf: now - 30,
    };
    const r = await token(room.id, body);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['link', 'token']);
    const { token: jwt, link } = r.json;
    assert.equal(link, `${PUBLIC_URL}/Token-Room?token=${jwt}`);
    const { header, claims } = decodeJwt(jwt);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(claims.td, s.teamId);
    assert.equal(claims.rd, room.id);
    assert.equal(claims.u, body.u);
    assert.equal(claims.ud, body.ud);
    assert.equal(claims.role, 'speaker');
    assert.equal(claims.initials, body.initials);
    assert.equal(claims.avatar, body.avatar);
    assert.equal(claims.exp, body.exp);
    assert.equal(claims.nbf, body.nbf);
    assert.ok(Number.isInteger(claims.iat) && Math.abs(claims.iat - now) <= 5, `iat ${claims.iat} vs now ${now}`);
    assert.ok(verifyHs256(jwt, s.devKey), 'signature does not verify with HMAC-SHA256(developer key)');
  });

  test('signature check is meaningful: wrong key or altered payload fails', async () => {
    const r = await token(room.id, { u: 'x', role: 'moderator' });
    assert.equal(r.status, 200, r.text);
    const jwt = r.json.token;
    assert.ok(verifyHs256(jwt, s.devKey));
    assert.ok(!verifyHs256(jwt, s.devKey + 'x'));
    assert.ok(!verifyHs256(jwt, s.teamId));
    const [h, p, sig] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    claims.role = 'moderator2';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    assert.ok(!verifyHs256(forged, s.devKey));
  });

  test('defaults: {} gives exp = iat + 3600 and a verifiable token', async () => {
    const r = await token(room.id, {});
    assert.equal(r.status, 200, r.text);
    const { header, claims } = decodeJwt(r.json.token);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(claims.td, s.teamId);
    assert.equal(claims.rd, room.id);
    assert.ok(Math.abs(claims.exp - claims.iat - 3600) <= 1, `exp ${claims.exp} iat ${claims.iat}`);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) <= 5);
    if (claims.role !== undefined) assert.ok(['moderator', 'speaker'].includes(claims.role), `role ${claims.role}`);
    assert.ok(verifyHs256(r.json.token, s.devKey));
    assert.equal(r.json.link, `${PUBLIC_URL}/Token-Room?token=${r.json.token}`);
  });

  test('token by friendly_url (any case) is for the same room', async () => {
    for (const key of ['Token-Room', 'token-room', 'TOKEN-ROOM']) {
      const r = await token(key, { role: 'moderator' });
      assert.equal(r.status, 200, `${key}: ${r.text}`);
      const { claims } = decodeJwt(r.json.token);
      assert.equal(claims.rd, room.id);
      assert.equal(claims.role, 'moderator');
      assert.ok(verifyHs256(r.json.token, s.devKey));
    }
  });

  async function expect422(body, field) {
    const r = await token(room.id, body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: expected 422, got ${r.status} ${r.text}`);
    assert.equal(r.json.message, 'The given data was invalid.');
    if (field) {
      assert.ok(Array.isArray(r.json.errors?.[field]) && r.json.errors[field].length > 0,
        `${JSON.stringify(body)}: errors.${field} missing in ${r.text}`);
    }
  }

  test('role not among the room roles -> 422 errors.role', async () => {
    await expect422({ role: 'attendee' }, 'role');
    await expect422({ role: 'nope' }, 'role');
    await expect422({ role: '' }, 'role');
    await expect422({ role: 5 }, 'role');
  });

  test('exp in the past, exp not after nbf, non-integer times -> 422', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect422({ exp: now - 10 }, 'exp');
    await expect422({ exp: 1 }, 'exp');
    await expect422({ exp: 0 }, 'exp');
    await expect422({ exp: -5 }, 'exp');
    await expect422({ exp: now + 100, nbf: now + 200 }, null);
    await expect422({ exp: now + 100, nbf: now + 100 }, null);
    await expect422({ exp: 'tomorrow' }, 'exp');
    await expect422({ exp: String(now + 100) }, 'exp');
    await expect422({ nbf: 'now' }, 'nbf');
    await expect422({ exp: true }, 'exp');
  });

  test('non-object body -> 422, malformed JSON -> 400', async () => {
    await expect422('[]', null);
    await expect422('"x"', null);
    const bad = await token(room.id, '{"u":');
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.json?.message || '', /^Malformed JSON/);
  });

  test('unknown room -> 404', async () => {
    for (const key of [randomUUID(), 'no-such-room']) {
      const r = await token(key, { role: 'moderator' });
      assert.equal(r.status, 404, `${key}: ${r.text}`);
      assert.equal(typeof r.json?.message, 'string');
    }
  });

  test('a room with a generated friendly_url also gets a working link', async () => {
    const c = await s.api('POST', '/api/v1/rooms', {});
    assert.equal(c.status, 200, c.text);
    const r = await token(c.json.id, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.link, `${PUBLIC_URL}/${c.json.friendly_url}?token=${r.json.token}`);
    assert.equal(decodeJwt(r.json.token).claims.rd, c.json.id);
    const d = await s.api('DELETE', '/api/v1/rooms/' + c.json.id);
    assert.equal(d.status, 204);
    assert.equal((await token(c.json.id, {})).status, 404);
  });
});

describe('room tokens with the default public URL', () => {
  let s;
  before(async () => { s = await startServer({ args: ['--rate-limit', '0'] }); });
  after(() => stopServer(s));

  test('link uses http://localhost:PORT and the token verifies with this server\'s key', async () => {
    const port = new URL(s.url).port;
    const c = await s.api('POST', '/api/v1/rooms', { friendly_url: 'local-room' });
    assert.equal(c.status, 200, c.text);
    const r = await s.api('POST', '/api/v1/rooms/local-room/token', { u: 'a', role: 'attendee' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.link, `http://localhost:${port}/local-room?token=${r.json.token}`);
    assert.ok(verifyHs256(r.json.token, s.devKey));
    assert.equal(decodeJwt(r.json.token).claims.role, 'attendee');
  });
});

// The E2EE requirement travels in the link: room_url and token links of E2EE
// rooms end with #e2ee (a fragment browsers never send to the server), and
// their tokens carry "e2ee": true, which the page reads from its own URL.
describe('E2EE in links and tokens', () => {
  let s;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0', '--public-url', PUBLIC_URL] });
    for (const [url, e2ee] of [['Sealed-Room', true], ['Plain-Room', false]])
      assert.equal((await s.api('POST', '/api/v1/rooms', { friendly_url: url, e2ee_enabled: e2ee })).status, 200);
  });
  after(() => stopServer(s));
  const token = (key, body) => s.api('POST', `/api/v1/rooms/${key}/token`, body);
  const pk = () => Buffer.alloc(32, 7).toString('base64');

  test('room_url ends with #e2ee exactly when the room is E2EE, in every room JSON', async () => {
    assert.equal((await s.api('GET', '/api/v1/rooms/Sealed-Room')).json.room_url, `${PUBLIC_URL}/Sealed-Room#e2ee`);
    assert.equal((await s.api('GET', '/api/v1/rooms/Plain-Room')).json.room_url, `${PUBLIC_URL}/Plain-Room`);
    const list = (await s.api('GET', '/api/v1/rooms')).json.data;
    for (const r of list) assert.equal(r.room_url, `${PUBLIC_URL}/${r.friendly_url}${r.e2ee_enabled ? '#e2ee' : ''}`);
    let p = await s.api('PATCH', '/api/v1/rooms/Plain-Room', { e2ee_enabled: true });
    assert.equal(p.json.room_url, `${PUBLIC_URL}/Plain-Room#e2ee`);
    p = await s.api('PATCH', '/api/v1/rooms/Plain-Room', { e2ee_enabled: false });
    assert.equal(p.json.room_url, `${PUBLIC_URL}/Plain-Room`);
  });

  test('a token for an E2EE room claims "e2ee": true and its link ends with ?token=...#e2ee', async () => {
    const r = await token('Sealed-Room', { u: 'Ann' });
    assert.equal(r.status, 200, r.text);
    assert.equal(decodeJwt(r.json.token).claims.e2ee, true);
    assert.equal(r.json.link, `${PUBLIC_URL}/Sealed-Room?token=${r.json.token}#e2ee`);
    const plain = await token('Plain-Room', {});
    assert.equal('e2ee' in decodeJwt(plain.json.token).claims, false);
    assert.equal(plain.json.link, `${PUBLIC_URL}/Plain-Room?token=${plain.json.token}`);
  });

  test('"e2ee" in the request sets the claim explicitly; it must be a boolean', async () => {
    let r = await token('Plain-Room', { e2ee: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(decodeJwt(r.json.token).claims.e2ee, true);
    assert.match(r.json.link, /\?token=[^#]+#e2ee$/);
    r = await token('Sealed-Room', { e2ee: false });
    assert.equal(r.status, 200, r.text);
    assert.equal('e2ee' in decodeJwt(r.json.token).claims, false);
    assert.doesNotMatch(r.json.link, /#/);
    for (const bad of ['yes', 1, null, {}]) {
      r = await token('Sealed-Room', { e2ee: bad });
      assert.equal(r.status, 422, `${JSON.stringify(bad)}: ${r.text}`);
      assert.ok(r.json.errors.e2ee, r.text);
    }
  });

  test('signalling accepts a token with the claim; refuses it in a room that is not E2EE', async () => {
    const join = async (room, tok, extra = {}) => {
      const c = await connectWs(s.url);
      c.send({ type: 'join', room, name: 'T', token: tok, ...extra });
      const first = await c.next((m) => m.type === 'welcome' || m.type === 'error');
      return { c, first };
    };
    const sealed = (await token('Sealed-Room', {})).json.token;
    let j = await join('Sealed-Room', sealed, { public_key: pk(), signing_key: pk() });
    assert.equal(j.first.type, 'welcome', JSON.stringify(j.first));
    assert.equal(j.first.room.e2ee_enabled, true);
    j.c.sock.destroy();
    j = await join('Sealed-Room', sealed);
    assert.equal(j.first.code, 'e2ee_required', 'still needs a public key');
    const promised = (await token('Plain-Room', { e2ee: true })).json.token;
    j = await join('Plain-Room', promised, { public_key: pk(), signing_key: pk() });
    assert.equal(j.first.type, 'error');
    assert.equal(j.first.code, 'e2ee_not_enabled');
    await j.c.waitClosed();
    // A token minted with a non-boolean claim is malformed.
    const [h, p] = sealed.split('.');
    const claims = { ...JSON.parse(Buffer.from(p, 'base64url')), e2ee: 'yes' };
    const data = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const forged = `${data}.${createHmac('sha256', s.devKey).update(data).digest('base64url')}`;
    j = await join('Sealed-Room', forged, { public_key: pk(), signing_key: pk() });
    assert.equal(j.first.code, 'token_invalid');
  });
});
