// sealroom meeting: the E2EE worker (docs/e2ee.md). One module worker per
// join holds every secret of the call: the X25519 key pair, the pairwise
// keys, the one Sender shared by every outgoing track (one CTR per key,
// section 4.6) and a Receiver per remote participant. It runs every encoded
// transform of the page (RTCRtpScriptTransform, or streams transferred from
// Chromium's createEncodedStreams), the key exchange of section 8 and the
// verification of section 10: the security code and the fingerprints are
// computed here, from exactly the (id, public key, sealed name) triples whose
// pairwise keys carry our keys, never from the page's copy of the roster.
// Keys never leave this worker, except the participant's OWN keys through
// `exportKeys` when the server runs in test mode (the page then shows a banner).
// Sender authentication (docs/e2ee-sender-auth.md): every frame this worker
// encrypts is listed, by a hash, in a statement signed with the call's Ed25519
// key and relayed to everyone about every 100 ms (at once after a video key
// frame); an incoming frame reaches the decoder only once a verified statement
// of its sender lists it, so a member holding a sender's SFrame key still
// cannot forge that sender's frames.
//
// Messages from the page (postMessage objects, `op` names the kind):
//   init {}                          -> {op: 'ready', publicKey, signingKey (base64) | null, error?}
//   start {selfId, selfName, sessionId, slot, testMode, peers: [{id, slot, publicKey, signingKey}]}
//                                    after `welcome`
//   joined {peer}, left {id}         roster changes
//   relay {from, payload}            a key, ack or signed statement from another participant
//   owner {rid, owner}               the participant owning an incoming receiver
//   stream {role, kind, rid, owner, readable, writable}   createEncodedStreams path
//   exportKeys {reqId}               test mode only -> {op: 'exportKeys', reqId, keys}
//   chatSeal {reqId, text}           seal a chat text (docs/e2ee.md 9) under our current key
//                                    -> {op: 'chatSeal', reqId, payload | null, status?}
//   chatOpen {reqId, from, payload}  open a sealed chat message of another participant
//                                    -> {op: 'chatOpen', reqId, ok, type?, text?, time?, status?}
//   stop                             wipe everything (the page leaves)
// Messages to the page:
//   relays {list: [{to, payload}]}   send through the signalling relay (one batch)
//   broadcast {payload}              send to everyone in the room (`relay_all`): statements
//   stats {...}                      counters, every second and after key events
//   keyframe {}                      ask for a key frame (when no transformer can)
//   peer {id, ok, status?}           whether a participant is E2EE-capable
//   verify {code, complete, members, excluded, names, fingerprints}
//                                    the security code over `members` (ids, oneself
//                                    included); complete: every member's sealed name
//                                    arrived; excluded: roster ids without a valid key
//   alarm {id, reason}               the server tried to change a present participant's
//                                    key or slot ('key_changed'), or to bring back an id
//                                    that left ('rejoined'); the change was refused. Or a
//                                    participant that received our key left before a
//                                    complete code had included it for 10 s ('left_unverified',
//                                    with its sealed name or null and ms: how long it was in one)
//   attached {rid}                   a transform for this receiver/sender runs
//   error {status}                   encryption could not start: nothing is sent

import {
  Sender, RotationTracker, Receiver, Status, base64Encode, base64Decode, toHex, wipe,
  generateKeyPair, derivePairwiseKey, sealKeyMessage, openKeyMessage, ackPayload, parsePayload,
  checkId, checkPublicKey, codecFromMimeType, securityCode, fingerprint,
  chatKey, sealChat, openChat, ChatSequence, ChatCounter, CHAT_TEXT, NAME_MAX,
  Signer, Verifier, SIGN, parseFrame, openSignedChat, epochGeneration, kidMake,
} from '/e2ee/index.js';

const st = {
  testMode: false,
  keyPair: null,
  signKeyPair: null,      // Ed25519, made at init (its public half goes in `join`)
  signer: null,
  signTimer: null,
  selfId: null,
  selfName: '',
  sessionId: null,
  slot: null,
  sender: null,
  tracker: null,
  wakeTimer: null,
  peers: new Map(),       // id -> {id, slot, publicKeyB64, signingKeyB64, pairwise, rx, verifier, name, fp, statementsWaiting}
  departed: new Set(),    // ids that left: a server-assigned id never comes back
  owners: new Map(),      // receiver id (rid) -> participant id
  sendTransformers: new Set(), // RTCRtpScriptTransformer of outgoing video
  outbox: [],             // relays made by the current control task, posted as one batch
  stopped: false,
  verifySeq: 0,
  // counters
  retiredDrops: {},       // drops of receivers already cleared (participants who left)
  localDrops: {},         // frames without a known owner / receiver state
  sendDrops: {},
  decrypted: { audio: 0, video: 0 },
  decryptedFrom: {},      // owner id -> {audio, video}
  encrypted: { audio: 0, video: 0 },
  encryptMs: { audio: 0, video: 0 },
  keyEvents: 0,
  rotations: 0,
  // sender authentication
  signDrops: {},          // frames decrypted but not passed on: reject / unsigned / overflow
  statementsBad: {},      // statements refused, by status
  unsignedWhy: {},        // Verifier.counts.unsignedWhy of peers that left
  statementGaps: 0,       // Verifier.counts.statements.gaps of peers that left
  statementsTaken: 0,     // statements verified and taken
  statementsQueued: new Map(), // sender id -> its statements waiting in the control queue
  statementsSent: 0,
  signedFrames: 0,
  signMs: 0,              // time spent hashing and signing, for signMsPerFrame
  verifiedFrames: 0,
  verifyMsMax: 0,         // the longest a frame waited before it passed
  verifyMs: 0,            // time from decryption until the verdict (includes waiting)
  chatCounter: new ChatCounter(), // our seq for sealed messages (9)
  chatSeen: new ChatSequence(),   // last accepted seq per sender
};

const OVERDUE_MS = 50;          // see encryptStream
// A member counts as verifiable once a complete code including it has been
// computed this long ago: a code shown for a moment is no code anyone could
// compare (docs/e2ee.md 10.4, "left unverified").
const COVER_MS = 10000;
// Statements of one peer waiting for verification. An honest sender relays
// ~10 a second; a starved Firefox verifying them one by one fell more than 32
// (3 s) behind and refused 13 of them (a CI run of 4cf98ef): 128 is 12 s.
// The bound is of memory and queued tasks only; the server's relay budget
// bounds the rate (src/signal/signal.c).
const STATEMENT_BACKLOG = 128;
const SIGN_FLUSH_MS = 50;        // statements at least this often while sending (<= SIGN.INTERVAL_MS)
// How long a frame may wait for the statement that lists it. A statement is
// normally there within a flush period, but it travels through both pages'
// main threads and the WebSocket, the frame through the media path: on a
// loaded machine the statement can be a second or more late (a CI run with
// two browsers on two cores dropped 11% of frames at a hold of 1 s), and the
// frames should then come late rather than not at all (a dropped video
// frame breaks decoding until the next key frame). At 50 audio and 30 video
// frames a second, 2 s of one sender's frames stay under SIGN.PENDING_MAX
// (256), with a screen share at 30 more too (220).
// Security does not depend on the bound: an unlisted frame is never passed.
const SIGN_HOLD_MS = 2000;
// Characters that show nothing (zero-width, bidi controls, soft hyphen,
// fillers, variation selectors: Unicode's default-ignorable code points).
const NAME_INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

// A name as shown and as the security code covers it: controls as spaces,
// invisible characters removed, runs of white space (no-break spaces
// included) as one space, none at the ends. "Alice", "Alice\u2060" and
// "Alice\u00a0" are then one name, which the page tells apart by fingerprint.
const cleanName = (name) => String(typeof name === 'string' ? name : '')
  .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(NAME_INVISIBLE, '').replace(/\s+/gu, ' ').trim();

const post = (m) => self.postMessage(m);
const count = (obj, key) => { obj[key] = (obj[key] || 0) + 1; };
const statusOf = (e) => (e && e.status) || Status.CRYPTO;

// ------------------------------------------------------------ control queue

// Control messages run one at a time, in arrival order: a key message must
// not be opened before the `joined` that introduced its sender is processed.
// The relays that tasks make leave as one batch once the queue is idle for a
// moment (the acks of a burst of key messages go out together), in order.
let ctl = Promise.resolve();
function enqueue(fn) {
  ctl = ctl.then(fn)
    .catch((e) => console.warn('sealroom e2ee worker:', e && (e.status || e.message)))
    .finally(scheduleFlush);
  return ctl;
}

let flushTimer = null;
function scheduleFlush() {
  if (flushTimer === null && st.outbox.length) flushTimer = setTimeout(flushRelays, 0);
}

function queueRelay(to, payload) {
  if (!st.stopped) st.outbox.push({ to, payload });
}

function flushRelays() {
  flushTimer = null;
  if (!st.outbox.length) return;
  const list = st.outbox;
  st.outbox = [];
  post({ op: 'relays', list });
}

self.onmessage = (ev) => {
  const m = ev.data || {};
  switch (m.op) {
    case 'init': enqueue(() => init()); break;
    case 'start': enqueue(() => start(m).catch((e) => {
      post({ op: 'error', status: statusOf(e) });
      throw e;
    })); break;
    case 'joined': enqueue(() => joined(m.peer)); break;
    case 'left': enqueue(() => left(m.id)); break;
    case 'relay':
      if (m.payload && typeof m.payload === 'object' && m.payload.t === 'sig') takeStatement(m.from, m.payload);
      else enqueue(() => relay(m.from, m.payload));
      break;
    case 'owner': if (m.rid) st.owners.set(m.rid, m.owner || null); break;
    case 'stream': attachStreams(m); break;
    case 'exportKeys': enqueue(() => exportKeys(m.reqId)); break;
    // In the control queue: a chat is opened only after the key messages
    // that arrived before it, and sealed after the key changes asked before.
    case 'chatSeal': enqueue(() => chatSealOp(m)); break;
    case 'chatOpen': enqueue(() => chatOpenOp(m)); break;
    case 'stop': enqueue(stop); break;
    default: break;
  }
};

async function init() {
  try {
    st.keyPair = await generateKeyPair();
    st.signKeyPair = await Signer.generateKeyPair();
    post({ op: 'ready', publicKey: base64Encode(st.keyPair.publicKey), signingKey: base64Encode(st.signKeyPair.publicKey) });
  } catch (e) {
    // No X25519 or no Ed25519 in this browser: it cannot take part in E2EE.
    st.keyPair = null;
    st.signKeyPair = null;
    post({ op: 'ready', publicKey: null, signingKey: null, error: String(e && (e.status || e.message)) });
  }
}

// ------------------------------------------------------------------ roster

// Adds a roster entry. Returns {peer, fresh}: fresh is true only for an id
// seen for the first time. An id already present keeps the key and slot it
// came with: a different one is refused and raises the alarm (hole 1 of the
// review: a page that follows the server's latest key for an id can be shown
// an honest-looking code while the keys went to the server).
async function addPeer(raw) {
  if (!raw || typeof raw.id !== 'string' || raw.id === st.selfId) return { peer: null, fresh: false };
  const old = st.peers.get(raw.id);
  if (old) {
    if (raw.publicKey !== old.publicKeyB64 || raw.signingKey !== old.signingKeyB64 || raw.slot !== old.slot) {
      post({ op: 'alarm', id: raw.id, reason: 'key_changed' });
    }
    return { peer: old, fresh: false };
  }
  if (st.departed.has(raw.id)) {
    post({ op: 'alarm', id: raw.id, reason: 'rejoined' });
    post({ op: 'peer', id: raw.id, ok: false, status: 'rejoined' });
    return { peer: null, fresh: false };
  }
  const peer = {
    id: raw.id, slot: raw.slot, publicKeyB64: typeof raw.publicKey === 'string' ? raw.publicKey : null,
    signingKeyB64: typeof raw.signingKey === 'string' ? raw.signingKey : null,
    pairwise: null, rx: null, verifier: null, name: null, fp: null, statementsWaiting: 0,
    coveredAt: null, // when a complete security code (the one the page shows) first included it
    genEpochs: new Map(), // generation -> the latest epoch of this peer using it
  };
  st.peers.set(raw.id, peer);
  try {
    checkId(raw.id);
    if (!Number.isInteger(raw.slot) || raw.slot < 0 || raw.slot > 0xffff) throw Object.assign(new Error('bad slot'), { status: Status.ARG });
    if (typeof raw.publicKey !== 'string') throw Object.assign(new Error('no public key'), { status: Status.BAD_PUBLIC_KEY });
    const pub = checkPublicKey(base64Decode(raw.publicKey));
    if (typeof raw.signingKey !== 'string') throw Object.assign(new Error('no signing key'), { status: Status.BAD_PUBLIC_KEY });
    const signingKey = checkPublicKey(base64Decode(raw.signingKey));
    peer.verifier = await Verifier.create({ senderId: peer.id, sessionId: st.sessionId, publicKey: signingKey, delayMs: SIGN_HOLD_MS });
    peer.pairwise = await derivePairwiseKey({
      keyPair: st.keyPair, id: st.selfId, peerPublicKey: pub, peerId: peer.id, sessionId: st.sessionId,
    });
    peer.fp = await fingerprint(pub);
    peer.rx = new Receiver({ slot: peer.slot });
    post({ op: 'peer', id: peer.id, ok: true });
  } catch (e) {
    // Not E2EE-capable: no key goes to it, nothing from it is decrypted, and
    // it is left out of the security code (shown as such in the list).
    peer.pairwise = null;
    peer.rx = null;
    peer.verifier = null;
    post({ op: 'peer', id: peer.id, ok: false, status: statusOf(e) });
  }
  return { peer, fresh: true };
}

const capablePeers = () => [...st.peers.values()].filter((p) => p.rx);

async function sendKey(peer, key) {
  if (!peer || !peer.pairwise || st.stopped) return;
  const payload = await sealKeyMessage(peer.pairwise, {
    senderId: st.selfId, recipientId: peer.id, senderSlot: st.slot,
    epoch: key.epoch, step: key.step, baseKey: key.baseKey, name: st.selfName,
  });
  queueRelay(peer.id, payload);
}

// Sends `key` to every id in `ids` that is still a capable peer, then wipes it.
async function sendKeyTo(key, ids) {
  try {
    for (const id of ids) await sendKey(st.peers.get(id), key);
  } finally {
    wipe(key.baseKey);
  }
}

// A display name as key messages carry it (docs/e2ee.md 7.2): cleaned as
// cleanName says, at most NAME_MAX bytes of UTF-8, cut at a character boundary.
function sealableName(name) {
  let out = '', bytes = 0;
  for (const ch of cleanName(name)) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > NAME_MAX) break;
    out += ch;
    bytes += n;
  }
  return out;
}

async function start({ selfId, selfName, sessionId, slot, testMode, peers }) {
  if (!st.keyPair) throw new Error('no key pair');
  st.selfId = selfId;
  st.selfName = sealableName(selfName);
  st.sessionId = sessionId;
  st.slot = slot;
  st.testMode = testMode === true;
  st.signer = await Signer.create({ senderId: selfId, sessionId, keyPair: st.signKeyPair });
  st.sender = await Sender.create({ slot });
  st.signTimer = setInterval(() => flushSignatures(), Math.min(SIGN_FLUSH_MS, SIGN.INTERVAL_MS));
  st.tracker = new RotationTracker(st.sender);
  for (const raw of peers || []) await addPeer(raw);
  // 8.4, N as sender: its first key to every present participant.
  const ids = capablePeers().map((p) => p.id);
  await sendKeyTo(st.sender.currentKey(), ids);
  st.tracker.keyHolders(ids);
  await verify();
  pushStats();
}

async function joined(raw) {
  if (!st.sender) return;
  const { peer, fresh } = await addPeer(raw);
  if (peer && fresh && peer.rx) {
    const everyone = capablePeers().map((p) => p.id);
    const k = await st.tracker.join(peer.id, everyone);
    await sendKeyTo(k, k.rotationStarted ? everyone : [peer.id]);
    if (k.rotationStarted) armWakeup();
    st.keyEvents++;
  }
  if (fresh) requestVerify();
  pushStats();
}

async function left(id) {
  const peer = st.peers.get(id);
  if (!peer) return;
  st.peers.delete(id);
  st.departed.add(id);
  if (st.departed.size > 10000) st.departed.delete(st.departed.values().next().value);
  st.chatSeen.forget(id);
  if (peer.rx) {
    for (const [k, v] of Object.entries(peer.rx.drops)) st.retiredDrops[k] = (st.retiredDrops[k] || 0) + v;
    peer.rx.clear();
  }
  if (peer.verifier) {
    peer.verifier.clear();
    addWhy(st.unsignedWhy, peer.verifier.counts.unsignedWhy);
    st.statementGaps += peer.verifier.counts.statements.gaps;
  }
  peer.pairwise = null;
  if (st.sender && st.tracker.holders.has(id) && (peer.coveredAt === null || Date.now() - peer.coveredAt < COVER_MS)) {
    // It got our key and leaves before a complete code had included it for
    // COVER_MS: no comparison of codes can now show it was there (a
    // listener the server showed only to us, say, that withheld its own key
    // message so that our code stayed incomplete, or sent it at the last
    // moment). Say so, for good.
    post({ op: 'alarm', id, reason: 'left_unverified', name: peer.name, ms: peer.coveredAt === null ? null : Date.now() - peer.coveredAt });
  }
  if (st.sender && st.tracker.holders.has(id)) {
    // 8.5: only a participant that held one of our keys makes us rotate (the
    // tracker knows who did); the switch comes no later than 500 ms after
    // this leave, whatever follows.
    await applyTracker(await st.tracker.leave(id, capablePeers().map((p) => p.id)));
    st.keyEvents++;
  }
  requestVerify();
  pushStats();
}

// Carries out what the rotation tracker asks: send a fresh pending key, note
// a switch, and wake up when it next has something to do.
async function applyTracker(r) {
  if (!r) return;
  if (r.send) {
    st.rotations++;
    await sendKeyTo(r.send, r.to || []);
  }
  if (r.switched) switched();
  armWakeup();
}

function armWakeup() {
  clearTimeout(st.wakeTimer);
  st.wakeTimer = null;
  if (!st.tracker) return;
  const at = st.tracker.nextWakeup();
  if (at === null || at === undefined) return;
  st.wakeTimer = setTimeout(() => enqueue(async () => {
    if (st.tracker) await applyTracker(await st.tracker.tick());
    pushStats();
  }), Math.max(0, at - Date.now()) + 2);
}

// The sender now encrypts with the new key: ask the encoder for a key frame
// so that receivers that dropped frames recover at once.
function switched() {
  st.keyEvents++;
  let asked = false;
  for (const t of st.sendTransformers) {
    if (typeof t.generateKeyFrame === 'function') {
      asked = true;
      t.generateKeyFrame().catch(() => {});
    }
  }
  if (!asked) post({ op: 'keyframe' });
}

async function relay(from, payload) {
  if (!st.sender) return;
  const peer = st.peers.get(from);
  if (!peer || !peer.rx) return;
  let p;
  try {
    p = parsePayload(payload);
  } catch {
    return; // not ours, or malformed: ignored
  }
  if (p.type === 'key') {
    let k;
    try {
      k = await openKeyMessage(peer.pairwise, { senderId: peer.id, recipientId: st.selfId, senderSlot: peer.slot }, p);
    } catch (e) {
      console.warn('sealroom e2ee: key message refused', statusOf(e));
      return;
    }
    try {
      if (st.peers.get(from) !== peer || !peer.rx) return; // left meanwhile
      await peer.rx.addKey(k.epoch, k.step, k.baseKey);
      // Every 255 epochs a generation, and so its KIDs, come back: the
      // statements of the old epoch must not judge the new one's frames
      // (CTRs start again at 0). The epoch's key arrives before its frames.
      const g = epochGeneration(k.epoch);
      if (peer.verifier && peer.genEpochs.get(g) !== k.epoch) {
        if (peer.genEpochs.has(g)) peer.verifier.forgetKids(kidMake(peer.slot, g, 0), kidMake(peer.slot, g, 255));
        peer.genEpochs.set(g, k.epoch);
      }
    } catch (e) {
      console.warn('sealroom e2ee: key refused', statusOf(e));
      return; // never ack a refused key
    } finally {
      wipe(k.baseKey);
    }
    queueRelay(peer.id, ackPayload(k.epoch));
    // Cleaned, in the code as on screen: a name that differs from another
    // only by invisible characters or spacing is shown as that name (and
    // the page adds fingerprint digits to both).
    const name = cleanName(k.name);
    if (peer.name !== name) {
      peer.name = name;
      requestVerify();
    }
    st.keyEvents++;
    pushStats();
  } else if (p.type === 'ack') {
    if (await st.tracker.ack(peer.id, p.epoch)) {
      switched();
      armWakeup();
      pushStats();
    }
  }
}

// A sender's signed statements are verified in the order they were relayed
// (a statement older than one taken is refused as a replay). Once the
// sender's verifier exists they go to it at once, outside the control queue
// (each verifier has its own), so a flood of them cannot delay a rotation.
// Until then (the sender is being added: a join, or the roster of start)
// they wait in the control queue, behind the addition; and while one waits
// there, the sender's later ones wait behind it. A sender's backlog in
// either place is bounded (128): statements that can never be verified (an
// unknown sender, or one whose keys were refused) cost at most that many
// short tasks of the control queue at a time.
function takeStatement(from, payload) {
  const peer = st.peers.get(from);
  const queued = st.statementsQueued.get(from) || 0;
  if (peer && peer.verifier && !queued) return statement(from, payload);
  if (queued >= STATEMENT_BACKLOG) { count(st.statementsBad, 'backlog'); return; }
  st.statementsQueued.set(from, queued + 1);
  enqueue(() => {
    const left = st.statementsQueued.get(from) - 1;
    if (left > 0) st.statementsQueued.set(from, left);
    else st.statementsQueued.delete(from);
    statement(from, payload);
  });
}

// A signed statement of a sender's frames: releases the held frames it lists.
function statement(from, payload) {
  const peer = st.peers.get(from);
  if (!peer || !peer.verifier) return; // not (or no longer) a sender here
  if (peer.statementsWaiting >= STATEMENT_BACKLOG) { count(st.statementsBad, 'backlog'); return; }
  peer.statementsWaiting++;
  peer.verifier.statement(payload)
    .then(() => { st.statementsTaken++; })
    .catch((e) => count(st.statementsBad, statusOf(e)))
    .finally(() => { peer.statementsWaiting--; });
}

// ------------------------------------------------------------ verification

// Roster and key events ask for a new code; a burst of them (a flood of
// joins from a hostile server) makes one computation, not one each.
let verifyTimer = null;
function requestVerify() {
  if (verifyTimer !== null) return;
  verifyTimer = setTimeout(() => { verifyTimer = null; enqueue(verify); }, 0);
}

// docs/e2ee.md 10: the code over oneself and every peer we share a pairwise
// key with, by the keys those pairwise keys were made from and the names the
// peers sealed to us. Roster entries without a valid key are listed apart.
async function verify() {
  if (!st.sender || st.stopped) return;
  const seq = ++st.verifySeq;
  const members = [{ id: st.selfId, publicKey: st.keyPair.publicKey, signingKey: st.signKeyPair.publicKey, name: st.selfName }];
  const names = { [st.selfId]: st.selfName };
  const fingerprints = {};
  const excluded = [];
  let complete = true;
  for (const p of st.peers.values()) {
    if (!p.rx) { excluded.push(p.id); continue; }
    members.push({ id: p.id, publicKey: base64Decode(p.publicKeyB64), signingKey: base64Decode(p.signingKeyB64), name: p.name || '' });
    names[p.id] = p.name;
    fingerprints[p.id] = p.fp;
    if (p.name === null) complete = false;
  }
  fingerprints[st.selfId] = await fingerprint(st.keyPair.publicKey);
  let code = null, status = null;
  try {
    code = await securityCode(st.sessionId, members);
  } catch (e) {
    status = statusOf(e);
  }
  if (seq !== st.verifySeq) return; // a newer roster is being verified
  if (code && complete) {
    // The page shows this code: every member in it is covered from now.
    const now = Date.now();
    for (const id of members.slice(1).map((m) => m.id)) {
      const p = st.peers.get(id);
      if (p && p.coveredAt === null) p.coveredAt = now;
    }
  }
  post({ op: 'verify', code, status, complete, members: members.map((m) => m.id), excluded, names, fingerprints });
}

// ---------------------------------------------------------------- transforms

function codecOf(frame, kind) {
  let mime = null;
  try { mime = frame.getMetadata().mimeType || null; } catch { /* older browsers */ }
  if (!mime) return kind === 'audio' ? 'opus' : 'vp8'; // the SFU negotiates only VP8 and Opus
  return codecFromMimeType(mime, kind);
}

// sealroom calls use VP8 and Opus only. A server that negotiates anything
// else (a codec without a clear prefix, say) gets no frame through either
// way: nothing is encrypted for it, nothing received in it is decrypted.
const allowedCodec = (codec, kind) => codec === (kind === 'audio' ? 'opus' : 'vp8');

const exactBuffer = (u8) => (u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer);

function encryptStream(kind) {
  return new TransformStream({
    async transform(frame, controller) {
      if (!st.sender || st.stopped) { count(st.sendDrops, 'not_ready'); return; }
      // The switch after a leave is due by the tracker's deadline; if the
      // control queue is late (a flood of events), send nothing rather than
      // frames under a key a departed participant may hold.
      if (st.tracker && st.tracker.deadline !== null && Date.now() > st.tracker.deadline + OVERDUE_MS) {
        count(st.sendDrops, 'rotation_overdue');
        return;
      }
      const codec = codecOf(frame, kind);
      if (!allowedCodec(codec, kind)) { count(st.sendDrops, 'codec'); return; }
      const t0 = performance.now();
      let out;
      try {
        out = await st.sender.encrypt(codec, new Uint8Array(frame.data));
      } catch (e) {
        count(st.sendDrops, statusOf(e));
        return; // never sent in the clear
      }
      st.encryptMs[kind] += performance.now() - t0;
      st.encrypted[kind]++;
      if (out.length) signFrame(codec, out, kind === 'video' && frame.type === 'key');
      frame.data = exactBuffer(out);
      controller.enqueue(frame);
    },
  });
}

// Lists a sent frame for the next signed statement (not awaited: the frame
// leaves at once). After a video key frame the statement goes at once, so
// that a receiver waiting for a key frame does not wait for the timer.
function signFrame(codec, wire, flushNow) {
  const signer = st.signer;
  if (!signer) return;
  let h;
  try { h = parseFrame(codec, wire).header; } catch { return; }
  const t0 = performance.now();
  signer.add(h.kid, h.ctr, wire)
    .then((p) => (p || !flushNow ? p : signer.flush()))
    .then((p) => {
      st.signMs += performance.now() - t0;
      st.signedFrames++;
      if (p) broadcastStatement(p);
    })
    .catch((e) => count(st.sendDrops, `sign_${statusOf(e)}`));
}

function flushSignatures() {
  const signer = st.signer;
  if (!signer || st.stopped) return;
  signer.flush().then((p) => { if (p) broadcastStatement(p); }).catch(() => {});
}

// Statements go to everyone in the room in one `relay_all` (they are public:
// hashes and a signature), one relay token per statement whatever the size.
function broadcastStatement(p) {
  if (st.stopped) return;
  st.statementsSent++;
  post({ op: 'broadcast', payload: p });
}

function decryptStream(kind, rid, initialOwner, transformer) {
  if (rid && initialOwner && !st.owners.has(rid)) st.owners.set(rid, initialOwner);
  let lastRequest = 0, dropped = false;
  const requestKeyFrame = () => {
    const now = Date.now();
    if (kind !== 'video' || !transformer || typeof transformer.sendKeyFrameRequest !== 'function' || now - lastRequest < 1000) return;
    lastRequest = now;
    transformer.sendKeyFrameRequest().catch(() => {});
  };
  return new TransformStream({
    async transform(frame, controller) {
      const owner = st.owners.get(rid) || initialOwner;
      const peer = owner ? st.peers.get(owner) : null;
      if (!peer || !peer.rx || st.stopped) { count(st.localDrops, Status.NO_KEY); dropped = true; return; }
      const wire = new Uint8Array(frame.data);
      const codec = codecOf(frame, kind);
      if (!allowedCodec(codec, kind)) { count(st.localDrops, 'codec'); dropped = true; return; }
      const pass = (res) => {
        if (dropped && frame.type === 'delta') requestKeyFrame();
        dropped = false;
        frame.data = exactBuffer(res.data);
        st.decrypted[kind]++;
        const d = st.decryptedFrom[owner] || (st.decryptedFrom[owner] = { audio: 0, video: 0 });
        d[kind]++;
        try { controller.enqueue(frame); } catch { /* the track ended meanwhile */ }
      };
      const decrypt = async () => {
        const res = await peer.rx.decrypt(codec, wire);
        if (!res.ok) { dropped = true; return; } // counted by the receiver (rx.drops)
        pass(res);
      };
      // Sender authentication first: a frame is held until a verified
      // statement of its owner lists its hash, and only then decrypted, so a
      // frame forged by another member (who holds the owner's SFrame key)
      // never touches the receiver's state (replay window, ratchet). Frames
      // that do not parse, and empty audio frames (DTX, no content, not
      // signed), go straight to the receiver, which drops or passes them by
      // the rules of docs/e2ee.md 5.4. Not awaited: a held frame must not
      // stall the stream.
      let h = null;
      if (wire.length > 0) {
        try { h = parseFrame(codec, wire).header; } catch { h = null; }
      }
      if (!h) { await decrypt(); return; }
      const t0 = performance.now();
      peer.verifier.check(h.kid, h.ctr, wire).then((verdict) => {
        const waited = performance.now() - t0;
        st.verifyMs += waited;
        if (verdict === 'ok' && waited > st.verifyMsMax) st.verifyMsMax = waited;
        st.verifiedFrames++;
        if (verdict !== 'ok' || st.peers.get(owner) !== peer) { count(st.signDrops, verdict); dropped = true; return null; }
        return decrypt();
      }).catch(() => { count(st.signDrops, 'error'); dropped = true; });
    },
  });
}

// Runs one transform and tells the page it runs: the page renders an
// incoming track only after this confirmation (hole 6 of the review).
function pipe(role, kind, rid, owner, readable, writable, transformer) {
  if ((role !== 'send' && role !== 'recv') || (kind !== 'audio' && kind !== 'video')) return;
  const ts = role === 'send' ? encryptStream(kind) : decryptStream(kind, rid, owner, transformer);
  if (role === 'send' && kind === 'video' && transformer) st.sendTransformers.add(transformer);
  readable.pipeThrough(ts).pipeTo(writable).catch(() => {}).finally(() => {
    if (transformer) st.sendTransformers.delete(transformer);
  });
  post({ op: 'attached', rid });
}

// RTCRtpScriptTransform (Chromium, Firefox, Safari).
self.onrtctransform = (ev) => {
  const t = ev.transformer;
  const o = t.options || {};
  pipe(o.role, o.kind, o.rid, o.owner, t.readable, t.writable, t);
};

// createEncodedStreams (older Chromium): the page transfers the streams.
function attachStreams(m) {
  pipe(m.role, m.kind, m.rid, m.owner, m.readable, m.writable, null);
}

// ------------------------------------------------------------------- stats

function allDrops() {
  const out = { ...st.retiredDrops };
  for (const [k, v] of Object.entries(st.localDrops)) out[k] = (out[k] || 0) + v;
  for (const p of st.peers.values()) {
    if (!p.rx) continue;
    for (const [k, v] of Object.entries(p.rx.drops)) out[k] = (out[k] || 0) + v;
  }
  return out;
}

// Adds one verifier's counts.unsignedWhy to `into` (lateMsMax: the larger).
function addWhy(into, w) {
  for (const [k, v] of Object.entries(w)) into[k] = k === 'lateMsMax' ? Math.max(into[k] || 0, v) : (into[k] || 0) + v;
  return into;
}

function pushStats() {
  const drops = allDrops();
  const avg = (k) => (st.encrypted[k] ? st.encryptMs[k] / st.encrypted[k] : 0);
  const pending = st.sender ? st.sender.pending : null;
  if (pending) wipe(pending.baseKey);
  post({
    op: 'stats',
    drops,
    dropTotal: Object.values(drops).reduce((a, b) => a + b, 0),
    sendDrops: { ...st.sendDrops },
    decrypted: { ...st.decrypted },
    decryptedFrom: JSON.parse(JSON.stringify(st.decryptedFrom)),
    encrypted: { ...st.encrypted },
    encryptMsPerFrame: { audio: avg('audio'), video: avg('video') },
    key: st.sender ? {
      epoch: st.sender.epoch, generation: st.sender.generation, step: st.sender.step,
      pending: pending ? pending.epoch : null,
    } : null,
    keyEvents: st.keyEvents,
    rotations: st.rotations,
    sign: {
      drops: { ...st.signDrops },
      statementsBad: { ...st.statementsBad },
      statementsTaken: st.statementsTaken,
      statementsSent: st.statementsSent,
      signedFrames: st.signedFrames,
      signMsPerFrame: st.signedFrames ? st.signMs / st.signedFrames : 0,
      verifiedFrames: st.verifiedFrames,
      verifyWaitMsPerFrame: st.verifiedFrames ? st.verifyMs / st.verifiedFrames : 0,
      verifyWaitMsMax: st.verifyMsMax,
      statementGaps: [...st.peers.values()].reduce((n, p) => n + (p.verifier ? p.verifier.counts.statements.gaps : 0), st.statementGaps),
      unsignedWhy: [...st.peers.values()].filter((p) => p.verifier)
        .reduce((acc, p) => addWhy(acc, p.verifier.counts.unsignedWhy), addWhy({}, st.unsignedWhy)),
    },
  });
}
setInterval(() => {
  if (st.stopped) return;
  // Superseded keys are wiped 2 s after a newer one decrypted, even when no
  // frame arrives to trigger it (docs/e2ee.md 8.6, expiry).
  for (const p of st.peers.values()) if (p.rx) p.rx.expire();
  pushStats();
}, 1000);

// -------------------------------------------------------------------- chat

// Seal under the key of our current (epoch, step): everyone who holds it (or
// an earlier step of that epoch, within 16) can open it; participants who join
// later get only later steps and cannot (docs/e2ee.md 9).
async function chatSealOp({ reqId, text }) {
  if (!st.sender || st.stopped || !st.sessionId) { post({ op: 'chatSeal', reqId, payload: null, status: Status.NO_KEY }); return; }
  const cur = st.sender.currentKey({ markUsed: true });
  try {
    const key = await chatKey(cur.baseKey, st.sessionId);
    const sealed = await sealChat(key, {
      senderId: st.selfId, epoch: cur.epoch, step: cur.step, type: CHAT_TEXT,
      seq: st.chatCounter.next(), time: Date.now(), body: String(text ?? ''),
    });
    // Signed by its sender: another member, who holds the chat key too,
    // cannot write in this participant's name (docs/e2ee-sender-auth.md 10).
    const payload = await st.signer.signChat(sealed);
    post({ op: 'chatSeal', reqId, payload });
  } catch (e) {
    post({ op: 'chatSeal', reqId, payload: null, status: statusOf(e) });
  } finally {
    wipe(cur.baseKey);
  }
}

async function chatOpenOp({ reqId, from, payload }) {
  const fail = (status) => post({ op: 'chatOpen', reqId, ok: false, status });
  const peer = typeof from === 'string' ? st.peers.get(from) : null;
  if (!st.sender || st.stopped || !peer || !peer.rx) { fail(Status.NO_KEY); return; }
  let p, base = null;
  try {
    p = parsePayload(await openSignedChat(peer.verifier, payload));
    if (p.type !== 'chat') { fail(Status.JSON); return; }
    base = await peer.rx.baseKeyFor(p.epoch, p.step);
    const key = await chatKey(base, st.sessionId);
    const m = await openChat(key, peer.id, p);
    if (m.type !== CHAT_TEXT) { wipe(m.bodyBytes); fail(Status.JSON); return; }
    st.chatSeen.accept(peer.id, m.seq);
    wipe(m.bodyBytes);
    post({ op: 'chatOpen', reqId, ok: true, type: m.type, text: m.body, time: m.time });
  } catch (e) {
    fail(statusOf(e));
  } finally {
    if (base) wipe(base);
  }
}

// --------------------------------------------------------------- test mode

// Only the participant's own keys (current and pending), only when the server
// said it runs in test mode; the page shows a banner then (docs/e2ee.md 12.3).
async function exportKeys(reqId) {
  if (!st.testMode || !st.sender) { post({ op: 'exportKeys', reqId, keys: null }); return; }
  const cur = st.sender.currentKey();
  const keys = { self: { epoch: cur.epoch, generation: cur.generation, step: cur.step, baseKey: toHex(cur.baseKey) }, pending: null };
  wipe(cur.baseKey);
  const p = st.sender.pending;
  if (p) {
    keys.pending = { epoch: p.epoch, generation: p.generation, step: 0, baseKey: toHex(p.baseKey) };
    wipe(p.baseKey);
  }
  post({ op: 'exportKeys', reqId, keys });
}

function stop() {
  st.stopped = true;
  st.outbox = [];
  clearTimeout(st.wakeTimer);
  clearInterval(st.signTimer);
  if (st.sender) st.sender.clear();
  for (const p of st.peers.values()) {
    if (p.rx) p.rx.clear();
    if (p.verifier) p.verifier.clear();
  }
  st.peers.clear();
  st.sender = null;
  st.tracker = null;
  st.keyPair = null;
  st.signKeyPair = null;
  st.signer = null;
  self.close();
}
