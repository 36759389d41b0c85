// Micro benchmark of Sender.encrypt and Receiver.decrypt for 1 KB and 50 KB
// VP8 frames in Node's WebCrypto, with what it can assert without being flaky
// on a loaded machine:
//   - every timed frame decrypts back to the original, its clear VP8 prefix
//     is unchanged, and the wire is exactly prefix + SFrame header (minimal
//     KID/CTR encoding) + ciphertext of the same length + 16-byte tag;
//   - frames encrypted concurrently (the pipelined run) all get distinct CTRs
//     (no AES-GCM nonce reuse) and all decrypt;
//   - cost relative to a baseline measured in the same run, interleaved in
//     rounds and taking each side's best round (machine load hits both): one
//     AES-128-GCM call of WebCrypto on the same bytes (the work an SFrame
//     encryption cannot avoid). Bounds are loose (a regression to a much
//     slower path, e.g. copying the frame byte by byte, trips them; noise
//     does not);
//   - one absolute bound only, generous: a 50 KB frame (a 720p key frame)
//     encrypts and decrypts in well under a 30 fps frame interval.
// Timings are printed (the report reads them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';

import { randomBytes, subtle } from '../../web/e2ee/util.js';
import { headerLength, parseHeader } from '../../web/e2ee/sframe.js';
import { Sender } from '../../web/e2ee/sender.js';
import { Receiver } from '../../web/e2ee/receiver.js';

const TAG = 16; // AES_128_GCM_SHA256_128
const PREFIX = 3; // VP8 delta frame: the 3-byte frame tag stays clear
const ROUNDS = 4;

// RFC 9605 4.3, written out here rather than taken from sframe.js: one config
// byte, then KID and CTR each in the fewest big-endian bytes, or none when
// the value is below 8 (it then sits in the config byte).
const fieldBytes = (v) => { v = BigInt(v); let n = 0; if (v > 7n) for (; v; v >>= 8n) n++; return n; };
const expectedHeader = (kid, ctr) => 1 + fieldBytes(kid) + fieldBytes(ctr);

const equal = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

// Checks one wire frame against the frame it encrypts and the CTR it must carry.
function checkWire(s, frame, wire, ctr) {
  const hl = expectedHeader(s.kid, ctr);
  assert.equal(hl, headerLength(s.kid, ctr));
  assert.equal(wire.length, frame.length + hl + TAG, `frame ${ctr}: overhead is the header (${hl}) + tag`);
  assert.ok(equal(wire.subarray(0, PREFIX), frame.subarray(0, PREFIX)), 'the VP8 prefix stays clear');
  const h = parseHeader(wire, PREFIX);
  assert.equal(h.kid, BigInt(s.kid));
  assert.equal(h.ctr, BigInt(ctr));
  assert.equal(h.len, hl);
  // The payload is not sent in the clear (a 16-byte window would match by
  // chance with probability 2^-128).
  assert.ok(!equal(wire.subarray(PREFIX + hl, PREFIX + hl + 16), frame.subarray(PREFIX, PREFIX + 16)), 'payload encrypted');
}

async function bench(size, iterations) {
  const s = await Sender.create({ slot: 1 });
  const r = new Receiver({ slot: 1 });
  await r.addKey(1, 0, s.baseKey);
  const frame = randomBytes(size);
  frame[0] |= 1; // VP8 delta frame: 3-byte prefix
  // Baseline: AES-128-GCM over the same payload with an AAD as long as the
  // SFrame one (header + prefix), nothing else.
  const rawKey = await subtle.importKey('raw', randomBytes(16), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = randomBytes(12);
  const aad = randomBytes(PREFIX + 3);
  const payload = frame.subarray(PREFIX);
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, rawKey, payload));

  const best = { enc: Infinity, dec: Infinity, rawEnc: Infinity, rawDec: Infinity, encPar: Infinity };
  let t;
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up, untimed
    const wires = [];
    const ctr0 = Number(s.ctr);
    t = performance.now();
    for (let i = 0; i < iterations; i++) wires.push(await s.encrypt('vp8', frame));
    const enc = (performance.now() - t) / iterations;
    t = performance.now();
    const outs = [];
    for (const w of wires) outs.push(await r.decrypt('vp8', w));
    const dec = (performance.now() - t) / iterations;
    t = performance.now();
    for (let i = 0; i < iterations; i++) await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, rawKey, payload);
    const rawEnc = (performance.now() - t) / iterations;
    t = performance.now();
    for (let i = 0; i < iterations; i++) await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, rawKey, sealed);
    const rawDec = (performance.now() - t) / iterations;
    // Pipelined: many frames in flight at once (a transform does not wait).
    t = performance.now();
    const par = await Promise.all(Array.from({ length: iterations }, () => s.encrypt('vp8', frame)));
    const encPar = (performance.now() - t) / iterations;

    // Correctness of everything timed (checked outside the timed spans).
    for (let i = 0; i < iterations; i++) {
      checkWire(s, frame, wires[i], ctr0 + i);
      assert.ok(outs[i].ok, `frame ${ctr0 + i} did not decrypt: ${outs[i].status}`);
      assert.equal(outs[i].ctr, BigInt(ctr0 + i));
      assert.ok(equal(outs[i].data, frame), `frame ${ctr0 + i} decrypts to something else`);
    }
    const ctrs = new Set(par.map((w) => parseHeader(w, PREFIX).ctr));
    assert.equal(ctrs.size, iterations, 'concurrent encryptions took distinct CTRs');
    for (const w of par) assert.equal(w.length, size + expectedHeader(s.kid, parseHeader(w, PREFIX).ctr) + TAG);
    if (round === ROUNDS) { // the pipelined frames decrypt too (once: it costs as much as the rest)
      for (const w of par) {
        const o = await r.decrypt('vp8', w);
        assert.ok(o.ok && equal(o.data, frame), 'pipelined frames decrypt to the original');
      }
    }
    if (round === 0) continue;
    for (const [k, v] of Object.entries({ enc, dec, rawEnc, rawDec, encPar })) best[k] = Math.min(best[k], v);
  }
  assert.deepEqual({ ...r.drops }, {}, 'no frame was dropped');
  return best;
}

test('benchmark: encrypt/decrypt 1 KB and 50 KB frames: correct, bounded overhead, cost against raw AES-GCM', async () => {
  // [frame size, frames per round, max ratio to raw AES-GCM]. The JS around
  // the cipher (header, AAD, copies, replay window, key lookup) is a fixed
  // cost per frame: large against 1 KB of AES, small against 50 KB.
  for (const [size, n, maxRatio] of [[1024, 400, 10], [50 * 1024, 80, 5]]) {
    const b = await bench(size, n);
    const us = (x) => `${(x * 1000).toFixed(1)} us`;
    const encRatio = b.enc / b.rawEnc, decRatio = b.dec / b.rawDec;
    console.log(
      `# bench ${size / 1024} KB frame (best of ${ROUNDS} x ${n}): encrypt ${us(b.enc)}/frame, decrypt ${us(b.dec)}/frame, ` +
        `encrypt pipelined ${us(b.encPar)}/frame, ${((size / 1024 / 1024) / (b.enc / 1000)).toFixed(0)} MB/s sequential; ` +
        `raw AES-GCM ${us(b.rawEnc)} / ${us(b.rawDec)}: x${encRatio.toFixed(2)} encrypt, x${decRatio.toFixed(2)} decrypt`,
    );
    assert.ok(encRatio < maxRatio, `encrypt costs ${encRatio.toFixed(1)}x raw AES-GCM (bound ${maxRatio}x)`);
    assert.ok(decRatio < maxRatio, `decrypt costs ${decRatio.toFixed(1)}x raw AES-GCM (bound ${maxRatio}x)`);
    // Keeps up with 30 fps with room to spare, whatever the machine's load.
    assert.ok(b.enc < 33 && b.dec < 33, `${size} B frame: ${b.enc.toFixed(2)} ms encrypt, ${b.dec.toFixed(2)} ms decrypt`);
  }
});
