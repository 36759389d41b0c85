// Our own camera and microphone on the page: the preview and level meter on
// the join screen, the mic/camera buttons, device choice, and sending them to
// the server (the publish connection, its mute messages, a role that may not
// send). The devices themselves are media.js's LocalMedia (app.media).
//
// Lifecycle: startPreview() on page load (and again after leaving closed the
// devices); startLocalMedia() then startPublishing(pub) when a call starts
// (pub: made ahead by preconnect.js with makePublisher(), or null);
// stopLocalMedia() when it ends (connection.js closes app.publisher).

import { app, $ } from './state.js';
import { Publisher } from './rtc.js';
import { describeProblem } from './media.js';
import { initials } from './tiles.js';
import { setIcon } from './icons.js';
import { showError, clearError, errorText, notify } from './notices.js';
import { roleLabel, updateLocalTile, renderParticipants } from './roster.js';
import { SPEAKING_LEVEL } from './speaker.js';
import { onPcChange, updateStatus } from './connection.js';
import { reconnecting } from './recovery.js';

const METER_MS = 100;

// ------------------------------------------------------------ preview

function previewName() {
  return $('name').value.trim();
}

export function updatePreview() {
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

function showMediaProblem(result) {
  const text = describeProblem(result.problems, result);
  const p = $('media-message');
  p.textContent = text || '';
  p.hidden = !text;
  p.dataset.problem = Object.values(result.problems)[0] || '';
}

export async function startPreview() {
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

// Leaving closed the camera and microphone: open them again.
export function reopenMediaIfNeeded() {
  if (!app.mediaReleased) return;
  app.mediaReleased = false;
  app.mediaReady = startPreview().catch(() => {});
}

// Closes the camera and microphone (leaving; a role that may not send).
export function releaseMedia() {
  app.media.stopTracks();
  app.mediaReleased = true;
}

// Microphone level on the join screen.
export function startMeter() {
  if (app.meterTimer) return;
  app.meterTimer = setInterval(() => {
    const level = app.media.level();
    const pct = Math.min(100, Math.round(Math.sqrt(level) * 180)); // perceptual-ish
    $('mic-meter-bar').style.transform = `scaleX(${pct / 100})`;
    $('mic-meter').setAttribute('aria-valuenow', String(pct));
    $('preview-tile').classList.toggle('speaking', level > SPEAKING_LEVEL);
  }, METER_MS);
}

export function stopMeter() {
  clearInterval(app.meterTimer);
  app.meterTimer = null;
}

// ------------------------------------------------------ mic/camera buttons

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

export function updateToggles() {
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

export async function toggle(kind) {
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

// ---------------------------------------------------------------- devices

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

export async function refreshDevices() {
  const devices = await app.media.devices();
  for (const sel of document.querySelectorAll('select[data-kind]')) {
    const kind = sel.dataset.kind;
    fillSelect(sel, devices[kind], app.media.currentDeviceId(kind), kind);
  }
  $('settings-hint').textContent = app.state === 'joined' && !app.canBroadcast
    ? 'Your role cannot send audio or video in this room.' : '';
}

export async function chooseDevice(kind, deviceId) {
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

// Devices plugged in or out, and tracks that end by themselves.
export function initLocalMedia() {
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
}

// ------------------------------------------------------------- in the call

// A call starts: what the room and our role say about our devices. Returns
// what the room switched off ('microphone', 'camera'), for a notice.
export function startLocalMedia() {
  const startOff = [];
  // The room's "start off" is for a join the user made: the automatic retry
  // (recovery.js) keeps the microphone and camera as the user left them.
  const auto = reconnecting();
  if (!auto && app.roomInfo.audio_on_join_enabled === false && app.media.enabled.audio && app.media.has('audio')) {
    app.media.setEnabled('audio', false);
    startOff.push('microphone');
  }
  if (!auto && app.roomInfo.video_on_join_enabled === false && app.media.enabled.video && app.media.has('video')) {
    app.media.setEnabled('video', false);
    startOff.push('camera');
  }

  const roleName = roleLabel(app.role) || 'Attendee';
  if (!app.canBroadcast) {
    releaseMedia();
    $('role-notice').textContent = `You joined as ${roleName}: you can watch and listen, but not send audio or video.`;
    $('role-notice').hidden = false;
  } else {
    $('role-notice').hidden = true;
  }
  return startOff;
}

// The call ended (the publish connection is closed by closeConnections).
export function stopLocalMedia() {
  $('role-notice').hidden = true;
  const d = $('settings-dialog');
  if (d.open) d.close();
}

// A publish connection with our camera and microphone (the tracks they have
// now); with prepare, its offer is made at once (preconnect.js).
export function makePublisher({ prepare = false } = {}) {
  const pub = new Publisher({
    send: (m) => app.signal && app.signal.send(m),
    onChange: onPcChange,
    onError: onPublishError,
  });
  for (const kind of ['audio', 'video']) {
    const t = app.media.track(kind);
    if (t) pub.addTrack(t, app.media.stream);
  }
  if (prepare) pub.prepareOffer();
  return pub;
}

// after: what the first offer waits for before WebRTC applies it (see
// Publisher.negotiate); the offer itself goes to the server at once.
export async function startPublishing(made, after = null) {
  const pub = made || makePublisher();
  app.publisher = pub;
  // Tell the others what is off (the media itself keeps flowing, disabled):
  // before the offer, so the tracks appear muted from the start, and again
  // once they exist (the protocol does not say whether an early `mute` sticks).
  const sendMutes = () => {
    for (const kind of ['audio', 'video']) {
      if (pub.hasKind(kind) && !app.media.enabled[kind] && app.signal) app.signal.send({ type: 'mute', kind, muted: true });
    }
  };
  sendMutes();
  const ok = await pub.negotiate(after);
  if (!ok || app.publisher !== pub) return;
  sendMutes();
  renderParticipants();
}

// refused(err): a publish offer with a screen share was refused; true if
// that was about the screen share (screen.js stops it; the rest goes on).
export const publishHooks = { refused: null };

function onPublishError(err) {
  if (err && err.code === 'closed') return;
  if (err && err.code === 'forbidden' && publishHooks.refused && publishHooks.refused(err)) return;
  if (err && err.code === 'forbidden') {
    app.canBroadcast = false;
    if (app.publisher) app.publisher.close();
    app.publisher = null;
    releaseMedia();
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
