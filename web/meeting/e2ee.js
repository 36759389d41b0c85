// sealroom meeting: end-to-end encryption glue on the page (docs/e2ee.md).
//
// Secrets live in the worker (e2ee-worker.js); this module creates it for a
// join, gets the fresh public key for `join`, installs the encoded transforms
// through rtc.js's mediaHooks, forwards roster events and relays to the worker
// and the worker's relay batches to the server. What the page shows about
// verification (security code, fingerprints, sealed names, alarms) comes from
// the worker, which computes it from the keys it actually uses: the page never
// computes verification from its own copy of the roster.
//
//   e2eeSupport()              -> 'script' | 'streams' | null (which transform API, if any)
//   new E2eeSession({onChange, onVerify, onAlarm, onTransform, onError})   one per join
//     .init()                   -> Promise<base64 public key | null>; .signingKey then holds
//                                  the Ed25519 public key (both go in `join`)
//     .start({selfId, selfName, sessionId, slot, testMode, participants, send})
//                                  an E2EE room's welcome; send(list of {to, payload}),
//                                  sendAll(payload) (relay_all)
//     .joined(p), .left(id), .relay(from, payload)
//     .installHooks(mediaHooks) / uninstallHooks(mediaHooks)
//     .verification             last {code, complete, members, excluded, names, fingerprints}
//     .receiverReady(receiver)  true once the worker confirmed the receiver's transform runs
//     .stats                    last counters from the worker
//     .exportKeys()             own keys, only when the server runs in test mode
//     .sealChat(text)           -> Promise<sealed payload object | null> (docs/e2ee.md 9)
//     .openChat(from, payload)  -> Promise<{ok, type, text, time} | {ok: false, status}>
//     .stop()                   wipes the worker

export function e2eeSupport() {
  if (typeof Worker !== 'function' || !globalThis.crypto || !crypto.subtle) return null;
  if (typeof globalThis.RTCRtpScriptTransform === 'function') return 'script';
  if (globalThis.RTCRtpSender && 'createEncodedStreams' in RTCRtpSender.prototype &&
      globalThis.RTCRtpReceiver && 'createEncodedStreams' in RTCRtpReceiver.prototype) return 'streams';
  return null;
}

let ridCounter = 0;

// How long the E2EE worker may take to load and make the call's key pairs.
const E2EE_START_MS = 30000;

export class E2eeSession {
  constructor({ onChange = () => {}, onError = () => {}, onVerify = () => {}, onAlarm = () => {}, onTransform = () => {} } = {}) {
    this.testMode = false;
    this.onError = onError;
    this.onVerify = onVerify;
    this.onAlarm = onAlarm;
    this.onTransform = onTransform;
    this.verification = null;
    this.confirmed = new Set(); // rids whose transform the worker runs
    this.failed = null;
    // Why init() gave no key: 'unsupported' (no X25519 or Ed25519), 'timeout'
    // or 'worker' (it did not load): the last two are not the browser's lack.
    this.startFailure = null;
    this.mode = e2eeSupport();
    this.onChange = onChange;
    this.worker = null;
    this.publicKey = null;
    this.signingKey = null; // Ed25519 public key (base64) for join.signing_key
    this.send = null;
    this.stats = { drops: {}, dropTotal: 0, decrypted: { audio: 0, video: 0 }, decryptedFrom: {}, encrypted: { audio: 0, video: 0 } };
    this.peerStatus = new Map(); // id -> {ok, status}
    this.requests = new Map();
    this.chatReqs = new Map(); // reqId -> resolve, chat seal/open answers
    this.reqId = 0;
    this.rids = new WeakMap();   // RTCRtpReceiver -> rid
    this.senders = new Set();
    this.active = false;
  }

  async init() {
    if (!this.mode) return null;
    try {
      this.worker = new Worker('/meeting/e2ee-worker.js', { type: 'module', name: 'sealroom-e2ee' });
    } catch {
      this.worker = null;
      this.startFailure = 'worker';
      return null;
    }
    this.worker.onmessage = (ev) => this.onWorker(ev.data || {});
    // A browser without X25519 or Ed25519 answers at once (no key); the time
    // limit only ends a worker that never answers. It is long: on a starved
    // machine loading the worker's modules took more than the 5 s it once was,
    // and the join was then refused as if the browser could not encrypt.
    let timer = null;
    const ready = new Promise((resolve) => {
      this.readyResolve = resolve;
      timer = setTimeout(() => { this.startFailure = this.startFailure || 'timeout'; resolve(null); }, E2EE_START_MS);
      this.worker.onerror = () => { this.startFailure = this.startFailure || 'worker'; resolve(null); };
    });
    this.worker.postMessage({ op: 'init' });
    this.publicKey = await ready;
    clearTimeout(timer);
    if (!this.publicKey) this.stop();
    return this.publicKey;
  }

  onWorker(m) {
    switch (m.op) {
      case 'ready':
        this.signingKey = m.signingKey || null;
        if (!(m.publicKey && m.signingKey)) this.startFailure = 'unsupported';
        if (this.readyResolve) this.readyResolve(m.publicKey && m.signingKey ? m.publicKey : null);
        break;
      case 'relays': if (this.send && Array.isArray(m.list) && m.list.length) this.send(m.list); break;
      case 'broadcast': if (this.sendAll && m.payload) this.sendAll(m.payload); break;
      case 'verify': this.verification = m; this.onVerify(m); break;
      case 'alarm': this.onAlarm(m); break;
      case 'attached': if (m.rid) { this.confirmed.add(m.rid); this.onTransform(); } break;
      case 'stats': this.stats = m; break;
      case 'error':
        this.failed = m.status || 'error';
        this.onError(this.failed);
        break;
      case 'peer':
        this.peerStatus.set(m.id, { ok: m.ok, status: m.status || null });
        this.onChange();
        break;
      case 'keyframe':
        for (const s of this.senders) {
          if (s.track && s.track.kind === 'video' && typeof s.generateKeyFrame === 'function') s.generateKeyFrame().catch(() => {});
        }
        break;
      case 'chatSeal': case 'chatOpen': {
        const r = this.chatReqs.get(m.reqId);
        this.chatReqs.delete(m.reqId);
        if (r) r(m);
        break;
      }
      case 'exportKeys': {
        const r = this.requests.get(m.reqId);
        this.requests.delete(m.reqId);
        if (r) r(m.keys);
        break;
      }
      default: break;
    }
  }

  post(m, transfer) {
    if (this.worker) this.worker.postMessage(m, transfer || []);
  }

  // Transforms on every sender and receiver; a connection config for the
  // createEncodedStreams path. Call before the peer connections exist.
  installHooks(hooks) {
    this.active = true;
    hooks.pcConfig = this.mode === 'streams' ? { encodedInsertableStreams: true } : {};
    hooks.onSender = (sender, kind) => this.attach('send', sender, kind, null);
    hooks.onReceiver = (receiver, kind, owner) => this.attach('recv', receiver, kind, owner);
    hooks.onReceiverOwner = (receiver, owner) => {
      const rid = this.rids.get(receiver);
      if (rid) this.post({ op: 'owner', rid, owner });
    };
    hooks.receiverReady = (receiver) => this.receiverReady(receiver);
  }

  uninstallHooks(hooks) {
    hooks.pcConfig = {};
    hooks.onSender = null;
    hooks.onReceiver = null;
    hooks.onReceiverOwner = null;
    hooks.receiverReady = null;
  }

  // Throws if the transform cannot be installed: rtc.js then keeps the
  // sender silent and never renders the receiver (fail closed).
  attach(role, endpoint, kind, owner) {
    if (!this.worker) throw new Error('E2EE worker is gone');
    const rid = `${role}-${++ridCounter}`;
    if (role === 'recv') {
      this.rids.set(endpoint, rid);
      this.post({ op: 'owner', rid, owner: owner || null });
    } else {
      this.senders.add(endpoint);
    }
    try {
      if (this.mode === 'script') {
        endpoint.transform = new RTCRtpScriptTransform(this.worker, { role, kind, rid, owner: owner || null });
      } else {
        const { readable, writable } = endpoint.createEncodedStreams();
        this.post({ op: 'stream', role, kind, rid, owner: owner || null, readable, writable }, [readable, writable]);
      }
    } catch (e) {
      this.failed = 'transform_failed';
      this.onError(this.failed);
      throw e;
    }
  }

  receiverReady(receiver) {
    const rid = this.rids.get(receiver);
    return !!rid && this.confirmed.has(rid);
  }

  start({ selfId, selfName, sessionId, slot, testMode, participants, send, sendAll }) {
    this.send = send;
    this.sendAll = sendAll;
    this.testMode = testMode === true;
    this.post({ op: 'start', selfId, selfName, sessionId, slot, testMode: this.testMode, peers: participants.map(peerOf) });
  }

  joined(p) { this.post({ op: 'joined', peer: peerOf(p) }); }
  left(id) { this.post({ op: 'left', id }); }
  relay(from, payload) { this.post({ op: 'relay', from, payload }); }

  exportKeys() {
    if (!this.testMode || !this.worker) return Promise.resolve(null);
    const reqId = ++this.reqId;
    return new Promise((resolve) => {
      this.requests.set(reqId, resolve);
      this.post({ op: 'exportKeys', reqId });
    });
  }

  request(op, fields, fallback) {
    if (!this.worker) return Promise.resolve(fallback);
    const reqId = ++this.reqId;
    return new Promise((resolve) => {
      this.chatReqs.set(reqId, resolve);
      this.post({ op, reqId, ...fields });
    });
  }

  sealChat(text) {
    return this.request('chatSeal', { text }, { payload: null, status: 'SRE_ERR_NO_KEY' })
      .then((m) => m.payload || null);
  }

  openChat(from, payload) {
    return this.request('chatOpen', { from, payload }, { ok: false, status: 'SRE_ERR_NO_KEY' })
      .then((m) => (m.ok ? { ok: true, type: m.type, text: m.text, time: m.time } : { ok: false, status: m.status || 'error' }));
  }

  stop() {
    this.active = false;
    for (const r of this.chatReqs.values()) r({ ok: false, payload: null, status: 'stopped' });
    this.chatReqs.clear();
    this.send = null;
    this.sendAll = null;
    if (this.worker) {
      this.worker.postMessage({ op: 'stop' });
      const w = this.worker;
      setTimeout(() => w.terminate(), 1000);
    }
    this.worker = null;
  }
}

function peerOf(p) {
  return { id: p.id, slot: p.slot, publicKey: p.publicKey, signingKey: p.signingKey };
}
