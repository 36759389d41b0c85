// sealroom E2EE: replay window of 128 counters per key (docs/e2ee.md section 6),
// as SRTP does it (RFC 3711 3.3.2): the highest accepted CTR and a bitmap of
// the 127 below it. check() and commit() are separate so that only
// authenticated frames move the window.
//
// API
//   REPLAY_WINDOW = 128
//   class ReplayWindow
//     check(ctr)   -> null if ctr would be new, else 'SRE_ERR_REPLAY' or 'SRE_ERR_TOO_OLD'
//     commit(ctr)  marks ctr accepted (call only after authentication and a passing check)
//     any, top     whether a CTR was accepted, and the highest one (bigint)
//   ctr: bigint or number, 0 .. 2^64-1

import { Status } from './util.js';

export const REPLAY_WINDOW = 128;
const W = BigInt(REPLAY_WINDOW);
const MASK = (1n << W) - 1n;

export class ReplayWindow {
  constructor() {
    this.any = false;
    this.top = 0n;
    this.bits = 0n; // bit i set: CTR top - i was accepted
  }

  check(ctr) {
    ctr = BigInt(ctr);
    if (!this.any || ctr > this.top) return null;
    const age = this.top - ctr;
    if (age >= W) return Status.TOO_OLD;
    return (this.bits >> age) & 1n ? Status.REPLAY : null;
  }

  commit(ctr) {
    ctr = BigInt(ctr);
    if (!this.any) {
      this.any = true;
      this.top = ctr;
      this.bits = 1n;
      return;
    }
    if (ctr > this.top) {
      const by = ctr - this.top;
      this.bits = by >= W ? 0n : (this.bits << by) & MASK;
      this.top = ctr;
    }
    const age = this.top - ctr;
    if (age < W) this.bits |= 1n << age;
  }
}
