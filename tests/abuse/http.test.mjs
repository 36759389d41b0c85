// Hostile HTTP requests (issue 9, 1.8): request smuggling. A request whose
// body length two parsers can read differently (Content-Length and
// Transfer-Encoding together, two Content-Lengths, a length that is not
// plain digits) was accepted; behind a proxy that frames it the other way,
// the rest of the body becomes a second request the proxy never saw. Now it
// is refused with 400 and its connection closed, before any body is read,
// while an honest call runs in another room.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { honestCall } from '../lib/abuse.mjs';

// Sends raw bytes; resolves with everything the server sent until it closed.
function raw(url, text, timeoutMs = 3000) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let got = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no close within ${timeoutMs} ms; got ${got.slice(0, 200)}`)); }, timeoutMs);
    sock.on('data', (d) => { got += d; });
    sock.on('close', () => { clearTimeout(timer); resolve(got); });
    sock.on('error', () => {});
    sock.write(text);
  });
}

describe('hostile HTTP requests', () => {
  let s, survive, stop;
  before(async () => { ({ s, survive, stop } = await honestCall()); }, { timeout: 60000 });
  after(async () => { if (stop) await stop(); });

  test('ambiguous framing is refused with 400 and the connection closed; the smuggled request never runs', { timeout: 30000 }, async () => {
    const auth = s.auth();
    // The smuggled request: would create a room if it ran.
    const smuggled = `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{"friendly_url":"smuggled-1"}`;
    const chunked = `0\r\n\r\n${smuggled}`;
    const cases = [
      ['Content-Length and Transfer-Encoding', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: ${chunked.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`],
      ['Transfer-Encoding and Content-Length', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunked}`],
      ['two different Content-Lengths', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 2\r\nContent-Length: ${2 + smuggled.length}\r\n\r\n{}${smuggled}`],
      ['two equal Content-Lengths, other case', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\ncontent-length: 2\r\nContent-Length: 2\r\n\r\n{}${smuggled}`],
      ['a signed Content-Length', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: +2\r\n\r\n{}${smuggled}`],
      ['two Transfer-Encodings', `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`],
    ];
    await survive('smuggling', async () => {
      for (const [what, text] of cases) {
        const reply = await raw(s.url, text);
        assert.match(reply, /^HTTP\/1\.1 400 /, `${what}: ${reply.slice(0, 120)}`);
        // Nothing after it is answered: no other status than 400. (For a
        // malformed Content-Length, libmicrohttpd answers by itself, before
        // sealroomd sees the request, and writes its 400 header twice.)
        assert.deepEqual([...new Set(reply.match(/HTTP\/1\.1 \d+/g))], ['HTTP/1.1 400'], `${what}: ${reply.slice(0, 400)}`);
      }
    });
    const rooms = await s.api('GET', '/api/v1/rooms?limit=100');
    assert.equal(rooms.status, 200);
    assert.ok(!JSON.stringify(rooms.json).includes('smuggled'), 'a smuggled request ran');
    // Honest framing still works, both ways.
    const ok = await raw(s.url, `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 26\r\nConnection: close\r\n\r\n{"friendly_url":"honest-2"}`.replace('26', '27'));
    assert.match(ok, /^HTTP\/1\.1 20[01] /, ok.slice(0, 200));
    const okChunked = await raw(s.url, `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1b\r\n{"friendly_url":"honest-3"}\r\n0\r\n\r\n`);
    assert.match(okChunked, /^HTTP\/1\.1 20[01] /, okChunked.slice(0, 200));
  });
});
