// STUN Binding requests as an ICE agent sends them (RFC 8489, RFC 8445 7.1):
// USERNAME, optional USE-CANDIDATE, MESSAGE-INTEGRITY keyed with the
// server's ice-pwd, FINGERPRINT. For tests that play a client which passes
// connectivity checks with the right credentials but does nothing else.
import { createHmac, randomBytes } from 'node:crypto';

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(buf) {
  let c = -1;
  for (const x of buf) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function attribute(type, value) {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

// username: "<server ufrag>:<client ufrag>"; pwd: the server's ice-pwd;
// extra: [[type, Buffer], ...] attributes before MESSAGE-INTEGRITY.
export function bindingRequest(username, pwd, { useCandidate = true, extra = [] } = {}) {
  const txid = randomBytes(12);
  const header = (bodyLen) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(bodyLen, 2);
    h.writeUInt32BE(0x2112a442, 4);
    txid.copy(h, 8);
    return h;
  };
  let body = attribute(0x0006, Buffer.from(username));
  if (useCandidate) body = Buffer.concat([body, attribute(0x0025, Buffer.alloc(0))]);
  for (const [type, value] of extra) body = Buffer.concat([body, attribute(type, value)]);
  // The integrity covers the header with the length as if it ended there.
  const mac = createHmac('sha1', pwd).update(Buffer.concat([header(body.length + 24), body])).digest();
  body = Buffer.concat([body, attribute(0x0008, mac)]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0);
  body = Buffer.concat([body, attribute(0x8028, fp)]);
  return Buffer.concat([header(body.length), body]);
}

// The ICE credentials of an SDP (the first a=ice-ufrag / a=ice-pwd).
export function iceCredentials(sdp) {
  return { ufrag: sdp.match(/a=ice-ufrag:(\S+)/)[1], pwd: sdp.match(/a=ice-pwd:(\S+)/)[1] };
}

// The UDP port of an SDP's host candidate: the port of the media worker that
// carries the transport (each worker has its own).
export function candidatePort(sdp) {
  const m = sdp.match(/a=candidate:\S+ 1 udp \d+ \S+ (\d+) typ host/i);
  if (!m) throw new Error('no UDP host candidate in the SDP');
  return Number(m[1]);
}
