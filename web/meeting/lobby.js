// The join screen's form: the name (prefilled from the invitation or from the
// last visit, remembered on join), its validation, and the Join button.

import { app, $ } from './state.js';
import { tokenClaims } from './link.js';

const STORE_NAME = 'sealroom.displayName';
const NAME_MAX = 64;

// On page load: the invitation's name (read only: the server shows that one
// to the others, whatever is typed), else the name used last time.
export function prefillName() {
  const claims = app.token ? tokenClaims(app.token) : {};
  let stored = '';
  try { stored = localStorage.getItem(STORE_NAME) || ''; } catch { /* private mode */ }
  if (typeof claims.u === 'string' && claims.u) {
    $('name').value = claims.u;
    $('name').readOnly = true;
    $('name-hint').hidden = false;
  } else {
    $('name').value = stored;
  }
}

export function rememberName(name) {
  try { localStorage.setItem(STORE_NAME, name); } catch { /* private mode */ }
}

// The trimmed name, or null with the reason shown under the field.
export function validateName() {
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

// Typing again clears the reason shown by validateName.
export function clearNameError() {
  if ($('name').getAttribute('aria-invalid') === 'true') {
    $('name-error').textContent = '';
    $('name').setAttribute('aria-invalid', 'false');
  }
}

export function updateJoinButton() {
  const btn = $('join');
  const busy = app.state === 'joining';
  btn.disabled = busy;
  btn.textContent = busy ? 'Joining…' : 'Join';
  const hint = $('join-hint');
  const noMedia = !app.media.has('audio') && !app.media.has('video');
  hint.hidden = !noMedia || busy;
  hint.textContent = noMedia ? 'You will join without camera and microphone, to watch and listen.' : '';
}
