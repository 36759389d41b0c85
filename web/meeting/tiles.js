// Video tiles: one <video> per participant holding both of their tracks in one
// MediaStream (the audio plays through the video element), a name label, a
// muted-microphone mark, a camera-off placeholder with initials, and the
// speaking highlight. A screen share has a tile of its own (video only, shown
// whole); while one is shown the grid gives it the stage and puts the other
// tiles in a strip below it.

import { icon } from './icons.js';
import { mark } from './timing.js';

export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = (w) => (Array.from(w)[0] || '').toLocaleUpperCase();
  if (words.length === 1) return Array.from(words[0]).slice(0, 2).join('').toLocaleUpperCase();
  return first(words[0]) + first(words[words.length - 1]);
}

export class Tile {
  // onShown(): a screen tile started or stopped showing video.
  constructor({ id, name, badge = null, local, screen, onAutoplayBlocked, onShown }) {
    this.id = id;
    this.local = !!local;
    this.screen = !!screen;
    this.onShown = onShown || (() => {});
    this.shown = false;
    this.onAutoplayBlocked = onAutoplayBlocked || (() => {});
    this.stream = new MediaStream();
    this.tracks = { audio: null, video: null };
    this.trackWatch = { audio: null, video: null };
    this.micMuted = false;
    this.videoOff = false;

    const el = document.createElement('div');
    el.className = 'tile';
    el.dataset.participantId = id;
    el.setAttribute('role', 'group');
    if (this.local) el.classList.add('local');
    if (this.screen) el.classList.add('screen');

    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.muted = this.local;   // never play our own microphone back
    video.defaultMuted = this.local;
    // srcObject is set only while the stream has tracks: an element playing
    // an empty MediaStream would delay the document's load event forever.
    video.addEventListener('loadedmetadata', () => this.play());
    // Frames arriving also count as "live" (a browser that never unmutes a
    // remote track would otherwise show the placeholder forever).
    this.sawFrames = false;
    for (const ev of ['loadeddata', 'resize']) {
      video.addEventListener(ev, () => {
        if (video.videoWidth > 0 && !this.sawFrames) { this.sawFrames = true; this.update(); }
        if (video.videoWidth > 0 && !this.local) mark('first_frame');
      });
    }

    const placeholder = document.createElement('div');
    placeholder.className = 'tile-placeholder';
    const avatar = document.createElement('span');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    placeholder.appendChild(avatar);

    const bar = document.createElement('div');
    bar.className = 'tile-bar';
    const mic = document.createElement('span');
    mic.className = 'tile-mic';
    mic.setAttribute('role', 'img');
    mic.setAttribute('aria-label', 'Microphone off');
    mic.appendChild(icon('mic-off'));
    mic.hidden = true;
    const label = document.createElement('span');
    label.className = 'tile-name';
    const fpEl = document.createElement('span');
    fpEl.className = 'fp-badge';
    fpEl.hidden = true;
    bar.append(mic, label, fpEl);

    el.append(video, placeholder, bar);
    this.el = el;
    this.video = video;
    this.avatar = avatar;
    this.nameEl = label;
    this.badgeEl = fpEl;
    this.micEl = mic;
    this.setName(name, badge);
    this.update();
  }

  // badge: the first digits of the participant's key fingerprint (E2EE), or null.
  setName(name, badge = null) {
    this.name = name || 'Guest';
    this.nameEl.textContent = this.screen ? `${this.name}'s screen` : this.local ? `${this.name} (you)` : this.name;
    this.badgeEl.textContent = badge || '';
    this.badgeEl.hidden = !badge;
    this.badgeEl.title = badge ? 'First digits of this participant\'s key fingerprint (compare them with theirs)' : '';
    this.avatar.textContent = initials(this.name);
    this.el.setAttribute('aria-label', this.nameEl.textContent + (badge ? `, key ${badge}` : ''));
  }

  // Puts a track of its kind into this tile's stream (null removes it).
  setTrack(kind, track) {
    if (this.tracks[kind] === track) return;
    const old = this.tracks[kind];
    if (kind === 'video') this.sawFrames = false;
    if (old) {
      this.stream.removeTrack(old);
      if (this.trackWatch[kind]) this.trackWatch[kind].abort();
      this.trackWatch[kind] = null;
    }
    this.tracks[kind] = track || null;
    if (track) {
      this.stream.addTrack(track);
      const ac = new AbortController();
      for (const ev of ['mute', 'unmute', 'ended']) {
        track.addEventListener(ev, () => {
          if (ev === 'mute' && kind === 'video') this.sawFrames = false;
          this.update();
        }, { signal: ac.signal });
      }
      this.trackWatch[kind] = ac;
    }
    const hasTracks = this.stream.getTracks().length > 0;
    if (hasTracks && this.video.srcObject !== this.stream) this.video.srcObject = this.stream;
    else if (!hasTracks && this.video.srcObject) this.video.srcObject = null;
    this.update();
    if (track) this.play();
  }

  setMicMuted(muted) {
    this.micMuted = !!muted;
    this.update();
  }

  setVideoOff(off) {
    this.videoOff = !!off;
    this.update();
  }

  update() {
    const v = this.tracks.video;
    // A remote track is muted until its first frames arrive (or when they stop).
    const live = v && v.readyState === 'live' && (this.local ? v.enabled : !v.muted || this.sawFrames);
    const showVideo = !!live && !this.videoOff;
    if (this.screen && showVideo !== this.shown) {
      this.shown = showVideo;
      queueMicrotask(() => this.onShown());
    }
    this.el.classList.toggle('has-video', showVideo);
    this.el.dataset.video = showVideo ? 'on' : 'off';
    const micOff = this.micMuted; // from the participant's declared tracks (or our own state)
    this.micEl.hidden = !micOff || this.screen;
    this.el.dataset.audio = micOff ? 'off' : 'on';
  }

  setLocalMic(on, available) {
    this.micMuted = !(on && available);
    this.update();
  }

  setSpeaking(on) { this.el.classList.toggle('speaking', !!on); }

  setActiveSpeaker(on) { this.el.classList.toggle('active-speaker', !!on); }

  play() {
    if (!this.stream.getTracks().length) return;
    const p = this.video.play();
    if (p && p.catch) {
      p.catch((err) => {
        if (err && err.name === 'NotAllowedError') this.onAutoplayBlocked(this);
      });
    }
  }

  destroy() {
    for (const kind of ['audio', 'video']) {
      if (this.trackWatch[kind]) this.trackWatch[kind].abort();
    }
    this.video.srcObject = null;
    this.el.remove();
  }
}

// Layout buckets: 1, 2, 3-4, 5-9, 10-16, more.
function bucket(n) {
  if (n <= 1) return '1';
  if (n === 2) return '2';
  if (n <= 4) return '4';
  if (n <= 9) return '9';
  if (n <= 16) return '16';
  return 'many';
}

// Picks columns and a tile size that use the area best: tiles between 4:3
// and 16:9 on a landscape stage (3:4 to 16:9 on a portrait one), never more
// rows than columns on a landscape stage (and the reverse on a portrait one).
// Below MIN_TILE_W the grid scrolls instead.
const GAP = 10;
const MIN_TILE_W = 150;

export function fitGrid(n, W, H) {
  if (n < 1 || W <= 0 || H <= 0) return null;
  const landscape = W >= H;
  const minA = landscape ? 4 / 3 : 3 / 4, maxA = 16 / 9;
  let best = null;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    if (n > 1 && (landscape ? rows > cols : cols > rows)) continue;
    const cw = (W - GAP * (cols - 1)) / cols, ch = (H - GAP * (rows - 1)) / rows;
    if (cw <= 0 || ch <= 0) continue;
    const a = Math.min(maxA, Math.max(minA, cw / ch));
    let w = cw, h = cw / a;
    if (h > ch) { h = ch; w = ch * a; }
    if (!best || w * h > best.w * best.h) best = { cols, rows, w, h };
  }
  if (!best || best.w < MIN_TILE_W) {
    const cols = Math.max(1, Math.floor((W + GAP) / (MIN_TILE_W + GAP)));
    const w = (W - GAP * (cols - 1)) / cols;
    return { cols, rows: Math.ceil(n / cols), w, h: w * 9 / 16, scroll: true };
  }
  return { ...best, scroll: false };
}

// While a screen share is on the stage: the other n tiles in a strip below
// it, 16:9, one row as long as they are at least STRIP_MIN_W wide (more rows,
// scrolled, beyond that); the stage takes the rest of the height.
const STRIP_MIN_W = 120;

export function fitStrip(n, W, H) {
  if (W <= 0 || H <= 0) return null;
  if (n < 1) return { cols: 1, rows: 0, w: W, h: 0, stageH: H, scroll: false };
  const stripH = Math.min(180, Math.max(90, H * 0.2));
  let cols = n;
  let w = Math.min(stripH * 16 / 9, (W - GAP * (cols - 1)) / cols);
  if (w < STRIP_MIN_W) {
    cols = Math.max(1, Math.floor((W + GAP) / (STRIP_MIN_W + GAP)));
    w = (W - GAP * (cols - 1)) / cols;
  }
  const h = w * 9 / 16;
  return { cols, rows: Math.ceil(n / cols), w, h, stageH: Math.max(h, H - h - GAP), scroll: cols < n };
}

export class TileGrid {
  constructor(container, { onAutoplayBlocked, onSized } = {}) {
    this.container = container;
    this.tiles = new Map();
    this.onAutoplayBlocked = onAutoplayBlocked;
    this.onSized = onSized || (() => {}); // (tile height in CSS pixels)
    this.sizing = false; // a size() is due before the next frame
    if (window.ResizeObserver) {
      this.resizer = new ResizeObserver(() => this.size());
      this.resizer.observe(container);
    }
  }

  get(id) { return this.tiles.get(id) || null; }

  ensure(id, { name, badge = null, local, screen } = {}) {
    let t = this.tiles.get(id);
    if (t) {
      if (name) t.setName(name, badge);
      return t;
    }
    t = new Tile({ id, name, badge, local, screen, onAutoplayBlocked: this.onAutoplayBlocked, onShown: () => this.layout() });
    this.tiles.set(id, t);
    // The local tile stays first; others in join order.
    if (local) this.container.prepend(t.el); else this.container.appendChild(t.el);
    this.layout();
    return t;
  }

  remove(id) {
    const t = this.tiles.get(id);
    if (!t) return;
    t.destroy();
    this.tiles.delete(id);
    this.layout();
  }

  clear() {
    for (const t of this.tiles.values()) t.destroy();
    this.tiles.clear();
    this.layout();
  }

  // The screen share on the stage: the latest one shared that shows a
  // picture (tiles keep their insertion order; a new share takes the stage
  // from another only once its first frames are there), else the latest one,
  // or null.
  featured() {
    let last = null, shown = null;
    for (const t of this.tiles.values()) {
      if (!t.screen) continue;
      last = t;
      if (t.shown) shown = t;
    }
    return shown || last;
  }

  layout() {
    const n = this.tiles.size;
    const featured = this.featured();
    for (const t of this.tiles.values()) t.el.classList.toggle('featured', t === featured);
    this.container.dataset.count = String(n);
    this.container.dataset.layout = featured ? 'presenting' : bucket(n);
    this.sizeSoon();
  }

  // Sizes the grid before the next frame: reading the container's size here
  // would force a layout of the page at once (~20 ms when the call view has
  // just appeared, in the middle of a join), and several changes in a row
  // need only one.
  sizeSoon() {
    if (this.sizing) return;
    this.sizing = true;
    requestAnimationFrame(() => {
      this.sizing = false;
      this.size();
    });
  }

  // Sizes the grid for the container (custom properties read by style.css).
  size() {
    const c = this.container;
    const fit = this.featured() ? fitStrip(this.tiles.size - 1, c.clientWidth, c.clientHeight)
      : fitGrid(this.tiles.size, c.clientWidth, c.clientHeight);
    if (!fit) return;
    c.style.setProperty('--stage-h', `${Math.floor(fit.stageH || 0)}px`);
    c.style.setProperty('--cols', String(fit.cols));
    c.style.setProperty('--tile-w', `${Math.floor(fit.w)}px`);
    c.style.setProperty('--tile-h', `${Math.floor(fit.h)}px`);
    c.classList.toggle('scroll', fit.scroll);
    this.onSized(fit.h);
  }

  playAll() {
    for (const t of this.tiles.values()) t.play();
  }
}
