// Which simulcast encoding this page asks the server for, of each other
// participant's camera (`video_quality`, docs/signalling.md): from the size
// the tiles are drawn at, so that small tiles take the small encoding and
// large ones the full one; the SFU may still send less when this page's
// bandwidth does not allow it. A test (or a future setting) may fix one
// participant's quality with setVideoQuality.

import { app } from './state.js';

const sent = new Map();  // participant id -> the quality last sent
const fixed = new Map(); // participant id -> quality fixed by setVideoQuality
let tileHeight = 0;      // device pixels, 0 before the grid was sized

// The encoding a tile of h device pixels needs: the meeting page sends
// 180, 360 and 720 lines (rtc.js VIDEO_ENCODINGS); a tile gets the smallest
// that is at least about its own height.
export function qualityFor(h) {
  if (h <= 0) return 'high';
  return h <= 200 ? 'low' : h <= 400 ? 'medium' : 'high';
}

// The tile grid was sized: tiles are cssHeight CSS pixels high (tiles.js).
export function onTilesSized(cssHeight) {
  tileHeight = cssHeight * (window.devicePixelRatio || 1);
  syncQuality();
}

// Sends what changed, for everyone in the room now (after a join, a
// participant joining, or a resize).
export function syncQuality() {
  if (!app.signal || app.state !== 'joined') return;
  // Someone left: a message sent as they left named them and was refused
  // whole (unknown_participant), so everything is said again.
  for (const id of sent.keys()) if (!app.participants.has(id)) sent.clear();
  const changed = {};
  for (const id of app.participants.keys()) {
    // Before the grid is sized nothing is said (the server then counts this
    // page as wanting the highest only after a grace, docs/signalling.md):
    // a first "high" would make every publisher resume its paused
    // encodings at each join, for nothing.
    if (!tileHeight && !fixed.has(id)) continue;
    const q = fixed.get(id) || qualityFor(tileHeight);
    if (sent.get(id) !== q) changed[id] = q;
  }
  const ids = Object.keys(changed).slice(0, 128); // the server takes 128 a message; the rest next time
  if (!ids.length) return;
  const qualities = Object.fromEntries(ids.map((id) => [id, changed[id]]));
  if (app.signal.send({ type: 'video_quality', qualities }) !== false) for (const id of ids) sent.set(id, qualities[id]);
}

// Fixes one participant's quality ('low', 'medium', 'high'), or lets the
// tile size decide again (null).
export function setVideoQuality(id, quality) {
  if (quality) fixed.set(id, quality); else fixed.delete(id);
  syncQuality();
}

// A new call: nothing was sent on its connection yet.
export function resetQuality() {
  sent.clear();
}

export function qualityState() {
  return { tileHeight, sent: Object.fromEntries(sent), fixed: Object.fromEntries(fixed) };
}
