// Peer connections of the meeting page (see docs/signalling.md).
//
// Two connections per participant, both to the SFU:
//   publish   - only the client offers; outgoing tracks as sendonly transceivers.
//   subscribe - only the server offers; incoming tracks, one offer at a time.
//
// Every outgoing sender and every incoming receiver passes through exactly one
// function here (attachSender / attachReceiver). End-to-end encryption (next
// milestone) hooks its encoded transforms in there via `mediaHooks`, so the rest
// of the page never needs to know about it.

import { mark } from './timing.js';

// Hooks for encoded transforms. Each is called once per sender/receiver:
//   onSender(sender, kind)                  when an outgoing track is added
//   onReceiver(receiver, kind, participantId) when an incoming track appears
//   onReceiverOwner(receiver, participantId) when a receiver's owner is learnt or
//                                           changes (the SFU may reuse an m-line)
//   receiverReady(receiver) -> boolean      may its track be rendered yet? (E2EE: only
//                                           once the worker confirmed the transform runs)
// A hook that throws fails closed: the sender's track is removed (nothing is
// sent untransformed) and the receiver is never reported ready.
// Note for the E2EE work: Chromium's createEncodedStreams() also needs
// `encodedInsertableStreams: true` in the connection config (see pcConfig);
// RTCRtpScriptTransform does not.
export const mediaHooks = {
  onSender: null,
  onReceiver: null,
  onReceiverOwner: null,
  receiverReady: null,
  pcConfig: {}, // extra RTCConfiguration members, merged into every connection
};

// No transforms: a plain call (and the page between calls).
export function clearMediaHooks() {
  mediaHooks.pcConfig = {};
  mediaHooks.onSender = null;
  mediaHooks.onReceiver = null;
  mediaHooks.onReceiverOwner = null;
  mediaHooks.receiverReady = null;
}

const ANSWER_TIMEOUT_MS = 15000;

// TURN servers for this call, from the welcome (the server's --turn-url, with
// credentials for this participant); none by default: the SFU is ICE-lite on
// a reachable address (UDP, or TCP on the same port), and TURN is for
// networks that block both. transportPolicy is 'relay' only for
// recovery.js's retry of a failed call. relayRefused: a TURN server answered
// 401 or 403 (a wrong secret or a relay it may not make: the server's set-up,
// not the user's network), for the failure message.
export const iceConfig = { iceServers: [], transportPolicy: 'all', relayRefused: null };

// Keeps only well-formed entries: {urls: [turn:/turns:/stun: URLs], username, credential}.
export function setIceServers(list) {
  iceConfig.relayRefused = null;
  const ok = (u) => typeof u === 'string' && /^(turns?|stuns?):/.test(u);
  iceConfig.iceServers = (Array.isArray(list) ? list : []).filter((s) => s && typeof s === 'object')
    .map((s) => ({ urls: (Array.isArray(s.urls) ? s.urls : [s.urls]).filter(ok), username: String(s.username || ''),
      credential: String(s.credential || '') }))
    .filter((s) => s.urls.length > 0);
}

// A connection made before the welcome (preconnect.js) gets the welcome's
// TURN servers here, before its first setLocalDescription starts gathering
// candidates. False if this browser cannot change them: then the connection
// must not be used.
export function applyIceServers(pc) {
  if (!iceConfig.iceServers.length) return true;
  try {
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers: iceConfig.iceServers });
    return true;
  } catch (e) {
    console.warn('sealroom: could not give a connection its TURN servers', e);
    return false;
  }
}

// A TURN server that refuses (401 Unauthorized, 403 Forbidden) is noted and
// logged: the operator's to fix, and what the failure message says.
function watchIceErrors(pc) {
  pc.addEventListener('icecandidateerror', (e) => {
    if (e.errorCode === 401 || e.errorCode === 403) {
      iceConfig.relayRefused = { code: e.errorCode, url: e.url || '' };
      console.warn(`sealroom: the TURN server ${e.url || ''} refused: ${e.errorCode} ${e.errorText || ''}`);
    }
  });
  return pc;
}

export function createPeerConnection() {
  return watchIceErrors(new RTCPeerConnection({
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
    iceServers: iceConfig.iceServers,
    iceTransportPolicy: iceConfig.transportPolicy,
    ...mediaHooks.pcConfig,
  }));
}

// Camera video goes out in three encodings (simulcast): the SFU forwards
// each subscriber the best one it can take and switches at key frames
// (docs/architecture.md, "Simulcast"). Listed from the smallest up: the
// server takes the a=simulcast order as lowest first.
export const VIDEO_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1700000 },
];

// A screen share goes out as one encoding (text must stay sharp; a
// subscriber that cannot take it is left to the allocator, which keeps it
// ahead of cameras): full resolution, a few frames a second when the
// encoder must choose.
export const SCREEN_ENCODING = { maxBitrate: 2500000 };

// The one place outgoing media enters a connection. source: 'microphone',
// 'camera' or 'screen'.
export function attachSender(pc, track, stream, source = track.kind === 'audio' ? 'microphone' : 'camera') {
  const init = { direction: 'sendonly', streams: [stream] };
  if (source === 'camera') init.sendEncodings = VIDEO_ENCODINGS.map((e) => ({ ...e }));
  else if (source === 'screen') init.sendEncodings = [{ ...SCREEN_ENCODING }];
  const transceiver = pc.addTransceiver(track, init);
  if (source === 'screen') keepResolution(transceiver.sender);
  if (mediaHooks.onSender) {
    try {
      mediaHooks.onSender(transceiver.sender, track.kind);
    } catch (e) {
      console.error('sealroom: the send transform could not be installed; the track is not sent', e);
      transceiver.sender.replaceTrack(null).catch(() => {});
      transceiver.direction = 'inactive';
    }
  }
  return transceiver;
}

// A screen share keeps its resolution when bandwidth or CPU run short (it
// loses frame rate instead). Not every browser takes the setting: then the
// browser's default applies.
function keepResolution(sender) {
  try {
    const params = sender.getParameters();
    params.degradationPreference = 'maintain-resolution';
    sender.setParameters(params).catch(() => {});
  } catch { /* not supported here */ }
}

// The one place incoming media is accepted (called once per receiver).
const seenReceivers = new WeakMap(); // receiver -> owner as last told to the hooks
export function attachReceiver(receiver, participantId) {
  if (seenReceivers.has(receiver)) {
    if (participantId && seenReceivers.get(receiver) !== participantId) {
      seenReceivers.set(receiver, participantId);
      if (mediaHooks.onReceiverOwner) mediaHooks.onReceiverOwner(receiver, participantId);
    }
    return;
  }
  seenReceivers.set(receiver, participantId || null);
  if (mediaHooks.onReceiver) {
    try {
      mediaHooks.onReceiver(receiver, receiver.track.kind, participantId);
    } catch (e) {
      failedReceivers.add(receiver);
      console.error('sealroom: the receive transform could not be installed; the track is not shown', e);
    }
  }
}
const failedReceivers = new WeakSet();

// May this receiver's track be rendered? Never if its hook failed; with a
// receiverReady hook, only once that says so.
export function receiverReady(receiver) {
  if (failedReceivers.has(receiver)) return false;
  return mediaHooks.receiverReady ? mediaHooks.receiverReady(receiver) === true : true;
}

// Reads, per m-section of an SDP: mid, kind, direction, port-0 (rejected) and
// the msid stream id (the sending participant's id, as the server promises).
export function parseMediaSections(sdp) {
  const out = new Map();
  const sections = String(sdp || '').split(/\r?\nm=/).slice(1);
  for (const raw of sections) {
    const lines = raw.split(/\r?\n/);
    const [kind, port] = lines[0].split(' ');
    const sec = { kind, rejected: port === '0', direction: 'sendrecv', mid: null, streamId: null, trackId: null };
    for (const line of lines) {
      if (line.startsWith('a=mid:')) sec.mid = line.slice(6).trim();
      else if (line.startsWith('a=msid:')) {
        const [s, t] = line.slice(7).trim().split(/\s+/);
        sec.streamId = s && s !== '-' ? s : null;
        sec.trackId = t || null;
      } else if (/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(line)) sec.direction = line.slice(2).trim();
    }
    if (sec.mid !== null) out.set(sec.mid, sec);
  }
  return out;
}

function connState(pc) {
  return pc ? pc.connectionState || pc.iceConnectionState || 'new' : 'none';
}

// ------------------------------------------------------------------ publish

export class Publisher {
  // send(msg): sends a signalling message. onChange(): state changed.
  // onError(err): negotiation failed.
  constructor({ send, onChange, onError }) {
    this.send = send;
    this.onChange = onChange || (() => {});
    this.onError = onError || (() => {});
    this.pc = createPeerConnection();
    this.transceivers = new Map(); // 'audio' | 'video' (the camera) | 'screen' -> RTCRtpTransceiver
    this.pending = null;           // {resolve, reject, timer} while waiting for publish_answer
    this.queue = Promise.resolve();
    this.closed = false;
    this.negotiated = false;
    this.earlyOffer = null;        // a promise of the first offer, made ahead (prepareOffer)
    this.screenStreamId = null;    // the stream of the screen share being sent
    this.layersQueue = Promise.resolve(); // video_layers, applied in order
    this.wantedLayers = null;      // the latest video_layers: {mid, active}
    this.cameraLayers = null;      // the camera's encodings sent, after a video_layers
    this.pc.addEventListener('connectionstatechange', () => {
      if (this.pc.connectionState === 'connected') mark('publish_connected');
      this.onChange();
    });
    this.pc.addEventListener('iceconnectionstatechange', () => this.onChange());
  }

  get state() { return this.closed ? 'closed' : connState(this.pc); }

  // slot: 'audio', 'video' (the camera) or 'screen'.
  addTrack(track, stream, slot = track.kind) {
    this.earlyOffer = null; // it would miss this track
    const t = attachSender(this.pc, track, stream, slot === 'screen' ? 'screen' : undefined);
    this.transceivers.set(slot, t);
    if (slot === 'screen') this.screenStreamId = stream.id;
    return t;
  }

  hasKind(kind) { return this.transceivers.has(kind); }

  // Starts (track, in a stream of its own) or stops (null) sending a screen
  // share. Each share has a transceiver of its own: a new share is a new
  // stream (new SSRC) for the receivers (Chromium does not show a stream
  // that comes back on the same m-line with the same SSRC). A stopped share's
  // transceiver turns inactive, and is stopped in the offer that adds the
  // next one, unless it is the connection's first m-line (a publisher that
  // sends nothing else): that one carries the BUNDLE group's transport, and
  // stopping it would leave an offer without a BUNDLE group (refused) or
  // move the media to a new ICE and DTLS transport; it stays, inactive.
  // Resolves to true once the server took the offer.
  async setScreen(track, stream) {
    const old = this.transceivers.get('screen');
    if (old && !old.stopped && old.direction !== 'inactive') {
      await old.sender.replaceTrack(null).catch(() => {});
      old.direction = 'inactive';
    }
    this.screenStreamId = null;
    if (track) {
      const first = this.pc.getTransceivers()[0] === old;
      if (old && !first && !old.stopped && typeof old.stop === 'function') old.stop();
      this.transceivers.delete('screen');
      this.addTrack(track, stream, 'screen');
    }
    return old || track ? this.negotiate() : true;
  }

  // The publish_offer's "sources": the m-line sending the screen share's
  // stream (its msid) is a screen share; the server tells the rest by kind.
  sourcesOf(sdp) {
    if (!this.screenStreamId) return null;
    for (const sec of parseMediaSections(sdp).values()) {
      if (!sec.rejected && sec.streamId === this.screenStreamId) return { [sec.mid]: 'screen' };
    }
    return null;
  }

  // Makes the first offer ahead, before the welcome (preconnect.js): it needs
  // no ICE servers, and setLocalDescription, which does, waits for negotiate().
  prepareOffer() {
    this.earlyOffer = this.pc.createOffer().catch(() => null);
  }

  // Sends a new publish_offer; offers are serialized (one outstanding at a time).
  // after: a promise to wait for before applying the offer here (the offer
  // itself goes at once): WebRTC applies descriptions of both connections on
  // one thread, and the subscribe connection's go first at a join.
  negotiate(after = null) {
    const run = this.queue.then(() => this.negotiateNow(after));
    this.queue = run.catch(() => {});
    // Resolves to true when the answer was applied; errors go to onError.
    return run.then(() => true, (err) => {
      if (!this.closed) this.onError(err);
      return false;
    });
  }

  async negotiateNow(after) {
    if (this.closed) return;
    const pc = this.pc;
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
    const early = this.earlyOffer;
    this.earlyOffer = null;
    const offer = (early && await early) || await pc.createOffer();
    const answered = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(Object.assign(new Error('The server did not answer the publish offer.'), { code: 'timeout' }));
      }, ANSWER_TIMEOUT_MS);
      this.pending = { resolve, reject, timer };
    });
    answered.catch(() => {}); // awaited below, maybe after it failed
    // The server is ICE-lite and needs no client candidates: the offer goes
    // at once, and the server answers while WebRTC applies it here.
    const sources = this.sourcesOf(offer.sdp);
    this.send(sources ? { type: 'publish_offer', sdp: offer.sdp, sources } : { type: 'publish_offer', sdp: offer.sdp });
    mark('publish_offer');
    try {
      if (after) await after;
      await pc.setLocalDescription(offer);
    } catch (err) {
      const p = this.pending;
      this.pending = null;
      if (p) clearTimeout(p.timer);
      throw err;
    }
    const sdp = await answered;
    if (this.closed) return;
    await pc.setRemoteDescription({ type: 'answer', sdp });
    mark('publish_answer');
    this.negotiated = true;
    if (this.wantedLayers) this.applyLayers();
    this.onChange();
  }

  get awaitingAnswer() { return this.pending !== null; }

  handleAnswer(sdp) {
    const p = this.pending;
    if (!p) {
      console.warn('sealroom: publish_answer without an outstanding offer; ignored');
      return;
    }
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(sdp);
  }

  // A server error that refers to the outstanding offer (forbidden, bad_sdp).
  rejectPending(err) {
    const p = this.pending;
    if (!p) return false;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
    return true;
  }

  // Switches the outgoing track of a kind (device change). Adds a transceiver
  // and renegotiates when the kind was not published yet.
  async setTrack(kind, track, stream) {
    const t = this.transceivers.get(kind);
    if (t) {
      await t.sender.replaceTrack(track);
      return;
    }
    if (!track) return;
    this.addTrack(track, stream);
    await this.negotiate();
  }

  // The server asks for only some of the camera's encodings (`video_layers`,
  // docs/signalling.md): no one in the room receives the others now, and
  // encoding a 720p stream no one sees costs most of the camera's CPU. The
  // encodings named in `active` are sent, the rest paused; the lowest is
  // always sent. The latest wish is applied now and again after each
  // negotiation (a failed or early one gets another chance; the server
  // does not repeat itself). Resolves to the rids now sent, or null if the
  // wish does not fit this camera (ignored).
  setCameraLayers(mid, active) {
    this.wantedLayers = { mid, active };
    return this.applyLayers();
  }

  applyLayers() {
    const run = this.layersQueue.then(() => this.applyCameraLayers());
    this.layersQueue = run.catch((err) => {
      console.warn('sealroom: the camera encodings could not be changed', err);
      return null;
    });
    return this.layersQueue;
  }

  async applyCameraLayers() {
    const t = this.transceivers.get('video');
    const want = this.wantedLayers;
    if (this.closed || !t || !want || t.mid !== want.mid || !Array.isArray(want.active)) return null;
    const active = want.active;
    const params = t.sender.getParameters();
    const encodings = params.encodings || [];
    if (encodings.length < 2) return null;
    let changed = false;
    encodings.forEach((e, i) => {
      const on = i === 0 || active.includes(e.rid);
      if (e.active !== on) changed = true;
      e.active = on;
    });
    if (changed) await t.sender.setParameters(params);
    this.cameraLayers = encodings.filter((e) => e.active).map((e) => e.rid);
    return this.cameraLayers;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.rejectPending(Object.assign(new Error('closed'), { code: 'closed' }));
    try { this.pc.close(); } catch { /* already closed */ }
  }
}

// ---------------------------------------------------------------- subscribe

export class Subscriber {
  // send(msg); onChange(); onTracks(): the set of incoming tracks may have
  // changed (call tracks() to read it); onError(err).
  constructor({ send, onChange, onTracks, onError }) {
    this.send = send;
    this.onChange = onChange || (() => {});
    this.onTracks = onTracks || (() => {});
    this.onError = onError || (() => {});
    this.pc = createPeerConnection();
    this.queue = Promise.resolve();
    this.closed = false;
    this.version = null;          // last answered version
    // Resolves when the first offer was answered (or failed, or closed).
    this.answered = new Promise((resolve) => { this.answeredResolve = resolve; });
    this.ownerByReceiver = new WeakMap(); // from track events (streams[0].id)
    this.pc.addEventListener('connectionstatechange', () => {
      if (this.pc.connectionState === 'connected') mark('subscribe_connected');
      this.onChange();
    });
    this.pc.addEventListener('iceconnectionstatechange', () => this.onChange());
    this.pc.addEventListener('track', (ev) => {
      const owner = ev.streams && ev.streams[0] ? ev.streams[0].id : null;
      if (owner) this.ownerByReceiver.set(ev.receiver, owner);
      attachReceiver(ev.receiver, owner || this.ownerOfMid(ev.transceiver && ev.transceiver.mid));
      this.onTracks();
    });
  }

  get state() { return this.closed ? 'closed' : connState(this.pc); }

  // Offers are applied strictly one at a time, in arrival order.
  enqueue(msg) {
    this.queue = this.queue.then(() => this.apply(msg)).catch((err) => {
      if (!this.closed) this.onError(err);
    }).finally(this.answeredResolve);
    return this.queue;
  }

  async apply({ sdp, version }) {
    if (this.closed) return;
    mark('subscribe_offer');
    const pc = this.pc;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.closed) return;
    this.send({ type: 'subscribe_answer', sdp: pc.localDescription.sdp, version });
    mark('subscribe_answer');
    this.version = version;
    this.onTracks();
    this.onChange();
  }

  ownerOfMid(mid) {
    if (mid == null || !this.pc.remoteDescription) return null;
    const sec = parseMediaSections(this.pc.remoteDescription.sdp).get(mid);
    return sec ? sec.streamId : null;
  }

  // The incoming tracks the server currently sends, from the remote offer:
  // [{ participantId, kind, mid, track, receiver }]. `fallbackOwner(mid)` maps
  // a mid to a participant when the m-line has no msid.
  tracks(fallbackOwner) {
    const desc = this.pc.remoteDescription;
    if (!desc || this.closed) return [];
    const sections = parseMediaSections(desc.sdp);
    const out = [];
    for (const t of this.pc.getTransceivers()) {
      if (t.stopped || t.mid == null) continue;
      const sec = sections.get(t.mid);
      if (!sec || sec.rejected || (sec.direction !== 'sendonly' && sec.direction !== 'sendrecv')) continue;
      const track = t.receiver.track;
      if (!track || track.readyState === 'ended') continue;
      const participantId = sec.streamId || this.ownerByReceiver.get(t.receiver) ||
        (fallbackOwner ? fallbackOwner(t.mid) : null);
      if (!participantId) continue;
      attachReceiver(t.receiver, participantId);
      out.push({ participantId, kind: track.kind, mid: t.mid, trackId: sec.trackId, track, receiver: t.receiver,
        ready: receiverReady(t.receiver) });
    }
    return out;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.answeredResolve();
    try { this.pc.close(); } catch { /* already closed */ }
  }
}
