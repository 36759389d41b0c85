// The roster: who else is in the call and how they are shown. The participant
// map (from `welcome`, `participant_joined`/`_left`, `tracks_updated`), their
// names (in an E2EE call the sealed ones, with fingerprint digits), the video
// tiles and the incoming tracks put into them, and the People list.
//
// Lifecycle: setParticipants(welcome list) and startRoster() when a call
// starts, stopRoster() when it ends.

import { app, $ } from './state.js';
import { TileGrid, initials } from './tiles.js';
import { icon } from './icons.js';
import { notify } from './notices.js';
import { onTilesSized } from './quality.js';

export const tiles = new TileGrid($('tiles'), {
  onAutoplayBlocked: () => { $('enable-audio').hidden = false; },
  onSized: (h) => onTilesSized(h), // the encoding to ask for follows the tiles' size
});

// The name to show for a participant: in an E2EE call, the one it sealed to
// us in its key messages; the server's copy only until that arrives.
export function displayName(p) {
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
export function badgeOf(p) {
  if (!p || !app.e2eeOn || p.id === app.participantId) return null;
  const fp = app.verify.fingerprints[p.id];
  return typeof fp === 'string' && fp.length >= 5 ? fp.slice(0, 5) : null;
}

export function normalizeParticipant(p) {
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

export function roleLabel(role) {
  if (!role) return '';
  if (typeof role === 'string') return role.charAt(0).toUpperCase() + role.slice(1);
  return role.display_name || role.name || '';
}

// 'on' | 'muted' | 'none' for one kind of a participant's declared tracks
// (video: the camera; a screen share is not a camera).
export function trackState(p, kind) {
  const list = p.tracks.filter((t) => t.kind === kind && t.source !== 'screen');
  if (!list.length) return 'none';
  return list.every((t) => t.muted === true) ? 'muted' : 'on';
}

// A participant's screen share tile has an id of its own; participant ids
// never contain ':' (the roster takes only validId ones), so it is nobody's.
export const screenTileId = (id) => `${id}:screen`;
const ownerOfScreenTile = (tileId) => tileId.slice(0, -':screen'.length);

// Participant ids are the server's UUIDs; anything else is not listed.
export const validId = (id) => typeof id === 'string' && /^[0-9A-Za-z-]{1,64}$/.test(id);

// Is this incoming track a screen share? Its msid track id is
// "<participant>-v<mid>" with the mid of the publisher's m-line, which the
// participant's declared tracks label (tracks_updated comes before the offer).
function isScreen(p, trackId) {
  const m = /^.+-v(.+)$/.exec(String(trackId || ''));
  // The server puts the mid's first 20 characters in the track id.
  return !!(p && m && p.tracks.some((t) => t.kind === 'video' && String(t.mid).slice(0, 20) === m[1] && t.source === 'screen'));
}

function ensureRemoteTile(p) {
  const t = tiles.ensure(p.id, { name: displayName(p), badge: badgeOf(p) });
  t.setMicMuted(trackState(p, 'audio') !== 'on');
  t.setVideoOff(trackState(p, 'video') === 'muted');
  return t;
}

// Our own tile follows the local camera and microphone.
export function updateLocalTile() {
  if (!app.participantId) return;
  const t = tiles.get(app.participantId);
  if (!t) return;
  const v = app.media.track('video');
  t.setTrack('video', v || null);
  t.setVideoOff(!app.media.isOn('video'));
  t.setLocalMic(app.media.enabled.audio, app.media.has('audio') && app.canBroadcast);
}

// ---------------------------------------------------------------- lifecycle

// The others listed in `welcome` (before the E2EE session starts with them).
export function setParticipants(list) {
  app.participants.clear();
  for (const p of Array.isArray(list) ? list : []) {
    if (p && validId(p.id) && p.id !== app.participantId) app.participants.set(p.id, normalizeParticipant(p));
  }
}

// A tile for us and one for each of the others.
export function startRoster() {
  tiles.clear();
  tiles.ensure(app.participantId, { name: app.name, local: true });
  updateLocalTile();
  for (const p of app.participants.values()) ensureRemoteTile(p);
}

export function stopRoster() {
  app.audioReceivers = [];
  tiles.clear();
  app.participants.clear();
  $('enable-audio').hidden = true;
}

// ------------------------------------------------------- roster messages

export function onParticipantJoined(raw) {
  if (app.state !== 'joined' || !raw || !validId(raw.id) || raw.id === app.participantId) return;
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

export function onParticipantLeft(id) {
  if (app.state !== 'joined' || !id) return;
  const p = app.participants.get(id);
  app.participants.delete(id);
  if (app.e2eeOn && app.e2ee && p) app.e2ee.left(id);
  tiles.remove(id);
  tiles.remove(screenTileId(id));
  app.levels.delete(id);
  app.lastLoud.delete(id);
  if (app.activeSpeaker === id) app.activeSpeaker = null;
  renderParticipants();
  if (p) notify(`${displayName(p)} left`);
}

export function onTracksUpdated(id, tracks) {
  if (app.state !== 'joined' || !id || id === app.participantId) return;
  const p = app.participants.get(id);
  if (!p) return;
  p.tracks = Array.isArray(tracks) ? tracks.filter((t) => t && typeof t === 'object') : [];
  ensureRemoteTile(p);
  syncRemoteTracks(); // a track's source may have changed
  renderParticipants();
}

// Puts every incoming track into its sender's tile, from the subscribe
// connection's current remote offer (msid stream id = participant id).
export function syncRemoteTracks() {
  if (!app.subscriber) return;
  const list = app.subscriber.tracks();
  const want = new Map();
  app.audioReceivers = [];
  for (const t of list) {
    if (t.participantId === app.participantId || !validId(t.participantId)) continue;
    // E2EE: a track is rendered only once the worker confirmed that its
    // decrypting transform runs (never raw frames from the server).
    if (!t.ready) continue;
    const w = want.get(t.participantId) || { audio: null, video: null, screen: null };
    const slot = t.kind === 'video' && isScreen(app.participants.get(t.participantId), t.trackId) ? 'screen' : t.kind;
    if (!w[slot]) w[slot] = t.track;
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
    if (tile.local || tile.screen) continue;
    const w = want.get(id) || { audio: null, video: null };
    tile.setTrack('audio', w.audio);
    tile.setTrack('video', w.video);
  }
  // Screen shares: a tile while one comes in, none after.
  for (const [id, w] of want) {
    if (!w.screen) continue;
    const p = app.participants.get(id);
    tiles.ensure(screenTileId(id), { name: displayName(p), badge: badgeOf(p), screen: true }).setTrack('video', w.screen);
  }
  for (const [id, tile] of [...tiles.tiles]) {
    if (tile.screen && !(want.get(ownerOfScreenTile(id)) || {}).screen) tiles.remove(id);
  }
}

// Names and fingerprint digits changed (E2EE verification): the tiles follow.
export function renameTiles() {
  for (const p of app.participants.values()) {
    for (const t of [tiles.get(p.id), tiles.get(screenTileId(p.id))]) if (t) t.setName(displayName(p), badgeOf(p));
  }
}

// ----------------------------------------------------------- People list

export function renderParticipants() {
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
