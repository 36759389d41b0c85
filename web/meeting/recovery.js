// The one automatic second try of a call whose audio and video cannot pass
// (issue 12, item 3). When a peer connection of the call fails, or the server
// says `media_failed` (or `subscribe_timeout`: a starved page answered too
// late; that retry is not relay only), the page does not give up at once: it joins the call
// again with new publish and subscribe connections (session.js's rejoin). An
// ICE restart would not help: the server is ICE-lite with fixed credentials
// per transport. The second try is relayed only (iceTransportPolicy "relay")
// when the server offers a TURN relay (welcome.ice_servers), so a network
// that blocks UDP and TCP to the media port can still get through; without a relay it
// is a plain second attempt. Meanwhile the status bar says "Reconnecting
// media…". One retry per join the user asked for, never a loop: when the
// retry fails too, the caller shows the media-failure message.
//
// Lifecycle: initRecovery({rejoin}) once; newJoin() when the user joins;
// retryMedia() when media fails.

import { app } from './state.js';
import { iceConfig } from './rtc.js';
import { timings } from './timing.js';

const MAX_RETRIES = 1;

// What the tests read (window.sealroom.mediaRetry): retries of this join,
// whether the last one was relay only, whether one is under way.
const retry = { attempts: 0, relay: false, active: false };
let rejoinAuto = () => {};

export function initRecovery(hooks) {
  rejoinAuto = hooks.rejoin;
}

// A join the user asked for (not the retry): direct ICE again, and the
// retry is available again.
export function newJoin() {
  retry.attempts = 0;
  retry.relay = false;
  retry.active = false;
  iceConfig.transportPolicy = 'all';
}

// Media failed in the call. Starts the retry and returns true, or returns
// false when this join's retry was used already: the caller says why media
// failed (connection.js's mediaFailure reads the retry's connections).
// direct: the cause was not the network (our answer to a subscribe offer
// came too late, `subscribe_timeout`): no relay-only retry.
export function retryMedia({ direct = false } = {}) {
  if (retry.attempts >= MAX_RETRIES || app.state !== 'joined') {
    retry.active = false;
    return false;
  }
  retry.attempts++;
  retry.relay = !direct && iceConfig.iceServers.length > 0;
  retry.active = true;
  iceConfig.transportPolicy = retry.relay ? 'relay' : 'all';
  // How far this join got (timing.js: ms from the click), for whoever reads the console.
  console.warn(`sealroom: audio/video could not pass; joining again${retry.relay ? ' through the TURN relay' : ''} ` +
    `(join steps in ms: ${JSON.stringify(timings())})`);
  rejoinAuto();
  return true;
}

// A connection of the call is up: the retry (if any) worked.
export function mediaUp() {
  retry.active = false;
}

export function reconnecting() {
  return retry.active;
}

export function retryState() {
  return { ...retry };
}
