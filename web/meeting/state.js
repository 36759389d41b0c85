// The meeting page's shared state: one plain object that the page's modules
// read and write (no framework, no events), and `$`. Which module owns which
// fields is noted beside them.

import { LocalMedia } from './media.js';
import { roomFromPath, tokenFromQuery } from './link.js';

export const $ = (id) => document.getElementById(id);

export function emptyVerify() {
  return { code: null, status: null, complete: false, members: [], excluded: [], names: {}, fingerprints: {} };
}

export const app = {
  // session.js
  state: 'lobby', // lobby | joining | joined | left | disconnected | error
  room: roomFromPath(),
  token: tokenFromQuery(),
  name: '',
  roomInfo: null,
  role: null,
  participantId: null,
  canBroadcast: true,
  signal: null,
  joinWaiter: null,
  joinPromise: null,
  serverError: null,   // last `error` from the server {code, message}
  e2ee: null,          // E2eeSession of this join (a key pair even before we know the room is E2EE)
  e2eeOn: false,       // the room is E2EE and this page encrypts
  e2eeOverride: false, // the user chose to join although this room was E2EE before
  testMode: false,     // the server said it runs test hooks (a banner shows it)
  sessionId: null,
  slot: null,
  // roster.js
  participants: new Map(), // the others: id -> { id, name, role, tracks }
  audioReceivers: [],  // [{ participantId, receiver }]
  // local-media.js
  publisher: null,
  media: new LocalMedia(),
  mediaReady: Promise.resolve(),
  mediaReleased: false, // camera/microphone closed by leaving (reopened on the next join)
  meterTimer: null,
  // screen.js
  screen: null,        // our screen share while it is on: { track, stream }
  // connection.js
  subscriber: null,
  failedNotified: false,
  mediaConnected: false, // a peer connection of this call reached `connected`
  // speaker.js
  levels: new Map(),   // participant id -> last audio level
  lastLoud: new Map(), // participant id -> time the level was last above the threshold
  lastRtp: new WeakMap(), // receiver -> last rtpTimestamp (staleness check)
  activeSpeaker: null,
  speakerTimer: null,
  // security.js
  verify: emptyVerify(),
  shownCode: null,     // the last complete security code shown (to say when it changes)
  shownSet: null,      // the members (ids) when it was shown, or since
  missingSince: new Map(), // member id -> when it got our keys without sending its own
  coveredAt: new Map(),    // member id -> when a complete code shown here first included it
  alarms: [],              // E2EE alarms of this call: {reason, line}
  missingTimer: null,
};
