// The session with the server, from Join to the end of the call: the E2EE key
// pair of this join, the signalling WebSocket, `join` and the `welcome` (or the
// refusal, or a downgrade the page refuses), the server's errors, the socket
// closing (connection lost), leave, rejoin (also recovery.js's automatic one
// when media failed). The page's state (setState).
//
// What happens inside the call is not here: initSession() gets the call's
// lifecycle from meeting.js, start(…) once a `welcome` is accepted, end() when
// the call ends however it ends, and message(msg) for the call's messages.

import { app, $ } from './state.js';
import { SignalConnection } from './signal.js';
import { mediaHooks, setIceServers, clearMediaHooks } from './rtc.js';
import { preconnect } from './preconnect.js';
import { E2eeSession, e2eeSupport } from './e2ee.js';
import { E2EE_IN_LINK, tokenClaims, rememberedE2ee, rememberE2ee } from './link.js';
import { showError, clearError, errorText, notify } from './notices.js';
import { validateName, rememberName, updateJoinButton } from './lobby.js';
import { showView } from './views.js';
import { setParticipants, renderParticipants, syncRemoteTracks } from './roster.js';
import { onVerification, onE2eeAlarm } from './security.js';
import { reopenMediaIfNeeded, releaseMedia } from './local-media.js';
import { updateStatus, mediaFailure, showMediaFailure } from './connection.js';
import { chat } from './panels.js';
import { startTiming, mark } from './timing.js';
import { initRecovery, newJoin, retryMedia } from './recovery.js';

const JOIN_TIMEOUT_MS = 15000;

let call = { start() {}, end() {}, message() {} };

export function initSession(lifecycle) {
  call = lifecycle;
  initRecovery({ rejoin: () => rejoin({ auto: true }) });
  prepareE2ee();
  window.addEventListener('pagehide', () => {
    if (app.signal && app.state === 'joined') app.signal.send({ type: 'leave' });
  });
}

// The E2EE session (its worker and key pair) of the next join, made ahead
// while the user is still in the lobby: starting the worker and making the
// keys took ~180 ms of every join. Each one serves one join only; the next
// is made when a join ends.
let nextE2ee = null; // { session, ready: Promise<base64 public key | null> }

function makeE2eeSession() {
  const session = new E2eeSession({
    onChange: () => renderParticipants(),
    onVerify: (v) => { if (app.e2ee === session) onVerification(v); },
    onAlarm: (a) => { if (app.e2ee === session) onE2eeAlarm(a); },
    onTransform: () => { if (app.e2ee === session) syncRemoteTracks(); },
    onError: (status) => { if (app.e2ee === session) showE2eeFailure(status); },
  });
  return { session, ready: session.init().catch(() => { session.startFailure = session.startFailure || 'worker'; return null; }) };
}

// Nothing is sent or shown unencrypted; say why the call is silent.
function showE2eeFailure(status) {
  $('e2ee-notice').textContent = `${errorText('e2ee_failed')} (${status}) Your audio and video are not sent.`;
  $('e2ee-notice').hidden = false;
}

function prepareE2ee() {
  if (!nextE2ee && e2eeSupport()) nextE2ee = makeE2eeSession();
}

// The next join's peer connections, made in the lobby (preconnect.js) once
// the camera and the next join's E2EE keys are ready: on page load and when
// a call ended with the camera still open.
export async function prepareJoin() {
  const next = nextE2ee;
  try { await app.mediaReady; } catch { return; }
  const pk = next ? await next.ready : null;
  if (next !== nextE2ee || app.mediaReleased || !app.room) return;
  if (!['lobby', 'error', 'disconnected'].includes(app.state)) return;
  preconnect({ e2ee: !!(e2eeExpected() && pk), session: next ? next.session : null, at: 'lobby' });
}

export function setState(s) {
  app.state = s;
  document.body.dataset.state = s;
  updateStatus();
  updateJoinButton();
}

// Where the E2EE requirement of this page comes from: 'link' | 'token' | 'memory' | null.
function e2eeExpected() {
  if (E2EE_IN_LINK) return 'link';
  if (app.token && tokenClaims(app.token).e2ee === true) return 'token';
  if (!app.e2eeOverride && rememberedE2ee(app.room)) return 'memory';
  return null;
}

// --------------------------------------------------------------------- join

// auto: recovery.js's retry after media failed (it keeps the retry used up);
// every other join is the user's and makes the retry available again.
export function join(nameArg, { auto = false } = {}) {
  if (app.state === 'joining' || app.state === 'joined') return app.joinPromise;
  if (typeof nameArg === 'string' && !$('name').readOnly) $('name').value = nameArg;
  const name = validateName();
  if (!name) return Promise.reject(Object.assign(new Error('invalid name'), { code: 'invalid_name' }));
  rememberName(name);
  app.name = name;
  clearError();
  if (!app.room) {
    showError(errorText('no_room'), { code: 'no_room' });
    return Promise.reject(Object.assign(new Error('no_room'), { code: 'no_room' }));
  }
  app.serverError = null;
  if (!auto) newJoin();
  startTiming();
  reopenMediaIfNeeded();
  setState('joining');
  app.joinPromise = connectAndJoin(name);
  return app.joinPromise;
}

async function connectAndJoin(name) {
  try { await app.mediaReady; } catch { /* joins receive-only */ }
  mark('media');
  if (app.state !== 'joining') throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
  // A fresh X25519 key pair for every join, when this browser can encrypt
  // media: the one made ahead for this join (prepareE2ee), never used before.
  if (app.e2ee) app.e2ee.stop();
  app.e2ee = null;
  if (e2eeSupport()) {
    const next = nextE2ee || makeE2eeSession();
    nextE2ee = null; // one join only
    const session = next.session;
    app.e2ee = session;
    const pk = await next.ready;
    mark('e2ee_keys');
    if (app.e2ee !== session) throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
    if (!pk) {
      session.stop();
      app.e2ee = null;
      // This browser can encrypt, but the worker did not start (a starved
      // machine, a failed load): say so, and let the user try again.
      if (e2eeExpected() && session.startFailure && session.startFailure !== 'unsupported') {
        console.warn(`sealroom: the E2EE worker did not start (${session.startFailure})`);
        failJoin('e2ee_failed');
        throw Object.assign(new Error('e2ee_failed'), { code: 'e2ee_failed' });
      }
    }
    if (app.state !== 'joining') throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
  }
  if (e2eeExpected() && !(app.e2ee && app.e2ee.publicKey)) {
    // The link says the call is E2EE and this browser cannot encrypt: do not
    // even connect (nothing, not the name, goes to the server).
    failJoin('e2ee_required');
    throw Object.assign(new Error('e2ee_required'), { code: 'e2ee_required' });
  }
  const sig = new SignalConnection({
    onMessage: (msg) => { if (app.signal === sig) onSignal(msg); },
    onClose: (info) => { if (app.signal === sig) onSignalClose(info); },
    onStateChange: updateStatus,
  });
  app.signal = sig;
  const opened = sig.open();
  // The call's peer connections for the room we expect, if those made in the
  // lobby do not fit (preconnect.js): while the socket opens.
  if (preconnect({ e2ee: !!(e2eeExpected() && app.e2ee), session: app.e2ee, at: 'click' })) mark('preconnect');
  try {
    await opened;
    mark('ws_open');
  } catch {
    if (app.signal === sig) failJoin('connect_failed');
    throw Object.assign(new Error('connect_failed'), { code: 'connect_failed' });
  }
  if (app.signal !== sig) throw Object.assign(new Error('superseded'), { code: 'superseded' });
  const welcomed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => failJoin('join_timeout'), JOIN_TIMEOUT_MS);
    app.joinWaiter = { resolve, reject, timer };
  });
  // When the link says the call is E2EE, the server does not learn the name:
  // it travels sealed in the key messages (docs/e2ee.md 7.2).
  const msg = { type: 'join', room: app.room, name: e2eeExpected() && app.e2ee ? 'Participant' : name };
  if (app.token) msg.token = app.token;
  if (app.e2ee && app.e2ee.publicKey) {
    msg.public_key = app.e2ee.publicKey;
    msg.signing_key = app.e2ee.signingKey;
  }
  sig.send(msg);
  return welcomed;
}

// The join did not succeed: back on the join screen with the reason.
function failJoin(code, message) {
  const w = app.joinWaiter;
  app.joinWaiter = null;
  if (w) clearTimeout(w.timer);
  const sig = app.signal;
  app.signal = null;
  if (sig) sig.close();
  call.end();
  setState('error');
  showView('lobby');
  const retry = code === 'room_full' || code === 'connect_failed' || code === 'join_timeout' ||
    code === 'server_error' || code === 'connection_lost' || code === 'rate_limited' || code === 'e2ee_failed';
  showError(errorText(code, message), {
    code,
    action: retry ? { label: 'Try again', run: () => join().catch(() => {}) } : null,
  });
  if (w) w.reject(Object.assign(new Error(code), { code }));
}

function onSignal(msg) {
  if (msg.type === 'welcome') onWelcome(msg);
  else if (msg.type === 'error') onServerError(msg);
  else call.message(msg);
}

function onWelcome(msg) {
  mark('welcome');
  setIceServers(msg.ice_servers);
  const w = app.joinWaiter;
  if (!w || app.state !== 'joining') return;
  app.joinWaiter = null;
  clearTimeout(w.timer);

  app.participantId = String(msg.participant_id || '');
  app.roomInfo = msg.room || {};
  const e2eeRoom = app.roomInfo.e2ee_enabled === true;
  const expected = e2eeExpected();
  if (!e2eeRoom && expected) {
    // A downgrade: nothing has been sent yet, and nothing will be.
    app.joinWaiter = w;
    if (app.signal) app.signal.send({ type: 'leave' });
    if (expected === 'memory') {
      failJoin('e2ee_remembered');
      showError(errorText('e2ee_remembered'), {
        code: 'e2ee_expected',
        action: { label: 'Join without encryption', run: () => { app.e2eeOverride = true; rememberE2ee(app.room, false); join().catch(() => {}); } },
      });
    } else {
      failJoin('e2ee_expected');
    }
    return;
  }
  if (e2eeRoom && !(app.e2ee && app.e2ee.publicKey)) {
    // The server should have refused us (e2ee_required): never join unencrypted.
    app.joinWaiter = w;
    if (app.signal) app.signal.send({ type: 'leave' });
    failJoin('e2ee_required');
    return;
  }
  app.role = msg.role || null;
  const perms = app.role && Array.isArray(app.role.permissions) ? app.role.permissions : null;
  app.canBroadcast = perms ? perms.includes('broadcast') : true;
  const canChat = perms ? perms.includes('chat') : true;
  setParticipants(msg.participants);

  $('e2ee-notice').hidden = true;
  app.sessionId = typeof msg.session_id === 'string' ? msg.session_id : null;
  app.slot = Number.isInteger(msg.slot) ? msg.slot : null;
  app.testMode = msg.test_mode === true;
  $('test-mode-banner').hidden = !app.testMode;
  $('e2ee-alarm').hidden = true;
  app.e2eeOverride = false; // an explicit "join without encryption" counts once
  if (e2eeRoom) {
    // Transforms must be in place before the peer connections exist (those
    // made ahead for an E2EE room have them already: preconnect.js).
    app.e2eeOn = true;
    rememberE2ee(app.room, true);
    app.e2ee.installHooks(mediaHooks);
    if (app.e2ee.failed) showE2eeFailure(app.e2ee.failed); // a transform failed before the welcome
    app.e2ee.start({
      selfId: app.participantId, selfName: app.name, sessionId: app.sessionId, slot: app.slot,
      testMode: app.testMode,
      participants: [...app.participants.values()],
      send: sendRelays,
      sendAll: (payload) => app.signal && app.signal.send({ type: 'relay_all', payload }),
    });
  } else {
    app.e2eeOn = false;
    if (app.e2ee) app.e2ee.stop();
    app.e2ee = null;
  }

  // In an E2EE room the server only knows "Participant": our own chat lines
  // carry the name we typed (it travels sealed to the others).
  const serverName = typeof msg.name === 'string' && msg.name ? msg.name : app.name;
  call.start({ canChat, chatName: e2eeRoom ? app.name : serverName });
  app.signal.startKeepalive();
  w.resolve({ participantId: app.participantId, room: app.roomInfo, role: app.role });
}

// The worker's relays: one `relay`, or one `relay_batch` for several (a
// rotation in a large room sends a key message to everyone at once).
function sendRelays(list) {
  if (!app.signal) return;
  if (list.length === 1) app.signal.send({ type: 'relay', to: list[0].to, payload: list[0].payload });
  else app.signal.send({ type: 'relay_batch', messages: list.map((m) => ({ to: m.to, payload: m.payload })) });
}

// Key exchange messages arrive here.
export function onRelay(msg) {
  if (app.e2eeOn && app.e2ee && typeof msg.from === 'string') app.e2ee.relay(msg.from, msg.payload);
  if (typeof app.onRelay === 'function') app.onRelay(msg.from, msg.payload);
}

// ------------------------------------------------------- errors and the end

function onServerError(msg) {
  const code = typeof msg.code === 'string' ? msg.code : 'server_error';
  const message = typeof msg.message === 'string' ? msg.message : '';
  app.serverError = { code, message };
  if (app.state === 'joining') {
    failJoin(code, message);
    return;
  }
  if (app.state !== 'joined') return;
  const err = Object.assign(new Error(message || code), { code });
  switch (code) {
    case 'forbidden':
      if (app.publisher && app.publisher.rejectPending(err)) return;
      if (chat.serverError(code)) return;
      notify(errorText(code));
      return;
    case 'bad_sdp':
      if (app.publisher && app.publisher.rejectPending(err)) return;
      showError(`${errorText(code)} (receiving)`, { code, action: { label: 'Rejoin', run: rejoin } });
      return;
    case 'rate_limited':
      if (chat.serverError(code)) return;
      notify(errorText(code));
      return;
    case 'too_large':
      if (chat.serverError(code)) return;
      console.warn(`sealroom: server error ${code}: ${message}`);
      return;
    case 'bad_message':
      if (chat.serverError(code)) return;
      console.warn(`sealroom: server error ${code}: ${message}`);
      return;
    case 'media_failed':
      // The server gave up on our media while signalling works (it closes
      // the socket next): try once more, else say now that UDP may be blocked.
      if (!retryMedia()) showMediaFailure();
      return;
    case 'not_joined': case 'already_joined': case 'unknown_type': case 'unknown_participant':
      console.warn(`sealroom: server error ${code}: ${message}`);
      return;
    default:
      // Errors that close the socket are reported when it closes.
      console.warn(`sealroom: server error ${code}: ${message}`);
  }
}

// The socket closed under us. "Connection lost" unless the server said why
// first: after `media_failed` (also the close reason) the socket was fine and
// media could not pass, so the page says that UDP may be blocked.
function onSignalClose(info) {
  if (app.state === 'joining') {
    failJoin(app.serverError ? app.serverError.code : 'connect_failed', app.serverError && app.serverError.message);
    return;
  }
  if (app.state !== 'joined') return;
  const said = app.serverError ? app.serverError.code : '';
  const mediaClose = said === 'media_failed' || (info && info.reason === 'media_failed');
  if (mediaClose && said !== 'media_failed' && retryMedia()) return; // the error itself did not arrive
  // Our answer to a subscribe offer came too late (a starved machine): one
  // more try, as when media cannot pass (not through the relay only).
  if (said === 'subscribe_timeout' && retryMedia({ direct: true })) return;
  const media = mediaClose ? mediaFailure() : null;
  const code = media ? 'media_failed' : ['server_error', 'too_large', 'rate_limited'].includes(said) ? said : 'connection_lost';
  app.signal = null;
  call.end();
  setState('disconnected');
  $('left-title').textContent = media ? media.title : 'Connection lost';
  $('left-text').textContent = 'You are no longer in the meeting. Your camera and microphone are still open for a quick rejoin.';
  showView('left');
  showError(media ? media.text : errorText(code), { code, action: { label: 'Rejoin', run: rejoin } });
  $('rejoin').focus();
}

// Forgets this join (the call's end, after the call's modules stopped): our
// id, the E2EE session and its media hooks, the session's banners.
export function endJoin() {
  app.participantId = null;
  if (app.e2ee) app.e2ee.stop();
  app.e2ee = null;
  app.e2eeOn = false;
  app.sessionId = null;
  app.slot = null;
  clearMediaHooks();
  $('test-mode-banner').hidden = true;
  $('e2ee-notice').hidden = true;
  prepareE2ee(); // for a rejoin
  prepareJoin();
}

export function leave() {
  if (app.state !== 'joined' && app.state !== 'joining') return Promise.resolve();
  const sig = app.signal;
  app.signal = null;
  const w = app.joinWaiter;
  app.joinWaiter = null;
  if (w) { clearTimeout(w.timer); w.reject(Object.assign(new Error('left'), { code: 'left' })); }
  if (sig) {
    sig.send({ type: 'leave' });
    sig.close();
  }
  call.end();
  releaseMedia();
  clearError();
  setState('left');
  $('left-title').textContent = 'You left the meeting';
  $('left-text').textContent = 'Your camera and microphone are off.';
  showView('left');
  $('rejoin').focus();
  return Promise.resolve();
}

// opts.auto: recovery.js's retry (see join); the Rejoin buttons pass nothing.
export function rejoin(opts) {
  const auto = !!(opts && opts.auto === true);
  clearError();
  if (app.state === 'joined') {
    // A broken call: start over with a fresh connection.
    const sig = app.signal;
    app.signal = null;
    if (sig) { sig.send({ type: 'leave' }); sig.close(); }
    call.end();
    setState('lobby');
  }
  reopenMediaIfNeeded();
  return join(undefined, { auto }).catch(() => {});
}

export function backToLobby() {
  clearError();
  reopenMediaIfNeeded();
  setState('lobby');
  showView('lobby');
  $('name').focus();
}
