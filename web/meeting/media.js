// Local camera and microphone: acquisition with clear failure reasons, device
// lists, switching devices, and a level meter (Web Audio analyser).

const STORE_DEVICES = 'sealroom.devices';

export function videoConstraints(deviceId, exact) {
  const c = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  if (deviceId) c.deviceId = exact ? { exact: deviceId } : { ideal: deviceId };
  return c;
}

export function audioConstraints(deviceId, exact) {
  const c = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId) c.deviceId = exact ? { exact: deviceId } : { ideal: deviceId };
  return c;
}

function loadDevicePrefs() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_DEVICES) || '{}');
    return { audio: typeof v.audio === 'string' ? v.audio : '', video: typeof v.video === 'string' ? v.video : '' };
  } catch {
    return { audio: '', video: '' };
  }
}

function saveDevicePrefs(p) {
  try { localStorage.setItem(STORE_DEVICES, JSON.stringify(p)); } catch { /* private mode */ }
}

const KIND_NAME = { audio: 'microphone', video: 'camera' };

export class LocalMedia {
  constructor() {
    this.stream = new MediaStream(); // current local tracks (audio and/or video)
    this.enabled = { audio: true, video: true }; // what the user wants
    this.prefs = loadDevicePrefs();
    this.problems = {};     // kind -> error name of the last failed attempt
    this.supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    this.meter = null;
    this.onEnded = null;    // (kind) => {}: a track ended by itself (device gone)
    this.released = false;  // the camera was closed by "Stop video" (the light goes off)
  }

  track(kind) {
    return this.stream.getTracks().find((t) => t.kind === kind && t.readyState !== 'ended') || null;
  }

  // A camera closed by "Stop video" still counts: it is reopened on "Start video".
  has(kind) { return !!this.track(kind) || (kind === 'video' && this.released); }

  // True when this kind is both available and switched on.
  isOn(kind) { return this.has(kind) && this.enabled[kind]; }

  async getUserMedia(constraints) {
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  // Opens camera and microphone. Falls back to one of them when the other is
  // missing or busy. Returns { audio, video, problems } (problems: kind -> error name).
  async acquire() {
    this.problems = {};
    if (!this.supported) {
      this.problems = { audio: 'InsecureContext', video: 'InsecureContext' };
      return this.result();
    }
    const want = { audio: audioConstraints(this.prefs.audio), video: videoConstraints(this.prefs.video) };
    try {
      const s = await this.getUserMedia(want);
      this.adopt(s);
      return this.result();
    } catch (err) {
      const name = errName(err);
      if (name === 'NotAllowedError' || name === 'SecurityError') {
        this.problems = { audio: name, video: name };
        return this.result();
      }
    }
    // One of them may still work on its own (e.g. a laptop without camera).
    for (const kind of ['audio', 'video']) {
      try {
        const s = await this.getUserMedia({ [kind]: want[kind] });
        this.adopt(s);
      } catch (err) {
        this.problems[kind] = errName(err);
      }
    }
    return this.result();
  }

  result() {
    return { audio: this.has('audio'), video: this.has('video'), problems: { ...this.problems } };
  }

  adopt(s) {
    for (const t of s.getTracks()) {
      for (const old of this.stream.getTracks()) {
        if (old.kind !== t.kind) continue;
        this.stream.removeTrack(old);
        old.stop();
      }
      t.enabled = this.enabled[t.kind];
      t.addEventListener('ended', () => { if (this.onEnded) this.onEnded(t.kind); });
      this.stream.addTrack(t);
      if (t.kind === 'audio' && this.meter) this.meter.setTrack(t);
      const id = t.getSettings ? t.getSettings().deviceId : '';
      if (id) this.prefs[t.kind] = id;
    }
    saveDevicePrefs(this.prefs);
  }

  // Opens a specific device for one kind and replaces the current track.
  // Returns the new track (the caller hands it to the publisher).
  async switchDevice(kind, deviceId) {
    const constraints = kind === 'audio'
      ? { audio: audioConstraints(deviceId, true) } : { video: videoConstraints(deviceId, true) };
    // Some systems cannot open a second camera while the first is open.
    const old = this.track(kind);
    if (kind === 'video' && old) old.stop();
    let s;
    try {
      s = await this.getUserMedia(constraints);
    } catch (err) {
      if (kind === 'video' && old) { this.stream.removeTrack(old); }
      this.problems[kind] = errName(err);
      throw err;
    }
    delete this.problems[kind];
    this.adopt(s);
    return this.track(kind);
  }

  setEnabled(kind, on) {
    this.enabled[kind] = on;
    const t = this.track(kind);
    if (t) t.enabled = on;
  }

  // "Stop video" closes the camera (its light goes off; nothing is sent, not
  // even black frames) and "Start video" opens it again. Returns the new
  // track (on) or null (off, or the camera could not be opened again).
  async setVideo(on) {
    if (!on) {
      this.enabled.video = false;
      const t = this.track('video');
      if (t) {
        this.stream.removeTrack(t);
        t.stop();
        this.released = true;
      }
      return null;
    }
    if (!this.released) {
      this.setEnabled('video', true);
      return this.track('video');
    }
    try {
      const s = await this.getUserMedia({ video: videoConstraints(this.prefs.video) });
      this.enabled.video = true;
      this.released = false;
      this.adopt(s);
      return this.track('video');
    } catch (err) {
      this.problems.video = errName(err);
      return null;
    }
  }

  stopTracks() {
    this.released = false;
    for (const t of this.stream.getTracks()) {
      t.stop();
      this.stream.removeTrack(t);
    }
    if (this.meter) this.meter.setTrack(null);
  }

  // Devices grouped by kind: { audio: [{deviceId, label}], video: [...] }.
  async devices() {
    const out = { audio: [], video: [] };
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return out;
    let list = [];
    try { list = await navigator.mediaDevices.enumerateDevices(); } catch { return out; }
    for (const d of list) {
      const kind = d.kind === 'audioinput' ? 'audio' : d.kind === 'videoinput' ? 'video' : null;
      if (!kind || !d.deviceId) continue; // no id before permission is granted
      if (out[kind].some((x) => x.deviceId === d.deviceId)) continue;
      out[kind].push({ deviceId: d.deviceId, label: d.label || `${capitalize(KIND_NAME[kind])} ${out[kind].length + 1}` });
    }
    return out;
  }

  currentDeviceId(kind) {
    const t = this.track(kind);
    const s = t && t.getSettings ? t.getSettings() : null;
    return (s && s.deviceId) || '';
  }

  // The analyser reads the local microphone (silence while disabled).
  ensureMeter() {
    if (!this.meter) this.meter = new LevelMeter();
    this.meter.setTrack(this.track('audio'));
    return this.meter;
  }

  level() {
    if (!this.meter || !this.isOn('audio')) return 0;
    return this.meter.level();
  }
}

function errName(err) {
  return (err && err.name) || 'Error';
}

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Explains why a kind could not be opened, for people, not developers.
export function describeProblem(problems, result) {
  const a = problems.audio, v = problems.video;
  const any = a || v;
  if (!any) return null;
  if (a === 'InsecureContext') {
    return 'This page is not served over HTTPS, so the browser does not offer the camera and microphone. ' +
      'You can still join to watch and listen.';
  }
  if (a === 'NotAllowedError' || a === 'SecurityError') {
    return 'Access to the camera and microphone is blocked. To be seen and heard, allow them in your browser\'s ' +
      'site settings and reload the page. You can still join to watch and listen.';
  }
  const reason = (name, what) => {
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found.`;
    if (name === 'NotReadableError' || name === 'AbortError') return `The ${what} is in use by another application or could not be started.`;
    if (name === 'NotAllowedError') return `Access to the ${what} is blocked.`;
    return `The ${what} could not be opened (${name}).`;
  };
  if (a && v) {
    if (a === v && (a === 'NotFoundError' || a === 'OverconstrainedError')) {
      return 'No camera or microphone was found. You can still join to watch and listen.';
    }
    return `${reason(a, 'microphone')} ${reason(v, 'camera')} You can still join to watch and listen.`;
  }
  if (a) return `${reason(a, 'microphone')} You will join without sound${result && result.video ? ', with your camera' : ''}.`;
  return `${reason(v, 'camera')} You will join with your microphone only.`;
}

// RMS level of a track through an AnalyserNode. The AudioContext may start
// suspended (autoplay policy) and is resumed on the first user gesture.
export class LevelMeter {
  constructor() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    this.ctx = Ctx ? new Ctx() : null;
    this.source = null;
    this.track = null;
    this.analyser = null;
    this.buf = null;
    if (this.ctx) {
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 1024;
      this.buf = new Float32Array(this.analyser.fftSize);
      const resume = () => {
        if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
      };
      for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, resume, { capture: true });
      resume();
    }
  }

  setTrack(track) {
    if (!this.ctx || track === this.track) return;
    if (this.source) { try { this.source.disconnect(); } catch { /* ignore */ } }
    this.source = null;
    this.track = track;
    if (!track) return;
    this.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(this.analyser); // not connected to the output: no echo
  }

  level() {
    if (!this.source || !this.analyser || this.ctx.state !== 'running') return 0;
    this.analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (let i = 0; i < this.buf.length; i++) sum += this.buf[i] * this.buf[i];
    return Math.sqrt(sum / this.buf.length);
  }

  close() {
    if (this.ctx) this.ctx.close().catch(() => {});
    this.ctx = null;
  }
}
