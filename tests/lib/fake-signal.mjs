// A hostile signalling server for client tests: an HTTP server on loopback
// that answers every WebSocket upgrade itself (RFC 6455 by hand, no library),
// so a test can send the native client (sealroom-bot) anything: malformed or
// huge messages, lying welcomes and SDPs, control-frame floods, bad 101s.
//
//   const fake = await startFakeSignal(async (conn) => { ... });
//   fake.url            http://127.0.0.1:PORT (startBot turns it into ws://.../ws)
//   conn.send(obj|str)  one unmasked text frame (FIN)
//   conn.frame(op, payload, {fin, rsv})  one raw frame
//   conn.raw(bytes)     bytes as they are
//   conn.messages       the client's text messages, parsed (JSON or {raw})
//   conn.next(pred, ms) the next client message matching pred
//   conn.readPaused     set true to stop reading the socket (backpressure)
//   fake.close()        ends every connection and the listener
// opts.handshake(req, accept): the 101 answer as a string (default: a correct
// one); return null to answer nothing.
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export function acceptValue(key) {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

// An unmasked server frame.
export function serverFrame(opcode, payload, { fin = true, rsv = 0 } = {}) {
  payload = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = payload.length;
  const b0 = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  let head;
  if (len < 126) head = Buffer.from([b0, len]);
  else if (len < 65536) { head = Buffer.alloc(4); head[0] = b0; head[1] = 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[0] = b0; head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
  return Buffer.concat([head, payload]);
}

export async function startFakeSignal(onConn, opts = {}) {
  const conns = new Set();
  const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
  server.on('upgrade', (req, sock) => {
    const key = req.headers['sec-websocket-key'] || '';
    const accept = acceptValue(key);
    const head = opts.handshake ? opts.handshake(req, accept)
      : `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
    sock.setNoDelay(true);
    sock.on('error', () => {});
    const conn = makeConn(sock);
    conns.add(conn);
    sock.on('close', () => conns.delete(conn));
    if (head === null) return;
    sock.write(head);
    Promise.resolve(onConn(conn, req)).catch((e) => { conn.error = e; });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    conns,
    close() {
      for (const c of conns) c.sock.destroy();
      server.close();
    },
  };
}

function makeConn(sock) {
  let buf = Buffer.alloc(0);
  const conn = {
    sock, messages: [], waiters: [], closeCode: null, closed: false, pings: 0, pongs: 0, bytesIn: 0,
    send(obj) { conn.frame(0x1, Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj))); },
    frame(op, payload, o) { conn.raw(serverFrame(op, payload, o)); },
    raw(bytes) { if (!sock.destroyed) return sock.write(bytes); return false; },
    next(pred = () => true, timeoutMs = 5000) {
      const i = conn.messages.findIndex(pred);
      if (i >= 0) return Promise.resolve(conn.messages.splice(i, 1)[0]);
      return new Promise((res, rej) => {
        const w = { pred, res, timer: setTimeout(() => { conn.waiters.splice(conn.waiters.indexOf(w), 1); rej(new Error(`fake server: no matching client message within ${timeoutMs} ms; got ${JSON.stringify(conn.messages).slice(0, 300)}`)); }, timeoutMs) };
        conn.waiters.push(w);
      });
    },
    set readPaused(v) { if (v) sock.pause(); else sock.resume(); },
    waitClosed(timeoutMs = 5000) {
      if (conn.closed) return Promise.resolve(conn.closeCode);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('client did not close in time')), timeoutMs);
        sock.once('close', () => { clearTimeout(t); res(conn.closeCode); });
      });
    },
  };
  const deliver = (m) => {
    const w = conn.waiters.find((x) => x.pred(m));
    if (w) { clearTimeout(w.timer); conn.waiters.splice(conn.waiters.indexOf(w), 1); w.res(m); } else conn.messages.push(m);
  };
  sock.on('data', (d) => {
    conn.bytesIn += d.length;
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const op = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const mk = masked ? buf.subarray(off, off + 4) : null;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mk) for (let i = 0; i < payload.length; i++) payload[i] ^= mk[i & 3];
      buf = buf.subarray(off + len);
      if (op === 0x1) { let m; try { m = JSON.parse(payload.toString()); } catch { m = { raw: payload.toString() }; } deliver(m); }
      else if (op === 0x8) { conn.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005; if (!sock.destroyed) sock.end(serverFrame(0x8, payload.subarray(0, 2))); }
      else if (op === 0x9) { conn.pings++; conn.frame(0xA, payload); }
      else if (op === 0xA) conn.pongs++;
    }
  });
  sock.on('close', () => { conn.closed = true; });
  return conn;
}

export const uuid = () => randomUUID();
export const b64key = () => randomBytes(32).toString('base64');

// A welcome as docs/signalling.md describes it; o overrides any member.
export function welcome(o = {}) {
  const { room: roomOver, ...rest } = o;
  return {
    type: 'welcome',
    participant_id: uuid(),
    session_id: uuid(),
    slot: 1,
    name: 'bot',
    room: {
      id: 'room1', friendly_url: 'room1', description: null, e2ee_enabled: false, privacy: 'public',
      max_participants: 1000, chat_enabled: true, screenshare_enabled: true,
      audio_on_join_enabled: true, video_on_join_enabled: true, ...(roomOver || {}),
    },
    role: { name: 'participant', display_name: 'Participant', permissions: ['broadcast', 'chat'] },
    participants: [],
    ...rest,
  };
}

export function participant(o = {}) {
  return { id: uuid(), name: 'peer', role: 'participant', slot: 2, public_key: b64key(), signing_key: b64key(), tracks: [], ...o };
}

const FP = Array.from({ length: 32 }, (_, i) => (i * 7 + 3).toString(16).padStart(2, '0').toUpperCase()).join(':');

// A server SDP (publish answer or subscribe offer) with `lines` m-lines.
// lines: [{kind:'audio'|'video', mid, dir, ssrc, msid, port}]; o.candidates:
// candidate attribute values; o.setup ('passive' | 'actpass').
export function serverSdp(lines, o = {}) {
  const ufrag = o.ufrag || 'fake', pwd = o.pwd || 'fakefakefakefakefakefake';
  const mids = lines.map((l) => l.mid);
  let s = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n';
  s += `a=group:BUNDLE ${mids.join(' ')}\r\na=msid-semantic: WMS\r\n`;
  for (const l of lines) {
    const audio = l.kind === 'audio';
    const pt = audio ? 111 : 96;
    s += `m=${l.kind} ${l.port ?? 9} UDP/TLS/RTP/SAVPF ${pt}\r\nc=IN IP4 127.0.0.1\r\n`;
    s += `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\na=fingerprint:sha-256 ${o.fingerprint || FP}\r\na=setup:${o.setup || 'actpass'}\r\na=mid:${l.mid}\r\n`;
    s += `a=${l.dir || 'sendonly'}\r\na=rtcp-mux\r\n`;
    s += audio ? `a=rtpmap:111 opus/48000/2\r\n` : `a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n`;
    if (l.msid) s += `a=msid:${l.msid} t${l.mid}\r\n`;
    if (l.ssrc) s += `a=ssrc:${l.ssrc} cname:x\r\n`;
    if (l === lines[0]) for (const c of o.candidates || ['1 1 udp 2130706431 127.0.0.1 9 typ host']) s += `a=candidate:${c}\r\n`;
  }
  return s;
}
