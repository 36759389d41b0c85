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
// API
//   Sender.create({slot, generation = 1, baseKey?}) -> Promise<Sender> generation g, step 0,
//                                  baseKey (16 bytes) or a random one, CTR 0
//   sender.slot, .generation, .step, .ctr (bigint: the next CTR), .kid
//   sender.baseKey                 a copy of the current base key (for key messages)
//   sender.pending                 null or {generation, step: 0, baseKey (copy)}: a rotation
//                                  key sent but not yet used (8.5)
//   sender.encrypt(codec, frame)   -> Promise<Uint8Array> the wire frame (empty audio frame:
//                                  empty, no CTR used); throws E2eeError SRE_ERR_EMPTY_FRAME,
//                                  SRE_ERR_FRAME_TOO_SHORT, SRE_ERR_CTR_EXHAUSTED
//   sender.ratchet()               -> Promise<{generation, step, baseKey}> one step (a join):
//                                  step + 1, CTR 0, old key wiped; SRE_ERR_RATCHET_EXHAUSTED at 255
//   sender.startRotation(baseKey?) -> Promise<{generation, step: 0, baseKey}> a pending key of
//                                  generation next(newest distributed); replaces an earlier pending one
//   sender.switchToPending()       -> Promise<boolean> the pending key becomes current (after every
//                                  ack or 500 ms); the old key is wiped; false if none pending
//   sender.rotate(baseKey?)        -> Promise<{generation, step, baseKey}> start + switch at once
//   sender.keyForNewcomer()        -> Promise<{generation, step, baseKey, rotationStarted}> what to
//                                  send a participant who joined (8.4): the pending key if a rotation
//                                  is under way; else a ratchet step; at step 255 a new rotation
//   sender.clear()                 wipes every key; the sender is unusable afterwards
//   ROTATE_TIMEOUT_MS = 500
//
//   new RotationTracker(sender, {timeoutMs = 500, now = Date.now})  the ack bookkeeping of a
//                                  rotation (docs/e2ee.md 8.5 events), no timers of its own:
//     tracker.rotate(recipients)   -> Promise<{generation, step: 0, baseKey}> starts (or restarts)
//                                  a rotation: send this key to every id in recipients
//     tracker.join(id, everyone)   -> Promise<{generation, step, baseKey, rotationStarted}> what to
//                                  send a newcomer (sender.keyForNewcomer); while a rotation is
//                                  pending the newcomer is added to the ids waited for; when step
//                                  255 starts a rotation, returns rotationStarted: true and the
//                                  caller sends the key to everyone (every other present id,
//                                  newcomer included; they are the ids waited for)
//     tracker.leave(id)            forgets id (call rotate() for the remaining ones next)
//     tracker.ack(id, generation)  -> Promise<boolean> true when this ack completed the set and
//                                  the sender switched (then ask the encoder for a key frame)
//     tracker.tick(nowMs?)         -> Promise<boolean> true when the deadline passed and the
//                                  sender switched; call it from a timer at tracker.deadline
//     tracker.pending, .deadline, .waiting (Set of ids still to ack)

import { E2eeError, Status, bytes, randomBytes, wipe } from './util.js';
import { deriveSFrameKey, sframeEncryptInto, SUITE_WIRE } from './sframe.js';
import { prefixLength, isAudioCodec } from './codec.js';
import { kidMake, nextGeneration, ratchet, BASE_KEY_LEN } from './keys.js';

export const ROTATE_TIMEOUT_MS = 500;
const CTR_MAX = (1n << 64n) - 1n;

function freshKey(given) {
  if (given === undefined || given === null) return randomBytes(BASE_KEY_LEN);
  const k = bytes(given);
  if (k.length !== BASE_KEY_LEN) throw new E2eeError(Status.KEY_LENGTH, 'a fresh base key is 16 bytes');
  return Uint8Array.from(k);
}

async function makeKey(slot, generation, step, baseKey) {
  const sframeKey = await deriveSFrameKey(baseKey, kidMake(slot, generation, step), SUITE_WIRE);
  return { generation, step, baseKey, sframeKey, ctr: 0n, exhausted: false };
}

export class Sender {
  constructor(slot, current) {
    this.slot = slot;
    this._cur = current;
    this._pending = null;
    this._queue = Promise.resolve();
    this._cleared = false;
  }

  static async create({ slot, generation = 1, baseKey } = {}) {
    if (!Number.isInteger(slot) || slot < 0 || slot > 0xffff) throw new E2eeError(Status.ARG, 'slot out of range');
    if (!Number.isInteger(generation) || generation < 1 || generation > 255) {
      throw new E2eeError(Status.ARG, 'generation out of range');
    }
    return new Sender(slot, await makeKey(slot, generation, 0, freshKey(baseKey)));
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
    return p ? { generation: p.generation, step: 0, baseKey: Uint8Array.from(p.baseKey) } : null;
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
      const next = await makeKey(this.slot, k.generation, k.step + 1, await ratchet(k.baseKey));
      this._install(next);
      return { generation: next.generation, step: next.step, baseKey: Uint8Array.from(next.baseKey) };
    });
  }

  startRotation(baseKey) {
    return this._serial(async () => {
      const newest = this._pending ? this._pending.generation : this._cur.generation;
      const next = await makeKey(this.slot, nextGeneration(newest), 0, freshKey(baseKey));
      if (this._pending) wipe(this._pending.baseKey);
      this._pending = next;
      return { generation: next.generation, step: 0, baseKey: Uint8Array.from(next.baseKey) };
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
      if (this._pending) {
        const p = this._pending;
        return { generation: p.generation, step: 0, baseKey: Uint8Array.from(p.baseKey), rotationStarted: false };
      }
      const k = this._cur;
      if (k.step === 255) {
        const next = await makeKey(this.slot, nextGeneration(k.generation), 0, freshKey());
        this._pending = next;
        return { generation: next.generation, step: 0, baseKey: Uint8Array.from(next.baseKey), rotationStarted: true };
      }
      const next = await makeKey(this.slot, k.generation, k.step + 1, await ratchet(k.baseKey));
      this._install(next);
      return { generation: next.generation, step: next.step, baseKey: Uint8Array.from(next.baseKey), rotationStarted: false };
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
  constructor(sender, { timeoutMs = ROTATE_TIMEOUT_MS, now } = {}) {
    this.sender = sender;
    this.timeoutMs = timeoutMs;
    this._now = now || (() => Date.now());
    this.waiting = new Set();
    this.deadline = null;
  }

  get pending() {
    return this.sender.pending;
  }

  async rotate(recipients, nowMs) {
    const key = await this.sender.startRotation();
    this.waiting = new Set(recipients);
    this.deadline = (nowMs ?? this._now()) + this.timeoutMs;
    return key;
  }

  async join(id, everyone, nowMs) {
    const k = await this.sender.keyForNewcomer();
    if (k.rotationStarted) {
      // Step 255: a rotation that the caller sends to everyone, newcomer included.
      this.waiting = new Set(everyone || [id]);
      this.waiting.add(id);
      this.deadline = (nowMs ?? this._now()) + this.timeoutMs;
    } else if (this.sender.pending && this.sender.pending.generation === k.generation) {
      this.waiting.add(id);
    }
    return k;
  }

  leave(id) {
    this.waiting.delete(id);
  }

  async _switch() {
    this.waiting.clear();
    this.deadline = null;
    return this.sender.switchToPending();
  }

  async ack(id, generation) {
    const p = this.sender.pending;
    if (!p || p.generation !== generation || !this.waiting.has(id)) return false;
    this.waiting.delete(id);
    return this.waiting.size === 0 ? this._switch() : false;
  }

  async tick(nowMs) {
    if (this.deadline === null || !this.sender.pending) return false;
    if ((nowMs ?? this._now()) < this.deadline) return false;
    return this._switch();
  }
}
