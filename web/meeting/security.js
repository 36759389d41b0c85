// What the page shows about end-to-end encryption: the E2EE badge, the
// security code and when it changed, sender verification (fingerprints and
// sealed names come from the worker, which computes them from the keys it
// actually uses: docs/e2ee.md 10), the alarms (a refused key change, a
// participant that left unverified, one that never sent its keys) and the
// note on the left screen. Also window.sealroom.e2ee for the tests.
//
// Lifecycle: updateE2eeUi() once a call starts; the E2eeSession's callbacks
// (session.js) call onVerification and onE2eeAlarm; stopSecurity() first
// when the call ends (it still reads the roster), updateE2eeUi() last.

import { app, $, emptyVerify } from './state.js';
import { e2eeSupport } from './e2ee.js';
import { displayName, renameTiles, renderParticipants } from './roster.js';
import { notify } from './notices.js';

export function updateE2eeUi() {
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
export function onVerification(v) {
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
  renameTiles();
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
export function onE2eeAlarm(a) {
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

// The call ended: the note on the left screen, then everything of this
// call's verification is forgotten.
export function stopSecurity() {
  const unverified = unverifiedAtEnd();
  const note = $('left-e2ee-note');
  note.textContent = unverified.length
    ? `When the call ended, ${unverified.join(', ')} had your encryption key without having been in a security code long enough to compare. If you do not know who that was, the server may have let someone listen.`
    : '';
  note.hidden = !unverified.length;
  app.coveredAt.clear();
  app.alarms = [];
  app.verify = emptyVerify();
  app.shownCode = null;
  app.shownSet = null;
  clearTimeout(app.missingTimer);
  app.missingSince.clear();
  $('e2ee-missing').hidden = true;
  $('e2ee-alarm').hidden = true;
  $('code-changed').hidden = true;
}

// window.sealroom.e2ee: what the tests read.
export function e2eeApi() {
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
