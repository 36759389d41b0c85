// The page's three screens (join, call, left) and the room's title.

import { app, $ } from './state.js';
import { startMeter, stopMeter, updateToggles } from './local-media.js';

export function showView(view) {
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

export function setRoomHeading() {
  const info = app.roomInfo;
  const friendly = (info && info.friendly_url) || app.room;
  const title = (info && info.description) || friendly || 'Meeting';
  $('room-name').textContent = title;
  $('room-url').textContent = info && info.description && friendly ? `/${friendly}` : '';
  $('lobby-title').textContent = title;
  document.title = `${title} · sealroom`;
}
