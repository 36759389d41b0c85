// RFC 9605 test vectors (tests/vectors/sframe) against web/e2ee/sframe.js:
// every `header` vector, the AEAD vectors of the CTR+HMAC suites, and every
// `sframe` vector of every suite (0x0001-0x0005, and 0x0006-0x0008 of
// test-vectors-aes256.json), plus header parsing edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

import { fromHex, toHex } from '../../web/e2ee/util.js';
import {
  encodeHeader, parseHeader, headerLength, sframeLabels, deriveSFrameSecrets, deriveSFrameKey, nonceFor,
  sframeEncrypt, sframeDecrypt, aeadRaw, aeadOpenRaw, suiteParams,
} from '../../web/e2ee/sframe.js';

// The RFC 9605 vectors, vendored in tests/vectors/sframe/ (as for the C suite).
const here = dirname(fileURLToPath(import.meta.url));
const VECTORS = resolve(here, '../vectors/sframe/test-vectors.json');
const VECTORS_256 = resolve(here, '../vectors/sframe/test-vectors-aes256.json');

// KIDs and CTRs go up to 2^64 - 1: keep long integers exact (as strings).
function loadJson(path) {
  return JSON.parse(readFileSync(path, 'utf8').replace(/:\s*(\d{16,})/g, ': "$1"'));
}

const missing = (p) => (existsSync(p) ? false : `vector file ${p} is missing`);

test('RFC 9605 header vectors: encode and parse each', { skip: missing(VECTORS) }, () => {
  const v = loadJson(VECTORS);
  assert.ok(v.header.length > 0);
  let n = 0;
  for (const h of v.header) {
    const kid = BigInt(h.kid);
    const ctr = BigInt(h.ctr);
    const enc = encodeHeader(kid, ctr);
    assert.equal(toHex(enc), h.encoded, `encode kid=${kid} ctr=${ctr}`);
    assert.equal(headerLength(kid, ctr), enc.length);
    const parsed = parseHeader(fromHex(h.encoded + 'ffee'));
    assert.equal(parsed.kid, kid);
    assert.equal(parsed.ctr, ctr);
    assert.equal(parsed.len, enc.length);
    n++;
  }
  console.log(`# RFC header vectors passed: ${n}`);
});

test('RFC 9605 AES-CTR + HMAC AEAD vectors (suites 1-3, 6-8)', { skip: missing(VECTORS) }, async () => {
  const v = loadJson(VECTORS);
  const all = [...v.aes_ctr_hmac, ...(v.aes_256_ctr_hmac || [])];
  assert.ok(all.length >= 3);
  for (const t of all) {
    const p = suiteParams(t.cipher_suite);
    assert.equal(toHex(fromHex(t.key).subarray(0, p.encLen)), t.enc_key);
    assert.equal(toHex(fromHex(t.key).subarray(p.encLen)), t.auth_key);
    const ct = await aeadRaw(t.cipher_suite, fromHex(t.key), fromHex(t.nonce), fromHex(t.aad), fromHex(t.pt));
    assert.equal(toHex(ct), t.ct, `suite ${t.cipher_suite}`);
    const pt = await aeadOpenRaw(t.cipher_suite, fromHex(t.key), fromHex(t.nonce), fromHex(t.aad), fromHex(t.ct));
    assert.equal(toHex(pt), t.pt);
    const bad = fromHex(t.ct);
    bad[bad.length - 1] ^= 1;
    await assert.rejects(aeadOpenRaw(t.cipher_suite, fromHex(t.key), fromHex(t.nonce), fromHex(t.aad), bad), {
      status: 'SRE_ERR_AUTH',
    });
  }
  console.log(`# RFC AEAD vectors passed: ${all.length}`);
});

async function checkSFrameVector(t) {
  const kid = BigInt(t.kid);
  const ctr = BigInt(t.ctr);
  const labels = sframeLabels(kid, t.cipher_suite);
  assert.equal(toHex(labels.key), t.sframe_key_label);
  assert.equal(toHex(labels.salt), t.sframe_salt_label);
  const s = await deriveSFrameSecrets(fromHex(t.base_key), kid, t.cipher_suite);
  assert.equal(toHex(s.key), t.sframe_key, `sframe_key suite ${t.cipher_suite}`);
  assert.equal(toHex(s.salt), t.sframe_salt, `sframe_salt suite ${t.cipher_suite}`);
  assert.equal(toHex(nonceFor(s.salt, ctr)), t.nonce);
  const key = await deriveSFrameKey(fromHex(t.base_key), kid, t.cipher_suite);
  const ct = await sframeEncrypt(key, ctr, fromHex(t.metadata), fromHex(t.pt));
  assert.equal(toHex(ct), t.ct, `ciphertext suite ${t.cipher_suite}`);
  const hdr = parseHeader(fromHex(t.ct));
  assert.equal(toHex(fromHex(t.aad)), toHex(fromHex(t.ct).subarray(0, hdr.len)) + t.metadata);
  const pt = await sframeDecrypt(key, hdr, fromHex(t.metadata), fromHex(t.ct));
  assert.equal(toHex(pt), t.pt);
  // Tampering with the header, the metadata or the tag fails authentication.
  const c1 = fromHex(t.ct);
  c1[c1.length - 1] ^= 0x80;
  await assert.rejects(sframeDecrypt(key, hdr, fromHex(t.metadata), c1), { status: 'SRE_ERR_AUTH' });
  const md = fromHex(t.metadata);
  md[0] ^= 1;
  await assert.rejects(sframeDecrypt(key, hdr, md, fromHex(t.ct)), { status: 'SRE_ERR_AUTH' });
}

test('RFC 9605 sframe vectors (suites 1-5)', { skip: missing(VECTORS) }, async () => {
  const v = loadJson(VECTORS);
  const suites = v.sframe.map((t) => t.cipher_suite);
  assert.deepEqual(suites.sort(), [1, 2, 3, 4, 5]);
  for (const t of v.sframe) await checkSFrameVector(t);
  console.log(`# RFC sframe vectors passed: ${v.sframe.length} (suites ${suites.join(', ')})`);
});

test('sframe vectors of the AES-256 CTR+HMAC suites 6-8 (test-vectors-aes256.json)', { skip: missing(VECTORS_256) }, async () => {
  const v = loadJson(VECTORS_256);
  for (const t of v.sframe_aes_256_ctr_hmac) await checkSFrameVector(t);
  console.log(`# aes256 sframe vectors passed: ${v.sframe_aes_256_ctr_hmac.length}`);
});

test('header: docs/e2ee.md 4.2 examples and sealroom KIDs', () => {
  assert.equal(toHex(encodeHeader(0, 0)), '00');
  assert.equal(toHex(encodeHeader(1, 256)), '190100');
  assert.equal(toHex(encodeHeader(255, 16777215)), '8affffffff');
  assert.equal(toHex(encodeHeader(256, 0)), '900100');
  assert.equal(toHex(encodeHeader(65792, 0)), 'a0010100');
  assert.equal(headerLength((1n << 64n) - 1n, (1n << 64n) - 1n), 17);
});

test('header parsing refuses truncated and non-minimal encodings', () => {
  const bad = (hex, status) => assert.throws(() => parseHeader(fromHex(hex)), { status }, hex);
  bad('', 'SRE_ERR_HEADER_TRUNCATED');
  bad('80', 'SRE_ERR_HEADER_TRUNCATED'); // a 1-byte KID announced, none follows
  bad('9001', 'SRE_ERR_HEADER_TRUNCATED'); // a 2-byte KID announced, 1 byte
  bad('0f0000', 'SRE_ERR_HEADER_TRUNCATED'); // an 8-byte CTR announced, 2 bytes
  bad('8808', 'SRE_ERR_HEADER_TRUNCATED'); // KID fine, its 1-byte CTR missing
  bad('8007', 'SRE_ERR_HEADER_NONMINIMAL'); // KID 7 belongs in the config byte
  bad('8000', 'SRE_ERR_HEADER_NONMINIMAL');
  bad('900008', 'SRE_ERR_HEADER_NONMINIMAL'); // leading zero byte
  bad('a0000100', 'SRE_ERR_HEADER_NONMINIMAL'); // KID 256 in 3 bytes
  bad('0807', 'SRE_ERR_HEADER_NONMINIMAL'); // CTR 7 belongs in the config byte
  bad('090009', 'SRE_ERR_HEADER_NONMINIMAL');
  // The same values minimally encoded parse.
  assert.deepEqual(parseHeader(fromHex('8008')), { kid: 8n, ctr: 0n, len: 2 });
  assert.deepEqual(parseHeader(fromHex('0808')), { kid: 0n, ctr: 8n, len: 2 });
  assert.deepEqual(parseHeader(fromHex('900100')), { kid: 256n, ctr: 0n, len: 3 });
  // Unsupported suites are refused.
  assert.throws(() => suiteParams(9), { status: 'SRE_ERR_SUITE' });
  assert.throws(() => suiteParams(0), { status: 'SRE_ERR_SUITE' });
});

test('header round trip over every length', () => {
  for (let kb = 0; kb <= 64; kb += 4) {
    for (let cb = 0; cb <= 64; cb += 4) {
      const kid = kb === 0 ? 0n : (1n << BigInt(kb)) - 1n;
      const ctr = cb === 0 ? 5n : (1n << BigInt(cb)) - 3n;
      const h = encodeHeader(kid, ctr);
      assert.deepEqual(parseHeader(h), { kid, ctr, len: h.length });
    }
  }
});
