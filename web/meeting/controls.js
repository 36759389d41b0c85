// What the page's buttons and fields do: the join form, the call toolbar
// (mic, camera, screen share, devices, people, chat, leave), the side panels' close buttons
// and Escape, the left screen's Rejoin and Back, "Turn on sound". Each handler
// calls the module that does the work; this file only binds them (once).

import { app, $ } from './state.js';
import { icon } from './icons.js';
import { join, leave, rejoin, backToLobby } from './session.js';
import { clearNameError } from './lobby.js';
import { toggle, updatePreview, refreshDevices, chooseDevice } from './local-media.js';
import { tiles } from './roster.js';
import { chat, setPanelOpen } from './panels.js';
import { sharing, startScreenShare, stopScreenShare } from './screen.js';

export function initControls() {
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
    clearNameError();
    updatePreview();
  });
  $('toggle-mic').addEventListener('click', () => toggle('audio'));
  $('toggle-cam').addEventListener('click', () => toggle('video'));
  $('toggle-screen').addEventListener('click', () => (sharing() ? stopScreenShare() : startScreenShare()));
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
  $('enable-audio').addEventListener('click', () => {
    $('enable-audio').hidden = true;
    tiles.playAll();
  });
  for (const sel of document.querySelectorAll('select[data-kind]')) {
    sel.addEventListener('change', () => chooseDevice(sel.dataset.kind, sel.value));
  }
}
