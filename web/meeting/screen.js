// Sharing our screen: the Share screen button, getDisplayMedia, and the
// screen share as a track of its own on the publish connection (encrypted
// like the camera in an E2EE call: it passes the same sender hook). The
// server decides whether we may (the room's screenshare_enabled, our role's
// `screenshare`); the button only follows what it says.
//
// Lifecycle: updateScreenButton() when a call starts and when the room's
// settings change; stopScreenShare() when the call ends or the room turns
// screen sharing off; the browser's own "Stop sharing" ends the track, which
// stops it too.

import { app, $ } from './state.js';
import { setIcon } from './icons.js';
import { showError, clearError, shownError, notify } from './notices.js';
import { makePublisher, startPublishing } from './local-media.js';

// May this page offer to share a screen now?
function allowed() {
  const perms = app.role && Array.isArray(app.role.permissions) ? app.role.permissions : null;
  return app.state === 'joined' && app.canBroadcast && (!perms || perms.includes('screenshare')) &&
    !!(app.roomInfo && app.roomInfo.screenshare_enabled !== false) &&
    !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}

export const sharing = () => !!app.screen;

export function updateScreenButton() {
  const btn = $('toggle-screen');
  const on = sharing();
  btn.hidden = !allowed() && !on;
  btn.dataset.on = String(on);
  btn.classList.toggle('active', on);
  btn.querySelector('.ctl-label').textContent = on ? 'Stop sharing' : 'Share screen';
  btn.setAttribute('aria-pressed', String(on));
  setIcon(btn, 'screen');
}

// Asks the browser for a screen, window or tab (the browser's own picker)
// and sends it. Must run from a click: browsers allow getDisplayMedia only
// on a user gesture.
export async function startScreenShare() {
  if (sharing() || !allowed()) return false;
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  } catch (err) {
    // Cancelled in the picker: nothing to say.
    if (err && err.name === 'NotAllowedError') return false;
    showError(`Could not share the screen (${err && err.name ? err.name : 'error'}).`, { code: 'screen' });
    return false;
  }
  const track = stream.getVideoTracks()[0];
  // The picker may have been open a while: the call or the room may have changed.
  if (!track || !allowed() || sharing()) {
    for (const t of stream.getTracks()) t.stop();
    return false;
  }
  if ('contentHint' in track) track.contentHint = 'detail'; // text stays readable
  track.addEventListener('ended', () => { if (app.screen && app.screen.track === track) stopScreenShare(); });
  app.screen = { track, stream };
  updateScreenButton();
  let ok;
  if (app.publisher) {
    ok = await app.publisher.setScreen(track, stream);
  } else {
    // Nothing sent yet (no camera or microphone): a publish connection for it.
    const pub = makePublisher();
    pub.addTrack(track, stream, 'screen');
    await startPublishing(pub);
    ok = app.publisher === pub && pub.negotiated;
  }
  if (ok && app.screen && app.screen.track === track) {
    const shown = shownError();
    if (shown && (shown.code === 'screen_forbidden' || shown.code === 'screen')) clearError();
    notify('You are sharing your screen.');
  }
  return ok;
}

// Stops sending the screen share (button, the browser's "Stop sharing", the
// room turning it off, the server refusing it). quiet: no notice.
export async function stopScreenShare({ quiet = false } = {}) {
  const s = app.screen;
  if (!s) return;
  app.screen = null;
  for (const t of s.stream.getTracks()) t.stop();
  updateScreenButton();
  if (app.publisher && app.publisher.hasKind('screen')) {
    await app.publisher.setScreen(null).catch(() => {}); // a connection closing meanwhile: nothing to stop
  }
  if (!quiet) notify('You stopped sharing your screen.');
}

// The server refused the offer with the screen share (the room or our role
// does not allow it): the share stops, the rest is sent as before.
export function screenRefused(err) {
  if (!app.screen) return false;
  stopScreenShare({ quiet: true });
  const roomOff = /off in this room/i.test(String(err && err.message)) ||
    !!(app.roomInfo && app.roomInfo.screenshare_enabled === false);
  showError(roomOff ? 'Screen sharing is off in this room.' : 'Your role in this meeting may not share a screen.',
    { code: 'screen_forbidden' });
  updateScreenButton();
  return true;
}

// The room's settings changed: screen sharing turned off stops ours.
export function onScreenSettings() {
  if (sharing() && app.roomInfo && app.roomInfo.screenshare_enabled === false) {
    stopScreenShare({ quiet: true });
    notify('Screen sharing was turned off for this room.');
  }
  updateScreenButton();
}
