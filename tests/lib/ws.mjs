// A small WebSocket client for tests (RFC 6455 over node:net): text frames,
// masking, close, and raw access for sending malformed frames on purpose.
import net from 'node:net';
import { randomBytes, createHash } from 'node:crypto';

// opts.localAddress: the client address to connect from (127.0.0.x on
// loopback: tests that play many clients); opts.timeoutMs: how long the
// upgrade may take (a server at its connection limit leaves a new
// connection in the kernel's backlog, unanswered), default 10 s.
export function connectWs(httpUrl, path = '/ws', opts = {}) {
  const u = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port: Number(u.port), host: u.hostname, localAddress: opts.localAddress });
    const upgradeTimer = setTimeout(() => { reject(new Error('no upgrade in time')); sock.destroy(); }, opts.timeoutMs ?? 10000);
    const key = randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const c = {
      sock, messages: [], closed: false, closeCode: null, waiters: [],
      send(obj) { c.sendRaw(frame(0x1, Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)))); },
      sendBinary(data) { c.sendRaw(frame(0x2, Buffer.from(data))); },
      sendRaw(bytes) { if (!sock.destroyed) sock.write(bytes); },
      close() { c.sendRaw(frame(0x8, Buffer.from([0x03, 0xe8]))); },
      // Resolves with the next message matching pred (already received ones first).
      next(pred = () => true, timeoutMs = 5000) {
        const i = c.messages.findIndex(pred);
        if (i >= 0) return Promise.resolve(c.messages.splice(i, 1)[0]);
        return new Promise((res, rej) => {
          const w = { pred, res, timer: setTimeout(() => { c.waiters.splice(c.waiters.indexOf(w), 1); rej(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(c.messages).slice(0, 500)}`)); }, timeoutMs) };
          c.waiters.push(w);
        });
      },
      waitClosed(timeoutMs = 5000) {
        if (c.closed) return Promise.resolve(c.closeCode);
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error('socket not closed in time')), timeoutMs);
          sock.once('close', () => { clearTimeout(t); res(c.closeCode); });
        });
      },
    };
    const deliver = (msg) => {
      const w = c.waiters.find((x) => x.pred(msg));
      if (w) { clearTimeout(w.timer); c.waiters.splice(c.waiters.indexOf(w), 1); w.res(msg); } else c.messages.push(msg);
    };
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        if (!/^HTTP\/1\.1 101/.test(head) || !head.includes(accept)) { reject(new Error('no upgrade: ' + head)); sock.destroy(); return; }
        upgraded = true;
        clearTimeout(upgradeTimer);
        resolve(c);
      }
      for (;;) {
        if (buf.length < 2) return;
        const op = buf[0] & 0x0f;
        let len = buf[1] & 0x7f, off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 0x1) { let m; try { m = JSON.parse(payload.toString()); } catch { m = { raw: payload.toString() }; } deliver(m); }
        else if (op === 0x8) { c.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005; }
        else if (op === 0x9) c.sendRaw(frame(0xA, payload)); // pong
      }
    });
    sock.on('close', () => {
      c.closed = true;
      if (!upgraded) reject(new Error('connection closed before the upgrade'));
    });
    sock.on('error', (e) => { if (!upgraded) reject(e); });
  });
}

// A masked client frame (FIN set).
export function frame(opcode, payload, { fin = true, mask = true } = {}) {
  const len = payload.length;
  let head;
  if (len < 126) head = Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | len]);
  else if (len < 65536) { head = Buffer.alloc(4); head[0] = (fin ? 0x80 : 0) | opcode; head[1] = (mask ? 0x80 : 0) | 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[0] = (fin ? 0x80 : 0) | opcode; head[1] = (mask ? 0x80 : 0) | 127; head.writeBigUInt64BE(BigInt(len), 2); }
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

// Random 32-byte keys in base64: what an E2EE join carries (the server only
// checks their form).
export const randomKey = () => randomBytes(32).toString('base64');

// Joins `room` as `name` over a raw WebSocket with random public and signing
// keys; opts.from: the client address, opts.token: a join token. Resolves with {c, welcome} or
// {c, error}, whichever the server answers.
export async function joinRaw(httpUrl, room, name, { from, timeoutMs, token } = {}) {
  const c = await connectWs(httpUrl, '/ws', { localAddress: from, timeoutMs });
  c.send({ type: 'join', room, name, public_key: randomKey(), signing_key: randomKey(), ...(token ? { token } : {}) });
  const m = await c.next((x) => x.type === 'welcome' || x.type === 'error', 10000);
  return m.type === 'welcome' ? { c, welcome: m } : { c, error: m };
}
