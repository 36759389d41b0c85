// sealroom E2EE: the sender (docs/e2ee.md 4.6, 5.3, 8.4, 8.5).
//
// One Sender per participant, shared by every outgoing track (microphone,
// camera, screen): the CTR is per key, not per track, or two tracks would
// reuse AES-GCM nonces. In a browser that means one Sender in the one worker
// that runs every sender transform.
//
// Every encrypt() takes its CTR and key synchronously before it awaits, so
// frames encrypted concurrently never share a CTR, and a key change applies
// to the frames that start after it. Key changes (ratchet, rotation) run one
// at a time in call order.
//
// Keys are named by (epoch, step): the epoch starts at 1 and grows by one for
// every new base key (rotation); it never wraps. The 8-bit KID generation is
// derived: ((epoch - 1) mod 255) + 1.
//
// API
//   Sender.create({slot, epoch = 1, baseKey?}) -> Promise<Sender> epoch, step 0, baseKey
//                                  (16 bytes) or a random one, CTR 0, unused
//   sender.slot, .epoch, .generation, .step, .ctr (bigint: the next CTR), .kid, .used
//   sender.baseKey                 a copy of the current base key
//   sender.currentKey({markUsed = false} = {}) -> {epoch, generation, step, baseKey (copy)}
//                                  the current key; markUsed: true when sealing a chat
//                                  message under it (8.4)
//   sender.markUsed()              marks the current key used
//   sender.pending                 null or {epoch, generation, step: 0, baseKey (copy)}: a
//                                  rotation key sent but not yet used (8.5)
//   sender.encrypt(codec, frame)   -> Promise<Uint8Array> the wire frame (empty audio frame:
//                                  empty, no CTR used); a frame that takes a CTR marks the key
//                                  used; throws E2eeError SRE_ERR_EMPTY_FRAME,
//                                  SRE_ERR_FRAME_TOO_SHORT, SRE_ERR_CTR_EXHAUSTED
//   sender.ratchet()               -> Promise<{epoch, generation, step, baseKey}> one step:
//                                  step + 1, CTR 0, unused, old key wiped;
//                                  SRE_ERR_RATCHET_EXHAUSTED at 255
//   sender.startRotation(baseKey?) -> Promise<{epoch, generation, step: 0, baseKey}> a pending
//                                  key of epoch (newest distributed) + 1; replaces an earlier
//                                  pending one; SRE_ERR_EPOCH_EXHAUSTED past 0xFFFFFFFF
//   sender.switchToPending()       -> Promise<boolean> the pending key becomes current (after every
//                                  ack or 500 ms); the old key is wiped; false if none pending
//   sender.rotate(baseKey?)        -> Promise<{epoch, generation, step, baseKey}> start + switch
//   sender.keyForNewcomer()        -> Promise<{epoch, generation, step, baseKey, rotationStarted,
//                                  ratcheted}> what to send a participant who joined (8.4): the
//                                  pending key if a rotation is under way; else the current key
//                                  as it is if it is unused; else a ratchet step; a used key at
//                                  step 255 starts a rotation (rotationStarted: true)
//   sender.clear()                 wipes every key; the sender is unusable afterwards
//   ROTATE_TIMEOUT_MS = 500, ROTATE_MIN_INTERVAL_MS = 100, EPOCH_MAX = 0xFFFFFFFF
//
//   new RotationTracker(sender, {timeoutMs = 500, minIntervalMs = 100, now = Date.now})
//     the rotation bookkeeping of docs/e2ee.md 8.5, with no timers of its own: the caller
//     runs one timer for nextWakeup() and calls tick() then. It only knows the ids the caller
//     declares as holding our key (keyHolders, join); leave() of any other id does nothing,
//     and the caller must not call leave() for ids it never sent a key to. Call the methods
//     one at a time (await each). Every method that can send returns
//     {send: key or null, to: [ids], switched: boolean}: send `send` (then wipe it) to every
//     id in `to`; when switched, the sender now encrypts with a new key (ask the encoder
//     for a key frame).
//     tracker.keyHolders(ids)      declares ids that got our current key (the first key)
//     tracker.join(id, everyone, nowMs?) -> Promise<{epoch, generation, step, baseKey,
//                                  rotationStarted}> what to send the newcomer
//                                  (sender.keyForNewcomer); during a rotation the newcomer is
//                                  waited for too; rotationStarted (step 255): send the key to
//                                  `everyone` (every capable peer, newcomer included)
//     tracker.leave(id, remainingIds, nowMs?) -> Promise<{send, to, switched}> a participant
//                                  that held our key left: a fresh pending key for
//                                  remainingIds (or none yet, when rate-limited: then
//                                  nextWakeup() says when); the switch comes no later than
//                                  timeoutMs after the first leave not yet handled by a switch
//     tracker.ack(id, epoch)       -> Promise<boolean> true when this ack completed the set and
//                                  the sender switched (acks of a pending key made before a
//                                  later leave do not complete it)
//     tracker.tick(nowMs?)         -> Promise<{send, to, switched}> does what is due
//     tracker.nextWakeup()         -> ms (on the tracker's clock) when tick() is due, or null
//     tracker.pending, .deadline, .waiting (Set of ids still to ack), .holders (Set)

import { E2eeError, Status, bytes, randomBytes, wipe } from './util.js';
import { deriveSFrameKey, sframeEncryptInto, SUITE_WIRE } from './sframe.js';
import { prefixLength, isAudioCodec } from './codec.js';
import { kidMake, epochGeneration, ratchet, BASE_KEY_LEN, EPOCH_MAX } from './keys.js';

export const ROTATE_TIMEOUT_MS = 500;
export const ROTATE_MIN_INTERVAL_MS = 100;
const CTR_MAX = (1n << 64n) - 1n;

function freshKey(given) {
  if (given === undefined || given === null) return randomBytes(BASE_KEY_LEN);
  const k = bytes(given);
  if (k.length !== BASE_KEY_LEN) throw new E2eeError(Status.KEY_LENGTH, 'a fresh base key is 16 bytes');
  return Uint8Array.from(k);
}

async function makeKey(slot, epoch, step, baseKey) {
  const generation = epochGeneration(epoch);
  const sframeKey = await deriveSFrameKey(baseKey, kidMake(slot, generation, step), SUITE_WIRE);
  return { epoch, generation, step, baseKey, sframeKey, ctr: 0n, exhausted: false, used: false };
}

function describe(k, extra) {
  return { epoch: k.epoch, generation: k.generation, step: k.step, baseKey: Uint8Array.from(k.baseKey), ...extra };
}

function nextEpoch(epoch) {
  if (epoch >= EPOCH_MAX) throw new E2eeError(Status.EPOCH_EXHAUSTED, 'epoch exhausted: cannot rotate');
  return epoch + 1;
}

export class Sender {
  constructor(slot, current) {
    this.slot = slot;
    this._cur = current;
    this._pending = null;
    this._queue = Promise.resolve();
    this._cleared = false;
  }

  static async create({ slot, epoch = 1, baseKey } = {}) {
    if (!Number.isInteger(slot) || slot < 0 || slot > 0xffff) throw new E2eeError(Status.ARG, 'slot out of range');
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > EPOCH_MAX) {
      throw new E2eeError(Status.ARG, 'epoch out of range');
    }
    return new Sender(slot, await makeKey(slot, epoch, 0, freshKey(baseKey)));
  }

  get epoch() {
    return this._cur.epoch;
  }

  get used() {
    return this._cur.used;
  }

  markUsed() {
    this._cur.used = true;
  }

  currentKey({ markUsed = false } = {}) {
    if (this._cleared) throw new E2eeError(Status.ARG, 'sender cleared');
    if (markUsed) this._cur.used = true;
    return describe(this._cur);
  }

  get generation() {
    return this._cur.generation;
  }

  get step() {
    return this._cur.step;
  }

  get ctr() {
    return this._cur.ctr;
  }

  get kid() {
    return kidMake(this.slot, this._cur.generation, this._cur.step);
  }

  get baseKey() {
    return Uint8Array.from(this._cur.baseKey);
  }

  get pending() {
    const p = this._pending;
    return p ? describe(p) : null;
  }

  // Runs key changes one at a time, in call order.
  _serial(fn) {
    const run = this._queue.then(() => {
      if (this._cleared) throw new E2eeError(Status.ARG, 'sender cleared');
      return fn();
    });
    this._queue = run.catch(() => {});
    return run;
  }

  encrypt(codec, frame) {
    try {
      if (this._cleared) throw new E2eeError(Status.ARG, 'sender cleared');
      const k = this._cur;
      if (k.exhausted) throw new E2eeError(Status.CTR_EXHAUSTED, 'counter exhausted: rotate');
      frame = bytes(frame);
      if (frame.length === 0) {
        // An empty audio frame is sent as is and uses no counter (DTX).
        if (isAudioCodec(codec)) return Promise.resolve(new Uint8Array(0));
        throw new E2eeError(Status.EMPTY_FRAME, 'empty frame on a video track');
      }
      const p = prefixLength(codec, frame);
      if (frame.length < p) throw new E2eeError(Status.FRAME_TOO_SHORT, 'frame shorter than its clear prefix');
      // The counter is taken synchronously: concurrent calls get distinct CTRs.
      const ctr = k.ctr;
      k.used = true;
      if (ctr === CTR_MAX) k.exhausted = true;
      else k.ctr = ctr + 1n;
      return sframeEncryptInto(k.sframeKey, ctr, frame.subarray(0, p), frame.subarray(p));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  _install(next) {
    const old = this._cur;
    this._cur = next;
    wipe(old.baseKey);
  }

  ratchet() {
    return this._serial(async () => {
      const k = this._cur;
      if (k.step === 255) throw new E2eeError(Status.RATCHET_EXHAUSTED, 'step 255: rotate instead');
      const next = await makeKey(this.slot, k.epoch, k.step + 1, await ratchet(k.baseKey));
      this._install(next);
      return describe(next);
    });
  }

  startRotation(baseKey) {
    return this._serial(async () => {
      const newest = this._pending ? this._pending.epoch : this._cur.epoch;
      const next = await makeKey(this.slot, nextEpoch(newest), 0, freshKey(baseKey));
      if (this._pending) wipe(this._pending.baseKey);
      this._pending = next;
      return describe(next);
    });
  }

  switchToPending() {
    return this._serial(async () => {
      if (!this._pending) return false;
      const p = this._pending;
      this._pending = null;
      this._install(p);
      return true;
    });
  }

  async rotate(baseKey) {
    const r = await this.startRotation(baseKey);
    await this.switchToPending();
    return r;
  }

  keyForNewcomer() {
    return this._serial(async () => {
      if (this._pending) return describe(this._pending, { rotationStarted: false, ratcheted: false });
      const k = this._cur;
      // A key that never encrypted a frame nor sealed a chat message goes to the
      // newcomer as it is: there is nothing from before the join it could open,
      // and the other receivers need not follow a ratchet step (8.4).
      if (!k.used) return describe(k, { rotationStarted: false, ratcheted: false });
      if (k.step === 255) {
        const next = await makeKey(this.slot, nextEpoch(k.epoch), 0, freshKey());
        this._pending = next;
        return describe(next, { rotationStarted: true, ratcheted: false });
      }
      const next = await makeKey(this.slot, k.epoch, k.step + 1, await ratchet(k.baseKey));
      this._install(next);
      return describe(next, { rotationStarted: false, ratcheted: true });
    });
  }

  clear() {
    this._cleared = true;
    wipe(this._cur.baseKey);
    if (this._pending) wipe(this._pending.baseKey);
    this._pending = null;
  }
}

export class RotationTracker {
  constructor(sender, { timeoutMs = ROTATE_TIMEOUT_MS, minIntervalMs = ROTATE_MIN_INTERVAL_MS, now } = {}) {
    this.sender = sender;
    this.timeoutMs = timeoutMs;
    this.minIntervalMs = minIntervalMs;
    this._now = now || (() => Date.now());
    this.holders = new Set(); // ids that hold (or are being sent) our current or pending key
    this.waiting = new Set(); // ids whose ack for the pending key is still missing
    this.deadline = null; // switch no later than this (never extended)
    this._stale = false; // a leave not yet covered by a fresh pending key
    this._recipients = []; // who gets the next fresh pending key
    this._lastStart = null; // when the last pending key was made
  }

  get pending() {
    return this.sender.pending;
  }

  keyHolders(ids) {
    for (const id of ids || []) this.holders.add(id);
  }

  static _none() {
    return { send: null, to: [], switched: false };
  }

  // A fresh pending key for this._recipients.
  async _start(now) {
    const key = await this.sender.startRotation();
    const to = [...this._recipients];
    this.waiting = new Set(to);
    this.holders = new Set(to);
    this._stale = false;
    this._lastStart = now;
    return key;
  }

  async _switch() {
    this.waiting.clear();
    this.deadline = null;
    this._stale = false;
    return this.sender.switchToPending();
  }

  async join(id, everyone, nowMs) {
    const now = nowMs ?? this._now();
    const k = await this.sender.keyForNewcomer();
    if (k.rotationStarted) {
      // Step 255 of a used key: a rotation that the caller sends to everyone,
      // newcomer included (no leave is involved, so no key is stale).
      const to = new Set(everyone || []);
      to.add(id);
      this.waiting = new Set(to);
      this.holders = new Set(to);
      this._recipients = [...to];
      this._lastStart = now;
      if (this.deadline === null) this.deadline = now + this.timeoutMs;
    } else if (this.sender.pending && this.sender.pending.epoch === k.epoch) {
      this.waiting.add(id);
      this.holders.add(id);
      this._recipients.push(id);
    } else {
      this.holders.add(id);
      // A leave is waiting for its fresh key (rate-limited): that key must
      // reach the newcomer too, or it would be locked out of our next key.
      if (this._stale && !this._recipients.includes(id)) this._recipients.push(id);
    }
    return k;
  }

  async leave(id, remainingIds, nowMs) {
    const now = nowMs ?? this._now();
    this.waiting.delete(id);
    if (!this.holders.has(id)) return RotationTracker._none(); // it never had our key
    this.holders.delete(id);
    this._recipients = [...(remainingIds || this.holders)].filter((x) => x !== id);
    // The first leave not yet handled by a switch sets the deadline; later
    // leaves never move it.
    if (this.deadline === null) this.deadline = now + this.timeoutMs;
    this._stale = true;
    return this.tick(now);
  }

  async ack(id, epoch) {
    const p = this.sender.pending;
    if (!p || p.epoch !== epoch || !this.waiting.has(id)) return false;
    this.waiting.delete(id);
    // A pending key made before a later leave may be known to the leaver:
    // its acks cannot complete the rotation.
    if (this.waiting.size > 0 || this._stale) return false;
    return this._switch();
  }

  async tick(nowMs) {
    const now = nowMs ?? this._now();
    if (this.deadline !== null && now >= this.deadline) {
      let send = null;
      let to = [];
      if (this._stale || !this.sender.pending) {
        // A leave is not covered by the pending key: a fresh key, used at once.
        send = await this._start(now);
        to = [...this._recipients];
      }
      const switched = await this._switch();
      return { send, to, switched };
    }
    if (this._stale && (this._lastStart === null || now >= this._lastStart + this.minIntervalMs)) {
      const send = await this._start(now);
      return { send, to: [...this._recipients], switched: false };
    }
    return RotationTracker._none();
  }

  nextWakeup() {
    let at = this.deadline;
    if (this._stale && this._lastStart !== null) {
      const due = this._lastStart + this.minIntervalMs;
      if (at === null || due < at) at = due;
    }
    return at;
  }
}
