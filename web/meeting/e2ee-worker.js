// sealroom meeting: the E2EE worker (docs/e2ee.md). One module worker per
// join holds every secret of the call: the X25519 key pair, the pairwise
// keys, the one Sender shared by every outgoing track (one CTR per key,
// section 4.6) and a Receiver per remote participant. It runs every encoded
// transform of the page (RTCRtpScriptTransform, or streams transferred from
// Chromium's createEncodedStreams) and the key exchange of section 8; the page
// only forwards signalling events and relays. Keys never leave this worker,
// except through `exportKeys` when the page was opened with ?e2ee-test=1.
//
// Messages from the page (postMessage objects, `op` names the kind):
//   init {test}                      -> {op: 'ready', publicKey (base64) | null, error?}
//   start {selfId, sessionId, slot, peers: [{id, slot, publicKey}]}   after `welcome`
//   joined {peer}, left {id}         roster changes
//   relay {from, payload}            a key or ack payload from another participant
//   owner {rid, owner}               the participant owning an incoming receiver
//   stream {role, kind, rid, owner, readable, writable}   createEncodedStreams path
//   exportKeys {reqId}               test mode only -> {op: 'exportKeys', reqId, keys}
//   chatSeal {reqId, text}           seal a chat text (docs/e2ee.md 9) under our current base key
//                                    -> {op: 'chatSeal', reqId, payload | null, status?}
//   chatOpen {reqId, from, payload}  open a sealed chat message of another participant
//                                    -> {op: 'chatOpen', reqId, ok, type?, text?, status?}
//   stop                             wipe everything (the page leaves)
// Messages to the page:
//   relay {to, payload}              send through the signalling relay
//   stats {...}                      counters, every second and after key events
//   keyframe {}                      ask for a key frame (when no transformer can)
//   peer {id, ok, status?}           whether a participant is E2EE-capable
//   error {status}                   encryption could not start: nothing is sent

import {
  Sender, RotationTracker, Receiver, Status, base64Encode, base64Decode, toHex, wipe,
  generateKeyPair, derivePairwiseKey, sealKeyMessage, openKeyMessage, ackPayload, parsePayload,
  checkId, checkPublicKey, codecFromMimeType, ROTATE_TIMEOUT_MS,
  chatKey, sealChat, openChat, ChatSequence, ChatCounter, CHAT_TEXT, CHAT_NAME,
} from '/e2ee/index.js';

const st = {
  test: false,
  keyPair: null,
  selfId: null,
  sessionId: null,
  slot: null,
  sender: null,
  tracker: null,
  rotateTimer: null,
  peers: new Map(),       // id -> {id, slot, publicKey, pairwise, rx}
  owners: new Map(),      // receiver id (rid) -> participant id
  sendTransformers: new Set(), // RTCRtpScriptTransformer of outgoing video
  stopped: false,
  // counters
  retiredDrops: {},       // drops of receivers already cleared (participants who left)
  localDrops: {},         // frames without a known owner / receiver state
  sendDrops: {},
  decrypted: { audio: 0, video: 0 },
  decryptedFrom: {},      // owner id -> {audio, video}
  encrypted: { audio: 0, video: 0 },
  encryptMs: { audio: 0, video: 0 },
  keyEvents: 0,
  chatCounter: new ChatCounter(), // our seq for sealed messages, both types (9)
  chatSeen: new ChatSequence(),   // last accepted seq per sender
};

const post = (m) => self.postMessage(m);
const count = (obj, key) => { obj[key] = (obj[key] || 0) + 1; };
const statusOf = (e) => (e && e.status) || Status.CRYPTO;

// ------------------------------------------------------------ control queue

// Control messages run one at a time, in arrival order: a key message must
// not be opened before the `joined` that introduced its sender is processed.
let ctl = Promise.resolve();
function enqueue(fn) {
  ctl = ctl.then(fn).catch((e) => console.warn('sealroom e2ee worker:', e && (e.status || e.message)));
  return ctl;
}

self.onmessage = (ev) => {
  const m = ev.data || {};
  switch (m.op) {
    case 'init': enqueue(() => init(m)); break;
    case 'start': enqueue(() => start(m).catch((e) => {
      post({ op: 'error', status: statusOf(e) });
      throw e;
    })); break;
    case 'joined': enqueue(() => joined(m.peer)); break;
    case 'left': enqueue(() => left(m.id)); break;
    case 'relay': enqueue(() => relay(m.from, m.payload)); break;
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

async function init({ test }) {
  st.test = test === true;
  try {
    st.keyPair = await generateKeyPair();
    post({ op: 'ready', publicKey: base64Encode(st.keyPair.publicKey) });
  } catch (e) {
    post({ op: 'ready', publicKey: null, error: String(e && (e.status || e.message)) });
  }
}

// ------------------------------------------------------------------ roster

async function addPeer(raw) {
  if (!raw || typeof raw.id !== 'string' || raw.id === st.selfId) return null;
  const old = st.peers.get(raw.id);
  if (old) return old.rx ? old : null;
  const peer = { id: raw.id, slot: raw.slot, publicKey: null, pairwise: null, rx: null };
  st.peers.set(raw.id, peer);
  try {
    checkId(raw.id);
    if (!Number.isInteger(raw.slot) || raw.slot < 0 || raw.slot > 0xffff) throw Object.assign(new Error('bad slot'), { status: Status.ARG });
    if (typeof raw.publicKey !== 'string') throw Object.assign(new Error('no public key'), { status: Status.BAD_PUBLIC_KEY });
    peer.publicKey = checkPublicKey(base64Decode(raw.publicKey));
    peer.pairwise = await derivePairwiseKey({
      keyPair: st.keyPair, id: st.selfId, peerPublicKey: peer.publicKey, peerId: peer.id, sessionId: st.sessionId,
    });
    peer.rx = new Receiver({ slot: peer.slot });
    post({ op: 'peer', id: peer.id, ok: true });
    return peer;
  } catch (e) {
    // Not E2EE-capable: no key goes to it, nothing from it is decrypted.
    peer.pairwise = null;
    peer.rx = null;
    post({ op: 'peer', id: peer.id, ok: false, status: statusOf(e) });
    return null;
  }
}

async function sendKey(peer, key) {
  if (!peer || !peer.pairwise || st.stopped) return;
  const payload = await sealKeyMessage(peer.pairwise, {
    senderId: st.selfId, recipientId: peer.id, senderSlot: st.slot,
    generation: key.generation, step: key.step, baseKey: key.baseKey,
  });
  post({ op: 'relay', to: peer.id, payload });
}

const capablePeers = () => [...st.peers.values()].filter((p) => p.rx);

async function start({ selfId, sessionId, slot, peers }) {
  if (!st.keyPair) throw new Error('no key pair');
  st.selfId = selfId;
  st.sessionId = sessionId;
  st.slot = slot;
  st.sender = await Sender.create({ slot });
  st.tracker = new RotationTracker(st.sender);
  for (const raw of peers || []) await addPeer(raw);
  // 8.4, N as sender: generation 1, step 0 to every present participant.
  const key = { generation: st.sender.generation, step: st.sender.step, baseKey: st.sender.baseKey };
  try {
    for (const p of capablePeers()) await sendKey(p, key);
  } finally {
    wipe(key.baseKey);
  }
  pushStats();
}

async function joined(raw) {
  if (!st.sender) return;
  const peer = await addPeer(raw);
  if (!peer) return;
  const everyone = capablePeers().map((p) => p.id);
  const k = await st.tracker.join(peer.id, everyone);
  try {
    if (k.rotationStarted) {
      for (const p of capablePeers()) await sendKey(p, k);
      armRotationTimer();
    } else {
      await sendKey(peer, k);
    }
  } finally {
    wipe(k.baseKey);
  }
  st.keyEvents++;
  pushStats();
}

async function left(id) {
  const peer = st.peers.get(id);
  if (!peer) return;
  st.peers.delete(id);
  st.chatSeen.forget(id);
  if (peer.rx) {
    for (const [k, v] of Object.entries(peer.rx.drops)) st.retiredDrops[k] = (st.retiredDrops[k] || 0) + v;
    peer.rx.clear();
  }
  peer.pairwise = null;
  if (!st.sender) return;
  st.tracker.leave(id);
  // 8.5: a new generation to everyone who remains; switch on every ack or after 500 ms.
  const remaining = capablePeers();
  const k = await st.tracker.rotate(remaining.map((p) => p.id));
  try {
    for (const p of remaining) await sendKey(p, k);
  } finally {
    wipe(k.baseKey);
  }
  if (remaining.length === 0) {
    if (await st.tracker.tick(Number.MAX_SAFE_INTEGER)) switched();
  } else {
    armRotationTimer();
  }
  st.keyEvents++;
  pushStats();
}

function armRotationTimer() {
  clearTimeout(st.rotateTimer);
  const wait = Math.max(0, (st.tracker.deadline ?? Date.now() + ROTATE_TIMEOUT_MS) - Date.now()) + 5;
  st.rotateTimer = setTimeout(() => enqueue(async () => {
    if (st.tracker && await st.tracker.tick()) switched();
  }), wait);
}

// The sender now encrypts with the new generation: ask the encoder for a key
// frame so that receivers that dropped frames recover at once.
function switched() {
  clearTimeout(st.rotateTimer);
  st.rotateTimer = null;
  st.keyEvents++;
  let asked = false;
  for (const t of st.sendTransformers) {
    if (typeof t.generateKeyFrame === 'function') {
      asked = true;
      t.generateKeyFrame().catch(() => {});
    }
  }
  if (!asked) post({ op: 'keyframe' });
  pushStats();
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
      await peer.rx.addKey(k.generation, k.step, k.baseKey);
    } catch (e) {
      console.warn('sealroom e2ee: key refused', statusOf(e));
      return; // never ack a refused key
    } finally {
      wipe(k.baseKey);
    }
    post({ op: 'relay', to: peer.id, payload: ackPayload(k.generation) });
    st.keyEvents++;
    pushStats();
  } else if (p.type === 'ack') {
    if (await st.tracker.ack(peer.id, p.generation)) switched();
  }
}

// ---------------------------------------------------------------- transforms

function codecOf(frame, kind) {
  let mime = null;
  try { mime = frame.getMetadata().mimeType || null; } catch { /* older browsers */ }
  if (!mime) return kind === 'audio' ? 'opus' : 'vp8'; // the SFU negotiates only VP8 and Opus
  return codecFromMimeType(mime, kind);
}

const exactBuffer = (u8) => (u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer);

function encryptStream(kind) {
  return new TransformStream({
    async transform(frame, controller) {
      if (!st.sender || st.stopped) { count(st.sendDrops, 'not_ready'); return; }
      const t0 = performance.now();
      let out;
      try {
        out = await st.sender.encrypt(codecOf(frame, kind), new Uint8Array(frame.data));
      } catch (e) {
        count(st.sendDrops, statusOf(e));
        return; // never sent in the clear
      }
      st.encryptMs[kind] += performance.now() - t0;
      st.encrypted[kind]++;
      frame.data = exactBuffer(out);
      controller.enqueue(frame);
    },
  });
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
      const res = await peer.rx.decrypt(codecOf(frame, kind), new Uint8Array(frame.data));
      if (!res.ok) { dropped = true; return; } // counted by the receiver (rx.drops)
      if (dropped && frame.type === 'delta') requestKeyFrame();
      dropped = false;
      frame.data = exactBuffer(res.data);
      st.decrypted[kind]++;
      const d = st.decryptedFrom[owner] || (st.decryptedFrom[owner] = { audio: 0, video: 0 });
      d[kind]++;
      controller.enqueue(frame);
    },
  });
}

function pipe(role, kind, rid, owner, readable, writable, transformer) {
  const ts = role === 'send' ? encryptStream(kind) : decryptStream(kind, rid, owner, transformer);
  if (role === 'send' && kind === 'video' && transformer) st.sendTransformers.add(transformer);
  readable.pipeThrough(ts).pipeTo(writable).catch(() => {}).finally(() => {
    if (transformer) st.sendTransformers.delete(transformer);
  });
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

function pushStats() {
  const drops = allDrops();
  const avg = (k) => (st.encrypted[k] ? st.encryptMs[k] / st.encrypted[k] : 0);
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
      generation: st.sender.generation, step: st.sender.step,
      pending: st.sender.pending ? st.sender.pending.generation : null,
    } : null,
    keyEvents: st.keyEvents,
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

// Seal under the key of our current (g, r): everyone who holds it (or an
// earlier step of g, within 16) can open it; participants who join later get
// only later steps and cannot (docs/e2ee.md 9).
async function chatSealOp({ reqId, text, type }) {
  const kind = type === CHAT_NAME ? CHAT_NAME : CHAT_TEXT;
  if (!st.sender || st.stopped || !st.sessionId) { post({ op: 'chatSeal', reqId, payload: null, status: Status.NO_KEY }); return; }
  const base = st.sender.baseKey;
  const generation = st.sender.generation, step = st.sender.step;
  try {
    const key = await chatKey(base, st.sessionId);
    const payload = await sealChat(key, {
      senderId: st.selfId, generation, step, type: kind, seq: st.chatCounter.next(), body: String(text ?? ''),
    });
    post({ op: 'chatSeal', reqId, payload });
  } catch (e) {
    post({ op: 'chatSeal', reqId, payload: null, status: statusOf(e) });
  } finally {
    wipe(base);
  }
}

async function chatOpenOp({ reqId, from, payload }) {
  const fail = (status) => post({ op: 'chatOpen', reqId, ok: false, status });
  const peer = typeof from === 'string' ? st.peers.get(from) : null;
  if (!st.sender || st.stopped || !peer || !peer.rx) { fail(Status.NO_KEY); return; }
  let p, base = null;
  try {
    p = parsePayload(payload);
    if (p.type !== 'chat') { fail(Status.JSON); return; }
    base = await peer.rx.baseKeyFor(p.generation, p.step);
    const key = await chatKey(base, st.sessionId);
    const m = await openChat(key, peer.id, p);
    st.chatSeen.accept(peer.id, m.seq);
    wipe(m.bodyBytes);
    post({ op: 'chatOpen', reqId, ok: true, type: m.type, text: m.body });
  } catch (e) {
    fail(statusOf(e));
  } finally {
    if (base) wipe(base);
  }
}

// --------------------------------------------------------------- test mode

async function exportKeys(reqId) {
  if (!st.test) { post({ op: 'exportKeys', reqId, keys: null }); return; }
  const keys = { self: null, pending: null, peers: {} };
  if (st.sender) {
    const b = st.sender.baseKey;
    keys.self = { generation: st.sender.generation, step: st.sender.step, baseKey: toHex(b) };
    wipe(b);
    const p = st.sender.pending;
    if (p) { keys.pending = { generation: p.generation, step: 0, baseKey: toHex(p.baseKey) }; wipe(p.baseKey); }
  }
  for (const peer of st.peers.values()) {
    if (!peer.rx) continue;
    const list = [];
    for (const h of peer.rx.heldKeys()) {
      try {
        const b = await peer.rx.baseKeyFor(h.generation, h.step);
        list.push({ generation: h.generation, step: h.step, baseKey: toHex(b) });
        wipe(b);
      } catch { /* wiped meanwhile */ }
    }
    keys.peers[peer.id] = list;
  }
  post({ op: 'exportKeys', reqId, keys });
}

function stop() {
  st.stopped = true;
  clearTimeout(st.rotateTimer);
  if (st.sender) st.sender.clear();
  for (const p of st.peers.values()) if (p.rx) p.rx.clear();
  st.peers.clear();
  st.sender = null;
  st.tracker = null;
  st.keyPair = null;
  self.close();
}
