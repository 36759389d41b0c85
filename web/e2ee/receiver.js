// sealroom E2EE: receiver state for one remote sender (docs/e2ee.md 5.4, 6, 8.6).
//
// A small table of keys by (epoch, step), each with two replay windows (audio
// and video codecs); held keys have distinct 8-bit KID generations, so a
// frame's KID names one of them; the ratchet is followed from the KID (at
// most 16 steps, no trial decryption); a superseded key expires 2 s after
// the first authenticated frame of a newer one; the key that last
// authenticated a frame (the active key) is never evicted. Nothing changes until a frame has authenticated, so
// a forged frame can neither advance the ratchet, nor move a window, nor
// retire a key. Strict: every failure is a drop, counted by reason; nothing
// unauthenticated is returned.
//
// The logic is the C library's (lib/e2ee/receiver.c): the same table size,
// eviction order, arrival numbers and deadlines. One addition for JS: a frame
// is decrypted asynchronously, so other frames and key messages may change
// the state meanwhile. The commit after authentication therefore runs again,
// synchronously, the checks that depend on the state: the key must still be
// held (or the ratchet parent still held, for a new step) and the CTR must
// still be new (two copies of one frame decrypted concurrently: the second
// is a replay). A frame that loses such a race is dropped (SRE_ERR_NO_KEY or
// SRE_ERR_REPLAY).
//
// API
//   new Receiver({slot, now = Date.now})   state for the participant with this slot, no keys
//   rx.addKey(epoch, step, baseKey, nowMs?) -> Promise<'added' | 'duplicate'>
//         a key from an authenticated key message (8.6): only a strictly greater
//         (epoch, step) than the newest accepted; throws E2eeError SRE_ERR_STALE_KEY,
//         SRE_ERR_KEY_CONFLICT, SRE_ERR_KEY_LENGTH (16 bytes at step 0, 32 after), SRE_ERR_ARG
//         (epoch outside 1..2^32-1). Acknowledge both results.
//   rx.decrypt(codec, wire, nowMs?) -> Promise<{ok: true, data, epoch, generation, step, ctr}
//                                            | {ok: false, status}>
//         the receive path of 5.4 for a frame on a track this sender owns; data = prefix ||
//         plaintext (an empty audio frame gives an empty data, generation 0)
//   rx.expire(nowMs?)              wipes keys whose deadline has passed (also done by
//                                  decrypt and addKey); rx.nextDeadline() -> ms or null
//   rx.baseKeyFor(epoch, step) -> Promise<Uint8Array> for opening chat: a held key, or one
//                                  ratcheted forward from a held step of that epoch by at most 16
//                                  (not installed); SRE_ERR_NO_KEY, SRE_ERR_RATCHET_TOO_FAR
//   rx.drops                       {status name: frames dropped for it}; rx.dropCount(status)
//   rx.accepted                    frames passed to the decoder
//   rx.heldKeys()                  [{epoch, generation, step, deadline, active}] (tests, diagnostics)
//   rx.clear()                     wipes every key (the participant left)
//   RX_KEYS = 6, KEEP_OLD_MS = 2000, RATCHET_MAX_AHEAD = 16

import { E2eeError, Status, bytes, equalBytes, wipe } from './util.js';
import { deriveSFrameKey, sframeDecrypt, SUITE_WIRE } from './sframe.js';
import { isAudioCodec } from './codec.js';
import { parseFrame, joinPrefix } from './frame.js';
import { ReplayWindow } from './replay.js';
import { kidMake, epochGeneration, checkEpoch, baseKeyLength, ratchetTo, RATCHET_MAX_AHEAD } from './keys.js';

export const RX_KEYS = 6;
export const KEEP_OLD_MS = 2000;
export { RATCHET_MAX_AHEAD };

// Keys are ordered by the arrival of their generation's key message, then by
// step (a ratcheted key inherits its parent's arrival number).
function before(a, b) {
  return a.arrival < b.arrival || (a.arrival === b.arrival && a.step < b.step);
}

export class Receiver {
  constructor({ slot, now } = {}) {
    if (!Number.isInteger(slot) || slot < 0 || slot > 0xffff) throw new E2eeError(Status.ARG, 'slot out of range');
    this.slot = slot;
    this._now = now || (() => Date.now());
    this.keys = new Array(RX_KEYS).fill(null);
    this._cand = null; // {epoch, step, arrival, parent, promise}
    this.any = false;
    this.newestEpoch = 0;
    this.newestStep = 0;
    this.nextArrival = 0;
    this.drops = Object.create(null);
    this.accepted = 0;
  }

  // ---- table ----

  _find(epoch, step) {
    for (const e of this.keys) if (e && e.epoch === epoch && e.step === step) return e;
    return null;
  }

  // The held key of KID generation g and this step (generations are unique
  // among held keys).
  _findGeneration(g, step) {
    for (const e of this.keys) if (e && e.generation === g && e.step === step) return e;
    return null;
  }

  // The epoch of the held keys of KID generation g, or 0.
  _epochOfGeneration(g) {
    for (const e of this.keys) if (e && e.generation === g) return e.epoch;
    return 0;
  }

  // The held key of this epoch with the highest step below `step`.
  _parentOf(epoch, step) {
    let best = null;
    for (const e of this.keys) {
      if (!e || e.epoch !== epoch) continue;
      if (e.step < step && (!best || e.step > best.step)) best = e;
    }
    return best;
  }

  _wipeEntry(e) {
    wipe(e.baseKey);
    e.wiped = true;
  }

  // Index of a free table entry, wiping one if the table is full: the
  // earliest deadline first, else the oldest key; never the active key.
  _freeIndex() {
    let victim = -1;
    for (let i = 0; i < RX_KEYS; i++) {
      const e = this.keys[i];
      if (!e) return i;
      if (e.active) continue;
      if (victim < 0) {
        victim = i;
        continue;
      }
      const v = this.keys[victim];
      if (e.deadline !== null && (v.deadline === null || e.deadline < v.deadline)) victim = i;
      else if (e.deadline === null && v.deadline === null && before(e, v)) victim = i;
    }
    this._wipeEntry(this.keys[victim]);
    this.keys[victim] = null;
    return victim;
  }

  async _makeEntry(epoch, step, baseKey, arrival) {
    const generation = epochGeneration(epoch);
    const sframeKey = await deriveSFrameKey(baseKey, kidMake(this.slot, generation, step), SUITE_WIRE);
    return {
      epoch, generation, step, baseKey, sframeKey, arrival, deadline: null, active: false,
      replayOpus: new ReplayWindow(), replayOther: new ReplayWindow(), wiped: false,
    };
  }

  expire(nowMs = this._now()) {
    for (let i = 0; i < RX_KEYS; i++) {
      const e = this.keys[i];
      if (e && e.deadline !== null && e.deadline <= nowMs) {
        this._wipeEntry(e);
        this.keys[i] = null;
      }
    }
  }

  nextDeadline() {
    let d = null;
    for (const e of this.keys) if (e && e.deadline !== null && (d === null || e.deadline < d)) d = e.deadline;
    return d;
  }

  heldKeys() {
    return this.keys.filter(Boolean).map((e) => ({
      epoch: e.epoch, generation: e.generation, step: e.step, deadline: e.deadline, active: e.active,
    }));
  }

  // ---- key messages (8.6) ----

  // 'duplicate', 'add', or throws: the acceptance rules on the current state.
  _decide(epoch, step, baseKey) {
    const held = this._find(epoch, step);
    if (held) {
      if (equalBytes(held.baseKey, baseKey)) return 'duplicate';
      throw new E2eeError(Status.KEY_CONFLICT, 'a different key for a held (epoch, step)');
    }
    // Only a strictly greater (epoch, step) than the newest accepted.
    const newer = !this.any || epoch > this.newestEpoch || (epoch === this.newestEpoch && step > this.newestStep);
    if (!newer) throw new E2eeError(Status.STALE_KEY, 'older than keys already accepted');
    return 'add';
  }

  async addKey(epoch, step, baseKey, nowMs) {
    checkEpoch(epoch);
    if (!Number.isInteger(step) || step < 0 || step > 255) throw new E2eeError(Status.ARG, 'step out of range');
    baseKey = bytes(baseKey);
    if (baseKey.length !== baseKeyLength(step)) throw new E2eeError(Status.KEY_LENGTH, 'base key length does not match step');
    this.expire(nowMs ?? this._now());
    if (this._decide(epoch, step, baseKey) === 'duplicate') return 'duplicate';
    const key = Uint8Array.from(baseKey);
    const entry = await this._makeEntry(epoch, step, key, 0);
    // The state may have changed while the key was derived: decide again.
    this.expire(nowMs ?? this._now());
    let d;
    try {
      d = this._decide(epoch, step, key);
    } catch (e) {
      wipe(key);
      throw e;
    }
    if (d === 'duplicate') {
      wipe(key);
      return 'duplicate';
    }
    // Held generations stay unique: a key of another epoch with the same KID
    // generation (255 epochs older) is wiped first, and so is such a candidate.
    for (let i = 0; i < RX_KEYS; i++) {
      const x = this.keys[i];
      if (x && x.generation === entry.generation && x.epoch !== epoch) {
        this._wipeEntry(x);
        this.keys[i] = null;
      }
    }
    if (this._cand && epochGeneration(this._cand.epoch) === entry.generation && this._cand.epoch !== epoch) this._cand = null;
    entry.arrival = this.nextArrival++;
    this.keys[this._freeIndex()] = entry;
    this.any = true;
    this.newestEpoch = epoch;
    this.newestStep = step;
    return 'added';
  }

  // ---- frames (5.4) ----

  _drop(status) {
    this.drops[status] = (this.drops[status] || 0) + 1;
    return { ok: false, status };
  }

  dropCount(status) {
    return this.drops[status] || 0;
  }

  // A candidate key for (g, step) ratcheted from parent; one is cached, and
  // concurrent frames of the same new step share it.
  _candidate(epoch, step, parent) {
    const c = this._cand;
    if (c && c.epoch === epoch && c.step === step && c.arrival === parent.arrival && c.parent === parent) {
      return c.promise;
    }
    const cand = { epoch, step, arrival: parent.arrival, parent, promise: null };
    cand.promise = (async () => {
      const key = await ratchetTo(parent.baseKey, step - parent.step);
      return this._makeEntry(epoch, step, key, parent.arrival);
    })();
    // A replaced candidate is not wiped here: a frame may still be decrypting
    // with it (it is garbage once that frame is done).
    this._cand = cand;
    return cand.promise;
  }

  async decrypt(codec, wire, nowMs) {
    const now = nowMs ?? this._now();
    wire = bytes(wire);
    if (wire.length === 0 && isAudioCodec(codec)) {
      this.accepted++; // DTX: an empty frame, rendered as silence
      return { ok: true, data: new Uint8Array(0), epoch: 0, generation: 0, step: 0, ctr: null };
    }
    this.expire(now);
    let parsed;
    try {
      parsed = parseFrame(codec, wire);
    } catch (e) {
      return this._drop(e instanceof E2eeError ? e.status : Status.ARG);
    }
    const { prefixLen: p, header } = parsed;
    if (header.kid >> 16n !== BigInt(this.slot)) return this._drop(Status.WRONG_SLOT);
    const g = Number((header.kid >> 8n) & 0xffn);
    const step = Number(header.kid & 0xffn);

    let e = this._findGeneration(g, step);
    let parent = null;
    let epoch;
    if (e) {
      epoch = e.epoch;
    } else {
      epoch = this._epochOfGeneration(g);
      if (!epoch) return this._drop(Status.NO_KEY);
      parent = this._parentOf(epoch, step);
      if (!parent) return this._drop(Status.NO_KEY);
      if (step - parent.step > RATCHET_MAX_AHEAD) return this._drop(Status.RATCHET_TOO_FAR);
      try {
        e = await this._candidate(epoch, step, parent);
      } catch {
        return this._drop(Status.CRYPTO);
      }
    }
    // Two replay windows (docs/e2ee.md 6): Opus, and every other codec. Their
    // clear prefix lengths differ (1 against 0, 3 or 10), so a frame
    // authenticates in only one. Not by media kind: a 0-byte-prefix audio
    // codec and a 0-byte-prefix video codec would let a frame in once per kind.
    const opus = codec === 'opus';
    const win = (x) => (opus ? x.replayOpus : x.replayOther);
    let st = win(e).check(header.ctr);
    if (st) return this._drop(st);
    let pt;
    try {
      pt = await sframeDecrypt(e.sframeKey, header, wire.subarray(0, p), wire.subarray(p));
    } catch (err) {
      return this._drop(err instanceof E2eeError ? err.status : Status.CRYPTO);
    }

    // Commit, synchronously (docs/e2ee.md 5.4 step 9).
    if (parent) {
      const held = this._find(epoch, step);
      if (held) {
        // Another frame (or a key message) installed this step meanwhile.
        if (!equalBytes(held.baseKey, e.baseKey)) {
          wipe(pt);
          return this._drop(Status.NO_KEY);
        }
        e = held;
      } else if (!this.keys.includes(parent) || e.wiped) {
        wipe(pt);
        return this._drop(Status.NO_KEY);
      } else {
        if (this._cand && this._cand.promise && this._cand.epoch === epoch && this._cand.step === step) this._cand = null;
        this.keys[this._freeIndex()] = e;
        if (epoch === this.newestEpoch && step > this.newestStep) this.newestStep = step;
      }
    } else if (!this.keys.includes(e)) {
      wipe(pt);
      return this._drop(Status.NO_KEY); // wiped while the frame was decrypted
    }
    st = win(e).check(header.ctr);
    if (st) {
      wipe(pt);
      return this._drop(st);
    }
    win(e).commit(header.ctr);
    for (const x of this.keys) {
      if (!x) continue;
      x.active = x === e;
      if (x !== e && x.deadline === null && before(x, e)) x.deadline = now + KEEP_OLD_MS;
    }
    this.accepted++;
    return { ok: true, data: joinPrefix(wire, p, pt), epoch, generation: g, step, ctr: header.ctr };
  }

  // ---- chat (9) ----

  async baseKeyFor(epoch, step) {
    const held = this._find(epoch, step);
    if (held) return Uint8Array.from(held.baseKey);
    const parent = this._parentOf(epoch, step);
    if (!parent) throw new E2eeError(Status.NO_KEY, 'no key for this epoch and step');
    if (step - parent.step > RATCHET_MAX_AHEAD) throw new E2eeError(Status.RATCHET_TOO_FAR, 'step too far ahead');
    return ratchetTo(Uint8Array.from(parent.baseKey), step - parent.step);
  }

  clear() {
    for (let i = 0; i < RX_KEYS; i++) {
      if (this.keys[i]) this._wipeEntry(this.keys[i]);
      this.keys[i] = null;
    }
    if (this._cand) this._cand.promise.then((e) => this._wipeEntry(e), () => {});
    this._cand = null;
    this.any = false;
  }
}
