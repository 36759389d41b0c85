// sealroom E2EE for the browser (docs/e2ee.md): one import for the meeting
// page and its worker. Plain ES modules, no DOM, no build step; WebCrypto only.
//
//   util.js     status names (Status, E2eeError), bytes, strict base64 / UTF-8, HKDF
//   sframe.js   RFC 9605 header, key derivation, encrypt / decrypt (suites 1-8; 4 on the wire)
//   codec.js    clear-prefix rules (VP8 10/3, Opus 1, VP9 and others 0)
//   frame.js    media frames with one known key (prefix || SFrame)
//   replay.js   128-counter replay window
//   keys.js     KID layout, generations, ratchet, X25519 pairwise keys, key messages, acks
//   payload.js  strict parsing of relay payloads (key, ack, chat)
//   sender.js   Sender: shared CTR, current / pending key, ratchet, rotation
//   receiver.js Receiver: per-sender key table, ratchet following, replay, expiry, drop counters
//   chat.js     sealed chat and display names, sequence numbers
//   code.js     security code and fingerprints
//   sign.js     sender authentication: Signer, Verifier, signed frame statements
//
// Typical use in the worker that runs every transform:
//   const tx = await Sender.create({ slot: mySlot });            // one for all outgoing tracks
//   out = await tx.encrypt(codec, frame.data)                      // codec: codecFromMimeType(...)
//   const rx = new Receiver({ slot: theirSlot });                  // one per remote participant
//   await rx.addKey(g, r, baseKey)                                 // from openKeyMessage(...)
//   const res = await rx.decrypt(codec, frame.data);  if (res.ok) frame.data = res.data.buffer; else drop
export * from './util.js';
export * from './sframe.js';
export * from './codec.js';
export * from './frame.js';
export * from './replay.js';
export * from './keys.js';
export * from './payload.js';
export * from './sender.js';
export * from './receiver.js';
export * from './chat.js';
export * from './code.js';
export * from './sign.js';
