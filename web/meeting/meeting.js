// sealroom meeting page: join screen, call, leave. Plain ES modules, no build
// step, no dependencies; runs under the server's strict CSP (no inline script
// or style, nothing external). Everything user-supplied is rendered with
// textContent. Protocol: docs/signalling.md.

import { SignalConnection } from './signal.js';
import { Publisher, Subscriber, mediaHooks } from './rtc.js';
import { LocalMedia, describeProblem } from './media.js';
import { TileGrid, initials } from './tiles.js';
import { icon, setIcon } from './icons.js';
import { E2eeSession, e2eeSupport } from './e2ee.js';
import { Chat } from './chat.js';

const STORE_NAME = 'sealroom.displayName';
const JOIN_TIMEOUT_MS = 15000;
const SPEAKER_POLL_MS = 250;
const SPEAKING_LEVEL = 0.02;   // linear level, ~ -34 dBov (RFC 6464 audio level / RMS)
const SPEAKER_HOLD_MS = 800;   // keep the highlight briefly after the level drops
const METER_MS = 100;
const NAME_MAX = 64;

const $ = (id) => document.getElementById(id);

// The E2EE requirement comes from what the integrator handed the user, out of
// the server's reach (docs/e2ee.md 12.2): `#e2ee` in the link (browsers never
// send the fragment), or an `e2ee: true` claim in the join token of the link.
// The page also remembers per room that it was E2EE and refuses a silent
// downgrade (the user may override that memory explicitly, never the link).
const E2EE_IN_LINK = /(^|[#&])e2ee($|&)/.test(location.hash.slice(1));
const E2EE_MEMORY_PREFIX = 'sealroom.e2ee.';

// ---------------------------------------------------------------- the room

// The page is served at /<friendly_url> or /<room id>, optionally ?token=<JWT>.
function roomFromPath() {
  const seg = location.pathname.split('/').filter(Boolean)[0] || '';
  try { return decodeURIComponent(seg); } catch { return seg; }
}

function tokenFromQuery() {
  const t = new URLSearchParams(location.search).get('token');
  return t && t.trim() ? t.trim() : null;
}

// Claims of the join token, read only to prefill the name (the server verifies it).
function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : {};
  } catch {
    return {};
  }
}

// -------------------------------------------------------------------- state

const app = {
  state: 'lobby', // lobby | joining | joined | left | disconnected | error
  room: roomFromPath(),
  token: tokenFromQuery(),
  name: '',
  roomInfo: null,
  role: null,
  participantId: null,
  participants: new Map(), // the others: id -> { id, name, role, tracks }
  canBroadcast: true,
  signal: null,
  publisher: null,
  subscriber: null,
  media: new LocalMedia(),
  mediaReady: Promise.resolve(),
  joinWaiter: null,
  joinPromise: null,
  serverError: null,   // last `error` from the server {code, message}
  mediaReleased: false, // camera/microphone closed by leaving (reopened on the next join)
  audioReceivers: [],  // [{ participantId, receiver }]
  levels: new Map(),   // participant id -> last audio level
  lastLoud: new Map(), // participant id -> time the level was last above the threshold
  lastRtp: new WeakMap(), // receiver -> last rtpTimestamp (staleness check)
  activeSpeaker: null,
  speakerTimer: null,
  meterTimer: null,
  failedNotified: false,
  e2ee: null,          // E2eeSession of this join (a key pair even before we know the room is E2EE)
  e2eeOn: false,       // the room is E2EE and this page encrypts
  e2eeOverride: false, // the user chose to join although this room was E2EE before
  testMode: false,     // the server said it runs test hooks (a banner shows it)
  sessionId: null,
  slot: null,
  verify: emptyVerify(),
  shownCode: null,     // the last complete security code shown (to say when it changes)
  shownSet: null,      // the members (ids) when it was shown, or since
  missingSince: new Map(), // member id -> when it got our keys without sending its own
  coveredAt: new Map(),    // member id -> when a complete code shown here first included it
  alarms: [],              // E2EE alarms of this call: {reason, line}
  missingTimer: null,
};

function emptyVerify() {
  return { code: null, status: null, complete: false, members: [], excluded: [], names: {}, fingerprints: {} };
}

// Where the E2EE requirement of this page comes from: 'link' | 'token' | 'memory' | null.
function e2eeExpected() {
  if (E2EE_IN_LINK) return 'link';
  if (app.token && tokenClaims(app.token).e2ee === true) return 'token';
  if (!app.e2eeOverride && rememberedE2ee()) return 'memory';
  return null;
}

function rememberedE2ee() {
  try { return localStorage.getItem(E2EE_MEMORY_PREFIX + app.room) === '1'; } catch { return false; }
}

function rememberE2ee(on) {
  try {
    if (on) localStorage.setItem(E2EE_MEMORY_PREFIX + app.room, '1');
    else localStorage.removeItem(E2EE_MEMORY_PREFIX + app.room);
  } catch { /* storage disabled: the link and the token still hold */ }
}

// The name to show for a participant: in an E2EE call, the one it sealed to
// us in its key messages; the server's copy only until that arrives.
function displayName(p) {
  if (!p) return 'Guest';
  if (app.e2eeOn) {
    const sealed = app.verify.names[p.id];
    if (typeof sealed !== 'string') return `${p.name} (unverified)`;
    return sealed || 'Guest';
  }
  return p.name;
}

// In an E2EE call every remote name is shown with the first five digits of
// its key fingerprint, in an element of its own that never shrinks: a name
// can be copied, or made to look like another (other scripts, invisible or
// look-alike characters), the digits cannot. No check for equal names could
// catch every look-alike, and a name shown before the real one arrived would
// escape it. (docs/e2ee.md 10.4)
function badgeOf(p) {
  if (!p || !app.e2eeOn || p.id === app.participantId) return null;
  const fp = app.verify.fingerprints[p.id];
  return typeof fp === 'string' && fp.length >= 5 ? fp.slice(0, 5) : null;
}

const chat = new Chat({
  send: (payload) => !!(app.signal && app.state === 'joined' && app.signal.send({ type: 'chat', payload }) !== false),
  e2ee: () => (app.e2eeOn ? app.e2ee : null),
  nameOf: (id) => displayName(app.participants.get(id)),
  badgeOf: (id) => badgeOf(app.participants.get(id)),
  onOpenChange: (open) => {
    if (open && !$('participants-panel').hidden) setPanelOpen(false);
  },
});

const tiles = new TileGrid($('tiles'), { onAutoplayBlocked: () => { $('enable-audio').hidden = false; } });

function setState(s) {
  app.state = s;
  document.body.dataset.state = s;
  updateStatus();
  updateJoinButton();
}

// ------------------------------------------------------------------- errors

const ERROR_TEXT = {
  room_not_found: 'This meeting room does not exist, or it is private and your link has no valid invitation. Check the link you were given.',
  room_locked: 'This room is locked. Nobody can join until it is unlocked.',
  room_expired: 'This room has expired and can no longer be joined.',
  room_full: 'This room is full. Try again when someone has left.',
  server_full: 'The server is at its capacity for calls right now. Try again in a few minutes.',
  token_required: 'This is a private room. You need an invitation link that contains a join token.',
  token_invalid: 'Your invitation link is not valid for this room. Ask for a new link.',
  token_expired: 'Your invitation link has expired or is not valid yet. Ask for a new link.',
  forbidden: 'Your role in this room does not allow sending audio or video. You can watch and listen.',
  bad_sdp: 'The server could not use the media description sent by this browser.',
  server_error: 'The server ran into a problem. Try again in a moment.',
  rate_limited: 'Too many requests were sent to the server. Wait a moment and try again.',
  too_large: 'A message to the server was too large.',
  connect_failed: 'Could not reach the meeting server. Check your connection and try again.',
  connection_lost: 'The connection to the meeting server was lost.',
  e2ee_required: 'This meeting is end-to-end encrypted, and this browser cannot take part: it lacks the encoded media transforms E2EE needs. Use a current version of Chrome, Edge, Firefox or Safari.',
  e2ee_expected: 'Your link says this meeting is end-to-end encrypted, but the server reports that it is not. The page did not join and sent nothing.',
  e2ee_remembered: 'This meeting was end-to-end encrypted when you joined it before, but the server now reports that it is not. The page did not join and sent nothing. Join without encryption only if the organiser really switched it off.',
  e2ee_failed: 'End-to-end encryption could not be started in this browser.',
  e2ee_not_enabled: 'Your link requires end-to-end encryption, but this meeting is not end-to-end encrypted. The page did not join.',
  join_timeout: 'The meeting server did not answer. Try again.',
  no_room: 'This address does not name a meeting room.',
  bad_message: 'The server did not accept the request. Check that your name has 1 to 64 characters.',
  media_failed: 'The audio/video connection to the server failed. Your network may block it (UDP).',
};

function errorText(code, fallback) {
  return ERROR_TEXT[code] || fallback || 'Something went wrong.';
}

let errorAction = null;

function showError(message, { code = '', action = null } = {}) {
  const box = $('error');
  $('error-text').textContent = message;
  box.dataset.code = code || '';
  const btn = $('error-action');
  errorAction = action;
  btn.hidden = !action;
  if (action) btn.textContent = action.label;
  box.hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').dataset.code = '';
  $('error-text').textContent = '';
  errorAction = null;
}

let noticeTimer = null;
function notify(text) {
  const n = $('notice');
  n.textContent = text;
  n.classList.add('visible');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => n.classList.remove('visible'), 3500);
}

// -------------------------------------------------------------------- views

function showView(view) {
  document.body.dataset.view = view;
  $('lobby-view').hidden = view !== 'lobby';
  $('call-view').hidden = view !== 'call';
  $('left-view').hidden = view !== 'left';
  // The mic/camera buttons live on the join screen before joining, in the
  // call controls during the call (same elements, same ids).
  const home = view === 'call' ? $('call-toggles') : $('lobby-toggles');
  home.append($('toggle-mic'), $('toggle-cam'));
  if (view === 'lobby') startMeter(); else stopMeter();
  updateToggles();
}

function setRoomHeading() {
  const info = app.roomInfo;
  const friendly = (info && info.friendly_url) || app.room;
  const title = (info && info.description) || friendly || 'Meeting';
  $('room-name').textContent = title;
  $('room-url').textContent = info && info.description && friendly ? `/${friendly}` : '';
  $('lobby-title').textContent = title;
  document.title = `${title} · sealroom`;
}

// ------------------------------------------------------------ local media UI

function previewName() {
  return $('name').value.trim();
}

function updatePreview() {
  const v = app.media.track('video');
  const video = $('preview-video');
  const want = v ? app.media.stream : null; // never an empty stream (it would delay `load`)
  if (video.srcObject !== want) video.srcObject = want;
  const on = !!v && app.media.enabled.video;
  $('preview-tile').classList.toggle('has-video', on);
  $('preview-tile').classList.toggle('has-audio', app.media.has('audio'));
  $('preview-avatar').textContent = initials(previewName() || '?');
  $('preview-label').textContent = previewName() || 'Camera preview';
  if (on) video.play().catch(() => {});
}

function updateLocalTile() {
  if (!app.participantId) return;
  const t = tiles.get(app.participantId);
  if (!t) return;
  const v = app.media.track('video');
  t.setTrack('video', v || null);
  t.setVideoOff(!app.media.isOn('video'));
  t.setLocalMic(app.media.enabled.audio, app.media.has('audio') && app.canBroadcast);
}

function toggleButton(btn, { on, available, onLabel, offLabel, missingLabel, onIcon, offIcon, what }) {
  const label = btn.querySelector('.ctl-label');
  const text = !available ? missingLabel : on ? onLabel : offLabel;
  label.textContent = text;
  btn.setAttribute('aria-label', !available ? missingLabel : on ? `${onLabel} (${what} is on)` : `${offLabel} (${what} is off)`);
  btn.dataset.on = String(available && on);
  btn.classList.toggle('off', !(available && on));
  btn.disabled = !available;
  setIcon(btn, available && on ? onIcon : offIcon);
}

function updateToggles() {
  const allowed = app.canBroadcast || app.state !== 'joined';
  // A role without `broadcast` has nothing to switch: the notice explains it.
  $('toggle-mic').hidden = !allowed;
  $('toggle-cam').hidden = !allowed;
  toggleButton($('toggle-mic'), {
    on: app.media.enabled.audio, available: app.media.has('audio') && allowed,
    onLabel: 'Mute', offLabel: 'Unmute', missingLabel: 'No microphone',
    onIcon: 'mic', offIcon: 'mic-off', what: 'microphone',
  });
  toggleButton($('toggle-cam'), {
    on: app.media.enabled.video, available: app.media.has('video') && allowed,
    onLabel: 'Stop video', offLabel: 'Start video', missingLabel: 'No camera',
    onIcon: 'cam', offIcon: 'cam-off', what: 'camera',
  });
}

async function toggle(kind) {
  if (!app.media.has(kind)) return;
  const on = !app.media.enabled[kind];
  if (kind === 'video') {
    // The camera closes (its light goes off) and reopens; the publisher
    // sends nothing meanwhile (no black frames) and gets the new track back.
    const track = await app.media.setVideo(on);
    if (on && !track) showError('Could not open the camera again.', { code: 'device' });
    if (app.state === 'joined' && app.publisher && app.publisher.hasKind('video')) {
      app.signal.send({ type: 'mute', kind, muted: !(on && track) });
      await app.publisher.setTrack('video', track, app.media.stream);
    } else if (track) {
      await afterLocalTrackChange('video', track);
    }
  } else {
    app.media.setEnabled(kind, on);
    if (app.state === 'joined' && app.publisher && app.publisher.hasKind(kind)) {
      app.signal.send({ type: 'mute', kind, muted: !on });
    }
  }
  updateToggles();
  updatePreview();
  updateLocalTile();
  renderParticipants();
}

function showMediaProblem(result) {
  const text = describeProblem(result.problems, result);
  const p = $('media-message');
  p.textContent = text || '';
  p.hidden = !text;
  p.dataset.problem = Object.values(result.problems)[0] || '';
}

async function startPreview() {
  const p = $('media-message');
  p.hidden = false;
  p.textContent = 'Starting camera and microphone…';
  const result = await app.media.acquire();
  if (result.audio) app.media.ensureMeter();
  showMediaProblem(result);
  updatePreview();
  updateToggles();
  await refreshDevices();
  return result;
}

function fillSelect(sel, list, current, kind) {
  sel.replaceChildren();
  const what = kind === 'audio' ? 'microphone' : 'camera';
  if (!list.length) {
    const problem = app.media.problems[kind];
    const o = document.createElement('option');
    o.value = '';
    o.textContent = problem === 'NotAllowedError' || problem === 'SecurityError' || problem === 'InsecureContext'
      ? `No access to the ${what}` : `No ${what} found`;
    sel.appendChild(o);
    sel.disabled = true;
    return;
  }
  sel.disabled = false;
  if (!current) {
    const o = document.createElement('option');
    o.value = '';
    o.textContent = `Choose a ${what}…`;
    sel.appendChild(o);
  }
  for (const d of list) {
    const o = document.createElement('option');
    o.value = d.deviceId;
    o.textContent = d.label;
    sel.appendChild(o);
  }
  sel.value = current && list.some((d) => d.deviceId === current) ? current : (current ? list[0].deviceId : '');
}

async function refreshDevices() {
  const devices = await app.media.devices();
  for (const sel of document.querySelectorAll('select[data-kind]')) {
    const kind = sel.dataset.kind;
    fillSelect(sel, devices[kind], app.media.currentDeviceId(kind), kind);
  }
  $('settings-hint').textContent = app.state === 'joined' && !app.canBroadcast
    ? 'Your role cannot send audio or video in this room.' : '';
}

async function chooseDevice(kind, deviceId) {
  if (!deviceId || deviceId === app.media.currentDeviceId(kind)) return;
  if (app.state === 'joined' && !app.canBroadcast) return;
  let track;
  try {
    track = await app.media.switchDevice(kind, deviceId);
  } catch (err) {
    const what = kind === 'audio' ? 'microphone' : 'camera';
    showError(`Could not switch the ${what} (${err && err.name ? err.name : 'error'}).`, { code: 'device' });
    track = app.media.track(kind);
  }
  if (app.media.has('audio')) app.media.ensureMeter();
  await afterLocalTrackChange(kind, track);
  await refreshDevices();
}

async function afterLocalTrackChange(kind, track) {
  updatePreview();
  updateToggles();
  updateLocalTile();
  if (app.state !== 'joined' || !app.canBroadcast) return;
  const hadKind = app.publisher && app.publisher.hasKind(kind);
  if (!app.publisher) {
    if (track) await startPublishing();
    return;
  }
  await app.publisher.setTrack(kind, track, app.media.stream);
  if (!hadKind && track && app.publisher && app.publisher.hasKind(kind) && !app.media.enabled[kind]) {
    app.signal.send({ type: 'mute', kind, muted: true });
  }
  renderParticipants();
}

// Microphone level on the join screen.
function startMeter() {
  if (app.meterTimer) return;
  app.meterTimer = setInterval(() => {
    const level = app.media.level();
    const pct = Math.min(100, Math.round(Math.sqrt(level) * 180)); // perceptual-ish
    $('mic-meter-bar').style.transform = `scaleX(${pct / 100})`;
    $('mic-meter').setAttribute('aria-valuenow', String(pct));
    $('preview-tile').classList.toggle('speaking', level > SPEAKING_LEVEL);
  }, METER_MS);
}

function stopMeter() {
  clearInterval(app.meterTimer);
  app.meterTimer = null;
}

// --------------------------------------------------------------------- join

function validateName() {
  const input = $('name');
  const name = input.value.trim();
  let err = '';
  if (!name) err = 'Enter your name so the others know who you are.';
  else if (Array.from(name).length > NAME_MAX) err = `Use at most ${NAME_MAX} characters.`;
  else if (/[\u0000-\u001f\u007f]/.test(name)) err = 'Remove the control characters (such as tabs) from your name.';
  $('name-error').textContent = err;
  input.setAttribute('aria-invalid', err ? 'true' : 'false');
  if (err) {
    input.focus();
    return null;
  }
  return name;
}

function updateJoinButton() {
  const btn = $('join');
  const busy = app.state === 'joining';
  btn.disabled = busy;
  btn.textContent = busy ? 'Joining…' : 'Join';
  const hint = $('join-hint');
  const noMedia = !app.media.has('audio') && !app.media.has('video');
  hint.hidden = !noMedia || busy;
  hint.textContent = noMedia ? 'You will join without camera and microphone, to watch and listen.' : '';
}

function join(nameArg) {
  if (app.state === 'joining' || app.state === 'joined') return app.joinPromise;
  if (typeof nameArg === 'string' && !$('name').readOnly) $('name').value = nameArg;
  const name = validateName();
  if (!name) return Promise.reject(Object.assign(new Error('invalid name'), { code: 'invalid_name' }));
  try { localStorage.setItem(STORE_NAME, name); } catch { /* private mode */ }
  app.name = name;
  clearError();
  if (!app.room) {
    showError(errorText('no_room'), { code: 'no_room' });
    return Promise.reject(Object.assign(new Error('no_room'), { code: 'no_room' }));
  }
  app.serverError = null;
  if (app.mediaReleased) {
    // Leaving closed the camera and microphone: open them again.
    app.mediaReleased = false;
    app.mediaReady = startPreview().catch(() => {});
  }
  setState('joining');
  app.joinPromise = connectAndJoin(name);
  return app.joinPromise;
}

async function connectAndJoin(name) {
  try { await app.mediaReady; } catch { /* joins receive-only */ }
  if (app.state !== 'joining') throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
  // A fresh X25519 key pair for every join, when this browser can encrypt media.
  if (app.e2ee) app.e2ee.stop();
  app.e2ee = null;
  if (e2eeSupport()) {
    const session = new E2eeSession({
      onChange: () => renderParticipants(),
      onVerify: (v) => { if (app.e2ee === session) onVerification(v); },
      onAlarm: (a) => { if (app.e2ee === session) onE2eeAlarm(a); },
      onTransform: () => { if (app.e2ee === session) syncRemoteTracks(); },
      onError: (status) => {
        if (app.e2ee !== session) return;
        // Nothing is sent or shown unencrypted; say why the call is silent.
        $('e2ee-notice').textContent = `${errorText('e2ee_failed')} (${status}) Your audio and video are not sent.`;
        $('e2ee-notice').hidden = false;
      },
    });
    app.e2ee = session;
    const pk = await session.init();
    if (app.e2ee !== session) throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
    if (!pk) { session.stop(); app.e2ee = null; }
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
  try {
    await sig.open();
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
  teardownCall();
  setState('error');
  showView('lobby');
  const retry = code === 'room_full' || code === 'connect_failed' || code === 'join_timeout' ||
    code === 'server_error' || code === 'connection_lost' || code === 'rate_limited';
  showError(errorText(code, message), {
    code,
    action: retry ? { label: 'Try again', run: () => join().catch(() => {}) } : null,
  });
  if (w) w.reject(Object.assign(new Error(code), { code }));
}

function onSignal(msg) {
  switch (msg.type) {
    case 'welcome': onWelcome(msg); break;
    case 'error': onServerError(msg); break;
    case 'participant_joined': onParticipantJoined(msg.participant); break;
    case 'room_updated': onRoomUpdated(msg.room); break;
    case 'participant_left': onParticipantLeft(msg.participant_id); break;
    case 'tracks_updated': onTracksUpdated(msg.participant_id, msg.tracks); break;
    case 'publish_answer':
      if (app.publisher && typeof msg.sdp === 'string') app.publisher.handleAnswer(msg.sdp);
      break;
    case 'subscribe_offer':
      if (app.subscriber && typeof msg.sdp === 'string') app.subscriber.enqueue({ sdp: msg.sdp, version: msg.version });
      break;
    case 'relay': onRelay(msg); break;
    case 'chat': if (app.state === 'joined') chat.receive(msg); break;
    case 'pong': break;
    default: console.warn('sealroom: unknown message type', msg.type);
  }
}

function onWelcome(msg) {
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
        action: { label: 'Join without encryption', run: () => { app.e2eeOverride = true; rememberE2ee(false); join().catch(() => {}); } },
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

  app.participants.clear();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && p.id && p.id !== app.participantId) app.participants.set(p.id, normalizeParticipant(p));
  }

  // The room may ask to start with the microphone or camera off.
  const startOff = [];
  if (app.roomInfo.audio_on_join_enabled === false && app.media.enabled.audio && app.media.has('audio')) {
    app.media.setEnabled('audio', false);
    startOff.push('microphone');
  }
  if (app.roomInfo.video_on_join_enabled === false && app.media.enabled.video && app.media.has('video')) {
    app.media.setEnabled('video', false);
    startOff.push('camera');
  }

  const roleName = roleLabel(app.role) || 'Attendee';
  if (!app.canBroadcast) {
    app.media.stopTracks();
    app.mediaReleased = true;
    $('role-notice').textContent = `You joined as ${roleName}: you can watch and listen, but not send audio or video.`;
    $('role-notice').hidden = false;
  } else {
    $('role-notice').hidden = true;
  }
  $('e2ee-notice').hidden = true;
  app.sessionId = typeof msg.session_id === 'string' ? msg.session_id : null;
  app.slot = Number.isInteger(msg.slot) ? msg.slot : null;
  app.testMode = msg.test_mode === true;
  $('test-mode-banner').hidden = !app.testMode;
  $('e2ee-alarm').hidden = true;
  app.e2eeOverride = false; // an explicit "join without encryption" counts once
  if (e2eeRoom) {
    // Transforms must be in place before the peer connections exist.
    app.e2eeOn = true;
    rememberE2ee(true);
    app.e2ee.installHooks(mediaHooks);
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
  updateE2eeUi();
  chat.start({
    enabled: app.roomInfo.chat_enabled !== false, canSend: canChat, e2ee: app.e2eeOn,
    selfId: app.participantId, selfName: typeof msg.name === 'string' && msg.name ? msg.name : app.name,
  });

  setState('joined');
  setRoomHeading();
  showView('call');
  app.failedNotified = false;

  tiles.clear();
  tiles.ensure(app.participantId, { name: app.name, local: true });
  updateLocalTile();
  for (const p of app.participants.values()) ensureRemoteTile(p);

  app.signal.startKeepalive();
  app.subscriber = new Subscriber({
    send: (m) => app.signal && app.signal.send(m),
    onChange: onPcChange,
    onTracks: syncRemoteTracks,
    onError: (err) => {
      console.error('sealroom: subscribe offer failed', err);
      showError(`Could not receive the others' audio and video (${err && err.message ? err.message : 'error'}).`, {
        code: 'subscribe_failed',
        action: { label: 'Rejoin', run: rejoin },
      });
    },
  });
  if (app.canBroadcast && (app.media.has('audio') || app.media.has('video'))) startPublishing();

  startSpeakerPolling();
  const wide = window.matchMedia('(min-width: 1100px)').matches;
  setPanelOpen(wide);
  renderParticipants();
  updateToggles();
  updateStatus();
  if (startOff.length) notify(`This room starts with your ${startOff.join(' and ')} off.`);
  $('main').focus({ preventScroll: true });
  w.resolve({ participantId: app.participantId, room: app.roomInfo, role: app.role });
}

async function startPublishing() {
  const pub = new Publisher({
    send: (m) => app.signal && app.signal.send(m),
    onChange: onPcChange,
    onError: onPublishError,
  });
  app.publisher = pub;
  for (const kind of ['audio', 'video']) {
    const t = app.media.track(kind);
    if (t) pub.addTrack(t, app.media.stream);
  }
  // Tell the others what is off (the media itself keeps flowing, disabled):
  // before the offer, so the tracks appear muted from the start, and again
  // once they exist (the protocol does not say whether an early `mute` sticks).
  const sendMutes = () => {
    for (const kind of ['audio', 'video']) {
      if (pub.hasKind(kind) && !app.media.enabled[kind] && app.signal) app.signal.send({ type: 'mute', kind, muted: true });
    }
  };
  sendMutes();
  const ok = await pub.negotiate();
  if (!ok || app.publisher !== pub) return;
  sendMutes();
  renderParticipants();
}

function onPublishError(err) {
  if (err && err.code === 'closed') return;
  if (err && err.code === 'forbidden') {
    app.canBroadcast = false;
    if (app.publisher) app.publisher.close();
    app.publisher = null;
    app.media.stopTracks();
    app.mediaReleased = true;
    $('role-notice').textContent = errorText('forbidden');
    $('role-notice').hidden = false;
    updateToggles();
    updateLocalTile();
    updateStatus();
    renderParticipants();
    return;
  }
  console.error('sealroom: publish failed', err);
  showError(`Your camera and microphone could not be sent: ${err && err.message ? err.message : 'error'}.`, {
    code: err && err.code ? err.code : 'publish_failed',
    action: { label: 'Retry', run: () => { clearError(); if (app.publisher) app.publisher.negotiate(); } },
  });
}

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
    case 'not_joined': case 'already_joined': case 'unknown_type': case 'unknown_participant':
      console.warn(`sealroom: server error ${code}: ${message}`);
      return;
    default:
      // Errors that close the socket are reported when it closes.
      console.warn(`sealroom: server error ${code}: ${message}`);
  }
}

function onSignalClose() {
  if (app.state === 'joining') {
    failJoin(app.serverError ? app.serverError.code : 'connect_failed', app.serverError && app.serverError.message);
    return;
  }
  if (app.state !== 'joined') return;
  const code = app.serverError && ['server_error', 'too_large', 'rate_limited'].includes(app.serverError.code)
    ? app.serverError.code : 'connection_lost';
  app.signal = null;
  teardownCall();
  setState('disconnected');
  $('left-title').textContent = 'Connection lost';
  $('left-text').textContent = 'You are no longer in the meeting. Your camera and microphone are still open for a quick rejoin.';
  showView('left');
  showError(errorText(code), { code, action: { label: 'Rejoin', run: rejoin } });
  $('rejoin').focus();
}

// The worker's relays: one `relay`, or one `relay_batch` for several (a
// rotation in a large room sends a key message to everyone at once).
function sendRelays(list) {
  if (!app.signal) return;
  if (list.length === 1) app.signal.send({ type: 'relay', to: list[0].to, payload: list[0].payload });
  else app.signal.send({ type: 'relay_batch', messages: list.map((m) => ({ to: m.to, payload: m.payload })) });
}

// Key exchange messages arrive here.
function onRelay(msg) {
  if (app.e2eeOn && app.e2ee && typeof msg.from === 'string') app.e2ee.relay(msg.from, msg.payload);
  if (typeof app.onRelay === 'function') app.onRelay(msg.from, msg.payload);
}

// -------------------------------------------------------------- participants

function normalizeParticipant(p) {
  return {
    id: String(p.id),
    name: typeof p.name === 'string' && p.name ? p.name : 'Guest',
    role: p.role ?? null,
    slot: Number.isInteger(p.slot) ? p.slot : null,
    publicKey: typeof p.public_key === 'string' ? p.public_key : null,
    signingKey: typeof p.signing_key === 'string' ? p.signing_key : null,
    tracks: Array.isArray(p.tracks) ? p.tracks.filter((t) => t && typeof t === 'object') : [],
  };
}

function roleLabel(role) {
  if (!role) return '';
  if (typeof role === 'string') return role.charAt(0).toUpperCase() + role.slice(1);
  return role.display_name || role.name || '';
}

// 'on' | 'muted' | 'none' for one kind of a participant's declared tracks.
function trackState(p, kind) {
  const list = p.tracks.filter((t) => t.kind === kind);
  if (!list.length) return 'none';
  return list.every((t) => t.muted === true) ? 'muted' : 'on';
}

function ensureRemoteTile(p) {
  const t = tiles.ensure(p.id, { name: displayName(p), badge: badgeOf(p) });
  t.setMicMuted(trackState(p, 'audio') !== 'on');
  t.setVideoOff(trackState(p, 'video') === 'muted');
  return t;
}

function onParticipantJoined(raw) {
  if (app.state !== 'joined' || !raw || !raw.id || raw.id === app.participantId) return;
  const p = normalizeParticipant(raw);
  if (app.e2eeOn && app.e2ee) {
    // The worker keeps the key an id came with; a second join for a present
    // id never changes what it uses (it raises the alarm instead).
    app.e2ee.joined(p);
    const old = app.participants.get(p.id);
    if (old) return;
  }
  app.participants.set(p.id, p);
  ensureRemoteTile(p);
  syncRemoteTracks();
  renderParticipants();
  notify(`${displayName(p)} joined`);
}

function onParticipantLeft(id) {
  if (app.state !== 'joined' || !id) return;
  const p = app.participants.get(id);
  app.participants.delete(id);
  if (app.e2eeOn && app.e2ee && p) app.e2ee.left(id);
  tiles.remove(id);
  app.levels.delete(id);
  app.lastLoud.delete(id);
  if (app.activeSpeaker === id) app.activeSpeaker = null;
  renderParticipants();
  if (p) notify(`${displayName(p)} left`);
}

function onTracksUpdated(id, tracks) {
  if (app.state !== 'joined' || !id || id === app.participantId) return;
  const p = app.participants.get(id);
  if (!p) return;
  p.tracks = Array.isArray(tracks) ? tracks.filter((t) => t && typeof t === 'object') : [];
  ensureRemoteTile(p);
  renderParticipants();
}

// Puts every incoming track into its sender's tile, from the subscribe
// connection's current remote offer (msid stream id = participant id).
function syncRemoteTracks() {
  if (!app.subscriber) return;
  const list = app.subscriber.tracks();
  const want = new Map();
  app.audioReceivers = [];
  for (const t of list) {
    if (t.participantId === app.participantId) continue;
    // E2EE: a track is rendered only once the worker confirmed that its
    // decrypting transform runs (never raw frames from the server).
    if (!t.ready) continue;
    const w = want.get(t.participantId) || { audio: null, video: null };
    if (!w[t.kind]) w[t.kind] = t.track;
    want.set(t.participantId, w);
    if (t.kind === 'audio') app.audioReceivers.push({ participantId: t.participantId, receiver: t.receiver });
  }
  for (const [id, w] of want) {
    if (!tiles.get(id)) {
      const p = app.participants.get(id);
      if (p) ensureRemoteTile(p); else tiles.ensure(id, { name: 'Participant' });
    }
  }
  for (const [id, tile] of tiles.tiles) {
    if (tile.local) continue;
    const w = want.get(id) || { audio: null, video: null };
    tile.setTrack('audio', w.audio);
    tile.setTrack('video', w.video);
  }
}

function renderParticipants() {
  const ul = $('participants');
  ul.replaceChildren();
  const rows = [];
  if (app.participantId) {
    rows.push({
      id: app.participantId, name: app.name, self: true, role: roleLabel(app.role),
      audio: app.canBroadcast && app.publisher && app.publisher.hasKind('audio') ? (app.media.enabled.audio ? 'on' : 'muted') : 'none',
      video: app.canBroadcast && app.publisher && app.publisher.hasKind('video') ? (app.media.enabled.video ? 'on' : 'muted') : 'none',
    });
  }
  for (const p of app.participants.values()) {
    rows.push({ id: p.id, name: displayName(p), self: false, role: roleLabel(p.role), audio: trackState(p, 'audio'), video: trackState(p, 'video') });
  }
  for (const r of rows) {
    const li = document.createElement('li');
    li.className = 'person';
    li.dataset.pid = r.id;
    li.dataset.audio = r.audio;
    li.dataset.video = r.video;
    const av = document.createElement('span');
    av.className = 'person-avatar';
    av.setAttribute('aria-hidden', 'true');
    av.textContent = initials(r.name);
    const text = document.createElement('span');
    text.className = 'person-text';
    const nm = document.createElement('span');
    nm.className = 'person-name';
    nm.textContent = r.self ? `${r.name} (you)` : r.name;
    const role = document.createElement('span');
    role.className = 'person-role';
    role.textContent = r.role;
    text.append(nm, role);
    if (app.e2eeOn) {
      const fp = document.createElement('span');
      fp.className = 'person-fp';
      fp.dataset.testid = 'fingerprint';
      const value = app.verify.fingerprints[r.id];
      const status = r.self ? { ok: true } : (app.e2ee && app.e2ee.peerStatus.get(r.id));
      const keyless = !r.self && (app.verify.excluded.includes(r.id) || (status && status.ok === false));
      const waiting = !r.self && !keyless && typeof app.verify.names[r.id] !== 'string';
      fp.dataset.verified = keyless || !value ? 'false' : 'true';
      fp.dataset.keyless = keyless ? 'true' : 'false';
      fp.textContent = keyless ? 'No end-to-end encryption: receives no keys, not in the security code'
        : !value ? 'Checking keys…' : waiting ? `${value} (waiting for its sealed name)` : value;
      fp.title = keyless ? 'This participant has no valid key: it receives no keys and nothing it sends is shown.'
        : 'Key fingerprint for this call';
      text.append(fp);
    }
    const state = document.createElement('span');
    state.className = 'person-state';
    state.append(stateIcon(r.audio, 'mic', 'mic-off', 'microphone'), stateIcon(r.video, 'cam', 'cam-off', 'camera'));
    li.append(av, text, state);
    ul.appendChild(li);
  }
  $('participant-count').textContent = rows.length ? `(${rows.length})` : '';
  $('toggle-participants').querySelector('.ctl-label').textContent = rows.length ? `People (${rows.length})` : 'People';
}

function stateIcon(state, onIcon, offIcon, what) {
  const span = document.createElement('span');
  span.className = `state-icon state-${state}`;
  span.setAttribute('role', 'img');
  const word = state === 'on' ? 'on' : state === 'muted' ? 'off' : 'not shared';
  span.setAttribute('aria-label', `${what} ${word}`);
  span.title = `${what.charAt(0).toUpperCase() + what.slice(1)} ${word}`;
  span.appendChild(icon(state === 'on' ? onIcon : offIcon));
  return span;
}

function setPanelOpen(open) {
  if (open && chat.open) chat.setOpen(false);
  $('participants-panel').hidden = !open;
  $('toggle-participants').setAttribute('aria-expanded', String(open));
  $('toggle-participants').classList.toggle('active', open);
  document.body.classList.toggle('panel-open', open);
}

// ---------------------------------------------------------- active speaker

function startSpeakerPolling() {
  stopSpeakerPolling();
  app.speakerTimer = setInterval(pollSpeakers, SPEAKER_POLL_MS);
}

function stopSpeakerPolling() {
  clearInterval(app.speakerTimer);
  app.speakerTimer = null;
  app.levels.clear();
  app.lastLoud.clear();
  app.activeSpeaker = null;
}

function receiverLevel(receiver) {
  let level = 0;
  let sources = [];
  try { sources = receiver.getSynchronizationSources(); } catch { return 0; }
  for (const s of sources) {
    if (typeof s.audioLevel !== 'number') continue;
    // Sources stay listed for 10 s after their last packet: only count ones
    // whose RTP timestamp moved since the previous poll.
    const key = `${s.source}`;
    const seen = app.lastRtp.get(receiver) || {};
    const fresh = seen[key] !== s.rtpTimestamp;
    seen[key] = s.rtpTimestamp;
    app.lastRtp.set(receiver, seen);
    if (fresh) level = Math.max(level, s.audioLevel);
  }
  return level;
}

function pollSpeakers() {
  if (app.state !== 'joined') return;
  const now = performance.now();
  const levels = new Map();
  for (const { participantId, receiver } of app.audioReceivers) {
    const p = app.participants.get(participantId);
    const muted = p && trackState(p, 'audio') !== 'on';
    const level = muted ? 0 : receiverLevel(receiver);
    levels.set(participantId, Math.max(levels.get(participantId) || 0, level));
  }
  if (app.participantId && app.canBroadcast) levels.set(app.participantId, app.media.level());
  app.levels = levels;

  let loudest = null, max = SPEAKING_LEVEL;
  for (const [id, level] of levels) {
    if (level > SPEAKING_LEVEL) app.lastLoud.set(id, now);
    if (level > max) { max = level; loudest = id; }
  }
  const recent = (id) => now - (app.lastLoud.get(id) || -Infinity) < SPEAKER_HOLD_MS;
  if (loudest) app.activeSpeaker = loudest;
  else if (app.activeSpeaker && !recent(app.activeSpeaker)) app.activeSpeaker = null;

  for (const [id, tile] of tiles.tiles) {
    tile.setSpeaking(recent(id));
    tile.setActiveSpeaker(id === app.activeSpeaker && tiles.tiles.size > 1);
  }
  $('toggle-mic').classList.toggle('speaking', !!app.participantId && recent(app.participantId));
}

// ------------------------------------------------------------------ status

function onPcChange() {
  updateStatus();
  const states = [app.publisher && app.publisher.state, app.subscriber && app.subscriber.state];
  if (app.state === 'joined' && states.includes('failed') && !app.failedNotified) {
    app.failedNotified = true;
    showError(errorText('media_failed'), { code: 'media_failed', action: { label: 'Rejoin', run: rejoin } });
  }
}

function updateStatus() {
  const el = $('status');
  const ws = app.signal ? app.signal.state : 'closed';
  const pub = app.publisher ? app.publisher.state : 'none';
  const sub = app.subscriber ? app.subscriber.state : 'none';
  el.dataset.ws = ws;
  el.dataset.publish = pub;
  el.dataset.subscribe = sub;
  let overall = 'idle', text = 'Not joined';
  if (app.state === 'joining') { overall = 'connecting'; text = 'Connecting…'; }
  else if (app.state === 'left') { overall = 'idle'; text = 'Left'; }
  else if (app.state === 'disconnected') { overall = 'error'; text = 'Disconnected'; }
  else if (app.state === 'joined') {
    const both = [pub, sub];
    const subWaiting = sub === 'new' && app.subscriber && app.subscriber.version !== null;
    if (ws !== 'open') { overall = 'error'; text = 'Disconnected'; }
    else if (both.includes('failed')) { overall = 'error'; text = 'Media connection failed'; }
    else if (both.includes('disconnected')) { overall = 'warning'; text = 'Reconnecting media…'; }
    else if (['new', 'connecting', 'checking'].includes(pub) || ['connecting', 'checking'].includes(sub) || subWaiting) {
      overall = 'connecting'; text = 'Connecting media…';
    } else { overall = 'ok'; text = 'Connected'; }
  }
  el.dataset.overall = overall;
  $('status-text').textContent = text;
  const detail = `Signalling ${ws}; sending ${pub}; receiving ${sub}.`;
  $('status-detail').textContent = detail;
  el.title = detail;
}

// ------------------------------------------------------------ leave/rejoin

// Who had our key when the call ended without having been in a complete
// security code for 10 s (docs/e2ee.md 10.4): said on the "left" screen,
// since no comparison of codes can show them any more. Covers a server that
// ends our connection instead of announcing such a participant's leave.
const COVER_MS = 10000;
function unverifiedAtEnd() {
  if (!app.e2eeOn) return [];
  const now = Date.now();
  return app.verify.members.filter((id) => id !== app.participantId &&
    (!app.coveredAt.has(id) || now - app.coveredAt.get(id) < COVER_MS))
    .map((id) => { const p = app.participants.get(id); return app.verify.names[id] || (p ? p.name : 'a participant'); });
}

function teardownCall() {
  const unverified = unverifiedAtEnd();
  const note = $('left-e2ee-note');
  note.textContent = unverified.length
    ? `When the call ended, ${unverified.join(', ')} had your encryption key without having been in a security code long enough to compare. If you do not know who that was, the server may have let someone listen.`
    : '';
  note.hidden = !unverified.length;
  app.coveredAt.clear();
  app.alarms = [];
  stopSpeakerPolling();
  if (app.publisher) app.publisher.close();
  if (app.subscriber) app.subscriber.close();
  app.publisher = null;
  app.subscriber = null;
  app.audioReceivers = [];
  tiles.clear();
  app.participants.clear();
  app.participantId = null;
  if (app.e2ee) app.e2ee.stop();
  app.e2ee = null;
  app.e2eeOn = false;
  app.sessionId = null;
  chat.stop();
  app.slot = null;
  app.verify = emptyVerify();
  app.shownCode = null;
  app.shownSet = null;
  clearTimeout(app.missingTimer);
  app.missingSince.clear();
  $('e2ee-missing').hidden = true;
  mediaHooks.pcConfig = {};
  mediaHooks.onSender = null;
  mediaHooks.onReceiver = null;
  mediaHooks.onReceiverOwner = null;
  mediaHooks.receiverReady = null;
  $('e2ee-alarm').hidden = true;
  $('code-changed').hidden = true;
  $('test-mode-banner').hidden = true;
  updateE2eeUi();
  $('enable-audio').hidden = true;
  $('e2ee-notice').hidden = true;
  $('role-notice').hidden = true;
  const d = $('settings-dialog');
  if (d.open) d.close();
  renderParticipants();
  updateStatus();
}

function leave() {
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
  teardownCall();
  app.media.stopTracks();
  app.mediaReleased = true;
  clearError();
  setState('left');
  $('left-title').textContent = 'You left the meeting';
  $('left-text').textContent = 'Your camera and microphone are off.';
  showView('left');
  $('rejoin').focus();
  return Promise.resolve();
}

function reopenMediaIfNeeded() {
  if (!app.mediaReleased) return;
  app.mediaReleased = false;
  app.mediaReady = startPreview().catch(() => {});
}

function rejoin() {
  clearError();
  if (app.state === 'joined') {
    // A broken call: start over with a fresh connection.
    const sig = app.signal;
    app.signal = null;
    if (sig) { sig.send({ type: 'leave' }); sig.close(); }
    teardownCall();
    setState('lobby');
  }
  reopenMediaIfNeeded();
  return join().catch(() => {});
}

function backToLobby() {
  clearError();
  reopenMediaIfNeeded();
  setState('lobby');
  showView('lobby');
  $('name').focus();
}

// -------------------------------------------------------------------- setup

function init() {
  document.body.dataset.state = app.state;
  const claims = app.token ? tokenClaims(app.token) : {};
  let stored = '';
  try { stored = localStorage.getItem(STORE_NAME) || ''; } catch { /* private mode */ }
  if (typeof claims.u === 'string' && claims.u) {
    // The server shows the invitation's name to the others, whatever is typed.
    $('name').value = claims.u;
    $('name').readOnly = true;
    $('name-hint').hidden = false;
  } else {
    $('name').value = stored;
  }
  setRoomHeading();
  if (!app.room) showError(errorText('no_room'), { code: 'no_room' });

  for (const id of ['open-settings', 'toggle-participants', 'leave']) {
    const btn = $(id);
    btn.prepend(icon({ 'open-settings': 'settings', 'toggle-participants': 'people', leave: 'leave' }[id]));
  }
  $('close-participants').appendChild(icon('close'));
  $('toggle-chat').prepend(icon('chat'));
  $('close-chat').appendChild(icon('close'));
  $('toggle-chat').addEventListener('click', () => {
    const open = !chat.open;
    chat.setOpen(open);
    if (open) $('chat-input').focus();
  });
  $('close-chat').addEventListener('click', () => {
    chat.setOpen(false);
    $('toggle-chat').focus();
  });
  $('chat-panel').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      chat.setOpen(false);
      $('toggle-chat').focus();
    }
  });
  $('enable-audio').prepend(icon('sound'));

  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    join().catch(() => {});
  });
  $('name').addEventListener('input', () => {
    if ($('name').getAttribute('aria-invalid') === 'true') {
      $('name-error').textContent = '';
      $('name').setAttribute('aria-invalid', 'false');
    }
    updatePreview();
  });
  $('toggle-mic').addEventListener('click', () => toggle('audio'));
  $('toggle-cam').addEventListener('click', () => toggle('video'));
  $('leave').addEventListener('click', () => leave());
  $('rejoin').addEventListener('click', () => rejoin());
  $('back-to-lobby').addEventListener('click', () => backToLobby());
  $('toggle-participants').addEventListener('click', () => {
    const open = $('participants-panel').hidden;
    setPanelOpen(open);
    if (open) $('close-participants').focus();
  });
  $('e2ee-badge').addEventListener('click', () => {
    if (!app.e2eeOn) return;
    setPanelOpen(true);
    $('security-code').focus();
  });
  $('close-participants').addEventListener('click', () => {
    setPanelOpen(false);
    $('toggle-participants').focus();
  });
  $('participants-panel').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      setPanelOpen(false);
      $('toggle-participants').focus();
    }
  });
  $('open-settings').addEventListener('click', async () => {
    await refreshDevices();
    $('settings-dialog').showModal();
  });
  $('error-dismiss').addEventListener('click', () => clearError());
  $('error-action').addEventListener('click', () => {
    const a = errorAction;
    clearError();
    if (a) a.run();
  });
  $('enable-audio').addEventListener('click', () => {
    $('enable-audio').hidden = true;
    tiles.playAll();
  });
  for (const sel of document.querySelectorAll('select[data-kind]')) {
    sel.addEventListener('change', () => chooseDevice(sel.dataset.kind, sel.value));
  }
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', () => refreshDevices());
  }
  app.media.onEnded = (kind) => {
    // A device was unplugged or taken away by the system.
    notify(kind === 'audio' ? 'Your microphone stopped.' : 'Your camera stopped.');
    updatePreview();
    updateToggles();
    updateLocalTile();
    refreshDevices();
  };
  window.addEventListener('pagehide', () => {
    if (app.signal && app.state === 'joined') app.signal.send({ type: 'leave' });
  });

  showView('lobby');
  setState('lobby');
  renderParticipants();
  app.mediaReady = startPreview().catch((err) => {
    console.error('sealroom: preview failed', err);
  }).finally(() => updateJoinButton());
}

// ---------------------------------------------------------- E2EE display

function updateE2eeUi() {
  const badge = $('e2ee-badge');
  const joined = app.state === 'joined' || app.state === 'joining';
  if (!app.participantId || !joined) {
    badge.hidden = true;
    $('e2ee-panel').hidden = true;
    return;
  }
  badge.hidden = false;
  badge.dataset.e2ee = app.e2eeOn ? 'on' : 'off';
  badge.querySelector('.e2ee-badge-text').textContent = app.e2eeOn ? 'End-to-end encrypted' : 'Not end-to-end encrypted';
  badge.title = app.e2eeOn
    ? 'Audio and video are encrypted in your browser; the server cannot see or hear them. Compare the security code in the People panel.'
    : 'The server can see and hear the audio and video of this meeting.';
  $('e2ee-panel').hidden = !app.e2eeOn;
  const codeEl = $('security-code');
  const v = app.verify;
  const ready = v.code && v.complete;
  codeEl.textContent = ready ? v.code : v.status ? `Unavailable (${v.status})` : 'Waiting for everyone\'s keys…';
  codeEl.dataset.state = ready ? 'ok' : v.status ? 'error' : 'pending';
}

// From the worker, on every roster or key change (docs/e2ee.md 10.2). A code
// that differs from the last one shown asks everyone to compare again.
function onVerification(v) {
  app.verify = {
    code: typeof v.code === 'string' ? v.code : null, status: v.status || null, complete: v.complete === true,
    members: Array.isArray(v.members) ? v.members : [], excluded: Array.isArray(v.excluded) ? v.excluded : [],
    names: v.names && typeof v.names === 'object' ? v.names : {},
    fingerprints: v.fingerprints && typeof v.fingerprints === 'object' ? v.fingerprints : {},
  };
  // Any change of who holds our keys after a code was shown asks to compare
  // again, even if the set comes back to what it was (a member that joined,
  // got our keys and left again without ever completing the code).
  const set = [...app.verify.members].sort().join(',');
  if (app.shownCode && (set !== app.shownSet || (app.verify.complete && app.verify.code !== app.shownCode))) {
    if ($('code-changed').hidden) notify('Security code changed: compare again');
    $('code-changed').hidden = false;
  }
  if (app.verify.code && app.verify.complete) {
    app.shownCode = app.verify.code;
    const now = Date.now();
    for (const id of app.verify.members) if (!app.coveredAt.has(id)) app.coveredAt.set(id, now);
  }
  if (app.shownCode) app.shownSet = set;
  watchMissingKeys();
  for (const p of app.participants.values()) {
    const t = tiles.get(p.id);
    if (t) t.setName(displayName(p), badgeOf(p));
  }
  updateE2eeUi();
  renderParticipants();
}

// A member that got our keys but has not sent its own (with its sealed name)
// within a few seconds may not be a real participant: say so.
const MISSING_KEYS_MS = 3000;
function watchMissingKeys() {
  const now = Date.now();
  const missing = app.verify.members.filter((id) => id !== app.participantId && typeof app.verify.names[id] !== 'string');
  for (const id of [...app.missingSince.keys()]) if (!missing.includes(id)) app.missingSince.delete(id);
  for (const id of missing) if (!app.missingSince.has(id)) app.missingSince.set(id, now);
  clearTimeout(app.missingTimer);
  const late = missing.filter((id) => now - app.missingSince.get(id) >= MISSING_KEYS_MS);
  const el = $('e2ee-missing');
  if (late.length) {
    const who = late.map((id) => { const p = app.participants.get(id); return p ? p.name : 'a participant'; });
    el.textContent = `Warning: ${who.join(', ')} received your encryption keys but has not sent its own. It may not be a real participant: check the participant list and compare the security code.`;
    el.hidden = false;
  } else {
    el.hidden = true;
  }
  if (missing.length > late.length) app.missingTimer = setTimeout(watchMissingKeys, 500);
}

// The server tried to change the key of a participant already in the call,
// or to bring back one who left: refused by the worker, shown to the user.
// The room's settings changed during the call (PATCH): chat follows at once.
// (The server refuses to switch E2EE while a call is in progress.)
function onRoomUpdated(room) {
  if (!room || typeof room !== 'object') return;
  const chatWas = app.roomInfo.chat_enabled !== false;
  app.roomInfo = room;
  const chatNow = room.chat_enabled !== false;
  if (chatWas !== chatNow) {
    chat.setEnabled(chatNow);
    notify(chatNow ? 'Chat was turned on for this room.' : 'Chat was turned off for this room.');
  }
}

function onE2eeAlarm(a) {
  const p = app.participants.get(a.id);
  const who = p ? displayName(p) : 'a participant';
  const el = $('e2ee-alarm');
  const text = {
    rejoined: `Warning: the server tried to bring back ${who} under the same identity after they left. This was refused. Someone may be trying to listen in: compare the security code aloud.`,
    left_unverified: `${a.name ? `"${a.name}"` : who} received your encryption key and left ${a.ms === null || a.ms === undefined ? 'before a security code included them' : `${Math.round(a.ms / 1000)} s after the security code included them`}, too soon for anyone to compare codes. If you do not know who that was, the server may have let someone listen to part of your call.`,
  };
  const line = text[a.reason] ||
    `Warning: this participant's key changed: the server tried to replace the encryption key of ${who}. The new key was refused. Someone may be trying to listen in: compare the security code aloud.`;
  // Every alarm stays (a later one never hides an earlier one), the refused
  // key changes first; at most a few lines.
  if (!app.alarms.some((x) => x.line === line)) app.alarms.push({ reason: a.reason || '', line });
  app.alarms.sort((x, y) => (x.reason === 'left_unverified') - (y.reason === 'left_unverified'));
  app.alarms = app.alarms.slice(0, 4);
  el.replaceChildren(...app.alarms.map((x) => { const s = document.createElement('span'); s.className = 'alarm-line'; s.textContent = x.line; return s; }));
  el.dataset.reason = app.alarms[0].reason;
  el.hidden = false;
}

function e2eeApi() {
  const s = app.e2ee;
  const st = s ? s.stats : null;
  const api = {
    supported: !!e2eeSupport(),
    mode: e2eeSupport(),
    enabled: app.e2eeOn,
    securityCode: app.e2eeOn && app.verify.complete ? app.verify.code : null,
    fingerprints: app.e2eeOn ? { ...app.verify.fingerprints } : {},
    codeComplete: app.e2eeOn ? app.verify.complete : false,
    codeDraft: app.e2eeOn ? app.verify.code : null, // before every member's key arrived (not shown)
    members: app.e2eeOn ? [...app.verify.members] : [],
    excluded: app.e2eeOn ? [...app.verify.excluded] : [],
    names: app.e2eeOn ? { ...app.verify.names } : {},
    alarm: $('e2ee-alarm').hidden ? null : { reason: $('e2ee-alarm').dataset.reason, text: $('e2ee-alarm').textContent },
    missingKeys: $('e2ee-missing').hidden ? null : $('e2ee-missing').textContent,
    codeChanged: !$('code-changed').hidden,
    testMode: app.testMode,
    drops: st ? { ...st.drops } : {},
    dropTotal: st ? st.dropTotal : 0,
    sendDrops: st ? { ...(st.sendDrops || {}) } : {},
    decrypted: st ? { ...st.decrypted } : { audio: 0, video: 0 },
    decryptedFrom: st ? JSON.parse(JSON.stringify(st.decryptedFrom || {})) : {},
    encrypted: st ? { ...st.encrypted } : { audio: 0, video: 0 },
    encryptMsPerFrame: st ? st.encryptMsPerFrame : null,
    sign: st && st.sign ? JSON.parse(JSON.stringify(st.sign)) : null,
    key: st ? st.key : null,
    failed: s ? s.failed : null,
  };
  if (app.testMode) api.exportKeys = () => (app.e2ee ? app.e2ee.exportKeys() : Promise.resolve(null));
  return api;
}

// ------------------------------------------------------------- test hooks

window.sealroom = {
  get state() { return app.state; },
  get participantId() { return app.participantId; },
  get participants() { return app.participants; }, // the others, id -> {id, name, role, tracks}
  pcs: {
    get publish() { return app.publisher ? app.publisher.pc : null; },
    get subscribe() { return app.subscriber ? app.subscriber.pc : null; },
  },
  join: (name) => join(name),
  leave: () => leave(),
  get room() { return app.roomInfo; },
  get role() { return app.role; },
  get error() { return $('error').hidden ? null : { code: $('error').dataset.code, message: $('error-text').textContent }; },
  get activeSpeaker() { return app.activeSpeaker; },
  get levels() { return Object.fromEntries(app.levels); },
  get localStream() { return app.media.stream; },
  get mediaReady() { return app.mediaReady; },
  mediaHooks,
  get e2ee() { return e2eeApi(); },
  chat: chat.api,
  set onRelay(fn) { app.onRelay = fn; },
  relay(to, payload) { return app.signal ? app.signal.send({ type: 'relay', to, payload }) : false; },
};

init();
