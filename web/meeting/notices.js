// Messages to the user: the texts of the error codes (the server's and the
// page's own), the error banner with at most one action (Rejoin, Try again…),
// and short notices that fade ("Ann joined").

import { $ } from './state.js';

const ERROR_TEXT = {
  room_not_found: 'This meeting room does not exist, or it is private and your link has no valid invitation. Check the link you were given.',
  room_locked: 'This room is locked. Nobody can join until it is unlocked.',
  room_expired: 'This room has expired and can no longer be joined.',
  room_full: 'This room is full. Try again when someone has left.',
  server_full: 'The server is at its capacity for calls right now. Try again in a few minutes.',
  too_many_from_address: 'Too many people on your network are in calls on this server right now. Try again when someone has left.',
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
  media_failed: 'Could not connect audio and video: your network may block UDP and TCP traffic to this server.',
};

export function errorText(code, fallback) {
  return ERROR_TEXT[code] || fallback || 'Something went wrong.';
}

let errorAction = null;

export function showError(message, { code = '', action = null } = {}) {
  const box = $('error');
  $('error-text').textContent = message;
  box.dataset.code = code || '';
  const btn = $('error-action');
  errorAction = action;
  btn.hidden = !action;
  if (action) btn.textContent = action.label;
  box.hidden = false;
}

export function clearError() {
  $('error').hidden = true;
  $('error').dataset.code = '';
  $('error-text').textContent = '';
  errorAction = null;
}

// The banner as shown: {code, message}, or null (window.sealroom.error).
export function shownError() {
  return $('error').hidden ? null : { code: $('error').dataset.code, message: $('error-text').textContent };
}

let noticeTimer = null;
export function notify(text) {
  const n = $('notice');
  n.textContent = text;
  n.classList.add('visible');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => n.classList.remove('visible'), 3500);
}

// The banner's two buttons.
export function initNotices() {
  $('error-dismiss').addEventListener('click', () => clearError());
  $('error-action').addEventListener('click', () => {
    const a = errorAction;
    clearError();
    if (a) a.run();
  });
}
