// Micro benchmark (printed, not asserted): per-frame time of Sender.encrypt
// and Receiver.decrypt for 1 KB and 50 KB VP8 frames in Node's WebCrypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';

import { randomBytes } from '../../web/e2ee/util.js';
import { Sender } from '../../web/e2ee/sender.js';
import { Receiver } from '../../web/e2ee/receiver.js';

async function bench(size, iterations) {
  const s = await Sender.create({ slot: 1 });
  const r = new Receiver({ slot: 1 });
  await r.addKey(1, 0, s.baseKey);
  const frame = randomBytes(size);
  frame[0] |= 1; // VP8 delta frame: 3-byte prefix
  const wires = [];
  for (let i = 0; i < 50; i++) wires.push(await s.encrypt('vp8', frame)); // warm-up
  for (const w of wires) await r.decrypt('vp8', w);
  wires.length = 0;
  let t = performance.now();
  for (let i = 0; i < iterations; i++) wires.push(await s.encrypt('vp8', frame));
  const enc = (performance.now() - t) / iterations;
  t = performance.now();
  for (const w of wires) {
    const o = await r.decrypt('vp8', w);
    if (!o.ok) throw new Error(o.status);
  }
  const dec = (performance.now() - t) / iterations;
  // Pipelined: many frames in flight at once (a transform does not wait).
  t = performance.now();
  await Promise.all(Array.from({ length: iterations }, () => s.encrypt('vp8', frame)));
  const encPar = (performance.now() - t) / iterations;
  return { enc, dec, encPar };
}

test('benchmark: per-frame encrypt/decrypt time, 1 KB and 50 KB', async () => {
  for (const [size, n] of [[1024, 2000], [50 * 1024, 400]]) {
    const b = await bench(size, n);
    const us = (x) => `${(x * 1000).toFixed(1)} us`;
    console.log(
      `# bench ${size / 1024} KB frame: encrypt ${us(b.enc)}/frame, decrypt ${us(b.dec)}/frame, ` +
        `encrypt pipelined ${us(b.encPar)}/frame (${n} frames, ${((size / 1024 / 1024) / (b.enc / 1000)).toFixed(0)} MB/s sequential)`,
    );
    assert.ok(b.enc > 0);
  }
});
