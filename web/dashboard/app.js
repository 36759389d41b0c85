// sealroom dashboard: sign in, list/create/edit/delete rooms.
// Plain ES module, no build step, no dependencies. Everything user-supplied is
// rendered with textContent (never innerHTML) and nothing relies on inline
// scripts or styles, so it runs under the server's strict CSP.

const PAGE_SIZE = 20;
const STORE_TEAM = 'sealroom.teamId';
const STORE_KEY = 'sealroom.devKey';

// Server defaults for a new room (see the API contract). The create form starts
// from these, and only fields that differ from them are sent.
const CREATE_DEFAULTS = {
  privacy: 'public',
  e2ee_enabled: false,
  chat_enabled: true,
  screenshare_enabled: true,
  audio_on_join_enabled: true,
  video_on_join_enabled: true,
  default_role: 'moderator',
};

const BOOL_FIELDS = {
  e2ee_enabled: 'field-e2ee',
  chat_enabled: 'field-chat',
  screenshare_enabled: 'field-screenshare',
  audio_on_join_enabled: 'field-audio-on-join',
  video_on_join_enabled: 'field-video-on-join',
};

// Where each API field's validation messages go, and which control gets focus.
const FIELD_CONTROLS = {
  description: 'field-description',
  friendly_url: 'field-friendly-url',
  privacy: 'field-privacy',
  max_participants: 'field-max-participants',
  default_role: 'field-default-role',
  roles: 'field-roles',
  ...BOOL_FIELDS,
};
const FIELD_ALIASES = { topic: 'description' };

const $ = (id) => document.getElementById(id);

const state = {
  rooms: [],        // rooms loaded so far, in list order (newest first)
  total: 0,
  roles: [],        // from GET /api/v1/roles
  loading: false,
  editing: null,    // room being edited, or null when creating
  deleting: null,   // room awaiting delete confirmation
};

// ---------------------------------------------------------------- credentials

function getCreds() {
  const teamId = sessionStorage.getItem(STORE_TEAM);
  const key = sessionStorage.getItem(STORE_KEY);
  return teamId && key ? { teamId, key } : null;
}

function setCreds(teamId, key) {
  sessionStorage.setItem(STORE_TEAM, teamId);
  sessionStorage.setItem(STORE_KEY, key);
}

function clearCreds() {
  sessionStorage.removeItem(STORE_TEAM);
  sessionStorage.removeItem(STORE_KEY);
}

function b64(str) {
  const bytes = new TextEncoder().encode(str);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function authHeader(creds) {
  return 'Bearer ' + b64(`${creds.teamId}:${creds.key}`);
}

// ------------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, message, errors, retryAfter) {
    super(message);
    this.status = status;
    this.errors = errors || null;
    this.retryAfter = retryAfter || null;
  }
}

// Calls the API with the stored credentials. A 401 signs out and shows the
// sign-in form; the returned promise then rejects with an ApiError (status 401)
// that callers can ignore.
async function api(method, path, body, creds = getCreds()) {
  if (!creds) {
    showSignIn('Please sign in.');
    throw new ApiError(401, 'Not signed in.');
  }
  const headers = { Accept: 'application/json', Authorization: authHeader(creds) };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'Could not reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (res.ok) return json;

  const message = json && typeof json.message === 'string' && json.message
    ? json.message : `${res.status} ${res.statusText || 'Error'}`.trim();
  const err = new ApiError(res.status, message, json && json.errors, res.headers.get('Retry-After'));
  if (res.status === 401) {
    err.handled = true;
    if (getCreds()) {
      clearCreds();
      resetRooms();
      showSignIn('Your session is no longer valid: the server did not accept the team ID or developer key ' +
        `(“${message}”). Please sign in again.`);
    }
  }
  throw err;
}

function describeError(err) {
  switch (err.status) {
    case 0: return err.message;
    case 400: return `The server rejected the request: ${err.message}`;
    case 404: return `Not found: ${err.message}`;
    case 413: return `The request was too large: ${err.message}`;
    case 429: return `Too many requests: ${err.message}` +
      (err.retryAfter && !/retry/i.test(err.message) ? ` Retry after ${err.retryAfter} seconds.` : '');
    default:
      if (err.status >= 500) return `Server error (${err.status}): ${err.message}`;
      return `Error ${err.status}: ${err.message}`;
  }
}

// ------------------------------------------------------------ alerts/notices

let noticeTimer = 0;

function showAlert(text) {
  $('alert-text').textContent = text;
  $('alert').hidden = false;
}

function clearAlert() {
  $('alert').hidden = true;
  $('alert-text').textContent = '';
}

function notify(text) {
  const el = $('notice');
  el.textContent = text;
  el.classList.add('visible');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.classList.remove('visible'); el.textContent = ''; }, 4000);
}

function reportError(err) {
  if (err && err.status === 401) return; // already sent back to sign-in
  if (!(err instanceof ApiError)) {
    console.warn(err);
    showAlert('Something went wrong: ' + (err && err.message ? err.message : String(err)));
    return;
  }
  if (err.status === 422 && err.errors) {
    const parts = Object.entries(err.errors).map(([f, msgs]) => `${f} ${[].concat(msgs).join(', ')}`);
    showAlert(`${err.message} ${parts.join('; ')}`);
    return;
  }
  showAlert(describeError(err));
}

// ---------------------------------------------------------------------- views

function showSignIn(message) {
  closeDialogs();
  $('rooms-view').hidden = true;
  $('session-info').hidden = true;
  $('signin-view').hidden = false;
  const msg = $('signin-message');
  msg.hidden = !message;
  msg.textContent = message || '';
  $('dev-key').value = '';
  const creds = getCreds();
  if (!creds && !$('team-id').value) $('team-id').focus();
  else $('dev-key').focus();
}

function showRooms(creds) {
  $('signin-view').hidden = true;
  $('signin-message').hidden = true;
  $('rooms-view').hidden = false;
  $('session-info').hidden = false;
  $('session-team').textContent = `Team ${creds.teamId}`;
  $('session-team').title = creds.teamId;
}

function closeDialogs() {
  for (const id of ['room-dialog', 'confirm-dialog']) {
    const d = $(id);
    if (d.open) d.close();
  }
}

// ---------------------------------------------------------------------- sign in

async function onSignIn(ev) {
  ev.preventDefault();
  clearAlert();
  const teamId = $('team-id').value.trim();
  const key = $('dev-key').value.trim();
  setFieldError('error-team-id', 'team-id', teamId ? '' : 'Enter your team ID.');
  setFieldError('error-dev-key', 'dev-key', key ? '' : 'Enter your developer key.');
  if (!teamId) { $('team-id').focus(); return; }
  if (!key) { $('dev-key').focus(); return; }

  const btn = $('sign-in');
  btn.disabled = true;
  btn.textContent = 'Signing in…';
  const creds = { teamId, key };
  try {
    // Check the credentials before keeping them.
    const roles = await api('GET', '/api/v1/roles', undefined, creds);
    setCreds(teamId, key);
    $('dev-key').value = '';
    state.roles = Array.isArray(roles && roles.data) ? roles.data : [];
    renderRoleControls();
    showRooms(creds);
    await loadRooms(true);
  } catch (err) {
    if (err.status === 401) {
      const msg = $('signin-message');
      msg.textContent = 'Sign-in failed: the server did not accept this team ID and developer key.';
      msg.hidden = false;
      $('dev-key').focus();
    } else {
      reportError(err);
    }
  } finally {
    btn.disabled = false;
    btn.textContent = 'Sign in';
  }
}

function onSignOut() {
  clearCreds();
  resetRooms();
  clearAlert();
  $('team-id').value = '';
  showSignIn('You have signed out. Your credentials were removed from this browser tab.');
}

// ----------------------------------------------------------------- room list

function resetRooms() {
  state.rooms = [];
  state.total = 0;
  state.editing = null;
  state.deleting = null;
  $('room-list').replaceChildren();
  renderListMeta();
}

async function loadRooms(reset) {
  if (state.loading) return;
  state.loading = true;
  const more = $('load-more');
  more.disabled = true;
  more.textContent = 'Loading…';
  try {
    const offset = reset ? 0 : state.rooms.length;
    const page = await api('GET', `/api/v1/rooms?limit=${PAGE_SIZE}&offset=${offset}`);
    const data = Array.isArray(page && page.data) ? page.data : [];
    if (reset) state.rooms = [];
    const seen = new Set(state.rooms.map((r) => r.id));
    for (const room of data) if (!seen.has(room.id)) state.rooms.push(room);
    state.total = Number.isInteger(page && page.total_count) ? page.total_count : state.rooms.length;
    renderRooms();
  } catch (err) {
    reportError(err);
  } finally {
    state.loading = false;
    more.disabled = false;
    more.textContent = 'Load more';
  }
}

async function loadRoles() {
  try {
    const roles = await api('GET', '/api/v1/roles');
    state.roles = Array.isArray(roles && roles.data) ? roles.data : [];
  } catch (err) {
    reportError(err);
  }
  renderRoleControls();
}

function renderListMeta() {
  const n = state.total;
  $('room-count').textContent = n === 1 ? '1 room' : `${n} rooms`;
  $('empty-state').hidden = state.rooms.length > 0 || n > 0;
  $('load-more').hidden = state.rooms.length >= n;
}

function renderRooms() {
  const list = $('room-list');
  list.replaceChildren(...state.rooms.map(renderRoom));
  renderListMeta();
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function renderRoom(room) {
  const e2ee = room.e2ee_enabled === true;
  const name = room.description || room.friendly_url || room.id;
  const roles = Array.isArray(room.roles) ? room.roles : [];

  const title = el('h2', { class: 'room-title' + (room.description ? '' : ' room-title-empty'),
    text: room.description || 'No description' });

  const badges = el('div', { class: 'badges' },
    el('span', { class: 'badge ' + (e2ee ? 'badge-e2ee' : 'badge-plain'), 'data-testid': 'e2ee-badge',
      text: e2ee ? 'End-to-end encrypted' : 'Not end-to-end encrypted' }),
    el('span', { class: 'badge badge-privacy', 'data-testid': 'privacy-badge',
      text: room.privacy === 'private' ? 'Private' : 'Public' }),
    room.is_locked ? el('span', { class: 'badge badge-plain', text: 'Locked' }) : null,
  );

  const meta = el('dl', { class: 'room-meta' },
    el('div', {}, el('dt', { text: 'Friendly URL' }),
      el('dd', {}, el('code', { 'data-testid': 'friendly-url', text: room.friendly_url || '' }))),
    el('div', {}, el('dt', { text: 'Link' }),
      el('dd', { class: 'room-url', 'data-testid': 'room-url', text: room.room_url || '' })),
    el('div', {}, el('dt', { text: 'Participants' }),
      el('dd', { text: `Up to ${room.max_participants ?? '—'}` })),
    el('div', {}, el('dt', { text: 'Roles' }),
      el('dd', { text: roles.map((r) => r.display_name || r.name).join(', ') || '—' })),
  );

  const toggle = el('button', {
    type: 'button', class: 'switch-btn', role: 'switch', 'aria-checked': String(e2ee),
    'data-action': 'toggle-e2ee', 'data-testid': 'toggle-e2ee',
    'aria-label': `E2EE (end-to-end encryption) for ${name}`,
  }, el('span', { class: 'switch-track', 'aria-hidden': 'true' }, el('span', { class: 'switch-thumb' })),
  el('span', { class: 'switch-text', text: 'E2EE' }));

  const actions = el('div', { class: 'room-actions' },
    toggle,
    el('button', { type: 'button', class: 'btn btn-small', 'data-action': 'copy', 'data-testid': 'copy',
      'aria-label': `Copy link to ${name}`, text: 'Copy link' }),
    el('button', { type: 'button', class: 'btn btn-small', 'data-action': 'edit', 'data-testid': 'edit',
      'aria-label': `Edit ${name}`, text: 'Edit' }),
    el('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', 'data-action': 'delete',
      'data-testid': 'delete', 'aria-label': `Delete ${name}`, text: 'Delete' }),
  );

  return el('li', { class: 'room', 'data-room-id': room.id, 'data-friendly-url': room.friendly_url,
    'data-e2ee': String(e2ee), 'data-testid': 'room' },
  el('div', { class: 'room-head' }, title, badges), meta, actions);
}

function findRoom(id) {
  return state.rooms.find((r) => r.id === id) || null;
}

function replaceRoom(room) {
  const i = state.rooms.findIndex((r) => r.id === room.id);
  if (i < 0) return;
  state.rooms[i] = room;
  const old = $('room-list').querySelector(`li[data-room-id="${CSS.escape(room.id)}"]`);
  if (old) old.replaceWith(renderRoom(room));
}

function focusRowAction(id, action) {
  const row = $('room-list').querySelector(`li[data-room-id="${CSS.escape(id)}"]`);
  const btn = row && row.querySelector(`[data-action="${action}"]`);
  if (btn) btn.focus();
}

async function onListClick(ev) {
  const btn = ev.target.closest('button[data-action]');
  if (!btn) return;
  const row = btn.closest('li[data-room-id]');
  const room = row && findRoom(row.dataset.roomId);
  if (!room) return;
  switch (btn.dataset.action) {
    case 'toggle-e2ee': return toggleE2ee(room, btn);
    case 'copy': return copyLink(room, btn);
    case 'edit': return openRoomForm(room);
    case 'delete': return askDelete(room);
    default: return undefined;
  }
}

async function toggleE2ee(room, btn) {
  clearAlert();
  const want = !room.e2ee_enabled;
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try {
    const updated = await api('PATCH', `/api/v1/rooms/${encodeURIComponent(room.id)}`, { e2ee_enabled: want });
    replaceRoom(updated);
    focusRowAction(updated.id, 'toggle-e2ee');
    notify(`End-to-end encryption ${updated.e2ee_enabled ? 'turned on' : 'turned off'} for “${updated.description || updated.friendly_url}”.`);
  } catch (err) {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
    if (err.status === 404) removeRoom(room.id); // deleted elsewhere
    reportError(err);
  }
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch { /* fall through to the legacy path */ }
  }
  const ta = el('textarea', { class: 'offscreen', readOnly: true, value: text, 'aria-hidden': 'true' });
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

async function copyLink(room, btn) {
  const url = room.room_url;
  if (!url) { showAlert('This room has no link.'); return; }
  const ok = await copyText(url);
  if (ok) {
    btn.textContent = 'Copied';
    btn.classList.add('copied');
    notify(`Copied ${url}`);
    setTimeout(() => { btn.textContent = 'Copy link'; btn.classList.remove('copied'); }, 2000);
  } else {
    showAlert(`Could not copy automatically. The room link is: ${url}`);
  }
}

// ------------------------------------------------------------------- delete

function askDelete(room) {
  state.deleting = room;
  const name = room.description || room.friendly_url;
  $('confirm-text').textContent = `“${name}” (${room.friendly_url}) will be deleted. ` +
    'Its link will stop working. This cannot be undone.';
  const dlg = $('confirm-dialog');
  dlg.showModal();
  $('confirm-cancel').focus();
}

async function confirmDelete() {
  const room = state.deleting;
  if (!room) return;
  const btn = $('confirm-delete');
  btn.disabled = true;
  btn.textContent = 'Deleting…';
  try {
    await api('DELETE', `/api/v1/rooms/${encodeURIComponent(room.id)}`);
    removeRoom(room.id);
    notify(`Deleted “${room.description || room.friendly_url}”.`);
    $('confirm-dialog').close();
  } catch (err) {
    if (err.status === 404) {
      // Already gone: reflect that.
      removeRoom(room.id);
      $('confirm-dialog').close();
    }
    reportError(err);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Delete room';
    state.deleting = null;
  }
}

function removeRoom(id) {
  const before = state.rooms.length;
  state.rooms = state.rooms.filter((r) => r.id !== id);
  if (state.rooms.length < before) state.total = Math.max(0, state.total - 1);
  const row = $('room-list').querySelector(`li[data-room-id="${CSS.escape(id)}"]`);
  if (row) row.remove();
  renderListMeta();
  $('new-room').focus();
}

// --------------------------------------------------------- create/edit form

function renderRoleControls() {
  const box = $('roles-checks');
  const select = $('field-default-role');
  if (!state.roles.length) {
    box.replaceChildren(el('p', { class: 'muted', text: 'Roles could not be loaded.' }));
    select.replaceChildren();
    return;
  }
  box.replaceChildren(...state.roles.map((r) => el('div', { class: 'check' },
    el('input', { type: 'checkbox', id: `field-role-${r.name}`, name: 'roles', value: r.name,
      checked: true, 'data-testid': `role-${r.name}` }),
    el('label', { htmlFor: `field-role-${r.name}`, text: r.display_name || r.name }))));
  select.replaceChildren(...state.roles.map((r) => el('option', { value: r.name, text: r.display_name || r.name })));
  select.value = CREATE_DEFAULTS.default_role;
}

function setFieldError(errorId, controlId, message) {
  const e = $(errorId);
  if (e) e.textContent = message || '';
  const c = controlId && $(controlId);
  if (c) {
    if (message) c.setAttribute('aria-invalid', 'true');
    else c.removeAttribute('aria-invalid');
  }
}

function clearFormErrors() {
  for (const field of Object.keys(FIELD_CONTROLS)) setFieldError(`error-${field}`, FIELD_CONTROLS[field], '');
  const fa = $('form-alert');
  fa.hidden = true;
  fa.textContent = '';
}

function showFormAlert(text) {
  const fa = $('form-alert');
  fa.textContent = text;
  fa.hidden = false;
}

// Shows 422 messages next to their fields; messages for fields the form does
// not have go to the form's alert.
function showValidationErrors(errors) {
  const byField = {};
  const other = [];
  for (const [key, msgs] of Object.entries(errors || {})) {
    const list = [].concat(msgs).map(String);
    let field = key.split(/[.[]/)[0];
    field = FIELD_ALIASES[field] || field;
    if (FIELD_CONTROLS[field]) (byField[field] ||= []).push(...list);
    else other.push(`${key}: ${list.join(', ')}`);
  }
  let first = null;
  for (const [field, msgs] of Object.entries(byField)) {
    const unique = [...new Set(msgs)];
    setFieldError(`error-${field}`, FIELD_CONTROLS[field], unique.map(capitalize).join(' '));
    first ||= FIELD_CONTROLS[field];
  }
  if (other.length) showFormAlert(other.join('; '));
  if (first) {
    const ctl = $(first);
    const focusable = ctl.matches('fieldset') ? ctl.querySelector('input') : ctl;
    if (focusable) focusable.focus();
  } else if (other.length) {
    $('form-alert').scrollIntoView({ block: 'nearest' });
  }
}

function capitalize(s) {
  s = String(s).trim();
  const out = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(out) ? out : out + '.';
}

function roleName(r) {
  return r && typeof r === 'object' ? r.name : r;
}

// Current values of the form, in API terms.
function readForm() {
  const maxRaw = $('field-max-participants').value.trim();
  const v = {
    description: $('field-description').value.trim(),
    friendly_url: $('field-friendly-url').value.trim(),
    privacy: $('field-privacy').value,
    max_participants: maxRaw === '' ? null : Number(maxRaw),
    default_role: $('field-default-role').value,
    roles: [...$('roles-checks').querySelectorAll('input[name="roles"]:checked')].map((i) => i.value),
  };
  for (const [field, id] of Object.entries(BOOL_FIELDS)) v[field] = $(id).checked;
  return v;
}

function fillForm(room) {
  const r = room || {};
  $('field-description').value = room ? (r.description ?? '') : '';
  $('field-friendly-url').value = room ? (r.friendly_url ?? '') : '';
  $('field-privacy').value = room ? (r.privacy || 'public') : CREATE_DEFAULTS.privacy;
  $('field-max-participants').value = room && r.max_participants != null ? String(r.max_participants) : '';
  for (const [field, id] of Object.entries(BOOL_FIELDS)) {
    $(id).checked = room ? r[field] === true : CREATE_DEFAULTS[field];
  }
  const roleNames = room && Array.isArray(r.roles) ? r.roles.map(roleName) : state.roles.map((x) => x.name);
  for (const box of $('roles-checks').querySelectorAll('input[name="roles"]')) {
    box.checked = roleNames.includes(box.value);
  }
  const def = room ? roleName(r.default_role) : CREATE_DEFAULTS.default_role;
  const select = $('field-default-role');
  if (def && ![...select.options].some((o) => o.value === def)) {
    select.append(el('option', { value: def, text: def }));
  }
  select.value = def || '';
}

function sameSet(a, b) {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

// Body for POST: only what the user filled in or changed from the defaults.
function createBody(v) {
  const body = {};
  if (v.description) body.description = v.description;
  if (v.friendly_url) body.friendly_url = v.friendly_url;
  if (v.privacy !== CREATE_DEFAULTS.privacy) body.privacy = v.privacy;
  if (v.max_participants !== null) body.max_participants = v.max_participants;
  const allRoles = state.roles.map((r) => r.name);
  if (!sameSet(v.roles, allRoles)) body.roles = v.roles;
  if (v.default_role && v.default_role !== CREATE_DEFAULTS.default_role) body.default_role = v.default_role;
  for (const field of Object.keys(BOOL_FIELDS)) {
    if (v[field] !== CREATE_DEFAULTS[field]) body[field] = v[field];
  }
  return body;
}

// Body for PATCH: only fields whose value differs from the room's.
function patchBody(room, v) {
  const body = {};
  if (v.description !== (room.description ?? '')) body.description = v.description;
  if (v.friendly_url !== (room.friendly_url ?? '')) body.friendly_url = v.friendly_url;
  if (v.privacy !== room.privacy) body.privacy = v.privacy;
  if (v.max_participants !== null && v.max_participants !== room.max_participants) {
    body.max_participants = v.max_participants;
  }
  const current = Array.isArray(room.roles) ? room.roles.map(roleName) : [];
  if (!sameSet(v.roles, current)) body.roles = v.roles;
  if (v.default_role && v.default_role !== roleName(room.default_role)) body.default_role = v.default_role;
  for (const field of Object.keys(BOOL_FIELDS)) {
    if (v[field] !== (room[field] === true)) body[field] = v[field];
  }
  return body;
}

function openRoomForm(room) {
  clearAlert();
  clearFormErrors();
  state.editing = room || null;
  const form = $('room-form');
  form.dataset.mode = room ? 'edit' : 'create';
  $('room-form-title').textContent = room ? `Edit room` : 'New room';
  $('create-room').hidden = !!room;
  $('save-room').hidden = !room;
  $('field-max-participants').placeholder = room ? '' : '100';
  fillForm(room);
  $('room-dialog').showModal();
  $('field-description').focus();
}

function closeRoomForm() {
  const dlg = $('room-dialog');
  if (dlg.open) dlg.close();
}

async function onRoomSubmit(ev) {
  ev.preventDefault();
  clearAlert();
  clearFormErrors();
  const editing = state.editing;
  // A number input reports '' for text it cannot parse: say so instead of
  // silently dropping the field.
  if ($('field-max-participants').validity.badInput) {
    setFieldError('error-max_participants', 'field-max-participants', 'Enter a whole number between 2 and 1000.');
    $('field-max-participants').focus();
    return;
  }
  const v = readForm();
  const submit = editing ? $('save-room') : $('create-room');
  const label = submit.textContent;

  let body;
  if (editing) {
    body = patchBody(editing, v);
    if (!Object.keys(body).length) {
      closeRoomForm();
      notify('No changes to save.');
      return;
    }
  } else {
    body = createBody(v);
  }

  submit.disabled = true;
  submit.textContent = editing ? 'Saving…' : 'Creating…';
  try {
    if (editing) {
      const updated = await api('PATCH', `/api/v1/rooms/${encodeURIComponent(editing.id)}`, body);
      replaceRoom(updated);
      closeRoomForm();
      focusRowAction(updated.id, 'edit');
      notify(`Saved “${updated.description || updated.friendly_url}”.`);
    } else {
      const room = await api('POST', '/api/v1/rooms', body);
      state.rooms = [room, ...state.rooms.filter((r) => r.id !== room.id)];
      state.total += 1;
      renderRooms();
      closeRoomForm();
      focusRowAction(room.id, 'copy');
      notify(`Created “${room.description || room.friendly_url}”.`);
    }
  } catch (err) {
    if (err.status === 422 && err.errors && typeof err.errors === 'object') {
      showValidationErrors(err.errors);
    } else if (err.status === 404 && editing) {
      closeRoomForm();
      removeRoom(editing.id);
      showAlert(`This room no longer exists: ${err.message}`);
    } else if (err.status !== 401) {
      showFormAlert(err instanceof ApiError ? describeError(err) : String(err));
    }
  } finally {
    submit.disabled = false;
    submit.textContent = label;
  }
}

// --------------------------------------------------------------------- start

function init() {
  $('signin-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', onSignOut);
  $('alert-close').addEventListener('click', clearAlert);
  $('new-room').addEventListener('click', () => openRoomForm(null));
  $('load-more').addEventListener('click', () => loadRooms(false));
  $('room-list').addEventListener('click', onListClick);
  $('room-form').addEventListener('submit', onRoomSubmit);
  $('cancel-room').addEventListener('click', closeRoomForm);
  $('cancel-room-bottom').addEventListener('click', closeRoomForm);
  $('room-dialog').addEventListener('close', () => { state.editing = null; });
  $('confirm-cancel').addEventListener('click', () => $('confirm-dialog').close());
  $('confirm-delete').addEventListener('click', confirmDelete);
  $('confirm-dialog').addEventListener('close', () => { state.deleting = null; });
  // Clear a field's message as soon as the user edits it.
  $('room-form').addEventListener('input', (ev) => {
    const t = ev.target;
    for (const [field, id] of Object.entries(FIELD_CONTROLS)) {
      const ctl = $(id);
      if (ctl && (ctl === t || ctl.contains(t))) setFieldError(`error-${field}`, id, '');
    }
  });

  const creds = getCreds();
  if (creds) {
    showRooms(creds);
    loadRoles();
    loadRooms(true);
  } else {
    showSignIn('');
  }
}

init();
